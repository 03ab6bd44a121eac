// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_CHUNKBUFFER_P_H
#define QTPSK_CHUNKBUFFER_P_H

// Internal to QtPsk: not installed, not part of the API.

#include "qtpsk_p.h"

#include <QtCore/qbytearray.h>

#include <deque>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

/*
    A FIFO byte buffer made of fixed-size chunks (64 KiB by default), for socket reads and
    writes without moving data around: a reader fills the free space at the tail directly
    (reserve() + commit()), a consumer copies out of the head (read()) or sends the head in
    place (front() + skip()). Nothing is ever shifted or reallocated; a QByteArray handed to
    append(QByteArray) is kept as it is (implicitly shared, not copied).
*/
class ChunkBuffer
{
public:
    static constexpr qint64 DefaultChunkSize = 64 * 1024;

    explicit ChunkBuffer(qint64 chunkSize = DefaultChunkSize) : m_chunkSize(chunkSize) {}

    qint64 size() const { return m_size; }
    bool isEmpty() const { return m_size == 0; }
    void clear();

    // Returns writable space at the tail (at least 1 byte, up to a chunk), its length in
    // *available. Call commit() with the number of bytes actually written there.
    char *reserve(qint64 *available);
    void commit(qint64 size);
    // Frees a chunk reserve() made that is still empty (nothing was committed to it).
    void releaseUnusedSpace();

    void append(const char *data, qint64 size);
    void append(const QByteArray &data);

    // Copies up to \a maxSize bytes from the head into \a data and removes them.
    qint64 read(char *data, qint64 maxSize);
    // Like read(), but stops after the first '\n'.
    qint64 readLine(char *data, qint64 maxSize);
    // Removes up to \a maxSize bytes from the head.
    qint64 skip(qint64 maxSize);
    // The first contiguous run of bytes at the head (nullptr when empty).
    const char *front(qint64 *length) const;
    // The offset of the first \a c within the first \a maxLength bytes, or -1.
    qint64 indexOf(char c, qint64 maxLength = -1) const;

private:
    struct Chunk
    {
        QByteArray data; // data.size() is the chunk's capacity
        qint64 begin = 0;
        qint64 end = 0;
    };
    std::deque<Chunk> m_chunks;
    qint64 m_size = 0;
    qint64 m_chunkSize;
};

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE

#endif // QTPSK_CHUNKBUFFER_P_H
