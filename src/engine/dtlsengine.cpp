// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// DtlsEngine: a TlsEngine on a datagram BIO, with OpenSSL's DTLS calls (MTU, the retransmission
// timer, cookies) and the bound on retransmitting a final flight nobody answers.
#include "engine/dtlsengine_p.h"

#include "engine/secretbytes_p.h"
#include "qtpsklogging_p.h"

#include <openssl/crypto.h>
#include <openssl/err.h>

#include <algorithm>
#include <cstring>
#include <utility>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

namespace {

constexpr std::chrono::microseconds MaximumTimeout = std::chrono::seconds(60); // as OpenSSL's

// OpenSSL 3.2 and later refuse CCM8 suites (64-bit tags) above security level 0.
bool needsLevelZeroForCcm8(SSL *ssl)
{
    if (OpenSSL_version_num() < 0x30200000L || SSL_get_security_level(ssl) == 0)
        return false;
    const STACK_OF(SSL_CIPHER) *ciphers = SSL_get_ciphers(ssl);
    for (int i = 0; ciphers && i < sk_SSL_CIPHER_num(ciphers); ++i) {
        const SSL_CIPHER *cipher = sk_SSL_CIPHER_value(ciphers, i);
        if (SSL_CIPHER_get_auth_nid(cipher) == NID_auth_psk
            && std::strstr(SSL_CIPHER_get_name(cipher), "CCM8")) {
            return true;
        }
    }
    return false;
}

} // namespace

void DtlsEngine::configureContext(SSL_CTX *ctx, const TlsSettings &settings)
{
    // The owner gives the MTU (setMtu()); there is no socket to ask.
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU);
    SSL_CTX_clear_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (settings.server)
        installCookieCallbacks(ctx);
}

DtlsEngine::DtlsEngine(std::shared_ptr<TlsContext> context, TlsEngineCallbacks *callbacks)
    : m_tls(std::move(context), callbacks)
{
    m_cookie.secret = defaultCookieSecret();
    SSL *const s = ssl();
    if (!s)
        return; // m_tls has failed already
    BIO *const bio = m_pipe.newBio();
    if (!bio || exDataIndex() < 0 || !SSL_set_ex_data(s, exDataIndex(), this)) {
        BIO_free(bio);
        m_tls.fail(QStringLiteral("Error creating SSL session"));
        return;
    }
    SSL_set_bio(s, bio, bio); // frees the TLS engine's memory BIOs
    m_tls.m_input = nullptr;
    m_tls.m_output = nullptr;
    DTLS_set_timer_cb(s, &DtlsEngine::timerTrampoline);
    if (m_tls.isServer())
        QtPskPrivate::setCookieParameters(s, &m_cookie);
    if (needsLevelZeroForCcm8(s)) {
        // This association only: its cipher list names a CCM8 PSK suite, which it cannot
        // negotiate otherwise. PSK associations have no certificate the level would guard.
        SSL_set_security_level(s, 0);
        qCDebug(lcQtPskEngine, "%p: DTLS security level 0 for a CCM8 PSK suite", static_cast<void *>(this));
    }
    ERR_clear_error();
}

DtlsEngine::~DtlsEngine()
{
    wipe(m_cookie.secret);
}

int DtlsEngine::exDataIndex()
{
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

unsigned int DtlsEngine::timerTrampoline(SSL *ssl, unsigned int previousMicroseconds)
{
    const auto *engine = exDataIndex() < 0 ? nullptr
                                           : static_cast<DtlsEngine *>(SSL_get_ex_data(ssl, exDataIndex()));
    const std::chrono::microseconds initial = engine ? engine->m_initialTimeout : std::chrono::seconds(1);
    const std::chrono::microseconds next = previousMicroseconds == 0
            ? initial
            : std::chrono::microseconds(2 * qint64(previousMicroseconds));
    return unsigned(std::clamp(next, std::chrono::microseconds(1000), MaximumTimeout).count());
}

bool DtlsEngine::setLinkMtu(int linkMtu)
{
    SSL *const s = ssl();
    if (!s || m_mtuApplied || linkMtu < int(DTLS_get_link_min_mtu(s)))
        return false;
    m_linkMtu = linkMtu;
    return true;
}

// OpenSSL turns the link MTU into its MTU (less the header overhead) at its first write.
void DtlsEngine::applyMtu()
{
    if (std::exchange(m_mtuApplied, true) || !ssl())
        return;
    DTLS_set_link_mtu(ssl(), m_linkMtu);
    ERR_clear_error();
}

void DtlsEngine::setCookieParameters(const DtlsCookieParameters &parameters, bool verify)
{
    wipe(m_cookie.secret);
    m_cookie.digest = parameters.digest;
    m_cookie.secret = detachedCopy(parameters.secret);
    m_cookie.peer = parameters.peer;
    if (SSL *const s = ssl()) {
        if (verify)
            SSL_set_options(s, SSL_OP_COOKIE_EXCHANGE);
        else
            SSL_clear_options(s, SSL_OP_COOKIE_EXCHANGE);
        m_verifyCookies = verify && m_tls.isServer();
    }
}

DtlsEngine::Result DtlsEngine::handshake(const QByteArray &datagram)
{
    applyMtu();
    if (!datagram.isEmpty())
        m_pipe.put(datagram);
    if (m_verifyCookies && !m_listened && !m_tls.isFailed()) {
        // A server's association starts with the ClientHello that returns its cookie; DTLSv1_listen
        // checks it statelessly and leaves it, with the message sequence it continues, for the
        // handshake. A ClientHello without a valid cookie gets a HelloVerifyRequest.
        if (!m_client)
            m_client.reset(BIO_ADDR_new());
        ERR_clear_error();
        ++m_tls.m_callDepth;
        const int listened = m_client && m_pipe.hasInput() ? DTLSv1_listen(ssl(), m_client.get()) : 0;
        --m_tls.m_callDepth;
        ERR_clear_error();
        if (listened <= 0) {
            m_pipe.dropInput();
            return Result::WantInput;
        }
        m_listened = true;
    }
    const Result result = m_tls.handshake();
    m_pipe.dropInput();
    return result;
}

DtlsEngine::Result DtlsEngine::decrypt(const QByteArray &datagram, QByteArray *plaintext)
{
    plaintext->clear();
    if (datagram.isEmpty())
        return m_tls.isFailed() ? Result::Failed : Result::WantInput;
    m_pipe.put(datagram);
    // A record's plaintext is never larger than the datagram that carried it; records a
    // handshake datagram left behind inside OpenSSL come in further pieces of this size.
    QByteArray buffer(datagram.size(), Qt::Uninitialized);
    Result result = Result::WantInput;
    for (;;) {
        qsizetype got = 0;
        result = m_tls.read(buffer.data(), buffer.size(), &got);
        if (result != Result::Ok)
            break;
        plaintext->append(buffer.constData(), got);
        if (!m_pipe.hasInput() && SSL_has_pending(ssl()) != 1)
            break;
    }
    m_pipe.dropInput();
    return plaintext->isEmpty() ? result : Result::Ok;
}

DtlsEngine::Result DtlsEngine::encrypt(const QByteArray &plaintext)
{
    if (plaintext.size() > SSL3_RT_MAX_PLAIN_LENGTH)
        return Result::Failed; // one record at most; the association stays
    qsizetype consumed = 0;
    return m_tls.write(plaintext.constData(), plaintext.size(), &consumed);
}

std::chrono::milliseconds DtlsEngine::timeUntilRetransmission() const
{
    SSL *const s = ssl();
    timeval left = {};
    // A handshake paused for a deferred PSK answer waits for the answer, not for a time-out.
    if (!s || m_tls.isFailed() || m_tls.isHandshakeComplete() || m_tls.isPskAnswerPending()
        || DTLSv1_get_timeout(s, &left) != 1)
        return std::chrono::milliseconds(-1);
    const qint64 micro = qint64(left.tv_sec) * 1000000 + left.tv_usec;
    return std::chrono::milliseconds((micro + 999) / 1000);
}

// The flight a side sends once it has used the PSK: a peer whose key differs cannot
// authenticate it and drops it, so no answer ever comes.
bool DtlsEngine::isInFinalFlight() const
{
    switch (SSL_get_state(ssl())) {
    case TLS_ST_CW_KEY_EXCH:
    case TLS_ST_CW_CHANGE:
    case TLS_ST_CW_FINISHED:
    case TLS_ST_CR_SESSION_TICKET:
    case TLS_ST_CR_CHANGE:
    case TLS_ST_CR_FINISHED:
    case TLS_ST_SR_KEY_EXCH:
    case TLS_ST_SR_CHANGE:
    case TLS_ST_SR_FINISHED:
        return true;
    default:
        return false;
    }
}

DtlsEngine::Result DtlsEngine::handleTimeout()
{
    SSL *const s = ssl();
    if (!s || m_tls.isFailed())
        return Result::Failed;
    if (m_tls.isHandshakeComplete() || m_tls.m_callDepth > 0 || timeUntilRetransmission().count() != 0)
        return Result::Ok; // nothing is due
    if (isInFinalFlight()) {
        if (m_finalFlightLimit > 0 && m_finalRetransmissions >= m_finalFlightLimit) {
            m_limitReached = true;
            ERR_clear_error();
            m_tls.fail(QStringLiteral("The DTLS handshake did not complete: the final flight was sent "
                                      "%1 times without an answer; the peer most likely has a "
                                      "different pre-shared key or does not know the identity")
                               .arg(m_finalRetransmissions + 1));
            m_tls.forgetCredentials();
            return Result::Failed;
        }
        ++m_finalRetransmissions;
    }
    ERR_clear_error();
    ++m_tls.m_callDepth;
    const int handled = DTLSv1_handle_timeout(s);
    --m_tls.m_callDepth;
    if (handled < 0) {
        m_tls.fail(QStringLiteral("The DTLS handshake timed out"));
        m_tls.forgetCredentials();
        return Result::Failed;
    }
    ERR_clear_error();
    return Result::Ok;
}

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE
