// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "ssl/qsslcipher_p.h"

#include <QtCore/qdebug.h>
#include <QtCore/qstringlist.h>

#include <algorithm>

#include <openssl/err.h>

#include <memory>

QTPSK_BEGIN_NAMESPACE

namespace {

template <auto Fn>
struct OpenSslDeleter
{
    template <typename T>
    void operator()(T *object) const noexcept { Fn(object); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslDeleter<&SSL_CTX_free>>;

QList<QSslCipher> ciphersOf(const SSL_CTX *context)
{
    QList<QSslCipher> result;
    if (!context)
        return result;
    const STACK_OF(SSL_CIPHER) *stack = SSL_CTX_get_ciphers(context);
    const int count = stack ? sk_SSL_CIPHER_num(stack) : 0;
    result.reserve(count);
    for (int i = 0; i < count; ++i) {
        const QSslCipher cipher =
                QtPskPrivate::QSslCipherAccess::fromOpenSsl(sk_SSL_CIPHER_value(stack, i));
        if (!cipher.isNull())
            result.append(cipher);
    }
    return result;
}

// As Qt: the cipher list of a fresh context, which is OpenSSL's default list (`openssl ciphers`
// with no argument: 60 suites with OpenSSL 3.0, 26 of them PSK). Suites OpenSSL implements
// outside that list (CCM, CCM8, ARIA, Camellia, the TLS 1.3 CCM suites, ...) are not supported
// ciphers, so QSslCipher(name) is null for them, exactly as with Qt (tests/parity/cipherlist).
QList<QSslCipher> computeSupportedCiphers()
{
    const SslCtxPtr context(SSL_CTX_new(TLS_method()));
    if (!context)
        ERR_clear_error();
    return ciphersOf(context.get());
}

// OpenSSL's default list, with one change: the DHE-PSK suites move behind all others. OpenSSL
// lists them first, and a PSK server without DH parameters that honours the client's order then
// fails the handshake (openssl s_server does); ECDHE-PSK and plain PSK are also much cheaper.
QList<QSslCipher> computeDefaultCiphers()
{
    QList<QSslCipher> ciphers = computeSupportedCiphers();
    std::stable_partition(ciphers.begin(), ciphers.end(), [](const QSslCipher &cipher) {
        return !cipher.name().startsWith(QLatin1String("DHE-PSK-"));
    });
    return ciphers;
}

} // namespace

namespace QtPskPrivate {

QT_WARNING_PUSH
QT_WARNING_DISABLE_DEPRECATED // the TLS 1.0 and 1.1 values are deprecated, yet still exist
QSsl::SslProtocol protocolFromCipherVersionName(const QString &versionName)
{
    if (versionName == QLatin1String("TLSv1") || versionName == QLatin1String("TLSv1.0"))
        return QSsl::TlsV1_0;
    if (versionName == QLatin1String("TLSv1.1"))
        return QSsl::TlsV1_1;
    if (versionName == QLatin1String("TLSv1.2"))
        return QSsl::TlsV1_2;
    if (versionName == QLatin1String("TLSv1.3"))
        return QSsl::TlsV1_3;
    return QSsl::UnknownProtocol; // "SSLv3" included, as in Qt 6, which has no SSL 3 value
}
QT_WARNING_POP

QSslCipher QSslCipherAccess::fromOpenSsl(const SSL_CIPHER *cipher)
{
    QSslCipher result;
    if (!cipher)
        return result;
    const char *name = SSL_CIPHER_get_name(cipher);
    if (!name || !*name)
        return result;

    QSslCipherPrivate *data = result.d.data();
    data->isNull = false;
    data->name = QString::fromLatin1(name);
    int algorithmBits = 0;
    data->usedBits = SSL_CIPHER_get_bits(cipher, &algorithmBits);
    data->supportedBits = algorithmBits;

    // "NAME  VERSION Kx=... Au=... Enc=... Mac=...": OpenSSL's own text gives the version as
    // Qt shows it ("TLSv1", where SSL_CIPHER_get_version() says "TLSv1.0") and the methods.
    char buffer[256] = {};
    if (SSL_CIPHER_description(cipher, buffer, int(sizeof buffer))) {
        const QStringList fields = QString::fromLatin1(buffer).simplified().split(QLatin1Char(' '));
        if (fields.size() > 1)
            data->protocolString = fields.at(1);
        for (const QString &field : fields) {
            const QString value = field.section(QLatin1Char('='), 1).trimmed();
            if (field.startsWith(QLatin1String("Kx=")))
                data->keyExchangeMethod = value;
            else if (field.startsWith(QLatin1String("Au=")))
                data->authenticationMethod = value;
            else if (field.startsWith(QLatin1String("Enc=")))
                data->encryptionMethod = value;
        }
    }
    if (data->protocolString.isEmpty())
        data->protocolString = QString::fromLatin1(SSL_CIPHER_get_version(cipher));
    data->protocol = protocolFromCipherVersionName(data->protocolString);
    return result;
}

const QList<QSslCipher> &supportedCipherList()
{
    static const QList<QSslCipher> ciphers = computeSupportedCiphers();
    return ciphers;
}

const QList<QSslCipher> &defaultCipherList()
{
    static const QList<QSslCipher> ciphers = computeDefaultCiphers();
    return ciphers;
}

} // namespace QtPskPrivate

QSslCipher::QSslCipher()
    : d(new QSslCipherPrivate)
{
}

QSslCipher::QSslCipher(const QString &name)
    : QSslCipher()
{
    for (const QSslCipher &cipher : QtPskPrivate::supportedCipherList()) {
        if (cipher.name() == name) {
            *this = cipher;
            return;
        }
    }
}

QSslCipher::QSslCipher(const QString &name, QSsl::SslProtocol protocol)
    : QSslCipher()
{
    for (const QSslCipher &cipher : QtPskPrivate::supportedCipherList()) {
        if (cipher.name() == name && cipher.protocol() == protocol) {
            *this = cipher;
            return;
        }
    }
}

QSslCipher::QSslCipher(const QSslCipher &other) = default;

QSslCipher &QSslCipher::operator=(const QSslCipher &other) = default;

QSslCipher::~QSslCipher() = default;

bool QSslCipher::isNull() const { return d->isNull; }

QString QSslCipher::name() const { return d->name; }

int QSslCipher::supportedBits() const { return d->supportedBits; }

int QSslCipher::usedBits() const { return d->usedBits; }

QString QSslCipher::keyExchangeMethod() const { return d->keyExchangeMethod; }

QString QSslCipher::authenticationMethod() const { return d->authenticationMethod; }

QString QSslCipher::encryptionMethod() const { return d->encryptionMethod; }

QString QSslCipher::protocolString() const { return d->protocolString; }

QSsl::SslProtocol QSslCipher::protocol() const { return d->protocol; }

bool QSslCipher::isEqual(const QSslCipher &other) const
{
    return d == other.d || (d->name == other.d->name && d->protocol == other.d->protocol);
}

#ifndef QT_NO_DEBUG_STREAM
QDebug operator<<(QDebug debug, const QSslCipher &cipher)
{
    const QDebugStateSaver saver(debug);
    debug.resetFormat().nospace().noquote()
            << "QSslCipher(name=" << cipher.name() << ", bits=" << cipher.usedBits()
            << ", proto=" << cipher.protocolString() << ')';
    return debug;
}
#endif

QTPSK_END_NAMESPACE
