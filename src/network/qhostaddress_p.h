// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QHOSTADDRESS_P_H
#define QHOSTADDRESS_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qhostaddress.h>

#include "qtpsk_p.h"

#include <sys/socket.h>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

// Fills \a out with the native socket address for \a address and \a port (host byte order)
// and returns its length, or 0 (leaving *out zeroed) for an address that has none (null).
// IPv4 gives AF_INET. IPv6 gives AF_INET6, with sin6_scope_id from the scope ID (an interface
// name or a number). QHostAddress::Any gives AF_INET6 "::": a caller that wants dual-stack
// binds it with IPV6_V6ONLY off, and may retry with QHostAddress::AnyIPv4.
socklen_t toSockAddr(const QHostAddress &address, quint16 port,
                                           sockaddr_storage *out);

// Returns the address in \a address (AF_INET or AF_INET6; anything else, or null, gives a
// null address) and, if \a port is not null, stores its port there in host byte order (0 for
// other families). IPv4-mapped IPv6 addresses stay IPv6, as in Qt.
QHostAddress fromSockAddr(const sockaddr *address, quint16 *port);

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE

#endif // QHOSTADDRESS_P_H
