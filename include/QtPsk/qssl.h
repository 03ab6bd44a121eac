// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QSSL_H
#define QTPSK_QSSL_H

#include <QtPsk/qtpskglobal.h>

#include <QtCore/qflags.h>
#include <QtCore/qobjectdefs.h>

// Default build: Qt's own qssl.h (enumerations only, no Q_NETWORK_EXPORT) before this header is
// refused by name; after it, Qt's is skipped, since QtPsk's QSsl is the same (see qtpskglobal.h).
/*! \cond */
#ifndef QTPSK_NAMESPACE
#  ifdef QSSL_H
QTPSK_QT_NETWORK_HEADER_ERROR
#  endif
#  define QSSL_H
#endif
/*! \endcond */

QTPSK_BEGIN_NAMESPACE

/*!
    \namespace QSsl
    \brief Enumerations shared by the SSL classes, with QtNetwork's names and numeric values.

    \section1 Differences from Qt
    \list
    \li This namespace carries a meta-object (QtNetwork's does not), so every enumeration
        prints by name in QDebug, converts with QMetaEnum and travels in QVariant and
        QSignalSpy. Why: readable logs and tests; the names and numeric values are Qt's.
    \li Tls13PreSharedKeyMode is a QtPsk extension: the switch between QtPsk's TLS 1.3 PSK
        behaviour and Qt's exact one (see QSslConfiguration::setTls13PreSharedKeyMode()).
    \endlist
*/
namespace QSsl {
Q_NAMESPACE_EXPORT(QTPSK_EXPORT)

/*! The kind of a key. */
enum KeyType {
    PrivateKey, /*!< A private key. */
    PublicKey   /*!< A public key. */
};
Q_ENUM_NS(KeyType)

/*! How certificates and keys are encoded. */
enum EncodingFormat {
    Pem, /*!< Base64 text between BEGIN and END lines. */
    Der  /*!< Binary DER. */
};
Q_ENUM_NS(EncodingFormat)

/*! The algorithm of a key. */
enum KeyAlgorithm {
    Opaque, /*!< A key whose algorithm the library does not interpret. */
    Rsa,    /*!< RSA. */
    Dsa,    /*!< DSA. */
    Ec,     /*!< Elliptic curve. */
    Dh,     /*!< Diffie-Hellman. */
};
Q_ENUM_NS(KeyAlgorithm)

/*! The kinds of entry in a certificate's subject alternative names. */
enum AlternativeNameEntryType {
    EmailEntry,     /*!< An e-mail address. */
    DnsEntry,       /*!< A DNS host name. */
    IpAddressEntry  /*!< An IP address. */
};
Q_ENUM_NS(AlternativeNameEntryType)

/*!
    A TLS protocol version or range of versions. The numeric values are QtNetwork's; the
    versions below TLS 1.2 are deprecated, as in Qt 6.3 and later.
*/
enum SslProtocol {
    TlsV1_0 QT_DEPRECATED_VERSION_X_6_3("Use TlsV1_2OrLater instead."), /*!< TLS 1.0 only (deprecated). */
    TlsV1_1 QT_DEPRECATED_VERSION_X_6_3("Use TlsV1_2OrLater instead."), /*!< TLS 1.1 only (deprecated). */
    TlsV1_2,         /*!< TLS 1.2 only. */
    AnyProtocol,     /*!< Any version the TLS library supports. */
    SecureProtocols, /*!< The versions considered secure: TLS 1.2 and later. The default. */

    TlsV1_0OrLater QT_DEPRECATED_VERSION_X_6_3("Use TlsV1_2OrLater instead."), /*!< TLS 1.0 or later (deprecated). */
    TlsV1_1OrLater QT_DEPRECATED_VERSION_X_6_3("Use TlsV1_2OrLater instead."), /*!< TLS 1.1 or later (deprecated). */
    TlsV1_2OrLater,  /*!< TLS 1.2 or later. */

    DtlsV1_0 QT_DEPRECATED_VERSION_X_6_3("Use DtlsV1_2OrLater instead."),        /*!< DTLS 1.0 only (deprecated; QDtls refuses it: OpenSSL 3 has no DTLS 1.0 at its default security level). */
    DtlsV1_0OrLater QT_DEPRECATED_VERSION_X_6_3("Use DtlsV1_2OrLater instead."), /*!< DTLS 1.0 or later (deprecated; QDtls negotiates DTLS 1.2). */
    DtlsV1_2,        /*!< DTLS 1.2 only. */
    DtlsV1_2OrLater, /*!< DTLS 1.2 or later (DTLS 1.2: the only DTLS version QtPsk speaks); defaultDtlsConfiguration()'s protocol. */

    TlsV1_3,         /*!< TLS 1.3 only. */
    TlsV1_3OrLater,  /*!< TLS 1.3 or later. */

    UnknownProtocol = -1 /*!< No protocol, or one this library cannot name. */
};
Q_ENUM_NS(SslProtocol)

/*! Switches for TLS features that are workarounds or have security implications. */
enum SslOption {
    SslOptionDisableEmptyFragments = 0x01,        /*!< Do not send empty fragments (a CBC countermeasure some peers reject). On by default. */
    SslOptionDisableSessionTickets = 0x02,        /*!< Do not use session tickets. */
    SslOptionDisableCompression = 0x04,           /*!< Disable TLS compression. On by default. */
    SslOptionDisableServerNameIndication = 0x08,  /*!< Do not send the server name (SNI). */
    SslOptionDisableLegacyRenegotiation = 0x10,   /*!< Refuse the insecure legacy renegotiation. On by default. */
    SslOptionDisableSessionSharing = 0x20,        /*!< Do not share sessions between connections. */
    SslOptionDisableSessionPersistence = 0x40,    /*!< Do not keep session data for later resumption. On by default. */
    SslOptionDisableServerCipherPreference = 0x80 /*!< A server follows the client's cipher order, not its own. */
};
Q_ENUM_NS(SslOption)
/*! A combination of SslOption values. */
Q_DECLARE_FLAGS(SslOptions, SslOption)
Q_FLAG_NS(SslOptions)

/*! The level of a TLS alert message. */
enum class AlertLevel {
    Warning, /*!< A warning; the connection may go on. */
    Fatal,   /*!< A fatal alert; the connection ends. */
    Unknown  /*!< A level that is neither of the above. */
};
Q_ENUM_NS(AlertLevel)

/*! The description of a TLS alert message; each value is the number sent on the wire. */
enum class AlertType {
    CloseNotify,                        /*!< The sender is closing the connection normally. */
    UnexpectedMessage = 10,             /*!< A message arrived that was not expected at this point. */
    BadRecordMac = 20,                  /*!< A record failed its integrity check (in TLS 1.2 PSK: usually a wrong key). */
    RecordOverflow = 22,                /*!< A record was longer than allowed. */
    DecompressionFailure = 30,          /*!< Decompression failed (reserved; no longer used). */
    HandshakeFailure = 40,              /*!< No acceptable set of security parameters (e.g. no PSK was provided). */
    NoCertificate = 41,                 /*!< Reserved; used by SSL 3.0 only. */
    BadCertificate = 42,                /*!< A certificate was corrupt or its signature did not verify. */
    UnsupportedCertificate = 43,        /*!< A certificate was of an unsupported type. */
    CertificateRevoked = 44,            /*!< A certificate was revoked by its signer. */
    CertificateExpired = 45,            /*!< A certificate has expired or is not valid yet. */
    CertificateUnknown = 46,            /*!< Some other certificate problem made it unacceptable. */
    IllegalParameter = 47,              /*!< A field was out of range (in TLS 1.3 PSK: a binder that does not verify). */
    UnknownCa = 48,                     /*!< The certificate chain does not lead to a trusted authority. */
    AccessDenied = 49,                  /*!< The peer is authenticated but not allowed to proceed. */
    DecodeError = 50,                   /*!< A message could not be decoded (e.g. an over-long PSK identity). */
    DecryptError = 51,                  /*!< A cryptographic operation of the handshake failed. */
    ExportRestriction = 60,             /*!< Reserved; used by old export ciphers only. */
    ProtocolVersion = 70,               /*!< The offered protocol version is not supported. */
    InsufficientSecurity = 71,          /*!< The server requires stronger ciphers than offered. */
    InternalError = 80,                 /*!< An error unrelated to the peer or the protocol. */
    InappropriateFallback = 86,         /*!< A downgrade fallback was refused. */
    UserCancelled = 90,                 /*!< The user cancelled the handshake. */
    NoRenegotiation = 100,              /*!< Renegotiation was refused. */
    MissingExtension = 109,             /*!< A mandatory extension was missing. */
    UnsupportedExtension = 110,         /*!< An extension arrived that was not offered. */
    CertificateUnobtainable = 111,      /*!< Reserved; a certificate could not be fetched from a URL. */
    UnrecognizedName = 112,             /*!< No server matches the requested server name. */
    BadCertificateStatusResponse = 113, /*!< The OCSP response was invalid or unacceptable. */
    BadCertificateHashValue = 114,      /*!< Reserved; a certificate hash did not match. */
    UnknownPskIdentity = 115,           /*!< The server knows no key for the offered PSK identity. */
    CertificateRequired = 116,          /*!< The server requires a client certificate. */
    NoApplicationProtocol = 120,        /*!< None of the client's ALPN protocols is acceptable. */
    UnknownAlertMessage = 255           /*!< An alert whose description this library does not know. */
};
Q_ENUM_NS(AlertType)

/*! The classes a TLS backend can implement (QtNetwork's backend API; for source compatibility). */
enum class ImplementedClass {
    Key,            /*!< QSslKey. */
    Certificate,    /*!< QSslCertificate. */
    Socket,         /*!< QSslSocket. */
    DiffieHellman,  /*!< QSslDiffieHellmanParameters. */
    EllipticCurve,  /*!< QSslEllipticCurve. */
    Dtls,           /*!< QDtls. */
    DtlsCookie      /*!< QDtlsClientVerifier. */
};
Q_ENUM_NS(ImplementedClass)

/*! Optional features a TLS backend may support. */
enum class SupportedFeature {
    CertificateVerification, /*!< Verifying the peer's certificate chain. */
    ClientSideAlpn,          /*!< ALPN on the client. */
    ServerSideAlpn,          /*!< ALPN on the server. */
    Ocsp,                    /*!< OCSP stapling. */
    Psk,                     /*!< Pre-shared-key authentication. */
    SessionTicket,           /*!< Session tickets. */
    Alerts                   /*!< Reporting TLS alerts sent and received. */
};
Q_ENUM_NS(SupportedFeature)

/*!
    When a client offers a TLS 1.3 external pre-shared key. A QtPsk extension (Qt has no
    such setting); see QSslConfiguration::setTls13PreSharedKeyMode() and docs/tls13-psk.md.

    In every mode a TLS 1.2 PSK handshake works as in Qt, and a server always accepts TLS 1.3
    external PSKs.
*/
enum class Tls13PreSharedKeyMode {
    /*!
        The default. The client's first ClientHello is Qt's (no TLS 1.3 PSK), so a TLS 1.2
        server's identity hint reaches the one emission of
        QSslSocket::preSharedKeyAuthenticationRequired(), as in Qt. If a server refuses that
        ClientHello for want of a PSK (handshake_failure before any ServerHello) and the signal
        is connected, the socket connects again at once, without any signal, and offers the
        TLS 1.3 PSK (one emission, at the ClientHello, with a null hint); that peer is
        remembered, and later connections to it offer the PSK at once. A client limited to
        TLS 1.3, or with the environment variable QT_USE_TLS_1_3_PSK set, offers it at once.
    */
    Automatic,
    /*!
        Exactly Qt's behaviour: no TLS 1.3 PSK is offered unless QT_USE_TLS_1_3_PSK is set; with
        the variable the signal is emitted at the start of the handshake and again when the
        server picks TLS 1.2 (and again after a HelloRetryRequest), and only SHA-256 suites work.
    */
    QtCompatible,
    /*!
        The client offers a TLS 1.3 PSK in every ClientHello (the signal is emitted at the
        ClientHello, with a null hint; again with the hint if a server then picks TLS 1.2 and
        sends one).
    */
    Always
};
Q_ENUM_NS(Tls13PreSharedKeyMode)

} // namespace QSsl

Q_DECLARE_OPERATORS_FOR_FLAGS(QSsl::SslOptions)

QTPSK_END_NAMESPACE

#endif // QTPSK_QSSL_H
