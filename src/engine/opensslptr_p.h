// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_OPENSSLPTR_P_H
#define QTPSK_OPENSSLPTR_P_H

// Internal to QtPsk: not installed, not part of the API.
//
// Owning smart pointers for OpenSSL objects: std::unique_ptr with a stateless deleter that calls
// the object's own free function, so that no OpenSSL object is ever released by hand.

#include "qtpsk_p.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <memory>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

// Calls \c Fn on the pointer it is given; unique_ptr never calls it with nullptr.
template <auto Fn>
struct OpenSslDeleter
{
    template <typename T>
    void operator()(T *object) const noexcept
    {
        Fn(object);
    }
};

using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslDeleter<&SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, OpenSslDeleter<&SSL_free>>;
using SslSessionPtr = std::unique_ptr<SSL_SESSION, OpenSslDeleter<&SSL_SESSION_free>>;
// What SSL_get1_supported_ciphers() returns: the stack only, its ciphers belong to OpenSSL.
struct SslCipherStackDeleter
{
    void operator()(STACK_OF(SSL_CIPHER) *ciphers) const noexcept { sk_SSL_CIPHER_free(ciphers); }
};
using SslCipherStackPtr = std::unique_ptr<STACK_OF(SSL_CIPHER), SslCipherStackDeleter>;
using Asn1OctetStringPtr =
        std::unique_ptr<ASN1_OCTET_STRING, OpenSslDeleter<&ASN1_OCTET_STRING_free>>;
using BioAddrPtr = std::unique_ptr<BIO_ADDR, OpenSslDeleter<&BIO_ADDR_free>>;
// Only for a BIO that is not (yet) owned by an SSL: SSL_set_bio() takes ownership.
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<&BIO_free_all>>;

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE

#endif // QTPSK_OPENSSLPTR_P_H
