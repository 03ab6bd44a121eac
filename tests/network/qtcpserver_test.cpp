// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QTcpServer>

#include <QTcpSocket>

#include "network/qhostaddress_p.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qpointer.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <ostream>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/testsupport.h"

QTPSK_BEGIN_NAMESPACE
inline void PrintTo(const QHostAddress &value, std::ostream *os)
{
    *os << "QHostAddress(" << value.toString().toStdString() << ')';
}
QTPSK_END_NAMESPACE

namespace {

using QtPskTest::waitUntil;

// A plain POSIX TCP client: what connects to the server is not our own socket class.
class RawClient
{
public:
    RawClient() = default;
    ~RawClient() { close(); }
    Q_DISABLE_COPY(RawClient)

    // Connects to \a address : \a port. Blocking unless \a nonBlocking (then the connect
    // completes in the background; loopback handshakes finish in the kernel's backlog).
    bool connectTo(const QHostAddress &address, quint16 port, bool nonBlocking = false)
    {
        sockaddr_storage native;
        const socklen_t length = QtPskPrivate::toSockAddr(address, port, &native);
        m_fd = ::socket(native.ss_family, SOCK_STREAM | SOCK_CLOEXEC | (nonBlocking ? SOCK_NONBLOCK : 0), 0);
        if (m_fd < 0)
            return false;
        const int rc = ::connect(m_fd, reinterpret_cast<const sockaddr *>(&native), length);
        if (rc != 0 && !(nonBlocking && errno == EINPROGRESS))
            return false;
        if (!nonBlocking)
            ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) | O_NONBLOCK);
        return true;
    }

    QHostAddress localAddress(quint16 *port) const
    {
        sockaddr_storage local {};
        socklen_t length = sizeof(local);
        ::getsockname(m_fd, reinterpret_cast<sockaddr *>(&local), &length);
        return QtPskPrivate::fromSockAddr(reinterpret_cast<const sockaddr *>(&local), port);
    }

    bool send(const QByteArray &data) const
    {
        return ::send(m_fd, data.constData(), size_t(data.size()), MSG_NOSIGNAL) == data.size();
    }

    // Runs the event loop until \a count bytes arrived (or the peer closed, or time ran out).
    QByteArray receive(qsizetype count, int timeoutMs = 5000)
    {
        QByteArray received;
        bool closed = false;
        waitUntil([&] {
            char buffer[4096];
            const ssize_t n = ::recv(m_fd, buffer, sizeof(buffer), 0);
            if (n > 0)
                received.append(buffer, n);
            else if (n == 0)
                closed = true;
            return closed || received.size() >= count;
        }, timeoutMs);
        return received;
    }

    // Runs the event loop until the peer closes the connection.
    bool waitForClose(int timeoutMs = 5000)
    {
        return waitUntil([&] {
            char buffer[256];
            const ssize_t n = ::recv(m_fd, buffer, sizeof(buffer), 0);
            return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
        }, timeoutMs);
    }

    void close()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }

    int fd() const { return m_fd; }

private:
    int m_fd = -1;
};

bool ipv6LoopbackAvailable()
{
    const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    sockaddr_storage native;
    const socklen_t length = QtPskPrivate::toSockAddr(QHostAddress::LocalHostIPv6, 0, &native);
    const bool ok = ::bind(fd, reinterpret_cast<const sockaddr *>(&native), length) == 0;
    ::close(fd);
    return ok;
}

// True if the kernel holds connections the server has not accepted yet.
bool backlogHasConnections(const QTcpServer &server)
{
    pollfd p {int(server.socketDescriptor()), POLLIN, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

// Gives the event loop several turns; a level-triggered notifier that is (wrongly) enabled
// fires on each of them.
void spinEventLoop()
{
    for (int i = 0; i < 20; ++i)
        QCoreApplication::processEvents(QEventLoop::AllEvents);
}

struct Counter
{
    int newConnections = 0;
    int pendingAvailable = 0;
    std::vector<QAbstractSocket::SocketError> acceptErrors;

    void attach(QTcpServer *server)
    {
        QObject::connect(server, &QTcpServer::newConnection, server, [this] { ++newConnections; });
        QObject::connect(server, &QTcpServer::pendingConnectionAvailable, server,
                         [this] { ++pendingAvailable; });
        QObject::connect(server, &QTcpServer::acceptError, server,
                         [this](QAbstractSocket::SocketError e) { acceptErrors.push_back(e); });
    }
};

} // namespace

TEST(QTcpServer, DefaultConstructedIsNotListening)
{
    QTcpServer server;
    EXPECT_FALSE(server.isListening());
    EXPECT_EQ(server.serverPort(), 0);
    EXPECT_TRUE(server.serverAddress().isNull());
    EXPECT_EQ(server.socketDescriptor(), -1);
    EXPECT_EQ(server.maxPendingConnections(), 30);
    EXPECT_EQ(server.listenBacklogSize(), 50);
    EXPECT_EQ(server.serverError(), QAbstractSocket::UnknownSocketError);
    EXPECT_FALSE(server.hasPendingConnections());
    EXPECT_EQ(server.nextPendingConnection(), nullptr);
    bool timedOut = true;
    EXPECT_FALSE(server.waitForNewConnection(0, &timedOut));
    EXPECT_FALSE(timedOut);
}

TEST(QTcpServer, ListensOnIPv4LoopbackWithAnEphemeralPort)
{
    QTcpServer server;
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0)) << server.errorString().toStdString();
    EXPECT_TRUE(server.isListening());
    EXPECT_NE(server.serverPort(), 0);
    EXPECT_EQ(server.serverAddress(), QHostAddress(QHostAddress::LocalHost));
    EXPECT_GE(server.socketDescriptor(), 0);
    EXPECT_FALSE(server.listen(QHostAddress::LocalHost, 0)) << "already listening";
    EXPECT_TRUE(server.isListening());

    server.close();
    EXPECT_FALSE(server.isListening());
    EXPECT_EQ(server.serverPort(), 0);
    EXPECT_EQ(server.socketDescriptor(), -1);
}

TEST(QTcpServer, AcceptsARawClientAndEchoesData)
{
    QTcpServer server;
    Counter counter;
    counter.attach(&server);
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));

    RawClient client;
    ASSERT_TRUE(client.connectTo(QHostAddress::LocalHost, server.serverPort()));
    ASSERT_TRUE(waitUntil([&] { return counter.newConnections == 1; }));
    EXPECT_EQ(counter.pendingAvailable, 1);
    ASSERT_TRUE(server.hasPendingConnections());

    QTcpSocket *socket = server.nextPendingConnection();
    ASSERT_NE(socket, nullptr);
    EXPECT_FALSE(server.hasPendingConnections());
    EXPECT_EQ(socket->parent(), &server);
    EXPECT_EQ(socket->state(), QAbstractSocket::ConnectedState);
    quint16 clientPort = 0;
    EXPECT_EQ(socket->peerAddress(), client.localAddress(&clientPort));
    EXPECT_EQ(socket->peerAddress(), QHostAddress(QHostAddress::LocalHost));
    EXPECT_EQ(socket->peerPort(), clientPort);
    EXPECT_EQ(socket->localAddress(), QHostAddress(QHostAddress::LocalHost));
    EXPECT_EQ(socket->localPort(), server.serverPort());

    QObject::connect(socket, &QIODevice::readyRead, socket, [socket] { socket->write(socket->readAll()); });
    ASSERT_TRUE(client.send("hello, server"));
    EXPECT_EQ(client.receive(13), QByteArray("hello, server"));
    delete socket;
}

TEST(QTcpServer, ListensOnIPv6Loopback)
{
    if (!ipv6LoopbackAvailable())
        GTEST_SKIP() << "no IPv6 loopback on this system";
    QTcpServer server;
    ASSERT_TRUE(server.listen(QHostAddress::LocalHostIPv6, 0)) << server.errorString().toStdString();
    EXPECT_NE(server.serverPort(), 0);
    EXPECT_EQ(server.serverAddress(), QHostAddress(QHostAddress::LocalHostIPv6));

    RawClient client;
    ASSERT_TRUE(client.connectTo(QHostAddress::LocalHostIPv6, server.serverPort()));
    ASSERT_TRUE(waitUntil([&] { return server.hasPendingConnections(); }));
    QTcpSocket *socket = server.nextPendingConnection();
    ASSERT_NE(socket, nullptr);
    EXPECT_EQ(socket->peerAddress(), QHostAddress(QHostAddress::LocalHostIPv6));
    EXPECT_EQ(socket->localAddress(), QHostAddress(QHostAddress::LocalHostIPv6));
    EXPECT_EQ(socket->localPort(), server.serverPort());
}

TEST(QTcpServer, AnyAcceptsIPv4AndIPv6Clients)
{
    QTcpServer server;
    ASSERT_TRUE(server.listen()) << server.errorString().toStdString(); // QHostAddress::Any
    EXPECT_NE(server.serverPort(), 0);
    const bool ipv6 = ipv6LoopbackAvailable();
    if (ipv6) {
        EXPECT_EQ(server.serverAddress(), QHostAddress(QHostAddress::Any));
    }

    RawClient client4;
    ASSERT_TRUE(client4.connectTo(QHostAddress::LocalHost, server.serverPort()));
    ASSERT_TRUE(waitUntil([&] { return server.hasPendingConnections(); }));
    QTcpSocket *socket4 = server.nextPendingConnection();
    ASSERT_NE(socket4, nullptr);
    // A dual-stack socket sees IPv4 clients as IPv4-mapped IPv6 addresses, as Qt does.
    EXPECT_TRUE(socket4->peerAddress().isEqual(QHostAddress::LocalHost))
            << socket4->peerAddress().toString().toStdString();

    if (!ipv6)
        return;
    RawClient client6;
    ASSERT_TRUE(client6.connectTo(QHostAddress::LocalHostIPv6, server.serverPort()));
    ASSERT_TRUE(waitUntil([&] { return server.hasPendingConnections(); }));
    QTcpSocket *socket6 = server.nextPendingConnection();
    ASSERT_NE(socket6, nullptr);
    EXPECT_EQ(socket6->peerAddress(), QHostAddress(QHostAddress::LocalHostIPv6));
}

TEST(QTcpServer, ReportsAddressInUse)
{
    QTcpServer first;
    ASSERT_TRUE(first.listen(QHostAddress::LocalHost, 0));
    QTcpServer second;
    EXPECT_FALSE(second.listen(QHostAddress::LocalHost, first.serverPort()));
    EXPECT_FALSE(second.isListening());
    EXPECT_EQ(second.serverError(), QAbstractSocket::AddressInUseError);
    EXPECT_TRUE(second.errorString().contains(QStringLiteral("already in use")))
            << second.errorString().toStdString();
}

TEST(QTcpServer, ReportsAnAddressThatIsNotLocal)
{
    QTcpServer server;
    // 192.0.2.0/24 is TEST-NET-1: never assigned to a local interface.
    EXPECT_FALSE(server.listen(QHostAddress(QStringLiteral("192.0.2.1")), 0));
    EXPECT_EQ(server.serverError(), QAbstractSocket::SocketAddressNotAvailableError);
    EXPECT_FALSE(server.errorString().isEmpty());
    EXPECT_FALSE(server.listen(QHostAddress(), 0));
    EXPECT_EQ(server.serverError(), QAbstractSocket::UnsupportedSocketOperationError);
}

TEST(QTcpServer, RelistensOnTheSamePortWhileAConnectionIsInTimeWait)
{
    QTcpServer server;
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    const quint16 port = server.serverPort();
    RawClient client;
    ASSERT_TRUE(client.connectTo(QHostAddress::LocalHost, port));
    ASSERT_TRUE(waitUntil([&] { return server.hasPendingConnections(); }));
    QTcpSocket *socket = server.nextPendingConnection();
    ASSERT_NE(socket, nullptr);
    // The server side closes first, so its end of the connection enters TIME_WAIT.
    socket->disconnectFromHost();
    ASSERT_TRUE(client.waitForClose());
    client.close();
    delete socket;
    server.close();

    EXPECT_TRUE(server.listen(QHostAddress::LocalHost, port)) << server.errorString().toStdString();
}

TEST(QTcpServer, StopsAcceptingWhileMaxPendingConnectionsWait)
{
    QTcpServer server;
    Counter counter;
    counter.attach(&server);
    server.setMaxPendingConnections(2);
    EXPECT_EQ(server.maxPendingConnections(), 2);
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));

    RawClient clients[5];
    for (RawClient &client : clients)
        ASSERT_TRUE(client.connectTo(QHostAddress::LocalHost, server.serverPort()));

    ASSERT_TRUE(waitUntil([&] { return counter.newConnections == 2; }));
    spinEventLoop();
    EXPECT_EQ(counter.newConnections, 2);
    EXPECT_TRUE(backlogHasConnections(server));

    std::unique_ptr<QTcpSocket> taken(server.nextPendingConnection());
    ASSERT_TRUE(waitUntil([&] { return counter.newConnections == 3; }));
    spinEventLoop();
    EXPECT_EQ(counter.newConnections, 3);

    // Raising the limit lets the rest in.
    server.setMaxPendingConnections(10);
    ASSERT_TRUE(waitUntil([&] { return counter.newConnections == 5; }));
    EXPECT_EQ(counter.pendingAvailable, 5);
    int queued = 0;
    while (std::unique_ptr<QTcpSocket> socket{server.nextPendingConnection()})
        ++queued;
    EXPECT_EQ(queued, 4);
}

TEST(QTcpServer, PauseAndResumeAccepting)
{
    QTcpServer server;
    Counter counter;
    counter.attach(&server);
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    server.pauseAccepting();

    RawClient client;
    ASSERT_TRUE(client.connectTo(QHostAddress::LocalHost, server.serverPort()));
    ASSERT_TRUE(waitUntil([&] { return backlogHasConnections(server); }));
    spinEventLoop();
    EXPECT_EQ(counter.newConnections, 0);
    EXPECT_FALSE(server.hasPendingConnections());

    server.resumeAccepting();
    ASSERT_TRUE(waitUntil([&] { return counter.newConnections == 1; }));
    EXPECT_TRUE(server.hasPendingConnections());
}

TEST(QTcpServer, WaitForNewConnectionTimesOutWithoutAClient)
{
    QTcpServer server;
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    bool timedOut = false;
    QElapsedTimer timer;
    timer.start();
    EXPECT_FALSE(server.waitForNewConnection(100, &timedOut));
    EXPECT_GE(timer.elapsed(), 90);
    EXPECT_TRUE(timedOut);
    EXPECT_EQ(server.serverError(), QAbstractSocket::SocketTimeoutError);
    EXPECT_FALSE(server.waitForNewConnection(0)); // a plain check, no timeout pointer
}

TEST(QTcpServer, WaitForNewConnectionAcceptsWithoutAnEventLoop)
{
    QTcpServer server;
    Counter counter;
    counter.attach(&server);
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    RawClient client;
    ASSERT_TRUE(client.connectTo(QHostAddress::LocalHost, server.serverPort()));

    bool timedOut = true;
    EXPECT_TRUE(server.waitForNewConnection(5000, &timedOut));
    EXPECT_FALSE(timedOut);
    EXPECT_EQ(counter.newConnections, 1);
    std::unique_ptr<QTcpSocket> socket(server.nextPendingConnection());
    ASSERT_NE(socket, nullptr);
    EXPECT_EQ(socket->state(), QAbstractSocket::ConnectedState);
}

namespace {

// Keeps the descriptors for itself instead of queueing sockets.
class DescriptorServer : public QTcpServer
{
public:
    std::vector<qintptr> handles;
    ~DescriptorServer() override
    {
        for (qintptr handle : handles)
            ::close(int(handle));
    }

protected:
    void incomingConnection(qintptr handle) override { handles.push_back(handle); }
};

} // namespace

TEST(QTcpServer, SubclassReceivesNonBlockingDescriptorsInIncomingConnection)
{
    DescriptorServer server;
    Counter counter;
    counter.attach(&server);
    server.setMaxPendingConnections(1);
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));

    RawClient clients[3];
    for (RawClient &client : clients)
        ASSERT_TRUE(client.connectTo(QHostAddress::LocalHost, server.serverPort()));
    // Descriptors never handed to addPendingConnection() do not count against the limit.
    ASSERT_TRUE(waitUntil([&] { return server.handles.size() == 3; }));
    EXPECT_EQ(counter.newConnections, 3);
    EXPECT_EQ(counter.pendingAvailable, 0);
    EXPECT_FALSE(server.hasPendingConnections());
    for (qintptr handle : server.handles) {
        EXPECT_TRUE(::fcntl(int(handle), F_GETFL) & O_NONBLOCK);
        EXPECT_TRUE(::fcntl(int(handle), F_GETFD) & FD_CLOEXEC);
    }

    ASSERT_TRUE(clients[0].send("x"));
    char byte = 0;
    ASSERT_TRUE(waitUntil([&] { return ::recv(int(server.handles[0]), &byte, 1, 0) == 1; }));
    EXPECT_EQ(byte, 'x');
}

TEST(QTcpServer, CloseInsideNewConnectionStopsAccepting)
{
    QTcpServer server;
    int calls = 0;
    QPointer<QTcpSocket> queued;
    QObject::connect(&server, &QTcpServer::newConnection, &server, [&] {
        ++calls;
        queued = server.findChild<QTcpSocket *>();
        server.close();
    });
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    RawClient clients[3];
    for (RawClient &client : clients)
        ASSERT_TRUE(client.connectTo(QHostAddress::LocalHost, server.serverPort()));

    ASSERT_TRUE(waitUntil([&] { return calls == 1; }));
    spinEventLoop();
    EXPECT_EQ(calls, 1);
    EXPECT_FALSE(server.isListening());
    EXPECT_FALSE(server.hasPendingConnections());
    EXPECT_TRUE(queued.isNull()) << "close() deletes the sockets nobody took";
    // The listening socket is gone: the clients in the backlog are reset.
    EXPECT_TRUE(clients[2].waitForClose());
}

TEST(QTcpServer, DeleteInsideNewConnectionIsSafe)
{
    QPointer<QTcpServer> server = new QTcpServer;
    int calls = 0;
    QObject::connect(server, &QTcpServer::newConnection, server, [&] {
        ++calls;
        delete server.data();
    });
    ASSERT_TRUE(server->listen(QHostAddress::LocalHost, 0));
    const quint16 port = server->serverPort();
    RawClient clients[3];
    for (RawClient &client : clients)
        ASSERT_TRUE(client.connectTo(QHostAddress::LocalHost, port));

    ASSERT_TRUE(waitUntil([&] { return calls == 1; }));
    spinEventLoop();
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(server.isNull());
}

TEST(QTcpServer, ADeletedQueuedSocketLeavesTheQueue)
{
    QTcpServer server;
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    RawClient client;
    ASSERT_TRUE(client.connectTo(QHostAddress::LocalHost, server.serverPort()));
    ASSERT_TRUE(waitUntil([&] { return server.hasPendingConnections(); }));
    delete server.findChild<QTcpSocket *>();
    EXPECT_FALSE(server.hasPendingConnections());
    EXPECT_EQ(server.nextPendingConnection(), nullptr);
}

TEST(QTcpServer, AdoptsAListeningDescriptor)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_storage native;
    const socklen_t length = QtPskPrivate::toSockAddr(QHostAddress::LocalHost, 0, &native);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr *>(&native), length), 0);

    QTcpServer server;
    EXPECT_FALSE(server.setSocketDescriptor(fd)) << "not listening yet";
    EXPECT_EQ(server.serverError(), QAbstractSocket::UnsupportedSocketOperationError);
    ASSERT_EQ(::listen(fd, 8), 0);
    ASSERT_TRUE(server.setSocketDescriptor(fd));
    EXPECT_TRUE(server.isListening());
    EXPECT_EQ(server.socketDescriptor(), fd);
    EXPECT_EQ(server.serverAddress(), QHostAddress(QHostAddress::LocalHost));
    EXPECT_NE(server.serverPort(), 0);

    RawClient client;
    ASSERT_TRUE(client.connectTo(QHostAddress::LocalHost, server.serverPort()));
    ASSERT_TRUE(waitUntil([&] { return server.hasPendingConnections(); }));
    server.close(); // closes the adopted descriptor too
    EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
}

TEST(QTcpServer, Accepts200ConnectionsQuickly)
{
    rlimit limit {};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
    if (limit.rlim_cur < 1024) {
        if (limit.rlim_max < 1024)
            GTEST_SKIP() << "the descriptor limit is too low for 400 sockets";
        rlimit raised = limit;
        raised.rlim_cur = 1024;
        ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &raised), 0);
    }

    constexpr int count = 200;
    QTcpServer server;
    server.setListenBacklogSize(count + 10);
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    std::vector<std::unique_ptr<QTcpSocket>> accepted;
    QObject::connect(&server, &QTcpServer::newConnection, &server, [&] {
        while (QTcpSocket *socket = server.nextPendingConnection())
            accepted.emplace_back(socket);
    });

    QElapsedTimer timer;
    timer.start();
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < count; ++i) {
        clients.push_back(std::make_unique<RawClient>());
        ASSERT_TRUE(clients.back()->connectTo(QHostAddress::LocalHost, server.serverPort(), true));
    }
    ASSERT_TRUE(waitUntil([&] { return accepted.size() == size_t(count); }, 5000))
            << accepted.size() << " accepted";
    EXPECT_LT(timer.elapsed(), 5000);
    for (const auto &socket : accepted)
        EXPECT_EQ(socket->state(), QAbstractSocket::ConnectedState);
}

TEST(QTcpServer, OutOfDescriptorsEmitsAcceptErrorAndRecovers)
{
    QTcpServer server;
    Counter counter;
    counter.attach(&server);
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    RawClient client;
    // Connect before lowering the limit: the connection then waits in the backlog.
    ASSERT_TRUE(client.connectTo(QHostAddress::LocalHost, server.serverPort()));

    rlimit original {};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &original), 0);
    // Lower the limit to just above the highest open descriptor and fill every gap below it.
    std::vector<int> fillers;
    int highest = client.fd();
    for (int fd = 0; fd < 4096; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1)
            highest = fd;
    }
    rlimit lowered = original;
    lowered.rlim_cur = rlim_t(highest + 1);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
    for (;;) {
        const int fd = ::dup(client.fd());
        if (fd < 0)
            break;
        fillers.push_back(fd);
    }
    // Time each acceptError(): the retries must be spaced out, not a busy loop.
    QElapsedTimer clock;
    clock.start();
    std::vector<qint64> errorTimes;
    QObject::connect(&server, &QTcpServer::acceptError, &server,
                     [&] { errorTimes.push_back(clock.elapsed()); });
    const bool gotErrors = waitUntil([&] { return errorTimes.size() >= 3; }, 5000);
    // Restore before asserting, so that a failure does not starve the rest of the tests.
    for (int fd : fillers)
        ::close(fd);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &original), 0);

    ASSERT_TRUE(gotErrors) << errorTimes.size() << " accept errors";
    EXPECT_EQ(counter.acceptErrors.front(), QAbstractSocket::SocketResourceError);
    EXPECT_EQ(server.serverError(), QAbstractSocket::SocketResourceError);
    EXPECT_GE(errorTimes[1] - errorTimes[0], 40) << "the server must back off, not spin";
    EXPECT_GE(errorTimes[2] - errorTimes[1], errorTimes[1] - errorTimes[0] - 10);
    EXPECT_EQ(counter.newConnections, 0);

    // Once descriptors are available again the server accepts by itself.
    ASSERT_TRUE(waitUntil([&] { return counter.newConnections == 1; }, 5000));
    EXPECT_TRUE(server.isListening());
}
