// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// A QTcpServer subclass in the style of Qt's PskServer test helper: every accepted connection
// becomes a server-mode QSslSocket with configuration, handed to prepare() (connections to its
// signals), queued as a pending connection, and put into its handshake. Header only, so that it
// builds against QtPsk and against Qt6::Network alike (the parity tests use both).
#ifndef QTPSK_TESTS_PSKTCPSERVER_H
#define QTPSK_TESTS_PSKTCPSERVER_H

#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpServer>

#if !defined(QTPSK_PARITY_AGAINST_QTNETWORK) && defined(QTPSK_NAMESPACE)
QTPSK_USE_NAMESPACE
#endif

#include <functional>

namespace QtPskTest {

class PskTcpServer : public QTcpServer
{
public:
    QSslConfiguration configuration;
    std::function<void(QSslSocket *)> prepare;

protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto *socket = new QSslSocket(this);
        socket->setSslConfiguration(configuration);
        if (!socket->setSocketDescriptor(descriptor)) {
            delete socket;
            return;
        }
        if (prepare)
            prepare(socket);
        addPendingConnection(socket);
        socket->startServerEncryption();
    }
};

} // namespace QtPskTest

#endif // QTPSK_TESTS_PSKTCPSERVER_H
