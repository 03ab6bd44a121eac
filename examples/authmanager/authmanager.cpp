// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "authmanager.h"

#include <QMessageAuthenticationCode>
#include <QSslPreSharedKeyAuthenticator>

namespace {
constexpr char SaltPrefix[] = "QtPsk example v1:";
constexpr int Iterations = 100000;
}

AuthManager::AuthManager(const QByteArray &identity, const QByteArray &passphrase, QObject *parent)
    : QObject(parent), m_identity(identity), m_passphrase(passphrase)
{
}

AuthManager::~AuthManager()
{
    m_passphrase.fill('\0'); // do not leave the passphrase in freed memory
}

QByteArray AuthManager::deriveKey(const QByteArray &identityHint, const QByteArray &passphrase)
{
    // PBKDF2 (RFC 8018) with one block: SHA-256 gives exactly the 32 bytes we want.
    QMessageAuthenticationCode hmac(QCryptographicHash::Sha256, passphrase);
    hmac.addData(QByteArray(SaltPrefix) + identityHint + QByteArray("\0\0\0\1", 4));
    QByteArray block = hmac.result();
    QByteArray key = block;
    for (int i = 1; i < Iterations; ++i) {
        hmac.reset();
        hmac.addData(block);
        block = hmac.result();
        for (qsizetype j = 0; j < key.size(); ++j)
            key[j] = char(key.at(j) ^ block.at(j));
    }
    block.fill('\0');
    return key;
}

//! [slot]
void AuthManager::handlePreSharedKeyAuthentication(QSslPreSharedKeyAuthenticator *authenticator)
{
    authenticator->setIdentity(m_identity);

    QByteArray key = deriveKey(authenticator->identityHint(), m_passphrase);
    authenticator->setPreSharedKey(key);
    key.fill('\0'); // the authenticator keeps its own copy
}
//! [slot]
