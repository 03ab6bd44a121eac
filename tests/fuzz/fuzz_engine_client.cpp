// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
//
// fuzz_engine_client: a client TlsEngine (PSK configured) fed arbitrary bytes as its server's.
// Input: config byte (TLS 1.2 and 1.3 set-ups, see engineConfigs()), stage byte (no prefix, after
// one real round trip, after a real handshake, or the payload encrypted by the real server),
// chunk-size seed, then the payload. See fuzzsupport.h.

#include "fuzzsupport.h"

#include <cstddef>
#include <cstdint>

QTPSK_FUZZ_TARGET(QtPskFuzz::fuzzEngine(/* clientUnderTest */ true, data, size))
