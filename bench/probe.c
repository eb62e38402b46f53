/* probe - what health probes cost airsupd, and how fast they find a hung
 * process.  In one run, with N groups (1000) of the same tree:
 *
 *   none       idle children, no probes: the baseline
 *   exec       health = exec:/bin/true every 1 s
 *   watchdog   health = watchdog at 100 ms (threshold 1), each child
 *              (bench/watchdog-child) sending WATCHDOG=1 every 50 ms
 *
 * For each, airsupd's CPU (it and airsupd-spawner, utime + stime) over a
 * window once the tree is ready, and airsupd's alone (an exec: probe is
 * forked by the spawner).  Then, under watchdog, children are
 * stopped with SIGSTOP one at a time and the time to their health-failed
 * event is taken: systemd's WatchdogSec= semantics put it within the
 * interval (100 ms) of the last WATCHDOG=1.
 *
 * Usage: probe [--quick] [--groups N] [--only none|exec|watchdog] [--nice N]
 * (--only runs that tree alone, for iterating on one of them; --nice
 * gives the trees' airsupd [airsupd] nice = N.)
 * The last line of output is one JSON object with the headline figures. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"

extern char **environ;

#define PER_SUPERVISOR 100
#define INTERVAL_MS 100

typedef struct run {
        const char *name;
        bool ran;
        double cpu_pct;                 /* airsupd and its helpers */
        double self_pct;                /* airsupd alone */
        const char *note;
        double per_s;                   /* datagrams read a second (the floor's) */
        size_t n_failed0, n_failed;     /* health-failed events before the stops, and in all */
} run;

/* airsupd's stderr, line by line, and the pid of each group as the
 * "ready gNNNN pid=" events say. */
typedef struct events {
        int fd;
        char buf[1 << 16];
        size_t len;
        pid_t *pid;
        size_t n;
        int64_t *failed_at;             /* each group's last health-failed, as airsupd stamped it
                                         * (CLOCK_REALTIME, ns) */
        size_t n_failed;                /* health-failed events, of any group */
} events;

/* When each hang's event was read here, beside lat (airsupd's stamp). */
static double *seen_ms;

static int64_t real_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The time at the start of one of airsupd's log lines
 * ("2026-12-07T08:13:17.033651+00:00 ..."), CLOCK_REALTIME in ns; 0 if
 * there is none. */
static int64_t stamp_ns(const char *line) {
        struct tm tm = {};
        unsigned usec, oh, om;
        char sign;
        char *rest = strptime(line, "%Y-%m-%dT%H:%M:%S", &tm);
        int64_t off;

        if (!rest || sscanf(rest, ".%6u%c%2u:%2u", &usec, &sign, &oh, &om) != 4 || (sign != '+' && sign != '-'))
                return 0;
        off = ((int64_t) oh * 3600 + om * 60) * (sign == '+' ? 1 : -1);
        return ((int64_t) timegm(&tm) - off) * 1000000000LL + (int64_t) usec * 1000;
}

/* Reads what is there (waiting at most MS); returns the index of a group
 * whose "health-failed" came, or -1. */
static long events_read(events *ev, int ms) {
        struct pollfd p = { .fd = ev->fd, .events = POLLIN };
        long failed = -1;
        ssize_t k;
        char *line, *nl;

        if (poll(&p, 1, ms) <= 0)
                return -1;
        k = read(ev->fd, ev->buf + ev->len, sizeof(ev->buf) - 1 - ev->len);
        if (k <= 0)
                return -1;
        ev->len += (size_t) k;
        ev->buf[ev->len] = '\0';
        line = ev->buf;
        while ((nl = strchr(line, '\n'))) {
                unsigned g;
                int pid;
                char *s;

                *nl = '\0';
                if ((s = strstr(line, " ready g")) && sscanf(s, " ready g%u pid=%d", &g, &pid) == 2 && g < ev->n)
                        ev->pid[g] = pid;
                else if ((s = strstr(line, " health-failed g")) && sscanf(s, " health-failed g%u", &g) == 1 &&
                         g < ev->n) {
                        failed = (long) g;
                        ev->failed_at[g] = stamp_ns(line);
                        ev->n_failed++;
                }
                line = nl + 1;
        }
        ev->len = strlen(line);
        memmove(ev->buf, line, ev->len);
        if (ev->len == sizeof(ev->buf) - 1)
                ev->len = 0;
        return failed;
}

/* utime + stime of PID, in clock ticks. */
static long long cpu_ticks(pid_t pid) {
        char path[64], buf[1024], *rp;
        unsigned long long ut = 0, st = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        if (!fgets(buf, sizeof(buf), f))
                buf[0] = '\0';
        fclose(f);
        rp = strrchr(buf, ')');
        if (!rp || sscanf(rp + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
                return 0;
        return (long long) (ut + st);
}

/* airsupd and its helpers (its children whose name starts "airsupd-"). */
static long long supervisor_ticks(pid_t air) {
        long long t = cpu_ticks(air);
        DIR *d = opendir("/proc");
        struct dirent *de;

        while (d && (de = readdir(d))) {
                char path[300], buf[512], comm[64], *rp;
                int ppid;
                FILE *f;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
                if (!(f = fopen(path, "re")))
                        continue;
                if (!fgets(buf, sizeof(buf), f))
                        buf[0] = '\0';
                fclose(f);
                rp = strrchr(buf, ')');
                if (!rp || sscanf(rp + 1, " %*c %d", &ppid) != 1 || ppid != air)
                        continue;
                if (sscanf(buf, "%*d (%63[^)]", comm) == 1 && strncmp(comm, "airsupd-", 8) == 0)
                        t += cpu_ticks((pid_t) atoi(de->d_name));
        }
        if (d)
                closedir(d);
        return t;
}


static bool wait_ready(int fd, events *ev, double seconds) {
        int64_t end = bench_mono_ns() + (int64_t) (seconds * 1e9);

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                char buf[512];
                ssize_t k;

                if (bench_mono_ns() >= end)
                        return false;
                (void) events_read(ev, 0);
                if (poll(&p, 1, 20) <= 0)
                        continue;
                k = recv(fd, buf, sizeof(buf) - 1, 0);
                if (k <= 0)
                        continue;
                buf[k] = '\0';
                if (strstr(buf, "READY=1"))
                        return true;
        }
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

/* The floor under the watchdog tree: what it costs this machine only to
 * receive the pings, standing where airsupd stands.  A reader process
 * leading a session of its own (so an autogroup: airsupd's default
 * standing, [airsupd] nice = 0), and N bench/watchdog-child processes,
 * each in a session of its own as a group is, pinging its own socket
 * every INTERVAL_MS / 2.  The reader takes the sockets from one
 * level-triggered epoll set and reads what is queued on each ready
 * socket, up to 16 datagrams with one recvmmsg() (the cheapest reader
 * here; airsupd takes one datagram per recvmsg(), see BENCHMARKS.md), each
 * with the sender's credentials and the kernel's timestamp (what airsupd
 * asks for), and does nothing with them.  Its CPU over WINDOW_S into R; the
 * datagrams it read a second into R->per_s (N * 1000 / (INTERVAL_MS / 2)
 * is keeping up). */
#define FLOOR_BATCH 16

static void floor_reader(size_t n, long window_s, int out) {
        int *fds = calloc(n, sizeof(int)), ep = epoll_create1(EPOLL_CLOEXEC);
        pid_t *kids = calloc(n, sizeof(pid_t));
        char path[PATH_MAX + 64], env_sock[PATH_MAX + 80], env_usec[64], child[PATH_MAX + 32];
        posix_spawnattr_t at;
        int64_t start, end;
        long long read_n = 0;
        size_t spawned = 0;
        double per_s = -1;

        if (!fds || !kids || ep < 0 || setsid() < 0)
                goto out;
        posix_spawnattr_init(&at);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
        snprintf(child, sizeof(child), "%s/watchdog-child", bench_bindir);
        snprintf(env_usec, sizeof(env_usec), "WATCHDOG_USEC=%d", INTERVAL_MS * 1000);
        for (size_t i = 0; i < n; i++) {
                struct epoll_event ev = { .events = EPOLLIN, .data.u64 = i };
                int one = 1;

                snprintf(path, sizeof(path), "%s/floor-%zu.sock", bench_tmpdir, i);
                fds[i] = bench_notify_socket(path);
                (void) setsockopt(fds[i], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
                (void) setsockopt(fds[i], SOL_SOCKET, SO_TIMESTAMP, &one, sizeof(one));
                if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0)
                        goto out;
                snprintf(env_sock, sizeof(env_sock), "NOTIFY_SOCKET=%s", path);
                if (posix_spawn(&kids[i], child, NULL, &at, (char *[]) { child, NULL },
                                (char *[]) { env_sock, env_usec, NULL }) != 0)
                        goto out;
                spawned++;
        }
        /* A second to settle (as the airsupd trees get), then the window. */
        start = bench_mono_ns() + 1000000000LL;
        end = start + window_s * 1000000000LL;
        for (bool timing = false;;) {
                struct epoll_event ev[256];
                int64_t now = bench_mono_ns();
                int k;

                if (!timing && now >= start) {
                        timing = true;
                        start = now;
                        end = start + window_s * 1000000000LL;
                        bench_write_all(out, "S", 1);
                }
                if (timing && now >= end)
                        break;
                k = epoll_wait(ep, ev, 256, 50);
                for (int j = 0; j < k; j++) {
                        static char buf[FLOOR_BATCH][4096];
                        static union {
                                struct cmsghdr align;
                                char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(struct timeval))];
                        } control[FLOOR_BATCH];
                        struct iovec iov[FLOOR_BATCH];
                        struct mmsghdr mm[FLOOR_BATCH];
                        int got;

                        for (int b = 0; b < FLOOR_BATCH; b++) {
                                iov[b] = (struct iovec) { .iov_base = buf[b], .iov_len = sizeof(buf[b]) };
                                mm[b] = (struct mmsghdr) { .msg_hdr = { .msg_iov = &iov[b], .msg_iovlen = 1,
                                                                        .msg_control = &control[b],
                                                                        .msg_controllen = sizeof(control[b]) } };
                        }
                        got = recvmmsg(fds[ev[j].data.u64], mm, FLOOR_BATCH, MSG_DONTWAIT | MSG_CMSG_CLOEXEC, NULL);
                        if (got > 0 && timing)
                                read_n += got;
                }
        }
        per_s = (double) read_n / ((double) (bench_mono_ns() - start) / 1e9);
out:
        bench_write_all(out, &per_s, sizeof(per_s));
        for (size_t i = 0; i < spawned; i++)
                (void) kill(kids[i], SIGKILL);
        for (size_t i = 0; i < spawned; i++)
                (void) waitpid(kids[i], NULL, 0);
        _exit(0);
}

static void run_floor(size_t n, long window_s, run *r) {
        int pfd[2];
        double per_s = -1;
        long long t0;
        int64_t start;
        char c = 0;
        pid_t pid;

        if (pipe2(pfd, O_CLOEXEC) < 0)
                bench_die("pipe2");
        pid = fork();
        if (pid < 0)
                bench_die("fork");
        if (pid == 0) {
                close(pfd[0]);
                floor_reader(n, window_s, pfd[1]);
        }
        close(pfd[1]);
        if (bench_read_within(pfd[0], &c, 1, 120) && c == 'S') {
                t0 = cpu_ticks(pid);
                start = bench_mono_ns();
                if (bench_read_within(pfd[0], &per_s, sizeof(per_s), (double) window_s + 60) && per_s >= 0) {
                        double secs = (double) (bench_mono_ns() - start) / 1e9;
                        r->cpu_pct = r->self_pct = (double) (cpu_ticks(pid) - t0) / (double) sysconf(_SC_CLK_TCK) /
                                                   secs * 100.0;
                        r->per_s = per_s;
                        r->ran = true;
                }
        } else if (c != 'S')
                (void) bench_read_within(pfd[0], &per_s, sizeof(per_s), 1);
        if (!r->ran)
                r->note = "its children or sockets could not be made";
        close(pfd[0]);
        (void) waitpid(pid, NULL, 0);
}

/* [airsupd] nice for the trees (--nice N; default 0, airsupd's). */
static int airsupd_nice;

/* One tree of N groups with PROBE ("none", "exec", "watchdog"); its CPU
 * over WINDOW_S, and under watchdog the detection of STOPS hung children
 * into LAT (ms). */
static void run_tree(const char *probe, size_t n, long window_s, size_t stops, double *lat, size_t *n_lat, run *r) {
        char conf[PATH_MAX + 32], sock[PATH_MAX + 32], env_sock[PATH_MAX + 64], air[PATH_MAX + 32];
        static events ev;
        char **envp;
        size_t ne = 0;
        int fd, pfd[2];
        long long t0, self0;
        FILE *f;
        pid_t pid;

        snprintf(conf, sizeof(conf), "%s/probe-%s.conf", bench_tmpdir, probe);
        if (!(f = fopen(conf, "we")))
                bench_die(conf);
        if (airsupd_nice != 0)
                fprintf(f, "[airsupd]\nnice = %d\n", airsupd_nice);
        fprintf(f, "[supervisor:root]\nintensity = 100000\n");
        for (size_t s = 0; s < (n + PER_SUPERVISOR - 1) / PER_SUPERVISOR; s++) {
                fprintf(f, "[supervisor:s%03zu]\nintensity = 100000\n", s);
                for (size_t g = s * PER_SUPERVISOR; g < n && g < (s + 1) * PER_SUPERVISOR; g++) {
                        fprintf(f, "[group:g%04zu]\nparent = s%03zu\nbackoff = 0\n", g, s);
                        if (strcmp(probe, "exec") == 0)
                                fprintf(f, "command = %s/idle-child\nhealth = exec:/bin/true\nhealth_interval = 1s\n"
                                        "health_timeout = 500ms\n", bench_bindir);
                        else if (strcmp(probe, "watchdog") == 0)
                                fprintf(f, "command = %s/watchdog-child\nready = notify\nhealth = watchdog\n"
                                        "health_interval = %dms\nhealth_threshold = 1\n", bench_bindir, INTERVAL_MS);
                        else
                                fprintf(f, "command = %s/idle-child\n", bench_bindir);
                }
        }
        fclose(f);

        snprintf(sock, sizeof(sock), "%s/notify.sock", bench_tmpdir);
        fd = bench_notify_socket(sock);
        snprintf(env_sock, sizeof(env_sock), "NOTIFY_SOCKET=%s", sock);
        for (char **e = environ; *e; e++)
                ne++;
        if (!(envp = calloc(ne + 2, sizeof(char *))))
                bench_die("calloc");
        memcpy(envp, environ, ne * sizeof(char *));
        envp[ne] = env_sock;
        if (pipe2(pfd, O_CLOEXEC) < 0)
                bench_die("pipe2");
        free(ev.pid);
        free(ev.failed_at);
        ev = (events) { .fd = pfd[0], .n = n, .pid = calloc(n, sizeof(pid_t)), .failed_at = calloc(n, sizeof(int64_t)) };
        if (!ev.pid || !ev.failed_at)
                bench_die("calloc");
        snprintf(air, sizeof(air), "%s/airsupd", bench_builddir);
        pid = bench_spawn_session((char *[]) { air, "-c", conf, "--log=stderr", NULL }, envp, NULL, pfd[1]);
        close(pfd[1]);
        if (pid < 0)
                bench_die(air);
        if (!wait_ready(fd, &ev, 120)) {
                r->note = "no READY=1 within 120 s";
                goto out;
        }
        /* A second for the probes to settle into their rhythm. */
        for (int64_t end = bench_mono_ns() + 1000000000LL; bench_mono_ns() < end;)
                (void) events_read(&ev, 50);
        t0 = supervisor_ticks(pid);
        self0 = cpu_ticks(pid);
        {
                int64_t start = bench_mono_ns(), end = start + window_s * 1000000000LL;
                double secs;
                while (bench_mono_ns() < end)
                        (void) events_read(&ev, 50);
                secs = (double) (bench_mono_ns() - start) / 1e9;
                r->cpu_pct = (double) (supervisor_ticks(pid) - t0) / (double) sysconf(_SC_CLK_TCK) / secs * 100.0;
                r->self_pct = (double) (cpu_ticks(pid) - self0) / (double) sysconf(_SC_CLK_TCK) / secs * 100.0;
        }
        r->ran = true;
        r->n_failed0 = ev.n_failed;
        /* Hung children, one at a time, spread over the tree. */
        for (size_t k = 0; lat && k < stops; k++) {
                size_t g = (k * 97 + 13) % n;
                pid_t victim = ev.pid[g];
                int64_t s0, s0_real, deadline;

                if (victim <= 0)
                        continue;
                s0 = bench_mono_ns();
                s0_real = real_ns();
                (void) kill(victim, SIGSTOP);
                deadline = s0 + 5000000000LL;
                while (ev.failed_at[g] <= s0_real && bench_mono_ns() < deadline)
                        (void) events_read(&ev, 100);
                /* By airsupd's own stamp of the event, not by when this
                 * program got to read it: the reader is a process at nice 0
                 * among a thousand busy groups, and was seen to read
                 * hundreds of ms late. */
                if (ev.failed_at[g] > s0_real) {
                        seen_ms[*n_lat] = (double) (bench_mono_ns() - s0) / 1e6;
                        lat[(*n_lat)++] = (double) (ev.failed_at[g] - s0_real) / 1e6;
                }
                /* Until its successor is ready: the next stop is of a
                 * different group anyway. */
        }
        r->n_failed = ev.n_failed;
out:
        /* Not read any more: airsupd's writes fail rather than block its
         * shutdown. */
        close(pfd[0]);
        bench_stop(pid, 30);
        close(fd);
        free(envp);
}

/* Processes this machine can fork and exec a second: /bin/true, one after
 * another for a quarter of a second, times the CPUs. */
static double exec_capacity(void) {
        int64_t start = bench_mono_ns(), end = start + 250000000LL;
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        unsigned n = 0;

        while (bench_mono_ns() < end) {
                pid_t pid;

                if (posix_spawn(&pid, "/bin/true", NULL, NULL, (char *[]) { "/bin/true", NULL }, environ) != 0)
                        return 0;
                (void) waitpid(pid, NULL, 0);
                n++;
        }
        return (double) n / ((double) (bench_mono_ns() - start) / 1e9) * (double) (ncpu > 0 ? ncpu : 1);
}

int main(int argc, char **argv) {
        bool quick = false;
        size_t n = 1000, n_exec, stops, n_lat = 0;
        long window_s;
        double *lat, p50 = -1, p99 = -1, seen50 = -1, seen99 = -1, capacity;
        run none = { .name = "none" }, ex = { .name = "exec 1s" }, wd = { .name = "watchdog 100ms" },
            fl = { .name = "  bare reader" };
        const char *only = NULL;
        char *args[16], exec_note[128];
        struct rlimit rl;
        int n_args = 0;

        /* --only is this bench's own; the rest are every bench's. */
        for (int i = 0; i < argc && n_args < 15; i++) {
                if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
                        only = argv[++i];
                else if (strcmp(argv[i], "--nice") == 0 && i + 1 < argc)
                        airsupd_nice = atoi(argv[++i]);
                else
                        args[n_args++] = argv[i];
        }
        args[n_args] = NULL;
        bench_args(n_args, args, "probe", 4000, " [--only none|exec|watchdog|floor] [--nice N]", &quick, &n);
        window_s = quick ? 3 : 10;
        stops = quick ? 20 : 100;
        if (!(lat = calloc(stops, sizeof(double))) || !(seen_ms = calloc(stops, sizeof(double))))
                bench_die("calloc");
        bench_dirs_init("probe");
        signal(SIGPIPE, SIG_IGN);
        /* The floor holds a socket per child. */
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }

        /* An exec: probe every second is N fork+execs a second.  A tree
         * whose probes alone would take more than half of what this
         * machine can fork and exec never gets ready (its starts wait
         * behind the probes): it is run with the groups that half
         * allows, and says so. */
        n_exec = n;
        capacity = exec_capacity();
        exec_note[0] = '\0';
        if (capacity > 0 && (double) n > capacity / 2) {
                n_exec = (size_t) (capacity / 2) / 100 * 100;
                if (n_exec < 100)
                        n_exec = 100;
                snprintf(exec_note, sizeof(exec_note), "%zu groups: this machine forks+execs %.0f a second",
                         n_exec, capacity);
                ex.note = exec_note;
        }

        printf("probe: %zu groups, %d per supervisor; CPU window %ld s; %zu hung children\n", n, PER_SUPERVISOR,
               window_s, stops);
        if (!only || strcmp(only, "none") == 0)
                run_tree("none", n, window_s, 0, NULL, NULL, &none);
        if (!only || strcmp(only, "exec") == 0)
                run_tree("exec", n_exec, window_s, 0, NULL, NULL, &ex);
        if (!only || strcmp(only, "watchdog") == 0 || strcmp(only, "floor") == 0)
                run_floor(n, window_s, &fl);
        if (!only || strcmp(only, "watchdog") == 0)
                run_tree("watchdog", n, window_s, stops, lat, &n_lat, &wd);
        if (n_lat > 0) {
                qsort(lat, n_lat, sizeof(double), cmp_double);
                p50 = lat[n_lat / 2];
                p99 = lat[(size_t) ((double) (n_lat - 1) * 0.99)];
                qsort(seen_ms, n_lat, sizeof(double), cmp_double);
                seen50 = seen_ms[n_lat / 2];
                seen99 = seen_ms[(size_t) ((double) (n_lat - 1) * 0.99)];
        }
        if (fl.ran) {
                static char fl_note[128];
                snprintf(fl_note, sizeof(fl_note), "reads %.0f of the %zu datagrams a second sent", fl.per_s,
                         n * 1000 / (INTERVAL_MS / 2));
                fl.note = fl_note;
        }

        printf("\n%-16s %11s %14s  %s\n", "probes", "airsupd CPU", "airsupd alone", "");
        for (const run *r = &none; r; r = r == &none ? &ex : r == &ex ? &wd : r == &wd ? &fl : NULL) {
                if (r->ran)
                        printf("%-16s %10.1f%% %13.1f%%  %s\n", r->name, r->cpu_pct, r->self_pct,
                               r->note ? r->note : "");
                else
                        printf("%-16s %11s %14s  %s\n", r->name, "-", "-", r->note ? r->note : "did not run");
        }
        if (fl.ran)
                printf("(bare reader: the floor, no airsupd: %zu watchdog children pinging sockets that one process "
                       "only reads)\n", n);
        printf("\nhung child (SIGSTOP) -> health-failed (airsupd's stamp), watchdog at %d ms, threshold 1: %zu of %zu "
               "detected, p50 %.1f ms, p99 %.1f ms\n(read here: p50 %.1f ms, p99 %.1f ms); health-failed of groups nobody "
               "stopped: %zu before the stops, %zu during them\n", INTERVAL_MS, n_lat, stops, p50, p99, seen50, seen99,
               wd.n_failed0, wd.n_failed > wd.n_failed0 + n_lat ? wd.n_failed - wd.n_failed0 - n_lat : 0);
        printf("systemd's WatchdogSec=%dms: killed within %d ms of the last WATCHDOG=1, i.e. %d..%d ms after a hang "
               "with pings every %d ms\n", INTERVAL_MS, INTERVAL_MS, INTERVAL_MS / 2, INTERVAL_MS, INTERVAL_MS / 2);

        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", bench_tmpdir);
        (void) !system(cmd);

        printf("{\"bench\":\"probe\",\"groups\":%zu,\"exec_groups\":%zu,\"exec_capacity_per_s\":%.0f", n, n_exec,
               capacity);
        printf(none.ran ? ",\"none_1000_cpu_pct\":%.2f" : ",\"none_1000_cpu_pct\":null", none.cpu_pct);
        printf(ex.ran ? ",\"exec_1000_cpu_pct\":%.2f" : ",\"exec_1000_cpu_pct\":null", ex.cpu_pct);
        printf(ex.ran ? ",\"exec_1000_airsupd_cpu_pct\":%.2f" : ",\"exec_1000_airsupd_cpu_pct\":null", ex.self_pct);
        printf(wd.ran ? ",\"watchdog_1000_cpu_pct\":%.2f" : ",\"watchdog_1000_cpu_pct\":null", wd.cpu_pct);
        printf(fl.ran ? ",\"watchdog_floor_cpu_pct\":%.2f,\"watchdog_floor_per_s\":%.0f" :
                        ",\"watchdog_floor_cpu_pct\":null,\"watchdog_floor_per_s\":null", fl.cpu_pct, fl.per_s);
        if (n_lat > 0)
                printf(",\"detect_p50_ms\":%.1f,\"detect_p99_ms\":%.1f,\"seen_p50_ms\":%.1f,\"seen_p99_ms\":%.1f}\n",
                       p50, p99, seen50, seen99);
        else
                printf(",\"detect_p50_ms\":null,\"detect_p99_ms\":null,\"seen_p50_ms\":null,\"seen_p99_ms\":null}\n");
        free(lat);
        free(seen_ms);
        if (only)
                return (none.ran || ex.ran || wd.ran || fl.ran) && (strcmp(only, "watchdog") != 0 || n_lat > 0) ? 0 : 1;
        return none.ran && ex.ran && wd.ran && n_lat > 0 ? 0 : 1;
}
