// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "transport/tcptransport_p.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace QtPskPrivate;

TEST(SocketAddress, ParsesLiteralsOnly)
{
    SocketAddress a;
    ASSERT_TRUE(SocketAddress::fromLiteral(QStringLiteral("127.0.0.1"), 80, &a));
    EXPECT_EQ(a.family(), AF_INET);
    EXPECT_EQ(a.port(), 80);
    EXPECT_EQ(a.addressString(), QStringLiteral("127.0.0.1"));
    ASSERT_TRUE(SocketAddress::fromLiteral(QStringLiteral("[::1]"), 443, &a));
    EXPECT_EQ(a.family(), AF_INET6);
    EXPECT_EQ(a.addressString(), QStringLiteral("::1"));
    EXPECT_FALSE(SocketAddress::fromLiteral(QStringLiteral("localhost"), 1, &a));
    EXPECT_FALSE(SocketAddress::fromLiteral(QString(), 1, &a));
}

TEST(TcpTransport, WaitForActivityIsBoundedByTheDeadline)
{
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    bool readable = true;
    QDeadlineTimer timer(30);
    EXPECT_EQ(waitForActivity(fds[0], true, false, timer, &readable, nullptr), WaitResult::Timeout);
    EXPECT_FALSE(readable);
    ASSERT_EQ(::write(fds[1], "x", 1), 1);
    EXPECT_EQ(waitForActivity(fds[0], true, false, QDeadlineTimer(5000), &readable, nullptr),
              WaitResult::Ready);
    EXPECT_TRUE(readable);
    EXPECT_EQ(waitForActivity(-1, true, true, QDeadlineTimer(10), nullptr, nullptr),
              WaitResult::Failed);
    ::close(fds[0]);
    ::close(fds[1]);
}
