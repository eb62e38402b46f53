/* fuzz-control - the control socket's methods, as a client reaches them:
 * the input is a sequence of D-Bus method calls (which method, on which
 * object, with which arguments, or with arguments of the wrong types),
 * sent over a socketpair to the real control server (control_serve_fd(),
 * set up as for an accepted connection) of a small real manager whose
 * processes live in a fake world (no fork, no signal, no timer), all on
 * one event loop.  Each call runs until its reply comes back; a crash,
 * a sanitizer report or a leak is a failure, an error reply is not.
 *
 * Input: repeated records.  Byte 0 picks the call (calls[] below, or,
 * past its end, one of its methods with a signature from the input);
 * the arguments follow: a string is a byte below 200 naming one of
 * names[], else a length byte and that many raw bytes; u, i, t take 4,
 * 4 and 8 bytes, b one; "as" a count byte, then strings. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "supervisor/config/cfg.h"
#include "supervisor/operator/control.h"
#include "supervisor/core/manager.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* The sanitizers' own: where their reports go (absent without them). */
void __sanitizer_set_report_fd(void *fd) __attribute__((weak));

static const char conf[] =
        "[airsupd]\nevents = 64\n"
        "[supervisor:backend]\nstrategy = one_for_all\n"
        "[group:db]\nparent = backend\ncommand = /bin/sleep 1\n"
        "[group:web]\ncommand = /bin/sleep 1\ninstances = 3\nstdout = file:/dev/null\n"
        "[supervisor:inner]\nparent = backend\n"
        "[group:cache]\nparent = inner\ncommand = /bin/sleep 1\nrestart = transient\n";

static const char *const names[] = {
        "root", "backend", "db", "web", "web[0]", "web[2]", "web[3]", "inner", "cache", "cache[0]",
        "", "nope", "web[", "web[-1]", "web[99999999999999999999]", "[0]", "db[0]", "KILL", "TERM", "HUP",
        "SIGUSR1", "0", "99", "org.airsup1", ":1.0", "org.airsup1.Node", "org.airsup1.Manager", "State",
        "Pids", "Name", "Restarts",
};

static const struct call {
        const char *iface, *member, *signature;
        unsigned path;                  /* 0: /org/airsup1; 1: a node's, from the input; 2: /; 3: the node prefix */
} calls[] = {
        { "org.airsup1.Manager", "Status", "as", 0 },
        { "org.airsup1.Manager", "Tree", "", 0 },
        { "org.airsup1.Manager", "Start", "s", 0 },
        { "org.airsup1.Manager", "Stop", "s", 0 },
        { "org.airsup1.Manager", "Restart", "s", 0 },
        { "org.airsup1.Manager", "Signal", "ss", 0 },
        { "org.airsup1.Manager", "Reload", "b", 0 },
        { "org.airsup1.Manager", "Shutdown", "", 0 },
        { "org.airsup1.Manager", "Events", "utis", 0 },
        { "org.airsup1.Manager", "Outputs", "s", 0 },
        { "org.airsup1.Manager", "Tail", "st", 0 },
        { "org.airsup1.Manager", "Metrics", "", 0 },
        { "org.airsup1.Manager", "DeadLetters", "s", 0 },
        { "org.airsup1.Manager", "Subscribe", "", 0 },
        { "org.freedesktop.DBus.Properties", "Get", "ss", 1 },
        { "org.freedesktop.DBus.Properties", "GetAll", "s", 1 },
        { "org.freedesktop.DBus.Introspectable", "Introspect", "", 1 },
        { "org.freedesktop.DBus.Introspectable", "Introspect", "", 3 },
        { "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", "", 0 },
        { "org.freedesktop.DBus.Peer", "Ping", "", 2 },
        { "org.freedesktop.DBus", "Hello", "", 4 },
        { "org.freedesktop.DBus", "GetNameOwner", "s", 4 },
        { "org.freedesktop.DBus", "ListNames", "", 4 },
        { "org.airsup1.Manager", "NodeMetrics", "s", 0 },
};

typedef struct input {
        const uint8_t *p;
        size_t left;
} input;

static uint8_t take(input *in) {
        if (in->left == 0)
                return 0;
        in->left--;
        return *in->p++;
}

static uint64_t take_n(input *in, unsigned n) {
        uint64_t v = 0;

        for (unsigned i = 0; i < n; i++)
                v = v << 8 | take(in);
        return v;
}

/* A string from the input: a name of the tree (or of something else
 * airsupd knows), or raw bytes; BUF holds it. */
static const char *take_string(input *in, char buf[static 256]) {
        uint8_t b = take(in);
        size_t len, k = 0;

        if (b < 200)
                return names[b % ELEMENTSOF(names)];
        len = take(in);
        while (k < len && in->left > 0)
                buf[k++] = (char) take(in);
        buf[k] = '\0';
        return buf;                     /* a NUL inside ends it: what D-Bus can carry */
}

static int append_args(sd_bus_message *m, const char *signature, input *in) {
        char buf[256];
        int r = 0;

        for (const char *t = signature; r >= 0 && *t; t++)
                switch (*t) {
                case 's':
                        r = sd_bus_message_append(m, "s", take_string(in, buf));
                        break;
                case 'u':
                        r = sd_bus_message_append(m, "u", (uint32_t) take_n(in, 4));
                        break;
                case 'i':
                        r = sd_bus_message_append(m, "i", (int32_t) (uint32_t) take_n(in, 4));
                        break;
                case 't':
                        r = sd_bus_message_append(m, "t", take_n(in, 8));
                        break;
                case 'b':
                        r = sd_bus_message_append(m, "b", take(in) & 1);
                        break;
                case 'a':               /* "as" */
                        t++;
                        r = sd_bus_message_open_container(m, 'a', "s");
                        for (unsigned n = take(in) % 5; r >= 0 && n > 0; n--)
                                r = sd_bus_message_append(m, "s", take_string(in, buf));
                        if (r >= 0)
                                r = sd_bus_message_close_container(m);
                        break;
                default:
                        return -EINVAL;
                }
        return r;
}

/* The fake world: a spawn that made a process no one has (a pid above
 * any pid_max) with a pidfd that never turns readable, an exec that
 * succeeded; signals, timers and process groups that do nothing. */
static unsigned spawns;

static int fake_spawn(sup_proc *p, int *ret_status_fd) {
        int fds[2];

        p->pid = 4300000 + (pid_t) (++spawns % 100000);
        p->pidfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (p->pidfd < 0 || pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
                abort();
        close(fds[1]);
        *ret_status_fd = fds[0];
        return 0;
}

static void fake_signal(sup_proc *p, int sig) {
        (void) p, (void) sig;
}

static int fake_arm(sup_proc *p, uint64_t usec) {
        (void) p, (void) usec;
        return 0;
}

static bool fake_group_alive(const sup_proc *p) {
        (void) p;
        return false;
}

static uint64_t fake_now(sup_manager *m) {
        (void) m;
        return now_usec();
}

static const sup_proc_ops fake_ops = {
        .spawn = fake_spawn,
        .signal = fake_signal,
        .arm = fake_arm,
        .group_alive = fake_group_alive,
        .now = fake_now,
};

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        unsigned *replies = userdata;

        (void) m, (void) error;
        (*replies)++;
        return 0;
}

/* Stop, Start and Restart reply once done, which in the fake world a
 * stop never is. */
static bool waits(const struct call *k) {
        return k->path == 0 && (strcmp(k->member, "Start") == 0 || strcmp(k->member, "Stop") == 0 ||
                                strcmp(k->member, "Restart") == 0);
}

/* Runs the loop until REPLIES moves (the call's reply, or the error
 * sd-bus makes when the connection goes), at most TURNS turns of at most
 * USEC each. */
static void run_until_reply(sd_event *e, unsigned *replies, unsigned before, unsigned turns, uint64_t usec) {
        for (unsigned i = 0; i < turns && *replies == before; i++)
                if (sd_event_run(e, usec) < 0)
                        break;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static int saved_stderr = -EBADF, devnull = -EBADF;
        input in = { data, size };
        sd_event *e = NULL;
        sup_manager *m = NULL;
        sup_control *ctl = NULL;
        sd_bus *bus = NULL;
        cfg *c = NULL;
        char path[64], err[256];
        unsigned replies = 0;
        int sv[2], fd;

        /* airsupd's events go to fd 2: not thousands of lines a second.
         * While an input runs fd 2 is /dev/null; a sanitizer's report goes
         * to the real one, kept aside. */
        if (devnull < 0) {
                saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
                devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (saved_stderr < 0 || devnull < 0)
                        abort();
                if (__sanitizer_set_report_fd)
                        __sanitizer_set_report_fd((void *) (intptr_t) saved_stderr);
        }
        (void) dup2(devnull, STDERR_FILENO);
        fd = memfd_create("fuzz-control.conf", MFD_CLOEXEC);
        if (fd < 0 || write(fd, conf, sizeof(conf) - 1) != (ssize_t) (sizeof(conf) - 1))
                abort();
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        if (cfg_load(path, stderr, &c) < 0 || sd_event_new(&e) < 0 ||
            manager_new(c, e, SUP_LOG_STDERR, false, false, &m) < 0)
                abort();
        m->proc_ops = &fake_ops;
        manager_start(m);
        for (unsigned i = 0; i < 64 && sd_event_run(e, 0) > 0; i++)
                ;
        if (control_new(m, NULL, &ctl, err, sizeof(err)) < 0 ||
            socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0 ||
            control_serve_fd(ctl, sv[0]) < 0 || sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, sv[1], sv[1]) < 0 ||
            sd_bus_start(bus) < 0 || sd_bus_attach_event(bus, e, 0) < 0)
                abort();

        for (unsigned n = 0; n < 32 && in.left > 0; n++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
                _cleanup_free_ char *node_path = NULL;
                uint8_t op = take(&in);
                const struct call *k = &calls[op % ELEMENTSOF(calls)];
                const char *signature = k->signature, *object = "/org/airsup1";
                char sig[8], buf[256];
                unsigned before = replies;

                /* Past the table: one of its methods, arguments of any type. */
                if (op >= ELEMENTSOF(calls) * 8) {
                        unsigned len = take(&in) % 5;
                        for (unsigned i = 0; i < len; i++)
                                sig[i] = "sutib"[take(&in) % 5];
                        sig[len] = '\0';
                        signature = sig;
                }
                switch (k->path) {
                case 1:
                        if (sd_bus_path_encode("/org/airsup1/node", take_string(&in, buf), &node_path) < 0)
                                continue;
                        object = node_path;
                        break;
                case 2:
                        object = "/";
                        break;
                case 3:
                        object = "/org/airsup1/node";
                        break;
                case 4:
                        object = "/org/freedesktop/DBus";
                        break;
                }
                if (sd_bus_message_new_method_call(bus, &msg, NULL, object, k->iface, k->member) < 0)
                        continue;
                if (append_args(msg, signature, &in) < 0)
                        continue;       /* what D-Bus cannot carry (a string that is not UTF-8) */
                if (sd_bus_call_async(bus, NULL, msg, on_reply, &replies, 0) < 0)
                        break;          /* disconnected */
                /* A waiting verb: what is ready to run, a few turns, then it
                 * waits on (dropped with the connection at the end). */
                if (waits(k) && signature == k->signature)
                        run_until_reply(e, &replies, before, 16, 0);
                else
                        run_until_reply(e, &replies, before, 2000, 1000);
        }

        sd_bus_close_unref(bus);
        control_free(ctl);
        manager_free(m);
        sd_event_unref(e);
        close(fd);
        (void) dup2(saved_stderr, STDERR_FILENO);
        return 0;
}
