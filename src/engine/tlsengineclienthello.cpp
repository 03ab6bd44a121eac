// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// TlsEngine: the server's look at each ClientHello, before OpenSSL negotiates anything.
#include "engine/tlsengine_p.h"

#include "qtpsklogging_p.h"

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

namespace {

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

// The TLS extension types the server reads in a ClientHello.
constexpr unsigned int kPreSharedKeyExtension = 41; // pre_shared_key
constexpr unsigned int kSupportedVersionsExtension = 43; // supported_versions

} // namespace

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
// extension. Nothing is recorded when it is absent or malformed (OpenSSL then
// rejects a malformed one itself).
void TlsEngine::clientHello()
{
    forgetOfferedIdentities();
    const unsigned char *data = nullptr;
    size_t size = 0;
    const bool offersPsk = SSL_client_hello_get0_ext(m_ssl.get(), kPreSharedKeyExtension, &data, &size);
    const bool first = m_serverPsk == ServerPskStage::Start; // not the one after a HelloRetryRequest
    advance(ServerPskEvent::ClientHello);
    if (first && !offersPsk)
        preferTls12WithoutTls13Psk();
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
// negotiated: the server then is a TLS 1.2 server for it, so TLS 1.3's downgrade sentinel is not
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

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE
