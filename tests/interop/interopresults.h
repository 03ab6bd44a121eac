// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The interop matrix: every interop test records one row (peer x protocol x cipher x scenario ->
// outcome, alert, emissions) in the build tree; a final CTest step renders docs/interop.md.
#ifndef QTPSK_INTEROPRESULTS_H
#define QTPSK_INTEROPRESULTS_H

#include <QtCore/qstring.h>

namespace QtPskInterop {

struct ResultRow
{
    QString peer;      // "openssl s_server", "gnutls-cli", ...
    QString role;      // "client" or "server": what QtPsk is
    QString protocol;  // what was asked for: "TLS 1.2", "TLS 1.3", "default"
    QString cipher;    // the negotiated suite, or what was offered when the handshake failed
    QString scenario;  // "success", "wrong key", ...
    QString address;   // "IPv4" or "IPv6"
    QString outcome;   // "ok" or the SocketError name
    QString alert;     // "received 20 bad_record_mac", "sent 115 ...", or "-"
    QString emissions; // preSharedKeyAuthenticationRequired emissions on the QtPsk side
    QString changesWithIssue5; // empty, or what changes once QtPsk offers TLS 1.3 PSK by default
};

// Writes \a row for the running GoogleTest test: one file per test in the results directory
// (QTPSK_INTEROP_RESULTS_DIR), replaced on each run, so reruns and subsets keep the table whole.
void recordResult(const ResultRow &row);

} // namespace QtPskInterop

#endif // QTPSK_INTEROPRESULTS_H
