// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The example pskclient, with default settings and its PSK slot connected, completes a TLS 1.3 PSK
// handshake against each real peer, in its default configuration (TLS 1.2 + 1.3) and limited to
// TLS 1.3, with exactly one emission — where Qt 6 fails with handshake_failure (40) unless
// QT_USE_TLS_1_3_PSK is set.
#include <gtest/gtest.h>

#include "interoppeers.h"

using namespace QtPskInterop;

namespace {

class PskClientExample : public ::testing::TestWithParam<PeerKind>
{
};

} // namespace

namespace {

// Runs the example against the peer \a kind configured by \a options; checks one emission and
// TLS 1.3 (a default client offers Qt's ClientHello first, is refused by these PSK-only TLS 1.3
// servers, and connects again at once offering the PSK: the application sees one handshake).
void expectOneTls13Handshake(PeerKind kind, const ServerOptions &options)
{
    QString error;
    const auto server = PeerServer::start(kind, options, &error);
    ASSERT_TRUE(server) << error.toStdString();

    QtPskTest::PeerProcess client;
    ASSERT_TRUE(client.start(QStringLiteral(QTPSK_PSKCLIENT_EXAMPLE),
                             {server->host(), QString::number(server->port()),
                              QStringLiteral("--identity"), QString::fromLatin1(defaultIdentity()),
                              QStringLiteral("--key"), QString::fromLatin1(defaultKeyHex()),
                              QStringLiteral("--message"), QStringLiteral("ping"),
                              QStringLiteral("--timeout"), QStringLiteral("8000")}));
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return !client.isRunning(); }, 15000));
    const QString output = QString::fromLatin1(client.output());
    SCOPED_TRACE(output.toStdString());

    EXPECT_EQ(output.count(QStringLiteral("Identity hint:")), 1) << "one emission per handshake";
    EXPECT_TRUE(output.contains(QStringLiteral("Identity hint: (none)"))); // TLS 1.3 has no hint
    EXPECT_TRUE(output.contains(QStringLiteral("Protocol: TLSv1.3")));
    EXPECT_FALSE(output.contains(QStringLiteral("Alert received: fatal"))); // the refusal is not shown
    if (kind != PeerKind::Mosquitto) { // an MQTT broker does not echo a text line
        EXPECT_TRUE(output.contains(QStringLiteral("Reply: ")));
        EXPECT_FALSE(output.contains(QStringLiteral("Error: ")));
    }
    EXPECT_TRUE(server->isRunning());
}

} // namespace

TEST_P(PskClientExample, CompletesATls13PskHandshakeWithOneEmissionAgainstATls13OnlyPeer)
{
    QTPSK_REQUIRE_PEER(GetParam());
    ServerOptions options;
    options.hint = "QtPsk interop";
    options.version = TlsVersion::V1_3;
    expectOneTls13Handshake(GetParam(), options);
}

TEST_P(PskClientExample, CompletesATls13PskHandshakeWithOneEmissionAgainstTheDefaultPeer)
{
    QTPSK_REQUIRE_PEER(GetParam());
    ServerOptions options;
    options.hint = "QtPsk interop"; // mosquitto needs one to enable PSK; TLS 1.3 never sends it
    expectOneTls13Handshake(GetParam(), options);
}

INSTANTIATE_TEST_SUITE_P(DefaultPeers, PskClientExample,
                         ::testing::Values(PeerKind::OpenSslServer, PeerKind::GnuTlsServer,
                                           PeerKind::Stunnel, PeerKind::Mosquitto),
                         [](const ::testing::TestParamInfo<PeerKind> &row) {
                             switch (row.param) {
                             case PeerKind::OpenSslServer: return std::string("OpenSslServer");
                             case PeerKind::GnuTlsServer: return std::string("GnuTlsServer");
                             case PeerKind::Stunnel: return std::string("Stunnel");
                             case PeerKind::Mosquitto: return std::string("Mosquitto");
                             }
                             return std::string("Unknown");
                         });
