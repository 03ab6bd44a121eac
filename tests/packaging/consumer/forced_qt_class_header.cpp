// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Must NOT compile: Qt's own <QtNetwork/QSslSocket> (the target puts Qt's include directories first)
// in a target linking the default QtPsk. The build must stop with QtPsk's message naming the cause.
#include <QtNetwork/QSslSocket>

int main()
{
    QSslSocket *socket = new QSslSocket;
    delete socket;
    return 0;
}
