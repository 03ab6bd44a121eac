// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Every QSsl::SslOption, session tickets, server-side resumption and renegotiation, seen from a raw
// OpenSSL peer on the other side of a loopback connection (rawtlspeer.h): the cipher a server picks,
// the SNI and the extensions of a client's ClientHello, whether a session resumes, whether a slot is
// asked. The same source is built against real Qt6::Network (QTPSK_PARITY_AGAINST_QTNETWORK: the
// ground truth, Qt 6.4 + OpenSSL 3.0) and against QtPsk; where QtPsk deliberately differs (it refuses
// renegotiation) the expectation says so beside Qt's measured behaviour.
#include "paritysupport.h"
#include "common/pskserverslot.h"
#include "common/rawtlspeer.h"

#include <QSslServer>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qpointer.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/testsupport.h"

using namespace Parity;
using QtPskTest::waitUntil;

namespace {

constexpr int kSessionTicketExtension = 35;

std::string rawKey()
{
    const QByteArray bytes = key();
    return std::string(bytes.constData(), size_t(bytes.size()));
}

// A QSslServer that answers every PSK request with the test key and counts them.
struct PskServer
{
    QSslServer server;
    int asked = 0;
    bool closeFirst = false; // the server ends each connection once it is encrypted
    int encrypted = 0;
    QList<QSslSocket *> sockets;

    explicit PskServer(const QSslConfiguration &configuration)
    {
        server.setSslConfiguration(configuration);
        QtPskTest::answerKnownIdentity(server, &asked, identity(), key());
        QObject::connect(&server, &QTcpServer::pendingConnectionAvailable, &server, [this] {
            while (QTcpSocket *pending = server.nextPendingConnection()) {
                auto *socket = qobject_cast<QSslSocket *>(pending);
                sockets.append(socket);
                ++encrypted;
                QObject::connect(socket, &QSslSocket::readyRead, socket,
                                 [socket] { socket->write(socket->readAll()); });
                if (closeFirst)
                    socket->disconnectFromHost();
            }
        });
    }
    bool listen() { return server.listen(QHostAddress(loopback()), 0); }
    quint16 port() const { return server.serverPort(); }
};

QSslConfiguration serverConfiguration(QSsl::SslProtocol protocol = QSsl::TlsV1_2OrLater)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setProtocol(protocol);
    configuration.setPreSharedKeyIdentityHint(hint());
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    return configuration;
}

QSslConfiguration clientConfiguration(QSsl::SslProtocol protocol = QSsl::TlsV1_2)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setProtocol(protocol);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    return configuration;
}

// One QSslSocket client connection and what it showed.
struct ClientRun
{
    bool encrypted = false;
    QString errorString;
    int asked = 0;
    int ticketsReceived = 0; // newSessionTicketReceived()
    QByteArray sessionTicketAtEncrypted;
    QByteArray sessionTicket; // at the end
    int lifetimeHint = 0;
    QByteArray received;
    QList<QSsl::AlertType> alertsSent;
    QList<QSsl::AlertType> alertsReceived;
    QSslCipher cipher;
};

// Connects, waits until the peer \a done() (or a failure), then reports.
ClientRun runClient(const QSslConfiguration &configuration, quint16 port,
                    const std::function<bool()> &done, const QString &peerName = QString(),
                    const QByteArray &reply = QByteArray())
{
    ClientRun run;
    QSslSocket socket;
    socket.setSslConfiguration(configuration);
    QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired, &socket,
                     [&](QSslPreSharedKeyAuthenticator *authenticator) {
                         ++run.asked;
                         authenticator->setIdentity(identity());
                         authenticator->setPreSharedKey(key());
                     });
    QObject::connect(&socket, &QSslSocket::encrypted, &socket, [&] {
        run.encrypted = true;
        run.sessionTicketAtEncrypted = socket.sslConfiguration().sessionTicket();
    });
    QObject::connect(&socket, &QSslSocket::newSessionTicketReceived, &socket,
                     [&] { ++run.ticketsReceived; });
    QObject::connect(&socket, &QSslSocket::alertSent, &socket,
                     [&](QSsl::AlertLevel, QSsl::AlertType type, const QString &) {
                         run.alertsSent.append(type);
                     });
    QObject::connect(&socket, &QSslSocket::alertReceived, &socket,
                     [&](QSsl::AlertLevel, QSsl::AlertType type, const QString &) {
                         run.alertsReceived.append(type);
                     });
    QObject::connect(&socket, &QSslSocket::readyRead, &socket, [&] {
        run.received += socket.readAll();
        if (!reply.isEmpty())
            socket.write(reply);
    });
    if (peerName.isEmpty())
        socket.connectToHostEncrypted(loopback(), port);
    else
        socket.connectToHostEncrypted(loopback(), port, peerName);
    waitUntil([&] { return done() || socket.state() == QAbstractSocket::UnconnectedState; },
              timeoutMs);
    // The peer may be done before this socket has read its last flight: let the handshake end.
    if (!run.encrypted && socket.state() == QAbstractSocket::ConnectedState)
        waitUntil([&] { return run.encrypted || socket.state() == QAbstractSocket::UnconnectedState; },
                  timeoutMs);
    if (socket.error() != QAbstractSocket::UnknownSocketError
        && socket.error() != QAbstractSocket::RemoteHostClosedError) {
        run.errorString = socket.errorString();
    }
    run.sessionTicket = socket.sslConfiguration().sessionTicket();
    run.lifetimeHint = socket.sslConfiguration().sessionTicketLifeTimeHint();
    run.cipher = socket.sessionCipher();
    socket.abort();
    return run;
}

// The raw server's context: PSK only, TLS 1.2 unless \a tls13.
struct RawServerContext
{
    RawTls::PskState state;
    SSL_CTX *ctx = nullptr;
    explicit RawServerContext(bool tls13 = false)
    {
        state.key = rawKey();
        ctx = RawTls::newContext(true, &state);
        SSL_CTX_set_min_proto_version(ctx, tls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
        SSL_CTX_set_max_proto_version(ctx, tls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
        SSL_CTX_set_cipher_list(ctx, "PSK");
        SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256");
    }
    ~RawServerContext() { SSL_CTX_free(ctx); }
};

struct RawClientContext
{
    RawTls::PskState state;
    SSL_CTX *ctx = nullptr;
    explicit RawClientContext(int maxVersion = TLS1_2_VERSION, const char *ciphers = "PSK")
    {
        state.key = rawKey();
        ctx = RawTls::newSessionKeepingClientContext(&state, ciphers);
        SSL_CTX_set_max_proto_version(ctx, maxVersion);
    }
    ~RawClientContext() { SSL_CTX_free(ctx); }
};

using RawTls::readUntilClosed;

// Writes "ping" and reads the echo, so that the server's TLS 1.3 tickets are read too.
void pingPong(SSL *ssl, RawTls::Connection &connection)
{
    SSL_write(ssl, "ping", 4);
    connection.received = RawTls::readBytes(ssl, 4);
}

} // namespace

// --- QSslServer: whose cipher order ------------------------------------------------------------

struct CipherPreferenceRow
{
    const char *name;
    bool disableServerPreference;
    const char *expectedCipher;
};

class ServerCipherPreference : public ::testing::TestWithParam<CipherPreferenceRow>
{
};

// The client offers plain PSK first and ECDHE-PSK second. Qt's server prefers its own order (the
// default cipher list puts the forward-secret ECDHE-PSK suites first), unless
// SslOptionDisableServerCipherPreference is set.
TEST_P(ServerCipherPreference, PicksTheExpectedSuite)
{
    const CipherPreferenceRow row = GetParam();
    QSslConfiguration configuration = serverConfiguration();
    configuration.setSslOption(QSsl::SslOptionDisableServerCipherPreference,
                               row.disableServerPreference);
    PskServer server(configuration);
    ASSERT_TRUE(server.listen());
    RawClientContext context(TLS1_2_VERSION, "PSK-AES128-GCM-SHA256:ECDHE-PSK-CHACHA20-POLY1305");
    RawTls::Client client(context.ctx, server.port());
    client.start(nullptr, pingPong);
    ASSERT_TRUE(waitUntil([&] { return server.encrypted == 1 && server.asked == 1; }, timeoutMs));
    waitUntil([&] { return !client.result().received.empty(); }, timeoutMs);
    client.join();
    ASSERT_TRUE(client.result().handshakeOk) << client.result().error;
    EXPECT_EQ(client.result().cipher, row.expectedCipher);
}

INSTANTIATE_TEST_SUITE_P(
        Options, ServerCipherPreference,
        ::testing::Values(CipherPreferenceRow{"Default", false, "ECDHE-PSK-CHACHA20-POLY1305"},
                          CipherPreferenceRow{"DisableServerCipherPreference", true,
                                              "PSK-AES128-GCM-SHA256"}),
        [](const auto &row) { return std::string(row.param.name); });

// --- QSslSocket: what its ClientHello carries ---------------------------------------------------

TEST(ClientHello, SendsTheServerNameUnlessDisabled)
{
    for (const bool disable : {false, true}) {
        SCOPED_TRACE(disable ? "SslOptionDisableServerNameIndication" : "default");
        RawServerContext context;
        RawTls::Server server(context.ctx);
        ASSERT_NE(server.port(), 0);
        server.serve(1);
        QSslConfiguration configuration = clientConfiguration();
        configuration.setSslOption(QSsl::SslOptionDisableServerNameIndication, disable);
        const ClientRun run = runClient(configuration, server.port(),
                                        [&] { return server.done() == 1; },
                                        QStringLiteral("psk.example"));
        server.join();
        ASSERT_EQ(server.results().size(), 1u);
        EXPECT_TRUE(server.results()[0].handshakeOk) << server.results()[0].error;
        EXPECT_EQ(server.results()[0].serverName, disable ? "" : "psk.example");
        EXPECT_TRUE(run.encrypted) << run.errorString.toStdString();
    }
}

TEST(ClientHello, OffersSessionTicketsUnlessDisabled)
{
    for (const bool disable : {false, true}) {
        SCOPED_TRACE(disable ? "SslOptionDisableSessionTickets" : "default");
        RawServerContext context;
        RawTls::Server server(context.ctx);
        server.serve(1);
        QSslConfiguration configuration = clientConfiguration();
        configuration.setSslOption(QSsl::SslOptionDisableSessionTickets, disable);
        runClient(configuration, server.port(), [&] { return server.done() == 1; });
        server.join();
        ASSERT_EQ(server.results().size(), 1u);
        EXPECT_TRUE(server.results()[0].handshakeOk) << server.results()[0].error;
        EXPECT_EQ(RawTls::hasExtension(server.results()[0], kSessionTicketExtension), !disable);
    }
}

// --- QSslSocket: sessionTicket(), setSessionTicket() and resumption -----------------------------

struct PersistenceRow
{
    const char *name;
    bool tls13;
    bool disablePersistence;
    bool disableSharing;
    bool disableTickets;
    // Expected (Qt 6.4, measured):
    bool ticketAtEncrypted; // sslConfiguration().sessionTicket() inside encrypted()
    bool ticketAtEnd; // ... once the server has closed
    int ticketSignals; // newSessionTicketReceived()
    bool resumes; // a second socket given that ticket resumes the session
};

class ClientSessionPersistence : public ::testing::TestWithParam<PersistenceRow>
{
};

TEST_P(ClientSessionPersistence, KeepsAndResumesAsQt)
{
    const PersistenceRow row = GetParam();
    if (row.tls13)
        qputenv("QT_USE_TLS_1_3_PSK", "1"); // Qt's clients offer no TLS 1.3 PSK without it
    RawServerContext context(row.tls13);
    // Stateless tickets (TLS 1.2 RFC 5077 and TLS 1.3) and session IDs: whatever the client asks.
    RawTls::Server server(context.ctx);
    ASSERT_NE(server.port(), 0);
    server.serve(2, [](SSL *ssl, RawTls::Connection &connection) {
        SSL_write(ssl, "hello", 5); // after the TLS 1.3 tickets
        connection.received = RawTls::readBytes(ssl, 2); // the client's "ok"
    });
    QSslConfiguration configuration = clientConfiguration(row.tls13 ? QSsl::TlsV1_3 : QSsl::TlsV1_2);
    configuration.setSslOption(QSsl::SslOptionDisableSessionPersistence, row.disablePersistence);
    configuration.setSslOption(QSsl::SslOptionDisableSessionSharing, row.disableSharing);
    configuration.setSslOption(QSsl::SslOptionDisableSessionTickets, row.disableTickets);
    const ClientRun first = runClient(configuration, server.port(),
                                      [&] { return server.done() == 1; }, QString(), "ok");
    EXPECT_TRUE(first.encrypted) << first.errorString.toStdString();
    EXPECT_EQ(first.asked, 1);
    EXPECT_EQ(!first.sessionTicketAtEncrypted.isEmpty(), row.ticketAtEncrypted);
    EXPECT_EQ(!first.sessionTicket.isEmpty(), row.ticketAtEnd);
    EXPECT_EQ(first.ticketsReceived, row.ticketSignals);
    EXPECT_EQ(first.lifetimeHint > 0, row.ticketAtEnd && (row.tls13 || !row.disableTickets));

    QSslConfiguration second = configuration;
    second.setSessionTicket(first.sessionTicket);
    const ClientRun again = runClient(second, server.port(), [&] { return server.done() == 2; },
                                      QString(), "ok");
    server.join();
    if (row.tls13)
        qunsetenv("QT_USE_TLS_1_3_PSK");
    ASSERT_EQ(server.results().size(), 2u);
    EXPECT_TRUE(again.encrypted) << again.errorString.toStdString();
    EXPECT_EQ(server.results()[1].reused, row.resumes);
    EXPECT_EQ(again.asked, row.resumes && !row.tls13 ? 0 : 1);
}

INSTANTIATE_TEST_SUITE_P(
        Options, ClientSessionPersistence,
        ::testing::Values(
                //             name                 tls13  !pers  !share !tick  atEnc  atEnd  sig  resumes
                PersistenceRow{"Tls12Default", false, true, false, false, false, false, 0, false},
                PersistenceRow{"Tls12Persistent", false, false, false, false, true, true, 0, true},
                PersistenceRow{"Tls12PersistentNoTickets", false, false, false, true, true, true, 0, true},
                PersistenceRow{"Tls12PersistentNoSharing", false, false, true, false, false, false, 0, false},
                PersistenceRow{"Tls13Default", true, true, false, false, false, false, 0, false},
                PersistenceRow{"Tls13Persistent", true, false, false, false, true, true, 1, true},
                PersistenceRow{"Tls13PersistentNoSharing", true, false, true, false, false, true, 1, true}),
        [](const auto &row) { return std::string(row.param.name); });

// --- QSslServer: never resumes a session the slot did not decide --------------------------------

struct ResumptionRow
{
    const char *name;
    bool tls13;
    bool otherServer; // the session is offered to a second server with an equal configuration
};

class ServerResumption : public ::testing::TestWithParam<ResumptionRow>
{
};

// Qt builds an SSL_CTX per socket: a session from one connection never resumes on another, on the
// same server or on another one, and the slot decides every handshake. The server closes first (its
// close_notify keeps a TLS 1.2 session resumable on the server's side).
TEST_P(ServerResumption, EveryHandshakeAsksTheSlot)
{
    const ResumptionRow row = GetParam();
    QSslConfiguration configuration = serverConfiguration();
    PskServer first(configuration);
    PskServer second(configuration);
    first.closeFirst = true;
    second.closeFirst = true;
    ASSERT_TRUE(first.listen());
    ASSERT_TRUE(second.listen());
    RawClientContext context(row.tls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
    SSL_CTX_set_min_proto_version(context.ctx, row.tls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
    RawTls::Client initial(context.ctx, first.port());
    initial.start(nullptr, readUntilClosed);
    ASSERT_TRUE(waitUntil([&] { return first.encrypted == 1; }, timeoutMs));
    waitUntil([&] { return first.sockets.constFirst()->state() == QAbstractSocket::UnconnectedState; },
              timeoutMs);
    initial.join();
    ASSERT_TRUE(initial.result().handshakeOk) << initial.result().error;
    ASSERT_NE(initial.session(), nullptr);

    PskServer &target = row.otherServer ? second : first;
    RawTls::Client resumed(context.ctx, target.port());
    resumed.start(initial.session(), readUntilClosed);
    ASSERT_TRUE(waitUntil([&] { return target.encrypted == (row.otherServer ? 1 : 2); }, timeoutMs));
    resumed.join();
    ASSERT_TRUE(resumed.result().handshakeOk) << resumed.result().error;
    EXPECT_FALSE(resumed.result().reused);
    // Qt's TLS 1.3 server shows the ticket's identity to the slot as well (it cannot decrypt the
    // ticket: another SSL_CTX made it), then the external identity; QtPsk never shows a ticket.
#ifdef QTPSK_PARITY_AGAINST_QTNETWORK
    const int resumedAsks = row.tls13 ? 2 : 1;
#else
    const int resumedAsks = 1;
#endif
    EXPECT_EQ(first.asked + second.asked, 1 + resumedAsks);
    EXPECT_EQ(target.asked, row.otherServer ? resumedAsks : 1 + resumedAsks);
}

INSTANTIATE_TEST_SUITE_P(Options, ServerResumption,
                         ::testing::Values(ResumptionRow{"Tls12SameServer", false, false},
                                           ResumptionRow{"Tls12OtherServer", false, true},
                                           ResumptionRow{"Tls13SameServer", true, false},
                                           ResumptionRow{"Tls13OtherServer", true, true}),
                         [](const auto &row) { return std::string(row.param.name); });

// --- Renegotiation ------------------------------------------------------------------------------

// The raw server asks for a renegotiation after the handshake (a HelloRequest), then sends "x" and
// waits for the client's "y". Qt's client renegotiates and asks its slot again; QtPsk's refuses
// (a no_renegotiation warning alert; OpenSSL's server then ends the connection).
TEST(Renegotiation, ServerInitiated)
{
    RawServerContext context;
    // A full handshake each time (the PSK is asked again), not an abbreviated one.
    SSL_CTX_set_options(context.ctx, SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
    RawTls::Server server(context.ctx);
    server.serve(1, [](SSL *ssl, RawTls::Connection &connection) {
        // The client's ClientHello arrives while the server reads: a few rounds of "x" / "y".
        if (SSL_renegotiate(ssl) == 1 && SSL_do_handshake(ssl) == 1) {
            for (int round = 0; round < 3; ++round) {
                if (SSL_write(ssl, "x", 1) != 1)
                    break;
                connection.received += RawTls::readBytes(ssl, 1);
            }
            connection.renegotiations = connection.pskCallbacks - 1;
        }
        connection.error = RawTls::takeErrors();
    });
    const ClientRun run = runClient(clientConfiguration(), server.port(),
                                    [&] { return server.done() == 1; }, QString(), "y");
    server.join();
    ASSERT_EQ(server.results().size(), 1u);
    const RawTls::Connection &peer = server.results()[0];
    EXPECT_TRUE(run.encrypted);
#ifdef QTPSK_PARITY_AGAINST_QTNETWORK
    EXPECT_EQ(run.asked, 2);
    EXPECT_EQ(peer.renegotiations, 1);
    EXPECT_EQ(peer.received, "yyy");
#else
    EXPECT_EQ(run.asked, 1);
    EXPECT_EQ(peer.renegotiations, 0);
    EXPECT_TRUE(run.alertsSent.contains(QSsl::AlertType::NoRenegotiation));
    EXPECT_NE(peer.error.find("no renegotiation"), std::string::npos) << peer.error;
#endif
}

// A raw client asks a QSslServer's socket for a renegotiation after the handshake.
TEST(Renegotiation, ClientInitiated)
{
    PskServer server(serverConfiguration());
    ASSERT_TRUE(server.listen());
    RawClientContext context;
    RawTls::Client client(context.ctx, server.port());
    client.start(nullptr, [](SSL *ssl, RawTls::Connection &connection) {
        pingPong(ssl, connection);
        const int before = connection.pskCallbacks;
        if (SSL_renegotiate(ssl) == 1 && SSL_do_handshake(ssl) == 1) {
            connection.renegotiations = connection.pskCallbacks - before;
            pingPong(ssl, connection);
        }
        connection.error = RawTls::takeErrors();
    });
    ASSERT_TRUE(waitUntil([&] { return server.encrypted == 1; }, timeoutMs));
    waitUntil([&] { return server.sockets.constFirst()->state() == QAbstractSocket::UnconnectedState; },
              timeoutMs);
    client.join();
    const RawTls::Connection &peer = client.result();
    ASSERT_TRUE(peer.handshakeOk) << peer.error;
    // OpenSSL 3 servers refuse a client's renegotiation by default; Qt's and QtPsk's alike.
    EXPECT_EQ(server.asked, 1);
    EXPECT_EQ(peer.renegotiations, 0);
    EXPECT_NE(peer.error.find("no renegotiation"), std::string::npos) << peer.error;
}
