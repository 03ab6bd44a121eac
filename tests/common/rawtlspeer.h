// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// A raw OpenSSL TLS-PSK peer for the parity tests, on a blocking loopback socket in a thread of its
// own: it sees what goes over the wire (the ClientHello's extensions, SNI, the negotiated cipher,
// resumption) whatever network library the test's other side is built with. Plain OpenSSL and POSIX
// only, so the same peer serves the Qt6::Network and the QtPsk build.
#ifndef QTPSK_RAWTLSPEER_H
#define QTPSK_RAWTLSPEER_H

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace RawTls {

// What the raw peer saw of one connection.
struct Connection
{
    bool handshakeOk = false;
    std::string error; // OpenSSL's error queue when the handshake or a later step failed
    std::string cipher;
    int version = 0;
    bool reused = false;
    std::string serverName; // the SNI the client sent (server side)
    std::vector<int> clientHelloExtensions; // server side: the extension types of the ClientHello
    int pskCallbacks = 0; // how often the raw peer's own PSK callback ran
    bool pskAccepted = false; // server side: the callback gave a key (an external PSK, no ticket)
    bool ticketReceived = false; // client side: the session has a ticket
    std::string received; // application bytes read
    int renegotiations = 0; // renegotiations completed (handshakes - 1, taken by the test)
    int handshakes = 0; // SSL_CB_HANDSHAKE_DONE: the first handshake and every renegotiation
    std::vector<int> alertsReceived; // the descriptions of the alerts the other side sent
    int earlyDataStatus = -1; // client side: SSL_get_early_data_status() when early data was tried
};

inline std::string takeErrors()
{
    std::string text;
    char buffer[256];
    while (const unsigned long error = ERR_get_error()) {
        ERR_error_string_n(error, buffer, sizeof buffer);
        if (!text.empty())
            text += ", ";
        text += buffer;
    }
    return text;
}

// Reads what the peer sends until it closes (its close_notify or FIN), for TLS 1.3 tickets too.
inline void readUntilClosed(SSL *ssl, Connection &connection)
{
    char buffer[256];
    int n;
    while ((n = SSL_read(ssl, buffer, sizeof buffer)) > 0)
        connection.received.append(buffer, size_t(n));
}

inline bool hasExtension(const Connection &connection, int type)
{
    for (const int ext : connection.clientHelloExtensions) {
        if (ext == type)
            return true;
    }
    return false;
}

// The state the OpenSSL callbacks reach through SSL_CTX ex_data / app data.
struct PskState
{
    std::string identity = "Client_identity";
    std::string key; // raw key bytes
    std::string hint = "QtTestServerHint";
    Connection *current = nullptr;
};

// Ends a connection of the peer's thread: close_notify, the SSL object and the socket go, and the
// callbacks no longer record into the connection.
inline void endConnection(SSL *ssl, int fd, PskState *state)
{
    SSL_shutdown(ssl);
    SSL_free(ssl);
    ::close(fd);
    state->current = nullptr;
}

inline int pskStateIndex()
{
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

inline PskState *stateOf(SSL *ssl)
{
    return static_cast<PskState *>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), pskStateIndex()));
}

inline unsigned int serverPsk(SSL *ssl, const char *identity, unsigned char *psk, unsigned int max)
{
    PskState *state = stateOf(ssl);
    if (state->current)
        ++state->current->pskCallbacks;
    if (!identity || state->identity != identity || state->key.size() > max)
        return 0;
    std::memcpy(psk, state->key.data(), state->key.size());
    if (state->current)
        state->current->pskAccepted = true;
    return unsigned(state->key.size());
}

inline unsigned int clientPsk(SSL *ssl, const char *, char *identity, unsigned int maxIdentity,
                              unsigned char *psk, unsigned int maxPsk)
{
    PskState *state = stateOf(ssl);
    if (state->current)
        ++state->current->pskCallbacks;
    if (state->identity.size() + 1 > maxIdentity || state->key.size() > maxPsk)
        return 0;
    std::memcpy(identity, state->identity.c_str(), state->identity.size() + 1);
    std::memcpy(psk, state->key.data(), state->key.size());
    return unsigned(state->key.size());
}

inline int recordClientHello(SSL *ssl, int *, void *)
{
    PskState *state = stateOf(ssl);
    int *types = nullptr;
    size_t count = 0;
    if (state->current && SSL_client_hello_get1_extensions_present(ssl, &types, &count) == 1) {
        state->current->clientHelloExtensions.assign(types, types + count);
        OPENSSL_free(types);
    }
    return SSL_CLIENT_HELLO_SUCCESS;
}

// Counts completed handshakes (the first one and each renegotiation) into handshakes.
// Also records the alerts the peer sends (their description codes) into alertsReceived.
inline void countHandshakes(const SSL *ssl, int where, int value)
{
    PskState *state = stateOf(const_cast<SSL *>(ssl));
    if (!state->current)
        return;
    if (where & SSL_CB_HANDSHAKE_DONE)
        ++state->current->handshakes;
    if ((where & SSL_CB_READ_ALERT) == SSL_CB_READ_ALERT)
        state->current->alertsReceived.push_back(value & 0xff);
}

// A context for one side; \a key is the raw PSK.
inline SSL_CTX *newContext(bool server, PskState *state)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    SSL_CTX_set_ex_data(ctx, pskStateIndex(), state);
    SSL_CTX_set_info_callback(ctx, &countHandshakes);
    if (server) {
        SSL_CTX_set_psk_server_callback(ctx, &serverPsk);
        SSL_CTX_use_psk_identity_hint(ctx, state->hint.c_str());
        SSL_CTX_set_client_hello_cb(ctx, &recordClientHello, nullptr);
    } else {
        SSL_CTX_set_psk_client_callback(ctx, &clientPsk);
    }
    return ctx;
}

// A client context for \a state that keeps its sessions for the caller (a client-side cache
// without OpenSSL's internal store): TLS 1.2 ciphers \a ciphers, TLS 1.3 TLS_AES_128_GCM_SHA256.
inline SSL_CTX *newSessionKeepingClientContext(PskState *state, const char *ciphers)
{
    SSL_CTX *ctx = newContext(false, state);
    SSL_CTX_set_cipher_list(ctx, ciphers);
    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256");
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
    return ctx;
}

// Waits until \a fd is readable (true) or \a timeoutMs passed (false).
inline bool waitReadable(int fd, int timeoutMs)
{
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, timeoutMs) > 0;
}

// Listens on 127.0.0.1, port 0, at construction; serve() runs the given per-connection steps for
// \a connections accepted connections in a thread; join() waits for it.
class Server
{
public:
    explicit Server(SSL_CTX *ctx) : m_ctx(ctx)
    {
        m_listener = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (m_listener >= 0 && ::bind(m_listener, reinterpret_cast<sockaddr *>(&address), length) == 0
            && ::listen(m_listener, 16) == 0
            && ::getsockname(m_listener, reinterpret_cast<sockaddr *>(&address), &length) == 0) {
            m_port = ntohs(address.sin_port);
        }
    }
    ~Server()
    {
        join();
        if (m_listener >= 0)
            ::close(m_listener);
    }
    Server(const Server &) = delete;
    Server &operator=(const Server &) = delete;

    quint16 port() const { return m_port; }

    // \a afterHandshake runs on the thread with the established SSL (and may exchange data).
    void serve(int connections, std::function<void(SSL *, Connection &)> afterHandshake = {},
               std::function<void(SSL *)> prepare = {})
    {
        m_results.resize(size_t(connections));
        m_thread = std::thread([=] {
            for (int i = 0; i < connections; ++i) {
                if (!waitReadable(m_listener, 20000))
                    return;
                const int fd = ::accept(m_listener, nullptr, nullptr);
                if (fd < 0)
                    return;
                Connection &result = m_results[size_t(i)];
                PskState *state = static_cast<PskState *>(SSL_CTX_get_ex_data(m_ctx, pskStateIndex()));
                state->current = &result;
                SSL *ssl = SSL_new(m_ctx);
                SSL_set_fd(ssl, fd);
                if (prepare)
                    prepare(ssl);
                timeval tv{20, 0};
                ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
                result.handshakeOk = SSL_accept(ssl) == 1;
                if (result.handshakeOk) {
                    const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
                    result.cipher = cipher ? SSL_CIPHER_get_name(cipher) : "";
                    result.version = SSL_version(ssl);
                    // OpenSSL counts a TLS 1.3 external PSK as reused too; a resumption asks no key.
                    result.reused = SSL_session_reused(ssl) == 1 && !result.pskAccepted;
                    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
                    result.serverName = name ? name : "";
                    if (afterHandshake)
                        afterHandshake(ssl, result);
                } else {
                    result.error = takeErrors();
                }
                endConnection(ssl, fd, state);
                ++m_done;
            }
        });
    }
    void join()
    {
        if (m_thread.joinable())
            m_thread.join();
    }
    int done() const { return m_done; }
    const std::vector<Connection> &results() const { return m_results; }

private:
    SSL_CTX *m_ctx;
    int m_listener = -1;
    quint16 m_port = 0;
    std::thread m_thread;
    std::vector<Connection> m_results;
    std::atomic<int> m_done{0};
};

// One blocking client connection to 127.0.0.1:\a port in a thread: start() it, join() it.
class Client
{
public:
    Client(SSL_CTX *ctx, quint16 port) : m_ctx(ctx), m_port(port) { }
    ~Client()
    {
        join();
        if (m_session)
            SSL_SESSION_free(m_session);
    }
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;

    // \a session (may be null) is offered for resumption; \a afterHandshake runs on the thread.
    void start(SSL_SESSION *session, std::function<void(SSL *, Connection &)> afterHandshake = {},
               std::function<void(SSL *)> prepare = {})
    {
        m_thread = std::thread([=] {
            const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in address{};
            address.sin_family = AF_INET;
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            address.sin_port = htons(m_port);
            if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
                m_result.error = "connect failed";
                if (fd >= 0)
                    ::close(fd);
                m_finished = true;
                return;
            }
            timeval tv{20, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            PskState *state = static_cast<PskState *>(SSL_CTX_get_ex_data(m_ctx, pskStateIndex()));
            state->current = &m_result;
            SSL *ssl = SSL_new(m_ctx);
            SSL_set_fd(ssl, fd);
            if (session)
                SSL_set_session(ssl, session);
            if (prepare)
                prepare(ssl);
            m_result.handshakeOk = SSL_connect(ssl) == 1;
            if (SSL_SESSION_get_max_early_data(SSL_get_session(ssl)) > 0 || session)
                m_result.earlyDataStatus = SSL_get_early_data_status(ssl);
            if (m_result.handshakeOk) {
                const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
                m_result.cipher = cipher ? SSL_CIPHER_get_name(cipher) : "";
                m_result.version = SSL_version(ssl);
                // A TLS 1.3 external PSK counts as reused in OpenSSL; the offered session stays
                // the connection's only when it was resumed.
                m_result.reused = SSL_session_reused(ssl) == 1 && session
                        && SSL_get_session(ssl) == session;
                if (afterHandshake)
                    afterHandshake(ssl, m_result);
                SSL_SESSION *kept = SSL_get1_session(ssl);
                m_result.ticketReceived = kept && SSL_SESSION_has_ticket(kept);
                if (m_session)
                    SSL_SESSION_free(m_session);
                m_session = kept;
            } else {
                m_result.error = takeErrors();
            }
            endConnection(ssl, fd, state);
            m_finished = true;
        });
    }
    // The connection has ended (the thread is about to finish): join() returns at once.
    bool finished() const { return m_finished; }
    void join()
    {
        if (m_thread.joinable())
            m_thread.join();
    }
    const Connection &result() const { return m_result; }
    // The session of the finished connection (owned by the client; valid until it is destroyed).
    SSL_SESSION *session() const { return m_session; }

private:
    SSL_CTX *m_ctx;
    quint16 m_port;
    std::thread m_thread;
    Connection m_result;
    SSL_SESSION *m_session = nullptr;
    std::atomic<bool> m_finished{false};
};

// Reads from \a ssl until \a count bytes arrived or the connection ended; returns them.
inline std::string readBytes(SSL *ssl, size_t count)
{
    std::string bytes;
    char buffer[4096];
    while (bytes.size() < count) {
        const int n = SSL_read(ssl, buffer, int(std::min(sizeof buffer, count - bytes.size())));
        if (n <= 0)
            break;
        bytes.append(buffer, size_t(n));
    }
    return bytes;
}

} // namespace RawTls

#endif // QTPSK_RAWTLSPEER_H
