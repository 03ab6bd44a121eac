// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QSSLPRESHAREDKEYREQUEST_P_H
#define QTPSK_QSSLPRESHAREDKEYREQUEST_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qsslpresharedkeyauthenticator.h>
#include <QtPsk/qsslpresharedkeyrequest.h>

#include "qtpsk_p.h"

#include <QtCore/qshareddata.h>

#include <mutex>

QT_BEGIN_NAMESPACE
class QObject;
QT_END_NAMESPACE

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

// What a connection offers the requests it shows to slots: the answer, in its own thread.
class PskAnswerTarget
{
public:
    virtual ~PskAnswerTarget();
    // In the connection's thread, by a queued call: \a request was answered (\a refused, or
    // \a identity and \a key, which the callee may wipe). The request is Answered by now.
    virtual void pskAnswerArrived(QSslPreSharedKeyRequestPrivate *request, bool refused,
                                  QByteArray &identity, QByteArray &key) = 0;
};

} // namespace QtPskPrivate

// One PSK request a slot was shown, shared by the connection that made it (while its handshake
// waits) and by every QSslPreSharedKeyRequest handle. The answer is kept here, under the mutex,
// and a queued call without arguments on the receiver (an object made in the connection's thread
// when the slot defers, holding a reference to this request until close()) takes it in that
// thread. Everything the threads share passes through the mutex (a std::mutex, which
// ThreadSanitizer sees), never through the queued call's arguments.
//
// States: Offered (the slot runs) → Deferred (deferAnswer()) → Answered (the first answer) ;
// any of them → Closed (close(): the handshake no longer waits, or never waited). Only the
// connection's thread defers and closes; any thread answers.
class QSslPreSharedKeyRequestPrivate : public QSharedData
{
public:
    enum class State { Offered, Deferred, Answered, Closed };

    // \a question: a copy of the authenticator the slot is shown (no key). \a target may be null
    // (the engine's own tests answer the engine directly).
    QSslPreSharedKeyRequestPrivate(const QSslPreSharedKeyAuthenticator &question,
                                   QtPskPrivate::PskAnswerTarget *target);
    ~QSslPreSharedKeyRequestPrivate();
    QSslPreSharedKeyRequestPrivate(const QSslPreSharedKeyRequestPrivate &) = delete;
    QSslPreSharedKeyRequestPrivate &operator=(const QSslPreSharedKeyRequestPrivate &) = delete;

    // In the slot: the answer comes later. False once the request is closed.
    bool defer();
    // True once defer() was called (in any state after it).
    bool wasDeferred() const;
    State state() const;
    // The connection's thread: no answer is taken from now on.
    void close();
    // Any thread: the first answer of a deferred request goes to the connection's thread.
    bool submit(bool refused, const QByteArray &identity, const QByteArray &key);

    const QSslPreSharedKeyAuthenticator question;

    // The connection's thread (the receiver's queued call): the kept answer goes to the target.
    void deliver();

private:
    // Deletes \a receiver now if this thread owns it and no call of it runs, else later.
    static void releaseReceiver(QObject *receiver, bool delivering);
    void wipeAnswer();

    mutable std::mutex m_mutex;
    State m_state = State::Offered;
    bool m_deferred = false;
    QtPskPrivate::PskAnswerTarget *m_target; // null once closed
    QObject *m_receiver = nullptr; // in the connection's thread, from defer() until close()
    bool m_delivering = false; // deliver() runs (the connection's thread only)
    // The answer between submit() and deliver(): our own copies, wiped.
    bool m_refused = false;
    QByteArray m_identity;
    QByteArray m_key;
};

QTPSK_END_NAMESPACE

#endif // QTPSK_QSSLPRESHAREDKEYREQUEST_P_H
