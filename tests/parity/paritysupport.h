// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Shared pieces of the parity tests. These tests are ordinary Qt 6 application code: they use only
// QtNetwork's public API (through <QSslSocket> etc.), so the very same sources build against the
// real Qt6::Network (QTPSK_PARITY_AGAINST_QTNETWORK, the ground truth) and against QtPsk.
#ifndef QTPSK_PARITYSUPPORT_H
#define QTPSK_PARITYSUPPORT_H

#include <QAbstractSocket>
#include <QHostAddress>
#include <QSsl>
#include <QSslCipher>
#include <QSslConfiguration>
#include <QSslError>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslSocket>

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>
#include <QtCore/qobject.h>
#include <QtCore/qpointer.h>
#include <QtCore/qstring.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

#include "../common/pskconfiguration.h"

#if !defined(QTPSK_PARITY_AGAINST_QTNETWORK) && defined(QTPSK_NAMESPACE)
QTPSK_USE_NAMESPACE
#endif

namespace Parity {

// The constants of Qt's own PSK autotests (tst_qsslsocket).
inline QByteArray keyHex() { return QByteArrayLiteral("1a2b3c4d5e6f"); }
inline QByteArray key() { return QByteArray::fromHex(keyHex()); }
inline QByteArray hint() { return QByteArrayLiteral("QtTestServerHint"); }
inline QByteArray identity() { return QByteArrayLiteral("Client_identity"); }
inline QString loopback() { return QStringLiteral("127.0.0.1"); }
constexpr int timeoutMs = 10000;
// The echo exchange and the cipher of the PSK matrix tests, and what a handshake error starts with.
inline const QByteArray ping = QByteArrayLiteral("ping\n");
inline const QByteArray pong = QByteArrayLiteral("pong\n");
inline const QString pskCipher = QStringLiteral("PSK-AES256-CBC-SHA");
inline const QString handshakePrefix = QStringLiteral("Error during SSL handshake: ");

// What one emission of preSharedKeyAuthenticationRequired showed to the slot.
struct PskCall
{
    QByteArray identityHint;
    bool hintIsNull = true;
    QByteArray identity; // the client identity (meaningful on the server side)
    bool identityIsNull = true;
    int maximumIdentityLength = -1;
    int maximumPreSharedKeyLength = -1;
};

// Deep-copies \a bytes. Qt's client-side identityHint() is a raw-data view into OpenSSL's session
// memory (spec §2.2): a plain QByteArray copy would still point there after the emission.
inline QByteArray deepCopy(const QByteArray &bytes)
{
    return bytes.isNull() ? QByteArray() : QByteArray(bytes.constData(), bytes.size());
}

// Takes a copy of what the slot sees; only valid during the emission.
inline PskCall snapshot(const QSslPreSharedKeyAuthenticator *authenticator)
{
    PskCall call;
    call.identityHint = deepCopy(authenticator->identityHint());
    call.hintIsNull = authenticator->identityHint().isNull();
    call.identity = deepCopy(authenticator->identity());
    call.identityIsNull = authenticator->identity().isNull();
    call.maximumIdentityLength = authenticator->maximumIdentityLength();
    call.maximumPreSharedKeyLength = authenticator->maximumPreSharedKeyLength();
    return call;
}

struct Alert
{
    QSsl::AlertLevel level;
    QSsl::AlertType type;
};

// Records every signal a QSslSocket emits, in order, with plain lambdas (no QtTest needed).
// The connections use the socket as context, so they go away with the socket.
// The signals whose relative order the tests check.
enum class Event { PreSharedKey, PeerVerifyError, SslErrors, Encrypted, ErrorOccurred, ReadyRead, Disconnected };

struct SocketRecorder
{
    std::vector<Event> events; // in emission order
    std::vector<QAbstractSocket::SocketState> states;
    std::vector<QSslSocket::SslMode> modes;
    std::vector<PskCall> pskCalls;
    std::vector<QAbstractSocket::SocketError> errors;
    std::vector<QString> errorStrings; // errorString() read inside errorOccurred
    std::vector<QSslError::SslError> peerVerifyErrors;
    std::vector<QList<QSslError::SslError>> sslErrors;
    std::vector<Alert> alertsSent;
    std::vector<Alert> alertsReceived;
    std::vector<QSslError::SslError> interruptedOnError;
    int hostFound = 0;
    int connected = 0;
    int encrypted = 0;
    int disconnected = 0;
    int readyRead = 0;
    QByteArray received; // read in readyRead when readInSlot is set
    bool readInSlot = false;

    void attach(QSslSocket *socket)
    {
        QObject::connect(socket, &QAbstractSocket::stateChanged, socket,
                         [this](QAbstractSocket::SocketState s) { states.push_back(s); });
        QObject::connect(socket, &QSslSocket::modeChanged, socket,
                         [this](QSslSocket::SslMode m) { modes.push_back(m); });
        QObject::connect(socket, &QSslSocket::preSharedKeyAuthenticationRequired, socket,
                         [this](QSslPreSharedKeyAuthenticator *a) {
                             events.push_back(Event::PreSharedKey);
                             pskCalls.push_back(snapshot(a));
                         });
        QObject::connect(socket, &QAbstractSocket::errorOccurred, socket,
                         [this, socket](QAbstractSocket::SocketError e) {
                             events.push_back(Event::ErrorOccurred);
                             errors.push_back(e);
                             errorStrings.push_back(socket->errorString());
                         });
        QObject::connect(socket, &QSslSocket::peerVerifyError, socket,
                         [this](const QSslError &e) {
                             events.push_back(Event::PeerVerifyError);
                             peerVerifyErrors.push_back(e.error());
                         });
        QObject::connect(socket, &QSslSocket::sslErrors, socket, [this](const QList<QSslError> &list) {
            QList<QSslError::SslError> codes;
            for (const QSslError &e : list)
                codes.push_back(e.error());
            events.push_back(Event::SslErrors);
            sslErrors.push_back(codes);
        });
        QObject::connect(socket, &QSslSocket::alertSent, socket,
                         [this](QSsl::AlertLevel l, QSsl::AlertType t, const QString &) {
                             alertsSent.push_back({l, t});
                         });
        QObject::connect(socket, &QSslSocket::alertReceived, socket,
                         [this](QSsl::AlertLevel l, QSsl::AlertType t, const QString &) {
                             alertsReceived.push_back({l, t});
                         });
        QObject::connect(socket, &QSslSocket::handshakeInterruptedOnError, socket,
                         [this](const QSslError &e) { interruptedOnError.push_back(e.error()); });
        QObject::connect(socket, &QAbstractSocket::hostFound, socket, [this] { ++hostFound; });
        QObject::connect(socket, &QAbstractSocket::connected, socket, [this] { ++connected; });
        QObject::connect(socket, &QSslSocket::encrypted, socket, [this] {
            events.push_back(Event::Encrypted);
            ++encrypted;
        });
        QObject::connect(socket, &QAbstractSocket::disconnected, socket, [this] {
            events.push_back(Event::Disconnected);
            ++disconnected;
        });
        QObject::connect(socket, &QIODevice::readyRead, socket, [this, socket] {
            events.push_back(Event::ReadyRead);
            ++readyRead;
            if (readInSlot)
                received += socket->readAll();
        });
    }

};

// "errors=... alertsSent=... alertsReceived=..." of a recorder (errors, errorStrings, alertsSent,
// alertsReceived), for the one-line summaries of failure messages.
template <typename Recorder>
QString describeErrorsAndAlerts(const Recorder &r)
{
    QString text = QStringLiteral("errors=");
    for (std::size_t i = 0; i < r.errors.size(); ++i)
        text += QStringLiteral("%1('%2') ").arg(int(r.errors[i])).arg(r.errorStrings[i]);
    text += QStringLiteral("alertsSent=");
    for (const Alert &a : r.alertsSent)
        text += QStringLiteral("%1/%2 ").arg(int(a.level)).arg(int(a.type));
    text += QStringLiteral("alertsReceived=");
    for (const Alert &a : r.alertsReceived)
        text += QStringLiteral("%1/%2 ").arg(int(a.level)).arg(int(a.type));
    return text;
}

// A one-line summary of everything a recorder saw, for failure messages (SCOPED_TRACE).
inline std::string describe(const SocketRecorder &r)
{
    QString text = QStringLiteral("states=");
    for (auto state : r.states)
        text += QString::number(int(state)) + QLatin1Char(' ');
    text += QStringLiteral("modes=");
    for (auto mode : r.modes)
        text += QString::number(int(mode)) + QLatin1Char(' ');
    text += QStringLiteral("psk=%1 encrypted=%2 disconnected=%3 ")
                    .arg(r.pskCalls.size()).arg(r.encrypted).arg(r.disconnected);
    text += describeErrorsAndAlerts(r);
    text += QStringLiteral("peerVerifyErrors=%1 sslErrors=%2 received=%3")
                    .arg(r.peerVerifyErrors.size()).arg(r.sslErrors.size())
                    .arg(QString::fromLatin1(r.received.toHex()));
    return text.toStdString();
}

// \a events with every event not in \a wanted removed (to check the relative order of a few).
inline std::vector<Event> only(const std::vector<Event> &events, std::initializer_list<Event> wanted)
{
    std::vector<Event> result;
    for (Event e : events) {
        if (std::find(wanted.begin(), wanted.end(), e) != wanted.end())
            result.push_back(e);
    }
    return result;
}

// The types of the fatal alerts only (close_notify is a warning and depends on how a peer shut down).
inline std::vector<QSsl::AlertType> fatalTypes(const std::vector<Alert> &alerts)
{
    std::vector<QSsl::AlertType> types;
    for (const Alert &a : alerts) {
        if (a.level == QSsl::AlertLevel::Fatal)
            types.push_back(a.type);
    }
    return types;
}

using QtPskTest::pskConfiguration;

} // namespace Parity

#endif // QTPSK_PARITYSUPPORT_H
