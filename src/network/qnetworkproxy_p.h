// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QNETWORKPROXY_P_H
#define QTPSK_QNETWORKPROXY_P_H

// Internal to QtPsk: not installed, not part of the API.

#include <QtPsk/qhostaddress.h>
#include <QtPsk/qnetworkproxy.h>

#include "qtpsk_p.h"

#include <QtCore/qstring.h>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

/*
    Which proxy a socket or server would use, and whether QtPsk (which only connects directly)
    can go ahead. Each returns true when the operation may go directly: the effective proxy is
    NoProxy (or DefaultProxy, which as the application proxy means none). Otherwise it returns
    false and sets *errorString; the caller fails with UnsupportedSocketOperationError, the way
    Qt 6.4 fails for a proxy it has no engine for (measured: tests/parity/networkproxy_test.cpp):

      connectToHost()  errorOccurred(UnsupportedSocketOperationError) inside the call, no state
                       change, the device not opened;
      bind(), listen() return false with the error set, no signal, no state change.

    The effective proxy is the object's own unless that is DefaultProxy; then it is the
    application proxy, except (as in Qt) for a connection to "localhost", "localhost.<...>" or a
    loopback address. listen() on a loopback address never uses a proxy, not even the server's
    own. bind() always uses one.

    The error string is Qt's "Operation on socket is not supported" for a proxy Qt cannot use
    either (the caching proxies); for HttpProxy and Socks5Proxy, which Qt would really use and
    QtPsk does not support, it says so.
*/
bool proxyAllowsConnect(const QNetworkProxy &ownProxy, const QString &hostName,
                                              QString *errorString);
bool proxyAllowsBind(const QNetworkProxy &ownProxy, QString *errorString);
bool proxyAllowsListen(const QNetworkProxy &ownProxy,
                                             const QHostAddress &address, QString *errorString);

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE

#endif // QTPSK_QNETWORKPROXY_P_H
