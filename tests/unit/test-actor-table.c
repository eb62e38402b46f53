/* test-actor-table.c - reading a peer's actor table (actor-table.c) and
 * actor names and addresses (actor-addr.c): an honest table, and tables
 * that lie (n, capacity, seq, names, enums, parents). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/actor-addr.h"
#include "common/actor-table.h"

/* A table of CAP entries, N of them filled in as a root supervisor (0)
 * and actors under it. */
static unsigned char *table(uint32_t cap, uint32_t n, size_t *ret_size) {
        size_t size = act_table_size(cap);
        unsigned char *t = calloc(1, size);
        act_table_hdr *h = (act_table_hdr *) t;
        act_entry *e = (act_entry *) (t + ACT_HDR_SIZE);

        assert_non_null(t);
        *h = (act_table_hdr) { .magic = ACT_TABLE_MAGIC, .version = ACT_TABLE_VERSION, .entry_size = ACT_ENTRY_SIZE,
                               .capacity = cap, .n = n, .seq = 2, .actors = n ? n - 1 : 0, .supervisors = 1,
                               .processed = 42 };
        for (uint32_t i = 0; i < n; i++) {
                snprintf(e[i].name, sizeof(e[i].name), i ? "worker-%u" : "root", i);
                e[i].id = 100 + i;
                e[i].parent = i ? 0 : ACT_NO_PARENT;
                e[i].state = ACT_RUNNING;
                e[i].kind = i ? ACT_KIND_ACTOR : ACT_KIND_SUPERVISOR;
                e[i].depth = i;
        }
        *ret_size = size;
        return t;
}

static act_entry *entry(unsigned char *t, uint32_t i) {
        return (act_entry *) (t + ACT_HDR_SIZE) + i;
}

static void test_act_table_read_honest(void **state) {
        size_t size;
        unsigned char *t = table(8, 3, &size);
        act_snapshot s;

        (void) state;
        assert_int_equal(act_table_read(t, size, &s), 0);
        assert_false(s.torn);
        assert_int_equal(s.n_rows, 3);
        assert_int_equal(s.totals.processed, 42);
        assert_string_equal(s.rows[0].name, "root");
        assert_int_equal(s.rows[0].parent, ACT_NO_PARENT);
        assert_int_equal(s.rows[0].kind, ACT_KIND_SUPERVISOR);
        assert_string_equal(s.rows[2].name, "worker-2");
        assert_int_equal(s.rows[2].parent, 0);
        assert_int_equal(s.rows[2].depth, 2);
        act_snapshot_done(&s);
        free(t);
}

static void test_act_table_read_not_a_table(void **state) {
        size_t size;
        unsigned char *t = table(4, 2, &size);
        act_table_hdr *h = (act_table_hdr *) t;
        act_snapshot s;

        (void) state;
        assert_int_equal(act_table_read(t, ACT_HDR_SIZE - 1, &s), -EBADMSG);
        h->magic++;
        assert_int_equal(act_table_read(t, size, &s), -EBADMSG);
        h->magic--;
        h->version = 2;
        assert_int_equal(act_table_read(t, size, &s), -EBADMSG);
        h->version = ACT_TABLE_VERSION;
        h->entry_size = 64;
        assert_int_equal(act_table_read(t, size, &s), -EBADMSG);
        h->entry_size = ACT_ENTRY_SIZE;
        /* Capacity beyond the segment, and beyond any segment. */
        h->capacity = 5;
        assert_int_equal(act_table_read(t, size, &s), -EBADMSG);
        h->capacity = UINT32_MAX;
        assert_int_equal(act_table_read(t, size, &s), -EBADMSG);
        h->capacity = ACT_CAPACITY_MAX + 1;
        assert_int_equal(act_table_read(t, SIZE_MAX, &s), -EBADMSG);
        free(t);
}

static void test_act_table_read_lying_n(void **state) {
        size_t size;
        unsigned char *t = table(4, 4, &size);
        act_snapshot s;

        (void) state;
        ((act_table_hdr *) t)->n = UINT32_MAX;
        assert_int_equal(act_table_read(t, size, &s), 0);
        assert_int_equal(s.totals.n, 4);
        assert_int_equal(s.n_rows, 4);
        act_snapshot_done(&s);
        free(t);
}

static void test_act_table_read_odd_seq(void **state) {
        size_t size;
        unsigned char *t = table(4, 2, &size);
        act_snapshot s;

        (void) state;
        ((act_table_hdr *) t)->seq = 7;
        assert_int_equal(act_table_read(t, size, &s), 0);
        assert_true(s.torn);
        assert_int_equal(s.n_rows, 2);
        act_snapshot_done(&s);
        free(t);
}

static void test_act_table_read_bad_fields(void **state) {
        size_t size;
        unsigned char *t = table(8, 7, &size);
        act_snapshot s;

        (void) state;
        memset(entry(t, 1)->name, 'a', ACT_NAME_MAX);          /* no NUL */
        strcpy(entry(t, 2)->name, "bad/name");
        entry(t, 3)->state = 99;                                /* not shown */
        entry(t, 4)->kind = 7;                                  /* not shown */
        entry(t, 5)->state = ACT_FREE;                          /* not shown */
        entry(t, 6)->parent = 1000;                             /* none */
        strcpy(entry(t, 6)->name, "");
        assert_int_equal(act_table_read(t, size, &s), 0);
        assert_int_equal(s.n_rows, 4);
        assert_string_equal(s.rows[1].name, "?");
        assert_string_equal(s.rows[2].name, "?");
        assert_string_equal(s.rows[3].name, "");
        assert_int_equal(s.rows[3].parent, ACT_NO_PARENT);
        act_snapshot_done(&s);
        free(t);
}

/* Every row's walk to its root ends within n_rows steps. */
static void assert_no_loops(const act_snapshot *s) {
        for (size_t i = 0; i < s->n_rows; i++) {
                uint32_t p = s->rows[i].parent;
                size_t steps = 0;

                while (p != ACT_NO_PARENT) {
                        assert_true(p < s->n_rows);
                        assert_true(++steps <= s->n_rows);
                        p = s->rows[p].parent;
                }
        }
}

static void test_act_table_read_parent_loops(void **state) {
        size_t size;
        unsigned char *t = table(8, 6, &size);
        act_snapshot s;

        (void) state;
        entry(t, 0)->parent = 0;                /* itself */
        entry(t, 1)->parent = 2;                /* 1 -> 2 -> 3 -> 1 */
        entry(t, 2)->parent = 3;
        entry(t, 3)->parent = 1;
        entry(t, 4)->parent = 5;                /* into a skipped entry */
        entry(t, 5)->state = ACT_FREE;
        assert_int_equal(act_table_read(t, size, &s), 0);
        assert_int_equal(s.n_rows, 5);
        assert_int_equal(s.rows[0].parent, ACT_NO_PARENT);
        assert_int_equal(s.rows[4].parent, ACT_NO_PARENT);
        assert_no_loops(&s);
        act_snapshot_done(&s);
        free(t);
}

/* A chain as deep as the table, reversed: read in linear time. */
static void test_act_table_read_deep_chain(void **state) {
        const uint32_t n = 100000;
        size_t size;
        unsigned char *t = table(n, n, &size);
        act_snapshot s;

        (void) state;
        for (uint32_t i = 0; i < n; i++)
                entry(t, i)->parent = i + 1 < n ? i + 1 : 0;   /* and a loop at the end */
        assert_int_equal(act_table_read(t, size, &s), 0);
        assert_int_equal(s.n_rows, n);
        assert_no_loops(&s);
        act_snapshot_done(&s);
        free(t);
}

static void test_act_table_read_free_rows_remapped(void **state) {
        size_t size;
        unsigned char *t = table(8, 4, &size);
        act_snapshot s;

        (void) state;
        entry(t, 1)->state = ACT_FREE;
        entry(t, 2)->kind = ACT_KIND_SUPERVISOR;
        entry(t, 3)->parent = 2;
        assert_int_equal(act_table_read(t, size, &s), 0);
        assert_int_equal(s.n_rows, 3);
        assert_string_equal(s.rows[2].name, "worker-3");
        assert_int_equal(s.rows[2].parent, 1);
        assert_int_equal(s.rows[1].parent, 0);
        act_snapshot_done(&s);
        free(t);
}

static void test_act_table_read_totals(void **state) {
        size_t size;
        unsigned char *t = table(4, 3, &size);
        act_table_hdr h;

        (void) state;
        ((act_table_hdr *) t)->n = 1000;
        assert_int_equal(act_table_read_totals(t, size, &h), 0);
        assert_int_equal(h.processed, 42);
        assert_int_equal(h.n, 4);
        assert_int_equal(act_table_read_totals(t, size - 1, &h), -EBADMSG);
        free(t);
}

static void test_actor_name_valid(void **state) {
        char long_name[ACTOR_NAME_MAX + 1];

        (void) state;
        assert_true(actor_name_valid("worker-1"));
        assert_true(actor_name_valid("a.b_c"));
        assert_false(actor_name_valid(""));
        assert_false(actor_name_valid("a/b"));
        assert_false(actor_name_valid("a b"));
        assert_false(actor_name_valid(NULL));
        memset(long_name, 'x', sizeof(long_name));
        long_name[ACTOR_NAME_MAX] = '\0';               /* 64 characters: too long */
        assert_false(actor_name_valid(long_name));
        long_name[ACTOR_NAME_MAX - 1] = '\0';           /* 63 */
        assert_true(actor_name_valid(long_name));
        assert_true(actor_name_valid_n("abc/", 3));
        assert_false(actor_name_valid_n("abc/", 4));
        assert_false(actor_name_valid_n("abc", 0));
}

static void test_actor_addr_split(void **state) {
        char g[ACTOR_NAME_MAX], a[ACTOR_NAME_MAX], big[200];

        (void) state;
        assert_int_equal(actor_addr_split("web/cache", g, a), 1);
        assert_string_equal(g, "web");
        assert_string_equal(a, "cache");
        assert_int_equal(actor_addr_split("web[2]/cache", g, a), 1);
        assert_string_equal(g, "web[2]");
        assert_int_equal(actor_addr_split("web", g, a), 0);
        assert_string_equal(a, "");
        strcpy(g, "keep");
        assert_int_equal(actor_addr_split("web/", g, a), -EINVAL);
        assert_int_equal(actor_addr_split("/cache", g, a), -EINVAL);
        assert_int_equal(actor_addr_split("web/a/b", g, a), -EINVAL);
        assert_int_equal(actor_addr_split("we b/x", g, a), -EINVAL);
        assert_string_equal(g, "keep");
        memset(big, 'x', sizeof(big));
        big[sizeof(big) - 1] = '\0';
        assert_int_equal(actor_addr_split(big, g, a), -ENAMETOOLONG);
        big[10] = '/';
        assert_int_equal(actor_addr_split(big, g, a), -ENAMETOOLONG);
        assert_int_equal(actor_addr_split(NULL, g, a), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_act_table_read_honest),
                cmocka_unit_test(test_act_table_read_not_a_table),
                cmocka_unit_test(test_act_table_read_lying_n),
                cmocka_unit_test(test_act_table_read_odd_seq),
                cmocka_unit_test(test_act_table_read_bad_fields),
                cmocka_unit_test(test_act_table_read_parent_loops),
                cmocka_unit_test(test_act_table_read_deep_chain),
                cmocka_unit_test(test_act_table_read_free_rows_remapped),
                cmocka_unit_test(test_act_table_read_totals),
                cmocka_unit_test(test_actor_name_valid),
                cmocka_unit_test(test_actor_addr_split),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
