// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// pskservice: a TLS-PSK line echo server whose keys are looked up by a key service in a worker
// thread, so that a slow key store never stalls the connections the server is serving.
//
//   pskservice --psk-file keys.psk [--port 4433] [--hint "my server"] [--lookup-delay-ms 20]
//
// It uses a QtPsk extension, QSslPreSharedKeyAuthenticator::deferAnswer(): it builds against
// QtPsk only (pskserver is the same server answering in the slot, as Qt requires).
#include <QtPsk/QSslConfiguration>
#include <QtPsk/QSslPreSharedKeyAuthenticator>
#include <QtPsk/QSslPreSharedKeyRequest>
#include <QtPsk/QSslServer>
#include <QtPsk/QSslSocket>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QThread>

#include "commandline.h"
#include "console.h"
#include "pskkeys.h"
#include "printable.h"

using namespace Qt::StringLiterals;
using namespace PskExample;

namespace {

//! [service]
// The key store: reads the key file on every lookup (a database query would go here), in the
// thread this object lives in. It answers each request it is given, from that thread.
class KeyService : public QObject
{
public:
    KeyService(const QString &keyFile, int delayMs) : m_keyFile(keyFile), m_delayMs(delayMs) { }

    void lookUp(const QSslPreSharedKeyRequest &request)
    {
        if (m_delayMs > 0)
            QThread::msleep(ulong(m_delayMs)); // a slow store: only this thread waits
        PskTable keys;
        QString error;
        QString warning;
        if (!loadPskFile(m_keyFile, &keys, &error, &warning)) {
            printError(u"pskservice: "_s + error);
            request.refuse();
            return;
        }
        const QByteArray identity = request.identity();
        if (keys.contains(identity))
            request.answer(keys.key(identity));
        else
            request.refuse(); // an unknown identity: the handshake fails
    }

private:
    const QString m_keyFile;
    const int m_delayMs;
};
//! [service]

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    startCommandLine(parser, u"pskservice"_s,
        u"A TLS-PSK echo server whose PSK lookups run in a worker thread (a QtPsk extension: "
        "the answer to preSharedKeyAuthenticationRequired() comes later). Prints \"Listening on "
        "<address>:<port>\", then each client's identity, each line and errors; never key "
        "bytes. The key file (identity:hexkey lines, as pskserver --psk-file reads) is read on "
        "every lookup, so edits take effect for the next handshake."_s);
    const QCommandLineOption portOption(u"port"_s,
        u"The port to listen on, on 127.0.0.1; 0 lets the system choose (default: 0)."_s,
        u"port"_s, u"0"_s);
    const QCommandLineOption hintOption(u"hint"_s, u"The PSK identity hint (default: none)."_s,
                                        u"text"_s);
    const QCommandLineOption fileOption(u"psk-file"_s, u"The key file (required)."_s, u"file"_s);
    const QCommandLineOption delayOption(u"lookup-delay-ms"_s,
        u"Make every lookup this much slower, as a remote key store would be (default: 0)."_s,
        u"ms"_s, u"0"_s);
    parser.addOptions({ portOption, hintOption, fileOption, delayOption });
    parser.process(app);

    bool ok = false;
    const quint16 port = parser.value(portOption).toUShort(&ok);
    const int delayMs = parser.value(delayOption).toInt();
    if (!ok || !parser.isSet(fileOption) || delayMs < 0) {
        printError(u"pskservice: give --psk-file (and a valid --port, --lookup-delay-ms)"_s);
        return 2;
    }

    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    if (parser.isSet(hintOption))
        configuration.setPreSharedKeyIdentityHint(parser.value(hintOption).toUtf8());
    QSslServer server;
    server.setSslConfiguration(configuration);

    QThread serviceThread;
    KeyService service(parser.value(fileOption), delayMs);
    service.moveToThread(&serviceThread);
    serviceThread.start();

    //! [defer]
    // The slot only hands the request to the service: the server's thread goes on at once.
    QObject::connect(&server, &QSslServer::preSharedKeyAuthenticationRequired,
                     [&service](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                         const QSslPreSharedKeyRequest request = authenticator->deferAnswer();
                         QMetaObject::invokeMethod(&service, [&service, request] {
                             service.lookUp(request);
                         });
                     });
    //! [defer]
    QObject::connect(&server, &QSslServer::errorOccurred,
                     [](QSslSocket *socket, QAbstractSocket::SocketError) {
                         printError(u"Error: "_s + socket->errorString());
                     });
    QObject::connect(&server, &QSslServer::pendingConnectionAvailable, [&server] {
        while (server.hasPendingConnections()) {
            auto *socket = qobject_cast<QSslSocket *>(server.nextPendingConnection());
            printLine(u"Encrypted: %1:%2"_s.arg(socket->peerAddress().toString())
                              .arg(socket->peerPort()));
            const auto echoLines = [socket] {
                while (socket->canReadLine()) {
                    const QByteArray line = socket->readLine();
                    printLine(u"Echo: "_s + printable(line.trimmed()));
                    socket->write(line);
                }
            };
            QObject::connect(socket, &QSslSocket::readyRead, socket, echoLines);
            echoLines();
            QObject::connect(socket, &QSslSocket::disconnected, socket, &QObject::deleteLater);
        }
    });

    if (!server.listen(QHostAddress::LocalHost, port)) {
        printError(u"pskservice: cannot listen: "_s + server.errorString());
        return 1;
    }
    printLine(u"Listening on 127.0.0.1:%1"_s.arg(server.serverPort()));
    const int status = QCoreApplication::exec();
    serviceThread.quit();
    serviceThread.wait();
    return status;
}
