// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "interoppeers.h"

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qprocess.h>
#include <QtCore/qstandardpaths.h>
#include <QtCore/qtextstream.h>

#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdlib>
#include <cstring>

#ifndef QTPSK_INTEROP_BIND_SHIM
#error "QTPSK_INTEROP_BIND_SHIM must name the built loopback_bind_shim library"
#endif

namespace QtPskInterop {

QByteArray defaultKeyHex()
{
    return QByteArrayLiteral("00112233445566778899aabbccddeeff");
}

QByteArray defaultIdentity()
{
    return QByteArrayLiteral("client1");
}

QString peerName(PeerKind kind)
{
    switch (kind) {
    case PeerKind::OpenSslServer: return QStringLiteral("openssl s_server");
    case PeerKind::GnuTlsServer: return QStringLiteral("gnutls-serv");
    case PeerKind::Stunnel: return QStringLiteral("stunnel4");
    case PeerKind::Mosquitto: return QStringLiteral("mosquitto");
    }
    return QString();
}

const char *peerProgram(PeerKind kind)
{
    switch (kind) {
    case PeerKind::OpenSslServer: return "openssl";
    case PeerKind::GnuTlsServer: return "gnutls-serv";
    case PeerKind::Stunnel: return "stunnel4";
    case PeerKind::Mosquitto: return "mosquitto";
    }
    return "";
}

QString clientName(ClientKind kind)
{
    return kind == ClientKind::OpenSslClient ? QStringLiteral("openssl s_client")
                                             : QStringLiteral("gnutls-cli");
}

const char *clientProgram(ClientKind kind)
{
    return kind == ClientKind::OpenSslClient ? "openssl" : "gnutls-cli";
}

QString findPeerProgram(const char *program)
{
    const QString name = QString::fromLatin1(program);
    QString path = QStandardPaths::findExecutable(name);
    if (path.isEmpty())
        path = QStandardPaths::findExecutable(name, {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin")});
    return path;
}

QString loopbackBindShim()
{
    return QString::fromUtf8(QTPSK_INTEROP_BIND_SHIM);
}

// --- TempDir -----------------------------------------------------------------------------------

TempDir::TempDir()
{
    QByteArray pattern = QDir::tempPath().toLocal8Bit() + "/qtpsk-interop-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr)
        return;
    // mkdtemp makes it 0700; a peer that drops root (mosquitto) must be able to traverse it.
    if (::chmod(pattern.constData(), 0755) != 0) {
        QDir(QString::fromLocal8Bit(pattern)).removeRecursively();
        return;
    }
    m_path = QString::fromLocal8Bit(pattern);
}

TempDir::~TempDir()
{
    if (!m_path.isEmpty())
        QDir(m_path).removeRecursively();
}

QString TempDir::filePath(const QString &name) const
{
    return m_path + QLatin1Char('/') + name;
}

QString TempDir::writeFile(const QString &name, const QByteArray &contents)
{
    const QString path = filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(contents) != contents.size())
        return QString();
    file.close();
    if (!QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup
                                             | QFile::ReadOther))
        return QString();
    return path;
}

// --- Listening sockets -------------------------------------------------------------------------

namespace {

// Decodes one /proc/net/tcp{,6} address ("0100007F:1F90"): the kernel prints each 32-bit word of
// the network-order address as a host-order integer.
bool decodeProcAddress(const QByteArray &field, QByteArray *address, quint16 *port)
{
    const int colon = field.indexOf(':');
    if (colon < 0 || colon % 8 != 0)
        return false;
    QByteArray bytes;
    for (int i = 0; i < colon; i += 8) {
        bool ok = false;
        const quint32 word = field.mid(i, 8).toUInt(&ok, 16);
        if (!ok)
            return false;
        char raw[4];
        std::memcpy(raw, &word, sizeof raw);
        bytes.append(raw, 4);
    }
    bool ok = false;
    *port = quint16(field.mid(colon + 1).toUInt(&ok, 16));
    *address = bytes;
    return ok;
}

bool isListening(const QString &host, quint16 port)
{
    QByteArray wanted(16, '\0');
    const QByteArray h = host.toLatin1();
    const bool v6 = host.contains(QLatin1Char(':'));
    if (inet_pton(v6 ? AF_INET6 : AF_INET, h.constData(), wanted.data()) != 1)
        return false;
    wanted.resize(v6 ? 16 : 4);
    QFile table(v6 ? QStringLiteral("/proc/net/tcp6") : QStringLiteral("/proc/net/tcp"));
    if (!table.open(QIODevice::ReadOnly))
        return false;
    const QList<QByteArray> lines = table.readAll().split('\n');
    for (const QByteArray &line : lines) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() < 4 || fields.at(3) != "0A") // 0A: TCP_LISTEN
            continue;
        QByteArray address;
        quint16 localPort = 0;
        if (decodeProcAddress(fields.at(1), &address, &localPort) && localPort == port
                && address == wanted)
            return true;
    }
    return false;
}

QString bracketed(const QString &host, quint16 port)
{
    return host.contains(QLatin1Char(':')) ? QStringLiteral("[%1]:%2").arg(host).arg(port)
                                           : QStringLiteral("%1:%2").arg(host).arg(port);
}

QString versionArgument(TlsVersion version)
{
    switch (version) {
    case TlsVersion::V1_2: return QStringLiteral("-tls1_2");
    case TlsVersion::V1_3: return QStringLiteral("-tls1_3");
    case TlsVersion::Any: break;
    }
    return QString();
}

QString gnutlsPriority(TlsVersion version)
{
    QString priority = QStringLiteral("NORMAL:+PSK:+DHE-PSK:+ECDHE-PSK");
    if (version == TlsVersion::V1_2)
        priority += QStringLiteral(":-VERS-ALL:+VERS-TLS1.2");
    else if (version == TlsVersion::V1_3)
        priority += QStringLiteral(":-VERS-ALL:+VERS-TLS1.3");
    return priority;
}

// One line of a psktool-format key file; an identity containing ':' is written as #<hex>.
QByteArray gnutlsKeyLine(const QByteArray &identity, const QByteArray &keyHex)
{
    const QByteArray name = identity.contains(':') ? '#' + identity.toHex() : identity;
    return name + ':' + keyHex + '\n';
}

} // namespace

bool waitForListen(const QString &host, quint16 port, int timeoutMs)
{
    return QtPskTest::waitUntil([&] { return isListening(host, port); }, timeoutMs);
}

QStringList listeningAddresses(quint16 port)
{
    QProcess ss;
    ss.start(QStringLiteral("ss"), {QStringLiteral("-ltnH"), QStringLiteral("sport = :%1").arg(port)});
    if (!ss.waitForFinished(5000)) {
        ss.kill();
        ss.waitForFinished(1000);
        return {};
    }
    QStringList addresses;
    const QList<QByteArray> lines = ss.readAllStandardOutput().split('\n');
    for (const QByteArray &line : lines) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() < 4)
            continue;
        const QByteArray local = fields.at(3); // State Recv-Q Send-Q Local:Port Peer:Port
        const int colon = local.lastIndexOf(':');
        if (colon > 0)
            addresses << QString::fromLatin1(local.left(colon));
    }
    addresses.sort();
    return addresses;
}

// --- PeerServer --------------------------------------------------------------------------------

PeerServer::PeerServer(PeerKind kind, const ServerOptions &options)
    : m_kind(kind), m_options(options)
{
}

PeerServer::~PeerServer()
{
    m_process.stop();
}

QByteArray PeerServer::log() const
{
    QByteArray text = m_process.output();
    if (!m_logFile.isEmpty()) {
        QFile file(m_logFile);
        if (file.open(QIODevice::ReadOnly))
            text += file.readAll();
    }
    return text;
}

std::unique_ptr<PeerServer> PeerServer::start(PeerKind kind, const ServerOptions &options,
                                              QString *error)
{
    std::unique_ptr<PeerServer> server(new PeerServer(kind, options));
    if (!server->m_dir.isValid()) {
        *error = QStringLiteral("cannot create a temporary directory");
        return nullptr;
    }
    // A port picked by freeLoopbackPort() can be taken by a parallel test before the peer binds
    // it: try a few ports.
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (server->launch(error))
            return server;
        server->m_process.stop();
    }
    return nullptr;
}

bool PeerServer::launch(QString *error)
{
    const QString program = findPeerProgram(peerProgram(m_kind));
    if (program.isEmpty()) {
        *error = QStringLiteral("%1 is not installed").arg(QLatin1String(peerProgram(m_kind)));
        return false;
    }
    m_port = QtPskTest::freeLoopbackPort(m_options.host);
    if (m_port == 0) {
        *error = QStringLiteral("no free port on %1").arg(m_options.host);
        return false;
    }
    const ServerOptions &o = m_options;
    QString launcher;
    QStringList arguments;

    switch (m_kind) {
    case PeerKind::OpenSslServer: {
        QStringList s{QStringLiteral("s_server"), QStringLiteral("-accept"), bracketed(o.host, m_port),
                      QStringLiteral("-nocert"), QStringLiteral("-psk"), QString::fromLatin1(o.keyHex),
                      QStringLiteral("-psk_identity"), QString::fromLatin1(o.identity)};
        if (!o.hint.isEmpty())
            s << QStringLiteral("-psk_hint") << QString::fromLatin1(o.hint);
        if (o.version != TlsVersion::Any)
            s << versionArgument(o.version);
        s << QStringLiteral("-cipher") << (o.cipher.isEmpty() ? QStringLiteral("kPSK") : o.cipher);
        if (!o.ciphersuites.isEmpty())
            s << QStringLiteral("-ciphersuites") << o.ciphersuites;
        if (o.allowPskKe)
            s << QStringLiteral("-allow_no_dhe_kex");
        if (o.reverseLines) {
            launcher = program;
            arguments = s << QStringLiteral("-rev");
            break;
        }
        // Exact echo: stdin and stdout are one FIFO, so every byte received is sent back.
        const QString fifo = m_dir.filePath(QStringLiteral("echo.fifo"));
        QFile::remove(fifo);
        if (::mkfifo(QFile::encodeName(fifo).constData(), 0600) != 0) {
            *error = QStringLiteral("mkfifo failed");
            return false;
        }
        launcher = QStringLiteral("/bin/sh");
        arguments = QStringList{QStringLiteral("-c"),
                                QStringLiteral("fifo=\"$1\"; shift; exec \"$@\" <>\"$fifo\" >\"$fifo\""),
                                QStringLiteral("sh"), fifo, program}
                + s + QStringList{QStringLiteral("-quiet"), QStringLiteral("-ign_eof")};
        break;
    }
    case PeerKind::GnuTlsServer: {
        const QString keys = m_dir.writeFile(QStringLiteral("passwd.psk"),
                                             gnutlsKeyLine(o.identity, o.keyHex));
        if (keys.isEmpty()) {
            *error = QStringLiteral("cannot write the key file");
            return false;
        }
        // gnutls-serv has no bind address option: the shim keeps it on loopback. `env` execs the
        // server, so the PID stays the server's.
        launcher = QStringLiteral("/usr/bin/env");
        arguments = QStringList{QStringLiteral("LD_PRELOAD=") + loopbackBindShim(), program,
                                QStringLiteral("--port"), QString::number(m_port),
                                QStringLiteral("--pskpasswd"), keys, QStringLiteral("--echo"),
                                QStringLiteral("--priority"),
                                o.cipher.isEmpty() ? gnutlsPriority(o.version) : o.cipher};
        if (!o.hint.isEmpty())
            arguments << QStringLiteral("--pskhint") << QString::fromLatin1(o.hint);
        break;
    }
    case PeerKind::Stunnel: {
        const QString secrets = m_dir.writeFile(QStringLiteral("psk.txt"), o.identity + ':' + o.keyHex + '\n');
        if (secrets.isEmpty()) {
            *error = QStringLiteral("cannot write the PSKsecrets file");
            return false;
        }
        QFile::setPermissions(secrets, QFile::ReadOwner | QFile::WriteOwner); // stunnel wants 0600
        QByteArray config = "foreground = yes\npid =\ndebug = notice\n[psk]\n";
        // stunnel splits host and port at the last colon, so "::1:P" works for IPv6 too.
        config += "accept = " + o.host.toLatin1() + ':' + QByteArray::number(m_port) + '\n';
        config += "exec = /bin/cat\nexecArgs = cat\n";
        config += "PSKsecrets = " + QFile::encodeName(secrets) + '\n';
        config += "ciphers = " + (o.cipher.isEmpty() ? QByteArray("PSK") : o.cipher.toLatin1()) + '\n';
        if (!o.ciphersuites.isEmpty())
            config += "ciphersuites = " + o.ciphersuites.toLatin1() + '\n';
        if (o.version == TlsVersion::V1_2)
            config += "sslVersionMin = TLSv1.2\nsslVersionMax = TLSv1.2\n";
        else if (o.version == TlsVersion::V1_3)
            config += "sslVersionMin = TLSv1.3\nsslVersionMax = TLSv1.3\n";
        const QString file = m_dir.writeFile(QStringLiteral("stunnel.conf"), config);
        if (file.isEmpty()) {
            *error = QStringLiteral("cannot write the stunnel configuration");
            return false;
        }
        launcher = program;
        arguments = QStringList{file};
        break;
    }
    case PeerKind::Mosquitto: {
        const QString keys = m_dir.writeFile(QStringLiteral("psk.txt"), o.identity + ':' + o.keyHex + '\n');
        // mosquitto switches PSK on only with a hint: it always sends one (in TLS 1.2).
        const QByteArray hint = o.hint.isEmpty() ? QByteArrayLiteral("mosquitto") : o.hint;
        QByteArray config = "per_listener_settings true\n";
        config += "listener " + QByteArray::number(m_port) + ' ' + o.host.toLatin1() + '\n';
        config += "psk_hint " + hint + '\n';
        config += "psk_file " + QFile::encodeName(keys) + '\n';
        config += "use_identity_as_username true\nallow_anonymous false\npersistence false\n";
        // Its stdout is block-buffered into a pipe; the log file is flushed line by line. The
        // broker may run as user mosquitto: the file must be writable by it.
        m_logFile = m_dir.writeFile(QStringLiteral("mosquitto.log"), QByteArray());
        QFile::setPermissions(m_logFile, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup
                                                 | QFile::WriteGroup | QFile::ReadOther | QFile::WriteOther);
        config += "log_dest file " + QFile::encodeName(m_logFile) + "\nlog_type all\n";
        config += "ciphers " + (o.cipher.isEmpty() ? QByteArray("PSK") : o.cipher.toLatin1()) + '\n';
        if (o.version == TlsVersion::V1_2)
            config += "tls_version tlsv1.2\n";
        else if (o.version == TlsVersion::V1_3)
            config += "tls_version tlsv1.3\n";
        const QString file = m_dir.writeFile(QStringLiteral("mosquitto.conf"), config);
        if (keys.isEmpty() || file.isEmpty()) {
            *error = QStringLiteral("cannot write the mosquitto configuration");
            return false;
        }
        launcher = program;
        arguments = QStringList{QStringLiteral("-c"), file};
        break;
    }
    }

    if (!m_process.start(launcher, arguments)) {
        *error = QStringLiteral("cannot start %1").arg(peerName(m_kind));
        return false;
    }
    const bool listening = QtPskTest::waitUntil(
            [&] { return isListening(o.host, m_port) || !m_process.isRunning(); }, 10000)
            && m_process.isRunning();
    if (!listening) {
        *error = QStringLiteral("%1 did not listen on %2: %3")
                         .arg(peerName(m_kind), bracketed(o.host, m_port),
                              QString::fromLocal8Bit(m_process.output().right(600)));
        return false;
    }
    return true;
}

// --- Client peers ------------------------------------------------------------------------------

bool startClient(QtPskTest::PeerProcess &process, ClientKind kind, const QString &host,
                 quint16 port, const ClientOptions &options)
{
    const QString program = findPeerProgram(clientProgram(kind));
    if (program.isEmpty())
        return false;
    QStringList arguments;
    if (kind == ClientKind::OpenSslClient) {
        arguments << QStringLiteral("s_client") << QStringLiteral("-connect") << bracketed(host, port)
                  << QStringLiteral("-psk") << QString::fromLatin1(options.keyHex)
                  << QStringLiteral("-psk_identity") << QString::fromLatin1(options.identity);
        if (options.version != TlsVersion::Any)
            arguments << versionArgument(options.version);
        if (!options.cipher.isEmpty()) {
            arguments << (options.version == TlsVersion::V1_3 ? QStringLiteral("-ciphersuites")
                                                              : QStringLiteral("-cipher"))
                      << options.cipher;
        }
    } else {
        arguments << QStringLiteral("-p") << QString::number(port) << host
                  << QStringLiteral("--pskusername") << QString::fromLatin1(options.identity)
                  << QStringLiteral("--pskkey") << QString::fromLatin1(options.keyHex)
                  << QStringLiteral("--priority")
                  << (options.cipher.isEmpty() ? gnutlsPriority(options.version) : options.cipher);
    }
    return process.start(program, arguments);
}

} // namespace QtPskInterop
