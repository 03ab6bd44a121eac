// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QTcpSocket>

#include <QHostAddress>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qpointer.h>
#include <QtCore/qrandom.h>
#include <QtCore/qstringlist.h>
#include <QtTest/qsignalspy.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <tuple>

#include "common/rawpeer.h"
#include "common/testsupport.h"

using QtPskTest::waitUntil;

namespace {

using QtPskTest::RawListener;

// An owned raw descriptor.
struct Fd
{
    int fd = -1;
    explicit Fd(int f = -1) : fd(f) {}
    ~Fd() { reset(); }
    Q_DISABLE_COPY(Fd)
    void reset()
    {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
};

bool rawSendAll(int fd, const QByteArray &data)
{
    qint64 done = 0;
    while (done < data.size()) {
        const ssize_t n = ::send(fd, data.constData() + done, size_t(data.size() - done),
                                 MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        done += n;
    }
    return true;
}

// Reads until \a size bytes or EOF arrived, at most timeoutMs in total.
QByteArray rawReceive(int fd, qint64 size, int timeoutMs = 5000, bool *eof = nullptr)
{
    QByteArray result;
    QDeadlineTimer deadline(timeoutMs);
    if (eof)
        *eof = false;
    while (result.size() < size && !deadline.hasExpired()) {
        pollfd p { fd, POLLIN, 0 };
        if (::poll(&p, 1, int(deadline.remainingTime())) != 1)
            break;
        char buffer[65536];
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
            if (eof)
                *eof = n == 0;
            break;
        }
        result.append(buffer, n);
    }
    return result;
}

// A port on 127.0.0.1 with nothing listening (bound, then released).
quint16 closedPort()
{
    RawListener l;
    return l.port(); // the listener closes when it goes out of scope
}

QByteArray randomBytes(qint64 size)
{
    QByteArray data(size, Qt::Uninitialized);
    QRandomGenerator generator(1234);
    for (qint64 i = 0; i < size; ++i)
        data[i] = char(generator.generate() & 0xff);
    return data;
}

// Records every QAbstractSocket signal as a readable string, in order.
struct Recorder
{
    QStringList events;
    QObject context; // disconnects everything when the recorder goes, even before the socket
    explicit Recorder(QAbstractSocket *s)
    {
        QObject::connect(s, &QAbstractSocket::stateChanged, &context, [this](QAbstractSocket::SocketState st) {
            events << QStringLiteral("state:%1").arg(int(st));
        });
        QObject::connect(s, &QAbstractSocket::hostFound, &context, [this] { events << QStringLiteral("hostFound"); });
        QObject::connect(s, &QAbstractSocket::connected, &context, [this] { events << QStringLiteral("connected"); });
        QObject::connect(s, &QAbstractSocket::disconnected, &context, [this] { events << QStringLiteral("disconnected"); });
        QObject::connect(s, &QAbstractSocket::errorOccurred, &context, [this](QAbstractSocket::SocketError e) {
            events << QStringLiteral("error:%1").arg(int(e));
        });
        QObject::connect(s, &QIODevice::readChannelFinished, &context, [this] { events << QStringLiteral("readChannelFinished"); });
    }
    int count(const QString &event) const { return int(events.count(event)); }
};

QString st(QAbstractSocket::SocketState s) { return QStringLiteral("state:%1").arg(int(s)); }
QString err(QAbstractSocket::SocketError e) { return QStringLiteral("error:%1").arg(int(e)); }

} // namespace

TEST(QTcpSocket, DefaultConstructedIsUnconnectedAndInvalid)
{
    QTcpSocket socket;
    EXPECT_EQ(socket.state(), QAbstractSocket::UnconnectedState);
    EXPECT_EQ(socket.error(), QAbstractSocket::UnknownSocketError);
    EXPECT_EQ(socket.socketType(), QAbstractSocket::TcpSocket);
    EXPECT_EQ(socket.socketDescriptor(), -1);
    EXPECT_FALSE(socket.isValid());
    EXPECT_FALSE(socket.isOpen());
    EXPECT_TRUE(socket.isSequential());
    EXPECT_EQ(socket.readBufferSize(), 0);
    EXPECT_EQ(socket.bytesAvailable(), 0);
    EXPECT_EQ(socket.bytesToWrite(), 0);
    EXPECT_TRUE(socket.peerAddress().isNull());
    EXPECT_EQ(socket.peerPort(), 0);
    EXPECT_EQ(socket.write("x"), -1); // not open
}

TEST(QTcpSocket, ConnectsByIPv4LiteralWithQtsStateAndSignalOrder)
{
    RawListener listener;
    ASSERT_TRUE(listener.isListening());
    QTcpSocket socket;
    Recorder recorder(&socket);
    socket.connectToHost(QStringLiteral("127.0.0.1"), listener.port());
    // As measured on Qt 6.4: an IP literal goes through HostLookupState to ConnectingState
    // and hostFound() inside connectToHost(); connected() comes from the event loop.
    EXPECT_EQ(socket.state(), QAbstractSocket::ConnectingState);
    EXPECT_EQ(recorder.events, (QStringList { st(QAbstractSocket::HostLookupState),
                                              st(QAbstractSocket::ConnectingState),
                                              QStringLiteral("hostFound") }));
    EXPECT_TRUE(socket.isOpen());
    EXPECT_EQ(socket.openMode(), QIODevice::ReadWrite);

    ASSERT_TRUE(waitUntil([&] { return socket.state() == QAbstractSocket::ConnectedState; }));
    const QStringList expected { st(QAbstractSocket::HostLookupState),
                                 st(QAbstractSocket::ConnectingState), QStringLiteral("hostFound"),
                                 st(QAbstractSocket::ConnectedState), QStringLiteral("connected") };
    EXPECT_EQ(recorder.events, expected);
    EXPECT_EQ(socket.peerAddress(), QHostAddress(QStringLiteral("127.0.0.1")));
    EXPECT_EQ(socket.peerPort(), listener.port());
    EXPECT_EQ(socket.peerName(), QStringLiteral("127.0.0.1"));
    EXPECT_EQ(socket.localAddress(), QHostAddress(QStringLiteral("127.0.0.1")));
    EXPECT_NE(socket.localPort(), 0);
    EXPECT_TRUE(socket.isValid());
    EXPECT_GE(socket.socketDescriptor(), 0);

    Fd server(listener.accept());
    ASSERT_GE(server.fd, 0);
}

TEST(QTcpSocket, ConnectsByIPv6Literal)
{
    RawListener listener("::1");
    if (!listener.isListening())
        GTEST_SKIP() << "no IPv6 loopback on this machine";
    QTcpSocket socket;
    socket.connectToHost(QHostAddress(QStringLiteral("::1")), listener.port());
    ASSERT_TRUE(waitUntil([&] { return socket.state() == QAbstractSocket::ConnectedState; }));
    EXPECT_EQ(socket.peerAddress(), QHostAddress(QStringLiteral("::1")));
    EXPECT_EQ(socket.peerAddress().protocol(), QAbstractSocket::IPv6Protocol);
    EXPECT_EQ(socket.localAddress().protocol(), QAbstractSocket::IPv6Protocol);
}

TEST(QTcpSocket, ConnectsByHostNameTryingEachAddress)
{
    // "localhost" may resolve to ::1 first, where nothing listens: the socket must go on to
    // 127.0.0.1 without reporting an error.
    RawListener listener;
    ASSERT_TRUE(listener.isListening());
    QTcpSocket socket;
    Recorder recorder(&socket);
    socket.connectToHost(QStringLiteral("localhost"), listener.port());
    // A name is resolved on a worker thread: the event loop is never blocked.
    EXPECT_EQ(socket.state(), QAbstractSocket::HostLookupState);
    EXPECT_EQ(recorder.events, QStringList { st(QAbstractSocket::HostLookupState) });
    ASSERT_TRUE(waitUntil([&] { return socket.state() == QAbstractSocket::ConnectedState; }))
            << recorder.events.join(QLatin1Char(' ')).toStdString();
    EXPECT_EQ(recorder.count(QStringLiteral("hostFound")), 1);
    EXPECT_EQ(recorder.count(QStringLiteral("connected")), 1);
    EXPECT_EQ(socket.peerName(), QStringLiteral("localhost"));
    EXPECT_EQ(socket.peerAddress(), QHostAddress(QStringLiteral("127.0.0.1")));
}

TEST(QTcpSocket, ProtocolRestrictionIsHonoured)
{
    RawListener listener;
    ASSERT_TRUE(listener.isListening());
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), listener.port(), QIODevice::ReadWrite,
                         QAbstractSocket::IPv6Protocol);
    ASSERT_TRUE(waitUntil([&] { return socket.state() == QAbstractSocket::UnconnectedState; }));
    EXPECT_EQ(socket.error(), QAbstractSocket::HostNotFoundError);
}

TEST(QTcpSocket, RefusedPortGivesConnectionRefusedError)
{
    const quint16 port = closedPort();
    QTcpSocket socket;
    Recorder recorder(&socket);
    QAbstractSocket::SocketError errorSeenInSlot = QAbstractSocket::UnknownSocketError;
    QString errorStringInSlot;
    QObject::connect(&socket, &QAbstractSocket::errorOccurred, &socket, [&] {
        errorSeenInSlot = socket.error(); // set before the signal
        errorStringInSlot = socket.errorString();
    });
    socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    ASSERT_TRUE(waitUntil([&] { return recorder.count(err(QAbstractSocket::ConnectionRefusedError)) == 1; }));
    EXPECT_EQ(socket.state(), QAbstractSocket::UnconnectedState);
    EXPECT_EQ(socket.error(), QAbstractSocket::ConnectionRefusedError);
    EXPECT_EQ(errorSeenInSlot, QAbstractSocket::ConnectionRefusedError);
    EXPECT_EQ(errorStringInSlot, QStringLiteral("Connection refused"));
    const QStringList expected { st(QAbstractSocket::HostLookupState),
                                 st(QAbstractSocket::ConnectingState), QStringLiteral("hostFound"),
                                 st(QAbstractSocket::UnconnectedState),
                                 err(QAbstractSocket::ConnectionRefusedError) };
    EXPECT_EQ(recorder.events, expected);
    EXPECT_EQ(recorder.count(QStringLiteral("disconnected")), 0);
}

TEST(QTcpSocket, UnknownHostGivesHostNotFoundError)
{
    QTcpSocket socket;
    Recorder recorder(&socket);
    socket.connectToHost(QStringLiteral("no-such-host.invalid"), 80);
    ASSERT_TRUE(waitUntil([&] { return socket.state() == QAbstractSocket::UnconnectedState; }, 30000));
    EXPECT_EQ(socket.error(), QAbstractSocket::HostNotFoundError);
    EXPECT_EQ(socket.errorString(), QStringLiteral("Host not found"));
    const QStringList expected { st(QAbstractSocket::HostLookupState),
                                 st(QAbstractSocket::UnconnectedState),
                                 err(QAbstractSocket::HostNotFoundError) };
    EXPECT_EQ(recorder.events, expected);
}

TEST(QTcpSocket, ConnectWhileConnectingIsAnOperationError)
{
    RawListener listener;
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), listener.port());
    QSignalSpy errors(&socket, &QAbstractSocket::errorOccurred);
    socket.connectToHost(QStringLiteral("127.0.0.1"), listener.port());
    ASSERT_EQ(errors.count(), 1);
    EXPECT_EQ(errors.at(0).at(0).value<QAbstractSocket::SocketError>(),
              QAbstractSocket::OperationError);
    EXPECT_TRUE(waitUntil([&] { return socket.state() == QAbstractSocket::ConnectedState; }));
}

TEST(QTcpSocket, EchoesOneMebibyteBothWays)
{
    RawListener listener;
    QTcpSocket client;
    client.connectToHost(QStringLiteral("127.0.0.1"), listener.port());
    ASSERT_TRUE(waitUntil([&] { return client.state() == QAbstractSocket::ConnectedState; }));
    QTcpSocket server;
    ASSERT_TRUE(server.setSocketDescriptor(listener.accept()));
    QObject::connect(&server, &QIODevice::readyRead, &server, [&] { server.write(server.readAll()); });

    const QByteArray payload = randomBytes(1024 * 1024);
    qint64 written = 0;
    QObject::connect(&client, &QIODevice::bytesWritten, &client, [&](qint64 n) { written += n; });
    int readyReads = 0;
    QByteArray received;
    QObject::connect(&client, &QIODevice::readyRead, &client, [&] {
        ++readyReads;
        received += client.readAll();
    });
    EXPECT_EQ(client.write(payload), payload.size());
    EXPECT_EQ(client.bytesToWrite(), payload.size());
    ASSERT_TRUE(waitUntil([&] { return received.size() >= payload.size(); }, 30000));
    EXPECT_EQ(received.size(), payload.size());
    EXPECT_TRUE(received == payload);
    EXPECT_EQ(written, payload.size());
    EXPECT_EQ(client.bytesToWrite(), 0);
    // One readyRead per batch, not per 64 KiB chunk (at least some batching happens).
    EXPECT_LE(readyReads, 1024 * 1024 / 1024);
}

TEST(QTcpSocket, BytesWrittenIsNeverEmittedFromInsideWrite)
{
    RawListener listener;
    QTcpSocket client;
    client.connectToHost(QStringLiteral("127.0.0.1"), listener.port());
    ASSERT_TRUE(waitUntil([&] { return client.state() == QAbstractSocket::ConnectedState; }));
    Fd server(listener.accept());
    bool insideWrite = false;
    int emittedInside = 0;
    int emitted = 0;
    QObject::connect(&client, &QIODevice::bytesWritten, &client, [&] {
        ++emitted;
        emittedInside += insideWrite ? 1 : 0;
    });
    insideWrite = true;
    client.write("hello");
    insideWrite = false;
    EXPECT_EQ(emitted, 0);
    ASSERT_TRUE(waitUntil([&] { return emitted > 0; }));
    EXPECT_EQ(emittedInside, 0);
    EXPECT_EQ(rawReceive(server.fd, 5), QByteArray("hello"));
}

TEST(QTcpSocket, ReadLineAndCanReadLine)
{
    RawListener listener;
    QTcpSocket client;
    client.connectToHost(QStringLiteral("127.0.0.1"), listener.port());
    ASSERT_TRUE(waitUntil([&] { return client.state() == QAbstractSocket::ConnectedState; }));
    Fd server(listener.accept());
    ASSERT_TRUE(rawSendAll(server.fd, "first line\nsecond"));
    ASSERT_TRUE(waitUntil([&] { return client.bytesAvailable() == 17; }));
    EXPECT_TRUE(client.canReadLine());
    EXPECT_EQ(client.readLine(), QByteArray("first line\n"));
    EXPECT_FALSE(client.canReadLine());
    ASSERT_TRUE(rawSendAll(server.fd, " line\n"));
    ASSERT_TRUE(waitUntil([&] { return client.canReadLine(); }));
    EXPECT_EQ(client.readLine(), QByteArray("second line\n"));
    EXPECT_EQ(client.bytesAvailable(), 0);
    EXPECT_TRUE(client.atEnd());
}

TEST(QTcpSocket, RemoteCloseGivesRemoteHostClosedErrorThenDisconnected)
{
    RawListener listener;
    QTcpSocket client;
    Recorder recorder(&client);
    client.connectToHost(QStringLiteral("127.0.0.1"), listener.port());
    ASSERT_TRUE(waitUntil([&] { return client.state() == QAbstractSocket::ConnectedState; }));
    recorder.events.clear();
    {
        Fd server(listener.accept());
        ASSERT_TRUE(rawSendAll(server.fd, "bye\n"));
    }
    ASSERT_TRUE(waitUntil([&] { return recorder.count(QStringLiteral("disconnected")) == 1; }));
    const QStringList expected { err(QAbstractSocket::RemoteHostClosedError),
                                 st(QAbstractSocket::ClosingState),
                                 st(QAbstractSocket::UnconnectedState),
                                 QStringLiteral("readChannelFinished"),
                                 QStringLiteral("disconnected") };
    EXPECT_EQ(recorder.events, expected);
    EXPECT_EQ(client.error(), QAbstractSocket::RemoteHostClosedError);
    EXPECT_EQ(client.state(), QAbstractSocket::UnconnectedState);
    // As in Qt, the data received before the close stays readable.
    EXPECT_TRUE(client.isOpen());
    EXPECT_EQ(client.readAll(), QByteArray("bye\n"));
}

TEST(QTcpSocket, DisconnectFromHostFlushesPendingWritesFirst)
{
    RawListener listener;
    QTcpSocket client;
    Recorder recorder(&client);
    client.connectToHost(QStringLiteral("127.0.0.1"), listener.port());
    ASSERT_TRUE(waitUntil([&] { return client.state() == QAbstractSocket::ConnectedState; }));
    Fd server(listener.accept());
    const QByteArray payload = randomBytes(4 * 1024 * 1024);
    client.write(payload);
    client.disconnectFromHost();
    EXPECT_EQ(client.state(), QAbstractSocket::ClosingState);
    QByteArray received;
    bool eof = false;
    ASSERT_TRUE(waitUntil([&] {
        char buffer[65536];
        for (;;) {
            const ssize_t n = ::recv(server.fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n > 0) {
                received.append(buffer, n);
                continue;
            }
            eof = eof || n == 0;
            break;
        }
        return eof && client.state() == QAbstractSocket::UnconnectedState;
    }, 30000));
    EXPECT_TRUE(received == payload);
    EXPECT_EQ(recorder.count(QStringLiteral("disconnected")), 1);
    EXPECT_EQ(recorder.count(err(QAbstractSocket::RemoteHostClosedError)), 0);
}

TEST(QTcpSocket, DisconnectFromHostWhileConnectingClosesOnceConnected)
{
    RawListener listener;
    QTcpSocket client;
    Recorder recorder(&client);
    client.connectToHost(QStringLiteral("127.0.0.1"), listener.port());
    client.disconnectFromHost();
    ASSERT_TRUE(waitUntil([&] { return recorder.count(QStringLiteral("disconnected")) == 1; }));
    EXPECT_EQ(recorder.count(QStringLiteral("connected")), 1);
}

TEST(QTcpSocket, WaitForFunctionsWorkWithoutAnEventLoop)
{
    RawListener listener;
    QTcpSocket client;
    Recorder recorder(&client);
    int bytesWrittenSignals = 0;
    int readyReadSignals = 0;
    QObject::connect(&client, &QIODevice::bytesWritten, &client, [&] { ++bytesWrittenSignals; });
    QObject::connect(&client, &QIODevice::readyRead, &client, [&] { ++readyReadSignals; });

    client.connectToHost(QStringLiteral("localhost"), listener.port());
    ASSERT_TRUE(client.waitForConnected(10000)) << client.errorString().toStdString();
    EXPECT_EQ(recorder.count(QStringLiteral("hostFound")), 1);
    EXPECT_EQ(recorder.count(QStringLiteral("connected")), 1);
    Fd server(listener.accept());
    ASSERT_GE(server.fd, 0);

    client.write("ping\n");
    ASSERT_TRUE(client.waitForBytesWritten(5000));
    EXPECT_EQ(bytesWrittenSignals, 1);
    EXPECT_EQ(rawReceive(server.fd, 5), QByteArray("ping\n"));

    EXPECT_FALSE(client.waitForReadyRead(50)); // nothing sent yet: a bounded timeout
    EXPECT_EQ(client.error(), QAbstractSocket::SocketTimeoutError);
    EXPECT_EQ(client.state(), QAbstractSocket::ConnectedState);

    ASSERT_TRUE(rawSendAll(server.fd, "pong\n"));
    ASSERT_TRUE(client.waitForReadyRead(5000));
    EXPECT_EQ(readyReadSignals, 1);
    EXPECT_EQ(client.readLine(), QByteArray("pong\n"));

    server.reset();
    EXPECT_TRUE(client.waitForDisconnected(5000));
    EXPECT_EQ(client.state(), QAbstractSocket::UnconnectedState);
    EXPECT_EQ(client.error(), QAbstractSocket::RemoteHostClosedError);
    EXPECT_EQ(recorder.count(QStringLiteral("disconnected")), 1);
    EXPECT_FALSE(client.waitForDisconnected(10)); // already unconnected
}

TEST(QTcpSocket, WaitForConnectedReportsRefusal)
{
    QTcpSocket client;
    client.connectToHost(QStringLiteral("127.0.0.1"), closedPort());
    EXPECT_FALSE(client.waitForConnected(5000));
    EXPECT_EQ(client.error(), QAbstractSocket::ConnectionRefusedError);
    EXPECT_EQ(client.state(), QAbstractSocket::UnconnectedState);
}

TEST(QTcpSocket, SetSocketDescriptorAdoptsAnAcceptedDescriptor)
{
    RawListener listener;
    Fd peer(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(listener.port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(peer.fd, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
    const int accepted = listener.accept();
    ASSERT_GE(accepted, 0);

    QTcpSocket socket;
    QSignalSpy states(&socket, &QAbstractSocket::stateChanged);
    ASSERT_TRUE(socket.setSocketDescriptor(accepted));
    EXPECT_EQ(socket.socketDescriptor(), accepted);
    EXPECT_EQ(socket.state(), QAbstractSocket::ConnectedState);
    EXPECT_EQ(states.count(), 1);
    EXPECT_EQ(socket.openMode(), QIODevice::ReadWrite);
    EXPECT_EQ(socket.localPort(), listener.port());
    EXPECT_EQ(socket.peerAddress(), QHostAddress(QStringLiteral("127.0.0.1")));
    EXPECT_TRUE(socket.peerName().isEmpty());

    ASSERT_TRUE(rawSendAll(peer.fd, "data"));
    ASSERT_TRUE(waitUntil([&] { return socket.bytesAvailable() == 4; }));
    EXPECT_EQ(socket.readAll(), QByteArray("data"));
    socket.write("back");
    ASSERT_TRUE(socket.waitForBytesWritten(5000));
    EXPECT_EQ(rawReceive(peer.fd, 4), QByteArray("back"));

    QTcpSocket invalid;
    EXPECT_FALSE(invalid.setSocketDescriptor(-1));
    EXPECT_EQ(invalid.state(), QAbstractSocket::UnconnectedState);
}

TEST(QTcpSocket, SocketOptionsAreAppliedBeforeAndAfterConnecting)
{
    RawListener listener;
    QTcpSocket socket;
    socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
    socket.connectToHost(QStringLiteral("127.0.0.1"), listener.port());
    ASSERT_TRUE(waitUntil([&] { return socket.state() == QAbstractSocket::ConnectedState; }));
    EXPECT_EQ(socket.socketOption(QAbstractSocket::LowDelayOption).toInt(), 1);
    EXPECT_EQ(socket.socketOption(QAbstractSocket::KeepAliveOption).toInt(), 0);
    socket.setSocketOption(QAbstractSocket::KeepAliveOption, 1);
    EXPECT_EQ(socket.socketOption(QAbstractSocket::KeepAliveOption).toInt(), 1);
    socket.setSocketOption(QAbstractSocket::LowDelayOption, 0);
    EXPECT_EQ(socket.socketOption(QAbstractSocket::LowDelayOption).toInt(), 0);
    EXPECT_GT(socket.socketOption(QAbstractSocket::ReceiveBufferSizeSocketOption).toInt(), 0);
    EXPECT_FALSE(socket.socketOption(QAbstractSocket::MulticastTtlOption).isValid());
}

TEST(QTcpSocket, ReadBufferSizeLimitsBuffering)
{
    RawListener listener;
    QTcpSocket client;
    client.setReadBufferSize(1000);
    EXPECT_EQ(client.readBufferSize(), 1000);
    client.connectToHost(QStringLiteral("127.0.0.1"), listener.port());
    ASSERT_TRUE(waitUntil([&] { return client.state() == QAbstractSocket::ConnectedState; }));
    Fd server(listener.accept());
    const QByteArray payload = randomBytes(100 * 1024);
    ASSERT_TRUE(rawSendAll(server.fd, payload));
    ASSERT_TRUE(waitUntil([&] { return client.bytesAvailable() >= 1000; }));
    // The socket keeps at most the limit however long the loop runs.
    EXPECT_FALSE(waitUntil([&] { return client.bytesAvailable() > 1000; }, 200));
    EXPECT_EQ(client.bytesAvailable(), 1000);
    // Reading makes room; everything arrives in the end.
    QByteArray received;
    ASSERT_TRUE(waitUntil([&] {
        received += client.readAll();
        return received.size() >= payload.size();
    }, 20000));
    EXPECT_TRUE(received == payload);
}

TEST(QTcpSocket, AbortDuringLookupDropsTheResult)
{
    RawListener listener;
    QTcpSocket socket;
    Recorder recorder(&socket);
    socket.connectToHost(QStringLiteral("localhost"), listener.port());
    socket.abort();
    EXPECT_EQ(socket.state(), QAbstractSocket::UnconnectedState);
    EXPECT_FALSE(socket.isOpen());
    // Whatever the resolver still delivers must be ignored; poll the loop until the next,
    // independent connection proves the loop ran.
    QTcpSocket other;
    other.connectToHost(QStringLiteral("localhost"), listener.port());
    ASSERT_TRUE(waitUntil([&] { return other.state() == QAbstractSocket::ConnectedState; }));
    EXPECT_EQ(recorder.count(QStringLiteral("hostFound")), 0);
    EXPECT_EQ(recorder.count(QStringLiteral("connected")), 0);
    EXPECT_EQ(socket.state(), QAbstractSocket::UnconnectedState);
}

TEST(QTcpSocket, DeletedDuringLookupIsSafe)
{
    RawListener listener;
    for (int i = 0; i < 20; ++i) {
        auto *socket = new QTcpSocket;
        socket->connectToHost(QStringLiteral("localhost"), listener.port());
        delete socket;
    }
    QTcpSocket other;
    other.connectToHost(QStringLiteral("localhost"), listener.port());
    EXPECT_TRUE(waitUntil([&] { return other.state() == QAbstractSocket::ConnectedState; }));
}

TEST(QTcpSocket, BindThenConnectUsesTheBoundPort)
{
    RawListener listener;
    QTcpSocket socket;
    ASSERT_TRUE(socket.bind(QHostAddress(QStringLiteral("127.0.0.1")), 0));
    EXPECT_EQ(socket.state(), QAbstractSocket::BoundState);
    const quint16 port = socket.localPort();
    EXPECT_NE(port, 0);
    socket.connectToHost(QStringLiteral("127.0.0.1"), listener.port());
    ASSERT_TRUE(waitUntil([&] { return socket.state() == QAbstractSocket::ConnectedState; }));
    EXPECT_EQ(socket.localPort(), port);
}

// --- Re-entrancy: a slot acts on the socket in the middle of an emission ------------------

enum class Trigger { HostFound, Connected, ReadyRead, ErrorOccurred, Disconnected, StateChangedToConnected,
                     StateChangedToLookup };
enum class Action { Abort, Close, DisconnectFromHost, DeleteLater, DeleteFromQueuedSlot };

class QTcpSocketReentrancy : public ::testing::TestWithParam<std::tuple<Trigger, Action>>
{
};

TEST_P(QTcpSocketReentrancy, SlotMayAbortCloseOrDeleteTheSocket)
{
    const auto [trigger, action] = GetParam();
    RawListener listener;
    QPointer<QTcpSocket> socket = new QTcpSocket;
    Recorder recorder(socket);
    QObject context;
    bool acted = false;
    auto act = [&] {
        if (acted || !socket)
            return;
        acted = true;
        switch (action) {
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
            socket->deleteLater();
            break;
        case Action::DeleteFromQueuedSlot:
            QMetaObject::invokeMethod(&context, [&] { delete socket.data(); }, Qt::QueuedConnection);
            break;
        }
    };
    switch (trigger) {
    case Trigger::HostFound: // emitted from inside connectToHost() for an IP literal
        QObject::connect(socket, &QAbstractSocket::hostFound, &context, act);
        break;
    case Trigger::Connected:
        QObject::connect(socket, &QAbstractSocket::connected, &context, act);
        break;
    case Trigger::ReadyRead:
        QObject::connect(socket, &QIODevice::readyRead, &context, act);
        break;
    case Trigger::ErrorOccurred:
        QObject::connect(socket, &QAbstractSocket::errorOccurred, &context, act);
        break;
    case Trigger::Disconnected:
        QObject::connect(socket, &QAbstractSocket::disconnected, &context, act);
        break;
    case Trigger::StateChangedToConnected:
    case Trigger::StateChangedToLookup:
        QObject::connect(socket, &QAbstractSocket::stateChanged, &context,
                         [&, trigger = trigger](QAbstractSocket::SocketState s) {
                             if ((trigger == Trigger::StateChangedToConnected
                                  && s == QAbstractSocket::ConnectedState)
                                 || (trigger == Trigger::StateChangedToLookup
                                     && s == QAbstractSocket::HostLookupState))
                                 act();
                         });
        break;
    }

    socket->connectToHost(QStringLiteral("127.0.0.1"), listener.port());
    Fd server;
    // Drive the scenario: accept, then send data and close the server side.
    const bool done = waitUntil([&] {
        if (server.fd < 0 && (!socket || socket->state() == QAbstractSocket::ConnectedState
                              || socket->state() == QAbstractSocket::ClosingState)) {
            server.fd = listener.accept(0);
            if (server.fd >= 0) {
                rawSendAll(server.fd, "data\n");
                server.reset(); // remote close: errorOccurred + disconnected
            }
        }
        return acted && (!socket || socket->state() == QAbstractSocket::UnconnectedState);
    }, 10000);
    ASSERT_TRUE(done) << "acted=" << acted << " events: "
                      << recorder.events.join(QLatin1Char(' ')).toStdString();
    if (action == Action::DeleteLater || action == Action::DeleteFromQueuedSlot) {
        EXPECT_TRUE(waitUntil([&] { return socket.isNull(); }));
    }
    // Let anything still queued run: it must not touch a closed or deleted socket.
    QCoreApplication::processEvents();
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    EXPECT_LE(recorder.count(QStringLiteral("disconnected")), 1);
    EXPECT_LE(recorder.count(QStringLiteral("connected")), 1);
    EXPECT_LE(recorder.count(err(QAbstractSocket::RemoteHostClosedError)), 1);
    delete socket.data();
}

INSTANTIATE_TEST_SUITE_P(
        AllTriggersAndActions, QTcpSocketReentrancy,
        ::testing::Combine(::testing::Values(Trigger::HostFound, Trigger::Connected, Trigger::ReadyRead,
                                             Trigger::ErrorOccurred, Trigger::Disconnected,
                                             Trigger::StateChangedToConnected,
                                             Trigger::StateChangedToLookup),
                           ::testing::Values(Action::Abort, Action::Close,
                                             Action::DisconnectFromHost, Action::DeleteLater,
                                             Action::DeleteFromQueuedSlot)));
