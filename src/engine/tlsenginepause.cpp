// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// TlsEngine: a PSK request asked outside OpenSSL's frames. The handshake runs as an OpenSSL async
// job; a PSK callback pauses it, the owner is asked on its own stack, and the job is resumed with
// the answer at once or, when the owner deferred it, after answerPsk() / refusePsk().
#include "engine/tlsengine_p.h"

#include "auth/qsslpresharedkeyauthenticator_p.h"
#include "qtpsklogging_p.h"

#include <openssl/async.h>
#include <openssl/err.h>

#if __has_include(<valgrind/valgrind.h>)
#  include <valgrind/valgrind.h>
#  define QTPSK_RUNNING_ON_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#else
#  define QTPSK_RUNNING_ON_VALGRIND() false
#endif

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

bool TlsEngine::isDeferralSupported()
{
    // Valgrind cannot follow the stack switches of OpenSSL's async jobs (OpenSSL 3.0 gives no hook
    // to register a job's stack with it): once a job has run it reports errors everywhere. Under
    // Valgrind handshakes run on the caller's stack, and a deferred answer is refused.
    static const bool capable = ASYNC_is_capable() == 1 && !QTPSK_RUNNING_ON_VALGRIND();
    return capable;
}

bool TlsEngine::askCallbacks(QSslPreSharedKeyAuthenticator &authenticator)
{
    if (m_asyncHandshake && ASYNC_get_current_job()) {
        // On the job's stack: call() asks the owner once this job has paused, then resumes it.
        m_pausedRequest = &authenticator;
        m_pskPause = PskPause::Asking;
        const bool paused = ASYNC_pause_job() == 1;
        const PskPause outcome = m_pskPause;
        m_pausedRequest = nullptr;
        m_pskPause = PskPause::None;
        if (paused)
            return outcome == PskPause::Answered;
    }
    return askOwner(authenticator) == PskPause::Answered;
}

TlsEngine::PskPause TlsEngine::askOwner(QSslPreSharedKeyAuthenticator &authenticator)
{
    const bool answered = m_callbacks && m_callbacks->preSharedKeyAuthenticationRequired(&authenticator);
    if (!answered)
        return PskPause::Refused;
    if (!AuthenticatorAccess::isDeferred(authenticator))
        return PskPause::Answered;
    if (m_pskPause != PskPause::Asking) {
        // Asked inside OpenSSL's callback (no async job: OpenSSL without async support, or a
        // handshake that read() drives): the answer cannot wait.
        qCWarning(lcQtPskEngine, "%p: a PSK request was deferred where its answer cannot wait "
                                 "(no OpenSSL async job): it is refused", static_cast<void *>(this));
        return PskPause::Refused;
    }
    qCDebug(lcQtPskEngine, "%p: PSK request deferred: the handshake waits for its answer",
            static_cast<void *>(this));
    return PskPause::Deferred;
}

int TlsEngine::runAsync(Call what, void *buffer, qsizetype size, size_t *moved)
{
    SSL *const ssl = m_ssl.get();
    for (;;) {
        int ret = 0;
        switch (what) {
        case Call::Handshake:
            ret = SSL_do_handshake(ssl);
            break;
        case Call::Read:
            ret = SSL_read_ex(ssl, buffer, size_t(size), moved);
            break;
        case Call::Write:
            ret = SSL_write_ex(ssl, buffer, size_t(size), moved);
            break;
        }
        if (ret > 0 || m_pskPause != PskPause::Asking || SSL_get_error(ssl, ret) != SSL_ERROR_WANT_ASYNC)
            return ret;
        // The job paused for a PSK request: ask the owner here, off the job's stack.
        PskPause outcome = PskPause::Refused;
        try {
            outcome = askOwner(*m_pausedRequest);
        } catch (...) {
            keepException(this); // the job fails the request; call() fails the connection
        }
        m_pskPause = outcome;
        if (outcome == PskPause::Deferred)
            return ret;
        ERR_clear_error();
    }
}

bool TlsEngine::answerPsk(const QByteArray &identity, const QByteArray &key)
{
    if (m_pskPause != PskPause::Deferred || !m_pausedRequest)
        return false;
    if (!isServer())
        m_pausedRequest->setIdentity(identity);
    m_pausedRequest->setPreSharedKey(key);
    m_pskPause = PskPause::Answered;
    qCDebug(lcQtPskEngine, "%p: the deferred PSK request was answered: identity of %lld bytes, key "
                           "of %lld bytes", static_cast<void *>(this),
            static_cast<long long>(isServer() ? 0 : identity.size()),
            static_cast<long long>(key.size()));
    return true;
}

bool TlsEngine::refusePsk()
{
    if (m_pskPause != PskPause::Deferred)
        return false;
    m_pskPause = PskPause::Refused;
    qCDebug(lcQtPskEngine, "%p: the deferred PSK request was refused", static_cast<void *>(this));
    return true;
}

void TlsEngine::endPausedJob()
{
    if (m_pskPause == PskPause::None || !m_ssl)
        return;
    // The job's stack holds OpenSSL's handshake: it must end before SSL_free(). It fails the
    // request; its alert and output go nowhere, and the owner hears nothing more.
    m_callbacks = nullptr;
    m_pskPause = PskPause::Refused;
    ERR_clear_error();
    ++m_callDepth;
    SSL_do_handshake(m_ssl.get());
    --m_callDepth;
    ERR_clear_error();
}

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE
