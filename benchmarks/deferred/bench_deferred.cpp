// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Server handshakes per second when every PSK lookup takes a fixed time (a database, an HSM, a key
// service), answered three ways: in the slot, blocking the server's thread (Qt's only option);
// later, by a timer on the server's thread (an asynchronous lookup API); later, from a pool of
// worker threads that block for the lookup (a synchronous database driver moved off the
// socket's thread). One QSslServer thread; the clients run in the main thread, a fixed number of
// handshakes in flight. Loopback only.
//
//   qtpsk_bench_deferred [--mode slot|timer|workers] [--lookup-ms N] [--handshakes N]
//                        [--in-flight N] [--workers N]
// Prints one line: mode, lookup time, handshakes, in flight, wall time, handshakes/s.
#include <QtPsk/qsslconfiguration.h>
#include <QtPsk/qsslpresharedkeyauthenticator.h>
#include <QtPsk/qsslpresharedkeyrequest.h>
#include <QtPsk/qsslserver.h>
#include <QtPsk/qsslsocket.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qthread.h>
#include <QtCore/qthreadpool.h>
#include <QtCore/qtimer.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

QTPSK_USE_NAMESPACE

namespace {

enum class Mode { Slot, Timer, Workers };

struct Options
{
    Mode mode = Mode::Slot;
    int lookupMs = 5;
    int handshakes = 400;
    int inFlight = 64;
    int workers = 8;
};

const QByteArray kKey = QByteArray::fromHex("00112233445566778899aabbccddeeff");

bool parse(int argc, char **argv, Options *options)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *name = argv[i];
        const char *value = argv[i + 1];
        if (std::strcmp(name, "--mode") == 0) {
            if (std::strcmp(value, "slot") == 0)
                options->mode = Mode::Slot;
            else if (std::strcmp(value, "timer") == 0)
                options->mode = Mode::Timer;
            else if (std::strcmp(value, "workers") == 0)
                options->mode = Mode::Workers;
            else
                return false;
        } else if (std::strcmp(name, "--lookup-ms") == 0) {
            options->lookupMs = std::max(0, std::atoi(value));
        } else if (std::strcmp(name, "--handshakes") == 0) {
            options->handshakes = std::max(1, std::atoi(value));
        } else if (std::strcmp(name, "--in-flight") == 0) {
            options->inFlight = std::max(1, std::atoi(value));
        } else if (std::strcmp(name, "--workers") == 0) {
            options->workers = std::max(1, std::atoi(value));
        } else {
            return false;
        }
    }
    return argc % 2 == 1;
}

const char *modeName(Mode mode)
{
    switch (mode) {
    case Mode::Slot:
        return "slot (blocking lookup)";
    case Mode::Timer:
        return "deferred, timer";
    case Mode::Workers:
        return "deferred, worker threads";
    }
    return "?";
}

QSslConfiguration configuration()
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setProtocol(QSsl::TlsV1_2);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setCiphers(QStringLiteral("PSK-AES128-GCM-SHA256"));
    return configuration;
}

// The server, in a thread of its own; the lookup is what the mode says.
class Server : public QObject
{
public:
    Server(const Options &options, QThreadPool *pool) : m_options(options), m_pool(pool) { }

    quint16 start()
    {
        m_server = new QSslServer(this);
        m_server->setSslConfiguration(configuration());
        m_server->setMaxPendingConnections(1 << 20);
        connect(m_server, &QSslServer::preSharedKeyAuthenticationRequired, this,
                [this](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                    lookUp(authenticator);
                });
        connect(m_server, &QTcpServer::pendingConnectionAvailable, this, [this] {
            while (QTcpSocket *socket = m_server->nextPendingConnection()) {
                connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
                socket->setParent(this);
            }
        });
        m_server->listen(QHostAddress::LocalHost, 0);
        return m_server->serverPort();
    }

private:
    void lookUp(QSslPreSharedKeyAuthenticator *authenticator)
    {
        const int ms = m_options.lookupMs;
        switch (m_options.mode) {
        case Mode::Slot:
            QThread::msleep(ulong(ms)); // the whole thread waits
            authenticator->setPreSharedKey(kKey);
            return;
        case Mode::Timer: {
            const QSslPreSharedKeyRequest request = authenticator->deferAnswer();
            QTimer::singleShot(ms, Qt::PreciseTimer, this, [request] { request.answer(kKey); });
            return;
        }
        case Mode::Workers: {
            const QSslPreSharedKeyRequest request = authenticator->deferAnswer();
            m_pool->start([request, ms] {
                QThread::msleep(ulong(ms));
                request.answer(kKey);
            });
            return;
        }
        }
    }

    const Options m_options;
    QThreadPool *m_pool;
    QSslServer *m_server = nullptr;
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    Options options;
    if (!parse(argc, argv, &options)) {
        std::fprintf(stderr, "usage: qtpsk_bench_deferred [--mode slot|timer|workers] [--lookup-ms N] "
                             "[--handshakes N] [--in-flight N] [--workers N]\n");
        return 2;
    }
    QThreadPool pool;
    pool.setMaxThreadCount(options.workers);
    QThread serverThread;
    Server server(options, &pool);
    server.moveToThread(&serverThread);
    serverThread.start();
    quint16 port = 0;
    QMetaObject::invokeMethod(&server, [&] { port = server.start(); }, Qt::BlockingQueuedConnection);
    if (port == 0) {
        std::fprintf(stderr, "bench_deferred: the server did not listen\n");
        return 1;
    }

    int started = 0;
    int finished = 0;
    int failed = 0;
    QElapsedTimer wall;
    std::function<void()> startOne = [&] {
        if (started >= options.handshakes)
            return;
        ++started;
        auto *client = new QSslSocket;
        client->setSslConfiguration(configuration());
        const QByteArray identity = "client-" + QByteArray::number(started);
        QObject::connect(client, &QSslSocket::preSharedKeyAuthenticationRequired, client,
                         [identity](QSslPreSharedKeyAuthenticator *authenticator) {
                             authenticator->setIdentity(identity);
                             authenticator->setPreSharedKey(kKey);
                         });
        QObject::connect(client, &QSslSocket::encrypted, client, [&, client] {
            ++finished;
            client->disconnectFromHost();
            client->deleteLater();
            if (finished + failed == options.handshakes)
                app.quit();
            else
                startOne();
        });
        QObject::connect(client, &QAbstractSocket::errorOccurred, client, [&, client] {
            ++failed;
            client->deleteLater();
            if (finished + failed == options.handshakes)
                app.quit();
            else
                startOne();
        });
        client->connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    };
    wall.start();
    for (int i = 0; i < options.inFlight; ++i)
        startOne();
    QTimer::singleShot(120000, &app, &QCoreApplication::quit); // a bound, not a measurement
    app.exec();
    const double seconds = double(wall.nsecsElapsed()) / 1e9;
    serverThread.quit();
    serverThread.wait();
    pool.waitForDone();
    std::printf("%s | lookup %d ms | %d handshakes, %d in flight | %.3f s | %.1f handshakes/s | %d failed\n",
                modeName(options.mode), options.lookupMs, finished, options.inFlight, seconds,
                double(finished) / seconds, failed);
    return failed == 0 && finished == options.handshakes ? 0 : 1;
}
