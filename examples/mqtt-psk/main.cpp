// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// mqtt-psk: a minimal MQTT 3.1.1 client over TLS-PSK. It connects to a broker (e.g. mosquitto with
// a psk_hint/psk_file listener), subscribes to a topic, publishes one message there, receives it
// back and disconnects.
//
//   mqtt-psk 127.0.0.1 8883 --identity client1 --key 00112233445566778899aabbccddeeff
//            --topic psk/demo --message hello   (one command line)
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTimer>

#include "console.h"
#include "mqttclient.h"
#include "pskkeys.h"
#include "sslnames.h"

using namespace PskExample;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("mqtt-psk"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Publishes one MQTT 3.1.1 message over TLS with a pre-shared key and waits until the broker "
        "delivers it back. Exits with 0 on success, 1 on a connection, TLS or MQTT error, 2 on bad "
        "arguments, 3 on a timeout. Never prints key bytes."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("host"), QStringLiteral("Broker host or address."));
    parser.addPositionalArgument(QStringLiteral("port"), QStringLiteral("Broker port."));
    const QCommandLineOption identityOption(QStringLiteral("identity"), QStringLiteral("The PSK identity (required)."), QStringLiteral("identity"));
    const QCommandLineOption keyOption(QStringLiteral("key"), QStringLiteral("The pre-shared key in hex (required)."), QStringLiteral("hex"));
    const QCommandLineOption topicOption(QStringLiteral("topic"), QStringLiteral("The topic (default: qtpsk/mqtt-psk)."), QStringLiteral("topic"), QStringLiteral("qtpsk/mqtt-psk"));
    const QCommandLineOption messageOption(QStringLiteral("message"), QStringLiteral("The message (default: \"Hello from QtPsk\")."), QStringLiteral("text"), QStringLiteral("Hello from QtPsk"));
    const QCommandLineOption protocolOption(QStringLiteral("protocol"),
        QStringLiteral("TLS version: %1 (default: tls1.2).").arg(protocolChoices()), QStringLiteral("name"), QStringLiteral("tls1.2"));
    const QCommandLineOption clientIdOption(QStringLiteral("client-id"), QStringLiteral("The MQTT client id (default: qtpsk-mqtt-psk)."), QStringLiteral("id"), QStringLiteral("qtpsk-mqtt-psk"));
    const QCommandLineOption timeoutOption(QStringLiteral("timeout"), QStringLiteral("Give up after this many milliseconds (default: 10000)."), QStringLiteral("ms"), QStringLiteral("10000"));
    parser.addOptions({identityOption, keyOption, topicOption, messageOption, protocolOption, clientIdOption, timeoutOption});
    parser.process(app);

    const auto usageError = [](const QString &message) {
        printError(QStringLiteral("mqtt-psk: ") + message + QStringLiteral(" (see --help)"));
        return 2;
    };
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 2)
        return usageError(QStringLiteral("expected a host and a port"));
    MqttPskClient::Options options;
    options.host = positional.at(0);
    bool ok = false;
    options.port = positional.at(1).toUShort(&ok);
    if (!ok || options.port == 0)
        return usageError(QStringLiteral("bad port"));
    if (!parser.isSet(identityOption) || !parser.isSet(keyOption))
        return usageError(QStringLiteral("--identity and --key are required"));
    const std::optional<QByteArray> key = parseHex(parser.value(keyOption).toLatin1());
    if (!key || key->isEmpty())
        return usageError(QStringLiteral("--key must be a non-empty even number of hex digits"));
    const std::optional<QSsl::SslProtocol> protocol = protocolFromName(parser.value(protocolOption));
    if (!protocol)
        return usageError(QStringLiteral("unknown --protocol"));
    const int timeout = parser.value(timeoutOption).toInt(&ok);
    if (!ok || timeout <= 0)
        return usageError(QStringLiteral("bad --timeout"));
    options.identity = parser.value(identityOption).toUtf8();
    options.key = *key;
    options.protocol = *protocol;
    options.topic = parser.value(topicOption).toUtf8();
    options.message = parser.value(messageOption).toUtf8();
    options.clientId = parser.value(clientIdOption).toUtf8();
    if (options.topic.isEmpty() || options.topic.contains('#') || options.topic.contains('+'))
        return usageError(QStringLiteral("--topic must be a non-empty topic name without wildcards"));

    MqttPskClient client(options);
    QObject::connect(&client, &MqttPskClient::progress, &client, [](const QString &line) { printLine(line); });
    QObject::connect(&client, &MqttPskClient::finished, &client, [](const QString &error) {
        if (error.isEmpty()) {
            printLine(QStringLiteral("Done"));
            QCoreApplication::exit(0);
        } else {
            printError(QStringLiteral("Error: ") + error);
            QCoreApplication::exit(1);
        }
    });
    QTimer::singleShot(timeout, &app, [timeout] {
        printError(QStringLiteral("Error: no answer within %1 ms").arg(timeout));
        QCoreApplication::exit(3);
    });
    client.start();
    return QCoreApplication::exec();
}
