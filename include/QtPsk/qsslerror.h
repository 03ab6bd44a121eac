// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QSSLERROR_H
#define QTPSK_QSSLERROR_H

#include <QtPsk/qtpskglobal.h>
#include <QtPsk/qssl.h>

#include <QtCore/qlist.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qobjectdefs.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>
// What Qt's <QSslError> makes complete through <QtNetwork/qsslcertificate.h> (QtPsk has no
// QSslCertificate): code that includes only <QSslError> may use these, as with Qt.
#include <QtCore/qcryptographichash.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qmap.h>
#include <QtCore/qnamespace.h>
#include <QtCore/qsharedpointer.h>

QT_FORWARD_DECLARE_CLASS(QDebug)

QTPSK_BEGIN_NAMESPACE

class QSslErrorPrivate;

/*!
    \class QSslError
    \brief An error found while verifying the peer of a TLS connection.

    A drop-in clone of QtNetwork's class, without certificates: QtPsk has no QSslCertificate,
    so there is no certificate() and no constructor taking one. With PSK the error a user meets
    is NoPeerCertificate, reported when a client keeps the default QSslSocket::AutoVerifyPeer
    against a server that authenticates with a key only.

    QSslError and QList<QSslError> are registered by name when the library loads, so they work
    in QVariant, QSignalSpy and queued connections; SslError prints by name through QMetaEnum.
    As in Qt, only QList<QSslError> is a declared metatype: user code may add
    Q_DECLARE_METATYPE(QSslError).

    \section1 Differences from Qt
    \list
    \li No certificate() and no constructor taking a certificate, since QtPsk has no
        QSslCertificate: a PSK handshake involves none. Code that calls certificate() must be
        changed (or built against Qt6::Network beside a namespaced QtPsk).
    \endlist
*/
class QTPSK_EXPORT QSslError
{
    Q_GADGET
public:
    /*! The verification errors, with QtNetwork's numeric values. */
    enum SslError {
        NoError,                              /*!< No error. */
        UnableToGetIssuerCertificate,         /*!< The issuer's certificate was not found. */
        UnableToDecryptCertificateSignature,  /*!< A certificate's signature could not be decrypted. */
        UnableToDecodeIssuerPublicKey,        /*!< The issuer's public key could not be read. */
        CertificateSignatureFailed,           /*!< A certificate's signature is invalid. */
        CertificateNotYetValid,               /*!< A certificate is not valid yet. */
        CertificateExpired,                   /*!< A certificate has expired. */
        InvalidNotBeforeField,                /*!< A certificate's notBefore time is malformed. */
        InvalidNotAfterField,                 /*!< A certificate's notAfter time is malformed. */
        SelfSignedCertificate,                /*!< The peer's certificate is self-signed and not trusted. */
        SelfSignedCertificateInChain,         /*!< The chain's root is self-signed and not trusted. */
        UnableToGetLocalIssuerCertificate,    /*!< A locally found certificate's issuer was not found. */
        UnableToVerifyFirstCertificate,       /*!< No certificate of the chain could be verified. */
        CertificateRevoked,                   /*!< A certificate was revoked. */
        InvalidCaCertificate,                 /*!< A CA certificate is invalid. */
        PathLengthExceeded,                   /*!< The chain is longer than a basicConstraints path length allows. */
        InvalidPurpose,                       /*!< A certificate may not be used for this purpose. */
        CertificateUntrusted,                 /*!< The root CA is not trusted for this purpose. */
        CertificateRejected,                  /*!< The root CA is marked to reject this purpose. */
        SubjectIssuerMismatch,                /*!< A candidate issuer's subject does not match the issuer name. */
        AuthorityIssuerSerialNumberMismatch,  /*!< A candidate issuer does not match the authority key identifier. */
        NoPeerCertificate,                    /*!< The peer presented no certificate (the usual case with PSK). */
        HostNameMismatch,                     /*!< The certificate is not valid for the host name connected to. */
        NoSslSupport,                         /*!< TLS support is missing. */
        CertificateBlacklisted,               /*!< The peer's certificate is on a block list. */
        CertificateStatusUnknown,             /*!< The certificate's revocation status is unknown. */
        OcspNoResponseFound,                  /*!< No OCSP response was found. */
        OcspMalformedRequest,                 /*!< The OCSP request was malformed. */
        OcspMalformedResponse,                /*!< The OCSP response was malformed. */
        OcspInternalError,                    /*!< The OCSP responder failed internally. */
        OcspTryLater,                         /*!< The OCSP responder asked to try later. */
        OcspSigRequred,                       /*!< The OCSP responder requires a signed request (Qt's spelling). */
        OcspUnauthorized,                     /*!< The OCSP request was not authorized. */
        OcspResponseCannotBeTrusted,          /*!< The OCSP responder's identity could not be verified. */
        OcspResponseCertIdUnknown,            /*!< The OCSP response is about an unknown certificate. */
        OcspResponseExpired,                  /*!< The OCSP response has expired. */
        OcspStatusUnknown,                    /*!< The OCSP status is unknown. */
        UnspecifiedError = -1                 /*!< An error without a more specific value. */
    };
    Q_ENUM(SslError)

    /*! Constructs an error with the value NoError. */
    QSslError();
    /*! Constructs an error with the value \a error. */
    explicit QSslError(SslError error);
    /*! Constructs a copy of \a other. */
    QSslError(const QSslError &other);
    /*! Swaps this error with \a other. This operation is very fast and never fails. */
    void swap(QSslError &other) noexcept { d.swap(other.d); }
    /*! Destroys the error. */
    ~QSslError();
    /*! Move-assigns \a other to this error by swapping the two. */
    QSslError &operator=(QSslError &&other) noexcept { swap(other); return *this; }
    /*! Makes this error a copy of \a other and returns a reference to it. */
    QSslError &operator=(const QSslError &other);

    /*! Returns the error value. */
    SslError error() const;
    /*!
        Returns a human-readable description of the error: QtNetwork's English text, translated
        through QCoreApplication::translate() in Qt's "QSslSocket" context, so that Qt's own
        translation files apply. As in Qt 6.4, NoSslSupport gives an empty string and
        CertificateRevoked, CertificateStatusUnknown and unknown values "Unknown error".
    */
    QString errorString() const;

private:
    bool isEqual(const QSslError &other) const;

    /*! Returns \c true if \a lhs and \a rhs hold the same error value. */
    friend bool operator==(const QSslError &lhs, const QSslError &rhs) { return lhs.isEqual(rhs); }
    /*! Returns \c true if \a lhs and \a rhs hold different error values. */
    friend bool operator!=(const QSslError &lhs, const QSslError &rhs) { return !lhs.isEqual(rhs); }

    QSharedDataPointer<QSslErrorPrivate> d;
};

/*! Returns a hash of \a key, seeded with \a seed; equal errors hash equally. */
QTPSK_EXPORT size_t qHash(const QSslError &key, size_t seed = 0) noexcept;

#ifndef QT_NO_DEBUG_STREAM
/*! Writes the errorString() of \a error to \a debug. */
QTPSK_EXPORT QDebug operator<<(QDebug debug, const QSslError &error);
/*! Writes the description of \a error to \a debug, as QtNetwork does. */
QTPSK_EXPORT QDebug operator<<(QDebug debug, const QSslError::SslError &error);
#endif

QTPSK_END_NAMESPACE

QTPSK_DECLARE_SHARED(QSslError)

// As in Qt 6.4, QList<QSslError> is a declared metatype and QSslError is not, so that user code
// may write Q_DECLARE_METATYPE(QSslError) (Qt's own tests do).
QT_DECL_METATYPE_EXTERN_TAGGED(QList<QTPSK_PREPEND_NAMESPACE(QSslError)>, QtPsk_QList_QSslError,
                               QTPSK_EXPORT)

#endif // QTPSK_QSSLERROR_H
