/* cgroup-tree.c - the tree's cgroups (cgroup.h): finding the cgroup2
 * mount and airsupd's own cgroup, making TOP and _airsupd and enabling
 * the controllers below them, sweeping what a killed airsupd left, and
 * taking it all down again.  The layout is described in cgroup.c, which
 * keeps each instance's cgroup. */
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
#include "supervisor/core/state.h"

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

/* Whether the cgroup at PATH holds a process other than airsupd. */
static bool others_in(const char *path) {
        char procs[PATH_MAX + 16], text[256];
        long self = (long) getpid();
        ssize_t n;

        snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
        n = cgroup_read_at(AT_FDCWD, procs, text, sizeof(text));
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
                if (fd < 0 || cgroup_read_at(fd, "cgroup.events", text, sizeof(text)) < 0 ||
                    !cgroup_key_value(text, "populated", &populated) || populated != 0)
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
        r = cgroup_read_own_path(0, own, sizeof(own));
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
        r = cgroup_write_at(AT_FDCWD, path, "0\n");
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
        if (cgroup_read_at(top_fd, "cgroup.controllers", text, sizeof(text)) >= 0)
                g->enabled = cgroup_enable_controllers(top_fd, cgroup_parse_controllers(text));
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
                        const cfg_limit *l = &cfg_node_extra(&c->nodes[i])->limits[k];
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
        n = cgroup_read_at(AT_FDCWD, file, top, sizeof(top));
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
                        if (cgroup_read_at(fd, "cgroup.events", text, sizeof(text)) >= 0 &&
                            cgroup_key_value(text, "populated", &v) && v) {
                                sup_log(&m->events, LOG_WARNING, "cgroup %s of a previous airsupd for this "
                                        "deployment holds processes: killing them", sub);
                                (void) cgroup_write_at(fd, "cgroup.kill", "1");
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
        for (unsigned bit = 1; bit <= CGROUP_IO; bit <<= 1)
                if (g->enabled & bit) {
                        size_t l = strlen(names);
                        snprintf(names + l, sizeof(names) - l, "%s%s", l ? "," : "", cgroup_controller_name(bit));
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
                for (unsigned bit = 1; fd >= 0 && bit <= CGROUP_IO; bit <<= 1)
                        if (g->enabled & bit) {
                                char text[32];
                                snprintf(text, sizeof(text), "-%s", cgroup_controller_name(bit));
                                (void) cgroup_write_at(fd, "cgroup.subtree_control", text);
                        }
        }
        if (m->state) {
                snprintf(path, sizeof(path), "%s/cgroup", m->state->dir);
                (void) unlink(path);
        }
        snprintf(path, sizeof(path), "%s/cgroup.procs", g->origin);
        if (cgroup_write_at(AT_FDCWD, path, "0\n") >= 0) {
                /* After a forced shutdown what cgroup.kill took may still
                 * be dying: its cgroup goes once it is gone (at most 1 s). */
                for (unsigned i = 0; !remove_below(g->top, 0) && i < 100; i++)
                        (void) poll(NULL, 0, 10);
                if (g->top_made)
                        (void) rmdir(g->top);
        }
        m->cgroup = cgroup_free(g);
}

