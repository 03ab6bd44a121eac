// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "engine/tlscontext_p.h"

#include "engine/dtlsengine_p.h"

#include "engine/tlsengine_p.h"
#include "engine/tlssessionstore_p.h"
#include "qtpsklogging_p.h"

#include <QtCore/qhash.h>

#include <openssl/err.h>

#include <algorithm>
#include <deque>
#include <mutex>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

namespace {

// The cache of live contexts. An entry whose context died is dropped on the next get().
// The most recently used contexts are also kept alive without users: building an SSL_CTX costs
// about a million instructions in OpenSSL 3 (it fetches every algorithm from the provider),
// more than a whole PSK handshake, so sequential connections must not rebuild it each time.
struct ContextCache
{
    static constexpr std::size_t KeptAlive = 16;
    // A std::mutex rather than a QMutex: ThreadSanitizer sees pthread mutexes, while a contended
    // QMutex waits on a futex inside Qt, where it cannot look (tests/threads runs under TSan).
    std::mutex mutex;
    QHash<TlsSettings, std::weak_ptr<TlsContext>> contexts;
    std::deque<std::shared_ptr<TlsContext>> recent; // most recently used first

    ContextCache() = default;
    ContextCache(const ContextCache &) = delete;
    ContextCache &operator=(const ContextCache &) = delete;
    // At exit, after the last thread that used the cache: the lock orders this destruction after
    // that thread's last get() (visible to ThreadSanitizer even when Qt joined the thread).
    ~ContextCache()
    {
        const std::lock_guard<std::mutex> lock(mutex);
        recent.clear();
        contexts.clear();
    }
};

ContextCache &contextCache()
{
    static ContextCache cache;
    return cache;
}

void setError(QString *errorString, const QString &message)
{
    if (errorString)
        *errorString = message;
}

} // namespace

size_t qHash(const TlsSettings &settings, size_t seed) noexcept
{
    return qHashMulti(seed, settings.server, settings.minVersion, settings.maxVersion,
                      settings.cipherList, settings.cipherSuites, settings.identityHint,
                      int(settings.tls13Psk), settings.allowNoDheKex, settings.groups,
                      quint64(settings.options), settings.sessionResumption,
                      settings.sessionTickets, settings.datagram);
}

TlsContext::TlsContext(const TlsSettings &settings, SslCtxPtr ctx)
    : m_settings(settings), m_ctx(std::move(ctx))
{
}

TlsContext::~TlsContext() = default;

std::shared_ptr<TlsContext> TlsContext::get(const TlsSettings &settings, QString *errorString)
{
    ContextCache &cache = contextCache();
    const std::lock_guard<std::mutex> locker(cache.mutex);
    std::shared_ptr<TlsContext> context = cache.contexts.value(settings).lock();
    if (!context) {
        cache.contexts.removeIf([](const auto &entry) { return entry.value().expired(); });
        context = create(settings, errorString);
        if (!context) {
            qCDebug(lcQtPskEngineContext).nospace()
                    << "cache miss; a new " << (settings.server ? "server" : "client")
                    << " context failed: " << (errorString ? *errorString : QString());
            return nullptr;
        }
        cache.contexts.insert(settings, context);
        qCDebug(lcQtPskEngineContext, "cache miss: new %s context %p (%lld contexts live)",
                settings.server ? "server" : "client", static_cast<void *>(context->handle()),
                static_cast<long long>(cache.contexts.size()));
    } else {
        qCDebug(lcQtPskEngineContext, "cache hit: %s context %p", settings.server ? "server" : "client",
                static_cast<void *>(context->handle()));
    }
    if (cache.recent.empty() || cache.recent.front() != context) {
        const auto it = std::find(cache.recent.begin(), cache.recent.end(), context);
        if (it != cache.recent.end())
            cache.recent.erase(it);
        cache.recent.push_front(context);
        if (cache.recent.size() > ContextCache::KeptAlive)
            cache.recent.pop_back();
    }
    return context;
}

void TlsContext::releaseUnused()
{
    ContextCache &cache = contextCache();
    std::deque<std::shared_ptr<TlsContext>> released;
    {
        const std::lock_guard<std::mutex> locker(cache.mutex);
        released.swap(cache.recent);
    }
    qCDebug(lcQtPskEngineContext, "%lld recently used contexts released",
            static_cast<long long>(released.size()));
    // The contexts without other users die here, outside the lock.
}

std::shared_ptr<TlsContext> TlsContext::create(const TlsSettings &settings, QString *errorString)
{
    ERR_clear_error();
    const SSL_METHOD *const method = settings.datagram
            ? (settings.server ? DTLS_server_method() : DTLS_client_method())
            : (settings.server ? TLS_server_method() : TLS_client_method());
    SslCtxPtr ctx(SSL_CTX_new(method));
    if (!ctx) {
        ERR_clear_error();
        setError(errorString, QStringLiteral("Error creating SSL context"));
        return nullptr;
    }
    SSL_CTX *const c = ctx.get();

    const int minVersion = settings.datagram ? DTLS1_2_VERSION : settings.minVersion;
    const int maxVersion = settings.datagram ? DTLS1_2_VERSION : settings.maxVersion;
    if ((minVersion && !SSL_CTX_set_min_proto_version(c, minVersion))
        || (maxVersion && !SSL_CTX_set_max_proto_version(c, maxVersion))) {
        ERR_clear_error();
        setError(errorString, QStringLiteral("Unsupported TLS protocol version"));
        return nullptr;
    }
    if ((!settings.cipherList.isEmpty()
         && !SSL_CTX_set_cipher_list(c, settings.cipherList.constData()))
        || (!settings.cipherSuites.isEmpty()
            && !SSL_CTX_set_ciphersuites(c, settings.cipherSuites.constData()))) {
        ERR_clear_error();
        setError(errorString, QStringLiteral("Invalid or empty cipher list"));
        return nullptr;
    }

    if (!settings.groups.isEmpty() && !SSL_CTX_set1_groups_list(c, settings.groups.constData())) {
        ERR_clear_error();
        setError(errorString, QStringLiteral("Invalid list of key exchange groups"));
        return nullptr;
    }
    if (settings.allowNoDheKex)
        SSL_CTX_set_options(c, SSL_OP_ALLOW_NO_DHE_KEX);
    // What QSsl::SslOptions ask for. SSL_CTX_new() sets a few options of its own: the mapped
    // value replaces those that Qt's backend decides (see settingsFor() in qsslsocket.cpp).
    SSL_CTX_clear_options(c, SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS | SSL_OP_NO_TICKET
                                     | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_options(c, settings.options);
    // A PSK session has no reason to renegotiate, and a peer that asks again and again would make
    // the application's slot (and its key derivation) run each time: refused in both directions.
    // The peer gets a no_renegotiation warning alert (an OpenSSL peer then ends the connection).
    SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION);

    // The engine's memory BIOs never block and may see a different buffer on a retried write.
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                            | SSL_MODE_ENABLE_PARTIAL_WRITE);
    // OpenSSL verifies nothing: the socket layer decides about the peer's certificate.
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);

    if (settings.server) {
        // DHE-PSK suites need Diffie-Hellman parameters; let OpenSSL pick them per suite.
        SSL_CTX_set_dh_auto(c, 1);
        // Always applied, as Qt does. A null hint is sent as "". A hint longer than OpenSSL's
        // limit is refused: the server then works without one. The failure is not reported.
        SSL_CTX_use_psk_identity_hint(c, settings.identityHint.constData());
        // Stateful TLS 1.3 tickets only: a ticket's identity is then the ID of a session in the
        // server object's TlsSessionStore, so that the external-PSK lookup tells resumption
        // identities from external ones and never shows a ticket to the slot. Stateless tickets
        // (TLS 1.2 ones too) would be sealed with this context's key, which every server
        // with equal settings shares.
        SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
        if (settings.sessionResumption) {
            // OpenSSL's own cache belongs to the SSL_CTX: it stays empty and unused, and the
            // engine stores and finds sessions in its server's store (TlsEngine's callbacks).
            SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
            SSL_CTX_set_timeout(c, long(TlsSessionStore::DefaultLifetime.count()));
            SSL_CTX_set_num_tickets(c, settings.sessionTickets ? 1 : 0);
        } else {
            // As Qt's servers: no session ever resumes, every handshake asks the application.
            SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
            SSL_CTX_set_num_tickets(c, 0);
        }
    } else {
        // The client keeps no sessions itself: the socket takes each new one (a TLS 1.2 session,
        // every TLS 1.3 ticket) for QSslConfiguration::sessionTicket(), as Qt does.
        SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
    }
    TlsEngine::installCallbacks(c, settings.server);
    if (settings.datagram)
        DtlsEngine::configureContext(c, settings);
    ERR_clear_error();

    return std::shared_ptr<TlsContext>(new TlsContext(settings, std::move(ctx)));
}

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE
