// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "common/rawpeer.h"

#include "common/loopbackconnect.h"

#include <QtCore/qdeadlinetimer.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace QtPskTest {

namespace {

int remaining(const QDeadlineTimer &deadline)
{
    return int(qMax<qint64>(0, deadline.remainingTime()));
}

bool waitFor(int fd, short events, int timeoutMs)
{
    pollfd p{fd, events, 0};
    int r;
    do {
        r = ::poll(&p, 1, timeoutMs);
    } while (r < 0 && errno == EINTR);
    return r == 1;
}

} // namespace

// A socket listening on \a host (a literal IPv4 or IPv6 address) with a kernel-chosen port, or -1.
static int listenOn(const char *host, int backlog, quint16 *port)
{
    sockaddr_storage address{};
    socklen_t length = 0;
    auto *v4 = reinterpret_cast<sockaddr_in *>(&address);
    auto *v6 = reinterpret_cast<sockaddr_in6 *>(&address);
    if (::inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        length = sizeof *v4;
    } else if (::inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        length = sizeof *v6;
    } else {
        return -1;
    }
    const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&address), length) != 0 || ::listen(fd, backlog) != 0
        || ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) != 0) {
        ::close(fd);
        return -1;
    }
    *port = ntohs(address.ss_family == AF_INET6 ? v6->sin6_port : v4->sin_port);
    return fd;
}

int listenLoopback(quint16 *port, int backlog)
{
    return listenOn("127.0.0.1", backlog, port);
}

RawListener::RawListener(const char *host, int backlog)
{
    m_fd = listenOn(host, backlog, &m_port); // in the body: m_port's initializer runs first
}

RawListener::~RawListener()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

int connectLoopback(quint16 port)
{
    return connectToLoopback(port);
}

int acceptWithin(int listener, int timeoutMs)
{
    if (!waitFor(listener, POLLIN, timeoutMs))
        return -1;
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

QByteArray readSome(int fd, int timeoutMs, bool *ended)
{
    if (ended)
        *ended = false;
    if (!waitFor(fd, POLLIN, timeoutMs))
        return QByteArray();
    char buffer[64 * 1024];
    ssize_t n;
    do {
        n = ::read(fd, buffer, sizeof buffer);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        if (ended)
            *ended = true;
        return QByteArray();
    }
    return QByteArray(buffer, qsizetype(n));
}

QByteArray readExactly(int fd, qsizetype size, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    QByteArray data;
    while (data.size() < size && !deadline.hasExpired()) {
        if (!waitFor(fd, POLLIN, remaining(deadline)))
            break;
        char buffer[16 * 1024];
        const ssize_t n = ::read(fd, buffer, size_t(qMin<qsizetype>(size - data.size(), sizeof buffer)));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        data.append(buffer, qsizetype(n));
    }
    return data;
}

QByteArray readRecord(int fd, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    QByteArray header = readExactly(fd, 5, remaining(deadline));
    if (header.size() != 5)
        return header;
    const qsizetype length = (quint8(header[3]) << 8) | quint8(header[4]);
    return header + readExactly(fd, length, remaining(deadline));
}

bool waitForEnd(int fd, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        bool ended = false;
        readSome(fd, remaining(deadline), &ended);
        if (ended)
            return true;
    }
    return false;
}

bool writeAll(int fd, const QByteArray &data, qsizetype chunk)
{
    qsizetype done = 0;
    while (done < data.size()) {
        const qsizetype piece = chunk > 0 ? qMin(chunk, data.size() - done) : data.size() - done;
        if (!waitFor(fd, POLLOUT, 10000))
            return false;
        const ssize_t n = ::send(fd, data.constData() + done, size_t(piece), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += n;
    }
    return true;
}

void armReset(int fd)
{
    const linger abortive{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
}

RawConnection::RawConnection(quint16 port)
    : m_fd(connectLoopback(port))
{
}

RawConnection::~RawConnection()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

bool RawConnection::send(char byte)
{
    return isOpen() && writeAll(m_fd, QByteArray(1, byte));
}

bool RawConnection::closedByPeer() const
{
    char byte = 0;
    const ssize_t n = ::recv(m_fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

PeerThread::PeerThread(std::function<void()> script)
{
    start(std::move(script));
}

PeerThread::~PeerThread()
{
    join();
}

void PeerThread::start(std::function<void()> script)
{
    m_thread = std::thread([this, script = std::move(script)] {
        script();
        m_finished = true;
    });
}

void PeerThread::join()
{
    if (m_thread.joinable())
        m_thread.join();
}

HostileServer::HostileServer(std::function<void(int fd)> script)
{
    m_listener = listenLoopback(&m_port);
    if (m_listener < 0)
        return;
    const int listener = m_listener;
    m_thread.start([listener, script = std::move(script)] {
        const int fd = acceptWithin(listener, 10000);
        if (fd < 0)
            return;
        script(fd);
        ::close(fd);
    });
}

HostileServer::~HostileServer()
{
    m_thread.join();
    if (m_listener >= 0)
        ::close(m_listener);
}

HostileClient::HostileClient(quint16 port, std::function<void(int fd)> script)
{
    m_thread.start([port, script = std::move(script)] {
        const int fd = connectLoopback(port);
        if (fd < 0)
            return;
        script(fd);
        ::close(fd);
    });
}

} // namespace QtPskTest
