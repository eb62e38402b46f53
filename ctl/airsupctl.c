/* airsupctl - the operator's command line for airsupd (airsupctl(1)).
 *
 * It speaks D-Bus peer-to-peer to airsupd's control socket with sd-bus
 * (the interface is in airsupctl(1), "D-BUS INTERFACE"), prints aligned
 * tables, or with --json one JSON document per call, made with json-c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "common/control-proto.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_NO_SUCH 3
#define EXIT_UNREACHABLE 4


static const char *arg_socket;
static bool arg_json, arg_no_block;
static double arg_timeout = 90;

static void help(void) {
        printf("Usage: airsupctl [-s SOCKET] [--json] VERB [ARGS...]\n"
               "\n"
               "Operate a running airsupd (see airsupctl(1)).\n"
               "\n"
               "Verbs:\n"
               "  status [NAME...]     one row per process and supervisor (NAME: a group,\n"
               "                       GROUP[i], or a supervisor and what is below it)\n"
               "  tree                 the supervision tree with strategies and states\n"
               "  start NAME           let a stopped, ended or failed node run again\n"
               "  stop NAME            stop it and hold it down until start\n"
               "  restart NAME         stop and start it in order\n"
               "  signal NAME SIG      send SIG to its running main processes\n"
               "  events [-f] [-n N] [--since TIME] [--severity LEVEL] [NAME]\n"
               "                       the last N events (default 20), then with -f follow\n"
               "                       live; TIME: 30s, 5m, 2h, 1d ago or @EPOCH\n"
               "  logs [-f] [-n N] NAME  the last N lines (default 20) of a group's log:\n"
               "                       or file: output (journalctl for journal), -f follows\n"
               "  metrics [--prometheus]  per node and process figures, and airsupd's own\n"
               "  dead-letters [NAME]  the messages taken off after too many redeliveries\n"
               "  reload [--dry-run]   read the file again and apply what changed (waits until\n"
               "                       done); --dry-run prints the plan only\n"
               "  shutdown             stop the whole tree; airsupd exits 0\n"
               "\n"
               "Options:\n"
               "  -s, --socket=PATH    the control socket (default $AIRSUP_CONTROL, else\n"
               "                       /run/airsup/control as root, $XDG_RUNTIME_DIR/airsup/control)\n"
               "      --json           one JSON document instead of a table\n"
               "      --no-block       stop, start, restart: return once it is under way\n"
               "      --timeout=SEC    how long stop, start, restart, reload wait (default 90)\n"
               "  -h, --help           show this help\n"
               "\n"
               "Exit status: 0 done, 1 failed, 2 usage, 3 no such name, 4 cannot reach airsupd.\n");
}

static const char *default_socket(char *buf, size_t size) {
        const char *env = getenv("AIRSUP_CONTROL"), *runtime = getenv("XDG_RUNTIME_DIR");

        if (env && *env)
                return env;
        if (geteuid() == 0)
                snprintf(buf, size, "/run/airsup/control");
        else if (runtime && runtime[0] == '/')
                snprintf(buf, size, "%s/airsup/control", runtime);
        else
                snprintf(buf, size, "/tmp/airsup-%u/control", (unsigned) geteuid());
        return buf;
}

static int fail_unreachable(const char *path, const char *why) {
        fprintf(stderr, "airsupctl: cannot reach airsupd on %s: %s\n", path, why);
        return -EXIT_UNREACHABLE;
}

/* airsupd refuses a peer it does not trust with one line before it closes:
 * read it on a fresh connection to say why the first one failed. */
static bool refused_by_airsupd(const struct sockaddr_un *sa) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        char buf[64] = "";
        bool refused = false;

        if (fd >= 0 && connect(fd, (const struct sockaddr *) sa, sizeof(*sa)) == 0 && poll(&pfd, 1, 1000) > 0 &&
            read(fd, buf, sizeof(buf) - 1) > 0)
                refused = strncmp(buf, "airsupd: access denied", 22) == 0;
        if (fd >= 0)
                close(fd);
        return refused;
}

/* A connection, or -EXIT_UNREACHABLE with the reason said. */
static int connect_bus(sd_bus **ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char buf[108];
        const char *path = arg_socket ?: default_socket(buf, sizeof(buf));
        sd_bus *bus = NULL;
        int fd, r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return fail_unreachable(path, "socket path too long");
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return fail_unreachable(path, strerror(errno));
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int e = errno;
                close(fd);
                if (e == ENOENT)
                        return fail_unreachable(path, "no such socket (is airsupd running? see -s)");
                if (e == ECONNREFUSED)
                        return fail_unreachable(path, "connection refused (a stale socket: airsupd is gone)");
                if (e == EACCES || e == EPERM)
                        return fail_unreachable(path, "permission denied by the socket's mode or its directory's");
                return fail_unreachable(path, strerror(e));
        }
        /* Who listens there, before a byte is sent: only root or the
         * caller may.  Another user who made the socket's directory first
         * (/tmp/airsup-UID) and put a socket of his own there would
         * otherwise hear every verb, and answer what he likes. */
        {
                struct ucred cred;
                socklen_t len = sizeof(cred);
                char why[160];

                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                        int e = errno;
                        close(fd);
                        return fail_unreachable(path, strerror(e));
                }
                if (cred.uid != 0 && cred.uid != geteuid()) {
                        close(fd);
                        snprintf(why, sizeof(why), "the socket is served by uid %u, neither root nor you: not "
                                 "talking to it", (unsigned) cred.uid);
                        return fail_unreachable(path, why);
                }
        }
        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_fd(bus, fd, fd);
        if (r >= 0)
                r = sd_bus_start(bus);
        /* The handshake completes with the first call: make it a Ping, so
         * that a refusal is told apart from a failed verb. */
        if (r >= 0)
                r = sd_bus_call_method(bus, NULL, CONTROL_PATH, "org.freedesktop.DBus.Peer", "Ping", NULL, NULL, "");
        if (r >= 0) {
                *ret = bus;
                return 0;
        }
        sd_bus_flush_close_unref(bus);
        if (refused_by_airsupd(&sa))
                return fail_unreachable(path, "access denied by airsupd (only root, its own user and "
                                        "members of control_group may control it)");
        return fail_unreachable(path, strerror(-r));
}

static int call_error(const sd_bus_error *e, int r) {
        if (sd_bus_error_has_name(e, CONTROL_ERR_NO_SUCH_NODE)) {
                fprintf(stderr, "airsupctl: %s\n", e->message);
                return EXIT_NO_SUCH;
        }
        fprintf(stderr, "airsupctl: %s\n", e->message ?: strerror(-r));
        return EXIT_FAILED;
}

/* A call without arguments; its reply in *REPLY, or an exit status. */
static int call_plain(sd_bus *bus, const char *method, sd_bus_message **reply) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, method, &e, reply, "");

        if (r >= 0)
                return 0;
        r = call_error(&e, r);
        sd_bus_error_free(&e);
        return r;
}

typedef struct row {
        const char *name, *kind, *state, *parent, *held, *last_exit, *status, *health;
        uint32_t pid, restarts;
        uint64_t uptime_usec, exited_usec;
        int ready;
} row;

/* Status(NAMES) into ROWS (pointing into *RET_REPLY). */
static int get_status(sd_bus *bus, char **names, sd_bus_message **ret_reply, row **ret_rows, size_t *ret_n) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        row *rows = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, NULL, CONTROL_PATH, CONTROL_IFACE, "Status");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, names);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &e, &reply);
        sd_bus_message_unref(m);
        if (r < 0) {
                r = call_error(&e, r);
                sd_bus_error_free(&e);
                return -r;
        }
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_STATUS_ROW);
        while (r >= 0) {
                row x = {};
                r = sd_bus_message_read(reply, CONTROL_STATUS_ROW, &x.name, &x.kind, &x.state, &x.parent, &x.held, &x.pid,
                                        &x.uptime_usec, &x.restarts, &x.ready, &x.last_exit, &x.exited_usec,
                                        &x.status, &x.health);
                if (r <= 0)
                        break;
                row *a = reallocarray(rows, n + 1, sizeof(row));
                if (!a) {
                        r = -ENOMEM;
                        break;
                }
                rows = a;
                rows[n++] = x;
        }
        if (r < 0) {
                fprintf(stderr, "airsupctl: bad reply from airsupd: %s\n", strerror(-r));
                free(rows);
                sd_bus_message_unref(reply);
                return -EXIT_FAILED;
        }
        *ret_reply = reply;
        *ret_rows = rows;
        *ret_n = n;
        return 0;
}

static void format_duration(uint64_t usec, char *buf, size_t size) {
        uint64_t s = usec / 1000000;

        if (usec == 0)
                snprintf(buf, size, "-");
        else if (s < 60)
                snprintf(buf, size, "%llus", (unsigned long long) s);
        else if (s < 3600)
                snprintf(buf, size, "%llum%02llus", (unsigned long long) (s / 60), (unsigned long long) (s % 60));
        else if (s < 86400)
                snprintf(buf, size, "%lluh%02llum", (unsigned long long) (s / 3600),
                         (unsigned long long) (s / 60 % 60));
        else
                snprintf(buf, size, "%llud%02lluh", (unsigned long long) (s / 86400),
                         (unsigned long long) (s / 3600 % 24));
}

static uint64_t realtime_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static int print_json(json_object *o) {
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        return 0;
}

static int verb_status(sd_bus *bus, char **names) {
        sd_bus_message *reply = NULL;
        row *rows = NULL;
        size_t n = 0;
        int r = get_status(bus, names, &reply, &rows, &n);

        if (r < 0)
                return -r;
        if (arg_json) {
                json_object *a = json_object_new_array();
                for (size_t i = 0; i < n; i++) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "name", json_object_new_string(rows[i].name));
                        json_object_object_add(o, "kind", json_object_new_string(rows[i].kind));
                        json_object_object_add(o, "state", json_object_new_string(rows[i].state));
                        json_object_object_add(o, "group", json_object_new_string(rows[i].parent));
                        json_object_object_add(o, "held", json_object_new_boolean(rows[i].held[0] != '\0'));
                        json_object_object_add(o, "pid", rows[i].pid ? json_object_new_int64(rows[i].pid) : NULL);
                        json_object_object_add(o, "uptime_usec", json_object_new_uint64(rows[i].uptime_usec));
                        json_object_object_add(o, "restarts", json_object_new_int64(rows[i].restarts));
                        json_object_object_add(o, "ready", json_object_new_boolean(rows[i].ready));
                        json_object_object_add(o, "last_exit", rows[i].last_exit[0] ?
                                               json_object_new_string(rows[i].last_exit) : NULL);
                        json_object_object_add(o, "last_exit_realtime_usec", rows[i].exited_usec ?
                                               json_object_new_uint64(rows[i].exited_usec) : NULL);
                        json_object_object_add(o, "status_text", json_object_new_string(rows[i].status));
                        json_object_object_add(o, "health", rows[i].health[0] ? json_object_new_string(rows[i].health)
                                                                             : NULL);
                        json_object_array_add(a, o);
                }
                print_json(a);
        } else {
                size_t w = 4;
                uint64_t now = realtime_usec();

                for (size_t i = 0; i < n; i++)
                        if (strlen(rows[i].name) > w)
                                w = strlen(rows[i].name);
                printf("%-*s  %-14s %8s %8s %8s  %-5s  %-8s  %-24s %s\n", (int) w, "NAME", "STATE", "PID", "UPTIME",
                       "RESTARTS", "READY", "HEALTH", "LAST EXIT", "STATUS");
                for (size_t i = 0; i < n; i++) {
                        char up[32], pid[16], last[64], ago[32], state[32];

                        format_duration(rows[i].uptime_usec, up, sizeof(up));
                        snprintf(pid, sizeof(pid), rows[i].pid ? "%u" : "-", rows[i].pid);
                        snprintf(state, sizeof(state), "%s%s", rows[i].state, rows[i].held[0] ? ",held" : "");
                        if (rows[i].last_exit[0]) {
                                format_duration(now > rows[i].exited_usec ? now - rows[i].exited_usec : 1, ago,
                                                sizeof(ago));
                                snprintf(last, sizeof(last), "%s (%s ago)", rows[i].last_exit, ago);
                        } else
                                snprintf(last, sizeof(last), "-");
                        printf("%-*s  %-14s %8s %8s %8u  %-5s  %-8s  %-24s %s\n", (int) w, rows[i].name, state, pid,
                               strcmp(rows[i].kind, "supervisor") == 0 ? "" : up,
                               rows[i].restarts, rows[i].ready ? "yes" : "no", rows[i].health[0] ? rows[i].health : "-",
                               last, rows[i].status);
                }
        }
        free(rows);
        sd_bus_message_unref(reply);
        return 0;
}

/* The end of a verb that read REPLY into a table (or the JSON array A):
 * the reply freed, A printed, or R's failure said. */
static int reply_end(sd_bus_message *reply, int r, json_object *a) {
        sd_bus_message_unref(reply);
        if (r < 0) {
                json_object_put(a);
                fprintf(stderr, "airsupctl: bad reply from airsupd: %s\n", strerror(-r));
                return EXIT_FAILED;
        }
        if (a)
                print_json(a);
        return 0;
}

static int verb_tree(sd_bus *bus) {
        sd_bus_message *reply = NULL;
        json_object *a;
        int r;

        r = call_plain(bus, "Tree", &reply);
        if (r > 0)
                return r;
        a = arg_json ? json_object_new_array() : NULL;
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_TREE_ROW);
        while (r >= 0) {
                const char *name, *kind, *state, *strategy, *restart;
                uint32_t depth, intensity, period, instances;

                r = sd_bus_message_read(reply, CONTROL_TREE_ROW, &name, &depth, &kind, &state, &strategy, &intensity,
                                        &restart, &period, &instances);
                if (r <= 0)
                        break;
                if (a) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "name", json_object_new_string(name));
                        json_object_object_add(o, "depth", json_object_new_int64(depth));
                        json_object_object_add(o, "kind", json_object_new_string(kind));
                        json_object_object_add(o, "state", json_object_new_string(state));
                        json_object_object_add(o, "restart", json_object_new_string(restart));
                        if (strcmp(kind, "supervisor") == 0) {
                                json_object_object_add(o, "strategy", json_object_new_string(strategy));
                                json_object_object_add(o, "intensity", json_object_new_int64(intensity));
                                json_object_object_add(o, "period_s", json_object_new_int64(period));
                        } else
                                json_object_object_add(o, "instances", json_object_new_int64(instances));
                        json_object_array_add(a, o);
                } else if (strcmp(kind, "supervisor") == 0)
                        printf("%*s%s [%s, %u in %us, %s] %s\n", (int) depth * 2, "", name, strategy, intensity,
                               period, restart, state);
                else
                        printf("%*s%s%s [%s] %s\n", (int) depth * 2, "", name,
                               instances > 1 ? "[*]" : "", restart, state);
        }
        return reply_end(reply, r, a);
}

/* Whether the rows of NAME show VERB done: every process stopped (stop)
 * or ready with a pid other than before (restart; start: ready).  An
 * instance held down by the operator stays down through a start or
 * restart of its supervisor. */
static bool done(const char *verb, const row *rows, size_t n, const row *before, size_t n_before) {
        for (size_t i = 0; i < n; i++) {
                if (strcmp(rows[i].kind, "supervisor") == 0)
                        continue;
                if (strcmp(verb, "stop") != 0 && rows[i].held[0] && strcmp(rows[i].state, "stopped") == 0)
                        continue;
                if (strcmp(verb, "stop") == 0) {
                        if (strcmp(rows[i].state, "stopped") != 0 && strcmp(rows[i].state, "exited") != 0 &&
                            strcmp(rows[i].state, "failed") != 0)
                                return false;
                        continue;
                }
                if (!rows[i].ready)
                        return false;
                if (strcmp(verb, "restart") == 0)
                        for (size_t j = 0; j < n_before; j++)
                                if (strcmp(before[j].name, rows[i].name) == 0 && before[j].pid != 0 &&
                                    before[j].pid == rows[i].pid)
                                        return false;
        }
        return true;
}

static int verb_change(sd_bus *bus, const char *verb, const char *name) {
        static const char *const methods[][2] = { { "start", "Start" }, { "stop", "Stop" }, { "restart", "Restart" } };
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *before_reply = NULL, *reply = NULL;
        row *before = NULL, *rows = NULL;
        size_t n_before = 0, n = 0;
        char *names[] = { (char *) name, NULL };
        const char *method = NULL;
        struct timespec t0, t;
        int r;

        for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
                if (strcmp(methods[i][0], verb) == 0)
                        method = methods[i][1];
        r = get_status(bus, names, &before_reply, &before, &n_before);
        if (r < 0)
                return -r;
        r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, method, &e, NULL, "s", name);
        if (r < 0) {
                r = call_error(&e, r);
                sd_bus_error_free(&e);
                goto out;
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        while (!arg_no_block) {
                r = get_status(bus, names, &reply, &rows, &n);
                if (r < 0) {
                        r = -r;
                        goto out;
                }
                bool ok = done(verb, rows, n, before, n_before);
                free(rows);
                rows = NULL;
                reply = sd_bus_message_unref(reply);
                if (ok)
                        break;
                clock_gettime(CLOCK_MONOTONIC, &t);
                if ((double) (t.tv_sec - t0.tv_sec) + (double) (t.tv_nsec - t0.tv_nsec) / 1e9 > arg_timeout) {
                        fprintf(stderr, "airsupctl: %s %s: not done after %g s\n", verb, name, arg_timeout);
                        r = EXIT_FAILED;
                        goto out;
                }
                (void) poll(NULL, 0, 20);
        }
        if (arg_json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "verb", json_object_new_string(verb));
                json_object_object_add(o, "name", json_object_new_string(name));
                json_object_object_add(o, "done", json_object_new_boolean(!arg_no_block));
                print_json(o);
        }
        r = 0;
out:
        free(before);
        sd_bus_message_unref(before_reply);
        return r;
}

static int verb_signal(sd_bus *bus, const char *name, const char *sig) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        uint32_t k = 0;
        int r;

        r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, "Signal", &e, &reply, "ss", name, sig);
        if (r < 0) {
                r = call_error(&e, r);
                sd_bus_error_free(&e);
                return r;
        }
        (void) sd_bus_message_read(reply, "u", &k);
        sd_bus_message_unref(reply);
        if (arg_json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "name", json_object_new_string(name));
                json_object_object_add(o, "signal", json_object_new_string(sig));
                json_object_object_add(o, "signalled", json_object_new_int64(k));
                print_json(o);
        } else
                printf("%s: %u instance%s signalled\n", name, k, k == 1 ? "" : "s");
        return 0;
}

typedef struct event_filter {
        const char *node;
        int max_priority;
        uint64_t after_seq;             /* printed already */
} event_filter;

static const char *const severities[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };

static int severity_from_string(const char *s) {
        for (int i = 0; i < 8; i++)
                if (strcmp(s, severities[i]) == 0)
                        return i;
        return -1;
}

/* REAL (CLOCK_REALTIME, usec) as local time with microseconds, into BUF. */
static const char *local_time(uint64_t real, char *buf, size_t size) {
        time_t t = (time_t) (real / 1000000);
        struct tm tm;
        char when[32];

        localtime_r(&t, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, size, "%s.%06llu", when, (unsigned long long) (real % 1000000));
        return buf;
}

/* Prints one event row read from M (at its struct); false when none is left. */
static int print_event(sd_bus_message *m, event_filter *f) {
        const char *sev, *kind, *node, *text;
        uint64_t seq, real, mono;
        uint32_t pid, inc;
        int r;

        r = sd_bus_message_read(m, CONTROL_EVENT_ROW, &seq, &real, &mono, &sev, &kind, &node, &pid, &inc, &text);
        if (r <= 0)
                return r;
        if (seq <= f->after_seq || severity_from_string(sev) > f->max_priority)
                return 1;
        if (f->node && strcmp(node, f->node) != 0) {
                size_t l = strlen(f->node);
                if (!(strncmp(node, f->node, l) == 0 && node[l] == '['))
                        return 1;       /* live: the node itself and its instances */
        }
        f->after_seq = seq;
        if (arg_json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "seq", json_object_new_uint64(seq));
                json_object_object_add(o, "realtime_usec", json_object_new_uint64(real));
                json_object_object_add(o, "monotonic_usec", json_object_new_uint64(mono));
                json_object_object_add(o, "severity", json_object_new_string(sev));
                json_object_object_add(o, "kind", json_object_new_string(kind));
                json_object_object_add(o, "node", json_object_new_string(node));
                json_object_object_add(o, "pid", pid ? json_object_new_int64(pid) : NULL);
                json_object_object_add(o, "incarnation", json_object_new_int64(inc));
                json_object_object_add(o, "text", json_object_new_string(text));
                print_json(o);
        } else {
                char when[40];

                printf("%s %-7s %s\n", local_time(real, when, sizeof(when)), sev, text);
        }
        fflush(stdout);
        return 1;
}

static int verb_dead_letters(sd_bus *bus, const char *name) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        json_object *a = arg_json ? json_object_new_array() : NULL;
        int r, n = 0;

        r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, "DeadLetters", &e, &reply, "s", name ? name : "");
        if (r < 0) {
                json_object_put(a);
                r = call_error(&e, r);
                sd_bus_error_free(&e);
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_DEAD_LETTER_ROW);
        if (r >= 0 && !a)
                printf("%-26s %-16s %-16s %6s %7s %5s  %s\n", "TIME", "TO", "FROM", "TYPE", "BYTES", "TRIES",
                       "FIRST BYTES");
        while (r >= 0) {
                uint64_t real;
                const char *to, *from, *head;
                uint32_t type, len, red;

                r = sd_bus_message_read(reply, CONTROL_DEAD_LETTER_ROW, &real, &to, &from, &head, &type, &len, &red);
                if (r <= 0)
                        break;
                n++;
                if (a) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "realtime_usec", json_object_new_uint64(real));
                        json_object_object_add(o, "to", json_object_new_string(to));
                        json_object_object_add(o, "from", json_object_new_string(from));
                        json_object_object_add(o, "type", json_object_new_int64(type));
                        json_object_object_add(o, "len", json_object_new_int64(len));
                        json_object_object_add(o, "redeliveries", json_object_new_int64(red));
                        json_object_object_add(o, "head_hex", json_object_new_string(head));
                        json_object_array_add(a, o);
                } else {
                        char when[40];

                        printf("%s %-16s %-16s %6u %7u %5u  %.32s%s\n", local_time(real, when, sizeof(when)), to,
                               from, type, len, red + 1, head, strlen(head) > 32 ? "..." : "");
                }
        }
        if (r >= 0 && !a && n == 0)
                printf("(none)\n");
        return reply_end(reply, r, a);
}

static int on_event_signal(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        (void) error;
        if (sd_bus_message_is_signal(m, CONTROL_IFACE, "Event"))
                (void) print_event(m, userdata);
        return 0;
}

static int verb_events(sd_bus *bus, bool follow, uint32_t n, uint64_t since, int max_priority, const char *node) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        event_filter f = { .node = node, .max_priority = max_priority };
        int r;

        /* Subscribed first, so that nothing falls between the history
         * and the stream; the stream skips what the history printed. */
        if (follow) {
                r = sd_bus_add_filter(bus, NULL, on_event_signal, &f);
                if (r >= 0)
                        r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, "Subscribe", &e, NULL, "");
                if (r < 0) {
                        r = call_error(&e, r);
                        sd_bus_error_free(&e);
                        return r;
                }
        }
        if (n == 0)
                goto live;
        r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, "Events", &e, &reply, "utis", n, since,
                               (int32_t) max_priority, node ?: "");
        if (r < 0) {
                r = call_error(&e, r);
                sd_bus_error_free(&e);
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_EVENT_ROW);
        if (r >= 0) {
                /* History is filtered by airsupd; print it whole. */
                uint64_t floor = f.after_seq;
                f.after_seq = 0;
                while ((r = print_event(reply, &f)) > 0)
                        ;
                if (f.after_seq < floor)
                        f.after_seq = floor;
        }
        sd_bus_message_unref(reply);
        if (r < 0) {
                fprintf(stderr, "airsupctl: bad reply from airsupd: %s\n", strerror(-r));
                return EXIT_FAILED;
        }
live:
        while (follow) {
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        fprintf(stderr, "airsupctl: airsupd went away: %s\n", strerror(-r));
                        return EXIT_UNREACHABLE;
                }
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0 && r != -EINTR) {
                        fprintf(stderr, "airsupctl: airsupd went away: %s\n", strerror(-r));
                        return EXIT_UNREACHABLE;
                }
        }
        return 0;
}

/* --since: a duration ago (30s, 5m, 2h, 1d) or @SECONDS since the epoch. */
static int parse_since(const char *s, uint64_t *ret) {
        char *end;
        double v;

        if (s[0] == '@') {
                v = strtod(s + 1, &end);
                if (*end || v < 0)
                        return -EINVAL;
                *ret = (uint64_t) (v * 1e6);
                return 0;
        }
        v = strtod(s, &end);
        if (end == s || v < 0)
                return -EINVAL;
        if (strcmp(end, "s") == 0 || *end == '\0')
                ;
        else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
                v *= 60;
        else if (strcmp(end, "h") == 0)
                v *= 3600;
        else if (strcmp(end, "d") == 0)
                v *= 86400;
        else
                return -EINVAL;
        *ret = realtime_usec() - (uint64_t) (v * 1e6);
        return 0;
}

/* Metrics as a table, as JSON, or in Prometheus' text format (each
 * family's HELP and TYPE once, before its first sample). */
static int verb_metrics(sd_bus *bus, bool prometheus) {
        sd_bus_message *reply = NULL;
        json_object *a;
        char last[128] = "";
        int r;

        r = call_plain(bus, "Metrics", &reply);
        if (r > 0)
                return r;
        a = arg_json && !prometheus ? json_object_new_array() : NULL;
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_METRIC_ROW);
        while (r >= 0) {
                const char *name, *type, *help, *labels;
                double v;

                r = sd_bus_message_read(reply, CONTROL_METRIC_ROW, &name, &type, &help, &labels, &v);
                if (r <= 0)
                        break;
                if (prometheus) {
                        if (strcmp(last, name) != 0) {
                                printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
                                snprintf(last, sizeof(last), "%s", name);
                        }
                        printf("%s%s%s%s %.17g\n", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "", v);
                } else if (a) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "name", json_object_new_string(name));
                        json_object_object_add(o, "type", json_object_new_string(type));
                        json_object_object_add(o, "labels", json_object_new_string(labels));
                        json_object_object_add(o, "value", json_object_new_double(v));
                        json_object_array_add(a, o);
                } else
                        printf("%-32s %-44s %.17g\n", name, labels, v);
        }
        return reply_end(reply, r, a);
}

/* Figures of each process of one node, from the Metrics rows whose name
 * is PREFIX followed by one of FIELDS; a "cgroup" label is kept too. */
#define FIGURES_MAX 16
typedef struct figure_row {
        char process[96];
        char cgroup[256];
        double v[FIGURES_MAX];
        bool seen[FIGURES_MAX];
} figure_row;

static int collect_figures(sd_bus *bus, const char *name, const char *prefix, const char *const *fields,
                           size_t n_fields, figure_row *rows, size_t max_rows, size_t *ret_n) {
        sd_bus_message *reply = NULL;
        char want_p[128], want_g[128];
        size_t n = 0, pl = strlen(prefix);
        int r;

        snprintf(want_p, sizeof(want_p), "process=\"%s\"", name);
        snprintf(want_g, sizeof(want_g), "group=\"%s\"", name);
        r = call_plain(bus, "Metrics", &reply);
        if (r > 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_METRIC_ROW);
        while (r >= 0) {
                const char *metric, *type, *help, *labels, *q, *e;
                double v;
                size_t k, f;

                r = sd_bus_message_read(reply, CONTROL_METRIC_ROW, &metric, &type, &help, &labels, &v);
                if (r <= 0)
                        break;
                if (strncmp(metric, prefix, pl) != 0 || (!strstr(labels, want_p) && !strstr(labels, want_g)))
                        continue;
                for (f = 0; f < n_fields && strcmp(metric + pl, fields[f]) != 0; f++)
                        ;
                q = strstr(labels, "process=\"");
                if (f == n_fields || !q || !(e = strchr(q + 9, '"')))
                        continue;
                for (k = 0; k < n && strncmp(rows[k].process, q + 9, (size_t) (e - q - 9)) != 0; k++)
                        ;
                if (k == n) {
                        if (n == max_rows)
                                continue;
                        memset(&rows[n], 0, sizeof(rows[n]));
                        snprintf(rows[n].process, sizeof(rows[n].process), "%.*s", (int) (e - q - 9), q + 9);
                        n++;
                }
                rows[k].v[f] = v;
                rows[k].seen[f] = true;
                if ((q = strstr(labels, "cgroup=\"")) && (e = strchr(q + 8, '"')))
                        snprintf(rows[k].cgroup, sizeof(rows[k].cgroup), "%.*s", (int) (e - q - 8), q + 8);
        }
        sd_bus_message_unref(reply);
        *ret_n = n;
        return 0;
}

/* Under the status of one node: the mailbox figures of each of its
 * processes that has lanes (the airsup_mailbox_* metrics). */
static int verb_mailbox(sd_bus *bus, const char *name) {
        static const char *const fields[] = { "lanes", "depth", "hwm_bytes", "sent_total", "received_total",
                                              "dropped_total", "expired_total", "errors_total", "dead_letters_total" };
        figure_row rows[64];
        size_t n = 0;
        int r;

        r = collect_figures(bus, name, "airsup_mailbox_", fields, ELEMENTSOF(fields), rows, ELEMENTSOF(rows), &n);
        if (r != 0)
                return r;
        for (size_t k = 0; k < n; k++) {
                const double *v = rows[k].v;
                if (v[0] <= 0)
                        continue;
                printf("Mailbox of %s: %.0f lane%s, %.0f waiting (at most %.0f bytes), %.0f sent, %.0f received, "
                       "%.0f dropped, %.0f expired, %.0f errors, %.0f dead letters\n", rows[k].process, v[0],
                       v[0] == 1 ? "" : "s", v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
        }
        return 0;
}

/* Under the status of one node: each of its processes' cgroup, with the
 * figures its controllers give (the airsup_process_* cgroup metrics). */
static int verb_cgroup(sd_bus *bus, const char *name) {
        static const char *const fields[] = { "cgroup_info", "cpu_seconds_total", "memory_bytes", "tasks",
                                              "oom_kills_total" };
        figure_row rows[64];
        size_t n = 0;
        int r;

        r = collect_figures(bus, name, "airsup_process_", fields, ELEMENTSOF(fields), rows, ELEMENTSOF(rows), &n);
        if (r != 0)
                return r;
        for (size_t k = 0; k < n; k++) {
                const figure_row *w = &rows[k];

                if (!w->seen[0])
                        continue;
                printf("Cgroup of %s: %s", w->process, w->cgroup);
                if (w->seen[1])
                        printf(", cpu %.3f s", w->v[1]);
                if (w->seen[2])
                        printf(", memory %.1f MiB", w->v[2] / (1024.0 * 1024.0));
                if (w->seen[3])
                        printf(", %.0f task%s", w->v[3], w->v[3] == 1 ? "" : "s");
                if (w->seen[4])
                        printf(", %.0f OOM kill%s", w->v[4], w->v[4] == 1 ? "" : "s");
                printf("\n");
        }
        return 0;
}

/* A log file, for reading: the group's user owns its directory and may
 * have put a FIFO (an open would wait for a writer for ever) or a
 * symbolic link to a file only we may read in its place.  Only a regular
 * file is read, and no link is followed at its last step (airsupd
 * refuses one anywhere in the path when it writes). */
static FILE *log_open(const char *path) {
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        struct stat st;
        FILE *f;

        if (fd < 0)
                return NULL;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || fcntl(fd, F_SETFL, 0) < 0 || !(f = fdopen(fd, "r"))) {
                close(fd);
                return NULL;
        }
        return f;
}

/* The last N lines of PATH, read from at most its last 16 MiB. */
static void tail_lines(const char *path, long n) {
        const long window = 16L << 20;
        FILE *f = log_open(path);
        long size, from, len, count = 0, start;
        char *buf;

        if (!f)
                return;
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        from = size > window ? size - window : 0;
        len = size - from;
        buf = malloc((size_t) len + 1);
        if (!buf || fseek(f, from, SEEK_SET) < 0 || fread(buf, 1, (size_t) len, f) != (size_t) len) {
                free(buf);
                fclose(f);
                return;
        }
        fclose(f);
        /* Back from the end: the N-th newline before the last line's end. */
        start = len;
        if (start > 0 && buf[start - 1] == '\n')
                start--;
        while (start > 0 && (buf[start - 1] != '\n' || ++count < n))
                start--;
        if (n == 0)
                start = len;
        fwrite(buf + start, 1, (size_t) (len - start), stdout);
        fflush(stdout);
        free(buf);
}

/* Follows PATH as tail -F does: new lines, and a new file after a
 * rotation (another inode) or a truncation. */
_Noreturn static void follow_file(const char *path) {
        FILE *f = log_open(path);
        struct stat st, now;
        char buf[65536];

        if (f)
                fseek(f, 0, SEEK_END);
        for (;;) {
                while (f && fgets(buf, sizeof(buf), f))
                        fputs(buf, stdout);
                fflush(stdout);
                if (f)
                        clearerr(f);
                (void) poll(NULL, 0, 200);
                if (stat(path, &now) < 0)
                        continue;
                if (!f || fstat(fileno(f), &st) < 0 || st.st_ino != now.st_ino || now.st_size < ftell(f)) {
                        if (f) {
                                while (fgets(buf, sizeof(buf), f))  /* what the old one still had */
                                        fputs(buf, stdout);
                                fclose(f);
                        }
                        f = log_open(path);
                }
        }
}

static int verb_logs(sd_bus *bus, const char *name, long n, bool follow) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *proc, *kind, *path, *log_path = NULL, *ident = NULL, *other = NULL;
        size_t count = 0;
        int r;

        r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, "Outputs", &e, &reply, "s", name);
        if (r < 0) {
                r = call_error(&e, r);
                sd_bus_error_free(&e);
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_OUTPUT_ROW);
        while (r >= 0 && (r = sd_bus_message_read(reply, CONTROL_OUTPUT_ROW, &proc, &kind, &path)) > 0) {
                count++;
                if ((strcmp(kind, "log") == 0 || strcmp(kind, "file") == 0) && !log_path)
                        log_path = path;
                else if (strcmp(kind, "journal") == 0)
                        ident = path;
                else
                        other = kind;
        }
        if (count > 1 && log_path)
                fprintf(stderr, "airsupctl: %s has %zu instances; showing the first one's log (name GROUP[i] "
                        "for another)\n", name, count);
        if (log_path) {
                char *copy = strdup(log_path);
                sd_bus_message_unref(reply);
                if (!copy)
                        return EXIT_FAILED;
                if (access(copy, R_OK) < 0) {
                        fprintf(stderr, "airsupctl: cannot read %s: %s\n", copy, strerror(errno));
                        free(copy);
                        return EXIT_FAILED;
                }
                tail_lines(copy, n);
                if (follow)
                        follow_file(copy);
                free(copy);
                return 0;
        }
        if (ident) {
                char lines[32], *id = strdup(ident);
                sd_bus_message_unref(reply);
                if (!id)
                        return EXIT_FAILED;
                snprintf(lines, sizeof(lines), "%ld", n);
                char *argv[] = { "journalctl", "-q", "--no-pager", "-t", id, "-n", lines, follow ? "-f" : NULL,
                                 NULL };
                execvp("journalctl", argv);
                fprintf(stderr, "airsupctl: cannot run journalctl: %s\n", strerror(errno));
                free(id);
                return EXIT_FAILED;
        }
        fprintf(stderr, "airsupctl: %s writes to %s: airsupd keeps no log of it (use stdout = log:PATH)\n", name,
                other ? other : "nothing");
        sd_bus_message_unref(reply);
        return EXIT_FAILED;
}

static const char *const reload_counts[] = { "kept", "in_place", "restarted", "moved", "removed", "added" };

/* Reload: airsupd replies once the plan is applied (or, DRY_RUN, at once);
 * a file that does not load is its FILE:LINE errors, exit 1. */
static int verb_reload(sd_bus *bus, bool dry_run) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *call = NULL, *reply = NULL;
        json_object *plan = arg_json ? json_object_new_array() : NULL;
        uint64_t counts[6] = {}, usec = 0;
        const char *action, *name, *detail;
        size_t n = 0, k = 0;
        int applied = 0, r;

        r = sd_bus_message_new_method_call(bus, &call, NULL, CONTROL_PATH, CONTROL_IFACE, "Reload");
        if (r >= 0)
                r = sd_bus_message_append(call, "b", dry_run);
        if (r >= 0)
                r = sd_bus_call(bus, call, (uint64_t) (arg_timeout * 1e6), &e, &reply);
        sd_bus_message_unref(call);
        if (r < 0) {
                if (sd_bus_error_has_name(&e, CONTROL_ERR_BAD_CONFIG)) {
                        fprintf(stderr, "%s", e.message ? e.message : "");
                        fprintf(stderr, "airsupctl: not reloaded: the file has errors; nothing changed\n");
                        r = EXIT_FAILED;
                } else if (sd_bus_error_has_name(&e, SD_BUS_ERROR_NO_REPLY) || r == -ETIMEDOUT) {
                        fprintf(stderr, "airsupctl: reload: not done after %g s (it goes on)\n", arg_timeout);
                        r = EXIT_FAILED;
                } else
                        r = call_error(&e, r);
                sd_bus_error_free(&e);
                json_object_put(plan);
                return r;
        }
        r = sd_bus_message_read(reply, "b", &applied);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', CONTROL_PLAN_ROW);
        if (r >= 0 && !arg_json)
                printf("%-10s %-24s %s\n", "ACTION", "NAME", "DETAIL");
        while (r >= 0 && (r = sd_bus_message_read(reply, CONTROL_PLAN_ROW, &action, &name, &detail)) > 0) {
                n++;
                if (plan) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "action", json_object_new_string(action));
                        json_object_object_add(o, "name", json_object_new_string(name));
                        json_object_object_add(o, "detail", json_object_new_string(detail));
                        json_object_array_add(plan, o);
                } else
                        printf("%-10s %-24s %s\n", action, name, detail);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "t");
        while (r >= 0 && k < ELEMENTSOF(counts) && (r = sd_bus_message_read(reply, "t", &counts[k])) > 0)
                k++;
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0)
                r = sd_bus_message_read(reply, "t", &usec);
        sd_bus_message_unref(reply);
        if (r < 0) {
                fprintf(stderr, "airsupctl: reload: bad reply: %s\n", strerror(-r));
                json_object_put(plan);
                return EXIT_FAILED;
        }
        if (plan) {
                json_object *o = json_object_new_object(), *c = json_object_new_object();
                for (size_t i = 0; i < ELEMENTSOF(counts); i++)
                        json_object_object_add(c, reload_counts[i], json_object_new_int64((int64_t) counts[i]));
                json_object_object_add(o, "applied", json_object_new_boolean(applied));
                json_object_object_add(o, "plan", plan);
                json_object_object_add(o, "counts", c);
                json_object_object_add(o, "usec", json_object_new_int64((int64_t) usec));
                return print_json(o);
        }
        if (n == 0)
                printf("(nothing changed)\n");
        printf("%s: %llu added, %llu removed, %llu restarted, %llu moved, %llu changed in place, %llu kept "
               "(%.1f ms)\n", applied ? "reloaded" : "dry run, nothing applied", (unsigned long long) counts[5],
               (unsigned long long) counts[4], (unsigned long long) counts[2], (unsigned long long) counts[3],
               (unsigned long long) counts[1], (unsigned long long) counts[0], (double) usec / 1000.0);
        return 0;
}

static int verb_shutdown(sd_bus *bus) {
        int r = call_plain(bus, "Shutdown", NULL);

        if (r > 0)
                return r;
        if (arg_json)
                print_json(json_object_new_object());
        return 0;
}

int main(int argc, char **argv) {
        enum { ARG_JSON = 0x100, ARG_NO_BLOCK, ARG_TIMEOUT };
        static const struct option options[] = {
                { "socket", required_argument, NULL, 's' },
                { "json", no_argument, NULL, ARG_JSON },
                { "no-block", no_argument, NULL, ARG_NO_BLOCK },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        sd_bus *bus = NULL;
        const char *verb;
        char *end;
        int opt, r, n_args;

        while ((opt = getopt_long(argc, argv, "+s:h", options, NULL)) >= 0) {
                switch (opt) {
                case 's':
                        arg_socket = optarg;
                        break;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_NO_BLOCK:
                        arg_no_block = true;
                        break;
                case ARG_TIMEOUT:
                        arg_timeout = strtod(optarg, &end);
                        if (*end || arg_timeout <= 0) {
                                fprintf(stderr, "airsupctl: --timeout: expected seconds, got '%s'\n", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        fprintf(stderr, "Try 'airsupctl --help'.\n");
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "airsupctl: no verb\nTry 'airsupctl --help'.\n");
                return EXIT_USAGE;
        }
        verb = argv[optind];
        n_args = argc - optind - 1;
        if (strcmp(verb, "logs") == 0) {
                static const struct option log_options[] = {
                        { "follow", no_argument, NULL, 'f' },
                        { "lines", required_argument, NULL, 'n' },
                        {}
                };
                bool follow = false;
                long lines = 20;

                optind++;
                while ((opt = getopt_long(argc, argv, "+fn:", log_options, NULL)) >= 0) {
                        if (opt == 'f')
                                follow = true;
                        else if (opt == 'n') {
                                lines = strtol(optarg, &end, 10);
                                if (*end || lines < 0 || lines > 1000000) {
                                        fprintf(stderr, "airsupctl: -n: expected 0 to 1000000, got '%s'\n", optarg);
                                        return EXIT_USAGE;
                                }
                        } else
                                return EXIT_USAGE;
                }
                if (argc - optind != 1) {
                        fprintf(stderr, "airsupctl: logs takes one NAME\n");
                        return EXIT_USAGE;
                }
                r = connect_bus(&bus);
                if (r < 0)
                        return -r;
                r = verb_logs(bus, argv[optind], lines, follow);
                sd_bus_flush_close_unref(bus);
                return r;
        }
        if (strcmp(verb, "events") == 0) {
                static const struct option ev_options[] = {
                        { "follow", no_argument, NULL, 'f' },
                        { "lines", required_argument, NULL, 'n' },
                        { "since", required_argument, NULL, 'S' },
                        { "severity", required_argument, NULL, 'p' },
                        {}
                };
                bool follow = false;
                long lines = 20;
                uint64_t since = 0;
                int prio = 7;

                optind++;
                while ((opt = getopt_long(argc, argv, "+fn:", ev_options, NULL)) >= 0) {
                        switch (opt) {
                        case 'f':
                                follow = true;
                                break;
                        case 'n':
                                lines = strtol(optarg, &end, 10);
                                if (*end || lines < 0 || lines > 100000) {
                                        fprintf(stderr, "airsupctl: -n: expected 0 to 100000, got '%s'\n", optarg);
                                        return EXIT_USAGE;
                                }
                                break;
                        case 'S':
                                if (parse_since(optarg, &since) < 0) {
                                        fprintf(stderr, "airsupctl: --since: expected 30s, 5m, 2h, 1d or "
                                                "@EPOCH, got '%s'\n", optarg);
                                        return EXIT_USAGE;
                                }
                                break;
                        case 'p':
                                prio = severity_from_string(optarg);
                                if (prio < 0) {
                                        fprintf(stderr, "airsupctl: --severity: expected emerg, alert, crit, err, "
                                                "warning, notice, info or debug\n");
                                        return EXIT_USAGE;
                                }
                                break;
                        default:
                                return EXIT_USAGE;
                        }
                }
                if (argc - optind > 1) {
                        fprintf(stderr, "airsupctl: events takes at most one NAME\n");
                        return EXIT_USAGE;
                }
                r = connect_bus(&bus);
                if (r < 0)
                        return -r;
                r = verb_events(bus, follow, (uint32_t) lines, since, prio,
                                optind < argc ? argv[optind] : NULL);
                sd_bus_flush_close_unref(bus);
                return r;
        }
        if (!((strcmp(verb, "status") == 0) || (strcmp(verb, "tree") == 0 && n_args == 0) ||
              (strcmp(verb, "dead-letters") == 0 && n_args <= 1) ||
              (strcmp(verb, "shutdown") == 0 && n_args == 0) ||
              (strcmp(verb, "reload") == 0 && (n_args == 0 || (n_args == 1 && strcmp(argv[optind + 1], "--dry-run") == 0))) ||
              (strcmp(verb, "metrics") == 0 && (n_args == 0 || (n_args == 1 && strcmp(argv[optind + 1], "--prometheus") == 0))) || (strcmp(verb, "signal") == 0 && n_args == 2) ||
              ((strcmp(verb, "start") == 0 || strcmp(verb, "stop") == 0 || strcmp(verb, "restart") == 0) &&
               n_args == 1))) {
                fprintf(stderr, "airsupctl: unknown verb or wrong arguments: %s\nTry 'airsupctl --help'.\n", verb);
                return EXIT_USAGE;
        }
        r = connect_bus(&bus);
        if (r < 0)
                return -r;
        if (strcmp(verb, "status") == 0) {
                r = verb_status(bus, argv + optind + 1);
                /* One node, as a person reads it: its last events below,
                 * as systemctl status shows a unit's journal. */
                if (r == 0 && n_args == 1 && !arg_json) {
                        (void) verb_mailbox(bus, argv[optind + 1]);
                        (void) verb_cgroup(bus, argv[optind + 1]);
                        printf("\nLast events:\n");
                        r = verb_events(bus, false, 10, 0, 7, argv[optind + 1]);
                }
        }
        else if (strcmp(verb, "tree") == 0)
                r = verb_tree(bus);
        else if (strcmp(verb, "signal") == 0)
                r = verb_signal(bus, argv[optind + 1], argv[optind + 2]);
        else if (strcmp(verb, "shutdown") == 0)
                r = verb_shutdown(bus);
        else if (strcmp(verb, "reload") == 0)
                r = verb_reload(bus, n_args == 1);
        else if (strcmp(verb, "metrics") == 0)
                r = verb_metrics(bus, n_args == 1);
        else if (strcmp(verb, "dead-letters") == 0)
                r = verb_dead_letters(bus, n_args == 1 ? argv[optind + 1] : NULL);
        else
                r = verb_change(bus, verb, argv[optind + 1]);
        sd_bus_flush_close_unref(bus);
        return r;
}
