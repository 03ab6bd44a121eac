// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// A client that connects to an address that never answers. The address lives in a network
// namespace of the test's own: faults_netns_helper runs under `unshare -n` (as root) or
// `unshare -rn` (otherwise), routes 10.213.0.0/24 where a SYN goes unanswered and reports what
// QtPsk's clients do there. The namespace dies with the helper. Without namespaces the test
// skips, and fails in CI.
#include <gtest/gtest.h>

#include <QtCore/qmap.h>
#include <QtCore/qprocess.h>

#include <unistd.h>

#include "common/testsupport.h"

namespace {

QMap<QString, QString> parse(const QByteArray &output)
{
    QMap<QString, QString> values;
    for (const QByteArray &line : output.split('\n')) {
        const qsizetype equals = line.indexOf('=');
        if (equals > 0)
            values.insert(QString::fromUtf8(line.left(equals)), QString::fromUtf8(line.mid(equals + 1)));
    }
    return values;
}

} // namespace

TEST(UnansweredAddress, ConnectTimesOutAndAbortEndsTheAttempt)
{
    const QString unshare = QtPskTest::findProgram(QStringLiteral("unshare"));
    const QString ip = QtPskTest::findProgram(QStringLiteral("ip"));
    if (unshare.isEmpty() || ip.isEmpty())
        QTPSK_SKIP_OR_FAIL("unshare or ip (util-linux, iproute2) is not installed");
    QProcess helper;
    helper.setProcessChannelMode(QProcess::SeparateChannels);
    helper.start(unshare, {geteuid() == 0 ? QStringLiteral("-n") : QStringLiteral("-rn"),
                           QStringLiteral(QTPSK_FAULTS_NETNS_HELPER)});
    ASSERT_TRUE(helper.waitForStarted(10000));
    if (!helper.waitForFinished(30000)) {
        helper.kill(); // by PID, through QProcess
        helper.waitForFinished(5000);
        FAIL() << "the helper did not finish";
    }
    const QByteArray output = helper.readAllStandardOutput();
    const QByteArray errors = helper.readAllStandardError();
    const QMap<QString, QString> values = parse(output);
    if (!values.contains(QStringLiteral("setup")) || values.value(QStringLiteral("setup")) == "failed") {
        // unshare itself failed (no namespaces here) or the namespace could not be set up.
        QTPSK_SKIP_OR_FAIL("no private network namespace: " << errors.toStdString()
                           << output.toStdString());
    }
    ASSERT_EQ(helper.exitCode(), 0) << output.toStdString() << errors.toStdString();
    std::cout << output.toStdString();
    ::testing::Test::RecordProperty("setup", values.value("setup").toStdString());

    // waitForConnected(500): false after the time-out, SocketTimeoutError (5), and the attempt is
    // given up: the socket is unconnected again. No errorOccurred(), as in Qt.
    // waitForEncrypted(500) waits for the connection first: the same outcome.
    for (const char *wait : {"waitForConnected", "waitForEncrypted"}) {
        SCOPED_TRACE(wait);
        const auto value = [&values, wait](const char *what) {
            return values.value(QStringLiteral("%1.%2").arg(QLatin1String(wait), QLatin1String(what)));
        };
        EXPECT_EQ(value("result"), "0");
        EXPECT_GE(value("elapsedMs").toInt(), 490);
        EXPECT_LT(value("elapsedMs").toInt(), 3000);
        EXPECT_EQ(value("error"), "5");
        EXPECT_EQ(value("errorString"), "Socket operation timed out");
        EXPECT_EQ(value("state"), "0");
        EXPECT_EQ(value("events"), "");
    }

    // Signal style, aborted by the caller while connecting: HostLookup (1), Connecting (2), then
    // Unconnected (0); no error and no disconnected(), since it never connected.
    EXPECT_EQ(values.value("abort.ended"), "1");
    EXPECT_EQ(values.value("abort.stateBefore"), "2");
    EXPECT_EQ(values.value("abort.states"), "1 2 0");
    EXPECT_EQ(values.value("abort.events"), "");
    EXPECT_EQ(values.value("abort.error"), "-1"); // UnknownSocketError: nothing went wrong

    EXPECT_EQ(values.value("serving"), "1");
}
