// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QTPSKLOGGING_P_H
#define QTPSK_QTPSKLOGGING_P_H

// Internal to QtPsk: not installed, not part of the API.
//
// Every logging category of the library, in one place (docs/logging.md describes them). All are
// named qtpsk.<area> and print warnings only by default: debug and info output must be turned on
// (QT_LOGGING_RULES="qtpsk.*=true"). Nothing logged may contain key material, a PSK identity or
// an identity hint: log their lengths and whether they were given, never their bytes
// (tests/hygiene/logging_hygiene_test.cpp turns every category on and scans the output).

#include "qtpsk_p.h"

#include <QtCore/qloggingcategory.h>

QTPSK_BEGIN_NAMESPACE

// The TLS engine: handshake start and finish (protocol, cipher), PSK requests (lengths only),
// alerts, OpenSSL errors.
Q_DECLARE_LOGGING_CATEGORY(lcQtPskEngine)
// The cache of SSL_CTX objects: hits, misses, contexts created and released, set-up failures.
Q_DECLARE_LOGGING_CATEGORY(lcQtPskEngineContext)
// The non-blocking TCP transport: descriptors opened, connects, closes, socket errors.
Q_DECLARE_LOGGING_CATEGORY(lcQtPskTransport)
// QAbstractSocket and QTcpSocket: state changes, errors, API misuse warnings.
Q_DECLARE_LOGGING_CATEGORY(lcQtPskSocket)
// QTcpServer: listening, accepted connections, accept errors and back-off, API misuse warnings.
Q_DECLARE_LOGGING_CATEGORY(lcQtPskServer)
// QSslSocket: encryption started and finished, handshake failures, API misuse warnings.
Q_DECLARE_LOGGING_CATEGORY(lcQtPskSsl)
// QSslServer: connections handed to their handshake, handshake timeouts, API misuse warnings.
Q_DECLARE_LOGGING_CATEGORY(lcQtPskSslServer)
// QEpollEventDispatcher: epoll_ctl() and epoll_wait() failures, duplicate socket notifiers.
Q_DECLARE_LOGGING_CATEGORY(lcQtPskEventDispatcher)

QTPSK_END_NAMESPACE

#endif // QTPSK_QTPSKLOGGING_P_H
