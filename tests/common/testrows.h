// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Tables of named test rows, built one row at a time.
#ifndef QTPSK_TEST_TESTROWS_H
#define QTPSK_TEST_TESTROWS_H

#include <vector>

namespace QtPskTest {

// Appends a default row named \a name to \a rows and returns it, for the caller to fill in.
template <typename Row>
Row &addRow(std::vector<Row> &rows, const char *name)
{
    rows.emplace_back();
    rows.back().name = name;
    return rows.back();
}

} // namespace QtPskTest

#endif // QTPSK_TEST_TESTROWS_H
