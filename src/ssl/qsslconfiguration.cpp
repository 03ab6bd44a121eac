// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "ssl/qsslconfiguration_p.h"

#include "ssl/qsslcipher_p.h"
#include "qtpsklogging_p.h"

#include <QtCore/qglobalstatic.h>
#include <QtCore/qlogging.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qstringlist.h>

#include <openssl/ssl.h>

#include <mutex>

QT_IMPL_METATYPE_EXTERN_TAGGED(QTPSK_PREPEND_NAMESPACE(QSslConfiguration), QtPsk_QSslConfiguration)

QTPSK_BEGIN_NAMESPACE

namespace {

// A process-wide default configuration (one for sockets, one for QDtls), made on first use.
class DefaultConfiguration
{
public:
    explicit DefaultConfiguration(const QSslConfiguration &initial) : m_configuration(initial) { }
    QSslConfiguration get()
    {
        const std::lock_guard<std::mutex> locker(m_mutex);
        return m_configuration;
    }
    void set(const QSslConfiguration &configuration)
    {
        const std::lock_guard<std::mutex> locker(m_mutex);
        m_configuration = configuration;
    }

private:
    std::mutex m_mutex; // not a QMutex: ThreadSanitizer cannot see a contended QMutex's futex
    QSslConfiguration m_configuration;
};

// Sockets: OpenSSL's default cipher list (DHE-PSK last).
QSslConfiguration initialDefault()
{
    QSslConfiguration configuration;
    configuration.setCiphers(QtPskPrivate::defaultCipherList());
    return configuration;
}

// QDtls: DTLS 1.2 and the IoT PSK suites.
QSslConfiguration initialDtlsDefault()
{
    QSslConfiguration configuration;
    configuration.setProtocol(QSsl::DtlsV1_2OrLater);
    configuration.setCiphers(QtPskPrivate::defaultDtlsCipherString());
    return configuration;
}

Q_GLOBAL_STATIC(DefaultConfiguration, defaultConfigurationStorage, initialDefault())
Q_GLOBAL_STATIC(DefaultConfiguration, defaultDtlsConfigurationStorage, initialDtlsDefault())

QByteArray joinCipherNames(const QSslConfiguration &configuration, bool tls13)
{
    QByteArray names;
    const QList<QSslCipher> ciphers =
            QtPskPrivate::QSslConfigurationAccess::effectiveCiphers(configuration);
    for (const QSslCipher &cipher : ciphers) {
        if (cipher.isNull() || QtPskPrivate::isTls13Cipher(cipher) != tls13)
            continue;
        if (!names.isEmpty())
            names += ':';
        names += cipher.name().toLatin1();
    }
    return names;
}

} // namespace

namespace QtPskPrivate {

void QSslConfigurationAccess::setSessionCipher(QSslConfiguration &configuration,
                                               const QSslCipher &cipher)
{
    configuration.d->sessionCipher = cipher;
}

void QSslConfigurationAccess::setSessionTicketLifeTimeHint(QSslConfiguration &configuration,
                                                           int seconds)
{
    configuration.d->sessionTicketLifeTimeHint = seconds;
}

void QSslConfigurationAccess::setSessionProtocol(QSslConfiguration &configuration,
                                                 QSsl::SslProtocol protocol)
{
    configuration.d->sessionProtocol = protocol;
}

bool QSslConfigurationAccess::hasExplicitCiphers(const QSslConfiguration &configuration)
{
    return !configuration.d->ciphers.isEmpty();
}

QList<QSslCipher> QSslConfigurationAccess::effectiveCiphers(const QSslConfiguration &configuration)
{
    if (hasExplicitCiphers(configuration))
        return configuration.d->ciphers;
    return QSslConfiguration::defaultConfiguration().ciphers();
}

QStringList QSslConfigurationAccess::cipherNames(const QSslConfiguration &configuration)
{
    return configuration.d->cipherNames;
}

QString defaultDtlsCipherString()
{
    return QStringLiteral("PSK-AES128-CCM8:PSK-AES128-CCM:PSK-AES128-GCM-SHA256:"
                          "ECDHE-PSK-CHACHA20-POLY1305:ECDHE-PSK-AES128-CBC-SHA256");
}

bool isTls13Cipher(const QSslCipher &cipher)
{
    return cipher.protocol() == QSsl::TlsV1_3 || cipher.protocol() == QSsl::TlsV1_3OrLater;
}

QByteArray tls12CipherString(const QSslConfiguration &configuration)
{
    return joinCipherNames(configuration, false);
}

QByteArray tls13CipherSuites(const QSslConfiguration &configuration)
{
    return joinCipherNames(configuration, true);
}

QT_WARNING_PUSH
QT_WARNING_DISABLE_DEPRECATED // the TLS 1.0/1.1 values are deprecated, yet must still map

namespace {

// The TLS versions each QSsl::SslProtocol allows: an exact version (min == max) or a lower bound.
// A protocol not listed (the DTLS ones, UnknownProtocol) has no TLS version range.
struct VersionRange
{
    QSsl::SslProtocol protocol;
    int min;
    int max;
};

constexpr int noUpperBound = 0; // what OpenSSL's maximum protocol version 0 means

constexpr VersionRange versionRanges[] = {
    { QSsl::TlsV1_0, TLS1_VERSION, TLS1_VERSION },
    { QSsl::TlsV1_1, TLS1_1_VERSION, TLS1_1_VERSION },
    { QSsl::TlsV1_2, TLS1_2_VERSION, TLS1_2_VERSION },
    { QSsl::TlsV1_3, TLS1_3_VERSION, TLS1_3_VERSION },
    { QSsl::AnyProtocol, TLS1_VERSION, noUpperBound },
    { QSsl::TlsV1_0OrLater, TLS1_VERSION, noUpperBound },
    { QSsl::TlsV1_1OrLater, TLS1_1_VERSION, noUpperBound },
    { QSsl::SecureProtocols, TLS1_2_VERSION, noUpperBound },
    { QSsl::TlsV1_2OrLater, TLS1_2_VERSION, noUpperBound },
    { QSsl::TlsV1_3OrLater, TLS1_3_VERSION, noUpperBound },
};

} // namespace

bool protocolToVersionRange(QSsl::SslProtocol protocol, int *min, int *max)
{
    for (const VersionRange &range : versionRanges) {
        if (range.protocol != protocol)
            continue;
        if (min)
            *min = range.min;
        if (max)
            *max = range.max;
        return true;
    }
    return false;
}

QSsl::SslProtocol protocolFromVersion(int version)
{
    for (const VersionRange &range : versionRanges) {
        if (range.min == version && range.max == version)
            return range.protocol;
    }
    return QSsl::UnknownProtocol;
}
QT_WARNING_POP

} // namespace QtPskPrivate

QSslConfiguration::QSslConfiguration()
    : d(new QSslConfigurationPrivate)
{
}

QSslConfiguration::QSslConfiguration(const QSslConfiguration &other) = default;

QSslConfiguration::~QSslConfiguration() = default;

QSslConfiguration &QSslConfiguration::operator=(const QSslConfiguration &other) = default;

bool QSslConfiguration::isNull() const
{
    const QSslConfigurationPrivate defaults;
    return d->protocol == defaults.protocol
        && d->peerVerifyMode == defaults.peerVerifyMode
        && d->peerVerifyDepth == defaults.peerVerifyDepth
        && d->ciphers.isEmpty()
        && d->sslOptions == defaults.sslOptions
        && d->preSharedKeyIdentityHint.isNull()
        && d->handshakeMustInterruptOnError == defaults.handshakeMustInterruptOnError
        && d->missingCertificateIsFatal == defaults.missingCertificateIsFatal
        && d->tls13PreSharedKeyMode == defaults.tls13PreSharedKeyMode
        && d->allowPreSharedKeyWithoutDhe == defaults.allowPreSharedKeyWithoutDhe
        && d->sessionCipher.isNull()
        && d->sessionProtocol == defaults.sessionProtocol
        && d->sessionTicket.isNull()
        && d->sessionTicketLifeTimeHint == defaults.sessionTicketLifeTimeHint;
}

QSsl::SslProtocol QSslConfiguration::protocol() const { return d->protocol; }

void QSslConfiguration::setProtocol(QSsl::SslProtocol protocol) { d->protocol = protocol; }

QSslSocket::PeerVerifyMode QSslConfiguration::peerVerifyMode() const { return d->peerVerifyMode; }

void QSslConfiguration::setPeerVerifyMode(QSslSocket::PeerVerifyMode mode) { d->peerVerifyMode = mode; }

int QSslConfiguration::peerVerifyDepth() const { return d->peerVerifyDepth; }

void QSslConfiguration::setPeerVerifyDepth(int depth)
{
    if (depth < 0) {
        qCWarning(lcQtPskSsl, "QSslConfiguration::setPeerVerifyDepth: cannot set negative depth of %d",
                  depth);
        return;
    }
    d->peerVerifyDepth = depth;
}

QList<QSslCipher> QSslConfiguration::ciphers() const { return d->ciphers; }

void QSslConfiguration::setCiphers(const QList<QSslCipher> &ciphers)
{
    d->ciphers = ciphers;
    d->cipherNames.clear();
}

void QSslConfiguration::setCiphers(const QString &ciphers)
{
    QList<QSslCipher> list;
    const QStringList names = ciphers.split(QLatin1Char(':'), Qt::SkipEmptyParts);
    for (const QString &name : names) {
        const QSslCipher cipher(name);
        if (!cipher.isNull())
            list.append(cipher);
    }
    d->ciphers = list;
    d->cipherNames = names;
}

QList<QSslCipher> QSslConfiguration::supportedCiphers()
{
    return QtPskPrivate::supportedCipherList();
}

void QSslConfiguration::setSslOption(QSsl::SslOption option, bool on)
{
    d->sslOptions.setFlag(option, on);
}

bool QSslConfiguration::testSslOption(QSsl::SslOption option) const
{
    return d->sslOptions.testFlag(option);
}

QByteArray QSslConfiguration::preSharedKeyIdentityHint() const { return d->preSharedKeyIdentityHint; }

void QSslConfiguration::setPreSharedKeyIdentityHint(const QByteArray &hint) { d->preSharedKeyIdentityHint = hint; }

QSsl::Tls13PreSharedKeyMode QSslConfiguration::tls13PreSharedKeyMode() const
{
    return d->tls13PreSharedKeyMode;
}

void QSslConfiguration::setTls13PreSharedKeyMode(QSsl::Tls13PreSharedKeyMode mode)
{
    d->tls13PreSharedKeyMode = mode;
}

bool QSslConfiguration::allowsPreSharedKeyWithoutDhe() const { return d->allowPreSharedKeyWithoutDhe; }

void QSslConfiguration::setAllowPreSharedKeyWithoutDhe(bool allow) { d->allowPreSharedKeyWithoutDhe = allow; }

QSslCipher QSslConfiguration::sessionCipher() const { return d->sessionCipher; }

QSsl::SslProtocol QSslConfiguration::sessionProtocol() const { return d->sessionProtocol; }

QByteArray QSslConfiguration::sessionTicket() const { return d->sessionTicket; }

void QSslConfiguration::setSessionTicket(const QByteArray &sessionTicket) { d->sessionTicket = sessionTicket; }

int QSslConfiguration::sessionTicketLifeTimeHint() const { return d->sessionTicketLifeTimeHint; }

bool QSslConfiguration::handshakeMustInterruptOnError() const { return d->handshakeMustInterruptOnError; }

void QSslConfiguration::setHandshakeMustInterruptOnError(bool interrupt)
{
    d->handshakeMustInterruptOnError = interrupt;
}

bool QSslConfiguration::missingCertificateIsFatal() const { return d->missingCertificateIsFatal; }

void QSslConfiguration::setMissingCertificateIsFatal(bool cannotRecover)
{
    d->missingCertificateIsFatal = cannotRecover;
}

QSslConfiguration QSslConfiguration::defaultConfiguration()
{
    return defaultConfigurationStorage()->get();
}

void QSslConfiguration::setDefaultConfiguration(const QSslConfiguration &configuration)
{
    defaultConfigurationStorage()->set(configuration);
}

bool QSslConfiguration::dtlsCookieVerificationEnabled() const { return d->dtlsCookieVerificationEnabled; }

void QSslConfiguration::setDtlsCookieVerificationEnabled(bool enable) { d->dtlsCookieVerificationEnabled = enable; }

QSslConfiguration QSslConfiguration::defaultDtlsConfiguration()
{
    return defaultDtlsConfigurationStorage()->get();
}

void QSslConfiguration::setDefaultDtlsConfiguration(const QSslConfiguration &configuration)
{
    defaultDtlsConfigurationStorage()->set(configuration);
}

bool QSslConfiguration::isEqual(const QSslConfiguration &other) const
{
    if (d == other.d)
        return true;
    return d->protocol == other.d->protocol
        && d->peerVerifyMode == other.d->peerVerifyMode
        && d->peerVerifyDepth == other.d->peerVerifyDepth
        && d->ciphers == other.d->ciphers
        && d->sslOptions == other.d->sslOptions
        && d->preSharedKeyIdentityHint == other.d->preSharedKeyIdentityHint
        && d->handshakeMustInterruptOnError == other.d->handshakeMustInterruptOnError
        && d->missingCertificateIsFatal == other.d->missingCertificateIsFatal
        && d->tls13PreSharedKeyMode == other.d->tls13PreSharedKeyMode
        && d->allowPreSharedKeyWithoutDhe == other.d->allowPreSharedKeyWithoutDhe
        && d->dtlsCookieVerificationEnabled == other.d->dtlsCookieVerificationEnabled
        && d->cipherNames == other.d->cipherNames
        && d->sessionCipher == other.d->sessionCipher
        && d->sessionProtocol == other.d->sessionProtocol
        && d->sessionTicket == other.d->sessionTicket
        && d->sessionTicketLifeTimeHint == other.d->sessionTicketLifeTimeHint;
}

QTPSK_END_NAMESPACE
