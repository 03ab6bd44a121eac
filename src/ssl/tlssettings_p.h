// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_TLSSETTINGS_P_H
#define QTPSK_TLSSETTINGS_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qsslconfiguration.h>

#include "engine/tlscontext_p.h"
#include "qtpsk_p.h"

#include <QtCore/qstring.h>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

// A client keeps its session for sessionTicket() (Qt's rules).
bool keepsSessions(const QSslConfiguration &configuration);

// The engine settings (one SSL_CTX each) that \a configuration asks for, for a server or a
// client. False (and *errorString) if the configuration cannot be met.
bool settingsFor(const QSslConfiguration &configuration, bool server, TlsSettings *settings,
                 QString *errorString);

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE

#endif // QTPSK_TLSSETTINGS_P_H
