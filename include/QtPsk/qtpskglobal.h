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
*/

#include <QtCore/qglobal.h>
#include <QtPsk/qtpskconfig.h>
#include <QtPsk/qtpskexports.h>

#if defined(QT_NETWORK_LIB) && !defined(QTPSK_NAMESPACE)
#  error "This QtPsk build puts its classes into the global namespace, where they clash with \
Qt6::Network's classes of the same names. To use QtPsk and Qt6::Network in one target, build \
and install QtPsk with the CMake option -DQTPSK_NAMESPACE=<name> and use <name>::QSslSocket etc."
#endif

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
