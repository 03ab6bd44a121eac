// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Must NOT compile: QtPsk's header, then Qt's own QtNetwork headers (the target puts Qt's include
// directories first): the enum-only <QtNetwork/QSsl> and a class header.
#include <QSslSocket>
#include <QtNetwork/QSsl>
#include <QtNetwork/QTcpServer>

int main()
{
    return QSsl::TlsV1_2 == QSsl::TlsV1_2 ? 0 : 1;
}
