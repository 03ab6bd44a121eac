// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// PSK answers given later (QSslPreSharedKeyAuthenticator::deferAnswer(), QSslPreSharedKeyRequest)
// through QSslSocket and QSslServer on loopback: the same signals as answers given at once
// (whole traces compared, success and failure), many handshakes waiting at once on one thread
// with their answers from a timer or from a worker thread (wall time and the event loop's timer
// jitter are printed), and the answers that come too late or twice.
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslPreSharedKeyRequest>
#include <QSslServer>
#include <QSslSocket>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>

#include <gtest/gtest.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "common/pskconfiguration.h"
#include "common/testsupport.h"

namespace {

using QtPskTest::waitUntil;

const QByteArray kIdentity("deferred-client");
const QByteArray kKey = QByteArray::fromHex("00112233445566778899aabbccddeeff");
const QByteArray kWrongKey = QByteArray::fromHex("ffeeddccbbaa99887766554433221100");
constexpr int kAnswerDelayMs = 50;
// Answered in the slot, 200 answers would take 200 x 50 ms = 10 s of waiting alone. Concurrent
// ones take about 50 ms plus the handshakes' own work, which is what dominates under the
// sanitizers on two loaded cores: the bound checks that the waits overlapped (with the
// high-water mark of pending requests, see concurrentHandshakes()), not the machine's speed.
constexpr int kConcurrentBoundMs = 9000;

// A client of \a protocol whose slot answers at once with kIdentity and kKey, connecting to
// 127.0.0.1:\a port.
void connectAnsweringClient(QSslSocket &client, quint16 port, QSsl::SslProtocol protocol = QSsl::TlsV1_2)
{
    client.setSslConfiguration(QtPskTest::pskConfiguration(protocol));
    QObject::connect(&client, &QSslSocket::preSharedKeyAuthenticationRequired, &client,
                     [](QSslPreSharedKeyAuthenticator *authenticator) {
                         authenticator->setIdentity(kIdentity);
                         authenticator->setPreSharedKey(kKey);
                     });
    client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
}

// Every message of the qtpsk.ssl.* categories, while an instance lives.
class SslLog
{
public:
    SslLog()
    {
        QLoggingCategory::setFilterRules(QStringLiteral("qtpsk.ssl.*=true"));
        s_instance = this;
        m_previous = qInstallMessageHandler(&SslLog::handle);
    }
    ~SslLog()
    {
        qInstallMessageHandler(m_previous);
        s_instance = nullptr;
        QLoggingCategory::setFilterRules(QString());
    }
    bool contains(const char *text) const
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        return std::any_of(m_lines.begin(), m_lines.end(),
                           [&](const QString &line) { return line.contains(QLatin1String(text)); });
    }

private:
    static void handle(QtMsgType, const QMessageLogContext &context, const QString &message)
    {
        if (s_instance && context.category && QByteArray(context.category).startsWith("qtpsk.ssl")) {
            const std::lock_guard<std::mutex> lock(s_instance->m_mutex);
            s_instance->m_lines.push_back(message);
        }
    }
    static inline SslLog *s_instance = nullptr;
    QtMessageHandler m_previous = nullptr;
    mutable std::mutex m_mutex;
    std::vector<QString> m_lines;
};

// The signals of one socket, in order, as text.
void trace(QSslSocket *socket, QStringList *out)
{
    QObject::connect(socket, &QAbstractSocket::stateChanged, socket,
                     [out](QAbstractSocket::SocketState state) { *out << QStringLiteral("state %1").arg(int(state)); });
    QObject::connect(socket, &QAbstractSocket::connected, socket, [out] { *out << "connected"; });
    QObject::connect(socket, &QSslSocket::encrypted, socket, [out] { *out << "encrypted"; });
    QObject::connect(socket, &QAbstractSocket::disconnected, socket, [out] { *out << "disconnected"; });
    QObject::connect(socket, &QAbstractSocket::errorOccurred, socket,
                     [out, socket](QAbstractSocket::SocketError error) {
                         *out << QStringLiteral("error %1 %2").arg(int(error)).arg(socket->errorString());
                     });
    QObject::connect(socket, &QSslSocket::sslErrors, socket,
                     [out](const QList<QSslError> &errors) { *out << QStringLiteral("sslErrors %1").arg(errors.size()); });
    QObject::connect(socket, &QSslSocket::alertSent, socket,
                     [out](QSsl::AlertLevel level, QSsl::AlertType type, const QString &text) {
                         *out << QStringLiteral("alertSent %1 %2 %3").arg(int(level)).arg(int(type)).arg(text);
                     });
    QObject::connect(socket, &QSslSocket::alertReceived, socket,
                     [out](QSsl::AlertLevel level, QSsl::AlertType type, const QString &text) {
                         *out << QStringLiteral("alertReceived %1 %2 %3").arg(int(level)).arg(int(type)).arg(text);
                     });
    QObject::connect(socket, &QSslSocket::preSharedKeyAuthenticationRequired, socket,
                     [out](QSslPreSharedKeyAuthenticator *authenticator) {
                         *out << QStringLiteral("psk hint '%1' identity '%2' max %3/%4")
                                         .arg(QString::fromLatin1(authenticator->identityHint()),
                                              QString::fromLatin1(authenticator->identity()))
                                         .arg(authenticator->maximumIdentityLength())
                                         .arg(authenticator->maximumPreSharedKeyLength());
                     });
    QObject::connect(socket, &QIODevice::readyRead, socket, [out] { *out << "readyRead"; });
}

struct Answer
{
    bool defer = false;
    QByteArray key = kKey; // empty: no key (a refusal when deferred)
};

// Gives \a authenticator the key of \a answer, with \a identity unless it is null (a server's
// answer): at once, or kAnswerDelayMs later through deferAnswer() when \a answer defers, where
// an empty key refuses.
void give(QSslPreSharedKeyAuthenticator *authenticator, const Answer &answer, const QByteArray &identity)
{
    if (!answer.defer) {
        if (!identity.isNull())
            authenticator->setIdentity(identity);
        authenticator->setPreSharedKey(answer.key);
        return;
    }
    const QSslPreSharedKeyRequest request = authenticator->deferAnswer();
    const QByteArray key = answer.key;
    QTimer::singleShot(kAnswerDelayMs, [request, key, identity] {
        if (key.isEmpty())
            request.refuse();
        else if (identity.isNull())
            request.answer(key);
        else
            request.answer(identity, key);
    });
}

struct Traces
{
    QStringList client;
    QStringList server;
    bool finished = false;
};

// One connection: the client's and the server's slots answer at once or kAnswerDelayMs later.
Traces runConnection(QSsl::SslProtocol protocol, const Answer &clientAnswer, const Answer &serverAnswer)
{
    Traces traces;
    QSslServer server;
    QSslConfiguration serverConfiguration = QtPskTest::pskConfiguration(protocol);
    serverConfiguration.setPreSharedKeyIdentityHint("deferred-hint");
    server.setSslConfiguration(serverConfiguration);
    // The server side through QSslServer's signals: its socket's own become visible only once
    // the socket outlives its first read (startedEncryptionHandshake()), which a handshake that
    // fails at once does not, and one that waits for an answer does.
    QPointer<QSslSocket> serverSocket;
    QStringList *serverTrace = &traces.server;
    QObject::connect(&server, &QSslServer::startedEncryptionHandshake, &server,
                     [&](QSslSocket *socket) { serverSocket = socket; });
    QObject::connect(&server, &QSslServer::errorOccurred, &server,
                     [serverTrace](QSslSocket *socket, QAbstractSocket::SocketError error) {
                         *serverTrace << QStringLiteral("error %1 %2").arg(int(error)).arg(socket->errorString());
                     });
    QObject::connect(&server, &QSslServer::alertSent, &server,
                     [serverTrace](QSslSocket *, QSsl::AlertLevel level, QSsl::AlertType type, const QString &text) {
                         *serverTrace << QStringLiteral("alertSent %1 %2 %3").arg(int(level)).arg(int(type)).arg(text);
                     });
    QObject::connect(&server, &QSslServer::alertReceived, &server,
                     [serverTrace](QSslSocket *, QSsl::AlertLevel level, QSsl::AlertType type, const QString &text) {
                         *serverTrace << QStringLiteral("alertReceived %1 %2 %3").arg(int(level)).arg(int(type)).arg(text);
                     });
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [serverTrace](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         *serverTrace << QStringLiteral("psk hint '%1' identity '%2' max %3/%4")
                                                 .arg(QString::fromLatin1(authenticator->identityHint()),
                                                      QString::fromLatin1(authenticator->identity()))
                                                 .arg(authenticator->maximumIdentityLength())
                                                 .arg(authenticator->maximumPreSharedKeyLength());
                     });
    QObject::connect(&server, &QTcpServer::pendingConnectionAvailable, &server,
                     [serverTrace] { *serverTrace << "pendingConnectionAvailable"; });
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [&](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         give(authenticator, serverAnswer, QByteArray());
                     });
    QObject::connect(&server, &QTcpServer::pendingConnectionAvailable, &server, [&] {
        while (QTcpSocket *socket = server.nextPendingConnection())
            QObject::connect(socket, &QIODevice::readyRead, socket, [socket] { socket->write(socket->readAll()); });
    });
    if (!server.listen(QHostAddress::LocalHost, 0))
        return traces;

    QSslSocket client;
    client.setSslConfiguration(QtPskTest::pskConfiguration(protocol));
    trace(&client, &traces.client);
    QObject::connect(&client, &QSslSocket::preSharedKeyAuthenticationRequired, &client,
                     [&](QSslPreSharedKeyAuthenticator *authenticator) {
                         give(authenticator, clientAnswer, kIdentity);
                     });
    QByteArray echoed;
    QObject::connect(&client, &QSslSocket::encrypted, &client, [&] { client.write("ping"); });
    QObject::connect(&client, &QIODevice::readyRead, &client, [&] {
        echoed += client.readAll();
        if (echoed == "ping")
            client.disconnectFromHost();
    });
    client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.serverPort());
    traces.finished = waitUntil([&] {
        return client.state() == QAbstractSocket::UnconnectedState
                && (!serverSocket || serverSocket->state() == QAbstractSocket::UnconnectedState);
    }, 10000);
    // The server's side may still be reporting its end: let the loop settle.
    waitUntil([] { return false; }, 50);
    return traces;
}

struct TraceCase
{
    const char *name;
    QSsl::SslProtocol protocol;
    QByteArray clientKey;
    QByteArray serverKey;
};

void expectSameTraces(const TraceCase &c)
{
    const Traces now = runConnection(c.protocol, {false, c.clientKey}, {false, c.serverKey});
    ASSERT_TRUE(now.finished) << c.name;
    ASSERT_FALSE(now.client.isEmpty());
    for (const bool deferClient : {false, true}) {
        for (const bool deferServer : {false, true}) {
            if (!deferClient && !deferServer)
                continue;
            const Traces later = runConnection(c.protocol, {deferClient, c.clientKey},
                                               {deferServer, c.serverKey});
            EXPECT_TRUE(later.finished) << c.name;
            EXPECT_EQ(later.client.join(QLatin1String("\n")).toStdString(),
                      now.client.join(QLatin1String("\n")).toStdString())
                    << c.name << ": client trace; client deferred " << deferClient
                    << ", server deferred " << deferServer;
            EXPECT_EQ(later.server.join(QLatin1String("\n")).toStdString(),
                      now.server.join(QLatin1String("\n")).toStdString())
                    << c.name << ": server trace; client deferred " << deferClient
                    << ", server deferred " << deferServer;
        }
    }
}

} // namespace

TEST(QSslSocketDeferredPsk, AnsweredLaterGivesTheSameSignalsAsAnsweredAtOnce)
{
    expectSameTraces({"TLS 1.2", QSsl::TlsV1_2, kKey, kKey});
    expectSameTraces({"TLS 1.3", QSsl::TlsV1_3, kKey, kKey});
}

TEST(QSslSocketDeferredPsk, RefusalAndWrongKeyAnsweredLaterFailWithTheSameSignals)
{
    expectSameTraces({"TLS 1.2 wrong key", QSsl::TlsV1_2, kKey, kWrongKey});
    expectSameTraces({"TLS 1.3 wrong key", QSsl::TlsV1_3, kKey, kWrongKey});
    expectSameTraces({"TLS 1.2 server refuses", QSsl::TlsV1_2, kKey, QByteArray()});
    expectSameTraces({"TLS 1.3 server refuses", QSsl::TlsV1_3, kKey, QByteArray()});
    expectSameTraces({"TLS 1.2 client refuses", QSsl::TlsV1_2, QByteArray(), kKey});
    expectSameTraces({"TLS 1.3 client refuses", QSsl::TlsV1_3, QByteArray(), kKey});
}

namespace {

// Answers requests from a plain std::thread (no event loop), each kAnswerDelayMs after it was
// handed over (the database): with \a refuse, refuses them. The hand-over is a std::mutex and a
// condition variable, which ThreadSanitizer sees end to end.
class KeyService
{
public:
    explicit KeyService(bool refuse = false) : m_refuse(refuse), m_thread([this] { run(); }) { }
    ~KeyService()
    {
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_all();
        m_thread.join();
    }
    void lookUp(const QSslPreSharedKeyRequest &request)
    {
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            m_queue.push_back({std::chrono::steady_clock::now() + std::chrono::milliseconds(kAnswerDelayMs), request});
        }
        m_wake.notify_all();
    }

private:
    void run()
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        while (!m_stopping) {
            if (m_queue.empty()) {
                m_wake.wait(lock);
                continue;
            }
            const auto due = m_queue.front().first;
            if (std::chrono::steady_clock::now() < due) {
                m_wake.wait_until(lock, due);
                continue;
            }
            const QSslPreSharedKeyRequest request = m_queue.front().second;
            m_queue.pop_front();
            lock.unlock();
            if (m_refuse)
                EXPECT_TRUE(request.refuse());
            else
                request.answer(request.identity().startsWith("client-") ? kKey : QByteArray());
            lock.lock();
        }
        OPENSSL_thread_stop(); // the thread's own OpenSSL state goes with it
    }

    const bool m_refuse;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::pair<std::chrono::steady_clock::time_point, QSslPreSharedKeyRequest>> m_queue;
    bool m_stopping = false;
    std::thread m_thread;
};

// The event loop's lateness while it runs: a 10 ms precise timer, each firing compared with
// the time it was due.
class JitterProbe
{
public:
    JitterProbe()
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(10);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            if (m_last >= 0)
                m_late.push_back(double(now - m_last) / 1e6 - 10.0);
            m_last = now;
        });
        m_clock.start();
        m_timer.start();
    }
    double maxMs() const { return m_late.empty() ? 0 : *std::max_element(m_late.begin(), m_late.end()); }
    double meanMs() const
    {
        double sum = 0;
        for (double late : m_late)
            sum += late;
        return m_late.empty() ? 0 : sum / double(m_late.size());
    }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = -1;
    std::vector<double> m_late;
};

// \a connections clients against one server whose slot defers every answer to \a answer.
// Returns the wall time until all are encrypted (-1 if they are not).
qint64 concurrentHandshakes(int connections, const std::function<void(const QSslPreSharedKeyRequest &)> &answer,
                            const char *label)
{
    EXPECT_TRUE(QtPskTest::raiseDescriptorLimit(2 * unsigned(connections) + 256));
    QSslServer server;
    server.setSslConfiguration(QtPskTest::pskConfiguration());
    server.setMaxPendingConnections(connections);
    // All clients come from 127.0.0.1 at once, slowly under the sanitizers: no flood limits.
    server.setMaxHandshakesPerAddress(0);
    server.setClientHelloTimeout(0);
    server.setHandshakeTimeout(60000);
    int requests = 0;
    std::vector<QSslPreSharedKeyRequest> given;
    int mostPending = 0; // the high-water mark of requests waiting at once
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [&](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         ++requests;
                         const QSslPreSharedKeyRequest request = authenticator->deferAnswer();
                         given.push_back(request);
                         const int pending = int(std::count_if(given.begin(), given.end(),
                                 [](const QSslPreSharedKeyRequest &r) { return r.isPending(); }));
                         mostPending = std::max(mostPending, pending);
                         answer(request);
                     });
    int accepted = 0;
    QObject::connect(&server, &QTcpServer::pendingConnectionAvailable, &server, [&] {
        while (QTcpSocket *socket = server.nextPendingConnection()) {
            ++accepted;
            socket->setParent(&server);
        }
    });
    EXPECT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    std::vector<std::unique_ptr<QSslSocket>> clients;
    int encrypted = 0;
    int errors = 0;
    QElapsedTimer wall;
    JitterProbe jitter;
    wall.start();
    for (int i = 0; i < connections; ++i) {
        auto client = std::make_unique<QSslSocket>();
        client->setSslConfiguration(QtPskTest::pskConfiguration());
        const QByteArray identity = "client-" + QByteArray::number(i);
        QObject::connect(client.get(), &QSslSocket::preSharedKeyAuthenticationRequired, client.get(),
                         [identity](QSslPreSharedKeyAuthenticator *authenticator) {
                             authenticator->setIdentity(identity);
                             authenticator->setPreSharedKey(kKey);
                         });
        QObject::connect(client.get(), &QSslSocket::encrypted, client.get(), [&] { ++encrypted; });
        QObject::connect(client.get(), &QAbstractSocket::errorOccurred, client.get(), [&] { ++errors; });
        client->connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.serverPort());
        clients.push_back(std::move(client));
    }
    const bool done = waitUntil([&] { return (encrypted == connections && accepted == connections) || errors > 0; }, 60000);
    const qint64 elapsed = wall.elapsed();
    EXPECT_TRUE(done);
    EXPECT_EQ(errors, 0);
    EXPECT_EQ(encrypted, connections);
    EXPECT_EQ(requests, connections); // one emission per handshake
    // The waits overlapped: many requests were pending at the same time.
    EXPECT_GE(mostPending, 10);
    std::printf("[  FIGURE  ] %s: %d handshakes, each answered %d ms after its emission: %lld ms "
                "wall (%d x %d ms = %d ms if answered in the slot), up to %d answers pending at "
                "once; event-loop timer lateness mean %.2f ms, max %.2f ms\n",
                label, connections, kAnswerDelayMs, static_cast<long long>(elapsed), connections,
                kAnswerDelayMs, connections * kAnswerDelayMs, mostPending, jitter.meanMs(),
                jitter.maxMs());
    return done && errors == 0 ? elapsed : -1;
}

} // namespace

TEST(QSslSocketDeferredPsk, TwoHundredHandshakesWaitAtOnceForTimerAnswers)
{
    const qint64 elapsed = concurrentHandshakes(200, [](const QSslPreSharedKeyRequest &request) {
        QTimer::singleShot(kAnswerDelayMs, [request] { request.answer(kKey); });
    }, "timer answers");
    ASSERT_GE(elapsed, 0);
    EXPECT_LT(elapsed, kConcurrentBoundMs);
    RecordProperty("wall_ms", int(elapsed));
}

TEST(QSslSocketDeferredPsk, TwoHundredHandshakesWaitAtOnceForAWorkerThread)
{
    KeyService service;
    const qint64 elapsed = concurrentHandshakes(200, [&service](const QSslPreSharedKeyRequest &request) {
        service.lookUp(request);
    }, "worker-thread answers");
    ASSERT_GE(elapsed, 0);
    EXPECT_LT(elapsed, kConcurrentBoundMs);
    RecordProperty("wall_ms", int(elapsed));
}

TEST(QSslSocketDeferredPsk, RefusalFromAWorkerThreadFailsTheHandshake)
{
    KeyService service(true);
    QSslServer server;
    server.setSslConfiguration(QtPskTest::pskConfiguration(QSsl::TlsV1_3));
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [&](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         service.lookUp(authenticator->deferAnswer());
                     });
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    QSslSocket client;
    bool failed = false;
    QObject::connect(&client, &QAbstractSocket::errorOccurred, &client, [&] { failed = true; });
    connectAnsweringClient(client, server.serverPort(), QSsl::TlsV1_3);
    EXPECT_TRUE(waitUntil([&] { return failed; }, 10000));
    EXPECT_FALSE(client.isEncrypted());
}

TEST(QSslSocketDeferredPsk, AnswerAfterTheHandshakeTimeoutIsIgnoredAndLogged)
{
    const SslLog log;
    QSslServer server;
    server.setSslConfiguration(QtPskTest::pskConfiguration());
    server.setHandshakeTimeout(200);
    QSslPreSharedKeyRequest kept;
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [&](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         kept = authenticator->deferAnswer();
                     });
    int serverErrors = 0;
    QObject::connect(&server, &QSslServer::errorOccurred, &server, [&] { ++serverErrors; });
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    QSslSocket client;
    QElapsedTimer clock;
    clock.start();
    connectAnsweringClient(client, server.serverPort());
    ASSERT_TRUE(waitUntil([&] { return !kept.isNull(); }, 10000));
    EXPECT_TRUE(kept.isPending());
    // The pending answer does not keep the connection: the server's time-out ends it.
    EXPECT_TRUE(waitUntil([&] { return client.state() == QAbstractSocket::UnconnectedState; }, 10000));
    EXPECT_LT(clock.elapsed(), 5000);
    EXPECT_FALSE(client.isEncrypted());
    EXPECT_FALSE(kept.isPending());
    EXPECT_FALSE(kept.answer(kKey));
    EXPECT_TRUE(log.contains("after its handshake stopped waiting"));
    EXPECT_EQ(kept.identity(), kIdentity); // the request keeps its own copy of the question
}

TEST(QSslSocketDeferredPsk, SecondAnswerIsIgnoredAndLogged)
{
    const SslLog log;
    QSslServer server;
    server.setSslConfiguration(QtPskTest::pskConfiguration(QSsl::TlsV1_3));
    bool first = false;
    bool second = true;
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [&](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         const QSslPreSharedKeyRequest request = authenticator->deferAnswer();
                         EXPECT_EQ(authenticator->deferAnswer().isPending(), true); // the same one
                         first = request.answer(kKey); // inside the slot: taken from the loop
                         second = request.answer(kWrongKey);
                     });
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    QSslSocket client;
    connectAnsweringClient(client, server.serverPort(), QSsl::TlsV1_3);
    EXPECT_TRUE(waitUntil([&] { return client.isEncrypted(); }, 10000));
    EXPECT_TRUE(first);
    EXPECT_FALSE(second);
    EXPECT_TRUE(log.contains("answered twice"));
}

TEST(QSslSocketDeferredPsk, AnswerAfterTheSocketIsDeletedIsIgnored)
{
    const SslLog log;
    QSslServer server;
    server.setSslConfiguration(QtPskTest::pskConfiguration());
    QSslPreSharedKeyRequest kept;
    QPointer<QSslSocket> waiting;
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [&](QSslSocket *socket, QSslPreSharedKeyAuthenticator *authenticator) {
                         kept = authenticator->deferAnswer();
                         waiting = socket;
                     });
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    QSslSocket client;
    connectAnsweringClient(client, server.serverPort());
    ASSERT_TRUE(waitUntil([&] { return bool(waiting); }, 10000));
    delete waiting.data();
    EXPECT_FALSE(kept.isPending());
    EXPECT_FALSE(kept.answer(kKey));
    EXPECT_TRUE(waitUntil([&] { return client.state() == QAbstractSocket::UnconnectedState; }, 10000));
    EXPECT_TRUE(log.contains("after its handshake stopped waiting"));
}

TEST(QSslSocketDeferredPsk, DeferAnswerOutsideTheSlotGivesANullRequest)
{
    const SslLog log;
    QSslPreSharedKeyAuthenticator mine;
    const QSslPreSharedKeyRequest request = mine.deferAnswer();
    EXPECT_TRUE(request.isNull());
    EXPECT_FALSE(request.isPending());
    EXPECT_FALSE(request.answer(kKey));
    EXPECT_FALSE(request.refuse());
    EXPECT_TRUE(log.contains("deferAnswer"));
}

TEST(QSslSocketDeferredPsk, CopyOfTheAuthenticatorCannotDeferAfterTheSlot)
{
    QSslServer server;
    server.setSslConfiguration(QtPskTest::pskConfiguration());
    std::unique_ptr<QSslPreSharedKeyAuthenticator> copy;
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [&](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         copy = std::make_unique<QSslPreSharedKeyAuthenticator>(*authenticator);
                         authenticator->setPreSharedKey(kKey);
                     });
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    QSslSocket client;
    connectAnsweringClient(client, server.serverPort());
    ASSERT_TRUE(waitUntil([&] { return client.isEncrypted(); }, 10000));
    ASSERT_TRUE(copy);
    EXPECT_TRUE(copy->deferAnswer().isNull());
}
