// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QSsl>

#include <QtCore/qdebug.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qobject.h>
#include <QtCore/qthread.h>
#include <QtCore/qvariant.h>

#include <gtest/gtest.h>

#include "common/debugtext.h"
#include "common/workerthread.h"

#include <atomic>

#include "common/testsupport.h"

QTPSK_USE_NAMESPACE // a no-op unless the build uses -DQTPSK_NAMESPACE

// --- Numeric values: Qt 6's, one by one ----------------------------------------------------

static_assert(QSsl::PrivateKey == 0 && QSsl::PublicKey == 1);
static_assert(QSsl::Pem == 0 && QSsl::Der == 1);
static_assert(QSsl::Opaque == 0 && QSsl::Rsa == 1 && QSsl::Dsa == 2 && QSsl::Ec == 3 && QSsl::Dh == 4);
static_assert(QSsl::EmailEntry == 0 && QSsl::DnsEntry == 1 && QSsl::IpAddressEntry == 2);

QT_WARNING_PUSH
QT_WARNING_DISABLE_DEPRECATED
static_assert(QSsl::TlsV1_0 == 0 && QSsl::TlsV1_1 == 1 && QSsl::TlsV1_2 == 2);
static_assert(QSsl::AnyProtocol == 3 && QSsl::SecureProtocols == 4);
static_assert(QSsl::TlsV1_0OrLater == 5 && QSsl::TlsV1_1OrLater == 6 && QSsl::TlsV1_2OrLater == 7);
static_assert(QSsl::DtlsV1_0 == 8 && QSsl::DtlsV1_0OrLater == 9);
static_assert(QSsl::DtlsV1_2 == 10 && QSsl::DtlsV1_2OrLater == 11);
static_assert(QSsl::TlsV1_3 == 12 && QSsl::TlsV1_3OrLater == 13);
static_assert(QSsl::UnknownProtocol == -1);
QT_WARNING_POP

static_assert(QSsl::SslOptionDisableEmptyFragments == 0x01);
static_assert(QSsl::SslOptionDisableSessionTickets == 0x02);
static_assert(QSsl::SslOptionDisableCompression == 0x04);
static_assert(QSsl::SslOptionDisableServerNameIndication == 0x08);
static_assert(QSsl::SslOptionDisableLegacyRenegotiation == 0x10);
static_assert(QSsl::SslOptionDisableSessionSharing == 0x20);
static_assert(QSsl::SslOptionDisableSessionPersistence == 0x40);
static_assert(QSsl::SslOptionDisableServerCipherPreference == 0x80);

static_assert(int(QSsl::AlertLevel::Warning) == 0);
static_assert(int(QSsl::AlertLevel::Fatal) == 1);
static_assert(int(QSsl::AlertLevel::Unknown) == 2);

static_assert(int(QSsl::AlertType::CloseNotify) == 0);
static_assert(int(QSsl::AlertType::UnexpectedMessage) == 10);
static_assert(int(QSsl::AlertType::BadRecordMac) == 20);
static_assert(int(QSsl::AlertType::RecordOverflow) == 22);
static_assert(int(QSsl::AlertType::DecompressionFailure) == 30);
static_assert(int(QSsl::AlertType::HandshakeFailure) == 40);
static_assert(int(QSsl::AlertType::NoCertificate) == 41);
static_assert(int(QSsl::AlertType::BadCertificate) == 42);
static_assert(int(QSsl::AlertType::UnsupportedCertificate) == 43);
static_assert(int(QSsl::AlertType::CertificateRevoked) == 44);
static_assert(int(QSsl::AlertType::CertificateExpired) == 45);
static_assert(int(QSsl::AlertType::CertificateUnknown) == 46);
static_assert(int(QSsl::AlertType::IllegalParameter) == 47);
static_assert(int(QSsl::AlertType::UnknownCa) == 48);
static_assert(int(QSsl::AlertType::AccessDenied) == 49);
static_assert(int(QSsl::AlertType::DecodeError) == 50);
static_assert(int(QSsl::AlertType::DecryptError) == 51);
static_assert(int(QSsl::AlertType::ExportRestriction) == 60);
static_assert(int(QSsl::AlertType::ProtocolVersion) == 70);
static_assert(int(QSsl::AlertType::InsufficientSecurity) == 71);
static_assert(int(QSsl::AlertType::InternalError) == 80);
static_assert(int(QSsl::AlertType::InappropriateFallback) == 86);
static_assert(int(QSsl::AlertType::UserCancelled) == 90);
static_assert(int(QSsl::AlertType::NoRenegotiation) == 100);
static_assert(int(QSsl::AlertType::MissingExtension) == 109);
static_assert(int(QSsl::AlertType::UnsupportedExtension) == 110);
static_assert(int(QSsl::AlertType::CertificateUnobtainable) == 111);
static_assert(int(QSsl::AlertType::UnrecognizedName) == 112);
static_assert(int(QSsl::AlertType::BadCertificateStatusResponse) == 113);
static_assert(int(QSsl::AlertType::BadCertificateHashValue) == 114);
static_assert(int(QSsl::AlertType::UnknownPskIdentity) == 115);
static_assert(int(QSsl::AlertType::CertificateRequired) == 116);
static_assert(int(QSsl::AlertType::NoApplicationProtocol) == 120);
static_assert(int(QSsl::AlertType::UnknownAlertMessage) == 255);

static_assert(int(QSsl::ImplementedClass::Key) == 0 && int(QSsl::ImplementedClass::DtlsCookie) == 6);

static_assert(int(QSsl::SupportedFeature::CertificateVerification) == 0);
static_assert(int(QSsl::SupportedFeature::ClientSideAlpn) == 1);
static_assert(int(QSsl::SupportedFeature::ServerSideAlpn) == 2);
static_assert(int(QSsl::SupportedFeature::Ocsp) == 3);
static_assert(int(QSsl::SupportedFeature::Psk) == 4);
static_assert(int(QSsl::SupportedFeature::SessionTicket) == 5);
static_assert(int(QSsl::SupportedFeature::Alerts) == 6);

namespace {

template <typename Enum>
QByteArray keyOf(Enum value)
{
    return QByteArray(QMetaEnum::fromType<Enum>().valueToKey(int(value)));
}

using QtPskTest::debugText;

} // namespace

TEST(QSsl, EnumerationsHaveMetaEnumsWithQtsNames)
{
    EXPECT_EQ(keyOf(QSsl::TlsV1_2), QByteArray("TlsV1_2"));
    EXPECT_EQ(keyOf(QSsl::SecureProtocols), QByteArray("SecureProtocols"));
    EXPECT_EQ(keyOf(QSsl::UnknownProtocol), QByteArray("UnknownProtocol"));
    EXPECT_EQ(keyOf(QSsl::AlertLevel::Fatal), QByteArray("Fatal"));
    EXPECT_EQ(keyOf(QSsl::AlertType::UnknownPskIdentity), QByteArray("UnknownPskIdentity"));
    EXPECT_EQ(keyOf(QSsl::AlertType::NoApplicationProtocol), QByteArray("NoApplicationProtocol"));
    EXPECT_EQ(keyOf(QSsl::SupportedFeature::Psk), QByteArray("Psk"));
    EXPECT_EQ(keyOf(QSsl::Der), QByteArray("Der"));
    EXPECT_EQ(keyOf(QSsl::Dh), QByteArray("Dh"));
    EXPECT_EQ(keyOf(QSsl::PublicKey), QByteArray("PublicKey"));
    EXPECT_EQ(QMetaEnum::fromType<QSsl::AlertType>().keyCount(), 34);
    EXPECT_EQ(QMetaEnum::fromType<QSsl::SslProtocol>().keyCount(), 15);
    EXPECT_TRUE(QMetaEnum::fromType<QSsl::SslOptions>().isFlag());
}

TEST(QSsl, EnumerationsPrintByNameInQDebug)
{
    EXPECT_TRUE(debugText(QSsl::AlertType::HandshakeFailure).contains(QLatin1String("HandshakeFailure")));
    EXPECT_TRUE(debugText(QSsl::AlertLevel::Warning).contains(QLatin1String("Warning")));
    EXPECT_TRUE(debugText(QSsl::TlsV1_3).contains(QLatin1String("TlsV1_3")));
    const QString flags = debugText(QSsl::SslOptions(QSsl::SslOptionDisableCompression
                                                     | QSsl::SslOptionDisableSessionTickets));
    EXPECT_TRUE(flags.contains(QLatin1String("SslOptionDisableCompression"))) << qPrintable(flags);
    EXPECT_TRUE(flags.contains(QLatin1String("SslOptionDisableSessionTickets"))) << qPrintable(flags);
}

TEST(QSsl, MetaTypeNamesIncludeTheNamespace)
{
    const QByteArray prefix = QByteArray(QT_STRINGIFY(QTPSK_PREPEND_NAMESPACE(QSsl))).mid(2);
    EXPECT_EQ(QByteArray(QMetaType::fromType<QSsl::AlertType>().name()), prefix + "::AlertType");
    EXPECT_EQ(QByteArray(QMetaType::fromType<QSsl::AlertLevel>().name()), prefix + "::AlertLevel");
    EXPECT_EQ(QByteArray(QMetaType::fromType<QSsl::SslProtocol>().name()), prefix + "::SslProtocol");
}

TEST(QSsl, EnumerationValuesTravelThroughQVariant)
{
    const QVariant type = QVariant::fromValue(QSsl::AlertType::DecryptError);
    EXPECT_EQ(type.value<QSsl::AlertType>(), QSsl::AlertType::DecryptError);
    EXPECT_EQ(type.toInt(), 51);
    EXPECT_EQ(type.toString(), QStringLiteral("DecryptError")); // converts through the meta-enum
    const QVariant level = QVariant::fromValue(QSsl::AlertLevel::Fatal);
    EXPECT_EQ(level.value<QSsl::AlertLevel>(), QSsl::AlertLevel::Fatal);
    const QVariant protocol = QVariant::fromValue(QSsl::TlsV1_2OrLater);
    EXPECT_EQ(protocol.value<QSsl::SslProtocol>(), QSsl::TlsV1_2OrLater);
}

TEST(QSsl, SslOptionsCombineAsFlags)
{
    QSsl::SslOptions options = QSsl::SslOptionDisableEmptyFragments | QSsl::SslOptionDisableCompression;
    EXPECT_EQ(int(options), 0x05);
    EXPECT_TRUE(options.testFlag(QSsl::SslOptionDisableCompression));
    options &= ~QSsl::SslOptions(QSsl::SslOptionDisableCompression);
    EXPECT_EQ(int(options), 0x01);
}

namespace {

class AlertEmitter : public QObject
{
    Q_OBJECT
Q_SIGNALS:
    void alert(QSsl::AlertLevel level, QSsl::AlertType type, const QString &description);
};

class AlertReceiver : public QObject
{
    Q_OBJECT
public:
    std::atomic<bool> received{false};
    // Cleared before and set after a cross-thread emission: makes the hand-over of the queued
    // arguments visible to ThreadSanitizer, which cannot see the one inside Qt's (uninstrumented)
    // event queue.
    std::atomic<bool> sent{true};
    QSsl::AlertLevel level = QSsl::AlertLevel::Unknown;
    QSsl::AlertType type = QSsl::AlertType::UnknownAlertMessage;
    QString description;
public Q_SLOTS:
    void receive(QSsl::AlertLevel l, QSsl::AlertType t, const QString &text)
    {
        while (!sent.load(std::memory_order_acquire))
            QThread::yieldCurrentThread();
        level = l;
        type = t;
        description = text;
        received = true;
    }
};

} // namespace

TEST(QSsl, AlertEnumsTravelThroughAQueuedConnectionBetweenThreads)
{
    AlertEmitter emitter;
    AlertReceiver receiver;
    QObject::connect(&emitter, &AlertEmitter::alert, &receiver, &AlertReceiver::receive,
                     Qt::QueuedConnection);
    QtPskTest::WorkerThread worker(&receiver);
    receiver.sent.store(false);
    Q_EMIT emitter.alert(QSsl::AlertLevel::Fatal, QSsl::AlertType::UnknownPskIdentity,
                         QStringLiteral("unknown psk identity"));
    receiver.sent.store(true, std::memory_order_release);
    const bool arrived = QtPskTest::waitUntil([&] { return receiver.received.load(); });
    worker.stop();
    ASSERT_TRUE(arrived);
    EXPECT_EQ(receiver.level, QSsl::AlertLevel::Fatal);
    EXPECT_EQ(receiver.type, QSsl::AlertType::UnknownPskIdentity);
    EXPECT_EQ(receiver.description, QStringLiteral("unknown psk identity"));
}

TEST(QSsl, AlertEnumsWorkInStringBasedQueuedConnections)
{
#ifdef QTPSK_NAMESPACE
    GTEST_SKIP() << "string-based connections see the namespace-qualified type names";
#endif
    AlertEmitter emitter;
    AlertReceiver receiver;
    ASSERT_TRUE(QObject::connect(&emitter, SIGNAL(alert(QSsl::AlertLevel,QSsl::AlertType,QString)),
                                 &receiver, SLOT(receive(QSsl::AlertLevel,QSsl::AlertType,QString)),
                                 Qt::QueuedConnection));
    Q_EMIT emitter.alert(QSsl::AlertLevel::Warning, QSsl::AlertType::CloseNotify, QString());
    EXPECT_FALSE(receiver.received.load()); // queued: not delivered yet
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return receiver.received.load(); }));
    EXPECT_EQ(receiver.level, QSsl::AlertLevel::Warning);
    EXPECT_EQ(receiver.type, QSsl::AlertType::CloseNotify);
}

#include "qssl_test.moc"
