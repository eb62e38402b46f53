/* test-shm-crash.c - real processes, real SIGKILL: producers killed at
 * random points thousands of times, a consumer killed while it holds a
 * message, a peer that scribbles random bytes over a lane and the bell
 * while the reader runs, and one that wipes the rings of another sender
 * off the bell. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "shm/layout.h"
#include "tests/unit/shm-fixture.h"

#define PAYLOAD_MAX 256

static size_t payload_len(uint64_t seq) {
        return 8 + seq % 200;
}

static void payload_fill(uint64_t seq, uint8_t *p) {
        memcpy(p, &seq, 8);
        for (size_t k = 8; k < payload_len(seq); k++)
                p[k] = (uint8_t) (seq + k);
}

/* Whatever arrives must be the next number, with its exact bytes. */
static void payload_check(uint64_t want, const uint8_t *p, int len) {
        uint64_t seq;

        assert_true(len >= 8);
        memcpy(&seq, p, 8);
        assert_int_equal(seq, want);
        assert_int_equal((size_t) len, payload_len(seq));
        for (size_t k = 8; k < (size_t) len; k++)
                assert_int_equal(p[k], (uint8_t) (seq + k));
}

/* A fresh producer each time, going on from the lane's tail; SEQ is the
 * number of messages published so far (all of them received: the parent
 * drained the lane before it forked us). */
_Noreturn static void producer(fixture *f, uint64_t seq) {
        shm_tx *t;
        uint8_t buf[PAYLOAD_MAX];

        if (shm_tx_open(f->lane_fd[0], f->bell_fd, 0, -1, -1, &t) < 0)
                _exit(2);
        for (;; seq++) {
                shm_envelope e = { .type = 1, .len = (uint32_t) payload_len(seq) };
                payload_fill(seq, buf);
                if (shm_tx_send(t, &e, buf, SHM_FULL_BLOCK, 10000000000ull) < 0)
                        _exit(3);
        }
}

static uint64_t drain(fixture *f, uint64_t next) {
        uint8_t buf[PAYLOAD_MAX];
        shm_envelope e;
        int r;

        while ((r = shm_mailbox_recv(f->mb, shm_now(), &e, buf, sizeof(buf), NULL)) >= 0)
                payload_check(next++, buf, r);
        assert_int_equal(r, -EAGAIN);
        return next;
}

static void test_shm_producer_killed_at_random_points(void **state) {
        fixture f;
        uint64_t next = 0, rounds = 2000;
        uint8_t buf[PAYLOAD_MAX];
        shm_lane_stats st;
        shm_tx *t;

        (void) state;
        srand(12345);
        assert_int_equal(fixture_open(&f, 1, 4096, PAYLOAD_MAX), 0);
        for (uint64_t i = 0; i < rounds; i++) {
                pid_t pid = fork();
                uint64_t until;
                int ws;

                assert_true(pid >= 0);
                if (pid == 0)
                        producer(&f, next);
                /* Its first message (it runs, whatever the machine's
                 * load), then receive while it runs for a random while,
                 * and kill it wherever it is. */
                until = shm_now() + 10000000000ull;
                for (uint64_t first = next; next == first;) {
                        shm_envelope e;
                        int r = shm_mailbox_recv(f.mb, shm_now(), &e, buf, sizeof(buf), NULL);
                        if (r >= 0)
                                payload_check(next++, buf, r);
                        else
                                assert_int_equal(shm_mailbox_wait(f.mb, until - shm_now(), 1000), 0);
                }
                until = shm_now() + (uint64_t) (rand() % 400) * 1000;
                while (shm_now() < until) {
                        shm_envelope e;
                        int r = shm_mailbox_recv(f.mb, shm_now(), &e, buf, sizeof(buf), NULL);
                        if (r >= 0)
                                payload_check(next++, buf, r);
                        else
                                assert_int_equal(r, -EAGAIN);
                }
                assert_int_equal(kill(pid, SIGKILL), 0);
                assert_int_equal(waitpid(pid, &ws, 0), pid);
                assert_true(WIFSIGNALED(ws));
                next = drain(&f, next);
        }
        /* A last producer rings for anything its predecessor published but
         * did not ring for; then everything published has arrived. */
        assert_int_equal(shm_tx_open(f.lane_fd[0], f.bell_fd, 0, -1, -1, &t), 0);
        next = drain(&f, next);
        assert_true(next >= rounds);
        assert_int_equal(shm_mailbox_lane_stats(f.mb, 0, &st), 0);
        assert_int_equal(st.errors, 0);
        assert_int_equal(st.received, next);
        assert_int_equal(st.depth_bytes, 0);
        /* Published bytes: at least the records of what arrived (the
         * lane wrapped many times, with padding records). */
        assert_true(shm_tx_position(t) >= next * 16);
        shm_tx_free(t);
        fixture_close(&f);
}

static void test_shm_consumer_killed_holding_a_message(void **state) {
        fixture f;
        shm_mailbox *m;
        shm_envelope e;
        uint64_t v;
        uint32_t lane;

        (void) state;
        assert_int_equal(fixture_open(&f, 1, 1024, 64), 0);
        for (uint64_t i = 1; i <= 3; i++)
                assert_int_equal(send_u64(f.tx[0], i, 0, SHM_FULL_FAIL, 0), 0);
        for (uint32_t k = 0; k < 3; k++) {
                int p[2], ws;
                uint64_t got[2];
                pid_t pid;

                assert_int_equal(pipe2(p, O_CLOEXEC), 0);
                pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        uint64_t out[2] = { 0, 0 };
                        if (shm_mailbox_open(f.bell_fd, -1, &m) < 0 || shm_mailbox_add_lane(m, 0, f.lane_fd[0], -1) < 0 ||
                            shm_mailbox_take(m, shm_now(), &e, &v, sizeof(v), &lane) != 8)
                                _exit(2);
                        out[0] = v;
                        out[1] = e.redelivered;
                        (void) !write(p[1], out, sizeof(out));
                        for (;;)
                                pause();
                }
                close(p[1]);
                /* It holds the message once it said so. */
                assert_int_equal(read(p[0], got, sizeof(got)), (ssize_t) sizeof(got));
                close(p[0]);
                assert_int_equal(kill(pid, SIGKILL), 0);
                assert_int_equal(waitpid(pid, &ws, 0), pid);
                assert_int_equal(got[0], 1);
                assert_int_equal(got[1], k);
        }
        /* Delivered three times, never committed: the caller calls it a dead
         * letter and commits it; the rest comes in order, fresh. */
        assert_int_equal(shm_mailbox_open(f.bell_fd, -1, &m), 0);
        assert_int_equal(shm_mailbox_add_lane(m, 0, f.lane_fd[0], -1), 0);
        assert_int_equal(shm_mailbox_take(m, shm_now(), &e, &v, sizeof(v), &lane), 8);
        assert_int_equal(v, 1);
        assert_int_equal(e.redelivered, 3);
        assert_int_equal(shm_mailbox_commit(m, lane), 0);
        for (uint64_t i = 2; i <= 3; i++) {
                assert_int_equal(shm_mailbox_recv(m, shm_now(), &e, &v, sizeof(v), &lane), 8);
                assert_int_equal(v, i);
                assert_int_equal(e.redelivered, 0);
        }
        shm_mailbox_free(m);
        fixture_close(&f);
}

_Noreturn static void scribbler(int lane_fd, int bell_fd) {
        struct stat st;
        uint8_t *lane, *bell;
        size_t lane_size, bell_size;
        uint64_t x = 88172645463325252ull;

        if (fstat(lane_fd, &st) < 0)
                _exit(2);
        lane_size = (size_t) st.st_size;
        if (fstat(bell_fd, &st) < 0)
                _exit(2);
        bell_size = (size_t) st.st_size;
        lane = mmap(NULL, lane_size, PROT_READ | PROT_WRITE, MAP_SHARED, lane_fd, 0);
        bell = mmap(NULL, bell_size, PROT_READ | PROT_WRITE, MAP_SHARED, bell_fd, 0);
        if (lane == MAP_FAILED || bell == MAP_FAILED)
                _exit(2);
        for (;;) {
                /* xorshift: random values at random (8-byte aligned) places. */
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if (x % 16 == 0)
                        memcpy(bell + (x >> 8) % (bell_size / 8) * 8, &x, 8);
                else
                        memcpy(lane + (x >> 8) % (lane_size / 8) * 8, &x, 8);
        }
}

static void test_shm_scribbler_cannot_crash_the_reader(void **state) {
        fixture f;
        uint64_t next1 = 0, sent1 = 0, bad = 0, got0 = 0;
        shm_lane_stats st;
        pid_t pid;
        int ws;

        (void) state;
        assert_int_equal(fixture_open(&f, 2, 1024, 64), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                scribbler(f.lane_fd[0], f.bell_fd);
        for (unsigned i = 0; i < 200000; i++) {
                uint8_t buf[64];
                shm_envelope e;
                uint32_t lane = 0;
                int r;

                (void) send_u64(f.tx[0], i, 0, SHM_FULL_FAIL, 0);
                if (send_u64(f.tx[1], sent1, 0, SHM_FULL_FAIL, 0) == 0)
                        sent1++;
                r = shm_mailbox_recv(f.mb, shm_now(), &e, buf, sizeof(buf), &lane);
                if (r == -EBADMSG) {
                        bad++;
                        /* Map it again; its geometry may be garbage by now. */
                        (void) shm_mailbox_add_lane(f.mb, 0, f.lane_fd[0], -1);
                        continue;
                }
                if (r < 0) {
                        assert_true(r == -EAGAIN || r == -EMSGSIZE);
                        continue;
                }
                if (lane == 0) {
                        got0++;
                        continue;
                }
                /* The untouched lane stays exact: gap-free, in order. */
                uint64_t v;
                assert_int_equal(r, 8);
                memcpy(&v, buf, 8);
                assert_int_equal(v, next1);
                next1++;
        }
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &ws, 0), pid);
        assert_true(next1 > 1000);
        /* The garbage was seen and counted, one way or another. */
        if (shm_lane_stats_read(f.lane_fd[0], &st) == 0)
                assert_true(bad + st.errors > 0);
        else
                assert_true(bad > 0);
        fixture_close(&f);
}

/* A peer that sets the lane's tail a full ring ahead of the receiver's
 * head, again and again, so that every record it points at is one of an
 * earlier lap. */
_Noreturn static void tail_pusher(int lane_fd, int bell_fd) {
        struct stat st;
        shm__lane_hdr *h;
        shm__bell_hdr *b;
        uint8_t *bell;

        /* Gone with the test, whatever happens to it. */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (fstat(lane_fd, &st) < 0)
                _exit(2);
        h = mmap(NULL, (size_t) st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, lane_fd, 0);
        if (fstat(bell_fd, &st) < 0)
                _exit(2);
        bell = mmap(NULL, (size_t) st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, bell_fd, 0);
        if (h == MAP_FAILED || bell == MAP_FAILED)
                _exit(2);
        b = (shm__bell_hdr *) (void *) bell;
        for (;;) {
                uint64_t head = atomic_load(&h->cons.head);
                atomic_store(&h->prod.tail, head + h->geo.capacity);
                /* And ring for lane 0, so the receiver looks. */
                atomic_fetch_or((_Atomic uint64_t *) (void *) (bell + SHM_BELL_WORDS_OFFSET), 1);
                atomic_fetch_or(&b->summary, 1);
        }
}

static void test_shm_tail_pusher_cannot_keep_recv_busy(void **state) {
        fixture f;
        unsigned calls = 0;
        int bad = 0, ws;
        pid_t pid;

        (void) state;
        assert_int_equal(fixture_open(&f, 2, 1024, 64), 0);
        /* A lap of real records first (64 of 16 bytes), so the ring holds
         * stale ones. */
        for (uint64_t i = 0; i < 64; i++)
                assert_int_equal(send_u64(f.tx[0], i, 0, SHM_FULL_FAIL, 0), 0);
        for (uint64_t i = 0; i < 64; i++) {
                uint64_t v;
                shm_envelope e;
                assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &e, &v, sizeof(v), NULL), 8);
                assert_int_equal(v, i);
        }
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                tail_pusher(f.lane_fd[0], f.bell_fd);
        /* Each call must return: before the fix one call skipped records
         * for minutes.  The alarm ends a hung test. */
        alarm(60);
        for (; calls < 100000 && bad == 0; calls++) {
                uint8_t buf[64];
                shm_envelope e;
                int r = shm_mailbox_recv(f.mb, shm_now(), &e, buf, sizeof(buf), NULL);

                if (r == -EBADMSG)
                        bad++;
                else
                        assert_true(r == -EAGAIN || r >= 0);
                if (r == -EAGAIN)
                        (void) shm_mailbox_wait(f.mb, /* timeout_ns= */ 1000000, /* spin= */ 0);
        }
        alarm(0);
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &ws, 0), pid);
        /* The lane was closed as garbled at the first stale record. */
        assert_int_equal(bad, 1);
        /* And the other lane still works. */
        assert_int_equal(send_u64(f.tx[1], 7, 0, SHM_FULL_FAIL, 0), 0);
        {
                uint64_t v = 0;
                shm_envelope e;
                int r;
                for (unsigned i = 0; i < 10 && (r = shm_mailbox_recv(f.mb, shm_now(), &e, &v, sizeof(v), NULL)) != 8; i++)
                        assert_true(r == -EAGAIN || r == -EBADMSG);
                assert_int_equal(v, 7);
        }
        fixture_close(&f);
}

/* The attacker shares the bell with the honest sender of lane 0 and, in
 * a process of its own, writes zeros over every word of it past the
 * sleeping word: whatever ring was there is gone. */
static void bell_wipe(int bell_fd) {
        pid_t pid = fork();
        int ws;

        assert_true(pid >= 0);
        if (pid == 0) {
                struct stat st;
                uint8_t *bell;

                if (fstat(bell_fd, &st) < 0)
                        _exit(2);
                bell = mmap(NULL, (size_t) st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, bell_fd, 0);
                if (bell == MAP_FAILED)
                        _exit(2);
                memset(bell + offsetof(shm__bell_hdr, summary), 0,
                       (size_t) st.st_size - offsetof(shm__bell_hdr, summary));
                _exit(0);
        }
        assert_int_equal(waitpid(pid, &ws, 0), pid);
        assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
}

/* Lane 0's receiver has given it up (idle: its sender rings), the sender
 * rings for a message, and the attacker wipes the ring: the sender never
 * rings again for that lane (it took idle back to 0), so before the sweep
 * the receiver slept through this message and every later one. */
static void give_up_and_wipe(fixture *f, uint64_t v) {
        uint64_t got;
        shm_envelope e;

        assert_int_equal(send_u64(f->tx[0], 100, 0, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(shm_mailbox_recv(f->mb, SHM_NOW_AUTO, &e, &got, sizeof(got), NULL), 8);
        assert_int_equal(got, 100);
        /* Nothing more: it sleeps 1 ms, giving the lane up first. */
        assert_int_equal(shm_mailbox_wait(f->mb, 1000000, 0), -ETIMEDOUT);
        assert_int_equal(send_u64(f->tx[0], v, 0, SHM_FULL_FAIL, 0), 0);
        bell_wipe(f->bell_fd);
        /* And one more, which does not ring: idle is 0 since the ring. */
        assert_int_equal(send_u64(f->tx[0], v + 1, 0, SHM_FULL_FAIL, 0), 0);
}

static void expect_both(fixture *f, uint64_t v) {
        for (uint64_t want = v; want < v + 2; want++) {
                uint64_t got = 0;
                shm_envelope e;
                assert_int_equal(shm_mailbox_recv(f->mb, SHM_NOW_AUTO, &e, &got, sizeof(got), NULL), 8);
                assert_int_equal(got, want);
        }
}

static void test_shm_wiped_ring_is_found_by_the_sleeper(void **state) {
        fixture f;
        uint64_t t0, waited;

        (void) state;
        assert_int_equal(fixture_open(&f, 2, 1024, 64), 0);
        give_up_and_wipe(&f, 7);
        /* The sleeper looks at its lanes itself after a slice unrung (the
         * wait would time out after 10 s without it). */
        t0 = shm_now();
        assert_int_equal(shm_mailbox_wait(f.mb, 10000000000ull, 0), 0);
        waited = shm_now() - t0;
        assert_true(waited < 5000000000ull);
        expect_both(&f, 7);
        /* Given up again, the lane rings as before. */
        assert_int_equal(shm_mailbox_wait(f.mb, 1000000, 0), -ETIMEDOUT);
        assert_int_equal(send_u64(f.tx[0], 9, 0, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(shm_mailbox_wait(f.mb, 10000000000ull, 0), 0);
        {
                uint64_t got = 0;
                shm_envelope e;
                assert_int_equal(shm_mailbox_recv(f.mb, SHM_NOW_AUTO, &e, &got, sizeof(got), NULL), 8);
                assert_int_equal(got, 9);
        }
        fixture_close(&f);
}

static void test_shm_wiped_ring_is_found_by_a_sweep(void **state) {
        fixture f;
        uint64_t got, now;
        shm_envelope e;
        struct pollfd p;

        (void) state;
        assert_int_equal(fixture_open(&f, 2, 1024, 64), 0);
        give_up_and_wipe(&f, 7);
        /* An event loop: armed, nothing rang, the eventfd stays quiet. */
        assert_int_equal(shm_mailbox_arm_fd(f.mb), 0);
        p = (struct pollfd) { .fd = f.event_fd, .events = POLLIN };
        assert_int_equal(poll(&p, 1, 200), 0);
        shm_mailbox_disarm_fd(f.mb);
        assert_int_equal(shm_mailbox_recv(f.mb, SHM_NOW_AUTO, &e, &got, sizeof(got), NULL), -EAGAIN);
        /* The sweep finds the lane; a second one within 50 ms does not
         * look at all. */
        now = shm_now();
        assert_int_equal(shm_mailbox_sweep(f.mb, now), 1);
        expect_both(&f, 7);
        assert_int_equal(send_u64(f.tx[0], 11, 0, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(shm_mailbox_sweep(f.mb, now + 1000000), 0);
        assert_int_equal(shm_mailbox_sweep(f.mb, now + 60000000), 0);  /* watched since the take: not given up */
        assert_int_equal(shm_mailbox_recv(f.mb, SHM_NOW_AUTO, &e, &got, sizeof(got), NULL), 8);
        assert_int_equal(got, 11);
        assert_int_equal(shm_mailbox_sweep(NULL, 0), -EINVAL);
        fixture_close(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shm_producer_killed_at_random_points),
                cmocka_unit_test(test_shm_consumer_killed_holding_a_message),
                cmocka_unit_test(test_shm_scribbler_cannot_crash_the_reader),
                cmocka_unit_test(test_shm_tail_pusher_cannot_keep_recv_busy),
                cmocka_unit_test(test_shm_wiped_ring_is_found_by_the_sleeper),
                cmocka_unit_test(test_shm_wiped_ring_is_found_by_a_sweep),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
