// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "engine/tlssessionstore_p.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <iterator>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

namespace {

std::string keyOf(const unsigned char *id, size_t idLength)
{
    return std::string(reinterpret_cast<const char *>(id), idLength);
}

void wipe(QByteArray &bytes)
{
    if (!bytes.isEmpty())
        OPENSSL_cleanse(bytes.data(), size_t(bytes.size()));
    bytes.clear();
}

} // namespace

TlsSessionStore::TlsSessionStore(std::size_t capacity, std::chrono::seconds lifetime)
    : m_capacity(capacity > 0 ? capacity : 1), m_lifetime(lifetime)
{
}

TlsSessionStore::~TlsSessionStore()
{
    clear();
}

void TlsSessionStore::insert(SSL_SESSION *session, const QByteArray &identity,
                             const QByteArray &keyDigest)
{
    unsigned int idLength = 0;
    const unsigned char *id = session ? SSL_SESSION_get_id(session, &idLength) : nullptr;
    if (!id || idLength == 0)
        return;
    const std::string key = keyOf(id, idLength);
    const Clock::time_point now = Clock::now();
    std::lock_guard<std::mutex> lock(m_mutex);
    dropExpiredLocked(now);
    if (const auto it = m_sessions.find(key); it != m_sessions.end())
        eraseLocked(it);
    while (m_sessions.size() >= m_capacity)
        eraseLocked(m_sessions.find(m_ages.back()));
    SSL_SESSION_up_ref(session);
    Stored stored;
    stored.entry.session.reset(session);
    stored.entry.identity = QByteArray(identity.constData(), identity.size());
    stored.entry.keyDigest = QByteArray(keyDigest.constData(), keyDigest.size());
    stored.entry.tls13 = SSL_SESSION_get_protocol_version(session) == TLS1_3_VERSION;
    stored.expiry = now + m_lifetime;
    m_ages.push_front(key);
    stored.age = m_ages.begin();
    m_sessions.emplace(key, std::move(stored));
}

bool TlsSessionStore::take(const unsigned char *id, size_t idLength, Entry *entry)
{
    const Clock::time_point now = Clock::now();
    std::lock_guard<std::mutex> lock(m_mutex);
    dropExpiredLocked(now);
    const auto it = m_sessions.find(keyOf(id, idLength));
    if (it == m_sessions.end())
        return false;
    Stored &stored = it->second;
    entry->session.reset(stored.entry.session.get());
    SSL_SESSION_up_ref(stored.entry.session.get());
    entry->identity = QByteArray(stored.entry.identity.constData(), stored.entry.identity.size());
    entry->keyDigest = QByteArray(stored.entry.keyDigest.constData(), stored.entry.keyDigest.size());
    entry->tls13 = stored.entry.tls13;
    if (stored.entry.tls13) {
        eraseLocked(it); // a TLS 1.3 ticket resumes once
    } else {
        m_ages.splice(m_ages.begin(), m_ages, stored.age);
    }
    return true;
}

bool TlsSessionStore::contains(const unsigned char *id, size_t idLength) const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    const auto it = m_sessions.find(keyOf(id, idLength));
    return it != m_sessions.end() && it->second.expiry > Clock::now();
}

void TlsSessionStore::remove(const unsigned char *id, size_t idLength)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    const auto it = m_sessions.find(keyOf(id, idLength));
    if (it != m_sessions.end())
        eraseLocked(it);
}

void TlsSessionStore::clear()
{
    std::lock_guard<std::mutex> lock(m_mutex);
    while (!m_sessions.empty())
        eraseLocked(m_sessions.begin());
}

std::size_t TlsSessionStore::size() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_sessions.size();
}

void TlsSessionStore::eraseLocked(std::unordered_map<std::string, Stored>::iterator it)
{
    wipe(it->second.entry.keyDigest);
    wipe(it->second.entry.identity);
    m_ages.erase(it->second.age);
    m_sessions.erase(it);
}

void TlsSessionStore::dropExpiredLocked(Clock::time_point now)
{
    // At most capacity() entries: a full pass costs microseconds, next to a handshake's milliseconds.
    for (auto it = m_sessions.begin(); it != m_sessions.end();) {
        if (it->second.expiry <= now) {
            const auto next = std::next(it);
            eraseLocked(it);
            it = next;
        } else {
            ++it;
        }
    }
}

QByteArray TlsSessionStore::digestOf(const QByteArray &key)
{
    QByteArray digest(EVP_MAX_MD_SIZE, Qt::Uninitialized);
    unsigned int size = 0;
    if (!EVP_Digest(key.constData(), size_t(key.size()),
                    reinterpret_cast<unsigned char *>(digest.data()), &size, EVP_sha256(), nullptr)) {
        return QByteArray();
    }
    digest.resize(int(size));
    return digest;
}

bool TlsSessionStore::sameDigest(const QByteArray &lhs, const QByteArray &rhs)
{
    return !lhs.isEmpty() && lhs.size() == rhs.size()
            && CRYPTO_memcmp(lhs.constData(), rhs.constData(), size_t(lhs.size())) == 0;
}

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE
