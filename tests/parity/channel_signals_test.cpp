// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QIODevice's channel signals on the sockets: each readyRead() is followed by channelReadyRead(0)
// and each bytesWritten(n) by channelBytesWritten(0, n), on a QTcpSocket and on a QSslSocket
// client with a PSK handshake. Built against real Qt6::Network (QTPSK_PARITY_AGAINST_QTNETWORK,
// the ground truth) and against QtPsk.
#include "paritysupport.h"

#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>

#include <QtCore/qobject.h>
#include <QtCore/qpointer.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/testsupport.h"

using namespace Parity;
using QtPskTest::waitUntil;

namespace {

constexpr int channelTimeoutMs = 10000;
const QByteArray payload(100000, 'x'); // several reads and writes

// The data signals of one socket, in order, as text.
struct ChannelLog
{
    std::vector<std::string> events;
    qint64 written = 0;
    qint64 channelWritten = 0;
    QByteArray received;

    void attach(QAbstractSocket *socket)
    {
        QObject::connect(socket, &QIODevice::readyRead, socket, [this, socket] {
            events.push_back("readyRead");
            received += socket->readAll();
        });
        QObject::connect(socket, &QIODevice::channelReadyRead, socket, [this](int channel) {
            events.push_back("channelReadyRead(" + std::to_string(channel) + ")");
        });
        QObject::connect(socket, &QIODevice::bytesWritten, socket, [this](qint64 bytes) {
            written += bytes;
            events.push_back("bytesWritten");
        });
        QObject::connect(socket, &QIODevice::channelBytesWritten, socket,
                         [this](int channel, qint64 bytes) {
                             channelWritten += bytes;
                             events.push_back("channelBytesWritten(" + std::to_string(channel)
                                              + ")");
                         });
    }
};

// Every readyRead is directly followed by channelReadyRead(0), every bytesWritten by
// channelBytesWritten(0), and no channel signal comes alone.
void expectPaired(const ChannelLog &log)
{
    int reads = 0;
    int writes = 0;
    for (size_t i = 0; i < log.events.size(); ++i) {
        const std::string &event = log.events[i];
        if (event == "readyRead" || event == "bytesWritten") {
            const std::string expected = event == "readyRead" ? "channelReadyRead(0)"
                                                                : "channelBytesWritten(0)";
            ASSERT_LT(i + 1, log.events.size()) << event << " is the last event";
            EXPECT_EQ(log.events[i + 1], expected) << "after event " << i;
            (event == "readyRead" ? reads : writes) += 1;
            ++i;
        } else {
            ADD_FAILURE() << "unpaired " << event << " at " << i;
        }
    }
    EXPECT_GT(reads, 0);
    EXPECT_GT(writes, 0);
    EXPECT_EQ(log.channelWritten, log.written);
}

// The server echoes everything back.
void echo(QTcpSocket *socket)
{
    QObject::connect(socket, &QIODevice::readyRead, socket,
                     [socket] { socket->write(socket->readAll()); });
}

} // namespace

TEST(ChannelSignals, TcpSocketPairsEachDataSignalWithItsChannelSignal)
{
    QTcpServer server;
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    QObject::connect(&server, &QTcpServer::newConnection, &server, [&server] {
        while (QTcpSocket *socket = server.nextPendingConnection())
            echo(socket);
    });
    QTcpSocket client;
    ChannelLog log;
    log.attach(&client);
    QObject::connect(&client, &QAbstractSocket::connected, &client,
                     [&client] { client.write(payload); });
    client.connectToHost(loopback(), server.serverPort());
    EXPECT_TRUE(waitUntil([&] { return log.received.size() >= payload.size(); }, channelTimeoutMs));
    EXPECT_EQ(log.received, payload);
    EXPECT_EQ(log.written, payload.size());
    expectPaired(log);
}

TEST(ChannelSignals, SslSocketPairsEachDataSignalWithItsChannelSignal)
{
    QSslServer server;
    server.setSslConfiguration(pskConfiguration(QStringLiteral("PSK-AES128-GCM-SHA256"),
                                                QSslSocket::VerifyNone));
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         authenticator->setPreSharedKey(key());
                     });
    QObject::connect(&server, &QTcpServer::pendingConnectionAvailable, &server, [&server] {
        while (QTcpSocket *socket = server.nextPendingConnection())
            echo(socket);
    });
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));

    QSslSocket client;
    client.setSslConfiguration(pskConfiguration(QStringLiteral("PSK-AES128-GCM-SHA256"),
                                                QSslSocket::VerifyNone));
    QObject::connect(&client, &QSslSocket::preSharedKeyAuthenticationRequired, &client,
                     [](QSslPreSharedKeyAuthenticator *authenticator) {
                         authenticator->setIdentity(identity());
                         authenticator->setPreSharedKey(key());
                     });
    ChannelLog log;
    log.attach(&client);
    QObject::connect(&client, &QSslSocket::encrypted, &client, [&client] { client.write(payload); });
    client.connectToHostEncrypted(loopback(), server.serverPort());
    EXPECT_TRUE(waitUntil([&] { return log.received.size() >= payload.size(); }, channelTimeoutMs));
    EXPECT_EQ(log.received, payload);
    EXPECT_EQ(log.written, payload.size());
    expectPaired(log);
}
