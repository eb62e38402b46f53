/* verify.c - what `airsupd --check` knows without starting anything, as
 * `systemd-analyze verify` does: that each group's command (and exec:
 * probe) is there and executable, looked up in the PATH the group's
 * process will have, by the user it will run as; that its workdir and
 * the directories of its file: outputs are there and usable by that user.
 *
 * A command or probe that cannot be run is an error: the start would
 * fail.  A workdir or an output directory that does not exist is only a
 * warning: it may well be created (mounted, made by another group)
 * before the group starts.  Permissions are judged from the mode bits
 * for the user's uid, gid and supplementary groups (ACLs and capabilities
 * are not looked at), the way the kernel would for that user. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "supervisor/config/cfg.h"

#define GROUPS_MAX 256
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* Where sd_journal_stream_fd() connects. */
#define JOURNAL_STDOUT "/run/systemd/journal/stdout"

typedef struct ident {
        uid_t uid;
        gid_t gid;
        gid_t groups[GROUPS_MAX];
        int n_groups;
        const char *name;
} ident;

typedef struct verifier {
        const cfg *c;
        FILE *err;
        unsigned errors, warnings;
} verifier;

static void report(verifier *v, bool error, unsigned line, const char *fmt, ...) _printf_(4, 5);
static void report(verifier *v, bool error, unsigned line, const char *fmt, ...) {
        va_list ap;

        if (error)
                v->errors++;
        else
                v->warnings++;
        fprintf(v->err, "%s:%u: %s", v->c->path, line, error ? "" : "warning: ");
        va_start(ap, fmt);
        vfprintf(v->err, fmt, ap);
        va_end(ap);
        fputc('\n', v->err);
}

/* MASK (4 read, 2 write, 1 execute/search) on ST for U. */
static bool may(const struct stat *st, const ident *u, unsigned mask) {
        if (u->uid == 0)
                return mask != 1 || S_ISDIR(st->st_mode) || (st->st_mode & 0111);
        if (st->st_uid == u->uid)
                return (st->st_mode >> 6 & mask) == mask;
        for (int i = 0; i < u->n_groups; i++)
                if (st->st_gid == u->groups[i])
                        return (st->st_mode >> 3 & mask) == mask;
        return (st->st_mode & mask) == mask;
}

static int ident_of(const cfg_node *n, ident *u) {
        struct passwd *pw = NULL;
        unsigned uid;

        if (!n->user) {
                u->uid = geteuid();
                u->gid = getegid();
                u->n_groups = getgroups(GROUPS_MAX - 1, u->groups);
                if (u->n_groups < 0)
                        u->n_groups = 0;
                u->groups[u->n_groups++] = u->gid;
                u->name = "airsupd's user";
                return 0;
        }
        pw = getpwnam(n->user);
        if (!pw && cfg_parse_unsigned(n->user, 0, 0xfffffffeu, &uid) == 0)
                pw = getpwuid((uid_t) uid);
        if (!pw)
                return -ESRCH;
        u->uid = pw->pw_uid;
        u->gid = pw->pw_gid;
        u->n_groups = GROUPS_MAX;
        if (getgrouplist(pw->pw_name, pw->pw_gid, u->groups, &u->n_groups) < 0)
                u->n_groups = GROUPS_MAX;
        u->name = n->user;
        return 0;
}

/* The PATH the group's process gets: its own environment's, else airsupd's. */
static const char *path_of(const cfg_node *n) {
        for (char **e = n->env; e && *e; e++)
                if (strncmp(*e, "PATH=", 5) == 0)
                        return *e + 5;
        return getenv("PATH") ?: DEFAULT_PATH;
}

/* Whether every directory above PATH is searchable by U. */
static bool dirs_searchable(const char *path, const ident *u) {
        char buf[4096];

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = strrchr(buf, '/'); p && p > buf; p = strrchr(buf, '/')) {
                struct stat st;
                *p = '\0';
                if (stat(buf, &st) < 0 || !may(&st, u, 1))
                        return false;
        }
        return true;
}

/* A command (or probe) named NAME, for KEY at LINE. */
static void check_program(verifier *v, const cfg_node *n, const ident *u, const char *key, unsigned line,
                          const char *name) {
        const char *path = path_of(n);
        struct stat st;

        if (strchr(name, '/')) {
                if (stat(name, &st) < 0)
                        report(v, true, line, "%s: '%s' does not exist", key, name);
                else if (!S_ISREG(st.st_mode))
                        report(v, true, line, "%s: '%s' is not a regular file", key, name);
                else if (!may(&st, u, 1) || !dirs_searchable(name, u))
                        report(v, true, line, "%s: '%s' is not executable by %s", key, name, u->name);
                return;
        }
        for (const char *d = path; *d;) {
                size_t l = strcspn(d, ":");
                char candidate[4096];

                snprintf(candidate, sizeof(candidate), "%.*s/%s", (int) l, l ? d : ".", name);
                if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode) && may(&st, u, 1) &&
                    dirs_searchable(candidate, u))
                        return;
                d += l;
                if (*d == ':')
                        d++;
        }
        report(v, true, line, "%s: '%s' is not an executable in PATH=%s for %s", key, name, path, u->name);
}

static void check_workdir(verifier *v, const cfg_node *n, const ident *u, const char *dir) {
        struct stat st;

        if (stat(dir, &st) < 0)
                report(v, false, n->workdir_line, "workdir: '%s' does not exist (yet)", dir);
        else if (!S_ISDIR(st.st_mode))
                report(v, true, n->workdir_line, "workdir: '%s' is not a directory", dir);
        else if (!may(&st, u, 1) || !dirs_searchable(dir, u))
                report(v, true, n->workdir_line, "workdir: '%s' is not searchable by %s", dir, u->name);
}

static void check_output(verifier *v, const ident *u, const char *key, unsigned line, const char *file) {
        char dir[4096];
        struct stat st;
        char *slash;

        if (stat(file, &st) == 0) {
                if (S_ISDIR(st.st_mode))
                        report(v, true, line, "%s: '%s' is a directory", key, file);
                else if (!may(&st, u, 2))
                        report(v, true, line, "%s: '%s' is not writable by %s", key, file, u->name);
                return;
        }
        snprintf(dir, sizeof(dir), "%s", file);
        slash = strrchr(dir, '/');
        if (slash == dir)
                slash[1] = '\0';
        else if (slash)
                *slash = '\0';
        if (stat(dir, &st) < 0)
                report(v, false, line, "%s: the directory '%s' does not exist (yet)", key, dir);
        else if (!S_ISDIR(st.st_mode))
                report(v, true, line, "%s: '%s' is not a directory", key, dir);
        else if (!may(&st, u, 3) || !dirs_searchable(file, u))
                report(v, true, line, "%s: cannot create '%s': '%s' is not writable by %s", key, file, dir,
                       u->name);
}

/* 0 if journald listens where journal output is sent, else the errno of
 * the connect (asked once). */
static int journald_error(void) {
        static int known = -1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_STDOUT };
        _cleanup_close_ int fd = -EBADF;

        if (known >= 0)
                return known;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        known = fd >= 0 && connect(fd, (const struct sockaddr *) &sa, sizeof(sa)) == 0 ? 0 : errno;
        return known;
}

/* journal output with no journald: a warning only (journald may start
 * after airsupd); the output then goes to airsupd's stderr (spawn.c). */
static void check_journal(verifier *v, const char *key, unsigned line) {
        int error = journald_error();

        if (error)
                report(v, false, line, "%s: journal: no journald listens on %s (%s): the output goes to "
                       "airsupd's stderr, as with console, until one does", key, JOURNAL_STDOUT, strerror(error));
}

/* A secret (nats_credentials, nats_tls_key: KEY): readable by the group's user, and by
 * nobody else it is not meant for: group or others able to read it is a
 * warning (the bridge itself never logs it). */
static void check_secret(verifier *v, const ident *u, const char *key, unsigned line, const char *file) {
        struct stat st;

        if (stat(file, &st) < 0) {
                report(v, true, line, "%s: '%s': %s", key, file, strerror(errno));
                return;
        }
        if (!S_ISREG(st.st_mode))
                report(v, true, line, "%s: '%s' is not a file", key, file);
        else if (!may(&st, u, 4))
                report(v, true, line, "%s: '%s' is not readable by %s", key, file, u->name);
        else if (st.st_mode & (S_IROTH | S_IWOTH))
                report(v, false, line, "%s: '%s' is readable by others (mode %04o): a secret; "
                       "chmod o-rw it", key, file, (unsigned) (st.st_mode & 07777));
        else if ((st.st_mode & (S_IRGRP | S_IWGRP)) && st.st_gid != u->gid)
                report(v, false, line, "%s: '%s' is readable by its group (mode %04o), not the "
                       "bridge's: a secret; chmod g-rw it", key, file, (unsigned) (st.st_mode & 07777));
}

static void verify_group(verifier *v, const cfg_node *n) {
        /* Checked as instance 0 would see them. */
        char first[96];
        cfg_instance in = { .instance = 0, .name = n->name, .group = n->name };
        static const cfg_node airsupd_itself = {};
        ident u, self;

        if (n->instances > 1) {
                snprintf(first, sizeof(first), "%s[0]", n->name);
                in.name = first;
        }
        if (ident_of(n, &u) < 0 || ident_of(&airsupd_itself, &self) < 0)
                return;                 /* reported by the loader */
        if (n->argv && n->argv[0]) {
                _cleanup_free_ char *name = NULL;
                if (cfg_expand(n->argv[0], &in, &name) >= 0)
                        check_program(v, n, &u, "command", n->command_line, name);
        }
        if (n->health == CFG_HEALTH_EXEC && n->health_argv && n->health_argv[0])
                check_program(v, n, &u, "health", n->health_line, n->health_argv[0]);
        if (n->workdir) {
                _cleanup_free_ char *dir = NULL;
                if (cfg_expand(n->workdir, &in, &dir) >= 0)
                        check_workdir(v, n, &u, dir);
        }
        /* log: files are written by airsupd itself. */
        if (n->out == CFG_OUTPUT_LOG && n->out_path) {
                _cleanup_free_ char *file = NULL;
                if (cfg_expand(n->out_path, &in, &file) >= 0)
                        check_output(v, &self, "stdout", n->out_line, file);
        }
        if (n->err == CFG_OUTPUT_LOG && n->err_path && n->err_line != n->out_line) {
                _cleanup_free_ char *file = NULL;
                if (cfg_expand(n->err_path, &in, &file) >= 0)
                        check_output(v, &self, "stderr", n->err_line, file);
        }
        if (n->out == CFG_OUTPUT_FILE && n->out_path) {
                _cleanup_free_ char *file = NULL;
                if (cfg_expand(n->out_path, &in, &file) >= 0)
                        check_output(v, &u, "stdout", n->out_line, file);
        }
        if (n->err == CFG_OUTPUT_FILE && n->err_path && n->err_line != n->out_line) {
                _cleanup_free_ char *file = NULL;
                if (cfg_expand(n->err_path, &in, &file) >= 0)
                        check_output(v, &u, "stderr", n->err_line, file);
        }
        if (cfg_node_extra(n)->nats_credentials) {
                _cleanup_free_ char *file = NULL;
                if (cfg_expand(n->extra->nats_credentials, &in, &file) >= 0)
                        check_secret(v, &u, "nats_credentials", n->extra->nats_credentials_line, file);
        }
        if (cfg_node_extra(n)->nats_tls[2]) {
                _cleanup_free_ char *file = NULL;
                if (cfg_expand(n->extra->nats_tls[2], &in, &file) >= 0)
                        check_secret(v, &u, "nats_tls_key", n->extra->nats_tls_key_line, file);
        }
        if (n->out == CFG_OUTPUT_JOURNAL)
                check_journal(v, "stdout", n->out_line);
        if (n->err == CFG_OUTPUT_JOURNAL && n->err_line != n->out_line)
                check_journal(v, "stderr", n->err_line);
}

unsigned cfg_verify(const cfg *c, FILE *err, unsigned *ret_warnings) {
        verifier v = { .c = c, .err = err };

        for (size_t i = 0; i < c->n_nodes; i++)
                if (!c->nodes[i].supervisor)
                        verify_group(&v, &c->nodes[i]);
        if (ret_warnings)
                *ret_warnings = v.warnings;
        return v.errors;
}

int cfg_verify_errors(const cfg *c, FILE *err) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        unsigned errors;

        if (!f)
                return -ENOMEM;
        errors = cfg_verify(c, f, NULL);
        if (fclose(f) != 0)
                return -ENOMEM;
        if (errors == 0)
                return 0;
        fputs(text, err);
        return -EINVAL;
}
