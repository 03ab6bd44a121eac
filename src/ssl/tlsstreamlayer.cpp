// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// TlsStreamLayer, the connection: the engine for the socket's mode and configuration, the
// handshake (with its retry offering a TLS 1.3 PSK), the peer's verification, and decryption.
#include "ssl/tlsstreamlayer_p.h"

#include "auth/qsslpresharedkeyauthenticator_p.h"
#include "engine/tlssessionstore_p.h"
#include "ssl/qsslcipher_p.h"
#include "ssl/qsslconfiguration_p.h"
#include "ssl/tlssettings_p.h"
#include "qtpsklogging_p.h"

#include <QtPsk/qsslpresharedkeyauthenticator.h>

#include <QtCore/qloggingcategory.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qpointer.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

namespace {

// Reaches QObject::isSignalConnected(), which is protected, through a pointer to member named
// by a class derived from QObject (the language allows exactly that).
struct SignalProbe : QObject
{
    static bool isConnected(const QObject *object, const QMetaMethod &signal)
    {
        return (object->*(&SignalProbe::isSignalConnected))(signal);
    }
};

} // namespace

TlsStreamLayer::TlsStreamLayer(QSslSocket *socket, StreamHost &host)
    : StreamLayer(host), q(socket)
{
}

TlsStreamLayer::~TlsStreamLayer()
{
    closePskRequest();
    if (destroyedFlag) {
        // A slot deleted the socket from inside an engine call: OpenSSL is still on the stack.
        // callEngine() frees the engine once it has returned; the engine asks us nothing more.
        *destroyedFlag = true;
        if (engine)
            engine->clearCallbacks();
        *engineKeeper = std::move(engine);
    }
}

void TlsStreamLayer::rethrowAfterAbort(std::exception_ptr thrown)
{
    // OpenSSL has returned: the exception may travel now. First the connection goes, so that
    // the socket is Unconnected and consistent wherever the exception is caught. OpenSSL's
    // fatal alert (if it queued one) leaves first, without any signal.
    const bool handshaking = !conn.connectionEncrypted;
    flushEngineOutput();
    const TlsFailure failure = slotExceptionFailure(handshaking);
    if (host().state() == QAbstractSocket::UnconnectedState) {
        // The slot aborted the socket before it threw: record why, emit nothing more.
        host().setError(failure.error, failure.errorString);
        std::rethrow_exception(thrown);
    }
    QPointer<QAbstractSocket> guard(q);
    // As any failed handshake: error(), errorOccurred(), then the abort (stateChanged(),
    // disconnected()). The first exception is the one that propagates: one thrown by these
    // slots is dropped, and the abort is completed regardless.
    try {
        failConnection(failure.error, failure.errorString);
    } catch (...) {
    }
    try {
        if (guard && host().state() != QAbstractSocket::UnconnectedState)
            host().abort();
    } catch (...) {
    }
    std::rethrow_exception(thrown);
}

void TlsStreamLayer::resetTlsState(bool autoStart)
{
    mode = QSslSocket::UnencryptedMode;
    autoStartHandshake = autoStart;
    if (inEngineCall)
        abortRequested = true;
    else
        dropEngine();
    conn = ConnectionState();
    QSslConfigurationAccess::setSessionCipher(configuration, QSslCipher());
    QSslConfigurationAccess::setSessionProtocol(configuration, QSsl::UnknownProtocol);
}

void TlsStreamLayer::aboutToAbort()
{
    if (inEngineCall)
        abortRequested = true; // destroyed by callEngine() once OpenSSL has returned
    else
        dropEngine();
    conn.pendingPlaintext.clear();
    conn.plaintextRecords.clear();
    conn.plaintextUnsent = 0;
    conn.handshakeInterrupted = false;
    conn.closeAfterHandshake = false;
    conn.shutdownPending = false;
    // isEncrypted(), sessionCipher() and the close_notify Qt reports stay until the connection's
    // last signals: connectionEnding() clears them.
}

bool TlsStreamLayer::connectionEnding()
{
    conn.shutdownPending = false;
    if (conn.closeNotifyOwed) {
        // As Qt: a session that ends without our close_notify reports one before disconnected()
        // (Qt's backend shuts the session down once the TCP connection has gone).
        conn.closeNotifyOwed = false;
        QPointer<QAbstractSocket> guard(q);
        Q_EMIT q->alertSent(QSsl::AlertLevel::Warning, QSsl::AlertType::CloseNotify,
                            TlsEngine::alertDescription(0));
        if (!guard)
            return false;
    }
    // As Qt: the session's details are gone once disconnected() is emitted.
    conn.connectionEncrypted = false;
    QSslConfigurationAccess::setSessionCipher(configuration, QSslCipher());
    QSslConfigurationAccess::setSessionProtocol(configuration, QSsl::UnknownProtocol);
    return true;
}

bool TlsStreamLayer::preSharedKeyAuthenticationRequired(QSslPreSharedKeyAuthenticator *authenticator)
{
    QPointer<QAbstractSocket> guard(q);
    closePskRequest();
    pskRequest = new QSslPreSharedKeyRequestPrivate(*authenticator, this);
    AuthenticatorAccess::setRequest(*authenticator, pskRequest.data());
    Q_EMIT q->preSharedKeyAuthenticationRequired(authenticator);
    if (!guard)
        return false; // the destructor closed the request
    // A slot that aborted or closed the socket ends the handshake: no key is handed over.
    const bool ending = abortRequested || host().state() != QAbstractSocket::ConnectedState;
    if (ending || !pskRequest->wasDeferred())
        closePskRequest(); // answered now (or never): deferAnswer() on a copy gets nothing
    return !ending;
}

void TlsStreamLayer::pskAnswerArrived(QSslPreSharedKeyRequestPrivate *request, bool refused,
                                      QByteArray &identity, QByteArray &key)
{
    if (request != pskRequest.data() || !engine || !engine->isPskAnswerPending() || inEngineCall
        || host().state() != QAbstractSocket::ConnectedState) {
        qCInfo(lcQtPskSsl, "%p: a PSK answer arrived that no handshake waits for: ignored",
               static_cast<void *>(q));
        return;
    }
    closePskRequest();
    if (refused)
        engine->refusePsk();
    else
        engine->answerPsk(identity, key);
    wipeByteArray(identity);
    wipeByteArray(key);
    processEngine(); // resumes the handshake; its signals may end or delete the socket
}

void TlsStreamLayer::dropEngine()
{
    closePskRequest();
    engine.reset();
}

void TlsStreamLayer::closePskRequest()
{
    if (pskRequest) {
        pskRequest->close();
        pskRequest.reset();
    }
}

void TlsStreamLayer::connected()
{
    QPointer<QAbstractSocket> guard(q);
    if (autoStartHandshake) {
        // As Qt: the client handshake starts before connected() is emitted.
        startClientEncryption();
        if (!guard || host().state() != QAbstractSocket::ConnectedState)
            return;
    }
    StreamLayer::connected();
}

bool TlsStreamLayer::startEncryption(QSslSocket::SslMode newMode)
{
    QPointer<QAbstractSocket> guard(q);
    mode = newMode;
    Q_EMIT q->modeChanged(newMode);
    if (!guard)
        return false;
    if (mode != newMode || host().state() != QAbstractSocket::ConnectedState)
        return true;

    if (!createEngine())
        return bool(guard);

    // Bytes that arrived before encryption started belong to the handshake: first those that
    // QIODevice buffered (a peek() at the unencrypted socket, as QSslServer does), then ours.
    if (const qint64 buffered = q->QIODevice::bytesAvailable(); buffered > 0) {
        const QByteArray early = q->read(buffered);
        engine->feed(early.constData(), early.size());
    }
    // As Qt: a readyRead() slot that started encryption sees no channelReadyRead() after it
    // (Qt's QSslSocket relays the plain socket's channel signals only while unencrypted).
    host().dropChannelReadyRead();
    for (;;) {
        char chunk[16 * 1024];
        const qint64 n = host().takeApplicationBytes(chunk, sizeof chunk);
        if (n <= 0)
            break;
        engine->feed(chunk, n);
    }
    return processEngine();
}

bool TlsStreamLayer::createEngine()
{
    const bool server = mode == QSslSocket::SslServerMode;
    TlsSettings settings;
    QString errorString;
    std::shared_ptr<TlsContext> context;
    if (settingsFor(configuration, server, &settings, &errorString)) {
        if (!server) {
            const QString name = peerVerifyName.isEmpty() ? q->peerName() : peerVerifyName;
            tls13PskPeer = Tls13PskPeer{name + QLatin1Char('@') + q->peerAddress().toString(),
                                        q->peerPort(), settings};
            if (conn.retryingWithTls13Psk) {
                settings.tls13Psk = Tls13Psk::Offer;
            } else {
                const bool slotConnected = SignalProbe::isConnected(
                        q, QMetaMethod::fromSignal(&QSslSocket::preSharedKeyAuthenticationRequired));
                const Tls13PskPolicy::Decision decision = Tls13PskPolicy::decide(
                        configuration.tls13PreSharedKeyMode(), slotConnected, tls13PskPeer);
                settings.tls13Psk = decision.offer;
                conn.retryOnRefusal = decision.retryOnRefusal;
            }
        }
        context = TlsContext::get(settings, &errorString);
    }
    if (!context) {
        failConnection(QAbstractSocket::SslInvalidUserDataError, errorString);
        return false;
    }
    qCDebug(lcQtPskSsl, "%p: %s handshake starts%s", static_cast<void *>(q),
            server ? "server" : "client",
            conn.retryingWithTls13Psk ? " again, offering a TLS 1.3 PSK" : "");
    const bool resumes = settings.sessionResumption;
    engine = std::make_unique<TlsEngine>(std::move(context), this);
    if (server) {
        if (resumes)
            engine->setSessionStore(sessionStore);
        return true;
    }
    if (!configuration.testSslOption(QSsl::SslOptionDisableServerNameIndication))
        engine->setHostName((peerVerifyName.isEmpty() ? q->peerName() : peerVerifyName).toUtf8());
    const QByteArray ticket = configuration.sessionTicket();
    if (keepsSessions(configuration) && !ticket.isEmpty()) {
        const unsigned char *der = reinterpret_cast<const unsigned char *>(ticket.constData());
        SslSessionPtr session(d2i_SSL_SESSION(nullptr, &der, long(ticket.size())));
        ERR_clear_error();
        if (!session || !engine->setSession(session.get()))
            qCDebug(lcQtPskSsl, "%p: the session ticket cannot be used", static_cast<void *>(q));
    }
    return true;
}

bool TlsStreamLayer::takeSessionTickets()
{
    if (!engine || mode != QSslSocket::SslClientMode)
        return true;
    const int tickets = engine->takeNewSessionTickets();
    if (tickets == 0 || !keepsSessions(configuration))
        return true;
    QPointer<QAbstractSocket> guard(q);
    configuration.setSessionTicket(engine->sessionAsn1());
    QSslConfigurationAccess::setSessionTicketLifeTimeHint(configuration,
                                                          engine->sessionTicketLifetimeHint());
    for (int i = 0; i < tickets && guard; ++i)
        Q_EMIT q->newSessionTicketReceived();
    return bool(guard) && host().state() != QAbstractSocket::UnconnectedState;
}

bool TlsStreamLayer::retryWithTls13Psk()
{
    // The application has seen nothing of this attempt: no emission (Qt's first ClientHello asks
    // nothing), no alert, no error. Only if the new connection cannot be made is the first
    // attempt's failure reported.
    conn.retryOnRefusal = false;
    conn.retryingWithTls13Psk = true;
    Tls13PskPolicy::rememberWantsPsk(tls13PskPeer);
    conn.retryError = handshakeFailureText(*engine, configuration);
    dropEngine();
    // The old connection's bytes will never be reported sent: the accounting starts again
    // (what the application wrote waits in conn.pendingPlaintext).
    conn.wireQueued = 0;
    conn.wireSent = 0;
    conn.plaintextRecords.clear();
    conn.plaintextUnsent = 0;
    qCDebug(lcQtPskSsl, "%p: the server refused a ClientHello without a TLS 1.3 PSK; connecting "
                        "again to offer one", static_cast<void *>(q));
    if (host().reconnect())
        return true;
    return failConnection(QAbstractSocket::SslHandshakeFailedError, conn.retryError);
}

bool TlsStreamLayer::reconnected(bool ok)
{
    if (!ok)
        return failConnection(QAbstractSocket::SslHandshakeFailedError, conn.retryError);
    QPointer<QAbstractSocket> guard(q);
    if (!createEngine())
        return bool(guard);
    return processEngine();
}

bool TlsStreamLayer::processEngine()
{
    if (!engine)
        return true;
    if (!engine->isHandshakeComplete()) {
        if (!continueHandshake())
            return false;
    }
    if (!engine || !conn.connectionEncrypted)
        return true;
    return decryptAvailable();
}

bool TlsStreamLayer::continueHandshake()
{
    QPointer<QAbstractSocket> guard(q);
    TlsEngine::Result result = TlsEngine::Result::WantInput;
    if (!callEngine([&] { result = engine->handshake(); }))
        return bool(guard); // a slot aborted the socket: it is closed already
    if (result == TlsEngine::Result::Failed && conn.retryOnRefusal && engine->isRefusedWithoutTls13Psk()
        && host().state() == QAbstractSocket::ConnectedState) {
        return retryWithTls13Psk();
    }
    flushEngineOutput();
    if (!emitAlerts())
        return false;
    if (!engine || host().state() != QAbstractSocket::ConnectedState)
        return true;
    switch (result) {
    case TlsEngine::Result::Ok:
        return handshakeSucceeded();
    case TlsEngine::Result::WantInput:
        return true;
    case TlsEngine::Result::Closed:
    case TlsEngine::Result::Failed:
        break;
    }
    return failEngineCall(TlsPhase::Handshake);
}

bool TlsStreamLayer::handshakeSucceeded()
{
    QPointer<QAbstractSocket> guard(q);
    // OpenSSL's session exists from here on: unless the socket sends one, Qt reports the
    // close_notify of its shutdown when the connection ends (also when the application's
    // verification refuses the session).
    conn.closeNotifyOwed = true;
    if (mode == QSslSocket::SslClientMode && engine->protocolVersion() <= TLS1_2_VERSION)
        Tls13PskPolicy::negotiatedTls12(tls13PskPeer); // this peer does not insist on TLS 1.3
    QSslConfigurationAccess::setSessionCipher(
            configuration, QSslCipher(QString::fromLatin1(engine->cipherName())));
    QSslConfigurationAccess::setSessionProtocol(configuration,
                                                protocolFromVersion(engine->protocolVersion()));
    if (mode == QSslSocket::SslClientMode && keepsSessions(configuration)
        && !configuration.testSslOption(QSsl::SslOptionDisableSessionSharing)) {
        // As Qt: the handshake's session, for a later setSessionTicket().
        configuration.setSessionTicket(engine->sessionAsn1());
        QSslConfigurationAccess::setSessionTicketLifeTimeHint(
                configuration, engine->sessionTicketLifetimeHint());
    }

    QSslSocket::PeerVerifyMode verifyMode = configuration.peerVerifyMode();
    if (verifyMode == QSslSocket::AutoVerifyPeer) {
        verifyMode = mode == QSslSocket::SslServerMode ? QSslSocket::QueryPeer
                                                       : QSslSocket::VerifyPeer;
    }
    conn.handshakeErrors.clear();
    if (verifyMode == QSslSocket::VerifyPeer) {
        // QtPsk verifies no certificate chain: a certificate it cannot check is untrusted.
        conn.handshakeErrors.append(QSslError(engine->peerSentCertificate()
                                                 ? QSslError::CertificateUntrusted
                                                 : QSslError::NoPeerCertificate));
    }
    for (const QSslError &error : std::as_const(conn.handshakeErrors)) {
        Q_EMIT q->peerVerifyError(error);
        if (!guard)
            return false;
        if (!engine || host().state() != QAbstractSocket::ConnectedState)
            return true;
        if (configuration.handshakeMustInterruptOnError() && !errorsIgnored({error})) {
            conn.handshakeInterrupted = true;
            Q_EMIT q->handshakeInterruptedOnError(error);
            return bool(guard); // continueInterruptedHandshake() or abort() comes next
        }
    }
    if (!conn.handshakeErrors.isEmpty()) {
        Q_EMIT q->sslErrors(conn.handshakeErrors);
        if (!guard)
            return false;
        if (!engine || host().state() != QAbstractSocket::ConnectedState)
            return true;
        if (!errorsIgnored(conn.handshakeErrors)) {
            // As Qt: the TLS session exists, so it is closed properly (close_notify).
            if (!host().setErrorAndEmit(QAbstractSocket::SslHandshakeFailedError,
                                        conn.handshakeErrors.constFirst().errorString()))
                return false;
            // As Qt: the TCP connection closes like a plain one (no close_notify; Qt reports
            // the one its shutdown owes before disconnected()).
            if (host().state() == QAbstractSocket::ConnectedState)
                return closeWithoutNotify();
            return bool(guard);
        }
    }
    return completeEncryption();
}

bool TlsStreamLayer::completeEncryption()
{
    QPointer<QAbstractSocket> guard(q);
    conn.handshakeInterrupted = false;
    conn.connectionEncrypted = true;
    // What was written before the handshake goes first, before any slot runs: a write() from
    // the encrypted() slot then follows it, and a slot that throws leaves nothing behind.
    // (encryptAndQueue() emits nothing.)
    if (!conn.pendingPlaintext.isEmpty()) {
        const QByteArray plaintext = std::exchange(conn.pendingPlaintext, QByteArray());
        if (!encryptAndQueue(plaintext.constData(), plaintext.size()))
            return bool(guard);
    }
    qCDebug(lcQtPskSsl, "%p: encrypted (%s)", static_cast<void *>(q),
            engine ? engine->cipherName().constData() : "");
    Q_EMIT q->encrypted();
    if (!guard)
        return false;
    if (!engine || !conn.connectionEncrypted)
        return true;
    if (conn.closeAfterHandshake) {
        conn.closeAfterHandshake = false;
        host().disconnectFromHost();
        return bool(guard);
    }
    return true;
}

bool TlsStreamLayer::decryptAvailable()
{
    QPointer<QAbstractSocket> guard(q);
    bool gotData = false;
    TlsEngine::Result result = TlsEngine::Result::WantInput;
    // setReadBufferSize(): what does not fit stays in the engine (and further ciphertext in the
    // kernel) until the application reads. A closing socket reads nothing more from the kernel,
    // so what the engine holds then is decrypted whole.
    const bool limited = host().readBufferSpace() >= 0
            && host().state() == QAbstractSocket::ConnectedState;
    for (;;) {
        qint64 space = 0;
        char *to = host().reserveApplicationSpace(&space);
        if (limited) {
            space = qMin(space, host().readBufferSpace());
            if (space <= 0) {
                host().releaseApplicationSpace();
                break; // result is Ok: nothing ended
            }
        }
        qsizetype got = 0;
        if (!callEngine([&] { result = engine->read(to, space, &got); }))
            return bool(guard);
        host().commitApplicationBytes(got);
        if (result != TlsEngine::Result::Ok) {
            host().releaseApplicationSpace(); // no 64 KiB chunk held by an idle connection
            break;
        }
        gotData = gotData || got > 0;
    }
    if (limited)
        host().updateReadNotification(); // a full buffer stops reading from the kernel
    flushEngineOutput(); // e.g. a TLS 1.3 key update, or a fatal alert
    if (!emitAlerts())
        return false;
    if (!takeSessionTickets())
        return bool(guard);
    if (gotData && !host().emitReadyRead())
        return false;
    if (!engine || host().state() == QAbstractSocket::UnconnectedState)
        return true;
    switch (result) {
    case TlsEngine::Result::Ok:
    case TlsEngine::Result::WantInput:
        return true;
    case TlsEngine::Result::Closed: {
        if (host().state() == QAbstractSocket::ClosingState)
            return host().maybeFinishClosing(); // the peer answered our close_notify
        if (conn.closeNotifyReceived)
            return true;
        // As Qt: the peer's close_notify is reported at once; the connection closes with the
        // transport (the peer's FIN is "The remote host closed the connection").
        conn.closeNotifyReceived = true;
        const TlsFailure closed = closeNotifyFailure();
        return reportError(closed.error, closed.errorString);
    }
    case TlsEngine::Result::Failed:
        break;
    }
    return failEngineCall(TlsPhase::Read);
}

bool TlsStreamLayer::hasBufferedInput() const
{
    return engine && conn.connectionEncrypted && engine->hasPendingInput();
}

bool TlsStreamLayer::processBufferedInput()
{
    return processEngine();
}

void TlsStreamLayer::readable()
{
    if (!engine) {
        StreamLayer::readable();
        return;
    }
    QPointer<QAbstractSocket> guard(q);
    bool endOfStream = false;
    bool failed = false;
    int readErrno = 0;
    char buffer[64 * 1024];
    // With setReadBufferSize(), the engine holds at most about one read of ciphertext besides the
    // limit: what it holds already is decrypted first (it fills the buffer or is used up).
    const bool limited = host().readBufferSpace() >= 0 && conn.connectionEncrypted;
    const int rounds = !limited ? 8 : engine->pendingInput() >= qint64(sizeof buffer) ? 0 : 1;
    for (int round = 0; round < rounds; ++round) { // bounded: the notifier fires again for more
        const qint64 n = host().readFromWire(buffer, sizeof buffer, &readErrno);
        if (n > 0) {
            engine->feed(buffer, n);
            if (n < qint64(sizeof buffer))
                break;
            continue;
        }
        if (n < 0) {
            endOfStream = readErrno == 0;
            failed = !endOfStream;
        }
        break;
    }
    if (!processEngine() || !guard)
        return;
    if (host().state() == QAbstractSocket::UnconnectedState)
        return;
    if (failed) {
        host().failWire(readErrno);
        return;
    }
    if (!endOfStream)
        return;
    if (engine) {
        engine->feedEndOfStream();
        if (!processEngine() || !guard || host().state() == QAbstractSocket::UnconnectedState)
            return;
    }
    host().closeByPeer();
}

bool TlsStreamLayer::waitForEncrypted(int msecs)
{
    if (conn.connectionEncrypted)
        return false;
    if (mode == QSslSocket::UnencryptedMode && !autoStartHandshake)
        return false;
    const QDeadlineTimer deadline = QtPskPrivate::deadlineFromMsecs(msecs);
    QPointer<QSslSocket> guard(q);
    if (host().state() == QAbstractSocket::HostLookupState
        || host().state() == QAbstractSocket::ConnectingState) {
        if (!q->QTcpSocket::waitForConnected(QtPskPrivate::remainingMsecs(deadline))
            || !guard)
            return false;
    }
    while (!conn.connectionEncrypted) {
        if (host().state() != QAbstractSocket::ConnectedState
            || (!engine && !host().isReconnecting()) || conn.handshakeInterrupted)
            return false;
        // As Qt: the handshake's flights are reported (encryptedBytesWritten()) while it waits.
        if (host().bytesSentNotReported() > 0 && (!host().flush() || !guard))
            return false;
        if (conn.connectionEncrypted || host().state() != QAbstractSocket::ConnectedState)
            continue;
        if (!host().waitForWire(deadline) || !guard)
            return false;
    }
    return true;
}

void TlsStreamLayer::continueInterruptedHandshake()
{
    if (!conn.handshakeInterrupted || !engine)
        return;
    QPointer<QSslSocket> guard(q);
    if (completeEncryption() && guard && engine && conn.connectionEncrypted)
        processEngine();
}

void TlsStreamLayer::startClientEncryption()
{
    if (canStartEncryption("QSslSocket::startClientEncryption"))
        startEncryption(QSslSocket::SslClientMode);
}

void TlsStreamLayer::startServerEncryption()
{
    if (canStartEncryption("QSslSocket::startServerEncryption"))
        startEncryption(QSslSocket::SslServerMode);
}

bool TlsStreamLayer::canStartEncryption(const char *function) const
{
    if (mode != QSslSocket::UnencryptedMode) {
        qCWarning(lcQtPskSsl, "%s: cannot start handshake on non-plain connection", function);
        return false;
    }
    if (host().state() != QAbstractSocket::ConnectedState) {
        qCWarning(lcQtPskSsl, "%s: cannot start handshake when not connected", function);
        return false;
    }
    return true;
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
