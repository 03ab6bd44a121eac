// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "transport/udptransport_p.h"

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

namespace {

// recv() with MSG_PEEK of at most one byte: the datagram's size with MSG_TRUNC, else 0 or 1.
ssize_t peek(int fd, int flags)
{
    char byte = 0;
    ssize_t n = -1;
    do {
        n = ::recv(fd, &byte, 1, MSG_PEEK | flags);
    } while (n < 0 && errno == EINTR);
    return n;
}

// An IPv6 address (maybe IPv4-mapped) with \a port as a SocketAddress.
SocketAddress fromIn6(const in6_addr &address, quint16 port, unsigned scope)
{
    sockaddr_in6 a {};
    a.sin6_family = AF_INET6;
    a.sin6_addr = address;
    a.sin6_port = htons(port);
    a.sin6_scope_id = scope;
    return SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr *>(&a), sizeof a);
}

SocketAddress fromIn4(const in_addr &address, quint16 port)
{
    sockaddr_in a {};
    a.sin_family = AF_INET;
    a.sin_addr = address;
    a.sin_port = htons(port);
    return SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr *>(&a), sizeof a);
}

// \a address as an IPv4-mapped IPv6 address, for an IPv6 socket sending to IPv4.
SocketAddress mappedToIpv6(const SocketAddress &address)
{
    const auto *in = reinterpret_cast<const sockaddr_in *>(address.data());
    in6_addr mapped {};
    mapped.s6_addr[10] = 0xff;
    mapped.s6_addr[11] = 0xff;
    std::memcpy(&mapped.s6_addr[12], &in->sin_addr, 4);
    return fromIn6(mapped, address.port(), 0);
}

// Reads the destination, hop limit and interface from the ancillary data of \a message.
void readAncillary(msghdr *message, quint16 localPort, DatagramHeader *header)
{
    for (cmsghdr *c = CMSG_FIRSTHDR(message); c; c = CMSG_NXTHDR(message, c)) {
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            in6_pktinfo info {};
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            header->destination = fromIn6(info.ipi6_addr, localPort, 0);
            header->interfaceIndex = info.ipi6_ifindex;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
            int hops = -1;
            std::memcpy(&hops, CMSG_DATA(c), sizeof hops);
            header->hopLimit = hops;
        } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            in_pktinfo info {};
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            header->destination = fromIn4(info.ipi_addr, localPort);
            header->interfaceIndex = unsigned(info.ipi_ifindex);
        } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
            int ttl = -1;
            std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
            header->hopLimit = ttl;
        }
    }
}

} // namespace

UdpTransport::UdpTransport(QObject *context) : TcpTransport(context, SOCK_DGRAM)
{
}

void UdpTransport::enableDatagramInfo()
{
    setOption(SOL_SOCKET, SO_BROADCAST, 1);
    if (addressFamily() == AF_INET6) {
        setOption(IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
        setOption(IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
    } else {
        setOption(IPPROTO_IP, IP_PKTINFO, 1);
        setOption(IPPROTO_IP, IP_RECVTTL, 1);
    }
}

bool UdpTransport::hasPendingDatagram() const
{
    if (!isOpen())
        return false;
    return peek(descriptor(), 0) >= 0 || errno == EMSGSIZE;
}

qint64 UdpTransport::pendingDatagramSize() const
{
    if (!isOpen())
        return -1;
    return qint64(peek(descriptor(), MSG_TRUNC));
}

qint64 UdpTransport::bytesAvailable() const
{
    int n = 0;
    if (!isOpen() || ::ioctl(descriptor(), FIONREAD, &n) != 0)
        return -1;
    return n;
}

qint64 UdpTransport::receive(char *data, qint64 maxSize, DatagramHeader *header)
{
    if (!isOpen()) {
        fail(EBADF);
        return Error;
    }
    sockaddr_storage sender {};
    alignas(cmsghdr) char control[256];
    char scratch = 0;
    iovec vector {};
    // A zero-length buffer still takes the datagram off the queue.
    vector.iov_base = maxSize > 0 ? data : &scratch;
    vector.iov_len = size_t(qMax<qint64>(maxSize, 0));
    msghdr message {};
    message.msg_name = &sender;
    message.msg_namelen = sizeof sender;
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    message.msg_control = header ? control : nullptr;
    message.msg_controllen = header ? sizeof control : 0;
    ssize_t n = -1;
    do {
        n = ::recvmsg(descriptor(), &message, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        fail(errno);
        return Error;
    }
    if (header) {
        *header = DatagramHeader();
        header->sender = SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr *>(&sender),
                                                     message.msg_namelen);
        readAncillary(&message, localPort(), header);
    }
    return qMin<qint64>(n, qMax<qint64>(maxSize, 0));
}

qint64 UdpTransport::send(const char *data, qint64 size, const DatagramHeader &header)
{
    if (!isOpen()) {
        fail(EBADF);
        return Error;
    }
    const bool ipv6 = addressFamily() == AF_INET6;
    SocketAddress destination = header.destination;
    if (ipv6 && destination.isValid() && destination.family() == AF_INET)
        destination = mappedToIpv6(destination);
    char scratch = 0;
    iovec vector {};
    vector.iov_base = size > 0 ? const_cast<char *>(data) : &scratch;
    vector.iov_len = size_t(qMax<qint64>(size, 0));
    msghdr message {};
    message.msg_name = destination.isValid() ? &destination.storage : nullptr;
    message.msg_namelen = destination.isValid() ? destination.length : 0;
    message.msg_iov = &vector;
    message.msg_iovlen = 1;

    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(int))] = {};
    size_t used = 0;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr *c = CMSG_FIRSTHDR(&message);
    const bool fromAddress = header.sender.isValid();
    if (fromAddress || header.interfaceIndex != 0) {
        if (ipv6) {
            in6_pktinfo info {};
            if (fromAddress) {
                const SocketAddress sender = header.sender.family() == AF_INET
                        ? mappedToIpv6(header.sender) : header.sender;
                info.ipi6_addr = reinterpret_cast<const sockaddr_in6 *>(sender.data())->sin6_addr;
            }
            info.ipi6_ifindex = header.interfaceIndex;
            c->cmsg_level = IPPROTO_IPV6;
            c->cmsg_type = IPV6_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof info);
            std::memcpy(CMSG_DATA(c), &info, sizeof info);
            used += CMSG_SPACE(sizeof info);
        } else {
            in_pktinfo info {};
            if (fromAddress && header.sender.family() == AF_INET)
                info.ipi_spec_dst = reinterpret_cast<const sockaddr_in *>(header.sender.data())->sin_addr;
            info.ipi_ifindex = int(header.interfaceIndex);
            c->cmsg_level = IPPROTO_IP;
            c->cmsg_type = IP_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof info);
            std::memcpy(CMSG_DATA(c), &info, sizeof info);
            used += CMSG_SPACE(sizeof info);
        }
        c = reinterpret_cast<cmsghdr *>(control + used);
    }
    if (header.hopLimit != -1) {
        const int hops = header.hopLimit;
        c->cmsg_level = ipv6 ? IPPROTO_IPV6 : IPPROTO_IP;
        c->cmsg_type = ipv6 ? IPV6_HOPLIMIT : IP_TTL;
        c->cmsg_len = CMSG_LEN(sizeof hops);
        std::memcpy(CMSG_DATA(c), &hops, sizeof hops);
        used += CMSG_SPACE(sizeof hops);
    }
    message.msg_controllen = used;
    if (used == 0)
        message.msg_control = nullptr;
    ssize_t n = -1;
    do {
        n = ::sendmsg(descriptor(), &message, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        fail(errno);
        return Error;
    }
    return n;
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
