// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Session resumption on QSslServer (docs/security.md, "Resumption"): off by default, so that every
// handshake runs the application's PSK decision; when a server's configuration asks for it
// (QSsl::SslOptionDisableSessionPersistence off) it stays within that server object, asks the slot
// again at every resumption, lets each TLS 1.3 ticket resume once, and is bounded in size and time.
// The client side is a raw OpenSSL client (tests/common/rawtlspeer.h), which offers whatever
// session the test gives it; QSslSocket's own sessionTicket() is used at the end.
#include <QtPsk/QSslConfiguration>
#include <QtPsk/QSslPreSharedKeyAuthenticator>
#include <QtPsk/QSslServer>
#include <QtPsk/QSslSocket>

#include "common/rawtlspeer.h"
#include "common/testsupport.h"
#include "engine/tlscontext_p.h"
#include "engine/tlsengine_p.h"
#include "engine/tlssessionstore_p.h"
#include "ssl/qsslsocket_p.h"

#include <QtCore/qcoreapplication.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

QTPSK_USE_NAMESPACE
using QtPskPrivate::TlsSessionStore;
using QtPskTest::waitUntil;

namespace {

const QByteArray kIdentity = QByteArrayLiteral("Client_identity");
const QByteArray kKey = QByteArray::fromHex("1a2b3c4d5e6f");
const QByteArray kOtherKey = QByteArray::fromHex("99887766554433221100");

// A QSslServer whose slot knows one identity and counts its requests; it closes every connection
// first (its close_notify keeps a TLS 1.2 session resumable, as OpenSSL's rules want).
struct Server
{
    QSslServer server;
    QByteArray key = kKey;
    bool accept = true; // false: the identity is revoked (no key)
    int asked = 0;
    int encrypted = 0;

    explicit Server(bool resumption, QSsl::SslProtocol protocol = QSsl::TlsV1_2OrLater)
    {
        QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
        configuration.setProtocol(protocol);
        configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
        configuration.setSslOption(QSsl::SslOptionDisableSessionPersistence, !resumption);
        server.setSslConfiguration(configuration);
        QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                         [this](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                             ++asked;
                             if (accept && authenticator->identity() == kIdentity)
                                 authenticator->setPreSharedKey(key);
                         });
        QObject::connect(&server, &QTcpServer::pendingConnectionAvailable, &server, [this] {
            while (QTcpSocket *socket = server.nextPendingConnection()) {
                ++encrypted;
                socket->disconnectFromHost();
                QObject::connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
        server.listen(QHostAddress::LocalHost, 0);
    }
};

struct RawClient
{
    RawTls::PskState state;
    SSL_CTX *ctx;
    explicit RawClient(int version)
    {
        state.key = std::string(kKey.constData(), size_t(kKey.size()));
        ctx = RawTls::newSessionKeepingClientContext(&state, "PSK");
        SSL_CTX_set_min_proto_version(ctx, version);
        SSL_CTX_set_max_proto_version(ctx, version);
    }
    ~RawClient() { SSL_CTX_free(ctx); }
};

using RawTls::readUntilClosed;

// Runs \a client (offering \a session) against \a server while the event loop serves it.
void run(RawTls::Client &client, SSL_SESSION *session)
{
    client.start(session, readUntilClosed);
    waitUntil([&] { return client.finished(); }, 30000);
    client.join();
}

struct Case
{
    const char *name;
    int version;
};

// gtest would otherwise print the row's bytes, padding included (valgrind: uninitialised reads).
void PrintTo(const Case &row, std::ostream *os) { *os << row.name; }

class ServerResumption : public ::testing::TestWithParam<Case>
{
};

} // namespace

// By default nothing is kept: no TLS 1.3 ticket, no TLS 1.2 session ID, so a server's memory does
// not grow with its handshakes, and no client can come back without the slot.
TEST_P(ServerResumption, DefaultServerIssuesNoTicketAndNoSessionId)
{
    Server server(false);
    ASSERT_TRUE(server.server.isListening());
    RawClient raw(GetParam().version);
    RawTls::Client first(raw.ctx, server.server.serverPort());
    run(first, nullptr);
    ASSERT_TRUE(first.result().handshakeOk) << first.result().error;
    ASSERT_NE(first.session(), nullptr);
    unsigned int idLength = 0;
    SSL_SESSION_get_id(first.session(), &idLength);
    EXPECT_FALSE(first.result().ticketReceived);
    if (GetParam().version == TLS1_2_VERSION) {
        EXPECT_EQ(idLength, 0u);
    }
    RawTls::Client second(raw.ctx, server.server.serverPort());
    run(second, first.session());
    ASSERT_TRUE(second.result().handshakeOk) << second.result().error;
    EXPECT_FALSE(second.result().reused);
    EXPECT_EQ(server.asked, 2);
}

// Opted in: a session resumes on the server that made it, and the slot is asked again (once).
TEST_P(ServerResumption, OptedInResumesOnItsServerAndStillAsksTheSlot)
{
    Server server(true);
    RawClient raw(GetParam().version);
    RawTls::Client first(raw.ctx, server.server.serverPort());
    run(first, nullptr);
    ASSERT_TRUE(first.result().handshakeOk) << first.result().error;
    EXPECT_EQ(server.asked, 1);
    RawTls::Client second(raw.ctx, server.server.serverPort());
    run(second, first.session());
    ASSERT_TRUE(second.result().handshakeOk) << second.result().error;
    EXPECT_TRUE(second.result().reused);
    EXPECT_EQ(server.asked, 2);
}

// Two servers with equal configurations share one SSL_CTX, never their sessions.
TEST_P(ServerResumption, OptedInNeverResumesOnAnotherServer)
{
    Server serverA(true);
    Server serverB(true);
    RawClient raw(GetParam().version);
    RawTls::Client first(raw.ctx, serverA.server.serverPort());
    run(first, nullptr);
    ASSERT_TRUE(first.result().handshakeOk) << first.result().error;
    RawTls::Client second(raw.ctx, serverB.server.serverPort());
    run(second, first.session());
    ASSERT_TRUE(second.result().handshakeOk) << second.result().error;
    EXPECT_FALSE(second.result().reused);
    EXPECT_EQ(serverB.asked, 1);
}

// Revocation: once the slot gives the identity no key, its sessions stop resuming, and the full
// handshake that follows fails; the slot is asked once.
TEST_P(ServerResumption, RevokedIdentityDoesNotResume)
{
    Server server(true);
    RawClient raw(GetParam().version);
    RawTls::Client first(raw.ctx, server.server.serverPort());
    run(first, nullptr);
    ASSERT_TRUE(first.result().handshakeOk) << first.result().error;
    server.accept = false;
    RawTls::Client second(raw.ctx, server.server.serverPort());
    run(second, first.session());
    EXPECT_FALSE(second.result().handshakeOk);
    waitUntil([&] { return server.asked == 2; }, 5000);
    EXPECT_EQ(server.asked, 2);
}

// A new key for the identity ends the old sessions too: no resumption, one full handshake with
// the new key, one request.
TEST_P(ServerResumption, ChangedKeyDoesNotResume)
{
    Server server(true);
    RawClient raw(GetParam().version);
    RawTls::Client first(raw.ctx, server.server.serverPort());
    run(first, nullptr);
    ASSERT_TRUE(first.result().handshakeOk) << first.result().error;
    server.key = kOtherKey;
    raw.state.key = std::string(kOtherKey.constData(), size_t(kOtherKey.size()));
    RawTls::Client second(raw.ctx, server.server.serverPort());
    run(second, first.session());
    ASSERT_TRUE(second.result().handshakeOk) << second.result().error;
    EXPECT_FALSE(second.result().reused);
    EXPECT_EQ(server.asked, 2);
}

INSTANTIATE_TEST_SUITE_P(Versions, ServerResumption,
                         ::testing::Values(Case{"Tls12", TLS1_2_VERSION}, Case{"Tls13", TLS1_3_VERSION}),
                         [](const auto &row) { return std::string(row.param.name); });

// A TLS 1.3 ticket resumes once: offered a second time it means a full handshake.
TEST(ServerResumptionTls13, TicketResumesOnce)
{
    Server server(true);
    RawClient raw(TLS1_3_VERSION);
    RawTls::Client first(raw.ctx, server.server.serverPort());
    run(first, nullptr);
    ASSERT_TRUE(first.result().handshakeOk) << first.result().error;
    ASSERT_TRUE(first.result().ticketReceived);
    RawTls::Client second(raw.ctx, server.server.serverPort());
    run(second, first.session());
    EXPECT_TRUE(second.result().reused);
    RawTls::Client third(raw.ctx, server.server.serverPort());
    run(third, first.session());
    ASSERT_TRUE(third.result().handshakeOk) << third.result().error;
    EXPECT_FALSE(third.result().reused);
    EXPECT_EQ(server.asked, 3);
}

// QSslSocket's own sessionTicket() against a QtPsk server that allows resumption (TLS 1.2: the
// resumed handshake asks the client's slot nothing, the server's slot once).
TEST(ServerResumptionQtPskClient, SessionTicketResumes)
{
    Server server(true, QSsl::TlsV1_2);
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setProtocol(QSsl::TlsV1_2);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setSslOption(QSsl::SslOptionDisableSessionPersistence, false);
    QByteArray ticket;
    for (int round = 0; round < 2; ++round) {
        QSslSocket socket;
        configuration.setSessionTicket(ticket);
        socket.setSslConfiguration(configuration);
        int asked = 0;
        QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired, &socket,
                         [&](QSslPreSharedKeyAuthenticator *authenticator) {
                             ++asked;
                             authenticator->setIdentity(kIdentity);
                             authenticator->setPreSharedKey(kKey);
                         });
        bool encrypted = false;
        QObject::connect(&socket, &QSslSocket::encrypted, &socket, [&] {
            encrypted = true;
            ticket = socket.sslConfiguration().sessionTicket();
        });
        socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.server.serverPort());
        // The server lives in this thread: the event loop serves both (no waitForEncrypted()).
        // It closes at once, so the test looks at encrypted(), not at isEncrypted().
        ASSERT_TRUE(waitUntil([&] { return encrypted; }, 20000))
                << socket.errorString().toStdString() << " in round " << round;
        EXPECT_FALSE(ticket.isEmpty());
        EXPECT_EQ(asked, round == 0 ? 1 : 0);
        waitUntil([&] { return socket.state() == QAbstractSocket::UnconnectedState; }, 20000);
    }
    EXPECT_EQ(server.asked, 2);
}

// --- The store itself ---------------------------------------------------------------------------

namespace {

SSL_SESSION *makeSession(unsigned char id, int version)
{
    SSL_SESSION *session = SSL_SESSION_new();
    const unsigned char bytes[4] = {id, 1, 2, 3};
    SSL_SESSION_set1_id(session, bytes, sizeof bytes);
    SSL_SESSION_set_protocol_version(session, version);
    return session;
}

bool has(const TlsSessionStore &store, unsigned char id)
{
    const unsigned char bytes[4] = {id, 1, 2, 3};
    return store.contains(bytes, sizeof bytes);
}

bool take(TlsSessionStore &store, unsigned char id)
{
    const unsigned char bytes[4] = {id, 1, 2, 3};
    TlsSessionStore::Entry entry;
    return store.take(bytes, sizeof bytes, &entry);
}

} // namespace

TEST(TlsSessionStore, KeepsAtMostItsCapacityDroppingTheLeastRecentlyUsed)
{
    TlsSessionStore store(3, std::chrono::seconds(300));
    const QByteArray digest = TlsSessionStore::digestOf(kKey);
    for (unsigned char id = 0; id < 3; ++id) {
        SSL_SESSION *session = makeSession(id, TLS1_2_VERSION);
        store.insert(session, kIdentity, digest);
        SSL_SESSION_free(session);
    }
    EXPECT_TRUE(take(store, 0)); // 0 is now the most recently used
    SSL_SESSION *session = makeSession(3, TLS1_2_VERSION);
    store.insert(session, kIdentity, digest);
    SSL_SESSION_free(session);
    EXPECT_EQ(store.size(), 3u);
    EXPECT_TRUE(has(store, 0));
    EXPECT_FALSE(has(store, 1));
    EXPECT_TRUE(has(store, 2));
    EXPECT_TRUE(has(store, 3));
}

TEST(TlsSessionStore, Tls13SessionsAreTakenOnceTls12OnesStay)
{
    TlsSessionStore store;
    const QByteArray digest = TlsSessionStore::digestOf(kKey);
    SSL_SESSION *tls12 = makeSession(1, TLS1_2_VERSION);
    SSL_SESSION *tls13 = makeSession(2, TLS1_3_VERSION);
    store.insert(tls12, kIdentity, digest);
    store.insert(tls13, kIdentity, digest);
    SSL_SESSION_free(tls12);
    SSL_SESSION_free(tls13);
    EXPECT_TRUE(take(store, 1));
    EXPECT_TRUE(take(store, 1));
    EXPECT_TRUE(take(store, 2));
    EXPECT_FALSE(take(store, 2));
}

TEST(TlsSessionStore, ExpiredSessionsAreGone)
{
    TlsSessionStore store(16, std::chrono::seconds(0));
    SSL_SESSION *session = makeSession(1, TLS1_2_VERSION);
    store.insert(session, kIdentity, TlsSessionStore::digestOf(kKey));
    SSL_SESSION_free(session);
    EXPECT_FALSE(take(store, 1));
    EXPECT_EQ(store.size(), 0u);
}

TEST(TlsSessionStore, DigestsCompareByValue)
{
    EXPECT_TRUE(TlsSessionStore::sameDigest(TlsSessionStore::digestOf(kKey),
                                            TlsSessionStore::digestOf(kKey)));
    EXPECT_FALSE(TlsSessionStore::sameDigest(TlsSessionStore::digestOf(kKey),
                                             TlsSessionStore::digestOf(kOtherKey)));
    EXPECT_FALSE(TlsSessionStore::sameDigest(QByteArray(), QByteArray()));
}

// --- What stays OpenSSL's behaviour (docs/security.md, "Documented limits") ---------------------

struct LimitCase
{
    const char *name;
    int version;
    bool unknownIdentity; // else a wrong key for the known identity
    int alert; // what the client receives, as Qt's OpenSSL server sends it
};

void PrintTo(const LimitCase &row, std::ostream *os) { *os << row.name; }

class DocumentedLimits : public ::testing::TestWithParam<LimitCase>
{
};

// An unknown identity and a wrong key end with different alerts (TLS 1.2: unknown_psk_identity 115
// against decrypt_error/bad_record_mac 20 after the Finished; TLS 1.3: handshake_failure 40 against
// illegal_parameter 47 from the binder check): a client can tell whether an identity exists, as
// with Qt.
TEST_P(DocumentedLimits, UnknownIdentityAndWrongKeyAreToldApartByTheAlert)
{
    const LimitCase row = GetParam();
    Server server(false);
    RawClient raw(row.version);
    if (row.unknownIdentity)
        raw.state.identity = "nobody";
    else
        raw.state.key = std::string(kOtherKey.constData(), size_t(kOtherKey.size()));
    RawTls::Client client(raw.ctx, server.server.serverPort());
    run(client, nullptr);
    EXPECT_FALSE(client.result().handshakeOk);
    ASSERT_FALSE(client.result().alertsReceived.empty()) << client.result().error;
    EXPECT_EQ(client.result().alertsReceived.front(), row.alert) << client.result().error;
}

INSTANTIATE_TEST_SUITE_P(
        Alerts, DocumentedLimits,
        ::testing::Values(LimitCase{"Tls12UnknownIdentity", TLS1_2_VERSION, true, 115},
                          LimitCase{"Tls12WrongKey", TLS1_2_VERSION, false, 20},
                          LimitCase{"Tls13UnknownIdentity", TLS1_3_VERSION, true, 40},
                          LimitCase{"Tls13WrongKey", TLS1_3_VERSION, false, 47}),
        [](const auto &row) { return std::string(row.param.name); });

// Early data (0-RTT) is never accepted: a resumption server's tickets allow none, and a client that
// sends some anyway (its ticket altered to allow it) is refused; the connection goes on in 1-RTT.
TEST(DocumentedLimitsEarlyData, EarlyDataIsNeverAccepted)
{
    Server server(true);
    RawClient raw(TLS1_3_VERSION);
    RawTls::Client first(raw.ctx, server.server.serverPort());
    run(first, nullptr);
    ASSERT_TRUE(first.result().ticketReceived) << first.result().error;
    EXPECT_EQ(SSL_SESSION_get_max_early_data(first.session()), 0u);
    SSL_SESSION *altered = SSL_SESSION_dup(first.session());
    ASSERT_NE(altered, nullptr);
    SSL_SESSION_set_max_early_data(altered, 16384);
    RawTls::Client second(raw.ctx, server.server.serverPort());
    second.start(
            altered, readUntilClosed, [](SSL *ssl) {
                size_t written = 0;
                SSL_write_early_data(ssl, "early", 5, &written);
            });
    waitUntil([&] { return second.finished(); }, 30000);
    second.join();
    SSL_SESSION_free(altered);
    ASSERT_TRUE(second.result().handshakeOk) << second.result().error;
    EXPECT_EQ(second.result().earlyDataStatus, SSL_EARLY_DATA_REJECTED);
}

// --- Each QSsl::SslOption reaches OpenSSL as in Qt's backend -------------------------------------

namespace {

// The OpenSSL options of the client's context for \a configuration, read from a real connection.
uint64_t clientContextOptions(const QSslConfiguration &configuration)
{
    Server server(false);
    QSslSocket socket;
    socket.setSslConfiguration(configuration);
    QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired, &socket,
                     [](QSslPreSharedKeyAuthenticator *authenticator) {
                         authenticator->setIdentity(kIdentity);
                         authenticator->setPreSharedKey(kKey);
                     });
    uint64_t options = 0;
    QObject::connect(&socket, &QSslSocket::encrypted, &socket, [&] {
        options = SSL_CTX_get_options(
                QtPskPrivate::SslSocketPrivate::get(&socket)->engine->context()->handle());
    });
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.server.serverPort());
    waitUntil([&] { return options != 0; }, 20000);
    return options;
}

} // namespace

TEST(SslOptionsMapping, EachOptionReachesOpenSslAsInQtsBackend)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    const uint64_t defaults = clientContextOptions(configuration);
    ASSERT_NE(defaults, 0u);
    // Qt's defaults: empty fragments, legacy renegotiation and compression disabled; the server's
    // cipher order preferred; tickets allowed. QtPsk adds: no renegotiation at all.
    EXPECT_EQ(defaults & SSL_OP_ALL & ~uint64_t(SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS),
              uint64_t(SSL_OP_ALL) & ~uint64_t(SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS));
    EXPECT_TRUE(defaults & SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS);
    EXPECT_FALSE(defaults & SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION);
    EXPECT_TRUE(defaults & SSL_OP_NO_COMPRESSION);
    EXPECT_TRUE(defaults & SSL_OP_CIPHER_SERVER_PREFERENCE);
    EXPECT_FALSE(defaults & SSL_OP_NO_TICKET);
    EXPECT_TRUE(defaults & SSL_OP_NO_RENEGOTIATION);

    struct Flip
    {
        QSsl::SslOption option;
        bool on;
        uint64_t bit;
        bool expected;
    };
    const Flip flips[] = {
        {QSsl::SslOptionDisableEmptyFragments, false, SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS, false},
        {QSsl::SslOptionDisableLegacyRenegotiation, false, SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION, true},
        {QSsl::SslOptionDisableSessionTickets, true, SSL_OP_NO_TICKET, true},
        {QSsl::SslOptionDisableServerCipherPreference, true, SSL_OP_CIPHER_SERVER_PREFERENCE, false},
    };
    for (const Flip &flip : flips) {
        SCOPED_TRACE(int(flip.option));
        QSslConfiguration flipped = configuration;
        flipped.setSslOption(flip.option, flip.on);
        const uint64_t options = clientContextOptions(flipped);
        ASSERT_NE(options, 0u);
        EXPECT_EQ(bool(options & flip.bit), flip.expected);
        EXPECT_TRUE(options & SSL_OP_NO_RENEGOTIATION);
    }
    // SSL_OP_NO_COMPRESSION is on in OpenSSL 3 whatever Qt asks (it has no TLS compression).
}
