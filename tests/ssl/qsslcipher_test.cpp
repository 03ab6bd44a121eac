// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QSslCipher>

#include "ssl/qsslcipher_p.h"

#include <QtCore/qdebug.h>
#include <QtCore/qvariant.h>

#include <gtest/gtest.h>

#include "common/debugtext.h"

#include <openssl/ssl.h>

#include <atomic>
#include <memory>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

QTPSK_USE_NAMESPACE // a no-op unless the build uses -DQTPSK_NAMESPACE

static_assert(sizeof(QSslCipher) == sizeof(void *), "one d-pointer");
static_assert(std::is_nothrow_move_assignable_v<QSslCipher>);
static_assert(QTypeInfo<QSslCipher>::isRelocatable, "Q_DECLARE_SHARED");
// Not a declared metatype, as in Qt 6.4: user code may write Q_DECLARE_METATYPE(QSslCipher).
static_assert(!QMetaTypeId2<QSslCipher>::Defined);
static_assert(!std::is_convertible_v<QString, QSslCipher>, "the name constructor is explicit");

namespace {

const QString pskName = QStringLiteral("PSK-AES256-CBC-SHA");

using QtPskTest::debugText;

// What a QSslCipher reports about its suite.
struct Details
{
    int supportedBits;
    int usedBits;
    const char *keyExchangeMethod;
    const char *authenticationMethod;
    const char *encryptionMethod;
    const char *protocolString;
    QSsl::SslProtocol protocol;
};

void expectDetails(const QSslCipher &cipher, const Details &want)
{
    EXPECT_EQ(cipher.supportedBits(), want.supportedBits);
    EXPECT_EQ(cipher.usedBits(), want.usedBits);
    EXPECT_EQ(cipher.keyExchangeMethod(), QString::fromLatin1(want.keyExchangeMethod));
    EXPECT_EQ(cipher.authenticationMethod(), QString::fromLatin1(want.authenticationMethod));
    EXPECT_EQ(cipher.encryptionMethod(), QString::fromLatin1(want.encryptionMethod));
    EXPECT_EQ(cipher.protocolString(), QString::fromLatin1(want.protocolString));
    EXPECT_EQ(cipher.protocol(), want.protocol);
}

} // namespace

TEST(QSslCipher, DefaultConstructedIsNullWithEmptyDetails)
{
    const QSslCipher cipher;
    EXPECT_TRUE(cipher.isNull());
    EXPECT_TRUE(cipher.name().isEmpty());
    EXPECT_EQ(cipher.supportedBits(), 0);
    EXPECT_EQ(cipher.usedBits(), 0);
    EXPECT_TRUE(cipher.keyExchangeMethod().isEmpty());
    EXPECT_TRUE(cipher.authenticationMethod().isEmpty());
    EXPECT_TRUE(cipher.encryptionMethod().isEmpty());
    EXPECT_TRUE(cipher.protocolString().isEmpty());
    EXPECT_EQ(cipher.protocol(), QSsl::UnknownProtocol);
}

TEST(QSslCipher, PskAes256CbcShaHasOpenSslsDetails)
{
    // The values Qt 6.4.2 reports for this suite on OpenSSL 3.0.
    const QSslCipher cipher(pskName);
    ASSERT_FALSE(cipher.isNull());
    EXPECT_EQ(cipher.name(), pskName);
    // Qt 6 has no SSL 3 value: UnknownProtocol.
    expectDetails(cipher, {256, 256, "PSK", "PSK", "AES(256)", "SSLv3", QSsl::UnknownProtocol});
}

TEST(QSslCipher, Tls13SuiteHasOpenSslsDetails)
{
    const QSslCipher cipher(QStringLiteral("TLS_AES_128_GCM_SHA256"));
    ASSERT_FALSE(cipher.isNull());
    expectDetails(cipher, {128, 128, "any", "any", "AESGCM(128)", "TLSv1.3", QSsl::TlsV1_3});
}

TEST(QSslCipher, EphemeralPskSuitesHaveOpenSslsDetails)
{
    const QSslCipher ecdhe(QStringLiteral("ECDHE-PSK-CHACHA20-POLY1305"));
    EXPECT_EQ(ecdhe.keyExchangeMethod(), QStringLiteral("ECDHEPSK"));
    EXPECT_EQ(ecdhe.authenticationMethod(), QStringLiteral("PSK"));
    EXPECT_EQ(ecdhe.encryptionMethod(), QStringLiteral("CHACHA20/POLY1305(256)"));
    EXPECT_EQ(ecdhe.protocolString(), QStringLiteral("TLSv1.2"));
    EXPECT_EQ(ecdhe.protocol(), QSsl::TlsV1_2);

    const QSslCipher rsaPsk(QStringLiteral("RSA-PSK-AES128-CBC-SHA256"));
    EXPECT_EQ(rsaPsk.keyExchangeMethod(), QStringLiteral("RSAPSK"));
    EXPECT_EQ(rsaPsk.authenticationMethod(), QStringLiteral("RSA"));
    EXPECT_EQ(rsaPsk.supportedBits(), 128);
    EXPECT_EQ(rsaPsk.protocolString(), QStringLiteral("TLSv1"));
    QT_WARNING_PUSH
    QT_WARNING_DISABLE_DEPRECATED
    EXPECT_EQ(rsaPsk.protocol(), QSsl::TlsV1_0);
    QT_WARNING_POP
}

TEST(QSslCipher, UnknownOrMisspelledNamesGiveANullCipher)
{
    EXPECT_TRUE(QSslCipher(QStringLiteral("bogus")).isNull());
    EXPECT_TRUE(QSslCipher(QStringLiteral("psk-aes256-cbc-sha")).isNull()); // names are case-sensitive
    EXPECT_TRUE(QSslCipher(QStringLiteral(" PSK-AES256-CBC-SHA")).isNull());
    EXPECT_TRUE(QSslCipher(QStringLiteral("PSK")).isNull()); // a cipher-string keyword, not a name
    EXPECT_TRUE(QSslCipher(QString()).isNull());
    EXPECT_TRUE(QSslCipher(QStringLiteral("bogus")).name().isEmpty());
    EXPECT_EQ(QSslCipher(QStringLiteral("bogus")), QSslCipher());
}

TEST(QSslCipher, NullEncryptionAndAnonymousSuitesAreNotSupported)
{
    EXPECT_TRUE(QSslCipher(QStringLiteral("PSK-NULL-SHA256")).isNull());
    EXPECT_TRUE(QSslCipher(QStringLiteral("ADH-AES256-GCM-SHA384")).isNull());
}

TEST(QSslCipher, NameAndProtocolConstructorRequiresBothToMatch)
{
    EXPECT_FALSE(QSslCipher(QStringLiteral("TLS_AES_128_GCM_SHA256"), QSsl::TlsV1_3).isNull());
    EXPECT_TRUE(QSslCipher(QStringLiteral("TLS_AES_128_GCM_SHA256"), QSsl::TlsV1_2).isNull());
    EXPECT_FALSE(QSslCipher(QStringLiteral("ECDHE-PSK-CHACHA20-POLY1305"), QSsl::TlsV1_2).isNull());
    EXPECT_TRUE(QSslCipher(pskName, QSsl::TlsV1_2).isNull()); // its protocol is UnknownProtocol
    EXPECT_EQ(QSslCipher(pskName, QSsl::UnknownProtocol), QSslCipher(pskName));
    EXPECT_TRUE(QSslCipher(QStringLiteral("bogus"), QSsl::UnknownProtocol).isNull());
}

TEST(QSslCipher, EqualityComparesNameAndProtocol)
{
    const QSslCipher a(pskName);
    const QSslCipher b(pskName);
    EXPECT_TRUE(a == b);
    EXPECT_FALSE(a != b);
    const QSslCipher other(QStringLiteral("PSK-AES128-CBC-SHA"));
    EXPECT_FALSE(a == other);
    EXPECT_TRUE(a != other);
    EXPECT_NE(a, QSslCipher());
    EXPECT_EQ(QSslCipher(), QSslCipher());
}

TEST(QSslCipher, CopyThenReassignCopyLeavesOriginalUnchanged)
{
    const QSslCipher original(pskName);
    QSslCipher copy(original);
    EXPECT_EQ(copy, original);
    copy = QSslCipher(QStringLiteral("TLS_AES_128_GCM_SHA256"));
    EXPECT_EQ(original.name(), pskName);
    EXPECT_EQ(original.encryptionMethod(), QStringLiteral("AES(256)"));
    EXPECT_EQ(copy.protocol(), QSsl::TlsV1_3);
    QSslCipher assigned;
    assigned = original;
    assigned = QSslCipher();
    EXPECT_FALSE(original.isNull());
}

TEST(QSslCipher, SwapAndMoveAssignmentExchangeValues)
{
    QSslCipher a(pskName);
    QSslCipher b(QStringLiteral("TLS_AES_128_GCM_SHA256"));
    a.swap(b);
    EXPECT_EQ(a.name(), QStringLiteral("TLS_AES_128_GCM_SHA256"));
    EXPECT_EQ(b.name(), pskName);
    swap(a, b);
    EXPECT_EQ(a.name(), pskName);
    QSslCipher target;
    target = std::move(a);
    EXPECT_EQ(target.name(), pskName);
    EXPECT_TRUE(a.isNull()); // NOLINT(bugprone-use-after-move): it received target's null value
}

TEST(QSslCipher, ValueTravelsThroughQVariant)
{
    const QVariant v = QVariant::fromValue(QSslCipher(pskName));
    EXPECT_EQ(v.value<QSslCipher>(), QSslCipher(pskName));
    EXPECT_EQ(v.value<QSslCipher>().usedBits(), 256);
    EXPECT_EQ(QByteArray(QMetaType::fromType<QSslCipher>().name()),
              QByteArray(QT_STRINGIFY(QTPSK_PREPEND_NAMESPACE(QSslCipher))).mid(2));
    EXPECT_GT(qMetaTypeId<QSslCipher>(), 0);
}

TEST(QSslCipher, DebugOutputMatchesQtsFormat)
{
    EXPECT_EQ(debugText(QSslCipher(pskName)),
              QStringLiteral("QSslCipher(name=PSK-AES256-CBC-SHA, bits=256, proto=SSLv3)"));
    EXPECT_EQ(debugText(QSslCipher()), QStringLiteral("QSslCipher(name=, bits=0, proto=)"));
}

TEST(QSslCipher, FromOpenSslBuildsTheSameCipherAsTheNameConstructor)
{
    using Access = QtPskPrivate::QSslCipherAccess;
    EXPECT_TRUE(Access::fromOpenSsl(nullptr).isNull());

    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_method()), &SSL_CTX_free);
    ASSERT_TRUE(context);
    ASSERT_EQ(SSL_CTX_set_cipher_list(context.get(), "PSK-AES256-CBC-SHA:ECDHE-PSK-CHACHA20-POLY1305"), 1);
    const STACK_OF(SSL_CIPHER) *stack = SSL_CTX_get_ciphers(context.get());
    ASSERT_NE(stack, nullptr);
    int checked = 0;
    for (int i = 0; i < sk_SSL_CIPHER_num(stack); ++i) {
        const SSL_CIPHER *openSslCipher = sk_SSL_CIPHER_value(stack, i);
        const QSslCipher cipher = Access::fromOpenSsl(openSslCipher);
        ASSERT_FALSE(cipher.isNull());
        EXPECT_EQ(cipher.name(), QString::fromLatin1(SSL_CIPHER_get_name(openSslCipher)));
        const QSslCipher byName(cipher.name());
        EXPECT_EQ(cipher, byName);
        EXPECT_EQ(cipher.supportedBits(), byName.supportedBits());
        EXPECT_EQ(cipher.keyExchangeMethod(), byName.keyExchangeMethod());
        EXPECT_EQ(cipher.encryptionMethod(), byName.encryptionMethod());
        ++checked;
    }
    EXPECT_GE(checked, 2 + 3); // the two suites plus OpenSSL's default TLS 1.3 suites
}

TEST(QSslCipher, ProtocolFollowsOpenSslsVersionName)
{
    using QtPskPrivate::protocolFromCipherVersionName;
    QT_WARNING_PUSH
    QT_WARNING_DISABLE_DEPRECATED
    EXPECT_EQ(protocolFromCipherVersionName(QStringLiteral("TLSv1")), QSsl::TlsV1_0);
    EXPECT_EQ(protocolFromCipherVersionName(QStringLiteral("TLSv1.1")), QSsl::TlsV1_1);
    QT_WARNING_POP
    EXPECT_EQ(protocolFromCipherVersionName(QStringLiteral("TLSv1.2")), QSsl::TlsV1_2);
    EXPECT_EQ(protocolFromCipherVersionName(QStringLiteral("TLSv1.3")), QSsl::TlsV1_3);
    EXPECT_EQ(protocolFromCipherVersionName(QStringLiteral("SSLv3")), QSsl::UnknownProtocol);
    EXPECT_EQ(protocolFromCipherVersionName(QString()), QSsl::UnknownProtocol);
}

TEST(QSslCipher, ConstructionFromSeveralThreadsAtOnceIsSafe)
{
    // The first construction computes the cipher list through OpenSSL, so this races that.
    // std::thread, not QThread: join() returns only once the thread has really ended, after
    // OpenSSL freed the thread's own state; QThread::wait() may return before that, and
    // LeakSanitizer then reports OpenSSL's per-thread DRBGs still in flight at exit.
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&failures] {
            for (int i = 0; i < 200; ++i) {
                const QSslCipher cipher(pskName);
                if (cipher.isNull() || cipher.usedBits() != 256)
                    ++failures;
            }
        });
    }
    for (std::thread &thread : threads)
        thread.join();
    EXPECT_EQ(failures.load(), 0);
}
