// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Interop fixtures: real TLS-PSK peers (openssl s_server/s_client, gnutls-serv/gnutls-cli,
// stunnel4, mosquitto) started on a loopback address, waited for (bounded) and stopped by PID.
// Qt6::Core only, so that any test (QtPsk or Qt6::Network based) can reuse them.
#ifndef QTPSK_INTEROPPEERS_H
#define QTPSK_INTEROPPEERS_H

#include <QtCore/qbytearray.h>
#include <QtCore/qglobal.h>
#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>

#include <memory>

#include "common/testsupport.h"

namespace QtPskInterop {

// The credentials every peer uses unless a test says otherwise (peers.md: K and ID).
QByteArray defaultKeyHex();   // "00112233445566778899aabbccddeeff"
QByteArray defaultIdentity(); // "client1"

enum class TlsVersion { Any, V1_2, V1_3 };
enum class PeerKind { OpenSslServer, GnuTlsServer, Stunnel, Mosquitto };

// The printable name of a peer ("openssl s_server", ...).
QString peerName(PeerKind kind);
// The program a peer needs on PATH ("openssl", "gnutls-serv", "stunnel4", "mosquitto").
const char *peerProgram(PeerKind kind);

// How to start a server peer. Fields a peer cannot honour are ignored (stunnel sends no hint).
struct ServerOptions
{
    QString host = QStringLiteral("127.0.0.1"); // 127.0.0.1 or ::1, never a wildcard
    QByteArray identity = defaultIdentity();
    QByteArray keyHex = defaultKeyHex();
    QByteArray hint;                      // empty: send none
    TlsVersion version = TlsVersion::Any; // pin TLS 1.2 or 1.3
    QString cipher;       // openssl/stunnel: the TLS 1.2 cipher string (default "kPSK"/"PSK");
                          // gnutls-serv: the whole priority string (default: PSK + DHE/ECDHE-PSK)
    QString ciphersuites; // openssl/stunnel: the TLS 1.3 suites (default: the peer's)
    bool allowPskKe = false;   // openssl: -allow_no_dhe_kex (psk_ke accepted in TLS 1.3)
    bool reverseLines = false; // openssl: -rev instead of an exact echo through a FIFO
};

// A temporary directory of mode 0755 (so that a peer dropping root, like mosquitto, can traverse
// it), removed with its contents on destruction. Files written with writeFile() are mode 0644.
class TempDir
{
public:
    TempDir();
    ~TempDir();
    Q_DISABLE_COPY(TempDir)
    bool isValid() const { return !m_path.isEmpty(); }
    QString path() const { return m_path; }
    QString filePath(const QString &name) const;
    // Writes \a contents to \a name (mode 0644); returns the absolute path, or empty on failure.
    QString writeFile(const QString &name, const QByteArray &contents);

private:
    QString m_path;
};

// One running server peer. start() picks a free port (retrying on a collision), starts the
// program, and waits (bounded) until it listens; the destructor stops it by PID.
class PeerServer
{
public:
    Q_DISABLE_COPY(PeerServer)
    ~PeerServer();

    // Returns nullptr and fills \a error when the peer cannot be started.
    static std::unique_ptr<PeerServer> start(PeerKind kind, const ServerOptions &options,
                                             QString *error);

    PeerKind kind() const { return m_kind; }
    QString host() const { return m_options.host; }
    quint16 port() const { return m_port; }
    qint64 pid() const { return m_process.pid(); }
    bool isRunning() const { return m_process.isRunning(); }
    // What the peer printed so far (mosquitto: its log file, which it flushes line by line).
    QByteArray log() const;
    void stop() { m_process.stop(); }

private:
    PeerServer(PeerKind kind, const ServerOptions &options);
    bool launch(QString *error);

    PeerKind m_kind;
    ServerOptions m_options;
    quint16 m_port = 0;
    QString m_logFile;
    TempDir m_dir;
    QtPskTest::PeerProcess m_process;
};

// How to run a client peer against a QtPsk server.
enum class ClientKind { OpenSslClient, GnuTlsClient };
QString clientName(ClientKind kind);
const char *clientProgram(ClientKind kind);

struct ClientOptions
{
    QByteArray identity = defaultIdentity();
    QByteArray keyHex = defaultKeyHex();
    TlsVersion version = TlsVersion::V1_2;
    QString cipher; // openssl: -cipher (TLS 1.2) / -ciphersuites (1.3); gnutls: priority string
};

// Starts `openssl s_client` or `gnutls-cli` connected to host:port, stdin a pipe (write the data
// to send with process.writeToStdin()), output merged into process.output().
bool startClient(QtPskTest::PeerProcess &process, ClientKind kind, const QString &host,
                 quint16 port, const ClientOptions &options);

// True once something listens on host:port, read from /proc/net/tcp{,6} (no probe connection,
// so the peer sees no stray handshake). Bounded by \a timeoutMs.
bool waitForListen(const QString &host, quint16 port, int timeoutMs = 10000);

// The local addresses ("127.0.0.1", "[::1]", "0.0.0.0", "[::]", ...) on which TCP port \a port
// is in LISTEN state, as `ss -ltnH` reports them.
QStringList listeningAddresses(quint16 port);

// The absolute path of \a program: PATH first, then /usr/sbin and /sbin (mosquitto lives there).
QString findPeerProgram(const char *program);

// The absolute path of the LD_PRELOAD bind() shim built from loopback_bind_shim.c.
QString loopbackBindShim();

} // namespace QtPskInterop

// Skips the current test, or fails it in CI, when the peer's program is not installed.
#define QTPSK_REQUIRE_PEER(kind)                                                                \
    QTPSK_REQUIRE_FOUND(::QtPskInterop::findPeerProgram(::QtPskInterop::peerProgram(kind)),     \
                        ::QtPskInterop::peerProgram(kind))

#endif // QTPSK_INTEROPPEERS_H
