/* test-notify.c - the sd_notify datagram parser, escaping, and the log
 * rate limit, as pure functions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "supervisor/watch/notify-parse.h"
#include "supervisor/core/ratelimit.h"

static void test_notify_parse_keys(void **state) {
        const char m[] = "READY=1\nSTATUS=up\nMAINPID=42\nEXTEND_TIMEOUT_USEC=5000\nSTOPPING=1\nBARRIER=1\nX=1";
        notify_msg n;

        (void) state;
        assert_int_equal(notify_parse(m, strlen(m), &n), 0);
        assert_true(n.ready && n.stopping && n.barrier && n.has_status);
        assert_string_equal(n.status, "up");
        assert_int_equal(n.main_pid, 42);
        assert_int_equal(n.extend_usec, 5000);
        assert_int_equal(n.invalid, 0);
}

static void test_notify_parse_rejects_and_bounds(void **state) {
        notify_msg n;
        char big[NOTIFY_MSG_MAX + 1];

        (void) state;
        /* A NUL anywhere refuses the whole datagram. */
        assert_int_equal(notify_parse("READY=1\0MAINPID=1", 17, &n), -EBADMSG);
        memset(big, 'a', sizeof(big));
        assert_int_equal(notify_parse(big, sizeof(big), &n), -EMSGSIZE);
        /* Numbers: digits only, in range. */
        assert_int_equal(notify_parse("MAINPID=-1", 10, &n), 0);
        assert_int_equal(n.main_pid, 0);
        assert_int_equal(n.invalid, 1);
        assert_int_equal(notify_parse("MAINPID=0", 9, &n), 0);
        assert_int_equal(n.main_pid, 0);
        assert_int_equal(notify_parse("MAINPID=2147483648", 18, &n), 0);
        assert_int_equal(n.main_pid, 0);
        assert_int_equal(notify_parse("MAINPID=12 ", 11, &n), 0);
        assert_int_equal(n.main_pid, 0);
        /* A longer extension than the maximum gets the maximum, even past 64 bits. */
        assert_int_equal(notify_parse("EXTEND_TIMEOUT_USEC=99999999999999999999999", 43, &n), 0);
        assert_int_equal(n.extend_usec, NOTIFY_EXTEND_MAX_USEC);
        assert_int_equal(notify_parse("EXTEND_TIMEOUT_USEC=1x9999999999999999999999", 44, &n), 0);
        assert_int_equal(n.extend_usec, 0);
        assert_int_equal(n.invalid, 1);
        /* READY=1 must be the whole line. */
        assert_int_equal(notify_parse("READY=10\nREADY=", 15, &n), 0);
        assert_false(n.ready);
}

static void test_notify_escape_control_bytes(void **state) {
        char out[16];
        notify_msg n;
        const char m[] = "STATUS=\x1b[1m\"\\\xff";

        (void) state;
        assert_int_equal(notify_parse(m, strlen(m), &n), 0);
        assert_string_equal(n.status, "\\x1b[1m\\x22\\x5c\\xff");
        /* Never half an escape at the end. */
        assert_int_equal(notify_escape("ab\x01", 3, out, 5), 2);
        assert_string_equal(out, "ab");
        assert_int_equal(notify_escape("ab\x01", 3, out, 7), 6);
        assert_string_equal(out, "ab\\x01");
}

static void test_sup_ratelimit_pass_burst_then_report(void **state) {
        sup_ratelimit rl = {};
        unsigned s, passed = 0;

        (void) state;
        for (unsigned i = 0; i < 100; i++)
                passed += sup_ratelimit_pass(&rl, 1000 + i, 10000, 5, &s);
        assert_int_equal(passed, 5);
        /* The next interval lets lines through again and says how many were held back. */
        assert_true(sup_ratelimit_pass(&rl, 1000 + 10000, 10000, 5, &s));
        assert_int_equal(s, 95);
        assert_true(sup_ratelimit_pass(&rl, 1000 + 10001, 10000, 5, &s));
        assert_int_equal(s, 0);
}

/* The watchdog keys: trigger, and a new interval clamped to 1 ms .. 1 h. */
static void test_notify_parse_watchdog(void **state) {
        notify_msg m;
        static const char a[] = "WATCHDOG=1\nWATCHDOG=trigger\nWATCHDOG_USEC=250000";
        static const char b[] = "WATCHDOG_USEC=3";
        static const char c[] = "WATCHDOG_USEC=99999999999999";
        static const char d[] = "WATCHDOG_USEC=0\nWATCHDOG_USEC=x\nWATCHDOG=2";

        (void) state;
        assert_int_equal(notify_parse(a, strlen(a), &m), 0);
        assert_true(m.watchdog && m.watchdog_trigger);
        assert_int_equal(m.watchdog_usec, 250000);
        assert_int_equal(notify_parse(b, strlen(b), &m), 0);
        assert_int_equal(m.watchdog_usec, NOTIFY_WATCHDOG_MIN_USEC);
        assert_int_equal(notify_parse(c, strlen(c), &m), 0);
        assert_int_equal(m.watchdog_usec, NOTIFY_WATCHDOG_MAX_USEC);
        assert_int_equal(notify_parse(d, strlen(d), &m), 0);
        assert_int_equal(m.watchdog_usec, 0);
        assert_false(m.watchdog || m.watchdog_trigger);
        assert_int_equal(m.invalid, 2);
}

/* AIRSUP_HEALTH= and AIRSUP_COUNTERS=: what a process says of itself,
 * bounded; a bad list is taken whole or not at all. */
static void test_notify_parse_airsup_keys(void **state) {
        notify_msg m;
        char big[1024];
        size_t k = 0;

        (void) state;
        assert_int_equal(notify_parse("AIRSUP_HEALTH=degraded\nAIRSUP_COUNTERS=out=5 in=0  out=7 a_b9=18446744073709551615",
                                      strlen("AIRSUP_HEALTH=degraded\nAIRSUP_COUNTERS=out=5 in=0  out=7 a_b9=18446744073709551615"),
                                      &m), 0);
        assert_int_equal(m.health, NOTIFY_HEALTH_DEGRADED);
        assert_int_equal(m.n_counters, 3);
        assert_string_equal(m.counters[0].name, "out");
        assert_true(m.counters[0].value == 7);
        assert_string_equal(m.counters[1].name, "in");
        assert_true(m.counters[2].value == UINT64_MAX);
        assert_int_equal(m.invalid, 0);

        assert_int_equal(notify_parse("AIRSUP_HEALTH=healthy", 21, &m), 0);
        assert_int_equal(m.health, NOTIFY_HEALTH_HEALTHY);
        assert_int_equal(notify_parse("AIRSUP_HEALTH=ok", 16, &m), 0);
        assert_int_equal(m.health, NOTIFY_HEALTH_UNSAID);
        assert_int_equal(m.invalid, 1);

        /* Each of these refuses the whole list. */
        static const char *const bad[] = {
                "AIRSUP_COUNTERS=Out=1", "AIRSUP_COUNTERS=a=-1", "AIRSUP_COUNTERS=a=1x", "AIRSUP_COUNTERS=a",
                "AIRSUP_COUNTERS==1", "AIRSUP_COUNTERS=a=18446744073709551616", "AIRSUP_COUNTERS=a.b=1",
                "AIRSUP_COUNTERS=ok=1 bad",
                "AIRSUP_COUNTERS=abcdefghijklmnopqrstuvwxyz0123456=1",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(notify_parse(bad[i], strlen(bad[i]), &m), 0);
                assert_int_equal(m.n_counters, 0);
                assert_int_equal(m.invalid, 1);
        }
        /* 32 bytes of name is the most. */
        assert_int_equal(notify_parse("AIRSUP_COUNTERS=abcdefghijklmnopqrstuvwxyz012345=1", 50, &m), 0);
        assert_int_equal(m.n_counters, 1);

        /* NOTIFY_COUNTERS_MAX names, then one more. */
        k = (size_t) snprintf(big, sizeof(big), "AIRSUP_COUNTERS=");
        for (int i = 0; i < NOTIFY_COUNTERS_MAX; i++)
                k += (size_t) snprintf(big + k, sizeof(big) - k, "c%d=%d ", i, i);
        assert_int_equal(notify_parse(big, k, &m), 0);
        assert_int_equal(m.n_counters, NOTIFY_COUNTERS_MAX);
        k += (size_t) snprintf(big + k, sizeof(big) - k, "more=1");
        assert_int_equal(notify_parse(big, k, &m), 0);
        assert_int_equal(m.n_counters, 0);
        assert_int_equal(m.invalid, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_notify_parse_keys),
                cmocka_unit_test(test_notify_parse_rejects_and_bounds),
                cmocka_unit_test(test_notify_escape_control_bytes),
                cmocka_unit_test(test_notify_parse_watchdog),
                cmocka_unit_test(test_notify_parse_airsup_keys),
                cmocka_unit_test(test_sup_ratelimit_pass_burst_then_report),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
