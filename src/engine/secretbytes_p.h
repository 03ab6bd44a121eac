// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_SECRETBYTES_P_H
#define QTPSK_SECRETBYTES_P_H

// Internal to QtPsk: not installed, not part of the API.
//
// Copies of identities and keys that the engine owns alone, and their wiping.

#include "qtpsk_p.h"

#include <QtCore/qbytearray.h>

#include <openssl/crypto.h>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

// Deep-copies \a bytes, so that wiping the copy never touches memory someone else shares.
inline QByteArray detachedCopy(const QByteArray &bytes)
{
    return QByteArray(bytes.constData(), bytes.size());
}

// Deep-copies the first \a maxSize bytes of \a bytes in one step. QByteArray::left() would make
// a temporary copy of its own when it cuts, and release it unwiped.
inline QByteArray detachedCopy(const QByteArray &bytes, qsizetype maxSize)
{
    return QByteArray(bytes.constData(), qBound<qsizetype>(0, maxSize, bytes.size()));
}

// Overwrites \a bytes (OPENSSL_cleanse) and empties it.
inline void wipe(QByteArray &bytes)
{
    if (!bytes.isEmpty())
        OPENSSL_cleanse(bytes.data(), size_t(bytes.size()));
    bytes.clear();
}

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE

#endif // QTPSK_SECRETBYTES_P_H
