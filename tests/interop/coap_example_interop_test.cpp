// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// examples/coap-psk against libcoap's coap-server (OpenSSL and GnuTLS builds) over DTLS 1.2 PSK:
// a confirmable GET of the server's default resource, with the client's default cipher list,
// with AES-128-GCM and with AES-128-CCM8 named on the command line. The example is built
// against Qt6::Network (coap-psk-qtnetwork, Qt's own QDtls: the ground truth, including where
// Qt fails) and against QtPsk (coap-psk), whose rows go into docs/interop.md.
#include <QtCore/qcoreapplication.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qstringlist.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "coappeers.h"
#include "common/testsupport.h"
#include "interopresults.h"

using namespace QtPskInterop;
using QtPskTest::waitUntil;

namespace {

enum class Build { QtNetwork, QtPsk };
enum class Cipher { Default, Gcm, Ccm8 };

struct Row
{
    Build build;
    CoapBackend backend;
    Cipher cipher;
};

QString program(Build build)
{
#ifdef QTPSK_COAP_PSK_QTNETWORK
    if (build == Build::QtNetwork)
        return QStringLiteral(QTPSK_COAP_PSK_QTNETWORK);
#endif
#ifdef QTPSK_COAP_PSK
    if (build == Build::QtPsk)
        return QStringLiteral(QTPSK_COAP_PSK);
#endif
    Q_UNUSED(build);
    return QString();
}

QStringList cipherArguments(Cipher cipher)
{
    switch (cipher) {
    case Cipher::Default:
        return {};
    case Cipher::Gcm:
        return {QStringLiteral("--ciphers"), QStringLiteral("PSK-AES128-GCM-SHA256")};
    case Cipher::Ccm8:
        return {QStringLiteral("--ciphers"), QStringLiteral("PSK-AES128-CCM8")};
    }
    return {};
}

std::string rowName(const ::testing::TestParamInfo<Row> &info)
{
    std::string name = info.param.build == Build::QtNetwork ? "QtNetwork" : "QtPsk";
    name += info.param.backend == CoapBackend::OpenSsl ? "_OpenSsl" : "_GnuTls";
    switch (info.param.cipher) {
    case Cipher::Default: name += "_Default"; break;
    case Cipher::Gcm: name += "_AesGcm"; break;
    case Cipher::Ccm8: name += "_AesCcm8"; break;
    }
    return name;
}

class CoapExample : public ::testing::TestWithParam<Row>
{
};

TEST_P(CoapExample, FetchesTheDefaultResource)
{
    const Row row = GetParam();
    const QString client = program(row.build);
    QTPSK_REQUIRE_COAP_SERVER(row.backend);
    CoapServerOptions options;
    QString error;
    const auto server = CoapServer::start(row.backend, options, &error);
    ASSERT_TRUE(server) << error.toStdString();

    QtPskTest::PeerProcess process;
    QStringList arguments = {QStringLiteral("-u"), QString::fromLatin1(options.identity),
                             QStringLiteral("-k"), QString::fromLatin1(options.key),
                             QStringLiteral("--timeout"), QStringLiteral("8000")};
    arguments += cipherArguments(row.cipher);
    arguments += QStringLiteral("coaps://127.0.0.1:%1/").arg(server->coapsPort());
    ASSERT_TRUE(process.start(client, arguments));
    ASSERT_TRUE(waitUntil([&] { return !process.isRunning(); }, 30000)) << "coap-psk did not end";
    const QString output = QString::fromLocal8Bit(process.output());

    const bool succeeded = output.contains(QLatin1String("2.05 Content"))
            && output.contains(QLatin1String("This is a test server made with libcoap"));
    if (row.build == Build::QtPsk) {
        ResultRow result;
        result.peer = row.backend == CoapBackend::OpenSsl ? QStringLiteral("coap-server-openssl")
                                                          : QStringLiteral("coap-server-gnutls");
        result.role = QStringLiteral("client (examples/coap-psk)");
        result.protocol = QStringLiteral("DTLS 1.2");
        const QRegularExpressionMatch negotiated =
                QRegularExpression(QStringLiteral("with ([A-Z0-9-]+)")).match(output);
        result.cipher = negotiated.hasMatch() ? negotiated.captured(1) : QStringLiteral("-");
        const QStringList asked = cipherArguments(row.cipher);
        result.scenario = QStringLiteral("CoAP GET, 2.05 Content; ")
                + (asked.isEmpty() ? QStringLiteral("default ciphers") : asked.last() + QStringLiteral(" asked"));
        result.address = QStringLiteral("IPv4");
        result.outcome = succeeded ? QStringLiteral("ok") : QStringLiteral("failed");
        result.alert = QStringLiteral("-");
        result.emissions = QStringLiteral("-");
        recordResult(result);
    }
    if (row.build == Build::QtNetwork && row.cipher != Cipher::Gcm) {
        // Measured with Qt 6.4.2 (Debian 12). QSslConfiguration::setCiphers(QString) drops
        // "PSK-AES128-CCM8", a name Qt's supportedCiphers() lacks, without a word, so the CCM8
        // row runs with Qt's default list, like the default row. Against coap-server-openssl that
        // list negotiates another suite (ECDHE-PSK-CHACHA20-POLY1305); coap-server-gnutls picks a
        // certificate suite from it, logs "Insufficient credentials provided" and never answers,
        // and Qt's QDtls retransmits until the client gives up.
        if (row.backend == CoapBackend::OpenSsl) {
            EXPECT_TRUE(succeeded) << output.toStdString();
            EXPECT_FALSE(output.contains(QLatin1String("CCM8"))) << output.toStdString();
        } else {
            EXPECT_FALSE(succeeded) << output.toStdString();
            EXPECT_TRUE(output.contains(QLatin1String("coap-psk: no response within")))
                    << output.toStdString();
        }
        return;
    }
    EXPECT_TRUE(succeeded) << output.toStdString();
    if (row.cipher == Cipher::Gcm) {
        EXPECT_TRUE(output.contains(QLatin1String("with PSK-AES128-GCM-SHA256")))
                << output.toStdString();
    }
    if (row.cipher == Cipher::Ccm8) {
        EXPECT_TRUE(output.contains(QLatin1String("with PSK-AES128-CCM8")))
                << output.toStdString();
    }
    EXPECT_TRUE(server->isRunning());
}

// The rows of each build of the example this tree makes: coap-psk-qtnetwork when Qt6::Network
// is installed, coap-psk unless the examples are built against Qt6::Network.
std::vector<Row> rows()
{
    std::vector<Row> all;
    for (Build build : {Build::QtNetwork, Build::QtPsk}) {
        if (program(build).isEmpty())
            continue;
        for (CoapBackend backend : {CoapBackend::OpenSsl, CoapBackend::GnuTls}) {
            for (Cipher cipher : {Cipher::Default, Cipher::Gcm, Cipher::Ccm8})
                all.push_back({build, backend, cipher});
        }
    }
    return all;
}

INSTANTIATE_TEST_SUITE_P(LibCoap, CoapExample, ::testing::ValuesIn(rows()), rowName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CoapExample);

// The fixture itself: the server serves coaps on the port it reports, and stops by PID.
TEST(CoapFixture, StartsAndStopsByPid)
{
    QTPSK_REQUIRE_COAP_SERVER(CoapBackend::OpenSsl);
    QString error;
    auto server = CoapServer::start(CoapBackend::OpenSsl, CoapServerOptions(), &error);
    ASSERT_TRUE(server) << error.toStdString();
    EXPECT_GT(server->pid(), 0);
    EXPECT_TRUE(server->isRunning());
    server->stop();
    EXPECT_FALSE(server->isRunning());
    EXPECT_EQ(server->pid(), 0);
}

} // namespace
