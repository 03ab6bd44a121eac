// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Two TlsEngines connected in memory, for the hygiene tests: a whole PSK session (handshake,
// data both ways, close) without sockets. Credentials come from raw buffers the test owns, so that
// the test itself makes no heap copy of the key.
#ifndef QTPSK_TESTS_ENGINEPAIR_H
#define QTPSK_TESTS_ENGINEPAIR_H

#include "common/enginepump.h"
#include "engine/tlscontext_p.h"
#include "engine/tlsengine_p.h"

#include <QSslPreSharedKeyAuthenticator>

#include <QtCore/qbytearray.h>

#include <gtest/gtest.h>

#include <memory>

namespace QtPskHygieneTest {

using QtPskPrivate::TlsContext;
using QtPskPrivate::TlsEngine;
using QtPskPrivate::TlsEngineCallbacks;
using QtPskPrivate::TlsSettings;

// Answers every PSK request with an identity and a key that live in memory the test owns
// (QByteArray::fromRawData: no copy here; the authenticator makes the only one). Keeps no copy of
// the requests.
class RawCredentials : public QtPskTest::EngineCredentials
{
public:
    RawCredentials(const char *identityData, qsizetype identitySize, const char *keyData,
                   qsizetype keySize)
        : EngineCredentials(QByteArray::fromRawData(identityData, identitySize),
                            QByteArray::fromRawData(keyData, keySize))
    {
        keepRequests = false;
    }
};

// Runs one session between a client and a server engine: handshake, a message each way, close.
// Returns true if the handshake succeeded on both sides.
inline bool runEngineSession(const TlsSettings &clientSettings, const TlsSettings &serverSettings,
                             TlsEngineCallbacks *clientCallbacks, TlsEngineCallbacks *serverCallbacks,
                             QString *clientError = nullptr, QString *serverError = nullptr)
{
    QString error;
    std::shared_ptr<TlsContext> clientContext = TlsContext::get(clientSettings, &error);
    std::shared_ptr<TlsContext> serverContext = TlsContext::get(serverSettings, &error);
    EXPECT_TRUE(clientContext && serverContext) << error.toStdString();
    if (!clientContext || !serverContext)
        return false;
    TlsEngine client(clientContext, clientCallbacks);
    TlsEngine server(serverContext, serverCallbacks);
    using Result = TlsEngine::Result;
    Result clientResult = Result::WantInput;
    Result serverResult = Result::WantInput;
    QtPskTest::pumpHandshake(client, server, &clientResult, &serverResult, 100);
    if (clientError)
        *clientError = client.errorString();
    if (serverError)
        *serverError = server.errorString();
    const bool ok = client.isHandshakeComplete() && server.isHandshakeComplete() && !client.isFailed()
            && !server.isFailed();
    if (ok) {
        // Application data both ways, then close_notify both ways.
        const QByteArray ping("ping from the client");
        qsizetype done = 0;
        EXPECT_EQ(client.write(ping.constData(), ping.size(), &done), Result::Ok);
        QByteArray wire = client.takeOutput();
        server.feed(wire.constData(), wire.size());
        char buffer[256];
        EXPECT_EQ(server.read(buffer, sizeof buffer, &done), Result::Ok);
        EXPECT_EQ(QByteArray(buffer, done), ping);
        EXPECT_EQ(server.write("pong", 4, &done), Result::Ok);
        wire = server.takeOutput();
        client.feed(wire.constData(), wire.size());
        EXPECT_EQ(client.read(buffer, sizeof buffer, &done), Result::Ok);
        EXPECT_EQ(QByteArray(buffer, done), QByteArray("pong"));
        client.shutdown();
        wire = client.takeOutput();
        server.feed(wire.constData(), wire.size());
        EXPECT_EQ(server.read(buffer, sizeof buffer, &done), Result::Closed);
    }
    return ok;
}

inline TlsSettings engineSettings(bool server, int version, const QByteArray &hint = QByteArray())
{
    TlsSettings settings;
    settings.server = server;
    settings.minVersion = version;
    settings.maxVersion = version;
    if (version < TLS1_3_VERSION)
        settings.cipherList = "PSK"; // every PSK key exchange: plain, DHE, ECDHE, RSA
    if (server)
        settings.identityHint = hint;
    else
        settings.tls13Psk = QtPskPrivate::Tls13Psk::Offer;
    return settings;
}

} // namespace QtPskHygieneTest

#endif // QTPSK_TESTS_ENGINEPAIR_H
