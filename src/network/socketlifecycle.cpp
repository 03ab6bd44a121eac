// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// AbstractSocketPrivate's life cycle: name look-up, connecting (and reconnecting), closing and
// aborting, binding, and the endpoints the socket reports.
#include "network/qabstractsocket_p.h"
#include "qtpsklogging_p.h"
#include "transport/socketerrors_p.h"

#include <QtCore/qloggingcategory.h>

#include <cerrno>
#include <utility>
#include <netinet/in.h>
#include <sys/socket.h>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

namespace {

QString tr(const char *text)
{
    return QAbstractSocket::tr(text);
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

} // namespace

AbstractSocketPrivate::AbstractSocketPrivate() : m_layer(std::make_unique<PlainStreamLayer>(*this))
{
}

AbstractSocketPrivate::~AbstractSocketPrivate() = default;

void AbstractSocketPrivate::init(QAbstractSocket *socket, QAbstractSocket::SocketType type)
{
    q = socket;
    socketType = type;
    qRegisterMetaType<QAbstractSocket::SocketState>();
    qRegisterMetaType<QAbstractSocket::SocketError>();
}

void AbstractSocketPrivate::setLayer(std::unique_ptr<StreamLayer> layer)
{
    m_layer = std::move(layer);
}

TcpTransport &AbstractSocketPrivate::ensureTransport()
{
    if (!transport) {
        if (isDatagram())
            transport = std::make_unique<UdpTransport>(q);
        else
            transport = std::make_unique<TcpTransport>(q);
        transport->onReadable = [this] { onReadable(); };
        transport->onWritable = [this] { onWritable(); };
    }
    return *transport;
}

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
    if (m_state != QAbstractSocket::HostLookupState)
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
    if (m_state != QAbstractSocket::ConnectingState)
        return true;
    QPointer<QAbstractSocket> guard(q);
    Q_EMIT q->hostFound();
    if (!guard)
        return false;
    if (m_state != QAbstractSocket::ConnectingState)
        return true;
    return connectToNextAddress();
}

bool AbstractSocketPrivate::connectToNextAddress()
{
    TcpTransport &t = ensureTransport();
    while (!pendingAddresses.isEmpty()) {
        const SocketAddress address = pendingAddresses.takeFirst();
        if (bound) {
            if (address.family() != t.addressFamily()) {
                lastConnectErrno = EAFNOSUPPORT;
                continue;
            }
        } else if (!t.open(address.family())) {
            lastConnectErrno = t.lastError();
            continue;
        } else if (isDatagram()) {
            udp().enableDatagramInfo();
        }
        applySocketOptions();
        const int rc = t.connectTo(address);
        if (rc == 0 && isDatagram())
            return connectionEstablished(); // as Qt: a UDP connect is done at once
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
    if (m_state != QAbstractSocket::ConnectingState || !transport)
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
    if (m_state != QAbstractSocket::ConnectedState)
        return true;
    updateReadNotification();
    QPointer<QAbstractSocket> guard(q);
    m_layer->connected();
    if (!guard)
        return false;
    if (m_state == QAbstractSocket::ConnectedState && pendingClose) {
        pendingClose = false;
        q->disconnectFromHost();
        return !guard.isNull();
    }
    return true;
}

bool AbstractSocketPrivate::reconnect()
{
    if (!transport || !transport->isOpen() || m_state != QAbstractSocket::ConnectedState)
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
        return m_layer->reconnected(false);
    fetchAddresses(); // a new local port
    transport->setWriteNotificationEnabled(!writeBuffer.isEmpty());
    updateReadNotification();
    return m_layer->reconnected(true);
}

bool AbstractSocketPrivate::closeByPeer()
{
    return closeWithError(QAbstractSocket::RemoteHostClosedError,
                          tr("The remote host closed the connection"));
}

bool AbstractSocketPrivate::failWire(int error)
{
    QString message;
    const QAbstractSocket::SocketError mapped = errorFromErrno(error, &message, false);
    return closeWithError(mapped, message);
}

void AbstractSocketPrivate::disconnectFromHost()
{
    switch (m_state) {
    case QAbstractSocket::UnconnectedState:
    case QAbstractSocket::ClosingState:
        return;
    case QAbstractSocket::HostLookupState:
    case QAbstractSocket::ConnectingState:
        pendingClose = true; // as in Qt: connect first, then close
        return;
    case QAbstractSocket::BoundState:
        if (isDatagram()) {
            // As Qt: a bound UDP socket closes like a connection (ClosingState, disconnected()).
            if (!setStateAndEmit(QAbstractSocket::ClosingState)
                || m_state != QAbstractSocket::ClosingState)
                return;
            finishClosing();
            return;
        }
        Q_FALLTHROUGH();
    case QAbstractSocket::ListeningState:
        resetConnection();
        setStateAndEmit(QAbstractSocket::UnconnectedState);
        return;
    case QAbstractSocket::ConnectedState:
        break;
    }
    // As Qt: QAbstractSocket::ClosingState first; then what the layer on top does (SSL: close_notify).
    if (!enterClosingState() || m_state != QAbstractSocket::ClosingState)
        return;
    if (!m_layer->beginDisconnect() || m_state != QAbstractSocket::ClosingState)
        return;
    if (wireBytesToWrite() > 0 || sentNotReported > 0) {
        transport->setWriteNotificationEnabled(true); // finished by the event loop
        return;
    }
    maybeFinishClosing();
}

bool AbstractSocketPrivate::closeWithError(QAbstractSocket::SocketError error,
                                           const QString &errorString)
{
    if (!setErrorAndEmit(error, errorString))
        return false;
    if (!isConnectedState(m_state))
        return true; // a slot aborted or closed the socket already
    writeBuffer.clear(); // the peer is gone: nothing more can be delivered
    if (m_state != QAbstractSocket::ClosingState
        && !setStateAndEmit(QAbstractSocket::ClosingState))
        return false;
    if (m_state != QAbstractSocket::ClosingState)
        return true;
    return finishClosing();
}

bool AbstractSocketPrivate::enterClosingState()
{
    if (!setStateAndEmit(QAbstractSocket::ClosingState))
        return false;
    if (transport && m_state == QAbstractSocket::ClosingState)
        transport->setReadNotificationEnabled(false); // as Qt: a closing socket reads no more
    return true;
}

bool AbstractSocketPrivate::maybeFinishClosing()
{
    // Bytes sent eagerly are reported (bytesWritten) before the socket closes, from the event
    // loop, as Qt reports them.
    if (m_state != QAbstractSocket::ClosingState || wireBytesToWrite() > 0
        || sentNotReported > 0 || m_layer->bytesToWrite() > 0 || m_layer->closeDeferred())
        return true;
    return finishClosing();
}

bool AbstractSocketPrivate::finishClosing()
{
    const QAbstractSocket::SocketState previous = m_state;
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
    if (m_state != QAbstractSocket::UnconnectedState)
        return true; // reconnected from a slot
    Q_EMIT q->readChannelFinished();
    if (!guard)
        return false;
    if (m_state != QAbstractSocket::UnconnectedState)
        return true;
    if (!m_layer->connectionEnding())
        return false;
    if (isConnectedState(previous) && m_state == QAbstractSocket::UnconnectedState) {
        Q_EMIT q->disconnected();
        if (!guard)
            return false;
    }
    return true;
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
    hasPendingData = false;
    engineErrorSet = false;
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
    const QAbstractSocket::SocketState previous = m_state;
    lookup.cancel();
    m_layer->aboutToAbort();
    resetConnection();
    if (m_layer->closesDeviceAfterAbort()) {
        // Qt's QSslSocket: the connection's closing signals first, then aboutToClose().
        readBuffer.clear();
        if (previous != QAbstractSocket::UnconnectedState && m_state != QAbstractSocket::UnconnectedState
            && !becomeUnconnected(previous)) {
            return false;
        }
        if (m_state != QAbstractSocket::UnconnectedState)
            return true; // reconnected from a slot
        return closeDevice();
    }
    if (!closeDevice())
        return false;
    readBuffer.clear();
    if (previous == QAbstractSocket::UnconnectedState || m_state == QAbstractSocket::UnconnectedState)
        return true;
    resetConnection(); // a slot of aboutToClose() may have written
    return becomeUnconnected(previous);
}

void AbstractSocketPrivate::finishDeviceClose()
{
    readBuffer.clear();
    if (m_state == QAbstractSocket::UnconnectedState)
        forgetEndpoints();
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
    int v6only = 1;
    if (isDatagram() && localAddress == QHostAddress(QHostAddress::AnyIPv6)
        && transport->option(IPPROTO_IPV6, IPV6_V6ONLY, &v6only) && v6only == 0) {
        localAddress = QHostAddress(QHostAddress::Any); // as Qt: a dual-stack UDP socket
    }
    localPort = local.port();
    const SocketAddress peer = transport->peerAddress();
    if (peer.isValid()) {
        peerAddress = toHostAddress(peer);
        peerPort = peer.port();
    }
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
    // As Qt: a UDP socket shares its port only when asked to (SO_REUSEADDR lets UDP sockets
    // bind the same port).
    const bool reuse = isDatagram()
            ? bool(mode & (QAbstractSocket::ShareAddress | QAbstractSocket::ReuseAddressHint))
            : !(mode & QAbstractSocket::DontShareAddress);
    if (!t.bind(address, reuse)) {
        const int error = t.lastError();
        if (!isDatagram() || !reportErrors)
            t.close(); // as Qt, a UDP socket keeps its descriptor (isValid()) after a failed bind
        if (!reportErrors)
            return false;
        QString message;
        setErrorAndEmit(socketErrorFromErrno(error, SocketCall::Bind, &message), message);
        return false;
    }
    bound = true;
    if (isDatagram())
        udp().enableDatagramInfo();
    fetchAddresses();
    QPointer<QAbstractSocket> guard(q);
    setStateAndEmit(QAbstractSocket::BoundState);
    if (guard && isDatagram() && m_state == QAbstractSocket::BoundState)
        updateReadNotification(); // as Qt: a bound UDP socket receives
    return true;
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
