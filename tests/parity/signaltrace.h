// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// A whole-trace recorder for the parity tests: every signal of every watched object, with its
// arguments, in emission order, as text. It connects to each signal the meta-object enumerates
// (the way QSignalSpy does: a receiver whose qt_metacall() sees every emission), so it records
// what the application can see, also signals a test did not think of. Plain Qt 6 code: the same
// source builds against Qt6::Network and against QtPsk, and the two traces are compared line by
// line with one expected trace that the Qt build proves.
#ifndef QTPSK_SIGNALTRACE_H
#define QTPSK_SIGNALTRACE_H

#include <QAbstractSocket>
#include <QSslError>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslSocket>

#include <QtCore/qbytearray.h>
#include <QtCore/qhash.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qobject.h>
#include <QtCore/qpointer.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>

#include <functional>
#include <string>
#include <vector>

#if !defined(QTPSK_PARITY_AGAINST_QTNETWORK) && defined(QTPSK_NAMESPACE)
QTPSK_USE_NAMESPACE
#endif

namespace Parity {

// Records every signal of the objects given to watch(). Each line is
// "<label>.<signal>(<arguments>)", arguments formatted by value (enumerators by name, errors by
// code, pointers to watched objects by label), so that two runs compare as text. A hook may run
// in every emission (after the line is recorded), for tests that act inside a signal.
class SignalTrace : public QObject
{
public:
    // A signal the trace leaves out, e.g. "destroyed" or byte-count signals whose splitting
    // depends on how the kernel delivers data.
    using Filter = std::function<bool(const QByteArray &signalName)>;

    explicit SignalTrace(QObject *parent = nullptr) : QObject(parent) { }

    // Records every signal of \a object as "<label>.<signal>".
    void watch(QObject *object, const QString &label)
    {
        m_labels.insert(object, label);
        const QMetaObject *meta = object->metaObject();
        for (int i = 0; i < meta->methodCount(); ++i) {
            const QMetaMethod method = meta->method(i);
            if (method.methodType() != QMetaMethod::Signal)
                continue;
            const int slot = int(m_entries.size());
            m_entries.push_back({QPointer<QObject>(object), label, method});
            QMetaObject::connect(object, i, this, QObject::staticMetaObject.methodCount() + slot,
                                 Qt::DirectConnection, nullptr);
        }
    }

    void setFilter(Filter filter) { m_filter = std::move(filter); }
    // Runs after each recorded line (the line is the argument).
    void setHook(std::function<void(const std::string &line)> hook) { m_hook = std::move(hook); }

    const std::vector<std::string> &lines() const { return m_lines; }
    void clear() { m_lines.clear(); }
    // Adds a line of the test's own (e.g. a state read right after a call), in order.
    void note(const QString &line) { m_lines.push_back(line.toStdString()); }

    // Every line that starts with \a prefix (e.g. "client.").
    std::vector<std::string> linesOf(const std::string &prefix) const
    {
        std::vector<std::string> result;
        for (const std::string &line : m_lines) {
            if (line.compare(0, prefix.size(), prefix) == 0)
                result.push_back(line);
        }
        return result;
    }

    std::string text() const
    {
        std::string all;
        for (const std::string &line : m_lines)
            all += line + '\n';
        return all;
    }

    int qt_metacall(QMetaObject::Call call, int id, void **arguments) override
    {
        id = QObject::qt_metacall(call, id, arguments);
        if (id < 0 || call != QMetaObject::InvokeMetaMethod)
            return id;
        if (id < int(m_entries.size()))
            record(m_entries[size_t(id)], arguments);
        return -1;
    }

private:
    struct Entry
    {
        QPointer<QObject> object;
        QString label;
        QMetaMethod method;
    };

    void record(const Entry &entry, void **arguments)
    {
        const QByteArray name = entry.method.name();
        if (m_filter && m_filter(name))
            return;
        QStringList formatted;
        for (int i = 0; i < entry.method.parameterCount(); ++i)
            formatted.append(format(entry.method, i, arguments[i + 1]));
        const std::string line = (entry.label + QLatin1Char('.') + QString::fromLatin1(name)
                                  + QLatin1Char('(') + formatted.join(QStringLiteral(", "))
                                  + QLatin1Char(')'))
                                         .toStdString();
        m_lines.push_back(line);
        if (m_hook)
            m_hook(line);
    }

    QString format(const QMetaMethod &method, int index, void *value) const
    {
        const QByteArray typeName = method.parameterTypeName(index);
        if (typeName == "QSslPreSharedKeyAuthenticator*") {
            const auto *authenticator = *static_cast<QSslPreSharedKeyAuthenticator **>(value);
            return QStringLiteral("authenticator(hint=%1)")
                    .arg(authenticator->identityHint().isNull()
                                 ? QStringLiteral("null")
                                 : QString::fromLatin1(authenticator->identityHint()));
        }
        if (typeName == "QSslError")
            return QString::number(int(static_cast<QSslError *>(value)->error()));
        if (typeName == "QList<QSslError>") {
            QStringList codes;
            for (const QSslError &error : *static_cast<QList<QSslError> *>(value))
                codes.append(QString::number(int(error.error())));
            return QLatin1Char('[') + codes.join(QLatin1Char(',')) + QLatin1Char(']');
        }
        if (typeName == "QString")
            return QLatin1Char('"') + *static_cast<QString *>(value) + QLatin1Char('"');
        if (typeName.endsWith('*')) {
            QObject *object = *static_cast<QObject **>(value);
            const auto it = m_labels.constFind(object);
            return it != m_labels.cend() ? it.value() : QStringLiteral("object");
        }
        const QMetaType type = method.parameterMetaType(index);
        if (type.flags() & QMetaType::IsEnumeration) {
            const QMetaObject *scope = type.metaObject();
            const qint64 number = QVariant(type, value).toLongLong();
            // The enumerator's name, found in the enum's scope (QAbstractSocket, QSsl, ...).
            QByteArray enumName = typeName.mid(typeName.lastIndexOf(':') + 1);
            if (scope) {
                const int e = scope->indexOfEnumerator(enumName.constData());
                if (e >= 0) {
                    if (const char *key = scope->enumerator(e).valueToKey(int(number)))
                        return QString::fromLatin1(key);
                }
            }
            if (const char *key = knownEnumerator(enumName, number))
                return QString::fromLatin1(key);
            return QString::fromLatin1(enumName) + QLatin1Char('(') + QString::number(number)
                    + QLatin1Char(')');
        }
        if (type.isValid())
            return QVariant(type, value).toString();
        return QStringLiteral("<%1>").arg(QString::fromLatin1(typeName));
    }

    // Names of the enumerators Qt 6.4 declares without a meta-enum (QSslSocket::SslMode, the QSsl
    // namespace): the same text whichever library declares them how.
    static const char *knownEnumerator(const QByteArray &enumName, qint64 value)
    {
        if (enumName == "SslMode") {
            static const char *const names[] = {"UnencryptedMode", "SslClientMode", "SslServerMode"};
            return value >= 0 && value < 3 ? names[value] : nullptr;
        }
        if (enumName == "AlertLevel") {
            static const char *const names[] = {"Warning", "Fatal", "Unknown"};
            return value >= 0 && value < 3 ? names[value] : nullptr;
        }
        if (enumName == "AlertType") {
            switch (value) {
            case 0: return "CloseNotify";
            case 10: return "UnexpectedMessage";
            case 20: return "BadRecordMac";
            case 22: return "RecordOverflow";
            case 40: return "HandshakeFailure";
            case 47: return "IllegalParameter";
            case 50: return "DecodeError";
            case 51: return "DecryptError";
            case 70: return "ProtocolVersion";
            case 80: return "InternalError";
            case 86: return "InappropriateFallback";
            case 90: return "UserCancelled";
            case 109: return "MissingExtension";
            case 115: return "UnknownPskIdentity";
            default: return nullptr;
            }
        }
        return nullptr;
    }

    std::vector<Entry> m_entries;
    QHash<QObject *, QString> m_labels;
    std::vector<std::string> m_lines;
    Filter m_filter;
    std::function<void(const std::string &)> m_hook;
};

} // namespace Parity

#endif // QTPSK_SIGNALTRACE_H
