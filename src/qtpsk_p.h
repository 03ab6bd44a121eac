// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_P_H
#define QTPSK_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qtpskglobal.h>

// Exports an internal class or function from the shared library only in builds with tests,
// so that the unit tests can reach the engine and other internals (Qt's Q_AUTOTEST_EXPORT).
#ifdef QTPSK_ENABLE_AUTOTEST_EXPORT
#  define QTPSK_AUTOTEST_EXPORT QTPSK_EXPORT
#else
#  define QTPSK_AUTOTEST_EXPORT
#endif

#endif // QTPSK_P_H
