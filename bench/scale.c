/* scale - a big tree under airsupd: 1000 groups (bench/idle-child), 10 per
 * supervisor.  Measures the time until the whole tree is ready (READY=1 on
 * airsupd's NOTIFY_SOCKET), airsupd's RSS, its wake-ups over an idle
 * window (context switches: each one is a sleep that ended), and the time
 * a one_for_all supervisor of 100 children takes to restart them all after
 * one is killed (until it reports itself ready again).  Side by side, in
 * the same run: the raw floor (this program forking and exec'ing the same
 * children itself, one after the other) and, when installed, runit
 * (runsvdir) and s6 (s6-svscan) with the same number of services.
 *
 * Usage: scale [--quick] [--groups N]   (N up to 10000; runit and s6 only up to 4000)
 * The last line of output is one JSON object with the headline figures. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"

extern char **environ;

#define PER_SUPERVISOR 10
#define BIG 100                         /* children of the one_for_all supervisor */
#define PEERS_MAX 4000
/* airsupd_memory_bytes' parts, in the order airsupd gives them. */
#define MEM_PARTS 9
static const char *const mem_parts[MEM_PARTS] = {
        "proc", "node", "notify", "probe", "channel", "cgroup", "events", "config", "other",
};
#define STRINGIFY2(x) #x
#define STRINGIFY(x) STRINGIFY2(x)

static char idle[PATH_MAX + 16];
/* How long airsupd may take to READY=1: 60 s, or 3x what the floor took
 * on a machine so busy that the floor alone takes longer. */
static int ready_timeout_s = 60;
/* With more groups than this, airsupd runs once more with this many,
 * for the marginal cost of a group. */
#define MARGINAL_BASE 1000

typedef struct result {
        const char *name;
        bool ran;
        const char *note;
        double start_ms;                /* until all N children run (airsupd: READY=1) */
        long rss_kb;                    /* supervisor process(es), summed */
        long rss_root_kb;               /* of those, the one the bench started (airsupd) */
        long pss_kb;                    /* the same, shared pages divided among sharers */
        long procs;                     /* supervisor processes */
        long wakeups;                   /* over the idle window, summed */
        double stop_ms;
        /* airsupd's heap by part (airsupd_memory_bytes{part=...}, read
         * with airsupctl metrics after the idle window), -1: not read. */
        double mem[MEM_PARTS];
} result;

/* One field ("VmRSS:", "voluntary_ctxt_switches:") of /proc/PID/status. */
static long status_field(pid_t pid, const char *key) {
        char path[64], line[256];
        size_t kl = strlen(key);
        long v = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, key, kl) == 0) {
                        v = atol(line + kl);
                        break;
                }
        fclose(f);
        return v;
}

static long pss(pid_t pid) {
        char path[64], line[256];
        long v = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "Pss:", 4) == 0) {
                        v = atol(line + 4);
                        break;
                }
        fclose(f);
        return v;
}

static long switches(pid_t pid) {
        long a = status_field(pid, "voluntary_ctxt_switches:");
        long b = status_field(pid, "nonvoluntary_ctxt_switches:");
        return a < 0 || b < 0 ? 0 : a + b;
}

/* Every process on the machine but zombies (this machine's init may be
 * slow to reap them: for this purpose they are gone). */
static size_t scan_procs(bench_proc **ret) {
        bench_proc *a;
        size_t n = bench_procs(&a), k = 0;

        for (size_t i = 0; i < n; i++)
                if (a[i].state != 'Z' && a[i].state != 'X')
                        a[k++] = a[i];
        *ret = a;
        return k;
}

/* The idle child is "idle-child", or "run" when a peer exec'd it through
 * the ./run symlink of a service directory. */
static bool is_idle(const char *comm) {
        return strcmp(comm, "idle-child") == 0 || strcmp(comm, "run") == 0;
}

static int cmp_pid(const void *a, const void *b) {
        const bench_proc *x = a, *y = b;
        return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Reaps whatever ended among this bench's children: it is a subreaper,
 * so the orphans of the supervisors it ran come to it. */
static void reap_orphans(void) {
        siginfo_t si;

        for (;;) {
                si.si_pid = 0;
                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
                        break;
        }
}

/* The idle children that are this bench's descendants, in A (sorted by
 * pid): FLAG[i] set for each.  Only those are counted or killed: another
 * session's idle-child processes on the same machine are not ours. */
static size_t scan_ours(bench_proc **ret, bool **ret_ours, size_t *ret_n) {
        bench_proc *a;
        size_t n, c = 0;
        bool *ours, changed = true;
        pid_t self = getpid();

        reap_orphans();
        n = scan_procs(&a);
        qsort(a, n, sizeof(*a), cmp_pid);
        ours = calloc(n ? n : 1, sizeof(bool));
        if (!ours)
                bench_die("calloc");
        /* A parent may come after its child: again until nothing changes
         * (as many passes as the tree is deep). */
        while (changed) {
                changed = false;
                for (size_t i = 0; i < n; i++) {
                        bench_proc key = { .pid = a[i].ppid }, *p;

                        if (ours[i])
                                continue;
                        p = a[i].ppid == self ? &key : bsearch(&key, a, n, sizeof(*a), cmp_pid);
                        if (p && (p == &key || ours[p - a])) {
                                ours[i] = true;
                                changed = true;
                        }
                }
        }
        for (size_t i = 0; i < n; i++) {
                ours[i] = ours[i] && is_idle(a[i].comm);
                c += ours[i];
        }
        *ret = a;
        *ret_ours = ours;
        *ret_n = n;
        return c;
}

static size_t count_idle(void) {
        bench_proc *a;
        bool *ours;
        size_t n, c = scan_ours(&a, &ours, &n);

        (void) n;

        free(a);
        free(ours);
        return c;
}

static void kill_idle(void) {
        bench_proc *a;
        bool *ours;
        size_t n;

        (void) scan_ours(&a, &ours, &n);
        for (size_t i = 0; i < n; i++)
                if (ours[i])
                        kill(a[i].pid, SIGKILL);
        free(a);
        free(ours);
}

static void wait_no_idle(double seconds) {
        int64_t end = bench_mono_ns() + (int64_t) (seconds * 1e9);
        while (count_idle() > 0 && bench_mono_ns() < end)
                bench_nap_ms(10);
}

/* The supervisor processes of a peer: ROOT and its children that are not
 * the supervised program itself. */
static size_t peer_supervisors(pid_t root, pid_t *out, size_t max) {
        bench_proc *a;
        size_t n = scan_procs(&a), k = 0;

        if (k < max)
                out[k++] = root;
        for (size_t i = 0; i < n && k < max; i++)
                if (a[i].ppid == root && !is_idle(a[i].comm))
                        out[k++] = a[i].pid;
        free(a);
        return k;
}

/* The supervisor processes of ROOT (into SUP, at most MAX): their RSS and
 * PSS summed, and their wake-ups over IDLE_S idle seconds, into R. */
static size_t measure_idle(pid_t root, pid_t *sup, size_t max, long idle_s, result *r) {
        size_t k = peer_supervisors(root, sup, max);
        long w0 = 0;

        r->procs = (long) k;
        r->rss_kb = r->pss_kb = r->rss_root_kb = 0;
        for (size_t i = 0; i < k; i++) {
                long v = status_field(sup[i], "VmRSS:"), q = pss(sup[i]);
                if (sup[i] == root)
                        r->rss_root_kb = v > 0 ? v : 0;
                r->rss_kb += v > 0 ? v : 0;
                r->pss_kb += q > 0 ? q : 0;
                w0 += switches(sup[i]);
        }
        bench_nap_ms(idle_s * 1000);
        r->wakeups = -w0;
        for (size_t i = 0; i < k; i++)
                r->wakeups += switches(sup[i]);
        return k;
}

/* The floor: N children forked and exec'd one after the other, each exec
 * confirmed (a close-on-exec pipe reaches EOF) before the next. */
static void run_floor(size_t n, result *r) {
        pid_t *pids = calloc(n, sizeof(pid_t));
        int64_t t0;

        if (!pids)
                bench_die("calloc");
        t0 = bench_mono_ns();
        for (size_t i = 0; i < n; i++) {
                int p[2];
                char c;

                if (pipe2(p, O_CLOEXEC) < 0)
                        bench_die("pipe2");
                pids[i] = fork();
                if (pids[i] < 0)
                        bench_die("fork");
                if (pids[i] == 0) {
                        char *argv[] = { idle, NULL };
                        setsid();
                        execve(idle, argv, environ);
                        _exit(127);
                }
                close(p[1]);
                (void) !read(p[0], &c, 1);
                close(p[0]);
        }
        r->start_ms = (double) (bench_mono_ns() - t0) / 1e6;
        r->ran = true;
        r->rss_kb = -1;
        r->pss_kb = -1;
        r->wakeups = -1;
        t0 = bench_mono_ns();
        for (size_t i = 0; i < n; i++)
                kill(pids[i], SIGTERM);
        for (size_t i = 0; i < n; i++)
                waitpid(pids[i], NULL, 0);
        r->stop_ms = (double) (bench_mono_ns() - t0) / 1e6;
        free(pids);
}


/* airsupd's heap by part, from `airsupctl metrics --prometheus` on
 * SOCK, into R->mem (-1 for a part not read). */
static void read_memory(const char *sock, result *r) {
        char cmd[3 * PATH_MAX], line[512];
        FILE *f;

        for (size_t i = 0; i < MEM_PARTS; i++)
                r->mem[i] = -1;
        snprintf(cmd, sizeof(cmd), "%s/airsupctl -s %s metrics --prometheus", bench_builddir, sock);
        f = popen(cmd, "re");
        if (!f)
                return;
        while (fgets(line, sizeof(line), f))
                for (size_t i = 0; i < MEM_PARTS; i++) {
                        char key[64];
                        size_t kl = (size_t) snprintf(key, sizeof(key), "airsupd_memory_bytes{part=\"%s\"} ",
                                                      mem_parts[i]);
                        if (strncmp(line, key, kl) == 0)
                                r->mem[i] = atof(line + kl);
                }
        (void) pclose(f);
}

/* airsupd with CGROUP = off (process groups) or required (a cgroup per
 * group, made as each starts). */
static void run_airsupd(size_t n, long idle_s, const char *cgroup, result *r) {
        char conf[PATH_MAX + 32], sock[PATH_MAX + 32], env_sock[PATH_MAX + 64], air[PATH_MAX + 32],
                ctl[PATH_MAX + 32];
        char **envp;
        size_t ne = 0;
        FILE *f;
        pid_t pid, sup[8];
        int fd;

        snprintf(conf, sizeof(conf), "%s/scale.conf", bench_tmpdir);
        f = fopen(conf, "we");
        if (!f)
                bench_die(conf);
        snprintf(ctl, sizeof(ctl), "%s/control", bench_tmpdir);
        fprintf(f, "[airsupd]\ncgroup = %s\ncontrol = %s\n", cgroup, ctl);
        for (size_t s = 0; s < (n + PER_SUPERVISOR - 1) / PER_SUPERVISOR; s++) {
                fprintf(f, "[supervisor:s%04zu]\n", s);
                for (size_t g = s * PER_SUPERVISOR; g < n && g < (s + 1) * PER_SUPERVISOR; g++)
                        fprintf(f, "[group:g%04zu]\nparent = s%04zu\ncommand = %s\n", g, s, idle);
        }
        fclose(f);

        snprintf(sock, sizeof(sock), "%s/notify.sock", bench_tmpdir);
        fd = bench_notify_socket(sock);
        snprintf(env_sock, sizeof(env_sock), "NOTIFY_SOCKET=%s", sock);
        for (char **e = environ; *e; e++)
                ne++;
        envp = calloc(ne + 2, sizeof(char *));
        if (!envp)
                bench_die("calloc");
        for (size_t i = 0; i < ne; i++)
                envp[i] = environ[i];
        envp[ne] = env_sock;

        snprintf(air, sizeof(air), "%s/airsupd", bench_builddir);
        char *argv[] = { air, "-c", conf, "--log=stderr", NULL };
        int64_t t0 = bench_mono_ns();
        pid = bench_spawn(argv, envp, NULL, -1);
        if (pid < 0)
                bench_die(air);
        if (!bench_wait_ready(fd, ready_timeout_s)) {
                r->note = "no READY=1 within 60 s and 3x the floor's time";
                bench_stop(pid, 10);
                close(fd);
                free(envp);
                return;
        }
        r->start_ms = (double) (bench_mono_ns() - t0) / 1e6;
        if (count_idle() != n)
                r->note = "WRONG number of children after READY=1";
        /* airsupd and its helpers (airsupd-spawner), summed as for a peer. */
        (void) measure_idle(pid, sup, sizeof(sup) / sizeof(sup[0]), idle_s, r);
        /* After the RSS: building the metrics text grows the heap. */
        read_memory(ctl, r);
        r->stop_ms = bench_stop(pid, 30);
        r->ran = true;
        wait_no_idle(10);
        close(fd);
        free(envp);
}

/* Reads airsupd's stderr event lines until one contains WHAT or SECONDS
 * pass; *PID_OF, when not NULL, receives the pid in the first line that
 * contains PID_KEY. */
/* airsupd's events as they arrive on a pipe, line by line: what one
 * read() brought is consumed whole before the next poll(). */
typedef struct line_reader {
        int fd;
        char buf[65536];
        size_t len;
} line_reader;

/* The next complete line (NUL-terminated, in R's buffer, valid until the
 * next call), NULL on timeout or EOF. */
static char *next_line(line_reader *r, int64_t end_ns, size_t *consumed) {
        memmove(r->buf, r->buf + *consumed, r->len - *consumed);
        r->len -= *consumed;
        *consumed = 0;
        for (;;) {
                char *nl = memchr(r->buf, '\n', r->len);
                struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
                ssize_t n;

                if (nl) {
                        *nl = '\0';
                        *consumed = (size_t) (nl - r->buf) + 1;
                        return r->buf;
                }
                if (r->len == sizeof(r->buf) - 1)
                        r->len = 0;             /* a line this long is not ours: drop it */
                if (bench_mono_ns() >= end_ns)
                        return NULL;
                if (poll(&pfd, 1, 100) <= 0)
                        continue;
                n = read(r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len);
                if (n <= 0)
                        return NULL;
                r->len += (size_t) n;
        }
}

static bool read_until(line_reader *r, const char *what, double seconds, const char *pid_key, pid_t *pid_of) {
        int64_t end = bench_mono_ns() + (int64_t) (seconds * 1e9);
        size_t consumed = 0;
        char *line;
        bool found = false;

        while (!found && (line = next_line(r, end, &consumed))) {
                if (pid_key && pid_of && strstr(line, pid_key)) {
                        const char *p = strstr(line, " pid=");
                        if (p)
                                *pid_of = (pid_t) atoi(p + 5);
                }
                found = strstr(line, what) != NULL;
        }
        /* Keep what follows the line that was looked for. */
        memmove(r->buf, r->buf + consumed, r->len - consumed);
        r->len -= consumed;
        return found;
}

/* `airsupd --check` on a tree of N groups (100 per supervisor): the time
 * the configuration takes to load and validate, in ms, or -1. */
static double run_check(size_t n) {
        char conf[PATH_MAX + 32], air[PATH_MAX + 32];
        FILE *f;
        pid_t pid;
        int st;
        int64_t t0;

        snprintf(conf, sizeof(conf), "%s/check.conf", bench_tmpdir);
        f = fopen(conf, "we");
        if (!f)
                bench_die(conf);
        for (size_t g = 0; g < n; g++) {
                if (g % 100 == 0)
                        fprintf(f, "[supervisor:s%zu]\n", g / 100);
                fprintf(f, "[group:g%zu]\nparent = s%zu\ncommand = %s\nbackoff = 1s\n", g, g / 100, idle);
        }
        fclose(f);
        snprintf(air, sizeof(air), "%s/airsupd", bench_builddir);
        char *argv[] = { air, "--check", "-c", conf, NULL };
        t0 = bench_mono_ns();
        pid = bench_spawn(argv, NULL, NULL, -1);
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return -1;
        return (double) (bench_mono_ns() - t0) / 1e6;
}

/* A one_for_all supervisor of BIG children: kill the middle one, time until
 * the supervisor is ready again (all stopped in reverse, all started in
 * order).  Returns the median over ROUNDS, or -1. */
static double run_one_for_all(size_t rounds) {
        char conf[PATH_MAX + 32], air[PATH_MAX + 32], key[64];
        double *ms = calloc(rounds, sizeof(double)), med = -1;
        size_t done = 0;
        int p[2];
        FILE *f;
        static line_reader ev;
        pid_t pid, victim = 0;

        if (!ms)
                bench_die("calloc");
        snprintf(conf, sizeof(conf), "%s/big.conf", bench_tmpdir);
        f = fopen(conf, "we");
        if (!f)
                bench_die(conf);
        fprintf(f, "[supervisor:big]\nstrategy = one_for_all\nintensity = %zu\n", rounds + 5);
        for (size_t g = 0; g < BIG; g++)
                fprintf(f, "[group:b%03zu]\nparent = big\ncommand = %s\nbackoff = 0\n", g, idle);
        fclose(f);

        if (pipe2(p, O_CLOEXEC) < 0)
                bench_die("pipe2");
        snprintf(air, sizeof(air), "%s/airsupd", bench_builddir);
        char *argv[] = { air, "-c", conf, "--log=stderr", NULL };
        pid = bench_spawn(argv, NULL, NULL, p[1]);
        close(p[1]);
        if (pid < 0)
                bench_die(air);
        ev.fd = p[0];
        ev.len = 0;
        snprintf(key, sizeof(key), "started b%03d ", BIG / 2);
        if (!read_until(&ev, "ready big", 60, key, &victim))
                goto out;
        for (size_t i = 0; i < rounds; i++) {
                int64_t t0;

                if (victim <= 0)
                        break;
                t0 = bench_mono_ns();
                kill(victim, SIGKILL);
                victim = 0;
                if (!read_until(&ev, "ready big", 60, key, &victim))
                        break;
                ms[done++] = (double) (bench_mono_ns() - t0) / 1e6;
        }
        if (done > 0) {
                qsort(ms, done, sizeof(double), bench_cmp_double);
                med = ms[done / 2];
        }
out:
        bench_stop(pid, 30);
        close(ev.fd);
        free(ms);
        wait_no_idle(10);
        return med;
}

/* runit (runsvdir) and s6 (s6-svscan): a scan directory of N services
 * whose ./run is the idle child itself. */
static void run_peer(const char *name, const char *scanner, const char *opt, size_t n, long idle_s, result *r) {
        char dir[PATH_MAX + 32], path[PATH_MAX + 96];
        pid_t sup[4096], pid;
        size_t k;
        int64_t t0, end;

        if (access(scanner, X_OK) < 0) {
                r->note = "not installed";
                return;
        }
        snprintf(dir, sizeof(dir), "%s/%s", bench_tmpdir, name);
        if (mkdir(dir, 0755) < 0)
                bench_die(dir);
        for (size_t i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "%s/g%04zu", dir, i);
                if (mkdir(path, 0755) < 0)
                        bench_die(path);
                snprintf(path, sizeof(path), "%s/g%04zu/run", dir, i);
                if (symlink(idle, path) < 0)
                        bench_die(path);
        }
        char *argv[] = { (char *) scanner, opt ? (char *) opt : dir, opt ? dir : NULL, NULL };
        t0 = bench_mono_ns();
        pid = bench_spawn(argv, NULL, NULL, -1);
        if (pid < 0)
                bench_die(scanner);
        end = t0 + 120 * 1000000000LL;
        while (count_idle() < n && bench_mono_ns() < end)
                bench_nap_ms(20);
        if (count_idle() < n) {
                r->note = "not all services up within 120 s";
        } else {
                r->start_ms = (double) (bench_mono_ns() - t0) / 1e6;
                r->ran = true;
        }
        k = measure_idle(pid, sup, sizeof(sup) / sizeof(sup[0]), idle_s, r);
        /* Neither is stopped the same way: kill everything, it is not measured. */
        r->stop_ms = -1;
        for (size_t i = 0; i < k; i++)
                kill(sup[i], SIGKILL);
        waitpid(pid, NULL, 0);
        kill_idle();
        wait_no_idle(10);
}

static void print_row(const result *r, const result *floor_r) {
        if (!r->ran) {
                printf("%-10s %10s %9s %8s %8s %5s %9s %9s  %s\n", r->name, "-", "-", "-", "-", "-", "-", "-",
                       r->note ? r->note : "");
                return;
        }
        printf("%-10s %10.1f %8.2fx", r->name, r->start_ms,
               floor_r->start_ms > 0 ? r->start_ms / floor_r->start_ms : 0.0);
        if (r->rss_kb >= 0)
                printf(" %8ld %8ld %5ld", r->rss_kb, r->pss_kb, r->procs);
        else
                printf(" %8s %8s %5s", "-", "-", "-");
        if (r->wakeups >= 0)
                printf(" %9ld", r->wakeups);
        else
                printf(" %9s", "-");
        if (r->stop_ms >= 0)
                printf(" %9.1f", r->stop_ms);
        else
                printf(" %9s", "-");
        printf("  %s\n", r->note ? r->note : "");
}

int main(int argc, char **argv) {
        bool quick = false;
        size_t n = 1000, rounds;
        long idle_s;
        double ofa, check_fifth_ms, check_ms;
        char s6max[32];
        result floor_r = { .name = "floor" }, air = { .name = "airsupd" }, cg = { .name = "airsupd-cg" },
               runit = { .name = "runit" }, s6 = { .name = "s6" }, base = { .name = "airsupd" };

        bench_args(argc, argv, "scale", 10000, "; runit and s6 only up to 4000", &quick, &n);
        idle_s = quick ? 3 : 10;
        rounds = quick ? 3 : 11;

        bench_dirs_init("scale");
        snprintf(idle, sizeof(idle), "%s/idle-child", bench_bindir);
        signal(SIGPIPE, SIG_IGN);
        /* airsupd refuses a tree its fd limit cannot hold (about 6 fds
         * a process: pidfd, channel, mailbox bell and eventfd, ...); as
         * LimitNOFILE= would for a service, raise the limit it inherits
         * where this bench may (root), else it is what it is. */
        {
                struct rlimit rl;
                rlim_t want = (rlim_t) n * 8 + 1024;

                if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max < want) {
                        rl.rlim_cur = rl.rlim_max = want;
                        (void) setrlimit(RLIMIT_NOFILE, &rl);
                }
        }
        /* The orphans of the supervisors it runs come to it, so that
         * they are still counted (and killed) as its own. */
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);

        printf("scale: %zu groups, %d per supervisor; idle window %ld s; one_for_all of %d, %zu rounds%s\n",
               n, PER_SUPERVISOR, idle_s, BIG, rounds, quick ? " (--quick)" : "");
        run_floor(n, &floor_r);
        if (3 * floor_r.start_ms / 1000 > ready_timeout_s)
                ready_timeout_s = (int) (3 * floor_r.start_ms / 1000);
        run_airsupd(n, idle_s, "off", &air);
        /* Above MARGINAL_BASE groups, airsupd once more with that many:
         * what each group beyond them costs, fixed costs left out
         * (issue 30). */
        if (n > MARGINAL_BASE)
                run_airsupd(MARGINAL_BASE, idle_s, "off", &base);
        if (bench_cgroups())
                run_airsupd(n, idle_s, "required", &cg);
        else
                cg.note = "no cgroups here";
        ofa = run_one_for_all(rounds);
        /* N/5 and N groups: 5N would ask airsupd --check for more fds than
         * a usual limit lets a tree of 5N processes have (it refuses it). */
        check_ms = run_check(n);
        check_fifth_ms = run_check(n / 5);
        /* A peer runs one supervisor process per service (about 1.5 MB
         * each): beyond PEERS_MAX services they would not fit this VM. */
        if (n <= PEERS_MAX) {
                run_peer("runit", "/usr/bin/runsvdir", NULL, n, idle_s, &runit);
                snprintf(s6max, sizeof(s6max), "-c%zu", n + 16);   /* s6-svscan's default is 500 services */
                run_peer("s6", "/usr/bin/s6-svscan", s6max, n, idle_s, &s6);
        } else
                runit.note = s6.note = "not run above " STRINGIFY(PEERS_MAX) " services";

        printf("\n%-10s %10s %9s %8s %8s %5s %9s %9s\n", "", "start ms", "vs floor", "RSS kB", "PSS kB",
               "procs", "wakeups", "stop ms");
        print_row(&floor_r, &floor_r);
        print_row(&air, &floor_r);
        print_row(&cg, &floor_r);
        print_row(&runit, &floor_r);
        print_row(&s6, &floor_r);
        printf("\nairsupd: process groups (cgroup = off); airsupd-cg: a cgroup per group (cgroup = required)\n");
        if (cg.ran && air.ran && air.start_ms > 0)
                printf("goal: airsupd-cg start <= 1.3x airsupd: %s (%.2fx)\n",
                       cg.start_ms <= 1.3 * air.start_ms ? "met" : "NOT met", cg.start_ms / air.start_ms);
        else
                printf("goal: airsupd-cg start <= 1.3x airsupd: not measured (%s)\n", cg.note ? cg.note : "no run");
        /* Memory per group, by part (issue 30): airsupd's heap as it
         * measures it, and the RSS of airsupd and its spawner, which also
         * holds what no part does (libraries, stacks, allocator slack). */
        printf("\nmemory per group, bytes (airsupd's heap by part, airsupd_memory_bytes; fixed costs divided too)\n%-10s",
               "");
        for (size_t i = 0; i < MEM_PARTS; i++)
                printf(" %7s", mem_parts[i]);
        printf(" %7s %7s\n", "heap", "RSS");
        for (const result *m = &air; m; m = m == &air ? &cg : NULL) {
                double heap = 0;

                if (!m->ran || m->mem[0] < 0)
                        continue;
                printf("%-10s", m->name);
                for (size_t i = 0; i < MEM_PARTS; i++) {
                        printf(" %7.0f", m->mem[i] / (double) n);
                        heap += m->mem[i] > 0 ? m->mem[i] : 0;
                }
                printf(" %7.0f %7.0f\n", heap / (double) n, (double) m->rss_kb * 1024.0 / (double) n);
        }
        if (base.ran && air.ran && !base.note) {
                double d = (double) (n - MARGINAL_BASE);

                printf("marginal memory per group, %d -> %zu groups (RSS difference / %zu, this run): airsupd %.0f B, "
                       "spawner %.0f B, both %.0f B\n", MARGINAL_BASE, n, n - MARGINAL_BASE,
                       (double) (air.rss_root_kb - base.rss_root_kb) * 1024.0 / d,
                       (double) ((air.rss_kb - air.rss_root_kb) - (base.rss_kb - base.rss_root_kb)) * 1024.0 / d,
                       (double) (air.rss_kb - base.rss_kb) * 1024.0 / d);
        }
        printf("one_for_all restart of %d children (kill one -> supervisor ready): median %.1f ms\n", BIG, ofa);
        printf("airsupd --check: %zu groups %.1f ms, %zu groups %.1f ms (%.2fx the time for 5x the groups)\n",
               n / 5, check_fifth_ms, n, check_ms, check_fifth_ms > 0 ? check_ms / check_fifth_ms : -1);
        /* The goals of issue 30: a start within 1.2x the floor; RSS of
         * airsupd and its spawner within 8 MB up to 1000 groups, within
         * 2 kB a group above. */
        if (n <= 1000)
                printf("goals: start <= 1.2x floor: %s; RSS <= 8192 kB: %s (cgroups: %s); 0 idle wakeups: %s\n",
                       air.ran && air.start_ms <= 1.2 * floor_r.start_ms ? "met" : "NOT met",
                       air.ran && air.rss_kb <= 8192 ? "met" : "NOT met",
                       !cg.ran ? "not run" : cg.rss_kb <= 8192 ? "met" : "NOT met",
                       air.ran && air.wakeups == 0 ? "met" : "NOT met");
        else
                printf("goals: start <= 1.2x floor: %s; RSS <= 2 kB a group: %s (%.2f kB); 0 idle wakeups: %s\n",
                       air.ran && air.start_ms <= 1.2 * floor_r.start_ms ? "met" : "NOT met",
                       air.ran && air.rss_kb <= 2 * (long) n ? "met" : "NOT met",
                       air.ran ? (double) air.rss_kb / (double) n : -1.0,
                       air.ran && air.wakeups == 0 ? "met" : "NOT met");

        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", bench_tmpdir);
        (void) !system(cmd);

        printf("{\"bench\":\"scale\",\"groups\":%zu", n);
        if (air.ran)
                printf(",\"start_ms\":%.1f,\"rss_kb\":%ld,\"idle_wakeups\":%ld", air.start_ms, air.rss_kb,
                       air.wakeups);
        else
                printf(",\"start_ms\":null,\"rss_kb\":null,\"idle_wakeups\":null");
        if (cg.ran && air.ran && air.start_ms > 0)
                printf(",\"cgroup_start_ms\":%.1f,\"cgroup_start_ratio\":%.2f", cg.start_ms, cg.start_ms / air.start_ms);
        else
                printf(",\"cgroup_start_ms\":null,\"cgroup_start_ratio\":null");
        if (ofa >= 0)
                printf(",\"one_for_all_100_ms\":%.1f", ofa);
        else
                printf(",\"one_for_all_100_ms\":null");
        if (check_fifth_ms >= 0 && check_ms >= 0)
                printf(",\"check_ms\":%.1f,\"check_fifth_ms\":%.1f", check_ms, check_fifth_ms);
        else
                printf(",\"check_ms\":null,\"check_fifth_ms\":null");
        printf(",\"idle_window_s\":%ld,\"floor_start_ms\":%.1f", idle_s, floor_r.start_ms);
        /* Bytes of RSS each group above MARGINAL_BASE adds (issue 30). */
        if (base.ran && air.ran && !base.note) {
                double d = (double) (n - MARGINAL_BASE);

                printf(",\"marginal_airsupd_b\":%.0f,\"marginal_spawner_b\":%.0f",
                       (double) (air.rss_root_kb - base.rss_root_kb) * 1024.0 / d,
                       (double) ((air.rss_kb - air.rss_root_kb) - (base.rss_kb - base.rss_root_kb)) * 1024.0 / d);
        } else
                printf(",\"marginal_airsupd_b\":null,\"marginal_spawner_b\":null");
        /* For bench/summary's memory goal with a cgroup per group (issue 30). */
        if (cg.ran && cg.rss_kb >= 0)
                printf(",\"cgroup_rss_kb\":%ld", cg.rss_kb);
        else
                printf(",\"cgroup_rss_kb\":null");
        /* Heap bytes per group by part (mem_PART_b; cgroup_mem_PART_b
         * with a cgroup per group), issue 30. */
        for (const result *m = &air; m; m = m == &air ? &cg : NULL)
                for (size_t i = 0; i < MEM_PARTS; i++) {
                        printf(",\"%smem_%s_b\":", m == &cg ? "cgroup_" : "", mem_parts[i]);
                        if (m->ran && m->mem[i] >= 0)
                                printf("%.0f", m->mem[i] / (double) n);
                        else
                                printf("null");
                }
        printf("}\n");
        /* Success only when every figure of airsupd's was measured. */
        if (!air.ran || air.note || ofa < 0 || check_fifth_ms < 0 || check_ms < 0 || !floor_r.ran) {
                fprintf(stderr, "scale: not every figure was measured%s%s\n", air.note ? ": " : "",
                        air.note ? air.note : "");
                return 1;
        }
        return 0;
}
