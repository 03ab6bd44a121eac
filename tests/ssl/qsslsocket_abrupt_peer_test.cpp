// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// A peer that closes or resets the connection without sending any TLS alert must give the client
// a prompt, clear error — never a hang until some time-out.
#include <QSslSocket>

#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>

#include <gtest/gtest.h>

#include <QtCore/qelapsedtimer.h>

#include <atomic>
#include <string>
#include <utility>

#include "common/rawpeer.h"
#include "common/testsupport.h"

namespace {

enum class Ending { CloseAfterClientHello, ResetAfterClientHello, CloseAtOnce };

// A loopback peer whose single connection is ended abruptly (a HostileServer script: closed, or
// reset after armReset(), when the script returns); received() is the size of what it read first.
class AbruptPeer
{
public:
    explicit AbruptPeer(Ending ending)
        : m_server([this, ending](int fd) {
              if (ending != Ending::CloseAtOnce)
                  m_received = QtPskTest::readSome(fd, 10000).size();
              if (ending == Ending::ResetAfterClientHello)
                  QtPskTest::armReset(fd);
          })
    {
    }
    Q_DISABLE_COPY(AbruptPeer)

    quint16 port() const { return m_server.port(); }
    qsizetype received() const { return m_received; }

private:
    std::atomic<qsizetype> m_received{0}; // written by the peer thread, read by the test's
    QtPskTest::HostileServer m_server; // after m_received: joined before it goes
};

class AbruptPeerTest : public ::testing::TestWithParam<Ending>
{
};

} // namespace

TEST_P(AbruptPeerTest, ClientReportsAClearErrorAtOnce)
{
    AbruptPeer peer(GetParam());
    ASSERT_NE(peer.port(), 0);

    QSslSocket socket;
    QSslConfiguration configuration = socket.sslConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    socket.setSslConfiguration(configuration);
    QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired, &socket,
                     [](QSslPreSharedKeyAuthenticator *authenticator) {
                         authenticator->setIdentity("client1");
                         authenticator->setPreSharedKey(QByteArray::fromHex("00112233445566778899aabbccddeeff"));
                     });
    std::vector<QAbstractSocket::SocketError> errors;
    QObject::connect(&socket, &QAbstractSocket::errorOccurred, &socket,
                     [&](QAbstractSocket::SocketError error) { errors.push_back(error); });
    int disconnected = 0;
    QObject::connect(&socket, &QAbstractSocket::disconnected, &socket, [&] { ++disconnected; });
    int encrypted = 0;
    QObject::connect(&socket, &QSslSocket::encrypted, &socket, [&] { ++encrypted; });

    QElapsedTimer timer;
    timer.start();
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), peer.port());
    ASSERT_TRUE(QtPskTest::waitUntil(
            [&] { return socket.state() == QAbstractSocket::UnconnectedState && disconnected > 0; },
            20000));
    // Promptly: a handshake left hanging would run into the 20 s wait above.
    EXPECT_LT(timer.elapsed(), 8000) << "an abrupt peer must fail the handshake promptly";
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors.front(), QAbstractSocket::RemoteHostClosedError);
    EXPECT_FALSE(socket.errorString().isEmpty());
    EXPECT_EQ(disconnected, 1);
    EXPECT_EQ(encrypted, 0);
    if (GetParam() != Ending::CloseAtOnce) {
        EXPECT_GT(peer.received(), 0); // the ClientHello did go out
    }
}

namespace {

// The rows, with the names of their tests.
const std::pair<Ending, const char *> kEndings[] = {
    {Ending::CloseAfterClientHello, "CloseAfterClientHello"},
    {Ending::ResetAfterClientHello, "ResetAfterClientHello"},
    {Ending::CloseAtOnce, "CloseAtOnce"},
};

std::string endingName(Ending ending)
{
    for (const auto &[value, name] : kEndings) {
        if (value == ending)
            return name;
    }
    return "Unknown";
}

} // namespace

INSTANTIATE_TEST_SUITE_P(Endings, AbruptPeerTest,
                         ::testing::Values(Ending::CloseAfterClientHello,
                                           Ending::ResetAfterClientHello, Ending::CloseAtOnce),
                         [](const ::testing::TestParamInfo<Ending> &row) { return endingName(row.param); });
