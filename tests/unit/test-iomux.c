/* test-iomux.c - the manager's epoll set of process fds (core/iomux.c)
 * on real pipes and a real sd-event loop: a ready fd reaches its
 * callback with its events, a watch taken out during a batch is not
 * called with what that batch held, asking for no events keeps only
 * EPOLLHUP, and a watch taken out is not called again. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cmocka.h>

#include "supervisor/core/iomux.h"
#include "supervisor/core/types.h"

typedef struct watch {
        sup_io io;
        sup_manager *m;
        int pipe[2];
        unsigned calls;
        uint32_t last;
        struct watch *takes_out;        /* taken out of the set by this one's callback */
} watch;

static void on_io(sup_io *io, int fd, uint32_t revents) {
        watch *w = (watch *) (void *) ((char *) io - offsetof(watch, io));

        assert_int_equal(fd, w->pipe[0]);
        w->calls++;
        w->last = revents;
        if (w->takes_out)
                iomux_remove(w->m, &w->takes_out->io);
}

static void watch_init(watch *w, sup_manager *m) {
        *w = (watch) { .io = SUP_IO_INIT, .m = m };
        assert_int_equal(pipe2(w->pipe, O_CLOEXEC | O_NONBLOCK), 0);
        assert_int_equal(iomux_add(m, &w->io, w->pipe[0], EPOLLIN, on_io), 0);
}

static void watch_done(watch *w) {
        iomux_remove(w->m, &w->io);
        close(w->pipe[0]);
        if (w->pipe[1] >= 0)
                close(w->pipe[1]);
}

static sup_manager *manager(void) {
        sup_manager *m = calloc(1, sizeof(sup_manager));

        assert_non_null(m);
        m->iomux_fd = -EBADF;
        assert_int_equal(sd_event_new(&m->event), 0);
        return m;
}

static void manager_gone(sup_manager *m) {
        iomux_done(m);
        sd_event_unref(m->event);
        free(m);
}

static void test_iomux_ready_fd_called(void **state) {
        sup_manager *m = manager();
        watch a, b;

        (void) state;
        watch_init(&a, m);
        watch_init(&b, m);
        /* One source of the loop for both. */
        assert_non_null(m->iomux_source);
        assert_int_equal(write(a.pipe[1], "x", 1), 1);
        assert_true(sd_event_run(m->event, 1000000) > 0);
        assert_int_equal(a.calls, 1);
        assert_true(a.last & EPOLLIN);
        assert_int_equal(b.calls, 0);
        /* A watch already in use: refused. */
        assert_int_equal(iomux_add(m, &a.io, a.pipe[0], EPOLLIN, on_io), -EINVAL);
        watch_done(&a);
        watch_done(&b);
        manager_gone(m);
}

static void test_iomux_removed_in_batch_not_called(void **state) {
        sup_manager *m = manager();
        watch a, b;

        (void) state;
        watch_init(&a, m);
        watch_init(&b, m);
        /* Whichever comes first takes the other out: only one is called,
         * though both were ready in the same epoll_wait(). */
        a.takes_out = &b;
        b.takes_out = &a;
        assert_int_equal(write(a.pipe[1], "x", 1), 1);
        assert_int_equal(write(b.pipe[1], "x", 1), 1);
        assert_true(sd_event_run(m->event, 1000000) > 0);
        watch *first = a.calls ? &a : &b, *other = a.calls ? &b : &a;
        assert_int_equal(first->calls, 1);
        assert_int_equal(other->calls, 0);
        assert_int_equal(other->io.fd, -EBADF);
        /* The one taken out is not called again; the other, still
         * readable (level-triggered), is. */
        assert_true(sd_event_run(m->event, 1000000) > 0);
        assert_int_equal(other->calls, 0);
        assert_int_equal(first->calls, 2);
        watch_done(&a);
        watch_done(&b);
        manager_gone(m);
}

static void test_iomux_no_events_but_hangup(void **state) {
        sup_manager *m = manager();
        watch a;

        (void) state;
        watch_init(&a, m);
        assert_int_equal(iomux_set_events(m, &a.io, 0), 0);
        assert_int_equal(write(a.pipe[1], "x", 1), 1);
        assert_int_equal(sd_event_run(m->event, 100000), 0);
        assert_int_equal(a.calls, 0);
        /* The writer gone: EPOLLHUP comes even without EPOLLIN asked. */
        close(a.pipe[1]);
        a.pipe[1] = -EBADF;
        assert_true(sd_event_run(m->event, 1000000) > 0);
        assert_int_equal(a.calls, 1);
        assert_true(a.last & EPOLLHUP);
        assert_false(a.last & EPOLLIN);
        watch_done(&a);
        manager_gone(m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_iomux_ready_fd_called),
                cmocka_unit_test(test_iomux_removed_in_batch_not_called),
                cmocka_unit_test(test_iomux_no_events_but_hangup),
        };
        return cmocka_run_group_tests_name("iomux", tests, NULL, NULL);
}
