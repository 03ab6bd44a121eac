// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Line-oriented output for the examples: every line is flushed at once, so that a script that
// reads the output through a pipe or a file sees it immediately.
#ifndef QTPSK_EXAMPLES_CONSOLE_H
#define QTPSK_EXAMPLES_CONSOLE_H

#include <QtCore/qstring.h>

namespace PskExample {

// Writes \a line and a newline to standard output and flushes.
void printLine(const QString &line);
// Writes \a line and a newline to standard error and flushes.
void printError(const QString &line);

} // namespace PskExample

#endif // QTPSK_EXAMPLES_CONSOLE_H
