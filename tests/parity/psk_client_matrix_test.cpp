// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The client-side PSK failure matrix (spec qt-psk-behaviour.md §2.2, §2.8, §4.1, Appendix A),
// run against a real `openssl s_server -nocert -psk ... -rev` started per test. The same source is
// built against real Qt6::Network (QTPSK_PARITY_AGAINST_QTNETWORK: the ground truth, measured on
// Qt 6.4.2 + OpenSSL 3.0) and against QtPsk. Every row runs in two styles: with the event loop
// (signals, QtPskTest::waitUntil) and blocking (waitFor..., no event loop).
#include "paritysupport.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qcryptographichash.h>
#include <QtCore/qobject.h>
#include <QtCore/qpointer.h>
#include <QtCore/qscopeguard.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/testrows.h"
#include "common/testsupport.h"

using namespace Parity;
using QtPskTest::PeerProcess;
using QtPskTest::waitUntil;

namespace {

const QByteArray helloLine = QByteArrayLiteral("Hello from Qt TLS/PSK!\n");
const QByteArray helloReversed = QByteArrayLiteral("!KSP/SLT tQ morf olleH\n"); // s_server -rev

enum class Style { Signals, WaitFor };

std::string styleName(Style style)
{
    return style == Style::Signals ? "Signals" : "WaitFor";
}

// --- The s_server peer -------------------------------------------------------------------------

struct ServerSetup
{
    QByteArray keyHex = Parity::keyHex();
    QByteArray identity = Parity::identity();
    bool sendHint = true;
    QString cipher = QStringLiteral("kPSK");
};

// Starts `openssl s_server -nocert -psk ... -tls1_2 -rev` on 127.0.0.1 and returns its port.
quint16 startPskServer(PeerProcess &peer, const ServerSetup &setup)
{
    QStringList arguments{QStringLiteral("-nocert"),
                          QStringLiteral("-psk"), QString::fromLatin1(setup.keyHex),
                          QStringLiteral("-psk_identity"), QString::fromLatin1(setup.identity)};
    if (setup.sendHint)
        arguments << QStringLiteral("-psk_hint") << QString::fromLatin1(hint());
    arguments << QStringLiteral("-tls1_2") << QStringLiteral("-cipher") << setup.cipher
              << QStringLiteral("-rev");
    return peer.startOpenSslServer(arguments);
}

// --- The matrix rows ---------------------------------------------------------------------------

enum class Slot { None, SetsNothing, SetsCredentials };
enum class Outcome { Encrypted, HandshakeFailed, NoPeerCertificate };

struct ClientRow
{
    std::string name;
    Slot slot = Slot::SetsCredentials;
    QByteArray clientIdentity = identity();
    QByteArray clientKey = key();
    ServerSetup server;
    QSslSocket::PeerVerifyMode verifyMode = QSslSocket::VerifyNone;
    bool ignoreErrorsInPeerVerifyError = false;
    QString clientCipher = QStringLiteral("PSK-AES256-CBC-SHA");
    Outcome outcome = Outcome::Encrypted;
    std::vector<QSsl::AlertType> fatalAlertsSent;
    std::vector<QSsl::AlertType> fatalAlertsReceived;
    QString errorDetail; // must appear in errorString() after the handshake prefix
};

std::vector<ClientRow> clientRows()
{
    std::vector<ClientRow> rows;
    auto add = [&rows](const char *name) -> ClientRow & { return QtPskTest::addRow(rows, name); };

    add("RightCredentials");

    // A client left without a key: it fails the handshake with handshake_failure.
    const auto addKeyless = [&add](const char *name, Slot slot) {
        ClientRow &r = add(name);
        r.slot = slot;
        r.verifyMode = QSslSocket::AutoVerifyPeer;
        r.outcome = Outcome::HandshakeFailed;
        r.fatalAlertsSent = {QSsl::AlertType::HandshakeFailure};
        r.errorDetail = QStringLiteral("psk identity not found");
    };
    // Qt's PskConnectDoNotHandlePsk: the signal is still emitted, the key stays empty.
    addKeyless("NoSlotConnected", Slot::None);
    addKeyless("SlotSetsNothing", Slot::SetsNothing);
    {
        ClientRow &r = add("WrongKey");
        r.clientKey = key().left(key().size() - 1);
        r.verifyMode = QSslSocket::AutoVerifyPeer;
        r.outcome = Outcome::HandshakeFailed;
        r.fatalAlertsReceived = {QSsl::AlertType::BadRecordMac};
        r.errorDetail = QStringLiteral("bad record mac");
    }
    {   // s_server only warns about an unexpected identity in TLS 1.2 and uses its key anyway.
        ClientRow &r = add("WrongIdentityIsAcceptedByOpenSslServer");
        r.clientIdentity = QByteArrayLiteral("Client_identit");
    }
    {
        ClientRow &r = add("EmptyIdentity");
        r.clientIdentity = QByteArray("");
    }
    {   // Cut to maximumIdentityLength() (255) on the wire; s_server rejects more than 256 bytes.
        ClientRow &r = add("Identity300BytesIsTruncated");
        r.clientIdentity = QByteArray(300, 'i');
    }
    {   // Cut to maximumPreSharedKeyLength() (512): the server holds only the first 512 bytes.
        ClientRow &r = add("Key600BytesIsTruncatedTo512");
        QByteArray longKey;
        for (int i = 0; i < 600; ++i)
            longKey.append(char(i * 7 + 1));
        r.clientKey = longKey;
        r.server.keyHex = longKey.left(512).toHex();
    }
    {   // The identity ends at the NUL on the wire ("ab"); s_server accepts any identity.
        ClientRow &r = add("IdentityWithEmbeddedNul");
        r.clientIdentity = QByteArray("ab\0cd", 5);
    }
    {
        ClientRow &r = add("NoHint");
        r.server.sendHint = false;
    }
    {   // Plain PSK presents no certificate, so AutoVerifyPeer (a client's default) fails.
        ClientRow &r = add("AutoVerifyPeerFailsWithNoPeerCertificate");
        r.verifyMode = QSslSocket::AutoVerifyPeer;
        r.outcome = Outcome::NoPeerCertificate;
    }
    {
        ClientRow &r = add("AutoVerifyPeerIgnoredInPeerVerifyError");
        r.verifyMode = QSslSocket::AutoVerifyPeer;
        r.ignoreErrorsInPeerVerifyError = true;
    }
    {
        ClientRow &r = add("EcdhePskChacha20Poly1305");
        r.clientCipher = QStringLiteral("ECDHE-PSK-CHACHA20-POLY1305");
        r.server.cipher = QStringLiteral("kECDHEPSK");
    }
    {
        ClientRow &r = add("DhePskAes256GcmSha384");
        r.clientCipher = QStringLiteral("DHE-PSK-AES256-GCM-SHA384");
        r.server.cipher = QStringLiteral("kDHEPSK");
    }
    {
        ClientRow &r = add("EcdhePskWrongKey");
        r.clientCipher = QStringLiteral("ECDHE-PSK-CHACHA20-POLY1305");
        r.server.cipher = QStringLiteral("kECDHEPSK");
        r.clientKey = QByteArray::fromHex("6f5e4d3c2b1a");
        r.outcome = Outcome::HandshakeFailed;
        r.fatalAlertsReceived = {QSsl::AlertType::BadRecordMac};
        r.errorDetail = QStringLiteral("bad record mac");
    }
    return rows;
}

// What the test saw besides the recorder: values read while the session was up.
struct Observed
{
    QSsl::SslProtocol sessionProtocol = QSsl::UnknownProtocol;
    QString sessionCipher;
    QSslSocket::SslMode modeAfterStart = QSslSocket::UnencryptedMode;
    QAbstractSocket::SocketState stateAfterConnectCall = QAbstractSocket::UnconnectedState;
    bool waitForEncryptedResult = false;
};

void readSession(const QSslSocket &socket, Observed &observed)
{
    observed.sessionProtocol = socket.sessionProtocol();
    observed.sessionCipher = socket.sessionCipher().name();
}

// Drives one client through the whole connection in the given style.
void runClient(QSslSocket &socket, SocketRecorder &recorder, quint16 port, Style style,
               Observed &observed)
{
    recorder.readInSlot = true;
    if (style == Style::Signals) {
        socket.connectToHost(loopback(), port);
        observed.stateAfterConnectCall = socket.state();
        ASSERT_TRUE(waitUntil([&] { return socket.state() == QAbstractSocket::ConnectedState
                                            || socket.state() == QAbstractSocket::UnconnectedState; },
                              timeoutMs));
        ASSERT_EQ(socket.state(), QAbstractSocket::ConnectedState);
        EXPECT_EQ(socket.mode(), QSslSocket::UnencryptedMode);
        socket.startClientEncryption();
        observed.modeAfterStart = socket.mode();
        EXPECT_FALSE(socket.isEncrypted());
        EXPECT_TRUE(recorder.errors.empty());
        EXPECT_TRUE(waitUntil([&] { return recorder.encrypted > 0
                                           || socket.state() == QAbstractSocket::UnconnectedState; },
                              timeoutMs));
        if (socket.isEncrypted()) {
            readSession(socket, observed);
            socket.write(helloLine);
            EXPECT_TRUE(waitUntil([&] { return recorder.received.size() >= helloReversed.size()
                                               || socket.state() != QAbstractSocket::ConnectedState; },
                                  timeoutMs));
            socket.disconnectFromHost();
        }
        EXPECT_TRUE(waitUntil([&] { return socket.state() == QAbstractSocket::UnconnectedState; },
                              timeoutMs));
    } else {
        socket.connectToHostEncrypted(loopback(), port);
        observed.stateAfterConnectCall = socket.state();
        observed.modeAfterStart = socket.mode();
        observed.waitForEncryptedResult = socket.waitForEncrypted(timeoutMs);
        if (observed.waitForEncryptedResult) {
            readSession(socket, observed);
            socket.write(helloLine);
            EXPECT_TRUE(socket.waitForBytesWritten(timeoutMs));
            while (recorder.received.size() < helloReversed.size()) {
                if (!socket.waitForReadyRead(timeoutMs))
                    break;
            }
            socket.disconnectFromHost();
        }
        if (socket.state() != QAbstractSocket::UnconnectedState) {
            EXPECT_TRUE(socket.waitForDisconnected(timeoutMs));
        }
    }
}

// \a states with repeats of the same state in a row collapsed into one.
std::vector<QAbstractSocket::SocketState> distinctInARow(std::vector<QAbstractSocket::SocketState> states)
{
    states.erase(std::unique(states.begin(), states.end()), states.end());
    return states;
}

// Nothing queued may change the outcome afterwards (e.g. a second disconnected()).
void drainPostedEvents()
{
    QCoreApplication::processEvents();
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
}

class PskClientMatrix : public ::testing::TestWithParam<std::tuple<ClientRow, Style>>
{
};

} // namespace

TEST_P(PskClientMatrix, BehavesLikeQt6AgainstOpenSslServer)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    const ClientRow &row = std::get<0>(GetParam());
    const Style style = std::get<1>(GetParam());

    PeerProcess peer;
    const quint16 port = startPskServer(peer, row.server);
    ASSERT_NE(port, 0) << peer.output().constData();

    QSslSocket socket;
    SocketRecorder recorder;
    recorder.attach(&socket); // first, so it sees the authenticator before the row's slot fills it
    socket.setSslConfiguration(pskConfiguration(row.clientCipher, row.verifyMode));
    ASSERT_EQ(socket.sslConfiguration().ciphers().size(), 1) << "cipher not supported";
    EXPECT_EQ(socket.peerVerifyMode(), row.verifyMode);

    int slotCalls = 0;
    if (row.slot != Slot::None) {
        QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired, &socket,
                         [&](QSslPreSharedKeyAuthenticator *authenticator) {
                             ++slotCalls;
                             if (row.slot == Slot::SetsCredentials) {
                                 authenticator->setIdentity(row.clientIdentity);
                                 authenticator->setPreSharedKey(row.clientKey);
                                 // The setters keep everything; truncation happens on the wire only.
                                 EXPECT_EQ(authenticator->identity(), row.clientIdentity);
                                 EXPECT_EQ(authenticator->preSharedKey(), row.clientKey);
                             }
                         });
    }
    if (row.ignoreErrorsInPeerVerifyError) {
        QObject::connect(&socket, &QSslSocket::peerVerifyError, &socket,
                         [&socket](const QSslError &) { socket.ignoreSslErrors(); });
    }

    Observed observed;
    runClient(socket, recorder, port, style, observed);
    const int disconnectedBeforeDrain = recorder.disconnected;
    drainPostedEvents();
    SCOPED_TRACE(describe(recorder));

    // The connection itself. Measured on Qt 6.4.2: with an IP literal the socket has already gone
    // through HostLookupState (emitted) to ConnectingState when connectToHost() returns; the mode is
    // SslClientMode right after startClientEncryption(), but after connectToHostEncrypted() it only
    // switches once the TCP connection is up (modeChanged fires once in both styles, and the mode is
    // not reset on disconnection).
    EXPECT_EQ(observed.stateAfterConnectCall, QAbstractSocket::ConnectingState);
    EXPECT_EQ(observed.modeAfterStart,
              style == Style::Signals ? QSslSocket::SslClientMode : QSslSocket::UnencryptedMode);
    EXPECT_EQ(recorder.hostFound, 1);
    EXPECT_EQ(recorder.connected, 1);
    // Qt 6.4.2 emits ClosingState twice in a row when an encrypted socket disconnects; only the
    // sequence of distinct states is part of the contract. A failed handshake skips ClosingState,
    // while the NoPeerCertificate failure (after a completed TLS handshake) goes through it.
    std::vector<QAbstractSocket::SocketState> expectedStates{QAbstractSocket::HostLookupState,
                                                             QAbstractSocket::ConnectingState,
                                                             QAbstractSocket::ConnectedState};
    if (row.outcome != Outcome::HandshakeFailed)
        expectedStates.push_back(QAbstractSocket::ClosingState);
    expectedStates.push_back(QAbstractSocket::UnconnectedState);
    EXPECT_EQ(distinctInARow(recorder.states), expectedStates);
    EXPECT_EQ(recorder.modes, std::vector<QSslSocket::SslMode>{QSslSocket::SslClientMode});

    // The PSK signal: exactly once in every row, whether or not a slot is connected.
    ASSERT_EQ(recorder.pskCalls.size(), 1u);
    EXPECT_EQ(slotCalls, row.slot == Slot::None ? 0 : 1);
    const PskCall &call = recorder.pskCalls.front();
    if (row.server.sendHint) {
        EXPECT_FALSE(call.hintIsNull);
        EXPECT_EQ(call.identityHint, hint());
    } else {
        EXPECT_TRUE(call.hintIsNull) << call.identityHint.constData();
    }
    EXPECT_TRUE(call.identityIsNull);
    EXPECT_EQ(call.maximumIdentityLength, 255);
    EXPECT_EQ(call.maximumPreSharedKeyLength, 512);

    // Outcome, errors and alerts. close_notify (Warning, CloseNotify) goes out whenever the TLS
    // handshake itself completed, the NoPeerCertificate failure included.
    EXPECT_EQ(fatalTypes(recorder.alertsSent), row.fatalAlertsSent);
    const bool closeNotifySent = std::any_of(recorder.alertsSent.begin(), recorder.alertsSent.end(),
                                             [](const Alert &a) {
                                                 return a.level == QSsl::AlertLevel::Warning
                                                         && a.type == QSsl::AlertType::CloseNotify;
                                             });
    EXPECT_EQ(closeNotifySent, row.outcome != Outcome::HandshakeFailed);
    EXPECT_EQ(fatalTypes(recorder.alertsReceived), row.fatalAlertsReceived);
    EXPECT_TRUE(recorder.interruptedOnError.empty());
    const bool verifyErrorsExpected = row.outcome == Outcome::NoPeerCertificate
            || row.ignoreErrorsInPeerVerifyError;
    if (verifyErrorsExpected) {
        EXPECT_EQ(recorder.peerVerifyErrors,
                  std::vector<QSslError::SslError>{QSslError::NoPeerCertificate});
        EXPECT_EQ(recorder.sslErrors, std::vector<QList<QSslError::SslError>>{
                                              QList<QSslError::SslError>{QSslError::NoPeerCertificate}});
    } else {
        EXPECT_TRUE(recorder.peerVerifyErrors.empty());
        EXPECT_TRUE(recorder.sslErrors.empty());
    }

    switch (row.outcome) {
    case Outcome::Encrypted:
        EXPECT_EQ(recorder.encrypted, 1);
        EXPECT_TRUE(recorder.errors.empty()) << recorder.errorStrings.front().toStdString();
        EXPECT_EQ(observed.sessionProtocol, QSsl::TlsV1_2);
        EXPECT_EQ(observed.sessionCipher, row.clientCipher);
        EXPECT_EQ(recorder.received, helloReversed);
        if (style == Style::WaitFor) {
            EXPECT_TRUE(observed.waitForEncryptedResult);
        }
        break;
    case Outcome::HandshakeFailed:
    case Outcome::NoPeerCertificate:
        EXPECT_EQ(recorder.encrypted, 0);
        EXPECT_FALSE(observed.waitForEncryptedResult);
        ASSERT_EQ(recorder.errors,
                  std::vector<QAbstractSocket::SocketError>{QAbstractSocket::SslHandshakeFailedError});
        if (row.outcome == Outcome::NoPeerCertificate) {
            EXPECT_EQ(recorder.errorStrings.front(),
                      QStringLiteral("The peer did not present any certificate"));
        } else {
            EXPECT_TRUE(recorder.errorStrings.front().startsWith(handshakePrefix))
                    << recorder.errorStrings.front().toStdString();
            EXPECT_TRUE(recorder.errorStrings.front().contains(row.errorDetail))
                    << recorder.errorStrings.front().toStdString();
        }
        EXPECT_EQ(socket.error(), QAbstractSocket::SslHandshakeFailedError);
        EXPECT_TRUE(recorder.received.isEmpty());
        break;
    }

    // The order: the PSK request first, certificate checks next, then the outcome, data, the close.
    using E = Event;
    const std::vector<Event> order = only(recorder.events, {E::PreSharedKey, E::PeerVerifyError,
                                                            E::SslErrors, E::Encrypted,
                                                            E::ErrorOccurred, E::Disconnected});
    switch (row.outcome) {
    case Outcome::Encrypted:
        if (verifyErrorsExpected) {
            EXPECT_EQ(order, (std::vector<Event>{E::PreSharedKey, E::PeerVerifyError, E::SslErrors,
                                                 E::Encrypted, E::Disconnected}));
        } else {
            EXPECT_EQ(order, (std::vector<Event>{E::PreSharedKey, E::Encrypted, E::Disconnected}));
        }
        EXPECT_GT(recorder.readyRead, 0);
        break;
    case Outcome::HandshakeFailed:
        EXPECT_EQ(order, (std::vector<Event>{E::PreSharedKey, E::ErrorOccurred, E::Disconnected}));
        EXPECT_EQ(recorder.readyRead, 0);
        break;
    case Outcome::NoPeerCertificate:
        EXPECT_EQ(order, (std::vector<Event>{E::PreSharedKey, E::PeerVerifyError, E::SslErrors,
                                             E::ErrorOccurred, E::Disconnected}));
        EXPECT_EQ(recorder.readyRead, 0);
        break;
    }

    // The end: closed, disconnected exactly once, nothing left to deliver.
    EXPECT_EQ(socket.state(), QAbstractSocket::UnconnectedState);
    EXPECT_FALSE(socket.isEncrypted());
    EXPECT_EQ(disconnectedBeforeDrain, 1);
    EXPECT_EQ(recorder.disconnected, 1);
}

INSTANTIATE_TEST_SUITE_P(Rows, PskClientMatrix,
                         ::testing::Combine(::testing::ValuesIn(clientRows()),
                                            ::testing::Values(Style::Signals, Style::WaitFor)),
                         [](const ::testing::TestParamInfo<PskClientMatrix::ParamType> &p) {
                             return std::get<0>(p.param).name + "_"
                                     + styleName(std::get<1>(p.param));
                         });

// --- The documented usage (QSslPreSharedKeyAuthenticator's class documentation) ------------------

namespace {

QByteArray deriveKey(const QByteArray &identityHint, const QByteArray &passphrase)
{
    return QCryptographicHash::hash(identityHint + passphrase, QCryptographicHash::Sha256);
}

const QByteArray passphrase = QByteArrayLiteral("correct horse battery staple");

} // namespace

class AuthManager : public QObject
{
    Q_OBJECT
public:
    explicit AuthManager(QSslSocket *socket)
    {
        connect(socket, &QSslSocket::preSharedKeyAuthenticationRequired,
                this, &AuthManager::handlePreSharedKeyAuthentication);
    }
    int calls = 0;

public Q_SLOTS:
    void handlePreSharedKeyAuthentication(QSslPreSharedKeyAuthenticator *authenticator)
    {
        ++calls;
        authenticator->setIdentity("My Qt App");
        authenticator->setPreSharedKey(deriveKey(authenticator->identityHint(), passphrase));
    }
};

namespace {

class PskClientDocumentedUsage : public ::testing::TestWithParam<Style>
{
};

} // namespace

TEST_P(PskClientDocumentedUsage, AuthManagerSlotDerivesTheKeyFromTheHint)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    ServerSetup setup;
    setup.identity = QByteArrayLiteral("My Qt App");
    setup.keyHex = deriveKey(hint(), passphrase).toHex();
    PeerProcess peer;
    const quint16 port = startPskServer(peer, setup);
    ASSERT_NE(port, 0) << peer.output().constData();

    QSslSocket socket;
    SocketRecorder recorder;
    recorder.attach(&socket);
    socket.setSslConfiguration(pskConfiguration(QStringLiteral("PSK-AES256-CBC-SHA"),
                                                QSslSocket::VerifyNone));
    AuthManager manager(&socket);

    Observed observed;
    runClient(socket, recorder, port, GetParam(), observed);

    EXPECT_EQ(manager.calls, 1);
    EXPECT_EQ(recorder.encrypted, 1);
    EXPECT_TRUE(recorder.errors.empty());
    EXPECT_EQ(observed.sessionCipher, QStringLiteral("PSK-AES256-CBC-SHA"));
    EXPECT_EQ(recorder.received, helloReversed);
    EXPECT_EQ(socket.state(), QAbstractSocket::UnconnectedState);
    EXPECT_EQ(recorder.disconnected, 1);
}

INSTANTIATE_TEST_SUITE_P(Styles, PskClientDocumentedUsage,
                         ::testing::Values(Style::Signals, Style::WaitFor),
                         [](const ::testing::TestParamInfo<Style> &p) {
                             return styleName(p.param);
                         });

// --- Re-entrancy: slots that abort or delete the socket while it emits ------------------------------

namespace {

enum class Action { Abort, DeleteLater };
enum class Emission { PreSharedKey, ErrorOccurred, Encrypted, ReadyRead };

struct ReentryRow
{
    Action action;
    Emission emission;
};

std::string reentryName(const ReentryRow &row)
{
    const char *emission = "";
    switch (row.emission) {
    case Emission::PreSharedKey: emission = "PreSharedKeyAuthenticationRequired"; break;
    case Emission::ErrorOccurred: emission = "ErrorOccurred"; break;
    case Emission::Encrypted: emission = "Encrypted"; break;
    case Emission::ReadyRead: emission = "ReadyRead"; break;
    }
    return std::string(row.action == Action::Abort ? "AbortIn" : "DeleteLaterIn") + emission;
}

class PskClientReentrancy : public ::testing::TestWithParam<std::tuple<ReentryRow, Style>>
{
};

} // namespace

TEST_P(PskClientReentrancy, SlotThatEndsTheSocketIsSafe)
{
    const ReentryRow row = std::get<0>(GetParam());
    const Style style = std::get<1>(GetParam());
#ifdef QTPSK_PARITY_AGAINST_QTNETWORK
    // Spec Appendix B: real Qt 6.4.2 crashes (heap-use-after-free inside libssl) when the slot
    // connected to preSharedKeyAuthenticationRequired aborts the socket. That Qt defect is not a
    // behaviour to match, so this row runs against QtPsk only. (Re-checked here: without this skip
    // the Qt build's test process dies inside the handshake, in both styles.)
    if (row.action == Action::Abort && row.emission == Emission::PreSharedKey)
        GTEST_SKIP() << "Qt 6.4.2 crashes when the PSK slot aborts the socket (spec Appendix B)";
#endif
    QTPSK_REQUIRE_PROGRAM("openssl");
    PeerProcess peer;
    const quint16 port = startPskServer(peer, ServerSetup{});
    ASSERT_NE(port, 0) << peer.output().constData();

    QPointer<QSslSocket> socket = new QSslSocket;
    SocketRecorder recorder;
    recorder.attach(socket);
    socket->setSslConfiguration(pskConfiguration(QStringLiteral("PSK-AES256-CBC-SHA"),
                                                 QSslSocket::VerifyNone));
    int destroyed = 0;
    QObject::connect(socket, &QObject::destroyed, [&destroyed] { ++destroyed; });
    const auto cleanup = qScopeGuard([&socket] { delete socket.data(); }); // also on ASSERT

    int actions = 0;
    auto act = [&] {
        ++actions;
        if (row.action == Action::Abort)
            socket->abort();
        else
            socket->deleteLater();
    };
    // The ErrorOccurred row needs a failing handshake: its slot gives no key.
    const bool giveKey = row.emission != Emission::ErrorOccurred;
    QObject::connect(socket, &QSslSocket::preSharedKeyAuthenticationRequired, socket,
                     [&](QSslPreSharedKeyAuthenticator *authenticator) {
                         if (giveKey) {
                             authenticator->setIdentity(identity());
                             authenticator->setPreSharedKey(key());
                         }
                         if (row.emission == Emission::PreSharedKey)
                             act();
                     });
    switch (row.emission) {
    case Emission::PreSharedKey:
        break;
    case Emission::ErrorOccurred:
        QObject::connect(socket, &QAbstractSocket::errorOccurred, socket, act);
        break;
    case Emission::Encrypted:
        QObject::connect(socket, &QSslSocket::encrypted, socket, act);
        break;
    case Emission::ReadyRead:
        QObject::connect(socket, &QSslSocket::encrypted, socket,
                         [&socket] { socket->write(helloLine); });
        QObject::connect(socket, &QIODevice::readyRead, socket, act);
        break;
    }

    const auto finished = [&] {
        return !socket || socket->state() == QAbstractSocket::UnconnectedState;
    };
    if (style == Style::Signals) {
        socket->connectToHostEncrypted(loopback(), port);
        EXPECT_TRUE(waitUntil(finished, timeoutMs));
    } else {
        socket->connectToHostEncrypted(loopback(), port);
        // Blocking calls: they return once the socket is closed; deleteLater() waits for the loop.
        const bool encrypted = socket->waitForEncrypted(timeoutMs);
        if (encrypted && row.emission == Emission::ReadyRead && socket
            && socket->state() == QAbstractSocket::ConnectedState) {
            EXPECT_TRUE(socket->waitForBytesWritten(timeoutMs));
            EXPECT_TRUE(socket->waitForReadyRead(timeoutMs));
        }
        if (row.action == Action::Abort && socket
            && socket->state() != QAbstractSocket::UnconnectedState) {
            EXPECT_TRUE(socket->waitForDisconnected(timeoutMs));
        }
    }
    if (row.action == Action::DeleteLater) {
        EXPECT_TRUE(waitUntil([&] { return socket.isNull(); }, timeoutMs));
    }
    drainPostedEvents();

    EXPECT_EQ(actions, 1);
    EXPECT_EQ(recorder.pskCalls.size(), 1u);
    // A deleteLater() in the PSK slot lets the handshake finish when nothing runs the event loop
    // before it completes (waitForEncrypted()); with the event loop the socket is gone first.
    const int expectedEncrypted = row.emission == Emission::Encrypted
                    || row.emission == Emission::ReadyRead
                    || (row.emission == Emission::PreSharedKey && row.action == Action::DeleteLater
                        && style == Style::WaitFor)
            ? 1 : 0;
    EXPECT_EQ(recorder.encrypted, expectedEncrypted);
    if (row.emission == Emission::ErrorOccurred) {
        EXPECT_EQ(recorder.errors,
                  std::vector<QAbstractSocket::SocketError>{QAbstractSocket::SslHandshakeFailedError});
    } else {
        EXPECT_TRUE(recorder.errors.empty());
    }
    // abort() ends the connection at once and silently: no error, disconnected() once. For the
    // abort in the PSK slot this is QtPsk's own contract (Qt 6.4.2 crashes there, see above); the
    // other rows are measured on Qt.
    if (row.action == Action::Abort) {
        ASSERT_FALSE(socket.isNull());
        EXPECT_EQ(socket->state(), QAbstractSocket::UnconnectedState);
        EXPECT_EQ(recorder.disconnected, 1);
        delete socket.data();
    }
    EXPECT_EQ(destroyed, 1);
}

INSTANTIATE_TEST_SUITE_P(
        Rows, PskClientReentrancy,
        ::testing::Combine(::testing::Values(ReentryRow{Action::Abort, Emission::PreSharedKey},
                                             ReentryRow{Action::DeleteLater, Emission::PreSharedKey},
                                             ReentryRow{Action::Abort, Emission::ErrorOccurred},
                                             ReentryRow{Action::DeleteLater, Emission::ErrorOccurred},
                                             ReentryRow{Action::Abort, Emission::Encrypted},
                                             ReentryRow{Action::DeleteLater, Emission::Encrypted},
                                             ReentryRow{Action::Abort, Emission::ReadyRead},
                                             ReentryRow{Action::DeleteLater, Emission::ReadyRead}),
                           ::testing::Values(Style::Signals, Style::WaitFor)),
        [](const ::testing::TestParamInfo<PskClientReentrancy::ParamType> &p) {
            return reentryName(std::get<0>(p.param)) + "_" + styleName(std::get<1>(p.param));
        });

#include "psk_client_matrix_test.moc"
