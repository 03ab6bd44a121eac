// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QUdpSocket and QNetworkDatagram: whole traces (every signal with its arguments, states, return
// values, errors and their strings, in order) of binding, sending, receiving (readyRead() once
// until a datagram is read), connected UDP (read() and write()), time-outs, closing and the
// errors a UDP socket reports. The same source is built against Qt6::Network
// (QTPSK_PARITY_AGAINST_QTNETWORK, the ground truth) and against QtPsk.
//
// QTPSK_PRINT_TRACES=1 prints each trace in the form of the expectations below.
#include "signaltrace.h"

#include <QNetworkDatagram>
#include <QUdpSocket>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qhash.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/testsupport.h"

using namespace Parity;
using QtPskTest::waitUntil;

namespace {

using Trace = std::vector<std::string>;

const QHostAddress localhost(QHostAddress::LocalHost);

class UdpParity : public ::testing::Test
{
protected:
    void SetUp() override
    {
        trace.setFilter([](const QByteArray &name) { return name == "destroyed"; });
    }

    // Watches \a socket as \a label; its port prints as "<label>.port" in notes.
    void watch(QUdpSocket *socket, const QString &label)
    {
        trace.watch(socket, label);
        labels.insert(socket, label);
    }

    // The text of \a port: the label of the watched socket bound to it, or the number.
    QString portText(quint16 port) const
    {
        for (auto it = labels.cbegin(); it != labels.cend(); ++it) {
            if (port != 0 && it.key()->localPort() == port)
                return it.value() + QStringLiteral(".port");
        }
        return QString::number(port);
    }

    QString addressText(const QHostAddress &address) const
    {
        return address.isNull() ? QStringLiteral("null")
                                : address.toString() + QLatin1Char('/')
                        + QString::number(int(address.protocol()));
    }

    void note(const QString &line) { trace.note(line); }

    // state, error and errorString of \a socket as one note.
    void noteSocket(QUdpSocket *socket, const QString &label)
    {
        note(QStringLiteral("%1: state=%2 error=%3 \"%4\" open=%5 valid=%6")
                     .arg(label)
                     .arg(int(socket->state()))
                     .arg(int(socket->error()))
                     .arg(socket->errorString())
                     .arg(int(socket->openMode()))
                     .arg(socket->isValid()));
    }

    void noteDatagram(const QString &label, const QNetworkDatagram &d)
    {
        const QString senderPort = d.senderPort() < 0 ? QStringLiteral("-1")
                                                      : portText(quint16(d.senderPort()));
        const QString destinationPort = d.destinationPort() < 0
                ? QStringLiteral("-1")
                : portText(quint16(d.destinationPort()));
        note(label + QStringLiteral(": valid=") + QString::number(d.isValid())
             + QStringLiteral(" data=\"") + QString::fromLatin1(d.data().toHex())
             + QStringLiteral("\" sender=") + addressText(d.senderAddress()) + QLatin1Char(':')
             + senderPort + QStringLiteral(" destination=") + addressText(d.destinationAddress())
             + QLatin1Char(':') + destinationPort + QStringLiteral(" hops=")
             + (d.hopLimit() > 0 ? QStringLiteral(">0") : QString::number(d.hopLimit()))
             + QStringLiteral(" interface=")
             + (d.interfaceIndex() > 0 ? QStringLiteral(">0")
                                       : QString::number(d.interfaceIndex())));
    }

    void expectTrace(const Trace &expected, const char *name)
    {
        if (qEnvironmentVariableIsSet("QTPSK_PRINT_TRACES")) {
            std::printf("// %s\n", name);
            for (const std::string &line : trace.lines()) {
                std::string escaped;
                for (char c : line) {
                    if (c == '"' || c == '\\')
                        escaped += '\\';
                    escaped += c;
                }
                std::printf("        \"%s\",\n", escaped.c_str());
            }
        }
        EXPECT_EQ(trace.lines(), expected) << trace.text();
    }

    SignalTrace trace;
    QHash<QUdpSocket *, QString> labels;
};

TEST(UdpParityDatagram, Values)
{
    QNetworkDatagram empty;
    EXPECT_FALSE(empty.isValid());
    EXPECT_TRUE(empty.isNull());
    EXPECT_EQ(empty.senderPort(), -1);
    EXPECT_EQ(empty.destinationPort(), -1);
    EXPECT_EQ(empty.hopLimit(), -1);
    EXPECT_EQ(empty.interfaceIndex(), 0u);
    EXPECT_TRUE(empty.data().isNull());

    QNetworkDatagram d(QByteArrayLiteral("abc"), localhost, 5683);
    EXPECT_TRUE(d.isValid());
    EXPECT_EQ(d.destinationAddress(), localhost);
    EXPECT_EQ(d.destinationPort(), 5683);
    EXPECT_EQ(d.senderPort(), -1);
    EXPECT_TRUE(d.senderAddress().isNull());
    QNetworkDatagram copy = d;
    copy.setData(QByteArrayLiteral("xyz"));
    copy.setHopLimit(7);
    copy.setInterfaceIndex(3);
    copy.setSender(QHostAddress(QStringLiteral("::1")), 99);
    EXPECT_EQ(d.data(), QByteArrayLiteral("abc"));
    EXPECT_EQ(d.hopLimit(), -1);
    EXPECT_EQ(copy.hopLimit(), 7);
    EXPECT_EQ(copy.interfaceIndex(), 3u);
    EXPECT_EQ(copy.senderPort(), 99);
    copy.setSender(QHostAddress(QStringLiteral("::1")));
    EXPECT_EQ(copy.senderPort(), 0);

    QNetworkDatagram onlyData(QByteArrayLiteral("x"));
    EXPECT_FALSE(onlyData.isValid());
    EXPECT_EQ(onlyData.destinationPort(), -1);

    copy.clear();
    EXPECT_FALSE(copy.isValid());
    EXPECT_TRUE(copy.data().isEmpty());
    EXPECT_EQ(copy.hopLimit(), -1);
    EXPECT_EQ(copy.interfaceIndex(), 0u);
    EXPECT_EQ(copy.senderPort(), -1);
    EXPECT_EQ(copy.destinationPort(), -1);
    copy.setDestination(localhost, 1);
    EXPECT_EQ(copy.destinationPort(), 1); // clear() does not reset the ports, only addresses

    QNetworkDatagram moved = std::move(d);
    EXPECT_EQ(moved.data(), QByteArrayLiteral("abc"));
    QNetworkDatagram swapped;
    swapped.swap(moved);
    EXPECT_EQ(swapped.data(), QByteArrayLiteral("abc"));
    EXPECT_FALSE(moved.isValid());
}

// makeReply() of a datagram received at \a destination: the reply's fields.
std::string replyFields(const QNetworkDatagram &reply)
{
    return QStringLiteral("data=%1 sender=%2:%3 destination=%4:%5 hops=%6 interface=%7")
            .arg(QString::fromLatin1(reply.data()))
            .arg(reply.senderAddress().toString())
            .arg(reply.senderPort())
            .arg(reply.destinationAddress().toString())
            .arg(reply.destinationPort())
            .arg(reply.hopLimit())
            .arg(reply.interfaceIndex())
            .toStdString();
}

TEST(UdpParityDatagram, MakeReply)
{
    const auto received = [](const QHostAddress &destination) {
        QNetworkDatagram d(QByteArrayLiteral("req"));
        d.setSender(QHostAddress(QStringLiteral("10.0.0.2")), 4000);
        d.setDestination(destination, 5683);
        d.setHopLimit(60);
        d.setInterfaceIndex(2);
        return d;
    };
    const QNetworkDatagram unicast = received(QHostAddress(QStringLiteral("10.0.0.1")));
    EXPECT_EQ(replyFields(unicast.makeReply(QByteArrayLiteral("rep"))),
              "data=rep sender=10.0.0.1:5683 destination=10.0.0.2:4000 hops=-1 interface=2");
    EXPECT_EQ(replyFields(received(QHostAddress(QStringLiteral("10.0.0.1")))
                                  .makeReply(QByteArrayLiteral("rep"))),
              "data=rep sender=10.0.0.1:5683 destination=10.0.0.2:4000 hops=-1 interface=2");
    const QNetworkDatagram multicast = received(QHostAddress(QStringLiteral("224.0.1.187")));
    EXPECT_EQ(replyFields(multicast.makeReply(QByteArrayLiteral("rep"))),
              "data=rep sender=:-1 destination=10.0.0.2:4000 hops=-1 interface=2");
    EXPECT_EQ(replyFields(received(QHostAddress(QStringLiteral("224.0.1.187")))
                                  .makeReply(QByteArrayLiteral("rep"))),
              "data=rep sender=:-1 destination=10.0.0.2:4000 hops=-1 interface=2");
    // Only a multicast destination leaves the sender to the system; a broadcast one does not.
    const QNetworkDatagram broadcast = received(QHostAddress::Broadcast);
    EXPECT_EQ(replyFields(broadcast.makeReply(QByteArrayLiteral("rep"))),
              "data=rep sender=255.255.255.255:5683 destination=10.0.0.2:4000 hops=-1 interface=2");
}

TEST_F(UdpParity, BindLocalhostAndAny)
{
    QUdpSocket a;
    QUdpSocket b;
    watch(&a, QStringLiteral("a"));
    watch(&b, QStringLiteral("b"));
    note(QStringLiteral("bind a: %1").arg(a.bind(localhost, 0)));
    noteSocket(&a, QStringLiteral("a"));
    note(QStringLiteral("a local=%1 port>0=%2 type=%3")
                 .arg(addressText(a.localAddress()))
                 .arg(a.localPort() > 0)
                 .arg(int(a.socketType())));
    note(QStringLiteral("bind b: %1").arg(b.bind()));
    noteSocket(&b, QStringLiteral("b"));
    note(QStringLiteral("b local=%1 peer=%2:%3")
                 .arg(addressText(b.localAddress()))
                 .arg(addressText(b.peerAddress()))
                 .arg(b.peerPort()));
    note(QStringLiteral("bind a again: %1").arg(a.bind(localhost, 0)));
    noteSocket(&a, QStringLiteral("a"));
    a.close();
    noteSocket(&a, QStringLiteral("a"));
    note(QStringLiteral("a local=%1 port=%2").arg(addressText(a.localAddress())).arg(a.localPort()));
    b.abort();
    noteSocket(&b, QStringLiteral("b"));
    expectTrace({
        "a.stateChanged(BoundState)",
        "bind a: 1",
        "a: state=4 error=-1 \"Unknown error\" open=0 valid=1",
        "a local=127.0.0.1/0 port>0=1 type=1",
        "b.stateChanged(BoundState)",
        "bind b: 1",
        "b: state=4 error=-1 \"Unknown error\" open=0 valid=1",
        "b local=0.0.0.0/2 peer=null:0",
        "a.errorOccurred(UnknownSocketError)",
        "bind a again: 0",
        "a: state=4 error=-1 \"Unknown error\" open=0 valid=1",
        "a.stateChanged(ClosingState)",
        "a.stateChanged(UnconnectedState)",
        "a.readChannelFinished()",
        "a.disconnected()",
        "a: state=0 error=-1 \"Unknown error\" open=0 valid=0",
        "a local=null port=0",
        "b.stateChanged(UnconnectedState)",
        "b.readChannelFinished()",
        "b: state=0 error=-1 \"Unknown error\" open=0 valid=0",
    }, "BindLocalhostAndAny");
}

TEST_F(UdpParity, BindModes)
{
    QUdpSocket first;
    ASSERT_TRUE(first.bind(localhost, 0));
    const quint16 port = first.localPort();
    QUdpSocket second;
    watch(&second, QStringLiteral("second"));
    note(QStringLiteral("default: %1").arg(second.bind(localhost, port)));
    noteSocket(&second, QStringLiteral("second"));
    note(QStringLiteral("dont share: %1")
                 .arg(second.bind(localhost, port, QAbstractSocket::DontShareAddress)));
    noteSocket(&second, QStringLiteral("second"));

    QUdpSocket shared1;
    QUdpSocket shared2;
    watch(&shared2, QStringLiteral("shared2"));
    ASSERT_TRUE(shared1.bind(localhost, 0, QAbstractSocket::ShareAddress));
    note(QStringLiteral("share: %1")
                 .arg(shared2.bind(localhost, shared1.localPort(), QAbstractSocket::ShareAddress)));
    noteSocket(&shared2, QStringLiteral("shared2"));

    QUdpSocket remote;
    watch(&remote, QStringLiteral("remote"));
    note(QStringLiteral("not local: %1")
                 .arg(remote.bind(QHostAddress(QStringLiteral("192.0.2.1")), 0)));
    noteSocket(&remote, QStringLiteral("remote"));
    expectTrace({
        "second.errorOccurred(AddressInUseError)",
        "default: 0",
        "second: state=0 error=8 \"The bound address is already in use\" open=0 valid=1",
        "second.errorOccurred(AddressInUseError)",
        "dont share: 0",
        "second: state=0 error=8 \"The bound address is already in use\" open=0 valid=1",
        "shared2.stateChanged(BoundState)",
        "share: 1",
        "shared2: state=4 error=-1 \"Unknown error\" open=0 valid=1",
        "remote.errorOccurred(SocketAddressNotAvailableError)",
        "not local: 0",
        "remote: state=0 error=9 \"The address is not available\" open=0 valid=1",
    }, "BindModes");
}

TEST_F(UdpParity, SendAndReceive)
{
    QUdpSocket receiver;
    QUdpSocket sender;
    watch(&receiver, QStringLiteral("receiver"));
    watch(&sender, QStringLiteral("sender"));
    ASSERT_TRUE(receiver.bind(localhost, 0));
    note(QStringLiteral("pending before: %1 size=%2")
                 .arg(receiver.hasPendingDatagrams())
                 .arg(receiver.pendingDatagramSize()));
    // An unbound sender binds first (Any, an ephemeral port).
    note(QStringLiteral("write 1: %1")
                 .arg(sender.writeDatagram(QByteArrayLiteral("one"), localhost,
                                           receiver.localPort())));
    noteSocket(&sender, QStringLiteral("sender"));
    note(QStringLiteral("sender local=%1").arg(addressText(sender.localAddress())));
    note(QStringLiteral("write 2: %1")
                 .arg(sender.writeDatagram("second", 6, localhost, receiver.localPort())));
    note(QStringLiteral("write empty: %1")
                 .arg(sender.writeDatagram(QByteArray(), localhost, receiver.localPort())));
    int readyReads = 0;
    QObject::connect(&receiver, &QUdpSocket::readyRead, [&readyReads] { ++readyReads; });
    ASSERT_TRUE(waitUntil([&] { return readyReads > 0; }));
    // Still one readyRead() while nothing is read.
    QCoreApplication::processEvents();
    QCoreApplication::processEvents();
    note(QStringLiteral("pending: %1 size=%2 available=%3")
                 .arg(receiver.hasPendingDatagrams())
                 .arg(receiver.pendingDatagramSize())
                 .arg(receiver.bytesAvailable()));
    QHostAddress from;
    quint16 fromPort = 0;
    char buffer[16] = {};
    const qint64 n = receiver.readDatagram(buffer, 2, &from, &fromPort); // cut: the rest is lost
    note(QStringLiteral("read: %1 \"%2\" from %3:%4")
                 .arg(n)
                 .arg(QString::fromLatin1(buffer, int(qMax<qint64>(n, 0))))
                 .arg(addressText(from))
                 .arg(portText(fromPort)));
    ASSERT_TRUE(waitUntil([&] { return readyReads > 1; }));
    noteDatagram(QStringLiteral("receive"), receiver.receiveDatagram());
    ASSERT_TRUE(waitUntil([&] { return readyReads > 2; }));
    note(QStringLiteral("pending empty: %1 size=%2")
                 .arg(receiver.hasPendingDatagrams())
                 .arg(receiver.pendingDatagramSize()));
    noteDatagram(QStringLiteral("receive empty"), receiver.receiveDatagram());
    note(QStringLiteral("pending after: %1 size=%2")
                 .arg(receiver.hasPendingDatagrams())
                 .arg(receiver.pendingDatagramSize()));
    noteDatagram(QStringLiteral("receive none"), receiver.receiveDatagram());
    noteSocket(&receiver, QStringLiteral("receiver"));
    expectTrace({
        "receiver.stateChanged(BoundState)",
        "pending before: 0 size=-1",
        "sender.stateChanged(BoundState)",
        "sender.bytesWritten(3)",
        "write 1: 3",
        "sender: state=4 error=-1 \"Unknown error\" open=0 valid=1",
        "sender local=0.0.0.0/2",
        "sender.bytesWritten(6)",
        "write 2: 6",
        "sender.bytesWritten(0)",
        "write empty: 0",
        "receiver.readyRead()",
        "receiver.channelReadyRead(0)",
        "pending: 1 size=3 available=3",
        "read: 2 \"on\" from 127.0.0.1/0:sender.port",
        "receiver.readyRead()",
        "receiver.channelReadyRead(0)",
        "receive: valid=1 data=\"7365636f6e64\" sender=127.0.0.1/0:sender.port destination=127.0.0.1/0:receiver.port hops=>0 interface=>0",
        "receiver.readyRead()",
        "receiver.channelReadyRead(0)",
        "pending empty: 1 size=0",
        "receive empty: valid=1 data=\"\" sender=127.0.0.1/0:sender.port destination=127.0.0.1/0:receiver.port hops=>0 interface=>0",
        "pending after: 0 size=-1",
        "receive none: valid=0 data=\"\" sender=null:-1 destination=null:-1 hops=-1 interface=0",
        "receiver: state=4 error=-1 \"Unknown error\" open=0 valid=1",
    }, "SendAndReceive");
}

TEST_F(UdpParity, DatagramHeaderAndDualStack)
{
    QUdpSocket receiver;
    QUdpSocket sender;
    watch(&receiver, QStringLiteral("receiver"));
    watch(&sender, QStringLiteral("sender"));
    ASSERT_TRUE(receiver.bind(QHostAddress::Any, 0));
    ASSERT_TRUE(sender.bind(localhost, 0));
    QNetworkDatagram out(QByteArrayLiteral("hi"), localhost, receiver.localPort());
    out.setHopLimit(5);
    note(QStringLiteral("write: %1").arg(sender.writeDatagram(out)));
    ASSERT_TRUE(receiver.waitForReadyRead(10000));
    QNetworkDatagram in = receiver.receiveDatagram();
    noteDatagram(QStringLiteral("in"), in);
    note(QStringLiteral("hops=%1").arg(in.hopLimit()));
    // The reply goes back through makeReply(), from the address the request arrived at.
    note(QStringLiteral("reply: %1")
                 .arg(receiver.writeDatagram(in.makeReply(QByteArrayLiteral("ok")))));
    ASSERT_TRUE(sender.waitForReadyRead(10000));
    noteDatagram(QStringLiteral("reply"), sender.receiveDatagram());
    expectTrace({
        "receiver.stateChanged(BoundState)",
        "sender.stateChanged(BoundState)",
        "sender.bytesWritten(2)",
        "write: 2",
        "receiver.readyRead()",
        "receiver.channelReadyRead(0)",
        "in: valid=1 data=\"6869\" sender=::ffff:127.0.0.1/1:sender.port destination=::ffff:127.0.0.1%1/1:receiver.port hops=-1 interface=>0",
        "hops=-1",
        "receiver.bytesWritten(2)",
        "reply: 2",
        "sender.readyRead()",
        "sender.channelReadyRead(0)",
        "reply: valid=1 data=\"6f6b\" sender=127.0.0.1/0:receiver.port destination=127.0.0.1/0:sender.port hops=>0 interface=>0",
    }, "DatagramHeaderAndDualStack");
}

TEST_F(UdpParity, Errors)
{
    QUdpSocket socket;
    watch(&socket, QStringLiteral("socket"));
    note(QStringLiteral("unbound: pending=%1 size=%2 read=%3")
                 .arg(socket.hasPendingDatagrams())
                 .arg(socket.pendingDatagramSize())
                 .arg(socket.readDatagram(nullptr, 0)));
    noteDatagram(QStringLiteral("unbound receive"), socket.receiveDatagram());
    note(QStringLiteral("write unconnected: %1").arg(socket.write("x", 1)));
    noteSocket(&socket, QStringLiteral("socket"));
    ASSERT_TRUE(socket.bind(localhost, 0));
    const QByteArray large(70000, 'x');
    note(QStringLiteral("too large: %1")
                 .arg(socket.writeDatagram(large, localhost, socket.localPort())));
    noteSocket(&socket, QStringLiteral("socket"));
    note(QStringLiteral("to IPv6 from IPv4: %1")
                 .arg(socket.writeDatagram(QByteArrayLiteral("x"), QHostAddress::LocalHostIPv6, 9)));
    noteSocket(&socket, QStringLiteral("socket"));
    note(QStringLiteral("to null: %1")
                 .arg(socket.writeDatagram(QByteArrayLiteral("x"), QHostAddress(), 9)));
    noteSocket(&socket, QStringLiteral("socket"));
    note(QStringLiteral("write bound: %1").arg(socket.write("x", 1)));
    noteSocket(&socket, QStringLiteral("socket"));
    note(QStringLiteral("wait: %1").arg(socket.waitForReadyRead(50)));
    noteSocket(&socket, QStringLiteral("socket"));
    expectTrace({
        "unbound: pending=0 size=-1 read=-1",
        "unbound receive: valid=0 data=\"\" sender=null:-1 destination=null:-1 hops=-1 interface=0",
        "write unconnected: -1",
        "socket: state=0 error=-1 \"Unknown error\" open=0 valid=0",
        "socket.stateChanged(BoundState)",
        "socket.errorOccurred(DatagramTooLargeError)",
        "too large: -1",
        "socket: state=4 error=6 \"Datagram was too large to send\" open=0 valid=1",
        "socket.errorOccurred(DatagramTooLargeError)",
        "to IPv6 from IPv4: -1",
        "socket: state=4 error=6 \"Datagram was too large to send\" open=0 valid=1",
        "socket.bytesWritten(1)",
        "to null: 1",
        "socket: state=4 error=6 \"Datagram was too large to send\" open=0 valid=1",
        "write bound: -1",
        "socket: state=4 error=6 \"Datagram was too large to send\" open=0 valid=1",
        "socket.errorOccurred(DatagramTooLargeError)",
        "socket.stateChanged(ClosingState)",
        "socket.stateChanged(UnconnectedState)",
        "socket.readChannelFinished()",
        "socket.disconnected()",
        "wait: 0",
        "socket: state=0 error=6 \"Datagram was too large to send\" open=0 valid=0",
    }, "Errors");
}

TEST_F(UdpParity, SocketOptions)
{
    QUdpSocket socket;
    ASSERT_TRUE(socket.bind(localhost, 0));
    for (auto option : {QAbstractSocket::LowDelayOption, QAbstractSocket::KeepAliveOption,
                        QAbstractSocket::MulticastTtlOption,
                        QAbstractSocket::MulticastLoopbackOption,
                        QAbstractSocket::TypeOfServiceOption,
                        QAbstractSocket::PathMtuSocketOption}) {
        const QVariant value = socket.socketOption(option);
        note(QStringLiteral("option %1: valid=%2 value=%3")
                     .arg(int(option))
                     .arg(value.isValid())
                     .arg(value.toInt()));
    }
    socket.setSocketOption(QAbstractSocket::MulticastTtlOption, 4);
    socket.setSocketOption(QAbstractSocket::TypeOfServiceOption, 32);
    note(QStringLiteral("ttl=%1 tos=%2 rcvbuf>0=%3")
                 .arg(socket.socketOption(QAbstractSocket::MulticastTtlOption).toInt())
                 .arg(socket.socketOption(QAbstractSocket::TypeOfServiceOption).toInt())
                 .arg(socket.socketOption(QAbstractSocket::ReceiveBufferSizeSocketOption).toInt()
                      > 0));
    expectTrace({
        "option 0: valid=0 value=0",
        "option 1: valid=1 value=0",
        "option 2: valid=1 value=1",
        "option 3: valid=1 value=1",
        "option 4: valid=1 value=0",
        "option 7: valid=0 value=0",
        "ttl=4 tos=32 rcvbuf>0=1",
    }, "SocketOptions");
}

TEST_F(UdpParity, Connected)
{
    QUdpSocket peer;
    QUdpSocket client;
    watch(&peer, QStringLiteral("peer"));
    watch(&client, QStringLiteral("client"));
    ASSERT_TRUE(peer.bind(localhost, 0));
    client.connectToHost(localhost, peer.localPort());
    note(QStringLiteral("after connectToHost"));
    noteSocket(&client, QStringLiteral("client"));
    note(QStringLiteral("client peer=%1:%2 name=%3 local=%4")
                 .arg(addressText(client.peerAddress()))
                 .arg(portText(client.peerPort()))
                 .arg(client.peerName())
                 .arg(addressText(client.localAddress())));
    note(QStringLiteral("waitForConnected: %1").arg(client.waitForConnected(1000)));
    note(QStringLiteral("write: %1").arg(client.write("hello", 5)));
    note(QStringLiteral("bytesToWrite: %1").arg(client.bytesToWrite()));
    ASSERT_TRUE(peer.waitForReadyRead(10000));
    QHostAddress from;
    quint16 fromPort = 0;
    char buffer[16] = {};
    const qint64 n = peer.readDatagram(buffer, sizeof buffer, &from, &fromPort);
    note(QStringLiteral("peer read: %1 \"%2\" from %3")
                 .arg(n)
                 .arg(QString::fromLatin1(buffer, int(n)))
                 .arg(portText(fromPort)));
    note(QStringLiteral("reply: %1")
                 .arg(peer.writeDatagram(QByteArrayLiteral("world!"), from, fromPort)));
    note(QStringLiteral("reply 2: %1")
                 .arg(peer.writeDatagram(QByteArrayLiteral("abc"), from, fromPort)));
    ASSERT_TRUE(waitUntil([&] { return client.bytesAvailable() > 0; }));
    QCoreApplication::processEvents();
    note(QStringLiteral("available=%1 pending=%2")
                 .arg(client.bytesAvailable())
                 .arg(client.hasPendingDatagrams()));
    note(QStringLiteral("read: \"%1\"").arg(QString::fromLatin1(client.read(3))));
    ASSERT_TRUE(client.waitForReadyRead(10000));
    note(QStringLiteral("readAll: \"%1\"").arg(QString::fromLatin1(client.readAll())));
    note(QStringLiteral("read nothing: \"%1\"").arg(QString::fromLatin1(client.read(10))));
    noteSocket(&client, QStringLiteral("client"));
    client.disconnectFromHost();
    noteSocket(&client, QStringLiteral("client"));
    client.close();
    noteSocket(&client, QStringLiteral("client"));
    note(QStringLiteral("descriptor after close: %1").arg(client.socketDescriptor() >= 0));
    // abort() of a connected socket, and of a bound one.
    client.connectToHost(localhost, peer.localPort());
    client.abort();
    noteSocket(&client, QStringLiteral("client"));
    peer.abort();
    noteSocket(&peer, QStringLiteral("peer"));
    expectTrace({
        "peer.stateChanged(BoundState)",
        "client.stateChanged(HostLookupState)",
        "client.stateChanged(ConnectingState)",
        "client.hostFound()",
        "client.stateChanged(ConnectedState)",
        "client.connected()",
        "after connectToHost",
        "client: state=3 error=-1 \"Unknown error\" open=35 valid=1",
        "client peer=127.0.0.1/0:peer.port name=127.0.0.1 local=127.0.0.1/0",
        "waitForConnected: 1",
        "client.bytesWritten(5)",
        "client.channelBytesWritten(0, 5)",
        "write: 5",
        "bytesToWrite: 0",
        "peer.readyRead()",
        "peer.channelReadyRead(0)",
        "peer read: 5 \"hello\" from client.port",
        "peer.bytesWritten(6)",
        "reply: 6",
        "peer.bytesWritten(3)",
        "reply 2: 3",
        "client.readyRead()",
        "client.channelReadyRead(0)",
        "available=6 pending=1",
        "read: \"wor\"",
        "client.readyRead()",
        "client.channelReadyRead(0)",
        "readAll: \"abc\"",
        "read nothing: \"\"",
        "client: state=3 error=-1 \"Unknown error\" open=35 valid=1",
        "client.stateChanged(ClosingState)",
        "client.stateChanged(UnconnectedState)",
        "client.readChannelFinished()",
        "client.disconnected()",
        "client: state=0 error=-1 \"Unknown error\" open=35 valid=1",
        "client.aboutToClose()",
        "client: state=0 error=-1 \"Unknown error\" open=0 valid=0",
        "descriptor after close: 0",
        "client.stateChanged(HostLookupState)",
        "client.stateChanged(ConnectingState)",
        "client.hostFound()",
        "client.stateChanged(ConnectedState)",
        "client.connected()",
        "client.aboutToClose()",
        "client.stateChanged(UnconnectedState)",
        "client.readChannelFinished()",
        "client.disconnected()",
        "client: state=0 error=-1 \"Unknown error\" open=0 valid=0",
        "peer.stateChanged(UnconnectedState)",
        "peer.readChannelFinished()",
        "peer: state=0 error=-1 \"Unknown error\" open=0 valid=0",
    }, "Connected");
}

TEST_F(UdpParity, ConnectedRefused)
{
    quint16 closedPort = 0;
    {
        QUdpSocket probe;
        ASSERT_TRUE(probe.bind(localhost, 0));
        closedPort = probe.localPort();
    }
    QUdpSocket client;
    watch(&client, QStringLiteral("client"));
    client.connectToHost(QStringLiteral("127.0.0.1"), closedPort);
    note(QStringLiteral("write: %1").arg(client.write("a", 1)));
    const bool woke = client.waitForReadyRead(2000);
    note(QStringLiteral("woke: %1").arg(woke));
    noteSocket(&client, QStringLiteral("client"));
    note(QStringLiteral("write 2: %1").arg(client.write("b", 1)));
    noteSocket(&client, QStringLiteral("client"));
    note(QStringLiteral("write 3: %1").arg(client.write("c", 1)));
    noteSocket(&client, QStringLiteral("client"));
    client.waitForReadyRead(200);
    char buffer[4];
    note(QStringLiteral("read: %1").arg(client.read(buffer, 4)));
    noteSocket(&client, QStringLiteral("client"));
    expectTrace({
        "client.stateChanged(HostLookupState)",
        "client.stateChanged(ConnectingState)",
        "client.hostFound()",
        "client.stateChanged(ConnectedState)",
        "client.connected()",
        "client.bytesWritten(1)",
        "client.channelBytesWritten(0, 1)",
        "write: 1",
        "client.readyRead()",
        "client.channelReadyRead(0)",
        "woke: 1",
        "client: state=3 error=-1 \"Unknown error\" open=35 valid=1",
        "write 2: -1",
        "client: state=3 error=-1 \"Unknown error\" open=35 valid=1",
        "client.bytesWritten(1)",
        "client.channelBytesWritten(0, 1)",
        "write 3: 1",
        "client: state=3 error=-1 \"Unknown error\" open=35 valid=1",
        "read: -1",
        "client: state=0 error=7 \"Connection refused\" open=35 valid=1",
    }, "ConnectedRefused");
}

} // namespace
