// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "ssl/qsslerror_p.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdebug.h>
#include <QtCore/qhashfunctions.h>

QT_IMPL_METATYPE_EXTERN_TAGGED(QList<QTPSK_PREPEND_NAMESPACE(QSslError)>, QtPsk_QList_QSslError)

QTPSK_BEGIN_NAMESPACE

namespace {

// The English text of each error: what QtNetwork 6.4 shows, so that messages (and Qt's own
// translations, looked up in the same "QSslSocket" context) stay the same after a switch.
// NoSslSupport has no text in Qt 6.4 either; an error not listed (CertificateRevoked,
// CertificateStatusUnknown, UnspecifiedError) shows "Unknown error", as in Qt 6.4.
struct ErrorText
{
    QSslError::SslError error;
    const char *text;
};

constexpr ErrorText errorTexts[] = {
    { QSslError::NoError, QT_TRANSLATE_NOOP("QSslSocket", "No error") },
    { QSslError::UnableToGetIssuerCertificate, QT_TRANSLATE_NOOP("QSslSocket", "The issuer certificate could not be found") },
    { QSslError::UnableToDecryptCertificateSignature, QT_TRANSLATE_NOOP("QSslSocket", "The certificate signature could not be decrypted") },
    { QSslError::UnableToDecodeIssuerPublicKey, QT_TRANSLATE_NOOP("QSslSocket", "The public key in the certificate could not be read") },
    { QSslError::CertificateSignatureFailed, QT_TRANSLATE_NOOP("QSslSocket", "The signature of the certificate is invalid") },
    { QSslError::CertificateNotYetValid, QT_TRANSLATE_NOOP("QSslSocket", "The certificate is not yet valid") },
    { QSslError::CertificateExpired, QT_TRANSLATE_NOOP("QSslSocket", "The certificate has expired") },
    { QSslError::InvalidNotBeforeField, QT_TRANSLATE_NOOP("QSslSocket", "The certificate's notBefore field contains an invalid time") },
    { QSslError::InvalidNotAfterField, QT_TRANSLATE_NOOP("QSslSocket", "The certificate's notAfter field contains an invalid time") },
    { QSslError::SelfSignedCertificate, QT_TRANSLATE_NOOP("QSslSocket", "The certificate is self-signed, and untrusted") },
    { QSslError::SelfSignedCertificateInChain, QT_TRANSLATE_NOOP("QSslSocket", "The root certificate of the certificate chain is self-signed, and untrusted") },
    { QSslError::UnableToGetLocalIssuerCertificate, QT_TRANSLATE_NOOP("QSslSocket", "The issuer certificate of a locally looked up certificate could not be found") },
    { QSslError::UnableToVerifyFirstCertificate, QT_TRANSLATE_NOOP("QSslSocket", "No certificates could be verified") },
    { QSslError::InvalidCaCertificate, QT_TRANSLATE_NOOP("QSslSocket", "One of the CA certificates is invalid") },
    { QSslError::PathLengthExceeded, QT_TRANSLATE_NOOP("QSslSocket", "The basicConstraints path length parameter has been exceeded") },
    { QSslError::InvalidPurpose, QT_TRANSLATE_NOOP("QSslSocket", "The supplied certificate is unsuitable for this purpose") },
    { QSslError::CertificateUntrusted, QT_TRANSLATE_NOOP("QSslSocket", "The root CA certificate is not trusted for this purpose") },
    { QSslError::CertificateRejected, QT_TRANSLATE_NOOP("QSslSocket", "The root CA certificate is marked to reject the specified purpose") },
    { QSslError::SubjectIssuerMismatch, QT_TRANSLATE_NOOP("QSslSocket", "The current candidate issuer certificate was rejected because its subject name did not match the issuer name of the current certificate") },
    { QSslError::AuthorityIssuerSerialNumberMismatch, QT_TRANSLATE_NOOP("QSslSocket", "The current candidate issuer certificate was rejected because its issuer name and serial number was present and did not match the authority key identifier of the current certificate") },
    { QSslError::NoPeerCertificate, QT_TRANSLATE_NOOP("QSslSocket", "The peer did not present any certificate") },
    { QSslError::HostNameMismatch, QT_TRANSLATE_NOOP("QSslSocket", "The host name did not match any of the valid hosts for this certificate") },
    { QSslError::CertificateBlacklisted, QT_TRANSLATE_NOOP("QSslSocket", "The peer certificate is blacklisted") },
    { QSslError::OcspNoResponseFound, QT_TRANSLATE_NOOP("QSslSocket", "No OCSP status response found") },
    { QSslError::OcspMalformedRequest, QT_TRANSLATE_NOOP("QSslSocket", "The OCSP status request had invalid syntax") },
    { QSslError::OcspMalformedResponse, QT_TRANSLATE_NOOP("QSslSocket", "OCSP response contains an unexpected number of SingleResponse structures") },
    { QSslError::OcspInternalError, QT_TRANSLATE_NOOP("QSslSocket", "OCSP responder reached an inconsistent internal state") },
    { QSslError::OcspTryLater, QT_TRANSLATE_NOOP("QSslSocket", "OCSP responder was unable to return a status for the requested certificate") },
    { QSslError::OcspSigRequred, QT_TRANSLATE_NOOP("QSslSocket", "The server requires the client to sign the OCSP request in order to construct a response") },
    { QSslError::OcspUnauthorized, QT_TRANSLATE_NOOP("QSslSocket", "The client is not authorized to request OCSP status from this server") },
    { QSslError::OcspResponseCannotBeTrusted, QT_TRANSLATE_NOOP("QSslSocket", "OCSP responder's identity cannot be verified") },
    { QSslError::OcspResponseCertIdUnknown, QT_TRANSLATE_NOOP("QSslSocket", "The identity of a certificate in an OCSP response cannot be established") },
    { QSslError::OcspResponseExpired, QT_TRANSLATE_NOOP("QSslSocket", "The certificate status response has expired") },
    { QSslError::OcspStatusUnknown, QT_TRANSLATE_NOOP("QSslSocket", "The certificate's status is unknown") },
    { QSslError::NoSslSupport, "" },
};

const char *errorText(QSslError::SslError error)
{
    for (const ErrorText &row : errorTexts) {
        if (row.error == error)
            return row.text;
    }
    return QT_TRANSLATE_NOOP("QSslSocket", "Unknown error");
}

} // namespace

QSslError::QSslError()
    : d(new QSslErrorPrivate)
{
}

QSslError::QSslError(SslError error)
    : QSslError()
{
    d->error = error;
}

QSslError::QSslError(const QSslError &other) = default;

QSslError::~QSslError() = default;

QSslError &QSslError::operator=(const QSslError &other) = default;

QSslError::SslError QSslError::error() const { return d->error; }

QString QSslError::errorString() const
{
    const char *text = errorText(d->error);
    return *text ? QCoreApplication::translate("QSslSocket", text) : QString();
}

bool QSslError::isEqual(const QSslError &other) const
{
    return d == other.d || d->error == other.d->error;
}

size_t qHash(const QSslError &key, size_t seed) noexcept
{
    return QT_PREPEND_NAMESPACE(qHash)(int(key.error()), seed);
}

#ifndef QT_NO_DEBUG_STREAM
QDebug operator<<(QDebug debug, const QSslError &error)
{
    debug << error.errorString();
    return debug;
}

QDebug operator<<(QDebug debug, const QSslError::SslError &error)
{
    debug << QSslError(error).errorString();
    return debug;
}
#endif

QTPSK_END_NAMESPACE
