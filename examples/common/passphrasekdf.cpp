// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "passphrasekdf.h"

#include <openssl/evp.h>

namespace PskExample {

QByteArray deriveKeyFromPassphrase(QByteArrayView passphrase, QByteArrayView identityHint)
{
    const QByteArray salt = QByteArray(PassphraseSaltPrefix).append(identityHint);
    QByteArray key(PassphraseKeyLength, Qt::Uninitialized);
    const int ok = PKCS5_PBKDF2_HMAC(passphrase.data(), int(passphrase.size()),
                                     reinterpret_cast<const unsigned char *>(salt.constData()),
                                     int(salt.size()), PassphraseIterations, EVP_sha256(),
                                     int(key.size()), reinterpret_cast<unsigned char *>(key.data()));
    if (ok != 1)
        return QByteArray();
    return key;
}

} // namespace PskExample
