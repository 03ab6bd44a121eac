// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "coappeers.h"

#include <QtCore/qfile.h>
#include <QtCore/qrandom.h>
#include <QtCore/qstringlist.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace QtPskInterop {

namespace {

// Whether nothing is bound to UDP 127.0.0.1:\a port (a bind() that succeeds, then released).
bool udpPortFree(quint16 port)
{
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return false;
    sockaddr_in a {};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool free = ::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0;
    ::close(fd);
    return free;
}

bool udpPortBound(quint16 port)
{
    QFile table(QStringLiteral("/proc/net/udp"));
    if (!table.open(QIODevice::ReadOnly))
        return false;
    // "  sl  local_address rem_address ...": 127.0.0.1 is 0100007F in the kernel's byte order.
    const QByteArray local = QByteArrayLiteral("0100007F:")
            + QByteArray::number(port, 16).toUpper().rightJustified(4, '0');
    const QList<QByteArray> lines = table.readAll().split('\n');
    for (const QByteArray &line : lines) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() > 1 && fields[1] == local)
            return true;
    }
    return false;
}

} // namespace

const char *coapServerProgram(CoapBackend backend)
{
    return backend == CoapBackend::OpenSsl ? "coap-server-openssl" : "coap-server-gnutls";
}

bool waitForUdpBound(quint16 port, int timeoutMs)
{
    return QtPskTest::waitUntil([port] { return udpPortBound(port); }, timeoutMs);
}

CoapServer::~CoapServer()
{
    m_process.stop();
}

std::unique_ptr<CoapServer> CoapServer::start(CoapBackend backend,
                                              const CoapServerOptions &options, QString *error)
{
    const QString program = QtPskTest::findProgram(QString::fromLatin1(coapServerProgram(backend)));
    if (program.isEmpty()) {
        *error = QStringLiteral("%1 is not installed").arg(QLatin1String(coapServerProgram(backend)));
        return nullptr;
    }
    // A few attempts: another test may take the port between the check and the server's bind.
    for (int attempt = 0; attempt < 5; ++attempt) {
        const quint16 plain = quint16(20000 + QRandomGenerator::global()->bounded(9998));
        if (!udpPortFree(plain) || !udpPortFree(quint16(plain + 1)))
            continue;
        std::unique_ptr<CoapServer> server(new CoapServer);
        const QStringList arguments = {
            QStringLiteral("-A"), QStringLiteral("127.0.0.1"),
            QStringLiteral("-p"), QString::number(plain),
            QStringLiteral("-k"), QString::fromLatin1(options.key),
            QStringLiteral("-h"), QString::fromLatin1(options.hint),
            QStringLiteral("-v"), QStringLiteral("6"),
        };
        if (!server->m_process.start(program, arguments)) {
            *error = QStringLiteral("cannot start %1").arg(program);
            return nullptr;
        }
        server->m_port = quint16(plain + 1);
        const bool bound = QtPskTest::waitUntil(
                [&] { return !server->isRunning() || udpPortBound(server->m_port); }, 10000);
        if (bound && server->isRunning())
            return server;
        *error = QStringLiteral("%1 did not serve coaps on 127.0.0.1:%2: %3")
                         .arg(program)
                         .arg(server->m_port)
                         .arg(QString::fromLocal8Bit(server->log()));
    }
    if (error->isEmpty())
        *error = QStringLiteral("no free UDP port pair found");
    return nullptr;
}

} // namespace QtPskInterop
