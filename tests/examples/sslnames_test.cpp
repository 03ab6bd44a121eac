// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "sslnames.h"

#include <gtest/gtest.h>

using namespace PskExample;

TEST(ProtocolFromName, MapsEveryDocumentedNameCaseInsensitively)
{
    EXPECT_EQ(protocolFromName(QStringLiteral("tls1.2")), QSsl::TlsV1_2);
    EXPECT_EQ(protocolFromName(QStringLiteral("TLS1.3")), QSsl::TlsV1_3);
    EXPECT_EQ(protocolFromName(QStringLiteral("secure")), QSsl::SecureProtocols);
    EXPECT_EQ(protocolFromName(QStringLiteral("any")), QSsl::AnyProtocol);
}

TEST(ProtocolFromName, RejectsUnknownNames)
{
    EXPECT_FALSE(protocolFromName(QStringLiteral("tls1.1")));
    EXPECT_FALSE(protocolFromName(QString()));
}

TEST(ProtocolDisplayName, NamesNegotiatedProtocols)
{
    EXPECT_EQ(protocolDisplayName(QSsl::TlsV1_2), QStringLiteral("TLSv1.2"));
    EXPECT_EQ(protocolDisplayName(QSsl::TlsV1_3), QStringLiteral("TLSv1.3"));
    EXPECT_EQ(protocolDisplayName(QSsl::UnknownProtocol), QStringLiteral("unknown"));
}

TEST(AlertText, NamesTheLevelAndTheAlertNumber)
{
    EXPECT_EQ(alertText(QSsl::AlertLevel::Fatal, QSsl::AlertType::BadRecordMac,
                        QStringLiteral("bad record mac")),
              QStringLiteral("fatal alert 20: bad record mac"));
    EXPECT_EQ(alertText(QSsl::AlertLevel::Warning, QSsl::AlertType::CloseNotify,
                        QStringLiteral("close notify")),
              QStringLiteral("warning alert 0: close notify"));
}
