// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "ssl/tlssettings_p.h"

#include "ssl/qsslcipher_p.h"
#include "ssl/qsslconfiguration_p.h"

#include <QtPsk/qsslsocket.h>

#include <openssl/ssl.h>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

namespace {

// The OpenSSL options of \a configuration's QSsl::SslOptions, as Qt's OpenSSL backend sets them
// (SSL_OP_ALL, then each option), except what QtPsk decides itself (TlsContext: no renegotiation;
// a server issues stateful tickets only).
uint64_t opensslOptions(const QSslConfiguration &configuration)
{
    uint64_t options = SSL_OP_ALL;
    if (configuration.testSslOption(QSsl::SslOptionDisableEmptyFragments))
        options |= SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS;
    else
        options &= ~uint64_t(SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS);
    if (!configuration.testSslOption(QSsl::SslOptionDisableLegacyRenegotiation))
        options |= SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION;
    if (configuration.testSslOption(QSsl::SslOptionDisableSessionTickets))
        options |= SSL_OP_NO_TICKET;
    if (configuration.testSslOption(QSsl::SslOptionDisableCompression))
        options |= SSL_OP_NO_COMPRESSION;
    if (!configuration.testSslOption(QSsl::SslOptionDisableServerCipherPreference))
        options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
    return options;
}

} // namespace

bool keepsSessions(const QSslConfiguration &configuration)
{
    return !configuration.testSslOption(QSsl::SslOptionDisableSessionPersistence);
}

bool settingsFor(const QSslConfiguration &configuration, bool server, TlsSettings *settings,
                 QString *errorString)
{
    settings->server = server;
    settings->allowNoDheKex = configuration.allowsPreSharedKeyWithoutDhe();
    if (!protocolToVersionRange(configuration.protocol(), &settings->minVersion,
                                &settings->maxVersion)) {
        *errorString = QSslSocket::tr("Unsupported protocol");
        return false;
    }
    settings->cipherList = tls12CipherString(configuration);
    settings->cipherSuites = tls13CipherSuites(configuration);
    settings->options = opensslOptions(configuration);
    if (server) {
        settings->identityHint = configuration.preSharedKeyIdentityHint();
        // A server resumes only when its configuration asks for sessions to be kept and shared
        // (both off by default: persistence is disabled), and then only within its QSslServer.
        settings->sessionResumption = keepsSessions(configuration)
                && !configuration.testSslOption(QSsl::SslOptionDisableSessionSharing);
        settings->sessionTickets = settings->sessionResumption
                && !configuration.testSslOption(QSsl::SslOptionDisableSessionTickets);
    }
    return true;
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
