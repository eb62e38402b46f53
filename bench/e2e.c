/* e2e - messages between two groups under airsupd through libairsup,
 * against the same exchange in the same run over a pipe, an AF_UNIX
 * stream socket, ZeroMQ ipc:// and a bare lane (shm/ without airsupd):
 * one-way throughput of 64-byte messages, and request/response round
 * trips (p50/p99).
 *
 * Usage: e2e [--quick]; airsupd runs e2e itself in its groups (--role).
 * The last line of output is one JSON object with the headline figures. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "bench/bench.h"
#include "child/airsup.h"
#include "shm/shm.h"

#define MSG 64
#define SPIN 2000

/* A side of an exchange on a CPU of its own (0 or 1 of those we may
 * use), for every transport alike; nothing with one CPU. */

#define ROUNDS_MAX 5


static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

static double median(double *v, unsigned n) {
        qsort(v, n, sizeof(double), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return (x > y) - (x < y);
}

/* ---- throughput while no side is preempted ---- */

/* The VM has two vCPUs shared with other work: a run of a second (each
 * transport's, one after the other) compared moments of different load,
 * and the one-way ratios of two --quick runs differed by 2x with the code
 * unchanged (groups / pipe 5.07x in one, above 10x in another).  So every
 * one-way run, the groups' and each transport's alike, is cut into chunks
 * timed by the receiver that count only if neither side was preempted
 * (bench_meter, bench/lib.c).  The figure is the median of the chunks
 * that count, when every transport of the round had BENCH_COUNTED_MIN of
 * them; else (a VM too busy for that) every figure of the round is its
 * whole run's rate, never one of each kind. */
#define CHUNK 4096u
/* The kernel's queues and ZeroMQ move a tenth as many messages a
 * second: chunks a quarter as long, so that some are not preempted on a
 * busy VM (their queues hold more than a chunk: see bench.h). */
#define CHUNK_SLOW 1024u

static uint32_t chunk_of(bool slow) {
        return slow ? CHUNK_SLOW : CHUNK;
}

/* ---- the roles airsupd runs ---- */

static airsup *attach(void) {
        airsup *a;

        if (airsup_attach(&a) < 0)
                _exit(2);
        return a;
}

_Noreturn static void role_sink(uint64_t n, const char *result) {
        airsup *a = attach();

        bench_pin(0);
        uint8_t buf[MSG];
        airsup_msg m;
        int64_t t0 = 0;
        char text[96];
        bench_meter mt;
        double whole;
        size_t counted = 0;

        bench_meter_init(&mt, n, CHUNK);
        (void) airsup_ready(a);
        for (uint64_t i = 0; i < n;) {
                int r = airsup_recv(a, &m, buf, sizeof(buf), UINT64_MAX);
                if (r < 0)
                        continue;
                if (i == 0)
                        t0 = bench_mono_ns();
                bench_meter_on(&mt, i, buf);
                (void) airsup_commit(a, &m);
                i++;
        }
        /* The whole run's rate first (bench/actors compares with it),
         * then the median of the chunks that count (or -1), and how many
         * did. */
        whole = (double) (n - 1) / ((double) (bench_mono_ns() - t0) / 1e9);
        double clean = bench_meter_done(&mt, &counted);
        snprintf(text, sizeof(text), "%.0f %.0f %zu\n", whole, clean, counted);
        bench_write_result(result, text);
        for (;;)
                pause();
}

_Noreturn static void role_source(uint64_t n) {
        airsup *a = attach();

        bench_pin(1);
        airsup_dest *d;
        uint8_t buf[MSG] = { 0 };

        bench_stamp st = { .chunk = CHUNK };

        if (airsup_lookup(a, "sink", 10000000000ull, &d) < 0)
                _exit(2);
        for (uint64_t i = 0; i < n; i++) {
                memcpy(buf, &i, sizeof(i));
                bench_stamp_put(&st, i, buf);
                if (airsup_send(d, 1, buf, sizeof(buf), NULL) < 0)
                        _exit(2);
        }
        for (;;)
                pause();
}

_Noreturn static void role_echo(void) {
        airsup *a = attach();

        bench_pin(0);
        airsup_dest *back = NULL;
        uint8_t buf[MSG];
        airsup_msg m;

        (void) airsup_ready(a);
        for (;;) {
                int r = airsup_recv(a, &m, buf, sizeof(buf), UINT64_MAX);
                if (r < 0)
                        continue;
                if (!back && airsup_lookup(a, m.sender, 10000000000ull, &back) < 0)
                        _exit(2);
                (void) airsup_send(back, 2, buf, (size_t) r, NULL);
                (void) airsup_commit(a, &m);
        }
}

_Noreturn static void role_ping(size_t n, const char *result) {
        airsup *a = attach();

        bench_pin(1);
        airsup_dest *d;
        uint8_t buf[MSG] = { 0 };
        uint64_t *lat = calloc(n, sizeof(uint64_t));
        size_t warm = n / 10;
        airsup_msg m;
        char text[64];

        if (!lat || airsup_lookup(a, "echo", 10000000000ull, &d) < 0)
                _exit(2);
        for (size_t i = 0; i < n + warm; i++) {
                int64_t t0 = bench_mono_ns();
                if (airsup_send(d, 1, buf, sizeof(buf), NULL) < 0)
                        _exit(2);
                while (airsup_recv(a, &m, buf, sizeof(buf), UINT64_MAX) < 0)
                        ;
                (void) airsup_commit(a, &m);
                if (i >= warm)
                        lat[i - warm] = (uint64_t) (bench_mono_ns() - t0);
        }
        qsort(lat, n, sizeof(uint64_t), cmp_u64);
        snprintf(text, sizeof(text), "%llu %llu\n", (unsigned long long) lat[n / 2],
                 (unsigned long long) lat[(size_t) ((double) (n - 1) * 0.99)]);
        bench_write_result(result, text);
        for (;;)
                pause();
}

/* ---- the same exchange without airsupd ---- */

typedef enum kind { PIPE, UNIX, ZMQ, LANE, _KIND_MAX } kind;
static const char *const kind_names[_KIND_MAX] = { "pipe", "unix socket", "zmq ipc://", "bare lane" };

typedef struct end {
        kind k;
        int rfd, wfd;                   /* pipe, unix */
        void *zctx, *zsock;             /* zmq: made after fork */
        char endpoint[PATH_MAX + 16];
        bool bind;
        int bell, lane;                 /* lane */
        shm_tx *tx;
        shm_mailbox *mb;
        unsigned backoff;               /* lane: pauses between looks at an empty lane */
} end;

#define BACKOFF_TPUT 16
#define BACKOFF_RTT 1

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
}

static void read_full(int fd, void *buf, size_t len) {
        for (size_t got = 0; got < len;) {
                ssize_t n = read(fd, (char *) buf + got, len - got);
                if (n <= 0)
                        bench_die("read");
                got += (size_t) n;
        }
}

static void end_send(end *e, const void *buf) {
        switch (e->k) {
        case PIPE:
        case UNIX:
                if (write(e->wfd, buf, MSG) != MSG)
                        bench_die("write");
                return;
        case ZMQ:
                if (zmq_send(e->zsock, buf, MSG, 0) != MSG)
                        bench_die("zmq_send");
                return;
        default: {
                shm_envelope env = { .type = 1, .len = MSG };
                if (shm_tx_send(e->tx, &env, buf, SHM_FULL_BLOCK, UINT64_MAX) < 0)
                        bench_die("shm_tx_send");
                return;
        }
        }
}

static void end_recv(end *e, void *buf) {
        shm_envelope env;

        switch (e->k) {
        case PIPE:
        case UNIX:
                read_full(e->rfd, buf, MSG);
                return;
        case ZMQ:
                if (zmq_recv(e->zsock, buf, MSG, 0) != MSG)
                        bench_die("zmq_recv");
                return;
        default:
                /* As a lane's own user would, and bench/mailbox's lane-futex
                 * does: on an empty lane a pause between looks (BACKOFF_TPUT
                 * one way: a receiver that looks continuously takes the
                 * sender's line away before each of its stores), up to SPIN
                 * pauses, then a sleep on the bell.  Waiting in
                 * shm_mailbox_wait(..., SPIN) looks after every pause, and
                 * this bare lane measured 0.6x the groups (libairsup's
                 * receive is slowed enough by its other work to batch). */
                for (unsigned spins = 0; shm_mailbox_recv(e->mb, 0, &env, buf, MSG, NULL) < 0;) {
                        if (spins < SPIN) {
                                for (unsigned k = 0; k < e->backoff; k++)
                                        cpu_relax();
                                spins += e->backoff;
                                continue;
                        }
                        (void) shm_mailbox_wait(e->mb, UINT64_MAX, 0);
                        spins = 0;
                }
                return;
        }
}

/* One direction of K: A is the parent's end, B the child's. */
static void pair_open(kind k, end *a, end *b, unsigned tag) {
        int fds[2];

        *a = (end) { .k = k, .rfd = -1, .wfd = -1, .backoff = tag == 1 ? BACKOFF_TPUT : BACKOFF_RTT };
        *b = *a;
        switch (k) {
        case PIPE:
                if (pipe2(fds, O_CLOEXEC) < 0)
                        bench_die("pipe");
                (void) fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
                a->rfd = fds[0];                /* the parent reads, the child writes */
                b->wfd = fds[1];
                return;
        case UNIX:
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
                        bench_die("socketpair");
                a->rfd = a->wfd = fds[0];
                b->rfd = b->wfd = fds[1];
                return;
        case ZMQ:
                snprintf(a->endpoint, sizeof(a->endpoint), "ipc://%s/zmq-%u", bench_tmpdir, tag);
                memcpy(b->endpoint, a->endpoint, sizeof(a->endpoint));
                a->bind = true;
                return;
        default:
                if (shm_bell_create(1, &a->bell) < 0 || shm_lane_create(256u << 10, 4096, &a->lane) < 0)
                        bench_die("lane");
                b->bell = a->bell;
                b->lane = a->lane;
                return;
        }
}

/* In the process that uses it: the zmq socket or the lane's side. */
static void end_ready(end *e, bool sender, int ztype) {
        if (e->k == ZMQ) {
                int zero = 0;
                e->zctx = zmq_ctx_new();
                e->zsock = zmq_socket(e->zctx, ztype);
                (void) zmq_setsockopt(e->zsock, ZMQ_LINGER, &zero, sizeof(zero));
                if ((e->bind ? zmq_bind(e->zsock, e->endpoint) : zmq_connect(e->zsock, e->endpoint)) < 0)
                        bench_die("zmq");
        } else if (e->k == LANE) {
                if (sender ? shm_tx_open(e->lane, e->bell, 0, -1, -1, &e->tx) < 0
                           : (shm_mailbox_open(e->bell, -1, &e->mb) < 0 ||
                              shm_mailbox_add_lane(e->mb, 0, e->lane, -1) < 0))
                        bench_die("lane end");
        }
}

/* One way, N messages of K: the whole run's msgs/s; *RET_CLEAN the
 * median of the chunks that counted (or -1), *RET_COUNTED how many. */
static double direct_throughput(kind k, uint64_t n, double *ret_clean, size_t *ret_counted) {
        end a, b;
        bench_meter mt;
        double whole;
        uint8_t buf[MSG] = { 0 };
        int go[2], st;
        int64_t t0 = 0;
        pid_t pid;

        pair_open(k, &a, &b, 1);
        if (pipe2(go, O_CLOEXEC) < 0)
                bench_die("pipe");
        bench_pin(0);
        pid = fork();
        if (pid == 0) {
                char x;
                bench_pin(1);
                bench_stamp sp = { .chunk = chunk_of(k != LANE) };
                end_ready(&b, true, ZMQ_PUSH);
                for (uint64_t i = 0; i < n; i++) {
                        memcpy(buf, &i, sizeof(i));
                        bench_stamp_put(&sp, i, buf);
                        end_send(&b, buf);
                }
                (void) !read(go[0], &x, 1);     /* until the parent has all (zmq sends from a thread) */
                _exit(0);
        }
        bench_meter_init(&mt, n, chunk_of(k != LANE));
        end_ready(&a, false, ZMQ_PULL);
        for (uint64_t i = 0; i < n; i++) {
                uint64_t v;
                end_recv(&a, buf);
                if (i == 0)
                        t0 = bench_mono_ns();
                memcpy(&v, buf, sizeof(v));
                if (v != i)
                        bench_die("message out of order");
                bench_meter_on(&mt, i, buf);
        }
        whole = (double) (n - 1) / ((double) (bench_mono_ns() - t0) / 1e9);
        *ret_clean = bench_meter_done(&mt, ret_counted);
        double mps = whole;
        (void) !write(go[1], "x", 1);
        waitpid(pid, &st, 0);
        close(go[0]);
        close(go[1]);
        if (a.zsock && k == ZMQ) {
                zmq_close(a.zsock);
                zmq_ctx_term(a.zctx);
        }
        shm_mailbox_free(a.mb);
        if (k == LANE) {
                close(a.lane);
                close(a.bell);
        }
        if (a.rfd >= 0)
                close(a.rfd);
        if (b.wfd >= 0 && b.wfd != b.rfd)
                close(b.wfd);
        if (k == UNIX)
                close(b.rfd);
        return mps;
}

static void direct_rtt(kind k, size_t n, double *p50, double *p99) {
        end ab_a, ab_b, ba_a, ba_b;
        uint8_t buf[MSG] = { 0 };
        uint64_t *lat = calloc(n, sizeof(uint64_t));
        size_t warm = n / 10;
        int fin[2], st;
        pid_t pid;

        if (!lat || pipe2(fin, O_CLOEXEC) < 0)
                bench_die("calloc");
        /* Two directions; for zmq one PAIR socket each side carries both. */
        pair_open(k, &ab_a, &ab_b, 2);
        if (k == PIPE) {
                /* ab: parent writes, child reads: the other way round. */
                int r = ab_a.rfd;
                ab_a.rfd = -1;
                ab_b.rfd = r;
                ab_a.wfd = ab_b.wfd;
                ab_b.wfd = -1;
        }
        if (k != ZMQ && k != UNIX)
                pair_open(k, &ba_a, &ba_b, 3);
        bench_pin(0);
        pid = fork();
        if (pid == 0) {
                char x;
                bench_pin(1);
                end *in = &ab_b, *out = k == ZMQ || k == UNIX ? &ab_b : &ba_b;
                if (k == ZMQ)
                        end_ready(in, false, ZMQ_PAIR);
                else if (k == LANE) {
                        end_ready(in, false, 0);
                        end_ready(out, true, 0);
                }
                for (size_t i = 0; i < n + warm; i++) {
                        end_recv(in, buf);
                        end_send(out, buf);
                }
                (void) !read(fin[0], &x, 1);
                _exit(0);
        }
        end *out = &ab_a, *in = k == ZMQ || k == UNIX ? &ab_a : &ba_a;
        if (k == ZMQ)
                end_ready(out, true, ZMQ_PAIR);
        else if (k == LANE) {
                end_ready(out, true, 0);
                end_ready(in, false, 0);
        }
        for (size_t i = 0; i < n + warm; i++) {
                int64_t t0 = bench_mono_ns();
                end_send(out, buf);
                end_recv(in, buf);
                if (i >= warm)
                        lat[i - warm] = (uint64_t) (bench_mono_ns() - t0);
        }
        (void) !write(fin[1], "x", 1);
        waitpid(pid, &st, 0);
        qsort(lat, n, sizeof(uint64_t), cmp_u64);
        *p50 = (double) lat[n / 2];
        *p99 = (double) lat[(size_t) ((double) (n - 1) * 0.99)];
        free(lat);
        close(fin[0]);
        close(fin[1]);
        if (k == ZMQ) {
                zmq_close(ab_a.zsock);
                zmq_ctx_term(ab_a.zctx);
        }
        shm_tx_free(ab_a.tx);
        shm_mailbox_free(ba_a.mb);
}

int main(int argc, char **argv) {
        bool quick = false;
        uint64_t n_tput;
        size_t n_rtt;
        double mps, p50, p99, dm[_KIND_MAX], d50[_KIND_MAX], d99[_KIND_MAX], x;
        double rm[ROUNDS_MAX], r50[ROUNDS_MAX], r99[ROUNDS_MAX], km[_KIND_MAX][ROUNDS_MAX], k50[_KIND_MAX][ROUNDS_MAX],
               k99[_KIND_MAX][ROUNDS_MAX];
        unsigned rounds;
        size_t counted[_KIND_MAX] = { 0 };
        double rc, kc[_KIND_MAX];
        unsigned whole_rounds = 0;
        char conf[3 * PATH_MAX + 256], result[PATH_MAX + 32], self[PATH_MAX];
        ssize_t l;

        if (argc >= 2 && strcmp(argv[1], "--role") == 0) {
                if (argc == 5 && strcmp(argv[2], "sink") == 0)
                        role_sink(strtoull(argv[3], NULL, 10), argv[4]);
                if (argc == 4 && strcmp(argv[2], "source") == 0)
                        role_source(strtoull(argv[3], NULL, 10));
                if (argc == 3 && strcmp(argv[2], "echo") == 0)
                        role_echo();
                if (argc == 5 && strcmp(argv[2], "ping") == 0)
                        role_ping((size_t) strtoull(argv[3], NULL, 10), argv[4]);
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--quick") == 0)
                        quick = true;
                else {
                        fprintf(stderr, "usage: e2e [--quick]\n");
                        return 2;
                }
        }
        /* Enough chunks (CHUNK) for a median also from the slower
         * transports, which get half as many with the full run. */
        n_tput = quick ? 400000 : 2000000;
        n_rtt = quick ? 20000 : 200000;
        bench_pin(-1);                        /* reads the CPUs we may use, pins nothing */
        signal(SIGPIPE, SIG_IGN);
        setvbuf(stdout, NULL, _IOLBF, 0);
        bench_dirs_init("e2e");
        l = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (l <= 0)
                bench_die("readlink");
        self[l] = '\0';

        rounds = quick ? 3 : 5;
        printf("e2e: two groups under airsupd through libairsup, 64-byte messages; %llu one way, %zu round trips; "
               "median of %u interleaved rounds%s\n", (unsigned long long) n_tput, n_rtt, rounds,
               quick ? " (--quick)" : "");
        /* Each round measures everything once, the groups right before
         * the bare lane: the VM's placement changes within seconds, and
         * the median of the rounds is kept. */
        for (unsigned round = 0; round < rounds; round++) {
                double a = -1, b = -1;

                bench_unpin();
                snprintf(result, sizeof(result), "%s/tput", bench_tmpdir);
                snprintf(conf, sizeof(conf),
                         "[group:sink]\ncommand = %s --role sink %llu %s\nready = notify\n"
                         "[group:source]\ncommand = %s --role source %llu\n",
                         self, (unsigned long long) n_tput, result, self, (unsigned long long) n_tput);
                /* The sink's whole run, and its chunks that count (meter). */
                if (!bench_under_airsupd(conf, result, &a, &x))
                        a = x = -1;
                rm[round] = a;
                rc = x;
                snprintf(result, sizeof(result), "%s/rtt", bench_tmpdir);
                snprintf(conf, sizeof(conf),
                         "[group:echo]\ncommand = %s --role echo\nready = notify\n"
                         "[group:ping]\ncommand = %s --role ping %zu %s\n",
                         self, self, n_rtt, result);
                if (!bench_under_airsupd(conf, result, &a, &b))
                        a = b = -1;
                r50[round] = a;
                r99[round] = b;
                for (kind k = _KIND_MAX; k-- > 0;) {   /* the bare lane first, next to the groups */
                        bool slow = k != LANE;
                        km[k][round] = direct_throughput(k, slow && !quick ? n_tput / 2 : n_tput, &kc[k],
                                                         &counted[k]);
                        direct_rtt(k, slow ? n_rtt / 2 : n_rtt, &k50[k][round], &k99[k][round]);
                }
                /* Chunks that count from every one, or whole runs for all. */
                bool all = rc > 0;
                for (kind k = 0; k < _KIND_MAX; k++)
                        all = all && kc[k] > 0;
                if (all) {
                        rm[round] = rc;
                        for (kind k = 0; k < _KIND_MAX; k++)
                                km[k][round] = kc[k];
                } else
                        whole_rounds++;
                fprintf(stderr, "  round %u: groups %.0f msgs/s, rtt %.0f ns; bare lane %.0f msgs/s, rtt %.0f ns; "
                        "pipe %.0f msgs/s; chunks: groups %.0f, lane %.0f (%zu), pipe %.0f (%zu), unix %.0f (%zu), "
                        "zmq %.0f (%zu) msgs/s (counted); %s\n",
                        round + 1, rm[round], r50[round], km[LANE][round], k50[LANE][round], km[PIPE][round], rc,
                        kc[LANE], counted[LANE], kc[PIPE], counted[PIPE], kc[UNIX], counted[UNIX], kc[ZMQ],
                        counted[ZMQ], all ? "chunks kept" : "too few: whole runs kept");
        }
        mps = median(rm, rounds);
        p50 = median(r50, rounds);
        p99 = median(r99, rounds);
        for (kind k = 0; k < _KIND_MAX; k++) {
                dm[k] = median(km[k], rounds);
                d50[k] = median(k50[k], rounds);
                d99[k] = median(k99[k], rounds);
        }
        printf("\n%-26s %12s %8s %8s %8s %10s %10s\n", "", "msgs/s", "vs pipe", "vs zmq", "vs lane", "rtt p50",
               "rtt p99");
        printf("%-26s %12.0f %7.2fx %7.2fx %7.2fx %10.0f %10.0f\n", "groups under airsupd", mps, mps / dm[PIPE],
               mps / dm[ZMQ], mps / dm[LANE], p50, p99);
        for (kind k = 0; k < _KIND_MAX; k++)
                printf("%-26s %12.0f %7.2fx %7.2fx %7.2fx %10.0f %10.0f\n", kind_names[k], dm[k], dm[k] / dm[PIPE],
                       dm[k] / dm[ZMQ], dm[k] / dm[LANE], d50[k], d99[k]);
        if (whole_rounds > 0)
                printf("(msgs/s: %u of %u rounds from whole runs: too few chunks in which neither side was preempted)\n",
                       whole_rounds, rounds);
        printf("(msgs/s: the median of the chunks of %u messages (%u for pipe, unix, zmq) in which neither side\n"
               " was preempted; rtt in ns; the groups and the bare lane wait by spinning %d pauses, then sleeping;\n"
               " every side pinned to a vCPU of its own)\n", CHUNK, CHUNK_SLOW, SPIN);
        printf("\ngoals: >= 6x pipe: %s; >= 4x zmq: %s; >= 0.9x the bare lane: %s\n",
               mps >= 6 * dm[PIPE] ? "met" : "NOT met", mps >= 4 * dm[ZMQ] ? "met" : "NOT met",
               mps >= 0.9 * dm[LANE] ? "met" : "NOT met");
        printf("{\"bench\":\"e2e\",\"mps\":%.0f,\"pipe_mps\":%.0f,\"zmq_mps\":%.0f,\"lane_mps\":%.0f,"
               "\"rtt_p50_ns\":%.0f,\"pipe_rtt_p50_ns\":%.0f,\"zmq_rtt_p50_ns\":%.0f}\n",
               mps, dm[PIPE], dm[ZMQ], dm[LANE], p50, d50[PIPE], d50[ZMQ]);
        {
                char cmd[PATH_MAX + 16];
                snprintf(cmd, sizeof(cmd), "rm -rf %s", bench_tmpdir);
                (void) !system(cmd);
        }
        return mps > 0 && p50 > 0 ? 0 : 1;
}
