// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Two TlsEngines connected in memory, without sockets: the credentials that answer their PSK
// requests and the pump that carries the ciphertext between them. Shared by the engine tests, the
// hygiene tests, the fuzz harness and the engine benchmark. Header-only and free of GoogleTest:
// the fuzzers and the benchmark link no test framework, so the callers judge the results.
#ifndef QTPSK_TEST_ENGINEPUMP_H
#define QTPSK_TEST_ENGINEPUMP_H

#include "auth/qsslpresharedkeyauthenticator_p.h"
#include "auth/qsslpresharedkeyrequest_p.h"
#include "common/distinctbytes.h"
#include "engine/tlscontext_p.h"
#include "engine/tlsengine_p.h"

#include <QtPsk/qsslpresharedkeyauthenticator.h>

#include <QtCore/qbytearray.h>

#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

namespace QtPskTest {

using EngineAuthenticator = QTPSK_PREPEND_NAMESPACE(QSslPreSharedKeyAuthenticator);
using Engine = QTPSK_PREPEND_NAMESPACE(QtPskPrivate::TlsEngine);
using EngineResult = Engine::Result;

// Answers every PSK request with \c identity and \c key (or, for the n-th request, \c keys[n]
// where given) and returns \c answer. With \c keepRequests it keeps a copy of each request as it
// arrived (its setters below detach from the copy); \c during runs inside the request, like a
// slot connected to the signal.
class EngineCredentials : public QTPSK_PREPEND_NAMESPACE(QtPskPrivate::TlsEngineCallbacks)
{
public:
    EngineCredentials() = default;
    EngineCredentials(const QByteArray &fixedIdentity, const QByteArray &fixedKey)
        : identity(fixedIdentity), key(fixedKey)
    {
    }

    bool preSharedKeyAuthenticationRequired(EngineAuthenticator *authenticator) override
    {
        if (keepRequests)
            seen.push_back(*authenticator);
        const std::size_t call = std::size_t(calls++);
        if (during)
            during();
        authenticator->setIdentity(identity);
        authenticator->setPreSharedKey(call < keys.size() ? keys[call] : key);
        return answer;
    }
    const EngineAuthenticator &last() const { return seen.back(); }

    QByteArray identity;
    QByteArray key;
    std::vector<QByteArray> keys; // per request, where set; then `key`
    bool answer = true;
    bool keepRequests = true;
    std::function<void()> during;
    int calls = 0;
    std::vector<EngineAuthenticator> seen; // with keepRequests
};

// Defers every PSK request the way a slot does (deferAnswer()), and keeps the answer \c inner
// gives (worked out on a copy of the request) for answerPending() to give later. What it sets
// on the deferred authenticator itself must be ignored by the engine. A request \c inner
// refuses (returns false: an owner being aborted) is not deferred.
class DeferringCredentials : public QTPSK_PREPEND_NAMESPACE(QtPskPrivate::TlsEngineCallbacks)
{
public:
    explicit DeferringCredentials(EngineCredentials &answerer) : inner(answerer) { }

    bool preSharedKeyAuthenticationRequired(EngineAuthenticator *authenticator) override
    {
        using QTPSK_PREPEND_NAMESPACE(QtPskPrivate::AuthenticatorAccess);
        EngineAuthenticator copy(*authenticator);
        if (!inner.preSharedKeyAuthenticationRequired(&copy))
            return false;
        AuthenticatorAccess::setRequest(
                *authenticator,
                new QTPSK_PREPEND_NAMESPACE(QSslPreSharedKeyRequestPrivate)(*authenticator, nullptr));
        authenticator->deferAnswer();
        authenticator->setIdentity(QByteArrayLiteral("not this identity"));
        authenticator->setPreSharedKey(QByteArrayLiteral("not this key"));
        answers.push_back({copy.identity(), copy.preSharedKey()});
        ++deferred;
        return true;
    }

    // If \a engine waits for an answer: gives it the oldest kept one (an empty key is given as a
    // refusal when \c refuseEmpty, else as an empty key) and returns true.
    bool answerPending(Engine &engine)
    {
        if (!engine.isPskAnswerPending() || answers.empty())
            return false;
        const auto answer = answers.front();
        answers.erase(answers.begin());
        if (refuseEmpty && answer.second.isEmpty())
            return engine.refusePsk();
        return engine.answerPsk(answer.first, answer.second);
    }

    EngineCredentials &inner;
    std::vector<std::pair<QByteArray, QByteArray>> answers; // identity, key; oldest first
    bool refuseEmpty = true;
    int deferred = 0;
};

// The PSK values of Qt's own PSK tests (tst_QSslSocket), which the engine tests use.
inline QByteArray qtTestHint()
{
    return QByteArrayLiteral("QtTestServerHint");
}
inline QByteArray qtTestIdentity()
{
    return QByteArrayLiteral("Client_identity");
}
inline QByteArray qtTestKey()
{
    return QByteArray::fromHex("1a2b3c4d5e6f");
}

// EngineCredentials answering with Qt's test identity and key.
struct QtTestCredentials : EngineCredentials
{
    QtTestCredentials() : EngineCredentials(qtTestIdentity(), qtTestKey()) { }
};

// A handshake result after which handshake() has nothing more to do.
inline bool isFinal(EngineResult result)
{
    return result == EngineResult::Ok || result == EngineResult::Failed
            || result == EngineResult::Closed;
}

// Moves all pending output of \a from into \a to, in pieces of \a cut(remaining) bytes (whole
// when \a cut is empty), and calls \a step after each piece. Returns whether anything moved.
template <typename Step>
bool deliver(Engine &from, Engine &to, Step step,
             const std::function<qsizetype(qsizetype)> &cut = {})
{
    const QByteArray bytes = from.takeOutput();
    for (qsizetype offset = 0; offset < bytes.size();) {
        const qsizetype n = cut ? cut(bytes.size() - offset) : bytes.size() - offset;
        to.feed(bytes.constData() + offset, n);
        offset += n;
        step();
    }
    return !bytes.isEmpty();
}

// Runs both handshakes: starts them, then at most \a rounds rounds, each delivering the client's
// output to the server and the server's to the client; after each piece delivered, the receiver's
// handshake() runs again unless its last result was final. \a afterRound runs after each round.
// Returns true once a round moves nothing (the handshakes have settled: *clientResult and
// *serverResult are where they stay), false if they were still moving after \a rounds rounds.
inline bool pumpHandshake(Engine &client, Engine &server, EngineResult *clientResult,
                          EngineResult *serverResult, int rounds = 1000,
                          const std::function<qsizetype(qsizetype)> &cut = {},
                          const std::function<void()> &afterRound = {})
{
    *clientResult = client.handshake();
    *serverResult = server.handshake();
    const auto stepper = [](Engine &engine, EngineResult *result) {
        return [&engine, result] {
            if (!isFinal(*result))
                *result = engine.handshake();
        };
    };
    for (int round = 0; round < rounds; ++round) {
        const bool sent = deliver(client, server, stepper(server, serverResult), cut);
        const bool received = deliver(server, client, stepper(client, clientResult), cut);
        if (afterRound)
            afterRound();
        if (!sent && !received)
            return true;
    }
    return false;
}

// pumpHandshake() until both handshakes settle with no answer pending: each time they settle
// while \a client or \a server waits for an answer, \a answer is called (it answers and returns
// true, or returns false to leave them waiting). Returns false if they never settle.
inline bool pumpDeferredHandshake(Engine &client, Engine &server, EngineResult *clientResult,
                                  EngineResult *serverResult,
                                  const std::function<bool()> &answer,
                                  const std::function<void()> &afterRound = {})
{
    for (int attempt = 0; attempt < 20; ++attempt) {
        if (!pumpHandshake(client, server, clientResult, serverResult, 1000, {}, afterRound))
            return false;
        if (!client.isPskAnswerPending() && !server.isPskAnswerPending())
            return true;
        if (!answer())
            return true;
    }
    return false;
}

} // namespace QtPskTest

#endif // QTPSK_TEST_ENGINEPUMP_H
