// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// A CoAP client over DTLS 1.2 PSK, written against Qt's QDtls API: one QDtls over a connected
// QUdpSocket does the handshake (the key comes from pskRequired), then one confirmable GET goes
// out encrypted and the piggybacked response (ACK, same message ID and token) comes back.
#ifndef COAPPSK_COAPCLIENT_H
#define COAPPSK_COAPCLIENT_H

#include "coapmessage.h"

#include <QDtls>
#include <QUdpSocket>

#include <QtCore/qobject.h>
#include <QtCore/qtimer.h>

class CoapClient : public QObject
{
    Q_OBJECT
public:
    struct Settings
    {
        QHostAddress address;
        quint16 port = 5684;
        QString path;
        QByteArray identity;
        QByteArray key;
        QString ciphers; // OpenSSL cipher names, ':'-separated; empty: the default
        int timeoutMs = 10000;
    };

    explicit CoapClient(const Settings &settings, QObject *parent = nullptr);

    // Starts the handshake; finished() follows.
    void start();

    // After finished(true): the response.
    const Coap::Message &response() const { return m_response; }
    // After finished(false): what went wrong.
    QString errorText() const { return m_error; }
    // The suite the handshake agreed on, once encrypted.
    QString cipherName() const { return m_cipher; }

Q_SIGNALS:
    void finished(bool ok);

private:
    void readDatagrams();
    void handshakeStep(const QByteArray &datagram);
    void sendRequest();
    void handleResponse(const QByteArray &plain);
    void fail(const QString &why);

    Settings m_settings;
    QUdpSocket m_socket;
    QDtls m_dtls;
    QTimer m_deadline;
    QTimer m_retransmit;
    Coap::Message m_request;
    Coap::Message m_response;
    int m_retransmissions = 0;
    QString m_error;
    QString m_cipher;
    bool m_done = false;
};

#endif // COAPPSK_COAPCLIENT_H
