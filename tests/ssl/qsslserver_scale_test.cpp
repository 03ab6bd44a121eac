// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// One QSslServer in one process holds 1000 concurrent PSK connections from QtPsk clients on
// loopback: every one encrypted and echoed, then everything shut down (leaks show up under
// LeakSanitizer in the ASan run).
#include <QSslServer>

#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslSocket>

#include <gtest/gtest.h>


#include <memory>
#include <vector>

#include "common/pskconfiguration.h"
#include "common/testsupport.h"

namespace {

constexpr int ConnectionCount = 1000;
const QByteArray Key = QByteArray::fromHex("00112233445566778899aabbccddeeff");


using QtPskTest::pskConfiguration; // TLS 1.2, PSK-AES128-GCM-SHA256

} // namespace

TEST(QSslServerScale, HoldsAThousandConcurrentPskConnectionsAndEchoesOnEach)
{
    // Two descriptors a connection (client and server side) plus some for the process.
    ASSERT_TRUE(QtPskTest::raiseDescriptorLimit(2 * ConnectionCount + 256))
            << "raise the descriptor limit (ulimit -n) to at least " << 2 * ConnectionCount + 256;

    QSslServer server;
    QSslConfiguration serverConfiguration = pskConfiguration();
    serverConfiguration.setPreSharedKeyIdentityHint("scale");
    server.setSslConfiguration(serverConfiguration);
    server.setMaxPendingConnections(ConnectionCount);
    int serverPskRequests = 0;
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [&](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         ++serverPskRequests;
                         if (authenticator->identity().startsWith("client-"))
                             authenticator->setPreSharedKey(Key);
                     });
    int serverErrors = 0;
    QObject::connect(&server, &QSslServer::errorOccurred, &server,
                     [&](QSslSocket *, QAbstractSocket::SocketError) { ++serverErrors; });
    std::vector<QSslSocket *> accepted;
    QObject::connect(&server, &QTcpServer::pendingConnectionAvailable, &server, [&] {
        while (QTcpSocket *plain = server.nextPendingConnection()) {
            auto *socket = qobject_cast<QSslSocket *>(plain);
            ASSERT_NE(socket, nullptr);
            ASSERT_TRUE(socket->isEncrypted());
            accepted.push_back(socket);
            QObject::connect(socket, &QIODevice::readyRead, socket,
                             [socket] { socket->write(socket->readAll()); });
        }
    });
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0)) << server.errorString().toStdString();

    std::vector<std::unique_ptr<QSslSocket>> clients;
    std::vector<QByteArray> received(ConnectionCount);
    int encrypted = 0;
    int clientErrors = 0;
    for (int i = 0; i < ConnectionCount; ++i) {
        auto client = std::make_unique<QSslSocket>();
        client->setSslConfiguration(pskConfiguration());
        const QByteArray identity = "client-" + QByteArray::number(i);
        QObject::connect(client.get(), &QSslSocket::preSharedKeyAuthenticationRequired, client.get(),
                         [identity](QSslPreSharedKeyAuthenticator *authenticator) {
                             authenticator->setIdentity(identity);
                             authenticator->setPreSharedKey(Key);
                         });
        QSslSocket *raw = client.get();
        QObject::connect(raw, &QSslSocket::encrypted, raw, [&encrypted, raw, i] {
            ++encrypted;
            raw->write("message " + QByteArray::number(i) + '\n');
        });
        QObject::connect(raw, &QIODevice::readyRead, raw,
                         [&received, raw, i] { received[size_t(i)] += raw->readAll(); });
        QObject::connect(raw, &QAbstractSocket::errorOccurred, raw,
                         [&clientErrors](QAbstractSocket::SocketError) { ++clientErrors; });
        client->connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.serverPort());
        clients.push_back(std::move(client));
        if (i % 100 == 99) // let the listen backlog drain now and then
            QtPskTest::waitUntil([&] { return encrypted > i - 50 || clientErrors > 0; }, 20000);
    }

    const auto allEchoed = [&] {
        for (int i = 0; i < ConnectionCount; ++i) {
            if (received[size_t(i)] != "message " + QByteArray::number(i) + '\n')
                return false;
        }
        return true;
    };
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return allEchoed() || clientErrors > 0; }, 60000))
            << "encrypted " << encrypted << " accepted " << accepted.size();
    EXPECT_EQ(clientErrors, 0);
    EXPECT_EQ(serverErrors, 0);
    EXPECT_EQ(encrypted, ConnectionCount);
    EXPECT_EQ(int(accepted.size()), ConnectionCount);
    EXPECT_EQ(serverPskRequests, ConnectionCount);
    EXPECT_TRUE(allEchoed());
    int concurrentlyConnected = 0;
    for (const auto &client : clients)
        concurrentlyConnected += client->state() == QAbstractSocket::ConnectedState ? 1 : 0;
    EXPECT_EQ(concurrentlyConnected, ConnectionCount); // all held open at the same time

    // Orderly shutdown: clients close (close_notify), the server side sees them go.
    int serverDisconnected = 0;
    for (QSslSocket *socket : accepted)
        QObject::connect(socket, &QAbstractSocket::disconnected, socket,
                         [&serverDisconnected] { ++serverDisconnected; });
    for (const auto &client : clients)
        client->disconnectFromHost();
    EXPECT_TRUE(QtPskTest::waitUntil([&] { return serverDisconnected == ConnectionCount; }, 30000))
            << serverDisconnected;
    clients.clear();
    server.close();
}
