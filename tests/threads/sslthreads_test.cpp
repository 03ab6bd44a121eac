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
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "common/pskconfiguration.h"
#include "common/testsupport.h"

using QtPskPrivate::SslSocketPrivate;
using QtPskPrivate::TlsContext;
using QtPskPrivate::TlsSettings;

namespace {

constexpr int kThreads = 4;
constexpr int kClientsPerThread = 3;
constexpr int kRoundsPerClient = 20;
constexpr int kMessageSize = 1500;

// A test thread whose hand-overs ThreadSanitizer can follow. Qt passes queued calls between
// threads and ends QThread::wait() through its own futex-based locks, which TSan cannot see in an
// uninstrumented Qt: it would report races between the main thread's set-up and the thread's
// work that cannot happen. So the work is started from QThread::started (a direct call in the new
// thread; everything set up before start() happens-before it through pthread_create, which TSan
// sees), and the end is published through an atomic that join() reads after QThread::wait().
// OpenSSL frees a thread's own state (random generators, error queue) when the thread exits,
// which QThread::wait() does not wait for: the thread releases it itself, last thing.
class TestThread
{
public:
    // \a atStart runs first thing in the new thread, \a atEnd last thing (after its event loop).
    TestThread(std::function<void()> atStart, std::function<void()> atEnd = {})
        : m_atStart(std::move(atStart)), m_atEnd(std::move(atEnd))
    {
        QObject::connect(&m_thread, &QThread::started, &m_thread, [this] { m_atStart(); },
                         Qt::DirectConnection);
        QObject::connect(&m_thread, &QThread::finished, &m_thread, [this] {
            if (m_atEnd)
                m_atEnd();
            OPENSSL_thread_stop();
            m_ended.store(true, std::memory_order_release);
        }, Qt::DirectConnection);
    }
    ~TestThread() { join(); }
    QThread *thread() { return &m_thread; }
    void start() { m_thread.start(); }
    bool join(unsigned long timeoutMs = 60000)
    {
        m_thread.quit();
        const bool ended = m_thread.wait(timeoutMs);
        return ended && m_ended.load(std::memory_order_acquire);
    }

private:
    QThread m_thread;
    std::function<void()> m_atStart;
    std::function<void()> m_atEnd;
    std::atomic<bool> m_ended{false};
};

// What the workers report; written from every thread.
struct Shared
{
    std::mutex mutex;
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
    QSslConfiguration configuration = QtPskTest::pskConfiguration(protocol, QString());
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
    std::vector<std::unique_ptr<Worker>> workers;
    std::vector<std::unique_ptr<TestThread>> threads;
    for (int i = 0; i < kThreads; ++i) {
        workers.push_back(std::make_unique<Worker>(credentials, protocol, &shared));
        Worker *worker = workers.back().get();
        threads.push_back(std::make_unique<TestThread>([worker] { worker->run(); }));
        worker->moveToThread(threads.back()->thread());
    }
    for (auto &thread : threads)
        thread->start();
    const bool done = QtPskTest::waitUntil([&] { return shared.workersDone.load() == kThreads; }, 60000);
    for (auto &thread : threads)
        EXPECT_TRUE(thread->join());
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
    const QSslPreSharedKeyAuthenticator credentials = sharedCredentials();
    std::atomic<quint16> port{0};
    std::atomic<bool> echoed{false};
    std::atomic<QThread *> usedIn{nullptr};

    // An echo server, made, used and deleted in its own thread.
    QSslServer *server = nullptr;
    TestThread serverThread(
            [&] {
                server = new QSslServer;
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
                    port = server->serverPort();
                else
                    port = 1; // nobody listens there: the client fails
            },
            [&] { delete server; });
    serverThread.start();
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return port.load() != 0; }, 10000));

    // A client made here, in the main thread, then moved to its own thread, used and deleted there.
    auto *socket = new QSslSocket;
    socket->setSslConfiguration(pskConfiguration(QSsl::TlsV1_3));
    QObject::connect(socket, &QSslSocket::preSharedKeyAuthenticationRequired, socket,
                     [&](QSslPreSharedKeyAuthenticator *authenticator) {
                         usedIn = QThread::currentThread();
                         authenticator->setIdentity(credentials.identity());
                         authenticator->setPreSharedKey(credentials.preSharedKey());
                     });
    QObject::connect(socket, &QSslSocket::encrypted, socket, [socket] { socket->write("moved"); });
    QObject::connect(socket, &QIODevice::readyRead, socket, [&, socket] {
        if (socket->readAll() == "moved")
            echoed = true;
    });
    const quint16 serverPort = port.load();
    TestThread clientThread(
            [socket, serverPort] {
                socket->connectToHostEncrypted(QStringLiteral("127.0.0.1"), serverPort);
            },
            [socket] { delete socket; });
    socket->moveToThread(clientThread.thread());
    clientThread.start();

    EXPECT_TRUE(QtPskTest::waitUntil([&] { return echoed.load(); }, 20000));
    EXPECT_TRUE(clientThread.join());
    EXPECT_TRUE(serverThread.join());
    EXPECT_EQ(usedIn.load(), clientThread.thread());
}
