/* fdlimit.c - airsupd's file descriptors.
 *
 * Each running process costs airsupd about five fds (its pidfd, its
 * channel, its mailbox's bell and wake-up eventfd, its cgroup; one more
 * for a notify socket and for each log: output), so the limit decides how
 * big a tree can be.  Three things keep a short limit from wedging the
 * tree:
 *
 *   - airsupd takes the most it may have: its hard limit, and as root the
 *     kernel's fs.nr_open (as systemd does), while its children get the
 *     limit airsupd was started with;
 *   - --check and the start compute what the tree needs, and refuse a
 *     tree that cannot fit, with the numbers, instead of failing the
 *     4,000th start;
 *   - a reserve of fds is held for what must not fail: a start, a lane or
 *     a control client that finds the reserve short is refused (a start
 *     is then a failed start, counted toward its supervisor's intensity,
 *     which ends in a clear give-up), while the stop of a process (its
 *     cgroup.kill, its pidfd) takes from the reserve.
 *
 * One reserve per process: the fd table is the process's, and airsupd
 * has one thread. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "supervisor/start/fdlimit.h"

static int reserve[FDLIMIT_RESERVE];
static unsigned reserve_n;
static int reserve_src = -EBADF;

unsigned fdlimit_per_process(const cfg_node *n, bool cgroups) {
        /* pidfd, channel, bell memfd, bell eventfd; the exec-status pipe
         * while it starts. */
        unsigned k = 5;

        if (cgroups)
                k++;
        if (n->ready == CFG_READY_NOTIFY || n->health == CFG_HEALTH_WATCHDOG || n->health == CFG_HEALTH_HEARTBEAT)
                k++;
        if (n->out == CFG_OUTPUT_LOG || n->out == CFG_OUTPUT_CONSOLE)
                k++;
        if ((n->err == CFG_OUTPUT_LOG || n->err == CFG_OUTPUT_CONSOLE) &&
            !(n->err == n->out && (n->err_path == n->out_path ||
                                   (n->err_path && n->out_path && strcmp(n->err_path, n->out_path) == 0))))
                k++;
        if (n->health == CFG_HEALTH_EXEC)
                k += 2;                 /* its pidfd and exec-status pipe, while it runs */
        return k;
}

uint64_t fdlimit_need(const cfg *c) {
        uint64_t need = FDLIMIT_BASE;

        for (size_t i = 0; i < c->n_nodes; i++) {
                const cfg_node *n = &c->nodes[i];
                if (!n->supervisor)
                        need += (uint64_t) n->instances * fdlimit_per_process(n, c->cgroup != CFG_CGROUP_OFF);
        }
        return need;
}

static uint64_t nr_open(void) {
        _cleanup_fclose_ FILE *f = fopen("/proc/sys/fs/nr_open", "re");
        unsigned long long v;

        if (!f || fscanf(f, "%llu", &v) != 1 || v == 0)
                return 0;
        return v;
}

/* Raising a hard limit takes CAP_SYS_RESOURCE, which root has, except
 * where a container or a unit's CapabilityBoundingSet= took it away. */
static bool may_raise_hard_limit(void) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        unsigned long long caps;

        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "CapEff: %llx", &caps) == 1)
                        return caps & (1ULL << 24);     /* CAP_SYS_RESOURCE */
        return false;
}

uint64_t fdlimit_possible(void) {
        struct rlimit rl;
        uint64_t most;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return 0;
        most = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : rl.rlim_max;
        if (may_raise_hard_limit()) {
                uint64_t k = nr_open();
                if (k > most)
                        most = k;
        }
        return most;
}

int fdlimit_raise(struct rlimit *ret_before) {
        struct rlimit before, rl;
        uint64_t most;

        if (getrlimit(RLIMIT_NOFILE, &before) < 0)
                return -errno;
        *ret_before = before;
        most = fdlimit_possible();
        rl.rlim_max = most > before.rlim_max ? most : before.rlim_max;
        rl.rlim_cur = rl.rlim_max;
        if (rl.rlim_cur == before.rlim_cur && rl.rlim_max == before.rlim_max)
                return 0;
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
                return 0;
        /* Not allowed to raise the hard limit after all: the soft one. */
        rl = (struct rlimit) { .rlim_cur = before.rlim_max, .rlim_max = before.rlim_max };
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        return 0;
}

int fdlimit_check(const cfg *c, uint64_t limit, FILE *err) {
        uint64_t need = fdlimit_need(c), procs = 0;

        if (need <= limit)
                return 0;
        for (size_t i = 0; i < c->n_nodes; i++)
                if (!c->nodes[i].supervisor)
                        procs += c->nodes[i].instances;
        if (err)
                fprintf(err, "%s: the tree needs at least %llu file descriptors in airsupd (%llu processes, "
                        "%llu for airsupd itself), but it may have only %llu: raise its limit (ulimit -n, "
                        "LimitNOFILE=) or run fewer processes\n",
                        c->path, (unsigned long long) need, (unsigned long long) procs,
                        (unsigned long long) FDLIMIT_BASE, (unsigned long long) limit);
        return -EMFILE;
}

int fdlimit_reserve_init(void) {
        return fdlimit_reserve_full() ? 0 : -EMFILE;
}

bool fdlimit_reserve_full(void) {
        if (reserve_n == FDLIMIT_RESERVE)
                return true;
        if (reserve_src < 0) {
                reserve_src = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (reserve_src < 0)
                        return false;
        }
        while (reserve_n < FDLIMIT_RESERVE) {
                int fd = fcntl(reserve_src, F_DUPFD_CLOEXEC, 3);
                if (fd < 0)
                        return false;
                reserve[reserve_n++] = fd;
        }
        return true;
}

bool fdlimit_reserve_lend(void) {
        if (reserve_n == 0)
                return false;
        /* A copy of /dev/null: its close never waits. */
        (void) close(reserve[--reserve_n]);
        return true;
}

void fdlimit_reserve_done(void) {
        while (reserve_n > 0)
                (void) close(reserve[--reserve_n]);
        reserve_src = safe_close(reserve_src);
}

int fdlimit_openat(int dir, const char *path, int flags) {
        int fd = openat(dir, path, flags);

        if (fd < 0 && (errno == EMFILE || errno == ENFILE) && fdlimit_reserve_lend())
                fd = openat(dir, path, flags);
        return fd;
}
