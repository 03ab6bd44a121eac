// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The CoAP codec of examples/coap-psk against RFC 7252's wire format: hand-made bytes in both
// directions, the extended option forms, and every malformed input decode() must refuse.
#include "coapmessage.h"

#include <gtest/gtest.h>

namespace {

QByteArray bytes(std::initializer_list<int> values)
{
    QByteArray out;
    for (int v : values)
        out.append(char(v));
    return out;
}

TEST(CoapMessage, EncodesAConfirmableGet)
{
    const Coap::Message get = Coap::get(QStringLiteral("/sensors/temp"), 0x1234,
                                        QByteArrayLiteral("\xaa\xbb"));
    // 0x42: version 1, CON, token length 2; 0x01: GET; then Uri-Path (11) "sensors", delta 0 "temp".
    EXPECT_EQ(Coap::encode(get), bytes({0x42, 0x01, 0x12, 0x34, 0xaa, 0xbb, 0xb7, 's', 'e', 'n', 's',
                                        'o', 'r', 's', 0x04, 't', 'e', 'm', 'p'}));
    EXPECT_EQ(Coap::encode(Coap::get(QString(), 1, QByteArray())), bytes({0x40, 0x01, 0x00, 0x01}));
}

TEST(CoapMessage, ExtendedDeltasAndLengthsRoundTrip)
{
    Coap::Message m;
    m.type = Coap::Type::NonConfirmable;
    m.code = 0x45;
    m.messageId = 0xfffe;
    m.token = QByteArrayLiteral("12345678");
    m.options = {{Coap::UriPath, QByteArray(13, 'a')},     // length 13: one extra byte
                 {Coap::ContentFormat, QByteArray()},      // empty value
                 {300, QByteArray(300, 'b')},              // delta and length over 268
                 {Coap::UriHost, QByteArrayLiteral("h")}}; // sorted before Uri-Path
    m.payload = QByteArrayLiteral("payload");
    const QByteArray wire = Coap::encode(m);
    ASSERT_FALSE(wire.isEmpty());
    EXPECT_EQ(quint8(wire[12]), 0x31); // Uri-Host first: delta 3, length 1
    Coap::Message back;
    QString error;
    ASSERT_TRUE(Coap::decode(wire, &back, &error)) << error.toStdString();
    EXPECT_EQ(back.type, Coap::Type::NonConfirmable);
    EXPECT_EQ(back.code, 0x45);
    EXPECT_EQ(back.messageId, 0xfffe);
    EXPECT_EQ(back.token, m.token);
    ASSERT_EQ(back.options.size(), 4);
    EXPECT_EQ(back.options[0].number, Coap::UriHost);
    EXPECT_EQ(back.options[1].number, Coap::UriPath);
    EXPECT_EQ(back.options[1].value, QByteArray(13, 'a'));
    EXPECT_EQ(back.options[2].number, Coap::ContentFormat);
    EXPECT_TRUE(back.options[2].value.isEmpty());
    EXPECT_EQ(back.options[3].number, 300);
    EXPECT_EQ(back.options[3].value, QByteArray(300, 'b'));
    EXPECT_EQ(back.payload, QByteArrayLiteral("payload"));
}

TEST(CoapMessage, DecodesAPiggybackedResponse)
{
    // ACK 2.05 Content, message ID 0x1234, token 0xaabb, Content-Format 0 (text/plain), "22.5".
    const QByteArray wire = bytes({0x62, 0x45, 0x12, 0x34, 0xaa, 0xbb, 0xc0, 0xff, '2', '2', '.', '5'});
    Coap::Message m;
    QString error;
    ASSERT_TRUE(Coap::decode(wire, &m, &error)) << error.toStdString();
    EXPECT_EQ(m.type, Coap::Type::Acknowledgement);
    EXPECT_EQ(Coap::codeText(m.code), QStringLiteral("2.05"));
    EXPECT_EQ(Coap::codeName(m.code), QStringLiteral("Content"));
    EXPECT_EQ(m.messageId, 0x1234);
    EXPECT_EQ(m.token, QByteArrayLiteral("\xaa\xbb"));
    ASSERT_EQ(m.options.size(), 1);
    EXPECT_EQ(m.options[0].number, Coap::ContentFormat);
    EXPECT_EQ(m.payload, QByteArrayLiteral("22.5"));
    EXPECT_EQ(Coap::codeText(0x84), QStringLiteral("4.04"));
    EXPECT_EQ(Coap::codeName(0x84), QStringLiteral("Not Found"));
    EXPECT_EQ(Coap::codeText(0xa0), QStringLiteral("5.00"));
    EXPECT_TRUE(Coap::codeName(0x5f).isEmpty());
}

TEST(CoapMessage, RefusesMalformedMessages)
{
    const QByteArray malformed[] = {
        bytes({0x40, 0x01, 0x00}),                    // shorter than the header
        bytes({0x80, 0x01, 0x00, 0x01}),              // version 2
        bytes({0x49, 0x01, 0x00, 0x01}),              // token length 9
        bytes({0x42, 0x45, 0x00, 0x01, 0xaa}),        // token cut short
        bytes({0x40, 0x45, 0x00, 0x01, 0xff}),        // payload marker, no payload
        bytes({0x40, 0x45, 0x00, 0x01, 0xf1, 0x00}),  // option delta 15
        bytes({0x40, 0x45, 0x00, 0x01, 0x1f}),        // option length 15
        bytes({0x40, 0x45, 0x00, 0x01, 0xd1}),        // extended delta cut short
        bytes({0x40, 0x45, 0x00, 0x01, 0x13, 'a'}),   // option value cut short
        bytes({0x41, 0x00, 0x00, 0x01, 0x01}),        // an empty message with a token
        bytes({0x40, 0x45, 0x00, 0x01, 0xe0, 0xff, 0xff, 0xe0, 0xff, 0xff}), // number > 65535
    };
    for (const QByteArray &wire : malformed) {
        Coap::Message m;
        QString error;
        EXPECT_FALSE(Coap::decode(wire, &m, &error)) << wire.toHex().toStdString();
        EXPECT_FALSE(error.isEmpty());
    }
    Coap::Message tooLongToken;
    tooLongToken.token = QByteArray(9, 't');
    EXPECT_TRUE(Coap::encode(tooLongToken).isEmpty());
    Coap::Message empty; // an empty ACK is well-formed
    QString error;
    EXPECT_TRUE(Coap::decode(bytes({0x60, 0x00, 0x00, 0x07}), &empty, &error));
    EXPECT_EQ(empty.code, Coap::codeEmpty);
}

} // namespace
