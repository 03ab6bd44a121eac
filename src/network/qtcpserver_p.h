// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QTCPSERVER_P_H
#define QTPSK_QTCPSERVER_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qtcpserver.h>
#include <QtPsk/qnetworkproxy.h>

#include "qtpsk_p.h"
#include "transport/tcplistener_p.h"

#include <QtCore/qlist.h>
#include <QtCore/qobject.h>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

// The state behind QTcpServer: one TcpListener (its notifier a child of the server, so it
// follows moveToThread()), the queue of accepted sockets and the accept policy.
class TcpServerPrivate
{
public:
    explicit TcpServerPrivate(QTcpServer *server);

    // Closes the listener (if open); resets the listening state. Does not touch the pending
    // queue.
    void closeListener();
    // The listener has just started listening: reads its address and starts the notifier.
    void startListening(bool dualStack);
    // Enables the notifier exactly when accepting is allowed.
    void updateNotifier();
    // Accepts queued connections until the kernel has none, the queue is full, or a slot
    // stopped or deleted the server. Returns false if the server is gone or no longer the
    // same listener (the caller must not touch anything then). \a ignorePause accepts even
    // while pauseAccepting() is in effect (waitForNewConnection()).
    bool acceptConnections(bool ignorePause = false);
    void setError(QAbstractSocket::SocketError error, const QString &text);
    void startBackOff();
    void removePending(QObject *socket);

    QTcpServer *const q;
    TcpListener listener;
    // Bumped by every listen/close, so that an accept loop notices a restart inside a slot.
    quint64 generation = 0;
    int backOffMs = 0;
    bool paused = false;
    bool backingOff = false;

    QHostAddress address;
    quint16 port = 0;
    int maxPending = 30;
    int backlog = 50;
    QAbstractSocket::SocketError error = QAbstractSocket::UnknownSocketError;
    QString errorString;
    QNetworkProxy proxy; // setProxy(): checked by listen()

    struct Pending
    {
        QTcpSocket *socket;
        QMetaObject::Connection destroyedConnection;
    };
    QList<Pending> pending;
};

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE

#endif // QTPSK_QTCPSERVER_P_H
