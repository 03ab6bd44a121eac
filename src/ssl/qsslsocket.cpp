// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "ssl/qsslsocket_p.h"

#include "engine/tlssessionstore_p.h"
#include "ssl/qsslcipher_p.h"
#include "ssl/qsslconfiguration_p.h"
#include "ssl/tls13pskpolicy_p.h"
#include "qtpsklogging_p.h"

#include <QtPsk/qsslpresharedkeyauthenticator.h>

#include <QtCore/qloggingcategory.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qpointer.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
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

// The explanation a failed handshake gets beyond OpenSSL's words (spec §2.6, the cipher trap).
QString diagnosisText(TlsEngine::Diagnosis diagnosis, const QSslConfiguration &configuration,
                      Tls13Psk resolved)
{
    switch (diagnosis) {
    case TlsEngine::Diagnosis::None:
        break;
    case TlsEngine::Diagnosis::ClientOfferedNoTls13Psk: {
        QString why;
        if (resolved == Tls13Psk::Offer)
            why = QSslSocket::tr("the preSharedKeyAuthenticationRequired slot gave no key");
        else if (configuration.tls13PreSharedKeyMode() == QSsl::Tls13PreSharedKeyMode::QtCompatible)
            why = QSslSocket::tr("QSsl::Tls13PreSharedKeyMode::QtCompatible and QT_USE_TLS_1_3_PSK unset");
        else
            why = QSslSocket::tr("QSsl::Tls13PreSharedKeyMode::Automatic without a connected "
                                 "preSharedKeyAuthenticationRequired slot");
        return QSslSocket::tr("; TLS 1.3 was enabled, but no pre-shared key was offered (%1), and "
                              "the server refused the handshake, as a PSK-only server does; connect "
                              "preSharedKeyAuthenticationRequired, use Tls13PreSharedKeyMode::"
                              "Automatic or Always, or pin QSsl::TlsV1_2").arg(why);
    }
    case TlsEngine::Diagnosis::ServerAcceptedNoTls13Psk:
        return QSslSocket::tr("; TLS 1.3 was negotiated, but no pre-shared key was accepted (the "
                              "client offered none, its key's hash does not match the negotiated "
                              "suite, or the slot gave no key for its identity) and this server has "
                              "no certificate; let the client offer a TLS 1.3 PSK (QtPsk: a connected "
                              "slot or Tls13PreSharedKeyMode::Always; Qt: QT_USE_TLS_1_3_PSK) or pin "
                              "QSsl::TlsV1_2");
    }
    return QString();
}

// The OpenSSL options of \a configuration's QSsl::SslOptions, as Qt's OpenSSL backend sets them
// (SSL_OP_ALL, then each option), except what QtPsk decides itself (TlsContext: no renegotiation;
// a server issues stateful tickets only).
uint64_t opensslOptions(const QSslConfiguration &configuration)
{
    uint64_t options = SSL_OP_ALL;
    if (configuration.testSslOption(QSsl::SslOptionDisableEmptyFragments))
        options |= SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS;
    else
        options &= ~uint64_t(SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS);
    if (!configuration.testSslOption(QSsl::SslOptionDisableLegacyRenegotiation))
        options |= SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION;
    if (configuration.testSslOption(QSsl::SslOptionDisableSessionTickets))
        options |= SSL_OP_NO_TICKET;
    if (configuration.testSslOption(QSsl::SslOptionDisableCompression))
        options |= SSL_OP_NO_COMPRESSION;
    if (!configuration.testSslOption(QSsl::SslOptionDisableServerCipherPreference))
        options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
    return options;
}

// A client keeps its session for sessionTicket() (Qt's rules).
bool keepsSessions(const QSslConfiguration &configuration)
{
    return !configuration.testSslOption(QSsl::SslOptionDisableSessionPersistence);
}

// The engine settings (one SSL_CTX each) that \a configuration asks for.
bool settingsFor(const QSslConfiguration &configuration, bool server, TlsSettings *settings,
                 QString *errorString)
{
    settings->server = server;
    settings->allowNoDheKex = configuration.allowsPreSharedKeyWithoutDhe();
    if (!protocolToVersionRange(configuration.protocol(), &settings->minVersion,
                                &settings->maxVersion)) {
        *errorString = QSslSocket::tr("Unsupported protocol");
        return false;
    }
    settings->cipherList = tls12CipherString(configuration);
    settings->cipherSuites = tls13CipherSuites(configuration);
    settings->options = opensslOptions(configuration);
    if (server) {
        settings->identityHint = configuration.preSharedKeyIdentityHint();
        // A server resumes only when its configuration asks for sessions to be kept and shared
        // (both off by default: persistence is disabled), and then only within its QSslServer.
        settings->sessionResumption = keepsSessions(configuration)
                && !configuration.testSslOption(QSsl::SslOptionDisableSessionSharing);
        settings->sessionTickets = settings->sessionResumption
                && !configuration.testSslOption(QSsl::SslOptionDisableSessionTickets);
    }
    return true;
}

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

SslSocketPrivate::SslSocketPrivate() = default;

SslSocketPrivate::~SslSocketPrivate()
{
    if (destroyedFlag) {
        // A slot deleted the socket from inside an engine call: OpenSSL is still on the stack.
        // callEngine() frees the engine once it has returned; the engine asks us nothing more.
        *destroyedFlag = true;
        if (engine)
            engine->clearCallbacks();
        *engineKeeper = std::move(engine);
    }
}

template <typename Call>
bool SslSocketPrivate::callEngine(Call &&call)
{
    if (inEngineCall) {
        // Re-entered from a slot: the engine answers at once (TlsEngine::call() does not nest)
        // and runs no callback; the outer call owns the re-entrancy state.
        call();
        return !abortRequested;
    }
    bool destroyed = false;
    std::unique_ptr<TlsEngine> keeper; // receives the engine if a slot deletes the socket
    inEngineCall = true;
    destroyedFlag = &destroyed;
    engineKeeper = &keeper;
    call();
    if (destroyed) {
        // `this` is gone; the engine dies with `keeper` here, after OpenSSL has returned.
        if (std::exception_ptr thrown = keeper ? keeper->takeException() : nullptr)
            std::rethrow_exception(thrown);
        return false;
    }
    inEngineCall = false;
    destroyedFlag = nullptr;
    engineKeeper = nullptr;
    std::exception_ptr thrown = engine ? engine->takeException() : nullptr;
    if (abortRequested) {
        // A slot aborted the socket while the engine was on the stack: it can go now.
        abortRequested = false;
        engine.reset();
        if (thrown)
            rethrowAfterAbort(thrown);
        return false;
    }
    if (thrown)
        rethrowAfterAbort(thrown);
    return true;
}

void SslSocketPrivate::rethrowAfterAbort(std::exception_ptr thrown)
{
    // OpenSSL has returned: the exception may travel now. First the connection goes, so that
    // the socket is Unconnected and consistent wherever the exception is caught. OpenSSL's
    // fatal alert (if it queued one) leaves first, without any signal.
    const bool handshaking = !connectionEncrypted;
    flushEngineOutput();
    const QAbstractSocket::SocketError error = handshaking ? QAbstractSocket::SslHandshakeFailedError
                                                           : QAbstractSocket::SslInternalError;
    const QString message = handshaking
            ? QSslSocket::tr("A slot threw an exception during the TLS handshake; the connection "
                             "was aborted")
            : QSslSocket::tr("A slot threw an exception inside a TLS call; the connection was "
                             "aborted");
    if (state == QAbstractSocket::UnconnectedState) {
        // The slot aborted the socket before it threw: record why, emit nothing more.
        setError(error, message);
        std::rethrow_exception(thrown);
    }
    QPointer<QAbstractSocket> guard(q);
    // As any failed handshake: error(), errorOccurred(), then the abort (stateChanged(),
    // disconnected()). The first exception is the one that propagates: one thrown by these
    // slots is dropped, and the abort is completed regardless.
    try {
        failConnection(error, message);
    } catch (...) {
    }
    try {
        if (guard && state != QAbstractSocket::UnconnectedState)
            q->abort();
    } catch (...) {
    }
    std::rethrow_exception(thrown);
}

void SslSocketPrivate::resetTlsState()
{
    if (inEngineCall)
        abortRequested = true;
    else
        engine.reset();
    pendingPlaintext.clear();
    wireQueued = 0;
    wireSent = 0;
    plaintextRecords.clear();
    plaintextUnsent = 0;
    handshakeErrors.clear();
    ignoreAllErrors = false;
    connectionEncrypted = false;
    handshakeInterrupted = false;
    closeAfterHandshake = false;
    shutdownPending = false;
    closeNotifyOwed = false;
    closeNotifyReceived = false;
    retryOnRefusal = false;
    retryingWithTls13Psk = false;
    retryError.clear();
    QSslConfigurationAccess::setSessionCipher(configuration, QSslCipher());
    QSslConfigurationAccess::setSessionProtocol(configuration, QSsl::UnknownProtocol);
}

void SslSocketPrivate::aboutToAbort()
{
    if (inEngineCall)
        abortRequested = true; // destroyed by callEngine() once OpenSSL has returned
    else
        engine.reset();
    pendingPlaintext.clear();
    plaintextRecords.clear();
    plaintextUnsent = 0;
    handshakeInterrupted = false;
    closeAfterHandshake = false;
    shutdownPending = false;
    // isEncrypted(), sessionCipher() and the close_notify Qt reports stay until the connection's
    // last signals: connectionEnding() clears them.
}

bool SslSocketPrivate::connectionEnding()
{
    shutdownPending = false;
    if (closeNotifyOwed) {
        // As Qt: a session that ends without our close_notify reports one before disconnected()
        // (Qt's backend shuts the session down once the TCP connection has gone).
        closeNotifyOwed = false;
        QPointer<QAbstractSocket> guard(q);
        Q_EMIT sslQ()->alertSent(QSsl::AlertLevel::Warning, QSsl::AlertType::CloseNotify,
                                 TlsEngine::alertDescription(0));
        if (!guard)
            return false;
    }
    // As Qt: the session's details are gone once disconnected() is emitted.
    connectionEncrypted = false;
    QSslConfigurationAccess::setSessionCipher(configuration, QSslCipher());
    QSslConfigurationAccess::setSessionProtocol(configuration, QSsl::UnknownProtocol);
    return true;
}

bool SslSocketPrivate::preSharedKeyAuthenticationRequired(QSslPreSharedKeyAuthenticator *authenticator)
{
    QPointer<QAbstractSocket> guard(q);
    Q_EMIT sslQ()->preSharedKeyAuthenticationRequired(authenticator);
    // A slot that aborted or closed the socket ends the handshake: no key is handed over.
    return guard && !abortRequested && state == QAbstractSocket::ConnectedState;
}

void SslSocketPrivate::transportConnected()
{
    QPointer<QAbstractSocket> guard(q);
    if (autoStartHandshake) {
        // As Qt: the client handshake starts before connected() is emitted.
        sslQ()->startClientEncryption();
        if (!guard || state != QAbstractSocket::ConnectedState)
            return;
    }
    AbstractSocketPrivate::transportConnected();
}

bool SslSocketPrivate::startEncryption(QSslSocket::SslMode newMode)
{
    QPointer<QAbstractSocket> guard(q);
    mode = newMode;
    Q_EMIT sslQ()->modeChanged(newMode);
    if (!guard)
        return false;
    if (mode != newMode || state != QAbstractSocket::ConnectedState)
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
    if (emittingReadyRead)
        channelReadyReadDropped = true;
    while (!readBuffer.isEmpty()) {
        char chunk[16 * 1024];
        const qint64 n = readBuffer.read(chunk, sizeof chunk);
        engine->feed(chunk, n);
    }
    return processEngine();
}

bool SslSocketPrivate::createEngine()
{
    const bool server = mode == QSslSocket::SslServerMode;
    TlsSettings settings;
    QString errorString;
    std::shared_ptr<TlsContext> context;
    if (settingsFor(configuration, server, &settings, &errorString)) {
        if (!server) {
            const QString host = peerVerifyName.isEmpty() ? peerName : peerVerifyName;
            tls13PskPeer = Tls13PskPeer{host + QLatin1Char('@') + peerAddress.toString(), peerPort,
                                        settings};
            if (retryingWithTls13Psk) {
                settings.tls13Psk = Tls13Psk::Offer;
            } else {
                const bool slotConnected = SignalProbe::isConnected(
                        q, QMetaMethod::fromSignal(&QSslSocket::preSharedKeyAuthenticationRequired));
                const Tls13PskPolicy::Decision decision = Tls13PskPolicy::decide(
                        configuration.tls13PreSharedKeyMode(), slotConnected, tls13PskPeer);
                settings.tls13Psk = decision.offer;
                retryOnRefusal = decision.retryOnRefusal;
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
            retryingWithTls13Psk ? " again, offering a TLS 1.3 PSK" : "");
    const bool resumes = settings.sessionResumption;
    engine = std::make_unique<TlsEngine>(std::move(context), this);
    if (server) {
        if (resumes)
            engine->setSessionStore(sessionStore);
        return true;
    }
    if (!configuration.testSslOption(QSsl::SslOptionDisableServerNameIndication))
        engine->setHostName((peerVerifyName.isEmpty() ? peerName : peerVerifyName).toUtf8());
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

bool SslSocketPrivate::takeSessionTickets()
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
        Q_EMIT sslQ()->newSessionTicketReceived();
    return bool(guard) && state != QAbstractSocket::UnconnectedState;
}

bool SslSocketPrivate::retryWithTls13Psk()
{
    // The application has seen nothing of this attempt: no emission (Qt's first ClientHello asks
    // nothing), no alert, no error. Only if the new connection cannot be made is the first
    // attempt's failure reported.
    retryOnRefusal = false;
    retryingWithTls13Psk = true;
    Tls13PskPolicy::rememberWantsPsk(tls13PskPeer);
    retryError = QSslSocket::tr("Error during SSL handshake: %1").arg(engine->errorString())
            + diagnosisText(engine->diagnosis(), configuration, engine->context()->settings().tls13Psk);
    engine.reset();
    // The old connection's bytes will never be reported sent: the accounting starts again
    // (what the application wrote waits in pendingPlaintext).
    wireQueued = 0;
    wireSent = 0;
    plaintextRecords.clear();
    plaintextUnsent = 0;
    qCDebug(lcQtPskSsl, "%p: the server refused a ClientHello without a TLS 1.3 PSK; connecting "
                        "again to offer one", static_cast<void *>(q));
    if (reconnectTransport())
        return true;
    return failConnection(QAbstractSocket::SslHandshakeFailedError, retryError);
}

bool SslSocketPrivate::transportReconnected(bool ok)
{
    if (!ok)
        return failConnection(QAbstractSocket::SslHandshakeFailedError, retryError);
    QPointer<QAbstractSocket> guard(q);
    if (!createEngine())
        return bool(guard);
    return processEngine();
}

bool SslSocketPrivate::processEngine()
{
    if (!engine)
        return true;
    if (!engine->isHandshakeComplete()) {
        if (!continueHandshake())
            return false;
    }
    if (!engine || !connectionEncrypted)
        return true;
    return decryptAvailable();
}

bool SslSocketPrivate::continueHandshake()
{
    QPointer<QAbstractSocket> guard(q);
    TlsEngine::Result result = TlsEngine::Result::WantInput;
    if (!callEngine([&] { result = engine->handshake(); }))
        return bool(guard); // a slot aborted the socket: it is closed already
    if (result == TlsEngine::Result::Failed && retryOnRefusal && engine->isRefusedWithoutTls13Psk()
        && state == QAbstractSocket::ConnectedState) {
        return retryWithTls13Psk();
    }
    flushEngineOutput();
    if (!emitAlerts())
        return false;
    if (!engine || state != QAbstractSocket::ConnectedState)
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
    if (engine->isTruncated()) {
        return closeWithError(QAbstractSocket::RemoteHostClosedError,
                              QSslSocket::tr("The remote host closed the connection"));
    }
    return failConnection(QAbstractSocket::SslHandshakeFailedError,
                          QSslSocket::tr("Error during SSL handshake: %1").arg(engine->errorString())
                                  + diagnosisText(engine->diagnosis(), configuration,
                                                  engine->context()->settings().tls13Psk));
}

bool SslSocketPrivate::handshakeSucceeded()
{
    QPointer<QAbstractSocket> guard(q);
    // OpenSSL's session exists from here on: unless the socket sends one, Qt reports the
    // close_notify of its shutdown when the connection ends (also when the application's
    // verification refuses the session).
    closeNotifyOwed = true;
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
    handshakeErrors.clear();
    if (verifyMode == QSslSocket::VerifyPeer) {
        // QtPsk verifies no certificate chain: a certificate it cannot check is untrusted.
        handshakeErrors.append(QSslError(engine->peerSentCertificate()
                                                 ? QSslError::CertificateUntrusted
                                                 : QSslError::NoPeerCertificate));
    }
    for (const QSslError &error : std::as_const(handshakeErrors)) {
        Q_EMIT sslQ()->peerVerifyError(error);
        if (!guard)
            return false;
        if (!engine || state != QAbstractSocket::ConnectedState)
            return true;
        if (configuration.handshakeMustInterruptOnError() && !errorsIgnored({error})) {
            handshakeInterrupted = true;
            Q_EMIT sslQ()->handshakeInterruptedOnError(error);
            return bool(guard); // continueInterruptedHandshake() or abort() comes next
        }
    }
    if (!handshakeErrors.isEmpty()) {
        Q_EMIT sslQ()->sslErrors(handshakeErrors);
        if (!guard)
            return false;
        if (!engine || state != QAbstractSocket::ConnectedState)
            return true;
        if (!errorsIgnored(handshakeErrors)) {
            // As Qt: the TLS session exists, so it is closed properly (close_notify).
            if (!setErrorAndEmit(QAbstractSocket::SslHandshakeFailedError,
                                 handshakeErrors.constFirst().errorString()))
                return false;
            // As Qt: the TCP connection closes like a plain one (no close_notify; Qt reports
            // the one its shutdown owes before disconnected()).
            if (state == QAbstractSocket::ConnectedState)
                return closeWithoutNotify();
            return bool(guard);
        }
    }
    return completeEncryption();
}

bool SslSocketPrivate::completeEncryption()
{
    QPointer<QAbstractSocket> guard(q);
    handshakeInterrupted = false;
    connectionEncrypted = true;
    // What was written before the handshake goes first, before any slot runs: a write() from
    // the encrypted() slot then follows it, and a slot that throws leaves nothing behind.
    // (encryptAndQueue() emits nothing.)
    if (!pendingPlaintext.isEmpty()) {
        const QByteArray plaintext = std::exchange(pendingPlaintext, QByteArray());
        if (!encryptAndQueue(plaintext.constData(), plaintext.size()))
            return bool(guard);
    }
    qCDebug(lcQtPskSsl, "%p: encrypted (%s)", static_cast<void *>(q),
            engine ? engine->cipherName().constData() : "");
    Q_EMIT sslQ()->encrypted();
    if (!guard)
        return false;
    if (!engine || !connectionEncrypted)
        return true;
    if (closeAfterHandshake) {
        closeAfterHandshake = false;
        sslQ()->disconnectFromHost();
        return bool(guard);
    }
    return true;
}

bool SslSocketPrivate::decryptAvailable()
{
    QPointer<QAbstractSocket> guard(q);
    bool gotData = false;
    TlsEngine::Result result = TlsEngine::Result::WantInput;
    // setReadBufferSize(): what does not fit stays in the engine (and further ciphertext in the
    // kernel) until the application reads. A closing socket reads nothing more from the kernel,
    // so what the engine holds then is decrypted whole.
    const bool limited = readBufferMaxSize > 0 && state == QAbstractSocket::ConnectedState;
    for (;;) {
        qint64 space = 0;
        char *to = readBuffer.reserve(&space);
        if (limited) {
            space = qMin(space, readBufferSpace());
            if (space <= 0) {
                readBuffer.releaseUnusedSpace();
                break; // result is Ok: nothing ended
            }
        }
        qsizetype got = 0;
        if (!callEngine([&] { result = engine->read(to, space, &got); }))
            return bool(guard);
        readBuffer.commit(got);
        if (result != TlsEngine::Result::Ok) {
            readBuffer.releaseUnusedSpace(); // no 64 KiB chunk held by an idle connection
            break;
        }
        gotData = gotData || got > 0;
    }
    if (limited)
        updateReadNotification(); // a full buffer stops reading from the kernel
    flushEngineOutput(); // e.g. a TLS 1.3 key update, or a fatal alert
    if (!emitAlerts())
        return false;
    if (!takeSessionTickets())
        return bool(guard);
    if (gotData && !emitReadyRead())
        return false;
    if (!engine || state == QAbstractSocket::UnconnectedState)
        return true;
    switch (result) {
    case TlsEngine::Result::Ok:
    case TlsEngine::Result::WantInput:
        return true;
    case TlsEngine::Result::Closed:
        if (state == QAbstractSocket::ClosingState)
            return maybeFinishClosing(); // the peer answered our close_notify
        if (closeNotifyReceived)
            return true;
        // As Qt: the peer's close_notify is reported at once; the connection closes with the
        // transport (the peer's FIN is "The remote host closed the connection").
        closeNotifyReceived = true;
        return setErrorAndEmit(QAbstractSocket::RemoteHostClosedError,
                               QSslSocket::tr("The TLS/SSL connection has been closed"));
    case TlsEngine::Result::Failed:
        break;
    }
    if (engine->isTruncated())
        return closeWithError(QAbstractSocket::RemoteHostClosedError,
                              QSslSocket::tr("The remote host closed the connection"));
    return failConnection(QAbstractSocket::SslInternalError,
                          QSslSocket::tr("Error while reading: %1").arg(engine->errorString()));
}

bool SslSocketPrivate::hasBufferedInput() const
{
    return engine && connectionEncrypted && engine->hasPendingInput();
}

bool SslSocketPrivate::processBufferedInput()
{
    return processEngine();
}

void SslSocketPrivate::transportReadable()
{
    if (!engine) {
        AbstractSocketPrivate::transportReadable();
        return;
    }
    QPointer<QAbstractSocket> guard(q);
    bool endOfStream = false;
    bool failed = false;
    char buffer[64 * 1024];
    // With setReadBufferSize(), the engine holds at most about one read of ciphertext besides the
    // limit: what it holds already is decrypted first (it fills the buffer or is used up).
    const bool limited = readBufferMaxSize > 0 && connectionEncrypted;
    const int rounds = !limited ? 8 : engine->pendingInput() >= qint64(sizeof buffer) ? 0 : 1;
    for (int round = 0; round < rounds; ++round) { // bounded: the notifier fires again for more
        const qint64 n = readFromTransport(buffer, sizeof buffer);
        if (n > 0) {
            engine->feed(buffer, n);
            if (n < qint64(sizeof buffer))
                break;
            continue;
        }
        if (n < 0) {
            endOfStream = transportErrno == 0;
            failed = !endOfStream;
        }
        break;
    }
    const int readErrno = transportErrno;
    if (!processEngine() || !guard)
        return;
    if (state == QAbstractSocket::UnconnectedState)
        return;
    if (failed) {
        QString message;
        const QAbstractSocket::SocketError error = errorFromErrno(readErrno, &message, false);
        transportError(error, message);
        return;
    }
    if (!endOfStream)
        return;
    if (engine) {
        engine->feedEndOfStream();
        if (!processEngine() || !guard || state == QAbstractSocket::UnconnectedState)
            return;
    }
    transportClosed();
}

qint64 SslSocketPrivate::writeApplicationData(const char *data, qint64 size)
{
    // As Qt: after connectToHostEncrypted(), what is written before the handshake starts waits
    // for it too (it must never go out in clear text).
    if (mode == QSslSocket::UnencryptedMode && !autoStartHandshake)
        return AbstractSocketPrivate::writeApplicationData(data, size);
    if (!connectionEncrypted || !engine) {
        pendingPlaintext.append(data, size);
        return size;
    }
    return encryptAndQueue(data, size) ? size : -1;
}

bool SslSocketPrivate::encryptAndQueue(const char *data, qint64 size)
{
    qint64 done = 0;
    while (done < size) {
        qsizetype consumed = 0;
        TlsEngine::Result result = TlsEngine::Result::Failed;
        if (!callEngine([&] { result = engine->write(data + done, size - done, &consumed); }))
            return false;
        if (result != TlsEngine::Result::Ok || consumed <= 0) {
            // Reported from the event loop through the read path; write() itself never emits.
            setError(QAbstractSocket::SslInternalError,
                     QSslSocket::tr("Error while writing: %1").arg(engine->errorString()));
            return false;
        }
        done += consumed;
    }
    flushEngineOutput();
    plaintextRecords.push_back({wireQueued, qint64(size)});
    plaintextUnsent += size;
    return true;
}

void SslSocketPrivate::flushEngineOutput()
{
    bool queued = false;
    while (engine && engine->pendingOutput() > 0) {
        const QByteArray records = engine->takeOutput();
        wireQueued += records.size();
        writeToTransport(records);
        queued = true;
    }
    if (queued)
        sendEagerly(); // a handshake flight must not wait for another event-loop round
}

qint64 SslSocketPrivate::applicationBytesToWrite() const
{
    if (mode == QSslSocket::UnencryptedMode && !autoStartHandshake)
        return AbstractSocketPrivate::applicationBytesToWrite();
    return pendingPlaintext.size() + plaintextUnsent;
}

void SslSocketPrivate::transportBytesWritten(qint64 size)
{
    if (mode == QSslSocket::UnencryptedMode) {
        AbstractSocketPrivate::transportBytesWritten(size);
        return;
    }
    wireSent += size;
    qint64 plaintextSent = 0;
    while (!plaintextRecords.empty() && plaintextRecords.front().wireEnd <= wireSent) {
        plaintextSent += plaintextRecords.front().plaintext;
        plaintextRecords.pop_front();
    }
    plaintextUnsent -= plaintextSent;
    // As Qt: bytesWritten() for the application's bytes, then encryptedBytesWritten().
    QPointer<QAbstractSocket> guard(q);
    if (plaintextSent > 0 && !emitBytesWritten(plaintextSent))
        return;
    Q_EMIT sslQ()->encryptedBytesWritten(size);
    if (guard && shutdownPending && plaintextUnsent == 0 && state == QAbstractSocket::ClosingState)
        sendCloseNotify(); // disconnectFromHost() waited for the data to go
}

bool SslSocketPrivate::beginDisconnect()
{
    if (mode == QSslSocket::UnencryptedMode || !engine)
        return true; // a plain connection: one ClosingState, as Qt
    // A session the application saw established (encrypted()) is shut down with a close_notify;
    // one refused after OpenSSL's handshake (sslErrors() not ignored) is not, as in Qt.
    if (connectionEncrypted && engine->isHandshakeComplete() && !inEngineCall) {
        if (plaintextUnsent > 0) {
            shutdownPending = true; // after the data's bytesWritten(), as Qt
            return true;
        }
        return sendCloseNotify();
    }
    // During the handshake Qt closes the TCP connection without a close_notify; its TCP layer
    // reports ClosingState a second time.
    return emitClosingAgain();
}

bool SslSocketPrivate::emitClosingAgain()
{
    QPointer<QAbstractSocket> guard(q);
    Q_EMIT q->stateChanged(QAbstractSocket::ClosingState);
    return !guard.isNull();
}

bool SslSocketPrivate::closeWithoutNotify()
{
    closeAfterHandshake = false;
    shutdownPending = false;
    QPointer<QAbstractSocket> guard(q);
    if (!flushTransport() || !guard) // what was written goes first (and is reported)
        return false;
    if (state == QAbstractSocket::ConnectedState && !enterClosingState())
        return false;
    if (state != QAbstractSocket::ClosingState)
        return true;
    if (transportBytesToWrite() > 0 || sentNotReported > 0) {
        armWriteNotifier(); // the event loop sends the rest, then closes
        return true;
    }
    return finishClosing();
}

bool SslSocketPrivate::sendCloseNotify()
{
    shutdownPending = false;
    closeNotifyOwed = false;
    engine->shutdown();
    flushEngineOutput(); // sent at once; the event loop reports it, then the socket closes
    if (!emitAlerts())
        return false;
    if (state != QAbstractSocket::ClosingState)
        return true;
    return emitClosingAgain(); // as Qt's TCP layer reports it again
}

bool SslSocketPrivate::emitAlerts()
{
    if (!engine)
        return true;
    QPointer<QAbstractSocket> guard(q);
    const std::vector<TlsAlert> alerts = engine->takeAlerts();
    for (const TlsAlert &alert : alerts) {
        if (alert.sent)
            Q_EMIT sslQ()->alertSent(alertLevel(alert.level), alertType(alert.type), alert.text);
        else
            Q_EMIT sslQ()->alertReceived(alertLevel(alert.level), alertType(alert.type), alert.text);
        if (!guard)
            return false;
    }
    return true;
}

bool SslSocketPrivate::failConnection(QAbstractSocket::SocketError error, const QString &message)
{
    QPointer<QAbstractSocket> guard(q);
    closeNotifyOwed = false; // a failed session is not shut down
    shutdownPending = false;
    sendEagerly(); // a pending fatal alert leaves before the connection goes
    if (!setErrorAndEmit(error, message))
        return false;
    // As Qt: what was sent is reported after the error, then the socket aborts.
    if (!flushTransport() || !guard)
        return false;
    if (state != QAbstractSocket::UnconnectedState)
        q->abort();
    return bool(guard);
}

bool SslSocketPrivate::errorsIgnored(const QList<QSslError> &errors) const
{
    if (ignoreAllErrors)
        return true;
    for (const QSslError &error : errors) {
        if (!ignoredErrors.contains(error))
            return false;
    }
    return !errors.isEmpty() || ignoredErrors.isEmpty();
}

} // namespace QtPskPrivate

using QtPskPrivate::SslSocketPrivate;

SslSocketPrivate *QSslSocket::d_func() const
{
    return static_cast<SslSocketPrivate *>(d_ptr.get());
}

QSslSocket::QSslSocket(QObject *parent)
    : QTcpSocket(std::make_unique<SslSocketPrivate>(), parent)
{
}

QSslSocket::~QSslSocket()
{
    // As in Qt: a connected socket emits its closing signals from here (the QSslSocket part must
    // still exist for them).
    if (state() != UnconnectedState)
        abort();
}

void QSslSocket::resume()
{
    QTcpSocket::resume();
}

void QSslSocket::connectToHostEncrypted(const QString &hostName, quint16 port, OpenMode mode,
                                        NetworkLayerProtocol protocol)
{
    SslSocketPrivate *d = d_func();
    if (d->state == ConnectedState || d->state == ConnectingState) {
        qCWarning(lcQtPskSsl, "QSslSocket::connectToHostEncrypted() called when already connecting/connected");
        return;
    }
    d->resetTlsState();
    d->mode = UnencryptedMode;
    d->autoStartHandshake = true;
    QTcpSocket::connectToHost(hostName, port, mode, protocol);
}

void QSslSocket::connectToHostEncrypted(const QString &hostName, quint16 port,
                                        const QString &sslPeerName, OpenMode mode,
                                        NetworkLayerProtocol protocol)
{
    d_func()->peerVerifyName = sslPeerName;
    connectToHostEncrypted(hostName, port, mode, protocol);
}

void QSslSocket::connectToHost(const QString &hostName, quint16 port, OpenMode openMode,
                               NetworkLayerProtocol protocol)
{
    SslSocketPrivate *d = d_func();
    // Only the application calls this (connectToHostEncrypted() goes to QTcpSocket directly): a
    // plain connection, as in Qt, also after an earlier connectToHostEncrypted(). A socket that
    // is not unconnected is left alone; QAbstractSocket warns.
    if (d->state == UnconnectedState) {
        d->resetTlsState();
        d->mode = UnencryptedMode;
        d->autoStartHandshake = false;
    }
    QTcpSocket::connectToHost(hostName, port, openMode, protocol);
}

bool QSslSocket::setSocketDescriptor(qintptr socketDescriptor, SocketState state, OpenMode openMode)
{
    SslSocketPrivate *d = d_func();
    d->resetTlsState();
    d->mode = UnencryptedMode;
    d->autoStartHandshake = false;
    return QTcpSocket::setSocketDescriptor(socketDescriptor, state, openMode);
}

void QSslSocket::disconnectFromHost()
{
    SslSocketPrivate *d = d_func();
    const bool handshaking = (d->autoStartHandshake || d->mode != UnencryptedMode)
            && !(d->engine && d->engine->isHandshakeComplete());
    if (handshaking && (d->state == HostLookupState || d->state == ConnectingState)) {
        // As Qt: connect, finish the handshake, then close.
        d->closeAfterHandshake = true;
        return;
    }
    if (handshaking && d->state == ConnectedState && (d->engine || d->reconnecting)
        && !d->pendingPlaintext.isEmpty()) {
        // Finish the handshake and send what was written, then close. (Qt 6.4 never completes
        // such a handshake: it stays in ClosingState.)
        d->closeAfterHandshake = true;
        return;
    }
    // Otherwise as Qt: ClosingState, the close_notify of an established session, ClosingState
    // again, and the rest from the event loop once everything is sent. During the handshake
    // the connection is closed without a close_notify.
    QTcpSocket::disconnectFromHost();
}

void QSslSocket::setSocketOption(QAbstractSocket::SocketOption option, const QVariant &value)
{
    QTcpSocket::setSocketOption(option, value);
}

QVariant QSslSocket::socketOption(QAbstractSocket::SocketOption option)
{
    return QTcpSocket::socketOption(option);
}

QSslSocket::SslMode QSslSocket::mode() const
{
    return d_func()->mode;
}

bool QSslSocket::isEncrypted() const
{
    // As Qt: true from encrypted() until disconnected() (also in UnconnectedState's slots).
    return d_func()->connectionEncrypted;
}

QSsl::SslProtocol QSslSocket::protocol() const
{
    return d_func()->configuration.protocol();
}

void QSslSocket::setProtocol(QSsl::SslProtocol protocol)
{
    d_func()->configuration.setProtocol(protocol);
}

QSslSocket::PeerVerifyMode QSslSocket::peerVerifyMode() const
{
    return d_func()->configuration.peerVerifyMode();
}

void QSslSocket::setPeerVerifyMode(QSslSocket::PeerVerifyMode mode)
{
    d_func()->configuration.setPeerVerifyMode(mode);
}

int QSslSocket::peerVerifyDepth() const
{
    return d_func()->configuration.peerVerifyDepth();
}

void QSslSocket::setPeerVerifyDepth(int depth)
{
    if (depth < 0) {
        qCWarning(lcQtPskSsl, "QSslSocket::setPeerVerifyDepth: cannot set negative depth of %d", depth);
        return;
    }
    d_func()->configuration.setPeerVerifyDepth(depth);
}

QString QSslSocket::peerVerifyName() const
{
    return d_func()->peerVerifyName;
}

void QSslSocket::setPeerVerifyName(const QString &hostName)
{
    d_func()->peerVerifyName = hostName;
}

qint64 QSslSocket::bytesAvailable() const
{
    return QTcpSocket::bytesAvailable();
}

qint64 QSslSocket::bytesToWrite() const
{
    return QTcpSocket::bytesToWrite();
}

bool QSslSocket::canReadLine() const
{
    return QTcpSocket::canReadLine();
}

void QSslSocket::close()
{
    // As Qt's QSslSocket: the TCP connection closes the way a plain socket closes (what was
    // written is sent first, but no close_notify: Qt reports one with alertSent() before
    // disconnected()), and aboutToClose() comes after the closing signals.
    SslSocketPrivate *d = d_func();
    if (d->state == HostLookupState || d->state == ConnectingState) {
        d->abortConnection(); // also closes the device
        return;
    }
    if ((d->state == ConnectedState || d->state == ClosingState) && !d->closeWithoutNotify())
        return;
    if (!d->closeDevice())
        return;
    d->readBuffer.clear();
    if (d->state == UnconnectedState)
        d->forgetEndpoints();
}

bool QSslSocket::atEnd() const
{
    return QTcpSocket::atEnd();
}

void QSslSocket::setReadBufferSize(qint64 size)
{
    QTcpSocket::setReadBufferSize(size);
}

qint64 QSslSocket::encryptedBytesAvailable() const
{
    // Ciphertext is handed to the engine as soon as it is read from the kernel; it stays there
    // undecrypted only while a full read buffer (setReadBufferSize()) holds it back.
    const SslSocketPrivate *d = d_func();
    return d->engine ? d->engine->pendingInput() : 0;
}

qint64 QSslSocket::encryptedBytesToWrite() const
{
    return d_func()->transportBytesToWrite();
}

QSslConfiguration QSslSocket::sslConfiguration() const
{
    return d_func()->configuration;
}

void QSslSocket::setSslConfiguration(const QSslConfiguration &config)
{
    SslSocketPrivate *d = d_func();
    // The session details stay those of the current connection.
    const QSslCipher cipher = d->configuration.sessionCipher();
    const QSsl::SslProtocol protocol = d->configuration.sessionProtocol();
    d->configuration = config;
    QtPskPrivate::QSslConfigurationAccess::setSessionCipher(d->configuration, cipher);
    QtPskPrivate::QSslConfigurationAccess::setSessionProtocol(d->configuration, protocol);
}

QSslCipher QSslSocket::sessionCipher() const
{
    return d_func()->configuration.sessionCipher();
}

QSsl::SslProtocol QSslSocket::sessionProtocol() const
{
    return d_func()->configuration.sessionProtocol();
}

bool QSslSocket::waitForConnected(int msecs)
{
    return QTcpSocket::waitForConnected(msecs);
}

bool QSslSocket::waitForEncrypted(int msecs)
{
    SslSocketPrivate *d = d_func();
    if (d->connectionEncrypted)
        return false;
    if (d->mode == UnencryptedMode && !d->autoStartHandshake)
        return false;
    const QDeadlineTimer deadline = QtPskPrivate::deadlineFromMsecs(msecs);
    QPointer<QSslSocket> guard(this);
    if (d->state == HostLookupState || d->state == ConnectingState) {
        if (!QTcpSocket::waitForConnected(QtPskPrivate::remainingMsecs(deadline))
            || !guard)
            return false;
    }
    while (!d->connectionEncrypted) {
        if (d->state != ConnectedState || (!d->engine && !d->reconnecting) || d->handshakeInterrupted)
            return false;
        // As Qt: the handshake's flights are reported (encryptedBytesWritten()) while it waits.
        if (d->sentNotReported > 0 && (!d->flushTransport() || !guard))
            return false;
        if (d->connectionEncrypted || d->state != ConnectedState)
            continue;
        if (!d->waitForTransport(deadline) || !guard)
            return false;
    }
    return true;
}

bool QSslSocket::waitForReadyRead(int msecs)
{
    return QTcpSocket::waitForReadyRead(msecs);
}

bool QSslSocket::waitForBytesWritten(int msecs)
{
    SslSocketPrivate *d = d_func();
    const QDeadlineTimer deadline = QtPskPrivate::deadlineFromMsecs(msecs);
    QPointer<QSslSocket> guard(this);
    if (!d->connectionEncrypted && !d->pendingPlaintext.isEmpty()
        && (d->mode != UnencryptedMode || d->autoStartHandshake)) {
        // The data waits for the handshake: finish it first.
        if (!waitForEncrypted(QtPskPrivate::remainingMsecs(deadline)) || !guard)
            return false;
    }
    return QTcpSocket::waitForBytesWritten(QtPskPrivate::remainingMsecs(deadline));
}

bool QSslSocket::waitForDisconnected(int msecs)
{
    SslSocketPrivate *d = d_func();
    const QDeadlineTimer deadline = QtPskPrivate::deadlineFromMsecs(msecs);
    QPointer<QSslSocket> guard(this);
    if (d->closeAfterHandshake && !d->connectionEncrypted) {
        if (!waitForEncrypted(QtPskPrivate::remainingMsecs(deadline)))
            return guard && d->state == UnconnectedState; // a slot may have deleted the socket
    }
    return QTcpSocket::waitForDisconnected(QtPskPrivate::remainingMsecs(deadline));
}

QList<QSslError> QSslSocket::sslHandshakeErrors() const
{
    return d_func()->handshakeErrors;
}

bool QSslSocket::supportsSsl()
{
    return true;
}

long QSslSocket::sslLibraryVersionNumber()
{
    return long(OpenSSL_version_num());
}

QString QSslSocket::sslLibraryVersionString()
{
    return QString::fromLatin1(OpenSSL_version(OPENSSL_VERSION));
}

long QSslSocket::sslLibraryBuildVersionNumber()
{
    return OPENSSL_VERSION_NUMBER;
}

QString QSslSocket::sslLibraryBuildVersionString()
{
    return QStringLiteral(OPENSSL_VERSION_TEXT);
}

QList<QString> QSslSocket::availableBackends()
{
    return {QStringLiteral("openssl")};
}

QString QSslSocket::activeBackend()
{
    return QStringLiteral("openssl");
}

bool QSslSocket::setActiveBackend(const QString &backendName)
{
    return backendName == QLatin1String("openssl");
}

static bool isKnownBackend(const QString &backendName)
{
    return backendName.isEmpty() || backendName == QLatin1String("openssl");
}

QList<QSsl::SslProtocol> QSslSocket::supportedProtocols(const QString &backendName)
{
    if (!isKnownBackend(backendName))
        return {};
    // TLS 1.0 and 1.1 are left out: OpenSSL 3's default security level refuses them.
    return {QSsl::TlsV1_2, QSsl::TlsV1_3, QSsl::AnyProtocol, QSsl::SecureProtocols,
            QSsl::TlsV1_2OrLater, QSsl::TlsV1_3OrLater};
}

bool QSslSocket::isProtocolSupported(QSsl::SslProtocol protocol, const QString &backendName)
{
    return supportedProtocols(backendName).contains(protocol);
}

QList<QSsl::ImplementedClass> QSslSocket::implementedClasses(const QString &backendName)
{
    if (!isKnownBackend(backendName))
        return {};
    return {QSsl::ImplementedClass::Socket};
}

bool QSslSocket::isClassImplemented(QSsl::ImplementedClass cl, const QString &backendName)
{
    return implementedClasses(backendName).contains(cl);
}

QList<QSsl::SupportedFeature> QSslSocket::supportedFeatures(const QString &backendName)
{
    if (!isKnownBackend(backendName))
        return {};
    return {QSsl::SupportedFeature::Psk, QSsl::SupportedFeature::Alerts};
}

bool QSslSocket::isFeatureSupported(QSsl::SupportedFeature feat, const QString &backendName)
{
    return supportedFeatures(backendName).contains(feat);
}

void QSslSocket::ignoreSslErrors(const QList<QSslError> &errors)
{
    d_func()->ignoredErrors = errors;
}

void QSslSocket::continueInterruptedHandshake()
{
    SslSocketPrivate *d = d_func();
    if (!d->handshakeInterrupted || !d->engine)
        return;
    QPointer<QSslSocket> guard(this);
    if (d->completeEncryption() && guard && d->engine && d->connectionEncrypted)
        d->processEngine();
}

void QSslSocket::startClientEncryption()
{
    SslSocketPrivate *d = d_func();
    if (d->mode != UnencryptedMode) {
        qCWarning(lcQtPskSsl, "QSslSocket::startClientEncryption: cannot start handshake on non-plain connection");
        return;
    }
    if (d->state != ConnectedState) {
        qCWarning(lcQtPskSsl, "QSslSocket::startClientEncryption: cannot start handshake when not connected");
        return;
    }
    d->startEncryption(SslClientMode);
}

void QSslSocket::startServerEncryption()
{
    SslSocketPrivate *d = d_func();
    if (d->mode != UnencryptedMode) {
        qCWarning(lcQtPskSsl, "QSslSocket::startServerEncryption: cannot start handshake on non-plain connection");
        return;
    }
    if (d->state != ConnectedState) {
        qCWarning(lcQtPskSsl, "QSslSocket::startServerEncryption: cannot start handshake when not connected");
        return;
    }
    d->startEncryption(SslServerMode);
}

void QSslSocket::ignoreSslErrors()
{
    d_func()->ignoreAllErrors = true;
}

qint64 QSslSocket::readData(char *data, qint64 maxlen)
{
    return QTcpSocket::readData(data, maxlen);
}

qint64 QSslSocket::skipData(qint64 maxSize)
{
    return QTcpSocket::skipData(maxSize);
}

qint64 QSslSocket::writeData(const char *data, qint64 len)
{
    return QTcpSocket::writeData(data, len);
}

QTPSK_END_NAMESPACE

// moc output here, where every signal parameter type is complete (parameterMetaType() is valid).
#include "moc_qsslsocket.cpp"
