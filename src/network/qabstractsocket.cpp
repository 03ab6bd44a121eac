// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QtPsk/qabstractsocket.h>

#include "network/qabstractsocket_p.h"
#include "network/qnetworkproxy_p.h"
#include "qtpsklogging_p.h"
#include "transport/socketerrors_p.h"
#include "transport/socketoptions_p.h"

#include <QtCore/qloggingcategory.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qscopeguard.h>

#include <cerrno>
#include <climits>
#include <utility>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

QT_IMPL_METATYPE_EXTERN_TAGGED(QTPSK_PREPEND_NAMESPACE(QAbstractSocket)::SocketState,
                               QtPsk_QAbstractSocket__SocketState)
QT_IMPL_METATYPE_EXTERN_TAGGED(QTPSK_PREPEND_NAMESPACE(QAbstractSocket)::SocketError,
                               QtPsk_QAbstractSocket__SocketError)

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

namespace {

QString tr(const char *text)
{
    return QAbstractSocket::tr(text);
}

// Qt's text for a time-out of the wait itself (its socket engine's); waitForConnected() has its own.
QString timeoutString()
{
    return tr("Network operation timed out");
}

QHostAddress toHostAddress(const SocketAddress &address)
{
    return address.isValid() ? QHostAddress(address.data()) : QHostAddress();
}

int familyFor(QAbstractSocket::NetworkLayerProtocol protocol)
{
    switch (protocol) {
    case QAbstractSocket::IPv4Protocol:
        return AF_INET;
    case QAbstractSocket::IPv6Protocol:
        return AF_INET6;
    default:
        return AF_UNSPEC;
    }
}

bool isConnectedState(QAbstractSocket::SocketState state)
{
    return state == QAbstractSocket::ConnectedState || state == QAbstractSocket::ClosingState;
}

} // namespace

AbstractSocketPrivate::AbstractSocketPrivate() = default;

AbstractSocketPrivate::~AbstractSocketPrivate() = default;

void AbstractSocketPrivate::init(QAbstractSocket *socket, QAbstractSocket::SocketType type)
{
    q = socket;
    socketType = type;
    qRegisterMetaType<QAbstractSocket::SocketState>();
    qRegisterMetaType<QAbstractSocket::SocketError>();
}

TcpTransport &AbstractSocketPrivate::ensureTransport()
{
    if (!transport) {
        transport = std::make_unique<TcpTransport>(q);
        transport->onReadable = [this] { onReadable(); };
        transport->onWritable = [this] { onWritable(); };
    }
    return *transport;
}

// --- hooks ----------------------------------------------------------------------------

void AbstractSocketPrivate::transportConnected()
{
    Q_EMIT q->connected();
}

void AbstractSocketPrivate::transportReadable()
{
    bool gotData = false;
    bool ended = false;
    // Bounded, so that one busy socket cannot starve the event loop (the notifier fires again).
    for (int round = 0; round < 64; ++round) {
        const qint64 space = readBufferSpace();
        if (space == 0)
            break;
        qint64 available = 0;
        char *to = readBuffer.reserve(&available);
        if (space > 0)
            available = qMin(available, space);
        const qint64 n = readFromTransport(to, available);
        if (n > 0) {
            readBuffer.commit(n);
            gotData = true;
            continue;
        }
        ended = n < 0;
        break;
    }
    updateReadNotification();
    if (gotData && !emitReadyRead())
        return;
    if (!ended || !isConnectedState(state))
        return;
    if (transportErrno == 0) {
        transportClosed();
    } else {
        QString message;
        const QAbstractSocket::SocketError error = errorFromErrno(transportErrno, &message, false);
        transportError(error, message);
    }
}

qint64 AbstractSocketPrivate::writeApplicationData(const char *data, qint64 size)
{
    writeToTransport(data, size);
    return size;
}

qint64 AbstractSocketPrivate::applicationBytesToWrite() const
{
    return transportBytesToWrite();
}

void AbstractSocketPrivate::transportBytesWritten(qint64 size)
{
    emitBytesWritten(size);
}

bool AbstractSocketPrivate::emitBytesWritten(qint64 size)
{
    QPointer<QAbstractSocket> guard(q);
    Q_EMIT q->bytesWritten(size);
    if (!guard)
        return false;
    Q_EMIT q->channelBytesWritten(0, size); // as Qt, right after bytesWritten()
    return !guard.isNull();
}

bool AbstractSocketPrivate::beginDisconnect()
{
    return true;
}

bool AbstractSocketPrivate::closeDeferred() const
{
    return false;
}

bool AbstractSocketPrivate::connectionEnding()
{
    return true;
}

bool AbstractSocketPrivate::closesDeviceAfterAbort() const
{
    return false;
}

bool AbstractSocketPrivate::transportReconnected(bool)
{
    return true;
}

bool AbstractSocketPrivate::reconnectTransport()
{
    if (!transport || !transport->isOpen() || state != QAbstractSocket::ConnectedState)
        return false;
    const SocketAddress peer = transport->peerAddress();
    if (!peer.isValid())
        return false;
    // What the old connection still held is gone with it.
    writeBuffer.clear();
    sentNotReported = 0;
    transport->close();
    if (!transport->open(peer.family()))
        return false;
    applySocketOptions();
    const int rc = transport->connectTo(peer);
    if (rc != 0 && rc != EINPROGRESS) {
        transport->close();
        return false;
    }
    qCDebug(lcQtPskSocket, "%p: reconnecting to the same peer", static_cast<void *>(q));
    reconnecting = true;
    transport->setReadNotificationEnabled(false);
    transport->setWriteNotificationEnabled(true); // writable once connected (or failed)
    return true;
}

bool AbstractSocketPrivate::finishReconnect()
{
    const int rc = transport ? transport->connectResult() : ENOTCONN;
    if (rc == EINPROGRESS)
        return true;
    reconnecting = false;
    if (rc != 0)
        return transportReconnected(false);
    fetchAddresses(); // a new local port
    transport->setWriteNotificationEnabled(!writeBuffer.isEmpty());
    updateReadNotification();
    return transportReconnected(true);
}

void AbstractSocketPrivate::transportClosed()
{
    closeWithError(QAbstractSocket::RemoteHostClosedError,
                   tr("The remote host closed the connection"));
}

void AbstractSocketPrivate::transportError(QAbstractSocket::SocketError error,
                                           const QString &errorString)
{
    closeWithError(error, errorString);
}

void AbstractSocketPrivate::aboutToAbort()
{
}

bool AbstractSocketPrivate::hasBufferedInput() const
{
    return false;
}

bool AbstractSocketPrivate::processBufferedInput()
{
    return true;
}

// --- services -------------------------------------------------------------------------

qint64 AbstractSocketPrivate::readFromTransport(char *buffer, qint64 maxSize)
{
    if (!transport || !transport->isOpen()) {
        transportErrno = EBADF;
        return -1;
    }
    const qint64 n = transport->read(buffer, maxSize);
    if (n > 0)
        return n;
    if (n == TcpTransport::WouldBlock)
        return 0;
    transportErrno = n == TcpTransport::EndOfFile ? 0 : transport->lastError();
    return -1;
}

void AbstractSocketPrivate::writeToTransport(const char *data, qint64 size)
{
    if (size <= 0)
        return;
    writeBuffer.append(data, size);
    armWriteNotifier();
}

void AbstractSocketPrivate::writeToTransport(const QByteArray &data)
{
    if (data.isEmpty())
        return;
    writeBuffer.append(data);
    armWriteNotifier();
}

void AbstractSocketPrivate::armWriteNotifier()
{
    if (transport && isConnectedState(state))
        transport->setWriteNotificationEnabled(true);
}

qint64 AbstractSocketPrivate::readBufferSpace() const
{
    if (readBufferMaxSize <= 0)
        return -1;
    return qMax<qint64>(0, readBufferMaxSize - readBuffer.size());
}

bool AbstractSocketPrivate::emitReadyRead()
{
    ++readyReadCount;
    QPointer<QAbstractSocket> guard(q);
    if (!emittingReadyRead) { // never recursively; the data waits in the buffer
        emittingReadyRead = true;
        // Also when a slot throws: readyRead() must not stay suppressed for good.
        const auto reset = qScopeGuard([&] {
            if (guard)
                emittingReadyRead = false;
        });
        Q_EMIT q->readyRead();
        if (!guard)
            return false;
    }
    // As Qt: after readyRead(), and also when recursing; the sockets have one channel, 0.
    if (std::exchange(channelReadyReadDropped, false))
        return true;
    Q_EMIT q->channelReadyRead(0);
    return !guard.isNull();
}

void AbstractSocketPrivate::setError(QAbstractSocket::SocketError error, const QString &errorString)
{
    qCDebug(lcQtPskSocket).nospace() << static_cast<const void *>(q) << ": error " << error
                                     << ", " << errorString;
    socketError = error;
    q->setErrorString(errorString);
}

bool AbstractSocketPrivate::setErrorAndEmit(QAbstractSocket::SocketError error,
                                            const QString &errorString)
{
    setError(error, errorString);
    QPointer<QAbstractSocket> guard(q);
    Q_EMIT q->errorOccurred(error);
    return !guard.isNull();
}

bool AbstractSocketPrivate::setStateAndEmit(QAbstractSocket::SocketState newState)
{
    if (state == newState)
        return true;
    qCDebug(lcQtPskSocket).nospace() << static_cast<const void *>(q) << ": " << state << " -> "
                                     << newState;
    state = newState;
    QPointer<QAbstractSocket> guard(q);
    Q_EMIT q->stateChanged(newState);
    return !guard.isNull();
}

bool AbstractSocketPrivate::closeWithError(QAbstractSocket::SocketError error,
                                           const QString &errorString)
{
    if (!setErrorAndEmit(error, errorString))
        return false;
    if (!isConnectedState(state))
        return true; // a slot aborted or closed the socket already
    writeBuffer.clear(); // the peer is gone: nothing more can be delivered
    if (state != QAbstractSocket::ClosingState
        && !setStateAndEmit(QAbstractSocket::ClosingState))
        return false;
    if (state != QAbstractSocket::ClosingState)
        return true;
    return finishClosing();
}

bool AbstractSocketPrivate::finishClosing()
{
    const QAbstractSocket::SocketState previous = state;
    if (previous == QAbstractSocket::UnconnectedState)
        return true;
    resetConnection();
    return becomeUnconnected(previous);
}

bool AbstractSocketPrivate::becomeUnconnected(QAbstractSocket::SocketState previous)
{
    QPointer<QAbstractSocket> guard(q);
    if (!setStateAndEmit(QAbstractSocket::UnconnectedState))
        return false;
    if (state != QAbstractSocket::UnconnectedState)
        return true; // reconnected from a slot
    Q_EMIT q->readChannelFinished();
    if (!guard)
        return false;
    if (state != QAbstractSocket::UnconnectedState)
        return true;
    if (!connectionEnding())
        return false;
    if (isConnectedState(previous) && state == QAbstractSocket::UnconnectedState) {
        Q_EMIT q->disconnected();
        if (!guard)
            return false;
    }
    return true;
}

bool AbstractSocketPrivate::enterClosingState()
{
    if (!setStateAndEmit(QAbstractSocket::ClosingState))
        return false;
    if (transport && state == QAbstractSocket::ClosingState)
        transport->setReadNotificationEnabled(false); // as Qt: a closing socket reads no more
    return true;
}

bool AbstractSocketPrivate::maybeFinishClosing()
{
    // Bytes sent eagerly are reported (bytesWritten) before the socket closes, from the event
    // loop, as Qt reports them.
    if (state != QAbstractSocket::ClosingState || transportBytesToWrite() > 0
        || sentNotReported > 0 || applicationBytesToWrite() > 0 || closeDeferred())
        return true;
    return finishClosing();
}

bool AbstractSocketPrivate::flushTransport(bool *wrote)
{
    if (wrote)
        *wrote = false;
    if (!transport || !transport->isOpen() || !isConnectedState(state) || reconnecting)
        return true;
    qint64 total = std::exchange(sentNotReported, 0);
    bool failed = false;
    while (!writeBuffer.isEmpty()) {
        qint64 length = 0;
        const char *data = writeBuffer.front(&length);
        const qint64 n = transport->write(data, length);
        if (n < 0) {
            failed = true;
            break;
        }
        if (n == 0)
            break;
        writeBuffer.skip(n);
        total += n;
    }
    if (failed) {
        QString message;
        const QAbstractSocket::SocketError error =
                errorFromErrno(transport->lastError(), &message, false);
        transportError(error, message);
        return true; // transportError() may have destroyed q: the caller re-checks via guard
    }
    transport->setWriteNotificationEnabled(!writeBuffer.isEmpty());
    if (total > 0) {
        if (wrote)
            *wrote = true;
        ++bytesWrittenCount;
        if (!emittingBytesWritten) {
            QPointer<QAbstractSocket> guard(q);
            emittingBytesWritten = true;
            const auto reset = qScopeGuard([&] { // also when a slot throws
                if (guard)
                    emittingBytesWritten = false;
            });
            transportBytesWritten(total);
            if (!guard)
                return false;
        }
    }
    return maybeFinishClosing();
}

void AbstractSocketPrivate::sendEagerly()
{
    if (!transport || !transport->isOpen() || !isConnectedState(state) || reconnecting)
        return;
    while (!writeBuffer.isEmpty()) {
        qint64 length = 0;
        const char *data = writeBuffer.front(&length);
        const qint64 n = transport->write(data, length);
        if (n <= 0)
            break; // would block, or an error the next flushTransport() reports
        writeBuffer.skip(n);
        sentNotReported += n;
    }
    // The event loop reports what was sent (bytesWritten) and sends the rest.
    transport->setWriteNotificationEnabled(true);
}

bool AbstractSocketPrivate::waitForTransport(QDeadlineTimer deadline)
{
    if (!transport || !transport->isOpen())
        return false;
    // Input already taken from the kernel goes first: the descriptor may never become readable
    // for it (the peer sent everything before the read buffer filled up).
    if (bufferedInputQueued && !readPaused && !reconnecting && isConnectedState(state)) {
        QPointer<QAbstractSocket> guard(q);
        return runBufferedInput() && !guard.isNull();
    }
    bool readable = false;
    bool writable = false;
    // A connect in progress (a new connection, or reconnectTransport()'s) waits for writability.
    const bool connecting = state == QAbstractSocket::ConnectingState || reconnecting;
    const bool wantRead = !readPaused && !connecting;
    // A closing socket reports what it sent eagerly, then closes (waitForDisconnected()); the
    // descriptor is writable at once. Otherwise such bytes are left to waitForBytesWritten().
    const bool wantWrite = connecting || !writeBuffer.isEmpty()
            || (sentNotReported > 0 && state == QAbstractSocket::ClosingState);
    const WaitResult result = transport->wait(wantRead, wantWrite, deadline, &readable, &writable);
    if (result == WaitResult::Timeout) {
        // As in Qt: reported with errorOccurred(); the socket stays as it is.
        setErrorAndEmit(QAbstractSocket::SocketTimeoutError, timeoutString());
        return false;
    }
    if (result == WaitResult::Failed)
        return false;
    QPointer<QAbstractSocket> guard(q);
    if (reconnecting)
        return (!writable || finishReconnect()) && !guard.isNull();
    if (state == QAbstractSocket::ConnectingState) {
        if (writable)
            testConnection();
        return !guard.isNull();
    }
    if (readable && isConnectedState(state)) {
        transportReadable();
        if (!guard)
            return false;
    }
    if (writable && isConnectedState(state)) {
        if (!flushTransport() || !guard)
            return false;
    }
    return true;
}

// --- connection life cycle --------------------------------------------------------------

void AbstractSocketPrivate::startLookup(const QString &hostName, quint16 port,
                                        QAbstractSocket::NetworkLayerProtocol protocol)
{
    // As measured on Qt 6.4: an IP literal needs no lookup, so ConnectingState and hostFound()
    // follow synchronously inside connectToHost(). Only real names go to the worker thread.
    SocketAddress literal;
    if (SocketAddress::fromLiteral(hostName, port, &literal)) {
        HostLookupResult result;
        const int family = familyFor(protocol);
        if (family == AF_UNSPEC || family == literal.family())
            result.addresses.append(literal);
        else
            result.hostNotFound = true;
        lookupFinished(result);
        return;
    }
    lookup.start(hostName, port, familyFor(protocol), q,
                 [this](const HostLookupResult &result) { lookupFinished(result); });
}

bool AbstractSocketPrivate::lookupFinished(const HostLookupResult &result)
{
    if (state != QAbstractSocket::HostLookupState)
        return true;
    if (result.addresses.isEmpty()) {
        setError(QAbstractSocket::HostNotFoundError,
                 result.hostNotFound ? tr("Host not found") : result.errorString);
        if (!setStateAndEmit(QAbstractSocket::UnconnectedState))
            return false;
        QPointer<QAbstractSocket> guard(q);
        Q_EMIT q->errorOccurred(socketError);
        return !guard.isNull();
    }
    pendingAddresses = result.addresses;
    lastConnectErrno = 0;
    if (!setStateAndEmit(QAbstractSocket::ConnectingState))
        return false;
    if (state != QAbstractSocket::ConnectingState)
        return true;
    QPointer<QAbstractSocket> guard(q);
    Q_EMIT q->hostFound();
    if (!guard)
        return false;
    if (state != QAbstractSocket::ConnectingState)
        return true;
    return connectToNextAddress();
}

bool AbstractSocketPrivate::connectToNextAddress()
{
    TcpTransport &t = ensureTransport();
    while (!pendingAddresses.isEmpty()) {
        const SocketAddress address = pendingAddresses.takeFirst();
        if (bound) {
            if (address.family() != t.localAddress().family()) {
                lastConnectErrno = EAFNOSUPPORT;
                continue;
            }
        } else if (!t.open(address.family())) {
            lastConnectErrno = t.lastError();
            continue;
        }
        applySocketOptions();
        const int rc = t.connectTo(address);
        if (rc == 0 || rc == EINPROGRESS) {
            // Even an immediate success is reported from the event loop (the socket is
            // writable at once), so connected() is never emitted from inside connectToHost().
            t.setWriteNotificationEnabled(true);
            return true;
        }
        lastConnectErrno = rc;
        if (!bound)
            t.close();
    }
    // Every address failed.
    QString message;
    const QAbstractSocket::SocketError error =
            errorFromErrno(lastConnectErrno ? lastConnectErrno : ECONNREFUSED, &message, true);
    resetConnection();
    setError(error, message);
    if (!setStateAndEmit(QAbstractSocket::UnconnectedState))
        return false;
    QPointer<QAbstractSocket> guard(q);
    Q_EMIT q->errorOccurred(socketError);
    return !guard.isNull();
}

bool AbstractSocketPrivate::testConnection()
{
    if (state != QAbstractSocket::ConnectingState || !transport)
        return true;
    const int rc = transport->connectResult();
    if (rc == EINPROGRESS)
        return true;
    if (rc == 0)
        return connectionEstablished();
    lastConnectErrno = rc;
    transport->close();
    bound = false;
    return connectToNextAddress();
}

bool AbstractSocketPrivate::connectionEstablished()
{
    pendingAddresses.clear();
    bound = false;
    fetchAddresses();
    transport->setWriteNotificationEnabled(!writeBuffer.isEmpty());
    if (!setStateAndEmit(QAbstractSocket::ConnectedState))
        return false;
    if (state != QAbstractSocket::ConnectedState)
        return true;
    updateReadNotification();
    QPointer<QAbstractSocket> guard(q);
    transportConnected();
    if (!guard)
        return false;
    if (state == QAbstractSocket::ConnectedState && pendingClose) {
        pendingClose = false;
        q->disconnectFromHost();
        return !guard.isNull();
    }
    return true;
}

void AbstractSocketPrivate::onReadable()
{
    if (isConnectedState(state) && !reconnecting)
        transportReadable();
}

void AbstractSocketPrivate::onWritable()
{
    if (reconnecting) {
        finishReconnect();
        return;
    }
    if (state == QAbstractSocket::ConnectingState) {
        testConnection();
        return;
    }
    if (isConnectedState(state))
        flushTransport();
    else if (transport)
        transport->setWriteNotificationEnabled(false);
}

void AbstractSocketPrivate::updateReadNotification()
{
    if (!transport)
        return;
    readPaused = readBufferSpace() == 0;
    transport->setReadNotificationEnabled(state == QAbstractSocket::ConnectedState && !readPaused);
}

void AbstractSocketPrivate::readBufferSpaceChanged()
{
    updateReadNotification();
    if (readPaused || bufferedInputQueued || !hasBufferedInput())
        return;
    bufferedInputQueued = true;
    // Queued, never from inside read(): readyRead() must not be emitted by a read. The socket is
    // the context, so the call is dropped if it is destroyed first.
    QMetaObject::invokeMethod(q, [this] { runBufferedInput(); }, Qt::QueuedConnection);
}

bool AbstractSocketPrivate::runBufferedInput()
{
    if (!std::exchange(bufferedInputQueued, false))
        return true;
    if (!isConnectedState(state) || readPaused || !hasBufferedInput())
        return true;
    return processBufferedInput();
}

void AbstractSocketPrivate::resetConnection()
{
    lookup.cancel();
    pendingAddresses.clear();
    pendingClose = false;
    reconnecting = false;
    bound = false;
    readPaused = false;
    bufferedInputQueued = false;
    writeBuffer.clear();
    sentNotReported = 0;
    if (transport)
        transport->close();
}

bool AbstractSocketPrivate::closeDevice()
{
    if (!q->isOpen())
        return true;
    // QIODevice::close() goes on with the device after it emitted aboutToClose(): a slot that
    // deleted the socket there would make Qt touch freed memory. So the signal is emitted here,
    // guarded, and QIODevice closes silently (it emits nothing else).
    QPointer<QAbstractSocket> guard(q);
    Q_EMIT q->aboutToClose();
    if (!guard)
        return false;
    if (q->isOpen()) { // unless a slot closed it already
        const QSignalBlocker blocker(q);
        q->QIODevice::close();
    }
    return true;
}

bool AbstractSocketPrivate::abortConnection()
{
    const QAbstractSocket::SocketState previous = state;
    lookup.cancel();
    aboutToAbort();
    resetConnection();
    if (closesDeviceAfterAbort()) {
        // Qt's QSslSocket: the connection's closing signals first, then aboutToClose().
        readBuffer.clear();
        if (previous != QAbstractSocket::UnconnectedState && state != QAbstractSocket::UnconnectedState
            && !becomeUnconnected(previous)) {
            return false;
        }
        if (state != QAbstractSocket::UnconnectedState)
            return true; // reconnected from a slot
        return closeDevice();
    }
    if (!closeDevice())
        return false;
    readBuffer.clear();
    if (previous == QAbstractSocket::UnconnectedState || state == QAbstractSocket::UnconnectedState)
        return true;
    resetConnection(); // a slot of aboutToClose() may have written
    return becomeUnconnected(previous);
}

void AbstractSocketPrivate::forgetEndpoints()
{
    localPort = 0;
    localAddress.clear();
    peerPort = 0;
    peerAddress.clear();
    peerName.clear();
}

void AbstractSocketPrivate::fetchAddresses()
{
    if (!transport)
        return;
    const SocketAddress local = transport->localAddress();
    localAddress = toHostAddress(local);
    localPort = local.port();
    const SocketAddress peer = transport->peerAddress();
    if (peer.isValid()) {
        peerAddress = toHostAddress(peer);
        peerPort = peer.port();
    }
}

bool AbstractSocketPrivate::applySocketOption(QAbstractSocket::SocketOption option,
                                              const QVariant &value)
{
    if (!transport || !transport->isOpen())
        return false;
    return QtPskPrivate::setSocketOption(*transport, option, value.toInt());
}

void AbstractSocketPrivate::applySocketOptions()
{
    for (auto it = socketOptions.cbegin(); it != socketOptions.cend(); ++it)
        applySocketOption(QAbstractSocket::SocketOption(it.key()), it.value());
}

bool AbstractSocketPrivate::bindTo(const SocketAddress &address, QAbstractSocket::BindMode mode,
                                   bool reportErrors)
{
    TcpTransport &t = ensureTransport();
    if (!t.open(address.family())) {
        if (reportErrors) {
            QString message;
            setErrorAndEmit(errorFromErrno(t.lastError(), &message, false), message);
        }
        return false;
    }
    if (address.family() == AF_INET6)
        t.setOption(IPPROTO_IPV6, IPV6_V6ONLY, 0); // "::" accepts IPv4 too, like Qt's Any
    const bool reuse = !(mode & QAbstractSocket::DontShareAddress);
    if (!t.bind(address, reuse)) {
        const int error = t.lastError();
        t.close();
        if (!reportErrors)
            return false;
        QString message;
        setErrorAndEmit(socketErrorFromErrno(error, SocketCall::Bind, &message), message);
        return false;
    }
    bound = true;
    fetchAddresses();
    setStateAndEmit(QAbstractSocket::BoundState);
    return true;
}

QAbstractSocket::SocketError AbstractSocketPrivate::errorFromErrno(int error, QString *errorString,
                                                                   bool connecting)
{
    return socketErrorFromErrno(error, connecting ? SocketCall::Connect : SocketCall::Other,
                                errorString);
}

} // namespace QtPskPrivate

using QtPskPrivate::AbstractSocketPrivate;

// --- QAbstractSocket --------------------------------------------------------------------

QAbstractSocket::QAbstractSocket(SocketType socketType, QObject *parent)
    : QAbstractSocket(socketType, std::make_unique<AbstractSocketPrivate>(), parent)
{
}

QAbstractSocket::QAbstractSocket(SocketType socketType,
                                 std::unique_ptr<QtPskPrivate::AbstractSocketPrivate> dd,
                                 QObject *parent)
    : QIODevice(parent), d_ptr(std::move(dd))
{
    if (!d_ptr)
        d_ptr = std::make_unique<AbstractSocketPrivate>();
    d_ptr->init(this, socketType);
}

QAbstractSocket::~QAbstractSocket()
{
    // As in Qt: a connected socket emits its closing signals from here.
    if (d_ptr->state != UnconnectedState)
        abort();
    d_ptr->lookup.cancel();
    d_ptr->transport.reset();
}

void QAbstractSocket::resume()
{
}

QAbstractSocket::PauseModes QAbstractSocket::pauseMode() const
{
    return d_ptr->pauseMode;
}

void QAbstractSocket::setPauseMode(PauseModes pauseMode)
{
    d_ptr->pauseMode = pauseMode;
}

bool QAbstractSocket::bind(const QHostAddress &address, quint16 port, BindMode mode)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (d->state != UnconnectedState) {
        qCWarning(lcQtPskSocket, "QAbstractSocket::bind() called on a socket that is not unconnected");
        return false;
    }
    QString proxyError;
    if (!QtPskPrivate::proxyAllowsBind(d->proxy, &proxyError)) {
        d->setError(UnsupportedSocketOperationError, proxyError); // as Qt: no signal
        return false;
    }
    QtPskPrivate::SocketAddress a;
    if (!QtPskPrivate::SocketAddress::fromLiteral(address.toString(), port, &a)) {
        d->setErrorAndEmit(SocketAddressNotAvailableError, tr("The address is not available"));
        return false;
    }
    return d->bindTo(a, mode);
}

bool QAbstractSocket::bind(quint16 port, BindMode mode)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (d->state != UnconnectedState)
        return false;
    QString proxyError;
    if (!QtPskPrivate::proxyAllowsBind(d->proxy, &proxyError)) {
        d->setError(UnsupportedSocketOperationError, proxyError); // as Qt: no signal
        return false;
    }
    QtPskPrivate::SocketAddress any;
    QtPskPrivate::SocketAddress::fromLiteral(QStringLiteral("::"), port, &any);
    if (d->bindTo(any, mode, false)) // IPv6 "::" (dual stack) where the system has IPv6
        return true;
    QtPskPrivate::SocketAddress::fromLiteral(QStringLiteral("0.0.0.0"), port, &any);
    return d->bindTo(any, mode);
}

void QAbstractSocket::connectToHost(const QString &hostName, quint16 port, OpenMode mode,
                                    NetworkLayerProtocol protocol)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (d->state == ConnectedState || d->state == ConnectingState || d->state == ClosingState
        || d->state == HostLookupState) {
        qCWarning(lcQtPskSocket,
                  "QAbstractSocket::connectToHost() called when already looking up or "
                  "connecting/connected to \"%s\"",
                  qUtf8Printable(hostName));
        d->setErrorAndEmit(OperationError, tr("Trying to connect while connection is in progress"));
        return;
    }
    // As Qt for a proxy it cannot use: errorOccurred() at once, no state change, not opened;
    // only the peer name is taken.
    QString proxyError;
    if (!QtPskPrivate::proxyAllowsConnect(d->proxy, hostName, &proxyError)) {
        d->peerName = hostName;
        d->peerPort = 0;
        d->peerAddress.clear();
        d->setErrorAndEmit(UnsupportedSocketOperationError, proxyError);
        return;
    }
    const bool keepBound = d->state == BoundState && d->bound;
    if (!keepBound)
        d->resetConnection();
    d->readBuffer.clear();
    d->writeBuffer.clear();
    d->socketError = UnknownSocketError;
    setErrorString(QString());
    d->peerName = hostName;
    d->peerPort = 0; // both are known once connected, as in Qt
    d->peerAddress.clear();
    d->openModeForConnect = mode;
    if (isOpen())
        setOpenMode(mode);
    else
        QIODevice::open(mode);
    d->bound = keepBound;
    if (!d->setStateAndEmit(HostLookupState) || d->state != HostLookupState)
        return;
    d->startLookup(hostName, port, protocol);
}

void QAbstractSocket::connectToHost(const QHostAddress &address, quint16 port, OpenMode mode)
{
    connectToHost(address.toString(), port, mode);
}

void QAbstractSocket::disconnectFromHost()
{
    AbstractSocketPrivate *d = d_ptr.get();
    switch (d->state) {
    case UnconnectedState:
    case ClosingState:
        return;
    case HostLookupState:
    case ConnectingState:
        d->pendingClose = true; // as in Qt: connect first, then close
        return;
    case BoundState:
    case ListeningState:
        d->resetConnection();
        d->setStateAndEmit(UnconnectedState);
        return;
    case ConnectedState:
        break;
    }
    // As Qt: ClosingState first; then what the layer on top does (SSL: close_notify).
    if (!d->enterClosingState() || d->state != ClosingState)
        return;
    if (!d->beginDisconnect() || d->state != ClosingState)
        return;
    if (d->transportBytesToWrite() > 0 || d->sentNotReported > 0) {
        d->transport->setWriteNotificationEnabled(true); // finished by the event loop
        return;
    }
    d->maybeFinishClosing();
}

bool QAbstractSocket::isValid() const
{
    return d_ptr->transport && d_ptr->transport->isOpen();
}

qint64 QAbstractSocket::bytesAvailable() const
{
    return d_ptr->readBuffer.size() + QIODevice::bytesAvailable();
}

qint64 QAbstractSocket::bytesToWrite() const
{
    return d_ptr->applicationBytesToWrite();
}

quint16 QAbstractSocket::localPort() const
{
    return d_ptr->localPort;
}

QHostAddress QAbstractSocket::localAddress() const
{
    return d_ptr->localAddress;
}

quint16 QAbstractSocket::peerPort() const
{
    return d_ptr->peerPort;
}

QHostAddress QAbstractSocket::peerAddress() const
{
    return d_ptr->peerAddress;
}

QString QAbstractSocket::peerName() const
{
    return d_ptr->peerName;
}

qint64 QAbstractSocket::readBufferSize() const
{
    return d_ptr->readBufferMaxSize;
}

void QAbstractSocket::setReadBufferSize(qint64 size)
{
    d_ptr->readBufferMaxSize = qMax<qint64>(0, size);
    d_ptr->readBufferSpaceChanged();
}

void QAbstractSocket::abort()
{
    d_ptr->abortConnection();
}

qintptr QAbstractSocket::socketDescriptor() const
{
    return d_ptr->transport && d_ptr->transport->isOpen() ? d_ptr->transport->descriptor() : -1;
}

bool QAbstractSocket::setSocketDescriptor(qintptr socketDescriptor, SocketState socketState,
                                          OpenMode openMode)
{
    AbstractSocketPrivate *d = d_ptr.get();
    d->lookup.cancel();
    d->aboutToAbort();
    d->resetConnection();
    d->readBuffer.clear();
    QtPskPrivate::TcpTransport &t = d->ensureTransport();
    if (socketDescriptor < 0 || socketDescriptor > INT_MAX || !t.adopt(int(socketDescriptor))) {
        d->setError(UnsupportedSocketOperationError,
                           tr("The descriptor is not a valid stream socket"));
        return false;
    }
    d->socketError = UnknownSocketError;
    setErrorString(QString());
    d->peerName.clear();
    d->fetchAddresses();
    d->applySocketOptions();
    if (isOpen())
        setOpenMode(openMode);
    else
        QIODevice::open(openMode);
    QPointer<QAbstractSocket> guard(this);
    if (!d->setStateAndEmit(socketState) || d->state != socketState)
        return guard && d->transport && d->transport->isOpen();
    if (socketState == ConnectingState)
        t.setWriteNotificationEnabled(true);
    else if (socketState == ConnectedState)
        d->updateReadNotification();
    return true;
}

void QAbstractSocket::setSocketOption(SocketOption option, const QVariant &value)
{
    d_ptr->socketOptions.insert(int(option), value);
    d_ptr->applySocketOption(option, value);
}

QVariant QAbstractSocket::socketOption(SocketOption option)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (!d->transport || !d->transport->isOpen())
        return d->socketOptions.value(int(option));
    return QtPskPrivate::socketOptionValue(*d->transport, option);
}

QAbstractSocket::SocketType QAbstractSocket::socketType() const
{
    return d_ptr->socketType;
}

QAbstractSocket::SocketState QAbstractSocket::state() const
{
    return d_ptr->state;
}

QAbstractSocket::SocketError QAbstractSocket::error() const
{
    return d_ptr->socketError;
}

void QAbstractSocket::close()
{
    AbstractSocketPrivate *d = d_ptr.get();
    QPointer<QAbstractSocket> guard(this);
    if (!d->closeDevice())
        return;
    if (d->state == HostLookupState || d->state == ConnectingState) {
        d->abortConnection();
        return;
    }
    if (d->state != UnconnectedState) {
        disconnectFromHost();
        if (!guard)
            return;
    }
    d->readBuffer.clear();
    if (d->state == UnconnectedState)
        d->forgetEndpoints();
}

bool QAbstractSocket::isSequential() const
{
    return true;
}

bool QAbstractSocket::canReadLine() const
{
    return d_ptr->readBuffer.indexOf('\n') >= 0 || QIODevice::canReadLine();
}

bool QAbstractSocket::atEnd() const
{
    return QIODevice::atEnd();
}

bool QAbstractSocket::flush()
{
    AbstractSocketPrivate *d = d_ptr.get();
    bool wrote = false;
    d->flushTransport(&wrote);
    return wrote;
}

bool QAbstractSocket::waitForConnected(int msecs)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (d->state == ConnectedState || d->state == ClosingState)
        return true;
    if (d->state != HostLookupState && d->state != ConnectingState)
        return false;
    const QDeadlineTimer deadline = QtPskPrivate::deadlineFromMsecs(msecs);
    QPointer<QAbstractSocket> guard(this);
    bool timedOut = false;
    if (d->state == HostLookupState) {
        QtPskPrivate::HostLookupResult result;
        if (d->lookup.waitForResult(deadline, &result)) {
            if (!d->lookupFinished(result))
                return false;
        } else {
            timedOut = true;
        }
    }
    while (!timedOut && d->state == ConnectingState) {
        if (!d->transport || !d->transport->isOpen())
            break;
        bool writable = false;
        const auto r = d->transport->wait(false, true, deadline, nullptr, &writable);
        if (r == QtPskPrivate::WaitResult::Timeout) {
            timedOut = true;
            break;
        }
        if (r == QtPskPrivate::WaitResult::Failed)
            break;
        if (!d->testConnection() || !guard)
            return false;
    }
    if (d->state == HostLookupState || d->state == ConnectingState) {
        // As in Qt: give up on the attempt, report the timeout without errorOccurred().
        d->resetConnection();
        d->setError(SocketTimeoutError, tr("Socket operation timed out"));
        d->setStateAndEmit(UnconnectedState);
        return false;
    }
    return d->state == ConnectedState || d->state == ClosingState;
}

bool QAbstractSocket::waitForReadyRead(int msecs)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (d->state == UnconnectedState || d->state == BoundState)
        return false;
    const QDeadlineTimer deadline = QtPskPrivate::deadlineFromMsecs(msecs);
    QPointer<QAbstractSocket> guard(this);
    if (d->state == HostLookupState || d->state == ConnectingState) {
        if (!waitForConnected(QtPskPrivate::remainingMsecs(deadline)) || !guard)
            return false;
    }
    const quint64 before = d->readyReadCount;
    while (d->state == ConnectedState || d->state == ClosingState) {
        if (d->readPaused) {
            d->setError(SocketTimeoutError, tr("Socket operation timed out"));
            return false; // the buffer is full: nothing new can arrive until it is read
        }
        if (!d->waitForTransport(deadline) || !guard)
            return false;
        if (d->readyReadCount != before)
            return true;
    }
    return false;
}

bool QAbstractSocket::waitForBytesWritten(int msecs)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (d->state == UnconnectedState || d->state == BoundState)
        return false;
    const QDeadlineTimer deadline = QtPskPrivate::deadlineFromMsecs(msecs);
    QPointer<QAbstractSocket> guard(this);
    if (d->state == HostLookupState || d->state == ConnectingState) {
        if (!waitForConnected(QtPskPrivate::remainingMsecs(deadline)) || !guard)
            return false;
    }
    if (d->transportBytesToWrite() == 0) {
        if (d->sentNotReported == 0)
            return false;
        // Sent already (sendEagerly()), not yet reported: report it now.
        const quint64 before = d->bytesWrittenCount;
        if (!d->flushTransport() || !guard)
            return false;
        return d->bytesWrittenCount != before;
    }
    const quint64 before = d->bytesWrittenCount;
    while ((d->state == ConnectedState || d->state == ClosingState)
           && d->transportBytesToWrite() > 0) {
        if (!d->waitForTransport(deadline) || !guard)
            return false;
        if (d->bytesWrittenCount != before)
            return true;
    }
    return d->bytesWrittenCount != before;
}

bool QAbstractSocket::waitForDisconnected(int msecs)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (d->state == UnconnectedState) {
        qCWarning(lcQtPskSocket,
                  "QAbstractSocket::waitForDisconnected() is not allowed in UnconnectedState");
        return false;
    }
    const QDeadlineTimer deadline = QtPskPrivate::deadlineFromMsecs(msecs);
    QPointer<QAbstractSocket> guard(this);
    if (d->state == HostLookupState || d->state == ConnectingState) {
        if (!waitForConnected(QtPskPrivate::remainingMsecs(deadline)) || !guard)
            return false;
    }
    while (d->state == ConnectedState || d->state == ClosingState) {
        if (d->readPaused) {
            // Make room: the application did not read, but it asked to wait for the close.
            d->readBufferMaxSize = 0;
            d->updateReadNotification();
        }
        if (!d->waitForTransport(deadline))
            return guard && d->state == UnconnectedState; // a slot may have deleted the socket
    }
    return d->state == UnconnectedState;
}

void QAbstractSocket::setProxy(const QNetworkProxy &networkProxy)
{
    d_ptr->proxy = networkProxy;
}

QNetworkProxy QAbstractSocket::proxy() const
{
    return d_ptr->proxy;
}

QString QAbstractSocket::protocolTag() const
{
    return d_ptr->protocolTag;
}

void QAbstractSocket::setProtocolTag(const QString &tag)
{
    d_ptr->protocolTag = tag;
}

qint64 QAbstractSocket::readData(char *data, qint64 maxlen)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (d->readBuffer.isEmpty())
        return (d->state == ConnectedState || maxlen == 0) ? 0 : -1;
    const qint64 n = d->readBuffer.read(data, maxlen);
    if (d->readPaused)
        d->readBufferSpaceChanged();
    return n;
}

qint64 QAbstractSocket::readLineData(char *data, qint64 maxlen)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (d->readBuffer.isEmpty())
        return (d->state == ConnectedState || maxlen == 0) ? 0 : -1;
    const qint64 n = d->readBuffer.readLine(data, maxlen);
    if (d->readPaused)
        d->readBufferSpaceChanged();
    return n;
}

qint64 QAbstractSocket::skipData(qint64 maxSize)
{
    AbstractSocketPrivate *d = d_ptr.get();
    const qint64 n = d->readBuffer.skip(maxSize);
    if (d->readPaused)
        d->readBufferSpaceChanged();
    return n;
}

qint64 QAbstractSocket::writeData(const char *data, qint64 len)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (d->state == UnconnectedState || d->state == BoundState || d->state == ListeningState) {
        d->setError(UnknownSocketError, tr("Socket is not connected"));
        return -1;
    }
    return d->writeApplicationData(data, len);
}

void QAbstractSocket::setSocketState(SocketState state)
{
    d_ptr->state = state;
}

void QAbstractSocket::setSocketError(SocketError socketError)
{
    d_ptr->socketError = socketError;
}

void QAbstractSocket::setLocalPort(quint16 port)
{
    d_ptr->localPort = port;
}

void QAbstractSocket::setLocalAddress(const QHostAddress &address)
{
    d_ptr->localAddress = address;
}

void QAbstractSocket::setPeerPort(quint16 port)
{
    d_ptr->peerPort = port;
}

void QAbstractSocket::setPeerAddress(const QHostAddress &address)
{
    d_ptr->peerAddress = address;
}

void QAbstractSocket::setPeerName(const QString &name)
{
    d_ptr->peerName = name;
}

#ifndef QT_NO_DEBUG_STREAM
// Prints "QAbstractSocket::<enumerator>", or "QAbstractSocket::<Enum>(<number>)" for other values.
template <typename Enum>
static QDebug debugEnumerator(QDebug debug, Enum value)
{
    const QDebugStateSaver saver(debug);
    const QMetaEnum e = QMetaEnum::fromType<Enum>();
    debug.resetFormat().nospace() << "QAbstractSocket::";
    if (const char *key = e.valueToKey(int(value)))
        debug << key;
    else
        debug << e.enumName() << '(' << int(value) << ')';
    return debug;
}

QDebug operator<<(QDebug debug, QAbstractSocket::SocketError error)
{
    return debugEnumerator(debug, error);
}

QDebug operator<<(QDebug debug, QAbstractSocket::SocketState state)
{
    return debugEnumerator(debug, state);
}
#endif

QTPSK_END_NAMESPACE

// moc output here, where every signal parameter type is complete (parameterMetaType() is valid).
#include "moc_qabstractsocket.cpp"
