// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_TLS13PSKPOLICY_P_H
#define QTPSK_TLS13PSKPOLICY_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qssl.h>

#include "engine/tlscontext_p.h"
#include "qtpsk_p.h"

#include <QtCore/qstring.h>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

// One server as a client sees it: the name it connects to, the address and port, and the
// client's settings (with tls13Psk as for a first ClientHello).
struct Tls13PskPeer
{
    QString host;
    quint16 port = 0;
    TlsSettings settings;

    friend bool operator==(const Tls13PskPeer &lhs, const Tls13PskPeer &rhs) noexcept
    {
        return lhs.host == rhs.host && lhs.port == rhs.port && lhs.settings == rhs.settings;
    }
};

size_t qHash(const Tls13PskPeer &peer, size_t seed = 0) noexcept;

// When a client offers a TLS 1.3 external PSK: decided here, once per handshake.
//
// QSsl::Tls13PreSharedKeyMode::Always offers it in every ClientHello (one emission, at the
// ClientHello, with a null hint); QtCompatible is Qt's behaviour (QT_USE_TLS_1_3_PSK included).
// Automatic, the default, starts as Qt does: no TLS 1.3 PSK, so a server that picks TLS 1.2 gets
// Qt's single emission with its hint. When a server refuses that ClientHello for want of a PSK
// (handshake_failure before any ServerHello) and the client's slot is connected, the socket
// connects again, at once and without any signal, and offers the PSK; the peer is remembered
// (per host, address, port and settings; the 256 most recent), so that later connections offer
// it in their first ClientHello. A client limited to TLS 1.3 (QSsl::TlsV1_3, TlsV1_3OrLater) has
// no TLS 1.2 hint to wait for and offers at once; so does QT_USE_TLS_1_3_PSK in Automatic mode.
// Thread-safe.
class Tls13PskPolicy
{
public:
    struct Decision
    {
        Tls13Psk offer = Tls13Psk::QtCompatible;
        // Automatic: connect again with Tls13Psk::Offer if the server refuses the first ClientHello.
        bool retryOnRefusal = false;
    };

    // QT_USE_TLS_1_3_PSK is set (read on each call, as Qt reads it on each handshake): the
    // socket's one reading of the variable.
    static bool environmentAsksForTls13Psk();
    static Decision decide(QSsl::Tls13PreSharedKeyMode mode, bool slotConnected,
                           const Tls13PskPeer &peer);
    // The server of \a peer refused a ClientHello without a TLS 1.3 PSK.
    static void rememberWantsPsk(const Tls13PskPeer &peer);
    // A handshake with \a peer negotiated TLS 1.2: it is no longer remembered.
    static void negotiatedTls12(const Tls13PskPeer &peer);
    // Forgets every remembered peer (tests).
    static void forgetPeers();

    static constexpr int RememberedPeers = 256;
};

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE

#endif // QTPSK_TLS13PSKPOLICY_P_H
