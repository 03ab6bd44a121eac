// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
//
// fuzz_psk_path: the server's hint and both sides' identities and keys are arbitrary bytes of any
// length (empty, embedded NULs, longer than OpenSSL's 256/512 limits). A full in-process
// handshake runs with them and the invariants below must hold; a violation aborts.
//
// Input: config byte, flag byte, then the hint, the client's identity, the client's key and the
// server's key, each as a big-endian u16 length and that many bytes.
//   flags bit 0: the client's slot refuses (returns false)    bit 1: the server's slot refuses
//   flags bit 2: the server's key is the client's key          bit 3: the hint is null
//   flags bit 4: the client defers its answer (deferAnswer())  bit 5: the server defers its answer
// A deferred answer is given once the handshake has stalled waiting for it (TlsEngine::answerPsk(),
// or refusePsk() for an empty key); the invariants are the same as for answers given at once.

#include "fuzzsupport.h"

#include <QSslPreSharedKeyAuthenticator>

#include "auth/qsslpresharedkeyauthenticator_p.h"
#include "auth/qsslpresharedkeyrequest_p.h"

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace QtPskFuzz {

namespace {

using QtPskPrivate::Tls13Psk;

struct PskConfig
{
    const char *name;
    int clientMaxVersion;
    int serverMaxVersion;
    int minVersion;
    Tls13Psk mode;
    const char *cipherList;
    const char *cipherSuites;
    bool mustFail; // a QtCompatible client offers no TLS 1.3 PSK: a PSK-only TLS 1.3 server refuses
};

const PskConfig kConfigs[] = {
    {"tls12", TLS1_2_VERSION, TLS1_2_VERSION, TLS1_2_VERSION, Tls13Psk::Offer,
     "PSK-AES128-GCM-SHA256", "", false},
    {"tls13-sha256", TLS1_3_VERSION, TLS1_3_VERSION, TLS1_3_VERSION, Tls13Psk::Offer, "",
     "TLS_AES_128_GCM_SHA256", false},
    {"tls13-sha384", TLS1_3_VERSION, TLS1_3_VERSION, TLS1_3_VERSION, Tls13Psk::Offer, "",
     "TLS_AES_256_GCM_SHA384", false},
    {"tls13-client-tls12-server", TLS1_3_VERSION, TLS1_2_VERSION, TLS1_2_VERSION, Tls13Psk::Offer,
     "PSK-AES128-GCM-SHA256", "", false},
    {"tls12-qt-compatible", TLS1_2_VERSION, TLS1_2_VERSION, TLS1_2_VERSION,
     Tls13Psk::QtCompatible, "PSK-AES128-GCM-SHA256", "", false},
    {"tls13-qt-compatible", TLS1_3_VERSION, TLS1_3_VERSION, TLS1_3_VERSION,
     Tls13Psk::QtCompatible, "", "TLS_AES_128_GCM_SHA256", true},
};
constexpr std::size_t kConfigCount = sizeof(kConfigs) / sizeof(kConfigs[0]);

constexpr int kMaxKey = PSK_MAX_PSK_LEN; // 512
constexpr int kMaxClientIdentity = PSK_MAX_IDENTITY_LEN - 1; // 255

// The bytes before the first NUL.
QByteArray cutAtNul(const QByteArray &bytes)
{
    const qsizetype nul = bytes.indexOf('\0');
    return nul < 0 ? bytes : bytes.left(nul);
}

// Checks what each request shows the slot, then answers with the fuzzed credentials.
class CheckedSlot : public QtPskPrivate::TlsEngineCallbacks
{
public:
    bool preSharedKeyAuthenticationRequired(QSslPreSharedKeyAuthenticator *authenticator) override
    {
        ++calls;
        if (!authenticator->preSharedKey().isNull())
            violated("a request starts without a key");
        if (authenticator->maximumPreSharedKeyLength() != kMaxKey)
            violated("the key maximum is OpenSSL's 512");
        const QByteArray hint = authenticator->identityHint();
        if (server) {
            if (authenticator->maximumIdentityLength() != 0)
                violated("a server's identity maximum is 0");
            if (hint != expectedHint || hint.isNull() != expectedHint.isNull())
                violated("the server's slot sees its own hint verbatim");
            const QByteArray peerIdentity = authenticator->identity();
            if (peerIdentity.isNull() || peerIdentity != expectedPeerIdentity)
                violated("the server sees the client's identity, cut at NUL and at 255 bytes");
        } else {
            if (authenticator->maximumIdentityLength() != kMaxClientIdentity)
                violated("a client's identity maximum is 255");
            if (!authenticator->identity().isNull())
                violated("a client request starts without an identity");
            if (!hint.isNull() && (hint.isEmpty() || hint != expectedHint))
                violated("the client sees no hint or the hint as sent on the wire");
            if (!hint.isNull())
                sawHint = true;
        }
        if (defer && answer) {
            using QtPskPrivate::AuthenticatorAccess;
            AuthenticatorAccess::setRequest(
                    *authenticator, new QSslPreSharedKeyRequestPrivate(*authenticator, nullptr));
            if (authenticator->deferAnswer().isNull())
                violated("a request shown to a slot can be deferred");
            authenticator->setPreSharedKey(QByteArrayLiteral("ignored: the answer comes later"));
            ++pending;
            return true;
        }
        authenticator->setIdentity(identity);
        authenticator->setPreSharedKey(key);
        return answer;
    }

    // Gives a deferred answer if \a engine waits for one; true if it did.
    bool answerPending(TlsEngine &engine)
    {
        if (!engine.isPskAnswerPending())
            return false;
        if (pending <= 0)
            violated("an engine waits only for a request its slot deferred");
        --pending;
        const bool given = key.isEmpty() ? engine.refusePsk() : engine.answerPsk(identity, key);
        if (!given || engine.isPskAnswerPending() || engine.answerPsk(identity, key))
            violated("a pending request takes exactly one answer");
        return true;
    }

    bool server = false;
    QByteArray identity;
    QByteArray key;
    bool answer = true;
    bool defer = false;
    int pending = 0; // deferred requests not yet answered
    QByteArray expectedHint; // server: the configured hint; client: the hint OpenSSL sends
    QByteArray expectedPeerIdentity; // server only
    int calls = 0;
    bool sawHint = false;
};

} // namespace

Outcome fuzzPskPath(const std::uint8_t *data, std::size_t size)
{
    initialize();
    FuzzInput input(data, size);
    const PskConfig &config = kConfigs[input.byte() % kConfigCount];
    const std::uint8_t flags = input.byte();
    QByteArray hint = input.lengthPrefixed();
    if (flags & 8)
        hint = QByteArray();
    const QByteArray identity = input.lengthPrefixed();
    const QByteArray clientKey = input.lengthPrefixed();
    const QByteArray serverKey = (flags & 4) ? clientKey : input.lengthPrefixed();

    TlsSettings clientSettings;
    clientSettings.minVersion = config.minVersion;
    clientSettings.maxVersion = config.clientMaxVersion;
    clientSettings.cipherList = config.cipherList;
    clientSettings.cipherSuites = config.cipherSuites;
    clientSettings.groups = "X25519";
    clientSettings.tls13Psk = config.mode;
    TlsSettings serverSettings = clientSettings;
    serverSettings.server = true;
    serverSettings.maxVersion = config.serverMaxVersion;
    serverSettings.tls13Psk = Tls13Psk::QtCompatible; // a client-only setting
    serverSettings.identityHint = hint;

    std::shared_ptr<TlsContext> clientContext;
    std::shared_ptr<TlsContext> serverContext;
    {
        const RandomScope scope(RandomStream::Setup);
        clientContext = TlsContext::get(clientSettings, nullptr);
        serverContext = TlsContext::get(serverSettings, nullptr);
    }
    if (!clientContext || !serverContext)
        violated("any hint gives a server context");
    flushSessions(serverContext);
    resetRandom();

    CheckedSlot client;
    client.identity = identity;
    client.key = clientKey;
    client.answer = !(flags & 1);
    client.defer = (flags & 16) != 0;
    const QByteArray wireHint = cutAtNul(hint);
    client.expectedHint = wireHint.size() <= PSK_MAX_IDENTITY_LEN ? wireHint : QByteArray();
    CheckedSlot server;
    server.server = true;
    server.key = serverKey;
    server.answer = !(flags & 2);
    server.defer = (flags & 32) != 0;
    server.expectedHint = hint;
    server.expectedPeerIdentity = cutAtNul(identity).left(kMaxClientIdentity);

    EnginePair pair(clientContext, serverContext, &client, &server);
    pair.step(true);
    pair.step(false);
    pair.run(16);
    // A stalled handshake waits for its deferred answers: give them, one side at a time.
    for (int answers = 0; answers < 4; ++answers) {
        const bool clientAnswered = client.answerPending(pair.engine(true));
        if (!clientAnswered && !server.answerPending(pair.engine(false)))
            break;
        pair.step(clientAnswered);
        pair.run(16);
    }
    if (client.pending != 0 || server.pending != 0)
        violated("every deferred request is answered before the handshake ends");

    TlsEngine &clientEngine = pair.engine(true);
    TlsEngine &serverEngine = pair.engine(false);
    const bool succeeded = clientEngine.isHandshakeComplete() && serverEngine.isHandshakeComplete()
            && !clientEngine.isFailed() && !serverEngine.isFailed();
    const QByteArray usedClientKey = clientKey.left(kMaxKey);
    const bool tls12 = config.serverMaxVersion == TLS1_2_VERSION;
    // TLS 1.3 identities are 1..65535 bytes: an empty one (or one starting with NUL) is not offered.
    const bool expectSuccess = client.answer && server.answer && !usedClientKey.isEmpty()
            && usedClientKey == serverKey.left(kMaxKey) && !config.mustFail
            && (tls12 || !server.expectedPeerIdentity.isEmpty());
    if (succeeded != expectSuccess)
        violated("the handshake succeeds exactly when both slots answer the same non-empty key");
    if (!succeeded && !clientEngine.isFailed() && !serverEngine.isFailed())
        violated("a handshake that does not succeed fails on one side");

    const bool offersTls13 = config.clientMaxVersion == TLS1_3_VERSION && config.mode == Tls13Psk::Offer;
    // One request per handshake, except a TLS 1.3 client that a TLS 1.2 server sends a hint.
    if (server.calls > 1 || client.calls > (offersTls13 && tls12 ? 2 : 1))
        violated("nobody is asked twice for the same thing");
    if (succeeded) {
        if (server.calls != 1 || client.calls < 1)
            violated("a PSK handshake asks both slots");
        if (clientEngine.protocolVersion() != serverEngine.protocolVersion()
            || clientEngine.cipherName() != serverEngine.cipherName()
            || clientEngine.protocolVersion() != (tls12 ? TLS1_2_VERSION : TLS1_3_VERSION))
            violated("both ends agree on the version and suite they were configured for");
        if (tls12 && !client.expectedHint.isEmpty() && !client.sawHint)
            violated("a TLS 1.2 client sees the hint the server sent");
        if (!tls12 && client.sawHint)
            violated("a TLS 1.3 client sees no hint");
        const QByteArray message = QByteArrayLiteral("psk path application data");
        pair.write(true, message);
        pair.run(4);
        if (!pair.serverReceived.endsWith(message))
            violated("application data crosses a PSK connection");
    }

    Outcome outcome;
    outcome.handshakeComplete = succeeded;
    outcome.failed = clientEngine.isFailed() || serverEngine.isFailed();
    outcome.plaintext = pair.serverReceived;
    return outcome;
}

} // namespace QtPskFuzz

QTPSK_FUZZ_TARGET(QtPskFuzz::fuzzPskPath(data, size))
