// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_TCPLISTENER_P_H
#define QTPSK_TCPLISTENER_P_H

// Internal to QtPsk: not installed, not part of the API.

#include "qtpsk_p.h"
#include "transport/tcptransport_p.h"

#include <QtCore/qdeadlinetimer.h>

#include <functional>

QT_BEGIN_NAMESPACE
class QObject;
class QSocketNotifier;
QT_END_NAMESPACE

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

/*
    A listening TCP socket on the Qt event loop of the thread that created it: the server side
    beside TcpTransport.

    Owns one listening descriptor (O_NONBLOCK | O_CLOEXEC) and one read notifier that lives as
    long as the listener (a child of the context object given to the constructor, so it follows
    it through moveToThread()). The notifier is enabled only while the owner wants connections;
    onReadable then runs from the event loop while one is waiting. The listener never calls back
    from its own functions, so the owner may close() it or listen() again from inside
    onReadable.

    Errors are errno values (lastError()).
*/
class TcpListener
{
public:
    // What accept() found.
    enum class AcceptResult {
        Accepted,    // a connection: its descriptor is in *fd
        NoneWaiting, // the queue is empty (EAGAIN)
        Skipped,     // a connection that died in the backlog, or a transient network error
                     // that Linux reports on accept(): try the next one
        Failed       // any other error, in lastError()
    };
    // What adopt() found.
    enum class AdoptResult { Adopted, NotListening, Failed };

    explicit TcpListener(QObject *context);
    ~TcpListener();
    TcpListener(const TcpListener &) = delete;
    TcpListener &operator=(const TcpListener &) = delete;

    std::function<void()> onReadable;

    bool isOpen() const { return m_fd >= 0; }
    int descriptor() const { return m_fd; }
    int lastError() const { return m_lastError; }

    // Creates a socket of the address's family, sets SO_REUSEADDR (and IPV6_V6ONLY to
    // \a v6Only for IPv6), binds it to \a address and listens with \a backlog. Closes any
    // previous descriptor first; on failure nothing stays open.
    bool listen(const SocketAddress &address, bool v6Only, int backlog);
    // Takes over \a fd if it is a listening stream socket (NotListening otherwise, or when it
    // is no socket at all) and makes it non-blocking and close-on-exec (Failed if that fails).
    // The caller keeps \a fd on failure.
    AdoptResult adopt(int fd);
    // Accepts one waiting connection (accept4(), non-blocking and close-on-exec).
    AcceptResult accept(int *fd);
    // Disables the notifier and closes the descriptor. Safe to call at any time.
    void close();

    SocketAddress localAddress() const;
    // True for an IPv6 socket with IPV6_V6ONLY off: it accepts IPv4 connections too.
    bool acceptsIPv4AndIPv6() const;

    void setNotificationEnabled(bool enable);
    // waitForActivity() for a connection on this descriptor; Failed when the listener is closed.
    WaitResult wait(QDeadlineTimer deadline) const;

private:
    void attach(int fd);
    bool fail(int error);

    int m_fd = -1;
    int m_lastError = 0;
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE

#endif // QTPSK_TCPLISTENER_P_H
