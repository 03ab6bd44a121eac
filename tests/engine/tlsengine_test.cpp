// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "engine/tlsengine_p.h"

#include "engine/tlscontext_p.h"

#include <QSslCipher>
#include <QSslPreSharedKeyAuthenticator>

#include <QtCore/qbytearray.h>

#include <gtest/gtest.h>

#include "common/enginepump.h"
#include "enginetestsupport.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

using QtPskPrivate::TlsContext;
using QtPskPrivate::TlsEngine;
using QtPskPrivate::TlsEngineCallbacks;
using QtPskPrivate::TlsSettings;
using QtPskPrivate::Tls13Psk;

namespace {

using namespace QtPskEngineTest;

// How ciphertext is cut on its way between the engines.
enum class Cut { Whole, SingleBytes, Random };

class Fragmenter
{
public:
    explicit Fragmenter(Cut cut) : m_cut(cut) { }
    qsizetype next(qsizetype remaining)
    {
        switch (m_cut) {
        case Cut::Whole:
            return remaining;
        case Cut::SingleBytes:
            return 1;
        case Cut::Random:
            break;
        }
        std::uniform_int_distribution<qsizetype> size(1, std::min<qsizetype>(remaining, 3000));
        return size(m_random);
    }

private:
    Cut m_cut;
    std::mt19937 m_random{20240601u};
};

using QtPskTest::isFinal;

TlsSettings pskSettings(bool server, const QByteArray &cipher = QByteArrayLiteral("PSK-AES256-CBC-SHA"))
{
    TlsSettings settings;
    settings.server = server;
    settings.minVersion = TLS1_2_VERSION;
    settings.maxVersion = TLS1_2_VERSION;
    settings.cipherList = cipher;
    if (server)
        settings.identityHint = kHint;
    return settings;
}

// A fatal alert of \a type with its text, sent (or received) as \a sent says.
bool hasAlert(const std::vector<TlsAlert> &alerts, bool sent, int type)
{
    return hasFatalAlert(alerts, sent, type, AlertText::Required);
}

// A client engine and a server engine, connected in memory.
class EnginePair : public HandshakeOutcome
{
public:
    EnginePair(const TlsSettings &clientSettings, const TlsSettings &serverSettings,
               Cut cut = Cut::Whole)
        : fragmenter(cut)
    {
        QString error;
        std::shared_ptr<TlsContext> clientContext = TlsContext::get(clientSettings, &error);
        std::shared_ptr<TlsContext> serverContext = TlsContext::get(serverSettings, &error);
        EXPECT_TRUE(clientContext && serverContext) << error.toStdString();
        if (clientContext && serverContext) {
            client = std::make_unique<TlsEngine>(clientContext, &clientCredentials);
            server = std::make_unique<TlsEngine>(serverContext, &serverCredentials);
        }
    }

    // Runs both handshakes until each is done or failed and no ciphertext is left in flight.
    void handshake()
    {
        ASSERT_TRUE(client && server);
        const bool settled = QtPskTest::pumpHandshake(
                *client, *server, &clientResult, &serverResult, 1000, cut(), [this] { collectAlerts(); });
        if (!settled || !isFinal(clientResult) || !isFinal(serverResult))
            ADD_FAILURE() << "the handshake did not settle";
    }

    // The fragmenter's cuts, for QtPskTest::deliver().
    std::function<qsizetype(qsizetype)> cut()
    {
        return [this](qsizetype remaining) { return fragmenter.next(remaining); };
    }

    // Moves all pending ciphertext of \a from into \a to, in fragments, calling \a step after each.
    template <typename Step>
    bool deliver(TlsEngine &from, TlsEngine &to, Step step)
    {
        return QtPskTest::deliver(from, to, step, cut());
    }

    // Reads all plaintext \a engine can decrypt now into \a into; returns the last result.
    static Result drain(TlsEngine &engine, QByteArray &into)
    {
        char buffer[16384];
        for (;;) {
            qsizetype got = -1;
            const Result result = engine.read(buffer, qsizetype(sizeof(buffer)), &got);
            if (result != Result::Ok)
                return result;
            EXPECT_GT(got, 0);
            into.append(buffer, got);
        }
    }

    // Sends \a data from \a from to \a to and returns what \a to decrypted.
    QByteArray transfer(TlsEngine &from, TlsEngine &to, const QByteArray &data)
    {
        for (qsizetype offset = 0; offset < data.size();) {
            qsizetype consumed = 0;
            const Result result = from.write(data.constData() + offset, data.size() - offset, &consumed);
            EXPECT_EQ(result, Result::Ok);
            if (result != Result::Ok)
                break;
            offset += consumed;
        }
        QByteArray received;
        Result last = Result::WantInput;
        deliver(from, to, [&] { last = drain(to, received); });
        EXPECT_EQ(last, Result::WantInput);
        deliver(to, from, [&] { QByteArray ignored; drain(from, ignored); }); // e.g. TLS 1.3 tickets
        return received;
    }

    void collectAlerts()
    {
        takeAlerts(*client, clientAlerts);
        takeAlerts(*server, serverAlerts);
    }

    // A handshake that succeeds on both sides (a non-fatal check) after asking each side's slot
    // once (fatal checks, for ASSERT_NO_FATAL_FAILURE).
    void handshakeAskingEachSideOnce()
    {
        handshake();
        EXPECT_TRUE(bothOk());
        assertCalls(1, 1);
    }

    // How many times each side's credential slot was asked.
    void expectCalls(int clientCalls, int serverCalls) const
    {
        QtPskEngineTest::expectCalls(clientCredentials, serverCredentials, clientCalls, serverCalls);
    }

    // The same as fatal checks (for ASSERT_NO_FATAL_FAILURE).
    void assertCalls(int clientCalls, int serverCalls) const
    {
        ASSERT_EQ(clientCredentials.calls, clientCalls);
        ASSERT_EQ(serverCredentials.calls, serverCalls);
    }

    // The fatal alert \a type, sent by the server and received by the client.
    void expectAlertFromServer(int type) const
    {
        EXPECT_TRUE(hasAlert(serverAlerts, true, type));
        EXPECT_TRUE(hasAlert(clientAlerts, false, type));
    }

    // The fatal alert \a type, sent by the client and received by the server.
    void expectAlertFromClient(int type) const
    {
        EXPECT_TRUE(hasAlert(clientAlerts, true, type));
        EXPECT_TRUE(hasAlert(serverAlerts, false, type));
    }

    Fragmenter fragmenter;
    Credentials clientCredentials;
    Credentials serverCredentials;
    std::unique_ptr<TlsEngine> client;
    std::unique_ptr<TlsEngine> server;
};

// What the socket's Tls13PskPolicy gives a QtCompatible client while QT_USE_TLS_1_3_PSK is set:
// the engine itself reads no environment.
TlsSettings qtOptIn(TlsSettings settings)
{
    settings.tls13Psk = Tls13Psk::QtOptIn;
    return settings;
}

// TLS 1.3 only, with OpenSSL's default ciphers.
TlsSettings tls13Settings(bool server)
{
    TlsSettings settings = pskSettings(server, QByteArray());
    settings.minVersion = settings.maxVersion = TLS1_3_VERSION;
    return settings;
}

// A TLS 1.2 PSK server that gives \a hint.
TlsSettings pskServerWithHint(const QByteArray &hint)
{
    TlsSettings settings = pskSettings(true);
    settings.identityHint = hint;
    return settings;
}

} // namespace

// --- Successful TLS 1.2 handshakes over every PSK key exchange and fragmentation ---------------

struct HandshakeCase
{
    const char *cipher;
    Cut cut;
};

void PrintTo(const HandshakeCase &param, std::ostream *out)
{
    *out << param.cipher << " cut " << int(param.cut);
}

std::string handshakeCaseName(const ::testing::TestParamInfo<HandshakeCase> &param)
{
    static const char *const cuts[] = {"Whole", "SingleBytes", "Random"};
    std::string name = param.param.cipher;
    std::replace(name.begin(), name.end(), '-', '_');
    return name + "_" + cuts[int(param.param.cut)];
}

class TlsEngineHandshake : public ::testing::TestWithParam<HandshakeCase>
{
};

TEST_P(TlsEngineHandshake, CompletesWithQtExactAuthenticatorsAndCarriesDataBothWays)
{
    const Tls13PskVariable variable(false);
    const QByteArray cipher(GetParam().cipher);
    EnginePair pair(pskSettings(false, cipher), pskSettings(true, cipher), GetParam().cut);
    pair.handshake();
    ASSERT_TRUE(pair.bothOk()) << pair.client->errorString().toStdString() << " / "
                               << pair.server->errorString().toStdString();

    ASSERT_EQ(pair.clientCredentials.calls, 1);
    const QSslPreSharedKeyAuthenticator &client = pair.clientCredentials.last();
    EXPECT_EQ(client.identityHint(), kHint);
    EXPECT_EQ(client.maximumIdentityLength(), 255);
    EXPECT_EQ(client.maximumPreSharedKeyLength(), 512);
    EXPECT_TRUE(client.identity().isNull());
    EXPECT_TRUE(client.preSharedKey().isNull());

    ASSERT_EQ(pair.serverCredentials.calls, 1);
    const QSslPreSharedKeyAuthenticator &server = pair.serverCredentials.last();
    EXPECT_EQ(server.identityHint(), kHint);
    EXPECT_EQ(server.identity(), kIdentity);
    EXPECT_EQ(server.maximumIdentityLength(), 0);
    EXPECT_EQ(server.maximumPreSharedKeyLength(), 512);
    EXPECT_TRUE(server.preSharedKey().isNull());

    for (TlsEngine *engine : {pair.client.get(), pair.server.get()}) {
        EXPECT_EQ(engine->cipherName(), cipher);
        EXPECT_EQ(engine->protocolVersion(), TLS1_2_VERSION);
        EXPECT_FALSE(engine->peerSentCertificate());
        EXPECT_GT(QSslCipher(QString::fromLatin1(engine->cipherName())).usedBits(), 0);
    }
    EXPECT_FALSE(pair.client->isServer());
    EXPECT_TRUE(pair.server->isServer());
    EXPECT_TRUE(pair.clientAlerts.empty());
    EXPECT_TRUE(pair.serverAlerts.empty());

    EXPECT_EQ(pair.transfer(*pair.client, *pair.server, "Hello from the client"),
              QByteArray("Hello from the client"));
    EXPECT_EQ(pair.transfer(*pair.server, *pair.client, "Hello from the server"),
              QByteArray("Hello from the server"));
    pair.expectCalls(1, 1);
}

INSTANTIATE_TEST_SUITE_P(
        PskSuites, TlsEngineHandshake,
        ::testing::Values(HandshakeCase{"PSK-AES256-CBC-SHA", Cut::Whole},
                          HandshakeCase{"PSK-AES256-CBC-SHA", Cut::SingleBytes},
                          HandshakeCase{"PSK-AES256-CBC-SHA", Cut::Random},
                          HandshakeCase{"PSK-AES128-GCM-SHA256", Cut::Whole},
                          HandshakeCase{"PSK-AES128-GCM-SHA256", Cut::SingleBytes},
                          HandshakeCase{"PSK-AES128-GCM-SHA256", Cut::Random},
                          HandshakeCase{"ECDHE-PSK-CHACHA20-POLY1305", Cut::Whole},
                          HandshakeCase{"ECDHE-PSK-CHACHA20-POLY1305", Cut::SingleBytes},
                          HandshakeCase{"ECDHE-PSK-CHACHA20-POLY1305", Cut::Random},
                          HandshakeCase{"DHE-PSK-AES256-GCM-SHA384", Cut::Whole},
                          HandshakeCase{"DHE-PSK-AES256-GCM-SHA384", Cut::SingleBytes},
                          HandshakeCase{"DHE-PSK-AES256-GCM-SHA384", Cut::Random}),
        handshakeCaseName);

TEST(TlsEngine, CarriesOneMebibyteBothWaysInRandomFragments)
{
    EnginePair pair(pskSettings(false), pskSettings(true), Cut::Random);
    pair.handshake();
    ASSERT_TRUE(pair.bothOk());
    QByteArray data(1024 * 1024, Qt::Uninitialized);
    std::mt19937 random(7);
    for (char &c : data)
        c = char(random());
    EXPECT_EQ(pair.transfer(*pair.client, *pair.server, data), data);
    EXPECT_EQ(pair.transfer(*pair.server, *pair.client, data), data);
    pair.expectCalls(1, 1);
}

TEST(TlsEngine, ReadAndWriteOfNothingDoNothing)
{
    EnginePair pair(pskSettings(false), pskSettings(true));
    pair.handshake();
    ASSERT_TRUE(pair.bothOk());
    qsizetype done = -1;
    EXPECT_EQ(pair.client->write("x", 0, &done), Result::Ok);
    EXPECT_EQ(done, 0);
    EXPECT_EQ(pair.client->pendingOutput(), 0);
    char buffer[4];
    EXPECT_EQ(pair.server->read(buffer, sizeof(buffer), &done), Result::WantInput);
    EXPECT_EQ(done, 0);
    pair.expectCalls(1, 1);
}

// --- PSK failures and their alerts ------------------------------------------------------------

TEST(TlsEnginePsk, EmptyClientKeyFailsWithHandshakeFailureWithoutAskingTheServer)
{
    EnginePair pair(pskSettings(false), pskSettings(true), Cut::Random);
    pair.clientCredentials.key.clear();
    pair.handshake();
    pair.expectBothFailed();
    pair.expectCalls(1, 0);
    pair.expectAlertFromClient(SSL_AD_HANDSHAKE_FAILURE);
    EXPECT_TRUE(pair.client->errorString().contains(QLatin1String("psk identity not found")))
            << pair.client->errorString().toStdString();
    EXPECT_FALSE(pair.server->errorString().isEmpty());
    EXPECT_FALSE(pair.client->isTruncated());
    EXPECT_FALSE(pair.server->isTruncated());
}

TEST(TlsEnginePsk, EmptyServerKeyFailsWithUnknownPskIdentity)
{
    EnginePair pair(pskSettings(false), pskSettings(true));
    pair.serverCredentials.key.clear();
    pair.handshake();
    pair.expectBothFailed();
    pair.expectCalls(1, 1);
    pair.expectAlertFromServer(SSL_AD_UNKNOWN_PSK_IDENTITY);
    EXPECT_TRUE(pair.server->errorString().contains(QLatin1String("psk identity not found")));
}

TEST(TlsEnginePsk, WrongKeyFailsWithBadRecordMacFromTheServer)
{
    EnginePair pair(pskSettings(false), pskSettings(true), Cut::SingleBytes);
    pair.serverCredentials.key = QByteArray::fromHex("6f5e4d3c2b1a");
    pair.handshake();
    pair.expectBothFailed();
    pair.expectCalls(1, 1);
    pair.expectAlertFromServer(SSL_AD_BAD_RECORD_MAC);
    EXPECT_FALSE(pair.client->isHandshakeComplete());
    EXPECT_FALSE(pair.server->isHandshakeComplete());
}

TEST(TlsEnginePsk, ClientCallbackReturningFalseFailsTheHandshakeCleanly)
{
    EnginePair pair(pskSettings(false), pskSettings(true));
    pair.clientCredentials.answer = false; // the socket is being aborted
    pair.handshake();
    EXPECT_EQ(pair.clientResult, Result::Failed);
    pair.expectCalls(1, 0);
    EXPECT_TRUE(hasAlert(pair.clientAlerts, true, SSL_AD_HANDSHAKE_FAILURE));
    // The owner tears the engine down after the call returned; shutdown first must be harmless.
    pair.client->shutdown();
    EXPECT_EQ(pair.client->pendingOutput(), 0);
    EXPECT_EQ(pair.client->handshake(), Result::Failed);
    pair.client.reset();
}

TEST(TlsEnginePsk, CallsBackIntoTheEngineFromTheCallbackAreHarmless)
{
    EnginePair pair(pskSettings(false), pskSettings(true));
    Result nested = Result::Ok;
    pair.serverCredentials.during = [&] {
        // A slot that aborts: the socket may poke the engine before it returns false.
        nested = pair.server->handshake();
        pair.server->shutdown();
        char buffer[8];
        qsizetype done = -1;
        EXPECT_EQ(pair.server->read(buffer, sizeof(buffer), &done), Result::WantInput);
        EXPECT_EQ(done, 0);
    };
    pair.serverCredentials.answer = false;
    pair.handshake();
    EXPECT_EQ(nested, Result::WantInput);
    EXPECT_EQ(pair.serverResult, Result::Failed);
    EXPECT_EQ(pair.clientResult, Result::Failed);
    pair.expectCalls(1, 1);
    EXPECT_TRUE(hasAlert(pair.serverAlerts, true, SSL_AD_UNKNOWN_PSK_IDENTITY));
    pair.server.reset(); // torn down only after the engine call returned
}

TEST(TlsEnginePsk, ServerCallbackReturningFalseFailsTheHandshakeCleanly)
{
    EnginePair pair(pskSettings(false), pskSettings(true));
    pair.serverCredentials.answer = false;
    pair.handshake();
    pair.expectBothFailed();
    pair.expectCalls(1, 1);
    EXPECT_TRUE(hasAlert(pair.serverAlerts, true, SSL_AD_UNKNOWN_PSK_IDENTITY));
    pair.server.reset();
}

TEST(TlsEngine, NoCallbacksMeansNoKeyAndAFailedHandshake)
{
    QString error;
    TlsEngine client(TlsContext::get(pskSettings(false), &error), nullptr);
    Credentials serverCredentials;
    TlsEngine server(TlsContext::get(pskSettings(true), &error), &serverCredentials);
    EXPECT_EQ(client.handshake(), Result::WantInput);
    const QByteArray hello = client.takeOutput();
    server.feed(hello.constData(), hello.size());
    EXPECT_EQ(server.handshake(), Result::WantInput);
    const QByteArray flight = server.takeOutput();
    client.feed(flight.constData(), flight.size());
    EXPECT_EQ(client.handshake(), Result::Failed);
    EXPECT_EQ(serverCredentials.calls, 0);
}

// --- Identities, keys and hints at their limits -------------------------------------------------

TEST(TlsEnginePsk, EmptyIdentityReachesTheServerEmptyButNotNull)
{
    EnginePair pair(pskSettings(false), pskSettings(true));
    pair.clientCredentials.identity = QByteArray("");
    pair.handshake();
    EXPECT_TRUE(pair.bothOk());
    ASSERT_EQ(pair.serverCredentials.calls, 1);
    EXPECT_EQ(pair.clientCredentials.calls, 1);
    EXPECT_FALSE(pair.serverCredentials.last().identity().isNull());
    EXPECT_TRUE(pair.serverCredentials.last().identity().isEmpty());
}

// Identities around the client's maximum (255 bytes), of bytes that differ position by position:
// the server's slot sees exactly the first min(size, 255) bytes.
class TlsEngineIdentityLength : public ::testing::TestWithParam<int>
{
};

namespace {

// The client's slot sets \a identity: the server's slot sees its first 255 bytes, no more.
void expectIdentityCutToTheClientMaximum(const QByteArray &identity)
{
    EnginePair pair(pskSettings(false), pskSettings(true));
    pair.clientCredentials.identity = identity;
    pair.handshake();
    EXPECT_TRUE(pair.bothOk());
    EXPECT_EQ(pair.clientCredentials.calls, 1);
    ASSERT_EQ(pair.serverCredentials.calls, 1);
    EXPECT_EQ(pair.serverCredentials.last().identity(), identity.left(255));
    EXPECT_EQ(pair.serverCredentials.last().identity().size(), std::min<qsizetype>(identity.size(), 255));
}

} // namespace

TEST_P(TlsEngineIdentityLength, IdentityIsCutToTheClientMaximum)
{
    expectIdentityCutToTheClientMaximum(QtPskTest::distinctBytes(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(AroundTheMaximum, TlsEngineIdentityLength, ::testing::Values(254, 255, 256, 300),
                         [](const ::testing::TestParamInfo<int> &row) {
                             return "Bytes" + std::to_string(row.param);
                         });

TEST(TlsEnginePsk, LongIdentityIsCutToTheClientMaximum)
{
    QByteArray identity(300, 'i');
    for (int i = 0; i < identity.size(); ++i)
        identity[i] = char('a' + i % 26);
    expectIdentityCutToTheClientMaximum(identity);
}

// Keys around the maximum (512 bytes), of bytes that differ position by position, on either side:
// each side uses exactly the first min(size, 512) bytes. The side that holds the cut key agrees;
// one byte fewer does not, so a cut one byte early or late on either side fails.
struct KeyLengthCase
{
    int size;
    bool longKeyOnClient; // else on the server
};

class TlsEngineKeyLength : public ::testing::TestWithParam<KeyLengthCase>
{
};

TEST_P(TlsEngineKeyLength, KeyIsCutToTheMaximumOnEitherSide)
{
    const KeyLengthCase c = GetParam();
    const QByteArray longKey = QtPskTest::distinctBytes(c.size);
    const QByteArray used = longKey.left(512);
    for (const QByteArray &otherKey : {used, used.left(used.size() - 1)}) {
        SCOPED_TRACE(testing::Message() << "other side's key of " << otherKey.size() << " bytes");
        EnginePair pair(pskSettings(false), pskSettings(true));
        pair.clientCredentials.key = c.longKeyOnClient ? longKey : otherKey;
        pair.serverCredentials.key = c.longKeyOnClient ? otherKey : longKey;
        pair.handshake();
        EXPECT_EQ(pair.bothOk(), otherKey == used);
        pair.expectCalls(1, 1);
    }
}

INSTANTIATE_TEST_SUITE_P(AroundTheMaximum, TlsEngineKeyLength,
                         ::testing::Values(KeyLengthCase{511, true}, KeyLengthCase{512, true},
                                           KeyLengthCase{513, true}, KeyLengthCase{511, false},
                                           KeyLengthCase{512, false}, KeyLengthCase{513, false}),
                         [](const ::testing::TestParamInfo<KeyLengthCase> &row) {
                             return std::string(row.param.longKeyOnClient ? "Client" : "Server")
                                     + "Bytes" + std::to_string(row.param.size);
                         });

TEST(TlsEnginePsk, IdentityWithEmbeddedNulIsCutAtTheNul)
{
    EnginePair pair(pskSettings(false), pskSettings(true));
    pair.clientCredentials.identity = QByteArray("ab\0cd", 5);
    pair.handshake();
    EXPECT_TRUE(pair.bothOk());
    EXPECT_EQ(pair.clientCredentials.calls, 1);
    ASSERT_EQ(pair.serverCredentials.calls, 1);
    EXPECT_EQ(pair.serverCredentials.last().identity(), QByteArray("ab"));
}

TEST(TlsEnginePsk, KeysLongerThanTheMaximumAreTruncatedTo512Bytes)
{
    QByteArray longKey(600, Qt::Uninitialized);
    for (int i = 0; i < longKey.size(); ++i)
        longKey[i] = char(i * 7 + 3);
    for (const QByteArray &serverKey : {longKey, longKey.left(512)}) {
        EnginePair pair(pskSettings(false), pskSettings(true));
        pair.clientCredentials.key = longKey;
        pair.serverCredentials.key = serverKey;
        pair.handshake();
        EXPECT_TRUE(pair.bothOk()) << "server key of " << serverKey.size() << " bytes";
        pair.expectCalls(1, 1);
    }
}

TEST(TlsEnginePsk, NoHintGivesNullHintsOnBothSides)
{
    EnginePair pair(pskSettings(false), pskServerWithHint(QByteArray()));
    ASSERT_NO_FATAL_FAILURE(pair.handshakeAskingEachSideOnce());
    EXPECT_TRUE(pair.clientCredentials.last().identityHint().isNull());
    EXPECT_TRUE(pair.serverCredentials.last().identityHint().isNull());
}

TEST(TlsEnginePsk, EmptyHintIsNullForTheClientAndEmptyForTheServer)
{
    EnginePair pair(pskSettings(false), pskServerWithHint(QByteArray("")));
    ASSERT_NO_FATAL_FAILURE(pair.handshakeAskingEachSideOnce());
    EXPECT_TRUE(pair.clientCredentials.last().identityHint().isNull());
    EXPECT_FALSE(pair.serverCredentials.last().identityHint().isNull());
    EXPECT_TRUE(pair.serverCredentials.last().identityHint().isEmpty());
}

TEST(TlsEnginePsk, HintWithEmbeddedNulIsCutOnTheWireButKeptByTheServer)
{
    EnginePair pair(pskSettings(false), pskServerWithHint(QByteArray("hi\0nt", 5)));
    ASSERT_NO_FATAL_FAILURE(pair.handshakeAskingEachSideOnce());
    EXPECT_EQ(pair.clientCredentials.last().identityHint(), QByteArray("hi"));
    EXPECT_EQ(pair.serverCredentials.last().identityHint(), QByteArray("hi\0nt", 5));
}

TEST(TlsEnginePsk, OverlongHintIsNotSentAndTheServerStillWorks)
{
    EnginePair pair(pskSettings(false), pskServerWithHint(QByteArray(300, 'h')));
    ASSERT_NO_FATAL_FAILURE(pair.handshakeAskingEachSideOnce());
    EXPECT_TRUE(pair.clientCredentials.last().identityHint().isNull());
    EXPECT_EQ(pair.serverCredentials.last().identityHint(), QByteArray(300, 'h'));
}

// --- TLS 1.3: Qt's suppression of external PSKs and its opt-in ----------------------------------

TEST(TlsEngineTls13, WithoutTheVariableNoPskIsOfferedAndTheCertificatelessServerFails)
{
    const Tls13PskVariable variable(false);
    EnginePair pair(tls13Settings(false), tls13Settings(true));
    pair.handshake();
    pair.expectBothFailed();
    pair.expectCalls(0, 0);
    pair.expectAlertFromServer(SSL_AD_HANDSHAKE_FAILURE);
}

TEST(TlsEngineTls13, WithTheVariableBothSidesAskOnceAndTheHandshakeSucceeds)
{
    const Tls13PskVariable variable(true);
    EnginePair pair(qtOptIn(tls13Settings(false)), tls13Settings(true), Cut::Random);
    pair.handshake();
    ASSERT_TRUE(pair.bothOk()) << pair.server->errorString().toStdString();
    ASSERT_NO_FATAL_FAILURE(pair.assertCalls(1, 1));
    EXPECT_TRUE(pair.clientCredentials.last().identityHint().isNull());
    EXPECT_EQ(pair.clientCredentials.last().maximumIdentityLength(), 255);
    EXPECT_EQ(pair.clientCredentials.last().maximumPreSharedKeyLength(), 512);
    EXPECT_EQ(pair.serverCredentials.last().identityHint(), kHint);
    EXPECT_EQ(pair.serverCredentials.last().identity(), kIdentity);
    EXPECT_EQ(pair.client->protocolVersion(), TLS1_3_VERSION);
    EXPECT_EQ(pair.transfer(*pair.client, *pair.server, "ping"), QByteArray("ping"));
    EXPECT_EQ(pair.transfer(*pair.server, *pair.client, "pong"), QByteArray("pong"));
    pair.expectCalls(1, 1);
}

TEST(TlsEngineTls13, OfferSettingOffersThePskWithoutTheVariable)
{
    const Tls13PskVariable variable(false);
    TlsSettings clientSettings = tls13Settings(false);
    clientSettings.tls13Psk = Tls13Psk::Offer;
    EnginePair pair(clientSettings, tls13Settings(true));
    pair.handshake();
    EXPECT_TRUE(pair.bothOk());
    pair.expectCalls(1, 1);
}

TEST(TlsEngineTls13, WrongKeyFailsWithIllegalParameter)
{
    const Tls13PskVariable variable(true);
    EnginePair pair(qtOptIn(tls13Settings(false)), tls13Settings(true));
    pair.serverCredentials.key = QByteArray::fromHex("6f5e4d3c2b1a");
    pair.handshake();
    pair.expectBothFailed();
    pair.expectCalls(1, 1);
    EXPECT_TRUE(hasAlert(pair.serverAlerts, true, SSL_AD_ILLEGAL_PARAMETER));
}

TEST(TlsEngineTls13, DefaultClientAgainstTls12ServerAsksOnceWithTheRealHint)
{
    const Tls13PskVariable variable(false);
    TlsSettings clientSettings; // OpenSSL's default versions and ciphers: offers TLS 1.3 too
    EnginePair pair(clientSettings, pskSettings(true));
    pair.handshake();
    EXPECT_TRUE(pair.bothOk());
    ASSERT_EQ(pair.clientCredentials.calls, 1);
    EXPECT_EQ(pair.clientCredentials.last().identityHint(), kHint);
    EXPECT_EQ(pair.serverCredentials.calls, 1);
}

TEST(TlsEngineTls13, DefaultClientWithTheVariableAsksTwiceLikeQt)
{
    const Tls13PskVariable variable(true);
    EnginePair pair(qtOptIn(TlsSettings()), pskSettings(true));
    pair.handshake();
    EXPECT_TRUE(pair.bothOk());
    ASSERT_EQ(pair.clientCredentials.calls, 2);
    EXPECT_TRUE(pair.clientCredentials.seen[0].identityHint().isNull());
    EXPECT_EQ(pair.clientCredentials.seen[1].identityHint(), kHint);
    EXPECT_EQ(pair.serverCredentials.calls, 1);
}

// --- Contexts -----------------------------------------------------------------------------------

TEST(TlsContext, EqualSettingsShareOneContextAndDifferentSettingsDoNot)
{
    QString error;
    Credentials credentials;
    auto first = std::make_unique<TlsEngine>(TlsContext::get(pskSettings(true), &error), &credentials);
    auto second = std::make_unique<TlsEngine>(TlsContext::get(pskSettings(true), &error), &credentials);
    EXPECT_EQ(first->context(), second->context());
    EXPECT_EQ(first->context()->handle(), second->context()->handle());

    TlsSettings otherHint = pskSettings(true);
    otherHint.identityHint = "other";
    TlsSettings nullHint = pskSettings(true);
    nullHint.identityHint = QByteArray();
    TlsSettings emptyHint = pskSettings(true);
    emptyHint.identityHint = QByteArray("");
    const auto other = TlsContext::get(otherHint, &error);
    const auto null = TlsContext::get(nullHint, &error);
    const auto empty = TlsContext::get(emptyHint, &error);
    const auto client = TlsContext::get(pskSettings(false), &error);
    EXPECT_NE(other, first->context());
    EXPECT_NE(null, empty);
    EXPECT_NE(client, first->context());
    EXPECT_TRUE(empty->settings().identityHint.isEmpty() && !empty->settings().identityHint.isNull());
    EXPECT_EQ(credentials.calls, 0);
}

TEST(TlsContext, OutlivesItsLastEngineWhileRecentlyUsedThenDies)
{
    QString error;
    TlsSettings settings = pskSettings(true);
    settings.identityHint = "dies with its last engine";
    auto engine = std::make_unique<TlsEngine>(TlsContext::get(settings, &error), nullptr);
    auto engine2 = std::make_unique<TlsEngine>(TlsContext::get(settings, &error), nullptr);
    const std::weak_ptr<TlsContext> watch = engine->context();
    engine.reset();
    EXPECT_FALSE(watch.expired());
    engine2.reset();
    EXPECT_FALSE(watch.expired()); // kept for the next connection with these settings
    EXPECT_EQ(TlsContext::get(settings, &error), watch.lock()); // reused, not rebuilt
    TlsContext::releaseUnused();
    EXPECT_TRUE(watch.expired());
    EXPECT_TRUE(TlsContext::get(settings, &error) != nullptr); // a fresh one is made on demand
}

TEST(TlsContext, KeepsOnlyTheSixteenMostRecentlyUsedAliveWithoutUsers)
{
    QString error;
    TlsContext::releaseUnused();
    std::vector<std::weak_ptr<TlsContext>> watches;
    for (int i = 0; i < 20; ++i) {
        TlsSettings settings = pskSettings(true);
        settings.identityHint = "recent " + QByteArray::number(i);
        watches.push_back(TlsContext::get(settings, &error));
    }
    for (int i = 0; i < 4; ++i)
        EXPECT_TRUE(watches[size_t(i)].expired()) << i; // the oldest fell out
    for (int i = 4; i < 20; ++i)
        EXPECT_FALSE(watches[size_t(i)].expired()) << i;
    TlsContext::releaseUnused();
    for (const auto &watch : watches)
        EXPECT_TRUE(watch.expired());
}

TEST(TlsContext, CipherListThatMatchesNothingIsRejected)
{
    for (bool tls13 : {false, true}) {
        TlsSettings settings = pskSettings(false);
        (tls13 ? settings.cipherSuites : settings.cipherList) = "NO-SUCH-CIPHER";
        QString error;
        EXPECT_EQ(TlsContext::get(settings, &error), nullptr);
        EXPECT_EQ(error, QLatin1String("Invalid or empty cipher list"));
    }
}

TEST(TlsContext, SettingsCompareEveryField)
{
    const TlsSettings base = pskSettings(true);
    TlsSettings copy = base;
    EXPECT_EQ(copy, base);
    EXPECT_EQ(qHash(copy), qHash(base));
    copy.tls13Psk = Tls13Psk::Offer;
    EXPECT_NE(copy, base);
    copy = base;
    copy.cipherSuites = "TLS_AES_128_GCM_SHA256";
    EXPECT_NE(copy, base);
    copy = base;
    copy.minVersion = TLS1_3_VERSION;
    EXPECT_NE(copy, base);
}

// --- Closing ------------------------------------------------------------------------------------

TEST(TlsEngine, CloseNotifyBothWaysEndsInClosed)
{
    EnginePair pair(pskSettings(false), pskSettings(true), Cut::SingleBytes);
    pair.handshake();
    ASSERT_TRUE(pair.bothOk());

    pair.client->shutdown();
    pair.client->shutdown(); // queued once only
    Result serverRead = Result::WantInput;
    QByteArray received;
    pair.deliver(*pair.client, *pair.server, [&] { serverRead = EnginePair::drain(*pair.server, received); });
    EXPECT_EQ(serverRead, Result::Closed);
    pair.collectAlerts();
    EXPECT_TRUE(std::any_of(pair.serverAlerts.begin(), pair.serverAlerts.end(), [](const TlsAlert &alert) {
        return !alert.sent && alert.type == SSL_AD_CLOSE_NOTIFY; // the server read the close_notify
    }));

    pair.server->shutdown();
    Result clientRead = Result::WantInput;
    pair.deliver(*pair.server, *pair.client, [&] { clientRead = EnginePair::drain(*pair.client, received); });
    EXPECT_EQ(clientRead, Result::Closed);
    EXPECT_TRUE(received.isEmpty());
    EXPECT_FALSE(pair.client->isTruncated());
    EXPECT_FALSE(pair.client->isFailed());

    pair.collectAlerts();
    const auto closeNotify = [](const std::vector<TlsAlert> &alerts, bool sent) {
        return std::count_if(alerts.begin(), alerts.end(), [&](const TlsAlert &alert) {
            return alert.sent == sent && alert.level == SSL3_AL_WARNING
                    && alert.type == SSL_AD_CLOSE_NOTIFY;
        });
    };
    EXPECT_EQ(closeNotify(pair.clientAlerts, true), 1);
    EXPECT_EQ(closeNotify(pair.clientAlerts, false), 1);
    EXPECT_EQ(closeNotify(pair.serverAlerts, true), 1);
    EXPECT_EQ(closeNotify(pair.serverAlerts, false), 1);
    pair.expectCalls(1, 1);
}

TEST(TlsEngine, CloseNotifyFollowedByEndOfStreamIsStillClosed)
{
    EnginePair pair(pskSettings(false), pskSettings(true));
    pair.handshake();
    ASSERT_TRUE(pair.bothOk());
    pair.client->shutdown();
    const QByteArray bytes = pair.client->takeOutput();
    pair.server->feed(bytes.constData(), bytes.size());
    pair.server->feedEndOfStream();
    QByteArray received;
    EXPECT_EQ(EnginePair::drain(*pair.server, received), Result::Closed);
    EXPECT_FALSE(pair.server->isTruncated());
    pair.expectCalls(1, 1);
}

TEST(TlsEngine, EndOfStreamWithoutCloseNotifyIsTruncated)
{
    EnginePair pair(pskSettings(false), pskSettings(true));
    pair.handshake();
    ASSERT_TRUE(pair.bothOk());
    // Half a record, then the transport ends.
    qsizetype consumed = 0;
    ASSERT_EQ(pair.client->write("some data", 9, &consumed), Result::Ok);
    const QByteArray record = pair.client->takeOutput();
    pair.server->feed(record.constData(), record.size() / 2);
    pair.server->feedEndOfStream();
    QByteArray received;
    EXPECT_EQ(EnginePair::drain(*pair.server, received), Result::Failed);
    EXPECT_TRUE(pair.server->isTruncated());
    EXPECT_FALSE(pair.server->errorString().isEmpty());
    EXPECT_TRUE(received.isEmpty());
    // No alert for a peer that has gone, as Qt: neither reported nor queued for sending.
    EXPECT_TRUE(pair.server->takeAlerts().empty());
    EXPECT_EQ(pair.server->pendingOutput(), 0);
    pair.server->shutdown(); // harmless after a failure
    pair.expectCalls(1, 1);
}

TEST(TlsEngine, DataBeforeAnEndOfStreamIsReadBeforeTheTruncation)
{
    EnginePair pair(pskSettings(false), pskSettings(true), Cut::Random);
    pair.handshake();
    ASSERT_TRUE(pair.bothOk());
    qsizetype consumed = 0;
    ASSERT_EQ(pair.client->write("complete record", 15, &consumed), Result::Ok);
    const QByteArray record = pair.client->takeOutput();
    pair.server->feed(record.constData(), record.size());
    pair.server->feedEndOfStream();
    QByteArray received;
    EXPECT_EQ(EnginePair::drain(*pair.server, received), Result::Failed);
    EXPECT_EQ(received, QByteArray("complete record"));
    EXPECT_TRUE(pair.server->isTruncated());
    pair.expectCalls(1, 1);
}

TEST(TlsEngine, EndOfStreamDuringTheHandshakeIsTruncated)
{
    EnginePair pair(pskSettings(false), pskSettings(true));
    EXPECT_EQ(pair.client->handshake(), Result::WantInput);
    EXPECT_GT(pair.client->pendingOutput(), 0);
    // The ClientHello is still waiting to be sent when the transport ends: it stays queued.
    const qsizetype hello = pair.client->pendingOutput();
    pair.client->feedEndOfStream();
    EXPECT_EQ(pair.client->handshake(), Result::Failed);
    EXPECT_TRUE(pair.client->isTruncated());
    EXPECT_EQ(pair.client->pendingOutput(), hello);
    EXPECT_TRUE(pair.client->takeAlerts().empty());
    pair.expectCalls(0, 0);
}

// --- Hostile input ----------------------------------------------------------------------------

TEST(TlsEngine, GarbageInputFailsWithAnErrorString)
{
    QByteArray garbage(4096, Qt::Uninitialized);
    std::mt19937 random(99);
    for (char &c : garbage)
        c = char(random());
    garbage[0] = 0x16; // looks like a handshake record at first
    for (bool server : {true, false}) {
        Credentials credentials;
        QString error;
        TlsEngine engine(TlsContext::get(pskSettings(server), &error), &credentials);
        if (!server) {
            EXPECT_EQ(engine.handshake(), Result::WantInput);
        }
        engine.feed(garbage.constData(), garbage.size());
        EXPECT_EQ(engine.handshake(), Result::Failed);
        EXPECT_FALSE(engine.errorString().isEmpty());
        EXPECT_FALSE(engine.isTruncated());
        EXPECT_EQ(credentials.calls, 0);
        // Everything after a failure stays failed and harmless.
        char buffer[16];
        qsizetype done = -1;
        EXPECT_EQ(engine.read(buffer, sizeof(buffer), &done), Result::Failed);
        EXPECT_EQ(done, 0);
        EXPECT_EQ(engine.write("x", 1, &done), Result::Failed);
        engine.shutdown();
        engine.takeOutput();
        EXPECT_EQ(engine.protocolVersion(), 0);
        EXPECT_TRUE(engine.cipherName().isEmpty());
    }
}

TEST(TlsEngine, SendsTheHostNameButNotAnAddressAsSni)
{
    QString error;
    const auto context = TlsContext::get(pskSettings(false), &error);
    TlsEngine named(context, nullptr);
    named.setHostName("psk.example");
    named.handshake();
    EXPECT_TRUE(named.takeOutput().contains("psk.example"));
    for (const char *address : {"127.0.0.1", "::1", "[::1]"}) {
        TlsEngine literal(context, nullptr);
        literal.setHostName(address);
        literal.handshake();
        EXPECT_FALSE(literal.takeOutput().contains(address)) << address;
    }
}

TEST(TlsEngine, ReportsOpenSslsLimits)
{
    EXPECT_EQ(TlsEngine::clientMaximumIdentityLength(), 255);
    EXPECT_EQ(TlsEngine::maximumPreSharedKeyLength(), 512);
}
