// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "transport/socketoptions_p.h"

#include "transport/tcptransport_p.h"

#include <QtCore/qobject.h>

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

using namespace QtPskPrivate;

TEST(SocketOptions, TheTableNamesTheKernelOptions)
{
    SocketOptionName n;
    ASSERT_TRUE(socketOptionName(QAbstractSocket::LowDelayOption, AF_INET, &n));
    EXPECT_EQ(n.level, IPPROTO_TCP);
    EXPECT_EQ(n.name, TCP_NODELAY);
    EXPECT_TRUE(n.isFlag);
    ASSERT_TRUE(socketOptionName(QAbstractSocket::KeepAliveOption, AF_INET6, &n));
    EXPECT_EQ(n.name, SO_KEEPALIVE);
    EXPECT_TRUE(n.isFlag);
    ASSERT_TRUE(socketOptionName(QAbstractSocket::TypeOfServiceOption, AF_INET, &n));
    EXPECT_EQ(n.level, IPPROTO_IP);
    EXPECT_EQ(n.name, IP_TOS);
    ASSERT_TRUE(socketOptionName(QAbstractSocket::TypeOfServiceOption, AF_INET6, &n));
    EXPECT_EQ(n.level, IPPROTO_IPV6);
    EXPECT_EQ(n.name, IPV6_TCLASS);
    ASSERT_TRUE(socketOptionName(QAbstractSocket::SendBufferSizeSocketOption, AF_INET, &n));
    EXPECT_EQ(n.name, SO_SNDBUF);
    EXPECT_FALSE(n.isFlag);
    ASSERT_TRUE(socketOptionName(QAbstractSocket::ReceiveBufferSizeSocketOption, AF_INET, &n));
    EXPECT_EQ(n.name, SO_RCVBUF);
    ASSERT_TRUE(socketOptionName(QAbstractSocket::PathMtuSocketOption, AF_INET6, &n));
    EXPECT_EQ(n.name, IPV6_MTU);
    EXPECT_TRUE(n.readOnly);
    EXPECT_FALSE(socketOptionName(QAbstractSocket::MulticastTtlOption, AF_INET, &n));
    EXPECT_FALSE(socketOptionName(QAbstractSocket::MulticastLoopbackOption, AF_INET, &n));
    // The multicast options are a UDP socket's.
    ASSERT_TRUE(socketOptionName(QAbstractSocket::MulticastTtlOption, AF_INET, &n, true));
    EXPECT_EQ(n.name, IP_MULTICAST_TTL);
    ASSERT_TRUE(socketOptionName(QAbstractSocket::MulticastTtlOption, AF_INET6, &n, true));
    EXPECT_EQ(n.name, IPV6_MULTICAST_HOPS);
    ASSERT_TRUE(socketOptionName(QAbstractSocket::MulticastLoopbackOption, AF_INET6, &n, true));
    EXPECT_EQ(n.name, IPV6_MULTICAST_LOOP);
    EXPECT_TRUE(n.isFlag);
}

TEST(SocketOptions, SetAndReadOnAnOpenTransport)
{
    QObject context;
    TcpTransport transport(&context);
    ASSERT_TRUE(transport.open(AF_INET));
    EXPECT_TRUE(setSocketOption(transport, QAbstractSocket::LowDelayOption, 5));
    EXPECT_EQ(socketOptionValue(transport, QAbstractSocket::LowDelayOption), QVariant(1));
    EXPECT_TRUE(setSocketOption(transport, QAbstractSocket::KeepAliveOption, 0));
    EXPECT_EQ(socketOptionValue(transport, QAbstractSocket::KeepAliveOption), QVariant(0));
    EXPECT_FALSE(setSocketOption(transport, QAbstractSocket::PathMtuSocketOption, 1000));
    EXPECT_FALSE(setSocketOption(transport, QAbstractSocket::MulticastTtlOption, 1));
    EXPECT_FALSE(socketOptionValue(transport, QAbstractSocket::MulticastTtlOption).isValid());
    transport.close();
    EXPECT_FALSE(setSocketOption(transport, QAbstractSocket::LowDelayOption, 1));
    EXPECT_FALSE(socketOptionValue(transport, QAbstractSocket::LowDelayOption).isValid());
}
