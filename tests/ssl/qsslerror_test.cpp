// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QSslError>

#include <QtCore/qdebug.h>
#include <QtCore/qhash.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qobject.h>
#include <QtCore/qset.h>
#include <QtCore/qthread.h>
#include <QtCore/qvariant.h>

#include <gtest/gtest.h>

#include <atomic>
#include <type_traits>
#include <utility>

#include "common/testsupport.h"

QTPSK_USE_NAMESPACE // a no-op unless the build uses -DQTPSK_NAMESPACE

static_assert(sizeof(QSslError) == sizeof(void *), "one d-pointer");
static_assert(std::is_nothrow_move_assignable_v<QSslError>);
static_assert(QTypeInfo<QSslError>::isRelocatable, "Q_DECLARE_SHARED");
// As in Qt 6.4, QList<QSslError> is a declared metatype and QSslError is not (user code may
// write Q_DECLARE_METATYPE(QSslError)); QSslError is still a metatype as a Q_GADGET.
static_assert(QMetaTypeId2<QSslError>::Defined);
static_assert(QMetaTypeId2<QList<QSslError>>::Defined);
static_assert(!std::is_convertible_v<QSslError::SslError, QSslError>, "the constructor is explicit");

// Qt 6's numbers, one by one.
static_assert(QSslError::NoError == 0);
static_assert(QSslError::UnspecifiedError == -1);
static_assert(QSslError::UnableToGetIssuerCertificate == 1);
static_assert(QSslError::UnableToDecryptCertificateSignature == 2);
static_assert(QSslError::UnableToDecodeIssuerPublicKey == 3);
static_assert(QSslError::CertificateSignatureFailed == 4);
static_assert(QSslError::CertificateNotYetValid == 5);
static_assert(QSslError::CertificateExpired == 6);
static_assert(QSslError::InvalidNotBeforeField == 7);
static_assert(QSslError::InvalidNotAfterField == 8);
static_assert(QSslError::SelfSignedCertificate == 9);
static_assert(QSslError::SelfSignedCertificateInChain == 10);
static_assert(QSslError::UnableToGetLocalIssuerCertificate == 11);
static_assert(QSslError::UnableToVerifyFirstCertificate == 12);
static_assert(QSslError::CertificateRevoked == 13);
static_assert(QSslError::InvalidCaCertificate == 14);
static_assert(QSslError::PathLengthExceeded == 15);
static_assert(QSslError::InvalidPurpose == 16);
static_assert(QSslError::CertificateUntrusted == 17);
static_assert(QSslError::CertificateRejected == 18);
static_assert(QSslError::SubjectIssuerMismatch == 19);
static_assert(QSslError::AuthorityIssuerSerialNumberMismatch == 20);
static_assert(QSslError::NoPeerCertificate == 21);
static_assert(QSslError::HostNameMismatch == 22);
static_assert(QSslError::NoSslSupport == 23);
static_assert(QSslError::CertificateBlacklisted == 24);
static_assert(QSslError::CertificateStatusUnknown == 25);
static_assert(QSslError::OcspNoResponseFound == 26);
static_assert(QSslError::OcspMalformedRequest == 27);
static_assert(QSslError::OcspMalformedResponse == 28);
static_assert(QSslError::OcspInternalError == 29);
static_assert(QSslError::OcspTryLater == 30);
static_assert(QSslError::OcspSigRequred == 31);
static_assert(QSslError::OcspUnauthorized == 32);
static_assert(QSslError::OcspResponseCannotBeTrusted == 33);
static_assert(QSslError::OcspResponseCertIdUnknown == 34);
static_assert(QSslError::OcspResponseExpired == 35);
static_assert(QSslError::OcspStatusUnknown == 36);

TEST(QSslError, DefaultConstructedIsNoError)
{
    const QSslError error;
    EXPECT_EQ(error.error(), QSslError::NoError);
    EXPECT_EQ(error.errorString(), QStringLiteral("No error"));
    EXPECT_EQ(error, QSslError(QSslError::NoError));
}

TEST(QSslError, ErrorStringsAreQtsEnglishTexts)
{
    // Every value's text, as Qt 6.4.2's QSslError::errorString() returns it (measured),
    // including its quirks: no text for NoSslSupport, "Unknown error" for 13 and 25.
    const std::pair<int, const char *> expected[] = {
        {-2, "Unknown error"},
        {-1, "Unknown error"},
        {0, "No error"},
        {1, "The issuer certificate could not be found"},
        {2, "The certificate signature could not be decrypted"},
        {3, "The public key in the certificate could not be read"},
        {4, "The signature of the certificate is invalid"},
        {5, "The certificate is not yet valid"},
        {6, "The certificate has expired"},
        {7, "The certificate's notBefore field contains an invalid time"},
        {8, "The certificate's notAfter field contains an invalid time"},
        {9, "The certificate is self-signed, and untrusted"},
        {10, "The root certificate of the certificate chain is self-signed, and untrusted"},
        {11, "The issuer certificate of a locally looked up certificate could not be found"},
        {12, "No certificates could be verified"},
        {13, "Unknown error"},
        {14, "One of the CA certificates is invalid"},
        {15, "The basicConstraints path length parameter has been exceeded"},
        {16, "The supplied certificate is unsuitable for this purpose"},
        {17, "The root CA certificate is not trusted for this purpose"},
        {18, "The root CA certificate is marked to reject the specified purpose"},
        {19, "The current candidate issuer certificate was rejected because its subject name did "
             "not match the issuer name of the current certificate"},
        {20, "The current candidate issuer certificate was rejected because its issuer name and "
             "serial number was present and did not match the authority key identifier of the "
             "current certificate"},
        {21, "The peer did not present any certificate"},
        {22, "The host name did not match any of the valid hosts for this certificate"},
        {23, ""},
        {24, "The peer certificate is blacklisted"},
        {25, "Unknown error"},
        {26, "No OCSP status response found"},
        {27, "The OCSP status request had invalid syntax"},
        {28, "OCSP response contains an unexpected number of SingleResponse structures"},
        {29, "OCSP responder reached an inconsistent internal state"},
        {30, "OCSP responder was unable to return a status for the requested certificate"},
        {31, "The server requires the client to sign the OCSP request in order to construct a "
             "response"},
        {32, "The client is not authorized to request OCSP status from this server"},
        {33, "OCSP responder's identity cannot be verified"},
        {34, "The identity of a certificate in an OCSP response cannot be established"},
        {35, "The certificate status response has expired"},
        {36, "The certificate's status is unknown"},
        {37, "Unknown error"},
    };
    for (const auto &[value, text] : expected) {
        const QSslError error{QSslError::SslError(value)};
        EXPECT_EQ(error.errorString(), QString::fromLatin1(text)) << "value " << value;
        EXPECT_EQ(int(error.error()), value);
    }
    EXPECT_TRUE(QSslError(QSslError::NoSslSupport).errorString().isNull());
}

TEST(QSslError, CopyThenReassignCopyLeavesOriginalUnchanged)
{
    const QSslError original(QSslError::NoPeerCertificate);
    QSslError copy(original);
    EXPECT_EQ(copy, original);
    copy = QSslError(QSslError::HostNameMismatch);
    EXPECT_EQ(original.error(), QSslError::NoPeerCertificate);
    EXPECT_EQ(copy.error(), QSslError::HostNameMismatch);
    EXPECT_NE(copy, original);
}

TEST(QSslError, EqualityComparesTheErrorValue)
{
    EXPECT_TRUE(QSslError(QSslError::NoPeerCertificate) == QSslError(QSslError::NoPeerCertificate));
    EXPECT_FALSE(QSslError(QSslError::NoPeerCertificate) != QSslError(QSslError::NoPeerCertificate));
    EXPECT_TRUE(QSslError(QSslError::NoPeerCertificate) != QSslError(QSslError::HostNameMismatch));
    EXPECT_FALSE(QSslError() == QSslError(QSslError::UnspecifiedError));
}

TEST(QSslError, SwapAndMoveAssignmentExchangeValues)
{
    QSslError a(QSslError::NoPeerCertificate);
    QSslError b(QSslError::SelfSignedCertificate);
    a.swap(b);
    EXPECT_EQ(a.error(), QSslError::SelfSignedCertificate);
    swap(a, b);
    EXPECT_EQ(a.error(), QSslError::NoPeerCertificate);
    QSslError target;
    target = std::move(a);
    EXPECT_EQ(target.error(), QSslError::NoPeerCertificate);
    EXPECT_EQ(a.error(), QSslError::NoError); // NOLINT(bugprone-use-after-move): target's old value
}

TEST(QSslError, EqualErrorsHashEquallyAndWorkInASet)
{
    EXPECT_EQ(qHash(QSslError(QSslError::NoPeerCertificate)),
              qHash(QSslError(QSslError::NoPeerCertificate)));
    EXPECT_EQ(qHash(QSslError(QSslError::NoPeerCertificate), 7),
              qHash(QSslError(QSslError::NoPeerCertificate), 7));
    EXPECT_NE(qHash(QSslError(QSslError::NoPeerCertificate)), qHash(QSslError(QSslError::NoError)));
    QSet<QSslError> set;
    set.insert(QSslError(QSslError::NoPeerCertificate));
    set.insert(QSslError(QSslError::NoPeerCertificate));
    set.insert(QSslError(QSslError::HostNameMismatch));
    EXPECT_EQ(set.size(), 2);
    EXPECT_TRUE(set.contains(QSslError(QSslError::HostNameMismatch)));
}

TEST(QSslError, SslErrorHasAMetaEnumWithQtsNames)
{
    const QMetaEnum metaEnum = QMetaEnum::fromType<QSslError::SslError>();
    EXPECT_EQ(QByteArray(metaEnum.valueToKey(21)), QByteArray("NoPeerCertificate"));
    EXPECT_EQ(QByteArray(metaEnum.valueToKey(-1)), QByteArray("UnspecifiedError"));
    EXPECT_EQ(QByteArray(metaEnum.valueToKey(31)), QByteArray("OcspSigRequred"));
    EXPECT_EQ(metaEnum.keyCount(), 38);
}

TEST(QSslError, DebugOutputIsTheErrorStringAsInQt)
{
    QString text;
    QDebug(&text) << QSslError(QSslError::NoPeerCertificate) << QSslError::HostNameMismatch;
    EXPECT_EQ(text.trimmed(),
              QStringLiteral("\"The peer did not present any certificate\" "
                             "\"The host name did not match any of the valid hosts for this certificate\""));
}

TEST(QSslError, ValueAndListTravelThroughQVariant)
{
    const QList<QSslError> errors{QSslError(QSslError::NoPeerCertificate),
                                  QSslError(QSslError::HostNameMismatch)};
    const QVariant one = QVariant::fromValue(errors.first());
    EXPECT_EQ(one.value<QSslError>(), errors.first());
    const QVariant list = QVariant::fromValue(errors);
    EXPECT_EQ(list.value<QList<QSslError>>(), errors);
    const QByteArray name = QByteArray(QT_STRINGIFY(QTPSK_PREPEND_NAMESPACE(QSslError))).mid(2);
    EXPECT_EQ(QByteArray(QMetaType::fromType<QSslError>().name()), name);
    EXPECT_EQ(QByteArray(QMetaType::fromType<QList<QSslError>>().name()), "QList<" + name + ">");
    // Registered by name when the library loads, for string-based connections.
    EXPECT_EQ(QMetaType::fromName("QList<" + name + ">"), QMetaType::fromType<QList<QSslError>>());
    EXPECT_EQ(QMetaType::fromName(name), QMetaType::fromType<QSslError>());
}

namespace {

class ErrorEmitter : public QObject
{
    Q_OBJECT
Q_SIGNALS:
    void peerVerifyError(const QSslError &error);
    void sslErrors(const QList<QSslError> &errors);
};

class ErrorReceiver : public QObject
{
    Q_OBJECT
public:
    std::atomic<int> calls{0};
    // Cleared before and set after a cross-thread emission: makes the hand-over of the queued
    // arguments visible to ThreadSanitizer, which cannot see the one inside Qt's (uninstrumented)
    // event queue.
    std::atomic<bool> sent{true};
    QSslError error;
    QList<QSslError> errors;
    std::atomic<QThread *> thread{nullptr};
public Q_SLOTS:
    void onPeerVerifyError(const QSslError &e)
    {
        waitUntilSent();
        error = e;
        thread = QThread::currentThread();
        ++calls;
    }
    void onSslErrors(const QList<QSslError> &list)
    {
        waitUntilSent();
        errors = list;
        ++calls;
    }

private:
    void waitUntilSent() const
    {
        while (!sent.load(std::memory_order_acquire))
            QThread::yieldCurrentThread();
    }
};

} // namespace

TEST(QSslError, ErrorsTravelThroughQueuedConnectionsBetweenThreads)
{
    QThread worker;
    worker.start();
    ErrorReceiver receiver;
    receiver.moveToThread(&worker);
    ErrorEmitter emitter;
    QObject::connect(&emitter, &ErrorEmitter::peerVerifyError, &receiver,
                     &ErrorReceiver::onPeerVerifyError, Qt::QueuedConnection);
    QObject::connect(&emitter, &ErrorEmitter::sslErrors, &receiver, &ErrorReceiver::onSslErrors,
                     Qt::QueuedConnection);
    receiver.sent.store(false);
    Q_EMIT emitter.peerVerifyError(QSslError(QSslError::NoPeerCertificate));
    Q_EMIT emitter.sslErrors({QSslError(QSslError::NoPeerCertificate)});
    receiver.sent.store(true, std::memory_order_release);
    const bool arrived = QtPskTest::waitUntil([&] { return receiver.calls.load() == 2; });
    worker.quit();
    worker.wait();
    ASSERT_TRUE(arrived);
    EXPECT_EQ(receiver.thread.load(), &worker);
    EXPECT_EQ(receiver.error.error(), QSslError::NoPeerCertificate);
    EXPECT_EQ(receiver.errors, QList<QSslError>{QSslError(QSslError::NoPeerCertificate)});
}

TEST(QSslError, ErrorsWorkInStringBasedQueuedConnections)
{
#ifdef QTPSK_NAMESPACE
    GTEST_SKIP() << "string-based connections see the namespace-qualified type names";
#endif
    ErrorEmitter emitter;
    ErrorReceiver receiver;
    ASSERT_TRUE(QObject::connect(&emitter, SIGNAL(sslErrors(QList<QSslError>)), &receiver,
                                 SLOT(onSslErrors(QList<QSslError>)), Qt::QueuedConnection));
    ASSERT_TRUE(QObject::connect(&emitter, SIGNAL(peerVerifyError(QSslError)), &receiver,
                                 SLOT(onPeerVerifyError(QSslError)), Qt::QueuedConnection));
    Q_EMIT emitter.sslErrors({QSslError(QSslError::HostNameMismatch)});
    Q_EMIT emitter.peerVerifyError(QSslError(QSslError::HostNameMismatch));
    EXPECT_EQ(receiver.calls.load(), 0); // queued: not delivered yet
    ASSERT_TRUE(QtPskTest::waitUntil([&] { return receiver.calls.load() == 2; }));
    EXPECT_EQ(receiver.errors, QList<QSslError>{QSslError(QSslError::HostNameMismatch)});
    EXPECT_EQ(receiver.error.error(), QSslError::HostNameMismatch);
}

#include "qsslerror_test.moc"
