// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QtPsk's PSK servers against a real, independent client: `openssl s_client -psk <hex>
// -psk_identity <id>` (spec qt-psk-behaviour.md §2.3, §2.4, §2.8; peers.md). Both server styles run
// every scenario: a QSslServer, and a QTcpServer subclass that wraps each descriptor in a QSslSocket
// and calls startServerEncryption() itself. TLS 1.2 with plain PSK, ECDHE-PSK and DHE-PSK suites and
// TLS 1.3 (s_client offers its external PSK with TLS_AES_128_GCM_SHA256), then the failures: a wrong
// key (the server sends bad_record_mac in TLS 1.2, illegal_parameter in TLS 1.3) and an identity the
// slot does not know (no key: unknown_psk_identity in TLS 1.2).
#include <QSslServer>

#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslSocket>
#include <QTcpServer>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qpointer.h>

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "common/testrows.h"
#include "common/psktcpserver.h"
#include "common/testsupport.h"

QTPSK_USE_NAMESPACE // a no-op unless the build uses -DQTPSK_NAMESPACE

using QtPskTest::PeerProcess;
using QtPskTest::waitUntil;

namespace {

const QByteArray keyHex = QByteArrayLiteral("1a2b3c4d5e6f");
const QByteArray wrongKeyHex = QByteArrayLiteral("6f5e4d3c2b1a");
const QByteArray serverHint = QByteArrayLiteral("QtTestServerHint");
const QByteArray knownIdentity = QByteArrayLiteral("Client_identity");
const QByteArray ping = QByteArrayLiteral("ping\n");
const QByteArray pong = QByteArrayLiteral("pong\n");
const QString handshakePrefix = QStringLiteral("Error during SSL handshake: ");
constexpr int timeoutMs = 15000;

enum class ServerKind { SslServer, TcpServerSubclass };

std::string serverKindName(ServerKind kind)
{
    return kind == ServerKind::SslServer ? "QSslServer" : "QTcpServerSubclass";
}

// One s_client run and what it must lead to.
struct Scenario
{
    std::string name;
    QStringList protocolArguments;  // -tls1_2 -cipher ..., or -tls1_3
    QSsl::SslProtocol serverProtocol = QSsl::TlsV1_2;
    QByteArray clientKeyHex = keyHex;
    QByteArray clientIdentity = knownIdentity;
    // Expectations.
    bool success = true;
    QString cipher;              // negotiated suite (successes)
    QSsl::SslProtocol protocol = QSsl::TlsV1_2;
    int serverAlert = 0;         // the fatal alert the server sends (failures)
    QString serverErrorDetail;   // in the server's errorString() (failures)
    bool hintOnTheWire = true;   // TLS 1.2 only: s_client prints the server's hint
};

std::vector<Scenario> scenarios()
{
    std::vector<Scenario> list;
    auto add = [&list](const char *name) -> Scenario & { return QtPskTest::addRow(list, name); };
    const auto tls12 = [](const char *cipher) {
        return QStringList{QStringLiteral("-tls1_2"), QStringLiteral("-cipher"),
                           QString::fromLatin1(cipher)};
    };
    {
        Scenario &s = add("Tls12Psk");
        s.protocolArguments = tls12("PSK-AES256-CBC-SHA");
        s.cipher = QStringLiteral("PSK-AES256-CBC-SHA");
    }
    {
        Scenario &s = add("Tls12EcdhePsk");
        s.protocolArguments = tls12("ECDHE-PSK-CHACHA20-POLY1305");
        s.cipher = QStringLiteral("ECDHE-PSK-CHACHA20-POLY1305");
    }
    {
        Scenario &s = add("Tls12DhePsk");
        s.protocolArguments = tls12("DHE-PSK-AES256-GCM-SHA384");
        s.cipher = QStringLiteral("DHE-PSK-AES256-GCM-SHA384");
    }
    {   // s_client binds its external PSK to TLS_AES_128_GCM_SHA256, i.e. to SHA-256. A server
        // without a certificate that has a PSK callback makes OpenSSL prefer SHA-256 suites, and
        // s_client's first SHA-256 suite is ChaCha20 (measured). There is no hint in TLS 1.3.
        Scenario &s = add("Tls13");
        s.protocolArguments = QStringList{QStringLiteral("-tls1_3")};
        s.serverProtocol = QSsl::SecureProtocols;
        s.cipher = QStringLiteral("TLS_CHACHA20_POLY1305_SHA256");
        s.protocol = QSsl::TlsV1_3;
        s.hintOnTheWire = false;
    }
    {
        Scenario &s = add("Tls12WrongKeyServerSendsBadRecordMac");
        s.protocolArguments = tls12("PSK-AES256-CBC-SHA");
        s.clientKeyHex = wrongKeyHex;
        s.success = false;
        s.serverAlert = 20;
        s.serverErrorDetail = QStringLiteral("decryption failed or bad record mac");
    }
    {
        Scenario &s = add("Tls13WrongKeyServerSendsIllegalParameter");
        s.protocolArguments = QStringList{QStringLiteral("-tls1_3")};
        s.serverProtocol = QSsl::SecureProtocols;
        s.clientKeyHex = wrongKeyHex;
        s.success = false;
        s.protocol = QSsl::TlsV1_3;
        s.serverAlert = 47;
        s.serverErrorDetail = QStringLiteral("binder does not verify");
        s.hintOnTheWire = false;
    }
    {   // The slot leaves the key empty for an identity it does not know.
        Scenario &s = add("Tls12UnknownIdentityServerSendsUnknownPskIdentity");
        s.protocolArguments = tls12("PSK-AES256-CBC-SHA");
        s.clientIdentity = QByteArrayLiteral("Somebody_else");
        s.success = false;
        s.serverAlert = 115;
        s.serverErrorDetail = QStringLiteral("psk identity not found");
    }
    return list;
}

// Readable CTest names: GoogleTest prints a parameter with these.
void PrintTo(const Scenario &scenario, std::ostream *os)
{
    *os << scenario.name;
}

void PrintTo(ServerKind kind, std::ostream *os)
{
    *os << serverKindName(kind);
}

// What the PSK slot saw on one call.
struct SlotCall
{
    QByteArray identityHint;
    QByteArray identity;
    int maximumIdentityLength = -1;
    int maximumPreSharedKeyLength = -1;
};

// Everything the server side showed. For QSslServer the handshake signals are QSslServer's own
// (each carrying the socket); for the QTcpServer subclass they are the socket's.
struct ServerSide
{
    std::vector<SlotCall> slotCalls;
    int pskSignals = 0;
    std::vector<int> fatalAlertsSent;
    std::vector<int> fatalAlertsReceived;
    std::vector<QAbstractSocket::SocketError> errors;
    std::vector<QString> errorStrings;
    int encrypted = 0;
    int pendingConnectionAvailable = 0; // QSslServer only
    QString cipher;
    QSsl::SslProtocol protocol = QSsl::UnknownProtocol;
    QByteArray received;

    void recordAlert(std::vector<int> &alerts, QSsl::AlertLevel level, QSsl::AlertType type)
    {
        if (level == QSsl::AlertLevel::Fatal)
            alerts.push_back(int(type));
    }
    void recordError(QSslSocket *socket, QAbstractSocket::SocketError error)
    {
        errors.push_back(error);
        errorStrings.push_back(socket->errorString());
    }
    void recordEncrypted(QSslSocket *socket)
    {
        ++encrypted;
        cipher = socket->sessionCipher().name();
        protocol = socket->sessionProtocol();
    }
    // Answers the line "ping\n" with "pong\n" and closes.
    void echo(QSslSocket *socket)
    {
        received += socket->readAll();
        if (received.endsWith('\n')) {
            socket->write(pong);
            socket->disconnectFromHost();
        }
    }
};

using QtPskTest::PskTcpServer;

class QSslServerOpenSslClient
    : public ::testing::TestWithParam<std::tuple<Scenario, ServerKind>>
{
};

} // namespace

TEST_P(QSslServerOpenSslClient, ScenarioEndsAsOpenSslAndQtExpect)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    const Scenario &scenario = std::get<0>(GetParam());
    const ServerKind kind = std::get<1>(GetParam());

    // Default configuration (default ciphers, AutoVerifyPeer: no verification on a server), with
    // the scenario's protocol and the hint.
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setProtocol(scenario.serverProtocol);
    configuration.setPreSharedKeyIdentityHint(serverHint);

    ServerSide server;
    const auto slot = [&server](QSslPreSharedKeyAuthenticator *authenticator) {
        server.slotCalls.push_back({authenticator->identityHint(), authenticator->identity(),
                                    authenticator->maximumIdentityLength(),
                                    authenticator->maximumPreSharedKeyLength()});
        // The server application checks the identity; an unknown one gets no key.
        if (authenticator->identity() == knownIdentity)
            authenticator->setPreSharedKey(QByteArray::fromHex(keyHex));
    };

    std::unique_ptr<QSslServer> sslServer;
    std::unique_ptr<PskTcpServer> tcpServer;
    quint16 port = 0;
    if (kind == ServerKind::SslServer) {
        sslServer = std::make_unique<QSslServer>();
        QSslServer *s = sslServer.get();
        s->setSslConfiguration(configuration);
        QObject::connect(s, &QSslServer::preSharedKeyAuthenticationRequired, s,
                         [&](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                             ++server.pskSignals;
                             slot(authenticator);
                         });
        QObject::connect(s, &QSslServer::alertSent, s,
                         [&](QSslSocket *, QSsl::AlertLevel level, QSsl::AlertType type, const QString &) {
                             server.recordAlert(server.fatalAlertsSent, level, type);
                         });
        QObject::connect(s, &QSslServer::alertReceived, s,
                         [&](QSslSocket *, QSsl::AlertLevel level, QSsl::AlertType type, const QString &) {
                             server.recordAlert(server.fatalAlertsReceived, level, type);
                         });
        QObject::connect(s, &QSslServer::errorOccurred, s,
                         [&](QSslSocket *socket, QAbstractSocket::SocketError error) {
                             server.recordError(socket, error);
                         });
        QObject::connect(s, &QTcpServer::pendingConnectionAvailable, s, [&server, s] {
            ++server.pendingConnectionAvailable;
            auto *socket = qobject_cast<QSslSocket *>(s->nextPendingConnection());
            if (!socket)
                return;
            if (socket->isEncrypted())
                server.recordEncrypted(socket);
            QObject::connect(socket, &QIODevice::readyRead, socket,
                             [&server, socket] { server.echo(socket); });
            if (socket->bytesAvailable() > 0)
                server.echo(socket);
        });
        ASSERT_TRUE(s->listen(QHostAddress(QStringLiteral("127.0.0.1")), 0));
        port = s->serverPort();
    } else {
        tcpServer = std::make_unique<PskTcpServer>();
        tcpServer->configuration = configuration;
        tcpServer->prepare = [&](QSslSocket *socket) {
            QObject::connect(socket, &QSslSocket::preSharedKeyAuthenticationRequired, socket,
                             [&](QSslPreSharedKeyAuthenticator *authenticator) {
                                 ++server.pskSignals;
                                 slot(authenticator);
                             });
            QObject::connect(socket, &QSslSocket::alertSent, socket,
                             [&](QSsl::AlertLevel level, QSsl::AlertType type, const QString &) {
                                 server.recordAlert(server.fatalAlertsSent, level, type);
                             });
            QObject::connect(socket, &QSslSocket::alertReceived, socket,
                             [&](QSsl::AlertLevel level, QSsl::AlertType type, const QString &) {
                                 server.recordAlert(server.fatalAlertsReceived, level, type);
                             });
            QObject::connect(socket, &QAbstractSocket::errorOccurred, socket,
                             [&server, socket](QAbstractSocket::SocketError error) {
                                 server.recordError(socket, error);
                             });
            QObject::connect(socket, &QSslSocket::encrypted, socket,
                             [&server, socket] { server.recordEncrypted(socket); });
            QObject::connect(socket, &QIODevice::readyRead, socket,
                             [&server, socket] { server.echo(socket); });
        };
        ASSERT_TRUE(tcpServer->listen(QHostAddress(QStringLiteral("127.0.0.1")), 0));
        port = tcpServer->serverPort();
    }

    PeerProcess client;
    ASSERT_TRUE(client.start(QStringLiteral("openssl"),
                             QStringList{QStringLiteral("s_client"), QStringLiteral("-connect"),
                                         QStringLiteral("127.0.0.1:%1").arg(port),
                                         QStringLiteral("-psk"), QString::fromLatin1(scenario.clientKeyHex),
                                         QStringLiteral("-psk_identity"),
                                         QString::fromLatin1(scenario.clientIdentity)}
                                     + scenario.protocolArguments));
    client.writeToStdin(ping);

    const auto serverDone = [&] {
        return scenario.success ? server.received == ping : !server.errors.empty();
    };
    EXPECT_TRUE(waitUntil([&] { return !client.isRunning() && serverDone(); }, timeoutMs));
    QCoreApplication::processEvents();
    const QString output = QString::fromLatin1(client.output());
    SCOPED_TRACE("s_client printed:\n" + output.toStdString());
    SCOPED_TRACE(QStringLiteral("server: slot=%1 signals=%2 alertsSent=%3 errors=%4 encrypted=%5 '%6'")
                         .arg(server.slotCalls.size()).arg(server.pskSignals)
                         .arg(server.fatalAlertsSent.size()).arg(server.errors.size())
                         .arg(server.encrypted)
                         .arg(server.errorStrings.empty() ? QString() : server.errorStrings.front())
                         .toStdString());

    // The slot is asked exactly once, with the hint, the client's identity and the maxima.
    ASSERT_EQ(server.slotCalls.size(), 1u);
    EXPECT_EQ(server.pskSignals, 1);
    const SlotCall &call = server.slotCalls.front();
    EXPECT_EQ(call.identityHint, serverHint);
    EXPECT_EQ(call.identity, scenario.clientIdentity);
    EXPECT_EQ(call.maximumIdentityLength, 0);
    EXPECT_EQ(call.maximumPreSharedKeyLength, 512);
    EXPECT_TRUE(server.fatalAlertsReceived.empty());

    if (scenario.success) {
        EXPECT_TRUE(server.fatalAlertsSent.empty());
        EXPECT_TRUE(server.errors.empty());
        EXPECT_EQ(server.encrypted, 1);
        EXPECT_EQ(server.cipher, scenario.cipher);
        EXPECT_EQ(server.protocol, scenario.protocol);
        EXPECT_EQ(server.received, ping); // client -> server
        EXPECT_TRUE(output.contains(QString::fromLatin1(pong))); // server -> client
        EXPECT_TRUE(output.contains(QStringLiteral("Cipher is ") + scenario.cipher));
        EXPECT_TRUE(output.contains(scenario.protocol == QSsl::TlsV1_3 ? QStringLiteral("TLSv1.3")
                                                                       : QStringLiteral("TLSv1.2")));
        if (kind == ServerKind::SslServer) {
            EXPECT_EQ(server.pendingConnectionAvailable, 1);
        }
    } else {
        EXPECT_EQ(server.fatalAlertsSent, std::vector<int>{scenario.serverAlert});
        EXPECT_EQ(server.encrypted, 0);
        ASSERT_EQ(server.errors,
                  std::vector<QAbstractSocket::SocketError>{QAbstractSocket::SslHandshakeFailedError});
        EXPECT_TRUE(server.errorStrings.front().startsWith(handshakePrefix));
        EXPECT_TRUE(server.errorStrings.front().contains(scenario.serverErrorDetail));
        EXPECT_TRUE(output.contains(QStringLiteral("SSL alert number %1").arg(scenario.serverAlert)));
        EXPECT_FALSE(output.contains(QString::fromLatin1(pong)));
        if (kind == ServerKind::SslServer) {
            EXPECT_EQ(server.pendingConnectionAvailable, 0);
        }
    }
    // The hint reaches the client in TLS 1.2 only (s_client prints it with the session).
    if (scenario.success) {
        const QString hintLine = QStringLiteral("PSK identity hint: ") + QString::fromLatin1(serverHint);
        EXPECT_EQ(output.contains(hintLine + QLatin1Char('\n')), scenario.hintOnTheWire);
    }
}

INSTANTIATE_TEST_SUITE_P(
        Scenarios, QSslServerOpenSslClient,
        ::testing::Combine(::testing::ValuesIn(scenarios()),
                           ::testing::Values(ServerKind::SslServer, ServerKind::TcpServerSubclass)),
        [](const ::testing::TestParamInfo<QSslServerOpenSslClient::ParamType> &p) {
            return std::get<0>(p.param).name + "_" + serverKindName(std::get<1>(p.param));
        });
