// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "docrecipes.h"

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qprocess.h>
#include <QtCore/qregularexpression.h>

#include "interoppeers.h"

namespace QtPskDocs {

namespace {

QString readFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QString();
    return QString::fromUtf8(file.readAll());
}

const QRegularExpression &recipeMarker()
{
    static const QRegularExpression marker(QStringLiteral("^<!-- recipe: ([^ ]+) -->$"),
                                           QRegularExpression::MultilineOption);
    return marker;
}

} // namespace

QString sourcePath(const QString &relative)
{
    return QStringLiteral(QTPSK_DOCS_SOURCE_DIR "/") + relative;
}

QStringList recipeNames(const QString &markdown)
{
    QStringList names;
    auto it = recipeMarker().globalMatch(readFile(markdown));
    while (it.hasNext())
        names << it.next().captured(1);
    return names;
}

QString recipe(const QString &markdown, const QString &name)
{
    const QStringList lines = readFile(markdown).split(QLatin1Char('\n'));
    QString body;
    int found = 0;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QRegularExpressionMatch match = recipeMarker().match(lines.at(i));
        if (!match.hasMatch() || match.captured(1) != name)
            continue;
        ++found;
        if (i + 1 >= lines.size() || !lines.at(i + 1).startsWith(QStringLiteral("```")))
            return QString();
        QStringList block;
        qsizetype j = i + 2;
        for (; j < lines.size() && lines.at(j) != QStringLiteral("```"); ++j)
            block << lines.at(j);
        if (j == lines.size())
            return QString(); // never closed
        body = block.join(QLatin1Char('\n')) + QLatin1Char('\n');
    }
    return found == 1 ? body : QString();
}

QString withPort(const QString &script, quint16 port)
{
    QString result = script;
    static const QRegularExpression documented(
            QStringLiteral("(?<![0-9])%1(?![0-9])").arg(DocumentedPort));
    result.replace(documented, QString::number(port));
    return result;
}

std::unique_ptr<RecipeServer> RecipeServer::start(const QString &script, const QString &directory,
                                                  quint16 port, QString *error)
{
    // Exec the last command (the server), so that the PID we stop is the server's.
    QStringList lines = script.trimmed().split(QLatin1Char('\n'));
    qsizetype last = lines.size() - 1;
    while (last > 0 && lines.at(last - 1).endsWith(QLatin1Char('\\')))
        --last; // the command starts on an earlier, continued line
    lines[last].prepend(QStringLiteral("exec "));
    const QString path = directory + QStringLiteral("/server-recipe.sh");
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)
        || file.write(QStringLiteral("set -e\ncd '%1'\n").arg(directory).toUtf8()
                      + lines.join(QLatin1Char('\n')).toUtf8() + '\n') < 0) {
        *error = QStringLiteral("cannot write %1").arg(path);
        return nullptr;
    }
    file.close();

    std::unique_ptr<RecipeServer> server(new RecipeServer);
    // The shim rewrites a wildcard bind() to loopback: gnutls-serv has no address option.
    // `env` execs bash, which execs the server.
    if (!server->m_process.start(QStringLiteral("/usr/bin/env"),
                                 {QStringLiteral("LD_PRELOAD=") + QtPskInterop::loopbackBindShim(),
                                  QStringLiteral("/bin/bash"), path})) {
        *error = QStringLiteral("cannot start bash");
        return nullptr;
    }
    if (!QtPskInterop::waitForListen(QStringLiteral("127.0.0.1"), port, 15000)
        || !server->m_process.isRunning()) {
        *error = QStringLiteral("the server of the recipe does not listen on port %1:\n%2")
                         .arg(port)
                         .arg(QString::fromLocal8Bit(server->m_process.output().right(1500)));
        return nullptr;
    }
    return server;
}

ClientResult runClient(const QString &script, const QString &directory,
                       const QStringList &pathDirectories, int timeoutMs)
{
    ClientResult result;
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.setWorkingDirectory(directory);
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("PATH"),
                       (pathDirectories + QStringList{environment.value(QStringLiteral("PATH"))})
                               .join(QLatin1Char(':')));
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral("/bin/bash"), {QStringLiteral("-euc"), script});
    if (!process.waitForStarted(10000)) {
        result.output = QStringLiteral("cannot start bash");
        return result;
    }
    result.finished = process.waitForFinished(timeoutMs);
    if (!result.finished) {
        process.kill(); // by PID: QProcess owns exactly this child
        process.waitForFinished(5000);
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.output = QString::fromLocal8Bit(process.readAll());
    return result;
}

QStringList missingLines(const QString &expected, const QString &output)
{
    const QStringList have = output.split(QLatin1Char('\n'));
    QStringList missing;
    for (const QString &line : expected.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        if (!have.contains(line))
            missing << line;
    }
    return missing;
}

} // namespace QtPskDocs
