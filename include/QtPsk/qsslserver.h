// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QSSLSERVER_H
#define QTPSK_QSSLSERVER_H

#include <QtPsk/qtpskglobal.h>
#include <QtPsk/qssl.h>
#include <QtPsk/qsslconfiguration.h>
#include <QtPsk/qsslerror.h>
#include <QtPsk/qsslpresharedkeyauthenticator.h> // complete for the PSK slot, as with Qt's header
#include <QtPsk/qsslsocket.h>
#include <QtPsk/qtcpserver.h>

#include <QtCore/qlist.h>

#include <memory>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate { class SslServerPrivate; }

/*!
    \class QSslServer
    \brief A TLS server: accepts TCP connections and hands out QSslSocket objects once their
    handshake has completed.

    A source-compatible clone of QtNetwork's QSslServer (Qt 6.4). Every accepted connection
    becomes a QSslSocket (a child of the server) with the server's sslConfiguration(). As in Qt,
    its server handshake starts when the client's first byte arrives: a first byte that is no
    TLS handshake record (0x16) closes the connection without a signal; otherwise the handshake
    takes in what arrived and startedEncryptionHandshake() is emitted, with the socket in
    QSslSocket::SslServerMode (a failure on those first bytes is reported by errorOccurred()
    before it). The socket
    is queued for nextPendingConnection() (and pendingConnectionAvailable() and newConnection()
    are emitted) only once it is encrypted. A handshake that fails, or that does not finish
    within handshakeTimeout(), ends with errorOccurred(socket, error) and the socket is
    deleted later. Once a socket is queued, the server forwards none of its signals any more:
    it belongs to the application.

    For PSK, give the configuration an identity hint if the clients want one and answer
    preSharedKeyAuthenticationRequired(socket, authenticator) with the key for
    authenticator->identity(); leave the key empty for an unknown identity. The signal is
    emitted synchronously during the handshake; the authenticator lives only during the
    emission (use a direct connection).

    \code
    QSslServer server;
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setPreSharedKeyIdentityHint("my server");
    server.setSslConfiguration(config);
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired,
                     [&keys](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
        authenticator->setPreSharedKey(keys.value(authenticator->identity()));
    });
    server.listen(QHostAddress::LocalHost, 4433);
    \endcode

    \section1 Differences from Qt
    \list
    \li A client that offers TLS 1.3 without a PSK but TLS 1.2 PSK suites (Qt's default client)
        gets TLS 1.2, decided before the version is negotiated, so its handshake succeeds (Qt's
        server negotiates TLS 1.3 and fails it). A client that offers a TLS 1.3 PSK keeps
        TLS 1.3.
    \li DHE-PSK suites work (OpenSSL chooses the Diffie-Hellman parameters); Qt 6.4's server
        fails them with "no shared cipher".
    \li A QtPsk extension: the slot of preSharedKeyAuthenticationRequired() may answer later,
        from any thread (QSslPreSharedKeyAuthenticator::deferAnswer()), so that a slow key store
        does not stall the server's other connections; handshakeTimeout() still bounds a
        handshake whose answer is late.
    \li Session resumption: by default nothing resumes, as in Qt (every handshake asks the
        slot). With QSsl::SslOptionDisableSessionPersistence off (and
        QSsl::SslOptionDisableSessionSharing off) the server keeps up to 1024 sessions for 300 s,
        for itself alone (never another server, even with an equal configuration); a TLS 1.3
        ticket resumes once (QSsl::SslOptionDisableSessionTickets: TLS 1.2 session IDs only),
        and each resumption still emits preSharedKeyAuthenticationRequired() for the session's
        identity: it resumes only if the slot gives the same key, so revoking an identity or
        changing its key ends its sessions. Qt's server never resumes, and shows a TLS 1.3 ticket
        to the slot as an identity; QtPsk never does.
    \li Renegotiation is refused (a no_renegotiation warning alert), as Qt's server does; Qt's
        client accepts it.
    \li clientHelloTimeout(), maxHandshakesPerAddress() and a listen backlog of 1024 guard
        against floods of silent connections (see below); Qt has none of them.
    \li Connections still in their handshake do not count against maxPendingConnections(), so
        clients that connect and send nothing cannot stop others from being served (in Qt 6.4
        they do, until the handshake timeout clears them).
    \endlist

    \section1 Floods of silent connections (QtPsk extensions)
    A connection costs the server a descriptor and a socket from accept() on, before the client
    has said anything. So that clients that connect and stay silent cannot take them all, QtPsk
    adds two limits Qt does not have (both on by default, both can be turned off):
    \list
    \li clientHelloTimeout(): a connection whose first byte has not arrived within this time
        (2000 ms by default, never longer than handshakeTimeout()) is dropped, with
        errorOccurred(socket, QAbstractSocket::SocketTimeoutError) as for the handshake
        time-out. Once the first byte is in, handshakeTimeout() starts again, as in Qt.
    \li maxHandshakesPerAddress(): at most this many connections from one peer address (an
        IPv4 address, or an IPv6 /64 network) are in their handshake at once (128 by default).
        A new connection beyond the limit makes room by dropping the oldest one from that
        address that has sent no byte although the event loop has run twice since its accept
        (errorOccurred(socket, QAbstractSocket::SocketResourceError)). A connection that has
        sent bytes is never dropped for the limit (handshakeTimeout() bounds it), and when
        none is silent the new connection is served beyond the limit: a burst of real clients
        is never refused.
    \endlist
    And listenBacklogSize() is 1024 for a QSslServer (Qt: 50, which QTcpServer keeps): with 50,
    a burst of connections fills the kernel's accept queue and a legitimate client's SYN is
    dropped, costing it a second for each retransmission. The kernel caps the value at
    net.core.somaxconn.

    Under a flood of 3000 silent connections from one loopback address, a legitimate client is
    still served within 2 s (tests/ssl/qsslserver_flood_test.cpp).
*/
class QTPSK_EXPORT QSslServer : public QTcpServer
{
    Q_OBJECT
public:
    /*! Constructs a server with the default TLS configuration and the given \a parent. */
    explicit QSslServer(QObject *parent = nullptr);
    /*! Destroys the server; sockets still in their handshake go with it. */
    ~QSslServer() override;

    /*! Sets the configuration of the sockets accepted from now on to \a sslConfiguration. */
    void setSslConfiguration(const QSslConfiguration &sslConfiguration);
    /*! Returns the configuration given to accepted sockets. */
    QSslConfiguration sslConfiguration() const;

    /*!
        Sets to \a timeout milliseconds how long a connection may take to complete its
        handshake before it is dropped with QAbstractSocket::SocketTimeoutError (5000 by default).
    */
    void setHandshakeTimeout(int timeout);
    /*! Returns the handshake time-out in milliseconds. */
    int handshakeTimeout() const;

    /*!
        QtPsk extension. Sets to \a timeout milliseconds how long a new connection may stay
        silent before the first byte of its ClientHello (2000 by default; 0 turns the limit off,
        leaving handshakeTimeout() alone). Applies to connections accepted from now on.
    */
    void setClientHelloTimeout(int timeout);
    /*! QtPsk extension. Returns the ClientHello time-out in milliseconds (0: none). */
    int clientHelloTimeout() const;

    /*!
        QtPsk extension. Sets to \a count how many connections from one peer address may be in
        their handshake at once (128 by default; 0 means no limit). See "Floods of silent
        connections" above for what happens beyond it.
    */
    void setMaxHandshakesPerAddress(int count);
    /*! QtPsk extension. Returns the limit of handshakes in progress per peer address (0: none). */
    int maxHandshakesPerAddress() const;

Q_SIGNALS:
    /*! Forwards QSslSocket::sslErrors(\a errors) of the accepted \a socket. */
    void sslErrors(QSslSocket *socket, const QList<QSslError> &errors);
    /*! Forwards QSslSocket::peerVerifyError(\a error) of the accepted \a socket. */
    void peerVerifyError(QSslSocket *socket, const QSslError &error);
    /*! Forwards QSslSocket::errorOccurred(\a error) of the accepted \a socket. */
    void errorOccurred(QSslSocket *socket, QAbstractSocket::SocketError error);
    /*!
        Forwards QSslSocket::preSharedKeyAuthenticationRequired(\a authenticator) of \a socket,
        synchronously; \a authenticator is valid only during the emission.
    */
    void preSharedKeyAuthenticationRequired(QSslSocket *socket,
                                            QSslPreSharedKeyAuthenticator *authenticator);
    /*! Forwards QSslSocket::alertSent(\a level, \a type, \a description) of \a socket. */
    void alertSent(QSslSocket *socket, QSsl::AlertLevel level, QSsl::AlertType type,
                   const QString &description);
    /*! Forwards QSslSocket::alertReceived(\a level, \a type, \a description) of \a socket. */
    void alertReceived(QSslSocket *socket, QSsl::AlertLevel level, QSsl::AlertType type,
                       const QString &description);
    /*! Forwards QSslSocket::handshakeInterruptedOnError(\a error) of \a socket. */
    void handshakeInterruptedOnError(QSslSocket *socket, const QSslError &error);
    /*! Emitted when the server handshake of the accepted \a socket is about to start. */
    void startedEncryptionHandshake(QSslSocket *socket);

protected:
    /*!
        Wraps the accepted descriptor \a socket in a QSslSocket, forwards its signals and starts
        its server handshake.
    */
    void incomingConnection(qintptr socket) override;

private:
    Q_DISABLE_COPY_MOVE(QSslServer)
    std::unique_ptr<QtPskPrivate::SslServerPrivate> d;
};

QTPSK_END_NAMESPACE

#endif // QTPSK_QSSLSERVER_H
