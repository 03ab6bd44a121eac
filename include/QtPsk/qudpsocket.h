// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QUDPSOCKET_H
#define QTPSK_QUDPSOCKET_H

#include <QtPsk/qtpskglobal.h>
#include <QtPsk/qabstractsocket.h>
#include <QtPsk/qhostaddress.h>
#include <QtPsk/qnetworkdatagram.h>

QTPSK_BEGIN_NAMESPACE

/*!
    \class QUdpSocket
    \brief A UDP socket: sends and receives datagrams, bound or connected.

    A source-compatible clone of QtNetwork's class, with Qt's states, signals, error codes and
    error strings. bind() a local address and port (state BoundState; BindMode as in Qt:
    ShareAddress or ReuseAddressHint let other sockets bind the same port), then
    writeDatagram() to any peer and read what arrives with readDatagram() or
    receiveDatagram(), whenever readyRead() says that datagrams wait (hasPendingDatagrams(),
    pendingDatagramSize()). readyRead() is emitted once until a datagram is read, as in Qt.
    writeDatagram() on an unbound socket binds it first (to QHostAddress::Any, port 0), and
    bytesWritten() is emitted from inside writeDatagram().

    connectToHost() makes a connected UDP socket (ConnectedState, connected() emitted at once
    for an IP literal): it only exchanges datagrams with that peer, and read() and write() work
    on whole datagrams (a read() of fewer bytes than the datagram drops the rest, as in Qt). The
    device is opened unbuffered, as in Qt.

    \code
    QUdpSocket socket;
    socket.bind(QHostAddress::LocalHost);
    socket.writeDatagram("ping", QHostAddress::LocalHost, 7);
    if (socket.waitForReadyRead(3000)) {
        const QNetworkDatagram reply = socket.receiveDatagram();
        qInfo() << reply.senderAddress() << reply.data();
    }
    \endcode

    \section1 Differences from Qt
    \list
    \li Not provided yet: multicast (joinMulticastGroup(), leaveMulticastGroup(),
        multicastInterface(), setMulticastInterface()). Qt declares them only with
        QNetworkInterface, which QtPsk does not provide (\c QT_NO_NETWORKINTERFACE is
        defined), so code that uses them does not compile; they may come in a later release.
    \li No proxy engine, as for every QtPsk socket (see QAbstractSocket).
    \endlist
*/
class QTPSK_EXPORT QUdpSocket : public QAbstractSocket
{
    Q_OBJECT
public:
    /*! Constructs an unbound UDP socket with the given \a parent. */
    explicit QUdpSocket(QObject *parent = nullptr);
    /*! Destroys the socket, closing it. */
    ~QUdpSocket() override;

    using QAbstractSocket::bind;
    /*! Binds to the special address \a addr (for example QHostAddress::Any) and \a port. */
    bool bind(QHostAddress::SpecialAddress addr, quint16 port = 0,
              BindMode mode = DefaultForPlatform)
    { return bind(QHostAddress(addr), port, mode); }

    /*!
        Returns \c true if at least one datagram (possibly empty) is waiting to be read. As in
        Qt, warns and returns \c false on a socket that is neither bound nor connected.
    */
    bool hasPendingDatagrams() const;
    /*!
        Returns the size of the first waiting datagram, or -1 if there is none (or the socket
        is neither bound nor connected).
    */
    qint64 pendingDatagramSize() const;
    /*!
        Receives one datagram of at most \a maxSize bytes (-1: the whole of the next
        datagram; a larger datagram is cut, the rest dropped) with its sender, destination,
        hop limit and interface. Returns an invalid datagram if none is waiting; errors are
        reported with errorOccurred().
    */
    QNetworkDatagram receiveDatagram(qint64 maxSize = -1);
    /*!
        Receives one datagram: at most \a maxlen bytes of it go to \a data (the rest is
        dropped), its sender's address and port to *\a host and *\a port when they are not
        null. Returns the number of bytes stored, or -1 on error (errorOccurred() is emitted).
    */
    qint64 readDatagram(char *data, qint64 maxlen, QHostAddress *host = nullptr,
                        quint16 *port = nullptr);

    /*!
        Sends \a datagram to its destination address and port, from its sender address and
        interface when they are set and with its hop limit when it is not -1. Returns the
        bytes sent or -1 (see the overload below).
    */
    qint64 writeDatagram(const QNetworkDatagram &datagram);
    /*!
        Sends the \a len bytes at \a data as one datagram to \a host and \a port, binding an
        unbound socket first. Returns \a len, and emits bytesWritten(), on success; -1 and
        errorOccurred() on failure (DatagramTooLargeError for a datagram over the system's
        limit, TemporaryError when the kernel's buffer is full, NetworkError otherwise).
    */
    qint64 writeDatagram(const char *data, qint64 len, const QHostAddress &host, quint16 port);
    /*! Sends \a datagram to \a host and \a port (see the overload above). */
    inline qint64 writeDatagram(const QByteArray &datagram, const QHostAddress &host, quint16 port)
    { return writeDatagram(datagram.constData(), datagram.size(), host, port); }

private:
    Q_DISABLE_COPY_MOVE(QUdpSocket)
    // Sends the \a len bytes at \a data with the addressing of \a header (its payload is not
    // used), binding an unbound socket first.
    QTPSK_NO_EXPORT qint64 sendDatagram(const char *data, qint64 len,
                                        const QNetworkDatagram &header);
};

QTPSK_END_NAMESPACE

#endif // QTPSK_QUDPSOCKET_H
