// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QtPsk-side helpers of the fault tests: the PSK configuration both sides use, a log of the
// signals a socket emits (to assert their exact sequence), and the "keeps serving" check.
#ifndef QTPSK_FAULTS_FAULTSUPPORT_H
#define QTPSK_FAULTS_FAULTSUPPORT_H

#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslServer>
#include <QSslSocket>

#include <QtCore/qstringlist.h>

#include <gtest/gtest.h>

#include <memory>
#include <vector>
#include <ostream>

#include "common/pskconfiguration.h"
#include "common/pskserverslot.h"
#include "common/testsupport.h"
#include "hostilepeer.h"

// GoogleTest prints QStrings as text.
inline void PrintTo(const QString &string, std::ostream *out)
{
    *out << '"' << string.toStdString() << '"';
}

namespace FaultsTest {

// TLS 1.2 with PSK-AES128-GCM-SHA256 (the default) is what TlsPeer speaks.
using QtPskTest::pskConfiguration;

// Every signal of one socket, in order: "connected", "encrypted", "disconnected",
// "error:<SocketError>", "alertSent:<type>", "alertReceived:<type>", "psk".
class SignalLog
{
public:
    explicit SignalLog(QSslSocket *socket)
    {
        m_connections = {
            QObject::connect(socket, &QAbstractSocket::connected, socket, [this] { events << "connected"; }),
            QObject::connect(socket, &QSslSocket::encrypted, socket, [this] { events << "encrypted"; }),
            QObject::connect(socket, &QAbstractSocket::disconnected, socket,
                             [this] { events << "disconnected"; }),
            QObject::connect(socket, &QIODevice::readyRead, socket, [this] { ++readyReads; }),
            QObject::connect(socket, &QAbstractSocket::errorOccurred, socket,
                             [this, socket](QAbstractSocket::SocketError error) {
                                 events << QStringLiteral("error:%1").arg(int(error));
                                 errorStrings << socket->errorString();
                             }),
            QObject::connect(socket, &QSslSocket::alertSent, socket,
                             [this](QSsl::AlertLevel, QSsl::AlertType type, const QString &) {
                                 events << QStringLiteral("alertSent:%1").arg(int(type));
                             }),
            QObject::connect(socket, &QSslSocket::alertReceived, socket,
                             [this](QSsl::AlertLevel, QSsl::AlertType type, const QString &) {
                                 events << QStringLiteral("alertReceived:%1").arg(int(type));
                             }),
            QObject::connect(socket, &QSslSocket::preSharedKeyAuthenticationRequired, socket,
                             [this](QSslPreSharedKeyAuthenticator *) { events << "psk"; }),
        };
    }
    // The socket may outlive the log (and emit disconnected() as it is destroyed).
    ~SignalLog()
    {
        for (const QMetaObject::Connection &connection : m_connections)
            QObject::disconnect(connection);
    }
    Q_DISABLE_COPY(SignalLog)

    int count(const QString &event) const { return int(events.count(event)); }
    std::string text() const { return events.join(QLatin1Char(' ')).toStdString(); }

    QStringList events;
    QStringList errorStrings;
    int readyReads = 0; // not in events: how often readyRead() was emitted

private:
    std::vector<QMetaObject::Connection> m_connections;
};

inline QString errorEvent(QAbstractSocket::SocketError error)
{
    return QStringLiteral("error:%1").arg(int(error));
}

// A QtPsk client with the good credentials (connect the slot before any other).
inline std::unique_ptr<QSslSocket> goodClient(QSsl::SslProtocol protocol = QSsl::TlsV1_2)
{
    auto socket = std::make_unique<QSslSocket>();
    socket->setSslConfiguration(pskConfiguration(protocol));
    QObject::connect(socket.get(), &QSslSocket::preSharedKeyAuthenticationRequired, socket.get(),
                     [](QSslPreSharedKeyAuthenticator *authenticator) {
                         authenticator->setIdentity(goodIdentity());
                         authenticator->setPreSharedKey(goodKey());
                     });
    return socket;
}

// A QSslServer for the good credentials that echoes on every connection it hands over.
class EchoServer
{
public:
    explicit EchoServer(QSsl::SslProtocol protocol = QSsl::TlsV1_2)
    {
        QSslConfiguration configuration = pskConfiguration(protocol);
        configuration.setPreSharedKeyIdentityHint(goodHint());
        server.setSslConfiguration(configuration);
        QtPskTest::answerKnownIdentity(server, &pskRequests, goodIdentity(), goodKey());
        QObject::connect(&server, &QSslServer::errorOccurred, &server,
                         [this](QSslSocket *socket, QAbstractSocket::SocketError error) {
                             errors << QStringLiteral("error:%1").arg(int(error));
                             errorStrings << socket->errorString();
                         });
        QObject::connect(&server, &QSslServer::alertSent, &server,
                         [this](QSslSocket *, QSsl::AlertLevel, QSsl::AlertType type, const QString &) {
                             alertsSent << int(type);
                         });
        QObject::connect(&server, &QTcpServer::pendingConnectionAvailable, &server, [this] {
            while (QTcpSocket *plain = server.nextPendingConnection()) {
                auto *socket = qobject_cast<QSslSocket *>(plain);
                accepted << socket;
                acceptedLogs.push_back(std::make_unique<SignalLog>(socket));
                QObject::connect(socket, &QIODevice::readyRead, socket,
                                 [socket] { socket->write(socket->readAll()); });
            }
        });
        listening = server.listen(QHostAddress::LocalHost, 0);
    }
    quint16 port() const { return server.serverPort(); }

    // Declared before the server: its sockets still emit into them while it is destroyed.
    std::vector<std::unique_ptr<SignalLog>> acceptedLogs; // one per accepted socket
    QSslServer server;
    bool listening = false;
    int pskRequests = 0;
    QStringList errors; // "error:<n>", one per failed handshake
    QStringList errorStrings;
    QList<int> alertsSent;
    QList<QSslSocket *> accepted; // children of the server
};

// A good QtPsk client completes a PSK handshake with the server on \a port and gets an echo.
inline ::testing::AssertionResult completesGoodHandshake(quint16 port,
                                                        QSsl::SslProtocol protocol = QSsl::TlsV1_2)
{
    std::unique_ptr<QSslSocket> client = goodClient(protocol);
    SignalLog log(client.get());
    QByteArray echoed;
    QObject::connect(client.get(), &QIODevice::readyRead, client.get(),
                     [&] { echoed += client->readAll(); });
    QObject::connect(client.get(), &QSslSocket::encrypted, client.get(),
                     [&] { client->write("still serving"); });
    client->connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    if (!QtPskTest::waitUntil([&] { return echoed == "still serving" || !log.errorStrings.isEmpty(); },
                              10000)
        || echoed != "still serving") {
        return ::testing::AssertionFailure() << "a good client was not served: " << log.text() << " "
                                             << log.errorStrings.join(QLatin1Char('|')).toStdString();
    }
    client->disconnectFromHost();
    QtPskTest::waitUntil([&] { return client->state() == QAbstractSocket::UnconnectedState; }, 5000);
    return ::testing::AssertionSuccess();
}

} // namespace FaultsTest

#endif // QTPSK_FAULTS_FAULTSUPPORT_H
