// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_TLSSTREAMLAYER_P_H
#define QTPSK_TLSSTREAMLAYER_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qsslconfiguration.h>
#include <QtPsk/qsslsocket.h>

#include "auth/qsslpresharedkeyrequest_p.h"
#include "engine/tlsengine_p.h"
#include "network/streamlayer_p.h"
#include "ssl/tls13pskpolicy_p.h"
#include "ssl/tlserrormap_p.h"
#include "qtpsk_p.h"

#include <deque>
#include <exception>
#include <memory>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

/*
    QSslSocket's stream layer: TLS between the TCP connection and the application's bytes. It
    pumps bytes between the socket (StreamHost: wire bytes in and out, application bytes, the
    socket's signals and errors) and a TlsEngine, and emits QSslSocket's own signals. Until
    encryption starts (and after connectToHost() without encryption) it passes bytes through
    as the plain layer does.

    - Reading: readable() moves ciphertext from the kernel into the engine, drives the
      handshake, and decrypts straight into the socket's read buffer.
    - Writing: plaintext written before the handshake completes waits in conn.pendingPlaintext;
      afterwards it is encrypted at once and the records are queued on the wire.
      Signals about it (bytesWritten, encryptedBytesWritten) come from the event loop.
    - Errors: every engine failure becomes a SocketError and its text in one place
      (tlsFailure(), src/ssl/tlserrormap_p.h).
    - Re-entrancy: the engine calls back (PSK) while it is on the stack. A slot may abort or
      close the socket there; aboutToAbort() then only marks the engine for destruction, and
      the code that called into the engine destroys it after the call returns. A slot may even
      delete the socket there: the destructor then hands the engine to callEngine()'s frame
      (engineKeeper), which frees it once OpenSSL has returned, and tells it (destroyedFlag).
    - Exceptions: a slot that throws inside an engine call is stopped at OpenSSL's border (see
      TlsEngine); callEngine() aborts the connection and rethrows it to its caller
      (rethrowAfterAbort()).
    - Deferred PSK answers (QSslPreSharedKeyAuthenticator::deferAnswer()): each request shown to
      a slot is pskRequest while the handshake may wait for it; the engine waits
      (isPskAnswerPending()) and the answer comes back through pskAnswerArrived(), queued on the
      socket's thread, which resumes the handshake. The request is closed (later answers are
      ignored and logged) whenever the engine goes (dropEngine()) and when the layer dies.
*/
class TlsStreamLayer : public StreamLayer, public TlsEngineCallbacks, public PskAnswerTarget
{
public:
    TlsStreamLayer(QSslSocket *socket, StreamHost &host);
    ~TlsStreamLayer() override;

    // StreamLayer
    void connected() override;
    void readable() override;
    qint64 write(const char *data, qint64 size) override;
    qint64 bytesToWrite() const override;
    void wireBytesWritten(qint64 size) override;
    bool beginDisconnect() override;
    bool closeDeferred() const override { return conn.shutdownPending; }
    bool connectionEnding() override;
    bool closesDeviceAfterAbort() const override { return true; }
    bool reconnected(bool ok) override;
    void aboutToAbort() override;
    bool hasBufferedInput() const override;
    bool processBufferedInput() override;

    // --- what QSslSocket and QSslServer ask of the layer -----------------------------------
    // A QSslServer's socket: the server object's resumable sessions (used only when the
    // configuration allows resumption; see settingsFor()).
    void setSessionStore(std::shared_ptr<TlsSessionStore> store)
    {
        sessionStore = std::move(store);
    }
    // errorOccurred(\a error) with \a errorString, the connection left as it is (a QSslServer
    // giving up on a handshake aborts it next; the peer's close_notify).
    bool reportError(QAbstractSocket::SocketError error, const QString &errorString);
    // startClientEncryption(), startServerEncryption(): the checks, then startEncryption().
    void startClientEncryption();
    void startServerEncryption();
    // disconnectFromHost() waits for the handshake (and then closes): true if it does.
    bool defersDisconnect();
    // QSslSocket::close(): the TCP connection closes as a plain one, then the device.
    void close();
    void continueInterruptedHandshake();
    bool waitForEncrypted(int msecs);

    // TlsEngineCallbacks
    bool preSharedKeyAuthenticationRequired(QSslPreSharedKeyAuthenticator *authenticator) override;
    // PskAnswerTarget: the answer to a deferred request; resumes the handshake.
    void pskAnswerArrived(QSslPreSharedKeyRequestPrivate *request, bool refused,
                          QByteArray &identity, QByteArray &key) override;
    // The engine goes (the connection ends or starts again): its request with it.
    void dropEngine();
    // No answer is taken for the request shown last (if any) from now on.
    void closePskRequest();

    // Resets the per-connection TLS state before a new connection (mode and the automatic
    // handshake as given).
    void resetTlsState(bool autoStart);
    // Creates the engine for \a newMode and starts the handshake. False if the socket died.
    bool startEncryption(QSslSocket::SslMode newMode);
    // The engine for `mode` and the configuration (the TLS 1.3 PSK policy decides a client's
    // offer). False if it could not be made (the connection failed) or the socket died.
    bool createEngine();
    // The server refused the ClientHello for want of a TLS 1.3 PSK: connect again, silently,
    // and offer one (Tls13PskPolicy). False if the socket was destroyed.
    bool retryWithTls13Psk();
    // Client: TLS 1.3 tickets that arrived go to sessionTicket() with newSessionTicketReceived()
    // (persistence on). False if a slot ended the connection.
    bool takeSessionTickets();
    // Processes what the engine holds: handshake progress, then decryption. Each of these
    // returns false when the socket object was destroyed (return at once), true otherwise.
    bool processEngine();
    bool continueHandshake();
    bool handshakeSucceeded();
    bool completeEncryption();
    bool decryptAvailable();
    bool encryptAndQueue(const char *data, qint64 size);
    void flushEngineOutput();
    // Queues close_notify and reports it (alertSent(), then stateChanged(ClosingState) once more,
    // as Qt's layering emits it). False if the socket was destroyed.
    bool sendCloseNotify();
    // stateChanged(ClosingState) once more, as Qt's TCP layer under its TLS layer reports it.
    bool emitClosingAgain();
    // Closes the TCP connection as a plain socket closes: what was written goes first, one
    // ClosingState, no close_notify (close(), and a session the verification refused, as Qt).
    // False if the socket was destroyed.
    bool closeWithoutNotify();
    bool emitAlerts();
    // The one path of a failed engine call in \a phase (tlsFailure()).
    bool failEngineCall(TlsPhase phase);
    bool failConnection(QAbstractSocket::SocketError error, const QString &message);
    bool errorsIgnored(const QList<QSslError> &errors) const;
    // Runs \a call on the engine with the re-entrancy flag set; false if the engine must go
    // (or the socket was destroyed: then return at once). Rethrows an exception a slot threw
    // inside the call, after aborting the connection.
    template <typename Call>
    bool callEngine(Call &&call);
    // The end of a connection whose engine call caught \a thrown: abort, set the error, rethrow.
    [[noreturn]] void rethrowAfterAbort(std::exception_ptr thrown);

    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    QSslSocket::SslMode mode = QSslSocket::UnencryptedMode;
    std::unique_ptr<TlsEngine> engine;
    // The PSK request shown to the slots last, while the engine may wait for its answer.
    QExplicitlySharedDataPointer<QSslPreSharedKeyRequestPrivate> pskRequest;
    QString peerVerifyName;

    // What one connection accumulates; resetTlsState() starts the next one from these defaults.
    struct ConnectionState
    {
        QByteArray pendingPlaintext;     // written before the handshake completed

        // Which application bytes the wire bytes carry, so that bytesWritten() reports plaintext:
        // each entry says that once wireEnd wire bytes are sent, `plaintext` more bytes went out.
        struct PlaintextRecord { qint64 wireEnd; qint64 plaintext; };
        std::deque<PlaintextRecord> plaintextRecords;
        qint64 wireQueued = 0;           // wire bytes handed to the transport on this connection
        qint64 wireSent = 0;             // wire bytes the transport reported sent
        qint64 plaintextUnsent = 0;      // encrypted application bytes still queued

        QList<QSslError> handshakeErrors;
        bool ignoreAllErrors = false;
        bool connectionEncrypted = false;
        bool handshakeInterrupted = false;
        bool closeAfterHandshake = false; // disconnectFromHost() came during the handshake
        // disconnectFromHost() came while written data was not yet reported sent: close_notify
        // follows once it is (as in Qt, whose close_notify follows the data's bytesWritten()).
        bool shutdownPending = false;
        // The session is established and no close_notify was sent: Qt reports one (alertSent) when
        // the connection ends, also when it is never written (abort, close, the peer's close).
        bool closeNotifyOwed = false;
        bool closeNotifyReceived = false; // the peer's close_notify was reported (errorOccurred)
        // Automatic TLS 1.3 PSK mode: this client connects again, offering a PSK, if the server
        // refuses its first ClientHello; retryingWithTls13Psk once it does.
        bool retryOnRefusal = false;
        bool retryingWithTls13Psk = false;
        QString retryError; // the first attempt's failure, reported if the new connection fails
    };
    ConnectionState conn;

    QList<QSslError> ignoredErrors;  // ignoreSslErrors(list)
    bool autoStartHandshake = false;
    bool inEngineCall = false;       // the engine is on the stack
    bool abortRequested = false;     // the socket was aborted while the engine was on the stack
    // Set while callEngine() runs: the destructor sets *destroyedFlag and moves the engine into
    // *engineKeeper, so that OpenSSL's frames never see a freed engine.
    bool *destroyedFlag = nullptr;
    std::unique_ptr<TlsEngine> *engineKeeper = nullptr;
    std::shared_ptr<TlsSessionStore> sessionStore; // setSessionStore()
    Tls13PskPeer tls13PskPeer;

private:
    // startClientEncryption() and startServerEncryption() may start (else a warning).
    bool canStartEncryption(const char *function) const;

    QSslSocket *q;
};

template <typename Call>
bool TlsStreamLayer::callEngine(Call &&call)
{
    if (inEngineCall) {
        // Re-entered from a slot: the engine answers at once (TlsEngine::call() does not nest)
        // and runs no callback; the outer call owns the re-entrancy state.
        call();
        return !abortRequested;
    }
    bool destroyed = false;
    std::unique_ptr<TlsEngine> keeper; // receives the engine if a slot deletes the socket
    inEngineCall = true;
    destroyedFlag = &destroyed;
    engineKeeper = &keeper;
    call();
    if (destroyed) {
        // `this` is gone; the engine dies with `keeper` here, after OpenSSL has returned.
        if (std::exception_ptr thrown = keeper ? keeper->takeException() : nullptr)
            std::rethrow_exception(thrown);
        return false;
    }
    inEngineCall = false;
    destroyedFlag = nullptr;
    engineKeeper = nullptr;
    std::exception_ptr thrown = engine ? engine->takeException() : nullptr;
    if (abortRequested) {
        // A slot aborted the socket while the engine was on the stack: it can go now.
        abortRequested = false;
        dropEngine();
        if (thrown)
            rethrowAfterAbort(thrown);
        return false;
    }
    if (thrown)
        rethrowAfterAbort(thrown);
    return true;
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE

#endif // QTPSK_TLSSTREAMLAYER_P_H
