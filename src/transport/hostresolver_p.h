// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_HOSTRESOLVER_P_H
#define QTPSK_HOSTRESOLVER_P_H

// Internal to QtPsk: not installed, not part of the API.

#include "qtpsk_p.h"
#include "transport/tcptransport_p.h"

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

#include <functional>
#include <memory>

QT_BEGIN_NAMESPACE
class QObject;
QT_END_NAMESPACE

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

/*
    The outcome of a host-name lookup: the addresses to try, in order, or an error.
*/
struct HostLookupResult
{
    QList<SocketAddress> addresses;
    bool hostNotFound = false; // the name does not exist, or has no address of the family
    QString errorString;       // set when addresses is empty
};

/*
    An asynchronous host-name lookup that never blocks the caller's event loop.

    start() resolves the name with getaddrinfo() on a worker thread (an IP literal too: the
    socket resolves literals itself and never starts a lookup for one); \a done runs later,
    from the event loop of \a context's thread, through a queued invocation on \a context
    (never from inside start()). cancel(), a new start() or the destructor guarantee that
    \a done of the earlier lookup never runs, even if the worker still finishes. The worker
    holds no pointer to the caller's objects except \a context, which it touches only under a
    lock that cancel() also takes: the owner must call cancel() (or destroy the HostLookup)
    before \a context is destroyed.

    waitForResult() takes the result without an event loop (for waitForConnected()); the
    queued \a done is then dropped.
*/
class HostLookup
{
public:
    using Callback = std::function<void(const HostLookupResult &)>;

    HostLookup();
    ~HostLookup();
    HostLookup(const HostLookup &) = delete;
    HostLookup &operator=(const HostLookup &) = delete;

    // \a family: AF_UNSPEC, AF_INET or AF_INET6.
    void start(const QString &hostName, quint16 port, int family, QObject *context, Callback done);
    void cancel();
    // Waits until the result is there or \a deadline expires; on success cancels the delivery
    // of done and returns true with the result in *result.
    bool waitForResult(QDeadlineTimer deadline, HostLookupResult *result);

    // The blocking lookup the worker runs (getaddrinfo, AI_ADDRCONFIG, IPv6 and IPv4).
    static HostLookupResult lookupBlocking(const QString &hostName, quint16 port, int family);

    struct State;

private:
    std::shared_ptr<State> m_state;
};

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE

#endif // QTPSK_HOSTRESOLVER_P_H
