// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The CoAP message format of RFC 7252, section 3, as much as a block-less GET needs: the fixed
// header, the token, options (delta and length with their extended forms) and the payload.
#ifndef COAPPSK_COAPMESSAGE_H
#define COAPPSK_COAPMESSAGE_H

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

namespace Coap {

enum class Type : quint8 { Confirmable = 0, NonConfirmable = 1, Acknowledgement = 2, Reset = 3 };

// Option numbers used here (RFC 7252, section 5.10).
enum OptionNumber : quint16 { UriHost = 3, UriPort = 7, UriPath = 11, ContentFormat = 12 };

struct Option
{
    quint16 number = 0;
    QByteArray value;
};

struct Message
{
    Type type = Type::Confirmable;
    quint8 code = 0; // class << 5 | detail: GET is 0.01 (0x01), 2.05 Content is 0x45
    quint16 messageId = 0;
    QByteArray token; // 0 to 8 bytes
    QList<Option> options;
    QByteArray payload;
};

// Codes (RFC 7252, section 12.1).
constexpr quint8 codeGet = 0x01;
constexpr quint8 codeEmpty = 0x00;

// The bytes of \a message; options are written in number order (a stable sort keeps repeated
// options such as Uri-Path in the order given). Empty if the message cannot be encoded (a token
// over 8 bytes, an option value over 65804 bytes).
QByteArray encode(const Message &message);

// Parses \a bytes into *\a out; false (and *\a error says why) for a message that is not
// well-formed CoAP version 1.
bool decode(const QByteArray &bytes, Message *out, QString *error);

// A confirmable GET of \a path ("a/b": one Uri-Path option per segment; empty: none).
Message get(const QString &path, quint16 messageId, const QByteArray &token);

// "2.05" for 0x45.
QString codeText(quint8 code);
// The name RFC 7252 gives the response code ("Content", "Not Found", ...), or empty.
QString codeName(quint8 code);

} // namespace Coap

#endif // COAPPSK_COAPMESSAGE_H
