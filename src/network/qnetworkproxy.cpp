// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "network/qnetworkproxy_p.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdebug.h>
#include <QtCore/qmutex.h>
#include <QtCore/qpair.h>
#include <QtCore/qstringlist.h>

#include <iterator>

QT_IMPL_METATYPE_EXTERN_TAGGED(QTPSK_PREPEND_NAMESPACE(QNetworkProxy), QtPsk_QNetworkProxy)

QTPSK_BEGIN_NAMESPACE

namespace {

// Qt's default capabilities of each type (measured on Qt 6.4: tests/network/qnetworkproxy_test).
QNetworkProxy::Capabilities defaultCapabilities(QNetworkProxy::ProxyType type)
{
    switch (type) {
    case QNetworkProxy::Socks5Proxy:
        return QNetworkProxy::TunnelingCapability | QNetworkProxy::ListeningCapability
                | QNetworkProxy::UdpTunnelingCapability | QNetworkProxy::HostNameLookupCapability;
    case QNetworkProxy::HttpProxy:
        return QNetworkProxy::TunnelingCapability | QNetworkProxy::CachingCapability
                | QNetworkProxy::HostNameLookupCapability;
    case QNetworkProxy::HttpCachingProxy:
    case QNetworkProxy::FtpCachingProxy:
        return QNetworkProxy::CachingCapability | QNetworkProxy::HostNameLookupCapability;
    case QNetworkProxy::DefaultProxy:
    case QNetworkProxy::NoProxy:
        break;
    }
    return QNetworkProxy::TunnelingCapability | QNetworkProxy::ListeningCapability
            | QNetworkProxy::UdpTunnelingCapability | QNetworkProxy::SctpTunnelingCapability
            | QNetworkProxy::SctpListeningCapability;
}

bool carriesHeaders(QNetworkProxy::ProxyType type)
{
    return type == QNetworkProxy::HttpProxy || type == QNetworkProxy::HttpCachingProxy;
}

} // namespace

class QNetworkProxyPrivate : public QSharedData
{
public:
    QNetworkProxy::ProxyType type = QNetworkProxy::DefaultProxy;
    QNetworkProxy::Capabilities capabilities = defaultCapabilities(QNetworkProxy::DefaultProxy);
    bool capabilitiesSet = false; // setCapabilities() was called: setType() keeps them
    // Default-constructed and never changed. Such a proxy equals only another one, as in Qt
    // (where its data pointer is null), not QNetworkProxy(QNetworkProxy::DefaultProxy).
    bool pristine = false;
    quint16 port = 0;
    QString hostName;
    QString user;
    QString password;
    QList<QPair<QByteArray, QByteArray>> rawHeaders;

    bool operator==(const QNetworkProxyPrivate &other) const
    {
        return pristine == other.pristine && type == other.type && port == other.port
                && capabilities == other.capabilities && hostName == other.hostName
                && user == other.user && password == other.password;
    }

    qsizetype findHeader(const QByteArray &name) const
    {
        for (qsizetype i = 0; i < rawHeaders.size(); ++i) {
            if (rawHeaders.at(i).first.compare(name, Qt::CaseInsensitive) == 0)
                return i;
        }
        return -1;
    }
};

QNetworkProxy::QNetworkProxy()
    : d(new QNetworkProxyPrivate)
{
    d->pristine = true;
}

QNetworkProxy::QNetworkProxy(ProxyType type, const QString &hostName, quint16 port,
                             const QString &user, const QString &password)
    : d(new QNetworkProxyPrivate)
{
    d->type = type;
    d->capabilities = defaultCapabilities(type);
    d->hostName = hostName;
    d->port = port;
    d->user = user;
    d->password = password;
}

QNetworkProxy::QNetworkProxy(const QNetworkProxy &other) = default;

QNetworkProxy &QNetworkProxy::operator=(const QNetworkProxy &other) = default;

QNetworkProxy::~QNetworkProxy() = default;

bool QNetworkProxy::operator==(const QNetworkProxy &other) const
{
    return d == other.d || *d == *other.d;
}

void QNetworkProxy::setType(QNetworkProxy::ProxyType type)
{
    d->pristine = false;
    d->type = type;
    if (!d->capabilitiesSet)
        d->capabilities = defaultCapabilities(type);
}

QNetworkProxy::ProxyType QNetworkProxy::type() const { return d->type; }

void QNetworkProxy::setCapabilities(Capabilities capab)
{
    d->pristine = false;
    d->capabilities = capab;
    d->capabilitiesSet = true;
}

QNetworkProxy::Capabilities QNetworkProxy::capabilities() const { return d->capabilities; }

bool QNetworkProxy::isCachingProxy() const
{
    return d->capabilities.testFlag(CachingCapability);
}

bool QNetworkProxy::isTransparentProxy() const
{
    return d->capabilities.testFlag(TunnelingCapability);
}

void QNetworkProxy::setUser(const QString &userName)
{
    d->pristine = false;
    d->user = userName;
}

QString QNetworkProxy::user() const { return d->user; }

void QNetworkProxy::setPassword(const QString &password)
{
    d->pristine = false;
    d->password = password;
}

QString QNetworkProxy::password() const { return d->password; }

void QNetworkProxy::setHostName(const QString &hostName)
{
    d->pristine = false;
    d->hostName = hostName;
}

QString QNetworkProxy::hostName() const { return d->hostName; }

void QNetworkProxy::setPort(quint16 port)
{
    d->pristine = false;
    d->port = port;
}

quint16 QNetworkProxy::port() const { return d->port; }

namespace {

struct ApplicationProxy
{
    QMutex mutex;
    QNetworkProxy proxy{QNetworkProxy::NoProxy};
};

Q_GLOBAL_STATIC(ApplicationProxy, applicationProxyStorage)

} // namespace

void QNetworkProxy::setApplicationProxy(const QNetworkProxy &proxy)
{
    ApplicationProxy *storage = applicationProxyStorage();
    if (!storage)
        return;
    const QMutexLocker locker(&storage->mutex);
    // As in Qt: DefaultProxy ("use the application proxy") as the application proxy means none.
    storage->proxy = proxy.type() == DefaultProxy ? QNetworkProxy(NoProxy) : proxy;
}

QNetworkProxy QNetworkProxy::applicationProxy()
{
    ApplicationProxy *storage = applicationProxyStorage();
    if (!storage)
        return QNetworkProxy(NoProxy);
    const QMutexLocker locker(&storage->mutex);
    return storage->proxy;
}

bool QNetworkProxy::hasRawHeader(const QByteArray &headerName) const
{
    return carriesHeaders(d->type) && d->findHeader(headerName) >= 0;
}

QList<QByteArray> QNetworkProxy::rawHeaderList() const
{
    QList<QByteArray> names;
    if (!carriesHeaders(d->type))
        return names;
    names.reserve(d->rawHeaders.size());
    for (const auto &header : d->rawHeaders)
        names.append(header.first);
    return names;
}

QByteArray QNetworkProxy::rawHeader(const QByteArray &headerName) const
{
    if (!carriesHeaders(d->type))
        return QByteArray();
    const qsizetype index = d->findHeader(headerName);
    return index < 0 ? QByteArray() : d->rawHeaders.at(index).second;
}

void QNetworkProxy::setRawHeader(const QByteArray &headerName, const QByteArray &value)
{
    d->pristine = false;
    if (!carriesHeaders(d->type) || headerName.isEmpty())
        return;
    const qsizetype index = d->findHeader(headerName);
    if (index >= 0)
        d->rawHeaders.removeAt(index);
    if (!value.isNull())
        d->rawHeaders.append(qMakePair(headerName, value));
}

namespace QtPskPrivate {

namespace {

// As Qt: no application proxy for these host names, whatever it is.
bool isLocalHost(const QString &hostName)
{
    const QString lower = hostName.toLower();
    if (lower == QLatin1String("localhost") || lower.startsWith(QLatin1String("localhost.")))
        return true;
    QString literal = hostName;
    if (literal.startsWith(QLatin1Char('[')) && literal.endsWith(QLatin1Char(']')))
        literal = literal.mid(1, literal.size() - 2);
    const QHostAddress address(literal);
    return !address.isNull() && address.isLoopback();
}

bool allowsDirect(const QNetworkProxy &proxy, QString *errorString)
{
    switch (proxy.type()) {
    case QNetworkProxy::NoProxy:
    case QNetworkProxy::DefaultProxy:
        return true;
    case QNetworkProxy::HttpProxy:
    case QNetworkProxy::Socks5Proxy:
        *errorString = QCoreApplication::translate(
                               "QAbstractSocket",
                               "QtPsk does not support proxies (%1): use QNetworkProxy::NoProxy "
                               "to connect directly")
                               .arg(proxy.type() == QNetworkProxy::HttpProxy
                                            ? QLatin1String("HttpProxy")
                                            : QLatin1String("Socks5Proxy"));
        return false;
    default:
        // Qt cannot use these for a socket either, and fails with these words.
        *errorString = QCoreApplication::translate("QAbstractSocket",
                                                   "Operation on socket is not supported");
        return false;
    }
}

} // namespace

bool proxyAllowsConnect(const QNetworkProxy &ownProxy, const QString &hostName,
                        QString *errorString)
{
    if (ownProxy.type() != QNetworkProxy::DefaultProxy)
        return allowsDirect(ownProxy, errorString);
    if (isLocalHost(hostName))
        return true;
    return allowsDirect(QNetworkProxy::applicationProxy(), errorString);
}

bool proxyAllowsBind(const QNetworkProxy &ownProxy, QString *errorString)
{
    if (ownProxy.type() != QNetworkProxy::DefaultProxy)
        return allowsDirect(ownProxy, errorString);
    return allowsDirect(QNetworkProxy::applicationProxy(), errorString);
}

bool proxyAllowsListen(const QNetworkProxy &ownProxy, const QHostAddress &address,
                       QString *errorString)
{
    if (address.isLoopback())
        return true;
    return proxyAllowsBind(ownProxy, errorString);
}

} // namespace QtPskPrivate

#ifndef QT_NO_DEBUG_STREAM
QDebug operator<<(QDebug debug, const QNetworkProxy &proxy)
{
    const QDebugStateSaver saver(debug);
    debug.resetFormat().nospace();
    // Indexed by QNetworkProxy::ProxyType.
    static const char *const typeNames[] = { "DefaultProxy", "Socks5Proxy", "NoProxy",
                                             "HttpProxy", "HttpCachingProxy", "FtpCachingProxy" };
    const int type = int(proxy.type());
    if (type >= 0 && type < int(std::size(typeNames)))
        debug << typeNames[type] << ' ';
    else
        debug << "Unknown proxy " << type;
    debug << '"' << proxy.hostName() << ':' << proxy.port() << "\" ";
    const QNetworkProxy::Capabilities caps = proxy.capabilities();
    QStringList names;
    const struct { QNetworkProxy::Capability flag; const char *name; } known[] = {
        {QNetworkProxy::TunnelingCapability, "Tunnel"},
        {QNetworkProxy::ListeningCapability, "Listen"},
        {QNetworkProxy::UdpTunnelingCapability, "UDP"},
        {QNetworkProxy::CachingCapability, "Caching"},
        {QNetworkProxy::HostNameLookupCapability, "NameLookup"},
        {QNetworkProxy::SctpTunnelingCapability, "SctpTunnel"},
        {QNetworkProxy::SctpListeningCapability, "SctpListen"},
    };
    for (const auto &entry : known) {
        if (caps.testFlag(entry.flag))
            names << QLatin1String(entry.name);
    }
    debug << '[' << names.join(QLatin1Char(' ')) << ']';
    return debug;
}
#endif

QTPSK_END_NAMESPACE
