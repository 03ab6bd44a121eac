// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
//
// Many concurrent TLS connections on one thread: a QSslServer that echoes, and a client process
// that holds N encrypted QSslSockets and measures the echo round trip of one of them at a time
// (64 bytes out, 64 bytes back, the next sample on another connection). Both processes are one
// thread with a Qt event loop. One source, built against QtPsk (qtpsk_bench_scale_qtpsk, which
// can also run on QEpollEventDispatcher) and against Qt6::Network (qtpsk_bench_scale_qtnetwork).
//
//   <program> server --suite A|B|C [--dispatcher default|epoll] [--milestones N,M,...]
//   <program> client --suite A|B|C --port P [--dispatcher default|epoll] [--milestones N,M,...]
//                    [--samples S] [--sample-seconds T] [--timeout S]
//
// The client opens connections (up to 16 handshakes in flight) until it holds the first
// milestone, measures, opens more up to the next milestone, measures, and so on. At each one it
// prints setup_us_per_connection_at_N (wall time of that phase's set-up per new connection),
// p50_us_at_N, p99_us_at_N, samples_at_N and client_rss_kib_at_N. The server prints
// baseline_kib after listen and server_rss_kib_at_N when it has N encrypted connections.
// Loopback only.

#include "common/benchcommon.h"

#ifdef QTPSK_BENCH_SCALE_QTPSK
#include <QtPsk/qepolleventdispatcher.h>
#endif

#include <QCoreApplication>
#include <QSslCipher>
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslServer>
#include <QSslSocket>
#include <QTimer>

#include <algorithm>
#include <csignal>
#include <memory>
#include <vector>

using namespace QtPskBench;

namespace {

constexpr int kInFlight = 16; // handshakes in flight while the client sets up connections
constexpr qsizetype kEchoSize = 64;

struct ScaleOptions
{
    std::string role;
    const Suite *suite = nullptr;
    int port = 0;
    bool epoll = false;
    std::vector<long> milestones { 100 };
    long samples = 2000;
    double sampleSeconds = 10;
    int timeoutSeconds = 600;
};

bool parseScaleOptions(int argc, char **argv, ScaleOptions *options)
{
    const bool parsed = forEachOption(argc, argv, [options](const std::string &name, const char *value) {
        if (name == "--suite") {
            options->suite = suiteFor(value);
        } else if (name == "--port") {
            options->port = std::atoi(value);
        } else if (name == "--dispatcher") {
            options->epoll = std::strcmp(value, "epoll") == 0;
            if (!options->epoll && std::strcmp(value, "default") != 0)
                return false;
        } else if (name == "--milestones") {
            options->milestones.clear();
            for (const char *p = value; *p;) {
                char *end = nullptr;
                const long n = std::strtol(p, &end, 10);
                if (end == p || n <= 0 || (!options->milestones.empty() && n <= options->milestones.back()))
                    return false;
                options->milestones.push_back(n);
                p = *end == ',' ? end + 1 : end;
            }
        } else if (name == "--samples") {
            options->samples = std::max(10L, std::atol(value));
        } else if (name == "--sample-seconds") {
            options->sampleSeconds = std::atof(value);
        } else if (name == "--timeout") {
            options->timeoutSeconds = std::atoi(value);
        } else {
            return false;
        }
        return true;
    });
    if (!parsed)
        return false;
    options->role = argv[1];
#ifndef QTPSK_BENCH_SCALE_QTPSK
    if (options->epoll)
        return false; // QEpollEventDispatcher is QtPsk's
#endif
    return options->suite && !options->milestones.empty()
            && (options->role == "server" || (options->role == "client" && options->port > 0));
}

[[noreturn]] void fail(const QString &what)
{
    std::fprintf(stderr, "bench_scale: %s\n", qPrintable(what));
    std::exit(1);
}

QSslConfiguration configurationFor(const Suite &suite)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setProtocol(suite.tls13 ? QSsl::TlsV1_3 : QSsl::TlsV1_2);
    QList<QSslCipher> ciphers { QSslCipher(QString::fromLatin1(suite.cipher)) };
    if (suite.tls13) // Qt needs a TLS 1.2 name beside the TLS 1.3 one (see bench_qtapi.cpp)
        ciphers.append(QSslCipher(QStringLiteral("PSK-AES128-GCM-SHA256")));
    configuration.setCiphers(ciphers);
    return configuration;
}

QByteArray benchKey()
{
    return QByteArray(reinterpret_cast<const char *>(kKey), sizeof kKey);
}

std::string at(const char *key, long n)
{
    return std::string(key) + "_at_" + std::to_string(n);
}

class EchoServer
{
public:
    explicit EchoServer(const ScaleOptions &options) : m_options(options)
    {
        m_server.setSslConfiguration(configurationFor(*options.suite));
        m_server.setListenBacklogSize(1024);
        QObject::connect(&m_server, &QSslServer::preSharedKeyAuthenticationRequired,
                         [](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                             authenticator->setPreSharedKey(benchKey());
                         });
        QObject::connect(&m_server, &QSslServer::errorOccurred,
                         [](QSslSocket *, QAbstractSocket::SocketError) { /* the client fails */ });
        QObject::connect(&m_server, &QTcpServer::pendingConnectionAvailable, [this] {
            while (QTcpSocket *next = m_server.nextPendingConnection())
                accept(qobject_cast<QSslSocket *>(next));
        });
        if (!m_server.listen(QHostAddress::LocalHost, quint16(options.port)))
            fail(QStringLiteral("listen: ") + m_server.errorString());
        report("baseline_kib", double(procStatusKiB("VmRSS")));
        report("port", std::to_string(m_server.serverPort()));
    }

private:
    void accept(QSslSocket *socket)
    {
        QObject::connect(socket, &QSslSocket::readyRead, socket,
                         [socket] { socket->write(socket->readAll()); });
        QObject::connect(socket, &QSslSocket::disconnected, socket, &QObject::deleteLater);
        ++m_count; // nextPendingConnection() hands out encrypted sockets only
        if (std::find(m_options.milestones.begin(), m_options.milestones.end(), m_count)
                != m_options.milestones.end())
            report(at("server_rss_kib", m_count).c_str(), double(procStatusKiB("VmRSS")));
    }

    const ScaleOptions m_options;
    QSslServer m_server;
    long m_count = 0;
};

class EchoClient
{
public:
    explicit EchoClient(const ScaleOptions &options)
        : m_options(options), m_configuration(configurationFor(*options.suite)),
          m_payload(kEchoSize, 'e')
    {
        report("nofile", std::to_string(descriptorLimit()));
        m_sockets.reserve(std::size_t(options.milestones.back()));
        startPhase();
    }

    ~EchoClient()
    {
        for (QSslSocket *socket : m_sockets) {
            socket->disconnect();
            delete socket;
        }
    }

private:
    static long descriptorLimit()
    {
        rlimit limit {};
        return getrlimit(RLIMIT_NOFILE, &limit) == 0 ? long(limit.rlim_cur) : -1;
    }

    long target() const { return m_options.milestones[m_phase]; }

    void startPhase()
    {
        m_phaseStart = std::chrono::steady_clock::now();
        m_phaseFirst = long(m_sockets.size());
        while (m_inFlight < kInFlight && long(m_sockets.size()) < target())
            openOne();
    }

    void openOne()
    {
        auto *socket = new QSslSocket;
        socket->setSslConfiguration(m_configuration);
        QObject::connect(socket, &QSslSocket::preSharedKeyAuthenticationRequired, socket,
                         [](QSslPreSharedKeyAuthenticator *authenticator) {
                             authenticator->setIdentity(QByteArray(kIdentity));
                             authenticator->setPreSharedKey(benchKey());
                         });
        QObject::connect(socket, &QSslSocket::errorOccurred, socket, [socket, this] {
            fail(QStringLiteral("client socket %1 of %2: %3")
                         .arg(m_sockets.size()).arg(target()).arg(socket->errorString()));
        });
        QObject::connect(socket, &QSslSocket::encrypted, socket, [this, socket] {
            if (!m_reported) {
                m_reported = true;
                report("cipher", socket->sessionCipher().name().toStdString());
            }
            --m_inFlight;
            ++m_encrypted;
            if (long(m_sockets.size()) < target())
                openOne();
            else if (m_inFlight == 0 && m_encrypted == target())
                setUp();
        });
        QObject::connect(socket, &QSslSocket::readyRead, socket, [this, socket] { echoed(socket); });
        m_sockets.push_back(socket);
        ++m_inFlight;
        socket->connectToHostEncrypted(QStringLiteral("127.0.0.1"), quint16(m_options.port));
    }

    // Every connection of this phase is encrypted: report the set-up, then sample.
    void setUp()
    {
        const long n = target();
        const double seconds = secondsSince(m_phaseStart);
        report(at("setup_us_per_connection", n).c_str(), seconds * 1e6 / double(n - m_phaseFirst));
        report(at("client_rss_kib", n).c_str(), double(procStatusKiB("VmRSS")));
        m_latencies.clear();
        m_sample = -50; // a warm-up first
        m_sampleStart = std::chrono::steady_clock::now();
        sendNext();
    }

    void sendNext()
    {
        const long n = target();
        const bool enough = long(m_latencies.size()) >= m_options.samples
                || (m_latencies.size() >= 100 && secondsSince(m_sampleStart) >= m_options.sampleSeconds);
        if (enough) {
            finishPhase();
            return;
        }
        // A stride coprime to the connection counts: every sample on another connection.
        m_current = m_sockets[std::size_t((m_sample + 50) * 7919 % n)];
        m_received = 0;
        m_sent = std::chrono::steady_clock::now();
        m_current->write(m_payload);
    }

    void echoed(QSslSocket *socket)
    {
        const qsizetype got = socket->readAll().size();
        if (socket != m_current)
            fail(QStringLiteral("data on an idle connection"));
        m_received += got;
        if (m_received < kEchoSize)
            return;
        const double us = std::chrono::duration<double, std::micro>(
                std::chrono::steady_clock::now() - m_sent).count();
        if (m_sample++ >= 0)
            m_latencies.push_back(us);
        m_current = nullptr;
        sendNext();
    }

    void finishPhase()
    {
        const long n = target();
        std::sort(m_latencies.begin(), m_latencies.end());
        const auto quantile = [&](double q) {
            return m_latencies[std::size_t(q * double(m_latencies.size() - 1))];
        };
        report(at("p50_us", n).c_str(), quantile(0.5));
        report(at("p99_us", n).c_str(), quantile(0.99));
        report(at("samples", n).c_str(), std::to_string(m_latencies.size()));
        if (++m_phase == m_options.milestones.size()) {
            QCoreApplication::quit();
            return;
        }
        startPhase();
    }

    const ScaleOptions m_options;
    const QSslConfiguration m_configuration;
    const QByteArray m_payload;
    std::vector<QSslSocket *> m_sockets;
    std::size_t m_phase = 0;
    long m_phaseFirst = 0;
    int m_inFlight = 0;
    long m_encrypted = 0;
    bool m_reported = false;
    std::chrono::steady_clock::time_point m_phaseStart;
    std::chrono::steady_clock::time_point m_sampleStart;
    std::chrono::steady_clock::time_point m_sent;
    std::vector<double> m_latencies;
    long m_sample = 0;
    QSslSocket *m_current = nullptr;
    qsizetype m_received = 0;
};

} // namespace

int main(int argc, char **argv)
{
    ScaleOptions options;
    if (!parseScaleOptions(argc, argv, &options)) {
        std::fprintf(stderr,
                     "usage: %s server|client --suite A|B|C [--port P] [--dispatcher default|epoll] "
                     "[--milestones N,M,...] [--samples S] [--sample-seconds T] [--timeout S]\n",
                     argv[0]);
        return 2;
    }
    if (options.suite->tls13)
        qputenv("QT_USE_TLS_1_3_PSK", "1");
    std::signal(SIGPIPE, SIG_IGN);
    raiseDescriptorLimit(); // to the hard limit: N connections need N descriptors per process
#ifdef QTPSK_BENCH_SCALE_QTPSK
    if (options.epoll)
        QCoreApplication::setEventDispatcher(new QEpollEventDispatcher);
#endif
    QCoreApplication app(argc, argv);
    QTimer::singleShot(options.timeoutSeconds * 1000, [] { fail(QStringLiteral("timed out")); });
    return runRole<EchoServer, EchoClient>(app, options);
}
