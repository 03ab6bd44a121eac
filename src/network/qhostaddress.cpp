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

// Each converting constructor is the default one followed by the matching setAddress().
QHostAddress::QHostAddress(quint32 ip4Addr) : QHostAddress() { setAddress(ip4Addr); }
QHostAddress::QHostAddress(const quint8 *ip6Addr) : QHostAddress() { setAddress(ip6Addr); }
QHostAddress::QHostAddress(const Q_IPV6ADDR &ip6Addr) : QHostAddress() { setAddress(ip6Addr); }
QHostAddress::QHostAddress(const sockaddr *address) : QHostAddress() { setAddress(address); }
QHostAddress::QHostAddress(const QString &address) : QHostAddress() { setAddress(address); }
QHostAddress::QHostAddress(SpecialAddress address) : QHostAddress() { setAddress(address); }

QHostAddress::QHostAddress(const QHostAddress &copy) = default;

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
        if (!scopePart.contains(QLatin1Char('%')) && QtPskPrivate::parseIPv6(addressPart, ip6)) {
            d->setIPv6(ip6);
            d->scopeId = scopePart;
            return true;
        }
    } else {
        quint32 ip4 = 0;
        if (QtPskPrivate::parseIPv4(text, &ip4)) {
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

QHostAddress::NetworkLayerProtocol QHostAddress::protocol() const { return d->protocol; }

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
    case QAbstractSocket::AnyIPProtocol:
        return QtPskPrivate::ipv4ToString(d->low32());
    case QAbstractSocket::IPv6Protocol: {
        QString out = QtPskPrivate::ipv6ToString(d->bytes);
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
    Private,      // 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16
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
