// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The re-entrancy rows of deferred PSK answers: while a client's or a server's answer is pending
// (QSslPreSharedKeyAuthenticator::deferAnswer()), the waiting socket is aborted, closed,
// disconnected, deleteLater()ed or deleted, or its server is closed or deleted; also each action
// inside the slot right after it deferred. Then the answer comes. Every row checks: no crash
// (ASan), the answer is refused unless the handshake still waits for it, both sides end, and the
// server still takes a good connection afterwards (unless the row ended the server).
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslPreSharedKeyRequest>
#include <QSslServer>
#include <QSslSocket>

#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/testsupport.h"

namespace {

using QtPskTest::waitUntil;

constexpr int kTimeoutMs = 10000;
const QByteArray kIdentity("pending-client");
const QByteArray kKey = QByteArray::fromHex("00112233445566778899aabbccddeeff");

enum class Side { Client, Server };
enum class When { InTheSlot, WhilePending };
enum class Action { Abort, Close, DisconnectFromHost, DeleteLater, Delete, CloseServer, DeleteServer };

const char *actionName(Action action)
{
    switch (action) {
    case Action::Abort: return "abort";
    case Action::Close: return "close";
    case Action::DisconnectFromHost: return "disconnectFromHost";
    case Action::DeleteLater: return "deleteLater";
    case Action::Delete: return "delete";
    case Action::CloseServer: return "serverClose";
    case Action::DeleteServer: return "serverDelete";
    }
    return "?";
}

bool endsServer(Action action)
{
    return action == Action::CloseServer || action == Action::DeleteServer;
}

QSslConfiguration configuration(bool tls13)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setProtocol(tls13 ? QSsl::TlsV1_3 : QSsl::TlsV1_2);
    if (!tls13)
        configuration.setCiphers(QStringLiteral("ECDHE-PSK-CHACHA20-POLY1305"));
    return configuration;
}

struct Row
{
    bool tls13;
    Side side;
    When when;
    Action action;
};

std::string rowName(const Row &row)
{
    return std::string(row.tls13 ? "Tls13_" : "Tls12_") + (row.side == Side::Client ? "Client_" : "Server_")
            + (row.when == When::InTheSlot ? "InTheSlot_" : "WhilePending_") + actionName(row.action);
}

// GoogleTest prints a row by its name, not by its bytes (the padding between the fields is
// uninitialised).
void PrintTo(const Row &row, std::ostream *os)
{
    *os << rowName(row);
}

std::vector<Row> allRows()
{
    std::vector<Row> rows;
    for (const bool tls13 : {false, true}) {
        for (const Side side : {Side::Client, Side::Server}) {
            for (const When when : {When::InTheSlot, When::WhilePending}) {
                for (const Action action : {Action::Abort, Action::Close, Action::DisconnectFromHost,
                                            Action::DeleteLater, Action::Delete, Action::CloseServer,
                                            Action::DeleteServer}) {
                    rows.push_back({tls13, side, when, action});
                }
            }
        }
    }
    return rows;
}

class PendingAnswer : public ::testing::TestWithParam<Row>
{
};

// A client with Qt's slot answering at once (or deferring, as \a defer says) into \a request.
std::unique_ptr<QSslSocket> makeClient(bool tls13, QSslPreSharedKeyRequest *request,
                                       const std::function<void(QSslSocket *)> &afterDefer = {})
{
    auto client = std::make_unique<QSslSocket>();
    client->setSslConfiguration(configuration(tls13));
    QSslSocket *raw = client.get();
    QObject::connect(raw, &QSslSocket::preSharedKeyAuthenticationRequired, raw,
                     [raw, request, afterDefer](QSslPreSharedKeyAuthenticator *authenticator) {
                         if (!request) {
                             authenticator->setIdentity(kIdentity);
                             authenticator->setPreSharedKey(kKey);
                             return;
                         }
                         *request = authenticator->deferAnswer();
                         if (afterDefer)
                             afterDefer(raw);
                     });
    return client;
}

} // namespace

TEST_P(PendingAnswer, ActionWhileTheAnswerIsPendingIsSafe)
{
    const Row row = GetParam();
    QPointer<QSslServer> server = new QSslServer;
    server->setSslConfiguration(configuration(row.tls13));
    QSslPreSharedKeyRequest request;
    QPointer<QSslSocket> waiting; // the socket whose answer is pending
    std::function<void()> act;    // the row's action (on `waiting` or the server)
    // Calls \a member on `waiting` while it lives.
    const auto onWaiting = [&](auto member) {
        if (QSslSocket *socket = waiting.data())
            (socket->*member)();
    };
    act = [&] {
        switch (row.action) {
        case Action::Abort:
            return onWaiting(&QSslSocket::abort);
        case Action::Close:
            return onWaiting(&QSslSocket::close);
        case Action::DisconnectFromHost:
            return onWaiting(&QSslSocket::disconnectFromHost);
        case Action::DeleteLater:
            return onWaiting(&QSslSocket::deleteLater);
        case Action::Delete:
            delete waiting.data();
            break;
        case Action::CloseServer:
            if (server)
                server->close();
            break;
        case Action::DeleteServer:
            delete server.data();
            break;
        }
    };
    bool acted = false;
    const auto afterDefer = [&](QSslSocket *socket) {
        waiting = socket;
        if (row.when == When::InTheSlot) {
            acted = true;
            act();
        }
    };
    QObject::connect(server.data(), &QSslServer::preSharedKeyAuthenticationRequired, server.data(),
                     [&](QSslSocket *socket, QSslPreSharedKeyAuthenticator *authenticator) {
                         if (row.side == Side::Client || waiting || acted) {
                             authenticator->setPreSharedKey(kKey); // the checker, or the client row
                             return;
                         }
                         request = authenticator->deferAnswer();
                         afterDefer(socket);
                     });
    QObject::connect(server.data(), &QTcpServer::pendingConnectionAvailable, server.data(), [&] {
        while (QTcpSocket *socket = server->nextPendingConnection()) {
            socket->setParent(server.data());
            QObject::connect(socket, &QIODevice::readyRead, socket,
                             [socket] { socket->write(socket->readAll()); });
        }
    });
    ASSERT_TRUE(server->listen(QHostAddress::LocalHost, 0));
    const quint16 port = server->serverPort();

    std::unique_ptr<QSslSocket> owned = makeClient(row.tls13, row.side == Side::Client ? &request : nullptr,
                                                   afterDefer);
    QPointer<QSslSocket> client = owned.release(); // the row may delete it; QPointer tells
    client->connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    ASSERT_TRUE(waitUntil([&] { return !request.isNull(); }, kTimeoutMs)) << "nothing deferred";
    if (row.when == When::WhilePending) {
        EXPECT_TRUE(request.isPending());
        QTimer::singleShot(5, [&] {
            acted = true;
            act();
        });
        ASSERT_TRUE(waitUntil([&] { return acted; }, kTimeoutMs));
    }
    // The answer, after the action: taken only if the handshake still waits for it.
    const bool stillWaiting = request.isPending();
    const bool taken = request.answer(kIdentity, kKey);
    EXPECT_EQ(taken, stillWaiting);
    const bool socketAction = !endsServer(row.action);
    if (socketAction && row.action != Action::DisconnectFromHost) {
        EXPECT_FALSE(stillWaiting) << "the request outlived its handshake";
    }
    EXPECT_FALSE(request.answer(kIdentity, kKey)); // never twice

    // Both ends end (or, after disconnectFromHost(), finish the handshake and then close).
    EXPECT_TRUE(waitUntil([&] {
        return !client || client->state() == QAbstractSocket::UnconnectedState
                || (client->isEncrypted() && row.action == Action::DisconnectFromHost)
                || (client->isEncrypted() && endsServer(row.action));
    }, kTimeoutMs)) << "the client did not end";
    delete client.data();

    // The server still takes a good connection, unless the row ended it.
    if (!server || !server->isListening()) {
        EXPECT_TRUE(endsServer(row.action));
        delete server.data();
        return;
    }
    std::unique_ptr<QSslSocket> checker = makeClient(row.tls13, nullptr);
    QByteArray echoed;
    QObject::connect(checker.get(), &QSslSocket::encrypted, checker.get(), [&] { checker->write("ping"); });
    QObject::connect(checker.get(), &QIODevice::readyRead, checker.get(), [&] { echoed += checker->readAll(); });
    checker->connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    EXPECT_TRUE(waitUntil([&] { return echoed == "ping"; }, kTimeoutMs)) << "no echo after the row";
    checker.reset();
    delete server.data();
}

INSTANTIATE_TEST_SUITE_P(DeferredPsk, PendingAnswer, ::testing::ValuesIn(allRows()),
                         [](const ::testing::TestParamInfo<Row> &paramInfo) { return rowName(paramInfo.param); });
