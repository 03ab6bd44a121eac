// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// TLS 1.3 external PSKs in the engine (issue 5): two engines in memory, QtPsk's Offer mode against
// Qt's mode, hash choice, HelloRetryRequest, TLS 1.2 fallback, psk_ke and resumption.
#include "engine/tlsengine_p.h"

#include "engine/tlscontext_p.h"
#include "engine/tlssessionstore_p.h"

#include <QSslPreSharedKeyAuthenticator>

#include <QtCore/qbytearray.h>

#include <gtest/gtest.h>

#include "common/enginepump.h"
#include "enginetestsupport.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <vector>

using QtPskPrivate::SslSessionPtr;
using QtPskPrivate::TlsContext;
using QtPskPrivate::TlsEngine;
using QtPskPrivate::TlsEngineCallbacks;
using QtPskPrivate::TlsSessionStore;
using QtPskPrivate::TlsSettings;
using QtPskPrivate::Tls13Psk;
using Diagnosis = TlsEngine::Diagnosis;

namespace {

using namespace QtPskEngineTest;

// The server's slot as an application writes it: a key for known identities only.
class IdentityCheckingServer : public Credentials
{
public:
    bool preSharedKeyAuthenticationRequired(QSslPreSharedKeyAuthenticator *authenticator) override
    {
        seen.push_back(*authenticator);
        ++calls;
        if (authenticator->identity() == kIdentity)
            authenticator->setPreSharedKey(key);
        return true;
    }
};

using QtPskTest::isFinal;

bool hasAlert(const std::vector<TlsAlert> &alerts, bool sent, int type)
{
    return hasFatalAlert(alerts, sent, type);
}

TlsSettings client(Tls13Psk mode = Tls13Psk::Offer) { return clientSettings(mode); }
TlsSettings server(const QByteArray &hint = kHint) { return serverSettings(hint); }

// A server whose sessions may resume (within the store its engines are given).
TlsSettings resumingServer(const QByteArray &hint = kHint)
{
    TlsSettings settings = server(hint);
    settings.sessionResumption = true;
    return settings;
}

TlsSettings tls12PskServer(const QByteArray &hint)
{
    TlsSettings settings = server(hint);
    settings.minVersion = settings.maxVersion = TLS1_2_VERSION;
    settings.cipherList = "PSK-AES256-GCM-SHA384";
    return settings;
}

TlsSettings withSuites(TlsSettings settings, const QByteArray &cipherSuites)
{
    settings.cipherSuites = cipherSuites;
    return settings;
}

TlsSettings withGroups(TlsSettings settings, const QByteArray &groups)
{
    settings.groups = groups;
    return settings;
}

struct Pair : HandshakeOutcome
{
    // \a sessions: the server object's session store (with TlsSettings::sessionResumption).
    Pair(const TlsSettings &clientSettings, const TlsSettings &serverSettings,
         Credentials *serverSide = nullptr, std::shared_ptr<TlsSessionStore> sessions = {})
        : serverCredentials(serverSide ? serverSide : &ownServerCredentials)
    {
        QString error;
        auto clientContext = TlsContext::get(clientSettings, &error);
        auto serverContext = TlsContext::get(serverSettings, &error);
        EXPECT_TRUE(clientContext && serverContext) << error.toStdString();
        if (clientContext && serverContext) {
            clientEngine = std::make_unique<TlsEngine>(clientContext, &clientCredentials);
            serverEngine = std::make_unique<TlsEngine>(serverContext, serverCredentials);
            serverEngine->setSessionStore(std::move(sessions));
        }
    }

    void handshake()
    {
        ASSERT_TRUE(clientEngine && serverEngine);
        const bool settled = QtPskTest::pumpHandshake(
                *clientEngine, *serverEngine, &clientResult, &serverResult, 100, {}, [this] {
                    takeAlerts(*clientEngine, clientAlerts);
                    takeAlerts(*serverEngine, serverAlerts);
                });
        if (!settled || (!isFinal(clientResult) && !isFinal(serverResult)))
            ADD_FAILURE() << "the handshake did not settle";
    }

    // Sends \a data from the server and lets the client read it (and the TLS 1.3 tickets).
    QByteArray serverToClient(const QByteArray &data)
    {
        qsizetype consumed = 0;
        EXPECT_EQ(serverEngine->write(data.constData(), data.size(), &consumed), Result::Ok);
        const QByteArray records = serverEngine->takeOutput();
        clientEngine->feed(records.constData(), records.size());
        QByteArray received;
        char buffer[4096];
        qsizetype got = 0;
        while (clientEngine->read(buffer, sizeof buffer, &got) == Result::Ok)
            received.append(buffer, got);
        return received;
    }

    void expectCalls(int clientCalls, int serverCalls) const
    {
        QtPskEngineTest::expectCalls(clientCredentials, *serverCredentials, clientCalls, serverCalls);
    }

    Credentials clientCredentials;
    Credentials ownServerCredentials;
    Credentials *serverCredentials;
    std::unique_ptr<TlsEngine> clientEngine;
    std::unique_ptr<TlsEngine> serverEngine;
};

// Removes QT_USE_TLS_1_3_PSK for one scope.
struct WithoutTheVariable : Tls13PskVariable
{
    WithoutTheVariable() : Tls13PskVariable(false) { }
};

// Gives the server context a throwaway self-signed P-256 certificate (made in memory).
bool addSelfSignedCertificate(SSL_CTX *ctx)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *certificate = X509_new();
    bool ok = key && certificate;
    if (ok) {
        ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
        X509_gmtime_adj(X509_getm_notBefore(certificate), 0);
        X509_gmtime_adj(X509_getm_notAfter(certificate), 3600);
        X509_set_pubkey(certificate, key);
        X509_NAME *name = X509_get_subject_name(certificate);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char *>("qtpsk test"), -1, -1, 0);
        X509_set_issuer_name(certificate, name);
        ok = X509_sign(certificate, key, EVP_sha256()) > 0
                && SSL_CTX_use_certificate(ctx, certificate) == 1
                && SSL_CTX_use_PrivateKey(ctx, key) == 1;
    }
    X509_free(certificate);
    EVP_PKEY_free(key);
    return ok;
}

} // namespace

TEST(Tls13Psk, OfferingClientAndServerAskOnceEachAndUseASha256Suite)
{
    const WithoutTheVariable variable;
    Pair pair(client(), server());
    pair.handshake();
    ASSERT_TRUE(pair.bothOk()) << pair.clientEngine->errorString().toStdString() << " / "
                               << pair.serverEngine->errorString().toStdString();
    EXPECT_EQ(pair.clientEngine->protocolVersion(), TLS1_3_VERSION);
    EXPECT_TRUE(pair.clientEngine->cipherName().endsWith("SHA256"));
    ASSERT_EQ(pair.clientCredentials.calls, 1);
    const QSslPreSharedKeyAuthenticator &asked = pair.clientCredentials.seen[0];
    EXPECT_TRUE(asked.identityHint().isNull());
    EXPECT_EQ(asked.maximumIdentityLength(), 255);
    EXPECT_EQ(asked.maximumPreSharedKeyLength(), 512);
    ASSERT_EQ(pair.serverCredentials->calls, 1);
    const QSslPreSharedKeyAuthenticator &serverAsked = pair.serverCredentials->seen[0];
    EXPECT_EQ(serverAsked.identityHint(), kHint);
    EXPECT_EQ(serverAsked.identity(), kIdentity);
    EXPECT_EQ(serverAsked.maximumIdentityLength(), 0);
    EXPECT_EQ(serverAsked.maximumPreSharedKeyLength(), 512);
    EXPECT_EQ(pair.serverToClient("hello"), QByteArray("hello"));
    pair.expectCalls(1, 1);
}

TEST(Tls13Psk, QtCompatibleClientOffersNothingAndBothSidesNameTheCause)
{
    const WithoutTheVariable variable;
    TlsSettings tls13Only = server();
    tls13Only.minVersion = TLS1_3_VERSION;
    Pair pair(client(Tls13Psk::QtCompatible), tls13Only);
    pair.handshake();
    pair.expectBothFailed();
    pair.expectCalls(0, 0);
    EXPECT_TRUE(hasAlert(pair.clientAlerts, false, SSL_AD_HANDSHAKE_FAILURE));
    EXPECT_EQ(pair.clientEngine->diagnosis(), Diagnosis::ClientOfferedNoTls13Psk);
    EXPECT_EQ(pair.serverEngine->diagnosis(), Diagnosis::ServerAcceptedNoTls13Psk);
}

TEST(Tls13Psk, Sha384OnlySuitesGiveASha384Psk)
{
    Pair pair(withSuites(client(), "TLS_AES_256_GCM_SHA384"),
              withSuites(server(), "TLS_AES_256_GCM_SHA384"));
    pair.handshake();
    ASSERT_TRUE(pair.bothOk()) << pair.serverEngine->errorString().toStdString();
    EXPECT_EQ(pair.clientEngine->cipherName(), QByteArray("TLS_AES_256_GCM_SHA384"));
    pair.expectCalls(1, 1);
}

TEST(Tls13Psk, Sha256PskAgainstSha384OnlyServerIsAskedAboutOnceButCannotBeUsed)
{
    TlsSettings serverSettings = server();
    serverSettings.cipherSuites = "TLS_AES_256_GCM_SHA384";
    Pair pair(client(), serverSettings);
    pair.handshake();
    pair.expectBothFailed();
    pair.expectCalls(1, 1); // as Qt: the offered identity is shown
    EXPECT_EQ(pair.serverEngine->diagnosis(), Diagnosis::ServerAcceptedNoTls13Psk);
}

TEST(Tls13Psk, HelloRetryRequestReusesTheAnswerOnBothSides)
{
    // The first ClientHello carries an X25519 share only.
    Pair pair(withGroups(client(), "X25519:P-256"), withGroups(server(), "P-256"));
    pair.handshake();
    ASSERT_TRUE(pair.bothOk()) << pair.serverEngine->errorString().toStdString();
    pair.expectCalls(1, 1);
}

// OpenSSL's server must be able to go on without the PSK of the first ClientHello (a SHA-256
// PSK against a SHA-384 suite) to send its HelloRetryRequest: here it has a certificate. The
// second ClientHello then offers the same key as a SHA-384 PSK, which the server takes.
TEST(Tls13Psk, HelloRetryRequestChoosingSha384SwitchesThePskHash)
{
    TlsSettings clientSettings = client();
    clientSettings.groups = "X25519:P-256";
    clientSettings.cipherSuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384";
    TlsSettings serverSettings = server();
    serverSettings.groups = "P-256";
    serverSettings.cipherSuites = "TLS_AES_256_GCM_SHA384";
    serverSettings.identityHint = "HRR with a certificate"; // a context of this test's own
    {
        QString error;
        const auto context = TlsContext::get(serverSettings, &error);
        ASSERT_TRUE(context && addSelfSignedCertificate(context->handle()));
        Pair pair(clientSettings, serverSettings);
        pair.handshake();
        ASSERT_TRUE(pair.bothOk()) << pair.serverEngine->errorString().toStdString();
        EXPECT_EQ(pair.clientEngine->cipherName(), QByteArray("TLS_AES_256_GCM_SHA384"));
        EXPECT_FALSE(pair.clientEngine->peerSentCertificate()); // the PSK authenticated the server
        pair.expectCalls(1, 1);
    }
}

TEST(Tls13Psk, WrongKeyFailsWithIllegalParameter)
{
    Pair pair(client(), server());
    pair.serverCredentials->key = QByteArray::fromHex("6f5e4d3c2b1a");
    pair.handshake();
    pair.expectBothFailed();
    pair.expectCalls(1, 1);
    EXPECT_TRUE(hasAlert(pair.serverAlerts, true, SSL_AD_ILLEGAL_PARAMETER));
    EXPECT_TRUE(hasAlert(pair.clientAlerts, false, SSL_AD_ILLEGAL_PARAMETER));
}

TEST(Tls13Psk, UnknownIdentityGetsNoKeyAndFailsWithHandshakeFailure)
{
    IdentityCheckingServer checking;
    Pair pair(client(), server(), &checking);
    pair.clientCredentials.identity = "somebody else";
    pair.handshake();
    pair.expectBothFailed();
    EXPECT_EQ(pair.clientCredentials.calls, 1);
    ASSERT_EQ(checking.calls, 1);
    EXPECT_EQ(checking.seen[0].identity(), QByteArray("somebody else"));
    EXPECT_TRUE(hasAlert(pair.clientAlerts, false, SSL_AD_HANDSHAKE_FAILURE));
    EXPECT_EQ(pair.serverEngine->diagnosis(), Diagnosis::ServerAcceptedNoTls13Psk);
}

// A Qt client with default settings (TLS 1.3 without a PSK, TLS 1.2 PSK suites) and a server with
// both versions: the server takes TLS 1.2 before the version is negotiated (no downgrade
// sentinel, so the client's check passes), and each side is asked once, the client with the hint.
TEST(Tls13Psk, ServerTakesTls12FromAClientThatOffersNoTls13Psk)
{
    const WithoutTheVariable variable;
    Pair pair(client(Tls13Psk::QtCompatible), server());
    pair.handshake();
    ASSERT_TRUE(pair.bothOk()) << pair.clientEngine->errorString().toStdString() << " / "
                               << pair.serverEngine->errorString().toStdString();
    EXPECT_EQ(pair.clientEngine->protocolVersion(), TLS1_2_VERSION);
    EXPECT_EQ(pair.serverEngine->protocolVersion(), TLS1_2_VERSION);
    ASSERT_EQ(pair.clientCredentials.calls, 1);
    EXPECT_EQ(pair.clientCredentials.seen[0].identityHint(), kHint);
    EXPECT_EQ(pair.serverCredentials->calls, 1);
    EXPECT_EQ(pair.serverToClient("hello"), QByteArray("hello"));
}

// A client that offers a TLS 1.3 PSK keeps TLS 1.3 with the same server.
TEST(Tls13Psk, ServerKeepsTls13ForAClientThatOffersAPsk)
{
    const WithoutTheVariable variable;
    Pair pair(client(Tls13Psk::Offer), server());
    pair.handshake();
    ASSERT_TRUE(pair.bothOk());
    EXPECT_EQ(pair.serverEngine->protocolVersion(), TLS1_3_VERSION);
}

TEST(Tls13Psk, EmptyKeyAtClientHelloOffersNoPskAndAsksOnlyOnce)
{
    TlsSettings tls13Only = server();
    tls13Only.minVersion = TLS1_3_VERSION;
    Pair pair(client(), tls13Only);
    pair.clientCredentials.key.clear();
    pair.handshake();
    EXPECT_EQ(pair.clientResult, Result::Failed);
    pair.expectCalls(1, 0);
    EXPECT_EQ(pair.clientEngine->diagnosis(), Diagnosis::ClientOfferedNoTls13Psk);
}

TEST(Tls13Psk, Tls12ServerWithoutHintUsesTheClientHelloAnswerWithoutAskingAgain)
{
    Pair pair(client(), tls12PskServer(QByteArray()));
    pair.clientCredentials.keys = {kKey, QByteArray("never asked")};
    pair.handshake();
    ASSERT_TRUE(pair.bothOk()) << pair.clientEngine->errorString().toStdString();
    EXPECT_EQ(pair.clientEngine->protocolVersion(), TLS1_2_VERSION);
    ASSERT_EQ(pair.clientCredentials.calls, 1);
    EXPECT_TRUE(pair.clientCredentials.seen[0].identityHint().isNull());
    ASSERT_EQ(pair.serverCredentials->calls, 1);
    EXPECT_EQ(pair.serverCredentials->seen[0].identity(), kIdentity);
}

TEST(Tls13Psk, Tls12ServerWithHintAsksASecondTimeWithTheRealHint)
{
    Pair pair(client(), tls12PskServer(kHint));
    pair.clientCredentials.keys = {QByteArray("the TLS 1.3 answer"), kKey};
    pair.handshake();
    ASSERT_TRUE(pair.bothOk()) << pair.clientEngine->errorString().toStdString();
    EXPECT_EQ(pair.clientEngine->protocolVersion(), TLS1_2_VERSION);
    ASSERT_EQ(pair.clientCredentials.calls, 2);
    EXPECT_TRUE(pair.clientCredentials.seen[0].identityHint().isNull());
    EXPECT_EQ(pair.clientCredentials.seen[1].identityHint(), kHint);
    EXPECT_EQ(pair.clientCredentials.seen[1].maximumIdentityLength(), 255);
    EXPECT_EQ(pair.serverCredentials->calls, 1);
}

TEST(Tls13Psk, Tls12ServerWithoutHintAfterAnEmptyKeyFailsWithoutAskingAgain)
{
    Pair pair(client(), tls12PskServer(QByteArray()));
    pair.clientCredentials.keys = {QByteArray(), kKey};
    pair.handshake();
    EXPECT_EQ(pair.clientResult, Result::Failed);
    pair.expectCalls(1, 0);
    EXPECT_TRUE(hasAlert(pair.clientAlerts, true, SSL_AD_HANDSHAKE_FAILURE));
}

TEST(Tls13Psk, PskWithoutKeyExchangeOnlyWhenBothSidesAllowIt)
{
    // No common group: only psk_ke (no (EC)DHE) can complete the handshake.
    TlsSettings clientSettings = withGroups(client(), "X25519");
    TlsSettings serverSettings = withGroups(server(), "P-256");
    {
        Pair pair(clientSettings, serverSettings);
        pair.handshake();
        EXPECT_EQ(pair.clientResult, Result::Failed);
        EXPECT_EQ(pair.clientCredentials.calls, 1);
    }
    clientSettings.allowNoDheKex = true;
    {
        Pair pair(clientSettings, serverSettings); // the server does not allow it
        pair.handshake();
        EXPECT_EQ(pair.clientResult, Result::Failed);
    }
    serverSettings.allowNoDheKex = true;
    {
        Pair pair(clientSettings, serverSettings);
        pair.handshake();
        ASSERT_TRUE(pair.bothOk()) << pair.serverEngine->errorString().toStdString();
        pair.expectCalls(1, 1);
    }
}

// The slot is asked about the identity the ticket's session was made with (never about the
// ticket's bytes), and the ticket resumes because the slot gives that identity the same key.
TEST(Tls13Psk, ResumptionTicketNeverReachesTheServerSlotAndResumes)
{
    const auto sessions = std::make_shared<TlsSessionStore>();
    Pair first(client(), resumingServer(), nullptr, sessions);
    first.handshake();
    ASSERT_TRUE(first.bothOk());
    EXPECT_EQ(first.serverToClient("tickets"), QByteArray("tickets"));
    const SslSessionPtr ticket = first.clientEngine->session();
    ASSERT_TRUE(ticket);
    ASSERT_TRUE(SSL_SESSION_is_resumable(ticket.get()));

    Pair second(client(), resumingServer(), nullptr, sessions);
    ASSERT_TRUE(second.clientEngine->setSession(ticket.get()));
    second.handshake();
    ASSERT_TRUE(second.bothOk()) << second.serverEngine->errorString().toStdString();
    EXPECT_TRUE(second.serverEngine->isSessionReused());
    EXPECT_TRUE(second.clientEngine->isSessionReused());
    ASSERT_EQ(second.serverCredentials->calls, 1);
    EXPECT_EQ(second.serverCredentials->seen[0].identity(), kIdentity);
    // The client still offers its external PSK beside the ticket, so it is asked once.
    EXPECT_EQ(second.clientCredentials.calls, 1);
}

TEST(Tls13Psk, ForeignTicketIsNotShownToTheSlotAndTheExternalPskIsUsed)
{
    Pair first(client(), resumingServer(QByteArrayLiteral("another server")), nullptr,
               std::make_shared<TlsSessionStore>());
    first.handshake();
    ASSERT_TRUE(first.bothOk());
    first.serverToClient("tickets");
    const SslSessionPtr ticket = first.clientEngine->session();
    ASSERT_TRUE(ticket);
    ASSERT_TRUE(SSL_SESSION_has_ticket(ticket.get()));

    // Another server object (its own store): it has never seen that ticket.
    Pair second(client(), resumingServer(), nullptr, std::make_shared<TlsSessionStore>());
    ASSERT_TRUE(second.clientEngine->setSession(ticket.get()));
    second.handshake();
    ASSERT_TRUE(second.bothOk()) << second.serverEngine->errorString().toStdString();
    ASSERT_EQ(second.serverCredentials->calls, 1);
    EXPECT_EQ(second.serverCredentials->seen[0].identity(), kIdentity);
}

TEST(Tls13Psk, FiveHundredTwelveByteKeyWorks)
{
    Pair pair(client(), server());
    pair.clientCredentials.key = QtPskTest::distinctBytes(512);
    pair.serverCredentials->key = QtPskTest::distinctBytes(600); // cut to 512, as in TLS 1.2
    pair.handshake();
    ASSERT_TRUE(pair.bothOk()) << pair.serverEngine->errorString().toStdString();
}

// The 512th byte counts: a server key one byte short of the client's 512 fails.
TEST(Tls13Psk, KeyOneByteShortOfTheMaximumDoesNotMatch)
{
    Pair pair(client(), server());
    pair.clientCredentials.key = QtPskTest::distinctBytes(513); // cut to 512
    pair.serverCredentials->key = QtPskTest::distinctBytes(511);
    pair.handshake();
    EXPECT_FALSE(pair.bothOk());
}
