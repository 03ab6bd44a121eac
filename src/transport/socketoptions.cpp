// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "transport/socketoptions_p.h"

#include "transport/tcptransport_p.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

bool socketOptionName(QAbstractSocket::SocketOption option, int family, SocketOptionName *out)
{
    const bool v6 = family == AF_INET6;
    switch (option) {
    case QAbstractSocket::LowDelayOption:
        *out = { IPPROTO_TCP, TCP_NODELAY, true, false };
        return true;
    case QAbstractSocket::KeepAliveOption:
        *out = { SOL_SOCKET, SO_KEEPALIVE, true, false };
        return true;
    case QAbstractSocket::TypeOfServiceOption:
        *out = v6 ? SocketOptionName { IPPROTO_IPV6, IPV6_TCLASS, false, false }
                  : SocketOptionName { IPPROTO_IP, IP_TOS, false, false };
        return true;
    case QAbstractSocket::SendBufferSizeSocketOption:
        *out = { SOL_SOCKET, SO_SNDBUF, false, false };
        return true;
    case QAbstractSocket::ReceiveBufferSizeSocketOption:
        *out = { SOL_SOCKET, SO_RCVBUF, false, false };
        return true;
    case QAbstractSocket::PathMtuSocketOption:
        *out = v6 ? SocketOptionName { IPPROTO_IPV6, IPV6_MTU, false, true }
                  : SocketOptionName { IPPROTO_IP, IP_MTU, false, true };
        return true;
    case QAbstractSocket::MulticastTtlOption:
    case QAbstractSocket::MulticastLoopbackOption:
        break;
    }
    return false;
}

bool setSocketOption(TcpTransport &transport, QAbstractSocket::SocketOption option, int value)
{
    SocketOptionName n;
    if (!socketOptionName(option, transport.localAddress().family(), &n) || n.readOnly)
        return false;
    return transport.setOption(n.level, n.name, n.isFlag ? (value ? 1 : 0) : value);
}

QVariant socketOptionValue(const TcpTransport &transport, QAbstractSocket::SocketOption option)
{
    SocketOptionName n;
    if (!socketOptionName(option, transport.localAddress().family(), &n))
        return QVariant();
    int value = 0;
    if (!transport.option(n.level, n.name, &value))
        return QVariant();
    return QVariant(n.isFlag ? (value ? 1 : 0) : value);
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
