// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Issue 8, re-entrancy: a slot that aborts, closes, disconnects, deleteLater()s or deletes the
// socket (or closes / deletes the server, or aborts / deletes the pending socket) at EVERY
// emission point. The signals come from QMetaObject, so a signal added later is covered at once.
//
// One GoogleTest case per (target, scenario, style). It first runs the scenario without any
// action (the baseline) to learn which signals of the target fire, then runs it once per
// (signal, action) cell with a slot that performs the action at the first emission of that signal.
// Every cell checks: no crash (the suite runs under ASan), the socket ends Unconnected or is
// destroyed exactly once, disconnected() at most once, the other side ends too, and the server
// still accepts good connections afterwards (unless the action closed or deleted it).
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslPreSharedKeyRequest>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>

#include <gtest/gtest.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qpointer.h>
#include <QtCore/qset.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>

#include <openssl/crypto.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/testsupport.h"
#include "reentrancysupport.h"

namespace {

using QtPskTest::SignalTap;
using QtPskTest::signalsOf;
using QtPskTest::waitUntil;

constexpr int kTimeoutMs = 5000;
constexpr int kShortHandshakeTimeoutMs = 100; // the HandshakeTimeout scenario's server
const QByteArray kIdentity("reentrancy-client");
const QByteArray kKey = QByteArray::fromHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
const QByteArray kWrongKey = QByteArray::fromHex("ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100");
const QByteArray kPing("ping through the matrix\n");
// A TLS record holding a handshake message whose length field lies: the server answers with a
// fatal decode_error alert.
const QByteArray kGarbage = QByteArray::fromHex("16030100050100000100");

enum class Scenario {
    GoodTls12,        // PSK handshake, data both ways, the client closes (close_notify)
    GoodTls13,
    // As GoodTls12 / GoodTls13, both sides answering their PSK request later (deferAnswer(),
    // answered from a timer): every action at every emission while an answer may be pending.
    DeferredTls12,
    DeferredTls13,
    // A TLS 1.3-only server and a client with default protocols: the client's first ClientHello is
    // refused, it connects again offering the PSK (every action at its emissions, the reconnection
    // included), then as GoodTls13.
    Tls13AfterRefusal,
    WrongKeyTls12,    // the client's key differs: the handshake fails with alerts
    WrongKeyTls13,
    NoKeyTls12,       // the client's slot gives no key: the client fails and alerts the server
    VerifyPeer,       // both sides VerifyPeer: peerVerifyError, sslErrors, handshake refused
    InterruptOnError, // VerifyPeer + handshakeMustInterruptOnError: both sides continue
    ServerResets,     // the server resets the connection (RST) when the data arrives
    ClientResets,     // the client resets the connection once encrypted
    HandshakeTimeout, // the client never starts TLS: the server's handshake timeout ends it
    Garbage,          // the client sends a malformed record: the server fails with an alert
    AcceptFailure,    // accept() fails with EMFILE: acceptError(); then a good client
    PlainGood,        // QTcpServer + QTcpSocket: data both ways, the client closes
    PlainServerResets,
    PlainAcceptFailure,
};

const char *scenarioName(Scenario scenario)
{
    switch (scenario) {
    case Scenario::GoodTls12: return "GoodTls12";
    case Scenario::GoodTls13: return "GoodTls13";
    case Scenario::DeferredTls12: return "DeferredTls12";
    case Scenario::DeferredTls13: return "DeferredTls13";
    case Scenario::Tls13AfterRefusal: return "Tls13AfterRefusal";
    case Scenario::WrongKeyTls12: return "WrongKeyTls12";
    case Scenario::WrongKeyTls13: return "WrongKeyTls13";
    case Scenario::NoKeyTls12: return "NoKeyTls12";
    case Scenario::VerifyPeer: return "VerifyPeer";
    case Scenario::InterruptOnError: return "InterruptOnError";
    case Scenario::ServerResets: return "ServerResets";
    case Scenario::ClientResets: return "ClientResets";
    case Scenario::HandshakeTimeout: return "HandshakeTimeout";
    case Scenario::Garbage: return "Garbage";
    case Scenario::AcceptFailure: return "AcceptFailure";
    case Scenario::PlainGood: return "PlainGood";
    case Scenario::PlainServerResets: return "PlainServerResets";
    case Scenario::PlainAcceptFailure: return "PlainAcceptFailure";
    }
    return "?";
}

const std::vector<Scenario> &allScenarios()
{
    static const std::vector<Scenario> scenarios = {
        Scenario::GoodTls12,     Scenario::GoodTls13,        Scenario::Tls13AfterRefusal,
        Scenario::DeferredTls12, Scenario::DeferredTls13,
        Scenario::WrongKeyTls12,
        Scenario::WrongKeyTls13, Scenario::NoKeyTls12,       Scenario::VerifyPeer,       Scenario::InterruptOnError,
        Scenario::ServerResets,  Scenario::ClientResets,     Scenario::HandshakeTimeout,
        Scenario::Garbage,       Scenario::AcceptFailure,    Scenario::PlainGood,
        Scenario::PlainServerResets, Scenario::PlainAcceptFailure};
    return scenarios;
}

bool isPlain(Scenario s)
{
    return s == Scenario::PlainGood || s == Scenario::PlainServerResets
            || s == Scenario::PlainAcceptFailure;
}

bool isDeferred(Scenario s)
{
    return s == Scenario::DeferredTls12 || s == Scenario::DeferredTls13;
}

// How long a deferred answer takes (a timer in the answering side's thread).
constexpr int kDeferredAnswerMs = 10;

bool isAcceptFailure(Scenario s)
{
    return s == Scenario::AcceptFailure || s == Scenario::PlainAcceptFailure;
}

// The client of these scenarios connects without TLS (QSslSocket in UnencryptedMode).
bool clientStaysPlain(Scenario s)
{
    return s == Scenario::HandshakeTimeout || s == Scenario::Garbage;
}

// The scenario whose connections succeed on the same kind of server as \a scenario's (itself
// where its connections succeed): what shows that the server still serves afterwards.
Scenario goodScenarioOfTheSameKind(Scenario scenario)
{
    switch (scenario) {
    case Scenario::WrongKeyTls12:
    case Scenario::NoKeyTls12:
    case Scenario::HandshakeTimeout:
    case Scenario::Garbage:
    case Scenario::ServerResets:
    case Scenario::ClientResets:
    case Scenario::AcceptFailure:
        return Scenario::GoodTls12;
    case Scenario::WrongKeyTls13:
        return Scenario::GoodTls13;
    case Scenario::PlainServerResets:
    case Scenario::PlainAcceptFailure:
        return Scenario::PlainGood;
    default:
        return scenario;
    }
}

bool serverResets(Scenario s)
{
    return s == Scenario::ServerResets || s == Scenario::PlainServerResets;
}

bool verifiesPeer(Scenario s)
{
    return s == Scenario::VerifyPeer || s == Scenario::InterruptOnError;
}

enum class Target { Client, ServerSocket, Server };

const char *targetName(Target target)
{
    switch (target) {
    case Target::Client: return "Client";
    case Target::ServerSocket: return "ServerSocket";
    case Target::Server: return "Server";
    }
    return "?";
}

enum class Style { Signals, WaitFor };

enum class Action {
    None,
    // on the socket that emitted
    Abort, Close, DisconnectFromHost, DeleteLater, Delete,
    // on the server that emitted (or the socket it names / has pending)
    CloseServer, DeleteServer, DeleteLaterServer, AbortSocket, DeleteSocket,
};

const char *actionName(Action action)
{
    switch (action) {
    case Action::None: return "None";
    case Action::Abort: return "abort";
    case Action::Close: return "close";
    case Action::DisconnectFromHost: return "disconnectFromHost";
    case Action::DeleteLater: return "deleteLater";
    case Action::Delete: return "delete";
    case Action::CloseServer: return "server.close";
    case Action::DeleteServer: return "delete.server";
    case Action::DeleteLaterServer: return "server.deleteLater";
    case Action::AbortSocket: return "socket.abort";
    case Action::DeleteSocket: return "delete.socket";
    }
    return "?";
}

std::vector<Action> actionsFor(Target target)
{
    if (target == Target::Server)
        return {Action::CloseServer, Action::DeleteServer, Action::DeleteLaterServer,
                Action::AbortSocket, Action::DeleteSocket};
    return {Action::Abort, Action::Close, Action::DisconnectFromHost, Action::DeleteLater,
            Action::Delete};
}

bool endsServer(Action action)
{
    return action == Action::CloseServer || action == Action::DeleteServer
            || action == Action::DeleteLaterServer;
}

struct Hook
{
    Target target = Target::Client;
    QByteArray signature; // empty: no action (baseline)
    Action action = Action::None;
};

// RST instead of FIN when the descriptor is closed.
void resetOnClose(QAbstractSocket *socket)
{
    const linger value{1, 0};
    ::setsockopt(int(socket->socketDescriptor()), SOL_SOCKET, SO_LINGER, &value, sizeof value);
}

QSslConfiguration configurationFor(Scenario scenario, bool server)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(verifiesPeer(scenario) ? QSslSocket::VerifyPeer
                                                           : QSslSocket::VerifyNone);
    configuration.setHandshakeMustInterruptOnError(scenario == Scenario::InterruptOnError);
    switch (scenario) {
    case Scenario::GoodTls13:
    case Scenario::WrongKeyTls13:
    case Scenario::DeferredTls13:
        configuration.setProtocol(QSsl::TlsV1_3);
        break;
    case Scenario::Tls13AfterRefusal:
        configuration.setProtocol(server ? QSsl::TlsV1_3 : QSsl::SecureProtocols);
        break;
    default:
        configuration.setProtocol(QSsl::TlsV1_2);
        configuration.setCiphers(QStringLiteral("PSK-AES256-CBC-SHA"));
        break;
    }
    return configuration;
}

// Lifetime and end of one socket, counted from its own signals.
struct SocketRecord
{
    QPointer<QAbstractSocket> socket;
    std::atomic<int> destroyed{0};
    std::atomic<int> disconnected{0};
    std::atomic<bool> ended{false}; // Unconnected (or destroyed) after it was seen connected

    // Unconnected or destroyed now (read in the socket's thread only).
    bool isEnded() const
    {
        return ended || socket.isNull() || socket->state() == QAbstractSocket::UnconnectedState;
    }

    void watch(QAbstractSocket *s, const std::shared_ptr<SocketRecord> &self)
    {
        socket = s;
        QObject::connect(s, &QObject::destroyed, [self] {
            ++self->destroyed;
            self->ended = true;
        });
        QObject::connect(s, &QAbstractSocket::disconnected, [self] { ++self->disconnected; });
        QObject::connect(s, &QAbstractSocket::stateChanged,
                         [self](QAbstractSocket::SocketState state) {
                             if (state == QAbstractSocket::UnconnectedState)
                                 self->ended = true;
                         });
    }
};

// The server of a scenario and its application logic: take pending connections, echo data (or
// reset), give the PSK, continue interrupted handshakes. Lives in the thread that creates it.
class ServerSide
{
public:
    ServerSide(Scenario scenario, const std::function<void(QAbstractSocket *)> &onNewSocket,
               const std::function<void(QTcpServer *)> &beforeLogic)
        : m_scenario(scenario), m_onNewSocket(onNewSocket)
    {
        if (isPlain(scenario)) {
            server = new QTcpServer;
        } else {
            auto *ssl = new QSslServer;
            ssl->setSslConfiguration(configurationFor(scenario, true));
            ssl->setHandshakeTimeout(scenario == Scenario::HandshakeTimeout
                                             ? kShortHandshakeTimeoutMs : kTimeoutMs);
            server = ssl;
        }
        QTcpServer *const s = server;
        // Tracking first (a hook may delete the socket), then recorders and hooks, then the
        // application's slots.
        if (auto *ssl = qobject_cast<QSslServer *>(s)) {
            QObject::connect(ssl, &QSslServer::startedEncryptionHandshake, ssl,
                             [this](QSslSocket *socket) { track(socket); });
        }
        if (beforeLogic)
            beforeLogic(server);
        if (auto *ssl = qobject_cast<QSslServer *>(s)) {
            QObject::connect(ssl, &QSslServer::preSharedKeyAuthenticationRequired, ssl,
                             [scenario](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                                 if (!isDeferred(scenario)) {
                                     authenticator->setPreSharedKey(kKey);
                                     return;
                                 }
                                 const QSslPreSharedKeyRequest request = authenticator->deferAnswer();
                                 QTimer::singleShot(kDeferredAnswerMs, [request] { request.answer(kKey); });
                             });
            QObject::connect(ssl, &QSslServer::handshakeInterruptedOnError, ssl,
                             [this](QSslSocket *socket, const QSslError &) {
                                 if (isLive(socket)) // a hook before us may have deleted it
                                     socket->continueInterruptedHandshake();
                             });
        }
        QObject::connect(s, &QTcpServer::pendingConnectionAvailable, s, [this] { takePending(); });
    }

    ~ServerSide() { delete server.data(); }

    bool listen() { return server->listen(QHostAddress::LocalHost, 0); }

    // The short handshake timeout of the HandshakeTimeout scenario is for the scenario's client
    // only: the good client that follows gets the ordinary timeout, so that a slow machine
    // cannot make its handshake outlast the scenario's timeout.
    void restoreHandshakeTimeout()
    {
        if (auto *ssl = qobject_cast<QSslServer *>(server.data()))
            ssl->setHandshakeTimeout(kTimeoutMs);
    }

    bool isLive(const QAbstractSocket *socket) const
    {
        for (const auto &record : records) {
            if (record->socket == socket)
                return true;
        }
        return false;
    }

    // Every socket seen has ended (the server's side observed a sensible end).
    bool allEnded() const
    {
        for (const auto &record : records) {
            if (!record->isEnded())
                return false;
        }
        return true;
    }

    QPointer<QTcpServer> server;
    std::vector<std::shared_ptr<SocketRecord>> records; // in the order seen
    std::atomic<int> seen{0};
    std::atomic<int> echoed{0};

private:
    void track(QAbstractSocket *socket)
    {
        auto record = std::make_shared<SocketRecord>();
        record->watch(socket, record);
        records.push_back(record);
        ++seen;
        if (m_onNewSocket)
            m_onNewSocket(socket);
    }

    void takePending()
    {
        for (;;) {
            QTcpServer *const current = server.data(); // a slot may have deleted it
            QTcpSocket *socket = current ? current->nextPendingConnection() : nullptr;
            if (!socket)
                break;
            if (isPlain(m_scenario))
                track(socket);
            QPointer<QTcpSocket> guard(socket);
            QObject::connect(socket, &QIODevice::readyRead, socket, [this, socket] {
                const QByteArray data = socket->readAll();
                if (serverResets(m_scenario)) {
                    resetOnClose(socket);
                    socket->abort();
                    return;
                }
                socket->write(data);
                ++echoed;
            });
            // Data may have arrived with the handshake's last flight.
            if (guard && guard->bytesAvailable() > 0)
                Q_EMIT guard->readyRead();
        }
    }

    Scenario m_scenario;
    std::function<void(QAbstractSocket *)> m_onNewSocket;
};

// A ServerSide in its own thread, for the blocking (waitFor) style: the client blocks the main
// thread, so the server needs an event loop of its own.
class ServerThread : public QThread
{
public:
    explicit ServerThread(Scenario scenario) : m_scenario(scenario) { }
    Q_DISABLE_COPY(ServerThread)
    ~ServerThread() override
    {
        if (isRunning()) // a test that failed before its teardown
            stop();
    }

    quint16 startServer()
    {
        start();
        waitUntil([this] { return m_port.load() != 0 || m_failed.load(); }, kTimeoutMs);
        return m_port.load();
    }

    bool allEnded() const { return m_seen.load() > 0 && m_ended.load(); }
    int seen() const { return m_seen.load(); }

    // quit() and wait(), then an acquire of the flag run() sets last: Qt's threads are detached
    // and wait() synchronises inside Qt, where ThreadSanitizer cannot see it, so without this the
    // destruction of this object would look like a race with the thread's last writes.
    void stop()
    {
        quit();
        wait();
        while (!m_finished.load(std::memory_order_acquire))
            QThread::yieldCurrentThread(); // already set once wait() has returned
    }

protected:
    void run() override
    {
        struct Finished
        {
            std::atomic<bool> &flag;
            ~Finished() { flag.store(true, std::memory_order_release); }
        } const finished{m_finished}; // destroyed last: after the server and OpenSSL's state
        // Qt's threads are detached: free OpenSSL's per-thread state before wait() returns, or
        // it may outlive the process's leak check.
        struct ThreadStop
        {
            ~ThreadStop() { OPENSSL_thread_stop(); }
        } const threadStop;
        ServerSide side(m_scenario, nullptr, nullptr);
        if (!side.listen()) {
            m_failed = true;
            return;
        }
        QTimer poll; // publishes the server's view to the main thread
        QObject::connect(&poll, &QTimer::timeout, [&] {
            m_seen = side.seen.load();
            m_ended = side.allEnded();
        });
        poll.start(5);
        m_port = side.server->serverPort();
        exec();
    }

private:
    Scenario m_scenario;
    std::atomic<quint16> m_port{0};
    std::atomic<bool> m_finished{false};
    std::atomic<bool> m_failed{false};
    std::atomic<int> m_seen{0};
    std::atomic<bool> m_ended{false};
};

// Which signals fired, per target, in one run.
struct Emissions
{
    QSet<QByteArray> client, serverSocket, server;
    QSet<QByteArray> &of(Target target)
    {
        switch (target) {
        case Target::Client: return client;
        case Target::ServerSocket: return serverSocket;
        case Target::Server: break;
        }
        return server;
    }
};

// Holds descriptors so that accept() fails with EMFILE, until release().
class DescriptorExhaustion
{
public:
    bool start(int keepFd)
    {
        if (::getrlimit(RLIMIT_NOFILE, &m_original) != 0)
            return false;
        int highest = keepFd;
        for (int fd = 0; fd < 4096; ++fd) {
            if (::fcntl(fd, F_GETFD) != -1)
                highest = fd;
        }
        rlimit lowered = m_original;
        lowered.rlim_cur = rlim_t(highest + 1);
        if (::setrlimit(RLIMIT_NOFILE, &lowered) != 0)
            return false;
        m_active = true;
        for (;;) {
            const int fd = ::dup(keepFd);
            if (fd < 0)
                break;
            m_fillers.push_back(fd);
        }
        return true;
    }
    void release()
    {
        for (int fd : m_fillers)
            ::close(fd);
        m_fillers.clear();
        if (m_active)
            ::setrlimit(RLIMIT_NOFILE, &m_original);
        m_active = false;
    }
    ~DescriptorExhaustion() { release(); }

private:
    rlimit m_original{};
    std::vector<int> m_fillers;
    bool m_active = false;
};

// One run of a scenario with at most one action. Returns the signals that fired.
class CellRun
{
public:
    CellRun(Scenario scenario, Style style, const Hook &hook)
        : m_scenario(scenario), m_style(style), m_hook(hook)
    {
    }

    Emissions emissions;
    int actions = 0;

    void execute()
    {
        SCOPED_TRACE(testing::Message() << scenarioName(m_scenario) << " "
                                        << (m_style == Style::WaitFor ? "waitFor" : "signals")
                                        << " " << targetName(m_hook.target) << " "
                                        << m_hook.signature.constData() << " "
                                        << actionName(m_hook.action));
        m_taps = std::make_unique<QObject>();
        quint16 port = 0;
        if (m_style == Style::Signals) {
            m_server = std::make_unique<ServerSide>(
                    m_scenario, [this](QAbstractSocket *socket) { serverSocketSeen(socket); },
                    [this](QTcpServer *server) { instrument(Target::Server, server); });
            ASSERT_TRUE(m_server->listen());
            port = m_server->server->serverPort();
        } else {
            m_thread = std::make_unique<ServerThread>(m_scenario);
            port = m_thread->startServer();
            ASSERT_NE(port, 0);
            m_threadPort = port;
        }

        const auto clientRecord = std::make_shared<SocketRecord>();
        if (isAcceptFailure(m_scenario))
            m_server->server->pauseAccepting(); // the connection waits in the backlog
        m_client = createClient(m_scenario, port, clientRecord, &m_clientBuffer);
        if (isAcceptFailure(m_scenario))
            exhaustDescriptors();
        if (m_style == Style::WaitFor)
            driveBlocking();

        // Both sides come to an end.
        const bool ended = waitUntil([&] {
            return clientRecord->isEnded() && serverSideEnded() && backlogServed();
        }, kTimeoutMs);
        EXPECT_TRUE(ended) << "client state "
                           << (m_client ? int(m_client->state()) : -1) << ", server side ended "
                           << serverSideEnded();
        EXPECT_LE(clientRecord->disconnected.load(), 1);
        EXPECT_LE(clientRecord->destroyed.load(), 1);
        if (m_server) {
            for (const auto &record : m_server->records) {
                EXPECT_LE(record->disconnected.load(), 1);
                EXPECT_LE(record->destroyed.load(), 1);
            }
        }
        if (m_hook.action != Action::None)
            EXPECT_EQ(actions, 1) << "the action never ran: the signal did not fire as in the baseline";
        else
            checkBaselineOutcome();

        checkServerStillAccepts();

        // Tear down: no action may run during teardown.
        m_taps.reset();
        delete m_client.data();
        std::vector<std::shared_ptr<SocketRecord>> serverRecords;
        if (m_server) {
            serverRecords = m_server->records;
            m_server.reset();
        }
        if (m_thread) {
            m_thread->stop();
            m_thread.reset();
        }
        waitUntil([&] {
            for (const auto &record : serverRecords) {
                if (record->destroyed == 0)
                    return false;
            }
            return clientRecord->destroyed == 1;
        }, kTimeoutMs);
        EXPECT_EQ(clientRecord->destroyed.load(), 1);
        for (const auto &record : serverRecords)
            EXPECT_EQ(record->destroyed.load(), 1);
    }

private:
    // AcceptFailure: the connection that waited through the failure is accepted at last
    // (unless the action closed the server).
    bool backlogServed() const
    {
        if (!isAcceptFailure(m_scenario) || !m_server)
            return true;
        return m_server->seen.load() > 0 || emissions.server.contains("newConnection()")
                || emissions.server.contains("pendingConnectionAvailable()")
                || !m_server->server || !m_server->server->isListening();
    }

    bool serverSideEnded() const
    {
        if (m_server)
            return m_server->allEnded();
        return !m_thread || m_thread->allEnded() || m_thread->seen() == 0;
    }

    // The client socket with its application logic (event-driven parts).
    // \a record (null for the checker): the client under test, recorded and instrumented.
    QAbstractSocket *createClient(Scenario scenario, quint16 port,
                                  const std::shared_ptr<SocketRecord> &record,
                                  std::shared_ptr<QByteArray> *received)
    {
        const bool instrumented = record != nullptr;
        QAbstractSocket *socket = nullptr;
        // AcceptFailure: a plain TCP client, so that no TLS runs while descriptors are exhausted
        // (the sanitizers need a free descriptor for their own checks).
        if (isPlain(scenario) || isAcceptFailure(scenario)) {
            socket = new QTcpSocket;
        } else {
            auto *ssl = new QSslSocket;
            ssl->setSslConfiguration(configurationFor(scenario, false));
            socket = ssl;
        }
        if (instrumented) {
            record->watch(socket, record);
            instrument(Target::Client, socket);
        }
        auto buffer = std::make_shared<QByteArray>();
        const bool blocking = instrumented && m_style == Style::WaitFor;
        if (auto *ssl = qobject_cast<QSslSocket *>(socket)) {
            const QByteArray key = scenario == Scenario::WrongKeyTls12
                            || scenario == Scenario::WrongKeyTls13 ? kWrongKey : kKey;
            QObject::connect(ssl, &QSslSocket::preSharedKeyAuthenticationRequired, ssl,
                             [key, scenario](QSslPreSharedKeyAuthenticator *authenticator) {
                                 if (isDeferred(scenario)) {
                                     const QSslPreSharedKeyRequest request = authenticator->deferAnswer();
                                     QTimer::singleShot(kDeferredAnswerMs, [request, key] {
                                         request.answer(kIdentity, key);
                                     });
                                     return;
                                 }
                                 authenticator->setIdentity(kIdentity);
                                 if (scenario != Scenario::NoKeyTls12)
                                     authenticator->setPreSharedKey(key);
                             });
            QObject::connect(ssl, &QSslSocket::handshakeInterruptedOnError, ssl,
                             [ssl](const QSslError &) { ssl->continueInterruptedHandshake(); });
            if (!blocking) {
                QObject::connect(ssl, &QSslSocket::encrypted, ssl, [ssl, scenario] {
                    if (scenario == Scenario::ClientResets) {
                        resetOnClose(ssl);
                        ssl->abort();
                        return;
                    }
                    ssl->write(kPing);
                });
            }
        }
        if (!blocking) {
            QObject::connect(socket, &QAbstractSocket::connected, socket, [socket, scenario] {
                if (isPlain(scenario))
                    socket->write(kPing);
                else if (scenario == Scenario::Garbage)
                    socket->write(kGarbage);
            });
            QObject::connect(socket, &QIODevice::readyRead, socket, [socket, buffer, scenario] {
                buffer->append(socket->readAll());
                if (buffer->size() >= kPing.size() && !clientStaysPlain(scenario))
                    socket->disconnectFromHost();
            });
        }
        QPointer<QAbstractSocket> guard(socket);
        if (isPlain(scenario) || clientStaysPlain(scenario) || isAcceptFailure(scenario))
            socket->connectToHost(QStringLiteral("127.0.0.1"), port);
        else
            static_cast<QSslSocket *>(socket)->connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
        *received = buffer;
        return guard.data();
    }

    // The waitFor...() style: the client runs without the event loop, the emissions happen inside
    // the blocking calls. Each call must return sensibly (never touch the socket once deleted).
    void driveBlocking()
    {
        QPointer<QAbstractSocket> client = m_client;
        auto *ssl = qobject_cast<QSslSocket *>(client.data());
        const bool tls = ssl && !clientStaysPlain(m_scenario) && !isPlain(m_scenario);
        bool ready = false;
        if (tls) {
            ready = ssl->waitForEncrypted(kTimeoutMs);
            if (ready) {
                EXPECT_FALSE(client.isNull()) << "waitForEncrypted() true for a deleted socket";
            }
            if (ready && client && m_scenario == Scenario::ClientResets) {
                resetOnClose(client);
                client->abort();
                ready = false;
            }
        } else if (client) {
            ready = client->waitForConnected(kTimeoutMs);
            if (ready && client && m_scenario == Scenario::Garbage)
                client->write(kGarbage);
            if (clientStaysPlain(m_scenario))
                ready = false; // nothing to exchange; the server ends the connection
        }
        if (ready && client && client->state() == QAbstractSocket::ConnectedState) {
            client->write(kPing);
            if (client)
                client->waitForBytesWritten(kTimeoutMs);
            QByteArray received;
            while (client && client->state() == QAbstractSocket::ConnectedState
                   && received.size() < kPing.size()) {
                const bool got = client->waitForReadyRead(kTimeoutMs);
                if (!client)
                    break;
                received.append(client->readAll());
                m_clientBuffer->append(received);
                if (!got)
                    break;
            }
            if (client && client->state() != QAbstractSocket::UnconnectedState)
                client->disconnectFromHost();
        }
        if (client && client->state() != QAbstractSocket::UnconnectedState)
            client->waitForDisconnected(kTimeoutMs);
    }

    // Recorders (which signals fired) and the hook (the action) on one object.
    void instrument(Target target, QObject *object)
    {
        for (const QMetaMethod &signal : signalsOf(object->metaObject())) {
            auto *recorder = new SignalTap;
            recorder->setParent(m_taps.get());
            const QByteArray signature = signal.methodSignature();
            recorder->onFire = [this, target, signature](QObject *, QSslSocket *) {
                if (!m_checking)
                    emissions.of(target).insert(signature);
            };
            EXPECT_TRUE(recorder->attach(object, signal)) << signature.constData();
            if (m_hook.action == Action::None || m_hook.target != target
                || m_hook.signature != signature) {
                continue;
            }
            auto *hook = new SignalTap;
            hook->setParent(m_taps.get());
            hook->onFire = [this](QObject *sender, QSslSocket *socket) {
                if (actions > 0 || m_checking)
                    return; // the first emission only, and never on the checker's connection
                ++actions;
                perform(sender, socket);
            };
            EXPECT_TRUE(hook->attach(object, signal)) << signature.constData();
        }
    }

    void serverSocketSeen(QAbstractSocket *socket)
    {
        if (m_firstServerSocketSeen)
            return; // the checker's connection: not instrumented
        m_firstServerSocketSeen = true;
        instrument(Target::ServerSocket, socket);
    }

    void perform(QObject *sender, QSslSocket *socketArgument)
    {
        auto *socket = qobject_cast<QAbstractSocket *>(sender);
        auto *server = qobject_cast<QTcpServer *>(sender);
        switch (m_hook.action) {
        case Action::None:
            break;
        case Action::Abort:
            socket->abort();
            break;
        case Action::Close:
            socket->close();
            break;
        case Action::DisconnectFromHost:
            socket->disconnectFromHost();
            break;
        case Action::DeleteLater:
            sender->deleteLater();
            break;
        case Action::Delete:
            delete sender;
            break;
        case Action::CloseServer:
            server->close();
            break;
        case Action::DeleteServer:
            delete server;
            break;
        case Action::DeleteLaterServer:
            server->deleteLater();
            break;
        case Action::AbortSocket:
        case Action::DeleteSocket: {
            QAbstractSocket *target = socketArgument;
            if (!target)
                target = server->nextPendingConnection();
            if (!target)
                break;
            if (m_hook.action == Action::AbortSocket)
                target->abort();
            else
                delete target;
            break;
        }
        }
    }

    void exhaustDescriptors()
    {
        ASSERT_TRUE(m_client);
        // The client's side of the TCP handshake is done before descriptors run out.
        ASSERT_TRUE(waitUntil([&] {
            return !m_client || m_client->state() == QAbstractSocket::ConnectedState;
        }, kTimeoutMs));
        ASSERT_TRUE(m_client);
        DescriptorExhaustion exhaustion;
        ASSERT_TRUE(exhaustion.start(int(m_client->socketDescriptor())));
        m_server->server->resumeAccepting();
        const bool failed = waitUntil([&] {
            return emissions.server.contains("acceptError(QAbstractSocket::SocketError)")
                    || !m_server->server;
        }, kTimeoutMs);
        exhaustion.release();
        EXPECT_TRUE(failed) << "accept() never failed";
        // The TLS server waits for a handshake this plain client never starts: end it.
        if (m_scenario == Scenario::AcceptFailure && m_client)
            m_client->disconnectFromHost();
    }

    // Without an action, the scenario must end as designed.
    void checkBaselineOutcome()
    {
        switch (m_scenario) {
        case Scenario::GoodTls12:
        case Scenario::GoodTls13:
        case Scenario::DeferredTls12:
        case Scenario::DeferredTls13:
        case Scenario::Tls13AfterRefusal:
        case Scenario::InterruptOnError:
        case Scenario::PlainGood:
        case Scenario::PlainAcceptFailure:
            EXPECT_EQ(*m_clientBuffer, kPing) << "the echo did not come back";
            break;
        default:
            break;
        }
    }

    // The server still accepts a good connection (unless the action ended it).
    void checkServerStillAccepts()
    {
        m_checking = true;
        if (m_hook.target == Target::Server && endsServer(m_hook.action))
            return;
        if (m_server && (!m_server->server || !m_server->server->isListening())) {
            ADD_FAILURE() << "the server stopped listening";
            return;
        }
        // The server in a thread of its own keeps its short time-out: a cross-thread call to
        // change it goes through Qt's posted events, whose hand-over ThreadSanitizer cannot see.
        if (m_scenario == Scenario::HandshakeTimeout && m_server)
            m_server->restoreHandshakeTimeout();
        const Scenario checkerScenario = goodScenarioOfTheSameKind(m_scenario);
        std::shared_ptr<QByteArray> checkerBuffer;
        if (checkerScenario == Scenario::VerifyPeer || serverResets(m_scenario)) {
            // Its server refuses (or resets) every connection: it must still take new ones.
            const int before = m_server ? m_server->seen.load() : m_thread->seen();
            QPointer<QAbstractSocket> checker = createClient(checkerScenario, port(), nullptr,
                                                             &checkerBuffer);
            EXPECT_TRUE(waitUntil([&] {
                return (m_server ? m_server->seen.load() : m_thread->seen()) > before;
            }, kTimeoutMs)) << "no new connection accepted";
            delete checker.data();
            return;
        }
        QPointer<QAbstractSocket> checker = createClient(checkerScenario, port(), nullptr,
                                                         &checkerBuffer);
        EXPECT_TRUE(waitUntil([&] { return *checkerBuffer == kPing; }, kTimeoutMs))
                << "a good client after the cell got no echo";
        delete checker.data();
    }

    quint16 port() const
    {
        if (m_server)
            return m_server->server ? m_server->server->serverPort() : 0;
        return m_threadPort;
    }

    Scenario m_scenario;
    Style m_style;
    Hook m_hook;
    std::unique_ptr<QObject> m_taps;
    std::unique_ptr<ServerSide> m_server;
    std::unique_ptr<ServerThread> m_thread;
    quint16 m_threadPort = 0;
    QPointer<QAbstractSocket> m_client;
    std::shared_ptr<QByteArray> m_clientBuffer;
    bool m_firstServerSocketSeen = false;
    bool m_checking = false; // the checker's connection runs: no recording, no action
};

} // namespace

namespace {

struct MatrixParam
{
    Target target;
    Scenario scenario;
    Style style;
};

std::vector<MatrixParam> matrixParams()
{
    std::vector<MatrixParam> params;
    for (Scenario scenario : allScenarios()) {
        for (Target target : {Target::Client, Target::ServerSocket, Target::Server}) {
            if (isAcceptFailure(scenario) && target != Target::Server)
                continue; // the clients of these scenarios are those of the good ones
            // As in Qt, QSslServer emits startedEncryptionHandshake() (where the application
            // first sees the socket) only once the handshake has taken in the client's first
            // bytes: in these scenarios the socket has failed (or never started) by then, and its
            // emissions are seen only through QSslServer's signals (the Server target).
            if (target == Target::ServerSocket
                && (scenario == Scenario::WrongKeyTls13 || scenario == Scenario::HandshakeTimeout
                    || scenario == Scenario::Garbage
                    // the refused first connection's socket: the second is GoodTls13's
                    || scenario == Scenario::Tls13AfterRefusal)) {
                continue;
            }
            params.push_back({target, scenario, Style::Signals});
            // A deferred answer arrives through the event loop, which waitFor...() does not run.
            if (target == Target::Client && !isDeferred(scenario)) // the in-process server needs the event loop
                params.push_back({target, scenario, Style::WaitFor});
        }
    }
    return params;
}

std::string paramName(const MatrixParam &param)
{
    return std::string(targetName(param.target)) + "_" + scenarioName(param.scenario) + "_"
            + (param.style == Style::WaitFor ? "WaitFor" : "Signals");
}

class ReentrancyMatrix : public ::testing::TestWithParam<MatrixParam>
{
};

} // namespace

TEST_P(ReentrancyMatrix, EveryActionAtEveryEmissionIsSafe)
{
    const MatrixParam param = GetParam();
    CellRun baseline(param.scenario, param.style, Hook{param.target, QByteArray(), Action::None});
    baseline.execute();
    ASSERT_FALSE(HasFailure()) << "the scenario itself fails without any action";
    QList<QByteArray> fired = baseline.emissions.of(param.target).values();
    std::sort(fired.begin(), fired.end());
    ASSERT_FALSE(fired.isEmpty());

    int cells = 0;
    for (const QByteArray &signature : std::as_const(fired)) {
        for (Action action : actionsFor(param.target)) {
            CellRun run(param.scenario, param.style, Hook{param.target, signature, action});
            run.execute();
            ++cells;
            if (HasFatalFailure())
                return;
        }
    }
    std::printf("[   CELLS  ] %s: %d signals x %zu actions = %d cells\n",
                paramName(param).c_str(), int(fired.size()), actionsFor(param.target).size(), cells);
    RecordProperty("cells", cells);
}

INSTANTIATE_TEST_SUITE_P(AllEmissionPoints, ReentrancyMatrix, ::testing::ValuesIn(matrixParams()),
                         [](const ::testing::TestParamInfo<MatrixParam> &paramInfo) {
                             return paramName(paramInfo.param);
                         });

namespace {

// Signals QtPsk never emits, with the reason. Everything else must fire in some scenario.
const std::map<QByteArray, const char *> &neverEmitted()
{
    static const std::map<QByteArray, const char *> list = {
        // QtPsk surfaces no TLS 1.3 session tickets (no session resumption API).
        {"newSessionTicketReceived()", "no session tickets are surfaced"},
        // QtPsk connects directly only: no proxy ever asks for credentials.
        {"proxyAuthenticationRequired(QNetworkProxy,QAuthenticator*)", "no proxy engine"},
    };
    return list;
}

void expectCovered(const QMetaObject &metaObject, const QSet<QByteArray> &fired)
{
    for (const QMetaMethod &signal : signalsOf(&metaObject)) {
        const QByteArray signature = signal.methodSignature();
        const auto excluded = neverEmitted().find(signature);
        if (excluded != neverEmitted().end()) {
            EXPECT_FALSE(fired.contains(signature))
                    << metaObject.className() << "::" << signature.constData()
                    << " fires now: take it off the never-emitted list";
            continue;
        }
        EXPECT_TRUE(fired.contains(signature))
                << metaObject.className() << "::" << signature.constData()
                << " fires in no scenario of the matrix";
    }
}

} // namespace

TEST(ReentrancyCoverage, EverySignalFiresInSomeScenario)
{
    QSet<QByteArray> sslSocket, tcpSocket, sslServer, tcpServer;
    for (Scenario scenario : allScenarios()) {
        for (Style style : {Style::Signals, Style::WaitFor}) {
            if (style == Style::WaitFor && (isAcceptFailure(scenario) || isDeferred(scenario)))
                continue; // no WaitFor cells (see matrixParams())
            CellRun run(scenario, style, Hook{});
            run.execute();
            QSet<QByteArray> &sockets = isPlain(scenario) ? tcpSocket : sslSocket;
            sockets.unite(run.emissions.client);
            sockets.unite(run.emissions.serverSocket);
            (isPlain(scenario) ? tcpServer : sslServer).unite(run.emissions.server);
        }
    }
    expectCovered(QSslSocket::staticMetaObject, sslSocket);
    expectCovered(QTcpSocket::staticMetaObject, tcpSocket);
    expectCovered(QSslServer::staticMetaObject, sslServer);
    expectCovered(QTcpServer::staticMetaObject, tcpServer);
}
