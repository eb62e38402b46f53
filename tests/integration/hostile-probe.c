/* hostile-probe.c - an exec: health probe that leaves a daemon behind,
 * as a group's process that ptraces its own probe (same uid) can make it
 * do: the probe forks, the child calls setsid() and forks again, and the
 * grandchild stays, ignoring SIGTERM and SIGHUP.  Whatever cgroup the
 * probe runs in, the daemon is there too; the test then checks that it is
 * the instance's, never airsupd's own leaf, and that nothing of it
 * outlives the probe or the group's stop.
 *
 *   hostile-probe daemon RECORD [hold]
 *
 * The daemon writes "PID CGROUP\n" (CGROUP from /proc/self/cgroup, the
 * cgroup v2 line) to RECORD, through a temporary name and a rename, before
 * the probe goes on: it may be killed as soon as the probe ends.  The
 * probe then exits 0, or with "hold" waits for ever (a probe that never
 * finishes, killed at its timeout or the group's stop). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void own_cgroup(char *buf, size_t size) {
        char text[4096], *line, *nl;
        ssize_t n;
        int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);

        snprintf(buf, size, "?");
        if (fd < 0)
                return;
        n = read(fd, text, sizeof(text) - 1);
        close(fd);
        if (n <= 0)
                return;
        text[n] = '\0';
        for (line = text; line && *line; line = nl ? nl + 1 : NULL) {
                nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                if (strncmp(line, "0::", 3) == 0) {
                        snprintf(buf, size, "%s", line + 3);
                        return;
                }
        }
}

/* The grandchild: records itself, tells the probe, stays. */
_Noreturn static void daemon_main(const char *record, int ready) {
        char cg[2048], tmp[4096];
        FILE *f;

        signal(SIGTERM, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        own_cgroup(cg, sizeof(cg));
        snprintf(tmp, sizeof(tmp), "%s.tmp.%d", record, (int) getpid());
        f = fopen(tmp, "w");
        if (!f || fprintf(f, "%d %s\n", (int) getpid(), cg) < 0 || fclose(f) != 0 || rename(tmp, record) < 0)
                _exit(1);
        (void) !write(ready, "x", 1);
        close(ready);
        for (;;)
                pause();
}

int main(int argc, char **argv) {
        int fds[2];
        pid_t pid;
        char c;

        if (argc < 3 || strcmp(argv[1], "daemon") != 0) {
                fprintf(stderr, "usage: hostile-probe daemon RECORD [hold]\n");
                return 2;
        }
        if (pipe(fds) < 0)
                return 1;
        pid = fork();
        if (pid < 0)
                return 1;
        if (pid == 0) {
                close(fds[0]);
                if (setsid() < 0)
                        _exit(1);
                pid = fork();
                if (pid < 0)
                        _exit(1);
                if (pid == 0)
                        daemon_main(argv[2], fds[1]);
                _exit(0);
        }
        close(fds[1]);
        (void) waitpid(pid, NULL, 0);
        /* The daemon is recorded once it has written a byte (EOF: it died). */
        while (read(fds[0], &c, 1) < 0 && errno == EINTR)
                ;
        close(fds[0]);
        if (argc > 3 && strcmp(argv[3], "hold") == 0) {
                signal(SIGTERM, SIG_IGN);
                for (;;)
                        pause();
        }
        return 0;
}
