// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// pskclient: connects to a TLS-PSK server, sends one line and prints the reply.
//
//   pskclient 127.0.0.1 4433 --identity client1 --key 00112233445566778899aabbccddeeff
//
// An ordinary Qt 6 QtNetwork program: it builds unchanged against QtPsk or Qt6::Network.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QSslCipher>
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslSocket>
#include <QTimer>

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
    u"Connects to a TLS server with a pre-shared key (PSK), sends one line and prints the "
    "line the server answers.\n"
    "Prints the identity hint the server sent, the identity used, the negotiated protocol "
    "and cipher, and any TLS alert. Exits with 0 on success, 1 on a connection or TLS "
    "error, 2 on bad arguments, 3 on a timeout. Never prints key bytes.\n\n"
    "--passphrase derives the key with PBKDF2-HMAC-SHA256 (100000 iterations, 32 bytes, "
    "salt \"QtPsk example v1:\" + the server's identity hint, which only TLS 1.2 has; with "
    "TLS 1.3 the salt is the prefix alone). This slows down guessing "
    "the passphrase from a recorded handshake, but a guessable passphrase stays "
    "guessable: the salt is public and a rogue server picks its own hint. Prefer a "
    "random --key."_s;

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    startCommandLine(parser, u"pskclient"_s, description);
    parser.addPositionalArgument(u"host"_s, u"Server host name or address, e.g. 127.0.0.1."_s);
    parser.addPositionalArgument(u"port"_s, u"Server port."_s);
    const QCommandLineOption identityOption(u"identity"_s,
        u"The PSK identity to send (required; may be empty)."_s, u"identity"_s);
    const QCommandLineOption keyOption(u"key"_s,
        u"The pre-shared key in hex, e.g. 00112233445566778899aabbccddeeff."_s, u"hex"_s);
    const QCommandLineOption passphraseOption(u"passphrase"_s,
        u"Derive the key from this passphrase instead (see above)."_s, u"text"_s);
    const QCommandLineOption protocolOption(u"protocol"_s,
        u"TLS version: %1 (default: secure, TLS 1.2 or 1.3 as the server prefers; only TLS 1.2 "
        "carries an identity hint). Built against Qt6::Network, a TLS 1.3 PSK also needs "
        "QT_USE_TLS_1_3_PSK=1: without it Qt fails against a TLS 1.3 server."_s
            .arg(protocolChoices()),
        u"name"_s, u"secure"_s);
    const QCommandLineOption ciphersOption(u"ciphers"_s,
        u"Colon-separated OpenSSL cipher names to offer, e.g. PSK-AES256-GCM-SHA384:"
        "TLS_AES_128_GCM_SHA256 (default: the library's default list)."_s, u"list"_s);
    const QCommandLineOption messageOption(u"message"_s,
        u"The line to send (default: \"Hello from QtPsk\")."_s, u"text"_s, u"Hello from QtPsk"_s);
    const QCommandLineOption timeoutOption(u"timeout"_s,
        u"Give up after this many milliseconds (default: 10000)."_s, u"ms"_s, u"10000"_s);
    parser.addOptions({ identityOption, keyOption, passphraseOption, protocolOption,
                        ciphersOption, messageOption, timeoutOption });
    parser.process(app);

    // --- Check the arguments -----------------------------------------------------------------
    const auto usageError = [](const QString &message) {
        printError(u"pskclient: "_s + message + u" (see --help)"_s);
        return 2;
    };
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 2)
        return usageError(u"expected a host and a port"_s);
    const QString host = positional.at(0);
    bool ok = false;
    const quint16 port = positional.at(1).toUShort(&ok);
    if (!ok || port == 0)
        return usageError(u"bad port \"%1\""_s.arg(positional.at(1)));
    if (!parser.isSet(identityOption))
        return usageError(u"--identity is required"_s);
    if (parser.isSet(keyOption) == parser.isSet(passphraseOption))
        return usageError(u"give either --key or --passphrase"_s);
    std::optional<QByteArray> key;
    if (parser.isSet(keyOption)) {
        key = parseHex(parser.value(keyOption).toLatin1());
        if (!key)
            return usageError(u"--key must be an even number of hex digits"_s);
    }
    const std::optional<QSsl::SslProtocol> protocol = protocolFromName(parser.value(protocolOption));
    if (!protocol)
        return usageError(u"unknown --protocol \"%1\""_s.arg(parser.value(protocolOption)));
    const int timeout = parser.value(timeoutOption).toInt(&ok);
    if (!ok || timeout <= 0)
        return usageError(u"bad --timeout"_s);
    const QByteArray identity = parser.value(identityOption).toUtf8();
    const QByteArray passphrase = parser.value(passphraseOption).toUtf8();

    // --- Configure TLS: PSK only, so there is no certificate to verify ------------------------
    // The library's default protocols. Against a TLS 1.3 PSK server QtPsk offers a TLS 1.3 PSK,
    // because the PSK slot below is connected (the server's refusal of the first, Qt-style
    // ClientHello makes it connect again, offering one); Qt's own QSslSocket does so only when
    // QT_USE_TLS_1_3_PSK is set.
    const std::optional<QSslConfiguration> configuration = pskOnlyConfiguration(
        *protocol, parser.isSet(ciphersOption) ? std::optional(parser.value(ciphersOption)) : std::nullopt);
    if (!configuration)
        return usageError(u"none of the --ciphers is supported"_s);

    QSslSocket socket;
    socket.setSslConfiguration(*configuration);
    bool replied = false;
    bool finished = false;
    const auto finish = [&finished](int exitCode, const QString &error = QString()) {
        if (finished)
            return; // report only the first failure
        finished = true;
        if (!error.isEmpty())
            printError(u"Error: "_s + error);
        QCoreApplication::exit(exitCode);
    };

    // Called during the handshake. The authenticator lives only during this call: fill it in
    // here (a direct connection) and do not keep the pointer.
    QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired,
                     [&](QSslPreSharedKeyAuthenticator *authenticator) {
        const QByteArray hint = authenticator->identityHint();
        printLine(u"Identity hint: "_s + (hint.isEmpty() ? u"(none)"_s : printable(hint)));
        printLine(u"Identity: "_s + printable(identity));
        authenticator->setIdentity(identity);
        authenticator->setPreSharedKey(key ? *key : deriveKeyFromPassphrase(passphrase, hint));
    });
    QObject::connect(&socket, &QSslSocket::encrypted, [&] {
        printLine(u"Protocol: "_s + protocolDisplayName(socket.sessionProtocol()));
        printLine(u"Cipher: "_s + socket.sessionCipher().name());
        printLine(u"Sent: "_s + parser.value(messageOption));
        socket.write(parser.value(messageOption).toUtf8() + '\n');
    });
    QObject::connect(&socket, &QSslSocket::readyRead, [&] {
        if (replied || !socket.canReadLine())
            return;
        replied = true;
        printLine(u"Reply: "_s + printable(socket.readLine().trimmed()));
        socket.disconnectFromHost();
    });
    QObject::connect(&socket, &QSslSocket::disconnected, [&] {
        if (replied)
            finish(0);
        else
            finish(1, u"the server closed the connection before replying"_s);
    });
    QObject::connect(&socket, &QSslSocket::errorOccurred, [&](QAbstractSocket::SocketError) {
        if (replied && socket.error() == QAbstractSocket::RemoteHostClosedError)
            return; // the server hung up after answering: fine
        finish(1, socket.errorString());
    });
    QObject::connect(&socket, &QSslSocket::alertReceived,
                     [](QSsl::AlertLevel level, QSsl::AlertType type, const QString &description) {
        printError(u"Alert received: "_s + alertText(level, type, description));
    });
    QObject::connect(&socket, &QSslSocket::alertSent,
                     [](QSsl::AlertLevel level, QSsl::AlertType type, const QString &description) {
        printError(u"Alert sent: "_s + alertText(level, type, description));
    });
    QTimer::singleShot(timeout, &app, [&finish, timeout] {
        finish(3, u"no answer within %1 ms"_s.arg(timeout));
    });

    printLine(u"Connecting to %1:%2"_s.arg(host).arg(port));
    socket.connectToHostEncrypted(host, port);
    return QCoreApplication::exec();
}
