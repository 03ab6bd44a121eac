// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QtPsk/qtcpsocket.h>

#include "network/qabstractsocket_p.h"

QTPSK_BEGIN_NAMESPACE

QTcpSocket::QTcpSocket(QObject *parent)
    : QAbstractSocket(TcpSocket, std::make_unique<QtPskPrivate::AbstractSocketPrivate>(), parent)
{
}

QTcpSocket::QTcpSocket(std::unique_ptr<QtPskPrivate::AbstractSocketPrivate> dd, QObject *parent)
    : QAbstractSocket(TcpSocket, std::move(dd), parent)
{
}

QTcpSocket::QTcpSocket(QAbstractSocket::SocketType socketType,
                       std::unique_ptr<QtPskPrivate::AbstractSocketPrivate> dd, QObject *parent)
    : QAbstractSocket(socketType, std::move(dd), parent)
{
}

QTcpSocket::~QTcpSocket() = default;

QTPSK_END_NAMESPACE

// moc output here, where every signal parameter type is complete (parameterMetaType() is valid).
#include "moc_qtcpsocket.cpp"
