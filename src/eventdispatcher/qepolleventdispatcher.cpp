// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "qepolleventdispatcher.h"

#include "epolltimers_p.h"
#include "qtpsklogging_p.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qcoreevent.h>
#include <QtCore/qsocketnotifier.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <unordered_map>
#include <vector>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

namespace {

// The notifier types in the order their pending activations are queued for one descriptor.
constexpr int notifierTypes = 3;

int typeIndex(QSocketNotifier::Type type)
{
    switch (type) {
    case QSocketNotifier::Read:
        return 0;
    case QSocketNotifier::Write:
        return 1;
    case QSocketNotifier::Exception:
        break;
    }
    return 2;
}

const char *typeName(int index)
{
    static const char *const names[notifierTypes] = {"Read", "Write", "Exception"};
    return names[index];
}

// What epoll waits for, per notifier type, and which reported events activate it (as poll()
// does in QEventDispatcherUNIX: a hang-up or an error wakes the reader, an error the writer).
constexpr uint32_t requested[notifierTypes] = {EPOLLIN, EPOLLOUT, EPOLLPRI};
constexpr uint32_t activating[notifierTypes] = {EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP,
                                                EPOLLOUT | EPOLLERR, EPOLLPRI};

// The starting and the largest number of events taken from one epoll_wait(): the buffer grows
// while a wait fills it; the kernel reports the rest on the next pass, in turn.
constexpr std::size_t initialEventBuffer = 64;
constexpr std::size_t maxEventBuffer = 1024;

} // namespace

class EpollEventDispatcherPrivate
{
public:
    struct Descriptor
    {
        QSocketNotifier *notifiers[notifierTypes] = {};
        bool pending[notifierTypes] = {};
        uint32_t registered = 0; // the events given to epoll_ctl(), 0: not in the epoll set
        // epoll refuses descriptors that are always ready (regular files): they are ready on
        // every pass, as poll() reports them.
        bool alwaysReady = false;
    };

    void update(int fd, Descriptor &entry);
    void markPending(Descriptor &entry, uint32_t ready);
    void drainWakeUps();
    int activateSocketNotifiers();
    int wait(bool includeNotifiers, int timeoutMs);

    int epollFd = -1;
    int wakeFd = -1;
    std::atomic<int> wakeUps{0};
    std::atomic<bool> interrupted{false};
    std::unordered_map<int, Descriptor> descriptors;
    std::size_t alwaysReadyCount = 0;
    std::deque<QSocketNotifier *> pending;
    std::vector<epoll_event> events = std::vector<epoll_event>(initialEventBuffer);
    EpollTimers timers;
};

void EpollEventDispatcherPrivate::update(int fd, Descriptor &entry)
{
    uint32_t wanted = 0;
    for (int i = 0; i < notifierTypes; ++i) {
        if (entry.notifiers[i])
            wanted |= requested[i];
    }
    if (entry.alwaysReady) {
        if (wanted == 0) {
            entry.alwaysReady = false;
            --alwaysReadyCount;
        }
        entry.registered = wanted;
        return;
    }
    if (wanted == entry.registered)
        return;
    epoll_event event = {};
    event.events = wanted;
    event.data.fd = fd;
    int rc = 0;
    if (wanted == 0) {
        // A descriptor already closed has left the epoll set by itself (ENOENT, EBADF).
        rc = epoll_ctl(epollFd, EPOLL_CTL_DEL, fd, &event);
        if (rc != 0 && (errno == ENOENT || errno == EBADF))
            rc = 0;
    } else if (entry.registered == 0) {
        rc = epoll_ctl(epollFd, EPOLL_CTL_ADD, fd, &event);
        if (rc != 0 && errno == EEXIST)
            rc = epoll_ctl(epollFd, EPOLL_CTL_MOD, fd, &event);
    } else {
        // ENOENT: the descriptor was closed and its number reused since it was added.
        rc = epoll_ctl(epollFd, EPOLL_CTL_MOD, fd, &event);
        if (rc != 0 && errno == ENOENT)
            rc = epoll_ctl(epollFd, EPOLL_CTL_ADD, fd, &event);
    }
    if (rc != 0 && errno == EPERM && wanted != 0) {
        entry.alwaysReady = true;
        ++alwaysReadyCount;
    } else if (rc != 0) {
        qCWarning(lcQtPskEventDispatcher, "QEpollEventDispatcher: epoll_ctl on descriptor %d "
                  "failed: %s", fd, std::strerror(errno));
        wanted = 0;
    }
    entry.registered = wanted;
}

void EpollEventDispatcherPrivate::markPending(Descriptor &entry, uint32_t ready)
{
    for (int i = 0; i < notifierTypes; ++i) {
        if (entry.notifiers[i] && !entry.pending[i] && (ready & activating[i])) {
            entry.pending[i] = true;
            pending.push_back(entry.notifiers[i]);
        }
    }
}

void EpollEventDispatcherPrivate::drainWakeUps()
{
    eventfd_t value = 0;
    (void)eventfd_read(wakeFd, &value);
    // Reset after the read: a wakeUp() in between finds the flag still set and writes nothing,
    // but its event was posted before this reset, so the next processEvents() sends it first.
    wakeUps.store(0, std::memory_order_release);
}

int EpollEventDispatcherPrivate::wait(bool includeNotifiers, int timeoutMs)
{
    int woken = 0;
    if (!includeNotifiers) {
        pollfd wake = {wakeFd, POLLIN, 0};
        if (::poll(&wake, 1, timeoutMs) > 0 && (wake.revents & POLLIN)) {
            drainWakeUps();
            woken = 1;
        }
        return woken;
    }
    if (alwaysReadyCount > 0)
        timeoutMs = 0;
    const int count = epoll_wait(epollFd, events.data(), int(events.size()), timeoutMs);
    if (count < 0) {
        if (errno != EINTR)
            qCWarning(lcQtPskEventDispatcher, "QEpollEventDispatcher: epoll_wait failed: %s",
                      std::strerror(errno));
        return 0;
    }
    for (int i = 0; i < count; ++i) {
        const int fd = events[std::size_t(i)].data.fd;
        if (fd == wakeFd) {
            drainWakeUps();
            woken = 1;
            continue;
        }
        const auto it = descriptors.find(fd);
        if (it != descriptors.end())
            markPending(it->second, events[std::size_t(i)].events);
    }
    if (alwaysReadyCount > 0) {
        for (auto &[fd, entry] : descriptors) {
            if (entry.alwaysReady)
                markPending(entry, EPOLLIN | EPOLLOUT);
        }
    }
    if (std::size_t(count) == events.size() && events.size() < maxEventBuffer)
        events.resize(events.size() * 2);
    return woken;
}

int EpollEventDispatcherPrivate::activateSocketNotifiers()
{
    int activated = 0;
    QEvent event(QEvent::SockAct);
    // A notifier unregistered meanwhile (disabled, deleted) has been taken out of the queue.
    while (!pending.empty()) {
        QSocketNotifier *notifier = pending.front();
        pending.pop_front();
        const auto it = descriptors.find(int(notifier->socket()));
        if (it != descriptors.end())
            it->second.pending[typeIndex(notifier->type())] = false;
        QCoreApplication::sendEvent(notifier, &event);
        ++activated;
    }
    return activated;
}

} // namespace QtPskPrivate

using QtPskPrivate::EpollEventDispatcherPrivate;

QEpollEventDispatcher::QEpollEventDispatcher(QObject *parent)
    : QAbstractEventDispatcher(parent), d(std::make_unique<EpollEventDispatcherPrivate>())
{
    d->epollFd = epoll_create1(EPOLL_CLOEXEC);
    d->wakeFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (d->epollFd < 0 || d->wakeFd < 0) {
        qCWarning(lcQtPskEventDispatcher, "QEpollEventDispatcher: cannot create the epoll set "
                  "or the eventfd: %s", std::strerror(errno));
        return;
    }
    epoll_event event = {};
    event.events = EPOLLIN;
    event.data.fd = d->wakeFd;
    if (epoll_ctl(d->epollFd, EPOLL_CTL_ADD, d->wakeFd, &event) != 0)
        qCWarning(lcQtPskEventDispatcher, "QEpollEventDispatcher: cannot watch the eventfd: %s",
                  std::strerror(errno));
}

QEpollEventDispatcher::~QEpollEventDispatcher()
{
    if (d->wakeFd >= 0)
        ::close(d->wakeFd);
    if (d->epollFd >= 0)
        ::close(d->epollFd);
}

bool QEpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    d->interrupted.store(false, std::memory_order_relaxed);
    Q_EMIT awake();
    QCoreApplication::sendPostedEvents();

    const bool includeTimers = !(flags & QEventLoop::X11ExcludeTimers);
    const bool includeNotifiers = !(flags & QEventLoop::ExcludeSocketNotifiers);
    const bool canWait = (flags & QEventLoop::WaitForMoreEvents)
            && !d->interrupted.load(std::memory_order_relaxed);
    if (canWait)
        Q_EMIT aboutToBlock();
    if (d->interrupted.load(std::memory_order_relaxed))
        return false;
    if (d->epollFd < 0 || d->wakeFd < 0)
        return false;

    int timeoutMs = 0;
    if (canWait)
        timeoutMs = includeTimers ? d->timers.waitMs() : -1;
    int activated = d->wait(includeNotifiers, timeoutMs);
    if (includeNotifiers)
        activated += d->activateSocketNotifiers();
    if (includeTimers)
        activated += d->timers.activate();
    return activated > 0;
}

void QEpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    const int fd = int(notifier->socket());
    const int index = QtPskPrivate::typeIndex(notifier->type());
    EpollEventDispatcherPrivate::Descriptor &entry = d->descriptors[fd];
    if (entry.notifiers[index] && entry.notifiers[index] != notifier) {
        qCWarning(lcQtPskEventDispatcher, "QSocketNotifier: Multiple socket notifiers for same "
                  "socket %d and type %s", fd, QtPskPrivate::typeName(index));
        if (entry.pending[index]) {
            auto &queue = d->pending;
            queue.erase(std::remove(queue.begin(), queue.end(), entry.notifiers[index]),
                        queue.end());
            entry.pending[index] = false;
        }
    }
    entry.notifiers[index] = notifier;
    d->update(fd, entry);
}

void QEpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    const int fd = int(notifier->socket());
    const auto it = d->descriptors.find(fd);
    if (it == d->descriptors.end())
        return;
    EpollEventDispatcherPrivate::Descriptor &entry = it->second;
    const int index = QtPskPrivate::typeIndex(notifier->type());
    if (entry.notifiers[index] != notifier)
        return;
    entry.notifiers[index] = nullptr;
    if (entry.pending[index]) {
        auto &queue = d->pending;
        queue.erase(std::find(queue.begin(), queue.end(), notifier));
        entry.pending[index] = false;
    }
    d->update(fd, entry);
    if (!entry.notifiers[0] && !entry.notifiers[1] && !entry.notifiers[2])
        d->descriptors.erase(it);
}

void QEpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                                          QObject *object)
{
    d->timers.add(timerId, interval, timerType, object);
}

bool QEpollEventDispatcher::unregisterTimer(int timerId)
{
    return d->timers.remove(timerId);
}

bool QEpollEventDispatcher::unregisterTimers(QObject *object)
{
    return d->timers.removeAll(object);
}

QList<QAbstractEventDispatcher::TimerInfo>
QEpollEventDispatcher::registeredTimers(QObject *object) const
{
    return d->timers.timersOf(object);
}

int QEpollEventDispatcher::remainingTime(int timerId)
{
    return d->timers.remaining(timerId);
}

void QEpollEventDispatcher::wakeUp()
{
    int expected = 0;
    if (d->wakeUps.compare_exchange_strong(expected, 1, std::memory_order_acquire))
        (void)eventfd_write(d->wakeFd, 1);
}

void QEpollEventDispatcher::interrupt()
{
    d->interrupted.store(true, std::memory_order_relaxed);
    wakeUp();
}

QTPSK_END_NAMESPACE
