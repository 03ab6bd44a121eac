// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "common/testsupport.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qstandardpaths.h>
#include <QtCore/qthread.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>

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

PeerProcess::PeerProcess() = default;

PeerProcess::~PeerProcess()
{
    stop();
}

bool PeerProcess::start(const QString &program, const QStringList &arguments)
{
    stop();
    m_output.clear();
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    QObject::connect(m_process.get(), &QProcess::readyRead, m_process.get(),
                     [this] { m_output += m_process->readAll(); });
    m_process->start(program, arguments);
    return m_process->waitForStarted(10000);
}

QRegularExpressionMatch PeerProcess::waitForOutput(const QRegularExpression &pattern, int timeoutMs)
{
    QRegularExpressionMatch match;
    waitUntil([&] {
        if (m_process)
            m_output += m_process->readAll();
        match = pattern.match(QString::fromLatin1(m_output));
        return match.hasMatch() || !isRunning();
    }, timeoutMs);
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
    if (m_process)
        m_process->write(data);
}

QByteArray PeerProcess::output() const
{
    if (m_process)
        const_cast<QByteArray &>(m_output) += m_process->readAll();
    return m_output;
}

qint64 PeerProcess::pid() const
{
    return m_process ? m_process->processId() : 0;
}

bool PeerProcess::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

void PeerProcess::stop()
{
    if (!m_process)
        return;
    if (isRunning()) {
        const auto processId = pid_t(m_process->processId());
        ::kill(processId, SIGTERM);
        if (!m_process->waitForFinished(5000)) {
            ::kill(processId, SIGKILL);
            m_process->waitForFinished(5000);
        }
    }
    m_output += m_process->readAll();
    m_process.reset();
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
