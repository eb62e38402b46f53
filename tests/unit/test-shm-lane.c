/* test-shm-lane.c - lanes and mailboxes in one process (and a forked peer
 * where waiting is the point): wrap-around, backpressure, expiry, priority
 * and fairness, zero-copy, redelivery, waiting with timeouts, the eventfd
 * path under poll(), 1000 lanes, and garbage in the segment. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
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
        assert_int_equal(shm_lane_create(3, 64, &fd), -EINVAL);        /* not a power of two */
        assert_int_equal(shm_lane_create(8, 0, &fd), -EINVAL);
        assert_int_equal(shm_lane_create(SHM_SLOTS_MAX * 2, 64, &fd), -EINVAL);
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

        assert_int_equal(shm_lane_create(8, 64, &fd), 0);
        assert_int_equal(fcntl(fd, F_GET_SEALS) & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
                         F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
        assert_int_equal(ftruncate(fd, 0), -1);
        close(fd);
}

static void test_shm_lane_wraps_around(void **state) {
        fixture f;
        char buf[200], want[200];

        (void) state;
        assert_int_equal(fixture_open(&f, 1, 8, 200), 0);
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
        assert_true(st.hwm >= 2 && st.hwm <= 8);
        fixture_close(&f);
}

static void test_shm_lane_plain_envelope_after_a_full_one(void **state) {
        fixture f;
        shm_envelope full = { .type = 9, .priority = 2, .sender = 3, .reply_to = 4, .correlation = 5,
                              .deadline_ns = UINT64_MAX, .len = 8 },
                     plain = { .type = 10, .len = 8 }, got;
        uint64_t v = 1, out;

        (void) state;
        assert_int_equal(fixture_open(&f, 1, 2, 64), 0);
        assert_int_equal(shm_tx_send(f.tx[0], &full, &v, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, &out, sizeof(out), NULL), 8);
        assert_int_equal(got.type, 9);
        assert_int_equal(got.priority, 2);
        assert_int_equal(got.sender, 3);
        assert_int_equal(got.reply_to, 4);
        assert_int_equal(got.correlation, 5);
        assert_true(got.deadline_ns == UINT64_MAX);
        /* Two plain messages: the second lands in the slot the full one
         * used; nothing of it may show through. */
        for (unsigned k = 0; k < 2; k++) {
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
        assert_int_equal(fixture_open(&f, 1, 4, 64), 0);
        for (uint64_t i = 0; i < 4; i++)
                assert_int_equal(send_u64(f.tx[0], i, 0, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(send_u64(f.tx[0], 99, 0, SHM_FULL_FAIL, 0), -EAGAIN);
        assert_int_equal(send_u64(f.tx[0], 99, 0, SHM_FULL_DROP, 0), 0);
        assert_int_equal(send_u64(f.tx[0], 99, 0, SHM_FULL_DROP, 0), 0);
        t0 = shm_now();
        assert_int_equal(send_u64(f.tx[0], 99, 0, SHM_FULL_BLOCK, 20 * 1000000ull), -ETIMEDOUT);
        assert_true(shm_now() - t0 >= 20 * 1000000ull);
        assert_int_equal(shm_mailbox_lane_stats(f.mb, 0, &st), 0);
        assert_int_equal(st.sent, 4);
        assert_int_equal(st.dropped, 2);
        assert_int_equal(st.depth, 4);
        /* Nothing dropped or failed got in: 0..3 come out, in order. */
        for (uint64_t i = 0; i < 4; i++)
                assert_int_equal(recv_u64(&f, NULL), i);
        assert_int_equal(send_u64(f.tx[0], 4, 0, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(recv_u64(&f, NULL), 4);
        fixture_close(&f);
}

static void test_shm_lane_expired_dropped_at_receive(void **state) {
        fixture f;
        shm_envelope e = { .len = 8 }, got, want;
        shm_lane_stats st;
        uint64_t v = 1, now = shm_now(), out;

        (void) state;
        assert_int_equal(fixture_open(&f, 1, 8, 64), 0);
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
        assert_int_equal(fixture_open(&f, 3, 16, 64), 0);
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
        assert_int_equal(fixture_open(&f, 1000, 2, 16), 0);
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
        void *p;
        char buf[64];
        shm_envelope e = { .type = 9, .len = 5 }, got;

        (void) state;
        assert_int_equal(fixture_open(&f, 1, 2, 64), 0);
        assert_int_equal(shm_tx_reserve(f.tx[0], SHM_FULL_FAIL, 0, &p), 0);
        /* One reservation at a time; sends wait for its commit. */
        assert_int_equal(shm_tx_reserve(f.tx[0], SHM_FULL_FAIL, 0, &p), -EINVAL);
        memcpy(p, "hello", 5);
        assert_int_equal(shm_tx_commit(f.tx[0], &e), 0);
        assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), NULL), 5);
        assert_memory_equal(buf, "hello", 5);
        assert_int_equal(got.type, 9);
        /* A buffer too small leaves the message where it is. */
        assert_int_equal(shm_tx_send(f.tx[0], &e, "world", SHM_FULL_FAIL, 0), 0);
        assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, buf, 2, NULL), -EMSGSIZE);
        assert_int_equal(got.len, 5);
        assert_int_equal(shm_mailbox_recv(f.mb, shm_now(), &got, buf, sizeof(buf), NULL), 5);
        e.len = 65;
        assert_int_equal(shm_tx_send(f.tx[0], &e, buf, SHM_FULL_FAIL, 0), -EMSGSIZE);
        fixture_close(&f);
}

static void test_shm_mailbox_redelivers_uncommitted(void **state) {
        fixture f;
        shm_mailbox *again;
        shm_envelope e;
        uint64_t v;
        uint32_t lane;

        (void) state;
        assert_int_equal(fixture_open(&f, 1, 8, 64), 0);
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
        assert_int_equal(fixture_open(&f, 2, 8, 64), 0);
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
        assert_int_equal(fixture_open(&f, 1, 2, 64), 0);
        assert_int_equal(send_u64(f.tx[0], 1, 0, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(send_u64(f.tx[0], 2, 0, SHM_FULL_FAIL, 0), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                shm_envelope e;
                uint64_t v;
                /* Once the sender sleeps for space. */
                await_sleeper(f.lane_fd[0], offsetof(shm__lane_hdr, rare.sleeping));
                _exit(shm_mailbox_recv(f.mb, shm_now(), &e, &v, sizeof(v), NULL) == 8 && v == 1 ? 0 : 1);
        }
        /* Full: blocks until the child frees a slot, well before 5 s. */
        assert_int_equal(send_u64(f.tx[0], 3, 0, SHM_FULL_BLOCK, 5000000000ull), 0);
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
        assert_int_equal(fixture_open(&f, 2, 8, 64), 0);
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
        assert_int_equal(fixture_open(&f, 1, 2, 64), 0);
        assert_int_equal(send_u64(f.tx[0], 1, 0, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(send_u64(f.tx[0], 2, 0, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(send_u64(f.tx[0], 3, 0, SHM_FULL_FAIL, 0), -EAGAIN);
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
                /* The receiver frees one slot. */
                _exit(shm_mailbox_recv(f.mb, shm_now(), &e, &v, sizeof(v), NULL) == 8 && v == 1 ? 0 : 1);
        }
        assert_int_equal(poll(&pfd, 1, 5000), 1);
        shm_tx_disarm_fd(f.tx[0]);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        assert_int_equal(send_u64(f.tx[0], 3, 0, SHM_FULL_FAIL, 0), 0);
        /* Drained: the eventfd is empty again. */
        assert_int_equal(poll(&pfd, 1, 0), 0);
        /* The child was the receiver: a new one goes on from its commit. */
        assert_int_equal(shm_mailbox_open(f.bell_fd, f.event_fd, &again), 0);
        assert_int_equal(shm_mailbox_add_lane(again, 0, f.lane_fd[0], f.space_fd[0]), 0);
        shm_mailbox_free(f.mb);
        f.mb = again;
        /* Space already there: arm says do not sleep. */
        assert_int_equal(send_u64(f.tx[0], 4, 0, SHM_FULL_FAIL, 0), -EAGAIN);
        assert_int_equal(recv_u64(&f, NULL), 2);
        assert_int_equal(shm_tx_arm_fd(f.tx[0]), 1);
        assert_int_equal(recv_u64(&f, NULL), 3);
        fixture_close(&f);
}

static void test_shm_mailbox_garbage_is_an_error_not_a_crash(void **state) {
        fixture f;
        shm__lane_hdr *h;
        shm_envelope e;
        shm_lane_stats st;
        uint64_t v;
        void *p;

        (void) state;
        assert_int_equal(fixture_open(&f, 2, 8, 64), 0);
        p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, f.lane_fd[0], 0);
        assert_true(p != MAP_FAILED);
        h = p;
        /* A slot whose seq is wrong is skipped and counted. */
        assert_int_equal(send_u64(f.tx[0], 1, 0, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(send_u64(f.tx[0], 2, 0, SHM_FULL_FAIL, 0), 0);
        ((shm__slot_env *) (void *) ((uint8_t *) p + SHM_SLOTS_OFFSET))->seq = 12345;
        assert_int_equal(recv_u64(&f, NULL), 2);
        assert_int_equal(shm_mailbox_lane_stats(f.mb, 0, &st), 0);
        assert_int_equal(st.errors, 1);
        /* A length beyond message_max likewise. */
        assert_int_equal(send_u64(f.tx[0], 3, 0, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(send_u64(f.tx[0], 4, 0, SHM_FULL_FAIL, 0), 0);
        ((shm__slot_env *) (void *) ((uint8_t *) p + SHM_SLOTS_OFFSET + 2 * 128))->len = 1u << 30;
        assert_int_equal(recv_u64(&f, NULL), 4);
        /* A tail far beyond head: the lane is garbled and closed, the other
         * lane goes on. */
        assert_int_equal(send_u64(f.tx[1], 9, 0, SHM_FULL_FAIL, 0), 0);
        assert_int_equal(send_u64(f.tx[0], 5, 0, SHM_FULL_FAIL, 0), 0);
        atomic_store(&h->prod.tail, UINT64_C(1) << 40);
        int bad = 0, good = 0;
        for (int i = 0; i < 4; i++) {
                int r = shm_mailbox_recv(f.mb, shm_now(), &e, &v, sizeof(v), NULL);
                if (r == -EBADMSG)
                        bad++;
                else if (r == 8 && v == 9)
                        good++;
        }
        assert_int_equal(bad, 1);
        assert_int_equal(good, 1);
        /* Garbage geometry: the lane cannot be mapped again. */
        h->geo.slots = 3;
        assert_int_equal(shm_mailbox_add_lane(f.mb, 0, f.lane_fd[0], -1), -EBADMSG);
        munmap(p, 4096);
        fixture_close(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shm_lane_create_rejects_bad_geometry),
                cmocka_unit_test(test_shm_lane_wraps_around),
                cmocka_unit_test(test_shm_lane_plain_envelope_after_a_full_one),
                cmocka_unit_test(test_shm_lane_backpressure_modes),
                cmocka_unit_test(test_shm_lane_expired_dropped_at_receive),
                cmocka_unit_test(test_shm_mailbox_priority_and_fairness),
                cmocka_unit_test(test_shm_mailbox_thousand_lanes_in_turn),
                cmocka_unit_test(test_shm_tx_reserve_commit_zero_copy),
                cmocka_unit_test(test_shm_mailbox_redelivers_uncommitted),
                cmocka_unit_test(test_shm_mailbox_wait_futex_timeout_and_wake),
                cmocka_unit_test(test_shm_tx_block_woken_by_receiver),
                cmocka_unit_test(test_shm_mailbox_eventfd_under_poll),
                cmocka_unit_test(test_shm_tx_space_fd_under_poll),
                cmocka_unit_test(test_shm_mailbox_garbage_is_an_error_not_a_crash),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
