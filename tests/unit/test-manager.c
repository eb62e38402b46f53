/* test-manager.c - the manager API that the control server and reload
 * call: lookups by name, the tree walk, event subscribers.  A real
 * manager is built from a real configuration; nothing is started. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "supervisor/config/reload.h"
#include "tests/unit/proc-fixture.h"

static const char conf[] =
        "[supervisor:backend]\n"
        "strategy = one_for_all\n"
        "[group:db]\nparent = backend\ncommand = /bin/sleep 1\n"
        "[group:web]\ncommand = /bin/sleep 1\ninstances = 3\n"
        "[supervisor:inner]\nparent = backend\n"
        "[group:cache]\nparent = inner\ncommand = /bin/sleep 1\n";


static int setup(void **state) {
        fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        assert_int_equal(sd_event_new(&f->e), 0);
        assert_int_equal(manager_new(cfg_from_text(conf), f->e, SUP_LOG_STDERR, false, false, &f->m), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        fixture *f = *state;

        manager_free(f->m);
        sd_event_unref(f->e);
        free(f);
        return 0;
}

static void test_manager_find_node_by_name(void **state) {
        fixture *f = *state;
        sup_node *n;

        assert_ptr_equal(manager_find_node(f->m, "root"), f->m->root);
        n = manager_find_node(f->m, "cache");
        assert_non_null(n);
        assert_string_equal(n->parent->cfg->name, "inner");
        assert_true(manager_find_node(f->m, "backend")->cfg->supervisor);
        assert_null(manager_find_node(f->m, "nope"));
        assert_null(manager_find_node(f->m, ""));
        assert_null(manager_find_node(NULL, "db"));
}

static void test_manager_find_proc_names(void **state) {
        fixture *f = *state;
        sup_proc *p = NULL;

        assert_int_equal(manager_find_proc(f->m, "db", &p), 0);
        assert_string_equal(p->name, "db");
        assert_int_equal(manager_find_proc(f->m, "web[2]", &p), 0);
        assert_string_equal(p->name, "web[2]");
        assert_int_equal(p->instance, 2);
        p = NULL;
        assert_int_equal(manager_find_proc(f->m, "web[3]", &p), -ENOENT);
        assert_int_equal(manager_find_proc(f->m, "web", &p), -EINVAL);
        assert_int_equal(manager_find_proc(f->m, "backend", &p), -EISDIR);
        assert_int_equal(manager_find_proc(f->m, "ghost", &p), -ENOENT);
        assert_int_equal(manager_find_proc(f->m, "web[-1]", &p), -EINVAL);
        assert_int_equal(manager_find_proc(f->m, "web[1", &p), -EINVAL);
        assert_int_equal(manager_find_proc(f->m, "web[]", &p), -EINVAL);
        assert_int_equal(manager_find_proc(f->m, "[0]", &p), -EINVAL);
        assert_int_equal(manager_find_proc(f->m, "web[99999999999999999999]", &p), -EINVAL);
        assert_int_equal(manager_find_proc(f->m, "db[0]", &p), 0);
        /* Untouched on failure. */
        assert_string_equal(p->name, "db");
}

typedef struct seen {
        char names[256];
        unsigned stop_at;
        unsigned n;
} seen;

static int collect(sup_node *n, unsigned depth, void *userdata) {
        seen *s = userdata;
        size_t l = strlen(s->names);

        snprintf(s->names + l, sizeof(s->names) - l, "%s%u:%s", l ? "," : "", depth, n->cfg->name);
        return ++s->n == s->stop_at ? -ECANCELED : 0;
}

static void test_manager_walk_order_and_stop(void **state) {
        fixture *f = *state;
        seen s = {};

        assert_int_equal(manager_walk(f->m, collect, &s), 0);
        assert_string_equal(s.names, "0:root,1:backend,2:db,2:inner,3:cache,1:web");
        s = (seen) { .stop_at = 3 };
        assert_int_equal(manager_walk(f->m, collect, &s), -ECANCELED);
        assert_string_equal(s.names, "0:root,1:backend,2:db");
}

static void count_event(const sup_event *e, void *userdata) {
        unsigned *n = userdata;

        if (strcmp(e->node, "db") == 0)
                (*n)++;
}

static void test_sup_events_subscribe_and_unsubscribe(void **state) {
        fixture *f = *state;
        unsigned a = 0, b = 0;
        int ia, ib;
        sup_event e = { .type = SUP_EVENT_STATUS, .priority = LOG_DEBUG };

        snprintf(e.node, sizeof(e.node), "db");
        ia = sup_events_subscribe(&f->m->events, count_event, &a);
        ib = sup_events_subscribe(&f->m->events, count_event, &b);
        assert_true(ia >= 0 && ib >= 0 && ia != ib);
        sup_events_emit(&f->m->events, &e);
        assert_int_equal(a, 1);
        assert_int_equal(b, 1);
        sup_events_unsubscribe(&f->m->events, ia);
        sup_events_emit(&f->m->events, &e);
        assert_int_equal(a, 1);
        assert_int_equal(b, 2);
        /* A freed slot is reused. */
        assert_int_equal(sup_events_subscribe(&f->m->events, count_event, &a), ia);
        assert_int_equal(sup_events_subscribe(&f->m->events, NULL, &a), -EINVAL);
}

/* The verbs on a running tree: real processes, the real event loop. */
static const char live_conf[] =
        "[supervisor:root]\nintensity = 10\nperiod = 1m\n"
        "[group:a]\ncommand = /bin/sleep 1000\n"
        "[group:b]\ncommand = /bin/sleep 1000\ninstances = 2\n"
        "[supervisor:s]\nstrategy = one_for_all\nintensity = 10\nperiod = 1m\n"
        "[group:c]\nparent = s\ncommand = /bin/sleep 1000\nbackoff = 0\n"
        "[group:d]\nparent = s\ncommand = /bin/sleep 1000\n";

static int setup_live(void **state) {
        fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        assert_int_equal(sd_event_new(&f->e), 0);
        assert_int_equal(manager_new(cfg_from_text(live_conf), f->e, SUP_LOG_STDERR, false, false, &f->m), 0);
        alarm(60);
        *state = f;
        return 0;
}

static int teardown_live(void **state) {
        fixture *f = *state;

        manager_shutdown(f->m, 0);
        assert_int_equal(sd_event_loop(f->e), 0);
        alarm(0);
        return teardown(state);
}

static sup_node *node(fixture *f, const char *name) {
        sup_node *n = manager_find_node(f->m, name);
        assert_non_null(n);
        return n;
}

static bool group_down(sup_node *n) {
        for (size_t i = 0; i < n->n_procs; i++)
                if (!proc_is_down(&n->procs[i]))
                        return false;
        return true;
}

static bool group_ready(sup_node *n) {
        for (size_t i = 0; i < n->n_procs; i++)
                if (n->procs[i].state != PROC_READY)
                        return false;
        return true;
}

/* Runs the loop until COND holds (checked after each dispatch), at most 10 s. */
#define RUN_UNTIL(f, cond)                                                      \
        do {                                                                    \
                uint64_t _end = now_usec() + 10 * USEC_PER_SEC;                 \
                while (!(cond)) {                                               \
                        assert_true(now_usec() < _end);                         \
                        assert_true(sd_event_run((f)->e, 10 * USEC_PER_MSEC) >= 0); \
                }                                                               \
        } while (0)

static void test_manager_verbs_on_a_running_tree(void **state) {
        fixture *f = *state;
        sup_node *a = node(f, "a"), *b = node(f, "b"), *c = node(f, "c"), *d = node(f, "d");
        pid_t pa, pb0, pc, pd;
        size_t restarts;

        manager_start(f->m);
        RUN_UNTIL(f, f->m->notified_ready);
        pa = a->procs[0].pid;
        pb0 = b->procs[0].pid;
        pc = c->procs[0].pid;

        /* stop holds a pool down, whatever happens around it. */
        assert_int_equal(manager_stop_node(f->m, b), 0);
        RUN_UNTIL(f, group_down(b));
        assert_true(b->held);
        assert_int_equal(kill(pb0, 0), -1);
        assert_int_equal(kill(pa, SIGKILL), 0);
        RUN_UNTIL(f, a->procs[0].pid != pa && group_ready(a));
        assert_true(group_down(b));

        /* A held child stays down through its supervisor's one_for_all. */
        assert_int_equal(manager_stop_node(f->m, d), 0);
        RUN_UNTIL(f, group_down(d));
        assert_int_equal(kill(pc, SIGKILL), 0);
        RUN_UNTIL(f, c->procs[0].pid != pc && group_ready(c) && node(f, "s")->state == NODE_UP &&
                     !manager_node_stopping_children(node(f, "s")));
        assert_true(group_down(d));

        /* start lets it run again. */
        assert_int_equal(manager_start_node(f->m, d), 0);
        RUN_UNTIL(f, group_ready(d));
        assert_false(d->held);
        pd = d->procs[0].pid;
        assert_true(pd > 0 && kill(pd, 0) == 0);

        /* restart: a new process, not counted as a restart by the root. */
        restarts = sup_window_count(&f->m->root->window, now_usec(), f->m->root->cfg->period_usec);
        pa = a->procs[0].pid;
        assert_int_equal(manager_restart_node(f->m, a), 0);
        RUN_UNTIL(f, a->procs[0].pid != pa && group_ready(a) && !manager_node_stopping_children(f->m->root));
        assert_int_equal(sup_window_count(&f->m->root->window, now_usec(), f->m->root->cfg->period_usec),
                         restarts);

        /* signal reaches the main process; the supervisor does the rest. */
        pc = c->procs[0].pid;
        assert_int_equal(manager_signal_node(f->m, c, SIGKILL), 1);
        RUN_UNTIL(f, c->procs[0].pid != pc && group_ready(c) && group_ready(d));
        assert_int_equal(manager_signal_node(f->m, b, SIGTERM), -ESRCH);
        assert_int_equal(manager_signal_node(f->m, b, 0), -EINVAL);

        /* The root is not stopped this way; restart of a held node starts it. */
        assert_int_equal(manager_stop_node(f->m, f->m->root), -EPERM);
        assert_int_equal(manager_restart_node(f->m, b), 0);
        RUN_UNTIL(f, group_ready(b));
        assert_false(b->held);
}

/* One instance of a pool: held alone, through a one_for_all restart of
 * the tree around it, restarted alone and not counted. */
static void test_manager_verbs_on_one_instance(void **state) {
        fixture *f = *state;
        sup_node *b = node(f, "b"), *a = node(f, "a");
        sup_proc *b0 = &b->procs[0], *b1 = &b->procs[1];
        pid_t pb0, pb1, pa;
        size_t restarts;

        manager_start(f->m);
        RUN_UNTIL(f, f->m->notified_ready);
        pb0 = b0->pid;
        pb1 = b1->pid;

        assert_int_equal(manager_stop_proc(f->m, b1), 0);
        RUN_UNTIL(f, proc_is_down(b1));
        assert_true(b1->held);
        assert_int_equal(kill(pb1, 0), -1);
        assert_int_equal(b0->pid, pb0);
        assert_int_equal(b0->state, PROC_READY);

        /* A crash of its sibling restarts that one alone; b[1] stays down. */
        assert_int_equal(kill(pb0, SIGKILL), 0);
        RUN_UNTIL(f, b0->pid != pb0 && b0->state == PROC_READY);
        assert_true(proc_is_down(b1) && b1->held);

        /* restart of one instance: not counted toward the intensity. */
        restarts = sup_window_count(&f->m->root->window, now_usec(), f->m->root->cfg->period_usec);
        pb0 = b0->pid;
        pa = a->procs[0].pid;
        assert_int_equal(manager_restart_proc(f->m, b0), 0);
        RUN_UNTIL(f, b0->pid != pb0 && b0->state == PROC_READY);
        assert_int_equal(sup_window_count(&f->m->root->window, now_usec(), f->m->root->cfg->period_usec),
                         restarts);
        assert_int_equal(a->procs[0].pid, pa);
        assert_true(proc_is_down(b1));

        assert_int_equal(manager_start_proc(f->m, b1), 0);
        RUN_UNTIL(f, b1->state == PROC_READY);
        assert_false(b1->held);

        /* Not while the group is stopped; a start of the group releases all. */
        assert_int_equal(manager_stop_proc(f->m, b1), 0);
        RUN_UNTIL(f, proc_is_down(b1));
        assert_int_equal(manager_stop_node(f->m, b), 0);
        RUN_UNTIL(f, group_down(b) && b->state == NODE_DOWN);
        assert_int_equal(manager_start_proc(f->m, b0), -ENOTCONN);
        assert_int_equal(manager_restart_proc(f->m, b0), -ENOTCONN);
        assert_int_equal(manager_start_node(f->m, b), 0);
        RUN_UNTIL(f, group_ready(b));
        assert_false(b0->held || b1->held);
        assert_int_equal(manager_stop_proc(f->m, NULL), -EINVAL);
}

typedef struct reload_outcome {
        bool done;
        int r;
        bool errors;
        size_t restarted, added;
} reload_outcome;

static void on_reloaded(const reload_result *res, void *userdata) {
        reload_outcome *o = userdata;

        o->done = true;
        o->r = res->r;
        o->errors = res->errors && strstr(res->errors, ":2: ");
        o->restarted = res->count ? res->count[RELOAD_RESTART] : 0;
        o->added = res->count ? res->count[RELOAD_ADD] : 0;
}

static void write_file(const char *path, const char *text) {
        FILE *w = fopen(path, "we");

        assert_non_null(w);
        assert_int_equal(fputs(text, w) >= 0, 1);
        assert_int_equal(fclose(w), 0);
}

/* A reload on a real tree: the untouched keep their processes, their
 * incarnations and their supervisor's intensity window (resized to a new
 * intensity); a changed group under a one_for_all supervisor restarts
 * alone; a file with errors changes nothing. */
static void test_manager_reload_keeps_the_untouched(void **state) {
        char path[] = "/tmp/airsup-test-reload-XXXXXX";
        fixture *f = calloc(1, sizeof(*f));
        reload_outcome o = {};
        sup_node *a, *c, *d;
        pid_t pa, pc, pd;
        cfg *conf_loaded = NULL;
        int fd = mkstemp(path);

        (void) state;
        assert_true(f && fd >= 0);
        close(fd);
        write_file(path, live_conf);
        assert_int_equal(cfg_load(path, stderr, &conf_loaded), 0);
        assert_int_equal(sd_event_new(&f->e), 0);
        assert_int_equal(manager_new(conf_loaded, f->e, SUP_LOG_STDERR, false, false, &f->m), 0);
        alarm(60);
        a = node(f, "a");
        c = node(f, "c");
        d = node(f, "d");
        manager_start(f->m);
        RUN_UNTIL(f, f->m->notified_ready);

        /* Two restarts in the root's window. */
        for (int i = 0; i < 2; i++) {
                pa = a->procs[0].pid;
                assert_int_equal(kill(pa, SIGKILL), 0);
                RUN_UNTIL(f, a->procs[0].pid != pa && group_ready(a));
        }
        assert_int_equal(sup_window_count(&f->m->root->window, now_usec(), f->m->root->cfg->period_usec), 2);
        pa = a->procs[0].pid;
        pc = c->procs[0].pid;
        pd = d->procs[0].pid;

        /* A broken file: nothing changes, the caller gets FILE:LINE. */
        write_file(path, "[supervisor:root]\nintensity = lots\n");
        assert_int_equal(manager_reload(f->m, false, on_reloaded, &o), 0);
        assert_true(o.done);
        assert_int_equal(o.r, -EINVAL);
        assert_true(o.errors);
        assert_ptr_equal(node(f, "a"), a);
        assert_int_equal(a->procs[0].pid, pa);

        write_file(path, "[supervisor:root]\nintensity = 3\nperiod = 1m\n"
                         "[group:a]\ncommand = /bin/sleep 1000\n"
                         "[group:b]\ncommand = /bin/sleep 1000\ninstances = 2\n"
                         "[supervisor:s]\nstrategy = one_for_all\nintensity = 10\nperiod = 1m\n"
                         "[group:c]\nparent = s\ncommand = /bin/sleep 1001\nbackoff = 0\n"
                         "[group:d]\nparent = s\ncommand = /bin/sleep 1000\n"
                         "[group:e]\ncommand = /bin/sleep 1000\n");
        o = (reload_outcome) {};
        assert_int_equal(manager_reload(f->m, false, on_reloaded, &o), 0);
        RUN_UNTIL(f, o.done);
        assert_int_equal(o.r, 0);
        assert_int_equal(o.restarted, 1);
        assert_int_equal(o.added, 1);
        /* Untouched: the same process, incarnation and window. */
        assert_int_equal(a->procs[0].pid, pa);
        assert_int_equal(a->procs[0].incarnation, 3);
        assert_int_equal(f->m->root->cfg->intensity, 3);
        assert_int_equal(sup_window_count(&f->m->root->window, now_usec(), f->m->root->cfg->period_usec), 2);
        /* c alone restarted with its new command, d left running. */
        assert_true(c->procs[0].pid != pc && c->procs[0].state == PROC_READY);
        assert_string_equal(c->cfg->command, "/bin/sleep 1001");
        assert_int_equal(d->procs[0].pid, pd);
        assert_true(group_ready(node(f, "e")));
        /* During a shutdown: refused. */
        manager_shutdown(f->m, 0);
        assert_int_equal(manager_reload(f->m, false, on_reloaded, &o), -ESHUTDOWN);
        assert_int_equal(sd_event_loop(f->e), 0);
        alarm(0);
        unlink(path);
        assert_int_equal(teardown((void **) &f), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_manager_find_node_by_name, setup, teardown),
                cmocka_unit_test_setup_teardown(test_manager_find_proc_names, setup, teardown),
                cmocka_unit_test_setup_teardown(test_manager_walk_order_and_stop, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sup_events_subscribe_and_unsubscribe, setup, teardown),
                cmocka_unit_test_setup_teardown(test_manager_verbs_on_a_running_tree, setup_live, teardown_live),
                cmocka_unit_test_setup_teardown(test_manager_verbs_on_one_instance, setup_live, teardown_live),
                cmocka_unit_test(test_manager_reload_keeps_the_untouched),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
