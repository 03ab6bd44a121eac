// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_QSSLPRESHAREDKEYREQUEST_H
#define QTPSK_QSSLPRESHAREDKEYREQUEST_H

#include <QtPsk/qtpskglobal.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qshareddata.h>

QTPSK_BEGIN_NAMESPACE

class QSslPreSharedKeyRequestPrivate;
class QSslPreSharedKeyAuthenticator;

/*!
    \class QSslPreSharedKeyRequest
    \brief A PSK request whose answer comes later: the handle that
    QSslPreSharedKeyAuthenticator::deferAnswer() returns. A QtPsk extension: Qt has no such
    class.

    In Qt the slot connected to \c preSharedKeyAuthenticationRequired() must set the key before
    it returns, so a key kept in a database or a key service stalls the socket's whole thread
    while it is looked up. A slot may instead call QSslPreSharedKeyAuthenticator::deferAnswer(),
    keep the request it returns, and return at once: the handshake waits, the thread goes on
    serving its other connections, and the lookup answers the request later with answer() or
    refuse(), from any thread.

    \code
    connect(&server, &QSslServer::preSharedKeyAuthenticationRequired, this,
            [this](QSslSocket *, QSslPreSharedKeyAuthenticator *authenticator) {
                QSslPreSharedKeyRequest request = authenticator->deferAnswer();
                keyService->lookUp(request.identity(), [request](const QByteArray &key) {
                    if (key.isEmpty())
                        request.refuse();
                    else
                        request.answer(key);
                });
            });
    \endcode

    The request carries a copy of what the authenticator said (identityHint(), identity() and
    both maxima), never a pointer to it: the authenticator dies when the slot returns, the
    request lives as long as any copy of it. Copies share one request; it is answered once.

    The answer is taken in the socket's (or QDtls's) thread, by a queued call through its event
    loop, also when answer() is called in that thread: a thread that blocks in
    QSslSocket::waitForEncrypted() sees no answer until its event loop runs again. The answer
    is used exactly as a synchronous slot's would be: the identity and the key are cut to the
    maxima, an empty key fails the handshake, the key bytes the library copies are wiped.

    A request ends with the handshake: when the socket is aborted, closed or deleted, or its
    QSslServer gives up on the handshake (QSslServer::handshakeTimeout()), a pending answer
    does not keep it alive. An answer that comes after that, or a second answer, changes
    nothing and returns \c false; it is reported in the \c qtpsk.ssl.socket logging category
    (info for a request that ended, a warning for a second answer).

    The class is reentrant, and answer() and refuse() are thread-safe.

    \section1 Differences from Qt
    A QtPsk extension: Qt has no such class, and a Qt slot must answer before it returns.
*/
class QTPSK_EXPORT QSslPreSharedKeyRequest
{
public:
    /*! Constructs a null request: isNull() is \c true and every answer is ignored. */
    QSslPreSharedKeyRequest() noexcept;
    /*! Releases this handle; the request stays pending while other copies exist. */
    ~QSslPreSharedKeyRequest();
    /*! Constructs a handle to the request \a other refers to. */
    QSslPreSharedKeyRequest(const QSslPreSharedKeyRequest &other) noexcept;
    /*! Makes this handle refer to the request \a other refers to, and returns it. */
    QSslPreSharedKeyRequest &operator=(const QSslPreSharedKeyRequest &other) noexcept;
    /*! Move-assigns \a other to this handle by swapping the two. */
    QSslPreSharedKeyRequest &operator=(QSslPreSharedKeyRequest &&other) noexcept
    { swap(other); return *this; }
    /*! Swaps this handle with \a other. */
    void swap(QSslPreSharedKeyRequest &other) noexcept { d.swap(other.d); }

    /*! Returns \c true for a handle that refers to no request. */
    bool isNull() const noexcept;
    /*!
        Returns \c true while the request waits for its answer: it was deferred, nobody has
        answered or refused it yet, and its handshake is still going on.
    */
    bool isPending() const;

    /*! Returns the identity hint, as QSslPreSharedKeyAuthenticator::identityHint() said. */
    QByteArray identityHint() const;
    /*!
        Returns the identity: on a server, the one the client sent (as
        QSslPreSharedKeyAuthenticator::identity() said); null on a client.
    */
    QByteArray identity() const;
    /*! Returns the maximum identity length, as the authenticator said (0 on a server). */
    int maximumIdentityLength() const;
    /*! Returns the maximum key length, as the authenticator said. */
    int maximumPreSharedKeyLength() const;

    /*!
        Answers a server's request with \a preSharedKey, the key of identity(). Returns \c true
        if this was the first answer of a request still pending; it is then used in the
        socket's thread. Thread-safe.
    */
    bool answer(const QByteArray &preSharedKey) const;
    /*!
        Answers a client's request with \a identity and \a preSharedKey (a server ignores
        \a identity). Returns \c true if this was the first answer of a request still pending.
        Thread-safe.
    */
    bool answer(const QByteArray &identity, const QByteArray &preSharedKey) const;
    /*!
        Refuses the request: no key, and the handshake fails as with an empty key (with the
        same errors as a slot that sets none). Returns \c true if the request was still
        pending and unanswered. Thread-safe.
    */
    bool refuse() const;

private:
    friend class QSslPreSharedKeyAuthenticator;
    explicit QSslPreSharedKeyRequest(QSslPreSharedKeyRequestPrivate *request) noexcept;
    bool submit(bool refused, const QByteArray &identity, const QByteArray &preSharedKey) const;

    QExplicitlySharedDataPointer<QSslPreSharedKeyRequestPrivate> d;
};

QTPSK_END_NAMESPACE

QTPSK_DECLARE_SHARED(QSslPreSharedKeyRequest)

QT_DECL_METATYPE_EXTERN_TAGGED(QTPSK_PREPEND_NAMESPACE(QSslPreSharedKeyRequest),
                               QtPsk_QSslPreSharedKeyRequest, QTPSK_EXPORT)

#endif // QTPSK_QSSLPRESHAREDKEYREQUEST_H
