// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Helpers of the re-entrancy tests: every signal of a class through QMetaObject, and a tap that
// runs a callback when one of them is emitted.
#ifndef QTPSK_REENTRANCYSUPPORT_H
#define QTPSK_REENTRANCYSUPPORT_H

#include <QSslSocket>

#include <QtCore/qlist.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qobject.h>

#include <functional>

namespace QtPskTest {

// Every signal of \a metaObject, inherited ones included (QIODevice, QAbstractSocket, ...), but
// not QObject's own destroyed() and objectNameChanged(): a signal added later is covered at once.
QList<QMetaMethod> signalsOf(const QMetaObject *metaObject);

// Receives one signal of one sender and runs onFire with the sender and, for QSslServer's
// signals whose first argument is the socket, that socket.
class SignalTap : public QObject
{
    Q_OBJECT
public:
    std::function<void(QObject *sender, QSslSocket *socket)> onFire;

    // Connects \a signal of \a sender to this tap (a direct connection: sender and tap live in
    // the same thread). Returns false if Qt refused the connection.
    bool attach(QObject *sender, const QMetaMethod &signal);

public Q_SLOTS:
    void fire();
    void fireWithSocket(QSslSocket *socket);

private:
    QObject *m_sender = nullptr;
};

} // namespace QtPskTest

#endif // QTPSK_REENTRANCYSUPPORT_H
