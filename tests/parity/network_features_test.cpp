// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QtNetwork's public feature macros after one ordinary include: `#if QT_CONFIG(ssl)` and
// `#ifndef QT_NO_SSL` are common in real Qt code. Against Qt6::Network the values are Qt's
// (Debian 12's Qt 6.4.2 build); against QtPsk they say what QtPsk provides. An undefined
// QT_FEATURE_x makes QT_CONFIG(x) a division by zero in #if, so every macro must be defined.
#include <QSslSocket>

#include <gtest/gtest.h>

#include <utility>

// QT_CONFIG(x) for a feature, as a value a test can compare: 1 on, -1 off.
#define FEATURE_VALUE(feature) (QT_CONFIG(feature) ? 1 : -1)
// QT_STRINGIFY(QT_NO_X) is "1" when QT_NO_X is defined as Qt's configuration defines it, and
// "QT_NO_X" when it is not defined.

namespace {

TEST(NetworkFeatures, SslAndProxyAreOnInBoth)
{
#if QT_CONFIG(ssl)
    SUCCEED();
#else
    FAIL() << "QT_CONFIG(ssl) is false";
#endif
#ifdef QT_NO_SSL
    FAIL() << "QT_NO_SSL is defined";
#endif
    QT_REQUIRE_CONFIG(ssl); // what Qt's own SSL headers start with
    EXPECT_EQ(FEATURE_VALUE(ssl), 1);
    EXPECT_EQ(FEATURE_VALUE(networkproxy), 1);
    EXPECT_EQ(FEATURE_VALUE(opensslv11), 1);
    // QUdpSocket and QDtls (DTLS needs both; Qt defines no QT_NO_DTLS).
    EXPECT_EQ(FEATURE_VALUE(udpsocket), 1);
    EXPECT_EQ(FEATURE_VALUE(dtls), 1);
#if !QT_CONFIG(dtls)
    FAIL() << "QT_CONFIG(dtls) is false";
#endif
#ifdef QT_NO_UDPSOCKET
    FAIL() << "QT_NO_UDPSOCKET is defined";
#endif
#ifdef QT_NO_NETWORKPROXY
    FAIL() << "QT_NO_NETWORKPROXY is defined";
#endif
    // Off on Linux in both: the Apple and Windows backends.
    EXPECT_EQ(FEATURE_VALUE(securetransport), -1);
    EXPECT_EQ(FEATURE_VALUE(schannel), -1);
    EXPECT_EQ(FEATURE_VALUE(sspi), -1);
    EXPECT_STREQ(QT_STRINGIFY(QT_NO_SSPI), "1");
}

#ifdef QTPSK_PARITY_AGAINST_QTNETWORK
// Qt6::Network (Debian 12's build) has everything else.
TEST(NetworkFeatures, QtHasTheRest)
{
    EXPECT_EQ(FEATURE_VALUE(http), 1);
    EXPECT_EQ(FEATURE_VALUE(localserver), 1);
}
#else
// What QtPsk does not provide is off, with the QT_NO_ macro Qt's configuration would define
// (qtbase's src/network/configure.cmake: qt_feature_definition). dnslookup, ocsp and
// topleveldomain have none.
TEST(NetworkFeatures, WhatQtPskLacksIsOff)
{
#if QT_CONFIG(http)
    FAIL() << "QT_CONFIG(http) is true: QtPsk has no HTTP classes";
#endif
    const std::pair<const char *, int> lacking[] = {
        {"ocsp", FEATURE_VALUE(ocsp)}, {"http", FEATURE_VALUE(http)},
        {"localserver", FEATURE_VALUE(localserver)}, {"dnslookup", FEATURE_VALUE(dnslookup)},
        {"networkinterface", FEATURE_VALUE(networkinterface)},
        {"networkdiskcache", FEATURE_VALUE(networkdiskcache)}, {"sctp", FEATURE_VALUE(sctp)},
        {"socks5", FEATURE_VALUE(socks5)}, {"gssapi", FEATURE_VALUE(gssapi)},
        {"brotli", FEATURE_VALUE(brotli)}, {"topleveldomain", FEATURE_VALUE(topleveldomain)},
        {"getifaddrs", FEATURE_VALUE(getifaddrs)}, {"ipv6ifname", FEATURE_VALUE(ipv6ifname)},
    };
    for (const auto &[feature, value] : lacking)
        EXPECT_EQ(value, -1) << "QT_CONFIG(" << feature << ")";
    // Each QT_NO_X beside the QT_STRINGIFY of it.
    const std::pair<const char *, const char *> defined[] = {
        {"QT_NO_HTTP", QT_STRINGIFY(QT_NO_HTTP)}, {"QT_NO_LOCALSERVER", QT_STRINGIFY(QT_NO_LOCALSERVER)},
        {"QT_NO_NETWORKINTERFACE", QT_STRINGIFY(QT_NO_NETWORKINTERFACE)},
        {"QT_NO_NETWORKDISKCACHE", QT_STRINGIFY(QT_NO_NETWORKDISKCACHE)},
        {"QT_NO_SCTP", QT_STRINGIFY(QT_NO_SCTP)}, {"QT_NO_SOCKS5", QT_STRINGIFY(QT_NO_SOCKS5)},
        {"QT_NO_GSSAPI", QT_STRINGIFY(QT_NO_GSSAPI)}, {"QT_NO_BROTLI", QT_STRINGIFY(QT_NO_BROTLI)},
        {"QT_NO_GETIFADDRS", QT_STRINGIFY(QT_NO_GETIFADDRS)},
        {"QT_NO_IPV6IFNAME", QT_STRINGIFY(QT_NO_IPV6IFNAME)},
    };
    for (const auto &[macro, value] : defined)
        EXPECT_STREQ(value, "1") << macro << " is not defined";
}
#endif

} // namespace
