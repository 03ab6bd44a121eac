/* Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
 *
 * loopback_bind_shim: an LD_PRELOAD library for peers that cannot be told which address to listen
 * on (gnutls-serv binds every address). Its bind() turns a wildcard address into the loopback
 * address of the same family (0.0.0.0 -> 127.0.0.1, :: -> ::1) and then calls the real bind().
 * Every other address, and every other call, passes through untouched. Test use only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_function)(int, const struct sockaddr *, socklen_t);

int bind(int fd, const struct sockaddr *address, socklen_t length)
{
    static bind_function real_bind = NULL;
    if (!real_bind) {
        real_bind = (bind_function)dlsym(RTLD_NEXT, "bind");
        if (!real_bind) {
            errno = ENOSYS;
            return -1;
        }
    }
    if (address && address->sa_family == AF_INET && length >= (socklen_t)sizeof(struct sockaddr_in)) {
        struct sockaddr_in v4;
        memcpy(&v4, address, sizeof v4);
        if (v4.sin_addr.s_addr == htonl(INADDR_ANY)) {
            v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            return real_bind(fd, (const struct sockaddr *)&v4, sizeof v4);
        }
    } else if (address && address->sa_family == AF_INET6
               && length >= (socklen_t)sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 v6;
        memcpy(&v6, address, sizeof v6);
        if (memcmp(&v6.sin6_addr, &in6addr_any, sizeof v6.sin6_addr) == 0) {
            v6.sin6_addr = in6addr_loopback;
            return real_bind(fd, (const struct sockaddr *)&v6, sizeof v6);
        }
    }
    return real_bind(fd, address, length);
}
