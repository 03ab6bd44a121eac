// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// TlsEngine: the sessions of a connection, how a server resumes one, and what a client learns
// of its tickets.
#include "engine/tlsengine_p.h"

#include "engine/secretbytes_p.h"
#include "engine/tlssessionstore_p.h"
#include "qtpsklogging_p.h"

#include <openssl/err.h>

#include <climits>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

bool TlsEngine::isSessionReused() const
{
    return m_ssl && m_handshakeComplete && m_sessionReused;
}

// At the end of the first handshake (SSL_CB_HANDSHAKE_DONE), before a TLS 1.3 ticket can replace
// the session. OpenSSL counts every TLS 1.3 PSK as a reused session, an external one too; only a
// ticket resumes. The server knows which one it accepted; a client's session has a ticket only
// when it is a resumed one (an external PSK's session has none).
void TlsEngine::handshakeDone()
{
    if (m_handshakeDoneSeen)
        return;
    m_handshakeDoneSeen = true;
    SSL *const ssl = m_ssl.get();
    if (!ssl || !SSL_session_reused(ssl))
        return;
    if (SSL_version(ssl) != TLS1_3_VERSION) {
        m_sessionReused = true; // a TLS 1.2 session ID
    } else if (isServer()) {
        m_sessionReused = !isExternalPskAccepted();
    } else {
        const SSL_SESSION *session = SSL_get_session(ssl);
        m_sessionReused = session && SSL_SESSION_has_ticket(session);
    }
}

SslSessionPtr TlsEngine::session() const
{
    return SslSessionPtr(m_ssl ? SSL_get1_session(m_ssl.get()) : nullptr);
}

bool TlsEngine::setSession(SSL_SESSION *session)
{
    if (!m_ssl || isServer() || !session)
        return false;
    const bool ok = SSL_set_session(m_ssl.get(), session) == 1;
    ERR_clear_error();
    return ok;
}

QByteArray TlsEngine::sessionAsn1() const
{
    const SSL_SESSION *session = m_ssl ? SSL_get_session(m_ssl.get()) : nullptr;
    const int size = session ? i2d_SSL_SESSION(session, nullptr) : 0;
    if (size <= 0)
        return QByteArray();
    QByteArray der(size, Qt::Uninitialized);
    unsigned char *out = reinterpret_cast<unsigned char *>(der.data());
    if (i2d_SSL_SESSION(session, &out) != size)
        return QByteArray();
    return der;
}

int TlsEngine::sessionTicketLifetimeHint() const
{
    const SSL_SESSION *session = m_ssl ? SSL_get_session(m_ssl.get()) : nullptr;
    return session ? int(qMin<unsigned long>(SSL_SESSION_get_ticket_lifetime_hint(session), INT_MAX))
                   : 0;
}

// OpenSSL has a new session: a server's after a full handshake (TLS 1.2) or for each TLS 1.3
// ticket it issues; a client's at the end of a TLS 1.2 handshake and for each TLS 1.3 ticket it
// reads. Returns 0: OpenSSL keeps its reference (the store takes one of its own).
int TlsEngine::newSessionTrampoline(SSL *ssl, SSL_SESSION *session)
{
    TlsEngine *engine = fromSsl(ssl);
    try {
        return engine ? engine->newSession(session) : 0;
    } catch (...) {
        keepException(engine);
        return 0;
    }
}

// A server's lookup of a session the ClientHello names (a TLS 1.2 session ID, a TLS 1.3 stateful
// ticket). *copy = 0: the returned session carries a reference for OpenSSL.
SSL_SESSION *TlsEngine::getSessionTrampoline(SSL *ssl, const unsigned char *id, int idLength,
                                             int *copy)
{
    *copy = 0;
    TlsEngine *engine = fromSsl(ssl);
    if (!engine || idLength <= 0)
        return nullptr;
    try {
        return engine->resumeSession(id, size_t(idLength));
    } catch (...) {
        keepException(engine);
        return nullptr;
    }
}

int TlsEngine::newSession(SSL_SESSION *session)
{
    if (!isServer()) {
        // TLS 1.3 tickets arrive after the handshake; a TLS 1.2 session is the handshake's own.
        if (SSL_version(m_ssl.get()) == TLS1_3_VERSION && m_handshakeDoneSeen)
            ++m_newTickets;
        return 0;
    }
    if (m_sessionStore && !m_acceptedKeyDigest.isEmpty())
        m_sessionStore->insert(session, m_acceptedIdentity, m_acceptedKeyDigest);
    return 0;
}

// The PSK this handshake authenticated with, for the session the store may keep.
void TlsEngine::acceptKey(const QByteArray &identity, const QByteArray &key)
{
    if (!m_sessionStore)
        return;
    wipe(m_acceptedIdentity);
    wipe(m_acceptedKeyDigest);
    m_acceptedIdentity = detachedCopy(identity);
    m_acceptedKeyDigest = TlsSessionStore::digestOf(key);
}

// A resumption is put to the application again: the slot is asked about the identity the session
// was authenticated with, and the session resumes only if the slot gives that identity the same
// key now. So revoking an identity, or changing its key, ends its sessions too. A refused or
// expired session means a full handshake, whose PSK request for the same identity reuses this
// answer (the slot is asked once per handshake).
SSL_SESSION *TlsEngine::resumeSession(const unsigned char *id, size_t idLength)
{
    if (!m_sessionStore)
        return nullptr;
    const QByteArray sessionId(reinterpret_cast<const char *>(id), qsizetype(idLength));
    if (!m_takenSessionId.isNull() && m_takenSessionId == sessionId) {
        // The second ClientHello after a HelloRetryRequest names the session again: the first
        // one's decision stands (a TLS 1.3 ticket has left the store already).
        if (!m_takenSession)
            return nullptr;
        SSL_SESSION_up_ref(m_takenSession.get());
        return m_takenSession.get();
    }
    TlsSessionStore::Entry entry;
    if (!m_sessionStore->take(id, idLength, &entry))
        return nullptr;
    m_takenSessionId = sessionId;
    struct Wiper
    {
        TlsSessionStore::Entry &entry;
        ~Wiper()
        {
            wipe(entry.identity);
            wipe(entry.keyDigest);
        }
    } const wiper{entry};
    if (!m_answer.asked || m_answer.identity != entry.identity)
        askServerSlot(entry.identity);
    const bool same = !m_answer.key.isEmpty()
            && TlsSessionStore::sameDigest(TlsSessionStore::digestOf(m_answer.key), entry.keyDigest);
    qCDebug(lcQtPskEngine, "%p: %s session offered for resumption: %s", static_cast<void *>(this),
            entry.tls13 ? "TLS 1.3" : "TLS 1.2",
            same ? "the slot gave the same key, it resumes" : "the slot refused, a full handshake");
    if (!same)
        return nullptr;
    acceptKey(entry.identity, m_answer.key);
    m_takenSession.reset(entry.session.get());
    SSL_SESSION_up_ref(m_takenSession.get());
    return entry.session.release();
}

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE
