// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Q_DECLARE_METATYPE in user code, as Qt's own tests and real applications write it: every line
// below compiles against Qt 6.4's QtNetwork, so it must compile against QtPsk too. A library that
// declares a metatype Qt does not declare (or declares it in a way that forbids a second
// declaration) breaks these programs at compile time. Qt 6.4 itself declares exactly
// QList<QSslError>, QSslPreSharedKeyAuthenticator, QSslPreSharedKeyAuthenticator *,
// QAbstractSocket::SocketState, QAbstractSocket::SocketError, QSslConfiguration and QNetworkProxy;
// user code cannot declare those a second time with either library, so they are not here.
// Built against QtPsk and against Qt6::Network (qtpsk_add_parity_pair).
#include <QAbstractSocket>
#include <QHostAddress>
#include <QSsl>
#include <QSslCipher>
#include <QSslConfiguration>
#include <QSslError>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>

#include <QtCore/qlist.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qobject.h>
#include <QtCore/qvariant.h>

#include <gtest/gtest.h>

// qtbase's tests/auto/network/ssl/qsslsocket/tst_qsslsocket.cpp (Qt 6) declares these ...
Q_DECLARE_METATYPE(QSslSocket::SslMode)
typedef QList<QSslError::SslError> SslErrorList;
Q_DECLARE_METATYPE(SslErrorList)
Q_DECLARE_METATYPE(QSslError)
Q_DECLARE_METATYPE(QSsl::SslProtocol)
Q_DECLARE_METATYPE(QSslSocket::PeerVerifyMode);
// ... and network inspectors (for example GammaRay's network support) these.
Q_DECLARE_METATYPE(QSsl::KeyAlgorithm)
Q_DECLARE_METATYPE(QSsl::KeyType)
Q_DECLARE_METATYPE(QSslCipher)
// Every other enumeration, flag type and class of the provided classes.
Q_DECLARE_METATYPE(QSsl::EncodingFormat)
Q_DECLARE_METATYPE(QSsl::AlternativeNameEntryType)
Q_DECLARE_METATYPE(QSsl::SslOption)
Q_DECLARE_METATYPE(QSsl::SslOptions)
Q_DECLARE_METATYPE(QSsl::AlertLevel)
Q_DECLARE_METATYPE(QSsl::AlertType)
Q_DECLARE_METATYPE(QSsl::ImplementedClass)
Q_DECLARE_METATYPE(QSsl::SupportedFeature)
Q_DECLARE_METATYPE(QSslError::SslError)
Q_DECLARE_METATYPE(QAbstractSocket::SocketType)
Q_DECLARE_METATYPE(QAbstractSocket::NetworkLayerProtocol)
Q_DECLARE_METATYPE(QAbstractSocket::SocketOption)
Q_DECLARE_METATYPE(QAbstractSocket::BindFlag)
Q_DECLARE_METATYPE(QAbstractSocket::BindMode)
Q_DECLARE_METATYPE(QAbstractSocket::PauseMode)
Q_DECLARE_METATYPE(QAbstractSocket::PauseModes)
Q_DECLARE_METATYPE(QHostAddress)
Q_DECLARE_METATYPE(QHostAddress::SpecialAddress)
Q_DECLARE_METATYPE(QHostAddress::ConversionMode)
Q_DECLARE_METATYPE(QIPv6Address)
Q_DECLARE_METATYPE(QList<QSslCipher>)
Q_DECLARE_METATYPE(QList<QHostAddress>)
Q_DECLARE_METATYPE(QAbstractSocket *)
Q_DECLARE_METATYPE(QTcpSocket *)
Q_DECLARE_METATYPE(QSslSocket *)
Q_DECLARE_METATYPE(QTcpServer *)
Q_DECLARE_METATYPE(QSslServer *)

namespace {

// What a declared metatype is for: QVariant round trips, registration by name (queued
// connections, QSignalSpy) and the same name in both libraries. \a name is Qt's name of the type;
// \a declaredAs the spelling given to Q_DECLARE_METATYPE when it differs (a typedef, a QFlags
// alias), which is registered as another name of the same type.
template <typename T>
void expectUsable(const T &value, const char *name, const char *declaredAs = nullptr)
{
    const QVariant variant = QVariant::fromValue(value);
    EXPECT_TRUE(variant.isValid()) << name;
    EXPECT_TRUE(variant.canConvert<T>()) << name;
    EXPECT_TRUE(variant.value<T>() == value) << name;
    const int id = qRegisterMetaType<T>();
    EXPECT_NE(id, 0) << name;
    EXPECT_EQ(qMetaTypeId<T>(), id) << name;
    EXPECT_STREQ(QMetaType::fromType<T>().name(), name);
    EXPECT_EQ(QMetaType::fromName(name), QMetaType::fromType<T>()) << name;
    if (declaredAs) {
        EXPECT_EQ(QMetaType::fromName(declaredAs), QMetaType::fromType<T>()) << declaredAs;
    }
}

TEST(MetaTypeDeclarations, UserDeclaredTypesWorkInQVariantAndByName)
{
    expectUsable(QSslSocket::SslClientMode, "QSslSocket::SslMode");
    expectUsable(SslErrorList{QSslError::NoPeerCertificate}, "QList<QSslError::SslError>",
                 "SslErrorList");
    expectUsable(QSslError(QSslError::NoPeerCertificate), "QSslError");
    expectUsable(QSsl::TlsV1_2OrLater, "QSsl::SslProtocol");
    expectUsable(QSslSocket::VerifyNone, "QSslSocket::PeerVerifyMode");
    expectUsable(QSsl::Ec, "QSsl::KeyAlgorithm");
    expectUsable(QSsl::PrivateKey, "QSsl::KeyType");
    expectUsable(QSslCipher(), "QSslCipher");
    expectUsable(QSsl::Der, "QSsl::EncodingFormat");
    expectUsable(QSsl::DnsEntry, "QSsl::AlternativeNameEntryType");
    expectUsable(QSsl::SslOptionDisableSessionTickets, "QSsl::SslOption");
    expectUsable(QSsl::SslOptions(QSsl::SslOptionDisableCompression), "QFlags<QSsl::SslOption>",
                 "QSsl::SslOptions");
    expectUsable(QSsl::AlertLevel::Fatal, "QSsl::AlertLevel");
    expectUsable(QSsl::AlertType::UnknownPskIdentity, "QSsl::AlertType");
    expectUsable(QSsl::ImplementedClass::Socket, "QSsl::ImplementedClass");
    expectUsable(QSsl::SupportedFeature::Psk, "QSsl::SupportedFeature");
    expectUsable(QSslError::NoPeerCertificate, "QSslError::SslError");
    expectUsable(QAbstractSocket::TcpSocket, "QAbstractSocket::SocketType");
    expectUsable(QAbstractSocket::IPv4Protocol, "QAbstractSocket::NetworkLayerProtocol");
    expectUsable(QAbstractSocket::LowDelayOption, "QAbstractSocket::SocketOption");
    expectUsable(QAbstractSocket::ShareAddress, "QAbstractSocket::BindFlag");
    expectUsable(QAbstractSocket::BindMode(QAbstractSocket::ReuseAddressHint),
                 "QFlags<QAbstractSocket::BindFlag>", "QAbstractSocket::BindMode");
    expectUsable(QAbstractSocket::PauseOnSslErrors, "QAbstractSocket::PauseMode");
    expectUsable(QAbstractSocket::PauseModes(QAbstractSocket::PauseOnSslErrors),
                 "QFlags<QAbstractSocket::PauseMode>", "QAbstractSocket::PauseModes");
    expectUsable(QHostAddress(QHostAddress::LocalHost), "QHostAddress");
    expectUsable(QHostAddress::LocalHost, "QHostAddress::SpecialAddress");
    expectUsable(QHostAddress::ConversionMode(QHostAddress::StrictConversion),
                 "QFlags<QHostAddress::ConversionModeFlag>", "QHostAddress::ConversionMode");
    expectUsable(QList<QSslCipher>{QSslCipher()}, "QList<QSslCipher>");
    expectUsable(QList<QHostAddress>{QHostAddress(QHostAddress::LocalHost)}, "QList<QHostAddress>");
}

TEST(MetaTypeDeclarations, ObjectPointersWorkInQVariant)
{
    QSslSocket sslSocket;
    QTcpSocket tcpSocket;
    QTcpServer tcpServer;
    QSslServer sslServer;
    expectUsable(static_cast<QAbstractSocket *>(&tcpSocket), "QAbstractSocket*");
    expectUsable(&tcpSocket, "QTcpSocket*");
    expectUsable(&sslSocket, "QSslSocket*");
    expectUsable(&tcpServer, "QTcpServer*");
    expectUsable(&sslServer, "QSslServer*");
}

TEST(MetaTypeDeclarations, IPv6AddressTravelsInQVariant)
{
    QIPv6Address address{};
    address[15] = 1;
    const QVariant variant = QVariant::fromValue(address);
    EXPECT_EQ(variant.value<QIPv6Address>()[15], 1);
    EXPECT_STREQ(QMetaType::fromType<QIPv6Address>().name(), "QIPv6Address");
}

// The metatypes the library declares itself, as Qt does: usable without any user declaration.
TEST(MetaTypeDeclarations, LibraryDeclaredTypesNeedNoUserDeclaration)
{
    EXPECT_STREQ(QMetaType::fromType<QList<QSslError>>().name(), "QList<QSslError>");
    EXPECT_STREQ(QMetaType::fromType<QSslPreSharedKeyAuthenticator>().name(),
                 "QSslPreSharedKeyAuthenticator");
    EXPECT_STREQ(QMetaType::fromType<QSslPreSharedKeyAuthenticator *>().name(),
                 "QSslPreSharedKeyAuthenticator*");
    EXPECT_STREQ(QMetaType::fromType<QAbstractSocket::SocketState>().name(),
                 "QAbstractSocket::SocketState");
    EXPECT_STREQ(QMetaType::fromType<QAbstractSocket::SocketError>().name(),
                 "QAbstractSocket::SocketError");
    EXPECT_STREQ(QMetaType::fromType<QSslConfiguration>().name(), "QSslConfiguration");
    EXPECT_TRUE(QVariant::fromValue(QSslConfiguration()).isValid());
    EXPECT_TRUE(QVariant::fromValue(QList<QSslError>{QSslError()}).isValid());
}

} // namespace
