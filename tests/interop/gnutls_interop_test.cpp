// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QtPsk against GnuTLS, a TLS stack independent of OpenSSL: a QSslSocket client against
// gnutls-serv --echo (kept on loopback by the LD_PRELOAD bind shim), and a QSslServer against
// gnutls-cli. Rows marked "issue 5" change when QtPsk offers a TLS 1.3 PSK by default.
#include "interopharness.h"

#include <gtest/gtest.h>

using namespace QtPskInterop;

namespace {

const QByteArray serverHint = QByteArrayLiteral("gnutls-hint");

QString tls12Priority(const char *kx)
{
    return QStringLiteral("NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+%1").arg(QLatin1String(kx));
}

const QString tls13Priority = QStringLiteral("NORMAL:-VERS-ALL:+VERS-TLS1.3:+PSK:+DHE-PSK:+ECDHE-PSK");

ClientRow base(const char *name, const char *scenario, const char *kx = "PSK")
{
    ClientRow row = namedRow<ClientRow>(name, scenario, QString::fromLatin1(kx));
    row.server.cipher = tls12Priority(kx);
    row.server.hint = serverHint;
    row.hint = serverHint;
    return row;
}

ClientRow tls13(const char *name, const char *scenario, const QString &priority = tls13Priority)
{
    ClientRow row = base(name, scenario);
    row.cipherLabel = QStringLiteral("TLS 1.3 psk_dhe_ke");
    row.server.cipher = priority;
    row.client.protocol = QSsl::TlsV1_3;
    row.client.tls13PskVariable = true;
    row.hint.clear();
    return row;
}

// Quirk: GnuTLS hides which identities exist: an unknown one looks like a wrong key in TLS 1.2.
std::vector<ClientRow> clientRows()
{
    std::vector<ClientRow> rows = commonClientRows(PeerClientRows{
            [](const char *name, const char *scenario, bool isTls13) {
                return isTls13 ? tls13(name, scenario) : base(name, scenario);
            },
            "Tls12PskEcho", "success, data echoed", "Tls13Echo", "success, data echoed",
            QSsl::AlertType::BadRecordMac, QSsl::AlertType::IllegalParameter});
    insertAfter(rows, "Tls12PskEcho", base("Tls12DhePskEcho", "success, data echoed", "DHE-PSK"));
    insertAfter(rows, "Tls12PskEcho", base("Tls12EcdhePskEcho", "success, data echoed", "ECDHE-PSK"));
    insertAfter(rows, "Tls12PskEchoIpv6", withoutHint(base("Tls12NoHint", "hint absent")));
    {   // psk_ke only: OpenSSL's client offers only psk_dhe_ke, so there is no common PSK mode.
        ClientRow r = failed(tls13("Tls13PskKeOnly", "psk_ke only on the peer",
                                   QStringLiteral("NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+PSK")),
                             QSsl::AlertType::HandshakeFailure);
        r.cipherLabel = QStringLiteral("TLS 1.3 psk_ke");
        r.emissions = 1;
        insertAfter(rows, "Tls13UnknownIdentity", r);
    }
    rowNamed(rows, "DefaultProtocol").server.cipher = QStringLiteral("NORMAL:+PSK:+DHE-PSK:+ECDHE-PSK");
    return rows;
}

QTPSK_INTEROP_CLIENT_MATRIX(GnuTlsServerInterop, PeerKind::GnuTlsServer, clientRows(),
                            QTPSK_REQUIRE_PEER(PeerKind::GnuTlsServer));

// ---- QtPsk as the server, gnutls-cli as the client --------------------------------------------

ServerRow serverBase(const char *name, const char *scenario)
{
    ServerRow row = namedRow<ServerRow>(name, scenario, QStringLiteral("default"));
    // No ECDHE-PSK: QtPsk's server prefers its own order (as Qt's does, SslOptionDisableServer-
    // CipherPreference off), which puts ECDHE-PSK first, and gnutls-cli 3.7.9 crashes (SIGSEGV)
    // after a TLS 1.2 ECDHE-PSK handshake (peers.md; measured with ChaCha20 too).
    row.client.cipher = QStringLiteral("NORMAL:-VERS-ALL:+VERS-TLS1.2:+PSK:+DHE-PSK");
    row.server.hint = serverHint;
    row.clientShowsHint = serverHint;
    return row;
}

ServerRow serverTls13(const char *name, const char *scenario)
{
    ServerRow row = onTls13(serverBase(name, scenario));
    row.client.cipher = tls13Priority;
    return row;
}

std::vector<ServerRow> serverRows()
{
    std::vector<ServerRow> rows;
    rows.push_back(serverBase("Tls12Echo", "success, data echoed"));
    rows.push_back(onIpv6(serverBase("Tls12EchoIpv6", "success, data echoed")));
    rows.push_back(withoutHint(serverBase("Tls12NoHint", "hint absent")));
    rows.push_back(withWrongKey(serverBase("Tls12WrongKey", "wrong key"), QSsl::AlertType::BadRecordMac));
    rows.push_back(withUnknownIdentity(serverBase("Tls12UnknownIdentity", "unknown identity"),
                                       QSsl::AlertType::UnknownPskIdentity));
    {   // OpenSSL servers accept identities up to 256 bytes; GnuTLS sends longer ones, refused
        // with decode_error before the slot is asked.
        ServerRow r = failedSending(serverBase("Tls12OverlongIdentity", "over-long identity (300 B)"),
                                    QSsl::AlertType::DecodeError);
        r.client.identity = printableDistinctBytes(300);
        r.emissions = 0;
        rows.push_back(r);
    }
    // QtPsk uses the first 512 bytes of the server's key; GnuTLS uses all 600: no match.
    rows.push_back(withKeyOfLength(failedSending(serverBase("Tls12OverlongKey",
                                                            "over-long key (600 B on both sides)"),
                                                 QSsl::AlertType::BadRecordMac),
                                   600));
    appendServerTls13Rows(rows, serverTls13);
    return rows;
}

QTPSK_INTEROP_SERVER_MATRIX(GnuTlsClientInterop, ClientKind::GnuTlsClient, serverRows(),
                            QTPSK_REQUIRE_PROGRAM("gnutls-cli"));

} // namespace
