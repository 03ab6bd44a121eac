// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "network/streamlayer_p.h"

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

StreamLayer::~StreamLayer() = default;

void StreamLayer::connected()
{
    Q_EMIT m_host.socket()->connected();
}

void StreamLayer::readable()
{
    bool gotData = false;
    bool ended = false;
    int error = 0;
    // Bounded, so that one busy socket cannot starve the event loop (the notifier fires again).
    for (int round = 0; round < 64; ++round) {
        const qint64 space = m_host.readBufferSpace();
        if (space == 0)
            break;
        qint64 available = 0;
        char *to = m_host.reserveApplicationSpace(&available);
        if (space > 0)
            available = qMin(available, space);
        const qint64 n = m_host.readFromWire(to, available, &error);
        if (n > 0) {
            m_host.commitApplicationBytes(n);
            gotData = true;
            continue;
        }
        ended = n < 0;
        break;
    }
    m_host.updateReadNotification();
    if (gotData && !m_host.emitReadyRead())
        return;
    const QAbstractSocket::SocketState state = m_host.state();
    if (!ended
        || (state != QAbstractSocket::ConnectedState && state != QAbstractSocket::ClosingState))
        return;
    if (error == 0)
        m_host.closeByPeer();
    else
        m_host.failWire(error);
}

qint64 StreamLayer::write(const char *data, qint64 size)
{
    m_host.writeToWire(data, size);
    return size;
}

qint64 StreamLayer::bytesToWrite() const
{
    return m_host.wireBytesToWrite();
}

void StreamLayer::wireBytesWritten(qint64 size)
{
    m_host.emitBytesWritten(size);
}

bool StreamLayer::beginDisconnect()
{
    return true;
}

bool StreamLayer::closeDeferred() const
{
    return false;
}

bool StreamLayer::connectionEnding()
{
    return true;
}

bool StreamLayer::closesDeviceAfterAbort() const
{
    return false;
}

bool StreamLayer::reconnected(bool)
{
    return true;
}

void StreamLayer::aboutToAbort()
{
}

bool StreamLayer::hasBufferedInput() const
{
    return false;
}

bool StreamLayer::processBufferedInput()
{
    return true;
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
