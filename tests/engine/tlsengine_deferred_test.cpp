// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// PSK requests answered later (TlsEngine::answerPsk(), refusePsk()): two engines in memory, each
// scenario run with synchronous answers and again with the client's, the server's or both
// sides' answers deferred; the whole trace (results, errors, alerts, the requests the slots saw,
// the session) must be the same. Also the paused engine's own rules and its destruction.
#include "engine/tlsengine_p.h"

#include "engine/tlscontext_p.h"

#include <QSslPreSharedKeyAuthenticator>

#include <QtCore/qbytearray.h>

#include <gtest/gtest.h>

#include "common/enginepump.h"
#include "enginetestsupport.h"

#include <memory>
#include <sstream>
#include <string>
#include <vector>

using QtPskPrivate::TlsAlert;
using QtPskPrivate::TlsContext;
using QtPskPrivate::TlsEngine;
using QtPskPrivate::TlsSettings;
using QtPskPrivate::Tls13Psk;
using QtPskEngineTest::clientSettings;
using QtPskEngineTest::serverSettings;
using QtPskTest::DeferringCredentials;
using QtPskTest::EngineCredentials;
using Result = TlsEngine::Result;

namespace {

const QByteArray kHint = QtPskTest::qtTestHint();
const QByteArray kIdentity = QtPskTest::qtTestIdentity();
const QByteArray kKey = QtPskTest::qtTestKey();

struct Scenario
{
    const char *name;
    TlsSettings client;
    TlsSettings server;
    QByteArray clientIdentity = kIdentity;
    QByteArray clientKey = kKey;
    QByteArray serverKey = kKey;
};

enum class Defer { None, Client, Server, Both };

// Each Defer's name, in the enum's order.
const char *const kDeferNames[] = {"none", "client", "server", "both"};

TlsSettings tls12(TlsSettings settings, const char *cipher)
{
    settings.minVersion = settings.maxVersion = TLS1_2_VERSION;
    settings.cipherList = cipher;
    return settings;
}

TlsSettings withSuites(TlsSettings settings, const char *suites)
{
    settings.cipherSuites = suites;
    return settings;
}

TlsSettings withGroups(TlsSettings settings, const char *groups)
{
    settings.groups = groups;
    return settings;
}

TlsSettings withoutDhe(TlsSettings settings)
{
    settings.allowNoDheKex = true;
    settings.groups = settings.server ? "P-256" : "X25519";
    return settings;
}

std::string describe(const EngineCredentials &credentials)
{
    std::ostringstream out;
    out << credentials.calls << " request(s):";
    for (const QSslPreSharedKeyAuthenticator &asked : credentials.seen) {
        out << " [hint " << asked.identityHint().toHex().toStdString() << ", identity "
            << asked.identity().toHex().toStdString() << ", max " << asked.maximumIdentityLength()
            << "/" << asked.maximumPreSharedKeyLength() << "]";
    }
    return out.str();
}

std::string describe(const std::vector<TlsAlert> &alerts)
{
    std::ostringstream out;
    for (const TlsAlert &alert : alerts)
        out << (alert.sent ? " sent " : " received ") << alert.level << "/" << alert.type;
    return out.str();
}

// Everything one run shows: the same string for the same behaviour.
std::string runScenario(const Scenario &scenario, Defer defer)
{
    QString error;
    const auto clientContext = TlsContext::get(scenario.client, &error);
    const auto serverContext = TlsContext::get(scenario.server, &error);
    if (!clientContext || !serverContext)
        return "no context: " + error.toStdString();
    EngineCredentials clientAnswers(scenario.clientIdentity, scenario.clientKey);
    EngineCredentials serverAnswers(QByteArray(), scenario.serverKey);
    DeferringCredentials clientDeferring(clientAnswers);
    DeferringCredentials serverDeferring(serverAnswers);
    const bool deferClient = defer == Defer::Client || defer == Defer::Both;
    const bool deferServer = defer == Defer::Server || defer == Defer::Both;
    TlsEngine client(clientContext, deferClient
                             ? static_cast<QtPskPrivate::TlsEngineCallbacks *>(&clientDeferring)
                             : &clientAnswers);
    TlsEngine server(serverContext, deferServer
                             ? static_cast<QtPskPrivate::TlsEngineCallbacks *>(&serverDeferring)
                             : &serverAnswers);
    std::vector<TlsAlert> clientAlerts;
    std::vector<TlsAlert> serverAlerts;
    Result clientResult = Result::WantInput;
    Result serverResult = Result::WantInput;
    int answered = 0;
    const bool settled = QtPskTest::pumpDeferredHandshake(
            client, server, &clientResult, &serverResult,
            [&] {
                // One side at a time, as answers arrive in any order.
                const bool given = clientDeferring.answerPending(client)
                        || serverDeferring.answerPending(server);
                answered += given ? 1 : 0;
                return given;
            },
            [&] {
                for (TlsAlert &alert : client.takeAlerts())
                    clientAlerts.push_back(std::move(alert));
                for (TlsAlert &alert : server.takeAlerts())
                    serverAlerts.push_back(std::move(alert));
            });
    std::ostringstream out;
    out << "settled " << settled << "; client " << int(clientResult) << " '"
        << client.errorString().toStdString() << "' alerts" << describe(clientAlerts) << "; server "
        << int(serverResult) << " '" << server.errorString().toStdString() << "' alerts"
        << describe(serverAlerts) << "; " << std::hex << client.protocolVersion() << std::dec << " "
        << client.cipherName().toStdString() << "; client asked " << describe(clientAnswers)
        << "; server asked " << describe(serverAnswers) << "; diagnosis "
        << int(client.diagnosis()) << "/" << int(server.diagnosis());
    if (clientResult == Result::Ok && serverResult == Result::Ok) {
        qsizetype consumed = 0;
        client.write("ping", 4, &consumed);
        const QByteArray record = client.takeOutput();
        server.feed(record.constData(), record.size());
        char buffer[16] = {};
        qsizetype got = 0;
        server.read(buffer, sizeof buffer, &got);
        out << "; data '" << std::string(buffer, size_t(got)) << "'";
    }
    // Each deferred request was deferred exactly once and answered exactly once.
    const int deferred = clientDeferring.deferred + serverDeferring.deferred;
    if (deferred != answered)
        out << "; " << deferred << " deferred but " << answered << " answered";
    if ((deferClient && clientDeferring.deferred != clientAnswers.calls)
        || (deferServer && serverDeferring.deferred != serverAnswers.calls)) {
        out << "; a request was not deferred";
    }
    return out.str();
}

std::vector<Scenario> scenarios()
{
    const QByteArray longIdentity(300, 'i');
    const QByteArray longKey(600, 'k');
    std::vector<Scenario> all = {
        {"TLS 1.2 PSK-AES256-GCM-SHA384, hint", tls12(clientSettings(), "PSK-AES256-GCM-SHA384"),
         tls12(serverSettings(), "PSK-AES256-GCM-SHA384")},
        {"TLS 1.2 PSK-CHACHA20-POLY1305, no hint", tls12(clientSettings(), "PSK-CHACHA20-POLY1305"),
         tls12(serverSettings(QByteArray()), "PSK-CHACHA20-POLY1305")},
        {"TLS 1.2 DHE-PSK", tls12(clientSettings(), "DHE-PSK-AES128-GCM-SHA256"),
         tls12(serverSettings(), "DHE-PSK-AES128-GCM-SHA256")},
        {"TLS 1.2 ECDHE-PSK", tls12(clientSettings(), "ECDHE-PSK-CHACHA20-POLY1305"),
         tls12(serverSettings(), "ECDHE-PSK-CHACHA20-POLY1305")},
        {"TLS 1.2 PSK-AES128-CBC-SHA", tls12(clientSettings(Tls13Psk::QtCompatible), "PSK-AES128-CBC-SHA"),
         tls12(serverSettings(), "PSK-AES128-CBC-SHA")},
        {"TLS 1.3, SHA-256", clientSettings(), serverSettings()},
        {"TLS 1.3, SHA-384 only", withSuites(clientSettings(), "TLS_AES_256_GCM_SHA384"),
         withSuites(serverSettings(), "TLS_AES_256_GCM_SHA384")},
        {"TLS 1.3 with HelloRetryRequest", withGroups(clientSettings(), "X25519:P-256"),
         withGroups(serverSettings(), "P-256")},
        {"TLS 1.3 psk_ke", withoutDhe(clientSettings()), withoutDhe(serverSettings())},
        {"TLS 1.3 QT_USE_TLS_1_3_PSK", clientSettings(Tls13Psk::QtOptIn), serverSettings()},
        {"TLS 1.3 client, TLS 1.2 server with hint", clientSettings(),
         tls12(serverSettings(), "PSK-AES256-GCM-SHA384")},
        {"TLS 1.3 client, TLS 1.2 server without hint", clientSettings(),
         tls12(serverSettings(QByteArray()), "PSK-AES256-GCM-SHA384")},
        {"Qt's client against both versions", clientSettings(Tls13Psk::QtCompatible), serverSettings()},
    };
    // The failures and the cuts, in both versions.
    for (const bool tls13 : {false, true}) {
        const TlsSettings client = tls13 ? clientSettings() : tls12(clientSettings(), "PSK-AES128-GCM-SHA256");
        const TlsSettings server = tls13 ? serverSettings() : tls12(serverSettings(), "PSK-AES128-GCM-SHA256");
        Scenario wrongKey{tls13 ? "TLS 1.3 wrong key" : "TLS 1.2 wrong key", client, server};
        wrongKey.serverKey = QByteArray::fromHex("0102030405");
        Scenario serverRefuses{tls13 ? "TLS 1.3 server refuses" : "TLS 1.2 server refuses", client, server};
        serverRefuses.serverKey = QByteArray();
        Scenario clientRefuses{tls13 ? "TLS 1.3 client refuses" : "TLS 1.2 client refuses", client, server};
        clientRefuses.clientKey = QByteArray();
        Scenario cut{tls13 ? "TLS 1.3 long identity and key" : "TLS 1.2 long identity and key", client, server};
        cut.clientIdentity = longIdentity;
        cut.clientKey = longKey;
        cut.serverKey = longKey;
        Scenario embeddedNul{tls13 ? "TLS 1.3 identity with a NUL" : "TLS 1.2 identity with a NUL", client, server};
        embeddedNul.clientIdentity = QByteArray("abc\0def", 7);
        for (const Scenario &scenario : {wrongKey, serverRefuses, clientRefuses, cut, embeddedNul})
            all.push_back(scenario);
    }
    return all;
}

} // namespace

TEST(TlsEngineDeferred, OpenSslRunsAsyncJobs)
{
    // Every other test here needs them; a build without them would test nothing.
    EXPECT_TRUE(TlsEngine::isDeferralSupported());
}

TEST(TlsEngineDeferred, EveryScenarioBehavesTheSameAnsweredLater)
{
    for (const Scenario &scenario : scenarios()) {
        const std::string now = runScenario(scenario, Defer::None);
        EXPECT_NE(now.find("settled 1"), std::string::npos) << scenario.name << ": " << now;
        for (const Defer defer : {Defer::Client, Defer::Server, Defer::Both}) {
            EXPECT_EQ(runScenario(scenario, defer), now)
                    << scenario.name << ", deferred on " << kDeferNames[int(defer)];
        }
    }
}

namespace {

struct PausedPair
{
    explicit PausedPair(const TlsSettings &client = clientSettings(),
                        const TlsSettings &server = serverSettings())
    {
        QString error;
        clientEngine = std::make_unique<TlsEngine>(TlsContext::get(client, &error), &clientAnswers);
        serverEngine = std::make_unique<TlsEngine>(TlsContext::get(server, &error), &serverDeferring);
    }
    // Runs the handshake until the server waits for its answer.
    bool untilServerWaits()
    {
        QtPskTest::pumpHandshake(*clientEngine, *serverEngine, &clientResult, &serverResult);
        return serverEngine->isPskAnswerPending();
    }

    QtPskTest::QtTestCredentials clientAnswers;
    QtPskTest::QtTestCredentials serverAnswers;
    DeferringCredentials serverDeferring{serverAnswers};
    std::unique_ptr<TlsEngine> clientEngine;
    std::unique_ptr<TlsEngine> serverEngine;
    Result clientResult = Result::WantInput;
    Result serverResult = Result::WantInput;
};

} // namespace

TEST(TlsEngineDeferred, WaitingEngineTakesInputButDoesNothingUntilAnswered)
{
    PausedPair pair;
    ASSERT_TRUE(pair.untilServerWaits());
    EXPECT_EQ(pair.serverResult, Result::WantInput);
    EXPECT_EQ(pair.serverAnswers.calls, 1);
    TlsEngine &server = *pair.serverEngine;
    char buffer[8];
    qsizetype done = 7;
    EXPECT_EQ(server.read(buffer, sizeof buffer, &done), Result::WantInput);
    EXPECT_EQ(done, 0);
    EXPECT_EQ(server.write("x", 1, &done), Result::WantInput);
    EXPECT_EQ(server.handshake(), Result::WantInput);
    server.feed("garbage", 7); // waits in the input; OpenSSL sees it once the job resumes
    EXPECT_EQ(server.handshake(), Result::WantInput);
    EXPECT_TRUE(server.isPskAnswerPending());
    EXPECT_FALSE(server.isHandshakeComplete());
    EXPECT_FALSE(server.isFailed());
    // The answer; the garbage then fails the handshake, as it would have at once.
    EXPECT_TRUE(pair.serverDeferring.answerPending(server));
    EXPECT_FALSE(server.isPskAnswerPending());
    EXPECT_FALSE(server.answerPsk(QByteArray(), kKey)); // a second answer: nothing pending
    EXPECT_FALSE(server.refusePsk());
    EXPECT_EQ(server.handshake(), Result::Failed);
    EXPECT_EQ(pair.serverAnswers.calls, 1);
}

TEST(TlsEngineDeferred, AnswerWithoutAPendingRequestChangesNothing)
{
    PausedPair pair;
    EXPECT_FALSE(pair.serverEngine->answerPsk(QByteArray(), kKey));
    EXPECT_FALSE(pair.serverEngine->refusePsk());
    EXPECT_FALSE(pair.clientEngine->answerPsk(kIdentity, kKey));
    Result client = Result::WantInput;
    Result server = Result::WantInput;
    ASSERT_TRUE(QtPskTest::pumpDeferredHandshake(*pair.clientEngine, *pair.serverEngine, &client,
                                                 &server, [&] {
                                                     return pair.serverDeferring.answerPending(
                                                             *pair.serverEngine);
                                                 }));
    EXPECT_EQ(client, Result::Ok);
    EXPECT_EQ(server, Result::Ok);
    EXPECT_FALSE(pair.serverEngine->answerPsk(QByteArray(), kKey)); // after the handshake
}

// The paused job holds OpenSSL's handshake on its stack; the destructor ends it (under ASan and
// LeakSanitizer nothing may leak, nothing may be touched after it is freed).
TEST(TlsEngineDeferred, DestroyingAWaitingServerEndsItsJob)
{
    for (const bool tls13 : {false, true}) {
        PausedPair pair(tls13 ? clientSettings() : tls12(clientSettings(), "PSK-AES128-GCM-SHA256"),
                        tls13 ? serverSettings() : tls12(serverSettings(), "PSK-AES128-GCM-SHA256"));
        ASSERT_TRUE(pair.untilServerWaits()) << tls13;
        pair.serverEngine.reset();
        EXPECT_EQ(pair.serverAnswers.calls, 1);
    }
}

TEST(TlsEngineDeferred, DestroyingAWaitingClientEndsItsJob)
{
    for (const bool tls13 : {false, true}) {
        QString error;
        QtPskTest::QtTestCredentials answers;
        DeferringCredentials deferring(answers);
        const TlsSettings settings = tls13 ? clientSettings() : tls12(clientSettings(), "PSK-AES128-GCM-SHA256");
        TlsEngine *raw = nullptr;
        {
            auto client = std::make_unique<TlsEngine>(TlsContext::get(settings, &error), &deferring);
            raw = client.get();
            if (tls13) {
                // The TLS 1.3 request comes while the first ClientHello is built.
                EXPECT_EQ(client->handshake(), Result::WantInput);
                EXPECT_TRUE(client->isPskAnswerPending());
                EXPECT_EQ(client->pendingOutput(), 0); // no ClientHello without the answer
            } else {
                QtPskTest::QtTestCredentials serverAnswers;
                TlsEngine server(TlsContext::get(tls12(serverSettings(), "PSK-AES128-GCM-SHA256"), &error),
                                 &serverAnswers);
                Result clientResult = Result::WantInput;
                Result serverResult = Result::WantInput;
                QtPskTest::pumpHandshake(*client, server, &clientResult, &serverResult);
                EXPECT_TRUE(client->isPskAnswerPending());
            }
        }
        EXPECT_NE(raw, nullptr);
        EXPECT_EQ(answers.calls, 1);
    }
}

TEST(TlsEngineDeferred, ManyEnginesWaitAtOnceOnOneThread)
{
    // Each waiting engine keeps one paused job (and its stack): 200 of them, answered in reverse.
    std::vector<std::unique_ptr<PausedPair>> pairs;
    for (int i = 0; i < 200; ++i) {
        pairs.push_back(std::make_unique<PausedPair>());
        ASSERT_TRUE(pairs.back()->untilServerWaits()) << i;
    }
    for (auto it = pairs.rbegin(); it != pairs.rend(); ++it) {
        PausedPair &pair = **it;
        Result client = Result::WantInput;
        Result server = Result::WantInput;
        ASSERT_TRUE(QtPskTest::pumpDeferredHandshake(*pair.clientEngine, *pair.serverEngine,
                                                     &client, &server, [&] {
                                                         return pair.serverDeferring.answerPending(
                                                                 *pair.serverEngine);
                                                     }));
        EXPECT_EQ(client, Result::Ok);
        EXPECT_EQ(server, Result::Ok);
    }
}
