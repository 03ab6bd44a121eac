// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
//
// The benchmark server and client written once against Qt's public QSslSocket/QSslServer API, and
// built twice: against QtPsk (qtpsk_bench_qtpsk) and against Qt6::Network (qtpsk_bench_qtnetwork).
// The two builds never share an executable. One thread, the Qt event loop, asynchronous sockets,
// as an application would write it. The protocol is in benchcommon.h.
//
// Two styles (--style): "direct" reads into a stack buffer with read(char *, qint64) and paces
// writes on bytesToWrite() alone; "app" is written the way ordinary Qt code is: a parentless
// QSslSocket per connection (one QSslConfiguration made at start for all), closed with
// disconnectFromHost() and deleteLater() on disconnected(), readAll() on readyRead(), 64 KiB
// QByteArray writes paced on bytesToWrite() + encryptedBytesToWrite() and refilled on
// bytesWritten() and encryptedBytesWritten(). The servers follow the same style as the client.

#include "common/benchcommon.h"

#include <QCoreApplication>
#include <QSslCipher>
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslServer>
#include <QSslSocket>
#include <QTimer>

#include <csignal>
#include <memory>
#include <vector>

using namespace QtPskBench;

namespace {

// At most this many bytes wait in a socket (plaintext, plus ciphertext in the app style).
constexpr qint64 kPending = qint64(4 * kChunk);

QByteArray benchKey()
{
    return QByteArray(reinterpret_cast<const char *>(kKey), sizeof kKey);
}

QSslConfiguration configurationFor(const Suite &suite)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    if (suite.tls13) {
        // Qt splits the list: TLS 1.3 names go to SSL_CTX_set_ciphersuites, the others to
        // SSL_CTX_set_cipher_list, which must not be empty (the TLS 1.2 cipher is unused here).
        configuration.setProtocol(QSsl::TlsV1_3);
        configuration.setCiphers({ QSslCipher(QString::fromLatin1(suite.cipher)),
                                   QSslCipher(QStringLiteral("PSK-AES128-GCM-SHA256")) });
    } else {
        configuration.setProtocol(QSsl::TlsV1_2);
        configuration.setCiphers({ QSslCipher(QString::fromLatin1(suite.cipher)) });
    }
    return configuration;
}

// The bytes a socket still holds: plaintext, and in the app style also the ciphertext.
qint64 pendingBytes(QSslSocket *socket, bool appStyle)
{
    return socket->bytesToWrite() + (appStyle ? socket->encryptedBytesToWrite() : 0);
}

// Writes 64 KiB chunks while fewer than kPending bytes are pending; returns what is left to send.
std::uint64_t writeChunks(QSslSocket *socket, bool appStyle, std::uint64_t remaining)
{
    static const QByteArray chunk(qsizetype(kChunk), 'x');
    while (remaining > 0 && pendingBytes(socket, appStyle) < kPending) {
        if (appStyle && remaining >= kChunk) {
            socket->write(chunk); // the QByteArray overload, as application code calls it
        } else {
            socket->write(chunk.constData(), qint64(std::min<std::uint64_t>(remaining, kChunk)));
        }
        remaining -= std::min<std::uint64_t>(remaining, kChunk);
    }
    return remaining;
}

void fail(const QString &what)
{
    std::fprintf(stderr, "bench_qtapi: %s\n", qPrintable(what));
    std::exit(1);
}

// The server side of one connection.
struct ServerConnection
{
    QSslSocket *socket = nullptr;
    QByteArray header;
    bool sending = false;
    std::uint64_t remaining = 0;
    bool receiving = false;
};

class BenchServer
{
public:
    explicit BenchServer(const Options &options) : m_options(options)
    {
        m_server.setSslConfiguration(configurationFor(*options.suite));
        QObject::connect(&m_server, &QSslServer::preSharedKeyAuthenticationRequired,
                         [](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                             authenticator->setPreSharedKey(benchKey());
                         });
        QObject::connect(&m_server, &QTcpServer::pendingConnectionAvailable, [this] {
            while (QTcpSocket *next = m_server.nextPendingConnection())
                accept(qobject_cast<QSslSocket *>(next));
        });
        if (!m_server.listen(QHostAddress::LocalHost, quint16(options.port)))
            fail(QStringLiteral("listen: ") + m_server.errorString());
        report("port", std::to_string(m_server.serverPort()));
        m_baseline = procStatusKiB("VmRSS");
    }

private:
    void accept(QSslSocket *socket)
    {
        if (!socket)
            fail(QStringLiteral("not a QSslSocket"));
        if (m_options.idle > 0) {
            m_idle.push_back(socket);
            if (long(m_idle.size()) == m_options.idle) {
                report("baseline_kib", double(m_baseline));
                report("peak_kib", double(procStatusKiB("VmHWM")));
                report("per_connection_kib",
                       double(procStatusKiB("VmHWM") - m_baseline) / double(m_options.idle));
                std::fflush(stdout);
                std::_Exit(0); // the client sees every connection end
            }
            return;
        }
        auto connection = std::make_shared<ServerConnection>();
        connection->socket = socket;
        QObject::connect(socket, &QSslSocket::disconnected, socket, &QObject::deleteLater);
        QObject::connect(socket, &QSslSocket::readyRead, socket,
                         [this, connection] { readable(*connection); });
        QObject::connect(socket, &QSslSocket::bytesWritten, socket,
                         [this, connection] { writeMore(*connection); });
        if (m_options.appStyle) {
            QObject::connect(socket, &QSslSocket::encryptedBytesWritten, socket,
                             [this, connection] { writeMore(*connection); });
        }
        // A watchdog against a missed readyRead/bytesWritten (the emission guards of a socket
        // can swallow one): a stall is counted and reported, then the transfer goes on.
        auto *watchdog = new QTimer(socket);
        QObject::connect(watchdog, &QTimer::timeout, socket, [this, connection] {
            QSslSocket *s = connection->socket;
            const bool readStall = connection->receiving && s->bytesAvailable() > 0;
            const bool writeStall = connection->sending && s->bytesToWrite() == 0;
            if (readStall || writeStall) {
                std::fprintf(stderr, "bench_qtapi: server stall (%s)\n", readStall ? "read" : "write");
                readStall ? readable(*connection) : writeMore(*connection);
            }
        });
        watchdog->start(50);
        if (socket->bytesAvailable() > 0)
            readable(*connection);
    }

    void readable(ServerConnection &connection)
    {
        QSslSocket *socket = connection.socket;
        if (connection.receiving && m_options.appStyle) {
            const QByteArray data = socket->readAll();
            connection.remaining -= std::min<std::uint64_t>(connection.remaining, std::uint64_t(data.size()));
            if (connection.remaining == 0) {
                connection.receiving = false;
                socket->write(QByteArrayLiteral("k"));
            }
            return;
        }
        if (connection.receiving) {
            char buffer[kChunk];
            for (;;) {
                const qint64 n = socket->read(buffer, qint64(std::min<std::uint64_t>(connection.remaining, kChunk)));
                if (n <= 0)
                    break;
                connection.remaining -= std::uint64_t(n);
                if (connection.remaining == 0) {
                    connection.receiving = false;
                    socket->write("k", 1);
                    break;
                }
            }
            return;
        }
        if (connection.header.size() < qsizetype(kHeaderSize)) {
            connection.header += socket->read(qint64(kHeaderSize) - connection.header.size());
            if (connection.header.size() < qsizetype(kHeaderSize))
                return;
            const auto *bytes = reinterpret_cast<const unsigned char *>(connection.header.constData());
            connection.remaining = decodeSize(bytes);
            if (bytes[0] == 'S') {
                connection.receiving = true;
                readable(connection);
            } else if (bytes[0] == 'R') {
                connection.sending = true;
                writeMore(connection);
            }
        }
    }

    void writeMore(ServerConnection &connection)
    {
        connection.remaining = writeChunks(connection.socket, m_options.appStyle,
                                           connection.sending ? connection.remaining : 0);
        if (connection.remaining == 0)
            connection.sending = false;
    }

    const Options m_options;
    QSslServer m_server;
    long m_baseline = 0;
    std::vector<QSslSocket *> m_idle;
};

class BenchClient
{
public:
    explicit BenchClient(const Options &options)
        : m_options(options), m_configuration(configurationFor(*options.suite))
    {
        if (options.handshakes > 0 || options.idle > 0) {
            m_start = std::chrono::steady_clock::now();
            openNext();
        } else {
            openBulk();
        }
    }

    ~BenchClient()
    {
        // The sockets that are left (idle mode, the last one): no slot may run while they go.
        const QObjectList sockets = m_owner.children();
        for (QObject *socket : sockets) {
            socket->disconnect();
            delete socket;
        }
    }

private:
    QSslSocket *open()
    {
        // The app style: no parent (deleteLater() on disconnected() frees it). Idle and bulk
        // sockets have the owner, so that the destructor finds them.
        const bool app = m_options.appStyle && m_options.handshakes > 0;
        auto *socket = new QSslSocket(app ? nullptr : &m_owner);
        socket->setSslConfiguration(m_configuration);
        QObject::connect(socket, &QSslSocket::preSharedKeyAuthenticationRequired, socket,
                         [](QSslPreSharedKeyAuthenticator *authenticator) {
                             authenticator->setIdentity(QByteArray(kIdentity));
                             authenticator->setPreSharedKey(benchKey());
                         });
        // An error after the bulk figure is taken does not change it: Qt6::Network reports
        // "protocol is shutdown" while closing a TLS 1.3 connection in the app style.
        QObject::connect(socket, &QSslSocket::errorOccurred, socket,
                         [this, socket](QAbstractSocket::SocketError error) {
                             if (error == QAbstractSocket::RemoteHostClosedError)
                                 return;
                             if (m_finished) {
                                 std::fprintf(stderr, "bench_qtapi: after the figure: %s\n",
                                              qPrintable(socket->errorString()));
                                 QCoreApplication::quit();
                                 return;
                             }
                             fail(QStringLiteral("client: ") + socket->errorString());
                         });
        QObject::connect(socket, &QSslSocket::encrypted, socket, [this, socket] {
            if (!m_reported) {
                m_reported = true;
                report("cipher", socket->sessionCipher().name().toStdString());
            }
        });
        socket->connectToHostEncrypted(QStringLiteral("127.0.0.1"), quint16(m_options.port));
        return socket;
    }

    void openNext()
    {
        QSslSocket *socket = open();
        if (m_options.idle > 0) {
            QObject::connect(socket, &QSslSocket::encrypted, socket, [this] {
                if (++m_done < m_options.idle)
                    openNext();
            });
            QObject::connect(socket, &QSslSocket::disconnected, socket, [this] {
                if (++m_closed == m_options.idle)
                    QCoreApplication::quit(); // the server measured and left
            });
            return;
        }
        QObject::connect(socket, &QSslSocket::encrypted, socket,
                         [socket] { socket->disconnectFromHost(); });
        QObject::connect(socket, &QSslSocket::disconnected, socket, [this, socket] {
            socket->deleteLater();
            if (++m_done < m_options.handshakes) {
                openNext();
                return;
            }
            report("handshakes_per_s", double(m_done) / secondsSince(m_start));
            QCoreApplication::quit();
        });
    }

    void openBulk()
    {
        QSslSocket *socket = open();
        const bool send = m_options.sendMiB > 0;
        m_remaining = std::uint64_t(send ? m_options.sendMiB : m_options.recvMiB) << 20;
        m_size = m_remaining;
        QObject::connect(socket, &QSslSocket::encrypted, socket, [this, socket, send] {
            unsigned char header[kHeaderSize];
            encodeHeader(header, send ? 'S' : 'R', m_remaining);
            m_start = std::chrono::steady_clock::now();
            socket->write(reinterpret_cast<const char *>(header), qint64(kHeaderSize));
            if (send)
                writeMore(socket);
        });
        if (send) {
            QObject::connect(socket, &QSslSocket::bytesWritten, socket,
                             [this, socket] { writeMore(socket); });
            if (m_options.appStyle) {
                QObject::connect(socket, &QSslSocket::encryptedBytesWritten, socket,
                                 [this, socket] { writeMore(socket); });
            }
        }
        // The same watchdog as the server's: stalls are counted (stalls=N), then resolved.
        auto *watchdog = new QTimer(socket);
        QObject::connect(watchdog, &QTimer::timeout, socket, [this, socket, send] {
            if (m_start == std::chrono::steady_clock::time_point())
                return; // still handshaking
            const bool writeStall = send && m_remaining > 0 && socket->bytesToWrite() == 0;
            const bool readStall = socket->bytesAvailable() > 0;
            if (writeStall || readStall) {
                ++m_stalls;
                if (writeStall)
                    writeMore(socket);
                if (readStall)
                    Q_EMIT socket->readyRead();
            }
        });
        watchdog->start(50);
        QObject::connect(socket, &QSslSocket::readyRead, socket, [this, socket, send] {
            char buffer[kChunk];
            for (;;) {
                qint64 n = 0;
                if (m_options.appStyle)
                    n = socket->readAll().size();
                else
                    n = socket->read(buffer, sizeof buffer);
                if (n <= 0)
                    break;
                if (!send)
                    m_remaining -= std::min<std::uint64_t>(m_remaining, std::uint64_t(n));
                if (send || m_remaining == 0) {
                    finishBulk(socket);
                    break;
                }
            }
        });
    }

    void finishBulk(QSslSocket *socket)
    {
        m_finished = true;
        report("mb_per_s", double(m_size) / 1e6 / secondsSince(m_start));
        report("stalls", std::to_string(m_stalls));
        socket->disconnectFromHost();
        QObject::connect(socket, &QSslSocket::disconnected, QCoreApplication::instance(),
                         &QCoreApplication::quit);
        if (socket->state() == QAbstractSocket::UnconnectedState)
            QCoreApplication::quit();
    }

    void writeMore(QSslSocket *socket)
    {
        if (m_start == std::chrono::steady_clock::time_point())
            return; // the header goes first (encryptedBytesWritten() comes during the handshake)
        m_remaining = writeChunks(socket, m_options.appStyle, m_remaining);
    }

    const Options m_options;
    const QSslConfiguration m_configuration;
    std::chrono::steady_clock::time_point m_start;
    bool m_reported = false;
    long m_done = 0;
    long m_closed = 0;
    std::uint64_t m_remaining = 0;
    std::uint64_t m_size = 0;
    long m_stalls = 0;
    bool m_finished = false; // the bulk figure is reported
    QObject m_owner; // parent of every socket
};

} // namespace

int main(int argc, char **argv)
{
    Options options;
    if (!optionsFromCommandLine(argc, argv, &options))
        return 2;
    // Suite C: Qt (and QtPsk in its Qt-compatible mode) offers a TLS 1.3 PSK only with this.
    if (options.suite->tls13)
        qputenv("QT_USE_TLS_1_3_PSK", "1");
    std::signal(SIGPIPE, SIG_IGN);
    raiseDescriptorLimit();
    QCoreApplication app(argc, argv);
    QTimer::singleShot(options.timeoutSeconds * 1000, [] { fail(QStringLiteral("timed out")); });
    return runRole<BenchServer, BenchClient>(app, options);
}
