// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The built pskservice (keys looked up in a worker thread, answers deferred) against QtPsk
// clients on loopback: a known identity is echoed, an unknown one fails, a key added to the file
// while it runs is used at the next handshake. The program runs as a child process (PeerProcess,
// stopped by PID).
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslSocket>

#include <QtCore/qfile.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qtemporarydir.h>

#include <gtest/gtest.h>

#include "common/testsupport.h"

namespace {

using QtPskTest::waitUntil;

const QByteArray kKey = QByteArray::fromHex("00112233445566778899aabbccddeeff");
constexpr int kWaitMs = 30000;

bool writeKeys(const QString &path, const QByteArray &lines)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(lines) == lines.size()
            && file.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
}

// Connects as \a identity with kKey, sends a line; true if it came back.
bool echoes(quint16 port, const QByteArray &identity, QSsl::SslProtocol protocol)
{
    QSslSocket client;
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setProtocol(protocol);
    client.setSslConfiguration(configuration);
    QObject::connect(&client, &QSslSocket::preSharedKeyAuthenticationRequired, &client,
                     [identity](QSslPreSharedKeyAuthenticator *authenticator) {
                         authenticator->setIdentity(identity);
                         authenticator->setPreSharedKey(kKey);
                     });
    QByteArray reply;
    bool ended = false;
    QObject::connect(&client, &QSslSocket::encrypted, &client, [&] { client.write("hello\n"); });
    QObject::connect(&client, &QIODevice::readyRead, &client, [&] { reply += client.readAll(); });
    QObject::connect(&client, &QAbstractSocket::errorOccurred, &client, [&] { ended = true; });
    client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    waitUntil([&] { return reply == "hello\n" || ended; }, kWaitMs);
    return reply == "hello\n";
}

} // namespace

TEST(PskService, AnswersFromItsKeyServiceThread)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString keys = dir.filePath(QStringLiteral("keys.psk"));
    ASSERT_TRUE(writeKeys(keys, "alice:" + kKey.toHex() + "\n"));
    QtPskTest::PeerProcess service;
    ASSERT_TRUE(service.start(QStringLiteral(QTPSK_PSKSERVICE_PROGRAM),
                              {QStringLiteral("--psk-file"), keys, QStringLiteral("--lookup-delay-ms"),
                               QStringLiteral("20")}));
    const QRegularExpressionMatch listening = service.waitForOutput(
            QRegularExpression(QStringLiteral("Listening on [^:]+:(\\d+)")), kWaitMs);
    ASSERT_TRUE(listening.hasMatch()) << service.output().toStdString();
    const quint16 port = listening.captured(1).toUShort();

    EXPECT_TRUE(echoes(port, "alice", QSsl::TlsV1_2)) << service.output().toStdString();
    EXPECT_TRUE(echoes(port, "alice", QSsl::TlsV1_3)) << service.output().toStdString();
    EXPECT_FALSE(echoes(port, "mallory", QSsl::TlsV1_2));
    // The file is read at every lookup: a key added now works at once.
    ASSERT_TRUE(writeKeys(keys, "alice:" + kKey.toHex() + "\nbob:" + kKey.toHex() + "\n"));
    EXPECT_TRUE(echoes(port, "bob", QSsl::TlsV1_2)) << service.output().toStdString();
    EXPECT_FALSE(service.output().contains(kKey.toHex())) << "key bytes in the output";
    service.stop();
}
