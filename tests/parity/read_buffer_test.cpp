// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// setReadBufferSize() on encrypted sockets (issue 14, item 3): a raw OpenSSL peer in a thread
// (rawtlspeer.h) sends far more than the limit to a QSslSocket that does not read. The socket must
// stop taking data from the network once its buffer holds the limit (the peer then blocks in the
// kernel), and resume when the application reads, until every byte has arrived intact and in
// order. Client and server side, TLS 1.2 and 1.3, event loop and waitForReadyRead(). The same
// source is built against real Qt6::Network (QTPSK_PARITY_AGAINST_QTNETWORK: the ground truth) and
// against QtPsk.
#include "paritysupport.h"
#include "common/rawtlspeer.h"

#include <QSslServer>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qpointer.h>

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <functional>
#include <memory>
#include <string>

#include "common/testsupport.h"

using namespace Parity;
using QtPskTest::waitUntil;

namespace {

constexpr qint64 kLimit = 4096;
// What may be held beyond the limit: Qt's OpenSSL backend decrypts in 4 KiB steps and checks the
// limit between them, and one TLS record (16 KiB) is the unit either library decrypts at most
// past it. Far below what an unbounded socket takes (kTotal).
#ifdef QTPSK_PARITY_AGAINST_QTNETWORK
// Qt's server socket over TLS 1.3 was measured holding 64 KiB now and then (it reads the plain
// socket in 64 KiB steps and decrypts what it took): Qt's own bound is that, plus one record.
constexpr qint64 kSlack = 64 * 1024 + 16 * 1024;
#else
constexpr qint64 kSlack = 16 * 1024 + 4096;
#endif
constexpr qint64 kTotal = 3 * 1024 * 1024;
constexpr int kChunk = 16 * 1024;

enum class Side { Client, Server }; // which end is the QSslSocket with the limit
enum class Style { EventLoop, WaitFor };

struct Row
{
    const char *name;
    Side side;
    int version;
    Style style;
};

void PrintTo(const Row &row, std::ostream *os) { *os << row.name; }

std::string rawKey()
{
    const QByteArray bytes = key();
    return std::string(bytes.constData(), size_t(bytes.size()));
}

char patternByte(qint64 offset) { return char((offset * 7 + offset / 251) & 0xff); }

// The raw peer's sending side: kTotal bytes of a known pattern in kChunk writes, with progress.
struct Sender
{
    std::atomic<qint64> sent{0};
    std::atomic<bool> failed{false};

    void run(SSL *ssl)
    {
        std::string chunk(size_t(kChunk), '\0');
        qint64 offset = 0;
        while (offset < kTotal) {
            for (int i = 0; i < kChunk; ++i)
                chunk[size_t(i)] = patternByte(offset + i);
            if (SSL_write(ssl, chunk.data(), kChunk) != kChunk) {
                failed = true;
                return;
            }
            offset += kChunk;
            sent = offset;
        }
        // Wait for the receiver's close (or the timeout) so nothing is cut short.
        char byte = 0;
        SSL_read(ssl, &byte, 1);
    }
};

// A bounded wait for a blocked write, and a fixed, small send buffer (no autotuning), so that the
// peer stalls after far fewer bytes than kTotal once the receiver stops reading.
void prepareSender(SSL *ssl)
{
    timeval tv{30, 0};
    ::setsockopt(SSL_get_fd(ssl), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ::setsockopt(SSL_get_fd(ssl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const int sendBuffer = 64 * 1024;
    ::setsockopt(SSL_get_fd(ssl), SOL_SOCKET, SO_SNDBUF, &sendBuffer, sizeof sendBuffer);
}

// Lets the socket run (event loop or waitForReadyRead() without reading) until the sender has
// made no progress for a while: it is blocked because the receiver stopped taking data (or it has
// sent everything). A slow machine only stops this earlier, which can never fail the bound below.
void runUntilSenderStalls(QSslSocket *socket, Style style, const Sender &sender)
{
    QElapsedTimer total;
    total.start();
    QElapsedTimer quiet;
    quiet.start();
    qint64 lastSent = -1;
    while (total.elapsed() < 60000 && quiet.elapsed() < 700) {
        if (style == Style::EventLoop)
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
        else
            socket->waitForReadyRead(50);
        const qint64 now = sender.sent;
        if (now != lastSent) {
            lastSent = now;
            quiet.restart();
        }
        if (socket->state() != QAbstractSocket::ConnectedState)
            return;
    }
}

// Reads everything the sender sends; true when all kTotal bytes came, in order. Gives up when no
// byte has arrived for kNoProgressMs (a generous bound: a working socket never pauses that long).
constexpr qint64 kNoProgressMs = 6000;

bool drain(QSslSocket *socket, Style style, QByteArray *received, qint64 *maxHeld)
{
    QElapsedTimer total;
    total.start();
    QElapsedTimer quiet;
    quiet.start();
    while (received->size() < kTotal && total.elapsed() < 300000 && quiet.elapsed() < kNoProgressMs) {
        *maxHeld = std::max(*maxHeld, socket->bytesAvailable());
        const QByteArray chunk = socket->readAll();
        if (!chunk.isEmpty()) {
            received->append(chunk);
            quiet.restart();
        }
        if (received->size() >= kTotal)
            break;
        if (socket->state() != QAbstractSocket::ConnectedState)
            return false;
        if (style == Style::EventLoop)
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 100);
        else
            socket->waitForReadyRead(1000);
    }
    if (received->size() != kTotal)
        return false;
    for (qint64 i = 0; i < kTotal; ++i) {
        if (received->at(i) != patternByte(i))
            return false;
    }
    return true;
}

QSslConfiguration configuration(int version, bool server)
{
    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    c.setProtocol(version == TLS1_3_VERSION ? QSsl::TlsV1_3 : QSsl::TlsV1_2);
    c.setPeerVerifyMode(QSslSocket::VerifyNone);
    if (server)
        c.setPreSharedKeyIdentityHint(hint());
    return c;
}

class ReadBufferSize : public ::testing::TestWithParam<Row>
{
protected:
    void SetUp() override
    {
        std::signal(SIGPIPE, SIG_IGN); // the raw peer writes with write(2)
        qputenv("QT_USE_TLS_1_3_PSK", "1"); // Qt's client offers no TLS 1.3 PSK without it
    }
};

} // namespace

TEST_P(ReadBufferSize, EncryptedSocketHoldsAtMostTheLimitAndResumesWhenRead)
{
    const Row row = GetParam();
    RawTls::PskState state;
    state.key = rawKey();
    Sender sender;
    QByteArray received;
    qint64 heldWhenStalled = -1;
    qint64 maxHeld = 0;
    bool complete = false;

    if (row.side == Side::Client) {
        std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(RawTls::newContext(true, &state),
                                                              &SSL_CTX_free);
        SSL_CTX_set_min_proto_version(ctx.get(), row.version);
        SSL_CTX_set_max_proto_version(ctx.get(), row.version);
        RawTls::Server peer(ctx.get());
        ASSERT_NE(peer.port(), 0);
        peer.serve(1, [&](SSL *ssl, RawTls::Connection &) { sender.run(ssl); }, prepareSender);

        QSslSocket socket;
        socket.setSslConfiguration(configuration(row.version, false));
        socket.setReadBufferSize(kLimit);
        QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired, &socket,
                         [](QSslPreSharedKeyAuthenticator *authenticator) {
                             authenticator->setIdentity(identity());
                             authenticator->setPreSharedKey(key());
                         });
        socket.connectToHostEncrypted(loopback(), peer.port());
        if (row.style == Style::WaitFor)
            ASSERT_TRUE(socket.waitForEncrypted(timeoutMs)) << socket.errorString().toStdString();
        else
            ASSERT_TRUE(waitUntil([&] { return socket.isEncrypted(); }, timeoutMs))
                    << socket.errorString().toStdString();
        EXPECT_EQ(socket.readBufferSize(), kLimit);
        runUntilSenderStalls(&socket, row.style, sender);
        heldWhenStalled = socket.bytesAvailable();
        const qint64 sentWhenStalled = sender.sent;
        complete = drain(&socket, row.style, &received, &maxHeld);
        socket.abort(); // at once: the peer may still be blocked in a write

        peer.join();
        EXPECT_LT(sentWhenStalled, kTotal) << "the peer could send everything: the kernel and the "
                                              "socket absorbed it all";
    } else {
        std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(RawTls::newContext(false, &state),
                                                              &SSL_CTX_free);
        SSL_CTX_set_min_proto_version(ctx.get(), row.version);
        SSL_CTX_set_max_proto_version(ctx.get(), row.version);
        QSslServer server;
        server.setSslConfiguration(configuration(row.version, true));
        QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                         [](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                             if (authenticator->identity() == identity())
                                 authenticator->setPreSharedKey(key());
                         });
        QPointer<QSslSocket> accepted;
        QObject::connect(&server, &QTcpServer::pendingConnectionAvailable, &server, [&] {
            QSslSocket *next = qobject_cast<QSslSocket *>(server.nextPendingConnection());
            if (next)
                next->setReadBufferSize(kLimit);
            accepted = next;
        });
        ASSERT_TRUE(server.listen(QHostAddress(loopback()), 0));
        RawTls::Client peer(ctx.get(), server.serverPort());
        peer.start(nullptr, [&](SSL *ssl, RawTls::Connection &) { sender.run(ssl); }, prepareSender);
        ASSERT_TRUE(waitUntil([&] { return !accepted.isNull(); }, timeoutMs));
        QSslSocket *socket = accepted.data();
        ASSERT_NE(socket, nullptr);
        runUntilSenderStalls(socket, row.style, sender);
        heldWhenStalled = socket->bytesAvailable();
        const qint64 sentWhenStalled = sender.sent;
        complete = drain(socket, row.style, &received, &maxHeld);
        socket->abort(); // at once: the peer may still be blocked in a write

        ASSERT_TRUE(waitUntil([&] { return peer.finished(); }, timeoutMs));
        peer.join();
        EXPECT_LT(sentWhenStalled, kTotal) << "the peer could send everything: the kernel and the "
                                              "socket absorbed it all";
    }
    EXPECT_GT(heldWhenStalled, 0);
    EXPECT_LE(heldWhenStalled, kLimit + kSlack);
    EXPECT_LE(maxHeld, kLimit + kSlack);
#ifdef QTPSK_PARITY_AGAINST_QTNETWORK
    if (row.style == Style::WaitFor) {
        // Qt's defect, measured here and not copied (docs/security.md): once its buffer was full,
        // Qt resumes reading only from a queued call that runs in the event loop, so a client that
        // reads with waitForReadyRead() alone never gets another byte (and the peer's write fails).
        EXPECT_FALSE(complete) << "Qt6::Network resumed after waitForReadyRead(): the defect is gone";
        return;
    }
#endif
    EXPECT_FALSE(sender.failed);
    EXPECT_TRUE(complete) << "received " << received.size() << " of " << kTotal << " bytes";
}

INSTANTIATE_TEST_SUITE_P(
        Rows, ReadBufferSize,
        ::testing::Values(Row{"ClientTls12EventLoop", Side::Client, TLS1_2_VERSION, Style::EventLoop},
                          Row{"ClientTls12WaitFor", Side::Client, TLS1_2_VERSION, Style::WaitFor},
                          Row{"ClientTls13EventLoop", Side::Client, TLS1_3_VERSION, Style::EventLoop},
                          Row{"ClientTls13WaitFor", Side::Client, TLS1_3_VERSION, Style::WaitFor},
                          Row{"ServerTls12EventLoop", Side::Server, TLS1_2_VERSION, Style::EventLoop},
                          Row{"ServerTls12WaitFor", Side::Server, TLS1_2_VERSION, Style::WaitFor},
                          Row{"ServerTls13EventLoop", Side::Server, TLS1_3_VERSION, Style::EventLoop},
                          Row{"ServerTls13WaitFor", Side::Server, TLS1_3_VERSION, Style::WaitFor}),
        [](const auto &rowInfo) { return std::string(rowInfo.param.name); });
