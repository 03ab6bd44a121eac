// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "coapclient.h"

#include <QNetworkDatagram>
#include <QSslCipher>
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>

#include <QtCore/qrandom.h>

namespace {

// RFC 7252, section 4.8: ACK_TIMEOUT 2 s, MAX_RETRANSMIT 4 (no random factor here).
constexpr int ackTimeoutMs = 2000;
constexpr int maxRetransmit = 4;

} // namespace

CoapClient::CoapClient(const Settings &settings, QObject *parent)
    : QObject(parent), m_settings(settings), m_dtls(QSslSocket::SslClientMode)
{
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this,
            [this] { fail(QStringLiteral("no response within %1 ms").arg(m_settings.timeoutMs)); });
    connect(&m_retransmit, &QTimer::timeout, this, [this] {
        if (++m_retransmissions > maxRetransmit) {
            fail(QStringLiteral("no acknowledgement after %1 retransmissions").arg(maxRetransmit));
            return;
        }
        sendRequest();
    });
    connect(&m_socket, &QUdpSocket::readyRead, this, &CoapClient::readDatagrams);
    connect(&m_dtls, &QDtls::pskRequired, this,
            [this](QSslPreSharedKeyAuthenticator *authenticator) {
                authenticator->setIdentity(m_settings.identity);
                authenticator->setPreSharedKey(m_settings.key);
            });
    connect(&m_dtls, &QDtls::handshakeTimeout, this, [this] {
        if (!m_dtls.handleTimeout(&m_socket))
            fail(QStringLiteral("handshake retransmission failed: ") + m_dtls.dtlsErrorString());
    });
}

void CoapClient::start()
{
    QSslConfiguration configuration = QSslConfiguration::defaultDtlsConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone); // a PSK server has no certificate
    configuration.setProtocol(QSsl::DtlsV1_2);
    if (!m_settings.ciphers.isEmpty())
        configuration.setCiphers(m_settings.ciphers);
    m_socket.connectToHost(m_settings.address, m_settings.port);
    if (!m_dtls.setPeer(m_settings.address, m_settings.port)
        || !m_dtls.setDtlsConfiguration(configuration)) {
        fail(m_dtls.dtlsErrorString());
        return;
    }
    m_deadline.start(m_settings.timeoutMs);
    if (!m_dtls.doHandshake(&m_socket))
        fail(QStringLiteral("handshake failed: ") + m_dtls.dtlsErrorString());
}

void CoapClient::readDatagrams()
{
    while (!m_done && m_socket.hasPendingDatagrams()) {
        const QByteArray datagram = m_socket.receiveDatagram().data();
        if (m_dtls.isConnectionEncrypted()) {
            const QByteArray plain = m_dtls.decryptDatagram(&m_socket, datagram);
            if (!plain.isEmpty())
                handleResponse(plain);
            else if (m_dtls.dtlsError() != QDtlsError::NoError)
                fail(QStringLiteral("decryption failed: ") + m_dtls.dtlsErrorString());
        } else {
            handshakeStep(datagram);
        }
    }
}

void CoapClient::handshakeStep(const QByteArray &datagram)
{
    if (!m_dtls.doHandshake(&m_socket, datagram)) {
        fail(QStringLiteral("handshake failed: ") + m_dtls.dtlsErrorString());
        return;
    }
    if (!m_dtls.isConnectionEncrypted())
        return;
    m_cipher = m_dtls.sessionCipher().name();
    QRandomGenerator *random = QRandomGenerator::global();
    QByteArray token(4, Qt::Uninitialized);
    for (char &c : token)
        c = char(random->bounded(256));
    m_request = Coap::get(m_settings.path, quint16(random->bounded(65536)), token);
    sendRequest();
}

void CoapClient::sendRequest()
{
    if (m_dtls.writeDatagramEncrypted(&m_socket, Coap::encode(m_request)) < 0) {
        fail(QStringLiteral("sending failed: ") + m_dtls.dtlsErrorString());
        return;
    }
    m_retransmit.start(ackTimeoutMs << m_retransmissions);
}

void CoapClient::handleResponse(const QByteArray &plain)
{
    Coap::Message message;
    QString why;
    if (!Coap::decode(plain, &message, &why)) {
        fail(QStringLiteral("malformed response: ") + why);
        return;
    }
    if (message.type == Coap::Type::Reset && message.messageId == m_request.messageId) {
        fail(QStringLiteral("the server reset the request"));
        return;
    }
    // Only a piggybacked response: the acknowledgement of our message ID with our token.
    if (message.type != Coap::Type::Acknowledgement || message.messageId != m_request.messageId)
        return;
    if (message.code == Coap::codeEmpty) {
        fail(QStringLiteral("the server answers separately, which this client does not support"));
        return;
    }
    if (message.token != m_request.token) {
        fail(QStringLiteral("the response's token does not match the request's"));
        return;
    }
    m_response = message;
    m_done = true;
    m_retransmit.stop();
    m_deadline.stop();
    m_dtls.shutdown(&m_socket);
    Q_EMIT finished(true);
}

void CoapClient::fail(const QString &why)
{
    if (m_done)
        return;
    m_done = true;
    m_error = why;
    m_retransmit.stop();
    m_deadline.stop();
    if (m_dtls.handshakeState() == QDtls::HandshakeInProgress)
        m_dtls.abortHandshake(&m_socket);
    Q_EMIT finished(false);
}
