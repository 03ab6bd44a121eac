// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// PskExample::printable(): what the examples print of bytes from the network.
#include "printable.h"

#include <gtest/gtest.h>

using namespace PskExample;

namespace {

bool onlyPrintableAscii(const QString &text)
{
    for (const QChar c : text) {
        if (c.unicode() < 0x20 || c.unicode() >= 0x7f)
            return false;
    }
    return true;
}

} // namespace

TEST(Printable, PlainTextStaysAsItIs)
{
    EXPECT_EQ(printable("client1"), QStringLiteral("client1"));
    EXPECT_EQ(printable("Hello, QtPsk!"), QStringLiteral("Hello, QtPsk!"));
    EXPECT_EQ(printable(""), QString());
}

TEST(Printable, LineBreaksAndTabsAreEscaped)
{
    EXPECT_EQ(printable("a\r\nFAKE LOG LINE\tx"), QStringLiteral("a\\r\\nFAKE LOG LINE\\tx"));
}

TEST(Printable, TerminalEscapeSequencesAreEscaped)
{
    const QString shown = printable("\x1b[2J\x1b]0;pwned\x07");
    EXPECT_EQ(shown, QStringLiteral("\\x1b[2J\\x1b]0;pwned\\x07"));
    EXPECT_TRUE(onlyPrintableAscii(shown));
}

TEST(Printable, BackslashQuoteAndEveryOtherByteAreEscaped)
{
    EXPECT_EQ(printable("\\\""), QStringLiteral("\\\\\\\""));
    EXPECT_EQ(printable(QByteArrayView("\x00\x7f\x80\xff", 4)), QStringLiteral("\\x00\\x7f\\x80\\xff"));
    EXPECT_EQ(printable("caf\xc3\xa9"), QStringLiteral("caf\\xc3\\xa9")); // UTF-8 too
    QByteArray all(256, Qt::Uninitialized);
    for (int i = 0; i < 256; ++i)
        all[i] = char(i);
    EXPECT_TRUE(onlyPrintableAscii(printable(all, -1)));
}

TEST(Printable, LongValuesAreCapped)
{
    const QByteArray longValue(10000, 'A');
    const QString shown = printable(longValue);
    EXPECT_EQ(shown, QString(PrintableCap, QLatin1Char('A')) + QStringLiteral("... (10000 bytes)"));
    EXPECT_EQ(printable("abcdef", 3), QStringLiteral("abc... (6 bytes)"));
    EXPECT_EQ(printable("abc", 3), QStringLiteral("abc"));
    EXPECT_EQ(printable(longValue, -1).size(), 10000); // a negative cap shows everything
}
