// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QDTLS_P_H
#define QTPSK_QDTLS_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qdtls.h>

#include "engine/dtlscookie_p.h"
#include "auth/qsslpresharedkeyrequest_p.h"
#include "engine/dtlsengine_p.h"
#include "qtpsk_p.h"

#include <QtCore/qbasictimer.h>
#include <QtCore/qpointer.h>

#include <chrono>
#include <memory>
#include <vector>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

// The OpenSSL digest name of \a algorithm for cookies; empty when OpenSSL has none.
QByteArray cookieDigestName(QCryptographicHash::Algorithm algorithm);
// What a cookie is bound to: the peer's address (as IPv6, IPv4 mapped) and port.
QByteArray cookiePeer(const QHostAddress &address, quint16 port);
// The default parameters of every verifier and server: SHA-256 and the process's secret.
QDtlsClientVerifier::GeneratorParameters defaultGeneratorParameters();
// Sends \a datagrams to \a address and \a port through \a socket (write() when it is connected,
// as Qt's DTLS does). False when the socket refused one.
bool sendDatagrams(QUdpSocket *socket, const std::vector<QByteArray> &datagrams,
                   const QHostAddress &address, quint16 port);

// QDtls's state: the association's engine, its handshake state and error, its timers.
//
// A deferred PSK answer (QSslPreSharedKeyAuthenticator::deferAnswer() in pskRequired()): the
// request shown to the slot is pskRequest while the handshake waits; the engine's job stays paused,
// no retransmission is armed (a server's expiry still runs), and datagrams of the peer that arrive
// meanwhile are dropped (the peer sends its flight again). The answer arrives in this object's
// thread and resumes the handshake; what that sends goes to the socket of the last call that drove
// it (none if that socket has gone: the next handleTimeout() sends the flight).
class DtlsPrivate : public QObject, public TlsEngineCallbacks, public PskAnswerTarget
{
public:
    DtlsPrivate(QDtls *q, QSslSocket::SslMode mode);
    ~DtlsPrivate() override;

    bool startHandshake(QUdpSocket *socket, const QByteArray &datagram);
    bool continueHandshake(QUdpSocket *socket, const QByteArray &datagram);
    bool handleTimeout(QUdpSocket *socket);
    void abort(QUdpSocket *socket, bool sendCloseNotify);
    qint64 writeEncrypted(QUdpSocket *socket, const QByteArray &datagram);
    QByteArray decrypt(QUdpSocket *socket, const QByteArray &datagram);

    void setError(QDtlsError error, const QString &text);
    void clearError() { setError(QDtlsError::NoError, QString()); }
    // Ends the association: no engine, no timers, HandshakeNotStarted.
    void reset();

    bool preSharedKeyAuthenticationRequired(QSslPreSharedKeyAuthenticator *authenticator) override;
    // PskAnswerTarget: the answer to a deferred request; resumes the handshake.
    void pskAnswerArrived(QSslPreSharedKeyRequestPrivate *request, bool refused, QByteArray &identity,
                          QByteArray &key) override;

    QDtls *const q;
    const QSslSocket::SslMode mode;
    QSslConfiguration configuration;
    QHostAddress peerAddress;
    quint16 peerPort = 0;
    QString verificationName;
    quint16 mtuHint = 0;
    QDtlsClientVerifier::GeneratorParameters cookieParameters;
    QDtls::HandshakeState state = QDtls::HandshakeNotStarted;
    bool encrypted = false;
    QDtlsError error = QDtlsError::NoError;
    QString errorString;
    QList<QSslError> verificationErrors;
    QList<QSslError> errorsToIgnore;
    QSslCipher sessionCipher;
    QSsl::SslProtocol sessionProtocol = QSsl::UnknownProtocol;
    // Shared so that an engine call on the stack keeps its engine when the slot aborts or
    // deletes the QDtls (the engine must not die inside its own call).
    std::shared_ptr<DtlsEngine> engine;
    std::chrono::milliseconds serverExpiry = std::chrono::seconds(60);
    std::chrono::microseconds initialTimeout = std::chrono::seconds(1); // tests shorten it

protected:
    void timerEvent(QTimerEvent *event) override;

private:
    enum class Step { Handshake, Timeout };
    bool drive(QUdpSocket *socket, const QByteArray &datagram, Step step);
    bool finishHandshake();
    void armRetransmission();
    bool failHandshake(const QString &text);
    // The request shown to pskRequired() no longer waits for an answer.
    void closePskRequest();

    QExplicitlySharedDataPointer<QSslPreSharedKeyRequestPrivate> m_pskRequest;
    QPointer<QUdpSocket> m_socket; // the socket of the last call that drove the handshake
    QBasicTimer m_retransmission;
    QBasicTimer m_expiry;
};

// Test hooks: the schedules tests cannot wait for.
struct DtlsAccess
{
    static void setServerExpiry(QDtls *dtls, std::chrono::milliseconds expiry);
    static void setInitialTimeout(QDtls *dtls, std::chrono::microseconds timeout);
};

// QDtlsClientVerifier's state.
class DtlsClientVerifierPrivate
{
public:
    DtlsCookieVerifier verifier;
    QDtlsClientVerifier::GeneratorParameters parameters = defaultGeneratorParameters();
    QByteArray verifiedHello;
    QDtlsError error = QDtlsError::NoError;
    QString errorString;
};

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE

#endif // QTPSK_QDTLS_P_H
