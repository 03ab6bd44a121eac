// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QAUTHENTICATOR_H
#define QTPSK_QAUTHENTICATOR_H

#include <QtPsk/qtpskglobal.h>

#include <QtCore/qshareddata.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>

QTPSK_BEGIN_NAMESPACE

class QAuthenticatorPrivate;

/*!
    \class QAuthenticator
    \brief Credentials for a proxy or server that asks for them, the QtNetwork value class of
    the same name.

    A source-compatible clone of QtNetwork's QAuthenticator: a user name, a password, the realm
    and free-form options. It exists so that the signal
    QAbstractSocket::proxyAuthenticationRequired(const QNetworkProxy &, QAuthenticator *) has
    Qt's signature and slots written for Qt compile unchanged.

    A default-constructed authenticator is null (isNull()); any setter or detach() makes it
    non-null. Two null authenticators are equal; a null one never equals a non-null one, even
    an empty one; otherwise user, password, realm and options are compared. Copies are
    independent values.

    \section1 Differences from Qt
    \list
    \li QtPsk never hands one out: it has no proxy engine and no HTTP, so
        QAbstractSocket::proxyAuthenticationRequired() is never emitted and nothing fills in
        realm() or the options a server's challenge would give in Qt.
    \endlist
    Otherwise identical to Qt.
*/
class QTPSK_EXPORT QAuthenticator
{
public:
    /*! Constructs a null authenticator (isNull()). */
    QAuthenticator();
    /*! Destroys the authenticator. */
    ~QAuthenticator();

    /*! Constructs a copy of \a other (a null \a other gives a null copy). */
    QAuthenticator(const QAuthenticator &other);
    /*! Makes this authenticator a copy of \a other and returns a reference to it. */
    QAuthenticator &operator=(const QAuthenticator &other);

    /*!
        Returns \c true if both are null, or if neither is and they have the same user,
        password, realm and options.
    */
    bool operator==(const QAuthenticator &other) const;
    /*! Returns \c true if this authenticator differs from \a other (see operator==()). */
    inline bool operator!=(const QAuthenticator &other) const { return !operator==(other); }

    /*! Returns the user name (a null string for a null authenticator). */
    QString user() const;
    /*! Sets the user name to \a user; the authenticator is no longer null. */
    void setUser(const QString &user);

    /*! Returns the password. */
    QString password() const;
    /*! Sets the password to \a password; the authenticator is no longer null. */
    void setPassword(const QString &password);

    /*! Returns the realm (in Qt, the one the server asked for; QtPsk never sets it). */
    QString realm() const;
    /*! Sets the realm to \a realm; the authenticator is no longer null. */
    void setRealm(const QString &realm);

    /*! Returns the value of option \a opt, or an invalid QVariant if it is not set. */
    QVariant option(const QString &opt) const;
    /*! Returns every option that was set. */
    QVariantHash options() const;
    /*!
        Sets option \a opt to \a value (an invalid \a value is stored too); the authenticator is
        no longer null.
    */
    void setOption(const QString &opt, const QVariant &value);

    /*! Returns \c true if nothing was set (and detach() was not called). */
    bool isNull() const;
    /*! Makes the authenticator non-null and the only owner of its data. */
    void detach();

private:
    QSharedDataPointer<QAuthenticatorPrivate> d;
};

QTPSK_END_NAMESPACE

#endif // QTPSK_QAUTHENTICATOR_H
