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
 * watched with inotify on the event loop, never polled. */
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
#include "supervisor/start/cgroup.h"
#include "supervisor/start/fdlimit.h"
#include "supervisor/core/manager.h"
#include "supervisor/core/proc.h"
#include "supervisor/core/state.h"

#define SELF_LEAF "_airsupd"
#define PROBE_LEAF "_probe"      /* below an instance's cgroup: its exec: probes */
#define PROBE_KILL_PASSES 8
#define CPU_PERIOD_USEC 100000

struct sup_cgroup {
        char *mount;                    /* where cgroup2 is mounted */
        size_t mount_len;
        char *root;                     /* the cgroup the mount shows at its top, as /proc/PID/cgroup names it */
        char *origin;                   /* airsupd's cgroup when it started */
        char *top;                      /* the tree's directory */
        bool top_made;                  /* airsupd made TOP (and removes it) */
        char *self;                     /* TOP/_airsupd */
        unsigned enabled;               /* controllers enabled below TOP */
        uint64_t ram_bytes;
};

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
static int write_at(int dir, const char *path, const char *text) {
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

static ssize_t read_at(int dir, const char *path, char *buf, size_t size) {
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
static bool key_value(const char *text, const char *key, uint64_t *ret) {
        size_t l = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, l) == 0 && p[l] == ' ') {
                        *ret = strtoull(p + l + 1, NULL, 10);
                        return true;
                }
        return false;
}

/* Turns the \NNN escapes of /proc/self/mountinfo back into bytes. */
static void unescape(char *s) {
        char *w = s;

        for (char *r = s; *r; r++) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
                    r[3] >= '0' && r[3] <= '7') {
                        *w++ = (char) ((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
                        r += 3;
                } else
                        *w++ = *r;
        }
        *w = '\0';
}

/* The cgroup2 mount: its mount point and the cgroup it shows as its root. */
static int find_mount(char **ret_mount, char **ret_root) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096];

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                char *fields[6], *save = NULL, *dash = strstr(line, " - ");
                size_t n = 0;

                if (!dash || strncmp(dash, " - cgroup2 ", 11) != 0)
                        continue;
                *dash = '\0';
                for (char *t = strtok_r(line, " ", &save); t && n < ELEMENTSOF(fields); t = strtok_r(NULL, " ", &save))
                        fields[n++] = t;
                if (n < 5)
                        continue;
                unescape(fields[3]);
                unescape(fields[4]);
                *ret_root = strdup(fields[3]);
                *ret_mount = strdup(fields[4]);
                if (!*ret_root || !*ret_mount) {
                        free(*ret_root);
                        free(*ret_mount);
                        return -ENOMEM;
                }
                return 0;
        }
        return -ENOENT;
}

/* The "0::PATH" line of /proc/PID/cgroup (PID 0: ours). */
static int read_own_path(pid_t pid, char *buf, size_t size) {
        char path[64], text[4096];
        ssize_t n;
        char *p, *nl;

        snprintf(path, sizeof(path), pid > 0 ? "/proc/%d/cgroup" : "/proc/self/cgroup", (int) pid);
        n = read_at(AT_FDCWD, path, text, sizeof(text));
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

/* Whether the cgroup at PATH holds a process other than airsupd. */
static bool others_in(const char *path) {
        char procs[PATH_MAX + 16], text[256];
        long self = (long) getpid();
        ssize_t n;

        snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
        n = read_at(AT_FDCWD, procs, text, sizeof(text));
        if (n < 0)
                return true;
        for (char *p = text; *p;) {
                char *end;
                long pid = strtol(p, &end, 10);
                if (end == p)
                        break;
                if (pid != self)
                        return true;
                p = end;
                while (*p == '\n')
                        p++;
        }
        return n == (ssize_t) sizeof(text) - 1;  /* more than fits: others */
}

/* A unit's cgroup belongs to systemd unless it was delegated to us:
 * systemd marks those with an extended attribute. */
static bool systemd_owned(const char *path) {
        const char *base = strrchr(path, '/');
        size_t l;

        base = base ? base + 1 : path;
        l = strlen(base);
        if (!(l > 8 && strcmp(base + l - 8, ".service") == 0) && !(l > 6 && strcmp(base + l - 6, ".scope") == 0))
                return false;
        return getxattr(path, "trusted.delegate", NULL, 0) < 0 && getxattr(path, "user.delegate", NULL, 0) < 0;
}

static unsigned parse_controllers(const char *text) {
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
static unsigned enable_controllers(int dir, unsigned want) {
        char text[512];
        unsigned on = 0;

        for (size_t i = 0; i < ELEMENTSOF(controllers); i++) {
                if (!(want & controllers[i].bit))
                        continue;
                snprintf(text, sizeof(text), "+%s", controllers[i].name);
                if (write_at(dir, "cgroup.subtree_control", text) >= 0)
                        on |= controllers[i].bit;
        }
        return on;
}

static sup_cgroup *cgroup_free(sup_cgroup *g) {
        if (!g)
                return NULL;
        free(g->mount);
        free(g->root);
        free(g->origin);
        free(g->top);
        free(g->self);
        free(g);
        return NULL;
}

static void cgroup_event(sup_manager *m, int priority, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cgroup_event(sup_manager *m, int priority, const char *fmt, ...) {
        sup_event e = { .type = SUP_EVENT_CGROUP, .priority = priority };
        va_list ap;

        snprintf(e.node, sizeof(e.node), "%s", m->cfg->nodes[CFG_ROOT].name);
        va_start(ap, fmt);
        vsnprintf(e.detail, sizeof(e.detail), fmt, ap);
        va_end(ap);
        sup_events_emit(&m->events, &e);
}

static bool remove_below(const char *path, unsigned depth);

pid_t cgroup_top_owner(const char *name) {
        unsigned long v = 0;

        if (strncmp(name, "airsupd-", 8) != 0 || !isdigit((unsigned char) name[8]) || name[8] == '0')
                return 0;
        for (const char *c = name + 8; *c; c++) {
                if (!isdigit((unsigned char) *c) || v > INT_MAX / 10)
                        return 0;
                v = v * 10 + (unsigned long) (*c - '0');
        }
        return v <= INT_MAX ? (pid_t) v : 0;
}

/* The airsupd-PID directories in ORIGIN that a killed airsupd of another
 * deployment left (its own deployment's next start would stop them, see
 * old_tree_stop()): removed, with their empty children, when they are
 * empty (cgroup.events says "populated 0") and no process PID exists.
 * One that holds processes, or whose PID lives (an airsupd, or whatever
 * took the number since: we cannot tell, so it stays), is left alone;
 * rmdir() itself refuses a cgroup that holds a process or a child. */
static void stale_tops_remove(sup_manager *m, const char *origin) {
        _cleanup_(closedirp) DIR *d = opendir(origin);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                _cleanup_close_ int fd = -EBADF;
                char proc[32], sub[PATH_MAX], text[256];
                pid_t owner = cgroup_top_owner(de->d_name);
                uint64_t populated = 1;

                if (de->d_type != DT_DIR || owner <= 0 || owner == getpid())
                        continue;
                snprintf(proc, sizeof(proc), "/proc/%d", (int) owner);
                if (access(proc, F_OK) == 0 || errno != ENOENT)
                        continue;
                fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0 || read_at(fd, "cgroup.events", text, sizeof(text)) < 0 ||
                    !key_value(text, "populated", &populated) || populated != 0)
                        continue;
                if (snprintf(sub, sizeof(sub), "%s/%s", origin, de->d_name) >= (int) sizeof(sub))
                        continue;
                (void) remove_below(sub, 0);
                if (rmdir(sub) >= 0)
                        cgroup_event(m, LOG_INFO, "removed %s: empty, left by airsupd pid %d, which is gone", sub,
                                     (int) owner);
        }
}

/* The cgroup, or why there is none (in ERR). */
static int cgroup_make(sup_manager *m, sup_cgroup *g, char *err, size_t size) {
        _cleanup_close_ int top_fd = -EBADF;
        char own[PATH_MAX], path[PATH_MAX + 64], text[512];
        const char *rel;
        int r;

        r = g->mount ? 0 : find_mount(&g->mount, &g->root);
        if (r < 0) {
                snprintf(err, size, r == -ENOENT ? "no cgroup v2 file system is mounted" :
                         "cannot read /proc/self/mountinfo: %s", strerror(-r));
                return r;
        }
        g->mount_len = strlen(g->mount);
        r = read_own_path(0, own, sizeof(own));
        if (r < 0) {
                snprintf(err, size, "cannot tell airsupd's cgroup from /proc/self/cgroup: %s", strerror(-r));
                return r;
        }
        /* The mount shows the cgroup ROOT at its top. */
        rel = own;
        if (strcmp(g->root, "/") != 0) {
                size_t l = strlen(g->root);
                if (strncmp(own, g->root, l) != 0 || (own[l] != '/' && own[l] != '\0')) {
                        snprintf(err, size, "airsupd's cgroup %s is not below the cgroup2 mount at %s", own,
                                 g->mount);
                        return -ENOENT;
                }
                rel = own + l;
        }
        snprintf(path, sizeof(path), "%s%s", g->mount, strcmp(rel, "/") == 0 ? "" : rel);
        g->origin = strdup(path);
        if (!g->origin)
                return -ENOMEM;
        if (access(g->origin, W_OK) < 0) {
                r = -errno;
                snprintf(err, size, "airsupd's cgroup %s is not writable: %s", g->origin, strerror(-r));
                return r;
        }
        if (systemd_owned(g->origin)) {
                snprintf(err, size, "airsupd's cgroup %s is systemd's: run it with Delegate=yes", g->origin);
                return -EPERM;
        }
        stale_tops_remove(m, g->origin);

        if (others_in(g->origin)) {
                snprintf(path, sizeof(path), "%s/airsupd-%d", g->origin, (int) getpid());
                if (mkdir(path, 0755) < 0 && errno != EEXIST) {
                        r = -errno;
                        snprintf(err, size, "cannot make %s: %s", path, strerror(-r));
                        return r;
                }
                g->top_made = true;
        } else
                snprintf(path, sizeof(path), "%s", g->origin);
        g->top = strdup(path);
        snprintf(path, sizeof(path), "%s/" SELF_LEAF, g->top);
        g->self = strdup(path);
        if (!g->top || !g->self)
                return -ENOMEM;
        if (mkdir(g->self, 0755) < 0 && errno != EEXIST) {
                r = -errno;
                snprintf(err, size, "cannot make %s: %s", g->self, strerror(-r));
                return r;
        }
        snprintf(path, sizeof(path), "%s/cgroup.procs", g->self);
        r = write_at(AT_FDCWD, path, "0\n");
        if (r < 0) {
                snprintf(err, size, "cannot move airsupd into %s: %s", g->self, strerror(-r));
                return r;
        }
        top_fd = open(g->top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (top_fd < 0) {
                r = -errno;
                snprintf(err, size, "cannot open %s: %s", g->top, strerror(-r));
                return r;
        }
        /* Whatever controllers TOP has, its children get. */
        if (read_at(top_fd, "cgroup.controllers", text, sizeof(text)) >= 0)
                g->enabled = enable_controllers(top_fd, parse_controllers(text));
        {
                long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
                g->ram_bytes = pages > 0 && page > 0 ? (uint64_t) pages * (uint64_t) page : 0;
        }
        return 0;
}

/* Each limit of the configuration whose controller is not enabled: an
 * error under required (FILE:LINE in ERR), a warning event under auto. */
static int limits_check(sup_manager *m, const cfg *c, char *err, size_t size) {
        unsigned enabled = m->cgroup ? m->cgroup->enabled : 0;

        for (size_t i = 0; i < c->n_nodes; i++)
                for (int k = 0; k < _CFG_LIMIT_MAX; k++) {
                        const cfg_limit *l = &c->nodes[i].limits[k];
                        unsigned need = cgroup_limit_controller(k);

                        if (!l->set || (enabled & need))
                                continue;
                        if (c->cgroup == CFG_CGROUP_REQUIRED) {
                                snprintf(err, size, "%s:%u: %s: the %s controller is not available to airsupd "
                                         "(delegate it to its cgroup)", c->path, l->line,
                                         cfg_limit_kind_to_string(k), cgroup_controller_name(need));
                                return -EOPNOTSUPP;
                        }
                        cgroup_event(m, LOG_WARNING, "%s:%u: %s of %s not applied: %s", c->path, l->line,
                                     cfg_limit_kind_to_string(k), c->nodes[i].name,
                                     !m->cgroup ? "no cgroups" : "the controller is not available");
                }
        return 0;
}

/* The cgroups a killed airsupd of this deployment left (its state
 * directory's "cgroup" names where its tree was): everything in them is
 * killed, and they go.  Only what is below TOP is killed, never TOP: it
 * may be the cgroup this airsupd runs in. */
static void old_tree_stop(sup_manager *m, const char *mount) {
        char file[PATH_MAX], top[PATH_MAX];
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        ssize_t n;
        size_t ml = strlen(mount);

        if (!m->state)
                return;
        snprintf(file, sizeof(file), "%s/cgroup", m->state->dir);
        n = read_at(AT_FDCWD, file, top, sizeof(top));
        (void) unlink(file);
        if (n <= 0)
                return;
        top[strcspn(top, "\n")] = '\0';
        if (strncmp(top, mount, ml) != 0 || (top[ml] != '/' && top[ml] != '\0') || strstr(top, "/..") ||
            !(d = opendir(top)))
                return;
        while ((de = readdir(d))) {
                char sub[PATH_MAX + 256];
                _cleanup_close_ int fd = -EBADF;

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                snprintf(sub, sizeof(sub), "%s/%s", top, de->d_name);
                fd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                {
                        char text[256];
                        uint64_t v = 0;
                        if (read_at(fd, "cgroup.events", text, sizeof(text)) >= 0 &&
                            key_value(text, "populated", &v) && v) {
                                sup_log(&m->events, LOG_WARNING, "cgroup %s of a previous airsupd for this "
                                        "deployment holds processes: killing them", sub);
                                (void) write_at(fd, "cgroup.kill", "1");
                        }
                }
        }
        closedir(d);
        d = NULL;
        /* SIGKILL is quick but not instant: the directories go once their
         * processes have (bounded: at start, for at most 5 s). */
        for (unsigned i = 0; i < 500; i++) {
                (void) remove_below(top, 0);
                if (!(d = opendir(top)))
                        break;
                bool left = false;
                while ((de = readdir(d)))
                        left |= de->d_type == DT_DIR && de->d_name[0] != '.';
                closedir(d);
        d = NULL;
                if (!left)
                        break;
                (void) poll(NULL, 0, 10);
        }
        if (strstr(top + ml, "/airsupd-") && strcmp(top, m->cgroup ? m->cgroup->top : "") != 0)
                (void) rmdir(top);
}

/* Where this tree is, for the next airsupd should this one be killed. */
static void tree_record(sup_manager *m) {
        char file[PATH_MAX], tmp[PATH_MAX + 8];
        _cleanup_fclose_ FILE *f = NULL;

        if (!m->state || !m->cgroup)
                return;
        snprintf(file, sizeof(file), "%s/cgroup", m->state->dir);
        snprintf(tmp, sizeof(tmp), "%s.new", file);
        f = fopen(tmp, "we");
        if (!f || fprintf(f, "%s\n", m->cgroup->top) < 0 || fflush(f) != 0 || rename(tmp, file) < 0)
                (void) unlink(tmp);
}

/* A node named as a file of the cgroup file system ("cgroup.procs",
 * "memory.max") cannot have a directory of that name. */
static int names_check(const cfg *c, char *err, size_t size) {
        static const char *const prefixes[] = { "cgroup.", "cpu.", "cpuset.", "memory.", "io.", "pids.",
                                                "hugetlb.", "rdma.", "misc.", "irq." };

        for (size_t i = 0; i < c->n_nodes; i++)
                for (size_t k = 0; k < ELEMENTSOF(prefixes); k++)
                        if (strncmp(c->nodes[i].name, prefixes[k], strlen(prefixes[k])) == 0) {
                                snprintf(err, size, "%s:%u: [%s:%s]: a name beginning with '%s' is the "
                                         "cgroup file system's; rename it, or set cgroup = off", c->path,
                                         c->nodes[i].line, c->nodes[i].supervisor ? "supervisor" : "group",
                                         c->nodes[i].name, prefixes[k]);
                                return -EINVAL;
                        }
        return 0;
}

int cgroup_check_cfg(sup_manager *m, const cfg *c, char *err, size_t size) {
        int r;

        if (m->cfg->cgroup == CFG_CGROUP_OFF)
                return 0;
        r = names_check(c, err, size);
        if (r < 0 || (!m->cgroup && m->cfg->cgroup != CFG_CGROUP_REQUIRED))
                return r;
        return limits_check(m, c, err, size);
}

int cgroup_setup(sup_manager *m, char *err, size_t size) {
        sup_cgroup *g;
        char names[64] = "";
        int r;

        if (m->cfg->cgroup == CFG_CGROUP_OFF)
                return 0;
        r = names_check(m->cfg, err, size);
        if (r < 0)
                return r;
        g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        /* The mount, read once: for the tree a killed airsupd left, and
         * for ours (cgroup_make() reports it missing). */
        if (find_mount(&g->mount, &g->root) >= 0)
                old_tree_stop(m, g->mount);
        r = cgroup_make(m, g, err, size);
        if (r < 0) {
                if (g->self && access(g->self, F_OK) == 0 && !others_in(g->self))
                        (void) rmdir(g->self);
                if (g->top_made)
                        (void) rmdir(g->top);
                g = cgroup_free(g);
                if (m->cfg->cgroup == CFG_CGROUP_REQUIRED)
                        return r;
                cgroup_event(m, LOG_WARNING, "none: %s; using process groups", err);
                return limits_check(m, m->cfg, err, size);
        }
        m->cgroup = g;
        tree_record(m);
        for (size_t i = 0; i < ELEMENTSOF(controllers); i++)
                if (g->enabled & controllers[i].bit) {
                        size_t l = strlen(names);
                        snprintf(names + l, sizeof(names) - l, "%s%s", l ? "," : "", controllers[i].name);
                }
        cgroup_event(m, LOG_INFO, "%s controllers=%s", g->top, names[0] ? names : "none");
        return limits_check(m, m->cfg, err, size);
}

/* Removes the (empty) cgroups below PATH, deepest first; a populated
 * one stays, with what is above it. */
static bool remove_below(const char *path, unsigned depth) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        bool all = true;

        if (depth > 64 || !(d = opendir(path)))
                return false;
        while ((de = readdir(d))) {
                char sub[PATH_MAX];

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= (int) sizeof(sub)) {
                        all = false;
                        continue;
                }
                (void) remove_below(sub, depth + 1);
                if (rmdir(sub) < 0)
                        all = false;
        }
        return all;
}

void cgroup_teardown(sup_manager *m) {
        sup_cgroup *g = m->cgroup;
        char path[PATH_MAX + 32];

        if (!g)
                return;
        /* Out of our leaf, back where airsupd started; if that is TOP,
         * with its controllers off again, as they were. */
        if (!g->top_made && g->enabled) {
                _cleanup_close_ int fd = open(g->top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                for (size_t i = 0; fd >= 0 && i < ELEMENTSOF(controllers); i++)
                        if (g->enabled & controllers[i].bit) {
                                char text[32];
                                snprintf(text, sizeof(text), "-%s", controllers[i].name);
                                (void) write_at(fd, "cgroup.subtree_control", text);
                        }
        }
        if (m->state) {
                snprintf(path, sizeof(path), "%s/cgroup", m->state->dir);
                (void) unlink(path);
        }
        snprintf(path, sizeof(path), "%s/cgroup.procs", g->origin);
        if (write_at(AT_FDCWD, path, "0\n") >= 0) {
                /* After a forced shutdown what cgroup.kill took may still
                 * be dying: its cgroup goes once it is gone (at most 1 s). */
                for (unsigned i = 0; !remove_below(g->top, 0) && i < 100; i++)
                        (void) poll(NULL, 0, 10);
                if (g->top_made)
                        (void) rmdir(g->top);
        }
        m->cgroup = cgroup_free(g);
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
                (void) proc_dispatch(p, PROC_EV_GROUP_EMPTY);
        return 0;
}

static int on_memory_events(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        sup_proc *p = userdata;
        char text[512];
        uint64_t kills;

        (void) s;
        (void) ev;
        if (read_at(p->cg_fd, "memory.events", text, sizeof(text)) < 0 || !key_value(text, "oom_kill", &kills) ||
            kills <= p->oom_kills)
                return 0;
        p->oom_kills = kills;
        p->oom_killed = true;
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
                                (void) enable_controllers(fd, g->enabled);
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

        if (!g || p->cg_fd < 0)
                return;
        for (int k = 0; k < _CFG_LIMIT_MAX; k++) {
                const cfg_limit *l = &p->group->cfg->limits[k];
                int r;

                if (!(g->enabled & cgroup_limit_controller(k)))
                        continue;
                if (was ? limit_same(&was->limits[k], l) : !l->set)
                        continue;
                if (!l->set)
                        l = &limit_none[k];     /* no longer set: back to the default */
                r = cgroup_limit_render(k, l, g->ram_bytes, text, sizeof(text));
                if (r >= 0)
                        r = write_at(p->cg_fd, cgroup_limit_file(k), text);
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
        if (g && p->cg_fd >= 0 && p->cg_killed && !cgroup_populated(p))
                cgroup_proc_close(p);
        if (!g || p->cg_fd >= 0)
                return 0;
        r = leaf_path(p, path, sizeof(path));
        if (r < 0)
                return r;
        r = make_dirs(g, path);
        if (r < 0)
                return r;
        p->cg_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (p->cg_fd < 0)
                return -errno;
        p->cg_path = strdup(path);
        if (!p->cg_path) {
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
        r = sd_event_add_inotify(m->event, &p->cg_events, file, IN_MODIFY, on_events, p);
        if (r < 0) {
                sup_log(&m->events, LOG_ERR, "%s: cannot watch %s: %s", p->name, file, strerror(-r));
                cgroup_proc_close(p);
                return r;
        }
        if (g->enabled & CGROUP_MEMORY) {
                snprintf(file, sizeof(file), "%s/memory.events", path);
                if (read_at(p->cg_fd, "memory.events", text, sizeof(text)) >= 0)
                        (void) key_value(text, "oom_kill", &p->oom_kills);
                (void) sd_event_add_inotify(m->event, &p->cg_memory, file, IN_MODIFY, on_memory_events, p);
        }
        return 0;
}

void cgroup_proc_close(sup_proc *p) {
        p->cg_events = sd_event_source_disable_unref(p->cg_events);
        p->cg_memory = sd_event_source_disable_unref(p->cg_memory);
        p->cg_fd = safe_close(p->cg_fd);
        p->cg_killed = false;
        if (p->cg_path && p->group->m->cgroup) {
                size_t top = strlen(p->group->m->cgroup->top);
                char probe[PATH_MAX + sizeof(PROBE_LEAF) + 1];
                char *slash;

                snprintf(probe, sizeof(probe), "%s/" PROBE_LEAF, p->cg_path);
                (void) rmdir(probe);
                /* The leaf, then each parent left empty, up to TOP. */
                while (rmdir(p->cg_path) >= 0 && (slash = strrchr(p->cg_path, '/')) &&
                       (size_t) (slash - p->cg_path) > top)
                        *slash = '\0';
        }
        free(p->cg_path);
        p->cg_path = NULL;
}

bool cgroup_populated(const sup_proc *p) {
        char text[256];
        uint64_t v;

        if (p->cg_fd < 0)
                return false;
        /* Unreadable: assume the worst, that something is still there. */
        if (read_at(p->cg_fd, "cgroup.events", text, sizeof(text)) < 0 || !key_value(text, "populated", &v))
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

        if (p->cg_fd < 0)
                return;
        /* cgroup.kill takes the probes' cgroup below too. */
        if (sig == SIGKILL && write_at(p->cg_fd, "cgroup.kill", "1") >= 0) {
                p->cg_killed = true;
                return;
        }
        signal_procs(p->cg_fd, sig);
        probe = openat(p->cg_fd, PROBE_LEAF, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
        if (p->cg_fd < 0)
                return -ENOMEDIUM;
        if (mkdirat(p->cg_fd, PROBE_LEAF, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(p->cg_fd, PROBE_LEAF, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

void cgroup_probe_kill(sup_proc *p) {
        _cleanup_close_ int fd = -EBADF;

        if (p->cg_fd < 0)
                return;
        fd = openat(p->cg_fd, PROBE_LEAF, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
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

        if (!g || !p->cg_path || pid <= 0 || read_own_path(pid, line, sizeof(line)) < 0)
                return false;
        /* /proc/PID/cgroup names the cgroup below the root the mount
         * shows at its top. */
        snprintf(want, sizeof(want), "%s%s", strcmp(g->root, "/") == 0 ? "" : g->root, p->cg_path + g->mount_len);
        return strcmp(line, want) == 0;
}

int cgroup_figures_read(const sup_proc *p, cgroup_figures *ret) {
        char text[1024];
        uint64_t v;

        *ret = (cgroup_figures) {};
        if (p->cg_fd < 0)
                return -ENODATA;
        if (read_at(p->cg_fd, "cpu.stat", text, sizeof(text)) >= 0 && key_value(text, "usage_usec", &v)) {
                ret->cpu_usec = v;
                ret->has_cpu = true;
        }
        if (read_at(p->cg_fd, "memory.current", text, sizeof(text)) >= 0) {
                ret->memory_bytes = strtoull(text, NULL, 10);
                ret->has_memory = true;
                if (read_at(p->cg_fd, "memory.peak", text, sizeof(text)) >= 0)
                        ret->memory_peak = strtoull(text, NULL, 10);
        }
        if (read_at(p->cg_fd, "pids.current", text, sizeof(text)) >= 0) {
                ret->pids = strtoull(text, NULL, 10);
                ret->has_pids = true;
        }
        ret->oom_kills = p->oom_kills;
        return 0;
}
