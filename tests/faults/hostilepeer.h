// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Hostile peers for the fault tests: the raw loopback peers of common/rawpeer.h, hand-built TLS
// messages, and an in-process OpenSSL endpoint over memory BIOs that completes a real PSK handshake and then
// misbehaves (resets in the middle of a record, writes byte by byte, ...). Every wait is bounded,
// so that a peer thread always ends and can be joined.
#ifndef QTPSK_FAULTS_HOSTILEPEER_H
#define QTPSK_FAULTS_HOSTILEPEER_H

#include <QtCore/qbytearray.h>
#include <QtCore/qglobal.h>
#include <QtCore/qlist.h>

#include <openssl/ssl.h>

#include "common/rawpeer.h"

#include <memory>

namespace FaultsTest {

// The PSK credentials every good peer in these tests uses.
QByteArray goodIdentity();
QByteArray goodKey();
QByteArray goodHint();

// The raw socket helpers and the scripted peers (tests/common/rawpeer.h), shared with the other
// tests.
using QtPskTest::listenLoopback;
using QtPskTest::connectLoopback;
using QtPskTest::acceptWithin;
using QtPskTest::readSome;
using QtPskTest::readExactly;
using QtPskTest::readRecord;
using QtPskTest::waitForEnd;
using QtPskTest::writeAll;
using QtPskTest::armReset;
using QtPskTest::PeerThread;
using QtPskTest::HostileServer;
using QtPskTest::HostileClient;

// TLS records of \a contentType carrying \a payload, split into fragments of at most 16384 bytes.
QByteArray tlsRecords(quint8 contentType, const QByteArray &payload, quint16 version = 0x0303);
// A handshake message: type, 24-bit length, body.
QByteArray handshakeMessage(quint8 type, const QByteArray &body);

// A TLS 1.2 server flight from a hand-built server: ServerHello choosing \a cipherSuite, a
// ServerKeyExchange carrying \a hint (any length up to 65535) and ServerHelloDone.
QByteArray tls12PskServerFlight(quint16 cipherSuite, const QByteArray &hint);
// A TLS 1.3 ClientHello offering TLS_AES_128_GCM_SHA256 with x25519 and a pre_shared_key
// extension holding \a identities, each with a zero ticket age and a 32-byte binder of garbage.
QByteArray tls13ClientHelloWithIdentities(const QList<QByteArray> &identities);

// --- An OpenSSL TLS 1.2 PSK endpoint over memory BIOs, pumped by hand over a raw socket ---------

class TlsPeer
{
public:
    // Client or server; TLS 1.2 only, the cipher PSK-AES128-GCM-SHA256, goodIdentity()/goodKey(),
    // and goodHint() on a server.
    explicit TlsPeer(bool server);
    ~TlsPeer();
    Q_DISABLE_COPY(TlsPeer)

    // Runs the handshake over \a fd; every outgoing flight is written \a chunk bytes per write()
    // (0: all at once, 1: byte by byte). False on failure or time-out.
    bool handshake(int fd, int timeoutMs, qsizetype chunk = 0);
    // Client: the first flight (the ClientHello records), without writing it anywhere.
    QByteArray clientHello();
    // The records that carry \a plaintext (not written anywhere).
    QByteArray encrypt(const QByteArray &plaintext);
    // Reads and decrypts until at least \a size plaintext bytes arrived (or time-out / end).
    QByteArray readPlaintext(int fd, qsizetype size, int timeoutMs);
    bool isValid() const { return m_ssl != nullptr; }

private:
    QByteArray takeOutput();

    std::unique_ptr<SSL_CTX, void (*)(SSL_CTX *)> m_ctx{nullptr, &SSL_CTX_free};
    std::unique_ptr<SSL, void (*)(SSL *)> m_ssl{nullptr, &SSL_free}; // owns both BIOs
    BIO *m_in = nullptr; // owned by m_ssl
    BIO *m_out = nullptr; // owned by m_ssl
};

} // namespace FaultsTest

#endif // QTPSK_FAULTS_HOSTILEPEER_H
