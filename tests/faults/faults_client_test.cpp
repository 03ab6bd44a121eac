// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// A QtPsk QSslSocket client against hostile servers: resets in the handshake and in the middle of
// a record, garbage, truncated and oversized records, a flight written byte by byte, a 64 KiB
// identity hint, a server that stalls, a closed port. Each case asserts the exact error and
// signal sequence the client surfaces, and that the process then still completes a good PSK
// handshake ("keeps serving").
#include <QSslSocket>

#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>

#include <gtest/gtest.h>

#include <QtCore/qelapsedtimer.h>

#include <sys/socket.h>
#include <unistd.h>

#include <future>

#include "faultsupport.h"

using namespace FaultsTest;

namespace {

const QString RemoteHostClosed = QStringLiteral("The remote host closed the connection");
// A waitFor...() time-out other than waitForConnected()'s (Qt's socket-engine text).
const QString TimedOut = QStringLiteral("Network operation timed out");

class ClientFaults : public ::testing::Test
{
protected:
    void SetUp() override { ASSERT_TRUE(echo.listening); }

    // Connects the client to the hostile server and waits until the socket is unconnected.
    // A prompt end: well before the peers' 10 s waits run out, generous for a loaded machine.
    static constexpr qint64 kPromptMs = 8000;

    void connectAndWaitForEnd(quint16 port)
    {
        client->connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
        timer.start();
        ASSERT_TRUE(QtPskTest::waitUntil(
                [&] { return client->state() == QAbstractSocket::UnconnectedState; }, 10000))
                << log.text();
        elapsed = timer.elapsed();
    }

    // The peer ended the connection after the handshake without an alert: one
    // RemoteHostClosedError after the handshake's signals, then disconnected().
    void expectRemoteHostClosedAfterEncrypted()
    {
        EXPECT_EQ(log.events, QStringList({"connected", "psk", "encrypted",
                                           errorEvent(QAbstractSocket::RemoteHostClosedError),
                                           QStringLiteral("alertSent:0"), "disconnected"}))
                << log.text();
        EXPECT_EQ(client->errorString(), RemoteHostClosed);
    }

    EchoServer echo; // the good server the process must still be able to use afterwards
    std::unique_ptr<QSslSocket> client = goodClient();
    SignalLog log{client.get()};
    QElapsedTimer timer;
    qint64 elapsed = 0;
};

} // namespace

TEST_F(ClientFaults, ResetMidHandshakeIsRemoteHostClosed)
{
    QByteArray clientHello;
    HostileServer peer([&](int fd) {
        clientHello = readSome(fd, 10000);
        armReset(fd); // RST instead of a ServerHello
    });
    connectAndWaitForEnd(peer.port());
    peer.join();
    EXPECT_FALSE(clientHello.isEmpty());
    EXPECT_EQ(log.events, QStringList({"connected", errorEvent(QAbstractSocket::RemoteHostClosedError),
                                       "disconnected"}))
            << log.text();
    EXPECT_EQ(client->error(), QAbstractSocket::RemoteHostClosedError);
    EXPECT_EQ(client->errorString(), RemoteHostClosed);
    EXPECT_LT(elapsed, kPromptMs);
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

TEST_F(ClientFaults, ResetMidApplicationRecordIsRemoteHostClosedWithoutData)
{
    QObject::connect(client.get(), &QSslSocket::encrypted, client.get(), [&] { client->write("ready"); });
    int readyReads = 0;
    QObject::connect(client.get(), &QIODevice::readyRead, client.get(), [&] { ++readyReads; });
    bool handshook = false;
    QByteArray ready;
    HostileServer peer([&](int fd) {
        TlsPeer tls(/*server=*/true);
        handshook = tls.handshake(fd, 10000);
        ready = tls.readPlaintext(fd, 5, 10000); // the client is encrypted and reading
        const QByteArray record = tls.encrypt(QByteArray(4000, 'x'));
        writeAll(fd, record.left(record.size() / 2)); // half an application-data record ...
        armReset(fd); // ... then RST
    });
    connectAndWaitForEnd(peer.port());
    peer.join();
    EXPECT_TRUE(handshook);
    EXPECT_EQ(ready, "ready");
    expectRemoteHostClosedAfterEncrypted();
    EXPECT_EQ(readyReads, 0); // half a record decrypts to nothing
    EXPECT_EQ(client->bytesAvailable(), 0);
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

TEST_F(ClientFaults, TruncatedApplicationRecordThenFinIsRemoteHostClosed)
{
    QObject::connect(client.get(), &QSslSocket::encrypted, client.get(), [&] { client->write("ready"); });
    QByteArray ready;
    HostileServer peer([&](int fd) {
        TlsPeer tls(/*server=*/true);
        tls.handshake(fd, 10000);
        ready = tls.readPlaintext(fd, 5, 10000);
        const QByteArray record = tls.encrypt(QByteArray(4000, 'x'));
        writeAll(fd, record.left(100)); // then FIN
    });
    connectAndWaitForEnd(peer.port());
    peer.join();
    EXPECT_EQ(ready, "ready");
    expectRemoteHostClosedAfterEncrypted();
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

TEST_F(ClientFaults, GarbageInsteadOfServerHelloFailsTheHandshake)
{
    bool ended = false;
    HostileServer peer([&](int fd) {
        readSome(fd, 10000); // the ClientHello
        writeAll(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        ended = waitForEnd(fd, 10000);
    });
    connectAndWaitForEnd(peer.port());
    peer.join();
    EXPECT_TRUE(ended);
    EXPECT_EQ(log.events, QStringList({"connected", errorEvent(QAbstractSocket::SslHandshakeFailedError),
                                       "disconnected"}))
            << log.text();
    EXPECT_EQ(client->errorString(),
              "Error during SSL handshake: error:0A00010B:SSL routines::wrong version number");
    EXPECT_LT(elapsed, kPromptMs);
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

TEST_F(ClientFaults, TruncatedHandshakeRecordThenFinIsRemoteHostClosed)
{
    HostileServer peer([&](int fd) {
        readSome(fd, 10000);
        // A handshake record announcing 100 bytes, of which 10 arrive, then FIN.
        writeAll(fd, QByteArray::fromHex("1603030064") + QByteArray(10, '\x02'));
        ::shutdown(fd, SHUT_WR);
        waitForEnd(fd, 10000);
    });
    connectAndWaitForEnd(peer.port());
    peer.join();
    EXPECT_EQ(log.events, QStringList({"connected", errorEvent(QAbstractSocket::RemoteHostClosedError),
                                       "disconnected"}))
            << log.text();
    EXPECT_EQ(client->errorString(), RemoteHostClosed);
    EXPECT_LT(elapsed, kPromptMs);
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

TEST_F(ClientFaults, OversizedRecordIsRecordOverflow)
{
    QByteArray alert;
    HostileServer peer([&](int fd) {
        readSome(fd, 10000);
        // Length 0xFFFF: more than the 16384 + 2048 bytes a TLS record may carry.
        writeAll(fd, QByteArray::fromHex("160303ffff") + QByteArray(512, '\0'));
        alert = readRecord(fd, 10000);
        waitForEnd(fd, 10000);
    });
    connectAndWaitForEnd(peer.port());
    peer.join();
    EXPECT_EQ(log.events,
              QStringList({"connected", QStringLiteral("alertSent:%1").arg(int(QSsl::AlertType::RecordOverflow)),
                           errorEvent(QAbstractSocket::SslHandshakeFailedError), "disconnected"}))
            << log.text();
    EXPECT_EQ(client->errorString(),
              "Error during SSL handshake: error:0A0000C6:SSL routines::packet length too long");
    // The fatal record_overflow alert (22) went out before the connection closed.
    ASSERT_EQ(alert.size(), 7);
    EXPECT_EQ(alert.at(0), '\x15');
    EXPECT_EQ(alert.mid(5), QByteArray::fromHex("0216"));
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

TEST_F(ClientFaults, HandshakeWrittenByteByByteSucceeds)
{
    QString cipherAtEncrypted;
    QObject::connect(client.get(), &QSslSocket::encrypted, client.get(),
                     [&] { cipherAtEncrypted = client->sessionCipher().name(); });
    QByteArray received;
    QObject::connect(client.get(), &QIODevice::readyRead, client.get(), [&] {
        received += client->readAll();
        if (received == "hello")
            client->write("world");
    });
    bool handshook = false;
    QByteArray reply;
    HostileServer peer([&](int fd) {
        TlsPeer tls(/*server=*/true);
        handshook = tls.handshake(fd, 10000, /*chunk=*/1); // one write() per byte
        writeAll(fd, tls.encrypt("hello"), 1);
        reply = tls.readPlaintext(fd, 5, 10000);
    });
    client->connectToHostEncrypted(QStringLiteral("127.0.0.1"), peer.port());
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return peer.isFinished(); }, 10000)) << log.text();
    peer.join();
    EXPECT_TRUE(handshook);
    EXPECT_EQ(received, "hello");
    EXPECT_EQ(reply, "world");
    EXPECT_EQ(log.events.mid(0, 3), QStringList({"connected", "psk", "encrypted"})) << log.text();
    EXPECT_EQ(cipherAtEncrypted, "PSK-AES128-GCM-SHA256"); // as Qt, cleared once disconnected
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

// OpenSSL's client refuses a ServerKeyExchange whose PSK identity hint is longer than
// PSK_MAX_IDENTITY_LEN (256 bytes on OpenSSL 3): a fatal handshake_failure alert and
// "data length too long", before the PSK callback runs. QtPsk surfaces that as a handshake
// failure; it never truncates the hint or shows it to the slot. 256 bytes are still accepted.
class ClientHintLength : public ClientFaults, public ::testing::WithParamInterface<int>
{
};

TEST_P(ClientHintLength, LongHintIsRefusedCleanly)
{
    const int hintLength = GetParam();
    QByteArray seenHint;
    QObject::connect(client.get(), &QSslSocket::preSharedKeyAuthenticationRequired, client.get(),
                     [&](QSslPreSharedKeyAuthenticator *authenticator) {
                         seenHint = authenticator->identityHint();
                     });
    QByteArray answer;
    HostileServer peer([&](int fd) {
        readSome(fd, 10000);
        writeAll(fd, tls12PskServerFlight(0x00a8 /* PSK-AES128-GCM-SHA256 */, QByteArray(hintLength, 'h')));
        answer = readRecord(fd, 10000); // an alert, or the ClientKeyExchange
        // Then FIN: this server cannot finish a handshake.
    });
    connectAndWaitForEnd(peer.port());
    peer.join();
    ASSERT_GE(answer.size(), 7);
    if (hintLength <= 256) {
        EXPECT_EQ(seenHint, QByteArray(hintLength, 'h'));
        EXPECT_EQ(answer.at(0), '\x16'); // the ClientKeyExchange: the hint was accepted
        EXPECT_EQ(log.events, QStringList({"connected", "psk",
                                           errorEvent(QAbstractSocket::RemoteHostClosedError),
                                           "disconnected"}))
                << log.text();
    } else {
        EXPECT_TRUE(seenHint.isNull());
        EXPECT_EQ(answer.at(0), '\x15');
        EXPECT_EQ(answer.mid(5), QByteArray::fromHex("0228")); // fatal handshake_failure (40)
        EXPECT_EQ(log.events,
                  QStringList({"connected",
                               QStringLiteral("alertSent:%1").arg(int(QSsl::AlertType::HandshakeFailure)),
                               errorEvent(QAbstractSocket::SslHandshakeFailedError), "disconnected"}))
                << log.text();
        EXPECT_EQ(client->errorString(),
                  "Error during SSL handshake: error:0A000092:SSL routines::data length too long");
    }
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

INSTANTIATE_TEST_SUITE_P(Lengths, ClientHintLength, ::testing::Values(256, 257, 65535),
                         [](const ::testing::TestParamInfo<int> &row) {
                             return "Hint" + std::to_string(row.param);
                         });

// waitForEncrypted() against a server that accepts and does not answer: false after the
// time-out, SocketTimeoutError reported with errorOccurred(), and the socket stays connected in
// its handshake (as in Qt, a waitFor...() time-out does not close the socket). Once the server answers after all, the
// same socket completes the handshake.
TEST_F(ClientFaults, StalledHandshakeTimesOutWaitForEncryptedAndCanStillComplete)
{
    std::promise<void> release;
    std::future<void> released = release.get_future();
    bool handshook = false;
    HostileServer peer([&](int fd) {
        released.wait_for(std::chrono::seconds(10)); // the ClientHello waits in the kernel
        TlsPeer tls(/*server=*/true);
        handshook = tls.handshake(fd, 10000);
        waitForEnd(fd, 10000);
    });
    client->connectToHostEncrypted(QStringLiteral("127.0.0.1"), peer.port());
    QElapsedTimer waited;
    waited.start();
    EXPECT_FALSE(client->waitForEncrypted(300));
    const qint64 first = waited.elapsed();
    EXPECT_GE(first, 290);
    EXPECT_LT(first, 3000);
    EXPECT_EQ(client->error(), QAbstractSocket::SocketTimeoutError);
    EXPECT_EQ(client->errorString(), TimedOut);
    EXPECT_EQ(client->state(), QAbstractSocket::ConnectedState);
    EXPECT_EQ(client->mode(), QSslSocket::SslClientMode);
    EXPECT_FALSE(client->isEncrypted());
    // As in Qt 6 (tests/parity/waitfor_timeout_test.cpp): every time-out of waitForEncrypted(),
    // waitForReadyRead(), waitForBytesWritten() and waitForDisconnected() emits
    // errorOccurred(SocketTimeoutError); waitForConnected()'s does not.
    const QString timeout = errorEvent(QAbstractSocket::SocketTimeoutError);
    EXPECT_EQ(log.events, QStringList({"connected", timeout})) << log.text();
    EXPECT_EQ(log.errorStrings, QStringList({TimedOut}));
    EXPECT_FALSE(client->waitForEncrypted(100)); // still in the handshake, still waiting
    EXPECT_EQ(client->state(), QAbstractSocket::ConnectedState);
    EXPECT_EQ(log.events, QStringList({"connected", timeout, timeout})) << log.text();

    release.set_value();
    EXPECT_TRUE(client->waitForEncrypted(10000)) << client->errorString().toStdString();
    EXPECT_EQ(log.events, QStringList({"connected", timeout, timeout, "psk", "encrypted"}))
            << log.text();
    client->disconnectFromHost();
    peer.join();
    EXPECT_TRUE(handshook);
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

// abort() on a client stalled in its handshake: unconnected at once, one disconnected().
TEST_F(ClientFaults, AbortEndsAStalledHandshake)
{
    std::promise<void> release;
    std::future<void> released = release.get_future();
    HostileServer peer([&](int fd) {
        readSome(fd, 10000);
        released.wait_for(std::chrono::seconds(10));
    });
    client->connectToHostEncrypted(QStringLiteral("127.0.0.1"), peer.port());
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return log.count("connected") == 1; }, 10000));
    client->abort();
    EXPECT_EQ(client->state(), QAbstractSocket::UnconnectedState);
    EXPECT_EQ(log.events, QStringList({"connected", "disconnected"})) << log.text();
    release.set_value();
    peer.join();
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

TEST_F(ClientFaults, StalledPeerTimesOutWaitForReadyReadAndTheSocketStaysUsable)
{
    std::promise<void> release;
    std::future<void> released = release.get_future();
    QByteArray go;
    HostileServer peer([&](int fd) {
        TlsPeer tls(/*server=*/true);
        if (!tls.handshake(fd, 10000))
            return;
        go = tls.readPlaintext(fd, 2, 10000); // silent until the client speaks
        writeAll(fd, tls.encrypt("late data"));
        released.wait_for(std::chrono::seconds(10));
    });
    client->connectToHostEncrypted(QStringLiteral("127.0.0.1"), peer.port());
    ASSERT_TRUE(client->waitForEncrypted(10000)) << client->errorString().toStdString();

    QElapsedTimer waited;
    waited.start();
    EXPECT_FALSE(client->waitForReadyRead(300));
    EXPECT_GE(waited.elapsed(), 290);
    EXPECT_EQ(client->error(), QAbstractSocket::SocketTimeoutError);
    EXPECT_EQ(client->errorString(), TimedOut);
    EXPECT_EQ(client->state(), QAbstractSocket::ConnectedState);
    EXPECT_TRUE(client->isEncrypted());

    client->write("go");
    ASSERT_TRUE(client->waitForReadyRead(10000)) << client->errorString().toStdString();
    EXPECT_EQ(client->readAll(), "late data");
    EXPECT_EQ(go, "go");
    EXPECT_EQ(log.events, QStringList({"connected", "psk", "encrypted",
                                       errorEvent(QAbstractSocket::SocketTimeoutError)}))
            << log.text();
    EXPECT_EQ(log.errorStrings, QStringList({TimedOut}));
    release.set_value();
    peer.join();
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

TEST_F(ClientFaults, PeerThatStopsReadingTimesOutWaitForBytesWritten)
{
    constexpr qsizetype Total = 16 * 1024 * 1024;
    std::promise<void> release;
    std::future<void> released = release.get_future();
    qsizetype decrypted = 0;
    HostileServer peer([&](int fd) {
        TlsPeer tls(/*server=*/true);
        if (!tls.handshake(fd, 10000))
            return;
        released.wait_for(std::chrono::seconds(20)); // reads nothing until released
        decrypted = tls.readPlaintext(fd, Total, 20000).size();
    });
    client->connectToHostEncrypted(QStringLiteral("127.0.0.1"), peer.port());
    ASSERT_TRUE(client->waitForEncrypted(10000)) << client->errorString().toStdString();
    ASSERT_EQ(client->write(QByteArray(Total, 'd')), Total);

    // The kernel buffers fill up; then a wait times out with data still queued.
    bool timedOut = false;
    for (int i = 0; i < 200 && !timedOut; ++i)
        timedOut = !client->waitForBytesWritten(300);
    ASSERT_TRUE(timedOut);
    EXPECT_EQ(client->error(), QAbstractSocket::SocketTimeoutError);
    EXPECT_EQ(client->errorString(), TimedOut);
    EXPECT_EQ(client->state(), QAbstractSocket::ConnectedState);
    EXPECT_GT(client->bytesToWrite(), 0);

    release.set_value(); // the peer reads again: everything still goes out
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return client->bytesToWrite() == 0; }, 20000))
            << client->bytesToWrite();
    peer.join();
    EXPECT_EQ(decrypted, Total);
    EXPECT_EQ(log.events, QStringList({"connected", "psk", "encrypted",
                                       errorEvent(QAbstractSocket::SocketTimeoutError)}))
            << log.text();
    EXPECT_EQ(log.errorStrings, QStringList({TimedOut}));
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

TEST_F(ClientFaults, ClosedPortIsConnectionRefused)
{
    quint16 port = 0;
    const int listener = listenLoopback(&port);
    ASSERT_GE(listener, 0);
    ::close(listener); // the port was just freed: nothing listens there now

    connectAndWaitForEnd(port);
    EXPECT_EQ(log.events, QStringList({errorEvent(QAbstractSocket::ConnectionRefusedError)})) << log.text();
    EXPECT_EQ(client->error(), QAbstractSocket::ConnectionRefusedError);
    EXPECT_EQ(client->errorString(), QStringLiteral("Connection refused"));
    EXPECT_LT(elapsed, kPromptMs);

    // The blocking form says the same.
    auto second = goodClient();
    second->connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    EXPECT_FALSE(second->waitForEncrypted(3000));
    EXPECT_EQ(second->error(), QAbstractSocket::ConnectionRefusedError);
    EXPECT_EQ(second->errorString(), QStringLiteral("Connection refused"));
    EXPECT_EQ(second->state(), QAbstractSocket::UnconnectedState);
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}
