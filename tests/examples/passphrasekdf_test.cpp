// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "passphrasekdf.h"

#include <gtest/gtest.h>

using namespace PskExample;

// Known answers computed independently with Python's hashlib.pbkdf2_hmac('sha256', ...).
TEST(DeriveKeyFromPassphrase, MatchesPbkdf2HmacSha256WithTheHintSaltedPrefix)
{
    EXPECT_EQ(deriveKeyFromPassphrase("secret words", "QtPsk demo server").toHex(),
              QByteArray("552146a17b692086fa792411f9f90aedba909e5266bcd8b373dbdc93467447e3"));
}

TEST(DeriveKeyFromPassphrase, UsesOnlyThePrefixAsSaltWithoutAHint)
{
    EXPECT_EQ(deriveKeyFromPassphrase("secret words", QByteArrayView()).toHex(),
              QByteArray("c38255afb184758a63e627d41e8209d0f8f42df32a14e0d062aa623a0a9698be"));
}

TEST(DeriveKeyFromPassphrase, GivesDifferentKeysForDifferentHintsAndPassphrases)
{
    const QByteArray key = deriveKeyFromPassphrase("pass", "hint");
    EXPECT_EQ(key.size(), PassphraseKeyLength);
    EXPECT_EQ(deriveKeyFromPassphrase("pass", "hint"), key);
    EXPECT_NE(deriveKeyFromPassphrase("pass", "hint2"), key);
    EXPECT_NE(deriveKeyFromPassphrase("pass2", "hint"), key);
}
