// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// The attacker of qsslserver_flood_test: a plain program (no Qt, no TLS) that opens <count> silent
// TCP connections to 127.0.0.1:<port> and holds them, opening a new one for each the server
// closes, until it is stopped (SIGTERM from the test's PeerProcess) or <lifetime> seconds pass.
// It prints "connected <count>" once <count> connections have been established in all.
//
//   flood_peer <port> <count> <lifetime-seconds>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

int openSilent(const sockaddr_in &address)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0
        && errno != EINPROGRESS) {
        ::close(fd);
        return -1;
    }
    return fd;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: flood_peer <port> <count> <lifetime-seconds>\n");
        return 2;
    }
    const int port = std::atoi(argv[1]);
    const int count = std::atoi(argv[2]);
    const int lifetime = std::atoi(argv[3]);
    if (port <= 0 || port > 65535 || count <= 0 || lifetime <= 0) {
        std::fprintf(stderr, "flood_peer: bad arguments\n");
        return 2;
    }
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    ::alarm(unsigned(lifetime)); // never outlives a test that died without stopping it

    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<unsigned short>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    std::vector<pollfd> fds(static_cast<size_t>(count));
    for (pollfd &entry : fds) {
        entry.fd = openSilent(address);
        entry.events = POLLOUT;
        entry.revents = 0;
    }
    long established = 0; // connections that completed, in all
    bool announced = false;
    for (;;) {
        if (::poll(fds.data(), nfds_t(fds.size()), 100) < 0 && errno != EINTR)
            return 1;
        for (pollfd &entry : fds) {
            bool reopen = entry.fd < 0;
            if (!reopen && (entry.revents & (POLLERR | POLLHUP))) {
                reopen = true;
            } else if (!reopen && (entry.revents & POLLIN)) {
                char byte = 0;
                reopen = ::recv(entry.fd, &byte, 1, MSG_DONTWAIT) <= 0;
            } else if (!reopen && (entry.revents & POLLOUT) && entry.events == POLLOUT) {
                entry.events = POLLIN; // connected: now wait for the server to close it
                ++established;
            }
            if (reopen) {
                if (entry.fd >= 0)
                    ::close(entry.fd);
                entry.fd = openSilent(address); // a new silent connection for each one dropped
                entry.events = POLLOUT;
            }
            entry.revents = 0;
        }
        if (!announced && established >= count) {
            std::printf("connected %d\n", count);
            std::fflush(stdout);
            announced = true;
        }
    }
}
