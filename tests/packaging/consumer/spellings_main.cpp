// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The spelling consumer's main: runs the code of every generated spelling source (each includes
// the provided classes in one of QtNetwork's spellings and uses them; see spellings_use.h). The
// packaging test runs it under valgrind: the classes must be QtPsk's, whatever the spelling.
#include <QSslSocket> // the plain spelling (include/QtPsk on the include path)

#include <QtCore/qcoreapplication.h>

#include <cstdio>

int useCamelCase();    // camel_case.cpp: <QtNetwork/QSslSocket> ...
int useLowerCase();    // lower_case.cpp: <QtNetwork/qtnetworkglobal.h>, <QtNetwork/qsslsocket.h> ...
int useModuleHeader(); // module_header.cpp: <QtNetwork> and <QtNetwork/QtNetwork>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int expected = useCamelCase(); // every use adds 1 per check that holds
    const int results[] = {expected, useLowerCase(), useModuleHeader()};
    bool ok = expected > 0 && expected < 1000;
    for (int result : results)
        ok = ok && result == expected;
    std::printf("%s: %d checks in each of %zu spellings\n", ok ? "ok" : "FAILED", expected,
                sizeof(results) / sizeof(results[0]));
    return ok ? 0 : 1;
}
