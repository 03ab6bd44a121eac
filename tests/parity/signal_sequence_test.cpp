// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Whole signal traces of a QSslSocket client and a QSslServer (with the socket it accepts) over
// a TLS 1.2 PSK connection: the handshake, each way of ending the connection, and failed
// handshakes. Every signal of every object is recorded with its arguments (SignalTrace), per
// object, and compared with the trace measured on Qt 6.4.2: the same source is built against
// Qt6::Network (QTPSK_PARITY_AGAINST_QTNETWORK, the ground truth) and against QtPsk.
//
// QTPSK_PRINT_TRACES=1 prints each trace in the form of the expectations below.
#include "paritysupport.h"
#include "signaltrace.h"

#include <QSslServer>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qobject.h>
#include <QtCore/qpointer.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "common/testsupport.h"

using namespace Parity;
using QtPskTest::waitUntil;

namespace {

using Trace = std::vector<std::string>;

QString stateName(QAbstractSocket::SocketState state)
{
    static const char *const names[] = {"UnconnectedState", "HostLookupState", "ConnectingState",
                                        "ConnectedState",   "BoundState",      "ListeningState",
                                        "ClosingState"};
    return QString::fromLatin1(names[int(state)]);
}

Trace operator+(Trace head, const Trace &tail)
{
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
}

// The lines of one object for events that the client and the server's socket both show: each
// event prefixed with the object's label ("<label>.<signal>" or "<label>:<note>").
Trace events(const char *label, std::initializer_list<const char *> lines)
{
    Trace result;
    for (const char *line : lines)
        result.push_back(label + std::string(line));
    return result;
}

// The client from connectToHostEncrypted() to connected().
const Trace clientConnects = {
    "client.stateChanged(HostLookupState)",
    "client.stateChanged(ConnectingState)",
    "client.hostFound()",
    "client.stateChanged(ConnectedState)",
    "client.modeChanged(SslClientMode)",
    "client.connected()",
};

// The client's handshake flights, before and after its authenticator.
const Trace clientFlights = {
    "client.encryptedBytesWritten(112)",
    "client.preSharedKeyAuthenticationRequired(authenticator(hint=QtTestServerHint))",
    "client.encryptedBytesWritten(105)",
};

// The client's view of a successful TLS 1.2 PSK handshake (byte counts left out: they depend on
// the library's record layout).
const Trace handshakeClient = clientConnects
        + Trace{
                "client.preSharedKeyAuthenticationRequired(authenticator(hint=QtTestServerHint))",
                "client.encrypted()",
        };

// The server's socket up to its authenticator.
const Trace serverSocketAuthenticates = {
    "ssock:mode=SslServerMode",
    "ssock.encryptedBytesWritten(*)",
    "ssock.preSharedKeyAuthenticationRequired(authenticator(hint=QtTestServerHint))",
};

// The server's socket through a successful handshake.
const Trace serverSocketEncrypted =
        serverSocketAuthenticates + Trace{"ssock.encrypted()", "ssock.encryptedBytesWritten(*)"};

// The server up to its authenticator.
const Trace serverAuthenticates = {
    "server.newConnection()",
    "server.startedEncryptionHandshake(ssock)",
    "server.preSharedKeyAuthenticationRequired(ssock, authenticator(hint=QtTestServerHint))",
};

// The peer's close_notify arrives.
Trace closeNotifyReceived(const char *label)
{
    return events(label, {".alertReceived(Warning, CloseNotify, \"close notify\")",
                          ".errorOccurred(RemoteHostClosedError)",
                          ":errorString=The TLS/SSL connection has been closed"});
}

// The peer's end of the connection is seen and the socket closes.
Trace remoteHostClosed(const char *label)
{
    return events(label, {".errorOccurred(RemoteHostClosedError)",
                          ":errorString=The remote host closed the connection",
                          ".stateChanged(ClosingState)", ".stateChanged(UnconnectedState)"});
}

// The read channel ends, the socket answers with its close_notify and is disconnected.
Trace closeNotifySentAndDisconnected(const char *label)
{
    return events(label, {".readChannelFinished()",
                          ".alertSent(Warning, CloseNotify, \"close notify\")", ".disconnected()"});
}

// The socket's own disconnectFromHost(): ClosingState, its close_notify.
Trace closingWithCloseNotify(const char *label)
{
    return events(label, {".stateChanged(ClosingState)",
                          ".alertSent(Warning, CloseNotify, \"close notify\")",
                          ".stateChanged(ClosingState)"});
}

// The socket's close_notify is written and the socket is disconnected.
Trace closeNotifyFlushed(const char *label)
{
    return events(label, {".encryptedBytesWritten(57)", ".stateChanged(UnconnectedState)",
                          ".readChannelFinished()", ".disconnected()"});
}

// The end of a socket whose handshake failed.
Trace handshakeFailedEnd(const char *label)
{
    return events(label, {".stateChanged(UnconnectedState)", ".readChannelFinished()",
                          ".disconnected()", ".aboutToClose()"});
}

// The note of noteEnd() for a socket that has ended.
Trace endedNote(const char *label)
{
    return events(label, {":end state=UnconnectedState sessionCipher=null sessionProtocol=-1"});
}

// The ways a test ends a socket.
void callDisconnectFromHost(QSslSocket *socket)
{
    socket->disconnectFromHost();
}

void callAbort(QSslSocket *socket)
{
    socket->abort();
}

void callClose(QSslSocket *socket)
{
    socket->close();
}

enum class Keys { Right, ClientEmpty, ServerEmpty, Wrong };

// A QSslServer and a QSslSocket client, TLS 1.2 with Qt's test cipher, hint and credentials,
// every signal of the client, the server and the accepted socket traced.
class SignalSequence : public ::testing::Test
{
protected:
    void SetUp() override
    {
        trace.setFilter([](const QByteArray &name) { return name == "destroyed"; });
        QSslConfiguration serverConfiguration =
                pskConfiguration(QStringLiteral("PSK-AES256-CBC-SHA"), QSslSocket::VerifyNone);
        serverConfiguration.setPreSharedKeyIdentityHint(hint());
        server.setSslConfiguration(serverConfiguration);
        QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                         [this](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                             if (keys != Keys::ServerEmpty)
                                 authenticator->setPreSharedKey(key());
                         });
        // Connected before the server is watched: the socket's signals are traced from here on,
        // as an application that connects to them in this slot sees them.
        QObject::connect(&server, &QSslServer::startedEncryptionHandshake, &server,
                         [this](QSslSocket *socket) {
                             accepted = socket;
                             acceptedSeen = true;
                             trace.watch(socket, QStringLiteral("ssock"));
                             annotateErrors(socket, QStringLiteral("ssock"));
                             trace.note(QStringLiteral("ssock:mode=%1")
                                                .arg(socket->mode() == QSslSocket::SslServerMode
                                                             ? QStringLiteral("SslServerMode")
                                                             : QStringLiteral("not SslServerMode")));
                         });
        trace.watch(&server, QStringLiteral("server"));
        ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));

        client = std::make_unique<QSslSocket>();
        client->setSslConfiguration(
                pskConfiguration(QStringLiteral("PSK-AES256-CBC-SHA"), QSslSocket::VerifyNone));
        QObject::connect(client.get(), &QSslSocket::preSharedKeyAuthenticationRequired,
                         client.get(), [this](QSslPreSharedKeyAuthenticator *authenticator) {
                             authenticator->setIdentity(identity());
                             if (keys == Keys::Wrong)
                                 authenticator->setPreSharedKey(key().left(5));
                             else if (keys != Keys::ClientEmpty)
                                 authenticator->setPreSharedKey(key());
                         });
        trace.watch(client.get(), QStringLiteral("client"));
        annotateErrors(client.get(), QStringLiteral("client"));
    }

    // Records errorString() right after each errorOccurred(), as "<label>:errorString=...".
    void annotateErrors(QAbstractSocket *socket, const QString &label)
    {
        QObject::connect(socket, &QAbstractSocket::errorOccurred, socket, [this, socket, label] {
            trace.note(label + QStringLiteral(":errorString=") + socket->errorString());
        });
    }

    // Connects and waits until both sides are encrypted and the server handed the socket over.
    bool connectEncrypted()
    {
        client->connectToHostEncrypted(loopback(), server.serverPort());
        if (!waitUntil([&] { return client->isEncrypted() && server.hasPendingConnections(); },
                       timeoutMs)) {
            return false;
        }
        peer = qobject_cast<QSslSocket *>(server.nextPendingConnection());
        return peer && peer == accepted;
    }

    bool waitUntilBothUnconnected()
    {
        return waitUntil(
                [&] {
                    return client->state() == QAbstractSocket::UnconnectedState
                            && (!peer || peer->state() == QAbstractSocket::UnconnectedState);
                },
                timeoutMs);
    }

    // Until the client and the server socket (it exists once its first bytes arrived, as in
    // Qt; a failed one is deleted) have ended, and the events of that end are delivered.
    bool waitUntilConnectionEnded()
    {
        const bool ended = waitUntil(
                [&] {
                    return client->state() == QAbstractSocket::UnconnectedState && acceptedSeen
                            && (!accepted || accepted->state() == QAbstractSocket::UnconnectedState);
                },
                timeoutMs);
        QCoreApplication::processEvents();
        return ended;
    }

    // Notes the state and the session cipher of \a socket at this point.
    void noteEnd(QSslSocket *socket, const QString &label)
    {
        ASSERT_NE(socket, nullptr);
        trace.note(QStringLiteral("%1:end state=%2 sessionCipher=%3 sessionProtocol=%4")
                           .arg(label, stateName(socket->state()),
                                socket->sessionCipher().isNull() ? QStringLiteral("null")
                                                                 : socket->sessionCipher().name())
                           .arg(int(socket->sessionProtocol())));
    }

    // The lines of one object: its signals ("<label>.") and the test's notes ("<label>:"), in order.
    Trace of(const QString &label) const
    {
        const std::string signal = label.toStdString() + '.';
        const std::string note = label.toStdString() + ':';
        Trace lines;
        for (const std::string &line : trace.lines()) {
            if (line.rfind(signal, 0) == 0 || line.rfind(note, 0) == 0)
                lines.push_back(line);
        }
        return lines;
    }

    void expectTrace(const QString &label, const Trace &expected)
    {
        const Trace actual = of(label);
        if (qEnvironmentVariableIsSet("QTPSK_PRINT_TRACES")) {
            std::printf("    // %s\n", qPrintable(label));
            for (const std::string &line : actual)
                std::printf("    \"%s\",\n", QString::fromStdString(line)
                                                    .replace(QLatin1Char('"'), QStringLiteral("\\\""))
                                                    .toLocal8Bit()
                                                    .constData());
        }
        EXPECT_TRUE(matches(actual, expected))
                << "actual:\n" << joined(actual) << "expected:\n" << joined(expected)
                << "whole trace:\n" << trace.text();
    }

    // Line by line; an expected line "<signal>(*)" matches any arguments: the byte counts of a
    // server's handshake flights depend on the library's session settings.
    static bool matches(const Trace &actual, const Trace &expected)
    {
        if (actual.size() != expected.size())
            return false;
        for (size_t i = 0; i < actual.size(); ++i) {
            const std::string &want = expected[i];
            const bool wildcard = want.size() > 3 && want.compare(want.size() - 3, 3, "(*)") == 0;
            if (wildcard ? actual[i].compare(0, want.size() - 2, want, 0, want.size() - 2) != 0
                         : actual[i] != want) {
                return false;
            }
        }
        return true;
    }

    static std::string joined(const Trace &lines)
    {
        std::string text;
        for (const std::string &line : lines)
            text += "  " + line + '\n';
        return text;
    }

    // Connects encrypted, then starts the trace afresh: what follows is the end of the connection.
    bool connectAndStartTracing()
    {
        if (!connectEncrypted())
            return false;
        trace.clear();
        return true;
    }

    // Ends an encrypted connection from one side: \a end runs on the client or on the server's
    // socket, its state right after is noted ("<label>:after <what> state=..."), and once both
    // sides are unconnected the end of each is noted.
    void endFrom(const QString &label, const char *what, const std::function<void(QSslSocket *)> &end)
    {
        ASSERT_TRUE(connectAndStartTracing()) << trace.text();
        QSslSocket *const socket = label == QStringLiteral("client") ? client.get() : peer.data();
        ASSERT_NE(socket, nullptr);
        end(socket);
        trace.note(QStringLiteral("%1:after %2 state=%3")
                           .arg(label, QLatin1String(what), stateName(socket->state())));
        ASSERT_TRUE(waitUntilBothUnconnected()) << trace.text();
        noteEnd(client.get(), QStringLiteral("client"));
        noteEnd(peer.data(), QStringLiteral("ssock"));
    }

    // The client's disconnectFromHost(), and its state right after.
    void disconnectClientAndNote()
    {
        client->disconnectFromHost();
        trace.note(QStringLiteral("client:after disconnectFromHost state=%1")
                           .arg(stateName(client->state())));
    }

    // The traces of a disconnectFromHost() of \a closer (after endFrom()), and how \a other
    // sees it.
    void expectDisconnectFromHost(const char *closer, const char *other)
    {
        expectTrace(QLatin1String(closer),
                    closingWithCloseNotify(closer)
                            + events(closer, {":after disconnectFromHost state=ClosingState"})
                            + closeNotifyFlushed(closer) + endedNote(closer));
        expectTrace(QLatin1String(other),
                    closeNotifyReceived(other) + remoteHostClosed(other)
                            + closeNotifySentAndDisconnected(other) + endedNote(other));
    }

    // A handshake with the given keys, until both sides have ended.
    void connectWithKeys(Keys used)
    {
        keys = used;
        client->connectToHostEncrypted(loopback(), server.serverPort());
        ASSERT_TRUE(waitUntilConnectionEnded()) << trace.text();
    }

    Keys keys = Keys::Right;
    SignalTrace trace;
    QSslServer server;
    std::unique_ptr<QSslSocket> client;
    QPointer<QSslSocket> accepted;
    bool acceptedSeen = false; // accepted may be deleted (a failed handshake) by the time we look
    QPointer<QSslSocket> peer;
};

Trace withoutByteCounts(const Trace &trace)
{
    Trace result;
    for (const std::string &line : trace) {
        if (line.find(".encryptedBytesWritten(") == std::string::npos
            && line.find(".bytesWritten(") == std::string::npos
            && line.find(".channelBytesWritten(") == std::string::npos) {
            result.push_back(line);
        }
    }
    return result;
}

} // namespace


TEST_F(SignalSequence, HandshakeIsTracedAsInQt)
{
    ASSERT_TRUE(connectEncrypted()) << trace.text();
    EXPECT_EQ(withoutByteCounts(of(QStringLiteral("client"))), handshakeClient) << trace.text();
    expectTrace(QStringLiteral("server"),
                serverAuthenticates + Trace{"server.pendingConnectionAvailable()"});
    EXPECT_EQ(withoutByteCounts(of(QStringLiteral("ssock"))),
              Trace({
                      "ssock:mode=SslServerMode",
                      "ssock.preSharedKeyAuthenticationRequired(authenticator(hint=QtTestServerHint))",
                      "ssock.encrypted()",
              }))
            << trace.text();
}

TEST_F(SignalSequence, ClientDisconnectFromHostClosesFromTheEventLoop)
{
    ASSERT_NO_FATAL_FAILURE(endFrom(QStringLiteral("client"), "disconnectFromHost", callDisconnectFromHost));
    expectDisconnectFromHost("client", "ssock");
}

TEST_F(SignalSequence, ServerSocketDisconnectFromHostIsSeenByTheClientAsInQt)
{
    ASSERT_NO_FATAL_FAILURE(endFrom(QStringLiteral("ssock"), "disconnectFromHost", callDisconnectFromHost));
    expectDisconnectFromHost("ssock", "client");
}

TEST_F(SignalSequence, ClientAbortIsTracedAsInQt)
{
    ASSERT_NO_FATAL_FAILURE(endFrom(QStringLiteral("client"), "abort", callAbort));
    expectTrace(QStringLiteral("client"),
                {
                        "client.stateChanged(UnconnectedState)",
                        "client.readChannelFinished()",
                        "client.alertSent(Warning, CloseNotify, \"close notify\")",
                        "client.disconnected()",
                        "client.aboutToClose()",
                        "client:after abort state=UnconnectedState",
                        "client:end state=UnconnectedState sessionCipher=null sessionProtocol=-1",
                });
    expectTrace(QStringLiteral("ssock"),
                remoteHostClosed("ssock") + closeNotifySentAndDisconnected("ssock")
                        + endedNote("ssock"));
}

TEST_F(SignalSequence, ClientCloseIsTracedAsInQt)
{
    ASSERT_NO_FATAL_FAILURE(endFrom(QStringLiteral("client"), "close", callClose));
    expectTrace(QStringLiteral("client"),
                {
                        "client.stateChanged(ClosingState)",
                        "client.stateChanged(UnconnectedState)",
                        "client.readChannelFinished()",
                        "client.alertSent(Warning, CloseNotify, \"close notify\")",
                        "client.disconnected()",
                        "client.aboutToClose()",
                        "client:after close state=UnconnectedState",
                        "client:end state=UnconnectedState sessionCipher=null sessionProtocol=-1",
                });
    expectTrace(QStringLiteral("ssock"),
                remoteHostClosed("ssock") + closeNotifySentAndDisconnected("ssock")
                        + endedNote("ssock"));
}

TEST_F(SignalSequence, WaitForDisconnectedAfterDisconnectFromHost)
{
    ASSERT_TRUE(connectAndStartTracing()) << trace.text();
    client->disconnectFromHost();
    const bool waited = client->waitForDisconnected(timeoutMs);
    trace.note(QStringLiteral("client:waitForDisconnected=%1 state=%2")
                       .arg(waited ? QStringLiteral("true") : QStringLiteral("false"),
                            stateName(client->state())));
    ASSERT_TRUE(waitUntilBothUnconnected()) << trace.text();
    expectTrace(QStringLiteral("client"),
                closingWithCloseNotify("client") + closeNotifyFlushed("client")
                        + Trace{"client:waitForDisconnected=true state=UnconnectedState"});
}

TEST_F(SignalSequence, DisconnectFromHostDuringTheHandshake)
{
    // From connected(): the ClientHello is out, the handshake has not completed.
    QObject::connect(client.get(), &QAbstractSocket::connected, client.get(),
                     [this] { disconnectClientAndNote(); });
    client->connectToHostEncrypted(loopback(), server.serverPort());
    ASSERT_TRUE(waitUntilConnectionEnded()) << trace.text();
    expectTrace(QStringLiteral("client"),
                clientConnects
                        + Trace{
                                "client.stateChanged(ClosingState)",
                                "client.stateChanged(ClosingState)",
                                "client:after disconnectFromHost state=ClosingState",
                                "client.encryptedBytesWritten(112)",
                                "client.stateChanged(UnconnectedState)",
                                "client.readChannelFinished()",
                                "client.disconnected()",
                        });
    expectTrace(QStringLiteral("ssock"),
                Trace{"ssock:mode=SslServerMode"} + remoteHostClosed("ssock")
                        + Trace{"ssock.readChannelFinished()", "ssock.disconnected()"});
    expectTrace(QStringLiteral("server"),
                {
                        "server.newConnection()",
                        "server.startedEncryptionHandshake(ssock)",
                        "server.errorOccurred(ssock, RemoteHostClosedError)",
                });
}

// What is written before disconnectFromHost(): it goes out, then the close_notify.
const Trace clientWritesThenCloses = {
    "client.bytesWritten(5)",
    "client.channelBytesWritten(0, 5)",
    "client.encryptedBytesWritten(57)",
    "client.alertSent(Warning, CloseNotify, \"close notify\")",
    "client.stateChanged(ClosingState)",
};

TEST_F(SignalSequence, WriteAndDisconnectFromHostDuringTheHandshake)
{
#ifdef QTPSK_PARITY_AGAINST_QTNETWORK
    // Measured: Qt 6.4.2 never completes this handshake; the client stays in ClosingState, the
    // data is never sent and the connection never closes. QtPsk finishes the handshake, sends
    // the data, then closes; its trace below is QtPsk's own (documented) behaviour.
    GTEST_SKIP() << "Qt 6.4.2 hangs in ClosingState when data is written and disconnectFromHost() "
                    "is called during the handshake";
#endif
    // From connected(): what is written waits for the handshake, and so does the close.
    QObject::connect(client.get(), &QAbstractSocket::connected, client.get(), [this] {
        client->write("hello");
        disconnectClientAndNote();
    });
    client->connectToHostEncrypted(loopback(), server.serverPort());
    ASSERT_TRUE(waitUntilConnectionEnded()) << trace.text();
    expectTrace(QStringLiteral("client"),
                clientConnects + Trace{"client:after disconnectFromHost state=ConnectedState"}
                        + clientFlights
                        + Trace{"client.encrypted()", "client.stateChanged(ClosingState)"}
                        + clientWritesThenCloses + closeNotifyFlushed("client"));
    expectTrace(QStringLiteral("ssock"),
                serverSocketEncrypted + Trace{"ssock.readyRead()", "ssock.channelReadyRead(0)"}
                        + closeNotifyReceived("ssock") + remoteHostClosed("ssock")
                        + closeNotifySentAndDisconnected("ssock"));
}

TEST_F(SignalSequence, DisconnectFromHostRightAfterConnectToHostEncrypted)
{
    client->connectToHostEncrypted(loopback(), server.serverPort());
    disconnectClientAndNote();
    ASSERT_TRUE(waitUntilConnectionEnded()) << trace.text();
    expectTrace(QStringLiteral("client"),
                Trace{
                        "client.stateChanged(HostLookupState)",
                        "client.stateChanged(ConnectingState)",
                        "client.hostFound()",
                        "client:after disconnectFromHost state=ConnectingState",
                        "client.stateChanged(ConnectedState)",
                        "client.modeChanged(SslClientMode)",
                        "client.connected()",
                } + clientFlights
                        + Trace{"client.encrypted()"} + closingWithCloseNotify("client")
                        + closeNotifyFlushed("client"));
    expectTrace(QStringLiteral("ssock"),
                serverSocketEncrypted + closeNotifyReceived("ssock") + remoteHostClosed("ssock")
                        + closeNotifySentAndDisconnected("ssock"));
}

TEST_F(SignalSequence, WriteThenDisconnectFromHost)
{
    ASSERT_TRUE(connectAndStartTracing()) << trace.text();
    client->write("hello");
    disconnectClientAndNote();
    ASSERT_TRUE(waitUntilBothUnconnected()) << trace.text();
    expectTrace(QStringLiteral("client"),
                Trace{"client.stateChanged(ClosingState)",
                      "client:after disconnectFromHost state=ClosingState"}
                        + clientWritesThenCloses + closeNotifyFlushed("client"));
}

TEST_F(SignalSequence, SessionDetailsWhileTheConnectionEnds)
{
    ASSERT_TRUE(connectAndStartTracing()) << trace.text();
    for (QSslSocket *socket : {client.get(), peer.data()}) {
        const QString label = socket == client.get() ? QStringLiteral("client") : QStringLiteral("ssock");
        const auto noteCipher = [this, socket, label](const char *when) {
            trace.note(QStringLiteral("%1:%2 sessionCipher=%3 sessionProtocol=%4 isEncrypted=%5 mode=%6")
                               .arg(label, QLatin1String(when),
                                    socket->sessionCipher().isNull() ? QStringLiteral("null")
                                                                     : socket->sessionCipher().name())
                               .arg(int(socket->sessionProtocol()))
                               .arg(socket->isEncrypted())
                               .arg(int(socket->mode())));
        };
        QObject::connect(socket, &QAbstractSocket::stateChanged, socket,
                         [noteCipher](QAbstractSocket::SocketState state) {
                             if (state == QAbstractSocket::UnconnectedState)
                                 noteCipher("at UnconnectedState");
                         });
        QObject::connect(socket, &QAbstractSocket::disconnected, socket,
                         [noteCipher] { noteCipher("at disconnected"); });
    }
    peer->disconnectFromHost();
    ASSERT_TRUE(waitUntilBothUnconnected()) << trace.text();
    expectTrace(QStringLiteral("client"),
                closeNotifyReceived("client") + remoteHostClosed("client")
                        + Trace{"client:at UnconnectedState sessionCipher=PSK-AES256-CBC-SHA sessionProtocol=2 isEncrypted=1 mode=1"}
                        + closeNotifySentAndDisconnected("client")
                        + Trace{"client:at disconnected sessionCipher=null sessionProtocol=-1 isEncrypted=0 mode=1"});
    expectTrace(QStringLiteral("ssock"),
                closingWithCloseNotify("ssock")
                        + Trace{
                                "ssock.encryptedBytesWritten(57)",
                                "ssock.stateChanged(UnconnectedState)",
                                "ssock:at UnconnectedState sessionCipher=PSK-AES256-CBC-SHA sessionProtocol=2 isEncrypted=1 mode=2",
                                "ssock.readChannelFinished()",
                                "ssock.disconnected()",
                                "ssock:at disconnected sessionCipher=null sessionProtocol=-1 isEncrypted=0 mode=2",
                        });
}

TEST_F(SignalSequence, AbortAfterThePeerClosed)
{
    ASSERT_TRUE(connectEncrypted()) << trace.text();
    peer->disconnectFromHost();
    ASSERT_TRUE(waitUntilBothUnconnected()) << trace.text();
    trace.clear();
    client->abort();
    trace.note(QStringLiteral("client:after abort isOpen=%1").arg(client->isOpen()));
    client.reset();
    trace.note(QStringLiteral("client:destroyed"));
    expectTrace(QStringLiteral("client"),
                {
                        "client.aboutToClose()",
                        "client:after abort isOpen=0",
                        "client:destroyed",
                });
}

TEST_F(SignalSequence, WrongKeyIsTracedAsInQt)
{
    ASSERT_NO_FATAL_FAILURE(connectWithKeys(Keys::Wrong));
    expectTrace(QStringLiteral("client"),
                clientConnects + clientFlights
                        + Trace{
                                "client.alertReceived(Fatal, BadRecordMac, \"bad record mac\")",
                                "client.errorOccurred(SslHandshakeFailedError)",
                                "client:errorString=Error during SSL handshake: error:0A0003FC:SSL routines::sslv3 alert bad record mac",
                        }
                        + handshakeFailedEnd("client"));
    expectTrace(QStringLiteral("ssock"),
                serverSocketAuthenticates
                        + Trace{
                                "ssock.alertSent(Fatal, BadRecordMac, \"bad record mac\")",
                                "ssock.errorOccurred(SslHandshakeFailedError)",
                                "ssock:errorString=Error during SSL handshake: error:0A000119:SSL routines::decryption failed or bad record mac",
                                "ssock.encryptedBytesWritten(7)",
                        }
                        + handshakeFailedEnd("ssock"));
    expectTrace(QStringLiteral("server"),
                serverAuthenticates
                        + Trace{
                                "server.alertSent(ssock, Fatal, BadRecordMac, \"bad record mac\")",
                                "server.errorOccurred(ssock, SslHandshakeFailedError)",
                        });
}

TEST_F(SignalSequence, ClientWithoutKeyIsTracedAsInQt)
{
    ASSERT_NO_FATAL_FAILURE(connectWithKeys(Keys::ClientEmpty));
    expectTrace(QStringLiteral("client"),
                clientConnects
                        + Trace{
                                "client.encryptedBytesWritten(112)",
                                "client.preSharedKeyAuthenticationRequired(authenticator(hint=QtTestServerHint))",
                                "client.alertSent(Fatal, HandshakeFailure, \"handshake failure\")",
                                "client.errorOccurred(SslHandshakeFailedError)",
                                "client:errorString=Error during SSL handshake: error:0A0000DF:SSL routines::psk identity not found",
                                "client.encryptedBytesWritten(7)",
                        }
                        + handshakeFailedEnd("client"));
    expectTrace(QStringLiteral("ssock"),
                Trace{
                        "ssock:mode=SslServerMode",
                        "ssock.encryptedBytesWritten(*)",
                        "ssock.alertReceived(Fatal, HandshakeFailure, \"handshake failure\")",
                        "ssock.errorOccurred(SslHandshakeFailedError)",
                        "ssock:errorString=Error during SSL handshake: error:0A000410:SSL routines::sslv3 alert handshake failure",
                } + handshakeFailedEnd("ssock"));
    expectTrace(QStringLiteral("server"),
                {
                        "server.newConnection()",
                        "server.startedEncryptionHandshake(ssock)",
                        "server.alertReceived(ssock, Fatal, HandshakeFailure, \"handshake failure\")",
                        "server.errorOccurred(ssock, SslHandshakeFailedError)",
                });
}

TEST_F(SignalSequence, ServerWithoutKeyIsTracedAsInQt)
{
    ASSERT_NO_FATAL_FAILURE(connectWithKeys(Keys::ServerEmpty));
    expectTrace(QStringLiteral("client"),
                clientConnects + clientFlights
                        + Trace{
                                "client.alertReceived(Fatal, UnknownPskIdentity, \"unknown PSK identity\")",
                                "client.errorOccurred(SslHandshakeFailedError)",
                                "client:errorString=Error during SSL handshake: error:0A00045B:SSL routines::tlsv1 alert unknown psk identity",
                        }
                        + handshakeFailedEnd("client"));
    expectTrace(QStringLiteral("ssock"),
                serverSocketAuthenticates
                        + Trace{
                                "ssock.alertSent(Fatal, UnknownPskIdentity, \"unknown PSK identity\")",
                                "ssock.errorOccurred(SslHandshakeFailedError)",
                                "ssock:errorString=Error during SSL handshake: error:0A0000DF:SSL routines::psk identity not found",
                                "ssock.encryptedBytesWritten(7)",
                        }
                        + handshakeFailedEnd("ssock"));
    expectTrace(QStringLiteral("server"),
                serverAuthenticates
                        + Trace{
                                "server.alertSent(ssock, Fatal, UnknownPskIdentity, \"unknown PSK identity\")",
                                "server.errorOccurred(ssock, SslHandshakeFailedError)",
                        });
}

TEST_F(SignalSequence, ClientVerificationRefusesThePskSessionAsInQt)
{
    // The client's default AutoVerifyPeer: a PSK server presents no certificate.
    QSslConfiguration configuration = client->sslConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::AutoVerifyPeer);
    client->setSslConfiguration(configuration);
    client->connectToHostEncrypted(loopback(), server.serverPort());
    ASSERT_TRUE(waitUntil(
            [&] {
                if (!peer && server.hasPendingConnections())
                    peer = qobject_cast<QSslSocket *>(server.nextPendingConnection());
                return client->state() == QAbstractSocket::UnconnectedState && peer
                        && peer->state() == QAbstractSocket::UnconnectedState;
            },
            timeoutMs))
            << trace.text();
    QCoreApplication::processEvents();
    expectTrace(QStringLiteral("client"),
                clientConnects + clientFlights
                        + Trace{
                                "client.peerVerifyError(21)",
                                "client.sslErrors([21])",
                                "client.errorOccurred(SslHandshakeFailedError)",
                                "client:errorString=The peer did not present any certificate",
                                "client.stateChanged(ClosingState)",
                                "client.stateChanged(UnconnectedState)",
                        }
                        + closeNotifySentAndDisconnected("client"));
    expectTrace(QStringLiteral("ssock"),
                serverSocketEncrypted + remoteHostClosed("ssock")
                        + closeNotifySentAndDisconnected("ssock"));
}
