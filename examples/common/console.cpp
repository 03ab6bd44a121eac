// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "console.h"

#include <QtCore/qtextstream.h>

#include <cstdio>

namespace PskExample {

void printLine(const QString &line)
{
    static QTextStream out(stdout);
    out << line << Qt::endl; // Qt::endl flushes
}

void printError(const QString &line)
{
    static QTextStream err(stderr);
    err << line << Qt::endl;
}

} // namespace PskExample
