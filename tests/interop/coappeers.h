// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The libcoap fixture: coap-server-openssl or coap-server-gnutls (Debian libcoap3-bin) serving
// CoAP over DTLS 1.2 PSK (coaps) on a free UDP port of 127.0.0.1, waited for (bounded) and
// stopped by PID. Qt6::Core only, so that tests of any build of a CoAP client can use it.
#ifndef QTPSK_COAPPEERS_H
#define QTPSK_COAPPEERS_H

#include <QtCore/qbytearray.h>
#include <QtCore/qglobal.h>
#include <QtCore/qstring.h>

#include <memory>

#include "common/testsupport.h"

namespace QtPskInterop {

enum class CoapBackend { OpenSsl, GnuTls };

// "coap-server-openssl" or "coap-server-gnutls".
const char *coapServerProgram(CoapBackend backend);

struct CoapServerOptions
{
    // The client's identity: with -k, libcoap's server takes any identity.
    QByteArray identity = QByteArrayLiteral("client1");
    QByteArray key = QByteArrayLiteral("secretPSK"); // libcoap takes -k as given, not in hex
    QByteArray hint = QByteArrayLiteral("coap-hint");
};

// One running coap-server. start() picks a free pair of UDP ports (libcoap serves plain CoAP on
// one and coaps on the next), starts the server on 127.0.0.1 and waits until the coaps port is
// bound; the destructor stops it by PID.
class CoapServer
{
public:
    Q_DISABLE_COPY(CoapServer)
    ~CoapServer();

    // Returns nullptr and fills \a error when the server cannot be started.
    static std::unique_ptr<CoapServer> start(CoapBackend backend, const CoapServerOptions &options,
                                             QString *error);

    quint16 coapsPort() const { return m_port; }
    qint64 pid() const { return m_process.pid(); }
    bool isRunning() const { return m_process.isRunning(); }
    QByteArray log() const { return m_process.output(); }
    void stop() { m_process.stop(); }

private:
    CoapServer() = default;

    quint16 m_port = 0;
    QtPskTest::PeerProcess m_process;
};

// True once a UDP socket is bound to 127.0.0.1:\a port (read from /proc/net/udp, no probe
// datagram). Bounded by \a timeoutMs.
bool waitForUdpBound(quint16 port, int timeoutMs = 10000);

} // namespace QtPskInterop

// Skips the current test, or fails it in CI, when the libcoap server is not installed.
#define QTPSK_REQUIRE_COAP_SERVER(backend)                                                      \
    QTPSK_REQUIRE_FOUND(::QtPskTest::findProgram(QString::fromLatin1(                           \
                                ::QtPskInterop::coapServerProgram(backend))),                   \
                        ::QtPskInterop::coapServerProgram(backend))

#endif // QTPSK_COAPPEERS_H
