// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "qtpsklogging_p.h"

QTPSK_BEGIN_NAMESPACE

// Warnings only by default: debug and info output is opt-in (QT_LOGGING_RULES).
Q_LOGGING_CATEGORY(lcQtPskEngine, "qtpsk.engine", QtWarningMsg)
Q_LOGGING_CATEGORY(lcQtPskEngineContext, "qtpsk.engine.context", QtWarningMsg)
Q_LOGGING_CATEGORY(lcQtPskTransport, "qtpsk.transport", QtWarningMsg)
Q_LOGGING_CATEGORY(lcQtPskSocket, "qtpsk.network.socket", QtWarningMsg)
Q_LOGGING_CATEGORY(lcQtPskServer, "qtpsk.network.server", QtWarningMsg)
Q_LOGGING_CATEGORY(lcQtPskSsl, "qtpsk.ssl.socket", QtWarningMsg)
Q_LOGGING_CATEGORY(lcQtPskSslServer, "qtpsk.ssl.server", QtWarningMsg)
Q_LOGGING_CATEGORY(lcQtPskEventDispatcher, "qtpsk.eventdispatcher", QtWarningMsg)

QTPSK_END_NAMESPACE
