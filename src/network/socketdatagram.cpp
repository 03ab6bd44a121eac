// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// AbstractSocketPrivate's data path for UDP: a datagram socket is unbuffered, as in Qt, so the
// application reads and writes straight from and to the kernel; readyRead() is emitted once
// until a datagram is read, and waitForReadyRead() works on a bound socket too.
#include "network/qabstractsocket_p.h"

#include <QtCore/qscopeguard.h>

#include <cerrno>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

bool AbstractSocketPrivate::datagramReady() const
{
    return transport && transport->isOpen()
            && (m_state == QAbstractSocket::BoundState
                || m_state == QAbstractSocket::ConnectedState);
}

bool AbstractSocketPrivate::datagramReadNotification()
{
    if (hasPendingData) {
        // As Qt: the datagram readyRead() announced is still unread; no more wake-ups until
        // the application reads (a slot that reads keeps the notifier on: no toggling).
        transport->setReadNotificationEnabled(false);
        return true;
    }
    // As Qt: readyRead() also when the wake-up was an error (a refused connected socket's); the
    // error stays for the next call to report.
    hasPendingData = true;
    return emitReadyRead();
}

bool AbstractSocketPrivate::datagramFailed(int error, SocketCall call, bool emitSignal)
{
    QString text;
    QAbstractSocket::SocketError code = socketErrorFromErrno(error, call, &text);
    // A full send buffer is not the descriptor's error, and an errno Qt's engine leaves
    // unreported on write() is none.
    const bool temporary = call == SocketCall::DatagramSend
            && code == QAbstractSocket::TemporaryError;
    const bool unreported = call == SocketCall::DatagramWrite
            && code == QAbstractSocket::UnknownSocketError;
    if (!temporary) {
        if (!unreported && !engineErrorSet) {
            engineErrorSet = true;
            engineError = code;
            engineErrorString = text;
        }
        code = engineErrorSet ? engineError : QAbstractSocket::UnknownSocketError;
        text = engineErrorSet ? engineErrorString : QString();
    }
    if (!emitSignal) {
        setError(code, text);
        return true;
    }
    return setErrorAndEmit(code, text);
}

void AbstractSocketPrivate::datagramTaken()
{
    hasPendingData = false;
    updateReadNotification();
}

qint64 AbstractSocketPrivate::readConnectedDatagram(char *data, qint64 maxSize)
{
    if (!transport || !transport->isOpen() || m_state != QAbstractSocket::ConnectedState)
        return maxSize ? -1 : 0;
    if (maxSize == 0) {
        datagramTaken();
        return 0;
    }
    const qint64 n = transport->read(data, maxSize);
    if (n >= 0) { // WouldBlock (0): nothing waiting, read later
        datagramTaken();
        return n;
    }
    const int error = transport->lastError();
    if (n == TcpTransport::EndOfFile || error == ECONNRESET) { // an empty datagram
        datagramTaken();
        return 0;
    }
    // As Qt: the socket is reset and unconnected, without a signal.
    datagramFailed(error, SocketCall::DatagramRead, false);
    resetConnection();
    hasPendingData = false;
    m_state = QAbstractSocket::UnconnectedState;
    return -1;
}

qint64 AbstractSocketPrivate::writeConnectedDatagram(const char *data, qint64 size)
{
    if (!transport || !transport->isOpen()) {
        setError(QAbstractSocket::UnknownSocketError,
                 QAbstractSocket::tr("Socket is not connected"));
        return -1;
    }
    const qint64 n = transport->write(data, size);
    if (n < 0) {
        datagramFailed(transport->lastError(), SocketCall::DatagramWrite, false);
        return -1;
    }
    emitDatagramWritten(n, true);
    return n;
}

bool AbstractSocketPrivate::emitDatagramWritten(qint64 size, bool channelSignal)
{
    QPointer<QAbstractSocket> guard(q);
    if (!emittingBytesWritten) {
        emittingBytesWritten = true;
        const auto reset = qScopeGuard([&] { // also when a slot throws
            if (guard)
                emittingBytesWritten = false;
        });
        Q_EMIT q->bytesWritten(size);
        if (!guard)
            return false;
    }
    if (channelSignal)
        Q_EMIT q->channelBytesWritten(0, size);
    return !guard.isNull();
}

bool AbstractSocketPrivate::waitForDatagram(QDeadlineTimer deadline)
{
    if (m_state == QAbstractSocket::UnconnectedState)
        return false;
    QPointer<QAbstractSocket> guard(q);
    if (m_state == QAbstractSocket::HostLookupState || m_state == QAbstractSocket::ConnectingState) {
        if (!q->waitForConnected(remainingMsecs(deadline)) || !guard)
            return false;
    }
    while (datagramReady()) {
        bool readable = false;
        const WaitResult result = transport->wait(true, false, deadline, &readable, nullptr);
        if (result != WaitResult::Ready) {
            // As in Qt: a time-out is reported with errorOccurred() and the socket stays as it
            // is; but once the descriptor had an error, the wait reports that one and closes.
            if (engineErrorSet) {
                if (!setErrorAndEmit(engineError, engineErrorString))
                    return false;
                q->close();
            } else if (result == WaitResult::Timeout) {
                setErrorAndEmit(QAbstractSocket::SocketTimeoutError,
                                QAbstractSocket::tr("Network operation timed out"));
            }
            return false;
        }
        if (readable)
            return datagramReadNotification() && !guard.isNull();
    }
    return false;
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
