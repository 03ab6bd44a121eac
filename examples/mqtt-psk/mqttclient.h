// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// MqttPskClient: just enough MQTT 3.1.1 (OASIS standard) over a QSslSocket with a pre-shared key to
// connect, subscribe to one topic, publish one QoS 0 message, receive it back and disconnect.
#ifndef MQTTPSK_MQTTCLIENT_H
#define MQTTPSK_MQTTCLIENT_H

#include <QSslSocket>

#include <QtCore/qbytearray.h>
#include <QtCore/qobject.h>
#include <QtCore/qstring.h>

class MqttPskClient : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QString host;
        quint16 port = 0;
        QByteArray identity;
        QByteArray key;
        QSsl::SslProtocol protocol = QSsl::TlsV1_2;
        QByteArray clientId = "qtpsk-mqtt-psk";
        QByteArray topic;
        QByteArray message;
        quint16 keepAliveSeconds = 30;
    };

    explicit MqttPskClient(const Options &options, QObject *parent = nullptr);

    // Connects, then runs CONNECT, SUBSCRIBE, PUBLISH, waits for the message and DISCONNECTs.
    // Emits finished() once, with an empty error on success.
    void start();

Q_SIGNALS:
    void finished(const QString &error);
    void progress(const QString &line);

private:
    enum class Step { Connecting, AwaitConnack, AwaitSuback, AwaitPublish, Done };

    void onEncrypted();
    void onReadyRead();
    bool handlePacket(quint8 header, const QByteArray &body);
    void fail(const QString &error);
    void send(quint8 header, const QByteArray &body);

    Options m_options;
    QSslSocket m_socket;
    QByteArray m_buffer;
    Step m_step = Step::Connecting;
    quint16 m_subscribePacketId = 1;
    bool m_finished = false;
};

#endif // MQTTPSK_MQTTCLIENT_H
