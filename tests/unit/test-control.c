/* test-control.c - the control server's methods, called over a real
 * sd-bus connection (a socketpair served by control_serve_fd()) against
 * a real manager whose groups are real processes, all on one event loop:
 * the queries, the verbs that reply once done (Stop: its pids dead;
 * Restart: new pids, ready), their NoBlock forms, the bound on waiting
 * calls, and a client that hangs up while its calls wait. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/control-proto.h"
#include "supervisor/operator/control.h"
#include "supervisor/operator/control-internal.h"
#include "supervisor/operator/control-verbs.h"
#include "tests/unit/proc-fixture.h"

/* slow: ignores SIGTERM (once its shell set the trap, which the test
 * waits for), so that its stop lasts (shutdown = 30s) until the test
 * kills it. */
static const char conf[] =
        "[supervisor:root]\nintensity = 10\nperiod = 1m\n"
        "[group:a]\ncommand = /bin/sleep 1000\n"
        "[group:b]\ncommand = /bin/sleep 1000\ninstances = 2\n"
        "[group:slow]\ncommand = /bin/sh -c 'trap \"\" TERM; exec sleep 1000'\nshutdown = 30s\n";

typedef struct ctl_fixture {
        fixture f;
        sup_control *control;
        sd_bus *bus;                    /* the client's end */
} ctl_fixture;

/* A call's outcome, filled by on_reply(). */
typedef struct outcome {
        bool done;
        char error[128];                /* its D-Bus error's name, "" for a method return */
        /* Whether the pid noted before was gone when the reply came. */
        pid_t watch;
        bool watch_dead;
        bool keep;                      /* the reply wanted: */
        sd_bus_message *reply;          /* referenced */
} outcome;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        outcome *o = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        (void) ret_error;
        o->done = true;
        if (o->keep)
                o->reply = sd_bus_message_ref(m);
        snprintf(o->error, sizeof(o->error), "%s", e ? e->name : "");
        if (o->watch > 0)
                o->watch_dead = kill(o->watch, 0) < 0 && errno == ESRCH;
        return 0;
}

/* Runs the loop until COND holds (checked after each dispatch), at most 10 s. */
#define RUN_UNTIL(x, cond)                                                              \
        do {                                                                            \
                uint64_t _end = now_usec() + 10 * USEC_PER_SEC;                         \
                while (!(cond)) {                                                       \
                        assert_true(now_usec() < _end);                                 \
                        assert_true(sd_event_run((x)->f.e, 10 * USEC_PER_MSEC) >= 0);   \
                }                                                                       \
        } while (0)

static sd_bus *client_new(ctl_fixture *x) {
        sd_bus *bus = NULL;
        int sv[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(control_serve_fd(x->control, sv[0]), 0);
        assert_int_equal(sd_bus_new(&bus), 0);
        assert_int_equal(sd_bus_set_fd(bus, sv[1], sv[1]), 0);
        assert_int_equal(sd_bus_start(bus), 0);
        assert_int_equal(sd_bus_attach_event(bus, x->f.e, 0), 0);
        return bus;
}

static int setup(void **state) {
        ctl_fixture *x = calloc(1, sizeof(*x));
        char err[256];

        assert_non_null(x);
        assert_int_equal(sd_event_new(&x->f.e), 0);
        assert_int_equal(manager_new(cfg_from_text(conf), x->f.e, SUP_LOG_STDERR, false, false, &x->f.m), 0);
        assert_int_equal(control_new(x->f.m, NULL, &x->control, err, sizeof(err)), 0);
        alarm(60);
        manager_start(x->f.m);
        RUN_UNTIL(x, x->f.m->notified_ready);
        x->bus = client_new(x);
        *state = x;
        return 0;
}

static int teardown(void **state) {
        ctl_fixture *x = *state;
        sup_node *slow = manager_find_node(x->f.m, "slow");

        x->bus = sd_bus_close_unref(x->bus);
        if (slow && slow->procs[0].pid > 0)
                (void) kill(slow->procs[0].pid, SIGKILL);
        manager_shutdown(x->f.m, 0);
        assert_int_equal(sd_event_loop(x->f.e), 0);
        control_free(x->control);
        manager_free(x->f.m);
        sd_event_unref(x->f.e);
        alarm(0);
        free(x);
        return 0;
}

/* METHOD(NAME) sent on BUS; its outcome lands in O. */
static void call(sd_bus *bus, const char *method, const char *name, outcome *o) {
        *o = (outcome) { .watch = o->watch };
        assert_int_equal(sd_bus_call_method_async(bus, NULL, NULL, CONTROL_PATH, CONTROL_IFACE, method, on_reply, o,
                                                  "s", name), 1);
}

static sup_proc *proc(ctl_fixture *x, const char *name) {
        sup_proc *p = NULL;

        assert_int_equal(manager_find_proc(x->f.m, name, &p), 0);
        return p;
}

static void test_control_status_and_tree(void **state) {
        ctl_fixture *x = *state;
        sd_bus_message *m = NULL;
        const char *name, *kind, *st, *group, *held, *last, *text, *health, *strategy, *restart;
        uint32_t pid, restarts, depth, intensity, period, instances;
        uint64_t uptime, exited;
        int ready, r;
        unsigned rows = 0;
        outcome o = { .keep = true };

        assert_int_equal(sd_bus_message_new_method_call(x->bus, &m, NULL, CONTROL_PATH, CONTROL_IFACE, "Status"), 0);
        assert_int_equal(sd_bus_message_append_strv(m, (char *[]) { "b", NULL }), 0);
        assert_int_equal(sd_bus_call_async(x->bus, NULL, m, on_reply, &o, 0), 1);
        sd_bus_message_unref(m);
        RUN_UNTIL(x, o.done);
        assert_string_equal(o.error, "");
        assert_int_equal(sd_bus_message_enter_container(o.reply, 'a', CONTROL_STATUS_ROW), 1);
        while ((r = sd_bus_message_read(o.reply, CONTROL_STATUS_ROW, &name, &kind, &st, &group, &held, &pid, &uptime,
                                        &restarts, &ready, &last, &exited, &text, &health)) > 0) {
                assert_string_equal(kind, "process");
                assert_string_equal(group, "b");
                assert_string_equal(st, "ready");
                assert_true(pid > 0 && ready);
                rows++;
        }
        assert_int_equal(r, 0);
        assert_int_equal(rows, 2);
        o.reply = sd_bus_message_unref(o.reply);

        /* Tree: every node in order, the pool with its instances. */
        o = (outcome) { .keep = true };
        assert_int_equal(sd_bus_call_method_async(x->bus, NULL, NULL, CONTROL_PATH, CONTROL_IFACE, "Tree", on_reply, &o, ""),
                         1);
        RUN_UNTIL(x, o.done);
        assert_string_equal(o.error, "");
        assert_int_equal(sd_bus_message_enter_container(o.reply, 'a', CONTROL_TREE_ROW), 1);
        rows = 0;
        while ((r = sd_bus_message_read(o.reply, CONTROL_TREE_ROW, &name, &depth, &kind, &st, &strategy, &intensity,
                                        &restart, &period, &instances)) > 0) {
                static const char *const order[] = { "root", "a", "b", "slow" };

                assert_true(rows < ELEMENTSOF(order));
                assert_string_equal(name, order[rows]);
                assert_int_equal(depth, rows ? 1 : 0);
                if (strcmp(name, "b") == 0)
                        assert_int_equal(instances, 2);
                rows++;
        }
        assert_int_equal(r, 0);
        assert_int_equal(rows, 4);
        o = (outcome) { .reply = sd_bus_message_unref(o.reply) };

        /* A name that is not there: NoSuchNode, for a query and a verb. */
        call(x->bus, "Outputs", "nope", &o);
        RUN_UNTIL(x, o.done);
        assert_string_equal(o.error, CONTROL_ERR_NO_SUCH_NODE);
        call(x->bus, "Stop", "b[7]", &o);
        RUN_UNTIL(x, o.done);
        assert_string_equal(o.error, CONTROL_ERR_NO_SUCH_NODE);
        /* The root is not stopped this way. */
        call(x->bus, "Stop", "root", &o);
        RUN_UNTIL(x, o.done);
        assert_string_equal(o.error, CONTROL_ERR_FAILED);
}

/* Stop replies once the processes are gone: the pid is dead when the
 * reply comes, not merely signalled. */
static void test_control_stop_replies_once_down(void **state) {
        ctl_fixture *x = *state;
        sup_proc *b0 = proc(x, "b[0]"), *b1 = proc(x, "b[1]");
        outcome o = { .watch = b1->pid };

        call(x->bus, "Stop", "b", &o);
        RUN_UNTIL(x, o.done);
        assert_string_equal(o.error, "");
        assert_true(o.watch_dead);
        assert_true(proc_is_down(b0) && proc_is_down(b1));
        assert_true(manager_node_down(manager_find_node(x->f.m, "b")));
        assert_int_equal(x->control->n_waits, 0);

        /* Once more, already down: at once. */
        call(x->bus, "Stop", "b", &o);
        RUN_UNTIL(x, o.done);
        assert_string_equal(o.error, "");

        /* Start replies once each is ready again. */
        call(x->bus, "Start", "b", &o);
        RUN_UNTIL(x, o.done);
        assert_string_equal(o.error, "");
        assert_int_equal(b0->state, PROC_READY);
        assert_int_equal(b1->state, PROC_READY);
}

/* Restart replies with a new pid, ready; one instance alone likewise. */
static void test_control_restart_replies_with_new_pid(void **state) {
        ctl_fixture *x = *state;
        sup_proc *a = proc(x, "a"), *b1 = proc(x, "b[1]");
        pid_t pa = a->pid, pb0 = proc(x, "b[0]")->pid, pb1 = b1->pid;
        outcome o = { .watch = pa };

        call(x->bus, "Restart", "a", &o);
        RUN_UNTIL(x, o.done);
        assert_string_equal(o.error, "");
        assert_true(o.watch_dead);
        assert_int_equal(a->state, PROC_READY);
        assert_true(a->pid > 0 && a->pid != pa);

        o = (outcome) { .watch = pb1 };
        call(x->bus, "Restart", "b[1]", &o);
        RUN_UNTIL(x, o.done);
        assert_string_equal(o.error, "");
        assert_true(o.watch_dead);
        assert_int_equal(b1->state, PROC_READY);
        assert_true(b1->pid != pb1);
        assert_int_equal(proc(x, "b[0]")->pid, pb0);
}

/* The NoBlock forms reply once it is under way; the verb still happens. */
static void test_control_no_block(void **state) {
        ctl_fixture *x = *state;
        sup_proc *a = proc(x, "a");
        outcome o = {};

        call(x->bus, "StopNoBlock", "a", &o);
        RUN_UNTIL(x, o.done);
        assert_string_equal(o.error, "");
        assert_int_equal(x->control->n_waits, 0);
        RUN_UNTIL(x, manager_node_down(manager_find_node(x->f.m, "a")));
        call(x->bus, "StartNoBlock", "a", &o);
        RUN_UNTIL(x, o.done);
        assert_string_equal(o.error, "");
        RUN_UNTIL(x, a->state == PROC_READY);
}

/* A stop that lasts: at most CONTROL_WAITS_MAX calls wait per client,
 * the next is refused (Busy); a client that hangs up leaves none behind;
 * the others are answered once it is down. */
/* Whether PID ignores SIG (its SigIgn in /proc). */
static bool ignores(pid_t pid, int sig) {
        char path[64], line[256];
        unsigned long long mask = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "SigIgn: %llx", &mask) == 1)
                        break;
        fclose(f);
        return mask & (1ULL << (sig - 1));
}

static void test_control_waits_bounded_and_dropped(void **state) {
        ctl_fixture *x = *state;
        sup_proc *slow = proc(x, "slow");
        sd_bus *other = client_new(x);
        outcome o[CONTROL_WAITS_MAX + 1] = {}, p = {};
        pid_t pid = slow->pid;

        RUN_UNTIL(x, ignores(pid, SIGTERM));
        for (unsigned i = 0; i < CONTROL_WAITS_MAX; i++)
                call(other, "Stop", "slow", &o[i]);
        RUN_UNTIL(x, x->control->n_waits == CONTROL_WAITS_MAX);
        call(other, "Stop", "slow", &o[CONTROL_WAITS_MAX]);
        RUN_UNTIL(x, o[CONTROL_WAITS_MAX].done);
        assert_string_equal(o[CONTROL_WAITS_MAX].error, CONTROL_ERR_BUSY);
        for (unsigned i = 0; i < CONTROL_WAITS_MAX; i++)
                assert_false(o[i].done);

        /* Another client waits too; the first hangs up. */
        call(x->bus, "Stop", "slow", &p);
        RUN_UNTIL(x, x->control->n_waits == CONTROL_WAITS_MAX + 1);
        other = sd_bus_close_unref(other);
        RUN_UNTIL(x, x->control->n_waits == 1 && x->control->n_clients == 1);
        assert_false(p.done);

        /* Down at last: the one left is answered. */
        assert_int_equal(kill(pid, SIGKILL), 0);
        RUN_UNTIL(x, p.done);
        assert_string_equal(p.error, "");
        assert_int_equal(x->control->n_waits, 0);
        assert_true(proc_is_down(slow));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_control_status_and_tree, setup, teardown),
                cmocka_unit_test_setup_teardown(test_control_stop_replies_once_down, setup, teardown),
                cmocka_unit_test_setup_teardown(test_control_restart_replies_with_new_pid, setup, teardown),
                cmocka_unit_test_setup_teardown(test_control_no_block, setup, teardown),
                cmocka_unit_test_setup_teardown(test_control_waits_bounded_and_dropped, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
