// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_TCPTRANSPORT_P_H
#define QTPSK_TCPTRANSPORT_P_H

// Internal to QtPsk: not installed, not part of the API.

#include "qtpsk_p.h"
#include "qtpsklogging_p.h"

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qsocketnotifier.h>
#include <QtCore/qstring.h>

#include <sys/socket.h>

#include <cstring>
#include <functional>

QT_BEGIN_NAMESPACE
class QObject;
QT_END_NAMESPACE

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

/*
    A socket address as the kernel takes it (IPv4 or IPv6, with the port), copied by value.
*/
struct SocketAddress
{
    sockaddr_storage storage {};
    socklen_t length = 0;

    bool isValid() const { return length > 0; }
    int family() const { return storage.ss_family; }
    const sockaddr *data() const { return reinterpret_cast<const sockaddr *>(&storage); }
    quint16 port() const;
    // The numeric address without the port ("127.0.0.1", "::1", "fe80::1%eth0").
    QString addressString() const;
    // Parses an IPv4 or IPv6 literal (an IPv6 one may carry a %scope); false if not a literal.
    static bool fromLiteral(const QString &literal, quint16 port, SocketAddress *out);
    static SocketAddress fromSockaddr(const sockaddr *address, socklen_t length);
    // The local (getsockname) or peer (getpeername) address of the socket \a fd; invalid if
    // there is none.
    static SocketAddress localOf(int fd);
    static SocketAddress peerOf(int fd);
};

/*
    What wait() reports.
*/
enum class WaitResult { Ready, Timeout, Failed };

/*
    Waits (poll(), no event loop) until \a fd is readable (\a wantRead) or writable
    (\a wantWrite) or \a deadline expires. On Ready, *readable / *writable say which; a hang-up
    or an error on the socket counts as readable (a read then reports it). EINTR is retried.
*/
WaitResult waitForActivity(int fd, bool wantRead, bool wantWrite,
                                                 QDeadlineTimer deadline, bool *readable,
                                                 bool *writable);

/*
    A non-blocking TCP socket on the Qt event loop of the thread that created it (or, made
    through UdpTransport, a UDP one: the descriptor handling is the same).

    Owns one descriptor (O_NONBLOCK | O_CLOEXEC) and two QSocketNotifiers that live as long as
    the transport (children of the context object given to the constructor, so they follow it
    through moveToThread()). The read notifier is enabled only while the owner wants data, the
    write notifier only while a connect is in progress or bytes are waiting to be sent.
    onReadable / onWritable run from the event loop when the descriptor is ready. The
    transport never emits anything on its own and never calls back from its own functions,
    so the owner may close() it or destroy it from inside those callbacks (but destroy it only
    through deleteLater-style deferral when inside a callback, as with any QObject).

    All functions are non-blocking. Errors are errno values.
*/
class TcpTransport
{
public:
    // read() / write() chunk size: the owner reads this much per call.
    static constexpr qint64 ChunkSize = 64 * 1024;
    enum : qint64 { WouldBlock = 0, EndOfFile = -1, Error = -2 };

    explicit TcpTransport(QObject *context);
    virtual ~TcpTransport();
    TcpTransport(const TcpTransport &) = delete;
    TcpTransport &operator=(const TcpTransport &) = delete;

    std::function<void()> onReadable;
    std::function<void()> onWritable;

    bool isOpen() const { return m_fd >= 0; }
    // SOCK_STREAM, or SOCK_DGRAM for a UdpTransport.
    int socketType() const { return m_type; }
    int descriptor() const { return m_fd; }
    // The open socket's address family (AF_INET / AF_INET6), known since it was opened or
    // adopted; AF_UNSPEC when closed.
    int addressFamily() const { return m_family; }
    // The local port, read once the socket has one (it never changes after that); 0 before.
    quint16 localPort() const;
    int lastError() const { return m_lastError; }

    // Creates a socket of \a family (AF_INET / AF_INET6) and of this transport's type (TCP, or
    // UDP for a UdpTransport). Closes any previous one.
    bool open(int family);
    // Takes ownership of the open socket \a fd of this transport's type (stream or datagram)
    // and makes it non-blocking.
    bool adopt(int fd);
    // Binds the open socket; \a reuseAddress sets SO_REUSEADDR first.
    bool bind(const SocketAddress &address, bool reuseAddress);
    // Starts connecting: 0 when connected at once, EINPROGRESS when pending (wait for
    // onWritable, then call connectResult()), any other errno on failure.
    int connectTo(const SocketAddress &address);
    // The outcome of a pending connect (SO_ERROR): 0 when connected.
    int connectResult();
    // Reads up to \a maxSize bytes: > 0 bytes read, WouldBlock, EndOfFile or Error.
    qint64 read(char *data, qint64 maxSize);
    // Sends up to \a size bytes (MSG_NOSIGNAL): >= 0 bytes sent (0: would block), or Error.
    qint64 write(const char *data, qint64 size);
    // Disables the notifiers and closes the descriptor. Safe to call at any time.
    void close();

    SocketAddress localAddress() const;
    SocketAddress peerAddress() const;

    bool setOption(int level, int name, int value);
    bool option(int level, int name, int *value) const;

    void setReadNotificationEnabled(bool enable);
    void setWriteNotificationEnabled(bool enable);

    // waitForActivity() on this descriptor; Failed when the transport is closed.
    WaitResult wait(bool wantRead, bool wantWrite, QDeadlineTimer deadline, bool *readable,
                    bool *writable) const;

protected:
    // \a socketType: SOCK_STREAM (TCP) or SOCK_DGRAM (UDP).
    TcpTransport(QObject *context, int socketType);
    // Records \a error as lastError() (and logs it).
    void fail(int error)
    {
        qCDebug(lcQtPskTransport, "descriptor %d: %s", m_fd, std::strerror(error));
        m_lastError = error;
    }

private:
    bool attach(int fd, int family);

    int m_type = SOCK_STREAM;
    int m_fd = -1;
    int m_family = AF_UNSPEC;
    mutable quint16 m_localPort = 0; // localPort(), once not 0
    int m_lastError = 0;
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr;
};

/*
    A disabled notifier of \a type, a child of \a context (so it follows it through
    moveToThread()), that runs *\a callback when activated. The callback is looked up at each
    activation, so the owner may replace or clear it.
*/
QSocketNotifier *createNotifier(QSocketNotifier::Type type, QObject *context,
                                const std::function<void()> *callback);
// Enables or disables \a notifier, unless \a fd is closed or it already is in that state.
void setNotifierEnabled(QSocketNotifier *notifier, int fd, bool enable);
// Closes \a fd if it is not -1 (never retried: on Linux the descriptor is gone even on EINTR).
void closeDescriptor(int fd);

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE

#endif // QTPSK_TCPTRANSPORT_P_H
