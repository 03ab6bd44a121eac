// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_STREAMLAYER_P_H
#define QTPSK_STREAMLAYER_P_H

// Internal to QtPsk: not installed, not part of the API.

#include "qtpsk_p.h"

#include <QtPsk/qabstractsocket.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qstring.h>

#include <climits>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

// The deadline of a waitFor...() call given \a msecs (negative: no time limit).
inline QDeadlineTimer deadlineFromMsecs(int msecs)
{
    return msecs < 0 ? QDeadlineTimer(QDeadlineTimer::Forever) : QDeadlineTimer(msecs);
}

// What is left of \a deadline, as the msecs argument of another waitFor...() call (-1: forever).
inline int remainingMsecs(const QDeadlineTimer &deadline)
{
    return int(qMin<qint64>(deadline.remainingTime(), INT_MAX));
}

/*
    The seam between a TCP socket and what it carries.

    A QAbstractSocket owns one StreamLayer (AbstractSocketPrivate::setLayer()). The layer sits
    between the application's bytes (read(), write()) and the wire bytes (the kernel): the
    default, PlainStreamLayer, passes them through unchanged; QSslSocket's layer
    (TlsStreamLayer, src/ssl/tlsstreamlayer_p.h) runs TLS there. The socket keeps its state to
    itself: a layer sees it only through StreamHost, which the socket implements.

    EMISSIONS. Many calls of both interfaces emit signals, and every emission can run user code
    that aborts, closes or deletes the socket. A call documented to return bool returns false
    if the socket object was destroyed meanwhile: the caller must then return at once without
    touching the socket, the host or the layer (which the socket owned). Re-check state()
    after every call that may emit.
*/

// What the socket offers the layer it owns.
class StreamHost
{
public:
    // The public object, for the signals a layer emits and for QPointer guards.
    virtual QAbstractSocket *socket() const = 0;
    virtual QAbstractSocket::SocketState state() const = 0;
    // reconnect() is connecting: nothing is read or sent meanwhile.
    virtual bool isReconnecting() const = 0;

    // --- bytes from the wire, bytes for the application ------------------------------------
    // Raw bytes from the kernel: > 0 bytes, 0 = would block, -1 = the end of the stream
    // (*error == 0) or a failure (*error is the errno).
    virtual qint64 readFromWire(char *buffer, qint64 maxSize, int *error) = 0;
    // How many more application bytes the read buffer takes (readBufferSize()); -1: no limit.
    virtual qint64 readBufferSpace() const = 0;
    // Application bytes are written in place: reserve space in the read buffer (*space bytes
    // at the pointer returned), commit what was written there, release what was not used.
    virtual char *reserveApplicationSpace(qint64 *space) = 0;
    virtual void commitApplicationBytes(qint64 size) = 0;
    virtual void releaseApplicationSpace() = 0;
    // Takes back up to \a maxSize application bytes not read yet (a layer that starts
    // transforming the stream claims what arrived before it did). Returns how many.
    virtual qint64 takeApplicationBytes(char *buffer, qint64 maxSize) = 0;
    // Reading from the kernel pauses while the read buffer is full and resumes when it is not.
    virtual void updateReadNotification() = 0;
    // readyRead() (never recursively), then channelReadyRead(0).
    virtual bool emitReadyRead() = 0;
    // Inside a readyRead() emission: the channelReadyRead() after it is left out.
    virtual void dropChannelReadyRead() = 0;

    // --- bytes to the wire ----------------------------------------------------------------
    // Queues wire bytes (a QByteArray without a copy) and lets the event loop send them. The
    // QByteArray overload must be followed by sendEagerly() (inside a notifier activation the
    // write notifier is left to it).
    virtual void writeToWire(const char *data, qint64 size) = 0;
    virtual void writeToWire(const QByteArray &data) = 0;
    // Sends what is queued now, without waiting for the next event-loop round; emits nothing
    // (the next flush(), or the end of the notifier activation running now, reports it through
    // StreamLayer::wireBytesWritten()).
    virtual void sendEagerly() = 0;
    // Lets the event loop send what is queued (and report it) once the socket is connected.
    virtual void armWriteNotifier() = 0;
    // Sends what is queued without blocking and reports it; may finish a close.
    virtual bool flush() = 0;
    virtual qint64 wireBytesToWrite() const = 0;
    // Sent by sendEagerly(), not yet reported.
    virtual qint64 bytesSentNotReported() const = 0;
    // bytesWritten(size), then channelBytesWritten(0, size).
    virtual bool emitBytesWritten(qint64 size) = 0;
    // Waits for the descriptor once, as the waitFor...() functions do, and handles what it
    // finds as the event loop would. False on a time-out (SocketTimeoutError emitted), a
    // failure, or a destroyed socket (the caller checks its own guard).
    virtual bool waitForWire(QDeadlineTimer deadline) = 0;

    // --- errors and the end of the connection ----------------------------------------------
    // error()/errorString() without a signal; with errorOccurred().
    virtual void setError(QAbstractSocket::SocketError error, const QString &errorString) = 0;
    virtual bool setErrorAndEmit(QAbstractSocket::SocketError error,
                                 const QString &errorString) = 0;
    // The error, then ClosingState, UnconnectedState, readChannelFinished(), disconnected().
    virtual bool closeWithError(QAbstractSocket::SocketError error,
                                const QString &errorString) = 0;
    // The peer closed its side: closeWithError(RemoteHostClosedError, ...).
    virtual bool closeByPeer() = 0;
    // Reading or sending failed with errno \a error: closeWithError() with its SocketError.
    virtual bool failWire(int error) = 0;
    // ClosingState (emitted), reading stopped.
    virtual bool enterClosingState() = 0;
    // ClosingState is done: UnconnectedState, readChannelFinished(), disconnected().
    virtual bool finishClosing() = 0;
    // finishClosing() once nothing is left to send or to report and the layer defers nothing.
    virtual bool maybeFinishClosing() = 0;
    // QIODevice::close() (aboutToClose(), guarded).
    virtual bool closeDevice() = 0;
    // The end of close(): the read buffer is dropped and, once unconnected, the endpoints.
    virtual void finishDeviceClose() = 0;
    // disconnectFromHost() of the TCP socket (ClosingState, StreamLayer::beginDisconnect(), the
    // close once everything is sent).
    virtual void disconnectFromHost() = 0;
    // abort(): the connection ends at once, with its closing signals.
    virtual bool abort() = 0;
    // A new TCP connection to the same peer replaces this one, silently (the state stays
    // ConnectedState); StreamLayer::reconnected() follows. False if it cannot start.
    virtual bool reconnect() = 0;

protected:
    ~StreamHost() = default;
};

// What the socket asks of its layer. Each default is the plain pass-through (PlainStreamLayer).
class StreamLayer
{
public:
    explicit StreamLayer(StreamHost &host) : m_host(host) {}
    virtual ~StreamLayer();
    StreamLayer(const StreamLayer &) = delete;
    StreamLayer &operator=(const StreamLayer &) = delete;

    StreamHost &host() const { return m_host; }

    // The TCP connection is up: ConnectedState has been emitted. Default: connected().
    virtual void connected();
    // The kernel has bytes (or the end of the stream, or an error). Default: read them into
    // the read buffer (within readBufferSpace()), readyRead() once, then closeByPeer() or
    // failWire().
    virtual void readable();
    // write() in ConnectingState, ConnectedState or ClosingState: returns the bytes accepted
    // (normally \a size), -1 on failure. Default: writeToWire().
    virtual qint64 write(const char *data, qint64 size);
    // What bytesToWrite() reports. Default: wireBytesToWrite().
    virtual qint64 bytesToWrite() const;
    // \a size wire bytes have been sent (from the event loop or a wait). Default:
    // emitBytesWritten(size).
    virtual void wireBytesWritten(qint64 size);
    // disconnectFromHost() on a connected socket, after stateChanged(ClosingState): what the
    // layer sends before the end. Default: nothing.
    virtual bool beginDisconnect();
    // In ClosingState, the close waits for more than the queued wire bytes. Default: false.
    virtual bool closeDeferred() const;
    // The connection ends: after readChannelFinished(), before disconnected(). Default: nothing.
    virtual bool connectionEnding();
    // abort() closes the device (aboutToClose()) after the closing signals instead of before
    // them (QSslSocket's order). Default: false (QTcpSocket's order).
    virtual bool closesDeviceAfterAbort() const;
    // reconnect() has finished: the new connection is up (\a ok) or could not be made.
    virtual bool reconnected(bool ok);
    // abort() (also from the destructor), setSocketDescriptor() or a reconnect discards the
    // connection: free per-connection state. Must not emit.
    virtual void aboutToAbort();
    // Bytes taken from the kernel that can still become application bytes without new input
    // (a full read buffer held them back). Default: none.
    virtual bool hasBufferedInput() const;
    // The read buffer has room again and hasBufferedInput(): turn that input into application
    // bytes (and readyRead()). Runs queued on the event loop, or at the start of a wait.
    virtual bool processBufferedInput();

private:
    StreamHost &m_host;
};

// The default layer: application bytes are the wire bytes.
class PlainStreamLayer final : public StreamLayer
{
public:
    using StreamLayer::StreamLayer;
};

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE

#endif // QTPSK_STREAMLAYER_P_H
