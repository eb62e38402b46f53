/* test-tail.c - a console instance's last lines in memory (tail.c):
 * whole lines, the oldest dropped past LOG_TAIL_MAX, a follower's byte
 * numbers, a line longer than the ring, and a flood that never grows it. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "supervisor/output/tail.h"

static void put(log_tail *t, const char *line) {
        assert_int_equal(log_tail_append(t, line, strlen(line)), 0);
}

/* What came after AFTER, as a string; its byte numbers in *FROM, *NEXT. */
static char *read_after(const log_tail *t, uint64_t after, uint64_t *from, uint64_t *next) {
        char *buf;
        size_t len;

        assert_int_equal(log_tail_read(t, after, &buf, &len, from, next), 0);
        buf[len] = '\0';
        return buf;
}

static void test_tail_empty(void **state) {
        log_tail t = {};
        uint64_t from, next;
        char *s;

        (void) state;
        s = read_after(&t, 0, &from, &next);
        assert_string_equal(s, "");
        assert_int_equal(next, 0);
        free(s);
        log_tail_done(&t);
}

static void test_tail_follows(void **state) {
        log_tail t = {};
        uint64_t from, next, seen;
        char *s;

        (void) state;
        put(&t, "one");
        put(&t, "two");
        s = read_after(&t, 0, &from, &seen);
        assert_string_equal(s, "one\ntwo\n");
        assert_int_equal(from, 0);
        assert_int_equal(seen, 8);
        free(s);
        put(&t, "three");
        s = read_after(&t, seen, &from, &next);
        assert_string_equal(s, "three\n");
        assert_int_equal(from, seen);
        assert_int_equal(next, 14);
        free(s);
        /* Nothing new: nothing. */
        s = read_after(&t, next, &from, &next);
        assert_string_equal(s, "");
        free(s);
        /* A number from another ring (past the end): all of it. */
        s = read_after(&t, 1000, &from, &next);
        assert_string_equal(s, "one\ntwo\nthree\n");
        free(s);
        log_tail_done(&t);
}

/* Far more than the ring holds: whole lines, the last ones, in order,
 * and never more than LOG_TAIL_MAX bytes. */
static void test_tail_flood_keeps_last_lines(void **state) {
        log_tail t = {};
        uint64_t from, next;
        char line[64], *s, *last;
        unsigned first;

        (void) state;
        for (unsigned i = 0; i < 100000; i++) {
                snprintf(line, sizeof(line), "line %u", i);
                put(&t, line);
        }
        assert_true(t.size <= LOG_TAIL_MAX);
        s = read_after(&t, 0, &from, &next);
        assert_true(strlen(s) <= LOG_TAIL_MAX);
        assert_true(strlen(s) > LOG_TAIL_MAX - 16);
        assert_int_equal(next - from, strlen(s));
        assert_true(from > 0);
        /* Starts at a line's start, ends with the last line, none skipped. */
        assert_int_equal(sscanf(s, "line %u\n", &first), 1);
        last = s;
        for (unsigned i = first; i < 100000; i++) {
                snprintf(line, sizeof(line), "line %u\n", i);
                assert_memory_equal(last, line, strlen(line));
                last += strlen(line);
        }
        assert_int_equal(*last, '\0');
        free(s);
        /* A follower that fell behind gets the oldest kept, from FROM. */
        s = read_after(&t, 5, &from, &next);
        assert_true(from > 5);
        free(s);
        log_tail_done(&t);
}

/* A line longer than the ring: its end, as one line. */
static void test_tail_long_line(void **state) {
        log_tail t = {};
        size_t len = 3 * LOG_TAIL_MAX;
        char *line = malloc(len), *s;
        uint64_t from, next;

        (void) state;
        assert_non_null(line);
        memset(line, 'a', len);
        line[len - 1] = 'z';
        put(&t, "before");
        assert_int_equal(log_tail_append(&t, line, len), 0);
        s = read_after(&t, 0, &from, &next);
        assert_int_equal(strlen(s), LOG_TAIL_MAX);
        assert_int_equal(s[LOG_TAIL_MAX - 2], 'z');
        assert_int_equal(s[LOG_TAIL_MAX - 1], '\n');
        assert_null(strstr(s, "before"));
        assert_int_equal(next, 7 + len + 1);
        free(s);
        put(&t, "after");
        s = read_after(&t, next, &from, &next);
        assert_string_equal(s, "after\n");
        free(s);
        free(line);
        log_tail_done(&t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tail_empty),
                cmocka_unit_test(test_tail_follows),
                cmocka_unit_test(test_tail_flood_keeps_last_lines),
                cmocka_unit_test(test_tail_long_line),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
