// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Load with memory flat afterwards: 10,000 sequential PSK handshakes (each connection closed) and
// 1000 concurrent ones (all open at once, then closed), QtPsk client and QSslServer in one process
// on loopback. The heap in use is measured after a warm-up and after the run (mallinfo2(), or the
// sanitizer allocator's count under ASan) and must not grow by more than a small bound. The counts
// can be lowered with QTPSK_FAULTS_SEQUENTIAL and QTPSK_FAULTS_CONCURRENT.
#include <QSslServer>

#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslSocket>

#include <gtest/gtest.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>

#include "engine/tlscontext_p.h"
#include "faultsupport.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#  define QTPSK_FAULTS_ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define QTPSK_FAULTS_ASAN 1
#  endif
#endif
#ifdef QTPSK_FAULTS_ASAN
// From the sanitizer runtime (sanitizer/allocator_interface.h, not always installed with GCC).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

using namespace FaultsTest;

namespace {

int countFromEnvironment(const char *name, int fallback)
{
    bool ok = false;
    const int value = qEnvironmentVariableIntValue(name, &ok);
    return ok && value > 0 ? value : fallback;
}

// Bytes of heap in use right now.
qint64 heapInUse()
{
#ifdef QTPSK_FAULTS_ASAN
    return qint64(__sanitizer_get_current_allocated_bytes());
#else
    const struct mallinfo2 info = mallinfo2();
    return qint64(info.uordblks + info.hblkhd);
#endif
}

qint64 residentBytes()
{
    long pages = 0;
    long resident = 0;
    if (FILE *statm = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(statm, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        std::fclose(statm);
    }
    return qint64(resident) * sysconf(_SC_PAGESIZE);
}


// Lets deferred deletes run, then frees the TLS contexts nobody uses any more.
void settle()
{
    QCoreApplication::processEvents();
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    QtPskPrivate::TlsContext::releaseUnused();
}

// The heap in use and the resident set, in bytes, once settled.
struct Memory
{
    qint64 heap;
    qint64 rss;
};

Memory settledMemory()
{
    settle();
    return {heapInUse(), residentBytes()};
}

// A PSK server that deletes every connection once it is closed.
class ScaleServer
{
public:
    ScaleServer()
    {
        QSslConfiguration configuration = pskConfiguration();
        configuration.setPreSharedKeyIdentityHint(goodHint());
        server.setSslConfiguration(configuration);
        server.setMaxPendingConnections(100000);
        QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                         [](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                             if (authenticator->identity() == goodIdentity())
                                 authenticator->setPreSharedKey(goodKey());
                         });
        QObject::connect(&server, &QSslServer::errorOccurred, &server,
                         [this](QSslSocket *, QAbstractSocket::SocketError) { ++errors; });
        QObject::connect(&server, &QTcpServer::pendingConnectionAvailable, &server, [this] {
            while (QTcpSocket *socket = server.nextPendingConnection()) {
                ++accepted;
                ++open;
                QObject::connect(socket, &QAbstractSocket::disconnected, socket, [this, socket] {
                    --open;
                    socket->deleteLater();
                });
            }
        });
        listening = server.listen(QHostAddress::LocalHost, 0);
    }

    QSslServer server;
    bool listening = false;
    int accepted = 0;
    int open = 0;
    int errors = 0;
};

struct RunCounts
{
    int encrypted = 0;
    int failed = 0;
};

// One handshake after the other: connect, encrypt, disconnect, wait until both ends are closed.
RunCounts runSequential(ScaleServer &server, int count)
{
    RunCounts run;
    for (int i = 0; i < count; ++i) {
        auto client = goodClient();
        bool done = false;
        QObject::connect(client.get(), &QSslSocket::encrypted, client.get(), [&] {
            ++run.encrypted;
            client->disconnectFromHost();
        });
        QObject::connect(client.get(), &QAbstractSocket::errorOccurred, client.get(),
                         [&](QAbstractSocket::SocketError) { ++run.failed; done = true; });
        QObject::connect(client.get(), &QAbstractSocket::disconnected, client.get(), [&] { done = true; });
        client->connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.server.serverPort());
        if (!QtPskTest::waitUntil([&] { return done && server.open == 0; }, 10000)) {
            ++run.failed;
            break;
        }
    }
    return run;
}

} // namespace

TEST(FaultsScale, SequentialHandshakesLeaveMemoryFlat)
{
    const int total = countFromEnvironment("QTPSK_FAULTS_SEQUENTIAL", 10000);
    const int warmUp = qMin(200, total / 2);
    ScaleServer server;
    ASSERT_TRUE(server.listening);
    QElapsedTimer timer;
    timer.start();

    RunCounts run = runSequential(server, warmUp);
    ASSERT_EQ(run.failed, 0);
    const Memory before = settledMemory();

    const RunCounts rest = runSequential(server, total - warmUp);
    run.encrypted += rest.encrypted;
    run.failed += rest.failed;
    const qint64 heapAtEnd = heapInUse(); // the server's context (and its session cache) still in use
    server.server.close();
    const Memory after = settledMemory();
    const qint64 elapsed = timer.elapsed();

    std::cout << total << " sequential handshakes in " << elapsed << " ms; heap " << before.heap
              << " -> " << heapAtEnd << " (before release) -> " << after.heap << " bytes; RSS "
              << before.rss << " -> " << after.rss << " bytes" << std::endl;
    ::testing::Test::RecordProperty("Handshakes", total);
    ::testing::Test::RecordProperty("ElapsedMs", int(elapsed));
    ::testing::Test::RecordProperty("HeapGrowthBytes", int(after.heap - before.heap));
    ::testing::Test::RecordProperty("HeapGrowthBeforeReleaseBytes", int(heapAtEnd - before.heap));
    ::testing::Test::RecordProperty("RssGrowthBytes", int(after.rss - before.rss));

    EXPECT_EQ(run.failed, 0);
    EXPECT_EQ(run.encrypted, total);
    EXPECT_EQ(server.accepted, total);
    EXPECT_EQ(server.errors, 0);
    // 1 MiB over ~9800 handshakes: a leak of 107 bytes or more per connection fails. Checked
    // twice: while the server's context (with its session cache) is still alive, as in a
    // long-running server, and after the unused contexts were released.
    EXPECT_LT(heapAtEnd - before.heap, 1 << 20);
    EXPECT_LT(after.heap - before.heap, 1 << 20);
}

TEST(FaultsScale, ConcurrentHandshakesLeaveMemoryFlat)
{
    const int count = countFromEnvironment("QTPSK_FAULTS_CONCURRENT", 1000);
    ASSERT_TRUE(QtPskTest::raiseDescriptorLimit(static_cast<unsigned long>(2 * count + 256)))
            << "raise the descriptor limit (ulimit -n) to at least " << 2 * count + 256;
    ScaleServer server;
    ASSERT_TRUE(server.listening);
    ASSERT_EQ(runSequential(server, 200).failed, 0); // warm-up
    const Memory before = settledMemory();
    QElapsedTimer timer;
    timer.start();

    std::vector<std::unique_ptr<QSslSocket>> clients;
    int encrypted = 0;
    int failed = 0;
    for (int i = 0; i < count; ++i) {
        auto client = goodClient();
        QObject::connect(client.get(), &QSslSocket::encrypted, client.get(), [&encrypted] { ++encrypted; });
        QObject::connect(client.get(), &QAbstractSocket::errorOccurred, client.get(),
                         [&failed](QAbstractSocket::SocketError) { ++failed; });
        client->connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.server.serverPort());
        clients.push_back(std::move(client));
        if (i % 100 == 99) // let the listen backlog drain now and then
            QtPskTest::waitUntil([&] { return encrypted > i - 50 || failed > 0; }, 20000);
    }
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return encrypted == count || failed > 0; }, 60000))
            << encrypted << " of " << count;
    EXPECT_EQ(server.open, count); // all open at the same time
    const qint64 heapOpen = heapInUse();

    for (const auto &client : clients)
        client->disconnectFromHost();
    EXPECT_TRUE(QtPskTest::waitUntil([&] { return server.open == 0; }, 30000)) << server.open;
    clients.clear();
    server.server.close();
    const Memory after = settledMemory();
    const qint64 elapsed = timer.elapsed();

    std::cout << count << " concurrent handshakes in " << elapsed << " ms; heap " << before.heap
              << " -> " << heapOpen << " (all open) -> " << after.heap << " bytes; RSS " << before.rss
              << " -> " << after.rss << " bytes" << std::endl;
    ::testing::Test::RecordProperty("Connections", count);
    ::testing::Test::RecordProperty("ElapsedMs", int(elapsed));
    ::testing::Test::RecordProperty("HeapOpenBytes", int(heapOpen - before.heap));
    ::testing::Test::RecordProperty("HeapGrowthBytes", int(after.heap - before.heap));
    ::testing::Test::RecordProperty("RssGrowthBytes", int(after.rss - before.rss));

    EXPECT_EQ(failed, 0);
    EXPECT_EQ(encrypted, count);
    EXPECT_EQ(server.errors, 0);
    EXPECT_EQ(server.accepted, count + 200);
    // 1 MiB over 1000 connections: a leak of 1 KiB or more per connection fails. (Measured: the
    // first run in a process keeps ~290 KB, the capacity Qt's and QtPsk's containers grew to for
    // 1000 open sockets; each further run in the same process adds less than 30 KB.)
    EXPECT_LT(after.heap - before.heap, 1 << 20);
}
