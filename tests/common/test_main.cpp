// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The one main() of every QtPsk test executable: GoogleTest inside a QCoreApplication.
// QTPSK_TEST_EVENT_DISPATCHER=epoll runs the executable on QEpollEventDispatcher (the CTest
// variants of label "dispatcher"); an executable built without QtPsk refuses the variable.
#include <QtCore/qcoreapplication.h>
#ifdef QTPSK_TEST_MAIN_EVENT_DISPATCHER
#include <QtPsk/qepolleventdispatcher.h>
#endif

#include <gtest/gtest.h>

#include <cstdio>

int main(int argc, char **argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    const QByteArray dispatcher = qgetenv("QTPSK_TEST_EVENT_DISPATCHER");
#ifdef QTPSK_TEST_MAIN_EVENT_DISPATCHER
    if (dispatcher == "epoll")
        QCoreApplication::setEventDispatcher(new QEpollEventDispatcher);
    else
#endif
    if (!dispatcher.isEmpty()) {
        std::fprintf(stderr, "QTPSK_TEST_EVENT_DISPATCHER=%s: not available here\n",
                     dispatcher.constData());
        return 1;
    }
    QCoreApplication app(argc, argv);
    return RUN_ALL_TESTS();
}
