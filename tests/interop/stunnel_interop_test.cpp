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
    ClientRow row;
    row.name = name;
    row.scenario = QString::fromLatin1(scenario);
    row.cipherLabel = QStringLiteral("PSK");
    row.server.version = version;
    if (version == TlsVersion::V1_3) {
        row.client.protocol = QSsl::TlsV1_3;
        row.client.tls13PskVariable = true;
        row.cipherLabel = QStringLiteral("TLS 1.3 default suites");
    }
    row.hint.clear(); // stunnel never sends a hint
    return row;
}

std::vector<ClientRow> clientRows()
{
    std::vector<ClientRow> rows;
    rows.push_back(base("Tls12Echo", "success, data echoed (hint absent)"));
    {
        ClientRow r = base("Tls12EcdhePskEcho", "success, data echoed (hint absent)");
        r.server.cipher = QStringLiteral("kECDHEPSK");
        r.cipherLabel = QStringLiteral("kECDHEPSK");
        rows.push_back(r);
    }
    rows.push_back(onIpv6(base("Tls12EchoIpv6", "success, data echoed (hint absent)")));
    rows.push_back(withWrongKey(base("Tls12WrongKey", "wrong key"), QSsl::AlertType::BadRecordMac));
    rows.push_back(withUnknownIdentity(base("Tls12UnknownIdentity", "unknown identity"),
                                       QSsl::AlertType::UnknownPskIdentity));
    // stunnel refuses to start with identities of 256 bytes or more: 255 is its maximum too.
    rows.push_back(withOverlongIdentity(
            base("Tls12OverlongIdentityTruncatedTo255", "over-long identity (300 B, sent as 255 B)")));
    rows.push_back(withOverlongKey(
            base("Tls12OverlongKeyTruncatedTo512", "over-long key (600 B, used as 512 B)")));
    rows.push_back(base("Tls13Echo", "success, data echoed", TlsVersion::V1_3));
    rows.push_back(onIpv6(base("Tls13EchoIpv6", "success, data echoed", TlsVersion::V1_3)));
    rows.push_back(withWrongKey(base("Tls13WrongKey", "wrong key", TlsVersion::V1_3),
                                QSsl::AlertType::IllegalParameter));
    rows.push_back(withUnknownIdentity(base("Tls13UnknownIdentity", "unknown identity", TlsVersion::V1_3),
                                       QSsl::AlertType::HandshakeFailure));
    {   // Issue 5: see expectDefaultProtocolAgainstTls12And13().
        ClientRow r = base("DefaultProtocol", "default protocol, peer TLS 1.2+1.3");
        rows.push_back(expectDefaultProtocolAgainstTls12And13(r));
    }
    return rows;
}

class StunnelInterop : public ::testing::TestWithParam<ClientRow>
{
};

TEST_P(StunnelInterop, QtPskClientReportsWhatThePeerDid)
{
    QTPSK_REQUIRE_PEER(PeerKind::Stunnel);
    runClientRow(PeerKind::Stunnel, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Matrix, StunnelInterop, ::testing::ValuesIn(clientRows()),
                         [](const ::testing::TestParamInfo<ClientRow> &row) { return row.param.name; });

} // namespace
