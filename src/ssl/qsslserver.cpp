// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QtPsk/qsslserver.h>

#include "qtpsklogging_p.h"

#include <QtPsk/qsslpresharedkeyauthenticator.h>

#include "engine/tlssessionstore_p.h"
#include "ssl/qsslsocket_p.h"

#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>

#include <memory>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

class SslServerPrivate
{
public:
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    int handshakeTimeout = 5000;
    // This server's resumable sessions, used only when its configuration allows resumption
    // (QSsl::SslOptionDisableSessionPersistence off); no other server ever sees them.
    std::shared_ptr<TlsSessionStore> sessions = std::make_shared<TlsSessionStore>();
};

} // namespace QtPskPrivate

QSslServer::QSslServer(QObject *parent)
    : QTcpServer(parent), d(std::make_unique<QtPskPrivate::SslServerPrivate>())
{
}

QSslServer::~QSslServer() = default;

void QSslServer::setSslConfiguration(const QSslConfiguration &sslConfiguration)
{
    d->configuration = sslConfiguration;
}

QSslConfiguration QSslServer::sslConfiguration() const
{
    return d->configuration;
}

void QSslServer::setHandshakeTimeout(int timeout)
{
    if (timeout < 0) {
        qWarning("QSslServer::setHandshakeTimeout: cannot set a negative time-out");
        return;
    }
    d->handshakeTimeout = timeout;
}

int QSslServer::handshakeTimeout() const
{
    return d->handshakeTimeout;
}

void QSslServer::incomingConnection(qintptr socketDescriptor)
{
    auto *socket = new QSslSocket(this);
    socket->setSslConfiguration(d->configuration);
    QtPskPrivate::SslSocketPrivate::get(socket)->sessionStore = d->sessions;
    if (!socket->setSocketDescriptor(socketDescriptor)) {
        delete socket;
        return;
    }

    // Until the handshake completes the server owns the socket; then the application does.
    auto *timer = new QTimer(socket);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, socket, [socket] {
        if (socket->isEncrypted())
            return;
        QPointer<QSslSocket> guard(socket);
        QtPskPrivate::SslSocketPrivate::get(socket)->setErrorAndEmit(
                QAbstractSocket::SocketTimeoutError,
                QSslSocket::tr("The TLS handshake did not complete in time"));
        if (guard && socket->state() != QAbstractSocket::UnconnectedState)
            socket->abort(); // after every slot has seen the error
    });
    connect(socket, &QSslSocket::peerVerifyError, this,
            [this, socket](const QSslError &error) { Q_EMIT peerVerifyError(socket, error); });
    connect(socket, &QSslSocket::sslErrors, this,
            [this, socket](const QList<QSslError> &errors) { Q_EMIT sslErrors(socket, errors); });
    connect(socket, &QSslSocket::preSharedKeyAuthenticationRequired, this,
            [this, socket](QSslPreSharedKeyAuthenticator *authenticator) {
                Q_EMIT preSharedKeyAuthenticationRequired(socket, authenticator);
            });
    connect(socket, &QSslSocket::alertSent, this,
            [this, socket](QSsl::AlertLevel level, QSsl::AlertType type, const QString &text) {
                Q_EMIT alertSent(socket, level, type, text);
            });
    connect(socket, &QSslSocket::alertReceived, this,
            [this, socket](QSsl::AlertLevel level, QSsl::AlertType type, const QString &text) {
                Q_EMIT alertReceived(socket, level, type, text);
            });
    connect(socket, &QSslSocket::handshakeInterruptedOnError, this,
            [this, socket](const QSslError &error) {
                Q_EMIT handshakeInterruptedOnError(socket, error);
            });
    connect(socket, &QSslSocket::errorOccurred, this,
            [this, socket, timer](QAbstractSocket::SocketError error) {
                qCDebug(lcQtPskSslServer).nospace()
                        << static_cast<const void *>(socket) << ": handshake failed, " << error
                        << "; the socket is dropped";
                QPointer<QSslSocket> guard(socket);
                Q_EMIT errorOccurred(socket, error);
                if (guard) {
                    delete timer;
                    disconnect(socket, nullptr, this, nullptr);
                    // No abort() here: the other slots of this errorOccurred() have not run yet
                    // and must see the error before disconnected(). A failed handshake closes
                    // the socket right after the emission, the time-out above does, and what is
                    // left (a close_notify on its way) is aborted from the event loop, not from
                    // the destructor: a slot of the closing signals may then delete the socket,
                    // as Qt allows, which it cannot while deleteLater() is destroying it.
                    QMetaObject::invokeMethod(
                            socket,
                            [socket] {
                                QPointer<QSslSocket> alive(socket);
                                // As Qt, a socket that has closed already is only deleted (no
                                // aboutToClose()); one still open is aborted first.
                                if (socket->state() != QAbstractSocket::UnconnectedState)
                                    socket->abort();
                                if (alive)
                                    socket->deleteLater();
                            },
                            Qt::QueuedConnection);
                }
            });
    connect(socket, &QSslSocket::encrypted, this, [this, socket, timer] {
        // Handed over: from now on the socket is the application's, with its own signals.
        qCDebug(lcQtPskSslServer, "%p: encrypted, now a pending connection",
                static_cast<void *>(socket));
        delete timer;
        disconnect(socket, nullptr, this, nullptr);
        addPendingConnection(socket);
    });

    // As Qt: the server handshake starts when the client's first byte arrives (a first byte that
    // is not a TLS handshake record, 0x16, closes the connection without a signal), and
    // startedEncryptionHandshake() is emitted once it runs, with the socket in SslServerMode.
    auto helloWait = std::make_shared<QMetaObject::Connection>();
    *helloWait = connect(socket, &QIODevice::readyRead, this, [this, socket, timer, helloWait] {
        disconnect(*helloWait);
        char first = 0;
        if (socket->peek(&first, 1) != 1) {
            socket->deleteLater();
            return;
        }
        constexpr char TlsHandshakeRecord = 0x16;
        if (first != TlsHandshakeRecord) {
            qCDebug(lcQtPskSslServer, "%p: the first byte is no TLS handshake record; the "
                                      "connection is closed", static_cast<void *>(socket));
            delete timer;
            disconnect(socket, nullptr, this, nullptr);
            socket->disconnectFromHost();
            socket->deleteLater();
            return;
        }
        timer->start(d->handshakeTimeout); // progress: the time-out starts again, as in Qt
        QPointer<QSslSocket> guard(socket);
        socket->startServerEncryption();
        if (guard) // also when the ClientHello failed at once (errorOccurred came first), as Qt
            Q_EMIT startedEncryptionHandshake(socket);
    });
    qCDebug(lcQtPskSslServer, "%p: descriptor %lld accepted, waiting for the ClientHello (timeout %d ms)",
            static_cast<void *>(socket), static_cast<long long>(socketDescriptor),
            d->handshakeTimeout);
    timer->start(d->handshakeTimeout);
}

QTPSK_END_NAMESPACE

// moc output here, where every signal parameter type is complete (parameterMetaType() is valid).
#include "moc_qsslserver.cpp"
