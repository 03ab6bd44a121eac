// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "network/qtcpserver_p.h"
#include "qtpsklogging_p.h"

#include <QtPsk/qtcpsocket.h>

#include "network/qhostaddress_p.h"
#include "network/qnetworkproxy_p.h"
#include "transport/tcptransport_p.h"

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qpointer.h>
#include <QtCore/qsocketnotifier.h>
#include <QtCore/qtimer.h>

#include <cerrno>
#include <utility>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

namespace {

constexpr int firstBackOffMs = 50;
constexpr int maxBackOffMs = 1000;
// Connections accepted per notifier activation before the event loop gets a turn again
// (the notifier is level-triggered, so the rest follow at once).
constexpr int acceptBatch = 256;

void closeDescriptor(int fd)
{
    if (fd >= 0)
        ::close(fd); // on Linux the descriptor is released even if close() reports EINTR
}

// Maps an errno value from socket(), bind() or listen() to Qt's error and message.
void bindError(int error, QAbstractSocket::SocketError *code, QString *text)
{
    switch (error) {
    case EADDRINUSE:
        *code = QAbstractSocket::AddressInUseError;
        *text = QStringLiteral("The bound address is already in use");
        break;
    case EACCES:
    case EPERM:
        *code = QAbstractSocket::SocketAccessError;
        *text = QStringLiteral("The address is protected");
        break;
    case EADDRNOTAVAIL:
        *code = QAbstractSocket::SocketAddressNotAvailableError;
        *text = QStringLiteral("The address is not available");
        break;
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
        *code = QAbstractSocket::SocketResourceError;
        *text = QStringLiteral("Out of resources: ") + errnoString(error);
        break;
    case EAFNOSUPPORT:
    case EPROTONOSUPPORT:
    case EINVAL:
        *code = QAbstractSocket::UnsupportedSocketOperationError;
        *text = QStringLiteral("Unsupported socket operation: ") + errnoString(error);
        break;
    default:
        *code = QAbstractSocket::UnknownSocketError;
        *text = errnoString(error);
        break;
    }
}

// Creates, configures, binds and starts listening on a socket of \a family. Returns the
// descriptor, or -1 with errno-style \a *error set.
int openListener(const sockaddr_storage &address, socklen_t length, int v6Only, int backlog,
                 int *error)
{
    const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = errno;
        return -1;
    }
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (address.ss_family == AF_INET6 && ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6Only,
                                                      sizeof(v6Only)) != 0) {
        *error = errno;
        closeDescriptor(fd);
        return -1;
    }
    if (::bind(fd, reinterpret_cast<const sockaddr *>(&address), length) != 0
            || ::listen(fd, backlog) != 0) {
        *error = errno;
        closeDescriptor(fd);
        return -1;
    }
    return fd;
}

} // namespace

void TcpServerPrivate::setError(QAbstractSocket::SocketError code, const QString &text)
{
    qCDebug(lcQtPskServer).nospace() << static_cast<const void *>(q) << ": error " << code << ", "
                                     << text;
    error = code;
    errorString = text;
}

void TcpServerPrivate::closeListener()
{
    ++generation;
    if (fd >= 0)
        qCDebug(lcQtPskServer, "%p: descriptor %d no longer listening", static_cast<void *>(q), fd);
    if (notifier) {
        notifier->setEnabled(false);
        // We may be inside the notifier's own activation: let the event loop delete it.
        notifier->deleteLater();
        notifier = nullptr;
    }
    backingOff = false;
    backOffMs = 0;
    paused = false;
    closeDescriptor(fd);
    fd = -1;
    address.clear();
    port = 0;
}

void TcpServerPrivate::startListening(int listenFd, bool dualStack)
{
    ++generation;
    fd = listenFd;
    sockaddr_storage local {};
    socklen_t length = sizeof(local);
    if (::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &length) == 0)
        address = fromSockAddr(reinterpret_cast<const sockaddr *>(&local), &port);
    if (dualStack && address == QHostAddress::AnyIPv6)
        address = QHostAddress::Any;
    qCDebug(lcQtPskServer).nospace() << static_cast<const void *>(q) << ": listening on "
                                     << address.toString() << " port " << port
                                     << " (descriptor " << fd << ")";

    notifier = new QSocketNotifier(qintptr(fd), QSocketNotifier::Read, q);
    const quint64 myGeneration = generation;
    QObject::connect(notifier, &QSocketNotifier::activated, q, [this, myGeneration] {
        if (generation == myGeneration)
            acceptConnections();
    });
    updateNotifier();
}

void TcpServerPrivate::updateNotifier()
{
    if (!notifier)
        return;
    const bool wanted = fd >= 0 && !paused && !backingOff && pending.size() < maxPending;
    if (notifier->isEnabled() != wanted)
        notifier->setEnabled(wanted);
}

void TcpServerPrivate::startBackOff()
{
    backOffMs = backOffMs == 0 ? firstBackOffMs : qMin(backOffMs * 2, maxBackOffMs);
    backingOff = true;
    qCDebug(lcQtPskServer, "%p: accepting paused for %d ms", static_cast<void *>(q), backOffMs);
    // A close() or listen() in between makes this timeout stale: the generation tells.
    const quint64 myGeneration = generation;
    QTimer::singleShot(backOffMs, q, [this, myGeneration] {
        if (generation != myGeneration)
            return;
        backingOff = false;
        updateNotifier();
    });
    updateNotifier();
}

void TcpServerPrivate::removePending(QObject *socket)
{
    for (qsizetype i = 0; i < pending.size(); ++i) {
        if (static_cast<QObject *>(pending.at(i).socket) == socket) {
            pending.removeAt(i);
            break;
        }
    }
    updateNotifier();
}

bool TcpServerPrivate::acceptConnections(bool ignorePause)
{
    const QPointer<QTcpServer> guard(q);
    const quint64 myGeneration = generation;
    for (int accepted = 0; accepted < acceptBatch; ++accepted) {
        if ((paused && !ignorePause) || backingOff || pending.size() >= maxPending) {
            updateNotifier();
            return true;
        }
        const int client = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) {
            const int err = errno;
            switch (err) {
            case EAGAIN:
#if EWOULDBLOCK != EAGAIN
            case EWOULDBLOCK:
#endif
                return true;
            case EINTR:
            // The connection died in the backlog, or a network error Linux reports on
            // accept(): skip it, as accept(2) advises.
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
                continue;
            case EMFILE:
            case ENFILE:
            case ENOBUFS:
            case ENOMEM:
                setError(QAbstractSocket::SocketResourceError,
                         QStringLiteral("Cannot accept a connection, out of resources: ")
                                 + errnoString(err));
                // Stop the notifier first: a slot may run the event loop, and the pending
                // client would otherwise wake it again and again.
                startBackOff();
                Q_EMIT q->acceptError(QAbstractSocket::SocketResourceError);
                return !guard.isNull() && generation == myGeneration;
            default:
                setError(QAbstractSocket::UnknownSocketError,
                         QStringLiteral("Cannot accept a connection: ") + errnoString(err));
                paused = true;
                updateNotifier();
                Q_EMIT q->acceptError(QAbstractSocket::UnknownSocketError);
                return !guard.isNull() && generation == myGeneration;
            }
        }
        backOffMs = 0;

        qCDebug(lcQtPskServer, "%p: accepted descriptor %d (%lld pending)", static_cast<void *>(q),
                client, static_cast<long long>(pending.size()));
        q->incomingConnection(qintptr(client));
        if (guard.isNull())
            return false;
        Q_EMIT q->newConnection();
        if (guard.isNull() || generation != myGeneration || fd < 0)
            return false;
    }
    return true;
}

} // namespace QtPskPrivate

using QtPskPrivate::TcpServerPrivate;

QTcpServer::QTcpServer(QObject *parent)
    : QObject(parent), d(new TcpServerPrivate(this))
{
}

QTcpServer::~QTcpServer()
{
    close();
}

bool QTcpServer::listen(const QHostAddress &address, quint16 port)
{
    if (d->fd >= 0) {
        qWarning("QTcpServer::listen() called when already listening");
        return false;
    }
    // As Qt for a proxy it cannot use: false, the error set, no signal (QtPsk never proxies).
    QString proxyError;
    if (!QtPskPrivate::proxyAllowsListen(d->proxy, address, &proxyError)) {
        d->setError(QAbstractSocket::UnsupportedSocketOperationError, proxyError);
        return false;
    }

    const bool dualStack = address.protocol() == QAbstractSocket::AnyIPProtocol;
    sockaddr_storage native {};
    const socklen_t length = QtPskPrivate::toSockAddr(address, port, &native);
    if (length == 0) {
        d->setError(QAbstractSocket::UnsupportedSocketOperationError,
                    QStringLiteral("Cannot listen on a null address"));
        return false;
    }

    int err = 0;
    int fd = QtPskPrivate::openListener(native, length, dualStack ? 0 : 1, d->backlog, &err);
    if (fd < 0 && dualStack
            && (err == EAFNOSUPPORT || err == EADDRNOTAVAIL || err == EPROTONOSUPPORT)) {
        // No IPv6 on this system: listen on IPv4 only.
        const socklen_t length4 = QtPskPrivate::toSockAddr(QHostAddress(QHostAddress::AnyIPv4),
                                                           port, &native);
        fd = QtPskPrivate::openListener(native, length4, 0, d->backlog, &err);
    }
    if (fd < 0) {
        QAbstractSocket::SocketError code;
        QString text;
        QtPskPrivate::bindError(err, &code, &text);
        d->setError(code, text);
        return false;
    }
    d->startListening(fd, dualStack);
    return true;
}

void QTcpServer::close()
{
    // Qt deletes the sockets still in the queue: nobody has taken them.
    const auto pending = std::exchange(d->pending, {});
    for (const auto &entry : pending) {
        QObject::disconnect(entry.destroyedConnection);
        delete entry.socket;
    }
    d->closeListener();
}

bool QTcpServer::isListening() const
{
    return d->fd >= 0;
}

void QTcpServer::setMaxPendingConnections(int numConnections)
{
    d->maxPending = numConnections;
    d->updateNotifier();
}

int QTcpServer::maxPendingConnections() const
{
    return d->maxPending;
}

void QTcpServer::setListenBacklogSize(int size)
{
    d->backlog = size;
}

int QTcpServer::listenBacklogSize() const
{
    return d->backlog;
}

quint16 QTcpServer::serverPort() const
{
    return d->port;
}

QHostAddress QTcpServer::serverAddress() const
{
    return d->address;
}

qintptr QTcpServer::socketDescriptor() const
{
    return d->fd;
}

bool QTcpServer::setSocketDescriptor(qintptr socketDescriptor)
{
    if (d->fd >= 0) {
        qWarning("QTcpServer::setSocketDescriptor() called when already listening");
        return false;
    }
    const int fd = int(socketDescriptor);
    int type = 0;
    int listening = 0;
    socklen_t size = sizeof(type);
    const bool isSocket = fd >= 0 && ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) == 0;
    size = sizeof(listening);
    if (!isSocket || type != SOCK_STREAM
            || ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 || !listening) {
        d->setError(QAbstractSocket::UnsupportedSocketOperationError,
                    QStringLiteral("The descriptor is not a listening TCP socket"));
        return false;
    }
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0
            || ::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        const int err = errno;
        d->setError(QAbstractSocket::UnsupportedSocketOperationError,
                    QStringLiteral("Cannot use the descriptor: ") + QtPskPrivate::errnoString(err));
        return false;
    }
    int v6Only = 1;
    size = sizeof(v6Only);
    sockaddr_storage local {};
    socklen_t length = sizeof(local);
    const bool dualStack = ::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &length) == 0
            && local.ss_family == AF_INET6
            && ::getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6Only, &size) == 0 && v6Only == 0;
    d->startListening(fd, dualStack);
    return true;
}

bool QTcpServer::waitForNewConnection(int msec, bool *timedOut)
{
    if (timedOut)
        *timedOut = false;
    if (d->fd < 0)
        return false;

    bool readable = false;
    bool writable = false;
    const QDeadlineTimer deadline(msec < 0 ? QDeadlineTimer::Forever : QDeadlineTimer(msec));
    const auto result = QtPskPrivate::waitForActivity(d->fd, true, false, deadline, &readable,
                                                      &writable);
    if (result == QtPskPrivate::WaitResult::Timeout) {
        if (timedOut)
            *timedOut = true;
        d->setError(QAbstractSocket::SocketTimeoutError,
                    QStringLiteral("Network operation timed out"));
        return false;
    }
    if (result == QtPskPrivate::WaitResult::Failed) {
        const int err = errno;
        d->setError(QAbstractSocket::UnknownSocketError, QtPskPrivate::errnoString(err));
        return false;
    }
    // Accept as the notifier would, even if accepting is paused (Qt does the same).
    d->acceptConnections(true);
    return true;
}

bool QTcpServer::hasPendingConnections() const
{
    return !d->pending.isEmpty();
}

QTcpSocket *QTcpServer::nextPendingConnection()
{
    if (d->pending.isEmpty())
        return nullptr;
    const TcpServerPrivate::Pending entry = d->pending.takeFirst();
    QObject::disconnect(entry.destroyedConnection);
    d->updateNotifier();
    return entry.socket;
}

QAbstractSocket::SocketError QTcpServer::serverError() const
{
    return d->error;
}

QString QTcpServer::errorString() const
{
    return d->errorString;
}

void QTcpServer::pauseAccepting()
{
    d->paused = true;
    d->updateNotifier();
}

void QTcpServer::resumeAccepting()
{
    d->paused = false;
    d->updateNotifier();
}

void QTcpServer::setProxy(const QNetworkProxy &networkProxy)
{
    d->proxy = networkProxy;
}

QNetworkProxy QTcpServer::proxy() const
{
    return d->proxy;
}

void QTcpServer::incomingConnection(qintptr handle)
{
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(handle)) {
        // Close the descriptor unless the socket took it (then deleting the socket closes it).
        const bool taken = socket->socketDescriptor() == handle;
        delete socket;
        if (!taken)
            QtPskPrivate::closeDescriptor(int(handle));
        return;
    }
    addPendingConnection(socket);
}

void QTcpServer::addPendingConnection(QTcpSocket *socket)
{
    if (!socket)
        return;
    TcpServerPrivate::Pending entry;
    entry.socket = socket;
    entry.destroyedConnection = connect(socket, &QObject::destroyed, this,
                                        [this](QObject *object) { d->removePending(object); });
    d->pending.append(entry);
    d->updateNotifier();
    Q_EMIT pendingConnectionAvailable(QPrivateSignal());
}

QTPSK_END_NAMESPACE

// moc output here, where every signal parameter type is complete (parameterMetaType() is valid).
#include "moc_qtcpserver.cpp"
