// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// What QDebug writes for a value, for the tests of the types' debug streaming.
#ifndef QTPSK_TEST_DEBUGTEXT_H
#define QTPSK_TEST_DEBUGTEXT_H

#include <QtCore/qdebug.h>
#include <QtCore/qstring.h>

namespace QtPskTest {

// The text `QDebug(&text) << value` writes, without the space QDebug appends.
template <typename T>
QString debugText(const T &value)
{
    QString text;
    QDebug(&text) << value;
    return text.trimmed();
}

} // namespace QtPskTest

#endif // QTPSK_TEST_DEBUGTEXT_H
