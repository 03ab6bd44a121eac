// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// TlsStreamLayer, the output and the end: application data encrypted and accounted for
// (bytesWritten() in plaintext), close_notify and alerts, the closes QSslSocket makes, and the
// failures that end a session.
#include "ssl/tlsstreamlayer_p.h"

#include "qtpsklogging_p.h"

#include <QtCore/qmetaobject.h>
#include <QtCore/qpointer.h>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

namespace {

QSsl::AlertLevel alertLevel(int wireLevel)
{
    switch (wireLevel) {
    case 1:
        return QSsl::AlertLevel::Warning;
    case 2:
        return QSsl::AlertLevel::Fatal;
    default:
        return QSsl::AlertLevel::Unknown;
    }
}

QSsl::AlertType alertType(int description)
{
    const QMetaEnum types = QMetaEnum::fromType<QSsl::AlertType>();
    return types.valueToKey(description) ? QSsl::AlertType(description)
                                         : QSsl::AlertType::UnknownAlertMessage;
}

} // namespace


qint64 TlsStreamLayer::write(const char *data, qint64 size)
{
    // As Qt: after connectToHostEncrypted(), what is written before the handshake starts waits
    // for it too (it must never go out in clear text).
    if (mode == QSslSocket::UnencryptedMode && !autoStartHandshake)
        return StreamLayer::write(data, size);
    if (!conn.connectionEncrypted || !engine) {
        conn.pendingPlaintext.append(data, size);
        return size;
    }
    return encryptAndQueue(data, size) ? size : -1;
}

bool TlsStreamLayer::encryptAndQueue(const char *data, qint64 size)
{
    qint64 done = 0;
    while (done < size) {
        qsizetype consumed = 0;
        TlsEngine::Result result = TlsEngine::Result::Failed;
        if (!callEngine([&] { result = engine->write(data + done, size - done, &consumed); }))
            return false;
        if (result != TlsEngine::Result::Ok || consumed <= 0) {
            failEngineCall(TlsPhase::Write);
            return false;
        }
        done += consumed;
    }
    flushEngineOutput();
    conn.plaintextRecords.push_back({conn.wireQueued, qint64(size)});
    conn.plaintextUnsent += size;
    return true;
}

void TlsStreamLayer::flushEngineOutput()
{
    bool queued = false;
    while (engine && engine->pendingOutput() > 0) {
        const QByteArray records = engine->takeOutput();
        conn.wireQueued += records.size();
        host().writeToWire(records);
        queued = true;
    }
    if (queued)
        host().sendEagerly(); // a handshake flight must not wait for another event-loop round
}

qint64 TlsStreamLayer::bytesToWrite() const
{
    if (mode == QSslSocket::UnencryptedMode && !autoStartHandshake)
        return StreamLayer::bytesToWrite();
    return conn.pendingPlaintext.size() + conn.plaintextUnsent;
}

void TlsStreamLayer::wireBytesWritten(qint64 size)
{
    if (mode == QSslSocket::UnencryptedMode) {
        StreamLayer::wireBytesWritten(size);
        return;
    }
    conn.wireSent += size;
    qint64 plaintextSent = 0;
    while (!conn.plaintextRecords.empty() && conn.plaintextRecords.front().wireEnd <= conn.wireSent) {
        plaintextSent += conn.plaintextRecords.front().plaintext;
        conn.plaintextRecords.pop_front();
    }
    conn.plaintextUnsent -= plaintextSent;
    // As Qt: bytesWritten() for the application's bytes, then encryptedBytesWritten().
    QPointer<QAbstractSocket> guard(q);
    if (plaintextSent > 0 && !host().emitBytesWritten(plaintextSent))
        return;
    Q_EMIT q->encryptedBytesWritten(size);
    if (guard && conn.shutdownPending && conn.plaintextUnsent == 0
        && host().state() == QAbstractSocket::ClosingState)
        sendCloseNotify(); // disconnectFromHost() waited for the data to go
}

bool TlsStreamLayer::beginDisconnect()
{
    if (mode == QSslSocket::UnencryptedMode || !engine)
        return true; // a plain connection: one ClosingState, as Qt
    // A session the application saw established (encrypted()) is shut down with a close_notify;
    // one refused after OpenSSL's handshake (sslErrors() not ignored) is not, as in Qt.
    if (conn.connectionEncrypted && engine->isHandshakeComplete() && !inEngineCall) {
        if (conn.plaintextUnsent > 0) {
            conn.shutdownPending = true; // after the data's bytesWritten(), as Qt
            return true;
        }
        return sendCloseNotify();
    }
    // During the handshake Qt closes the TCP connection without a close_notify; its TCP layer
    // reports ClosingState a second time. A PSK answer still pending is no longer taken.
    closePskRequest();
    return emitClosingAgain();
}

bool TlsStreamLayer::emitClosingAgain()
{
    QPointer<QAbstractSocket> guard(q);
    Q_EMIT q->stateChanged(QAbstractSocket::ClosingState);
    return !guard.isNull();
}

bool TlsStreamLayer::closeWithoutNotify()
{
    conn.closeAfterHandshake = false;
    conn.shutdownPending = false;
    QPointer<QAbstractSocket> guard(q);
    if (!host().flush() || !guard) // what was written goes first (and is reported)
        return false;
    if (host().state() == QAbstractSocket::ConnectedState && !host().enterClosingState())
        return false;
    if (host().state() != QAbstractSocket::ClosingState)
        return true;
    if (host().wireBytesToWrite() > 0 || host().bytesSentNotReported() > 0) {
        host().armWriteNotifier(); // the event loop sends the rest, then closes
        return true;
    }
    return host().finishClosing();
}

bool TlsStreamLayer::sendCloseNotify()
{
    conn.shutdownPending = false;
    conn.closeNotifyOwed = false;
    engine->shutdown();
    flushEngineOutput(); // sent at once; the event loop reports it, then the socket closes
    if (!emitAlerts())
        return false;
    if (host().state() != QAbstractSocket::ClosingState)
        return true;
    return emitClosingAgain(); // as Qt's TCP layer reports it again
}

bool TlsStreamLayer::emitAlerts()
{
    if (!engine)
        return true;
    QPointer<QAbstractSocket> guard(q);
    const std::vector<TlsAlert> alerts = engine->takeAlerts();
    for (const TlsAlert &alert : alerts) {
        if (alert.sent)
            Q_EMIT q->alertSent(alertLevel(alert.level), alertType(alert.type), alert.text);
        else
            Q_EMIT q->alertReceived(alertLevel(alert.level), alertType(alert.type), alert.text);
        if (!guard)
            return false;
    }
    return true;
}

bool TlsStreamLayer::failEngineCall(TlsPhase phase)
{
    const TlsFailure failure = tlsFailure(phase, *engine, configuration);
    if (failure.outcome == TlsFailure::Outcome::Truncated)
        return host().closeWithError(failure.error, failure.errorString);
    if (phase == TlsPhase::Write) {
        // Recorded only: write() never emits; the read path reports the broken session.
        host().setError(failure.error, failure.errorString);
        return true;
    }
    return failConnection(failure.error, failure.errorString);
}

bool TlsStreamLayer::failConnection(QAbstractSocket::SocketError error, const QString &message)
{
    QPointer<QAbstractSocket> guard(q);
    conn.closeNotifyOwed = false; // a failed session is not shut down
    conn.shutdownPending = false;
    host().sendEagerly(); // a pending fatal alert leaves before the connection goes
    if (!host().setErrorAndEmit(error, message))
        return false;
    // As Qt: what was sent is reported after the error, then the socket aborts.
    if (!host().flush() || !guard)
        return false;
    if (host().state() != QAbstractSocket::UnconnectedState)
        host().abort();
    return bool(guard);
}

bool TlsStreamLayer::errorsIgnored(const QList<QSslError> &errors) const
{
    if (conn.ignoreAllErrors)
        return true;
    for (const QSslError &error : errors) {
        if (!ignoredErrors.contains(error))
            return false;
    }
    return !errors.isEmpty() || ignoredErrors.isEmpty();
}

bool TlsStreamLayer::defersDisconnect()
{
    const bool handshaking = (autoStartHandshake || mode != QSslSocket::UnencryptedMode)
            && !(engine && engine->isHandshakeComplete());
    const QAbstractSocket::SocketState state = host().state();
    if (handshaking
        && (state == QAbstractSocket::HostLookupState || state == QAbstractSocket::ConnectingState)) {
        // As Qt: connect, finish the handshake, then close.
        conn.closeAfterHandshake = true;
        return true;
    }
    if (handshaking && state == QAbstractSocket::ConnectedState && (engine || host().isReconnecting())
        && !conn.pendingPlaintext.isEmpty()) {
        // Finish the handshake and send what was written, then close. (Qt 6.4 never completes
        // such a handshake: it stays in ClosingState.)
        conn.closeAfterHandshake = true;
        return true;
    }
    return false;
}

void TlsStreamLayer::close()
{
    // As Qt's QSslSocket: the TCP connection closes the way a plain socket closes (what was
    // written is sent first, but no close_notify: Qt reports one with alertSent() before
    // disconnected()), and aboutToClose() comes after the closing signals.
    const QAbstractSocket::SocketState state = host().state();
    if (state == QAbstractSocket::HostLookupState || state == QAbstractSocket::ConnectingState) {
        host().abort(); // also closes the device
        return;
    }
    if (!conn.connectionEncrypted)
        closePskRequest(); // the handshake ends with the connection: no answer is taken
    if ((state == QAbstractSocket::ConnectedState || state == QAbstractSocket::ClosingState)
        && !closeWithoutNotify())
        return;
    if (!host().closeDevice())
        return;
    host().finishDeviceClose();
}

bool TlsStreamLayer::reportError(QAbstractSocket::SocketError error, const QString &errorString)
{
    return host().setErrorAndEmit(error, errorString);
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
