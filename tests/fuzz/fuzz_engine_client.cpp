// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
//
// fuzz_engine_client: a client TlsEngine (PSK configured) fed arbitrary bytes as its server's.
// Input: config byte (TLS 1.2 and 1.3 set-ups, see engineConfigs()), stage byte (no prefix, after
// one real round trip, after a real handshake, or the payload encrypted by the real server),
// chunk-size seed, then the payload. See fuzzsupport.h.

#include "fuzzsupport.h"

#include <cstddef>
#include <cstdint>

#ifdef QTPSK_FUZZ_LIBFUZZER
extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    QtPskFuzz::initialize();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    QtPskFuzz::fuzzEngine(/* clientUnderTest */ true, data, size);
    return 0;
}
#endif
