// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QSSLCIPHER_H
#define QTPSK_QSSLCIPHER_H

#include <QtPsk/qtpskglobal.h>
#include <QtPsk/qssl.h>

#include <QtCore/qmetatype.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qstring.h>

QT_FORWARD_DECLARE_CLASS(QDebug)

QTPSK_BEGIN_NAMESPACE

class QSslCipherPrivate;
namespace QtPskPrivate { struct QSslCipherAccess; }

/*!
    \class QSslCipher
    \brief One TLS cipher suite, with the details OpenSSL reports for it.

    A drop-in clone of QtNetwork's class. A cipher is named the way OpenSSL names it, for
    example \c PSK-AES256-CBC-SHA or \c TLS_AES_128_GCM_SHA256. Only names found in
    QSslConfiguration::supportedCiphers() give a non-null cipher; any other name gives a
    null one. The details (bits, key exchange, authentication, encryption, protocol) come
    from OpenSSL's own description of the suite.

    The class is implicitly shared and reentrant.

    \section1 Differences from Qt
    None: identical to Qt. Which names give a non-null cipher is decided by
    QSslConfiguration::supportedCiphers().
*/
class QTPSK_EXPORT QSslCipher
{
public:
    /*! Constructs a null cipher: empty name and methods, 0 bits, QSsl::UnknownProtocol. */
    QSslCipher();
    /*!
        Constructs the supported cipher called \a name (case-sensitive, OpenSSL's spelling),
        or a null cipher if no supported cipher has that name.
    */
    explicit QSslCipher(const QString &name);
    /*!
        Constructs the supported cipher called \a name whose protocol() is \a protocol, or a
        null cipher if there is none. OpenSSL files suites usable since SSL 3.0 under
        "SSLv3", so their protocol() is QSsl::UnknownProtocol.
    */
    QSslCipher(const QString &name, QSsl::SslProtocol protocol);
    /*! Constructs a copy of \a other. */
    QSslCipher(const QSslCipher &other);
    /*! Move-assigns \a other to this cipher by swapping the two. */
    QSslCipher &operator=(QSslCipher &&other) noexcept { swap(other); return *this; }
    /*! Makes this cipher a copy of \a other and returns a reference to it. */
    QSslCipher &operator=(const QSslCipher &other);
    /*! Destroys the cipher. */
    ~QSslCipher();

    /*! Swaps this cipher with \a other. This operation is very fast and never fails. */
    void swap(QSslCipher &other) noexcept { d.swap(other.d); }

    /*! Returns \c true if this is a null cipher (no cipher was found or none was given). */
    bool isNull() const;
    /*! Returns OpenSSL's name of the cipher, e.g. "PSK-AES256-CBC-SHA". */
    QString name() const;
    /*! Returns the key size of the encryption algorithm in bits. */
    int supportedBits() const;
    /*! Returns the number of secret bits the cipher actually uses. */
    int usedBits() const;
    /*! Returns the key-exchange method as OpenSSL describes it, e.g. "PSK", "ECDHEPSK" or "any". */
    QString keyExchangeMethod() const;
    /*! Returns the authentication method as OpenSSL describes it, e.g. "PSK", "RSA" or "any". */
    QString authenticationMethod() const;
    /*! Returns the encryption method as OpenSSL describes it, e.g. "AES(256)". */
    QString encryptionMethod() const;
    /*! Returns OpenSSL's name of the lowest protocol version the cipher works with, e.g. "TLSv1.2". */
    QString protocolString() const;
    /*!
        Returns the protocol matching protocolString(): QSsl::TlsV1_2 for "TLSv1.2",
        QSsl::TlsV1_3 for "TLSv1.3" and so on, QSsl::UnknownProtocol for "SSLv3" or a null cipher.
    */
    QSsl::SslProtocol protocol() const;

private:
    bool isEqual(const QSslCipher &other) const;

    /*! Returns \c true if \a lhs and \a rhs have the same name and protocol. */
    friend bool operator==(const QSslCipher &lhs, const QSslCipher &rhs) { return lhs.isEqual(rhs); }
    /*! Returns \c true if \a lhs and \a rhs differ in name or protocol. */
    friend bool operator!=(const QSslCipher &lhs, const QSslCipher &rhs) { return !lhs.isEqual(rhs); }

    friend struct QtPskPrivate::QSslCipherAccess;
    QSharedDataPointer<QSslCipherPrivate> d;
};

#ifndef QT_NO_DEBUG_STREAM
/*! Writes \a cipher to \a debug as QSslCipher(name=..., bits=..., proto=...). */
QTPSK_EXPORT QDebug operator<<(QDebug debug, const QSslCipher &cipher);
#endif

QTPSK_END_NAMESPACE

QTPSK_DECLARE_SHARED(QSslCipher)

// No declared metatype, as in Qt 6.4: user code may write Q_DECLARE_METATYPE(QSslCipher).

#endif // QTPSK_QSSLCIPHER_H
