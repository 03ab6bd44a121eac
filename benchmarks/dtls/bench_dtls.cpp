// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
//
// DTLS 1.2 PSK in memory, no sockets: two QtPsk DtlsEngines (datagram BIOs, one datagram per
// write) against two raw OpenSSL DTLS SSL objects over memory BIOs. Handshakes per second and
// datagram round trips (encrypt, decrypt, echo) per second; each side holds one SSL_CTX for the
// run and makes its SSL objects per iteration, as a server does.

#include "common/benchrawpsk.h"
#include "common/dtlspump.h"

#include <benchmark/benchmark.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <memory>
#include <vector>

namespace {

using QtPskBench::kIdentity;
using QtPskBench::kKey;
using DtlsEngine = QtPskTest::DtlsEngine;
using Result = DtlsEngine::Result;

const char *const kSuites[] = {"PSK-AES128-CCM8", "PSK-AES128-GCM-SHA256", "ECDHE-PSK-CHACHA20-POLY1305"};

QtPskTest::EngineCredentials &credentials()
{
    static QtPskTest::EngineCredentials made(
            QByteArray(kIdentity), QByteArray(reinterpret_cast<const char *>(kKey), sizeof kKey));
    made.keepRequests = false;
    return made;
}

std::unique_ptr<QtPskTest::DtlsPair> enginePair(const char *suite)
{
    return std::make_unique<QtPskTest::DtlsPair>(QtPskTest::dtlsSettings(false, suite),
                                                 QtPskTest::dtlsSettings(true, suite),
                                                 &credentials(), &credentials());
}

void BM_EngineHandshake(benchmark::State &state)
{
    const char *suite = kSuites[state.range(0)];
    state.SetLabel(suite);
    for (auto _ : state) {
        auto pair = enginePair(suite);
        if (!pair->run(0) || pair->clientResult != Result::Ok || pair->serverResult != Result::Ok) {
            state.SkipWithError("handshake failed");
            return;
        }
    }
    state.counters["handshakes/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_EngineRoundTrip(benchmark::State &state)
{
    auto pair = enginePair(kSuites[state.range(0)]);
    state.SetLabel(kSuites[state.range(0)]);
    if (!pair->run(0)) {
        state.SkipWithError("handshake failed");
        return;
    }
    const QByteArray message(100, 'm');
    QByteArray plaintext;
    for (auto _ : state) {
        pair->client.encrypt(message);
        for (const QByteArray &d : pair->client.takeDatagrams())
            pair->server.decrypt(d, &plaintext);
        pair->server.encrypt(plaintext);
        for (const QByteArray &d : pair->server.takeDatagrams())
            pair->client.decrypt(d, &plaintext);
        if (plaintext.size() != message.size()) {
            state.SkipWithError("round trip lost its datagram");
            return;
        }
    }
    state.counters["round trips/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

// --- Raw OpenSSL ----------------------------------------------------------------------------

struct SslCtxFree
{
    void operator()(SSL_CTX *ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree
{
    void operator()(SSL *ssl) const { SSL_free(ssl); }
};

std::unique_ptr<SSL_CTX, SslCtxFree> rawContext(bool server, const char *suite)
{
    std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(server ? DTLS_server_method() : DTLS_client_method()));
    SSL_CTX_set_min_proto_version(ctx.get(), DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx.get(), DTLS1_2_VERSION);
    SSL_CTX_set_cipher_list(ctx.get(), suite);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_QUERY_MTU);
    if (server)
        SSL_CTX_set_psk_server_callback(ctx.get(), QtPskBench::rawPskServer);
    else
        SSL_CTX_set_psk_client_callback(ctx.get(), QtPskBench::rawPskClient);
    return ctx;
}

struct RawSide
{
    std::unique_ptr<SSL, SslFree> ssl;
    BIO *in = nullptr;
    BIO *out = nullptr;
    explicit RawSide(SSL_CTX *ctx, bool server) : ssl(SSL_new(ctx))
    {
        in = BIO_new(BIO_s_mem());
        out = BIO_new(BIO_s_mem());
        BIO_set_mem_eof_return(in, -1);
        SSL_set_bio(ssl.get(), in, out);
        DTLS_set_link_mtu(ssl.get(), 1200);
        server ? SSL_set_accept_state(ssl.get()) : SSL_set_connect_state(ssl.get());
    }
};

// Moves what \a from wrote to \a to; true when something moved.
bool move(RawSide &from, RawSide &to)
{
    char buffer[4096];
    bool moved = false;
    int n;
    while ((n = BIO_read(from.out, buffer, sizeof buffer)) > 0) {
        BIO_write(to.in, buffer, n);
        moved = true;
    }
    return moved;
}

bool rawHandshake(RawSide &client, RawSide &server)
{
    for (int round = 0; round < 20; ++round) {
        const int c = SSL_do_handshake(client.ssl.get());
        move(client, server);
        const int s = SSL_do_handshake(server.ssl.get());
        move(server, client);
        if (c == 1 && s == 1)
            return true;
    }
    return false;
}

void BM_RawHandshake(benchmark::State &state)
{
    const char *suite = kSuites[state.range(0)];
    state.SetLabel(suite);
    const auto clientCtx = rawContext(false, suite);
    const auto serverCtx = rawContext(true, suite);
    for (auto _ : state) {
        RawSide client(clientCtx.get(), false);
        RawSide server(serverCtx.get(), true);
        if (!rawHandshake(client, server)) {
            state.SkipWithError("raw handshake failed");
            return;
        }
    }
    state.counters["handshakes/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_RawRoundTrip(benchmark::State &state)
{
    const char *suite = kSuites[state.range(0)];
    state.SetLabel(suite);
    const auto clientCtx = rawContext(false, suite);
    const auto serverCtx = rawContext(true, suite);
    RawSide client(clientCtx.get(), false);
    RawSide server(serverCtx.get(), true);
    if (!rawHandshake(client, server)) {
        state.SkipWithError("raw handshake failed");
        return;
    }
    char message[100] = {};
    char buffer[2048];
    for (auto _ : state) {
        SSL_write(client.ssl.get(), message, sizeof message);
        move(client, server);
        const int got = SSL_read(server.ssl.get(), buffer, sizeof buffer);
        SSL_write(server.ssl.get(), buffer, got);
        move(server, client);
        if (SSL_read(client.ssl.get(), buffer, sizeof buffer) != int(sizeof message)) {
            state.SkipWithError("raw round trip lost its datagram");
            return;
        }
    }
    state.counters["round trips/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_EngineHandshake)->DenseRange(0, 2);
BENCHMARK(BM_RawHandshake)->DenseRange(0, 2);
BENCHMARK(BM_EngineRoundTrip)->DenseRange(0, 2);
BENCHMARK(BM_RawRoundTrip)->DenseRange(0, 2);

} // namespace

BENCHMARK_MAIN();
