// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QSSLCONFIGURATION_H
#define QTPSK_QSSLCONFIGURATION_H

#include <QtPsk/qtpskglobal.h>
#include <QtPsk/qssl.h>
#include <QtPsk/qsslcipher.h>
#include <QtPsk/qsslsocket.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qstring.h>

QTPSK_BEGIN_NAMESPACE

class QSslConfigurationPrivate;
namespace QtPskPrivate { struct QSslConfigurationAccess; }

/*!
    \class QSslConfiguration
    \brief The TLS settings of a connection: protocol, verification, ciphers and the PSK hint.

    A drop-in clone of the PSK-relevant part of QtNetwork's class (there are no certificates,
    keys, curves or ALPN here). A QSslSocket starts from defaultConfiguration(); change a copy
    and hand it to QSslSocket::setSslConfiguration(). After the handshake the socket's
    configuration also tells which cipher and protocol were negotiated (sessionCipher(),
    sessionProtocol()).

    \code
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setProtocol(QSsl::TlsV1_2);
    config.setPeerVerifyMode(QSslSocket::VerifyNone);
    config.setCiphers(QStringLiteral("PSK-AES256-GCM-SHA384:PSK-AES256-CBC-SHA"));
    socket.setSslConfiguration(config);
    \endcode

    The class is implicitly shared (copy-on-write) and reentrant; defaultConfiguration() and
    setDefaultConfiguration() are thread-safe.

    \section1 Ciphers and TLS 1.3
    As in Qt, the TLS 1.2 suites and the TLS 1.3 suites of ciphers() are applied separately.
    A list without any TLS 1.3 suite leaves OpenSSL's default TLS 1.3 suites enabled, so with
    the default SecureProtocols two peers may still negotiate TLS 1.3. Unlike Qt, a QtPsk client
    with a connected QSslSocket::preSharedKeyAuthenticationRequired() slot then offers its key
    as a TLS 1.3 PSK (see setTls13PreSharedKeyMode()), so such a handshake still succeeds. To
    stay with TLS 1.2 PSK suites, also call setProtocol(QSsl::TlsV1_2).

    \section1 Differences from Qt
    \list
    \li Only the PSK-relevant settings exist: no certificates, private keys, CA lists,
        elliptic curves, Diffie-Hellman parameters, ALPN or OCSP. Why: QtPsk does PSK only.
    \li A client offers its PSK in TLS 1.3 when its PSK slot is connected (Qt only with the
        environment variable \c QT_USE_TLS_1_3_PSK), so default protocols work against TLS 1.3
        PSK servers. Qt's exact behaviour: setTls13PreSharedKeyMode(QSsl::Tls13PreSharedKeyMode::QtCompatible).
    \li Two QtPsk extensions: setTls13PreSharedKeyMode() and setAllowPreSharedKeyWithoutDhe()
        (TLS 1.3 psk_ke, off by default as in Qt).
    \li The default cipher list puts the DHE-PSK suites last (OpenSSL's order puts them first).
        Why: a server without Diffie-Hellman parameters that picks DHE-PSK aborts the handshake.
        Set your own order with setCiphers().
    \endlist
*/
class QTPSK_EXPORT QSslConfiguration
{
public:
    /*!
        Constructs a null configuration: the default values below and an empty cipher list
        (which a socket treats as "use the default ciphers"). isNull() returns \c true.
    */
    QSslConfiguration();
    /*! Constructs a copy of \a other; the data is shared until one side is modified. */
    QSslConfiguration(const QSslConfiguration &other);
    /*! Destroys the configuration. */
    ~QSslConfiguration();
    /*! Move-assigns \a other to this configuration by swapping the two. */
    QSslConfiguration &operator=(QSslConfiguration &&other) noexcept { swap(other); return *this; }
    /*! Makes this configuration a copy of \a other and returns a reference to it. */
    QSslConfiguration &operator=(const QSslConfiguration &other);

    /*! Swaps this configuration with \a other. This operation is very fast and never fails. */
    void swap(QSslConfiguration &other) noexcept { d.swap(other.d); }

    /*!
        Returns \c true if every setting still has the value a default-constructed
        configuration has (a hint set to an empty, non-null byte array counts as a change).
    */
    bool isNull() const;

    /*! Returns the protocol versions a socket may negotiate; QSsl::SecureProtocols by default. */
    QSsl::SslProtocol protocol() const;
    /*! Sets the protocol versions a socket may negotiate to \a protocol. */
    void setProtocol(QSsl::SslProtocol protocol);

    /*! Returns how the peer's certificate is verified; QSslSocket::AutoVerifyPeer by default. */
    QSslSocket::PeerVerifyMode peerVerifyMode() const;
    /*!
        Sets how the peer's certificate is verified to \a mode. A PSK client that talks to a
        server without a certificate needs QSslSocket::VerifyNone, or it gets
        QSslError::NoPeerCertificate.
    */
    void setPeerVerifyMode(QSslSocket::PeerVerifyMode mode);

    /*! Returns the maximum depth of the peer's certificate chain to check; 0 (no limit) by default. */
    int peerVerifyDepth() const;
    /*! Sets the maximum certificate chain depth to \a depth; a negative depth is refused with a warning. */
    void setPeerVerifyDepth(int depth);

    /*!
        Returns the cipher suites a socket may use, in order of preference. Empty for a
        default-constructed configuration; OpenSSL's default list in defaultConfiguration(),
        except that QtPsk puts the DHE-PSK suites last (OpenSSL lists them first, and a PSK
        server without DH parameters that follows the client's order then fails; ECDHE-PSK and
        plain PSK are also much cheaper).
    */
    QList<QSslCipher> ciphers() const;
    /*! Sets the cipher suites a socket may use to \a ciphers, in order of preference. */
    void setCiphers(const QList<QSslCipher> &ciphers);
    /*!
        Sets the cipher suites from \a ciphers, a colon-separated list of OpenSSL cipher names
        (e.g. "PSK-AES256-GCM-SHA384:TLS_AES_128_GCM_SHA256"). Names are matched exactly;
        names that are not supported are dropped from ciphers(). OpenSSL's cipher-string
        keywords such as "PSK" or "HIGH" are not names and are dropped too.

        \section1 Differences from Qt
        For QDtls the whole list counts, in its order: the OpenSSL names of the PSK CCM and CCM8
        suites (PSK-AES128-CCM8, PSK-AES256-CCM8, PSK-AES128-CCM, PSK-AES256-CCM and their
        DHE-PSK forms), which QSslCipher does not know, are used as well (RFC 7925 makes
        TLS_PSK_WITH_AES_128_CCM_8 mandatory for IoT devices), and a name that is neither fails
        the DTLS handshake with QDtlsError::TlsInitializationError and an error string that
        names it (Qt drops such names silently). QSslSocket keeps Qt's behaviour.
    */
    void setCiphers(const QString &ciphers);
    /*!
        Returns the cipher suites of OpenSSL's default cipher list (what `openssl ciphers`
        prints without an argument), TLS 1.3 suites first, in OpenSSL's order, as Qt does. With
        OpenSSL 3.0 these are 60 suites, 26 of them PSK. Suites OpenSSL implements outside that
        list (CCM, CCM8, ARIA, Camellia, TLS_AES_128_CCM_SHA256, ...) are not included, and
        QSslCipher gives a null cipher for their names, as with Qt.
    */
    static QList<QSslCipher> supportedCiphers();

    /*! Sets the SSL option \a option on if \a on is \c true, otherwise off. */
    void setSslOption(QSsl::SslOption option, bool on);
    /*!
        Returns \c true if \a option is on. SslOptionDisableEmptyFragments,
        SslOptionDisableCompression, SslOptionDisableLegacyRenegotiation and
        SslOptionDisableSessionPersistence are on by default.
    */
    bool testSslOption(QSsl::SslOption option) const;

    /*!
        Returns the PSK identity hint a server sends to its clients (TLS 1.2 and earlier only;
        TLS 1.3 has no hint). Null by default.
    */
    QByteArray preSharedKeyIdentityHint() const;
    /*!
        Sets the PSK identity hint a server sends to \a hint. A null or empty hint sends none.
        The server's QSslPreSharedKeyAuthenticator::identityHint() shows this value unchanged.
    */
    void setPreSharedKeyIdentityHint(const QByteArray &hint);

    /*!
        Returns when a client offers a TLS 1.3 external pre-shared key;
        QSsl::Tls13PreSharedKeyMode::Automatic by default. A QtPsk extension.
    */
    QSsl::Tls13PreSharedKeyMode tls13PreSharedKeyMode() const;
    /*!
        Sets when a client offers a TLS 1.3 external pre-shared key to \a mode. Use
        QSsl::Tls13PreSharedKeyMode::QtCompatible for Qt's exact behaviour. Takes effect on the
        next handshake; servers ignore it. A QtPsk extension.
    */
    void setTls13PreSharedKeyMode(QSsl::Tls13PreSharedKeyMode mode);

    /*!
        Returns \c true if a TLS 1.3 PSK handshake may go without an (EC)DHE key exchange
        (psk_ke, no forward secrecy); \c false by default (psk_dhe_ke only). A QtPsk extension.
    */
    bool allowsPreSharedKeyWithoutDhe() const;
    /*!
        Allows a TLS 1.3 PSK handshake without an (EC)DHE key exchange if \a allow is \c true.
        Both peers must allow it; OpenSSL still prefers psk_dhe_ke when both sides can do it. A
        QtPsk extension.
    */
    void setAllowPreSharedKeyWithoutDhe(bool allow);

    /*!
        Returns the cipher negotiated for the connection, or a null cipher if there is none.
        Only a socket's configuration after the handshake has one.
    */
    QSslCipher sessionCipher() const;
    /*!
        Returns the protocol version negotiated for the connection, or QSsl::UnknownProtocol if
        there is none. Only a socket's configuration after the handshake has one.
    */
    QSsl::SslProtocol sessionProtocol() const;

    /*!
        Returns the client's session in OpenSSL's DER form (a TLS 1.2 session, or the newest TLS
        1.3 ticket), for resumption with setSessionTicket() on a later connection; empty if there
        is none. As in Qt it is kept only when QSsl::SslOptionDisableSessionPersistence is off (it
        is on by default): a TLS 1.2 session at the handshake (only without
        QSsl::SslOptionDisableSessionSharing), each TLS 1.3 ticket when it arrives
        (QSslSocket::newSessionTicketReceived()). The bytes hold the session's secrets: keep them
        as carefully as the pre-shared key.
    */
    QByteArray sessionTicket() const;
    /*!
        Sets the session a client offers for resumption on its next handshake to \a sessionTicket
        (from sessionTicket()); used only when QSsl::SslOptionDisableSessionPersistence is off.
        A resumed TLS 1.2 session asks no pre-shared key; bytes OpenSSL cannot read are ignored
        (a full handshake follows). Servers ignore it.
    */
    void setSessionTicket(const QByteArray &sessionTicket);
    /*!
        Returns the lifetime hint, in seconds, the server gave with the session's ticket, or -1
        if there is none (as Qt).
    */
    int sessionTicketLifeTimeHint() const;

    /*!
        Returns \c true if the handshake pauses on verification errors (emitting
        QSslSocket::handshakeInterruptedOnError()) instead of going on; \c false by default.
    */
    bool handshakeMustInterruptOnError() const;
    /*! Sets whether the handshake pauses on verification errors to \a interrupt. */
    void setHandshakeMustInterruptOnError(bool interrupt);
    /*!
        Returns \c true if a missing peer certificate (with VerifyPeer) fails the handshake at
        once, even when handshakeMustInterruptOnError() is \c true; \c false by default.
    */
    bool missingCertificateIsFatal() const;
    /*! Sets whether a missing peer certificate is fatal to \a cannotRecover. */
    void setMissingCertificateIsFatal(bool cannotRecover);

    /*!
        Returns the configuration new sockets start from. Unless setDefaultConfiguration() was
        called, it has the default values and OpenSSL's default cipher list.
    */
    static QSslConfiguration defaultConfiguration();
    /*! Makes \a configuration the process-wide configuration for sockets created from now on. */
    static void setDefaultConfiguration(const QSslConfiguration &configuration);

    /*!
        Returns \c true if a server-side QDtls answers a ClientHello without a valid cookie with
        a HelloVerifyRequest (it then expects the ClientHello that QDtlsClientVerifier verified);
        \c true by default, as in Qt.
    */
    bool dtlsCookieVerificationEnabled() const;
    /*!
        Sets whether server-side QDtls objects verify cookies to \a enable. A server that does
        not use QDtlsClientVerifier must turn it off.
    */
    void setDtlsCookieVerificationEnabled(bool enable);
    /*!
        Returns the configuration new QDtls objects start from. Unless
        setDefaultDtlsConfiguration() was called: protocol QSsl::DtlsV1_2OrLater, cookie
        verification on, and the cipher list "PSK-AES128-CCM8:PSK-AES128-CCM:PSK-AES128-GCM-SHA256:
        ECDHE-PSK-CHACHA20-POLY1305:ECDHE-PSK-AES128-CBC-SHA256", the suites CoAP and LwM2M peers
        expect (ciphers() lists the ones QSslCipher knows).

        \section1 Differences from Qt
        Qt's default DTLS configuration has OpenSSL's default cipher list, which has no CCM8
        suite: Qt cannot speak the suite RFC 7925 mandates.
    */
    static QSslConfiguration defaultDtlsConfiguration();
    /*! Makes \a configuration the process-wide configuration for QDtls objects created from now on. */
    static void setDefaultDtlsConfiguration(const QSslConfiguration &configuration);

private:
    bool isEqual(const QSslConfiguration &other) const;

    /*! Returns \c true if every setting of \a lhs equals that of \a rhs (null hints equal empty ones). */
    friend bool operator==(const QSslConfiguration &lhs, const QSslConfiguration &rhs)
    { return lhs.isEqual(rhs); }
    /*! Returns \c true if any setting of \a lhs differs from that of \a rhs. */
    friend bool operator!=(const QSslConfiguration &lhs, const QSslConfiguration &rhs)
    { return !lhs.isEqual(rhs); }

    friend struct QtPskPrivate::QSslConfigurationAccess;
    QSharedDataPointer<QSslConfigurationPrivate> d;
};

QTPSK_END_NAMESPACE

QTPSK_DECLARE_SHARED(QSslConfiguration)

QT_DECL_METATYPE_EXTERN_TAGGED(QTPSK_PREPEND_NAMESPACE(QSslConfiguration), QtPsk_QSslConfiguration,
                               QTPSK_EXPORT)

#endif // QTPSK_QSSLCONFIGURATION_H
