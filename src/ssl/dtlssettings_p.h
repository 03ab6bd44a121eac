// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_DTLSSETTINGS_P_H
#define QTPSK_DTLSSETTINGS_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qsslconfiguration.h>

#include "engine/tlscontext_p.h"
#include "qtpsk_p.h"

#include <QtCore/qstring.h>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

// The engine settings of a QDtls (a datagram context) that \a configuration asks for. False, with
// *errorString (the text of a TlsInitializationError), when the protocol is no DTLS version QtPsk
// speaks or a cipher name is neither a QSslCipher nor a PSK CCM/CCM8 suite.
bool dtlsSettingsFor(const QSslConfiguration &configuration, bool server, TlsSettings *settings,
                     QString *errorString);

// The OpenSSL cipher string of \a configuration for DTLS, in its order; false with *unknown (the
// first name that is neither a DTLS suite QSslCipher knows nor a PSK CCM/CCM8 suite).
bool dtlsCipherString(const QSslConfiguration &configuration, QByteArray *cipherString,
                      QString *unknown);

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE

#endif // QTPSK_DTLSSETTINGS_P_H
