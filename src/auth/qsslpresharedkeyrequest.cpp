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
#include <utility>

QT_IMPL_METATYPE_EXTERN_TAGGED(QTPSK_PREPEND_NAMESPACE(QSslPreSharedKeyRequest),
                               QtPsk_QSslPreSharedKeyRequest)

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

PskAnswerTarget::~PskAnswerTarget() = default;

namespace {

// Made in the connection's thread when a slot defers; its queued call takes the answer there.
class PskAnswerReceiver : public QObject
{
    Q_OBJECT
public:
    explicit PskAnswerReceiver(QSslPreSharedKeyRequestPrivate *request) : m_request(request) { }

    Q_INVOKABLE void takeAnswer() { m_request->deliver(); }

private:
    // Keeps the request alive while an answer may be queued; released with the receiver.
    const QExplicitlySharedDataPointer<QSslPreSharedKeyRequestPrivate> m_request;
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
    // A receiver holds a reference: it is gone by now (close() released it).
    wipeAnswer();
}

void QSslPreSharedKeyRequestPrivate::wipeAnswer()
{
    QtPskPrivate::wipeByteArray(m_identity);
    QtPskPrivate::wipeByteArray(m_key);
}

void QSslPreSharedKeyRequestPrivate::releaseReceiver(QObject *receiver, bool delivering)
{
    if (!receiver)
        return;
    if (!delivering && receiver->thread() == QThread::currentThread())
        delete receiver; // also drops its queued call, if any
    else
        receiver->deleteLater();
}

bool QSslPreSharedKeyRequestPrivate::defer()
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    if (m_state == State::Closed)
        return false;
    if (m_state == State::Offered) {
        m_state = State::Deferred;
        m_deferred = true;
        // In the slot, so in the connection's thread. Without a target (the engine's own
        // tests) nothing would take an answer: no receiver.
        if (m_target)
            m_receiver = new QtPskPrivate::PskAnswerReceiver(this);
    }
    return true;
}

bool QSslPreSharedKeyRequestPrivate::wasDeferred() const
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    return m_deferred;
}

QSslPreSharedKeyRequestPrivate::State QSslPreSharedKeyRequestPrivate::state() const
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    return m_state;
}

void QSslPreSharedKeyRequestPrivate::close()
{
    QObject *receiver = nullptr;
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        m_state = State::Closed;
        m_target = nullptr;
        receiver = std::exchange(m_receiver, nullptr);
        wipeAnswer();
    }
    // From inside deliver() the receiver is running its queued call: it goes later. Releasing
    // it may release this request too (the caller holds its own reference).
    releaseReceiver(receiver, m_delivering);
}

bool QSslPreSharedKeyRequestPrivate::submit(bool refused, const QByteArray &identity,
                                            const QByteArray &key)
{
    const std::lock_guard<std::mutex> lock(m_mutex);
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
    m_refused = refused;
    m_identity = QByteArray(identity.constData(), identity.size());
    m_key = QByteArray(key.constData(), key.size());
    // Queued also in the connection's own thread: the answer is taken from its event loop, never
    // inside whatever code of that thread happens to give it.
    if (m_receiver)
        QMetaObject::invokeMethod(m_receiver, "takeAnswer", Qt::QueuedConnection);
    return true;
}

void QSslPreSharedKeyRequestPrivate::deliver()
{
    QtPskPrivate::PskAnswerTarget *target = nullptr;
    bool refused = false;
    QByteArray identity;
    QByteArray key;
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        target = m_target;
        refused = m_refused;
        identity = std::exchange(m_identity, QByteArray());
        key = std::exchange(m_key, QByteArray());
    }
    if (!target) {
        qCInfo(lcQtPskSsl, "A PSK answer arrived after its handshake stopped waiting for it: "
                           "ignored");
    } else {
        m_delivering = true;
        target->pskAnswerArrived(this, refused, identity, key); // may close() this request
        m_delivering = false;
    }
    QtPskPrivate::wipeByteArray(identity);
    QtPskPrivate::wipeByteArray(key);
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

#include "qsslpresharedkeyrequest.moc"
