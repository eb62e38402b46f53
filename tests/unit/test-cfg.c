/* test-cfg.c - value parsers and whole-file loading with FILE:LINE errors. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "supervisor/config/cfg.h"
#include "supervisor/core/event.h"
#include "supervisor/core/manager.h"
#include "supervisor/config/reload.h"
#include "supervisor/core/proc.h"
#include "common/cleanup.h"

static void test_cfg_parse_duration_units(void **state) {
        uint64_t u = 0;

        (void) state;
        assert_int_equal(cfg_parse_duration("250ms", &u), 0);
        assert_int_equal(u, 250 * USEC_PER_MSEC);
        assert_int_equal(cfg_parse_duration("5s", &u), 0);
        assert_int_equal(u, 5 * USEC_PER_SEC);
        assert_int_equal(cfg_parse_duration("2m", &u), 0);
        assert_int_equal(u, 120 * USEC_PER_SEC);
        assert_int_equal(cfg_parse_duration("1h", &u), 0);
        assert_int_equal(u, 3600 * USEC_PER_SEC);
        assert_int_equal(cfg_parse_duration("7", &u), 0);
        assert_int_equal(u, 7 * USEC_PER_SEC);
        assert_int_equal(cfg_parse_duration("0", &u), 0);
        assert_int_equal(u, 0);
        assert_int_equal(cfg_parse_duration("1.5s", &u), 0);
        assert_int_equal(u, 1500 * USEC_PER_MSEC);
        assert_int_equal(cfg_parse_duration("1m30s", &u), 0);
        assert_int_equal(u, 90 * USEC_PER_SEC);
        assert_int_equal(cfg_parse_duration("20us", &u), 0);
        assert_int_equal(u, 20);
}

static void test_cfg_parse_duration_rejects(void **state) {
        uint64_t u = 42;

        (void) state;
        assert_int_equal(cfg_parse_duration("", &u), -EINVAL);
        assert_int_equal(cfg_parse_duration("5x", &u), -EINVAL);
        assert_int_equal(cfg_parse_duration("ms", &u), -EINVAL);
        assert_int_equal(cfg_parse_duration("-1s", &u), -EINVAL);
        assert_int_equal(cfg_parse_duration("1m30", &u), -EINVAL);
        assert_int_equal(cfg_parse_duration("5 s", &u), -EINVAL);
        assert_int_equal(cfg_parse_duration("99999999999999999999h", &u), -ERANGE);
        /* Values whose product or sum wraps 64 bits are out of range, not
         * small: this one used to come out as 3454 s. */
        assert_int_equal(cfg_parse_duration("5124095576.99h", &u), -ERANGE);
        assert_int_equal(cfg_parse_duration("5124095576h", &u), -ERANGE);
        assert_int_equal(cfg_parse_duration("18446744073709551615us", &u), -ERANGE);
        assert_int_equal(cfg_parse_duration("8784h1us", &u), -ERANGE);
        assert_int_equal(cfg_parse_duration("8783h59m59.9999999s1us", &u), 0);
        assert_int_equal(u, CFG_DURATION_MAX_USEC);
        u = 42;
        /* Untouched on failure. */
        assert_int_equal(u, 42);
}

static void test_cfg_parse_size_suffixes(void **state) {
        uint64_t v = 42;

        (void) state;
        assert_int_equal(cfg_parse_size("256K", &v), 0);
        assert_int_equal(v, 256 * 1024);
        assert_int_equal(cfg_parse_size("4M", &v), 0);
        assert_int_equal(v, 4 << 20);
        assert_int_equal(cfg_parse_size("1G", &v), 0);
        assert_int_equal(v, 1 << 30);
        assert_int_equal(cfg_parse_size("4096", &v), 0);
        assert_int_equal(v, 4096);
        assert_int_equal(cfg_parse_size("1024G", &v), 0);
        v = 42;
        assert_int_equal(cfg_parse_size("1025G", &v), -ERANGE);
        assert_int_equal(cfg_parse_size("4k", &v), -EINVAL);
        assert_int_equal(cfg_parse_size("4KB", &v), -EINVAL);
        assert_int_equal(cfg_parse_size("-4K", &v), -EINVAL);
        assert_int_equal(cfg_parse_size("", &v), -EINVAL);
        assert_int_equal(cfg_parse_size("99999999999999999999999", &v), -ERANGE);
        assert_int_equal(v, 42);
}

static void test_cfg_parse_signal_names(void **state) {
        int s = 0;

        (void) state;
        assert_int_equal(cfg_parse_signal("TERM", &s), 0);
        assert_int_equal(s, SIGTERM);
        assert_int_equal(cfg_parse_signal("SIGINT", &s), 0);
        assert_int_equal(s, SIGINT);
        assert_int_equal(cfg_parse_signal("hup", &s), 0);
        assert_int_equal(s, SIGHUP);
        assert_int_equal(cfg_parse_signal("10", &s), 0);
        assert_int_equal(s, 10);
        assert_int_equal(cfg_parse_signal("TERMINATE", &s), -EINVAL);
        assert_int_equal(cfg_parse_signal("0", &s), -EINVAL);
        assert_int_equal(cfg_parse_signal("", &s), -EINVAL);
}

static void assert_argv(const char *line, const char *const *expect) {
        _cleanup_strv_free_ char **argv = NULL;
        size_t i;

        assert_int_equal(cfg_split_argv(line, &argv), 0);
        for (i = 0; expect[i]; i++) {
                assert_non_null(argv[i]);
                assert_string_equal(argv[i], expect[i]);
        }
        assert_null(argv[i]);
}

static void test_cfg_split_argv_quoting(void **state) {
        (void) state;
        assert_argv("/bin/echo a  b", (const char *const[]) { "/bin/echo", "a", "b", NULL });
        assert_argv("sh -c 'echo $HOME; exit 3'", (const char *const[]) { "sh", "-c", "echo $HOME; exit 3", NULL });
        assert_argv("x \"a \\\"q\\\" b\"", (const char *const[]) { "x", "a \"q\" b", NULL });
        assert_argv("x \"a\\nb\"", (const char *const[]) { "x", "a\\nb", NULL });
        assert_argv("x a\\ b", (const char *const[]) { "x", "a b", NULL });
        assert_argv("x ''", (const char *const[]) { "x", "", NULL });
        assert_argv("x pre'mid'\"end\"", (const char *const[]) { "x", "premidend", NULL });
        assert_argv("  lead\ttab  ", (const char *const[]) { "lead", "tab", NULL });
        assert_argv("a * ; | $X", (const char *const[]) { "a", "*", ";", "|", "$X", NULL });
}

static void test_cfg_split_argv_errors(void **state) {
        char **argv = NULL;

        (void) state;
        assert_int_equal(cfg_split_argv("echo 'open", &argv), -EINVAL);
        assert_int_equal(cfg_split_argv("echo \"open", &argv), -EINVAL);
        assert_int_equal(cfg_split_argv("echo \\", &argv), -EINVAL);
        assert_int_equal(cfg_split_argv("   ", &argv), -EINVAL);
        assert_null(argv);
}

static void test_cfg_expand_specifiers(void **state) {
        const cfg_instance in = { .instance = 12, .name = "web[12]", .group = "web" };
        char *out = NULL, bad = 0;

        (void) state;
        assert_int_equal(cfg_expand("--listen :80%i %n/%g 100%% %x %", &in, &out), 0);
        assert_string_equal(out, "--listen :8012 web[12]/web 100% %x %");
        free(out);
        assert_int_equal(cfg_expand("", &in, &out), 0);
        assert_string_equal(out, "");
        free(out);
        assert_int_equal(cfg_check_specifiers("a %i %n %g %% b", &bad), 0);
        assert_int_equal(cfg_check_specifiers("date +%s", &bad), -EINVAL);
        assert_int_equal(bad, 's');
        assert_int_equal(cfg_check_specifiers("trailing %", &bad), -EINVAL);
        assert_int_equal(bad, '\0');
}

static void test_cfg_parse_environment(void **state) {
        _cleanup_strv_free_ char **env = NULL;
        char **bad = NULL;

        (void) state;
        assert_int_equal(cfg_parse_environment("A=1 B='two words' C=", &env), 0);
        assert_string_equal(env[0], "A=1");
        assert_string_equal(env[1], "B=two words");
        assert_string_equal(env[2], "C=");
        assert_null(env[3]);
        assert_int_equal(cfg_parse_environment("NOEQUALS", &bad), -EINVAL);
        assert_int_equal(cfg_parse_environment("1A=x", &bad), -EINVAL);
        assert_int_equal(cfg_parse_environment("A-B=x", &bad), -EINVAL);
        assert_null(bad);
}

/* Loads TEXT from a temporary file; returns cfg_load()'s result and the
 * error text (with the temporary path replaced by "F"). */
static int load(const char *text, cfg **ret, char **ret_errors) {
        char path[] = "/tmp/airsup-test-cfg-XXXXXX";
        char *buf = NULL, *out;
        size_t size = 0;
        FILE *err;
        int fd, r;

        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);

        err = open_memstream(&buf, &size);
        r = cfg_load(path, err, ret);
        fclose(err);
        unlink(path);

        /* "/tmp/airsup-test-cfg-XXXXXX:3: ..." becomes "F:3: ..." */
        out = calloc(1, size + 1);
        for (const char *p = buf; *p;) {
                if (strncmp(p, path, strlen(path)) == 0) {
                        strcat(out, "F");
                        p += strlen(path);
                } else
                        strncat(out, p++, 1);
        }
        free(buf);
        *ret_errors = out;
        return r;
}

static void assert_error(const char *text, const char *expect) {
        _cleanup_free_ char *errors = NULL;
        cfg *c = NULL;

        assert_int_equal(load(text, &c, &errors), -EINVAL);
        assert_null(c);
        if (!strstr(errors, expect))
                fail_msg("expected \"%s\" in:\n%s", expect, errors);
}

static void test_cfg_load_good(void **state) {
        _cleanup_free_ char *errors = NULL;
        cfg *c = NULL;
        const cfg_node *n;
        int i;

        (void) state;
        assert_int_equal(load("; comment\n"
                              "[airsupd]\n"
                              "control = /run/airsup/control\n"
                              "events = 50\n"
                              "[supervisor:root]\n"
                              "intensity = 2\n"
                              "period = 1m\n"
                              "[supervisor:backend]\n"
                              "strategy = rest_for_one\n"
                              "[group:db]\n"
                              "parent = backend\n"
                              "command = /bin/sleep\n"
                              "   1000   ; continued on an indented line\n"
                              "restart = transient\n"
                              "shutdown = brutal_kill\n"
                              "stop_signal = INT\n"
                              "backoff = 0\n"
                              "ready = 2s\n"
                              "instances = 3\n"
                              "environment = A=1\n"
                              "  B=2\n"
                              "stdout = file:/tmp/x.log\n"
                              "health = exec:/bin/true --probe\n"
                              "[group:web]\n"
                              "command = web\n"
                              "shutdown = infinity\n"
                              "stderr = null\n",
                              &c, &errors), 0);
        assert_string_equal(errors, "");
        assert_int_equal(c->n_nodes, 4);
        assert_string_equal(c->control, "/run/airsup/control");
        assert_int_equal(c->events, 50);
        assert_int_equal(c->nodes[CFG_ROOT].intensity, 2);
        assert_int_equal(c->nodes[CFG_ROOT].period_usec, 60 * USEC_PER_SEC);

        i = cfg_find(c, "db");
        assert_true(i > 0);
        n = &c->nodes[i];
        assert_int_equal(n->parent, cfg_find(c, "backend"));
        assert_int_equal(c->nodes[n->parent].strategy, CFG_REST_FOR_ONE);
        assert_string_equal(n->argv[0], "/bin/sleep");
        assert_string_equal(n->argv[1], "1000");
        assert_null(n->argv[2]);
        assert_int_equal(n->restart, CFG_RESTART_TRANSIENT);
        assert_int_equal(n->shutdown, CFG_SHUTDOWN_BRUTAL_KILL);
        assert_int_equal(n->stop_signal, SIGINT);
        assert_int_equal(n->backoff_usec, 0);
        assert_int_equal(n->ready, CFG_READY_DELAY);
        assert_int_equal(n->ready_usec, 2 * USEC_PER_SEC);
        assert_int_equal(n->instances, 3);
        assert_string_equal(n->env[0], "A=1");
        assert_string_equal(n->env[1], "B=2");
        assert_int_equal(n->out, CFG_OUTPUT_FILE);
        assert_string_equal(n->out_path, "/tmp/x.log");
        assert_int_equal(n->err, CFG_OUTPUT_FILE);
        assert_int_equal(n->health, CFG_HEALTH_EXEC);
        assert_string_equal(n->health_argv[1], "--probe");

        n = &c->nodes[cfg_find(c, "web")];
        assert_int_equal(n->parent, CFG_ROOT);
        assert_int_equal(n->shutdown, CFG_SHUTDOWN_INFINITY);
        /* Defaults, as airsup.conf(5) states them. */
        assert_int_equal(n->restart, CFG_RESTART_PERMANENT);
        assert_int_equal(n->stop_signal, SIGTERM);
        assert_int_equal(n->backoff_usec, 100 * USEC_PER_MSEC);
        assert_int_equal(n->backoff_max_usec, 30 * USEC_PER_SEC);
        assert_int_equal(n->start_timeout_usec, 30 * USEC_PER_SEC);
        assert_int_equal(n->mailbox, 256 * 1024);
        assert_int_equal(n->message_max, 4096);
        assert_int_equal(n->out, CFG_OUTPUT_INHERIT);
        assert_int_equal(n->err, CFG_OUTPUT_NULL);
        cfg_free(c);
}

static void test_cfg_load_errors_name_lines(void **state) {
        (void) state;
        assert_error("[group:a]\ncommand = x\nbogus = 1\n", "F:3: unknown key 'bogus' in [group:a]");
        assert_error("[group:a]\ncommand = x\nbackoff = 5 parsecs\n", "F:3: backoff: invalid duration");
        assert_error("[group:a]\ncommand = x\n\nstop_signal = SIGNOPE\n", "F:4: stop_signal: unknown signal 'SIGNOPE'");
        assert_error("[group:a]\nparent = nowhere\ncommand = x\n", "F:2: parent: no supervisor called 'nowhere'");
        assert_error("[group:a]\ncommand = x\n[group:a]\ncommand = y\n", "F:3: duplicate name 'a' (first defined at line 1)");
        assert_error("[group:a]\ncommand = x\ncommand = y\n", "F:3: duplicate key 'command' (first set at line 2)");
        assert_error("[group:a]\n", "F:1: [group:a] has no 'command ='");
        assert_error("[group:a]\ncommand = 'unterminated\n", "F:2: command: unterminated quote");
        assert_error("[frob]\n", "F:1: unknown section [frob]");
        assert_error("[group:a]\ncommand = x\nrestart = sometimes\n", "F:3: restart: expected permanent");
        assert_error("[group:a]\ncommand = x\ninstances = 0\n", "F:3: instances: expected a whole number");
        assert_error("[group:a]\ncommand = x\nmailbox = 1000\n", "F:3: mailbox: must be a power of two from 256");
        assert_error("[group:a]\ncommand = x\nmailbox = 2G\n", "F:3: mailbox: must be a power of two from 256");
        assert_error("[group:a]\ncommand = x\nmailbox = 64k\n", "F:3: mailbox: expected a size in bytes");
        assert_error("[group:a]\ncommand = x\nmailbox = 8K\nmessage_max = 4096\n",
                     "F:4: message_max: at most a quarter of mailbox (2048 bytes with mailbox = 8192), got 4096");
        /* The default message_max (4096) in too small a mailbox: the mailbox's line. */
        assert_error("[group:a]\ncommand = x\nmailbox = 4K\n", "F:3: message_max: at most a quarter of mailbox");
        assert_error("[group:a]\ncommand = x\nshutdown = soon\n", "F:3: shutdown: expected a duration, brutal_kill or infinity");
        assert_error("[group:a]\ncommand = x\nbackoff = 5s\nbackoff_max = 1s\n", "F:4: backoff_max must not be shorter");
        assert_error("[group:a]\ncommand = x\n[group:b]\nparent = a\ncommand = y\n", "F:4: parent: 'a' is a group");
        assert_error("[group:a]\ncommand = x\nworkdir = relative\n", "F:3: workdir: must be an absolute path");
        assert_error("[group:a]\ncommand = x\nuser = no-such-user-here\n", "F:3: user: no such user");
        assert_error("[group:a]\ncommand = x\nstdout = syslog\n", "F:3: stdout: expected inherit");
        assert_error("[group:a]\nrestart = permanent\n  transient\ncommand = x\n", "F:3: indented line: 'restart' does not continue");
        assert_error("[group:bad name]\ncommand = x\n", "F:1: invalid name 'bad name'");
        assert_error("[supervisor:root]\nparent = other\n[supervisor:other]\n", "F:2: parent: the root supervisor has no parent");
        assert_error("[group:a]\ncommand = x\nthis line has no equals\n", "F:3: expected 'key = value'");
        assert_error("command = x\n", "F:1: key 'command' outside of any section");
}

static void test_cfg_load_cycle(void **state) {
        (void) state;
        assert_error("[supervisor:a]\nparent = b\n[supervisor:b]\nparent = c\n[supervisor:c]\nparent = a\n",
                     "F:2: parent: 'a' is part of a cycle");
        assert_error("[supervisor:a]\nparent = a\n", "F:2: parent: 'a' cannot be its own parent");
}

/* A file with N_SUP supervisors s1 > s2 > ... nested in a chain, and a
 * group "leaf" under the last: the leaf is N_SUP + 1 levels deep.  With
 * REVERSED the sections come deepest first.  Ends with a newline; the
 * caller frees it. */
static char *chain_file(unsigned n_sup, bool reversed) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        assert_non_null(f);
        for (unsigned k = 0; k < n_sup; k++) {
                unsigned i = reversed ? n_sup - k : k + 1;
                fprintf(f, "[supervisor:s%u]\n", i);
                if (i > 1)
                        fprintf(f, "parent = s%u\n", i - 1);
        }
        fprintf(f, "[group:leaf]\n");
        if (n_sup > 0)
                fprintf(f, "parent = s%u\n", n_sup);
        fprintf(f, "command = /bin/true\n");
        fclose(f);
        return text;
}

static void test_cfg_load_cycle_linear(void **state) {
        _cleanup_free_ char *errors = NULL;
        cfg *c = NULL;

        (void) state;
        /* A chain into a cycle: the cycle (b, c) is reported once, at b;
         * a, which only leads into it, is not on it. */
        assert_int_equal(load("[supervisor:a]\nparent = b\n"
                              "[supervisor:b]\nparent = c\n"
                              "[supervisor:c]\nparent = b\n"
                              "[supervisor:x]\nparent = y\n"
                              "[supervisor:y]\nparent = x\n"
                              "[group:below]\nparent = a\ncommand = /bin/true\n", &c, &errors), -EINVAL);
        assert_null(c);
        assert_string_equal(errors, "F:4: parent: 'b' is part of a cycle of supervisors\n"
                                    "F:8: parent: 'x' is part of a cycle of supervisors\n");
}

static void test_cfg_load_depth_limit(void **state) {
        cfg *c = NULL;

        (void) state;
        /* At the limit: loads, every node's depth known. */
        for (int reversed = 0; reversed <= 1; reversed++) {
                _cleanup_free_ char *text = chain_file(CFG_DEPTH_MAX - 1, reversed), *errors = NULL;
                int leaf, s1;

                assert_int_equal(load(text, &c, &errors), 0);
                assert_string_equal(errors, "");
                leaf = cfg_find(c, "leaf");
                s1 = cfg_find(c, "s1");
                assert_true(leaf > 0 && s1 > 0);
                assert_int_equal(c->nodes[leaf].depth, CFG_DEPTH_MAX);
                assert_int_equal(c->nodes[s1].depth, 1);
                assert_int_equal(c->nodes[CFG_ROOT].depth, 0);
                c = cfg_free(c);
        }
        /* One level too deep: one error, at the parent = of the node
         * that is too deep, whatever the order of the file. */
        {
                _cleanup_free_ char *text = chain_file(CFG_DEPTH_MAX, false), *errors = NULL;
                char want[128];

                assert_int_equal(load(text, &c, &errors), -EINVAL);
                assert_null(c);
                /* s1 takes line 1, each next supervisor 2 lines; leaf's parent = is
                 * the line after its header. */
                snprintf(want, sizeof(want), "F:%u: parent: 'leaf' is nested deeper than %u levels below the root "
                         "supervisor\n", 1 + 2 * (CFG_DEPTH_MAX - 1) + 2, CFG_DEPTH_MAX);
                assert_string_equal(errors, want);
        }
        {
                _cleanup_free_ char *text = chain_file(CFG_DEPTH_MAX + 5, true), *errors = NULL;

                assert_int_equal(load(text, &c, &errors), -EINVAL);
                assert_null(c);
                /* s33 is the first too deep; what is below it is not said again. */
                if (!strstr(errors, "parent: 's33' is nested deeper than 32 levels") || strchr(errors, '\n')[1])
                        fail_msg("expected one error about s33 in:\n%s", errors);
        }
}

static uint64_t load_usec(const char *text, int expect, const char *expect_error) {
        _cleanup_free_ char *errors = NULL;
        uint64_t t = now_usec();
        cfg *c = NULL;

        assert_int_equal(load(text, &c, &errors), expect);
        t = now_usec() - t;
        if (expect_error && !strstr(errors, expect_error))
                fail_msg("expected \"%s\" in:\n%.2000s", expect_error, errors);
        cfg_free(c);
        return t;
}

/* What a config writer can make the loader do is linear: the cycle and
 * depth checks, the duplicate names, the growth of the node table.  The
 * bounds are generous (ASan, a loaded machine): quadratic checks took
 * tens of seconds on the deep file. */
static void test_cfg_load_big_files_linear(void **state) {
        _cleanup_free_ char *deep = chain_file(CFG_NODES_MAX - 1, false), *rdeep = chain_file(CFG_NODES_MAX - 1, true);
        char *flat = NULL, *dup = NULL, *many = NULL;
        size_t size = 0;
        uint64_t t;
        FILE *f;

        (void) state;
        /* One cycle through every node: following each node's parents
         * round it was quadratic (10^10 steps). */
        {
                _cleanup_free_ char *ring = NULL;

                f = open_memstream(&ring, &size);
                for (unsigned i = 1; i < CFG_NODES_MAX; i++)
                        fprintf(f, "[supervisor:s%u]\nparent = s%u\n", i, i > 1 ? i - 1 : CFG_NODES_MAX - 1);
                fclose(f);
                t = load_usec(ring, -EINVAL, "F:2: parent: 's1' is part of a cycle of supervisors\n");
                assert_true(t < 5 * USEC_PER_SEC);
        }

        t = load_usec(deep, -EINVAL, "nested deeper than");
        assert_true(t < 5 * USEC_PER_SEC);
        t = load_usec(rdeep, -EINVAL, "nested deeper than");
        assert_true(t < 5 * USEC_PER_SEC);

        /* 20,000 groups under the root, and 20,000 supervisors each
         * with a group: they load, fast. */
        f = open_memstream(&flat, &size);
        for (unsigned i = 0; i < 20000; i++)
                fprintf(f, "[supervisor:s%u]\n[group:g%u]\nparent = s%u\ncommand = /bin/true\n", i, i, i);
        fclose(f);
        t = load_usec(flat, 0, NULL);
        print_message("40,000 nodes: %llu ms\n", (unsigned long long) (t / 1000));
        assert_true(t < 5 * USEC_PER_SEC);

        /* The same name 20,000 times: each a duplicate, found at once. */
        f = open_memstream(&dup, &size);
        for (unsigned i = 0; i < 20000; i++)
                fprintf(f, "[group:same]\ncommand = /bin/true\n");
        fclose(f);
        t = load_usec(dup, -EINVAL, "duplicate name 'same' (first defined at line 1)");
        assert_true(t < 5 * USEC_PER_SEC);
        free(dup);

        /* A value continued over many lines is appended in place (joined
         * anew for each line, 16 MB of them took 47 s); past 128 KiB it
         * is an error, said once. */
        {
                _cleanup_free_ char *cont = NULL, *errors = NULL;
                cfg *c = NULL;
                int i;

                f = open_memstream(&cont, &size);
                fprintf(f, "[group:a]\ncommand = /bin/echo\n");
                for (unsigned k = 0; k < 15000; k++)
                        fprintf(f, " a%u\n", k);
                fclose(f);
                t = now_usec();
                assert_int_equal(load(cont, &c, &errors), 0);
                assert_true(now_usec() - t < 5 * USEC_PER_SEC);
                i = cfg_find(c, "a");
                assert_true(i > 0);
                assert_string_equal(c->nodes[i].argv[15000], "a14999");
                cfg_free(c);
                free(cont);
                cont = NULL;

                f = open_memstream(&cont, &size);
                fprintf(f, "[group:a]\ncommand = /bin/true\nenvironment = A=1\n");
                for (unsigned k = 0; k < 4000; k++)
                        fprintf(f, "  B%u=%04000u\n", k, k);
                fclose(f);
                t = load_usec(cont, -EINVAL, "F:36: 'environment' longer than 131072 bytes\n");
                assert_true(t < 5 * USEC_PER_SEC);
        }

        /* More sections than CFG_NODES_MAX: refused there, not read on. */
        f = open_memstream(&many, &size);
        for (unsigned i = 0; i <= CFG_NODES_MAX; i++)
                fprintf(f, "[group:g%u]\ncommand = /bin/true\n", i);
        fclose(f);
        t = load_usec(many, -EINVAL, "more than 100000 supervisors and groups");
        assert_true(t < 10 * USEC_PER_SEC);
        free(many);
        free(flat);
}

static void test_cfg_load_line_too_long(void **state) {
        _cleanup_free_ char *text = malloc(16384), *errors = NULL;
        cfg *c = NULL;

        (void) state;
        /* A value line over 4096 bytes is an error, never a cut value. */
        snprintf(text, 16384, "[group:a]\ncommand = /bin/echo %05000d\n", 7);
        assert_error(text, "F:2: line too long (at most 4096 bytes)");
        /* A long value well within it is fine (libinih stopped at 198). */
        snprintf(text, 16384, "[group:a]\ncommand = /bin/echo %01000d\n", 7);
        assert_int_equal(load(text, &c, &errors), 0);
        assert_int_equal(strlen(c->nodes[cfg_find(c, "a")].argv[1]), 1000);
        cfg_free(c);
        c = NULL;
        free(errors);
        errors = NULL;
        /* A comment of any length is a comment. */
        memset(text, 0, 16384);
        strcpy(text, "; ");
        memset(text + 2, 'x', 12000);
        strcat(text, "\n[group:a]\ncommand = /bin/true\n  # and an indented one\n");
        assert_int_equal(load(text, &c, &errors), 0);
        assert_string_equal(errors, "");
        cfg_free(c);
}

static void test_cfg_load_quoted_semicolon(void **state) {
        _cleanup_free_ char *errors = NULL;
        cfg *c = NULL;
        const cfg_node *n;

        (void) state;
        assert_int_equal(load("[group:a]\n"
                              "command = sh -c 'echo one ; echo two' ; a comment\n"
                              "[group:b]\n"
                              "command = /bin/echo \"--password=abc ;def\" x\n"
                              "[group:c]\n"
                              "command = /bin/echo a\n"
                              "  'b ; c' ; comment on a continuation\n"
                              "[group:d]\n"
                              "command = /bin/echo not\\ ;quoted\n",
                              &c, &errors), 0);
        assert_string_equal(errors, "");
        n = &c->nodes[cfg_find(c, "a")];
        assert_string_equal(n->argv[2], "echo one ; echo two");
        assert_null(n->argv[3]);
        n = &c->nodes[cfg_find(c, "b")];
        assert_string_equal(n->argv[1], "--password=abc ;def");
        assert_string_equal(n->argv[2], "x");
        n = &c->nodes[cfg_find(c, "c")];
        assert_string_equal(n->argv[2], "b ; c");
        assert_null(n->argv[3]);
        /* An unquoted ';' after whitespace is still a comment. */
        n = &c->nodes[cfg_find(c, "d")];
        assert_string_equal(n->argv[1], "not ;quoted");
        cfg_free(c);
        c = NULL;
        free(errors);
        errors = NULL;
        /* An unquoted one cuts, as documented. */
        assert_int_equal(load("[group:a]\ncommand = /bin/echo --password=abc ;def\n", &c, &errors), 0);
        assert_string_equal(c->nodes[cfg_find(c, "a")].argv[1], "--password=abc");
        cfg_free(c);
}

/* Errors come out in line order, whichever pass found them. */
static void test_cfg_load_errors_in_line_order(void **state) {
        _cleanup_free_ char *errors = NULL;
        cfg *c = NULL;
        const char *p;
        unsigned last = 0, n = 0;

        (void) state;
        assert_int_equal(load("[group:a]\n"                       /* 1 */
                              "command = x\n"                      /* 2 */
                              "parent = nowhere\n"                 /* 3: found last, by link_tree */
                              "backoff = soon\n"                   /* 4 */
                              "bogus = 1\n"                        /* 5: found first, while reading */
                              "[group:b]\n"                        /* 6: no command, found per node */
                              "instances = 0\n"                    /* 7 */
                              "[frob]\n",                          /* 8 */
                              &c, &errors), -EINVAL);
        for (p = errors; (p = strstr(p, "F:")); p++) {
                unsigned line = (unsigned) atoi(p + 2);
                assert_true(line >= last);
                last = line;
                n++;
        }
        assert_int_equal(n, 6);
}

static void test_cfg_load_bad_files(void **state) {
        char dir[] = "/tmp/airsup-test-dir-XXXXXX";
        char *buf = NULL;
        size_t size = 0;
        FILE *err;
        cfg *c = NULL;

        (void) state;
        assert_non_null(mkdtemp(dir));
        err = open_memstream(&buf, &size);
        assert_int_equal(cfg_load(dir, err, &c), -EISDIR);
        fclose(err);
        assert_non_null(strstr(buf, "Is a directory"));
        free(buf);
        rmdir(dir);

        /* A device (or a FIFO) is not read at all: a reload must not
         * wait on it. */
        buf = NULL;
        err = open_memstream(&buf, &size);
        assert_int_equal(cfg_load("/dev/zero", err, &c), -EBADFD);
        fclose(err);
        assert_non_null(strstr(buf, "/dev/zero: not a regular file"));
        free(buf);

        /* A NUL byte ends at once: an error on its line. */
        {
                char path[] = "/tmp/test-cfg-nul.XXXXXX";
                int fd = mkstemp(path);

                assert_true(fd >= 0);
                assert_int_equal(write(fd, "[group:a]\ncommand = x\0y\n", 24), 24);
                close(fd);
                buf = NULL;
                err = open_memstream(&buf, &size);
                assert_int_equal(cfg_load(path, err, &c), -EINVAL);
                fclose(err);
                assert_non_null(strstr(buf, ":2: NUL byte in line"));
                free(buf);
                unlink(path);
        }
}

static void test_cfg_load_reports_every_error(void **state) {
        _cleanup_free_ char *errors = NULL;
        cfg *c = NULL;

        (void) state;
        assert_int_equal(load("[group:a]\ncommand = x\nfoo = 1\nbar = 2\n", &c, &errors), -EINVAL);
        assert_non_null(strstr(errors, "F:3: unknown key 'foo'"));
        assert_non_null(strstr(errors, "F:4: unknown key 'bar'"));
}

/* Out-of-memory injection: while armed, the Nth strdup()/strndup() made by
 * the loader (linked into this program, so these definitions are the ones
 * it calls) fails. */
static int dup_fail_at = -1, dup_calls;

static bool dup_fails(void) {
        return dup_fail_at >= 0 && dup_calls++ == dup_fail_at;
}

char *strdup(const char *s) {
        size_t n = strlen(s) + 1;
        char *d = dup_fails() ? NULL : malloc(n);
        return d ? memcpy(d, s, n) : NULL;
}

char *strndup(const char *s, size_t max) {
        size_t n = strnlen(s, max);
        char *d = dup_fails() ? NULL : malloc(n + 1);
        if (!d)
                return NULL;
        memcpy(d, s, n);
        d[n] = '\0';
        return d;
}

/* A copy that fails anywhere fails the whole load: never a configuration
 * that silently lost its user, its paths or its command. */
static void test_cfg_load_out_of_memory_fails_whole(void **state) {
        static const char text[] =
                "[airsupd]\ncontrol = /run/x/control\n"
                "[supervisor:s]\nstrategy = one_for_all\n"
                "[group:g]\nparent = s\ncommand = /bin/sleep 'a b' c\nuser = nobody\n"
                "workdir = /tmp\nenvironment = A=1 B=2\nstdout = file:/tmp/o\nhealth = exec:/bin/true\n";
        char path[] = "/tmp/airsup-test-cfg-XXXXXX";
        FILE *null = fopen("/dev/null", "w");
        int fd, failures = 0;

        (void) state;
        fd = mkstemp(path);
        assert_true(fd >= 0 && null);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
        for (int k = 0;; k++) {
                cfg *c = NULL;
                int r;

                dup_calls = 0;
                dup_fail_at = k;
                r = cfg_load(path, null, &c);
                dup_fail_at = -1;
                if (dup_calls <= k) {
                        /* Nothing failed: the whole file loaded. */
                        assert_int_equal(r, 0);
                        assert_string_equal(c->nodes[2].user, "nobody");
                        cfg_free(c);
                        break;
                }
                assert_true(r < 0);
                assert_null(c);
                failures++;
        }
        assert_true(failures >= 10);
        unlink(path);
        fclose(null);
}

/* Every enum's names come from one table: each name maps back to its value. */
static cfg *load_ok(const char *text) {
        _cleanup_free_ char *errors = NULL;
        cfg *c = NULL;

        assert_int_equal(load(text, &c, &errors), 0);
        return c;
}

/* A reload's plan between two big files is linear too: matching by name
 * goes through the index, and the order of each supervisor's children
 * is checked in one pass (a pass over the file per supervisor took
 * 1.9 s with 20,000 of them, and grows as their square). */
static void test_reload_plan_big_linear(void **state) {
        char *a = NULL, *b = NULL;
        size_t size = 0;
        reload_plan p = {};
        uint64_t t;
        cfg *old, *new;
        FILE *f;

        (void) state;
        f = open_memstream(&a, &size);
        for (unsigned i = 0; i < 33000; i++)
                fprintf(f, "[supervisor:s%u]\n[group:g%u]\nparent = s%u\ncommand = /bin/true\n"
                        "[group:h%u]\nparent = s%u\ncommand = /bin/true\n", i, i, i, i, i);
        fclose(f);
        /* The same, each supervisor's two children the other way round,
         * and the supervisors too. */
        f = open_memstream(&b, &size);
        for (unsigned i = 33000; i-- > 0;)
                fprintf(f, "[supervisor:s%u]\n[group:h%u]\nparent = s%u\ncommand = /bin/true\n"
                        "[group:g%u]\nparent = s%u\ncommand = /bin/true\n", i, i, i, i, i);
        fclose(f);
        old = load_ok(a);
        new = load_ok(b);
        t = now_usec();
        assert_int_equal(reload_plan_build(old, new, &p), 0);
        t = now_usec() - t;
        print_message("plan of 99,000 nodes: %llu ms\n", (unsigned long long) (t / 1000));
        assert_true(t < 3 * USEC_PER_SEC);
        /* Every supervisor and the root: their children's order, in place. */
        assert_int_equal(p.count[RELOAD_IN_PLACE], 33001);
        assert_int_equal(p.count[RELOAD_KEEP], 66000);
        for (size_t i = 0; i < p.n; i++)
                if (p.items[i].action == RELOAD_IN_PLACE)
                        assert_int_equal(p.items[i].keys, CFG_KEY_BIT(CFG_KEY_ORDER));
        reload_plan_done(&p);
        cfg_free(old);
        cfg_free(new);
        free(a);
        free(b);
}

static void test_string_tables_round_trip(void **state) {
        (void) state;
        for (int i = 0; i < _CFG_STRATEGY_MAX; i++)
                assert_int_equal(cfg_strategy_from_string(cfg_strategy_to_string(i)), i);
        for (int i = 0; i < _CFG_RESTART_MAX; i++)
                assert_int_equal(cfg_restart_from_string(cfg_restart_to_string(i)), i);
        for (int i = 0; i < _CFG_HEALTH_MAX; i++)
                assert_int_equal(cfg_health_from_string(cfg_health_to_string(i)), i);
        for (int i = 0; i < _SUP_EVENT_MAX; i++)
                assert_int_equal(sup_event_type_from_string(sup_event_type_to_string(i)), i);
        for (int i = 0; i < _PROC_STATE_MAX; i++)
                assert_int_equal(proc_state_from_string(proc_state_to_string(i)), i);
        assert_int_equal(cfg_strategy_from_string("one_for_most"), -EINVAL);
        assert_int_equal(cfg_restart_from_string(NULL), -EINVAL);
        assert_null(cfg_strategy_to_string(_CFG_STRATEGY_MAX));
        assert_null(proc_state_to_string(-1));
        assert_string_equal(proc_state_to_string(PROC_KILLING), "killing");
        assert_string_equal(sup_event_type_to_string(SUP_EVENT_GAVE_UP), "gave-up");
}

static void test_cfg_load_missing_file(void **state) {
        FILE *err = fopen("/dev/null", "we");
        cfg *c = NULL;

        (void) state;
        assert_int_equal(cfg_load("/nonexistent/airsup.conf", err, &c), -ENOENT);
        assert_null(c);
        fclose(err);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cfg_parse_duration_units),
                cmocka_unit_test(test_cfg_parse_duration_rejects),
                cmocka_unit_test(test_cfg_parse_size_suffixes),
                cmocka_unit_test(test_cfg_parse_signal_names),
                cmocka_unit_test(test_cfg_split_argv_quoting),
                cmocka_unit_test(test_cfg_split_argv_errors),
                cmocka_unit_test(test_cfg_parse_environment),
                cmocka_unit_test(test_cfg_load_good),
                cmocka_unit_test(test_cfg_load_errors_name_lines),
                cmocka_unit_test(test_cfg_load_cycle),
                cmocka_unit_test(test_cfg_load_cycle_linear),
                cmocka_unit_test(test_cfg_load_depth_limit),
                cmocka_unit_test(test_cfg_load_big_files_linear),
                cmocka_unit_test(test_reload_plan_big_linear),
                cmocka_unit_test(test_cfg_load_line_too_long),
                cmocka_unit_test(test_cfg_expand_specifiers),
                cmocka_unit_test(test_cfg_load_quoted_semicolon),
                cmocka_unit_test(test_cfg_load_errors_in_line_order),
                cmocka_unit_test(test_cfg_load_bad_files),
                cmocka_unit_test(test_cfg_load_reports_every_error),
                cmocka_unit_test(test_cfg_load_missing_file),
                cmocka_unit_test(test_string_tables_round_trip),
                cmocka_unit_test(test_cfg_load_out_of_memory_fails_whole),
        };
        return cmocka_run_group_tests_name("cfg", tests, NULL, NULL);
}
