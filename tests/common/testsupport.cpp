// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "common/testsupport.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qsocketnotifier.h>
#include <QtCore/qstandardpaths.h>
#include <QtCore/qthread.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern char **environ;

namespace QtPskTest {

bool waitUntil(const std::function<bool()> &predicate, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!predicate()) {
        if (deadline.hasExpired())
            return predicate();
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents, 10);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    }
    return true;
}

bool inCi()
{
    return qEnvironmentVariable("CI") == QLatin1String("true");
}

QString findProgram(const QString &program)
{
    return QStandardPaths::findExecutable(program);
}

namespace {

// Fills \a storage with host:port; returns its length, or 0 if \a host is not a literal address.
socklen_t makeAddress(const QString &host, quint16 port, sockaddr_storage &storage)
{
    std::memset(&storage, 0, sizeof storage);
    const QByteArray h = host.toLatin1();
    auto *v4 = reinterpret_cast<sockaddr_in *>(&storage);
    if (inet_pton(AF_INET, h.constData(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        return sizeof(sockaddr_in);
    }
    auto *v6 = reinterpret_cast<sockaddr_in6 *>(&storage);
    if (inet_pton(AF_INET6, h.constData(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        return sizeof(sockaddr_in6);
    }
    return 0;
}

} // namespace

quint16 freeLoopbackPort(const QString &host)
{
    static std::mt19937 random{std::random_device{}()};
    std::uniform_int_distribution<int> pick(20000, 29999);
    for (int attempt = 0; attempt < 200; ++attempt) {
        const auto port = quint16(pick(random));
        sockaddr_storage address;
        const socklen_t length = makeAddress(host, port, address);
        if (length == 0)
            return 0;
        const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return 0;
        const bool ok = ::bind(fd, reinterpret_cast<sockaddr *>(&address), length) == 0;
        ::close(fd);
        if (ok)
            return port;
    }
    return 0;
}

bool waitForListening(const QString &host, quint16 port, int timeoutMs)
{
    return waitUntil([&] {
        sockaddr_storage address;
        const socklen_t length = makeAddress(host, port, address);
        if (length == 0)
            return false;
        const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return false;
        const bool ok = ::connect(fd, reinterpret_cast<sockaddr *>(&address), length) == 0;
        ::close(fd);
        return ok;
    }, timeoutMs);
}

namespace {

void setNonBlocking(int fd)
{
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Waits up to \a timeoutMs for \a pid to end and reaps it; true when it did.
bool reapWithin(pid_t pid, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        const pid_t reaped = ::waitpid(pid, nullptr, WNOHANG);
        if (reaped == pid || (reaped < 0 && errno == ECHILD))
            return true;
        if (deadline.hasExpired())
            return false;
        QThread::msleep(5); // polling a child's exit, not a delay the test depends on
    }
}

} // namespace

PeerProcess::PeerProcess() = default;

PeerProcess::~PeerProcess()
{
    stop();
}

bool PeerProcess::start(const QString &program, const QStringList &arguments)
{
    stop();
    m_output.clear();
    m_input.clear();
    // A write to the stdin of a peer that ended must fail with EPIPE, not end the test (QProcess
    // ignores SIGPIPE the same way); the child gets the default disposition back below.
    ::signal(SIGPIPE, SIG_IGN);

    int input[2];
    int output[2];
    if (::pipe2(input, O_CLOEXEC) != 0)
        return false;
    if (::pipe2(output, O_CLOEXEC) != 0) {
        ::close(input[0]);
        ::close(input[1]);
        return false;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, input[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, output[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, output[1], STDERR_FILENO);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> strings{program.toStdString()};
    for (const QString &argument : arguments)
        strings.push_back(argument.toStdString());
    std::vector<char *> argv;
    for (std::string &string : strings)
        argv.push_back(string.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    // posix_spawnp() looks the program up on PATH (a name with a '/' is taken as it is) and
    // returns the error when it cannot be executed.
    const int error = ::posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    ::close(input[0]);
    ::close(output[1]);
    if (error != 0) {
        ::close(input[1]);
        ::close(output[0]);
        return false;
    }
    m_pid = pid;
    m_stdin = input[1];
    m_stdout = output[0];
    setNonBlocking(m_stdin);
    setNonBlocking(m_stdout);
    // The event loop drains the output, so that a talkative peer never blocks on a full pipe.
    m_outputNotifier = std::make_unique<QSocketNotifier>(m_stdout, QSocketNotifier::Read);
    QObject::connect(m_outputNotifier.get(), &QSocketNotifier::activated, m_outputNotifier.get(),
                     [this] { readOutput(); });
    m_inputNotifier = std::make_unique<QSocketNotifier>(m_stdin, QSocketNotifier::Write);
    m_inputNotifier->setEnabled(false);
    QObject::connect(m_inputNotifier.get(), &QSocketNotifier::activated, m_inputNotifier.get(),
                     [this] { flushInput(); });
    return true;
}

void PeerProcess::readOutput() const
{
    if (m_stdout < 0)
        return;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(m_stdout, buffer, sizeof buffer);
        if (n > 0) {
            m_output.append(buffer, n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 && m_outputNotifier)
            m_outputNotifier->setEnabled(false); // end of file: every writer has gone
        return;
    }
}

void PeerProcess::flushInput()
{
    while (m_stdin >= 0 && !m_input.isEmpty()) {
        const ssize_t n = ::write(m_stdin, m_input.constData(), size_t(m_input.size()));
        if (n > 0) {
            m_input.remove(0, n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break; // the notifier writes the rest when the pipe has room
        m_input.clear(); // the process closed its stdin or ended
    }
    if (m_inputNotifier)
        m_inputNotifier->setEnabled(!m_input.isEmpty());
}

void PeerProcess::reap() const
{
    if (m_pid <= 0)
        return;
    const pid_t reaped = ::waitpid(m_pid, nullptr, WNOHANG);
    if (reaped == m_pid || (reaped < 0 && errno == ECHILD))
        m_pid = 0;
}

QRegularExpressionMatch PeerProcess::waitForOutput(const QRegularExpression &pattern, int timeoutMs)
{
    QRegularExpressionMatch match;
    waitUntil([&] {
        readOutput();
        match = pattern.match(QString::fromLatin1(m_output));
        return match.hasMatch() || !isRunning();
    }, timeoutMs);
    if (!match.hasMatch()) { // the process may have ended right after its last words
        readOutput();
        match = pattern.match(QString::fromLatin1(m_output));
    }
    return match;
}

quint16 PeerProcess::startOpenSslServer(const QStringList &arguments, const QString &host)
{
    const QString accept = host.contains(QLatin1Char(':'))
            ? QStringLiteral("[%1]:0").arg(host) : QStringLiteral("%1:0").arg(host);
    if (!start(QStringLiteral("openssl"),
               QStringList{QStringLiteral("s_server"), QStringLiteral("-accept"), accept} + arguments))
        return 0;
    const auto match = waitForOutput(QRegularExpression(QStringLiteral("ACCEPT .*:(\\d+)")));
    return match.hasMatch() ? quint16(match.captured(1).toUInt()) : 0;
}

void PeerProcess::writeToStdin(const QByteArray &data)
{
    if (m_stdin < 0)
        return;
    m_input += data;
    flushInput();
}

QByteArray PeerProcess::output() const
{
    readOutput();
    return m_output;
}

qint64 PeerProcess::pid() const
{
    reap();
    return m_pid;
}

bool PeerProcess::isRunning() const
{
    reap();
    return m_pid > 0;
}

void PeerProcess::closePipes()
{
    m_outputNotifier.reset();
    m_inputNotifier.reset();
    for (int *fd : {&m_stdin, &m_stdout}) {
        if (*fd >= 0)
            ::close(*fd);
        *fd = -1;
    }
    m_input.clear();
}

void PeerProcess::stop()
{
    if (isRunning()) {
        ::kill(m_pid, SIGTERM);
        if (!reapWithin(m_pid, 5000)) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
        m_pid = 0;
    }
    readOutput();
    closePipes();
}

bool raiseDescriptorLimit(unsigned long wanted)
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return false;
    if (limit.rlim_cur >= wanted)
        return true;
    limit.rlim_cur = std::min<rlim_t>(wanted, limit.rlim_max);
    return setrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur >= wanted;
}

} // namespace QtPskTest
