// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "ssl/tls13pskpolicy_p.h"

#include "qtpsklogging_p.h"

#include <QtCore/qhash.h>

#include <openssl/ssl.h>

#include <atomic>
#include <mutex>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

namespace {

// The peers that refused a ClientHello without a TLS 1.3 PSK, with when they were last seen.
struct PeerMemory
{
    std::mutex mutex;
    QHash<Tls13PskPeer, quint64> peers;
    quint64 clock = 0;
    std::atomic<bool> empty{true}; // read without the lock by negotiatedTls12()
};

PeerMemory &peerMemory()
{
    static PeerMemory memory;
    return memory;
}

} // namespace

size_t qHash(const Tls13PskPeer &peer, size_t seed) noexcept
{
    return qHashMulti(seed, peer.host, peer.port, peer.settings);
}

bool Tls13PskPolicy::environmentAsksForTls13Psk()
{
    return qEnvironmentVariableIsSet("QT_USE_TLS_1_3_PSK");
}

Tls13PskPolicy::Decision Tls13PskPolicy::decide(QSsl::Tls13PreSharedKeyMode mode,
                                                bool slotConnected, const Tls13PskPeer &peer)
{
    switch (mode) {
    case QSsl::Tls13PreSharedKeyMode::Always:
        return {Tls13Psk::Offer, false};
    case QSsl::Tls13PreSharedKeyMode::QtCompatible:
        return {environmentAsksForTls13Psk() ? Tls13Psk::QtOptIn : Tls13Psk::QtCompatible, false};
    case QSsl::Tls13PreSharedKeyMode::Automatic:
        break;
    }
    if (environmentAsksForTls13Psk())
        return {Tls13Psk::Offer, false};
    if (!slotConnected)
        return {Tls13Psk::QtCompatible, false}; // nobody could answer a second ClientHello
    // A client that cannot do TLS 1.2 has no hint to wait for: its one emission is at the
    // ClientHello, as TLS 1.3 has it.
    if (peer.settings.minVersion >= TLS1_3_VERSION)
        return {Tls13Psk::Offer, false};
    PeerMemory &memory = peerMemory();
    const std::lock_guard<std::mutex> lock(memory.mutex);
    const auto it = memory.peers.find(peer);
    if (it != memory.peers.end()) {
        it.value() = ++memory.clock;
        return {Tls13Psk::Offer, false};
    }
    return {Tls13Psk::QtCompatible, true};
}

void Tls13PskPolicy::rememberWantsPsk(const Tls13PskPeer &peer)
{
    PeerMemory &memory = peerMemory();
    const std::lock_guard<std::mutex> lock(memory.mutex);
    memory.peers.insert(peer, ++memory.clock);
    memory.empty = false;
    if (memory.peers.size() > RememberedPeers) {
        auto oldest = memory.peers.begin();
        for (auto it = memory.peers.begin(); it != memory.peers.end(); ++it) {
            if (it.value() < oldest.value())
                oldest = it;
        }
        memory.peers.erase(oldest);
    }
    qCDebug(lcQtPskSsl, "a server refused a ClientHello without a TLS 1.3 PSK; %lld peers remembered",
            static_cast<long long>(memory.peers.size()));
}

void Tls13PskPolicy::negotiatedTls12(const Tls13PskPeer &peer)
{
    PeerMemory &memory = peerMemory();
    if (memory.empty)
        return; // the common case costs no lock
    const std::lock_guard<std::mutex> lock(memory.mutex);
    memory.peers.remove(peer);
    memory.empty = memory.peers.isEmpty();
}

void Tls13PskPolicy::forgetPeers()
{
    PeerMemory &memory = peerMemory();
    const std::lock_guard<std::mutex> lock(memory.mutex);
    memory.peers.clear();
    memory.empty = true;
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
