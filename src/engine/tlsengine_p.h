// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_TLSENGINE_P_H
#define QTPSK_TLSENGINE_P_H

// Internal to QtPsk: not installed, not part of the API.

#include "engine/opensslptr_p.h"
#include "engine/tlscontext_p.h"
#include "qtpsk_p.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qstring.h>

#include <exception>
#include <memory>
#include <utility>
#include <vector>

QTPSK_BEGIN_NAMESPACE

class QSslPreSharedKeyAuthenticator;

namespace QtPskPrivate {

class DtlsEngine;
class TlsSessionStore;

// What an engine asks of its owner (the socket), synchronously, from inside an engine call.
class TlsEngineCallbacks
{
public:
    virtual ~TlsEngineCallbacks();

    // OpenSSL needs PSK credentials. \a authenticator is filled in (hint, peer identity, maxima),
    // lives on the engine's stack and dies when this returns: use it only inside the call.
    // Return false when the owner is being aborted: the handshake then fails (no key is given).
    // Otherwise the identity (client) and key set on \a authenticator are used; an empty key
    // also fails the handshake. The owner must not destroy the engine from inside this call.
    //
    // The owner may instead defer its answer: it calls deferAnswer() on \a authenticator and
    // returns true. The engine call then returns WantInput with isPskAnswerPending() true; the
    // owner later gives the answer with TlsEngine::answerPsk() or refusePsk() and calls
    // handshake() again. What the owner set on \a authenticator is then ignored. The request is
    // asked outside OpenSSL's frames (see TlsEngine), so this call never runs on the small stack
    // of an OpenSSL async job.
    virtual bool preSharedKeyAuthenticationRequired(QSslPreSharedKeyAuthenticator *authenticator) = 0;
};

// A TLS alert that went over the wire, in either direction.
struct TlsAlert
{
    bool sent = false; // true: we sent it; false: the peer sent it
    int level = 0; // as on the wire: SSL3_AL_WARNING (1) or SSL3_AL_FATAL (2)
    int type = 0; // the alert description code, e.g. 40 handshake_failure, 0 close_notify
    QString text; // OpenSSL's long description, e.g. "handshake failure"
};

// One TLS connection, without I/O: ciphertext goes in through feed() and comes out through
// takeOutput(); the owner moves it to and from the transport. Knows nothing of QObject or sockets.
//
// Contract with the owner:
// - Single-threaded: one engine is used by one thread at a time.
// - The engine must never be destroyed while one of its own calls runs (that is, from inside
//   TlsEngineCallbacks::preSharedKeyAuthenticationRequired). An owner that wants to abort from
//   there returns false and destroys the engine after the engine call has returned.
// - After any call, the owner should flush pendingOutput() to the transport, even after Failed:
//   a fatal alert is then waiting there, and takeAlerts() reports it.
// - Once a call returned Failed, every later handshake()/read()/write() returns Failed without
//   touching OpenSSL; shutdown() and the destructor are always safe.
class TlsEngine
{
public:
    enum class Result {
        Ok, // handshake(): complete; read()/write(): *got / *consumed bytes were moved
        WantInput, // nothing more to do until more ciphertext is fed
        Closed, // the peer sent close_notify: no more application data will arrive
        // The connection failed; see errorString(). If the transport ended without close_notify
        // (after feedEndOfStream()), isTruncated() is true as well; that outcome queues no alert
        // and no output (Qt reports it as "remote host closed").
        Failed,
    };

    // \a context must not be null. \a callbacks may be null (every PSK request then fails) and
    // must outlive the engine.
    TlsEngine(std::shared_ptr<TlsContext> context, TlsEngineCallbacks *callbacks);
    ~TlsEngine();
    TlsEngine(const TlsEngine &) = delete;
    TlsEngine &operator=(const TlsEngine &) = delete;

    // Ciphertext from the network, and the end of the transport's stream.
    void feed(const char *data, qsizetype size);
    void feedEndOfStream();
    // Fed ciphertext not yet processed.
    qsizetype pendingInput() const;
    // Fed ciphertext not yet processed, or decrypted bytes a short read() left inside OpenSSL: a
    // read() may return more without anything new being fed.
    bool hasPendingInput() const;

    // Ciphertext for the network.
    qsizetype pendingOutput() const;
    qsizetype takeOutput(char *buffer, qsizetype maxSize);
    QByteArray takeOutput();

    // Drives the handshake as far as the fed input allows.
    Result handshake();
    // Decrypts up to \a maxSize bytes into \a out; *got is the number written (0 unless Ok).
    Result read(char *out, qsizetype maxSize, qsizetype *got);
    // Encrypts \a data into the pending output; *consumed is the number taken (0 unless Ok).
    Result write(const char *data, qsizetype size, qsizetype *consumed);
    // Queues close_notify (once), unless the connection failed or the handshake is not done.
    void shutdown();

    bool isHandshakeComplete() const { return m_handshakeComplete; }
    bool isFailed() const { return m_failed; }
    bool isTruncated() const { return m_truncated; }
    QString errorString() const { return m_errorString; }

    // --- A PSK request whose answer the owner deferred (tlsenginepause.cpp) ---
    //
    // OpenSSL asks for a PSK from inside its handshake, in a callback that must return the key.
    // The engine runs each handshake() as an OpenSSL async job (SSL_MODE_ASYNC): the callback
    // pauses the job (ASYNC_pause_job()), SSL_do_handshake() returns, and the engine asks its
    // owner from call(), on the owner's own stack. An answer given there resumes the job at once;
    // a deferred one leaves the job paused until answerPsk() or refusePsk(), after which the next
    // handshake() resumes it. While paused, read() and write() return WantInput without touching
    // OpenSSL; fed input waits in the input BIO. Without async support (isDeferralSupported()
    // false) the owner is asked inside the callback, as before, and a deferral is a refusal.
    //
    // True while a deferred request waits for answerPsk() or refusePsk().
    bool isPskAnswerPending() const { return m_pskPause == PskPause::Deferred; }
    // Answers the deferred request as a slot would: \a identity (ignored by a server) and \a key,
    // cut as a synchronous answer is. Returns false if no request is pending (nothing changes).
    // The owner calls handshake() next.
    bool answerPsk(const QByteArray &identity, const QByteArray &key);
    // Refuses the deferred request (no key: the handshake fails as with an empty key). Returns
    // false if no request is pending.
    bool refusePsk();
    // Whether this OpenSSL runs async jobs (ASYNC_is_capable()): deferral works only then.
    static bool isDeferralSupported();

    // Valid after the handshake (0 / empty before).
    int protocolVersion() const; // SSL_version(), e.g. TLS1_2_VERSION
    QByteArray cipherName() const; // OpenSSL's name, e.g. "PSK-AES256-CBC-SHA"
    bool peerSentCertificate() const;
    // True once the handshake resumed a session (a ticket or a TLS 1.2 session ID) instead of
    // authenticating afresh.
    bool isSessionReused() const;

    // Why a failed handshake failed, beyond OpenSSL's words (TLS 1.3 and PSK pitfalls).
    enum class Diagnosis {
        None,
        // Client: TLS 1.3 was possible, no external PSK was offered (Tls13Psk::QtCompatible, or
        // an empty key at ClientHello) and the server refused with
        // handshake_failure, which is what a PSK-only server does.
        ClientOfferedNoTls13Psk,
        // Server: TLS 1.3 was negotiated and no external PSK was accepted (none offered, an
        // empty key from the slot, or a PSK whose hash does not match the negotiated suite),
        // and there is no certificate to fall back to.
        ServerAcceptedNoTls13Psk,
    };
    Diagnosis diagnosis() const { return m_diagnosis; }
    // Client: the handshake failed because the server refused the ClientHello itself
    // (ClientOfferedNoTls13Psk, before any ServerHello): the same server may accept a ClientHello
    // that offers a TLS 1.3 PSK.
    bool isRefusedWithoutTls13Psk() const;

    // The session for resumption (after the handshake; for TLS 1.3 the newest ticket read so
    // far), and a session to resume on a client before its first handshake().
    SslSessionPtr session() const;
    bool setSession(SSL_SESSION *session);
    // The session in DER form (i2d_SSL_SESSION), for QSslConfiguration::sessionTicket(); empty
    // without one. The lifetime hint of its ticket in seconds (0 without one).
    QByteArray sessionAsn1() const;
    int sessionTicketLifetimeHint() const;
    // A client: how many TLS 1.3 tickets (NewSessionTicket messages) arrived since the last call.
    int takeNewSessionTickets() { return std::exchange(m_newTickets, 0); }
    // A server: where its sessions are kept for resumption (the server object's store; see
    // TlsSettings::sessionResumption). Without one no session resumes. Before the first handshake().
    void setSessionStore(std::shared_ptr<TlsSessionStore> store) { m_sessionStore = std::move(store); }

    bool isServer() const;
    // SNI for a client; ignored for servers, empty names and IP address literals. Call it
    // before the first handshake().
    void setHostName(const QByteArray &hostName);

    // Every alert sent and received since the last call, oldest first.
    std::vector<TlsAlert> takeAlerts();

    const std::shared_ptr<TlsContext> &context() const { return m_context; }

    // Exceptions never cross OpenSSL's C frames: a trampoline that catches one (from a slot the
    // owner's callback ran) keeps the first here, fails its callback, and the engine call then
    // returns Failed. The owner takes it once the call has returned and rethrows it.
    bool hasPendingException() const { return bool(m_exception); }
    std::exception_ptr takeException() { return std::exchange(m_exception, nullptr); }
    // Stops every later callback into the owner (the owner is being destroyed while an engine
    // call is on the stack; the engine itself dies after that call returns).
    void clearCallbacks() { m_callbacks = nullptr; }

    // OpenSSL's long description of the alert \a type, e.g. "close notify" for 0.
    static QString alertDescription(int type);

    // The identity and key limits of this OpenSSL, as Qt reports them to a client.
    static int clientMaximumIdentityLength() { return PSK_MAX_IDENTITY_LEN - 1; }
    static int maximumPreSharedKeyLength() { return PSK_MAX_PSK_LEN; }

private:
    friend class TlsContext;
    friend class DtlsEngine; // the datagram mode: its own BIO and OpenSSL's DTLS calls
    static void installCallbacks(SSL_CTX *ctx, bool server);
    static int exDataIndex();
    static TlsEngine *fromSsl(const SSL *ssl);
    static void keepException(TlsEngine *engine);

    // The OpenSSL C callbacks (installed on the SSL_CTX) and the members they forward to.
    // tlsenginepsk.cpp: the PSK requests.
    static unsigned int pskClientTrampoline(SSL *ssl, const char *hint, char *identity,
                                            unsigned int maxIdentityLength, unsigned char *psk,
                                            unsigned int maxPskLength);
    static unsigned int pskServerTrampoline(SSL *ssl, const char *identity, unsigned char *psk,
                                            unsigned int maxPskLength);
    static int pskUseSessionTrampoline(SSL *ssl, const EVP_MD *md, const unsigned char **id,
                                       size_t *idLength, SSL_SESSION **session);
    static int pskFindSessionTrampoline(SSL *ssl, const unsigned char *identity,
                                        size_t identityLength, SSL_SESSION **session);
    unsigned int pskClient(const char *hint, char *identity, unsigned int maxIdentityLength,
                           unsigned char *psk, unsigned int maxPskLength);
    unsigned int pskServer(const char *identity, unsigned char *psk, unsigned int maxPskLength);
    int pskUseSession(const EVP_MD *md, const unsigned char **id, size_t *idLength,
                      SSL_SESSION **session);
    int pskFindSession(const unsigned char *identity, size_t identityLength, SSL_SESSION **session);
    // Server: asks the slot about \a identity and keeps its answer (maxima 0 and 512).
    bool askServerSlot(const QByteArray &identity);
    enum class Call { Handshake, Read, Write };
    // Asks the owner about \a authenticator: from inside an async job by pausing it (call()
    // asks and resumes it), otherwise at once. True if a key may be taken from it.
    bool askCallbacks(QSslPreSharedKeyAuthenticator &authenticator);
    // tlsenginepause.cpp: the paused request.
    enum class PskPause {
        None, // no request is paused
        Asking, // the job paused for a request: call() asks the owner next
        Deferred, // the owner deferred its answer: answerPsk() or refusePsk() come later
        Answered, // the answer is on the request: the job takes it when resumed
        Refused, // no key: the job fails the request when resumed
    };
    // The owner's decision on \a authenticator, asked on the current stack (exceptions kept).
    PskPause askOwner(QSslPreSharedKeyAuthenticator &authenticator);
    // call(): runs \a what, and whenever the job pauses for a request, asks the owner and
    // resumes the job, until it ends or the owner defers. Returns OpenSSL's result.
    int runAsync(Call what, void *buffer, qsizetype size, size_t *moved);
    // The destructor: a paused job is resumed with a refusal so that it ends before SSL_free().
    void endPausedJob();
    // tlsengineclienthello.cpp: the server's look at each ClientHello.
    static int clientHelloTrampoline(SSL *ssl, int *alert, void *arg);
    void clientHello();
    void preferTls12WithoutTls13Psk();
    // tlsenginesession.cpp: sessions and their resumption.
    static int newSessionTrampoline(SSL *ssl, SSL_SESSION *session);
    static SSL_SESSION *getSessionTrampoline(SSL *ssl, const unsigned char *id, int idLength,
                                             int *copy);
    int newSession(SSL_SESSION *session);
    SSL_SESSION *resumeSession(const unsigned char *id, size_t idLength);
    void acceptKey(const QByteArray &identity, const QByteArray &key);
    void handshakeDone();
    // tlsengine.cpp: alerts and the end of the handshake.
    static void infoTrampoline(const SSL *ssl, int where, int value);
    // Wipes the PSK answer and the offered identities (the handshake is over).
    void forgetCredentials();
    void forgetOfferedIdentities();
    void diagnoseHandshakeFailure();

    Result call(Call what, void *buffer, qsizetype size, qsizetype *done);
    void fail(const QString &fallback);
    void dropOutputAfter(qsizetype keep);

    // --- The PSK state of one handshake (tlsenginepsk.cpp) ---
    //
    // OpenSSL asks for PSKs through two callbacks per side: the TLS 1.3 one (client: while it
    // builds each ClientHello; server: for each identity a ClientHello offers) and the old-style
    // one, which it calls right after the TLS 1.3 one whenever that one gave no session, and
    // which it also calls for the TLS 1.2 key exchange. Each side's stage records where the
    // handshake is, so that the old-style callback knows which of those requests it serves, and
    // what went out, for the diagnosis of a failure. advance() is the only place that changes it.
    enum class ClientPskStage {
        Start, // no ClientHello built yet
        // A ClientHello without an external PSK is being built: the old-style callback OpenSSL
        // calls next belongs to it.
        BuildingHello,
        HelloSent, // every ClientHello so far went out without an external PSK
        // As BuildingHello, after an earlier ClientHello of this handshake carried an external
        // PSK (a HelloRetryRequest), or after the key exchange (which no ClientHello follows).
        BuildingHelloAfterOffer,
        Offered, // an external PSK went into a ClientHello
        KeyExchange, // TLS 1.2: the old-style callback ran for the ClientKeyExchange
    };
    enum class ClientPskEvent {
        HelloWithPsk, // the TLS 1.3 callback gave OpenSSL an external PSK for this ClientHello
        HelloWithoutPsk, // the TLS 1.3 callback gave none: the old-style callback comes next
        HelloCallbackDone, // the old-style callback of a ClientHello was called
        HelloCallbackGaveKey, // ... and gave a key, which OpenSSL offers (Tls13Psk::QtOptIn)
        KeyExchange, // the old-style callback was called for the ClientKeyExchange
    };
    enum class ServerPskStage {
        Start, // no ClientHello read yet
        ReadingHello, // a ClientHello was read; no external PSK was accepted
        // The TLS 1.3 lookup gave no session for the identity it was asked about: the old-style
        // callback, if OpenSSL asks it next about the same identity, has nothing to add.
        IdentityPending,
        Accepted, // an external PSK was handed to OpenSSL
        AcceptedIdentityPending, // as IdentityPending, after a PSK was accepted (a HelloRetryRequest)
    };
    enum class ServerPskEvent {
        ClientHello, // the ClientHello callback ran
        Tls13Lookup, // the TLS 1.3 lookup was asked about an offered identity
        Tls13Accepted, // ... and handed OpenSSL an external PSK for it
        OldStyleCallback, // the old-style callback was called
    };
    void advance(ClientPskEvent event);
    void advance(ServerPskEvent event);
    bool isBuildingClientHello() const
    {
        return m_clientPsk == ClientPskStage::BuildingHello
                || m_clientPsk == ClientPskStage::BuildingHelloAfterOffer;
    }
    bool isServerIdentityPending() const
    {
        return m_serverPsk == ServerPskStage::IdentityPending
                || m_serverPsk == ServerPskStage::AcceptedIdentityPending;
    }
    bool isExternalPskAccepted() const
    {
        return m_serverPsk == ServerPskStage::Accepted
                || m_serverPsk == ServerPskStage::AcceptedIdentityPending;
    }
    // \a key (and, with an \a identityBuffer, a client's \a identity, NUL-terminated) into
    // OpenSSL's buffers, each cut to what the buffer holds; returns the key's length. An empty
    // key writes nothing and returns 0 (no key: OpenSSL fails the handshake).
    static unsigned int giveToOpenSsl(const QByteArray &identity, char *identityBuffer,
                                      unsigned int identityCapacity, const QByteArray &key,
                                      unsigned char *psk, unsigned int maxPskLength);

    std::shared_ptr<TlsContext> m_context;
    SslPtr m_ssl; // owns both BIOs
    BIO *m_input = nullptr; // ciphertext from the network (owned by m_ssl)
    BIO *m_output = nullptr; // ciphertext for the network (owned by m_ssl)
    TlsEngineCallbacks *m_callbacks = nullptr;
    std::vector<TlsAlert> m_alerts;
    std::exception_ptr m_exception; // caught by a trampoline, not yet taken by the owner
    QString m_errorString;
    int m_callDepth = 0;
    bool m_handshakeComplete = false;
    bool m_failed = false;
    bool m_truncated = false;
    bool m_handshakeDoneSeen = false;
    bool m_sessionReused = false; // a ticket or a TLS 1.2 session ID, not an external PSK
    Diagnosis m_diagnosis = Diagnosis::None;
    ClientPskStage m_clientPsk = ClientPskStage::Start;
    ServerPskStage m_serverPsk = ServerPskStage::Start;
    PskPause m_pskPause = PskPause::None;
    // The request of the paused job: it lives on that job's stack until the job is resumed.
    QSslPreSharedKeyAuthenticator *m_pausedRequest = nullptr;
    bool m_asyncHandshake = false; // SSL_MODE_ASYNC is used for handshake() (isDeferralSupported())

    // The one answer of this handshake's TLS 1.3 request (client: at the first ClientHello;
    // server: for the last identity asked about), reused after a HelloRetryRequest. The bytes
    // are wiped (OPENSSL_cleanse) when the handshake ends and in the destructor; \c asked stays.
    struct PskAnswer
    {
        bool asked = false; // the slot was asked (it may have refused)
        QByteArray identity; // client: the identity it gave; server: the one it was asked about
        QByteArray key;
    };
    PskAnswer m_answer;
    // Server: what the ClientHello's pre_shared_key extension says about each identity.
    struct OfferedIdentity
    {
        QByteArray identity;
        quint32 obfuscatedAge = 0; // non-zero: a resumption ticket (external PSKs send 0)
        int binderLength = 0; // the hash size of the PSK the client meant
    };
    std::vector<OfferedIdentity> m_offeredIdentities;

    // Server: the store of its server object (null: nothing resumes), and what the session of
    // this handshake was authenticated with, for the store (the digest is wiped with the rest).
    std::shared_ptr<TlsSessionStore> m_sessionStore;
    QByteArray m_acceptedIdentity;
    QByteArray m_acceptedKeyDigest;
    int m_newTickets = 0; // client: TLS 1.3 tickets not yet taken by the owner
    // Server: the session resumeSession() took out of the store in this handshake (a TLS 1.3
    // ticket is taken once), offered again after a HelloRetryRequest; null if it was refused.
    QByteArray m_takenSessionId;
    SslSessionPtr m_takenSession;
};

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE

#endif // QTPSK_TLSENGINE_P_H
