// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Turning a passphrase into a pre-shared key for the examples.
#ifndef QTPSK_EXAMPLES_PASSPHRASEKDF_H
#define QTPSK_EXAMPLES_PASSPHRASEKDF_H

#include <QtCore/qbytearray.h>
#include <QtCore/qbytearrayview.h>

namespace PskExample {

// The fixed parameters of the example KDF. Changing any of them changes every derived key.
inline constexpr char PassphraseSaltPrefix[] = "QtPsk example v1:";
inline constexpr int PassphraseIterations = 100000;
inline constexpr int PassphraseKeyLength = 32;

// Derives a 32-byte key: PBKDF2-HMAC-SHA256 (OpenSSL's PKCS5_PBKDF2_HMAC) over \a passphrase,
// salt = "QtPsk example v1:" + \a identityHint (the hint the server sends; empty if none),
// 100000 iterations. Returns an empty QByteArray if OpenSSL fails.
//
// What it protects: the iterations make every guess of an attacker who recorded a handshake
// (or who plays server) 100000 times dearer, and the salt keeps one precomputed table from
// serving servers with different hints. What it does not protect: a guessable passphrase stays
// guessable; the salt is public (the hint goes over the wire in clear text); a rogue server
// chooses its own hint; plain PSK suites have no forward secrecy. For real deployments prefer a
// random 32-byte key (--key) over a passphrase.
QByteArray deriveKeyFromPassphrase(QByteArrayView passphrase, QByteArrayView identityHint);

} // namespace PskExample

#endif // QTPSK_EXAMPLES_PASSPHRASEKDF_H
