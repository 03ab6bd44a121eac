// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "transport/socketerrors_p.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

using namespace QtPskPrivate;

namespace {

struct Mapped
{
    QAbstractSocket::SocketError code;
    QString text;
};

Mapped map(int error, SocketCall call)
{
    Mapped m;
    m.code = socketErrorFromErrno(error, call, &m.text);
    return m;
}

} // namespace

TEST(SocketErrors, MapsTheCommonValuesAlikeForEveryCall)
{
    for (SocketCall call : { SocketCall::Connect, SocketCall::Bind, SocketCall::Other }) {
        EXPECT_EQ(map(ECONNREFUSED, call).code, QAbstractSocket::ConnectionRefusedError);
        EXPECT_EQ(map(ECONNREFUSED, call).text, QStringLiteral("Connection refused"));
        EXPECT_EQ(map(ECONNRESET, call).code, QAbstractSocket::RemoteHostClosedError);
        EXPECT_EQ(map(EPIPE, call).text, QStringLiteral("The remote host closed the connection"));
        EXPECT_EQ(map(EHOSTUNREACH, call).code, QAbstractSocket::NetworkError);
        EXPECT_EQ(map(EMFILE, call).code, QAbstractSocket::SocketResourceError);
        EXPECT_EQ(map(ENOBUFS, call).text, QStringLiteral("Insufficient resources"));
        EXPECT_EQ(map(EAFNOSUPPORT, call).code, QAbstractSocket::UnsupportedSocketOperationError);
        EXPECT_EQ(map(EADDRNOTAVAIL, call).code, QAbstractSocket::SocketAddressNotAvailableError);
        EXPECT_EQ(map(EADDRINUSE, call).code, QAbstractSocket::AddressInUseError);
        EXPECT_EQ(map(EADDRINUSE, call).text, QStringLiteral("The bound address is already in use"));
    }
}

TEST(SocketErrors, SomeValuesDependOnTheCall)
{
    EXPECT_EQ(map(ETIMEDOUT, SocketCall::Connect).code, QAbstractSocket::SocketTimeoutError);
    EXPECT_EQ(map(ETIMEDOUT, SocketCall::Other).code, QAbstractSocket::NetworkError);
    EXPECT_EQ(map(EACCES, SocketCall::Bind).text, QStringLiteral("The address is protected"));
    EXPECT_EQ(map(EPERM, SocketCall::Connect).text, QStringLiteral("Permission denied"));
    EXPECT_EQ(map(EACCES, SocketCall::Other).code, QAbstractSocket::SocketAccessError);
    EXPECT_EQ(map(EINVAL, SocketCall::Bind).code, QAbstractSocket::UnsupportedSocketOperationError);
    EXPECT_EQ(map(EINVAL, SocketCall::Other).code, QAbstractSocket::UnknownSocketError);
}

TEST(SocketErrors, UnknownValuesCarryTheSystemMessage)
{
    const QString system = QString::fromLocal8Bit(std::strerror(ENOTSOCK));
    EXPECT_EQ(errnoString(ENOTSOCK), system);
    EXPECT_EQ(map(ENOTSOCK, SocketCall::Other).code, QAbstractSocket::UnknownSocketError);
    EXPECT_EQ(map(ENOTSOCK, SocketCall::Bind).code, QAbstractSocket::UnknownSocketError);
    EXPECT_EQ(map(ENOTSOCK, SocketCall::Connect).code, QAbstractSocket::ConnectionRefusedError);
    EXPECT_EQ(map(ENOTSOCK, SocketCall::Connect).text, system);
    EXPECT_EQ(hostNotFoundErrorString(), QStringLiteral("Host not found"));
}

TEST(SocketErrors, DatagramCallsReportWhatQtsEngineReports)
{
    EXPECT_EQ(map(EMSGSIZE, SocketCall::DatagramSend).code, QAbstractSocket::DatagramTooLargeError);
    EXPECT_EQ(map(EMSGSIZE, SocketCall::DatagramSend).text,
              QStringLiteral("Datagram was too large to send"));
    EXPECT_EQ(map(EMSGSIZE, SocketCall::DatagramWrite).code, QAbstractSocket::DatagramTooLargeError);
    EXPECT_EQ(map(EAGAIN, SocketCall::DatagramSend).code, QAbstractSocket::TemporaryError);
    EXPECT_EQ(map(EAGAIN, SocketCall::DatagramSend).text, QStringLiteral("Unable to send a datagram"));
    EXPECT_EQ(map(EHOSTUNREACH, SocketCall::DatagramSend).code, QAbstractSocket::NetworkError);
    EXPECT_EQ(map(EHOSTUNREACH, SocketCall::DatagramSend).text,
              QStringLiteral("Unable to send a datagram"));
    EXPECT_EQ(map(ECONNRESET, SocketCall::DatagramSend).code, QAbstractSocket::RemoteHostClosedError);
    EXPECT_EQ(map(ECONNREFUSED, SocketCall::DatagramReceive).code,
              QAbstractSocket::ConnectionRefusedError);
    EXPECT_EQ(map(EAGAIN, SocketCall::DatagramReceive).code, QAbstractSocket::TemporaryError);
    EXPECT_EQ(map(EAGAIN, SocketCall::DatagramReceive).text, QStringLiteral("Temporary error"));
    EXPECT_EQ(map(EIO, SocketCall::DatagramReceive).text, QStringLiteral("Unable to receive a message"));
    // write() of a connected socket: an errno Qt's engine leaves unreported.
    EXPECT_EQ(map(ECONNREFUSED, SocketCall::DatagramWrite).code, QAbstractSocket::UnknownSocketError);
    EXPECT_TRUE(map(ECONNREFUSED, SocketCall::DatagramWrite).text.isEmpty());
    EXPECT_EQ(map(EPIPE, SocketCall::DatagramWrite).code, QAbstractSocket::RemoteHostClosedError);
    // read() of a connected socket: a NetworkError with the system's text.
    EXPECT_EQ(map(ECONNREFUSED, SocketCall::DatagramRead).code, QAbstractSocket::NetworkError);
    EXPECT_EQ(map(ECONNREFUSED, SocketCall::DatagramRead).text, errnoString(ECONNREFUSED));
}
