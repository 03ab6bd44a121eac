// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QtPsk's side of proxies, where it differs from Qt on purpose: Qt really connects, binds and
// listens through an HttpProxy or a Socks5Proxy; QtPsk has no proxy engine and fails exactly the
// way Qt fails for a proxy it cannot use (tests/parity/networkproxy_test.cpp measures that), with
// its own error string. Never a silent direct connection.
#include <QNetworkProxy>

#include <QAbstractSocket>
#include <QHostAddress>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>

#include "network/qnetworkproxy_p.h"

#include <QtTest/qsignalspy.h>

#include <gtest/gtest.h>

#include "common/applicationproxy.h"
#include "common/testsupport.h"

namespace {

const QString httpError = QStringLiteral(
        "QtPsk does not support proxies (HttpProxy): use QNetworkProxy::NoProxy to connect directly");
const QString socksError = QStringLiteral(
        "QtPsk does not support proxies (Socks5Proxy): use QNetworkProxy::NoProxy to connect directly");

QNetworkProxy http() { return QNetworkProxy(QNetworkProxy::HttpProxy, QStringLiteral("127.0.0.1"), 1); }
QNetworkProxy socks() { return QNetworkProxy(QNetworkProxy::Socks5Proxy, QStringLiteral("127.0.0.1"), 1); }

using QtPskTest::ApplicationProxy;

// connectToHost() fails inside the call: errorOccurred(UnsupportedSocketOperationError) only.
void expectRefused(QAbstractSocket &socket, const QString &host, const QString &errorString)
{
    QSignalSpy errors(&socket, &QAbstractSocket::errorOccurred);
    QSignalSpy states(&socket, &QAbstractSocket::stateChanged);
    QSignalSpy lookups(&socket, &QAbstractSocket::hostFound);
    socket.connectToHost(host, 9);
    ASSERT_EQ(errors.size(), 1) << host.toStdString();
    EXPECT_EQ(errors.at(0).at(0).value<QAbstractSocket::SocketError>(),
              QAbstractSocket::UnsupportedSocketOperationError);
    EXPECT_EQ(states.size(), 0);
    EXPECT_EQ(socket.state(), QAbstractSocket::UnconnectedState);
    EXPECT_EQ(socket.error(), QAbstractSocket::UnsupportedSocketOperationError);
    EXPECT_EQ(socket.errorString(), errorString);
    EXPECT_FALSE(socket.isOpen());
    // Nothing more later: no lookup, no connection attempt.
    QtPskTest::waitUntil([] { return false; }, 50);
    EXPECT_EQ(errors.size(), 1);
    EXPECT_EQ(states.size(), 0);
    EXPECT_EQ(lookups.size(), 0);
}

TEST(QNetworkProxyQtPsk, HttpAndSocks5ProxiesOnTheSocketFailTheConnectionWithAClearString)
{
    QTcpSocket viaHttp;
    viaHttp.setProxy(http());
    expectRefused(viaHttp, QStringLiteral("127.0.0.1"), httpError);
    QTcpSocket viaSocks;
    viaSocks.setProxy(socks());
    expectRefused(viaSocks, QStringLiteral("example.invalid"), socksError);
    QSslSocket encrypted;
    encrypted.setProxy(http());
    QSignalSpy modes(&encrypted, &QSslSocket::modeChanged);
    encrypted.connectToHostEncrypted(QStringLiteral("127.0.0.1"), 9);
    EXPECT_EQ(encrypted.error(), QAbstractSocket::UnsupportedSocketOperationError);
    EXPECT_EQ(encrypted.errorString(), httpError);
    EXPECT_EQ(encrypted.mode(), QSslSocket::UnencryptedMode);
    EXPECT_EQ(modes.size(), 0);
}

TEST(QNetworkProxyQtPsk, HttpAndSocks5ApplicationProxiesFailConnectionsExceptToLoopback)
{
    const ApplicationProxy guard(socks());
    QTcpSocket socket;
    expectRefused(socket, QStringLiteral("0.0.0.0"), socksError);

    // Loopback and localhost skip the application proxy, as in Qt: a direct connection.
    QTcpServer server;
    server.setProxy(QNetworkProxy::NoProxy);
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    QTcpSocket local;
    QSignalSpy connected(&local, &QAbstractSocket::connected);
    local.connectToHost(QStringLiteral("127.0.0.1"), server.serverPort());
    EXPECT_TRUE(connected.wait(10000));
}

TEST(QNetworkProxyQtPsk, BindAndListenThroughHttpOrSocks5FailWithoutASignal)
{
    for (const QNetworkProxy &proxy : {http(), socks()}) {
        const QString expected = proxy.type() == QNetworkProxy::HttpProxy ? httpError : socksError;
        QTcpSocket socket;
        socket.setProxy(proxy);
        QSignalSpy errors(&socket, &QAbstractSocket::errorOccurred);
        EXPECT_FALSE(socket.bind(QHostAddress::AnyIPv4, 0));
        EXPECT_EQ(errors.size(), 0);
        EXPECT_EQ(socket.state(), QAbstractSocket::UnconnectedState);
        EXPECT_EQ(socket.error(), QAbstractSocket::UnsupportedSocketOperationError);
        EXPECT_EQ(socket.errorString(), expected);

        QSslServer server;
        server.setProxy(proxy);
        EXPECT_FALSE(server.listen(QHostAddress::AnyIPv4, 0));
        EXPECT_FALSE(server.isListening());
        EXPECT_EQ(server.serverError(), QAbstractSocket::UnsupportedSocketOperationError);
        EXPECT_EQ(server.errorString(), expected);
        EXPECT_TRUE(server.listen(QHostAddress::LocalHostIPv6, 0) || server.listen(QHostAddress::LocalHost, 0));
    }
}

TEST(QNetworkProxyQtPsk, TheResolverFollowsQtsRules)
{
    using namespace QtPskPrivate;
    QString error;
    const QNetworkProxy defaultProxy;
    EXPECT_TRUE(proxyAllowsConnect(defaultProxy, QStringLiteral("192.0.2.1"), &error));
    EXPECT_TRUE(proxyAllowsConnect(QNetworkProxy::NoProxy, QStringLiteral("192.0.2.1"), &error));
    EXPECT_TRUE(proxyAllowsBind(defaultProxy, &error));
    EXPECT_TRUE(proxyAllowsListen(defaultProxy, QHostAddress(QHostAddress::Any), &error));
    EXPECT_TRUE(error.isEmpty());

    const ApplicationProxy guard(http());
    for (const char *local : {"localhost", "LocalHost", "localhost.localdomain", "127.0.0.1",
                              "127.1", "::1", "[::1]", "::ffff:127.0.0.1"})
        EXPECT_TRUE(proxyAllowsConnect(defaultProxy, QString::fromLatin1(local), &error)) << local;
    for (const char *remote : {"localhostx", "xlocalhost", " localhost", "0.0.0.0", "::",
                               "192.0.2.1", "example.invalid"}) {
        error.clear();
        EXPECT_FALSE(proxyAllowsConnect(defaultProxy, QString::fromLatin1(remote), &error)) << remote;
        EXPECT_EQ(error, httpError) << remote;
    }
    // The object's own proxy is used even for loopback connections, and bind() never skips it.
    EXPECT_FALSE(proxyAllowsConnect(socks(), QStringLiteral("127.0.0.1"), &error));
    EXPECT_EQ(error, socksError);
    EXPECT_FALSE(proxyAllowsBind(defaultProxy, &error));
    EXPECT_TRUE(proxyAllowsBind(QNetworkProxy::NoProxy, &error));
    // listen() on loopback never uses a proxy.
    EXPECT_TRUE(proxyAllowsListen(socks(), QHostAddress(QHostAddress::LocalHost), &error));
    EXPECT_FALSE(proxyAllowsListen(defaultProxy, QHostAddress(QHostAddress::AnyIPv4), &error));
    EXPECT_FALSE(proxyAllowsListen(QNetworkProxy(QNetworkProxy::FtpCachingProxy),
                                   QHostAddress(QHostAddress::AnyIPv4), &error));
    EXPECT_EQ(error, QStringLiteral("Operation on socket is not supported"));
}

} // namespace
