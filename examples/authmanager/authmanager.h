// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// AuthManager: answers a QSslSocket's request for a pre-shared key, in the pattern of Qt's
// QSslPreSharedKeyAuthenticator documentation. Plain QtNetwork code: it compiles unchanged
// against Qt6::Network or QtPsk (see docs/migrating-from-qtnetwork.md).
#ifndef AUTHMANAGER_H
#define AUTHMANAGER_H

#include <QByteArray>
#include <QObject>
#include <QSslPreSharedKeyAuthenticator>

class AuthManager : public QObject
{
    Q_OBJECT
public:
    AuthManager(const QByteArray &identity, const QByteArray &passphrase,
                QObject *parent = nullptr);
    ~AuthManager() override;

    // A 32-byte key: PBKDF2-HMAC-SHA256 over the passphrase, salt "QtPsk example v1:" followed
    // by the server's identity hint (none in TLS 1.3), 100000 iterations. The same derivation as
    // the other examples' --passphrase, and as `openssl kdf ... PBKDF2` in the guides.
    static QByteArray deriveKey(const QByteArray &identityHint, const QByteArray &passphrase);

public Q_SLOTS:
    void handlePreSharedKeyAuthentication(QSslPreSharedKeyAuthenticator *authenticator);

private:
    QByteArray m_identity;
    QByteArray m_passphrase;
};

#endif // AUTHMANAGER_H
