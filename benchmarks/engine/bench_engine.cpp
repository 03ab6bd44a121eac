// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
//
// In-memory handshakes, no sockets: two QtPsk TlsEngines pumped into each other, against two raw
// SSL objects over an OpenSSL BIO pair. Both hold one SSL_CTX per side for the whole run (as a
// server or a long-lived client does) and create the per-connection SSL objects each iteration.

#include "common/benchrawpsk.h"
#include "common/enginepump.h"
#include "engine/tlsengine_p.h"

#include <QtPsk/qsslpresharedkeyauthenticator.h>

#include <benchmark/benchmark.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstring>

using QTPSK_PREPEND_NAMESPACE(QSslPreSharedKeyAuthenticator);
using QTPSK_PREPEND_NAMESPACE(QtPskPrivate::TlsContext);
using QTPSK_PREPEND_NAMESPACE(QtPskPrivate::TlsEngine);
using QTPSK_PREPEND_NAMESPACE(QtPskPrivate::TlsSettings);
using QTPSK_PREPEND_NAMESPACE(QtPskPrivate::Tls13Psk);

namespace {

using QtPskBench::kIdentity;
using QtPskBench::kKey;
using QtPskBench::rawPskClient;
using QtPskBench::rawPskServer;

struct Suite
{
    bool tls13;
    const char *cipher; // the TLS 1.2 cipher list, or the TLS 1.3 ciphersuite
};

const Suite kSuites[] = {
    { false, "PSK-AES128-GCM-SHA256" },
    { false, "ECDHE-PSK-CHACHA20-POLY1305" },
    { true, "TLS_AES_128_GCM_SHA256" },
};

std::shared_ptr<TlsContext> engineContext(const Suite &suite, bool server)
{
    TlsSettings settings;
    settings.server = server;
    settings.minVersion = settings.maxVersion = suite.tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
    (suite.tls13 ? settings.cipherSuites : settings.cipherList) = suite.cipher;
    settings.tls13Psk = Tls13Psk::Offer;
    return TlsContext::get(settings, nullptr);
}

void BM_EngineHandshake(benchmark::State &state)
{
    const Suite &suite = kSuites[state.range(0)];
    const std::shared_ptr<TlsContext> clientContext = engineContext(suite, false);
    const std::shared_ptr<TlsContext> serverContext = engineContext(suite, true);
    if (!clientContext || !serverContext) {
        state.SkipWithError("no context");
        return;
    }
    QtPskTest::EngineCredentials credentials(
            QByteArray(kIdentity), QByteArray(reinterpret_cast<const char *>(kKey), sizeof kKey));
    credentials.keepRequests = false;
    for (auto _ : state) {
        TlsEngine client(clientContext, &credentials);
        TlsEngine server(serverContext, &credentials);
        TlsEngine::Result c = TlsEngine::Result::WantInput;
        TlsEngine::Result s = TlsEngine::Result::WantInput;
        QtPskTest::pumpHandshake(client, server, &c, &s, 10);
        if (c == TlsEngine::Result::Failed || s == TlsEngine::Result::Failed) {
            state.SkipWithError("handshake failed");
            return;
        }
        if (!client.isHandshakeComplete() || !server.isHandshakeComplete()) {
            state.SkipWithError("handshake did not finish");
            return;
        }
    }
    state.SetItemsProcessed(state.iterations()); // items_per_second = handshakes per second
}

SSL_CTX *rawContext(const Suite &suite, bool server)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    const int version = suite.tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
    SSL_CTX_set_min_proto_version(ctx, version);
    SSL_CTX_set_max_proto_version(ctx, version);
    if (suite.tls13)
        SSL_CTX_set_ciphersuites(ctx, suite.cipher);
    else
        SSL_CTX_set_cipher_list(ctx, suite.cipher);
    if (server)
        SSL_CTX_set_psk_server_callback(ctx, rawPskServer);
    else
        SSL_CTX_set_psk_client_callback(ctx, rawPskClient);
    return ctx;
}

void BM_RawBioPairHandshake(benchmark::State &state)
{
    const Suite &suite = kSuites[state.range(0)];
    SSL_CTX *clientContext = rawContext(suite, false);
    SSL_CTX *serverContext = rawContext(suite, true);
    for (auto _ : state) {
        SSL *client = SSL_new(clientContext);
        SSL *server = SSL_new(serverContext);
        BIO *clientBio = nullptr;
        BIO *serverBio = nullptr;
        BIO_new_bio_pair(&clientBio, 0, &serverBio, 0);
        SSL_set_bio(client, clientBio, clientBio);
        SSL_set_bio(server, serverBio, serverBio);
        SSL_set_connect_state(client);
        SSL_set_accept_state(server);
        bool clientDone = false;
        bool serverDone = false;
        for (int round = 0; round < 10 && !(clientDone && serverDone); ++round) {
            clientDone = clientDone || SSL_do_handshake(client) == 1;
            serverDone = serverDone || SSL_do_handshake(server) == 1;
        }
        if (!clientDone || !serverDone) {
            state.SkipWithError("raw handshake did not finish");
            ERR_print_errors_fp(stderr);
            break;
        }
        SSL_free(client);
        SSL_free(server);
    }
    state.SetItemsProcessed(state.iterations()); // items_per_second = handshakes per second
    SSL_CTX_free(clientContext);
    SSL_CTX_free(serverContext);
}

} // namespace

// Argument: the suite, 0 = A (TLS 1.2 PSK-AES128-GCM-SHA256), 1 = B (TLS 1.2
// ECDHE-PSK-CHACHA20-POLY1305), 2 = C (TLS 1.3 TLS_AES_128_GCM_SHA256, external PSK).
BENCHMARK(BM_EngineHandshake)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RawBioPairHandshake)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
