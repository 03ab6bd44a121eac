// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "interopresults.h"

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qsavefile.h>

#include <gtest/gtest.h>

#ifndef QTPSK_INTEROP_RESULTS_DIR
#error "QTPSK_INTEROP_RESULTS_DIR must name the directory of the result rows"
#endif

namespace QtPskInterop {

namespace {

// A field of the table: one line, no tab (the row separator) and no '|' (the Markdown one).
QByteArray cell(const QString &text)
{
    QString clean = text.simplified();
    clean.replace(QLatin1Char('|'), QLatin1Char('/'));
    return clean.isEmpty() ? QByteArrayLiteral("-") : clean.toUtf8();
}

} // namespace

void recordResult(const ResultRow &row)
{
    const ::testing::TestInfo *test = ::testing::UnitTest::GetInstance()->current_test_info();
    if (!test)
        return;
    QString name = QString::fromUtf8(test->test_suite_name()) + QLatin1Char('.')
            + QString::fromUtf8(test->name());
    for (QChar &c : name) {
        if (!c.isLetterOrNumber() && c != QLatin1Char('.') && c != QLatin1Char('_'))
            c = QLatin1Char('_');
    }
    const QString directory = QString::fromUtf8(QTPSK_INTEROP_RESULTS_DIR);
    QDir().mkpath(directory);
    const QByteArray line = cell(row.peer) + '\t' + cell(row.role) + '\t' + cell(row.protocol) + '\t'
            + cell(row.cipher) + '\t' + cell(row.scenario) + '\t' + cell(row.address) + '\t'
            + cell(row.outcome) + '\t' + cell(row.alert) + '\t' + cell(row.emissions) + '\t'
            + cell(row.changesWithIssue5) + '\n';
    QSaveFile file(directory + QLatin1Char('/') + name + QStringLiteral(".row"));
    if (file.open(QIODevice::WriteOnly)) {
        file.write(line);
        file.commit();
    }
}

} // namespace QtPskInterop
