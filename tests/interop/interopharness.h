// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Drives QtPsk (public API only, as an application would) against a real peer: a QSslSocket
// client against a PeerServer, or a QSslServer against a client peer. Records what QtPsk
// reported (emissions, errors, alerts, data) for the tests to assert and the matrix to print.
#ifndef QTPSK_INTEROPHARNESS_H
#define QTPSK_INTEROPHARNESS_H

#include <QAbstractSocket>
#include <QSsl>
#include <QSslCipher>
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslServer>
#include <QSslSocket>

#include <QtCore/qbytearray.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qpointer.h>
#include <QtCore/qstring.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/distinctbytes.h"
#include "interoppeers.h"
#include "interopresults.h"

#if defined(QTPSK_NAMESPACE)
QTPSK_USE_NAMESPACE
#endif

namespace QtPskInterop {

// Issue 5 (QtPsk offers a TLS 1.3 external PSK by default when the PSK slot is connected) adds
// QSslConfiguration::tls13PreSharedKeyMode(). Detected here without naming it, so that this suite
// builds before and after: the default-protocol rows expect Qt's behaviour before, QtPsk's after.
template <typename Configuration, typename = void>
struct HasTls13PreSharedKeyMode : std::false_type
{
};
template <typename Configuration>
struct HasTls13PreSharedKeyMode<
        Configuration, std::void_t<decltype(std::declval<const Configuration &>().tls13PreSharedKeyMode())>>
    : std::true_type
{
};
constexpr bool tls13PskByDefault = HasTls13PreSharedKeyMode<QSslConfiguration>::value;

// Failures must be prompt: far below the 10 s a hang would take (generous for sanitizer builds).
constexpr int promptFailureMs = 3000;
constexpr int waitMs = 10000;

struct Alert
{
    QSsl::AlertLevel level;
    QSsl::AlertType type;
    bool operator==(const Alert &other) const { return level == other.level && type == other.type; }
};

inline Alert fatal(QSsl::AlertType type)
{
    return {QSsl::AlertLevel::Fatal, type};
}

inline std::vector<Alert> fatalOnly(const std::vector<Alert> &alerts)
{
    std::vector<Alert> result;
    for (const Alert &a : alerts) {
        if (a.level == QSsl::AlertLevel::Fatal)
            result.push_back(a);
    }
    return result;
}

inline QString alertName(QSsl::AlertType type)
{
    switch (int(type)) {
    case 0: return QStringLiteral("0 close_notify");
    case 10: return QStringLiteral("10 unexpected_message");
    case 20: return QStringLiteral("20 bad_record_mac");
    case 40: return QStringLiteral("40 handshake_failure");
    case 47: return QStringLiteral("47 illegal_parameter");
    case 50: return QStringLiteral("50 decode_error");
    case 51: return QStringLiteral("51 decrypt_error");
    case 70: return QStringLiteral("70 protocol_version");
    case 80: return QStringLiteral("80 internal_error");
    case 109: return QStringLiteral("109 missing_extension");
    case 115: return QStringLiteral("115 unknown_psk_identity");
    default: return QString::number(int(type));
    }
}

inline void PrintTo(const Alert &alert, std::ostream *os)
{
    *os << (alert.level == QSsl::AlertLevel::Fatal ? "fatal " : "warning ")
        << alertName(alert.type).toStdString();
}

inline QString errorName(QAbstractSocket::SocketError error)
{
    return QString::fromLatin1(QMetaEnum::fromType<QAbstractSocket::SocketError>().valueToKey(error));
}

inline QString protocolLabel(QSsl::SslProtocol protocol)
{
    switch (protocol) {
    case QSsl::TlsV1_2: return QStringLiteral("TLS 1.2");
    case QSsl::TlsV1_3: return QStringLiteral("TLS 1.3");
    default: return QStringLiteral("default");
    }
}

// Sets or clears QT_USE_TLS_1_3_PSK for one scope and restores the previous state.
class Tls13PskVariable
{
public:
    explicit Tls13PskVariable(bool set)
        : m_wasSet(qEnvironmentVariableIsSet("QT_USE_TLS_1_3_PSK")),
          m_old(qgetenv("QT_USE_TLS_1_3_PSK"))
    {
        if (set)
            qputenv("QT_USE_TLS_1_3_PSK", "1");
        else
            qunsetenv("QT_USE_TLS_1_3_PSK");
    }
    ~Tls13PskVariable()
    {
        if (m_wasSet)
            qputenv("QT_USE_TLS_1_3_PSK", m_old);
        else
            qunsetenv("QT_USE_TLS_1_3_PSK");
    }
    Tls13PskVariable(const Tls13PskVariable &) = delete;
    Tls13PskVariable &operator=(const Tls13PskVariable &) = delete;

private:
    bool m_wasSet;
    QByteArray m_old;
};

// A payload big enough to span several TLS records, ending in a newline.
inline QByteArray echoPayload()
{
    QByteArray data;
    for (int i = 0; data.size() < 20000; ++i)
        data += "interop line " + QByteArray::number(i) + " abcdefghijklmnopqrstuvwxyz\n";
    return data;
}

// ---- QtPsk as the client ----------------------------------------------------------------------

struct ClientSetup
{
    QSsl::SslProtocol protocol = QSsl::TlsV1_2;
    QString ciphers; // empty: the library's default list
    QByteArray identity = defaultIdentity();
    QByteArray key = QByteArray::fromHex(defaultKeyHex());
    bool tls13PskVariable = false; // QT_USE_TLS_1_3_PSK=1 (until issue 5 lands)
    QByteArray probe = echoPayload(); // sent once encrypted; empty: send nothing
    QByteArray expectedReply = echoPayload();
};

// What QtPsk's side of a run saw, as client or server.
struct RunOutcome
{
    int emissions = 0;
    int encrypted = 0;
    std::vector<QAbstractSocket::SocketError> errors;
    QString errorString;
    std::vector<Alert> alertsReceived;
    std::vector<Alert> alertsSent;
    qint64 msToError = -1;
    QString cipher;

    // The emissions, errors and alerts, for a failure message.
    QString describeOutcome() const
    {
        QString text = QStringLiteral("emissions=%1 encrypted=%2 errors=").arg(emissions).arg(encrypted);
        for (auto e : errors)
            text += errorName(e) + QLatin1Char(' ');
        text += QStringLiteral("('%1') after %2 ms; received=").arg(errorString).arg(msToError);
        for (const Alert &a : alertsReceived)
            text += QStringLiteral("%1/%2 ").arg(int(a.level)).arg(int(a.type));
        text += QStringLiteral("sent=");
        for (const Alert &a : alertsSent)
            text += QStringLiteral("%1/%2 ").arg(int(a.level)).arg(int(a.type));
        return text;
    }
};

struct ClientRun : RunOutcome
{
    std::vector<QByteArray> hints; // deep copies, one per emission
    std::vector<bool> hintIsNull;
    QByteArray reply;
    QSsl::SslProtocol sessionProtocol = QSsl::UnknownProtocol;

    std::string describe() const
    {
        QString text = describeOutcome();
        text += QStringLiteral("reply=%1 bytes cipher=%2").arg(reply.size()).arg(cipher);
        return text.toStdString();
    }
};

// Connects a QSslSocket to host:port with \a setup, exchanges the probe, and disconnects.
inline ClientRun runClient(const QString &host, quint16 port, const ClientSetup &setup)
{
    Tls13PskVariable variable(setup.tls13PskVariable);
    ClientRun run;
    auto socket = std::make_unique<QSslSocket>();
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setProtocol(setup.protocol);
    if (!setup.ciphers.isEmpty())
        configuration.setCiphers(setup.ciphers);
    socket->setSslConfiguration(configuration);

    QElapsedTimer clock;
    QSslSocket *s = socket.get();
    QObject::connect(s, &QSslSocket::preSharedKeyAuthenticationRequired, s,
                     [&](QSslPreSharedKeyAuthenticator *authenticator) {
                         ++run.emissions;
                         const QByteArray hint = authenticator->identityHint();
                         run.hints.push_back(QByteArray(hint.constData(), hint.size()));
                         run.hintIsNull.push_back(hint.isNull());
                         authenticator->setIdentity(setup.identity);
                         authenticator->setPreSharedKey(setup.key);
                     });
    QObject::connect(s, &QSslSocket::encrypted, s, [&] {
        ++run.encrypted;
        run.cipher = s->sessionCipher().name();
        run.sessionProtocol = s->sessionProtocol();
        if (!setup.probe.isEmpty())
            s->write(setup.probe);
    });
    QObject::connect(s, &QIODevice::readyRead, s, [&] { run.reply += s->readAll(); });
    QObject::connect(s, &QAbstractSocket::errorOccurred, s, [&](QAbstractSocket::SocketError e) {
        if (run.errors.empty())
            run.msToError = clock.elapsed();
        run.errors.push_back(e);
        run.errorString = s->errorString();
    });
    QObject::connect(s, &QSslSocket::alertReceived, s,
                     [&](QSsl::AlertLevel l, QSsl::AlertType t, const QString &) {
                         run.alertsReceived.push_back({l, t});
                     });
    QObject::connect(s, &QSslSocket::alertSent, s,
                     [&](QSsl::AlertLevel l, QSsl::AlertType t, const QString &) {
                         run.alertsSent.push_back({l, t});
                     });

    clock.start();
    s->connectToHostEncrypted(host, port);
    QtPskTest::waitUntil([&] { return run.encrypted > 0 || !run.errors.empty(); }, waitMs);
    if (run.encrypted > 0 && !setup.expectedReply.isEmpty()) {
        QtPskTest::waitUntil([&] {
            return run.reply.size() >= setup.expectedReply.size() || !run.errors.empty();
        }, waitMs);
    }
    if (s->state() != QAbstractSocket::UnconnectedState) {
        s->disconnectFromHost();
        QtPskTest::waitUntil([&] { return s->state() == QAbstractSocket::UnconnectedState; }, waitMs);
    }
    if (!run.errors.empty() && run.msToError < 0)
        run.msToError = clock.elapsed();
    return run;
}

// ---- QtPsk as the server ----------------------------------------------------------------------

struct ServerSetup
{
    QSsl::SslProtocol protocol = QSsl::TlsV1_2;
    QString ciphers;
    QByteArray hint;      // empty: none
    QByteArray identity = defaultIdentity(); // the only identity the server knows
    QByteArray key = QByteArray::fromHex(defaultKeyHex());
    bool tls13PskVariable = false;
};

struct ServerRun : RunOutcome
{
    std::vector<QByteArray> identities;
    QByteArray clientOutput;
    bool clientReceivedEcho = false;

    std::string describe() const
    {
        QString text = describeOutcome();
        text += QStringLiteral("cipher=%1 echo=%2 client output:\n%3")
                        .arg(cipher).arg(clientReceivedEcho)
                        .arg(QString::fromLocal8Bit(clientOutput.right(1500)));
        return text.toStdString();
    }
};

// Listens with a QSslServer on \a host, runs the client peer against it, sends a line through
// the client and waits for the server's echo of it in the client's output (or for a failure).
inline ServerRun runServer(const QString &host, ClientKind client, const ClientOptions &clientOptions,
                           const ServerSetup &setup, bool expectSuccess)
{
    Tls13PskVariable variable(setup.tls13PskVariable);
    ServerRun run;
    QSslServer server;
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setProtocol(setup.protocol);
    if (!setup.ciphers.isEmpty())
        configuration.setCiphers(setup.ciphers);
    if (!setup.hint.isEmpty())
        configuration.setPreSharedKeyIdentityHint(setup.hint);
    server.setSslConfiguration(configuration);

    QElapsedTimer clock;
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [&](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         ++run.emissions;
                         const QByteArray identity = authenticator->identity();
                         run.identities.push_back(QByteArray(identity.constData(), identity.size()));
                         if (identity == setup.identity)
                             authenticator->setPreSharedKey(setup.key);
                     });
    QObject::connect(&server, &QSslServer::errorOccurred, &server,
                     [&](QSslSocket *socket, QAbstractSocket::SocketError e) {
                         if (run.errors.empty())
                             run.msToError = clock.elapsed();
                         run.errors.push_back(e);
                         run.errorString = socket->errorString();
                     });
    QObject::connect(&server, &QSslServer::alertReceived, &server,
                     [&](QSslSocket *, QSsl::AlertLevel l, QSsl::AlertType t, const QString &) {
                         run.alertsReceived.push_back({l, t});
                     });
    QObject::connect(&server, &QSslServer::alertSent, &server,
                     [&](QSslSocket *, QSsl::AlertLevel l, QSsl::AlertType t, const QString &) {
                         run.alertsSent.push_back({l, t});
                     });
    std::vector<QPointer<QSslSocket>> accepted;
    QObject::connect(&server, &QSslServer::pendingConnectionAvailable, &server, [&] {
        while (QTcpSocket *next = server.nextPendingConnection()) {
            auto *socket = qobject_cast<QSslSocket *>(next);
            if (!socket)
                continue;
            ++run.encrypted;
            run.cipher = socket->sessionCipher().name();
            accepted.emplace_back(socket);
            QObject::connect(socket, &QIODevice::readyRead, socket,
                             [socket] { socket->write(socket->readAll()); });
            if (socket->bytesAvailable() > 0)
                socket->write(socket->readAll());
        }
    });

    const QHostAddress address(host);
    if (!server.listen(address, 0)) {
        ADD_FAILURE() << "QSslServer cannot listen on " << host.toStdString();
        return run;
    }
    QtPskTest::PeerProcess peer;
    clock.start();
    if (!startClient(peer, client, host, server.serverPort(), clientOptions)) {
        ADD_FAILURE() << "cannot start " << clientName(client).toStdString();
        return run;
    }
    const QByteArray line = QByteArrayLiteral("interop-echo-line-") + QByteArray::number(server.serverPort());
    if (expectSuccess) {
        QtPskTest::waitUntil([&] { return run.encrypted > 0 || !run.errors.empty(); }, waitMs);
        if (run.encrypted > 0) {
            peer.writeToStdin(line + '\n');
            run.clientReceivedEcho = QtPskTest::waitUntil(
                    [&] { return peer.output().contains(line) || !peer.isRunning(); }, waitMs)
                    && peer.output().contains(line);
        }
    } else {
        // The client peer reports the failure and exits; QtPsk's side must have failed by then.
        QtPskTest::waitUntil([&] { return !run.errors.empty() && !peer.isRunning(); }, waitMs);
    }
    peer.stop();
    run.clientOutput = peer.output();
    for (const QPointer<QSslSocket> &socket : accepted) {
        if (socket)
            socket->abort();
    }
    server.close();
    return run;
}

// ---- One matrix row, QtPsk as the client ------------------------------------------------------

// What every matrix row has: its names and the outcome it expects of QtPsk's side.
struct RowBase
{
    std::string name;     // the GoogleTest parameter name
    QString scenario;     // the matrix's scenario column
    QString cipherLabel;  // what the row offers (the negotiated suite replaces it on success)
    bool success = true;
    QAbstractSocket::SocketError error = QAbstractSocket::SslHandshakeFailedError;
    std::vector<Alert> fatalReceived;
    std::vector<Alert> fatalSent;
    int emissions = 1;
    QString changesWithIssue5;  // non-empty: this row's expectation changes when issue 5 lands
};

struct ClientRow : RowBase
{
    ServerOptions server;
    ClientSetup client;
    // Expected besides RowBase's:
    bool checkHint = true;
    QByteArray hint;            // the hint the slot must see (null when empty)
};

inline void PrintTo(const ClientRow &row, std::ostream *os)
{
    *os << row.name;
}

inline QString addressLabel(const QString &host)
{
    return host.contains(QLatin1Char(':')) ? QStringLiteral("IPv6") : QStringLiteral("IPv4");
}

// A default-protocol row (SecureProtocols, no QT_USE_TLS_1_3_PSK) against a peer that offers TLS 1.2
// and 1.3 and has no certificate. Before issue 5 (as in Qt): no TLS 1.3 PSK is offered, the peer
// picks TLS 1.3 and fails with handshake_failure before any emission. After: TLS 1.3 PSK, one
// emission with a null hint.
inline ClientRow &expectDefaultProtocolAgainstTls12And13(ClientRow &row)
{
    row.client.protocol = QSsl::SecureProtocols;
    row.client.tls13PskVariable = false;
    row.server.version = TlsVersion::Any;
    row.cipherLabel = QStringLiteral("default");
    row.hint.clear();
    if (tls13PskByDefault) {
        row.success = true;
        row.emissions = 1;
        row.fatalReceived.clear();
        row.changesWithIssue5 = QStringLiteral("yes: before issue 5 it failed (40, 0 emissions)");
    } else {
        row.success = false;
        row.emissions = 0;
        row.fatalReceived = {fatal(QSsl::AlertType::HandshakeFailure)};
        row.changesWithIssue5 = QStringLiteral("yes: succeeds in TLS 1.3 (1 emission) after issue 5");
    }
    return row;
}

// ---- The cases every peer's client matrix has: each takes the peer's own row for the case and
// sets what the case changes.

// The key every wrong-key row offers.
inline QByteArray wrongKeyHex()
{
    return QByteArrayLiteral("ffeeddccbbaa99887766554433221100");
}

// \a size printable bytes (letters and digits, fit for a peer's command line and PSK file), each
// differing from its neighbours: a cut one byte early or late, or from the wrong end, shows.
inline QByteArray printableDistinctBytes(qsizetype size)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    QByteArray bytes(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        bytes[i] = alphabet[i % (sizeof alphabet - 1)];
    return bytes;
}

// The handshake fails with the fatal alert \a received from the peer.
inline ClientRow failed(ClientRow row, QSsl::AlertType received)
{
    row.success = false;
    row.fatalReceived = {fatal(received)};
    return row;
}

// The peer listens on ::1.
inline ClientRow onIpv6(ClientRow row)
{
    row.server.host = QStringLiteral("::1");
    return row;
}

// The peer sends no identity hint.
inline ClientRow withoutHint(ClientRow row)
{
    row.server.hint.clear();
    row.hint.clear();
    return row;
}

// QtPsk offers a wrong key; the peer fails the handshake with \a alert.
inline ClientRow withWrongKey(ClientRow row, QSsl::AlertType alert)
{
    row = failed(std::move(row), alert);
    row.client.key = QByteArray::fromHex(wrongKeyHex());
    return row;
}

// QtPsk offers an identity the peer does not know; the peer fails the handshake with \a alert.
inline ClientRow withUnknownIdentity(ClientRow row, QSsl::AlertType alert)
{
    row = failed(std::move(row), alert);
    row.client.identity = QByteArrayLiteral("nobody");
    return row;
}

// QtPsk's slot sets a 300-byte identity; the peer knows its first 255 bytes, all QtPsk sends.
inline ClientRow withOverlongIdentity(ClientRow row)
{
    row.client.identity = printableDistinctBytes(300);
    row.server.identity = row.client.identity.left(255);
    return row;
}

// QtPsk's slot sets a 600-byte key; the peer holds its first 512 bytes, all QtPsk uses.
inline ClientRow withOverlongKey(ClientRow row)
{
    row.client.key = QtPskTest::distinctBytes(600);
    row.server.keyHex = row.client.key.left(512).toHex();
    return row;
}

// What a peer file states for the client rows that every PSK server peer has.
struct PeerClientRows
{
    // The peer's row for a name and a scenario: TLS 1.2 (tls13 false) or TLS 1.3.
    std::function<ClientRow(const char *name, const char *scenario, bool tls13)> row;
    const char *tls12Success; // the names of the plain success rows ("Tls12Echo", ...)
    const char *tls12SuccessScenario;
    const char *tls13Success;
    const char *tls13SuccessScenario;
    QSsl::AlertType tls12UnknownIdentityAlert; // what the peer answers an unknown identity with
    QSsl::AlertType tls13UnknownIdentityAlert;
};

// Those rows, in this order: TLS 1.2 success, over IPv6 (<name>Ipv6), wrong key (bad_record_mac),
// unknown identity, over-long identity and key; TLS 1.3 success, over IPv6, wrong key
// (illegal_parameter), unknown identity; the default protocol against TLS 1.2+1.3. A peer's own
// rows go in with insertAfter().
inline std::vector<ClientRow> commonClientRows(const PeerClientRows &peer)
{
    const auto tls12 = [&peer](const char *name, const char *scenario) {
        return peer.row(name, scenario, false);
    };
    const auto tls13 = [&peer](const char *name, const char *scenario) {
        return peer.row(name, scenario, true);
    };
    const std::string tls12Ipv6 = std::string(peer.tls12Success) + "Ipv6";
    const std::string tls13Ipv6 = std::string(peer.tls13Success) + "Ipv6";
    std::vector<ClientRow> rows;
    rows.push_back(tls12(peer.tls12Success, peer.tls12SuccessScenario));
    rows.push_back(onIpv6(tls12(tls12Ipv6.c_str(), peer.tls12SuccessScenario)));
    rows.push_back(withWrongKey(tls12("Tls12WrongKey", "wrong key"), QSsl::AlertType::BadRecordMac));
    rows.push_back(withUnknownIdentity(tls12("Tls12UnknownIdentity", "unknown identity"),
                                       peer.tls12UnknownIdentityAlert));
    rows.push_back(withOverlongIdentity(
            tls12("Tls12OverlongIdentityTruncatedTo255", "over-long identity (300 B, sent as 255 B)")));
    rows.push_back(withOverlongKey(
            tls12("Tls12OverlongKeyTruncatedTo512", "over-long key (600 B, used as 512 B)")));
    rows.push_back(tls13(peer.tls13Success, peer.tls13SuccessScenario));
    rows.push_back(onIpv6(tls13(tls13Ipv6.c_str(), peer.tls13SuccessScenario)));
    rows.push_back(withWrongKey(tls13("Tls13WrongKey", "wrong key"), QSsl::AlertType::IllegalParameter));
    rows.push_back(withUnknownIdentity(tls13("Tls13UnknownIdentity", "unknown identity"),
                                       peer.tls13UnknownIdentityAlert));
    // Issue 5: see expectDefaultProtocolAgainstTls12And13().
    ClientRow defaultProtocol = tls12("DefaultProtocol", "default protocol, peer TLS 1.2+1.3");
    rows.push_back(expectDefaultProtocolAgainstTls12And13(defaultProtocol));
    return rows;
}

// Inserts \a row after the row named \a name (at the end if there is none).
inline void insertAfter(std::vector<ClientRow> &rows, const std::string &name, ClientRow row)
{
    auto at = std::find_if(rows.begin(), rows.end(), [&](const ClientRow &r) { return r.name == name; });
    rows.insert(at == rows.end() ? at : at + 1, std::move(row));
}

// The row named \a name.
inline ClientRow &rowNamed(std::vector<ClientRow> &rows, const std::string &name)
{
    auto at = std::find_if(rows.begin(), rows.end(), [&](const ClientRow &r) { return r.name == name; });
    return *at;
}

// The results table's alert column: the fatal alerts received, then those sent.
inline QString alertsLabel(const std::vector<Alert> &received, const std::vector<Alert> &sent)
{
    QStringList alerts;
    for (const Alert &a : fatalOnly(received))
        alerts << QStringLiteral("received ") + alertName(a.type);
    for (const Alert &a : fatalOnly(sent))
        alerts << QStringLiteral("sent ") + alertName(a.type);
    return alerts.join(QStringLiteral(", "));
}

// A failed row: never encrypted, exactly one errorOccurred(\a expected), soon after the start.
inline void expectPromptFailure(int encrypted, const std::vector<QAbstractSocket::SocketError> &errors,
                                qint64 msToError, QAbstractSocket::SocketError expected)
{
    EXPECT_EQ(encrypted, 0);
    ASSERT_EQ(errors.size(), 1u) << "exactly one errorOccurred";
    EXPECT_EQ(errors.front(), expected);
    EXPECT_GE(msToError, 0);
    EXPECT_LT(msToError, promptFailureMs) << "the failure must be prompt";
}

// Records the result of \a row's \a run: QtPsk as \a role against \a peer, over \a protocol (with
// QT_USE_TLS_1_3_PSK set when \a variable) on \a host. "ok" also needs \a delivered: the data
// came back.
inline void recordRow(const RowBase &row, const RunOutcome &run, const QString &peer, const QString &role,
                      QSsl::SslProtocol protocol, bool variable, const QString &host, bool delivered)
{
    ResultRow result;
    result.peer = peer;
    result.role = role;
    result.protocol = protocolLabel(protocol) + (variable ? QStringLiteral(" + QT_USE_TLS_1_3_PSK") : QString());
    result.cipher = run.encrypted ? run.cipher : row.cipherLabel;
    result.scenario = row.scenario;
    result.address = addressLabel(host);
    result.outcome = run.encrypted && run.errors.empty() && delivered ? QStringLiteral("ok")
            : run.errors.empty() ? QStringLiteral("no result") : errorName(run.errors.front());
    result.alert = alertsLabel(run.alertsReceived, run.alertsSent);
    result.emissions = QString::number(run.emissions);
    result.changesWithIssue5 = row.changesWithIssue5;
    recordResult(result);
}

// What every row expects of its run: the emissions, then success (and \a expectDelivered's checks
// of the data) or a prompt failure with the row's error, and the fatal alerts.
template <typename ExpectDelivered>
void expectRowOutcome(const RowBase &row, const RunOutcome &run, ExpectDelivered expectDelivered)
{
    EXPECT_EQ(run.emissions, row.emissions);
    if (row.success) {
        EXPECT_EQ(run.encrypted, 1);
        EXPECT_TRUE(run.errors.empty());
        expectDelivered();
    } else {
        expectPromptFailure(run.encrypted, run.errors, run.msToError, row.error);
    }
    EXPECT_EQ(fatalOnly(run.alertsReceived), row.fatalReceived);
    EXPECT_EQ(fatalOnly(run.alertsSent), row.fatalSent);
}

// Starts the peer, runs the QtPsk client, checks every expectation of \a row, records the row.
inline void runClientRow(PeerKind kind, const ClientRow &row)
{
    QString error;
    const std::unique_ptr<PeerServer> peer = PeerServer::start(kind, row.server, &error);
    ASSERT_TRUE(peer) << error.toStdString();
    const ClientRun run = runClient(peer->host(), peer->port(), row.client);
    SCOPED_TRACE(run.describe() + "\npeer log:\n" + peer->log().right(1500).toStdString());

    recordRow(row, run, peerName(kind), QStringLiteral("client"), row.client.protocol,
              row.client.tls13PskVariable, row.server.host, true);
    if (row.checkHint && row.emissions > 0 && !run.hints.empty()) {
        EXPECT_EQ(run.hints.back(), row.hint);
        EXPECT_EQ(bool(run.hintIsNull.back()), row.hint.isEmpty());
    }
    expectRowOutcome(row, run, [&] {
        EXPECT_TRUE(run.reply == row.client.expectedReply)
                << "the data did not come back intact: " << run.reply.size() << " of "
                << row.client.expectedReply.size() << " bytes";
    });
    EXPECT_TRUE(peer->isRunning()) << "the peer must survive the connection";
}

// ---- One matrix row, QtPsk as the server ------------------------------------------------------

struct ServerRow : RowBase
{
    QString host = QStringLiteral("127.0.0.1");
    ClientOptions client;
    ServerSetup server;
    // Expected besides RowBase's:
    QByteArray identitySeen = defaultIdentity(); // what the server slot must see
    QByteArray clientShowsHint; // non-empty: the client peer's output must show this hint
};

inline void PrintTo(const ServerRow &row, std::ostream *os)
{
    *os << row.name;
}

// The client peer connects to ::1.
inline ServerRow onIpv6(ServerRow row)
{
    row.host = QStringLiteral("::1");
    return row;
}

// The client peer and QtPsk's server speak TLS 1.3 (QT_USE_TLS_1_3_PSK set); a TLS 1.3 client
// shows no identity hint.
inline ServerRow onTls13(ServerRow row)
{
    row.client.version = TlsVersion::V1_3;
    row.server.protocol = QSsl::TlsV1_3;
    row.server.tls13PskVariable = true;
    row.clientShowsHint.clear();
    return row;
}

// The server sends no identity hint.
inline ServerRow withoutHint(ServerRow row)
{
    row.server.hint.clear();
    row.clientShowsHint.clear();
    return row;
}

// Both sides hold the same key of \a bytes distinct bytes.
inline ServerRow withKeyOfLength(ServerRow row, int bytes)
{
    row.server.key = QtPskTest::distinctBytes(bytes);
    row.client.keyHex = row.server.key.toHex();
    return row;
}

// The handshake fails with the fatal alert \a sent by QtPsk's server.
inline ServerRow failedSending(ServerRow row, QSsl::AlertType sent)
{
    row.success = false;
    row.fatalSent = {fatal(sent)};
    return row;
}

// The client peer offers a wrong key; QtPsk's server fails with \a alert.
inline ServerRow withWrongKey(ServerRow row, QSsl::AlertType alert)
{
    row = failedSending(std::move(row), alert);
    row.client.keyHex = wrongKeyHex();
    return row;
}

// The client peer offers an identity the slot does not know; QtPsk's server fails with \a alert.
inline ServerRow withUnknownIdentity(ServerRow row, QSsl::AlertType alert)
{
    row = failedSending(std::move(row), alert);
    row.client.identity = "nobody";
    row.identitySeen = "nobody";
    return row;
}

// The TLS 1.3 rows every client peer runs against QtPsk's server, each made by \a tls13 (a row
// in the peer's TLS 1.3 setup): success on 127.0.0.1 and on ::1, a wrong key, an unknown identity.
inline void appendServerTls13Rows(std::vector<ServerRow> &rows,
                                  ServerRow (*tls13)(const char *name, const char *scenario))
{
    rows.push_back(tls13("Tls13Echo", "success, data echoed"));
    rows.push_back(onIpv6(tls13("Tls13EchoIpv6", "success, data echoed")));
    rows.push_back(withWrongKey(tls13("Tls13WrongKey", "wrong key"), QSsl::AlertType::IllegalParameter));
    rows.push_back(withUnknownIdentity(tls13("Tls13UnknownIdentity", "unknown identity"),
                                       QSsl::AlertType::HandshakeFailure));
}

inline void runServerRow(ClientKind kind, const ServerRow &row)
{
    const ServerRun run = runServer(row.host, kind, row.client, row.server, row.success);
    SCOPED_TRACE(run.describe());

    recordRow(row, run, clientName(kind), QStringLiteral("server"), row.server.protocol,
              row.server.tls13PskVariable, row.host, run.clientReceivedEcho);
    if (row.emissions > 0 && !run.identities.empty()) {
        EXPECT_EQ(run.identities.back(), row.identitySeen);
    }
    expectRowOutcome(row, run, [&] {
        EXPECT_TRUE(run.clientReceivedEcho) << "the client peer did not get its line back";
        if (!row.clientShowsHint.isEmpty()) {
            EXPECT_TRUE(run.clientOutput.contains(row.clientShowsHint));
        }
    });
}

// A row named \a name for the scenario column \a scenario, offering \a cipherLabel.
template <typename Row>
Row namedRow(const char *name, const char *scenario, const QString &cipherLabel)
{
    Row row;
    row.name = name;
    row.scenario = QString::fromLatin1(scenario);
    row.cipherLabel = cipherLabel;
    return row;
}

} // namespace QtPskInterop

// One matrix: GoogleTest suite \a Suite of QtPskInterop::\a Row parameters, one test \a Test per
// row of \a rows (named Matrix/<Suite>.<Test>/<row name>), each QtPskInterop::\a runRow(kind, row)
// after \a require (a statement that skips, or fails in CI, without the peer).
#define QTPSK_INTEROP_MATRIX(Suite, Row, Test, runRow, kind, rows, require)                      \
    class Suite : public ::testing::TestWithParam<::QtPskInterop::Row>                          \
    {                                                                                           \
    };                                                                                          \
    TEST_P(Suite, Test)                                                                         \
    {                                                                                           \
        require;                                                                                \
        ::QtPskInterop::runRow(kind, GetParam());                                               \
    }                                                                                           \
    INSTANTIATE_TEST_SUITE_P(Matrix, Suite, ::testing::ValuesIn(rows),                          \
                             [](const ::testing::TestParamInfo<::QtPskInterop::Row> &r) {       \
                                 return r.param.name;                                           \
                             })

// One client matrix: tests QtPskClientReportsWhatThePeerDid, QtPsk the client against the peer
// server \a kind.
#define QTPSK_INTEROP_CLIENT_MATRIX(Suite, kind, rows, require)                                  \
    QTPSK_INTEROP_MATRIX(Suite, ClientRow, QtPskClientReportsWhatThePeerDid, runClientRow, kind,  \
                         rows, require)

// One server matrix: tests QtPskServerReportsWhatThePeerDid, QtPsk the server against the peer
// client \a kind.
#define QTPSK_INTEROP_SERVER_MATRIX(Suite, kind, rows, require)                                  \
    QTPSK_INTEROP_MATRIX(Suite, ServerRow, QtPskServerReportsWhatThePeerDid, runServerRow, kind,  \
                         rows, require)

#endif // QTPSK_INTEROPHARNESS_H
