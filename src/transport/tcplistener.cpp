// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "transport/tcplistener_p.h"

#include <QtCore/qsocketnotifier.h>

#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

TcpListener::TcpListener(QObject *context)
    : m_notifier(createNotifier(QSocketNotifier::Read, context, &onReadable))
{
}

TcpListener::~TcpListener()
{
    close();
    delete m_notifier;
}

bool TcpListener::fail(int error)
{
    m_lastError = error;
    return false;
}

void TcpListener::attach(int fd)
{
    m_fd = fd;
    m_notifier->setSocket(fd); // setSocket() leaves the notifier disabled
}

bool TcpListener::listen(const SocketAddress &address, bool v6Only, int backlog)
{
    close();
    const int fd = ::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(errno);
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    const int v6OnlyValue = v6Only ? 1 : 0;
    if ((address.family() == AF_INET6
         && ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6OnlyValue, sizeof v6OnlyValue) != 0)
            || ::bind(fd, address.data(), address.length) != 0 || ::listen(fd, backlog) != 0) {
        const int error = errno;
        closeDescriptor(fd);
        return fail(error);
    }
    attach(fd);
    return true;
}

TcpListener::AdoptResult TcpListener::adopt(int fd)
{
    close();
    int type = 0;
    int listening = 0;
    socklen_t size = sizeof type;
    const bool isSocket = fd >= 0 && ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) == 0;
    size = sizeof listening;
    if (!isSocket || type != SOCK_STREAM
            || ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 || !listening)
        return AdoptResult::NotListening;
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0
            || ::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        fail(errno);
        return AdoptResult::Failed;
    }
    attach(fd);
    return AdoptResult::Adopted;
}

TcpListener::AcceptResult TcpListener::accept(int *fd)
{
    *fd = ::accept4(m_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (*fd >= 0)
        return AcceptResult::Accepted;
    const int error = errno;
    switch (error) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
        return AcceptResult::NoneWaiting;
    case EINTR:
    // The connection died in the backlog, or a network error Linux reports on accept(): skip
    // it, as accept(2) advises.
    case ECONNABORTED:
    case EPROTO:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
    case EPERM: // a firewall rule refused it
        return AcceptResult::Skipped;
    default:
        fail(error);
        return AcceptResult::Failed;
    }
}

void TcpListener::close()
{
    if (m_fd < 0)
        return;
    // Unregister from the event dispatcher before the number can be reused.
    m_notifier->setEnabled(false);
    m_notifier->setSocket(-1);
    closeDescriptor(m_fd);
    m_fd = -1;
}

SocketAddress TcpListener::localAddress() const
{
    return SocketAddress::localOf(m_fd);
}

bool TcpListener::acceptsIPv4AndIPv6() const
{
    int v6Only = 1;
    socklen_t size = sizeof v6Only;
    return localAddress().family() == AF_INET6
            && ::getsockopt(m_fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6Only, &size) == 0 && v6Only == 0;
}

void TcpListener::setNotificationEnabled(bool enable)
{
    setNotifierEnabled(m_notifier, m_fd, enable);
}

WaitResult TcpListener::wait(QDeadlineTimer deadline) const
{
    return waitForActivity(m_fd, true, false, deadline, nullptr, nullptr);
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
