// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
//
// DTLS 1.2 PSK over loopback UDP, client and server in one thread: handshakes per second and
// datagram round trips (100 bytes, encrypted, echoed) per second.
//   raw    two SSL objects over BIO_s_datagram on connected UDP sockets, driven by poll(): what a
//          C program on OpenSSL alone does;
//   qtpsk  two QDtls over two QUdpSockets on the Qt event loop, as an application does (the
//          server without cookie exchange, as the raw one). Built against Qt6::Network the same
//          mode runs Qt's own QDtls and prints "qt"; a run whose handshake negotiates another
//          suite than the one asked (Qt cannot ask for CCM8) fails.
// Each handshake makes new SSL objects (raw) or a new QDtls pair (qtpsk) over the same sockets;
// each side keeps one configuration, as a server does. Usage:
//   qtpsk_bench_dtls_loopback --mode raw|qtpsk --suite NAME [--handshakes N] [--round-trips N]
// prints "mode | suite | handshakes/s | round trips/s".

#include "common/benchrawpsk.h"

#include <QDtls>
#include <QNetworkDatagram>
#include <QSslCipher>
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QUdpSocket>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qtimer.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace {

using QtPskBench::kIdentity;
using QtPskBench::kKey;

struct Figures
{
    double handshakesPerSecond = 0;
    double roundTripsPerSecond = 0;
};

// --- raw OpenSSL ----------------------------------------------------------------------------

struct SslCtxFree
{
    void operator()(SSL_CTX *ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree
{
    void operator()(SSL *ssl) const { SSL_free(ssl); }
};
using Ctx = std::unique_ptr<SSL_CTX, SslCtxFree>;
using Ssl = std::unique_ptr<SSL, SslFree>;

class Fd
{
public:
    Fd() : m_fd(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {}
    ~Fd()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Q_DISABLE_COPY(Fd)
    int get() const { return m_fd; }

private:
    int m_fd;
};

Ctx rawContext(bool server, const char *suite)
{
    Ctx ctx(SSL_CTX_new(server ? DTLS_server_method() : DTLS_client_method()));
    if (!ctx)
        return ctx;
    SSL_CTX_set_min_proto_version(ctx.get(), DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx.get(), DTLS1_2_VERSION);
    if (SSL_CTX_set_cipher_list(ctx.get(), suite) != 1)
        return Ctx();
    if (server)
        SSL_CTX_set_psk_server_callback(ctx.get(), QtPskBench::rawPskServer);
    else
        SSL_CTX_set_psk_client_callback(ctx.get(), QtPskBench::rawPskClient);
    return ctx;
}

// Binds \a fd to 127.0.0.1 on a free port; returns the address.
bool bindLoopback(const Fd &fd, sockaddr_in *address)
{
    std::memset(address, 0, sizeof *address);
    address->sin_family = AF_INET;
    address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof *address;
    return fd.get() >= 0 && ::bind(fd.get(), reinterpret_cast<sockaddr *>(address), sizeof *address) == 0
        && ::getsockname(fd.get(), reinterpret_cast<sockaddr *>(address), &length) == 0;
}

Ssl rawSsl(SSL_CTX *ctx, const Fd &fd, sockaddr_in *peer, bool server)
{
    Ssl ssl(SSL_new(ctx));
    BIO *bio = BIO_new_dgram(fd.get(), BIO_NOCLOSE);
    BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, peer);
    SSL_set_bio(ssl.get(), bio, bio);
    server ? SSL_set_accept_state(ssl.get()) : SSL_set_connect_state(ssl.get());
    return ssl;
}

// Waits until \a a or \a b is readable (or a second passed); *readableA / *readableB say which.
void waitReadable(const Fd &a, const Fd &b, bool *readableA, bool *readableB)
{
    pollfd fds[2] = {{a.get(), POLLIN, 0}, {b.get(), POLLIN, 0}};
    ::poll(fds, 2, 1000);
    *readableA = fds[0].revents & POLLIN;
    *readableB = fds[1].revents & POLLIN;
}

bool runRaw(const char *suite, long handshakes, long roundTrips, Figures *figures)
{
    const Ctx clientCtx = rawContext(false, suite);
    const Ctx serverCtx = rawContext(true, suite);
    Fd clientFd;
    Fd serverFd;
    sockaddr_in clientAddress;
    sockaddr_in serverAddress;
    if (!clientCtx || !serverCtx || !bindLoopback(clientFd, &clientAddress)
        || !bindLoopback(serverFd, &serverAddress)
        || ::connect(clientFd.get(), reinterpret_cast<sockaddr *>(&serverAddress), sizeof serverAddress) != 0
        || ::connect(serverFd.get(), reinterpret_cast<sockaddr *>(&clientAddress), sizeof clientAddress) != 0) {
        std::fprintf(stderr, "raw: cannot set up the sockets or contexts for %s\n", suite);
        return false;
    }
    Ssl client;
    Ssl server;
    QElapsedTimer timer;
    timer.start();
    for (long i = 0; i < handshakes; ++i) {
        client = rawSsl(clientCtx.get(), clientFd, &serverAddress, false);
        server = rawSsl(serverCtx.get(), serverFd, &clientAddress, true);
        bool clientDone = SSL_do_handshake(client.get()) == 1;
        bool serverDone = false;
        for (int rounds = 0; !(clientDone && serverDone); ++rounds) {
            if (rounds > 1000) {
                std::fprintf(stderr, "raw: the handshake did not complete\n");
                return false;
            }
            bool clientReadable = false;
            bool serverReadable = false;
            waitReadable(clientFd, serverFd, &clientReadable, &serverReadable);
            if (!clientReadable && !serverReadable) {
                DTLSv1_handle_timeout(client.get());
                DTLSv1_handle_timeout(server.get());
            }
            if (serverReadable && !serverDone)
                serverDone = SSL_do_handshake(server.get()) == 1;
            if (clientReadable && !clientDone)
                clientDone = SSL_do_handshake(client.get()) == 1;
        }
    }
    figures->handshakesPerSecond = double(handshakes) * 1e9 / double(timer.nsecsElapsed());

    char message[100] = {};
    char buffer[2048];
    timer.restart();
    // Reads the next record of the server (\a atServer) or the client into buffer: its size, or -1
    // when no datagram arrived within poll()'s second (one was lost).
    const auto receive = [&](bool atServer) {
        int got = -1;
        while (got <= 0) {
            bool clientReadable = false;
            bool serverReadable = false;
            waitReadable(clientFd, serverFd, &clientReadable, &serverReadable);
            if (!serverReadable && !clientReadable) {
                std::fprintf(stderr, "raw: a datagram was lost\n");
                return -1;
            }
            if (atServer ? serverReadable : clientReadable)
                got = SSL_read(atServer ? server.get() : client.get(), buffer, sizeof buffer);
        }
        return got;
    };
    for (long i = 0; i < roundTrips; ++i) {
        SSL_write(client.get(), message, sizeof message);
        const int got = receive(true);
        if (got < 0)
            return false;
        SSL_write(server.get(), buffer, got);
        if (receive(false) < 0)
            return false;
    }
    figures->roundTripsPerSecond = double(roundTrips) * 1e9 / double(timer.nsecsElapsed());
    return true;
}

// --- QtPsk: QDtls over QUdpSocket -------------------------------------------------------------

QSslConfiguration dtlsConfiguration(bool server, const char *suite)
{
    QSslConfiguration configuration = QSslConfiguration::defaultDtlsConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setProtocol(QSsl::DtlsV1_2);
    configuration.setCiphers(QString::fromLatin1(suite));
    if (server)
        configuration.setDtlsCookieVerificationEnabled(false);
    return configuration;
}

class QtPskRun : public QObject
{
public:
    QtPskRun(const char *suite, long handshakes, long roundTrips)
        : m_suite(QString::fromLatin1(suite)), m_clientConfiguration(dtlsConfiguration(false, suite)),
          m_serverConfiguration(dtlsConfiguration(true, suite)), m_handshakes(handshakes),
          m_roundTrips(roundTrips)
    {
        m_clientSocket.bind(QHostAddress::LocalHost, 0);
        m_serverSocket.bind(QHostAddress::LocalHost, 0);
        connect(&m_clientSocket, &QUdpSocket::readyRead, this, [this] { clientReadable(); });
        connect(&m_serverSocket, &QUdpSocket::readyRead, this, [this] { serverReadable(); });
    }

    bool run(Figures *figures)
    {
        QTimer::singleShot(0, this, [this] {
            m_timer.start();
            startHandshake();
        });
        m_loop.exec();
        if (!m_error.isEmpty()) {
            std::fprintf(stderr, "qtpsk: %s\n", qPrintable(m_error));
            return false;
        }
        figures->handshakesPerSecond = m_handshakesPerSecond;
        figures->roundTripsPerSecond = m_roundTripsPerSecond;
        return true;
    }

private:
    std::unique_ptr<QDtls> makeDtls(QSslSocket::SslMode mode, quint16 peerPort)
    {
        auto dtls = std::make_unique<QDtls>(mode);
        dtls->setDtlsConfiguration(mode == QSslSocket::SslServerMode ? m_serverConfiguration
                                                                     : m_clientConfiguration);
        dtls->setPeer(QHostAddress::LocalHost, peerPort);
        QUdpSocket *socket = mode == QSslSocket::SslServerMode ? &m_serverSocket : &m_clientSocket;
        QDtls *raw = dtls.get();
        connect(raw, &QDtls::pskRequired, this, [](QSslPreSharedKeyAuthenticator *authenticator) {
            authenticator->setIdentity(QByteArray(kIdentity));
            authenticator->setPreSharedKey(
                    QByteArray(reinterpret_cast<const char *>(kKey), sizeof kKey));
        });
        connect(raw, &QDtls::handshakeTimeout, this, [raw, socket] { raw->handleTimeout(socket); });
        return dtls;
    }

    void startHandshake()
    {
        m_client = makeDtls(QSslSocket::SslClientMode, m_serverSocket.localPort());
        m_server = makeDtls(QSslSocket::SslServerMode, m_clientSocket.localPort());
        if (!m_client->doHandshake(&m_clientSocket))
            fail(QStringLiteral("doHandshake: ") + m_client->dtlsErrorString());
    }

    void fail(const QString &error)
    {
        if (m_error.isEmpty())
            m_error = error;
        m_loop.quit();
    }

    // Feeds each datagram waiting on \a socket to \a dtls (dropped while there is none): to
    // doHandshake() until the handshake is complete, with \a onHandshake called when a datagram
    // completes it, then decrypted to \a onPlaintext. \a dtls is read again for each datagram:
    // the callbacks may replace it.
    template <typename OnPlaintext, typename OnHandshake>
    void feed(QUdpSocket &socket, const std::unique_ptr<QDtls> &dtls, const QString &side,
              OnPlaintext onPlaintext, OnHandshake onHandshake)
    {
        while (socket.hasPendingDatagrams()) {
            const QByteArray datagram = socket.receiveDatagram().data();
            if (!dtls)
                continue;
            if (dtls->handshakeState() != QDtls::HandshakeComplete) {
                if (!dtls->doHandshake(&socket, datagram))
                    fail(side + QStringLiteral(": ") + dtls->dtlsErrorString());
                else if (dtls->handshakeState() == QDtls::HandshakeComplete)
                    onHandshake();
                continue;
            }
            onPlaintext(dtls->decryptDatagram(&socket, datagram));
        }
    }

    void serverReadable()
    {
        feed(m_serverSocket, m_server, QStringLiteral("server"), [this](const QByteArray &plaintext) {
            if (!plaintext.isEmpty())
                m_server->writeDatagramEncrypted(&m_serverSocket, plaintext);
        }, [] {});
    }

    void clientReadable()
    {
        feed(m_clientSocket, m_client, QStringLiteral("client"), [this](const QByteArray &plaintext) {
            if (plaintext.size() == m_message.size())
                roundTripDone();
        }, [this] { handshakeDone(); });
    }

    void handshakeDone()
    {
        if (m_client->sessionCipher().name() != m_suite) {
            fail(QStringLiteral("negotiated %1, not %2").arg(m_client->sessionCipher().name(), m_suite));
            return;
        }
        if (++m_handshakesDone < m_handshakes) {
            startHandshake();
            return;
        }
        m_handshakesPerSecond = double(m_handshakes) * 1e9 / double(m_timer.nsecsElapsed());
        m_timer.restart();
        sendMessage();
    }

    void sendMessage()
    {
        if (m_client->writeDatagramEncrypted(&m_clientSocket, m_message) != m_message.size())
            fail(QStringLiteral("writeDatagramEncrypted: ") + m_client->dtlsErrorString());
    }

    void roundTripDone()
    {
        if (++m_roundTripsDone < m_roundTrips) {
            sendMessage();
            return;
        }
        m_roundTripsPerSecond = double(m_roundTrips) * 1e9 / double(m_timer.nsecsElapsed());
        m_loop.quit();
    }

    const QString m_suite;
    const QSslConfiguration m_clientConfiguration;
    const QSslConfiguration m_serverConfiguration;
    const long m_handshakes;
    const long m_roundTrips;
    const QByteArray m_message = QByteArray(100, 'm');
    QUdpSocket m_clientSocket;
    QUdpSocket m_serverSocket;
    std::unique_ptr<QDtls> m_client;
    std::unique_ptr<QDtls> m_server;
    QEventLoop m_loop;
    QElapsedTimer m_timer;
    QString m_error;
    long m_handshakesDone = 0;
    long m_roundTripsDone = 0;
    double m_handshakesPerSecond = 0;
    double m_roundTripsPerSecond = 0;
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    std::string mode;
    std::string suite;
    long handshakes = 2000;
    long roundTrips = 20000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string name = argv[i];
        if (name == "--mode")
            mode = argv[i + 1];
        else if (name == "--suite")
            suite = argv[i + 1];
        else if (name == "--handshakes")
            handshakes = std::atol(argv[i + 1]);
        else if (name == "--round-trips")
            roundTrips = std::atol(argv[i + 1]);
    }
    if ((mode != "raw" && mode != "qtpsk") || suite.empty() || handshakes <= 0 || roundTrips <= 0) {
        std::fprintf(stderr, "usage: %s --mode raw|qtpsk --suite NAME [--handshakes N] [--round-trips N]\n",
                     argv[0]);
        return 2;
    }
    Figures figures;
    bool ok = false;
    if (mode == "raw") {
        ok = runRaw(suite.c_str(), handshakes, roundTrips, &figures);
    } else {
        QtPskRun run(suite.c_str(), handshakes, roundTrips);
        ok = run.run(&figures);
    }
    if (!ok)
        return 1;
#ifdef QTPSK_VERSION_MAJOR
    const char *const label = mode.c_str();
#else
    const char *const label = mode == "raw" ? "raw" : "qt"; // Qt6::Network's QDtls
#endif
    std::printf("%s | %s | %.0f | %.0f\n", label, suite.c_str(), figures.handshakesPerSecond,
                figures.roundTripsPerSecond);
    return 0;
}
