// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "transport/hostresolver_p.h"

#include "transport/socketerrors_p.h"

#include <QtCore/qmetaobject.h>
#include <QtCore/qobject.h>
#include <QtCore/qurl.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include <netdb.h>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

// Shared by the owner (its thread) and the worker. The mutex guards everything but done,
// which only the owner's thread touches.
struct HostLookup::State
{
    std::mutex mutex;
    std::condition_variable finished;
    bool cancelled = false;
    bool hasResult = false;
    HostLookupResult result;
    QObject *context = nullptr;
    Callback done;
};

namespace {

// Taken around posting a delivery and first thing in the delivery itself: the posted functor is
// built in the worker thread, and Qt's event queue, which hands it over, synchronises where
// ThreadSanitizer cannot see (an uninstrumented Qt). Never held together with a state's mutex by
// the owner's thread, so the lock order stays state->mutex, then this.
std::mutex &postingMutex()
{
    static std::mutex mutex;
    return mutex;
}

// Posts the delivery of \a state's result to its context, unless cancelled. Called with the
// mutex held, so cancel() cannot complete (and the context cannot go away) meanwhile.
void postDelivery(const std::shared_ptr<HostLookup::State> &lookup)
{
    if (lookup->cancelled || !lookup->context)
        return;
    const std::lock_guard<std::mutex> posting(postingMutex());
    QMetaObject::invokeMethod(
            lookup->context,
            [captured = lookup] {
                std::shared_ptr<HostLookup::State> state;
                {
                    const std::lock_guard<std::mutex> handedOver(postingMutex());
                    state = captured;
                }
                HostLookup::Callback done;
                HostLookupResult result;
                {
                    std::lock_guard<std::mutex> lock(state->mutex);
                    if (state->cancelled)
                        return;
                    state->cancelled = true; // delivered once
                    result = state->result;
                }
                done = std::move(state->done);
                state->done = nullptr;
                if (done)
                    done(result);
            },
            Qt::QueuedConnection);
}

} // namespace

HostLookup::HostLookup() = default;

HostLookup::~HostLookup()
{
    cancel();
}

void HostLookup::cancel()
{
    if (!m_state)
        return;
    {
        std::lock_guard<std::mutex> lock(m_state->mutex);
        m_state->cancelled = true;
        m_state->context = nullptr;
    }
    m_state->done = nullptr;
    m_state.reset();
}

void HostLookup::start(const QString &hostName, quint16 port, int family, QObject *context,
                       Callback done)
{
    cancel();
    auto state = std::make_shared<State>();
    state->context = context;
    state->done = std::move(done);
    m_state = state;

    std::thread([state, hostName, port, family] {
        HostLookupResult result = lookupBlocking(hostName, port, family);
        std::lock_guard<std::mutex> lock(state->mutex);
        state->result = std::move(result);
        state->hasResult = true;
        state->finished.notify_all();
        postDelivery(state);
    }).detach();
}

bool HostLookup::waitForResult(QDeadlineTimer deadline, HostLookupResult *result)
{
    if (!m_state)
        return false;
    std::shared_ptr<State> state = m_state;
    {
        std::unique_lock<std::mutex> lock(state->mutex);
        while (!state->hasResult) {
            if (deadline.isForever()) {
                state->finished.wait(lock);
            } else {
                const auto until = std::chrono::steady_clock::now()
                        + std::chrono::milliseconds(deadline.remainingTime());
                if (state->finished.wait_until(lock, until) == std::cv_status::timeout
                    && !state->hasResult && deadline.hasExpired())
                    return false;
            }
        }
        *result = state->result;
    }
    cancel();
    return true;
}

HostLookupResult HostLookup::lookupBlocking(const QString &hostName, quint16 port, int family)
{
    HostLookupResult result;
    // International names go to the resolver in their ACE (punycode) form.
    QByteArray name = QUrl::toAce(hostName);
    if (name.isEmpty())
        name = hostName.toUtf8();
    if (name.isEmpty() || name.contains('\0')) {
        result.hostNotFound = true;
        result.errorString = hostNotFoundErrorString();
        return result;
    }
    addrinfo hints {};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
    const QByteArray service = QByteArray::number(port);
    addrinfo *list = nullptr;
    int rc = ::getaddrinfo(name.constData(), service.constData(), &hints, &list);
    if (rc == EAI_BADFLAGS || (rc == EAI_NONAME && (hints.ai_flags & AI_ADDRCONFIG))) {
        // AI_ADDRCONFIG hides loopback-only hosts on machines without a configured address.
        hints.ai_flags = AI_NUMERICSERV;
        rc = ::getaddrinfo(name.constData(), service.constData(), &hints, &list);
    }
    if (rc != 0) {
        result.hostNotFound = rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_FAIL
                || rc == EAI_FAMILY || rc == EAI_SERVICE;
        result.errorString = result.hostNotFound ? hostNotFoundErrorString()
                                                 : QString::fromLocal8Bit(::gai_strerror(rc));
        return result;
    }
    for (addrinfo *ai = list; ai; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        const SocketAddress a = SocketAddress::fromSockaddr(ai->ai_addr, ai->ai_addrlen);
        bool duplicate = false;
        for (const SocketAddress &seen : std::as_const(result.addresses))
            duplicate = duplicate
                    || (seen.length == a.length && std::memcmp(&seen.storage, &a.storage, a.length) == 0);
        if (a.isValid() && !duplicate)
            result.addresses.append(a);
    }
    ::freeaddrinfo(list);
    if (result.addresses.isEmpty()) {
        result.hostNotFound = true;
        result.errorString = hostNotFoundErrorString();
    }
    return result;
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
