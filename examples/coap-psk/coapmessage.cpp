// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "coapmessage.h"

#include <QtCore/qstringlist.h>

#include <algorithm>

namespace Coap {

namespace {

constexpr quint8 version = 1;
constexpr quint8 payloadMarker = 0xff;

// The 4-bit field of an option delta or length, and its extended bytes.
void appendNibbleValue(quint32 value, quint8 *nibble, QByteArray *extended)
{
    if (value < 13) {
        *nibble = quint8(value);
    } else if (value < 269) {
        *nibble = 13;
        extended->append(char(value - 13));
    } else {
        *nibble = 14;
        const quint32 v = value - 269;
        extended->append(char(v >> 8));
        extended->append(char(v & 0xff));
    }
}

// Reads the value of a 4-bit field \a nibble at *\a pos; false for the reserved 15 or a cut.
bool readNibbleValue(const QByteArray &bytes, int *pos, quint8 nibble, quint32 *value)
{
    if (nibble < 13) {
        *value = nibble;
        return true;
    }
    if (nibble == 13) {
        if (*pos + 1 > bytes.size())
            return false;
        *value = quint8(bytes[*pos]) + 13u;
        *pos += 1;
        return true;
    }
    if (nibble == 14) {
        if (*pos + 2 > bytes.size())
            return false;
        *value = ((quint32(quint8(bytes[*pos])) << 8) | quint8(bytes[*pos + 1])) + 269u;
        *pos += 2;
        return true;
    }
    return false; // 15: reserved (the payload marker is a whole byte)
}

} // namespace

QByteArray encode(const Message &message)
{
    if (message.token.size() > 8)
        return QByteArray();
    QByteArray out;
    out.append(char((version << 6) | (quint8(message.type) << 4) | message.token.size()));
    out.append(char(message.code));
    out.append(char(message.messageId >> 8));
    out.append(char(message.messageId & 0xff));
    out.append(message.token);
    QList<Option> options = message.options;
    std::stable_sort(options.begin(), options.end(),
                     [](const Option &a, const Option &b) { return a.number < b.number; });
    quint16 previous = 0;
    for (const Option &option : options) {
        if (option.value.size() > 65535 + 269)
            return QByteArray();
        quint8 deltaNibble = 0;
        quint8 lengthNibble = 0;
        QByteArray deltaExtended;
        QByteArray lengthExtended;
        appendNibbleValue(quint32(option.number - previous), &deltaNibble, &deltaExtended);
        appendNibbleValue(quint32(option.value.size()), &lengthNibble, &lengthExtended);
        out.append(char((deltaNibble << 4) | lengthNibble));
        out.append(deltaExtended);
        out.append(lengthExtended);
        out.append(option.value);
        previous = option.number;
    }
    if (!message.payload.isEmpty()) {
        out.append(char(payloadMarker));
        out.append(message.payload);
    }
    return out;
}

bool decode(const QByteArray &bytes, Message *out, QString *error)
{
    const auto fail = [error](const char *why) {
        *error = QString::fromLatin1(why);
        return false;
    };
    if (bytes.size() < 4)
        return fail("shorter than the 4-byte header");
    const quint8 first = quint8(bytes[0]);
    if ((first >> 6) != version)
        return fail("not CoAP version 1");
    const int tokenLength = first & 0x0f;
    if (tokenLength > 8)
        return fail("token length over 8");
    Message m;
    m.type = Type((first >> 4) & 0x03);
    m.code = quint8(bytes[1]);
    m.messageId = quint16((quint8(bytes[2]) << 8) | quint8(bytes[3]));
    int pos = 4;
    if (pos + tokenLength > bytes.size())
        return fail("token cut short");
    m.token = bytes.mid(pos, tokenLength);
    pos += tokenLength;
    if (m.code == codeEmpty && (tokenLength != 0 || pos != bytes.size()))
        return fail("an empty message with a token or more bytes");
    quint32 number = 0;
    while (pos < bytes.size()) {
        const quint8 byte = quint8(bytes[pos++]);
        if (byte == payloadMarker) {
            if (pos == bytes.size())
                return fail("payload marker without a payload");
            m.payload = bytes.mid(pos);
            pos = int(bytes.size());
            break;
        }
        quint32 delta = 0;
        quint32 length = 0;
        if (!readNibbleValue(bytes, &pos, byte >> 4, &delta)
            || !readNibbleValue(bytes, &pos, byte & 0x0f, &length)) {
            return fail("bad option header");
        }
        number += delta;
        if (number > 0xffff)
            return fail("option number over 65535");
        if (pos + qint64(length) > bytes.size())
            return fail("option value cut short");
        m.options.append({quint16(number), bytes.mid(pos, int(length))});
        pos += int(length);
    }
    *out = m;
    return true;
}

Message get(const QString &path, quint16 messageId, const QByteArray &token)
{
    Message m;
    m.type = Type::Confirmable;
    m.code = codeGet;
    m.messageId = messageId;
    m.token = token;
    const QStringList segments = path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    for (const QString &segment : segments)
        m.options.append({UriPath, segment.toUtf8()});
    return m;
}

QString codeText(quint8 code)
{
    return QStringLiteral("%1.%2").arg(code >> 5).arg(code & 0x1f, 2, 10, QLatin1Char('0'));
}

QString codeName(quint8 code)
{
    struct Name { quint8 code; const char *name; };
    static const Name names[] = {
        {0x41, "Created"}, {0x42, "Deleted"}, {0x43, "Valid"}, {0x44, "Changed"},
        {0x45, "Content"}, {0x80, "Bad Request"}, {0x81, "Unauthorized"}, {0x82, "Bad Option"},
        {0x83, "Forbidden"}, {0x84, "Not Found"}, {0x85, "Method Not Allowed"},
        {0x86, "Not Acceptable"}, {0x8c, "Precondition Failed"},
        {0x8d, "Request Entity Too Large"}, {0x8f, "Unsupported Content-Format"},
        {0xa0, "Internal Server Error"}, {0xa1, "Not Implemented"}, {0xa2, "Bad Gateway"},
        {0xa3, "Service Unavailable"}, {0xa4, "Gateway Timeout"},
        {0xa5, "Proxying Not Supported"},
    };
    for (const Name &n : names) {
        if (n.code == code)
            return QString::fromLatin1(n.name);
    }
    return QString();
}

} // namespace Coap
