// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QSslServer>

#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>

#include <gtest/gtest.h>

#include <QtCore/qelapsedtimer.h>

#include <memory>
#include <vector>

#include "common/pskconfiguration.h"
#include "common/rawpeer.h"
#include "common/testsupport.h"

namespace {

const QByteArray Key = QByteArray::fromHex("1a2b3c4d5e6f");

QSslConfiguration pskConfiguration()
{
    return QtPskTest::pskConfiguration(QSsl::TlsV1_2, QStringLiteral("PSK-AES256-CBC-SHA"));
}

// A plain TCP connection that sends nothing: a client stuck before its handshake.
using IdleTcpClient = QtPskTest::RawConnection;

struct PskServerFixture
{
    QSslServer server;
    int pskRequests = 0;
    std::vector<QAbstractSocket::SocketError> errors;
    std::vector<QString> errorStrings;

    PskServerFixture()
    {
        server.setSslConfiguration(pskConfiguration());
        QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                         [this](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                             ++pskRequests;
                             authenticator->setPreSharedKey(Key);
                         });
        QObject::connect(&server, &QSslServer::errorOccurred, &server,
                         [this](QSslSocket *socket, QAbstractSocket::SocketError error) {
                             errors.push_back(error);
                             errorStrings.push_back(socket->errorString());
                         });
    }
};

// Connects a PSK client; true once it is encrypted.
bool connectPskClient(QSslSocket &client, quint16 port)
{
    client.setSslConfiguration(pskConfiguration());
    QObject::connect(&client, &QSslSocket::preSharedKeyAuthenticationRequired, &client,
                     [](QSslPreSharedKeyAuthenticator *authenticator) {
                         authenticator->setIdentity("Client_identity");
                         authenticator->setPreSharedKey(Key);
                     });
    client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    return QtPskTest::waitUntil([&] { return client.isEncrypted(); }, 10000);
}

} // namespace

TEST(QSslServer, DefaultsMatchQt)
{
    QSslServer server;
    EXPECT_EQ(server.handshakeTimeout(), 5000);
    EXPECT_EQ(server.maxPendingConnections(), 30);
    EXPECT_EQ(server.sslConfiguration(), QSslConfiguration::defaultConfiguration());
    server.setHandshakeTimeout(-1); // refused with a warning
    EXPECT_EQ(server.handshakeTimeout(), 5000);
}

TEST(QSslServer, StalledHandshakeEndsWithATimeoutErrorAndTheServerKeepsServing)
{
    PskServerFixture fixture;
    fixture.server.setHandshakeTimeout(300);
    ASSERT_TRUE(fixture.server.listen(QHostAddress::LocalHost, 0));

    QElapsedTimer timer;
    timer.start();
    IdleTcpClient idle(fixture.server.serverPort());
    ASSERT_TRUE(idle.isOpen());
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return !fixture.errors.empty(); }, 5000));
    EXPECT_GE(timer.elapsed(), 250);
    ASSERT_EQ(fixture.errors.size(), 1u);
    EXPECT_EQ(fixture.errors.front(), QAbstractSocket::SocketTimeoutError);
    EXPECT_EQ(fixture.errorStrings.front(), QStringLiteral("The TLS handshake did not complete in time"));
    EXPECT_FALSE(fixture.server.hasPendingConnections());
    EXPECT_EQ(fixture.pskRequests, 0);

    // A good client still gets served. The time-out goes back to its default first: 300 ms would
    // also end a good handshake on a slow machine or under valgrind.
    fixture.server.setHandshakeTimeout(5000);
    QSslSocket client;
    EXPECT_TRUE(connectPskClient(client, fixture.server.serverPort()));
    EXPECT_TRUE(QtPskTest::waitUntil([&] { return fixture.server.hasPendingConnections(); }));
    EXPECT_EQ(fixture.pskRequests, 1);
}

// Qt 6.4 defect (spec Appendix B): half-open connections count against maxPendingConnections
// and starve the server until the handshake timeout clears them. QtPsk must keep serving.
TEST(QSslServer, HalfOpenConnectionsDoNotStarveNewClients)
{
    PskServerFixture fixture;
    fixture.server.setHandshakeTimeout(60000); // the idle clients stay for the whole test
    ASSERT_TRUE(fixture.server.listen(QHostAddress::LocalHost, 0));
    std::vector<std::unique_ptr<IdleTcpClient>> idle;
    for (int i = 0; i < 40; ++i) {
        idle.push_back(std::make_unique<IdleTcpClient>(fixture.server.serverPort()));
        ASSERT_TRUE(idle.back()->isOpen());
    }

    QElapsedTimer timer;
    timer.start();
    QSslSocket client;
    ASSERT_TRUE(connectPskClient(client, fixture.server.serverPort()));
    EXPECT_TRUE(QtPskTest::waitUntil([&] { return fixture.server.hasPendingConnections(); }));
    EXPECT_LT(timer.elapsed(), 30000); // served long before the 60 s handshake timeout
    EXPECT_TRUE(fixture.errors.empty());
}

TEST(QSslServer, HandsOutOnlyEncryptedSocketsAndStopsForwardingTheirSignals)
{
    PskServerFixture fixture;
    int pending = 0;
    QObject::connect(&fixture.server, &QTcpServer::pendingConnectionAvailable, &fixture.server,
                     [&] { ++pending; });
    int started = 0;
    QObject::connect(&fixture.server, &QSslServer::startedEncryptionHandshake, &fixture.server,
                     [&](QSslSocket *socket) {
                         ++started;
                         EXPECT_EQ(socket->mode(), QSslSocket::SslServerMode); // as Qt: the handshake runs
                         EXPECT_EQ(socket->parent(), &fixture.server);
                     });
    int alerts = 0;
    QObject::connect(&fixture.server, &QSslServer::alertReceived, &fixture.server,
                     [&](QSslSocket *, QSsl::AlertLevel, QSsl::AlertType, const QString &) { ++alerts; });
    ASSERT_TRUE(fixture.server.listen(QHostAddress::LocalHost, 0));

    QSslSocket client;
    ASSERT_TRUE(connectPskClient(client, fixture.server.serverPort()));
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return pending == 1; }));
    auto *accepted = qobject_cast<QSslSocket *>(fixture.server.nextPendingConnection());
    ASSERT_NE(accepted, nullptr);
    EXPECT_TRUE(accepted->isEncrypted());
    EXPECT_EQ(accepted->mode(), QSslSocket::SslServerMode);
    EXPECT_EQ(accepted->sessionProtocol(), QSsl::TlsV1_2);
    EXPECT_EQ(accepted->sessionCipher().name(), QStringLiteral("PSK-AES256-CBC-SHA"));
    EXPECT_EQ(started, 1);

    // The client's close_notify reaches the accepted socket, not the server's forwarding signals.
    int acceptedAlerts = 0;
    QObject::connect(accepted, &QSslSocket::alertReceived, accepted,
                     [&](QSsl::AlertLevel level, QSsl::AlertType type, const QString &) {
                         ++acceptedAlerts;
                         EXPECT_EQ(level, QSsl::AlertLevel::Warning);
                         EXPECT_EQ(type, QSsl::AlertType::CloseNotify);
                     });
    client.disconnectFromHost();
    EXPECT_TRUE(QtPskTest::waitUntil([&] { return accepted->state() == QAbstractSocket::UnconnectedState; }));
    EXPECT_EQ(acceptedAlerts, 1);
    EXPECT_EQ(alerts, 0);
    EXPECT_TRUE(fixture.errors.empty());
}

// As Qt: a plain connectToHost() after an encrypted connection stays plain; the earlier
// connectToHostEncrypted() does not leave the handshake switched on.
TEST(QSslSocket, PlainConnectAfterAnEncryptedConnectionStaysPlain)
{
    PskServerFixture fixture;
    ASSERT_TRUE(fixture.server.listen(QHostAddress::LocalHost, 0));
    QSslSocket client;
    ASSERT_TRUE(connectPskClient(client, fixture.server.serverPort()));
    client.abort();

    QTcpServer plainServer;
    ASSERT_TRUE(plainServer.listen(QHostAddress::LocalHost, 0));
    int pskRequests = 0;
    QObject::connect(&client, &QSslSocket::preSharedKeyAuthenticationRequired, &client,
                     [&pskRequests] { ++pskRequests; });
    client.connectToHost(QStringLiteral("127.0.0.1"), plainServer.serverPort());
    ASSERT_TRUE(client.waitForConnected(10000));
    EXPECT_EQ(client.mode(), QSslSocket::UnencryptedMode);
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return plainServer.hasPendingConnections(); }));
    std::unique_ptr<QTcpSocket> peer(plainServer.nextPendingConnection());
    ASSERT_TRUE(peer);
    client.write("plain\n");
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return peer->canReadLine(); }));
    EXPECT_EQ(peer->readLine(), QByteArray("plain\n")); // no ClientHello in front of it
    EXPECT_FALSE(client.isEncrypted());
    EXPECT_EQ(pskRequests, 0);
}
