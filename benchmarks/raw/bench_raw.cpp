// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
//
// The reference: a plain libssl program with OpenSSL's defaults (one SSL_CTX per side, the
// server's session cache on, two TLS 1.3 tickets), blocking sockets, the legacy PSK callbacks.
// It plays the server or the client of the benchmark protocol in benchcommon.h.

#include "common/benchcommon.h"
#include "common/benchrawpsk.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

using namespace QtPskBench;

namespace {

[[noreturn]] void die(const char *what)
{
    std::fprintf(stderr, "bench_raw: %s\n", what);
    ERR_print_errors_fp(stderr);
    std::exit(1);
}

SSL_CTX *makeContext(const Suite &suite, bool server)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ctx)
        die("SSL_CTX_new");
    const int version = suite.tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
    SSL_CTX_set_min_proto_version(ctx, version);
    SSL_CTX_set_max_proto_version(ctx, version);
    if (suite.tls13 ? !SSL_CTX_set_ciphersuites(ctx, suite.cipher)
                    : !SSL_CTX_set_cipher_list(ctx, suite.cipher))
        die("cannot select the suite");
    if (server)
        SSL_CTX_set_psk_server_callback(ctx, rawPskServer);
    else
        SSL_CTX_set_psk_client_callback(ctx, rawPskClient);
    return ctx;
}

// Reads exactly \a size bytes (or up to EOF when \a size is 0 and \a discard is set).
bool readAll(SSL *ssl, unsigned char *buffer, std::size_t size)
{
    std::size_t got = 0;
    while (got < size) {
        const int n = SSL_read(ssl, buffer + got, int(size - got));
        if (n <= 0)
            return false;
        got += std::size_t(n);
    }
    return true;
}

// Moves \a size bytes in chunks of at most kChunk: reads and drops them, or (\a send) writes
// that many 'x' bytes.
bool moveBytes(SSL *ssl, std::uint64_t size, bool send)
{
    std::vector<unsigned char> buffer(kChunk, 'x');
    while (size > 0) {
        const int chunk = int(std::min<std::uint64_t>(size, kChunk));
        const int n = send ? SSL_write(ssl, buffer.data(), chunk) : SSL_read(ssl, buffer.data(), chunk);
        if (n <= 0)
            return false;
        size -= std::uint64_t(n);
    }
    return true;
}

bool discard(SSL *ssl, std::uint64_t size)
{
    return moveBytes(ssl, size, false);
}

bool sendBytes(SSL *ssl, std::uint64_t size)
{
    return moveBytes(ssl, size, true);
}

int listenOn(int port)
{
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(std::uint16_t(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 || listen(fd, 1024) != 0)
        die("bind/listen on 127.0.0.1");
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length);
    report("port", std::to_string(ntohs(address.sin_port)));
    return fd;
}

int connectTo(int port)
{
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(std::uint16_t(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
        die("connect to 127.0.0.1");
    return fd;
}

int runServer(const Options &options)
{
    SSL_CTX *ctx = makeContext(*options.suite, true);
    const int listener = listenOn(options.port);
    const long baseline = procStatusKiB("VmRSS");
    std::vector<SSL *> idle;
    for (;;) {
        const int fd = accept(listener, nullptr, nullptr);
        if (fd < 0)
            continue;
        SSL *ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) != 1) {
            ERR_clear_error();
            SSL_free(ssl);
            close(fd);
            continue;
        }
        if (options.idle > 0) {
            idle.push_back(ssl);
            if (long(idle.size()) == options.idle) {
                report("baseline_kib", double(baseline));
                report("peak_kib", double(procStatusKiB("VmHWM")));
                report("per_connection_kib", double(procStatusKiB("VmHWM") - baseline) / double(options.idle));
                for (SSL *connection : idle) {
                    close(SSL_get_fd(connection)); // the client sees every connection end
                    SSL_free(connection);
                }
                SSL_CTX_free(ctx);
                close(listener);
                return 0;
            }
            continue;
        }
        unsigned char header[kHeaderSize];
        const int n = SSL_read(ssl, header, 1);
        if (n == 1 && readAll(ssl, header + 1, kHeaderSize - 1)) {
            const std::uint64_t size = decodeSize(header);
            if (header[0] == 'S' && discard(ssl, size)) {
                const unsigned char ack = 'k';
                SSL_write(ssl, &ack, 1);
            } else if (header[0] == 'R') {
                sendBytes(ssl, size);
            }
            unsigned char rest;
            SSL_read(ssl, &rest, 1); // up to the client's close_notify
        }
        SSL_shutdown(ssl); // answers the client's close_notify
        ERR_clear_error();
        SSL_free(ssl);
        close(fd);
    }
}

int runClient(const Options &options)
{
    SSL_CTX *ctx = makeContext(*options.suite, false);
    bool reported = false;
    auto open = [&](int *fdOut) {
        const int fd = connectTo(options.port);
        SSL *ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_connect(ssl) != 1)
            die("handshake failed");
        if (!reported) {
            reported = true;
            report("cipher", SSL_get_cipher_name(ssl));
        }
        *fdOut = fd;
        return ssl;
    };
    auto finish = [](SSL *ssl, int fd) {
        SSL_shutdown(ssl); // close_notify
        SSL_free(ssl);
        close(fd);
    };

    if (options.handshakes > 0) {
        const auto start = std::chrono::steady_clock::now();
        for (long i = 0; i < options.handshakes; ++i) {
            int fd = -1;
            SSL *ssl = open(&fd);
            finish(ssl, fd);
        }
        report("handshakes_per_s", double(options.handshakes) / secondsSince(start));
        SSL_CTX_free(ctx);
        return 0;
    }
    if (options.idle > 0) {
        std::vector<std::pair<SSL *, int>> connections;
        for (long i = 0; i < options.idle; ++i) {
            int fd = -1;
            SSL *ssl = open(&fd);
            connections.emplace_back(ssl, fd);
        }
        char byte;
        for (const auto &connection : connections)
            (void)!recv(connection.second, &byte, 1, 0); // until the server has measured and left
        for (const auto &connection : connections) {
            SSL_free(connection.first);
            close(connection.second);
        }
        SSL_CTX_free(ctx);
        return 0;
    }
    int fd = -1;
    SSL *ssl = open(&fd);
    const bool send = options.sendMiB > 0;
    const std::uint64_t size = std::uint64_t(send ? options.sendMiB : options.recvMiB) << 20;
    unsigned char header[kHeaderSize];
    encodeHeader(header, send ? 'S' : 'R', size);
    const auto start = std::chrono::steady_clock::now();
    if (SSL_write(ssl, header, int(kHeaderSize)) != int(kHeaderSize))
        die("write");
    if (send) {
        unsigned char ack = 0;
        if (!sendBytes(ssl, size) || !readAll(ssl, &ack, 1))
            die("bulk send");
    } else if (!discard(ssl, size)) {
        die("bulk receive");
    }
    report("mb_per_s", double(size) / 1e6 / secondsSince(start));
    finish(ssl, fd);
    SSL_CTX_free(ctx);
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    Options options;
    if (!optionsFromCommandLine(argc, argv, &options))
        return 2;
    signal(SIGPIPE, SIG_IGN);
    alarm(unsigned(options.timeoutSeconds)); // every run is bounded
    raiseDescriptorLimit();
    return options.role == "server" ? runServer(options) : runClient(options);
}
