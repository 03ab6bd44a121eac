// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Uses every provided class through whichever headers the including file chose (one of QtNetwork's
// spellings). Objects are on the heap, so that a class compiled with another layout than the
// library's (Qt's own QtNetwork header linked to QtPsk's code) is an invalid write valgrind reports.
// Included by the generated spelling sources of packaging_test.cmake; each defines SPELLING_USE.
#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

#include <memory>

static int useEveryClass()
{
    int checks = 0;
    auto check = [&checks](bool ok) { checks += ok ? 1 : 1000; };

    auto authenticator = std::make_unique<QSslPreSharedKeyAuthenticator>();
    authenticator->setIdentity("client");
    authenticator->setPreSharedKey(QByteArray(16, 'k'));
    auto copy = std::make_unique<QSslPreSharedKeyAuthenticator>(*authenticator);
    check(*copy == *authenticator && copy->identity() == "client");

    auto configuration = std::make_unique<QSslConfiguration>(QSslConfiguration::defaultConfiguration());
    configuration->setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration->setProtocol(QSsl::TlsV1_2OrLater);
    check(configuration->peerVerifyMode() == QSslSocket::VerifyNone);

    auto cipher = std::make_unique<QSslCipher>(QStringLiteral("PSK-AES256-CBC-SHA"));
    check(cipher->name() == QStringLiteral("PSK-AES256-CBC-SHA"));
    auto error = std::make_unique<QSslError>(QSslError::NoPeerCertificate);
    check(error->error() == QSslError::NoPeerCertificate && !error->errorString().isEmpty());
    const QList<QSslError> errors{*error};
    check(errors.size() == 1);

    auto address = std::make_unique<QHostAddress>(QHostAddress::LocalHost);
    check(address->toString() == QStringLiteral("127.0.0.1"));
    QIPv6Address ipv6{};
    ipv6[15] = 1;
    check(QHostAddress(ipv6) == QHostAddress(QHostAddress::LocalHostIPv6));

    auto tcpSocket = std::make_unique<QTcpSocket>();
    check(tcpSocket->state() == QAbstractSocket::UnconnectedState);
    auto sslSocket = std::make_unique<QSslSocket>();
    sslSocket->setSslConfiguration(*configuration);
    sslSocket->setPeerVerifyMode(QSslSocket::VerifyNone);
    check(sslSocket->mode() == QSslSocket::UnencryptedMode && !sslSocket->isEncrypted());
    QAbstractSocket *asAbstract = sslSocket.get();
    check(asAbstract->socketType() == QAbstractSocket::TcpSocket);

    auto tcpServer = std::make_unique<QTcpServer>();
    check(tcpServer->listen(QHostAddress::LocalHost, 0) && tcpServer->serverPort() != 0);
    tcpServer->close();
    auto sslServer = std::make_unique<QSslServer>();
    sslServer->setSslConfiguration(*configuration);
    sslServer->setHandshakeTimeout(1000);
    check(sslServer->handshakeTimeout() == 1000 && !sslServer->isListening());
    return checks;
}

int SPELLING_USE() { return useEveryClass(); }
