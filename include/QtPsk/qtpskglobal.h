// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QTPSKGLOBAL_H
#define QTPSK_QTPSKGLOBAL_H

/*!
    \file qtpskglobal.h
    \brief Global macros of QtPsk: the namespace, the export macro and the version.

    Every QtPsk declaration sits between QTPSK_BEGIN_NAMESPACE and QTPSK_END_NAMESPACE.
    In the default build these expand to nothing, so the classes carry Qt's own names in
    the global namespace and existing QtNetwork code compiles unchanged. A build configured
    with the CMake option \c QTPSK_NAMESPACE=name puts everything into \c name, so that one
    program can link QtPsk and Qt6::Network side by side.

    In the default build this header also defines QtNetwork's public feature macros
    (\c QT_FEATURE_ssl and the others of Qt's \c qtnetwork-config.h), true to QtPsk: \c ssl,
    \c networkproxy, \c udpsocket and \c opensslv11 are on, so \c QT_CONFIG(ssl) is true and
    \c QT_NO_SSL is not defined; every feature whose classes QtPsk does not provide (\c dtls,
    \c http, \c localserver, \c dnslookup, \c networkinterface, ...) is off, with the \c QT_NO_
    macro Qt's configuration defines for it (\c QT_NO_HTTP, \c QT_NO_NETWORKINTERFACE, ...). A
    namespaced build defines none of them: there, Qt6::Network's headers do.

    The default build also refuses, by name, to compile beside Qt's own QtNetwork: a target
    that links Qt6::Network stops with an \c \#error ("QtPsk and Qt6::Network in one target"), and
    a Qt QtNetwork header compiled in a target that links QtPsk::QtPsk stops with the error
    "QtPsk: Qt's own QtNetwork header in a target that links QtPsk::QtPsk ...". Every
    \c QtNetwork/ spelling of QtPsk's classes (\c \<QtNetwork/QSslSocket\>,
    \c \<QtNetwork/qsslsocket.h\>, \c \<QtNetwork\>) is QtPsk's own header, so only a QtNetwork
    class QtPsk does not provide, or Qt's include directories put before QtPsk's, meets that
    error (see docs/migrating-from-qtnetwork.md).
*/

#include <QtCore/qglobal.h>
#include <QtPsk/qtpskconfig.h>
#include <QtPsk/qtpskexports.h>

/*
    The default build refuses to compile beside Qt's own QtNetwork, in any include or link order:
    its classes carry Qt's names in the global namespace, so a translation unit that saw Qt's
    class definitions would run QtPsk's code on objects of Qt's layout. Three checks, each naming
    the cause:
     - Qt6::Network in the target (QT_NETWORK_LIB, its compile definition): #error below;
     - a Qt QtNetwork header that declares a class, before or after this one: Q_NETWORK_EXPORT,
       which QtPsk's CMake target (and, from here on, this header) defines as an error;
     - Qt's qtnetworkglobal.h (which every Qt QtNetwork header includes) before this header, and
       Qt's enum-only qssl.h before QtPsk's: QTPSK_QT_NETWORK_HEADER_ERROR (qtpskconfig.h).
    After this header, Qt's qtnetworkglobal.h and qssl.h are skipped (their guards are defined):
    QtPsk's feature macros and QSsl enumerations stand.
*/
/*! \cond */
#ifndef QTPSK_NAMESPACE
#  ifdef QT_NETWORK_LIB
#    error "QtPsk and Qt6::Network in one target: this QtPsk build puts its classes into the \
global namespace, where they clash with Qt6::Network's classes of the same names. Link only one \
of them, or build and install QtPsk with the CMake option -DQTPSK_NAMESPACE=<name> and use \
<name>::QSslSocket etc. beside Qt's classes."
#  endif
#  ifdef QTNETWORKGLOBAL_H
QTPSK_QT_NETWORK_HEADER_ERROR
#  endif
#  define QTNETWORKGLOBAL_H
#  ifndef QTNETWORKEXPORTS_H
#    define QTNETWORKEXPORTS_H
#  endif
#  ifndef Q_NETWORK_EXPORT
#    define Q_NETWORK_EXPORT QTPSK_QT_NETWORK_HEADER_ERROR
#  endif
#endif
/*! \endcond */

/*
    QtNetwork's public feature macros (Qt's <QtNetwork/qtnetwork-config.h>), true to QtPsk, so that
    `#if QT_CONFIG(ssl)` and `#ifndef QT_NO_SSL` in Qt code take the branch QtPsk can compile. Only
    in the default build: a namespaced build links beside Qt6::Network, whose own header defines
    them. Off (-1) is every feature whose classes QtPsk does not provide;
    QT_NO_<FEATURE> is defined for an off feature exactly when Qt's
    configuration would define it (qtbase's src/network/configure.cmake, qt_feature_definition).
*/
/*! \cond */
#ifndef QTPSK_NAMESPACE
#  define QT_FEATURE_ssl 1
#  define QT_FEATURE_opensslv11 1
#  define QT_FEATURE_networkproxy 1
#  define QT_FEATURE_dtls 1
#  define QT_FEATURE_udpsocket 1
#  define QT_FEATURE_ocsp -1
#  define QT_FEATURE_http -1
#  define QT_FEATURE_localserver -1
#  define QT_FEATURE_dnslookup -1
#  define QT_FEATURE_networkinterface -1
#  define QT_FEATURE_networkdiskcache -1
#  define QT_FEATURE_sctp -1
#  define QT_FEATURE_socks5 -1
#  define QT_FEATURE_gssapi -1
#  define QT_FEATURE_brotli -1
#  define QT_FEATURE_topleveldomain -1
#  define QT_FEATURE_getifaddrs -1
#  define QT_FEATURE_ipv6ifname -1
#  define QT_FEATURE_securetransport -1
#  define QT_FEATURE_schannel -1
#  define QT_FEATURE_sspi -1
#  ifndef QT_NO_HTTP
#    define QT_NO_HTTP 1
#  endif
#  ifndef QT_NO_LOCALSERVER
#    define QT_NO_LOCALSERVER 1
#  endif
#  ifndef QT_NO_NETWORKINTERFACE
#    define QT_NO_NETWORKINTERFACE 1
#  endif
#  ifndef QT_NO_NETWORKDISKCACHE
#    define QT_NO_NETWORKDISKCACHE 1
#  endif
#  ifndef QT_NO_SCTP
#    define QT_NO_SCTP 1
#  endif
#  ifndef QT_NO_SOCKS5
#    define QT_NO_SOCKS5 1
#  endif
#  ifndef QT_NO_GSSAPI
#    define QT_NO_GSSAPI 1
#  endif
#  ifndef QT_NO_BROTLI
#    define QT_NO_BROTLI 1
#  endif
#  ifndef QT_NO_GETIFADDRS
#    define QT_NO_GETIFADDRS 1
#  endif
#  ifndef QT_NO_IPV6IFNAME
#    define QT_NO_IPV6IFNAME 1
#  endif
#  ifndef QT_NO_SSPI
#    define QT_NO_SSPI 1
#  endif
#endif
/*! \endcond */

/*!
    \def QTPSK_BEGIN_NAMESPACE
    Opens the namespace of QtPsk's classes (nothing in the default build).
    \def QTPSK_END_NAMESPACE
    Closes what QTPSK_BEGIN_NAMESPACE opened.
    \def QTPSK_PREPEND_NAMESPACE(name)
    The fully qualified \a name of a QtPsk class: for example %QSslSocket, or %MyPsk::QSslSocket in a build with QTPSK_NAMESPACE=MyPsk.
    \def QTPSK_USE_NAMESPACE
    A using-directive for QtPsk's namespace (nothing in the default build).
*/
#ifdef QTPSK_NAMESPACE
#  define QTPSK_BEGIN_NAMESPACE namespace QTPSK_NAMESPACE {
#  define QTPSK_END_NAMESPACE }
#  define QTPSK_PREPEND_NAMESPACE(name) ::QTPSK_NAMESPACE::name
#  define QTPSK_USE_NAMESPACE using namespace ::QTPSK_NAMESPACE;
#else
#  define QTPSK_BEGIN_NAMESPACE
#  define QTPSK_END_NAMESPACE
#  define QTPSK_PREPEND_NAMESPACE(name) ::name
#  define QTPSK_USE_NAMESPACE
#endif

/*!
    \def QTPSK_DECLARE_SHARED(Class)
    Qt's Q_DECLARE_SHARED for a QtPsk class: marks \a Class relocatable for Qt's containers
    and adds the namespace-scope \c swap(). Use it after QTPSK_END_NAMESPACE, since
    QTypeInfo must be specialised in Qt's namespace while \c swap lives beside \a Class.
*/
#define QTPSK_DECLARE_SHARED(Class) \
    Q_DECLARE_TYPEINFO(QTPSK_PREPEND_NAMESPACE(Class), Q_RELOCATABLE_TYPE); \
    QTPSK_BEGIN_NAMESPACE \
    inline void swap(Class &value1, Class &value2) noexcept(noexcept(value1.swap(value2))) \
    { value1.swap(value2); } \
    QTPSK_END_NAMESPACE

#endif // QTPSK_QTPSKGLOBAL_H
