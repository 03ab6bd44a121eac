// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_TLSERRORMAP_P_H
#define QTPSK_TLSERRORMAP_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qabstractsocket.h>
#include <QtPsk/qsslconfiguration.h>

#include "qtpsk_p.h"

#include <QtCore/qstring.h>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

class TlsEngine;

// Where in the connection an engine call failed.
enum class TlsPhase { Handshake, Read, Write };

// What a failed engine call means for the socket: the one mapping from the engine's result to
// QAbstractSocket's error and errorString().
struct TlsFailure
{
    enum class Outcome {
        // The peer closed the TCP connection without a close_notify, during the handshake or
        // while reading: the remote host closed the connection (closeWithError()).
        Truncated,
        // The session failed: the error is reported, then the connection is aborted. In the
        // Write phase the error is only recorded: write() never emits, the read path reports.
        Failed,
        // Reported (errorOccurred()) while the connection stays: the peer's close_notify, after
        // which the connection closes with the transport.
        Reported,
    };
    Outcome outcome = Outcome::Failed;
    QAbstractSocket::SocketError error = QAbstractSocket::UnknownSocketError;
    QString errorString;
};

// The failure of \a engine's last call in \a phase. \a configuration explains a refused TLS 1.3
// PSK handshake (the engine's diagnosis).
TlsFailure tlsFailure(TlsPhase phase, const TlsEngine &engine,
                      const QSslConfiguration &configuration);

// The text of a failed handshake: OpenSSL's words and the engine's diagnosis.
QString handshakeFailureText(const TlsEngine &engine, const QSslConfiguration &configuration);

// The peer's close_notify, reported at once (the connection closes with the transport).
TlsFailure closeNotifyFailure();

// A slot threw inside an engine call: the connection is aborted with this error.
TlsFailure slotExceptionFailure(bool handshaking);

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE

#endif // QTPSK_TLSERRORMAP_P_H
