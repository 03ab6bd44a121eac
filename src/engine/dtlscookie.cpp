// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// DTLS cookies: how a server makes and checks them, and the stateless check of a ClientHello
// before any association exists.
#include "engine/dtlscookie_p.h"

#include "qtpsklogging_p.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

namespace {

int cookieExDataIndex()
{
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

const DtlsCookieParameters *parametersOf(SSL *ssl)
{
    const int index = cookieExDataIndex();
    return index < 0 ? nullptr : static_cast<const DtlsCookieParameters *>(SSL_get_ex_data(ssl, index));
}

int generateTrampoline(SSL *ssl, unsigned char *cookie, unsigned int *length)
{
    *length = 0;
    const DtlsCookieParameters *parameters = parametersOf(ssl);
    if (!parameters)
        return 0;
    try {
        const QByteArray made = dtlsCookie(*parameters);
        if (made.isEmpty() || made.size() > DTLS1_COOKIE_LENGTH)
            return 0;
        std::memcpy(cookie, made.constData(), size_t(made.size()));
        *length = unsigned(made.size());
        return 1;
    } catch (...) {
        return 0; // no cookie: OpenSSL drops the ClientHello
    }
}

int verifyTrampoline(SSL *ssl, const unsigned char *cookie, unsigned int length)
{
    const DtlsCookieParameters *parameters = parametersOf(ssl);
    if (!parameters)
        return 0;
    try {
        const QByteArray expected = dtlsCookie(*parameters);
        return !expected.isEmpty() && unsigned(expected.size()) == length
                && CRYPTO_memcmp(expected.constData(), cookie, length) == 0;
    } catch (...) {
        return 0;
    }
}

} // namespace

QByteArray dtlsCookie(const DtlsCookieParameters &parameters)
{
    if (parameters.secret.isEmpty() || !isUsableCookieDigest(parameters.digest))
        return QByteArray();
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t macLength = 0;
    const unsigned char *made = EVP_Q_mac(
            nullptr, "HMAC", nullptr, parameters.digest.constData(), nullptr,
            parameters.secret.constData(), size_t(parameters.secret.size()),
            reinterpret_cast<const unsigned char *>(parameters.peer.constData()),
            size_t(parameters.peer.size()), mac, sizeof(mac), &macLength);
    ERR_clear_error();
    if (!made)
        return QByteArray();
    return QByteArray(reinterpret_cast<const char *>(mac), qsizetype(macLength));
}

bool isUsableCookieDigest(const QByteArray &digest)
{
    if (digest.isEmpty())
        return false;
    EVP_MD *const md = EVP_MD_fetch(nullptr, digest.constData(), nullptr);
    ERR_clear_error();
    if (!md)
        return false;
    const int size = EVP_MD_get_size(md);
    // HMAC needs a block digest; extendable-output functions (SHAKE) have no fixed size.
    const bool usable = size > 0 && size <= DTLS1_COOKIE_LENGTH
            && !(EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF);
    EVP_MD_free(md);
    return usable;
}

QByteArray defaultCookieSecret()
{
    static const QByteArray secret = [] {
        QByteArray bytes(32, Qt::Uninitialized);
        if (RAND_bytes(reinterpret_cast<unsigned char *>(bytes.data()), int(bytes.size())) != 1)
            bytes.clear(); // no cookie can be made: the server then drops every ClientHello
        ERR_clear_error();
        return bytes;
    }();
    return secret;
}

void installCookieCallbacks(SSL_CTX *ctx)
{
    SSL_CTX_set_cookie_generate_cb(ctx, &generateTrampoline);
    SSL_CTX_set_cookie_verify_cb(ctx, &verifyTrampoline);
}

void setCookieParameters(SSL *ssl, const DtlsCookieParameters *parameters)
{
    const int index = cookieExDataIndex();
    if (index >= 0)
        SSL_set_ex_data(ssl, index, const_cast<DtlsCookieParameters *>(parameters));
}

// --- DtlsCookieVerifier -----------------------------------------------------------------------

DtlsCookieVerifier::DtlsCookieVerifier() = default;

DtlsCookieVerifier::~DtlsCookieVerifier() = default;

bool DtlsCookieVerifier::setUp()
{
    if (m_ssl)
        return true;
    TlsSettings settings;
    settings.server = true;
    settings.datagram = true;
    m_context = TlsContext::get(settings, &m_errorString);
    if (!m_context)
        return false;
    ERR_clear_error();
    SslPtr ssl(SSL_new(m_context->handle()));
    BIO *const bio = ssl ? m_pipe.newBio() : nullptr;
    if (!m_client)
        m_client.reset(BIO_ADDR_new());
    if (!ssl || !bio || !m_client) {
        BIO_free(bio);
        ERR_clear_error();
        m_errorString = QStringLiteral("Error creating SSL session");
        return false;
    }
    SSL_set_bio(ssl.get(), bio, bio);
    SSL_set_options(ssl.get(), SSL_OP_COOKIE_EXCHANGE);
    m_ssl = std::move(ssl);
    return true;
}

DtlsCookieVerifier::Verdict DtlsCookieVerifier::verify(const QByteArray &datagram,
                                                       const DtlsCookieParameters &parameters)
{
    m_reply.clear();
    if (!setUp())
        return Verdict::Failed;
    SSL *const ssl = m_ssl.get();
    m_pipe.put(datagram);
    setCookieParameters(ssl, &parameters);
    ERR_clear_error();
    const int listened = DTLSv1_listen(ssl, m_client.get());
    setCookieParameters(ssl, nullptr);
    ERR_clear_error();
    m_pipe.dropInput();
    std::vector<QByteArray> written = m_pipe.takeOutput();
    // Nothing of this datagram stays behind: the next one meets a fresh SSL object.
    SSL_clear(ssl);
    ERR_clear_error();
    if (listened > 0)
        return Verdict::Verified;
    if (listened < 0) {
        qCDebug(lcQtPskEngine, "DTLS cookie check: a datagram OpenSSL could not parse was dropped");
        return Verdict::Dropped;
    }
    if (written.empty())
        return Verdict::Dropped;
    m_reply = written.front();
    return Verdict::ReplyQueued;
}

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE
