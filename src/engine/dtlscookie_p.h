// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_DTLSCOOKIE_P_H
#define QTPSK_DTLSCOOKIE_P_H

// Internal to QtPsk: not installed, not part of the API.

#include "engine/datagrampipe_p.h"
#include "engine/opensslptr_p.h"
#include "engine/tlscontext_p.h"
#include "qtpsk_p.h"

#include <QtCore/qbytearray.h>

#include <memory>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

// What a DTLS server's cookie (the HelloVerifyRequest's) is made of: HMAC(secret, peer) with the
// digest \c digest (an OpenSSL name such as "SHA1"). \c peer names the client's address and port.
struct DtlsCookieParameters
{
    QByteArray digest = QByteArrayLiteral("SHA1");
    QByteArray secret;
    QByteArray peer;
};

// The cookie of \a parameters (at most DTLS1_COOKIE_LENGTH bytes); empty when the digest is unknown
// or the secret empty.
QByteArray dtlsCookie(const DtlsCookieParameters &parameters);
// True when OpenSSL knows \a digest as a digest that fits a cookie.
bool isUsableCookieDigest(const QByteArray &digest);
// A random secret made once per process: the default of every verifier and server (as in Qt).
QByteArray defaultCookieSecret();

// The cookie callbacks of every DTLS server context: they read the parameters attached to the
// SSL object (setCookieParameters()); an SSL object without them refuses every cookie.
void installCookieCallbacks(SSL_CTX *ctx);
// \a parameters must outlive the SSL object's use of them (null detaches).
void setCookieParameters(SSL *ssl, const DtlsCookieParameters *parameters);

// The server's stateless check of a ClientHello before any association exists (DTLSv1_listen):
// one SSL object per verifier, reused for every datagram, holding nothing between datagrams.
class DtlsCookieVerifier
{
public:
    enum class Verdict {
        Verified, // a ClientHello with a valid cookie: start a handshake with it
        ReplyQueued, // a ClientHello without a valid cookie: send reply() (a HelloVerifyRequest)
        Dropped, // not a ClientHello, or garbage
        Failed, // OpenSSL could not be set up; see errorString()
    };

    DtlsCookieVerifier();
    ~DtlsCookieVerifier();
    DtlsCookieVerifier(const DtlsCookieVerifier &) = delete;
    DtlsCookieVerifier &operator=(const DtlsCookieVerifier &) = delete;

    Verdict verify(const QByteArray &datagram, const DtlsCookieParameters &parameters);
    // The HelloVerifyRequest of the last ReplyQueued verdict.
    QByteArray reply() const { return m_reply; }
    QString errorString() const { return m_errorString; }

private:
    bool setUp();

    std::shared_ptr<TlsContext> m_context;
    DatagramPipe m_pipe;
    SslPtr m_ssl; // after m_pipe: its BIO points into the pipe
    BioAddrPtr m_client;
    QByteArray m_reply;
    QString m_errorString;
};

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE

#endif // QTPSK_DTLSCOOKIE_P_H
