// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Must NOT compile: a QtNetwork class QtPsk does not provide, in a target linking the default QtPsk
// (and not Qt6::Network). Qt's header is the only one there is; the build must stop naming the cause.
#include <QSslSocket>
#include <QtNetwork/QNetworkAccessManager>

int main()
{
    QNetworkAccessManager manager;
    return 0;
}
