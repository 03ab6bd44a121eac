// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// A DTLS PSK server (QDtlsClientVerifier, when cookies are on, and one QDtls per peer, as Qt's DTLS
// server example) and client over loopback QUdpSockets, written against QtNetwork's public API
// only, so that the parity tests build them against Qt6::Network and QtPsk alike.
#ifndef QTPSK_DTLSPEERS_H
#define QTPSK_DTLSPEERS_H

#include <QDtls>
#include <QHostAddress>
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QUdpSocket>

#include <QtCore/qbytearray.h>
#include <QtCore/qhash.h>
#include <QtCore/qlist.h>
#include <QtCore/qobject.h>

#include <functional>
#include <memory>

#if !defined(QTPSK_PARITY_AGAINST_QTNETWORK) && defined(QTPSK_NAMESPACE)
QTPSK_USE_NAMESPACE
#endif

namespace DtlsPeers {

inline QByteArray key() { return QByteArray::fromHex("1a2b3c4d5e6f"); }
inline QByteArray identity() { return QByteArrayLiteral("Client_identity"); }
inline QByteArray hint() { return QByteArrayLiteral("QtTestServerHint"); }

inline QSslConfiguration serverConfiguration(bool cookies, const QByteArray &identityHint = hint())
{
    QSslConfiguration configuration = QSslConfiguration::defaultDtlsConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setDtlsCookieVerificationEnabled(cookies);
    configuration.setPreSharedKeyIdentityHint(identityHint);
    return configuration;
}

inline QSslConfiguration clientConfiguration()
{
    QSslConfiguration configuration = QSslConfiguration::defaultDtlsConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    return configuration;
}

// One datagram read from a socket, with its sender.
struct Datagram
{
    QByteArray data;
    QHostAddress from;
    quint16 port = 0;
};

// Reads one datagram of \a socket into \a datagram; false when none waits.
inline bool readOne(QUdpSocket &socket, Datagram *datagram)
{
    if (!socket.hasPendingDatagrams())
        return false;
    const qint64 size = socket.pendingDatagramSize();
    datagram->data.resize(qMax<qint64>(size, 0));
    const qint64 got = socket.readDatagram(datagram->data.data(), datagram->data.size(),
                                           &datagram->from, &datagram->port);
    if (got < 0)
        return false;
    datagram->data.resize(got);
    return true;
}

// Reads every datagram waiting on \a socket and calls \a handle(data, sender address, sender port)
// for each.
template <typename Handle>
void forEachDatagram(QUdpSocket &socket, Handle handle)
{
    Datagram datagram;
    while (readOne(socket, &datagram))
        handle(datagram.data, datagram.from, datagram.port);
}

// The server: answers each verified peer's handshake, echoes what it decrypts.
class Server : public QObject
{
public:
    explicit Server(const QSslConfiguration &configuration, bool useVerifier = true)
        : m_configuration(configuration), m_useVerifier(useVerifier)
    {
        socket.bind(QHostAddress::LocalHost, 0);
        QObject::connect(&socket, &QUdpSocket::readyRead, this, [this] { readDatagrams(); });
    }
    quint16 port() const { return socket.localPort(); }

    QUdpSocket socket;
    QDtlsClientVerifier verifier;
    std::function<QByteArray(const QByteArray &identity)> keyFor = [](const QByteArray &) { return key(); };
    // Called in pskRequired() before the key is set (QtPsk's tests defer the answer there).
    std::function<void(QSslPreSharedKeyAuthenticator *)> during;
    QList<QByteArray> identities; // each pskRequired's peer identity
    QList<QByteArray> hints; // each pskRequired's identity hint
    QList<QByteArray> received; // decrypted datagrams
    QList<QDtlsError> handshakeErrors;
    QList<QDtlsError> readErrors;
    int completed = 0;
    int verifierReplies = 0;
    QHash<QString, QDtls *> peers;

private:
    void readDatagrams()
    {
        forEachDatagram(socket, [this](const QByteArray &data, const QHostAddress &address, quint16 port) {
            const QString name = address.toString() + QLatin1Char(':') + QString::number(port);
            QDtls *dtls = peers.value(name);
            if (!dtls) {
                if (m_useVerifier && !verifier.verifyClient(&socket, data, address, port)) {
                    ++verifierReplies;
                    return;
                }
                dtls = new QDtls(QSslSocket::SslServerMode, this);
                dtls->setDtlsConfiguration(m_configuration);
                dtls->setPeer(address, port);
                QObject::connect(dtls, &QDtls::pskRequired, this,
                                 [this](QSslPreSharedKeyAuthenticator *authenticator) {
                                     identities.append(authenticator->identity());
                                     hints.append(authenticator->identityHint());
                                     if (during)
                                         during(authenticator);
                                     authenticator->setPreSharedKey(keyFor(authenticator->identity()));
                                 });
                peers.insert(name, dtls);
            }
            if (dtls->handshakeState() != QDtls::HandshakeComplete) {
                if (!dtls->doHandshake(&socket, data)) {
                    handshakeErrors.append(dtls->dtlsError());
                    peers.remove(name);
                    dtls->deleteLater();
                } else if (dtls->handshakeState() == QDtls::HandshakeComplete) {
                    ++completed;
                }
                return;
            }
            const QByteArray plaintext = dtls->decryptDatagram(&socket, data);
            if (dtls->dtlsError() != QDtlsError::NoError)
                readErrors.append(dtls->dtlsError());
            if (!plaintext.isEmpty()) {
                received.append(plaintext);
                dtls->writeDatagramEncrypted(&socket, plaintext);
            }
        });
    }

    QSslConfiguration m_configuration;
    bool m_useVerifier;
};

// The client: drives its handshake from the datagrams it reads and its time-outs.
class Client : public QObject
{
public:
    explicit Client(const QSslConfiguration &configuration = clientConfiguration())
        : dtls(QSslSocket::SslClientMode)
    {
        dtls.setDtlsConfiguration(configuration);
        socket.bind(QHostAddress::LocalHost, 0);
        QObject::connect(&socket, &QUdpSocket::readyRead, this, [this] { readDatagrams(); });
        QObject::connect(&dtls, &QDtls::pskRequired, this,
                         [this](QSslPreSharedKeyAuthenticator *authenticator) {
                             hints.append(authenticator->identityHint());
                             maxIdentity = authenticator->maximumIdentityLength();
                             maxKey = authenticator->maximumPreSharedKeyLength();
                             if (during)
                                 during(authenticator);
                             authenticator->setIdentity(clientIdentity);
                             authenticator->setPreSharedKey(clientKey);
                         });
        QObject::connect(&dtls, &QDtls::handshakeTimeout, this, [this] {
            ++timeouts;
            if (handleTimeouts && !dtls.handleTimeout(&socket))
                timeoutErrors.append(dtls.dtlsError());
        });
    }

    bool start(quint16 port)
    {
        dtls.setPeer(QHostAddress::LocalHost, port);
        return dtls.doHandshake(&socket);
    }

    QUdpSocket socket;
    QDtls dtls;
    QByteArray clientIdentity = identity();
    QByteArray clientKey = key();
    std::function<void(QSslPreSharedKeyAuthenticator *)> during;
    bool handleTimeouts = true;
    QList<QByteArray> hints;
    int maxIdentity = -1;
    int maxKey = -1;
    int timeouts = 0;
    QList<QDtlsError> handshakeErrors;
    QList<QDtlsError> timeoutErrors;
    QList<QDtlsError> readErrors;
    QList<QByteArray> received;

private:
    void readDatagrams()
    {
        forEachDatagram(socket, [this](const QByteArray &data, const QHostAddress &, quint16) {
            if (dtls.handshakeState() == QDtls::HandshakeInProgress) {
                if (!dtls.doHandshake(&socket, data))
                    handshakeErrors.append(dtls.dtlsError());
            } else if (dtls.isConnectionEncrypted()) {
                const QByteArray plaintext = dtls.decryptDatagram(&socket, data);
                if (dtls.dtlsError() != QDtlsError::NoError)
                    readErrors.append(dtls.dtlsError());
                if (!plaintext.isEmpty())
                    received.append(plaintext);
            }
        });
    }
};

} // namespace DtlsPeers

#endif // QTPSK_DTLSPEERS_H
