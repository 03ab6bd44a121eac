// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QtPsk/qsslserver.h>

#include "qtpsklogging_p.h"

#include <QtPsk/qsslpresharedkeyauthenticator.h>

#include "engine/tlssessionstore_p.h"
#include "ssl/qsslsocket_p.h"

#include <QtCore/qhash.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>

#include <sys/ioctl.h>

#include <deque>
#include <memory>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

constexpr int DefaultListenBacklog = 1024;

// A setter's argument that must not be negative: false (and \a warning) if it is.
// A setter's limit: \a value goes into \a field unless it is negative, which is refused with a
// warning naming \a setter and \a what cannot be negative.
void setNonNegative(int &field, int value, const char *setter, const char *what)
{
    if (value < 0) {
        qCWarning(lcQtPskSslServer, "QSslServer::%s: cannot set a negative %s", setter, what);
        return;
    }
    field = value;
}

class SslServerPrivate
{
public:
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    int handshakeTimeout = 5000;
    // This server's resumable sessions, used only when its configuration allows resumption
    // (QSsl::SslOptionDisableSessionPersistence off); no other server ever sees them.
    std::shared_ptr<TlsSessionStore> sessions = std::make_shared<TlsSessionStore>();
    int clientHelloTimeout = 2000;
    int maxHandshakesPerAddress = 128;

    // The connections still in their handshake, per peer address (addressKey()), oldest first.
    struct Handshake
    {
        QSslSocket *socket;
        bool spoke; // its first byte has arrived
        // Event-loop rounds since the accept (counted up to SettledRounds): a connection is
        // only called silent once the loop has run twice since, so that a client that has not
        // had its turn yet (one in the same thread, or accepted in the same batch) is not.
        int rounds;
    };
    static constexpr int SettledRounds = 2;
    bool roundTickQueued = false;
    QHash<QByteArray, std::deque<Handshake>> handshakes;
    QHash<const QSslSocket *, QByteArray> addressOf;

    // One key per IPv4 address (IPv4-mapped IPv6 included) and per IPv6 /64: one host usually
    // has a whole /64, so a key per IPv6 address would be no limit at all.
    static QByteArray addressKey(const QHostAddress &address)
    {
        bool isV4 = false;
        const quint32 v4 = address.toIPv4Address(&isV4);
        if (isV4)
            return QByteArray::number(v4);
        if (address.protocol() == QAbstractSocket::IPv6Protocol) {
            const Q_IPV6ADDR v6 = address.toIPv6Address();
            return QByteArray(reinterpret_cast<const char *>(v6.c), 8).toHex().prepend("6:");
        }
        return address.toString().toLatin1();
    }

    void track(QSslSocket *socket, const QByteArray &key)
    {
        handshakes[key].push_back(Handshake{socket, false, 0});
        addressOf.insert(socket, key);
    }

    // Counts one event-loop round for every connection not settled yet; true while some
    // connection still needs another round.
    bool countRound()
    {
        bool unsettled = false;
        for (auto &entries : handshakes) {
            for (Handshake &entry : entries) {
                if (entry.rounds < SettledRounds && ++entry.rounds < SettledRounds)
                    unsettled = true;
            }
        }
        return unsettled;
    }

    void untrack(const QSslSocket *socket)
    {
        const auto found = addressOf.constFind(socket);
        if (found == addressOf.constEnd())
            return;
        const auto list = handshakes.find(found.value());
        if (list != handshakes.end()) {
            auto &entries = list.value();
            for (auto it = entries.begin(); it != entries.end(); ++it) {
                if (it->socket == socket) {
                    entries.erase(it);
                    break;
                }
            }
            if (entries.empty())
                handshakes.erase(list);
        }
        addressOf.erase(found);
    }

    // The entry of \a socket, or null once it has left its handshake.
    Handshake *find(const QSslSocket *socket)
    {
        const auto key = addressOf.constFind(socket);
        if (key == addressOf.constEnd())
            return nullptr;
        for (Handshake &entry : handshakes[key.value()]) {
            if (entry.socket == socket)
                return &entry;
        }
        return nullptr;
    }

    // A silent connection whose bytes are in the kernel already (read in the next round of the
    // event loop) has spoken: it is not dropped for silence.
    static bool hasBytesWaiting(const QSslSocket *socket)
    {
        if (socket->bytesAvailable() > 0)
            return true;
        int waiting = 0;
        const qintptr fd = socket->socketDescriptor();
        return fd >= 0 && ::ioctl(int(fd), FIONREAD, &waiting) == 0 && waiting > 0;
    }

    // The oldest connection from \a key that has not sent a byte, or null.
    QSslSocket *oldestSilent(const QByteArray &key) const
    {
        const auto list = handshakes.constFind(key);
        if (list == handshakes.constEnd())
            return nullptr;
        for (const Handshake &entry : list.value()) {
            if (!entry.spoke && entry.rounds >= SettledRounds && !hasBytesWaiting(entry.socket))
                return entry.socket;
        }
        return nullptr;
    }

    qsizetype inProgress(const QByteArray &key) const
    {
        const auto list = handshakes.constFind(key);
        return list == handshakes.constEnd() ? 0 : qsizetype(list.value().size());
    }
};

// Ends a handshake the server gives up on: errorOccurred(error) on the socket (and so on the
// server), then the abort, after every slot has seen the error.
void dropHandshake(QSslSocket *socket, QAbstractSocket::SocketError error, const QString &text)
{
    QPointer<QSslSocket> guard(socket);
    SslSocketPrivate::get(socket)->reportError(error, text);
    if (guard && socket->state() != QAbstractSocket::UnconnectedState)
        socket->abort();
}

// Counts the event-loop rounds of the connections in their handshake (SslServerPrivate::Handshake):
// one queued call per round while some connection is not settled.
void scheduleRoundCount(QSslServer *server, SslServerPrivate *d)
{
    if (d->roundTickQueued)
        return;
    d->roundTickQueued = true;
    QMetaObject::invokeMethod(
            server,
            [server, d] {
                d->roundTickQueued = false;
                if (d->countRound())
                    scheduleRoundCount(server, d);
            },
            Qt::QueuedConnection);
}

} // namespace QtPskPrivate

QSslServer::QSslServer(QObject *parent)
    : QTcpServer(parent), d(std::make_unique<QtPskPrivate::SslServerPrivate>())
{
    // Qt's 50 makes the kernel drop a legitimate client's SYN under a burst of connections (a
    // second's retransmission each time); see "Floods of silent connections" in the class docs.
    setListenBacklogSize(QtPskPrivate::DefaultListenBacklog);
}

QSslServer::~QSslServer()
{
    // The sockets still in their handshake are children, deleted after this object's members:
    // their destroyed() must not reach the bookkeeping any more.
    for (auto it = d->addressOf.cbegin(); it != d->addressOf.cend(); ++it)
        disconnect(it.key(), &QObject::destroyed, this, nullptr);
}

void QSslServer::setSslConfiguration(const QSslConfiguration &sslConfiguration) { d->configuration = sslConfiguration; }

QSslConfiguration QSslServer::sslConfiguration() const { return d->configuration; }

void QSslServer::setHandshakeTimeout(int timeout)
{
    QtPskPrivate::setNonNegative(d->handshakeTimeout, timeout, "setHandshakeTimeout", "time-out");
}

int QSslServer::handshakeTimeout() const { return d->handshakeTimeout; }

void QSslServer::setClientHelloTimeout(int timeout)
{
    QtPskPrivate::setNonNegative(d->clientHelloTimeout, timeout, "setClientHelloTimeout", "time-out");
}

int QSslServer::clientHelloTimeout() const { return d->clientHelloTimeout; }

void QSslServer::setMaxHandshakesPerAddress(int count)
{
    QtPskPrivate::setNonNegative(d->maxHandshakesPerAddress, count, "setMaxHandshakesPerAddress", "limit");
}

int QSslServer::maxHandshakesPerAddress() const { return d->maxHandshakesPerAddress; }

void QSslServer::incomingConnection(qintptr socketDescriptor)
{
    auto *socket = new QSslSocket(this);
    socket->setSslConfiguration(d->configuration);
    QtPskPrivate::SslSocketPrivate::get(socket)->setSessionStore(d->sessions);
    if (!socket->setSocketDescriptor(socketDescriptor)) {
        delete socket;
        return;
    }

    // The per-address limit of handshakes in progress: make room by dropping the oldest silent
    // connection from this address (one that has had its turns and sent nothing).
    const QByteArray peerKey = QtPskPrivate::SslServerPrivate::addressKey(socket->peerAddress());
    if (d->maxHandshakesPerAddress > 0 && d->inProgress(peerKey) >= d->maxHandshakesPerAddress) {
        if (QSslSocket *silent = d->oldestSilent(peerKey)) {
            qCDebug(lcQtPskSslServer, "%p: %d handshakes in progress from this address; the "
                                      "oldest silent connection %p is dropped",
                    static_cast<void *>(socket), d->maxHandshakesPerAddress,
                    static_cast<void *>(silent));
            const QPointer<QSslServer> self(this);
            const QPointer<QSslSocket> fresh(socket);
            QtPskPrivate::dropHandshake(
                    silent, QAbstractSocket::SocketResourceError,
                    QSslSocket::tr("Too many TLS handshakes in progress from this address"));
            if (!self || !fresh)
                return; // a slot deleted the server (and with it this socket) or this socket
        } else {
            // Every one of them has spoken (or has not had its turn yet): the new connection is
            // served too; handshakeTimeout() bounds the ones that stall after speaking.
            qCDebug(lcQtPskSslServer, "%p: %d handshakes in progress from this address, none "
                                      "silent; the new connection is served beyond the limit",
                    static_cast<void *>(socket), d->maxHandshakesPerAddress);
        }
    }
    d->track(socket, peerKey);
    QtPskPrivate::scheduleRoundCount(this, d.get());
    connect(socket, &QObject::destroyed, this,
            [this, socket] { d->untrack(socket); });

    // Until the handshake completes the server owns the socket; then the application does.
    auto *timer = new QTimer(socket);
    timer->setSingleShot(true);
    // The first byte is awaited for clientHelloTimeout() (never longer than the handshake may
    // take); once it came, handshakeTimeout() starts again.
    const int firstByteTimeout = d->clientHelloTimeout > 0
            ? qMin(d->clientHelloTimeout, d->handshakeTimeout)
            : d->handshakeTimeout;
    const bool helloDeadline = firstByteTimeout < d->handshakeTimeout;
    connect(timer, &QTimer::timeout, socket, [this, socket, helloDeadline] {
        if (socket->isEncrypted())
            return;
        const QtPskPrivate::SslServerPrivate::Handshake *entry = d->find(socket);
        const bool silent = entry && !entry->spoke;
        QtPskPrivate::dropHandshake(
                socket, QAbstractSocket::SocketTimeoutError,
                silent && helloDeadline ? QSslSocket::tr("The client sent no ClientHello in time")
                                        : QSslSocket::tr("The TLS handshake did not complete in time"));
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
                d->untrack(socket);
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
        d->untrack(socket);
        disconnect(socket, nullptr, this, nullptr);
        addPendingConnection(socket);
    });

    // As Qt: the server handshake starts when the client's first byte arrives (a first byte that
    // is not a TLS handshake record, 0x16, closes the connection without a signal), and
    // startedEncryptionHandshake() is emitted once it runs, with the socket in SslServerMode.
    auto helloWait = std::make_shared<QMetaObject::Connection>();
    *helloWait = connect(socket, &QIODevice::readyRead, this,
                         [this, socket, timer, helloWait] {
        disconnect(*helloWait);
        if (QtPskPrivate::SslServerPrivate::Handshake *entry = d->find(socket))
            entry->spoke = true;
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
            d->untrack(socket);
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
            firstByteTimeout);
    timer->start(firstByteTimeout);
}

QTPSK_END_NAMESPACE

// moc output here, where every signal parameter type is complete (parameterMetaType() is valid).
#include "moc_qsslserver.cpp"
