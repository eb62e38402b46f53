/* test-shm-lane.c - lanes and mailboxes in one process (and a forked peer
 * where waiting is the point): wrap-around with padding, variable sizes
 * packed densely, backpressure, expiry, priority and fairness, zero-copy,
 * batches, redelivery, waiting with timeouts, the eventfd path under
 * poll(), wakes batched for a receiver that is behind, 1000 lanes, and
 * garbage in the segment. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

#include "shm/layout.h"
#include "tests/unit/shm-fixture.h"

static uint64_t recv_u64(fixture *f, uint32_t *ret_lane) {
        shm_envelope e;
        uint64_t v = 0;
        int r = shm_mailbox_recv(f->mb, shm_now(), &e, &v, sizeof(v), ret_lane);
        assert_int_equal(r, sizeof(v));
        return v;
}

static void test_shm_lane_create_rejects_bad_geometry(void **state) {
        int fd = -1, plain;
        shm_tx *t = NULL;

        (void) state;
        assert_int_equal(shm_lane_create(3000, 64, &fd), -EINVAL);     /* not a power of two */
        assert_int_equal(shm_lane_create(4096, 0, &fd), -EINVAL);
        assert_int_equal(shm_lane_create(SHM_CAPACITY_MAX * 2u, 64, &fd), -EINVAL);
        assert_int_equal(shm_lane_create(128, 16, &fd), -EINVAL);      /* below SHM_CAPACITY_MIN */
        assert_int_equal(shm_lane_create(4096, 1025, &fd), -EINVAL);   /* more than a quarter */
        assert_true(shm_lane_geometry_valid(4096, 1024));
        assert_false(shm_lane_geometry_valid(UINT64_C(1) << 32, 1024));
        assert_int_equal(shm_bell_create(0, &fd), -EINVAL);
        assert_int_equal(shm_bell_create(SHM_LANES_MAX + 1, &fd), -EINVAL);

        /* A segment that could shrink under us is refused. */
        plain = memfd_create("plain", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        assert_true(plain >= 0);
        assert_int_equal(ftruncate(plain, 65536), 0);
        assert_int_equal(shm_tx_open(plain, plain, 0, -1, -1, &t), -EPERM);
        /* Sealed, but not a lane. */
        assert_int_equal(fcntl(plain, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
        assert_int_equal(shm_tx_open(plain, plain, 0, -1, -1, &t), -EBADMSG);
        close(plain);

        assert_int_equal(shm_lane_create(4096, 64, &fd), 0);
        assert_int_equal(fcntl(fd, F_GET_SEALS) & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
                         F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
        assert_int_equal(ftruncate(fd, 0), -1);
        close(fd);
}

static void test_shm_lane_wraps_around(void **state) {
        fixture f;
        char buf[200], want[200];

        (void) state;
        assert_int_equal(fixture_open(&f, 1, 1024, 200), 0);
        for (unsigned i = 0; i < 1000; i++) {
                shm_envelope e = { .type = i, .correlation = i * 7u, .len = i % 200 };
                memset(want, (int) (i & 0xff), sizeof(want));
                assert_int_equal(shm_tx_send(f.tx[0], &e, want, SHM_FULL_FAIL, 0), 0);
                if (i % 3 == 0)
                        continue;       /* let the ring fill a little */
                while (shm_tx_position(f.tx[0]) > 0) {
                        shm_envelope got;
                        int r = shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), NULL);
                        if (r == -EAGAIN)
                                break;
                        assert_true(r >= 0);
                        assert_int_equal(got.correlation, got.type * 7u);
                        assert_int_equal(got.len, got.type % 200);
                        for (unsigned k = 0; k < got.len; k++)
                                assert_int_equal((unsigned char) buf[k], got.type & 0xff);
                }
        }
        for (;;) {
                shm_envelope got;
                if (shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), NULL) == -EAGAIN)
                        break;
        }
        shm_lane_stats st;
        assert_int_equal(shm_mailbox_lane_stats(f.mb, 0, &st), 0);
        assert_int_equal(st.sent, 1000);
        assert_int_equal(st.received, 1000);
        assert_int_equal(st.depth, 0);
        assert_int_equal(st.depth_bytes, 0);
        assert_true(st.hwm_bytes >= 2 * 56 && st.hwm_bytes <= 1024);
        assert_int_equal(st.capacity, 1024);
        fixture_close(&f);
}

/* Records are packed: a lane holds as many messages as their bytes allow,
 * and one that would straddle the end comes after a padding record. */
static void test_shm_lane_packs_records_and_pads_the_end(void **state) {
        fixture f;
        shm_envelope e = { .type = 2 }, got;
        char buf[64], want[64];
        uint64_t pos;

        (void) state;
        assert_int_equal(fixture_open(&f, 1, 256, 64), 0);
        /* 8-byte messages take 16 bytes each: 16 fit in 256. */
        assert_int_equal(fill_u64(f.tx[0]), 16);
        assert_int_equal(shm_tx_position(f.tx[0]), 256);
        for (uint64_t i = 0; i < 16; i++) {
                uint64_t v;
                assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, &v, sizeof(v), NULL), 8);
                assert_int_equal(v, i);
        }
        /* 60-byte messages take 72: three (216 bytes), then the fourth
         * does not fit the 40 left before the end: 40 bytes of padding,
         * and it starts the next lap at offset 0. */
        e.len = 60;
        for (int k = 0; k < 3; k++) {
                memset(want, 'a' + k, sizeof(want));
                assert_int_equal(shm_tx_send(f.tx[0], &e, want, SHM_FULL_FAIL, 0), 0);
        }
        pos = shm_tx_position(f.tx[0]);
        assert_int_equal(pos, 256 + 216);
        /* With them unread, the 40 bytes left are no room for 72. */
        assert_int_equal(shm_tx_send(f.tx[0], &e, want, SHM_FULL_FAIL, 0), -EAGAIN);
        for (int k = 0; k < 3; k++) {
                assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), NULL), 60);
                memset(want, 'a' + k, sizeof(want));
                assert_memory_equal(buf, want, 60);
                assert_int_equal(got.type, 2);
        }
        memset(want, 'd', sizeof(want));
        assert_int_equal(shm_tx_send(f.tx[0], &e, want, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(shm_tx_position(f.tx[0]), 512 + 72);
        assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), NULL), 60);
        assert_memory_equal(buf, want, 60);
        assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), NULL), -EAGAIN);
        /* A full lane of 64-byte messages, 72 bytes each, across the end. */
        for (int lap = 0; lap < 3; lap++) {
                uint64_t sent = 0, got_n = 0;
                e.len = 64;
                while (shm_tx_send(f.tx[0], &e, want, SHM_FULL_FAIL, 0) == 0)
                        sent++;
                assert_true(sent >= 2 && sent <= 3);
                while (shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), NULL) == 64)
                        got_n++;
                assert_int_equal(got_n, sent);
        }
        fixture_close(&f);
}

static void test_shm_lane_plain_envelope_after_a_full_one(void **state) {
        fixture f;
        shm_envelope full = { .type = 9, .priority = 2, .sender = 3, .reply_to = 4, .correlation = 5,
                              .deadline_ns = UINT64_MAX, .len = 8 },
                     plain = { .type = 10, .len = 8 }, got;
        uint64_t v = 1, out;

        (void) state;
        assert_int_equal(fixture_open(&f, 1, 256, 64), 0);
        assert_int_equal(shm_tx_send(f.tx[0], &full, &v, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, &out, sizeof(out), NULL), 8);
        assert_int_equal(got.type, 9);
        assert_int_equal(got.priority, 2);
        assert_int_equal(got.sender, 3);
        assert_int_equal(got.reply_to, 4);
        assert_int_equal(got.correlation, 5);
        assert_true(got.deadline_ns == UINT64_MAX);
        /* Plain messages over the bytes the full one used (the lane is
         * 256 bytes: the fourth lap starts where it was); nothing of it may
         * show through. */
        for (unsigned k = 0; k < 64; k++) {
                v = 2 + k;
                assert_int_equal(shm_tx_send(f.tx[0], &plain, &v, SHM_FULL_FAIL, 0), 0);
                assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, &out, sizeof(out), NULL), 8);
                assert_int_equal(out, 2 + k);
                assert_int_equal(got.type, 10);
                assert_int_equal(got.priority, 0);
                assert_int_equal(got.sender, 0);
                assert_int_equal(got.reply_to, 0);
                assert_int_equal(got.correlation, 0);
                assert_int_equal(got.deadline_ns, 0);
                assert_int_equal(got.redelivered, 0);
        }
        fixture_close(&f);
}

static void test_shm_lane_backpressure_modes(void **state) {
        fixture f;
        shm_lane_stats st;
        uint64_t t0;

        (void) state;
        assert_int_equal(fixture_open(&f, 1, 256, 64), 0);
        assert_int_equal(fill_u64(f.tx[0]), 16);
        assert_int_equal(send_u64(f.tx[0], 99, 0, SHM_FULL_FAIL, 0), -EAGAIN);
        assert_int_equal(send_u64(f.tx[0], 99, 0, SHM_FULL_DROP, 0), 0);
        assert_int_equal(send_u64(f.tx[0], 99, 0, SHM_FULL_DROP, 0), 0);
        t0 = shm_now();
        assert_int_equal(send_u64(f.tx[0], 99, 0, SHM_FULL_BLOCK, 20 * 1000000ull), -ETIMEDOUT);
        assert_true(shm_now() - t0 >= 20 * 1000000ull);
        assert_int_equal(shm_mailbox_lane_stats(f.mb, 0, &st), 0);
        assert_int_equal(st.sent, 16);
        assert_int_equal(st.dropped, 2);
        assert_int_equal(st.depth, 16);
        assert_int_equal(st.depth_bytes, 256);
        /* Nothing dropped or failed got in: 0..15 come out, in order. */
        for (uint64_t i = 0; i < 16; i++)
                assert_int_equal(recv_u64(&f, NULL), i);
        assert_int_equal(send_u64(f.tx[0], 16, 0, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(recv_u64(&f, NULL), 16);
        fixture_close(&f);
}

static void test_shm_lane_expired_dropped_at_receive(void **state) {
        fixture f;
        shm_envelope e = { .len = 8 }, got, want;
        shm_lane_stats st;
        uint64_t v = 1, now = shm_now(), out;

        (void) state;
        assert_int_equal(fixture_open(&f, 1, 1024, 64), 0);
        e.deadline_ns = now + 1000;
        assert_int_equal(shm_tx_send(f.tx[0], &e, &v, SHM_FULL_FAIL, 0), 0);
        v = 2;
        e.deadline_ns = now + 1000000;
        assert_int_equal(shm_tx_send(f.tx[0], &e, &v, SHM_FULL_FAIL, 0), 0);
        v = 3;
        e.deadline_ns = 0;
        assert_int_equal(shm_tx_send(f.tx[0], &e, &v, SHM_FULL_FAIL, 0), 0);
        /* Injected time: the first deadline has passed, the second not. */
        assert_int_equal(shm_mailbox_recv(f.mb, now + 5000, &got, &out, sizeof(out), NULL), 8);
        assert_int_equal(out, 2);
        assert_int_equal(shm_mailbox_recv(f.mb, now + 5000000000ull, &got, &out, sizeof(out), NULL), 8);
        assert_int_equal(out, 3);
        /* Only an expired message left: nothing to take, and the caller's
         * envelope and buffer are left as they were. */
        v = 4;
        e.deadline_ns = now + 1000;
        assert_int_equal(shm_tx_send(f.tx[0], &e, &v, SHM_FULL_FAIL, 0), 0);
        memset(&want, 0x5a, sizeof(want));
        got = want;
        out = 77;
        assert_int_equal(shm_mailbox_recv(f.mb, now + 5000000000ull, &got, &out, sizeof(out), NULL), -EAGAIN);
        assert_memory_equal(&got, &want, sizeof(got));
        assert_int_equal(out, 77);
        assert_int_equal(shm_mailbox_lane_stats(f.mb, 0, &st), 0);
        assert_int_equal(st.expired, 2);
        assert_int_equal(st.received, 2);
        fixture_close(&f);
}

static void test_shm_mailbox_priority_and_fairness(void **state) {
        fixture f;
        uint32_t lane;
        char order[32] = "";

        (void) state;
        assert_int_equal(fixture_open(&f, 3, 1024, 64), 0);
        for (uint64_t i = 0; i < 3; i++) {
                assert_int_equal(send_u64(f.tx[0], 100 + i, 1, SHM_FULL_FAIL, 0), 0);
                assert_int_equal(send_u64(f.tx[1], 200 + i, 1, SHM_FULL_FAIL, 0), 0);
        }
        assert_int_equal(send_u64(f.tx[2], 300, 3, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(send_u64(f.tx[2], 301, 0, SHM_FULL_FAIL, 0), 0);
        /* 300 first (highest head), then lanes 0 and 1 in turn, each in its
         * own order; 301 (priority 0) last. */
        uint64_t want[] = { 300, 100, 200, 101, 201, 102, 202, 301 };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                uint64_t v = recv_u64(&f, &lane);
                char c[2] = { (char) ('0' + lane), 0 };
                strcat(order, c);
                assert_int_equal(v, want[i]);
        }
        assert_string_equal(order, "20101012");
        fixture_close(&f);
}

static void test_shm_mailbox_thousand_lanes_in_turn(void **state) {
        fixture f;
        uint32_t lane;

        (void) state;
        assert_int_equal(fixture_open(&f, 1000, 256, 16), 0);
        for (uint32_t i = 0; i < 1000; i++) {
                assert_int_equal(send_u64(f.tx[i], i, 0, SHM_FULL_FAIL, 0), 0);
                assert_int_equal(send_u64(f.tx[i], 1000 + i, 0, SHM_FULL_FAIL, 0), 0);
        }
        /* Every lane's first message before any lane's second. */
        for (uint32_t i = 0; i < 1000; i++)
                assert_true(recv_u64(&f, &lane) < 1000);
        for (uint32_t i = 0; i < 1000; i++)
                assert_true(recv_u64(&f, &lane) >= 1000);
        shm_envelope e;
        uint64_t v;
        assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &e, &v, sizeof(v), NULL), -EAGAIN);
        fixture_close(&f);
}

static void test_shm_tx_reserve_commit_zero_copy(void **state) {
        fixture f;
        void *p, *q;
        char buf[64];
        shm_envelope e = { .type = 9, .len = 64 }, got;

        (void) state;
        assert_int_equal(fixture_open(&f, 1, 256, 64), 0);
        /* Room for up to 64 bytes; 5 written and committed: 5 taken. */
        assert_int_equal(shm_tx_reserve(f.tx[0], &e, SHM_FULL_FAIL, 0, &p), 0);
        /* One reservation at a time; sends wait for its commit. */
        assert_int_equal(shm_tx_reserve(f.tx[0], &e, SHM_FULL_FAIL, 0, &q), -EINVAL);
        assert_int_equal(send_u64(f.tx[0], 1, 0, SHM_FULL_FAIL, 0), -EINVAL);
        memcpy(p, "hello", 5);
        assert_int_equal(shm_tx_commit(f.tx[0], 65), -EMSGSIZE);
        assert_int_equal(shm_tx_commit(f.tx[0], 5), 0);
        assert_int_equal(shm_tx_position(f.tx[0]), 16);        /* 8 + 5, rounded up */
        assert_int_equal(shm_tx_commit(f.tx[0], 5), -EINVAL);
        assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), NULL), 5);
        assert_memory_equal(buf, "hello", 5);
        assert_int_equal(got.type, 9);
        /* The envelope's fields come from the reservation. */
        e = (shm_envelope) { .type = 4, .correlation = 77, .len = 32 };
        assert_int_equal(shm_tx_reserve(f.tx[0], &e, SHM_FULL_FAIL, 0, &p), 0);
        memcpy(p, "abc", 3);
        assert_int_equal(shm_tx_commit(f.tx[0], 3), 0);
        assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), NULL), 3);
        assert_int_equal(got.correlation, 77);
        assert_memory_equal(buf, "abc", 3);
        /* Cancelled: nothing is published. */
        assert_int_equal(shm_tx_reserve(f.tx[0], &e, SHM_FULL_FAIL, 0, &p), 0);
        shm_tx_cancel(f.tx[0]);
        assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), NULL), -EAGAIN);
        /* A buffer too small leaves the message where it is. */
        e = (shm_envelope) { .type = 9, .len = 5 };
        assert_int_equal(shm_tx_send(f.tx[0], &e, "world", SHM_FULL_FAIL, 0), 0);
        assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, buf, 2, NULL), -EMSGSIZE);
        assert_int_equal(got.len, 5);
        assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), NULL), 5);
        e.len = 65;
        assert_int_equal(shm_tx_send(f.tx[0], &e, buf, SHM_FULL_FAIL, 0), -EMSGSIZE);
        assert_int_equal(shm_tx_reserve(f.tx[0], &e, SHM_FULL_FAIL, 0, &p), -EMSGSIZE);
        /* No room for the most asked for: -EAGAIN, even if less would fit. */
        assert_true(fill_u64(f.tx[0]) > 0);
        e.len = 16;
        assert_int_equal(shm_tx_reserve(f.tx[0], &e, SHM_FULL_FAIL, 0, &p), -EAGAIN);
        fixture_close(&f);
}

/* A batch: one publication for many messages, as far as they fit; FULL
 * for the rest. */
static void test_shm_tx_sendv_batches(void **state) {
        fixture f;
        shm_msg m[40];
        uint64_t v[40];
        shm_lane_stats st;

        (void) state;
        assert_int_equal(fixture_open(&f, 1, 256, 64), 0);
        for (unsigned i = 0; i < 40; i++) {
                v[i] = i;
                m[i] = (shm_msg) { .env = { .type = 1, .len = 8 }, .payload = &v[i] };
        }
        assert_int_equal(shm_tx_sendv(f.tx[0], m, 10, SHM_FULL_FAIL, 0), 10);
        for (uint64_t i = 0; i < 10; i++)
                assert_int_equal(recv_u64(&f, NULL), i);
        /* 16 fit: FAIL sends those and says so. */
        assert_int_equal(shm_tx_sendv(f.tx[0], m, 40, SHM_FULL_FAIL, 0), 16);
        assert_int_equal(shm_tx_sendv(f.tx[0], m, 40, SHM_FULL_FAIL, 0), -EAGAIN);
        for (uint64_t i = 0; i < 16; i++)
                assert_int_equal(recv_u64(&f, NULL), i);
        /* DROP: all 40 accounted for, 24 of them dropped. */
        assert_int_equal(shm_tx_sendv(f.tx[0], m, 40, SHM_FULL_DROP, 0), 40);
        assert_int_equal(shm_mailbox_lane_stats(f.mb, 0, &st), 0);
        assert_int_equal(st.dropped, 24);
        assert_int_equal(st.sent, 10 + 16 + 16);
        for (uint64_t i = 0; i < 16; i++)
                assert_int_equal(recv_u64(&f, NULL), i);
        /* A bad message first is an error; later, the batch stops there. */
        m[3].env.len = 65;
        assert_int_equal(shm_tx_sendv(f.tx[0], m + 3, 2, SHM_FULL_FAIL, 0), -EMSGSIZE);
        assert_int_equal(shm_tx_sendv(f.tx[0], m, 5, SHM_FULL_FAIL, 0), 3);
        for (uint64_t i = 0; i < 3; i++)
                assert_int_equal(recv_u64(&f, NULL), i);
        assert_int_equal(shm_tx_sendv(f.tx[0], m, 0, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(shm_tx_sendv(f.tx[0], NULL, 1, SHM_FULL_FAIL, 0), -EINVAL);
        fixture_close(&f);
}

static void test_shm_mailbox_redelivers_uncommitted(void **state) {
        fixture f;
        shm_mailbox *again;
        shm_envelope e;
        uint64_t v;
        uint32_t lane;

        (void) state;
        assert_int_equal(fixture_open(&f, 1, 1024, 64), 0);
        assert_int_equal(send_u64(f.tx[0], 42, 0, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(send_u64(f.tx[0], 43, 0, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(shm_mailbox_take(f.mb, shm_now(), &e, &v, sizeof(v), &lane), 8);
        assert_int_equal(v, 42);
        assert_int_equal(e.redelivered, 0);
        /* The consumer goes away without committing; the next one gets 42
         * again, marked. */
        f.mb = shm_mailbox_free(f.mb);
        assert_int_equal(shm_mailbox_open(f.bell_fd, -1, &again), 0);
        assert_int_equal(shm_mailbox_add_lane(again, 0, f.lane_fd[0], -1), 0);
        assert_int_equal(shm_mailbox_take(again, shm_now(), &e, &v, sizeof(v), &lane), 8);
        assert_int_equal(v, 42);
        assert_int_equal(e.redelivered, 1);
        assert_int_equal(shm_mailbox_commit(again, lane), 0);
        assert_int_equal(shm_mailbox_take(again, shm_now(), &e, &v, sizeof(v), &lane), 8);
        assert_int_equal(v, 43);
        assert_int_equal(e.redelivered, 0);
        assert_int_equal(shm_mailbox_commit(again, lane), 0);
        f.mb = again;
        fixture_close(&f);
}

/* Any sender may write over the bell's header.  A receiver that restarts
 * after that, and a sender that opens a lane then, still work: the
 * geometry comes from the sealed size, not from what the header says. */
static void test_shm_bell_header_garbage_is_ignored(void **state) {
        fixture f;
        shm_mailbox *again;
        shm_tx *tx;
        shm_envelope e;
        uint8_t *p;
        uint64_t v;
        uint32_t lane;
        struct stat st;

        (void) state;
        assert_int_equal(fixture_open(&f, 2, 1024, 64), 0);
        assert_int_equal(fstat(f.bell_fd, &st), 0);
        assert_int_equal(st.st_size, SHM_BELL_WORDS_OFFSET + 8);        /* 2 lanes: one word */
        p = mmap(NULL, (size_t) st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, f.bell_fd, 0);
        assert_true(p != MAP_FAILED);
        memset(p, 0xa5, sizeof(((shm__bell_hdr *) 0)->geo));
        assert_int_equal(send_u64(f.tx[0], 42, 0, SHM_FULL_FAIL, 0), 0);

        f.mb = shm_mailbox_free(f.mb);
        assert_int_equal(shm_mailbox_open(f.bell_fd, -1, &again), 0);
        f.mb = again;
        assert_int_equal(shm_mailbox_add_lane(again, 0, f.lane_fd[0], -1), 0);
        /* The lanes a peer may use are those of the words there are. */
        assert_int_equal(shm_mailbox_add_lane(again, 64, f.lane_fd[1], -1), -EINVAL);
        assert_int_equal(shm_tx_open(f.lane_fd[1], f.bell_fd, 64, -1, -1, &tx), -EINVAL);
        assert_int_equal(shm_tx_open(f.lane_fd[1], f.bell_fd, 1, -1, -1, &tx), 0);
        f.tx[1] = shm_tx_free(f.tx[1]);
        f.tx[1] = tx;
        assert_int_equal(shm_mailbox_add_lane(again, 1, f.lane_fd[1], -1), 0);
        assert_int_equal(send_u64(f.tx[1], 43, 0, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(shm_mailbox_take(again, shm_now(), &e, &v, sizeof(v), &lane), 8);
        assert_true((lane == 0 && v == 42) || (lane == 1 && v == 43));
        assert_int_equal(shm_mailbox_commit(again, lane), 0);
        assert_int_equal(shm_mailbox_take(again, shm_now(), &e, &v, sizeof(v), &lane), 8);
        assert_true((lane == 0 && v == 42) || (lane == 1 && v == 43));
        assert_int_equal(shm_mailbox_commit(again, lane), 0);
        munmap(p, (size_t) st.st_size);
        fixture_close(&f);
}

/* Waits (in a forked child, up to 5 s) until the sleep word at OFFSET of
 * segment FD says someone sleeps: then a wake-up is what the test sees. */
static void await_sleeper(int fd, size_t offset) {
        uint8_t *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
        uint64_t end = shm_now() + 5000000000ull;

        if (p == MAP_FAILED)
                _exit(3);
        while (!(atomic_load((_Atomic uint32_t *) (void *) (p + offset)) & 3) && shm_now() < end)
                ;
        munmap(p, 4096);
}

/* A forked sender that sends V once the receiver sleeps on the bell. */
static pid_t fork_sender(fixture *f, uint32_t lane, uint64_t v) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                await_sleeper(f->bell_fd, offsetof(shm__bell_hdr, sleeping));
                _exit(send_u64(f->tx[lane], v, 0, SHM_FULL_BLOCK, 5000000000ull) == 0 ? 0 : 1);
        }
        return pid;
}

static void test_shm_mailbox_wait_futex_timeout_and_wake(void **state) {
        fixture f;
        uint64_t t0;
        int st;
        pid_t pid;

        (void) state;
        assert_int_equal(fixture_open(&f, 2, 1024, 64), 0);
        t0 = shm_now();
        assert_int_equal(shm_mailbox_wait(f.mb, 20 * 1000000ull, 100), -ETIMEDOUT);
        assert_true(shm_now() - t0 >= 20 * 1000000ull);

        pid = fork_sender(&f, 1, 77);
        for (;;) {
                shm_envelope e;
                uint64_t v;
                int r = shm_mailbox_recv(f.mb, shm_now(), &e, &v, sizeof(v), NULL);
                if (r == -EAGAIN) {
                        assert_int_equal(shm_mailbox_wait(f.mb, 5000000000ull, 0), 0);
                        continue;
                }
                assert_int_equal(r, 8);
                assert_int_equal(v, 77);
                break;
        }
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        fixture_close(&f);
}

static void test_shm_tx_block_woken_by_receiver(void **state) {
        fixture f;
        int st;
        pid_t pid;

        (void) state;
        assert_int_equal(fixture_open(&f, 1, 256, 64), 0);
        assert_int_equal(fill_u64(f.tx[0]), 16);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                shm_envelope e;
                uint64_t v;
                /* Once the sender sleeps for space. */
                await_sleeper(f.lane_fd[0], offsetof(shm__lane_hdr, rare.sleeping));
                _exit(shm_mailbox_recv(f.mb, shm_now(), &e, &v, sizeof(v), NULL) == 8 && v == 0 ? 0 : 1);
        }
        /* Full: blocks until the child frees a record, well before 5 s. */
        assert_int_equal(send_u64(f.tx[0], 16, 0, SHM_FULL_BLOCK, 5000000000ull), 0);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        fixture_close(&f);
}

static void test_shm_mailbox_eventfd_under_poll(void **state) {
        fixture f;
        struct pollfd pfd;
        shm_envelope e;
        uint64_t v;
        int st;
        pid_t pid;

        (void) state;
        assert_int_equal(fixture_open(&f, 2, 1024, 64), 0);
        /* Armed with nothing there: poll times out. */
        assert_int_equal(shm_mailbox_arm_fd(f.mb), 0);
        pfd = (struct pollfd) { .fd = f.event_fd, .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 10), 0);
        /* The child sends on lane 1: lane 0 stays this process's to send on. */
        pid = fork_sender(&f, 1, 5);
        assert_int_equal(poll(&pfd, 1, 5000), 1);
        shm_mailbox_disarm_fd(f.mb);
        assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &e, &v, sizeof(v), NULL), 8);
        assert_int_equal(v, 5);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        /* Something already there: arm says do not sleep. */
        assert_int_equal(send_u64(f.tx[0], 6, 0, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(shm_mailbox_arm_fd(f.mb), 1);
        fixture_close(&f);
}

static void test_shm_tx_space_fd_under_poll(void **state) {
        fixture f;
        shm_mailbox *again;
        struct pollfd pfd;
        shm_envelope e;
        uint64_t v;
        int st;
        pid_t pid;

        (void) state;
        assert_int_equal(fixture_open(&f, 1, 256, 64), 0);
        assert_int_equal(fill_u64(f.tx[0]), 16);
        assert_int_equal(send_u64(f.tx[0], 16, 0, SHM_FULL_FAIL, 0), -EAGAIN);
        /* The receiver's add_lane woke us once, in case a receiver before
         * it died between freeing a slot and waking: disarm drains that. */
        shm_tx_disarm_fd(f.tx[0]);
        /* Armed on a full lane nobody drains: poll times out. */
        assert_int_equal(shm_tx_arm_fd(f.tx[0]), 0);
        pfd = (struct pollfd) { .fd = f.space_fd[0], .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 10), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                /* The receiver frees one record. */
                _exit(shm_mailbox_recv(f.mb, shm_now(), &e, &v, sizeof(v), NULL) == 8 && v == 0 ? 0 : 1);
        }
        assert_int_equal(poll(&pfd, 1, 5000), 1);
        shm_tx_disarm_fd(f.tx[0]);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        assert_int_equal(send_u64(f.tx[0], 16, 0, SHM_FULL_FAIL, 0), 0);
        /* Drained: the eventfd is empty again. */
        assert_int_equal(poll(&pfd, 1, 0), 0);
        /* The child was the receiver: a new one goes on from its commit. */
        assert_int_equal(shm_mailbox_open(f.bell_fd, f.event_fd, &again), 0);
        assert_int_equal(shm_mailbox_add_lane(again, 0, f.lane_fd[0], f.space_fd[0]), 0);
        shm_mailbox_free(f.mb);
        f.mb = again;
        /* Space already there: arm says do not sleep. */
        assert_int_equal(send_u64(f.tx[0], 17, 0, SHM_FULL_FAIL, 0), -EAGAIN);
        assert_int_equal(recv_u64(&f, NULL), 1);
        assert_int_equal(shm_tx_arm_fd(f.tx[0]), 1);
        assert_int_equal(recv_u64(&f, NULL), 2);
        fixture_close(&f);
}

/* Sends V on lane 0 of F and returns where its record starts. */
static uint8_t *sent_at(fixture *f, uint8_t *seg, uint64_t v) {
        uint64_t pos = shm_tx_position(f->tx[0]);

        assert_int_equal(send_u64(f->tx[0], v, 0, SHM_FULL_FAIL, 0), 0);
        return seg + SHM_DATA_OFFSET + pos % 1024;
}

/* Lane 0 closed as garbled (one -EBADMSG, one error counted), lane 1
 * still served; then lane 0 is given back fresh (positions and data as
 * the test left them, errors kept). */
static void expect_garbled(fixture *f, const char *what) {
        shm_envelope e;
        shm_lane_stats st;
        uint64_t v = 0;
        int bad = 0, good = 0;

        assert_int_equal(send_u64(f->tx[1], 9, 0, SHM_FULL_FAIL, 0), 0);
        for (int i = 0; i < 4; i++) {
                int r = shm_mailbox_recv(f->mb, shm_now(), &e, &v, sizeof(v), NULL);
                if (r == -EBADMSG)
                        bad++;
                else if (r == 8 && v == 9)
                        good++;
                else
                        assert_int_equal(r, -EAGAIN);
        }
        if (bad != 1 || good != 1)
                fail_msg("%s: %d -EBADMSG and %d good messages", what, bad, good);
        assert_int_equal(shm_lane_stats_read(f->lane_fd[0], &st), 0);
        assert_true(st.errors >= 1);
}

static void test_shm_tx_send_prefixed(void **state) {
        fixture f;
        char buf[128];
        uint8_t payload[40];
        uint64_t dropped = 0;

        (void) state;
        assert_int_equal(fixture_open(&f, 1, 1024, 128), 0);
        for (unsigned i = 0; i < sizeof(payload); i++)
                payload[i] = (uint8_t) i;
        /* Round after round, past the end of the ring (padding). */
        for (unsigned i = 0; i < 200; i++) {
                shm_envelope e = { .type = i, .to_len = 7, .len = 7 + (i % 41) }, got;
                int r;

                assert_int_equal(shm_tx_send_prefixed(f.tx[0], &e, "ab.cdef", payload, SHM_FULL_FAIL, 0), 0);
                r = shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), NULL);
                assert_int_equal(r, (int) e.len);
                assert_int_equal(got.to_len, 7);
                assert_int_equal(got.type, i);
                assert_memory_equal(buf, "ab.cdef", 7);
                assert_memory_equal(buf + 7, payload, i % 41);
        }
        /* No payload at all, and bad arguments. */
        shm_envelope only = { .type = 1, .to_len = 3, .len = 3 }, bad = { .to_len = 4, .len = 3 };
        assert_int_equal(shm_tx_send_prefixed(f.tx[0], &only, "a.b", NULL, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(shm_tx_send_prefixed(f.tx[0], &bad, "a.bc", payload, SHM_FULL_FAIL, 0), -EINVAL);
        only.len = 3 + 200;
        assert_int_equal(shm_tx_send_prefixed(f.tx[0], &only, "a.b", payload, SHM_FULL_FAIL, 0), -EMSGSIZE);
        /* Full: dropped and counted, or refused. */
        only.len = 3 + 40;
        while (shm_tx_send_prefixed(f.tx[0], &only, "a.b", payload, SHM_FULL_FAIL, 0) == 0)
                ;
        assert_int_equal(shm_tx_send_prefixed(f.tx[0], &only, "a.b", payload, SHM_FULL_FAIL, 0), -EAGAIN);
        assert_int_equal(shm_tx_send_prefixed(f.tx[0], &only, "a.b", payload, SHM_FULL_DROP, 0), 0);
        {
                shm_lane_stats st;
                assert_int_equal(shm_lane_stats_read(f.lane_fd[0], &st), 0);
                dropped = st.dropped;
        }
        assert_int_equal(dropped, 1);
        fixture_close(&f);
}

/* The last record T wrote after position POS took REC bytes: from POS,
 * or from the start of a 1024-byte ring after a padding record. */
static void took(shm_tx *t, uint64_t pos, uint64_t rec) {
        uint64_t now = shm_tx_position(t);

        assert_true(now - pos == rec || (now - pos > rec && now % 1024 == rec));
}

/* A message with an address or a priority and no other envelope field
 * takes a 16-byte header (layout.h), read back the same by the common
 * receive and by a take; a full envelope before it shows nothing through,
 * and its priority orders it among the lanes. */
static void test_shm_lane_addressed_header(void **state) {
        fixture f;
        uint8_t payload[64], buf[128];
        shm_envelope to_actor = { .type = 7, .to_len = 5, .len = 5 + 64 },
                     prio = { .type = 8, .priority = 3, .len = 8 },
                     full = { .type = 9, .sender = 1, .reply_to = 2, .correlation = 3, .to_len = 5, .len = 5 + 8 },
                     got;
        uint64_t pos, v = 42;
        uint32_t lane = 99;

        (void) state;
        for (unsigned i = 0; i < sizeof(payload); i++)
                payload[i] = (uint8_t) (i + 1);
        assert_int_equal(fixture_open(&f, 2, 1024, 128), 0);

        /* 16 + 5 + 64 = 85, rounded up to 88 (48 + 69 took 120). */
        for (unsigned round = 0; round < 30; round++) {
                pos = shm_tx_position(f.tx[0]);
                assert_int_equal(shm_tx_send_prefixed(f.tx[0], &full, "count", payload, SHM_FULL_FAIL, 0), 0);
                took(f.tx[0], pos, 64);         /* 48 + 13 */
                pos = shm_tx_position(f.tx[0]);
                assert_int_equal(shm_tx_send_prefixed(f.tx[0], &to_actor, "count", payload, SHM_FULL_FAIL, 0), 0);
                took(f.tx[0], pos, 88);

                assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), NULL), 13);
                assert_int_equal(got.sender, 1);
                assert_int_equal(got.to_len, 5);
                /* The common receive. */
                assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), &lane), 69);
                assert_int_equal(lane, 0);
                assert_int_equal(got.type, 7);
                assert_int_equal(got.to_len, 5);
                assert_int_equal(got.priority, 0);
                assert_int_equal(got.sender, 0);
                assert_int_equal(got.reply_to, 0);
                assert_int_equal(got.correlation, 0);
                assert_int_equal(got.deadline_ns, 0);
                assert_memory_equal(buf, "count", 5);
                assert_memory_equal(buf + 5, payload, 64);
        }

        /* A priority alone: 16 + 8; queued before lane 1's plain message
         * that came first; taken (the general path) and committed. */
        assert_int_equal(send_u64(f.tx[1], 5, 0, SHM_FULL_FAIL, 0), 0);
        pos = shm_tx_position(f.tx[0]);
        assert_int_equal(shm_tx_send(f.tx[0], &prio, &v, SHM_FULL_FAIL, 0), 0);
        took(f.tx[0], pos, 24);
        assert_int_equal(shm_mailbox_take(f.mb, shm_now(), &got, buf, sizeof(buf), &lane), 8);
        assert_int_equal(lane, 0);
        assert_int_equal(got.type, 8);
        assert_int_equal(got.priority, 3);
        assert_int_equal(got.to_len, 0);
        assert_memory_equal(buf, &v, 8);
        assert_int_equal(shm_mailbox_commit(f.mb, lane), 0);
        assert_int_equal(recv_u64(&f, &lane), 5);
        assert_int_equal(lane, 1);

        /* Reserve and commit write the same header. */
        {
                void *room;
                pos = shm_tx_position(f.tx[0]);
                assert_int_equal(shm_tx_reserve(f.tx[0], &to_actor, SHM_FULL_FAIL, 0, &room), 0);
                memcpy(room, "count", 5);
                memcpy((uint8_t *) room + 5, payload, 3);
                assert_int_equal(shm_tx_commit(f.tx[0], 8), 0);
                took(f.tx[0], pos, 24);
                assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), NULL), 8);
                assert_int_equal(got.to_len, 5);
                assert_memory_equal(buf, "count", 5);
                assert_memory_equal(buf + 5, payload, 3);
        }
        fixture_close(&f);
}

/* The address table (layout.h): an address written once, its id the
 * same for every later lookup and for a sender opening the lane after a
 * restart; a record naming it is 16 + payload bytes, and the receiver
 * gets the address before the payload (the common receive, a take, a
 * dead letter's head); a full table refuses; address and payload beyond
 * message_max are refused. */
static void test_shm_tx_address_table(void **state) {
        fixture f;
        uint8_t payload[64], buf[128];
        shm_envelope e = { .type = 4, .len = 64 }, got;
        shm_tx *again = NULL;
        shm_dead_letter dl;
        uint64_t pos;
        uint32_t lane = 99;
        int id, id2, n;
        char name[16];

        (void) state;
        for (unsigned i = 0; i < sizeof(payload); i++)
                payload[i] = (uint8_t) (0x40 + i);
        assert_int_equal(fixture_open(&f, 1, 1024, 128), 0);
        assert_int_equal(shm_tx_address(f.tx[0], "count", 0), -EINVAL);
        assert_int_equal(shm_tx_address(f.tx[0], "count", 64), -EINVAL);
        id = shm_tx_address(f.tx[0], "count", 5);
        assert_true(id >= 0);
        assert_int_equal(shm_tx_address(f.tx[0], "count", 5), id);
        id2 = shm_tx_address(f.tx[0], "other", 5);
        assert_true(id2 >= 0 && id2 != id);
        /* Not an id this sender wrote, or with an address of its own. */
        assert_int_equal(shm_tx_send_to(f.tx[0], &e, 31, payload, SHM_FULL_FAIL, 0), -EINVAL);
        {
                shm_envelope both = e;
                both.to_len = 3;
                assert_int_equal(shm_tx_send_to(f.tx[0], &both, (uint32_t) id, payload, SHM_FULL_FAIL, 0), -EINVAL);
        }

        /* Round after round, past the end of the ring: 16 + 64 bytes. */
        for (unsigned round = 0; round < 40; round++) {
                pos = shm_tx_position(f.tx[0]);
                assert_int_equal(shm_tx_send_to(f.tx[0], &e, (uint32_t) (round % 2 ? id2 : id), payload,
                                                SHM_FULL_FAIL, 0), 0);
                took(f.tx[0], pos, 80);
                assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), &lane), 69);
                assert_int_equal(got.len, 69);
                assert_int_equal(got.to_len, 5);
                assert_int_equal(got.type, 4);
                assert_memory_equal(buf, round % 2 ? "other" : "count", 5);
                assert_memory_equal(buf + 5, payload, 64);
        }
        /* A buffer for the payload alone is too small: the length the
         * receiver needs is the address's and the payload's. */
        assert_int_equal(shm_tx_send_to(f.tx[0], &e, (uint32_t) id, payload, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(shm_mailbox_take(f.mb, shm_now(), &got, buf, 64, &lane), -EMSGSIZE);
        assert_int_equal(got.len, 69);
        assert_int_equal(shm_mailbox_take(f.mb, shm_now(), &got, buf, sizeof(buf), &lane), 69);
        assert_int_equal(got.to_len, 5);
        assert_memory_equal(buf, "count", 5);
        assert_int_equal(shm_mailbox_commit(f.mb, lane), 0);
        /* Address and payload beyond message_max (128). */
        e.len = 124;
        assert_int_equal(shm_tx_send_to(f.tx[0], &e, (uint32_t) id, buf, SHM_FULL_FAIL, 0), -EMSGSIZE);
        e.len = 64;

        /* A sender opening the lane again finds the entries. */
        assert_int_equal(shm_tx_open(f.lane_fd[0], f.bell_fd, 0, -EBADF, -EBADF, &again), 0);
        assert_int_equal(shm_tx_address(again, "other", 5), id2);
        assert_int_equal(shm_tx_address(again, "count", 5), id);
        again = shm_tx_free(again);

        /* A full table refuses; the entries written stay as they were. */
        n = 2;
        for (;; n++) {
                snprintf(name, sizeof(name), "a%d", n % 1000);
                int r = shm_tx_address(f.tx[0], name, (uint32_t) strlen(name));
                if (r == -ENOSPC)
                        break;
                assert_int_equal(r, n);
        }
        assert_true(n >= 28 && n <= 32);
        assert_int_equal(shm_tx_address(f.tx[0], "count", 5), id);

        /* Taken and never committed, past the redeliveries: a dead letter
         * whose head is the address, then the payload. */
        assert_int_equal(shm_tx_send_to(f.tx[0], &e, (uint32_t) id2, payload, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(shm_mailbox_take(f.mb, shm_now(), &got, buf, sizeof(buf), &lane), 69);
        assert_int_equal(shm_lane_take_dead(f.lane_fd[0], 0, &dl), 1);
        assert_int_equal(dl.env.len, 69);
        assert_int_equal(dl.env.to_len, 5);
        assert_int_equal(dl.n_head, 64);
        assert_memory_equal(dl.head, "other", 5);
        assert_memory_equal(dl.head + 5, payload, 59);
        fixture_close(&f);
}

/* Records naming the table wrongly, or an entry a peer garbled: an error
 * on the lane, never a message, and the other lanes served. */
static void test_shm_mailbox_address_table_garbage(void **state) {
        fixture f;
        shm_envelope e = { .type = 4, .len = 8 };
        uint8_t *p, *entry, *rec;
        shm__lane_hdr *h;
        uint64_t v = 7, pos;
        uint32_t to;
        int id;

        (void) state;
        assert_int_equal(fixture_open(&f, 2, 1024, 64), 0);
        p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, f.lane_fd[0], 0);
        assert_true(p != MAP_FAILED);
        h = (shm__lane_hdr *) (void *) p;
        id = shm_tx_address(f.tx[0], "count", 5);
        assert_int_equal(id, 0);
        entry = p + SHM_DATA_OFFSET + 1024;
        assert_int_equal(entry[0], 5);
        assert_memory_equal(entry + 1, "count", 5);

        /* An entry's length of 0, or of 64 and more. */
        entry[0] = 0;
        assert_int_equal(shm_tx_send_to(f.tx[0], &e, 0, &v, SHM_FULL_FAIL, 0), 0);
        expect_garbled(&f, "an entry of length 0");
        atomic_store(&h->cons.head, atomic_load(&h->prod.tail));
        assert_int_equal(shm_mailbox_add_lane(f.mb, 0, f.lane_fd[0], -1), 0);
        entry[0] = 200;
        assert_int_equal(shm_tx_send_to(f.tx[0], &e, 0, &v, SHM_FULL_FAIL, 0), 0);
        expect_garbled(&f, "an entry longer than 63");
        /* One that, with the payload, is more than message_max (64). */
        atomic_store(&h->cons.head, atomic_load(&h->prod.tail));
        assert_int_equal(shm_mailbox_add_lane(f.mb, 0, f.lane_fd[0], -1), 0);
        entry[0] = 60;
        assert_int_equal(shm_tx_send_to(f.tx[0], &e, 0, &v, SHM_FULL_FAIL, 0), 0);
        expect_garbled(&f, "an entry beyond message_max");
        entry[0] = 5;

        /* An id past the table. */
        atomic_store(&h->cons.head, atomic_load(&h->prod.tail));
        assert_int_equal(shm_mailbox_add_lane(f.mb, 0, f.lane_fd[0], -1), 0);
        pos = shm_tx_position(f.tx[0]);
        assert_int_equal(shm_tx_send_to(f.tx[0], &e, 0, &v, SHM_FULL_FAIL, 0), 0);
        rec = p + SHM_DATA_OFFSET + pos % 1024;
        to = SHM_TO_ID | 4000;
        memcpy(rec + SHM_REC_TO_LEN, &to, 4);
        expect_garbled(&f, "an id past the table");

        /* And the lane given back, honest again, delivers. */
        atomic_store(&h->cons.head, atomic_load(&h->prod.tail));
        assert_int_equal(shm_mailbox_add_lane(f.mb, 0, f.lane_fd[0], -1), 0);
        assert_int_equal(shm_tx_send_to(f.tx[0], &e, 0, &v, SHM_FULL_FAIL, 0), 0);
        {
                uint8_t buf[64];
                shm_envelope got;
                assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), NULL), 13);
                assert_memory_equal(buf, "count", 5);
                assert_memory_equal(buf + 5, &v, 8);
        }
        munmap(p, 8192);
        fixture_close(&f);
}

/* Whether the eventfd was written (and drains it). */
static bool rung(fixture *f) {
        struct pollfd pfd = { .fd = f->event_fd, .events = POLLIN };
        return poll(&pfd, 1, 0) == 1;
}

static void drain_u64(fixture *f, unsigned n) {
        for (unsigned k = 0; k < n; k++)
                (void) recv_u64(f, NULL);
}

static void test_shm_mailbox_batch_wakes(void **state) {
        fixture f;
        uint64_t max = 0;
        shm_envelope e;
        uint64_t v;
        unsigned sent;

        (void) state;
        /* 64 KiB: a batch is 16 KiB, 1024 records of 16 bytes. */
        assert_int_equal(fixture_open(&f, 1, 65536, 64), 0);

        /* Not a burst: given up plainly, rung at the next message. */
        assert_int_equal(send_u64(f.tx[0], 1, 0, SHM_FULL_FAIL, 0), 0);
        drain_u64(&f, 1);
        assert_int_equal(shm_mailbox_arm_fd_nap(f.mb, &max), 0);
        assert_true(max == UINT64_MAX);
        assert_int_equal(send_u64(f.tx[0], 2, 0, SHM_FULL_FAIL, 0), 0);
        assert_true(rung(&f));
        shm_mailbox_disarm_fd(f.mb);
        drain_u64(&f, 1);

        /* A burst: the receiver was behind.  Given up in batch mode, its
         * sender rings only once a batch waits, and the receiver is told
         * to look again within a nap. */
        for (sent = 0; sent < 200; sent++)
                assert_int_equal(send_u64(f.tx[0], sent, 0, SHM_FULL_FAIL, 0), 0);
        drain_u64(&f, 200);
        assert_int_equal(shm_mailbox_arm_fd_nap(f.mb, &max), 0);
        assert_true(max > 0 && max <= SHM_NAP_NS);
        for (sent = 0; sent < 1023; sent++)
                assert_int_equal(send_u64(f.tx[0], sent, 0, SHM_FULL_FAIL, 0), 0);
        assert_false(rung(&f));
        assert_int_equal(send_u64(f.tx[0], sent++, 0, SHM_FULL_FAIL, 0), 0);
        assert_true(rung(&f));
        shm_mailbox_disarm_fd(f.mb);
        drain_u64(&f, sent);

        /* Unrung past its nap: the receiver finds the message itself, and
         * gives the lane up plainly next time. */
        assert_int_equal(shm_mailbox_arm_fd_nap(f.mb, &max), 0);
        assert_true(max <= SHM_NAP_NS);
        assert_int_equal(send_u64(f.tx[0], 7, 0, SHM_FULL_FAIL, 0), 0);
        assert_false(rung(&f));
        {
                struct timespec ts = { .tv_nsec = 2 * (long) SHM_NAP_NS };
                nanosleep(&ts, NULL);
        }
        shm_mailbox_disarm_fd(f.mb);
        assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &e, &v, sizeof(v), NULL), 8);
        assert_int_equal(v, 7);
        assert_int_equal(shm_mailbox_arm_fd_nap(f.mb, &max), 0);
        assert_true(max == UINT64_MAX);
        assert_int_equal(send_u64(f.tx[0], 8, 0, SHM_FULL_FAIL, 0), 0);
        assert_true(rung(&f));
        shm_mailbox_disarm_fd(f.mb);
        drain_u64(&f, 1);

        /* shm_mailbox_arm_fd(): never a batch, whatever came before. */
        for (sent = 0; sent < 200; sent++)
                assert_int_equal(send_u64(f.tx[0], sent, 0, SHM_FULL_FAIL, 0), 0);
        drain_u64(&f, 200);
        assert_int_equal(shm_mailbox_arm_fd(f.mb), 0);
        assert_int_equal(send_u64(f.tx[0], 9, 0, SHM_FULL_FAIL, 0), 0);
        assert_true(rung(&f));
        shm_mailbox_disarm_fd(f.mb);
        drain_u64(&f, 1);
        fixture_close(&f);
}

static void test_shm_mailbox_garbage_is_an_error_not_a_crash(void **state) {
        fixture f;
        shm__lane_hdr *h;
        uint8_t *p, *rec;
        uint32_t w;

        (void) state;
        assert_int_equal(fixture_open(&f, 2, 1024, 64), 0);
        p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, f.lane_fd[0], 0);
        assert_true(p != MAP_FAILED);
        h = (shm__lane_hdr *) (void *) p;

        /* A record of another lap (what a tail moved ahead finds). */
        rec = sent_at(&f, p, 1);
        memcpy(&w, rec, 4);
        w ^= 1u << SHM_REC_LAP_SHIFT;
        memcpy(rec, &w, 4);
        expect_garbled(&f, "wrong lap");

        /* Each garbling below on a lane handed back again: a new consumer
         * goes on from the segment's head. */
        atomic_store(&h->cons.head, atomic_load(&h->prod.tail));
        assert_int_equal(shm_mailbox_add_lane(f.mb, 0, f.lane_fd[0], -1), 0);
        rec = sent_at(&f, p, 2);
        memcpy(&w, rec, 4);
        w = (w & ~SHM_REC_LEN_MASK) | 65;               /* beyond message_max */
        memcpy(rec, &w, 4);
        expect_garbled(&f, "length beyond message_max");

        atomic_store(&h->cons.head, atomic_load(&h->prod.tail));
        assert_int_equal(shm_mailbox_add_lane(f.mb, 0, f.lane_fd[0], -1), 0);
        rec = sent_at(&f, p, 3);
        memcpy(&w, rec, 4);
        w = (w & ~SHM_REC_LEN_MASK) | 60;               /* longer than what was published */
        memcpy(rec, &w, 4);
        expect_garbled(&f, "length beyond tail");

        atomic_store(&h->cons.head, atomic_load(&h->prod.tail));
        assert_int_equal(shm_mailbox_add_lane(f.mb, 0, f.lane_fd[0], -1), 0);
        rec = sent_at(&f, p, 4);
        memcpy(&w, rec, 4);
        w |= SHM_REC_PADDING;                            /* padding in the middle of the ring */
        memcpy(rec, &w, 4);
        expect_garbled(&f, "padding that does not end the ring");

        /* An 8-byte header turned into a 16-byte one: the record now
         * reaches past what was published. */
        atomic_store(&h->cons.head, atomic_load(&h->prod.tail));
        assert_int_equal(shm_mailbox_add_lane(f.mb, 0, f.lane_fd[0], -1), 0);
        rec = sent_at(&f, p, 6);
        memcpy(&w, rec, 4);
        w |= SHM_REC_ADDRESSED;
        memcpy(rec, &w, 4);
        expect_garbled(&f, "an addressed header past tail");

        /* A tail that is not a record boundary, or far beyond head. */
        atomic_store(&h->cons.head, atomic_load(&h->prod.tail));
        assert_int_equal(shm_mailbox_add_lane(f.mb, 0, f.lane_fd[0], -1), 0);
        (void) sent_at(&f, p, 5);
        atomic_fetch_add(&h->prod.tail, 3);
        expect_garbled(&f, "unaligned tail");
        atomic_store(&h->prod.tail, atomic_load(&h->cons.head));
        assert_int_equal(shm_mailbox_add_lane(f.mb, 0, f.lane_fd[0], -1), 0);
        atomic_store(&h->prod.tail, UINT64_C(1) << 40);
        expect_garbled(&f, "tail far beyond head");

        /* Garbage geometry: the lane cannot be mapped again. */
        h->geo.capacity = 1000;
        assert_int_equal(shm_mailbox_add_lane(f.mb, 0, f.lane_fd[0], -1), -EBADMSG);
        munmap(p, 8192);
        fixture_close(&f);
}

/* A lane's memory follows its capacity, not a slot per message. */
static void test_shm_lane_memory_is_its_capacity(void **state) {
        struct stat st;
        int fd;

        (void) state;
        assert_int_equal(shm_lane_create(256 * 1024, 4096, &fd), 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_size, 256 * 1024 + 4096);
        close(fd);
        assert_int_equal(shm_lane_create(4096, 1024, &fd), 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_size, 8192);
        close(fd);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shm_lane_create_rejects_bad_geometry),
                cmocka_unit_test(test_shm_lane_wraps_around),
                cmocka_unit_test(test_shm_lane_packs_records_and_pads_the_end),
                cmocka_unit_test(test_shm_lane_plain_envelope_after_a_full_one),
                cmocka_unit_test(test_shm_lane_backpressure_modes),
                cmocka_unit_test(test_shm_lane_expired_dropped_at_receive),
                cmocka_unit_test(test_shm_mailbox_priority_and_fairness),
                cmocka_unit_test(test_shm_mailbox_thousand_lanes_in_turn),
                cmocka_unit_test(test_shm_tx_reserve_commit_zero_copy),
                cmocka_unit_test(test_shm_tx_sendv_batches),
                cmocka_unit_test(test_shm_mailbox_redelivers_uncommitted),
                cmocka_unit_test(test_shm_bell_header_garbage_is_ignored),
                cmocka_unit_test(test_shm_mailbox_wait_futex_timeout_and_wake),
                cmocka_unit_test(test_shm_tx_block_woken_by_receiver),
                cmocka_unit_test(test_shm_mailbox_eventfd_under_poll),
                cmocka_unit_test(test_shm_tx_space_fd_under_poll),
                cmocka_unit_test(test_shm_tx_send_prefixed),
                cmocka_unit_test(test_shm_lane_addressed_header),
                cmocka_unit_test(test_shm_tx_address_table),
                cmocka_unit_test(test_shm_mailbox_address_table_garbage),
                cmocka_unit_test(test_shm_mailbox_batch_wakes),
                cmocka_unit_test(test_shm_mailbox_garbage_is_an_error_not_a_crash),
                cmocka_unit_test(test_shm_lane_memory_is_its_capacity),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
