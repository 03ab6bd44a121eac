// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The engine's datagram mode: DTLS 1.2 PSK between two engines in memory, over a link that may
// drop, duplicate and reorder datagrams, with the MTU, the retransmission timer, cookies and the
// retransmission bound of a final flight nobody answers.
#include "engine/dtlsengine_p.h"

#include "engine/dtlscookie_p.h"

#include <QSslPreSharedKeyAuthenticator>

#include <gtest/gtest.h>

#include "common/dtlspump.h"

#include <malloc.h>

#include <chrono>
#include <stdexcept>
#include <string>

using QtPskPrivate::DtlsCookieParameters;
using QtPskPrivate::DtlsCookieVerifier;
using QtPskTest::DtlsEngine;
using QtPskTest::DtlsPair;
using QtPskTest::EngineCredentials;
using QtPskTest::LinkFaults;
using QtPskTest::dtlsSettings;
using Result = DtlsEngine::Result;
using namespace std::chrono_literals;

namespace {

const QByteArray kHint = QtPskTest::qtTestHint();
const QByteArray kIdentity = QtPskTest::qtTestIdentity();
const QByteArray kKey = QtPskTest::qtTestKey();
const QByteArray kDefaultCiphers = QByteArrayLiteral(
        "PSK-AES128-CCM8:PSK-AES128-CCM:PSK-AES128-GCM-SHA256:ECDHE-PSK-AES128-CBC-SHA256");

struct Peers
{
    EngineCredentials client{kIdentity, kKey};
    EngineCredentials server{QByteArray(), kKey};
};

std::unique_ptr<DtlsPair> makePair(Peers &peers, const QByteArray &ciphers = kDefaultCiphers,
                                   const LinkFaults &faults = {},
                                   // OpenSSL's schedule: no retransmission comes in between
                                   // the steps of a test that does not wait for one.
                                   std::chrono::microseconds initialTimeout = 1s)
{
    auto pair = std::make_unique<DtlsPair>(dtlsSettings(false, ciphers),
                                           dtlsSettings(true, ciphers, kHint), &peers.client,
                                           &peers.server, faults);
    pair->client.setInitialTimeout(initialTimeout);
    pair->server.setInitialTimeout(initialTimeout);
    return pair;
}

TEST(DtlsEngine, HandshakeAskedBothSidesAndCarriesDatagrams)
{
    Peers peers;
    auto pair = makePair(peers);
    ASSERT_TRUE(pair->run());
    ASSERT_EQ(pair->clientResult, Result::Ok) << pair->client.errorString().toStdString();
    ASSERT_EQ(pair->serverResult, Result::Ok) << pair->server.errorString().toStdString();
    EXPECT_EQ(pair->client.tls().protocolVersion(), DTLS1_2_VERSION);
    EXPECT_EQ(pair->client.tls().cipherName(), QByteArray("PSK-AES128-CCM8"));
    ASSERT_EQ(peers.client.calls, 1);
    EXPECT_EQ(peers.client.last().identityHint(), kHint);
    EXPECT_EQ(peers.client.last().maximumIdentityLength(), 255);
    ASSERT_EQ(peers.server.calls, 1);
    EXPECT_EQ(peers.server.last().identity(), kIdentity);
    EXPECT_EQ(peers.server.last().identityHint(), kHint);

    // Record boundaries: each write is one datagram, each datagram decrypts to what was written.
    for (const QByteArray &message : {QByteArray("one"), QByteArray(1000, 'x'), QByteArray("three")}) {
        ASSERT_EQ(pair->client.encrypt(message), Result::Ok);
        const std::vector<QByteArray> datagrams = pair->client.takeDatagrams();
        ASSERT_EQ(datagrams.size(), 1u);
        QByteArray plaintext;
        ASSERT_EQ(pair->server.decrypt(datagrams.front(), &plaintext), Result::Ok);
        EXPECT_EQ(plaintext, message);
    }
    // A replayed datagram gives nothing (DTLS's replay window).
    ASSERT_EQ(pair->server.encrypt("reply"), Result::Ok);
    const QByteArray reply = pair->server.takeDatagrams().front();
    QByteArray plaintext;
    ASSERT_EQ(pair->client.decrypt(reply, &plaintext), Result::Ok);
    EXPECT_EQ(plaintext, QByteArray("reply"));
    EXPECT_EQ(pair->client.decrypt(reply, &plaintext), Result::WantInput);
    EXPECT_TRUE(plaintext.isEmpty());
    EXPECT_LT(pair->client.timeUntilRetransmission().count(), 0) << "no timer after the handshake";

    // Larger than one record: refused, the association lives on.
    EXPECT_EQ(pair->client.encrypt(QByteArray(20000, 'y')), Result::Failed);
    EXPECT_FALSE(pair->client.isFailed());

    pair->client.shutdown();
    const std::vector<QByteArray> closing = pair->client.takeDatagrams();
    ASSERT_EQ(closing.size(), 1u);
    EXPECT_EQ(pair->server.decrypt(closing.front(), &plaintext), Result::Closed);
}

TEST(DtlsEngine, EverySuiteOfTheDefaultListNegotiates)
{
    for (const char *suite : {"PSK-AES128-CCM8", "PSK-AES128-CCM", "PSK-AES128-GCM-SHA256",
                              "ECDHE-PSK-AES128-CBC-SHA256"}) {
        SCOPED_TRACE(suite);
        Peers peers;
        auto pair = makePair(peers, suite);
        ASSERT_TRUE(pair->run());
        ASSERT_EQ(pair->clientResult, Result::Ok) << pair->client.errorString().toStdString();
        EXPECT_EQ(pair->server.tls().cipherName(), QByteArray(suite));
    }
}

TEST(DtlsEngine, SmallMtuFragmentsTheHandshake)
{
    Peers peers;
    peers.client.identity = QByteArray(250, 'i'); // a long ClientKeyExchange
    auto pair = std::make_unique<DtlsPair>(dtlsSettings(false, kDefaultCiphers),
                                           dtlsSettings(true, kDefaultCiphers, QByteArray(250, 'h')),
                                           &peers.client, &peers.server);
    constexpr int linkMtu = 256; // OpenSSL's minimum
    constexpr int mtu = linkMtu - 28; // less the IPv4 and UDP headers
    EXPECT_FALSE(pair->client.setLinkMtu(linkMtu - 1));
    ASSERT_TRUE(pair->client.setLinkMtu(linkMtu));
    ASSERT_TRUE(pair->server.setLinkMtu(linkMtu));
    // OpenSSL packs a flight's records into datagrams of at most the MTU, as it would on a socket.
    int largest = 0;
    int full = 0;
    pair->onDatagram = [&](const QByteArray &datagram) {
        largest = std::max(largest, int(datagram.size()));
        full += datagram.size() == mtu ? 1 : 0;
    };
    ASSERT_TRUE(pair->run()) << int(pair->clientResult) << int(pair->serverResult)
                             << pair->client.errorString().toStdString()
                             << pair->server.errorString().toStdString();
    ASSERT_EQ(pair->clientResult, Result::Ok) << pair->client.errorString().toStdString();
    ASSERT_EQ(pair->serverResult, Result::Ok);
    EXPECT_LE(largest, mtu);
    EXPECT_GE(full, 2) << "the hint and the identity must have been fragmented";
    EXPECT_EQ(peers.client.last().identityHint(), QByteArray(250, 'h'));
    EXPECT_EQ(peers.server.last().identity(), QByteArray(250, 'i'));
}

class DtlsEngineLossyLink : public ::testing::TestWithParam<unsigned>
{
};

TEST_P(DtlsEngineLossyLink, HandshakeCompletesWithBoundedRetransmissions)
{
    Peers peers;
    const LinkFaults faults{0.25, 0.2, 0.3, GetParam()};
    auto pair = makePair(peers, kDefaultCiphers, faults, 10ms);
    pair->client.setFinalFlightRetransmissionLimit(12);
    pair->server.setFinalFlightRetransmissionLimit(12);
    ASSERT_TRUE(pair->run(30)) << "seed " << GetParam();
    ASSERT_EQ(pair->clientResult, Result::Ok) << pair->client.errorString().toStdString();
    ASSERT_EQ(pair->serverResult, Result::Ok) << pair->server.errorString().toStdString();
    EXPECT_EQ(peers.client.calls, 1) << "retransmissions never ask the slot again";
    EXPECT_LE(peers.server.calls, 1);
    // Data still flows over the lossy link (some datagrams are lost: DTLS does not resend data).
    int received = 0;
    for (int i = 0; i < 40; ++i) {
        ASSERT_EQ(pair->client.encrypt(QByteArray::number(i)), Result::Ok);
        pair->toServer.send(pair->client.takeDatagrams());
        while (!pair->toServer.empty()) {
            QByteArray plaintext;
            if (pair->server.decrypt(pair->toServer.take(), &plaintext) == Result::Ok)
                ++received;
        }
    }
    EXPECT_GT(received, 10);
}

INSTANTIATE_TEST_SUITE_P(Seeds, DtlsEngineLossyLink, ::testing::Values(1u, 2u, 3u, 4u, 5u, 6u));

TEST(DtlsEngine, WrongKeyFailsAfterTheBoundNamingTheCause)
{
    Peers peers;
    peers.server.key = QByteArray::fromHex("0102030405060708");
    auto pair = makePair(peers, kDefaultCiphers, {}, 20ms);
    pair->client.setFinalFlightRetransmissionLimit(3);
    pair->server.setFinalFlightRetransmissionLimit(3);
    ASSERT_TRUE(pair->run(40));
    ASSERT_EQ(pair->clientResult, Result::Failed);
    EXPECT_TRUE(pair->client.retransmissionLimitReached());
    EXPECT_EQ(pair->client.finalFlightRetransmissions(), 3);
    const std::string error = pair->client.errorString().toStdString();
    EXPECT_NE(error.find("different pre-shared key"), std::string::npos) << error;
    EXPECT_NE(error.find("identity"), std::string::npos) << error;
    EXPECT_EQ(error.find(kKey.toHex().toStdString()), std::string::npos);
}

TEST(DtlsEngine, RefusedIdentityFailsBothSidesAtOnce)
{
    for (const bool emptyKey : {false, true}) {
        SCOPED_TRACE(emptyKey ? "empty key" : "slot refused");
        Peers peers;
        if (emptyKey)
            peers.server.key.clear();
        else
            peers.server.answer = false;
        auto pair = makePair(peers);
        ASSERT_TRUE(pair->run(3));
        EXPECT_EQ(pair->serverResult, Result::Failed);
        EXPECT_EQ(pair->clientResult, Result::Failed);
        EXPECT_FALSE(pair->client.retransmissionLimitReached());
        const std::vector<QtPskPrivate::TlsAlert> alerts = pair->client.tls().takeAlerts();
        ASSERT_FALSE(alerts.empty());
        EXPECT_FALSE(alerts.back().sent);
        EXPECT_EQ(alerts.back().level, 2);
    }
}

TEST(DtlsEngine, ClientKeyIsTruncatedToTheMaximum)
{
    Peers peers;
    peers.client.key = QByteArray(600, 'k');
    peers.server.key = QByteArray(512, 'k');
    auto pair = makePair(peers);
    ASSERT_TRUE(pair->run());
    EXPECT_EQ(pair->clientResult, Result::Ok) << pair->client.errorString().toStdString();
    EXPECT_EQ(peers.client.last().maximumPreSharedKeyLength(), 512);
}

TEST(DtlsEngine, GarbageAndOversizeDatagramsAreIgnored)
{
    Peers peers;
    auto pair = makePair(peers);
    pair->clientResult = pair->client.handshake();
    for (const QByteArray &junk : {QByteArray(1, '\x16'), QByteArray(13, '\x16'),
                                   QByteArray(70000, '\x17'), QByteArray("GET / HTTP/1.0\r\n\r\n")}) {
        EXPECT_EQ(pair->server.handshake(junk), Result::WantInput);
        EXPECT_EQ(pair->client.handshake(junk), Result::WantInput);
    }
    EXPECT_FALSE(pair->server.hasDatagrams());
    ASSERT_TRUE(pair->run());
    EXPECT_EQ(pair->clientResult, Result::Ok);
    EXPECT_EQ(pair->serverResult, Result::Ok);
    QByteArray plaintext;
    EXPECT_EQ(pair->server.decrypt(QByteArray(3000, '\x17'), &plaintext), Result::WantInput);
    EXPECT_FALSE(pair->server.isFailed());
}

TEST(DtlsEngine, AnExceptionFromTheSlotFailsTheHandshake)
{
    Peers peers;
    peers.server.during = [] { throw std::runtime_error("slot"); };
    auto pair = makePair(peers);
    pair->run(3);
    EXPECT_EQ(pair->serverResult, Result::Failed);
    ASSERT_TRUE(pair->server.tls().hasPendingException());
    EXPECT_THROW(std::rethrow_exception(pair->server.tls().takeException()), std::runtime_error);
}

// The cookie parameters of a server (or verifier) with \a secret, for the client at \a peer.
DtlsCookieParameters cookieParameters(const char *secret, const char *peer)
{
    DtlsCookieParameters cookie;
    cookie.secret = secret;
    cookie.peer = peer;
    return cookie;
}

TEST(DtlsEngine, ServerWithCookieExchangeSendsHelloVerifyRequestFirst)
{
    Peers peers;
    auto pair = makePair(peers);
    const DtlsCookieParameters cookie = cookieParameters("server secret", "127.0.0.1:4433");
    pair->server.setCookieParameters(cookie, true);
    ASSERT_EQ(pair->client.handshake(), Result::WantInput);
    const std::vector<QByteArray> hello = pair->client.takeDatagrams();
    ASSERT_EQ(hello.size(), 1u);
    EXPECT_EQ(pair->server.handshake(hello.front()), Result::WantInput);
    const std::vector<QByteArray> verifyRequest = pair->server.takeDatagrams();
    ASSERT_EQ(verifyRequest.size(), 1u);
    EXPECT_EQ(verifyRequest.front().at(13), '\x03') << "HelloVerifyRequest";
    EXPECT_EQ(peers.server.calls, 0);
    pair->toClient.send(verifyRequest);
    ASSERT_TRUE(pair->run());
    EXPECT_EQ(pair->clientResult, Result::Ok);
    EXPECT_EQ(pair->serverResult, Result::Ok);
}

// The verifier's answer to one ClientHello, and the ClientHello the client sends after it.
TEST(DtlsCookieVerifier, VerifiesOnlyAClientThatReturnedItsCookie)
{
    Peers peers;
    auto pair = makePair(peers);
    const DtlsCookieParameters cookie = cookieParameters("verifier secret", "peer A");
    DtlsCookieVerifier verifier;
    ASSERT_EQ(pair->client.handshake(), Result::WantInput);
    const QByteArray firstHello = pair->client.takeDatagrams().front();
    ASSERT_EQ(verifier.verify(firstHello, cookie), DtlsCookieVerifier::Verdict::ReplyQueued);
    const QByteArray verifyRequest = verifier.reply();
    EXPECT_LT(verifyRequest.size(), firstHello.size()) << "no amplification";
    ASSERT_EQ(pair->client.handshake(verifyRequest), Result::WantInput);
    const QByteArray secondHello = pair->client.takeDatagrams().back();

    EXPECT_EQ(verifier.verify(secondHello, cookie), DtlsCookieVerifier::Verdict::Verified);
    DtlsCookieParameters otherPeer = cookie;
    otherPeer.peer = "peer B";
    EXPECT_EQ(verifier.verify(secondHello, otherPeer), DtlsCookieVerifier::Verdict::ReplyQueued);
    DtlsCookieParameters otherSecret = cookie;
    otherSecret.secret = "another secret";
    EXPECT_EQ(verifier.verify(secondHello, otherSecret), DtlsCookieVerifier::Verdict::ReplyQueued);
    DtlsCookieParameters sha256 = cookie;
    sha256.digest = "SHA256";
    EXPECT_EQ(verifier.verify(secondHello, sha256), DtlsCookieVerifier::Verdict::ReplyQueued);
    EXPECT_EQ(verifier.verify(QByteArray(100, '\x16'), cookie), DtlsCookieVerifier::Verdict::Dropped);
    EXPECT_EQ(verifier.verify(QByteArray(), cookie), DtlsCookieVerifier::Verdict::Dropped);

    // The verified ClientHello starts the server's association (cookie exchange on, same parameters).
    pair->server.setCookieParameters(cookie, true);
    EXPECT_EQ(pair->server.handshake(secondHello), Result::WantInput);
    pair->toClient.send(pair->server.takeDatagrams());
    pair->deliver();
    EXPECT_EQ(pair->clientResult, Result::Ok) << pair->client.errorString().toStdString()
                                              << pair->server.errorString().toStdString();
    EXPECT_EQ(pair->serverResult, Result::Ok);
}

TEST(DtlsCookieVerifier, AFloodOfClientHellosAllocatesNothingThatStays)
{
    Peers peers;
    auto pair = makePair(peers);
    ASSERT_EQ(pair->client.handshake(), Result::WantInput);
    const QByteArray hello = pair->client.takeDatagrams().front();
    DtlsCookieParameters cookie;
    cookie.secret = "flood";
    DtlsCookieVerifier verifier;
    const auto verifyMany = [&](int count) {
        for (int i = 0; i < count; ++i) {
            cookie.peer = QByteArray::number(i);
            ASSERT_EQ(verifier.verify(hello, cookie), DtlsCookieVerifier::Verdict::ReplyQueued);
        }
    };
    verifyMany(200); // warm-up: OpenSSL's lazily made tables
    const size_t before = mallinfo2().uordblks;
    if (before == 0)
        GTEST_SKIP() << "this allocator does not report its use (a sanitizer build)";
    verifyMany(5000);
    const size_t after = mallinfo2().uordblks;
    EXPECT_LT(after, before + 64 * 1024) << "before " << before << ", after " << after;
}

TEST(DtlsCookie, DigestsAndSecrets)
{
    DtlsCookieParameters parameters;
    parameters.secret = "s";
    parameters.peer = "p";
    EXPECT_EQ(QtPskPrivate::dtlsCookie(parameters).size(), 20);
    parameters.digest = "SHA512";
    EXPECT_EQ(QtPskPrivate::dtlsCookie(parameters).size(), 64);
    parameters.digest = "no such digest";
    EXPECT_TRUE(QtPskPrivate::dtlsCookie(parameters).isEmpty());
    EXPECT_FALSE(QtPskPrivate::isUsableCookieDigest("SHAKE256"));
    parameters.digest = "SHA1";
    parameters.secret.clear();
    EXPECT_TRUE(QtPskPrivate::dtlsCookie(parameters).isEmpty());
    EXPECT_EQ(QtPskPrivate::defaultCookieSecret().size(), 32);
    EXPECT_EQ(QtPskPrivate::defaultCookieSecret(), QtPskPrivate::defaultCookieSecret());
}

} // namespace
