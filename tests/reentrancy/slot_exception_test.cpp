// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Issue 8: exceptions thrown from slots. A slot that runs inside an OpenSSL callback (the PSK
// request) must never unwind through OpenSSL's C frames: the engine stops the exception at the
// border, the handshake fails, the socket aborts the connection and, once OpenSSL has returned,
// rethrows the exception to the caller (waitFor...() or the event loop). Slots of signals emitted
// outside OpenSSL (readyRead, encrypted) throw straight to the caller; the socket stays usable.
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslServer>
#include <QSslSocket>

#include <gtest/gtest.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qpointer.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>

#include <openssl/crypto.h>

#include <atomic>
#include <stdexcept>
#include <string>

#include "common/pskconfiguration.h"
#include "common/testsupport.h"

namespace {

using QtPskTest::waitUntil;

constexpr int kTimeoutMs = 5000;
const QByteArray kIdentity("exception-client");
const QByteArray kKey = QByteArray::fromHex("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0");
const QByteArray kMessage("first message\n");
const QByteArray kSecond("second message\n");

// The exception the slots throw: a type of our own, so that nothing else can be mistaken for it.
struct SlotError : std::runtime_error
{
    explicit SlotError(const char *what) : std::runtime_error(what) { }
};

// For TLS 1.2 the cipher PSK-AES256-CBC-SHA.
QSslConfiguration pskConfiguration(QSsl::SslProtocol protocol)
{
    return QtPskTest::pskConfiguration(protocol, QStringLiteral("PSK-AES256-CBC-SHA"));
}

void giveKey(QSslPreSharedKeyAuthenticator *authenticator)
{
    authenticator->setIdentity(kIdentity);
    authenticator->setPreSharedKey(kKey);
}

// Qt's threads are detached: QThread::wait() returns before the thread's thread-local
// destructors ran, so OpenSSL's per-thread state could still be alive when the process exits
// (LeakSanitizer then reports it under load). Each thread of these tests frees it itself.
struct OpenSslThreadStop
{
    ~OpenSslThreadStop() { OPENSSL_thread_stop(); }
};

// A PSK server in its own thread (so that a blocking client can run in the main thread): it
// answers every message with kSecond after echoing it, and counts failed handshakes.
class EchoServerThread : public QThread
{
public:
    explicit EchoServerThread(QSsl::SslProtocol protocol) : m_protocol(protocol) { }
    ~EchoServerThread() override
    {
        quit();
        wait();
    }

    quint16 startServer()
    {
        start();
        waitUntil([this] { return m_port.load() != 0; }, kTimeoutMs);
        return m_port.load();
    }

    std::atomic<int> handshakeErrors{0};
    std::atomic<int> encrypted{0};

protected:
    void run() override
    {
        const OpenSslThreadStop threadStop; // destroyed last, after the server
        QSslServer server;
        server.setSslConfiguration(pskConfiguration(m_protocol));
        QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                         [](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                             authenticator->setPreSharedKey(kKey);
                         });
        QObject::connect(&server, &QSslServer::errorOccurred, &server,
                         [this](QSslSocket *, QAbstractSocket::SocketError) { ++handshakeErrors; });
        QObject::connect(&server, &QTcpServer::pendingConnectionAvailable, &server, [&] {
            while (QTcpSocket *socket = server.nextPendingConnection()) {
                ++encrypted;
                QObject::connect(socket, &QIODevice::readyRead, socket, [socket] {
                    const QByteArray data = socket->readAll();
                    socket->write(data);
                    if (data.contains(kMessage))
                        socket->write(kSecond);
                });
                QObject::connect(socket, &QAbstractSocket::disconnected, socket,
                                 &QObject::deleteLater);
            }
        });
        if (!server.listen(QHostAddress::LocalHost, 0))
            return;
        m_port = server.serverPort();
        exec();
    }

private:
    QSsl::SslProtocol m_protocol;
    std::atomic<quint16> m_port{0};
};

class SlotExceptionTest : public ::testing::TestWithParam<QSsl::SslProtocol>
{
protected:
    // Gives \a socket the row's PSK configuration and \a slot for its PSK requests.
    template <typename Slot>
    void setUpClient(QSslSocket &socket, Slot slot)
    {
        socket.setSslConfiguration(pskConfiguration(GetParam()));
        QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired, slot);
    }
};

std::string protocolName(QSsl::SslProtocol protocol)
{
    return protocol == QSsl::TlsV1_3 ? "Tls13" : "Tls12";
}

// Runs \a wait and expects the SlotError \a message to come out of it.
template <typename Wait>
void expectSlotError(Wait wait, const char *message)
{
    bool caught = false;
    try {
        wait();
    } catch (const SlotError &error) {
        caught = true;
        EXPECT_STREQ(error.what(), message);
    }
    EXPECT_TRUE(caught) << "the exception was lost";
}

// Error, message, state after the PSK slot threw: Unconnected, a handshake error that says what
// happened, and no key material in the message.
void expectAbortedByThrowingSlot(const QSslSocket &socket)
{
    EXPECT_EQ(socket.state(), QAbstractSocket::UnconnectedState);
    EXPECT_FALSE(socket.isEncrypted());
    EXPECT_EQ(socket.error(), QAbstractSocket::SslHandshakeFailedError);
    EXPECT_TRUE(socket.errorString().contains(QStringLiteral("threw an exception")))
            << socket.errorString().toStdString();
    EXPECT_FALSE(socket.errorString().toLatin1().contains(kKey.toHex()));
    EXPECT_FALSE(socket.errorString().toLatin1().contains(kIdentity));
}

} // namespace

// waitForEncrypted(): the exception from the PSK slot comes out of it, after OpenSSL returned.
TEST_P(SlotExceptionTest, ClientPskSlotThrowsOutOfWaitForEncrypted)
{
    EchoServerThread server(GetParam());
    const quint16 port = server.startServer();
    ASSERT_NE(port, 0);

    QSslSocket socket;
    int errors = 0;
    int disconnected = 0;
    QObject::connect(&socket, &QAbstractSocket::errorOccurred, [&] { ++errors; });
    QObject::connect(&socket, &QAbstractSocket::disconnected, [&] { ++disconnected; });
    bool throwing = true;
    setUpClient(socket, [&](QSslPreSharedKeyAuthenticator *authenticator) {
        giveKey(authenticator); // the key is set, then the slot throws
        if (throwing)
            throw SlotError("client psk slot failed");
    });
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    expectSlotError([&] { socket.waitForEncrypted(kTimeoutMs); }, "client psk slot failed");
    expectAbortedByThrowingSlot(socket);
    EXPECT_EQ(errors, 1);
    EXPECT_LE(disconnected, 1);
    // The server saw a failed handshake, not a success. (In TLS 1.3 the slot runs while the
    // ClientHello is built: the client's first bytes are its alert, and QSslServer closes such a
    // connection without a signal, as Qt's does; the count then stays 0.)
    if (GetParam() != QSsl::TlsV1_3) {
        EXPECT_TRUE(waitUntil([&] { return server.handshakeErrors.load() >= 1; }, kTimeoutMs));
    }
    EXPECT_EQ(server.encrypted.load(), 0);

    // The socket is consistent: it connects again, and works.
    throwing = false;
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    ASSERT_TRUE(socket.waitForEncrypted(kTimeoutMs)) << socket.errorString().toStdString();
    socket.write(kMessage);
    QByteArray received;
    while (received.size() < kMessage.size() + kSecond.size() && socket.waitForReadyRead(kTimeoutMs))
        received += socket.readAll();
    EXPECT_EQ(received, kMessage + kSecond);
}

// The same from the event loop: the exception leaves QCoreApplication::processEvents().
TEST_P(SlotExceptionTest, ClientPskSlotThrowsOutOfTheEventLoop)
{
    EchoServerThread server(GetParam());
    const quint16 port = server.startServer();
    ASSERT_NE(port, 0);

    QSslSocket socket;
    setUpClient(socket, [](QSslPreSharedKeyAuthenticator *authenticator) {
        giveKey(authenticator);
        throw SlotError("client psk slot failed in the event loop");
    });
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    expectSlotError([&] {
        waitUntil([&] { return socket.state() == QAbstractSocket::UnconnectedState; }, kTimeoutMs);
    }, "client psk slot failed in the event loop");
    expectAbortedByThrowingSlot(socket);

    // The event loop still delivers socket events afterwards: a good connection works.
    QSslSocket good;
    setUpClient(good, &giveKey);
    QByteArray received;
    QObject::connect(&good, &QSslSocket::encrypted, [&] { good.write(kMessage); });
    QObject::connect(&good, &QIODevice::readyRead, [&] { received += good.readAll(); });
    good.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    EXPECT_TRUE(waitUntil([&] { return received == kMessage + kSecond; }, kTimeoutMs))
            << "after the exception, the event loop no longer serves sockets";
}

// The same through QEventLoop::exec(): Qt prints its warning and rethrows.
TEST_P(SlotExceptionTest, ClientPskSlotThrowsOutOfEventLoopExec)
{
    EchoServerThread server(GetParam());
    const quint16 port = server.startServer();
    ASSERT_NE(port, 0);

    QSslSocket socket;
    setUpClient(socket, [](QSslPreSharedKeyAuthenticator *) { throw SlotError("thrown into exec()"); });
    QEventLoop loop;
    QTimer::singleShot(kTimeoutMs, &loop, &QEventLoop::quit); // bound: the test fails, not hangs
    QObject::connect(&socket, &QAbstractSocket::disconnected, &loop, &QEventLoop::quit);
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    expectSlotError([&] { loop.exec(); }, "thrown into exec()");
    expectAbortedByThrowingSlot(socket);
}

// The server's PSK slot (QSslServer's forwarded signal) throws: the exception reaches the event
// loop of the server's thread; the connection is aborted; the server keeps serving.
TEST_P(SlotExceptionTest, ServerPskSlotThrowsOutOfTheEventLoop)
{
    QSslServer server;
    server.setSslConfiguration(pskConfiguration(GetParam()));
    bool throwing = true;
    QPointer<QSslSocket> failed;
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [&](QSslSocket *socket, QSslPreSharedKeyAuthenticator *authenticator) {
                         authenticator->setPreSharedKey(kKey);
                         if (throwing) {
                             failed = socket;
                             throw SlotError("server psk slot failed");
                         }
                     });
    int serverErrors = 0;
    QObject::connect(&server, &QSslServer::errorOccurred, &server,
                     [&](QSslSocket *, QAbstractSocket::SocketError error) {
                         ++serverErrors;
                         EXPECT_EQ(error, QAbstractSocket::SslHandshakeFailedError);
                     });
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));

    // The client blocks in its own thread.
    std::atomic<int> clientResult{-1};
    QThread *client = QThread::create([&] {
        const OpenSslThreadStop threadStop;
        QSslSocket socket;
        setUpClient(socket, &giveKey);
        socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.serverPort());
        clientResult = socket.waitForEncrypted(kTimeoutMs) ? 1 : 0;
    });
    client->start();
    expectSlotError([&] { waitUntil([&] { return client->isFinished(); }, kTimeoutMs); },
                    "server psk slot failed");
    EXPECT_TRUE(client->wait(kTimeoutMs));
    delete client;
    EXPECT_EQ(clientResult.load(), 0) << "the client must see the handshake fail";
    EXPECT_EQ(serverErrors, 1);
    // QSslServer dropped the aborted socket (deleteLater), as after any failed handshake.
    EXPECT_TRUE(waitUntil([&] { return failed.isNull(); }, kTimeoutMs));

    // The server (and the event loop) still serve a good client.
    throwing = false;
    QSslSocket good;
    setUpClient(good, &giveKey);
    good.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.serverPort());
    EXPECT_TRUE(waitUntil([&] { return good.isEncrypted() && server.hasPendingConnections(); },
                          kTimeoutMs));
}

INSTANTIATE_TEST_SUITE_P(Protocols, SlotExceptionTest,
                         ::testing::Values(QSsl::TlsV1_2, QSsl::TlsV1_3),
                         [](const ::testing::TestParamInfo<QSsl::SslProtocol> &paramInfo) {
                             return protocolName(paramInfo.param);
                         });

// readyRead() is emitted outside OpenSSL: its exception comes straight out of waitForReadyRead().
// The socket stays connected, keeps the data, and emits readyRead() again for the next bytes.
TEST(SlotException, ReadyReadSlotThrowsAndTheSocketStaysUsable)
{
    EchoServerThread server(QSsl::TlsV1_2);
    const quint16 port = server.startServer();
    ASSERT_NE(port, 0);
    QSslSocket socket;
    socket.setSslConfiguration(pskConfiguration(QSsl::TlsV1_2));
    QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired, &giveKey);
    int readyReads = 0;
    QObject::connect(&socket, &QIODevice::readyRead, [&] {
        if (++readyReads == 1)
            throw SlotError("readyRead slot failed");
    });
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    ASSERT_TRUE(socket.waitForEncrypted(kTimeoutMs));
    socket.write(kMessage);
    bool caught = false;
    try {
        while (readyReads == 0 && socket.waitForReadyRead(kTimeoutMs)) { }
    } catch (const SlotError &) {
        caught = true;
    }
    EXPECT_TRUE(caught);
    EXPECT_EQ(socket.state(), QAbstractSocket::ConnectedState);
    EXPECT_TRUE(socket.isEncrypted());
    QByteArray received = socket.readAll();
    // readyRead() must not stay suppressed after the throw.
    while (received.size() < kMessage.size() + kSecond.size()
           && socket.waitForReadyRead(kTimeoutMs)) {
        received += socket.readAll();
    }
    EXPECT_EQ(received, kMessage + kSecond);
    socket.write(kMessage);
    const int before = readyReads;
    EXPECT_TRUE(socket.waitForReadyRead(kTimeoutMs));
    EXPECT_GT(readyReads, before) << "readyRead() is no longer emitted after a slot threw";
}

// encrypted() is emitted outside OpenSSL: its exception comes out of waitForEncrypted(). What was
// written before the handshake still goes out, first, and the connection stays usable.
TEST(SlotException, EncryptedSlotThrowsAndEarlyDataStillGoesFirst)
{
    EchoServerThread server(QSsl::TlsV1_3);
    const quint16 port = server.startServer();
    ASSERT_NE(port, 0);
    QSslSocket socket;
    socket.setSslConfiguration(pskConfiguration(QSsl::TlsV1_3));
    QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired, &giveKey);
    QObject::connect(&socket, &QSslSocket::encrypted,
                     [] { throw SlotError("encrypted slot failed"); });
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    socket.write(kMessage); // queued until the handshake is done
    bool caught = false;
    try {
        socket.waitForEncrypted(kTimeoutMs);
    } catch (const SlotError &) {
        caught = true;
    }
    EXPECT_TRUE(caught);
    EXPECT_TRUE(socket.isEncrypted());
    EXPECT_EQ(socket.state(), QAbstractSocket::ConnectedState);
    QByteArray received;
    while (received.size() < kMessage.size() + kSecond.size() && socket.waitForReadyRead(kTimeoutMs))
        received += socket.readAll();
    EXPECT_EQ(received, kMessage + kSecond);
}

// Data written from the encrypted() slot follows what was written before the handshake.
TEST(SlotException, WriteFromEncryptedSlotFollowsEarlyData)
{
    EchoServerThread server(QSsl::TlsV1_2);
    const quint16 port = server.startServer();
    ASSERT_NE(port, 0);
    QSslSocket socket;
    socket.setSslConfiguration(pskConfiguration(QSsl::TlsV1_2));
    QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired, &giveKey);
    QObject::connect(&socket, &QSslSocket::encrypted, [&] { socket.write("late\n"); });
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    socket.write(kMessage);
    ASSERT_TRUE(socket.waitForEncrypted(kTimeoutMs));
    // The server echoes what it reads (and adds kSecond after kMessage): drop kSecond to see
    // the order in which our bytes arrived.
    const QByteArray expected = kMessage + "late\n";
    QByteArray received;
    QByteArray echoed;
    while (echoed.size() < expected.size() && socket.waitForReadyRead(kTimeoutMs)) {
        received += socket.readAll();
        echoed = QByteArray(received).replace(kSecond, "");
    }
    EXPECT_EQ(echoed, expected);
}
