// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Two DtlsEngines connected in memory through datagram queues, with an optional seeded lossy link
// (drop, duplicate, reorder) and OpenSSL's retransmission timers driven as an owner would drive
// them. Shared by the engine tests and the datagram fuzz target; free of GoogleTest.
#ifndef QTPSK_TEST_DTLSPUMP_H
#define QTPSK_TEST_DTLSPUMP_H

#include "common/enginepump.h"
#include "engine/dtlsengine_p.h"
#include "engine/tlscontext_p.h"

#include <QtCore/qbytearray.h>

#include <chrono>
#include <deque>
#include <functional>
#include <random>
#include <thread>
#include <vector>

namespace QtPskTest {

using DtlsEngine = QTPSK_PREPEND_NAMESPACE(QtPskPrivate::DtlsEngine);
using DtlsSettings = QTPSK_PREPEND_NAMESPACE(QtPskPrivate::TlsSettings);
using DtlsContext = QTPSK_PREPEND_NAMESPACE(QtPskPrivate::TlsContext);

inline DtlsSettings dtlsSettings(bool server, const QByteArray &cipherList = QByteArray(),
                                 const QByteArray &hint = QByteArray())
{
    DtlsSettings settings;
    settings.server = server;
    settings.datagram = true;
    settings.cipherList = cipherList;
    settings.identityHint = hint;
    return settings;
}

// What the link does to each datagram: dropped, duplicated or held back (and sent after the next
// one) with these probabilities, from a sequence seeded with \c seed.
struct LinkFaults
{
    double drop = 0;
    double duplicate = 0;
    double reorder = 0;
    unsigned seed = 1;
};

// One direction of the link.
class DatagramQueue
{
public:
    explicit DatagramQueue(const LinkFaults &faults) : m_faults(faults), m_random(faults.seed) { }
    void send(std::vector<QByteArray> datagrams)
    {
        std::bernoulli_distribution drop(m_faults.drop), duplicate(m_faults.duplicate),
                reorder(m_faults.reorder);
        for (QByteArray &datagram : datagrams) {
            ++sent;
            if (drop(m_random))
                continue;
            if (duplicate(m_random))
                m_queue.push_back(datagram);
            if (reorder(m_random) && !m_queue.empty())
                m_queue.insert(m_queue.end() - 1, std::move(datagram));
            else
                m_queue.push_back(std::move(datagram));
        }
    }
    bool empty() const { return m_queue.empty(); }
    QByteArray take()
    {
        QByteArray datagram = std::move(m_queue.front());
        m_queue.pop_front();
        return datagram;
    }
    int sent = 0; // datagrams handed to the link, before its faults

private:
    LinkFaults m_faults;
    std::mt19937 m_random;
    std::deque<QByteArray> m_queue;
};

// A client and a server engine over a (possibly lossy) link. run() drives both handshakes to
// their end: datagrams are delivered until none is in flight, then the earlier retransmission
// deadline is waited for and both timers handled.
class DtlsPair
{
public:
    DtlsPair(const DtlsSettings &clientSettings, const DtlsSettings &serverSettings,
             EngineCredentials *clientCredentials, EngineCredentials *serverCredentials,
             const LinkFaults &faults = {})
        : clientContext(DtlsContext::get(clientSettings, nullptr)),
          serverContext(DtlsContext::get(serverSettings, nullptr)),
          client(clientContext, clientCredentials),
          server(serverContext, serverCredentials),
          toServer(faults),
          toClient(LinkFaults{faults.drop, faults.duplicate, faults.reorder, faults.seed + 1})
    {
    }

    using Result = DtlsEngine::Result;

    // Delivers what is in flight; true when a handshake call happened.
    bool deliver()
    {
        bool moved = false;
        toServer.send(server.takeDatagrams()); // nothing, unless a call left output behind
        toServer.send(client.takeDatagrams());
        while (!toServer.empty() || !toClient.empty()) {
            moved = true;
            if (!toServer.empty()) {
                step(server, &serverResult, toServer.take());
                toClient.send(server.takeDatagrams());
            }
            if (!toClient.empty()) {
                step(client, &clientResult, toClient.take());
                toServer.send(client.takeDatagrams());
            }
        }
        return moved;
    }

    // Runs both handshakes until both are final or \a maxTimeouts retransmission rounds passed.
    bool run(int maxTimeouts = 20)
    {
        clientResult = client.handshake();
        toServer.send(client.takeDatagrams());
        for (;;) {
            deliver();
            if (isFinal(clientResult) && isFinal(serverResult))
                return true;
            if (timeouts >= maxTimeouts)
                return false;
            if (!waitForTimeout())
                return false;
        }
    }

    // Waits for the earlier of the two deadlines and handles both timers.
    bool waitForTimeout()
    {
        const auto c = client.timeUntilRetransmission();
        const auto s = server.timeUntilRetransmission();
        if (c.count() < 0 && s.count() < 0)
            return false; // nobody waits for anything: the handshakes are stuck
        const auto wait = c.count() < 0 ? s : s.count() < 0 ? c : std::min(c, s);
        std::this_thread::sleep_for(wait);
        ++timeouts;
        for (auto *side : {&client, &server}) {
            Result *result = side == &client ? &clientResult : &serverResult;
            if (!isFinal(*result) && side->timeUntilRetransmission().count() == 0) {
                if (side->handleTimeout() == Result::Failed)
                    *result = Result::Failed;
            }
        }
        toServer.send(client.takeDatagrams());
        toClient.send(server.takeDatagrams());
        return true;
    }

    std::shared_ptr<DtlsContext> clientContext;
    std::shared_ptr<DtlsContext> serverContext;
    DtlsEngine client;
    DtlsEngine server;
    DatagramQueue toServer;
    DatagramQueue toClient;
    Result clientResult = Result::WantInput;
    Result serverResult = Result::WantInput;
    int timeouts = 0;
    std::function<void(const QByteArray &)> onDatagram; // sees every datagram delivered

private:
    void step(DtlsEngine &engine, Result *result, const QByteArray &datagram)
    {
        if (onDatagram)
            onDatagram(datagram);
        if (!isFinal(*result))
            *result = engine.handshake(datagram);
        else if (*result == Result::Ok) {
            QByteArray plaintext; // a retransmission after the end: OpenSSL may answer it
            engine.decrypt(datagram, &plaintext);
        }
    }
};

} // namespace QtPskTest

#endif // QTPSK_TEST_DTLSPUMP_H
