/* cgroup.c - a cgroup (v2) for every instance of a group.
 *
 * A process group is left by anything that calls setsid(); a cgroup is
 * not.  Where cgroup v2 is mounted and airsupd may write below its own
 * cgroup (root on the host, a systemd unit with Delegate=yes, PID 1 of a
 * container with a writable cgroup namespace), airsupd keeps its tree in
 * a directory of its own, the "top":
 *
 *     TOP/_airsupd                airsupd itself (and its helpers)
 *     TOP/root/web                the group web of the root supervisor
 *     TOP/root/sub/pool/0         instance 0 of the pool "pool" under sub
 *     TOP/root/web/_probe         web's exec: health probes
 *
 * TOP is airsupd's own cgroup when airsupd is alone in it (a delegated
 * unit, a container), else a directory airsupd-PID below it.  airsupd
 * moves itself into _airsupd so that TOP may enable controllers for the
 * tree (cgroup v2 lets a cgroup with controllers enabled for its children
 * have no processes of its own).  Node names start with a letter or a
 * digit, so none is _airsupd.
 *
 * A probe runs as the group's user, who may ptrace it: whatever it does
 * must stay the instance's, so it is cloned into a cgroup below the
 * instance's (never into _airsupd), one of its own so that what a probe
 * leaves can be killed when it ends without touching the group.  An
 * instance's cgroup has no controllers enabled for its children, so it
 * may hold processes and _probe both; its limits cover _probe's.
 *
 * Children are cloned into their cgroup (CLONE_INTO_CGROUP, spawn.c), a
 * stop signals every process in it and SIGKILL goes through cgroup.kill,
 * and the instance is empty when cgroup.events says "populated 0":
 * watched with inotify on the event loop, never polled, and reported to
 * the proc table (PROC_REPORT_GROUP_EMPTY).
 *
 * This file keeps each instance's cgroup (p->cgroup) and the limits'
 * tables; cgroup-tree.c sets up and takes down the tree's. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <syslog.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "supervisor/start/cgroup-fs.h"
#include "supervisor/start/cgroup.h"
#include "supervisor/start/fdlimit.h"

#define PROBE_KILL_PASSES 8
#define CPU_PERIOD_USEC 100000

static const struct {
        unsigned bit;
        const char *name;
} controllers[] = {
        { CGROUP_CPU, "cpu" },
        { CGROUP_MEMORY, "memory" },
        { CGROUP_PIDS, "pids" },
        { CGROUP_IO, "io" },
};

const char *cgroup_controller_name(unsigned bit) {
        for (size_t i = 0; i < ELEMENTSOF(controllers); i++)
                if (controllers[i].bit == bit)
                        return controllers[i].name;
        return NULL;
}

static const struct {
        const char *file;
        unsigned controller;
} limit_files[_CFG_LIMIT_MAX] = {
        [CFG_LIMIT_MEMORY_MAX] = { "memory.max", CGROUP_MEMORY },
        [CFG_LIMIT_MEMORY_HIGH] = { "memory.high", CGROUP_MEMORY },
        [CFG_LIMIT_PIDS_MAX] = { "pids.max", CGROUP_PIDS },
        [CFG_LIMIT_CPU_WEIGHT] = { "cpu.weight", CGROUP_CPU },
        [CFG_LIMIT_CPU_MAX] = { "cpu.max", CGROUP_CPU },
        [CFG_LIMIT_IO_WEIGHT] = { "io.weight", CGROUP_IO },
};

const char *cgroup_limit_file(cfg_limit_kind k) {
        return k >= 0 && k < _CFG_LIMIT_MAX ? limit_files[k].file : NULL;
}

unsigned cgroup_limit_controller(cfg_limit_kind k) {
        return k >= 0 && k < _CFG_LIMIT_MAX ? limit_files[k].controller : 0;
}

int cgroup_limit_render(cfg_limit_kind k, const cfg_limit *l, uint64_t ram_bytes, char *buf, size_t size) {
        unsigned long long v;
        int n;

        if (!l || !l->set || !buf || k < 0 || k >= _CFG_LIMIT_MAX)
                return -EINVAL;
        switch (k) {
        case CFG_LIMIT_MEMORY_MAX:
        case CFG_LIMIT_MEMORY_HIGH:
        case CFG_LIMIT_PIDS_MAX:
                if (l->infinity)
                        n = snprintf(buf, size, "max");
                else {
                        /* A share of RAM, rounded down to a page: the
                         * kernel would round it anyway. */
                        v = l->percent ? (unsigned long long) ((unsigned __int128) ram_bytes * l->value / 10000)
                                                 / 4096 * 4096
                                       : (unsigned long long) l->value;
                        n = snprintf(buf, size, "%llu", v);
                }
                break;
        case CFG_LIMIT_CPU_WEIGHT:
                n = snprintf(buf, size, "%llu", (unsigned long long) l->value);
                break;
        case CFG_LIMIT_IO_WEIGHT:
                n = snprintf(buf, size, "default %llu", (unsigned long long) l->value);
                break;
        case CFG_LIMIT_CPU_MAX:
                if (l->infinity)
                        n = snprintf(buf, size, "max %d", CPU_PERIOD_USEC);
                else
                        n = snprintf(buf, size, "%llu %d",
                                     (unsigned long long) (l->value * CPU_PERIOD_USEC / 10000), CPU_PERIOD_USEC);
                break;
        default:
                return -EINVAL;
        }
        return n < 0 || (size_t) n >= size ? -ENOBUFS : 0;
}

/* File I/O on the cgroup file system: short and whole. */
int cgroup_write_at(int dir, const char *path, const char *text) {
        _cleanup_close_ int fd = fdlimit_openat(dir, path, O_WRONLY | O_CLOEXEC);
        size_t len = strlen(text);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = write(fd, text, len);
        if (n < 0)
                return -errno;
        return (size_t) n == len ? 0 : -EIO;
}

ssize_t cgroup_read_at(int dir, const char *path, char *buf, size_t size) {
        _cleanup_close_ int fd = fdlimit_openat(dir, path, O_RDONLY | O_CLOEXEC);
        size_t len = 0;

        if (fd < 0)
                return -errno;
        while (len < size - 1) {
                ssize_t n = read(fd, buf + len, size - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        buf[len] = '\0';
        return (ssize_t) len;
}

/* The number after "KEY " in a flat-keyed file's text. */
bool cgroup_key_value(const char *text, const char *key, uint64_t *ret) {
        size_t l = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, l) == 0 && p[l] == ' ') {
                        *ret = strtoull(p + l + 1, NULL, 10);
                        return true;
                }
        return false;
}

/* The "0::PATH" line of /proc/PID/cgroup (PID 0: ours). */
int cgroup_read_own_path(pid_t pid, char *buf, size_t size) {
        char path[64], text[4096];
        ssize_t n;
        char *p, *nl;

        snprintf(path, sizeof(path), pid > 0 ? "/proc/%d/cgroup" : "/proc/self/cgroup", (int) pid);
        n = cgroup_read_at(AT_FDCWD, path, text, sizeof(text));
        if (n < 0)
                return (int) n;
        p = strstr(text, "0::");
        if (!p || (p != text && p[-1] != '\n'))
                return -ENOENT;
        p += 3;
        nl = strchr(p, '\n');
        if (nl)
                *nl = '\0';
        if (snprintf(buf, size, "%s", p) >= (int) size)
                return -ENAMETOOLONG;
        return 0;
}


unsigned cgroup_parse_controllers(const char *text) {
        unsigned bits = 0;
        char copy[512], *save = NULL;

        snprintf(copy, sizeof(copy), "%s", text);
        for (char *t = strtok_r(copy, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
                for (size_t i = 0; i < ELEMENTSOF(controllers); i++)
                        if (strcmp(t, controllers[i].name) == 0)
                                bits |= controllers[i].bit;
        return bits;
}

/* Enables WANT for the children of DIR; returns what is enabled. */
unsigned cgroup_enable_controllers(int dir, unsigned want) {
        char text[512];
        unsigned on = 0;

        for (size_t i = 0; i < ELEMENTSOF(controllers); i++) {
                if (!(want & controllers[i].bit))
                        continue;
                snprintf(text, sizeof(text), "+%s", controllers[i].name);
                if (cgroup_write_at(dir, "cgroup.subtree_control", text) >= 0)
                        on |= controllers[i].bit;
        }
        return on;
}


/* TOP/root/sub/group[/i] for P. */
static int leaf_path(const sup_proc *p, char *buf, size_t size) {
        const sup_node *chain[64];
        size_t n = 0, len;

        for (const sup_node *x = p->group; x && n < ELEMENTSOF(chain); x = x->parent)
                chain[n++] = x;
        len = (size_t) snprintf(buf, size, "%s", p->group->m->cgroup->top);
        while (n-- > 0 && len < size)
                len += (size_t) snprintf(buf + len, size - len, "/%s", chain[n]->cfg->name);
        if (len < size && p->group->cfg->instances > 1)
                len += (size_t) snprintf(buf + len, size - len, "/%u", p->instance);
        return len < size ? 0 : -ENAMETOOLONG;
}

static int on_events(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        sup_proc *p = userdata;

        (void) s;
        (void) ev;
        if (!cgroup_populated(p))
                (void) sup_report(p, PROC_REPORT_GROUP_EMPTY);
        return 0;
}

static int on_memory_events(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        sup_proc *p = userdata;
        char text[512];
        uint64_t kills;

        (void) s;
        (void) ev;
        if (cgroup_read_at(p->cgroup.fd, "memory.events", text, sizeof(text)) < 0 ||
            !cgroup_key_value(text, "oom_kill", &kills) ||
            kills <= p->cgroup.oom_kills)
                return 0;
        p->cgroup.oom_kills = kills;
        {
                sup_event e = { .type = SUP_EVENT_OOM_KILL, .priority = LOG_ERR, .pid = p->pid,
                                .incarnation = p->incarnation };
                snprintf(e.node, sizeof(e.node), "%s", p->name);
                snprintf(e.detail, sizeof(e.detail), "oom_kill=%llu", (unsigned long long) kills);
                sup_events_emit(&p->group->m->events, &e);
        }
        return 0;
}

/* Makes each directory of PATH below TOP; those above the leaf pass the
 * controllers on. */
static int make_dirs(sup_cgroup *g, char *path) {
        char *slash = path + strlen(g->top);

        while (slash) {
                slash = strchr(slash + 1, '/');
                if (slash)
                        *slash = '\0';
                if (mkdir(path, 0755) < 0 && errno != EEXIST) {
                        int r = -errno;
                        if (slash)
                                *slash = '/';
                        return r;
                }
                if (slash && g->enabled) {
                        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (fd >= 0)
                                (void) cgroup_enable_controllers(fd, g->enabled);
                }
                if (slash)
                        *slash = '/';
        }
        return 0;
}

/* What an unset limit is: the kernel's default. */
static const cfg_limit limit_none[_CFG_LIMIT_MAX] = {
        [CFG_LIMIT_MEMORY_MAX] = { .set = true, .infinity = true },
        [CFG_LIMIT_MEMORY_HIGH] = { .set = true, .infinity = true },
        [CFG_LIMIT_PIDS_MAX] = { .set = true, .infinity = true },
        [CFG_LIMIT_CPU_WEIGHT] = { .set = true, .value = 100 },
        [CFG_LIMIT_CPU_MAX] = { .set = true, .infinity = true },
        [CFG_LIMIT_IO_WEIGHT] = { .set = true, .value = 100 },
};

static bool limit_same(const cfg_limit *a, const cfg_limit *b) {
        return a->set == b->set && (!a->set || (a->infinity == b->infinity && a->percent == b->percent &&
                                                a->value == b->value));
}

void cgroup_proc_limits(sup_proc *p, const cfg_node *was) {
        sup_manager *m = p->group->m;
        sup_cgroup *g = m->cgroup;
        char text[128] = "";

        if (!g || p->cgroup.fd < 0)
                return;
        for (int k = 0; k < _CFG_LIMIT_MAX; k++) {
                const cfg_limit *l = &cfg_node_extra(p->group->cfg)->limits[k];
                int r;

                if (!(g->enabled & cgroup_limit_controller(k)))
                        continue;
                if (was ? limit_same(&cfg_node_extra(was)->limits[k], l) : !l->set)
                        continue;
                if (!l->set)
                        l = &limit_none[k];     /* no longer set: back to the default */
                r = cgroup_limit_render(k, l, g->ram_bytes, text, sizeof(text));
                if (r >= 0)
                        r = cgroup_write_at(p->cgroup.fd, cgroup_limit_file(k), text);
                if (r < 0)
                        sup_log(&m->events, LOG_WARNING, "%s: cannot set %s to '%s': %s", p->name,
                                cgroup_limit_file(k), text, strerror(-r));
        }
}

int cgroup_proc_open(sup_proc *p) {
        sup_manager *m = p->group->m;
        sup_cgroup *g = m->cgroup;
        char path[PATH_MAX], file[PATH_MAX + 32], text[512];
        int r;

        /* On some kernels (6.18 here) a cgroup that cgroup.kill was
         * written to kills at birth every child later cloned into it
         * (CLONE_INTO_CGROUP), for ever: each restart would die of
         * SIGKILL before it ran.  Such a cgroup, empty by now, is made
         * anew (its OOM count starts again with it). */
        if (g && p->cgroup.fd >= 0 && p->cgroup.killed && !cgroup_populated(p))
                cgroup_proc_close(p);
        if (!g || p->cgroup.fd >= 0)
                return 0;
        r = leaf_path(p, path, sizeof(path));
        if (r < 0)
                return r;
        r = make_dirs(g, path);
        if (r < 0)
                return r;
        p->cgroup.fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (p->cgroup.fd < 0)
                return -errno;
        p->cgroup.path = strdup(path);
        if (!p->cgroup.path) {
                cgroup_proc_close(p);
                return -ENOMEM;
        }
        /* Processes an earlier airsupd left here are not ours to run
         * beside: they go first. */
        if (cgroup_populated(p)) {
                sup_log(&m->events, LOG_WARNING, "%s: %s holds processes left over: killing them", p->name, path);
                cgroup_signal(p, SIGKILL);
        }
        cgroup_proc_limits(p, NULL);
        snprintf(file, sizeof(file), "%s/cgroup.events", path);
        r = sd_event_add_inotify(m->event, &p->cgroup.events, file, IN_MODIFY, on_events, p);
        if (r < 0) {
                sup_log(&m->events, LOG_ERR, "%s: cannot watch %s: %s", p->name, file, strerror(-r));
                cgroup_proc_close(p);
                return r;
        }
        if (g->enabled & CGROUP_MEMORY) {
                snprintf(file, sizeof(file), "%s/memory.events", path);
                if (cgroup_read_at(p->cgroup.fd, "memory.events", text, sizeof(text)) >= 0)
                        (void) cgroup_key_value(text, "oom_kill", &p->cgroup.oom_kills);
                (void) sd_event_add_inotify(m->event, &p->cgroup.memory, file, IN_MODIFY, on_memory_events, p);
        }
        return 0;
}

void cgroup_proc_close(sup_proc *p) {
        p->cgroup.events = sd_event_source_disable_unref(p->cgroup.events);
        p->cgroup.memory = sd_event_source_disable_unref(p->cgroup.memory);
        p->cgroup.fd = safe_close(p->cgroup.fd);
        p->cgroup.killed = false;
        if (p->cgroup.path && p->group->m->cgroup) {
                size_t top = strlen(p->group->m->cgroup->top);
                char probe[PATH_MAX + sizeof(PROBE_LEAF) + 1];
                char *slash;

                snprintf(probe, sizeof(probe), "%s/" PROBE_LEAF, p->cgroup.path);
                (void) rmdir(probe);
                /* The leaf, then each parent left empty, up to TOP. */
                while (rmdir(p->cgroup.path) >= 0 && (slash = strrchr(p->cgroup.path, '/')) &&
                       (size_t) (slash - p->cgroup.path) > top)
                        *slash = '\0';
        }
        free(p->cgroup.path);
        p->cgroup.path = NULL;
}

bool cgroup_populated(const sup_proc *p) {
        char text[256];
        uint64_t v;

        if (p->cgroup.fd < 0)
                return false;
        /* Unreadable: assume the worst, that something is still there. */
        if (cgroup_read_at(p->cgroup.fd, "cgroup.events", text, sizeof(text)) < 0 ||
            !cgroup_key_value(text, "populated", &v))
                return true;
        return v != 0;
}

/* SIG to each process listed in DIR's cgroup.procs now (not below it);
 * what one forks meanwhile gets the SIGKILL at the end of the grace.
 * Returns how many were signalled. */
static unsigned signal_procs(int dir, int sig) {
        _cleanup_close_ int fd = -EBADF;
        char buf[4096];
        size_t have = 0;
        unsigned n_sent = 0;

        fd = fdlimit_openat(dir, "cgroup.procs", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        for (;;) {
                ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
                char *line, *nl;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                have += (size_t) n;
                buf[have] = '\0';
                line = buf;
                while ((nl = strchr(line, '\n'))) {
                        long pid;
                        *nl = '\0';
                        pid = strtol(line, NULL, 10);
                        if (pid > 1 && pid != (long) getpid() && kill((pid_t) pid, sig) >= 0)
                                n_sent++;
                        line = nl + 1;
                }
                have = strlen(line);
                memmove(buf, line, have);
        }
        return n_sent;
}

void cgroup_signal(sup_proc *p, int sig) {
        _cleanup_close_ int probe = -EBADF;

        if (p->cgroup.fd < 0)
                return;
        /* cgroup.kill takes the probes' cgroup below too. */
        if (sig == SIGKILL && cgroup_write_at(p->cgroup.fd, "cgroup.kill", "1") >= 0) {
                p->cgroup.killed = true;
                return;
        }
        signal_procs(p->cgroup.fd, sig);
        probe = openat(p->cgroup.fd, PROBE_LEAF, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (probe >= 0)
                signal_procs(probe, sig);
}

int cgroup_probe_open(sup_proc *p, int *ret_fd) {
        int fd;

        if (!p->group->m->cgroup) {
                *ret_fd = -EBADF;
                return 0;
        }
        /* With cgroups a probe runs in its instance's, or not at all:
         * never beside airsupd. */
        if (p->cgroup.fd < 0)
                return -ENOMEDIUM;
        if (mkdirat(p->cgroup.fd, PROBE_LEAF, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(p->cgroup.fd, PROBE_LEAF, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

void cgroup_probe_kill(sup_proc *p) {
        _cleanup_close_ int fd = -EBADF;

        if (p->cgroup.fd < 0)
                return;
        fd = openat(p->cgroup.fd, PROBE_LEAF, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return;
        /* Not through cgroup.kill: on some kernels (6.18 here) a cgroup
         * once killed so kills every child later cloned into it at birth,
         * and the next probe goes there.  A SIGKILL to each process
         * listed, a few passes: one that was signalled can fork no more,
         * so only what forked between a read and its kill is left for
         * the next pass; what outruns them all is still the instance's,
         * killed with it. */
        for (unsigned pass = 0; pass < PROBE_KILL_PASSES; pass++)
                if (signal_procs(fd, SIGKILL) == 0)
                        break;
}

bool cgroup_holds(const sup_proc *p, pid_t pid) {
        const sup_cgroup *g = p->group->m->cgroup;
        char line[PATH_MAX], want[PATH_MAX * 2];

        if (!g || !p->cgroup.path || pid <= 0 || cgroup_read_own_path(pid, line, sizeof(line)) < 0)
                return false;
        /* /proc/PID/cgroup names the cgroup below the root the mount
         * shows at its top. */
        snprintf(want, sizeof(want), "%s%s", strcmp(g->root, "/") == 0 ? "" : g->root, p->cgroup.path + g->mount_len);
        return strcmp(line, want) == 0;
}

int cgroup_figures_read(const sup_proc *p, cgroup_figures *ret) {
        char text[1024];
        uint64_t v;

        *ret = (cgroup_figures) {};
        if (p->cgroup.fd < 0)
                return -ENODATA;
        if (cgroup_read_at(p->cgroup.fd, "cpu.stat", text, sizeof(text)) >= 0 &&
            cgroup_key_value(text, "usage_usec", &v)) {
                ret->cpu_usec = v;
                ret->has_cpu = true;
        }
        if (cgroup_read_at(p->cgroup.fd, "memory.current", text, sizeof(text)) >= 0) {
                ret->memory_bytes = strtoull(text, NULL, 10);
                ret->has_memory = true;
                if (cgroup_read_at(p->cgroup.fd, "memory.peak", text, sizeof(text)) >= 0)
                        ret->memory_peak = strtoull(text, NULL, 10);
        }
        if (cgroup_read_at(p->cgroup.fd, "pids.current", text, sizeof(text)) >= 0) {
                ret->pids = strtoull(text, NULL, 10);
                ret->has_pids = true;
        }
        ret->oom_kills = p->cgroup.oom_kills;
        return 0;
}
