/* test-actor.c - the actor system inside one process (child/actor*.c),
 * without airsupd: mailboxes and the dispatch loop, fairness, the error
 * hook's answers, every strategy and restart type, intensity and
 * escalation up to the root, backoff, stop hooks in reverse order,
 * timers, zero-copy tells, names, bad arguments, a million actors, and
 * the asks a monitored destination's DOWN ends (actor-ask.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "child/actors.h"
#include "child/airsup.h"

#define MS (UINT64_C(1000000))

/* What the hooks saw, in order: "s:NAME" start, "x:NAME" stop, "h:NAME:N"
 * a message. */
static char trail[4096];

static void note(const char *fmt, ...) {
        size_t l = strlen(trail);
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(trail + l, sizeof(trail) - l, fmt, ap);
        va_end(ap);
}

typedef struct st {
        const char *name;
        int count;                      /* messages handled by this incarnation */
        int fail_on;                    /* a message of this type fails */
        int answer;                     /* the error hook's */
        int start_fails;                /* starts that fail before one succeeds */
} st;

static int on_start(airsup_sys *s, airsup_ref self, void *arg, void **state) {
        st *t = arg;

        (void) s;
        (void) self;
        if (t->start_fails > 0) {
                t->start_fails--;
                note("S:%s ", t->name);
                return -EIO;
        }
        t->count = 0;                   /* fresh state */
        note("s:%s ", t->name);
        *state = t;
        return 0;
}

static void on_stop(airsup_sys *s, airsup_ref self, void *state, int reason) {
        st *t = state;

        (void) s;
        (void) self;
        (void) reason;
        note("x:%s ", t->name);
}

static int on_msg(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        st *t = state;

        (void) data;
        if (m->type == 99)
                return airsup_exit(s, self, 0);
        if (m->type == 98)
                return airsup_exit(s, self, -EPIPE);
        t->count++;
        note("h:%s:%u ", t->name, m->type);
        return t->fail_on && (int) m->type == t->fail_on ? -EIO : 0;
}

static int on_error(airsup_sys *s, airsup_ref self, void *state, int error, const airsup_msg *m) {
        st *t = state;

        (void) s;
        (void) self;
        (void) error;
        (void) m;
        return t->answer;
}

static const airsup_behaviour beh = { .handle = on_msg, .start = on_start, .stop = on_stop, .error = on_error };

static airsup_sys *sys_new(const airsup_sup_opts *root) {
        airsup_sys_opts o = { .root = root, .no_exit = 1 };
        airsup_sys *s;

        trail[0] = '\0';
        assert_int_equal(airsup_sys_new(NULL, &o, &s), 0);
        return s;
}

static airsup_ref spawn(airsup_sys *s, airsup_ref sup, st *t, int restart) {
        airsup_spawn_opts o = { .name = t->name, .restart = restart, .arg = t };
        airsup_ref r;

        assert_int_equal(airsup_spawn(s, sup, &beh, &o, &r), 0);
        return r;
}

/* Runs the loop until it has nothing ready. */
static void drain(airsup_sys *s) {
        int r;

        while ((r = airsup_sys_process(s)) > 0)
                ;
        assert_true(r == 0 || r == -ECANCELED);
}

/* Runs the loop, waiting on its fd, until DONE() or a deadline of 5 s. */
static void run_until(airsup_sys *s, bool (*done)(void *), void *arg) {
        struct timespec t0, t;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        while (!done(arg)) {
                struct pollfd p = { .fd = airsup_sys_fd(s), .events = POLLIN };
                drain(s);
                if (done(arg))
                        return;
                (void) poll(&p, 1, 100);
                clock_gettime(CLOCK_MONOTONIC, &t);
                assert_true(t.tv_sec - t0.tv_sec < 5);
        }
}

static void test_actor_tell_and_state(void **state) {
        airsup_sys *s = sys_new(NULL);
        st a = { .name = "a" };
        airsup_ref r = spawn(s, airsup_root(s), &a, AIRSUP_PERMANENT);
        airsup_actor_info info;

        (void) state;
        for (uint32_t k = 1; k <= 3; k++)
                assert_int_equal(airsup_tell(s, r, k, &k, sizeof(k)), 0);
        assert_int_equal(airsup_actor_info_get(s, r, &info), 0);
        assert_int_equal(info.depth, 3);
        drain(s);
        assert_int_equal(a.count, 3);
        assert_string_equal(trail, "s:a h:a:1 h:a:2 h:a:3 ");
        assert_int_equal(airsup_actor_info_get(s, r, &info), 0);
        assert_int_equal(info.processed, 3);
        assert_int_equal(info.depth, 0);
        assert_int_equal(info.state, AIRSUP_ACTOR_RUNNING);
        assert_string_equal(info.name, "a");
        airsup_sys_free(s);
        assert_string_equal(trail, "s:a h:a:1 h:a:2 h:a:3 x:a ");
}

/* One actor with 10,000 messages waiting does not keep another's one
 * message waiting beyond a turn. */
static int count_msg(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        (void) s;
        (void) self;
        (void) m;
        (void) data;
        (*(int *) state)++;
        return 0;
}

static void test_actor_fair_turns(void **state) {
        airsup_sys_opts o = { .budget = 16, .no_exit = 1 };
        airsup_behaviour b = { .handle = count_msg };
        int na = 0, nb = 0;
        airsup_spawn_opts oa = { .arg = &na }, ob = { .arg = &nb };
        airsup_ref ra, rb;
        airsup_sys *s;

        (void) state;
        assert_int_equal(airsup_sys_new(NULL, &o, &s), 0);
        assert_int_equal(airsup_spawn(s, airsup_root(s), &b, &oa, &ra), 0);
        assert_int_equal(airsup_spawn(s, airsup_root(s), &b, &ob, &rb), 0);
        for (int k = 0; k < 10000; k++)
                assert_int_equal(airsup_tell(s, ra, 1, NULL, 0), 0);
        assert_int_equal(airsup_tell(s, rb, 1, NULL, 0), 0);
        assert_int_equal(airsup_sys_process(s), 1);
        assert_int_equal(na, 16);
        assert_int_equal(nb, 1);
        drain(s);
        assert_int_equal(na, 10000);
        airsup_sys_free(s);
}

/* A producer that tells 256 a turn to a consumer whose budget is 64 sits
 * out turns: the consumer's mailbox stays within a few turns' worth,
 * instead of growing by 192 every turn. */
static struct {
        airsup_ref to;
        uint32_t sent, got, max_depth;
} prod;

static int producer(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        (void) state;
        (void) m;
        (void) data;
        for (int k = 0; k < 256 && prod.sent < 100000; k++, prod.sent++)
                assert_int_equal(airsup_tell(s, prod.to, 1, &prod.sent, sizeof(prod.sent)), 0);
        if (prod.sent < 100000)
                assert_int_equal(airsup_tell(s, self, 2, NULL, 0), 0);
        return 0;
}

static int consumer(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        airsup_actor_info info;

        (void) state;
        (void) m;
        (void) data;
        assert_int_equal(airsup_actor_info_get(s, self, &info), 0);
        if (info.depth > prod.max_depth)
                prod.max_depth = info.depth;
        prod.got++;
        return 0;
}

static void test_actor_producer_throttled(void **state) {
        airsup_behaviour bp = { .handle = producer }, bc = { .handle = consumer };
        airsup_sys *s = sys_new(NULL);
        airsup_ref p;

        (void) state;
        memset(&prod, 0, sizeof(prod));
        assert_int_equal(airsup_spawn(s, airsup_root(s), &bc, NULL, &prod.to), 0);
        assert_int_equal(airsup_spawn(s, airsup_root(s), &bp, NULL, &p), 0);
        assert_int_equal(airsup_tell(s, p, 2, NULL, 0), 0);
        drain(s);
        assert_int_equal(prod.got, 100000);
        assert_true(prod.max_depth < 1024);
        airsup_sys_free(s);
}

static void test_actor_resume_keeps_state(void **state) {
        airsup_sys *s = sys_new(NULL);
        st a = { .name = "a", .fail_on = 2, .answer = AIRSUP_RESUME };
        airsup_ref r = spawn(s, airsup_root(s), &a, AIRSUP_PERMANENT);
        airsup_actor_info info;

        (void) state;
        for (uint32_t k = 1; k <= 3; k++)
                assert_int_equal(airsup_tell(s, r, k, NULL, 0), 0);
        drain(s);
        assert_int_equal(a.count, 3);
        assert_string_equal(trail, "s:a h:a:1 h:a:2 h:a:3 ");
        assert_int_equal(airsup_actor_info_get(s, r, &info), 0);
        assert_int_equal(info.restarts, 0);
        assert_int_equal(info.last_error, -EIO);
        airsup_sys_free(s);
}

static void test_actor_restart_resets_state(void **state) {
        airsup_sys *s = sys_new(NULL);
        st a = { .name = "a", .fail_on = 2, .answer = AIRSUP_RESTART };
        airsup_ref r = spawn(s, airsup_root(s), &a, AIRSUP_PERMANENT);
        airsup_actor_info info;

        (void) state;
        for (uint32_t k = 1; k <= 3; k++)
                assert_int_equal(airsup_tell(s, r, k, NULL, 0), 0);
        drain(s);
        /* Message 2 is not handled again; 3 goes to the fresh actor. */
        assert_string_equal(trail, "s:a h:a:1 h:a:2 x:a s:a h:a:3 ");
        assert_int_equal(a.count, 1);
        assert_int_equal(airsup_actor_info_get(s, r, &info), 0);
        assert_int_equal(info.restarts, 1);
        assert_int_equal(info.state, AIRSUP_ACTOR_RUNNING);
        airsup_sys_free(s);
}

static int retry_once(airsup_sys *s, airsup_ref self, void *state, int error, const airsup_msg *m) {
        st *t = state;

        (void) s;
        (void) self;
        (void) error;
        (void) m;
        t->fail_on = 0;                 /* the next incarnation handles it */
        return AIRSUP_RESTART | AIRSUP_RETRY;
}

static void test_actor_restart_retry(void **state) {
        airsup_behaviour b = beh;
        airsup_sys *s = sys_new(NULL);
        st a = { .name = "a", .fail_on = 2 };
        airsup_spawn_opts o = { .name = "a", .arg = &a };
        airsup_ref r;

        (void) state;
        b.error = retry_once;
        assert_int_equal(airsup_spawn(s, airsup_root(s), &b, &o, &r), 0);
        for (uint32_t k = 1; k <= 3; k++)
                assert_int_equal(airsup_tell(s, r, k, NULL, 0), 0);
        drain(s);
        assert_string_equal(trail, "s:a h:a:1 h:a:2 x:a s:a h:a:2 h:a:3 ");
        airsup_sys_free(s);
}

static void test_actor_stop_answer(void **state) {
        airsup_sys *s = sys_new(NULL);
        st a = { .name = "a", .fail_on = 1, .answer = AIRSUP_STOP };
        airsup_ref r = spawn(s, airsup_root(s), &a, AIRSUP_PERMANENT), w;

        (void) state;
        assert_int_equal(airsup_tell(s, r, 1, NULL, 0), 0);
        assert_int_equal(airsup_tell(s, r, 2, NULL, 0), 0);
        drain(s);
        assert_string_equal(trail, "s:a h:a:1 x:a ");
        assert_int_equal(airsup_tell(s, r, 3, NULL, 0), -ESRCH);
        assert_int_equal(airsup_whereis(s, "a", &w), -ENOENT);
        airsup_sys_free(s);
}

/* Children stop last first; a supervisor's children before it. */
static void test_actor_stop_reverse_order(void **state) {
        airsup_sys *s = sys_new(NULL);
        st a = { .name = "a" }, b = { .name = "b" }, c = { .name = "c" }, d = { .name = "d" };
        airsup_ref sub;

        (void) state;
        spawn(s, airsup_root(s), &a, AIRSUP_PERMANENT);
        assert_int_equal(airsup_supervise(s, airsup_root(s), NULL, &sub), 0);
        spawn(s, sub, &b, AIRSUP_PERMANENT);
        spawn(s, sub, &c, AIRSUP_PERMANENT);
        spawn(s, airsup_root(s), &d, AIRSUP_PERMANENT);
        assert_string_equal(trail, "s:a s:b s:c s:d ");
        airsup_sys_free(s);
        assert_string_equal(trail, "s:a s:b s:c s:d x:d x:c x:b x:a ");
}

/* Three children under STRATEGY; b escalates on message 1. */
static void strategy_case(int strategy, const char *want) {
        airsup_sup_opts o;
        airsup_ref sub, rb;
        airsup_sys *s = sys_new(NULL);
        st a = { .name = "a" }, b = { .name = "b", .fail_on = 1, .answer = AIRSUP_ESCALATE }, c = { .name = "c" };

        airsup_sup_opts_init(&o);
        o.strategy = strategy;
        assert_int_equal(airsup_supervise(s, airsup_root(s), &o, &sub), 0);
        spawn(s, sub, &a, AIRSUP_PERMANENT);
        rb = spawn(s, sub, &b, AIRSUP_PERMANENT);
        spawn(s, sub, &c, AIRSUP_PERMANENT);
        trail[0] = '\0';
        assert_int_equal(airsup_tell(s, rb, 1, NULL, 0), 0);
        drain(s);
        assert_string_equal(trail, want);
        airsup_sys_free(s);
}

static void test_actor_one_for_one(void **state) {
        (void) state;
        strategy_case(AIRSUP_ONE_FOR_ONE, "h:b:1 x:b s:b ");
}

static void test_actor_one_for_all(void **state) {
        (void) state;
        strategy_case(AIRSUP_ONE_FOR_ALL, "h:b:1 x:b x:c x:a s:a s:b s:c ");
}

static void test_actor_rest_for_one(void **state) {
        (void) state;
        strategy_case(AIRSUP_REST_FOR_ONE, "h:b:1 x:b x:c s:b s:c ");
}

/* Restart types, as OTP: TYPE ends by message MSG (99 normal, 98 abnormal). */
static bool restarted(int type, uint32_t msg) {
        airsup_sys *s = sys_new(NULL);
        st a = { .name = "a" };
        airsup_ref r = spawn(s, airsup_root(s), &a, type), w;
        bool there;

        assert_int_equal(airsup_tell(s, r, msg, NULL, 0), 0);
        drain(s);
        there = airsup_whereis(s, "a", &w) == 0;
        if (there)
                assert_string_equal(trail, "s:a x:a s:a ");
        else
                assert_string_equal(trail, "s:a x:a ");
        airsup_sys_free(s);
        return there;
}

static void test_actor_restart_types(void **state) {
        (void) state;
        assert_true(restarted(AIRSUP_PERMANENT, 99));
        assert_true(restarted(AIRSUP_PERMANENT, 98));
        assert_false(restarted(AIRSUP_TRANSIENT, 99));
        assert_true(restarted(AIRSUP_TRANSIENT, 98));
        assert_false(restarted(AIRSUP_TEMPORARY, 99));
        assert_false(restarted(AIRSUP_TEMPORARY, 98));
}

/* A temporary sibling that ran is not started again by one_for_all. */
static void test_actor_one_for_all_drops_temporary(void **state) {
        airsup_sup_opts o;
        airsup_ref sub, rb, w;
        airsup_sys *s = sys_new(NULL);
        st a = { .name = "a" }, b = { .name = "b", .fail_on = 1, .answer = AIRSUP_ESCALATE };

        (void) state;
        airsup_sup_opts_init(&o);
        o.strategy = AIRSUP_ONE_FOR_ALL;
        assert_int_equal(airsup_supervise(s, airsup_root(s), &o, &sub), 0);
        spawn(s, sub, &a, AIRSUP_TEMPORARY);
        rb = spawn(s, sub, &b, AIRSUP_PERMANENT);
        assert_int_equal(airsup_tell(s, rb, 1, NULL, 0), 0);
        drain(s);
        assert_int_equal(airsup_whereis(s, "a", &w), -ENOENT);
        assert_string_equal(trail, "s:a s:b h:b:1 x:b x:a s:b ");
        airsup_sys_free(s);
}

/* More than intensity restarts within the period: the supervisor gives
 * up, stops its children and fails to its parent, which restarts it
 * (permanent); a root that gives up ends the system. */
static void test_actor_intensity_escalates(void **state) {
        airsup_sup_opts o, ro;
        airsup_ref sub, ra;
        airsup_actor_info info;
        airsup_sys *s;
        st a = { .name = "a", .fail_on = 1, .answer = AIRSUP_RESTART }, b = { .name = "b" };

        (void) state;
        airsup_sup_opts_init(&ro);
        ro.intensity = 1;
        s = sys_new(&ro);
        airsup_sup_opts_init(&o);
        o.intensity = 2;
        o.name = "sub";
        assert_int_equal(airsup_supervise(s, airsup_root(s), &o, &sub), 0);
        spawn(s, sub, &b, AIRSUP_PERMANENT);
        ra = spawn(s, sub, &a, AIRSUP_PERMANENT);
        trail[0] = '\0';
        /* Two restarts are within the intensity... */
        assert_int_equal(airsup_tell(s, ra, 1, NULL, 0), 0);
        assert_int_equal(airsup_tell(s, ra, 1, NULL, 0), 0);
        drain(s);
        assert_string_equal(trail, "h:a:1 x:a s:a h:a:1 x:a s:a ");
        /* ...the third is not: sub stops a then b and is restarted by the
         * root (one restart of the root's one allowed). */
        trail[0] = '\0';
        assert_int_equal(airsup_tell(s, ra, 1, NULL, 0), 0);
        drain(s);
        assert_string_equal(trail, "h:a:1 x:a x:b s:b s:a ");
        assert_int_equal(airsup_actor_info_get(s, sub, &info), 0);
        assert_int_equal(info.state, AIRSUP_ACTOR_RUNNING);
        /* Again three: sub gives up again, and the root's second restart
         * within its period exceeds its intensity of 1: the end. */
        trail[0] = '\0';
        for (int k = 0; k < 3; k++)
                assert_int_equal(airsup_tell(s, ra, 1, NULL, 0), 0);
        drain(s);
        assert_string_equal(trail, "h:a:1 x:a s:a h:a:1 x:a s:a h:a:1 x:a x:b ");
        assert_int_equal(airsup_sys_process(s), -ECANCELED);
        assert_int_equal(airsup_sys_run(s), -ECANCELED);
        airsup_sys_free(s);
}

/* A start that keeps failing during restarts ends at the intensity. */
static void test_actor_start_failures_give_up(void **state) {
        airsup_sup_opts ro;
        airsup_sys *s;
        st a = { .name = "a", .fail_on = 1, .answer = AIRSUP_RESTART };
        airsup_ref ra;

        (void) state;
        airsup_sup_opts_init(&ro);
        ro.intensity = 3;
        s = sys_new(&ro);
        ra = spawn(s, airsup_root(s), &a, AIRSUP_PERMANENT);
        a.start_fails = 100;
        assert_int_equal(airsup_tell(s, ra, 1, NULL, 0), 0);
        drain(s);
        assert_int_equal(airsup_sys_process(s), -ECANCELED);
        assert_string_equal(trail, "s:a h:a:1 x:a S:a S:a S:a ");
        airsup_sys_free(s);
}

/* A start that fails 300,000 times in a row under a one_for_all
 * supervisor that allows it: a loop, not a recursion (the stack of a
 * sanitizer build would not hold it). */
static void test_actor_crash_loop_no_recursion(void **state) {
        airsup_sup_opts ro;
        airsup_sys *s;
        st a = { .name = "a", .fail_on = 1, .answer = AIRSUP_ESCALATE }, b = { .name = "b" };
        airsup_ref ra;

        (void) state;
        airsup_sup_opts_init(&ro);
        ro.strategy = AIRSUP_ONE_FOR_ALL;
        ro.intensity = 300000;
        ro.period_ns = UINT64_C(3600) * 1000000000;
        s = sys_new(&ro);
        spawn(s, airsup_root(s), &b, AIRSUP_PERMANENT);
        ra = spawn(s, airsup_root(s), &a, AIRSUP_PERMANENT);
        a.start_fails = 1000000;
        assert_int_equal(airsup_tell(s, ra, 1, NULL, 0), 0);
        trail[0] = '\0';
        drain(s);
        assert_int_equal(airsup_sys_process(s), -ECANCELED);
        assert_int_equal(a.start_fails, 1000000 - 300000);
        airsup_sys_free(s);
}

static bool is_running(void *arg) {
        void **p = arg;
        airsup_actor_info info;

        return airsup_actor_info_get(p[0], *(airsup_ref *) p[1], &info) == 0 && info.state == AIRSUP_ACTOR_RUNNING &&
               info.depth == 0;
}

/* With a backoff, the restart waits; messages wait with it. */
static void test_actor_backoff(void **state) {
        airsup_sup_opts ro;
        airsup_sys *s;
        st a = { .name = "a", .fail_on = 1, .answer = AIRSUP_RESTART };
        airsup_ref ra;
        airsup_actor_info info;
        struct timespec t0, t1;
        void *arg[2];

        (void) state;
        airsup_sup_opts_init(&ro);
        ro.backoff_ns = 30 * MS;
        ro.backoff_max_ns = 100 * MS;
        s = sys_new(&ro);
        ra = spawn(s, airsup_root(s), &a, AIRSUP_PERMANENT);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(airsup_tell(s, ra, 1, NULL, 0), 0);
        assert_int_equal(airsup_tell(s, ra, 2, NULL, 0), 0);
        drain(s);
        assert_int_equal(airsup_actor_info_get(s, ra, &info), 0);
        assert_int_equal(info.state, AIRSUP_ACTOR_RESTARTING);
        assert_int_equal(info.depth, 1);
        arg[0] = s;
        arg[1] = &ra;
        run_until(s, is_running, arg);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        assert_true((t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec) >= (long) (30 * MS));
        assert_string_equal(trail, "s:a h:a:1 x:a s:a h:a:2 ");
        airsup_sys_free(s);
}

static int got[8];

static int timer_msg(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        (void) s;
        (void) self;
        (void) state;
        if (m->type < 8) {
                got[m->type]++;
                if (m->len == 4)
                        assert_int_equal(*(const uint32_t *) data, 0xfeed);
        }
        return 0;
}

static bool timers_done(void *arg) {
        (void) arg;
        return got[1] == 1 && got[2] >= 3;
}

static void test_actor_timers(void **state) {
        airsup_behaviour b = { .handle = timer_msg };
        airsup_sys *s = sys_new(NULL);
        airsup_ref r;
        uint64_t t1, t2, t3;
        uint32_t v = 0xfeed;

        (void) state;
        memset(got, 0, sizeof(got));
        assert_int_equal(airsup_spawn(s, airsup_root(s), &b, NULL, &r), 0);
        assert_int_equal(airsup_send_after(s, r, 5 * MS, 0, 1, &v, sizeof(v), &t1), 0);
        assert_int_equal(airsup_send_after(s, r, 1 * MS, 2 * MS, 2, NULL, 0, &t2), 0);
        assert_int_equal(airsup_send_after(s, r, 1 * MS, 0, 3, NULL, 0, &t3), 0);
        assert_int_equal(airsup_cancel(s, t3), 0);
        assert_int_equal(airsup_cancel(s, t3), -ENOENT);
        run_until(s, timers_done, NULL);
        assert_int_equal(airsup_cancel(s, t2), 0);
        assert_int_equal(airsup_cancel(s, t1), -ENOENT);        /* fired */
        assert_int_equal(got[3], 0);
        /* A timer for an actor that ended is dropped. */
        assert_int_equal(airsup_send_after(s, r, 0, 0, 4, NULL, 0, NULL), 0);
        assert_int_equal(airsup_stop(s, r), 0);
        drain(s);
        assert_int_equal(got[4], 0);
        airsup_sys_free(s);
}

/* What test_actor_asks_down's actor was told: per correlation id, how
 * many ask failures (AIRSUP_TYPE_TIMEOUT with -ECONNRESET, or -ESRCH). */
#define ASKS_N 1000
static int down_got[ASKS_N + 1], srch_got[ASKS_N + 1], down_other;

static int down_msg(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        int32_t e = 0;

        (void) s;
        (void) self;
        (void) state;
        if (m->len == sizeof(e))
                memcpy(&e, data, sizeof(e));
        if (m->type == AIRSUP_TYPE_TIMEOUT && e == -ECONNRESET && m->correlation >= 1 && m->correlation <= ASKS_N)
                down_got[m->correlation]++;
        else if (m->type == AIRSUP_TYPE_TIMEOUT && e == -ESRCH && m->correlation >= 1 && m->correlation <= ASKS_N)
                srch_got[m->correlation]++;
        else
                down_other++;
        return 0;
}

/* A DOWN ends the asks sent under its monitor, and only those, each
 * once, its timer cancelled, with -ECONNRESET (-ESRCH for a NOPROC): a
 * table crowded enough that taking one shifts others back over the slot
 * the scan is at, and wraps. */
static void test_actor_asks_down(void **state) {
        airsup_behaviour b = { .handle = down_msg };
        airsup_sys *s = sys_new(NULL);
        uint64_t timers[ASKS_N + 1];
        airsup_ref r;

        (void) state;
        memset(down_got, 0, sizeof(down_got));
        memset(srch_got, 0, sizeof(srch_got));
        down_other = 0;
        assert_int_equal(airsup_spawn(s, airsup_root(s), &b, NULL, &r), 0);
        for (uint64_t c = 1; c <= ASKS_N; c++) {
                act_ask ask = { .correlation = c, .ref = r, .mon = c % 3 == 0 ? 7 : 8 };
                assert_int_equal(act__timer_add(s, r, 60000 * MS, 0, AIRSUP_TYPE_TIMEOUT, &c, sizeof(c), ACT_TIMER_ASK,
                                                &ask.timer),
                                 0);
                timers[c] = ask.timer;
                assert_int_equal(act__ask_put(s, &ask), 0);
        }
        act__asks_down(s, 9, AIRSUP_DOWN_KILLED);      /* no ask's monitor */
        drain(s);
        assert_int_equal(down_other, 0);
        act__asks_down(s, 7, AIRSUP_DOWN_KILLED);
        drain(s);
        assert_int_equal(down_other, 0);
        for (uint64_t c = 1; c <= ASKS_N; c++) {
                act_ask ask;
                bool ended = c % 3 == 0;

                assert_int_equal(down_got[c], ended ? 1 : 0);
                assert_int_equal(srch_got[c], 0);
                assert_int_equal(act__timer_cancel(s, timers[c]), ended ? -ENOENT : 0);
                if (!ended) {
                        /* Back in, with its timer, for the NOPROC below. */
                        assert_int_equal(act__ask_take(s, c, NULL, &ask), 1);
                        assert_int_equal(act__timer_add(s, r, 60000 * MS, 0, AIRSUP_TYPE_TIMEOUT, &c, sizeof(c),
                                                        ACT_TIMER_ASK, &ask.timer),
                                         0);
                        timers[c] = ask.timer;
                        assert_int_equal(act__ask_put(s, &ask), 0);
                } else
                        assert_int_equal(act__ask_take(s, c, NULL, &ask), 0);
        }
        /* Again: nothing left to end. */
        act__asks_down(s, 7, AIRSUP_DOWN_KILLED);
        drain(s);
        assert_int_equal(down_other, 0);
        /* The other monitor's NOPROC: -ESRCH for the rest, and the table
         * is empty. */
        act__asks_down(s, 8, AIRSUP_DOWN_NOPROC);
        drain(s);
        assert_int_equal(down_other, 0);
        for (uint64_t c = 1; c <= ASKS_N; c++) {
                act_ask ask;
                assert_int_equal(srch_got[c], c % 3 == 0 ? 0 : 1);
                assert_int_equal(down_got[c], c % 3 == 0 ? 1 : 0);
                assert_int_equal(act__ask_take(s, c, NULL, &ask), 0);
        }
        airsup_sys_free(s);
}

static int sum_msg(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        (void) s;
        (void) self;
        (void) m;
        for (uint32_t k = 0; k < m->len; k++)
                *(uint64_t *) state += ((const uint8_t *) data)[k];
        return 0;
}

static void test_actor_zero_copy(void **state) {
        airsup_behaviour b = { .handle = sum_msg };
        airsup_sys *s = sys_new(NULL);
        uint64_t sum = 0;
        airsup_spawn_opts o = { .arg = &sum };
        airsup_ref r;
        uint8_t *p;

        (void) state;
        assert_int_equal(airsup_spawn(s, airsup_root(s), &b, &o, &r), 0);
        assert_int_equal(airsup_tell_commit(s), -EINVAL);
        assert_int_equal(airsup_tell_reserve(s, r, 7, 100000, (void **) &p), 0);
        memset(p, 1, 100000);
        assert_int_equal(airsup_tell_commit(s), 0);
        drain(s);
        assert_int_equal(sum, 100000);
        /* The receiver ended between reserve and commit. */
        assert_int_equal(airsup_tell_reserve(s, r, 7, 8, (void **) &p), 0);
        assert_int_equal(airsup_stop(s, r), 0);
        assert_int_equal(airsup_tell_commit(s), -ESRCH);
        airsup_sys_free(s);
}

static int reenter(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        (void) self;
        (void) m;
        (void) data;
        *(int *) state = airsup_sys_process(s) == -EBUSY && airsup_sys_run(s) == -EBUSY;
        return 0;
}

/* The loop is not run again from a handler. */
static void test_actor_no_reentry(void **state) {
        airsup_behaviour b = { .handle = reenter };
        airsup_sys *s = sys_new(NULL);
        int ok = 0;
        airsup_spawn_opts o = { .arg = &ok };
        airsup_ref r;

        (void) state;
        assert_int_equal(airsup_spawn(s, airsup_root(s), &b, &o, &r), 0);
        assert_int_equal(airsup_tell(s, r, 1, NULL, 0), 0);
        drain(s);
        assert_int_equal(ok, 1);
        airsup_sys_free(s);
}

static void test_actor_bad_arguments(void **state) {
        airsup_behaviour b = { .handle = count_msg }, nob = {};
        airsup_sys *s = sys_new(NULL);
        airsup_spawn_opts bad = { .name = "no/slash" }, longname = { .name = NULL }, dup = { .name = "x" };
        airsup_sup_opts so;
        char name[100];
        airsup_ref r, x;
        int n = 0;

        (void) state;
        memset(name, 'n', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        longname.name = name;
        assert_int_equal(airsup_sys_new(NULL, NULL, NULL), -EINVAL);
        assert_int_equal(airsup_spawn(NULL, airsup_root(s), &b, NULL, &r), -EINVAL);
        assert_int_equal(airsup_spawn(s, airsup_root(s), NULL, NULL, &r), -EINVAL);
        assert_int_equal(airsup_spawn(s, airsup_root(s), &nob, NULL, &r), -EINVAL);
        assert_int_equal(airsup_spawn(s, airsup_root(s), &b, &bad, &r), -EINVAL);
        assert_int_equal(airsup_spawn(s, airsup_root(s), &b, &longname, &r), -EINVAL);
        assert_int_equal(airsup_spawn(s, 12345, &b, NULL, &r), -EINVAL);
        dup.arg = &n;
        assert_int_equal(airsup_spawn(s, airsup_root(s), &b, &dup, &x), 0);
        assert_int_equal(airsup_spawn(s, airsup_root(s), &b, &dup, &r), -EEXIST);
        /* An actor is not a supervisor, and the other way round. */
        assert_int_equal(airsup_spawn(s, x, &b, NULL, &r), -EINVAL);
        assert_int_equal(airsup_tell(s, airsup_root(s), 1, NULL, 0), -EINVAL);
        assert_int_equal(airsup_tell(s, x, 1, NULL, 5), -EINVAL);
        assert_int_equal(airsup_tell(s, 0, 1, NULL, 0), -ESRCH);
        assert_int_equal(airsup_tell(s, x, 1, name, (size_t) AIRSUP_ACTOR_MESSAGE_MAX + 1), -EMSGSIZE);
        assert_int_equal(airsup_stop(s, airsup_root(s)), -EPERM);
        assert_int_equal(airsup_exit(s, x, 1), -EINVAL);
        assert_int_equal(airsup_whereis(s, "x/y", &r), -EINVAL);
        assert_int_equal(airsup_whereis(s, "x", &r), 0);
        assert_true(r == x);
        airsup_sup_opts_init(&so);
        so.strategy = 7;
        assert_int_equal(airsup_supervise(s, airsup_root(s), &so, &r), -EINVAL);
        airsup_sup_opts_init(&so);
        so.period_ns = 0;
        assert_int_equal(airsup_supervise(s, airsup_root(s), &so, &r), -EINVAL);
        assert_int_equal(airsup_cancel(s, 0), -EINVAL);
        assert_int_equal(airsup_cancel(s, 77), -ENOENT);
        assert_int_equal(airsup_actor_info_get(s, 0, NULL), -EINVAL);
        /* A stale ref after its actor ended, even when the slot is reused. */
        assert_int_equal(airsup_stop(s, x), 0);
        assert_int_equal(airsup_spawn(s, airsup_root(s), &b, &dup, &r), 0);
        assert_true(r != x);
        assert_int_equal(airsup_tell(s, x, 1, NULL, 0), -ESRCH);
        airsup_sys_free(s);
}

/* Nesting is bounded: restarting a supervisor walks its subtree. */
static void test_actor_nesting_bounded(void **state) {
        airsup_sys *s = sys_new(NULL);
        airsup_ref p = airsup_root(s), c;
        int k, r = 0;

        (void) state;
        for (k = 0; k < 100 && (r = airsup_supervise(s, p, NULL, &c)) == 0; k++)
                p = c;
        assert_int_equal(r, -ELOOP);
        assert_true(k < 100);
        airsup_sys_free(s);
}

/* A tell from outside a turn makes the fd readable. */
static void test_actor_fd_wakes(void **state) {
        airsup_behaviour b = { .handle = count_msg };
        airsup_sys *s = sys_new(NULL);
        int n = 0;
        airsup_spawn_opts o = { .arg = &n };
        airsup_ref r;
        struct pollfd p = { .fd = airsup_sys_fd(s), .events = POLLIN };

        (void) state;
        assert_int_equal(airsup_spawn(s, airsup_root(s), &b, &o, &r), 0);
        drain(s);
        assert_int_equal(poll(&p, 1, 0), 0);
        assert_int_equal(airsup_tell(s, r, 1, NULL, 0), 0);
        assert_int_equal(poll(&p, 1, 1000), 1);
        drain(s);
        assert_int_equal(n, 1);
        assert_int_equal(poll(&p, 1, 0), 0);
        airsup_sys_free(s);
}

/* A million actors in one process, each handling a message. */
static void test_actor_million(void **state) {
        airsup_behaviour b = { .handle = count_msg };
        airsup_sys_opts so = { .no_exit = 1 };
        airsup_sys *s;
        int n = 0;
        airsup_spawn_opts o = { .arg = &n, .restart = AIRSUP_TEMPORARY };
        airsup_ref *refs = malloc(1000000 * sizeof(*refs));

        (void) state;
        assert_non_null(refs);
        assert_int_equal(airsup_sys_new(NULL, &so, &s), 0);
        for (int k = 0; k < 1000000; k++)
                assert_int_equal(airsup_spawn(s, airsup_root(s), &b, &o, &refs[k]), 0);
        for (int k = 0; k < 1000000; k++)
                assert_int_equal(airsup_tell(s, refs[k], 1, &k, sizeof(k)), 0);
        drain(s);
        assert_int_equal(n, 1000000);
        airsup_sys_free(s);
        free(refs);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_actor_tell_and_state),
                cmocka_unit_test(test_actor_fair_turns),
                cmocka_unit_test(test_actor_producer_throttled),
                cmocka_unit_test(test_actor_resume_keeps_state),
                cmocka_unit_test(test_actor_restart_resets_state),
                cmocka_unit_test(test_actor_restart_retry),
                cmocka_unit_test(test_actor_stop_answer),
                cmocka_unit_test(test_actor_stop_reverse_order),
                cmocka_unit_test(test_actor_one_for_one),
                cmocka_unit_test(test_actor_one_for_all),
                cmocka_unit_test(test_actor_rest_for_one),
                cmocka_unit_test(test_actor_restart_types),
                cmocka_unit_test(test_actor_one_for_all_drops_temporary),
                cmocka_unit_test(test_actor_intensity_escalates),
                cmocka_unit_test(test_actor_start_failures_give_up),
                cmocka_unit_test(test_actor_crash_loop_no_recursion),
                cmocka_unit_test(test_actor_backoff),
                cmocka_unit_test(test_actor_timers),
                cmocka_unit_test(test_actor_asks_down),
                cmocka_unit_test(test_actor_zero_copy),
                cmocka_unit_test(test_actor_bad_arguments),
                cmocka_unit_test(test_actor_no_reentry),
                cmocka_unit_test(test_actor_nesting_bounded),
                cmocka_unit_test(test_actor_fd_wakes),
                cmocka_unit_test(test_actor_million),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
