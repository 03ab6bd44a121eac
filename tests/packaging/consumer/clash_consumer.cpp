// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Must NOT compile: a default (global-namespace) QtPsk in a target that also uses Qt6::Network.
#include <QtPsk/QSslPreSharedKeyAuthenticator>

int main()
{
    return 0;
}
