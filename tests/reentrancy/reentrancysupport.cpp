// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "reentrancysupport.h"

namespace QtPskTest {

QList<QMetaMethod> signalsOf(const QMetaObject *metaObject)
{
    QList<QMetaMethod> result;
    for (int i = 0; i < metaObject->methodCount(); ++i) {
        const QMetaMethod method = metaObject->method(i);
        if (method.methodType() != QMetaMethod::Signal)
            continue;
        if (method.name() == "destroyed" || method.name() == "objectNameChanged")
            continue;
        result.append(method);
    }
    return result;
}

bool SignalTap::attach(QObject *sender, const QMetaMethod &signal)
{
    m_sender = sender;
    const bool socketFirst = signal.parameterCount() > 0
            && signal.parameterMetaType(0) == QMetaType::fromType<QSslSocket *>();
    const char *slot = socketFirst ? "fireWithSocket(QSslSocket*)" : "fire()";
    const QMetaMethod method = metaObject()->method(metaObject()->indexOfSlot(slot));
    return bool(QObject::connect(sender, signal, this, method, Qt::DirectConnection));
}

void SignalTap::fire()
{
    if (onFire)
        onFire(m_sender, nullptr);
}

void SignalTap::fireWithSocket(QSslSocket *socket)
{
    if (onFire)
        onFire(m_sender, socket);
}

} // namespace QtPskTest
