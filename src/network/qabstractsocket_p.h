// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QABSTRACTSOCKET_P_H
#define QTPSK_QABSTRACTSOCKET_P_H

// Internal to QtPsk: not installed, not part of the API.

#include "qtpsk_p.h"
#include "transport/chunkbuffer_p.h"
#include "transport/hostresolver_p.h"
#include "transport/tcptransport_p.h"

#include <QtPsk/qabstractsocket.h>
#include <QtPsk/qhostaddress.h>
#include <QtPsk/qnetworkproxy.h>

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qhash.h>
#include <QtCore/qlist.h>
#include <QtCore/qpointer.h>
#include <QtCore/qvariant.h>

#include <climits>
#include <memory>

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
    The private part of QAbstractSocket (and QTcpSocket), and the extension point of QSslSocket.

    OWNERSHIP. QAbstractSocket owns it (d_ptr); `q` points back. A derived socket passes a
    derived private to the protected constructors of QTcpSocket / QAbstractSocket and reaches
    it with static_cast<Derived *>(d_ptr.get()).

    DATA PATH. Two buffers:
      readBuffer  - the application's bytes: what read()/readLine()/readAll() return and
                    bytesAvailable() counts. A plain socket fills it straight from the
                    transport; an SSL socket fills it with decrypted bytes.
      writeBuffer - the wire bytes: what goes to the kernel, as they are. A plain socket
                    puts the application's bytes there; an SSL socket puts TLS records there.
    All I/O runs from the event loop (QSocketNotifier callbacks) or from the waitFor*()
    functions; nothing is read or sent synchronously from read() or write(), and
    bytesWritten() is never emitted from inside write().

    HOOKS (virtual; the defaults implement plain TCP; an override may call the default):
      transportConnected()   the TCP connection is up: state is ConnectedState and
                             stateChanged(ConnectedState) has been emitted. Default: emit
                             connected(). SSL: emit connected() too, then start the handshake
                             if in client mode.
      transportReadable()    the kernel has bytes (or EOF / an error) for us. Default: read
                             them into readBuffer in ChunkSize pieces (respecting
                             readBufferSize), emit readyRead() once per batch, then report
                             EOF through transportClosed() and errors through
                             transportError(). SSL: readFromTransport() into the engine,
                             appendToReadBuffer() the plaintext, emitReadyRead().
      writeApplicationData() QIODevice::write() landed in writeData() (state is Connecting,
                             Connected or Closing). Return the bytes accepted (normally size).
                             Default: writeToTransport(). SSL: encrypt (or queue until the
                             handshake is done) and writeToTransport() the records.
      applicationBytesToWrite() what bytesToWrite() reports. Default: transportBytesToWrite().
      transportBytesWritten(n) n wire bytes have just been sent from the event loop or from a
                             wait. Default: emit bytesWritten(n). SSL: emit the number of
                             application bytes those records carried (or nothing).
      beginDisconnect()      disconnectFromHost() on a connected socket, after
                             stateChanged(ClosingState). Default: nothing. SSL: queue
                             close_notify (or once the written data has gone), emit alertSent()
                             and stateChanged(ClosingState) again, as Qt's layering does.
      closeDeferred()        in ClosingState, the close waits for more than the write buffer
                             (e.g. a close_notify not yet queued). Default: false.
      connectionEnding()     becomeUnconnected(), after readChannelFinished(), before
                             disconnected(). Default: nothing. SSL: the close_notify Qt
                             reports (alertSent) when it had not sent one, and the session
                             details are cleared.
      transportReconnected(ok) reconnectTransport() has finished: the new TCP connection to
                             the same peer is up (\a ok) or could not be made. Default:
                             nothing. SSL: the handshake starts again, or the first one's
                             error is reported.
      closesDeviceAfterAbort() abort() closes the device (aboutToClose()) after the closing
                             signals instead of before them. Default: false (QTcpSocket's
                             order); true for QSslSocket (Qt's order there).
      transportClosed()      the peer closed its side (EOF). Default:
                             closeWithError(RemoteHostClosedError, ...).
      transportError(e, s)   reading or sending failed. Default: closeWithError(e, s).
      aboutToAbort()         abort() (also from the destructor) or a reconnect is about to
                             discard the connection: free per-connection state. Do not emit.
      hasBufferedInput()     bytes taken from the kernel that can still become application
                             data without new network input. Default: false. SSL: the
                             engine holds ciphertext (or plaintext) that a full read buffer
                             left undecrypted.
      processBufferedInput() the read buffer has room again and hasBufferedInput(): turn that
                             input into application data (and readyRead()). Runs queued on
                             the event loop after a read, as Qt's _q_flushReadBuffer, or at the
                             start of a waitFor*() wait. Default: nothing.
    A hook may emit signals; every emission can run user code that aborts, closes or
    deletes the socket. Use the services below, which report whether the socket survived,
    and re-check `state` after each.

    SERVICES for derived privates:
      readFromTransport()    raw bytes from the kernel: > 0 bytes, 0 = would block,
                             -1 = EOF (transportErrno == 0) or error (transportErrno set).
      writeToTransport()     queue raw bytes in writeBuffer and arm the write notifier.
      transportBytesToWrite() bytes in writeBuffer.
      appendToReadBuffer()   add application bytes (no signal).
      readBufferSpace()      how many more bytes readBufferSize allows (-1: no limit).
      emitReadyRead()        emit readyRead() (never recursively), then channelReadyRead(0).
      emitBytesWritten()     emit bytesWritten(), then channelBytesWritten(0, ...).
      setErrorAndEmit()      set error()/errorString(), then emit errorOccurred().
      setStateAndEmit()      set state, then emit stateChanged() if it changed.
      closeWithError()       error, then ClosingState, UnconnectedState, readChannelFinished,
                             disconnected (Qt's order for a remote close).
      finishClosing()        ClosingState is done: close and emit UnconnectedState,
                             readChannelFinished, disconnected.
      maybeFinishClosing()   finishClosing() if in ClosingState with nothing left to send or
                             to report (sent eagerly, not yet reported) and no deferred close.
      reconnectTransport()   replaces the TCP connection by a new one to the same peer
                             address and port, without any signal: the state stays
                             ConnectedState (nothing is read or sent meanwhile); then
                             transportReconnected(). False if the attempt cannot start.
      waitForTransport()     the poll() primitive of the waitFor*() functions: waits for the
                             descriptor (read unless paused by readBufferSize, write when
                             writeBuffer is not empty) and handles what it finds exactly as the
                             event loop would (transportReadable(), flush). Returns false on
                             timeout (SocketTimeoutError set and emitted, as Qt does; the
                             caller checks its guard) or failure.
    Each emitting service returns false if the socket object was destroyed meanwhile: then
    return at once without touching `this`.
*/
class AbstractSocketPrivate
{
public:
    AbstractSocketPrivate();
    virtual ~AbstractSocketPrivate();
    AbstractSocketPrivate(const AbstractSocketPrivate &) = delete;
    AbstractSocketPrivate &operator=(const AbstractSocketPrivate &) = delete;

    // --- hooks -------------------------------------------------------------------------
    virtual void transportConnected();
    virtual void transportReadable();
    virtual qint64 writeApplicationData(const char *data, qint64 size);
    virtual qint64 applicationBytesToWrite() const;
    virtual void transportBytesWritten(qint64 size);
    virtual bool beginDisconnect();
    virtual bool closeDeferred() const;
    virtual bool connectionEnding();
    virtual bool closesDeviceAfterAbort() const;
    virtual bool transportReconnected(bool ok);
    virtual void transportClosed();
    virtual void transportError(QAbstractSocket::SocketError error, const QString &errorString);
    virtual void aboutToAbort();
    virtual bool hasBufferedInput() const;
    virtual bool processBufferedInput();

    // --- services ----------------------------------------------------------------------
    qint64 readFromTransport(char *buffer, qint64 maxSize);
    void writeToTransport(const char *data, qint64 size);
    // The same for bytes already in a QByteArray: it is queued as it is, without a copy.
    void writeToTransport(const QByteArray &data);
    // Sends what writeBuffer holds now, without waiting for the next event-loop round (a TLS
    // flight leaves at once). Emits nothing: the event loop reports it through
    // transportBytesWritten() with the next flushTransport().
    void sendEagerly();
    // Lets the event loop send writeBuffer (and report it) once the socket is connected.
    void armWriteNotifier();
    qint64 transportBytesToWrite() const { return writeBuffer.size(); }
    void appendToReadBuffer(const char *data, qint64 size) { readBuffer.append(data, size); }
    void appendToReadBuffer(const QByteArray &data) { readBuffer.append(data); }
    qint64 readBufferSpace() const;
    bool emitReadyRead();
    bool emitBytesWritten(qint64 size);
    bool setErrorAndEmit(QAbstractSocket::SocketError error, const QString &errorString);
    void setError(QAbstractSocket::SocketError error, const QString &errorString);
    bool setStateAndEmit(QAbstractSocket::SocketState newState);
    bool closeWithError(QAbstractSocket::SocketError error, const QString &errorString);
    bool finishClosing();
    bool maybeFinishClosing();
    // ClosingState (emitted) with read notifications off. False if the socket was destroyed.
    bool enterClosingState();
    // The end of every close: UnconnectedState, then readChannelFinished() and, if the socket
    // was connected (\a previous), disconnected().
    bool becomeUnconnected(QAbstractSocket::SocketState previous);
    bool waitForTransport(QDeadlineTimer deadline);
    bool reconnectTransport();
    // The new connection of reconnectTransport() is writable: it is up, or it failed.
    bool finishReconnect();
    // Sends what writeBuffer holds without blocking; reports it via transportBytesWritten().
    // Returns false if the socket was destroyed. *wrote: whether anything was sent.
    bool flushTransport(bool *wrote = nullptr);

    // --- internals of QAbstractSocket --------------------------------------------------
    void init(QAbstractSocket *socket, QAbstractSocket::SocketType type);
    TcpTransport &ensureTransport();
    void startLookup(const QString &hostName, quint16 port,
                     QAbstractSocket::NetworkLayerProtocol protocol);
    bool lookupFinished(const HostLookupResult &result);
    bool connectToNextAddress();
    bool testConnection();
    bool connectionEstablished();
    void onReadable();
    void onWritable();
    void updateReadNotification();
    // The read buffer has room again (the application read, or setReadBufferSize()): reading
    // resumes, and input a derived private buffered runs from the event loop (queued, as Qt).
    void readBufferSpaceChanged();
    // Runs the queued processBufferedInput(), if any; false if a slot destroyed the socket.
    bool runBufferedInput();
    bool abortConnection();
    // Closes the QIODevice (aboutToClose()); false if a slot destroyed the socket.
    bool closeDevice();
    void resetConnection();
    void applySocketOptions();
    bool applySocketOption(QAbstractSocket::SocketOption option, const QVariant &value);
    bool bindTo(const SocketAddress &address, QAbstractSocket::BindMode mode,
                bool reportErrors = true);
    void fetchAddresses();
    // close() of an unconnected socket: the local and peer address, port and name are cleared.
    void forgetEndpoints();
    static QAbstractSocket::SocketError errorFromErrno(int error, QString *errorString,
                                                       bool connecting);

    QAbstractSocket *q = nullptr;
    QAbstractSocket::SocketType socketType = QAbstractSocket::UnknownSocketType;
    QAbstractSocket::SocketState state = QAbstractSocket::UnconnectedState;
    QAbstractSocket::SocketError socketError = QAbstractSocket::UnknownSocketError;
    QAbstractSocket::PauseModes pauseMode = QAbstractSocket::PauseNever;

    QString peerName;
    QHostAddress peerAddress;
    quint16 peerPort = 0;
    QHostAddress localAddress;
    quint16 localPort = 0;

    std::unique_ptr<TcpTransport> transport;
    int transportErrno = 0;      // errno of the last failed readFromTransport(); 0 for EOF
    HostLookup lookup;
    QList<SocketAddress> pendingAddresses;
    int lastConnectErrno = 0;
    bool bound = false;          // the transport was bound by bind() before connecting
    bool pendingClose = false;   // disconnectFromHost() during lookup/connect: close when up
    bool reconnecting = false;   // reconnectTransport() is connecting
    QIODevice::OpenMode openModeForConnect = QIODevice::ReadWrite;

    ChunkBuffer readBuffer;      // application bytes for read()
    ChunkBuffer writeBuffer;     // wire bytes for the kernel
    qint64 sentNotReported = 0;  // sent by sendEagerly(), not yet reported by bytesWritten
    qint64 readBufferMaxSize = 0;
    bool readPaused = false;     // reading stopped because readBuffer is full
    bool bufferedInputQueued = false; // runBufferedInput() is queued on the event loop

    QHash<int, QVariant> socketOptions; // SocketOption -> value, re-applied to new descriptors

    QNetworkProxy proxy;         // setProxy(): checked by connectToHost() and bind()
    QString protocolTag;

    bool emittingReadyRead = false;
    bool channelReadyReadDropped = false; // the layer above took over in readyRead()
    bool emittingBytesWritten = false;
    quint64 readyReadCount = 0;    // readyRead() emissions (or suppressed recursive ones)
    quint64 bytesWrittenCount = 0; // transportBytesWritten() calls
};

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE

#endif // QTPSK_QABSTRACTSOCKET_P_H
