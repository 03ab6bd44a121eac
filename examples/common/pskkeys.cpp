// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "pskkeys.h"

#include "printable.h"

#include <QtCore/qfile.h>
#include <QtCore/qiodevice.h>

#include <sys/stat.h>

using namespace Qt::StringLiterals;

namespace PskExample {

namespace {

int hexDigitValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

std::optional<QByteArray> parseHex(QByteArrayView hex)
{
    if (hex.isEmpty() || hex.size() % 2 != 0)
        return std::nullopt;
    QByteArray bytes(hex.size() / 2, Qt::Uninitialized);
    for (qsizetype i = 0; i < bytes.size(); ++i) {
        const int high = hexDigitValue(hex[2 * i]);
        const int low = hexDigitValue(hex[2 * i + 1]);
        if (high < 0 || low < 0)
            return std::nullopt;
        bytes[i] = char((high << 4) | low);
    }
    return bytes;
}

std::optional<PskEntry> parsePskEntry(QByteArrayView text, QString *error)
{
    const qsizetype colon = text.indexOf(':');
    if (colon < 0) {
        *error = u"expected identity:hexkey"_s;
        return std::nullopt;
    }
    PskEntry entry;
    const QByteArrayView identity = text.first(colon);
    if (identity.startsWith('#')) {
        const std::optional<QByteArray> decoded = parseHex(identity.sliced(1));
        if (!decoded) {
            *error = u"the identity after '#' is not hexadecimal"_s;
            return std::nullopt;
        }
        entry.identity = *decoded;
    } else {
        entry.identity = identity.toByteArray();
    }
    if (entry.identity.isEmpty()) {
        *error = u"the identity is empty"_s;
        return std::nullopt;
    }
    const std::optional<QByteArray> key = parseHex(text.sliced(colon + 1));
    if (!key) {
        // Never quote the key. The usual cause of a stray ':' is an identity that contains one.
        *error = u"the key is not an even number of hex digits (write an identity that "
                 "contains ':' as '#' + its hex)"_s;
        return std::nullopt;
    }
    entry.key = *key;
    return entry;
}

bool PskTable::insert(const PskEntry &entry, QString *error)
{
    if (m_keys.contains(entry.identity)) {
        *error = u"identity \"%1\" is listed twice"_s.arg(printable(entry.identity));
        return false;
    }
    m_keys.insert(entry.identity, entry.key);
    return true;
}

bool readPskFile(QIODevice *device, PskTable *table, QString *error)
{
    // One sequential pass until the end of the data: atEnd() is no test on a pipe, which may
    // simply have nothing buffered yet (process substitution gave "no keys" that way).
    QByteArray data;
    for (;;) {
        const QByteArray chunk = device->read(64 * 1024);
        if (chunk.isEmpty()) {
            if (device->isSequential() && device->waitForReadyRead(-1))
                continue; // a device with its own event-driven reads (a socket, a QProcess)
            break;
        }
        data += chunk;
        if (data.size() > MaxPskFileSize) {
            *error = u"more than %1 bytes"_s.arg(MaxPskFileSize);
            return false;
        }
    }
    const QList<QByteArray> lines = data.split('\n');
    int lineNumber = 0;
    for (const QByteArray &rawLine : lines) {
        ++lineNumber;
        if (rawLine.size() > MaxPskFileLine) {
            *error = u"line %1: longer than %2 bytes"_s.arg(lineNumber).arg(MaxPskFileLine);
            return false;
        }
        const QByteArray line = rawLine.trimmed();
        if (line.isEmpty())
            continue;
        // psktool writes "#<hex identity>:<hex key>"; any other line starting with '#' is a comment.
        if (line.startsWith('#')) {
            const qsizetype colon = line.indexOf(':');
            if (colon < 0 || !parseHex(QByteArrayView(line).first(colon).sliced(1))
                || !parseHex(QByteArrayView(line).sliced(colon + 1))) {
                continue;
            }
        }
        QString reason;
        const std::optional<PskEntry> entry = parsePskEntry(line, &reason);
        if (!entry || !table->insert(*entry, &reason)) {
            *error = u"line %1: %2"_s.arg(lineNumber).arg(reason);
            return false;
        }
    }
    return true;
}

bool loadPskFile(const QString &fileName, PskTable *table, QString *error, QString *warning)
{
    QFile file(fileName);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = u"%1: %2"_s.arg(fileName, file.errorString());
        return false;
    }
    // As ssh: any permission for group or others on a regular file (checked on the open file,
    // not by name again). Pipes and process substitution have none to check.
    struct stat status{};
    if (warning && ::fstat(file.handle(), &status) == 0 && S_ISREG(status.st_mode)
        && (status.st_mode & 077) != 0) {
        *warning = u"%1: warning: the key file is accessible by group or others (mode %2); "
                   "make it private (chmod 600)"_s.arg(fileName)
                           .arg(status.st_mode & 0777, 4, 8, QLatin1Char('0'));
    }
    QString reason;
    if (!readPskFile(&file, table, &reason)) {
        *error = u"%1: %2"_s.arg(fileName, reason);
        return false;
    }
    return true;
}

} // namespace PskExample
