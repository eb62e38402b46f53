/* test-logsink.c - a group's log file (logsink.c) in a real temporary
 * directory: lines with their time, rotation at log_max keeping log_keep
 * old files, a rotation that cannot move the file truncating it (and the
 * file saying so), and what the group's user may plant in the log's place
 * (a FIFO, a symbolic link, a hard link) refused, never written through or
 * waited on.  The promises are airsupd(8)'s; test-hostile-logs.sh makes
 * them against a running airsupd as an unprivileged attacker. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "supervisor/output/logsink.h"

typedef struct fixture {
        char top[64];
        char path[128];                 /* top/app.log */
        sd_event *loop;
        sup_events ev;
} fixture;

static int setup(void **state) {
        fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        snprintf(f->top, sizeof(f->top), "/tmp/airsup-test-logsink-XXXXXX");
        assert_non_null(mkdtemp(f->top));
        snprintf(f->path, sizeof(f->path), "%s/app.log", f->top);
        assert_int_equal(sd_event_new(&f->loop), 0);
        assert_int_equal(sup_events_init(&f->ev, 16, SUP_LOG_STDERR, false), 0);
        /* A test that would wait on a FIFO fails instead of hanging. */
        alarm(30);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        fixture *f = *state;
        char cmd[128];

        alarm(0);
        sup_events_done(&f->ev);
        sd_event_unref(f->loop);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->top);
        assert_int_equal(system(cmd), 0);
        free(f);
        return 0;
}

/* Lines "NAME 1" .. "NAME N" written by the group, then read by the sink. */
static void feed(fixture *f, log_sink *s, const char *name, unsigned n) {
        int fd = log_sink_writer(s);

        assert_true(fd >= 0);
        for (unsigned i = 1; i <= n; i++)
                assert_true(dprintf(fd, "%s %u\n", name, i) > 0);
        close(fd);
        while (sd_event_run(f->loop, 0) > 0)
                ;
}

/* The file's contents, NUL-terminated, in BUF; its size. */
static size_t slurp(const char *path, char *buf, size_t size) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        ssize_t n;

        assert_true(fd >= 0);
        n = read(fd, buf, size - 1);
        assert_true(n >= 0);
        buf[n] = '\0';
        close(fd);
        return (size_t) n;
}

static bool exists(const char *path) {
        struct stat st;

        return lstat(path, &st) == 0;
}

/* Every line of BUF: "TIME NAME I" with I counting up by one from *NEXT
 * (airsupd's own lines aside); *NEXT is the number after the last one. */
static void assert_lines_follow(const char *buf, const char *name, unsigned *next) {
        for (const char *l = buf; *l; l = strchr(l, '\n') + 1) {
                const char *sp = strchr(l, ' ');
                char want[64];

                assert_non_null(strchr(l, '\n'));
                assert_non_null(sp);
                /* 2026-12-06T17:45:03.123456+00:00 */
                assert_int_equal(sp - l, 32);
                assert_true(l[4] == '-' && l[10] == 'T' && l[19] == '.');
                if (strncmp(sp + 1, "airsupd: ", 9) == 0)
                        continue;
                snprintf(want, sizeof(want), " %s %u\n", name, *next);
                assert_memory_equal(sp, want, strlen(want));
                (*next)++;
        }
}

static void test_logsink_lines_with_their_time(void **state) {
        fixture *f = *state;
        log_sink *s = NULL;
        char buf[4096];
        unsigned next = 1;

        assert_int_equal(log_sink_new(f->loop, &f->ev, "app", f->path, 0, 0, &s), 0);
        feed(f, s, "line", 20);
        /* A line not ended yet waits for its end, or for the sink's. */
        int fd = log_sink_writer(s);
        assert_int_equal(write(fd, "line 21", 7), 7);
        close(fd);
        while (sd_event_run(f->loop, 0) > 0)
                ;
        slurp(f->path, buf, sizeof(buf));
        assert_null(strstr(buf, "line 21"));
        s = log_sink_free(s);
        slurp(f->path, buf, sizeof(buf));
        assert_lines_follow(buf, "line", &next);
        assert_int_equal(next, 22);
        /* Appended to, never truncated, by the next sink on the same file. */
        assert_int_equal(log_sink_new(f->loop, &f->ev, "app", f->path, 0, 0, &s), 0);
        feed(f, s, "line", 1);
        s = log_sink_free(s);
        slurp(f->path, buf, sizeof(buf));
        next = 1;
        assert_lines_follow(strstr(buf, " line 21\n") + strlen(" line 21\n"), "line", &next);
        assert_int_equal(next, 2);
        next = 1;
        *(strstr(buf, " line 21\n") + strlen(" line 21\n")) = '\0';
        assert_lines_follow(buf, "line", &next);
        assert_int_equal(next, 22);
}

/* The number in the first line of BUF that is not airsupd's own. */
static unsigned first_line(const char *buf) {
        const char *l = buf;

        while (strncmp(l + 33, "airsupd: ", 9) == 0)
                l = strchr(l, '\n') + 1;
        return (unsigned) atoi(strchr(l + 33, ' ') + 1);
}

/* log_max 200, log_keep 2: app.log.2, app.log.1 and app.log hold the
 * last lines in order, each file within the bound, nothing older kept. */
static void test_logsink_rotates_at_its_bound(void **state) {
        fixture *f = *state;
        char path[160], buf[4096];
        unsigned next = 0, total = 0;
        log_sink *s = NULL;

        assert_int_equal(log_sink_new(f->loop, &f->ev, "app", f->path, 200, 2, &s), 0);
        feed(f, s, "line", 40);
        s = log_sink_free(s);
        for (unsigned i = 3; i > 0; i--) {
                size_t n;

                snprintf(path, sizeof(path), "%s.%u", f->path, i);
                if (i == 3) {
                        assert_false(exists(path));
                        continue;
                }
                n = slurp(path, buf, sizeof(buf));
                assert_true(n > 0 && n <= 200);
                if (next == 0)
                        next = first_line(buf);
                total -= next;
                assert_lines_follow(buf, "line", &next);
                total += next;
        }
        assert_true(slurp(f->path, buf, sizeof(buf)) <= 200);
        total -= next;
        assert_lines_follow(buf, "line", &next);
        total += next;
        assert_int_equal(next, 41);
        /* 32 bytes of time, " line N\n": five lines of 40 bytes fill the
         * first file, four of 41 each later one; kept: lines 30 to 40. */
        assert_int_equal(total, 11);
}

/* log_keep 0: the full file is started afresh, no old one kept. */
static void test_logsink_keep_zero_starts_afresh(void **state) {
        fixture *f = *state;
        char path[160], buf[4096];
        unsigned next;
        log_sink *s = NULL;

        assert_int_equal(log_sink_new(f->loop, &f->ev, "app", f->path, 200, 0, &s), 0);
        feed(f, s, "line", 40);
        s = log_sink_free(s);
        snprintf(path, sizeof(path), "%s.1", f->path);
        assert_false(exists(path));
        assert_true(slurp(f->path, buf, sizeof(buf)) <= 200);
        next = first_line(buf);
        assert_int_equal(next, 38);
        assert_lines_follow(buf, "line", &next);
        assert_int_equal(next, 41);
}

/* app.log.1 a non-empty directory: app.log cannot move away, so it is
 * truncated instead, stays within log_max (and airsupd's line about it),
 * says what it discarded, and the directory is left as it was. */
static void test_logsink_failed_rotation_truncates(void **state) {
        fixture *f = *state;
        char path[160], buf[4096];
        unsigned next = 0;
        log_sink *s = NULL;
        const char *note;

        snprintf(path, sizeof(path), "%s.1", f->path);
        assert_int_equal(mkdir(path, 0700), 0);
        snprintf(path, sizeof(path), "%s.1/full", f->path);
        assert_int_equal(mkdir(path, 0700), 0);
        assert_int_equal(log_sink_new(f->loop, &f->ev, "app", f->path, 200, 1, &s), 0);
        feed(f, s, "line", 40);
        s = log_sink_free(s);
        assert_true(exists(path));
        /* The line about the loss may take the file over the bound once. */
        assert_true(slurp(f->path, buf, sizeof(buf)) <= 200 + 160);
        note = strstr(buf, "airsupd: ");
        assert_non_null(note);
        assert_non_null(strstr(note, " bytes discarded, the log could not be rotated (Is a directory) and was "
                                     "started afresh\n"));
        next = first_line(buf);
        assert_true(next > 30);
        assert_lines_follow(buf, "line", &next);
        assert_int_equal(next, 41);
}

/* A FIFO in the log's place, without a reader and then with one: never
 * waited on, never written; once it is gone the file says what was lost. */
static void test_logsink_refuses_a_fifo(void **state) {
        fixture *f = *state;
        char buf[4096];
        log_sink *s = NULL;
        int reader;

        assert_int_equal(mkfifo(f->path, 0600), 0);
        assert_int_equal(log_sink_new(f->loop, &f->ev, "app", f->path, 0, 0, &s), 0);
        feed(f, s, "lost", 3);
        reader = open(f->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        assert_true(reader >= 0);
        log_sink_reopen(s);
        feed(f, s, "lost", 3);
        assert_int_equal(read(reader, buf, sizeof(buf)), 0);
        close(reader);
        assert_int_equal(unlink(f->path), 0);
        log_sink_reopen(s);
        feed(f, s, "kept", 1);
        s = log_sink_free(s);
        slurp(f->path, buf, sizeof(buf));
        assert_non_null(strstr(buf, " airsupd: 6 lines dropped, the log could not be opened: a FIFO or socket, "
                                    "not a regular file\n"));
        assert_null(strstr(buf, "lost"));
        assert_non_null(strstr(buf, " kept 1\n"));
}

/* The log a symbolic link to a file, or a directory of its path a link:
 * not followed, the file at the other end untouched. */
static void test_logsink_refuses_a_symbolic_link(void **state) {
        fixture *f = *state;
        char other[160], dir[160], path[200], buf[256];
        log_sink *s = NULL;
        int fd;

        snprintf(other, sizeof(other), "%s/root-only", f->top);
        fd = open(other, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "root only\n", 10), 10);
        close(fd);
        assert_int_equal(symlink(other, f->path), 0);
        assert_int_equal(log_sink_new(f->loop, &f->ev, "app", f->path, 0, 0, &s), 0);
        feed(f, s, "through", 2);
        log_sink_reopen(s);
        feed(f, s, "through", 2);
        s = log_sink_free(s);
        assert_int_equal(slurp(other, buf, sizeof(buf)), 10);

        /* top/sub -> top: top/sub/root-only is the same file. */
        snprintf(dir, sizeof(dir), "%s/sub", f->top);
        assert_int_equal(symlink(f->top, dir), 0);
        snprintf(path, sizeof(path), "%s/root-only", dir);
        assert_int_equal(log_sink_new(f->loop, &f->ev, "app", path, 0, 0, &s), 0);
        feed(f, s, "through", 2);
        s = log_sink_free(s);
        assert_int_equal(slurp(other, buf, sizeof(buf)), 10);
}

/* The log a second name of another file (a hard link): refused. */
static void test_logsink_refuses_a_hard_link(void **state) {
        fixture *f = *state;
        char other[160], buf[256];
        log_sink *s = NULL;
        int fd;

        snprintf(other, sizeof(other), "%s/root-only", f->top);
        fd = open(other, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "root only\n", 10), 10);
        close(fd);
        assert_int_equal(link(other, f->path), 0);
        assert_int_equal(log_sink_new(f->loop, &f->ev, "app", f->path, 0, 0, &s), 0);
        feed(f, s, "through", 2);
        s = log_sink_free(s);
        assert_int_equal(slurp(other, buf, sizeof(buf)), 10);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_logsink_lines_with_their_time, setup, teardown),
                cmocka_unit_test_setup_teardown(test_logsink_rotates_at_its_bound, setup, teardown),
                cmocka_unit_test_setup_teardown(test_logsink_keep_zero_starts_afresh, setup, teardown),
                cmocka_unit_test_setup_teardown(test_logsink_failed_rotation_truncates, setup, teardown),
                cmocka_unit_test_setup_teardown(test_logsink_refuses_a_fifo, setup, teardown),
                cmocka_unit_test_setup_teardown(test_logsink_refuses_a_symbolic_link, setup, teardown),
                cmocka_unit_test_setup_teardown(test_logsink_refuses_a_hard_link, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
