// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "epolltimers_p.h"

#include <QtCore/qbasictimer.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qcoreevent.h>

#include <algorithm>
#include <climits>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

namespace {

using Clock = EpollTimers::Clock;
using Ms = std::chrono::milliseconds;

// Rounds \a t up to a multiple of \a step on the steady clock.
Clock::time_point roundUp(Clock::time_point t, Clock::duration step)
{
    const auto since = t.time_since_epoch();
    const auto rest = since % step;
    return rest == Clock::duration::zero() ? t : t + (step - rest);
}

// The coarse timer's step: the largest of a few round values within 5 % of the interval, so
// that coarse timers of similar intervals fall due together.
Clock::duration coarseStep(qint64 intervalMs)
{
    static constexpr qint64 steps[] = {500, 200, 100, 50, 20, 10, 5, 2, 1};
    const qint64 slack = intervalMs / 20;
    for (const qint64 step : steps) {
        if (step <= slack)
            return Ms(step);
    }
    return Ms(1);
}

// Qt's bounds: below 20 ms, 5 % is under a millisecond (precise); from 20 s on, 5 % is over a
// second (very coarse). A very coarse timer under a second keeps the coarse accuracy.
Qt::TimerType effectiveType(qint64 intervalMs, Qt::TimerType type)
{
    if (type == Qt::CoarseTimer) {
        if (intervalMs <= 20)
            return Qt::PreciseTimer;
        if (intervalMs >= 20000)
            return Qt::VeryCoarseTimer;
    }
    if (type == Qt::VeryCoarseTimer && intervalMs < 1000)
        return intervalMs <= 20 ? Qt::PreciseTimer : Qt::CoarseTimer;
    return type;
}

int msUntil(Clock::time_point deadline, Clock::time_point now)
{
    if (deadline <= now)
        return 0;
    // Rounded up: a wait never ends before the deadline.
    const auto ms = std::chrono::ceil<Ms>(deadline - now).count();
    return ms > INT_MAX ? INT_MAX : int(ms);
}

} // namespace

void EpollTimers::schedule(Timer *t, Clock::time_point now, bool first)
{
    const Ms interval(t->interval);
    if (first) {
        t->ideal = now + interval;
    } else {
        t->ideal += interval;
        if (t->ideal < now) // fell behind (a long pass): start again from now, no burst
            t->ideal = now + interval;
    }
    switch (t->effectiveType) {
    case Qt::PreciseTimer:
        t->deadline = t->ideal;
        break;
    case Qt::CoarseTimer:
        t->deadline = roundUp(t->ideal, coarseStep(t->interval));
        break;
    case Qt::VeryCoarseTimer:
        t->deadline = roundUp(t->ideal, std::chrono::seconds(1));
        break;
    }
    t->order = m_nextOrder++;
    m_queue.emplace(Key(t->deadline, t->order), t);
}

void EpollTimers::add(int id, qint64 intervalMs, Qt::TimerType type, QObject *object)
{
    auto t = std::make_unique<Timer>();
    t->id = id;
    t->interval = std::max<qint64>(intervalMs, 0);
    t->type = type;
    t->effectiveType = effectiveType(t->interval, type);
    t->object = object;
    schedule(t.get(), Clock::now(), true);
    m_byObject[object].push_back(id);
    m_byId[id] = std::move(t);
}

void EpollTimers::erase(std::unordered_map<int, std::unique_ptr<Timer>>::iterator it)
{
    Timer *t = it->second.get();
    m_queue.erase(Key(t->deadline, t->order));
    if (t->activeRef) // inside its own timerEvent(): activate() must not touch it afterwards
        *t->activeRef = nullptr;
    const auto owner = m_byObject.find(t->object);
    if (owner != m_byObject.end()) {
        std::vector<int> &ids = owner->second;
        ids.erase(std::remove(ids.begin(), ids.end(), t->id), ids.end());
        if (ids.empty())
            m_byObject.erase(owner);
    }
    m_byId.erase(it);
}

bool EpollTimers::remove(int id)
{
    const auto it = m_byId.find(id);
    if (it == m_byId.end())
        return false;
    erase(it);
    return true;
}

bool EpollTimers::removeAll(QObject *object)
{
    const auto owner = m_byObject.find(object);
    if (owner == m_byObject.end())
        return false;
    const std::vector<int> ids = owner->second; // erase() edits the list
    for (const int id : ids) {
        const auto it = m_byId.find(id);
        if (it != m_byId.end())
            erase(it);
    }
    return true;
}

QList<QAbstractEventDispatcher::TimerInfo> EpollTimers::timersOf(QObject *object) const
{
    QList<QAbstractEventDispatcher::TimerInfo> list;
    const auto owner = m_byObject.find(object);
    if (owner == m_byObject.end())
        return list;
    for (const int id : owner->second) {
        const Timer &t = *m_byId.at(id);
        list.append(QAbstractEventDispatcher::TimerInfo(t.id, int(t.interval), t.type));
    }
    return list;
}

int EpollTimers::remaining(int id) const
{
    const auto it = m_byId.find(id);
    if (it == m_byId.end())
        return -1;
    return msUntil(it->second->deadline, Clock::now());
}

int EpollTimers::waitMs() const
{
    for (const auto &[key, t] : m_queue) {
        if (!t->activeRef)
            return msUntil(key.first, Clock::now());
    }
    return -1;
}

int EpollTimers::activate()
{
    if (m_queue.empty())
        return 0;
    const quint64 pass = ++m_pass;
    const Clock::time_point now = Clock::now();
    // Only the timers due now: one that falls due again during this pass (a zero-timer, or one
    // re-registered by a timerEvent()) waits for the next pass.
    std::size_t due = 0;
    for (auto it = m_queue.begin(); it != m_queue.end() && it->first.first <= now; ++it)
        ++due;
    int activated = 0;
    while (due-- > 0 && !m_queue.empty()) {
        const auto first = m_queue.begin();
        if (first->first.first > now)
            break;
        Timer *t = first->second;
        if (t->firedInPass == pass)
            break;
        t->firedInPass = pass;
        m_queue.erase(first);
        schedule(t, now, false);
        if (t->interval > 0)
            ++activated;
        if (t->activeRef)
            continue; // already inside its timerEvent(): no recursion, as in Qt
        Timer *self = t;
        t->activeRef = &self;
        QTimerEvent event(t->id);
        QCoreApplication::sendEvent(t->object, &event);
        if (self) // null when the timer was killed during its event
            self->activeRef = nullptr;
    }
    return activated;
}

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE
