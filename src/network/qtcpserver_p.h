// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTCPSERVER_P_H
#define QTCPSERVER_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qtcpserver.h>
#include <QtPsk/qnetworkproxy.h>

#include "qtpsk_p.h"

#include <QtCore/qlist.h>
#include <QtCore/qobject.h>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

// The state behind QTcpServer. One listening descriptor, non-blocking and close-on-exec,
// watched by one read notifier (a child of the server, so it follows moveToThread()).
class TcpServerPrivate
{
public:
    explicit TcpServerPrivate(QTcpServer *server) : q(server) {}

    // Closes the descriptor (if any) and the notifier; resets the listening state. Does not
    // touch the pending queue.
    void closeListener();
    // Takes over the listening descriptor \a fd: reads its address and starts the notifier.
    void startListening(int fd, bool dualStack);
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
    int fd = -1;
    // Bumped by every listen/close, so that an accept loop notices a restart inside a slot.
    quint64 generation = 0;
    QSocketNotifier *notifier = nullptr;
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

#endif // QTCPSERVER_P_H
