// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QNETWORKDATAGRAM_P_H
#define QTPSK_QNETWORKDATAGRAM_P_H

// Internal to QtPsk: not installed, not part of the API.

#include "qtpsk_p.h"

#include <QtPsk/qnetworkdatagram.h>

#include <QtCore/qshareddata.h>

QTPSK_BEGIN_NAMESPACE

// The fields of a QNetworkDatagram (shared between copies until one changes).
class QNetworkDatagramPrivate : public QSharedData
{
public:
    QNetworkDatagramPrivate() = default;
    QNetworkDatagramPrivate(const QByteArray &payload, const QHostAddress &destination, quint16 port)
        : data(payload), destinationAddress(destination), destinationPort(port)
    {
    }

    QByteArray data;
    QHostAddress senderAddress;
    QHostAddress destinationAddress;
    quint16 senderPort = 0;
    quint16 destinationPort = 0;
    int hopLimit = -1;
    uint interfaceIndex = 0;
};

QTPSK_END_NAMESPACE

#endif // QTPSK_QNETWORKDATAGRAM_P_H
