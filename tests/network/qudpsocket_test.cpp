// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QUdpSocket beyond the parity traces (tests/parity/udp_socket_test.cpp): re-entrancy from its
// slots, many datagrams, the largest datagram, IPv6, adopted descriptors, QNetworkDatagram's
// sharing and sending with a hop limit, against raw sockets where the kernel is the witness.
#include <QNetworkDatagram>
#include <QUdpSocket>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qpointer.h>
#include <QtTest/qsignalspy.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "common/testsupport.h"

using QtPskTest::waitUntil;

namespace {

const QHostAddress localhost(QHostAddress::LocalHost);

TEST(QUdpSocketTest, DeletedFromReadyReadSlot)
{
    auto *receiver = new QUdpSocket;
    ASSERT_TRUE(receiver->bind(localhost, 0));
    QPointer<QUdpSocket> guard(receiver);
    QObject::connect(receiver, &QUdpSocket::readyRead, receiver, [receiver] { delete receiver; });
    QUdpSocket sender;
    ASSERT_EQ(sender.writeDatagram(QByteArrayLiteral("x"), localhost, receiver->localPort()), 1);
    EXPECT_TRUE(waitUntil([&] { return guard.isNull(); }));
}

TEST(QUdpSocketTest, ClosedFromReadyReadSlotInWait)
{
    QUdpSocket receiver;
    ASSERT_TRUE(receiver.bind(localhost, 0));
    QObject::connect(&receiver, &QUdpSocket::readyRead, &receiver, [&receiver] { receiver.close(); });
    QUdpSocket sender;
    ASSERT_EQ(sender.writeDatagram(QByteArrayLiteral("x"), localhost, receiver.localPort()), 1);
    EXPECT_TRUE(receiver.waitForReadyRead(10000));
    EXPECT_EQ(receiver.state(), QAbstractSocket::UnconnectedState);
    EXPECT_FALSE(receiver.waitForReadyRead(10));
}

TEST(QUdpSocketTest, ManyDatagramsArriveWhole)
{
    QUdpSocket receiver;
    ASSERT_TRUE(receiver.bind(localhost, 0));
    receiver.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 1 << 20);
    QUdpSocket sender;
    constexpr int count = 200;
    for (int i = 0; i < count; ++i) {
        const QByteArray payload = QByteArray::number(i).repeated(i % 7 + 1);
        ASSERT_EQ(sender.writeDatagram(payload, localhost, receiver.localPort()), payload.size());
    }
    int received = 0;
    QObject::connect(&receiver, &QUdpSocket::readyRead, [&] {
        while (receiver.hasPendingDatagrams()) {
            const QNetworkDatagram d = receiver.receiveDatagram();
            EXPECT_EQ(d.data(), QByteArray::number(received).repeated(received % 7 + 1));
            ++received;
        }
    });
    EXPECT_TRUE(waitUntil([&] { return received == count; }));
}

TEST(QUdpSocketTest, LargestDatagramAndTruncation)
{
    QUdpSocket receiver;
    ASSERT_TRUE(receiver.bind(localhost, 0));
    receiver.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 1 << 20);
    QUdpSocket sender;
    ASSERT_TRUE(sender.bind(localhost, 0));
    sender.setSocketOption(QAbstractSocket::SendBufferSizeSocketOption, 1 << 20);
    QByteArray big(65507, Qt::Uninitialized);
    for (int i = 0; i < big.size(); ++i)
        big[i] = char(i * 31);
    ASSERT_EQ(sender.writeDatagram(big, localhost, receiver.localPort()), big.size());
    EXPECT_EQ(sender.writeDatagram(big + 'x', localhost, receiver.localPort()), -1);
    EXPECT_EQ(sender.error(), QAbstractSocket::DatagramTooLargeError);
    ASSERT_TRUE(receiver.waitForReadyRead(10000));
    EXPECT_EQ(receiver.pendingDatagramSize(), big.size());
    EXPECT_EQ(receiver.receiveDatagram().data(), big);
    ASSERT_EQ(sender.writeDatagram(big, localhost, receiver.localPort()), big.size());
    ASSERT_TRUE(waitUntil([&] { return receiver.hasPendingDatagrams(); }));
    const QNetworkDatagram cut = receiver.receiveDatagram(10);
    EXPECT_EQ(cut.data(), big.left(10));
    EXPECT_FALSE(receiver.hasPendingDatagrams()); // the rest of it was dropped
}

TEST(QUdpSocketTest, Ipv6Loopback)
{
    QUdpSocket receiver;
    if (!receiver.bind(QHostAddress::LocalHostIPv6, 0))
        GTEST_SKIP() << "no IPv6 loopback: " << receiver.errorString().toStdString();
    QUdpSocket sender;
    ASSERT_TRUE(sender.bind(QHostAddress::LocalHostIPv6, 0));
    QNetworkDatagram out(QByteArrayLiteral("six"), QHostAddress::LocalHostIPv6,
                         receiver.localPort());
    out.setHopLimit(9);
    ASSERT_EQ(sender.writeDatagram(out), 3);
    ASSERT_TRUE(receiver.waitForReadyRead(10000));
    const QNetworkDatagram in = receiver.receiveDatagram();
    EXPECT_EQ(in.data(), QByteArrayLiteral("six"));
    EXPECT_EQ(in.senderAddress(), QHostAddress::LocalHostIPv6);
    EXPECT_EQ(in.senderPort(), sender.localPort());
    EXPECT_EQ(in.hopLimit(), 9);
    EXPECT_GT(in.interfaceIndex(), 0u);
    EXPECT_EQ(in.destinationPort(), receiver.localPort());
    EXPECT_EQ(in.destinationAddress().scopeId(), QString::number(in.interfaceIndex()));
}

TEST(QUdpSocketTest, HopLimitReachesTheKernel)
{
    // A raw receiver with IP_RECVTTL tells the TTL the datagram left with.
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    const auto closeFd = qScopeGuard([fd] { ::close(fd); });
    sockaddr_in a {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
    socklen_t length = sizeof a;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &length), 0);
    const int on = 1;
    ASSERT_EQ(::setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof on), 0);

    // An IPv4 socket: for an IPv4-mapped destination of a dual-stack socket Linux ignores the
    // IPv6 hop limit, with Qt's socket as with QtPsk's.
    QUdpSocket sender;
    ASSERT_TRUE(sender.bind(localhost, 0));
    QNetworkDatagram out(QByteArrayLiteral("ttl"), localhost, ntohs(a.sin_port));
    out.setHopLimit(3);
    ASSERT_EQ(sender.writeDatagram(out), 3);
    char payload[8];
    alignas(cmsghdr) char control[64];
    iovec v {payload, sizeof payload};
    msghdr m {};
    m.msg_iov = &v;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    ASSERT_EQ(::recvmsg(fd, &m, 0), 3);
    int ttl = -1;
    for (cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)
            std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
    }
    EXPECT_EQ(ttl, 3);
}

TEST(QUdpSocketTest, AdoptedDescriptorIsBound)
{
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in a {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
    QUdpSocket socket;
    ASSERT_TRUE(socket.setSocketDescriptor(fd, QAbstractSocket::BoundState));
    EXPECT_EQ(socket.state(), QAbstractSocket::BoundState);
    EXPECT_EQ(socket.localAddress(), localhost);
    QSignalSpy readyRead(&socket, &QUdpSocket::readyRead);
    QUdpSocket sender;
    ASSERT_EQ(sender.writeDatagram(QByteArrayLiteral("fd"), localhost, socket.localPort()), 2);
    EXPECT_TRUE(waitUntil([&] { return readyRead.count() == 1; }));
    const QNetworkDatagram in = socket.receiveDatagram();
    EXPECT_EQ(in.data(), QByteArrayLiteral("fd"));
    EXPECT_EQ(in.destinationAddress(), localhost);

    // A stream socket is not a UDP socket.
    QUdpSocket other;
    const int stream = ::socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_FALSE(other.setSocketDescriptor(stream, QAbstractSocket::BoundState));
    ::close(stream);
}

TEST(QUdpSocketTest, ConnectedSocketTakesOnlyItsPeer)
{
    QUdpSocket peer;
    QUdpSocket stranger;
    ASSERT_TRUE(peer.bind(localhost, 0));
    ASSERT_TRUE(stranger.bind(localhost, 0));
    QUdpSocket client;
    client.connectToHost(localhost, peer.localPort());
    ASSERT_EQ(client.state(), QAbstractSocket::ConnectedState);
    ASSERT_EQ(stranger.writeDatagram(QByteArrayLiteral("no"), localhost, client.localPort()), 2);
    ASSERT_EQ(peer.writeDatagram(QByteArrayLiteral("yes"), localhost, client.localPort()), 3);
    ASSERT_TRUE(client.waitForReadyRead(10000));
    EXPECT_EQ(client.read(16), QByteArrayLiteral("yes"));
    // readDatagram() works on a connected socket too, with the peer as sender.
    ASSERT_EQ(peer.writeDatagram(QByteArrayLiteral("again"), localhost, client.localPort()), 5);
    ASSERT_TRUE(client.waitForReadyRead(10000));
    char buffer[8];
    QHostAddress from;
    quint16 port = 0;
    EXPECT_EQ(client.readDatagram(buffer, sizeof buffer, &from, &port), 5);
    EXPECT_EQ(from, localhost);
    EXPECT_EQ(port, peer.localPort());
}

TEST(QNetworkDatagramTest, CopiesShareUntilChanged)
{
    const QByteArray payload(1000, 'p');
    QNetworkDatagram a(payload, localhost, 1);
    QNetworkDatagram b = a;
    EXPECT_EQ(a.data().constData(), b.data().constData());
    b.setDestination(QHostAddress::LocalHostIPv6, 2);
    EXPECT_EQ(a.destinationAddress(), localhost);
    EXPECT_EQ(a.destinationPort(), 1);
    EXPECT_EQ(b.destinationPort(), 2);
    QNetworkDatagram c;
    c = b;
    c.clear();
    EXPECT_TRUE(b.isValid());
    EXPECT_FALSE(c.isValid());
    QVariant v = QVariant::fromValue(a);
    EXPECT_EQ(v.value<QNetworkDatagram>().destinationPort(), 1);
}

} // namespace
