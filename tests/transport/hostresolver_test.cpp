// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "transport/hostresolver_p.h"

#include <QtCore/qobject.h>

#include <gtest/gtest.h>

#include <sys/socket.h>

#include "common/testsupport.h"

using QtPskTest::waitUntil;
using namespace QtPskPrivate;

TEST(HostLookup, ResolvesLocalhostOnAWorkerThread)
{
    QObject context;
    HostLookup lookup;
    HostLookupResult got;
    bool done = false;
    lookup.start(QStringLiteral("localhost"), 9, AF_INET, &context,
                 [&](const HostLookupResult &r) { got = r; done = true; });
    ASSERT_TRUE(waitUntil([&] { return done; }));
    ASSERT_FALSE(got.addresses.isEmpty());
    EXPECT_EQ(got.addresses.first().addressString(), QStringLiteral("127.0.0.1"));
}

TEST(HostLookup, CancelledLookupNeverCallsBack)
{
    QObject context;
    int calls = 0;
    {
        HostLookup lookup;
        lookup.start(QStringLiteral("localhost"), 9, AF_UNSPEC, &context,
                     [&](const HostLookupResult &) { ++calls; });
        lookup.start(QStringLiteral("127.0.0.1"), 9, AF_UNSPEC, &context,
                     [&](const HostLookupResult &) { calls += 100; }); // replaces the first
        HostLookupResult result;
        ASSERT_TRUE(lookup.waitForResult(QDeadlineTimer(5000), &result)); // takes it over
        EXPECT_EQ(result.addresses.size(), 1);
        HostLookup other;
        other.start(QStringLiteral("localhost"), 9, AF_UNSPEC, &context,
                    [&](const HostLookupResult &) { calls += 1000; });
        other.cancel();
    }
    // A later, independent lookup proves that the loop delivered what was queued.
    HostLookup probe;
    bool probed = false;
    probe.start(QStringLiteral("localhost"), 9, AF_UNSPEC, &context,
                [&](const HostLookupResult &) { probed = true; });
    ASSERT_TRUE(waitUntil([&] { return probed; }));
    EXPECT_TRUE(waitUntil([] { return true; }, 0));
    EXPECT_EQ(calls, 0);
}

TEST(HostLookup, UnknownNamesAreHostNotFound)
{
    const HostLookupResult r =
            HostLookup::lookupBlocking(QStringLiteral("no-such-host.invalid"), 1, AF_UNSPEC);
    EXPECT_TRUE(r.addresses.isEmpty());
    EXPECT_TRUE(r.hostNotFound);
}

