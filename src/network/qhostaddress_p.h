// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QHOSTADDRESS_P_H
#define QTPSK_QHOSTADDRESS_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qhostaddress.h>

#include "qtpsk_p.h"

#include <QtCore/qstringview.h>

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

// The text form of addresses (qhostaddress_text.cpp).
// Parses IPv4 text as inet_aton() reads it, with Qt's additions (one to four parts, each
// decimal, octal or hex); false if \a text is not such an address.
bool parseIPv4(QStringView text, quint32 *out);
// Parses IPv6 text without the scope ID into 16 bytes; false if \a text is not such an address.
bool parseIPv6(QStringView text, quint8 *out);
// "a.b.c.d" for the IPv4 address \a ip4 (host byte order).
QString ipv4ToString(quint32 ip4);
// The canonical IPv6 text, as Qt prints it (the same as inet_ntop(): "::" only for a run of two
// or more zero groups, the first longest run; ::ffff:a.b.c.d and ::a.b.c.d in dotted form).
QString ipv6ToString(const quint8 *bytes);

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE

#endif // QTPSK_QHOSTADDRESS_P_H
