// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Runs the shell recipes of the Markdown guides as a reader would. A recipe is the fenced block
// that follows a `<!-- recipe: name -->` line. Server recipes end with the command that starts
// the server; client recipes run to completion. The documented port 4433 is replaced with a free
// one, and every recipe runs in a fresh temporary folder.
#ifndef QTPSK_DOCRECIPES_H
#define QTPSK_DOCRECIPES_H

#include <QtCore/qbytearray.h>
#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>

#include <memory>

#include "common/testsupport.h"

namespace QtPskDocs {

// The port every recipe documents.
inline constexpr quint16 DocumentedPort = 4433;

// The absolute path of a file in the source tree, e.g. "docs/psk-guide.md".
QString sourcePath(const QString &relative);

// The body of the recipe \a name in the Markdown file \a markdown (lines between the fences),
// or a null string when there is none (or it appears more than once).
QString recipe(const QString &markdown, const QString &name);

// The names of every recipe in \a markdown, in order.
QStringList recipeNames(const QString &markdown);

// \a script with the documented port replaced by \a port (as a whole number only).
QString withPort(const QString &script, quint16 port);

// A server started from a recipe: a bash script in \a directory whose last command is exec'd, so
// that the PID is the server's. Stopped by PID on destruction.
class RecipeServer
{
public:
    // Starts \a script (already given its port) in \a directory under the loopback bind() shim
    // and waits (bounded) until 127.0.0.1:\a port listens. nullptr and \a error on failure.
    static std::unique_ptr<RecipeServer> start(const QString &script, const QString &directory,
                                               quint16 port, QString *error);
    QByteArray output() const { return m_process.output(); }
    bool isRunning() const { return m_process.isRunning(); }

private:
    RecipeServer() = default;
    QtPskTest::PeerProcess m_process;
};

struct ClientResult
{
    bool finished = false; // false: killed after the timeout
    int exitCode = -1;
    QString output;        // stdout and stderr, merged
};

// Runs \a script with bash in \a directory, with \a pathDirectories in front of PATH; kills it
// after \a timeoutMs.
ClientResult runClient(const QString &script, const QString &directory,
                       const QStringList &pathDirectories, int timeoutMs = 60000);

// The lines of \a expected (a recipe of expected output) that are not lines of \a output.
QStringList missingLines(const QString &expected, const QString &output);

} // namespace QtPskDocs

#endif // QTPSK_DOCRECIPES_H
