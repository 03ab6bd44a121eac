// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QtPsk/qepolleventdispatcher.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qpointer.h>
#include <QtCore/qsocketnotifier.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

// Every case runs its body in a thread whose event dispatcher is a QEpollEventDispatcher.
class EpollThread : public QThread
{
public:
    explicit EpollThread(std::function<void()> body) : m_body(std::move(body))
    {
        //! [install-thread]
        // Before start(): the thread takes ownership of the dispatcher.
        setEventDispatcher(new QEpollEventDispatcher);
        //! [install-thread]
    }

protected:
    void run() override { m_body(); }

private:
    std::function<void()> m_body;
};

void onEpoll(std::function<void()> body)
{
    EpollThread thread([&body] {
        ASSERT_NE(qobject_cast<QEpollEventDispatcher *>(QAbstractEventDispatcher::instance()),
                  nullptr);
        body();
    });
    thread.start();
    ASSERT_TRUE(thread.wait(QDeadlineTimer(120000)));
}

// Runs blocking passes of the event loop until \a done or a generous bound (a failed
// expectation, not a hang); a ticking timer ends each wait that nothing else ends.
void runUntil(const std::function<bool()> &done)
{
    QTimer tick;
    tick.start(100);
    QElapsedTimer bound;
    bound.start();
    while (!done() && bound.elapsed() < 20000)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
}

struct SocketPair
{
    int fds[2] = {-1, -1};
    SocketPair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0); }
    ~SocketPair()
    {
        for (int fd : fds) {
            if (fd >= 0)
                ::close(fd);
        }
    }
    void send(char c = 'x') const { ASSERT_EQ(::write(fds[1], &c, 1), 1); }
    int drain() const
    {
        char buf[64];
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        return n < 0 ? 0 : int(n);
    }
};

// A notifier that counts its activations.
struct CountingNotifier
{
    QSocketNotifier notifier;
    int activations = 0;
    CountingNotifier(int fd, QSocketNotifier::Type type) : notifier(fd, type)
    {
        QObject::connect(&notifier, &QSocketNotifier::activated, [this] { ++activations; });
    }
};

class TimerCounter : public QObject
{
public:
    std::function<void(int)> onTimer;
    std::vector<int> fired;

protected:
    void timerEvent(QTimerEvent *event) override
    {
        fired.push_back(event->timerId());
        if (onTimer)
            onTimer(event->timerId());
    }
};

TEST(QEpollEventDispatcher, TimersFireInDeadlineOrder)
{
    onEpoll([] {
        // Registered out of order, 100 ms apart: only a registration slower than 100 ms (none
        // is, even under valgrind) could change the deadlines' order.
        TimerCounter counter;
        counter.onTimer = [&](int id) { counter.killTimer(id); };
        std::vector<std::pair<int, int>> timers; // (interval, id)
        for (const int ms : {300, 100, 500, 200, 400})
            timers.emplace_back(ms, counter.startTimer(ms, Qt::PreciseTimer));
        runUntil([&] { return counter.fired.size() == timers.size(); });
        std::sort(timers.begin(), timers.end());
        std::vector<int> expected;
        for (const auto &timer : timers)
            expected.push_back(timer.second);
        EXPECT_EQ(counter.fired, expected);
    });
}

TEST(QEpollEventDispatcher, PreciseTimerNeverFiresEarly)
{
    onEpoll([] {
        for (const int ms : {1, 3, 7, 16, 25, 50}) {
            QElapsedTimer elapsed;
            elapsed.start();
            QEventLoop loop;
            qint64 at = -1;
            QTimer::singleShot(ms, Qt::PreciseTimer, &loop, [&] {
                at = elapsed.nsecsElapsed();
                loop.quit();
            });
            loop.exec();
            EXPECT_GE(at, qint64(ms) * 1000000) << ms << " ms";
        }
        // A periodic precise timer: the n-th firing comes no earlier than n intervals.
        QTimer timer;
        timer.setTimerType(Qt::PreciseTimer);
        timer.setInterval(5);
        QElapsedTimer elapsed;
        int count = 0;
        bool early = false;
        QObject::connect(&timer, &QTimer::timeout, [&] {
            ++count;
            if (elapsed.nsecsElapsed() < qint64(count) * 5 * 1000000)
                early = true;
        });
        elapsed.start();
        timer.start();
        runUntil([&] { return count >= 20; });
        EXPECT_EQ(count, 20);
        EXPECT_FALSE(early);
    });
}

TEST(QEpollEventDispatcher, CoarseAndVeryCoarseTimersFireNotEarly)
{
    onEpoll([] {
        for (const auto type : {Qt::CoarseTimer, Qt::VeryCoarseTimer}) {
            QElapsedTimer elapsed;
            elapsed.start();
            QEventLoop loop;
            qint64 at = -1;
            QTimer::singleShot(100, type, &loop, [&] {
                at = elapsed.elapsed();
                loop.quit();
            });
            loop.exec();
            EXPECT_GE(at, 100);
        }
    });
}

TEST(QEpollEventDispatcher, KillTimerInsideItsTimerEvent)
{
    onEpoll([] {
        TimerCounter counter;
        int self = counter.startTimer(0);
        int other = counter.startTimer(0);
        // The first kills itself and the second, which is due in the same pass.
        counter.onTimer = [&](int id) {
            if (id == self) {
                counter.killTimer(self);
                counter.killTimer(other);
            }
        };
        for (int i = 0; i < 10; ++i)
            QCoreApplication::processEvents();
        EXPECT_EQ(counter.fired, std::vector<int>{self});
        auto *dispatcher = QAbstractEventDispatcher::instance();
        EXPECT_TRUE(dispatcher->registeredTimers(&counter).isEmpty());
        EXPECT_EQ(dispatcher->remainingTime(self), -1);
    });
}

TEST(QEpollEventDispatcher, TimerDoesNotRecurseIntoItsOwnEvent)
{
    onEpoll([] {
        TimerCounter counter;
        int depth = 0;
        int maxDepth = 0;
        const int id = counter.startTimer(1, Qt::PreciseTimer);
        counter.onTimer = [&](int) {
            ++depth;
            maxDepth = std::max(maxDepth, depth);
            if (counter.fired.size() == 1) {
                // A nested loop longer than the interval: the timer must not fire inside it.
                QEventLoop nested;
                QTimer::singleShot(30, Qt::PreciseTimer, &nested, &QEventLoop::quit);
                nested.exec();
            }
            --depth;
        };
        runUntil([&] { return counter.fired.size() >= 3; });
        counter.killTimer(id);
        EXPECT_EQ(maxDepth, 1);
        EXPECT_GE(counter.fired.size(), 3u);
    });
}

TEST(QEpollEventDispatcher, ManyTimersAllFire)
{
    onEpoll([] {
        constexpr int count = 2000;
        int fired = 0;
        bool early = false;
        QElapsedTimer elapsed;
        elapsed.start();
        QObject context;
        for (int i = 0; i < count; ++i) {
            const int ms = (i * 7) % 60;
            QTimer::singleShot(ms, Qt::PreciseTimer, &context, [&, ms] {
                ++fired;
                if (elapsed.nsecsElapsed() < qint64(ms) * 1000000)
                    early = true;
            });
        }
        runUntil([&] { return fired == count; });
        EXPECT_EQ(fired, count);
        EXPECT_FALSE(early);
    });
}

TEST(QEpollEventDispatcher, RegisteredTimersAndRemainingTime)
{
    onEpoll([] {
        QObject object;
        const int a = object.startTimer(1000, Qt::PreciseTimer);
        const int b = object.startTimer(50000, Qt::VeryCoarseTimer);
        auto *dispatcher = QAbstractEventDispatcher::instance();
        const auto timers = dispatcher->registeredTimers(&object);
        ASSERT_EQ(timers.size(), 2);
        EXPECT_EQ(timers.at(0).timerId, a);
        EXPECT_EQ(timers.at(0).interval, 1000);
        EXPECT_EQ(timers.at(0).timerType, Qt::PreciseTimer);
        EXPECT_EQ(timers.at(1).timerId, b);
        EXPECT_EQ(timers.at(1).timerType, Qt::VeryCoarseTimer);
        const int left = dispatcher->remainingTime(a);
        EXPECT_GT(left, 0);
        EXPECT_LE(left, 1000);
        object.killTimer(a);
        EXPECT_EQ(dispatcher->remainingTime(a), -1);
        EXPECT_EQ(dispatcher->registeredTimers(&object).size(), 1);
    });
}

TEST(QEpollEventDispatcher, SingleShotZeroAndPeriodicZeroTimer)
{
    onEpoll([] {
        bool single = false;
        QTimer::singleShot(0, [&] { single = true; });
        QTimer zero;
        int ticks = 0;
        QObject::connect(&zero, &QTimer::timeout, [&] { ++ticks; });
        zero.start(0);
        runUntil([&] { return single && ticks >= 5; });
        EXPECT_TRUE(single);
        EXPECT_GE(ticks, 5);
    });
}

TEST(QEpollEventDispatcher, PostedEventsAndDeleteLater)
{
    onEpoll([] {
        QPointer<QObject> doomed = new QObject;
        doomed->deleteLater();
        bool invoked = false;
        QObject context;
        QMetaObject::invokeMethod(&context, [&] { invoked = true; }, Qt::QueuedConnection);
        QEventLoop loop;
        QTimer::singleShot(0, &loop, &QEventLoop::quit);
        loop.exec();
        EXPECT_TRUE(invoked);
        EXPECT_TRUE(doomed.isNull());
    });
}

TEST(QEpollEventDispatcher, CrossThreadPostsWakeTheLoop)
{
    onEpoll([] {
        constexpr int posts = 500;
        QObject context;
        QEventLoop loop;
        int received = 0;
        // Qt's posted-event queue hands each functor over through a QMutex that ThreadSanitizer
        // cannot see (a futex inside the uninstrumented QtCore); this mutex makes the hand-over of
        // the functor's captures visible to it. It orders nothing the test checks.
        static std::mutex handover;
        std::thread poster([&] {
            for (int i = 0; i < posts; ++i) {
                const std::lock_guard<std::mutex> posting(handover);
                QMetaObject::invokeMethod(&context, [&] {
                    const std::lock_guard<std::mutex> running(handover);
                    if (++received == posts)
                        loop.quit();
                }, Qt::QueuedConnection);
                if (i % 50 == 0)
                    std::this_thread::yield();
            }
        });
        loop.exec(); // no timer: only the posts' wakeUp() can end the wait
        poster.join();
        EXPECT_EQ(received, posts);
    });
}

TEST(QEpollEventDispatcher, InterruptFromAnotherThreadEndsTheWait)
{
    onEpoll([] {
        auto *dispatcher = QAbstractEventDispatcher::instance();
        std::atomic<bool> waiting{false};
        QObject::connect(dispatcher, &QAbstractEventDispatcher::aboutToBlock, dispatcher,
                         [&] { waiting = true; }, Qt::DirectConnection);
        std::thread other([&] {
            while (!waiting)
                std::this_thread::yield();
            dispatcher->interrupt();
        });
        // No timer, no notifier, no post: only interrupt() ends this wait.
        dispatcher->processEvents(QEventLoop::WaitForMoreEvents);
        other.join();
        EXPECT_TRUE(waiting);
    });
}

TEST(QEpollEventDispatcher, AwakeAndAboutToBlockAreEmitted)
{
    onEpoll([] {
        auto *dispatcher = QAbstractEventDispatcher::instance();
        int awake = 0;
        int aboutToBlock = 0;
        QObject::connect(dispatcher, &QAbstractEventDispatcher::awake, [&] { ++awake; });
        QObject::connect(dispatcher, &QAbstractEventDispatcher::aboutToBlock,
                         [&] { ++aboutToBlock; });
        QEventLoop loop;
        QTimer::singleShot(5, &loop, &QEventLoop::quit);
        loop.exec();
        EXPECT_GE(awake, 1);
        EXPECT_GE(aboutToBlock, 1);
        const int blocked = aboutToBlock;
        dispatcher->processEvents(QEventLoop::AllEvents); // no wait: no aboutToBlock()
        EXPECT_EQ(aboutToBlock, blocked);
    });
}

TEST(QEpollEventDispatcher, EventLoopExecReturnsExitCode)
{
    onEpoll([] {
        QEventLoop outer;
        int nestedResult = -1;
        QTimer::singleShot(1, &outer, [&] {
            QEventLoop nested;
            QTimer::singleShot(1, &nested, [&] { nested.exit(7); });
            nestedResult = nested.exec();
            outer.exit(42);
        });
        EXPECT_EQ(outer.exec(), 42);
        EXPECT_EQ(nestedResult, 7);
    });
}

TEST(QEpollEventDispatcher, ReadNotifierFiresAndRefiresWhileUnread)
{
    onEpoll([] {
        SocketPair pair;
        CountingNotifier reader(pair.fds[0], QSocketNotifier::Read);
        for (int i = 0; i < 3; ++i)
            QCoreApplication::processEvents();
        EXPECT_EQ(reader.activations, 0); // nothing to read yet
        pair.send();
        // Level-triggered: not reading keeps the descriptor ready, pass after pass.
        runUntil([&] { return reader.activations >= 5; });
        EXPECT_GE(reader.activations, 5);
        EXPECT_EQ(pair.drain(), 1);
        const int before = reader.activations;
        for (int i = 0; i < 3; ++i)
            QCoreApplication::processEvents();
        EXPECT_EQ(reader.activations, before);
    });
}

TEST(QEpollEventDispatcher, WriteNotifierFiresOnWritableSocket)
{
    onEpoll([] {
        SocketPair pair;
        QSocketNotifier notifier(pair.fds[1], QSocketNotifier::Write);
        int activations = 0;
        QObject::connect(&notifier, &QSocketNotifier::activated, [&](QSocketDescriptor fd,
                                                                   QSocketNotifier::Type type) {
            EXPECT_EQ(int(fd), pair.fds[1]);
            EXPECT_EQ(type, QSocketNotifier::Write);
            ++activations;
        });
        runUntil([&] { return activations >= 2; });
        EXPECT_GE(activations, 2);
    });
}

TEST(QEpollEventDispatcher, NotifierDisabledAndEnabledInsideItsActivation)
{
    onEpoll([] {
        SocketPair pair;
        QSocketNotifier notifier(pair.fds[0], QSocketNotifier::Read);
        int activations = 0;
        QObject::connect(&notifier, &QSocketNotifier::activated, [&] {
            ++activations;
            notifier.setEnabled(false);
            if (activations == 2) {
                notifier.setEnabled(true); // disabled and enabled again in one activation
                pair.drain();
            }
        });
        pair.send();
        runUntil([&] { return activations >= 1; });
        for (int i = 0; i < 5; ++i)
            QCoreApplication::processEvents();
        EXPECT_EQ(activations, 1); // disabled: the unread byte does not activate it
        notifier.setEnabled(true);
        runUntil([&] { return activations >= 2; });
        EXPECT_EQ(activations, 2);
        EXPECT_TRUE(notifier.isEnabled());
        pair.send();
        runUntil([&] { return activations >= 3; });
        EXPECT_EQ(activations, 3);
    });
}

TEST(QEpollEventDispatcher, NotifierDeletedInsideActivation)
{
    onEpoll([] {
        SocketPair pair;
        // Read and Write on one descriptor are ready in the same pass; whichever comes first
        // deletes both, so the other, already pending, must not be activated.
        auto *reader = new QSocketNotifier(pair.fds[0], QSocketNotifier::Read);
        auto *writer = new QSocketNotifier(pair.fds[0], QSocketNotifier::Write);
        QPointer<QSocketNotifier> readerAlive = reader;
        QPointer<QSocketNotifier> writerAlive = writer;
        int activations = 0;
        const auto deleteBoth = [&] {
            ++activations;
            delete readerAlive.data();
            delete writerAlive.data();
        };
        QObject::connect(reader, &QSocketNotifier::activated, deleteBoth);
        QObject::connect(writer, &QSocketNotifier::activated, deleteBoth);
        pair.send();
        runUntil([&] { return activations >= 1; });
        for (int i = 0; i < 5; ++i)
            QCoreApplication::processEvents();
        EXPECT_EQ(activations, 1);
        EXPECT_TRUE(readerAlive.isNull());
        EXPECT_TRUE(writerAlive.isNull());
    });
}

TEST(QEpollEventDispatcher, TwoNotifiersOnOneDescriptor)
{
    onEpoll([] {
        SocketPair pair;
        QSocketNotifier reader(pair.fds[0], QSocketNotifier::Read);
        QSocketNotifier writer(pair.fds[0], QSocketNotifier::Write);
        int reads = 0;
        int writes = 0;
        QObject::connect(&reader, &QSocketNotifier::activated, [&] { ++reads; pair.drain(); });
        QObject::connect(&writer, &QSocketNotifier::activated, [&] { ++writes; });
        pair.send();
        runUntil([&] { return reads >= 1 && writes >= 1; });
        EXPECT_EQ(reads, 1);
        EXPECT_GE(writes, 1);
        // Disabling one keeps the other's registration.
        writer.setEnabled(false);
        const int writesBefore = writes;
        pair.send();
        runUntil([&] { return reads >= 2; });
        EXPECT_EQ(reads, 2);
        EXPECT_EQ(writes, writesBefore);
        reader.setEnabled(false);
        writer.setEnabled(true);
        runUntil([&] { return writes > writesBefore; });
        EXPECT_GT(writes, writesBefore);
    });
}

TEST(QEpollEventDispatcher, DescriptorClosedWhileRegisteredAndNumberReused)
{
    onEpoll([] {
        auto first = std::make_unique<SocketPair>();
        const int number = first->fds[0];
        auto stale = std::make_unique<QSocketNotifier>(number, QSocketNotifier::Read);
        ::close(first->fds[0]);
        first->fds[0] = -1;
        for (int i = 0; i < 3; ++i)
            QCoreApplication::processEvents(); // closed: no activation, no crash
        // A new socket takes the lowest free number, the one just closed.
        int fds[2];
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
        EXPECT_EQ(fds[0], number);
        stale.reset(); // unregisters the old notifier of that number
        CountingNotifier fresh(fds[0], QSocketNotifier::Read);
        char c = 'y';
        ASSERT_EQ(::write(fds[1], &c, 1), 1);
        runUntil([&] { return fresh.activations >= 1; });
        EXPECT_GE(fresh.activations, 1);
        fresh.notifier.setEnabled(false);
        ::close(fds[0]);
        ::close(fds[1]);
    });
}

TEST(QEpollEventDispatcher, ExcludeSocketNotifiersDefersActivation)
{
    onEpoll([] {
        SocketPair pair;
        CountingNotifier reader(pair.fds[0], QSocketNotifier::Read);
        pair.send();
        for (int i = 0; i < 3; ++i)
            QCoreApplication::processEvents(QEventLoop::ExcludeSocketNotifiers);
        EXPECT_EQ(reader.activations, 0);
        runUntil([&] { return reader.activations >= 1; });
        EXPECT_GE(reader.activations, 1);
    });
}

TEST(QEpollEventDispatcher, RegularFileIsAlwaysReadyAsWithPoll)
{
    onEpoll([] {
        char path[] = "/tmp/qtpsk_epoll_XXXXXX";
        const int fd = mkstemp(path);
        ASSERT_GE(fd, 0);
        ::unlink(path);
        {
            CountingNotifier reader(fd, QSocketNotifier::Read);
            runUntil([&] { return reader.activations >= 2; });
            EXPECT_GE(reader.activations, 2);
        }
        ::close(fd);
    });
}

} // namespace
