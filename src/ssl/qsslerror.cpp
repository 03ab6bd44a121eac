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
const char *errorText(QSslError::SslError error)
{
    switch (error) {
    case QSslError::NoError:
        return QT_TRANSLATE_NOOP("QSslSocket", "No error");
    case QSslError::UnableToGetIssuerCertificate:
        return QT_TRANSLATE_NOOP("QSslSocket", "The issuer certificate could not be found");
    case QSslError::UnableToDecryptCertificateSignature:
        return QT_TRANSLATE_NOOP("QSslSocket", "The certificate signature could not be decrypted");
    case QSslError::UnableToDecodeIssuerPublicKey:
        return QT_TRANSLATE_NOOP("QSslSocket", "The public key in the certificate could not be read");
    case QSslError::CertificateSignatureFailed:
        return QT_TRANSLATE_NOOP("QSslSocket", "The signature of the certificate is invalid");
    case QSslError::CertificateNotYetValid:
        return QT_TRANSLATE_NOOP("QSslSocket", "The certificate is not yet valid");
    case QSslError::CertificateExpired:
        return QT_TRANSLATE_NOOP("QSslSocket", "The certificate has expired");
    case QSslError::InvalidNotBeforeField:
        return QT_TRANSLATE_NOOP("QSslSocket",
                                 "The certificate's notBefore field contains an invalid time");
    case QSslError::InvalidNotAfterField:
        return QT_TRANSLATE_NOOP("QSslSocket",
                                 "The certificate's notAfter field contains an invalid time");
    case QSslError::SelfSignedCertificate:
        return QT_TRANSLATE_NOOP("QSslSocket", "The certificate is self-signed, and untrusted");
    case QSslError::SelfSignedCertificateInChain:
        return QT_TRANSLATE_NOOP("QSslSocket", "The root certificate of the certificate chain is "
                                               "self-signed, and untrusted");
    case QSslError::UnableToGetLocalIssuerCertificate:
        return QT_TRANSLATE_NOOP("QSslSocket", "The issuer certificate of a locally looked up "
                                               "certificate could not be found");
    case QSslError::UnableToVerifyFirstCertificate:
        return QT_TRANSLATE_NOOP("QSslSocket", "No certificates could be verified");
    case QSslError::InvalidCaCertificate:
        return QT_TRANSLATE_NOOP("QSslSocket", "One of the CA certificates is invalid");
    case QSslError::PathLengthExceeded:
        return QT_TRANSLATE_NOOP("QSslSocket",
                                 "The basicConstraints path length parameter has been exceeded");
    case QSslError::InvalidPurpose:
        return QT_TRANSLATE_NOOP("QSslSocket",
                                 "The supplied certificate is unsuitable for this purpose");
    case QSslError::CertificateUntrusted:
        return QT_TRANSLATE_NOOP("QSslSocket",
                                 "The root CA certificate is not trusted for this purpose");
    case QSslError::CertificateRejected:
        return QT_TRANSLATE_NOOP("QSslSocket",
                                 "The root CA certificate is marked to reject the specified purpose");
    case QSslError::SubjectIssuerMismatch:
        return QT_TRANSLATE_NOOP("QSslSocket",
                                 "The current candidate issuer certificate was rejected because its "
                                 "subject name did not match the issuer name of the current "
                                 "certificate");
    case QSslError::AuthorityIssuerSerialNumberMismatch:
        return QT_TRANSLATE_NOOP("QSslSocket",
                                 "The current candidate issuer certificate was rejected because its "
                                 "issuer name and serial number was present and did not match the "
                                 "authority key identifier of the current certificate");
    case QSslError::NoPeerCertificate:
        return QT_TRANSLATE_NOOP("QSslSocket", "The peer did not present any certificate");
    case QSslError::HostNameMismatch:
        return QT_TRANSLATE_NOOP("QSslSocket", "The host name did not match any of the valid hosts "
                                               "for this certificate");
    case QSslError::NoSslSupport:
        return ""; // Qt 6.4 has no text for it either
    case QSslError::CertificateBlacklisted:
        return QT_TRANSLATE_NOOP("QSslSocket", "The peer certificate is blacklisted");
    case QSslError::OcspNoResponseFound:
        return QT_TRANSLATE_NOOP("QSslSocket", "No OCSP status response found");
    case QSslError::OcspMalformedRequest:
        return QT_TRANSLATE_NOOP("QSslSocket", "The OCSP status request had invalid syntax");
    case QSslError::OcspMalformedResponse:
        return QT_TRANSLATE_NOOP("QSslSocket", "OCSP response contains an unexpected number of "
                                               "SingleResponse structures");
    case QSslError::OcspInternalError:
        return QT_TRANSLATE_NOOP("QSslSocket",
                                 "OCSP responder reached an inconsistent internal state");
    case QSslError::OcspTryLater:
        return QT_TRANSLATE_NOOP("QSslSocket", "OCSP responder was unable to return a status for "
                                               "the requested certificate");
    case QSslError::OcspSigRequred:
        return QT_TRANSLATE_NOOP("QSslSocket", "The server requires the client to sign the OCSP "
                                               "request in order to construct a response");
    case QSslError::OcspUnauthorized:
        return QT_TRANSLATE_NOOP("QSslSocket", "The client is not authorized to request OCSP "
                                               "status from this server");
    case QSslError::OcspResponseCannotBeTrusted:
        return QT_TRANSLATE_NOOP("QSslSocket", "OCSP responder's identity cannot be verified");
    case QSslError::OcspResponseCertIdUnknown:
        return QT_TRANSLATE_NOOP("QSslSocket", "The identity of a certificate in an OCSP response "
                                               "cannot be established");
    case QSslError::OcspResponseExpired:
        return QT_TRANSLATE_NOOP("QSslSocket", "The certificate status response has expired");
    case QSslError::OcspStatusUnknown:
        return QT_TRANSLATE_NOOP("QSslSocket", "The certificate's status is unknown");
    case QSslError::CertificateRevoked:        // Qt 6.4 shows "Unknown error" for these two
    case QSslError::CertificateStatusUnknown:
    case QSslError::UnspecifiedError:
        break;
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

QSslError::SslError QSslError::error() const
{
    return d->error;
}

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
