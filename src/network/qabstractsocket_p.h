// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QABSTRACTSOCKET_P_H
#define QTPSK_QABSTRACTSOCKET_P_H

// Internal to QtPsk: not installed, not part of the API.

#include "network/streamlayer_p.h"
#include "qtpsk_p.h"
#include "transport/chunkbuffer_p.h"
#include "transport/hostresolver_p.h"
#include "transport/socketerrors_p.h"
#include "transport/tcptransport_p.h"
#include "transport/udptransport_p.h"

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
class QUdpSocket;
namespace QtPskPrivate {

// ConnectedState or ClosingState: the connection is up.
inline bool isConnectedState(QAbstractSocket::SocketState state)
{
    return state == QAbstractSocket::ConnectedState || state == QAbstractSocket::ClosingState;
}

/*
    The private part of QAbstractSocket (and QTcpSocket, and QSslSocket's TCP side).

    OWNERSHIP. QAbstractSocket owns it (d_ptr); `q` points back. It owns the socket's one
    StreamLayer (src/network/streamlayer_p.h), a PlainStreamLayer unless a derived socket sets
    another with setLayer() in its constructor (QSslSocket: its TLS layer). The layer sees the
    socket only through StreamHost, which this class implements; the fields below are the
    socket's own (QAbstractSocket reaches them as a friend).

    DATA PATH. Two buffers:
      readBuffer  - the application's bytes: what read()/readLine()/readAll() return and
                    bytesAvailable() counts. The layer fills it (plain: straight from the
                    kernel; TLS: with decrypted bytes).
      writeBuffer - the wire bytes: what goes to the kernel, as they are (plain: the
                    application's bytes; TLS: records).
    All I/O runs from the event loop (QSocketNotifier callbacks) or from the waitFor*()
    functions; nothing is read or sent synchronously from read() or write(), and
    bytesWritten() is never emitted from inside write().

    A UDP socket (QUdpSocket, socketType UdpSocket) is unbuffered, as in Qt: it uses neither
    buffer nor the layer's data path. Its transport is a UdpTransport; the application reads
    and writes datagrams straight from and to the kernel, and readyRead() is emitted once until
    a datagram is read (hasPendingData).

    Implemented in four files: qabstractsocket.cpp (QAbstractSocket itself, the errno table,
    the socket options), socketdatapath.cpp (reading, sending, waiting, the signals of the
    data path), socketdatagram.cpp (the same for UDP) and socketlifecycle.cpp (look-up,
    connect, reconnect, close, abort, bind).
*/
class AbstractSocketPrivate final : public StreamHost
{
public:
    AbstractSocketPrivate();
    ~AbstractSocketPrivate();
    AbstractSocketPrivate(const AbstractSocketPrivate &) = delete;
    AbstractSocketPrivate &operator=(const AbstractSocketPrivate &) = delete;

    // Replaces the layer (a derived socket's constructor does, before any connection).
    void setLayer(std::unique_ptr<StreamLayer> layer);
    StreamLayer *layer() const { return m_layer.get(); }

    // --- StreamHost -----------------------------------------------------------------------
    QAbstractSocket *socket() const override { return q; }
    QAbstractSocket::SocketState state() const override { return m_state; }
    bool isReconnecting() const override { return reconnecting; }
    qint64 readFromWire(char *buffer, qint64 maxSize, int *error) override;
    qint64 readBufferSpace() const override;
    char *reserveApplicationSpace(qint64 *space) override { return readBuffer.reserve(space); }
    void commitApplicationBytes(qint64 size) override { readBuffer.commit(size); }
    void releaseApplicationSpace() override { readBuffer.releaseUnusedSpace(); }
    qint64 takeApplicationBytes(char *buffer, qint64 maxSize) override
    {
        return readBuffer.read(buffer, maxSize);
    }
    void updateReadNotification() override;
    bool emitReadyRead() override;
    void dropChannelReadyRead() override;
    void writeToWire(const char *data, qint64 size) override;
    void writeToWire(const QByteArray &data) override;
    void sendEagerly() override;
    void armWriteNotifier() override;
    bool flush() override { return flushTransport(); }
    qint64 wireBytesToWrite() const override { return writeBuffer.size(); }
    qint64 bytesSentNotReported() const override { return sentNotReported; }
    bool emitBytesWritten(qint64 size) override;
    bool waitForWire(QDeadlineTimer deadline) override;
    void setError(QAbstractSocket::SocketError error, const QString &errorString) override;
    bool setErrorAndEmit(QAbstractSocket::SocketError error, const QString &errorString) override;
    bool closeWithError(QAbstractSocket::SocketError error, const QString &errorString) override;
    bool closeByPeer() override;
    bool failWire(int error) override;
    bool enterClosingState() override;
    bool finishClosing() override;
    bool maybeFinishClosing() override;
    bool closeDevice() override;
    void finishDeviceClose() override;
    void disconnectFromHost() override;
    bool abort() override { return abortConnection(); }
    bool reconnect() override;

private:
    friend class QTPSK_PREPEND_NAMESPACE(QAbstractSocket);
    friend class QTPSK_PREPEND_NAMESPACE(QUdpSocket);

    // --- UDP (socketdatagram.cpp) ------------------------------------------------------------
    bool isDatagram() const { return socketType == QAbstractSocket::UdpSocket; }
    // The transport of a UDP socket; only while transport is set.
    UdpTransport &udp() const { return static_cast<UdpTransport &>(*transport); }
    // Bound or connected, with a descriptor: what QUdpSocket's datagram calls need.
    bool datagramReady() const;
    // Qt's read notification of an unbuffered socket: readyRead() once until a datagram is
    // read. False if a slot destroyed the socket.
    bool datagramReadNotification();
    // A datagram was taken (or a read failed): notify again for the next one.
    void datagramTaken();
    // read() and write() of a connected UDP socket.
    qint64 readConnectedDatagram(char *data, qint64 maxSize);
    qint64 writeConnectedDatagram(const char *data, qint64 size);
    // bytesWritten() (and channelBytesWritten() when \a channelSignal) for \a size bytes sent
    // from inside a write, never recursively. False if a slot destroyed the socket.
    bool emitDatagramWritten(qint64 size, bool channelSignal);
    // waitForReadyRead() of a UDP socket: bound or connected.
    bool waitForDatagram(QDeadlineTimer deadline);
    // The error of a failed datagram call (errno \a error of \a call), as the socket reports
    // it: the descriptor's first error if it had one (see engineErrorSet). With \a emitSignal,
    // errorOccurred() follows; false then if a slot destroyed the socket.
    bool datagramFailed(int error, SocketCall call, bool emitSignal);

    // --- data path (socketdatapath.cpp) ----------------------------------------------------
    bool setStateAndEmit(QAbstractSocket::SocketState newState);
    // Sends what writeBuffer holds without blocking; reports it via wireBytesWritten().
    // Returns false if the socket was destroyed. *wrote: whether anything was sent.
    bool flushTransport(bool *wrote = nullptr);
    // The start of waitForReadyRead() and waitForBytesWritten(): false for an unconnected or
    // bound socket; a socket still looking up or connecting waits (waitForConnected()) first.
    // False also if the socket was destroyed meanwhile.
    bool waitUntilConnected(QDeadlineTimer deadline);
    void onReadable();
    void onWritable();
    // Runs one notifier activation. What sendEagerly() sent meanwhile is reported at its end,
    // still from the event loop, instead of on the write notifier's next activation.
    template <typename Activation>
    void runActivation(Activation &&activation);
    // The read buffer has room again (the application read, or setReadBufferSize()): reading
    // resumes, and input the layer buffered runs from the event loop (queued, as Qt).
    void readBufferSpaceChanged();
    // What readData() and readLineData() return with an empty read buffer: 0 while connected
    // (or for a zero-byte read), -1 (end of stream) otherwise.
    qint64 emptyReadResult(qint64 maxlen) const
    {
        return (m_state == QAbstractSocket::ConnectedState || maxlen == 0) ? 0 : -1;
    }
    // The application took \a n bytes from the read buffer: returns \a n, and resumes a reading
    // that a full buffer paused.
    qint64 readBufferConsumed(qint64 n)
    {
        if (readPaused)
            readBufferSpaceChanged();
        return n;
    }
    // Runs the queued processBufferedInput(), if any; false if a slot destroyed the socket.
    bool runBufferedInput();

    // --- life cycle (socketlifecycle.cpp) --------------------------------------------------
    void init(QAbstractSocket *socket, QAbstractSocket::SocketType type);
    TcpTransport &ensureTransport();
    void startLookup(const QString &hostName, quint16 port,
                     QAbstractSocket::NetworkLayerProtocol protocol);
    bool lookupFinished(const HostLookupResult &result);
    bool connectToNextAddress();
    bool testConnection();
    bool connectionEstablished();
    // The new connection of reconnect() is writable: it is up, or it failed.
    bool finishReconnect();
    // The end of every close: UnconnectedState, then readChannelFinished() and, if the socket
    // was connected (\a previous), disconnected().
    bool becomeUnconnected(QAbstractSocket::SocketState previous);
    bool abortConnection();
    void resetConnection();
    bool bindTo(const SocketAddress &address, QAbstractSocket::BindMode mode,
                bool reportErrors = true);
    void fetchAddresses();
    // close() of an unconnected socket: the local and peer address, port and name are cleared.
    void forgetEndpoints();

    // --- qabstractsocket.cpp ---------------------------------------------------------------
    void applySocketOptions();
    bool applySocketOption(QAbstractSocket::SocketOption option, const QVariant &value);
    static QAbstractSocket::SocketError errorFromErrno(int error, QString *errorString,
                                                       bool connecting);

    QAbstractSocket *q = nullptr;
    std::unique_ptr<StreamLayer> m_layer;
    QAbstractSocket::SocketType socketType = QAbstractSocket::UnknownSocketType;
    QAbstractSocket::SocketState m_state = QAbstractSocket::UnconnectedState;
    QAbstractSocket::SocketError socketError = QAbstractSocket::UnknownSocketError;
    QAbstractSocket::PauseModes pauseMode = QAbstractSocket::PauseNever;

    QString peerName;
    QHostAddress peerAddress;
    quint16 peerPort = 0;
    QHostAddress localAddress;
    quint16 localPort = 0;

    std::unique_ptr<TcpTransport> transport;
    HostLookup lookup;
    QList<SocketAddress> pendingAddresses;
    int lastConnectErrno = 0;
    bool bound = false;          // the transport was bound by bind() before connecting
    bool pendingClose = false;   // disconnectFromHost() during lookup/connect: close when up
    bool reconnecting = false;   // reconnect() is connecting
    QIODevice::OpenMode openModeForConnect = QIODevice::ReadWrite;

    ChunkBuffer readBuffer;      // application bytes for read()
    ChunkBuffer writeBuffer;     // wire bytes for the kernel
    qint64 sentNotReported = 0;  // sent by sendEagerly(), not yet reported by bytesWritten
    bool inActivation = false;   // inside runActivation()
    bool reportAtActivationEnd = false; // sendEagerly() left the report to runActivation()
    qint64 readBufferMaxSize = 0;
    bool readPaused = false;     // reading stopped because readBuffer is full
    bool bufferedInputQueued = false; // runBufferedInput() is queued on the event loop

    QHash<int, QVariant> socketOptions; // SocketOption -> value, re-applied to new descriptors

    QNetworkProxy proxy;         // setProxy(): checked by connectToHost() and bind()
    QString protocolTag;

    bool hasPendingData = false; // UDP: readyRead() was emitted, no datagram read since
    // UDP, as Qt's socket engine: the first error of a descriptor is kept, and every later
    // failure of a datagram call reports it again.
    bool engineErrorSet = false;
    QAbstractSocket::SocketError engineError = QAbstractSocket::UnknownSocketError;
    QString engineErrorString;

    bool emittingReadyRead = false;
    bool channelReadyReadDropped = false; // the layer took over in readyRead()
    bool emittingBytesWritten = false;
    quint64 readyReadCount = 0;    // readyRead() emissions (or suppressed recursive ones)
    quint64 bytesWrittenCount = 0; // wireBytesWritten() calls
};

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE

#endif // QTPSK_QABSTRACTSOCKET_P_H
