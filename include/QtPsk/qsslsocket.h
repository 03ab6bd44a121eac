// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QSSLSOCKET_H
#define QTPSK_QSSLSOCKET_H

#include <QtPsk/qtpskglobal.h>
#include <QtPsk/qssl.h>
#include <QtPsk/qsslcipher.h>
#include <QtPsk/qsslerror.h>
#include <QtPsk/qtcpsocket.h>

#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

QTPSK_BEGIN_NAMESPACE

class QSslConfiguration;
class QSslPreSharedKeyAuthenticator;
namespace QtPskPrivate { class SslSocketPrivate; }

/*!
    \class QSslSocket
    \brief A TLS-encrypted TCP socket, backed by OpenSSL, for pre-shared-key (PSK) handshakes.

    A source-compatible clone of QtNetwork's QSslSocket for the PSK use case. A client connects
    with connectToHostEncrypted() (or connectToHost() followed by startClientEncryption()); a
    server adopts an accepted descriptor with setSocketDescriptor() and calls
    startServerEncryption(). During the handshake OpenSSL asks for the pre-shared key and the
    socket emits preSharedKeyAuthenticationRequired() synchronously, from inside the handshake
    call, with an authenticator that lives only during the emission: connect to it with a direct
    connection, fill in the identity (client) and the key, and never keep the pointer.

    \code
    QSslSocket socket;
    QSslConfiguration config = socket.sslConfiguration();
    config.setPeerVerifyMode(QSslSocket::VerifyNone);   // PSK: there is no certificate
    socket.setSslConfiguration(config);
    QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired,
                     [](QSslPreSharedKeyAuthenticator *authenticator) {
        authenticator->setIdentity("client1");
        authenticator->setPreSharedKey(QByteArray::fromHex("00112233445566778899aabbccddeeff"));
    });
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), 4433);
    \endcode

    Once encrypted() has been emitted, the socket reads and writes plaintext like any
    QIODevice; the ciphertext counts are encryptedBytesAvailable() and encryptedBytesToWrite().
    The waitFor...() functions work without an event loop, as in Qt.

    Every SSL_CTX is shared by the sockets whose configurations are equal, so a handshake costs
    no context set-up after the first.

    \section1 Differences from Qt
    \list
    \li Renegotiation is refused in both directions: a peer's request gets a no_renegotiation
        warning alert (alertSent()), and preSharedKeyAuthenticationRequired() is never emitted
        again for the connection. Qt's client renegotiates when a server asks, and asks its slot
        again each time.
    \li There are no certificates or private keys (QSslCertificate, QSslKey): QtPsk does PSK.
        Certificate-authenticated suites (RSA-PSK, ECDHE-RSA, ...) cannot be used, and a peer
        certificate is never verified.
    \li A slot that calls abort(), close(), disconnectFromHost() or deleteLater() on the socket,
        or deletes it, from any signal, preSharedKeyAuthenticationRequired() included, ends the
        connection cleanly (Qt 6.4 crashes when the PSK slot aborts). A waitFor...() function
        during which a slot deleted the socket returns \c false (do not touch the socket then).
    \li The client-side identity hint is a deep copy (Qt's points into OpenSSL's memory).
    \li A QtPsk extension: the slot of preSharedKeyAuthenticationRequired() may answer later
        (QSslPreSharedKeyAuthenticator::deferAnswer(), QSslPreSharedKeyRequest); the handshake
        waits without blocking the thread. Qt's slot must answer before it returns.
    \li TLS 1.3 PSK servers work by default: a client whose preSharedKeyAuthenticationRequired()
        signal is connected and whose Qt-style ClientHello a server refuses for want of a PSK
        connects again at once, silently, offering its key as a TLS 1.3 external PSK (one
        emission per connection, as Qt's; the peer is remembered). Qt offers one only with
        \c QT_USE_TLS_1_3_PSK set and fails otherwise. Qt's exact behaviour:
        QSslConfiguration::setTls13PreSharedKeyMode(QSsl::Tls13PreSharedKeyMode::QtCompatible);
        see QSsl::Tls13PreSharedKeyMode.
    \li disconnectFromHost() called during the handshake after data was written finishes the
        handshake, sends the data, then closes (Qt 6.4 stays in ClosingState for good).
    \li bytesToWrite() counts written bytes until they are on the wire; Qt's counts only bytes
        not yet encrypted, which is 0 soon after a write once the socket is encrypted.
    \li Proxies are QAbstractSocket's (see its "Proxies"): no proxy engine. When
        connectToHostEncrypted() fails on a proxy, the socket stays closed and keeps the peer
        name, like a QTcpSocket; Qt's QSslSocket has opened its device by then (isOpen() is
        \c true) and its peerName() is empty.
    \endlist

    \section1 Exceptions thrown from slots

    Qt does not support exceptions that leave a slot; QtPsk still keeps them from doing harm.
    \list
    \li A slot that runs inside OpenSSL (preSharedKeyAuthenticationRequired(), on a client or,
        through QSslServer, on a server) never lets its exception unwind through OpenSSL's C
        frames. The exception is caught at OpenSSL's border and kept; the callback fails, so
        OpenSSL ends the handshake with a fatal alert. Once OpenSSL has returned, the
        connection ends as any failed handshake does: error() is
        QAbstractSocket::SslHandshakeFailedError (QAbstractSocket::SslInternalError after the
        handshake), errorString() says that a slot threw (it holds no identity or key),
        errorOccurred() is emitted and the socket is aborted (UnconnectedState, disconnected()).
        Then the exception is rethrown, unchanged, to the caller of the socket function that
        was running: waitForEncrypted() and the other waitFor...() functions throw it, and
        from the event loop it leaves QCoreApplication::processEvents() or QEventLoop::exec()
        like an exception from any Qt slot (Qt prints a warning that exceptions through its
        event loop are unsupported; with Qt 6.4 the event loop keeps working). If a slot of
        those end-of-connection signals throws as well, that second exception is dropped:
        the first one propagates.
    \li A slot of any other signal (readyRead(), encrypted(), bytesWritten(), ...) runs outside
        OpenSSL; its exception propagates at once to the caller, like an exception from any Qt
        slot. The socket stays consistent: the connection is not ended, the data stays readable,
        later signals are still emitted, and bytes written before the handshake are already on
        their way when encrypted() is emitted.
    \endlist
    The socket can be connected again after either case. Nothing leaks, and no key material is
    left behind (keys are wiped as always).
*/
class QTPSK_EXPORT QSslSocket : public QTcpSocket
{
    Q_OBJECT
public:
    /*! Whether, and in which role, the socket encrypts. */
    enum SslMode {
        UnencryptedMode, /*!< Plain TCP: no encryption. */
        SslClientMode,   /*!< The socket is the TLS client. */
        SslServerMode    /*!< The socket is the TLS server. */
    };
    Q_ENUM(SslMode)

    /*! How the socket verifies the peer's certificate. */
    enum PeerVerifyMode {
        VerifyNone,     /*!< Do not ask for or check the peer's certificate. */
        QueryPeer,      /*!< Ask for the certificate but do not require or check it. */
        VerifyPeer,     /*!< Require a certificate from the peer; a PSK peer has none, which
                             gives QSslError::NoPeerCertificate unless ignored. */
        AutoVerifyPeer  /*!< VerifyPeer on clients, QueryPeer on servers. The default. */
    };
    Q_ENUM(PeerVerifyMode)

    /*! Constructs an unconnected, unencrypted socket with the given \a parent. */
    explicit QSslSocket(QObject *parent = nullptr);
    /*! Destroys the socket, closing the connection if there is one (no close_notify is sent). */
    ~QSslSocket() override;

    /*! Continues after the socket paused (see QAbstractSocket::PauseModes). */
    void resume() override;

    /*!
        Connects to \a hostName on \a port and starts the client handshake as soon as the TCP
        connection is up. \a mode is the open mode, \a protocol the network-layer protocol.
    */
    void connectToHostEncrypted(const QString &hostName, quint16 port, OpenMode mode = ReadWrite,
                                NetworkLayerProtocol protocol = AnyIPProtocol);
    /*!
        As above, with \a sslPeerName as the name sent in the TLS server-name extension instead
        of \a hostName.
    */
    void connectToHostEncrypted(const QString &hostName, quint16 port, const QString &sslPeerName,
                                OpenMode mode = ReadWrite, NetworkLayerProtocol protocol = AnyIPProtocol);

    /*!
        Adopts the connected descriptor \a socketDescriptor (for servers: then call
        startServerEncryption()). \a state and \a openMode describe it. Returns \c true on success.
    */
    bool setSocketDescriptor(qintptr socketDescriptor, SocketState state = ConnectedState,
                             OpenMode openMode = ReadWrite) override;

    using QAbstractSocket::connectToHost;
    /*! Connects to \a hostName on \a port without encryption (see startClientEncryption()). */
    void connectToHost(const QString &hostName, quint16 port, OpenMode openMode = ReadWrite,
                       NetworkLayerProtocol protocol = AnyIPProtocol) override;
    /*! Sends close_notify when encrypted, then closes the connection once everything is sent. */
    void disconnectFromHost() override;

    /*! Sets the socket option \a option to \a value (see QAbstractSocket::setSocketOption()). */
    void setSocketOption(QAbstractSocket::SocketOption option, const QVariant &value) override;
    /*! Returns the value of the socket option \a option. */
    QVariant socketOption(QAbstractSocket::SocketOption option) override;

    /*! Returns the current mode: unencrypted, TLS client or TLS server. */
    SslMode mode() const;
    /*! Returns \c true once the handshake has completed and encrypted() has been emitted. */
    bool isEncrypted() const;

    /*! Returns the configured protocol (QSsl::SecureProtocols by default). */
    QSsl::SslProtocol protocol() const;
    /*! Sets the protocol to \a protocol for the next handshake. */
    void setProtocol(QSsl::SslProtocol protocol);

    /*! Returns the peer verification mode (AutoVerifyPeer by default). */
    QSslSocket::PeerVerifyMode peerVerifyMode() const;
    /*! Sets the peer verification mode to \a mode for the next handshake. */
    void setPeerVerifyMode(QSslSocket::PeerVerifyMode mode);
    /*! Returns the maximum certificate-chain depth checked (0: no limit). */
    int peerVerifyDepth() const;
    /*! Sets the maximum certificate-chain depth to \a depth. */
    void setPeerVerifyDepth(int depth);
    /*! Returns the name the peer is expected to have (empty: the host name connected to). */
    QString peerVerifyName() const;
    /*! Sets the expected peer name (also sent as the server name) to \a hostName. */
    void setPeerVerifyName(const QString &hostName);

    /*! Returns the number of decrypted bytes ready to be read. */
    qint64 bytesAvailable() const override;
    /*! Returns the number of written plaintext bytes not yet sent. */
    qint64 bytesToWrite() const override;
    /*! Returns \c true if a whole line of decrypted data can be read. */
    bool canReadLine() const override;
    /*! Closes the device and the connection (see disconnectFromHost()). */
    void close() override;
    /*! Returns \c true if there is nothing to read and the connection is closed. */
    bool atEnd() const override;
    /*!
        Limits the decrypted bytes the socket buffers to \a size (0: no limit). Once the
        buffer holds \a size bytes the socket stops reading from the network (at most one TLS
        record, 16 KiB, is decrypted beyond it) and resumes when the application reads, in the
        event loop and inside waitForReadyRead() alike (Qt resumes only from the event loop).
    */
    void setReadBufferSize(qint64 size) override;

    /*! Returns the number of received encrypted bytes not yet decrypted. */
    qint64 encryptedBytesAvailable() const;
    /*! Returns the number of encrypted bytes waiting to be sent. */
    qint64 encryptedBytesToWrite() const;

    /*!
        Returns the socket's TLS configuration; after the handshake it also reports the
        session's cipher and protocol.
    */
    QSslConfiguration sslConfiguration() const;
    /*! Sets the TLS configuration used by the next handshake to \a config. */
    void setSslConfiguration(const QSslConfiguration &config);

    /*! Returns the cipher of the established session, or a null cipher. */
    QSslCipher sessionCipher() const;
    /*! Returns the protocol of the established session, or QSsl::UnknownProtocol. */
    QSsl::SslProtocol sessionProtocol() const;

    /*! Waits up to \a msecs milliseconds for the TCP connection (see QAbstractSocket). */
    bool waitForConnected(int msecs = 30000) override;
    /*!
        Waits up to \a msecs milliseconds (-1: forever) for the handshake to complete, without
        an event loop. Returns \c true once encrypted() has been emitted, \c false on an error,
        a time-out, or when the socket is not encrypting or already encrypted. As in Qt, a
        time-out in the handshake sets SocketTimeoutError and emits errorOccurred() (the
        handshake goes on); one while still connecting is waitForConnected()'s (not emitted).
    */
    bool waitForEncrypted(int msecs = 30000);
    /*! Waits up to \a msecs milliseconds for decrypted data (readyRead()). */
    bool waitForReadyRead(int msecs = 30000) override;
    /*! Waits up to \a msecs milliseconds until written data has been sent (bytesWritten()). */
    bool waitForBytesWritten(int msecs = 30000) override;
    /*! Waits up to \a msecs milliseconds for the connection to close. */
    bool waitForDisconnected(int msecs = 30000) override;

    /*! Returns the errors found while verifying the peer in the last handshake. */
    QList<QSslError> sslHandshakeErrors() const;

    /*! Returns \c true: QtPsk always has OpenSSL. */
    static bool supportsSsl();
    /*! Returns the version number of the OpenSSL library in use (OpenSSL_version_num()). */
    static long sslLibraryVersionNumber();
    /*! Returns the version string of the OpenSSL library in use. */
    static QString sslLibraryVersionString();
    /*! Returns the OpenSSL version number QtPsk was built against. */
    static long sslLibraryBuildVersionNumber();
    /*! Returns the OpenSSL version string QtPsk was built against. */
    static QString sslLibraryBuildVersionString();
    /*! Returns the TLS backends: {"openssl"}. */
    static QList<QString> availableBackends();
    /*! Returns the active backend: "openssl". */
    static QString activeBackend();
    /*! Returns \c true if \a backendName is "openssl" (the only backend). */
    static bool setActiveBackend(const QString &backendName);
    /*! Returns the protocols the backend \a backendName (empty: the active one) supports. */
    static QList<QSsl::SslProtocol> supportedProtocols(const QString &backendName = {});
    /*! Returns \c true if \a protocol is among supportedProtocols(\a backendName). */
    static bool isProtocolSupported(QSsl::SslProtocol protocol, const QString &backendName = {});
    /*! Returns the classes the backend implements: QSsl::ImplementedClass::Socket. */
    static QList<QSsl::ImplementedClass> implementedClasses(const QString &backendName = {});
    /*! Returns \c true if \a cl is implemented by \a backendName. */
    static bool isClassImplemented(QSsl::ImplementedClass cl, const QString &backendName = {});
    /*! Returns the optional features: QSsl::SupportedFeature::Psk and QSsl::SupportedFeature::Alerts. */
    static QList<QSsl::SupportedFeature> supportedFeatures(const QString &backendName = {});
    /*! Returns \c true if \a feat is among supportedFeatures(\a backendName). */
    static bool isFeatureSupported(QSsl::SupportedFeature feat, const QString &backendName = {});

    /*! Ignores the verification errors in \a errors (compared by type) in handshakes to come. */
    void ignoreSslErrors(const QList<QSslError> &errors);
    /*! Continues a handshake interrupted by handshakeInterruptedOnError(), ignoring the error. */
    void continueInterruptedHandshake();

public Q_SLOTS:
    /*! Starts the client handshake on a connected, unencrypted socket. */
    void startClientEncryption();
    /*! Starts the server handshake on a connected, unencrypted socket. */
    void startServerEncryption();
    /*!
        Ignores every verification error of the current handshake. Call it from a slot of
        sslErrors() or peerVerifyError(), or before the handshake.
    */
    void ignoreSslErrors();

Q_SIGNALS:
    /*! Emitted when the handshake has completed: from now on data is encrypted. */
    void encrypted();
    /*! Emitted for each verification problem \a error found during the handshake. */
    void peerVerifyError(const QSslError &error);
    /*!
        Emitted with every verification error (\a errors) after the handshake; unless the
        errors are ignored (ignoreSslErrors()), the connection then fails.
    */
    void sslErrors(const QList<QSslError> &errors);
    /*! Emitted when the mode changes to \a newMode. */
    void modeChanged(QSslSocket::SslMode newMode);
    /*! Emitted when \a totalBytes encrypted bytes have been sent. */
    void encryptedBytesWritten(qint64 totalBytes);
    /*!
        Emitted, synchronously and from inside the handshake, when OpenSSL needs PSK
        credentials. \a authenticator is owned by the socket and valid only during the
        emission: set the identity (client) and the key on it, with a direct connection. An
        empty key fails the handshake. Emitted even when nothing is connected. A QtPsk
        extension lets the slot answer later instead: see
        QSslPreSharedKeyAuthenticator::deferAnswer().
    */
    void preSharedKeyAuthenticationRequired(QSslPreSharedKeyAuthenticator *authenticator);
    /*!
        Emitted on a client when a TLS 1.3 session ticket arrives after the handshake and
        QSsl::SslOptionDisableSessionPersistence is off: sslConfiguration().sessionTicket() then
        holds it, for QSslConfiguration::setSessionTicket() on a later connection (as in Qt).
    */
    void newSessionTicketReceived();
    /*! Emitted after the socket sent the alert \a type at \a level, described by \a description. */
    void alertSent(QSsl::AlertLevel level, QSsl::AlertType type, const QString &description);
    /*! Emitted after the peer sent the alert \a type at \a level, described by \a description. */
    void alertReceived(QSsl::AlertLevel level, QSsl::AlertType type, const QString &description);
    /*!
        Emitted instead of continuing the handshake when verification finds \a error and the
        configuration asks to interrupt (handshakeMustInterruptOnError()): call
        continueInterruptedHandshake() or abort().
    */
    void handshakeInterruptedOnError(const QSslError &error);

protected:
    /*! Reads up to \a maxlen decrypted bytes into \a data. */
    qint64 readData(char *data, qint64 maxlen) override;
    /*! Skips up to \a maxSize decrypted bytes. */
    qint64 skipData(qint64 maxSize) override;
    /*! Writes \a len plaintext bytes from \a data; they are encrypted and sent. */
    qint64 writeData(const char *data, qint64 len) override;

private:
    QtPskPrivate::SslSocketPrivate *d_func() const;
    Q_DISABLE_COPY_MOVE(QSslSocket)
    friend class QtPskPrivate::SslSocketPrivate;
};

QTPSK_END_NAMESPACE

#endif // QTPSK_QSSLSOCKET_H
