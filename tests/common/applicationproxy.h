// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Sets the application proxy for one test and restores NoProxy when it goes. Header only, so that
// it builds against QtPsk and against Qt6::Network alike (the parity tests use both).
#ifndef QTPSK_TESTS_APPLICATIONPROXY_H
#define QTPSK_TESTS_APPLICATIONPROXY_H

#include <QNetworkProxy>

#if !defined(QTPSK_PARITY_AGAINST_QTNETWORK) && defined(QTPSK_NAMESPACE)
QTPSK_USE_NAMESPACE
#endif

namespace QtPskTest {

class ApplicationProxy
{
public:
    explicit ApplicationProxy(const QNetworkProxy &proxy) { QNetworkProxy::setApplicationProxy(proxy); }
    ~ApplicationProxy() { QNetworkProxy::setApplicationProxy(QNetworkProxy(QNetworkProxy::NoProxy)); }
    Q_DISABLE_COPY(ApplicationProxy)
};

} // namespace QtPskTest

#endif // QTPSK_TESTS_APPLICATIONPROXY_H
