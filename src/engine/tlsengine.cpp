// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "engine/tlsengine_p.h"

#include "auth/qsslpresharedkeyauthenticator_p.h"
#include "engine/tlssessionstore_p.h"
#include "qtpsklogging_p.h"

#include <QtCore/qstringlist.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <algorithm>
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

// Deep-copies \a bytes, so that wiping the copy never touches memory someone else shares.
QByteArray detachedCopy(const QByteArray &bytes)
{
    return QByteArray(bytes.constData(), bytes.size());
}

// Deep-copies the first \a maxSize bytes of \a bytes in one step. QByteArray::left() would make
// a temporary copy of its own when it cuts, and release it unwiped.
QByteArray detachedCopy(const QByteArray &bytes, qsizetype maxSize)
{
    return QByteArray(bytes.constData(), qBound<qsizetype>(0, maxSize, bytes.size()));
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

void wipe(QByteArray &bytes)
{
    if (!bytes.isEmpty())
        OPENSSL_cleanse(bytes.data(), size_t(bytes.size()));
    bytes.clear();
}

int digestNid(const EVP_MD *md)
{
    return md ? EVP_MD_get_type(md) : NID_undef;
}

// The first enabled TLS 1.3 suite whose handshake hash is \a nid, or nullptr.
const SSL_CIPHER *tls13CipherWithHash(SSL *ssl, int nid)
{
    STACK_OF(SSL_CIPHER) *ciphers = SSL_get1_supported_ciphers(ssl);
    const SSL_CIPHER *found = nullptr;
    for (int i = 0; ciphers && i < sk_SSL_CIPHER_num(ciphers) && !found; ++i) {
        const SSL_CIPHER *cipher = sk_SSL_CIPHER_value(ciphers, i);
        if ((SSL_CIPHER_get_protocol_id(cipher) & 0xff00) == 0x1300 // TLS 1.3 suites are 0x13xx
            && digestNid(SSL_CIPHER_get_handshake_digest(cipher)) == nid) {
            found = cipher;
        }
    }
    sk_SSL_CIPHER_free(ciphers);
    return found;
}

// A TLS 1.3 external PSK as OpenSSL wants it: a session holding the key, bound to \a cipher
// (whose hash is the PSK's hash).
SSL_SESSION *externalPskSession(const QByteArray &key, const SSL_CIPHER *cipher)
{
    SslSessionPtr session(SSL_SESSION_new());
    if (!session || !cipher
        || !SSL_SESSION_set1_master_key(session.get(),
                                        reinterpret_cast<const unsigned char *>(key.constData()),
                                        size_t(key.size()))
        || !SSL_SESSION_set_cipher(session.get(), cipher)
        || !SSL_SESSION_set_protocol_version(session.get(), TLS1_3_VERSION)) {
        return nullptr;
    }
    return session.release();
}

// A big-endian reader over a byte range; every read fails once the range is exhausted.
class WireReader
{
public:
    WireReader(const unsigned char *data, size_t size) : m_data(data), m_left(size) { }
    bool number(int bytes, quint32 *value)
    {
        if (m_left < size_t(bytes))
            return false;
        quint32 result = 0;
        for (int i = 0; i < bytes; ++i)
            result = (result << 8) | m_data[i];
        skip(size_t(bytes));
        *value = result;
        return true;
    }
    bool sub(size_t size, WireReader *into)
    {
        if (m_left < size)
            return false;
        *into = WireReader(m_data, size);
        skip(size);
        return true;
    }
    const unsigned char *data() const { return m_data; }
    size_t left() const { return m_left; }

private:
    void skip(size_t size) { m_data += size; m_left -= size; }
    const unsigned char *m_data;
    size_t m_left;
};

constexpr unsigned int kPreSharedKeyExtension = 41; // RFC 8446 section 4.2.11
constexpr unsigned int kSupportedVersionsExtension = 43; // RFC 8446 section 4.2.1

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
    qCDebug(lcQtPskEngine, "%p: %s engine created", static_cast<void *>(this),
            isServer() ? "server" : "client");
}

TlsEngine::~TlsEngine()
{
    Q_ASSERT_X(m_callDepth == 0, "TlsEngine", "destroyed from inside one of its own calls");
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
    wipe(m_pskIdentity);
    wipe(m_pskKey);
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
            && !m_externalPskAccepted && !SSL_session_reused(ssl)
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
    if (tls13Possible && refused && !m_externalPskOffered && !m_askedAtKeyExchange)
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

bool TlsEngine::isSessionReused() const
{
    return m_ssl && m_handshakeComplete && m_sessionReused;
}

// At the end of the first handshake (SSL_CB_HANDSHAKE_DONE), before a TLS 1.3 ticket can replace
// the session. OpenSSL counts every TLS 1.3 PSK as a reused session, an external one too; only a
// ticket resumes. The server knows which one it accepted; a client's session has a ticket only
// when it is a resumed one (an external PSK's session has none).
void TlsEngine::handshakeDone()
{
    if (m_handshakeDoneSeen)
        return;
    m_handshakeDoneSeen = true;
    SSL *const ssl = m_ssl.get();
    if (!ssl || !SSL_session_reused(ssl))
        return;
    if (SSL_version(ssl) != TLS1_3_VERSION) {
        m_sessionReused = true; // a TLS 1.2 session ID
    } else if (isServer()) {
        m_sessionReused = !m_externalPskAccepted;
    } else {
        const SSL_SESSION *session = SSL_get_session(ssl);
        m_sessionReused = session && SSL_SESSION_has_ticket(session);
    }
}

SslSessionPtr TlsEngine::session() const
{
    return SslSessionPtr(m_ssl ? SSL_get1_session(m_ssl.get()) : nullptr);
}

bool TlsEngine::setSession(SSL_SESSION *session)
{
    if (!m_ssl || isServer() || !session)
        return false;
    const bool ok = SSL_set_session(m_ssl.get(), session) == 1;
    ERR_clear_error();
    return ok;
}

QByteArray TlsEngine::sessionAsn1() const
{
    const SSL_SESSION *session = m_ssl ? SSL_get_session(m_ssl.get()) : nullptr;
    const int size = session ? i2d_SSL_SESSION(session, nullptr) : 0;
    if (size <= 0)
        return QByteArray();
    QByteArray der(size, Qt::Uninitialized);
    unsigned char *out = reinterpret_cast<unsigned char *>(der.data());
    if (i2d_SSL_SESSION(session, &out) != size)
        return QByteArray();
    return der;
}

int TlsEngine::sessionTicketLifetimeHint() const
{
    const SSL_SESSION *session = m_ssl ? SSL_get_session(m_ssl.get()) : nullptr;
    return session ? int(qMin<unsigned long>(SSL_SESSION_get_ticket_lifetime_hint(session), INT_MAX))
                   : 0;
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

unsigned int TlsEngine::pskClientTrampoline(SSL *ssl, const char *hint, char *identity,
                                            unsigned int maxIdentityLength, unsigned char *psk,
                                            unsigned int maxPskLength)
{
    TlsEngine *engine = fromSsl(ssl);
    try {
        return engine ? engine->pskClient(hint, identity, maxIdentityLength, psk, maxPskLength) : 0;
    } catch (...) {
        keepException(engine);
        return 0; // no key: OpenSSL aborts the handshake
    }
}

unsigned int TlsEngine::pskServerTrampoline(SSL *ssl, const char *identity, unsigned char *psk,
                                            unsigned int maxPskLength)
{
    TlsEngine *engine = fromSsl(ssl);
    try {
        return engine ? engine->pskServer(identity, psk, maxPskLength) : 0;
    } catch (...) {
        keepException(engine);
        return 0; // no key: OpenSSL aborts the handshake
    }
}

// OpenSSL asks this while it builds a TLS 1.3 ClientHello (again after a HelloRetryRequest, then
// with the handshake hash \a md). Without a session from us it at once asks the old-style client
// PSK callback as well; pskClient() knows that request by m_tls13ClientHelloPending.
int TlsEngine::pskUseSessionTrampoline(SSL *ssl, const EVP_MD *md, const unsigned char **id,
                                       size_t *idLength, SSL_SESSION **session)
{
    *id = nullptr;
    *idLength = 0;
    *session = nullptr;
    TlsEngine *engine = fromSsl(ssl);
    if (!engine)
        return 1;
    try {
        return engine->pskUseSession(md, id, idLength, session);
    } catch (...) {
        keepException(engine);
        *id = nullptr;
        *idLength = 0;
        *session = nullptr;
        return 0; // OpenSSL aborts the handshake (internal_error)
    }
}

// The server's TLS 1.3 lookup, once per identity the ClientHello offers, before OpenSSL tries
// the old-style server callback and then its own tickets.
int TlsEngine::pskFindSessionTrampoline(SSL *ssl, const unsigned char *identity,
                                        size_t identityLength, SSL_SESSION **session)
{
    *session = nullptr;
    TlsEngine *engine = fromSsl(ssl);
    if (!engine)
        return 1;
    try {
        return engine->pskFindSession(identity, identityLength, session);
    } catch (...) {
        keepException(engine);
        *session = nullptr;
        return 0; // OpenSSL aborts the handshake (internal_error)
    }
}

// OpenSSL has a new session: a server's after a full handshake (TLS 1.2) or for each TLS 1.3
// ticket it issues; a client's at the end of a TLS 1.2 handshake and for each TLS 1.3 ticket it
// reads. Returns 0: OpenSSL keeps its reference (the store takes one of its own).
int TlsEngine::newSessionTrampoline(SSL *ssl, SSL_SESSION *session)
{
    TlsEngine *engine = fromSsl(ssl);
    try {
        return engine ? engine->newSession(session) : 0;
    } catch (...) {
        keepException(engine);
        return 0;
    }
}

// A server's lookup of a session the ClientHello names (a TLS 1.2 session ID, a TLS 1.3 stateful
// ticket). *copy = 0: the returned session carries a reference for OpenSSL.
SSL_SESSION *TlsEngine::getSessionTrampoline(SSL *ssl, const unsigned char *id, int idLength,
                                             int *copy)
{
    *copy = 0;
    TlsEngine *engine = fromSsl(ssl);
    if (!engine || idLength <= 0)
        return nullptr;
    try {
        return engine->resumeSession(id, size_t(idLength));
    } catch (...) {
        keepException(engine);
        return nullptr;
    }
}

int TlsEngine::newSession(SSL_SESSION *session)
{
    if (!isServer()) {
        // TLS 1.3 tickets arrive after the handshake; a TLS 1.2 session is the handshake's own.
        if (SSL_version(m_ssl.get()) == TLS1_3_VERSION && m_handshakeDoneSeen)
            ++m_newTickets;
        return 0;
    }
    if (m_sessionStore && !m_acceptedKeyDigest.isEmpty())
        m_sessionStore->insert(session, m_acceptedIdentity, m_acceptedKeyDigest);
    return 0;
}

// The PSK this handshake authenticated with, for the session the store may keep.
void TlsEngine::acceptKey(const QByteArray &identity, const QByteArray &key)
{
    if (!m_sessionStore)
        return;
    wipe(m_acceptedIdentity);
    wipe(m_acceptedKeyDigest);
    m_acceptedIdentity = detachedCopy(identity);
    m_acceptedKeyDigest = TlsSessionStore::digestOf(key);
}

// A resumption is put to the application again: the slot is asked about the identity the session
// was authenticated with, and the session resumes only if the slot gives that identity the same
// key now. So revoking an identity, or changing its key, ends its sessions too. A refused or
// expired session means a full handshake, whose PSK request for the same identity reuses this
// answer (the slot is asked once per handshake).
SSL_SESSION *TlsEngine::resumeSession(const unsigned char *id, size_t idLength)
{
    if (!m_sessionStore)
        return nullptr;
    const QByteArray sessionId(reinterpret_cast<const char *>(id), qsizetype(idLength));
    if (!m_takenSessionId.isNull() && m_takenSessionId == sessionId) {
        // The second ClientHello after a HelloRetryRequest names the session again: the first
        // one's decision stands (a TLS 1.3 ticket has left the store already).
        if (!m_takenSession)
            return nullptr;
        SSL_SESSION_up_ref(m_takenSession.get());
        return m_takenSession.get();
    }
    TlsSessionStore::Entry entry;
    if (!m_sessionStore->take(id, idLength, &entry))
        return nullptr;
    m_takenSessionId = sessionId;
    struct Wiper
    {
        TlsSessionStore::Entry &entry;
        ~Wiper()
        {
            wipe(entry.identity);
            wipe(entry.keyDigest);
        }
    } const wiper{entry};
    if (!m_asked || m_pskIdentity != entry.identity) {
        m_asked = true;
        wipe(m_pskKey);
        m_pskIdentity = detachedCopy(entry.identity);
        QSslPreSharedKeyAuthenticator authenticator;
        AuthenticatorAccess::setIdentityHint(authenticator, m_context->settings().identityHint);
        AuthenticatorAccess::setPeerIdentity(authenticator, entry.identity.isNull()
                                                                    ? QByteArray("", 0)
                                                                    : entry.identity);
        AuthenticatorAccess::setMaxima(authenticator, 0, maximumPreSharedKeyLength());
        if (askCallbacks(authenticator))
            m_pskKey = detachedCopy(authenticator.preSharedKey(), maximumPreSharedKeyLength());
    }
    const bool same = !m_pskKey.isEmpty()
            && TlsSessionStore::sameDigest(TlsSessionStore::digestOf(m_pskKey), entry.keyDigest);
    qCDebug(lcQtPskEngine, "%p: %s session offered for resumption: %s", static_cast<void *>(this),
            entry.tls13 ? "TLS 1.3" : "TLS 1.2",
            same ? "the slot gave the same key, it resumes" : "the slot refused, a full handshake");
    if (!same)
        return nullptr;
    acceptKey(entry.identity, m_pskKey);
    m_takenSession.reset(entry.session.get());
    SSL_SESSION_up_ref(m_takenSession.get());
    return entry.session.release();
}

int TlsEngine::clientHelloTrampoline(SSL *ssl, int *alert, void *)
{
    if (TlsEngine *engine = fromSsl(ssl)) {
        try {
            engine->clientHello();
        } catch (...) {
            keepException(engine);
            engine->m_offeredIdentities.clear();
            *alert = SSL_AD_INTERNAL_ERROR;
            return SSL_CLIENT_HELLO_ERROR;
        }
    }
    return SSL_CLIENT_HELLO_SUCCESS;
}

// Reads the identities, ticket ages and binder sizes of the ClientHello's pre_shared_key
// extension (RFC 8446 4.2.11). Nothing is recorded when it is absent or malformed (OpenSSL then
// rejects a malformed one itself).
void TlsEngine::clientHello()
{
    for (OfferedIdentity &offered : m_offeredIdentities)
        wipe(offered.identity);
    m_offeredIdentities.clear();
    const unsigned char *data = nullptr;
    size_t size = 0;
    const bool offersPsk = SSL_client_hello_get0_ext(m_ssl.get(), kPreSharedKeyExtension, &data, &size);
    if (!m_clientHelloSeen) {
        m_clientHelloSeen = true;
        if (!offersPsk)
            preferTls12WithoutTls13Psk();
    }
    if (!offersPsk)
        return;
    WireReader extension(data, size);
    WireReader identities(nullptr, 0);
    WireReader binders(nullptr, 0);
    quint32 length = 0;
    if (!extension.number(2, &length) || !extension.sub(length, &identities))
        return;
    std::vector<OfferedIdentity> offered;
    while (identities.left() > 0) {
        OfferedIdentity entry;
        WireReader identity(nullptr, 0);
        if (!identities.number(2, &length) || !identities.sub(length, &identity)
            || !identities.number(4, &entry.obfuscatedAge)) {
            return;
        }
        entry.identity = QByteArray(reinterpret_cast<const char *>(identity.data()),
                                    qsizetype(identity.left()));
        offered.push_back(std::move(entry));
    }
    if (!extension.number(2, &length) || !extension.sub(length, &binders))
        return;
    for (OfferedIdentity &entry : offered) {
        WireReader binder(nullptr, 0);
        if (!binders.number(1, &length) || !binders.sub(length, &binder))
            return;
        entry.binderLength = int(length);
    }
    m_offeredIdentities = std::move(offered);
}

// A client that offers TLS 1.3 without a PSK (Qt's default client: QT_USE_TLS_1_3_PSK unset) but
// TLS 1.2 PSK suites this server accepts would fail in TLS 1.3: a PSK server has no certificate.
// Such a connection is limited to TLS 1.2 here, in the ClientHello callback, before the version is
// negotiated: the server then is a TLS 1.2 server for it, so RFC 8446's downgrade sentinel is not
// set and the client's downgrade check passes. A client that offers a TLS 1.3 PSK keeps TLS 1.3.
void TlsEngine::preferTls12WithoutTls13Psk()
{
    SSL *const ssl = m_ssl.get();
    const TlsSettings &settings = m_context->settings();
    const bool serverHasTls12 = settings.minVersion == 0 || settings.minVersion <= TLS1_2_VERSION;
    const bool serverHasTls13 = settings.maxVersion == 0 || settings.maxVersion >= TLS1_3_VERSION;
    if (!serverHasTls12 || !serverHasTls13)
        return;
    const unsigned char *versions = nullptr;
    size_t versionsSize = 0;
    if (!SSL_client_hello_get0_ext(ssl, kSupportedVersionsExtension, &versions, &versionsSize))
        return; // a TLS 1.2 client: nothing to decide
    WireReader reader(versions, versionsSize);
    WireReader list(nullptr, 0);
    quint32 length = 0;
    if (!reader.number(1, &length) || !reader.sub(length, &list))
        return;
    bool clientHasTls12 = false;
    bool clientHasTls13 = false;
    quint32 version = 0;
    while (list.number(2, &version)) {
        clientHasTls12 = clientHasTls12 || version == TLS1_2_VERSION;
        clientHasTls13 = clientHasTls13 || version == TLS1_3_VERSION;
    }
    if (!clientHasTls12 || !clientHasTls13)
        return;
    // One of the client's TLS 1.2 PSK suites must be one of ours.
    const unsigned char *suites = nullptr;
    const size_t suitesSize = SSL_client_hello_get0_ciphers(ssl, &suites);
    const STACK_OF(SSL_CIPHER) *ours = SSL_get_ciphers(ssl);
    bool sharedPskSuite = false;
    for (size_t i = 0; i + 1 < suitesSize && !sharedPskSuite; i += 2) {
        const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, suites + i);
        if (!cipher || SSL_CIPHER_get_auth_nid(cipher) != NID_auth_psk)
            continue; // TLS 1.3 suites authenticate with "any"
        for (int j = 0; ours && j < sk_SSL_CIPHER_num(ours); ++j) {
            if (SSL_CIPHER_get_id(sk_SSL_CIPHER_value(ours, j)) == SSL_CIPHER_get_id(cipher)) {
                sharedPskSuite = true;
                break;
            }
        }
    }
    if (!sharedPskSuite)
        return;
    if (SSL_set_max_proto_version(ssl, TLS1_2_VERSION) == 1) {
        qCDebug(lcQtPskEngine, "%p: the client offers TLS 1.3 without a PSK and TLS 1.2 PSK suites: "
                               "TLS 1.2 for this connection", static_cast<void *>(this));
    }
}

int TlsEngine::pskUseSession(const EVP_MD *md, const unsigned char **id, size_t *idLength,
                             SSL_SESSION **session)
{
    if (m_context->settings().tls13Psk != Tls13Psk::Offer) {
        m_tls13ClientHelloPending = true; // Qt's way: pskClient() decides
        return 1;
    }
    if (!m_asked) {
        // The one request of this handshake: the first ClientHello. TLS 1.3 has no hint.
        m_asked = true;
        QSslPreSharedKeyAuthenticator authenticator;
        AuthenticatorAccess::setMaxima(authenticator, clientMaximumIdentityLength(),
                                       maximumPreSharedKeyLength());
        const bool answered = askCallbacks(authenticator);
        if (answered) {
            // As on the TLS 1.2 path: the identity ends at an embedded NUL and at 255 bytes.
            // Copied in one step: truncate() on a shared copy would leave an unwiped one behind.
            const QByteArray identity = authenticator.identity();
            const qsizetype nul = identity.indexOf('\0');
            m_pskIdentity = detachedCopy(identity, qMin(nul < 0 ? identity.size() : nul,
                                                        qsizetype(clientMaximumIdentityLength())));
            m_pskKey = detachedCopy(authenticator.preSharedKey(), maximumPreSharedKeyLength());
        }
        qCDebug(lcQtPskEngine,
                "%p: TLS 1.3 client PSK request at ClientHello: %s, identity of %lld bytes, key "
                "of %lld bytes", static_cast<void *>(this), answered ? "answered" : "refused",
                static_cast<long long>(m_pskIdentity.size()), static_cast<long long>(m_pskKey.size()));
    }
    // SHA-256 unless no SHA-256 suite is enabled; after a HelloRetryRequest the server's hash.
    const SSL_CIPHER *cipher = nullptr;
    if (md)
        cipher = tls13CipherWithHash(m_ssl.get(), digestNid(md));
    else if (!(cipher = tls13CipherWithHash(m_ssl.get(), NID_sha256)))
        cipher = tls13CipherWithHash(m_ssl.get(), NID_sha384);
    // A TLS 1.3 identity has 1 to 65535 bytes (RFC 8446 4.2.11); OpenSSL fails the whole
    // handshake on an empty one. Offer none then: the answer still serves a TLS 1.2 server.
    SSL_SESSION *external = m_pskKey.isEmpty() || m_pskIdentity.isEmpty()
            ? nullptr
            : externalPskSession(m_pskKey, cipher);
    if (!external) {
        m_tls13ClientHelloPending = true; // pskClient() is asked next: it stays silent
        return 1;
    }
    *session = external;
    *id = reinterpret_cast<const unsigned char *>(m_pskIdentity.constData());
    *idLength = size_t(m_pskIdentity.size());
    m_externalPskOffered = true;
    return 1;
}

int TlsEngine::pskFindSession(const unsigned char *identity, size_t identityLength,
                              SSL_SESSION **session)
{
    // Unless we hand over a session, OpenSSL asks the old-style callback next: it must not show
    // this TLS 1.3 identity to the slot a second time (or at all, for a ticket).
    m_tls13IdentityPending = true;
    SSL *const ssl = m_ssl.get();
    QByteArray offeredIdentity(reinterpret_cast<const char *>(identity), qsizetype(identityLength));
    // Our copy of the identity is wiped on every way out (unless the slot kept a share of it).
    struct Wiper
    {
        QByteArray &bytes;
        ~Wiper() { wipeByteArray(bytes); }
    } const wiper{offeredIdentity};
    const auto offered = std::find_if(m_offeredIdentities.begin(), m_offeredIdentities.end(),
                                      [&](const OfferedIdentity &entry) {
                                          return entry.identity == offeredIdentity;
                                      });
    // A resumption ticket: one of our stateful tickets, or any identity with a ticket age
    // (external PSKs carry age 0). OpenSSL resumes or rejects it (resumeSession()); the slot is
    // never shown a ticket.
    if ((m_sessionStore && identityLength <= SSL_MAX_SSL_SESSION_ID_LENGTH
         && m_sessionStore->contains(identity, identityLength))
        || (offered != m_offeredIdentities.end() && offered->obfuscatedAge != 0)) {
        return 1;
    }

    // The suite is chosen before the PSK: the PSK must use its hash. A binder of another size
    // means the client's PSK has another hash; OpenSSL would fail it as a bad binder (47), so
    // it is not used (the slot is still asked, once, as Qt asks: the identity was offered).
    const SSL_CIPHER *cipher = SSL_get_pending_cipher(ssl);
    const EVP_MD *md = cipher ? SSL_CIPHER_get_handshake_digest(cipher) : nullptr;
    const bool hashMismatch = !md
            || (offered != m_offeredIdentities.end() && offered->binderLength != EVP_MD_get_size(md));

    if (!m_asked || m_pskIdentity != offeredIdentity) {
        // Once per external identity; the same identity after a HelloRetryRequest is not asked
        // about again.
        m_asked = true;
        wipe(m_pskKey);
        m_pskIdentity = detachedCopy(offeredIdentity);
        QSslPreSharedKeyAuthenticator authenticator;
        AuthenticatorAccess::setIdentityHint(authenticator, m_context->settings().identityHint);
        AuthenticatorAccess::setPeerIdentity(authenticator, offeredIdentity.isNull()
                                                                    ? QByteArray("", 0)
                                                                    : offeredIdentity);
        AuthenticatorAccess::setMaxima(authenticator, 0, maximumPreSharedKeyLength());
        const bool answered = askCallbacks(authenticator);
        if (answered)
            m_pskKey = detachedCopy(authenticator.preSharedKey(), maximumPreSharedKeyLength());
        qCDebug(lcQtPskEngine,
                "%p: TLS 1.3 server PSK request: identity of %lld bytes, hint of %lld bytes; %s, "
                "key of %lld bytes%s", static_cast<void *>(this),
                static_cast<long long>(offeredIdentity.size()),
                static_cast<long long>(m_context->settings().identityHint.size()),
                answered ? "answered" : "refused", static_cast<long long>(m_pskKey.size()),
                hashMismatch ? " (not usable: the client's PSK hash differs from the suite's)" : "");
    }
    if (m_pskKey.isEmpty() || hashMismatch)
        return 1; // not accepted: as in Qt, the handshake goes on without this PSK
    SSL_SESSION *external = externalPskSession(m_pskKey, cipher);
    if (!external)
        return 1;
    *session = external;
    m_tls13IdentityPending = false;
    m_externalPskAccepted = true;
    acceptKey(offeredIdentity, m_pskKey);
    return 1;
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

bool TlsEngine::askCallbacks(QSslPreSharedKeyAuthenticator &authenticator)
{
    return m_callbacks && m_callbacks->preSharedKeyAuthenticationRequired(&authenticator);
}

unsigned int TlsEngine::pskClient(const char *hint, char *identity, unsigned int maxIdentityLength,
                                  unsigned char *psk, unsigned int maxPskLength)
{
    const Tls13Psk tls13Psk = m_context->settings().tls13Psk;
    const bool hintSent = hint && *hint;
    const bool atClientHello = m_tls13ClientHelloPending;
    if (atClientHello) {
        // The TLS 1.3 external-PSK request at ClientHello (see pskUseSessionTrampoline).
        m_tls13ClientHelloPending = false;
        if (tls13Psk == Tls13Psk::Offer)
            return 0; // pskUseSession() already asked, and offers nothing
        if (!qEnvironmentVariableIsSet("QT_USE_TLS_1_3_PSK"))
            return 0; // offer none, ask nobody: Qt's behaviour
    } else {
        m_askedAtKeyExchange = true;
        if (tls13Psk == Tls13Psk::Offer && m_asked && !hintSent) {
            // TLS 1.2 after our TLS 1.3 request, without a hint: the answer given at ClientHello
            // stands; nobody is asked twice for the same thing.
            qCDebug(lcQtPskEngine,
                    "%p: TLS 1.2 client PSK request without a hint: the ClientHello's answer is "
                    "reused (identity of %lld bytes, key of %lld bytes)", static_cast<void *>(this),
                    static_cast<long long>(m_pskIdentity.size()),
                    static_cast<long long>(m_pskKey.size()));
            if (m_pskKey.isEmpty())
                return 0;
            const qsizetype idLength = qMin(m_pskIdentity.size(), qsizetype(maxIdentityLength) - 1);
            std::memcpy(identity, m_pskIdentity.constData(), size_t(qMax<qsizetype>(idLength, 0)));
            identity[qMax<qsizetype>(idLength, 0)] = '\0';
            const qsizetype keyLength = qMin(m_pskKey.size(), qsizetype(maxPskLength));
            std::memcpy(psk, m_pskKey.constData(), size_t(keyLength));
            return unsigned(keyLength);
        }
    }

    QSslPreSharedKeyAuthenticator authenticator;
    if (hint && *hint) // deep copy: OpenSSL's memory does not outlive the session
        AuthenticatorAccess::setIdentityHint(authenticator, QByteArray(hint));
    // Qt keeps one byte of OpenSSL's identity buffer for the terminating NUL.
    const int maxIdentity = maxIdentityLength > 0 ? int(maxIdentityLength) - 1 : 0;
    AuthenticatorAccess::setMaxima(authenticator, maxIdentity, int(maxPskLength));
    const bool answered = askCallbacks(authenticator);
    qCDebug(lcQtPskEngine,
            "%p: client PSK request (%s), hint of %lld bytes: %s, identity of %lld bytes, key of "
            "%lld bytes", static_cast<void *>(this),
            atClientHello ? "TLS 1.3 ClientHello, QT_USE_TLS_1_3_PSK" : "TLS 1.2 key exchange",
            static_cast<long long>(hint ? qstrlen(hint) : 0), answered ? "answered" : "refused",
            static_cast<long long>(authenticator.identity().size()),
            static_cast<long long>(authenticator.preSharedKey().size()));
    if (!answered)
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
    if (atClientHello)
        m_externalPskOffered = true; // Qt's opt-in: OpenSSL offers it as a SHA-256 PSK
    return unsigned(keyLength);
}

unsigned int TlsEngine::pskServer(const char *identity, unsigned char *psk, unsigned int maxPskLength)
{
    if (m_tls13IdentityPending) {
        // A TLS 1.3 identity that pskFindSession() has already dealt with.
        m_tls13IdentityPending = false;
        return 0;
    }
    const QByteArray peerIdentity(identity ? identity : "", -1); // deep; empty but not null
    if (m_asked && m_pskIdentity == peerIdentity) {
        // resumeSession() asked about this identity in this handshake: its answer stands.
        if (m_pskKey.isEmpty())
            return 0;
        const qsizetype keyLength = qMin(m_pskKey.size(), qsizetype(maxPskLength));
        std::memcpy(psk, m_pskKey.constData(), size_t(keyLength));
        acceptKey(peerIdentity, m_pskKey);
        return unsigned(keyLength);
    }
    qCDebug(lcQtPskEngine, "%p: server PSK request, identity of %lld bytes, hint of %lld bytes",
            static_cast<void *>(this), static_cast<long long>(identity ? qstrlen(identity) : 0),
            static_cast<long long>(m_context->settings().identityHint.size()));
    QSslPreSharedKeyAuthenticator authenticator;
    AuthenticatorAccess::setIdentityHint(authenticator, m_context->settings().identityHint);
    AuthenticatorAccess::setPeerIdentity(authenticator, peerIdentity);
    AuthenticatorAccess::setMaxima(authenticator, 0, int(maxPskLength));
    const bool answered = askCallbacks(authenticator);
    qCDebug(lcQtPskEngine, "%p: server PSK request %s, key of %lld bytes", static_cast<void *>(this),
            answered ? "answered" : "refused",
            static_cast<long long>(authenticator.preSharedKey().size()));
    if (!answered)
        return 0;

    const QByteArray key = authenticator.preSharedKey(); // released before the authenticator
    if (key.isEmpty())
        return 0;
    const qsizetype keyLength = qMin(key.size(), qsizetype(maxPskLength));
    std::memcpy(psk, key.constData(), size_t(keyLength));
    acceptKey(peerIdentity, key);
    return unsigned(keyLength);
}

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE
