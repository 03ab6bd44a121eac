// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_EPOLLTIMERS_P_H
#define QTPSK_EPOLLTIMERS_P_H

// Internal to QtPsk: not installed, not part of the API.
//
// The timers of one QEpollEventDispatcher: ordered by expiry, looked up by id and by object in
// O(log n) / O(1), delivered as QTimerEvent through QCoreApplication::sendEvent().

#include "qtpsk_p.h"

#include <QtCore/qabstracteventdispatcher.h>

#include <chrono>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

class EpollTimers
{
public:
    using Clock = std::chrono::steady_clock;

    void add(int id, qint64 intervalMs, Qt::TimerType type, QObject *object);
    bool remove(int id);
    bool removeAll(QObject *object);
    QList<QAbstractEventDispatcher::TimerInfo> timersOf(QObject *object) const;
    // Milliseconds left before timer \a id fires (0 if due), -1 if there is no such timer.
    int remaining(int id) const;
    // The wait for epoll_wait(): milliseconds (rounded up) before the first timer that is not
    // inside its own timerEvent() is due, -1 if there is none.
    int waitMs() const;
    // Sends a QTimerEvent to every due timer, each at most once. Returns how many of them have
    // a non-zero interval.
    int activate();

private:
    struct Timer
    {
        int id;
        qint64 interval;       // milliseconds, as registered
        Qt::TimerType type;    // as registered
        Qt::TimerType effectiveType;
        QObject *object;
        Clock::time_point ideal;    // start + k * interval
        Clock::time_point deadline; // ideal, rounded by the timer type (never earlier)
        quint64 order = 0;          // key in the queue, with the deadline
        quint64 firedInPass = 0;
        Timer **activeRef = nullptr; // set while inside its timerEvent()
    };
    using Key = std::pair<Clock::time_point, quint64>;

    void schedule(Timer *t, Clock::time_point now, bool first);
    void erase(std::unordered_map<int, std::unique_ptr<Timer>>::iterator it);

    std::unordered_map<int, std::unique_ptr<Timer>> m_byId;
    std::unordered_map<QObject *, std::vector<int>> m_byObject;
    std::map<Key, Timer *> m_queue;
    quint64 m_nextOrder = 0;
    quint64 m_pass = 0;
};

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE

#endif // QTPSK_EPOLLTIMERS_P_H
