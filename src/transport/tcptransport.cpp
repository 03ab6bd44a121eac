// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "transport/tcptransport_p.h"

#include "qtpsklogging_p.h"

#include <QtCore/qobject.h>
#include <QtCore/qsocketnotifier.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

quint16 SocketAddress::port() const
{
    if (family() == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in *>(&storage)->sin_port);
    if (family() == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6 *>(&storage)->sin6_port);
    return 0;
}

QString SocketAddress::addressString() const
{
    if (!isValid())
        return QString();
    char host[NI_MAXHOST] = {};
    if (::getnameinfo(data(), length, host, sizeof host, nullptr, 0, NI_NUMERICHOST) != 0)
        return QString();
    return QString::fromLatin1(host);
}

bool SocketAddress::fromLiteral(const QString &literal, quint16 port, SocketAddress *out)
{
    QString text = literal;
    if (text.startsWith(QLatin1Char('[')) && text.endsWith(QLatin1Char(']')))
        text = text.mid(1, text.size() - 2);
    if (text.isEmpty())
        return false;
    const QByteArray host = text.toLatin1();
    addrinfo hints {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo *result = nullptr;
    const QByteArray service = QByteArray::number(port);
    if (::getaddrinfo(host.constData(), service.constData(), &hints, &result) != 0 || !result)
        return false;
    *out = fromSockaddr(result->ai_addr, result->ai_addrlen);
    ::freeaddrinfo(result);
    return out->isValid();
}

SocketAddress SocketAddress::fromSockaddr(const sockaddr *address, socklen_t length)
{
    SocketAddress a;
    if (address && length > 0 && length <= socklen_t(sizeof a.storage)) {
        std::memcpy(&a.storage, address, length);
        a.length = length;
    }
    return a;
}

namespace {

// The local (\a peer false) or peer address of the socket \a fd.
SocketAddress socketName(int fd, bool peer)
{
    SocketAddress a;
    socklen_t length = sizeof a.storage;
    auto *address = reinterpret_cast<sockaddr *>(&a.storage);
    if (fd >= 0
            && (peer ? ::getpeername(fd, address, &length) : ::getsockname(fd, address, &length))
                    == 0)
        a.length = length;
    return a;
}

} // namespace

SocketAddress SocketAddress::localOf(int fd)
{
    return socketName(fd, false);
}

SocketAddress SocketAddress::peerOf(int fd)
{
    return socketName(fd, true);
}

QSocketNotifier *createNotifier(QSocketNotifier::Type type, QObject *context,
                                const std::function<void()> *callback)
{
    auto *notifier = new QSocketNotifier(type, context);
    notifier->setEnabled(false);
    QObject::connect(notifier, &QSocketNotifier::activated, notifier, [callback] {
        if (*callback)
            (*callback)();
    });
    return notifier;
}

void setNotifierEnabled(QSocketNotifier *notifier, int fd, bool enable)
{
    if (fd >= 0 && notifier->isEnabled() != enable)
        notifier->setEnabled(enable);
}

void closeDescriptor(int fd)
{
    if (fd >= 0)
        ::close(fd);
}

WaitResult waitForActivity(int fd, bool wantRead, bool wantWrite, QDeadlineTimer deadline,
                           bool *readable, bool *writable)
{
    if (readable)
        *readable = false;
    if (writable)
        *writable = false;
    if (fd < 0)
        return WaitResult::Failed;
    pollfd p {};
    p.fd = fd;
    p.events = short((wantRead ? POLLIN : 0) | (wantWrite ? POLLOUT : 0));
    for (;;) {
        const qint64 remaining = deadline.remainingTime(); // -1: forever
        const int timeout = remaining < 0 ? -1 : int(qMin<qint64>(remaining, 1 << 30));
        const int n = ::poll(&p, 1, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return WaitResult::Failed;
        }
        if (n == 0) {
            if (deadline.hasExpired())
                return WaitResult::Timeout;
            continue;
        }
        if (p.revents & POLLNVAL)
            return WaitResult::Failed;
        const bool broken = p.revents & (POLLERR | POLLHUP);
        if (readable)
            *readable = (p.revents & POLLIN) || (broken && wantRead);
        if (writable)
            *writable = (p.revents & POLLOUT) || (broken && wantWrite);
        return WaitResult::Ready;
    }
}

TcpTransport::TcpTransport(QObject *context) : TcpTransport(context, SOCK_STREAM)
{
}

TcpTransport::TcpTransport(QObject *context, int socketType)
    : m_type(socketType),
      m_readNotifier(createNotifier(QSocketNotifier::Read, context, &onReadable)),
      m_writeNotifier(createNotifier(QSocketNotifier::Write, context, &onWritable))
{
}

TcpTransport::~TcpTransport()
{
    close();
    delete m_readNotifier;
    delete m_writeNotifier;
}

bool TcpTransport::attach(int fd, int family)
{
    qCDebug(lcQtPskTransport, "descriptor %d attached", fd);
    m_fd = fd;
    m_family = family;
    m_localPort = 0;
    m_readNotifier->setSocket(fd); // setSocket() leaves the notifier disabled
    m_writeNotifier->setSocket(fd);
    return true;
}

bool TcpTransport::open(int family)
{
    close();
    const int fd = ::socket(family, m_type | SOCK_NONBLOCK | SOCK_CLOEXEC,
                            m_type == SOCK_DGRAM ? IPPROTO_UDP : IPPROTO_TCP);
    if (fd < 0) {
        fail(errno);
        return false;
    }
    return attach(fd, family);
}

bool TcpTransport::adopt(int fd)
{
    close();
    int type = 0;
    socklen_t length = sizeof type;
    if (fd < 0 || ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0) {
        fail(fd < 0 ? EBADF : errno);
        return false;
    }
    if (type != m_type) {
        fail(ENOTSOCK);
        return false;
    }
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        fail(errno);
        return false;
    }
    const int fdFlags = ::fcntl(fd, F_GETFD);
    if (fdFlags >= 0)
        ::fcntl(fd, F_SETFD, fdFlags | FD_CLOEXEC);
    return attach(fd, SocketAddress::localOf(fd).family());
}

bool TcpTransport::bind(const SocketAddress &address, bool reuseAddress)
{
    if (m_fd < 0) {
        fail(EBADF);
        return false;
    }
    if (reuseAddress)
        setOption(SOL_SOCKET, SO_REUSEADDR, 1);
    if (::bind(m_fd, address.data(), address.length) != 0) {
        fail(errno);
        return false;
    }
    return true;
}

int TcpTransport::connectTo(const SocketAddress &address)
{
    if (m_fd < 0)
        return EBADF;
    for (;;) {
        if (::connect(m_fd, address.data(), address.length) == 0) {
            qCDebug(lcQtPskTransport, "descriptor %d connected at once", m_fd);
            return 0;
        }
        if (errno == EINTR)
            continue; // the connect goes on asynchronously; retrying reports EALREADY/EINPROGRESS
        const int error = errno == EALREADY ? EINPROGRESS : errno;
        if (error != EINPROGRESS)
            fail(error);
        qCDebug(lcQtPskTransport, "descriptor %d connect: %s", m_fd,
                error == EINPROGRESS ? "in progress" : std::strerror(error));
        return error;
    }
}

int TcpTransport::connectResult()
{
    int error = 0;
    socklen_t length = sizeof error;
    if (m_fd < 0)
        return EBADF;
    if (::getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0)
        error = errno;
    if (error == 0) {
        // SO_ERROR can be 0 while the connect is still pending; getpeername tells.
        sockaddr_storage peer {};
        socklen_t peerLength = sizeof peer;
        if (::getpeername(m_fd, reinterpret_cast<sockaddr *>(&peer), &peerLength) != 0)
            error = errno == ENOTCONN ? EINPROGRESS : errno;
    }
    if (error != 0 && error != EINPROGRESS)
        fail(error);
    if (error != EINPROGRESS) {
        qCDebug(lcQtPskTransport, "descriptor %d connect finished: %s", m_fd,
                error == 0 ? "connected" : std::strerror(error));
    }
    return error;
}

qint64 TcpTransport::read(char *data, qint64 maxSize)
{
    if (m_fd < 0) {
        fail(EBADF);
        return Error;
    }
    if (maxSize <= 0)
        return WouldBlock;
    for (;;) {
        const ssize_t n = ::recv(m_fd, data, size_t(maxSize), 0);
        if (n > 0)
            return n;
        if (n == 0)
            return EndOfFile;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return WouldBlock;
        fail(errno);
        return Error;
    }
}

qint64 TcpTransport::write(const char *data, qint64 size)
{
    if (m_fd < 0) {
        fail(EBADF);
        return Error;
    }
    for (;;) {
        const ssize_t n = ::send(m_fd, data, size_t(size), MSG_NOSIGNAL);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
            return 0;
        fail(errno);
        return Error;
    }
}

void TcpTransport::close()
{
    if (m_fd < 0)
        return;
    // Unregister from the event dispatcher before the number can be reused.
    m_readNotifier->setEnabled(false);
    m_writeNotifier->setEnabled(false);
    m_readNotifier->setSocket(-1);
    m_writeNotifier->setSocket(-1);
    qCDebug(lcQtPskTransport, "descriptor %d closed", m_fd);
    closeDescriptor(m_fd);
    m_fd = -1;
    m_family = AF_UNSPEC;
    m_localPort = 0;
}

quint16 TcpTransport::localPort() const
{
    if (m_localPort == 0 && m_fd >= 0)
        m_localPort = localAddress().port();
    return m_localPort;
}

SocketAddress TcpTransport::localAddress() const
{
    return SocketAddress::localOf(m_fd);
}

SocketAddress TcpTransport::peerAddress() const
{
    return SocketAddress::peerOf(m_fd);
}

bool TcpTransport::setOption(int level, int name, int value)
{
    if (m_fd < 0)
        return false;
    if (::setsockopt(m_fd, level, name, &value, sizeof value) != 0) {
        fail(errno);
        return false;
    }
    return true;
}

bool TcpTransport::option(int level, int name, int *value) const
{
    if (m_fd < 0)
        return false;
    socklen_t length = sizeof *value;
    *value = 0;
    return ::getsockopt(m_fd, level, name, value, &length) == 0;
}

void TcpTransport::setReadNotificationEnabled(bool enable)
{
    setNotifierEnabled(m_readNotifier, m_fd, enable);
}

void TcpTransport::setWriteNotificationEnabled(bool enable)
{
    setNotifierEnabled(m_writeNotifier, m_fd, enable);
}

WaitResult TcpTransport::wait(bool wantRead, bool wantWrite, QDeadlineTimer deadline,
                              bool *readable, bool *writable) const
{
    return waitForActivity(m_fd, wantRead, wantWrite, deadline, readable, writable);
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
