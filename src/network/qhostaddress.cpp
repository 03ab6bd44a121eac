// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "network/qhostaddress_p.h"

#include <QtCore/qdatastream.h>
#include <QtCore/qdebug.h>
#include <QtCore/qendian.h>
#include <QtCore/qhashfunctions.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cstring>

QTPSK_BEGIN_NAMESPACE

// The address is always kept as 16 bytes: an IPv4 address in its IPv4-mapped form
// (::ffff:a.b.c.d), so that hashing and the IPv6 view need no conversion.
class QHostAddressPrivate : public QSharedData
{
public:
    quint8 bytes[16] = {};
    QString scopeId;
    QAbstractSocket::NetworkLayerProtocol protocol = QAbstractSocket::UnknownNetworkLayerProtocol;

    void setIPv4(quint32 ip4)
    {
        std::memset(bytes, 0, sizeof(bytes));
        bytes[10] = 0xff;
        bytes[11] = 0xff;
        qToBigEndian(ip4, bytes + 12);
        scopeId.clear();
        protocol = QAbstractSocket::IPv4Protocol;
    }
    void setIPv6(const quint8 *ip6)
    {
        std::memcpy(bytes, ip6, sizeof(bytes));
        scopeId.clear();
        protocol = QAbstractSocket::IPv6Protocol;
    }
    void setSpecial(QHostAddress::SpecialAddress address);
    quint32 low32() const { return qFromBigEndian<quint32>(bytes + 12); }
};

namespace {

constexpr quint32 ipv4Loopback = 0x7f000001U;
constexpr quint32 ipv4Broadcast = 0xffffffffU;

bool zeroBytes(const quint8 *bytes, int count)
{
    for (int i = 0; i < count; ++i) {
        if (bytes[i] != 0)
            return false;
    }
    return true;
}

bool isV4Mapped(const quint8 *bytes)
{
    return zeroBytes(bytes, 10) && bytes[10] == 0xff && bytes[11] == 0xff;
}

bool isV4Compatible(const quint8 *bytes)
{
    return zeroBytes(bytes, 12);
}

bool isIPv6Loopback(const quint8 *bytes)
{
    return zeroBytes(bytes, 15) && bytes[15] == 1;
}

void appendIPv4(QString &out, quint32 ip4)
{
    out += QString::number(ip4 >> 24) + QLatin1Char('.') + QString::number((ip4 >> 16) & 0xff)
            + QLatin1Char('.') + QString::number((ip4 >> 8) & 0xff) + QLatin1Char('.')
            + QString::number(ip4 & 0xff);
}

// RFC 5952 text, as Qt prints it (the same as inet_ntop(): "::" only for a run of two or more
// zero groups, the first longest run; ::ffff:a.b.c.d and ::a.b.c.d in dotted form).
QString ipv6ToString(const quint8 *bytes)
{
    char text[INET6_ADDRSTRLEN] = {};
    if (!inet_ntop(AF_INET6, bytes, text, sizeof text))
        return QString();
    return QString::fromLatin1(text);
}

// --- parsing, as Qt 6.4 parses (measured against Qt6::Network: tests/parity/hostaddress_test) --

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

// The netmask bytes for a prefix of \a bits (clamped to 8 * size) in \a mask.
void prefixMask(quint8 *mask, int size, int bits)
{
    for (int i = 0; i < size; ++i) {
        const int here = qBound(0, bits - 8 * i, 8);
        mask[i] = quint8(0xff00 >> here);
    }
}

QString scopeIdFromIndex(quint32 index)
{
    if (index == 0)
        return QString();
    char name[IF_NAMESIZE + 1] = {};
    if (if_indextoname(index, name))
        return QString::fromLocal8Bit(name);
    return QString::number(index);
}

quint32 scopeIdToIndex(const QString &scopeId)
{
    if (scopeId.isEmpty())
        return 0;
    bool ok = false;
    const quint32 number = scopeId.toUInt(&ok);
    if (ok)
        return number;
    return if_nametoindex(scopeId.toLocal8Bit().constData());
}

} // namespace

void QHostAddressPrivate::setSpecial(QHostAddress::SpecialAddress address)
{
    std::memset(bytes, 0, sizeof(bytes));
    scopeId.clear();
    switch (address) {
    case QHostAddress::Null:
        protocol = QAbstractSocket::UnknownNetworkLayerProtocol;
        break;
    case QHostAddress::Broadcast:
        setIPv4(ipv4Broadcast);
        break;
    case QHostAddress::LocalHost:
        setIPv4(ipv4Loopback);
        break;
    case QHostAddress::LocalHostIPv6:
        bytes[15] = 1;
        protocol = QAbstractSocket::IPv6Protocol;
        break;
    case QHostAddress::Any:
        protocol = QAbstractSocket::AnyIPProtocol;
        break;
    case QHostAddress::AnyIPv6:
        protocol = QAbstractSocket::IPv6Protocol;
        break;
    case QHostAddress::AnyIPv4:
        setIPv4(0);
        break;
    }
}

QHostAddress::QHostAddress()
    : d(new QHostAddressPrivate)
{
}

QHostAddress::QHostAddress(quint32 ip4Addr)
    : QHostAddress()
{
    setAddress(ip4Addr);
}

QHostAddress::QHostAddress(const quint8 *ip6Addr)
    : QHostAddress()
{
    setAddress(ip6Addr);
}

QHostAddress::QHostAddress(const Q_IPV6ADDR &ip6Addr)
    : QHostAddress()
{
    setAddress(ip6Addr);
}

QHostAddress::QHostAddress(const sockaddr *address)
    : QHostAddress()
{
    setAddress(address);
}

QHostAddress::QHostAddress(const QString &address)
    : QHostAddress()
{
    setAddress(address);
}

QHostAddress::QHostAddress(const QHostAddress &copy) = default;

QHostAddress::QHostAddress(SpecialAddress address)
    : QHostAddress()
{
    setAddress(address);
}

QHostAddress::~QHostAddress() = default;

QHostAddress &QHostAddress::operator=(const QHostAddress &other) = default;

QHostAddress &QHostAddress::operator=(SpecialAddress address)
{
    setAddress(address);
    return *this;
}

void QHostAddress::setAddress(quint32 ip4Addr)
{
    d->setIPv4(ip4Addr);
}

void QHostAddress::setAddress(const quint8 *ip6Addr)
{
    d->setIPv6(ip6Addr);
}

void QHostAddress::setAddress(const Q_IPV6ADDR &ip6Addr)
{
    d->setIPv6(ip6Addr.c);
}

void QHostAddress::setAddress(const sockaddr *address)
{
    *this = QtPskPrivate::fromSockAddr(address, nullptr);
}

bool QHostAddress::setAddress(const QString &address)
{
    // As Qt: surrounding whitespace is ignored and inner runs of it become one space (also in
    // the scope ID); text with a ':' is IPv6 (with an optional "%scope", which may be empty but
    // holds no second '%'), anything else IPv4.
    const QString text = address.simplified();
    if (text.contains(QLatin1Char(':'))) {
        const qsizetype percent = text.indexOf(QLatin1Char('%'));
        const QStringView addressPart = percent < 0 ? QStringView(text)
                                                    : QStringView(text).left(percent);
        const QString scopePart = percent < 0 ? QString() : text.mid(percent + 1);
        quint8 ip6[16];
        if (!scopePart.contains(QLatin1Char('%')) && parseIPv6(addressPart, ip6)) {
            d->setIPv6(ip6);
            d->scopeId = scopePart;
            return true;
        }
    } else {
        quint32 ip4 = 0;
        if (parseIPv4(text, &ip4)) {
            d->setIPv4(ip4);
            return true;
        }
    }
    clear();
    return false;
}

void QHostAddress::setAddress(SpecialAddress address)
{
    d->setSpecial(address);
}

QHostAddress::NetworkLayerProtocol QHostAddress::protocol() const
{
    return d->protocol;
}

quint32 QHostAddress::toIPv4Address(bool *ok) const
{
    bool convertible = false;
    quint32 result = 0;
    switch (d->protocol) {
    case QAbstractSocket::IPv4Protocol:
        convertible = true;
        result = d->low32();
        break;
    case QAbstractSocket::AnyIPProtocol:
        convertible = true;
        break;
    case QAbstractSocket::IPv6Protocol:
        if (isV4Mapped(d->bytes)) {
            convertible = true;
            result = d->low32();
        } else if (zeroBytes(d->bytes, 16)) {
            convertible = true;
        }
        break;
    case QAbstractSocket::UnknownNetworkLayerProtocol:
        break;
    }
    if (ok)
        *ok = convertible;
    return result;
}

Q_IPV6ADDR QHostAddress::toIPv6Address() const
{
    Q_IPV6ADDR result;
    std::memcpy(result.c, d->bytes, sizeof(result.c));
    return result;
}

QString QHostAddress::toString() const
{
    switch (d->protocol) {
    case QAbstractSocket::IPv4Protocol:
    case QAbstractSocket::AnyIPProtocol: {
        QString out;
        appendIPv4(out, d->low32());
        return out;
    }
    case QAbstractSocket::IPv6Protocol: {
        QString out = ipv6ToString(d->bytes);
        if (!d->scopeId.isEmpty())
            out += QLatin1Char('%') + d->scopeId;
        return out;
    }
    case QAbstractSocket::UnknownNetworkLayerProtocol:
        break;
    }
    return QString();
}

QString QHostAddress::scopeId() const
{
    return d->protocol == QAbstractSocket::IPv6Protocol ? d->scopeId : QString();
}

void QHostAddress::setScopeId(const QString &id)
{
    if (d->protocol == QAbstractSocket::IPv6Protocol)
        d->scopeId = id;
}

bool QHostAddress::isEqual(const QHostAddress &other, ConversionMode mode) const
{
    if (d == other.d)
        return true;

    const auto mine = d->protocol;
    const auto theirs = other.d->protocol;
    if (mine == QAbstractSocket::UnknownNetworkLayerProtocol
            || theirs == QAbstractSocket::UnknownNetworkLayerProtocol)
        return mine == theirs;

    const bool unspecifiedMine = zeroBytes(d->bytes, 16) || (mine == QAbstractSocket::IPv4Protocol && d->low32() == 0);
    const bool unspecifiedTheirs = zeroBytes(other.d->bytes, 16)
            || (theirs == QAbstractSocket::IPv4Protocol && other.d->low32() == 0);
    if (mine == QAbstractSocket::AnyIPProtocol || theirs == QAbstractSocket::AnyIPProtocol) {
        if (mine == theirs)
            return true;
        return mode.testFlag(ConvertUnspecifiedAddress) && unspecifiedMine && unspecifiedTheirs;
    }

    if (mine == theirs)
        return std::memcmp(d->bytes, other.d->bytes, sizeof(d->bytes)) == 0;

    // One IPv4, one IPv6.
    const QHostAddressPrivate &v4 = mine == QAbstractSocket::IPv4Protocol ? *d : *other.d;
    const QHostAddressPrivate &v6 = mine == QAbstractSocket::IPv4Protocol ? *other.d : *d;
    const quint32 ip4 = v4.low32();
    if (mode.testFlag(ConvertV4MappedToIPv4) && isV4Mapped(v6.bytes) && v6.low32() == ip4)
        return true;
    if (mode.testFlag(ConvertV4CompatToIPv4) && isV4Compatible(v6.bytes) && v6.low32() == ip4
            && ip4 != 0 && ip4 != 1)
        return true;
    if (mode.testFlag(ConvertUnspecifiedAddress) && ip4 == 0 && zeroBytes(v6.bytes, 16))
        return true;
    if (mode.testFlag(ConvertLocalHost) && ip4 == ipv4Loopback && isIPv6Loopback(v6.bytes))
        return true;
    return false;
}

bool QHostAddress::operator==(const QHostAddress &address) const
{
    return isEqual(address, StrictConversion);
}

bool QHostAddress::operator==(SpecialAddress address) const
{
    switch (address) {
    case Null:
        return d->protocol == QAbstractSocket::UnknownNetworkLayerProtocol;
    case Any:
        return d->protocol == QAbstractSocket::AnyIPProtocol;
    case Broadcast:
        return d->protocol == QAbstractSocket::IPv4Protocol && d->low32() == ipv4Broadcast;
    case LocalHost:
        return d->protocol == QAbstractSocket::IPv4Protocol && d->low32() == ipv4Loopback;
    case AnyIPv4:
        return d->protocol == QAbstractSocket::IPv4Protocol && d->low32() == 0;
    case LocalHostIPv6:
        return d->protocol == QAbstractSocket::IPv6Protocol && isIPv6Loopback(d->bytes);
    case AnyIPv6:
        return d->protocol == QAbstractSocket::IPv6Protocol && zeroBytes(d->bytes, 16);
    }
    return false;
}

bool QHostAddress::isNull() const
{
    return d->protocol == QAbstractSocket::UnknownNetworkLayerProtocol;
}

void QHostAddress::clear()
{
    d->setSpecial(Null);
}

bool QHostAddress::isInSubnet(const QHostAddress &subnet, int netmask) const
{
    if (netmask < 0 || subnet.protocol() != d->protocol)
        return false;
    int offset = 0;
    int size = 0;
    if (d->protocol == QAbstractSocket::IPv4Protocol) {
        offset = 12;
        size = 4;
    } else if (d->protocol == QAbstractSocket::IPv6Protocol) {
        size = 16;
    } else {
        return false;
    }
    quint8 mask[16];
    prefixMask(mask, size, netmask);
    for (int i = 0; i < size; ++i) {
        if ((d->bytes[offset + i] & mask[i]) != (subnet.d->bytes[offset + i] & mask[i]))
            return false;
    }
    return true;
}

bool QHostAddress::isInSubnet(const QPair<QHostAddress, int> &subnet) const
{
    return isInSubnet(subnet.first, subnet.second);
}

namespace {

// What an address is, for the is...() classifiers. IPv4-mapped addresses classify as IPv4.
enum class AddressKind {
    Unknown,      // null, or a reserved IPv4 range (240.0.0.0/4) or fe00::/9
    Unspecified,  // 0.0.0.0/8, ::, ::ffff:0.0.0.0
    Loopback,
    LinkLocal,
    Multicast,
    Broadcast,
    SiteLocal,
    UniqueLocal,
    Private,      // RFC 1918
    Global
};

AddressKind classifyIPv4(quint32 ip4)
{
    if ((ip4 >> 24) == 127)
        return AddressKind::Loopback;
    if ((ip4 >> 28) == 0xe)
        return AddressKind::Multicast;
    if ((ip4 >> 16) == 0xa9fe)
        return AddressKind::LinkLocal;
    if ((ip4 >> 24) == 0)
        return AddressKind::Unspecified;
    if (ip4 == ipv4Broadcast)
        return AddressKind::Broadcast;
    if ((ip4 >> 28) == 0xf)
        return AddressKind::Unknown;
    if ((ip4 >> 24) == 10 || (ip4 >> 20) == 0xac1 || (ip4 >> 16) == 0xc0a8)
        return AddressKind::Private;
    return AddressKind::Global;
}

AddressKind classify(const QHostAddressPrivate &d)
{
    switch (d.protocol) {
    case QAbstractSocket::UnknownNetworkLayerProtocol:
        return AddressKind::Unknown;
    case QAbstractSocket::AnyIPProtocol:
        return AddressKind::Unspecified;
    case QAbstractSocket::IPv4Protocol:
        return classifyIPv4(d.low32());
    case QAbstractSocket::IPv6Protocol:
        break;
    }
    const quint8 *b = d.bytes;
    if (isV4Mapped(b))
        return classifyIPv4(d.low32());
    if (b[0] == 0xff)
        return AddressKind::Multicast;
    if (b[0] == 0xfe) {
        if ((b[1] & 0xc0) == 0x80)
            return AddressKind::LinkLocal;
        if ((b[1] & 0xc0) == 0xc0)
            return AddressKind::SiteLocal;
        return AddressKind::Unknown;
    }
    if ((b[0] & 0xfe) == 0xfc)
        return AddressKind::UniqueLocal;
    if (isIPv6Loopback(b))
        return AddressKind::Loopback;
    if (zeroBytes(b, 16))
        return AddressKind::Unspecified;
    return AddressKind::Global;
}

} // namespace

bool QHostAddress::isLoopback() const
{
    return classify(*d) == AddressKind::Loopback;
}

bool QHostAddress::isGlobal() const
{
    switch (classify(*d)) {
    case AddressKind::Global:
    case AddressKind::Private:
    case AddressKind::UniqueLocal:
    case AddressKind::SiteLocal:
        return true;
    default:
        return false;
    }
}

bool QHostAddress::isLinkLocal() const
{
    return classify(*d) == AddressKind::LinkLocal;
}

bool QHostAddress::isSiteLocal() const
{
    return classify(*d) == AddressKind::SiteLocal;
}

bool QHostAddress::isUniqueLocalUnicast() const
{
    return classify(*d) == AddressKind::UniqueLocal;
}

bool QHostAddress::isMulticast() const
{
    return classify(*d) == AddressKind::Multicast;
}

bool QHostAddress::isBroadcast() const
{
    return classify(*d) == AddressKind::Broadcast;
}

QPair<QHostAddress, int> QHostAddress::parseSubnet(const QString &subnet)
{
    const QPair<QHostAddress, int> invalid(QHostAddress(), -1);
    const QString text = subnet.trimmed();
    const qsizetype slash = text.indexOf(QLatin1Char('/'));
    QString addressPart = slash < 0 ? text : text.left(slash);
    const QString maskPart = slash < 0 ? QString() : text.mid(slash + 1);
    if (addressPart.isEmpty() || (slash >= 0 && maskPart.isEmpty()))
        return invalid;

    int maxBits = 128;
    int bits = -1;
    if (!addressPart.contains(QLatin1Char(':'))) {
        maxBits = 32;
        // An IPv4 network may omit its trailing zero parts: "10.1" is 10.1.0.0.
        if (addressPart.endsWith(QLatin1Char('.')))
            addressPart.chop(1);
        const qsizetype parts = addressPart.count(QLatin1Char('.')) + 1;
        if (parts < 1 || parts > 4)
            return invalid;
        if (slash < 0)
            bits = int(8 * parts);
        for (qsizetype i = parts; i < 4; ++i)
            addressPart += QLatin1String(".0");
    } else if (slash < 0) {
        bits = 128;
    }

    QHostAddress network;
    if (!network.setAddress(addressPart) || !network.scopeId().isEmpty())
        return invalid;

    if (slash >= 0) {
        bool ok = false;
        bits = maskPart.toInt(&ok, 10);
        if (!ok) {
            // An IPv4 netmask in dotted form, which must be contiguous.
            QHostAddress mask;
            if (maxBits != 32 || !mask.setAddress(maskPart)
                    || mask.protocol() != QAbstractSocket::IPv4Protocol)
                return invalid;
            const quint32 value = mask.toIPv4Address();
            const quint32 inverted = ~value;
            if ((inverted & (inverted + 1)) != 0)
                return invalid;
            bits = 0;
            for (quint32 v = value; v & 0x80000000U; v <<= 1)
                ++bits;
        }
    }
    if (bits < 0 || bits > maxBits)
        return invalid;

    quint8 mask[16];
    if (maxBits == 32) {
        prefixMask(mask, 4, bits);
        const quint32 maskValue = qFromBigEndian<quint32>(mask);
        return qMakePair(QHostAddress(network.toIPv4Address() & maskValue), bits);
    }
    prefixMask(mask, 16, bits);
    Q_IPV6ADDR masked = network.toIPv6Address();
    for (int i = 0; i < 16; ++i)
        masked.c[i] &= mask[i];
    return qMakePair(QHostAddress(masked), bits);
}

size_t qHash(const QHostAddress &key, size_t seed) noexcept
{
    return qHashBits(key.d->bytes, sizeof(key.d->bytes), seed);
}

QDebug operator<<(QDebug debug, const QHostAddress &address)
{
    const QDebugStateSaver saver(debug);
    debug.resetFormat().nospace();
    if (address == QHostAddress::Any)
        debug << "QHostAddress(QHostAddress::Any)";
    else
        debug << "QHostAddress(" << address.toString() << ')';
    return debug;
}

QDataStream &operator<<(QDataStream &stream, const QHostAddress &address)
{
    stream << qint8(address.protocol());
    switch (address.protocol()) {
    case QAbstractSocket::IPv4Protocol:
        stream << address.toIPv4Address();
        break;
    case QAbstractSocket::IPv6Protocol: {
        const Q_IPV6ADDR ip6 = address.toIPv6Address();
        for (quint8 byte : ip6.c)
            stream << byte;
        stream << address.scopeId();
        break;
    }
    case QAbstractSocket::AnyIPProtocol:
    case QAbstractSocket::UnknownNetworkLayerProtocol:
        break;
    }
    return stream;
}

QDataStream &operator>>(QDataStream &stream, QHostAddress &address)
{
    qint8 protocol = 0;
    stream >> protocol;
    switch (protocol) {
    case qint8(QAbstractSocket::IPv4Protocol): {
        quint32 ip4 = 0;
        stream >> ip4;
        address.setAddress(ip4);
        break;
    }
    case qint8(QAbstractSocket::IPv6Protocol): {
        Q_IPV6ADDR ip6;
        for (quint8 &byte : ip6.c)
            stream >> byte;
        QString scope;
        stream >> scope;
        address.setAddress(ip6);
        address.setScopeId(scope);
        break;
    }
    case qint8(QAbstractSocket::AnyIPProtocol):
        address.setAddress(QHostAddress::Any);
        break;
    case qint8(QAbstractSocket::UnknownNetworkLayerProtocol):
        address.clear();
        break;
    default:
        address.clear();
        stream.setStatus(QDataStream::ReadCorruptData);
        break;
    }
    return stream;
}

namespace QtPskPrivate {

socklen_t toSockAddr(const QHostAddress &address, quint16 port, sockaddr_storage *out)
{
    std::memset(out, 0, sizeof(*out));
    switch (address.protocol()) {
    case QAbstractSocket::IPv4Protocol: {
        sockaddr_in sin;
        std::memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_port = htons(port);
        sin.sin_addr.s_addr = htonl(address.toIPv4Address());
        std::memcpy(out, &sin, sizeof(sin));
        return socklen_t(sizeof(sin));
    }
    case QAbstractSocket::IPv6Protocol:
    case QAbstractSocket::AnyIPProtocol: {
        sockaddr_in6 sin6;
        std::memset(&sin6, 0, sizeof(sin6));
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(port);
        const Q_IPV6ADDR ip6 = address.toIPv6Address();
        std::memcpy(sin6.sin6_addr.s6_addr, ip6.c, sizeof(ip6.c));
        sin6.sin6_scope_id = scopeIdToIndex(address.scopeId());
        std::memcpy(out, &sin6, sizeof(sin6));
        return socklen_t(sizeof(sin6));
    }
    case QAbstractSocket::UnknownNetworkLayerProtocol:
        break;
    }
    return 0;
}

QHostAddress fromSockAddr(const sockaddr *address, quint16 *port)
{
    QHostAddress result;
    quint16 resultPort = 0;
    if (address && address->sa_family == AF_INET) {
        sockaddr_in sin;
        std::memcpy(&sin, address, sizeof(sin));
        result.setAddress(quint32(ntohl(sin.sin_addr.s_addr)));
        resultPort = ntohs(sin.sin_port);
    } else if (address && address->sa_family == AF_INET6) {
        sockaddr_in6 sin6;
        std::memcpy(&sin6, address, sizeof(sin6));
        result.setAddress(sin6.sin6_addr.s6_addr);
        result.setScopeId(scopeIdFromIndex(sin6.sin6_scope_id));
        resultPort = ntohs(sin6.sin6_port);
    }
    if (port)
        *port = resultPort;
    return result;
}

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE
