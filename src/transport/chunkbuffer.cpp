// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "transport/chunkbuffer_p.h"

#include <cstring>

QTPSK_BEGIN_NAMESPACE
namespace QtPskPrivate {

void ChunkBuffer::clear()
{
    m_chunks.clear();
    m_size = 0;
}

char *ChunkBuffer::reserve(qint64 *available)
{
    if (m_chunks.empty() || m_chunks.back().end == m_chunks.back().data.size()
        || m_chunks.back().data.isDetached() == false) {
        Chunk chunk;
        chunk.data = QByteArray(qsizetype(m_chunkSize), Qt::Uninitialized);
        m_chunks.push_back(std::move(chunk));
    }
    Chunk &tail = m_chunks.back();
    *available = tail.data.size() - tail.end;
    return tail.data.data() + tail.end;
}

void ChunkBuffer::commit(qint64 size)
{
    if (size <= 0 || m_chunks.empty())
        return;
    Chunk &tail = m_chunks.back();
    Q_ASSERT(tail.end + size <= tail.data.size());
    tail.end += size;
    m_size += size;
}

void ChunkBuffer::append(const char *data, qint64 size)
{
    while (size > 0) {
        qint64 available = 0;
        char *to = reserve(&available);
        const qint64 n = qMin(available, size);
        std::memcpy(to, data, size_t(n));
        commit(n);
        data += n;
        size -= n;
    }
}

void ChunkBuffer::append(const QByteArray &data)
{
    if (data.isEmpty())
        return;
    if (data.size() < m_chunkSize / 4) { // small: coalesce into the tail
        append(data.constData(), data.size());
        return;
    }
    Chunk chunk;
    chunk.data = data; // shared, so reserve() never writes into it
    chunk.end = data.size();
    m_chunks.push_back(std::move(chunk));
    m_size += data.size();
}

qint64 ChunkBuffer::read(char *data, qint64 maxSize)
{
    qint64 done = 0;
    qint64 length = 0;
    while (done < maxSize) {
        const char *head = front(&length); // skips empty chunks, which skip() then drops
        if (!head)
            break;
        const qint64 n = qMin(maxSize - done, length);
        std::memcpy(data + done, head, size_t(n));
        done += n;
        skip(n);
    }
    return done;
}

qint64 ChunkBuffer::readLine(char *data, qint64 maxSize)
{
    const qint64 newline = indexOf('\n', maxSize);
    return read(data, newline >= 0 ? newline + 1 : maxSize);
}

qint64 ChunkBuffer::skip(qint64 maxSize)
{
    qint64 done = 0;
    while (done < maxSize && m_size > 0) {
        Chunk &head = m_chunks.front();
        if (head.begin == head.end) { // an empty chunk (reserved, never committed)
            m_chunks.pop_front();
            continue;
        }
        const qint64 n = qMin(maxSize - done, head.end - head.begin);
        head.begin += n;
        done += n;
        m_size -= n;
        if (head.begin == head.end)
            m_chunks.pop_front(); // drained: freed at once, so an idle connection holds no chunk
    }
    return done;
}

const char *ChunkBuffer::front(qint64 *length) const
{
    for (const Chunk &chunk : m_chunks) {
        if (chunk.end > chunk.begin) {
            *length = chunk.end - chunk.begin;
            return chunk.data.constData() + chunk.begin;
        }
    }
    *length = 0;
    return nullptr;
}

qint64 ChunkBuffer::indexOf(char c, qint64 maxLength) const
{
    if (maxLength < 0)
        maxLength = m_size;
    qint64 offset = 0;
    for (const Chunk &chunk : m_chunks) {
        if (offset >= maxLength)
            break;
        const qint64 n = qMin(chunk.end - chunk.begin, maxLength - offset);
        const char *start = chunk.data.constData() + chunk.begin;
        if (const void *hit = std::memchr(start, c, size_t(n)))
            return offset + (static_cast<const char *>(hit) - start);
        offset += n;
    }
    return -1;
}

void ChunkBuffer::releaseUnusedSpace()
{
    while (!m_chunks.empty() && m_chunks.back().begin == m_chunks.back().end)
        m_chunks.pop_back();
}

} // namespace QtPskPrivate
QTPSK_END_NAMESPACE
