// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "mqttclient.h"

#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>

#include "printable.h"

using PskExample::printable;

namespace {

// MQTT packet types (the high nibble of the fixed header).
constexpr quint8 Connect = 1, Connack = 2, Publish = 3, Subscribe = 8, Suback = 9, Disconnect = 14;

void appendUint16(QByteArray &out, quint16 value)
{
    out.append(char(value >> 8));
    out.append(char(value & 0xff));
}

// A UTF-8 string as MQTT encodes it: a two-byte length, then the bytes.
void appendString(QByteArray &out, const QByteArray &text)
{
    appendUint16(out, quint16(text.size()));
    out.append(text);
}

quint16 readUint16(const QByteArray &data, int offset)
{
    return quint16((quint8(data.at(offset)) << 8) | quint8(data.at(offset + 1)));
}

// Decodes the variable-length "remaining length" at data[1...]. Returns false while incomplete;
// sets *malformed when more than four bytes are used.
bool decodeRemainingLength(const QByteArray &data, int *length, int *headerSize, bool *malformed)
{
    int value = 0;
    int multiplier = 1;
    for (int i = 1; i <= 4; ++i) {
        if (i >= data.size())
            return false;
        const quint8 byte = quint8(data.at(i));
        value += (byte & 0x7f) * multiplier;
        if ((byte & 0x80) == 0) {
            *length = value;
            *headerSize = i + 1;
            return true;
        }
        multiplier *= 128;
    }
    *malformed = true;
    return false;
}

} // namespace

MqttPskClient::MqttPskClient(const Options &options, QObject *parent)
    : QObject(parent), m_options(options)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone); // PSK: no certificate to verify
    configuration.setProtocol(options.protocol);
    m_socket.setSslConfiguration(configuration);

    // Direct connection: the authenticator lives only during this call.
    connect(&m_socket, &QSslSocket::preSharedKeyAuthenticationRequired, this,
            [this](QSslPreSharedKeyAuthenticator *authenticator) {
                authenticator->setIdentity(m_options.identity);
                authenticator->setPreSharedKey(m_options.key);
            });
    connect(&m_socket, &QSslSocket::encrypted, this, &MqttPskClient::onEncrypted);
    connect(&m_socket, &QSslSocket::readyRead, this, &MqttPskClient::onReadyRead);
    connect(&m_socket, &QSslSocket::errorOccurred, this, [this](QAbstractSocket::SocketError) {
        if (m_step != Step::Done)
            fail(m_socket.errorString());
    });
    connect(&m_socket, &QSslSocket::disconnected, this, [this] {
        if (m_step == Step::Done) {
            if (!m_finished) {
                m_finished = true;
                Q_EMIT finished(QString());
            }
        } else {
            fail(QStringLiteral("the broker closed the connection"));
        }
    });
}

void MqttPskClient::start()
{
    m_socket.connectToHostEncrypted(m_options.host, m_options.port);
}

void MqttPskClient::send(quint8 header, const QByteArray &body)
{
    QByteArray packet(1, char(header));
    int length = int(body.size());
    do { // the remaining length: 7 bits a byte, high bit set while more follow
        quint8 byte = quint8(length % 128);
        length /= 128;
        if (length > 0)
            byte |= 0x80;
        packet.append(char(byte));
    } while (length > 0);
    packet.append(body);
    m_socket.write(packet);
}

void MqttPskClient::onEncrypted()
{
    Q_EMIT progress(QStringLiteral("TLS established: %1").arg(m_socket.sessionCipher().name()));
    QByteArray body;
    appendString(body, "MQTT");
    body.append(char(4));    // protocol level 4: MQTT 3.1.1
    body.append(char(0x02)); // connect flags: clean session, no will, no user name or password
    appendUint16(body, m_options.keepAliveSeconds);
    appendString(body, m_options.clientId);
    send(Connect << 4, body);
    m_step = Step::AwaitConnack;
}

void MqttPskClient::onReadyRead()
{
    m_buffer += m_socket.readAll();
    while (!m_buffer.isEmpty() && !m_finished) {
        int length = 0;
        int headerSize = 0;
        bool malformed = false;
        if (!decodeRemainingLength(m_buffer, &length, &headerSize, &malformed)) {
            if (malformed)
                fail(QStringLiteral("malformed remaining length from the broker"));
            return;
        }
        if (m_buffer.size() < headerSize + length)
            return;
        const quint8 header = quint8(m_buffer.at(0));
        const QByteArray body = m_buffer.mid(headerSize, length);
        m_buffer.remove(0, headerSize + length);
        if (!handlePacket(header, body))
            return;
    }
}

bool MqttPskClient::handlePacket(quint8 header, const QByteArray &body)
{
    const quint8 type = header >> 4;
    switch (m_step) {
    case Step::AwaitConnack: {
        if (type != Connack || body.size() != 2) {
            fail(QStringLiteral("expected CONNACK"));
            return false;
        }
        const int returnCode = quint8(body.at(1));
        if (returnCode != 0) {
            fail(QStringLiteral("the broker refused the connection (CONNACK return code %1)").arg(returnCode));
            return false;
        }
        Q_EMIT progress(QStringLiteral("Connected"));
        QByteArray subscribe;
        appendUint16(subscribe, m_subscribePacketId);
        appendString(subscribe, m_options.topic);
        subscribe.append(char(0)); // requested QoS 0
        send((Subscribe << 4) | 0x02, subscribe); // SUBSCRIBE's fixed-header flags must be 0010
        m_step = Step::AwaitSuback;
        return true;
    }
    case Step::AwaitSuback: {
        if (type != Suback || body.size() != 3) {
            fail(QStringLiteral("expected SUBACK"));
            return false;
        }
        if (readUint16(body, 0) != m_subscribePacketId) {
            fail(QStringLiteral("SUBACK for another packet id"));
            return false;
        }
        const int granted = quint8(body.at(2));
        if (granted != 0) { // 0x80: failure; anything else: not the QoS 0 we asked for
            fail(QStringLiteral("the broker refused the subscription (SUBACK code 0x%1)").arg(granted, 2, 16, QLatin1Char('0')));
            return false;
        }
        Q_EMIT progress(QStringLiteral("Subscribed to %1").arg(printable(m_options.topic)));
        QByteArray publish;
        appendString(publish, m_options.topic);
        publish.append(m_options.message); // QoS 0: no packet id
        send(Publish << 4, publish);
        Q_EMIT progress(QStringLiteral("Published: %1").arg(printable(m_options.message)));
        m_step = Step::AwaitPublish;
        return true;
    }
    case Step::AwaitPublish: {
        if (type != Publish) // nothing else is expected, but ignoring is harmless
            return true;
        if (body.size() < 2 || readUint16(body, 0) + 2 > body.size()) {
            fail(QStringLiteral("malformed PUBLISH"));
            return false;
        }
        const int topicLength = readUint16(body, 0);
        const QByteArray topic = body.mid(2, topicLength);
        const int qos = (header >> 1) & 0x03;
        const QByteArray payload = body.mid(2 + topicLength + (qos > 0 ? 2 : 0));
        Q_EMIT progress(QStringLiteral("Received on %1: %2").arg(printable(topic), printable(payload)));
        if (topic != m_options.topic || payload != m_options.message)
            return true; // someone else's message: keep waiting for ours
        send(Disconnect << 4, QByteArray());
        m_step = Step::Done;
        m_socket.disconnectFromHost();
        return false;
    }
    case Step::Connecting:
    case Step::Done:
        break;
    }
    return true;
}

void MqttPskClient::fail(const QString &error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_step = Step::Done;
    m_socket.abort();
    Q_EMIT finished(error);
}
