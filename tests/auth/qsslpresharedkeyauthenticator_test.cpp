// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QSslPreSharedKeyAuthenticator>

#include "auth/qsslpresharedkeyauthenticator_p.h"

#include <QtCore/qobject.h>
#include <QtCore/qthread.h>
#include <QtCore/qvariant.h>

#include <gtest/gtest.h>

#include "common/workerthread.h"

#include <atomic>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/testsupport.h"

namespace {

using Access = QtPskPrivate::AuthenticatorAccess;

QSslPreSharedKeyAuthenticator filled()
{
    QSslPreSharedKeyAuthenticator a;
    Access::setIdentityHint(a, "hint");
    Access::setMaxima(a, 255, 512);
    a.setIdentity("Client_identity");
    a.setPreSharedKey(QByteArray::fromHex("1a2b3c4d5e6f"));
    return a;
}

} // namespace

// --- The type's shape, as Qt 6 declares it -----------------------------------------------

static_assert(sizeof(QSslPreSharedKeyAuthenticator) == sizeof(void *),
              "one d-pointer, like Qt's");
static_assert(std::is_nothrow_move_assignable_v<QSslPreSharedKeyAuthenticator>);
static_assert(noexcept(std::declval<QSslPreSharedKeyAuthenticator &>().swap(
        std::declval<QSslPreSharedKeyAuthenticator &>())));
static_assert(QTypeInfo<QSslPreSharedKeyAuthenticator>::isRelocatable, "Q_DECLARE_SHARED");
static_assert(QMetaTypeId2<QSslPreSharedKeyAuthenticator>::Defined);
static_assert(QMetaTypeId2<QSslPreSharedKeyAuthenticator *>::Defined);

TEST(QSslPreSharedKeyAuthenticator, DefaultConstructedHasNullFieldsAndZeroMaxima)
{
    const QSslPreSharedKeyAuthenticator a;
    EXPECT_TRUE(a.identityHint().isNull());
    EXPECT_TRUE(a.identity().isNull());
    EXPECT_TRUE(a.preSharedKey().isNull());
    EXPECT_EQ(a.maximumIdentityLength(), 0);
    EXPECT_EQ(a.maximumPreSharedKeyLength(), 0);
}

TEST(QSslPreSharedKeyAuthenticator, SettersStoreBytesUnchangedWithoutTruncation)
{
    QSslPreSharedKeyAuthenticator a; // maxima 0: setters must still keep everything
    const QByteArray identity = QByteArray(300, 'i') + QByteArray("\0tail", 5);
    const QByteArray key = QByteArray(600, '\x5a') + QByteArray("\0\x01", 2);
    a.setIdentity(identity);
    a.setPreSharedKey(key);
    EXPECT_EQ(a.identity(), identity);
    EXPECT_EQ(a.identity().size(), 305);
    EXPECT_EQ(a.preSharedKey(), key);
    EXPECT_EQ(a.preSharedKey().size(), 602);
}

TEST(QSslPreSharedKeyAuthenticator, SetterOrderDoesNotMatter)
{
    QSslPreSharedKeyAuthenticator keyFirst;
    keyFirst.setPreSharedKey("123456");
    keyFirst.setIdentity("Client X");
    QSslPreSharedKeyAuthenticator identityFirst;
    identityFirst.setIdentity("Client X");
    identityFirst.setPreSharedKey("123456");
    EXPECT_EQ(keyFirst, identityFirst);
}

TEST(QSslPreSharedKeyAuthenticator, EmptyValuesStayNonNull)
{
    QSslPreSharedKeyAuthenticator a;
    a.setIdentity(QByteArray(""));
    a.setPreSharedKey(QByteArray(""));
    EXPECT_FALSE(a.identity().isNull());
    EXPECT_TRUE(a.identity().isEmpty());
    EXPECT_FALSE(a.preSharedKey().isNull());
    EXPECT_TRUE(a.preSharedKey().isEmpty());
    a.setPreSharedKey(QByteArray());
    EXPECT_TRUE(a.preSharedKey().isNull());
}

TEST(QSslPreSharedKeyAuthenticator, LibraryHookFillsHintAndMaxima)
{
    const QSslPreSharedKeyAuthenticator a = filled();
    EXPECT_EQ(a.identityHint(), QByteArray("hint"));
    EXPECT_EQ(a.maximumIdentityLength(), 255);
    EXPECT_EQ(a.maximumPreSharedKeyLength(), 512);
}

TEST(QSslPreSharedKeyAuthenticator, CopyThenMutateCopyLeavesOriginalUnchanged)
{
    const QSslPreSharedKeyAuthenticator original = filled();
    QSslPreSharedKeyAuthenticator copy(original);
    EXPECT_EQ(copy, original);
    copy.setIdentity("other");
    copy.setPreSharedKey("other key");
    EXPECT_EQ(original.identity(), QByteArray("Client_identity"));
    EXPECT_EQ(original.preSharedKey(), QByteArray::fromHex("1a2b3c4d5e6f"));
    EXPECT_EQ(copy.identityHint(), QByteArray("hint"));
    EXPECT_EQ(copy.maximumIdentityLength(), 255);
    EXPECT_NE(copy, original);
}

TEST(QSslPreSharedKeyAuthenticator, CopyAssignThenMutateLeavesSourceUnchanged)
{
    const QSslPreSharedKeyAuthenticator source = filled();
    QSslPreSharedKeyAuthenticator target;
    target = source;
    EXPECT_EQ(target, source);
    target.setIdentity("changed");
    EXPECT_EQ(source.identity(), QByteArray("Client_identity"));
}

TEST(QSslPreSharedKeyAuthenticator, GettersReturnIndependentCopies)
{
    QSslPreSharedKeyAuthenticator a = filled();
    QByteArray identity = a.identity();
    identity[0] = 'X';
    EXPECT_EQ(a.identity(), QByteArray("Client_identity"));
}

TEST(QSslPreSharedKeyAuthenticator, EqualityComparesEachOfTheFiveFields)
{
    const QSslPreSharedKeyAuthenticator base = filled();

    // One field changed at a time.
    using Change = void (*)(QSslPreSharedKeyAuthenticator &);
    const std::pair<const char *, Change> changes[] = {
        {"identity hint", [](QSslPreSharedKeyAuthenticator &a) { Access::setIdentityHint(a, "other hint"); }},
        {"identity", [](QSslPreSharedKeyAuthenticator &a) { a.setIdentity("other"); }},
        {"maximum identity length", [](QSslPreSharedKeyAuthenticator &a) { Access::setMaxima(a, 127, 512); }},
        {"key", [](QSslPreSharedKeyAuthenticator &a) { a.setPreSharedKey("other"); }},
        {"maximum key length", [](QSslPreSharedKeyAuthenticator &a) { Access::setMaxima(a, 255, 256); }},
    };
    for (const auto &[field, change] : changes) {
        QSslPreSharedKeyAuthenticator changed = base;
        change(changed);
        EXPECT_NE(changed, base) << field;
    }

    QSslPreSharedKeyAuthenticator same = filled(); // equal values, separate data
    EXPECT_TRUE(same == base);
    EXPECT_FALSE(same != base);
}

TEST(QSslPreSharedKeyAuthenticator, NullEqualsEmpty)
{
    const QSslPreSharedKeyAuthenticator defaults;
    QSslPreSharedKeyAuthenticator empties;
    empties.setIdentity("");
    empties.setPreSharedKey("");
    EXPECT_TRUE(defaults == empties);
    EXPECT_FALSE(defaults != empties);
}

TEST(QSslPreSharedKeyAuthenticator, SelfAssignmentAndSelfSwapKeepTheValue)
{
    QSslPreSharedKeyAuthenticator a = filled();
    const QSslPreSharedKeyAuthenticator expected = filled();
    QSslPreSharedKeyAuthenticator &alias = a;
    a = alias;
    EXPECT_EQ(a, expected);
    a.swap(a);
    EXPECT_EQ(a, expected);
    a = std::move(alias);
    EXPECT_EQ(a, expected);
}

TEST(QSslPreSharedKeyAuthenticator, MoveConstructionCopiesAndSourceStaysValid)
{
    QSslPreSharedKeyAuthenticator source = filled();
    QSslPreSharedKeyAuthenticator target(std::move(source)); // no move constructor: a copy
    EXPECT_EQ(target, filled());
    EXPECT_EQ(source, target); // NOLINT(bugprone-use-after-move): Qt guarantees this
    EXPECT_EQ(source.identity(), QByteArray("Client_identity"));
}

TEST(QSslPreSharedKeyAuthenticator, MoveAssignmentSwapsAndSourceStaysUsable)
{
    QSslPreSharedKeyAuthenticator source = filled();
    QSslPreSharedKeyAuthenticator target;
    target.setIdentity("previous");
    target = std::move(source);
    EXPECT_EQ(target, filled());
    // The moved-from side received target's old data: valid, usable, never null.
    EXPECT_EQ(source.identity(), QByteArray("previous")); // NOLINT(bugprone-use-after-move)
    source.setPreSharedKey("k");
    EXPECT_EQ(source.preSharedKey(), QByteArray("k"));
}

TEST(QSslPreSharedKeyAuthenticator, MemberAndFreeSwapExchangeValues)
{
    QSslPreSharedKeyAuthenticator a = filled();
    QSslPreSharedKeyAuthenticator b;
    b.setIdentity("b");
    a.swap(b);
    EXPECT_EQ(a.identity(), QByteArray("b"));
    EXPECT_EQ(b, filled());
    swap(a, b); // the namespace-scope swap from Q_DECLARE_SHARED, found by ADL
    EXPECT_EQ(a, filled());
    EXPECT_EQ(b.identity(), QByteArray("b"));
    using std::swap;
    swap(a, b);
    EXPECT_EQ(b, filled());
}

TEST(QSslPreSharedKeyAuthenticator, ValueTravelsThroughQVariant)
{
    const QVariant v = QVariant::fromValue(filled());
    EXPECT_TRUE(v.canConvert<QSslPreSharedKeyAuthenticator>());
    EXPECT_EQ(v.value<QSslPreSharedKeyAuthenticator>(), filled());
    EXPECT_EQ(QMetaType::fromType<QSslPreSharedKeyAuthenticator>().name(),
              QByteArray(QT_STRINGIFY(QTPSK_PREPEND_NAMESPACE(QSslPreSharedKeyAuthenticator)))
                      .mid(2)); // without the leading "::"
}

TEST(QSslPreSharedKeyAuthenticator, PointerMetaTypeIsRegisteredAndUsableInQVariant)
{
    const int id = qRegisterMetaType<QSslPreSharedKeyAuthenticator *>();
    EXPECT_GT(id, 0);
    QSslPreSharedKeyAuthenticator a = filled();
    const QVariant v = QVariant::fromValue(&a);
    EXPECT_EQ(v.value<QSslPreSharedKeyAuthenticator *>(), &a);
}

namespace {

class PointerEmitter : public QObject
{
    Q_OBJECT
public:
    void send(QSslPreSharedKeyAuthenticator *a) { Q_EMIT authenticator(a); }
Q_SIGNALS:
    void authenticator(QSslPreSharedKeyAuthenticator *authenticator);
};

class PointerReceiver : public QObject
{
    Q_OBJECT
public:
    std::atomic<QSslPreSharedKeyAuthenticator *> received{nullptr};
    std::atomic<QThread *> thread{nullptr};
    // Makes the hand-over visible to ThreadSanitizer, which cannot see the one inside Qt's
    // (uninstrumented) posted-event queue; set before the signal is emitted.
    std::atomic<bool> sent{false};
    QByteArray identity;
public Q_SLOTS:
    void receive(QSslPreSharedKeyAuthenticator *a)
    {
        (void)sent.load(std::memory_order_acquire);
        identity = a->identity();
        thread = QThread::currentThread();
        received = a;
    }
};

} // namespace

TEST(QSslPreSharedKeyAuthenticator, PointerTravelsThroughAQueuedConnectionBetweenThreads)
{
    PointerReceiver receiver;
    QtPskTest::WorkerThread worker(&receiver);
    PointerEmitter emitter;
    QObject::connect(&emitter, &PointerEmitter::authenticator, &receiver, &PointerReceiver::receive,
                     Qt::QueuedConnection);
    QSslPreSharedKeyAuthenticator a = filled();
    receiver.sent.store(true, std::memory_order_release);
    emitter.send(&a);
    const bool arrived = QtPskTest::waitUntil([&] { return receiver.received.load() != nullptr; });
    worker.stop();
    ASSERT_TRUE(arrived);
    EXPECT_EQ(receiver.received.load(), &a);
    EXPECT_EQ(receiver.thread.load(), worker.thread());
    EXPECT_EQ(receiver.identity, QByteArray("Client_identity"));
}

TEST(QSslPreSharedKeyAuthenticator, ConcurrentCopiesFromSeveralThreadsAreSafe)
{
    const QSslPreSharedKeyAuthenticator shared = filled();
    std::atomic<int> mismatches{0};
    // Each thread's end, published to the main thread: QThread::wait() synchronises inside Qt,
    // where ThreadSanitizer cannot see it.
    std::atomic<int> finished{0};
    std::vector<std::unique_ptr<QThread>> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back(QThread::create([&shared, &mismatches, &finished, t] {
            for (int i = 0; i < 2000; ++i) {
                QSslPreSharedKeyAuthenticator copy = shared; // shares d: atomic ref count
                if (copy != shared)
                    ++mismatches;
                copy.setIdentity(QByteArray::number(t * 10000 + i)); // detaches
                if (copy.identity() != QByteArray::number(t * 10000 + i)
                        || copy.preSharedKey() != shared.preSharedKey())
                    ++mismatches;
            }
            finished.fetch_add(1, std::memory_order_release);
        }));
        threads.back()->start();
    }
    for (auto &thread : threads)
        thread->wait();
    EXPECT_EQ(finished.load(std::memory_order_acquire), 4);
    EXPECT_EQ(mismatches.load(), 0);
    EXPECT_EQ(shared, filled());
}

TEST(QSslPreSharedKeyAuthenticator, WipeLeavesBytesSharedWithACallerAlone)
{
    QByteArray callerKey = QByteArray::fromHex("00112233445566778899");
    const QByteArray expected = callerKey;
    {
        QSslPreSharedKeyAuthenticator a;
        a.setPreSharedKey(callerKey);
        a.setPreSharedKey("replacement"); // wipes its own copy, never the caller's bytes
    }
    EXPECT_EQ(callerKey, expected);

    QByteArray fromGetter;
    {
        QSslPreSharedKeyAuthenticator a;
        a.setPreSharedKey(expected);
        fromGetter = a.preSharedKey(); // still shared with the caller when a dies
    }
    EXPECT_EQ(fromGetter, expected);
}

TEST(QSslPreSharedKeyAuthenticator, WipeByteArrayCleansBytesOnlyItsOwnerHolds)
{
    QByteArray owned(32, '\x7f');
    const char *bytes = owned.constData();
    QByteArray shared = owned;
    QtPskPrivate::wipeByteArray(shared);   // shared: released, not wiped
    EXPECT_TRUE(shared.isNull());
    EXPECT_EQ(owned, QByteArray(32, '\x7f'));
    ASSERT_TRUE(owned.isDetached());
    QByteArray alias = QByteArray::fromRawData(bytes, owned.size()); // views the bytes, owns nothing
    QtPskPrivate::wipeByteArray(owned);    // sole owner: bytes cleansed, then released
    EXPECT_TRUE(owned.isNull());
    Q_UNUSED(alias);
}

#include "qsslpresharedkeyauthenticator_test.moc"
