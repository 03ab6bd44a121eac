// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// docs/psk-guide.md, run as written: each server recipe is started (only the port and the folder
// change), the matching client recipe connects with a QtPsk example client, and the output the
// guide documents must appear. Also checks the numbers the guide's limits table states for QtPsk.
#include <gtest/gtest.h>

#include <QtCore/qfileinfo.h>
#include <QtCore/qset.h>

#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslSocket>

#include "docrecipes.h"
#include "interoppeers.h"

using namespace QtPskDocs;

namespace {

QString guide()
{
    return sourcePath(QStringLiteral("docs/psk-guide.md"));
}

// The folders of the example programs the client recipes call.
QStringList exampleDirectories()
{
    return {QFileInfo(QStringLiteral(QTPSK_DOCS_PSKCLIENT)).absolutePath(),
            QFileInfo(QStringLiteral(QTPSK_DOCS_MQTT_PSK)).absolutePath()};
}

// Every recipe pair the guide has, and the peer program each needs. A recipe added to the guide
// without a line here fails EveryRecipeIsTested.
struct RecipeCase
{
    const char *name;
    const char *program;
};
const RecipeCase recipeCases[] = {
    {"openssl-tls12", "openssl"},   {"openssl-tls13", "openssl"},
    {"openssl-passphrase", "openssl"}, {"gnutls", "gnutls-serv"},
    {"stunnel", "stunnel4"},        {"mosquitto", "mosquitto"},
};

// gtest prints the case by name, not as bytes.
void PrintTo(const RecipeCase &c, std::ostream *os)
{
    *os << c.name;
}

class PskGuideRecipe : public ::testing::TestWithParam<RecipeCase>
{
};

} // namespace

TEST(PskGuide, EveryRecipeIsTested)
{
    QSet<QString> tested;
    for (const RecipeCase &c : recipeCases) {
        const QString name = QString::fromLatin1(c.name);
        tested << name << name + QStringLiteral("-client") << name + QStringLiteral("-output");
    }
    const QStringList names = recipeNames(guide());
    EXPECT_GE(names.size(), 3 * qsizetype(std::size(recipeCases)));
    for (const QString &name : names)
        EXPECT_TRUE(tested.contains(name)) << "recipe " << name.toStdString() << " has no test";
}

TEST_P(PskGuideRecipe, ServerAcceptsTheQtPskClient)
{
    const RecipeCase c = GetParam();
    const QString name = QString::fromLatin1(c.name);
    const QString serverScript = recipe(guide(), name);
    const QString clientScript = recipe(guide(), name + QStringLiteral("-client"));
    const QString expected = recipe(guide(), name + QStringLiteral("-output"));
    ASSERT_FALSE(serverScript.isEmpty()) << "no recipe " << c.name;
    ASSERT_FALSE(clientScript.isEmpty()) << "no recipe " << c.name << "-client";
    ASSERT_FALSE(expected.trimmed().isEmpty()) << "no recipe " << c.name << "-output";
    const QString program = QtPskInterop::findPeerProgram(c.program);
    QTPSK_REQUIRE_FOUND(program, c.program);

    QtPskInterop::TempDir directory;
    ASSERT_TRUE(directory.isValid());
    std::unique_ptr<RecipeServer> server;
    quint16 port = 0;
    QString error;
    for (int attempt = 0; attempt < 3 && !server; ++attempt) { // a free port may be taken meanwhile
        port = QtPskTest::freeLoopbackPort();
        server = RecipeServer::start(withPort(serverScript, port), directory.path(), port, &error);
    }
    ASSERT_TRUE(server) << error.toStdString();

    const ClientResult result = runClient(withPort(clientScript, port), directory.path(),
                                          exampleDirectories());
    const std::string context = "client output:\n" + result.output.toStdString()
            + "\nserver output:\n" + server->output().toStdString();
    ASSERT_TRUE(result.finished) << context;
    EXPECT_EQ(result.exitCode, 0) << context;
    EXPECT_EQ(missingLines(expected, result.output), QStringList()) << context;
}

INSTANTIATE_TEST_SUITE_P(Recipes, PskGuideRecipe, ::testing::ValuesIn(recipeCases),
                         [](const ::testing::TestParamInfo<RecipeCase> &param) {
                             std::string testName = param.param.name;
                             for (char &ch : testName) {
                                 if (ch == '-')
                                     ch = '_';
                             }
                             return testName;
                         });

// The guide's limits table: QtPsk's client offers 255 identity bytes and 512 key bytes (OpenSSL
// 3's PSK_MAX_IDENTITY_LEN - 1 and PSK_MAX_PSK_LEN), and the portable envelope (a 128-byte
// identity, a 32-byte key) passes end to end against openssl s_server in TLS 1.2 and TLS 1.3.
TEST(PskGuide, LimitsTableMatchesQtPsk)
{
    QTPSK_REQUIRE_PROGRAM("openssl");
    const QString text = [] {
        QFile file(guide());
        return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
    }();
    ASSERT_TRUE(text.contains(QStringLiteral("| QtPsk's client (`maximumIdentityLength()`, "
                                             "`maximumPreSharedKeyLength()`) | 255 bytes")));
    ASSERT_TRUE(text.contains(QStringLiteral("identity ≤ 128 bytes and key ≤ 32 bytes")));

    const QByteArray identity(128, 'i');
    const QByteArray key = QByteArray::fromHex(
            "2ac34288a6f81c5d4f34364308b5b26fc58c703496310197165660ad56fbce57");
    for (const QString &version : {QStringLiteral("-tls1_2"), QStringLiteral("-tls1_3")}) {
        SCOPED_TRACE(version.toStdString());
        QtPskTest::PeerProcess peer;
        const quint16 port = peer.startOpenSslServer(
                {QStringLiteral("-nocert"), version, QStringLiteral("-psk"),
                 QString::fromLatin1(key.toHex()), QStringLiteral("-psk_identity"),
                 QString::fromLatin1(identity), QStringLiteral("-psk_hint"),
                 QStringLiteral("gateway-1"), QStringLiteral("-rev")});
        ASSERT_NE(port, 0) << peer.output().toStdString();

        QSslSocket socket;
        socket.setPeerVerifyMode(QSslSocket::VerifyNone);
        int maximumIdentity = -1;
        int maximumKey = -1;
        QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired,
                         [&](QSslPreSharedKeyAuthenticator *authenticator) {
            maximumIdentity = authenticator->maximumIdentityLength();
            maximumKey = authenticator->maximumPreSharedKeyLength();
            authenticator->setIdentity(identity);
            authenticator->setPreSharedKey(key);
        });
        socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
        ASSERT_TRUE(socket.waitForEncrypted(10000)) << socket.errorString().toStdString();
        EXPECT_EQ(maximumIdentity, 255);
        EXPECT_EQ(maximumKey, 512);
        socket.write("envelope\n");
        ASSERT_TRUE(QtPskTest::waitUntil([&] { return socket.canReadLine(); }));
        EXPECT_EQ(socket.readLine(), QByteArray("epolevne\n"));
    }
}
