/* test-broker.c - the broker (broker.c) on a real channel: the
 * socketpair broker_channel_open() makes, its child's end played by the
 * test.  A PONG reaches the proc table only as a report (report-fixture.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "common/channel.h"
#include "common/fds.h"
#include "proc-fixture.h"
#include "report-fixture.h"
#include "supervisor/messages/broker.h"
#include "supervisor/messages/inbox.h"

typedef struct peer {
        fixture *f;
        sup_proc *p;
        int fd;                         /* the child's end */
} peer;

/* P's channel opened and "spawned", its child's end kept in *RET. */
static void spawned(fixture *f, sup_proc *p, peer *ret) {
        assert_int_equal(broker_channel_open(p), 0);
        *ret = (peer) { .f = f, .p = p, .fd = fcntl(p->broker.chan_child, F_DUPFD_CLOEXEC, 3) };
        assert_true(ret->fd >= 0);
        broker_channel_spawned(p, true);
        assert_int_equal(p->broker.chan_child, -EBADF);
        assert_true(p->broker.chan_io.fd >= 0);
}

/* The next record on the child's end, within 5 s (the loop runs meanwhile). */
static void next_record(peer *c, chan_record *ret, int *fds, size_t *n_fds) {
        uint64_t deadline = mono_usec() + 5000000;
        int dummy[4];
        size_t dn;

        for (;;) {
                ssize_t n = fds_recv(c->fd, ret, sizeof(*ret), MSG_DONTWAIT, fds ? fds : dummy, 4,
                                     n_fds ? n_fds : &dn);
                if (n > 0) {
                        if (!fds)
                                for (size_t i = 0; i < dn; i++)
                                        close(dummy[i]);
                        return;
                }
                assert_true(n == -EAGAIN && mono_usec() < deadline);
                (void) sd_event_run(c->f->e, 10000);
        }
}

static void child_send(peer *c, const chan_record *r) {
        assert_int_equal(send(c->fd, r, r->h.len, 0), (ssize_t) r->h.len);
}

/* Nothing on the child's end after the loop ran a while. */
static void no_record(peer *c) {
        char buf[CHAN_RECORD_MAX];

        for (int i = 0; i < 5; i++)
                (void) sd_event_run(c->f->e, 1000);
        assert_int_equal(recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
        assert_int_equal(errno, EAGAIN);
}

/* The child attaches (what airsup_attach() sends) and takes its BELL. */
static void attach(peer *c) {
        chan_record r;
        int fds[4];
        size_t n_fds = 0;

        chan_init(&r, CHAN_ATTACH);
        child_send(c, &r);
        next_record(c, &r, fds, &n_fds);
        assert_int_equal(r.h.type, CHAN_BELL);
        assert_int_equal(n_fds, 3);
        for (size_t i = 0; i < n_fds; i++)
                close(fds[i]);
}

/* The child asks for the lane to NAME (request REQ). */
static void lookup(peer *c, const char *name, uint32_t req) {
        chan_record r;

        chan_init(&r, CHAN_LOOKUP);
        r.lookup.req = req;
        assert_int_equal(chan_set_name(r.lookup.name, name), 0);
        child_send(c, &r);
}

static void close_all(const int *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                close(fds[i]);
}

static fixture *two_groups(void) {
        fixture *f = fixture_conf("[group:a]\ncommand = /bin/true\n[group:b]\ncommand = /bin/true\n"
                                  "[group:c]\ncommand = /bin/true\n");
        reports_reset();
        f->m->report = rec_report;
        return f;
}

static sup_proc *proc_of(fixture *f, const char *name) {
        sup_proc *p;
        assert_int_equal(manager_find_proc(f->m, name, &p), 0);
        return p;
}

/* Its own mailbox is made and sent (BELL, with its bell and eventfd)
 * only when it attaches, once; a PING goes out, and the PONG comes back
 * as a report with its seq. */
static void test_broker_bell_ping_pong(void **state) {
        fixture *f = two_groups();
        size_t n_fds = 0;
        chan_record r;
        int fds[4];
        peer a;

        (void) state;
        spawned(f, proc_of(f, "a"), &a);
        no_record(&a);
        assert_null(a.p->broker.box);
        chan_init(&r, CHAN_ATTACH);
        child_send(&a, &r);
        next_record(&a, &r, fds, &n_fds);
        assert_int_equal(r.h.type, CHAN_BELL);
        assert_int_equal(n_fds, 3);
        close_all(fds, n_fds);
        assert_non_null(a.p->broker.box);
        /* A second ATTACH is a bad record: no second BELL. */
        chan_init(&r, CHAN_ATTACH);
        child_send(&a, &r);
        next_record(&a, &r, NULL, &n_fds);
        assert_int_equal(r.h.type, CHAN_ERROR);
        assert_int_equal(r.error.error, -EBADMSG);
        assert_int_equal(a.p->broker.chan_bad, 1);
        assert_int_equal(broker_ping(a.p, 7), 0);
        next_record(&a, &r, NULL, NULL);
        assert_int_equal(r.h.type, CHAN_PING);
        assert_int_equal(r.ping.seq, 7);
        chan_init(&r, CHAN_PONG);
        r.ping.seq = 7;
        child_send(&a, &r);
        assert_true(run_until(f->e, PROC_REPORT_PONG, 1));
        assert_int_equal(a.p->broker.pong, 7);
        broker_channel_close(a.p);
        assert_int_equal(broker_ping(a.p, 8), -ENOTCONN);
        close(a.fd);
        fixture_free(f);
}

/* LOOKUP of a group: a LANE with its four fds, counted in the receiver's
 * mailbox; of no group: an ERROR. */
static void test_broker_lookup_makes_a_lane(void **state) {
        fixture *f = two_groups();
        sup_proc *b = proc_of(f, "b");
        shm_lane_stats st;
        chan_record r;
        int fds[4];
        size_t n_fds = 0;
        peer a, pb;

        (void) state;
        /* A sender need not have attached; a receiver that has is told
         * of the new lane into its mailbox at once. */
        spawned(f, proc_of(f, "a"), &a);
        spawned(f, b, &pb);
        attach(&pb);
        lookup(&a, "b", 5);
        next_record(&a, &r, fds, &n_fds);
        assert_int_equal(r.h.type, CHAN_LANE);
        assert_int_equal(r.lane.req, 5);
        assert_string_equal(r.lane.peer, "b");
        assert_int_equal(n_fds, 4);
        close_all(fds, n_fds);
        assert_int_equal(broker_mailbox_stats(b, &st), 1);
        assert_int_equal(a.p->broker.lanes_out, 1);
        next_record(&pb, &r, fds, &n_fds);
        assert_int_equal(r.h.type, CHAN_INBOX);
        assert_string_equal(r.inbox.sender, "a");
        assert_int_equal(n_fds, 2);
        close_all(fds, n_fds);
        close(pb.fd);

        lookup(&a, "nosuch", 6);
        next_record(&a, &r, NULL, NULL);
        assert_int_equal(r.h.type, CHAN_ERROR);
        assert_int_equal(r.error.req, 6);
        assert_int_equal(r.error.error, -ENOENT);
        close(a.fd);
        fixture_free(f);
}

/* A sender that went away hands its lanes to another: the receiver's
 * next incarnation is told of the lane under the new sender's name.  The
 * broker finds the lane through its own list of mailboxes. */
static void test_broker_sender_moved(void **state) {
        fixture *f = two_groups();
        sup_proc *b = proc_of(f, "b"), *c = proc_of(f, "c");
        chan_record r;
        int fds[4];
        size_t n_fds = 0;
        peer a, pb;

        (void) state;
        spawned(f, proc_of(f, "a"), &a);
        lookup(&a, "b", 1);
        next_record(&a, &r, NULL, NULL);
        assert_int_equal(r.h.type, CHAN_LANE);
        broker_sender_moved(f->m, a.p, c);

        /* Its lanes come after its BELL, when it attaches. */
        spawned(f, b, &pb);
        no_record(&pb);
        attach(&pb);
        next_record(&pb, &r, fds, &n_fds);
        assert_int_equal(r.h.type, CHAN_INBOX);
        assert_string_equal(r.inbox.sender, "c");
        assert_int_equal(n_fds, 2);
        close_all(fds, n_fds);
        close(a.fd);
        close(pb.fd);
        fixture_free(f);
}

/* Lookups of NAME from C (requests FIRST, FIRST + 1, ...) behind a
 * one-byte send buffer on airsupd's end, until one reply waits in its
 * queue: that request's number. */
static uint32_t queue_a_reply(peer *c, const char *name, uint32_t first) {
        int one = 1;

        assert_int_equal(setsockopt(c->p->broker.chan_fd, SOL_SOCKET, SO_SNDBUF, &one, sizeof(one)), 0);
        for (uint32_t req = first; req < first + 400; req++) {
                lookup(c, name, req);
                for (int i = 0; i < 3; i++)
                        (void) sd_event_run(c->f->e, 1000);
                if (c->p->broker.chan_out)
                        return req;
        }
        fail_msg("no reply was queued");
        return 0;
}

/* The reply to request QUEUED, after the LANE replies sent before it:
 * an ERROR (ENOENT) with no fds. */
static void assert_forgotten(peer *c, uint32_t queued) {
        size_t n_fds = 0;
        chan_record r;
        int fds[4];

        for (;;) {
                next_record(c, &r, fds, &n_fds);
                if (r.h.type != CHAN_LANE || r.lane.req == queued)
                        break;
                close_all(fds, n_fds);
        }
        assert_int_equal(r.h.type, CHAN_ERROR);
        assert_int_equal(r.error.req, queued);
        assert_int_equal(r.error.error, -ENOENT);
        assert_int_equal(n_fds, 0);
}

/* A reply that waits in airsupd's queue for a child that does not read
 * names its fds by number.  When the mailbox it hands out goes (its
 * process removed), the reply becomes an ERROR: the numbers, reused by
 * whatever airsupd opens next, are never sent. */
static void test_broker_queued_lane_forgets_a_mailbox_that_goes(void **state) {
        fixture *f = two_groups();
        uint32_t queued;
        int reuse[8];
        peer a;

        (void) state;
        spawned(f, proc_of(f, "a"), &a);
        queued = queue_a_reply(&a, "b", 1);
        broker_proc_done(proc_of(f, "b"));
        for (size_t i = 0; i < 8; i++)
                assert_true((reuse[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
        assert_forgotten(&a, queued);
        close_all(reuse, 8);
        close(a.fd);
        fixture_free(f);
}

/* The same for a lane into airsupd's own mailbox ("airsupctl"), whose
 * segment is made anew when a sender garbled the old one: the numbers
 * its replies waited with are forgotten before they close. */
static void test_broker_queued_ctl_lane_forgets_a_remade_lane(void **state) {
        fixture *f = two_groups();
        int lane_fds[4] = { -1, -1, -1, -1 };
        inbox_lane_fds lf;
        size_t n_fds = 0;
        uint32_t queued;
        chan_record r;
        peer a;

        (void) state;
        spawned(f, proc_of(f, "a"), &a);
        lookup(&a, "airsupctl", 1);
        next_record(&a, &r, lane_fds, &n_fds);
        assert_int_equal(r.h.type, CHAN_LANE);
        assert_int_equal(n_fds, 4);
        queued = queue_a_reply(&a, "airsupctl", 2);
        /* What inbox.c's lane_make() does before it closes them:
         * airsupd's numbers for the lane and its space eventfd. */
        assert_int_equal(inbox_lane(f->m, a.p->name, &lf), 0);
        broker_forget_fds((const int[]) { lf.lane, lf.space }, 2);
        assert_forgotten(&a, queued);
        close_all(lane_fds, 4);
        close(a.fd);
        fixture_free(f);
}

/* A child that keeps sending what it must not: an ERROR each time, and
 * the channel closed after sixteen. */
static void test_broker_bad_records_close_the_channel(void **state) {
        fixture *f = two_groups();
        uint64_t deadline;
        char junk[8] = "garbage";
        chan_record r;
        peer a;

        (void) state;
        spawned(f, proc_of(f, "a"), &a);
        for (unsigned i = 0; i < 16; i++)
                assert_int_equal(send(a.fd, junk, sizeof(junk), 0), (ssize_t) sizeof(junk));
        deadline = mono_usec() + 5000000;
        while (a.p->broker.chan_fd >= 0 && mono_usec() < deadline)
                (void) sd_event_run(f->e, 10000);
        assert_int_equal(a.p->broker.chan_fd, -EBADF);
        assert_int_equal(a.p->broker.chan_bad, 16);
        next_record(&a, &r, NULL, NULL);
        assert_int_equal(r.h.type, CHAN_ERROR);
        assert_int_equal(r.error.error, -EBADMSG);
        assert_int_equal(reports.n[PROC_REPORT_PONG], 0);
        close(a.fd);
        fixture_free(f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_broker_bell_ping_pong),
                cmocka_unit_test(test_broker_lookup_makes_a_lane),
                cmocka_unit_test(test_broker_sender_moved),
                cmocka_unit_test(test_broker_queued_lane_forgets_a_mailbox_that_goes),
                cmocka_unit_test(test_broker_queued_ctl_lane_forgets_a_remade_lane),
                cmocka_unit_test(test_broker_bad_records_close_the_channel),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
