// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QDtlsClientVerifier, and what it shares with QDtls: the cookie parameters and sending
// datagrams to a peer.
#include "ssl/qdtls_p.h"

#include "engine/secretbytes_p.h"

#include <QtPsk/qudpsocket.h>

#include <QtCore/qendian.h>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

QByteArray cookieDigestName(QCryptographicHash::Algorithm algorithm)
{
    switch (algorithm) {
    case QCryptographicHash::Md5:
        return QByteArrayLiteral("MD5");
    case QCryptographicHash::Sha1:
        return QByteArrayLiteral("SHA1");
    case QCryptographicHash::Sha224:
        return QByteArrayLiteral("SHA224");
    case QCryptographicHash::Sha256:
        return QByteArrayLiteral("SHA256");
    case QCryptographicHash::Sha384:
        return QByteArrayLiteral("SHA384");
    case QCryptographicHash::Sha512:
        return QByteArrayLiteral("SHA512");
    case QCryptographicHash::Sha3_224:
        return QByteArrayLiteral("SHA3-224");
    case QCryptographicHash::Sha3_256:
        return QByteArrayLiteral("SHA3-256");
    case QCryptographicHash::Sha3_384:
        return QByteArrayLiteral("SHA3-384");
    case QCryptographicHash::Sha3_512:
        return QByteArrayLiteral("SHA3-512");
    case QCryptographicHash::Blake2b_512:
        return QByteArrayLiteral("BLAKE2B-512");
    case QCryptographicHash::Blake2s_256:
        return QByteArrayLiteral("BLAKE2S-256");
    default:
        return QByteArray(); // MD4 (legacy provider only), Keccak, the shorter Blake2 forms
    }
}

QByteArray cookiePeer(const QHostAddress &address, quint16 port)
{
    const Q_IPV6ADDR ip = address.toIPv6Address();
    QByteArray peer(reinterpret_cast<const char *>(ip.c), 16);
    uchar portBytes[2];
    qToBigEndian(port, portBytes);
    peer.append(reinterpret_cast<const char *>(portBytes), 2);
    return peer;
}

QDtlsClientVerifier::GeneratorParameters defaultGeneratorParameters()
{
    return QDtlsClientVerifier::GeneratorParameters(QCryptographicHash::Sha256, defaultCookieSecret());
}

bool sendDatagrams(QUdpSocket *socket, const std::vector<QByteArray> &datagrams,
                   const QHostAddress &address, quint16 port)
{
    if (!socket)
        return datagrams.empty(); // the socket has gone: the flight is sent again on a time-out
    bool sent = true;
    for (const QByteArray &datagram : datagrams) {
        const qint64 written = socket->state() == QAbstractSocket::ConnectedState
                ? socket->write(datagram)
                : socket->writeDatagram(datagram, address, port);
        sent = sent && written == datagram.size();
    }
    return sent;
}

} // namespace QtPskPrivate

using QtPskPrivate::DtlsCookieVerifier;

QDtlsClientVerifier::GeneratorParameters::GeneratorParameters() = default;

QDtlsClientVerifier::GeneratorParameters::GeneratorParameters(QCryptographicHash::Algorithm algorithm,
                                                               const QByteArray &key)
    : hash(algorithm), secret(key)
{
}

QDtlsClientVerifier::QDtlsClientVerifier(QObject *parent)
    : QObject(parent), d(new QtPskPrivate::DtlsClientVerifierPrivate)
{
}

QDtlsClientVerifier::~QDtlsClientVerifier()
{
    QtPskPrivate::wipe(d->parameters.secret);
}

bool QDtlsClientVerifier::setCookieGeneratorParameters(const GeneratorParameters &params)
{
    if (params.secret.isEmpty() || QtPskPrivate::cookieDigestName(params.hash).isEmpty())
        return false;
    QtPskPrivate::wipe(d->parameters.secret);
    d->parameters.hash = params.hash;
    d->parameters.secret = QtPskPrivate::detachedCopy(params.secret);
    return true;
}

QDtlsClientVerifier::GeneratorParameters QDtlsClientVerifier::cookieGeneratorParameters() const
{
    return d->parameters;
}

bool QDtlsClientVerifier::verifyClient(QUdpSocket *socket, const QByteArray &dgram,
                                       const QHostAddress &address, quint16 port)
{
    d->error = QDtlsError::NoError;
    d->errorString.clear();
    d->verifiedHello.clear();
    if (!socket || address.isNull() || dgram.isEmpty()) {
        d->error = QDtlsError::InvalidInputParameters;
        d->errorString = tr("A valid UDP socket, non-empty datagram, and valid address/port were expected");
        return false;
    }
    if (address.isBroadcast() || address.isMulticast()) {
        d->error = QDtlsError::InvalidInputParameters;
        d->errorString = tr("Multicast and broadcast addresses are not supported");
        return false;
    }
    QtPskPrivate::DtlsCookieParameters cookie;
    cookie.digest = QtPskPrivate::cookieDigestName(d->parameters.hash);
    cookie.secret = d->parameters.secret;
    cookie.peer = QtPskPrivate::cookiePeer(address, port);
    switch (d->verifier.verify(dgram, cookie)) {
    case DtlsCookieVerifier::Verdict::Verified:
        d->verifiedHello = dgram;
        return true;
    case DtlsCookieVerifier::Verdict::ReplyQueued:
        if (!QtPskPrivate::sendDatagrams(socket, {d->verifier.reply()}, address, port)) {
            d->error = QDtlsError::UnderlyingSocketError;
            d->errorString = socket->errorString();
        }
        return false;
    case DtlsCookieVerifier::Verdict::Dropped:
        return false;
    case DtlsCookieVerifier::Verdict::Failed:
        d->error = QDtlsError::TlsInitializationError;
        d->errorString = d->verifier.errorString();
        return false;
    }
    return false;
}

QByteArray QDtlsClientVerifier::verifiedHello() const { return d->verifiedHello; }

QDtlsError QDtlsClientVerifier::dtlsError() const { return d->error; }

QString QDtlsClientVerifier::dtlsErrorString() const { return d->errorString; }

QTPSK_END_NAMESPACE
