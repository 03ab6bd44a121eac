// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "transport/chunkbuffer_p.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

using namespace QtPskPrivate;

TEST(ChunkBuffer, KeepsBytesInOrderAcrossChunks)
{
    ChunkBuffer buffer(16);
    QByteArray expected;
    for (int i = 0; i < 100; ++i) {
        const QByteArray piece = QByteArray::number(i) + ',';
        buffer.append(piece.constData(), piece.size());
        expected += piece;
    }
    EXPECT_EQ(buffer.size(), expected.size());
    QByteArray out(expected.size(), '\0');
    EXPECT_EQ(buffer.read(out.data(), 5), 5);
    EXPECT_EQ(buffer.read(out.data() + 5, out.size()), expected.size() - 5);
    EXPECT_EQ(out, expected);
    EXPECT_TRUE(buffer.isEmpty());
    char c;
    EXPECT_EQ(buffer.read(&c, 1), 0);
}

TEST(ChunkBuffer, ReserveAndCommitFillTheTailInPlace)
{
    ChunkBuffer buffer(8);
    qint64 available = 0;
    char *p = buffer.reserve(&available);
    ASSERT_EQ(available, 8);
    std::memcpy(p, "abc", 3);
    buffer.commit(3);
    p = buffer.reserve(&available);
    EXPECT_EQ(available, 5); // same chunk
    std::memcpy(p, "de", 2);
    buffer.commit(2);
    buffer.reserve(&available); // reserved but never committed
    EXPECT_EQ(buffer.size(), 5);
    qint64 length = 0;
    const char *front = buffer.front(&length);
    EXPECT_EQ(QByteArray(front, int(length)), QByteArray("abcde"));
    EXPECT_EQ(buffer.skip(100), 5);
    EXPECT_EQ(buffer.front(&length), nullptr);
}

TEST(ChunkBuffer, IndexOfAndReadLineStopAtNewline)
{
    ChunkBuffer buffer(4);
    buffer.append("ab\ncdefg\nh", 10);
    EXPECT_EQ(buffer.indexOf('\n'), 2);
    EXPECT_EQ(buffer.indexOf('\n', 2), -1);
    char line[32] = {};
    EXPECT_EQ(buffer.readLine(line, sizeof line), 3);
    EXPECT_STREQ(line, "ab\n");
    EXPECT_EQ(buffer.indexOf('\n'), 5);
    std::fill(std::begin(line), std::end(line), '\0');
    EXPECT_EQ(buffer.readLine(line, 3), 3); // cut at maxSize
    EXPECT_STREQ(line, "cde");
    EXPECT_EQ(buffer.indexOf('x'), -1);
}

TEST(ChunkBuffer, LargeByteArraysAreSharedNotCopied)
{
    ChunkBuffer buffer(16);
    const QByteArray big(1000, 'x');
    buffer.append(big);
    qint64 length = 0;
    EXPECT_EQ(buffer.front(&length), big.constData());
    EXPECT_EQ(length, 1000);
    buffer.append("yz", 2); // must not write into the shared array
    EXPECT_EQ(big, QByteArray(1000, 'x'));
    EXPECT_EQ(buffer.size(), 1002);
    QByteArray all(1002, '\0');
    buffer.read(all.data(), all.size());
    EXPECT_EQ(all, QByteArray(1000, 'x') + "yz");
}
