// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QSslPreSharedKeyRequest and the request it shares with its connection: deferral, the answer's
// trip to the connection's thread, and the end of the request.
#include "auth/qsslpresharedkeyrequest_p.h"

#include "auth/qsslpresharedkeyauthenticator_p.h"
#include "qtpsklogging_p.h"

#include <QtCore/qmetaobject.h>
#include <QtCore/qobject.h>
#include <QtCore/qthread.h>

#include <memory>

QT_IMPL_METATYPE_EXTERN_TAGGED(QTPSK_PREPEND_NAMESPACE(QSslPreSharedKeyRequest),
                               QtPsk_QSslPreSharedKeyRequest)

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

PskAnswerTarget::~PskAnswerTarget() = default;

namespace {

// An answer on its way to the connection's thread: our own copies, wiped however the trip ends
// (delivered, or dropped with the receiver).
struct AnswerInTransit
{
    AnswerInTransit(const QByteArray &identityBytes, const QByteArray &keyBytes)
        : identity(identityBytes.constData(), identityBytes.size()),
          key(keyBytes.constData(), keyBytes.size())
    {
    }
    ~AnswerInTransit()
    {
        wipeByteArray(identity);
        wipeByteArray(key);
    }
    AnswerInTransit(const AnswerInTransit &) = delete;
    AnswerInTransit &operator=(const AnswerInTransit &) = delete;
    QByteArray identity;
    QByteArray key;
};

} // namespace

} // namespace QtPskPrivate

QSslPreSharedKeyRequestPrivate::QSslPreSharedKeyRequestPrivate(
        const QSslPreSharedKeyAuthenticator &authenticator, QtPskPrivate::PskAnswerTarget *target)
    : question(authenticator), m_target(target)
{
}

QSslPreSharedKeyRequestPrivate::~QSslPreSharedKeyRequestPrivate()
{
    // The last handle may go in any thread: the receiver is deleted in its own.
    releaseReceiver(std::exchange(m_receiver, nullptr), false);
}

void QSslPreSharedKeyRequestPrivate::releaseReceiver(QObject *receiver, bool delivering)
{
    if (!receiver)
        return;
    if (!delivering && receiver->thread() == QThread::currentThread())
        delete receiver; // also drops an answer still queued on it (its copies are wiped)
    else
        receiver->deleteLater();
}

bool QSslPreSharedKeyRequestPrivate::defer()
{
    QMutexLocker lock(&m_mutex);
    if (m_state == State::Closed)
        return false;
    if (m_state == State::Offered) {
        m_state = State::Deferred;
        m_deferred = true;
        m_receiver = new QObject; // in the slot, so in the connection's thread
    }
    return true;
}

bool QSslPreSharedKeyRequestPrivate::wasDeferred() const
{
    QMutexLocker lock(&m_mutex);
    return m_deferred;
}

QSslPreSharedKeyRequestPrivate::State QSslPreSharedKeyRequestPrivate::state() const
{
    QMutexLocker lock(&m_mutex);
    return m_state;
}

void QSslPreSharedKeyRequestPrivate::close()
{
    QObject *receiver = nullptr;
    {
        QMutexLocker lock(&m_mutex);
        m_state = State::Closed;
        m_target = nullptr;
        receiver = std::exchange(m_receiver, nullptr);
    }
    // From inside deliver() the receiver is running the answer's queued call: it goes later.
    releaseReceiver(receiver, m_delivering);
}

bool QSslPreSharedKeyRequestPrivate::submit(bool refused, const QByteArray &identity,
                                            const QByteArray &key)
{
    QMutexLocker lock(&m_mutex);
    switch (m_state) {
    case State::Offered:
    case State::Closed:
        qCInfo(lcQtPskSsl, "A PSK request was answered after its handshake stopped waiting for it "
                           "(aborted, closed, timed out, or the socket deleted): the answer is "
                           "ignored");
        return false;
    case State::Answered:
        qCWarning(lcQtPskSsl, "A PSK request was answered twice: the later answer is ignored");
        return false;
    case State::Deferred:
        break;
    }
    m_state = State::Answered;
    auto answer = std::make_shared<QtPskPrivate::AnswerInTransit>(identity, key);
    QExplicitlySharedDataPointer<QSslPreSharedKeyRequestPrivate> self(this);
    // Queued also in the connection's own thread: the answer is taken from its event loop, never
    // inside whatever code of that thread happens to give it.
    QMetaObject::invokeMethod(
            m_receiver,
            [self, answer, refused] { self->deliver(refused, answer->identity, answer->key); },
            Qt::QueuedConnection);
    return true;
}

void QSslPreSharedKeyRequestPrivate::deliver(bool refused, QByteArray &identity, QByteArray &key)
{
    QtPskPrivate::PskAnswerTarget *target = nullptr;
    {
        QMutexLocker lock(&m_mutex);
        target = m_target;
    }
    if (!target) {
        qCInfo(lcQtPskSsl, "A PSK answer arrived after its handshake stopped waiting for it: "
                           "ignored");
        return;
    }
    m_delivering = true;
    target->pskAnswerArrived(this, refused, identity, key); // may close() this request
    m_delivering = false;
}

// --- QSslPreSharedKeyRequest ------------------------------------------------------------------

QSslPreSharedKeyRequest::QSslPreSharedKeyRequest() noexcept = default;

QSslPreSharedKeyRequest::QSslPreSharedKeyRequest(QSslPreSharedKeyRequestPrivate *request) noexcept
    : d(request)
{
}

QSslPreSharedKeyRequest::~QSslPreSharedKeyRequest() = default;

QSslPreSharedKeyRequest::QSslPreSharedKeyRequest(const QSslPreSharedKeyRequest &other) noexcept = default;

QSslPreSharedKeyRequest &
QSslPreSharedKeyRequest::operator=(const QSslPreSharedKeyRequest &other) noexcept = default;

bool QSslPreSharedKeyRequest::isNull() const noexcept
{
    return !d;
}

bool QSslPreSharedKeyRequest::isPending() const
{
    return d && d->state() == QSslPreSharedKeyRequestPrivate::State::Deferred;
}

QByteArray QSslPreSharedKeyRequest::identityHint() const
{
    return d ? d->question.identityHint() : QByteArray();
}

QByteArray QSslPreSharedKeyRequest::identity() const
{
    return d ? d->question.identity() : QByteArray();
}

int QSslPreSharedKeyRequest::maximumIdentityLength() const
{
    return d ? d->question.maximumIdentityLength() : 0;
}

int QSslPreSharedKeyRequest::maximumPreSharedKeyLength() const
{
    return d ? d->question.maximumPreSharedKeyLength() : 0;
}

bool QSslPreSharedKeyRequest::answer(const QByteArray &preSharedKey) const
{
    return submit(false, QByteArray(), preSharedKey);
}

bool QSslPreSharedKeyRequest::answer(const QByteArray &identity, const QByteArray &preSharedKey) const
{
    return submit(false, identity, preSharedKey);
}

bool QSslPreSharedKeyRequest::refuse() const
{
    return submit(true, QByteArray(), QByteArray());
}

bool QSslPreSharedKeyRequest::submit(bool refused, const QByteArray &identity,
                                     const QByteArray &preSharedKey) const
{
    if (!d) {
        qCWarning(lcQtPskSsl, "QSslPreSharedKeyRequest: a null request cannot be answered");
        return false;
    }
    return d->submit(refused, identity, preSharedKey);
}

QTPSK_END_NAMESPACE
