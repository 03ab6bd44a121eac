// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// What a waitFor...() time-out does, call by call: the return value, error(), errorString(), the
// errorOccurred() emissions and their argument, the state afterwards, and whether the same socket
// still works afterwards. Built against real Qt6::Network (QTPSK_PARITY_AGAINST_QTNETWORK: the
// ground truth, measured on Qt 6.4.2 + OpenSSL 3.0) and against QtPsk.
//
// Subjects: a QTcpSocket client, a QSslSocket client and the server-mode QSslSocket of a
// QSslServer (TLS 1.2 PSK). The peer is in this process, so it is silent while the subject
// blocks in waitFor...(): no event loop runs for it. waitForConnected() times out against a
// listening socket whose accept queue is full (the kernel drops the SYNs, the connect hangs).
#include "paritysupport.h"

#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qobject.h>
#include <QtCore/qpointer.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cerrno>
#include <functional>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <initializer_list>
#include <vector>

#include "common/rawpeer.h"
#include "common/testsupport.h"

using namespace Parity;
using QtPskTest::waitUntil;

namespace {

constexpr int shortWaitMs = 300;
const QString socketTimedOut = QStringLiteral("Socket operation timed out");
const QString networkTimedOut = QStringLiteral("Network operation timed out");
const QByteArray late = QByteArrayLiteral("late");
const QByteArray back = QByteArrayLiteral("back");

// A loopback listener whose accept queue is full: a further connect() stays in SYN-SENT, as
// Linux drops a SYN for a listener with a full queue. listen(fd, 0) queues one connection;
// fillers connect until one of them hangs.
class FullListener
{
public:
    FullListener() = default;
    Q_DISABLE_COPY(FullListener)
    ~FullListener()
    {
        for (int fd : m_fillers)
            ::close(fd);
        if (m_listener >= 0)
            ::close(m_listener);
    }

    // True once a filler hangs (the queue is full); port() is then the listener's port.
    bool open()
    {
        m_listener = QtPskTest::listenLoopback(&m_port, 0);
        if (m_listener < 0)
            return false;
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(m_port);
        for (int i = 0; i < 8; ++i) {
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0)
                return false;
            m_fillers.push_back(fd);
            if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0)
                continue;
            if (errno != EINPROGRESS)
                return false;
            pollfd pending{fd, POLLOUT, 0};
            if (::poll(&pending, 1, 500) == 0)
                return true; // this one hangs: so does the next
        }
        return false;
    }

    quint16 port() const { return m_port; }

private:
    int m_listener = -1;
    quint16 m_port = 0;
    std::vector<int> m_fillers;
};

enum class Kind { TcpClient, SslClient, SslServerMode };

QSslConfiguration serverConfiguration()
{
    QSslConfiguration configuration =
            pskConfiguration(QStringLiteral("PSK-AES256-CBC-SHA"), QSslSocket::VerifyNone);
    configuration.setPreSharedKeyIdentityHint(hint());
    return configuration;
}

// Hands every accepted connection to onSocket as a server-mode QSslSocket in its handshake (the
// way servers did it before QSslServer). Not QSslServer: Qt 6.4's QSslServer shows a socket only
// once the client has sent its first bytes, and deletes it on any errorOccurred() before it is
// encrypted, so a server-mode waitForEncrypted() time-out cannot be observed through it.
class ServerModeServer : public QTcpServer
{
public:
    std::function<void(QSslSocket *)> onSocket;

protected:
    void incomingConnection(qintptr handle) override
    {
        auto *socket = new QSslSocket(this);
        socket->setSslConfiguration(serverConfiguration());
        QObject::connect(socket, &QSslSocket::preSharedKeyAuthenticationRequired, socket,
                         [](QSslPreSharedKeyAuthenticator *a) { a->setPreSharedKey(key()); });
        if (!socket->setSocketDescriptor(handle)) {
            delete socket;
            return;
        }
        onSocket(socket);
        socket->startServerEncryption();
    }
};
enum class Call { Connected, Encrypted, ReadyRead, BytesWritten, Disconnected };

struct Row
{
    Kind kind;
    Call call;
};

std::string rowName(const Row &row)
{
    static const char *const kinds[] = {"TcpClient", "SslClient", "SslServerMode"};
    static const char *const calls[] = {"Connected", "Encrypted", "ReadyRead", "BytesWritten",
                                        "Disconnected"};
    return std::string(kinds[int(row.kind)]) + "_waitFor" + calls[int(row.call)];
}

// What the subject showed from the waitFor...() call on.
struct Observed
{
    std::vector<QAbstractSocket::SocketError> errors;
    std::vector<QString> errorStrings; // errorString() read inside errorOccurred
    std::vector<QAbstractSocket::SocketState> states;
    int disconnected = 0;
    std::vector<QMetaObject::Connection> connections;

    Observed() = default;
    Q_DISABLE_COPY(Observed)
    ~Observed() // the socket outlives the test body
    {
        for (const QMetaObject::Connection &c : connections)
            QObject::disconnect(c);
    }

    void attach(QTcpSocket *socket)
    {
        connections.push_back(QObject::connect(socket, &QAbstractSocket::errorOccurred, socket,
                         [this, socket](QAbstractSocket::SocketError e) {
                             errors.push_back(e);
                             errorStrings.push_back(socket->errorString());
                         }));
        connections.push_back(QObject::connect(socket, &QAbstractSocket::stateChanged, socket,
                         [this](QAbstractSocket::SocketState s) { states.push_back(s); }));
        connections.push_back(QObject::connect(socket, &QAbstractSocket::disconnected, socket,
                                               [this] { ++disconnected; }));
    }

    std::string describe() const
    {
        QString text = QStringLiteral("errors=");
        for (std::size_t i = 0; i < errors.size(); ++i)
            text += QStringLiteral("%1('%2') ").arg(int(errors[i])).arg(errorStrings[i]);
        text += QStringLiteral("states=");
        for (auto state : states)
            text += QString::number(int(state)) + QLatin1Char(' ');
        text += QStringLiteral("disconnected=%1").arg(disconnected);
        return text.toStdString();
    }
};

class WaitForTimeout : public ::testing::TestWithParam<Row>
{
protected:
    void SetUp() override
    {
        const Kind kind = GetParam().kind;
        if (kind == Kind::TcpClient) {
            tcpServer = std::make_unique<QTcpServer>();
            ASSERT_TRUE(tcpServer->listen(QHostAddress(loopback()), 0));
            QObject::connect(tcpServer.get(), &QTcpServer::newConnection, tcpServer.get(), [this] {
                while (tcpServer->hasPendingConnections())
                    takeServerSide(tcpServer->nextPendingConnection());
            });
            client = std::make_unique<QTcpSocket>();
            return;
        }
        if (kind == Kind::SslServerMode) {
            auto server = std::make_unique<ServerModeServer>();
            server->onSocket = [this](QSslSocket *socket) { takeServerSide(socket); };
            tcpServer = std::move(server);
            ASSERT_TRUE(tcpServer->listen(QHostAddress(loopback()), 0));
        } else {
            sslServer = std::make_unique<QSslServer>();
            sslServer->setSslConfiguration(serverConfiguration());
            QObject::connect(sslServer.get(), &QSslServer::preSharedKeyAuthenticationRequired,
                             sslServer.get(), [](QSslSocket *, QSslPreSharedKeyAuthenticator *a) {
                                 a->setPreSharedKey(key());
                             });
            QObject::connect(sslServer.get(), &QSslServer::startedEncryptionHandshake,
                             sslServer.get(), [this](QSslSocket *socket) { takeServerSide(socket); });
            ASSERT_TRUE(sslServer->listen(QHostAddress(loopback()), 0));
        }
        auto sslClient = std::make_unique<QSslSocket>();
        sslClient->setSslConfiguration(
                pskConfiguration(QStringLiteral("PSK-AES256-CBC-SHA"), QSslSocket::VerifyNone));
        QObject::connect(sslClient.get(), &QSslSocket::preSharedKeyAuthenticationRequired,
                         sslClient.get(), [](QSslPreSharedKeyAuthenticator *a) {
                             a->setIdentity(identity());
                             a->setPreSharedKey(key());
                         });
        client = std::move(sslClient);
    }

    void takeServerSide(QTcpSocket *socket)
    {
        serverSide = socket;
        if (GetParam().kind == Kind::SslServerMode)
            return; // the subject: the test reads it
        QObject::connect(socket, &QIODevice::readyRead, socket,
                         [this, socket] { serverReceived += socket->readAll(); });
    }

    bool isSsl() const { return GetParam().kind != Kind::TcpClient; }
    quint16 serverPort() const
    {
        return tcpServer ? tcpServer->serverPort() : sslServer->serverPort();
    }
    QSslSocket *sslClient() const { return static_cast<QSslSocket *>(client.get()); }
    QSslSocket *sslServerSide() const { return static_cast<QSslSocket *>(serverSide.data()); }

    // Starts the client's connection to the server (encrypted for the SSL kinds).
    void connectClient(QTcpSocket *socket, quint16 port)
    {
        if (isSsl())
            static_cast<QSslSocket *>(socket)->connectToHostEncrypted(loopback(), port);
        else
            socket->connectToHost(loopback(), port);
    }

    // Runs the event loop until both ends are connected (and encrypted for the SSL kinds).
    bool waitForBothEnds()
    {
        return waitUntil(
                [this] {
                    if (!serverSide || client->state() != QAbstractSocket::ConnectedState
                        || serverSide->state() != QAbstractSocket::ConnectedState)
                        return false;
                    return !isSsl() || (sslClient()->isEncrypted() && sslServerSide()->isEncrypted());
                },
                timeoutMs);
    }

    QTcpSocket *subject() const
    {
        return GetParam().kind == Kind::SslServerMode ? serverSide.data() : client.get();
    }
    QTcpSocket *peer() const
    {
        return GetParam().kind == Kind::SslServerMode ? client.get() : serverSide.data();
    }
    QByteArray &peerReceived()
    {
        return GetParam().kind == Kind::SslServerMode ? clientReceived : serverReceived;
    }

    std::unique_ptr<QTcpServer> tcpServer;
    std::unique_ptr<QSslServer> sslServer;
    std::unique_ptr<QTcpSocket> client; // destroyed before the servers and their sockets
    QPointer<QTcpSocket> serverSide;
    QByteArray serverReceived;
    QByteArray clientReceived;
};

TEST_P(WaitForTimeout, TimesOutLikeQt)
{
    const Row row = GetParam();
    QObject::connect(client.get(), &QIODevice::readyRead, client.get(), [this] {
        if (GetParam().kind == Kind::SslServerMode)
            clientReceived += client->readAll();
    });

    // Bring the subject to the state the call needs. The peer stays silent from here on.
    FullListener full;
    switch (row.call) {
    case Call::Connected:
        ASSERT_NE(row.kind, Kind::SslServerMode);
        ASSERT_TRUE(full.open()) << "could not fill a listener's accept queue";
        connectClient(client.get(), full.port());
        break;
    case Call::Encrypted:
        ASSERT_TRUE(isSsl());
        if (row.kind == Kind::SslClient) {
            connectClient(client.get(), serverPort()); // the server never gets to answer
        } else {
            client->connectToHost(loopback(), serverPort()); // plain: the client never speaks
            ASSERT_TRUE(waitUntil(
                    [this] { return serverSide && client->state() == QAbstractSocket::ConnectedState; },
                    timeoutMs));
        }
        break;
    case Call::ReadyRead:
    case Call::BytesWritten:
    case Call::Disconnected:
        connectClient(client.get(), serverPort());
        ASSERT_TRUE(waitForBothEnds());
        break;
    }
    QTcpSocket *socket = subject();
    ASSERT_NE(socket, nullptr);
    QPointer<QTcpSocket> guard(socket);
    Observed seen;
    seen.attach(socket);
    const QAbstractSocket::SocketState stateBefore = socket->state();

    QElapsedTimer waited;
    waited.start();
    bool result = true;
    qint64 written = 0;
    switch (row.call) {
    case Call::Connected:
        result = socket->waitForConnected(shortWaitMs);
        break;
    case Call::Encrypted:
        result = static_cast<QSslSocket *>(socket)->waitForEncrypted(shortWaitMs);
        break;
    case Call::ReadyRead:
        result = socket->waitForReadyRead(shortWaitMs);
        break;
    case Call::Disconnected:
        result = socket->waitForDisconnected(shortWaitMs);
        break;
    case Call::BytesWritten: {
        // Fill the kernel buffers: the peer reads nothing while no event loop runs.
        constexpr qint64 chunk = 4 * 1024 * 1024;
        for (int i = 0; i < 20000 && result && written < 16 * chunk; ++i) {
            if (socket->bytesToWrite() < chunk) {
                ASSERT_EQ(socket->write(QByteArray(chunk, 'w')), chunk);
                written += chunk;
            }
            waited.restart();
            result = socket->waitForBytesWritten(shortWaitMs);
        }
        break;
    }
    }
    const qint64 elapsed = waited.elapsed();
    ASSERT_TRUE(guard);
    SCOPED_TRACE(seen.describe());

    // What Qt does (measured with the parity-qt build of this file).
    const bool connecting = row.call == Call::Connected;
    EXPECT_FALSE(result);
    EXPECT_GE(elapsed, shortWaitMs - 10);
    EXPECT_LT(elapsed, shortWaitMs + 3000);
    EXPECT_EQ(socket->error(), QAbstractSocket::SocketTimeoutError);
    if (connecting) {
        // No errorOccurred(); the attempt is given up: the socket is unconnected.
        EXPECT_EQ(socket->errorString(), socketTimedOut);
        EXPECT_TRUE(seen.errors.empty());
        EXPECT_EQ(socket->state(), QAbstractSocket::UnconnectedState);
        EXPECT_EQ(seen.states, std::vector<QAbstractSocket::SocketState>{
                                       QAbstractSocket::UnconnectedState});
    } else {
        // One errorOccurred(SocketTimeoutError); the connection stays as it was.
        EXPECT_EQ(socket->errorString(), networkTimedOut);
        EXPECT_EQ(seen.errors, std::vector<QAbstractSocket::SocketError>{
                                       QAbstractSocket::SocketTimeoutError});
        EXPECT_EQ(seen.errorStrings, std::vector<QString>{networkTimedOut});
        EXPECT_EQ(socket->state(), QAbstractSocket::ConnectedState);
        if (stateBefore == QAbstractSocket::ConnectingState) { // connected, then timed out
            EXPECT_EQ(seen.states, std::vector<QAbstractSocket::SocketState>{
                                           QAbstractSocket::ConnectedState});
        } else {
            EXPECT_TRUE(seen.states.empty());
        }
    }
    EXPECT_EQ(seen.disconnected, 0);
    if (row.call == Call::BytesWritten && row.kind == Kind::TcpClient) {
        // (Qt's QSslSocket::bytesToWrite() counts only the plaintext not yet encrypted: 0 here.)
        EXPECT_GT(socket->bytesToWrite(), 0);
    }

    // The same socket still works afterwards.
    switch (row.call) {
    case Call::Connected:
        connectClient(client.get(), serverPort());
        ASSERT_TRUE(waitForBothEnds()) << client->errorString().toStdString();
        break;
    case Call::Encrypted:
        if (row.kind == Kind::SslServerMode)
            sslClient()->startClientEncryption();
        ASSERT_TRUE(waitForBothEnds()) << socket->errorString().toStdString();
        break;
    case Call::BytesWritten:
        ASSERT_TRUE(waitUntil([&] { return peerReceived().size() == written; }, 4 * timeoutMs))
                << peerReceived().size() << " of " << written;
        EXPECT_EQ(socket->bytesToWrite(), 0);
        peerReceived().clear();
        break;
    case Call::ReadyRead:
    case Call::Disconnected:
        break;
    }
    ASSERT_NE(peer(), nullptr);
    peer()->write(late);
    ASSERT_TRUE(waitUntil([&] { return socket->bytesAvailable() >= late.size(); }, timeoutMs));
    EXPECT_EQ(socket->readAll(), late);
    socket->write(back);
    ASSERT_TRUE(waitUntil([&] { return peerReceived().size() >= back.size(); }, timeoutMs));
    EXPECT_EQ(peerReceived(), back);
    EXPECT_EQ(seen.disconnected, 0);
    EXPECT_EQ(seen.errors.size(), connecting ? 0u : 1u); // nothing more since
}

// The rows of one kind of socket, one per waitFor...() call, in this order.
std::vector<Row> rowsOf(Kind kind, std::initializer_list<Call> calls)
{
    std::vector<Row> rows;
    for (const Call call : calls)
        rows.push_back({kind, call});
    return rows;
}

std::vector<Row> allRows()
{
    std::vector<Row> rows = rowsOf(Kind::TcpClient, {Call::Connected, Call::ReadyRead, Call::BytesWritten,
                                                     Call::Disconnected});
    for (const Row &row : rowsOf(Kind::SslClient, {Call::Connected, Call::Encrypted, Call::ReadyRead,
                                                   Call::BytesWritten, Call::Disconnected}))
        rows.push_back(row);
    for (const Row &row : rowsOf(Kind::SslServerMode, {Call::Encrypted, Call::ReadyRead,
                                                       Call::BytesWritten, Call::Disconnected}))
        rows.push_back(row);
    return rows;
}

INSTANTIATE_TEST_SUITE_P(Calls, WaitForTimeout, ::testing::ValuesIn(allRows()),
                         [](const ::testing::TestParamInfo<Row> &row) { return rowName(row.param); });

} // namespace
