// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QSSLCONFIGURATION_P_H
#define QTPSK_QSSLCONFIGURATION_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qsslconfiguration.h>

#include "qtpsk_p.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qstringlist.h>

QTPSK_BEGIN_NAMESPACE

class QSslConfigurationPrivate : public QSharedData
{
public:
    // The options on by default, as in Qt.
    static constexpr QSsl::SslOptions defaultSslOptions =
            QSsl::SslOptions(QSsl::SslOptionDisableEmptyFragments)
            | QSsl::SslOptionDisableLegacyRenegotiation | QSsl::SslOptionDisableCompression
            | QSsl::SslOptionDisableSessionPersistence;

    QSsl::SslProtocol protocol = QSsl::SecureProtocols;
    QSslSocket::PeerVerifyMode peerVerifyMode = QSslSocket::AutoVerifyPeer;
    int peerVerifyDepth = 0;
    QList<QSslCipher> ciphers;
    QSsl::SslOptions sslOptions = defaultSslOptions;
    QByteArray preSharedKeyIdentityHint;
    bool handshakeMustInterruptOnError = false;
    bool missingCertificateIsFatal = false;
    QSsl::Tls13PreSharedKeyMode tls13PreSharedKeyMode = QSsl::Tls13PreSharedKeyMode::Automatic;
    bool allowPreSharedKeyWithoutDhe = false;
    bool dtlsCookieVerificationEnabled = true;
    // The names given to setCiphers(QString), in order (empty after setCiphers(QList)): QDtls
    // also takes the OpenSSL names QSslCipher does not know (CCM, CCM8).
    QStringList cipherNames;
    // Filled by the socket after a handshake.
    QSslCipher sessionCipher;
    QSsl::SslProtocol sessionProtocol = QSsl::UnknownProtocol;
    QByteArray sessionTicket; // DER, see QSslConfiguration::sessionTicket()
    int sessionTicketLifeTimeHint = -1;
};

namespace QtPskPrivate {

// The one hook through which the socket fills the read-only fields of a configuration.
struct QSslConfigurationAccess
{
    static void setSessionCipher(QSslConfiguration &configuration, const QSslCipher &cipher);
    static void setSessionProtocol(QSslConfiguration &configuration, QSsl::SslProtocol protocol);
    static void setSessionTicketLifeTimeHint(QSslConfiguration &configuration, int seconds);
    // True if the configuration lists ciphers of its own (false: the default ciphers apply).
    static bool hasExplicitCiphers(const QSslConfiguration &configuration);
    // The ciphers a socket uses: the configuration's own, or, when it has none (as Qt does),
    // those of QSslConfiguration::defaultConfiguration().
    static QList<QSslCipher> effectiveCiphers(const QSslConfiguration &configuration);
    // The names setCiphers(QString) was given, in order; empty when the ciphers were set as a
    // list (or not at all).
    static QStringList cipherNames(const QSslConfiguration &configuration);
};

// True for the suites that belong to SSL_CTX_set_ciphersuites() (protocol TLS 1.3).
bool isTls13Cipher(const QSslCipher &cipher);

// The default DTLS cipher list, as an OpenSSL cipher string.
QString defaultDtlsCipherString();

// The names of the non-TLS-1.3 suites of effectiveCiphers(), joined with ':', in order: the
// argument for SSL_CTX_set_cipher_list()/SSL_set_cipher_list(). Empty when there are none:
// then do not call it, and OpenSSL's default TLS 1.2 list stays in force.
QByteArray tls12CipherString(const QSslConfiguration &configuration);

// The names of the TLS 1.3 suites of effectiveCiphers(), joined with ':': the argument for
// SSL_CTX_set_ciphersuites(). Empty when none is configured: then do not call it, and OpenSSL's
// default TLS 1.3 suites stay enabled (Qt does the same: an empty list would disable TLS 1.3).
QByteArray tls13CipherSuites(const QSslConfiguration &configuration);

// Maps \a protocol to OpenSSL's SSL_CTX_set_min_proto_version()/..._max_proto_version()
// values (TLS1_VERSION ... TLS1_3_VERSION; *max 0 means "no upper bound"). Returns false, and
// leaves *min and *max alone, for what OpenSSL 3 cannot do here: DTLS and UnknownProtocol.
// TLS 1.0 and 1.1 map to their versions, although OpenSSL's security level usually refuses them.
bool protocolToVersionRange(QSsl::SslProtocol protocol, int *min, int *max);

// The QSsl value of a negotiated version (SSL_version()): TLS1_2_VERSION -> QSsl::TlsV1_2, ...;
// QSsl::UnknownProtocol for anything else. For QSslConfigurationAccess::setSessionProtocol().
QSsl::SslProtocol protocolFromVersion(int version);

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE

#endif // QTPSK_QSSLCONFIGURATION_P_H
