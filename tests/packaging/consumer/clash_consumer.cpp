// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Must NOT compile: a default (global-namespace) QtPsk in a target that also links Qt6::Network,
// in either link order, whichever spelling the includes use.
#include <QSslPreSharedKeyAuthenticator>
#include <QtNetwork/QSslSocket>
#include <QtPsk/QSslPreSharedKeyAuthenticator>

int main()
{
    QSslSocket *socket = new QSslSocket;
    delete socket;
    return 0;
}
