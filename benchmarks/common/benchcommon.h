// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QTPSK_BENCHCOMMON_H
#define QTPSK_BENCHCOMMON_H

// Shared by the standalone benchmark programs (raw OpenSSL, QtPsk, Qt6::Network): the command
// line, the suites, the wire protocol between the benchmark client and server, and process
// measurements. Plain C++ and POSIX only, so that every program can include it.
//
// Wire protocol, after the TLS handshake, inside the TLS stream:
// - handshake-only connections send nothing: the client sends close_notify and closes;
// - bulk: the client sends a 9-byte header, 'S' or 'R' then a 64-bit big-endian byte count.
//   'S': the client sends that many bytes, the server answers with one byte when it has them all.
//   'R': the server sends that many bytes to the client.

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

namespace QtPskBench {

// The benchmark key and identity (not a secret: a fixed test vector).
inline constexpr unsigned char kKey[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                            0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
inline constexpr char kIdentity[] = "client1";
inline constexpr std::size_t kHeaderSize = 9;
inline constexpr std::size_t kChunk = 64 * 1024;

struct Suite
{
    char letter; // 'A', 'B' or 'C'
    bool tls13;
    const char *cipher; // OpenSSL's name, as negotiated
};

inline const Suite *suiteFor(const char *letter)
{
    static const Suite suites[] = {
        { 'A', false, "PSK-AES128-GCM-SHA256" },
        { 'B', false, "ECDHE-PSK-CHACHA20-POLY1305" },
        { 'C', true, "TLS_AES_128_GCM_SHA256" },
    };
    for (const Suite &suite : suites) {
        if (letter && letter[0] == suite.letter && letter[1] == '\0')
            return &suite;
    }
    return nullptr;
}

// The command line: <role> --suite X [--port P] [--handshakes N | --send MiB | --recv MiB |
// --idle N] [--style direct|app] [--timeout seconds]. The style chooses how the Qt API programs
// use the socket (see bench_qtapi.cpp); the raw program has one style and accepts either.
struct Options
{
    std::string role; // "server" or "client"
    const Suite *suite = nullptr;
    int port = 0;
    long handshakes = 0;
    long sendMiB = 0;
    long recvMiB = 0;
    long idle = 0;
    int timeoutSeconds = 300;
    bool appStyle = false; // --style app
};

// The numeric options and the fields they set.
template <typename T>
struct NumericOption
{
    const char *name;
    T Options::*field;
};
inline constexpr NumericOption<int> kIntOptions[] = {{"--port", &Options::port},
                                                     {"--timeout", &Options::timeoutSeconds}};
inline constexpr NumericOption<long> kLongOptions[] = {{"--handshakes", &Options::handshakes},
                                                       {"--send", &Options::sendMiB},
                                                       {"--recv", &Options::recvMiB},
                                                       {"--idle", &Options::idle}};

// The field the option \a name of \a table sets, or nullptr.
template <typename T, std::size_t N>
T Options::*fieldOf(const NumericOption<T> (&table)[N], const std::string &name)
{
    for (const NumericOption<T> &option : table) {
        if (name == option.name)
            return option.field;
    }
    return nullptr;
}

// Runs the event loop of \a app while the object of the role \a options names lives: a \a Server
// for "server", a \a Client otherwise. Returns what the event loop returns.
template <typename Server, typename Client, typename App, typename RoleOptions>
int runRole(App &app, const RoleOptions &options)
{
    std::unique_ptr<Server> server;
    std::unique_ptr<Client> client;
    if (options.role == "server")
        server = std::make_unique<Server>(options);
    else
        client = std::make_unique<Client>(options);
    return app.exec();
}

// Calls \a take(name, value) for each "--name value" pair after argv[1], the role. False when the
// role is missing, the pairs are uneven or \a take rejects one.
template <typename Take>
bool forEachOption(int argc, char **argv, Take take)
{
    if (argc < 2 || (argc - 2) % 2 != 0)
        return false;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!take(std::string(argv[i]), argv[i + 1]))
            return false;
    }
    return true;
}

inline bool parseOptions(int argc, char **argv, Options *options)
{
    const bool parsed = forEachOption(argc, argv, [options](const std::string &name, const char *value) {
        if (name == "--suite") {
            options->suite = suiteFor(value);
        } else if (int Options::*intField = fieldOf(kIntOptions, name)) {
            options->*intField = std::atoi(value);
        } else if (long Options::*longField = fieldOf(kLongOptions, name)) {
            options->*longField = std::atol(value);
        } else if (name == "--style"
                   && (std::strcmp(value, "app") == 0 || std::strcmp(value, "direct") == 0)) {
            options->appStyle = std::strcmp(value, "app") == 0;
        } else {
            return false;
        }
        return true;
    });
    if (!parsed || !options->suite)
        return false;
    options->role = argv[1];
    if (options->role == "server")
        return true;
    const int modes = (options->handshakes > 0) + (options->sendMiB > 0) + (options->recvMiB > 0)
        + (options->idle > 0);
    return options->role == "client" && options->port > 0 && modes == 1;
}

inline void printUsage(const char *program)
{
    std::fprintf(stderr,
                 "usage: %s server --suite A|B|C [--port P] [--idle N] [--style direct|app] [--timeout S]\n"
                 "       %s client --suite A|B|C --port P (--handshakes N | --send MiB | "
                 "--recv MiB | --idle N) [--style direct|app] [--timeout S]\n",
                 program, program);
}

// parseOptions(), printing the usage when the command line is wrong.
inline bool optionsFromCommandLine(int argc, char **argv, Options *options)
{
    if (parseOptions(argc, argv, options))
        return true;
    printUsage(argv[0]);
    return false;
}

inline void encodeHeader(unsigned char *header, char what, std::uint64_t size)
{
    header[0] = static_cast<unsigned char>(what);
    for (int i = 0; i < 8; ++i)
        header[1 + i] = static_cast<unsigned char>(size >> (56 - 8 * i));
}

inline std::uint64_t decodeSize(const unsigned char *header)
{
    std::uint64_t size = 0;
    for (int i = 0; i < 8; ++i)
        size = (size << 8) | header[1 + i];
    return size;
}

// A value from /proc/self/status in KiB (VmRSS, VmHWM), or -1.
inline long procStatusKiB(const char *field)
{
    std::ifstream status("/proc/self/status");
    std::string line;
    const std::size_t length = std::strlen(field);
    while (std::getline(status, line)) {
        if (line.compare(0, length, field) == 0 && line.size() > length && line[length] == ':')
            return std::atol(line.c_str() + length + 1);
    }
    return -1;
}

// Idle mode needs more than 1024 descriptors in one process.
inline void raiseDescriptorLimit()
{
    rlimit limit {};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

inline double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The lines the scripts read: "key=value", one a line, flushed at once.
inline void report(const char *key, const std::string &value)
{
    std::printf("%s=%s\n", key, value.c_str());
    std::fflush(stdout);
}

inline void report(const char *key, double value)
{
    char text[64];
    std::snprintf(text, sizeof text, "%.6g", value);
    report(key, std::string(text));
}

} // namespace QtPskBench

#endif // QTPSK_BENCHCOMMON_H
