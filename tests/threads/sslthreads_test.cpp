// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Sockets in several threads at once (label "threads", run under ThreadSanitizer in CI):
// - four QThreads, each with its own event loop, QSslServer and three QSslSocket clients doing PSK
//   handshakes and echo traffic at the same time, everything created, used and destroyed in its
//   thread;
// - one QSslPreSharedKeyAuthenticator value holding the credentials, copied into every thread;
// - the SSL_CTX cache hit from all threads at once: equal configurations share one SSL_CTX;
// - a socket created in the main thread and moved to a worker thread with moveToThread().
#include "engine/tlscontext_p.h"
#include "engine/tlsengine_p.h"
#include "ssl/qsslsocket_p.h"

#include <QSslPreSharedKeyAuthenticator>
#include <QSslServer>
#include <QSslSocket>

#include <QtCore/qmutex.h>
#include <QtCore/qobject.h>
#include <QtCore/qset.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>

#include <gtest/gtest.h>

#include <openssl/crypto.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "common/testsupport.h"

using QtPskPrivate::SslSocketPrivate;
using QtPskPrivate::TlsContext;
using QtPskPrivate::TlsSettings;

namespace {

constexpr int kThreads = 4;
constexpr int kClientsPerThread = 3;
constexpr int kRoundsPerClient = 20;
constexpr int kMessageSize = 1500;

// What the workers report; written from every thread.
// Qt hands work between threads (queued calls, moveToThread(), QThread::wait()) with its own
// futex-based locks, which ThreadSanitizer cannot see in an uninstrumented Qt. The tests add a
// release/acquire pair it can see wherever they rely on such a hand-over; these only make the
// order TSan-visible and never replace Qt's own synchronisation.
class Handoff
{
public:
    void publish() { m_generation.fetch_add(1, std::memory_order_release); }
    void receive() const { (void)m_generation.load(std::memory_order_acquire); }

private:
    std::atomic<int> m_generation{0};
};

// OpenSSL frees a thread's own state (its random generators, its error queue) when the thread
// exits, but QThread::wait() returns before that, so LeakSanitizer may check at process exit while
// it is still in use: each test thread releases it itself, last thing before it ends. Its end is
// then published to join(), which waits for the thread and makes its work TSan-visible.
class ThreadEnd
{
public:
    explicit ThreadEnd(QThread *thread) : m_thread(thread)
    {
        QObject::connect(thread, &QThread::finished, thread, [this] {
            OPENSSL_thread_stop();
            m_end.publish();
        }, Qt::DirectConnection);
    }
    bool join(unsigned long timeoutMs = 60000)
    {
        m_thread->quit();
        const bool ended = m_thread->wait(timeoutMs);
        m_end.receive();
        return ended;
    }

private:
    QThread *m_thread;
    Handoff m_end;
};

struct Shared
{
    std::mutex mutex;
    Handoff start; // the main thread's set-up, before a worker thread uses it
    QSet<quintptr> clientContexts; // the SSL_CTX of every encrypted client, across all threads
    QSet<quintptr> serverContexts;
    QStringList failures;
    std::atomic<int> pskRequests{0};
    std::atomic<int> echoedRounds{0};
    std::atomic<int> workersDone{0};

    void fail(const QString &why)
    {
        const std::lock_guard<std::mutex> locker(mutex);
        failures << why;
    }
    void recordContext(QSslSocket *socket, bool server)
    {
        const SslSocketPrivate *d = SslSocketPrivate::get(socket);
        const quintptr handle = d->engine ? quintptr(d->engine->context()->handle()) : 0;
        const std::lock_guard<std::mutex> locker(mutex);
        (server ? serverContexts : clientContexts).insert(handle);
    }
};

QSslConfiguration pskConfiguration(QSsl::SslProtocol protocol)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setProtocol(protocol);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setPreSharedKeyIdentityHint("threads hint");
    return configuration;
}

// One client: connects, sends kRoundsPerClient messages, checks each echo, disconnects.
class EchoClient : public QObject
{
public:
    EchoClient(quint16 port, const QSslPreSharedKeyAuthenticator &credentials,
               QSsl::SslProtocol protocol, Shared *shared, QObject *parent)
        : QObject(parent), m_socket(new QSslSocket(this)), m_credentials(credentials),
          m_shared(shared), m_port(port)
    {
        m_socket->setSslConfiguration(pskConfiguration(protocol));
        connect(m_socket, &QSslSocket::preSharedKeyAuthenticationRequired, this,
                [this](QSslPreSharedKeyAuthenticator *authenticator) {
                    ++m_shared->pskRequests;
                    authenticator->setIdentity(m_credentials.identity());
                    authenticator->setPreSharedKey(m_credentials.preSharedKey());
                });
        connect(m_socket, &QSslSocket::encrypted, this, [this] {
            m_shared->recordContext(m_socket, false);
            sendRound();
        });
        connect(m_socket, &QIODevice::readyRead, this, &EchoClient::onReadyRead);
        connect(m_socket, &QAbstractSocket::errorOccurred, this, [this] {
            if (!m_finished)
                m_shared->fail(QStringLiteral("client: ") + m_socket->errorString());
        });
    }
    void start() { m_socket->connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_port); }
    QSslSocket *socket() const { return m_socket; }
    bool isFinished() const { return m_finished; }

private:
    void sendRound()
    {
        m_expected = QByteArray(kMessageSize, char('a' + m_round % 26));
        m_received.clear();
        m_socket->write(m_expected);
    }
    void onReadyRead()
    {
        m_received += m_socket->readAll();
        if (m_received.size() < m_expected.size())
            return;
        if (m_received != m_expected)
            m_shared->fail(QStringLiteral("client: the echo differs"));
        ++m_shared->echoedRounds;
        if (++m_round < kRoundsPerClient) {
            sendRound();
        } else {
            m_finished = true;
            m_socket->disconnectFromHost();
        }
    }

    QSslSocket *m_socket;
    const QSslPreSharedKeyAuthenticator m_credentials; // this thread's copy
    Shared *m_shared;
    quint16 m_port;
    QByteArray m_expected;
    QByteArray m_received;
    int m_round = 0;
    bool m_finished = false;
};

// Lives in one worker thread: a server and its clients, all made, used and deleted there.
class Worker : public QObject
{
public:
    Worker(const QSslPreSharedKeyAuthenticator &credentials, QSsl::SslProtocol protocol,
           Shared *shared)
        : m_credentials(credentials), m_protocol(protocol), m_shared(shared)
    {
    }

    // Runs in the worker thread (queued from the main thread).
    void run()
    {
        m_shared->start.receive();
        // Bounded: a stuck worker reports and ends instead of hanging the test.
        m_timer = new QTimer(this);
        m_timer->setSingleShot(true);
        connect(m_timer, &QTimer::timeout, this, [this] {
            m_shared->fail(QStringLiteral("worker timed out"));
            finish();
        });
        m_timer->start(30000);
        auto *server = new QSslServer(this);
        m_server = server;
        server->setSslConfiguration(pskConfiguration(m_protocol));
        connect(server, &QSslServer::preSharedKeyAuthenticationRequired, this,
                [this](QSslSocket *socket, QSslPreSharedKeyAuthenticator *authenticator) {
                    ++m_shared->pskRequests;
                    if (QThread::currentThread() != thread())
                        m_shared->fail(QStringLiteral("server: PSK request in another thread"));
                    m_shared->recordContext(socket, true);
                    if (authenticator->identity() == m_credentials.identity())
                        authenticator->setPreSharedKey(m_credentials.preSharedKey());
                });
        connect(server, &QSslServer::errorOccurred, this,
                [this](QSslSocket *socket, QAbstractSocket::SocketError) {
                    m_shared->fail(QStringLiteral("server: ") + socket->errorString());
                });
        connect(server, &QTcpServer::pendingConnectionAvailable, this, [server] {
            while (QTcpSocket *socket = server->nextPendingConnection()) {
                connect(socket, &QIODevice::readyRead, socket,
                        [socket] { socket->write(socket->readAll()); });
                connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
        if (!server->listen(QHostAddress::LocalHost, 0)) {
            m_shared->fail(QStringLiteral("listen: ") + server->errorString());
            finish();
            return;
        }
        for (int i = 0; i < kClientsPerThread; ++i) {
            auto *client = new EchoClient(server->serverPort(), m_credentials, m_protocol, m_shared,
                                          this);
            connect(client->socket(), &QAbstractSocket::disconnected, this, &Worker::checkDone);
            m_clients.push_back(client);
            client->start();
        }
    }

private:
    void checkDone()
    {
        for (EchoClient *client : m_clients) {
            if (!client->isFinished() || client->socket()->state() != QAbstractSocket::UnconnectedState)
                return;
        }
        // Not from inside the socket's own signal: from the event loop, right after.
        QMetaObject::invokeMethod(this, [this] { finish(); }, Qt::QueuedConnection);
    }
    void finish()
    {
        if (m_done)
            return;
        m_done = true;
        m_timer->stop();
        // Destroyed in this thread: the clients, the server and the server's sockets.
        qDeleteAll(m_clients);
        m_clients.clear();
        delete m_server;
        m_server = nullptr;
        ++m_shared->workersDone;
    }

    const QSslPreSharedKeyAuthenticator m_credentials;
    QSsl::SslProtocol m_protocol;
    Shared *m_shared;
    std::vector<EchoClient *> m_clients;
    QSslServer *m_server = nullptr;
    QTimer *m_timer = nullptr;
    bool m_done = false;
};

QSslPreSharedKeyAuthenticator sharedCredentials()
{
    QSslPreSharedKeyAuthenticator credentials;
    credentials.setIdentity("threads identity");
    credentials.setPreSharedKey(QByteArray::fromHex("00112233445566778899aabbccddeeff"));
    return credentials;
}

void runWorkers(QSsl::SslProtocol protocol)
{
    Shared shared;
    const QSslPreSharedKeyAuthenticator credentials = sharedCredentials(); // copied by every thread
    std::vector<std::unique_ptr<QThread>> threads;
    std::vector<std::unique_ptr<ThreadEnd>> ends;
    std::vector<std::unique_ptr<Worker>> workers;
    for (int i = 0; i < kThreads; ++i) {
        threads.push_back(std::make_unique<QThread>());
        ends.push_back(std::make_unique<ThreadEnd>(threads.back().get()));
        workers.push_back(std::make_unique<Worker>(credentials, protocol, &shared));
        workers.back()->moveToThread(threads.back().get());
        threads.back()->start();
    }
    shared.start.publish();
    for (auto &worker : workers)
        QMetaObject::invokeMethod(worker.get(), [w = worker.get()] { w->run(); }, Qt::QueuedConnection);
    const bool done = QtPskTest::waitUntil([&] { return shared.workersDone.load() == kThreads; }, 60000);
    for (auto &end : ends)
        EXPECT_TRUE(end->join());
    workers.clear(); // their threads have ended: nothing of theirs runs any more
    EXPECT_TRUE(done);
    const std::lock_guard<std::mutex> locker(shared.mutex);
    EXPECT_TRUE(shared.failures.isEmpty()) << qPrintable(shared.failures.join(QStringLiteral("; ")));
    EXPECT_EQ(shared.echoedRounds.load(), kThreads * kClientsPerThread * kRoundsPerClient);
    EXPECT_GE(shared.pskRequests.load(), 2 * kThreads * kClientsPerThread);
    // Equal configurations share one SSL_CTX, whichever thread asked for it.
    EXPECT_EQ(shared.clientContexts.size(), 1);
    EXPECT_EQ(shared.serverContexts.size(), 1);
    EXPECT_FALSE(shared.clientContexts.contains(0));
}

} // namespace

TEST(SslThreads, FourThreadsOfServersAndClientsOverTls12)
{
    runWorkers(QSsl::TlsV1_2);
}

TEST(SslThreads, FourThreadsOfServersAndClientsOverTls13)
{
    runWorkers(QSsl::TlsV1_3);
}

// TlsContext::get() from many threads at once, for the same settings: one SSL_CTX for all.
TEST(SslThreads, ContextCacheHitFromManyThreadsAtOnceGivesOneContext)
{
    TlsContext::releaseUnused();
    TlsSettings settings;
    settings.server = true;
    settings.identityHint = "cache race";
    std::atomic<int> ready{0};
    std::mutex mutex;
    QSet<quintptr> handles;
    std::vector<std::shared_ptr<TlsContext>> keep; // every thread's context, alive to the end
    std::vector<std::unique_ptr<QThread>> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back(QThread::create([&] {
            ++ready;
            while (ready.load() < 8) { } // all threads call get() together
            for (int i = 0; i < 50; ++i) {
                QString error;
                std::shared_ptr<TlsContext> context = TlsContext::get(settings, &error);
                const std::lock_guard<std::mutex> locker(mutex);
                handles.insert(context ? quintptr(context->handle()) : 0);
                keep.push_back(std::move(context));
            }
            OPENSSL_thread_stop(); // see ThreadEnd
        }));
        threads.back()->start();
    }
    for (auto &thread : threads)
        EXPECT_TRUE(thread->wait(30000));
    const std::lock_guard<std::mutex> locker(mutex); // every thread's last unlock happened before
    EXPECT_EQ(handles.size(), 1);
    EXPECT_FALSE(handles.contains(0));
    EXPECT_EQ(keep.size(), 8u * 50u);
}

// A socket made in the main thread, moved to a worker thread before it connects, then used and
// deleted there.
TEST(SslThreads, SocketMovedToAnotherThreadConnectsAndEchoesThere)
{
    Shared shared;
    const QSslPreSharedKeyAuthenticator credentials = sharedCredentials();
    QThread serverThread;
    QThread clientThread;
    ThreadEnd serverEnd(&serverThread);
    ThreadEnd clientEnd(&clientThread);
    Handoff setUp;
    auto *worker = new Worker(credentials, QSsl::TlsV1_3, &shared); // its server echoes
    worker->moveToThread(&serverThread);
    serverThread.start();

    // The server's port, from a listening server owned by the server thread.
    QSslServer *server = nullptr;
    std::atomic<quint16> port{0};
    setUp.publish();
    QMetaObject::invokeMethod(worker, [&] {
        setUp.receive();
        server = new QSslServer(worker);
        server->setSslConfiguration(pskConfiguration(QSsl::TlsV1_3));
        QObject::connect(server, &QSslServer::preSharedKeyAuthenticationRequired, server,
                         [&](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                             authenticator->setPreSharedKey(credentials.preSharedKey());
                         });
        QObject::connect(server, &QTcpServer::pendingConnectionAvailable, server, [&] {
            while (QTcpSocket *socket = server->nextPendingConnection()) {
                QObject::connect(socket, &QIODevice::readyRead, socket,
                                 [socket] { socket->write(socket->readAll()); });
            }
        });
        if (server->listen(QHostAddress::LocalHost, 0))
            port = server->serverPort(); // an atomic: TSan-visible for the main thread
    }, Qt::BlockingQueuedConnection);
    ASSERT_NE(port.load(), 0);

    auto *socket = new QSslSocket; // made here, in the main thread
    socket->setSslConfiguration(pskConfiguration(QSsl::TlsV1_3));
    std::atomic<bool> echoed{false};
    std::atomic<QThread *> usedIn{nullptr};
    QObject::connect(socket, &QSslSocket::preSharedKeyAuthenticationRequired, socket,
                     [&, socket](QSslPreSharedKeyAuthenticator *authenticator) {
                         usedIn = QThread::currentThread();
                         authenticator->setIdentity(credentials.identity());
                         authenticator->setPreSharedKey(credentials.preSharedKey());
                         Q_UNUSED(socket);
                     });
    QObject::connect(socket, &QSslSocket::encrypted, socket, [socket] { socket->write("moved"); });
    QObject::connect(socket, &QIODevice::readyRead, socket, [&, socket] {
        if (socket->readAll() == "moved") {
            echoed = true;
            socket->deleteLater(); // deleted in its new thread
        }
    });
    socket->moveToThread(&clientThread);
    clientThread.start();
    setUp.publish();
    QMetaObject::invokeMethod(socket, [&setUp, socket, p = port.load()] {
        setUp.receive();
        socket->connectToHostEncrypted(QStringLiteral("127.0.0.1"), p);
    }, Qt::QueuedConnection);

    EXPECT_TRUE(QtPskTest::waitUntil([&] { return echoed.load(); }, 20000));
    EXPECT_TRUE(clientEnd.join());
    if (!echoed)
        delete socket; // its thread has ended: nobody else touches it now
    QMetaObject::invokeMethod(worker, [worker] { delete worker; }, Qt::BlockingQueuedConnection);
    EXPECT_TRUE(serverEnd.join());
    EXPECT_EQ(usedIn.load(), &clientThread);
}
