// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
//
// Writes the seed corpus: real flights recorded from in-process engine runs (deterministic, so
// that replaying a seed reproduces the conversation), plus a few hand-made PSK-path inputs.
//   qtpsk_fuzz_seeds <tests/fuzz/corpus>

#include "fuzzsupport.h"

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>

#include <cstdint>
#include <cstdio>

namespace {

using QtPskFuzz::Stage;

bool writeSeed(const QString &dir, const QString &name, const QByteArray &bytes)
{
    if (!QDir().mkpath(dir))
        return false;
    QFile file(dir + QLatin1Char('/') + name);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(bytes) != bytes.size())
        return false;
    std::printf("%s/%s: %lld bytes\n", qPrintable(dir), qPrintable(name), static_cast<long long>(bytes.size()));
    return true;
}

QByteArray u16Prefixed(const QByteArray &bytes)
{
    QByteArray result;
    result.append(char((bytes.size() >> 8) & 0xff));
    result.append(char(bytes.size() & 0xff));
    return result + bytes;
}

QByteArray pskInput(std::uint8_t config, std::uint8_t flags, const QByteArray &hint,
                    const QByteArray &identity, const QByteArray &clientKey,
                    const QByteArray &serverKey = QByteArray())
{
    QByteArray input;
    input.append(char(config));
    input.append(char(flags));
    input += u16Prefixed(hint) + u16Prefixed(identity) + u16Prefixed(clientKey);
    if (!(flags & 4))
        input += u16Prefixed(serverKey);
    return input;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <corpus directory>\n", argv[0]);
        return 2;
    }
    const QString root = QString::fromLocal8Bit(argv[1]);
    QtPskFuzz::initialize();
    bool ok = true;

    const char *stageNames[] = {"none", "roundtrip", "complete"};
    const auto &configs = QtPskFuzz::engineConfigs();
    for (const bool client : {true, false}) {
        const QString dir = root + (client ? QStringLiteral("/fuzz_engine_client")
                                           : QStringLiteral("/fuzz_engine_server"));
        for (std::size_t i = 0; i < configs.size(); ++i) {
            for (int stage = 0; stage < int(Stage::Encrypted); ++stage) {
                // Whole feeds for most; small pseudo-random chunks for the first stage.
                const std::uint8_t chunkSeed = stage == 0 && i % 2 == 1 ? 3 : 0;
                QByteArray header;
                header.append(char(i));
                header.append(char(stage));
                header.append(char(chunkSeed));
                QByteArray payload;
                const auto bytes = reinterpret_cast<const std::uint8_t *>(header.constData());
                const QtPskFuzz::Outcome outcome =
                        QtPskFuzz::fuzzEngine(client, bytes, std::size_t(header.size()), &payload);
                if (!outcome.handshakeComplete || !outcome.closed) {
                    std::fprintf(stderr, "recording %s/%s did not complete\n", configs[i].name,
                                 stageNames[stage]);
                    ok = false;
                    continue;
                }
                ok &= writeSeed(dir,
                                QStringLiteral("valid-%1-%2").arg(QLatin1String(configs[i].name),
                                                                   QLatin1String(stageNames[stage])),
                                header + payload);
            }
        }
        // Resumption (and SNI) from a session of a first real handshake, without a prefix.
        for (std::size_t i = 0; i < configs.size(); ++i) {
            QByteArray header;
            header.append(char(i));
            header.append(char(QtPskFuzz::kResume | QtPskFuzz::kServerName));
            header.append(char(0));
            QByteArray payload;
            const auto bytes = reinterpret_cast<const std::uint8_t *>(header.constData());
            const QtPskFuzz::Outcome outcome =
                    QtPskFuzz::fuzzEngine(client, bytes, std::size_t(header.size()), &payload);
            if (!outcome.handshakeComplete || !outcome.closed) {
                std::fprintf(stderr, "recording %s/resumed did not complete\n", configs[i].name);
                ok = false;
                continue;
            }
            ok &= writeSeed(dir,
                            QStringLiteral("valid-%1-%2").arg(QLatin1String(configs[i].name),
                                                               outcome.sessionReused
                                                                       ? QLatin1String("resumed")
                                                                       : QLatin1String("not-resumed")),
                            header + payload);
        }
        // The payload as application data that the real peer encrypts (stage Encrypted).
        QByteArray encrypted;
        encrypted.append(char(0));
        encrypted.append(char(Stage::Encrypted));
        encrypted.append(char(2));
        encrypted += QByteArrayLiteral("GET / HTTP/1.0\r\nHost: example\r\n\r\n");
        ok &= writeSeed(dir, QStringLiteral("plaintext-tls12"), encrypted);
        encrypted[0] = char(3);
        ok &= writeSeed(dir, QStringLiteral("plaintext-tls13"), encrypted);
    }

    // The datagram engine: the real peer's datagrams of whole handshakes (client and server
    // under test, cookies, two suites) and, after a handshake, its data and close_notify.
    const QString dtls = root + QStringLiteral("/fuzz_dtls_engine");
    const struct
    {
        std::uint8_t flags;
        const char *name;
    } dtlsSeeds[] = {
        {0, "valid-client-ccm8"}, {1, "valid-server-ccm8"}, {3, "valid-server-cookies-ccm8"},
        {8, "valid-client-gcm"}, {9, "valid-server-gcm"}, {4, "valid-client-data"},
        {5, "valid-server-data"}, {13, "valid-server-gcm-data"},
    };
    for (const auto &seed : dtlsSeeds) {
        const auto flags = static_cast<std::uint8_t>(seed.flags);
        QByteArray payload;
        const QtPskFuzz::Outcome outcome = QtPskFuzz::fuzzDtlsEngine(&flags, 1, &payload);
        if (!outcome.handshakeComplete || outcome.failed) {
            std::fprintf(stderr, "recording %s did not complete\n", seed.name);
            ok = false;
            continue;
        }
        ok &= writeSeed(dtls, QLatin1String(seed.name), QByteArray(1, char(flags)) + payload);
    }

    const QString psk = root + QStringLiteral("/fuzz_psk_path");
    const QByteArray key = QByteArray::fromHex("0102030405060708090a0b0c0d0e0f10");
    const char *pskNames[] = {"tls12", "tls13-sha256", "tls13-sha384", "tls13-client-tls12-server",
                              "tls12-qt-compatible"};
    for (std::uint8_t config = 0; config < 5; ++config) {
        ok &= writeSeed(psk, QStringLiteral("valid-%1").arg(QLatin1String(pskNames[config])),
                        pskInput(config, 4, "hint", "identity", key));
    }
    ok &= writeSeed(psk, QStringLiteral("tls13-qt-compatible"),
                    pskInput(5, 4, "hint", "identity", key));
    ok &= writeSeed(psk, QStringLiteral("long-hint-identity-key"),
                    pskInput(0, 4, QByteArray(300, 'h'), QByteArray(300, 'i'), QByteArray(600, 'k')));
    ok &= writeSeed(psk, QStringLiteral("embedded-nul"),
                    pskInput(3, 4, QByteArray("hi\0nt", 5), QByteArray("id\0entity", 9),
                             QByteArray("k\0y", 3)));
    ok &= writeSeed(psk, QStringLiteral("keys-differ"),
                    pskInput(1, 0, "hint", "identity", key, QByteArray("other key")));
    ok &= writeSeed(psk, QStringLiteral("empty-key-server-refuses"),
                    pskInput(0, 2 | 4, "", "", ""));
    // Answers given later (flags 16: the client defers, 32: the server defers).
    for (std::uint8_t config = 0; config < 5; ++config) {
        ok &= writeSeed(psk, QStringLiteral("deferred-%1").arg(QLatin1String(pskNames[config])),
                        pskInput(config, 4 | 16 | 32, "hint", "identity", key));
    }
    ok &= writeSeed(psk, QStringLiteral("deferred-keys-differ"),
                    pskInput(1, 32, "hint", "identity", key, QByteArray("other key")));
    ok &= writeSeed(psk, QStringLiteral("deferred-long-hint-identity-key"),
                    pskInput(0, 4 | 16, QByteArray(300, 'h'), QByteArray(300, 'i'), QByteArray(600, 'k')));
    ok &= writeSeed(psk, QStringLiteral("deferred-empty-key-refused"),
                    pskInput(3, 4 | 16 | 32, "hint", "identity", ""));
    return ok ? 0 : 1;
}
