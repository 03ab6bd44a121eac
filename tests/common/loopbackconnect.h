// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// A blocking TCP connection to the IPv4 loopback. Header-only and plain POSIX: the raw peers of
// the tests and the benchmarks both use it.
#ifndef QTPSK_TEST_LOOPBACKCONNECT_H
#define QTPSK_TEST_LOOPBACKCONNECT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace QtPskTest {

// A blocking TCP connection to 127.0.0.1:port with TCP_NODELAY (-1 on failure).
inline int connectToLoopback(std::uint16_t port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

} // namespace QtPskTest

#endif // QTPSK_TEST_LOOPBACKCONNECT_H
