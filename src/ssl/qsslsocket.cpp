// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "ssl/qsslsocket_p.h"

#include "network/qabstractsocket_p.h"
#include "ssl/qsslconfiguration_p.h"
#include "qtpsklogging_p.h"

#include <QtPsk/qsslpresharedkeyauthenticator.h>

#include <QtCore/qloggingcategory.h>
#include <QtCore/qpointer.h>

#include <openssl/crypto.h>
#include <openssl/opensslv.h>

QTPSK_BEGIN_NAMESPACE

using QtPskPrivate::SslSocketPrivate;

SslSocketPrivate *QSslSocket::d_func() const
{
    return static_cast<SslSocketPrivate *>(d_ptr->layer());
}

QSslSocket::QSslSocket(QObject *parent) : QTcpSocket(parent)
{
    d_ptr->setLayer(std::make_unique<SslSocketPrivate>(this, *d_ptr));
}

QSslSocket::~QSslSocket()
{
    // As in Qt: a connected socket emits its closing signals from here (the QSslSocket part must
    // still exist for them).
    if (state() != UnconnectedState)
        abort();
}

void QSslSocket::resume()
{
    QTcpSocket::resume();
}

void QSslSocket::connectToHostEncrypted(const QString &hostName, quint16 port, OpenMode mode,
                                        NetworkLayerProtocol protocol)
{
    SslSocketPrivate *d = d_func();
    if (state() == ConnectedState || state() == ConnectingState) {
        qCWarning(lcQtPskSsl, "QSslSocket::connectToHostEncrypted() called when already connecting/connected");
        return;
    }
    d->resetTlsState(true);
    QTcpSocket::connectToHost(hostName, port, mode, protocol);
}

void QSslSocket::connectToHostEncrypted(const QString &hostName, quint16 port,
                                        const QString &sslPeerName, OpenMode mode,
                                        NetworkLayerProtocol protocol)
{
    d_func()->peerVerifyName = sslPeerName;
    connectToHostEncrypted(hostName, port, mode, protocol);
}

void QSslSocket::connectToHost(const QString &hostName, quint16 port, OpenMode openMode,
                               NetworkLayerProtocol protocol)
{
    SslSocketPrivate *d = d_func();
    // Only the application calls this (connectToHostEncrypted() goes to QTcpSocket directly): a
    // plain connection, as in Qt, also after an earlier connectToHostEncrypted(). A socket that
    // is not unconnected is left alone; QAbstractSocket warns.
    if (state() == UnconnectedState)
        d->resetTlsState(false);
    QTcpSocket::connectToHost(hostName, port, openMode, protocol);
}

bool QSslSocket::setSocketDescriptor(qintptr socketDescriptor, SocketState state, OpenMode openMode)
{
    d_func()->resetTlsState(false);
    return QTcpSocket::setSocketDescriptor(socketDescriptor, state, openMode);
}

void QSslSocket::disconnectFromHost()
{
    // Unless the handshake must finish first: as Qt, ClosingState, the close_notify of an
    // established session, ClosingState again, and the rest from the event loop once
    // everything is sent. During the handshake the connection is closed without a close_notify.
    if (!d_func()->defersDisconnect())
        QTcpSocket::disconnectFromHost();
}

void QSslSocket::setSocketOption(QAbstractSocket::SocketOption option, const QVariant &value)
{
    QTcpSocket::setSocketOption(option, value);
}

QVariant QSslSocket::socketOption(QAbstractSocket::SocketOption option)
{
    return QTcpSocket::socketOption(option);
}

QSslSocket::SslMode QSslSocket::mode() const
{
    return d_func()->mode;
}

bool QSslSocket::isEncrypted() const
{
    // As Qt: true from encrypted() until disconnected() (also in UnconnectedState's slots).
    return d_func()->conn.connectionEncrypted;
}

QSsl::SslProtocol QSslSocket::protocol() const
{
    return d_func()->configuration.protocol();
}

void QSslSocket::setProtocol(QSsl::SslProtocol protocol)
{
    d_func()->configuration.setProtocol(protocol);
}

QSslSocket::PeerVerifyMode QSslSocket::peerVerifyMode() const
{
    return d_func()->configuration.peerVerifyMode();
}

void QSslSocket::setPeerVerifyMode(QSslSocket::PeerVerifyMode mode)
{
    d_func()->configuration.setPeerVerifyMode(mode);
}

int QSslSocket::peerVerifyDepth() const
{
    return d_func()->configuration.peerVerifyDepth();
}

void QSslSocket::setPeerVerifyDepth(int depth)
{
    if (depth < 0) {
        qCWarning(lcQtPskSsl, "QSslSocket::setPeerVerifyDepth: cannot set negative depth of %d", depth);
        return;
    }
    d_func()->configuration.setPeerVerifyDepth(depth);
}

QString QSslSocket::peerVerifyName() const
{
    return d_func()->peerVerifyName;
}

void QSslSocket::setPeerVerifyName(const QString &hostName)
{
    d_func()->peerVerifyName = hostName;
}

qint64 QSslSocket::bytesAvailable() const
{
    return QTcpSocket::bytesAvailable();
}

qint64 QSslSocket::bytesToWrite() const
{
    return QTcpSocket::bytesToWrite();
}

bool QSslSocket::canReadLine() const
{
    return QTcpSocket::canReadLine();
}

void QSslSocket::close()
{
    d_func()->close();
}

bool QSslSocket::atEnd() const
{
    return QTcpSocket::atEnd();
}

void QSslSocket::setReadBufferSize(qint64 size)
{
    QTcpSocket::setReadBufferSize(size);
}

qint64 QSslSocket::encryptedBytesAvailable() const
{
    // Ciphertext is handed to the engine as soon as it is read from the kernel; it stays there
    // undecrypted only while a full read buffer (setReadBufferSize()) holds it back.
    const SslSocketPrivate *d = d_func();
    return d->engine ? d->engine->pendingInput() : 0;
}

qint64 QSslSocket::encryptedBytesToWrite() const
{
    return d_func()->host().wireBytesToWrite();
}

QSslConfiguration QSslSocket::sslConfiguration() const
{
    return d_func()->configuration;
}

void QSslSocket::setSslConfiguration(const QSslConfiguration &config)
{
    SslSocketPrivate *d = d_func();
    // The session details stay those of the current connection.
    const QSslCipher cipher = d->configuration.sessionCipher();
    const QSsl::SslProtocol protocol = d->configuration.sessionProtocol();
    d->configuration = config;
    QtPskPrivate::QSslConfigurationAccess::setSessionCipher(d->configuration, cipher);
    QtPskPrivate::QSslConfigurationAccess::setSessionProtocol(d->configuration, protocol);
}

QSslCipher QSslSocket::sessionCipher() const
{
    return d_func()->configuration.sessionCipher();
}

QSsl::SslProtocol QSslSocket::sessionProtocol() const
{
    return d_func()->configuration.sessionProtocol();
}

bool QSslSocket::waitForConnected(int msecs)
{
    return QTcpSocket::waitForConnected(msecs);
}

bool QSslSocket::waitForEncrypted(int msecs)
{
    return d_func()->waitForEncrypted(msecs);
}

bool QSslSocket::waitForReadyRead(int msecs)
{
    return QTcpSocket::waitForReadyRead(msecs);
}

bool QSslSocket::waitForBytesWritten(int msecs)
{
    SslSocketPrivate *d = d_func();
    const QDeadlineTimer deadline = QtPskPrivate::deadlineFromMsecs(msecs);
    QPointer<QSslSocket> guard(this);
    if (!d->conn.connectionEncrypted && !d->conn.pendingPlaintext.isEmpty()
        && (d->mode != UnencryptedMode || d->autoStartHandshake)) {
        // The data waits for the handshake: finish it first.
        if (!waitForEncrypted(QtPskPrivate::remainingMsecs(deadline)) || !guard)
            return false;
    }
    return QTcpSocket::waitForBytesWritten(QtPskPrivate::remainingMsecs(deadline));
}

bool QSslSocket::waitForDisconnected(int msecs)
{
    SslSocketPrivate *d = d_func();
    const QDeadlineTimer deadline = QtPskPrivate::deadlineFromMsecs(msecs);
    QPointer<QSslSocket> guard(this);
    if (d->conn.closeAfterHandshake && !d->conn.connectionEncrypted) {
        if (!waitForEncrypted(QtPskPrivate::remainingMsecs(deadline)))
            return guard && state() == UnconnectedState; // a slot may have deleted the socket
    }
    return QTcpSocket::waitForDisconnected(QtPskPrivate::remainingMsecs(deadline));
}

QList<QSslError> QSslSocket::sslHandshakeErrors() const
{
    return d_func()->conn.handshakeErrors;
}

bool QSslSocket::supportsSsl()
{
    return true;
}

long QSslSocket::sslLibraryVersionNumber()
{
    return long(OpenSSL_version_num());
}

QString QSslSocket::sslLibraryVersionString()
{
    return QString::fromLatin1(OpenSSL_version(OPENSSL_VERSION));
}

long QSslSocket::sslLibraryBuildVersionNumber()
{
    return OPENSSL_VERSION_NUMBER;
}

QString QSslSocket::sslLibraryBuildVersionString()
{
    return QStringLiteral(OPENSSL_VERSION_TEXT);
}

QList<QString> QSslSocket::availableBackends()
{
    return {QStringLiteral("openssl")};
}

QString QSslSocket::activeBackend()
{
    return QStringLiteral("openssl");
}

bool QSslSocket::setActiveBackend(const QString &backendName)
{
    return backendName == QLatin1String("openssl");
}

static bool isKnownBackend(const QString &backendName)
{
    return backendName.isEmpty() || backendName == QLatin1String("openssl");
}

QList<QSsl::SslProtocol> QSslSocket::supportedProtocols(const QString &backendName)
{
    if (!isKnownBackend(backendName))
        return {};
    // TLS 1.0 and 1.1 are left out: OpenSSL 3's default security level refuses them.
    return {QSsl::TlsV1_2, QSsl::TlsV1_3, QSsl::AnyProtocol, QSsl::SecureProtocols,
            QSsl::TlsV1_2OrLater, QSsl::TlsV1_3OrLater};
}

bool QSslSocket::isProtocolSupported(QSsl::SslProtocol protocol, const QString &backendName)
{
    return supportedProtocols(backendName).contains(protocol);
}

QList<QSsl::ImplementedClass> QSslSocket::implementedClasses(const QString &backendName)
{
    if (!isKnownBackend(backendName))
        return {};
    return {QSsl::ImplementedClass::Socket};
}

bool QSslSocket::isClassImplemented(QSsl::ImplementedClass cl, const QString &backendName)
{
    return implementedClasses(backendName).contains(cl);
}

QList<QSsl::SupportedFeature> QSslSocket::supportedFeatures(const QString &backendName)
{
    if (!isKnownBackend(backendName))
        return {};
    return {QSsl::SupportedFeature::Psk, QSsl::SupportedFeature::Alerts};
}

bool QSslSocket::isFeatureSupported(QSsl::SupportedFeature feat, const QString &backendName)
{
    return supportedFeatures(backendName).contains(feat);
}

void QSslSocket::ignoreSslErrors(const QList<QSslError> &errors)
{
    d_func()->ignoredErrors = errors;
}

void QSslSocket::continueInterruptedHandshake()
{
    d_func()->continueInterruptedHandshake();
}

void QSslSocket::startClientEncryption()
{
    d_func()->startClientEncryption();
}

void QSslSocket::startServerEncryption()
{
    d_func()->startServerEncryption();
}

void QSslSocket::ignoreSslErrors()
{
    d_func()->conn.ignoreAllErrors = true;
}

qint64 QSslSocket::readData(char *data, qint64 maxlen)
{
    return QTcpSocket::readData(data, maxlen);
}

qint64 QSslSocket::skipData(qint64 maxSize)
{
    return QTcpSocket::skipData(maxSize);
}

qint64 QSslSocket::writeData(const char *data, qint64 len)
{
    return QTcpSocket::writeData(data, len);
}

QTPSK_END_NAMESPACE

// moc output here, where every signal parameter type is complete (parameterMetaType() is valid).
#include "moc_qsslsocket.cpp"
