// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "transport/socketerrors_p.h"

#include <cerrno>
#include <cstring>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

namespace {

QString tr(const char *text)
{
    return QAbstractSocket::tr(text);
}

} // namespace

QAbstractSocket::SocketError socketErrorFromErrno(int error, SocketCall call, QString *text)
{
    switch (error) {
    case ECONNREFUSED:
        *text = tr("Connection refused");
        return QAbstractSocket::ConnectionRefusedError;
    case ECONNRESET:
    case EPIPE:
        *text = tr("The remote host closed the connection");
        return QAbstractSocket::RemoteHostClosedError;
    case ETIMEDOUT:
        *text = tr("Connection timed out");
        return call == SocketCall::Connect ? QAbstractSocket::SocketTimeoutError
                                           : QAbstractSocket::NetworkError;
    case ENETUNREACH:
        *text = tr("Network unreachable");
        return QAbstractSocket::NetworkError;
    case EHOSTUNREACH:
        *text = tr("Host unreachable");
        return QAbstractSocket::NetworkError;
    case EACCES:
    case EPERM:
        *text = call == SocketCall::Bind ? tr("The address is protected") : tr("Permission denied");
        return QAbstractSocket::SocketAccessError;
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
        *text = tr("Insufficient resources");
        return QAbstractSocket::SocketResourceError;
    case EAFNOSUPPORT:
    case EPROTONOSUPPORT:
        *text = tr("Protocol type not supported");
        return QAbstractSocket::UnsupportedSocketOperationError;
    case EADDRNOTAVAIL:
        *text = tr("The address is not available");
        return QAbstractSocket::SocketAddressNotAvailableError;
    case EADDRINUSE:
        *text = tr("The bound address is already in use");
        return QAbstractSocket::AddressInUseError;
    case EINVAL:
        if (call == SocketCall::Bind) {
            *text = tr("Unsupported socket operation");
            return QAbstractSocket::UnsupportedSocketOperationError;
        }
        break;
    default:
        break;
    }
    *text = errnoString(error);
    return call == SocketCall::Connect ? QAbstractSocket::ConnectionRefusedError
                                       : QAbstractSocket::UnknownSocketError;
}

QString hostNotFoundErrorString()
{
    return tr("Host not found");
}

QString errnoString(int error)
{
    char buffer[256] = {};
    // GNU strerror_r returns the message (maybe not in buffer); the XSI one fills buffer.
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    const char *message = ::strerror_r(error, buffer, sizeof buffer);
#else
    const char *message = ::strerror_r(error, buffer, sizeof buffer) == 0 ? buffer : "";
#endif
    return QString::fromLocal8Bit(message);
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
