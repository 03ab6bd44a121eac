// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// A stock Qt 6 client (qtnetwork_psk_client, built against the real Qt6::Network, default
// settings, QT_USE_TLS_1_3_PSK unset) against a QtPsk QSslServer with default settings: Qt's
// client offers TLS 1.3 without a PSK and TLS 1.2 PSK suites, and fails against Qt's own server
// (and any TLS 1.3 server without a certificate); QtPsk's server takes TLS 1.2 for it, so a server
// can move to QtPsk while its Qt clients stay unchanged.
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslServer>
#include <QSslSocket>

#include <QtCore/qcoreapplication.h>

#include <gtest/gtest.h>

#include "common/testsupport.h"

#if defined(QTPSK_NAMESPACE)
QTPSK_USE_NAMESPACE
#endif

namespace {

const QByteArray identity = QByteArrayLiteral("Client_identity");
const QByteArray keyHex = QByteArrayLiteral("1a2b3c4d5e6f");

struct ClientRun
{
    QString output;
    int serverEmissions = 0;
    int serverErrors = 0;
    QByteArray identitySeen;
};

ClientRun runQtClient(const QSslConfiguration &serverConfiguration)
{
    ClientRun run;
    QSslServer server;
    server.setSslConfiguration(serverConfiguration);
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [&](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         ++run.serverEmissions;
                         run.identitySeen = authenticator->identity();
                         authenticator->setPreSharedKey(QByteArray::fromHex(keyHex));
                     });
    QObject::connect(&server, &QSslServer::errorOccurred, &server,
                     [&](QSslSocket *, QAbstractSocket::SocketError) { ++run.serverErrors; });
    QObject::connect(&server, &QTcpServer::pendingConnectionAvailable, &server, [&] {
        while (QTcpSocket *socket = server.nextPendingConnection()) {
            QObject::connect(socket, &QIODevice::readyRead, socket, [socket] {
                if (socket->canReadLine())
                    socket->write(socket->readLine());
            });
            QObject::connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
        }
    });
    EXPECT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    QtPskTest::PeerProcess client;
    EXPECT_TRUE(client.start(QStringLiteral(QTPSK_QTNETWORK_PSK_CLIENT),
                             {QString::number(server.serverPort()), QString::fromLatin1(identity),
                              QString::fromLatin1(keyHex)}));
    EXPECT_TRUE(QtPskTest::waitUntil([&] { return !client.isRunning(); }, 30000));
    QCoreApplication::processEvents();
    run.output = QString::fromLatin1(client.output());
    return run;
}

} // namespace

TEST(QtNetworkClient, DefaultQtClientCompletesTls12PskWithADefaultQtPskServer)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPreSharedKeyIdentityHint("QtTestServerHint");
    const ClientRun run = runQtClient(configuration);
    SCOPED_TRACE(run.output.toStdString());
    EXPECT_EQ(run.output.count(QStringLiteral("emission ")), 1);
    EXPECT_TRUE(run.output.contains(QStringLiteral("emission hint=QtTestServerHint")));
    EXPECT_TRUE(run.output.contains(QStringLiteral("encrypted protocol=%1").arg(int(QSsl::TlsV1_2))));
    EXPECT_TRUE(run.output.contains(QStringLiteral("reply=ping")));
    EXPECT_FALSE(run.output.contains(QStringLiteral("error=13")));
    EXPECT_EQ(run.serverEmissions, 1);
    EXPECT_EQ(run.serverErrors, 0);
    EXPECT_EQ(run.identitySeen, identity);
}

// A server limited to TLS 1.3 cannot help a client that offers no TLS 1.3 PSK: it fails, as with
// Qt's server (the client sees handshake_failure; no emission on either side).
TEST(QtNetworkClient, DefaultQtClientFailsAgainstATls13OnlyQtPskServerAsAgainstQt)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setProtocol(QSsl::TlsV1_3);
    const ClientRun run = runQtClient(configuration);
    SCOPED_TRACE(run.output.toStdString());
    EXPECT_EQ(run.output.count(QStringLiteral("emission ")), 0);
    EXPECT_TRUE(run.output.contains(QStringLiteral("error=13")));
    EXPECT_EQ(run.serverEmissions, 0);
    EXPECT_EQ(run.serverErrors, 1);
}
