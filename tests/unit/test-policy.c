/* test-policy.c - the pure supervision decisions, with injected time. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/policy.h"

#define MS USEC_PER_MSEC
#define S  USEC_PER_SEC

static void test_sup_exit_abnormal_status_and_signals(void **state) {
        (void) state;
        assert_false(sup_exit_abnormal((sup_exit) { CLD_EXITED, 0 }, SIGTERM));
        assert_true(sup_exit_abnormal((sup_exit) { CLD_EXITED, 1 }, SIGTERM));
        assert_false(sup_exit_abnormal((sup_exit) { CLD_KILLED, SIGTERM }, SIGTERM));
        assert_true(sup_exit_abnormal((sup_exit) { CLD_KILLED, SIGKILL }, SIGTERM));
        assert_true(sup_exit_abnormal((sup_exit) { CLD_DUMPED, SIGSEGV }, SIGTERM));
        /* The stop signal is whatever the group configured. */
        assert_false(sup_exit_abnormal((sup_exit) { CLD_KILLED, SIGINT }, SIGINT));
        assert_true(sup_exit_abnormal((sup_exit) { CLD_KILLED, SIGTERM }, SIGINT));
        /* A main process named by MAINPID= that was not our child: unknown. */
        assert_true(sup_exit_abnormal((sup_exit) { SUP_EXIT_UNKNOWN, 0 }, SIGTERM));
        assert_true(sup_restart_wanted(CFG_RESTART_TRANSIENT, (sup_exit) { SUP_EXIT_UNKNOWN, 0 }, SIGTERM));
}

static void test_sup_restart_wanted_types(void **state) {
        sup_exit ok = { CLD_EXITED, 0 }, bad = { CLD_EXITED, 2 }, term = { CLD_KILLED, SIGTERM };

        (void) state;
        assert_true(sup_restart_wanted(CFG_RESTART_PERMANENT, ok, SIGTERM));
        assert_true(sup_restart_wanted(CFG_RESTART_PERMANENT, bad, SIGTERM));
        assert_false(sup_restart_wanted(CFG_RESTART_TRANSIENT, ok, SIGTERM));
        assert_true(sup_restart_wanted(CFG_RESTART_TRANSIENT, bad, SIGTERM));
        assert_false(sup_restart_wanted(CFG_RESTART_TRANSIENT, term, SIGTERM));
        assert_false(sup_restart_wanted(CFG_RESTART_TEMPORARY, bad, SIGTERM));
        assert_false(sup_restart_wanted(CFG_RESTART_TEMPORARY, ok, SIGTERM));
}

/* OTP: a supervisor that exceeds its intensity exits with reason shutdown;
 * a transient child is restarted only after an exit other than normal or
 * shutdown. */
static void test_sup_supervisor_restart_wanted_types(void **state) {
        (void) state;
        assert_true(sup_supervisor_restart_wanted(CFG_RESTART_PERMANENT));
        assert_false(sup_supervisor_restart_wanted(CFG_RESTART_TRANSIENT));
        assert_false(sup_supervisor_restart_wanted(CFG_RESTART_TEMPORARY));
}

static void test_sup_exit_judged_failed_start_is_abnormal(void **state) {
        sup_exit clean = { CLD_EXITED, 0 }, j;

        (void) state;
        j = sup_exit_judged(clean, 0);
        assert_int_equal(j.code, CLD_EXITED);
        assert_int_equal(j.status, 0);
        j = sup_exit_judged(clean, ETIME);
        assert_true(sup_exit_abnormal(j, SIGTERM));
        /* A transient child whose start failed is restarted even though
         * its process exited 0. */
        assert_true(sup_restart_wanted(CFG_RESTART_TRANSIENT, sup_exit_judged(clean, ENOENT), SIGTERM));
}

static void test_sup_uptime_cases(void **state) {
        (void) state;
        assert_int_equal(sup_uptime(100, 0, 350), 250);
        assert_int_equal(sup_uptime(0, 0, 350), 0);
        assert_int_equal(sup_uptime(100, EIO, 350), 0);
        assert_int_equal(sup_uptime(400, 0, 350), 0);
}

static void test_sup_restart_alone_pools_and_strategies(void **state) {
        (void) state;
        assert_true(sup_restart_alone(CFG_ONE_FOR_ONE, true, 1));
        assert_true(sup_restart_alone(CFG_ONE_FOR_ONE, false, 0));
        assert_false(sup_restart_alone(CFG_ONE_FOR_ALL, true, 1));
        assert_true(sup_restart_alone(CFG_ONE_FOR_ALL, true, 3));      /* a pool instance */
        assert_true(sup_restart_alone(CFG_REST_FOR_ONE, true, 2));
        assert_false(sup_restart_alone(CFG_REST_FOR_ONE, false, 0));   /* a supervisor child */
}

static void test_sup_child_gone_rules(void **state) {
        (void) state;
        assert_true(sup_child_gone(CFG_RESTART_PERMANENT, true, false, false, true));
        assert_false(sup_child_gone(CFG_RESTART_PERMANENT, false, false, true, true));
        assert_true(sup_child_gone(CFG_RESTART_PERMANENT, false, true, false, true));   /* held, down */
        assert_false(sup_child_gone(CFG_RESTART_PERMANENT, false, true, false, false)); /* held, still stopping */
        assert_true(sup_child_gone(CFG_RESTART_TEMPORARY, false, false, true, true));
        assert_false(sup_child_gone(CFG_RESTART_TEMPORARY, false, false, false, true)); /* not run yet */
        assert_false(sup_child_gone(CFG_RESTART_TRANSIENT, false, false, true, true));
}

static void test_sup_backoff_next_doubles_to_max(void **state) {
        sup_backoff b = {};
        uint64_t expect[] = { 100 * MS, 200 * MS, 400 * MS, 800 * MS, 1 * S, 1 * S, 1 * S };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(expect); i++)
                assert_int_equal(sup_backoff_next(&b, 100 * MS, 1 * S, /* uptime= */ 10 * MS), expect[i]);
}

static void test_sup_backoff_next_resets_after_stable_run(void **state) {
        sup_backoff b = {};

        (void) state;
        assert_int_equal(sup_backoff_next(&b, 100 * MS, 1 * S, 0), 100 * MS);
        assert_int_equal(sup_backoff_next(&b, 100 * MS, 1 * S, 0), 200 * MS);
        assert_int_equal(sup_backoff_next(&b, 100 * MS, 1 * S, 999 * MS), 400 * MS);
        /* Up for backoff_max: the next crash starts again from the base. */
        assert_int_equal(sup_backoff_next(&b, 100 * MS, 1 * S, 1 * S), 100 * MS);
        assert_int_equal(sup_backoff_next(&b, 100 * MS, 1 * S, 0), 200 * MS);
}

static void test_sup_backoff_next_zero_base(void **state) {
        sup_backoff b = {};

        (void) state;
        for (int i = 0; i < 5; i++)
                assert_int_equal(sup_backoff_next(&b, 0, 0, 0), 0);
        b = (sup_backoff) {};
        assert_int_equal(sup_backoff_next(&b, 0, 5 * S, 0), 0);
        assert_int_equal(sup_backoff_next(&b, 0, 5 * S, 0), 0);
}

static void test_sup_window_add_exceeds_after_intensity(void **state) {
        sup_window w;

        (void) state;
        assert_int_equal(sup_window_init(&w, 3), 0);
        /* Three restarts in 10 s are allowed, the fourth is one too many. */
        assert_false(sup_window_add(&w, 1 * S, 3, 10 * S));
        assert_false(sup_window_add(&w, 2 * S, 3, 10 * S));
        assert_false(sup_window_add(&w, 3 * S, 3, 10 * S));
        assert_true(sup_window_add(&w, 4 * S, 3, 10 * S));
        sup_window_done(&w);
}

static void test_sup_window_add_slides(void **state) {
        sup_window w;

        (void) state;
        assert_int_equal(sup_window_init(&w, 2), 0);
        /* A restart every 6 s with intensity 2 in 10 s: never more than 2 in a window. */
        for (uint64_t t = 0; t < 600; t += 6)
                assert_false(sup_window_add(&w, t * S, 2, 10 * S));
        /* Every 4 s: at t, t-4 and t-8 are all within 10 s, so the third gives up. */
        sup_window_done(&w);
        assert_int_equal(sup_window_init(&w, 2), 0);
        assert_false(sup_window_add(&w, 0, 2, 10 * S));
        assert_false(sup_window_add(&w, 4 * S, 2, 10 * S));
        assert_true(sup_window_add(&w, 8 * S, 2, 10 * S));
        sup_window_done(&w);
}

static void test_sup_window_add_boundary_inclusive(void **state) {
        sup_window w;

        (void) state;
        assert_int_equal(sup_window_init(&w, 1), 0);
        assert_false(sup_window_add(&w, 0, 1, 10 * S));
        /* OTP counts a restart exactly PERIOD ago as inside the window. */
        assert_true(sup_window_add(&w, 10 * S, 1, 10 * S));
        sup_window_done(&w);

        assert_int_equal(sup_window_init(&w, 1), 0);
        assert_false(sup_window_add(&w, 0, 1, 10 * S));
        assert_false(sup_window_add(&w, 10 * S + 1, 1, 10 * S));
        assert_int_equal(sup_window_count(&w, 10 * S + 1, 10 * S), 1);
        sup_window_done(&w);
}

static void test_sup_window_add_intensity_zero(void **state) {
        sup_window w;

        (void) state;
        assert_int_equal(sup_window_init(&w, 0), 0);
        assert_true(sup_window_add(&w, 5 * S, 0, 1 * S));
        sup_window_done(&w);
}

static void test_sup_strategy_affected(void **state) {
        bool a[4];

        (void) state;
        assert_int_equal(sup_strategy_affected(CFG_ONE_FOR_ONE, 4, 1, a), 1);
        assert_false(a[0]);
        assert_true(a[1]);
        assert_false(a[2]);
        assert_int_equal(sup_strategy_affected(CFG_ONE_FOR_ALL, 4, 1, a), 4);
        assert_true(a[0] && a[1] && a[2] && a[3]);
        assert_int_equal(sup_strategy_affected(CFG_REST_FOR_ONE, 4, 1, a), 3);
        assert_false(a[0]);
        assert_true(a[1] && a[2] && a[3]);
        /* Child by child, what the tree asks (it marks each child itself). */
        assert_false(sup_strategy_restarts(CFG_ONE_FOR_ONE, 2, 1));
        assert_true(sup_strategy_restarts(CFG_ONE_FOR_ONE, 2, 2));
        assert_false(sup_strategy_restarts(CFG_ONE_FOR_ONE, 2, 3));
        assert_true(sup_strategy_restarts(CFG_ONE_FOR_ALL, 2, 0));
        assert_false(sup_strategy_restarts(CFG_REST_FOR_ONE, 2, 1));
        assert_true(sup_strategy_restarts(CFG_REST_FOR_ONE, 2, 2));
        assert_true(sup_strategy_restarts(CFG_REST_FOR_ONE, 2, 7));
}

/* healthy -> degraded -> failed after THRESHOLD failures in a row; one
 * success in between starts the count again. */
static void test_sup_health_next(void **state) {
        unsigned f = 0;

        (void) state;
        assert_int_equal(sup_health_next(&f, true, 3), SUP_HEALTH_HEALTHY);
        assert_int_equal(sup_health_next(&f, false, 3), SUP_HEALTH_DEGRADED);
        assert_int_equal(f, 1);
        assert_int_equal(sup_health_next(&f, false, 3), SUP_HEALTH_DEGRADED);
        assert_int_equal(sup_health_next(&f, true, 3), SUP_HEALTH_HEALTHY);
        assert_int_equal(f, 0);
        assert_int_equal(sup_health_next(&f, false, 3), SUP_HEALTH_DEGRADED);
        assert_int_equal(sup_health_next(&f, false, 3), SUP_HEALTH_DEGRADED);
        assert_int_equal(sup_health_next(&f, false, 3), SUP_HEALTH_FAILED);
        assert_int_equal(f, 3);
        f = 0;
        assert_int_equal(sup_health_next(&f, false, 1), SUP_HEALTH_FAILED);
        f = 0;
        assert_int_equal(sup_health_next(&f, false, 0), SUP_HEALTH_FAILED);      /* 0 taken as 1 */
        f = UINT32_MAX;
        assert_int_equal(sup_health_next(&f, false, 3), SUP_HEALTH_FAILED);      /* saturates, no wrap */
        assert_int_equal(f, UINT32_MAX);
        assert_string_equal(sup_health_to_string(SUP_HEALTH_DEGRADED), "degraded");
        assert_null(sup_health_to_string(_SUP_HEALTH_MAX));
}

/* When the next probe is due, and when a watchdog is missed, at injected
 * times. */
static void test_sup_health_wait(void **state) {
        (void) state;
        /* A probe started at 1000 every 200: due at 1200. */
        assert_int_equal(sup_health_wait(1000, 200, 1000), 200);
        assert_int_equal(sup_health_wait(1000, 200, 1150), 50);
        assert_int_equal(sup_health_wait(1000, 200, 1200), 0);
        assert_int_equal(sup_health_wait(1000, 200, 5000), 0);         /* overran: at once */
        /* A last WATCHDOG=1 ahead of now (health_grace): the grace too. */
        assert_int_equal(sup_health_wait(3000, 100, 1000), 2100);
        /* Never a wrap-around. */
        assert_int_equal(sup_health_wait(UINT64_MAX - 5, 100, 0), UINT64_MAX);
        assert_int_equal(sup_health_wait(0, UINT64_MAX, UINT64_MAX), 0);
}

static void test_sup_down_decide(void **state) {
        sup_down_facts f = {
                .restart = CFG_RESTART_TRANSIENT,
                .exit = { CLD_EXITED, 0 },
                .stop_signal = SIGTERM,
        };

        (void) state;
        /* Ended by itself, normally: a transient child stays down ... */
        assert_int_equal(sup_down_decide(&f), SUP_DOWN_RETIRE);
        /* ... abnormally: restarted. */
        f.exit = (sup_exit) { CLD_KILLED, SIGKILL };
        assert_int_equal(sup_down_decide(&f), SUP_DOWN_RESTART);
        /* Its stop signal is a normal end. */
        f.exit = (sup_exit) { CLD_KILLED, SIGTERM };
        assert_int_equal(sup_down_decide(&f), SUP_DOWN_RETIRE);
        /* A failed start or failed health probes are abnormal, however
         * the process ended. */
        f.start_error = ENOENT;
        assert_int_equal(sup_down_decide(&f), SUP_DOWN_RESTART);
        f.start_error = 0;
        f.health_failed = true;
        assert_int_equal(sup_down_decide(&f), SUP_DOWN_RESTART);
        /* Asked for, by itself or by a stop above it: never restarted
         * nor counted, whatever its restart type and end. */
        f.stop_asked = true;
        assert_int_equal(sup_down_decide(&f), SUP_DOWN_ASKED);
        f.stop_asked = false;
        f.stopping = true;
        assert_int_equal(sup_down_decide(&f), SUP_DOWN_ASKED);
        f.stopping = false;
        f.health_failed = false;
        /* Permanent: restarted even after a normal end; temporary never. */
        f.exit = (sup_exit) { CLD_EXITED, 0 };
        f.restart = CFG_RESTART_PERMANENT;
        assert_int_equal(sup_down_decide(&f), SUP_DOWN_RESTART);
        f.restart = CFG_RESTART_TEMPORARY;
        f.exit = (sup_exit) { CLD_EXITED, 3 };
        assert_int_equal(sup_down_decide(&f), SUP_DOWN_RETIRE);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sup_exit_abnormal_status_and_signals),
                cmocka_unit_test(test_sup_restart_wanted_types),
                cmocka_unit_test(test_sup_supervisor_restart_wanted_types),
                cmocka_unit_test(test_sup_exit_judged_failed_start_is_abnormal),
                cmocka_unit_test(test_sup_uptime_cases),
                cmocka_unit_test(test_sup_restart_alone_pools_and_strategies),
                cmocka_unit_test(test_sup_child_gone_rules),
                cmocka_unit_test(test_sup_backoff_next_doubles_to_max),
                cmocka_unit_test(test_sup_backoff_next_resets_after_stable_run),
                cmocka_unit_test(test_sup_backoff_next_zero_base),
                cmocka_unit_test(test_sup_window_add_exceeds_after_intensity),
                cmocka_unit_test(test_sup_window_add_slides),
                cmocka_unit_test(test_sup_window_add_boundary_inclusive),
                cmocka_unit_test(test_sup_window_add_intensity_zero),
                cmocka_unit_test(test_sup_strategy_affected),
                cmocka_unit_test(test_sup_health_next),
                cmocka_unit_test(test_sup_health_wait),
                cmocka_unit_test(test_sup_down_decide),
        };
        return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
