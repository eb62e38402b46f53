/* test-notify-socket.c - notify.c's socket side on the real kernel: the
 * socket and its directory, datagrams sent to it for real, who may speak
 * for a process, and what reaches the proc table (as reports, recorded
 * by report-fixture.h).  The datagram's parsing is test-notify.c's. */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "proc-fixture.h"
#include "report-fixture.h"
#include "supervisor/watch/notify.h"

static fixture *notified(void) {
        fixture *f = fixture_new("ready = notify\n");

        reports_reset();
        f->m->report = rec_report;
        assert_null(f->p->notify);
        assert_int_equal(notify_open(f->p), 0);
        assert_non_null(f->p->notify);
        /* Its main process: this test, whose own datagrams count (as
         * airsupd's do) and whose children are below it. */
        f->p->pid = getpid();
        f->p->uid = geteuid();
        return f;
}

static void say(const sup_proc *p, const char *text) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->notify->socket);
        assert_int_equal(sendto(fd, text, strlen(text), 0, (struct sockaddr *) &sa, sizeof(sa)),
                         (ssize_t) strlen(text));
}

/* A socket in a directory of airsupd's own: 0600 in 0711, gone at close. */
static void test_notify_socket_modes(void **state) {
        fixture *f = notified();
        char path[108], dir[108];
        struct stat st;

        (void) state;
        snprintf(path, sizeof(path), "%s", f->p->notify->socket);
        assert_true(path[0] == '/');
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0600);
        snprintf(dir, sizeof(dir), "%s", path);
        assert_int_equal(stat(dirname(dir), &st), 0);
        assert_int_equal(st.st_mode & 07777, 0711);
        assert_int_equal(notify_grant(f->p, geteuid()), 0);
        notify_close(f->p);
        assert_null(f->p->notify);
        assert_int_equal(stat(path, &st), -1);
        assert_int_equal(errno, ENOENT);
        fixture_free(f);
}

/* READY=1 and STATUS= become reports, after the exec is settled. */
static void test_notify_ready_and_status(void **state) {
        fixture *f = notified();

        (void) state;
        say(f->p, "STATUS=warming up\nREADY=1");
        notify_flush(f->p);
        assert_int_equal(reports.n[PROC_REPORT_EXEC_SETTLE], 1);
        assert_int_equal(reports.n[PROC_REPORT_STATUS], 1);
        assert_int_equal(reports.n[PROC_REPORT_READY], 1);
        assert_string_equal(notify_status(f->p), "warming up");
        say(f->p, "WATCHDOG=1\nWATCHDOG_USEC=250000\nEXTEND_TIMEOUT_USEC=3000000\nSTOPPING=1");
        notify_flush(f->p);
        assert_int_equal(reports.n[PROC_REPORT_WATCHDOG], 1);
        assert_int_equal(reports.n[PROC_REPORT_WATCHDOG_USEC], 1);
        assert_int_equal(f->p->notify->watchdog_usec, 250000);
        assert_int_equal(reports.n[PROC_REPORT_EXTEND_START], 1);
        assert_int_equal(f->p->notify->extend_usec, 3000000);
        assert_int_equal(reports.n[PROC_REPORT_STOPPING], 1);
        fixture_free(f);
}

/* STATUS= events: five at once, then one for those held back once the
 * interval is over, on the next datagram; the text is always the last. */
static void test_notify_status_rate_limited(void **state) {
        fixture *f = notified();
        char text[32];

        (void) state;
        for (unsigned i = 0; i < 7; i++) {
                snprintf(text, sizeof(text), "STATUS=step %u", i);
                say(f->p, text);
        }
        notify_flush(f->p);
        assert_int_equal(reports.n[PROC_REPORT_STATUS], 5);
        assert_string_equal(notify_status(f->p), "step 6");
        say(f->p, "READY=1");
        notify_flush(f->p);
        assert_int_equal(reports.n[PROC_REPORT_STATUS], 5);
        world.now_usec += 6 * USEC_PER_SEC;
        say(f->p, "READY=1");
        notify_flush(f->p);
        assert_int_equal(reports.n[PROC_REPORT_STATUS], 6);
        fixture_free(f);
}

/* MAINPID= of a live process below the main one is reported with its
 * pid; of PID 1 or of no process, not. */
static void test_notify_mainpid_checked(void **state) {
        fixture *f = notified();
        pid_t child = fork();
        char text[32];

        (void) state;
        assert_true(child >= 0);
        if (child == 0) {
                pause();
                _exit(0);
        }
        say(f->p, "MAINPID=1");
        notify_flush(f->p);
        assert_int_equal(reports.n[PROC_REPORT_MAIN_PID], 0);
        snprintf(text, sizeof(text), "MAINPID=%d", (int) child);
        say(f->p, text);
        notify_flush(f->p);
        assert_int_equal(reports.n[PROC_REPORT_MAIN_PID], 1);
        assert_int_equal(f->p->notify->main_pid, child);
        assert_int_equal(kill(child, SIGKILL), 0);
        assert_int_equal(waitpid(child, NULL, 0), child);
        fixture_free(f);
}

/* A process that is not one of the group's is not heard: a child of the
 * test while the main process is another. */
static void test_notify_stranger_ignored(void **state) {
        fixture *f = notified();
        int go[2];
        pid_t child;
        char c;

        (void) state;
        assert_int_equal(pipe2(go, O_CLOEXEC), 0);
        f->p->pid = getppid();
        f->p->uid = geteuid() + 1;      /* nor does its uid speak for it once gone */
        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                say(f->p, "READY=1");
                assert_int_equal(write(go[1], "x", 1), 1);
                pause();
                _exit(0);
        }
        assert_int_equal(read(go[0], &c, 1), 1);
        notify_flush(f->p);
        assert_int_equal(reports.n[PROC_REPORT_READY], 0);
        assert_int_equal(kill(child, SIGKILL), 0);
        assert_int_equal(waitpid(child, NULL, 0), child);
        close(go[0]);
        close(go[1]);
        fixture_free(f);
}

/* A sender with the group's uid that has exited counts (its uid speaks
 * for it), though no pidfd was taken: nothing is at its pid any more. */
static void test_notify_exited_sender_same_uid(void **state) {
        fixture *f = notified();
        pid_t child;

        (void) state;
        f->p->pid = getppid();          /* the main process is another */
        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                say(f->p, "READY=1");
                _exit(0);
        }
        assert_int_equal(waitpid(child, NULL, 0), child);
        notify_flush(f->p);
        assert_int_equal(reports.n[PROC_REPORT_READY], 1);
        assert_false(f->p->notify->strict);
        fixture_free(f);
}

/* A sender of another uid than the group's (here: the group is said to
 * run as another) is judged by /proc the first time, and makes the socket
 * ask for a pidfd with every datagram from then on. */
static void test_notify_other_uid_makes_strict(void **state) {
        fixture *f = notified();
        int up[2], down[2];             /* child -> test, test -> child */
        pid_t child;
        char c;

        (void) state;
        assert_int_equal(pipe2(up, O_CLOEXEC), 0);
        assert_int_equal(pipe2(down, O_CLOEXEC), 0);
        f->p->uid = geteuid() + 1;
        assert_false(f->p->notify->strict);
        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                say(f->p, "READY=1");
                assert_int_equal(write(up[1], "x", 1), 1);
                assert_int_equal(read(down[0], &c, 1), 1);
                say(f->p, "STOPPING=1");
                assert_int_equal(write(up[1], "x", 1), 1);
                pause();
                _exit(0);
        }
        f->p->pid = child;              /* the main process, alive */
        assert_int_equal(read(up[0], &c, 1), 1);
        notify_flush(f->p);
        assert_int_equal(reports.n[PROC_REPORT_READY], 1);
        assert_true(f->p->notify->strict);
        assert_int_equal(write(down[1], "x", 1), 1);
        assert_int_equal(read(up[0], &c, 1), 1);
        notify_flush(f->p);
        assert_int_equal(reports.n[PROC_REPORT_STOPPING], 1);
        assert_int_equal(kill(child, SIGKILL), 0);
        assert_int_equal(waitpid(child, NULL, 0), child);
        close(up[0]);
        close(up[1]);
        close(down[0]);
        close(down[1]);
        fixture_free(f);
}

/* On the loop: the hub reads the sockets; a wake-up of WATCHDOG=1 alone
 * pauses it, and what comes meanwhile is read when the pause ends. */
static void test_notify_hub_pause_ends(void **state) {
        fixture *f = notified();

        (void) state;
        say(f->p, "WATCHDOG=1");
        for (unsigned i = 0; i < 100 && reports.n[PROC_REPORT_WATCHDOG] == 0; i++)
                assert_true(sd_event_run(f->e, 100 * USEC_PER_MSEC) >= 0);
        assert_int_equal(reports.n[PROC_REPORT_WATCHDOG], 1);
        assert_true(f->p->notify->pet_usec == 0);
        say(f->p, "READY=1");
        for (unsigned i = 0; i < 100 && reports.n[PROC_REPORT_READY] == 0; i++)
                assert_true(sd_event_run(f->e, 100 * USEC_PER_MSEC) >= 0);
        assert_int_equal(reports.n[PROC_REPORT_READY], 1);
        fixture_free(f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_notify_socket_modes),
                cmocka_unit_test(test_notify_ready_and_status),
                cmocka_unit_test(test_notify_status_rate_limited),
                cmocka_unit_test(test_notify_mainpid_checked),
                cmocka_unit_test(test_notify_stranger_ignored),
                cmocka_unit_test(test_notify_exited_sender_same_uid),
                cmocka_unit_test(test_notify_other_uid_makes_strict),
                cmocka_unit_test(test_notify_hub_pause_ends),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
