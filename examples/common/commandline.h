// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The start of each example's command line: its name, its description and --help.
#ifndef QTPSK_EXAMPLES_COMMANDLINE_H
#define QTPSK_EXAMPLES_COMMANDLINE_H

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qstring.h>

namespace PskExample {

// Names the application \a name, gives \a parser the \a description and adds --help.
inline void startCommandLine(QCommandLineParser &parser, const QString &name,
                             const QString &description)
{
    QCoreApplication::setApplicationName(name);
    parser.setApplicationDescription(description);
    parser.addHelpOption();
}

} // namespace PskExample

#endif // QTPSK_EXAMPLES_COMMANDLINE_H
