// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_UDPTRANSPORT_P_H
#define QTPSK_UDPTRANSPORT_P_H

// Internal to QtPsk: not installed, not part of the API.

#include "transport/tcptransport_p.h"

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

/*
    What travels with a datagram besides its payload: the sender, the destination (the local
    address and port a received datagram arrived at, or where one to send goes), the hop limit
    (TTL) and the interface. An invalid address or -1 / 0 means "not known" or "the default".
*/
struct DatagramHeader
{
    SocketAddress sender;
    SocketAddress destination;
    int hopLimit = -1;
    unsigned interfaceIndex = 0;
};

/*
    A non-blocking UDP socket: TcpTransport's descriptor handling (open, bind, connect, the
    notifiers, options, poll()) on a SOCK_DGRAM socket, plus the datagram calls. read() and
    write() are recv() and send() of one datagram, for a connected socket.

    Every socket it opens or adopts should be given enableDatagramInfo() so that receive()
    learns each datagram's destination address, hop limit and interface (IP_PKTINFO and the
    hop limit, or their IPv6 counterparts).
*/
class UdpTransport final : public TcpTransport
{
public:
    // The largest payload of a UDP datagram over IPv4 or IPv6 (without jumbograms).
    static constexpr qint64 MaxDatagramSize = 65507;

    explicit UdpTransport(QObject *context);

    // Turns on SO_BROADCAST and the ancillary data receive() reads; failures are ignored (an
    // unavailable option leaves that part of the header unknown).
    void enableDatagramInfo();
    // Whether a datagram (also an empty one) is waiting.
    bool hasPendingDatagram() const;
    // The size of the next datagram, or -1 when none is waiting.
    qint64 pendingDatagramSize() const;
    // The bytes the next read can return (FIONREAD: the next datagram's size), or -1.
    qint64 bytesAvailable() const;
    // Receives one datagram: at most \a maxSize bytes of it go to \a data (the rest is dropped),
    // its header to *\a header if not null. Returns the bytes stored, or Error (lastError():
    // EAGAIN when none is waiting).
    qint64 receive(char *data, qint64 maxSize, DatagramHeader *header);
    // Sends one datagram of \a size bytes to header.destination (the connected peer when it
    // is invalid), from header.sender's address and header.interfaceIndex when set, with
    // header.hopLimit when not -1. Returns the bytes sent, or Error (lastError()).
    qint64 send(const char *data, qint64 size, const DatagramHeader &header);
};

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE

#endif // QTPSK_UDPTRANSPORT_P_H
