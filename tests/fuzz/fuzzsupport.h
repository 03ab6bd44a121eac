// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_FUZZSUPPORT_H
#define QTPSK_FUZZSUPPORT_H

// What the fuzz targets share: deterministic randomness, an input reader, the engine set-ups and
// the in-memory pumping of two engines. Used by the libFuzzer binaries, by the replay test and by
// the seed generator alike, so that a seed recorded once replays to the same bytes everywhere.

#include "common/enginepump.h"
#include "engine/tlscontext_p.h"
#include "engine/tlsengine_p.h"
#include "engine/tlssessionstore_p.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qglobal.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace QtPskFuzz {

using QtPskPrivate::TlsContext;
using QtPskPrivate::TlsEngine;
using QtPskPrivate::TlsSettings;

// Fails the run: libFuzzer and the replay test both see an abort. Names the invariant only; never
// any key or identity bytes.
[[noreturn]] void violated(const char *invariant);

// Process-wide set-up: deterministic OpenSSL randomness, no QT_USE_TLS_1_3_PSK. Idempotent.
void initialize();

// OpenSSL's randomness is replaced by three fixed streams (RAND_set_rand_method): one for the
// contexts, which live across inputs, and one per engine role, reset at every input. An engine
// then draws the same bytes whatever the other engine does, so that recorded flights stay valid.
enum class RandomStream { Setup, Client, Server };
void resetRandom();
class RandomScope
{
public:
    explicit RandomScope(RandomStream stream);
    ~RandomScope();
    Q_DISABLE_COPY(RandomScope)

private:
    RandomStream m_previous;
};

// Reads a fuzz input front to back; reads past the end give zeros and empty arrays.
class FuzzInput
{
public:
    FuzzInput(const std::uint8_t *data, std::size_t size) : m_data(data), m_left(size) { }
    std::uint8_t byte();
    quint16 u16();
    QByteArray bytes(std::size_t count); // at most what is left
    QByteArray lengthPrefixed(); // a u16 length, then that many bytes (fewer at the end)
    QByteArray rest();
    std::size_t left() const { return m_left; }

private:
    const std::uint8_t *m_data;
    std::size_t m_left;
};

// Cuts a payload into feeds: seed 0 feeds it whole, any other seed gives pseudo-random sizes
// from 1 to 8 * seed bytes.
class Chunker
{
public:
    explicit Chunker(std::uint8_t seed) : m_seed(seed), m_state(0x9e3779b97f4a7c15ULL ^ seed) { }
    qsizetype next(qsizetype remaining);

private:
    std::uint8_t m_seed;
    std::uint64_t m_state;
};

// Fixed or scripted PSK answers (no copy of the requests kept).
struct Credentials : QtPskTest::EngineCredentials
{
    Credentials() { keepRequests = false; }
};

// One client/server set-up the engine targets choose from by the input's first byte.
struct EngineConfig
{
    const char *name;
    TlsSettings client;
    TlsSettings server;
};
const std::vector<EngineConfig> &engineConfigs();

// The credentials every engine config uses.
QByteArray fixedHint();
QByteArray fixedIdentity();
QByteArray fixedKey();

// A client and a server engine in memory. Each engine call runs with its own random stream.
class EnginePair
{
public:
    // Without callbacks of its own, an engine answers with clientCredentials/serverCredentials
    // (the fixed identity and key).
    // \a serverSessions: the store of the "server object" (a new one if null), so that a later
    // pair given the same store can resume a session of this one.
    EnginePair(std::shared_ptr<TlsContext> clientContext, std::shared_ptr<TlsContext> serverContext,
               QtPskPrivate::TlsEngineCallbacks *clientCallbacks = nullptr,
               QtPskPrivate::TlsEngineCallbacks *serverCallbacks = nullptr,
               std::shared_ptr<QtPskPrivate::TlsSessionStore> serverSessions = {});

    const std::shared_ptr<QtPskPrivate::TlsSessionStore> &sessions() const { return m_sessions; }

    TlsEngine &engine(bool client) { return client ? *m_client : *m_server; }
    Credentials &credentials(bool client) { return client ? clientCredentials : serverCredentials; }

    // One handshake step (then reads whatever plaintext is there) with the engine's stream.
    TlsEngine::Result step(bool client);
    // Moves the pending output of one engine into the other in one feed and steps the receiver.
    // Appends the moved bytes to *record if given. Returns whether anything moved.
    bool deliver(bool fromClient, QByteArray *record = nullptr);
    // Pumps both ways until nothing moves (at most \a rounds round trips).
    void run(int rounds, QByteArray *toClient = nullptr, QByteArray *toServer = nullptr);
    // Writes \a data through one engine (its stream), as far as it takes it.
    void write(bool client, const QByteArray &data);
    void shutdown(bool client);

    Credentials clientCredentials;
    Credentials serverCredentials;
    QByteArray clientReceived; // plaintext read by the client
    QByteArray serverReceived;

private:
    std::shared_ptr<QtPskPrivate::TlsSessionStore> m_sessions;
    std::unique_ptr<TlsEngine> m_client;
    std::unique_ptr<TlsEngine> m_server;
};

// Reads every byte of plaintext \a engine has; returns the last result.
TlsEngine::Result drain(TlsEngine &engine, QByteArray *into);

// Empties the session cache of a server context, so that no input resumes a session an earlier
// input left behind.
void flushSessions(const std::shared_ptr<TlsContext> &context);

// What one run of a target did, for the replay test (determinism, valid seeds).
struct Outcome
{
    bool handshakeComplete = false;
    bool failed = false;
    bool closed = false;
    bool sessionReused = false;
    QByteArray output; // every byte the engine under test wrote
    QByteArray plaintext; // every byte it decrypted
};

// The engine targets. The input: config byte, stage byte, chunk seed, then the payload that is
// fed to the engine under test as its peer's bytes. The stage byte's low nibble picks the Stage;
// bit 4 (kResume) first runs a whole real handshake and has the client resume its session, bit 5
// (kServerName) has the client send SNI. With \a recordedPayload the payload is
// ignored instead: the real peer carries on after the prefix and every byte it sends to the
// engine under test is stored there (the seed generator's mode).
enum class Stage {
    None, // no prefix: the payload is the peer's first flight
    FirstRoundTrip, // after one real round trip: the payload follows the peer's first flight
    Complete, // after a real handshake and application data both ways
    Encrypted, // as Complete, then the real peer encrypts the payload and closes
    Count,
};
constexpr std::uint8_t kResume = 0x10;
constexpr std::uint8_t kServerName = 0x20;
Outcome fuzzEngine(bool clientUnderTest, const std::uint8_t *data, std::size_t size,
                   QByteArray *recordedPayload = nullptr);

// The PSK path target: see fuzz_psk_path.cpp.
Outcome fuzzPskPath(const std::uint8_t *data, std::size_t size);

// The datagram engine target: see fuzz_dtls_engine.cpp. With \a recordedPayload the input's
// datagrams are ignored: the real peer answers the engine under test and what it sends is stored
// there, length-prefixed (the seed generator's mode).
Outcome fuzzDtlsEngine(const std::uint8_t *data, std::size_t size,
                       QByteArray *recordedPayload = nullptr);

} // namespace QtPskFuzz

// Defines a libFuzzer target's entry points: initialize() once, then \a call (an expression that
// reads `data` and `size`) for each input. Expands to nothing outside a libFuzzer build.
#ifdef QTPSK_FUZZ_LIBFUZZER
#define QTPSK_FUZZ_TARGET(call)                                                                      \
    extern "C" int LLVMFuzzerInitialize(int *, char ***)                                             \
    {                                                                                                \
        QtPskFuzz::initialize();                                                                     \
        return 0;                                                                                    \
    }                                                                                                \
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)                \
    {                                                                                                \
        (void)(call);                                                                                \
        return 0;                                                                                    \
    }
#else
#define QTPSK_FUZZ_TARGET(call)
#endif

#endif // QTPSK_FUZZSUPPORT_H
