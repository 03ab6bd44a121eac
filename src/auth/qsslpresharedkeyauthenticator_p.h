// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QSSLPRESHAREDKEYAUTHENTICATOR_P_H
#define QTPSK_QSSLPRESHAREDKEYAUTHENTICATOR_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qsslpresharedkeyauthenticator.h>

#include "qtpsk_p.h"

#include <QtCore/qshareddata.h>

QTPSK_BEGIN_NAMESPACE

class QSslPreSharedKeyRequestPrivate;

class QSslPreSharedKeyAuthenticatorPrivate : public QSharedData
{
public:
    QSslPreSharedKeyAuthenticatorPrivate() = default;
    QSslPreSharedKeyAuthenticatorPrivate(const QSslPreSharedKeyAuthenticatorPrivate &) = default;
    QSslPreSharedKeyAuthenticatorPrivate &operator=(const QSslPreSharedKeyAuthenticatorPrivate &) = delete;
    ~QSslPreSharedKeyAuthenticatorPrivate();

    QByteArray identityHint;
    QByteArray identity;
    int maximumIdentityLength = 0;
    QByteArray preSharedKey;
    int maximumPreSharedKeyLength = 0;
    // Set by the library while a slot is shown this authenticator: deferAnswer() defers it.
    QExplicitlySharedDataPointer<QSslPreSharedKeyRequestPrivate> request;
};

namespace QtPskPrivate {

// Wipes the bytes of \a bytes if no other QByteArray shares them, then releases them.
void wipeByteArray(QByteArray &bytes) noexcept;

// The one hook through which the library fills the fields a user cannot set.
struct AuthenticatorAccess
{
    static void setIdentityHint(QSslPreSharedKeyAuthenticator &authenticator, const QByteArray &hint);
    // The identity a client sent, as a server sees it.
    static void setPeerIdentity(QSslPreSharedKeyAuthenticator &authenticator, const QByteArray &identity);
    static void setMaxima(QSslPreSharedKeyAuthenticator &authenticator, int maximumIdentityLength,
                          int maximumPreSharedKeyLength);
    // The request a slot shown \a authenticator may defer (null: it cannot be deferred).
    static void setRequest(QSslPreSharedKeyAuthenticator &authenticator,
                           QSslPreSharedKeyRequestPrivate *request);
    // True if a slot called deferAnswer() on \a authenticator (or on a copy made in the slot).
    static bool isDeferred(const QSslPreSharedKeyAuthenticator &authenticator);
};

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE

#endif // QTPSK_QSSLPRESHAREDKEYAUTHENTICATOR_P_H
