// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "engine/tlsengine_p.h"

#include "auth/qsslpresharedkeyauthenticator_p.h"

#include <QtCore/qstringlist.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <climits>
#include <cstring>

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
    ASN1_OCTET_STRING *address = a2i_IPADDRESS(name.constData());
    ERR_clear_error();
    ASN1_OCTET_STRING_free(address);
    return address != nullptr;
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
    if (isServer())
        SSL_set_accept_state(ssl.get());
    else
        SSL_set_connect_state(ssl.get());
    m_ssl = std::move(ssl);
}

TlsEngine::~TlsEngine()
{
    Q_ASSERT_X(m_callDepth == 0, "TlsEngine", "destroyed from inside one of its own calls");
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
    if (what != Call::Handshake && size <= 0)
        return m_handshakeComplete ? Result::Ok : handshake();

    SSL *const ssl = m_ssl.get();
    size_t moved = 0;
    int ret = 0;
    const qsizetype outputBefore = pendingOutput();
    const size_t alertsBefore = m_alerts.size();
    ERR_clear_error();
    ++m_callDepth;
    switch (what) {
    case Call::Handshake:
        ret = SSL_do_handshake(ssl);
        break;
    case Call::Read:
        ret = SSL_read_ex(ssl, buffer, size_t(size), &moved);
        break;
    case Call::Write:
        ret = SSL_write_ex(ssl, buffer, size_t(size), &moved);
        break;
    }
    --m_callDepth;
    if (SSL_is_init_finished(ssl))
        m_handshakeComplete = true;

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

bool TlsEngine::isCloseNotifyReceived() const
{
    return m_ssl && (SSL_get_shutdown(m_ssl.get()) & SSL_RECEIVED_SHUTDOWN);
}

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

int TlsEngine::cipherBits(int *supportedBits) const
{
    const SSL_CIPHER *cipher = m_ssl && m_handshakeComplete ? SSL_get_current_cipher(m_ssl.get())
                                                            : nullptr;
    int supported = 0;
    const int used = cipher ? SSL_CIPHER_get_bits(cipher, &supported) : 0;
    if (supportedBits)
        *supportedBits = supported;
    return used;
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
    } else {
        SSL_CTX_set_psk_client_callback(ctx, &TlsEngine::pskClientTrampoline);
        SSL_CTX_set_psk_use_session_callback(ctx, &TlsEngine::pskUseSessionTrampoline);
    }
    SSL_CTX_set_info_callback(ctx, &TlsEngine::infoTrampoline);
}

// No exception may cross OpenSSL's C frames: each trampoline stops them.

unsigned int TlsEngine::pskClientTrampoline(SSL *ssl, const char *hint, char *identity,
                                            unsigned int maxIdentityLength, unsigned char *psk,
                                            unsigned int maxPskLength)
{
    TlsEngine *engine = fromSsl(ssl);
    try {
        return engine ? engine->pskClient(hint, identity, maxIdentityLength, psk, maxPskLength) : 0;
    } catch (...) {
        return 0;
    }
}

unsigned int TlsEngine::pskServerTrampoline(SSL *ssl, const char *identity, unsigned char *psk,
                                            unsigned int maxPskLength)
{
    TlsEngine *engine = fromSsl(ssl);
    try {
        return engine ? engine->pskServer(identity, psk, maxPskLength) : 0;
    } catch (...) {
        return 0;
    }
}

// OpenSSL asks this while it builds a TLS 1.3 ClientHello, and then at once asks the client PSK
// callback for an external PSK. We give no session and let pskClient() decide about that
// immediate request.
int TlsEngine::pskUseSessionTrampoline(SSL *ssl, const EVP_MD *, const unsigned char **id,
                                       size_t *idLength, SSL_SESSION **session)
{
    *id = nullptr;
    *idLength = 0;
    *session = nullptr;
    if (TlsEngine *engine = fromSsl(ssl))
        engine->m_tls13ClientHelloPending = true;
    return 1;
}

void TlsEngine::infoTrampoline(const SSL *ssl, int where, int value)
{
    if (!(where & SSL_CB_ALERT))
        return;
    TlsEngine *engine = fromSsl(ssl);
    if (!engine)
        return;
    try {
        TlsAlert alert;
        alert.sent = (where & SSL_CB_WRITE) != 0;
        alert.level = (value >> 8) & 0xff;
        alert.type = value & 0xff;
        alert.text = QString::fromLatin1(SSL_alert_desc_string_long(value));
        engine->m_alerts.push_back(std::move(alert));
    } catch (...) {
    }
}

bool TlsEngine::askCallbacks(QSslPreSharedKeyAuthenticator &authenticator)
{
    return m_callbacks && m_callbacks->preSharedKeyAuthenticationRequired(&authenticator);
}

unsigned int TlsEngine::pskClient(const char *hint, char *identity, unsigned int maxIdentityLength,
                                  unsigned char *psk, unsigned int maxPskLength)
{
    if (m_tls13ClientHelloPending) {
        // The TLS 1.3 external-PSK request at ClientHello (see pskUseSessionTrampoline).
        m_tls13ClientHelloPending = false;
        if (m_context->settings().tls13Psk == Tls13Psk::QtCompatible
            && !qEnvironmentVariableIsSet("QT_USE_TLS_1_3_PSK")) {
            return 0; // offer none, ask nobody: Qt's behaviour
        }
    }

    QSslPreSharedKeyAuthenticator authenticator;
    if (hint && *hint) // deep copy: OpenSSL's memory does not outlive the session
        AuthenticatorAccess::setIdentityHint(authenticator, QByteArray(hint));
    // Qt keeps one byte of OpenSSL's identity buffer for the terminating NUL.
    const int maxIdentity = maxIdentityLength > 0 ? int(maxIdentityLength) - 1 : 0;
    AuthenticatorAccess::setMaxima(authenticator, maxIdentity, int(maxPskLength));
    if (!askCallbacks(authenticator))
        return 0;

    // Declared after the authenticator, so released first: its destructor then wipes the key.
    const QByteArray key = authenticator.preSharedKey();
    if (key.isEmpty())
        return 0;
    const QByteArray id = authenticator.identity();
    const qsizetype idLength = qMin(id.size(), qsizetype(maxIdentity));
    std::memcpy(identity, id.constData(), size_t(idLength));
    identity[idLength] = '\0'; // OpenSSL takes strlen(): an embedded NUL cuts the identity
    const qsizetype keyLength = qMin(key.size(), qsizetype(maxPskLength));
    std::memcpy(psk, key.constData(), size_t(keyLength));
    return unsigned(keyLength);
}

unsigned int TlsEngine::pskServer(const char *identity, unsigned char *psk, unsigned int maxPskLength)
{
    QSslPreSharedKeyAuthenticator authenticator;
    AuthenticatorAccess::setIdentityHint(authenticator, m_context->settings().identityHint);
    // A deep copy; an empty identity is empty but not null.
    AuthenticatorAccess::setPeerIdentity(authenticator, QByteArray(identity ? identity : "", -1));
    AuthenticatorAccess::setMaxima(authenticator, 0, int(maxPskLength));
    if (!askCallbacks(authenticator))
        return 0;

    const QByteArray key = authenticator.preSharedKey(); // released before the authenticator
    if (key.isEmpty())
        return 0;
    const qsizetype keyLength = qMin(key.size(), qsizetype(maxPskLength));
    std::memcpy(psk, key.constData(), size_t(keyLength));
    return unsigned(keyLength);
}

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE
