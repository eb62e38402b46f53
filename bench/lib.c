/* lib.c - the helpers the benchmarks share (bench.h). */
#define _GNU_SOURCE
#include <sched.h>
#include <stdbool.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"

extern char **environ;

char bench_bindir[PATH_MAX], bench_builddir[PATH_MAX], bench_tmpdir[PATH_MAX];

int64_t bench_mono_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void bench_nap_ms(long ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int bench_cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

void bench_die(const char *what) {
        perror(what);
        exit(1);
}

void bench_dirs_init(const char *name) {
        char self[PATH_MAX];
        ssize_t l = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (l < 0)
                bench_die("readlink /proc/self/exe");
        self[l] = '\0';
        snprintf(bench_bindir, sizeof(bench_bindir), "%s", self);
        *strrchr(bench_bindir, '/') = '\0';
        snprintf(bench_builddir, sizeof(bench_builddir), "%s", bench_bindir);
        *strrchr(bench_builddir, '/') = '\0';
        snprintf(bench_tmpdir, sizeof(bench_tmpdir), "/tmp/airsup-bench-%s.XXXXXX", name);
        if (!mkdtemp(bench_tmpdir))
                bench_die("mkdtemp");
        /* Every airsupd and airsupctl a bench starts uses this folder, not
         * the machine's /run/airsup (its control socket, its notify
         * sockets): a bench runs beside an airsupd in service. */
        if (setenv("AIRSUP_RUNTIME_DIR", bench_tmpdir, 1) < 0)
                bench_die("setenv");
}

size_t bench_procs(bench_proc **ret) {
        DIR *d = opendir("/proc");
        struct dirent *de;
        bench_proc *a = NULL;
        size_t n = 0, cap = 0;

        if (!d)
                bench_die("/proc");
        while ((de = readdir(d))) {
                char path[PATH_MAX], buf[512], *lp, *rp;
                int fd, ppid;
                char state;
                ssize_t k;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                k = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (k <= 0)
                        continue;
                buf[k] = '\0';
                /* "PID (COMM) S PPID ...": COMM may hold spaces and ')'. */
                lp = strchr(buf, '(');
                rp = strrchr(buf, ')');
                if (!lp || !rp || rp < lp || sscanf(rp + 1, " %c %d", &state, &ppid) != 2)
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 1024;
                        a = realloc(a, cap * sizeof(*a));
                        if (!a)
                                bench_die("realloc");
                }
                a[n] = (bench_proc) { .pid = atoi(de->d_name), .ppid = ppid, .state = state };
                snprintf(a[n].comm, sizeof(a[n].comm), "%.*s", (int) (rp - lp - 1), lp + 1);
                n++;
        }
        closedir(d);
        *ret = a;
        return n;
}

/* PID's descendants, found through /proc while PID still holds them
 * (once it dies they belong to a subreaper): at most MAX into RET. */
static size_t descendants(pid_t pid, pid_t *ret, size_t max) {
        bench_proc *all;
        size_t n = 0, n_all = bench_procs(&all);

        /* Level by level: first PID's children, then those of the
         * level before, RET[from..was). */
        for (size_t from = 0, was = 0, level = 0;; level++) {
                for (size_t i = 0; i < n_all && n < max; i++) {
                        bool child = level == 0 && all[i].ppid == pid;
                        for (size_t j = from; !child && j < was; j++)
                                child = all[i].ppid == ret[j];
                        if (child)
                                ret[n++] = all[i].pid;
                }
                if (n == was)
                        break;
                from = was;
                was = n;
        }
        free(all);
        return n;
}

static pid_t spawn(char *const argv[], char *const envp[], const char *out_path, int err_fd, bool session) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        pid_t pid;
        int r;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, out_path ? out_path : "/dev/null",
                                         O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (err_fd >= 0)
                posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
        else
                posix_spawn_file_actions_adddup2(&fa, 1, 2);
        posix_spawnattr_init(&at);
        if (session)
                posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
        else {
                posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
                posix_spawnattr_setpgroup(&at, 0);
        }
        r = posix_spawn(&pid, argv[0], &fa, &at, argv, envp ? envp : environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        if (r != 0) {
                errno = r;
                return -1;
        }
        return pid;
}

pid_t bench_spawn(char *const argv[], char *const envp[], const char *out_path, int err_fd) {
        return spawn(argv, envp, out_path, err_fd, false);
}

pid_t bench_spawn_session(char *const argv[], char *const envp[], const char *out_path, int err_fd) {
        return spawn(argv, envp, out_path, err_fd, true);
}

double bench_stop(pid_t pid, double seconds) {
        int64_t t0 = bench_mono_ns(), end = t0 + (int64_t) (seconds * 1e9);
        double ms;
        int st;

        kill(pid, SIGTERM);
        while (waitpid(pid, &st, WNOHANG) == 0) {
                if (bench_mono_ns() > end) {
                        /* Its whole tree, frozen first so that nothing
                         * new starts while it is found: each group is a
                         * session of its own, which kill(-PID) misses. */
                        static pid_t tree[1 << 16];
                        size_t n;

                        kill(pid, SIGSTOP);
                        n = descendants(pid, tree, sizeof(tree) / sizeof(tree[0]));
                        for (size_t i = 0; i < n; i++)
                                kill(tree[i], SIGSTOP);
                        n = descendants(pid, tree, sizeof(tree) / sizeof(tree[0]));
                        for (size_t i = 0; i < n; i++)
                                kill(tree[i], SIGKILL);
                        kill(-pid, SIGKILL);
                        waitpid(pid, &st, 0);
                        break;
                }
                bench_nap_ms(1);
        }
        ms = (double) (bench_mono_ns() - t0) / 1e6;
        kill(-pid, SIGKILL);
        return ms;
}

static cpu_set_t bench_cpus;
static bool bench_cpus_read;

void bench_pin(int nth) {
        cpu_set_t one;
        int k = 0;

        if (!bench_cpus_read) {
                bench_cpus_read = true;
                if (sched_getaffinity(0, sizeof(bench_cpus), &bench_cpus) < 0)
                        CPU_ZERO(&bench_cpus);
        }
        if (CPU_COUNT(&bench_cpus) < 2)
                return;
        for (int c = 0; c < CPU_SETSIZE; c++)
                if (CPU_ISSET(c, &bench_cpus) && k++ == nth) {
                        CPU_ZERO(&one);
                        CPU_SET(c, &one);
                        (void) sched_setaffinity(0, sizeof(one), &one);
                        return;
                }
}

void bench_unpin(void) {
        if (bench_cpus_read && CPU_COUNT(&bench_cpus) > 0)
                (void) sched_setaffinity(0, sizeof(bench_cpus), &bench_cpus);
}

bool bench_cgroups(void) {
        char line[4096], mount[PATH_MAX] = "", own[PATH_MAX] = "", path[2 * PATH_MAX];
        FILE *f = fopen("/proc/self/mountinfo", "re");

        while (f && fgets(line, sizeof(line), f))
                if (strstr(line, " - cgroup2 ") && sscanf(line, "%*s %*s %*s %*s %4095s", mount) == 1)
                        break;
        if (f)
                fclose(f);
        f = fopen("/proc/self/cgroup", "re");
        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, "0::", 3) == 0 && sscanf(line + 3, "%4095s", own) == 1)
                        break;
        if (f)
                fclose(f);
        if (!mount[0] || !own[0])
                return false;
        snprintf(path, sizeof(path), "%s%s", mount, strcmp(own, "/") == 0 ? "" : own);
        return access(path, W_OK) == 0;
}

int bench_notify_socket(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                bench_die("socket");
        if (strlen(path) >= sizeof(sa.sun_path)) {
                fprintf(stderr, "bench: socket path too long: %s\n", path);
                exit(1);
        }
        memcpy(sa.sun_path, path, strlen(path) + 1);
        unlink(path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                bench_die("bind");
        return fd;
}

bool bench_wait_ready(int fd, double seconds) {
        int64_t end = bench_mono_ns() + (int64_t) (seconds * 1e9);

        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                char buf[512];
                ssize_t k;
                int left = (int) ((end - bench_mono_ns()) / 1000000);

                if (left <= 0 || poll(&pfd, 1, left) <= 0)
                        return false;
                k = recv(fd, buf, sizeof(buf) - 1, 0);
                if (k <= 0)
                        continue;
                buf[k] = '\0';
                if (strstr(buf, "READY=1"))
                        return true;
        }
}

void bench_args(int argc, char **argv, const char *name, size_t max, const char *note, bool *quick, size_t *groups) {
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--quick") == 0)
                        *quick = true;
                else if (strcmp(argv[i], "--groups") == 0 && i + 1 < argc)
                        *groups = (size_t) atol(argv[++i]);
                else {
                        fprintf(stderr, "usage: %s [--quick] [--groups N]  (N up to %zu%s)\n", name, max, note);
                        exit(2);
                }
        }
        if (*groups == 0 || *groups > max) {
                fprintf(stderr, "%s: --groups must be 1..%zu\n", name, max);
                exit(2);
        }
}

void bench_write_result(const char *path, const char *text) {
        char tmp[PATH_MAX + 8];
        FILE *f;

        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        f = fopen(tmp, "we");
        if (!f)
                _exit(3);
        fputs(text, f);
        fclose(f);
        (void) rename(tmp, path);       /* whole, or not there */
}

static bool read_result(const char *path, double seconds, double *a, double *b) {
        int64_t end = bench_mono_ns() + (int64_t) (seconds * 1e9);

        while (bench_mono_ns() < end) {
                FILE *f = fopen(path, "re");
                if (f) {
                        int k = fscanf(f, "%lf %lf", a, b);
                        fclose(f);
                        if (k >= 1)
                                return true;
                }
                bench_nap_ms(20);
        }
        return false;
}

bool bench_under_airsupd(const char *conf_text, const char *result, double *a, double *b) {
        char conf[PATH_MAX + 32], air[PATH_MAX + 32], sock[PATH_MAX + 32];
        FILE *f;
        pid_t pid;
        bool ok;

        snprintf(conf, sizeof(conf), "%s/bench.conf", bench_tmpdir);
        f = fopen(conf, "we");
        if (!f)
                bench_die(conf);
        fputs(conf_text, f);
        fclose(f);
        unlink(result);
        snprintf(air, sizeof(air), "%s/airsupd", bench_builddir);
        /* A control socket of its own: at the default path, another
         * airsupd on the machine (a test, another bench) made this one
         * exit at once, and the bench waited out its result for nothing. */
        snprintf(sock, sizeof(sock), "%s/control", bench_tmpdir);
        char *argv[] = { air, "-c", conf, "--control", sock, NULL };
        pid = bench_spawn(argv, NULL, NULL, -1);
        if (pid < 0)
                bench_die(air);
        ok = read_result(result, 120, a, b);
        bench_stop(pid, 10);
        return ok;
}

double bench_median(double *v, unsigned n) {
        qsort(v, n, sizeof(double), bench_cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_cell(double v, int prec) {
        char b[32];

        if (v < 0)
                printf(" %12s", "-");
        else {
                snprintf(b, sizeof(b), "%.*f", prec, v);
                printf(" %12s", b);
        }
}

void bench_ratio(double a, double b) {
        if (a < 0 || b <= 0)
                printf(" %8s", "-");
        else
                printf(" %7.2fx", a / b);
}

const char *bench_met(bool known, bool ok) {
        return !known ? "unknown" : ok ? "met" : "NOT met";
}

void bench_json_num(const char *key, double v, int prec) {
        if (v < 0)
                printf(",\"%s\":null", key);
        else
                printf(",\"%s\":%.*f", key, prec, v);
}

bool bench_on_path(const char *prog, char *ret) {
        const char *p = getenv("PATH");

        while (p && *p) {
                size_t k = strcspn(p, ":");
                if (k > 0 && k < PATH_MAX) {
                        snprintf(ret, PATH_MAX + 16, "%.*s/%s", (int) k, p, prog);
                        if (access(ret, X_OK) == 0)
                                return true;
                }
                p += k + (p[k] == ':');
        }
        return false;
}

void bench_write_all(int fd, const void *buf, size_t len) {
        if (write(fd, buf, len) != (ssize_t) len)
                _exit(3);
}

/* LEN bytes from FD within SECONDS; whether they came. */
bool bench_read_within(int fd, void *buf, size_t len, double seconds) {
        int64_t end = bench_mono_ns() + (int64_t) (seconds * 1e9);

        for (size_t got = 0; got < len;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                int left = (int) ((end - bench_mono_ns()) / 1000000);
                ssize_t k;

                if (left <= 0 || poll(&pfd, 1, left) <= 0)
                        return false;
                k = read(fd, (char *) buf + got, len - got);
                if (k <= 0)
                        return false;
                got += (size_t) k;
        }
        return true;
}

/* Times the calling thread was preempted so far. */
static uint64_t bench_preempted(void) {
        struct rusage ru;

        return getrusage(RUSAGE_THREAD, &ru) < 0 ? 0 : (uint64_t) ru.ru_nivcsw;
}

void bench_stamp_put(bench_stamp *st, uint64_t i, uint8_t *buf) {
        if (i % st->chunk == 0)
                st->sw = bench_preempted();
        memcpy(buf + 8, &st->sw, sizeof(st->sw));
}

void bench_meter_init(bench_meter *m, uint64_t n_msgs, uint32_t chunk) {
        *m = (bench_meter) { .chunk = chunk, .max = n_msgs / chunk + 1 };
        m->rates = calloc(m->max, sizeof(double));
        if (!m->rates)
                bench_die("calloc");
}

void bench_meter_on(bench_meter *m, uint64_t i, const uint8_t *buf) {
        uint64_t k = i / m->chunk, sw;
        int64_t now;

        if (i % m->chunk != 0)
                return;
        now = bench_mono_ns();
        memcpy(&sw, buf + 8, sizeof(sw));
        /* Chunk k - 2 is decided now, by the sender's count at the start
         * of k - 3 and of k. */
        if (k >= 3 && m->last_own_clean && m->sw[0] == sw && m->n < m->max)
                m->rates[m->n++] = m->last_rate;
        if (k >= 1) {
                m->last_rate = (double) m->chunk / ((double) (now - m->t0) / 1e9);
                m->last_own_clean = bench_preempted() == m->own0;
        }
        m->sw[0] = m->sw[1];
        m->sw[1] = m->sw[2];
        m->sw[2] = sw;
        m->t0 = now;
        m->own0 = bench_preempted();
}

double bench_meter_done(bench_meter *m, size_t *ret_counted) {
        double r = m->n >= BENCH_COUNTED_MIN ? bench_median(m->rates, (unsigned) m->n) : -1;

        if (ret_counted)
                *ret_counted = m->n;
        free(m->rates);
        m->rates = NULL;
        return r;
}
