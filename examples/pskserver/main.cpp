// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// pskserver: a TLS-PSK line echo server.
//
//   pskserver --port 4433 --hint "my server" --psk client1:00112233445566778899aabbccddeeff
//
// An ordinary Qt 6 QtNetwork program: it builds unchanged against QtPsk or Qt6::Network.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QHostAddress>
#include <QSslCipher>
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslServer>
#include <QSslSocket>

#include "commandline.h"
#include "console.h"
#include "passphrasekdf.h"
#include "pskkeys.h"
#include "printable.h"
#include "pskonlyconfiguration.h"
#include "sslnames.h"

using namespace Qt::StringLiterals;
using namespace PskExample;

namespace {

// For --help.
const QString description =
    u"A TLS server that authenticates clients with pre-shared keys (PSK) and echoes every "
    "line it receives.\n"
    "Prints \"Listening on <address>:<port>\" once it listens, then for each connection the "
    "client's identity, the negotiated protocol and cipher, each line, and errors and TLS "
    "alerts. Never prints key bytes. A client whose identity is not in the key table fails "
    "the handshake.\n\n"
    "Key file format (as written by GnuTLS's psktool and read by mosquitto's psk_file): "
    "one \"identity:hexkey\" a line. An identity that contains ':' is written as '#' "
    "followed by the identity in hex (\"#613a62:<hexkey>\" is identity \"a:b\"). Other "
    "lines starting with '#', and blank lines, are ignored."_s;

QString peerName(const QSslSocket *socket)
{
    return u"%1:%2"_s.arg(socket->peerAddress().toString()).arg(socket->peerPort());
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    startCommandLine(parser, u"pskserver"_s, description);
    const QCommandLineOption listenOption(u"listen"_s,
        u"The address to listen on (default: 127.0.0.1)."_s, u"address"_s, u"127.0.0.1"_s);
    const QCommandLineOption portOption(u"port"_s,
        u"The port to listen on; 0 lets the system choose (default: 0)."_s, u"port"_s, u"0"_s);
    const QCommandLineOption hintOption(u"hint"_s,
        u"The PSK identity hint to send to clients (default: none)."_s, u"text"_s);
    const QCommandLineOption pskOption(u"psk"_s,
        u"Accept this identity with this key, e.g. client1:00112233445566778899aabbccddeeff. "
        "Repeatable."_s, u"identity:hexkey"_s);
    const QCommandLineOption pskFileOption(u"psk-file"_s,
        u"Read identity:hexkey lines from this file (format above; a pipe or <(...) works "
        "too); unlike --psk, this keeps keys out of the process list. A file that group or "
        "others may read or write gets a warning (chmod 600)."_s, u"file"_s);
    const QCommandLineOption passphraseOption(u"psk-passphrase"_s,
        u"Accept this identity with the key pskclient --passphrase derives from this "
        "passphrase and --hint. Repeatable."_s, u"identity:passphrase"_s);
    const QCommandLineOption protocolOption(u"protocol"_s,
        u"TLS version: %1 (default: secure, TLS 1.2 and 1.3; only TLS 1.2 sends the hint). "
        "Built against Qt6::Network, TLS 1.3 PSK also needs QT_USE_TLS_1_3_PSK=1."_s
            .arg(protocolChoices()),
        u"name"_s, u"secure"_s);
    const QCommandLineOption ciphersOption(u"ciphers"_s,
        u"Colon-separated OpenSSL cipher names to accept (default: the library's default)."_s,
        u"list"_s);
    const QCommandLineOption onceOption(u"once"_s,
        u"Exit after the first connection has closed: with 0 if it was encrypted and ended "
        "without an error, otherwise with 1."_s);
    parser.addOptions({ listenOption, portOption, hintOption, pskOption, pskFileOption,
                        passphraseOption, protocolOption, ciphersOption, onceOption });
    parser.process(app);

    // --- Check the arguments and load the keys ----------------------------------------------
    const auto usageError = [](const QString &message) {
        printError(u"pskserver: "_s + message);
        return 2;
    };
    const QHostAddress address(parser.value(listenOption));
    if (address.isNull())
        return usageError(u"--listen needs an IP address"_s);
    bool ok = false;
    const quint16 port = parser.value(portOption).toUShort(&ok);
    if (!ok)
        return usageError(u"bad --port"_s);
    const std::optional<QSsl::SslProtocol> protocol = protocolFromName(parser.value(protocolOption));
    if (!protocol)
        return usageError(u"unknown --protocol \"%1\""_s.arg(parser.value(protocolOption)));
    const QByteArray hint = parser.value(hintOption).toUtf8();

    PskTable keys;
    QString error;
    for (const QString &value : parser.values(pskOption)) {
        const std::optional<PskEntry> entry = parsePskEntry(value.toUtf8(), &error);
        if (!entry || !keys.insert(*entry, &error))
            return usageError(u"--psk: "_s + error);
    }
    for (const QString &value : parser.values(passphraseOption)) {
        const qsizetype colon = value.indexOf(u':');
        if (colon <= 0)
            return usageError(u"--psk-passphrase expects identity:passphrase"_s);
        const PskEntry entry{ value.first(colon).toUtf8(),
                              deriveKeyFromPassphrase(value.sliced(colon + 1).toUtf8(), hint) };
        if (!keys.insert(entry, &error))
            return usageError(u"--psk-passphrase: "_s + error);
    }
    if (parser.isSet(pskFileOption)) {
        QString warning;
        if (!loadPskFile(parser.value(pskFileOption), &keys, &error, &warning))
            return usageError(error);
        if (!warning.isEmpty())
            printError(u"pskserver: "_s + warning);
    }
    if (keys.isEmpty())
        return usageError(u"no keys: give --psk, --psk-file or --psk-passphrase (see --help)"_s);

    // --- Configure TLS: PSK only, no certificate ---------------------------------------------
    // No client certificates. TLS 1.2 by default: TLS 1.3 has no identity hint (which
    // --passphrase needs), and Qt's own QSslSocket offers a TLS 1.3 PSK only if the environment
    // variable QT_USE_TLS_1_3_PSK is set.
    std::optional<QSslConfiguration> configuration = pskOnlyConfiguration(
        *protocol, parser.isSet(ciphersOption) ? std::optional(parser.value(ciphersOption)) : std::nullopt);
    if (!configuration)
        return usageError(u"none of the --ciphers is supported"_s);
    if (!hint.isEmpty())
        configuration->setPreSharedKeyIdentityHint(hint);

    QSslServer server;
    server.setSslConfiguration(*configuration);
    const bool once = parser.isSet(onceOption);
    bool failed = false; // --once: did the encrypted connection end with an error?

    // Called during each handshake with the identity the client sent. The authenticator lives
    // only during this call (a direct connection). An unknown identity gets no key, which
    // fails the handshake.
    //! [lookup]
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired,
                     [&keys](QSslSocket *socket, QSslPreSharedKeyAuthenticator *authenticator) {
        const QByteArray identity = authenticator->identity();
        const bool known = keys.contains(identity);
        printLine(u"[%1] Client identity: %2%3"_s.arg(peerName(socket), printable(identity),
                                                      known ? QString() : u" (unknown: refused)"_s));
        if (known)
            authenticator->setPreSharedKey(keys.key(identity));
    });
    //! [lookup]
    QObject::connect(&server, &QSslServer::startedEncryptionHandshake, [](QSslSocket *socket) {
        printLine(u"[%1] Connected, TLS handshake started"_s.arg(peerName(socket)));
    });
    QObject::connect(&server, &QSslServer::errorOccurred,
                     [&](QSslSocket *socket, QAbstractSocket::SocketError) {
        // Errors before and during the handshake; QSslServer then deletes the socket.
        printError(u"[%1] Error: %2"_s.arg(peerName(socket), socket->errorString()));
        if (once)
            QCoreApplication::exit(1); // the first connection never got going
    });
    QObject::connect(&server, &QSslServer::alertReceived,
                     [](QSslSocket *socket, QSsl::AlertLevel level, QSsl::AlertType type,
                        const QString &description) {
        printError(u"[%1] Alert received: %2"_s.arg(peerName(socket),
                                                     alertText(level, type, description)));
    });
    QObject::connect(&server, &QSslServer::alertSent,
                     [](QSslSocket *socket, QSsl::AlertLevel level, QSsl::AlertType type,
                        const QString &description) {
        printError(u"[%1] Alert sent: %2"_s.arg(peerName(socket),
                                                 alertText(level, type, description)));
    });

    // QSslServer hands out a connection only once its handshake has succeeded.
    QObject::connect(&server, &QSslServer::pendingConnectionAvailable, [&] {
        while (server.hasPendingConnections()) {
            auto *socket = qobject_cast<QSslSocket *>(server.nextPendingConnection());
            const QString peer = peerName(socket);
            printLine(u"[%1] Protocol: %2"_s.arg(peer, protocolDisplayName(socket->sessionProtocol())));
            printLine(u"[%1] Cipher: %2"_s.arg(peer, socket->sessionCipher().name()));
            const auto echoLines = [socket, peer] {
                while (socket->canReadLine()) {
                    const QByteArray line = socket->readLine();
                    printLine(u"[%1] Echo: %2"_s.arg(peer, printable(line.trimmed())));
                    socket->write(line);
                }
            };
            QObject::connect(socket, &QSslSocket::readyRead, socket, echoLines);
            echoLines(); // lines that arrived together with the end of the handshake
            QObject::connect(socket, &QSslSocket::errorOccurred, socket, [&, socket, peer] {
                if (socket->error() == QAbstractSocket::RemoteHostClosedError)
                    return; // the client hung up: disconnected() follows
                printError(u"[%1] Error: %2"_s.arg(peer, socket->errorString()));
                failed = true;
            });
            QObject::connect(socket, &QSslSocket::disconnected, socket, [&, socket, peer] {
                printLine(u"[%1] Disconnected"_s.arg(peer));
                socket->deleteLater();
                if (once)
                    QCoreApplication::exit(failed ? 1 : 0);
            });
        }
    });

    if (!server.listen(address, port)) {
        printError(u"pskserver: cannot listen on %1:%2: %3"_s.arg(address.toString())
                       .arg(port).arg(server.errorString()));
        return 1;
    }
    const QString shownAddress = address.protocol() == QAbstractSocket::IPv6Protocol
        ? u"[%1]"_s.arg(address.toString()) : address.toString();
    printLine(u"Listening on %1:%2"_s.arg(shownAddress).arg(server.serverPort()));
    return QCoreApplication::exec();
}
