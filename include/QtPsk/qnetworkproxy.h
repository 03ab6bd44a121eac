// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QNETWORKPROXY_H
#define QTPSK_QNETWORKPROXY_H

#include <QtPsk/qtpskglobal.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qstring.h>

QT_FORWARD_DECLARE_CLASS(QDebug)

QTPSK_BEGIN_NAMESPACE

class QNetworkProxyPrivate;

/*!
    \class QNetworkProxy
    \brief A network-layer proxy setting, the QtNetwork value class of the same name.

    A source-compatible clone of QtNetwork's QNetworkProxy, so that the usual device-client
    line compiles and means what it means with Qt:

    \code
    socket.setProxy(QNetworkProxy::NoProxy); // connect directly, whatever the application proxy
    \endcode

    QtPsk connects directly only: it has no proxy engine. A socket or server whose proxy is
    NoProxy, or DefaultProxy while the application proxy (setApplicationProxy()) is NoProxy,
    connects or listens directly, exactly as with Qt. Any other proxy type makes
    QAbstractSocket::connectToHost(), QAbstractSocket::bind() and QTcpServer::listen() fail with
    QAbstractSocket::UnsupportedSocketOperationError, the way Qt fails for a proxy it cannot use
    (see QAbstractSocket's "Proxies"); QtPsk never falls back to a silent direct connection.

    The value class itself behaves as Qt's: default capabilities per type (setType() changes
    them until setCapabilities() was called once), equality over type, host name, port, user,
    password and capabilities (not the headers), raw headers for HttpProxy and
    HttpCachingProxy only, and a default-constructed proxy that equals only another
    default-constructed (or copied) one, not QNetworkProxy(QNetworkProxy::DefaultProxy).

    The class is implicitly shared and reentrant; setApplicationProxy() and applicationProxy()
    are thread-safe.

    \section1 Differences from Qt
    \list
    \li Sockets and servers never go through a proxy. Where Qt would really connect through an
        HttpProxy or a Socks5Proxy, QtPsk fails the connection with
        QAbstractSocket::UnsupportedSocketOperationError and the error string "QtPsk does not
        support proxies (...): use QNetworkProxy::NoProxy to connect directly". Why: a TLS-PSK
        device talks to its peer directly, and a proxy engine is much code that cannot fail if
        it is not there.
    \li No header() and setHeader() (they take QNetworkRequest::KnownHeaders, and QtPsk has no
        QNetworkRequest); the raw-header functions exist.
    \li No QNetworkProxyFactory and no QNetworkProxyQuery: the system proxy configuration is
        never read (as in Qt by default, where QNetworkProxyFactory::usesSystemConfiguration()
        is \c false).
    \endlist
*/
class QTPSK_EXPORT QNetworkProxy
{
public:
    /*! The kind of proxy, with Qt's values. */
    enum ProxyType {
        DefaultProxy,     /*!< Use the application proxy (setApplicationProxy()). */
        Socks5Proxy,      /*!< A SOCKS 5 proxy (not supported by QtPsk's sockets). */
        NoProxy,          /*!< No proxy: connect directly. */
        HttpProxy,        /*!< An HTTP proxy with CONNECT (not supported by QtPsk's sockets). */
        HttpCachingProxy, /*!< A caching HTTP proxy, for HTTP requests only. */
        FtpCachingProxy   /*!< A caching FTP proxy, for FTP requests only. */
    };

    /*! What a proxy can do, with Qt's values. */
    enum Capability {
        TunnelingCapability = 0x0001,      /*!< Opens transparent TCP connections. */
        ListeningCapability = 0x0002,      /*!< Listens for incoming TCP connections. */
        UdpTunnelingCapability = 0x0004,   /*!< Relays UDP datagrams. */
        CachingCapability = 0x0008,        /*!< Caches what it relays. */
        HostNameLookupCapability = 0x0010, /*!< Resolves host names itself. */
        SctpTunnelingCapability = 0x00020, /*!< Opens transparent SCTP connections. */
        SctpListeningCapability = 0x00040  /*!< Listens for incoming SCTP connections. */
    };
    /*! A combination of Capability values. */
    Q_DECLARE_FLAGS(Capabilities, Capability)

    /*!
        Constructs a proxy of type DefaultProxy (use the application proxy) with Qt's default
        capabilities for it. It compares equal only to other default-constructed proxies and
        their copies.
    */
    QNetworkProxy();
    /*!
        Constructs a proxy of type \a type at \a hostName and \a port, with \a user and
        \a password, and the default capabilities of \a type. Not explicit, as in Qt, so a
        ProxyType converts: `socket.setProxy(QNetworkProxy::NoProxy)`.
    */
    QNetworkProxy(ProxyType type, const QString &hostName = QString(), quint16 port = 0,
                  const QString &user = QString(), const QString &password = QString());
    /*! Constructs a copy of \a other. */
    QNetworkProxy(const QNetworkProxy &other);
    /*! Move-assigns \a other to this proxy by swapping the two. */
    QNetworkProxy &operator=(QNetworkProxy &&other) noexcept { swap(other); return *this; }
    /*! Makes this proxy a copy of \a other and returns a reference to it. */
    QNetworkProxy &operator=(const QNetworkProxy &other);
    /*! Destroys the proxy. */
    ~QNetworkProxy();

    /*! Swaps this proxy with \a other. This operation is very fast and never fails. */
    void swap(QNetworkProxy &other) noexcept { d.swap(other.d); }

    /*!
        Returns \c true if this proxy and \a other have the same type, host name, port, user,
        password and capabilities (the raw headers do not count). A default-constructed proxy
        equals only default-constructed ones (and copies of them), as in Qt.
    */
    bool operator==(const QNetworkProxy &other) const;
    /*! Returns \c true if this proxy and \a other differ (see operator==()). */
    inline bool operator!=(const QNetworkProxy &other) const { return !(*this == other); }

    /*!
        Sets the type to \a type. Unless setCapabilities() was called, the capabilities become
        the defaults of \a type: TunnelingCapability, ListeningCapability,
        UdpTunnelingCapability and HostNameLookupCapability for Socks5Proxy;
        TunnelingCapability, CachingCapability and HostNameLookupCapability for HttpProxy;
        CachingCapability and HostNameLookupCapability for the caching proxies; otherwise
        TunnelingCapability, ListeningCapability, UdpTunnelingCapability and both SCTP
        capabilities.
    */
    void setType(QNetworkProxy::ProxyType type);
    /*! Returns the proxy type (DefaultProxy for a default-constructed proxy). */
    QNetworkProxy::ProxyType type() const;

    /*! Sets the capabilities to \a capab; later setType() calls keep them. */
    void setCapabilities(Capabilities capab);
    /*! Returns the capabilities: set with setCapabilities(), or the defaults of type(). */
    Capabilities capabilities() const;
    /*! Returns \c true if capabilities() has CachingCapability. */
    bool isCachingProxy() const;
    /*! Returns \c true if capabilities() has TunnelingCapability. */
    bool isTransparentProxy() const;

    /*! Sets the user name for the proxy to \a userName. */
    void setUser(const QString &userName);
    /*! Returns the user name for the proxy. */
    QString user() const;

    /*! Sets the password for the proxy to \a password. */
    void setPassword(const QString &password);
    /*! Returns the password for the proxy. */
    QString password() const;

    /*! Sets the host name of the proxy to \a hostName. */
    void setHostName(const QString &hostName);
    /*! Returns the host name of the proxy. */
    QString hostName() const;

    /*! Sets the port of the proxy to \a port. */
    void setPort(quint16 port);
    /*! Returns the port of the proxy (0 if none was set). */
    quint16 port() const;

    /*!
        Sets the process-wide proxy that sockets and servers whose own proxy is DefaultProxy
        use to \a proxy. A DefaultProxy \a proxy resets it to NoProxy, as in Qt. Thread-safe.
        With QtPsk, an application proxy other than NoProxy makes such sockets fail to connect
        to any host but a loopback address or \c localhost (see QAbstractSocket's "Proxies").
    */
    static void setApplicationProxy(const QNetworkProxy &proxy);
    /*! Returns the application proxy: QNetworkProxy(NoProxy) unless one was set. Thread-safe. */
    static QNetworkProxy applicationProxy();

    /*!
        Returns \c true if the raw header \a headerName (compared without regard to case) is
        set. Always \c false unless type() is HttpProxy or HttpCachingProxy.
    */
    bool hasRawHeader(const QByteArray &headerName) const;
    /*!
        Returns the names of the raw headers in the order they were set. Empty unless type()
        is HttpProxy or HttpCachingProxy.
    */
    QList<QByteArray> rawHeaderList() const;
    /*!
        Returns the value of the raw header \a headerName (compared without regard to case),
        or an empty QByteArray if it is not set or type() is not HttpProxy or HttpCachingProxy.
    */
    QByteArray rawHeader(const QByteArray &headerName) const;
    /*!
        Sets the raw header \a headerName to \a value, replacing (and moving to the end) a header
        of the same name in any case; a null \a value removes it. Does nothing unless type() is
        HttpProxy or HttpCachingProxy. QtPsk never sends these headers.
    */
    void setRawHeader(const QByteArray &headerName, const QByteArray &value);

private:
    QSharedDataPointer<QNetworkProxyPrivate> d;
};

Q_DECLARE_OPERATORS_FOR_FLAGS(QNetworkProxy::Capabilities)

#ifndef QT_NO_DEBUG_STREAM
/*!
    Writes \a proxy to \a debug as Qt does, for example
    `HttpProxy ""proxy":8080" ["Tunnel Caching NameLookup"]`.
*/
QTPSK_EXPORT QDebug operator<<(QDebug debug, const QNetworkProxy &proxy);
#endif

QTPSK_END_NAMESPACE

QTPSK_DECLARE_SHARED(QNetworkProxy)

QT_DECL_METATYPE_EXTERN_TAGGED(QTPSK_PREPEND_NAMESPACE(QNetworkProxy), QtPsk_QNetworkProxy,
                               QTPSK_EXPORT)

#endif // QTPSK_QNETWORKPROXY_H
