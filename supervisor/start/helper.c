/* helper.c - forking airsupd's helpers (the fds they exchange go through
 * common/fds.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "supervisor/start/helper.h"

pid_t sup_helper_fork(int *ret_fd) {
        pid_t parent = getpid(), pid;
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int r = -errno;
                safe_close(sv[0]);
                safe_close(sv[1]);
                return r;
        }
        if (pid == 0) {
                sigset_t none;

                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(0);
                sigemptyset(&none);
                (void) sigprocmask(SIG_SETMASK, &none, NULL);
                safe_close(sv[0]);
                *ret_fd = sv[1];
                return 0;
        }
        safe_close(sv[1]);
        *ret_fd = sv[0];
        return pid;
}
