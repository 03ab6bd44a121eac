// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The meta-types of signal, slot and Q_INVOKABLE parameters, as QMetaMethod reports them. Qt's moc
// records a parameter's QMetaType only when the type is complete where the moc output is
// compiled; otherwise parameterMetaType() is invalid, and QSignalSpy and queued connections
// cannot carry the argument ("Cannot queue arguments of type ..."). With Qt, every parameter of
// the public classes has a valid meta-type, preSharedKeyAuthenticationRequired's
// QSslPreSharedKeyAuthenticator * included. Built against QtPsk and against Qt6::Network.
#include <QAbstractSocket>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qobject.h>
#include <QtTest/qsignalspy.h>

#include <gtest/gtest.h>

namespace {

// Every method a class declares itself (not its bases'), except Qt's private slots (_q_...).
std::vector<QMetaMethod> ownMethods(const QMetaObject &metaObject)
{
    std::vector<QMetaMethod> methods;
    for (int i = metaObject.methodOffset(); i < metaObject.methodCount(); ++i) {
        const QMetaMethod method = metaObject.method(i);
        if (!method.name().startsWith("_q_"))
            methods.push_back(method);
    }
    return methods;
}

TEST(SignalMetaTypes, EveryParameterOfEveryMethodHasItsMetaType)
{
    int parameters = 0;
    for (const QMetaObject *metaObject :
         {&QAbstractSocket::staticMetaObject, &QTcpSocket::staticMetaObject,
          &QSslSocket::staticMetaObject, &QTcpServer::staticMetaObject,
          &QSslServer::staticMetaObject}) {
        for (const QMetaMethod &method : ownMethods(*metaObject)) {
            for (int i = 0; i < method.parameterCount(); ++i, ++parameters) {
                const QByteArray where = QByteArray(metaObject->className()) + "::"
                        + method.methodSignature() + " parameter " + QByteArray::number(i);
                const QMetaType type = method.parameterMetaType(i);
                ASSERT_TRUE(type.isValid()) << where.constData();
                EXPECT_EQ(QByteArray(type.name()), method.parameterTypeName(i)) << where.constData();
                EXPECT_EQ(QMetaType::fromName(method.parameterTypeName(i)), type)
                        << where.constData();
            }
        }
    }
    EXPECT_GT(parameters, 20);
}

TEST(SignalMetaTypes, PreSharedKeySignalsCarryTheAuthenticatorPointerType)
{
    const QMetaType pointerType = QMetaType::fromType<QSslPreSharedKeyAuthenticator *>();
    const QMetaMethod client = QMetaMethod::fromSignal(&QSslSocket::preSharedKeyAuthenticationRequired);
    ASSERT_EQ(client.parameterCount(), 1);
    EXPECT_EQ(client.parameterMetaType(0), pointerType);
    EXPECT_STREQ(client.parameterMetaType(0).name(), "QSslPreSharedKeyAuthenticator*");

    const QMetaMethod server = QMetaMethod::fromSignal(&QSslServer::preSharedKeyAuthenticationRequired);
    ASSERT_EQ(server.parameterCount(), 2);
    EXPECT_EQ(server.parameterMetaType(0), QMetaType::fromType<QSslSocket *>());
    EXPECT_EQ(server.parameterMetaType(1), pointerType);
    EXPECT_STREQ(server.parameterMetaType(1).name(), "QSslPreSharedKeyAuthenticator*");
}

TEST(SignalMetaTypes, QSignalSpyRecordsTheAuthenticator)
{
    QSslSocket socket;
    QSslPreSharedKeyAuthenticator authenticator;
    QSignalSpy clientSpy(&socket, &QSslSocket::preSharedKeyAuthenticationRequired);
    ASSERT_TRUE(clientSpy.isValid());
    Q_EMIT socket.preSharedKeyAuthenticationRequired(&authenticator);
    ASSERT_EQ(clientSpy.count(), 1);
    EXPECT_EQ(clientSpy.at(0).at(0).value<QSslPreSharedKeyAuthenticator *>(), &authenticator);

    QSslServer server;
    QSignalSpy serverSpy(&server, &QSslServer::preSharedKeyAuthenticationRequired);
    ASSERT_TRUE(serverSpy.isValid());
    Q_EMIT server.preSharedKeyAuthenticationRequired(&socket, &authenticator);
    ASSERT_EQ(serverSpy.count(), 1);
    EXPECT_EQ(serverSpy.at(0).at(0).value<QSslSocket *>(), &socket);
    EXPECT_EQ(serverSpy.at(0).at(1).value<QSslPreSharedKeyAuthenticator *>(), &authenticator);
}

// A receiver with old-style slots: string-based connections look the parameter types up by name.
class Receiver : public QObject
{
    Q_OBJECT
public:
    QSslPreSharedKeyAuthenticator *clientReceived = nullptr;
    QSslSocket *serverSocket = nullptr;
    QSslPreSharedKeyAuthenticator *serverReceived = nullptr;

public Q_SLOTS:
    void onClientPsk(QSslPreSharedKeyAuthenticator *authenticator) { clientReceived = authenticator; }
    void onServerPsk(QSslSocket *socket, QSslPreSharedKeyAuthenticator *authenticator)
    {
        serverSocket = socket;
        serverReceived = authenticator;
    }
};

TEST(SignalMetaTypes, QueuedConnectionsCarryTheAuthenticator)
{
    QSslSocket socket;
    QSslServer server;
    QSslPreSharedKeyAuthenticator authenticator;
    Receiver byName;
    ASSERT_TRUE(QObject::connect(
            &socket, SIGNAL(preSharedKeyAuthenticationRequired(QSslPreSharedKeyAuthenticator*)),
            &byName, SLOT(onClientPsk(QSslPreSharedKeyAuthenticator*)), Qt::QueuedConnection));
    ASSERT_TRUE(QObject::connect(
            &server,
            SIGNAL(preSharedKeyAuthenticationRequired(QSslSocket*,QSslPreSharedKeyAuthenticator*)),
            &byName, SLOT(onServerPsk(QSslSocket*,QSslPreSharedKeyAuthenticator*)),
            Qt::QueuedConnection));
    QObject context;
    QSslPreSharedKeyAuthenticator *clientReceived = nullptr;
    QSslPreSharedKeyAuthenticator *serverReceived = nullptr;
    QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired, &context,
                     [&](QSslPreSharedKeyAuthenticator *a) { clientReceived = a; },
                     Qt::QueuedConnection);
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &context,
                     [&](QSslSocket *, QSslPreSharedKeyAuthenticator *a) { serverReceived = a; },
                     Qt::QueuedConnection);

    Q_EMIT socket.preSharedKeyAuthenticationRequired(&authenticator);
    Q_EMIT server.preSharedKeyAuthenticationRequired(&socket, &authenticator);
    QCoreApplication::processEvents();

    EXPECT_EQ(byName.clientReceived, &authenticator);
    EXPECT_EQ(byName.serverSocket, &socket);
    EXPECT_EQ(byName.serverReceived, &authenticator);
    EXPECT_EQ(clientReceived, &authenticator);
    EXPECT_EQ(serverReceived, &authenticator);
}

} // namespace

#include "signal_metatypes_test.moc"
