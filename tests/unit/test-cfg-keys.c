/* test-cfg-keys.c - the key rows (cfg-keys.h): every key of the file goes
 * from its text to its field to what a reload does with it, as its row
 * says; the rows are the only list of keys; the live reconfiguration's
 * bits come from them. */
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

#include "common/subject.h"

#include "supervisor/config/cfg.h"
#include "supervisor/config/reload.h"

/* A value for each key of the file, other than its default.  Every key
 * must have one (test_cfg_keys_round_trip fails for a new row without). */
static const struct {
        const char *key, *value;
} samples[] = {
        { "control", "/run/airsup-test/control" },
        { "control_group", "root" },
        { "events", "10" },
        { "dead_letters", "7" },
        { "nice", "-3" },
        { "state_dir", "/tmp" },
        { "metrics_listen", "127.0.0.1:9464" },
        { "cgroup", "off" },
        { "parent", "t" },
        { "strategy", "one_for_all" },
        { "intensity", "9" },
        { "period", "3s" },
        { "restart", "transient" },
        { "command", "sleep 9" },
        { "shutdown", "9s" },
        { "stop_signal", "INT" },
        { "backoff", "2s" },
        { "backoff_max", "9s" },
        { "ready", "notify" },
        { "start_timeout", "9s" },
        { "instances", "2" },
        { "mailbox", "1M" },
        { "message_max", "100" },
        { "redeliver", "9" },
        { "health", "exec:true" },
        { "health_interval", "3s" },
        { "health_timeout", "2s" },
        { "health_threshold", "9" },
        { "health_grace", "2s" },
        { "user", "root" },
        { "workdir", "/tmp" },
        { "environment", "A=1" },
        { "stdout", "null" },
        { "stderr", "null" },
        { "subscribe", "orders.* billing.>" },
        { "subscribe_all", "yes" },
        { "route", "hash" },
        /* A bridge's keys need nats = beside them: the sample adds it. */
        { "nats", "nats://127.0.0.1:4222" },
        { "nats_credentials", "/etc/n.creds\nnats = h:1" },
        { "nats_tls_ca", "/etc/ca.pem\nnats = h:1" },
        { "nats_tls_cert", "/etc/c.pem\nnats_tls_key = /etc/k.pem\nnats = h:1" },
        { "nats_tls_key", "/etc/k.pem\nnats_tls_cert = /etc/c.pem\nnats = h:1" },
        { "export", "orders.>\nnats = h:1" },
        { "export_jetstream", "audit.>\nnats = h:1" },
        { "import", "billing.*\nnats = h:1" },
        { "import_jetstream", "pay.>\nnats = h:1" },
        { "log_max", "1M" },
        { "log_keep", "2" },
        { "memory_max", "64M" },
        { "memory_high", "50%" },
        { "pids_max", "infinity" },
        { "cpu_weight", "50" },
        { "cpu_max", "150%" },
        { "io_weight", "10" },
};

static cfg *load(const char *text) {
        char path[] = "/tmp/airsup-test-cfg-keys-XXXXXX";
        cfg *c = NULL;
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
        if (cfg_load(path, stderr, &c) < 0)
                fail_msg("does not load:\n%s", text);
        unlink(path);
        return c;
}

/* The base file, with KEY = VALUE in SECTION when KEY is set: [airsupd],
 * the supervisor s (under t), or the group g (under the root). */
static char *file_with(cfg_section section, const char *key, const char *value) {
        char *text = NULL;
        char line[256] = "";

        if (key)
                snprintf(line, sizeof(line), "%s = %s\n", key, value);
        assert_true(asprintf(&text, "[airsupd]\n%s[supervisor:t]\n[supervisor:s]\n%s[group:g]\n%s%s",
                             section == CFG_SECTION_AIRSUPD ? line : "",
                             section == CFG_SECTION_SUPERVISOR ? line : "",
                             key && section == CFG_SECTION_GROUP && strcmp(key, "command") == 0 ? "" : "command = x\n",
                             section == CFG_SECTION_GROUP ? line : "") >= 0);
        return text;
}

static const char *sample_of(const char *key) {
        for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
                if (strcmp(samples[i].key, key) == 0)
                        return samples[i].value;
        return NULL;
}

/* KEY set in SECTION: its field differs from the base file's, and the
 * plan from the base file to it does what the row says. */
static void round_trip(cfg_key k, cfg_section section) {
        const char *name = cfg_key_to_string(k), *node = section == CFG_SECTION_SUPERVISOR ? "s" : "g";
        char *a = file_with(section, NULL, NULL), *b = file_with(section, name, sample_of(name));
        cfg *old = load(a), *new = load(b);
        int i = cfg_find(old, node), j = cfg_find(new, node);
        const reload_item *it = NULL;
        reload_plan p;

        assert_true(i > 0 && j > 0);
        assert_int_equal(reload_plan_build(old, new, &p), 0);
        for (size_t n = 0; n < p.n; n++)
                if (p.items[n].new_index == j)
                        it = &p.items[n];
        assert_non_null(it);

        switch (cfg_key_reload(k)) {
        case CFG_RELOAD_AIRSUPD:
                assert_true(cfg_airsupd_diff(old, new) == CFG_KEY_BIT(k));
                assert_true(p.airsupd == CFG_KEY_BIT(k));
                assert_int_equal(it->action, RELOAD_KEEP);
                break;
        case CFG_RELOAD_STRUCTURAL:
                /* Not a key a node compares: the parent it names. */
                assert_int_equal(new->nodes[j].parent, cfg_find(new, "t"));
                assert_int_equal(it->action, RELOAD_MOVE);
                break;
        case CFG_RELOAD_RESTART:
        case CFG_RELOAD_IN_PLACE:
                assert_true(cfg_node_diff(&old->nodes[i], &new->nodes[j]) & CFG_KEY_BIT(k));
                assert_true(it->keys & CFG_KEY_BIT(k));
                assert_int_equal(p.airsupd, 0);
                if (cfg_key_reload(k) == CFG_RELOAD_RESTART) {
                        assert_int_equal(it->action, RELOAD_RESTART);
                        assert_true(reload_group_restarts(&old->nodes[i], &new->nodes[j]));
                } else {
                        assert_int_equal(it->action, RELOAD_IN_PLACE);
                        assert_false(cfg_keys_restart(it->keys));
                }
                break;
        default:
                fail_msg("%s: no reload class", name);
        }
        reload_plan_done(&p);
        cfg_free(old);
        cfg_free(new);
        free(a);
        free(b);
}

static void test_cfg_keys_round_trip(void **state) {
        size_t tested = 0;

        (void) state;
        for (int k = 0; k < _CFG_KEY_MAX; k++) {
                unsigned sections = cfg_key_sections(k);

                if (!sections)
                        continue;
                if (!sample_of(cfg_key_to_string(k)))
                        fail_msg("key '%s' has no sample value here", cfg_key_to_string(k));
                for (cfg_section s = CFG_SECTION_AIRSUPD; s < _CFG_SECTION_MAX; s++)
                        if (sections & (1u << s))
                                round_trip(k, s);
                tested++;
        }
        /* And no sample for a key that is not one. */
        assert_int_equal(tested, sizeof(samples) / sizeof(samples[0]));
}

/* The rows are the only list of keys: a key declared twice (two rows of
 * one name) or a row the look-up does not find would fail here. */
static void test_cfg_keys_one_list(void **state) {
        (void) state;
        for (int k = 0; k < _CFG_KEY_MAX; k++) {
                const char *name = cfg_key_to_string(k);

                assert_non_null(name);
                for (int o = 0; o < k; o++)
                        if (strcmp(cfg_key_to_string(o), name) == 0)
                                fail_msg("key '%s' is declared twice (rows %d and %d)", name, o, k);
                if (cfg_key_sections(k))
                        assert_int_equal(cfg_key_from_string(name), k);
                else
                        /* Named by a plan, never read from a file. */
                        assert_int_equal(cfg_key_from_string(name), -EINVAL);
                /* Rows shown under one name are next to each other, so
                 * that a plan says the name once. */
                for (int o = 0; o + 1 < k; o++)
                        if (strcmp(cfg_key_shown(o), cfg_key_shown(k)) == 0)
                                assert_string_equal(cfg_key_shown(k - 1), cfg_key_shown(k));
        }
        assert_int_equal(cfg_key_from_string("nonsense"), -EINVAL);
        assert_int_equal(cfg_key_from_string(NULL), -EINVAL);
        assert_null(cfg_key_to_string(_CFG_KEY_MAX));
        for (int kind = 0; kind < _CFG_LIMIT_MAX; kind++) {
                const char *name = cfg_limit_kind_to_string(kind);

                assert_non_null(name);
                assert_string_equal(cfg_key_shown(cfg_key_from_string(name)), "limits");
        }
}

/* The words of the values, from their string tables. */
static void test_cfg_value_words_round_trip(void **state) {
        (void) state;
        for (int i = 0; i < _CFG_SHUTDOWN_MAX; i++)
                if (cfg_shutdown_to_string(i))
                        assert_int_equal(cfg_shutdown_from_string(cfg_shutdown_to_string(i)), i);
        for (int i = 0; i < _CFG_READY_MAX; i++)
                if (cfg_ready_to_string(i))
                        assert_int_equal(cfg_ready_from_string(cfg_ready_to_string(i)), i);
        for (int i = 0; i < _CFG_OUTPUT_MAX; i++)
                assert_int_equal(cfg_output_from_string(cfg_output_to_string(i)), i);
        for (int i = 0; i < _CFG_CGROUP_MAX; i++)
                assert_int_equal(cfg_cgroup_from_string(cfg_cgroup_to_string(i)), i);
        for (int i = 0; i < _RELOAD_ACTION_MAX; i++)
                assert_non_null(reload_action_to_string(i));
        assert_null(cfg_shutdown_to_string(CFG_SHUTDOWN_TIMEOUT));
        assert_null(cfg_ready_to_string(CFG_READY_DELAY));
        assert_int_equal(cfg_output_from_string("file:/x"), -EINVAL);
}

/* What a live node does to take an in-place change, from the rows. */
static void test_cfg_node_apply_bits(void **state) {
        static const struct {
                cfg_section section;
                const char *key, *value;
                unsigned want;
        } cases[] = {
                { CFG_SECTION_SUPERVISOR, "intensity", "9", 1u << CFG_APPLY_WINDOW },
                { CFG_SECTION_SUPERVISOR, "period", "3s", 1u << CFG_APPLY_AT_USE },
                { CFG_SECTION_GROUP, "health_interval", "3s", 1u << CFG_APPLY_PROBES },
                { CFG_SECTION_GROUP, "health", "exec:true", 1u << CFG_APPLY_PROBES },
                { CFG_SECTION_GROUP, "health_grace", "1s", 1u << CFG_APPLY_AT_USE },
                { CFG_SECTION_GROUP, "log_keep", "1", 1u << CFG_APPLY_ROTATION },
                { CFG_SECTION_GROUP, "memory_max", "64M", 1u << CFG_APPLY_LIMITS },
                { CFG_SECTION_GROUP, "backoff", "3s", 1u << CFG_APPLY_AT_USE },
                { CFG_SECTION_GROUP, "command", "y", 0 },               /* restarts: nothing in place */
                { CFG_SECTION_GROUP, "health", "watchdog", 1u << CFG_APPLY_PROBES },    /* and restarts */
        };

        (void) state;
        for (size_t n = 0; n < sizeof(cases) / sizeof(cases[0]); n++) {
                char *a = file_with(cases[n].section, NULL, NULL);
                char *b = file_with(cases[n].section, cases[n].key, cases[n].value);
                const char *node = cases[n].section == CFG_SECTION_SUPERVISOR ? "s" : "g";
                cfg *old = load(a), *new = load(b);
                unsigned got = cfg_node_apply(&old->nodes[cfg_find(old, node)], &new->nodes[cfg_find(new, node)]);

                if (got != cases[n].want)
                        fail_msg("%s = %s: got %#x, want %#x", cases[n].key, cases[n].value, got, cases[n].want);
                assert_int_equal(cfg_node_apply(&old->nodes[cfg_find(old, node)], &old->nodes[cfg_find(old, node)]), 0);
                cfg_free(old);
                cfg_free(new);
                free(a);
                free(b);
        }
}

/* TEXT does not load; its errors (the file's name cut) hold WANT. */
static void assert_load_error(const char *text, const char *want) {
        char path[] = "/tmp/airsup-test-cfg-keys-XXXXXX";
        char *buf = NULL;
        size_t size = 0;
        FILE *err = open_memstream(&buf, &size);
        cfg *c = NULL;
        int fd = mkstemp(path);

        assert_true(fd >= 0 && err);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
        assert_int_equal(cfg_load(path, err, &c), -EINVAL);
        fclose(err);
        unlink(path);
        assert_null(c);
        if (!strstr(buf, want) || strncmp(buf, path, strlen(path)) != 0)
                fail_msg("expected \"%s\" in:\n%s", want, buf);
        free(buf);
}

/* subscribe = and subscribe_all =: the patterns one by one, the list
 * as a reload compares it, and every bad pattern named at its line. */
static void test_cfg_subscribe(void **state) {
        char *text = NULL, *many = NULL;
        size_t len = 0;
        FILE *f;
        cfg *c;
        int g;

        (void) state;
        c = load("[group:g]\ncommand = x\nsubscribe =  orders.*\tbilling.>  \n  $SYS.x >\ninstances = 2\n"
                 "subscribe_all = yes\n[group:h]\ncommand = y\n");
        g = cfg_find(c, "g");
        assert_string_equal(c->nodes[g].subscribe.joined, "orders.* billing.> $SYS.x >");
        assert_int_equal(c->nodes[g].subscribe.n, 4);
        assert_string_equal(c->nodes[g].subscribe.list[0], "orders.*");
        assert_string_equal(c->nodes[g].subscribe.list[3], ">");
        assert_null(c->nodes[g].subscribe.list[4]);
        assert_int_equal(c->nodes[g].subscribe.line, 3);
        assert_true(c->nodes[g].subscribe_all);
        g = cfg_find(c, "h");
        assert_null(c->nodes[g].subscribe.joined);
        assert_null(c->nodes[g].subscribe.list);
        assert_false(c->nodes[g].subscribe_all);
        cfg_free(c);

        assert_load_error("[group:g]\ncommand = x\nsubscribe = orders.* a..b\n",
                          ":3: subscribe: invalid subject pattern 'a..b'");
        assert_load_error("[group:g]\ncommand = x\n\nsubscribe = a.>.b\n", ":4: subscribe: invalid subject pattern 'a.>.b'");
        assert_load_error("[group:g]\ncommand = x\nsubscribe = f*o\n", ":3: subscribe: invalid subject pattern 'f*o'");
        assert_load_error("[group:g]\ncommand = x\nsubscribe = .x\n", ":3: subscribe: invalid subject pattern '.x'");
        assert_load_error("[group:g]\ncommand = x\nsubscribe = x.\n", ":3: subscribe: invalid subject pattern 'x.'");
        assert_load_error("[group:g]\ncommand = x\nsubscribe = caf\xc3\xa9\n", ":3: subscribe: invalid subject pattern");
        assert_load_error("[group:g]\ncommand = x\nsubscribe = a.* b a.*\n", ":3: subscribe: 'a.*' is listed twice");
        assert_load_error("[group:g]\ncommand = x\nsubscribe_all = maybe\n", ":3: subscribe_all: expected yes or no");
        assert_load_error("[supervisor:s]\nsubscribe = a\n", ":2: unknown key 'subscribe' in [supervisor:s]");

        /* The longest pattern loads; one byte more does not. */
        f = open_memstream(&text, &len);
        fprintf(f, "[group:g]\ncommand = x\nsubscribe = %0*d\n", (int) SUBJECT_MAX, 0);
        fclose(f);
        cfg_free(load(text));
        free(text);
        f = open_memstream(&text, &len);
        fprintf(f, "[group:g]\ncommand = x\nsubscribe = %0*d\n", (int) SUBJECT_MAX + 1, 0);
        fclose(f);
        assert_load_error(text, ":3: subscribe: invalid subject pattern");
        free(text);

        /* CFG_SUBSCRIBE_MAX patterns, then one more. */
        f = open_memstream(&many, &len);
        fprintf(f, "[group:g]\ncommand = x\nsubscribe =");
        for (unsigned i = 0; i < CFG_SUBSCRIBE_MAX; i++)
                fprintf(f, " s%u.>", i);
        fclose(f);
        assert_true(asprintf(&text, "%s\n", many) > 0);
        c = load(text);
        assert_int_equal(c->nodes[cfg_find(c, "g")].subscribe.n, CFG_SUBSCRIBE_MAX);
        cfg_free(c);
        free(text);
        assert_true(asprintf(&text, "%s extra\n", many) > 0);
        assert_load_error(text, ":3: subscribe: more than 64 patterns");
        free(text);
        free(many);
}

/* A bridge to NATS: the servers joined by commas, what it exports and
 * imports by mode; every contradiction named at its line. */
static void test_cfg_nats(void **state) {
        cfg *c;
        int g;

        (void) state;
        c = load("[group:br]\ncommand = x\nnats = nats://127.0.0.1:4222 tls://h:1,u:p@h2:4222  h3\n"
                 "nats_credentials = /etc/x.creds\nexport = orders.> a.*\nexport_jetstream = audit.>\n"
                 "import = billing.*\nimport_jetstream = pay.>\n");
        g = cfg_find(c, "br");
        assert_string_equal(c->nodes[g].extra->nats, "nats://127.0.0.1:4222,tls://h:1,u:p@h2:4222,h3");
        assert_string_equal(c->nodes[g].extra->nats_credentials, "/etc/x.creds");
        assert_int_equal(c->nodes[g].extra->nats_credentials_line, 4);
        assert_string_equal(c->nodes[g].extra->nats_export[0].joined, "orders.> a.*");
        assert_int_equal(c->nodes[g].extra->nats_export[0].n, 2);
        assert_string_equal(c->nodes[g].extra->nats_export[1].list[0], "audit.>");
        assert_string_equal(c->nodes[g].extra->nats_import[0].joined, "billing.*");
        assert_string_equal(c->nodes[g].extra->nats_import[1].joined, "pay.>");
        cfg_free(c);

        assert_load_error("[group:g]\ncommand = x\nexport = a.>\n", ":3: export: only for a bridge to NATS");
        assert_load_error("[group:g]\ncommand = x\n\nimport_jetstream = a.>\n",
                          ":4: import_jetstream: only for a bridge to NATS");
        assert_load_error("[group:g]\ncommand = x\nnats_credentials = /x\n", ":3: nats_credentials: only for a bridge");
        assert_load_error("[group:g]\ncommand = x\nnats = h:1\ninstances = 2\n",
                          ":4: instances: a bridge to NATS runs one instance");
        assert_load_error("[group:g]\ncommand = x\nnats = http://h:1\n", ":3: nats: 'http://h:1': expected");
        assert_load_error("[group:g]\ncommand = x\nnats = h:x1\n", ":3: nats: 'h:x1': expected");
        assert_load_error("[group:g]\ncommand = x\nnats = nats://\n", ":3: nats: 'nats://': expected");
        assert_load_error("[group:g]\ncommand = x\nnats = ,\n", ":3: nats: expected the NATS servers' URLs");
        assert_load_error("[group:g]\ncommand = x\nnats = h:1\nexport = a.> b\nexport_jetstream = b\n",
                          ":5: export_jetstream: 'b' is exported twice");
        assert_load_error("[group:g]\ncommand = x\nnats = h:1\nimport = a..b\n", ":4: import: invalid subject pattern");
        assert_load_error("[group:g]\ncommand = x\nnats = h:1\nnats_tls_key = /k\n",
                          ":4: nats_tls_cert and nats_tls_key go together");
        assert_load_error("[group:g]\ncommand = x\nnats = h:1\nnats_credentials = rel\n",
                          ":4: nats_credentials: must be an absolute path");
}

/* Only a change of the list restarts the group, not of its spacing. */
static void test_cfg_subscribe_reload(void **state) {
        cfg *a = load("[group:g]\ncommand = x\nsubscribe = a.* b\n");
        cfg *b = load("[group:g]\ncommand = x\nsubscribe = a.*    b\n");
        cfg *d = load("[group:g]\ncommand = x\nsubscribe = b a.*\n");
        int g = cfg_find(a, "g");

        (void) state;
        assert_int_equal(cfg_node_diff(&a->nodes[g], &b->nodes[g]), 0);
        assert_true(cfg_node_diff(&a->nodes[g], &d->nodes[g]) == CFG_KEY_BIT(CFG_KEY_SUBSCRIBE));
        assert_true(cfg_keys_restart(CFG_KEY_BIT(CFG_KEY_SUBSCRIBE)));
        assert_true(cfg_keys_restart(CFG_KEY_BIT(CFG_KEY_SUBSCRIBE_ALL)));
        cfg_free(a);
        cfg_free(b);
        cfg_free(d);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cfg_keys_round_trip),
                cmocka_unit_test(test_cfg_keys_one_list),
                cmocka_unit_test(test_cfg_value_words_round_trip),
                cmocka_unit_test(test_cfg_node_apply_bits),
                cmocka_unit_test(test_cfg_subscribe),
                cmocka_unit_test(test_cfg_nats),
                cmocka_unit_test(test_cfg_subscribe_reload),
        };
        return cmocka_run_group_tests_name("cfg-keys", tests, NULL, NULL);
}
