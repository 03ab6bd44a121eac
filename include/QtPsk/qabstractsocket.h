// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QABSTRACTSOCKET_H
#define QTPSK_QABSTRACTSOCKET_H

#include <QtPsk/qtpskglobal.h>

#include <QtCore/qiodevice.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qobject.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>
#ifndef QT_NO_DEBUG_STREAM
#include <QtCore/qdebug.h>
#endif

#include <memory>

QTPSK_BEGIN_NAMESPACE

class QHostAddress;
class QNetworkProxy;
class QAuthenticator;
namespace QtPskPrivate { class AbstractSocketPrivate; }

/*!
    \class QAbstractSocket
    \brief The base of QTcpSocket (and so of QSslSocket) and of QUdpSocket: a socket as a
    QIODevice.

    A source-compatible clone of QtNetwork's class. The socket works asynchronously on the Qt
    event loop of the thread it lives in: connectToHost() returns at once, the host name is
    looked up without blocking the loop, and the outcome arrives as signals (hostFound(),
    connected(), readyRead(), bytesWritten(), disconnected(), errorOccurred(), stateChanged()).
    The waitFor...() functions give a blocking style that needs no event loop.

    The order of events matches Qt: connectToHost() enters HostLookupState at once; then
    ConnectingState, hostFound() (both still inside connectToHost() for an IP literal),
    ConnectedState and connected() (always from the event loop). A failed attempt ends in
    UnconnectedState followed by errorOccurred() (ConnectionRefusedError, HostNotFoundError,
    ...). When the peer closes, errorOccurred(RemoteHostClosedError) comes first, then
    ClosingState, UnconnectedState, readChannelFinished() and disconnected(); the data
    received before stays readable.

    Any slot connected to the socket's signals may call abort(), close(), disconnectFromHost()
    or deleteLater() on the socket; the socket re-checks its state after every emission.

    \section1 Proxies
    setProxy() and proxy() exist with Qt's semantics for the two settings a direct connection
    needs: QNetworkProxy::NoProxy, and QNetworkProxy::DefaultProxy (the default) while the
    application proxy (QNetworkProxy::setApplicationProxy()) is NoProxy, as it is unless set.
    Both connect directly, as in Qt. As in Qt, the application proxy is never used for
    \c localhost, a name that starts with \c localhost. (such as \c localhost.localdomain) or
    a loopback address. Any other proxy fails the way
    Qt fails for a proxy it cannot use for TCP (measured with QNetworkProxy::FtpCachingProxy):
    connectToHost() emits errorOccurred(UnsupportedSocketOperationError) before it returns,
    with no state change and the device not opened; bind() returns \c false with that error
    and no signal. errorString() is Qt's "Operation on socket is not supported" for the caching
    proxies, and "QtPsk does not support proxies (HttpProxy): use QNetworkProxy::NoProxy to
    connect directly" (or Socks5Proxy) for the proxies Qt would really use.

    \section1 Differences from Qt
    \list
    \li No proxy engine: where Qt would connect or bind through an HttpProxy or a Socks5Proxy,
        QtPsk fails with UnsupportedSocketOperationError (see "Proxies"), and
        proxyAuthenticationRequired() is never emitted. Why: a TLS-PSK device talks to its peer
        directly.
    \li Not provided: SCTP sockets (the enum value exists for source compatibility only) and
        UDP multicast (see QUdpSocket). Why: a TLS-PSK or DTLS-PSK device needs TCP and UDP
        only, and every feature left out is code that cannot fail.
    \li Qt's private slots (\c _q_connectToNextAddress() and the like, implementation details
        that the meta-object lists) do not exist.
    \endlist
    Otherwise the order of states and signals, the error codes and the blocking functions are
    Qt's, as described above.
*/
class QTPSK_EXPORT QAbstractSocket : public QIODevice
{
    Q_OBJECT
    Q_MOC_INCLUDE(<QtPsk/qauthenticator.h>)
    Q_MOC_INCLUDE(<QtPsk/qnetworkproxy.h>)

public:
    /*! The transport protocol of a socket. */
    enum SocketType {
        TcpSocket,              /*!< A TCP stream socket. */
        UdpSocket,              /*!< A UDP datagram socket (QUdpSocket). */
        SctpSocket,             /*!< An SCTP socket (not provided by QtPsk). */
        UnknownSocketType = -1  /*!< Anything else. */
    };
    Q_ENUM(SocketType)

    /*! The network-layer protocol of an address or a connection. */
    enum NetworkLayerProtocol {
        IPv4Protocol,                    /*!< IPv4. */
        IPv6Protocol,                    /*!< IPv6. */
        AnyIPProtocol,                   /*!< Either IPv4 or IPv6. */
        UnknownNetworkLayerProtocol = -1 /*!< Not an IP protocol, or not known. */
    };
    Q_ENUM(NetworkLayerProtocol)

    /*! What went wrong; error() returns the last one, errorString() describes it. */
    enum SocketError {
        ConnectionRefusedError,           /*!< The peer refused the connection, or it timed out. */
        RemoteHostClosedError,            /*!< The peer closed the connection. */
        HostNotFoundError,                /*!< The host name could not be resolved. */
        SocketAccessError,                /*!< The operating system denied the operation. */
        SocketResourceError,              /*!< Out of sockets, memory or another resource. */
        SocketTimeoutError,               /*!< An operation did not finish in time. */
        DatagramTooLargeError,            /*!< A datagram exceeded the system's limit. */
        NetworkError,                     /*!< The network failed (for example, the cable). */
        AddressInUseError,                /*!< The local address given to bind() is taken. */
        SocketAddressNotAvailableError,   /*!< The address given to bind() is not local. */
        UnsupportedSocketOperationError,  /*!< The system does not support this operation. */
        UnfinishedSocketOperationError,   /*!< Used by QAbstractSocketEngine only. */
        ProxyAuthenticationRequiredError, /*!< A proxy requires authentication. */
        SslHandshakeFailedError,          /*!< The TLS handshake failed; the socket was closed. */
        ProxyConnectionRefusedError,      /*!< The proxy refused the connection. */
        ProxyConnectionClosedError,       /*!< The proxy closed the connection unexpectedly. */
        ProxyConnectionTimeoutError,      /*!< The proxy did not answer in time. */
        ProxyNotFoundError,               /*!< The proxy was not found. */
        ProxyProtocolError,               /*!< The proxy's answer made no sense. */
        OperationError,                   /*!< The operation is not allowed in this state. */
        SslInternalError,                 /*!< The TLS library failed internally. */
        SslInvalidUserDataError,          /*!< The TLS configuration or data given is invalid. */
        TemporaryError,                   /*!< A transient error; try again later. */

        UnknownSocketError = -1           /*!< Any other error. */
    };
    Q_ENUM(SocketError)

    /*! The life cycle of a socket. */
    enum SocketState {
        UnconnectedState, /*!< Not connected. */
        HostLookupState,  /*!< Looking up the host name. */
        ConnectingState,  /*!< Establishing the connection. */
        ConnectedState,   /*!< Connected. */
        BoundState,       /*!< Bound to a local address and port. */
        ListeningState,   /*!< Listening (used internally by servers). */
        ClosingState      /*!< Sending the remaining data before closing. */
    };
    Q_ENUM(SocketState)

    /*! Options for setSocketOption() and socketOption(). */
    enum SocketOption {
        LowDelayOption,                /*!< 1 disables Nagle's algorithm (TCP_NODELAY). */
        KeepAliveOption,               /*!< 1 enables TCP keep-alive probes (SO_KEEPALIVE). */
        MulticastTtlOption,            /*!< The multicast time to live (UDP only). */
        MulticastLoopbackOption,       /*!< Multicast loopback, 0 or 1 (UDP only). */
        TypeOfServiceOption,           /*!< The IP type-of-service byte (IP_TOS / IPV6_TCLASS). */
        SendBufferSizeSocketOption,    /*!< The kernel send buffer size (SO_SNDBUF). */
        ReceiveBufferSizeSocketOption, /*!< The kernel receive buffer size (SO_RCVBUF). */
        PathMtuSocketOption            /*!< The path MTU, read only (IP_MTU). */
    };
    Q_ENUM(SocketOption)

    /*! How bind() shares a local address with other sockets. */
    enum BindFlag {
        DefaultForPlatform = 0x0, /*!< The platform's default (SO_REUSEADDR on Unix). */
        ShareAddress = 0x1,       /*!< Allow other sockets to bind the same address and port. */
        DontShareAddress = 0x2,   /*!< Bind exclusively. */
        ReuseAddressHint = 0x4    /*!< Try to rebind even when the address is in use. */
    };
    /*! A combination of BindFlag values. */
    Q_DECLARE_FLAGS(BindMode, BindFlag)

    /*! When the socket pauses its data transfer for the application to resume(). */
    enum PauseMode {
        PauseNever = 0x0,      /*!< Never pause. */
        PauseOnSslErrors = 0x1 /*!< Pause when TLS errors are reported (see QSslSocket). */
    };
    /*! A combination of PauseMode values. */
    Q_DECLARE_FLAGS(PauseModes, PauseMode)

    /*! Constructs an unconnected socket of type \a socketType with the given \a parent. */
    QAbstractSocket(SocketType socketType, QObject *parent);
    /*!
        Destroys the socket. As in Qt, a socket that is not unconnected is abort()ed first, so
        stateChanged() and disconnected() may be emitted from the destructor. A pending host
        lookup is cancelled; its result is never delivered.
    */
    ~QAbstractSocket() override;

    /*! Continues a transfer that was paused (see PauseMode). Does nothing in a plain socket. */
    virtual void resume();
    /*! Returns the situations in which the socket pauses. */
    PauseModes pauseMode() const;
    /*! Sets the situations in which the socket pauses to \a pauseMode. */
    void setPauseMode(PauseModes pauseMode);

    /*!
        Binds the socket to the local \a address and \a port (0: any free port) with the given
        \a mode, before a connection is made. Returns \c true on success (state BoundState);
        otherwise sets error() and returns \c false.
    */
    virtual bool bind(const QHostAddress &address, quint16 port = 0,
                      BindMode mode = DefaultForPlatform);
    /*! Binds the socket to \a port on any local address with the given \a mode. */
    bool bind(quint16 port = 0, BindMode mode = DefaultForPlatform);

    /*!
        Starts connecting to \a hostName (a name or an IP literal) on \a port, opening the
        device in \a mode once connected, and returns at once. \a protocol restricts the
        addresses tried. The state becomes HostLookupState immediately, then ConnectingState
        and hostFound() (at once for an IP literal, after an asynchronous lookup for a name),
        then connected() or errorOccurred() from the event loop. Each address the name
        resolves to is tried in turn.
    */
    virtual void connectToHost(const QString &hostName, quint16 port, OpenMode mode = ReadWrite,
                               NetworkLayerProtocol protocol = AnyIPProtocol);
    /*! Starts connecting to \a address on \a port, opening the device in \a mode. */
    void connectToHost(const QHostAddress &address, quint16 port, OpenMode mode = ReadWrite);
    /*!
        Closes the connection gracefully: the state becomes ClosingState until every pending
        byte is written, then the socket closes and emits disconnected(). Aborts a connection
        attempt still in progress.
    */
    virtual void disconnectFromHost();

    /*!
        Returns \c true if the socket has a usable descriptor (connected or bound). As in Qt, a
        UdpSocket whose device is open (a connected one, after the connection ended) is valid
        too, and one stays valid after a failed bind().
    */
    bool isValid() const;

    /*! Returns the number of received bytes waiting to be read. */
    qint64 bytesAvailable() const override;
    /*! Returns the number of written bytes not yet handed to the operating system. */
    qint64 bytesToWrite() const override;

    /*! Returns the local port of the connection, or 0. */
    quint16 localPort() const;
    /*! Returns the local address of the connection, or a null address. */
    QHostAddress localAddress() const;
    /*! Returns the peer's port once connecting, or 0. */
    quint16 peerPort() const;
    /*! Returns the peer's address once connecting, or a null address. */
    QHostAddress peerAddress() const;
    /*! Returns the host name given to connectToHost(), or an empty string. */
    QString peerName() const;

    /*! Returns the read buffer limit in bytes; 0 (the default) means unlimited. */
    qint64 readBufferSize() const;
    /*!
        Limits the received bytes the socket keeps for the application to \a size (0:
        unlimited). When the buffer is full the socket stops reading, and the kernel's flow
        control slows the peer down until the application reads.
    */
    virtual void setReadBufferSize(qint64 size);

    /*!
        Closes the connection at once, discarding unsent data, and resets the socket. Emits
        stateChanged() and disconnected() if it was connected, but never errorOccurred().
    */
    void abort();

    /*! Returns the native descriptor of the socket, or -1 when there is none. */
    virtual qintptr socketDescriptor() const;
    /*!
        Adopts the open native socket \a socketDescriptor (for example, one accepted by a
        server) in \a state, opening the device in \a openMode. Returns \c true on success.
        The socket takes ownership of the descriptor.
    */
    virtual bool setSocketDescriptor(qintptr socketDescriptor, SocketState state = ConnectedState,
                                     OpenMode openMode = ReadWrite);

    /*!
        Sets \a option to \a value. Options set before the connection exists are applied when
        it does.
    */
    virtual void setSocketOption(QAbstractSocket::SocketOption option, const QVariant &value);
    /*! Returns the value of \a option, or an invalid QVariant if it cannot be read. */
    virtual QVariant socketOption(QAbstractSocket::SocketOption option);

    /*! Returns the socket type (TcpSocket for QTcpSocket, UdpSocket for QUdpSocket). */
    SocketType socketType() const;
    /*! Returns the current state. */
    SocketState state() const;
    /*! Returns the last error; errorString() gives its description. */
    SocketError error() const;

    /*!
        Closes the device: like disconnectFromHost() (pending data is still sent), but the
        device is closed and its read buffer cleared at once.
    */
    void close() override;
    /*! Returns \c true: a socket is a sequential device. */
    bool isSequential() const override;
    /*! Returns \c true if at least one line can be read without blocking. */
    bool canReadLine() const override;
    /*! Returns \c true if no more data is available to read now. */
    bool atEnd() const override;
    /*!
        Writes as much buffered data as possible to the operating system without blocking.
        Returns \c true if any data was written.
    */
    bool flush();

    /*!
        Waits at most \a msecs milliseconds (-1: forever) for the connection, without an event
        loop, emitting the usual signals. Returns \c true if connected. On timeout the
        attempt is given up: error() is SocketTimeoutError and the state UnconnectedState; as
        in Qt, this time-out does not emit errorOccurred().
    */
    virtual bool waitForConnected(int msecs = 30000);
    /*!
        Waits at most \a msecs milliseconds for new data and emits readyRead(). Returns \c true
        if new data arrived; on timeout, \c false with error() SocketTimeoutError, reported
        with errorOccurred() as in Qt (the connection stays open and usable). A UdpSocket
        waits in BoundState too, for a datagram; as in Qt, once one of its datagram calls
        failed, the wait reports that error instead and closes the socket.
    */
    bool waitForReadyRead(int msecs = 30000) override;
    /*!
        Waits at most \a msecs milliseconds until at least some pending data is written and
        emits bytesWritten(). Returns \c true if data was written; on timeout, \c false with
        error() SocketTimeoutError, reported with errorOccurred() as in Qt (the connection
        stays open and the data stays queued).
    */
    bool waitForBytesWritten(int msecs = 30000) override;
    /*!
        Waits at most \a msecs milliseconds for the connection to close, emitting the usual
        signals (disconnected() among them). Returns \c true if it closed; \c false on
        timeout (error SocketTimeoutError, reported with errorOccurred() as in Qt; the
        connection stays open) or when the socket was already unconnected.
    */
    virtual bool waitForDisconnected(int msecs = 30000);

    /*!
        Sets the proxy for the next connectToHost() or bind() to \a networkProxy. The default,
        QNetworkProxy::DefaultProxy, uses QNetworkProxy::applicationProxy(); NoProxy connects
        directly. QtPsk connects directly only: with any other proxy the next connectToHost()
        or bind() fails with UnsupportedSocketOperationError (see "Proxies" above).
    */
    void setProxy(const QNetworkProxy &networkProxy);
    /*! Returns the proxy set with setProxy() (QNetworkProxy::DefaultProxy by default). */
    QNetworkProxy proxy() const;
    /*!
        Returns the protocol tag set with setProtocolTag() (empty by default). In Qt the tag
        goes into the QNetworkProxyQuery of a proxy factory; QtPsk only keeps it.
    */
    QString protocolTag() const;
    /*! Sets the protocol tag to \a tag. */
    void setProtocolTag(const QString &tag);

Q_SIGNALS:
    /*!
        Emitted after connectToHost() once the host name has been resolved, right after
        stateChanged(ConnectingState). As in Qt, for an IP literal this happens synchronously,
        inside connectToHost(); a host name is resolved on a worker thread and the signal comes
        from the event loop (or from waitForConnected()).
    */
    void hostFound();
    /*! Emitted when the connection is established (for QSslSocket: the TCP connection). */
    void connected();
    /*! Emitted when the socket has closed after being connected. */
    void disconnected();
    /*! Emitted whenever state() changes; the argument is the new state. */
    void stateChanged(QAbstractSocket::SocketState);
    /*! Emitted after an error; error() and errorString() already describe it. */
    void errorOccurred(QAbstractSocket::SocketError);
    /*!
        In Qt, emitted when the proxy \a proxy asks for credentials, which the slot fills into
        \a authenticator. QtPsk never emits it: it never connects through a proxy. The signal
        exists so that code connecting to it compiles and the meta-object lists Qt's signals.
    */
    void proxyAuthenticationRequired(const QNetworkProxy &proxy, QAuthenticator *authenticator);

protected:
    /*! Reads up to \a maxlen received bytes into \a data; returns -1 when not readable. */
    qint64 readData(char *data, qint64 maxlen) override;
    /*! Reads up to \a maxlen bytes, stopping after a newline, into \a data. */
    qint64 readLineData(char *data, qint64 maxlen) override;
    /*! Discards up to \a maxSize received bytes; returns how many were discarded. */
    qint64 skipData(qint64 maxSize) override;
    /*! Queues \a len bytes from \a data for sending; returns \a len, or -1 when not connected. */
    qint64 writeData(const char *data, qint64 len) override;

    /*! Sets the state to \a state without emitting stateChanged(). */
    void setSocketState(SocketState state);
    /*! Sets the error to \a socketError without emitting errorOccurred(). */
    void setSocketError(SocketError socketError);
    /*! Sets the reported local port to \a port. */
    void setLocalPort(quint16 port);
    /*! Sets the reported local address to \a address. */
    void setLocalAddress(const QHostAddress &address);
    /*! Sets the reported peer port to \a port. */
    void setPeerPort(quint16 port);
    /*! Sets the reported peer address to \a address. */
    void setPeerAddress(const QHostAddress &address);
    /*! Sets the reported peer name to \a name. */
    void setPeerName(const QString &name);

    /*!
        Constructs a socket of type \a socketType whose private part is \a dd (see
        src/network/qabstractsocket_p.h); a derived socket (QSslSocket) installs its stream
        layer on it.
    */
    QTPSK_NO_EXPORT
    QAbstractSocket(SocketType socketType, std::unique_ptr<QtPskPrivate::AbstractSocketPrivate> dd,
                    QObject *parent = nullptr);

    /*! The private part; never null. */
    std::unique_ptr<QtPskPrivate::AbstractSocketPrivate> d_ptr;

private:
    Q_DISABLE_COPY_MOVE(QAbstractSocket)
    friend class QtPskPrivate::AbstractSocketPrivate;
};

Q_DECLARE_OPERATORS_FOR_FLAGS(QAbstractSocket::BindMode)
Q_DECLARE_OPERATORS_FOR_FLAGS(QAbstractSocket::PauseModes)

#ifndef QT_NO_DEBUG_STREAM
/*! Writes \a error to \a debug as its enumerator name, for example "ConnectionRefusedError". */
QTPSK_EXPORT QDebug operator<<(QDebug debug, QAbstractSocket::SocketError error);
/*! Writes \a state to \a debug as its enumerator name, for example "ConnectedState". */
QTPSK_EXPORT QDebug operator<<(QDebug debug, QAbstractSocket::SocketState state);
#endif

QTPSK_END_NAMESPACE

QT_DECL_METATYPE_EXTERN_TAGGED(QTPSK_PREPEND_NAMESPACE(QAbstractSocket)::SocketState,
                               QtPsk_QAbstractSocket__SocketState, QTPSK_EXPORT)
QT_DECL_METATYPE_EXTERN_TAGGED(QTPSK_PREPEND_NAMESPACE(QAbstractSocket)::SocketError,
                               QtPsk_QAbstractSocket__SocketError, QTPSK_EXPORT)

#endif // QTPSK_QABSTRACTSOCKET_H
