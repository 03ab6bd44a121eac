// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Test data for length limits: bytes that differ position by position.
#ifndef QTPSK_TEST_DISTINCTBYTES_H
#define QTPSK_TEST_DISTINCTBYTES_H

#include <QtCore/qbytearray.h>

namespace QtPskTest {

// \a size bytes, none of them NUL, each differing from its neighbours (1, 2, ..., 251, 1, ...): a
// cut one byte early or late, or from the wrong end, changes what arrives.
inline QByteArray distinctBytes(qsizetype size)
{
    QByteArray bytes(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        bytes[i] = char(1 + i % 251);
    return bytes;
}

} // namespace QtPskTest

#endif // QTPSK_TEST_DISTINCTBYTES_H
