// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// authmanager: connects to a TLS-PSK server, sends one line and prints the line it answers.
//
//   AUTHMANAGER_PASSPHRASE='correct horse battery staple' authmanager 127.0.0.1 4433 [line]
//
// The identity is "My Qt App"; the key is derived from the passphrase (see AuthManager). Exits
// with 0 when a reply arrived, 1 on an error, 2 on bad arguments, 3 after 10 s without a reply.
// This is a plain QtNetwork program: docs/migrating-from-qtnetwork.md moves it to QtPsk.
#include <QCoreApplication>
#include <QSslSocket>
#include <QTimer>

#include <cstdio>

#include "authmanager.h"

namespace {

// Bytes from the network, never raw to the terminal (a peer could forge lines or send escape
// sequences): escaped C-style (\\, \", \n, \r, \t, \xNN), at most 128 bytes shown. The other
// examples share the same escaping as PskExample::printable(); this project stands alone.
QByteArray printable(const QByteArray &bytes)
{
    QByteArray out;
    for (const char c : bytes.left(128)) {
        const auto byte = static_cast<unsigned char>(c);
        switch (byte) {
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        default:
            if (byte >= 0x20 && byte < 0x7f)
                out += c;
            else
                out += "\\x" + QByteArray::number(byte, 16).rightJustified(2, '0');
        }
    }
    if (bytes.size() > 128)
        out += "... (" + QByteArray::number(bytes.size()) + " bytes)";
    return out;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments();
    const QByteArray passphrase = qgetenv("AUTHMANAGER_PASSPHRASE");
    bool portOk = false;
    const quint16 port = args.size() > 2 ? args.at(2).toUShort(&portOk) : 0;
    if (args.size() < 3 || args.size() > 4 || !portOk || passphrase.isEmpty()) {
        std::fprintf(stderr, "usage: AUTHMANAGER_PASSPHRASE=<passphrase> authmanager <host> <port> [<line>]\n");
        return 2;
    }
    const QString host = args.at(1);
    const QByteArray line = args.size() > 3 ? args.at(3).toUtf8() : QByteArray("Hello from AuthManager");
    int exitCode = 3;

    //! [client]
    QSslSocket socket;
    socket.setPeerVerifyMode(QSslSocket::VerifyNone); // PSK: there is no certificate to verify
    AuthManager authManager("My Qt App", passphrase);
    QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired,
                     &authManager, &AuthManager::handlePreSharedKeyAuthentication);
    QObject::connect(&socket, &QSslSocket::encrypted, [&] { socket.write(line + '\n'); });
    QObject::connect(&socket, &QSslSocket::readyRead, [&] {
        if (exitCode != 0 && socket.canReadLine()) {
            std::printf("Reply: %s\n", printable(socket.readLine().trimmed()).constData());
            exitCode = 0;
            QCoreApplication::quit();
        }
    });
    socket.connectToHostEncrypted(host, port);
    //! [client]
    QObject::connect(&socket, &QSslSocket::errorOccurred, [&] {
        if (exitCode == 0)
            return; // the server hung up after answering
        std::fprintf(stderr, "Error: %s\n", qPrintable(socket.errorString()));
        exitCode = 1;
        QCoreApplication::quit();
    });
    QTimer::singleShot(10000, &app, [] {
        std::fprintf(stderr, "Error: no reply within 10 s\n");
        QCoreApplication::quit();
    });
    return app.exec() == 0 ? exitCode : 1;
}
