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
    if (d_ptr->m_state != UnconnectedState)
        abort();
    d_ptr->lookup.cancel();
    d_ptr->transport.reset();
}

void QAbstractSocket::resume()
{
}

QAbstractSocket::PauseModes QAbstractSocket::pauseMode() const { return d_ptr->pauseMode; }

void QAbstractSocket::setPauseMode(PauseModes pauseMode) { d_ptr->pauseMode = pauseMode; }

bool QAbstractSocket::bind(const QHostAddress &address, quint16 port, BindMode mode)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (d->m_state != UnconnectedState) {
        qCWarning(lcQtPskSocket, "QAbstractSocket::bind() called on a socket that is not unconnected");
        if (d->isDatagram()) // as Qt: its socket engine's refusal, with no error of its own
            d->setErrorAndEmit(UnknownSocketError, QString());
        return false;
    }
    if (d->isDatagram() && address.protocol() == AnyIPProtocol)
        return bind(port, mode); // dual stack, as Qt's Any
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
    if (d->m_state != UnconnectedState)
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
    if (d->m_state == ConnectedState || d->m_state == ConnectingState || d->m_state == ClosingState
        || d->m_state == HostLookupState) {
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
    const bool keepBound = d->m_state == BoundState && d->bound;
    if (!keepBound)
        d->resetConnection();
    d->readBuffer.clear();
    d->writeBuffer.clear();
    d->socketError = UnknownSocketError;
    setErrorString(QString());
    d->peerName = hostName;
    d->peerPort = 0; // both are known once connected, as in Qt
    d->peerAddress.clear();
    if (d->isDatagram())
        mode |= Unbuffered; // as Qt: a UDP socket has no buffer of its own
    d->openModeForConnect = mode;
    if (isOpen())
        setOpenMode(mode);
    else
        QIODevice::open(mode);
    d->bound = keepBound;
    if (!d->setStateAndEmit(HostLookupState) || d->m_state != HostLookupState)
        return;
    d->startLookup(hostName, port, protocol);
}

void QAbstractSocket::connectToHost(const QHostAddress &address, quint16 port, OpenMode mode)
{
    connectToHost(address.toString(), port, mode);
}

void QAbstractSocket::disconnectFromHost()
{
    d_ptr->disconnectFromHost();
}

bool QAbstractSocket::isValid() const
{
    if (d_ptr->transport && d_ptr->transport->isOpen())
        return true;
    return d_ptr->isDatagram() && isOpen(); // as Qt: without a descriptor, an open UDP device
}

qint64 QAbstractSocket::bytesAvailable() const
{
    if (d_ptr->isDatagram()) {
        const qint64 pending = d_ptr->transport ? d_ptr->udp().bytesAvailable() : -1;
        return QIODevice::bytesAvailable() + qMax<qint64>(0, pending);
    }
    return d_ptr->readBuffer.size() + QIODevice::bytesAvailable();
}

qint64 QAbstractSocket::bytesToWrite() const
{
    return d_ptr->m_layer->bytesToWrite();
}

quint16 QAbstractSocket::localPort() const { return d_ptr->localPort; }

void QAbstractSocket::setLocalPort(quint16 port) { d_ptr->localPort = port; }

QHostAddress QAbstractSocket::localAddress() const { return d_ptr->localAddress; }

void QAbstractSocket::setLocalAddress(const QHostAddress &address) { d_ptr->localAddress = address; }

quint16 QAbstractSocket::peerPort() const { return d_ptr->peerPort; }

void QAbstractSocket::setPeerPort(quint16 port) { d_ptr->peerPort = port; }

QHostAddress QAbstractSocket::peerAddress() const { return d_ptr->peerAddress; }

void QAbstractSocket::setPeerAddress(const QHostAddress &address) { d_ptr->peerAddress = address; }

QString QAbstractSocket::peerName() const { return d_ptr->peerName; }

void QAbstractSocket::setPeerName(const QString &name) { d_ptr->peerName = name; }

qint64 QAbstractSocket::readBufferSize() const { return d_ptr->readBufferMaxSize; }

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
    d->m_layer->aboutToAbort();
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
    if (d->isDatagram())
        d->udp().enableDatagramInfo();
    d->fetchAddresses();
    d->applySocketOptions();
    if (isOpen())
        setOpenMode(openMode);
    else
        QIODevice::open(openMode);
    QPointer<QAbstractSocket> guard(this);
    if (!d->setStateAndEmit(socketState) || d->m_state != socketState)
        return guard && d->transport && d->transport->isOpen();
    if (socketState == ConnectingState)
        t.setWriteNotificationEnabled(true);
    else if (socketState == ConnectedState || (d->isDatagram() && socketState == BoundState))
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

QAbstractSocket::SocketType QAbstractSocket::socketType() const { return d_ptr->socketType; }

QAbstractSocket::SocketState QAbstractSocket::state() const { return d_ptr->m_state; }

QAbstractSocket::SocketError QAbstractSocket::error() const { return d_ptr->socketError; }

void QAbstractSocket::close()
{
    AbstractSocketPrivate *d = d_ptr.get();
    QPointer<QAbstractSocket> guard(this);
    if (!d->closeDevice())
        return;
    if (d->m_state == HostLookupState || d->m_state == ConnectingState) {
        d->abortConnection();
        return;
    }
    if (d->m_state != UnconnectedState) {
        disconnectFromHost();
        if (!guard)
            return;
    }
    d->finishDeviceClose();
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
    if (d->m_state == ConnectedState || d->m_state == ClosingState)
        return true;
    if (d->m_state != HostLookupState && d->m_state != ConnectingState)
        return false;
    const QDeadlineTimer deadline = QtPskPrivate::deadlineFromMsecs(msecs);
    QPointer<QAbstractSocket> guard(this);
    bool timedOut = false;
    if (d->m_state == HostLookupState) {
        QtPskPrivate::HostLookupResult result;
        if (d->lookup.waitForResult(deadline, &result)) {
            if (!d->lookupFinished(result))
                return false;
        } else {
            timedOut = true;
        }
    }
    while (!timedOut && d->m_state == ConnectingState) {
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
    if (d->m_state == HostLookupState || d->m_state == ConnectingState) {
        // As in Qt: give up on the attempt, report the timeout without errorOccurred().
        d->resetConnection();
        d->setError(SocketTimeoutError, tr("Socket operation timed out"));
        d->setStateAndEmit(UnconnectedState);
        return false;
    }
    return d->m_state == ConnectedState || d->m_state == ClosingState;
}

bool QAbstractSocket::waitForReadyRead(int msecs)
{
    AbstractSocketPrivate *d = d_ptr.get();
    const QDeadlineTimer deadline = QtPskPrivate::deadlineFromMsecs(msecs);
    if (d->isDatagram())
        return d->waitForDatagram(deadline);
    QPointer<QAbstractSocket> guard(this);
    if (!d->waitUntilConnected(deadline))
        return false;
    const quint64 before = d->readyReadCount;
    while (d->m_state == ConnectedState || d->m_state == ClosingState) {
        if (d->readPaused) {
            d->setError(SocketTimeoutError, tr("Socket operation timed out"));
            return false; // the buffer is full: nothing new can arrive until it is read
        }
        if (!d->waitForWire(deadline) || !guard)
            return false;
        if (d->readyReadCount != before)
            return true;
    }
    return false;
}

bool QAbstractSocket::waitForBytesWritten(int msecs)
{
    AbstractSocketPrivate *d = d_ptr.get();
    const QDeadlineTimer deadline = QtPskPrivate::deadlineFromMsecs(msecs);
    QPointer<QAbstractSocket> guard(this);
    if (!d->waitUntilConnected(deadline))
        return false;
    if (d->wireBytesToWrite() == 0) {
        if (d->sentNotReported == 0)
            return false;
        // Sent already (sendEagerly()), not yet reported: report it now.
        const quint64 before = d->bytesWrittenCount;
        if (!d->flushTransport() || !guard)
            return false;
        return d->bytesWrittenCount != before;
    }
    const quint64 before = d->bytesWrittenCount;
    while ((d->m_state == ConnectedState || d->m_state == ClosingState)
           && d->wireBytesToWrite() > 0) {
        if (!d->waitForWire(deadline) || !guard)
            return false;
        if (d->bytesWrittenCount != before)
            return true;
    }
    return d->bytesWrittenCount != before;
}

bool QAbstractSocket::waitForDisconnected(int msecs)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (d->m_state == UnconnectedState) {
        qCWarning(lcQtPskSocket,
                  "QAbstractSocket::waitForDisconnected() is not allowed in UnconnectedState");
        return false;
    }
    const QDeadlineTimer deadline = QtPskPrivate::deadlineFromMsecs(msecs);
    QPointer<QAbstractSocket> guard(this);
    if (d->m_state == HostLookupState || d->m_state == ConnectingState) {
        if (!waitForConnected(QtPskPrivate::remainingMsecs(deadline)) || !guard)
            return false;
    }
    while (d->m_state == ConnectedState || d->m_state == ClosingState) {
        if (d->readPaused) {
            // Make room: the application did not read, but it asked to wait for the close.
            d->readBufferMaxSize = 0;
            d->updateReadNotification();
        }
        if (!d->waitForWire(deadline))
            return guard && d->m_state == UnconnectedState; // a slot may have deleted the socket
    }
    return d->m_state == UnconnectedState;
}

void QAbstractSocket::setProxy(const QNetworkProxy &networkProxy) { d_ptr->proxy = networkProxy; }

QNetworkProxy QAbstractSocket::proxy() const { return d_ptr->proxy; }

QString QAbstractSocket::protocolTag() const { return d_ptr->protocolTag; }

void QAbstractSocket::setProtocolTag(const QString &tag) { d_ptr->protocolTag = tag; }

qint64 QAbstractSocket::readData(char *data, qint64 maxlen)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (d->isDatagram())
        return d->readConnectedDatagram(data, maxlen);
    if (d->readBuffer.isEmpty())
        return d->emptyReadResult(maxlen);
    return d->readBufferConsumed(d->readBuffer.read(data, maxlen));
}

qint64 QAbstractSocket::readLineData(char *data, qint64 maxlen)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (d->isDatagram())
        return QIODevice::readLineData(data, maxlen); // byte by byte through readData(), as Qt
    if (d->readBuffer.isEmpty())
        return d->emptyReadResult(maxlen);
    return d->readBufferConsumed(d->readBuffer.readLine(data, maxlen));
}

qint64 QAbstractSocket::skipData(qint64 maxSize)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (d->isDatagram()) {
        if (!d->transport || !d->transport->isOpen() || d->m_state != ConnectedState)
            return -1;
        return QIODevice::skipData(maxSize);
    }
    return d->readBufferConsumed(d->readBuffer.skip(maxSize));
}

qint64 QAbstractSocket::writeData(const char *data, qint64 len)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (d->m_state == UnconnectedState || d->m_state == BoundState || d->m_state == ListeningState) {
        d->setError(UnknownSocketError, tr("Socket is not connected"));
        return -1;
    }
    if (d->isDatagram())
        return d->writeConnectedDatagram(data, len);
    return d->m_layer->write(data, len);
}

void QAbstractSocket::setSocketState(SocketState state) { d_ptr->m_state = state; }

void QAbstractSocket::setSocketError(SocketError socketError) { d_ptr->socketError = socketError; }

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
