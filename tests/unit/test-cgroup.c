/* test-cgroup.c - the limit values of airsup.conf(5) and what cgroup.c
 * writes for them: parsed from a real configuration file, rendered for a
 * machine of a known size. */
#define _GNU_SOURCE
#include <errno.h>
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
#include "supervisor/start/cgroup.h"

#define GIB (UINT64_C(1) << 30)

static void test_cgroup_limit_values(void **state) {
        cfg_limit l;

        (void) state;
        assert_int_equal(cfg_parse_limit(CFG_LIMIT_MEMORY_MAX, "512M", &l), 0);
        assert_true(l.set && !l.infinity && !l.percent);
        assert_int_equal(l.value, 512u << 20);
        assert_int_equal(cfg_parse_limit(CFG_LIMIT_MEMORY_HIGH, "50%", &l), 0);
        assert_true(l.percent);
        assert_int_equal(l.value, 5000);
        assert_int_equal(cfg_parse_limit(CFG_LIMIT_MEMORY_MAX, "12.5%", &l), 0);
        assert_int_equal(l.value, 1250);
        assert_int_equal(cfg_parse_limit(CFG_LIMIT_MEMORY_MAX, "infinity", &l), 0);
        assert_true(l.infinity);
        assert_int_equal(cfg_parse_limit(CFG_LIMIT_PIDS_MAX, "64", &l), 0);
        assert_int_equal(l.value, 64);
        assert_int_equal(cfg_parse_limit(CFG_LIMIT_CPU_MAX, "250%", &l), 0);
        assert_int_equal(l.value, 25000);
        assert_int_equal(cfg_parse_limit(CFG_LIMIT_CPU_WEIGHT, "100", &l), 0);
        assert_int_equal(cfg_parse_limit(CFG_LIMIT_IO_WEIGHT, "10000", &l), 0);

        /* What each refuses. */
        assert_int_not_equal(cfg_parse_limit(CFG_LIMIT_MEMORY_MAX, "0", &l), 0);
        assert_int_not_equal(cfg_parse_limit(CFG_LIMIT_MEMORY_MAX, "101%", &l), 0);
        assert_int_not_equal(cfg_parse_limit(CFG_LIMIT_MEMORY_MAX, "0%", &l), 0);
        assert_int_not_equal(cfg_parse_limit(CFG_LIMIT_MEMORY_MAX, "1.234%", &l), 0);
        assert_int_not_equal(cfg_parse_limit(CFG_LIMIT_MEMORY_MAX, "50%%", &l), 0);
        assert_int_not_equal(cfg_parse_limit(CFG_LIMIT_MEMORY_MAX, "-1", &l), 0);
        assert_int_not_equal(cfg_parse_limit(CFG_LIMIT_MEMORY_MAX, "5X", &l), 0);
        assert_int_not_equal(cfg_parse_limit(CFG_LIMIT_MEMORY_MAX, "", &l), 0);
        assert_int_not_equal(cfg_parse_limit(CFG_LIMIT_PIDS_MAX, "0", &l), 0);
        assert_int_not_equal(cfg_parse_limit(CFG_LIMIT_PIDS_MAX, "50%", &l), 0);
        assert_int_not_equal(cfg_parse_limit(CFG_LIMIT_CPU_WEIGHT, "0", &l), 0);
        assert_int_not_equal(cfg_parse_limit(CFG_LIMIT_CPU_WEIGHT, "10001", &l), 0);
        assert_int_not_equal(cfg_parse_limit(CFG_LIMIT_CPU_WEIGHT, "infinity", &l), 0);
        assert_int_not_equal(cfg_parse_limit(CFG_LIMIT_IO_WEIGHT, "infinity", &l), 0);
        assert_int_not_equal(cfg_parse_limit(CFG_LIMIT_CPU_MAX, "0.5%", &l), 0);
        assert_int_not_equal(cfg_parse_limit(CFG_LIMIT_CPU_MAX, "50", &l), 0);
        assert_int_not_equal(cfg_parse_limit(CFG_LIMIT_CPU_MAX, "99999999999%", &l), 0);
        assert_int_not_equal(cfg_parse_limit(_CFG_LIMIT_MAX, "1", &l), 0);
}

/* A configuration's limits, as the files and texts cgroup.c writes. */
static void test_cgroup_what_is_written(void **state) {
        static const char text[] =
                "[airsupd]\n"
                "cgroup = required\n"
                "[group:web]\n"
                "command = /bin/true\n"
                "memory_max = 512M\n"
                "memory_high = 25%\n"
                "pids_max = infinity\n"
                "cpu_weight = 200\n"
                "cpu_max = 150%\n"
                "io_weight = 50\n"
                "[group:free]\n"
                "command = /bin/true\n"
                "cpu_max = infinity\n";
        static const struct { cfg_limit_kind k; const char *file, *text; unsigned controller; } want[] = {
                { CFG_LIMIT_MEMORY_MAX, "memory.max", "536870912", CGROUP_MEMORY },
                { CFG_LIMIT_MEMORY_HIGH, "memory.high", "1073741824", CGROUP_MEMORY },  /* a quarter of 4G */
                { CFG_LIMIT_PIDS_MAX, "pids.max", "max", CGROUP_PIDS },
                { CFG_LIMIT_CPU_WEIGHT, "cpu.weight", "200", CGROUP_CPU },
                { CFG_LIMIT_CPU_MAX, "cpu.max", "150000 100000", CGROUP_CPU },
                { CFG_LIMIT_IO_WEIGHT, "io.weight", "default 50", CGROUP_IO },
        };
        char path[] = "/tmp/airsup-test-cgroup-XXXXXX", buf[64];
        FILE *null = fopen("/dev/null", "w");
        int fd = mkstemp(path), web, free_;
        cfg *c = NULL;

        (void) state;
        assert_true(fd >= 0 && null);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
        assert_int_equal(cfg_load(path, null, &c), 0);
        assert_int_equal(c->cgroup, CFG_CGROUP_REQUIRED);
        assert_int_equal(c->cgroup_line, 2);
        web = cfg_find(c, "web");
        free_ = cfg_find(c, "free");
        assert_true(web >= 0 && free_ >= 0);
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                const cfg_limit *l = &c->nodes[web].limits[want[i].k];

                assert_true(l->set);
                assert_int_equal(l->line, 5 + i);
                assert_string_equal(cgroup_limit_file(want[i].k), want[i].file);
                assert_int_equal(cgroup_limit_controller(want[i].k), want[i].controller);
                assert_int_equal(cgroup_limit_render(want[i].k, l, 4 * GIB, buf, sizeof(buf)), 0);
                assert_string_equal(buf, want[i].text);
        }
        assert_false(c->nodes[free_].limits[CFG_LIMIT_MEMORY_MAX].set);
        assert_int_equal(cgroup_limit_render(CFG_LIMIT_CPU_MAX, &c->nodes[free_].limits[CFG_LIMIT_CPU_MAX], 4 * GIB,
                                             buf, sizeof(buf)), 0);
        assert_string_equal(buf, "max 100000");
        /* An unset limit is not written; a buffer too small is an error. */
        assert_int_equal(cgroup_limit_render(CFG_LIMIT_MEMORY_MAX, &c->nodes[free_].limits[CFG_LIMIT_MEMORY_MAX],
                                             4 * GIB, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(cgroup_limit_render(CFG_LIMIT_MEMORY_MAX, &c->nodes[web].limits[CFG_LIMIT_MEMORY_MAX],
                                             4 * GIB, buf, 4), -ENOBUFS);
        cfg_free(c);
        unlink(path);
        fclose(null);
}

/* Bad values are errors at FILE:LINE, like every other key. */
static void test_cgroup_config_errors(void **state) {
        static const char text[] =
                "[airsupd]\n"
                "cgroup = sometimes\n"
                "[group:web]\n"
                "command = /bin/true\n"
                "memory_max = lots\n"
                "cpu_max = 50\n";
        char path[] = "/tmp/airsup-test-cgroup-XXXXXX", *out = NULL, want[128];
        size_t len = 0;
        FILE *err = open_memstream(&out, &len);
        int fd = mkstemp(path);
        cfg *c = NULL;

        (void) state;
        assert_true(fd >= 0 && err);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
        assert_int_equal(cfg_load(path, err, &c), -EINVAL);
        fclose(err);
        snprintf(want, sizeof(want), "%s:2: cgroup: expected auto, off or required, got 'sometimes'", path);
        assert_non_null(strstr(out, want));
        snprintf(want, sizeof(want), "%s:5: memory_max: expected bytes", path);
        assert_non_null(strstr(out, want));
        snprintf(want, sizeof(want), "%s:6: cpu_max: expected a percentage of one CPU", path);
        assert_non_null(strstr(out, want));
        free(out);
        unlink(path);
}

/* Only "airsupd-" and a pid, as airsupd names its tree, is swept at
 * start: nothing else in the parent cgroup is airsupd's to remove. */
static void test_cgroup_top_owner(void **state) {
        (void) state;
        assert_int_equal(cgroup_top_owner("airsupd-4242"), 4242);
        assert_int_equal(cgroup_top_owner("airsupd-1"), 1);
        assert_int_equal(cgroup_top_owner("airsupd-2147483647"), 2147483647);
        assert_int_equal(cgroup_top_owner("airsupd-2147483648"), 0);
        assert_int_equal(cgroup_top_owner("airsupd-99999999999999999999"), 0);
        assert_int_equal(cgroup_top_owner("airsupd-0"), 0);
        assert_int_equal(cgroup_top_owner("airsupd-042"), 0);
        assert_int_equal(cgroup_top_owner("airsupd-"), 0);
        assert_int_equal(cgroup_top_owner("airsupd-12a"), 0);
        assert_int_equal(cgroup_top_owner("airsupd--12"), 0);
        assert_int_equal(cgroup_top_owner("airsupd-+12"), 0);
        assert_int_equal(cgroup_top_owner("airsupd- 12"), 0);
        assert_int_equal(cgroup_top_owner("airsupd"), 0);
        assert_int_equal(cgroup_top_owner("_airsupd"), 0);
        assert_int_equal(cgroup_top_owner("xairsupd-12"), 0);
        assert_int_equal(cgroup_top_owner("system.slice"), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cgroup_limit_values),
                cmocka_unit_test(test_cgroup_what_is_written),
                cmocka_unit_test(test_cgroup_config_errors),
                cmocka_unit_test(test_cgroup_top_owner),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
