// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// A QSslServer's PSK slot as an application with one known client writes it. Header-only, so that
// the parity tests can build it against Qt6::Network as well.
#ifndef QTPSK_TEST_PSKSERVERSLOT_H
#define QTPSK_TEST_PSKSERVERSLOT_H

#include <QSslPreSharedKeyAuthenticator>
#include <QSslServer>
#include <QSslSocket>

#include <QtCore/qbytearray.h>
#include <QtCore/qobject.h>

#if !defined(QTPSK_PARITY_AGAINST_QTNETWORK) && defined(QTPSK_NAMESPACE)
QTPSK_USE_NAMESPACE
#endif

namespace QtPskTest {

// Connects \a server's preSharedKeyAuthenticationRequired(): each request counts in \a *requests,
// \a identity gets \a key and any other identity no key.
inline void answerKnownIdentity(QSslServer &server, int *requests, const QByteArray &identity,
                                const QByteArray &key)
{
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, &server,
                     [requests, identity, key](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         ++*requests;
                         if (authenticator->identity() == identity)
                             authenticator->setPreSharedKey(key);
                     });
}

} // namespace QtPskTest

#endif // QTPSK_TEST_PSKSERVERSLOT_H
