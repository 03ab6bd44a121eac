// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// An outside program written for Qt 6's QtNetwork: it uses every public member of
// QSslPreSharedKeyAuthenticator. The packaging tests build it unchanged against QtPsk (find_package and
// add_subdirectory) and against Qt6::Network, and require the two outputs to be identical.
#include <QSslPreSharedKeyAuthenticator>
#ifndef QTPSK_CONSUMER
#include <QtNetwork/QSslPreSharedKeyAuthenticator>
#else
#include <QtPsk/QSslPreSharedKeyAuthenticator> // both include forms work
#endif

#include <QtCore/QMetaType>
#include <QtCore/QTextStream>
#include <QtCore/QVariant>

#include <utility>

class QSslPreSharedKeyAuthenticator; // Qt code forward-declares the class; it must still compile

namespace {

QTextStream out(stdout);

void print(const char *label, const QSslPreSharedKeyAuthenticator &a)
{
    out << label << ": hint=" << (a.identityHint().isNull() ? QStringLiteral("<null>")
                                                             : QString::fromLatin1(a.identityHint().toHex()))
        << " identity=" << (a.identity().isNull() ? QStringLiteral("<null>")
                                                  : QString::fromLatin1(a.identity().toHex()))
        << " maxIdentity=" << a.maximumIdentityLength()
        << " key=" << (a.preSharedKey().isNull() ? QStringLiteral("<null>")
                                                 : QString::fromLatin1(a.preSharedKey().toHex()))
        << " maxKey=" << a.maximumPreSharedKeyLength() << '\n';
}

} // namespace

int main()
{
    QSslPreSharedKeyAuthenticator a;
    print("default", a);

    a.setIdentity("My Qt App");
    a.setPreSharedKey(QByteArray::fromHex("1a2b3c4d5e6f"));
    print("filled", a);

    QSslPreSharedKeyAuthenticator b(a);
    out << "copy equal: " << (a == b) << " differ: " << (a != b) << '\n';
    b.setIdentity(QByteArray(300, 'x'));
    out << "after detach: " << (a == b) << " original identity size " << a.identity().size()
        << " copy identity size " << b.identity().size() << '\n';

    QSslPreSharedKeyAuthenticator c;
    c = b;
    out << "assigned equal: " << (c == b) << '\n';

    QSslPreSharedKeyAuthenticator d;
    d = std::move(c);
    print("move-assigned", d);
    print("moved-from", c);

    QSslPreSharedKeyAuthenticator e(std::move(d)); // no move constructor: a copy
    out << "move-constructed equal to source: " << (e == d) << '\n';

    e.swap(a);
    print("swapped", e);
    swap(e, a);
    print("swapped back", e);

    QSslPreSharedKeyAuthenticator empty;
    empty.setIdentity("");
    empty.setPreSharedKey("");
    out << "null equals empty: " << (empty == QSslPreSharedKeyAuthenticator()) << '\n';

    const QVariant v = QVariant::fromValue(a);
    out << "variant round trip: " << (v.value<QSslPreSharedKeyAuthenticator>() == a) << '\n';
    out << "pointer metatype valid: "
        << QMetaType::fromType<QSslPreSharedKeyAuthenticator *>().isValid() << '\n';
    out << "relocatable: " << QTypeInfo<QSslPreSharedKeyAuthenticator>::isRelocatable << '\n';
    out << "size is one pointer: " << (sizeof(QSslPreSharedKeyAuthenticator) == sizeof(void *)) << '\n';
    out.flush();
    return 0;
}
