// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_DATAGRAMPIPE_P_H
#define QTPSK_DATAGRAMPIPE_P_H

// Internal to QtPsk: not installed, not part of the API.

#include "engine/opensslptr_p.h"
#include "qtpsk_p.h"

#include <QtCore/qbytearray.h>

#include <vector>

QTPSK_BEGIN_NAMESPACE

namespace QtPskPrivate {

// The datagrams between one DTLS SSL object and its owner, with their boundaries: OpenSSL reads
// the one datagram put in (whole, once) and each of its writes becomes one datagram out, as on a
// UDP socket (during a handshake OpenSSL packs the records of a flight into writes of at most the
// MTU). newBio() makes the BIO that the SSL object reads and writes; the pipe must outlive it.
class DatagramPipe
{
public:
    DatagramPipe() = default;
    DatagramPipe(const DatagramPipe &) = delete;
    DatagramPipe &operator=(const DatagramPipe &) = delete;

    // A new BIO over this pipe (one reference, for SSL_set_bio()); nullptr if OpenSSL fails.
    BIO *newBio();

    // The datagram OpenSSL reads next; replaces one it has not read (or read only in part).
    void put(const QByteArray &datagram)
    {
        m_input = datagram;
        m_inputRead = false;
    }
    // Forgets the input datagram, read or not: the next datagram starts afresh.
    void dropInput()
    {
        m_input.clear();
        m_inputRead = true;
    }
    bool hasInput() const { return !m_inputRead; }

    bool hasOutput() const { return !m_output.empty(); }
    std::vector<QByteArray> takeOutput()
    {
        std::vector<QByteArray> taken;
        taken.swap(m_output);
        return taken;
    }
    // Bytes of IP and UDP header per datagram (28 for IPv4, 48 for IPv6), which OpenSSL subtracts
    // from a link MTU.
    void setHeaderOverhead(int bytes) { m_overhead = bytes; }
    int headerOverhead() const { return m_overhead; }

private:
    static BIO_METHOD *method();
    static int write(BIO *bio, const char *data, int size);
    static int read(BIO *bio, char *data, int size);
    static long control(BIO *bio, int command, long number, void *pointer);
    static int create(BIO *bio);
    static int destroy(BIO *bio);

    QByteArray m_input;
    bool m_inputRead = true;
    std::vector<QByteArray> m_output;
    int m_overhead = 28;
};

} // namespace QtPskPrivate

QTPSK_END_NAMESPACE

#endif // QTPSK_DATAGRAMPIPE_P_H
