// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_SOCKETOPTIONS_P_H
#define QTPSK_SOCKETOPTIONS_P_H

// Internal to QtPsk: not installed, not part of the API.

#include "qtpsk_p.h"

#include <QtPsk/qabstractsocket.h>

#include <QtCore/qvariant.h>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

class TcpTransport;

/*
    The kernel option behind a QAbstractSocket::SocketOption on a TCP or UDP socket.
*/
struct SocketOptionName
{
    int level = 0;
    int name = 0;
    bool isFlag = false;   // on/off: written and read as 0 or 1
    bool readOnly = false; // read by socketOption(), never set
};

/*
    The one table of socket options: fills *out for \a option on a socket of \a family
    (AF_INET or AF_INET6; TypeOfServiceOption, PathMtuSocketOption and the multicast options
    differ) and returns true, or returns false for an option the socket does not have (the
    multicast options are a UDP socket's, \a datagram).
*/
bool socketOptionName(QAbstractSocket::SocketOption option, int family, SocketOptionName *out,
                      bool datagram = false);

// Sets \a option to \a value on the open \a transport; false if it has no such option, the
// option cannot be set, or setsockopt() fails.
bool setSocketOption(TcpTransport &transport,
                                           QAbstractSocket::SocketOption option, int value);

// The value of \a option on the open \a transport (an int), or an invalid QVariant if it has
// no such option or getsockopt() fails.
QVariant socketOptionValue(const TcpTransport &transport,
                                                 QAbstractSocket::SocketOption option);

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE

#endif // QTPSK_SOCKETOPTIONS_P_H
