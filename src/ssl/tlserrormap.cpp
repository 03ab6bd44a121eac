// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "ssl/tlserrormap_p.h"

#include "engine/tlsengine_p.h"

#include <QtPsk/qsslsocket.h>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

namespace {

// The explanation a failed handshake gets beyond OpenSSL's words: why a TLS 1.3 PSK was neither
// offered nor accepted, when that is what refused the handshake.
QString diagnosisText(TlsEngine::Diagnosis diagnosis, const QSslConfiguration &configuration,
                      Tls13Psk resolved)
{
    switch (diagnosis) {
    case TlsEngine::Diagnosis::None:
        break;
    case TlsEngine::Diagnosis::ClientOfferedNoTls13Psk: {
        QString why;
        if (resolved == Tls13Psk::Offer)
            why = QSslSocket::tr("the preSharedKeyAuthenticationRequired slot gave no key");
        else if (configuration.tls13PreSharedKeyMode() == QSsl::Tls13PreSharedKeyMode::QtCompatible)
            why = QSslSocket::tr("QSsl::Tls13PreSharedKeyMode::QtCompatible and QT_USE_TLS_1_3_PSK unset");
        else
            why = QSslSocket::tr("QSsl::Tls13PreSharedKeyMode::Automatic without a connected "
                                 "preSharedKeyAuthenticationRequired slot");
        return QSslSocket::tr("; TLS 1.3 was enabled, but no pre-shared key was offered (%1), and "
                              "the server refused the handshake, as a PSK-only server does; connect "
                              "preSharedKeyAuthenticationRequired, use Tls13PreSharedKeyMode::"
                              "Automatic or Always, or pin QSsl::TlsV1_2").arg(why);
    }
    case TlsEngine::Diagnosis::ServerAcceptedNoTls13Psk:
        return QSslSocket::tr("; TLS 1.3 was negotiated, but no pre-shared key was accepted (the "
                              "client offered none, its key's hash does not match the negotiated "
                              "suite, or the slot gave no key for its identity) and this server has "
                              "no certificate; let the client offer a TLS 1.3 PSK (QtPsk: a connected "
                              "slot or Tls13PreSharedKeyMode::Always; Qt: QT_USE_TLS_1_3_PSK) or pin "
                              "QSsl::TlsV1_2");
    }
    return QString();
}

} // namespace

QString handshakeFailureText(const TlsEngine &engine, const QSslConfiguration &configuration)
{
    return QSslSocket::tr("Error during SSL handshake: %1").arg(engine.errorString())
            + diagnosisText(engine.diagnosis(), configuration,
                            engine.context()->settings().tls13Psk);
}

TlsFailure tlsFailure(TlsPhase phase, const TlsEngine &engine,
                      const QSslConfiguration &configuration)
{
    if (phase != TlsPhase::Write && engine.isTruncated()) {
        return {TlsFailure::Outcome::Truncated, QAbstractSocket::RemoteHostClosedError,
                QSslSocket::tr("The remote host closed the connection")};
    }
    switch (phase) {
    case TlsPhase::Handshake:
        return {TlsFailure::Outcome::Failed, QAbstractSocket::SslHandshakeFailedError,
                handshakeFailureText(engine, configuration)};
    case TlsPhase::Read:
        return {TlsFailure::Outcome::Failed, QAbstractSocket::SslInternalError,
                QSslSocket::tr("Error while reading: %1").arg(engine.errorString())};
    case TlsPhase::Write:
        break;
    }
    return {TlsFailure::Outcome::Failed, QAbstractSocket::SslInternalError,
            QSslSocket::tr("Error while writing: %1").arg(engine.errorString())};
}

TlsFailure closeNotifyFailure()
{
    return {TlsFailure::Outcome::Reported, QAbstractSocket::RemoteHostClosedError,
            QSslSocket::tr("The TLS/SSL connection has been closed")};
}

TlsFailure slotExceptionFailure(bool handshaking)
{
    if (handshaking) {
        return {TlsFailure::Outcome::Failed, QAbstractSocket::SslHandshakeFailedError,
                QSslSocket::tr("A slot threw an exception during the TLS handshake; the "
                               "connection was aborted")};
    }
    return {TlsFailure::Outcome::Failed, QAbstractSocket::SslInternalError,
            QSslSocket::tr("A slot threw an exception inside a TLS call; the connection was "
                           "aborted")};
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
