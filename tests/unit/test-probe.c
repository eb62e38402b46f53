/* test-probe.c - health probes (probe.c) against the real kernel where it
 * takes one: an exec: probe is a real forked process, a watchdog is
 * petted and triggered as notify.c would; what the probes find reaches
 * the proc table only as reports, recorded here (report-fixture.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proc-fixture.h"
#include "report-fixture.h"
#include "supervisor/watch/probe.h"

static fixture *probed(const char *keys) {
        fixture *f = fixture_new(keys);

        reports_reset();
        f->m->report = rec_report;
        return f;
}

/* A probe that exits 1 fails the group at threshold 1: one report, the
 * failure's reason kept, the totals counted. */
static void test_probe_exec_failure_reports_health_failed(void **state) {
        fixture *f = probed("health = exec:/bin/false\nhealth_interval = 20ms\nhealth_threshold = 1\n");

        (void) state;
        assert_null(f->p->probe);
        probe_ready(f->p);
        assert_non_null(f->p->probe);
        assert_int_equal(probe_health(f->p), SUP_HEALTH_HEALTHY);
        assert_true(run_until(f->e, PROC_REPORT_HEALTH_FAILED, 1));
        assert_int_equal(probe_health(f->p), SUP_HEALTH_FAILED);
        assert_string_equal(f->p->probe->why, "probe exited with status 1");
        assert_int_equal(f->p->probe->total, 1);
        assert_int_equal(f->p->probe->failures_total, 1);
        /* Stopped on failing: nothing runs, no timer is left. */
        assert_int_equal(f->p->probe->pid, 0);
        assert_null(f->p->probe->timer);
        fixture_free(f);
}

/* A probe that exits 0 keeps it healthy and reports nothing. */
static void test_probe_exec_success_stays_healthy(void **state) {
        fixture *f = probed("health = exec:/bin/true\nhealth_interval = 20ms\nhealth_threshold = 1\n");
        uint64_t deadline = mono_usec() + 5000000;

        (void) state;
        probe_ready(f->p);
        while (f->p->probe->total < 2 && mono_usec() < deadline)
                (void) sd_event_run(f->e, 10000);
        assert_true(f->p->probe->total >= 2);
        assert_int_equal(f->p->probe->failures_total, 0);
        assert_int_equal(probe_health(f->p), SUP_HEALTH_HEALTHY);
        assert_int_equal(reports.n[PROC_REPORT_HEALTH_FAILED], 0);
        probe_stop(f->p);
        assert_int_equal(probe_health(f->p), SUP_HEALTH_NONE);
        fixture_free(f);
}

/* An exec: probe that overruns health_timeout is killed and counted once. */
static void test_probe_exec_timeout_kills_it(void **state) {
        fixture *f = probed("health = exec:/bin/sleep 30\nhealth_interval = 20ms\nhealth_timeout = 50ms\n"
                            "health_threshold = 1\n");

        (void) state;
        probe_ready(f->p);
        assert_true(run_until(f->e, PROC_REPORT_HEALTH_FAILED, 1));
        assert_string_equal(f->p->probe->why, "probe did not finish within 50 ms");
        assert_int_equal(f->p->probe->failures_total, 1);
        fixture_free(f);
}

/* WATCHDOG=trigger fails it at once; WATCHDOG=1 counts as a probe. */
static void test_probe_watchdog_pet_and_trigger(void **state) {
        fixture *f = probed("health = watchdog\nhealth_interval = 10s\nhealth_threshold = 3\n");

        (void) state;
        probe_pet(f->p);                        /* not probing yet: nothing */
        assert_null(f->p->probe);
        probe_ready(f->p);
        probe_pet(f->p);
        probe_pet(f->p);
        assert_int_equal(f->p->probe->total, 2);
        assert_int_equal(f->p->probe->last_pet_usec, world.now_usec);
        probe_set_interval(f->p, 5 * USEC_PER_SEC);
        assert_int_equal(f->p->probe->watchdog_usec, 5 * USEC_PER_SEC);
        assert_int_equal(reports.n[PROC_REPORT_HEALTH_FAILED], 0);
        probe_trigger(f->p);
        assert_int_equal(reports.n[PROC_REPORT_HEALTH_FAILED], 1);
        assert_int_equal(probe_health(f->p), SUP_HEALTH_FAILED);
        assert_string_equal(f->p->probe->why, "WATCHDOG=trigger");
        /* A new incarnation starts afresh. */
        probe_reset(f->p);
        assert_int_equal(probe_health(f->p), SUP_HEALTH_NONE);
        assert_int_equal(f->p->probe->watchdog_usec, 0);
        assert_int_equal(f->p->probe->failures_total, 0);
        fixture_free(f);
}

/* The deadlines of many watchdogs (probe.c's heap): each process fails
 * once its own deadline has passed, never before, in the order of those
 * deadlines whatever the order of the pets; a petted process, or one
 * stopped before its deadline, never fails. */
static struct {
        unsigned order[8];
        uint64_t at[8];
        unsigned n;
} failed_seen;

static int rec_failed(sup_proc *p, proc_report what) {
        if (what == PROC_REPORT_HEALTH_FAILED && failed_seen.n < ELEMENTSOF(failed_seen.order)) {
                failed_seen.at[failed_seen.n] = mono_usec();
                failed_seen.order[failed_seen.n++] = p->instance;
        }
        return rec_report(p, what);
}

static void test_probe_watchdog_deadlines_in_order(void **state) {
        fixture *f = fixture_conf("[group:g]\ncommand = /bin/true\ninstances = 8\nhealth = watchdog\n"
                                  "health_interval = 1s\nhealth_threshold = 1\n");
        /* Milliseconds from now to each instance's deadline: the odd ones
         * out of order, the even ones far off; instance 3 is stopped
         * before its deadline. */
        static const unsigned due_ms[8] = { 9000, 240, 9000, 60, 9000, 180, 9000, 120 };
        static const unsigned expect[] = { 3, 7, 5, 1 };
        sup_proc *procs;
        uint64_t now, due[8];

        (void) state;
        assert_int_equal(manager_find_proc(f->m, "g[0]", &f->p), 0);
        procs = f->p->group->procs;
        assert_int_equal(f->p->group->n_procs, 8);
        reports_reset();
        memset(&failed_seen, 0, sizeof(failed_seen));
        f->m->report = rec_failed;
        now = mono_usec();
        for (unsigned i = 0; i < 8; i++) {
                world.now_usec = now - USEC_PER_SEC;
                probe_ready(&procs[i]);
                /* A pet dated so that its deadline (an interval on) falls
                 * DUE_MS from now. */
                world.now_usec = now + due_ms[i] * 1000ULL - USEC_PER_SEC;
                probe_pet(&procs[i]);
                due[i] = procs[i].probe->last_pet_usec + USEC_PER_SEC;
        }
        /* Taken out of the heap from its middle: nothing else is lost. */
        probe_stop(&procs[3]);
        while (failed_seen.n < 3 && mono_usec() < now + 5 * USEC_PER_SEC)
                (void) sd_event_run(f->e, 10000);
        assert_int_equal(failed_seen.n, 3);
        for (unsigned k = 0; k < 3; k++) {
                assert_int_equal(failed_seen.order[k], expect[k + 1]);
                assert_true(failed_seen.at[k] >= due[failed_seen.order[k]]);
                assert_int_equal(probe_health(&procs[failed_seen.order[k]]), SUP_HEALTH_FAILED);
        }
        assert_int_equal(probe_health(&procs[3]), SUP_HEALTH_NONE);
        for (unsigned i = 0; i < 8; i += 2) {
                assert_int_equal(probe_health(&procs[i]), SUP_HEALTH_HEALTHY);
                assert_int_equal(procs[i].probe->failures_total, 0);
        }
        /* Probed afresh, then petted to fall due in 50 ms: a deadline
         * that came sooner (the timer is set for it).  0, petted again to
         * fall due in 9 s, does not fail; 2, left at 50 ms, does. */
        now = mono_usec();
        world.now_usec = now - USEC_PER_SEC;
        for (unsigned i = 0; i < 4; i += 2) {
                probe_stop(&procs[i]);
                probe_ready(&procs[i]);
        }
        world.now_usec = now + 50000 - USEC_PER_SEC;
        probe_pet(&procs[0]);
        probe_pet(&procs[2]);
        due[2] = procs[2].probe->last_pet_usec + USEC_PER_SEC;
        world.now_usec = now + 9 * USEC_PER_SEC - USEC_PER_SEC;
        probe_pet(&procs[0]);
        while (failed_seen.n < 4 && mono_usec() < now + 5 * USEC_PER_SEC)
                (void) sd_event_run(f->e, 10000);
        assert_int_equal(failed_seen.n, 4);
        assert_int_equal(failed_seen.order[3], 2);
        assert_true(failed_seen.at[3] >= due[2]);
        assert_int_equal(probe_health(&procs[0]), SUP_HEALTH_HEALTHY);
        fixture_free(f);
}

/* health = ping asks the table to send PING; a PING that cannot go is a
 * failure, a PONG with the awaited seq a success, any other seq nothing. */
static void test_probe_ping_through_reports(void **state) {
        fixture *f = probed("health = ping\nhealth_interval = 20ms\nhealth_timeout = 5s\nhealth_threshold = 2\n");
        uint64_t seq;

        (void) state;
        probe_ready(f->p);
        assert_true(run_until(f->e, PROC_REPORT_PING, 1));
        seq = f->p->probe->ping_wait;
        assert_true(seq > 0);
        probe_pong(f->p, seq + 1);
        assert_int_equal(f->p->probe->total, 0);
        probe_pong(f->p, seq);
        assert_int_equal(f->p->probe->total, 1);
        assert_int_equal(f->p->probe->ping_wait, 0);
        /* The channel is gone: two PINGs that cannot be sent fail it. */
        reports.answer = -ENOTCONN;
        assert_true(run_until(f->e, PROC_REPORT_HEALTH_FAILED, 1));
        assert_string_equal(f->p->probe->why, "cannot ping: ENOTCONN");
        assert_int_equal(f->p->probe->failures_total, 2);
        fixture_free(f);
}

/* Without health = a proc never gets a probe_proc. */
static void test_probe_none_costs_nothing(void **state) {
        fixture *f = probed("");

        (void) state;
        probe_ready(f->p);
        probe_set_interval(f->p, USEC_PER_SEC);
        probe_pet(f->p);
        probe_stop(f->p);
        assert_null(f->p->probe);
        assert_int_equal(probe_health(f->p), SUP_HEALTH_NONE);
        fixture_free(f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_probe_exec_failure_reports_health_failed),
                cmocka_unit_test(test_probe_exec_success_stays_healthy),
                cmocka_unit_test(test_probe_exec_timeout_kills_it),
                cmocka_unit_test(test_probe_watchdog_pet_and_trigger),
                cmocka_unit_test(test_probe_watchdog_deadlines_in_order),
                cmocka_unit_test(test_probe_ping_through_reports),
                cmocka_unit_test(test_probe_none_costs_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
