// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QAbstractSocket>

#include <QHostAddress>
#include <QTcpSocket>

#include "network/qabstractsocket_p.h"
#include "transport/chunkbuffer_p.h"
#include "transport/hostresolver_p.h"
#include "transport/tcptransport_p.h"

#include <QtCore/qdebug.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qpointer.h>
#include <QtTest/qsignalspy.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "common/rawpeer.h"
#include "common/testsupport.h"

using QtPskTest::waitUntil;
using namespace QtPskPrivate;

// --- The public type, as Qt 6 declares it ---------------------------------------------------

static_assert(QAbstractSocket::ConnectionRefusedError == 0);
static_assert(QAbstractSocket::RemoteHostClosedError == 1);
static_assert(QAbstractSocket::HostNotFoundError == 2);
static_assert(QAbstractSocket::SocketTimeoutError == 5);
static_assert(QAbstractSocket::UnsupportedSocketOperationError == 10);
static_assert(QAbstractSocket::SslHandshakeFailedError == 13);
static_assert(QAbstractSocket::ProxyConnectionClosedError == 15);
static_assert(QAbstractSocket::OperationError == 19);
static_assert(QAbstractSocket::SslInternalError == 20);
static_assert(QAbstractSocket::SslInvalidUserDataError == 21);
static_assert(QAbstractSocket::TemporaryError == 22);
static_assert(QAbstractSocket::UnknownSocketError == -1);
static_assert(QAbstractSocket::UnconnectedState == 0 && QAbstractSocket::ClosingState == 6);
static_assert(QAbstractSocket::ListeningState == 5);
static_assert(QAbstractSocket::IPv4Protocol == 0 && QAbstractSocket::AnyIPProtocol == 2);
static_assert(QAbstractSocket::UnknownNetworkLayerProtocol == -1);
static_assert(QAbstractSocket::TcpSocket == 0 && QAbstractSocket::UnknownSocketType == -1);
static_assert(QAbstractSocket::LowDelayOption == 0 && QAbstractSocket::PathMtuSocketOption == 7);
static_assert(QAbstractSocket::ReuseAddressHint == 0x4 && QAbstractSocket::PauseOnSslErrors == 1);
static_assert(QMetaTypeId2<QAbstractSocket::SocketError>::Defined);
static_assert(QMetaTypeId2<QAbstractSocket::SocketState>::Defined);

TEST(QAbstractSocket, EnumsAreRegisteredWithTheMetaObjectSystem)
{
    const QMetaObject &mo = QAbstractSocket::staticMetaObject;
    for (const char *name : { "SocketType", "NetworkLayerProtocol", "SocketError", "SocketState",
                              "SocketOption" })
        EXPECT_GE(mo.indexOfEnumerator(name), 0) << name;
    // As in Qt 6.4, the flag enums are not registered (tests/parity/metaobject_test.cpp).
    for (const char *name : { "BindFlag", "PauseMode" })
        EXPECT_LT(mo.indexOfEnumerator(name), 0) << name;
    const QMetaEnum errors = QMetaEnum::fromType<QAbstractSocket::SocketError>();
    EXPECT_STREQ(errors.valueToKey(QAbstractSocket::SslInvalidUserDataError),
                 "SslInvalidUserDataError");
    EXPECT_TRUE(QMetaType::fromType<QAbstractSocket::SocketError>().isValid());
}

TEST(QAbstractSocket, DebugStreamPrintsEnumeratorNames)
{
    QString text;
    QDebug(&text) << QAbstractSocket::ConnectionRefusedError << QAbstractSocket::ConnectedState;
    EXPECT_EQ(text.trimmed().toStdString(),
              "QAbstractSocket::ConnectionRefusedError QAbstractSocket::ConnectedState");
}

TEST(QAbstractSocket, ErrorAndStateTravelThroughQSignalSpy)
{
    QTcpSocket socket;
    QSignalSpy errors(&socket, &QAbstractSocket::errorOccurred);
    QSignalSpy states(&socket, &QAbstractSocket::stateChanged);
    ASSERT_TRUE(errors.isValid());
    socket.connectToHost(QStringLiteral("no-such-host.invalid"), 1);
    ASSERT_TRUE(waitUntil([&] { return errors.count() == 1; }, 30000));
    EXPECT_EQ(errors.at(0).at(0).value<QAbstractSocket::SocketError>(),
              QAbstractSocket::HostNotFoundError);
    ASSERT_EQ(states.count(), 2);
    EXPECT_EQ(states.at(1).at(0).value<QAbstractSocket::SocketState>(),
              QAbstractSocket::UnconnectedState);
}

TEST(QAbstractSocket, CanBeConstructedDirectlyAsATcpSocket)
{
    QAbstractSocket socket(QAbstractSocket::TcpSocket, nullptr);
    EXPECT_EQ(socket.socketType(), QAbstractSocket::TcpSocket);
    EXPECT_EQ(socket.pauseMode(), QAbstractSocket::PauseNever);
    socket.setPauseMode(QAbstractSocket::PauseOnSslErrors);
    EXPECT_EQ(socket.pauseMode(), QAbstractSocket::PauseOnSslErrors);
}

// --- The stream layer a socket owns (QSslSocket's is TLS) ----------------------------------------

namespace {

// A toy "protocol": upper-cases what the application writes, lower-cases what it reads, and
// sends "<bye>" before closing. A stream layer built only from the documented interfaces.
class ShoutingLayer : public StreamLayer
{
public:
    using StreamLayer::StreamLayer;

    int connectedHookCalls = 0;
    int abortHookCalls = 0;
    int closedHookCalls = 0;

    void connected() override
    {
        ++connectedHookCalls;
        StreamLayer::connected();
    }
    void readable() override
    {
        char buffer[4096];
        bool got = false;
        for (;;) {
            int error = 0;
            const qint64 n = host().readFromWire(buffer, sizeof buffer, &error);
            if (n > 0) {
                for (qint64 done = 0; done < n;) {
                    qint64 space = 0;
                    char *to = host().reserveApplicationSpace(&space);
                    const qint64 part = qMin(space, n - done);
                    for (qint64 i = 0; i < part; ++i)
                        to[i] = char(std::tolower(static_cast<unsigned char>(buffer[done + i])));
                    host().commitApplicationBytes(part);
                    done += part;
                }
                got = true;
                continue;
            }
            if (got && !host().emitReadyRead())
                return;
            if (n < 0 && (host().state() == QAbstractSocket::ConnectedState
                          || host().state() == QAbstractSocket::ClosingState)) {
                ++closedHookCalls;
                host().closeByPeer();
            }
            return;
        }
    }
    qint64 write(const char *data, qint64 size) override
    {
        QByteArray upper(data, int(size));
        host().writeToWire(upper.toUpper().constData(), size);
        return size;
    }
    bool beginDisconnect() override
    {
        host().writeToWire("<bye>", 5);
        return true;
    }
    void aboutToAbort() override { ++abortHookCalls; }
};

class ShoutingSocket : public QTcpSocket
{
public:
    ShoutingSocket() { d_ptr->setLayer(std::make_unique<ShoutingLayer>(*d_ptr)); }
    ShoutingLayer *d() const { return static_cast<ShoutingLayer *>(d_ptr->layer()); }
};

QByteArray receiveUntilEof(int fd, int timeoutMs = 5000)
{
    QByteArray all;
    QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        pollfd p { fd, POLLIN, 0 };
        if (::poll(&p, 1, int(deadline.remainingTime())) != 1)
            return all;
        char buffer[4096];
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0)
            return all;
        all.append(buffer, n);
    }
}

} // namespace

TEST(AbstractSocketPrivate, DerivedPrivateHooksShapeTheDataPath)
{
    QtPskTest::RawListener listener;
    ASSERT_NE(listener.port(), 0);
    ShoutingSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), listener.port());
    ASSERT_TRUE(socket.waitForConnected(5000));
    EXPECT_EQ(socket.d()->connectedHookCalls, 1);
    const int server = listener.accept();
    ASSERT_GE(server, 0);

    socket.write("hello");
    EXPECT_EQ(socket.bytesToWrite(), 5); // applicationBytesToWrite() defaults to the wire bytes
    ASSERT_TRUE(socket.waitForBytesWritten(5000));
    ASSERT_EQ(::send(server, "WORLD", 5, MSG_NOSIGNAL), 5);
    ASSERT_TRUE(socket.waitForReadyRead(5000));
    EXPECT_EQ(socket.readAll(), QByteArray("world"));

    socket.disconnectFromHost(); // beginDisconnect() queues "<bye>" before the close
    EXPECT_TRUE(socket.state() == QAbstractSocket::ClosingState
                || socket.state() == QAbstractSocket::UnconnectedState);
    EXPECT_TRUE(socket.waitForDisconnected(5000));
    EXPECT_EQ(receiveUntilEof(server), QByteArray("HELLO<bye>"));
    EXPECT_EQ(socket.d()->abortHookCalls, 0);
    socket.abort();
    EXPECT_EQ(socket.d()->abortHookCalls, 1);
    ::close(server);
}

TEST(AbstractSocketPrivate, RemoteCloseGoesThroughTheTransportClosedHook)
{
    QtPskTest::RawListener listener;
    ShoutingSocket socket;
    QSignalSpy disconnected(&socket, &QAbstractSocket::disconnected);
    socket.connectToHost(QStringLiteral("127.0.0.1"), listener.port());
    ASSERT_TRUE(waitUntil([&] { return socket.state() == QAbstractSocket::ConnectedState; }));
    ::close(listener.accept());
    ASSERT_TRUE(waitUntil([&] { return disconnected.count() == 1; }));
    EXPECT_EQ(socket.d()->closedHookCalls, 1);
    EXPECT_EQ(socket.error(), QAbstractSocket::RemoteHostClosedError);
}
