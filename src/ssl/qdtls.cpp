// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QDtls: the public calls, their argument and state checks (with Qt's errors and texts), then
// the association (dtlsassociation.cpp).
#include "ssl/qdtls_p.h"

#include "engine/secretbytes_p.h"

#include <QtPsk/qudpsocket.h>

QTPSK_BEGIN_NAMESPACE

using QtPskPrivate::DtlsPrivate;

QDtls::QDtls(QSslSocket::SslMode mode, QObject *parent)
    : QObject(parent), d(new DtlsPrivate(this, mode))
{
}

QDtls::~QDtls() = default;

bool QDtls::setPeer(const QHostAddress &address, quint16 port, const QString &verificationName)
{
    if (d->state != HandshakeNotStarted) {
        d->setError(QDtlsError::InvalidOperation, tr("Cannot set peer after handshake started"));
        return false;
    }
    if (address.isNull()) {
        d->setError(QDtlsError::InvalidInputParameters, tr("Invalid address"));
        return false;
    }
    if (address.isBroadcast() || address.isMulticast()) {
        d->setError(QDtlsError::InvalidInputParameters,
                    tr("Multicast and broadcast addresses are not supported"));
        return false;
    }
    d->clearError();
    d->peerAddress = address;
    d->peerPort = port;
    d->verificationName = verificationName;
    return true;
}

bool QDtls::setPeerVerificationName(const QString &name)
{
    if (d->state != HandshakeNotStarted) {
        d->setError(QDtlsError::InvalidOperation,
                    tr("Cannot set verification name after handshake started"));
        return false;
    }
    d->clearError();
    d->verificationName = name;
    return true;
}

QHostAddress QDtls::peerAddress() const { return d->peerAddress; }

quint16 QDtls::peerPort() const { return d->peerPort; }

QString QDtls::peerVerificationName() const { return d->verificationName; }

QSslSocket::SslMode QDtls::sslMode() const { return d->mode; }

void QDtls::setMtuHint(quint16 mtuHint) { d->mtuHint = mtuHint; }

quint16 QDtls::mtuHint() const { return d->mtuHint; }

bool QDtls::setCookieGeneratorParameters(const GeneratorParameters &params)
{
    // As in Qt: the parameters are taken (a valid secret only) and false is returned.
    if (!params.secret.isEmpty() && !QtPskPrivate::cookieDigestName(params.hash).isEmpty()) {
        QtPskPrivate::wipe(d->cookieParameters.secret);
        d->cookieParameters.hash = params.hash;
        d->cookieParameters.secret = QtPskPrivate::detachedCopy(params.secret);
    }
    return false;
}

QDtls::GeneratorParameters QDtls::cookieGeneratorParameters() const { return d->cookieParameters; }

bool QDtls::setDtlsConfiguration(const QSslConfiguration &configuration)
{
    if (d->state != HandshakeNotStarted) {
        d->setError(QDtlsError::InvalidOperation, tr("Cannot set configuration after handshake started"));
        return false;
    }
    d->configuration = configuration;
    return true;
}

QSslConfiguration QDtls::dtlsConfiguration() const { return d->configuration; }

QDtls::HandshakeState QDtls::handshakeState() const { return d->state; }

bool QDtls::doHandshake(QUdpSocket *socket, const QByteArray &dgram)
{
    if (d->state == HandshakeNotStarted) {
        if (!socket) {
            d->setError(QDtlsError::InvalidInputParameters, tr("Invalid (nullptr) socket"));
            return false;
        }
        if (d->peerAddress.isNull()) {
            d->setError(QDtlsError::InvalidOperation,
                        tr("To start a handshake you must set peer's address and port first"));
            return false;
        }
        if (d->mode == QSslSocket::SslServerMode && dgram.isEmpty()) {
            d->setError(QDtlsError::InvalidInputParameters,
                        tr("To start a handshake, DTLS server requires non-empty datagram (client hello)"));
            return false;
        }
        return d->startHandshake(socket, dgram);
    }
    if (d->state == HandshakeInProgress) {
        if (!socket || dgram.isEmpty()) {
            d->setError(QDtlsError::InvalidInputParameters,
                        tr("A valid QUdpSocket and non-empty datagram are needed to continue the handshake"));
            return false;
        }
        return d->continueHandshake(socket, dgram);
    }
    d->setError(QDtlsError::InvalidOperation, tr("Cannot start/continue handshake, invalid handshake state"));
    return false;
}

bool QDtls::handleTimeout(QUdpSocket *socket)
{
    if (!socket) {
        d->setError(QDtlsError::InvalidInputParameters, tr("Invalid (nullptr) socket"));
        return false;
    }
    return d->handleTimeout(socket);
}

bool QDtls::resumeHandshake(QUdpSocket *socket)
{
    if (!socket) {
        d->setError(QDtlsError::InvalidInputParameters, tr("Invalid (nullptr) socket"));
        return false;
    }
    if (d->state != PeerVerificationFailed) {
        d->setError(QDtlsError::InvalidOperation, tr("Cannot resume, not in VerificationError state"));
        return false;
    }
    d->clearError();
    for (const QSslError &error : std::as_const(d->verificationErrors)) {
        if (!d->errorsToIgnore.contains(error))
            return false;
    }
    d->state = HandshakeComplete;
    d->encrypted = true;
    d->verificationErrors.clear();
    d->errorsToIgnore.clear();
    return true;
}

bool QDtls::abortHandshake(QUdpSocket *socket)
{
    if (!socket) {
        d->setError(QDtlsError::InvalidInputParameters, tr("Invalid (nullptr) socket"));
        return false;
    }
    if (d->state != PeerVerificationFailed && d->state != HandshakeInProgress) {
        d->setError(QDtlsError::InvalidOperation, tr("No handshake in progress, nothing to abort"));
        return false;
    }
    d->abort(socket, d->state == PeerVerificationFailed);
    return true;
}

bool QDtls::shutdown(QUdpSocket *socket)
{
    if (!socket) {
        d->setError(QDtlsError::InvalidInputParameters, tr("Invalid (nullptr) socket"));
        return false;
    }
    if (!d->encrypted) {
        d->setError(QDtlsError::InvalidOperation, tr("Cannot send shutdown alert, not encrypted"));
        return false;
    }
    d->abort(socket, true);
    return true;
}

bool QDtls::isConnectionEncrypted() const { return d->encrypted; }

QSslCipher QDtls::sessionCipher() const
{
    return d->encrypted ? d->sessionCipher : QSslCipher();
}

QSsl::SslProtocol QDtls::sessionProtocol() const
{
    return d->encrypted ? d->sessionProtocol : QSsl::UnknownProtocol;
}

qint64 QDtls::writeDatagramEncrypted(QUdpSocket *socket, const QByteArray &dgram)
{
    if (!socket) {
        d->setError(QDtlsError::InvalidInputParameters, tr("Invalid (nullptr) socket"));
        return -1;
    }
    if (!d->encrypted) {
        d->setError(QDtlsError::InvalidOperation, tr("Cannot write a datagram, not in encrypted state"));
        return -1;
    }
    return d->writeEncrypted(socket, dgram);
}

QByteArray QDtls::decryptDatagram(QUdpSocket *socket, const QByteArray &dgram)
{
    if (!socket) {
        d->setError(QDtlsError::InvalidInputParameters, tr("Invalid (nullptr) socket"));
        return QByteArray();
    }
    if (!d->encrypted) {
        d->setError(QDtlsError::InvalidOperation, tr("Cannot read a datagram, not in encrypted state"));
        return QByteArray();
    }
    if (dgram.isEmpty())
        return QByteArray();
    return d->decrypt(socket, dgram);
}

QDtlsError QDtls::dtlsError() const { return d->error; }

QString QDtls::dtlsErrorString() const { return d->errorString; }

QList<QSslError> QDtls::peerVerificationErrors() const { return d->verificationErrors; }

void QDtls::ignoreVerificationErrors(const QList<QSslError> &errorsToIgnore) { d->errorsToIgnore = errorsToIgnore; }

QTPSK_END_NAMESPACE
