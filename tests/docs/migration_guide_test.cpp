// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// docs/migrating-from-qtnetwork.md, the run half: the program that migration_build.cmake built
// from the guide's CMake (outside the QtPsk tree, against an installed QtPsk) is run with the
// guide's command against the guide's openssl s_server, and must print the documented reply. The
// same sources built against Qt6::Network fail there without QT_USE_TLS_1_3_PSK and work with it,
// as the guide says.
#include <gtest/gtest.h>

#include <QtCore/qfileinfo.h>

#include "docrecipes.h"
#include "interoppeers.h"

using namespace QtPskDocs;

namespace {

QString guide()
{
    return sourcePath(QStringLiteral("docs/migrating-from-qtnetwork.md"));
}

QString appDirectory()
{
    return QStringLiteral(QTPSK_DOCS_MIGRATION_DIR "/app");
}

// Starts the guide's server recipe on a free port; returns the port (0 on failure).
quint16 startGuideServer(std::unique_ptr<RecipeServer> &server, QString *error)
{
    const QString script = recipe(guide(), QStringLiteral("migrate-server"));
    if (script.isEmpty()) {
        *error = QStringLiteral("no recipe migrate-server");
        return 0;
    }
    for (int attempt = 0; attempt < 3; ++attempt) {
        const quint16 port = QtPskTest::freeLoopbackPort();
        server = RecipeServer::start(withPort(script, port), appDirectory(), port, error);
        if (server)
            return port;
    }
    return 0;
}

} // namespace

TEST(MigrationGuide, MigratedProgramTalksToTheGuidesServer)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    ASSERT_TRUE(QFileInfo::exists(appDirectory() + QStringLiteral("/build/authmanager")))
            << "run docs.migration_build first (a CTest fixture)";
    std::unique_ptr<RecipeServer> server;
    QString error;
    const quint16 port = startGuideServer(server, &error);
    ASSERT_NE(port, 0) << error.toStdString();

    const QString run = recipe(guide(), QStringLiteral("migrate-run"));
    ASSERT_FALSE(run.isEmpty());
    const ClientResult result = runClient(withPort(run, port), appDirectory(), {});
    const std::string context = result.output.toStdString() + "\nserver:\n"
            + server->output().toStdString();
    ASSERT_TRUE(result.finished) << context;
    EXPECT_EQ(result.exitCode, 0) << context;
    // "It prints `Reply: KSP ,olleH`." — the guide's own words.
    EXPECT_TRUE(result.output.contains(QStringLiteral("Reply: KSP ,olleH"))) << context;
    QFile text(guide());
    ASSERT_TRUE(text.open(QIODevice::ReadOnly));
    EXPECT_TRUE(text.readAll().contains("It prints `Reply: KSP ,olleH`."));
}

// Not in a build that leaves out the comparisons with Qt6::Network on purpose
// (QTPSK_QTNETWORK_COMPARISONS=OFF, the sanitizer presets): the default build runs it.
#if defined(QTPSK_DOCS_QT_NETWORK) || !defined(QTPSK_NO_QTNETWORK_COMPARISONS)
TEST(MigrationGuide, UnchangedSourcesBuiltAgainstQtNetworkNeedTheirVariable)
{
#ifndef QTPSK_DOCS_QT_NETWORK
    QTPSK_SKIP_OR_FAIL("Qt6::Network (qt6-base-dev) is not installed");
#else
    QTPSK_REQUIRE_PROGRAM("openssl");
    const QString before = QStringLiteral(QTPSK_DOCS_MIGRATION_DIR "/before/authmanager");
    ASSERT_TRUE(QFileInfo::exists(before)) << "run docs.migration_build first";
    QString run = recipe(guide(), QStringLiteral("migrate-run"));
    ASSERT_TRUE(run.contains(QStringLiteral("./build/authmanager")));
    run.replace(QStringLiteral("./build/authmanager"), before);

    for (const bool variable : {false, true}) {
        SCOPED_TRACE(variable ? "QT_USE_TLS_1_3_PSK=1" : "no QT_USE_TLS_1_3_PSK");
        std::unique_ptr<RecipeServer> server;
        QString error;
        const quint16 port = startGuideServer(server, &error);
        ASSERT_NE(port, 0) << error.toStdString();
        const QString script = (variable ? QStringLiteral("export QT_USE_TLS_1_3_PSK=1\n")
                                         : QStringLiteral("unset QT_USE_TLS_1_3_PSK\n"))
                + withPort(run, port);
        const ClientResult result = runClient(script, appDirectory(), {});
        ASSERT_TRUE(result.finished) << result.output.toStdString();
        if (variable) {
            EXPECT_EQ(result.exitCode, 0) << result.output.toStdString();
            EXPECT_TRUE(result.output.contains(QStringLiteral("Reply: KSP ,olleH")));
        } else {
            EXPECT_EQ(result.exitCode, 1) << result.output.toStdString();
            EXPECT_TRUE(result.output.contains(QStringLiteral("Error: "))) << result.output.toStdString();
        }
    }
#endif
}
#endif
