// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// A peer that closes or resets the connection without sending any TLS alert must give the client
// a prompt, clear error — never a hang until some time-out.
#include <QSslSocket>

#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>

#include <gtest/gtest.h>

#include <QtCore/qelapsedtimer.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "common/testsupport.h"

namespace {

enum class Ending { CloseAfterClientHello, ResetAfterClientHello, CloseAtOnce };

// A listening socket whose single connection is ended abruptly on a thread of its own.
class AbruptPeer
{
public:
    explicit AbruptPeer(Ending ending)
    {
        m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (::bind(m_listener, reinterpret_cast<sockaddr *>(&address), length) != 0
            || ::listen(m_listener, 4) != 0
            || ::getsockname(m_listener, reinterpret_cast<sockaddr *>(&address), &length) != 0)
            return;
        m_port = ntohs(address.sin_port);
        m_thread = std::thread([this, ending] {
            pollfd listening{m_listener, POLLIN, 0};
            if (::poll(&listening, 1, 10000) != 1)
                return;
            const int fd = ::accept(m_listener, nullptr, nullptr);
            if (fd < 0)
                return;
            if (ending != Ending::CloseAtOnce) {
                pollfd readable{fd, POLLIN, 0};
                char clientHello[4096];
                if (::poll(&readable, 1, 10000) == 1)
                    m_received = ::read(fd, clientHello, sizeof clientHello);
            }
            if (ending == Ending::ResetAfterClientHello) {
                const linger abortive{1, 0}; // close() now sends RST
                ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
            }
            ::close(fd);
        });
    }
    ~AbruptPeer()
    {
        if (m_thread.joinable())
            m_thread.join();
        ::close(m_listener);
    }
    AbruptPeer(const AbruptPeer &) = delete;
    AbruptPeer &operator=(const AbruptPeer &) = delete;

    quint16 port() const { return m_port; }
    ssize_t received() const { return m_received; }

private:
    int m_listener = -1;
    quint16 m_port = 0;
    std::atomic<ssize_t> m_received{0}; // written by the peer thread, read by the test's
    std::thread m_thread;
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

INSTANTIATE_TEST_SUITE_P(Endings, AbruptPeerTest,
                         ::testing::Values(Ending::CloseAfterClientHello,
                                           Ending::ResetAfterClientHello, Ending::CloseAtOnce),
                         [](const ::testing::TestParamInfo<Ending> &row) {
                             switch (row.param) {
                             case Ending::CloseAfterClientHello: return std::string("CloseAfterClientHello");
                             case Ending::ResetAfterClientHello: return std::string("ResetAfterClientHello");
                             case Ending::CloseAtOnce: return std::string("CloseAtOnce");
                             }
                             return std::string("Unknown");
                         });
