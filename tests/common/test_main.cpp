// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The one main() of every QtPsk test executable: GoogleTest inside a QCoreApplication.
#include <QtCore/qcoreapplication.h>

#include <gtest/gtest.h>

int main(int argc, char **argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    QCoreApplication app(argc, argv);
    return RUN_ALL_TESTS();
}
