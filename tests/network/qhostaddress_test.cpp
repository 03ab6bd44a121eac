// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QHostAddress>

#include "network/qhostaddress_p.h"

#include <QtCore/qbuffer.h>
#include <QtCore/qdatastream.h>
#include <QtCore/qdebug.h>
#include <QtCore/qhash.h>
#include <QtCore/qset.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <initializer_list>
#include <ostream>
#include <type_traits>

QT_BEGIN_NAMESPACE
// Prints QStrings readably in GoogleTest failure messages.
inline void PrintTo(const QString &value, std::ostream *os) { *os << '"' << value.toStdString() << '"'; }
QT_END_NAMESPACE
QTPSK_BEGIN_NAMESPACE
inline void PrintTo(const QHostAddress &value, std::ostream *os)
{
    *os << "QHostAddress(" << value.toString().toStdString() << ')';
}
QTPSK_END_NAMESPACE

namespace {

QHostAddress addr(const char *text)
{
    return QHostAddress(QString::fromLatin1(text));
}

QString str(const char *text)
{
    return QString::fromLatin1(text);
}

} // namespace

static_assert(sizeof(QHostAddress) == sizeof(void *), "one d-pointer");
static_assert(std::is_nothrow_move_assignable_v<QHostAddress>);
static_assert(QTypeInfo<QHostAddress>::isRelocatable, "QTPSK_DECLARE_SHARED");
static_assert(sizeof(Q_IPV6ADDR) == 16);
static_assert(std::is_same_v<QHostAddress::NetworkLayerProtocol, QAbstractSocket::NetworkLayerProtocol>);
static_assert(QHostAddress::Null == 0 && QHostAddress::Broadcast == 1 && QHostAddress::LocalHost == 2
              && QHostAddress::LocalHostIPv6 == 3 && QHostAddress::Any == 4
              && QHostAddress::AnyIPv6 == 5 && QHostAddress::AnyIPv4 == 6);
static_assert(QHostAddress::ConvertV4MappedToIPv4 == 1 && QHostAddress::ConvertV4CompatToIPv4 == 2
              && QHostAddress::ConvertUnspecifiedAddress == 4 && QHostAddress::ConvertLocalHost == 8
              && QHostAddress::TolerantConversion == 0xff && QHostAddress::StrictConversion == 0);

TEST(QHostAddress, DefaultConstructedIsNull)
{
    const QHostAddress a;
    EXPECT_TRUE(a.isNull());
    EXPECT_EQ(a.protocol(), QAbstractSocket::UnknownNetworkLayerProtocol);
    EXPECT_TRUE(a.toString().isEmpty());
    EXPECT_TRUE(a == QHostAddress::Null);
    EXPECT_TRUE(QHostAddress::Null == a);
    EXPECT_EQ(a, QHostAddress());
    bool ok = true;
    EXPECT_EQ(a.toIPv4Address(&ok), 0u);
    EXPECT_FALSE(ok);
    EXPECT_FALSE(a.isLoopback());
    EXPECT_FALSE(a.isGlobal());
}

TEST(QHostAddress, ParsesAndPrintsIPv4)
{
    const QHostAddress a = addr("192.168.1.10");
    EXPECT_EQ(a.protocol(), QAbstractSocket::IPv4Protocol);
    EXPECT_EQ(a.toIPv4Address(), 0xc0a8010au);
    EXPECT_EQ(a.toString(), str("192.168.1.10"));
    EXPECT_EQ(QHostAddress(0x7f000001u).toString(), str("127.0.0.1"));
    EXPECT_EQ(addr("  10.0.0.1 ").toString(), str("10.0.0.1"));
    EXPECT_EQ(addr("255.255.255.255").toIPv4Address(), 0xffffffffu);
}

TEST(QHostAddress, RejectsMalformedTextAndBecomesNull)
{
    for (const char *bad : {"", "   ", "1.2.3.4.5", "256.1.1.1", "1.2.3.", "abc", "1.2.3.4%eth0",
                            "::1::2", "12345::", "fe80::1%eth0%", "[::1]", "1:2:3:4:5:6:7:8:9",
                            "localhost", "08.1.2.3", "1.16777216", "-1.2.3.4"}) {
        QHostAddress a = QHostAddress::LocalHost;
        EXPECT_FALSE(a.setAddress(str(bad))) << bad;
        EXPECT_TRUE(a.isNull()) << bad;
    }
}

TEST(QHostAddress, ReadsTheShortAndLegacyIPv4FormsAsInetAton)
{
    // As Qt: one to four parts, decimal, octal (leading 0) or hex (0x); the last part fills
    // the remaining bytes. (tests/parity/hostaddress_test.cpp has Qt's whole table.)
    const struct { const char *in; const char *out; } cases[] = {
        {"127.1", "127.0.0.1"},        {"1.2.3", "1.2.0.3"},     {"010.1.2.3", "8.1.2.3"},
        {"0x7f.1", "127.0.0.1"},       {"2130706433", "127.0.0.1"}, {"0", "0.0.0.0"},
        {"1.65536", "1.1.0.0"},        {"0xffffffff", "255.255.255.255"},
    };
    for (const auto &c : cases) {
        QHostAddress a;
        ASSERT_TRUE(a.setAddress(str(c.in))) << c.in;
        EXPECT_EQ(a.protocol(), QAbstractSocket::IPv4Protocol) << c.in;
        EXPECT_EQ(a.toString(), str(c.out)) << c.in;
    }
    // An empty scope ID is no scope ID.
    EXPECT_EQ(addr("fe80::1%").toString(), str("fe80::1"));
}

TEST(QHostAddress, PrintsIPv6CompressedInLowerCase)
{
    const struct { const char *in; const char *out; } cases[] = {
        {"::1", "::1"},
        {"::", "::"},
        {"0:0:0:0:0:0:0:1", "::1"},
        {"FE80:0:0:0:0202:B3FF:FE1E:8329", "fe80::202:b3ff:fe1e:8329"},
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},        // the first longest run wins
        {"2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"},          // the longest run wins
        {"1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"},               // never for a single zero group
        {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
        {"1::", "1::"},
        {"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
        {"::ffff:0102:0304", "::ffff:1.2.3.4"},
        {"::1.2.3.4", "::1.2.3.4"},                           // IPv4-compatible
        {"::0.0.0.5", "::5"},
        {"64:ff9b::1.2.3.4", "64:ff9b::102:304"},
    };
    for (const auto &c : cases) {
        QHostAddress a;
        ASSERT_TRUE(a.setAddress(str(c.in))) << c.in;
        EXPECT_EQ(a.protocol(), QAbstractSocket::IPv6Protocol) << c.in;
        EXPECT_EQ(a.toString(), str(c.out)) << c.in;
        EXPECT_EQ(QHostAddress(a.toString()), a) << c.in; // round trip
    }
}

TEST(QHostAddress, KeepsTheScopeIdOfIPv6Only)
{
    QHostAddress a = addr("fe80::1%eth0");
    EXPECT_EQ(a.protocol(), QAbstractSocket::IPv6Protocol);
    EXPECT_EQ(a.scopeId(), str("eth0"));
    EXPECT_EQ(a.toString(), str("fe80::1%eth0"));
    EXPECT_TRUE(a.isLinkLocal());
    // The scope does not take part in equality.
    EXPECT_EQ(a, addr("fe80::1"));
    a.setScopeId(QString());
    EXPECT_EQ(a.toString(), str("fe80::1"));

    QHostAddress v4 = QHostAddress::LocalHost;
    v4.setScopeId(str("eth0"));
    EXPECT_TRUE(v4.scopeId().isEmpty());
    EXPECT_EQ(v4.toString(), str("127.0.0.1"));

    a.setScopeId(str("7"));
    a.setAddress(0x01020304u);
    EXPECT_TRUE(a.scopeId().isEmpty());
}

TEST(QHostAddress, SpecialAddressesHaveTheirValues)
{
    EXPECT_EQ(QHostAddress(QHostAddress::Broadcast).toString(), str("255.255.255.255"));
    EXPECT_EQ(QHostAddress(QHostAddress::LocalHost).toString(), str("127.0.0.1"));
    EXPECT_EQ(QHostAddress(QHostAddress::LocalHostIPv6).toString(), str("::1"));
    EXPECT_EQ(QHostAddress(QHostAddress::AnyIPv6).toString(), str("::"));
    EXPECT_EQ(QHostAddress(QHostAddress::AnyIPv4).toString(), str("0.0.0.0"));
    EXPECT_EQ(QHostAddress(QHostAddress::Any).toString(), str("0.0.0.0"));
    EXPECT_EQ(QHostAddress(QHostAddress::Any).protocol(), QAbstractSocket::AnyIPProtocol);
    EXPECT_EQ(QHostAddress(QHostAddress::AnyIPv6).protocol(), QAbstractSocket::IPv6Protocol);
    EXPECT_EQ(QHostAddress(QHostAddress::AnyIPv4).protocol(), QAbstractSocket::IPv4Protocol);
    EXPECT_TRUE(QHostAddress(QHostAddress::Null).isNull());

    EXPECT_TRUE(addr("127.0.0.1") == QHostAddress::LocalHost);
    EXPECT_TRUE(addr("::1") == QHostAddress::LocalHostIPv6);
    EXPECT_TRUE(addr("::") == QHostAddress::AnyIPv6);
    EXPECT_TRUE(addr("0.0.0.0") == QHostAddress::AnyIPv4);
    EXPECT_TRUE(QHostAddress::Broadcast == addr("255.255.255.255"));
    // Comparison with a special address is strict.
    EXPECT_TRUE(addr("::1") != QHostAddress::LocalHost);
    EXPECT_TRUE(addr("0.0.0.0") != QHostAddress::Any);
    EXPECT_TRUE(QHostAddress(QHostAddress::Any) == QHostAddress::Any);
    EXPECT_TRUE(QHostAddress(QHostAddress::Any) != QHostAddress::AnyIPv4);

    QHostAddress a;
    a = QHostAddress::LocalHostIPv6;
    EXPECT_EQ(a.toString(), str("::1"));
    a.clear();
    EXPECT_TRUE(a.isNull());
}

namespace {

// a.isEqual(b, mode) for each of \a equalModes and, false, for each of \a unequalModes
// (isEqual()'s default mode is TolerantConversion).
void expectIsEqual(const QHostAddress &a, const QHostAddress &b,
                   std::initializer_list<QHostAddress::ConversionMode> equalModes,
                   std::initializer_list<QHostAddress::ConversionMode> unequalModes = {})
{
    for (const QHostAddress::ConversionMode mode : equalModes)
        EXPECT_TRUE(a.isEqual(b, mode)) << "mode " << int(mode);
    for (const QHostAddress::ConversionMode mode : unequalModes)
        EXPECT_FALSE(a.isEqual(b, mode)) << "mode " << int(mode);
}

} // namespace

TEST(QHostAddress, OperatorEqualsIsStrictAndIsEqualTolerant)
{
    const QHostAddress v4 = addr("1.2.3.4");
    const QHostAddress mapped = addr("::ffff:1.2.3.4");
    const QHostAddress compat = addr("::1.2.3.4");
    EXPECT_NE(v4, mapped);
    expectIsEqual(v4, mapped, {QHostAddress::TolerantConversion, QHostAddress::ConvertV4MappedToIPv4},
                  {QHostAddress::StrictConversion, QHostAddress::ConvertV4CompatToIPv4});
    expectIsEqual(mapped, v4, {QHostAddress::TolerantConversion});
    expectIsEqual(v4, compat, {QHostAddress::ConvertV4CompatToIPv4}, {QHostAddress::ConvertV4MappedToIPv4});

    const QHostAddress any(QHostAddress::Any);
    const QHostAddress any4(QHostAddress::AnyIPv4);
    const QHostAddress any6(QHostAddress::AnyIPv6);
    EXPECT_NE(any, any4);
    EXPECT_NE(any4, any6);
    expectIsEqual(any, any4, {QHostAddress::ConvertUnspecifiedAddress});
    expectIsEqual(any6, any, {QHostAddress::ConvertUnspecifiedAddress});
    expectIsEqual(any4, any6, {QHostAddress::ConvertUnspecifiedAddress}, {QHostAddress::ConvertV4MappedToIPv4});

    const QHostAddress lo4(QHostAddress::LocalHost);
    const QHostAddress lo6(QHostAddress::LocalHostIPv6);
    EXPECT_NE(lo4, lo6);
    expectIsEqual(lo4, lo6, {QHostAddress::ConvertLocalHost}, {QHostAddress::ConvertV4MappedToIPv4});

    EXPECT_FALSE(QHostAddress().isEqual(any));
    EXPECT_TRUE(QHostAddress().isEqual(QHostAddress()));
    EXPECT_NE(addr("1.2.3.4"), addr("1.2.3.5"));
    EXPECT_EQ(addr("2001:db8::1"), addr("2001:DB8:0::1"));
}

TEST(QHostAddress, ConvertsBetweenIPv4AndIPv6Forms)
{
    bool ok = false;
    EXPECT_EQ(addr("::ffff:127.0.0.1").toIPv4Address(&ok), 0x7f000001u);
    EXPECT_TRUE(ok);
    EXPECT_EQ(addr("::1").toIPv4Address(&ok), 0u);
    EXPECT_FALSE(ok);
    EXPECT_EQ(QHostAddress(QHostAddress::Any).toIPv4Address(&ok), 0u);
    EXPECT_TRUE(ok);
    EXPECT_EQ(addr("10.0.0.1").toIPv4Address(&ok), 0x0a000001u);
    EXPECT_TRUE(ok);

    const Q_IPV6ADDR six = addr("1.2.3.4").toIPv6Address();
    const quint8 expected[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4};
    EXPECT_EQ(std::memcmp(six.c, expected, 16), 0);

    Q_IPV6ADDR loop = {};
    loop[15] = 1;
    EXPECT_EQ(QHostAddress(loop), QHostAddress(QHostAddress::LocalHostIPv6));
    EXPECT_EQ(QHostAddress(loop.c), QHostAddress(QHostAddress::LocalHostIPv6));
    EXPECT_EQ(QHostAddress(loop).toIPv6Address()[15], 1);
}

TEST(QHostAddress, ClassifiesAddresses)
{
    EXPECT_TRUE(addr("127.0.0.1").isLoopback());
    EXPECT_TRUE(addr("127.255.0.9").isLoopback());
    EXPECT_TRUE(addr("::1").isLoopback());
    EXPECT_TRUE(addr("::ffff:127.0.0.1").isLoopback());
    EXPECT_FALSE(addr("128.0.0.1").isLoopback());
    EXPECT_FALSE(addr("::2").isLoopback());

    EXPECT_TRUE(addr("224.0.0.1").isMulticast());
    EXPECT_TRUE(addr("ff02::1").isMulticast());
    EXPECT_FALSE(addr("223.0.0.1").isMulticast());

    EXPECT_TRUE(addr("169.254.1.1").isLinkLocal());
    EXPECT_TRUE(addr("fe80::1").isLinkLocal());
    EXPECT_FALSE(addr("fec0::1").isLinkLocal());
    EXPECT_TRUE(addr("fec0::1").isSiteLocal());
    EXPECT_TRUE(addr("fd12::1").isUniqueLocalUnicast());
    EXPECT_TRUE(addr("255.255.255.255").isBroadcast());

    EXPECT_TRUE(addr("8.8.8.8").isGlobal());
    EXPECT_TRUE(addr("2001:db8::1").isGlobal());
    EXPECT_TRUE(addr("192.168.0.1").isGlobal()); // as in Qt: private networks count
    EXPECT_TRUE(addr("fd12::1").isGlobal());
    EXPECT_FALSE(addr("127.0.0.1").isGlobal());
    EXPECT_FALSE(addr("224.0.0.1").isGlobal());
    EXPECT_FALSE(addr("::").isGlobal());
    EXPECT_FALSE(addr("fe80::1").isGlobal());
    EXPECT_FALSE(QHostAddress(QHostAddress::Any).isGlobal());
}

TEST(QHostAddress, ChecksSubnets)
{
    EXPECT_TRUE(addr("192.168.1.77").isInSubnet(addr("192.168.1.0"), 24));
    EXPECT_FALSE(addr("192.168.2.77").isInSubnet(addr("192.168.1.0"), 24));
    EXPECT_TRUE(addr("10.1.2.3").isInSubnet(addr("0.0.0.0"), 0));
    EXPECT_TRUE(addr("10.1.2.3").isInSubnet(addr("10.1.2.3"), 40)); // clamped to 32
    EXPECT_FALSE(addr("10.1.2.3").isInSubnet(addr("10.1.2.3"), -1));
    EXPECT_TRUE(addr("2001:db8::5").isInSubnet(addr("2001:db8::"), 32));
    EXPECT_FALSE(addr("2001:db9::5").isInSubnet(addr("2001:db8::"), 32));
    EXPECT_FALSE(addr("10.1.2.3").isInSubnet(addr("::ffff:10.1.2.0"), 24)); // protocols differ

    const auto net = QHostAddress::parseSubnet(str("10.1.2.3/255.255.0.0"));
    EXPECT_EQ(net.first, addr("10.1.0.0"));
    EXPECT_EQ(net.second, 16);
    EXPECT_TRUE(addr("10.1.99.1").isInSubnet(net));
    EXPECT_EQ(QHostAddress::parseSubnet(str("10.1")), qMakePair(addr("10.1.0.0"), 16));
    EXPECT_EQ(QHostAddress::parseSubnet(str("192.168.7.1/24")), qMakePair(addr("192.168.7.0"), 24));
    EXPECT_EQ(QHostAddress::parseSubnet(str("2001:db8:ff::1/33")), qMakePair(addr("2001:db8::"), 33));
    EXPECT_EQ(QHostAddress::parseSubnet(str("10.0.0.0/255.0.255.0")).second, -1);
    EXPECT_EQ(QHostAddress::parseSubnet(str("10.0.0.0/33")).second, -1);
    EXPECT_TRUE(QHostAddress::parseSubnet(str("nonsense/8")).first.isNull());
}

TEST(QHostAddress, HashesEqualAddressesEqually)
{
    EXPECT_EQ(qHash(addr("1.2.3.4")), qHash(QHostAddress(0x01020304u)));
    EXPECT_EQ(qHash(addr("::1"), 42), qHash(QHostAddress(QHostAddress::LocalHostIPv6), 42));
    EXPECT_NE(qHash(addr("1.2.3.4")), qHash(addr("1.2.3.5")));
    QSet<QHostAddress> set;
    set.insert(addr("1.2.3.4"));
    set.insert(QHostAddress(0x01020304u));
    set.insert(addr("::1"));
    set.insert(addr("fe80::1%eth0"));
    set.insert(addr("fe80::1"));
    EXPECT_EQ(set.size(), 3);
    EXPECT_TRUE(set.contains(QHostAddress(QHostAddress::LocalHostIPv6)));
}

TEST(QHostAddress, CopiesAreIndependent)
{
    QHostAddress original = addr("fe80::1%eth0");
    QHostAddress copy = original;
    copy.setScopeId(str("lo"));
    copy.setAddress(str("10.0.0.1"));
    EXPECT_EQ(original.toString(), str("fe80::1%eth0"));
    EXPECT_EQ(copy.toString(), str("10.0.0.1"));

    QHostAddress moved = addr("1.1.1.1");
    moved = std::move(copy);
    EXPECT_EQ(moved.toString(), str("10.0.0.1"));
    swap(moved, original);
    EXPECT_EQ(moved.toString(), str("fe80::1%eth0"));
    EXPECT_EQ(original.toString(), str("10.0.0.1"));
}

TEST(QHostAddress, StreamsToQDebug)
{
    QString text;
    QDebug(&text) << addr("::ffff:1.2.3.4") << QHostAddress(QHostAddress::Any);
    EXPECT_EQ(text.trimmed().toStdString(),
              "QHostAddress(\"::ffff:1.2.3.4\") QHostAddress(QHostAddress::Any)");
}

TEST(QHostAddress, RoundTripsThroughQDataStream)
{
    const QHostAddress values[] = {QHostAddress(), QHostAddress(QHostAddress::Any), addr("1.2.3.4"),
                                   addr("fe80::1%eth0"), addr("::ffff:1.2.3.4")};
    QByteArray bytes;
    {
        QDataStream out(&bytes, QIODevice::WriteOnly);
        for (const QHostAddress &a : values)
            out << a;
    }
    QDataStream in(bytes);
    for (const QHostAddress &a : values) {
        QHostAddress read = addr("9.9.9.9");
        in >> read;
        EXPECT_EQ(read, a) << qPrintable(a.toString());
        EXPECT_EQ(read.protocol(), a.protocol());
        EXPECT_EQ(read.scopeId(), a.scopeId());
    }
    EXPECT_EQ(in.status(), QDataStream::Ok);
}

TEST(QHostAddress, ConvertsToAndFromNativeSocketAddresses)
{
    sockaddr_storage storage;
    socklen_t length = QtPskPrivate::toSockAddr(addr("127.0.0.1"), 4242, &storage);
    ASSERT_EQ(length, socklen_t(sizeof(sockaddr_in)));
    sockaddr_in sin;
    std::memcpy(&sin, &storage, sizeof(sin));
    EXPECT_EQ(sin.sin_family, AF_INET);
    EXPECT_EQ(ntohs(sin.sin_port), 4242);
    EXPECT_EQ(ntohl(sin.sin_addr.s_addr), 0x7f000001u);

    quint16 port = 0;
    EXPECT_EQ(QtPskPrivate::fromSockAddr(reinterpret_cast<const sockaddr *>(&storage), &port),
              QHostAddress(QHostAddress::LocalHost));
    EXPECT_EQ(port, 4242);
    EXPECT_EQ(QHostAddress(reinterpret_cast<const sockaddr *>(&storage)),
              QHostAddress(QHostAddress::LocalHost));

    length = QtPskPrivate::toSockAddr(addr("fe80::2%1"), 443, &storage);
    ASSERT_EQ(length, socklen_t(sizeof(sockaddr_in6)));
    sockaddr_in6 sin6;
    std::memcpy(&sin6, &storage, sizeof(sin6));
    EXPECT_EQ(sin6.sin6_family, AF_INET6);
    EXPECT_EQ(ntohs(sin6.sin6_port), 443);
    EXPECT_EQ(sin6.sin6_scope_id, 1u); // interface 1 is the loopback interface on Linux
    const QHostAddress back = QtPskPrivate::fromSockAddr(reinterpret_cast<const sockaddr *>(&storage),
                                                         &port);
    EXPECT_EQ(back, addr("fe80::2"));
    EXPECT_EQ(back.scopeId(), str("lo"));
    EXPECT_EQ(port, 443);

    length = QtPskPrivate::toSockAddr(QHostAddress(QHostAddress::Any), 80, &storage);
    EXPECT_EQ(length, socklen_t(sizeof(sockaddr_in6)));
    EXPECT_EQ(storage.ss_family, AF_INET6);

    EXPECT_EQ(QtPskPrivate::toSockAddr(QHostAddress(), 80, &storage), socklen_t(0));
    port = 7;
    EXPECT_TRUE(QtPskPrivate::fromSockAddr(nullptr, &port).isNull());
    EXPECT_EQ(port, 0);
    sockaddr unix_ = {};
    unix_.sa_family = AF_UNIX;
    EXPECT_TRUE(QHostAddress(&unix_).isNull());
}
