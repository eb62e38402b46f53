/* test-sup.c - the tree's reactions (ordered start, strategies, restart
 * types, intensity and escalation, held nodes) over procs in a fake world
 * (proc-fixture.h): exits, readiness and timers are dispatched by the test
 * and the run queue is run by hand, so each step is exact. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "supervisor/core/tree-internal.h"
#include "tests/unit/proc-fixture.h"

static sup_proc *proc(fixture *f, const char *name) {
        sup_proc *p = NULL;
        assert_int_equal(manager_find_proc(f->m, name, &p), 0);
        return p;
}

/* Runs what is pending (the run queue, deferred restarts) until nothing is. */
static void settle(fixture *f) {
        for (unsigned i = 0; i < 1000; i++)
                if (sd_event_run(f->e, 0) <= 0)
                        return;
        fail_msg("the loop did not settle");
}

/* The exec of P happened; with ready = none it is ready. */
static void execs(fixture *f, sup_proc *p) {
        assert_int_equal(proc_dispatch(p, PROC_EV_EXEC_OK), 0);
        settle(f);
}

/* P's main process ended (its group is empty). */
static void dies(fixture *f, sup_proc *p, int code, int status) {
        world.group_alive = false;
        exited(p, code, status);
        settle(f);
}

/* A restart's backoff ran out. */
static void backoff_over(fixture *f, sup_proc *p) {
        assert_int_equal(p->state, PROC_BACKOFF);
        assert_int_equal(proc_dispatch(p, PROC_EV_BACKOFF_OVER), 0);
        settle(f);
}

static const char tree[] =
        "[supervisor:root]\nstrategy = one_for_all\nintensity = 2\nperiod = 1h\n"
        "[group:a]\ncommand = /bin/true\nbackoff = 1s\n"
        "[group:b]\ncommand = /bin/true\nbackoff = 1s\n"
        "[group:c]\ncommand = /bin/true\nrestart = transient\nbackoff = 1s\n";

static void start_all(fixture *f) {
        manager_start(f->m);
        settle(f);
        /* Ordered: b is not started before a is ready, nor c before b. */
        assert_int_equal(proc(f, "a")->state, PROC_STARTING);
        assert_int_equal(proc(f, "b")->state, PROC_STOPPED);
        execs(f, proc(f, "a"));
        assert_int_equal(proc(f, "c")->state, PROC_STOPPED);
        execs(f, proc(f, "b"));
        execs(f, proc(f, "c"));
        assert_true(f->m->notified_ready);
}

static void test_sup_one_for_all_stops_in_reverse_and_restarts_in_order(void **state) {
        fixture *f = fixture_conf(tree);
        sup_proc *a = proc(f, "a"), *b = proc(f, "b"), *c = proc(f, "c");

        (void) state;
        start_all(f);
        f->events[0] = '\0';
        /* b crashes: c then a are stopped (reverse order, one at a time). */
        dies(f, b, CLD_KILLED, SIGSEGV);
        assert_int_equal(c->state, PROC_STOPPING);
        assert_int_equal(a->state, PROC_READY);
        dies(f, c, CLD_KILLED, SIGTERM);
        assert_int_equal(a->state, PROC_STOPPING);
        dies(f, a, CLD_KILLED, SIGTERM);
        /* Then started again in order: a, then b after its backoff, then c. */
        assert_int_equal(a->state, PROC_STARTING);
        assert_int_equal(b->state, PROC_STOPPED);
        execs(f, a);
        assert_int_equal(b->state, PROC_BACKOFF);
        backoff_over(f, b);
        execs(f, b);
        execs(f, c);
        assert_string_equal(f->events, "exited,stopping,exited,stopped,stopping,exited,stopped,"
                                       "started,ready,restarting,started,ready,started,ready,ready");
        fixture_free(f);
}

/* A root with INTENSITY and PERIOD over one group "a" without backoff,
 * started and ready: *RET_A is a's proc. */
static fixture *one_group(const char *intensity, const char *period, sup_proc **ret_a) {
        char text[256];
        fixture *f;

        snprintf(text, sizeof(text), "[supervisor:root]\nintensity = %s\nperiod = %s\n"
                 "[group:a]\ncommand = /bin/true\nbackoff = 0\n", intensity, period);
        f = fixture_conf(text);
        *ret_a = proc(f, "a");
        manager_start(f->m);
        settle(f);
        execs(f, *ret_a);
        return f;
}

static void test_sup_intensity_gives_up_and_root_exits_1(void **state) {
        sup_proc *a;
        fixture *f = one_group("1", "1h", &a);

        (void) state;
        dies(f, a, CLD_EXITED, 3);
        assert_int_equal(a->state, PROC_STARTING);              /* the first restart is allowed */
        execs(f, a);
        dies(f, a, CLD_EXITED, 3);
        /* The second within the period is one too many: the root gives up. */
        assert_int_equal(a->state, PROC_FAILED);
        assert_non_null(strstr(f->events, "gave-up"));
        {
                int code = 0;
                assert_int_equal(sd_event_get_exit_code(f->e, &code), 0);
                assert_int_equal(code, 1);
        }
        fixture_free(f);
}

static void test_sup_intensity_counts_only_the_period(void **state) {
        sup_proc *a;
        fixture *f = one_group("2", "10s", &a);

        (void) state;
        /* Five restarts 11 s apart: more than intensity in all, but never
         * more than one within any 10 s. */
        for (unsigned i = 0; i < 5; i++) {
                world.now_usec += 11 * USEC_PER_SEC;
                dies(f, a, CLD_EXITED, 3);
                assert_int_equal(a->state, PROC_STARTING);
                execs(f, a);
        }
        /* Two more, a second apart: the second is the third in 10 s. */
        world.now_usec += USEC_PER_SEC;
        dies(f, a, CLD_EXITED, 3);
        assert_int_equal(a->state, PROC_STARTING);
        execs(f, a);
        assert_null(strstr(f->events, "gave-up"));
        world.now_usec += USEC_PER_SEC;
        dies(f, a, CLD_EXITED, 3);
        assert_int_equal(a->state, PROC_FAILED);
        assert_non_null(strstr(f->events, "gave-up"));
        fixture_free(f);
}

static void test_sup_transient_clean_exit_is_not_restarted(void **state) {
        fixture *f = fixture_conf(tree);
        sup_proc *a = proc(f, "a"), *c = proc(f, "c");

        (void) state;
        start_all(f);
        dies(f, c, CLD_EXITED, 0);
        assert_int_equal(c->state, PROC_EXITED);
        assert_int_equal(a->state, PROC_READY);                 /* nothing else touched */
        assert_int_equal(f->m->root->window.n, 0);              /* not a restart */
        fixture_free(f);
}

static void test_sup_held_node_stays_down_through_one_for_all(void **state) {
        fixture *f = fixture_conf(tree);
        sup_proc *a = proc(f, "a"), *b = proc(f, "b"), *c = proc(f, "c");

        (void) state;
        start_all(f);
        assert_int_equal(manager_stop_node(f->m, manager_find_node(f->m, "b")), 0);
        assert_int_equal(b->state, PROC_STOPPING);
        dies(f, b, CLD_KILLED, SIGTERM);
        assert_int_equal(b->state, PROC_STOPPED);
        /* a crashes: c is stopped, then a and c start again; b stays down. */
        dies(f, a, CLD_KILLED, SIGSEGV);
        dies(f, c, CLD_KILLED, SIGTERM);
        backoff_over(f, a);
        execs(f, a);
        execs(f, c);
        assert_int_equal(b->state, PROC_STOPPED);
        assert_int_equal(c->state, PROC_READY);
        /* The operator's start brings it back. */
        assert_int_equal(manager_start_node(f->m, manager_find_node(f->m, "b")), 0);
        execs(f, b);
        assert_int_equal(b->state, PROC_READY);
        fixture_free(f);
}

/* A chain of CFG_DEPTH_MAX - 1 supervisors (and the root) with KEYS each and the group
 * "leaf" under the last: the deepest tree a file may describe.  What
 * walks it recursively (start, stop, escalation) is bounded by that. */
static fixture *deepest(const char *keys) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        fixture *x;

        assert_non_null(f);
        fprintf(f, "[supervisor:root]\n%s", keys);
        for (unsigned i = 1; i < CFG_DEPTH_MAX; i++) {
                fprintf(f, "[supervisor:s%u]\n%s", i, keys);
                if (i > 1)
                        fprintf(f, "parent = s%u\n", i - 1);
        }
        fprintf(f, "[group:leaf]\nparent = s%u\ncommand = /bin/true\nbackoff = 0\n", CFG_DEPTH_MAX - 1);
        fclose(f);
        x = fixture_conf(text);
        free(text);
        return x;
}

static void test_sup_deepest_tree_starts_and_stops(void **state) {
        fixture *f = deepest("");
        sup_proc *leaf = proc(f, "leaf");
        int code = -1;

        (void) state;
        manager_start(f->m);
        settle(f);
        assert_int_equal(leaf->state, PROC_STARTING);
        assert_int_equal(leaf->group->cfg->depth, CFG_DEPTH_MAX);
        execs(f, leaf);
        assert_true(f->m->notified_ready);
        manager_shutdown(f->m, 0);
        settle(f);
        assert_int_equal(leaf->state, PROC_STOPPING);
        dies(f, leaf, CLD_KILLED, SIGTERM);
        assert_int_equal(f->m->root->state, NODE_DOWN);
        assert_int_equal(sd_event_get_exit_code(f->e, &code), 0);
        assert_int_equal(code, 0);
        fixture_free(f);
}

/* Every level gives up at the first restart: the leaf's crash escalates
 * through all 32 levels, and the root exits 1. */
static void test_sup_deepest_tree_escalates_to_the_root(void **state) {
        fixture *f = deepest("intensity = 0\n");
        sup_proc *leaf = proc(f, "leaf");
        int code = -1;

        (void) state;
        manager_start(f->m);
        settle(f);
        execs(f, leaf);
        dies(f, leaf, CLD_EXITED, 1);
        assert_int_equal(leaf->state, PROC_FAILED);
        assert_int_equal(sd_event_get_exit_code(f->e, &code), 0);
        assert_int_equal(code, 1);
        fixture_free(f);
}

/* The node's table, every state x event: what it handles, and what it
 * ignores on purpose (a start of a node that is not down, a stop of one
 * already stopping, news of children while nothing waits for it).  A
 * change here is a change of the tree's behaviour: this test says so. */
static void test_sup_node_table_every_state_and_event(void **state) {
        static const char *const expected[_NODE_STATE_MAX] = {
                /*                         START STOP RESTART_CHILDREN CHILD_DOWN CHILD_FAILED CHILD_SETTLED GIVE_UP ALL_DOWN */
                [NODE_DOWN]             = "1" "1" "1" "0" "1" "0" "1" "0",
                [NODE_UP]               = "0" "1" "1" "0" "1" "1" "1" "0",
                [NODE_STOPPING]         = "0" "0" "0" "1" "1" "0" "0" "1",
                [NODE_RESTARTING]       = "0" "1" "0" "1" "1" "0" "0" "1",
                [NODE_STOPPING_TO_FAIL] = "0" "0" "0" "1" "1" "0" "0" "1",
                [NODE_FAILED]           = "0" "1" "0" "0" "0" "0" "0" "0",
        };

        (void) state;
        for (int st = 0; st < _NODE_STATE_MAX; st++) {
                assert_int_equal(strlen(expected[st]), _NODE_EV_MAX);
                for (int ev = 0; ev < _NODE_EV_MAX; ev++)
                        if (node_handles(st, ev) != (expected[st][ev] == '1'))
                                fail_msg("state %s event %d: %s", node_state_to_string(st), ev,
                                         node_handles(st, ev) ? "handled" : "ignored");
        }
        assert_false(node_handles(_NODE_STATE_MAX, NODE_EV_START));
        assert_false(node_handles(NODE_UP, _NODE_EV_MAX));
        /* What the operator sees: the three ways of stopping are one. */
        assert_string_equal(node_state_to_string(NODE_RESTARTING), "stopping");
        assert_string_equal(node_state_to_string(NODE_STOPPING_TO_FAIL), "stopping");
}

/* Ignored means ignored: an event without an entry changes nothing. */
static void test_sup_node_ignored_events_change_nothing(void **state) {
        fixture *f = fixture_conf(tree);
        sup_node *root = f->m->root;
        sup_proc *a = proc(f, "a");

        (void) state;
        start_all(f);
        assert_int_equal(root->state, NODE_UP);
        /* A start of a node that is up, news of a child going down while
         * nothing is being stopped: no transition, no restart. */
        assert_int_equal(node_dispatch(root, NODE_EV_START, NULL), 0);
        assert_int_equal(node_dispatch(root, NODE_EV_CHILD_DOWN, NULL), 0);
        assert_int_equal(node_dispatch(root, NODE_EV_ALL_DOWN, NULL), 0);
        settle(f);
        assert_int_equal(root->state, NODE_UP);
        assert_int_equal(a->state, PROC_READY);
        assert_int_equal(a->incarnation, 1);
        assert_int_equal(node_dispatch(root, _NODE_EV_MAX, NULL), -EINVAL);
        fixture_free(f);
}

/* A give-up is a state of its own until every child is down: the root
 * stops them, last first, and only then fails (the loop ends with 1). */
static void test_sup_node_give_up_stops_children_then_fails(void **state) {
        fixture *f = fixture_conf(tree);
        sup_node *root = f->m->root;
        sup_proc *a = proc(f, "a"), *c = proc(f, "c");
        int code = -1;

        (void) state;
        start_all(f);
        assert_int_equal(node_dispatch(root, NODE_EV_GIVE_UP, &(node_ev_arg) { .child = a->group, .failed = a }), 0);
        assert_int_equal(root->state, NODE_STOPPING_TO_FAIL);
        assert_true(manager_node_stopping_children(root));
        assert_string_equal(node_state_to_string(root->state), "stopping");
        /* Last first: c is stopping, a is not yet. */
        assert_int_equal(c->state, PROC_STOPPING);
        assert_int_equal(a->state, PROC_READY);
        dies(f, c, CLD_KILLED, SIGTERM);
        dies(f, proc(f, "b"), CLD_KILLED, SIGTERM);
        assert_int_equal(root->state, NODE_STOPPING_TO_FAIL);
        dies(f, a, CLD_KILLED, SIGTERM);
        assert_int_equal(root->state, NODE_FAILED);
        assert_int_equal(sd_event_get_exit_code(f->e, &code), 0);
        assert_int_equal(code, 1);
        fixture_free(f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sup_one_for_all_stops_in_reverse_and_restarts_in_order),
                cmocka_unit_test(test_sup_intensity_gives_up_and_root_exits_1),
                cmocka_unit_test(test_sup_intensity_counts_only_the_period),
                cmocka_unit_test(test_sup_transient_clean_exit_is_not_restarted),
                cmocka_unit_test(test_sup_held_node_stays_down_through_one_for_all),
                cmocka_unit_test(test_sup_deepest_tree_starts_and_stops),
                cmocka_unit_test(test_sup_deepest_tree_escalates_to_the_root),
                cmocka_unit_test(test_sup_node_table_every_state_and_event),
                cmocka_unit_test(test_sup_node_ignored_events_change_nothing),
                cmocka_unit_test(test_sup_node_give_up_stops_children_then_fails),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
