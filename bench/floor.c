/* floor CHILD FILE N - the raw restart floor: the least a supervisor can
 * do.  clone3(CLONE_PIDFD) + execve, poll() the pidfd, waitid(P_PIDFD),
 * start again at once, N times.  No policy, no bookkeeping, no logging. */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
        char *child_argv[3];
        int n;

        if (argc != 4)
                return 2;
        child_argv[0] = argv[1];
        child_argv[1] = argv[2];
        child_argv[2] = NULL;
        n = atoi(argv[3]);

        for (int i = 0; i < n; i++) {
                int pidfd = -1;
                struct clone_args args = {
                        .flags = CLONE_PIDFD,
                        .pidfd = (uint64_t) (uintptr_t) &pidfd,
                        .exit_signal = SIGCHLD,
                };
                pid_t pid = (pid_t) syscall(SYS_clone3, &args, sizeof(args));
                struct pollfd p;
                siginfo_t si;

                if (pid < 0) {
                        perror("clone3");
                        return 1;
                }
                if (pid == 0) {
                        execve(child_argv[0], child_argv, environ);
                        _exit(127);
                }
                p = (struct pollfd) { .fd = pidfd, .events = POLLIN };
                if (poll(&p, 1, -1) < 0 || waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0) {
                        perror("wait");
                        return 1;
                }
                close(pidfd);
        }
        return 0;
}
