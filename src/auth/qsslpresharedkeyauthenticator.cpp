// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "auth/qsslpresharedkeyauthenticator_p.h"

#include "auth/qsslpresharedkeyrequest_p.h"
#include "qtpsklogging_p.h"

#include <openssl/crypto.h>

QT_IMPL_METATYPE_EXTERN_TAGGED(QTPSK_PREPEND_NAMESPACE(QSslPreSharedKeyAuthenticator),
                               QtPsk_QSslPreSharedKeyAuthenticator)
QT_IMPL_METATYPE_EXTERN_TAGGED(QTPSK_PREPEND_NAMESPACE(QSslPreSharedKeyAuthenticator) *,
                               QtPsk_QSslPreSharedKeyAuthenticator_ptr)

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

void wipeByteArray(QByteArray &bytes) noexcept
{
    // Bytes still shared with another QByteArray belong to that owner too: leave them be.
    if (!bytes.isEmpty() && bytes.isDetached())
        OPENSSL_cleanse(bytes.data(), size_t(bytes.size()));
    bytes = QByteArray();
}

void AuthenticatorAccess::setIdentityHint(QSslPreSharedKeyAuthenticator &authenticator,
                                          const QByteArray &hint)
{
    authenticator.d->identityHint = hint;
}

void AuthenticatorAccess::setPeerIdentity(QSslPreSharedKeyAuthenticator &authenticator,
                                          const QByteArray &identity)
{
    authenticator.d->identity = identity;
}

void AuthenticatorAccess::setMaxima(QSslPreSharedKeyAuthenticator &authenticator,
                                    int maximumIdentityLength, int maximumPreSharedKeyLength)
{
    authenticator.d->maximumIdentityLength = maximumIdentityLength;
    authenticator.d->maximumPreSharedKeyLength = maximumPreSharedKeyLength;
}

void AuthenticatorAccess::setRequest(QSslPreSharedKeyAuthenticator &authenticator,
                                     QSslPreSharedKeyRequestPrivate *request)
{
    authenticator.d->request.reset(request);
}

bool AuthenticatorAccess::isDeferred(const QSslPreSharedKeyAuthenticator &authenticator)
{
    return authenticator.d->request && authenticator.d->request->wasDeferred();
}

} // namespace QtPskPrivate

QSslPreSharedKeyAuthenticatorPrivate::~QSslPreSharedKeyAuthenticatorPrivate()
{
    QtPskPrivate::wipeByteArray(preSharedKey);
}

QSslPreSharedKeyAuthenticator::QSslPreSharedKeyAuthenticator()
    : d(new QSslPreSharedKeyAuthenticatorPrivate)
{
}

QSslPreSharedKeyAuthenticator::~QSslPreSharedKeyAuthenticator() = default;

QSslPreSharedKeyAuthenticator::QSslPreSharedKeyAuthenticator(
        const QSslPreSharedKeyAuthenticator &authenticator) = default;

QSslPreSharedKeyAuthenticator &
QSslPreSharedKeyAuthenticator::operator=(const QSslPreSharedKeyAuthenticator &authenticator) = default;

QByteArray QSslPreSharedKeyAuthenticator::identityHint() const { return d->identityHint; }

void QSslPreSharedKeyAuthenticator::setIdentity(const QByteArray &identity) { d->identity = identity; }

QByteArray QSslPreSharedKeyAuthenticator::identity() const { return d->identity; }

int QSslPreSharedKeyAuthenticator::maximumIdentityLength() const { return d->maximumIdentityLength; }

void QSslPreSharedKeyAuthenticator::setPreSharedKey(const QByteArray &preSharedKey)
{
    QSslPreSharedKeyAuthenticatorPrivate *data = d.data(); // detaches
    QtPskPrivate::wipeByteArray(data->preSharedKey);
    // Keep a copy of our own, so that the bytes we wipe later are never the caller's.
    data->preSharedKey = preSharedKey.isNull()
            ? QByteArray()
            : QByteArray(preSharedKey.constData(), preSharedKey.size());
}

QByteArray QSslPreSharedKeyAuthenticator::preSharedKey() const { return d->preSharedKey; }

int QSslPreSharedKeyAuthenticator::maximumPreSharedKeyLength() const { return d->maximumPreSharedKeyLength; }

QSslPreSharedKeyRequest QSslPreSharedKeyAuthenticator::deferAnswer()
{
    QSslPreSharedKeyRequestPrivate *const request = d->request.data();
    if (!request || !request->defer()) {
        qCWarning(lcQtPskSsl, "QSslPreSharedKeyAuthenticator::deferAnswer: only an authenticator "
                              "that preSharedKeyAuthenticationRequired() passes can defer its "
                              "answer, while that signal is being emitted");
        return QSslPreSharedKeyRequest();
    }
    return QSslPreSharedKeyRequest(request);
}

bool QSslPreSharedKeyAuthenticator::isEqual(const QSslPreSharedKeyAuthenticator &other) const
{
    return d == other.d
        || (d->identityHint == other.d->identityHint
            && d->identity == other.d->identity
            && d->maximumIdentityLength == other.d->maximumIdentityLength
            && d->preSharedKey == other.d->preSharedKey
            && d->maximumPreSharedKeyLength == other.d->maximumPreSharedKeyLength);
}

QTPSK_END_NAMESPACE
