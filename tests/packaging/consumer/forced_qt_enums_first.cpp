// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Must NOT compile: Qt's own enum-only <QtNetwork/QSsl> (the target puts Qt's include directories
// first), then QtPsk's <QSslSocket>.
#include <QtNetwork/QSsl>
#include <QSslSocket>

int main()
{
    return QSsl::TlsV1_2 == QSsl::TlsV1_2 ? 0 : 1;
}
