// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QSSLCIPHER_P_H
#define QTPSK_QSSLCIPHER_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qsslcipher.h>

#include "qtpsk_p.h"

#include <QtCore/qlist.h>
#include <QtCore/qshareddata.h>

#include <openssl/ssl.h>

QTPSK_BEGIN_NAMESPACE

class QSslCipherPrivate : public QSharedData
{
public:
    bool isNull = true;
    QString name;
    int supportedBits = 0;
    int usedBits = 0;
    QString keyExchangeMethod;
    QString authenticationMethod;
    QString encryptionMethod;
    QString protocolString;
    QSsl::SslProtocol protocol = QSsl::UnknownProtocol;
};

namespace QtPskPrivate {

// The hook through which the library builds ciphers from OpenSSL's.
struct QSslCipherAccess
{
    // The cipher \a cipher describes (name, bits and methods from SSL_CIPHER_description());
    // a null QSslCipher for a null pointer. Use it for SSL_get_current_cipher().
    static QSslCipher fromOpenSsl(const SSL_CIPHER *cipher);
};

// QSslCipher::protocol() for OpenSSL's version name of a cipher ("TLSv1.2" -> TlsV1_2, ...).
QSsl::SslProtocol protocolFromCipherVersionName(const QString &versionName);

// Every suite OpenSSL offers for TLS 1.2 and 1.3 except eNULL and aNULL ones: computed once.
const QList<QSslCipher> &supportedCipherList();

// OpenSSL's default cipher list (TLS 1.3 suites first, as OpenSSL orders them): computed once.
const QList<QSslCipher> &defaultCipherList();

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE

#endif // QTPSK_QSSLCIPHER_P_H
