// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QDtls's association (DtlsPrivate): the engine of one peer, driven by the datagrams the
// application passes in, its handshake state and errors, the retransmission deadline it arms and
// the expiry of a server's handshake that never completes.
#include "ssl/qdtls_p.h"

#include "auth/qsslpresharedkeyauthenticator_p.h"
#include "engine/secretbytes_p.h"
#include "ssl/dtlssettings_p.h"
#include "ssl/qsslcipher_p.h"
#include "qtpsklogging_p.h"

#include <QtPsk/qudpsocket.h>

#include <QtCore/qcoreevent.h>
#include <QtCore/qtimer.h>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

namespace {

bool isIpv6(const QHostAddress &address)
{
    bool mapped = false;
    address.toIPv4Address(&mapped);
    return address.protocol() == QAbstractSocket::IPv6Protocol && !mapped;
}

} // namespace

DtlsPrivate::DtlsPrivate(QDtls *dtls, QSslSocket::SslMode sslMode)
    : q(dtls), mode(sslMode), configuration(QSslConfiguration::defaultDtlsConfiguration()),
      cookieParameters(defaultGeneratorParameters())
{
}

DtlsPrivate::~DtlsPrivate()
{
    closePskRequest();
    if (engine)
        engine->tls().clearCallbacks(); // a call on the stack keeps the engine until it returns
    wipe(cookieParameters.secret);
}

void DtlsPrivate::setError(QDtlsError code, const QString &text)
{
    error = code;
    errorString = text;
    if (code != QDtlsError::NoError)
        qCDebug(lcQtPskSsl).nospace() << "QDtls " << static_cast<const void *>(q) << ": " << text;
}

void DtlsPrivate::reset()
{
    m_retransmission.stop();
    m_expiry.stop();
    closePskRequest();
    if (engine)
        engine->tls().clearCallbacks();
    engine.reset();
    state = QDtls::HandshakeNotStarted;
    encrypted = false;
}

bool DtlsPrivate::failHandshake(const QString &text)
{
    setError(QDtlsError::TlsFatalError, text);
    reset();
    return false;
}

bool DtlsPrivate::startHandshake(QUdpSocket *socket, const QByteArray &datagram)
{
    clearError();
    encrypted = false;
    const bool server = mode == QSslSocket::SslServerMode;
    TlsSettings settings;
    QString text;
    std::shared_ptr<TlsContext> context;
    if (mode == QSslSocket::UnencryptedMode) {
        text = QDtls::tr("Invalid SslMode, SslServerMode or SslClientMode expected");
    } else if (dtlsSettingsFor(configuration, server, &settings, &text)) {
        context = TlsContext::get(settings, &text);
    }
    if (!context) {
        setError(QDtlsError::TlsInitializationError, text);
        return false;
    }
    auto made = std::make_shared<DtlsEngine>(std::move(context), this);
    if (made->isFailed()) {
        setError(QDtlsError::TlsInitializationError, made->errorString());
        return false;
    }
    made->setHeaderOverhead(isIpv6(peerAddress) ? 48 : 28);
    if (mtuHint)
        made->setLinkMtu(mtuHint);
    made->setInitialTimeout(initialTimeout);
    if (server) {
        DtlsCookieParameters cookie;
        cookie.digest = cookieDigestName(cookieParameters.hash);
        cookie.secret = cookieParameters.secret;
        cookie.peer = cookiePeer(peerAddress, peerPort);
        made->setCookieParameters(cookie, configuration.dtlsCookieVerificationEnabled());
        wipe(cookie.secret);
    } else if (!verificationName.isEmpty()) {
        made->tls().setHostName(verificationName.toUtf8());
    }
    engine = std::move(made);
    state = QDtls::HandshakeInProgress;
    verificationErrors.clear();
    if (server && serverExpiry.count() > 0)
        m_expiry.start(int(serverExpiry.count()), Qt::CoarseTimer, this);
    return drive(socket, datagram, Step::Handshake);
}

bool DtlsPrivate::continueHandshake(QUdpSocket *socket, const QByteArray &datagram)
{
    clearError();
    return drive(socket, datagram, Step::Handshake);
}

bool DtlsPrivate::handleTimeout(QUdpSocket *socket)
{
    clearError();
    if (!engine || state != QDtls::HandshakeInProgress)
        return false;
    return drive(socket, QByteArray(), Step::Timeout);
}

// One engine call and what follows from it. The slot that pskRequired() runs may abort the
// handshake or delete the QDtls: the local reference keeps the engine alive until its call has
// returned, and nothing of this object is touched once it has gone.
bool DtlsPrivate::drive(QUdpSocket *socket, const QByteArray &datagram, Step step)
{
    m_retransmission.stop();
    m_socket = socket;
    const QPointer<QDtls> guard(q);
    const std::shared_ptr<DtlsEngine> keep = engine;
    const DtlsEngine::Result result =
            step == Step::Handshake ? keep->handshake(datagram) : keep->handleTimeout();
    if (!guard || engine != keep)
        return false; // deleted, or aborted, from the slot
    std::exception_ptr exception = keep->tls().takeException();
    if (keep->awaitsCookie()) {
        // What QDtlsClientVerifier should have done: QDtls sends no HelloVerifyRequest itself.
        keep->takeDatagrams();
        return failHandshake(QDtls::tr("Cannot start the handshake, verified client hello expected"));
    }
    sendDatagrams(socket, keep->takeDatagrams(), peerAddress, peerPort);
    if (!guard)
        return false; // deleted from a slot of the socket's signals
    if (exception) {
        failHandshake(QDtls::tr("A slot connected to pskRequired() threw an exception"));
        std::rethrow_exception(exception);
    }
    switch (result) {
    case DtlsEngine::Result::Ok:
        if (keep->isHandshakeComplete())
            return finishHandshake();
        armRetransmission();
        return true;
    case DtlsEngine::Result::WantInput:
        armRetransmission(); // none while a deferred PSK answer is pending
        return true;
    case DtlsEngine::Result::Closed:
    case DtlsEngine::Result::Failed:
        break;
    }
    if (keep->retransmissionLimitReached())
        return failHandshake(keep->errorString());
    return failHandshake(QDtls::tr("Error during SSL handshake: %1").arg(keep->errorString()));
}

bool DtlsPrivate::finishHandshake()
{
    m_retransmission.stop();
    m_expiry.stop();
    const SSL_CIPHER *cipher = engine->cipher();
    sessionCipher = QSslCipher(QString::fromLatin1(cipher ? SSL_CIPHER_get_name(cipher) : ""));
    if (sessionCipher.isNull())
        sessionCipher = QSslCipherAccess::fromOpenSsl(cipher); // CCM and CCM8 suites
    sessionProtocol = QSsl::DtlsV1_2;
    const QSslSocket::PeerVerifyMode verifyMode = configuration.peerVerifyMode();
    const bool verify = verifyMode == QSslSocket::VerifyPeer
            || (verifyMode == QSslSocket::AutoVerifyPeer && mode == QSslSocket::SslClientMode);
    if (verify) {
        verificationErrors = {QSslError(QSslError::NoPeerCertificate)}; // PSK: no certificate
        const bool ignored = std::all_of(verificationErrors.cbegin(), verificationErrors.cend(),
                                         [this](const QSslError &e) { return errorsToIgnore.contains(e); });
        if (!ignored) {
            state = QDtls::PeerVerificationFailed;
            setError(QDtlsError::PeerVerificationError, QDtls::tr("Peer verification failed"));
            return false;
        }
    }
    encrypted = true;
    state = QDtls::HandshakeComplete;
    return true;
}

void DtlsPrivate::armRetransmission()
{
    const std::chrono::milliseconds left = engine ? engine->timeUntilRetransmission()
                                                  : std::chrono::milliseconds(-1);
    if (left.count() >= 0)
        m_retransmission.start(int(left.count()), Qt::PreciseTimer, this);
}

void DtlsPrivate::timerEvent(QTimerEvent *event)
{
    if (event->timerId() == m_retransmission.timerId()) {
        m_retransmission.stop();
        Q_EMIT q->handshakeTimeout(); // the slot may delete the QDtls: nothing follows
    } else if (event->timerId() == m_expiry.timerId()) {
        m_expiry.stop();
        failHandshake(QDtls::tr("The DTLS handshake did not complete within %1 ms; the association was dropped")
                              .arg(serverExpiry.count()));
    }
}

void DtlsPrivate::abort(QUdpSocket *socket, bool sendCloseNotify)
{
    clearError();
    if (sendCloseNotify && engine) {
        engine->shutdown();
        sendDatagrams(socket, engine->takeDatagrams(), peerAddress, peerPort);
    }
    reset();
}

qint64 DtlsPrivate::writeEncrypted(QUdpSocket *socket, const QByteArray &datagram)
{
    clearError();
    if (engine->encrypt(datagram) != DtlsEngine::Result::Ok) {
        if (engine->isFailed()) {
            failHandshake(QDtls::tr("Error while writing: %1").arg(engine->errorString()));
        } else {
            setError(QDtlsError::TlsNonFatalError,
                     QDtls::tr("Error while writing: the datagram does not fit into one DTLS record"));
        }
        return -1;
    }
    if (!sendDatagrams(socket, engine->takeDatagrams(), peerAddress, peerPort)) {
        setError(QDtlsError::UnderlyingSocketError, socket->errorString());
        return -1;
    }
    return datagram.size();
}

QByteArray DtlsPrivate::decrypt(QUdpSocket *socket, const QByteArray &datagram)
{
    clearError();
    QByteArray plaintext;
    const DtlsEngine::Result result = engine->decrypt(datagram, &plaintext);
    sendDatagrams(socket, engine->takeDatagrams(), peerAddress, peerPort);
    switch (result) {
    case DtlsEngine::Result::Ok:
    case DtlsEngine::Result::WantInput:
        return plaintext;
    case DtlsEngine::Result::Closed:
        setError(QDtlsError::RemoteClosedConnectionError, QDtls::tr("The DTLS connection has been shutdown"));
        reset();
        return QByteArray();
    case DtlsEngine::Result::Failed:
        break;
    }
    setError(QDtlsError::TlsNonFatalError, QDtls::tr("Error while reading: %1").arg(engine->errorString()));
    if (engine->isFailed())
        reset(); // a fatal alert from the peer: nothing more can be decrypted
    return QByteArray();
}

bool DtlsPrivate::preSharedKeyAuthenticationRequired(QSslPreSharedKeyAuthenticator *authenticator)
{
    const QPointer<QDtls> guard(q);
    const std::shared_ptr<DtlsEngine> current = engine;
    closePskRequest();
    m_pskRequest = new QSslPreSharedKeyRequestPrivate(*authenticator, this);
    AuthenticatorAccess::setRequest(*authenticator, m_pskRequest.data());
    Q_EMIT q->pskRequired(authenticator);
    // Deleted from the slot: this object has gone with it (its destructor closed the request).
    // Aborted: the engine is no longer ours, and reset() closed the request.
    if (!guard || engine != current)
        return false;
    if (!m_pskRequest->wasDeferred())
        closePskRequest(); // answered now: deferAnswer() on a copy gets nothing
    return true;
}

void DtlsPrivate::pskAnswerArrived(QSslPreSharedKeyRequestPrivate *request, bool refused,
                                   QByteArray &identity, QByteArray &key)
{
    if (request != m_pskRequest.data() || !engine || !engine->tls().isPskAnswerPending()) {
        qCInfo(lcQtPskSsl, "QDtls %p: a PSK answer arrived that no handshake waits for: ignored",
               static_cast<void *>(q));
        return;
    }
    closePskRequest();
    if (refused)
        engine->tls().refusePsk();
    else
        engine->tls().answerPsk(identity, key);
    wipeByteArray(identity);
    wipeByteArray(key);
    // Resumes the handshake; a failure is left in dtlsError() and handshakeState(), as the
    // failure of a handshake that doHandshake() drove.
    drive(m_socket.data(), QByteArray(), Step::Handshake);
}

void DtlsPrivate::closePskRequest()
{
    if (m_pskRequest) {
        m_pskRequest->close();
        m_pskRequest.reset();
    }
}

void DtlsAccess::setServerExpiry(QDtls *dtls, std::chrono::milliseconds expiry)
{
    dtls->d->serverExpiry = expiry;
}

void DtlsAccess::setInitialTimeout(QDtls *dtls, std::chrono::microseconds timeout)
{
    dtls->d->initialTimeout = timeout;
}

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE
