// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Helpers shared by the QtPsk tests: bounded waits on the event loop, free loopback ports,
// and real peer processes (openssl s_server, gnutls-serv, ...) started and stopped by PID.
#ifndef QTPSK_TESTSUPPORT_H
#define QTPSK_TESTSUPPORT_H

#include <QtCore/qbytearray.h>
#include <QtCore/qglobal.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>

#include <functional>
#include <memory>

#include <sys/types.h>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace QtPskTest {

// Runs the event loop until \a predicate holds or \a timeoutMs pass; returns the predicate.
bool waitUntil(const std::function<bool()> &predicate, int timeoutMs = 10000);

// True when running in CI (CI=true): a missing peer program then fails instead of skipping.
bool inCi();

// The absolute path of \a program on PATH, or an empty string.
QString findProgram(const QString &program);

// A port that was free on \a host (127.0.0.1 or ::1) a moment ago, in 20000-29999.
quint16 freeLoopbackPort(const QString &host = QStringLiteral("127.0.0.1"));

// Waits until something accepts TCP connections on host:port.
bool waitForListening(const QString &host, quint16 port, int timeoutMs = 10000);

// Raises the soft limit of open descriptors to \a wanted (at most the hard limit); true when the
// soft limit is at least \a wanted afterwards.
bool raiseDescriptorLimit(unsigned long wanted);

// A child process (a real TLS peer) owned by a test: started with start(), stopped by PID
// (SIGTERM, then SIGKILL) in stop() or the destructor, so that nothing outlives the test.
// Started with posix_spawn(), not QProcess: Qt 6.4's QProcess starts its child with
// clone(CLONE_VM | CLONE_VFORK), and ThreadSanitizer's clone() interceptor (GCC 12) then runs its
// after-fork bookkeeping in the child on the parent's memory; from then on the starting thread's
// mutexes, condition variables and atomics are invisible to it (false race reports, lost stacks).
// glibc's posix_spawn() clones internally, where no interceptor runs, and its child only calls
// the kernel until it executes the program. The environment and the working directory are the
// test's own.
class PeerProcess
{
public:
    PeerProcess();
    ~PeerProcess();
    Q_DISABLE_COPY(PeerProcess)

    // Starts \a program (looked up on PATH unless it contains a '/') with \a arguments: stdin
    // a pipe, stdout and stderr merged into one pipe that the event loop drains.
    bool start(const QString &program, const QStringList &arguments);
    // Waits until the merged output matches \a pattern; returns the match (or an invalid one).
    QRegularExpressionMatch waitForOutput(const QRegularExpression &pattern, int timeoutMs = 10000);
    // Starts `openssl s_server -accept host:0 <arguments>` and returns the port it listens on (0 on failure).
    quint16 startOpenSslServer(const QStringList &arguments, const QString &host = QStringLiteral("127.0.0.1"));

    // Queues \a data for the process's stdin; what the pipe does not take at once is written
    // from the event loop.
    void writeToStdin(const QByteArray &data);
    QByteArray output() const; // everything the process printed so far
    qint64 pid() const;        // 0 once the process has ended (or before it started)
    bool isRunning() const;
    void stop();

private:
    void readOutput() const;
    void flushInput();
    void reap() const;
    void closePipes();

    mutable pid_t m_pid = 0;
    int m_stdin = -1;
    int m_stdout = -1;
    mutable QByteArray m_output;
    QByteArray m_input; // written to stdin when the pipe takes it
    std::unique_ptr<QSocketNotifier> m_outputNotifier;
    std::unique_ptr<QSocketNotifier> m_inputNotifier;
};

} // namespace QtPskTest

// Skips the current test, or fails it in CI (CI=true), where what it needs is missing. \a reason
// is what a gtest message takes (`"peer " << name << " is not installed"`).
#define QTPSK_SKIP_OR_FAIL(reason)                                                              \
    do {                                                                                        \
        if (::QtPskTest::inCi())                                                                \
            FAIL() << reason << " (required in CI)";                                            \
        else                                                                                    \
            GTEST_SKIP() << reason;                                                             \
    } while (false)

// Skips the current test, or fails it in CI, when \a path (a program found, or empty) is empty.
#define QTPSK_REQUIRE_FOUND(path, program)                                                      \
    do {                                                                                        \
        if ((path).isEmpty())                                                                   \
            QTPSK_SKIP_OR_FAIL("peer program " << (program) << " is not installed");            \
    } while (false)

// Skips the current test, or fails it in CI, when \a program is not installed.
#define QTPSK_REQUIRE_PROGRAM(program)                                                          \
    QTPSK_REQUIRE_FOUND(::QtPskTest::findProgram(QStringLiteral(program)), program)

#endif // QTPSK_TESTSUPPORT_H
