// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The interop fixtures themselves: peers stay on loopback and are stopped by PID.
#include "interoppeers.h"

#include <QtCore/qfile.h>

#include <gtest/gtest.h>

#include <signal.h>

using namespace QtPskInterop;

namespace {

TEST(InteropFixtures, GnuTlsServerUnderTheBindShimListensOnLoopbackOnly)
{
    QTPSK_REQUIRE_PEER(PeerKind::GnuTlsServer);
    QTPSK_REQUIRE_PROGRAM("ss");
    QString error;
    const std::unique_ptr<PeerServer> peer = PeerServer::start(PeerKind::GnuTlsServer, ServerOptions(), &error);
    ASSERT_TRUE(peer) << error.toStdString();
    // gnutls-serv asks for 0.0.0.0 and [::]; the shim, loaded into it, turns both into loopback.
    QFile maps(QStringLiteral("/proc/%1/maps").arg(peer->pid()));
    ASSERT_TRUE(maps.open(QIODevice::ReadOnly));
    EXPECT_TRUE(maps.readAll().contains(QFile::encodeName(loopbackBindShim())));
    EXPECT_EQ(listeningAddresses(peer->port()),
              (QStringList{QStringLiteral("127.0.0.1"), QStringLiteral("[::1]")}));
    EXPECT_TRUE(waitForListen(QStringLiteral("::1"), peer->port(), 1000));
}

TEST(InteropFixtures, EveryServerPeerListensOnTheLoopbackAddressItWasGiven)
{
    for (PeerKind kind : {PeerKind::OpenSslServer, PeerKind::Stunnel, PeerKind::Mosquitto}) {
        if (findPeerProgram(peerProgram(kind)).isEmpty()) {
            if (QtPskTest::inCi())
                ADD_FAILURE() << peerProgram(kind) << " is not installed (required in CI)";
            continue;
        }
        for (const QString &host : {QStringLiteral("127.0.0.1"), QStringLiteral("::1")}) {
            SCOPED_TRACE(peerName(kind).toStdString() + " on " + host.toStdString());
            ServerOptions options;
            options.host = host;
            QString error;
            const std::unique_ptr<PeerServer> peer = PeerServer::start(kind, options, &error);
            ASSERT_TRUE(peer) << error.toStdString();
            const QString shown = host.contains(QLatin1Char(':')) ? QStringLiteral("[::1]") : host;
            EXPECT_EQ(listeningAddresses(peer->port()), QStringList{shown});
        }
    }
}

TEST(InteropFixtures, StopEndsThePeerProcessByItsPid)
{
    QTPSK_REQUIRE_PEER(PeerKind::OpenSslServer);
    QString error;
    std::unique_ptr<PeerServer> peer = PeerServer::start(PeerKind::OpenSslServer, ServerOptions(), &error);
    ASSERT_TRUE(peer) << error.toStdString();
    const qint64 pid = peer->pid();
    const quint16 port = peer->port();
    ASSERT_GT(pid, 0);
    EXPECT_EQ(::kill(pid_t(pid), 0), 0) << "the PID is the peer's own (the FIFO shell exec'd it)";
    peer->stop();
    EXPECT_FALSE(peer->isRunning());
    EXPECT_NE(::kill(pid_t(pid), 0), 0);
    EXPECT_TRUE(listeningAddresses(port).isEmpty());
}

} // namespace
