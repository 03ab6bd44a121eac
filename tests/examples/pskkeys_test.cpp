// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "pskkeys.h"

#include <QtCore/qbuffer.h>
#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qtemporarydir.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

using namespace PskExample;

namespace {

const QByteArray Key = QByteArray::fromHex("00112233445566778899aabbccddeeff");
const char KeyHex[] = "00112233445566778899aabbccddeeff";

// Reads \a text as a key file; returns the error ("" on success).
QString readText(const QByteArray &text, PskTable *table)
{
    QByteArray data = text;
    QBuffer buffer(&data);
    buffer.open(QIODevice::ReadOnly);
    QString error;
    const bool ok = readPskFile(&buffer, table, &error);
    EXPECT_EQ(ok, error.isEmpty());
    return error;
}

} // namespace

TEST(ParseHex, DecodesUpperAndLowerCaseDigits)
{
    EXPECT_EQ(parseHex("00aAfF19"), QByteArray::fromHex("00aaff19"));
}

TEST(ParseHex, RejectsEmptyOddLengthAndNonHexInput)
{
    EXPECT_FALSE(parseHex(""));
    EXPECT_FALSE(parseHex("abc"));
    EXPECT_FALSE(parseHex("0g"));
    EXPECT_FALSE(parseHex("0x00"));
    EXPECT_FALSE(parseHex("00 11"));
}

TEST(ParsePskEntry, SplitsIdentityAndKeyAtTheFirstColon)
{
    QString error;
    const auto entry = parsePskEntry(QByteArray("client1:") + KeyHex, &error);
    ASSERT_TRUE(entry) << error.toStdString();
    EXPECT_EQ(entry->identity, "client1");
    EXPECT_EQ(entry->key, Key);
}

TEST(ParsePskEntry, DecodesAHashPrefixedHexIdentityAsPsktoolWritesIt)
{
    QString error;
    const auto entry = parsePskEntry(QByteArray("#613a62:") + KeyHex, &error); // "a:b"
    ASSERT_TRUE(entry) << error.toStdString();
    EXPECT_EQ(entry->identity, "a:b");
    EXPECT_EQ(entry->key, Key);
}

TEST(ParsePskEntry, RejectsBadEntriesWithoutQuotingTheKey)
{
    const QByteArray secret = "deadbeefcafe";
    const QList<QByteArray> texts = { "client1", ":" + secret, "a:b:" + secret,
                                      "client1:" + secret + "x", "client1:", "#zz:" + secret,
                                      "#:" + secret };
    for (const QByteArray &text : texts) {
        QString error;
        EXPECT_FALSE(parsePskEntry(text, &error)) << text.constData();
        EXPECT_FALSE(error.isEmpty()) << text.constData();
        EXPECT_FALSE(error.contains(QString::fromLatin1(secret))) << error.toStdString();
    }
}

TEST(PskTable, LooksUpKnownIdentitiesAndGivesAnEmptyKeyForUnknownOnes)
{
    PskTable table;
    QString error;
    EXPECT_TRUE(table.insert({ "client1", Key }, &error));
    EXPECT_EQ(table.key("client1"), Key);
    EXPECT_TRUE(table.key("client2").isEmpty());
    EXPECT_FALSE(table.contains("client2"));
    EXPECT_FALSE(table.insert({ "client1", "other" }, &error));
    EXPECT_TRUE(error.contains(QLatin1String("client1")));
    EXPECT_EQ(table.key("client1"), Key);
}

TEST(ReadPskFile, ReadsEntriesAndSkipsCommentsBlankLinesAndCarriageReturns)
{
    PskTable table;
    const QByteArray text = QByteArray("# QtPsk keys\n\n   \n#613a62:") + KeyHex
        + "\r\nclient1:" + KeyHex + "\r\n  client2:0102  \n# a comment: with a colon\n";
    EXPECT_EQ(readText(text, &table), QString());
    EXPECT_EQ(table.size(), 3);
    EXPECT_EQ(table.key("a:b"), Key);
    EXPECT_EQ(table.key("client1"), Key);
    EXPECT_EQ(table.key("client2"), QByteArray::fromHex("0102"));
}

TEST(ReadPskFile, ReportsTheNumberOfTheFirstBadLineWithoutTheKey)
{
    PskTable table;
    const QString error = readText("# header\nclient1:0011\n\nclient2:deadbeefx\nbad\n", &table);
    EXPECT_TRUE(error.startsWith(QLatin1String("line 4: "))) << error.toStdString();
    EXPECT_FALSE(error.contains(QLatin1String("deadbeef"))) << error.toStdString();
}

TEST(ReadPskFile, RejectsAnIdentityListedTwice)
{
    PskTable table;
    const QString error = readText("client1:0011\nclient1:2233\n", &table);
    EXPECT_TRUE(error.startsWith(QLatin1String("line 2: "))) << error.toStdString();
}

TEST(LoadPskFile, ReadsAFileAndNamesItInErrors)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString good = dir.filePath(QStringLiteral("good.psk"));
    const QString bad = dir.filePath(QStringLiteral("bad.psk"));
    for (const auto &[name, text] : { std::pair{ good, QByteArray("client1:0011\n") },
                                      std::pair{ bad, QByteArray("client1\n") } }) {
        QFile file(name);
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(text);
    }

    PskTable table;
    QString error;
    EXPECT_TRUE(loadPskFile(good, &table, &error)) << error.toStdString();
    EXPECT_EQ(table.key("client1"), QByteArray::fromHex("0011"));

    EXPECT_FALSE(loadPskFile(bad, &table, &error));
    EXPECT_TRUE(error.startsWith(bad + QLatin1String(": line 1: "))) << error.toStdString();

    const QString missing = dir.filePath(QStringLiteral("missing.psk"));
    EXPECT_FALSE(loadPskFile(missing, &table, &error));
    EXPECT_TRUE(error.startsWith(missing)) << error.toStdString();
}

// --- Key files from pipes, long lines, hostile identities, permissions (issue 14, item 6) ---------

TEST(ReadPskFile, ReadsAFifoWhoseWriterIsSlowInOnePass)
{
    // What `--psk-file <(printf ...)` gives the program: a pipe, where QFile::atEnd() is true
    // whenever nothing is buffered (the old reader saw "no keys").
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QByteArray path = QFile::encodeName(dir.filePath(QStringLiteral("keys.fifo")));
    ASSERT_EQ(::mkfifo(path.constData(), 0600), 0);
    std::thread writer([&path] {
        const int fd = ::open(path.constData(), O_WRONLY);
        if (fd < 0)
            return;
        const QByteArray first = QByteArray("alice:") + KeyHex + "\n";
        const QByteArray second = QByteArray("bob:") + KeyHex + "\n";
        (void)!::write(fd, first.constData(), size_t(first.size()));
        // The second line in two pieces: the reader must not stop at a pipe that is empty for now.
        (void)!::write(fd, second.constData(), 3);
        (void)!::write(fd, second.constData() + 3, size_t(second.size() - 3));
        ::close(fd);
    });
    PskTable table;
    QString error;
    QString warning;
    const bool ok = loadPskFile(QFile::decodeName(path), &table, &error, &warning);
    writer.join();
    ASSERT_TRUE(ok) << error.toStdString();
    EXPECT_EQ(table.size(), 2);
    EXPECT_EQ(table.key("alice"), Key);
    EXPECT_EQ(table.key("bob"), Key);
    EXPECT_TRUE(warning.isEmpty()) << "a pipe has no file permissions to warn about";
}

TEST(ReadPskFile, RejectsAnOverlongLineByNumberWithoutQuotingIt)
{
    PskTable table;
    const QByteArray longLine = "evil:" + QByteArray(5000, 'a');
    const QString error = readText(QByteArray("alice:") + KeyHex + "\n" + longLine + "\n", &table);
    EXPECT_EQ(error, QStringLiteral("line 2: longer than 2048 bytes"));
}

TEST(ReadPskFile, RejectsMoreThanAMebibyte)
{
    PskTable table;
    QByteArray text;
    while (text.size() <= MaxPskFileSize)
        text += "# a comment line that is not an entry\n";
    EXPECT_EQ(readText(text, &table), QStringLiteral("more than 1048576 bytes"));
}

TEST(ReadPskFile, AnIdentityInAnErrorIsEscaped)
{
    PskTable table;
    // "#" + hex: the identity "\x1b[2J\r\nFAKE" (terminal escape and a forged line break).
    const QByteArray hostile = "#" + QByteArray("\x1b[2J\r\nFAKE").toHex() + ":" + KeyHex + "\n";
    const QString error = readText(hostile + hostile, &table);
    EXPECT_EQ(error, QStringLiteral("line 2: identity \"\\x1b[2J\\r\\nFAKE\" is listed twice"));
    EXPECT_FALSE(error.contains(QChar(0x1b)));
    EXPECT_FALSE(error.contains(QLatin1Char('\r')));
    EXPECT_FALSE(error.contains(QLatin1Char('\n')));
}

TEST(LoadPskFile, WarnsWhenGroupOrOthersMayReadOrWriteTheFile)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("keys.txt"));
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write(QByteArray("alice:") + KeyHex + "\n");
    file.close();
    const QByteArray native = QFile::encodeName(path);
    for (const mode_t mode : {mode_t(0600), mode_t(0400), mode_t(0640), mode_t(0604), mode_t(0620),
                              mode_t(0602), mode_t(0644), mode_t(0610), mode_t(0601)}) {
        SCOPED_TRACE(mode);
        ASSERT_EQ(::chmod(native.constData(), mode), 0);
        PskTable table;
        QString error;
        QString warning;
        ASSERT_TRUE(loadPskFile(path, &table, &error, &warning)) << error.toStdString();
        EXPECT_EQ(table.size(), 1) << "the file is read all the same";
        const bool shared = (mode & 077) != 0;
        EXPECT_EQ(!warning.isEmpty(), shared) << warning.toStdString();
        if (shared) {
            EXPECT_TRUE(warning.contains(QStringLiteral("chmod 600")));
        }
    }
}
