// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QSSLERROR_P_H
#define QTPSK_QSSLERROR_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qsslerror.h>

#include "qtpsk_p.h"

#include <QtCore/qshareddata.h>

QTPSK_BEGIN_NAMESPACE

class QSslErrorPrivate : public QSharedData
{
public:
    QSslError::SslError error = QSslError::NoError;
};

QTPSK_END_NAMESPACE

#endif // QTPSK_QSSLERROR_P_H
