// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QtPsk/qudpsocket.h>

#include "network/qabstractsocket_p.h"
#include "network/qhostaddress_p.h"
#include "network/qnetworkdatagram_p.h"
#include "qtpsklogging_p.h"
#include "transport/socketerrors_p.h"

#include <QtCore/qloggingcategory.h>

#include <cstring>
#include <arpa/inet.h>
#include <netinet/in.h>

QTPSK_BEGIN_NAMESPACE

using QtPskPrivate::AbstractSocketPrivate;
using QtPskPrivate::DatagramHeader;
using QtPskPrivate::SocketAddress;

namespace {

SocketAddress toSocketAddress(const QHostAddress &address, quint16 port)
{
    SocketAddress a;
    a.length = QtPskPrivate::toSockAddr(address, port, &a.storage);
    return a;
}

// Where a datagram goes, as Qt's socket engine addresses it: nowhere of its own for port 0 (a
// connected socket's peer); otherwise IPv6 (IPv4-mapped for an IPv4 address) on an IPv6 socket
// or for an IPv6 address, else IPv4; a null address is the unspecified one.
SocketAddress destinationFor(const QHostAddress &address, quint16 port, int socketFamily)
{
    SocketAddress a;
    if (port == 0)
        return a;
    const auto protocol = address.protocol();
    if (protocol == QAbstractSocket::IPv6Protocol || protocol == QAbstractSocket::AnyIPProtocol
        || socketFamily == AF_INET6) {
        sockaddr_in6 in6 {};
        in6.sin6_family = AF_INET6;
        in6.sin6_port = htons(port);
        const Q_IPV6ADDR bytes = address.toIPv6Address();
        std::memcpy(&in6.sin6_addr, &bytes, sizeof bytes);
        bool ok = false;
        const uint scope = address.scopeId().toUInt(&ok);
        in6.sin6_scope_id = ok ? scope : 0;
        return SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr *>(&in6), sizeof in6);
    }
    sockaddr_in in {};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    in.sin_addr.s_addr = htonl(address.toIPv4Address());
    return SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr *>(&in), sizeof in);
}

QHostAddress toHostAddress(const SocketAddress &address, quint16 *port)
{
    return QtPskPrivate::fromSockAddr(address.isValid() ? address.data() : nullptr, port);
}

// As Qt: the datagram calls of a socket that is neither bound nor connected warn and fail.
bool checkBound(bool hasDescriptor, const char *function)
{
    if (hasDescriptor)
        return true;
    qCWarning(lcQtPskSocket, "%s called on a QUdpSocket when not in QUdpSocket::BoundState",
              function);
    return false;
}

} // namespace

QUdpSocket::QUdpSocket(QObject *parent) : QAbstractSocket(UdpSocket, parent)
{
}

QUdpSocket::~QUdpSocket() = default;

bool QUdpSocket::hasPendingDatagrams() const
{
    if (!checkBound(d_ptr->transport && d_ptr->transport->isOpen(), "QUdpSocket::hasPendingDatagrams()"))
        return false;
    return d_ptr->udp().hasPendingDatagram();
}

qint64 QUdpSocket::pendingDatagramSize() const
{
    if (!checkBound(d_ptr->transport && d_ptr->transport->isOpen(), "QUdpSocket::pendingDatagramSize()"))
        return -1;
    return d_ptr->udp().pendingDatagramSize();
}

QNetworkDatagram QUdpSocket::receiveDatagram(qint64 maxSize)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (!checkBound(d_ptr->transport && d_ptr->transport->isOpen(), "QUdpSocket::receiveDatagram()"))
        return QNetworkDatagram();
    if (maxSize < 0)
        maxSize = d->udp().pendingDatagramSize();
    if (maxSize < 0)
        return QNetworkDatagram();
    QNetworkDatagram result;
    QByteArray payload(qsizetype(maxSize), Qt::Uninitialized);
    DatagramHeader header;
    qint64 n = d->udp().receive(payload.data(), maxSize, &header);
    d->datagramTaken();
    if (n < 0) {
        d->datagramFailed(d->udp().lastError(), QtPskPrivate::SocketCall::DatagramReceive, true);
        n = 0;
    } else {
        result.d->senderAddress = toHostAddress(header.sender, &result.d->senderPort);
        result.d->destinationAddress = toHostAddress(header.destination,
                                                     &result.d->destinationPort);
        if (header.interfaceIndex != 0
            && result.d->destinationAddress.protocol() == QAbstractSocket::IPv6Protocol) {
            // As Qt: the destination of an IPv6 datagram carries the interface as its scope.
            result.d->destinationAddress.setScopeId(QString::number(header.interfaceIndex));
        }
        result.d->hopLimit = header.hopLimit;
        result.d->interfaceIndex = header.interfaceIndex;
    }
    payload.truncate(qsizetype(n));
    result.d->data = payload;
    return result;
}

qint64 QUdpSocket::readDatagram(char *data, qint64 maxlen, QHostAddress *host, quint16 *port)
{
    AbstractSocketPrivate *d = d_ptr.get();
    if (!checkBound(d_ptr->transport && d_ptr->transport->isOpen(), "QUdpSocket::readDatagram()"))
        return -1;
    DatagramHeader header;
    const qint64 n = d->udp().receive(data, maxlen, host || port ? &header : nullptr);
    d->datagramTaken();
    if (n < 0) {
        d->datagramFailed(d->udp().lastError(), QtPskPrivate::SocketCall::DatagramReceive, true);
        return -1;
    }
    quint16 senderPort = 0;
    const QHostAddress sender = toHostAddress(header.sender, &senderPort);
    if (host)
        *host = sender;
    if (port)
        *port = senderPort;
    return n;
}

qint64 QUdpSocket::writeDatagram(const QNetworkDatagram &datagram)
{
    return sendDatagram(datagram.d->data.constData(), datagram.d->data.size(), datagram);
}

qint64 QUdpSocket::writeDatagram(const char *data, qint64 len, const QHostAddress &host,
                                 quint16 port)
{
    return sendDatagram(data, len, QNetworkDatagram(QByteArray(), host, port));
}

qint64 QUdpSocket::sendDatagram(const char *data, qint64 len, const QNetworkDatagram &datagram)
{
    AbstractSocketPrivate *d = d_ptr.get();
    QPointer<QUdpSocket> guard(this);
    if (state() == UnconnectedState) {
        // As Qt: an unbound socket binds to Any (dual stack), port 0, first.
        if (!bind() || !guard)
            return -1;
    }
    if (!d->transport || !d->transport->isOpen())
        return -1;
    DatagramHeader header;
    header.destination = destinationFor(datagram.d->destinationAddress, datagram.d->destinationPort,
                                        d->udp().addressFamily());
    header.sender = toSocketAddress(datagram.d->senderAddress, 0);
    header.hopLimit = datagram.d->hopLimit;
    header.interfaceIndex = datagram.d->interfaceIndex;
    const qint64 sent = d->udp().send(data, len, header);
    if (sent < 0) {
        d->datagramFailed(d->udp().lastError(), QtPskPrivate::SocketCall::DatagramSend, true);
        return -1;
    }
    d->emitDatagramWritten(sent, false);
    return sent;
}

QTPSK_END_NAMESPACE

#include "moc_qudpsocket.cpp"
