// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// dtlspskserver: a DTLS 1.2 PSK echo server, as Qt's DTLS server example is built: one QUdpSocket,
// a QDtlsClientVerifier that checks each new client's cookie, and one QDtls per verified peer.
//
//   dtlspskserver --port 5684 --hint "my server" --psk client1:00112233445566778899aabbccddeeff
//
// An ordinary Qt 6 QtNetwork program: it builds unchanged against QtPsk or Qt6::Network.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDtls>
#include <QHostAddress>
#include <QNetworkDatagram>
#include <QSslCipher>
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QUdpSocket>

#include <map>
#include <memory>

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
    startCommandLine(parser, u"dtlspskserver"_s,
        u"A DTLS server that authenticates clients with pre-shared keys and echoes every datagram. "
        "Prints \"Listening on <address>:<port>\", then each client's identity, cipher and "
        "datagrams. Never prints key bytes."_s);
    const QCommandLineOption listenOption(u"listen"_s, u"The address (default: 127.0.0.1)."_s,
                                          u"address"_s, u"127.0.0.1"_s);
    const QCommandLineOption portOption(u"port"_s, u"The port; 0 lets the system choose."_s,
                                        u"port"_s, u"0"_s);
    const QCommandLineOption hintOption(u"hint"_s, u"The PSK identity hint."_s, u"text"_s);
    const QCommandLineOption pskOption(u"psk"_s, u"Accept identity:hexkey. Repeatable."_s,
                                       u"identity:hexkey"_s);
    const QCommandLineOption onceOption(u"once"_s, u"Exit after the first client's shutdown."_s);
    parser.addOptions({ listenOption, portOption, hintOption, pskOption, onceOption });
    parser.process(app);

    PskTable keys;
    QString error;
    for (const QString &value : parser.values(pskOption)) {
        const std::optional<PskEntry> entry = parsePskEntry(value.toUtf8(), &error);
        if (!entry || !keys.insert(*entry, &error)) {
            printError(u"dtlspskserver: --psk: "_s + error);
            return 2;
        }
    }
    QUdpSocket socket;
    if (!socket.bind(QHostAddress(parser.value(listenOption)), parser.value(portOption).toUShort())) {
        printError(u"dtlspskserver: "_s + socket.errorString());
        return 1;
    }
    printLine(u"Listening on %1:%2"_s.arg(socket.localAddress().toString()).arg(socket.localPort()));

    //! [server]
    QSslConfiguration configuration = QSslConfiguration::defaultDtlsConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone); // PSK: no certificates
    configuration.setPreSharedKeyIdentityHint(parser.value(hintOption).toUtf8());
    QDtlsClientVerifier verifier;
    std::map<QString, std::unique_ptr<QDtls>> peers; // "address:port" -> its association
    const bool once = parser.isSet(onceOption);

    QObject::connect(&socket, &QUdpSocket::readyRead, [&] {
        while (socket.hasPendingDatagrams()) {
            const QNetworkDatagram datagram = socket.receiveDatagram();
            const QString name = u"%1:%2"_s.arg(datagram.senderAddress().toString())
                                         .arg(datagram.senderPort());
            auto found = peers.find(name);
            if (found == peers.end()) {
                // A new client: only a ClientHello that returns our cookie gets an association.
                if (!verifier.verifyClient(&socket, datagram.data(), datagram.senderAddress(),
                                           quint16(datagram.senderPort()))) {
                    continue;
                }
                auto dtls = std::make_unique<QDtls>(QSslSocket::SslServerMode);
                dtls->setDtlsConfiguration(configuration);
                dtls->setPeer(datagram.senderAddress(), quint16(datagram.senderPort()));
                QObject::connect(dtls.get(), &QDtls::pskRequired,
                                 [&keys, name](QSslPreSharedKeyAuthenticator *authenticator) {
                    printLine(u"%1: identity %2"_s.arg(name, printable(authenticator->identity())));
                    authenticator->setPreSharedKey(keys.key(authenticator->identity()));
                });
                found = peers.emplace(name, std::move(dtls)).first;
            }
            QDtls &dtls = *found->second;
            if (dtls.handshakeState() != QDtls::HandshakeComplete) {
                if (!dtls.doHandshake(&socket, datagram.data())) {
                    printLine(u"%1: handshake failed: %2"_s.arg(name, dtls.dtlsErrorString()));
                    peers.erase(found);
                } else if (dtls.handshakeState() == QDtls::HandshakeComplete) {
                    printLine(u"%1: encrypted, %2"_s.arg(name, dtls.sessionCipher().name()));
                }
                continue;
            }
            const QByteArray plaintext = dtls.decryptDatagram(&socket, datagram.data());
            if (dtls.dtlsError() == QDtlsError::RemoteClosedConnectionError) {
                printLine(u"%1: shut down"_s.arg(name));
                peers.erase(found);
                if (once)
                    QCoreApplication::exit(0);
                continue;
            }
            if (!plaintext.isEmpty()) {
                printLine(u"%1: %2"_s.arg(name, printable(plaintext)));
                dtls.writeDatagramEncrypted(&socket, plaintext);
            }
        }
    });
    //! [server]
    return QCoreApplication::exec();
}
