// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// coap-psk: fetches coaps://HOST[:PORT]/PATH over DTLS 1.2 PSK with one confirmable GET and
// prints the response code and payload. An ordinary Qt 6 program: QDtls over QUdpSocket.
//
//   coap-psk -u IDENTITY -k KEY [--ciphers NAMES] coaps://127.0.0.1:5684/time
//
// The key is taken as given (as libcoap's -k), or in hex with --key-hex. The payload is printed
// escaped (examples/common/printable.h), never raw: it comes from the network.
#include "coapclient.h"
#include "console.h"
#include "printable.h"

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qurl.h>

#include <cstdio>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("coap-psk"));
    QCommandLineParser parser;
    parser.setApplicationDescription(
            QStringLiteral("Fetches a CoAP resource over DTLS 1.2 PSK and prints the response."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("uri"), QStringLiteral("coaps://HOST[:PORT]/PATH"));
    const QCommandLineOption identity({QStringLiteral("u"), QStringLiteral("identity")},
                                      QStringLiteral("The PSK identity."), QStringLiteral("id"));
    const QCommandLineOption key({QStringLiteral("k"), QStringLiteral("key")},
                                 QStringLiteral("The pre-shared key, as given."),
                                 QStringLiteral("key"));
    const QCommandLineOption keyHex(QStringLiteral("key-hex"),
                                    QStringLiteral("The pre-shared key in hex."),
                                    QStringLiteral("hex"));
    const QCommandLineOption ciphers(QStringLiteral("ciphers"),
                                     QStringLiteral("OpenSSL cipher names, ':'-separated."),
                                     QStringLiteral("names"));
    const QCommandLineOption timeout(QStringLiteral("timeout"),
                                     QStringLiteral("Give up after this many milliseconds."),
                                     QStringLiteral("ms"), QStringLiteral("10000"));
    parser.addOptions({identity, key, keyHex, ciphers, timeout});
    parser.process(app);

    const QStringList positional = parser.positionalArguments();
    const QUrl uri = positional.size() == 1 ? QUrl(positional.first()) : QUrl();
    const QHostAddress address(uri.host());
    if (uri.scheme() != QLatin1String("coaps") || address.isNull()) {
        std::fprintf(stderr, "coap-psk: give one coaps:// URI with an IP address\n");
        return 2;
    }
    if (!parser.isSet(key) && !parser.isSet(keyHex)) {
        std::fprintf(stderr, "coap-psk: give the key with -k or --key-hex\n");
        return 2;
    }
    bool ok = false;
    CoapClient::Settings settings;
    settings.address = address;
    settings.port = quint16(uri.port(5684));
    settings.path = uri.path();
    settings.identity = parser.value(identity).toUtf8();
    settings.key = parser.isSet(keyHex) ? QByteArray::fromHex(parser.value(keyHex).toLatin1())
                                        : parser.value(key).toUtf8();
    settings.ciphers = parser.value(ciphers);
    settings.timeoutMs = parser.value(timeout).toInt(&ok);
    if (!ok || settings.timeoutMs <= 0) {
        std::fprintf(stderr, "coap-psk: --timeout takes a positive number of milliseconds\n");
        return 2;
    }

    CoapClient client(settings);
    int status = 1;
    QObject::connect(&client, &CoapClient::finished, &app, [&](bool succeeded) {
        if (succeeded) {
            const Coap::Message &response = client.response();
            PskExample::printError(QStringLiteral("coap-psk: DTLS 1.2 with ")
                                   + client.cipherName());
            PskExample::printLine(Coap::codeText(response.code) + QLatin1Char(' ')
                                  + Coap::codeName(response.code));
            PskExample::printLine(PskExample::printable(response.payload, -1));
            status = 0;
        } else {
            PskExample::printError(QStringLiteral("coap-psk: ")
                                   + PskExample::printable(client.errorText().toUtf8(), -1));
        }
        app.quit();
    });
    client.start();
    app.exec();
    return status;
}
