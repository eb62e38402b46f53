/* fds.c - one message with fds over a Unix socket, each way: what airsupd,
 * its helpers and libairsup's channel all use. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/fds.h"

#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83                /* Linux 6.16; glibc 2.36 has no name for it */
#endif

typedef union fds_control {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * FDS_MAX)];
} fds_control;

int fds_send(int sock, const void *buf, size_t len, const int *fds, size_t n_fds) {
        fds_control control = {};
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
        };

        if (n_fds > FDS_MAX)
                return -EINVAL;
        if (n_fds > 0) {
                struct cmsghdr *c;

                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
        }
        if (sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                return -errno;
        return 0;
}

ssize_t fds_recv(int sock, void *buf, size_t size, int flags, int *fds, size_t max_fds, size_t *ret_n_fds) {
        fds_control control;
        struct iovec iov = { .iov_base = buf, .iov_len = size };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control),
        };
        ssize_t n;

        *ret_n_fds = 0;
        do
                n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | flags);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k; i++) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (*ret_n_fds < max_fds)
                                fds[(*ret_n_fds)++] = fd;
                        else
                                (void) close(fd);
                }
        }
        if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
                return -EMSGSIZE;
        return n;
}

int fds_refuse(int sock) {
        if (setsockopt(sock, SOL_SOCKET, SO_PASSRIGHTS, &(int) { 0 }, sizeof(int)) < 0)
                return -errno;
        return 0;
}
