// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "transport/tcplistener_p.h"

#include <QtCore/qobject.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/testsupport.h"

using QtPskTest::waitUntil;
using namespace QtPskPrivate;

namespace {

SocketAddress loopback(quint16 port)
{
    SocketAddress a;
    SocketAddress::fromLiteral(QStringLiteral("127.0.0.1"), port, &a);
    return a;
}

// A blocking client connected to \a address, or -1.
int connectTo(const SocketAddress &address)
{
    const int fd = ::socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::connect(fd, address.data(), address.length) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

} // namespace

TEST(TcpListener, AcceptsAConnectionWhenTheNotifierFires)
{
    QObject context;
    TcpListener listener(&context);
    ASSERT_TRUE(listener.listen(loopback(0), true, 5)) << listener.lastError();
    ASSERT_TRUE(listener.isOpen());
    const SocketAddress local = listener.localAddress();
    ASSERT_EQ(local.family(), AF_INET);
    ASSERT_NE(local.port(), 0);
    EXPECT_FALSE(listener.acceptsIPv4AndIPv6());

    int accepted = -1;
    EXPECT_EQ(listener.accept(&accepted), TcpListener::AcceptResult::NoneWaiting);
    EXPECT_EQ(listener.wait(QDeadlineTimer(20)), WaitResult::Timeout);

    int activations = 0;
    listener.onReadable = [&] { ++activations; };
    listener.setNotificationEnabled(true);
    const int client = connectTo(local);
    ASSERT_GE(client, 0);
    ASSERT_TRUE(waitUntil([&] { return activations > 0; }));
    EXPECT_EQ(listener.wait(QDeadlineTimer(5000)), WaitResult::Ready);
    ASSERT_EQ(listener.accept(&accepted), TcpListener::AcceptResult::Accepted);
    ASSERT_GE(accepted, 0);
    EXPECT_TRUE(::fcntl(accepted, F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(::fcntl(accepted, F_GETFD) & FD_CLOEXEC);
    EXPECT_EQ(SocketAddress::peerOf(accepted).port(), SocketAddress::localOf(client).port());
    ::close(accepted);
    ::close(client);
}

TEST(TcpListener, CloseFromInsideTheCallbackStopsIt)
{
    QObject context;
    TcpListener listener(&context);
    ASSERT_TRUE(listener.listen(loopback(0), true, 5));
    int activations = 0;
    listener.onReadable = [&] {
        ++activations;
        listener.close();
    };
    listener.setNotificationEnabled(true);
    const int first = connectTo(listener.localAddress());
    ASSERT_GE(first, 0);
    ASSERT_TRUE(waitUntil([&] { return activations == 1; }));
    EXPECT_FALSE(listener.isOpen());
    EXPECT_EQ(listener.descriptor(), -1);
    EXPECT_EQ(listener.wait(QDeadlineTimer(10)), WaitResult::Failed);
    listener.setNotificationEnabled(true); // closed: stays off
    EXPECT_TRUE(waitUntil([] { return true; }, 0));
    EXPECT_EQ(activations, 1);
    ::close(first);
}

TEST(TcpListener, ReportsTheErrnoOfABusyPort)
{
    QObject context;
    TcpListener first(&context);
    ASSERT_TRUE(first.listen(loopback(0), true, 5));
    TcpListener second(&context);
    EXPECT_FALSE(second.listen(first.localAddress(), true, 5));
    EXPECT_EQ(second.lastError(), EADDRINUSE);
    EXPECT_FALSE(second.isOpen());
}

TEST(TcpListener, AdoptsOnlyListeningStreamSockets)
{
    QObject context;
    TcpListener listener(&context);
    EXPECT_EQ(listener.adopt(-1), TcpListener::AdoptResult::NotListening);
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    EXPECT_EQ(listener.adopt(pair[0]), TcpListener::AdoptResult::NotListening);
    EXPECT_FALSE(listener.isOpen());
    ::close(pair[0]);
    ::close(pair[1]);

    const SocketAddress address = loopback(0);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0); // blocking, no close-on-exec
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::bind(fd, address.data(), address.length), 0);
    ASSERT_EQ(::listen(fd, 5), 0);
    ASSERT_EQ(listener.adopt(fd), TcpListener::AdoptResult::Adopted);
    EXPECT_EQ(listener.descriptor(), fd);
    EXPECT_TRUE(::fcntl(fd, F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
    EXPECT_EQ(listener.localAddress().port(), SocketAddress::localOf(fd).port());
    listener.close();
    EXPECT_FALSE(listener.isOpen());
    EXPECT_EQ(listener.descriptor(), -1);
}

TEST(TcpListener, AnIPv6SocketWithoutV6OnlyAcceptsBoth)
{
    QObject context;
    TcpListener listener(&context);
    SocketAddress any;
    ASSERT_TRUE(SocketAddress::fromLiteral(QStringLiteral("::"), 0, &any));
    if (!listener.listen(any, false, 5))
        GTEST_SKIP() << "no IPv6 here (errno " << listener.lastError() << ")";
    EXPECT_TRUE(listener.acceptsIPv4AndIPv6());
    const int client = connectTo(loopback(listener.localAddress().port()));
    ASSERT_GE(client, 0);
    EXPECT_EQ(listener.wait(QDeadlineTimer(5000)), WaitResult::Ready);
    int accepted = -1;
    ASSERT_EQ(listener.accept(&accepted), TcpListener::AcceptResult::Accepted);
    ::close(accepted);
    ::close(client);

    TcpListener v6Only(&context);
    ASSERT_TRUE(v6Only.listen(any, true, 5));
    EXPECT_FALSE(v6Only.acceptsIPv4AndIPv6());
}
