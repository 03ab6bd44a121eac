// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "transport/socketoptions_p.h"

#include "transport/tcptransport_p.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

namespace {

struct OptionRow
{
    QAbstractSocket::SocketOption option;
    SocketOptionName ipv4;
    SocketOptionName ipv6;
    bool datagramOnly = false; // a UDP socket's option (multicast)
};

constexpr bool flag = true;
constexpr bool readOnly = true;

constexpr bool datagramOnly = true;

// Every option a TCP socket has, and the multicast options of a UDP socket.
constexpr OptionRow optionTable[] = {
    { QAbstractSocket::LowDelayOption, { IPPROTO_TCP, TCP_NODELAY, flag, false }, { IPPROTO_TCP, TCP_NODELAY, flag, false } },
    { QAbstractSocket::KeepAliveOption, { SOL_SOCKET, SO_KEEPALIVE, flag, false }, { SOL_SOCKET, SO_KEEPALIVE, flag, false } },
    { QAbstractSocket::TypeOfServiceOption, { IPPROTO_IP, IP_TOS, false, false }, { IPPROTO_IPV6, IPV6_TCLASS, false, false } },
    { QAbstractSocket::SendBufferSizeSocketOption, { SOL_SOCKET, SO_SNDBUF, false, false }, { SOL_SOCKET, SO_SNDBUF, false, false } },
    { QAbstractSocket::ReceiveBufferSizeSocketOption, { SOL_SOCKET, SO_RCVBUF, false, false }, { SOL_SOCKET, SO_RCVBUF, false, false } },
    { QAbstractSocket::PathMtuSocketOption, { IPPROTO_IP, IP_MTU, false, readOnly }, { IPPROTO_IPV6, IPV6_MTU, false, readOnly } },
    { QAbstractSocket::MulticastTtlOption, { IPPROTO_IP, IP_MULTICAST_TTL, false, false }, { IPPROTO_IPV6, IPV6_MULTICAST_HOPS, false, false }, datagramOnly },
    { QAbstractSocket::MulticastLoopbackOption, { IPPROTO_IP, IP_MULTICAST_LOOP, flag, false }, { IPPROTO_IPV6, IPV6_MULTICAST_LOOP, flag, false }, datagramOnly },
};

} // namespace

bool socketOptionName(QAbstractSocket::SocketOption option, int family, SocketOptionName *out,
                      bool datagram)
{
    for (const OptionRow &row : optionTable) {
        if (row.option == option && (datagram || !row.datagramOnly)) {
            *out = family == AF_INET6 ? row.ipv6 : row.ipv4;
            return true;
        }
    }
    return false;
}

bool setSocketOption(TcpTransport &transport, QAbstractSocket::SocketOption option, int value)
{
    SocketOptionName n;
    if (!socketOptionName(option, transport.addressFamily(), &n,
                          transport.socketType() == SOCK_DGRAM)
        || n.readOnly)
        return false;
    return transport.setOption(n.level, n.name, n.isFlag ? (value ? 1 : 0) : value);
}

QVariant socketOptionValue(const TcpTransport &transport, QAbstractSocket::SocketOption option)
{
    SocketOptionName n;
    if (!socketOptionName(option, transport.addressFamily(), &n,
                          transport.socketType() == SOCK_DGRAM))
        return QVariant();
    int value = 0;
    if (!transport.option(n.level, n.name, &value))
        return QVariant();
    return QVariant(n.isFlag ? (value ? 1 : 0) : value);
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
