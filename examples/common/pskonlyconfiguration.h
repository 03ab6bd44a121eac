// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The TLS configuration the examples start from. Header-only, as sslnames.h: QSslConfiguration
// comes from the network library the example links.
#ifndef QTPSK_EXAMPLES_PSKONLYCONFIGURATION_H
#define QTPSK_EXAMPLES_PSKONLYCONFIGURATION_H

#include <QSsl>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QtCore/qstring.h>

#include <optional>

#ifdef QTPSK_USE_NAMESPACE
QTPSK_USE_NAMESPACE // a QtPsk built with -DQTPSK_NAMESPACE=...: use its classes by their Qt names
#endif

namespace PskExample {

// The default configuration for PSK only (no certificate to verify) with \a protocol and, where
// \a ciphers is given, the cipher names of that colon-separated list that the library supports
// (unknown names are dropped). Nothing when it supports none of them.
inline std::optional<QSslConfiguration> pskOnlyConfiguration(QSsl::SslProtocol protocol,
                                                             const std::optional<QString> &ciphers)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setProtocol(protocol);
    if (ciphers) {
        configuration.setCiphers(*ciphers);
        if (configuration.ciphers().isEmpty())
            return std::nullopt;
    }
    return configuration;
}

} // namespace PskExample

#endif // QTPSK_EXAMPLES_PSKONLYCONFIGURATION_H
