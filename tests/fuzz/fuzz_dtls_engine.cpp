// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
//
// fuzz_dtls_engine: a DtlsEngine (client or server, PSK configured) fed arbitrary datagrams as its
// peer's, and a DtlsCookieVerifier fed the same datagrams. Input: a flags byte (bit 0: the server
// is under test; bit 1: the server verifies cookies; bit 2: a real handshake comes first, and the
// datagrams are then decrypted; bit 3: the cipher list is PSK-AES128-GCM-SHA256 instead of the
// default DTLS list), then datagrams, each a u16 length and its bytes. A real peer runs beside
// the engine under test, on its own random stream, so that recorded datagrams stay valid.

#include "fuzzsupport.h"

#include "common/dtlspump.h"
#include "engine/dtlscookie_p.h"

#include <cstddef>
#include <cstdint>

namespace QtPskFuzz {

namespace {

constexpr std::uint8_t kServerUnderTest = 1;
constexpr std::uint8_t kCookies = 2;
constexpr std::uint8_t kCompleteFirst = 4;
constexpr std::uint8_t kGcm = 8;

using QtPskTest::DtlsEngine;
using DtlsResult = DtlsEngine::Result;

QtPskPrivate::DtlsCookieParameters fixedCookie()
{
    QtPskPrivate::DtlsCookieParameters cookie;
    cookie.secret = QByteArrayLiteral("fuzz cookie secret");
    cookie.peer = QByteArrayLiteral("fuzz peer");
    return cookie;
}

void appendDatagrams(QByteArray *to, const std::vector<QByteArray> &datagrams)
{
    for (const QByteArray &datagram : datagrams) {
        to->append(char((datagram.size() >> 8) & 0xff));
        to->append(char(datagram.size() & 0xff));
        to->append(datagram);
    }
}

} // namespace

Outcome fuzzDtlsEngine(const std::uint8_t *data, std::size_t size, QByteArray *recordedPayload)
{
    initialize();
    resetRandom();
    FuzzInput input(data, size);
    const std::uint8_t flags = input.byte();
    const bool serverUnderTest = flags & kServerUnderTest;
    const QByteArray ciphers = flags & kGcm
            ? QByteArrayLiteral("PSK-AES128-GCM-SHA256")
            : QByteArrayLiteral("PSK-AES128-CCM8:PSK-AES128-CCM:PSK-AES128-GCM-SHA256");
    QtPskTest::EngineCredentials clientCredentials(QByteArrayLiteral("fuzz identity"),
                                                   QByteArray::fromHex("0102030405060708"));
    QtPskTest::EngineCredentials serverCredentials(QByteArray(), QByteArray::fromHex("0102030405060708"));
    clientCredentials.keepRequests = serverCredentials.keepRequests = false;
    std::unique_ptr<QtPskTest::DtlsPair> pair;
    {
        const RandomScope setup(RandomStream::Setup);
        pair = std::make_unique<QtPskTest::DtlsPair>(
                QtPskTest::dtlsSettings(false, ciphers),
                QtPskTest::dtlsSettings(true, ciphers, QByteArrayLiteral("fuzz hint")),
                &clientCredentials, &serverCredentials);
    }
    if (flags & kCookies)
        pair->server.setCookieParameters(fixedCookie(), true);
    DtlsEngine &underTest = serverUnderTest ? pair->server : pair->client;
    DtlsEngine &peer = serverUnderTest ? pair->client : pair->server;
    const RandomStream underTestStream = serverUnderTest ? RandomStream::Server : RandomStream::Client;
    const RandomStream peerStream = serverUnderTest ? RandomStream::Client : RandomStream::Server;

    Outcome outcome;
    if (flags & kCompleteFirst) {
        // A real handshake, each engine on its own stream, with every datagram delivered.
        DtlsResult clientResult, serverResult;
        {
            const RandomScope scope(RandomStream::Client);
            clientResult = pair->client.handshake();
        }
        serverResult = DtlsResult::WantInput;
        for (int round = 0; round < 20 && !(QtPskTest::isFinal(clientResult) && QtPskTest::isFinal(serverResult)); ++round) {
            for (const QByteArray &datagram : pair->client.takeDatagrams()) {
                const RandomScope scope(RandomStream::Server);
                serverResult = pair->server.handshake(datagram);
            }
            for (const QByteArray &datagram : pair->server.takeDatagrams()) {
                const RandomScope scope(RandomStream::Client);
                clientResult = pair->client.handshake(datagram);
            }
        }
        if (clientResult != DtlsResult::Ok || serverResult != DtlsResult::Ok)
            violated("the real DTLS handshake completes");
    } else {
        // The engine under test starts (a client sends its ClientHello, a server waits), and the
        // peer's first flight is only recorded.
        const RandomScope scope(underTestStream);
        if (!serverUnderTest)
            underTest.handshake();
    }
    // Feeds \a datagrams to \a engine on \a stream; returns what it sends back.
    const auto feed = [](DtlsEngine &engine, RandomStream stream, const std::vector<QByteArray> &datagrams) {
        for (const QByteArray &datagram : datagrams) {
            const RandomScope scope(stream);
            QByteArray plaintext;
            if (engine.isHandshakeComplete())
                engine.decrypt(datagram, &plaintext);
            else
                engine.handshake(datagram);
        }
        return engine.takeDatagrams();
    };
    if (recordedPayload) {
        // The seed generator's mode: the real peer answers the engine under test to the end, and
        // what it sends is recorded as the payload.
        std::vector<QByteArray> toUnderTest;
        {
            const RandomScope scope(peerStream);
            if (flags & kCompleteFirst) {
                peer.encrypt(QByteArrayLiteral("peer application data"));
                peer.shutdown();
            } else if (serverUnderTest) {
                peer.handshake();
            }
            toUnderTest = peer.takeDatagrams();
        }
        if (!serverUnderTest && !(flags & kCompleteFirst))
            toUnderTest = feed(peer, peerStream, underTest.takeDatagrams());
        for (int round = 0; round < 10 && !toUnderTest.empty(); ++round) {
            appendDatagrams(recordedPayload, toUnderTest);
            toUnderTest = feed(peer, peerStream, feed(underTest, underTestStream, toUnderTest));
        }
        outcome.handshakeComplete = underTest.isHandshakeComplete();
        outcome.failed = underTest.isFailed();
        return outcome;
    }

    QtPskPrivate::DtlsCookieVerifier verifier;
    const QtPskPrivate::DtlsCookieParameters cookie = fixedCookie();
    while (input.left() > 0) {
        const QByteArray datagram = input.lengthPrefixed();
        const RandomScope scope(underTestStream);
        verifier.verify(datagram, cookie);
        QByteArray plaintext;
        DtlsResult result;
        if (underTest.isHandshakeComplete())
            result = underTest.decrypt(datagram, &plaintext);
        else
            result = underTest.handshake(datagram);
        outcome.plaintext += plaintext;
        appendDatagrams(&outcome.output, underTest.takeDatagrams());
        outcome.closed = outcome.closed || result == DtlsResult::Closed;
        if (underTest.isHandshakeComplete() && underTest.tls().protocolVersion() != DTLS1_2_VERSION)
            violated("a completed DTLS handshake is DTLS 1.2");
        // Oversize and garbage never fail the association: DTLS drops what it cannot read.
        if (underTest.isHandshakeComplete() && (flags & kCompleteFirst) && underTest.isFailed()
            && result != DtlsResult::Failed) {
            violated("a failed association reports Failed");
        }
    }
    outcome.handshakeComplete = underTest.isHandshakeComplete();
    outcome.failed = underTest.isFailed();
    return outcome;
}

} // namespace QtPskFuzz

QTPSK_FUZZ_TARGET(QtPskFuzz::fuzzDtlsEngine(data, size))
