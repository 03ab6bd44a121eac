// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// TlsEngine: the PSK requests of OpenSSL on both sides, the stage each side's handshake has
// reached (advance()), and the hand-over of identities and keys to OpenSSL.
#include "engine/tlsengine_p.h"

#include "auth/qsslpresharedkeyauthenticator_p.h"
#include "engine/secretbytes_p.h"
#include "engine/tlssessionstore_p.h"
#include "qtpsklogging_p.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <utility>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

namespace {

int digestNid(const EVP_MD *md)
{
    return md ? EVP_MD_get_type(md) : NID_undef;
}

// The first enabled TLS 1.3 suite whose handshake hash is \a nid, or nullptr.
const SSL_CIPHER *tls13CipherWithHash(SSL *ssl, int nid)
{
    const SslCipherStackPtr ciphers(SSL_get1_supported_ciphers(ssl));
    for (int i = 0; ciphers && i < sk_SSL_CIPHER_num(ciphers.get()); ++i) {
        const SSL_CIPHER *cipher = sk_SSL_CIPHER_value(ciphers.get(), i);
        if ((SSL_CIPHER_get_protocol_id(cipher) & 0xff00) == 0x1300 // TLS 1.3 suites are 0x13xx
            && digestNid(SSL_CIPHER_get_handshake_digest(cipher)) == nid) {
            return cipher;
        }
    }
    return nullptr;
}

// A TLS 1.3 external PSK as OpenSSL wants it: a session holding the key, bound to \a cipher
// (whose hash is the PSK's hash).
SSL_SESSION *externalPskSession(const QByteArray &key, const SSL_CIPHER *cipher)
{
    SslSessionPtr session(SSL_SESSION_new());
    if (!session || !cipher
        || !SSL_SESSION_set1_master_key(session.get(),
                                        reinterpret_cast<const unsigned char *>(key.constData()),
                                        size_t(key.size()))
        || !SSL_SESSION_set_cipher(session.get(), cipher)
        || !SSL_SESSION_set_protocol_version(session.get(), TLS1_3_VERSION)) {
        return nullptr;
    }
    return session.release();
}

// A transition that depends on where the side is: the first of \a moves whose `from` is
// \a stage gives the new stage; from anywhere else the stage stays.
template <typename Stage>
void moveFrom(Stage &stage, std::initializer_list<std::pair<Stage, Stage>> moves)
{
    for (const auto &[from, to] : moves) {
        if (stage == from) {
            stage = to;
            return;
        }
    }
}

} // namespace

// --- The stages -------------------------------------------------------------------------------

// OpenSSL builds a ClientHello (again after a HelloRetryRequest) by asking the TLS 1.3 callback
// and, when that gave no session, the old-style callback right after it; the old-style callback
// is asked once more for a TLS 1.2 ClientKeyExchange.
void TlsEngine::advance(ClientPskEvent event)
{
    using Stage = ClientPskStage;
    switch (event) {
    case ClientPskEvent::HelloWithPsk:
    case ClientPskEvent::HelloCallbackGaveKey:
        m_clientPsk = Stage::Offered;
        return;
    case ClientPskEvent::HelloWithoutPsk:
        m_clientPsk = m_clientPsk == Stage::Start || m_clientPsk == Stage::BuildingHello
                        || m_clientPsk == Stage::HelloSent
                ? Stage::BuildingHello
                : Stage::BuildingHelloAfterOffer;
        return;
    case ClientPskEvent::HelloCallbackDone:
        moveFrom(m_clientPsk, { { Stage::BuildingHello, Stage::HelloSent },
                                { Stage::BuildingHelloAfterOffer, Stage::Offered } });
        return;
    case ClientPskEvent::KeyExchange:
        m_clientPsk = Stage::KeyExchange;
        return;
    }
}

// OpenSSL runs the ClientHello callback first (again for the ClientHello after a
// HelloRetryRequest), then, in TLS 1.3, the TLS 1.3 lookup for each offered identity until one
// gives a session, each time followed by the old-style callback when the lookup gave none. In
// TLS 1.2 only the old-style callback is asked, for the ClientKeyExchange.
void TlsEngine::advance(ServerPskEvent event)
{
    using Stage = ServerPskStage;
    switch (event) {
    case ServerPskEvent::ClientHello:
        moveFrom(m_serverPsk, { { Stage::Start, Stage::ReadingHello } });
        return;
    case ServerPskEvent::Tls13Lookup:
        m_serverPsk = isExternalPskAccepted() ? Stage::AcceptedIdentityPending : Stage::IdentityPending;
        return;
    case ServerPskEvent::Tls13Accepted:
        m_serverPsk = Stage::Accepted;
        return;
    case ServerPskEvent::OldStyleCallback:
        moveFrom(m_serverPsk, { { Stage::IdentityPending, Stage::ReadingHello },
                                { Stage::AcceptedIdentityPending, Stage::Accepted } });
        return;
    }
}

// --- The hand-over ----------------------------------------------------------------------------

// \a identityCapacity is what OpenSSL's old-style client callback calls its maximum identity
// length: Qt keeps one byte of it for the terminating NUL, so at most that minus one byte is
// copied. OpenSSL takes the identity's strlen(): an embedded NUL cuts it.
unsigned int TlsEngine::giveToOpenSsl(const QByteArray &identity, char *identityBuffer,
                                      unsigned int identityCapacity, const QByteArray &key,
                                      unsigned char *psk, unsigned int maxPskLength)
{
    if (key.isEmpty())
        return 0;
    if (identityBuffer) {
        const qsizetype maxIdentity = identityCapacity > 0 ? qsizetype(identityCapacity) - 1 : 0;
        const qsizetype identityLength = qMin(identity.size(), maxIdentity);
        std::memcpy(identityBuffer, identity.constData(), size_t(identityLength));
        identityBuffer[identityLength] = '\0';
    }
    const qsizetype keyLength = qMin(key.size(), qsizetype(maxPskLength));
    std::memcpy(psk, key.constData(), size_t(keyLength));
    return unsigned(keyLength);
}

bool TlsEngine::askServerSlot(const QByteArray &identity)
{
    m_answer.asked = true;
    wipe(m_answer.key);
    m_answer.identity = detachedCopy(identity);
    QSslPreSharedKeyAuthenticator authenticator;
    AuthenticatorAccess::setIdentityHint(authenticator, m_context->settings().identityHint);
    AuthenticatorAccess::setPeerIdentity(authenticator, identity.isNull() ? QByteArray("", 0) : identity);
    AuthenticatorAccess::setMaxima(authenticator, 0, maximumPreSharedKeyLength());
    const bool answered = askCallbacks(authenticator);
    if (answered)
        m_answer.key = detachedCopy(authenticator.preSharedKey(), maximumPreSharedKeyLength());
    return answered;
}

// --- The trampolines --------------------------------------------------------------------------

unsigned int TlsEngine::pskClientTrampoline(SSL *ssl, const char *hint, char *identity,
                                            unsigned int maxIdentityLength, unsigned char *psk,
                                            unsigned int maxPskLength)
{
    TlsEngine *engine = fromSsl(ssl);
    try {
        return engine ? engine->pskClient(hint, identity, maxIdentityLength, psk, maxPskLength) : 0;
    } catch (...) {
        keepException(engine);
        return 0; // no key: OpenSSL aborts the handshake
    }
}

unsigned int TlsEngine::pskServerTrampoline(SSL *ssl, const char *identity, unsigned char *psk,
                                            unsigned int maxPskLength)
{
    TlsEngine *engine = fromSsl(ssl);
    try {
        return engine ? engine->pskServer(identity, psk, maxPskLength) : 0;
    } catch (...) {
        keepException(engine);
        return 0; // no key: OpenSSL aborts the handshake
    }
}

// OpenSSL asks this while it builds a TLS 1.3 ClientHello (again after a HelloRetryRequest, then
// with the handshake hash \a md). Without a session from us it at once asks the old-style client
// PSK callback as well; pskClient() knows that request by the stage (BuildingHello).
int TlsEngine::pskUseSessionTrampoline(SSL *ssl, const EVP_MD *md, const unsigned char **id,
                                       size_t *idLength, SSL_SESSION **session)
{
    *id = nullptr;
    *idLength = 0;
    *session = nullptr;
    TlsEngine *engine = fromSsl(ssl);
    if (!engine)
        return 1;
    try {
        return engine->pskUseSession(md, id, idLength, session);
    } catch (...) {
        keepException(engine);
        *id = nullptr;
        *idLength = 0;
        *session = nullptr;
        return 0; // OpenSSL aborts the handshake (internal_error)
    }
}

// The server's TLS 1.3 lookup, once per identity the ClientHello offers, before OpenSSL tries
// the old-style server callback and then its own tickets.
int TlsEngine::pskFindSessionTrampoline(SSL *ssl, const unsigned char *identity,
                                        size_t identityLength, SSL_SESSION **session)
{
    *session = nullptr;
    TlsEngine *engine = fromSsl(ssl);
    if (!engine)
        return 1;
    try {
        return engine->pskFindSession(identity, identityLength, session);
    } catch (...) {
        keepException(engine);
        *session = nullptr;
        return 0; // OpenSSL aborts the handshake (internal_error)
    }
}

// --- Client -----------------------------------------------------------------------------------

int TlsEngine::pskUseSession(const EVP_MD *md, const unsigned char **id, size_t *idLength,
                             SSL_SESSION **session)
{
    if (m_context->settings().tls13Psk != Tls13Psk::Offer) {
        advance(ClientPskEvent::HelloWithoutPsk); // Qt's way: pskClient() decides
        return 1;
    }
    if (!m_answer.asked) {
        // The one request of this handshake: the first ClientHello. TLS 1.3 has no hint.
        m_answer.asked = true;
        QSslPreSharedKeyAuthenticator authenticator;
        AuthenticatorAccess::setMaxima(authenticator, clientMaximumIdentityLength(),
                                       maximumPreSharedKeyLength());
        const bool answered = askCallbacks(authenticator);
        if (answered) {
            // As on the TLS 1.2 path: the identity ends at an embedded NUL and at 255 bytes.
            // Copied in one step: truncate() on a shared copy would leave an unwiped one behind.
            const QByteArray identity = authenticator.identity();
            const qsizetype nul = identity.indexOf('\0');
            m_answer.identity = detachedCopy(identity, qMin(nul < 0 ? identity.size() : nul,
                                                            qsizetype(clientMaximumIdentityLength())));
            m_answer.key = detachedCopy(authenticator.preSharedKey(), maximumPreSharedKeyLength());
        }
        qCDebug(lcQtPskEngine,
                "%p: TLS 1.3 client PSK request at ClientHello: %s, identity of %lld bytes, key "
                "of %lld bytes", static_cast<void *>(this), answered ? "answered" : "refused",
                static_cast<long long>(m_answer.identity.size()),
                static_cast<long long>(m_answer.key.size()));
    }
    // SHA-256 unless no SHA-256 suite is enabled; after a HelloRetryRequest the server's hash.
    const SSL_CIPHER *cipher = nullptr;
    if (md)
        cipher = tls13CipherWithHash(m_ssl.get(), digestNid(md));
    else if (!(cipher = tls13CipherWithHash(m_ssl.get(), NID_sha256)))
        cipher = tls13CipherWithHash(m_ssl.get(), NID_sha384);
    // A TLS 1.3 identity has 1 to 65535 bytes; OpenSSL fails the whole handshake on an empty
    // one. Offer none then: the answer still serves a TLS 1.2 server.
    SSL_SESSION *external = m_answer.key.isEmpty() || m_answer.identity.isEmpty()
            ? nullptr
            : externalPskSession(m_answer.key, cipher);
    if (!external) {
        advance(ClientPskEvent::HelloWithoutPsk); // pskClient() is asked next: it stays silent
        return 1;
    }
    *session = external;
    *id = reinterpret_cast<const unsigned char *>(m_answer.identity.constData());
    *idLength = size_t(m_answer.identity.size());
    advance(ClientPskEvent::HelloWithPsk);
    return 1;
}

unsigned int TlsEngine::pskClient(const char *hint, char *identity, unsigned int maxIdentityLength,
                                  unsigned char *psk, unsigned int maxPskLength)
{
    const Tls13Psk tls13Psk = m_context->settings().tls13Psk;
    const bool hintSent = hint && *hint;
    const bool atClientHello = isBuildingClientHello();
    advance(atClientHello ? ClientPskEvent::HelloCallbackDone : ClientPskEvent::KeyExchange);
    if (atClientHello && tls13Psk != Tls13Psk::QtOptIn) {
        // Offer: pskUseSession() already asked, and offers nothing. QtCompatible: offer none,
        // ask nobody, as Qt does without QT_USE_TLS_1_3_PSK.
        return 0;
    }
    if (!atClientHello && tls13Psk == Tls13Psk::Offer && m_answer.asked && !hintSent) {
        // TLS 1.2 after our TLS 1.3 request, without a hint: the answer given at ClientHello
        // stands; nobody is asked twice for the same thing.
        qCDebug(lcQtPskEngine,
                "%p: TLS 1.2 client PSK request without a hint: the ClientHello's answer is "
                "reused (identity of %lld bytes, key of %lld bytes)", static_cast<void *>(this),
                static_cast<long long>(m_answer.identity.size()),
                static_cast<long long>(m_answer.key.size()));
        return giveToOpenSsl(m_answer.identity, identity, maxIdentityLength, m_answer.key, psk,
                             maxPskLength);
    }

    QSslPreSharedKeyAuthenticator authenticator;
    if (hintSent) // deep copy: OpenSSL's memory does not outlive the session
        AuthenticatorAccess::setIdentityHint(authenticator, QByteArray(hint));
    // Qt keeps one byte of OpenSSL's identity buffer for the terminating NUL.
    const int maxIdentity = maxIdentityLength > 0 ? int(maxIdentityLength) - 1 : 0;
    AuthenticatorAccess::setMaxima(authenticator, maxIdentity, int(maxPskLength));
    const bool answered = askCallbacks(authenticator);
    qCDebug(lcQtPskEngine,
            "%p: client PSK request (%s), hint of %lld bytes: %s, identity of %lld bytes, key of "
            "%lld bytes", static_cast<void *>(this),
            atClientHello ? "TLS 1.3 ClientHello, QT_USE_TLS_1_3_PSK" : "TLS 1.2 key exchange",
            static_cast<long long>(hint ? qstrlen(hint) : 0), answered ? "answered" : "refused",
            static_cast<long long>(authenticator.identity().size()),
            static_cast<long long>(authenticator.preSharedKey().size()));
    if (!answered)
        return 0;

    // Declared after the authenticator, so released first: its destructor then wipes the key.
    const QByteArray key = authenticator.preSharedKey();
    const unsigned int keyLength = giveToOpenSsl(authenticator.identity(), identity,
                                                 maxIdentityLength, key, psk, maxPskLength);
    if (atClientHello && !key.isEmpty())
        advance(ClientPskEvent::HelloCallbackGaveKey); // OpenSSL offers it as a SHA-256 PSK
    return keyLength;
}

// --- Server -----------------------------------------------------------------------------------

int TlsEngine::pskFindSession(const unsigned char *identity, size_t identityLength,
                              SSL_SESSION **session)
{
    // Unless we hand over a session, OpenSSL asks the old-style callback next: it must not show
    // this TLS 1.3 identity to the slot a second time (or at all, for a ticket).
    advance(ServerPskEvent::Tls13Lookup);
    SSL *const ssl = m_ssl.get();
    QByteArray offeredIdentity(reinterpret_cast<const char *>(identity), qsizetype(identityLength));
    // Our copy of the identity is wiped on every way out (unless the slot kept a share of it).
    struct Wiper
    {
        QByteArray &bytes;
        ~Wiper() { wipeByteArray(bytes); }
    } const wiper{offeredIdentity};
    const auto offered = std::find_if(m_offeredIdentities.begin(), m_offeredIdentities.end(),
                                      [&](const OfferedIdentity &entry) {
                                          return entry.identity == offeredIdentity;
                                      });
    // A resumption ticket: one of our stateful tickets, or any identity with a ticket age
    // (external PSKs carry age 0). OpenSSL resumes or rejects it (resumeSession()); the slot is
    // never shown a ticket.
    if ((m_sessionStore && identityLength <= SSL_MAX_SSL_SESSION_ID_LENGTH
         && m_sessionStore->contains(identity, identityLength))
        || (offered != m_offeredIdentities.end() && offered->obfuscatedAge != 0)) {
        return 1;
    }

    // The suite is chosen before the PSK: the PSK must use its hash. A binder of another size
    // means the client's PSK has another hash; OpenSSL would fail it as a bad binder (47), so
    // it is not used (the slot is still asked, once, as Qt asks: the identity was offered).
    const SSL_CIPHER *cipher = SSL_get_pending_cipher(ssl);
    const EVP_MD *md = cipher ? SSL_CIPHER_get_handshake_digest(cipher) : nullptr;
    const bool hashMismatch = !md
            || (offered != m_offeredIdentities.end() && offered->binderLength != EVP_MD_get_size(md));

    if (!m_answer.asked || m_answer.identity != offeredIdentity) {
        // Once per external identity; the same identity after a HelloRetryRequest is not asked
        // about again.
        const bool answered = askServerSlot(offeredIdentity);
        qCDebug(lcQtPskEngine,
                "%p: TLS 1.3 server PSK request: identity of %lld bytes, hint of %lld bytes; %s, "
                "key of %lld bytes%s", static_cast<void *>(this),
                static_cast<long long>(offeredIdentity.size()),
                static_cast<long long>(m_context->settings().identityHint.size()),
                answered ? "answered" : "refused", static_cast<long long>(m_answer.key.size()),
                hashMismatch ? " (not usable: the client's PSK hash differs from the suite's)" : "");
    }
    if (m_answer.key.isEmpty() || hashMismatch)
        return 1; // not accepted: as in Qt, the handshake goes on without this PSK
    SSL_SESSION *external = externalPskSession(m_answer.key, cipher);
    if (!external)
        return 1;
    *session = external;
    advance(ServerPskEvent::Tls13Accepted);
    acceptKey(offeredIdentity, m_answer.key);
    return 1;
}

unsigned int TlsEngine::pskServer(const char *identity, unsigned char *psk, unsigned int maxPskLength)
{
    const bool tls13IdentityDone = isServerIdentityPending();
    advance(ServerPskEvent::OldStyleCallback);
    if (tls13IdentityDone)
        return 0; // a TLS 1.3 identity that pskFindSession() has already dealt with
    const QByteArray peerIdentity(identity ? identity : "", -1); // deep; empty but not null
    if (m_answer.asked && m_answer.identity == peerIdentity) {
        // resumeSession() asked about this identity in this handshake: its answer stands.
        const unsigned int keyLength = giveToOpenSsl(QByteArray(), nullptr, 0, m_answer.key, psk,
                                                     maxPskLength);
        if (!m_answer.key.isEmpty())
            acceptKey(peerIdentity, m_answer.key);
        return keyLength;
    }
    qCDebug(lcQtPskEngine, "%p: server PSK request, identity of %lld bytes, hint of %lld bytes",
            static_cast<void *>(this), static_cast<long long>(identity ? qstrlen(identity) : 0),
            static_cast<long long>(m_context->settings().identityHint.size()));
    QSslPreSharedKeyAuthenticator authenticator;
    AuthenticatorAccess::setIdentityHint(authenticator, m_context->settings().identityHint);
    AuthenticatorAccess::setPeerIdentity(authenticator, peerIdentity);
    AuthenticatorAccess::setMaxima(authenticator, 0, int(maxPskLength));
    const bool answered = askCallbacks(authenticator);
    qCDebug(lcQtPskEngine, "%p: server PSK request %s, key of %lld bytes", static_cast<void *>(this),
            answered ? "answered" : "refused",
            static_cast<long long>(authenticator.preSharedKey().size()));
    if (!answered)
        return 0;

    const QByteArray key = authenticator.preSharedKey(); // released before the authenticator
    const unsigned int keyLength = giveToOpenSsl(QByteArray(), nullptr, 0, key, psk, maxPskLength);
    if (!key.isEmpty())
        acceptKey(peerIdentity, key);
    return keyLength;
}

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE
