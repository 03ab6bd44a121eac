// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QDtls against real DTLS 1.2 PSK peers on loopback: a QtPsk client against `openssl s_server
// -dtls1_2 -nocert -psk` and `gnutls-serv --udp --pskpasswd`, and a QtPsk server (the verifier and
// one QDtls per peer) against `openssl s_client -dtls1_2 -psk` and `gnutls-cli --udp`. Each test
// records its row of docs/interop.md.
#include "interoppeers.h"
#include "interopresults.h"

#include <QDtls>
#include <QUdpSocket>

#include <gtest/gtest.h>

#include "../parity/dtlspeers.h"
#include "common/testsupport.h"

using namespace DtlsPeers;
using QtPskTest::waitUntil;

namespace {

const QString keyHex = QStringLiteral("1a2b3c4d5e6f");
const QString peerHint = QStringLiteral("peer-hint");

void record(const QString &peer, const QString &role, const QString &cipher, const QString &scenario,
            const QString &outcome, int emissions)
{
    QtPskInterop::ResultRow row;
    row.peer = peer;
    row.role = role;
    row.protocol = QStringLiteral("DTLS 1.2");
    row.cipher = cipher;
    row.scenario = scenario;
    row.address = QStringLiteral("IPv4");
    row.outcome = outcome;
    row.alert = QStringLiteral("-");
    row.emissions = QString::number(emissions);
    QtPskInterop::recordResult(row);
}

// Waits for \a server's first completed handshake and records it as the \a scenario of \a peer, a
// client; true when it completed.
bool recordServerRun(const Server &server, const QString &peer, const QString &scenario)
{
    const bool complete = waitUntil([&] { return server.completed == 1; }, 20000);
    const QString cipher = complete ? server.peers.begin().value()->sessionCipher().name() : QString();
    record(peer, QStringLiteral("server"), cipher, scenario,
           complete ? QStringLiteral("ok") : QStringLiteral("no handshake"), int(server.identities.size()));
    return complete;
}

QString clientOutcome(const Client &client)
{
    return client.dtls.handshakeState() == QDtls::HandshakeComplete ? QStringLiteral("ok")
                                                                     : client.dtls.dtlsErrorString();
}

// A QtPsk client against `openssl s_server`, with \a serverCipher (empty: its default list) and
// the client's \a clientCiphers (empty: defaultDtlsConfiguration()'s).
void clientAgainstOpenSsl(const QString &serverCipher, const QString &clientCiphers,
                          const QString &expectedCipher, const QString &scenario)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    QtPskTest::PeerProcess peer;
    QStringList arguments{QStringLiteral("-dtls1_2"), QStringLiteral("-nocert"), QStringLiteral("-psk"),
                          keyHex, QStringLiteral("-psk_identity"), QString::fromLatin1(identity()),
                          QStringLiteral("-psk_hint"), peerHint};
    if (!serverCipher.isEmpty())
        arguments << QStringLiteral("-cipher") << serverCipher;
    const quint16 port = peer.startOpenSslServer(arguments); // stdin stays open: s_server runs
    ASSERT_NE(port, 0) << peer.output().toStdString();
    QSslConfiguration configuration = clientConfiguration();
    if (!clientCiphers.isEmpty())
        configuration.setCiphers(clientCiphers);
    Client client(configuration);
    ASSERT_TRUE(client.start(port)) << client.dtls.dtlsErrorString().toStdString();
    const bool complete = waitUntil([&] { return client.dtls.handshakeState() == QDtls::HandshakeComplete; }, 20000);
    record(QStringLiteral("openssl s_server"), QStringLiteral("client"),
           client.dtls.sessionCipher().name(), scenario, clientOutcome(client), int(client.hints.size()));
    ASSERT_TRUE(complete) << client.dtls.dtlsErrorString().toStdString() << peer.output().toStdString();
    EXPECT_EQ(client.dtls.sessionCipher().name(), expectedCipher);
    ASSERT_EQ(client.hints.size(), 1);
    EXPECT_EQ(client.hints.front(), peerHint.toLatin1());
    EXPECT_EQ(client.dtls.writeDatagramEncrypted(&client.socket, "ping from qtpsk\n"), 16);
    EXPECT_TRUE(peer.waitForOutput(QRegularExpression(QStringLiteral("ping from qtpsk"))).hasMatch());
    peer.writeToStdin("pong from openssl\n");
    ASSERT_TRUE(waitUntil([&] { return !client.received.isEmpty(); }, 10000));
    EXPECT_EQ(client.received.front(), QByteArray("pong from openssl\n"));
    EXPECT_TRUE(client.dtls.shutdown(&client.socket));
    peer.stop();
}

TEST(DtlsInterop, ClientAgainstOpenSslServerDefaults)
{
    // s_server picks by its own preference: GCM before CCM8 in its default list.
    clientAgainstOpenSsl(QString(), QString(), QStringLiteral("PSK-AES128-GCM-SHA256"),
                         QStringLiteral("success, data both ways"));
}

TEST(DtlsInterop, ClientAgainstOpenSslServerCcm8Only)
{
    clientAgainstOpenSsl(QStringLiteral("PSK-AES128-CCM8"), QString(), QStringLiteral("PSK-AES128-CCM8"),
                         QStringLiteral("server offers only PSK-AES128-CCM8"));
}

TEST(DtlsInterop, ClientAgainstOpenSslServerGcmByName)
{
    clientAgainstOpenSsl(QString(), QStringLiteral("PSK-AES128-GCM-SHA256"),
                         QStringLiteral("PSK-AES128-GCM-SHA256"), QStringLiteral("client asks for GCM"));
}

TEST(DtlsInterop, ServerAgainstOpenSslClient)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    Server server(serverConfiguration(true));
    QtPskTest::PeerProcess peer;
    ASSERT_TRUE(peer.start(QStringLiteral("openssl"),
                           {QStringLiteral("s_client"), QStringLiteral("-dtls1_2"), QStringLiteral("-connect"),
                            QStringLiteral("127.0.0.1:%1").arg(server.port()), QStringLiteral("-psk"), keyHex,
                            QStringLiteral("-psk_identity"), QString::fromLatin1(identity())}));
    ASSERT_TRUE(recordServerRun(server, QStringLiteral("openssl s_client"), QStringLiteral("success, echo, cookie exchange")))
            << peer.output().toStdString();
    EXPECT_EQ(server.verifierReplies, 1) << "s_client answered the HelloVerifyRequest";
    EXPECT_EQ(server.identities.front(), identity());
    peer.writeToStdin("echo me\n");
    EXPECT_TRUE(peer.waitForOutput(QRegularExpression(QStringLiteral("echo me"))).hasMatch());
    EXPECT_EQ(server.received.front(), QByteArray("echo me\n"));
    peer.stop();
}

TEST(DtlsInterop, ClientAgainstGnuTlsServer)
{
    const QString program = QtPskTest::findProgram(QStringLiteral("gnutls-serv"));
    QTPSK_REQUIRE_FOUND(program, "gnutls-serv");
    QtPskInterop::TempDir dir;
    const QString pskFile = dir.writeFile(QStringLiteral("psk.txt"), identity() + ':' + keyHex.toLatin1() + '\n');
    const quint16 port = QtPskTest::freeLoopbackPort();
    QtPskTest::PeerProcess peer;
    ASSERT_TRUE(peer.start(QStringLiteral("/usr/bin/env"),
                           {QStringLiteral("LD_PRELOAD=") + QtPskInterop::loopbackBindShim(), program,
                            QStringLiteral("--udp"), QStringLiteral("-p"), QString::number(port),
                            QStringLiteral("--pskpasswd"), pskFile, QStringLiteral("--priority"),
                            QStringLiteral("NORMAL:+PSK:+ECDHE-PSK:+DHE-PSK:+AES-128-CCM-8"),
                            QStringLiteral("--echo")}));
    ASSERT_TRUE(peer.waitForOutput(QRegularExpression(QStringLiteral("listening on IPv4"))).hasMatch())
            << peer.output().toStdString();
    Client client;
    ASSERT_TRUE(client.start(port));
    const bool complete = waitUntil([&] { return client.dtls.handshakeState() == QDtls::HandshakeComplete; }, 20000);
    record(QStringLiteral("gnutls-serv --udp"), QStringLiteral("client"), client.dtls.sessionCipher().name(),
           QStringLiteral("success, echo"), clientOutcome(client), int(client.hints.size()));
    ASSERT_TRUE(complete) << client.dtls.dtlsErrorString().toStdString() << peer.output().toStdString();
    EXPECT_EQ(client.dtls.writeDatagramEncrypted(&client.socket, "gnutls echo"), 11);
    ASSERT_TRUE(waitUntil([&] { return !client.received.isEmpty(); }, 10000));
    EXPECT_EQ(client.received.front(), QByteArray("gnutls echo"));
    peer.stop();
}

TEST(DtlsInterop, ServerAgainstGnuTlsClient)
{
    QTPSK_REQUIRE_PROGRAM("gnutls-cli");
    Server server(serverConfiguration(false), false); // gnutls-cli answers cookies too; this row has none
    QtPskTest::PeerProcess peer;
    ASSERT_TRUE(peer.start(QStringLiteral("gnutls-cli"),
                           {QStringLiteral("--udp"), QStringLiteral("-p"), QString::number(server.port()),
                            QStringLiteral("--pskusername"), QString::fromLatin1(identity()),
                            QStringLiteral("--pskkey"), keyHex, QStringLiteral("--priority"),
                            QStringLiteral("NORMAL:+PSK:+ECDHE-PSK:+AES-128-CCM-8"),
                            QStringLiteral("127.0.0.1")}));
    ASSERT_TRUE(recordServerRun(server, QStringLiteral("gnutls-cli --udp"), QStringLiteral("success, echo, no cookies")))
            << peer.output().toStdString();
    peer.writeToStdin("from gnutls\n");
    ASSERT_TRUE(waitUntil([&] { return !server.received.isEmpty(); }, 10000)) << peer.output().toStdString();
    EXPECT_EQ(server.received.front(), QByteArray("from gnutls\n"));
    peer.stop();
}

} // namespace
