/* test-state.c - the directories airsupd keeps its state and control
 * socket in (state_mkdir_trusted()): made with the right modes, refused
 * when another user could have planted them; a deployment's lock, held by
 * one process at a time; and the list of the processes it started: a
 * planted list that is not airsupd's own file, a FIFO or a link never
 * stops anything, a garbled or cut one stops what its good lines name and
 * nothing else, and a compaction keeps exactly the live processes.  Real
 * files and real processes, each in a process group of its own. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "supervisor/core/state.h"
#include "supervisor/start/spawn.h"

typedef struct fixture {
        char top[64];
        char err[PATH_MAX + 256];
} fixture;

static int setup(void **state) {
        fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        snprintf(f->top, sizeof(f->top), "/tmp/airsup-test-state-XXXXXX");
        assert_non_null(mkdtemp(f->top));
        *state = f;
        return 0;
}

static int teardown(void **state) {
        fixture *f = *state;
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->top);
        assert_int_equal(system(cmd), 0);
        free(f);
        return 0;
}

/* A process that waits to be stopped, the leader of its own group, as
 * airsupd starts them; gone with the test, whatever becomes of it.  It
 * keeps none of the test's fds, as an exec would not (a copy of the
 * lock's would hold the lock), and is returned once it has let them go:
 * the end of the pipe it closes with them. */
static pid_t sleeper(void) {
        int fds[2];
        char c;
        pid_t pid;

        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                setpgid(0, 0);
                (void) close_range(3, ~0U, 0);
                pause();
                _exit(0);
        }
        (void) setpgid(pid, pid);
        close(fds[1]);
        assert_int_equal(read(fds[0], &c, 1), 0);
        close(fds[0]);
        return pid;
}

static unsigned long long start_of(pid_t pid) {
        unsigned long long start;

        assert_int_equal(state_proc_starttime(pid, &start), 0);
        return start;
}

/* PID ended by SIGTERM (stopped as a leftover), reaped. */
static void assert_stopped(pid_t pid) {
        int status;

        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGTERM);
}

/* PID still running (left alone); then killed and reaped. */
static void assert_left_alone(pid_t pid) {
        int status;

        assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void this_boot(char buf[static 64]) {
        FILE *file = fopen("/proc/sys/kernel/random/boot_id", "re");

        assert_non_null(file);
        assert_non_null(fgets(buf, 64, file));
        fclose(file);
        buf[strcspn(buf, "\n")] = '\0';
}

/* PATH, 0600, holding TEXT. */
static void write_file(const char *path, const char *text) {
        FILE *file = fopen(path, "we");

        assert_non_null(file);
        assert_true(fputs(text, file) >= 0);
        assert_int_equal(fclose(file), 0);
        assert_int_equal(chmod(path, 0600), 0);
}

/* How many lines of PATH begin with PREFIX. */
static size_t count_lines(const char *path, const char *prefix) {
        char line[256];
        size_t n = 0;
        FILE *file = fopen(path, "re");

        assert_non_null(file);
        while (fgets(line, sizeof(line), file))
                n += strncmp(line, prefix, strlen(prefix)) == 0;
        fclose(file);
        return n;
}

static mode_t mode_of(const char *path) {
        struct stat st;

        assert_int_equal(stat(path, &st), 0);
        return st.st_mode & 07777;
}

static void test_state_mkdir_trusted_makes_levels_0700(void **state) {
        fixture *f = *state;
        char path[128], mid[128];
        bool made = false;

        snprintf(mid, sizeof(mid), "%s/a", f->top);
        snprintf(path, sizeof(path), "%s/a/b", f->top);
        assert_int_equal(state_mkdir_trusted(path, 0700, NULL, &made, f->err, sizeof(f->err)), 0);
        assert_true(made);
        assert_int_equal(mode_of(mid), 0700);
        assert_int_equal(mode_of(path), 0700);
        /* Again: there already, trusted, not made. */
        assert_int_equal(state_mkdir_trusted(path, 0700, NULL, &made, f->err, sizeof(f->err)), 0);
        assert_false(made);
}

static void test_state_mkdir_trusted_group_levels_0750(void **state) {
        fixture *f = *state;
        char path[128], mid[128];
        struct group *g = getgrnam(geteuid() == 0 ? "nogroup" : "");
        struct stat st;

        if (!g)
                skip();
        snprintf(mid, sizeof(mid), "%s/run", f->top);
        snprintf(path, sizeof(path), "%s/run/state", f->top);
        /* The state directory, made first: its new parent is the group's,
         * so that the control socket beside it can be reached. */
        assert_int_equal(state_mkdir_trusted(path, 0700, g->gr_name, NULL, f->err, sizeof(f->err)), 0);
        assert_int_equal(stat(mid, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0750);
        assert_int_equal(st.st_gid, g->gr_gid);
        assert_int_equal(mode_of(path), 0700);
}

static void test_state_mkdir_trusted_refuses_writable_by_others(void **state) {
        fixture *f = *state;
        char path[128];

        snprintf(path, sizeof(path), "%s/open", f->top);
        assert_int_equal(mkdir(path, 0700), 0);
        assert_int_equal(chmod(path, 0777), 0);
        assert_int_equal(state_mkdir_trusted(path, 0700, NULL, NULL, f->err, sizeof(f->err)), -EPERM);
        assert_non_null(strstr(f->err, "is writable by others (mode 0777)"));
        /* Below it as well: whoever can write there can swap what is below. */
        snprintf(path, sizeof(path), "%s/open/below", f->top);
        assert_int_equal(state_mkdir_trusted(path, 0700, NULL, NULL, f->err, sizeof(f->err)), -EPERM);
        /* Sticky, as /tmp: others cannot rename what is ours. */
        snprintf(path, sizeof(path), "%s/open", f->top);
        assert_int_equal(chmod(path, 01777), 0);
        snprintf(path, sizeof(path), "%s/open/below", f->top);
        assert_int_equal(state_mkdir_trusted(path, 0700, NULL, NULL, f->err, sizeof(f->err)), 0);
}

static void test_state_mkdir_trusted_refuses_another_owner(void **state) {
        fixture *f = *state;
        char path[128], link[128];

        if (geteuid() != 0)
                skip();
        snprintf(path, sizeof(path), "%s/theirs", f->top);
        assert_int_equal(mkdir(path, 0700), 0);
        assert_int_equal(chown(path, 4242, 4242), 0);
        assert_int_equal(state_mkdir_trusted(path, 0700, NULL, NULL, f->err, sizeof(f->err)), -EPERM);
        assert_non_null(strstr(f->err, "is owned by uid 4242, not by root or airsupd's user (uid 0)"));
        /* A symbolic link another user made, to a directory of ours. */
        snprintf(path, sizeof(path), "%s/ours", f->top);
        assert_int_equal(mkdir(path, 0700), 0);
        snprintf(link, sizeof(link), "%s/link", f->top);
        assert_int_equal(symlink(path, link), 0);
        assert_int_equal(lchown(link, 4242, 4242), 0);
        assert_int_equal(state_mkdir_trusted(link, 0700, NULL, NULL, f->err, sizeof(f->err)), -EPERM);
        assert_non_null(strstr(f->err, "is a symbolic link owned by uid 4242"));
        /* Ours: followed. */
        assert_int_equal(lchown(link, 0, 0), 0);
        assert_int_equal(state_mkdir_trusted(link, 0700, NULL, NULL, f->err, sizeof(f->err)), 0);
}

static void test_state_mkdir_trusted_refuses_a_file_and_relative(void **state) {
        fixture *f = *state;
        char path[128];
        int fd;

        snprintf(path, sizeof(path), "%s/file", f->top);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(state_mkdir_trusted(path, 0700, NULL, NULL, f->err, sizeof(f->err)), -ENOTDIR);
        assert_int_equal(state_mkdir_trusted("relative/dir", 0700, NULL, NULL, f->err, sizeof(f->err)), -EINVAL);
}

/* A list of leftovers that airsupd's user could not have written (here:
 * writable by others) names a live process group: it is left alone. */
static void test_state_stop_leftovers_ignores_a_planted_list(void **state) {
        fixture *f = *state;
        char dir[128], path[160], boot[64] = "";
        unsigned long long start;
        sup_events ev = {};
        sup_state st;
        FILE *file;
        pid_t pid;

        snprintf(dir, sizeof(dir), "%s/deployment", f->top);
        assert_int_equal(state_open(dir, NULL, &st, f->err, sizeof(f->err)), 0);
        pid = sleeper();
        start = start_of(pid);
        this_boot(boot);
        snprintf(path, sizeof(path), "%s/procs", dir);
        assert_int_equal(sup_events_init(&ev, 16, SUP_LOG_STDERR, false), 0);
        for (unsigned mode = 0666;; mode = 0600) {
                file = fopen(path, "we");
                assert_non_null(file);
                fprintf(file, "boot %s\n+ %d %llu victim\n", boot, (int) pid, start);
                fclose(file);
                assert_int_equal(chmod(path, mode), 0);
                if (mode == 0600)
                        break;
                assert_int_equal(state_stop_leftovers(&st, &ev), 0);
                assert_int_equal(kill(pid, 0), 0);
        }
        /* The same list, airsupd's own: stopped. */
        assert_int_equal(state_stop_leftovers(&st, &ev), 1);
        assert_stopped(pid);
        sup_events_done(&ev);
        state_close(&st, /* clean= */ true);
}

/* A second airsupd for the deployment, while another process holds the
 * lock: refused with that process's pid; once it is gone, taken. */
static void test_state_lock_held_by_another_process(void **state) {
        fixture *f = *state;
        char dir[128], path[160], want[96], pid_line[32];
        int holding[2], release[2], status;
        sup_state st, again;
        char c;
        pid_t pid;

        snprintf(dir, sizeof(dir), "%s/deployment", f->top);
        snprintf(path, sizeof(path), "%s/lock", dir);
        assert_int_equal(pipe2(holding, O_CLOEXEC), 0);
        assert_int_equal(pipe2(release, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                close(holding[0]);
                close(release[1]);
                if (state_open(dir, NULL, &st, f->err, sizeof(f->err)) < 0)
                        _exit(1);
                (void) !write(holding[1], "h", 1);
                (void) !read(release[0], &c, 1);   /* until the test closes its end */
                _exit(0);                           /* the lock goes with the process */
        }
        close(holding[1]);
        close(release[0]);
        assert_int_equal(read(holding[0], &c, 1), 1);

        assert_int_equal(state_open(dir, NULL, &st, f->err, sizeof(f->err)), -EBUSY);
        snprintf(want, sizeof(want), "another airsupd (pid %d) runs this deployment", (int) pid);
        assert_non_null(strstr(f->err, want));
        assert_true(st.lock_fd < 0);
        snprintf(pid_line, sizeof(pid_line), "%d\n", (int) pid);
        assert_int_equal(count_lines(path, pid_line), 1);

        close(release[1]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(holding[0]);
        assert_int_equal(state_open(dir, NULL, &st, f->err, sizeof(f->err)), 0);
        snprintf(pid_line, sizeof(pid_line), "%d\n", (int) getpid());
        assert_int_equal(count_lines(path, pid_line), 1);
        /* Held by this process now: a second open of the lock is refused too. */
        assert_int_equal(state_open(dir, NULL, &again, f->err, sizeof(f->err)), -EBUSY);
        state_close(&st, /* clean= */ true);
        assert_int_equal(access(path, F_OK), -1);
        assert_int_equal(state_open(dir, NULL, &st, f->err, sizeof(f->err)), 0);
        state_close(&st, /* clean= */ true);
}

/* Runs state_stop_leftovers() on DIR in a child of its own session (so
 * that a line naming pid 0, were it ever taken, could signal only that
 * child) and returns how many leftovers it stopped. */
static int stop_leftovers_apart(fixture *f, const char *dir) {
        int status;
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                sup_events ev = {};
                sup_state st;
                size_t n;

                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                (void) setsid();
                if (sup_events_init(&ev, 16, SUP_LOG_STDERR, false) < 0 ||
                    state_open(dir, NULL, &st, f->err, sizeof(f->err)) < 0)
                        _exit(100);
                n = state_stop_leftovers(&st, &ev);
                state_close(&st, /* clean= */ false);
                _exit(n > 99 ? 99 : (int) n);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_not_equal(WEXITSTATUS(status), 100);
        return WEXITSTATUS(status);
}

/* A list garbled or cut short (a disk that filled, an airsupd killed in a
 * write, a hand that edited it): each good line still counts, no other
 * line stops anything, and nothing is read past the file. */
static void test_state_garbled_list_stops_only_its_good_lines(void **state) {
        fixture *f = *state;
        char dir[128], path[160], boot[64], text[2048];
        pid_t a = sleeper(), b = sleeper(), c = sleeper(), d = sleeper();
        int n;

        snprintf(dir, sizeof(dir), "%s/deployment", f->top);
        assert_int_equal(state_mkdir_trusted(dir, 0700, NULL, NULL, f->err, sizeof(f->err)), 0);
        snprintf(path, sizeof(path), "%s/procs", dir);
        this_boot(boot);
        n = snprintf(text, sizeof(text),
                     "boot %s\n"
                     "garbage without meaning\n"
                     "\x01\x02\xff\xfe\n"
                     "+\n- \n+ notapid 5 x\n+ 0 0 zero\n+ 1 0 init\n+ -1 0 all\n"
                     "+ %d %llu a\n"            /* a: stopped */
                     "+ %d %llu b\n"            /* b: not the start time it has */
                     "* %d %llu b\n"            /* ... nor a kind of line there is */
                     "+ %d\n"                   /* ... nor a line without one */
                     "+ %d %llu c\n- %d\n"      /* c: ended */
                     "+ %d %llu d",             /* d: cut in its name, no newline */
                     boot, (int) a, start_of(a), (int) b, start_of(b) + 1, (int) b, start_of(b), (int) b,
                     (int) c, start_of(c), (int) c, (int) d, start_of(d));
        assert_true(n > 0 && (size_t) n < sizeof(text));
        write_file(path, text);

        assert_int_equal(stop_leftovers_apart(f, dir), 2);
        assert_stopped(a);
        assert_stopped(d);
        assert_left_alone(b);
        assert_left_alone(c);
        /* Read once: the list is gone, nothing is stopped twice. */
        assert_int_equal(access(path, F_OK), -1);
}

/* The list of another boot (pids and start times that happen to match
 * this one's), an empty one, a cut first line: nothing stopped. */
static void test_state_list_of_another_boot_stops_nothing(void **state) {
        fixture *f = *state;
        char dir[128], path[160], boot[64], text[512];
        const char *heads[] = { "boot 00000000-0000-0000-0000-000000000000\n", "", "boo", NULL };
        pid_t pid = sleeper();

        snprintf(dir, sizeof(dir), "%s/deployment", f->top);
        assert_int_equal(state_mkdir_trusted(dir, 0700, NULL, NULL, f->err, sizeof(f->err)), 0);
        snprintf(path, sizeof(path), "%s/procs", dir);
        this_boot(boot);
        for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
                /* NULL: this boot's id alone, without "boot ". */
                int n = heads[i] ? snprintf(text, sizeof(text), "%s", heads[i]) :
                                   snprintf(text, sizeof(text), "%s\n", boot);

                assert_true(n >= 0);
                snprintf(text + n, sizeof(text) - (size_t) n, "+ %d %llu victim\n", (int) pid, start_of(pid));
                write_file(path, text);
                assert_int_equal(stop_leftovers_apart(f, dir), 0);
                assert_int_equal(kill(pid, 0), 0);
        }
        /* The same line under this boot's id: stopped. */
        snprintf(text, sizeof(text), "boot %s\n+ %d %llu victim\n", boot, (int) pid, start_of(pid));
        write_file(path, text);
        assert_int_equal(stop_leftovers_apart(f, dir), 1);
        assert_stopped(pid);
}

/* A FIFO in the list's place is not waited on, and a symbolic link to a
 * good list elsewhere is not followed. */
static void test_state_fifo_or_link_in_the_lists_place(void **state) {
        fixture *f = *state;
        char dir[128], path[160], other[160], boot[64], text[256];
        pid_t pid = sleeper();

        snprintf(dir, sizeof(dir), "%s/deployment", f->top);
        assert_int_equal(state_mkdir_trusted(dir, 0700, NULL, NULL, f->err, sizeof(f->err)), 0);
        snprintf(path, sizeof(path), "%s/procs", dir);
        assert_int_equal(mkfifo(path, 0600), 0);
        alarm(20);                      /* a wait on the FIFO fails the test */
        assert_int_equal(stop_leftovers_apart(f, dir), 0);
        alarm(0);
        (void) unlink(path);

        this_boot(boot);
        snprintf(other, sizeof(other), "%s/elsewhere", f->top);
        snprintf(text, sizeof(text), "boot %s\n+ %d %llu victim\n", boot, (int) pid, start_of(pid));
        write_file(other, text);
        assert_int_equal(symlink(other, path), 0);
        assert_int_equal(stop_leftovers_apart(f, dir), 0);
        assert_left_alone(pid);
        assert_int_equal(access(other, F_OK), 0);
}

/* Appends, a compaction from the live processes, appends after it, then
 * an airsupd killed: the next one stops exactly the live ones. */
/* /proc/PID/stat read by hand: a name with blanks, parentheses and
 * digits in it moves nothing; the start time is the one the kernel
 * prints as field 22 (read here the slow way, with sscanf()). */
static void test_state_proc_stat_of_an_odd_name(void **state) {
        unsigned long long start, want;
        char path[64], buf[1024], st;
        pid_t pid, ppid, pgrp;
        const char *rp;
        FILE *f;
        int fds[2];
        ssize_t n;

        (void) state;
        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                (void) prctl(PR_SET_NAME, "a) 7 8 (b) 9", 0, 0, 0);
                setpgid(0, 0);
                close(fds[1]);          /* named: the test may read */
                pause();
                _exit(0);
        }
        (void) setpgid(pid, pid);
        close(fds[1]);
        assert_int_equal(read(fds[0], buf, 1), 0);
        close(fds[0]);

        assert_int_equal(sup_proc_stat_start(pid, &st, &ppid, &pgrp, &start), 0);
        assert_true(st == 'S' || st == 'R');
        assert_int_equal(ppid, getpid());
        assert_int_equal(pgrp, pid);
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        assert_non_null(f = fopen(path, "re"));
        n = (ssize_t) fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        assert_true(n > 0);
        buf[n] = '\0';
        assert_non_null(strstr(buf, "(a) 7 8 (b) 9)"));
        assert_non_null(rp = strrchr(buf, ')'));
        assert_int_equal(sscanf(rp + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                                &want), 1);
        assert_true(want > 0);
        assert_true(start == want);
        assert_int_equal(sup_proc_stat(pid, &st, &ppid, &pgrp), 0);
        assert_int_equal(pgrp, pid);

        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
        assert_int_equal(sup_proc_stat_start(pid, &st, &ppid, &pgrp, &start), -ENOENT);
}

static void test_state_compaction_keeps_the_live(void **state) {
        fixture *f = *state;
        char dir[128], path[160], line[96];
        pid_t one = sleeper(), two = sleeper(), three = sleeper(), four;
        sup_events ev = {};
        sup_state st;
        FILE *file = NULL;
        int status;

        snprintf(dir, sizeof(dir), "%s/deployment", f->top);
        snprintf(path, sizeof(path), "%s/procs", dir);
        assert_int_equal(state_open(dir, NULL, &st, f->err, sizeof(f->err)), 0);
        state_started(&st, one, "one");
        state_started(&st, two, "two");
        state_started(&st, three, "three");
        state_flush(&st);
        assert_int_equal(st.lines, 3);
        assert_int_equal(count_lines(path, "+ "), 3);
        assert_int_equal(kill(two, SIGKILL), 0);
        assert_int_equal(waitpid(two, &status, 0), two);
        state_ended(&st, two);
        state_flush(&st);
        assert_int_equal(st.lines, 4);
        assert_int_equal(count_lines(path, "- "), 1);

        /* As the tree does: one put per process it knows, alive or not. */
        assert_int_equal(state_compact_begin(&st, &file), 0);
        state_compact_put(file, one, "one");
        state_compact_put(file, two, "two");
        state_compact_put(file, three, "three");
        assert_int_equal(state_compact_end(&st, file, 2), 0);
        assert_int_equal(st.lines, 2);
        assert_int_equal(count_lines(path, "boot "), 1);
        assert_int_equal(count_lines(path, "+ "), 2);
        assert_int_equal(count_lines(path, "- "), 0);
        snprintf(line, sizeof(line), "+ %d %llu one\n", (int) one, start_of(one));
        assert_int_equal(count_lines(path, line), 1);
        snprintf(line, sizeof(line), "+ %d %llu three\n", (int) three, start_of(three));
        assert_int_equal(count_lines(path, line), 1);
        snprintf(path, sizeof(path), "%s/procs.new", dir);
        assert_int_equal(access(path, F_OK), -1);
        snprintf(path, sizeof(path), "%s/procs", dir);

        /* Appends go to the new list, not to the one it replaced. */
        four = sleeper();
        state_started(&st, four, "four");
        state_flush(&st);
        assert_int_equal(count_lines(path, "+ "), 3);

        /* Killed: the list stays; the next airsupd stops what it names. */
        state_close(&st, /* clean= */ false);
        assert_int_equal(sup_events_init(&ev, 16, SUP_LOG_STDERR, false), 0);
        assert_int_equal(state_open(dir, NULL, &st, f->err, sizeof(f->err)), 0);
        assert_int_equal(state_stop_leftovers(&st, &ev), 3);
        assert_stopped(one);
        assert_stopped(three);
        assert_stopped(four);
        sup_events_done(&ev);
        state_close(&st, /* clean= */ true);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_state_mkdir_trusted_makes_levels_0700, setup, teardown),
                cmocka_unit_test_setup_teardown(test_state_mkdir_trusted_group_levels_0750, setup, teardown),
                cmocka_unit_test_setup_teardown(test_state_mkdir_trusted_refuses_writable_by_others, setup, teardown),
                cmocka_unit_test_setup_teardown(test_state_mkdir_trusted_refuses_another_owner, setup, teardown),
                cmocka_unit_test_setup_teardown(test_state_mkdir_trusted_refuses_a_file_and_relative, setup, teardown),
                cmocka_unit_test_setup_teardown(test_state_stop_leftovers_ignores_a_planted_list, setup, teardown),
                cmocka_unit_test_setup_teardown(test_state_lock_held_by_another_process, setup, teardown),
                cmocka_unit_test_setup_teardown(test_state_garbled_list_stops_only_its_good_lines, setup, teardown),
                cmocka_unit_test_setup_teardown(test_state_list_of_another_boot_stops_nothing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_state_fifo_or_link_in_the_lists_place, setup, teardown),
                cmocka_unit_test_setup_teardown(test_state_compaction_keeps_the_live, setup, teardown),
                cmocka_unit_test(test_state_proc_stat_of_an_odd_name),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
