// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// dtlspskclient: sends one datagram over DTLS 1.2 PSK and prints the reply.
//
//   dtlspskclient --port 5684 --identity client1 --key 00112233445566778899aabbccddeeff "hello"
//
// An ordinary Qt 6 QtNetwork program: it builds unchanged against QtPsk or Qt6::Network.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDtls>
#include <QHostAddress>
#include <QSslCipher>
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QTimer>
#include <QUdpSocket>

#include "commandline.h"
#include "console.h"
#include "pskkeys.h"
#include "printable.h"

using namespace Qt::StringLiterals;
using namespace PskExample;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    startCommandLine(parser, u"dtlspskclient"_s,
        u"Sends a message to a DTLS PSK server and prints \"Reply: <text>\". Exits with 0 on a "
        "reply, 1 on an error or after --timeout milliseconds."_s);
    const QCommandLineOption hostOption(u"host"_s, u"The server (default: 127.0.0.1)."_s,
                                        u"address"_s, u"127.0.0.1"_s);
    const QCommandLineOption portOption(u"port"_s, u"The server's port."_s, u"port"_s);
    const QCommandLineOption identityOption(u"identity"_s, u"The PSK identity."_s, u"identity"_s);
    const QCommandLineOption keyOption(u"key"_s, u"The key in hex."_s, u"hexkey"_s);
    const QCommandLineOption ciphersOption(u"ciphers"_s,
        u"OpenSSL cipher names, e.g. PSK-AES128-CCM8 (default: the library's DTLS default)."_s,
        u"list"_s);
    const QCommandLineOption timeoutOption(u"timeout"_s, u"Give up after this many ms."_s,
                                           u"ms"_s, u"30000"_s);
    parser.addOptions({ hostOption, portOption, identityOption, keyOption, ciphersOption,
                        timeoutOption });
    parser.addPositionalArgument(u"message"_s, u"The text to send."_s);
    parser.process(app);
    const std::optional<QByteArray> key = parseHex(parser.value(keyOption).toLatin1());
    if (!key || key->isEmpty() || parser.positionalArguments().size() != 1) {
        printError(u"dtlspskclient: give --key (hex) and one message"_s);
        return 2;
    }
    const QByteArray identity = parser.value(identityOption).toUtf8();
    const QByteArray message = parser.positionalArguments().front().toUtf8();

    //! [client]
    QUdpSocket socket;
    socket.bind(QHostAddress::LocalHost, 0);
    QDtls dtls(QSslSocket::SslClientMode);
    QSslConfiguration configuration = QSslConfiguration::defaultDtlsConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone); // PSK: no certificate to verify
    if (parser.isSet(ciphersOption))
        configuration.setCiphers(parser.value(ciphersOption));
    dtls.setDtlsConfiguration(configuration);
    dtls.setPeer(QHostAddress(parser.value(hostOption)), parser.value(portOption).toUShort());
    QObject::connect(&dtls, &QDtls::pskRequired, [&](QSslPreSharedKeyAuthenticator *authenticator) {
        authenticator->setIdentity(identity);
        authenticator->setPreSharedKey(*key);
    });
    QObject::connect(&dtls, &QDtls::handshakeTimeout, [&] {
        if (!dtls.handleTimeout(&socket)) { // QtPsk gives up on a final flight nobody answers
            printError(u"dtlspskclient: "_s + dtls.dtlsErrorString());
            QCoreApplication::exit(1);
        }
    });
    QObject::connect(&socket, &QUdpSocket::readyRead, [&] {
        while (socket.hasPendingDatagrams()) {
            QByteArray datagram(qMax<qint64>(socket.pendingDatagramSize(), 0), Qt::Uninitialized);
            datagram.resize(qMax<qint64>(socket.readDatagram(datagram.data(), datagram.size()), 0));
            if (dtls.handshakeState() == QDtls::HandshakeInProgress) {
                if (!dtls.doHandshake(&socket, datagram)) {
                    printError(u"dtlspskclient: handshake failed: "_s + dtls.dtlsErrorString());
                    QCoreApplication::exit(1);
                } else if (dtls.isConnectionEncrypted()) {
                    printLine(u"Encrypted: %1"_s.arg(dtls.sessionCipher().name()));
                    dtls.writeDatagramEncrypted(&socket, message);
                }
            } else if (dtls.isConnectionEncrypted()) {
                const QByteArray reply = dtls.decryptDatagram(&socket, datagram);
                if (!reply.isEmpty()) {
                    printLine(u"Reply: "_s + printable(reply));
                    dtls.shutdown(&socket);
                    QCoreApplication::exit(0);
                }
            }
        }
    });
    if (!dtls.doHandshake(&socket)) {
        printError(u"dtlspskclient: "_s + dtls.dtlsErrorString());
        return 1;
    }
    //! [client]
    QTimer::singleShot(parser.value(timeoutOption).toInt(), [] {
        printError(u"dtlspskclient: no reply in time"_s);
        QCoreApplication::exit(1);
    });
    return QCoreApplication::exec();
}
