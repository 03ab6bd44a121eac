// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// A second thread for one test, running an event loop for the object moved to it.
#ifndef QTPSK_TEST_WORKERTHREAD_H
#define QTPSK_TEST_WORKERTHREAD_H

#include <QtCore/qobject.h>
#include <QtCore/qthread.h>

namespace QtPskTest {

// Starts a QThread and moves \a object to it; stop() (or the destructor) quits the thread and
// waits until it has ended.
class WorkerThread
{
public:
    explicit WorkerThread(QObject *object)
    {
        m_thread.start();
        object->moveToThread(&m_thread);
    }
    ~WorkerThread() { stop(); }
    Q_DISABLE_COPY(WorkerThread)

    void stop()
    {
        m_thread.quit();
        m_thread.wait();
    }
    QThread *thread() { return &m_thread; }

private:
    QThread m_thread;
};

} // namespace QtPskTest

#endif // QTPSK_TEST_WORKERTHREAD_H
