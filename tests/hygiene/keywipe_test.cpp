// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Key hygiene: no heap block that held a copy of the pre-shared key goes back to the allocator
// without having been wiped, through whole PSK sessions (TLS 1.2 and 1.3, right and wrong keys,
// keys longer than OpenSSL's maximum, client and server, engines and real sockets).
//
// How it is proved: every block freed while a session runs is scanned for the key's bytes.
// - OpenSSL's allocations go through CRYPTO_set_mem_functions() hooks (installed before OpenSSL
//   allocates anything): this sees OpenSSL's own copies (the PSK in s->s3.tmp.psk, the premaster
//   secret, the external-PSK SSL_SESSION's master_key, HKDF and HMAC contexts). Works in every
//   build, sanitizers included.
// - In builds without a sanitizer, free() and realloc() themselves are replaced (glibc's
//   __libc_free/__libc_malloc do the work), so that every QByteArray, std::string or std::vector
//   the library, Qt or OpenSSL releases is scanned too. Sanitizers own free(): there this part
//   is skipped, and the CI's plain build runs it.
// Copies on the stack (OpenSSL's psk[] buffers in the PSK callbacks' callers) cannot be seen
// here; OpenSSL cleanses them itself (docs/logging.md, "Key hygiene").
#include "enginepair.h"

#include "auth/qsslpresharedkeyauthenticator_p.h"

#include <QSslPreSharedKeyAuthenticator>
#include <QSslServer>
#include <QSslSocket>

#include <QtCore/qbytearray.h>
#include <QtCore/qcoreapplication.h>

#include <gtest/gtest.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <malloc.h>

#include "common/testsupport.h"

using namespace QtPskHygieneTest;

namespace {

// What the scanner looks for: the first kNeedleSize bytes of each key in use. Written only while
// the scanner is disarmed.
constexpr size_t kNeedleSize = 32;
constexpr int kMaxNeedles = 2;
unsigned char g_needles[kMaxNeedles][kNeedleSize];
int g_needleCount = 0;
std::atomic<bool> g_armed{false};
std::atomic<long> g_scanned{0};
std::atomic<long> g_hits{0};

void scanFreedBlock(const void *block, size_t size)
{
    if (!block || !g_armed.load(std::memory_order_acquire))
        return;
    g_scanned.fetch_add(1, std::memory_order_relaxed);
    for (int i = 0; i < g_needleCount; ++i) {
        if (size >= kNeedleSize && memmem(block, size, g_needles[i], kNeedleSize))
            g_hits.fetch_add(1, std::memory_order_relaxed);
    }
}

// --- OpenSSL's allocator: a size header in front of every block ------------------------------

constexpr size_t kHeader = 16; // keeps malloc's 16-byte alignment

void *cryptoMalloc(size_t size, const char *, int)
{
    auto *raw = static_cast<unsigned char *>(std::malloc(size + kHeader));
    if (!raw)
        return nullptr;
    std::memcpy(raw, &size, sizeof size);
    return raw + kHeader;
}

size_t cryptoSize(void *block)
{
    size_t size = 0;
    std::memcpy(&size, static_cast<unsigned char *>(block) - kHeader, sizeof size);
    return size;
}

void cryptoFree(void *block, const char *, int)
{
    if (!block)
        return;
    scanFreedBlock(block, cryptoSize(block));
    std::free(static_cast<unsigned char *>(block) - kHeader);
}

void *cryptoRealloc(void *block, size_t size, const char *file, int line)
{
    if (!block)
        return cryptoMalloc(size, file, line);
    if (size == 0) {
        cryptoFree(block, file, line);
        return nullptr;
    }
    void *moved = cryptoMalloc(size, file, line);
    if (!moved)
        return nullptr;
    std::memcpy(moved, block, qMin(size, cryptoSize(block)));
    cryptoFree(block, file, line); // the old block keeps the old bytes: scanned like any other
    return moved;
}

// Before main(): OpenSSL refuses new hooks once it has allocated.
const bool g_opensslHooked = CRYPTO_set_mem_functions(&cryptoMalloc, &cryptoRealloc, &cryptoFree) == 1;

} // namespace

// --- free() and realloc() themselves, where no sanitizer owns them ---------------------------

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#  define QTPSK_SCAN_EVERY_FREE 0
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#    define QTPSK_SCAN_EVERY_FREE 0
#  endif
#endif
#if !defined(QTPSK_SCAN_EVERY_FREE) && defined(__GLIBC__)
#  define QTPSK_SCAN_EVERY_FREE 1
#endif
#ifndef QTPSK_SCAN_EVERY_FREE
#  define QTPSK_SCAN_EVERY_FREE 0
#endif

#if QTPSK_SCAN_EVERY_FREE
extern "C" {
void *__libc_malloc(size_t size);
void *__libc_realloc(void *block, size_t size);
void __libc_free(void *block);

void free(void *block) noexcept
{
    if (block && g_armed.load(std::memory_order_acquire))
        scanFreedBlock(block, malloc_usable_size(block));
    __libc_free(block);
}

void *realloc(void *block, size_t size) noexcept
{
    if (!block || !g_armed.load(std::memory_order_acquire))
        return __libc_realloc(block, size);
    if (size == 0) {
        free(block);
        return nullptr;
    }
    const size_t usable = malloc_usable_size(block);
    if (size <= usable)
        return block; // no move, no stale copy
    void *moved = __libc_malloc(size);
    if (!moved)
        return nullptr;
    std::memcpy(moved, block, usable);
    free(block); // glibc would release the old block unwiped: scan it
    return moved;
}
} // extern "C"
#endif

namespace {

// Arms the scanner for one scope with up to two keys; disarms it in the destructor.
class FreedMemoryScan
{
public:
    explicit FreedMemoryScan(const QByteArray &key, const QByteArray &otherKey = QByteArray())
    {
        g_needleCount = 0;
        for (const QByteArray *k : {&key, &otherKey}) {
            if (k->size() >= qsizetype(kNeedleSize))
                std::memcpy(g_needles[g_needleCount++], k->constData(), kNeedleSize);
        }
        g_scanned = 0;
        g_hits = 0;
        g_armed.store(true, std::memory_order_release);
    }
    ~FreedMemoryScan() { stop(); }
    void stop()
    {
        g_armed.store(false, std::memory_order_release);
        OPENSSL_cleanse(g_needles, sizeof g_needles);
    }
    long scanned() const { return g_scanned; }
    long hits() const { return g_hits; }
};

// A random key that lives in memory the test owns and wipes (never in a QByteArray of its own).
class Key
{
public:
    explicit Key(qsizetype size) : m_size(size)
    {
        EXPECT_LE(size_t(size), sizeof m_bytes);
        EXPECT_EQ(RAND_bytes(m_bytes, int(size)), 1);
    }
    ~Key() { OPENSSL_cleanse(m_bytes, sizeof m_bytes); }
    const char *data() const { return reinterpret_cast<const char *>(m_bytes); }
    qsizetype size() const { return m_size; }
    QByteArray view() const { return QByteArray::fromRawData(data(), m_size); }

private:
    unsigned char m_bytes[1024];
    qsizetype m_size;
};

const char kIdentity[] = "hygiene-identity";
const QByteArray kHint = QByteArrayLiteral("hygiene-hint");

struct Session
{
    int version;
    qsizetype clientKeySize;
    qsizetype serverKeySize;
    bool sameKey;
};

void runAndScan(const Session &session, bool expectSuccess)
{
    ASSERT_TRUE(g_opensslHooked) << "CRYPTO_set_mem_functions() came too late";
    const Key clientKey(session.clientKeySize);
    const Key otherKey(session.serverKeySize);
    const Key &serverKey = session.sameKey ? clientKey : otherKey;
    RawCredentials client(kIdentity, qsizetype(sizeof kIdentity - 1), clientKey.data(), clientKey.size());
    RawCredentials server(kIdentity, qsizetype(sizeof kIdentity - 1), serverKey.data(),
                          session.sameKey ? clientKey.size() : serverKey.size());
    FreedMemoryScan scan(clientKey.view(), session.sameKey ? QByteArray() : serverKey.view());
    QString clientError;
    QString serverError;
    const bool ok = runEngineSession(engineSettings(false, session.version),
                                     engineSettings(true, session.version, kHint), &client, &server,
                                     &clientError, &serverError);
    TlsContext::releaseUnused(); // the SSL_CTXs and their session caches go too
    scan.stop();
    EXPECT_EQ(ok, expectSuccess) << clientError.toStdString() << " / " << serverError.toStdString();
    EXPECT_GE(client.calls, 1);
    EXPECT_GE(server.calls, 1);
    EXPECT_GT(scan.scanned(), 50) << "the scanner saw (almost) no freed memory";
    EXPECT_EQ(scan.hits(), 0) << "freed memory still held key bytes";
}

} // namespace

// --- The scanner itself finds unwiped copies (so that the tests below can fail) -------------

TEST(KeyWipeScanner, SeesAnUnwipedCopyFreedThroughOpenSsl)
{
    ASSERT_TRUE(g_opensslHooked);
    const Key key(32);
    FreedMemoryScan scan(key.view());
    void *copy = OPENSSL_malloc(64);
    ASSERT_NE(copy, nullptr);
    std::memcpy(static_cast<char *>(copy) + 7, key.data(), 32);
    OPENSSL_free(copy); // unwiped on purpose
    void *wiped = OPENSSL_malloc(64);
    ASSERT_NE(wiped, nullptr);
    std::memcpy(wiped, key.data(), 32);
    OPENSSL_clear_free(wiped, 64);
    scan.stop();
    // Seen once by the OpenSSL hook, and once more by free() where that is replaced too.
    EXPECT_EQ(scan.hits(), QTPSK_SCAN_EVERY_FREE ? 2 : 1);
}

TEST(KeyWipeScanner, SeesAnUnwipedQByteArrayCopy)
{
    if (!QTPSK_SCAN_EVERY_FREE)
        GTEST_SKIP() << "a sanitizer owns free(): only OpenSSL's frees are scanned in this build";
    const Key key(48);
    FreedMemoryScan scan(key.view());
    {
        QByteArray copy(key.data(), key.size());
        copy.append("grow me so that realloc() may move the block");
        QByteArray wiped(key.data(), key.size());
        QtPskPrivate::wipeByteArray(wiped);
    }
    scan.stop();
    EXPECT_GE(scan.hits(), 1);
    EXPECT_LE(scan.hits(), 2); // the copy, and perhaps its block before a realloc() moved it
}

// --- Whole sessions ------------------------------------------------------------------------

TEST(KeyWipe, Tls12SessionLeavesNoKeyInFreedMemory)
{
    runAndScan({TLS1_2_VERSION, 32, 32, true}, true);
}

TEST(KeyWipe, Tls13SessionLeavesNoKeyInFreedMemory)
{
    runAndScan({TLS1_3_VERSION, 32, 32, true}, true);
}

TEST(KeyWipe, Tls12WrongKeyLeavesNoKeyInFreedMemory)
{
    runAndScan({TLS1_2_VERSION, 32, 32, false}, false);
}

TEST(KeyWipe, Tls13WrongKeyLeavesNoKeyInFreedMemory)
{
    runAndScan({TLS1_3_VERSION, 32, 32, false}, false);
}

// Keys longer than OpenSSL's 512-byte maximum are cut: the cut must not leave a copy behind.
TEST(KeyWipe, Tls12OverlongKeyLeavesNoKeyInFreedMemory)
{
    runAndScan({TLS1_2_VERSION, 700, 700, true}, true);
}

TEST(KeyWipe, Tls13OverlongKeyLeavesNoKeyInFreedMemory)
{
    runAndScan({TLS1_3_VERSION, 700, 700, true}, true);
}

TEST(KeyWipe, AuthenticatorCopiesAndReplacedKeysAreWiped)
{
    if (!QTPSK_SCAN_EVERY_FREE)
        GTEST_SKIP() << "a sanitizer owns free(): QByteArray frees are not scanned in this build";
    const Key key(64);
    FreedMemoryScan scan(key.view());
    {
        QSslPreSharedKeyAuthenticator a;
        a.setPreSharedKey(key.view());
        QSslPreSharedKeyAuthenticator copy = a; // shares
        copy.setIdentity("detach"); // detaches: two private copies of the key now
        a.setPreSharedKey(QByteArray("replaced")); // the old key is wiped
        QSslPreSharedKeyAuthenticator assigned;
        assigned = copy;
    }
    scan.stop();
    EXPECT_GT(scan.scanned(), 0);
    EXPECT_EQ(scan.hits(), 0);
}

// The socket layer on loopback: QSslServer, QSslSocket and the signals in between.
TEST(KeyWipe, SocketSessionOverLoopbackLeavesNoKeyInFreedMemory)
{
    ASSERT_TRUE(g_opensslHooked);
    for (const QSsl::SslProtocol protocol : {QSsl::TlsV1_2, QSsl::TlsV1_3}) {
        SCOPED_TRACE(int(protocol));
        const Key key(32);
        FreedMemoryScan scan(key.view());
        bool clientEncrypted = false;
        bool echoed = false;
        {
            QSslServer server;
            QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
            configuration.setProtocol(protocol);
            configuration.setPreSharedKeyIdentityHint(kHint);
            server.setSslConfiguration(configuration);
            QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                             [&key](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                                 authenticator->setPreSharedKey(key.view());
                             });
            QObject::connect(&server, &QTcpServer::pendingConnectionAvailable, &server, [&server] {
                while (QTcpSocket *socket = server.nextPendingConnection()) {
                    QObject::connect(socket, &QIODevice::readyRead, socket,
                                     [socket] { socket->write(socket->readAll()); });
                    QObject::connect(socket, &QAbstractSocket::disconnected, socket,
                                     &QObject::deleteLater);
                }
            });
            ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
            QSslSocket client;
            configuration.setPeerVerifyMode(QSslSocket::VerifyNone); // PSK: no certificate
            client.setSslConfiguration(configuration);
            QObject::connect(&client, &QSslSocket::preSharedKeyAuthenticationRequired, &client,
                             [&key](QSslPreSharedKeyAuthenticator *authenticator) {
                                 authenticator->setIdentity(kIdentity);
                                 authenticator->setPreSharedKey(key.view());
                             });
            QObject::connect(&client, &QSslSocket::encrypted, &client,
                             [&] { clientEncrypted = true; client.write("echo"); });
            QObject::connect(&client, &QIODevice::readyRead, &client,
                             [&] { echoed = client.readAll() == "echo"; });
            client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.serverPort());
            EXPECT_TRUE(QtPskTest::waitUntil([&] { return echoed; }, 10000));
            client.disconnectFromHost();
            QtPskTest::waitUntil([&] { return client.state() == QAbstractSocket::UnconnectedState; },
                                 5000);
        }
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        TlsContext::releaseUnused();
        scan.stop();
        EXPECT_TRUE(clientEncrypted);
        EXPECT_TRUE(echoed);
        EXPECT_GT(scan.scanned(), 50);
        EXPECT_EQ(scan.hits(), 0) << "freed memory still held key bytes";
    }
}
