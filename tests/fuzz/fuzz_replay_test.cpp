// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
//
// Replays every file of tests/fuzz/corpus/<target>/ and tests/fuzz/regressions/<target>/ through
// the same entry points the libFuzzer targets call, with any compiler and without libFuzzer.
// A crash, a sanitizer report or a violated invariant (abort) fails the test.

#include "fuzzsupport.h"

#include <QSslPreSharedKeyAuthenticator>

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace {

using QtPskFuzz::Outcome;

struct FuzzTarget
{
    const char *name;
    std::function<Outcome(const std::uint8_t *, std::size_t)> run;
};

void PrintTo(const FuzzTarget &target, std::ostream *out)
{
    *out << target.name;
}

const FuzzTarget kTargets[] = {
    {"fuzz_engine_client",
     [](const std::uint8_t *data, std::size_t size) { return QtPskFuzz::fuzzEngine(true, data, size); }},
    {"fuzz_engine_server",
     [](const std::uint8_t *data, std::size_t size) { return QtPskFuzz::fuzzEngine(false, data, size); }},
    {"fuzz_psk_path", &QtPskFuzz::fuzzPskPath},
    {"fuzz_dtls_engine",
     [](const std::uint8_t *data, std::size_t size) { return QtPskFuzz::fuzzDtlsEngine(data, size); }},
};

QFileInfoList filesOf(const char *folder, const char *target)
{
    const QDir dir(QStringLiteral(QTPSK_FUZZ_DIR "/") + QLatin1String(folder) + QLatin1Char('/')
                   + QLatin1String(target));
    return dir.entryInfoList(QDir::Files, QDir::Name);
}

Outcome replay(const FuzzTarget &target, const QByteArray &bytes)
{
    return target.run(reinterpret_cast<const std::uint8_t *>(bytes.constData()),
                      std::size_t(bytes.size()));
}

QByteArray readAll(const QFileInfo &file)
{
    QFile in(file.filePath());
    EXPECT_TRUE(in.open(QIODevice::ReadOnly)) << file.filePath().toStdString();
    return in.readAll();
}

class FuzzReplay : public ::testing::TestWithParam<FuzzTarget>
{
};

TEST_P(FuzzReplay, CorpusHasSeeds)
{
    EXPECT_GE(filesOf("corpus", GetParam().name).size(), 5);
}

// Every corpus and regression input runs clean, and twice to the same bytes: the harness is
// deterministic, so a crash libFuzzer found reproduces here.
TEST_P(FuzzReplay, EveryInputReplaysCleanAndDeterministically)
{
    const FuzzTarget &target = GetParam();
    int replayed = 0;
    for (const char *folder : {"corpus", "regressions"}) {
        for (const QFileInfo &file : filesOf(folder, target.name)) {
            SCOPED_TRACE(file.filePath().toStdString());
            const QByteArray bytes = readAll(file);
            const Outcome first = replay(target, bytes);
            const Outcome second = replay(target, bytes);
            EXPECT_EQ(first.handshakeComplete, second.handshakeComplete);
            EXPECT_EQ(first.failed, second.failed);
            EXPECT_EQ(first.closed, second.closed);
            EXPECT_EQ(first.output, second.output);
            EXPECT_EQ(first.plaintext, second.plaintext);
            ++replayed;
        }
    }
    EXPECT_GT(replayed, 0);
}

// Seeds named valid-* are whole recorded conversations: replayed, the engine under test completes
// its handshake, reads the peer's data and its close_notify. That proves the seeds still match
// the engine (they lead the fuzzer deep) and that the harness's randomness is reproducible.
TEST_P(FuzzReplay, ValidSeedsCompleteTheirHandshake)
{
    const FuzzTarget &target = GetParam();
    const bool engineTarget = QByteArray(target.name).startsWith("fuzz_engine_");
    const bool dtlsTarget = QByteArray(target.name) == "fuzz_dtls_engine";
    int valid = 0;
    for (const QFileInfo &file : filesOf("corpus", target.name)) {
        if (!file.fileName().startsWith(QLatin1String("valid-")))
            continue;
        SCOPED_TRACE(file.filePath().toStdString());
        const Outcome outcome = replay(target, readAll(file));
        EXPECT_TRUE(outcome.handshakeComplete);
        EXPECT_FALSE(outcome.failed);
        if (engineTarget) {
            EXPECT_EQ(outcome.sessionReused, file.fileName().endsWith(QLatin1String("-resumed")));
            EXPECT_TRUE(outcome.closed);
            EXPECT_TRUE(outcome.plaintext.endsWith("peer application data"));
        }
        if (dtlsTarget && file.fileName().endsWith(QLatin1String("-data"))) {
            EXPECT_TRUE(outcome.closed);
            EXPECT_EQ(outcome.plaintext, QByteArray("peer application data"));
        }
        ++valid;
    }
    EXPECT_GE(valid, 3);
}

// Found by fuzz_psk_path (regressions/fuzz_psk_path/empty-identity-*): a client that may offer a
// TLS 1.3 PSK and answered with an empty identity failed every handshake with "internal error"
// before its ClientHello left, even against a TLS 1.2 server, where an empty identity is legal.
struct EmptyIdentityRun
{
    bool clientComplete = false;
    bool serverComplete = false;
    QtPskFuzz::TlsEngine::Diagnosis diagnosis = QtPskFuzz::TlsEngine::Diagnosis::None;
    QString clientError;
    QByteArray serverSawIdentity;
};

class SeenIdentity : public QtPskFuzz::Credentials
{
public:
    bool preSharedKeyAuthenticationRequired(QSslPreSharedKeyAuthenticator *authenticator) override
    {
        seen = authenticator->identity();
        return Credentials::preSharedKeyAuthenticationRequired(authenticator);
    }
    QByteArray seen;
};

EmptyIdentityRun runWithEmptyIdentity(int serverMaxVersion, int serverMinVersion = TLS1_2_VERSION)
{
    QtPskFuzz::initialize();
    QtPskFuzz::TlsSettings client;
    client.minVersion = TLS1_2_VERSION;
    client.maxVersion = TLS1_3_VERSION;
    client.cipherList = "PSK-AES128-GCM-SHA256";
    client.tls13Psk = QtPskPrivate::Tls13Psk::Offer;
    QtPskFuzz::TlsSettings server = client;
    server.server = true;
    server.maxVersion = serverMaxVersion;
    server.minVersion = serverMinVersion;
    SeenIdentity clientSlot;
    clientSlot.identity = QByteArray("");
    clientSlot.key = QtPskFuzz::fixedKey();
    SeenIdentity serverSlot;
    serverSlot.key = QtPskFuzz::fixedKey();
    QtPskFuzz::EnginePair pair(QtPskFuzz::TlsContext::get(client, nullptr),
                               QtPskFuzz::TlsContext::get(server, nullptr), &clientSlot, &serverSlot);
    pair.step(true);
    pair.step(false);
    pair.run(16);
    EmptyIdentityRun run;
    run.clientComplete = pair.engine(true).isHandshakeComplete();
    run.serverComplete = pair.engine(false).isHandshakeComplete();
    run.diagnosis = pair.engine(true).diagnosis();
    run.clientError = pair.engine(true).errorString();
    run.serverSawIdentity = serverSlot.seen;
    return run;
}

// Both handshakes complete and the server's slot saw the empty (not null) identity.
void expectEmptyIdentityUsed(const EmptyIdentityRun &run)
{
    EXPECT_TRUE(run.clientComplete) << run.clientError.toStdString();
    EXPECT_TRUE(run.serverComplete);
    EXPECT_TRUE(run.serverSawIdentity.isEmpty());
    EXPECT_FALSE(run.serverSawIdentity.isNull());
}

TEST(FuzzRegression, EmptyIdentityWithTls13EnabledReachesTls12Server)
{
    expectEmptyIdentityUsed(runWithEmptyIdentity(TLS1_2_VERSION));
}

// A server with TLS 1.2 and 1.3 takes TLS 1.2 from a client that offers no TLS 1.3 PSK (its
// ClientHello callback), so the empty identity is used there.
TEST(FuzzRegression, EmptyIdentityWithTls13EnabledReachesATls12AndTls13Server)
{
    expectEmptyIdentityUsed(runWithEmptyIdentity(TLS1_3_VERSION));
}

TEST(FuzzRegression, EmptyIdentityOffersNoTls13PskAndIsDiagnosed)
{
    const EmptyIdentityRun run = runWithEmptyIdentity(TLS1_3_VERSION, TLS1_3_VERSION);
    EXPECT_FALSE(run.clientComplete);
    EXPECT_FALSE(run.clientError.contains(QLatin1String("internal error")))
            << run.clientError.toStdString();
    EXPECT_EQ(run.diagnosis, QtPskFuzz::TlsEngine::Diagnosis::ClientOfferedNoTls13Psk);
}

// Runs the handshake of \a pair: both engines start, then up to 32 rounds of their records.
void handshake(QtPskFuzz::EnginePair &pair)
{
    pair.step(true);
    pair.step(false);
    pair.run(32);
}

// Found by the replay of the recorded seeds: TlsEngine::isSessionReused() was true after every
// fresh TLS 1.3 external-PSK handshake (OpenSSL counts any TLS 1.3 PSK as a reused session),
// against its contract "resumed a ticket or a TLS 1.2 session ID instead of authenticating afresh".
TEST(FuzzRegression, FreshTls13ExternalPskHandshakeIsNoSessionReuse)
{
    QtPskFuzz::initialize();
    for (const QtPskFuzz::EngineConfig &config : QtPskFuzz::engineConfigs()) {
        SCOPED_TRACE(config.name);
        QtPskFuzz::EnginePair first(QtPskFuzz::TlsContext::get(config.client, nullptr),
                                    QtPskFuzz::TlsContext::get(config.server, nullptr));
        handshake(first);
        ASSERT_TRUE(first.engine(true).isHandshakeComplete());
        ASSERT_TRUE(first.engine(false).isHandshakeComplete());
        EXPECT_FALSE(first.engine(true).isSessionReused());
        EXPECT_FALSE(first.engine(false).isSessionReused());
        first.shutdown(true);
        first.shutdown(false);
        first.run(4);

        const QtPskPrivate::SslSessionPtr session = first.engine(true).session();
        ASSERT_TRUE(session);
        QtPskFuzz::EnginePair second(QtPskFuzz::TlsContext::get(config.client, nullptr),
                                     QtPskFuzz::TlsContext::get(config.server, nullptr), nullptr,
                                     nullptr, first.sessions());
        ASSERT_TRUE(second.engine(true).setSession(session.get()));
        handshake(second);
        ASSERT_TRUE(second.engine(true).isHandshakeComplete());
        EXPECT_TRUE(second.engine(true).isSessionReused());
        EXPECT_TRUE(second.engine(false).isSessionReused());
    }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzReplay, ::testing::ValuesIn(kTargets),
                         [](const ::testing::TestParamInfo<FuzzTarget> &param) {
                             return std::string(param.param.name);
                         });

} // namespace
