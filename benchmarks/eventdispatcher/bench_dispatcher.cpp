// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Echo latency of one QTcpServer thread holding N connections, on Qt's default event dispatcher
// or on QEpollEventDispatcher: N - 1 idle connections and one client that sends 64 bytes and
// waits for their echo, again and again. The clients are plain blocking sockets in the main
// thread, so only the server thread's event loop is measured. Loopback only.
//
//   qtpsk_bench_dispatcher [--dispatcher default|epoll] [--connections N] [--samples S]
// Prints one line: dispatcher, connections, set-up time, echo p50 and p99.
#include <QtPsk/qepolleventdispatcher.h>
#include <QtPsk/qtcpserver.h>
#include <QtPsk/qtcpsocket.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/loopbackconnect.h"

namespace {

struct Options
{
    bool epoll = false;
    int connections = 100;
    int samples = 2000;
};

bool parse(int argc, char **argv, Options *options)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *name = argv[i];
        const char *value = argv[i + 1];
        if (std::strcmp(name, "--dispatcher") == 0)
            options->epoll = std::strcmp(value, "epoll") == 0;
        else if (std::strcmp(name, "--connections") == 0)
            options->connections = std::max(1, std::atoi(value));
        else if (std::strcmp(name, "--samples") == 0)
            options->samples = std::max(1, std::atoi(value));
        else
            return false;
    }
    return argc % 2 == 1;
}

bool echoOnce(int fd)
{
    char buffer[64] = {};
    if (::write(fd, buffer, sizeof buffer) != ssize_t(sizeof buffer))
        return false;
    std::size_t got = 0;
    while (got < sizeof buffer) {
        const ssize_t n = ::read(fd, buffer + got, sizeof buffer - got);
        if (n <= 0)
            return false;
        got += std::size_t(n);
    }
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    Options options;
    if (!parse(argc, argv, &options)) {
        std::fprintf(stderr, "usage: %s [--dispatcher default|epoll] [--connections N] "
                     "[--samples S]\n", argv[0]);
        return 2;
    }
    rlimit limit = {};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, rlim_t(2 * options.connections + 256));
    setrlimit(RLIMIT_NOFILE, &limit);

    QCoreApplication app(argc, argv);
    QThread serverThread;
    if (options.epoll)
        serverThread.setEventDispatcher(new QEpollEventDispatcher);
    QObject serverContext; // lives in the server thread: the target of the calls below
    serverContext.moveToThread(&serverThread);
    serverThread.start();

    std::atomic<int> accepted{0};
    QTcpServer *server = nullptr;
    quint16 port = 0;
    QMetaObject::invokeMethod(&serverContext, [&] {
        server = new QTcpServer;
        server->setListenBacklogSize(4096);
        QObject::connect(server, &QTcpServer::newConnection, server, [&] {
            while (QTcpSocket *socket = server->nextPendingConnection()) {
                socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
                QObject::connect(socket, &QTcpSocket::readyRead, socket,
                                 [socket] { socket->write(socket->readAll()); });
                ++accepted;
            }
        });
        if (server->listen(QHostAddress::LocalHost, 0))
            port = server->serverPort();
    }, Qt::BlockingQueuedConnection);
    if (port == 0) {
        std::fprintf(stderr, "listen failed\n");
        return 1;
    }

    QElapsedTimer setup;
    setup.start();
    std::vector<int> clients;
    clients.reserve(std::size_t(options.connections));
    for (int i = 0; i < options.connections; ++i) {
        const int fd = QtPskTest::connectToLoopback(port);
        if (fd < 0) {
            std::fprintf(stderr, "connect %d failed: %s\n", i, std::strerror(errno));
            return 1;
        }
        clients.push_back(fd);
    }
    while (accepted.load() < options.connections) {
        if (setup.elapsed() > 120000) {
            std::fprintf(stderr, "only %d of %d connections accepted (descriptor limit?)\n",
                         accepted.load(), options.connections);
            return 1;
        }
        QThread::msleep(1);
    }
    const qint64 setupMs = setup.elapsed();

    const int active = clients.back();
    for (int i = 0; i < 200; ++i) // warm-up
        echoOnce(active);
    std::vector<qint64> samples;
    samples.reserve(std::size_t(options.samples));
    for (int i = 0; i < options.samples; ++i) {
        const auto start = std::chrono::steady_clock::now();
        if (!echoOnce(active)) {
            std::fprintf(stderr, "echo failed\n");
            return 1;
        }
        samples.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::steady_clock::now() - start).count());
    }
    std::sort(samples.begin(), samples.end());
    const auto at = [&](double q) {
        return double(samples[std::size_t(q * double(samples.size() - 1))]) / 1000.0;
    };
    std::printf("dispatcher=%s connections=%d setup_ms=%lld p50_us=%.1f p99_us=%.1f\n",
                options.epoll ? "epoll" : "default", options.connections,
                static_cast<long long>(setupMs), at(0.5), at(0.99));

    for (const int fd : clients)
        ::close(fd);
    QMetaObject::invokeMethod(&serverContext, [&] { delete server; },
                              Qt::BlockingQueuedConnection);
    serverThread.quit();
    serverThread.wait();
    return 0;
}
