// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QSSLSOCKET_P_H
#define QTPSK_QSSLSOCKET_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qsslsocket.h>

#include "ssl/tlsstreamlayer_p.h"
#include "qtpsk_p.h"

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

// The private part of QSslSocket is its stream layer: the TLS layer its TCP socket owns
// (AbstractSocketPrivate::setLayer()), set up by QSslSocket's constructor.
class SslSocketPrivate final : public TlsStreamLayer
{
public:
    using TlsStreamLayer::TlsStreamLayer;

    static SslSocketPrivate *get(QSslSocket *socket) { return socket->d_func(); }
};

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE

#endif // QTPSK_QSSLSOCKET_P_H
