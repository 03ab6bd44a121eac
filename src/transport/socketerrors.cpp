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

struct ErrorRow
{
    int errors[4]; // the errno values of the row; 0 ends the list
    QAbstractSocket::SocketError code;
    const char *text;
};

// The errno values every call reports alike. socketErrorFromErrno() handles the few that
// depend on the call before it looks here.
constexpr ErrorRow errorTable[] = {
    { { ECONNREFUSED }, QAbstractSocket::ConnectionRefusedError,
      QT_TRANSLATE_NOOP("QAbstractSocket", "Connection refused") },
    { { ECONNRESET, EPIPE }, QAbstractSocket::RemoteHostClosedError,
      QT_TRANSLATE_NOOP("QAbstractSocket", "The remote host closed the connection") },
    { { ETIMEDOUT }, QAbstractSocket::NetworkError,
      QT_TRANSLATE_NOOP("QAbstractSocket", "Connection timed out") },
    { { ENETUNREACH }, QAbstractSocket::NetworkError,
      QT_TRANSLATE_NOOP("QAbstractSocket", "Network unreachable") },
    { { EHOSTUNREACH }, QAbstractSocket::NetworkError,
      QT_TRANSLATE_NOOP("QAbstractSocket", "Host unreachable") },
    { { EACCES, EPERM }, QAbstractSocket::SocketAccessError,
      QT_TRANSLATE_NOOP("QAbstractSocket", "Permission denied") },
    { { EMFILE, ENFILE, ENOBUFS, ENOMEM }, QAbstractSocket::SocketResourceError,
      QT_TRANSLATE_NOOP("QAbstractSocket", "Insufficient resources") },
    { { EAFNOSUPPORT, EPROTONOSUPPORT }, QAbstractSocket::UnsupportedSocketOperationError,
      QT_TRANSLATE_NOOP("QAbstractSocket", "Protocol type not supported") },
    { { EADDRNOTAVAIL }, QAbstractSocket::SocketAddressNotAvailableError,
      QT_TRANSLATE_NOOP("QAbstractSocket", "The address is not available") },
    { { EADDRINUSE }, QAbstractSocket::AddressInUseError,
      QT_TRANSLATE_NOOP("QAbstractSocket", "The bound address is already in use") },
};

} // namespace

QAbstractSocket::SocketError socketErrorFromErrno(int error, SocketCall call, QString *text)
{
    // A local address that may not be used, and an argument a bind() refuses.
    if (call == SocketCall::Bind && (error == EACCES || error == EPERM)) {
        *text = tr("The address is protected");
        return QAbstractSocket::SocketAccessError;
    }
    if (call == SocketCall::Bind && error == EINVAL) {
        *text = tr("Unsupported socket operation");
        return QAbstractSocket::UnsupportedSocketOperationError;
    }
    for (const ErrorRow &row : errorTable) {
        for (int rowError : row.errors) {
            if (rowError != 0 && rowError == error) {
                *text = tr(row.text);
                // A connect that timed out is the socket's time-out, not a network failure.
                return call == SocketCall::Connect && error == ETIMEDOUT
                        ? QAbstractSocket::SocketTimeoutError
                        : row.code;
            }
        }
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
