// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QSsl names for the examples: the --protocol values, negotiated protocols and TLS alerts.
// Header-only: QSsl comes from the network library the example links (QtPsk, or Qt6::Network
// when built with QTPSK_EXAMPLES_AGAINST_QTNETWORK), so the helper library stays Qt6::Core only.
#ifndef QTPSK_EXAMPLES_SSLNAMES_H
#define QTPSK_EXAMPLES_SSLNAMES_H

#include <QSsl>
#include <QtCore/qstring.h>

#include <optional>

#ifdef QTPSK_USE_NAMESPACE
QTPSK_USE_NAMESPACE // a QtPsk built with -DQTPSK_NAMESPACE=...: use its classes by their Qt names
#endif

namespace PskExample {

// The accepted --protocol values, for --help.
inline QString protocolChoices()
{
    return QStringLiteral("tls1.2 | tls1.3 | secure | any");
}

// "tls1.2" -> TlsV1_2, "tls1.3" -> TlsV1_3, "secure" -> SecureProtocols (TLS 1.2 or later),
// "any" -> AnyProtocol; nothing for other names. Case-insensitive.
inline std::optional<QSsl::SslProtocol> protocolFromName(const QString &name)
{
    struct Choice
    {
        const char *name;
        QSsl::SslProtocol protocol;
    };
    static const Choice choices[] = {{"tls1.2", QSsl::TlsV1_2},
                                     {"tls1.3", QSsl::TlsV1_3},
                                     {"secure", QSsl::SecureProtocols},
                                     {"any", QSsl::AnyProtocol}};
    const QString n = name.toLower();
    for (const Choice &choice : choices) {
        if (n == QLatin1String(choice.name))
            return choice.protocol;
    }
    return std::nullopt;
}

// A readable name of a negotiated protocol (QSslSocket::sessionProtocol()).
inline QString protocolDisplayName(QSsl::SslProtocol protocol)
{
    if (protocol == QSsl::TlsV1_2 || protocol == QSsl::TlsV1_3)
        return QStringLiteral("TLSv1.%1").arg(protocol == QSsl::TlsV1_2 ? 2 : 3);
    if (protocol == QSsl::UnknownProtocol)
        return QStringLiteral("unknown");
    return QStringLiteral("protocol %1").arg(int(protocol));
}

// "fatal alert handshake_failure (40): <description>" for alertReceived()/alertSent().
inline QString alertText(QSsl::AlertLevel level, QSsl::AlertType type, const QString &description)
{
    QString levelName;
    switch (level) {
    case QSsl::AlertLevel::Warning:
        levelName = QStringLiteral("warning");
        break;
    case QSsl::AlertLevel::Fatal:
        levelName = QStringLiteral("fatal");
        break;
    default:
        levelName = QStringLiteral("unknown-level");
        break;
    }
    return QStringLiteral("%1 alert %2: %3").arg(levelName).arg(int(type)).arg(description);
}

} // namespace PskExample

#endif // QTPSK_EXAMPLES_SSLNAMES_H
