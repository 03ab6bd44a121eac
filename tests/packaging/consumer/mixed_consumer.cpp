// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QtPsk built with QTPSK_NAMESPACE=QtPskNs and Qt6::Network in one translation unit and one program.
// Every QtPsk header beside its Qt6::Network namesake: no include guard or name may clash.
#include <QtPsk/QAbstractSocket>
#include <QtPsk/QHostAddress>
#include <QtPsk/QSsl>
#include <QtPsk/QSslCipher>
#include <QtPsk/QSslConfiguration>
#include <QtPsk/QSslError>
#include <QtPsk/QSslPreSharedKeyAuthenticator>
#include <QtPsk/QSslServer>
#include <QtPsk/QSslSocket>
#include <QtPsk/QTcpServer>
#include <QtPsk/QTcpSocket>
#include <QtNetwork/QAbstractSocket>
#include <QtNetwork/QHostAddress>
#include <QtNetwork/QSsl>
#include <QtNetwork/QSslCipher>
#include <QtNetwork/QSslConfiguration>
#include <QtNetwork/QSslError>
#include <QtNetwork/QSslPreSharedKeyAuthenticator>
#include <QtNetwork/QSslServer>
#include <QtNetwork/QSslSocket>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>

#include <QtCore/QMetaType>

#include <QtCore/QCoreApplication>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QtPskNs::QSslPreSharedKeyAuthenticator ours;
    ours.setIdentity("ours");
    ::QSslPreSharedKeyAuthenticator qts;
    qts.setIdentity("qt");
    const bool distinctMetaTypes = QMetaType::fromType<QtPskNs::QSslPreSharedKeyAuthenticator>()
            != QMetaType::fromType< ::QSslPreSharedKeyAuthenticator>();
    std::printf("%s %s %d %s\n", ours.identity().constData(), qts.identity().constData(),
                int(distinctMetaTypes),
                QMetaType::fromType<QtPskNs::QSslPreSharedKeyAuthenticator *>().name());
    // Both socket classes exist side by side.
    QtPskNs::QSslSocket ourSocket;
    ::QSslSocket qtSocket;
    const bool bothSockets = ourSocket.state() == QtPskNs::QAbstractSocket::UnconnectedState
            && qtSocket.state() == ::QAbstractSocket::UnconnectedState;
    return (ours.identity() == "ours" && qts.identity() == "qt" && distinctMetaTypes && bothSockets)
            ? 0 : 1;
}
