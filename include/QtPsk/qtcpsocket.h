// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QTCPSOCKET_H
#define QTPSK_QTCPSOCKET_H

#include <QtPsk/qtpskglobal.h>
#include <QtPsk/qabstractsocket.h>
#include <QtPsk/qhostaddress.h>

#include <QtCore/qvariant.h>

QTPSK_BEGIN_NAMESPACE

/*!
    \class QTcpSocket
    \brief A TCP client (or accepted server-side) connection as a QIODevice.

    A source-compatible clone of QtNetwork's class: all of its behaviour comes from
    QAbstractSocket. Connect with connectToHost(), then read and write as with any QIODevice;
    or adopt a descriptor accepted elsewhere with setSocketDescriptor(). QSslSocket derives
    from it.

    \code
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("localhost"), 7);
    if (socket.waitForConnected(3000)) {
        socket.write("hello\n");
        if (socket.waitForReadyRead(3000))
            qInfo() << socket.readLine();
    }
    \endcode

    \section1 Differences from Qt
    None: identical to Qt, within what QAbstractSocket provides (no proxies).
*/
class QTPSK_EXPORT QTcpSocket : public QAbstractSocket
{
    Q_OBJECT
public:
    /*! Constructs an unconnected TCP socket with the given \a parent. */
    explicit QTcpSocket(QObject *parent = nullptr);
    /*! Destroys the socket, closing the connection if there is one. */
    ~QTcpSocket() override;

    using QAbstractSocket::bind;
    /*! Binds to the special address \a addr (for example QHostAddress::Any) and \a port. */
    bool bind(QHostAddress::SpecialAddress addr, quint16 port = 0,
              BindMode mode = DefaultForPlatform)
    { return bind(QHostAddress(addr), port, mode); }

protected:
    /*!
        Constructs a TCP socket whose private part is \a dd, for derived sockets such as
        QSslSocket (which install their stream layer on it).
    */
    QTPSK_NO_EXPORT
    explicit QTcpSocket(std::unique_ptr<QtPskPrivate::AbstractSocketPrivate> dd,
                        QObject *parent = nullptr);
    /*! Like the constructor above, for a socket of type \a socketType. */
    QTPSK_NO_EXPORT
    QTcpSocket(QAbstractSocket::SocketType socketType,
               std::unique_ptr<QtPskPrivate::AbstractSocketPrivate> dd, QObject *parent = nullptr);

private:
    Q_DISABLE_COPY_MOVE(QTcpSocket)
};

QTPSK_END_NAMESPACE

#endif // QTPSK_QTCPSOCKET_H
