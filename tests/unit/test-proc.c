/* test-proc.c - the proc table driven through injected spawn, signal,
 * timer and process-group operations: no process is started, no timer
 * runs; each test dispatches events and checks the state, the signals
 * sent, the timer armed and the events emitted. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "supervisor/core/tree-internal.h"
#include "tests/unit/proc-fixture.h"


static void test_proc_start_timeout_then_kill_escalation(void **state) {
        fixture *f = fixture_new("ready = notify\nstart_timeout = 2s\nshutdown = 3s\nstop_signal = INT\n");
        sup_proc *p = f->p;

        (void) state;
        assert_int_equal(proc_dispatch(p, PROC_EV_START), 0);
        assert_int_equal(p->state, PROC_STARTING);
        assert_int_equal(world.spawns, 1);
        assert_int_equal(proc_dispatch(p, PROC_EV_EXEC_OK), 0);
        assert_int_equal(p->state, PROC_RUNNING);
        assert_int_equal(world.armed_event, PROC_EV_START_TIMEOUT);
        assert_int_equal(world.armed_usec, 2 * USEC_PER_SEC);
        /* Not ready in time: a failed start, stopped with its stop signal. */
        assert_int_equal(proc_dispatch(p, PROC_EV_START_TIMEOUT), 0);
        assert_int_equal(p->state, PROC_STOPPING);
        assert_int_equal(p->start_error, ETIME);
        assert_int_equal(world.n_signals, 2);
        assert_int_equal(world.signals[0], SIGINT);
        assert_int_equal(world.signals[1], SIGCONT);
        assert_int_equal(world.armed_event, PROC_EV_GRACE_OVER);
        assert_int_equal(world.armed_usec, 3 * USEC_PER_SEC);
        /* The grace runs out: SIGKILL, and a wait for stragglers. */
        assert_int_equal(proc_dispatch(p, PROC_EV_GRACE_OVER), 0);
        assert_int_equal(p->state, PROC_KILLING);
        assert_int_equal(world.signals[2], SIGKILL);
        assert_int_equal(world.armed_event, PROC_EV_STRAGGLERS);
        /* The main process goes; its group is still there... */
        exited(p, CLD_KILLED, SIGKILL);
        assert_int_equal(p->state, PROC_KILLING);
        /* ...until it is empty: down. */
        assert_int_equal(proc_dispatch(p, PROC_EV_GROUP_EMPTY), 0);
        assert_int_equal(p->state, PROC_STOPPED);
        assert_string_equal(f->events, "started,start-timeout,killing,exited");
        fixture_free(f);
}

static void test_proc_grace_timer_that_cannot_be_armed_kills_at_once(void **state) {
        fixture *f = fixture_new("shutdown = 3s\n");
        sup_proc *p = f->p;

        (void) state;
        assert_int_equal(proc_dispatch(p, PROC_EV_START), 0);
        assert_int_equal(proc_dispatch(p, PROC_EV_EXEC_OK), 0);
        assert_int_equal(p->state, PROC_READY);
        world.fail_arm_for = PROC_EV_GRACE_OVER;
        assert_int_equal(proc_dispatch(p, PROC_EV_STOP), 0);
        /* Never a stop that can wait for ever: SIGKILL right after TERM. */
        assert_int_equal(p->state, PROC_KILLING);
        assert_int_equal(world.n_signals, 3);
        assert_int_equal(world.signals[0], SIGTERM);
        assert_int_equal(world.signals[1], SIGCONT);
        assert_int_equal(world.signals[2], SIGKILL);
        world.group_alive = false;
        exited(p, CLD_KILLED, SIGKILL);
        assert_int_equal(p->state, PROC_STOPPED);
        assert_true(p->stop_requested);
        fixture_free(f);
}

static void test_proc_start_timer_that_cannot_be_armed_fails_the_start(void **state) {
        fixture *f = fixture_new("ready = notify\n");
        sup_proc *p = f->p;

        (void) state;
        world.fail_arm_for = PROC_EV_START_TIMEOUT;
        assert_int_equal(proc_dispatch(p, PROC_EV_START), 0);
        assert_int_equal(proc_dispatch(p, PROC_EV_EXEC_OK), 0);
        assert_int_equal(p->state, PROC_STOPPING);
        assert_int_equal(p->start_error, ETIME);
        fixture_free(f);
}

static void test_proc_brutal_kill_and_ready_delay(void **state) {
        fixture *f = fixture_new("shutdown = brutal_kill\nready = 1500ms\n");
        sup_proc *p = f->p;

        (void) state;
        assert_int_equal(proc_dispatch(p, PROC_EV_START), 0);
        assert_int_equal(proc_dispatch(p, PROC_EV_EXEC_OK), 0);
        assert_int_equal(p->state, PROC_RUNNING);
        assert_int_equal(world.armed_event, PROC_EV_READY);
        assert_int_equal(world.armed_usec, 1500 * USEC_PER_MSEC);
        assert_int_equal(proc_dispatch(p, PROC_EV_READY), 0);
        assert_int_equal(p->state, PROC_READY);
        assert_int_equal(proc_dispatch(p, PROC_EV_STOP), 0);
        assert_int_equal(p->state, PROC_KILLING);
        assert_int_equal(world.n_signals, 1);
        assert_int_equal(world.signals[0], SIGKILL);
        /* Stragglers: the group is given up on, the main still waited for. */
        assert_int_equal(proc_dispatch(p, PROC_EV_STRAGGLERS), 0);
        assert_int_equal(p->state, PROC_KILLING);
        exited(p, CLD_KILLED, SIGKILL);
        assert_int_equal(p->state, PROC_STOPPED);
        fixture_free(f);
}

static void test_proc_failed_spawn_backoff_retire_give_up(void **state) {
        fixture *f = fixture_new("");
        sup_proc *p = f->p;

        (void) state;
        world.spawn_error = -ENOENT;
        assert_int_equal(proc_dispatch(p, PROC_EV_START), 0);
        assert_int_equal(p->state, PROC_STOPPED);
        assert_int_equal(p->start_error, ENOENT);
        p->restart_delay_usec = 250 * USEC_PER_MSEC;
        assert_int_equal(proc_dispatch(p, PROC_EV_RESTART), 0);
        assert_int_equal(p->state, PROC_BACKOFF);
        assert_int_equal(world.armed_event, PROC_EV_BACKOFF_OVER);
        assert_int_equal(world.armed_usec, 250 * USEC_PER_MSEC);
        world.spawn_error = 0;
        assert_int_equal(proc_dispatch(p, PROC_EV_BACKOFF_OVER), 0);
        assert_int_equal(p->state, PROC_STARTING);
        assert_int_equal(world.spawns, 2);
        /* Events meaningless in a state change nothing. */
        assert_int_equal(proc_dispatch(p, PROC_EV_GIVE_UP), 0);
        assert_int_equal(p->state, PROC_STARTING);
        world.group_alive = false;
        assert_int_equal(proc_dispatch(p, PROC_EV_EXEC_OK), 0);
        exited(p, CLD_EXITED, 0);
        assert_int_equal(p->state, PROC_STOPPED);
        assert_int_equal(proc_dispatch(p, PROC_EV_RETIRE), 0);
        assert_int_equal(p->state, PROC_EXITED);
        assert_int_equal(proc_dispatch(p, PROC_EV_GIVE_UP), 0);
        assert_int_equal(p->state, PROC_FAILED);
        assert_int_equal(proc_dispatch(p, _PROC_EV_MAX), -EINVAL);
        fixture_free(f);
}

/* The table's promises: every state that is down can be started, every
 * state with a process can be stopped and notices the main's exit, a
 * stopping state notices the group emptying, and a timer event is
 * handled in the state that arms it. */
static void test_proc_handles_the_pairs_that_matter(void **state) {
        (void) state;
        for (proc_state s = 0; s < _PROC_STATE_MAX; s++) {
                bool down = s == PROC_STOPPED || s == PROC_EXITED || s == PROC_FAILED;
                bool has_process = s == PROC_STARTING || s == PROC_RUNNING || s == PROC_READY ||
                                   s == PROC_STOPPING || s == PROC_KILLING;

                if (down)
                        assert_true(proc_handles(s, PROC_EV_START) && proc_handles(s, PROC_EV_RESTART));
                if (has_process)
                        assert_true(proc_handles(s, PROC_EV_STOP) && proc_handles(s, PROC_EV_EXIT));
                if (s == PROC_STOPPING || s == PROC_KILLING)
                        assert_true(proc_handles(s, PROC_EV_GROUP_EMPTY));
                if (down || has_process)
                        continue;
                assert_int_equal(s, PROC_BACKOFF);
                assert_true(proc_handles(s, PROC_EV_STOP) && proc_handles(s, PROC_EV_BACKOFF_OVER));
        }
        assert_true(proc_handles(PROC_RUNNING, PROC_EV_START_TIMEOUT));
        assert_true(proc_handles(PROC_RUNNING, PROC_EV_READY));
        assert_true(proc_handles(PROC_STOPPING, PROC_EV_GRACE_OVER));
        assert_true(proc_handles(PROC_KILLING, PROC_EV_STRAGGLERS));
        assert_false(proc_handles(PROC_READY, PROC_EV_START));
        assert_false(proc_handles(_PROC_STATE_MAX, PROC_EV_START));
}

/* The upcalls queued for P, of KIND, since the queue last ran. */
static unsigned queued(fixture *f, sup_proc *p, upcall_kind kind) {
        unsigned k = 0;

        for (size_t i = 0; i < f->m->up_n; i++) {
                const sup_upcall *u = &f->m->upcalls[(f->m->up_head + i) % f->m->up_cap];
                k += u->kind == kind && u->proc == p;
        }
        return k;
}

/* The proc reports up from proc_set_state() only: once when it is ready,
 * once per incarnation when it is down (a failed start too), never for
 * the tree's own answers (retire, give up). */
static void test_proc_reports_up_once_from_its_state(void **state) {
        fixture *f = fixture_new("");
        sup_proc *p = f->p;

        (void) state;
        assert_int_equal(proc_dispatch(p, PROC_EV_START), 0);
        assert_int_equal(queued(f, p, UPCALL_PROC_SETTLED) + queued(f, p, UPCALL_PROC_DOWN), 0);
        assert_int_equal(proc_dispatch(p, PROC_EV_EXEC_OK), 0);
        assert_int_equal(p->state, PROC_READY);
        assert_int_equal(queued(f, p, UPCALL_PROC_SETTLED), 1);
        assert_int_equal(queued(f, p, UPCALL_PROC_DOWN), 0);
        world.group_alive = false;
        exited(p, CLD_EXITED, 1);
        assert_int_equal(p->state, PROC_STOPPED);
        assert_int_equal(queued(f, p, UPCALL_PROC_DOWN), 1);
        /* A start that fails from STOPPED: down again, once. */
        world.spawn_error = -ENOMEM;
        assert_int_equal(proc_dispatch(p, PROC_EV_START), 0);
        assert_int_equal(p->state, PROC_STOPPED);
        assert_int_equal(queued(f, p, UPCALL_PROC_DOWN), 2);
        /* Retired by the tree: nothing more to tell it. */
        assert_int_equal(proc_dispatch(p, PROC_EV_RETIRE), 0);
        assert_int_equal(p->state, PROC_EXITED);
        assert_int_equal(queued(f, p, UPCALL_PROC_DOWN), 2);
        assert_int_equal(queued(f, p, UPCALL_PROC_SETTLED), 1);
        fixture_free(f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_proc_reports_up_once_from_its_state),
                cmocka_unit_test(test_proc_start_timeout_then_kill_escalation),
                cmocka_unit_test(test_proc_grace_timer_that_cannot_be_armed_kills_at_once),
                cmocka_unit_test(test_proc_start_timer_that_cannot_be_armed_fails_the_start),
                cmocka_unit_test(test_proc_brutal_kill_and_ready_delay),
                cmocka_unit_test(test_proc_failed_spawn_backoff_retire_give_up),
                cmocka_unit_test(test_proc_handles_the_pairs_that_matter),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
