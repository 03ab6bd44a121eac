// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QtPsk/qssl.h>
#include <QtPsk/qsslcipher.h>
#include <QtPsk/qsslconfiguration.h>
#include <QtPsk/qsslerror.h>

#include <QtCore/qmetatype.h>

QTPSK_BEGIN_NAMESPACE

namespace {

// Registers the SSL value types and enumerations by name when the library loads, as QtNetwork
// does for the types its signals carry, so that string-based (SIGNAL/SLOT) queued connections
// and QMetaType::fromName() find them. Pointer-to-member connections do not need this.
template <typename... Types>
void registerMetaTypes()
{
    (qRegisterMetaType<Types>(), ...);
}

void registerSslMetaTypes()
{
    registerMetaTypes<QSsl::AlertLevel, QSsl::AlertType, QSsl::SslProtocol, QSsl::SslOption,
                      QSsl::SslOptions, QSsl::SupportedFeature, QSsl::KeyType, QSsl::EncodingFormat,
                      QSsl::KeyAlgorithm, QSsl::AlternativeNameEntryType, QSsl::ImplementedClass,
                      QSsl::Tls13PreSharedKeyMode, QSslError, QSslError::SslError, QList<QSslError>,
                      QSslCipher, QSslConfiguration>();
}

} // namespace

Q_CONSTRUCTOR_FUNCTION(registerSslMetaTypes)

QTPSK_END_NAMESPACE
