// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// A QDtls's configuration as engine settings: the DTLS protocol check and the cipher list, which
// takes the PSK CCM and CCM8 suites by their OpenSSL names.
#include "ssl/dtlssettings_p.h"

#include "ssl/qsslconfiguration_p.h"

#include <QtPsk/qsslcipher.h>

#include <QtCore/qcoreapplication.h>

#include <openssl/ssl.h>

#include <algorithm>
#include <iterator>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

namespace {

// The PSK suites with CCM or CCM8 that OpenSSL implements for DTLS 1.2 and QSslCipher (as Qt's)
// does not list.
constexpr const char *CcmPskSuites[] = {
    "PSK-AES128-CCM8",     "PSK-AES256-CCM8",     "PSK-AES128-CCM",     "PSK-AES256-CCM",
    "DHE-PSK-AES128-CCM8", "DHE-PSK-AES256-CCM8", "DHE-PSK-AES128-CCM", "DHE-PSK-AES256-CCM",
};

bool isCcmPskSuite(const QString &name)
{
    return std::any_of(std::begin(CcmPskSuites), std::end(CcmPskSuites),
                       [&](const char *suite) { return name == QLatin1String(suite); });
}

QString tr(const char *text)
{
    return QCoreApplication::translate("QDtls", text);
}

} // namespace

bool dtlsCipherString(const QSslConfiguration &configuration, QByteArray *cipherString,
                      QString *unknown)
{
    cipherString->clear();
    QStringList names = QSslConfigurationAccess::cipherNames(configuration);
    if (names.isEmpty()) {
        // Set as a list of QSslCipher (or not at all: the default DTLS configuration's).
        const QList<QSslCipher> ciphers = configuration.ciphers().isEmpty()
                ? QSslConfiguration::defaultDtlsConfiguration().ciphers()
                : configuration.ciphers();
        if (configuration.ciphers().isEmpty())
            names = QSslConfigurationAccess::cipherNames(QSslConfiguration::defaultDtlsConfiguration());
        if (names.isEmpty()) {
            for (const QSslCipher &cipher : ciphers)
                names.append(cipher.name());
        }
    }
    for (const QString &name : names) {
        const QSslCipher cipher(name);
        const bool known = !cipher.isNull() && !isTls13Cipher(cipher);
        if (!known && !isCcmPskSuite(name)) {
            if (cipher.isNull()) {
                *unknown = name;
                return false;
            }
            continue; // a TLS 1.3 suite: DTLS 1.2 has no use for it
        }
        if (!cipherString->isEmpty())
            *cipherString += ':';
        *cipherString += name.toLatin1();
    }
    return true;
}

bool dtlsSettingsFor(const QSslConfiguration &configuration, bool server, TlsSettings *settings,
                     QString *errorString)
{
    QT_WARNING_PUSH
    QT_WARNING_DISABLE_DEPRECATED
    switch (configuration.protocol()) {
    case QSsl::DtlsV1_2:
    case QSsl::DtlsV1_2OrLater:
    case QSsl::DtlsV1_0OrLater:
        break;
    case QSsl::DtlsV1_0:
        *errorString = tr("DTLS 1.0 is not supported, use QSsl::DtlsV1_2OrLater");
        return false;
    default:
        *errorString = tr("Invalid protocol version, DTLS protocol expected");
        return false;
    }
    QT_WARNING_POP
    QString unknown;
    if (!dtlsCipherString(configuration, &settings->cipherList, &unknown)) {
        *errorString = tr("Unknown cipher in the DTLS configuration: %1").arg(unknown);
        return false;
    }
    if (settings->cipherList.isEmpty()) {
        *errorString = tr("Invalid or empty cipher list");
        return false;
    }
    settings->server = server;
    settings->datagram = true;
    if (!configuration.testSslOption(QSsl::SslOptionDisableServerCipherPreference))
        settings->options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
    if (configuration.testSslOption(QSsl::SslOptionDisableCompression))
        settings->options |= SSL_OP_NO_COMPRESSION;
    if (server)
        settings->identityHint = configuration.preSharedKeyIdentityHint();
    return true;
}

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE
