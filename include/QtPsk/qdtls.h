// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QDTLS_H
#define QTPSK_QDTLS_H

#include <QtPsk/qtpskglobal.h>
#include <QtPsk/qhostaddress.h>
#include <QtPsk/qssl.h>
#include <QtPsk/qsslcipher.h>
#include <QtPsk/qsslconfiguration.h>
#include <QtPsk/qsslerror.h>
#include <QtPsk/qsslpresharedkeyauthenticator.h> // complete for the PSK slot, as with Qt's header
#include <QtPsk/qsslsocket.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qcryptographichash.h>
#include <QtCore/qlist.h>
#include <QtCore/qobject.h>
#include <QtCore/qstring.h>

#include <memory>

QTPSK_BEGIN_NAMESPACE

class QUdpSocket;

namespace QtPskPrivate {
class DtlsPrivate;
class DtlsClientVerifierPrivate;
struct DtlsAccess;
}

/*!
    \enum QDtlsError
    \brief The errors QDtls and QDtlsClientVerifier report, with Qt's values.
*/
enum class QDtlsError : unsigned char {
    NoError, /*!< The last operation succeeded. */
    InvalidInputParameters, /*!< An argument was invalid (a null socket, an empty datagram, a multicast address, ...). */
    InvalidOperation, /*!< The operation is not possible in the current state. */
    UnderlyingSocketError, /*!< QUdpSocket::writeDatagram() failed; QUdpSocket::error() says why. */
    RemoteClosedConnectionError, /*!< The peer sent close_notify. */
    PeerVerificationError, /*!< The peer's identity could not be verified (with PSK: it has no certificate, see QDtls). */
    TlsInitializationError, /*!< The DTLS configuration could not be set up (protocol, cipher names). */
    TlsFatalError, /*!< The handshake failed, or the association was dropped. */
    TlsNonFatalError, /*!< A datagram could not be encrypted or decrypted; the association goes on. */
};

/*!
    \class QDtlsClientVerifier
    \brief A DTLS server's stateless cookie check (HelloVerifyRequest) of new clients.

    A source-compatible clone of QtNetwork's class (Qt 6.4). The application reads each datagram
    of an unknown peer from its QUdpSocket and passes it to verifyClient(): a ClientHello without
    a valid cookie is answered with a HelloVerifyRequest written to the socket, and only a
    ClientHello that returns the cookie verifies; that one (verifiedHello()) starts the peer's
    QDtls. Nothing is kept between datagrams: a flood of ClientHellos without cookies costs no
    memory. The cookie is an HMAC, keyed with the generator parameters' secret, over the peer's
    address and port.

    \section1 Differences from Qt
    \list
    \li setCookieGeneratorParameters() refuses (returns \c false) a hash algorithm OpenSSL has
        no HMAC for (MD4, Keccak, Blake2 other than Blake2b-512 and Blake2s-256), instead of
        failing every later verification.
    \endlist
*/
class QTPSK_EXPORT QDtlsClientVerifier : public QObject
{
    Q_OBJECT
public:
    /*! Constructs a verifier with the default generator parameters; \a parent is the QObject parent. */
    explicit QDtlsClientVerifier(QObject *parent = nullptr);
    /*! Destroys the verifier and wipes its secret. */
    ~QDtlsClientVerifier() override;

    /*!
        \struct QDtlsClientVerifier::GeneratorParameters
        \brief The hash algorithm and the secret cookies are made with.
    */
    struct QTPSK_EXPORT GeneratorParameters
    {
        /*! QCryptographicHash::Sha1 and an empty secret (which setCookieGeneratorParameters() refuses). */
        GeneratorParameters();
        /*! Parameters with \a algorithm and \a secret. */
        GeneratorParameters(QCryptographicHash::Algorithm algorithm, const QByteArray &secret);
        QCryptographicHash::Algorithm hash = QCryptographicHash::Sha1; /*!< The HMAC's hash. */
        QByteArray secret; /*!< The HMAC's key. */
    };

    /*!
        Makes cookies with \a params from now on; returns \c false (and keeps the current ones)
        for an empty secret or a hash algorithm OpenSSL cannot use.
    */
    bool setCookieGeneratorParameters(const GeneratorParameters &params);
    /*!
        Returns the current parameters: by default QCryptographicHash::Sha256 and a random
        secret made once per process, shared by every QDtlsClientVerifier and QDtls (as in Qt).
    */
    GeneratorParameters cookieGeneratorParameters() const;

    /*!
        Returns \c true if \a dgram, from \a address and \a port, is a ClientHello with a valid
        cookie. Otherwise a ClientHello gets a HelloVerifyRequest through \a socket and \c false
        is returned; anything else is dropped. \a socket must not be null, \a dgram not empty,
        \a address neither null, broadcast nor multicast (InvalidInputParameters otherwise).
    */
    bool verifyClient(QUdpSocket *socket, const QByteArray &dgram, const QHostAddress &address,
                      quint16 port);
    /*! Returns the last ClientHello verifyClient() verified, or an empty byte array. */
    QByteArray verifiedHello() const;

    /*! Returns the last error, or QDtlsError::NoError. */
    QDtlsError dtlsError() const;
    /*! Returns the text of the last error, or an empty string. */
    QString dtlsErrorString() const;

private:
    std::unique_ptr<QtPskPrivate::DtlsClientVerifierPrivate> d;
};

/*!
    \class QDtls
    \brief One DTLS 1.2 association with one peer over the application's QUdpSocket.

    A source-compatible clone of QtNetwork's class (Qt 6.4): datagrams in, datagrams out. The
    application reads its QUdpSocket, hands each datagram of this peer to doHandshake() until
    handshakeState() is HandshakeComplete, then to decryptDatagram(), and sends with
    writeDatagramEncrypted(). QDtls writes what it sends to the socket given to each call, to
    the peer set with setPeer(); it never reads from it, and never owns it.

    For PSK connect pskRequired() (both sides) and answer it as QSslSocket's
    preSharedKeyAuthenticationRequired(): a server gets the client's identity, a client the
    server's hint (the server's configuration's preSharedKeyIdentityHint()), and the identity
    and key are cut to the maxima the authenticator reports. A client with a PSK has no
    certificate to check: give it QSslSocket::VerifyNone (with the default AutoVerifyPeer the
    handshake stops in PeerVerificationFailed with QSslError::NoPeerCertificate, as in Qt).

    Packets get lost: when a flight is due to be sent again, handshakeTimeout() is emitted, and
    the application calls handleTimeout(), which retransmits it. The first retransmission comes
    1 s after a flight, each later one twice as late, up to 60 s, as OpenSSL's schedule.

    \section1 Differences from Qt
    \list
    \li A peer with another key (or one that does not know the identity) drops records it
        cannot authenticate, so Qt's handshake never ends. QtPsk's handleTimeout() fails after
        the final flight (the one sent once the PSK was used) was retransmitted four times without
        an answer: it returns \c false with QDtlsError::TlsFatalError and an error string that
        names the likely cause, a different pre-shared key or an unknown identity (31 s after
        the flight with the default schedule).
    \li A server-side association whose handshake does not complete within 60 s of its
        ClientHello expires: its state goes back to HandshakeNotStarted, its OpenSSL state is
        freed, and dtlsError() is QDtlsError::TlsFatalError (Qt keeps it until the process ends).
    \li The PSK CCM and CCM8 suites can be chosen by their OpenSSL names
        (QSslConfiguration::setCiphers(QString)), an unknown name is an error that names it, and
        defaultDtlsConfiguration() offers PSK-AES128-CCM8 first. On OpenSSL 3.2 and later, which
        allow CCM8 only at security level 0, an association whose cipher list names a CCM8 PSK
        suite runs at level 0 (that association only; PSK associations have no certificate).
    \li A pskRequired() slot may answer later (a QtPsk extension):
        QSslPreSharedKeyAuthenticator::deferAnswer() returns a QSslPreSharedKeyRequest that any
        thread answers or refuses. Until then the handshake waits: no handshakeTimeout() is
        emitted, the peer's retransmissions are dropped, a server's association still expires.
        The answer continues the handshake in this object's thread, over the QUdpSocket last
        passed to doHandshake() or handleTimeout() (if that socket has gone, the flight is sent
        on the next time-out); handshakeState() and dtlsError() then say how it went, as after a
        doHandshake() call (a client sees its handshake complete when it passes the server's
        last flight to doHandshake(), as always).
    \li A slot that calls abortHandshake() or deletes the QDtls from pskRequired() is safe; an
        exception thrown there leaves doHandshake() after the handshake was failed.
    \li DTLS 1.2 only; no certificates (PSK only), no multicast.
    \endlist
*/
class QTPSK_EXPORT QDtls : public QObject
{
    Q_OBJECT
public:
    /*! The state of the handshake, with Qt's values. */
    enum HandshakeState {
        HandshakeNotStarted, /*!< Nothing done yet (or the association was reset). */
        HandshakeInProgress, /*!< The handshake runs and no error was found. */
        PeerVerificationFailed, /*!< The peer's identity could not be established (see peerVerificationErrors()). */
        HandshakeComplete, /*!< The association is encrypted. */
    };
    Q_ENUM(HandshakeState)

    /*!
        Constructs a QDtls for a server (QSslSocket::SslServerMode) or a client
        (QSslSocket::SslClientMode), as given by \a mode, with
        QSslConfiguration::defaultDtlsConfiguration(); \a parent is the QObject parent.
    */
    explicit QDtls(QSslSocket::SslMode mode, QObject *parent = nullptr);
    /*! Destroys the association (without close_notify; see shutdown()). */
    ~QDtls() override;

    /*!
        Sets the peer to \a address and \a port, and the name for certificate checks to
        \a verificationName (a client also sends it as SNI). Only before the handshake; the
        address must be neither null, broadcast nor multicast.
    */
    bool setPeer(const QHostAddress &address, quint16 port, const QString &verificationName = {});
    /*! Sets the name for certificate checks (and a client's SNI) to \a name; only before the handshake. */
    bool setPeerVerificationName(const QString &name);
    /*! Returns the peer's address (null until setPeer()). */
    QHostAddress peerAddress() const;
    /*! Returns the peer's port (0 until setPeer()). */
    quint16 peerPort() const;
    /*! Returns the name set by setPeer() or setPeerVerificationName(). */
    QString peerVerificationName() const;
    /*! Returns QSslSocket::SslServerMode or QSslSocket::SslClientMode. */
    QSslSocket::SslMode sslMode() const;

    /*!
        Sets the path MTU (the largest IP packet) to \a mtuHint; handshake messages are
        fragmented to fit it. 0 (the default): 1200 bytes, as Qt guesses. Values below 256 are
        ignored.
    */
    void setMtuHint(quint16 mtuHint);
    /*! Returns the value set by setMtuHint(), 0 by default. */
    quint16 mtuHint() const;

    /*! The cookie parameters, as QDtlsClientVerifier's. */
    using GeneratorParameters = QDtlsClientVerifier::GeneratorParameters;
    /*!
        Sets the parameters a server's cookies are checked with to \a params; they must be the
        QDtlsClientVerifier's. Only before the handshake. Returns \c false, as Qt's does.
    */
    bool setCookieGeneratorParameters(const GeneratorParameters &params);
    /*! Returns the cookie parameters (by default those of QDtlsClientVerifier). */
    GeneratorParameters cookieGeneratorParameters() const;

    /*! Sets the configuration to \a configuration; only before the handshake. */
    bool setDtlsConfiguration(const QSslConfiguration &configuration);
    /*! Returns the configuration (QSslConfiguration::defaultDtlsConfiguration() until set). */
    QSslConfiguration dtlsConfiguration() const;

    /*! Returns the state of the handshake. */
    HandshakeState handshakeState() const;

    /*!
        Starts or continues the handshake with \a dgram from the peer (a client starts with an
        empty one; a server needs the ClientHello, with cookies on the one QDtlsClientVerifier
        verified), writing what it sends to \a socket. Returns \c false on an error (see
        dtlsError()).
    */
    bool doHandshake(QUdpSocket *socket, const QByteArray &dgram = {});
    /*!
        Retransmits the last flight through \a socket if it is due (after handshakeTimeout()).
        Returns \c false on an error, among them QtPsk's bound on an unanswered final flight.
    */
    bool handleTimeout(QUdpSocket *socket);
    /*! Completes a handshake in PeerVerificationFailed whose errors were ignored; \a socket must not be null. */
    bool resumeHandshake(QUdpSocket *socket);
    /*!
        Aborts the handshake (in progress, or in PeerVerificationFailed: then a close_notify
        goes through \a socket); the state returns to HandshakeNotStarted.
    */
    bool abortHandshake(QUdpSocket *socket);
    /*! Sends close_notify through \a socket and ends the association (HandshakeNotStarted). */
    bool shutdown(QUdpSocket *socket);

    /*! Returns \c true once the handshake is complete (until shutdown or the peer's close_notify). */
    bool isConnectionEncrypted() const;
    /*!
        Returns the negotiated cipher; for a CCM or CCM8 suite (which QSslCipher's name lookup
        does not know) a cipher with OpenSSL's name and description.
    */
    QSslCipher sessionCipher() const;
    /*! Returns QSsl::DtlsV1_2 once encrypted, QSsl::UnknownProtocol before. */
    QSsl::SslProtocol sessionProtocol() const;

    /*!
        Encrypts \a dgram as one record and sends it through \a socket; returns its size, or -1
        (TlsNonFatalError for a datagram larger than one record, UnderlyingSocketError when the
        socket refused it).
    */
    qint64 writeDatagramEncrypted(QUdpSocket *socket, const QByteArray &dgram);
    /*!
        Decrypts \a dgram; may send through \a socket (OpenSSL answering a retransmission).
        Returns an empty byte array for a datagram without application data (a duplicate, a
        record that does not authenticate: TlsNonFatalError is not set for those, as DTLS drops
        them), and on the peer's close_notify (RemoteClosedConnectionError).
    */
    QByteArray decryptDatagram(QUdpSocket *socket, const QByteArray &dgram);

    /*! Returns the last error, or QDtlsError::NoError. */
    QDtlsError dtlsError() const;
    /*! Returns the text of the last error, or an empty string. */
    QString dtlsErrorString() const;

    /*! Returns the errors that stopped the handshake in PeerVerificationFailed. */
    QList<QSslError> peerVerificationErrors() const;
    /*! Ignores the errors \a errorsToIgnore (before the handshake, or before resumeHandshake()). */
    void ignoreVerificationErrors(const QList<QSslError> &errorsToIgnore);

Q_SIGNALS:
    /*!
        Emitted during the handshake, synchronously, when PSK credentials are needed: fill in
        \a authenticator (owned by QDtls, valid during the emission only).
    */
    void pskRequired(QSslPreSharedKeyAuthenticator *authenticator);
    /*! Emitted when a flight is due to be retransmitted: call handleTimeout(). */
    void handshakeTimeout();

private:
    friend struct QtPskPrivate::DtlsAccess;
    std::unique_ptr<QtPskPrivate::DtlsPrivate> d;
};

QTPSK_END_NAMESPACE

#endif // QTPSK_QDTLS_H
