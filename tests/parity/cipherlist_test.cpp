// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QSslConfiguration::supportedCiphers(), the default configuration's ciphers() and QSslCipher(name):
// the whole list Qt 6.4 shows on this machine (Debian 12, OpenSSL 3.0: OpenSSL's default cipher
// list, `openssl ciphers` with no argument, 60 suites of which 26 PSK), in Qt's order and with
// every property, and which names give a null cipher (CCM, CCM8, ARIA, Camellia and the TLS 1.3 CCM
// suites do: OpenSSL implements them, but they are not in its default list). Built against
// Qt6::Network (QTPSK_PARITY_AGAINST_QTNETWORK, the ground truth) and against QtPsk.
//
// The one documented difference: QtPsk's default configuration puts the DHE-PSK suites last
// (QSslConfiguration's "Differences from Qt"); supportedCiphers() is Qt's list as it is.
#include <QSsl>
#include <QSslCipher>
#include <QSslConfiguration>

#include <QtCore/qlist.h>
#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#if !defined(QTPSK_PARITY_AGAINST_QTNETWORK) && defined(QTPSK_NAMESPACE)
QTPSK_USE_NAMESPACE
#endif

namespace {

struct Suite
{
    const char *name;
    int protocol; // int(QSsl::SslProtocol): 12 TlsV1_3, 2 TlsV1_2, 0 TlsV1_0, -1 UnknownProtocol
    const char *protocolString;
    const char *keyExchangeMethod;
    const char *authenticationMethod;
    const char *encryptionMethod;
    int usedBits;
    int supportedBits;
};

const Suite qtSupportedCiphers[] = {
// Measured on Qt 6.4.2 with OpenSSL 3.0 (Debian 12).
    {"TLS_AES_256_GCM_SHA384", 12, "TLSv1.3", "any", "any", "AESGCM(256)", 256, 256},
    {"TLS_CHACHA20_POLY1305_SHA256", 12, "TLSv1.3", "any", "any", "CHACHA20/POLY1305(256)", 256, 256},
    {"TLS_AES_128_GCM_SHA256", 12, "TLSv1.3", "any", "any", "AESGCM(128)", 128, 128},
    {"ECDHE-ECDSA-AES256-GCM-SHA384", 2, "TLSv1.2", "ECDH", "ECDSA", "AESGCM(256)", 256, 256},
    {"ECDHE-RSA-AES256-GCM-SHA384", 2, "TLSv1.2", "ECDH", "RSA", "AESGCM(256)", 256, 256},
    {"DHE-RSA-AES256-GCM-SHA384", 2, "TLSv1.2", "DH", "RSA", "AESGCM(256)", 256, 256},
    {"ECDHE-ECDSA-CHACHA20-POLY1305", 2, "TLSv1.2", "ECDH", "ECDSA", "CHACHA20/POLY1305(256)", 256, 256},
    {"ECDHE-RSA-CHACHA20-POLY1305", 2, "TLSv1.2", "ECDH", "RSA", "CHACHA20/POLY1305(256)", 256, 256},
    {"DHE-RSA-CHACHA20-POLY1305", 2, "TLSv1.2", "DH", "RSA", "CHACHA20/POLY1305(256)", 256, 256},
    {"ECDHE-ECDSA-AES128-GCM-SHA256", 2, "TLSv1.2", "ECDH", "ECDSA", "AESGCM(128)", 128, 128},
    {"ECDHE-RSA-AES128-GCM-SHA256", 2, "TLSv1.2", "ECDH", "RSA", "AESGCM(128)", 128, 128},
    {"DHE-RSA-AES128-GCM-SHA256", 2, "TLSv1.2", "DH", "RSA", "AESGCM(128)", 128, 128},
    {"ECDHE-ECDSA-AES256-SHA384", 2, "TLSv1.2", "ECDH", "ECDSA", "AES(256)", 256, 256},
    {"ECDHE-RSA-AES256-SHA384", 2, "TLSv1.2", "ECDH", "RSA", "AES(256)", 256, 256},
    {"DHE-RSA-AES256-SHA256", 2, "TLSv1.2", "DH", "RSA", "AES(256)", 256, 256},
    {"ECDHE-ECDSA-AES128-SHA256", 2, "TLSv1.2", "ECDH", "ECDSA", "AES(128)", 128, 128},
    {"ECDHE-RSA-AES128-SHA256", 2, "TLSv1.2", "ECDH", "RSA", "AES(128)", 128, 128},
    {"DHE-RSA-AES128-SHA256", 2, "TLSv1.2", "DH", "RSA", "AES(128)", 128, 128},
    {"ECDHE-ECDSA-AES256-SHA", 0, "TLSv1", "ECDH", "ECDSA", "AES(256)", 256, 256},
    {"ECDHE-RSA-AES256-SHA", 0, "TLSv1", "ECDH", "RSA", "AES(256)", 256, 256},
    {"DHE-RSA-AES256-SHA", -1, "SSLv3", "DH", "RSA", "AES(256)", 256, 256},
    {"ECDHE-ECDSA-AES128-SHA", 0, "TLSv1", "ECDH", "ECDSA", "AES(128)", 128, 128},
    {"ECDHE-RSA-AES128-SHA", 0, "TLSv1", "ECDH", "RSA", "AES(128)", 128, 128},
    {"DHE-RSA-AES128-SHA", -1, "SSLv3", "DH", "RSA", "AES(128)", 128, 128},
    {"RSA-PSK-AES256-GCM-SHA384", 2, "TLSv1.2", "RSAPSK", "RSA", "AESGCM(256)", 256, 256},
    {"DHE-PSK-AES256-GCM-SHA384", 2, "TLSv1.2", "DHEPSK", "PSK", "AESGCM(256)", 256, 256},
    {"RSA-PSK-CHACHA20-POLY1305", 2, "TLSv1.2", "RSAPSK", "RSA", "CHACHA20/POLY1305(256)", 256, 256},
    {"DHE-PSK-CHACHA20-POLY1305", 2, "TLSv1.2", "DHEPSK", "PSK", "CHACHA20/POLY1305(256)", 256, 256},
    {"ECDHE-PSK-CHACHA20-POLY1305", 2, "TLSv1.2", "ECDHEPSK", "PSK", "CHACHA20/POLY1305(256)", 256, 256},
    {"AES256-GCM-SHA384", 2, "TLSv1.2", "RSA", "RSA", "AESGCM(256)", 256, 256},
    {"PSK-AES256-GCM-SHA384", 2, "TLSv1.2", "PSK", "PSK", "AESGCM(256)", 256, 256},
    {"PSK-CHACHA20-POLY1305", 2, "TLSv1.2", "PSK", "PSK", "CHACHA20/POLY1305(256)", 256, 256},
    {"RSA-PSK-AES128-GCM-SHA256", 2, "TLSv1.2", "RSAPSK", "RSA", "AESGCM(128)", 128, 128},
    {"DHE-PSK-AES128-GCM-SHA256", 2, "TLSv1.2", "DHEPSK", "PSK", "AESGCM(128)", 128, 128},
    {"AES128-GCM-SHA256", 2, "TLSv1.2", "RSA", "RSA", "AESGCM(128)", 128, 128},
    {"PSK-AES128-GCM-SHA256", 2, "TLSv1.2", "PSK", "PSK", "AESGCM(128)", 128, 128},
    {"AES256-SHA256", 2, "TLSv1.2", "RSA", "RSA", "AES(256)", 256, 256},
    {"AES128-SHA256", 2, "TLSv1.2", "RSA", "RSA", "AES(128)", 128, 128},
    {"ECDHE-PSK-AES256-CBC-SHA384", 0, "TLSv1", "ECDHEPSK", "PSK", "AES(256)", 256, 256},
    {"ECDHE-PSK-AES256-CBC-SHA", 0, "TLSv1", "ECDHEPSK", "PSK", "AES(256)", 256, 256},
    {"SRP-RSA-AES-256-CBC-SHA", -1, "SSLv3", "SRP", "RSA", "AES(256)", 256, 256},
    {"SRP-AES-256-CBC-SHA", -1, "SSLv3", "SRP", "SRP", "AES(256)", 256, 256},
    {"RSA-PSK-AES256-CBC-SHA384", 0, "TLSv1", "RSAPSK", "RSA", "AES(256)", 256, 256},
    {"DHE-PSK-AES256-CBC-SHA384", 0, "TLSv1", "DHEPSK", "PSK", "AES(256)", 256, 256},
    {"RSA-PSK-AES256-CBC-SHA", -1, "SSLv3", "RSAPSK", "RSA", "AES(256)", 256, 256},
    {"DHE-PSK-AES256-CBC-SHA", -1, "SSLv3", "DHEPSK", "PSK", "AES(256)", 256, 256},
    {"AES256-SHA", -1, "SSLv3", "RSA", "RSA", "AES(256)", 256, 256},
    {"PSK-AES256-CBC-SHA384", 0, "TLSv1", "PSK", "PSK", "AES(256)", 256, 256},
    {"PSK-AES256-CBC-SHA", -1, "SSLv3", "PSK", "PSK", "AES(256)", 256, 256},
    {"ECDHE-PSK-AES128-CBC-SHA256", 0, "TLSv1", "ECDHEPSK", "PSK", "AES(128)", 128, 128},
    {"ECDHE-PSK-AES128-CBC-SHA", 0, "TLSv1", "ECDHEPSK", "PSK", "AES(128)", 128, 128},
    {"SRP-RSA-AES-128-CBC-SHA", -1, "SSLv3", "SRP", "RSA", "AES(128)", 128, 128},
    {"SRP-AES-128-CBC-SHA", -1, "SSLv3", "SRP", "SRP", "AES(128)", 128, 128},
    {"RSA-PSK-AES128-CBC-SHA256", 0, "TLSv1", "RSAPSK", "RSA", "AES(128)", 128, 128},
    {"DHE-PSK-AES128-CBC-SHA256", 0, "TLSv1", "DHEPSK", "PSK", "AES(128)", 128, 128},
    {"RSA-PSK-AES128-CBC-SHA", -1, "SSLv3", "RSAPSK", "RSA", "AES(128)", 128, 128},
    {"DHE-PSK-AES128-CBC-SHA", -1, "SSLv3", "DHEPSK", "PSK", "AES(128)", 128, 128},
    {"AES128-SHA", -1, "SSLv3", "RSA", "RSA", "AES(128)", 128, 128},
    {"PSK-AES128-CBC-SHA256", 0, "TLSv1", "PSK", "PSK", "AES(128)", 128, 128},
    {"PSK-AES128-CBC-SHA", -1, "SSLv3", "PSK", "PSK", "AES(128)", 128, 128},
};

std::string describe(const QSslCipher &c)
{
    return QStringLiteral("%1|%2|%3|%4|%5|%6|%7|%8")
            .arg(c.name())
            .arg(int(c.protocol()))
            .arg(c.protocolString(), c.keyExchangeMethod(), c.authenticationMethod(),
                 c.encryptionMethod())
            .arg(c.usedBits())
            .arg(c.supportedBits())
            .toStdString();
}

std::string describe(const Suite &s)
{
    return QStringLiteral("%1|%2|%3|%4|%5|%6|%7|%8")
            .arg(QLatin1String(s.name))
            .arg(s.protocol)
            .arg(QLatin1String(s.protocolString), QLatin1String(s.keyExchangeMethod),
                 QLatin1String(s.authenticationMethod), QLatin1String(s.encryptionMethod))
            .arg(s.usedBits)
            .arg(s.supportedBits)
            .toStdString();
}

std::vector<std::string> describeAll(const QList<QSslCipher> &ciphers)
{
    std::vector<std::string> lines;
    for (const QSslCipher &c : ciphers)
        lines.push_back(describe(c));
    return lines;
}

std::vector<std::string> expectedSupported()
{
    std::vector<std::string> lines;
    for (const Suite &s : qtSupportedCiphers)
        lines.push_back(describe(s));
    return lines;
}

TEST(CipherList, SupportedCiphersAreQtsListInQtsOrder)
{
    const QList<QSslCipher> supported = QSslConfiguration::supportedCiphers();
    EXPECT_EQ(describeAll(supported), expectedSupported());
    int psk = 0;
    for (const QSslCipher &c : supported)
        psk += c.name().contains(QLatin1String("PSK")) ? 1 : 0;
    EXPECT_EQ(supported.size(), 60);
    EXPECT_EQ(psk, 26);
}

TEST(CipherList, DefaultConfigurationCiphersAreQtsListWithDhePskLastInQtPsk)
{
    std::vector<std::string> expected = expectedSupported();
#ifndef QTPSK_PARITY_AGAINST_QTNETWORK
    // QtPsk's documented difference: the DHE-PSK suites move behind all others.
    std::stable_partition(expected.begin(), expected.end(), [](const std::string &line) {
        return line.compare(0, 8, "DHE-PSK-") != 0;
    });
#endif
    EXPECT_EQ(describeAll(QSslConfiguration::defaultConfiguration().ciphers()), expected);
}

TEST(CipherList, EverySupportedNameGivesThatCipher)
{
    for (const Suite &s : qtSupportedCiphers) {
        const QSslCipher byName(QString::fromLatin1(s.name));
        EXPECT_FALSE(byName.isNull()) << s.name;
        EXPECT_EQ(describe(byName), describe(s));
        const QSslCipher byNameAndProtocol(QString::fromLatin1(s.name),
                                           QSsl::SslProtocol(s.protocol));
        EXPECT_FALSE(byNameAndProtocol.isNull()) << s.name;
        EXPECT_TRUE(byNameAndProtocol == byName) << s.name;
        // The same name with another protocol is no cipher.
        const QSslCipher wrongProtocol(QString::fromLatin1(s.name),
                                       s.protocol == int(QSsl::TlsV1_3) ? QSsl::TlsV1_2
                                                                        : QSsl::TlsV1_3);
        EXPECT_TRUE(wrongProtocol.isNull()) << s.name;
    }
}

TEST(CipherList, SuitesOutsideOpenSslsDefaultListAreNullCiphers)
{
    // OpenSSL implements every one of these, but Qt offers only its default list.
    for (const char *name :
         {"PSK-AES128-CCM8", "PSK-AES256-CCM8", "PSK-AES128-CCM", "PSK-AES256-CCM",
          "DHE-PSK-AES128-CCM8", "DHE-PSK-AES128-CCM", "ECDHE-ECDSA-AES128-CCM8", "AES128-CCM",
          "PSK-ARIA128-GCM-SHA256", "PSK-ARIA256-GCM-SHA384", "ECDHE-ARIA128-GCM-SHA256",
          "PSK-CAMELLIA128-SHA256", "PSK-CAMELLIA256-SHA384", "ECDHE-PSK-CAMELLIA128-SHA256",
          "CAMELLIA256-SHA", "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256",
          "PSK-NULL-SHA256", "ECDHE-PSK-NULL-SHA", "ADH-AES128-SHA", "DES-CBC3-SHA",
          "PSK-3DES-EDE-CBC-SHA", "psk-aes128-cbc-sha", "", "PSK"}) {
        EXPECT_TRUE(QSslCipher(QString::fromLatin1(name)).isNull()) << name;
        for (const QSslCipher &c : QSslConfiguration::supportedCiphers())
            EXPECT_NE(c.name(), QString::fromLatin1(name));
    }
}

TEST(CipherList, SetCiphersFromAStringDropsNamesThatAreNotSupported)
{
    QSslConfiguration configuration;
    configuration.setCiphers(QStringLiteral(
            "PSK-AES128-CCM8:PSK-AES256-GCM-SHA384:PSK-ARIA128-GCM-SHA256:TLS_AES_128_CCM_SHA256:"
            "TLS_AES_128_GCM_SHA256:PSK-CAMELLIA128-SHA256:ECDHE-PSK-CHACHA20-POLY1305"));
    QStringList names;
    for (const QSslCipher &c : configuration.ciphers())
        names << c.name();
    EXPECT_EQ(names, (QStringList{QStringLiteral("PSK-AES256-GCM-SHA384"),
                                  QStringLiteral("TLS_AES_128_GCM_SHA256"),
                                  QStringLiteral("ECDHE-PSK-CHACHA20-POLY1305")}));
}

} // namespace
