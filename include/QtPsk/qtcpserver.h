// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QTCPSERVER_H
#define QTPSK_QTCPSERVER_H

#include <QtPsk/qtpskglobal.h>

#include <QtCore/qobject.h>
#include <QtPsk/qabstractsocket.h>
#include <QtPsk/qhostaddress.h>

#include <memory>

QTPSK_BEGIN_NAMESPACE

class QTcpSocket;
class QNetworkProxy;
namespace QtPskPrivate { class TcpServerPrivate; }

/*!
    \class QTcpServer
    \brief A TCP server that accepts incoming connections: the QtNetwork class of the same name.

    A source-compatible clone of QtNetwork's QTcpServer. Call listen() with an address and a
    port (0: the system picks one, see serverPort()). Every accepted connection goes through
    incomingConnection(), which by default wraps it in a QTcpSocket and queues it with
    addPendingConnection(); newConnection() is emitted after each one. Take the queued sockets
    with nextPendingConnection().

    \code
    auto *server = new QTcpServer(this);
    connect(server, &QTcpServer::newConnection, this, [server] {
        while (QTcpSocket *socket = server->nextPendingConnection())
            socket->write("hello\n");
    });
    if (!server->listen(QHostAddress::LocalHost, 0))
        qWarning() << server->errorString();
    \endcode

    The server works on the event loop of the thread it lives in; waitForNewConnection()
    offers a blocking alternative. Every slot connected to its signals may close() the server
    or delete it (deleteLater() as with any QObject, or even \c delete): the server checks
    after each emission and stops accepting.

    While maxPendingConnections() sockets wait in the queue, the server stops accepting; the
    kernel keeps further clients in its backlog (listenBacklogSize()) until the queue shrinks.
    Only sockets handed to addPendingConnection() count, so a subclass that hands sockets on
    later (QSslServer, after their handshake) never starves new clients.

    \section1 Differences from Qt
    \list
    \li No proxy engine: listen() goes through no proxy. NoProxy, and DefaultProxy while the
        application proxy is NoProxy, listen directly as in Qt; where Qt would listen through
        a Socks5Proxy, listen() fails with QAbstractSocket::UnsupportedSocketOperationError
        (see setProxy()).
    \li When accept() runs out of descriptors or memory, acceptError() is emitted with
        QAbstractSocket::SocketResourceError and the server retries after a short back-off
        (up to one second) instead of pausing until resumeAccepting().
    \li A queued socket deleted by the application is taken out of the queue, so
        hasPendingConnections() never returns a dangling socket.
    \endlist
*/
class QTPSK_EXPORT QTcpServer : public QObject
{
    Q_OBJECT
public:
    /*! Constructs a server that is not listening, with the given \a parent. */
    explicit QTcpServer(QObject *parent = nullptr);
    /*! Destroys the server: stops listening and deletes the sockets still in the queue. */
    ~QTcpServer() override;

    /*!
        Starts listening on \a address and \a port (0: any free port). QHostAddress::Any
        listens on IPv6 and IPv4 alike with one dual-stack socket (IPv4 clients then appear
        as \c \::ffff:a.b.c.d), or on IPv4 only when the system has no IPv6. The address is
        reusable at once after a previous server closed (SO_REUSEADDR). Returns \c true on
        success; otherwise serverError() and errorString() say why (for example
        QAbstractSocket::AddressInUseError). Returns \c false without an error if the server
        is already listening.
    */
    bool listen(const QHostAddress &address = QHostAddress::Any, quint16 port = 0);
    /*!
        Stops listening and deletes the sockets still waiting in the queue. Sockets already
        taken with nextPendingConnection() stay open. The server may listen() again.
    */
    void close();

    /*! Returns \c true while the server is listening. */
    bool isListening() const;

    /*!
        Sets the number of accepted sockets that may wait in the queue to \a numConnections
        (default 30). While that many wait, the server accepts no more connections.
    */
    void setMaxPendingConnections(int numConnections);
    /*! Returns the maximum number of sockets waiting in the queue (default 30). */
    int maxPendingConnections() const;

    /*! Sets the kernel's backlog for the next listen() to \a size (default 50). */
    void setListenBacklogSize(int size);
    /*! Returns the backlog that listen() gives the kernel (default 50). */
    int listenBacklogSize() const;

    /*! Returns the port the server listens on, or 0 when it is not listening. */
    quint16 serverPort() const;
    /*!
        Returns the address the server listens on (QHostAddress::Any for a dual-stack
        server), or a null address when it is not listening.
    */
    QHostAddress serverAddress() const;

    /*! Returns the native descriptor of the listening socket, or -1 when not listening. */
    qintptr socketDescriptor() const;
    /*!
        Makes the server use \a socketDescriptor, a TCP socket that already listens, and takes
        ownership of it. Returns \c false (with serverError() set) if the descriptor is not a
        listening TCP socket, or if the server is listening already.
    */
    bool setSocketDescriptor(qintptr socketDescriptor);

    /*!
        Blocks for at most \a msec milliseconds (-1: no limit; 0: just check) until a client
        connects, then accepts it as the event loop would (incomingConnection(),
        newConnection()). Returns \c true if a connection came in. On a timeout returns
        \c false with SocketTimeoutError, and sets \c *timedOut (if \a timedOut is not null)
        to \c true. Returns \c false at once when the server is not listening.
    */
    bool waitForNewConnection(int msec = 0, bool *timedOut = nullptr);
    /*! Returns \c true if at least one accepted socket waits in the queue. */
    virtual bool hasPendingConnections() const;
    /*!
        Takes the oldest socket out of the queue and returns it, connected, or returns
        \c nullptr when the queue is empty. The socket remains a child of the server: it is
        deleted with the server unless the caller deletes it or gives it another parent first.
    */
    virtual QTcpSocket *nextPendingConnection();

    /*! Returns the last error (QAbstractSocket::UnknownSocketError if none occurred). */
    QAbstractSocket::SocketError serverError() const;
    /*! Returns a human-readable description of the last error. */
    QString errorString() const;

    /*! Stops accepting connections; clients queue up in the kernel's backlog. */
    void pauseAccepting();
    /*! Accepts connections again after pauseAccepting(). */
    void resumeAccepting();

    /*!
        Sets the proxy for the next listen() to \a networkProxy. The default,
        QNetworkProxy::DefaultProxy, uses QNetworkProxy::applicationProxy(); NoProxy listens
        directly. As in Qt, listen() on a loopback address never uses a proxy. QtPsk listens
        directly only: with any other proxy, listen() on another address returns \c false with
        QAbstractSocket::UnsupportedSocketOperationError, as Qt does for a proxy it cannot
        listen through (see QAbstractSocket's "Proxies").
    */
    void setProxy(const QNetworkProxy &networkProxy);
    /*! Returns the proxy set with setProxy() (QNetworkProxy::DefaultProxy by default). */
    QNetworkProxy proxy() const;

protected:
    /*!
        Called for every accepted connection with its native descriptor \a handle (already
        non-blocking and close-on-exec). The default implementation creates a QTcpSocket
        child of the server, gives it the descriptor and calls addPendingConnection().
        Reimplement it to use another socket class or to hand the descriptor to another
        thread; the reimplementation owns \a handle and must close it if it does not use it.
    */
    virtual void incomingConnection(qintptr handle);
    /*!
        Appends \a socket to the queue that nextPendingConnection() takes from and emits
        pendingConnectionAvailable(). Call it from incomingConnection() (or later, once the
        socket is ready, as QSslServer does after the handshake).
    */
    void addPendingConnection(QTcpSocket *socket);

Q_SIGNALS:
    /*!
        Emitted once for every accepted connection, after incomingConnection() returns,
        whether or not that put a socket into the queue.
    */
    void newConnection();
    /*! Emitted every time addPendingConnection() has added a socket to the queue. */
    void pendingConnectionAvailable(QPrivateSignal);
    /*!
        Emitted when accepting a connection failed with \a socketError; errorString()
        describes it. For QAbstractSocket::SocketResourceError the server retries later by
        itself; after any other error it pauses (see resumeAccepting()), as Qt does.
    */
    void acceptError(QAbstractSocket::SocketError socketError);

private:
    Q_DISABLE_COPY_MOVE(QTcpServer)
    friend class QtPskPrivate::TcpServerPrivate;
    std::unique_ptr<QtPskPrivate::TcpServerPrivate> d;
};

QTPSK_END_NAMESPACE

#endif // QTPSK_QTCPSERVER_H
