// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QSSLPRESHAREDKEYAUTHENTICATOR_H
#define QTPSK_QSSLPRESHAREDKEYAUTHENTICATOR_H

#include <QtPsk/qsslpresharedkeyrequest.h>
#include <QtPsk/qtpskglobal.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qstring.h>

QTPSK_BEGIN_NAMESPACE

class QSslPreSharedKeyAuthenticatorPrivate;
namespace QtPskPrivate { struct AuthenticatorAccess; }

/*!
    \class QSslPreSharedKeyAuthenticator
    \brief Authentication data for a TLS pre-shared-key (PSK) handshake.

    A drop-in clone of QtNetwork's class of the same name. During a PSK handshake QSslSocket
    emits \c preSharedKeyAuthenticationRequired() with a pointer to an authenticator. On a
    client it carries the identity hint the server sent; the slot fills in the client's
    identity and the key. On a server it carries the configured hint and the identity the
    client sent; the slot fills in the key for that identity.

    \code
    connect(socket, &QSslSocket::preSharedKeyAuthenticationRequired,
            this, &AuthManager::handlePreSharedKeyAuthentication);

    void AuthManager::handlePreSharedKeyAuthentication(QSslPreSharedKeyAuthenticator *authenticator)
    {
        authenticator->setIdentity("My Qt App");
        authenticator->setPreSharedKey(deriveKey(authenticator->identityHint(), passphrase));
    }
    \endcode

    An empty key fails the handshake. The setters store their argument unchanged; only when
    the socket copies the data into OpenSSL are the identity and the key cut to
    maximumIdentityLength() and maximumPreSharedKeyLength() (and the identity at its first
    NUL byte, as it travels as a C string).

    The class is implicitly shared (copy-on-write) and reentrant. The authenticator a signal
    passes lives only while the signal is being emitted: connect to it with a direct
    connection, and never delete it.

    \section1 Answering later (a QtPsk extension)
    A slot whose key takes time to find (a database, an HSM, a key service) need not block
    the socket's thread: it calls deferAnswer(), keeps the QSslPreSharedKeyRequest it returns
    and answers it later, from any thread. Qt has no such function; code written for Qt,
    which answers inside the slot, behaves exactly as it does with Qt.

    \section1 Differences from Qt
    \list
    \li Key bytes held by this class are wiped (OPENSSL_cleanse) when the last authenticator
        that shares them lets go of them or replaces them. Bytes that a caller still shares
        through a QByteArray returned by preSharedKey() are the caller's and are not wiped.
    \li The client-side identity hint is a deep copy, so it stays valid after the handshake
        (Qt's points into OpenSSL's session memory).
    \endlist
*/
class QTPSK_EXPORT QSslPreSharedKeyAuthenticator
{
public:
    /*! Constructs an authenticator with a null hint, identity and key, and both maxima 0. */
    QSslPreSharedKeyAuthenticator();
    /*! Releases this authenticator's share of the data; the last owner wipes the key. */
    ~QSslPreSharedKeyAuthenticator();
    /*! Constructs a copy of \a authenticator; the data is shared until one side is modified. */
    QSslPreSharedKeyAuthenticator(const QSslPreSharedKeyAuthenticator &authenticator);
    /*! Makes this object a copy of \a authenticator and returns a reference to it. */
    QSslPreSharedKeyAuthenticator &operator=(const QSslPreSharedKeyAuthenticator &authenticator);
    /*!
        Move-assigns \a other to this object by swapping the two. There is deliberately no move
        constructor (as in Qt): constructing from an rvalue copies, so the source stays valid.
    */
    QSslPreSharedKeyAuthenticator &operator=(QSslPreSharedKeyAuthenticator &&other) noexcept
    { swap(other); return *this; }

    /*! Swaps this authenticator with \a other. This operation is very fast and never fails. */
    void swap(QSslPreSharedKeyAuthenticator &other) noexcept { d.swap(other.d); }

    /*!
        Returns the identity hint: on a client, what the server sent (null when it sent none or
        an empty one, and always null in TLS 1.3); on a server, the configured hint.
    */
    QByteArray identityHint() const;

    /*! Sets the client's PSK identity to \a identity, unchanged (see maximumIdentityLength()). */
    void setIdentity(const QByteArray &identity);
    /*! Returns the PSK identity: the one set on a client, the client's one on a server. */
    QByteArray identity() const;
    /*!
        Returns the maximum number of identity bytes sent to the server: a longer identity is
        cut to this length. 0 on a server, where the identity cannot be set, and by default.
    */
    int maximumIdentityLength() const;

    /*! Sets the pre-shared key to \a preSharedKey, unchanged (see maximumPreSharedKeyLength()). */
    void setPreSharedKey(const QByteArray &preSharedKey);
    /*! Returns the pre-shared key. */
    QByteArray preSharedKey() const;
    /*! Returns the maximum number of key bytes used: a longer key is cut. 0 by default. */
    int maximumPreSharedKeyLength() const;

    /*!
        A QtPsk extension (Qt has no such function): the answer to this request comes later.
        Call it inside the slot connected to \c preSharedKeyAuthenticationRequired() (of
        QSslSocket or QSslServer) or to QDtls::pskRequired(), keep the returned request, and
        return: the handshake waits
        until QSslPreSharedKeyRequest::answer() or QSslPreSharedKeyRequest::refuse() is called,
        from any thread, and the socket's thread serves its other connections meanwhile. What
        the slot sets on this authenticator is then ignored. Calling it again in the same slot
        returns the same request.

        Returns a null request (and logs a warning in \c qtpsk.ssl.socket) when called outside
        that slot or on an authenticator the application made. With an OpenSSL built without
        async job support, and in a process running under Valgrind (which cannot follow the
        stack switches of OpenSSL's async jobs), a request cannot wait: a deferred one is refused
        (the handshake fails as with an empty key) and a warning is logged in \c qtpsk.engine.
    */
    QSslPreSharedKeyRequest deferAnswer();

private:
    bool isEqual(const QSslPreSharedKeyAuthenticator &other) const;

    /*!
        Returns \c true if \a lhs and \a rhs are equal: their hint, identity, key and both maxima
        compare equal (a null byte array equals an empty one).
    */
    friend bool operator==(const QSslPreSharedKeyAuthenticator &lhs,
                           const QSslPreSharedKeyAuthenticator &rhs)
    { return lhs.isEqual(rhs); }
    /*! Returns \c true if \a lhs and \a rhs differ in any field. */
    friend bool operator!=(const QSslPreSharedKeyAuthenticator &lhs,
                           const QSslPreSharedKeyAuthenticator &rhs)
    { return !lhs.isEqual(rhs); }

    friend struct QtPskPrivate::AuthenticatorAccess;
    QSharedDataPointer<QSslPreSharedKeyAuthenticatorPrivate> d;
};

QTPSK_END_NAMESPACE

QTPSK_DECLARE_SHARED(QSslPreSharedKeyAuthenticator)

QT_DECL_METATYPE_EXTERN_TAGGED(QTPSK_PREPEND_NAMESPACE(QSslPreSharedKeyAuthenticator),
                               QtPsk_QSslPreSharedKeyAuthenticator, QTPSK_EXPORT)
QT_DECL_METATYPE_EXTERN_TAGGED(QTPSK_PREPEND_NAMESPACE(QSslPreSharedKeyAuthenticator) *,
                               QtPsk_QSslPreSharedKeyAuthenticator_ptr, QTPSK_EXPORT)

#endif // QTPSK_QSSLPRESHAREDKEYAUTHENTICATOR_H
