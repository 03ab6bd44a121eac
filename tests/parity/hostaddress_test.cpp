// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QHostAddress's text parser, row by row: what Qt 6.4 makes of legacy and short IPv4 forms (as
// inet_aton() reads them: "127.1", octal "010.1.2.3", hex "0x7f.1", "2130706433"), of text it
// rejects (trailing dots, overflow, signs, garbage), of IPv6 forms and of scope IDs. Every row was
// measured on Qt6::Network (the QTPSK_PARITY_AGAINST_QTNETWORK build proves them); the QtPsk
// build must give the same. The constructor, setAddress(), isNull(), protocol(), toString() and
// scopeId() must all agree.
#include <QAbstractSocket>
#include <QHostAddress>

#include <QtCore/qstring.h>

#include <gtest/gtest.h>

#include <ostream>

#if !defined(QTPSK_PARITY_AGAINST_QTNETWORK) && defined(QTPSK_NAMESPACE)
QTPSK_USE_NAMESPACE
#endif

namespace {

enum Protocol { Null, IPv4, IPv6 };

struct Row
{
    const char *text;     // the input, Latin-1
    Protocol protocol;    // Null: rejected
    const char *string;   // toString()
    const char *scopeId;  // scopeId()
};

void PrintTo(const Row &row, std::ostream *os) { *os << '"' << row.text << '"'; }

// Measured on Qt 6.4.2 (Debian 12).
const Row rows[] = {
    {"127.0.0.1", IPv4, "127.0.0.1", ""},
    {"127.1", IPv4, "127.0.0.1", ""},
    {"127.0.1", IPv4, "127.0.0.1", ""},
    {"1.2.3", IPv4, "1.2.0.3", ""},
    {"010.1.2.3", IPv4, "8.1.2.3", ""},
    {"0x7f.1", IPv4, "127.0.0.1", ""},
    {"0X7F.0.0.1", IPv4, "127.0.0.1", ""},
    {"2130706433", IPv4, "127.0.0.1", ""},
    {"0x7f000001", IPv4, "127.0.0.1", ""},
    {"017700000001", IPv4, "127.0.0.1", ""},
    {"0b101.1", IPv4, "5.0.0.1", ""},
    {"0", IPv4, "0.0.0.0", ""},
    {"00", IPv4, "0.0.0.0", ""},
    {"0.1", IPv4, "0.0.0.1", ""},
    {"01.02.03.04", IPv4, "1.2.3.4", ""},
    {"000000000127.1", IPv4, "87.0.0.1", ""},
    {"0x7f.0x0.0x0.0x1", IPv4, "127.0.0.1", ""},
    {"0377.1", IPv4, "255.0.0.1", ""},
    {"0400.1", Null, "", ""},
    {"08.1.2.3", Null, "", ""},
    {"09", Null, "", ""},
    {"0x", Null, "", ""},
    {"0x.1", Null, "", ""},
    {"1.0x", Null, "", ""},
    {"0x1g", Null, "", ""},
    {"0b2", Null, "", ""},
    {"1e2", Null, "", ""},
    {"1.2.3.4.", Null, "", ""},
    {"1.2.3.4..", Null, "", ""},
    {"127.1.", Null, "", ""},
    {"1..2", Null, "", ""},
    {".1.2.3", Null, "", ""},
    {"1.2.3.4.5", Null, "", ""},
    {" 1.2.3.4", IPv4, "1.2.3.4", ""},
    {"1.2.3.4 ", IPv4, "1.2.3.4", ""},
    {"\t1.2.3.4\n", IPv4, "1.2.3.4", ""},
    {"1. 2.3.4", IPv4, "1.2.3.4", ""},
    {"1 .2.3.4", Null, "", ""},
    {"1.2.3.4 5", Null, "", ""},
    {"+1.2.3.4", IPv4, "1.2.3.4", ""},
    {"1.+2.3.4", IPv4, "1.2.3.4", ""},
    {"-1.2.3.4", Null, "", ""},
    {"1.2.3.-1", Null, "", ""},
    {"++1", Null, "", ""},
    {"1.2.3.256", Null, "", ""},
    {"256.1.2.3", Null, "", ""},
    {"1.65536", IPv4, "1.1.0.0", ""},
    {"1.16777215", IPv4, "1.255.255.255", ""},
    {"1.16777216", Null, "", ""},
    {"1.2.65535", IPv4, "1.2.255.255", ""},
    {"1.2.0x10000", Null, "", ""},
    {"4294967295", IPv4, "255.255.255.255", ""},
    {"4294967296", Null, "", ""},
    {"0xffffffff", IPv4, "255.255.255.255", ""},
    {"0x100000000", Null, "", ""},
    {"037777777777", IPv4, "255.255.255.255", ""},
    {"040000000000", Null, "", ""},
    {"99999999999999999999999", Null, "", ""},
    {"00000000000000000000001", IPv4, "0.0.0.1", ""},
    {"1.2.3.4%eth0", Null, "", ""},
    {"1.2.3.4/24", Null, "", ""},
    {"127.0.0.1:80", Null, "", ""},
    {"1.2.3.4x", Null, "", ""},
    {"abc", Null, "", ""},
    {"localhost", Null, "", ""},
    {"", Null, "", ""},
    {"   ", Null, "", ""},
    {"::", IPv6, "::", ""},
    {"::1", IPv6, "::1", ""},
    {"::1 ", IPv6, "::1", ""},
    {" ::1", IPv6, "::1", ""},
    {"0:0:0:0:0:0:0:1", IPv6, "::1", ""},
    {"[::1]", Null, "", ""},
    {"::ffff:127.0.0.1", IPv6, "::ffff:127.0.0.1", ""},
    {"::FFFF:1.2.3.4", IPv6, "::ffff:1.2.3.4", ""},
    {"::ffff:127.1", Null, "", ""},
    {"::ffff:1.2.3", Null, "", ""},
    {"::ffff:010.0.0.1", Null, "", ""},
    {"::ffff:0x7f.0.0.1", Null, "", ""},
    {"::ffff:+1.2.3.4", IPv6, "::ffff:1.2.3.4", ""},
    {"::1.2.3.4", IPv6, "::1.2.3.4", ""},
    {"::0.0.0.1", IPv6, "::1", ""},
    {"::0.0.1.2", IPv6, "::102", ""},
    {"::0.1.2.3", IPv6, "::0.1.2.3", ""},
    {"::ffff", IPv6, "::ffff", ""},
    {"::ffff:1:2", IPv6, "::ffff:0.1.0.2", ""},
    {"::256.1.2.3", Null, "", ""},
    {"::1.2.3.4.5", Null, "", ""},
    {"1.2.3.4::", Null, "", ""},
    {"1::1.2.3.4", IPv6, "1::102:304", ""},
    {"1:2:3:4:5::1.2.3.4", IPv6, "1:2:3:4:5:0:102:304", ""},
    {"1:2:3:4:5:6::1.2.3.4", Null, "", ""},
    {"1:2:3:4:5:6:1.2.3.4", IPv6, "1:2:3:4:5:6:102:304", ""},
    {"1:2:3:4:5:6:7:1.2.3.4", Null, "", ""},
    {"1::2:3:4:5:6:7", IPv6, "1:0:2:3:4:5:6:7", ""},
    {"1:0:2:3:4:5:6:7", IPv6, "1:0:2:3:4:5:6:7", ""},
    {"1:0:0:2:0:0:3:4", IPv6, "1::2:0:0:3:4", ""},
    {"1:0:0:2:0:0:0:3", IPv6, "1:0:0:2::3", ""},
    {"0:1:2:3:4:5:6:7", IPv6, "0:1:2:3:4:5:6:7", ""},
    {"1:2:3:4:5:6:7::", IPv6, "1:2:3:4:5:6:7:0", ""},
    {"::1:2:3:4:5:6:7", IPv6, "0:1:2:3:4:5:6:7", ""},
    {"::1:2:3:4:5:6:7:8", Null, "", ""},
    {"1::2:3:4:5:6:7:8", Null, "", ""},
    {"1:2:3:4:5:6:7:8", IPv6, "1:2:3:4:5:6:7:8", ""},
    {"1:2:3:4:5:6:7:8:9", Null, "", ""},
    {"1:2:3:4:5:6:7:8:", Null, "", ""},
    {"1:2:3:4:5:6:7:8::", IPv6, "1:2:3:4:5:6:7:8", ""},
    {"1:2:3:4:5:6:7:8:::", IPv6, "1:2:3:4:5:6:7:8", ""},
    {"1:2:3:4:5:6:7:8::9", Null, "", ""},
    {"ABCD::EF", IPv6, "abcd::ef", ""},
    {"0001::1", IPv6, "1::1", ""},
    {"00001::1", Null, "", ""},
    {"12345::1", Null, "", ""},
    {"fffff::1", Null, "", ""},
    {"0x1:1::", IPv6, "1:1::", ""},
    {"0X1::", IPv6, "1::", ""},
    {"0x12::", IPv6, "12::", ""},
    {"0x123::", Null, "", ""},
    {"+1::", IPv6, "1::", ""},
    {"1: 1::", IPv6, "1:1::", ""},
    {"::+1", IPv6, "::1", ""},
    {"g::1", Null, "", ""},
    {":1::2", Null, "", ""},
    {"1:::2", Null, "", ""},
    {"1::2::3", Null, "", ""},
    {"::1::", Null, "", ""},
    {":::", Null, "", ""},
    {"::1:", Null, "", ""},
    {"::1/128", Null, "", ""},
    {"fe80::1%eth0", IPv6, "fe80::1%eth0", "eth0"},
    {"fe80::1%1", IPv6, "fe80::1%1", "1"},
    {"fe80::1%", IPv6, "fe80::1", ""},
    {"fe80::1%eth0%", Null, "", ""},
    {"fe80::1%lo%x", Null, "", ""},
    {"fe80::1% eth0", IPv6, "fe80::1% eth0", " eth0"},
    {"fe80::1%eth  0", IPv6, "fe80::1%eth 0", "eth 0"},
    {"fe80::1 %eth0", Null, "", ""},
    {"::ffff:1.2.3.4%lo", IPv6, "::ffff:1.2.3.4%lo", "lo"},
    {"%eth0", Null, "", ""},
};

QAbstractSocket::NetworkLayerProtocol qtProtocol(Protocol protocol)
{
    if (protocol == IPv4)
        return QAbstractSocket::IPv4Protocol;
    return protocol == IPv6 ? QAbstractSocket::IPv6Protocol : QAbstractSocket::UnknownNetworkLayerProtocol;
}

class HostAddressText : public ::testing::TestWithParam<Row>
{
};

TEST_P(HostAddressText, ParsesAsQtDoes)
{
    const Row &row = GetParam();
    const QString text = QString::fromLatin1(row.text);
    const bool valid = row.protocol != Null;

    const QHostAddress constructed(text);
    EXPECT_EQ(constructed.isNull(), !valid);
    EXPECT_EQ(constructed.protocol(), qtProtocol(row.protocol));
    EXPECT_EQ(constructed.toString().toStdString(), row.string);
    EXPECT_EQ(constructed.scopeId().toStdString(), row.scopeId);

    // setAddress() on an address that held something else: the same result, and the return
    // value says whether it parsed; a failure leaves a null address.
    QHostAddress assigned(QHostAddress::LocalHostIPv6);
    assigned.setScopeId(QStringLiteral("eth9"));
    EXPECT_EQ(assigned.setAddress(text), valid);
    EXPECT_EQ(assigned.isNull(), !valid);
    EXPECT_EQ(assigned.protocol(), constructed.protocol());
    EXPECT_EQ(assigned.toString(), constructed.toString());
    EXPECT_EQ(assigned.scopeId(), constructed.scopeId());
    EXPECT_TRUE(assigned == constructed);

    // What toString() prints parses back to the same address.
    if (valid) {
        const QHostAddress reparsed(constructed.toString());
        EXPECT_TRUE(reparsed == constructed);
        EXPECT_EQ(reparsed.toString(), constructed.toString());
    }
}

std::string rowName(const ::testing::TestParamInfo<Row> &info)
{
    return "row" + std::to_string(info.index);
}

INSTANTIATE_TEST_SUITE_P(Table, HostAddressText, ::testing::ValuesIn(rows), rowName);

TEST(HostAddressText, ShortFormsGiveTheNumbersInetAtonGives)
{
    EXPECT_EQ(QHostAddress(QStringLiteral("127.1")).toIPv4Address(), 0x7f000001u);
    EXPECT_EQ(QHostAddress(QStringLiteral("010.1.2.3")).toIPv4Address(), 0x08010203u);
    EXPECT_EQ(QHostAddress(QStringLiteral("0x7f.1")).toIPv4Address(), 0x7f000001u);
    EXPECT_EQ(QHostAddress(QStringLiteral("2130706433")).toIPv4Address(), 0x7f000001u);
    EXPECT_EQ(QHostAddress(QStringLiteral("1.65536")).toIPv4Address(), 0x01010000u);
    EXPECT_TRUE(QHostAddress(QStringLiteral("127.1")) == QHostAddress(QHostAddress::LocalHost));
    EXPECT_TRUE(QHostAddress(QStringLiteral("127.1")).isLoopback());
}

} // namespace
