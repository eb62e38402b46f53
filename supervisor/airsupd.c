/* airsupd.c - the supervisor daemon: options, signals, the event loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "supervisor/operator/control.h"
#include "supervisor/start/fdlimit.h"
#include "supervisor/core/manager.h"
#include "supervisor/config/reload.h"
#include "supervisor/operator/metrics-http.h"
#include "supervisor/start/spawner.h"
#include "supervisor/start/cgroup.h"
#include "supervisor/core/state.h"

#define EXIT_CONFIG 78                  /* EX_CONFIG */
/* -c's default: the Makefile's $(SYSCONFDIR)/airsup/airsup.conf. */
#ifndef AIRSUP_CONFIG
#define AIRSUP_CONFIG "/etc/airsup/airsup.conf"
#endif
/* This many SIGTERM/SIGINT/SIGPWR within SHUTDOWN_FORCE_USEC force the
 * shutdown. */
#define SHUTDOWN_FORCE_AFTER 3
#define SHUTDOWN_FORCE_USEC (5 * USEC_PER_SEC)

/* What the spawner is exec'd from: airsupd-spawner beside airsupd's own
 * binary (a program that needs libc alone, see airsupd-spawner.c), held
 * open (O_PATH) and exec'd through /proc/self/fd so that replacing the
 * installed files while airsupd runs changes nothing, as with
 * /proc/self/exe; else airsupd itself ("airsupd --spawner").  RET holds
 * the path. */
static const char *spawner_exe(char *ret, size_t size) {
        char self[PATH_MAX], *slash;
        struct stat st;
        ssize_t n;
        int fd;

        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
                return "/proc/self/exe";
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (!slash || (size_t) (slash - self) + sizeof("/airsupd-spawner") > sizeof(self))
                return "/proc/self/exe";
        strcpy(slash, "/airsupd-spawner");
        fd = open(self, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return "/proc/self/exe";
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR) ||
            (st.st_uid != 0 && st.st_uid != geteuid())) {
                (void) close(fd);
                return "/proc/self/exe";
        }
        /* Kept open for airsupd's life (close-on-exec: no child gets it). */
        snprintf(ret, size, "/proc/self/fd/%d", fd);
        return ret;
}

/* airsupd at nice value WANT ([airsupd] nice), and so the spawner it forks
 * later; *RET_BASE is the value it started with, which children get back
 * (spawn.c).  Where airsupd leads its session (as a service of systemd or
 * a container's PID 1 does), its session's autogroup gets WANT too: on
 * kernels with autogroups (sched_autogroup_enabled), every group's
 * setsid() makes it an autogroup of its own, each weighed like airsupd's
 * whole session whatever the nice values inside, so that a thousand busy
 * groups would leave the supervisor a thousandth of the machine (measured:
 * watchdog pings of 1000 groups read 16,000 of 20,000 a second and nearly
 * a second late).  A started-by-hand airsupd shares its shell's session:
 * that one is left alone.  Without the privilege (CAP_SYS_NICE or
 * RLIMIT_NICE) to go below where it is, it stays there.  WANT 0 (the
 * default) leaves all as it was started: a boosted supervisor reads late
 * pings on time, and so fails the children a saturated machine makes late
 * (measured: bench/probe, 52 health failures of running children in 6 s
 * at -15, none at 0).  Returns whether airsupd's own nice value changed;
 * MSG says what happened, for the log (empty: nothing). */
static bool nice_apply(int want, int *ret_base, char *msg, size_t size) {
        const char *autogroup = "";
        bool changed = false;
        int base;

        errno = 0;
        base = getpriority(PRIO_PROCESS, 0);
        if (base == -1 && errno != 0)
                base = 0;
        *ret_base = base;
        msg[0] = '\0';
        if (want == 0)
                return false;           /* the default: as it was started, autogroup and all */
        if (want != base) {
                if (setpriority(PRIO_PROCESS, 0, want) == 0)
                        changed = true;
                else {
                        snprintf(msg, size, "nice stays %d: cannot set %d: %s", base, want, strerror(errno));
                        return false;
                }
        }
        if (getsid(0) == getpid()) {
                int fd = open("/proc/self/autogroup", O_WRONLY | O_CLOEXEC);
                char v[16];
                int n = snprintf(v, sizeof(v), "%d", want);

                if (fd >= 0 && write(fd, v, (size_t) n) == n)
                        autogroup = ", its session's autogroup too";
                else if (fd >= 0)
                        autogroup = ", not its session's autogroup (refused)";
                if (fd >= 0)
                        close(fd);
        }
        snprintf(msg, size, "nice %d (started at %d; children get %d)%s", want, base, base, autogroup);
        return changed;
}

static void help(void) {
        printf("Usage: airsupd [-c FILE] [OPTIONS]\n"
               "\n"
               "Supervise the actor groups described in FILE (see airsup.conf(5)).\n"
               "\n"
               "  -c, --config=FILE   the deployment to run (default " AIRSUP_CONFIG ")\n"
               "      --check         validate FILE and what it names (commands, probes, workdirs,\n"
               "                      log directories, as each group's user) and exit: 0 if\n"
               "                      good, 78 if not\n"
               "      --subreaper     adopt and reap orphaned descendants (implied as PID 1)\n"
               "      --control=PATH  the control socket (default: control = in FILE, else\n"
               "                      /run/airsup/control as root, $XDG_RUNTIME_DIR/airsup/control;\n"
               "                      $AIRSUP_RUNTIME_DIR/control when that is set)\n"
               "      --log=TARGET    where events go: auto, stderr or journal (default auto:\n"
               "                      journald when stderr is a stream to it, as\n"
               "                      $JOURNAL_STREAM says under systemd; else stderr)\n"
               "  -v, --verbose       also log debug events\n"
               "  -h, --help          show this help\n"
               "      --version       show the version\n"
               "\n"
               "Exit status: 0 after an orderly shutdown (SIGTERM, SIGINT, SIGPWR), 1 when\n"
               "the root supervisor gave up or a shutdown was forced (a third SIGTERM/SIGINT\n"
               "within 5 s kills what is left), 78 when the configuration does not load.\n"
               "See airsupd(8).\n");
}

/* DEFAULT (the state directory or control socket airsupd picks when
 * neither its options nor the file name one) with its directory replaced
 * by $AIRSUP_RUNTIME_DIR when that is set: one airsupd's defaults then
 * stay away from those of the host's airsupd (the tests run so). */
static int runtime_default(const char *dflt, char *buf, size_t size) {
        const char *dir = getenv("AIRSUP_RUNTIME_DIR"), *last = strrchr(dflt, '/');
        int n;

        if (dir && *dir)
                n = snprintf(buf, size, "%s/%s", dir, last ? last + 1 : dflt);
        else
                n = snprintf(buf, size, "%s", dflt);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

/* "SIGQUIT", "SIGRTMIN+3". */
static const char *signal_name(int sig) {
        static char buf[32];
        const char *abbrev = sig < SIGRTMIN ? sigabbrev_np(sig) : NULL;

        if (abbrev)
                snprintf(buf, sizeof(buf), "SIG%s", abbrev);
        else
                snprintf(buf, sizeof(buf), "SIGRTMIN+%d", sig - SIGRTMIN);
        return buf;
}

/* The signals airsupd reads from its signalfd: every one whose default
 * would end it, but the faults of its own code (SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL, SIGTRAP, SIGSYS, SIGABRT), which mean airsupd itself crashed. */
static const int handled_signals[] = {
        SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPWR, SIGUSR1, SIGUSR2, SIGQUIT,
        SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGSTKFLT, SIGXCPU, SIGXFSZ,
};

/* SIGHUP's reload is done: the event says so, or its errors were logged. */
static void on_reloaded(const reload_result *res, void *userdata) {
        sup_manager *m = userdata;

        if (res->r >= 0)
                sup_log(&m->events, LOG_INFO, "SIGHUP: %s reloaded", m->cfg->path);
        else
                sup_log(&m->events, LOG_WARNING, "SIGHUP: %s not reloaded (%s): nothing changed", m->cfg->path,
                        res->r == -EINVAL ? "errors above" : strerror(-res->r));
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        sup_manager *m = userdata;

        (void) s;
        switch (si->ssi_signo) {
        case SIGCHLD:
                manager_reap(m);
                break;
        case SIGHUP: {
                int r = manager_reload(m, false, on_reloaded, m);
                if (r < 0)
                        sup_log(&m->events, LOG_WARNING, "SIGHUP: no reload: %s", r == -ESHUTDOWN ?
                                "airsupd is shutting down" : r == -EBUSY ? "too many reloads waiting" :
                                strerror(-r));
                break;
        }
        case SIGUSR1:
                sup_log(&m->events, LOG_NOTICE, "SIGUSR1: reopening log files; the tree as it is now");
                manager_reopen_logs(m);
                manager_log_status(m);
                break;
        case SIGUSR2:
                m->events.debug = !m->events.debug;
                sup_log(&m->events, LOG_NOTICE, "SIGUSR2: debug events %s", m->events.debug ? "on" : "off");
                break;
        case SIGTERM:
        case SIGINT:
        case SIGPWR:
                /* A shutdown that does not end (a child that ignores its
                 * stop signal, shutdown = infinity) can be cut short: the
                 * third of these within SHUTDOWN_FORCE_USEC kills what is
                 * left and exits, as systemd does for PID 1. */
                if (m->shutting_down) {
                        if (sup_window_add(&m->shutdown_signals, manager_now(m), SHUTDOWN_FORCE_AFTER - 1,
                                           SHUTDOWN_FORCE_USEC)) {
                                sup_log(&m->events, LOG_CRIT, "SIG%s: shutdown forced, killing every "
                                        "remaining process", sigabbrev_np((int) si->ssi_signo));
                                manager_kill_all(m);
                                return 0;
                        }
                        sup_log(&m->events, LOG_NOTICE, "SIG%s during shutdown: once more within %llu s "
                                "to kill every remaining process", sigabbrev_np((int) si->ssi_signo),
                                (unsigned long long) (SHUTDOWN_FORCE_USEC / USEC_PER_SEC));
                        return 0;
                }
                sup_log(&m->events, LOG_NOTICE, "SIG%s: stopping all children",
                        sigabbrev_np((int) si->ssi_signo));
                (void) sup_window_add(&m->shutdown_signals, manager_now(m), SHUTDOWN_FORCE_AFTER - 1,
                                      SHUTDOWN_FORCE_USEC);
                manager_shutdown(m, 0);
                break;
        default:
                /* Every other signal that would end airsupd and orphan its
                 * tree (SIGQUIT, SIGALRM, real-time signals, ...): noted
                 * and ignored.  Faults (SIGSEGV, ...) keep their default. */
                sup_log(&m->events, LOG_WARNING, "%s from pid %u ignored (SIGTERM stops airsupd)",
                        signal_name((int) si->ssi_signo), si->ssi_pid);
                break;
        }
        return 0;
}

int main(int argc, char **argv) {
        enum { ARG_CHECK = 0x100, ARG_SUBREAPER, ARG_LOG, ARG_VERSION, ARG_CONTROL };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "check", no_argument, NULL, ARG_CHECK },
                { "subreaper", no_argument, NULL, ARG_SUBREAPER },
                { "log", required_argument, NULL, ARG_LOG },
                { "control", required_argument, NULL, ARG_CONTROL },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        _cleanup_(cfg_freep) cfg *c = NULL;
        /* Declared after the loop: freed before it (the manager holds a
         * reference to it anyway). */
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(manager_freep) sup_manager *m = NULL;
        const char *path = NULL, *control_path = NULL;
        _cleanup_(control_freep) sup_control *control = NULL;
        _cleanup_(metrics_http_freep) metrics_http *http = NULL;
        bool check = false, subreaper = false, verbose = false;
        sup_log_target log = SUP_LOG_AUTO;
        sigset_t mask;
        struct rlimit nofile;
        char nice_msg[160] = "";
        bool nice_changed;
        int nice_base;
        /* Released on every early return: what exits before it started
         * anything leaves no lock behind (state_close() at the end). */
        _cleanup_(state_release) sup_state state = { .lock_fd = -EBADF, .procs_fd = -EBADF };
        bool state_ok = false;
        int opt, r;

        /* The spawner (spawner.c) where airsupd-spawner is not beside it. */
        if (argc == 2 && strcmp(argv[1], "--spawner") == 0)
                sup_spawner_main(3);

        while ((opt = getopt_long(argc, argv, "c:vh", options, NULL)) >= 0) {
                switch (opt) {
                case 'c':
                        path = optarg;
                        break;
                case ARG_CHECK:
                        check = true;
                        break;
                case ARG_SUBREAPER:
                        subreaper = true;
                        break;
                case ARG_CONTROL:
                        control_path = optarg;
                        break;
                case ARG_LOG:
                        if (strcmp(optarg, "auto") == 0)
                                log = SUP_LOG_AUTO;
                        else if (strcmp(optarg, "stderr") == 0)
                                log = SUP_LOG_STDERR;
                        else if (strcmp(optarg, "journal") == 0)
                                log = SUP_LOG_JOURNAL;
                        else {
                                fprintf(stderr, "airsupd: --log: expected auto, stderr or journal\n");
                                return 2;
                        }
                        break;
                case 'v':
                        verbose = true;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("airsupd " AIRSUP_VERSION "\n");
                        return 0;
                default:
                        fprintf(stderr, "Try 'airsupd --help'.\n");
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "airsupd: unexpected argument '%s'\nTry 'airsupd --help'.\n", argv[optind]);
                return 2;
        }
        if (!path)
                path = AIRSUP_CONFIG;
        {
                const char *rt = getenv("AIRSUP_RUNTIME_DIR");

                if (rt && *rt && rt[0] != '/') {
                        fprintf(stderr, "airsupd: AIRSUP_RUNTIME_DIR=%s: not an absolute path\n", rt);
                        return 2;
                }
        }

        r = cfg_load(path, stderr, &c);
        if (r < 0)
                return EXIT_CONFIG;
        if (check) {
                unsigned warnings = 0;
                int short_fds = fdlimit_check(c, fdlimit_possible(), stderr);

                if (cfg_verify(c, stderr, &warnings) > 0 || short_fds < 0)
                        return EXIT_CONFIG;
                if (warnings > 0)
                        printf("%s: ok, %u warning%s\n", path, warnings, warnings == 1 ? "" : "s");
                else
                        printf("%s: ok\n", path);
                return 0;
        }
        /* --check's errors refuse the start: a group whose command is not
         * there would only fail, restart and take its supervisors down. */
        r = cfg_verify_errors(c, stderr);
        if (r < 0) {
                fprintf(stderr, "airsupd: %s: not started (airsupd --check -c %s lists every problem)\n",
                        path, path);
                return EXIT_CONFIG;
        }

        /* One airsupd per deployment: the lock in its state directory. */
        {
                char dir[PATH_MAX], dflt[PATH_MAX], err[PATH_MAX + 128];

                if (c->state_dir)
                        snprintf(dir, sizeof(dir), "%s", c->state_dir);
                else if (state_dir_default(path, dflt, sizeof(dflt)) < 0 ||
                         runtime_default(dflt, dir, sizeof(dir)) < 0)
                        dir[0] = '\0';
                r = dir[0] ? state_open(dir, c->control_group, &state, err, sizeof(err)) : -ENOENT;
                /* Locked by another airsupd, or a directory another user
                 * could have planted: never run on it. */
                if (r == -EBUSY || r == -EPERM) {
                        fprintf(stderr, "airsupd: %s\n", err);
                        return 1;
                }
                if (r < 0)
                        fprintf(stderr, "airsupd: warning: %s; running without a lock or a record of "
                                "its processes\n", dir[0] ? err : "no state directory");
                state_ok = r >= 0;
                state.remove_dir = !c->state_dir;
        }

        /* As PID 1 every orphan is ours anyway; elsewhere it is asked for. */
        if (getpid() == 1)
                subreaper = true;
        else if (subreaper && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
                fprintf(stderr, "airsupd: failed to become a subreaper: %m\n");
                return 1;
        }

        /* Signals are read from a signalfd; blocked before any child exists so
         * that no SIGCHLD is lost.  Children unblock them before exec. */
        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(handled_signals); i++)
                sigaddset(&mask, handled_signals[i]);
        for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
                sigaddset(&mask, sig);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
                fprintf(stderr, "airsupd: failed to block signals: %m\n");
                return 1;
        }
        (void) signal(SIGPIPE, SIG_IGN);

        /* Each process costs airsupd about five fds: take the most it may
         * have (as root, up to fs.nr_open), refuse a tree that cannot fit,
         * and give children the limit airsupd was started with. */
        if (fdlimit_raise(&nofile) < 0)
                nofile.rlim_cur = 0;
        {
                struct rlimit now;

                if (getrlimit(RLIMIT_NOFILE, &now) >= 0 &&
                    fdlimit_check(c, now.rlim_cur == RLIM_INFINITY ? UINT64_MAX : now.rlim_cur, stderr) < 0)
                        return EXIT_CONFIG;
        }
        if (fdlimit_reserve_init() < 0) {
                fprintf(stderr, "airsupd: no file descriptors for its reserve: %m\n");
                return 1;
        }

        /* Before any thread or helper exists: they take it from here. */
        nice_changed = nice_apply(c->nice, &nice_base, nice_msg, sizeof(nice_msg));

        r = sd_event_new(&e);
        if (r < 0) {
                fprintf(stderr, "airsupd: failed to create the event loop: %s\n", strerror(-r));
                return 1;
        }
        /* sd-event makes a clock's timerfd with its first timer, and keeps
         * it: made now, arming a backoff, grace or poll timer later never
         * needs an fd, so a stop cannot fail for want of one. */
        {
                _cleanup_(sd_event_source_unrefp) sd_event_source *t = NULL;

                r = sd_event_add_time(e, &t, CLOCK_MONOTONIC, UINT64_MAX, 0, NULL, NULL);
                if (r < 0) {
                        fprintf(stderr, "airsupd: failed to create a timer: %s\n", strerror(-r));
                        return 1;
                }
        }
        r = manager_new(TAKE_PTR(c), e, log, verbose, subreaper, &m);
        if (r < 0) {
                fprintf(stderr, "airsupd: failed to build the tree: %s\n", strerror(-r));
                return 1;
        }
        for (int sig = 1; sig <= SIGRTMAX; sig++) {
                if (!sigismember(&mask, sig))
                        continue;
                r = sd_event_add_signal(e, NULL, sig, on_signal, m);
                if (r < 0) {
                        fprintf(stderr, "airsupd: failed to watch signal %d: %s\n", sig, strerror(-r));
                        return 1;
                }
        }

        /* The control socket: --control, control =, or the default. */
        {
                char dflt[108], ours[108], err[256];

                if (!control_path)
                        control_path = m->cfg->control;
                if (!control_path && control_default_path(dflt, sizeof(dflt)) >= 0 &&
                    runtime_default(dflt, ours, sizeof(ours)) >= 0)
                        control_path = ours;
                r = control_path ? control_open(m, control_path, m->cfg->control_group, &control, err, sizeof(err))
                                 : -ENAMETOOLONG;
                if (r < 0) {
                        fprintf(stderr, "airsupd: %s\n", control_path ? err : "no control socket path");
                        return 1;
                }
        }
        if (m->cfg->metrics_listen) {
                r = metrics_http_start(e, control_metrics_source(control), m->cfg->metrics_listen, &http);
                if (r < 0) {
                        fprintf(stderr, "airsupd: metrics_listen = %s: cannot listen: %s\n", m->cfg->metrics_listen,
                                strerror(-r));
                        return 1;
                }
        }
        m->nofile_child = nofile;
        m->nice_child = nice_base;
        m->nice_reset = nice_changed;
        if (nice_msg[0])
                sup_log(&m->events, LOG_INFO, "%s", nice_msg);
        {
                static char exe[64];

                m->spawner_exe = spawner_exe(exe, sizeof(exe));
        }
        if (state_ok) {
                m->state = &state;
                (void) state_stop_leftovers(&state, &m->events);
        }
        /* A cgroup per instance (cgroup = auto | required), before any
         * helper or child exists (they start in airsupd's own leaf), after
         * the leftovers of a killed airsupd went (with its cgroups). */
        {
                char err[PATH_MAX + 256];

                r = cgroup_setup(m, err, sizeof(err));
                if (r < 0) {
                        fprintf(stderr, "airsupd: cgroup = %s: %s\n", cfg_cgroup_to_string(m->cfg->cgroup), err);
                        return EXIT_CONFIG;
                }
        }
        manager_start(m);
        r = sd_event_loop(e);
        if (r < 0) {
                sup_log(&m->events, LOG_ERR, "event loop failed: %s", strerror(-r));
                r = 1;
        }
        http = metrics_http_free(http);
        control = control_free(control);
        /* The loop ends once every process is down: none is left over. */
        if (state_ok)
                state_close(&state, /* clean= */ r >= 0);
        fdlimit_reserve_done();
        return r;
}
