/* state.c - what one deployment's airsupd leaves on disk: a lock, so that
 * a second airsupd for the same deployment refuses to start, and the list
 * of the processes it started, so that when it is killed anyway (SIGKILL,
 * the OOM killer) the next one finds them and stops them before it starts
 * the tree again on their ports.
 *
 * The list ("procs") is appended to, one line per start and per end:
 *
 *     + PID STARTTIME NAME
 *     - PID
 *
 * STARTTIME is field 22 of /proc/PID/stat (clock ticks since boot), so a
 * pid reused by an unrelated process is never taken for ours.  Appending
 * costs a write per event, whatever the size of the tree; the file is
 * rewritten from the live processes once it holds many more lines than
 * there are processes (state_compact()).  Each process airsupd starts is
 * the leader of a process group of its own, so a leftover is stopped as
 * its group. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "supervisor/start/spawn.h"
#include "supervisor/core/state.h"

#define LEFTOVER_GRACE_MSEC 5000
#define PROCS_LINE_MAX 256

/* FNV-1a of the configuration's real path: one deployment, one name. */
static uint32_t path_hash(const char *s) {
        uint32_t h = 2166136261u;

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 16777619u;
        return h;
}

int state_dir_default(const char *config_path, char *buf, size_t size) {
        _cleanup_free_ char *real = realpath(config_path, NULL);
        const char *base, *runtime = getenv("XDG_RUNTIME_DIR");
        size_t len;
        int n;

        if (!real)
                return -errno;
        base = strrchr(real, '/');
        base = base ? base + 1 : real;
        len = strcspn(base, ".");
        if (len == 0 || len > 64)
                len = len == 0 ? strlen(base) : 64;
        if (geteuid() == 0)
                n = snprintf(buf, size, "/run/airsup/%.*s-%08x", (int) len, base, path_hash(real));
        else if (runtime && runtime[0] == '/')
                n = snprintf(buf, size, "%s/airsup/%.*s-%08x", runtime, (int) len, base, path_hash(real));
        else
                n = snprintf(buf, size, "/tmp/airsup-%u/%.*s-%08x", (unsigned) geteuid(), (int) len, base,
                             path_hash(real));
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

/* Whether PATH, one level of a directory path, may hold what airsupd
 * keeps: a directory owned by root or airsupd's user that nobody else
 * can write to (a sticky one such as /tmp is fine: others can neither
 * rename nor remove what is ours in it).  A symbolic link is followed
 * only when root or airsupd's user made it (/var/run -> /run).  As
 * ssh-agent and tmux do: whoever else could write here could swap what
 * is below, a control socket or a list of pids to kill. */
static int dir_trusted(const char *path, char *err, size_t err_size) {
        uid_t me = geteuid();
        struct stat st;

        if (lstat(path, &st) < 0)
                return -errno;
        if (S_ISLNK(st.st_mode)) {
                if (st.st_uid != 0 && st.st_uid != me) {
                        snprintf(err, err_size, "%s is a symbolic link owned by uid %u, not by root or airsupd's "
                                 "user (uid %u)", path, (unsigned) st.st_uid, (unsigned) me);
                        return -EPERM;
                }
                if (stat(path, &st) < 0)
                        return -errno;
        }
        if (!S_ISDIR(st.st_mode)) {
                snprintf(err, err_size, "%s is not a directory", path);
                return -ENOTDIR;
        }
        if (st.st_uid != 0 && st.st_uid != me) {
                snprintf(err, err_size, "%s is owned by uid %u, not by root or airsupd's user (uid %u): "
                         "another user may have made it first", path, (unsigned) st.st_uid, (unsigned) me);
                return -EPERM;
        }
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
                snprintf(err, err_size, "%s is writable by others (mode %04o)", path, (unsigned) (st.st_mode & 07777));
                return -EPERM;
        }
        return 0;
}

int state_mkdir_trusted(const char *path, mode_t mode, const char *group, bool *ret_made, char *err,
                        size_t err_size) {
        char buf[PATH_MAX];
        gid_t gid = (gid_t) -1;
        bool made = false;
        int r;

        if (path[0] != '/') {
                snprintf(err, err_size, "%s is not an absolute path", path);
                return -EINVAL;
        }
        if (strlen(path) >= sizeof(buf)) {
                snprintf(err, err_size, "%s: path too long", path);
                return -ENAMETOOLONG;
        }
        if (group) {
                struct group *g = getgrnam(group);
                if (g)
                        gid = g->gr_gid;
        }
        r = dir_trusted("/", err, err_size);
        if (r < 0)
                return r;
        strcpy(buf, path);
        for (char *p = buf + 1;; p++) {
                if (*p != '/' && *p != '\0')
                        continue;
                if (p[-1] == '/') {             /* "//", or a trailing "/" */
                        if (*p == '\0')
                                break;
                        continue;
                }
                char c = *p;
                /* A level made here is 0700, or 0750 and GROUP's where the
                 * control group must reach the socket below; the last MODE. */
                mode_t m = c == '\0' ? mode : gid != (gid_t) -1 ? 0750 : 0700;

                *p = '\0';
                made = mkdir(buf, m) == 0;
                if (made) {
                        if (gid != (gid_t) -1 && (m & 0070))
                                (void) chown(buf, (uid_t) -1, gid);
                        (void) chmod(buf, m);   /* what the umask took */
                } else if (errno != EEXIST) {
                        r = -errno;
                        snprintf(err, err_size, "cannot create %s: %s", buf, strerror(-r));
                        return r;
                }
                r = dir_trusted(buf, err, err_size);
                if (r < 0) {
                        if (r != -EPERM && r != -ENOTDIR)
                                snprintf(err, err_size, "cannot look at %s: %s", buf, strerror(-r));
                        return r;
                }
                *p = c;
                if (c == '\0')
                        break;
        }
        if (ret_made)
                *ret_made = made;
        return 0;
}

int state_open(const char *dir, const char *group, sup_state *st, char *err, size_t err_size) {
        char path[PATH_MAX];
        int r;

        *st = (sup_state) { .lock_fd = -EBADF, .procs_fd = -EBADF };
        if (strlen(dir) >= sizeof(st->dir)) {
                snprintf(err, err_size, "state directory path too long");
                return -ENAMETOOLONG;
        }
        memcpy(st->dir, dir, strlen(dir) + 1);
        r = state_mkdir_trusted(dir, 0700, group, NULL, err, err_size);
        if (r < 0) {
                char why[PATH_MAX + 128];

                snprintf(why, sizeof(why), "%s", err);
                snprintf(err, err_size, "the state directory %s: %s", dir, why);
                return r == -ENOTDIR ? -EPERM : r;
        }
        snprintf(path, sizeof(path), "%s/lock", dir);
        /* A lock file that an exiting airsupd unlinked after we opened it
         * locks nothing: take the lock on the file that is there now. */
        for (unsigned attempt = 0;; attempt++) {
                struct stat a, b;

                st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (st->lock_fd < 0) {
                        r = -errno;
                        snprintf(err, err_size, "cannot open %s: %s", path, strerror(-r));
                        return r;
                }
                if (flock(st->lock_fd, LOCK_EX | LOCK_NB) < 0) {
                        char pid[32] = "";
                        ssize_t n = pread(st->lock_fd, pid, sizeof(pid) - 1, 0);

                        r = -errno;
                        if (n > 0)
                                pid[strcspn(pid, "\n")] = '\0';
                        snprintf(err, err_size, "another airsupd (pid %s) runs this deployment: %s is locked",
                                 n > 0 && pid[0] ? pid : "?", path);
                        st->lock_fd = safe_close(st->lock_fd);
                        return r == -EWOULDBLOCK ? -EBUSY : r;
                }
                if (fstat(st->lock_fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
                    a.st_ino == b.st_ino)
                        break;
                st->lock_fd = safe_close(st->lock_fd);
                if (attempt == 3) {
                        snprintf(err, err_size, "%s keeps being replaced", path);
                        return -EBUSY;
                }
        }
        char pid[32];
        int len = snprintf(pid, sizeof(pid), "%d\n", (int) getpid());
        if (ftruncate(st->lock_fd, 0) < 0 || pwrite(st->lock_fd, pid, (size_t) len, 0) != len) {
                r = -errno;
                snprintf(err, err_size, "cannot write %s: %s", path, strerror(-r));
                return r;
        }
        return 0;
}

int state_proc_starttime(pid_t pid, unsigned long long *ret) {
        char state;
        pid_t ppid, pgrp;

        return sup_proc_stat_start(pid, &state, &ppid, &pgrp, ret);
}

/* This boot's id: a list written before a reboot names nothing of ours,
 * however its pids and start times happen to match (an early boot is
 * much the same each time). */
static void boot_id(char buf[static 40]) {
        _cleanup_(fclosep) FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

        buf[0] = '\0';
        if (!f || !fgets(buf, 40, f))
                buf[0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
}

typedef struct leftover {
        pid_t pid;
        unsigned long long start;
        size_t order;                   /* line number: later lines win */
        bool ended;
        char name[96];
} leftover;

static int by_pid_then_order(const void *a, const void *b) {
        const leftover *x = a, *y = b;

        if (x->pid != y->pid)
                return x->pid < y->pid ? -1 : 1;
        return x->order < y->order ? -1 : x->order > y->order;
}

/* The processes the previous airsupd started and did not see end.  Only
 * a list it could have written counts: a regular file of airsupd's user
 * that nobody else can write (the directory was checked already; this is
 * the last line of defence against a planted list of pids to kill). */
static size_t read_procs(const char *path, sup_events *ev, leftover **ret) {
        _cleanup_(fclosep) FILE *f = NULL;
        leftover *a = NULL;
        size_t n = 0, cap = 0, k = 0, order = 0;
        char line[PROCS_LINE_MAX], boot[40], theirs[40] = "";
        struct stat st;
        int fd;

        *ret = NULL;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0) {
                if (errno != ENOENT)
                        sup_log(ev, LOG_WARNING, "%s: cannot open: %s; not stopping any leftover", path,
                                strerror(errno));
                return 0;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
            (st.st_mode & (S_IWGRP | S_IWOTH))) {
                sup_log(ev, LOG_WARNING, "%s is not a file only airsupd's user can write: not stopping what "
                        "it names, ignoring", path);
                safe_close(fd);
                return 0;
        }
        f = fdopen(fd, "re");
        if (!f) {
                safe_close(fd);
                return 0;
        }
        boot_id(boot);
        if (!fgets(line, sizeof(line), f) || sscanf(line, "boot %39s", theirs) != 1 || !boot[0] ||
            strcmp(theirs, boot) != 0)
                return 0;
        while (fgets(line, sizeof(line), f)) {
                leftover e = { .order = order++ };
                int pid, len = 0;
                char kind;

                if (sscanf(line, "%c %d%n", &kind, &pid, &len) != 2 || pid <= 1)
                        continue;
                e.pid = pid;
                if (kind == '+') {
                        if (sscanf(line + len, " %llu %95s", &e.start, e.name) != 2)
                                continue;
                } else if (kind == '-')
                        e.ended = true;
                else
                        continue;
                if (n == cap) {
                        leftover *b = reallocarray(a, cap ? cap * 2 : 64, sizeof(leftover));
                        if (!b)
                                break;
                        a = b;
                        cap = cap ? cap * 2 : 64;
                }
                a[n++] = e;
        }
        if (n == 0) {
                free(a);
                return 0;
        }
        /* Per pid, the last line says whether it is still ours. */
        qsort(a, n, sizeof(leftover), by_pid_then_order);
        for (size_t i = 0; i < n; i++)
                if ((i + 1 == n || a[i + 1].pid != a[i].pid) && !a[i].ended)
                        a[k++] = a[i];
        *ret = a;
        return k;
}

/* Whether E is still the very process that was started (same start
 * time), or its process group outlived it: a pid that is a process
 * group's id is not reused while the group exists. */
static bool still_ours(const leftover *e) {
        unsigned long long start;

        if (state_proc_starttime(e->pid, &start) == 0)
                return start == e->start;
        return kill(-e->pid, 0) == 0;
}

size_t state_stop_leftovers(sup_state *st, sup_events *ev) {
        char path[PATH_MAX];
        _cleanup_free_ leftover *a = NULL;
        size_t n, k = 0;
        struct timespec t0, t;

        snprintf(path, sizeof(path), "%s/procs", st->dir);
        n = read_procs(path, ev, &a);
        for (size_t i = 0; i < n; i++) {
                if (!still_ours(&a[i])) {
                        a[i].pid = 0;
                        continue;
                }
                sup_log(ev, LOG_WARNING, "leftover %s pid=%d of a previous airsupd for this deployment: "
                        "stopping its process group", a[i].name, (int) a[i].pid);
                (void) kill(-a[i].pid, SIGTERM);
                (void) kill(-a[i].pid, SIGCONT);
                k++;
        }
        if (k == 0) {
                (void) unlink(path);
                return 0;
        }
        /* Bounded: what has not gone after the grace is killed. */
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
                size_t alive = 0;
                for (size_t i = 0; i < n; i++)
                        if (a[i].pid > 0 && sup_pgrp_alive(a[i].pid))
                                alive++;
                clock_gettime(CLOCK_MONOTONIC, &t);
                if (alive == 0 || (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >=
                                          LEFTOVER_GRACE_MSEC)
                        break;
                (void) poll(NULL, 0, 10);
        }
        for (size_t i = 0; i < n; i++) {
                if (a[i].pid <= 0)
                        continue;
                if (sup_pgrp_alive(a[i].pid)) {
                        sup_log(ev, LOG_WARNING, "leftover %s pid=%d did not stop within %d s: SIGKILL",
                                a[i].name, (int) a[i].pid, LEFTOVER_GRACE_MSEC / 1000);
                        (void) kill(-a[i].pid, SIGKILL);
                } else
                        sup_log(ev, LOG_NOTICE, "leftover %s pid=%d stopped", a[i].name, (int) a[i].pid);
        }
        (void) unlink(path);
        return k;
}

static int procs_open(sup_state *st) {
        char path[PATH_MAX], boot[40], line[64];
        struct stat sb;
        int len;

        if (st->procs_fd >= 0)
                return 0;
        snprintf(path, sizeof(path), "%s/procs", st->dir);
        st->procs_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (st->procs_fd < 0)
                return -errno;
        /* A new list starts with the boot it belongs to. */
        if (fstat(st->procs_fd, &sb) == 0 && sb.st_size == 0) {
                boot_id(boot);
                len = snprintf(line, sizeof(line), "boot %s\n", boot);
                (void) !write(st->procs_fd, line, (size_t) len);
        }
        return 0;
}

static int pending_add(sup_state *st, pid_t pid, bool ended, const char *name) {
        if (st->n_pending == st->pending_cap) {
                size_t cap = st->pending_cap ? st->pending_cap * 2 : 64;
                state_entry *a = reallocarray(st->pending, cap, sizeof(state_entry));
                if (!a)
                        return -ENOMEM;
                st->pending = a;
                st->pending_cap = cap;
        }
        st->pending[st->n_pending] = (state_entry) { .pid = pid, .ended = ended };
        snprintf(st->pending[st->n_pending].name, sizeof(st->pending[0].name), "%s", name);
        st->n_pending++;
        return 0;
}

/* Queued, written by state_flush(): off the path from a crash to the
 * restart, which this would otherwise lengthen by a /proc read and two
 * writes.  What a SIGKILL between the two loses is one process that the
 * next airsupd's stop would have found. */
void state_started(sup_state *st, pid_t pid, const char *name) {
        if (st && pending_add(st, pid, false, name) < 0)
                state_flush(st);
}

void state_ended(sup_state *st, pid_t pid) {
        if (st && pending_add(st, pid, true, "") < 0)
                state_flush(st);
}

void state_flush(sup_state *st) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;

        if (!st || st->n_pending == 0)
                return;
        buf = malloc(st->n_pending * PROCS_LINE_MAX);
        if (buf && procs_open(st) >= 0) {
                for (size_t i = 0; i < st->n_pending; i++) {
                        const state_entry *e = &st->pending[i];
                        unsigned long long start;

                        if (e->ended)
                                len += (size_t) snprintf(buf + len, PROCS_LINE_MAX, "- %d\n", (int) e->pid);
                        else if (state_proc_starttime(e->pid, &start) == 0)
                                len += (size_t) snprintf(buf + len, PROCS_LINE_MAX, "+ %d %llu %.95s\n",
                                                         (int) e->pid, start, e->name);
                }
                if (write(st->procs_fd, buf, len) == (ssize_t) len)
                        st->lines += st->n_pending;
        }
        st->n_pending = 0;
}

int state_compact_begin(sup_state *st, FILE **ret) {
        char path[PATH_MAX], boot[40];
        int fd;

        snprintf(path, sizeof(path), "%s/procs.new", st->dir);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        *ret = fdopen(fd, "we");
        if (!*ret) {
                safe_close(fd);
                return -ENOMEM;
        }
        boot_id(boot);
        fprintf(*ret, "boot %s\n", boot);
        return 0;
}

void state_compact_put(FILE *f, pid_t pid, const char *name) {
        unsigned long long start;

        if (state_proc_starttime(pid, &start) == 0)
                fprintf(f, "+ %d %llu %.95s\n", (int) pid, start, name);
}

int state_compact_end(sup_state *st, FILE *f, size_t lines) {
        /* What is queued came before the rewrite: the rewrite has it. */
        st->n_pending = 0;
        char from[PATH_MAX], to[PATH_MAX];
        bool ok = fflush(f) == 0 && !ferror(f);

        fclose(f);
        snprintf(from, sizeof(from), "%s/procs.new", st->dir);
        snprintf(to, sizeof(to), "%s/procs", st->dir);
        if (!ok || rename(from, to) < 0) {
                (void) unlink(from);
                return -EIO;
        }
        /* Appends go to the new file from now on. */
        st->procs_fd = safe_close(st->procs_fd);
        st->lines = lines;
        return 0;
}

void state_close(sup_state *st, bool clean) {
        char path[PATH_MAX];

        if (!st)
                return;
        if (clean) {
                /* Everything started has ended: nothing for the next one.
                 * The lock goes while still held (see state_open()), and
                 * the directory with it when it is empty and our own. */
                snprintf(path, sizeof(path), "%s/procs", st->dir);
                (void) unlink(path);
                snprintf(path, sizeof(path), "%s/cgroup", st->dir);
                (void) unlink(path);
                snprintf(path, sizeof(path), "%s/lock", st->dir);
                (void) unlink(path);
                if (st->remove_dir)
                        (void) rmdir(st->dir);
        }
        st->procs_fd = safe_close(st->procs_fd);
        st->lock_fd = safe_close(st->lock_fd);
        free(st->pending);
        st->pending = NULL;
        st->n_pending = st->pending_cap = 0;
}

void state_release(sup_state *st) {
        char path[PATH_MAX];

        if (!st || st->lock_fd < 0)
                return;
        snprintf(path, sizeof(path), "%s/lock", st->dir);
        (void) unlink(path);
        if (st->remove_dir)
                (void) rmdir(st->dir);
        state_close(st, /* clean= */ false);
}
