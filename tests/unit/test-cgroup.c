/* test-cgroup.c - the limit values of airsup.conf(5) and what cgroup.c
 * writes for them: parsed from a real configuration file, rendered for a
 * machine of a known size; and an instance's cgroup as cgroup.c reads it
 * (cgroup.events, the figures), from a directory of real files that
 * stands for one, watched with inotify as a real one is. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "supervisor/config/cfg.h"
#include "common/cleanup.h"
#include "proc-fixture.h"
#include "report-fixture.h"
#include "supervisor/start/cgroup-fs.h"
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
                const cfg_limit *l = &cfg_node_extra(&c->nodes[web])->limits[want[i].k];

                assert_true(l->set);
                assert_int_equal(l->line, 5 + i);
                assert_string_equal(cgroup_limit_file(want[i].k), want[i].file);
                assert_int_equal(cgroup_limit_controller(want[i].k), want[i].controller);
                assert_int_equal(cgroup_limit_render(want[i].k, l, 4 * GIB, buf, sizeof(buf)), 0);
                assert_string_equal(buf, want[i].text);
        }
        assert_false(cfg_node_extra(&c->nodes[free_])->limits[CFG_LIMIT_MEMORY_MAX].set);
        assert_int_equal(cgroup_limit_render(CFG_LIMIT_CPU_MAX, &cfg_node_extra(&c->nodes[free_])->limits[CFG_LIMIT_CPU_MAX], 4 * GIB,
                                             buf, sizeof(buf)), 0);
        assert_string_equal(buf, "max 100000");
        /* An unset limit is not written; a buffer too small is an error. */
        assert_int_equal(cgroup_limit_render(CFG_LIMIT_MEMORY_MAX, &cfg_node_extra(&c->nodes[free_])->limits[CFG_LIMIT_MEMORY_MAX],
                                             4 * GIB, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(cgroup_limit_render(CFG_LIMIT_MEMORY_MAX, &cfg_node_extra(&c->nodes[web])->limits[CFG_LIMIT_MEMORY_MAX],
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

/* A directory standing for an instance's cgroup: FILE with TEXT in it. */
static void put(int dir, const char *file, const char *text) {
        _cleanup_close_ int fd = openat(dir, file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
}

static int fake_cgroup(char *path) {
        int fd;

        assert_non_null(mkdtemp(path));
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

static void fake_cgroup_free(int fd, const char *path) {
        static const char *const files[] = { "cgroup.events", "cpu.stat", "memory.current", "memory.peak",
                                             "pids.current", "memory.max", "memory.events" };

        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
                (void) unlinkat(fd, files[i], 0);
        close(fd);
        assert_int_equal(rmdir(path), 0);
}

/* Emptiness is what cgroup.events says; one that cannot be read is
 * taken as still populated (a stop must not end early). */
static void test_cgroup_populated_from_events(void **state) {
        char path[] = "/tmp/airsup-test-cg-XXXXXX";
        sup_proc p = { .cgroup = CGROUP_PROC_INIT };

        (void) state;
        assert_false(cgroup_populated(&p));
        p.cgroup.fd = fake_cgroup(path);
        assert_true(cgroup_populated(&p));
        put(p.cgroup.fd, "cgroup.events", "populated 1\nfrozen 0\n");
        assert_true(cgroup_populated(&p));
        put(p.cgroup.fd, "cgroup.events", "populated 0\nfrozen 0\n");
        assert_false(cgroup_populated(&p));
        fake_cgroup_free(p.cgroup.fd, path);
}

/* The figures: each file that is there, and the OOM kills as last seen. */
static void test_cgroup_figures(void **state) {
        char path[] = "/tmp/airsup-test-cg-XXXXXX";
        sup_proc p = { .cgroup = CGROUP_PROC_INIT };
        cgroup_figures f;

        (void) state;
        assert_int_equal(cgroup_figures_read(&p, &f), -ENODATA);
        p.cgroup.fd = fake_cgroup(path);
        p.cgroup.oom_kills = 3;
        put(p.cgroup.fd, "cpu.stat", "usage_usec 1234\nuser_usec 1000\nsystem_usec 234\n");
        put(p.cgroup.fd, "memory.current", "4096\n");
        assert_int_equal(cgroup_figures_read(&p, &f), 0);
        assert_true(f.has_cpu && f.has_memory && !f.has_pids);
        assert_int_equal(f.cpu_usec, 1234);
        assert_int_equal(f.memory_bytes, 4096);
        assert_int_equal(f.memory_peak, 0);
        assert_int_equal(f.oom_kills, 3);
        put(p.cgroup.fd, "pids.current", "7\n");
        put(p.cgroup.fd, "memory.peak", "8192\n");
        assert_int_equal(cgroup_figures_read(&p, &f), 0);
        assert_true(f.has_pids);
        assert_int_equal(f.pids, 7);
        assert_int_equal(f.memory_peak, 8192);
        fake_cgroup_free(p.cgroup.fd, path);
}

/* The file helpers both halves share: a whole write, a bounded read, a
 * flat key's value (a key that is the prefix of another is not it). */
static void test_cgroup_fs_helpers(void **state) {
        char path[] = "/tmp/airsup-test-cg-XXXXXX", buf[8];
        int fd = fake_cgroup(path);
        uint64_t v = 0;

        (void) state;
        put(fd, "memory.max", "");
        assert_int_equal(cgroup_write_at(fd, "memory.max", "max"), 0);
        assert_int_equal(cgroup_read_at(fd, "memory.max", buf, sizeof(buf)), 3);
        assert_string_equal(buf, "max");
        assert_true(cgroup_write_at(fd, "no-such-file", "1") < 0);
        assert_int_equal(cgroup_read_at(fd, "no-such-file", buf, sizeof(buf)), -ENOENT);
        put(fd, "cpu.stat", "usage_usec_total 9\nusage_usec 5\n");
        assert_int_equal(cgroup_read_at(fd, "cpu.stat", buf, sizeof(buf)), 7);    /* cut at its size */
        assert_true(cgroup_key_value("usage_usec_total 9\nusage_usec 5\n", "usage_usec", &v));
        assert_int_equal(v, 5);
        assert_false(cgroup_key_value("populated1\n", "populated", &v));
        assert_int_equal(cgroup_parse_controllers("cpuset cpu io memory hugetlb pids rdma\n"),
                         CGROUP_CPU | CGROUP_IO | CGROUP_MEMORY | CGROUP_PIDS);
        assert_int_equal(cgroup_parse_controllers("cpuset\n"), 0);
        fake_cgroup_free(fd, path);
}

/* An instance's cgroup made below a TOP that is a plain directory: its
 * limits written, its emptiness and its OOM kills seen through inotify
 * on the files the kernel would change, the first reported to the proc
 * table (PROC_REPORT_GROUP_EMPTY), the second an event. */
static void test_cgroup_proc_open_watches_it(void **state) {
        char top[] = "/tmp/airsup-test-top-XXXXXX", leaf[PATH_MAX], buf[64];
        sup_cgroup g = { .top = top, .enabled = CGROUP_MEMORY, .ram_bytes = 1u << 30 };
        fixture *f = fixture_new("memory_max = 256M\n");
        _cleanup_close_ int fd = -EBADF;
        uint64_t deadline;

        (void) state;
        reports_reset();
        f->m->report = rec_report;
        assert_non_null(mkdtemp(top));
        /* What the kernel would have there as the directory is made. */
        snprintf(leaf, sizeof(leaf), "%s/root", top);
        assert_int_equal(mkdir(leaf, 0755), 0);
        snprintf(leaf, sizeof(leaf), "%s/root/g", top);
        assert_int_equal(mkdir(leaf, 0755), 0);
        fd = open(leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        put(fd, "cgroup.events", "populated 0\n");
        put(fd, "memory.events", "low 0\noom 0\noom_kill 1\n");
        put(fd, "memory.max", "max\n");

        f->m->cgroup = &g;
        assert_int_equal(cgroup_proc_open(f->p), 0);
        assert_true(f->p->cgroup.fd >= 0);
        assert_string_equal(f->p->cgroup.path, leaf);
        assert_int_equal(f->p->cgroup.oom_kills, 1);
        assert_int_equal(cgroup_read_at(fd, "memory.max", buf, sizeof(buf)), 9);
        assert_string_equal(buf, "268435456");

        put(fd, "cgroup.events", "populated 1\n");
        deadline = mono_usec() + 100000;
        while (mono_usec() < deadline)
                (void) sd_event_run(f->e, 10000);
        assert_int_equal(reports.n[PROC_REPORT_GROUP_EMPTY], 0);
        put(fd, "cgroup.events", "populated 0\n");
        assert_true(run_until(f->e, PROC_REPORT_GROUP_EMPTY, 1));

        put(fd, "memory.events", "low 0\noom 1\noom_kill 3\n");
        deadline = mono_usec() + 5000000;
        while (f->p->cgroup.oom_kills != 3 && mono_usec() < deadline)
                (void) sd_event_run(f->e, 10000);
        assert_int_equal(f->p->cgroup.oom_kills, 3);
        assert_non_null(strstr(f->events, "oom-kill"));

        cgroup_proc_close(f->p);
        assert_int_equal(f->p->cgroup.fd, -EBADF);
        assert_null(f->p->cgroup.path);
        assert_null(f->p->cgroup.events);
        f->m->cgroup = NULL;
        fake_cgroup_free(TAKE_FD(fd), leaf);
        snprintf(leaf, sizeof(leaf), "%s/root", top);
        assert_int_equal(rmdir(leaf), 0);
        assert_int_equal(rmdir(top), 0);
        fixture_free(f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cgroup_limit_values),
                cmocka_unit_test(test_cgroup_what_is_written),
                cmocka_unit_test(test_cgroup_config_errors),
                cmocka_unit_test(test_cgroup_top_owner),
                cmocka_unit_test(test_cgroup_populated_from_events),
                cmocka_unit_test(test_cgroup_figures),
                cmocka_unit_test(test_cgroup_fs_helpers),
                cmocka_unit_test(test_cgroup_proc_open_watches_it),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
