// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_SOCKETERRORS_P_H
#define QTPSK_SOCKETERRORS_P_H

// Internal to QtPsk: not installed, not part of the API.

#include "qtpsk_p.h"

#include <QtPsk/qabstractsocket.h>

#include <QtCore/qstring.h>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

/*
    The system call whose errno value is being reported. A few values mean something else
    depending on the call, as in Qt's socket engine.
*/
enum class SocketCall {
    Connect, // connect() or the outcome of a pending connect
    Bind,    // socket(), bind() or listen() for a local address (QAbstractSocket::bind(),
             // QTcpServer::listen())
    Other,   // socket() for a connect, accept(), recv(), send(), ...
    DatagramSend,    // sendmsg() of a UDP datagram (QUdpSocket::writeDatagram())
    DatagramReceive, // recvmsg() of a UDP datagram (readDatagram(), receiveDatagram())
    DatagramWrite,   // send() on a connected UDP socket (QIODevice::write()); an errno Qt's
                     // socket engine does not report gives UnknownSocketError and no text
    DatagramRead     // recv() on a connected UDP socket (QIODevice::read())
};

/*
    The one table of errno values to QAbstractSocket errors and their messages (translated in
    the QAbstractSocket context). Sets *text and returns the error. A value the table does not
    know gives errnoString() and UnknownSocketError (ConnectionRefusedError for a connect).
*/
QAbstractSocket::SocketError socketErrorFromErrno(int error, SocketCall call,
                                                                        QString *text);

// The message of a host name that does not resolve ("Host not found").
QString hostNotFoundErrorString();

// A readable description of the errno value \a error (strerror_r, thread-safe).
QString errnoString(int error);

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE

#endif // QTPSK_SOCKETERRORS_P_H
