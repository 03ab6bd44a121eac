// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Runs inside a private network namespace (started by faults_netns_test under `unshare -n`):
// sets up an address that never answers, connects QtPsk clients to it, and prints what they
// report as key=value lines for the test to check. Never run it outside a namespace of its own:
// it changes the namespace's interfaces and routes.
#include <QSslSocket>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qprocess.h>
#include <QtCore/qtimer.h>

#include <cstdio>
#include <string>

#include "faultsupport.h"

using namespace FaultsTest;

namespace {

void print(const char *key, const QString &value)
{
    std::printf("%s=%s\n", key, value.toUtf8().constData());
    std::fflush(stdout);
}

void print(const char *key, qint64 value)
{
    print(key, QString::number(value));
}

// A client connecting to \a address, which never answers, waits 500 ms with \a wait (named
// \a name): prints its result, how long it took, the client's error and state and its signals,
// each as "<name>.<what>=...".
void printBlockingWait(const char *name, const QString &address, bool (QSslSocket::*wait)(int))
{
    auto client = goodClient();
    SignalLog log(client.get());
    client->connectToHostEncrypted(address, 443);
    QElapsedTimer timer;
    timer.start();
    const bool result = (client.get()->*wait)(500);
    const auto key = [name](const char *what) { return std::string(name) + '.' + what; };
    print(key("result").c_str(), result);
    print(key("elapsedMs").c_str(), timer.elapsed());
    print(key("error").c_str(), client->error());
    print(key("errorString").c_str(), client->errorString());
    print(key("state").c_str(), client->state());
    print(key("events").c_str(), log.events.join(QLatin1Char(' ')));
}

bool ip(const QStringList &arguments)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(QStringLiteral("ip"), arguments);
    if (!process.waitForFinished(10000)) {
        process.kill();
        process.waitForFinished(1000);
        return false;
    }
    return process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
}

// 10.213.0.2 must be routed somewhere that never answers: a dummy interface (10.213.0.1/24)
// where the kernel has the module, else a route into the loopback device, where a SYN for an
// address that is not local is dropped.
QString setUpUnansweredAddress()
{
    if (!ip({"link", "set", "lo", "up"}))
        return QStringLiteral("failed");
    if (ip({"link", "add", "d0", "type", "dummy"}) && ip({"addr", "add", "10.213.0.1/24", "dev", "d0"})
        && ip({"link", "set", "d0", "up"})) {
        return QStringLiteral("dummy");
    }
    if (ip({"route", "add", "10.213.0.0/24", "dev", "lo"}))
        return QStringLiteral("lo-route");
    return QStringLiteral("failed");
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QString setup = setUpUnansweredAddress();
    print("setup", setup);
    if (setup == QLatin1String("failed"))
        return 2;
    const QString unanswered = QStringLiteral("10.213.0.2");

    // waitForConnected() times out; the attempt is given up. waitForEncrypted() likewise.
    printBlockingWait("waitForConnected", unanswered, &QSslSocket::waitForConnected);
    printBlockingWait("waitForEncrypted", unanswered, &QSslSocket::waitForEncrypted);
    { // The signal style: the caller gives up after 300 ms with abort().
        auto client = goodClient();
        SignalLog log(client.get());
        QStringList states;
        QObject::connect(client.get(), &QAbstractSocket::stateChanged, client.get(),
                         [&](QAbstractSocket::SocketState state) { states << QString::number(state); });
        client->connectToHostEncrypted(unanswered, 443);
        QAbstractSocket::SocketState before = QAbstractSocket::UnconnectedState;
        QTimer::singleShot(300, client.get(), [&] {
            before = client->state();
            client->abort();
        });
        const bool ended = QtPskTest::waitUntil(
                [&] { return client->state() == QAbstractSocket::UnconnectedState; }, 5000);
        print("abort.ended", ended);
        print("abort.stateBefore", before);
        print("abort.states", states.join(QLatin1Char(' ')));
        print("abort.events", log.events.join(QLatin1Char(' ')));
        print("abort.error", client->error());
    }
    { // The process still serves: a good handshake on the namespace's loopback.
        EchoServer echo;
        print("serving", echo.listening && bool(completesGoodHandshake(echo.port())));
    }
    return 0;
}
