// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QEPOLLEVENTDISPATCHER_H
#define QTPSK_QEPOLLEVENTDISPATCHER_H

#include <QtPsk/qtpskglobal.h>

#include <QtCore/qabstracteventdispatcher.h>

#include <memory>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate { class EpollEventDispatcherPrivate; }

/*!
    \class QEpollEventDispatcher
    \brief An event dispatcher for Linux on epoll: waiting costs the same with 10 or 10,000
    socket notifiers.

    Qt's own dispatchers on Linux (the GLib one and QEventDispatcherUNIX) hand every registered
    descriptor to poll() on every pass of the event loop, so a thread with N connections pays
    O(N) kernel work per wake-up even when one socket is ready. This dispatcher keeps the
    descriptors in one epoll set: registering, enabling or disabling a QSocketNotifier is one
    epoll_ctl() call, and a wait costs in proportion to the ready descriptors only.

    Install it before the thread's event loop exists: for the main thread, before the
    QCoreApplication is constructed; for another thread, before QThread::start(). Qt takes
    ownership of the dispatcher.

    \code
    int main(int argc, char **argv)
    {
        QCoreApplication::setEventDispatcher(new QEpollEventDispatcher);
        QCoreApplication app(argc, argv);
        // ...
        return app.exec();
    }
    \endcode

    \code
    QThread thread;
    thread.setEventDispatcher(new QEpollEventDispatcher);
    thread.start();
    \endcode

    It keeps the semantics of QEventDispatcherUNIX: posted events are sent at the start of each
    processEvents(); timers are delivered as QTimerEvent through QCoreApplication::sendEvent(),
    a timer never recursing into its own timerEvent(); socket notifiers get QEvent::SockAct,
    level-triggered (a notifier whose descriptor stays ready is activated again on the next
    pass, as with poll()); wakeUp() and interrupt() may be called from any thread.

    \section1 Differences from Qt
    \list
    \li Qt has no epoll dispatcher; this class differs from QEventDispatcherUNIX as follows.
    \li Linux only (epoll and eventfd).
    \li Qt::CoarseTimer timers between 20 ms and 20 s may fire up to 5 % of their interval
        late, never early (Qt's may also fire up to 5 % early); registeredTimers() reports the
        interval and timer type as they were asked for.
    \li A descriptor closed while its notifiers are still enabled leaves the epoll set with its
        last reference, silently: QEventDispatcherUNIX warns about an invalid socket instead.
        A descriptor number reused by a new socket is registered afresh. As with Qt, disable
        a notifier before closing its descriptor.
    \li With QEventLoop::ExcludeSocketNotifiers the wait covers only the wake-up descriptor
        (and the timers); the notifiers' readiness is kept for a later pass.
    \li No native event filters are called (Qt's UNIX dispatcher calls none either).
    \endlist
*/
class QTPSK_EXPORT QEpollEventDispatcher : public QAbstractEventDispatcher
{
    Q_OBJECT
public:
    /*!
        Constructs the dispatcher with the given \a parent (normally none: Qt takes ownership
        when it is installed). Creates its epoll set and its eventfd; if either cannot be
        created, a warning is logged and processEvents() returns without waiting.
    */
    explicit QEpollEventDispatcher(QObject *parent = nullptr);
    /*! Destroys the dispatcher and closes its epoll set and eventfd. */
    ~QEpollEventDispatcher() override;

    /*!
        Processes pending events once: sends the posted events, waits (with
        QEventLoop::WaitForMoreEvents, unless interrupted or a zero-timer is due) for a socket
        notifier, a timer or wakeUp(), then activates the ready socket notifiers (unless
        \a flags has QEventLoop::ExcludeSocketNotifiers) and the due timers. Emits awake() on
        entry and aboutToBlock() before a wait that may block. Returns \c true if a socket
        notifier or a timer with a non-zero interval was activated, or wakeUp() was called.
    */
    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    /*!
        Adds \a notifier (enabled by QSocketNotifier::setEnabled(true)) to the epoll set: one
        epoll registration per descriptor, carrying the events of all its notifiers (Read:
        EPOLLIN, Write: EPOLLOUT, Exception: EPOLLPRI). A second notifier of the same type
        on the same descriptor replaces the first, with a warning, as in Qt.
    */
    void registerSocketNotifier(QSocketNotifier *notifier) override;
    /*!
        Removes \a notifier from the epoll set (the descriptor's registration keeps the events
        of its other notifiers). A notifier waiting for activation in the current pass is not
        activated, so a notifier may be disabled or deleted from any activation.
    */
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    /*!
        Starts the timer \a timerId for \a object, firing every \a interval milliseconds with
        the accuracy of \a timerType (0: on every pass of the event loop).
    */
    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                       QObject *object) override;
    /*! Stops the timer \a timerId. Returns \c false if there is no such timer. */
    bool unregisterTimer(int timerId) override;
    /*! Stops every timer of \a object. Returns \c false if it had none. */
    bool unregisterTimers(QObject *object) override;
    /*! Returns the timers of \a object, with their interval and type as registered. */
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    /*!
        Returns the milliseconds left before the timer \a timerId fires (0 if it is due), or
        -1 if there is no such timer.
    */
    int remainingTime(int timerId) override;

    /*! Wakes up a waiting processEvents(). Thread-safe; many calls cost one eventfd write. */
    void wakeUp() override;
    /*!
        Makes the current or next processEvents() return as soon as possible, without waiting.
        Thread-safe.
    */
    void interrupt() override;

private:
    std::unique_ptr<QtPskPrivate::EpollEventDispatcherPrivate> d;
};

QTPSK_END_NAMESPACE

#endif // QTPSK_QEPOLLEVENTDISPATCHER_H
