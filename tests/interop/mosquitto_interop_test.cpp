// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QtPsk against mosquitto's TLS-PSK listener: the handshake matrix (the data exchanged is an MQTT
// CONNECT answered by CONNACK), and the examples/mqtt-psk client publishing a message that
// `mosquitto_sub --psk` also receives. Rows marked "issue 5" change when QtPsk offers a TLS 1.3
// PSK by default.
#include "interopharness.h"

#include <QtCore/qregularexpression.h>

#include <gtest/gtest.h>

using namespace QtPskInterop;

namespace {

const QByteArray brokerHint = QByteArrayLiteral("mosquitto-hint");

// MQTT 3.1.1 CONNECT (clean session, keep-alive 60 s, client id "qtpsk-interop") and the CONNACK
// that accepts it (no session present, return code 0).
QByteArray mqttConnect()
{
    const QByteArray clientId = QByteArrayLiteral("qtpsk-interop");
    QByteArray body = QByteArray::fromHex("00044d5154540402003c");
    body += char(0) + QByteArray(1, char(clientId.size())) + clientId;
    return QByteArray(1, char(0x10)) + char(body.size()) + body;
}

QByteArray mqttConnack()
{
    return QByteArray::fromHex("20020000");
}

ClientRow base(const char *name, const char *scenario, TlsVersion version = TlsVersion::V1_2)
{
    ClientRow row = namedRow<ClientRow>(name, scenario, QStringLiteral("PSK"));
    row.server.version = version;
    row.server.hint = brokerHint;
    row.hint = brokerHint;
    row.client.probe = mqttConnect();
    row.client.expectedReply = mqttConnack();
    if (version == TlsVersion::V1_3) {
        row.client.protocol = QSsl::TlsV1_3;
        row.client.tls13PskVariable = true;
        row.cipherLabel = QStringLiteral("TLS 1.3 default suites");
        row.hint.clear(); // the hint reaches a client only in TLS 1.2
    }
    return row;
}

std::vector<ClientRow> clientRows()
{
    return commonClientRows(PeerClientRows{
            [](const char *name, const char *scenario, bool tls13) {
                return base(name, scenario, tls13 ? TlsVersion::V1_3 : TlsVersion::V1_2);
            },
            "Tls12Connect", "success, CONNECT/CONNACK (hint present)", "Tls13Connect",
            "success, CONNECT/CONNACK (hint absent in TLS 1.3)", QSsl::AlertType::UnknownPskIdentity,
            QSsl::AlertType::HandshakeFailure});
}

QTPSK_INTEROP_CLIENT_MATRIX(MosquittoInterop, PeerKind::Mosquitto, clientRows(),
                            QTPSK_REQUIRE_PEER(PeerKind::Mosquitto));

#ifdef QTPSK_INTEROP_MQTT_PSK
// The example client publishes over QtPsk; mosquitto_sub (libmosquitto on OpenSSL) receives it.
void runMqttExample(const QString &host, const char *protocol)
{
    QTPSK_REQUIRE_PEER(PeerKind::Mosquitto);
    QTPSK_REQUIRE_PROGRAM("mosquitto_sub");
    ServerOptions options;
    options.host = host;
    options.hint = brokerHint;
    QString error;
    const std::unique_ptr<PeerServer> broker = PeerServer::start(PeerKind::Mosquitto, options, &error);
    ASSERT_TRUE(broker) << error.toStdString();

    const QByteArray message = QByteArrayLiteral("hello from QtPsk over MQTT ") + protocol;
    QtPskTest::PeerProcess subscriber;
    ASSERT_TRUE(subscriber.start(findPeerProgram("mosquitto_sub"),
        {QStringLiteral("-h"), host, QStringLiteral("-p"), QString::number(broker->port()),
         QStringLiteral("--psk"), QString::fromLatin1(defaultKeyHex()),
         QStringLiteral("--psk-identity"), QString::fromLatin1(defaultIdentity()),
         QStringLiteral("-i"), QStringLiteral("interop-sub"),
         QStringLiteral("-t"), QStringLiteral("psk/#"), QStringLiteral("-C"), QStringLiteral("1"),
         QStringLiteral("-W"), QStringLiteral("10"), QStringLiteral("-v")}));
    // Publish only once the subscription is in place (the broker logs it: log_type all).
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return broker->log().contains("interop-sub 0 psk/#"); }, 10000))
            << broker->log().toStdString();

    QtPskTest::PeerProcess example;
    ASSERT_TRUE(example.start(QString::fromUtf8(QTPSK_INTEROP_MQTT_PSK),
        {host, QString::number(broker->port()), QStringLiteral("--identity"),
         QString::fromLatin1(defaultIdentity()), QStringLiteral("--key"), QString::fromLatin1(defaultKeyHex()),
         QStringLiteral("--topic"), QStringLiteral("psk/qtpsk"), QStringLiteral("--message"),
         QString::fromLatin1(message), QStringLiteral("--protocol"), QString::fromLatin1(protocol)}));
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return !example.isRunning(); }, 15000));
    const QByteArray exampleOutput = example.output();
    EXPECT_TRUE(exampleOutput.contains("Connected")) << exampleOutput.toStdString();
    EXPECT_TRUE(exampleOutput.contains("Received on psk/qtpsk: " + message)) << exampleOutput.toStdString();
    EXPECT_TRUE(exampleOutput.contains("Done")) << exampleOutput.toStdString();

    ASSERT_TRUE(QtPskTest::waitUntil([&] { return !subscriber.isRunning(); }, 10000));
    EXPECT_TRUE(subscriber.output().contains("psk/qtpsk " + message)) << subscriber.output().toStdString();

    ResultRow row;
    row.peer = QStringLiteral("mosquitto + mosquitto_sub");
    row.role = QStringLiteral("client (examples/mqtt-psk)");
    row.protocol = QString::fromLatin1(protocol);
    row.cipher = QRegularExpression(QStringLiteral("TLS established: (\\S+)"))
                         .match(QString::fromLatin1(exampleOutput)).captured(1);
    row.scenario = QStringLiteral("MQTT publish, received by itself and mosquitto_sub");
    row.address = addressLabel(host);
    row.outcome = exampleOutput.contains("Done") && subscriber.output().contains(message)
            ? QStringLiteral("ok") : QStringLiteral("failed");
    row.emissions = QStringLiteral("-");
    recordResult(row);
}

TEST(MqttPskExample, PublishesAMessageThatMosquittoSubReceivesOverIpv4)
{
    runMqttExample(QStringLiteral("127.0.0.1"), "tls1.2");
}

TEST(MqttPskExample, PublishesAMessageThatMosquittoSubReceivesOverIpv6)
{
    runMqttExample(QStringLiteral("::1"), "tls1.2");
}
#endif

} // namespace
