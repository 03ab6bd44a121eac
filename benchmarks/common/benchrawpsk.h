// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_BENCHRAWPSK_H
#define QTPSK_BENCHRAWPSK_H

// The raw OpenSSL PSK callbacks of the benchmarks (bench_raw, and the raw side of bench_engine):
// they answer with the benchmark identity and key of benchcommon.h.

#include "common/benchcommon.h"

#include <openssl/ssl.h>

#include <cstring>

namespace QtPskBench {

// The server's callback: the benchmark key for the benchmark identity, nothing for any other.
inline unsigned int rawPskServer(SSL *, const char *identity, unsigned char *psk, unsigned int maxPsk)
{
    if (!identity || std::strcmp(identity, kIdentity) != 0 || maxPsk < sizeof kKey)
        return 0;
    std::memcpy(psk, kKey, sizeof kKey);
    return sizeof kKey;
}

// The client's callback: the benchmark identity and key, whatever the hint.
inline unsigned int rawPskClient(SSL *, const char *, char *identity, unsigned int maxIdentity,
                                 unsigned char *psk, unsigned int maxPsk)
{
    if (maxIdentity < sizeof kIdentity || maxPsk < sizeof kKey)
        return 0;
    std::memcpy(identity, kIdentity, sizeof kIdentity);
    std::memcpy(psk, kKey, sizeof kKey);
    return sizeof kKey;
}

} // namespace QtPskBench

#endif // QTPSK_BENCHRAWPSK_H
