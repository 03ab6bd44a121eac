// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// DatagramPipe: a BIO method that keeps datagram boundaries between a DTLS SSL object and memory.
#include "engine/datagrampipe_p.h"

#include <cstring>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

BIO_METHOD *DatagramPipe::method()
{
    // Made once, kept for the life of the process (BIO methods are immutable once set up).
    static BIO_METHOD *const made = [] {
        BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "qtpsk datagram pipe");
        if (m) {
            BIO_meth_set_write(m, &DatagramPipe::write);
            BIO_meth_set_read(m, &DatagramPipe::read);
            BIO_meth_set_ctrl(m, &DatagramPipe::control);
            BIO_meth_set_create(m, &DatagramPipe::create);
            BIO_meth_set_destroy(m, &DatagramPipe::destroy);
        }
        return m;
    }();
    return made;
}

BIO *DatagramPipe::newBio()
{
    BIO_METHOD *const m = method();
    BIO *const bio = m ? BIO_new(m) : nullptr;
    if (bio)
        BIO_set_data(bio, this);
    return bio;
}

int DatagramPipe::create(BIO *bio)
{
    BIO_set_init(bio, 1);
    return 1;
}

int DatagramPipe::destroy(BIO *bio)
{
    BIO_set_data(bio, nullptr); // the pipe belongs to its owner
    return 1;
}

int DatagramPipe::write(BIO *bio, const char *data, int size)
{
    BIO_clear_retry_flags(bio);
    auto *const pipe = static_cast<DatagramPipe *>(BIO_get_data(bio));
    if (!pipe || size < 0)
        return -1;
    try {
        pipe->m_output.emplace_back(data, size);
    } catch (...) {
        return -1; // out of memory: OpenSSL sees a failed send
    }
    return size;
}

// One datagram per read, as recvfrom() gives it: what does not fit into \a size is lost.
int DatagramPipe::read(BIO *bio, char *data, int size)
{
    BIO_clear_retry_flags(bio);
    auto *const pipe = static_cast<DatagramPipe *>(BIO_get_data(bio));
    if (!pipe || pipe->m_inputRead || size < 0) {
        BIO_set_retry_read(bio); // nothing there yet: OpenSSL reports "want read"
        return -1;
    }
    const int n = int(qMin<qsizetype>(pipe->m_input.size(), size));
    if (n > 0)
        std::memcpy(data, pipe->m_input.constData(), size_t(n));
    pipe->m_inputRead = true;
    return n;
}

long DatagramPipe::control(BIO *bio, int command, long, void *)
{
    auto *const pipe = static_cast<DatagramPipe *>(BIO_get_data(bio));
    switch (command) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_PENDING:
        return pipe && !pipe->m_inputRead ? long(pipe->m_input.size()) : 0;
    case BIO_CTRL_WPENDING:
        return 0; // every write is a datagram out already
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
        return pipe ? pipe->m_overhead : 28;
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
        return 1; // the engine reads OpenSSL's timer itself (DTLSv1_get_timeout)
    default:
        // No MTU to query (SSL_OP_NO_QUERY_MTU), no peer address (the owner knows it), no
        // connected state, no socket options: OpenSSL treats 0 as "not supported".
        return 0;
    }
}

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE
