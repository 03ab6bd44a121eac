// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QtPsk against stunnel4 with PSKsecrets in front of /bin/cat (an exact echo). stunnel sends no
// identity hint and has no PSK client mode we use, so QtPsk is the client only.
// Rows marked "issue 5" change when QtPsk offers a TLS 1.3 PSK by default.
#include "interopharness.h"

#include <gtest/gtest.h>

using namespace QtPskInterop;

namespace {

ClientRow base(const char *name, const char *scenario, TlsVersion version = TlsVersion::V1_2)
{
    ClientRow row = namedRow<ClientRow>(name, scenario, QStringLiteral("PSK"));
    row.server.version = version;
    if (version == TlsVersion::V1_3) {
        row.client.protocol = QSsl::TlsV1_3;
        row.client.tls13PskVariable = true;
        row.cipherLabel = QStringLiteral("TLS 1.3 default suites");
    }
    row.hint.clear(); // stunnel never sends a hint
    return row;
}

// stunnel refuses to start with identities of 256 bytes or more: 255 is its maximum too, and the
// over-long identity row stays within it.
std::vector<ClientRow> clientRows()
{
    std::vector<ClientRow> rows = commonClientRows(PeerClientRows{
            [](const char *name, const char *scenario, bool tls13) {
                return base(name, scenario, tls13 ? TlsVersion::V1_3 : TlsVersion::V1_2);
            },
            "Tls12Echo", "success, data echoed (hint absent)", "Tls13Echo", "success, data echoed",
            QSsl::AlertType::UnknownPskIdentity, QSsl::AlertType::HandshakeFailure});
    ClientRow ecdhe = base("Tls12EcdhePskEcho", "success, data echoed (hint absent)");
    ecdhe.server.cipher = QStringLiteral("kECDHEPSK");
    ecdhe.cipherLabel = QStringLiteral("kECDHEPSK");
    insertAfter(rows, "Tls12Echo", ecdhe);
    return rows;
}

QTPSK_INTEROP_CLIENT_MATRIX(StunnelInterop, PeerKind::Stunnel, clientRows(),
                            QTPSK_REQUIRE_PEER(PeerKind::Stunnel));

} // namespace
