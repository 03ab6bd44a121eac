// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "hostilepeer.h"

#include <QtCore/qdeadlinetimer.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <cstring>

namespace FaultsTest {

QByteArray goodIdentity()
{
    return QByteArrayLiteral("faults-client");
}

QByteArray goodKey()
{
    return QByteArray::fromHex("0f1e2d3c4b5a69788796a5b4c3d2e1f0");
}

QByteArray goodHint()
{
    return QByteArrayLiteral("faults-hint");
}

// --- Hand-built TLS messages ------------------------------------------------------------------

namespace {

int remaining(const QDeadlineTimer &deadline)
{
    return int(qMax<qint64>(0, deadline.remainingTime()));
}

void appendNumber(QByteArray *out, quint32 value, int bytes)
{
    for (int i = bytes - 1; i >= 0; --i)
        out->append(char((value >> (8 * i)) & 0xff));
}

QByteArray randomBytes(int size)
{
    QByteArray bytes(size, '\0');
    RAND_bytes(reinterpret_cast<unsigned char *>(bytes.data()), size);
    return bytes;
}

QByteArray extension(quint16 type, const QByteArray &data)
{
    QByteArray out;
    appendNumber(&out, type, 2);
    appendNumber(&out, quint32(data.size()), 2);
    return out + data;
}

} // namespace

QByteArray tlsRecords(quint8 contentType, const QByteArray &payload, quint16 version)
{
    QByteArray out;
    for (qsizetype offset = 0; offset < payload.size(); offset += 16384) {
        const QByteArray fragment = payload.mid(offset, 16384);
        out.append(char(contentType));
        appendNumber(&out, version, 2);
        appendNumber(&out, quint32(fragment.size()), 2);
        out.append(fragment);
    }
    return out;
}

QByteArray handshakeMessage(quint8 type, const QByteArray &body)
{
    QByteArray out(1, char(type));
    appendNumber(&out, quint32(body.size()), 3);
    return out + body;
}

QByteArray tls12PskServerFlight(quint16 cipherSuite, const QByteArray &hint)
{
    QByteArray hello;
    appendNumber(&hello, 0x0303, 2);
    hello.append(randomBytes(24)); // random; the last 8 bytes are no downgrade sentinel
    hello.append(QByteArray(8, '\x11'));
    hello.append('\0'); // no session id
    appendNumber(&hello, cipherSuite, 2);
    hello.append('\0'); // no compression
    const QByteArray extensions = extension(0xff01, QByteArray(1, '\0')); // renegotiation_info
    appendNumber(&hello, quint32(extensions.size()), 2);
    hello.append(extensions);

    QByteArray keyExchange;
    appendNumber(&keyExchange, quint32(hint.size()), 2);
    keyExchange.append(hint);

    const QByteArray flight = handshakeMessage(2, hello) + handshakeMessage(12, keyExchange)
            + handshakeMessage(14, QByteArray());
    return tlsRecords(22, flight);
}

QByteArray tls13ClientHelloWithIdentities(const QList<QByteArray> &identities)
{
    QByteArray hello;
    appendNumber(&hello, 0x0303, 2);
    hello.append(randomBytes(32));
    hello.append(char(32));
    hello.append(randomBytes(32)); // legacy session id
    appendNumber(&hello, 2, 2);
    appendNumber(&hello, 0x1301, 2); // TLS_AES_128_GCM_SHA256
    hello.append('\x01');
    hello.append('\0');

    QByteArray extensions;
    extensions += extension(43, QByteArray::fromHex("020304")); // supported_versions: TLS 1.3
    extensions += extension(10, QByteArray::fromHex("0002001d")); // supported_groups: x25519
    extensions += extension(13, QByteArray::fromHex("000408040403")); // signature_algorithms
    QByteArray share = QByteArray::fromHex("001d0020") + randomBytes(32);
    QByteArray shares;
    appendNumber(&shares, quint32(share.size()), 2);
    extensions += extension(51, shares + share); // key_share
    extensions += extension(45, QByteArray::fromHex("0101")); // psk_key_exchange_modes: psk_dhe_ke

    QByteArray identityList;
    QByteArray binderList;
    for (const QByteArray &identity : identities) {
        appendNumber(&identityList, quint32(identity.size()), 2);
        identityList.append(identity);
        appendNumber(&identityList, 0, 4); // obfuscated_ticket_age: 0, as for external PSKs
        binderList.append(char(32));
        binderList.append(randomBytes(32));
    }
    QByteArray psk;
    appendNumber(&psk, quint32(identityList.size()), 2);
    psk += identityList;
    appendNumber(&psk, quint32(binderList.size()), 2);
    psk += binderList;
    extensions += extension(41, psk); // pre_shared_key: always the last extension

    appendNumber(&hello, quint32(extensions.size()), 2);
    hello.append(extensions);
    return tlsRecords(22, handshakeMessage(1, hello), 0x0301);
}

// --- PeerThread, HostileServer, HostileClient -----------------------------------------------

// --- TlsPeer ----------------------------------------------------------------------------------

namespace {

unsigned int pskServerCallback(SSL *, const char *identity, unsigned char *psk, unsigned int maxPsk)
{
    const QByteArray key = goodKey();
    if (!identity || goodIdentity() != identity || unsigned(key.size()) > maxPsk)
        return 0;
    std::memcpy(psk, key.constData(), size_t(key.size()));
    return unsigned(key.size());
}

unsigned int pskClientCallback(SSL *, const char *, char *identity, unsigned int maxIdentity,
                               unsigned char *psk, unsigned int maxPsk)
{
    const QByteArray id = goodIdentity();
    const QByteArray key = goodKey();
    if (unsigned(id.size()) + 1 > maxIdentity || unsigned(key.size()) > maxPsk)
        return 0;
    std::memcpy(identity, id.constData(), size_t(id.size()) + 1);
    std::memcpy(psk, key.constData(), size_t(key.size()));
    return unsigned(key.size());
}

} // namespace

TlsPeer::TlsPeer(bool server)
{
    m_ctx.reset(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
    if (!m_ctx)
        return;
    SSL_CTX *const ctx = m_ctx.get();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(ctx, "PSK-AES128-GCM-SHA256");
    if (server) {
        SSL_CTX_set_psk_server_callback(ctx, &pskServerCallback);
        SSL_CTX_use_psk_identity_hint(ctx, goodHint().constData());
    } else {
        SSL_CTX_set_psk_client_callback(ctx, &pskClientCallback);
    }
    std::unique_ptr<SSL, void (*)(SSL *)> ssl(SSL_new(ctx), &SSL_free);
    std::unique_ptr<BIO, int (*)(BIO *)> in(BIO_new(BIO_s_mem()), &BIO_free);
    std::unique_ptr<BIO, int (*)(BIO *)> out(BIO_new(BIO_s_mem()), &BIO_free);
    if (!ssl || !in || !out)
        return;
    BIO_set_mem_eof_return(in.get(), -1);
    m_in = in.get();
    m_out = out.get();
    SSL_set_bio(ssl.get(), in.release(), out.release());
    if (server)
        SSL_set_accept_state(ssl.get());
    else
        SSL_set_connect_state(ssl.get());
    m_ssl = std::move(ssl);
}

TlsPeer::~TlsPeer() = default;

QByteArray TlsPeer::takeOutput()
{
    QByteArray out;
    char buffer[16 * 1024];
    int n;
    while ((n = BIO_read(m_out, buffer, sizeof buffer)) > 0)
        out.append(buffer, n);
    return out;
}

bool TlsPeer::handshake(int fd, int timeoutMs, qsizetype chunk)
{
    if (!m_ssl)
        return false;
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        ERR_clear_error();
        const int ret = SSL_do_handshake(m_ssl.get());
        if (!writeAll(fd, takeOutput(), chunk))
            return false;
        if (ret == 1)
            return true;
        if (SSL_get_error(m_ssl.get(), ret) != SSL_ERROR_WANT_READ || deadline.hasExpired())
            return false;
        const QByteArray input = readSome(fd, remaining(deadline));
        if (input.isEmpty())
            return false;
        BIO_write(m_in, input.constData(), int(input.size()));
    }
}

QByteArray TlsPeer::clientHello()
{
    if (!m_ssl)
        return QByteArray();
    ERR_clear_error();
    SSL_do_handshake(m_ssl.get());
    return takeOutput();
}

QByteArray TlsPeer::encrypt(const QByteArray &plaintext)
{
    size_t written = 0;
    if (!m_ssl || SSL_write_ex(m_ssl.get(), plaintext.constData(), size_t(plaintext.size()), &written) != 1)
        return QByteArray();
    return takeOutput();
}

QByteArray TlsPeer::readPlaintext(int fd, qsizetype size, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    QByteArray plaintext;
    while (m_ssl && plaintext.size() < size) {
        char buffer[16 * 1024];
        size_t got = 0;
        if (SSL_read_ex(m_ssl.get(), buffer, sizeof buffer, &got) == 1) {
            plaintext.append(buffer, qsizetype(got));
            continue;
        }
        if (deadline.hasExpired())
            break;
        const QByteArray input = readSome(fd, remaining(deadline));
        if (input.isEmpty())
            break;
        BIO_write(m_in, input.constData(), int(input.size()));
    }
    return plaintext;
}

} // namespace FaultsTest
