// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_P_H
#define QTPSK_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qtpskglobal.h>

#endif // QTPSK_P_H
