// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// A QtPsk QSslServer against hostile clients: resets in the handshake and in the middle of a
// record, garbage and truncated ClientHellos, an oversized record, a handshake written byte by
// byte, a TLS 1.3 ClientHello offering 1000 PSK identities, and clients that stall (the server's
// handshake time-out ends them). Each case asserts the exact error the server reports for that
// connection and that the same server then still serves a good PSK client.
#include <QSslServer>

#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslSocket>
#include <QTcpServer>

#include <gtest/gtest.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>

#include <sys/socket.h>

#include <future>
#include <iostream>
#include <vector>

#include "faultsupport.h"

using namespace FaultsTest;

namespace {

const QString RemoteHostClosed = QStringLiteral("The remote host closed the connection");

class ServerFaults : public ::testing::Test
{
protected:
    explicit ServerFaults(QSsl::SslProtocol protocol = QSsl::TlsV1_2) : handshaking(), echo(protocol) { }

    void SetUp() override
    {
        ASSERT_TRUE(echo.listening);
        echo.server.setHandshakeTimeout(5000);
        // The sockets still in their handshake: their signals, in order.
        QObject::connect(&echo.server, &QSslServer::startedEncryptionHandshake, &echo.server,
                         [this](QSslSocket *socket) {
                             handshaking.push_back(std::make_unique<SignalLog>(socket));
                         });
    }

    // Waits until the server reported one failed handshake.
    ::testing::AssertionResult waitForServerError()
    {
        if (QtPskTest::waitUntil([&] { return !echo.errors.isEmpty(); }, 10000))
            return ::testing::AssertionSuccess();
        return ::testing::AssertionFailure() << "the server reported no error";
    }

    // Declared first, destroyed last: the server's sockets emit into the logs as they go.
    std::vector<std::unique_ptr<SignalLog>> handshaking;
    EchoServer echo;
};

// The one connection the server saw failed: one error, one disconnected, never encrypted.
void expectFailedOnce(const std::vector<std::unique_ptr<SignalLog>> &handshaking,
                      QAbstractSocket::SocketError error, const QString &text,
                      const QStringList &alertsBefore = {})
{
    ASSERT_EQ(handshaking.size(), 1u);
    const SignalLog &log = *handshaking.front();
    EXPECT_EQ(log.events, alertsBefore + QStringList({errorEvent(error), "disconnected"})) << log.text();
    ASSERT_EQ(log.errorStrings.size(), 1);
    EXPECT_EQ(log.errorStrings.front(), text);
}

// The same for a connection that failed on its first bytes: as in Qt, QSslServer emits
// startedEncryptionHandshake() only once the server handshake has taken in the first bytes, so
// such a failure is seen through QSslServer's own signals only (one error, with \a text).
void expectFailedAtOnce(const std::vector<std::unique_ptr<SignalLog>> &handshaking,
                        const EchoServer &echo, QAbstractSocket::SocketError error,
                        const QString &text)
{
    EXPECT_EQ(echo.errors, QStringList({errorEvent(error)}));
    EXPECT_EQ(echo.errorStrings, QStringList({text}));
    for (const auto &log : handshaking) // the socket had ended before the signal
        EXPECT_TRUE(log->events.isEmpty()) << log->text();
}

// A QTcpServer that keeps the accepted descriptors for the test.
class DescriptorServer : public QTcpServer
{
public:
    QList<qintptr> descriptors;

protected:
    void incomingConnection(qintptr socketDescriptor) override { descriptors << socketDescriptor; }
};

} // namespace

TEST_F(ServerFaults, ResetMidHandshakeIsRemoteHostClosed)
{
    QByteArray serverFlight;
    HostileClient peer(echo.port(), [&](int fd) {
        TlsPeer tls(/*server=*/false);
        writeAll(fd, tls.clientHello());
        serverFlight = readSome(fd, 10000); // ServerHello ... ServerHelloDone
        armReset(fd); // then RST instead of the ClientKeyExchange
    });
    ASSERT_TRUE(waitForServerError());
    peer.join();
    EXPECT_FALSE(serverFlight.isEmpty());
    EXPECT_EQ(echo.errors, QStringList({errorEvent(QAbstractSocket::RemoteHostClosedError)}));
    expectFailedOnce(handshaking, QAbstractSocket::RemoteHostClosedError, RemoteHostClosed);
    EXPECT_EQ(echo.pskRequests, 0);
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

TEST_F(ServerFaults, ResetMidApplicationRecordIsRemoteHostClosedWithoutData)
{
    QByteArray echoed;
    HostileClient peer(echo.port(), [&](int fd) {
        TlsPeer tls(/*server=*/false);
        if (!tls.handshake(fd, 10000))
            return;
        writeAll(fd, tls.encrypt("ping"));
        echoed = tls.readPlaintext(fd, 4, 10000); // the server reads and answers
        const QByteArray record = tls.encrypt(QByteArray(4000, 'x'));
        writeAll(fd, record.left(record.size() / 2));
        armReset(fd);
    });
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return echo.accepted.size() == 1; }, 10000));
    QSslSocket *accepted = echo.accepted.front();
    const SignalLog &log = *echo.acceptedLogs.front(); // attached when it was handed over
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return accepted->state() == QAbstractSocket::UnconnectedState; },
                                     10000))
            << log.text();
    peer.join();
    EXPECT_EQ(echoed, "ping");
    // As Qt: the established session's close_notify is reported (never sent) before disconnected().
    EXPECT_EQ(log.events, QStringList({errorEvent(QAbstractSocket::RemoteHostClosedError),
                                       QStringLiteral("alertSent:0"), "disconnected"}))
            << log.text();
    EXPECT_EQ(accepted->errorString(), RemoteHostClosed);
    EXPECT_EQ(log.readyReads, 1); // the "ping", and nothing of the half record
    EXPECT_TRUE(echo.errors.isEmpty()); // handed over: the application's socket reports it
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

struct Garbage
{
    const char *name;
    QByteArray bytes;
    QString error;
};

// Test names (and CTest's) show the kind, not the bytes of the struct.
void PrintTo(const Garbage &garbage, std::ostream *out)
{
    *out << garbage.name;
}

class ServerGarbage : public ServerFaults, public ::testing::WithParamInterface<Garbage>
{
};

TEST_P(ServerGarbage, GarbageInsteadOfClientHelloFailsTheHandshake)
{
    bool ended = false;
    HostileClient peer(echo.port(), [&](int fd) {
        writeAll(fd, GetParam().bytes);
        ended = waitForEnd(fd, 10000);
    });
    if (GetParam().error.isEmpty()) {
        // As Qt: a first byte that is no TLS handshake record (0x16) closes the connection,
        // without a handshake and without a signal.
        ASSERT_TRUE(QtPskTest::waitUntil([&] { return peer.isFinished(); }, 10000));
        peer.join();
        EXPECT_TRUE(ended); // the server closed the connection
        QCoreApplication::processEvents();
        EXPECT_TRUE(echo.errors.isEmpty());
        EXPECT_TRUE(handshaking.empty());
    } else {
        ASSERT_TRUE(waitForServerError());
        peer.join();
        EXPECT_TRUE(ended); // the server closed the connection
        expectFailedAtOnce(handshaking, echo, QAbstractSocket::SslHandshakeFailedError,
                           GetParam().error);
    }
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

INSTANTIATE_TEST_SUITE_P(
        Kinds, ServerGarbage,
        ::testing::Values(
                // Closed without a signal (the error is empty): not a TLS handshake record.
                Garbage{"HttpRequest", "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", QString()},
                Garbage{"BinaryNoise", QByteArray::fromHex("deadbeef000102030405060708090a0b0c0d0e0f"),
                        QString()},
                // A handshake record with a version no TLS ever had.
                Garbage{"HandshakeRecordNoise",
                        QByteArray::fromHex("16deadbeef000102030405060708090a0b0c0d0e0f"),
                        "Error during SSL handshake: error:0A00010B:SSL routines::wrong version number"}),
        [](const ::testing::TestParamInfo<Garbage> &row) { return std::string(row.param.name); });

TEST_F(ServerFaults, TruncatedClientHelloThenFinIsRemoteHostClosed)
{
    HostileClient peer(echo.port(), [&](int fd) {
        TlsPeer tls(/*server=*/false);
        writeAll(fd, tls.clientHello().left(20)); // the header and 15 bytes of the record
        ::shutdown(fd, SHUT_WR);
        waitForEnd(fd, 10000);
    });
    ASSERT_TRUE(waitForServerError());
    peer.join();
    EXPECT_EQ(echo.errors, QStringList({errorEvent(QAbstractSocket::RemoteHostClosedError)}));
    expectFailedOnce(handshaking, QAbstractSocket::RemoteHostClosedError, RemoteHostClosed);
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

TEST_F(ServerFaults, OversizedRecordIsRecordOverflow)
{
    QByteArray alert;
    HostileClient peer(echo.port(), [&](int fd) {
        writeAll(fd, QByteArray::fromHex("160301ffff") + QByteArray(512, '\0'));
        alert = readRecord(fd, 10000);
        waitForEnd(fd, 10000);
    });
    ASSERT_TRUE(waitForServerError());
    peer.join();
    ASSERT_EQ(alert.size(), 7);
    EXPECT_EQ(alert.at(0), '\x15');
    EXPECT_EQ(alert.mid(5), QByteArray::fromHex("0216")); // fatal record_overflow (22)
    EXPECT_EQ(echo.alertsSent, QList<int>({int(QSsl::AlertType::RecordOverflow)}));
    expectFailedAtOnce(handshaking, echo, QAbstractSocket::SslHandshakeFailedError,
                       "Error during SSL handshake: error:0A0000C6:SSL routines::packet length too long");
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

TEST_F(ServerFaults, HandshakeWrittenByteByByteSucceeds)
{
    bool handshook = false;
    QByteArray echoed;
    HostileClient peer(echo.port(), [&](int fd) {
        TlsPeer tls(/*server=*/false);
        handshook = tls.handshake(fd, 10000, /*chunk=*/1);
        writeAll(fd, tls.encrypt("byte by byte"), 1);
        echoed = tls.readPlaintext(fd, 12, 10000);
    });
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return peer.isFinished(); }, 10000));
    peer.join();
    EXPECT_TRUE(handshook);
    EXPECT_EQ(echoed, "byte by byte");
    EXPECT_TRUE(echo.errors.isEmpty()) << echo.errorStrings.join(QLatin1Char('|')).toStdString();
    EXPECT_EQ(echo.accepted.size(), 1);
    EXPECT_EQ(echo.pskRequests, 1);
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

// A client that connects and says nothing, or stops in the middle of its ClientHello: the
// server's handshake time-out ends the connection with SocketTimeoutError.
class ServerStall : public ServerFaults, public ::testing::WithParamInterface<bool>
{
};

TEST_P(ServerStall, HandshakeTimeoutEndsAStalledClient)
{
    echo.server.setHandshakeTimeout(200);
    const bool halfClientHello = GetParam();
    bool ended = false;
    QElapsedTimer timer;
    timer.start();
    qint64 endedAfter = 0;
    HostileClient peer(echo.port(), [&](int fd) {
        if (halfClientHello) {
            TlsPeer tls(/*server=*/false);
            const QByteArray hello = tls.clientHello();
            writeAll(fd, hello.left(hello.size() / 2));
        }
        ended = waitForEnd(fd, 10000);
        endedAfter = timer.elapsed();
    });
    ASSERT_TRUE(waitForServerError());
    const qint64 reportedAfter = timer.elapsed();
    peer.join();
    EXPECT_TRUE(ended);
    EXPECT_GE(reportedAfter, 190);
    EXPECT_LT(reportedAfter, 3000);
    EXPECT_LT(endedAfter, 3000);
    EXPECT_EQ(echo.errors, QStringList({errorEvent(QAbstractSocket::SocketTimeoutError)}));
    if (halfClientHello) {
        expectFailedOnce(handshaking, QAbstractSocket::SocketTimeoutError,
                         QStringLiteral("The TLS handshake did not complete in time"));
    } else {
        // No first byte: the handshake never started (as in Qt); only QSslServer reports it.
        EXPECT_TRUE(handshaking.empty());
        EXPECT_EQ(echo.errorStrings,
                  QStringList({QStringLiteral("The TLS handshake did not complete in time")}));
    }
    // The 200 ms time-out is for the stalled client: the good one gets the fixture's, so that a
    // loaded machine cannot make its handshake outlast the short one.
    echo.server.setHandshakeTimeout(5000);
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

INSTANTIATE_TEST_SUITE_P(Kinds, ServerStall, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool> &row) {
                             return std::string(row.param ? "HalfClientHello" : "Silent");
                         });

// A server-mode QSslSocket (QTcpServer + startServerEncryption(), no QSslServer) with a client
// that is silent at first: waitForEncrypted() times out, reports SocketTimeoutError with
// errorOccurred() (as Qt 6 does, tests/parity/waitfor_timeout_test.cpp) and the socket stays
// connected in its handshake; when the client then does its handshake, the same socket
// completes it.
TEST_F(ServerFaults, ServerSocketWaitForEncryptedTimesOutAndCanStillComplete)
{
    DescriptorServer listener;
    ASSERT_TRUE(listener.listen(QHostAddress::LocalHost, 0));
    std::promise<void> release;
    std::future<void> released = release.get_future();
    bool handshook = false;
    HostileClient peer(listener.serverPort(), [&](int fd) {
        released.wait_for(std::chrono::seconds(10));
        TlsPeer tls(/*server=*/false);
        handshook = tls.handshake(fd, 10000);
        waitForEnd(fd, 10000);
    });
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return !listener.descriptors.isEmpty(); }, 10000));
    QSslSocket socket;
    QSslConfiguration configuration = pskConfiguration();
    configuration.setPreSharedKeyIdentityHint(goodHint());
    socket.setSslConfiguration(configuration);
    QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired, &socket,
                     [](QSslPreSharedKeyAuthenticator *authenticator) {
                         if (authenticator->identity() == goodIdentity())
                             authenticator->setPreSharedKey(goodKey());
                     });
    ASSERT_TRUE(socket.setSocketDescriptor(listener.descriptors.front()));
    SignalLog log(&socket);
    socket.startServerEncryption();
    QElapsedTimer waited;
    waited.start();
    EXPECT_FALSE(socket.waitForEncrypted(300));
    EXPECT_GE(waited.elapsed(), 290);
    EXPECT_EQ(socket.error(), QAbstractSocket::SocketTimeoutError);
    EXPECT_EQ(socket.errorString(), QStringLiteral("Network operation timed out"));
    EXPECT_EQ(socket.state(), QAbstractSocket::ConnectedState);
    EXPECT_EQ(socket.mode(), QSslSocket::SslServerMode);
    const QString timeout = errorEvent(QAbstractSocket::SocketTimeoutError);
    EXPECT_EQ(log.events, QStringList({timeout})) << log.text();
    EXPECT_EQ(log.errorStrings, QStringList({QStringLiteral("Network operation timed out")}));

    release.set_value();
    EXPECT_TRUE(socket.waitForEncrypted(10000)) << socket.errorString().toStdString();
    EXPECT_EQ(log.events, QStringList({timeout, "psk", "encrypted"})) << log.text();
    socket.disconnectFromHost();
    peer.join();
    EXPECT_TRUE(handshook);
    EXPECT_TRUE(completesGoodHandshake(echo.port()));
}

// A hand-built TLS 1.3 ClientHello whose pre_shared_key extension offers 1000 identities with
// garbage binders. OpenSSL asks the server about each identity in turn until one is accepted; the
// slot therefore runs once per unknown identity (1000 times at most, all within one ClientHello)
// and the handshake then fails cleanly: a known identity's binder does not verify
// (illegal_parameter), or, with no identity known, there is no PSK and no certificate
// (handshake_failure).
class ServerManyIdentities : public ServerFaults, public ::testing::WithParamInterface<bool>
{
protected:
    ServerManyIdentities() : ServerFaults(QSsl::TlsV1_3) { }
};

TEST_P(ServerManyIdentities, ThousandPskIdentitiesAreRejectedInBoundedTime)
{
    const bool lastIsKnown = GetParam();
    QList<QByteArray> identities;
    for (int i = 0; i < 999; ++i)
        identities << "hostile-" + QByteArray::number(i).rightJustified(4, '0');
    identities << (lastIsKnown ? goodIdentity() : QByteArrayLiteral("hostile-0999"));
    const QByteArray clientHello = tls13ClientHelloWithIdentities(identities);

    QByteArray answer;
    QElapsedTimer timer;
    timer.start();
    HostileClient peer(echo.port(), [&](int fd) {
        writeAll(fd, clientHello);
        answer = readRecord(fd, 10000);
        waitForEnd(fd, 10000);
    });
    ASSERT_TRUE(waitForServerError());
    const qint64 elapsed = timer.elapsed();
    peer.join();
    ::testing::Test::RecordProperty("ClientHelloBytes", int(clientHello.size()));
    ::testing::Test::RecordProperty("RejectMs", int(elapsed));
    std::cout << "1000-identity ClientHello: " << clientHello.size() << " bytes, rejected after "
              << elapsed << " ms, " << echo.pskRequests << " slot calls" << std::endl;
    EXPECT_LT(elapsed, 5000);
    EXPECT_EQ(echo.pskRequests, 1000);
    const QSsl::AlertType alert = lastIsKnown ? QSsl::AlertType::IllegalParameter
                                              : QSsl::AlertType::HandshakeFailure;
    ASSERT_EQ(answer.size(), 7);
    EXPECT_EQ(answer.at(0), '\x15');
    EXPECT_EQ(answer.at(5), '\x02');
    EXPECT_EQ(int(quint8(answer.at(6))), int(alert));
    EXPECT_EQ(echo.alertsSent, QList<int>({int(alert)}));
    EXPECT_EQ(echo.errors, QStringList({errorEvent(QAbstractSocket::SslHandshakeFailedError)}));
    const QString error = lastIsKnown
            ? QStringLiteral("Error during SSL handshake: error:0A0000FD:SSL routines::binder does not verify")
            : QStringLiteral("Error during SSL handshake: error:0A000076:SSL routines::no suitable signature algorithm"
                             "; TLS 1.3 was negotiated, but no pre-shared key was accepted (the client offered "
                             "none, its key's hash does not match the negotiated suite, or the slot gave no key "
                             "for its identity) and this server has no certificate; let the client offer a "
                             "TLS 1.3 PSK (QtPsk: a connected slot or Tls13PreSharedKeyMode::Always; Qt: "
                             "QT_USE_TLS_1_3_PSK) or pin QSsl::TlsV1_2");
    EXPECT_EQ(echo.errorStrings, QStringList({error}));
    EXPECT_TRUE(completesGoodHandshake(echo.port(), QSsl::TlsV1_3));
}

INSTANTIATE_TEST_SUITE_P(Kinds, ServerManyIdentities, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool> &row) {
                             return std::string(row.param ? "LastKnown" : "NoneKnown");
                         });
