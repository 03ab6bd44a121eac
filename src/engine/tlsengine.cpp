// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// TlsEngine: its life cycle, the byte pipes, the OpenSSL calls and their results, what a finished
// handshake tells, and the callbacks every engine installs. The PSK requests are in
// tlsenginepsk.cpp, the server's ClientHello look in tlsengineclienthello.cpp, sessions in
// tlsenginesession.cpp.
#include "engine/tlsengine_p.h"

#include "engine/secretbytes_p.h"
#include "engine/tlssessionstore_p.h"
#include "qtpsklogging_p.h"

#include <QtCore/qstringlist.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

namespace {

// Clamps a byte count for OpenSSL's int-sized APIs.
int clampToInt(qsizetype size)
{
    return int(qMin<qsizetype>(size, INT_MAX));
}

bool isIpAddressLiteral(const QByteArray &name)
{
    if (name.startsWith('[') && name.endsWith(']'))
        return true;
    const Asn1OctetStringPtr address(a2i_IPADDRESS(name.constData()));
    ERR_clear_error();
    return address != nullptr;
}

const char *protocolName(int version)
{
    switch (version) {
    case TLS1_3_VERSION:
        return "TLS 1.3";
    case TLS1_2_VERSION:
        return "TLS 1.2";
    case TLS1_1_VERSION:
        return "TLS 1.1";
    case TLS1_VERSION:
        return "TLS 1.0";
    default:
        return "unknown protocol";
    }
}

} // namespace

TlsEngineCallbacks::~TlsEngineCallbacks() = default;

// --- Life cycle and the byte pipes ------------------------------------------------------------

TlsEngine::TlsEngine(std::shared_ptr<TlsContext> context, TlsEngineCallbacks *callbacks)
    : m_context(std::move(context)), m_callbacks(callbacks)
{
    Q_ASSERT(m_context);
    ERR_clear_error();
    SslPtr ssl(SSL_new(m_context->handle()));
    BioPtr input(BIO_new(BIO_s_mem()));
    BioPtr output(BIO_new(BIO_s_mem()));
    if (!ssl || !input || !output || exDataIndex() < 0
        || !SSL_set_ex_data(ssl.get(), exDataIndex(), this)) {
        fail(QStringLiteral("Error creating SSL session"));
        return;
    }
    // An empty input BIO means "wait for more" until feedEndOfStream() says otherwise.
    BIO_set_mem_eof_return(input.get(), -1);
    m_input = input.get();
    m_output = output.get();
    SSL_set_bio(ssl.get(), input.release(), output.release());
    m_asyncHandshake = isDeferralSupported();
    if (isServer())
        SSL_set_accept_state(ssl.get());
    else
        SSL_set_connect_state(ssl.get());
    m_ssl = std::move(ssl);
    qCDebug(lcQtPskEngine, "%p: %s engine created", static_cast<void *>(this),
            isServer() ? "server" : "client");
}

TlsEngine::~TlsEngine()
{
    Q_ASSERT_X(m_callDepth == 0, "TlsEngine", "destroyed from inside one of its own calls");
    endPausedJob();
    // As OpenSSL's own cache does: a session whose connection ended without our close_notify
    // (failed, aborted, cut) is not resumed later.
    if (m_sessionStore && m_ssl && !(SSL_get_shutdown(m_ssl.get()) & SSL_SENT_SHUTDOWN)) {
        if (const SSL_SESSION *session = SSL_get_session(m_ssl.get())) {
            unsigned int idLength = 0;
            const unsigned char *id = SSL_SESSION_get_id(session, &idLength);
            if (id && idLength > 0)
                m_sessionStore->remove(id, idLength);
        }
    }
    forgetCredentials();
    wipe(m_acceptedIdentity);
    wipe(m_acceptedKeyDigest);
}

void TlsEngine::forgetCredentials()
{
    wipe(m_answer.identity);
    wipe(m_answer.key);
    forgetOfferedIdentities();
}

void TlsEngine::forgetOfferedIdentities()
{
    for (OfferedIdentity &offered : m_offeredIdentities)
        wipe(offered.identity);
    m_offeredIdentities.clear();
}

void TlsEngine::feed(const char *data, qsizetype size)
{
    while (m_input && size > 0) {
        const int written = BIO_write(m_input, data, clampToInt(size));
        if (written <= 0)
            break;
        data += written;
        size -= written;
    }
}

void TlsEngine::feedEndOfStream()
{
    if (m_input)
        BIO_set_mem_eof_return(m_input, 0); // once drained, reads report EOF instead of "retry"
}

qsizetype TlsEngine::pendingInput() const
{
    return m_input ? qsizetype(BIO_ctrl_pending(m_input)) : 0;
}

bool TlsEngine::hasPendingInput() const
{
    return pendingInput() > 0 || (m_ssl && SSL_has_pending(m_ssl.get()) == 1);
}

qsizetype TlsEngine::pendingOutput() const
{
    return m_output ? qsizetype(BIO_ctrl_pending(m_output)) : 0;
}

qsizetype TlsEngine::takeOutput(char *buffer, qsizetype maxSize)
{
    qsizetype taken = 0;
    while (m_output && taken < maxSize) {
        const int n = BIO_read(m_output, buffer + taken, clampToInt(maxSize - taken));
        if (n <= 0)
            break;
        taken += n;
    }
    return taken;
}

QByteArray TlsEngine::takeOutput()
{
    const qsizetype pending = pendingOutput();
    if (pending <= 0)
        return QByteArray();
    QByteArray bytes(pending, Qt::Uninitialized);
    bytes.resize(takeOutput(bytes.data(), pending));
    return bytes;
}

// --- The OpenSSL calls, and the one place that maps their results -----------------------------

TlsEngine::Result TlsEngine::handshake()
{
    if (m_handshakeComplete && !m_failed)
        return Result::Ok;
    return call(Call::Handshake, nullptr, 0, nullptr);
}

TlsEngine::Result TlsEngine::read(char *out, qsizetype maxSize, qsizetype *got)
{
    return call(Call::Read, out, maxSize, got);
}

TlsEngine::Result TlsEngine::write(const char *data, qsizetype size, qsizetype *consumed)
{
    return call(Call::Write, const_cast<char *>(data), size, consumed);
}

TlsEngine::Result TlsEngine::call(Call what, void *buffer, qsizetype size, qsizetype *done)
{
    if (done)
        *done = 0;
    if (m_failed || !m_ssl)
        return Result::Failed;
    if (m_callDepth > 0)
        return Result::WantInput; // re-entered from a callback: the outer call carries on
    if (m_pskPause != PskPause::None && (what != Call::Handshake || m_pskPause == PskPause::Deferred))
        return Result::WantInput; // a paused job waits for its answer; only handshake() resumes it
    if (what != Call::Handshake && size <= 0)
        return m_handshakeComplete ? Result::Ok : handshake();

    SSL *const ssl = m_ssl.get();
    size_t moved = 0;
    int ret = 0;
    const qsizetype outputBefore = pendingOutput();
    const size_t alertsBefore = m_alerts.size();
    const bool wasComplete = m_handshakeComplete;
    ERR_clear_error();
    ++m_callDepth;
    // Only handshake() runs as an async job (a PSK request can wait there); read() and write()
    // run on the caller's stack.
    const bool async = m_asyncHandshake && what == Call::Handshake;
    if (async)
        SSL_set_mode(ssl, SSL_MODE_ASYNC);
    ret = runAsync(what, buffer, size, &moved);
    if (async && m_pskPause == PskPause::None)
        SSL_clear_mode(ssl, SSL_MODE_ASYNC);
    --m_callDepth;
    if (m_pskPause == PskPause::Deferred)
        return Result::WantInput; // the job waits for answerPsk() or refusePsk()
    if (m_exception) {
        // A slot threw inside a callback; the trampoline stopped it at OpenSSL's border and made
        // the callback fail (OpenSSL has queued its fatal alert). The connection is over: the
        // owner takes the exception and rethrows it now that OpenSSL has returned.
        forgetCredentials();
        ERR_clear_error();
        m_failed = true;
        m_errorString = QStringLiteral("A slot called from inside the TLS handshake threw an exception");
        return Result::Failed;
    }
    if (SSL_is_init_finished(ssl))
        m_handshakeComplete = true;
    if (lcQtPskEngine().isDebugEnabled()) {
        for (size_t i = alertsBefore; i < m_alerts.size(); ++i) {
            const TlsAlert &alert = m_alerts[i];
            qCDebug(lcQtPskEngine).nospace()
                    << static_cast<const void *>(this) << ": alert " << (alert.sent ? "sent" : "received")
                    << ", level " << alert.level << ", " << alert.type << " (" << alert.text << ")";
        }
        if (m_handshakeComplete && !wasComplete) {
            const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
            qCDebug(lcQtPskEngine, "%p: handshake finished: %s, %s", static_cast<void *>(this),
                    protocolName(SSL_version(ssl)), cipher ? SSL_CIPHER_get_name(cipher) : "no cipher");
        }
    }
    if (m_handshakeComplete || ret <= 0) {
        const int error = ret > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, ret);
        if (m_handshakeComplete || error == SSL_ERROR_SSL || error == SSL_ERROR_SYSCALL)
            forgetCredentials(); // the handshake is over: no HelloRetryRequest can follow
    }

    if (ret > 0) {
        if (done)
            *done = qsizetype(moved);
        return Result::Ok;
    }
    switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: // cannot happen with a memory BIO, which takes everything
        return Result::WantInput;
    case SSL_ERROR_ZERO_RETURN:
        return Result::Closed;
    case SSL_ERROR_SYSCALL:
    case SSL_ERROR_SSL: {
        // Memory BIOs do not fail, so a syscall error with an empty queue is an EOF as well.
        const unsigned long first = ERR_peek_error();
        m_truncated = first == 0
                || (ERR_GET_LIB(first) == ERR_LIB_SSL
                    && ERR_GET_REASON(first) == SSL_R_UNEXPECTED_EOF_WHILE_READING);
        if (!m_truncated && !m_handshakeComplete)
            diagnoseHandshakeFailure();
        fail(QStringLiteral("The TLS connection was closed unexpectedly"));
        if (m_truncated) {
            // OpenSSL answers an EOF with a decode_error alert. The peer has gone, and Qt reports
            // a plain "remote host closed": drop that alert and its bytes.
            m_alerts.resize(alertsBefore);
            dropOutputAfter(outputBefore);
        }
        return Result::Failed;
    }
    default:
        fail(QStringLiteral("Unexpected TLS state"));
        return Result::Failed;
    }
}

bool TlsEngine::isRefusedWithoutTls13Psk() const
{
    // The server answered the ClientHello itself with handshake_failure: no ServerHello (nor a
    // HelloRetryRequest) was read, so the client is still where it sent its ClientHello.
    return m_ssl && !isServer() && m_diagnosis == Diagnosis::ClientOfferedNoTls13Psk
            && SSL_get_state(m_ssl.get()) == TLS_ST_CW_CLNT_HELLO;
}

void TlsEngine::diagnoseHandshakeFailure()
{
    SSL *const ssl = m_ssl.get();
    if (isServer()) {
        // SSL_version() says TLS 1.3 before any negotiation: a suite must have been chosen too
        // (garbage, an oversized record or an HTTP request fail long before that).
        if (SSL_version(ssl) == TLS1_3_VERSION && SSL_get_pending_cipher(ssl)
            && !isExternalPskAccepted() && !SSL_session_reused(ssl)
            && !SSL_get_certificate(ssl)) {
            m_diagnosis = Diagnosis::ServerAcceptedNoTls13Psk;
        }
        return;
    }
    const long maxVersion = SSL_get_max_proto_version(ssl);
    const bool tls13Possible = maxVersion == 0 || maxVersion >= TLS1_3_VERSION;
    const bool refused = std::any_of(m_alerts.begin(), m_alerts.end(), [](const TlsAlert &alert) {
        return !alert.sent && alert.type == SSL_AD_HANDSHAKE_FAILURE;
    });
    const bool nothingOffered = m_clientPsk == ClientPskStage::Start
            || m_clientPsk == ClientPskStage::BuildingHello || m_clientPsk == ClientPskStage::HelloSent;
    if (tls13Possible && refused && nothingOffered)
        m_diagnosis = Diagnosis::ClientOfferedNoTls13Psk;
}

void TlsEngine::dropOutputAfter(qsizetype keep)
{
    if (pendingOutput() <= keep)
        return;
    QByteArray kept(keep, Qt::Uninitialized);
    kept.resize(takeOutput(kept.data(), keep));
    BIO_reset(m_output);
    for (qsizetype offset = 0; offset < kept.size();) {
        const int written = BIO_write(m_output, kept.constData() + offset, clampToInt(kept.size() - offset));
        if (written <= 0)
            break;
        offset += written;
    }
}

void TlsEngine::fail(const QString &fallback)
{
    m_failed = true;
    QStringList errors;
    char text[256];
    while (const unsigned long error = ERR_get_error()) {
        ERR_error_string_n(error, text, sizeof(text));
        errors.append(QString::fromLatin1(text));
    }
    m_errorString = errors.isEmpty() ? fallback : errors.join(QStringLiteral(", "));
    qCDebug(lcQtPskEngine).nospace() << static_cast<const void *>(this) << ": failed, "
                                     << m_errorString;
}

void TlsEngine::shutdown()
{
    if (!m_ssl || m_failed || !m_handshakeComplete || m_callDepth > 0
        || (SSL_get_shutdown(m_ssl.get()) & SSL_SENT_SHUTDOWN)) {
        return;
    }
    ERR_clear_error();
    ++m_callDepth;
    SSL_shutdown(m_ssl.get()); // writes close_notify; we never wait for the peer's here
    --m_callDepth;
    ERR_clear_error();
}

// --- Connection information -------------------------------------------------------------------

int TlsEngine::protocolVersion() const
{
    return m_ssl && m_handshakeComplete ? SSL_version(m_ssl.get()) : 0;
}

QByteArray TlsEngine::cipherName() const
{
    const SSL_CIPHER *cipher = m_ssl && m_handshakeComplete ? SSL_get_current_cipher(m_ssl.get())
                                                            : nullptr;
    return cipher ? QByteArray(SSL_CIPHER_get_name(cipher)) : QByteArray();
}

bool TlsEngine::peerSentCertificate() const
{
    return m_ssl && SSL_get0_peer_certificate(m_ssl.get()) != nullptr;
}

bool TlsEngine::isServer() const
{
    return m_context->settings().server;
}

void TlsEngine::setHostName(const QByteArray &hostName)
{
    if (!m_ssl || isServer() || hostName.isEmpty() || hostName.contains('\0')
        || isIpAddressLiteral(hostName)) {
        return;
    }
    ERR_clear_error();
    // SSL_set_tlsext_host_name() without its old-style cast; a bad name just sends no SNI.
    SSL_ctrl(m_ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char *>(hostName.constData()));
    ERR_clear_error();
}

QString TlsEngine::alertDescription(int type)
{
    return QString::fromLatin1(SSL_alert_desc_string_long(type & 0xff));
}

std::vector<TlsAlert> TlsEngine::takeAlerts()
{
    std::vector<TlsAlert> alerts;
    alerts.swap(m_alerts);
    return alerts;
}

// --- OpenSSL callbacks ------------------------------------------------------------------------

int TlsEngine::exDataIndex()
{
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

TlsEngine *TlsEngine::fromSsl(const SSL *ssl)
{
    return exDataIndex() < 0 ? nullptr
                             : static_cast<TlsEngine *>(SSL_get_ex_data(ssl, exDataIndex()));
}

void TlsEngine::installCallbacks(SSL_CTX *ctx, bool server)
{
    if (server) {
        SSL_CTX_set_psk_server_callback(ctx, &TlsEngine::pskServerTrampoline);
        SSL_CTX_set_psk_find_session_callback(ctx, &TlsEngine::pskFindSessionTrampoline);
        SSL_CTX_set_client_hello_cb(ctx, &TlsEngine::clientHelloTrampoline, nullptr);
        SSL_CTX_sess_set_get_cb(ctx, &TlsEngine::getSessionTrampoline);
    } else {
        SSL_CTX_set_psk_client_callback(ctx, &TlsEngine::pskClientTrampoline);
        SSL_CTX_set_psk_use_session_callback(ctx, &TlsEngine::pskUseSessionTrampoline);
    }
    SSL_CTX_sess_set_new_cb(ctx, &TlsEngine::newSessionTrampoline);
    SSL_CTX_set_info_callback(ctx, &TlsEngine::infoTrampoline);
}

// No exception may cross OpenSSL's C frames: each trampoline catches everything, keeps the
// first exception in the engine (call() then fails the connection and the owner rethrows it
// once OpenSSL has returned) and makes its callback fail.
void TlsEngine::keepException(TlsEngine *engine)
{
    if (engine && !engine->m_exception)
        engine->m_exception = std::current_exception();
}

void TlsEngine::infoTrampoline(const SSL *ssl, int where, int value)
{
    if (!(where & (SSL_CB_ALERT | SSL_CB_HANDSHAKE_DONE)))
        return;
    TlsEngine *engine = fromSsl(ssl);
    if (!engine)
        return;
    if (where & SSL_CB_HANDSHAKE_DONE) {
        engine->handshakeDone();
        return;
    }
    try {
        TlsAlert alert;
        alert.sent = (where & SSL_CB_WRITE) != 0;
        alert.level = (value >> 8) & 0xff;
        alert.type = value & 0xff;
        alert.text = alertDescription(value);
        engine->m_alerts.push_back(std::move(alert));
    } catch (...) {
        keepException(engine); // cannot fail this callback: call() fails the connection
    }
}

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE
