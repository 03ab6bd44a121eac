// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// QtPsk built with QTPSK_NAMESPACE=QtPskNs and Qt6::Network in one translation unit and one program.
#include <QtPsk/QSslPreSharedKeyAuthenticator>
#include <QtNetwork/QSslPreSharedKeyAuthenticator>

#include <QtCore/QMetaType>

#include <cstdio>

int main()
{
    QtPskNs::QSslPreSharedKeyAuthenticator ours;
    ours.setIdentity("ours");
    ::QSslPreSharedKeyAuthenticator qts;
    qts.setIdentity("qt");
    const bool distinctMetaTypes = QMetaType::fromType<QtPskNs::QSslPreSharedKeyAuthenticator>()
            != QMetaType::fromType< ::QSslPreSharedKeyAuthenticator>();
    std::printf("%s %s %d %s\n", ours.identity().constData(), qts.identity().constData(),
                int(distinctMetaTypes),
                QMetaType::fromType<QtPskNs::QSslPreSharedKeyAuthenticator *>().name());
    return (ours.identity() == "ours" && qts.identity() == "qt" && distinctMetaTypes) ? 0 : 1;
}
