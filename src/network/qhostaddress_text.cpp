// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The text form of IPv4 and IPv6 addresses: parsing it as Qt 6.4 does (measured against
// Qt6::Network: tests/parity/hostaddress_test.cpp) and printing it as Qt does.
#include "network/qhostaddress_p.h"

#include <QtCore/qlist.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

namespace {

// Whitespace that Qt skips in front of a number, inside the text.
bool isSkippedSpace(char16_t c)
{
    return c < 0x100 && QChar(c).isSpace();
}

int digitValue(char16_t c, int base)
{
    int value = -1;
    if (c >= u'0' && c <= u'9')
        value = c - u'0';
    else if (c >= u'a' && c <= u'f')
        value = c - u'a' + 10;
    else if (c >= u'A' && c <= u'F')
        value = c - u'A' + 10;
    return value < base ? value : -1;
}

// Reads one number of \a text the way C's strtoull() does with base 0 (\a base 0) or a fixed
// base: leading whitespace, an optional '+', then "0x" (hex), "0b" (binary) or "0" (octal) for
// base 0, or an optional "0x" for base 16. The whole of \a text must be the number. No '-'. Returns false
// on a malformed number or one above \a maximum.
bool parseNumber(QStringView text, int base, quint64 maximum, quint64 *out)
{
    qsizetype i = 0;
    while (i < text.size() && isSkippedSpace(text[i].unicode()))
        ++i;
    if (i < text.size() && text[i] == u'+')
        ++i;
    // "0x" (or "0b") followed by a digit of that base.
    const auto prefixAt = [&](qsizetype at, char16_t letter, int prefixBase) {
        return at + 2 < text.size() && text[at] == u'0'
                && (text[at + 1] == QChar(letter) || text[at + 1] == QChar(letter).toUpper())
                && digitValue(text[at + 2].unicode(), prefixBase) >= 0;
    };
    if (base == 0) {
        if (prefixAt(i, u'x', 16)) {
            base = 16;
            i += 2;
        } else if (prefixAt(i, u'b', 2)) {
            base = 2; // C23's binary prefix, which Qt's strtoull() accepts too
            i += 2;
        } else if (i < text.size() && text[i] == u'0') {
            base = 8;
        } else {
            base = 10;
        }
    } else if (base == 16 && prefixAt(i, u'x', 16)) {
        i += 2;
    }
    if (i == text.size())
        return false;
    quint64 value = 0;
    for (; i < text.size(); ++i) {
        const int digit = digitValue(text[i].unicode(), base);
        if (digit < 0)
            return false;
        value = value * quint64(base) + quint64(digit);
        if (value > maximum)
            return false;
    }
    *out = value;
    return true;
}

// The dotted IPv4 tail of an IPv6 address: exactly four decimal parts of at most 255, none
// written with a leading zero.
bool parseEmbeddedIPv4(QStringView text, quint8 *out)
{
    const QList<QStringView> parts = text.split(u'.');
    if (parts.size() != 4)
        return false;
    for (int i = 0; i < 4; ++i) {
        const QStringView part = parts.at(i);
        if (part.size() > 1 && part.front() == u'0')
            return false;
        quint64 value = 0;
        if (!parseNumber(part, 10, 0xff, &value))
            return false;
        out[i] = quint8(value);
    }
    return true;
}

// One group of an IPv6 address: at most four characters, hex (an "0x" prefix, a '+' and
// leading whitespace count towards the four, as in Qt).
bool parseIPv6Group(QStringView text, quint16 *out)
{
    if (text.isEmpty() || text.size() > 4)
        return false;
    quint64 value = 0;
    if (!parseNumber(text, 16, 0xffff, &value))
        return false;
    *out = quint16(value);
    return true;
}

} // namespace

QString ipv4ToString(quint32 ip4)
{
    return QString::number(ip4 >> 24) + QLatin1Char('.') + QString::number((ip4 >> 16) & 0xff)
            + QLatin1Char('.') + QString::number((ip4 >> 8) & 0xff) + QLatin1Char('.')
            + QString::number(ip4 & 0xff);
}

QString ipv6ToString(const quint8 *bytes)
{
    char text[INET6_ADDRSTRLEN] = {};
    if (!inet_ntop(AF_INET6, bytes, text, sizeof text))
        return QString();
    return QString::fromLatin1(text);
}

// IPv4 text as inet_aton() reads it, with Qt's additions: one to four parts, each decimal,
// octal (leading 0) or hex (0x); the last part fills the remaining bytes ("127.1" is
// 127.0.0.1, "2130706433" too).
bool parseIPv4(QStringView text, quint32 *out)
{
    quint32 result = 0;
    int partCount = 0;
    qsizetype start = 0;
    while (true) {
        const qsizetype dot = text.indexOf(u'.', start);
        const QStringView part = dot < 0 ? text.mid(start) : text.mid(start, dot - start);
        ++partCount;
        if (partCount > 4)
            return false;
        const bool last = dot < 0;
        // The last of n parts holds the remaining 5 - n bytes.
        const quint64 maximum = last ? (quint64(1) << (8 * (5 - partCount))) - 1 : 0xff;
        quint64 value = 0;
        if (!parseNumber(part, 0, maximum, &value))
            return false;
        if (last) {
            result |= quint32(value);
            break;
        }
        result |= quint32(value) << (8 * (4 - partCount));
        start = dot + 1;
    }
    *out = result;
    return true;
}

// IPv6 text without the scope ID.
bool parseIPv6(QStringView text, quint8 *out)
{
    quint8 head[16] = {};
    int groups = 0;            // 16-bit groups read so far (the IPv4 tail counts two)
    int compressedAt = -1;     // the group index of "::"
    qsizetype i = 0;
    const qsizetype size = text.size();
    if (size >= 2 && text[0] == u':' && text[1] == u':') {
        compressedAt = 0;
        i = 2;
    }
    while (i < size) {
        qsizetype end = text.indexOf(u':', i);
        if (end < 0)
            end = size;
        const QStringView field = text.mid(i, end - i);
        if (field.contains(u'.')) {
            // The dotted IPv4 form ends the address and takes two groups.
            if (end != size || groups > 6 || !parseEmbeddedIPv4(field, head + 2 * groups))
                return false;
            groups += 2;
            i = end;
            break;
        }
        quint16 group = 0;
        if (groups == 8 || !parseIPv6Group(field, &group))
            return false;
        head[2 * groups] = quint8(group >> 8);
        head[2 * groups + 1] = quint8(group & 0xff);
        ++groups;
        i = end;
        if (i == size)
            break;
        ++i; // the ':' after the group
        if (i == size)
            return false; // a single trailing ':'
        if (text[i] != u':')
            continue;
        // "::"
        if (compressedAt >= 0)
            return false;
        if (groups == 8) {
            // Qt accepts a complete address followed by colons only ("1:2:3:4:5:6:7:8::").
            for (qsizetype j = i; j < size; ++j) {
                if (text[j] != u':')
                    return false;
            }
            i = size;
            break;
        }
        compressedAt = groups;
        ++i;
    }
    if (compressedAt < 0) {
        if (groups != 8)
            return false;
        std::memcpy(out, head, 16);
        return true;
    }
    if (groups > 7)
        return false;
    // The groups after "::" move to the end; the gap is zeros.
    std::memset(out, 0, 16);
    std::memcpy(out, head, 2 * compressedAt);
    const int tail = groups - compressedAt;
    std::memcpy(out + 16 - 2 * tail, head + 2 * compressedAt, 2 * tail);
    return true;
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
