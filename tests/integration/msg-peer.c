/* msg-peer - a group that sends or receives through libairsup, for the
 * message tests.
 *
 *   msg-peer produce DEST N [FIRST_FILE]
 *       sends messages FIRST .. N-1 to DEST (blocking), then waits; each
 *       payload is its 8-byte number and 0..63 bytes that follow from it.
 *       FIRST is 0, or the number in FIRST_FILE (what a producer that was
 *       killed got to), which it keeps up to date.
 *   msg-peer produce-poll DEST N
 *       sends 0 .. N-1 as an event loop would: AIRSUP_FAIL, and on
 *       -EAGAIN arm the destination's fd and poll() it; prints
 *       "sent N, waited W times" (W: polls that had to wait)
 *   msg-peer consume OUT [--hold-every N --holds K] [--gate FIFO] [--poison P]
 *       says READY=1, opens FIFO (waiting for the test to open it for
 *       writing), then for each message: checks its payload, appends
 *       "NUMBER REDELIVERED SENDER" (or "CORRUPT ...") to OUT, and
 *       commits it.  Message k*N-1 (k < K), delivered the first time, is
 *       held: "HOLD NUMBER" is appended and it waits to be killed, taken
 *       and not committed.  Message P makes it crash (SIGKILL itself)
 *       each time, before the commit
 *   msg-peer scribble DEST SECONDS
 *       an attacker: looks up DEST like an honest sender and sends it a
 *       few messages, then finds the lane and the bell airsupd gave it
 *       among its own fds (/proc/self/fd, memfd:airsup-*), maps them and
 *       writes random bytes all over them for SECONDS, the whole first
 *       192 bytes of each (the headers) among them; prints "done N" (N
 *       segments scribbled on), says it is ready and waits
 *   msg-peer wipe DEST SECONDS
 *       another attacker: looks up DEST, finds the bell airsupd gave it
 *       (memfd:airsup-bell), prints "wiping" and writes zeros over every
 *       ring on it, again and again, for SECONDS; prints "done N" (N
 *       wipes), says it is ready and waits
 *   msg-peer heartbeat FILE
 *       ready, then airsup_heartbeat() every 50 ms, counting them into
 *       FILE, until SIGUSR1: then alive and silent, a stuck loop
 *   msg-peer serve
 *       (ready,) then a receive loop (airsup_recv(), 50 ms at a time) that
 *       answers airsupd's pings, until SIGUSR1: then alive and stuck
 *   msg-peer bad-args
 *       every call with bad arguments; prints "ok" if each said -EINVAL
 *       and a second airsup_attach() -EBADMSG
 *   msg-peer attach
 *       prints what airsup_attach() returned (as errno name or "ok") */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "child/airsup.h"

static size_t payload_len(uint64_t seq) {
        return 8 + seq % 64;
}

static void payload_fill(uint64_t seq, uint8_t *p) {
        memcpy(p, &seq, 8);
        for (size_t k = 8; k < payload_len(seq); k++)
                p[k] = (uint8_t) (seq * 31 + k);
}

static int payload_ok(const uint8_t *p, int len, uint64_t *ret_seq) {
        uint64_t seq;

        if (len < 8)
                return 0;
        memcpy(&seq, p, 8);
        *ret_seq = seq;
        if ((size_t) len != payload_len(seq))
                return 0;
        for (size_t k = 8; k < (size_t) len; k++)
                if (p[k] != (uint8_t) (seq * 31 + k))
                        return 0;
        return 1;
}

static int attach(airsup **a) {
        int r = airsup_attach(a);
        if (r < 0) {
                fprintf(stderr, "msg-peer: attach: %s\n", strerror(-r));
                exit(2);
        }
        return 0;
}

static int produce(const char *dest, uint64_t n, const char *first_file) {
        airsup *a;
        airsup_dest *d;
        uint8_t buf[128];
        uint64_t first = 0;
        int r, fd = -1;

        attach(&a);
        if (first_file) {
                FILE *f = fopen(first_file, "re");
                if (f && fscanf(f, "%lu", &first) != 1)
                        first = 0;
                if (f)
                        fclose(f);
                fd = open(first_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        }
        r = airsup_lookup(a, dest, 5000000000ull, &d);
        if (r < 0) {
                fprintf(stderr, "msg-peer: lookup %s: %s\n", dest, strerror(-r));
                airsup_detach(a);
                return 2;
        }
        for (uint64_t seq = first; seq < n; seq++) {
                payload_fill(seq, buf);
                r = airsup_send(d, 7, buf, payload_len(seq), NULL);
                if (r < 0) {
                        fprintf(stderr, "msg-peer: send %lu: %s\n", seq, strerror(-r));
                        return 2;
                }
                if (fd >= 0) {
                        char line[32];
                        int l = snprintf(line, sizeof(line), "%lu\n", seq + 1);
                        (void) !pwrite(fd, line, (size_t) l, 0);
                }
        }
        printf("sent %lu to %s\n", n, airsup_dest_name(d));
        fflush(stdout);
        for (;;)
                pause();
}

static int produce_poll(const char *dest, uint64_t n) {
        airsup_send_opts o = { .full = AIRSUP_FAIL };
        airsup *a;
        airsup_dest *d;
        uint8_t buf[128];
        uint64_t waited = 0;

        attach(&a);
        if (airsup_lookup(a, dest, 5000000000ull, &d) < 0 || airsup_dest_fd(d) < 0)
                return 2;
        for (uint64_t seq = 0; seq < n;) {
                int r;

                payload_fill(seq, buf);
                r = airsup_send(d, 7, buf, payload_len(seq), &o);
                if (r == 0) {
                        seq++;
                        continue;
                }
                if (r != -EAGAIN)
                        return 2;
                r = airsup_dest_arm(d);
                if (r < 0)
                        return 2;
                if (r == 0) {
                        struct pollfd p = { .fd = airsup_dest_fd(d), .events = POLLIN };
                        if (waited++ == 0) {
                                printf("waiting\n");
                                fflush(stdout);
                        }
                        if (poll(&p, 1, 10000) != 1)
                                return 3;               /* never woken: a lost wake-up */
                }
        }
        printf("sent %lu, waited %lu times\n", n, waited);
        fflush(stdout);
        for (;;)
                pause();
        return 0;
}

typedef struct consume_opts {
        uint64_t hold_every, holds;     /* hold message k*EVERY-1 (k < HOLDS) until killed */
        const char *gate;               /* a FIFO to open before the first receive */
        long long poison;               /* crash on this message; -1: none */
} consume_opts;

static int consume(const char *out, const consume_opts *o) {
        airsup *a;
        int fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

        if (fd < 0)
                return 2;
        attach(&a);
        (void) airsup_ready(a);
        /* Until the test opens the gate for writing: senders fill the lane. */
        if (o->gate) {
                int g = open(o->gate, O_RDONLY | O_CLOEXEC);
                if (g < 0)
                        return 2;
                close(g);
        }
        for (;;) {
                uint8_t buf[256];
                airsup_msg m;
                uint64_t seq = 0;
                char line[128];
                int r = airsup_recv(a, &m, buf, sizeof(buf), UINT64_MAX), l;

                if (r == -EAGAIN || r == -EINTR)
                        continue;
                if (r < 0) {
                        l = snprintf(line, sizeof(line), "ERROR %s\n", strerror(-r));
                        (void) !write(fd, line, (size_t) l);
                        if (r == -EBADMSG)
                                continue;
                        return 2;
                }
                if (payload_ok(buf, r, &seq))
                        l = snprintf(line, sizeof(line), "%lu %u %s\n", seq, m.redelivered, m.sender);
                else
                        l = snprintf(line, sizeof(line), "CORRUPT %d %u %s\n", r, m.redelivered, m.sender);
                (void) !write(fd, line, (size_t) l);
                if ((long long) seq == o->poison)
                        raise(SIGKILL);
                /* Taken, not committed: say so, and wait for the kill. */
                if (o->hold_every > 0 && m.redelivered == 0 && seq % o->hold_every == o->hold_every - 1 &&
                    seq / o->hold_every < o->holds) {
                        l = snprintf(line, sizeof(line), "HOLD %lu\n", seq);
                        (void) !write(fd, line, (size_t) l);
                        for (;;)
                                pause();
                }
                r = airsup_commit(a, &m);
                if (r < 0)
                        return 2;
        }
}

/* The writable mappings whose name has NAME, up to MAX: libairsup closed
 * the fds once it mapped them, but the mappings are in /proc/self/maps,
 * and writable, as they must be to send. */
static size_t segments(const char *name, uint8_t **seg, size_t *size, size_t max) {
        FILE *maps = fopen("/proc/self/maps", "re");
        char line[512];
        size_t n = 0;

        while (maps && fgets(line, sizeof(line), maps) && n < max) {
                unsigned long lo, hi;
                char perms[8];

                if (!strstr(line, name) || sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[1] != 'w')
                        continue;
                seg[n] = (uint8_t *) lo;
                size[n++] = hi - lo;
        }
        if (maps)
                fclose(maps);
        return n;
}

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* Zeros over DEST's bell, past its sleeping word (at 64), for SECONDS:
 * every ring another sender leaves there is wiped, over and over. */
static int wipe(const char *dest, double seconds) {
        airsup *a;
        airsup_dest *d;
        uint8_t *own[8], *seg[8], *bell = NULL;
        size_t size[8], n_own, n;
        uint64_t end, k = 0;

        attach(&a);
        /* Its own mailbox's bell is mapped already: DEST's is the new one. */
        n_own = segments("memfd:airsup-bell", own, size, 8);
        if (airsup_lookup(a, dest, 5000000000ull, &d) < 0)
                return 2;
        n = segments("memfd:airsup-bell", seg, size, 8);
        for (size_t i = 0; i < n && !bell; i++) {
                bell = seg[i];
                for (size_t j = 0; j < n_own; j++)
                        if (own[j] == seg[i])
                                bell = NULL;
                if (bell && size[i] <= 128)
                        return 3;
                if (bell)
                        size[0] = size[i];
        }
        if (!bell)
                return 3;
        printf("wiping\n");
        fflush(stdout);
        end = now_ns() + (uint64_t) (seconds * 1e9);
        do {
                for (unsigned i = 0; i < 1024; i++, k++)
                        memset(bell + 128, 0, size[0] - 128);
        } while (now_ns() < end);
        printf("done %llu\n", (unsigned long long) k);
        fflush(stdout);
        (void) airsup_ready(a);
        for (;;)
                pause();
        return 0;
}

static int scribble(const char *dest, double seconds) {
        airsup *a;
        airsup_dest *d;
        uint8_t *seg[8];
        size_t size[8], n = 0;
        uint64_t x = 88172645463325252ull, end;

        attach(&a);
        if (airsup_lookup(a, dest, 5000000000ull, &d) < 0)
                return 2;
        for (uint64_t i = 0; i < 10; i++) {
                uint8_t buf[64];
                payload_fill(i, buf);
                (void) airsup_send(d, 7, buf, payload_len(i), NULL);
        }
        n = segments("memfd:airsup-", seg, size, 8);
        end = now_ns() + (uint64_t) (seconds * 1e9);
        for (uint64_t k = 0; n > 0; k++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                size_t i = x % n;
                memcpy(seg[i] + (x >> 8) % (size[i] / 8) * 8, &x, 8);
                if (k % 4096 == 0 && now_ns() >= end)
                        break;
        }
        /* Every header byte, so that what opens them next sees garbage
         * there whatever the random walk missed. */
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < 192; k += 8) {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        memcpy(seg[i] + k, &x, 8);
                }
        printf("done %zu\n", n);
        fflush(stdout);
        (void) airsup_ready(a);
        for (;;)
                pause();
        return 0;
}

static volatile sig_atomic_t hb_stuck;

static void hb_stop(int sig) {
        (void) sig;
        hb_stuck = 1;
}

static int heartbeat(const char *file) {
        struct itimerspec it = { .it_interval = { .tv_nsec = 50000000 }, .it_value = { .tv_nsec = 50000000 } };
        int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
        unsigned long n = 0;
        uint64_t ticks;
        airsup *a;

        attach(&a);
        signal(SIGUSR1, hb_stop);
        if (tfd < 0 || timerfd_settime(tfd, 0, &it, NULL) < 0 || airsup_ready(a) < 0)
                return 2;
        while (!hb_stuck) {
                if (read(tfd, &ticks, sizeof(ticks)) != sizeof(ticks))
                        continue;
                if (hb_stuck || airsup_heartbeat(a) < 0)
                        break;
                FILE *f = fopen(file, "we");
                if (f) {
                        fprintf(f, "%lu\n", ++n);
                        fclose(f);
                }
        }
        for (;;)
                pause();
}

static int serve(void) {
        uint8_t buf[256];
        airsup_msg m;
        airsup *a;

        attach(&a);
        signal(SIGUSR1, hb_stop);
        (void) airsup_ready(a);         /* where there is a notify socket */
        while (!hb_stuck) {
                int r = airsup_recv(a, &m, buf, sizeof(buf), 50000000ull);
                if (r >= 0)
                        (void) airsup_commit(a, &m);
                else if (r != -EAGAIN && r != -EINTR && r != -ETIMEDOUT)
                        return 2;
        }
        for (;;)
                pause();
}

static int bad_args(void) {
        airsup *a;
        airsup_dest *d;
        airsup_msg m;
        void *p;
        int bad = 0;

        attach(&a);
        bad += airsup_attach(NULL) != -EINVAL;
        bad += airsup_lookup(NULL, "x", 0, &d) != -EINVAL;
        bad += airsup_lookup(a, NULL, 0, &d) != -EINVAL;
        bad += airsup_lookup(a, "x", 0, NULL) != -EINVAL;
        bad += airsup_lookup(a, "no/such name", 1000000000, &d) != -EINVAL;
        bad += airsup_lookup(a, "nosuchgroup", 1000000000, &d) != -ENOENT;
        bad += airsup_send(NULL, 1, "x", 1, NULL) != -EINVAL;
        bad += airsup_reserve(NULL, 1, 1, NULL, &p) != -EINVAL;
        bad += airsup_commit_send(NULL, 1) != -EINVAL;
        bad += airsup_recv(NULL, &m, NULL, 0, 0) != -EINVAL;
        bad += airsup_recv(a, NULL, NULL, 0, 0) != -EINVAL;
        bad += airsup_recv(a, &m, NULL, 8, 0) != -EINVAL;
        bad += airsup_commit(NULL, &m) != -EINVAL;
        bad += airsup_commit(a, NULL) != -EINVAL;
        bad += airsup_process(NULL) != -EINVAL;
        bad += airsup_fd(NULL) != -EINVAL;
        bad += airsup_ready(NULL) != -EINVAL;
        bad += airsup_heartbeat(NULL) != -EINVAL;
        bad += airsup_dest_name(NULL) != NULL;
        /* Attached already: airsupd refuses a second mailbox, at once. */
        {
                airsup *again = NULL;
                bad += airsup_attach(&again) != -EBADMSG || again != NULL;
        }
        printf("%s %d\n", bad ? "FAILED" : "ok", bad);
        fflush(stdout);
        for (;;)
                pause();
        return 0;
}

int main(int argc, char **argv) {
        if (argc >= 4 && strcmp(argv[1], "produce") == 0)
                return produce(argv[2], strtoull(argv[3], NULL, 10), argc >= 5 ? argv[4] : NULL);
        if (argc >= 3 && strcmp(argv[1], "consume") == 0) {
                consume_opts o = { .poison = -1 };
                for (int i = 3; i + 1 < argc; i += 2) {
                        if (strcmp(argv[i], "--hold-every") == 0)
                                o.hold_every = strtoull(argv[i + 1], NULL, 10);
                        else if (strcmp(argv[i], "--holds") == 0)
                                o.holds = strtoull(argv[i + 1], NULL, 10);
                        else if (strcmp(argv[i], "--gate") == 0)
                                o.gate = argv[i + 1];
                        else if (strcmp(argv[i], "--poison") == 0)
                                o.poison = atoll(argv[i + 1]);
                        else
                                return 2;
                }
                return consume(argv[2], &o);
        }
        if (argc == 4 && strcmp(argv[1], "produce-poll") == 0)
                return produce_poll(argv[2], strtoull(argv[3], NULL, 10));
        if (argc == 2 && strcmp(argv[1], "serve") == 0)
                return serve();
        if (argc == 3 && strcmp(argv[1], "heartbeat") == 0)
                return heartbeat(argv[2]);
        if (argc == 4 && strcmp(argv[1], "scribble") == 0)
                return scribble(argv[2], atof(argv[3]));
        if (argc == 4 && strcmp(argv[1], "wipe") == 0)
                return wipe(argv[2], atof(argv[3]));
        if (argc == 2 && strcmp(argv[1], "bad-args") == 0)
                return bad_args();
        if (argc == 2 && strcmp(argv[1], "attach") == 0) {
                airsup *a;
                int r = airsup_attach(&a);
                printf("%s\n", r < 0 ? strerrorname_np(-r) : "ok");
                return r < 0 ? 1 : 0;
        }
        fprintf(stderr, "usage: see the comment at the top of tests/integration/msg-peer.c\n");
        return 2;
}
