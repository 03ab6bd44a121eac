// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "transport/udptransport_p.h"

#include <QtCore/qobject.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <unistd.h>

using namespace QtPskPrivate;

namespace {

SocketAddress loopback(quint16 port)
{
    SocketAddress a;
    EXPECT_TRUE(SocketAddress::fromLiteral(QStringLiteral("127.0.0.1"), port, &a));
    return a;
}

// Two bound UDP transports on 127.0.0.1.
struct Pair
{
    QObject context;
    UdpTransport a{&context};
    UdpTransport b{&context};

    bool open()
    {
        for (UdpTransport *t : {&a, &b}) {
            if (!t->open(AF_INET) || !t->bind(loopback(0), false))
                return false;
            t->enableDatagramInfo();
        }
        return true;
    }
    bool waitForB()
    {
        bool readable = false;
        return b.wait(true, false, QDeadlineTimer(10000), &readable, nullptr) == WaitResult::Ready
                && readable;
    }
};

} // namespace

TEST(UdpTransport, SendsAndReceivesWithHeader)
{
    Pair p;
    ASSERT_TRUE(p.open());
    EXPECT_EQ(p.a.socketType(), SOCK_DGRAM);
    EXPECT_FALSE(p.b.hasPendingDatagram());
    EXPECT_EQ(p.b.pendingDatagramSize(), -1);
    DatagramHeader out;
    out.destination = p.b.localAddress();
    out.hopLimit = 4;
    ASSERT_EQ(p.a.send("hello", 5, out), 5);
    ASSERT_TRUE(p.waitForB());
    EXPECT_TRUE(p.b.hasPendingDatagram());
    EXPECT_EQ(p.b.pendingDatagramSize(), 5);
    EXPECT_EQ(p.b.bytesAvailable(), 5);
    char buffer[8] = {};
    DatagramHeader in;
    ASSERT_EQ(p.b.receive(buffer, sizeof buffer, &in), 5);
    EXPECT_EQ(QByteArray(buffer, 5), QByteArrayLiteral("hello"));
    EXPECT_EQ(in.sender.port(), p.a.localAddress().port());
    EXPECT_EQ(in.destination.addressString(), QStringLiteral("127.0.0.1"));
    EXPECT_EQ(in.destination.port(), p.b.localAddress().port());
    EXPECT_EQ(in.hopLimit, 4);
    EXPECT_GT(in.interfaceIndex, 0u);
    EXPECT_EQ(p.b.receive(buffer, sizeof buffer, nullptr), TcpTransport::Error);
    EXPECT_EQ(p.b.lastError(), EAGAIN);
}

TEST(UdpTransport, EmptyAndCutDatagrams)
{
    Pair p;
    ASSERT_TRUE(p.open());
    DatagramHeader out;
    out.destination = p.b.localAddress();
    ASSERT_EQ(p.a.send(nullptr, 0, out), 0);
    ASSERT_EQ(p.a.send("abcdef", 6, out), 6);
    ASSERT_TRUE(p.waitForB());
    EXPECT_TRUE(p.b.hasPendingDatagram());
    EXPECT_EQ(p.b.pendingDatagramSize(), 0);
    char buffer[4] = {};
    EXPECT_EQ(p.b.receive(buffer, sizeof buffer, nullptr), 0);
    EXPECT_EQ(p.b.receive(buffer, 2, nullptr), 2);
    EXPECT_EQ(QByteArray(buffer, 2), QByteArrayLiteral("ab"));
    EXPECT_FALSE(p.b.hasPendingDatagram());
}

TEST(UdpTransport, TooLargeAndClosed)
{
    Pair p;
    ASSERT_TRUE(p.open());
    DatagramHeader out;
    out.destination = p.b.localAddress();
    const QByteArray big(70000, 'x');
    EXPECT_EQ(p.a.send(big.constData(), big.size(), out), TcpTransport::Error);
    EXPECT_EQ(p.a.lastError(), EMSGSIZE);
    p.a.close();
    EXPECT_EQ(p.a.send("x", 1, out), TcpTransport::Error);
    EXPECT_EQ(p.a.lastError(), EBADF);
    EXPECT_FALSE(p.a.hasPendingDatagram());
    EXPECT_EQ(p.a.pendingDatagramSize(), -1);
    EXPECT_EQ(p.a.bytesAvailable(), -1);
}

TEST(UdpTransport, AdoptsOnlyDatagramSockets)
{
    QObject context;
    UdpTransport t(&context);
    const int stream = ::socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_FALSE(t.adopt(stream));
    EXPECT_EQ(t.lastError(), ENOTSOCK);
    ::close(stream);
    const int datagram = ::socket(AF_INET, SOCK_DGRAM, 0);
    EXPECT_TRUE(t.adopt(datagram)); // the transport owns it now
}
