// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QDtls where QtPsk goes beyond Qt, over loopback QUdpSockets: the bound on an unanswered final
// flight (against QtPsk and against openssl s_server), the expiry of a server's association that
// never completes, slots that abort, delete or throw, PSK answers given later (deferAnswer()), a
// lossy relay, garbage and oversize datagrams, and a ClientHello flood that makes no association.
#include "ssl/qdtls_p.h"

#include <QDtls>
#include <QSslPreSharedKeyRequest>
#include <QUdpSocket>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qtimer.h>

#include <gtest/gtest.h>

#include "../parity/dtlspeers.h"
#include "common/testsupport.h"

#include <chrono>
#include <random>
#include <stdexcept>
#include <thread>

using namespace DtlsPeers;
using namespace std::chrono_literals;
using QtPskPrivate::DtlsAccess;
using QtPskTest::waitUntil;

namespace {

// A client QDtls on the heap, to \a port, that the datagrams \a socket reads drive while it lives.
QDtls *heapClient(QUdpSocket &socket, quint16 port, QPointer<QDtls> *guard)
{
    auto *dtls = new QDtls(QSslSocket::SslClientMode);
    dtls->setDtlsConfiguration(clientConfiguration());
    dtls->setPeer(QHostAddress::LocalHost, port);
    *guard = dtls;
    QObject::connect(&socket, &QUdpSocket::readyRead, &socket, [&socket, guard] {
        forEachDatagram(socket, [&socket, guard](const QByteArray &data, const QHostAddress &, quint16) {
            if (*guard)
                (*guard)->doHandshake(&socket, data);
        });
    });
    return dtls;
}

TEST(QDtls, WrongKeyFailsAfterTheBoundNamingTheLikelyCause)
{
    Server server(serverConfiguration(true));
    server.keyFor = [](const QByteArray &) { return QByteArray::fromHex("0102030405060708"); };
    Client client;
    DtlsAccess::setInitialTimeout(&client.dtls, 30ms);
    ASSERT_TRUE(client.start(server.port()));
    ASSERT_TRUE(waitUntil([&] { return !client.timeoutErrors.isEmpty(); }, 30000));
    EXPECT_EQ(client.timeoutErrors.front(), QDtlsError::TlsFatalError);
    EXPECT_EQ(client.dtls.handshakeState(), QDtls::HandshakeNotStarted);
    const QString error = client.dtls.dtlsErrorString();
    EXPECT_TRUE(error.contains(QLatin1String("different pre-shared key"))) << error.toStdString();
    EXPECT_TRUE(error.contains(QLatin1String("identity"))) << error.toStdString();
    EXPECT_GE(client.timeouts, 5) << "four retransmissions, then the failure";
}

TEST(QDtls, WrongKeyAgainstOpenSslServerFailsToo)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    QtPskTest::PeerProcess peer;
    const quint16 port = peer.startOpenSslServer(
            {QStringLiteral("-dtls1_2"), QStringLiteral("-nocert"), QStringLiteral("-psk"),
             QStringLiteral("0102030405060708"), QStringLiteral("-psk_hint"), QStringLiteral("hint")});
    ASSERT_NE(port, 0) << peer.output().toStdString();
    Client client;
    DtlsAccess::setInitialTimeout(&client.dtls, 30ms);
    ASSERT_TRUE(client.start(port));
    ASSERT_TRUE(waitUntil([&] { return !client.timeoutErrors.isEmpty(); }, 30000));
    EXPECT_EQ(client.timeoutErrors.front(), QDtlsError::TlsFatalError);
    EXPECT_TRUE(client.dtls.dtlsErrorString().contains(QLatin1String("pre-shared key")));
    peer.stop();
}

TEST(QDtls, ServerAssociationThatNeverCompletesExpires)
{
    // A server association whose client sends its ClientHello and then nothing more.
    QDtls fresh(QSslSocket::SslServerMode);
    fresh.setDtlsConfiguration(serverConfiguration(false));
    DtlsAccess::setServerExpiry(&fresh, 200ms);
    Client client;
    client.handleTimeouts = false;
    QUdpSocket serverSocket;
    ASSERT_TRUE(serverSocket.bind(QHostAddress::LocalHost, 0));
    ASSERT_TRUE(client.start(serverSocket.localPort()));
    ASSERT_TRUE(waitUntil([&] { return serverSocket.hasPendingDatagrams(); }, 10000));
    Datagram hello;
    ASSERT_TRUE(readOne(serverSocket, &hello));
    ASSERT_TRUE(fresh.setPeer(hello.from, hello.port));
    ASSERT_TRUE(fresh.doHandshake(&serverSocket, hello.data));
    EXPECT_EQ(fresh.handshakeState(), QDtls::HandshakeInProgress);
    ASSERT_TRUE(waitUntil([&] { return fresh.handshakeState() == QDtls::HandshakeNotStarted; }, 10000));
    EXPECT_EQ(fresh.dtlsError(), QDtlsError::TlsFatalError);
    EXPECT_TRUE(fresh.dtlsErrorString().contains(QLatin1String("did not complete")));
}

TEST(QDtls, AbortFromThePskSlotIsSafe)
{
    Server server(serverConfiguration(true));
    Client client;
    client.during = [&](QSslPreSharedKeyAuthenticator *) { client.dtls.abortHandshake(&client.socket); };
    ASSERT_TRUE(client.start(server.port()));
    ASSERT_TRUE(waitUntil([&] { return !client.hints.isEmpty(); }, 10000));
    EXPECT_EQ(client.dtls.handshakeState(), QDtls::HandshakeNotStarted);
    EXPECT_FALSE(client.dtls.isConnectionEncrypted());
    EXPECT_EQ(server.completed, 0);
}

TEST(QDtls, DeleteFromThePskSlotIsSafe)
{
    QUdpSocket socket;
    ASSERT_TRUE(socket.bind(QHostAddress::LocalHost, 0));
    Server server(serverConfiguration(true));
    QPointer<QDtls> guard;
    QDtls *dtls = heapClient(socket, server.port(), &guard);
    QObject::connect(dtls, &QDtls::pskRequired, [dtls](QSslPreSharedKeyAuthenticator *a) {
        a->setPreSharedKey(key());
        delete dtls;
    });
    ASSERT_TRUE(dtls->doHandshake(&socket));
    ASSERT_TRUE(waitUntil([&] { return !guard; }, 10000));
}

TEST(QDtls, AnExceptionFromThePskSlotLeavesDoHandshake)
{
    QUdpSocket socket;
    ASSERT_TRUE(socket.bind(QHostAddress::LocalHost, 0));
    Server server(serverConfiguration(true));
    QDtls dtls(QSslSocket::SslClientMode);
    dtls.setDtlsConfiguration(clientConfiguration());
    dtls.setPeer(QHostAddress::LocalHost, server.port());
    QObject::connect(&dtls, &QDtls::pskRequired,
                     [](QSslPreSharedKeyAuthenticator *) { throw std::runtime_error("slot"); });
    bool thrown = false;
    QObject::connect(&socket, &QUdpSocket::readyRead, [&] {
        forEachDatagram(socket, [&](const QByteArray &data, const QHostAddress &, quint16) {
            try {
                dtls.doHandshake(&socket, data);
            } catch (const std::runtime_error &) {
                thrown = true;
            }
        });
    });
    ASSERT_TRUE(dtls.doHandshake(&socket));
    ASSERT_TRUE(waitUntil([&] { return thrown; }, 10000));
    EXPECT_EQ(dtls.handshakeState(), QDtls::HandshakeNotStarted);
    EXPECT_EQ(dtls.dtlsError(), QDtlsError::TlsFatalError);
}

// --- PSK answers given later (QSslPreSharedKeyAuthenticator::deferAnswer(), a QtPsk extension) ---

// Sends \a message once the client's handshake completed and waits for the server's echo.
::testing::AssertionResult echoes(Client &client, const QByteArray &message)
{
    if (!waitUntil([&] { return client.dtls.isConnectionEncrypted(); }, 20000)) {
        return ::testing::AssertionFailure()
                << "no handshake: " << client.dtls.dtlsErrorString().toStdString();
    }
    if (client.dtls.writeDatagramEncrypted(&client.socket, message) != message.size())
        return ::testing::AssertionFailure() << "not sent";
    if (!waitUntil([&] { return client.received.contains(message); }, 20000))
        return ::testing::AssertionFailure() << "no echo";
    return ::testing::AssertionSuccess();
}

TEST(QDtlsDeferredPsk, ClientAnswersFromATimerWithoutRetransmitting)
{
    Server server(serverConfiguration(true));
    Client client;
    DtlsAccess::setInitialTimeout(&client.dtls, 30ms);
    QSslPreSharedKeyRequest request;
    int timeoutsWhileWaiting = -1;
    client.during = [&](QSslPreSharedKeyAuthenticator *authenticator) {
        request = authenticator->deferAnswer();
        const int timeoutsBefore = client.timeouts;
        // Ten times the first retransmission delay: nothing is sent again meanwhile.
        QTimer::singleShot(300ms, &client, [&, timeoutsBefore] {
            timeoutsWhileWaiting = client.timeouts - timeoutsBefore;
            EXPECT_EQ(client.dtls.handshakeState(), QDtls::HandshakeInProgress);
            EXPECT_TRUE(request.answer(identity(), key()));
        });
    };
    ASSERT_TRUE(client.start(server.port()));
    EXPECT_TRUE(echoes(client, "deferred client"));
    EXPECT_FALSE(request.isNull());
    EXPECT_EQ(timeoutsWhileWaiting, 0);
    EXPECT_EQ(server.identities, QList<QByteArray>{identity()});
    EXPECT_TRUE(client.handshakeErrors.isEmpty());
}

TEST(QDtlsDeferredPsk, ServerAnswersFromAWorkerThread)
{
    Server server(serverConfiguration(true));
    std::thread worker;
    server.during = [&](QSslPreSharedKeyAuthenticator *authenticator) {
        QSslPreSharedKeyRequest request = authenticator->deferAnswer();
        ASSERT_FALSE(request.isNull());
        EXPECT_EQ(request.identity(), identity());
        worker = std::thread([request]() mutable { request.answer(key()); });
    };
    Client client;
    ASSERT_TRUE(client.start(server.port()));
    EXPECT_TRUE(echoes(client, "deferred server"));
    if (worker.joinable())
        worker.join();
    EXPECT_EQ(server.received, QList<QByteArray>{"deferred server"});
}

// What the client ends with when the server refuses the key: at once (an empty key) or later.
struct Refused
{
    QDtlsError error = QDtlsError::NoError;
    QString text;
    QDtls::HandshakeState state = QDtls::HandshakeNotStarted;
    bool operator==(const Refused &other) const
    {
        return error == other.error && text == other.text && state == other.state;
    }
};

Refused clientWhenTheServerRefuses(bool late)
{
    Server server(serverConfiguration(true));
    QSslPreSharedKeyRequest request;
    if (late) {
        server.during = [&](QSslPreSharedKeyAuthenticator *authenticator) {
            request = authenticator->deferAnswer();
            QTimer::singleShot(50ms, &server, [&] { request.refuse(); });
        };
    } else {
        server.keyFor = [](const QByteArray &) { return QByteArray(); };
    }
    Client client;
    if (!client.start(server.port()))
        return {};
    waitUntil([&] { return !client.handshakeErrors.isEmpty() || !client.timeoutErrors.isEmpty(); },
              30000);
    return {client.dtls.dtlsError(), client.dtls.dtlsErrorString(), client.dtls.handshakeState()};
}

TEST(QDtlsDeferredPsk, ALateRefusalFailsAsARefusalAtOnce)
{
    const Refused atOnce = clientWhenTheServerRefuses(false);
    const Refused late = clientWhenTheServerRefuses(true);
    EXPECT_EQ(atOnce.error, QDtlsError::TlsFatalError) << atOnce.text.toStdString();
    EXPECT_TRUE(late == atOnce) << late.text.toStdString() << " / " << atOnce.text.toStdString();
}

TEST(QDtlsDeferredPsk, AnAnswerAfterAbortOrDeleteIsHarmless)
{
    Server server(serverConfiguration(true));
    Client client;
    QSslPreSharedKeyRequest request;
    client.during = [&](QSslPreSharedKeyAuthenticator *authenticator) {
        request = authenticator->deferAnswer();
    };
    ASSERT_TRUE(client.start(server.port()));
    ASSERT_TRUE(waitUntil([&] { return !request.isNull(); }, 10000));
    EXPECT_TRUE(client.dtls.abortHandshake(&client.socket));
    EXPECT_FALSE(request.answer(identity(), key())) << "the handshake no longer waits";
    QCoreApplication::processEvents();
    EXPECT_EQ(client.dtls.handshakeState(), QDtls::HandshakeNotStarted);

    // A QDtls deleted while its answer is pending.
    QUdpSocket socket;
    ASSERT_TRUE(socket.bind(QHostAddress::LocalHost, 0));
    QPointer<QDtls> guard;
    QDtls *dtls = heapClient(socket, server.port(), &guard);
    QSslPreSharedKeyRequest second;
    QObject::connect(dtls, &QDtls::pskRequired, [&](QSslPreSharedKeyAuthenticator *authenticator) {
        second = authenticator->deferAnswer();
    });
    ASSERT_TRUE(dtls->doHandshake(&socket));
    ASSERT_TRUE(waitUntil([&] { return !second.isNull(); }, 10000));
    delete dtls;
    EXPECT_FALSE(second.answer(identity(), key()));
    QCoreApplication::processEvents();
}

TEST(QDtlsDeferredPsk, APendingAnswerDoesNotKeepAServerAssociationAlive)
{
    QDtls association(QSslSocket::SslServerMode);
    association.setDtlsConfiguration(serverConfiguration(false));
    DtlsAccess::setServerExpiry(&association, 300ms);
    QSslPreSharedKeyRequest request;
    QObject::connect(&association, &QDtls::pskRequired, [&](QSslPreSharedKeyAuthenticator *authenticator) {
        request = authenticator->deferAnswer();
    });
    QUdpSocket serverSocket;
    ASSERT_TRUE(serverSocket.bind(QHostAddress::LocalHost, 0));
    bool peerSet = false;
    QObject::connect(&serverSocket, &QUdpSocket::readyRead, [&] {
        forEachDatagram(serverSocket, [&](const QByteArray &data, const QHostAddress &from, quint16 port) {
            if (!peerSet)
                peerSet = association.setPeer(from, port);
            if (association.handshakeState() == QDtls::HandshakeInProgress || request.isNull())
                association.doHandshake(&serverSocket, data);
        });
    });
    Client client;
    ASSERT_TRUE(client.start(serverSocket.localPort()));
    ASSERT_TRUE(waitUntil([&] { return !request.isNull(); }, 10000));
    EXPECT_EQ(association.handshakeState(), QDtls::HandshakeInProgress);
    ASSERT_TRUE(waitUntil([&] { return association.handshakeState() == QDtls::HandshakeNotStarted; }, 10000));
    EXPECT_EQ(association.dtlsError(), QDtlsError::TlsFatalError);
    EXPECT_FALSE(request.answer(key())) << "the association has expired";
}

// A relay between client and server that drops, duplicates, reorders and delays datagrams from a
// seeded sequence.
class LossyRelay : public QObject
{
public:
    LossyRelay(quint16 serverPort, unsigned seed) : m_serverPort(serverPort), m_random(seed)
    {
        socket.bind(QHostAddress::LocalHost, 0);
        QObject::connect(&socket, &QUdpSocket::readyRead, this, [this] { relay(); });
    }
    quint16 port() const { return socket.localPort(); }
    QUdpSocket socket;
    int dropped = 0;

private:
    void relay()
    {
        forEachDatagram(socket, [this](const QByteArray &data, const QHostAddress &, quint16 port) {
            const bool toServer = port != m_serverPort;
            if (toServer)
                m_clientPort = port;
            const quint16 target = toServer ? m_serverPort : m_clientPort;
            std::uniform_real_distribution<double> chance(0, 1);
            if (chance(m_random) < 0.2) {
                ++dropped;
                return;
            }
            const int copies = chance(m_random) < 0.15 ? 2 : 1;
            const int delayMs = chance(m_random) < 0.3 ? int(chance(m_random) * 80) : 0; // reorders
            for (int i = 0; i < copies; ++i) {
                QTimer::singleShot(delayMs + i * 5, this, [this, data, target] {
                    socket.writeDatagram(data, QHostAddress::LocalHost, target);
                });
            }
        });
    }
    quint16 m_serverPort;
    quint16 m_clientPort = 0;
    std::mt19937 m_random;
};

class QDtlsLossy : public ::testing::TestWithParam<unsigned>
{
};

TEST_P(QDtlsLossy, HandshakeCompletesThroughALossyRelay)
{
    Server server(serverConfiguration(true));
    LossyRelay relay(server.port(), GetParam());
    Client client;
    DtlsAccess::setInitialTimeout(&client.dtls, 50ms);
    ASSERT_TRUE(client.start(relay.port()));
    ASSERT_TRUE(waitUntil([&] { return client.dtls.handshakeState() == QDtls::HandshakeComplete
                                       && server.completed == 1; }, 60000))
            << "seed " << GetParam() << ": " << client.dtls.dtlsErrorString().toStdString()
            << ", " << client.timeouts << " time-outs";
    EXPECT_TRUE(client.timeoutErrors.isEmpty());
}

INSTANTIATE_TEST_SUITE_P(Seeds, QDtlsLossy, ::testing::Values(11u, 12u, 13u));

TEST(QDtls, GarbageOversizeAndFloodMakeNoAssociation)
{
    Server server(serverConfiguration(true));
    QUdpSocket attacker;
    ASSERT_TRUE(attacker.bind(QHostAddress::LocalHost, 0));
    // ClientHellos without cookies (a real client's first flight), garbage and an oversize datagram.
    Datagram hello;
    {
        QUdpSocket sink;
        ASSERT_TRUE(sink.bind(QHostAddress::LocalHost, 0));
        Client probe;
        probe.handleTimeouts = false;
        ASSERT_TRUE(probe.start(sink.localPort()));
        ASSERT_TRUE(waitUntil([&] { return sink.hasPendingDatagrams(); }, 10000));
        ASSERT_TRUE(readOne(sink, &hello));
    }
    // In bursts the kernel's receive buffer holds (it drops what does not fit, as it should).
    for (int burst = 1; burst <= 6; ++burst) {
        for (int i = 0; i < 50; ++i)
            attacker.writeDatagram(hello.data, QHostAddress::LocalHost, server.port());
        ASSERT_TRUE(waitUntil([&] { return server.verifierReplies >= 50 * burst; }, 20000))
                << server.verifierReplies << " datagrams seen by the verifier";
    }
    attacker.writeDatagram(QByteArray(60000, '\x16'), QHostAddress::LocalHost, server.port());
    attacker.writeDatagram(QByteArray("\x16\xfe\xfd garbage"), QHostAddress::LocalHost, server.port());
    ASSERT_TRUE(waitUntil([&] { return server.verifierReplies >= 302; }, 20000))
            << server.verifierReplies << " datagrams seen by the verifier";
    EXPECT_TRUE(server.peers.isEmpty()) << "no association before a valid cookie";
    // A real client still gets through.
    Client client;
    ASSERT_TRUE(client.start(server.port()));
    ASSERT_TRUE(waitUntil([&] { return client.dtls.handshakeState() == QDtls::HandshakeComplete; }, 20000));
}

} // namespace
