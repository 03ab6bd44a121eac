// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Showing bytes that came from the network (or from a key file) on a terminal or in a log: PSK
// identities, identity hints, echoed lines, MQTT topics and payloads, error strings. Printed raw,
// such bytes could forge log lines (CR, LF), rewrite the terminal (ESC sequences) or flood it.
#ifndef QTPSK_EXAMPLES_PRINTABLE_H
#define QTPSK_EXAMPLES_PRINTABLE_H

#include <QtCore/qbytearrayview.h>
#include <QtCore/qstring.h>

namespace PskExample {

// How many bytes printable() shows before it cuts the rest off.
constexpr qsizetype PrintableCap = 128;

// \a bytes escaped C-style: \n, \r, \t, \\ and \" as such; every other byte below 0x20, 0x7f and
// every byte from 0x80 up (so non-ASCII UTF-8 too) as \xNN; printable ASCII unchanged. Only the
// first \a cap bytes are shown (all of them when \a cap is negative); longer input ends with
// "... (<size> bytes)". The result is printable ASCII only and never contains a line break.
// Empty input gives an empty string.
QString printable(QByteArrayView bytes, qsizetype cap = PrintableCap);

} // namespace PskExample

#endif // QTPSK_EXAMPLES_PRINTABLE_H
