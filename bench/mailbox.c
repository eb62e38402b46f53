/* mailbox - shm lanes between two processes against the raw floor, the
 * kernel's IPC and ZeroMQ, in one run: throughput and ping-pong round
 * trips (p50/p99) at 64 B and 1 KiB for
 *   lane-busy   lane, receiver and sender spin
 *   lane-batch  lane-busy, the sender sending batches of 16 (throughput only)
 *   lane-futex  lane, spin a little then sleep on the bell's futex
 *   lane-fd     lane, the receiver sleeps in poll() on the eventfd
 *   ring-busy   the floor: a minimal SPSC byte ring of the same capacity,
 *               messages of a size both sides know packed back to back
 *               with no header, each side reading the other's index only
 *               when its last reading is used up
 *   ring-futex  the same ring with the same spin-then-futex sleep
 *   pipe, seqpacket (AF_UNIX SOCK_SEQPACKET), mq (POSIX message queue)
 *   zmq         ZeroMQ over ipc://: PUSH/PULL for throughput, PAIR for
 *               round trips
 * plus wake system calls per message under sustained load (lane-futex
 * throughput), the cost of receiving across 1000 lanes, and lane memory:
 * the bytes of one lane and the RSS of one receiver with 1000 lanes at
 * the default capacity.  iceoryx is not packaged for Debian 12 and is
 * reported as not installed.
 *
 * Usage: mailbox [--quick]
 * The last line of output is one JSON object with the headline figures. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "bench/bench.h"
#include "shm/shm.h"

#define GO_END UINT32_MAX             /* paired_throughput(): the parent's "no more chunks" */

#define MSG_MAX 1024
#define SPIN 2000                       /* pauses a receiver spins before it sleeps */
/* Pauses between two looks at an empty channel: a receiver that looks
 * continuously takes the producer's line away before each of its stores,
 * which holds the producer to one message per line transfer.  Throughput
 * runs back off (both the lane's receivers and the raw ring's); round
 * trips look after every pause, for the lowest latency. */
#define BACKOFF_TPUT 16
#define BACKOFF_RTT 1
#define LANE_BYTES (256u << 10)         /* the default mailbox = */
#define RING_BYTES LANE_BYTES
#define BATCH 16
/* Messages per chunk of paired_throughput(): a few hundred microseconds,
 * several trips around the ring. */
#define CHUNK_64 8000
#define CHUNK_1K 2000

static uint64_t now_ns(void) {
        return shm_now();
}

/* This process's resident memory, in KiB (VmRSS). */
static uint64_t rss_kb(void) {
        char line[128];
        uint64_t kb = 0;
        FILE *f = fopen("/proc/self/status", "re");

        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %lu", &kb) == 1)
                        break;
        if (f)
                fclose(f);
        return kb;
}

static void die(const char *what) {
        perror(what);
        exit(1);
}

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
}

/* ---- the floor: a minimal SPSC byte ring in shared anonymous memory ---- */

/* Messages of LEN bytes (known to both sides, a divisor of RING_BYTES
 * rounded up to 8) back to back: no header, no padding, no checks. */
typedef struct ring {
        alignas(64) _Atomic uint64_t tail;
        alignas(64) _Atomic uint64_t head;
        alignas(64) _Atomic uint32_t sleeping;
        alignas(64) uint8_t data[RING_BYTES];
} ring;

typedef struct ring_end {
        ring *r;
        uint64_t pos, other;            /* ours, and the other side's as last read (bytes) */
} ring_end;

static void ring_wake(ring *r) {
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(&r->sleeping, memory_order_relaxed) &&
            atomic_exchange(&r->sleeping, 0))
                syscall(SYS_futex, &r->sleeping, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void ring_send(ring_end *e, const void *buf, uint32_t len, bool futex) {
        ring *r = e->r;
        uint32_t rec = (len + 7) & ~7u;

        /* Full: the receiver's head is read at intervals, as the lane's
         * sender does, so that the floor is not slowed by its own polling. */
        while (RING_BYTES - (e->pos - e->other) < rec) {
                for (int k = 0; k < 32; k++)
                        cpu_relax();
                e->other = atomic_load_explicit(&r->head, memory_order_acquire);
        }
        memcpy(r->data + (e->pos & (RING_BYTES - 1)), buf, len);
        e->pos += rec;
        atomic_store_explicit(&r->tail, e->pos, memory_order_release);
        if (futex)
                ring_wake(r);
}

static uint32_t ring_recv(ring_end *e, void *buf, uint32_t len, bool futex, unsigned spin, unsigned backoff) {
        ring *r = e->r;
        uint32_t rec = (len + 7) & ~7u;
        unsigned spins = 0;

        while (e->other == e->pos) {
                e->other = atomic_load_explicit(&r->tail, memory_order_acquire);
                if (e->other != e->pos)
                        break;
                if (!futex || spins < spin) {
                        for (unsigned k = 0; k < backoff; k++)
                                cpu_relax();
                        spins += backoff;
                        continue;
                }
                atomic_store(&r->sleeping, 1);
                atomic_thread_fence(memory_order_seq_cst);
                e->other = atomic_load_explicit(&r->tail, memory_order_acquire);
                if (e->other == e->pos)
                        syscall(SYS_futex, &r->sleeping, FUTEX_WAIT, 1, NULL, NULL, 0);
                atomic_store(&r->sleeping, 0);
                spins = 0;
        }
        memcpy(buf, r->data + (e->pos & (RING_BYTES - 1)), len);
        e->pos += rec;
        atomic_store_explicit(&r->head, e->pos, memory_order_release);
        return len;
}

/* Each side of a run on a CPU of its own (the parent on the first, the
 * child on the second), the same for every transport: two spinning
 * processes that the scheduler put on one CPU would take turns, and the
 * run would measure the scheduler.  Nothing when there is one CPU. */

/* ---- ZeroMQ: one context per process, made after fork ---- */

static void *zctx;
static bool in_child;

static void zmq_after_fork(void) {
        zctx = NULL;                    /* the parent's; not usable here */
        in_child = true;
        bench_pin(1);
}

/* ---- transports ---- */

typedef enum kind {
        LANE_BUSY, LANE_BATCH, LANE_FUTEX, LANE_FD, RING_BUSY, RING_FUTEX, PIPE, SEQPACKET, MQ, ZMQ, _KIND_MAX,
} kind;

static const char *const kind_names[_KIND_MAX] = {
        "lane-busy", "lane-batch", "lane-futex", "lane-fd", "ring-busy", "ring-futex", "pipe", "seqpacket", "mq",
        "zmq",
};


/* One direction of a channel. */
typedef struct chan {
        kind k;
        unsigned spin;                  /* futex and fd kinds: pauses before sleeping */
        unsigned backoff;               /* pauses between looks at an empty channel */
        /* lanes */
        int bell_fd, lane_fd, event_fd;
        shm_tx *tx;
        shm_mailbox *mb;
        shm_envelope env;               /* filled once, as a sender of one kind of message would */
        /* ring */
        ring *r;
        ring_end end;
        /* fds */
        int wfd, rfd;
        mqd_t mq;
        char mq_name[64];
        /* zmq: the endpoint; the socket is made in each process at first use */
        char endpoint[96];
        bool pair;                      /* round trips: one PAIR socket both ways */
        void *zsock;
        struct chan *same;              /* round trips: the socket of this chan */
        /* lane-batch: messages held back until BATCH of them */
        shm_msg batch[BATCH];
        uint8_t batch_buf[BATCH][MSG_MAX];
        unsigned n_batch;
} chan;

static void chan_open(chan *c, kind k, uint32_t size, unsigned spin, unsigned backoff) {
        int fds[2];

        *c = (chan) { .k = k, .spin = spin, .backoff = backoff, .env = { .type = 1 }, .bell_fd = -1, .lane_fd = -1, .event_fd = -1, .wfd = -1, .rfd = -1, .mq = (mqd_t) -1 };
        switch (k) {
        case LANE_BUSY:
        case LANE_BATCH:
        case LANE_FUTEX:
        case LANE_FD:
                c->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                if (c->event_fd < 0 || shm_bell_create(1, &c->bell_fd) < 0 ||
                    shm_lane_create(LANE_BYTES, MSG_MAX, &c->lane_fd) < 0 ||
                    shm_tx_open(c->lane_fd, c->bell_fd, 0, c->event_fd, -1, &c->tx) < 0 ||
                    shm_mailbox_open(c->bell_fd, c->event_fd, &c->mb) < 0 ||
                    shm_mailbox_add_lane(c->mb, 0, c->lane_fd, -1) < 0)
                        die("lane");
                break;
        case RING_BUSY:
        case RING_FUTEX:
                c->r = mmap(NULL, sizeof(ring), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
                if (c->r == MAP_FAILED)
                        die("mmap");
                c->end.r = c->r;
                break;
        case PIPE:
                if (pipe2(fds, O_CLOEXEC) < 0)
                        die("pipe");
                /* Big enough not to be the bottleneck. */
                (void) fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
                c->rfd = fds[0];
                c->wfd = fds[1];
                break;
        case SEQPACKET:
                if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
                        die("socketpair");
                c->rfd = fds[0];
                c->wfd = fds[1];
                break;
        case ZMQ:
                snprintf(c->endpoint, sizeof(c->endpoint), "ipc:///tmp/airsup-bench-%d-%p.zmq", (int) getpid(),
                         (void *) c);
                break;
        case MQ: {
                struct mq_attr a = { .mq_maxmsg = 10, .mq_msgsize = size };
                snprintf(c->mq_name, sizeof(c->mq_name), "/airsup-bench-%d-%p", (int) getpid(), (void *) c);
                mq_unlink(c->mq_name);
                c->mq = mq_open(c->mq_name, O_RDWR | O_CREAT | O_CLOEXEC, 0600, &a);
                if (c->mq == (mqd_t) -1)
                        die("mq_open");
                break;
        }
        default:
                break;
        }
}

static void chan_close(chan *c) {
        shm_tx_free(c->tx);
        shm_mailbox_free(c->mb);
        if (c->bell_fd >= 0)
                close(c->bell_fd);
        if (c->lane_fd >= 0)
                close(c->lane_fd);
        if (c->event_fd >= 0)
                close(c->event_fd);
        if (c->r)
                munmap(c->r, sizeof(ring));
        if (c->rfd >= 0)
                close(c->rfd);
        if (c->wfd >= 0)
                close(c->wfd);
        if (c->mq != (mqd_t) -1) {
                mq_close(c->mq);
                mq_unlink(c->mq_name);
        }
        if (c->zsock)
                zmq_close(c->zsock);
        if (c->endpoint[0] && !in_child)
                (void) unlink(c->endpoint + strlen("ipc://"));
}

/* This process's socket of C: the parent binds, the child connects. */
static void *zsock(chan *c, int type) {
        int zero = 0;

        if (c->same)
                c = c->same;
        if (c->zsock)
                return c->zsock;
        if (!zctx && !(zctx = zmq_ctx_new()))
                die("zmq_ctx_new");
        c->zsock = zmq_socket(zctx, c->pair ? ZMQ_PAIR : type);
        if (!c->zsock)
                die("zmq_socket");
        (void) zmq_setsockopt(c->zsock, ZMQ_LINGER, &zero, sizeof(zero));
        if ((in_child ? zmq_connect(c->zsock, c->endpoint) : zmq_bind(c->zsock, c->endpoint)) < 0)
                die("zmq bind/connect");
        return c->zsock;
}

static void chan_send(chan *c, const void *buf, uint32_t len) {
        switch (c->k) {
        case LANE_BATCH:
                /* Held back until BATCH of them, then one publication. */
                memcpy(c->batch_buf[c->n_batch], buf, len);
                c->batch[c->n_batch] = (shm_msg) { .env = { .type = 1, .len = len },
                                                   .payload = c->batch_buf[c->n_batch] };
                if (++c->n_batch < BATCH)
                        return;
                for (unsigned k = 0; k < c->n_batch;) {
                        int r = shm_tx_sendv(c->tx, c->batch + k, c->n_batch - k, SHM_FULL_BLOCK, 60000000000ull);
                        if (r <= 0)
                                die("sendv");
                        k += (unsigned) r;
                }
                c->n_batch = 0;
                return;
        case LANE_BUSY:
        case LANE_FUTEX:
        case LANE_FD:
                /* Blocking spins (reading the receiver's position at
                 * intervals) before it sleeps. */
                if (c->env.len != len)
                        c->env.len = len;
                if (shm_tx_send(c->tx, &c->env, buf, SHM_FULL_BLOCK, 60000000000ull) < 0)
                        die("send");
                return;
        case RING_BUSY:
        case RING_FUTEX:
                ring_send(&c->end, buf, len, c->k == RING_FUTEX);
                return;
        case ZMQ:
                if (zmq_send(zsock(c, ZMQ_PUSH), buf, len, 0) != (int) len)
                        die("zmq_send");
                return;
        case PIPE:
        case SEQPACKET:
                if (write(c->wfd, buf, len) != (ssize_t) len)
                        die("write");
                return;
        case MQ:
                if (mq_send(c->mq, buf, len, 0) < 0)
                        die("mq_send");
                return;
        default:
                return;
        }
}

static uint32_t chan_recv(chan *c, void *buf, uint32_t len) {
        shm_envelope e;
        ssize_t n;
        int r;

        switch (c->k) {
        case LANE_BUSY:
        case LANE_BATCH:
        case LANE_FUTEX:
        case LANE_FD:
                for (unsigned spins = 0;;) {
                        r = shm_mailbox_recv(c->mb, 0, &e, buf, MSG_MAX, NULL);
                        if (r >= 0)
                                return (uint32_t) r;
                        if (r != -EAGAIN)
                                die("recv");
                        if (c->k == LANE_BUSY || c->k == LANE_BATCH || spins < c->spin) {
                                for (unsigned k = 0; k < c->backoff; k++)
                                        cpu_relax();
                                spins += c->backoff;
                                continue;
                        }
                        spins = 0;
                        if (c->k == LANE_FUTEX)
                                (void) shm_mailbox_wait(c->mb, 60000000000ull, 0);
                        else if (shm_mailbox_arm_fd(c->mb) == 0) {
                                struct pollfd p = { .fd = c->event_fd, .events = POLLIN };
                                (void) poll(&p, 1, 60000);
                                shm_mailbox_disarm_fd(c->mb);
                        }
                }
        case RING_BUSY:
        case RING_FUTEX:
                return ring_recv(&c->end, buf, len, c->k == RING_FUTEX, c->spin, c->backoff);
        case ZMQ:
                n = zmq_recv(zsock(c, ZMQ_PULL), buf, MSG_MAX, 0);
                if (n < 0)
                        die("zmq_recv");
                return (uint32_t) n;
        case PIPE:
                /* A byte stream: read exactly one message. */
                for (uint32_t got = 0; got < len; got += (uint32_t) n) {
                        n = read(c->rfd, (char *) buf + got, len - got);
                        if (n <= 0)
                                die("read");
                }
                return len;
        case SEQPACKET:
                n = read(c->rfd, buf, MSG_MAX);
                if (n <= 0)
                        die("read");
                return (uint32_t) n;
        case MQ:
                n = mq_receive(c->mq, buf, len, NULL);
                if (n < 0)
                        die("mq_receive");
                return (uint32_t) n;
        default:
                return 0;
        }
}

/* Makes this process's end ready before the timing starts (zmq sockets). */
static void chan_ready(chan *c, int type) {
        if (c->k == ZMQ)
                (void) zsock(c, type);
}

/* What a batching sender still holds goes out. */
static void chan_flush(chan *c) {
        if (c->k == LANE_BATCH && c->n_batch > 0 &&
            shm_tx_sendv(c->tx, c->batch, c->n_batch, SHM_FULL_BLOCK, 60000000000ull) != (int) c->n_batch)
                die("sendv");
        c->n_batch = 0;
}

static uint64_t chan_syscalls(chan *c) {
        return shm_tx_syscalls(c->tx) + shm_mailbox_syscalls(c->mb);
}

/* ---- measurements ---- */

#define ROUNDS_MAX 9

typedef struct result {
        double mps;
        double rtt_p50, rtt_p99;        /* ns, the receivers spinning first */
        double blk_p50, blk_p99;        /* ns, the receivers sleeping at once (futex and fd kinds) */
        double wake_per_msg;            /* lane-futex only */
} result;

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

static double median(double *v, unsigned n) {
        qsort(v, n, sizeof(double), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool sleeps(kind k) {
        return k == LANE_FUTEX || k == LANE_FD || k == RING_FUTEX;
}

/* The child sends N messages of SIZE once told to go; the parent receives
 * them and times it.  Returns messages per second. */
static double throughput(kind k, uint32_t size, uint64_t n, double *ret_wake) {
        chan c;
        uint8_t buf[MSG_MAX] = { 0 };
        int go[2], done[2], st;
        uint64_t t0, t1, child_sys = 0, total;
        pid_t pid;

        chan_open(&c, k, size, SPIN, BACKOFF_TPUT);
        if (pipe2(go, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0)
                die("pipe");
        pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                char x;
                zmq_after_fork();
                chan_ready(&c, ZMQ_PUSH);
                if (read(go[0], &x, 1) != 1)
                        _exit(1);
                for (uint64_t i = 0; i < n; i++) {
                        memcpy(buf, &i, sizeof(i));
                        chan_send(&c, buf, size);
                }
                chan_flush(&c);
                child_sys = chan_syscalls(&c);
                (void) !write(done[1], &child_sys, sizeof(child_sys));
                /* Before the exit: what zmq still queues must reach the
                 * parent, which waits for it. */
                if (read(go[0], &x, 1) != 1)
                        _exit(1);
                _exit(0);
        }
        chan_ready(&c, ZMQ_PULL);
        t0 = now_ns();
        if (write(go[1], "g", 1) != 1)
                die("go");
        for (uint64_t i = 0; i < n; i++) {
                uint64_t v;
                if (chan_recv(&c, buf, size) != size)
                        die("short message");
                memcpy(&v, buf, sizeof(v));
                if (v != i) {
                        fprintf(stderr, "%s: message %llu out of order (%llu)\n", kind_names[k],
                                (unsigned long long) i, (unsigned long long) v);
                        exit(1);
                }
        }
        t1 = now_ns();
        if (read(done[0], &child_sys, sizeof(child_sys)) != sizeof(child_sys))
                die("done");
        if (write(go[1], "e", 1) != 1)
                die("end");
        waitpid(pid, &st, 0);
        total = child_sys + chan_syscalls(&c);
        if (ret_wake)
                *ret_wake = (double) total / (double) n;
        chan_close(&c);
        close(go[0]);
        close(go[1]);
        close(done[0]);
        close(done[1]);
        return (double) n / ((double) (t1 - t0) / 1e9);
}

/* Times the calling thread was preempted so far (involuntary context
 * switches).  Not the voluntary ones: a lane sender that sleeps on a full
 * lane pays for it in its own chunk, as it should. */
static uint64_t switches(void) {
        struct rusage ru;

        if (getrusage(RUSAGE_THREAD, &ru) < 0)
                return 0;
        return (uint64_t) ru.ru_nivcsw;
}

/* What the two sides of paired_throughput() share. */
typedef struct pair_ctl {
        alignas(64) _Atomic uint32_t go;        /* the parent: chunk go - 1 may start */
        alignas(64) _Atomic uint32_t done;      /* the child: chunk done - 1 sent, its switches stored */
        alignas(64) uint32_t child_sw[];        /* the child's context switches during each chunk */
} pair_ctl;

/* The lane against the floor ring at SIZE, the figure the goals compare.
 * Separate runs a second apart, as throughput() makes for the other
 * transports, compared two moments of a shared, loaded VM: with the code
 * unchanged the 64-byte ratio of a --quick run swung from 0.5x to 7x, and
 * chunks of a few milliseconds taking turns still ranged over 0.1x-10x
 * (quartiles), because on two vCPUs shared with other work one of the two
 * spinning sides is often not running, and what the other does meanwhile
 * (drain a full ring, or wait) decides the figure.  So: between the same
 * two processes, chunks of CHUNK messages (a few hundred microseconds)
 * alternate between the lane and the ring (which goes first alternates
 * from pair to pair); each starts on an empty channel when the parent
 * (the receiver) says so and is timed by it; and a pair counts only if
 * neither side was preempted during either chunk (getrusage()'s
 * involuntary context switches, the child's reported through shared
 * memory; a side that chose to sleep, a lane sender on a full lane, is
 * counted with the time it slept): the
 * figure is the speed of the two while they both run, which is what the
 * code decides.  A preemption of the whole VM by its host does not show
 * there; the median of many pairs shrugs those off.  Runs until PAIRS
 * pairs counted, or 50 times as many were tried.  *RET_LANE, *RET_RING:
 * the medians of the counted chunks' msgs/s; *RET_RATIO the median of
 * the counted pairs' lane / ring ratios, *RET_Q1 and *RET_Q3 their
 * quartiles; *RET_TRIED the pairs tried. */
static void paired_throughput(uint32_t size, unsigned pairs, uint64_t chunk, double *ret_lane, double *ret_ring,
                              double *ret_ratio, double *ret_q1, double *ret_q3, unsigned *ret_tried) {
        unsigned max = 50 * pairs, n = 2 * (max + 1), kept = 0, tried = 0;
        size_t ctl_bytes = sizeof(pair_ctl) + n * sizeof(uint32_t);
        uint32_t *own_sw = calloc(n, sizeof(uint32_t));
        double *rate[2], *ratio, *chunk_rate = calloc(n, sizeof(double));
        uint8_t buf[MSG_MAX] = { 0 };
        pair_ctl *ctl;
        chan c[2];
        int st;
        pid_t pid;

        ctl = mmap(NULL, ctl_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        rate[0] = calloc(pairs, sizeof(double));
        rate[1] = calloc(pairs, sizeof(double));
        ratio = calloc(pairs, sizeof(double));
        if (ctl == MAP_FAILED || !rate[0] || !rate[1] || !ratio || !own_sw || !chunk_rate)
                die("paired");
        chan_open(&c[0], LANE_BUSY, size, SPIN, BACKOFF_TPUT);
        chan_open(&c[1], RING_BUSY, size, SPIN, BACKOFF_TPUT);
        pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                zmq_after_fork();
                for (uint32_t j = 0;; j++) {
                        uint32_t g;
                        uint64_t sw;

                        /* Chunk j goes when the parent says j + 1; GO_END: the
                         * end.  Not 0, which the page holds before the parent
                         * says anything: a child that ran first took it for
                         * the end and left the parent waiting for ever. */
                        while ((g = atomic_load_explicit(&ctl->go, memory_order_acquire)) != j + 1 && g != GO_END)
                                cpu_relax();
                        if (g == GO_END)
                                break;
                        sw = switches();
                        for (uint64_t i = 0; i < chunk; i++) {
                                memcpy(buf, &i, sizeof(i));
                                chan_send(&c[(j ^ (j >> 1)) & 1], buf, size);
                        }
                        ctl->child_sw[j] = (uint32_t) (switches() - sw);
                        atomic_store_explicit(&ctl->done, j + 1, memory_order_release);
                }
                _exit(0);
        }
        for (uint32_t j = 0; j < n && kept < pairs; j++) {
                /* Pair j / 2 runs lane then ring when it is even, ring
                 * then lane when it is odd; pair 0 warms both up (page
                 * faults, caches) and does not count. */
                unsigned which = (j ^ (j >> 1)) & 1;
                uint64_t t0, t1, sw = switches();

                t0 = now_ns();
                atomic_store_explicit(&ctl->go, j + 1, memory_order_release);
                for (uint64_t i = 0; i < chunk; i++) {
                        uint64_t v;
                        if (chan_recv(&c[which], buf, size) != size)
                                die("short message");
                        memcpy(&v, buf, sizeof(v));
                        if (v != i) {
                                fprintf(stderr, "%s: message %llu out of order (%llu)\n",
                                        kind_names[which ? RING_BUSY : LANE_BUSY], (unsigned long long) i,
                                        (unsigned long long) v);
                                exit(1);
                        }
                }
                t1 = now_ns();
                own_sw[j] = (uint32_t) (switches() - sw);
                chunk_rate[j] = (double) chunk / ((double) (t1 - t0) / 1e9);
                while (atomic_load_explicit(&ctl->done, memory_order_acquire) != j + 1)
                        cpu_relax();
                if (j % 2 == 1 && j >= 3) {
                        tried++;
                        if ((own_sw[j] | own_sw[j - 1] | ctl->child_sw[j] | ctl->child_sw[j - 1]) == 0) {
                                unsigned lane_j = ((j - 1) ^ ((j - 1) >> 1)) & 1 ? j : j - 1;
                                rate[0][kept] = chunk_rate[lane_j];
                                rate[1][kept] = chunk_rate[lane_j == j ? j - 1 : j];
                                kept++;
                        }
                }
        }
        atomic_store_explicit(&ctl->go, GO_END, memory_order_release);
        waitpid(pid, &st, 0);
        if (kept == 0) {
                *ret_lane = *ret_ring = *ret_ratio = *ret_q1 = *ret_q3 = 0;
        } else {
                for (unsigned p = 0; p < kept; p++)
                        ratio[p] = rate[0][p] / rate[1][p];
                qsort(ratio, kept, sizeof(double), cmp_double);
                *ret_q1 = ratio[kept / 4];
                *ret_q3 = ratio[(3 * kept) / 4];
                *ret_ratio = median(ratio, kept);
                *ret_lane = median(rate[0], kept);
                *ret_ring = median(rate[1], kept);
        }
        *ret_tried = tried;
        free(rate[0]);
        free(rate[1]);
        free(ratio);
        free(own_sw);
        free(chunk_rate);
        chan_close(&c[0]);
        chan_close(&c[1]);
        munmap(ctl, ctl_bytes);
}

/* Ping-pong: the parent sends, the child echoes; N round trips timed one
 * by one.  SPIN: pauses a futex or fd receiver spins before it sleeps (0:
 * every message wakes a sleeping receiver). */
static void round_trips(kind k, uint32_t size, size_t n, unsigned spin, double *ret_p50, double *ret_p99) {
        chan ab, ba;
        uint8_t buf[MSG_MAX] = { 0 };
        uint64_t *lat = calloc(n, sizeof(uint64_t));
        size_t warm = n / 10;
        int st, fin[2];
        pid_t pid;

        if (!lat || pipe2(fin, O_CLOEXEC) < 0)
                die("calloc");
        chan_open(&ab, k, size, spin, BACKOFF_RTT);
        chan_open(&ba, k, size, spin, BACKOFF_RTT);
        /* zmq: one PAIR socket per side carries both directions. */
        ab.pair = ba.pair = true;
        ba.same = k == ZMQ ? &ab : NULL;
        pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                char x;
                zmq_after_fork();
                for (size_t i = 0; i < n + warm; i++) {
                        uint32_t len = chan_recv(&ab, buf, size);
                        chan_send(&ba, buf, len);
                }
                /* zmq sends from a thread of its own: the last echo must
                 * have arrived before we exit. */
                (void) !read(fin[0], &x, 1);
                _exit(0);
        }
        for (size_t i = 0; i < n + warm; i++) {
                uint64_t t0 = now_ns();
                chan_send(&ab, buf, size);
                (void) chan_recv(&ba, buf, size);
                if (i >= warm)
                        lat[i - warm] = now_ns() - t0;
        }
        if (write(fin[1], "e", 1) != 1)
                die("fin");
        waitpid(pid, &st, 0);
        close(fin[0]);
        close(fin[1]);
        qsort(lat, n, sizeof(uint64_t), cmp_u64);
        *ret_p50 = (double) lat[n / 2];
        *ret_p99 = (double) lat[(size_t) ((double) (n - 1) * 0.99)];
        free(lat);
        chan_close(&ab);
        chan_close(&ba);
}

/* The smallest lane that holds PER messages of LEN bytes. */
static uint32_t lane_bytes_for(uint32_t per, uint32_t len) {
        uint32_t c = SHM_CAPACITY_MIN;

        while (c < (uint64_t) per * shm_record_size(len, false) || len > shm_lane_message_max_for(c))
                c *= 2;
        return c;
}

/* Receiving across LANES lanes, each holding PER messages, PER a power of
 * two (one process:
 * this measures the receiver's cost alone).  ns per message. */
static double many_lanes(uint32_t lanes, uint32_t per) {
        int bell, *fds = calloc(lanes, sizeof(int));
        shm_tx **tx = calloc(lanes, sizeof(shm_tx *));
        shm_mailbox *mb;
        uint8_t buf[64] = { 0 };
        shm_envelope e = { .len = 64 };
        uint64_t t0, t1, got = 0;

        if (!fds || !tx || shm_bell_create(lanes, &bell) < 0 || shm_mailbox_open(bell, -1, &mb) < 0)
                die("lanes");
        for (uint32_t i = 0; i < lanes; i++)
                if (shm_lane_create(lane_bytes_for(per, 64), 64, &fds[i]) < 0 || shm_tx_open(fds[i], bell, i, -1, -1, &tx[i]) < 0 ||
                    shm_mailbox_add_lane(mb, i, fds[i], -1) < 0)
                        die("lane");
        for (uint32_t k = 0; k < per; k++)
                for (uint32_t i = 0; i < lanes; i++)
                        if (shm_tx_send(tx[i], &e, buf, SHM_FULL_FAIL, 0) < 0)
                                die("send");
        t0 = now_ns();
        while (shm_mailbox_recv(mb, 0, &e, buf, sizeof(buf), NULL) >= 0)
                got++;
        t1 = now_ns();
        if (got != (uint64_t) lanes * per)
                die("many lanes: lost messages");
        for (uint32_t i = 0; i < lanes; i++) {
                shm_tx_free(tx[i]);
                close(fds[i]);
        }
        shm_mailbox_free(mb);
        close(bell);
        free(tx);
        free(fds);
        return (double) (t1 - t0) / (double) got;
}

/* For instruction counts (callgrind's --toggle-collect on the two
 * drains) and profiles: in one process, a lane and the floor ring of the
 * same capacity filled with 64-byte messages and drained, ROUNDS times;
 * the drains are functions of their own. */
static __attribute__((noinline)) uint64_t recv_cost_lane_drain(shm_mailbox *mb, uint8_t *buf) {
        shm_envelope e;
        uint64_t got = 0;

        /* Each message is looked at, as a receiver would (and as
         * throughput() checks the order): its first 8 bytes. */
        while (shm_mailbox_recv(mb, 0, &e, buf, MSG_MAX, NULL) >= 0) {
                uint64_t v;
                memcpy(&v, buf, sizeof(v));
                if (v != got++)
                        die("recv cost: out of order");
        }
        return got;
}

static __attribute__((noinline)) uint64_t recv_cost_ring_drain(ring_end *rx, uint64_t n, uint8_t *buf) {
        for (uint64_t i = 0; i < n; i++) {
                uint64_t v;
                (void) ring_recv(rx, buf, 64, false, 0, 1);
                memcpy(&v, buf, sizeof(v));
                if (v != i)
                        die("recv cost: out of order");
        }
        return n;
}

static void recv_cost(unsigned rounds) {
        chan c;
        ring_end tx = { 0 }, rx = { 0 };
        uint8_t buf[MSG_MAX] = { 0 };
        shm_envelope e = { .type = 1, .len = 64 };
        uint64_t lane_ns = 0, ring_ns = 0, lane_n = 0, ring_n = 0;

        chan_open(&c, LANE_BUSY, 64, 0, 1);
        tx.r = rx.r = mmap(NULL, sizeof(ring), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE,
                           -1, 0);
        if (tx.r == MAP_FAILED)
                die("mmap");
        for (unsigned k = 0; k < rounds; k++) {
                uint64_t n = 0, t0;

                for (;; n++) {
                        memcpy(buf, &n, sizeof(n));
                        if (shm_tx_send(c.tx, &e, buf, SHM_FULL_FAIL, 0) < 0)
                                break;
                }
                t0 = now_ns();
                if (recv_cost_lane_drain(c.mb, buf) != n)
                        die("recv cost: lost messages");
                lane_ns += now_ns() - t0;
                lane_n += n;
                for (n = 0; RING_BYTES - (tx.pos - tx.other) >= 64; n++) {
                        memcpy(buf, &n, sizeof(n));
                        ring_send(&tx, buf, 64, false);
                }
                t0 = now_ns();
                recv_cost_ring_drain(&rx, n, buf);
                ring_ns += now_ns() - t0;
                ring_n += n;
                tx.other = rx.pos;            /* the sender sees the room (a look at head) */
        }
        printf("receive cost, one process, 64 B: lane %.1f ns/msg, floor ring %.1f ns/msg (%u rounds of a full "
               "lane and ring drained)\n", (double) lane_ns / (double) lane_n, (double) ring_ns / (double) ring_n,
               rounds);
        munmap(tx.r, sizeof(ring));
        chan_close(&c);
}

/* One receiver with LANES lanes of the default capacity and message_max
 * (mapped and faulted in, as a receiver maps them): *RET_LANE_BYTES one
 * lane's segment, *RET_RSS_KB the receiver's resident memory with all of
 * them, *RET_PER_LANE_KB what each added to it. */
static void lane_memory(uint32_t lanes, uint64_t *ret_lane_bytes, uint64_t *ret_rss_kb, double *ret_per_lane_kb) {
        int p[2], st, bell;
        uint64_t v[3] = { 0, 0, 0 };
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                die("pipe");
        pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                /* A fresh process: only the receiver's own memory counts. */
                shm_mailbox *mb;
                uint64_t before = rss_kb();
                struct stat sb;
                int fd = -1;

                if (shm_bell_create(lanes, &bell) < 0 || shm_mailbox_open(bell, -1, &mb) < 0)
                        _exit(1);
                for (uint32_t i = 0; i < lanes; i++) {
                        if (shm_lane_create(LANE_BYTES, 4096, &fd) < 0 || shm_mailbox_add_lane(mb, i, fd, -1) < 0)
                                _exit(1);
                        if (i + 1 < lanes)
                                close(fd);
                }
                if (fstat(fd, &sb) < 0)
                        _exit(1);
                v[0] = (uint64_t) sb.st_size;
                v[1] = rss_kb();
                v[2] = v[1] - before;
                (void) !write(p[1], v, sizeof(v));
                _exit(0);
        }
        close(p[1]);
        if (read(p[0], v, sizeof(v)) != sizeof(v))
                die("lane memory");
        close(p[0]);
        waitpid(pid, &st, 0);
        *ret_lane_bytes = v[0];
        *ret_rss_kb = v[1];
        *ret_per_lane_kb = (double) v[2] / lanes;
}

/* Lanes next to their raw-ring counterparts, then the kernel's queues and
 * ZeroMQ; the first N_PAIRED go in pairs. */
static const kind order[_KIND_MAX] = {
        LANE_BUSY, RING_BUSY, LANE_FUTEX, RING_FUTEX, LANE_BATCH, LANE_FD, PIPE, SEQPACKET, MQ, ZMQ,
};
#define N_PAIRED 4

/* One figure of kind K at SIZE into V[figure][ROUND]: 0 throughput,
 * 1 round trips with receivers that spin first, 2 round trips with
 * receivers that sleep at once (futex and fd kinds only). */
static void measure(kind k, int fig, uint32_t size, double v[6][ROUNDS_MAX], unsigned round, uint64_t n_tput,
                    size_t n_rtt, size_t n_blk) {
        bool slow = k >= PIPE;

        switch (fig) {
        case 0:
                /* The lane and the floor ring: paired_throughput(). */
                if (k == LANE_BUSY || k == RING_BUSY)
                        break;
                /* The kernel's queues and zmq are much slower: fewer messages. */
                v[0][round] = throughput(k, size, slow ? n_tput / 4 : n_tput, k == LANE_FUTEX ? &v[5][round] : NULL);
                break;
        case 1:
                if (k != LANE_BATCH)
                        round_trips(k, size, slow ? n_rtt / 2 : n_rtt, SPIN, &v[1][round], &v[2][round]);
                break;
        default:
                if (sleeps(k))
                        round_trips(k, size, n_blk, 0, &v[3][round], &v[4][round]);
                break;
        }
}

static const char *met(bool ok) {
        return ok ? "met" : "NOT met";
}

int main(int argc, char **argv) {
        bool quick = false;
        unsigned only = 0;              /* a bit per kind; 0: all */
        static const uint32_t sizes[] = { 64, 1024 };
        static double raw[2][_KIND_MAX][6][ROUNDS_MAX];
        result res[2][_KIND_MAX] = {};
        uint64_t n_tput, lane_bytes, lanes1000_rss;
        size_t n_rtt, n_blk;
        unsigned rounds, pairs;
        double paired[2][3] = {};       /* lane / ring by pairs of chunks: median, quartiles */
        unsigned tried[2] = {};
        double lanes1, lanes10, lanes100, lanes1000, per_lane_kb;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--quick") == 0)
                        quick = true;
                else if (strcmp(argv[i], "--recv-cost") == 0 && i + 1 < argc) {
                        recv_cost((unsigned) atoi(argv[++i]));  /* for callgrind and perf */
                        return 0;
                } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
                        only |= 1u << atoi(argv[++i]);  /* some transports only, for profiling */
                else {
                        fprintf(stderr, "usage: mailbox [--quick]\n");
                        return 2;
                }
        }
        n_tput = quick ? 200000 : 2000000;
        n_rtt = quick ? 20000 : 200000;
        n_blk = quick ? 4000 : 20000;
        rounds = quick ? 3 : 5;
        pairs = quick ? 60 : 300;
        signal(SIGPIPE, SIG_IGN);
        bench_pin(0);
        setvbuf(stdout, NULL, _IOLBF, 0);

        printf("mailbox: two processes; %llu messages per throughput run, %zu round trips (%zu sleeping), "
               "median of %u interleaved rounds%s; lanes and the floor ring of %u KiB\n",
               (unsigned long long) n_tput, n_rtt, n_blk, rounds, quick ? " (--quick)" : "", LANE_BYTES >> 10);
        /* Each round measures one figure for all transports back to back,
         * a lane right next to its raw-ring counterpart (which of the two
         * goes first alternates), then the next figure: the host moves
         * this VM's vCPUs around every few seconds, and a move between two
         * runs that are compared would show up in their ratio.  The median
         * of the rounds is kept. */
        for (unsigned round = 0; round < rounds; round++) {
                kind seq[_KIND_MAX];

                memcpy(seq, order, sizeof(seq));
                if (round % 2 == 1)
                        for (size_t o = 0; o + 1 < N_PAIRED; o += 2) {
                                seq[o] = order[o + 1];
                                seq[o + 1] = order[o];
                        }
                for (size_t s = 0; s < 2; s++) {
                        for (int fig = 0; fig < 3; fig++)
                                for (size_t o = 0; o < _KIND_MAX; o++)
                                        if (only == 0 || (only & (1u << seq[o])))
                                                measure(seq[o], fig, sizes[s], raw[s][seq[o]], round, n_tput, n_rtt,
                                                        n_blk);
                        for (kind k = 0; k < _KIND_MAX; k++)
                                if (only == 0 || (only & (1u << k)))
                                        fprintf(stderr, "  round %u %-11s %4u B: %.0f msgs/s, rtt p50 %.0f ns, "
                                                "sleeping %.0f ns\n", round + 1, kind_names[k], sizes[s],
                                                raw[s][k][0][round], raw[s][k][1][round], raw[s][k][3][round]);
                }
        }
        for (size_t s = 0; s < 2; s++)
                for (kind k = 0; k < _KIND_MAX; k++) {
                        result *r = &res[s][k];
                        r->mps = median(raw[s][k][0], rounds);
                        r->rtt_p50 = median(raw[s][k][1], rounds);
                        r->rtt_p99 = median(raw[s][k][2], rounds);
                        r->blk_p50 = median(raw[s][k][3], rounds);
                        r->blk_p99 = median(raw[s][k][4], rounds);
                        r->wake_per_msg = median(raw[s][k][5], rounds);
                }
        /* The figure the goals compare, lane-busy against ring-busy:
         * paired_throughput(), a chunk of each in turn. */
        for (size_t s = 0; s < 2; s++)
                if (only == 0 || (only & (1u << LANE_BUSY)) || (only & (1u << RING_BUSY))) {
                        paired_throughput(sizes[s], pairs, sizes[s] <= 64 ? CHUNK_64 : CHUNK_1K,
                                          &res[s][LANE_BUSY].mps, &res[s][RING_BUSY].mps, &paired[s][0],
                                          &paired[s][1], &paired[s][2], &tried[s]);
                        fprintf(stderr, "  paired %4u B: lane %.0f, ring %.0f msgs/s; lane / ring %.2fx "
                                "(quartiles %.2fx-%.2fx), %u pairs tried\n", sizes[s], res[s][LANE_BUSY].mps,
                                res[s][RING_BUSY].mps, paired[s][0], paired[s][1], paired[s][2], tried[s]);
                }
        lanes1 = many_lanes(1, quick ? 65536 : 131072);
        lanes10 = many_lanes(10, quick ? 4096 : 8192);
        lanes100 = many_lanes(100, quick ? 512 : 1024);
        lanes1000 = many_lanes(1000, quick ? 64 : 128);
        lane_memory(1000, &lane_bytes, &lanes1000_rss, &per_lane_kb);

        for (size_t s = 0; s < 2; s++) {
                result *floor_r = &res[s][RING_BUSY], *pipe_r = &res[s][PIPE], *fut = &res[s][RING_FUTEX],
                       *zmq_r = &res[s][ZMQ];
                printf("\n%u-byte messages                    -- receivers spin first --   -- receivers sleep at once --\n"
                       "%-11s %10s %7s %7s %7s %9s %9s %7s %10s %10s %7s\n",
                       sizes[s], "", "msgs/s", "vs ring", "vs pipe", "vs zmq", "rtt p50", "rtt p99", "vs ring",
                       "rtt p50", "rtt p99", "vs ring");
                for (kind k = 0; k < _KIND_MAX; k++) {
                        result *r = &res[s][k];
                        printf("%-11s %10.0f %6.2fx %6.2fx %6.2fx", kind_names[k], r->mps, r->mps / floor_r->mps,
                               r->mps / pipe_r->mps, r->mps / zmq_r->mps);
                        if (k == LANE_BATCH)
                                printf(" %9s %9s %7s", "-", "-", "-");
                        else
                                printf(" %9.0f %9.0f %6.2fx", r->rtt_p50, r->rtt_p99, r->rtt_p50 / floor_r->rtt_p50);
                        if (sleeps(k))
                                printf(" %10.0f %10.0f %6.2fx", r->blk_p50, r->blk_p99, r->blk_p50 / fut->blk_p50);
                        printf("\n");
                }
        }
        printf("%-11s %10s  not installed (no Debian 12 package)\n", "iceoryx", "-");
        printf("(rtt in ns; \"vs ring\" compares with ring-busy, the floor, and for sleeping receivers with\n"
               " ring-futex; futex and fd receivers spin %u pauses before sleeping in the first columns, none\n"
               " in the last; an empty channel is looked at every %u pauses in throughput runs, every %u in\n"
               " round trips; lane-batch sends %u messages per publication)\n",
               SPIN, BACKOFF_TPUT, BACKOFF_RTT, BATCH);
        printf("\nwake system calls per message, lane-futex under sustained load: %.4f (64 B), %.4f (1 KiB)\n",
               res[0][LANE_FUTEX].wake_per_msg, res[1][LANE_FUTEX].wake_per_msg);
        printf("lane-busy / ring-busy throughput, %u pairs of chunks in turn in which neither side was "
               "preempted (%u messages of 64 B, %u of 1 KiB): median %.2fx (quartiles %.2fx-%.2fx; %u pairs "
               "tried) at 64 B, %.2fx (%.2fx-%.2fx; %u tried) at 1 KiB\n", pairs, CHUNK_64, CHUNK_1K,
               paired[0][0], paired[0][1], paired[0][2], tried[0], paired[1][0], paired[1][1], paired[1][2],
               tried[1]);
        printf("receive cost (one process, lanes served in turn): %.1f ns/msg with 1 lane, %.1f with 10, "
               "%.1f with 100, %.1f across 1000 lanes\n", lanes1, lanes10, lanes100, lanes1000);
        printf("lane memory (mailbox = %uK, message_max = 4096): %llu bytes mapped per lane, %.0f KiB resident "
               "per lane; one receiver with 1000 lanes: %llu KiB resident\n", LANE_BYTES >> 10,
               (unsigned long long) lane_bytes, per_lane_kb, (unsigned long long) lanes1000_rss);

        result *l = res[0], *lb = &res[0][LANE_BUSY], *k1 = res[1];
        printf("\ngoals (64 B unless said): lane >= 0.7x ring: %s; >= 6x pipe: %s; >= 4x zmq: %s; "
               "busy rtt p50 <= 1.5x ring: %s; blocking rtt p50 <= 1.2x ring-futex: %s; "
               "1 KiB lane >= 0.8x ring: %s; 1000 lanes <= 300 MB resident: %s; <= 0.01 wake syscalls/msg: %s\n",
               met(lb->mps >= 0.7 * l[RING_BUSY].mps), met(lb->mps >= 6 * l[PIPE].mps),
               met(lb->mps >= 4 * l[ZMQ].mps), met(lb->rtt_p50 <= 1.5 * l[RING_BUSY].rtt_p50),
               met(l[LANE_FUTEX].blk_p50 <= 1.2 * l[RING_FUTEX].blk_p50),
               met(k1[LANE_BUSY].mps >= 0.8 * k1[RING_BUSY].mps), met(lanes1000_rss <= 300 * 1000),
               met(l[LANE_FUTEX].wake_per_msg <= 0.01));

        printf("{\"bench\":\"mailbox\",\"lane_mps\":%.0f,\"floor_mps\":%.0f,\"pipe_mps\":%.0f,"
               "\"lane_rtt_p50_ns\":%.0f,\"floor_rtt_p50_ns\":%.0f,\"lane_block_rtt_p50_ns\":%.0f,"
               "\"floor_block_rtt_p50_ns\":%.0f,\"wake_syscalls_per_msg\":%.4f,\"lanes1000_ns_per_msg\":%.1f,"
               "\"zmq_mps\":%.0f,\"zmq_rtt_p50_ns\":%.0f,\"lane_bytes\":%llu,\"lanes1000_rss_kb\":%llu,"
               "\"lane_batch_mps\":%.0f,\"lane_1k_mps\":%.0f,\"floor_1k_mps\":%.0f,"
               "\"lane_vs_floor_paired\":%.3f,\"lane_1k_vs_floor_paired\":%.3f}\n",
               lb->mps, l[RING_BUSY].mps, l[PIPE].mps, lb->rtt_p50, l[RING_BUSY].rtt_p50, l[LANE_FUTEX].blk_p50,
               l[RING_FUTEX].blk_p50, l[LANE_FUTEX].wake_per_msg, lanes1000, l[ZMQ].mps, l[ZMQ].rtt_p50,
               (unsigned long long) lane_bytes, (unsigned long long) lanes1000_rss, l[LANE_BATCH].mps,
               k1[LANE_BUSY].mps, k1[RING_BUSY].mps, paired[0][0], paired[1][0]);
        return 0;
}
