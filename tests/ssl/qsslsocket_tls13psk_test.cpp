// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// TLS 1.3 external PSK through QSslSocket (issue 5) against real `openssl s_server` peers and a
// QtPsk QSslServer, with default settings. Every row asserts how often the slots were asked.
// (gnutls-serv rows live in the interoperability suite, tests/interop.)
#include <QSslSocket>

#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslServer>

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qprocess.h>
#include <QtCore/qtemporarydir.h>

#include <QtCore/qcoreapplication.h>

#include <gtest/gtest.h>

#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <vector>

#include "common/testsupport.h"

#ifdef QTPSK_NAMESPACE
QTPSK_USE_NAMESPACE
#endif

using QtPskTest::PeerProcess;
using QtPskTest::waitUntil;

namespace {

const QByteArray kKeyHex = QByteArrayLiteral("00112233445566778899aabbccddeeff");
const QByteArray kIdentity = QByteArrayLiteral("client1");

struct Outcome
{
    bool encrypted = false;
    std::vector<QAbstractSocket::SocketError> errors;
    QString errorString;
    std::vector<QSslPreSharedKeyAuthenticator> asked; // copies of what the slot saw
    std::vector<QSsl::AlertType> alertsReceived;
    QSsl::SslProtocol protocol = QSsl::UnknownProtocol;
    QString cipher;
};

// Connects a default-configured client (VerifyNone) to 127.0.0.1:port and waits for the outcome.
// \a slot: connect a PSK slot that gives kIdentity and \a keyHex.
Outcome runClient(quint16 port, bool slot, const QByteArray &keyHex = kKeyHex,
                  const QByteArray &identity = kIdentity,
                  const std::function<void(QSslConfiguration &)> &adjust = {})
{
    Outcome outcome;
    QSslSocket socket;
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    if (adjust)
        adjust(configuration);
    socket.setSslConfiguration(configuration);
    if (slot) {
        QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired, &socket,
                         [&](QSslPreSharedKeyAuthenticator *authenticator) {
                             outcome.asked.push_back(*authenticator);
                             authenticator->setIdentity(identity);
                             authenticator->setPreSharedKey(QByteArray::fromHex(keyHex));
                         });
    }
    QObject::connect(&socket, &QSslSocket::encrypted, &socket, [&] { outcome.encrypted = true; });
    QObject::connect(&socket, &QAbstractSocket::errorOccurred, &socket,
                     [&](QAbstractSocket::SocketError error) {
                         outcome.errors.push_back(error);
                         outcome.errorString = socket.errorString();
                     });
    QObject::connect(&socket, &QSslSocket::alertReceived, &socket,
                     [&](QSsl::AlertLevel level, QSsl::AlertType type, const QString &) {
                         if (level == QSsl::AlertLevel::Fatal)
                             outcome.alertsReceived.push_back(type);
                     });
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    EXPECT_TRUE(waitUntil([&] { return outcome.encrypted || !outcome.errors.empty(); }, 10000));
    outcome.protocol = socket.sessionProtocol();
    outcome.cipher = socket.sessionCipher().name();
    return outcome;
}

QStringList pskServerArguments(const QStringList &extra)
{
    return QStringList{QStringLiteral("-nocert"), QStringLiteral("-psk"), QString::fromLatin1(kKeyHex),
                       QStringLiteral("-psk_identity"), QString::fromLatin1(kIdentity)}
            + extra;
}

class Tls13PskSocket : public ::testing::Test
{
protected:
    void SetUp() override { qunsetenv("QT_USE_TLS_1_3_PSK"); }
};

} // namespace

TEST_F(Tls13PskSocket, DefaultClientWithSlotCompletesAgainstTls13OnlyOpenSslServer)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    PeerProcess peer;
    const quint16 port = peer.startOpenSslServer(pskServerArguments({QStringLiteral("-tls1_3")}));
    ASSERT_NE(port, 0) << peer.output().constData();
    const Outcome outcome = runClient(port, true);
    EXPECT_TRUE(outcome.encrypted) << outcome.errorString.toStdString();
    EXPECT_EQ(outcome.protocol, QSsl::TlsV1_3);
    ASSERT_EQ(outcome.asked.size(), 1u);
    EXPECT_TRUE(outcome.asked[0].identityHint().isNull());
    EXPECT_EQ(outcome.asked[0].maximumIdentityLength(), 255);
    EXPECT_EQ(outcome.asked[0].maximumPreSharedKeyLength(), 512);
}

TEST_F(Tls13PskSocket, DefaultClientWithSlotCompletesAgainstDefaultOpenSslServer)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    PeerProcess peer;
    const quint16 port = peer.startOpenSslServer(
            pskServerArguments({QStringLiteral("-psk_hint"), QStringLiteral("H")}));
    ASSERT_NE(port, 0) << peer.output().constData();
    const Outcome outcome = runClient(port, true);
    EXPECT_TRUE(outcome.encrypted) << outcome.errorString.toStdString();
    EXPECT_EQ(outcome.protocol, QSsl::TlsV1_3);
    EXPECT_EQ(outcome.asked.size(), 1u);
}

TEST_F(Tls13PskSocket, Sha384OnlyOpenSslServerWorksWithASha384Client)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    // s_server's -psk is bound to SHA-256; a SHA-384 PSK needs a session file.
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString sessionFile = dir.filePath(QStringLiteral("psk384.pem"));
    {
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        SSL *ssl = SSL_new(ctx);
        const unsigned char suite[2] = {0x13, 0x02}; // TLS_AES_256_GCM_SHA384
        const QByteArray key = QByteArray::fromHex(kKeyHex);
        SSL_SESSION *session = SSL_SESSION_new();
        ASSERT_TRUE(SSL_SESSION_set1_master_key(session, reinterpret_cast<const unsigned char *>(key.constData()), size_t(key.size()))
                    && SSL_SESSION_set_cipher(session, SSL_CIPHER_find(ssl, suite))
                    && SSL_SESSION_set_protocol_version(session, TLS1_3_VERSION));
        BIO *bio = BIO_new_file(QFile::encodeName(sessionFile).constData(), "w");
        ASSERT_TRUE(bio && PEM_write_bio_SSL_SESSION(bio, session));
        BIO_free(bio);
        SSL_SESSION_free(session);
        SSL_free(ssl);
        SSL_CTX_free(ctx);
    }
    PeerProcess peer;
    const quint16 port = peer.startOpenSslServer(
            {QStringLiteral("-nocert"), QStringLiteral("-psk_session"), sessionFile,
             QStringLiteral("-psk_identity"), QString::fromLatin1(kIdentity),
             QStringLiteral("-ciphersuites"), QStringLiteral("TLS_AES_256_GCM_SHA384")});
    ASSERT_NE(port, 0) << peer.output().constData();
    const Outcome outcome = runClient(port, true, kKeyHex, kIdentity, [](QSslConfiguration &c) {
        c.setCiphers(QStringLiteral("TLS_AES_256_GCM_SHA384"));
    });
    EXPECT_TRUE(outcome.encrypted) << outcome.errorString.toStdString();
    EXPECT_EQ(outcome.cipher, QStringLiteral("TLS_AES_256_GCM_SHA384"));
    EXPECT_EQ(outcome.asked.size(), 1u);
}

TEST_F(Tls13PskSocket, WrongKeyAgainstOpenSslServerGetsIllegalParameter)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    PeerProcess peer;
    const quint16 port = peer.startOpenSslServer(pskServerArguments({QStringLiteral("-tls1_3")}));
    ASSERT_NE(port, 0);
    const Outcome outcome = runClient(port, true, QByteArrayLiteral("ffeeddccbbaa99887766554433221100"));
    EXPECT_FALSE(outcome.encrypted);
    EXPECT_EQ(outcome.errors, std::vector<QAbstractSocket::SocketError>{QAbstractSocket::SslHandshakeFailedError});
    EXPECT_EQ(outcome.alertsReceived, std::vector<QSsl::AlertType>{QSsl::AlertType::IllegalParameter});
    EXPECT_EQ(outcome.asked.size(), 1u);
}

TEST_F(Tls13PskSocket, UnknownIdentityAgainstOpenSslServerGetsHandshakeFailure)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    PeerProcess peer;
    const quint16 port = peer.startOpenSslServer(pskServerArguments({QStringLiteral("-tls1_3")}));
    ASSERT_NE(port, 0);
    const Outcome outcome = runClient(port, true, kKeyHex, QByteArrayLiteral("nobody"));
    EXPECT_FALSE(outcome.encrypted);
    EXPECT_EQ(outcome.alertsReceived, std::vector<QSsl::AlertType>{QSsl::AlertType::HandshakeFailure});
    EXPECT_EQ(outcome.asked.size(), 1u);
}

// As Qt: the first ClientHello offers no TLS 1.3 PSK, so a TLS 1.2 server's hint reaches the one
// emission.
TEST_F(Tls13PskSocket, Tls12OpenSslServerWithHintAsksOnceWithTheHint)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    PeerProcess peer;
    const quint16 port = peer.startOpenSslServer(pskServerArguments(
            {QStringLiteral("-tls1_2"), QStringLiteral("-cipher"), QStringLiteral("kPSK"),
             QStringLiteral("-psk_hint"), QStringLiteral("H")}));
    ASSERT_NE(port, 0);
    const Outcome outcome = runClient(port, true);
    EXPECT_TRUE(outcome.encrypted) << outcome.errorString.toStdString();
    EXPECT_EQ(outcome.protocol, QSsl::TlsV1_2);
    ASSERT_EQ(outcome.asked.size(), 1u);
    EXPECT_EQ(outcome.asked[0].identityHint(), QByteArray("H"));
}

TEST_F(Tls13PskSocket, Tls12OpenSslServerWithoutHintAsksOnce)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    PeerProcess peer;
    const quint16 port = peer.startOpenSslServer(pskServerArguments(
            {QStringLiteral("-tls1_2"), QStringLiteral("-cipher"), QStringLiteral("kPSK")}));
    ASSERT_NE(port, 0);
    const Outcome outcome = runClient(port, true);
    EXPECT_TRUE(outcome.encrypted) << outcome.errorString.toStdString();
    EXPECT_EQ(outcome.protocol, QSsl::TlsV1_2);
    EXPECT_EQ(outcome.asked.size(), 1u);
}

TEST_F(Tls13PskSocket, QtCompatibleModeFailsLikeQtAndSaysWhy)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    PeerProcess peer;
    const quint16 port = peer.startOpenSslServer(pskServerArguments({}));
    ASSERT_NE(port, 0);
    const Outcome outcome = runClient(port, true, kKeyHex, kIdentity, [](QSslConfiguration &c) {
        c.setTls13PreSharedKeyMode(QSsl::Tls13PreSharedKeyMode::QtCompatible);
    });
    EXPECT_FALSE(outcome.encrypted);
    EXPECT_EQ(outcome.asked.size(), 0u);
    EXPECT_EQ(outcome.alertsReceived, std::vector<QSsl::AlertType>{QSsl::AlertType::HandshakeFailure});
    EXPECT_TRUE(outcome.errorString.startsWith(QStringLiteral("Error during SSL handshake: ")));
    EXPECT_TRUE(outcome.errorString.contains(
            QStringLiteral("QSsl::Tls13PreSharedKeyMode::QtCompatible and QT_USE_TLS_1_3_PSK unset")))
            << outcome.errorString.toStdString();
}

TEST_F(Tls13PskSocket, AutomaticWithoutSlotBehavesLikeQtAndSaysWhy)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    PeerProcess peer;
    const quint16 port = peer.startOpenSslServer(pskServerArguments({}));
    ASSERT_NE(port, 0);
    const Outcome outcome = runClient(port, false);
    EXPECT_FALSE(outcome.encrypted);
    EXPECT_TRUE(outcome.errorString.contains(QStringLiteral("without a connected")))
            << outcome.errorString.toStdString();
}

TEST_F(Tls13PskSocket, AlwaysModeOffersWithTheVariableUnset)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    PeerProcess peer;
    const quint16 port = peer.startOpenSslServer(pskServerArguments({QStringLiteral("-tls1_3")}));
    ASSERT_NE(port, 0);
    const Outcome outcome = runClient(port, true, kKeyHex, kIdentity, [](QSslConfiguration &c) {
        c.setTls13PreSharedKeyMode(QSsl::Tls13PreSharedKeyMode::Always);
    });
    EXPECT_TRUE(outcome.encrypted) << outcome.errorString.toStdString();
    EXPECT_EQ(outcome.asked.size(), 1u);
}

TEST_F(Tls13PskSocket, CertificateServerWithoutPskStillCompletesTheOrdinaryHandshake)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString certificate = dir.filePath(QStringLiteral("cert.pem"));
    const QString key = dir.filePath(QStringLiteral("key.pem"));
    QProcess req;
    req.start(QStringLiteral("openssl"),
              {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
               QStringLiteral("ec"), QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:P-256"),
               QStringLiteral("-nodes"), QStringLiteral("-subj"), QStringLiteral("/CN=qtpsk-test"),
               QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-keyout"), key,
               QStringLiteral("-out"), certificate});
    ASSERT_TRUE(req.waitForFinished(20000) && req.exitCode() == 0) << req.readAllStandardError().constData();
    PeerProcess peer;
    const quint16 port = peer.startOpenSslServer({QStringLiteral("-cert"), certificate,
                                                  QStringLiteral("-key"), key});
    ASSERT_NE(port, 0) << peer.output().constData();
    const Outcome outcome = runClient(port, true);
    EXPECT_TRUE(outcome.encrypted) << outcome.errorString.toStdString();
    EXPECT_EQ(outcome.protocol, QSsl::TlsV1_3);
    EXPECT_TRUE(outcome.asked.empty()); // as Qt: no PSK is offered, nobody is asked
}

// Two QtPsk peers with default settings: the client's first ClientHello is Qt's (no TLS 1.3 PSK),
// and the server takes TLS 1.2 for it: one emission on each side, the hint included, no failure.
TEST_F(Tls13PskSocket, QtPskClientAndServerWithDefaultSettingsUseTls12PskWithOneEmissionEach)
{
    QSslServer server;
    QSslConfiguration serverConfiguration = QSslConfiguration::defaultConfiguration();
    serverConfiguration.setPreSharedKeyIdentityHint("server hint");
    server.setSslConfiguration(serverConfiguration);
    int serverAsked = 0;
    int serverErrors = 0;
    QByteArray identitySeen;
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [&](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         ++serverAsked;
                         identitySeen = authenticator->identity();
                         authenticator->setPreSharedKey(QByteArray::fromHex(kKeyHex));
                     });
    QObject::connect(&server, &QSslServer::errorOccurred, &server,
                     [&](QSslSocket *, QAbstractSocket::SocketError) { ++serverErrors; });
    ASSERT_TRUE(server.listen(QHostAddress(QStringLiteral("127.0.0.1")), 0));
    const Outcome outcome = runClient(server.serverPort(), true);
    EXPECT_TRUE(outcome.encrypted) << outcome.errorString.toStdString();
    EXPECT_EQ(outcome.protocol, QSsl::TlsV1_2);
    ASSERT_EQ(outcome.asked.size(), 1u);
    EXPECT_EQ(outcome.asked[0].identityHint(), QByteArray("server hint"));
    EXPECT_EQ(serverAsked, 1);
    EXPECT_EQ(serverErrors, 0);
    EXPECT_EQ(identitySeen, kIdentity);
}

// A QtPsk server limited to TLS 1.3: the default client's Qt-style ClientHello is refused, the
// client connects again at once, offering the PSK (one emission, TLS 1.3); the server sees that
// first attempt fail. The peer is remembered: the next connection offers the PSK at once.
TEST_F(Tls13PskSocket, DefaultClientConnectsAgainOnceToATls13OnlyServerAndRemembersIt)
{
    QSslServer server;
    QSslConfiguration serverConfiguration = QSslConfiguration::defaultConfiguration();
    serverConfiguration.setProtocol(QSsl::TlsV1_3);
    server.setSslConfiguration(serverConfiguration);
    int serverAsked = 0;
    int serverErrors = 0;
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [&](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         ++serverAsked;
                         authenticator->setPreSharedKey(QByteArray::fromHex(kKeyHex));
                     });
    QObject::connect(&server, &QSslServer::errorOccurred, &server,
                     [&](QSslSocket *, QAbstractSocket::SocketError) { ++serverErrors; });
    ASSERT_TRUE(server.listen(QHostAddress(QStringLiteral("127.0.0.1")), 0));

    const Outcome first = runClient(server.serverPort(), true);
    EXPECT_TRUE(first.encrypted) << first.errorString.toStdString();
    EXPECT_TRUE(first.errors.empty());
    EXPECT_TRUE(first.alertsReceived.empty()); // the refusal is not the application's business
    EXPECT_EQ(first.protocol, QSsl::TlsV1_3);
    ASSERT_EQ(first.asked.size(), 1u);
    EXPECT_TRUE(first.asked[0].identityHint().isNull());
    EXPECT_TRUE(waitUntil([&] { return serverErrors == 1; }, 10000)); // the refused attempt
    EXPECT_EQ(serverAsked, 1);

    const Outcome second = runClient(server.serverPort(), true);
    EXPECT_TRUE(second.encrypted) << second.errorString.toStdString();
    EXPECT_EQ(second.protocol, QSsl::TlsV1_3);
    EXPECT_EQ(second.asked.size(), 1u);
    QCoreApplication::processEvents();
    EXPECT_EQ(serverErrors, 1); // offered at once this time
    EXPECT_EQ(serverAsked, 2);
}

// Without a slot there is nobody to answer a second ClientHello: the refusal is reported, with
// the explanation, as before.
TEST_F(Tls13PskSocket, DefaultClientWithoutSlotReportsTheRefusalOfATls13OnlyServer)
{
    QSslServer server;
    QSslConfiguration serverConfiguration = QSslConfiguration::defaultConfiguration();
    serverConfiguration.setProtocol(QSsl::TlsV1_3);
    server.setSslConfiguration(serverConfiguration);
    ASSERT_TRUE(server.listen(QHostAddress(QStringLiteral("127.0.0.1")), 0));
    const Outcome outcome = runClient(server.serverPort(), false);
    EXPECT_FALSE(outcome.encrypted);
    EXPECT_EQ(outcome.errors, std::vector<QAbstractSocket::SocketError>{QAbstractSocket::SslHandshakeFailedError});
    EXPECT_EQ(outcome.alertsReceived, std::vector<QSsl::AlertType>{QSsl::AlertType::HandshakeFailure});
    EXPECT_TRUE(outcome.errorString.contains(QLatin1String("no pre-shared key was offered")))
            << outcome.errorString.toStdString();
}

// Tls13PreSharedKeyMode::Always offers the PSK at once, so two QtPsk peers use TLS 1.3.
TEST_F(Tls13PskSocket, AlwaysModeClientAndDefaultServerUseTls13Psk)
{
    QSslServer server;
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [&](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         authenticator->setPreSharedKey(QByteArray::fromHex(kKeyHex));
                     });
    ASSERT_TRUE(server.listen(QHostAddress(QStringLiteral("127.0.0.1")), 0));
    const Outcome outcome = runClient(server.serverPort(), true, kKeyHex, kIdentity,
                                      [](QSslConfiguration &configuration) {
                                          configuration.setTls13PreSharedKeyMode(
                                                  QSsl::Tls13PreSharedKeyMode::Always);
                                      });
    EXPECT_TRUE(outcome.encrypted) << outcome.errorString.toStdString();
    EXPECT_EQ(outcome.protocol, QSsl::TlsV1_3);
    EXPECT_EQ(outcome.asked.size(), 1u);
}
