/* test-state.c - the directories airsupd keeps its state and control
 * socket in (state_mkdir_trusted()): made with the right modes, refused
 * when another user could have planted them, and a planted list of
 * leftovers that is not airsupd's own file never stops anything. */
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "supervisor/core/state.h"

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
        int status;

        snprintf(dir, sizeof(dir), "%s/deployment", f->top);
        assert_int_equal(state_open(dir, NULL, &st, f->err, sizeof(f->err)), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                /* Gone with the test, whatever becomes of it. */
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                setpgid(0, 0);
                pause();
                _exit(0);
        }
        (void) setpgid(pid, pid);
        assert_int_equal(state_proc_starttime(pid, &start), 0);
        file = fopen("/proc/sys/kernel/random/boot_id", "re");
        assert_non_null(file);
        assert_non_null(fgets(boot, sizeof(boot), file));
        fclose(file);
        boot[strcspn(boot, "\n")] = '\0';
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
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
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
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
