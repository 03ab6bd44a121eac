// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The built pskserver and pskclient never echo hostile bytes from the network raw (issue 14,
// item 6): a peer without the key sends an identity, a hint or a reply made of a terminal escape
// sequence, CR/LF and a forged log line; the program's output shows them escaped, and holds no
// ESC, no CR and no line the peer wrote. Each program runs as a child process (PeerProcess,
// stopped by PID), on loopback.
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslServer>
#include <QSslSocket>

#include <QtCore/qregularexpression.h>

#include <gtest/gtest.h>

#include "common/testsupport.h"

using QtPskTest::waitUntil;

namespace {

const QByteArray Key = QByteArray::fromHex("00112233445566778899aabbccddeeff");
const QByteArray Hostile = "\x1b[2J\r\nFAKE LOG LINE\x1b]0;pwned\x07";
const QString HostileShown = QStringLiteral("\\x1b[2J\\r\\nFAKE LOG LINE\\x1b]0;pwned\\x07");
// A reply is one line: its forgery uses CR alone (a terminal returns to the line's start).
const QByteArray HostileReply = "\x1b[2J\rFAKE LOG LINE\x1b]0;pwned\x07";
const QString HostileReplyShown = QStringLiteral("\\x1b[2J\\rFAKE LOG LINE\\x1b]0;pwned\\x07");
constexpr int WaitMs = 30000;

// No raw control byte, and no line that starts with what the peer forged.
void expectNoRawBytes(const QByteArray &output)
{
    EXPECT_FALSE(output.contains('\x1b')) << "a raw ESC reached the output";
    EXPECT_FALSE(output.contains('\r')) << "a raw CR reached the output";
    EXPECT_FALSE(output.contains('\x07')) << "a raw BEL reached the output";
    for (const QByteArray &line : output.split('\n'))
        EXPECT_FALSE(line.startsWith("FAKE LOG LINE")) << "the peer forged a line";
}

} // namespace

TEST(ExamplesOutput, PskServerShowsAHostileIdentityEscaped)
{
    QtPskTest::PeerProcess server;
    ASSERT_TRUE(server.start(QStringLiteral(QTPSK_PSKSERVER_PROGRAM),
                             {QStringLiteral("--listen"), QStringLiteral("127.0.0.1"),
                              QStringLiteral("--port"), QStringLiteral("0"),
                              QStringLiteral("--psk"), QStringLiteral("alice:") + QString::fromLatin1(Key.toHex())}));
    const QRegularExpressionMatch listening =
            server.waitForOutput(QRegularExpression(QStringLiteral("Listening on [^:]+:(\\d+)")), WaitMs);
    ASSERT_TRUE(listening.hasMatch()) << server.output().toStdString();
    const quint16 port = listening.captured(1).toUShort();

    // An attacker needs no key: the identity is printed before it is checked.
    QSslSocket client;
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setProtocol(QSsl::TlsV1_2);
    client.setSslConfiguration(configuration);
    QObject::connect(&client, &QSslSocket::preSharedKeyAuthenticationRequired, &client,
                     [](QSslPreSharedKeyAuthenticator *authenticator) {
                         authenticator->setIdentity(Hostile);
                         authenticator->setPreSharedKey(QByteArray(16, 'x'));
                     });
    client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    ASSERT_TRUE(waitUntil([&] { return server.output().contains("(unknown: refused)"); }, WaitMs))
            << server.output().toStdString();
    const QByteArray output = server.output();
    EXPECT_TRUE(output.contains(("Client identity: " + HostileShown + QStringLiteral(" (unknown: refused)")).toLatin1()))
            << output.toStdString();
    expectNoRawBytes(output);
}

TEST(ExamplesOutput, PskClientShowsAHostileHintAndReplyEscaped)
{
    // A server that knows the client's key (the client trusts it) but sends a hostile hint and a
    // hostile reply, then a very long one: the client shows them escaped and capped.
    QSslServer server;
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setProtocol(QSsl::TlsV1_2); // the hint travels in TLS 1.2 only
    configuration.setPreSharedKeyIdentityHint(Hostile);
    server.setSslConfiguration(configuration);
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         authenticator->setPreSharedKey(Key);
                     });
    QObject::connect(&server, &QTcpServer::pendingConnectionAvailable, &server, [&server] {
        while (QTcpSocket *socket = server.nextPendingConnection()) {
            QObject::connect(socket, &QIODevice::readyRead, socket, [socket] {
                if (!socket->canReadLine())
                    return;
                socket->readAll();
                socket->write(HostileReply + QByteArray(1000, 'R') + "\n");
            });
        }
    });
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));

    QtPskTest::PeerProcess client;
    ASSERT_TRUE(client.start(QStringLiteral(QTPSK_PSKCLIENT_PROGRAM),
                             {QStringLiteral("127.0.0.1"), QString::number(server.serverPort()),
                              QStringLiteral("--identity"), QStringLiteral("alice"),
                              QStringLiteral("--key"), QString::fromLatin1(Key.toHex())}));
    ASSERT_TRUE(waitUntil([&] { return client.output().contains("Reply: ") || !client.isRunning(); },
                          WaitMs))
            << client.output().toStdString();
    ASSERT_TRUE(waitUntil([&] { return !client.isRunning(); }, WaitMs));
    const QByteArray output = client.output();
    EXPECT_TRUE(output.contains(("Identity hint: " + HostileShown).toLatin1())) << output.toStdString();
    // The reply: 128 bytes shown (the escaped hostile part and then 'R's), then its length.
    EXPECT_TRUE(output.contains(("Reply: " + HostileReplyShown).toLatin1())) << output.toStdString();
    EXPECT_TRUE(output.contains("... (" + QByteArray::number(HostileReply.size() + 1000) + " bytes)"))
            << output.toStdString();
    EXPECT_FALSE(output.contains(QByteArray(200, 'R'))) << "the reply was not capped";
    expectNoRawBytes(output);
}
