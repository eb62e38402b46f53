/* test-manager.c - the manager API that the control server and reload
 * call: lookups by name, the tree walk, event subscribers.  A real
 * manager is built from a real configuration; nothing is started. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "supervisor/manager.h"

static const char conf[] =
        "[supervisor:backend]\n"
        "strategy = one_for_all\n"
        "[group:db]\nparent = backend\ncommand = /bin/sleep 1\n"
        "[group:web]\ncommand = /bin/sleep 1\ninstances = 3\n"
        "[supervisor:inner]\nparent = backend\n"
        "[group:cache]\nparent = inner\ncommand = /bin/sleep 1\n";

typedef struct fixture {
        sd_event *e;
        sup_manager *m;
} fixture;

static int setup(void **state) {
        char path[] = "/tmp/airsup-test-manager-XXXXXX";
        fixture *f = calloc(1, sizeof(*f));
        FILE *null = fopen("/dev/null", "w");
        cfg *c = NULL;
        int fd = mkstemp(path);

        assert_true(f && null && fd >= 0);
        assert_int_equal(write(fd, conf, strlen(conf)), (ssize_t) strlen(conf));
        close(fd);
        assert_int_equal(cfg_load(path, null, &c), 0);
        unlink(path);
        fclose(null);
        assert_int_equal(sd_event_new(&f->e), 0);
        assert_int_equal(manager_new(c, f->e, SUP_LOG_STDERR, false, false, &f->m), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        fixture *f = *state;

        manager_free(f->m);
        sd_event_unref(f->e);
        free(f);
        return 0;
}

static void test_manager_find_node_by_name(void **state) {
        fixture *f = *state;
        sup_node *n;

        assert_ptr_equal(manager_find_node(f->m, "root"), f->m->root);
        n = manager_find_node(f->m, "cache");
        assert_non_null(n);
        assert_string_equal(n->parent->cfg->name, "inner");
        assert_true(manager_find_node(f->m, "backend")->cfg->supervisor);
        assert_null(manager_find_node(f->m, "nope"));
        assert_null(manager_find_node(f->m, ""));
        assert_null(manager_find_node(NULL, "db"));
}

static void test_manager_find_proc_names(void **state) {
        fixture *f = *state;
        sup_proc *p = NULL;

        assert_int_equal(manager_find_proc(f->m, "db", &p), 0);
        assert_string_equal(p->name, "db");
        assert_int_equal(manager_find_proc(f->m, "web[2]", &p), 0);
        assert_string_equal(p->name, "web[2]");
        assert_int_equal(p->instance, 2);
        p = NULL;
        assert_int_equal(manager_find_proc(f->m, "web[3]", &p), -ENOENT);
        assert_int_equal(manager_find_proc(f->m, "web", &p), -EINVAL);
        assert_int_equal(manager_find_proc(f->m, "backend", &p), -EISDIR);
        assert_int_equal(manager_find_proc(f->m, "ghost", &p), -ENOENT);
        assert_int_equal(manager_find_proc(f->m, "web[-1]", &p), -EINVAL);
        assert_int_equal(manager_find_proc(f->m, "web[1", &p), -EINVAL);
        assert_int_equal(manager_find_proc(f->m, "web[]", &p), -EINVAL);
        assert_int_equal(manager_find_proc(f->m, "[0]", &p), -EINVAL);
        assert_int_equal(manager_find_proc(f->m, "web[99999999999999999999]", &p), -EINVAL);
        assert_int_equal(manager_find_proc(f->m, "db[0]", &p), 0);
        /* Untouched on failure. */
        assert_string_equal(p->name, "db");
}

typedef struct seen {
        char names[256];
        unsigned stop_at;
        unsigned n;
} seen;

static int collect(sup_node *n, unsigned depth, void *userdata) {
        seen *s = userdata;
        size_t l = strlen(s->names);

        snprintf(s->names + l, sizeof(s->names) - l, "%s%u:%s", l ? "," : "", depth, n->cfg->name);
        return ++s->n == s->stop_at ? -ECANCELED : 0;
}

static void test_manager_walk_order_and_stop(void **state) {
        fixture *f = *state;
        seen s = {};

        assert_int_equal(manager_walk(f->m, collect, &s), 0);
        assert_string_equal(s.names, "0:root,1:backend,2:db,2:inner,3:cache,1:web");
        s = (seen) { .stop_at = 3 };
        assert_int_equal(manager_walk(f->m, collect, &s), -ECANCELED);
        assert_string_equal(s.names, "0:root,1:backend,2:db");
}

static void count_event(const sup_event *e, void *userdata) {
        unsigned *n = userdata;

        if (strcmp(e->node, "db") == 0)
                (*n)++;
}

static void test_sup_events_subscribe_and_unsubscribe(void **state) {
        fixture *f = *state;
        unsigned a = 0, b = 0;
        int ia, ib;
        sup_event e = { .type = SUP_EVENT_STATUS, .priority = LOG_DEBUG };

        snprintf(e.node, sizeof(e.node), "db");
        ia = sup_events_subscribe(&f->m->events, count_event, &a);
        ib = sup_events_subscribe(&f->m->events, count_event, &b);
        assert_true(ia >= 0 && ib >= 0 && ia != ib);
        sup_events_emit(&f->m->events, &e);
        assert_int_equal(a, 1);
        assert_int_equal(b, 1);
        sup_events_unsubscribe(&f->m->events, ia);
        sup_events_emit(&f->m->events, &e);
        assert_int_equal(a, 1);
        assert_int_equal(b, 2);
        /* A freed slot is reused. */
        assert_int_equal(sup_events_subscribe(&f->m->events, count_event, &a), ia);
        assert_int_equal(sup_events_subscribe(&f->m->events, NULL, &a), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_manager_find_node_by_name, setup, teardown),
                cmocka_unit_test_setup_teardown(test_manager_find_proc_names, setup, teardown),
                cmocka_unit_test_setup_teardown(test_manager_walk_order_and_stop, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sup_events_subscribe_and_unsubscribe, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
