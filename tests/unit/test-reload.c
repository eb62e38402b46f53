/* test-reload.c - the reload plan (reload-plan.c): a pure function of two
 * configurations, loaded from text as airsupd loads them. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "supervisor/config/cfg.h"
#include "common/policy.h"
#include "supervisor/config/reload.h"

static cfg *load(const char *text) {
        char path[] = "/tmp/airsup-test-reload-XXXXXX";
        cfg *c = NULL;
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
        assert_int_equal(cfg_load(path, stderr, &c), 0);
        unlink(path);
        return c;
}

/* The plan as "action name[ keys]" lines, KEEPs left out. */
static char *plan_text(const char *a, const char *b, reload_plan *ret) {
        cfg *old = load(a), *new = load(b);
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        reload_plan p;

        assert_int_equal(reload_plan_build(old, new, &p), 0);
        for (size_t i = 0; i < p.n; i++) {
                const reload_item *it = &p.items[i];
                const cfg_node *n = it->new_index >= 0 ? &new->nodes[it->new_index] : &old->nodes[it->old_index];
                char keys[256];

                if (it->action == RELOAD_KEEP)
                        continue;
                reload_keys_format(it->keys, keys, sizeof(keys));
                fprintf(f, "%s %s%s%s\n", reload_action_to_string(it->action), n->name, keys[0] ? " " : "", keys);
        }
        fclose(f);
        if (ret)
                *ret = p;
        else
                reload_plan_done(&p);
        cfg_free(old);
        cfg_free(new);
        return buf;
}

static const char base[] =
        "[supervisor:root]\nintensity = 5\n"
        "[group:a]\ncommand = sleep 1\n"
        "[group:b]\ncommand = sleep 2\nbackoff = 1s\n"
        "[supervisor:s]\n"
        "[group:c]\nparent = s\ncommand = sleep 3\n"
        "[group:d]\nparent = s\ncommand = sleep 4\n";

static void test_reload_plan_same_file_is_all_kept(void **state) {
        reload_plan p;
        char *t = plan_text(base, base, &p);

        (void) state;
        assert_string_equal(t, "");
        assert_int_equal(p.count[RELOAD_KEEP], 5);
        assert_int_equal(p.airsupd, 0);
        reload_plan_done(&p);
        free(t);
}

static void test_reload_plan_every_action_in_order(void **state) {
        static const char next[] =
                "[supervisor:root]\nintensity = 9\n"
                "[group:b]\ncommand = sleep 2\nbackoff = 3s\n"
                "[supervisor:s]\n"
                "[group:d]\nparent = root\ncommand = sleep 4\n"
                "[group:e]\nparent = s\ncommand = sleep 5\n"
                "[group:c]\nparent = s\ncommand = sleep 33\n";
        reload_plan p;
        char *t = plan_text(base, next, &p);

        (void) state;
        /* a removed; b in place; d moved to the root; c changed (restart); e new. */
        assert_string_equal(t, "remove a\n"
                               "in-place b backoff\n"
                               "move d\n"
                               "add e\n"
                               "restart c command\n"
                               "in-place root intensity\n");
        assert_int_equal(p.count[RELOAD_REMOVE], 1);
        assert_int_equal(p.count[RELOAD_ADD], 1);
        assert_int_equal(p.count[RELOAD_MOVE], 1);
        assert_int_equal(p.count[RELOAD_RESTART], 1);
        assert_int_equal(p.count[RELOAD_IN_PLACE], 2);
        assert_int_equal(p.count[RELOAD_KEEP], 1);      /* s */
        reload_plan_done(&p);
        free(t);
}

static void test_reload_plan_removals_last_first(void **state) {
        char *t = plan_text(base, "[group:b]\ncommand = sleep 2\nbackoff = 1s\n", NULL);

        (void) state;
        /* d, c, s, a: the reverse of the old file; the root's intensity back to 5. */
        assert_string_equal(t, "remove d\nremove c\nremove s\nremove a\n");
        free(t);
}

static void test_reload_plan_which_keys_restart(void **state) {
        static const char one[] = "[group:g]\ncommand = x\n";
        static const struct {
                const char *add;
                const char *want;
        } cases[] = {
                { "environment = A=1\n", "restart g environment\n" },
                { "user = nobody\n", "restart g user\n" },
                { "workdir = /tmp\n", "restart g workdir\n" },
                { "stdout = null\n", "restart g stdout, stderr\n" },          /* stderr follows stdout */
                { "stdout = null\nstderr = inherit\n", "restart g stdout\n" },
                { "ready = notify\n", "restart g ready\n" },
                { "instances = 3\n", "restart g instances\n" },
                { "health = watchdog\n", "restart g health, watchdog\n" },
                { "shutdown = 9s\n", "in-place g shutdown\n" },
                { "stop_signal = INT\n", "in-place g stop_signal\n" },
                { "backoff_max = 9s\n", "in-place g backoff_max\n" },
                { "start_timeout = 9s\n", "in-place g start_timeout\n" },
                { "restart = transient\n", "in-place g restart\n" },
                { "mailbox = 1M\n", "in-place g mailbox\n" },
                { "redeliver = 9\n", "in-place g redeliver\n" },
                { "health = exec:true\n", "in-place g health\n" },
                { "log_max = 1M\n", "in-place g log_max/log_keep\n" },
                { "memory_max = 64M\n", "in-place g limits\n" },
                { "cpu_weight = 50\n", "in-place g limits\n" },
        };

        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char next[256];
                char *t;

                snprintf(next, sizeof(next), "%s%s", one, cases[i].add);
                t = plan_text(one, next, NULL);
                if (strcmp(t, cases[i].want) != 0)
                        fail_msg("%s: got '%s', want '%s'", cases[i].add, t, cases[i].want);
                free(t);
        }
}

static void test_reload_plan_kind_change_is_remove_and_add(void **state) {
        static const char a[] = "[group:x]\ncommand = y\n[group:k]\nparent = root\ncommand = z\n";
        static const char b[] = "[supervisor:x]\n[group:k]\nparent = x\ncommand = z\n";
        char *t = plan_text(a, b, NULL);

        (void) state;
        assert_string_equal(t, "remove x\nadd x\nmove k\n");
        free(t);
}

static void test_reload_plan_child_of_replaced_parent_moves(void **state) {
        /* s is a group now, and its child c, kept by name, has a new s. */
        static const char b[] = "[supervisor:s2]\n[group:c]\nparent = s2\ncommand = sleep 3\n"
                                "[group:a]\ncommand = sleep 1\n[group:b]\ncommand = sleep 2\nbackoff = 1s\n"
                                "[group:d]\ncommand = sleep 4\n";
        char *t = plan_text(base, b, NULL);

        (void) state;
        assert_non_null(strstr(t, "remove s\n"));
        assert_non_null(strstr(t, "move c\n"));
        assert_non_null(strstr(t, "move d\n"));
        assert_non_null(strstr(t, "add s2\n"));
        free(t);
}

static void test_reload_plan_order_in_place(void **state) {
        static const char b[] =
                "[supervisor:root]\nintensity = 5\n"
                "[group:b]\ncommand = sleep 2\nbackoff = 1s\n"
                "[group:a]\ncommand = sleep 1\n"
                "[supervisor:s]\n"
                "[group:d]\nparent = s\ncommand = sleep 4\n"
                "[group:c]\nparent = s\ncommand = sleep 3\n";
        char *t = plan_text(base, b, NULL);

        (void) state;
        assert_string_equal(t, "in-place s order\nin-place root order\n");
        free(t);
}

static void test_reload_plan_daemon_keys(void **state) {
        reload_plan p;
        char *t = plan_text("[airsupd]\ncontrol = /run/a\nevents = 100\n[group:g]\ncommand = x\n",
                            "[airsupd]\ncontrol = /run/b\nevents = 100\ncgroup = off\n[group:g]\ncommand = x\n", &p);

        (void) state;
        assert_string_equal(t, "");
        assert_int_equal(p.airsupd, CFG_KEY_BIT(CFG_KEY_CONTROL) | CFG_KEY_BIT(CFG_KEY_CGROUP));
        reload_plan_done(&p);
        free(t);
}

static void test_sup_window_resize_keeps_newest(void **state) {
        sup_window w;

        (void) state;
        assert_int_equal(sup_window_init(&w, 4), 0);
        for (uint64_t t = 1; t <= 4; t++)
                assert_false(sup_window_add(&w, t, 4, 100));
        /* Down to 1: the newest two stay (cap 2), and a third is over. */
        assert_int_equal(sup_window_resize(&w, 1), 0);
        assert_int_equal(sup_window_count(&w, 5, 100), 2);
        assert_true(sup_window_add(&w, 5, 1, 100));
        /* Up to 10: what is there stays, in order. */
        assert_int_equal(sup_window_resize(&w, 10), 0);
        assert_int_equal(sup_window_count(&w, 6, 100), 2);
        assert_int_equal(sup_window_count(&w, 105, 100), 1);   /* 4 expired, 5 stays */
        assert_false(sup_window_add(&w, 106, 10, 100));
        sup_window_done(&w);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reload_plan_same_file_is_all_kept),
                cmocka_unit_test(test_reload_plan_every_action_in_order),
                cmocka_unit_test(test_reload_plan_removals_last_first),
                cmocka_unit_test(test_reload_plan_which_keys_restart),
                cmocka_unit_test(test_reload_plan_kind_change_is_remove_and_add),
                cmocka_unit_test(test_reload_plan_child_of_replaced_parent_moves),
                cmocka_unit_test(test_reload_plan_order_in_place),
                cmocka_unit_test(test_reload_plan_daemon_keys),
                cmocka_unit_test(test_sup_window_resize_keeps_newest),
        };
        return cmocka_run_group_tests_name("reload", tests, NULL, NULL);
}
