// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QSslConfiguration>

#include "ssl/qsslcipher_p.h"
#include "ssl/qsslconfiguration_p.h"

#include <QtCore/qthread.h>
#include <QtCore/qvariant.h>

#include <gtest/gtest.h>

#include <algorithm>

#include <openssl/ssl.h>

#include <atomic>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

QTPSK_USE_NAMESPACE // a no-op unless the build uses -DQTPSK_NAMESPACE

static_assert(sizeof(QSslConfiguration) == sizeof(void *), "one d-pointer");
static_assert(std::is_nothrow_move_assignable_v<QSslConfiguration>);
static_assert(QTypeInfo<QSslConfiguration>::isRelocatable, "Q_DECLARE_SHARED");
static_assert(QMetaTypeId2<QSslConfiguration>::Defined);
static_assert(std::is_same_v<decltype(std::declval<QSslConfiguration>().peerVerifyMode()),
                             QSslSocket::PeerVerifyMode>);
static_assert(QSslSocket::UnencryptedMode == 0 && QSslSocket::SslClientMode == 1
              && QSslSocket::SslServerMode == 2);
static_assert(QSslSocket::VerifyNone == 0 && QSslSocket::QueryPeer == 1
              && QSslSocket::VerifyPeer == 2 && QSslSocket::AutoVerifyPeer == 3);

namespace {

using Access = QtPskPrivate::QSslConfigurationAccess;

const QSsl::SslOption allOptions[] = {
    QSsl::SslOptionDisableEmptyFragments,       QSsl::SslOptionDisableSessionTickets,
    QSsl::SslOptionDisableCompression,          QSsl::SslOptionDisableServerNameIndication,
    QSsl::SslOptionDisableLegacyRenegotiation,  QSsl::SslOptionDisableSessionSharing,
    QSsl::SslOptionDisableSessionPersistence,   QSsl::SslOptionDisableServerCipherPreference,
};

bool onByDefault(QSsl::SslOption option)
{
    return option == QSsl::SslOptionDisableEmptyFragments
        || option == QSsl::SslOptionDisableCompression
        || option == QSsl::SslOptionDisableLegacyRenegotiation
        || option == QSsl::SslOptionDisableSessionPersistence;
}

QSslConfiguration nonDefaultConfiguration()
{
    QSslConfiguration c;
    c.setProtocol(QSsl::TlsV1_2);
    c.setPeerVerifyMode(QSslSocket::VerifyNone);
    c.setPeerVerifyDepth(3);
    c.setCiphers({QSslCipher(QStringLiteral("PSK-AES256-CBC-SHA"))});
    c.setPreSharedKeyIdentityHint("QtTestServerHint");
    c.setHandshakeMustInterruptOnError(true);
    c.setMissingCertificateIsFatal(true);
    c.setSslOption(QSsl::SslOptionDisableSessionTickets, true);
    return c;
}

QStringList names(const QList<QSslCipher> &ciphers)
{
    QStringList result;
    for (const QSslCipher &cipher : ciphers)
        result << cipher.name();
    return result;
}

using SslCtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

SslCtxPtr newContext()
{
    return SslCtxPtr(SSL_CTX_new(TLS_method()), &SSL_CTX_free);
}

// Restores the process-wide default configuration when a test that changes it ends.
struct DefaultConfigurationGuard
{
    QSslConfiguration saved = QSslConfiguration::defaultConfiguration();
    ~DefaultConfigurationGuard() { QSslConfiguration::setDefaultConfiguration(saved); }
};

// Each setting changed on its own: to a value other than the default one, and to one other than
// nonDefaultConfiguration()'s.
using Change = void (*)(QSslConfiguration &);
struct SettingChange
{
    const char *setting;
    Change awayFromDefault;
    Change awayFromNonDefault;
};

const SettingChange settingChanges[] = {
    {"protocol", [](QSslConfiguration &c) { c.setProtocol(QSsl::TlsV1_2); },
     [](QSslConfiguration &c) { c.setProtocol(QSsl::TlsV1_3); }},
    {"peer verify mode", [](QSslConfiguration &c) { c.setPeerVerifyMode(QSslSocket::VerifyNone); },
     [](QSslConfiguration &c) { c.setPeerVerifyMode(QSslSocket::QueryPeer); }},
    {"peer verify depth", [](QSslConfiguration &c) { c.setPeerVerifyDepth(2); },
     [](QSslConfiguration &c) { c.setPeerVerifyDepth(4); }},
    {"ciphers", [](QSslConfiguration &c) { c.setCiphers(QStringLiteral("PSK-AES256-CBC-SHA")); },
     [](QSslConfiguration &c) { c.setCiphers(QStringLiteral("PSK-AES128-CBC-SHA")); }},
    {"identity hint", [](QSslConfiguration &c) { c.setPreSharedKeyIdentityHint("hint"); },
     [](QSslConfiguration &c) { c.setPreSharedKeyIdentityHint("x"); }},
    {"handshake must interrupt on error",
     [](QSslConfiguration &c) { c.setHandshakeMustInterruptOnError(true); },
     [](QSslConfiguration &c) { c.setHandshakeMustInterruptOnError(false); }},
    {"missing certificate is fatal", [](QSslConfiguration &c) { c.setMissingCertificateIsFatal(true); },
     [](QSslConfiguration &c) { c.setMissingCertificateIsFatal(false); }},
    {"ssl option",
     [](QSslConfiguration &c) { c.setSslOption(QSsl::SslOptionDisableCompression, false); },
     [](QSslConfiguration &c) { c.setSslOption(QSsl::SslOptionDisableServerCipherPreference, true); }},
    {"session cipher",
     [](QSslConfiguration &c) {
         Access::setSessionCipher(c, QSslCipher(QStringLiteral("PSK-AES256-CBC-SHA")));
     },
     [](QSslConfiguration &c) {
         Access::setSessionCipher(c, QSslCipher(QStringLiteral("PSK-AES256-CBC-SHA")));
     }},
    {"session protocol", [](QSslConfiguration &c) { Access::setSessionProtocol(c, QSsl::TlsV1_2); },
     [](QSslConfiguration &c) { Access::setSessionProtocol(c, QSsl::TlsV1_2); }},
};

} // namespace

TEST(QSslConfiguration, DefaultConstructedIsNullWithQtsDefaults)
{
    const QSslConfiguration c;
    EXPECT_TRUE(c.isNull());
    EXPECT_EQ(c.protocol(), QSsl::SecureProtocols);
    EXPECT_EQ(c.peerVerifyMode(), QSslSocket::AutoVerifyPeer);
    EXPECT_EQ(c.peerVerifyDepth(), 0);
    EXPECT_TRUE(c.ciphers().isEmpty());
    EXPECT_TRUE(c.preSharedKeyIdentityHint().isNull());
    EXPECT_FALSE(c.handshakeMustInterruptOnError());
    EXPECT_FALSE(c.missingCertificateIsFatal());
    EXPECT_TRUE(c.sessionCipher().isNull());
    EXPECT_EQ(c.sessionProtocol(), QSsl::UnknownProtocol);
    for (QSsl::SslOption option : allOptions)
        EXPECT_EQ(c.testSslOption(option), onByDefault(option)) << int(option);
    EXPECT_FALSE(Access::hasExplicitCiphers(c));
}

TEST(QSslConfiguration, SettingADefaultValueKeepsItNull)
{
    QSslConfiguration c;
    c.setProtocol(QSsl::SecureProtocols);
    c.setPeerVerifyMode(QSslSocket::AutoVerifyPeer);
    c.setPeerVerifyDepth(0);
    c.setCiphers(QList<QSslCipher>());
    c.setCiphers(QString());
    c.setSslOption(QSsl::SslOptionDisableEmptyFragments, true);
    c.setHandshakeMustInterruptOnError(false);
    EXPECT_TRUE(c.isNull());
    EXPECT_EQ(c, QSslConfiguration());
}

TEST(QSslConfiguration, AnyChangeMakesItNonNull)
{
    const auto changed = [](auto change) {
        QSslConfiguration c;
        change(c);
        return !c.isNull();
    };
    for (const SettingChange &row : settingChanges)
        EXPECT_TRUE(changed(row.awayFromDefault)) << row.setting;
}

TEST(QSslConfiguration, EmptyHintIsNotNullYetEqualsTheNullHint)
{
    // As in Qt 6.4: isNull() tells a null hint from an empty one, operator== does not.
    QSslConfiguration c;
    c.setPreSharedKeyIdentityHint(QByteArray(""));
    EXPECT_FALSE(c.isNull());
    EXPECT_FALSE(c.preSharedKeyIdentityHint().isNull());
    EXPECT_TRUE(c == QSslConfiguration());
}

TEST(QSslConfiguration, SettersStoreTheirValues)
{
    const QSslConfiguration c = nonDefaultConfiguration();
    EXPECT_EQ(c.protocol(), QSsl::TlsV1_2);
    EXPECT_EQ(c.peerVerifyMode(), QSslSocket::VerifyNone);
    EXPECT_EQ(c.peerVerifyDepth(), 3);
    EXPECT_EQ(names(c.ciphers()), QStringList{QStringLiteral("PSK-AES256-CBC-SHA")});
    EXPECT_EQ(c.preSharedKeyIdentityHint(), QByteArray("QtTestServerHint"));
    EXPECT_TRUE(c.handshakeMustInterruptOnError());
    EXPECT_TRUE(c.missingCertificateIsFatal());
    EXPECT_TRUE(c.testSslOption(QSsl::SslOptionDisableSessionTickets));
    EXPECT_TRUE(Access::hasExplicitCiphers(c));
    const QByteArray hintWithNul("hi\0nt", 5);
    QSslConfiguration withNul;
    withNul.setPreSharedKeyIdentityHint(hintWithNul);
    EXPECT_EQ(withNul.preSharedKeyIdentityHint(), hintWithNul); // kept verbatim
}

TEST(QSslConfiguration, NegativePeerVerifyDepthIsRefused)
{
    QSslConfiguration c;
    c.setPeerVerifyDepth(4);
    c.setPeerVerifyDepth(-3);
    EXPECT_EQ(c.peerVerifyDepth(), 4);
}

TEST(QSslConfiguration, CopyThenMutateCopyLeavesOriginalUnchanged)
{
    const QSslConfiguration original = nonDefaultConfiguration();
    QSslConfiguration copy(original);
    EXPECT_EQ(copy, original);
    copy.setProtocol(QSsl::TlsV1_3);
    copy.setPeerVerifyMode(QSslSocket::VerifyPeer);
    copy.setPeerVerifyDepth(9);
    copy.setCiphers(QStringLiteral("TLS_AES_128_GCM_SHA256"));
    copy.setPreSharedKeyIdentityHint("other");
    copy.setHandshakeMustInterruptOnError(false);
    copy.setMissingCertificateIsFatal(false);
    copy.setSslOption(QSsl::SslOptionDisableSessionTickets, false);
    Access::setSessionCipher(copy, QSslCipher(QStringLiteral("TLS_AES_128_GCM_SHA256")));
    Access::setSessionProtocol(copy, QSsl::TlsV1_3);
    EXPECT_EQ(original, nonDefaultConfiguration());
    EXPECT_EQ(original.protocol(), QSsl::TlsV1_2);
    EXPECT_EQ(original.preSharedKeyIdentityHint(), QByteArray("QtTestServerHint"));
    EXPECT_TRUE(original.sessionCipher().isNull());
    EXPECT_EQ(original.sessionProtocol(), QSsl::UnknownProtocol);
    EXPECT_NE(copy, original);

    QSslConfiguration assigned;
    assigned = original;
    assigned.setPeerVerifyDepth(1);
    EXPECT_EQ(original.peerVerifyDepth(), 3);
}

TEST(QSslConfiguration, EqualityComparesEverySetting)
{
    const QSslConfiguration base = nonDefaultConfiguration();
    EXPECT_TRUE(base == nonDefaultConfiguration()); // equal values, separate data
    EXPECT_FALSE(base != nonDefaultConfiguration());
    const auto differs = [&base](auto change) {
        QSslConfiguration c = base;
        change(c);
        return c != base && !(c == base);
    };
    for (const SettingChange &row : settingChanges)
        EXPECT_TRUE(differs(row.awayFromNonDefault)) << row.setting;
}

TEST(QSslConfiguration, SwapAndMoveAssignmentExchangeValues)
{
    QSslConfiguration a = nonDefaultConfiguration();
    QSslConfiguration b;
    a.swap(b);
    EXPECT_TRUE(a.isNull());
    EXPECT_EQ(b, nonDefaultConfiguration());
    swap(a, b);
    EXPECT_EQ(a, nonDefaultConfiguration());
    QSslConfiguration target;
    target = std::move(a);
    EXPECT_EQ(target, nonDefaultConfiguration());
    EXPECT_TRUE(a.isNull()); // NOLINT(bugprone-use-after-move): it received target's null value
}

TEST(QSslConfiguration, ValueTravelsThroughQVariant)
{
    const QVariant v = QVariant::fromValue(nonDefaultConfiguration());
    EXPECT_EQ(v.value<QSslConfiguration>(), nonDefaultConfiguration());
    const QByteArray name = QByteArray(QT_STRINGIFY(QTPSK_PREPEND_NAMESPACE(QSslConfiguration))).mid(2);
    EXPECT_EQ(QByteArray(QMetaType::fromType<QSslConfiguration>().name()), name);
    EXPECT_EQ(QMetaType::fromName(name), QMetaType::fromType<QSslConfiguration>());
}

TEST(QSslConfiguration, SetCiphersFromAStringKeepsKnownNamesInOrder)
{
    QSslConfiguration c;
    c.setCiphers(QStringLiteral(
            "TLS_AES_128_GCM_SHA256:bogus:PSK-AES256-CBC-SHA:: ECDHE-PSK-CHACHA20-POLY1305:PSK"));
    // Unknown names, empty parts, names with spaces and cipher-string keywords are dropped.
    EXPECT_EQ(names(c.ciphers()), (QStringList{QStringLiteral("TLS_AES_128_GCM_SHA256"),
                                              QStringLiteral("PSK-AES256-CBC-SHA")}));
    c.setCiphers(QStringLiteral("PSK-AES256-CBC-SHA,TLS_AES_128_GCM_SHA256")); // commas do not separate
    EXPECT_TRUE(c.ciphers().isEmpty());
    // As in Qt, a suite outside OpenSSL's default list is not supported, so it is dropped.
    c.setCiphers(QStringLiteral("PSK-AES128-CCM:PSK-AES256-GCM-SHA384"));
    EXPECT_EQ(names(c.ciphers()), (QStringList{QStringLiteral("PSK-AES256-GCM-SHA384")}));
}

TEST(QSslConfiguration, SupportedCiphersAreOpenSslsDefaultListAsInQt)
{
    const QList<QSslCipher> supported = QSslConfiguration::supportedCiphers();
    QStringList supportedNames = names(supported);
    for (const char *name : {"PSK-AES256-CBC-SHA", "PSK-AES128-CBC-SHA", "PSK-AES256-GCM-SHA384",
                             "PSK-CHACHA20-POLY1305", "ECDHE-PSK-CHACHA20-POLY1305",
                             "DHE-PSK-AES256-GCM-SHA384", "RSA-PSK-AES128-CBC-SHA256",
                             "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                             "TLS_CHACHA20_POLY1305_SHA256"})
        EXPECT_TRUE(supportedNames.contains(QString::fromLatin1(name))) << name;
    // Qt lists OpenSSL's default list only: suites outside it are no supported ciphers.
    for (const char *name : {"PSK-AES128-CCM", "PSK-AES128-CCM8", "TLS_AES_128_CCM_SHA256",
                             "TLS_AES_128_CCM_8_SHA256", "PSK-ARIA128-GCM-SHA256",
                             "PSK-CAMELLIA128-SHA256"}) {
        EXPECT_FALSE(supportedNames.contains(QString::fromLatin1(name))) << name;
        EXPECT_TRUE(QSslCipher(QString::fromLatin1(name)).isNull()) << name;
    }
    const SslCtxPtr context = newContext();
    ASSERT_TRUE(context);
    QStringList openSslDefault;
    const STACK_OF(SSL_CIPHER) *stack = SSL_CTX_get_ciphers(context.get());
    for (int i = 0; i < sk_SSL_CIPHER_num(stack); ++i)
        openSslDefault << QString::fromLatin1(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(stack, i)));
    EXPECT_EQ(supportedNames, openSslDefault);
    int pskSuites = 0;
    for (const QSslCipher &cipher : supported) {
        EXPECT_FALSE(cipher.isNull());
        EXPECT_NE(cipher.encryptionMethod(), QStringLiteral("None")) << qPrintable(cipher.name());
        EXPECT_NE(cipher.authenticationMethod(), QStringLiteral("None")) << qPrintable(cipher.name());
        if (cipher.name().contains(QLatin1String("PSK")))
            ++pskSuites;
    }
    EXPECT_GT(pskSuites, 0);
    EXPECT_EQ(supportedNames.removeDuplicates(), 0);
}

TEST(QSslConfiguration, DefaultConfigurationHasOpenSslsDefaultCipherListWithDhePskLast)
{
    const QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    EXPECT_FALSE(c.isNull());
    EXPECT_EQ(c.protocol(), QSsl::SecureProtocols);
    EXPECT_EQ(c.peerVerifyMode(), QSslSocket::AutoVerifyPeer);
    EXPECT_EQ(c.peerVerifyDepth(), 0);
    EXPECT_TRUE(c.preSharedKeyIdentityHint().isNull());
    EXPECT_FALSE(c.handshakeMustInterruptOnError());
    EXPECT_FALSE(c.missingCertificateIsFatal());
    EXPECT_TRUE(c.sessionCipher().isNull());
    for (QSsl::SslOption option : allOptions)
        EXPECT_EQ(c.testSslOption(option), onByDefault(option)) << int(option);

    // Compare with OpenSSL's own default list, computed independently here.
    const SslCtxPtr context = newContext();
    ASSERT_TRUE(context);
    QStringList expected;
    int expectedPsk = 0;
    const STACK_OF(SSL_CIPHER) *stack = SSL_CTX_get_ciphers(context.get());
    for (int i = 0; i < sk_SSL_CIPHER_num(stack); ++i) {
        expected << QString::fromLatin1(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(stack, i)));
        if (expected.last().contains(QLatin1String("PSK")))
            ++expectedPsk;
    }
    // QtPsk's one change: the DHE-PSK suites come last (servers without DH parameters).
    std::stable_partition(expected.begin(), expected.end(), [](const QString &name) {
        return !name.startsWith(QLatin1String("DHE-PSK-"));
    });
    EXPECT_EQ(names(c.ciphers()), expected);
    EXPECT_TRUE(names(c.ciphers()).last().startsWith(QLatin1String("DHE-PSK-")));
    EXPECT_GT(expectedPsk, 0);
    EXPECT_TRUE(names(c.ciphers()).contains(QStringLiteral("PSK-AES256-CBC-SHA")));
    EXPECT_TRUE(names(c.ciphers()).contains(QStringLiteral("TLS_AES_128_GCM_SHA256")));
    // Every default cipher is also a supported one.
    const QList<QSslCipher> supported = QSslConfiguration::supportedCiphers();
    for (const QSslCipher &cipher : c.ciphers())
        EXPECT_TRUE(supported.contains(cipher)) << qPrintable(cipher.name());
}

TEST(QSslConfiguration, SetDefaultConfigurationReplacesTheProcessWideDefault)
{
    const DefaultConfigurationGuard guard;
    QSslConfiguration::setDefaultConfiguration(nonDefaultConfiguration());
    EXPECT_EQ(QSslConfiguration::defaultConfiguration(), nonDefaultConfiguration());
    QSslConfiguration::setDefaultConfiguration(guard.saved);
    EXPECT_EQ(QSslConfiguration::defaultConfiguration(), guard.saved);
    EXPECT_NE(QSslConfiguration::defaultConfiguration(), nonDefaultConfiguration());
}

TEST(QSslConfiguration, DefaultConfigurationIsThreadSafe)
{
    const DefaultConfigurationGuard guard;
    const QSslConfiguration a = nonDefaultConfiguration();
    const QSslConfiguration b = guard.saved;
    std::atomic<int> unexpected{0};
    std::vector<std::unique_ptr<QThread>> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back(QThread::create([&, t] {
            for (int i = 0; i < 500; ++i) {
                QSslConfiguration::setDefaultConfiguration((i + t) % 2 ? a : b);
                const QSslConfiguration seen = QSslConfiguration::defaultConfiguration();
                if (seen != a && seen != b)
                    ++unexpected;
            }
        }));
        threads.back()->start();
    }
    for (auto &thread : threads)
        thread->wait();
    EXPECT_EQ(unexpected.load(), 0);
}

TEST(QSslConfiguration, SessionHooksFillTheReadOnlyFields)
{
    QSslConfiguration c;
    const QSslCipher cipher(QStringLiteral("PSK-AES256-GCM-SHA384"));
    Access::setSessionCipher(c, cipher);
    Access::setSessionProtocol(c, QSsl::TlsV1_2);
    EXPECT_EQ(c.sessionCipher(), cipher);
    EXPECT_EQ(c.sessionCipher().usedBits(), 256);
    EXPECT_EQ(c.sessionProtocol(), QSsl::TlsV1_2);
}

TEST(QSslConfiguration, CipherSplitSeparatesTls12NamesFromTls13Suites)
{
    QSslConfiguration c;
    c.setCiphers(QStringLiteral("PSK-AES256-CBC-SHA:TLS_CHACHA20_POLY1305_SHA256:"
                                "ECDHE-PSK-CHACHA20-POLY1305:TLS_AES_128_GCM_SHA256"));
    EXPECT_EQ(QtPskPrivate::tls12CipherString(c), QByteArray("PSK-AES256-CBC-SHA:ECDHE-PSK-CHACHA20-POLY1305"));
    EXPECT_EQ(QtPskPrivate::tls13CipherSuites(c),
              QByteArray("TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"));
    EXPECT_TRUE(QtPskPrivate::isTls13Cipher(QSslCipher(QStringLiteral("TLS_AES_128_GCM_SHA256"))));
    EXPECT_FALSE(QtPskPrivate::isTls13Cipher(QSslCipher(QStringLiteral("PSK-AES256-CBC-SHA"))));
}

TEST(QSslConfiguration, Tls12OnlyListLeavesTheTls13StringEmpty)
{
    // Qt's cipher-list trap (spec 2.6): with no TLS 1.3 suite configured the TLS 1.3 string is
    // empty, so the socket leaves OpenSSL's default TLS 1.3 suites enabled.
    QSslConfiguration c;
    c.setCiphers({QSslCipher(QStringLiteral("PSK-AES256-CBC-SHA"))});
    EXPECT_EQ(QtPskPrivate::tls12CipherString(c), QByteArray("PSK-AES256-CBC-SHA"));
    EXPECT_TRUE(QtPskPrivate::tls13CipherSuites(c).isEmpty());

    QSslConfiguration tls13Only;
    tls13Only.setCiphers(QStringLiteral("TLS_AES_128_GCM_SHA256"));
    EXPECT_TRUE(QtPskPrivate::tls12CipherString(tls13Only).isEmpty());
    EXPECT_EQ(QtPskPrivate::tls13CipherSuites(tls13Only), QByteArray("TLS_AES_128_GCM_SHA256"));
}

TEST(QSslConfiguration, EmptyCipherListFallsBackToTheDefaultConfigurationsCiphers)
{
    const DefaultConfigurationGuard guard;
    const QSslConfiguration empty;
    const QByteArray tls12 = QtPskPrivate::tls12CipherString(empty);
    const QByteArray tls13 = QtPskPrivate::tls13CipherSuites(empty);
    EXPECT_TRUE(tls12.contains("PSK-AES256-CBC-SHA"));
    EXPECT_FALSE(tls12.contains("TLS_"));
    EXPECT_TRUE(tls13.contains("TLS_AES_128_GCM_SHA256"));
    EXPECT_EQ(Access::effectiveCiphers(empty), QSslConfiguration::defaultConfiguration().ciphers());

    // The strings are what OpenSSL accepts.
    const SslCtxPtr context = newContext();
    ASSERT_TRUE(context);
    EXPECT_EQ(SSL_CTX_set_cipher_list(context.get(), tls12.constData()), 1);
    EXPECT_EQ(SSL_CTX_set_ciphersuites(context.get(), tls13.constData()), 1);

    QSslConfiguration::setDefaultConfiguration(nonDefaultConfiguration());
    EXPECT_EQ(QtPskPrivate::tls12CipherString(empty), QByteArray("PSK-AES256-CBC-SHA"));
    EXPECT_TRUE(QtPskPrivate::tls13CipherSuites(empty).isEmpty());
}

TEST(QSslConfiguration, ProtocolsMapToOpenSslVersionRanges)
{
    struct Row { QSsl::SslProtocol protocol; int min; int max; };
    QT_WARNING_PUSH
    QT_WARNING_DISABLE_DEPRECATED
    const Row rows[] = {
        {QSsl::TlsV1_0, TLS1_VERSION, TLS1_VERSION},
        {QSsl::TlsV1_1, TLS1_1_VERSION, TLS1_1_VERSION},
        {QSsl::TlsV1_2, TLS1_2_VERSION, TLS1_2_VERSION},
        {QSsl::TlsV1_3, TLS1_3_VERSION, TLS1_3_VERSION},
        {QSsl::AnyProtocol, TLS1_VERSION, 0},
        {QSsl::SecureProtocols, TLS1_2_VERSION, 0},
        {QSsl::TlsV1_0OrLater, TLS1_VERSION, 0},
        {QSsl::TlsV1_1OrLater, TLS1_1_VERSION, 0},
        {QSsl::TlsV1_2OrLater, TLS1_2_VERSION, 0},
        {QSsl::TlsV1_3OrLater, TLS1_3_VERSION, 0},
    };
    const QSsl::SslProtocol unsupported[] = {QSsl::DtlsV1_0, QSsl::DtlsV1_0OrLater, QSsl::DtlsV1_2,
                                             QSsl::DtlsV1_2OrLater, QSsl::UnknownProtocol,
                                             QSsl::SslProtocol(15) /* no enumerator, yet a valid value of the type */};
    QT_WARNING_POP
    for (const Row &row : rows) {
        int min = -7;
        int max = -7;
        ASSERT_TRUE(QtPskPrivate::protocolToVersionRange(row.protocol, &min, &max)) << row.protocol;
        EXPECT_EQ(min, row.min) << row.protocol;
        EXPECT_EQ(max, row.max) << row.protocol;
        // OpenSSL accepts the pair.
        const SslCtxPtr context = newContext();
        EXPECT_EQ(SSL_CTX_set_min_proto_version(context.get(), min), 1);
        EXPECT_EQ(SSL_CTX_set_max_proto_version(context.get(), max), 1);
    }
    for (QSsl::SslProtocol protocol : unsupported) {
        int min = -7;
        int max = -7;
        EXPECT_FALSE(QtPskPrivate::protocolToVersionRange(protocol, &min, &max)) << protocol;
        EXPECT_EQ(min, -7);
        EXPECT_EQ(max, -7);
    }
}

TEST(QSslConfiguration, NegotiatedVersionsMapBackToProtocols)
{
    using QtPskPrivate::protocolFromVersion;
    QT_WARNING_PUSH
    QT_WARNING_DISABLE_DEPRECATED
    EXPECT_EQ(protocolFromVersion(TLS1_VERSION), QSsl::TlsV1_0);
    EXPECT_EQ(protocolFromVersion(TLS1_1_VERSION), QSsl::TlsV1_1);
    QT_WARNING_POP
    EXPECT_EQ(protocolFromVersion(TLS1_2_VERSION), QSsl::TlsV1_2);
    EXPECT_EQ(protocolFromVersion(TLS1_3_VERSION), QSsl::TlsV1_3);
    EXPECT_EQ(protocolFromVersion(SSL3_VERSION), QSsl::UnknownProtocol);
    EXPECT_EQ(protocolFromVersion(0), QSsl::UnknownProtocol);
}
