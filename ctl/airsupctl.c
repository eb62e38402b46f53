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
#include "ctl/airsupctl.h"



const char *arg_socket;
bool arg_json, arg_no_block;
double arg_timeout = 90;
bool arg_timeout_given;


/* The verbs: dispatch, --help and the bash completion (which reads the
 * help's "Verbs:" section) come from this table.  MIN_ARGS, MAX_ARGS
 * (-1: any number) count the names and values given with the verb; FLAG,
 * where there is one, is the verb's one long option ("--dry-run");
 * OPTIONS and SHORT, where there are, its own options, each handed to
 * OPTION.  Options go anywhere after the verb, the global ones too. */
typedef struct verb {
        const char *name;
        int min_args, max_args;
        int (*run)(sd_bus *bus, const verb_call *v);
        const char *usage;              /* after the verb's name */
        const char *help;               /* lines, "\n" between them */
        bool needs_daemon;
        const char *flag;
        const struct option *options;
        const char *short_options;
        int (*option)(int opt, const char *arg);
} verb;

static const verb verbs[] = {
        { .name = "status", .min_args = 0, .max_args = -1, .run = verb_status, .needs_daemon = true,
          .usage = "[NAME...]",
          .help = "one row per process and supervisor (NAME: a group,\nGROUP[i], or a supervisor and what is below it);\nexit 3 if one is failed or down" },
        { .name = "tree", .min_args = 0, .max_args = 0, .run = verb_tree, .needs_daemon = true,
          .usage = "", .help = "the supervision tree with strategies and states" },
        { .name = "start", .min_args = 1, .max_args = 1, .run = verb_change, .needs_daemon = true,
          .usage = "NAME|all", .help = "let a stopped, ended or failed node run again" },
        { .name = "stop", .min_args = 1, .max_args = 1, .run = verb_change, .needs_daemon = true,
          .usage = "NAME|all", .help = "stop it and hold it down until start" },
        { .name = "restart", .min_args = 1, .max_args = 1, .run = verb_change, .needs_daemon = true,
          .usage = "NAME|all", .help = "stop and start it in order (all: each of root's\nchildren, in the tree's order)" },
        { .name = "signal", .min_args = 2, .max_args = 2, .run = verb_signal, .needs_daemon = true,
          .usage = "NAME SIG", .help = "send SIG to its running main processes" },
        { .name = "events", .min_args = 0, .max_args = 1, .run = verb_events, .needs_daemon = true,
          .options = events_options, .short_options = "fn:", .option = events_option, .usage = "[-f] [-n N] [--since TIME] [--severity LEVEL] [NAME]",
          .help = "the last N events (default 20), then with -f follow\nlive; TIME: 30s, 5m, 2h, 1d ago or @EPOCH" },
        { .name = "logs", .min_args = 0, .max_args = 1, .run = verb_logs, .needs_daemon = true,
          .options = logs_options, .short_options = "fn:", .option = logs_option, .usage = "[-f] [-n N] [NAME]",
          .help = "the last N lines (default 20) of a group's log:\nor file: output (journalctl for journal), -f follows\nuntil airsupd exits; no NAME: every group's, each\nline after its instance's name" },
        { .name = "metrics", .min_args = 0, .max_args = 0, .run = verb_metrics, .needs_daemon = true,
          .flag = "--prometheus", .usage = "[--prometheus]",
          .help = "per node and process figures, and airsupd's own" },
        { .name = "dead-letters", .min_args = 0, .max_args = 1, .run = verb_dead_letters, .needs_daemon = true,
          .usage = "[NAME]", .help = "the messages taken off after too many redeliveries" },
        { .name = "send", .min_args = 3, .max_args = 3, .run = verb_send, .needs_daemon = true,
          .usage = "DEST TYPE PAYLOAD", .help = "a message of TYPE to DEST (GROUP, GROUP[i], GROUP/ACTOR\nor a registered name), from airsupctl" },
        { .name = "publish", .min_args = 2, .max_args = 2, .run = verb_publish, .needs_daemon = true,
          .usage = "SUBJECT PAYLOAD", .help = "PAYLOAD published to SUBJECT (type 0), from airsupctl;\nsays how many subscribers it reached" },
        { .name = "request", .min_args = 2, .max_args = 2, .run = verb_request, .needs_daemon = true,
          .options = request_options, .option = messages_option, .usage = "DEST PAYLOAD [--type T]",
          .help = "a request to DEST, from airsupctl; prints the reply's\npayload (--timeout SEC: how long to wait, default 5)" },
        { .name = "subscribe", .min_args = 1, .max_args = 1, .run = verb_subscribe, .needs_daemon = true,
          .options = subscribe_options, .short_options = "n:", .option = messages_option,
          .usage = "SUBJECT [-n N]",
          .help = "print what is published to SUBJECT (* and > allowed)\nas it comes, until interrupted or N came" },
        { .name = "names", .min_args = 0, .max_args = 0, .run = verb_names, .needs_daemon = true,
          .usage = "", .help = "the names processes registered at run time, with the\ninstance (and actor) each leads to" },
        { .name = "actors", .min_args = 1, .max_args = 1, .run = verb_actors, .needs_daemon = true,
          .usage = "NAME", .help = "the actors inside a group's processes (or GROUP[i]'s),\nas each process published them" },
        { .name = "reload", .min_args = 0, .max_args = 0, .run = verb_reload, .needs_daemon = true,
          .flag = "--dry-run", .usage = "[--dry-run]",
          .help = "read the file again and apply what changed (waits until\ndone); --dry-run prints the plan only" },
        { .name = "shutdown", .min_args = 0, .max_args = 0, .run = verb_shutdown, .needs_daemon = true,
          .usage = "", .help = "stop the whole tree; airsupd exits 0 (waits until it\nhas exited)" },
};

#define HELP_COLUMN 23

static void help(void) {
        printf("Usage: airsupctl [-s SOCKET] [--json] VERB [ARGS...]\n"
               "\n"
               "Operate a running airsupd (see airsupctl(1)).  Options go before or after\n"
               "the verb.\n"
               "\n"
               "Verbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                const verb *v = &verbs[i];
                int k = printf("  %s%s%s", v->name, v->usage[0] ? " " : "", v->usage);

                /* The help beside the usage, in its column or two spaces
                 * after a longer one, else on the next line. */
                if (k < HELP_COLUMN)
                        printf("%*s", HELP_COLUMN - k, "");
                else if (k <= HELP_COLUMN + 4)
                        printf("  ");
                else
                        printf("\n%*s", HELP_COLUMN, "");
                for (const char *h = v->help; *h; h++) {
                        putchar(*h);
                        if (*h == '\n')
                                printf("%*s", HELP_COLUMN, "");
                }
                putchar('\n');
        }
        printf("\n"
               "Options:\n"
               "  -s, --socket=PATH    the control socket (default $AIRSUP_CONTROL, else\n"
               "                       /run/airsup/control as root, $XDG_RUNTIME_DIR/airsup/control)\n"
               "      --json           one JSON document instead of a table\n"
               "      --no-pager       at a terminal too, no pager (default $AIRSUP_PAGER,\n"
               "                       $PAGER or less; tables coloured unless $NO_COLOR)\n"
               "      --no-block, --no-wait\n                       stop, start, restart, shutdown: return once it is under way\n"
               "      --timeout=SEC    how long stop, start, restart, reload, shutdown wait\n"
               "                       (default 90), and request waits for its reply\n"
               "                       (default 5)\n"
               "  -h, --help           show this help\n"
               "      --version        show airsupctl's version\n"
               "\n"
               "Exit status: 0 done, 1 failed, 2 usage, 3 no such name (status: or something\n"
               "failed or down), 4 cannot reach airsupd.\n");
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
         * otherwise hear every verb, and answer what he likes.  The uid
         * alone decides: SO_PEERCRED gives it across PID namespaces, the
         * pid is 0 for an airsupd in one this process cannot see. */
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

int call_error(const sd_bus_error *e, int r) {
        if (sd_bus_error_has_name(e, CONTROL_ERR_NO_SUCH_NODE)) {
                fprintf(stderr, "airsupctl: %s\n", e->message);
                return EXIT_NO_SUCH;
        }
        /* An argument airsupd cannot take (signal's SIG): usage. */
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_INVALID_ARGS)) {
                fprintf(stderr, "airsupctl: %s\nTry 'airsupctl --help'.\n", e->message);
                return EXIT_USAGE;
        }
        fprintf(stderr, "airsupctl: %s\n", e->message ?: strerror(-r));
        return EXIT_FAILED;
}

/* A call without arguments; its reply in *REPLY, or an exit status. */
int call_plain(sd_bus *bus, const char *method, sd_bus_message **reply) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, method, &e, reply, "");

        if (r >= 0)
                return 0;
        r = call_error(&e, r);
        sd_bus_error_free(&e);
        return r;
}

uint64_t realtime_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

int print_json(json_object *o) {
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        return 0;
}

/* The end of a verb that read REPLY into a table (or the JSON array A):
 * the reply freed, A printed, or R's failure said. */
int reply_end(sd_bus_message *reply, int r, json_object *a) {
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

enum { ARG_JSON = 0x100, ARG_NO_BLOCK, ARG_TIMEOUT, ARG_VERSION, ARG_NO_PAGER, ARG_FLAG };

#define GLOBAL_OPTIONS 8
static const struct option global_options[GLOBAL_OPTIONS + 1] = {
        { "socket", required_argument, NULL, 's' },
        { "json", no_argument, NULL, ARG_JSON },
        { "no-block", no_argument, NULL, ARG_NO_BLOCK },
        { "no-wait", no_argument, NULL, ARG_NO_BLOCK },
        { "timeout", required_argument, NULL, ARG_TIMEOUT },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, ARG_VERSION },
        { "no-pager", no_argument, NULL, ARG_NO_PAGER },
        {}
};

/* One global option, before or after the verb: 0 taken, 1 --help or
 * --version (said), -EXIT_USAGE (said). */
static int global_option(int opt, const char *arg) {
        char *end;

        switch (opt) {
        case 's':
                arg_socket = arg;
                return 0;
        case ARG_JSON:
                arg_json = true;
                return 0;
        case ARG_NO_BLOCK:
                arg_no_block = true;
                return 0;
        case ARG_TIMEOUT:
                arg_timeout = strtod(arg, &end);
                arg_timeout_given = true;
                if (*end || arg_timeout <= 0) {
                        fprintf(stderr, "airsupctl: --timeout: expected seconds, got '%s'\n", arg);
                        return -EXIT_USAGE;
                }
                return 0;
        case 'h':
                help();
                return 1;
        case ARG_NO_PAGER:
                arg_no_pager = true;
                return 0;
        case ARG_VERSION:
                printf("airsupctl %s\n", AIRSUP_VERSION);
                return 1;
        default:
                fprintf(stderr, "Try 'airsupctl --help'.\n");
                return -EXIT_USAGE;
        }
}

static bool verb_has_option(const verb *v, int opt) {
        if (!v->option || opt == ':' || opt == '?')
                return false;
        for (size_t i = 0; v->options && v->options[i].name; i++)
                if (v->options[i].val == opt)
                        return true;
        return opt > 0 && opt < 0x80 && v->short_options && strchr(v->short_options, opt);
}

/* The options and names after verb V (ARGV[0]), in any order ("--" ends
 * the options): names into CALL, options taken.  0, 1 for --help, or
 * -EXIT_USAGE. */
static int parse_verb(const verb *v, int argc, char **argv, verb_call *call) {
        struct option all[GLOBAL_OPTIONS + 16] = {};
        char shorts[32];
        size_t n = GLOBAL_OPTIONS;
        int opt, r;

        memcpy(all, global_options, sizeof(global_options));
        for (size_t i = 0; v->options && v->options[i].name && n + 2 < ELEMENTSOF(all); i++)
                all[n++] = v->options[i];
        if (v->flag)
                all[n++] = (struct option) { v->flag + 2, no_argument, NULL, ARG_FLAG };
        /* "-": names come back in order as 1, whatever POSIXLY_CORRECT says. */
        snprintf(shorts, sizeof(shorts), "-s:h%s", v->short_options ?: "");
        call->args = calloc((size_t) argc, sizeof(char *));
        if (!call->args)
                return -EXIT_FAILED;
        optind = 0;
        while ((opt = getopt_long(argc, argv, shorts, all, NULL)) >= 0) {
                if (opt == 1) {
                        call->args[call->n_args++] = optarg;
                        continue;
                }
                if (opt == ARG_FLAG) {
                        call->flag = true;
                        continue;
                }
                r = verb_has_option(v, opt) ? v->option(opt, optarg) : global_option(opt, optarg);
                if (r != 0)
                        return r;
        }
        for (; optind < argc; optind++)         /* after "--" */
                call->args[call->n_args++] = argv[optind];
        return 0;
}

/* ARGV[0] the verb, then its options and arguments: checked against the
 * table, then run, connected to airsupd if it needs it. */
static int dispatch(int argc, char **argv) {
        const verb *v = NULL;
        verb_call call = { .verb = argv[0] };
        sd_bus *bus = NULL;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(verbs[i].name, argv[0]) == 0)
                        v = &verbs[i];
        if (!v) {
                fprintf(stderr, "airsupctl: unknown verb: %s\nTry 'airsupctl --help'.\n", argv[0]);
                return EXIT_USAGE;
        }
        r = parse_verb(v, argc, argv, &call);
        if (r != 0) {
                free(call.args);
                return r > 0 ? 0 : -r;
        }
        if (call.n_args < v->min_args || (v->max_args >= 0 && call.n_args > v->max_args)) {
                fprintf(stderr, "airsupctl: wrong arguments: %s %s\nTry 'airsupctl --help'.\n", v->name, v->usage);
                free(call.args);
                return EXIT_USAGE;
        }
        if (v->needs_daemon) {
                r = connect_bus(&bus);
                if (r < 0) {
                        free(call.args);
                        return -r;
                }
        }
        r = v->run(bus, &call);
        pager_close();
        sd_bus_flush_close_unref(bus);
        free(call.args);
        return r;
}

int main(int argc, char **argv) {
        int opt, r;

        while ((opt = getopt_long(argc, argv, "+s:h", global_options, NULL)) >= 0) {
                r = global_option(opt, optarg);
                if (r != 0)
                        return r > 0 ? 0 : -r;
        }
        if (optind >= argc) {
                fprintf(stderr, "airsupctl: no verb\nTry 'airsupctl --help'.\n");
                return EXIT_USAGE;
        }
        return dispatch(argc - optind, argv + optind);
}
