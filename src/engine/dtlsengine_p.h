// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_DTLSENGINE_P_H
#define QTPSK_DTLSENGINE_P_H

// Internal to QtPsk: not installed, not part of the API.

#include "engine/datagrampipe_p.h"
#include "engine/dtlscookie_p.h"
#include "engine/tlsengine_p.h"
#include "qtpsk_p.h"

#include <QtCore/qbytearray.h>

#include <chrono>
#include <memory>
#include <vector>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

// One DTLS 1.2 association, without I/O: datagrams go in one at a time, and each record OpenSSL
// sends comes out as one datagram (takeDatagrams()), fragmented to the MTU. Made on a datagram
// context (TlsSettings::datagram); the PSK requests, alerts, exceptions and connection details
// are the TlsEngine's (tls()), whose contract holds here too. OpenSSL's retransmission timer is
// exposed as a deadline (timeUntilRetransmission()) that the owner arms; when it passes, the
// owner calls handleTimeout().
class DtlsEngine
{
public:
    using Result = TlsEngine::Result;

    DtlsEngine(std::shared_ptr<TlsContext> context, TlsEngineCallbacks *callbacks);
    ~DtlsEngine();
    DtlsEngine(const DtlsEngine &) = delete;
    DtlsEngine &operator=(const DtlsEngine &) = delete;

    // The context's DTLS set-up, from TlsContext::create().
    static void configureContext(SSL_CTX *ctx, const TlsSettings &settings);

    // --- Before the first handshake() ---
    // The largest IP packet the link carries: OpenSSL's datagrams are at most this less the IP and
    // UDP headers (setHeaderOverhead()). Values below OpenSSL's minimum (256) are refused: false
    // then, and the default stays (DefaultLinkMtu).
    bool setLinkMtu(int linkMtu);
    static constexpr int DefaultLinkMtu = 1200; // a size every IPv6 path carries
    // Bytes of IP and UDP header per datagram: 28 (IPv4, the default) or 48 (IPv6).
    void setHeaderOverhead(int bytes) { m_pipe.setHeaderOverhead(bytes); }
    // Server: what cookies are made of; with \a verify, a ClientHello without a valid cookie gets
    // a HelloVerifyRequest (SSL_OP_COOKIE_EXCHANGE). The parameters are copied.
    void setCookieParameters(const DtlsCookieParameters &parameters, bool verify);
    // The first retransmission comes this long after a flight went out; each later one doubles
    // it, up to 60 s (OpenSSL's own schedule starts at 1 s, the default).
    void setInitialTimeout(std::chrono::microseconds timeout) { m_initialTimeout = timeout; }
    // After this many retransmissions of the final flight (the one sent after the PSK was used)
    // the next time-out fails the handshake (retransmissionLimitReached()); 0: no limit but
    // OpenSSL's own (12 time-outs in all).
    void setFinalFlightRetransmissionLimit(int limit) { m_finalFlightLimit = limit; }

    // --- Datagrams in ---
    // Drives the handshake with \a datagram (none: a client's first flight, or no new input).
    Result handshake(const QByteArray &datagram = QByteArray());
    // Decrypts the application data of \a datagram into *plaintext (every record it holds, in
    // order). WantInput: nothing for the application (a duplicate, a record with a bad MAC, a
    // retransmitted handshake message OpenSSL answered); Closed: the peer's close_notify.
    Result decrypt(const QByteArray &datagram, QByteArray *plaintext);
    // Encrypts \a plaintext as one record, one datagram out. Failed (without failing the
    // association, see isFailed()) when it does not fit into one record.
    Result encrypt(const QByteArray &plaintext);
    // Sends close_notify (once, after the handshake).
    void shutdown() { m_tls.shutdown(); }

    // --- Datagrams out, and the retransmission timer ---
    bool hasDatagrams() const { return m_pipe.hasOutput(); }
    std::vector<QByteArray> takeDatagrams() { return m_pipe.takeOutput(); }
    // How long until OpenSSL retransmits its last flight (zero: due now); negative when no
    // timer runs (no handshake, it is complete, or it waits for a deferred PSK answer).
    std::chrono::milliseconds timeUntilRetransmission() const;
    // Retransmits the last flight if its time has come. Ok: retransmitted (or nothing was due);
    // Failed: the association failed (OpenSSL's limit, or retransmissionLimitReached()).
    Result handleTimeout();
    // The handshake failed because the final flight was retransmitted the allowed number of times
    // without an answer: a peer with another key (or that does not know the identity) drops the
    // records it cannot authenticate, so the handshake would never finish.
    bool retransmissionLimitReached() const { return m_limitReached; }
    int finalFlightRetransmissions() const { return m_finalRetransmissions; }

    // A server with cookie verification whose ClientHello with a valid cookie has not come yet.
    bool awaitsCookie() const { return m_verifyCookies && !m_listened; }
    // The negotiated suite (null before the handshake).
    const SSL_CIPHER *cipher() const { return ssl() ? SSL_get_current_cipher(ssl()) : nullptr; }

    bool isHandshakeComplete() const { return m_tls.isHandshakeComplete(); }
    bool isFailed() const { return m_tls.isFailed(); }
    QString errorString() const { return m_tls.errorString(); }
    // The TLS engine underneath: PSK requests, alerts, the exception, the cipher and protocol.
    TlsEngine &tls() { return m_tls; }
    const TlsEngine &tls() const { return m_tls; }

private:
    static int exDataIndex();
    static unsigned int timerTrampoline(SSL *ssl, unsigned int previousMicroseconds);
    bool isInFinalFlight() const;
    void applyMtu();
    SSL *ssl() const { return m_tls.m_ssl.get(); }

    DatagramPipe m_pipe; // before m_tls: the SSL object's BIO points into it
    DtlsCookieParameters m_cookie;
    TlsEngine m_tls;
    std::chrono::microseconds m_initialTimeout = std::chrono::seconds(1);
    int m_finalFlightLimit = 4;
    int m_finalRetransmissions = 0;
    bool m_limitReached = false;
    int m_linkMtu = DefaultLinkMtu;
    bool m_verifyCookies = false;
    bool m_listened = false; // the ClientHello with a valid cookie came (with m_verifyCookies)
    BioAddrPtr m_client; // DTLSv1_listen's (unused) peer address
    bool m_mtuApplied = false;
};

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE

#endif // QTPSK_DTLSENGINE_P_H
