// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Hostile peers for the fault tests: raw POSIX sockets driven on a thread of their own, and an
// in-process OpenSSL endpoint over memory BIOs that completes a real PSK handshake and then
// misbehaves (resets in the middle of a record, writes byte by byte, ...). Every wait is bounded,
// so that a peer thread always ends and can be joined.
#ifndef QTPSK_FAULTS_HOSTILEPEER_H
#define QTPSK_FAULTS_HOSTILEPEER_H

#include <QtCore/qbytearray.h>
#include <QtCore/qglobal.h>
#include <QtCore/qlist.h>

#include <openssl/ssl.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

namespace FaultsTest {

// The PSK credentials every good peer in these tests uses.
QByteArray goodIdentity();
QByteArray goodKey();
QByteArray goodHint();

// --- Raw socket helpers (blocking calls, bounded by poll()) ------------------------------------

// A TCP socket listening on 127.0.0.1 with a kernel-chosen port (-1 on failure).
int listenLoopback(quint16 *port);
// A blocking TCP connection to 127.0.0.1:port (-1 on failure).
int connectLoopback(quint16 port);
// Accepts one connection within \a timeoutMs (-1 on failure or time-out).
int acceptWithin(int listener, int timeoutMs);
// Reads what is there within \a timeoutMs. Empty on time-out, end of stream or error; *ended
// (if given) tells an end of stream or a reset from a time-out.
QByteArray readSome(int fd, int timeoutMs, bool *ended = nullptr);
// Reads exactly \a size bytes (fewer on end of stream, error or time-out).
QByteArray readExactly(int fd, qsizetype size, int timeoutMs);
// Reads one whole TLS record (5-byte header and body).
QByteArray readRecord(int fd, int timeoutMs);
// Reads and discards until the peer closes or resets; false on time-out.
bool waitForEnd(int fd, int timeoutMs);
// Writes everything, \a chunk bytes per write() (0: all at once).
bool writeAll(int fd, const QByteArray &data, qsizetype chunk = 0);
// Makes the next close() of \a fd send RST instead of FIN (SO_LINGER with a zero time-out).
void armReset(int fd);

// TLS records of \a contentType carrying \a payload, split into fragments of at most 16384 bytes.
QByteArray tlsRecords(quint8 contentType, const QByteArray &payload, quint16 version = 0x0303);
// A handshake message: type, 24-bit length, body.
QByteArray handshakeMessage(quint8 type, const QByteArray &body);

// A TLS 1.2 server flight from a hand-built server: ServerHello choosing \a cipherSuite, a
// ServerKeyExchange carrying \a hint (any length up to 65535) and ServerHelloDone.
QByteArray tls12PskServerFlight(quint16 cipherSuite, const QByteArray &hint);
// A TLS 1.3 ClientHello offering TLS_AES_128_GCM_SHA256 with x25519 and a pre_shared_key
// extension holding \a identities, each with a zero ticket age and a 32-byte binder of garbage.
QByteArray tls13ClientHelloWithIdentities(const QList<QByteArray> &identities);

// --- A thread running a hostile script ---------------------------------------------------------

// Runs \a script on a thread of its own; the destructor joins it. The script must only block in
// bounded waits.
class PeerThread
{
public:
    PeerThread() = default;
    explicit PeerThread(std::function<void()> script);
    ~PeerThread();
    PeerThread(const PeerThread &) = delete;
    PeerThread &operator=(const PeerThread &) = delete;
    void start(std::function<void()> script);
    void join();
    bool isFinished() const { return m_finished.load(); }

private:
    std::thread m_thread;
    std::atomic<bool> m_finished{false};
};

// A server that accepts one connection on 127.0.0.1 and hands it to a script; the connection is
// closed (FIN, or RST after armReset()) when the script returns.
class HostileServer
{
public:
    explicit HostileServer(std::function<void(int fd)> script);
    ~HostileServer();
    HostileServer(const HostileServer &) = delete;
    HostileServer &operator=(const HostileServer &) = delete;
    quint16 port() const { return m_port; }
    bool isFinished() const { return m_thread.isFinished(); }
    void join() { m_thread.join(); }

private:
    int m_listener = -1;
    quint16 m_port = 0;
    PeerThread m_thread;
};

// A client that connects to 127.0.0.1:port and hands the connection to a script; closed as above.
class HostileClient
{
public:
    HostileClient(quint16 port, std::function<void(int fd)> script);
    ~HostileClient() = default;
    HostileClient(const HostileClient &) = delete;
    HostileClient &operator=(const HostileClient &) = delete;
    bool isFinished() const { return m_thread.isFinished(); }
    void join() { m_thread.join(); }

private:
    PeerThread m_thread;
};

// --- An OpenSSL TLS 1.2 PSK endpoint over memory BIOs, pumped by hand over a raw socket ---------

class TlsPeer
{
public:
    // Client or server; TLS 1.2 only, the cipher PSK-AES128-GCM-SHA256, goodIdentity()/goodKey(),
    // and goodHint() on a server.
    explicit TlsPeer(bool server);
    ~TlsPeer();
    TlsPeer(const TlsPeer &) = delete;
    TlsPeer &operator=(const TlsPeer &) = delete;

    // Runs the handshake over \a fd; every outgoing flight is written \a chunk bytes per write()
    // (0: all at once, 1: byte by byte). False on failure or time-out.
    bool handshake(int fd, int timeoutMs, qsizetype chunk = 0);
    // Client: the first flight (the ClientHello records), without writing it anywhere.
    QByteArray clientHello();
    // The records that carry \a plaintext (not written anywhere).
    QByteArray encrypt(const QByteArray &plaintext);
    // Reads and decrypts until at least \a size plaintext bytes arrived (or time-out / end).
    QByteArray readPlaintext(int fd, qsizetype size, int timeoutMs);
    bool isValid() const { return m_ssl != nullptr; }

private:
    QByteArray takeOutput();

    std::unique_ptr<SSL_CTX, void (*)(SSL_CTX *)> m_ctx{nullptr, &SSL_CTX_free};
    std::unique_ptr<SSL, void (*)(SSL *)> m_ssl{nullptr, &SSL_free}; // owns both BIOs
    BIO *m_in = nullptr; // owned by m_ssl
    BIO *m_out = nullptr; // owned by m_ssl
};

} // namespace FaultsTest

#endif // QTPSK_FAULTS_HOSTILEPEER_H
