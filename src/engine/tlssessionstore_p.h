// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_TLSSESSIONSTORE_P_H
#define QTPSK_TLSSESSIONSTORE_P_H

// Internal to QtPsk: not installed, not part of the API.

#include "engine/opensslptr_p.h"
#include "qtpsk_p.h"

#include <QtCore/qbytearray.h>

#include <chrono>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

// The resumable sessions of one server object (one QSslServer), never shared with another: server
// contexts are shared between servers with equal settings, so OpenSSL's own session cache (one per
// SSL_CTX) would let a session that one server's application accepted resume on another server.
// The engines of that server's sockets store and look up sessions here through OpenSSL's external
// cache callbacks (SSL_SESS_CACHE_NO_INTERNAL).
//
// Each session remembers the PSK identity it was authenticated with and a SHA-256 digest of the key,
// so that a resumption can be put to the application again: it goes ahead only if the slot gives
// that identity the same key now (see TlsEngine). Bounded: at most capacity() sessions (the least
// recently used go first), each for lifetime() from its creation; TLS 1.3 sessions (tickets) are
// taken out at their first use, so a ticket resumes at most once.
//
// Thread-safe: the sockets of one server may live in different threads.
class TlsSessionStore
{
public:
    static constexpr std::size_t DefaultCapacity = 1024;
    static constexpr std::chrono::seconds DefaultLifetime{300};

    explicit TlsSessionStore(std::size_t capacity = DefaultCapacity,
                             std::chrono::seconds lifetime = DefaultLifetime);
    ~TlsSessionStore();
    TlsSessionStore(const TlsSessionStore &) = delete;
    TlsSessionStore &operator=(const TlsSessionStore &) = delete;

    struct Entry
    {
        SslSessionPtr session;
        QByteArray identity; // the PSK identity the session was authenticated with
        QByteArray keyDigest; // SHA-256 of the key; wiped when the entry goes
        bool tls13 = false;
    };

    // Takes a reference to \a session (its ID is the key). \a keyDigest is wiped by the store.
    void insert(SSL_SESSION *session, const QByteArray &identity, const QByteArray &keyDigest);
    // The entry for session ID \a id, or false when there is none or it expired. A TLS 1.3 entry
    // is removed (single use); a TLS 1.2 one stays until it expires or is evicted.
    bool take(const unsigned char *id, size_t idLength, Entry *entry);
    bool contains(const unsigned char *id, size_t idLength) const;
    void remove(const unsigned char *id, size_t idLength);
    void clear();

    std::size_t size() const;
    std::size_t capacity() const { return m_capacity; }
    std::chrono::seconds lifetime() const { return m_lifetime; }

    // SHA-256 of \a key, for Entry::keyDigest and the comparison at resumption.
    static QByteArray digestOf(const QByteArray &key);
    // Constant-time equality of two digests.
    static bool sameDigest(const QByteArray &lhs, const QByteArray &rhs);

private:
    using Clock = std::chrono::steady_clock;
    struct Stored
    {
        Entry entry;
        Clock::time_point expiry;
        std::list<std::string>::iterator age;
    };
    void eraseLocked(std::unordered_map<std::string, Stored>::iterator it);
    void dropExpiredLocked(Clock::time_point now);

    const std::size_t m_capacity;
    const std::chrono::seconds m_lifetime;
    mutable std::mutex m_mutex;
    std::unordered_map<std::string, Stored> m_sessions; // by session ID
    std::list<std::string> m_ages; // session IDs, most recently used first
};

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE

#endif // QTPSK_TLSSESSIONSTORE_P_H
