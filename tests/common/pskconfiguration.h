// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The PSK configuration of the tests. Header-only, so that the parity tests can build it against
// Qt6::Network as well.
#ifndef QTPSK_TEST_PSKCONFIGURATION_H
#define QTPSK_TEST_PSKCONFIGURATION_H

#include <QSslCipher>
#include <QSslConfiguration>
#include <QSslSocket>

#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

#if !defined(QTPSK_PARITY_AGAINST_QTNETWORK) && defined(QTPSK_NAMESPACE)
QTPSK_USE_NAMESPACE
#endif

namespace QtPskTest {

// The default configuration with \a protocol pinned and no certificate check; for TLS 1.2 the one
// cipher \a cipher (an empty one leaves the default ciphers).
inline QSslConfiguration pskConfiguration(QSsl::SslProtocol protocol = QSsl::TlsV1_2,
                                          const QString &cipher = QStringLiteral("PSK-AES128-GCM-SHA256"))
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setProtocol(protocol);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    if (protocol == QSsl::TlsV1_2 && !cipher.isEmpty())
        configuration.setCiphers(QList<QSslCipher>{QSslCipher(cipher)});
    return configuration;
}

// TLS 1.2 pinned with the one cipher \a cipher and the peer verify mode \a mode, as Qt's own tests
// configure PSK.
inline QSslConfiguration pskConfiguration(const QString &cipher, QSslSocket::PeerVerifyMode mode)
{
    QSslConfiguration configuration = pskConfiguration(QSsl::TlsV1_2, cipher);
    configuration.setPeerVerifyMode(mode);
    return configuration;
}

} // namespace QtPskTest

#endif // QTPSK_TEST_PSKCONFIGURATION_H
