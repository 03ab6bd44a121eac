// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QHOSTADDRESS_H
#define QTPSK_QHOSTADDRESS_H

#include <QtPsk/qtpskglobal.h>

#include <QtCore/qflags.h>
#include <QtCore/qobjectdefs.h>
#include <QtCore/qpair.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qstring.h>

// As in Qt 6, QHostAddress::NetworkLayerProtocol is QAbstractSocket's enum.
#include <QtPsk/qabstractsocket.h>

struct sockaddr;

QT_BEGIN_NAMESPACE
class QDebug;
class QDataStream;
QT_END_NAMESPACE

QTPSK_BEGIN_NAMESPACE

class QHostAddressPrivate;

/*!
    \class QIPv6Address
    \brief The 16 bytes of an IPv6 address, in network byte order.

    A plain aggregate, identical in layout and use to QtNetwork's: \c c[0] is the most
    significant byte. Q_IPV6ADDR is another name for it.

    \section1 Differences from Qt
    None: identical to Qt.
*/
class QTPSK_EXPORT QIPv6Address
{
public:
    /*! Returns a modifiable reference to byte \a index (0 to 15) of the address. */
    inline quint8 &operator[](int index) { return c[index]; }
    /*! Returns byte \a index (0 to 15) of the address. */
    inline quint8 operator[](int index) const { return c[index]; }
    /*! The address bytes, most significant first. */
    quint8 c[16];
};

/*! Another name for QIPv6Address, as in QtNetwork. */
typedef QIPv6Address Q_IPV6ADDR;

class QHostAddress;
/*!
    Returns a hash of \a key, seeded with \a seed. Addresses that compare equal hash equally;
    an IPv4 address hashes like its IPv4-mapped IPv6 form. The scope ID does not take part.
*/
QTPSK_EXPORT size_t qHash(const QHostAddress &key, size_t seed = 0) noexcept;

/*!
    \class QHostAddress
    \brief An IPv4 or IPv6 address, the QtNetwork value class of the same name.

    A drop-in clone of QtNetwork's QHostAddress. It holds an IPv4 address, an IPv6 address
    (optionally with a scope ID such as \c eth0 for a link-local address), the protocol-neutral
    "any address" (QHostAddress::Any), or nothing at all (a null address).

    \code
    QHostAddress a(QStringLiteral("::ffff:127.0.0.1"));
    a.protocol();                                    // IPv6Protocol
    a.toIPv4Address();                               // 0x7f000001: a v4-mapped address converts
    a == QHostAddress(QHostAddress::LocalHost);      // false: operator== is strict
    a.isEqual(QHostAddress::LocalHost);              // true: isEqual() is tolerant by default
    \endcode

    Strings are parsed as Qt parses them: IPv4 as inet_aton() reads it (dotted decimal, and the
    short, octal and hex forms), IPv6 as RFC 4291 text with an optional \c %scope suffix;
    surrounding whitespace is ignored. IPv6 addresses print in RFC 5952 form: lower case, the
    first longest run of two or more zero groups compressed to \c ::, and IPv4-mapped and
    IPv4-compatible addresses with their last 32 bits in dotted form (\c \::ffff:1.2.3.4).

    The class is implicitly shared and reentrant.

    \section1 Differences from Qt
    None: identical to Qt, also in which text it accepts. Like Qt, setAddress() reads IPv4 text
    as inet_aton() does: \c "127.1" is 127.0.0.1, \c "010.1.2.3" (octal) is 8.1.2.3,
    \c "0x7f.1" is 127.0.0.1 and \c "2130706433" is 127.0.0.1 too; IPv6 text prints in
    RFC 5952 form. (The parity test tests/parity/hostaddress_test.cpp checks a table of inputs
    against Qt6::Network.)
*/
class QTPSK_EXPORT QHostAddress
{
    Q_GADGET
public:
    /*! Addresses with a name of their own, for the constructor and operator==(). */
    enum SpecialAddress {
        Null,          //!< The null address: no address at all (isNull()).
        Broadcast,     //!< The IPv4 broadcast address 255.255.255.255.
        LocalHost,     //!< The IPv4 loopback address 127.0.0.1.
        LocalHostIPv6, //!< The IPv6 loopback address ::1.
        Any,           //!< Any address of either protocol; a server bound to it accepts IPv4 and IPv6.
        AnyIPv6,       //!< The IPv6 unspecified address ::.
        AnyIPv4        //!< The IPv4 unspecified address 0.0.0.0.
    };
    /*! Which equivalences isEqual() accepts between addresses of different forms. */
    enum ConversionModeFlag {
        ConvertV4MappedToIPv4 = 1,     //!< 1.2.3.4 equals the IPv4-mapped \::ffff:1.2.3.4.
        ConvertV4CompatToIPv4 = 2,     //!< 1.2.3.4 equals the IPv4-compatible ::1.2.3.4.
        ConvertUnspecifiedAddress = 4, //!< Any, AnyIPv4 and AnyIPv6 all equal each other.
        ConvertLocalHost = 8,          //!< 127.0.0.1 equals ::1.
        TolerantConversion = 0xff,     //!< Every conversion above.

        StrictConversion = 0           //!< None: the protocol and the bytes must match.
    };
    /*! A combination of ConversionModeFlag values. */
    Q_DECLARE_FLAGS(ConversionMode, ConversionModeFlag)

    /*! The network-layer protocol of an address: QAbstractSocket's enum, as in Qt 6. */
    using NetworkLayerProtocol = QAbstractSocket::NetworkLayerProtocol;
    /*! An IPv4 address. */
    static constexpr auto IPv4Protocol = QAbstractSocket::IPv4Protocol;
    /*! An IPv6 address. */
    static constexpr auto IPv6Protocol = QAbstractSocket::IPv6Protocol;
    /*! QHostAddress::Any: either protocol. */
    static constexpr auto AnyIPProtocol = QAbstractSocket::AnyIPProtocol;
    /*! No protocol: the null address. */
    static constexpr auto UnknownNetworkLayerProtocol = QAbstractSocket::UnknownNetworkLayerProtocol;

    /*! Constructs a null address (isNull() is \c true). */
    QHostAddress();
    /*! Constructs the IPv4 address \a ip4Addr, given in host byte order (0x7f000001 is 127.0.0.1). */
    explicit QHostAddress(quint32 ip4Addr);
    /*! Constructs the IPv6 address in the 16 bytes at \a ip6Addr (network byte order). */
    explicit QHostAddress(const quint8 *ip6Addr);
    /*! Constructs the IPv6 address \a ip6Addr. */
    explicit QHostAddress(const Q_IPV6ADDR &ip6Addr);
    /*!
        Constructs the address in the native socket address \a address (AF_INET or AF_INET6;
        an IPv6 scope becomes the scope ID). Any other family gives a null address.
    */
    explicit QHostAddress(const sockaddr *address);
    /*! Constructs the address that \a address spells (see setAddress()); null if it is not one. */
    explicit QHostAddress(const QString &address);
    /*! Constructs a copy of \a copy. */
    QHostAddress(const QHostAddress &copy);
    /*! Constructs the special address \a address; implicit, so QHostAddress::Any works as an argument. */
    QHostAddress(SpecialAddress address);
    /*! Destroys the address. */
    ~QHostAddress();

    /*! Move-assigns \a other to this address and returns a reference to this one. */
    QHostAddress &operator=(QHostAddress &&other) noexcept
    { swap(other); return *this; }
    /*! Makes this address a copy of \a other and returns a reference to it. */
    QHostAddress &operator=(const QHostAddress &other);
    /*! Makes this address the special address \a address and returns a reference to it. */
    QHostAddress &operator=(SpecialAddress address);

    /*! Swaps this address with \a other. This operation is very fast and never fails. */
    void swap(QHostAddress &other) noexcept { d.swap(other.d); }

    /*! Sets the IPv4 address \a ip4Addr (host byte order); clears the scope ID. */
    void setAddress(quint32 ip4Addr);
    /*! Sets the IPv6 address in the 16 bytes at \a ip6Addr; clears the scope ID. */
    void setAddress(const quint8 *ip6Addr);
    /*! Sets the IPv6 address \a ip6Addr; clears the scope ID. */
    void setAddress(const Q_IPV6ADDR &ip6Addr);
    /*! Sets the address in the native socket address \a address (see the constructor). */
    void setAddress(const sockaddr *address);
    /*!
        Parses \a address, such as "192.168.1.10", "fe80::1%eth0" or "::ffff:10.0.0.1", and
        sets it. As in Qt, whitespace around the text is ignored, IPv4 text may use the short
        and legacy forms inet_aton() accepts ("127.1", octal "010.1.2.3", hex "0x7f.1", one
        number "2130706433"), and an empty scope ID ("fe80::1%") is no scope ID. Returns \c true on success; on failure the address becomes null and \c false
        is returned. Host names are not resolved.
    */
    bool setAddress(const QString &address);
    /*! Sets the special address \a address. */
    void setAddress(SpecialAddress address);

    /*! Returns the protocol: IPv4Protocol, IPv6Protocol, AnyIPProtocol (for Any) or UnknownNetworkLayerProtocol (null). */
    NetworkLayerProtocol protocol() const;
    /*!
        Returns the IPv4 address in host byte order. An IPv6 address converts when it is
        IPv4-mapped (\::ffff:a.b.c.d) or unspecified (::), and Any gives 0. If \a ok is not null,
        \c *ok is set to whether the address had an IPv4 form; without one, 0 is returned.
    */
    quint32 toIPv4Address(bool *ok = nullptr) const;
    /*!
        Returns the IPv6 address. An IPv4 address gives its IPv4-mapped form (\::ffff:a.b.c.d);
        a null address and Any give all zeros.
    */
    Q_IPV6ADDR toIPv6Address() const;

    /*!
        Returns the address as text: dotted decimal for IPv4 and for Any ("0.0.0.0"), RFC 5952
        style for IPv6 with \c %scope appended when a scope ID is set, and an empty string for
        a null address.
    */
    QString toString() const;

    /*! Returns the IPv6 scope ID (an interface name or number); empty if none or not IPv6. */
    QString scopeId() const;
    /*! Sets the IPv6 scope ID to \a id (an empty string removes it). Ignored unless the address is IPv6. */
    void setScopeId(const QString &id);

    /*!
        Returns \c true if this address equals \a address, accepting the conversions in
        \a mode between their forms (by default all of them). The scope ID is not compared.
    */
    bool isEqual(const QHostAddress &address, ConversionMode mode = TolerantConversion) const;
    /*! Returns \c true if this address equals \a address strictly: same protocol, same bytes. */
    bool operator==(const QHostAddress &address) const;
    /*! Returns \c true if this address is, strictly, the special address \a address. */
    bool operator==(SpecialAddress address) const;
    /*! Returns \c true if this address differs strictly from \a address. */
    inline bool operator!=(const QHostAddress &address) const
    { return !operator==(address); }
    /*! Returns \c true if this address is not the special address \a address. */
    inline bool operator!=(SpecialAddress address) const
    { return !operator==(address); }
    /*! Returns \c true for the null address, which holds no address at all. */
    bool isNull() const;
    /*! Makes this address null and removes the scope ID. */
    void clear();

    /*!
        Returns \c true if this address lies in the network \a subnet / \a netmask (a prefix
        length in bits). Both must be of the same protocol; a negative \a netmask never matches.
    */
    bool isInSubnet(const QHostAddress &subnet, int netmask) const;
    /*! Returns \c true if this address lies in \a subnet, a network and prefix length as parseSubnet() returns. */
    bool isInSubnet(const QPair<QHostAddress, int> &subnet) const;

    /*! Returns \c true for a loopback address: 127.0.0.0/8, ::1, or an IPv4-mapped loopback. */
    bool isLoopback() const;
    /*!
        Returns \c true for an address that is routable in principle: not loopback, link-local,
        multicast, broadcast, unspecified or reserved. As in Qt, private IPv4 networks
        (RFC 1918), IPv6 unique-local and site-local addresses count as global.
    */
    bool isGlobal() const;
    /*! Returns \c true for a link-local address: 169.254.0.0/16 or fe80::/10. */
    bool isLinkLocal() const;
    /*! Returns \c true for a deprecated IPv6 site-local address (fec0::/10). */
    bool isSiteLocal() const;
    /*! Returns \c true for an IPv6 unique local unicast address (fc00::/7). */
    bool isUniqueLocalUnicast() const;
    /*! Returns \c true for a multicast address: 224.0.0.0/4 or ff00::/8. */
    bool isMulticast() const;
    /*! Returns \c true for the IPv4 broadcast address 255.255.255.255. */
    bool isBroadcast() const;

    /*!
        Parses \a subnet, such as "10.1.0.0/16", "10.1.0.0/255.255.0.0", "10.1" or "fd00::/8",
        into the network address (host bits cleared) and its prefix length. An IPv4 address
        with fewer than four parts and no slash takes a prefix of 8 bits per part. On error it
        returns a null address and -1.
    */
    static QPair<QHostAddress, int> parseSubnet(const QString &subnet);

    friend QTPSK_EXPORT size_t qHash(const QHostAddress &key, size_t seed) noexcept;

    /*! Returns \c true if \a rhs is, strictly, the special address \a lhs. */
    friend bool operator==(QHostAddress::SpecialAddress lhs, const QHostAddress &rhs)
    { return rhs == lhs; }
    /*! Returns \c true if \a rhs is not the special address \a lhs. */
    friend bool operator!=(QHostAddress::SpecialAddress lhs, const QHostAddress &rhs)
    { return rhs != lhs; }

private:
    friend class QHostAddressPrivate;
    QSharedDataPointer<QHostAddressPrivate> d;
};
Q_DECLARE_OPERATORS_FOR_FLAGS(QHostAddress::ConversionMode)

/*! Writes \a address to \a debug as \c QHostAddress("1.2.3.4"), or \c QHostAddress(QHostAddress::Any). */
QTPSK_EXPORT QDebug operator<<(QDebug debug, const QHostAddress &address);
/*! Writes \a address to \a stream in QtNetwork's format (protocol, address bytes, scope ID). */
QTPSK_EXPORT QDataStream &operator<<(QDataStream &stream, const QHostAddress &address);
/*! Reads an address written by operator<<() from \a stream into \a address. */
QTPSK_EXPORT QDataStream &operator>>(QDataStream &stream, QHostAddress &address);

QTPSK_END_NAMESPACE

QTPSK_DECLARE_SHARED(QHostAddress)

#endif // QTPSK_QHOSTADDRESS_H
