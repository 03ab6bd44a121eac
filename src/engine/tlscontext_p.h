// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_TLSCONTEXT_P_H
#define QTPSK_TLSCONTEXT_P_H

// Internal to QtPsk: not installed, not part of the API.

#include "engine/opensslptr_p.h"
#include "qtpsk_p.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qhashfunctions.h>
#include <QtCore/qstring.h>

#include <cstdint>
#include <memory>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

// How a client treats TLS 1.3 external PSKs (OpenSSL asks for one while it builds every TLS 1.3
// ClientHello). The socket resolves QSsl::Tls13PreSharedKeyMode (and, for QtCompatible, the
// environment variable QT_USE_TLS_1_3_PSK) to one of these per handshake (Tls13PskPolicy); the
// engine itself reads no environment.
enum class Tls13Psk {
    // Qt's behaviour without QT_USE_TLS_1_3_PSK: offer nothing and do not ask the callbacks at
    // ClientHello time.
    QtCompatible,
    // Qt's behaviour with QT_USE_TLS_1_3_PSK set: ask through OpenSSL's old-style callback
    // exactly as Qt does (SHA-256 only, a second request at ClientKeyExchange when the server
    // picks TLS 1.2, another one after a HelloRetryRequest).
    QtOptIn,
    // QtPsk's TLS 1.3 external PSK: ask once at the first ClientHello (null hint, maxima 255/512)
    // and offer the key as an external PSK whose hash follows the enabled TLS 1.3 suites
    // (SHA-256 if any SHA-256 suite is enabled, else SHA-384; after a HelloRetryRequest the hash
    // of the suite the server chose). A HelloRetryRequest reuses the answer without asking. If
    // the server then picks TLS 1.2, ask again only when it sent a non-empty hint; otherwise
    // the first answer is used (an empty key then fails the handshake, as in Qt).
    Offer,
};

// Everything that makes one SSL_CTX differ from another. Plain values only.
struct TlsSettings
{
    bool server = false;
    int minVersion = 0; // an OpenSSL constant such as TLS1_2_VERSION; 0 = OpenSSL's default
    int maxVersion = 0; // likewise
    QByteArray cipherList; // TLS <= 1.2, an OpenSSL cipher string; empty = OpenSSL's default
    QByteArray cipherSuites; // TLS 1.3, an OpenSSL ciphersuite string; empty = OpenSSL's default
    // Server only. Kept verbatim for the server's authenticator (null and "" differ, NULs kept);
    // OpenSSL sends it up to its first NUL, and not at all when it is longer than 256 bytes.
    QByteArray identityHint;
    Tls13Psk tls13Psk = Tls13Psk::QtCompatible; // client only
    // SSL_OP_ALLOW_NO_DHE_KEX on both sides: TLS 1.3 PSK without (EC)DHE (psk_ke) is allowed;
    // without it only psk_dhe_ke (forward secrecy) is offered and accepted.
    bool allowNoDheKex = false;
    // SSL_CTX_set1_groups_list(); empty = OpenSSL's default groups. Internal (tests use it).
    QByteArray groups;
    // SSL_CTX_set_options() on top of what every context gets (SSL_OP_NO_RENEGOTIATION; a server
    // also SSL_OP_NO_TICKET): the socket maps QSsl::SslOptions to these as Qt's backend does.
    uint64_t options = 0;
    // Server: sessions may resume, through the TlsSessionStore of the server object an engine is
    // given (TlsEngine::setSessionStore()); never through the SSL_CTX's own cache. Off: no session
    // ID, no ticket, every handshake runs the PSK decision (as in Qt, which builds an SSL_CTX per
    // socket).
    bool sessionResumption = false;
    // Server with sessionResumption: TLS 1.3 tickets are issued (one per handshake). Off: TLS 1.2
    // session IDs only.
    bool sessionTickets = true;
    // DTLS 1.2 over datagrams (DtlsEngine) instead of TLS over a stream; minVersion and maxVersion
    // are then ignored. A server context also gets the cookie callbacks (dtlscookie_p.h).
    bool datagram = false;

    // Equal settings share one SSL_CTX. A null hint differs from an empty one.
    friend bool operator==(const TlsSettings &lhs, const TlsSettings &rhs) noexcept
    {
        return lhs.server == rhs.server && lhs.minVersion == rhs.minVersion
            && lhs.maxVersion == rhs.maxVersion && lhs.cipherList == rhs.cipherList
            && lhs.cipherSuites == rhs.cipherSuites && lhs.identityHint == rhs.identityHint
            && lhs.identityHint.isNull() == rhs.identityHint.isNull()
            && lhs.tls13Psk == rhs.tls13Psk && lhs.allowNoDheKex == rhs.allowNoDheKex
            && lhs.groups == rhs.groups && lhs.options == rhs.options
            && lhs.sessionResumption == rhs.sessionResumption
            && lhs.sessionTickets == rhs.sessionTickets && lhs.datagram == rhs.datagram;
    }
    friend bool operator!=(const TlsSettings &lhs, const TlsSettings &rhs) noexcept
    {
        return !(lhs == rhs);
    }
};

size_t qHash(const TlsSettings &settings, size_t seed = 0) noexcept;

// One SSL_CTX, shared by every engine whose settings are equal (see get()). Thread-safe: the
// SSL_CTX is never changed after set-up, so engines on different threads may share it.
class TlsContext
{
public:
    // The context for \a settings: the one that already exists for equal settings, or a new one.
    // A context lives as long as someone holds the returned pointer (each engine holds one); the
    // 16 most recently used are also kept alive without users, so that sequential connections
    // share one. Returns nullptr on failure and sets *errorString (if given), e.g. "Invalid or
    // empty cipher list" when a cipher string matches no cipher.
    static std::shared_ptr<TlsContext> get(const TlsSettings &settings, QString *errorString);
    // Lets go of the recently used contexts kept alive: those without users are freed. No part of
    // the library calls it; tests do, to prove that a context dies with its last user (its
    // memory then scanned for key bytes) and that the cache keeps no more than it says.
    static void releaseUnused();

    ~TlsContext();
    TlsContext(const TlsContext &) = delete;
    TlsContext &operator=(const TlsContext &) = delete;

    const TlsSettings &settings() const { return m_settings; }
    SSL_CTX *handle() const { return m_ctx.get(); }

private:
    TlsContext(const TlsSettings &settings, SslCtxPtr ctx);
    static std::shared_ptr<TlsContext> create(const TlsSettings &settings, QString *errorString);

    const TlsSettings m_settings;
    const SslCtxPtr m_ctx;
};

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE

#endif // QTPSK_TLSCONTEXT_P_H
