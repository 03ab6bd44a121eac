// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
//
// The cost of copying and comparing QSslPreSharedKeyAuthenticator (public API only).

#include <QSslPreSharedKeyAuthenticator>

#include <benchmark/benchmark.h>

namespace {

QSslPreSharedKeyAuthenticator filled()
{
    QSslPreSharedKeyAuthenticator authenticator;
    authenticator.setIdentity(QByteArray("client1"));
    authenticator.setPreSharedKey(QByteArray(32, '\x42'));
    return authenticator;
}

// A copy shares the data: one reference count increment and decrement.
void BM_AuthenticatorCopy(benchmark::State &state)
{
    const QSslPreSharedKeyAuthenticator original = filled();
    for (auto _ : state) {
        QSslPreSharedKeyAuthenticator copy(original);
        benchmark::DoNotOptimize(copy);
    }
}
BENCHMARK(BM_AuthenticatorCopy);

// Copy, then change the copy: the first setter detaches (allocates and copies the data).
void BM_AuthenticatorCopyAndDetach(benchmark::State &state)
{
    const QSslPreSharedKeyAuthenticator original = filled();
    const QByteArray key(32, '\x24');
    for (auto _ : state) {
        QSslPreSharedKeyAuthenticator copy(original);
        copy.setPreSharedKey(key);
        benchmark::DoNotOptimize(copy);
    }
}
BENCHMARK(BM_AuthenticatorCopyAndDetach);

void BM_AuthenticatorMove(benchmark::State &state)
{
    QSslPreSharedKeyAuthenticator a = filled();
    for (auto _ : state) {
        QSslPreSharedKeyAuthenticator b(std::move(a));
        a = std::move(b);
        benchmark::DoNotOptimize(a);
    }
}
BENCHMARK(BM_AuthenticatorMove);

// Equal because they share data (the comparison can stop at the pointer).
void BM_AuthenticatorCompareShared(benchmark::State &state)
{
    const QSslPreSharedKeyAuthenticator a = filled();
    const QSslPreSharedKeyAuthenticator b = a;
    for (auto _ : state)
        benchmark::DoNotOptimize(a == b);
}
BENCHMARK(BM_AuthenticatorCompareShared);

// Equal values in separate data: every field is compared.
void BM_AuthenticatorCompareEqual(benchmark::State &state)
{
    const QSslPreSharedKeyAuthenticator a = filled();
    const QSslPreSharedKeyAuthenticator b = filled();
    for (auto _ : state)
        benchmark::DoNotOptimize(a == b);
}
BENCHMARK(BM_AuthenticatorCompareEqual);

void BM_AuthenticatorCompareDifferent(benchmark::State &state)
{
    const QSslPreSharedKeyAuthenticator a = filled();
    QSslPreSharedKeyAuthenticator b = filled();
    b.setPreSharedKey(QByteArray(32, '\x43'));
    for (auto _ : state)
        benchmark::DoNotOptimize(a == b);
}
BENCHMARK(BM_AuthenticatorCompareDifferent);

} // namespace

BENCHMARK_MAIN();
