/* errout.c - airsupd's standard error, written without waiting: whoever
 * reads it (a terminal held with ^S, a pipe into a pager or a container
 * runtime's log collector, journald's stream) may be slow or stuck, and
 * the event loop must not wait for it, since how much goes there is
 * partly up to the children (their crashes, their console output).
 *
 * Setting O_NONBLOCK on fd 2 would change the open file description the
 * shell or the service manager shares, so a pipe, FIFO or terminal is
 * opened again through /proc/self/fd/2 with O_NONBLOCK (a description of
 * airsupd's own, kept for its life); a socket is sent to with
 * MSG_DONTWAIT; a regular file takes fd 2 as it is (writes to it do not
 * wait for a reader).  Process-wide, since fd 2 is. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/output/errout.h"

static int out_fd = -EBADF;             /* -EBADF: not looked at yet */
static bool out_socket;
static unsigned long dropped;           /* lines of errout_line() lost */

static int errout_fd(void) {
        struct stat st;
        int fd;

        if (out_fd != -EBADF)
                return out_fd;
        out_fd = STDERR_FILENO;
        if (fstat(STDERR_FILENO, &st) < 0 || S_ISREG(st.st_mode))
                return out_fd;
        if (S_ISSOCK(st.st_mode)) {
                out_socket = true;
                return out_fd;
        }
        /* ENXIO: a pipe nobody reads, where a write fails at once anyway. */
        fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0)
                out_fd = fd;
        return out_fd;
}

bool errout_writev(const struct iovec *iov, int n) {
        int fd = errout_fd();
        size_t total = 0;
        ssize_t k;

        for (int i = 0; i < n; i++)
                total += iov[i].iov_len;
        do {
                if (out_socket) {
                        struct msghdr mh = { .msg_iov = (struct iovec *) iov, .msg_iovlen = (size_t) n };
                        k = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
                } else
                        k = writev(fd, iov, n);
        } while (k < 0 && errno == EINTR);
        return k >= 0 && (size_t) k == total;
}

void errout_line(const char *line) {
        struct iovec iov[2] = {
                { .iov_base = (void *) line, .iov_len = strlen(line) },
                { .iov_base = (void *) "\n", .iov_len = 1 },
        };

        if (dropped > 0) {
                char note[96];
                struct iovec n[1] = { { .iov_base = note } };

                n[0].iov_len = (size_t) snprintf(note, sizeof(note),
                                                 "airsupd: %lu lines dropped while standard error was full\n",
                                                 dropped);
                if (!errout_writev(n, 1)) {
                        dropped++;
                        return;
                }
                dropped = 0;
        }
        if (!errout_writev(iov, 2))
                dropped++;
}
