// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// What the engine tests share: Qt's test PSK values, the checks of a handshake's outcome between
// two engines in memory, and QT_USE_TLS_1_3_PSK set or removed for one scope.
#ifndef QTPSK_TEST_ENGINETESTSUPPORT_H
#define QTPSK_TEST_ENGINETESTSUPPORT_H

#include "engine/tlsengine_p.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qglobal.h>

#include <gtest/gtest.h>

#include "common/enginepump.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace QtPskEngineTest {

using QTPSK_PREPEND_NAMESPACE(QtPskPrivate::TlsAlert);
using QTPSK_PREPEND_NAMESPACE(QtPskPrivate::TlsEngine);
using QTPSK_PREPEND_NAMESPACE(QtPskPrivate::TlsSettings);
using QTPSK_PREPEND_NAMESPACE(QtPskPrivate::Tls13Psk);
using Result = TlsEngine::Result;
using Credentials = QtPskTest::QtTestCredentials; // keeps a copy of each request

inline const QByteArray kHint = QtPskTest::qtTestHint();
inline const QByteArray kIdentity = QtPskTest::qtTestIdentity();
inline const QByteArray kKey = QtPskTest::qtTestKey();

// A client of OpenSSL's default versions (TLS 1.2 and 1.3) and ciphers; \a mode says whether it
// offers a TLS 1.3 PSK.
inline TlsSettings clientSettings(Tls13Psk mode = Tls13Psk::Offer)
{
    TlsSettings settings;
    settings.tls13Psk = mode;
    return settings;
}

// A server of the default versions and ciphers that sends the identity hint \a hint.
inline TlsSettings serverSettings(const QByteArray &hint = kHint)
{
    TlsSettings settings;
    settings.server = true;
    settings.identityHint = hint;
    return settings;
}

// Whether the alert text must be set for an alert to count.
enum class AlertText { Any, Required };

// Whether \a alerts hold a fatal alert of \a type, sent (or received) as \a sent says.
inline bool hasFatalAlert(const std::vector<TlsAlert> &alerts, bool sent, int type,
                          AlertText text = AlertText::Any)
{
    return std::any_of(alerts.begin(), alerts.end(), [&](const TlsAlert &alert) {
        return alert.sent == sent && alert.level == SSL3_AL_FATAL && alert.type == type
                && (text == AlertText::Any || !alert.text.isEmpty());
    });
}

// Moves the alerts \a engine has recorded into \a into.
inline void takeAlerts(TlsEngine &engine, std::vector<TlsAlert> &into)
{
    for (TlsAlert &alert : engine.takeAlerts())
        into.push_back(std::move(alert));
}

// Each side's last handshake result and the alerts each side recorded, with checks of them.
struct HandshakeOutcome
{
    bool bothOk() const { return clientResult == Result::Ok && serverResult == Result::Ok; }

    void expectBothFailed() const
    {
        EXPECT_EQ(clientResult, Result::Failed);
        EXPECT_EQ(serverResult, Result::Failed);
    }

    Result clientResult = Result::WantInput;
    Result serverResult = Result::WantInput;
    std::vector<TlsAlert> clientAlerts;
    std::vector<TlsAlert> serverAlerts;
};

// How many times each side's credential slot was asked.
inline void expectCalls(const Credentials &client, const Credentials &server, int clientCalls,
                        int serverCalls)
{
    EXPECT_EQ(client.calls, clientCalls);
    EXPECT_EQ(server.calls, serverCalls);
}

// Sets (\a set) or removes QT_USE_TLS_1_3_PSK for one scope.
class Tls13PskVariable
{
public:
    explicit Tls13PskVariable(bool set)
        : m_old(qgetenv(kName)), m_wasSet(qEnvironmentVariableIsSet(kName))
    {
        if (set)
            qputenv(kName, "1");
        else
            qunsetenv(kName);
    }
    ~Tls13PskVariable()
    {
        if (m_wasSet)
            qputenv(kName, m_old);
        else
            qunsetenv(kName);
    }
    Q_DISABLE_COPY(Tls13PskVariable)

private:
    static constexpr const char *kName = "QT_USE_TLS_1_3_PSK";
    QByteArray m_old;
    bool m_wasSet;
};

} // namespace QtPskEngineTest

#endif // QTPSK_TEST_ENGINETESTSUPPORT_H
