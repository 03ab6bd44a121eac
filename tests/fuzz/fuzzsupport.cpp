// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT

// RAND_set_rand_method() is deprecated in OpenSSL 3 but still honoured by RAND_bytes_ex() and
// RAND_priv_bytes_ex(), which is exactly what a deterministic fuzz harness needs.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "fuzzsupport.h"

#include <QSslPreSharedKeyAuthenticator>

#include <QtCore/qglobal.h>

#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace QtPskFuzz {

namespace {

// --- Deterministic randomness -----------------------------------------------------------------

constexpr std::uint64_t kStreamSeeds[] = {0x5e7u, 0xc11e47u, 0x5e12e2u};
std::uint64_t g_streams[3] = {kStreamSeeds[0], kStreamSeeds[1], kStreamSeeds[2]};
RandomStream g_current = RandomStream::Setup;

std::uint64_t splitMix(std::uint64_t &state)
{
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int randomBytes(unsigned char *buffer, int count)
{
    std::uint64_t &state = g_streams[int(g_current)];
    for (int i = 0; i < count; i += 8) {
        const std::uint64_t value = splitMix(state);
        for (int j = 0; j < 8 && i + j < count; ++j)
            buffer[i + j] = static_cast<unsigned char>(value >> (8 * j));
    }
    return 1;
}

int randomSeed(const void *, int)
{
    return 1;
}

int randomAdd(const void *, int, double)
{
    return 1;
}

int randomStatus()
{
    return 1;
}

RAND_METHOD makeRandomMethod()
{
    RAND_METHOD method{};
    method.seed = &randomSeed;
    method.bytes = &randomBytes;
    method.add = &randomAdd;
    method.pseudorand = &randomBytes;
    method.status = &randomStatus;
    return method;
}

RAND_METHOD g_randomMethod = makeRandomMethod();

// --- The engine configs -----------------------------------------------------------------------

TlsSettings settings(bool server, int minVersion, int maxVersion, const char *cipherList,
                     const char *cipherSuites, const char *groups = "X25519")
{
    TlsSettings result;
    result.server = server;
    result.minVersion = minVersion;
    result.maxVersion = maxVersion;
    result.cipherList = cipherList;
    result.cipherSuites = cipherSuites;
    result.groups = groups;
    result.tls13Psk = QtPskPrivate::Tls13Psk::Offer;
    if (server) {
        result.identityHint = fixedHint();
        result.sessionResumption = true; // sessions resume within one EnginePair's store
    }
    return result;
}

EngineConfig config(const char *name, int minVersion, int maxVersion, const char *cipherList,
                    const char *cipherSuites)
{
    return EngineConfig{name, settings(false, minVersion, maxVersion, cipherList, cipherSuites),
                        settings(true, minVersion, maxVersion, cipherList, cipherSuites)};
}

std::vector<EngineConfig> makeEngineConfigs()
{
    std::vector<EngineConfig> configs;
    configs.push_back(config("tls12-psk-aes128-gcm", TLS1_2_VERSION, TLS1_2_VERSION,
                             "PSK-AES128-GCM-SHA256", ""));
    configs.push_back(config("tls12-psk-aes256-cbc", TLS1_2_VERSION, TLS1_2_VERSION,
                             "PSK-AES256-CBC-SHA", ""));
    configs.push_back(config("tls12-ecdhe-psk-chacha", TLS1_2_VERSION, TLS1_2_VERSION,
                             "ECDHE-PSK-CHACHA20-POLY1305", ""));
    configs.push_back(config("tls13-psk-dhe", TLS1_3_VERSION, TLS1_3_VERSION, "",
                             "TLS_AES_128_GCM_SHA256"));
    EngineConfig pskKe = config("tls13-psk-ke", TLS1_3_VERSION, TLS1_3_VERSION, "",
                                "TLS_CHACHA20_POLY1305_SHA256");
    pskKe.client.allowNoDheKex = true;
    pskKe.server.allowNoDheKex = true;
    configs.push_back(pskKe);
    // The client's first key share (P-256) is not one the server takes: HelloRetryRequest.
    EngineConfig retry = config("tls13-hello-retry-sha384", TLS1_3_VERSION, TLS1_3_VERSION, "",
                                "TLS_AES_256_GCM_SHA384");
    retry.client.groups = "P-256:X25519";
    configs.push_back(retry);
    configs.push_back(config("any-version", 0, 0, "", ""));
    EngineConfig downgrade = config("tls13-client-tls12-server", TLS1_2_VERSION, TLS1_3_VERSION,
                                    "PSK-AES128-CBC-SHA256", "");
    downgrade.server.maxVersion = TLS1_2_VERSION;
    configs.push_back(downgrade);
    EngineConfig qtCompatible = config("tls12-qt-compatible", TLS1_2_VERSION, TLS1_2_VERSION,
                                       "PSK-CHACHA20-POLY1305", "");
    qtCompatible.client.tls13Psk = QtPskPrivate::Tls13Psk::QtCompatible;
    configs.push_back(qtCompatible);
    return configs;
}

struct ConfigContexts
{
    std::shared_ptr<TlsContext> client;
    std::shared_ptr<TlsContext> server;
};

// Built once (with the set-up stream) and kept for the whole run.
const std::vector<ConfigContexts> &engineContexts()
{
    static const std::vector<ConfigContexts> contexts = [] {
        const RandomScope scope(RandomStream::Setup);
        std::vector<ConfigContexts> result;
        for (const EngineConfig &config : engineConfigs()) {
            ConfigContexts pair{TlsContext::get(config.client, nullptr),
                                TlsContext::get(config.server, nullptr)};
            if (!pair.client || !pair.server)
                violated("every engine config builds its contexts");
            result.push_back(std::move(pair));
        }
        return result;
    }();
    return contexts;
}

QByteArray takeAll(TlsEngine &engine)
{
    return engine.takeOutput();
}

// The alerts an engine reported so far (takeAlerts() hands each one over once).
struct AlertLog
{
    bool closeNotifyReceived = false;
};

void takeAlerts(TlsEngine &engine, AlertLog *log)
{
    for (const QtPskPrivate::TlsAlert &alert : engine.takeAlerts()) {
        if (alert.level < 0 || alert.level > 255 || alert.type < 0 || alert.type > 255)
            violated("alerts carry wire-sized level and type");
        if (!alert.sent && alert.type == SSL_AD_CLOSE_NOTIFY)
            log->closeNotifyReceived = true;
    }
}

// Calls every accessor once: none of them may misbehave in any state.
void inspect(TlsEngine &engine, AlertLog *log)
{
    if (engine.isHandshakeComplete() != (engine.protocolVersion() != 0))
        violated("a protocol version exactly once the handshake is complete");
    (void)engine.cipherName();
    (void)engine.isSessionReused();
    (void)engine.peerSentCertificate();
    (void)engine.diagnosis();
    (void)engine.errorString();
    (void)engine.session();
    takeAlerts(engine, log);
}

} // namespace

[[noreturn]] void violated(const char *invariant)
{
    std::fprintf(stderr, "qtpsk fuzz: invariant violated: %s\n", invariant);
    std::fflush(stderr);
    std::abort();
}

void initialize()
{
    static const bool done = [] {
        qunsetenv("QT_USE_TLS_1_3_PSK");
        if (RAND_set_rand_method(&g_randomMethod) != 1 || RAND_get_rand_method() != &g_randomMethod)
            violated("OpenSSL takes the deterministic random method");
        return true;
    }();
    (void)done;
}

void resetRandom()
{
    g_streams[int(RandomStream::Client)] = kStreamSeeds[int(RandomStream::Client)];
    g_streams[int(RandomStream::Server)] = kStreamSeeds[int(RandomStream::Server)];
}

RandomScope::RandomScope(RandomStream stream) : m_previous(g_current)
{
    g_current = stream;
}

RandomScope::~RandomScope()
{
    g_current = m_previous;
}

// --- FuzzInput, Chunker -----------------------------------------------------------------------

std::uint8_t FuzzInput::byte()
{
    if (m_left == 0)
        return 0;
    const std::uint8_t value = *m_data;
    ++m_data;
    --m_left;
    return value;
}

quint16 FuzzInput::u16()
{
    const quint16 high = byte();
    return quint16((high << 8) | byte());
}

QByteArray FuzzInput::bytes(std::size_t count)
{
    count = std::min(count, m_left);
    QByteArray result(reinterpret_cast<const char *>(m_data), qsizetype(count));
    m_data += count;
    m_left -= count;
    return result;
}

QByteArray FuzzInput::lengthPrefixed()
{
    return bytes(u16());
}

QByteArray FuzzInput::rest()
{
    return bytes(m_left);
}

qsizetype Chunker::next(qsizetype remaining)
{
    if (m_seed == 0)
        return remaining;
    m_state ^= m_state << 13;
    m_state ^= m_state >> 7;
    m_state ^= m_state << 17;
    const qsizetype size = qsizetype(1 + m_state % (8u * m_seed));
    return std::min(size, remaining);
}

// --- Configs ------------------------------------------------------------------------------

QByteArray fixedHint()
{
    return QByteArrayLiteral("fuzz-hint");
}

QByteArray fixedIdentity()
{
    return QByteArrayLiteral("fuzz-identity");
}

QByteArray fixedKey()
{
    return QByteArray::fromHex("00112233445566778899aabbccddeeff0f1e2d3c4b5a69788796a5b4c3d2e1f0");
}

const std::vector<EngineConfig> &engineConfigs()
{
    static const std::vector<EngineConfig> configs = makeEngineConfigs();
    return configs;
}

// --- EnginePair -------------------------------------------------------------------------------

EnginePair::EnginePair(std::shared_ptr<TlsContext> clientContext,
                       std::shared_ptr<TlsContext> serverContext,
                       QtPskPrivate::TlsEngineCallbacks *clientCallbacks,
                       QtPskPrivate::TlsEngineCallbacks *serverCallbacks,
                       std::shared_ptr<QtPskPrivate::TlsSessionStore> serverSessions)
    : m_sessions(serverSessions ? std::move(serverSessions)
                                : std::make_shared<QtPskPrivate::TlsSessionStore>())
{
    clientCredentials.identity = fixedIdentity();
    clientCredentials.key = fixedKey();
    serverCredentials.key = fixedKey();
    {
        const RandomScope scope(RandomStream::Client);
        m_client = std::make_unique<TlsEngine>(
                std::move(clientContext), clientCallbacks ? clientCallbacks : &clientCredentials);
    }
    const RandomScope scope(RandomStream::Server);
    m_server = std::make_unique<TlsEngine>(
            std::move(serverContext), serverCallbacks ? serverCallbacks : &serverCredentials);
    m_server->setSessionStore(m_sessions);
}

TlsEngine::Result EnginePair::step(bool client)
{
    const RandomScope scope(client ? RandomStream::Client : RandomStream::Server);
    TlsEngine &e = engine(client);
    TlsEngine::Result result = e.handshake();
    if (result == TlsEngine::Result::Ok)
        result = drain(e, client ? &clientReceived : &serverReceived);
    return result;
}

bool EnginePair::deliver(bool fromClient, QByteArray *record)
{
    const QByteArray bytes = takeAll(engine(fromClient));
    if (bytes.isEmpty())
        return false;
    if (record)
        record->append(bytes);
    engine(!fromClient).feed(bytes.constData(), bytes.size());
    step(!fromClient);
    return true;
}

void EnginePair::run(int rounds, QByteArray *toClient, QByteArray *toServer)
{
    for (int round = 0; round < rounds; ++round) {
        const bool sent = deliver(true, toServer);
        const bool received = deliver(false, toClient);
        if (!sent && !received)
            return;
    }
}

void EnginePair::write(bool client, const QByteArray &data)
{
    const RandomScope scope(client ? RandomStream::Client : RandomStream::Server);
    TlsEngine &e = engine(client);
    for (qsizetype offset = 0; offset < data.size();) {
        qsizetype consumed = 0;
        if (e.write(data.constData() + offset, data.size() - offset, &consumed)
                    != TlsEngine::Result::Ok
            || consumed <= 0) {
            return;
        }
        offset += consumed;
    }
}

void EnginePair::shutdown(bool client)
{
    const RandomScope scope(client ? RandomStream::Client : RandomStream::Server);
    engine(client).shutdown();
}

TlsEngine::Result drain(TlsEngine &engine, QByteArray *into)
{
    char buffer[4096];
    for (;;) {
        qsizetype got = -1;
        const TlsEngine::Result result = engine.read(buffer, qsizetype(sizeof(buffer)), &got);
        if (result != TlsEngine::Result::Ok) {
            if (got != 0)
                violated("a read that moves nothing reports zero bytes");
            return result;
        }
        if (got <= 0 || got > qsizetype(sizeof(buffer)))
            violated("a successful read moves 1..maxSize bytes");
        if (into)
            into->append(buffer, got);
    }
}

void flushSessions(const std::shared_ptr<TlsContext> &context)
{
    SSL_CTX_flush_sessions(context->handle(), 0); // 0: every session, expired or not
    if (SSL_CTX_sess_number(context->handle()) != 0)
        violated("the server session cache is empty before each input");
}

// --- The engine targets -----------------------------------------------------------------------

Outcome fuzzEngine(bool clientUnderTest, const std::uint8_t *data, std::size_t size,
                   QByteArray *recordedPayload)
{
    initialize();
    FuzzInput input(data, size);
    const std::vector<ConfigContexts> &contexts = engineContexts();
    const ConfigContexts &config = contexts[input.byte() % contexts.size()];
    const std::uint8_t stageByte = input.byte();
    const auto stage = Stage((stageByte & 0x0f) % int(Stage::Count));
    Chunker chunker(input.byte());
    const QByteArray payload = input.rest();

    flushSessions(config.server);
    resetRandom();
    QtPskPrivate::SslSessionPtr session;
    const auto sessions = std::make_shared<QtPskPrivate::TlsSessionStore>();
    if (stageByte & kResume) {
        // A whole real handshake first, for a session (TLS 1.3: the ticket it read) to resume.
        EnginePair first(config.client, config.server, nullptr, nullptr, sessions);
        first.step(true);
        first.step(false);
        first.run(32);
        // Closed properly: OpenSSL drops a TLS 1.2 session from the server's cache when its
        // connection is freed without close_notify sent.
        first.shutdown(true);
        first.shutdown(false);
        first.run(4);
        session = first.engine(true).session();
        if (!first.engine(true).isHandshakeComplete() || !session)
            violated("the real handshake of every engine config completes with a session");
    }
    EnginePair pair(config.client, config.server, nullptr, nullptr, sessions);
    const bool target = clientUnderTest;
    const bool peer = !clientUnderTest;
    TlsEngine &engine = pair.engine(target);
    {
        const RandomScope scope(RandomStream::Client);
        if (session && !pair.engine(true).setSession(session.get()))
            violated("a client takes its own session for resumption");
        if (stageByte & kServerName)
            pair.engine(true).setHostName(QByteArrayLiteral("fuzz.example"));
    }

    pair.step(true); // the ClientHello
    pair.step(false);
    switch (stage) {
    case Stage::None:
        break;
    case Stage::FirstRoundTrip:
        pair.deliver(true);
        pair.deliver(false);
        break;
    case Stage::Complete:
    case Stage::Encrypted:
        pair.run(32);
        if (!pair.engine(true).isHandshakeComplete() || !pair.engine(false).isHandshakeComplete())
            violated("the real handshake of every engine config completes");
        pair.write(true, QByteArrayLiteral("client application data"));
        pair.write(false, QByteArrayLiteral("server application data"));
        pair.run(8);
        break;
    case Stage::Count:
        break;
    }

    Outcome outcome;
    AlertLog alerts; // of the engine under test
    QByteArray &received = clientUnderTest ? pair.clientReceived : pair.serverReceived;
    // What every run reports of the engine under test at its end.
    const auto finish = [&] {
        outcome.handshakeComplete = engine.isHandshakeComplete();
        takeAlerts(engine, &alerts);
        outcome.closed = alerts.closeNotifyReceived;
        outcome.sessionReused = engine.isSessionReused();
        outcome.plaintext = received;
        return outcome;
    };
    if (recordedPayload) {
        // The seed generator: the real peer carries on; record what reaches the engine under test.
        QByteArray *toClient = clientUnderTest ? recordedPayload : nullptr;
        QByteArray *toServer = clientUnderTest ? nullptr : recordedPayload;
        pair.run(32, toClient, toServer);
        pair.write(peer, QByteArrayLiteral("peer application data"));
        pair.write(target, QByteArrayLiteral("target application data"));
        pair.shutdown(peer);
        pair.run(8, toClient, toServer);
        return finish();
    }

    // From here on the engine under test talks only to the payload; what it sends goes nowhere.
    outcome.output = takeAll(engine);
    bool wrote = false;
    const auto stepTarget = [&] {
        const TlsEngine::Result result = pair.step(target);
        takeAlerts(engine, &alerts);
        if (result == TlsEngine::Result::Closed && !alerts.closeNotifyReceived)
            violated("Closed means a close_notify was received");
        if (result == TlsEngine::Result::Failed && !engine.isFailed())
            violated("Failed is sticky");
        if (engine.isHandshakeComplete() && !engine.isFailed() && !wrote) {
            wrote = true;
            pair.write(target, QByteArrayLiteral("target application data"));
        }
        outcome.output.append(takeAll(engine));
        inspect(engine, &alerts);
    };
    if (stage == Stage::Encrypted) {
        // The real peer encrypts the payload as application data, in chunks, then closes.
        for (qsizetype offset = 0; offset < payload.size();) {
            const qsizetype n = chunker.next(payload.size() - offset);
            pair.write(peer, payload.mid(offset, n));
            offset += n;
            const QByteArray records = takeAll(pair.engine(peer));
            engine.feed(records.constData(), records.size());
            stepTarget();
        }
        pair.shutdown(peer);
        const QByteArray records = takeAll(pair.engine(peer));
        engine.feed(records.constData(), records.size());
        stepTarget();
        takeAlerts(engine, &alerts);
        if (!engine.isFailed() && (received.right(payload.size()) != payload || !alerts.closeNotifyReceived))
            violated("the engine decrypts exactly what its real peer encrypted");
    } else {
        for (qsizetype offset = 0; offset < payload.size();) {
            const qsizetype n = chunker.next(payload.size() - offset);
            engine.feed(payload.constData() + offset, n);
            offset += n;
            stepTarget();
        }
    }
    engine.feedEndOfStream();
    stepTarget();
    {
        const RandomScope scope(target ? RandomStream::Client : RandomStream::Server);
        engine.shutdown();
    }
    outcome.output.append(takeAll(engine));
    inspect(engine, &alerts);
    // Once failed, an engine stays failed and touches nothing.
    if (engine.isFailed()) {
        char byte = 0;
        qsizetype done = -1;
        if (engine.handshake() != TlsEngine::Result::Failed
            || engine.read(&byte, 1, &done) != TlsEngine::Result::Failed || done != 0
            || engine.write("x", 1, &done) != TlsEngine::Result::Failed || done != 0) {
            violated("a failed engine stays failed");
        }
    }
    outcome.failed = engine.isFailed();
    return finish();
}

} // namespace QtPskFuzz
