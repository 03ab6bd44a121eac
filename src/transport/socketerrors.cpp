// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "transport/socketerrors_p.h"

#include <QtCore/qcoreapplication.h>

#include <cerrno>
#include <cstring>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

namespace {

QString tr(const char *text)
{
    return QAbstractSocket::tr(text);
}

// The translation context of QUdpSocket's own messages.
struct QUdpSocketText
{
    static QString tr(const char *text) { return QCoreApplication::translate("QUdpSocket", text); }
};

struct ErrorRow
{
    int errors[4]; // the errno values of the row; 0 ends the list
    QAbstractSocket::SocketError code;
    const char *text;
};

// The errno values every call reports alike. socketErrorFromErrno() handles the few that
// depend on the call before it looks here.
constexpr ErrorRow errorTable[] = {
    { { ECONNREFUSED }, QAbstractSocket::ConnectionRefusedError, QT_TRANSLATE_NOOP("QAbstractSocket", "Connection refused") },
    { { ECONNRESET, EPIPE }, QAbstractSocket::RemoteHostClosedError, QT_TRANSLATE_NOOP("QAbstractSocket", "The remote host closed the connection") },
    { { ETIMEDOUT }, QAbstractSocket::NetworkError, QT_TRANSLATE_NOOP("QAbstractSocket", "Connection timed out") },
    { { ENETUNREACH }, QAbstractSocket::NetworkError, QT_TRANSLATE_NOOP("QAbstractSocket", "Network unreachable") },
    { { EHOSTUNREACH }, QAbstractSocket::NetworkError, QT_TRANSLATE_NOOP("QAbstractSocket", "Host unreachable") },
    { { EACCES, EPERM }, QAbstractSocket::SocketAccessError, QT_TRANSLATE_NOOP("QAbstractSocket", "Permission denied") },
    { { EMFILE, ENFILE, ENOBUFS, ENOMEM }, QAbstractSocket::SocketResourceError, QT_TRANSLATE_NOOP("QAbstractSocket", "Insufficient resources") },
    { { EAFNOSUPPORT, EPROTONOSUPPORT }, QAbstractSocket::UnsupportedSocketOperationError, QT_TRANSLATE_NOOP("QAbstractSocket", "Protocol type not supported") },
    { { EADDRNOTAVAIL }, QAbstractSocket::SocketAddressNotAvailableError, QT_TRANSLATE_NOOP("QAbstractSocket", "The address is not available") },
    { { EADDRINUSE }, QAbstractSocket::AddressInUseError, QT_TRANSLATE_NOOP("QAbstractSocket", "The bound address is already in use") },
};

} // namespace

// The datagram calls report few errors of their own, as Qt's socket engine does: anything else
// is a NetworkError with the call's message.
static QAbstractSocket::SocketError datagramError(int error, SocketCall call, QString *text)
{
    if (call == SocketCall::DatagramRead) {
        *text = errnoString(error);
        return QAbstractSocket::NetworkError;
    }
    if (error == EMSGSIZE && call != SocketCall::DatagramReceive) {
        *text = tr("Datagram was too large to send");
        return QAbstractSocket::DatagramTooLargeError;
    }
    if (error == ECONNRESET || (error == EPIPE && call == SocketCall::DatagramWrite)) {
        *text = tr("The remote host closed the connection");
        return QAbstractSocket::RemoteHostClosedError;
    }
    if (call == SocketCall::DatagramReceive && (error == EAGAIN || error == EWOULDBLOCK)) {
        *text = tr("Temporary error");
        return QAbstractSocket::TemporaryError;
    }
    if (call == SocketCall::DatagramReceive && error == ECONNREFUSED) {
        *text = tr("Connection refused");
        return QAbstractSocket::ConnectionRefusedError;
    }
    if (call == SocketCall::DatagramSend && (error == EAGAIN || error == EWOULDBLOCK)) {
        *text = QUdpSocketText::tr("Unable to send a datagram");
        return QAbstractSocket::TemporaryError;
    }
    if (call == SocketCall::DatagramWrite) {
        text->clear();
        return QAbstractSocket::UnknownSocketError;
    }
    *text = call == SocketCall::DatagramReceive ? tr("Unable to receive a message")
                                                : tr("Unable to send a datagram");
    return QAbstractSocket::NetworkError;
}

QAbstractSocket::SocketError socketErrorFromErrno(int error, SocketCall call, QString *text)
{
    if (call == SocketCall::DatagramSend || call == SocketCall::DatagramReceive
        || call == SocketCall::DatagramWrite || call == SocketCall::DatagramRead) {
        return datagramError(error, call, text);
    }
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
