// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// AbstractSocketPrivate's data path: reading from and sending to the transport, the read buffer's
// limit, the waits of the waitFor...() functions, and the signals of the data path.
#include "network/qabstractsocket_p.h"
#include "qtpsklogging_p.h"

#include <QtCore/qloggingcategory.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qscopeguard.h>

#include <cerrno>
#include <utility>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

namespace {

// Qt's text for a time-out of the wait itself (its socket engine's); waitForConnected() has its own.
QString timeoutString()
{
    return QAbstractSocket::tr("Network operation timed out");
}

} // namespace

qint64 AbstractSocketPrivate::readFromWire(char *buffer, qint64 maxSize, int *error)
{
    if (!transport || !transport->isOpen()) {
        *error = EBADF;
        return -1;
    }
    const qint64 n = transport->read(buffer, maxSize);
    if (n > 0)
        return n;
    if (n == TcpTransport::WouldBlock)
        return 0;
    *error = n == TcpTransport::EndOfFile ? 0 : transport->lastError();
    return -1;
}

void AbstractSocketPrivate::writeToWire(const char *data, qint64 size)
{
    if (size <= 0)
        return;
    writeBuffer.append(data, size);
    armWriteNotifier();
}

void AbstractSocketPrivate::writeToWire(const QByteArray &data)
{
    if (data.isEmpty())
        return;
    writeBuffer.append(data);
    // The stream layer calls sendEagerly() next: inside an activation, it arms the notifier
    // only if it has to.
    if (!inActivation)
        armWriteNotifier();
}

void AbstractSocketPrivate::armWriteNotifier()
{
    if (transport && isConnectedState(m_state))
        transport->setWriteNotificationEnabled(true);
}

qint64 AbstractSocketPrivate::readBufferSpace() const
{
    if (readBufferMaxSize <= 0)
        return -1;
    return qMax<qint64>(0, readBufferMaxSize - readBuffer.size());
}

void AbstractSocketPrivate::updateReadNotification()
{
    if (!transport)
        return;
    if (isDatagram()) {
        transport->setReadNotificationEnabled(!hasPendingData
                                              && (m_state == QAbstractSocket::BoundState
                                                  || m_state == QAbstractSocket::ConnectedState));
        return;
    }
    readPaused = readBufferSpace() == 0;
    transport->setReadNotificationEnabled(m_state == QAbstractSocket::ConnectedState && !readPaused);
}

void AbstractSocketPrivate::readBufferSpaceChanged()
{
    updateReadNotification();
    if (readPaused || bufferedInputQueued || !m_layer->hasBufferedInput())
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
    if (!isConnectedState(m_state) || readPaused || !m_layer->hasBufferedInput())
        return true;
    return m_layer->processBufferedInput();
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

void AbstractSocketPrivate::dropChannelReadyRead()
{
    if (emittingReadyRead)
        channelReadyReadDropped = true;
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
    if (m_state == newState)
        return true;
    qCDebug(lcQtPskSocket).nospace() << static_cast<const void *>(q) << ": " << m_state << " -> "
                                     << newState;
    m_state = newState;
    QPointer<QAbstractSocket> guard(q);
    Q_EMIT q->stateChanged(newState);
    return !guard.isNull();
}

bool AbstractSocketPrivate::flushTransport(bool *wrote)
{
    if (wrote)
        *wrote = false;
    if (!transport || !transport->isOpen() || !isConnectedState(m_state) || reconnecting)
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
        failWire(transport->lastError());
        return true; // failWire() may have destroyed q: the caller re-checks via guard
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
            m_layer->wireBytesWritten(total);
            if (!guard)
                return false;
        }
    }
    return maybeFinishClosing();
}

void AbstractSocketPrivate::sendEagerly()
{
    if (!transport || !transport->isOpen() || !isConnectedState(m_state) || reconnecting) {
        if (inActivation)
            armWriteNotifier(); // what writeToWire() left to this function
        return;
    }
    while (!writeBuffer.isEmpty()) {
        qint64 length = 0;
        const char *data = writeBuffer.front(&length);
        const qint64 n = transport->write(data, length);
        if (n <= 0)
            break; // would block, or an error the next flushTransport() reports
        writeBuffer.skip(n);
        sentNotReported += n;
    }
    // The event loop reports what was sent (bytesWritten) and sends the rest: inside a notifier
    // activation at its end, when everything went; otherwise on the write notifier.
    if (inActivation && writeBuffer.isEmpty()) {
        reportAtActivationEnd = true;
        return;
    }
    transport->setWriteNotificationEnabled(true);
}

template <typename Activation>
void AbstractSocketPrivate::runActivation(Activation &&activation)
{
    if (inActivation) { // nested (a slot ran an event loop): the outer one reports
        activation();
        return;
    }
    QPointer<QAbstractSocket> guard(q);
    inActivation = true;
    // Also when a slot throws: the report falls back to the write notifier.
    auto fallback = qScopeGuard([&] {
        if (!guard)
            return;
        inActivation = false;
        if (std::exchange(reportAtActivationEnd, false))
            armWriteNotifier();
    });
    activation();
    fallback.dismiss();
    if (!guard)
        return;
    inActivation = false;
    if (std::exchange(reportAtActivationEnd, false) && isConnectedState(m_state))
        flushTransport();
}

bool AbstractSocketPrivate::waitUntilConnected(QDeadlineTimer deadline)
{
    if (m_state == QAbstractSocket::UnconnectedState || m_state == QAbstractSocket::BoundState)
        return false;
    if (m_state != QAbstractSocket::HostLookupState && m_state != QAbstractSocket::ConnectingState)
        return true;
    QPointer<QAbstractSocket> guard(q);
    return q->waitForConnected(remainingMsecs(deadline)) && !guard.isNull();
}

bool AbstractSocketPrivate::waitForWire(QDeadlineTimer deadline)
{
    if (!transport || !transport->isOpen())
        return false;
    // Input already taken from the kernel goes first: the descriptor may never become readable
    // for it (the peer sent everything before the read buffer filled up).
    if (bufferedInputQueued && !readPaused && !reconnecting && isConnectedState(m_state)) {
        QPointer<QAbstractSocket> guard(q);
        return runBufferedInput() && !guard.isNull();
    }
    bool readable = false;
    bool writable = false;
    // A connect in progress (a new connection, or reconnect()'s) waits for writability.
    const bool connecting = m_state == QAbstractSocket::ConnectingState || reconnecting;
    const bool wantRead = !readPaused && !connecting;
    // A closing socket reports what it sent eagerly, then closes (waitForDisconnected()); the
    // descriptor is writable at once. Otherwise such bytes are left to waitForBytesWritten().
    const bool wantWrite = connecting || !writeBuffer.isEmpty()
            || (sentNotReported > 0 && m_state == QAbstractSocket::ClosingState);
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
    if (m_state == QAbstractSocket::ConnectingState) {
        if (writable)
            testConnection();
        return !guard.isNull();
    }
    if (readable && isConnectedState(m_state)) {
        m_layer->readable();
        if (!guard)
            return false;
    }
    if (writable && isConnectedState(m_state)) {
        if (!flushTransport() || !guard)
            return false;
    }
    return true;
}

void AbstractSocketPrivate::onReadable()
{
    if (isDatagram()) {
        if (datagramReady())
            datagramReadNotification();
        return;
    }
    if (isConnectedState(m_state) && !reconnecting)
        runActivation([this] { m_layer->readable(); });
}

void AbstractSocketPrivate::onWritable()
{
    if (reconnecting) {
        finishReconnect();
        return;
    }
    if (m_state == QAbstractSocket::ConnectingState) {
        runActivation([this] { testConnection(); });
        return;
    }
    if (isConnectedState(m_state))
        flushTransport();
    else if (transport)
        transport->setWriteNotificationEnabled(false);
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
