// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "network/qtcpserver_p.h"
#include "qtpsklogging_p.h"

#include <QtPsk/qtcpsocket.h>

#include "network/qhostaddress_p.h"
#include "network/qnetworkproxy_p.h"
#include "transport/socketerrors_p.h"

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>

#include <cerrno>
#include <utility>

#include <netinet/in.h>
#include <sys/socket.h>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

namespace {

constexpr int firstBackOffMs = 50;
constexpr int maxBackOffMs = 1000;
// Connections accepted per notifier activation before the event loop gets a turn again
// (the notifier is level-triggered, so the rest follow at once).
constexpr int acceptBatch = 256;

// The address to listen on for \a address and \a port (invalid for a null address).
SocketAddress listenAddress(const QHostAddress &address, quint16 port)
{
    sockaddr_storage native {};
    const socklen_t length = toSockAddr(address, port, &native);
    return SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr *>(&native), length);
}

} // namespace

TcpServerPrivate::TcpServerPrivate(QTcpServer *server) : q(server), listener(server)
{
    listener.onReadable = [this] { acceptConnections(); };
}

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
    if (listener.isOpen())
        qCDebug(lcQtPskServer, "%p: descriptor %d no longer listening", static_cast<void *>(q),
                listener.descriptor());
    backingOff = false;
    backOffMs = 0;
    paused = false;
    listener.close();
    address.clear();
    port = 0;
}

void TcpServerPrivate::startListening(bool dualStack)
{
    ++generation;
    const SocketAddress local = listener.localAddress();
    if (local.isValid())
        address = fromSockAddr(local.data(), &port);
    if (dualStack && address == QHostAddress::AnyIPv6)
        address = QHostAddress::Any;
    qCDebug(lcQtPskServer).nospace() << static_cast<const void *>(q) << ": listening on "
                                     << address.toString() << " port " << port
                                     << " (descriptor " << listener.descriptor() << ")";
    updateNotifier();
}

void TcpServerPrivate::updateNotifier()
{
    listener.setNotificationEnabled(!paused && !backingOff && pending.size() < maxPending);
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
        int client = -1;
        const TcpListener::AcceptResult result = listener.accept(&client);
        if (result == TcpListener::AcceptResult::NoneWaiting)
            return true;
        if (result == TcpListener::AcceptResult::Skipped)
            continue;
        if (result == TcpListener::AcceptResult::Failed) {
            QString text;
            const QAbstractSocket::SocketError code =
                    socketErrorFromErrno(listener.lastError(), SocketCall::Other, &text);
            setError(code, text);
            if (code == QAbstractSocket::SocketResourceError) {
                // Stop the notifier first: a slot may run the event loop, and the pending
                // client would otherwise wake it again and again.
                startBackOff();
            } else {
                paused = true;
                updateNotifier();
            }
            Q_EMIT q->acceptError(code);
            return !guard.isNull() && generation == myGeneration;
        }
        backOffMs = 0;

        qCDebug(lcQtPskServer, "%p: accepted descriptor %d (%lld pending)", static_cast<void *>(q),
                client, static_cast<long long>(pending.size()));
        q->incomingConnection(qintptr(client));
        if (guard.isNull())
            return false;
        Q_EMIT q->newConnection();
        if (guard.isNull() || generation != myGeneration || !listener.isOpen())
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
    if (d->listener.isOpen()) {
        qCWarning(lcQtPskServer, "QTcpServer::listen() called when already listening");
        return false;
    }
    // As Qt for a proxy it cannot use: false, the error set, no signal (QtPsk never proxies).
    QString proxyError;
    if (!QtPskPrivate::proxyAllowsListen(d->proxy, address, &proxyError)) {
        d->setError(QAbstractSocket::UnsupportedSocketOperationError, proxyError);
        return false;
    }

    const bool dualStack = address.protocol() == QAbstractSocket::AnyIPProtocol;
    const QtPskPrivate::SocketAddress native = QtPskPrivate::listenAddress(address, port);
    if (!native.isValid()) {
        d->setError(QAbstractSocket::UnsupportedSocketOperationError,
                    QStringLiteral("Cannot listen on a null address"));
        return false;
    }

    QtPskPrivate::TcpListener &listener = d->listener;
    bool listening = listener.listen(native, !dualStack, d->backlog);
    const int err = listener.lastError();
    if (!listening && dualStack
            && (err == EAFNOSUPPORT || err == EADDRNOTAVAIL || err == EPROTONOSUPPORT)) {
        // No IPv6 on this system: listen on IPv4 only.
        listening = listener.listen(
                QtPskPrivate::listenAddress(QHostAddress(QHostAddress::AnyIPv4), port), false,
                d->backlog);
    }
    if (!listening) {
        QString text;
        const QAbstractSocket::SocketError code = QtPskPrivate::socketErrorFromErrno(
                listener.lastError(), QtPskPrivate::SocketCall::Bind, &text);
        d->setError(code, text);
        return false;
    }
    d->startListening(dualStack);
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

bool QTcpServer::isListening() const { return d->listener.isOpen(); }

void QTcpServer::setMaxPendingConnections(int numConnections)
{
    d->maxPending = numConnections;
    d->updateNotifier();
}

int QTcpServer::maxPendingConnections() const { return d->maxPending; }

void QTcpServer::setListenBacklogSize(int size) { d->backlog = size; }

int QTcpServer::listenBacklogSize() const { return d->backlog; }

quint16 QTcpServer::serverPort() const { return d->port; }

QHostAddress QTcpServer::serverAddress() const { return d->address; }

qintptr QTcpServer::socketDescriptor() const { return d->listener.descriptor(); }

bool QTcpServer::setSocketDescriptor(qintptr socketDescriptor)
{
    if (d->listener.isOpen()) {
        qCWarning(lcQtPskServer, "QTcpServer::setSocketDescriptor() called when already listening");
        return false;
    }
    using AdoptResult = QtPskPrivate::TcpListener::AdoptResult;
    const AdoptResult result = d->listener.adopt(int(socketDescriptor));
    if (result == AdoptResult::NotListening) {
        d->setError(QAbstractSocket::UnsupportedSocketOperationError,
                    QStringLiteral("The descriptor is not a listening TCP socket"));
        return false;
    }
    if (result == AdoptResult::Failed) {
        d->setError(QAbstractSocket::UnsupportedSocketOperationError,
                    QStringLiteral("Cannot use the descriptor: ")
                            + QtPskPrivate::errnoString(d->listener.lastError()));
        return false;
    }
    d->startListening(d->listener.acceptsIPv4AndIPv6());
    return true;
}

bool QTcpServer::waitForNewConnection(int msec, bool *timedOut)
{
    if (timedOut)
        *timedOut = false;
    if (!d->listener.isOpen())
        return false;

    const QDeadlineTimer deadline(msec < 0 ? QDeadlineTimer::Forever : QDeadlineTimer(msec));
    const auto result = d->listener.wait(deadline);
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

QAbstractSocket::SocketError QTcpServer::serverError() const { return d->error; }

QString QTcpServer::errorString() const { return d->errorString; }

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

void QTcpServer::setProxy(const QNetworkProxy &networkProxy) { d->proxy = networkProxy; }

QNetworkProxy QTcpServer::proxy() const { return d->proxy; }

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
