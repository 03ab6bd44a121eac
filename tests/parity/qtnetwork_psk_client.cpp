// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// A stock Qt 6 PSK client, built against the real Qt6::Network: default configuration (TLS 1.2
// and 1.3, Qt's default ciphers) and VerifyNone, a slot that sets an identity and a key, one line
// sent and one read. It prints what the slot saw and how the handshake ended, one fact per line,
// for tests that run it against a QtPsk server (qtnetwork_client_test.cpp).
//   qtnetwork_psk_client <port> <identity> <hex key>
#include <QCoreApplication>
#include <QSslCipher>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslSocket>
#include <QTimer>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList arguments = app.arguments();
    if (arguments.size() != 4) {
        std::fprintf(stderr, "usage: qtnetwork_psk_client <port> <identity> <hex key>\n");
        return 2;
    }
    qunsetenv("QT_USE_TLS_1_3_PSK"); // Qt's default behaviour
    const quint16 port = quint16(arguments.at(1).toUInt());
    const QByteArray identity = arguments.at(2).toUtf8();
    const QByteArray key = QByteArray::fromHex(arguments.at(3).toLatin1());

    QSslSocket socket;
    socket.setPeerVerifyMode(QSslSocket::VerifyNone);
    QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired,
                     [&](QSslPreSharedKeyAuthenticator *authenticator) {
                         std::printf("emission hint=%s\n",
                                     authenticator->identityHint().isNull()
                                             ? "(null)"
                                             : authenticator->identityHint().constData());
                         authenticator->setIdentity(identity);
                         authenticator->setPreSharedKey(key);
                     });
    QObject::connect(&socket, &QSslSocket::encrypted, [&] {
        std::printf("encrypted protocol=%d cipher=%s\n", int(socket.sessionProtocol()),
                    qPrintable(socket.sessionCipher().name()));
        socket.write("ping\n");
    });
    QObject::connect(&socket, &QSslSocket::readyRead, [&] {
        if (!socket.canReadLine())
            return;
        std::printf("reply=%s\n", socket.readLine().trimmed().constData());
        socket.disconnectFromHost();
    });
    QObject::connect(&socket, &QSslSocket::errorOccurred, [&](QAbstractSocket::SocketError error) {
        std::printf("error=%d %s\n", int(error), qPrintable(socket.errorString()));
    });
    QObject::connect(&socket, &QSslSocket::disconnected, &app, [] { QCoreApplication::exit(0); });
    QTimer::singleShot(20000, &app, [] { QCoreApplication::exit(3); });
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    const int status = app.exec();
    std::fflush(stdout);
    return status;
}
