// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QtPsk against stunnel4 with PSKsecrets in front of /bin/cat (an exact echo). stunnel sends no
// identity hint and has no PSK client mode we use, so QtPsk is the client only.
// Rows marked "issue 5" change when QtPsk offers a TLS 1.3 PSK by default.
#include "interopharness.h"

#include <gtest/gtest.h>

using namespace QtPskInterop;

namespace {

const QByteArray wrongKeyHex = QByteArrayLiteral("ffeeddccbbaa99887766554433221100");

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

ClientRow failed(ClientRow row, QSsl::AlertType received)
{
    row.success = false;
    row.fatalReceived = {fatal(received)};
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
    {
        ClientRow r = base("Tls12EchoIpv6", "success, data echoed (hint absent)");
        r.server.host = QStringLiteral("::1");
        rows.push_back(r);
    }
    {
        ClientRow r = failed(base("Tls12WrongKey", "wrong key"), QSsl::AlertType::BadRecordMac);
        r.client.key = QByteArray::fromHex(wrongKeyHex);
        rows.push_back(r);
    }
    {
        ClientRow r = failed(base("Tls12UnknownIdentity", "unknown identity"), QSsl::AlertType::UnknownPskIdentity);
        r.client.identity = QByteArrayLiteral("nobody");
        rows.push_back(r);
    }
    {   // stunnel refuses to start with identities of 256 bytes or more: 255 is its maximum too.
        ClientRow r = base("Tls12OverlongIdentityTruncatedTo255", "over-long identity (300 B, sent as 255 B)");
        r.client.identity = QByteArray(300, 's');
        r.server.identity = QByteArray(255, 's');
        rows.push_back(r);
    }
    {
        ClientRow r = base("Tls12OverlongKeyTruncatedTo512", "over-long key (600 B, used as 512 B)");
        QByteArray key;
        for (int i = 0; i < 600; ++i)
            key += char(i * 7 + 2);
        r.client.key = key;
        r.server.keyHex = key.left(512).toHex();
        rows.push_back(r);
    }
    rows.push_back(base("Tls13Echo", "success, data echoed", TlsVersion::V1_3));
    {
        ClientRow r = base("Tls13EchoIpv6", "success, data echoed", TlsVersion::V1_3);
        r.server.host = QStringLiteral("::1");
        rows.push_back(r);
    }
    {
        ClientRow r = failed(base("Tls13WrongKey", "wrong key", TlsVersion::V1_3), QSsl::AlertType::IllegalParameter);
        r.client.key = QByteArray::fromHex(wrongKeyHex);
        rows.push_back(r);
    }
    {
        ClientRow r = failed(base("Tls13UnknownIdentity", "unknown identity", TlsVersion::V1_3),
                             QSsl::AlertType::HandshakeFailure);
        r.client.identity = QByteArrayLiteral("nobody");
        rows.push_back(r);
    }
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
