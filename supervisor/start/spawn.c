/* spawn.c - forks and execs one process of a group.
 *
 * Everything that can allocate or read airsupd's own files (argv,
 * environment, PATH look-up, user and groups) is prepared in airsupd before
 * the fork, so the child between clone3() and execve() only makes system
 * calls.  What a path in the configuration names and the group's user may
 * control (stdout = file:PATH) is opened by the child itself, after it
 * became that user and without blocking: a symlink the user planted leads
 * only where the user could write anyway, and a FIFO without a reader is
 * an error (ENXIO), not a wait.  The child reports a failure through a
 * close-on-exec pipe: EOF means the exec happened, a record means it did
 * not, and which step failed.  The pipe is read on the event loop
 * (proc.c), so nothing the child waits for can stall airsupd. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/sched.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "common/channel.h"
#include "common/cleanup.h"
#include "supervisor/output/logsink.h"
#include "supervisor/start/spawn.h"
#include "supervisor/watch/notify-proc.h"

/* What the child writes to the exec-status pipe when a step fails. */
typedef struct spawn_failure {
        int32_t error;
        char step[28];
} spawn_failure;


void spawn_plan_done(spawn_plan *s) {
        strv_free(s->owned_argv);
        free(s->owned_workdir);
        free(s->owned_out_path);
        free(s->owned_err_path);
        free(s->path);
        strv_free(s->envp);
        free(s->groups);
        safe_close(s->out_fd);
        safe_close(s->err_fd);
}

/* Sets NAME=VALUE in ENV (a NULL-terminated array of N entries), replacing
 * an existing NAME. */
static int env_put(char ***env, size_t *n, const char *entry) {
        size_t l = strcspn(entry, "=");
        char *copy = strdup(entry);

        if (!copy)
                return -ENOMEM;
        for (size_t i = 0; i < *n; i++)
                if (strncmp((*env)[i], entry, l + 1) == 0) {
                        free((*env)[i]);
                        (*env)[i] = copy;
                        return 0;
                }
        char **e = reallocarray(*env, *n + 2, sizeof(char *));
        if (!e) {
                free(copy);
                return -ENOMEM;
        }
        e[(*n)++] = copy;
        e[*n] = NULL;
        *env = e;
        return 0;
}

static int env_putf(char ***env, size_t *n, const char *fmt, ...) _printf_(3, 4);
static int env_putf(char ***env, size_t *n, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return env_put(env, n, s);
}

static const char *env_get(char **env, const char *name) {
        size_t l = strlen(name);
        for (char **e = env; e && *e; e++)
                if (strncmp(*e, name, l) == 0 && (*e)[l] == '=')
                        return *e + l + 1;
        return NULL;
}

/* A command without '/' is looked up in the child's PATH, now, so that a
 * missing program is reported as ENOENT before anything is forked. */
/* Takes every NAME=... entry out of ENV. */
static void env_unset(char **env, const char *name) {
        size_t l = strlen(name), w = 0;

        for (size_t r = 0; env && env[r]; r++) {
                if (strncmp(env[r], name, l) == 0 && env[r][l] == '=') {
                        free(env[r]);
                        continue;
                }
                env[w++] = env[r];
        }
        if (env)
                env[w] = NULL;
}

static int find_executable(const char *name, char **env, char **ret) {
        const char *path = env_get(env, "PATH") ?: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        int last = -ENOENT;

        if (strchr(name, '/')) {
                char *p = strdup(name);
                if (!p)
                        return -ENOMEM;
                *ret = p;
                return 0;
        }

        for (const char *d = path; *d;) {
                size_t l = strcspn(d, ":");
                _cleanup_free_ char *candidate = NULL;

                if (asprintf(&candidate, "%.*s/%s", (int) l, l ? d : ".", name) < 0)
                        return -ENOMEM;
                if (access(candidate, X_OK) == 0) {
                        struct stat st;
                        if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode)) {
                                *ret = TAKE_PTR(candidate);
                                return 0;
                        }
                } else if (errno == EACCES)
                        last = -EACCES;
                d += l;
                if (*d == ':')
                        d++;
        }
        return last;
}

/* P's sink for log:PATH or console output, made at its first start. */
static int sink_for(sup_proc *p, log_sink **sink, const char *path) {
        _cleanup_free_ char *expanded = NULL;
        const cfg_node *c = p->group->cfg;
        const cfg_instance in = { .instance = p->instance, .name = p->name, .group = c->name };

        if (*sink)
                return 0;
        if (path && cfg_expand(path, &in, &expanded) < 0)
                return -ENOMEM;
        return log_sink_new(p->group->m->event, &p->group->m->events, p->name, expanded, c->log_max,
                            c->log_keep, sink);
}

static int open_output(sup_proc *p, cfg_output o, const char *path, int priority, log_sink **sink, int *ret_fd) {
        int fd, r;

        switch (o) {
        case CFG_OUTPUT_LOG:
        case CFG_OUTPUT_CONSOLE:
                r = sink_for(p, sink, o == CFG_OUTPUT_LOG ? path : NULL);
                if (r < 0)
                        return r;
                fd = log_sink_writer(*sink);
                if (fd < 0)
                        return fd;
                *ret_fd = fd;
                return 0;
        case CFG_OUTPUT_JOURNAL:
                fd = sd_journal_stream_fd(p->group->cfg->name, priority, /* level_prefix= */ 0);
                if (fd < 0) {
                        /* Not lost, and not where nobody looks (airsupd's
                         * stdout may well be /dev/null): airsupd's stderr,
                         * as console, until journald listens again (tried
                         * at each start).  Said once per fall-back. */
                        if (!p->journal_down)
                                sup_log(&p->group->m->events, LOG_WARNING, "%s: journal: cannot connect to "
                                        "journald (%s): its output goes to airsupd's stderr, as console, "
                                        "until journald listens", p->name, strerror(-fd));
                        p->journal_down = true;
                        return open_output(p, CFG_OUTPUT_CONSOLE, NULL, priority, sink, ret_fd);
                }
                if (p->journal_down)
                        sup_log(&p->group->m->events, LOG_NOTICE, "%s: journal: journald listens: its output "
                                "goes there again", p->name);
                p->journal_down = false;
                /* sd_journal_stream_fd() does not set O_CLOEXEC on every version. */
                (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
                *ret_fd = fd;
                return 0;
        default:
                /* file: is opened by the child (open_file_as_user()). */
                *ret_fd = -EBADF;
                return 0;
        }
}

int sup_spawn_plan_for_proc(sup_proc *p, spawn_plan *s, const char **ret_step) {
        const cfg_node *c = p->group->cfg;
        sup_manager *m = p->group->m;
        const cfg_instance in = { .instance = p->instance, .name = p->name, .group = c->name };
        size_t n = 0, n_argv = 0;
        int r;

        *ret_step = "environment";
        for (char **e = m->base_env; e && *e; e++)
                if (env_put(&s->envp, &n, *e) < 0)
                        return -ENOMEM;

        if (c->user) {
                struct passwd *pw;
                unsigned uid;

                *ret_step = "user";
                errno = 0;
                pw = getpwnam(c->user);
                if (!pw && cfg_parse_unsigned(c->user, 0, 0xfffffffeu, &uid) == 0)
                        pw = getpwuid((uid_t) uid);
                if (!pw)
                        return errno > 0 ? -errno : -ESRCH;
                s->set_user = true;
                s->uid = pw->pw_uid;
                s->gid = pw->pw_gid;
                s->n_groups = 16;
                for (;;) {
                        gid_t *g = reallocarray(s->groups, (size_t) s->n_groups, sizeof(gid_t));
                        int want = s->n_groups;
                        if (!g)
                                return -ENOMEM;
                        s->groups = g;
                        if (getgrouplist(pw->pw_name, pw->pw_gid, s->groups, &want) >= 0) {
                                s->n_groups = want;
                                break;
                        }
                        if (want <= s->n_groups)
                                return -EINVAL;
                        s->n_groups = want;
                }
                if (env_putf(&s->envp, &n, "USER=%s", pw->pw_name) < 0 ||
                    env_putf(&s->envp, &n, "LOGNAME=%s", pw->pw_name) < 0 ||
                    env_putf(&s->envp, &n, "HOME=%s", pw->pw_dir) < 0 ||
                    env_putf(&s->envp, &n, "SHELL=%s", pw->pw_shell) < 0)
                        return -ENOMEM;
        }

        for (char **e = c->env; e && *e; e++) {
                _cleanup_free_ char *x = NULL;
                if (cfg_expand(*e, &in, &x) < 0 || env_put(&s->envp, &n, x) < 0)
                        return -ENOMEM;
        }
        if (env_putf(&s->envp, &n, "AIRSUP_GROUP=%s", c->name) < 0 ||
            env_putf(&s->envp, &n, "AIRSUP_INSTANCE=%u", p->instance) < 0 ||
            env_putf(&s->envp, &n, "AIRSUP_INCARNATION=%u", p->incarnation) < 0)
                return -ENOMEM;
        if (p->notify && p->notify->fd >= 0 && env_putf(&s->envp, &n, "NOTIFY_SOCKET=%s", p->notify->socket) < 0)
                return -ENOMEM;
        /* A bridge to NATS learns its servers and subjects from the
         * configuration (airsup-nats(8)); the credentials by path only. */
        if (cfg_node_extra(c)->nats) {
                const cfg_extra *x = c->extra;
                static const char *const names[2][2] = { { "AIRSUP_NATS_EXPORT", "AIRSUP_NATS_EXPORT_JETSTREAM" },
                                                         { "AIRSUP_NATS_IMPORT", "AIRSUP_NATS_IMPORT_JETSTREAM" } };
                _cleanup_free_ char *cred = NULL;

                if (env_putf(&s->envp, &n, "AIRSUP_NATS_URL=%s", x->nats) < 0 ||
                    (x->nats_credentials && (cfg_expand(x->nats_credentials, &in, &cred) < 0 ||
                                             env_putf(&s->envp, &n, "AIRSUP_NATS_CREDENTIALS=%s", cred) < 0)))
                        return -ENOMEM;
                static const char *const tls[3] = { "AIRSUP_NATS_TLS_CA", "AIRSUP_NATS_TLS_CERT", "AIRSUP_NATS_TLS_KEY" };
                for (int k = 0; k < 3; k++) {
                        _cleanup_free_ char *path = NULL;
                        if (x->nats_tls[k] && (cfg_expand(x->nats_tls[k], &in, &path) < 0 ||
                                               env_putf(&s->envp, &n, "%s=%s", tls[k], path) < 0))
                                return -ENOMEM;
                }
                for (int k = 0; k < 2; k++) {
                        if (x->nats_export[k].joined &&
                            env_putf(&s->envp, &n, "%s=%s", names[0][k], x->nats_export[k].joined) < 0)
                                return -ENOMEM;
                        if (x->nats_import[k].joined &&
                            env_putf(&s->envp, &n, "%s=%s", names[1][k], x->nats_import[k].joined) < 0)
                                return -ENOMEM;
                }
        }
        /* The systemd watchdog protocol; the pid is only known in the
         * child, which writes it over the placeholder. */
        if ((c->health == CFG_HEALTH_WATCHDOG || c->health == CFG_HEALTH_HEARTBEAT) &&
            p->notify && p->notify->fd >= 0) {
                if (env_putf(&s->envp, &n, "WATCHDOG_USEC=%llu", (unsigned long long) c->health_interval_usec) < 0 ||
                    env_putf(&s->envp, &n, "WATCHDOG_PID=" WATCHDOG_PID_PLACEHOLDER) < 0)
                        return -ENOMEM;
                s->watchdog_pid = true;
        }
        if (p->broker.chan_child >= 0) {
                if (env_putf(&s->envp, &n, "AIRSUP_FD=%d", CHAN_FD) < 0)
                        return -ENOMEM;
                s->chan_fd = p->broker.chan_child;
        }
        s->nofile = m->nofile_child;
        s->nice = m->nice_child;
        s->set_nice = m->nice_reset;
        if (!s->envp)
                return -ENOMEM;

        *ret_step = "exec";
        while (c->argv[n_argv])
                n_argv++;
        s->owned_argv = calloc(n_argv + 1, sizeof(char *));
        if (!s->owned_argv)
                return -ENOMEM;
        for (size_t i = 0; i < n_argv; i++)
                if (cfg_expand(c->argv[i], &in, &s->owned_argv[i]) < 0)
                        return -ENOMEM;
        s->argv = s->owned_argv;
        r = find_executable(s->argv[0], s->envp, &s->path);
        if (r < 0)
                return r;

        s->null_fd = m->null_fd;
        s->out_null = c->out == CFG_OUTPUT_NULL;
        s->err_null = c->err == CFG_OUTPUT_NULL;
        *ret_step = "stdout";
        r = open_output(p, c->out, c->out_path, LOG_INFO, &p->sink_out, &s->out_fd);
        if (r < 0)
                return r;
        *ret_step = "stderr";
        /* stderr into the same log (or the console) as stdout: one sink,
         * so that their lines interleave as they were written. */
        if ((c->err == CFG_OUTPUT_LOG && c->out == CFG_OUTPUT_LOG && strcmp(c->err_path, c->out_path) == 0) ||
            (c->err == CFG_OUTPUT_CONSOLE && c->out == CFG_OUTPUT_CONSOLE))
                p->sink_err = p->sink_out;
        if (c->err == c->out && c->err != CFG_OUTPUT_FILE && c->err != CFG_OUTPUT_LOG &&
            c->err != CFG_OUTPUT_CONSOLE) {
                if (s->out_fd >= 0) {
                        s->err_fd = fcntl(s->out_fd, F_DUPFD_CLOEXEC, 3);
                        if (s->err_fd < 0)
                                return -errno;
                }
        } else {
                r = open_output(p, c->err, c->err_path, LOG_WARNING, &p->sink_err, &s->err_fd);
                if (r < 0)
                        return r;
        }
        if (c->out == CFG_OUTPUT_FILE) {
                if (cfg_expand(c->out_path, &in, &s->owned_out_path) < 0)
                        return -ENOMEM;
                s->out_path = s->owned_out_path;
        }
        if (c->err == CFG_OUTPUT_FILE) {
                if (cfg_expand(c->err_path, &in, &s->owned_err_path) < 0)
                        return -ENOMEM;
                s->err_path = s->owned_err_path;
                s->err_is_out = s->out_path && strcmp(s->out_path, s->err_path) == 0;
        }
        if (c->workdir) {
                if (cfg_expand(c->workdir, &in, &s->owned_workdir) < 0)
                        return -ENOMEM;
                s->workdir = s->owned_workdir;
        }
        return 0;
}

/* In the child, as the group's user: opens a file: output without
 * following anything the user could not follow itself, and without
 * waiting for a FIFO's reader.  The child's writes block as usual. */
static int open_file_as_user(const char *path, int target) {
        int fd, fl;

        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
        if (fd < 0)
                return -1;
        fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 || dup2(fd, target) < 0)
                return -1;
        if (fd != target)
                (void) close(fd);
        return 0;
}

/* In the child, between clone3() and execve(): system calls only. */
/* Moves the calling process into the cgroup at directory FD. */
static int cgroup_enter(int fd) {
        int procs = openat(fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
        ssize_t n;

        if (procs < 0)
                return -1;
        n = write(procs, "0\n", 2);
        (void) close(procs);
        return n == 2 ? 0 : -1;
}

int sup_spawn_signals_default(void) {
        /* The kernel's struct sigaction, all zero (SIG_DFL, no flags, an
         * empty mask), larger than any architecture's.  The system call,
         * not sigaction(): glibc refuses to touch the two signals it keeps
         * for itself (32 and 33), and a parent that ignored those passes
         * that on as well. */
        static const uint64_t dfl[8] = {};
        sigset_t none;
        int r = 0;

        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP &&
                    syscall(SYS_rt_sigaction, sig, dfl, NULL, (size_t) (NSIG - 1) / 8) < 0)
                        r = -errno;
        /* Unblocked only now: a pending signal meets its default action. */
        sigemptyset(&none);
        if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
                r = -errno;
        return r;
}

/* MOVE: the kernel could not clone it into s->cgroup_fd (before 5.7), so
 * it moves there itself, before it runs anything of its own. */
_Noreturn static void spawn_child(const spawn_plan *s, int status_fd, bool move) {
        spawn_failure f = {};
        const char *step;

        step = "cgroup";
        if (move && cgroup_enter(s->cgroup_fd) < 0)
                goto fail;

        /* WATCHDOG_PID= is this process, whose pid only it knows here. */
        if (s->watchdog_pid)
                for (char **e = s->envp; *e; e++)
                        if (strcmp(*e, "WATCHDOG_PID=" WATCHDOG_PID_PLACEHOLDER) == 0) {
                                snprintf(*e + 13, sizeof(WATCHDOG_PID_PLACEHOLDER), "%d", (int) getpid());
                                break;
                        }

        /* Handlers are reset by exec, ignored signals and the mask are
         * not.  The spawner reset its own once (sup_spawner_main()),
         * which saves its children 65 system calls each. */
        step = "signals";
        if (!s->signals_default && sup_spawn_signals_default() < 0)
                goto fail;

        /* A session of its own: the process group that airsupd signals, and no
         * controlling terminal shared with airsupd. */
        step = "setsid";
        if (setsid() < 0)
                goto fail;

        /* airsupd (and so the spawner) may run at a nice value of its
         * own ([airsupd] nice); children get the one it started with.
         * Best effort: going back below a positive value needs the
         * privilege an unprivileged airsupd lacks, and a child at
         * airsupd's value is better than no child. */
        if (s->set_nice)
                (void) setpriority(PRIO_PROCESS, 0, s->nice);

        step = "stdio";
        if (dup2(s->null_fd, STDIN_FILENO) < 0)
                goto fail;
        if ((s->out_fd >= 0 || s->out_null) &&
            dup2(s->out_null ? s->null_fd : s->out_fd, STDOUT_FILENO) < 0)
                goto fail;
        if ((s->err_fd >= 0 || s->err_null) &&
            dup2(s->err_null ? s->null_fd : s->err_fd, STDERR_FILENO) < 0)
                goto fail;
        /* Whatever airsupd itself inherited stays out of its children. */
        (void) close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

        /* airsupd raised its own soft limit for its many fds; children get
         * the usual one back (select() breaks above 1024). */
        step = "rlimit";
        if (s->nofile.rlim_cur > 0 && setrlimit(RLIMIT_NOFILE, &s->nofile) < 0)
                goto fail;

        step = "chdir";
        if (s->workdir && chdir(s->workdir) < 0)
                goto fail;

        if (s->set_user) {
                step = "setgroups";
                if (setgroups((size_t) s->n_groups, s->groups) < 0)
                        goto fail;
                step = "setgid";
                if (setresgid(s->gid, s->gid, s->gid) < 0)
                        goto fail;
                step = "setuid";
                if (setresuid(s->uid, s->uid, s->uid) < 0)
                        goto fail;
        }

        step = "stdout";
        if (s->out_path && open_file_as_user(s->out_path, STDOUT_FILENO) < 0)
                goto fail;
        step = "stderr";
        if (s->err_is_out) {
                if (dup2(STDOUT_FILENO, STDERR_FILENO) < 0)
                        goto fail;
        } else if (s->err_path && open_file_as_user(s->err_path, STDERR_FILENO) < 0)
                goto fail;

        /* Its channel to airsupd at CHAN_FD, the one fd beyond stdio it
         * inherits; the status pipe moves out of its way. */
        step = "channel";
        if (s->chan_fd >= 0) {
                if (status_fd == CHAN_FD) {
                        int moved = fcntl(status_fd, F_DUPFD_CLOEXEC, CHAN_FD + 1);
                        if (moved < 0)
                                goto fail;
                        status_fd = moved;
                }
                if (s->chan_fd == CHAN_FD ? fcntl(CHAN_FD, F_SETFD, 0) < 0 : dup2(s->chan_fd, CHAN_FD) < 0)
                        goto fail;
        }

        step = "exec";
        execve(s->path, s->argv, s->envp);

fail:
        f.error = errno;
        strncpy(f.step, step, sizeof(f.step) - 1);
        (void) !write(status_fd, &f, sizeof(f));
        _exit(127);
}

/* Clones the child, into the cgroup at CGROUP_FD (>= 0) from its first
 * instruction on: nothing it forks can start outside.  Where the kernel
 * cannot (before 5.7), *RET_MOVE says the child must move itself. */
int sup_spawn_plan_for_probe(sup_proc *p, spawn_plan *s, const char **ret_step) {
        const cfg_node *c = p->group->cfg;
        const cfg_instance in = { .instance = p->instance, .name = p->name, .group = c->name };
        size_t n_argv = 0;
        int r;

        r = sup_spawn_plan_for_proc(p, s, ret_step);
        if (r < 0)
                return r;
        *ret_step = "probe";
        while (c->health_argv && c->health_argv[n_argv])
                n_argv++;
        if (n_argv == 0)
                return -EINVAL;
        s->owned_argv = strv_free(s->owned_argv);
        free(s->path);
        s->path = NULL;
        s->owned_argv = calloc(n_argv + 1, sizeof(char *));
        if (!s->owned_argv)
                return -ENOMEM;
        for (size_t i = 0; i < n_argv; i++)
                if (cfg_expand(c->health_argv[i], &in, &s->owned_argv[i]) < 0)
                        return -ENOMEM;
        s->argv = s->owned_argv;
        env_unset(s->envp, "NOTIFY_SOCKET");
        env_unset(s->envp, "WATCHDOG_USEC");
        env_unset(s->envp, "WATCHDOG_PID");
        env_unset(s->envp, "AIRSUP_FD");
        s->watchdog_pid = false;
        s->chan_fd = -EBADF;
        s->out_fd = safe_close(s->out_fd);
        s->err_fd = safe_close(s->err_fd);
        s->out_null = s->err_null = true;
        s->out_path = s->err_path = NULL;
        s->err_is_out = false;
        return find_executable(s->argv[0], s->envp, &s->path);
}

static pid_t clone_pidfd(uint64_t flags, int cgroup_fd, int *ret_pidfd, bool *ret_move) {
        struct clone_args args = {
                .flags = CLONE_PIDFD | flags,
                .pidfd = (uint64_t) (uintptr_t) ret_pidfd,
                /* A child of our parent gets the exit signal we would
                 * send it (SIGCHLD), and clone3() refuses to be told. */
                .exit_signal = flags & CLONE_PARENT ? 0 : SIGCHLD,
        };
        pid_t pid;

        *ret_move = false;
        if (cgroup_fd >= 0) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = (uint64_t) cgroup_fd;
                pid = (pid_t) syscall(SYS_clone3, &args, sizeof(args));
                if (pid >= 0 || (errno != E2BIG && errno != EINVAL && errno != ENOSYS))
                        return pid;
                args.flags &= ~(uint64_t) CLONE_INTO_CGROUP;
                args.cgroup = 0;
                *ret_move = true;
        }
        pid = (pid_t) syscall(SYS_clone3, &args, sizeof(args));
        if (pid >= 0 || errno != ENOSYS || flags != 0)
                return pid;

        /* Kernels before 5.3: fork, then take a pidfd.  The child cannot be
         * reaped before pidfd_open() since SIGCHLD is blocked and only
         * airsupd waits for it. */
        pid = fork();
        if (pid == 0)
                return 0;
        if (pid > 0) {
                *ret_pidfd = pidfd_open(pid, 0);
                if (*ret_pidfd < 0) {
                        int saved = errno;
                        (void) kill(pid, SIGKILL);
                        (void) waitpid(pid, NULL, 0);
                        errno = saved;
                        return -1;
                }
        }
        return pid;
}

/* Reads the exec-status pipe FD without waiting: 1 when the child exec'd
 * (EOF: execve() closed the write end), 0 when it has not said yet, or
 * -errno of the step that failed (named in STEP). */
int sup_spawn_status(int fd, char *step, size_t step_size) {
        spawn_failure f;
        ssize_t n;

        do
                n = read(fd, &f, sizeof(f));
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == EAGAIN ? 0 : -errno;
        if (n == 0)
                return 1;
        if ((size_t) n != sizeof(f) || f.error <= 0)
                return -EIO;
        f.step[sizeof(f.step) - 1] = '\0';
        snprintf(step, step_size, "%s", f.step);
        return -f.error;
}

int sup_spawn_fork(const spawn_plan *s, int status_w, uint64_t clone_flags, pid_t *ret_pid, int *ret_pidfd) {
        int pidfd = -EBADF;
        bool move;
        pid_t pid;

        if (!s || !s->path || !s->argv || !s->envp || status_w < 0 || !ret_pid || !ret_pidfd)
                return -EINVAL;

        pid = clone_pidfd(clone_flags, s->cgroup_fd, &pidfd, &move);
        if (pid < 0)
                return -errno;
        if (pid == 0)
                spawn_child(s, status_w, move);
        *ret_pid = pid;
        *ret_pidfd = pidfd;
        return 0;
}

#if defined(__x86_64__)
/* clone3() onto a stack of its own, the child running FN(ARG) there (it
 * has no frame of ours to return to) and exiting with what it returns.
 * glibc has no clone3() wrapper, and its clone() cannot clone into a
 * cgroup.  Returns the child's pid, or -errno. */
static long clone3_run(struct clone_args *args, int (*fn)(void *), void *arg) {
        register long r12 __asm__("r12") = (long) fn;
        register long r13 __asm__("r13") = (long) arg;
        long ret;

        __asm__ __volatile__(
                "syscall\n\t"
                "testq %%rax, %%rax\n\t"
                "jnz 1f\n\t"
                "xorl %%ebp, %%ebp\n\t"
                "movq %%r13, %%rdi\n\t"
                "call *%%r12\n\t"
                "movl %%eax, %%edi\n\t"
                "movl $60, %%eax\n\t"         /* SYS_exit */
                "syscall\n\t"
                "hlt\n"
                "1:"
                : "=a"(ret)
                : "0"((long) SYS_clone3), "D"(args), "S"(sizeof(*args)), "r"(r12), "r"(r13)
                : "rcx", "r11", "memory", "cc");
        return ret;
}

static int spawn_vm_child(void *arg) {
        const spawn_vm *v = arg;

        spawn_child(v->plan, v->status_w, /* move= */ false);
}
#endif

/* The child shares the spawner's memory but not its fds (no CLONE_FILES)
 * nor its signal handlers (no CLONE_SIGHAND), and runs on a stack of its
 * own.  It shares the spawner's thread pointer, so errno: harmless, as
 * the spawner fails no system call while it waits for a request (and
 * exits when one fails), and what the child does with errno is its own
 * failure report. */
int sup_spawn_fork_vm(spawn_vm *v, uint64_t clone_flags, void *stack, size_t stack_size, pid_t *ret_pid,
                      int *ret_pidfd) {
#if defined(__x86_64__)
        int pidfd = -EBADF;
        struct clone_args args = {
                .flags = CLONE_VM | CLONE_PIDFD | CLONE_CHILD_CLEARTID | clone_flags,
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                .child_tid = (uint64_t) (uintptr_t) &v->clear_tid,
                .exit_signal = clone_flags & CLONE_PARENT ? 0 : SIGCHLD,
                .stack = (uint64_t) (uintptr_t) stack,
                .stack_size = stack_size,
        };
        long pid;

        if (!v || !v->plan || !v->plan->path || !v->plan->argv || !v->plan->envp || v->status_w < 0 || !stack ||
            !ret_pid || !ret_pidfd)
                return -EINVAL;
        if (v->plan->cgroup_fd >= 0) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = (uint64_t) v->plan->cgroup_fd;
        }
        __atomic_store_n(&v->clear_tid, 1, __ATOMIC_RELEASE);
        pid = clone3_run(&args, spawn_vm_child, v);
        if (pid < 0) {
                __atomic_store_n(&v->clear_tid, 0, __ATOMIC_RELEASE);
                /* No clone3() or no CLONE_INTO_CGROUP: the caller forks. */
                return pid == -ENOSYS || pid == -E2BIG || (pid == -EINVAL && v->plan->cgroup_fd >= 0) ?
                       -EOPNOTSUPP : (int) pid;
        }
        *ret_pid = (pid_t) pid;
        *ret_pidfd = pidfd;
        return 0;
#else
        (void) v;
        (void) clone_flags;
        (void) stack;
        (void) stack_size;
        (void) ret_pid;
        (void) ret_pidfd;
        return -EOPNOTSUPP;
#endif
}

int sup_spawn_pipe(int *ret_r, int *ret_w) {
        int fds[2];

        if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        *ret_r = fds[0];
        *ret_w = fds[1];
        return 0;
}

int sup_spawn(const spawn_plan *s, pid_t *ret_pid, int *ret_pidfd, int *ret_status_fd) {
        _cleanup_close_ int status_r = -EBADF, status_w = -EBADF;
        int r;

        if (!ret_status_fd)
                return -EINVAL;
        r = sup_spawn_pipe(&status_r, &status_w);
        if (r < 0)
                return r;
        r = sup_spawn_fork(s, status_w, 0, ret_pid, ret_pidfd);
        if (r < 0)
                return r;
        *ret_status_fd = TAKE_FD(status_r);
        return 0;
}

/* One field of /proc/PID/stat at *P: a blank, then a decimal number,
 * perhaps negative, into *RET; *P moves past it. */
static int stat_field(const char **p, long long *ret) {
        const char *s = *p;
        bool neg;
        unsigned long long v = 0;
        int digits = 0;

        if (*s++ != ' ')
                return -EIO;
        neg = *s == '-';
        if (neg)
                s++;
        for (; *s >= '0' && *s <= '9'; s++, digits++) {
                if (v > (ULLONG_MAX - 9) / 10)
                        return -EIO;
                v = v * 10 + (unsigned) (*s - '0');
        }
        if (digits == 0 || v > (unsigned long long) LLONG_MAX)
                return -EIO;
        *ret = neg ? -(long long) v : (long long) v;
        *p = s;
        return 0;
}

/* Reads state, parent, process group and (if RET_START) the start time
 * in clock ticks since boot of PID from /proc/PID/stat. */
int sup_proc_stat_start(pid_t pid, char *ret_state, pid_t *ret_ppid, pid_t *ret_pgrp, unsigned long long *ret_start) {
        _cleanup_close_ int fd = -EBADF;
        char path[32], buf[1024];
        const char *rp;
        long long ppid, pgrp;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return n < 0 ? -errno : -EIO;
        buf[n] = '\0';
        /* "pid (comm) S ppid pgrp ...": comm may hold ')' itself; the
         * start time is field 22, the 20th after comm.  Read by hand:
         * sscanf() was a fifth of a group's start in airsupd. */
        rp = strrchr(buf, ')');
        if (!rp || rp[1] != ' ' || !rp[2] || rp[3] != ' ')
                return -EIO;
        *ret_state = rp[2];
        rp += 3;
        if (stat_field(&rp, &ppid) < 0 || stat_field(&rp, &pgrp) < 0)
                return -EIO;
        if (ret_start) {
                long long v = 0;

                for (int field = 4; field <= 20; field++)
                        if (stat_field(&rp, &v) < 0)
                                return -EIO;
                if (v < 0)
                        return -EIO;
                *ret_start = (unsigned long long) v;
        }
        if (ppid < INT_MIN || ppid > INT_MAX || pgrp < INT_MIN || pgrp > INT_MAX)
                return -EIO;
        *ret_ppid = (pid_t) ppid;
        *ret_pgrp = (pid_t) pgrp;
        return 0;
}

int sup_proc_stat(pid_t pid, char *ret_state, pid_t *ret_ppid, pid_t *ret_pgrp) {
        return sup_proc_stat_start(pid, ret_state, ret_ppid, ret_pgrp, NULL);
}

/* Whether any live (not zombie) process is still in process group PGID.
 * kill(-pgid, 0) answers at once when the group is empty; a zombie still
 * counts for kill(), and one reparented to an init that does not reap would
 * keep a group "alive" for ever, so a positive answer is checked in /proc. */
bool sup_pgrp_alive(pid_t pgid) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        if (pgid <= 0)
                return false;
        if (kill(-pgid, 0) < 0)
                return errno != ESRCH;

        d = opendir("/proc");
        if (!d)
                return true;
        while ((de = readdir(d))) {
                char state;
                pid_t ppid, pgrp;
                unsigned pid;

                if (sscanf(de->d_name, "%u", &pid) != 1 || pid == 0)
                        continue;
                if (sup_proc_stat((pid_t) pid, &state, &ppid, &pgrp) < 0)
                        continue;
                if (pgrp == pgid && state != 'Z' && state != 'X')
                        return true;
        }
        return false;
}
