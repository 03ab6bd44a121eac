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
void registerSslMetaTypes()
{
    qRegisterMetaType<QSsl::AlertLevel>();
    qRegisterMetaType<QSsl::AlertType>();
    qRegisterMetaType<QSsl::SslProtocol>();
    qRegisterMetaType<QSsl::SslOption>();
    qRegisterMetaType<QSsl::SslOptions>();
    qRegisterMetaType<QSsl::SupportedFeature>();
    qRegisterMetaType<QSsl::KeyType>();
    qRegisterMetaType<QSsl::EncodingFormat>();
    qRegisterMetaType<QSsl::KeyAlgorithm>();
    qRegisterMetaType<QSsl::AlternativeNameEntryType>();
    qRegisterMetaType<QSsl::ImplementedClass>();
    qRegisterMetaType<QSsl::Tls13PreSharedKeyMode>();
    qRegisterMetaType<QSslError>();
    qRegisterMetaType<QSslError::SslError>();
    qRegisterMetaType<QList<QSslError>>();
    qRegisterMetaType<QSslCipher>();
    qRegisterMetaType<QSslConfiguration>();
}

} // namespace

Q_CONSTRUCTOR_FUNCTION(registerSslMetaTypes)

QTPSK_END_NAMESPACE
