// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The DTLS side of QSslConfiguration: its default, cookie verification, and the cipher list that
// takes the PSK CCM/CCM8 suites by name while ciphers() and QSslCipher stay as Qt's.
#include "ssl/dtlssettings_p.h"

#include <QSslCipher>
#include <QSslConfiguration>

#include <gtest/gtest.h>

#include "common/dtlspump.h"

using QtPskPrivate::TlsSettings;

namespace {

TEST(DtlsConfiguration, DefaultIsDtls12WithCookiesAndTheIotSuites)
{
    const QSslConfiguration dtls = QSslConfiguration::defaultDtlsConfiguration();
    EXPECT_EQ(dtls.protocol(), QSsl::DtlsV1_2OrLater);
    EXPECT_TRUE(dtls.dtlsCookieVerificationEnabled());
    EXPECT_TRUE(QSslConfiguration().dtlsCookieVerificationEnabled());
    for (const QSslCipher &cipher : dtls.ciphers())
        EXPECT_FALSE(cipher.name().contains(QLatin1String("CCM"))) << "QSslCipher has no CCM suite";
    TlsSettings settings;
    QString error;
    ASSERT_TRUE(QtPskPrivate::dtlsSettingsFor(dtls, true, &settings, &error)) << error.toStdString();
    EXPECT_TRUE(settings.datagram);
    EXPECT_TRUE(settings.server);
    EXPECT_EQ(settings.cipherList, QByteArray("PSK-AES128-CCM8:PSK-AES128-CCM:PSK-AES128-GCM-SHA256:"
                                              "ECDHE-PSK-CHACHA20-POLY1305:ECDHE-PSK-AES128-CBC-SHA256"));
    // The default list is one OpenSSL's DTLS method accepts.
    EXPECT_NE(QtPskTest::DtlsContext::get(settings, &error), nullptr) << error.toStdString();
    // The TLS default is untouched.
    EXPECT_EQ(QSslConfiguration::defaultConfiguration().protocol(), QSsl::SecureProtocols);
}

TEST(DtlsConfiguration, CookieVerificationCanBeTurnedOff)
{
    QSslConfiguration configuration = QSslConfiguration::defaultDtlsConfiguration();
    configuration.setDtlsCookieVerificationEnabled(false);
    EXPECT_FALSE(configuration.dtlsCookieVerificationEnabled());
    EXPECT_NE(configuration, QSslConfiguration::defaultDtlsConfiguration());
    QSslConfiguration::setDefaultDtlsConfiguration(configuration);
    EXPECT_FALSE(QSslConfiguration::defaultDtlsConfiguration().dtlsCookieVerificationEnabled());
    configuration.setDtlsCookieVerificationEnabled(true);
    QSslConfiguration::setDefaultDtlsConfiguration(configuration);
    EXPECT_TRUE(QSslConfiguration::defaultDtlsConfiguration().dtlsCookieVerificationEnabled());
}

TEST(DtlsConfiguration, CcmNamesCountForDtlsOnlyInTheirOrder)
{
    QSslConfiguration configuration = QSslConfiguration::defaultDtlsConfiguration();
    configuration.setCiphers(QStringLiteral("PSK-AES256-CCM8:PSK-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256"));
    ASSERT_EQ(configuration.ciphers().size(), 2) << "ciphers() stays Qt's: no CCM8";
    EXPECT_TRUE(QSslCipher(QStringLiteral("PSK-AES256-CCM8")).isNull());
    TlsSettings settings;
    QString error;
    ASSERT_TRUE(QtPskPrivate::dtlsSettingsFor(configuration, false, &settings, &error));
    EXPECT_EQ(settings.cipherList, QByteArray("PSK-AES256-CCM8:PSK-AES128-GCM-SHA256"));

    // A list of QSslCipher replaces the names.
    configuration.setCiphers(QList<QSslCipher>{QSslCipher(QStringLiteral("PSK-AES256-GCM-SHA384"))});
    ASSERT_TRUE(QtPskPrivate::dtlsSettingsFor(configuration, false, &settings, &error));
    EXPECT_EQ(settings.cipherList, QByteArray("PSK-AES256-GCM-SHA384"));
}

TEST(DtlsConfiguration, AnUnknownNameIsAnErrorThatNamesIt)
{
    QSslConfiguration configuration = QSslConfiguration::defaultDtlsConfiguration();
    configuration.setCiphers(QStringLiteral("PSK-AES128-CCM8:PSK-NO-SUCH-SUITE"));
    TlsSettings settings;
    QString error;
    EXPECT_FALSE(QtPskPrivate::dtlsSettingsFor(configuration, false, &settings, &error));
    EXPECT_TRUE(error.contains(QLatin1String("PSK-NO-SUCH-SUITE"))) << error.toStdString();
}

TEST(DtlsConfiguration, OnlyDtlsProtocols)
{
    TlsSettings settings;
    QString error;
    QSslConfiguration configuration = QSslConfiguration::defaultDtlsConfiguration();
    configuration.setProtocol(QSsl::TlsV1_2);
    EXPECT_FALSE(QtPskPrivate::dtlsSettingsFor(configuration, false, &settings, &error));
    EXPECT_EQ(error, QStringLiteral("Invalid protocol version, DTLS protocol expected"));
    configuration.setProtocol(QSsl::DtlsV1_2);
    EXPECT_TRUE(QtPskPrivate::dtlsSettingsFor(configuration, false, &settings, &error));
}

} // namespace
