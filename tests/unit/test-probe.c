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
        /* Failed, it is probed no more until its next incarnation: more
         * triggers fail nothing again, a pet puts back no deadline. */
        probe_trigger(f->p);
        probe_pet(f->p);
        probe_set_interval(f->p, 2 * USEC_PER_SEC);
        probe_ready(f->p);
        assert_int_equal(reports.n[PROC_REPORT_HEALTH_FAILED], 1);
        assert_int_equal(f->p->probe->due, 0);
        assert_int_equal(f->p->probe->total, 2);
        assert_int_equal(probe_health(f->p), SUP_HEALTH_FAILED);
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
#define HEAPED 40

static struct {
        unsigned order[HEAPED];
        uint64_t at[HEAPED];
        unsigned n;
} failed_seen;

static int rec_failed(sup_proc *p, proc_report what) {
        if (what == PROC_REPORT_HEALTH_FAILED && failed_seen.n < ELEMENTSOF(failed_seen.order)) {
                failed_seen.at[failed_seen.n] = mono_usec();
                failed_seen.order[failed_seen.n++] = p->instance;
        }
        return rec_report(p, what);
}

/* HEAPED instances of one group, each probed, with interval 1 s. */
static fixture *heaped(sup_proc **ret_procs) {
        char text[256];
        fixture *f;

        snprintf(text, sizeof(text), "[group:g]\ncommand = /bin/true\ninstances = %d\nhealth = watchdog\n"
                 "health_interval = 1s\nhealth_threshold = 1\n", HEAPED);
        f = fixture_conf(text);
        assert_int_equal(manager_find_proc(f->m, "g[0]", &f->p), 0);
        assert_int_equal(f->p->group->n_procs, HEAPED);
        *ret_procs = f->p->group->procs;
        reports_reset();
        memset(&failed_seen, 0, sizeof(failed_seen));
        f->m->report = rec_failed;
        return f;
}

/* Probes P afresh, then pets it so that its deadline (an interval on, or
 * INTERVAL where set) falls MS from NOW; returns that deadline. */
static uint64_t due_in(sup_proc *p, uint64_t now, uint64_t ms, uint64_t interval) {
        world.now_usec = now - interval;
        probe_stop(p);
        probe_ready(p);
        if (interval != USEC_PER_SEC)
                probe_set_interval(p, interval);
        world.now_usec = now + ms * 1000 - interval;
        probe_pet(p);
        return p->probe->last_pet_usec + interval;
}

/* Runs the loop, each turn waiting at most WAIT (its timers wake it, and
 * so does WAIT's end), until N processes failed or 5 s passed since NOW. */
static void run_until_failed(fixture *f, unsigned n, uint64_t now, uint64_t wait) {
        while (failed_seen.n < n && mono_usec() < now + 5 * USEC_PER_SEC)
                (void) sd_event_run(f->e, wait);
        assert_int_equal(failed_seen.n, n);
}

static void test_probe_watchdog_deadlines_in_order(void **state) {
        sup_proc *procs;
        fixture *f = heaped(&procs);
        uint64_t now = mono_usec(), due[HEAPED], seed = 12345;
        unsigned failing = 0;

        (void) state;
        /* Deadlines 60-400 ms away in no order; every fourth far off. */
        for (unsigned i = 0; i < HEAPED; i++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                due[i] = due_in(&procs[i], now, i % 4 == 0 ? 9000 : 60 + (seed >> 33) % 340, USEC_PER_SEC);
        }
        /* Taken out from anywhere in the heap: the others keep theirs. */
        for (unsigned i = 2; i < HEAPED; i += 8)
                probe_stop(&procs[i]);
        for (unsigned i = 0; i < HEAPED; i++)
                failing += i % 4 != 0 && i % 8 != 2;
        run_until_failed(f, failing, now, 10000);
        for (unsigned k = 0; k < failing; k++) {
                unsigned i = failed_seen.order[k];

                assert_true(i % 4 != 0 && i % 8 != 2);
                assert_true(failed_seen.at[k] >= due[i]);
                if (k > 0)
                        assert_true(due[i] >= due[failed_seen.order[k - 1]]);
                assert_int_equal(probe_health(&procs[i]), SUP_HEALTH_FAILED);
        }
        for (unsigned i = 0; i < HEAPED; i += 4)
                assert_int_equal(probe_health(&procs[i]), SUP_HEALTH_HEALTHY);

        /* A deadline that comes sooner than the timer is set for (0, at
         * 50 ms), and one petted later again (4: 50 ms, then 9 s). */
        now = mono_usec();
        memset(&failed_seen, 0, sizeof(failed_seen));
        due[0] = due_in(&procs[0], now, 50, USEC_PER_SEC);
        (void) due_in(&procs[4], now, 50, USEC_PER_SEC);
        world.now_usec = now + 9 * USEC_PER_SEC - USEC_PER_SEC;
        probe_pet(&procs[4]);
        run_until_failed(f, 1, now, 10000);
        assert_int_equal(failed_seen.order[0], 0);
        assert_true(failed_seen.at[0] >= due[0]);
        assert_int_equal(probe_health(&procs[4]), SUP_HEALTH_HEALTHY);

        /* Behind a deadline of a one-hour WATCHDOG_USEC= (8, at 100 ms),
         * one of 1 s (12, at 150 ms) is judged at its own, not within a
         * twentieth of an hour of the first: only the timer wakes the
         * loop here (or, were it late, the 2 s wait's end).  The pet of
         * 8 is dated an interval before its deadline, and the monotonic
         * clock starts at boot: on a machine up for less than an hour
         * (CI's), the interval is as long as it has been up, less 10 s
         * (a twentieth of which is past the 1.5 s bound from 40 s up). */
        now = mono_usec();
        memset(&failed_seen, 0, sizeof(failed_seen));
        (void) due_in(&procs[8], now, 100,
                      now > 3610 * USEC_PER_SEC ? 3600 * USEC_PER_SEC
                      : now > 11 * USEC_PER_SEC ? now - 10 * USEC_PER_SEC
                                                : USEC_PER_SEC);
        due[12] = due_in(&procs[12], now, 150, USEC_PER_SEC);
        run_until_failed(f, 2, now, 2 * USEC_PER_SEC);
        assert_int_equal(failed_seen.order[1], 12);
        assert_true(failed_seen.at[1] >= due[12]);
        assert_true(failed_seen.at[1] < due[12] + 1500 * USEC_PER_MSEC);
        fixture_free(f);
}

/* A process that misses every other deadline of a 10 ms watchdog: its
 * degraded and healthy events are at most 5 per 5 s (the clock of the
 * limit is the fixture's, which stands still); once the interval is over,
 * its next pet makes the last change held back an event, with the count
 * of those held back. */
static char last_detail[256];

static void record_detail(const sup_event *e, void *userdata) {
        (void) userdata;
        if (e->type == SUP_EVENT_DEGRADED || e->type == SUP_EVENT_HEALTHY)
                snprintf(last_detail, sizeof(last_detail), "%s %s", sup_event_type_to_string(e->type), e->detail);
}

static unsigned count_of(const char *list, const char *word) {
        unsigned n = 0;

        for (const char *at = list; (at = strstr(at, word)); at += strlen(word))
                n++;
        return n;
}

static void test_probe_health_events_limited(void **state) {
        fixture *f = probed("health = watchdog\nhealth_interval = 1s\nhealth_threshold = 1000\n");

        (void) state;
        assert_true(sup_events_subscribe(&f->m->events, record_detail, NULL) >= 0);
        probe_ready(f->p);
        probe_set_interval(f->p, 10 * USEC_PER_MSEC);
        f->events[0] = '\0';
        for (unsigned i = 0; i < 8; i++) {
                uint64_t start = mono_usec();

                while (probe_health(f->p) != SUP_HEALTH_DEGRADED && mono_usec() < start + 5 * USEC_PER_SEC)
                        (void) sd_event_run(f->e, 10000);
                assert_int_equal(probe_health(f->p), SUP_HEALTH_DEGRADED);
                probe_pet(f->p);
                assert_int_equal(probe_health(f->p), SUP_HEALTH_HEALTHY);
        }
        /* 16 changes or more, 5 events: the last one, healthy, held back. */
        assert_int_equal(count_of(f->events, "degraded") + count_of(f->events, "healthy"), 5);
        probe_pet(f->p);
        assert_int_equal(count_of(f->events, "degraded") + count_of(f->events, "healthy"), 5);
        world.now_usec += 6 * USEC_PER_SEC;
        probe_pet(f->p);
        assert_int_equal(count_of(f->events, "degraded") + count_of(f->events, "healthy"), 6);
        /* At least the 11 changes after the 5th (more where a deadline was
         * missed twice before a pet: degraded again). */
        {
                unsigned held = 0;

                assert_int_equal(sscanf(last_detail, "healthy probe=watchdog suppressed=%u", &held), 1);
                assert_true(held >= 11);
        }
        /* Nothing more held: the next pets make no event. */
        probe_pet(f->p);
        assert_int_equal(count_of(f->events, "degraded") + count_of(f->events, "healthy"), 6);
        assert_int_equal(reports.n[PROC_REPORT_HEALTH_FAILED], 0);
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
                cmocka_unit_test(test_probe_health_events_limited),
                cmocka_unit_test(test_probe_ping_through_reports),
                cmocka_unit_test(test_probe_none_costs_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
