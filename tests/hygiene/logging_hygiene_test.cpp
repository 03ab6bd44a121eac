// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Logging hygiene: with every qtpsk.* category at debug level, whole PSK sessions (TLS 1.2 and
// 1.3, right and wrong keys, client and server, engines in memory and sockets on loopback) log
// plenty, and no message and no errorString() contains the key (raw, hex, Base64), the identity
// or the identity hint. With the default rules, qtpsk.* logs nothing below warnings.
#include "enginepair.h"

#include <QSslPreSharedKeyAuthenticator>
#include <QSslServer>
#include <QSslSocket>

#include <QtCore/qbytearray.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qmutex.h>
#include <QtCore/qset.h>
#include <QtCore/qstringlist.h>

#include <gtest/gtest.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <vector>

#include "common/testsupport.h"

using namespace QtPskHygieneTest;

namespace {

struct LogRecord
{
    QtMsgType type;
    QString category;
    QString message;
};

QMutex g_logMutex;
std::vector<LogRecord> g_log;
QtMessageHandler g_previousHandler = nullptr;

void captureMessage(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    const QString category = QString::fromLatin1(context.category ? context.category : "");
    {
        const QMutexLocker locker(&g_logMutex);
        g_log.push_back({type, category, message});
    }
    if (!category.startsWith(QLatin1String("qtpsk.")) && g_previousHandler)
        g_previousHandler(type, context, message);
}

// Captures every message while it lives, with \a rules as the logging filter.
class CapturedLog
{
public:
    explicit CapturedLog(const QString &rules)
    {
        {
            const QMutexLocker locker(&g_logMutex);
            g_log.clear();
        }
        QLoggingCategory::setFilterRules(rules);
        g_previousHandler = qInstallMessageHandler(&captureMessage);
    }
    ~CapturedLog()
    {
        qInstallMessageHandler(g_previousHandler);
        QLoggingCategory::setFilterRules(QString());
    }
    std::vector<LogRecord> records() const
    {
        const QMutexLocker locker(&g_logMutex);
        return g_log;
    }
};

// Distinctive credentials: random bytes with marker text in them, so that the key is found
// however a careless log line might print it (raw, hex, Base64, QDebug's escaped form).
struct Secrets
{
    Secrets()
    {
        unsigned char random[24];
        EXPECT_EQ(RAND_bytes(random, sizeof random), 1);
        key = QByteArray(reinterpret_cast<const char *>(random), sizeof random)
                + QByteArrayLiteral("KeyMarker-7f3a9c") + QByteArray(1, '\0')
                + QByteArray(reinterpret_cast<const char *>(random), 8);
        OPENSSL_cleanse(random, sizeof random);
        otherKey = QByteArrayLiteral("OtherKeyMarker-51be0d-") + key.left(12);
        identity = QByteArrayLiteral("IdentityMarker-c44e12");
        hint = QByteArrayLiteral("HintMarker-0b97d5");
    }
    ~Secrets()
    {
        for (QByteArray *bytes : {&key, &otherKey})
            OPENSSL_cleanse(bytes->data(), size_t(bytes->size()));
    }
    // Every form in which a secret must not appear in a log line or an error string.
    QList<QByteArray> forbidden() const
    {
        QList<QByteArray> forms;
        for (const QByteArray &secret : {key, otherKey, identity, hint}) {
            forms << secret << secret.toHex() << secret.toHex().toUpper() << secret.toBase64()
                  << secret.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
        }
        // Any 12 consecutive raw key bytes, and the markers on their own (QDebug escapes the rest).
        for (qsizetype i = 0; i + 12 <= key.size(); i += 4)
            forms << key.mid(i, 12);
        forms << "KeyMarker-7f3a9c" << "OtherKeyMarker-51be0d" << "IdentityMarker-c44e12"
              << "HintMarker-0b97d5";
        return forms;
    }
    QByteArray key;
    QByteArray otherKey;
    QByteArray identity;
    QByteArray hint;
};

// The secret form found in \a text, if any (as a description that prints no secret).
QString leakIn(const QString &text, const Secrets &secrets)
{
    const QList<QByteArray> forms = secrets.forbidden();
    for (qsizetype i = 0; i < forms.size(); ++i) {
        const QByteArray &form = forms.at(i);
        if (text.toLatin1().contains(form) || text.toUtf8().contains(form)
            || text.contains(QString::fromLatin1(form))) {
            return QStringLiteral("forbidden form #%1 (%2 bytes)").arg(i).arg(form.size());
        }
    }
    return QString();
}

// One socket session on loopback. Returns the error strings both sides ended with.
QStringList runSocketSession(QSsl::SslProtocol protocol, const Secrets &secrets, bool wrongKey,
                             bool *encrypted)
{
    QStringList errors;
    *encrypted = false;
    bool echoed = false;
    bool failed = false;
    QSslServer server;
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setProtocol(protocol);
    configuration.setPreSharedKeyIdentityHint(secrets.hint);
    server.setSslConfiguration(configuration);
    const QByteArray serverKey = wrongKey ? secrets.otherKey : secrets.key;
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [&](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         if (authenticator->identity() == secrets.identity)
                             authenticator->setPreSharedKey(serverKey);
                     });
    QObject::connect(&server, &QSslServer::errorOccurred, &server,
                     [&](QSslSocket *socket, QAbstractSocket::SocketError) {
                         errors << socket->errorString();
                         failed = true;
                     });
    std::vector<QTcpSocket *> accepted;
    QObject::connect(&server, &QTcpServer::pendingConnectionAvailable, &server, [&] {
        while (QTcpSocket *socket = server.nextPendingConnection()) {
            accepted.push_back(socket);
            QObject::connect(socket, &QIODevice::readyRead, socket,
                             [socket] { socket->write(socket->readAll()); });
        }
    });
    EXPECT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    QSslSocket client;
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone); // PSK: no certificate to verify
    client.setSslConfiguration(configuration);
    QObject::connect(&client, &QSslSocket::preSharedKeyAuthenticationRequired, &client,
                     [&](QSslPreSharedKeyAuthenticator *authenticator) {
                         authenticator->setIdentity(secrets.identity);
                         authenticator->setPreSharedKey(secrets.key);
                     });
    QObject::connect(&client, &QSslSocket::encrypted, &client, [&] {
        *encrypted = true;
        client.write("echo");
    });
    QObject::connect(&client, &QIODevice::readyRead, &client,
                     [&] { echoed = client.readAll() == "echo"; });
    QObject::connect(&client, &QAbstractSocket::errorOccurred, &client,
                     [&](QAbstractSocket::SocketError) { failed = true; });
    client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.serverPort());
    EXPECT_TRUE(QtPskTest::waitUntil([&] { return echoed || failed; }, 10000));
    if (!wrongKey) {
        EXPECT_TRUE(echoed);
    }
    client.disconnectFromHost();
    QtPskTest::waitUntil([&] { return client.state() == QAbstractSocket::UnconnectedState; }, 5000);
    errors << client.errorString();
    for (QTcpSocket *socket : accepted)
        errors << socket->errorString();
    return errors;
}

// Engine sessions through the paths sockets do not reach on their own: TLS 1.3 clients against
// TLS 1.2 servers, Qt's QT_USE_TLS_1_3_PSK path.
QStringList runEngineSessions(const Secrets &secrets)
{
    QStringList errors;
    RawCredentials client(secrets.identity.constData(), secrets.identity.size(),
                          secrets.key.constData(), secrets.key.size());
    RawCredentials server(secrets.identity.constData(), secrets.identity.size(),
                          secrets.key.constData(), secrets.key.size());
    RawCredentials wrong(secrets.identity.constData(), secrets.identity.size(),
                         secrets.otherKey.constData(), secrets.otherKey.size());
    const auto run = [&](const TlsSettings &c, const TlsSettings &s, RawCredentials *serverSide,
                         bool expected) {
        QString clientError;
        QString serverError;
        EXPECT_EQ(runEngineSession(c, s, &client, serverSide, &clientError, &serverError), expected);
        errors << clientError << serverError;
    };
    TlsSettings anyClient = engineSettings(false, 0);
    anyClient.cipherList = "PSK";
    run(anyClient, engineSettings(true, TLS1_2_VERSION, secrets.hint), &server, true);
    run(anyClient, engineSettings(true, TLS1_3_VERSION, secrets.hint), &server, true);
    run(anyClient, engineSettings(true, TLS1_3_VERSION, secrets.hint), &wrong, false);
    TlsSettings qtClient = engineSettings(false, TLS1_3_VERSION);
    qtClient.tls13Psk = QtPskPrivate::Tls13Psk::QtOptIn; // what the policy gives with the variable
    qputenv("QT_USE_TLS_1_3_PSK", "1");
    run(qtClient, engineSettings(true, TLS1_3_VERSION, secrets.hint), &server, true);
    qunsetenv("QT_USE_TLS_1_3_PSK");
    TlsContext::releaseUnused();
    return errors;
}

QStringList runEverything(const Secrets &secrets)
{
    QStringList errors;
    for (const QSsl::SslProtocol protocol : {QSsl::TlsV1_2, QSsl::TlsV1_3}) {
        for (const bool wrongKey : {false, true}) {
            bool encrypted = false;
            errors << runSocketSession(protocol, secrets, wrongKey, &encrypted);
            EXPECT_EQ(encrypted, !wrongKey) << "protocol " << int(protocol);
        }
    }
    errors << runEngineSessions(secrets);
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    return errors;
}

} // namespace

TEST(LoggingHygiene, DebugLoggingOfEveryCategoryNeverShowsKeysIdentitiesOrHints)
{
    const Secrets secrets;
    QStringList errors;
    std::vector<LogRecord> records;
    {
        const CapturedLog log(QStringLiteral("qtpsk.*=true"));
        errors = runEverything(secrets);
        records = log.records();
    }

    // It really logged, from every category, and PSK requests with their lengths.
    QSet<QString> categories;
    int pskLines = 0;
    for (const LogRecord &record : records) {
        if (record.category.startsWith(QLatin1String("qtpsk.")))
            categories.insert(record.category);
        if (record.message.contains(QStringLiteral("key of %1 bytes").arg(secrets.key.size())))
            ++pskLines;
    }
    for (const char *expected : {"qtpsk.engine", "qtpsk.engine.context", "qtpsk.transport",
                                 "qtpsk.network.socket", "qtpsk.network.server", "qtpsk.ssl.socket",
                                 "qtpsk.ssl.server"}) {
        EXPECT_TRUE(categories.contains(QLatin1String(expected))) << "nothing logged by " << expected;
    }
    EXPECT_GT(records.size(), 100u);
    EXPECT_GE(pskLines, 8) << "PSK requests are logged with the key's length";

    int leaks = 0;
    for (const LogRecord &record : records) {
        const QString leak = leakIn(record.message, secrets);
        if (!leak.isEmpty() && ++leaks <= 5) {
            ADD_FAILURE() << qPrintable(record.category) << " logged a secret: " << qPrintable(leak)
                          << "; message with secrets masked: "
                          << qPrintable(QString(record.message.size(), QLatin1Char('*')));
        }
    }
    EXPECT_EQ(leaks, 0);

    int failedSessions = 0;
    for (const QString &error : std::as_const(errors)) {
        EXPECT_TRUE(leakIn(error, secrets).isEmpty()) << "an errorString() holds a secret";
        failedSessions += error.isEmpty() ? 0 : 1;
    }
    EXPECT_GT(failedSessions, 0) << "the wrong-key sessions produced error strings to check";
}

TEST(LoggingHygiene, DefaultRulesLogNothingBelowWarningsFromQtPsk)
{
    if (qEnvironmentVariableIsSet("QT_LOGGING_RULES"))
        GTEST_SKIP() << "QT_LOGGING_RULES is set and overrides the default rules";
    const Secrets secrets;
    std::vector<LogRecord> records;
    {
        const CapturedLog log{QString()};
        runEverything(secrets);
        records = log.records();
    }
    int quiet = 0;
    for (const LogRecord &record : records) {
        if (record.category.startsWith(QLatin1String("qtpsk.")) && record.type != QtWarningMsg
            && record.type != QtCriticalMsg && record.type != QtFatalMsg) {
            ++quiet;
        }
        EXPECT_TRUE(leakIn(record.message, secrets).isEmpty()) << qPrintable(record.category);
    }
    EXPECT_EQ(quiet, 0) << "debug or info output from qtpsk.* without being asked for";
}
