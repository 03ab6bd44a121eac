// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QtPsk/qnetworkdatagram.h>

#include "network/qnetworkdatagram_p.h"

QT_IMPL_METATYPE_EXTERN_TAGGED(QTPSK_PREPEND_NAMESPACE(QNetworkDatagram), QtPsk_QNetworkDatagram)

QTPSK_BEGIN_NAMESPACE

QNetworkDatagram::QNetworkDatagram() : d(new QNetworkDatagramPrivate)
{
}

QNetworkDatagram::QNetworkDatagram(const QByteArray &data, const QHostAddress &destinationAddress,
                                   quint16 port)
    : d(new QNetworkDatagramPrivate(data, destinationAddress, port))
{
}

QNetworkDatagram::QNetworkDatagram(const QNetworkDatagram &other) = default;
QNetworkDatagram &QNetworkDatagram::operator=(const QNetworkDatagram &other) = default;
QNetworkDatagram::~QNetworkDatagram() = default;
QNetworkDatagram::QNetworkDatagram(QNetworkDatagram &&other) noexcept = default;

void QNetworkDatagram::clear()
{
    d->data.clear();
    d->senderAddress.clear();
    d->destinationAddress.clear();
    d->hopLimit = -1;
    d->interfaceIndex = 0;
}

bool QNetworkDatagram::isValid() const
{
    return d->senderAddress.protocol() != QAbstractSocket::UnknownNetworkLayerProtocol
            || d->destinationAddress.protocol() != QAbstractSocket::UnknownNetworkLayerProtocol;
}

uint QNetworkDatagram::interfaceIndex() const { return d->interfaceIndex; }

void QNetworkDatagram::setInterfaceIndex(uint index) { d->interfaceIndex = index; }

QHostAddress QNetworkDatagram::senderAddress() const { return d->senderAddress; }

QHostAddress QNetworkDatagram::destinationAddress() const { return d->destinationAddress; }

int QNetworkDatagram::senderPort() const
{
    return d->senderAddress.isNull() ? -1 : d->senderPort;
}

int QNetworkDatagram::destinationPort() const
{
    return d->destinationAddress.isNull() ? -1 : d->destinationPort;
}

void QNetworkDatagram::setSender(const QHostAddress &address, quint16 port)
{
    d->senderAddress = address;
    d->senderPort = port;
}

void QNetworkDatagram::setDestination(const QHostAddress &address, quint16 port)
{
    d->destinationAddress = address;
    d->destinationPort = port;
}

int QNetworkDatagram::hopLimit() const { return d->hopLimit; }

void QNetworkDatagram::setHopLimit(int count) { d->hopLimit = count; }

QByteArray QNetworkDatagram::data() const { return d->data; }

void QNetworkDatagram::setData(const QByteArray &data) { d->data = data; }

// As Qt: only a multicast destination makes the reply leave its source address to the system.
static bool isNonUnicast(const QHostAddress &address)
{
    return address.isMulticast();
}

QNetworkDatagram QNetworkDatagram::makeReply_helper(const QByteArray &data) const
{
    QNetworkDatagram reply(data, d->senderAddress, d->senderPort);
    reply.d->interfaceIndex = d->interfaceIndex;
    if (!isNonUnicast(d->destinationAddress)) {
        reply.d->senderAddress = d->destinationAddress;
        reply.d->senderPort = d->destinationPort;
    }
    return reply;
}

void QNetworkDatagram::makeReply_helper_inplace(const QByteArray &data)
{
    d->data = data;
    std::swap(d->senderAddress, d->destinationAddress);
    std::swap(d->senderPort, d->destinationPort);
    d->hopLimit = -1;
    if (isNonUnicast(d->senderAddress))
        d->senderAddress.clear();
}

QTPSK_END_NAMESPACE
