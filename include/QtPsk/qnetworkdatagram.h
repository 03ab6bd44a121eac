// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QNETWORKDATAGRAM_H
#define QTPSK_QNETWORKDATAGRAM_H

#include <QtPsk/qtpskglobal.h>
#include <QtPsk/qhostaddress.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qshareddata.h>

QTPSK_BEGIN_NAMESPACE

class QNetworkDatagramPrivate;
class QUdpSocket;

/*!
    \class QNetworkDatagram
    \brief A UDP datagram: its payload and the addresses, ports, hop limit and interface that
    travel with it.

    A source-compatible clone of QtNetwork's value class. QUdpSocket::receiveDatagram() returns
    one with the sender, the destination (the local address and port it arrived at), the hop
    limit (TTL) and the interface index filled in; QUdpSocket::writeDatagram() sends one to its
    destination, from its sender address and interface when they are set, with its hop limit
    when it is not -1. makeReply() turns a received datagram into the answer to its sender.

    \code
    QUdpSocket socket;
    socket.bind(QHostAddress::LocalHost, 5683);
    QObject::connect(&socket, &QUdpSocket::readyRead, [&socket] {
        while (socket.hasPendingDatagrams()) {
            const QNetworkDatagram request = socket.receiveDatagram();
            socket.writeDatagram(request.makeReply(request.data()));
        }
    });
    \endcode

    QNetworkDatagram is implicitly shared: copies share the data until one of them changes.

    \section1 Differences from Qt
    None. (Qt's class copies its data on every copy; QtPsk's shares it until a change, which no
    caller can tell apart.)
*/
class QTPSK_EXPORT QNetworkDatagram
{
public:
    /*! Constructs an empty, invalid datagram: no payload, no addresses, hop limit -1. */
    QNetworkDatagram();
    /*!
        Constructs a datagram with the payload \a data, addressed to \a destinationAddress and
        \a port (for QUdpSocket::writeDatagram()).
    */
    QNetworkDatagram(const QByteArray &data, const QHostAddress &destinationAddress = QHostAddress(),
                     quint16 port = 0); // implicit, as in Qt
    /*! Constructs a copy of \a other. */
    QNetworkDatagram(const QNetworkDatagram &other);
    /*! Assigns \a other to this datagram and returns a reference to it. */
    QNetworkDatagram &operator=(const QNetworkDatagram &other);
    /*! Destroys the datagram. */
    ~QNetworkDatagram();
    /*! Move-constructs a datagram from \a other. */
    QNetworkDatagram(QNetworkDatagram &&other) noexcept;
    /*! Move-assigns \a other to this datagram (by swapping the two). */
    QNetworkDatagram &operator=(QNetworkDatagram &&other) noexcept
    { swap(other); return *this; }

    /*! Swaps this datagram with \a other. */
    void swap(QNetworkDatagram &other) noexcept { d.swap(other.d); }

    /*!
        Clears the payload and the addresses; the hop limit becomes -1 and the interface index
        0. The datagram is then invalid.
    */
    void clear();
    /*!
        Returns \c true if the datagram has a sender or a destination address (its payload may
        be empty).
    */
    bool isValid() const;
    /*! Returns \c true if the datagram is not valid (see isValid()). */
    bool isNull() const
    { return !isValid(); }

    /*!
        Returns the index of the network interface the datagram arrived on (or is to leave
        by), or 0 when not known or not set.
    */
    uint interfaceIndex() const;
    /*! Sets the interface the datagram is to leave by to \a index (0: the system chooses). */
    void setInterfaceIndex(uint index);

    /*! Returns the sender's address, or a null address when not known or not set. */
    QHostAddress senderAddress() const;
    /*!
        Returns the destination address: for a received datagram, the local address it was
        sent to; a null address when not known or not set.
    */
    QHostAddress destinationAddress() const;
    /*! Returns the sender's port, or -1 when the sender address is null. */
    int senderPort() const;
    /*! Returns the destination port, or -1 when the destination address is null. */
    int destinationPort() const;
    /*!
        Sets the sender to \a address and \a port: for a datagram to send, the local address
        it is to be sent from (the port is not used for sending).
    */
    void setSender(const QHostAddress &address, quint16 port = 0);
    /*! Sets the destination to \a address and \a port. */
    void setDestination(const QHostAddress &address, quint16 port);

    /*!
        Returns the hop limit (IPv4 TTL) the datagram arrived with, or -1 when not known; for a
        datagram to send, the limit it is to be sent with (-1: the socket's default).
    */
    int hopLimit() const;
    /*! Sets the hop limit to \a count (-1: the socket's default). */
    void setHopLimit(int count);

    /*! Returns the payload. */
    QByteArray data() const;
    /*! Sets the payload to \a data. */
    void setData(const QByteArray &data);

    /*!
        Returns the reply to this received datagram with the payload \a payload: addressed to
        this datagram's sender and port, through the same interface, with the default hop
        limit; sent from the address this datagram arrived at, unless that was a multicast or
        address (the system then chooses; a broadcast destination is kept, as in Qt).
    */
    QNetworkDatagram makeReply(const QByteArray &payload) const &
    { return makeReply_helper(payload); }
    /*! Like the overload above, reusing this datagram, which it turns into the reply. */
    QNetworkDatagram makeReply(const QByteArray &payload) &&
    { makeReply_helper_inplace(payload); return *this; }

private:
    friend class QUdpSocket;

    QNetworkDatagram makeReply_helper(const QByteArray &data) const;
    void makeReply_helper_inplace(const QByteArray &data);

    QSharedDataPointer<QNetworkDatagramPrivate> d;
};

QTPSK_END_NAMESPACE

QTPSK_DECLARE_SHARED(QNetworkDatagram)

QT_DECL_METATYPE_EXTERN_TAGGED(QTPSK_PREPEND_NAMESPACE(QNetworkDatagram), QtPsk_QNetworkDatagram,
                               QTPSK_EXPORT)

#endif // QTPSK_QNETWORKDATAGRAM_H
