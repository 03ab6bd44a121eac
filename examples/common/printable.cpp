// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include "printable.h"

using namespace Qt::StringLiterals;

namespace PskExample {

QString printable(QByteArrayView bytes, qsizetype cap)
{
    static constexpr char Digits[] = "0123456789abcdef";
    const QByteArrayView shown = cap >= 0 && bytes.size() > cap ? bytes.first(cap) : bytes;
    QString text;
    text.reserve(shown.size() + 24);
    for (const char c : shown) {
        const auto byte = static_cast<unsigned char>(c);
        switch (byte) {
        case '\n': text += u"\\n"; break;
        case '\r': text += u"\\r"; break;
        case '\t': text += u"\\t"; break;
        case '\\': text += u"\\\\"; break;
        case '"': text += u"\\\""; break;
        default:
            if (byte >= 0x20 && byte < 0x7f) {
                text += QLatin1Char(c);
            } else {
                text += u"\\x";
                text += QLatin1Char(Digits[byte >> 4]);
                text += QLatin1Char(Digits[byte & 0x0f]);
            }
        }
    }
    if (shown.size() < bytes.size())
        text += u"... (%1 bytes)"_s.arg(bytes.size());
    return text;
}

} // namespace PskExample
