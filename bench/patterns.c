/* patterns - request/reply and publish/subscribe between groups, side by
 * side in one run with ZeroMQ (REQ/REP and PUB/SUB over ipc://) and core
 * NATS (a nats-server this program starts on 127.0.0.1): round trips of
 * 64-byte requests (p50/p99) against bench/e2e's plain round trip between
 * two groups, and 64-byte messages delivered per second in total to 1 and
 * to 10 subscriber processes.
 *
 * Usage: patterns [--quick]; airsupd runs patterns itself in its groups
 * (--role).  The last line of output is one JSON object. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "bench/bench.h"
#include "child/airsup.h"

#define MSG 64
#define ROUNDS_MAX 5
#define SUBS_MAX 10

/* airsup_request()/airsup_reply() are in child/airsup.h: the request/reply
 * row runs (0 prints "-" and null, for a libairsup without them). */
#define HAVE_AIRSUP_REQUEST 1

/* A subscriber reads the clock at the first of every STAMP_EVERY data
 * messages, not at each: a clock_gettime() costs about 27 ns here, as
 * much as an airsup receive, and would be most of what is measured.  The
 * last arrival is then that of the last stamped message, at most 15
 * messages before the true last: the same for airsup, ZeroMQ and NATS. */
#define STAMP_EVERY 16

/* The first byte of every message published: subscribers count only D. */
enum { M_HELLO = 'h', M_DATA = 'd', M_END = 'e' };

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return (x > y) - (x < y);
}

/* LAT (N, sorted here) into its p50 and p99. */
static void percentiles(uint64_t *lat, size_t n, double *p50, double *p99) {
        qsort(lat, n, sizeof(uint64_t), cmp_u64);
        *p50 = (double) lat[n / 2];
        *p99 = (double) lat[(size_t) ((double) (n - 1) * 0.99)];
}


/* ---- airsup: the roles airsupd runs, and the measures ---- */

#if HAVE_AIRSUP_REQUEST
static airsup *attach(void) {
        airsup *a;

        if (airsup_attach(&a) < 0)
                _exit(2);
        return a;
}

_Noreturn static void role_rep(void) {
        airsup *a = attach();
        uint8_t buf[MSG];
        airsup_msg m;

        bench_pin(0);
        (void) airsup_ready(a);
        for (;;) {
                int r = airsup_recv(a, &m, buf, sizeof(buf), UINT64_MAX);
                if (r < 0)
                        continue;
                (void) airsup_reply(a, &m, 2, buf, (size_t) r);
                (void) airsup_commit(a, &m);
        }
}

_Noreturn static void role_req(size_t n, const char *result) {
        airsup *a = attach();
        uint8_t buf[MSG] = { 0 }, back[MSG];
        uint64_t *lat = calloc(n, sizeof(uint64_t));
        size_t warm = n / 10;
        airsup_dest *d;
        airsup_msg m;
        double p50, p99;
        char text[64];

        bench_pin(1);
        if (!lat || airsup_lookup(a, "rep", 10000000000ull, &d) < 0)
                _exit(2);
        for (size_t i = 0; i < n + warm; i++) {
                int64_t t0 = bench_mono_ns();
                if (airsup_request(a, d, 1, buf, sizeof(buf), back, sizeof(back), 10000000000ull, &m) < 0)
                        _exit(2);
                if (i >= warm)
                        lat[i - warm] = (uint64_t) (bench_mono_ns() - t0);
        }
        percentiles(lat, n, &p50, &p99);
        snprintf(text, sizeof(text), "%.0f %.0f\n", p50, p99);
        bench_write_result(result, text);
        for (;;)
                pause();
}
#endif

/* Two groups under airsupd running BIN's roles ECHO and PING (a ping's
 * arguments: N and the result file): the round trip's p50 and p99, or -1. */
static void groups_rtt(const char *bin, const char *echo, const char *ping, size_t n, double *p50, double *p99) {
        char conf[3 * PATH_MAX + 256], result[PATH_MAX + 32];

        *p50 = *p99 = -1;
        if (access(bin, X_OK) < 0)
                return;
        snprintf(result, sizeof(result), "%s/rtt", bench_tmpdir);
        snprintf(conf, sizeof(conf),
                 "[group:%s]\ncommand = %s --role %s\nready = notify\n"
                 "[group:%s]\ncommand = %s --role %s %zu %s\n",
                 echo, bin, echo, ping, bin, ping, n, result);
        bench_unpin();
        if (!bench_under_airsupd(conf, result, p50, p99))
                *p50 = *p99 = -1;
}

/* airsup_request() to a group that airsup_reply()s. */
static void airsup_req_rtt(size_t n, double *p50, double *p99) {
#if HAVE_AIRSUP_REQUEST
        char self[PATH_MAX];
        ssize_t l = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (l <= 0)
                bench_die("readlink");
        self[l] = '\0';
        groups_rtt(self, "rep", "req", n, p50, p99);
#else
        (void) n;
        *p50 = *p99 = -1;
#endif
}

/* The plain round trip: bench/e2e's own echo and ping roles. */
static void plain_rtt(size_t n, double *p50, double *p99) {
        char bin[PATH_MAX + 16];

        snprintf(bin, sizeof(bin), "%s/e2e", bench_bindir);
        groups_rtt(bin, "echo", "ping", n, p50, p99);
}

/* Publish/subscribe: a pool of SUBS subscribers (subscribe = bench.>,
 * subscribe_all = yes: each instance gets every message) and one
 * publisher, under airsupd.  Each subscriber counts what it gets until
 * the publisher's end message, then writes its count and the time of its
 * last message into DIR; the publisher, after WINDOW seconds of 64-byte
 * publishes (blocking while a lane is full), sums them: delivered per
 * second from its first send to the last arrival. */
_Noreturn static void role_psub(const char *dir) {
        airsup *a = attach();
        uint8_t buf[MSG + 256];         /* the subject comes with the payload */
        uint64_t n = 0;
        int64_t last = 0;
        airsup_msg m;
        char path[PATH_MAX + 32], text[64];

        (void) airsup_ready(a);
        for (;;) {
                int r = airsup_recv(a, &m, buf, sizeof(buf), UINT64_MAX);
                if (r < 0)
                        continue;
                (void) airsup_commit(a, &m);
                if (m.type == 2)
                        break;
                if (n++ % STAMP_EVERY == 0)
                        last = bench_mono_ns();
        }
        snprintf(path, sizeof(path), "%s/c-%d", dir, (int) getpid());
        snprintf(text, sizeof(text), "%llu %lld\n", (unsigned long long) n, (long long) last);
        bench_write_result(path, text);
        for (;;)
                pause();
}

_Noreturn static void role_ppub(unsigned subs, double window, const char *dir, const char *result) {
        airsup *a = attach();
        airsup_send_opts o = { .full = AIRSUP_BLOCK, .timeout_ns = 10000000000ull };
        uint8_t buf[MSG] = { 0 };
        int64_t t0, end;
        uint64_t total = 0;
        int64_t last = 0;
        char text[64];

        t0 = bench_mono_ns();
        end = t0 + (int64_t) (window * 1e9);
        while (bench_mono_ns() < end)
                for (int k = 0; k < 256; k++)
                        if (airsup_publish(a, "bench.data", 1, buf, sizeof(buf), &o) < 0)
                                _exit(2);
        if (airsup_publish(a, "bench.end", 2, NULL, 0, &o) < (int) subs)
                _exit(2);
        /* The subscribers' counts, as they finish. */
        for (int64_t stop = bench_mono_ns() + 60 * (int64_t) 1000000000;;) {
                DIR *d = opendir(dir);
                struct dirent *e;
                unsigned found = 0;

                total = 0;
                last = 0;
                while (d && (e = readdir(d))) {
                        char path[PATH_MAX + 300];
                        unsigned long long c;
                        long long l;
                        FILE *f;

                        if (strncmp(e->d_name, "c-", 2) != 0)
                                continue;
                        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                        f = fopen(path, "re");
                        if (f && fscanf(f, "%llu %lld", &c, &l) == 2) {
                                found++;
                                total += c;
                                if (l > last)
                                        last = l;
                        }
                        if (f)
                                fclose(f);
                }
                if (d)
                        closedir(d);
                if (found >= subs)
                        break;
                if (bench_mono_ns() > stop)
                        _exit(2);
                bench_nap_ms(10);
        }
        snprintf(text, sizeof(text), "%.0f\n", (double) total / ((double) (last - t0) / 1e9));
        bench_write_result(result, text);
        for (;;)
                pause();
}

static double airsup_pub(unsigned subs, double window) {
        char conf[6 * PATH_MAX + 512], result[PATH_MAX + 64], dir[PATH_MAX + 32], self[PATH_MAX];
        double a = -1, b;
        ssize_t l = readlink("/proc/self/exe", self, sizeof(self) - 1);
        static unsigned run;

        if (l <= 0)
                return -1;
        self[l] = '\0';
        snprintf(dir, sizeof(dir), "%s/pub%u-%u", bench_tmpdir, subs, run++);
        if (mkdir(dir, 0700) < 0)
                return -1;
        snprintf(result, sizeof(result), "%s/rate", dir);
        snprintf(conf, sizeof(conf),
                 "[group:psub]\ncommand = %s --role psub %s\ninstances = %u\nready = notify\n"
                 "subscribe = bench.>\nsubscribe_all = yes\n"
                 "[group:ppub]\ncommand = %s --role ppub %u %.3f %s %s\nrestart = temporary\n",
                 self, dir, subs, self, subs, window, dir, result);
        bench_unpin();
        return bench_under_airsupd(conf, result, &a, &b) ? a : -1;
}

/* ---- the peers: one interface over ZeroMQ and NATS ---- */

typedef struct peer {
        const char *name;
        bool have;
        char why[2 * PATH_MAX];         /* why it is skipped */
        char addr[PATH_MAX + 32];       /* an ipc:// endpoint prefix, or nats://127.0.0.1:PORT */
        /* Publish/subscribe. */
        void *(*pub_open)(const struct peer *p);
        void (*pub_send)(void *h, const uint8_t *buf, bool may_drop);
        void (*pub_close)(void *h);
        void *(*sub_open)(const struct peer *p);
        int (*sub_recv)(void *h, uint8_t *buf);         /* a message's length, or -1 after 10 s */
        void (*sub_close)(void *h);
        /* Request/reply: the server answers for ever, the client times N. */
        void (*rep_serve)(const struct peer *p);         /* never returns */
        void (*req_time)(const struct peer *p, uint64_t *lat, size_t n);
} peer;

typedef struct zend {
        void *ctx, *sock;
} zend;

static zend *z_open(const char *endpoint, int type, bool bind) {
        zend *z = malloc(sizeof(*z));
        int zero = 0, tmo = 10000;

        if (!z)
                _exit(3);
        z->ctx = zmq_ctx_new();
        z->sock = zmq_socket(z->ctx, type);
        (void) zmq_setsockopt(z->sock, ZMQ_LINGER, &zero, sizeof(zero));
        (void) zmq_setsockopt(z->sock, ZMQ_RCVTIMEO, &tmo, sizeof(tmo));
        if (type == ZMQ_SUB)
                (void) zmq_setsockopt(z->sock, ZMQ_SUBSCRIBE, "", 0);
        if ((bind ? zmq_bind(z->sock, endpoint) : zmq_connect(z->sock, endpoint)) < 0)
                _exit(3);
        return z;
}

static void z_close(void *h) {
        zend *z = h;

        zmq_close(z->sock);
        zmq_ctx_term(z->ctx);
        free(z);
}

static char zmq_pub_ep[PATH_MAX + 48], zmq_rep_ep[PATH_MAX + 48];

static void *zpub_open(const peer *p) {
        (void) p;
        return z_open(zmq_pub_ep, ZMQ_PUB, true);
}

/* PUB drops at its high-water mark rather than block: what is counted is
 * what the subscribers got. */
static void zpub_send(void *h, const uint8_t *buf, bool may_drop) {
        (void) zmq_send(((zend *) h)->sock, buf, MSG, may_drop ? ZMQ_DONTWAIT : 0);
}

static void *zsub_open(const peer *p) {
        (void) p;
        return z_open(zmq_pub_ep, ZMQ_SUB, false);
}

static int zsub_recv(void *h, uint8_t *buf) {
        return zmq_recv(((zend *) h)->sock, buf, MSG, 0);
}

_Noreturn static void zrep_serve(const peer *p) {
        zend *z = z_open(zmq_rep_ep, ZMQ_REP, true);
        uint8_t buf[MSG];

        (void) p;
        for (;;)
                if (zmq_recv(z->sock, buf, MSG, 0) == MSG)
                        (void) zmq_send(z->sock, buf, MSG, 0);
}

static void zreq_time(const peer *p, uint64_t *lat, size_t n) {
        zend *z = z_open(zmq_rep_ep, ZMQ_REQ, false);
        uint8_t buf[MSG] = { 0 };

        (void) p;
        for (size_t i = 0; i < n; i++) {
                int64_t t0 = bench_mono_ns();
                if (zmq_send(z->sock, buf, MSG, 0) != MSG || zmq_recv(z->sock, buf, MSG, 0) != MSG)
                        _exit(3);
                lat[i] = (uint64_t) (bench_mono_ns() - t0);
        }
        z_close(z);
}

/* NATS: one connection each; a subscriber keeps the library's pending
 * limits (65,536 messages, 64 MB), past which it drops: delivered is
 * what the subscriber took, as for ZeroMQ past its high-water mark. */
typedef struct nend {
        natsConnection *nc;
        natsSubscription *sub;
} nend;

/* ASAP: each publish written at once (request/reply) rather than
 * gathered by the library's flusher thread, which waits up to a
 * millisecond for more. */
static nend *n_open(const peer *p, const char *subject, bool asap) {
        nend *e = calloc(1, sizeof(*e));
        natsOptions *o = NULL;

        if (!e || natsOptions_Create(&o) != NATS_OK || natsOptions_SetURL(o, p->addr) != NATS_OK ||
            natsOptions_SetSendAsap(o, asap) != NATS_OK || natsConnection_Connect(&e->nc, o) != NATS_OK)
                _exit(3);
        natsOptions_Destroy(o);
        if (subject && natsConnection_SubscribeSync(&e->sub, e->nc, subject) != NATS_OK)
                _exit(3);
        return e;
}

static void n_close(void *h) {
        nend *e = h;

        if (e->sub)
                natsSubscription_Destroy(e->sub);
        (void) natsConnection_FlushTimeout(e->nc, 10000);
        natsConnection_Destroy(e->nc);
        free(e);
}

static void *npub_open(const peer *p) {
        return n_open(p, NULL, false);
}

static void npub_send(void *h, const uint8_t *buf, bool may_drop) {
        (void) natsConnection_Publish(((nend *) h)->nc, "bench", buf, MSG);
        if (may_drop)
                (void) natsConnection_Flush(((nend *) h)->nc);
}

static void *nsub_open(const peer *p) {
        return n_open(p, "bench", false);
}

/* A message's data into BUF (MSG bytes at most). */
static int n_next(natsSubscription *sub, uint8_t *buf, natsMsg **ret) {
        natsMsg *m;
        int len;

        if (natsSubscription_NextMsg(&m, sub, 10000) != NATS_OK)
                return -1;
        len = natsMsg_GetDataLength(m);
        memcpy(buf, natsMsg_GetData(m), len < MSG ? (size_t) len : MSG);
        if (ret)
                *ret = m;
        else
                natsMsg_Destroy(m);
        return len;
}

static int nsub_recv(void *h, uint8_t *buf) {
        return n_next(((nend *) h)->sub, buf, NULL);
}

_Noreturn static void nrep_serve(const peer *p) {
        nend *e = n_open(p, "echo", true);
        uint8_t buf[MSG];
        natsMsg *m;

        for (;;)
                if (n_next(e->sub, buf, &m) >= 0) {
                        (void) natsConnection_Publish(e->nc, natsMsg_GetReply(m), buf, MSG);
                        natsMsg_Destroy(m);
                }
}

static void nreq_time(const peer *p, uint64_t *lat, size_t n) {
        nend *e = n_open(p, NULL, true);
        int64_t end = bench_mono_ns() + 10000000000LL;
        uint8_t buf[MSG] = { 0 };
        natsMsg *r;

        /* Until the server's subscription is in place ("no responders"). */
        while (natsConnection_Request(&r, e->nc, "echo", buf, MSG, 100) != NATS_OK)
                if (bench_mono_ns() > end)
                        _exit(3);
        natsMsg_Destroy(r);
        for (size_t i = 0; i < n; i++) {
                int64_t t0 = bench_mono_ns();
                if (natsConnection_Request(&r, e->nc, "echo", buf, MSG, 10000) != NATS_OK)
                        _exit(3);
                natsMsg_Destroy(r);
                lat[i] = (uint64_t) (bench_mono_ns() - t0);
        }
        n_close(e);
}

/* ---- the peers' harness: every side a process of its own ---- */

typedef struct sub_report {
        uint64_t count;
        int64_t last_ns;                /* the last message's arrival, CLOCK_MONOTONIC */
} sub_report;

/* A subscriber: says it is there at the first hello (READY), counts data
 * until the end, reports to REPORT. */
_Noreturn static void subscriber(const peer *p, int ready, int report) {
        void *h = p->sub_open(p);
        sub_report r = { 0, 0 };
        uint8_t buf[MSG];
        bool said = false;

        for (;;) {
                if (p->sub_recv(h, buf) < 1)
                        break;
                if (buf[0] == M_DATA) {
                        if (r.count++ % STAMP_EVERY == 0)
                                r.last_ns = bench_mono_ns();
                } else if (buf[0] == M_HELLO && !said) {
                        bench_write_all(ready, "r", 1);
                        said = true;
                } else if (buf[0] == M_END)
                        break;
        }
        bench_write_all(report, &r, sizeof(r));
        p->sub_close(h);
        _exit(0);
}

/* The publisher: hellos until SUBS said they are there, data messages for
 * WINDOW seconds as fast as it can (a count would measure the drops: a
 * ZeroMQ publisher is through 200,000 in 16 ms, having sent all but the
 * few thousand its high-water marks hold nowhere), then ends until every
 * report is in; delivered per second to OUT. */
_Noreturn static void publisher(const peer *p, unsigned subs, double window, int ready, int report, int out) {
        void *h = p->pub_open(p);
        sub_report r[SUBS_MAX];
        uint8_t buf[MSG] = { 0 };
        int64_t end = bench_mono_ns() + 30000000000LL, t0, last = 0;
        size_t got = 0;
        double mps = -1, total = 0;
        char x[SUBS_MAX];

        for (unsigned heard = 0; heard < subs;) {
                buf[0] = M_HELLO;
                p->pub_send(h, buf, true);
                struct pollfd pfd = { .fd = ready, .events = POLLIN };
                if (poll(&pfd, 1, 1) > 0) {
                        ssize_t k = read(ready, x, subs - heard);
                        heard += k > 0 ? (unsigned) k : 0;
                }
                if (bench_mono_ns() > end)
                        goto out;
        }
        buf[0] = M_DATA;
        t0 = bench_mono_ns();
        for (uint64_t i = 0;; i++) {
                memcpy(buf + 8, &i, sizeof(i));
                p->pub_send(h, buf, false);
                if (i % 256 == 0 && bench_mono_ns() - t0 >= (int64_t) (window * 1e9))
                        break;
        }
        buf[0] = M_END;
        while (got < subs * sizeof(sub_report) && bench_mono_ns() < end) {
                struct pollfd pfd = { .fd = report, .events = POLLIN };
                p->pub_send(h, buf, true);
                if (poll(&pfd, 1, 1) > 0) {
                        ssize_t k = read(report, (char *) r + got, subs * sizeof(sub_report) - got);
                        got += k > 0 ? (size_t) k : 0;
                }
        }
        if (got == subs * sizeof(sub_report)) {
                for (unsigned i = 0; i < subs; i++) {
                        total += (double) r[i].count;
                        last = r[i].last_ns > last ? r[i].last_ns : last;
                }
                fprintf(stderr, "  %s, %u subscriber%s: %.0f delivered in %.3f s\n", p->name, subs,
                        subs == 1 ? "" : "s", total, (double) (last - t0) / 1e9);
                if (last > t0)
                        mps = total / ((double) (last - t0) / 1e9);
        }
out:
        bench_write_all(out, &mps, sizeof(mps));
        p->pub_close(h);
        _exit(0);
}

static pid_t fork_or_die(void) {
        pid_t pid = fork();

        if (pid < 0)
                bench_die("fork");
        return pid;
}

/* P's publisher to SUBS subscriber processes for WINDOW seconds: delivered
 * per second in total, or -1.  Nobody pinned: eleven processes share the
 * CPUs. */
static double pubsub_run(const peer *p, unsigned subs, double window) {
        int ready[2], report[2], out[2], st;
        pid_t kids[SUBS_MAX + 1];
        double mps = -1;

        if (!p->have)
                return -1;
        if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
                bench_die("pipe");
        bench_unpin();
        for (unsigned i = 0; i < subs; i++)
                if ((kids[i] = fork_or_die()) == 0)
                        subscriber(p, ready[1], report[1]);
        if ((kids[subs] = fork_or_die()) == 0)
                publisher(p, subs, window, ready[0], report[0], out[1]);
        if (!bench_read_within(out[0], &mps, sizeof(mps), 120))
                mps = -1;
        for (unsigned i = 0; i <= subs; i++) {
                kill(kids[i], SIGKILL);
                waitpid(kids[i], &st, 0);
        }
        for (int i = 0; i < 2; i++) {
                close(ready[i]);
                close(report[i]);
                close(out[i]);
        }
        return mps;
}

/* P's request/reply, N round trips (a tenth more first as warm-up), the
 * two sides pinned as in bench/e2e: p50 and p99 in ns, or -1. */
static void reqrep_run(const peer *p, size_t n, double *p50, double *p99) {
        pid_t server, client;
        double v[2] = { -1, -1 };
        int out[2], st;

        *p50 = *p99 = -1;
        if (!p->have)
                return;
        if (pipe2(out, O_CLOEXEC) < 0)
                bench_die("pipe");
        if ((server = fork_or_die()) == 0) {
                bench_pin(0);
                p->rep_serve(p);
                _exit(3);
        }
        if ((client = fork_or_die()) == 0) {
                size_t warm = n / 10;
                uint64_t *lat = calloc(n + warm, sizeof(uint64_t));
                bench_pin(1);
                if (!lat)
                        _exit(3);
                p->req_time(p, lat, n + warm);
                percentiles(lat + warm, n, &v[0], &v[1]);
                bench_write_all(out[1], v, sizeof(v));
                _exit(0);
        }
        if (bench_read_within(out[0], v, sizeof(v), 120)) {
                *p50 = v[0];
                *p99 = v[1];
        }
        kill(client, SIGKILL);
        kill(server, SIGKILL);
        waitpid(client, &st, 0);
        waitpid(server, &st, 0);
        close(out[0]);
        close(out[1]);
}

/* ---- nats-server ---- */

/* A TCP port on 127.0.0.1 nobody listens on right now. */
static int free_port(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t sl = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            getsockname(fd, (struct sockaddr *) &sa, &sl) < 0)
                bench_die("free port");
        port = ntohs(sa.sin_port);
        close(fd);
        return port;
}

static bool port_open(int port, double seconds) {
        int64_t end = bench_mono_ns() + (int64_t) (seconds * 1e9);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

        while (bench_mono_ns() < end) {
                int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                bool ok = fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
                if (fd >= 0)
                        close(fd);
                if (ok)
                        return true;
                bench_nap_ms(10);
        }
        return false;
}

/* Starts nats-server for P: its pid, or -1 with P->why said. */
static pid_t nats_start(peer *p) {
        char bin[PATH_MAX + 16], port_s[16], log[PATH_MAX + 32];
        pid_t pid;
        int port = free_port();

        if (!bench_on_path("nats-server", bin)) {
                snprintf(bin, sizeof(bin), "/usr/sbin/nats-server");
                if (access(bin, X_OK) < 0) {
                        snprintf(p->why, sizeof(p->why), "no nats-server (sh mk/deps.sh bench)");
                        return -1;
                }
        }
        snprintf(port_s, sizeof(port_s), "%d", port);
        snprintf(log, sizeof(log), "%s/nats-server.log", bench_tmpdir);
        char *argv[] = { bin, "-a", "127.0.0.1", "-p", port_s, NULL };
        pid = bench_spawn(argv, NULL, log, -1);
        if (pid < 0 || !port_open(port, 10)) {
                snprintf(p->why, sizeof(p->why), "nats-server did not listen (see %s)", log);
                if (pid > 0)
                        bench_stop(pid, 5);
                return -1;
        }
        snprintf(p->addr, sizeof(p->addr), "nats://127.0.0.1:%d", port);
        p->have = true;
        return pid;
}

/* The nats-server this run started, stopped, and the temporary folder
 * removed, at any exit of the run itself (bench_die() too), not of its
 * children. */
static pid_t nats_pid = -1, main_pid;

static void cleanup(void) {
        char cmd[PATH_MAX + 16];

        if (getpid() != main_pid)
                return;
        if (nats_pid > 0)
                bench_stop(nats_pid, 5);
        nats_pid = -1;
        snprintf(cmd, sizeof(cmd), "rm -rf %s", bench_tmpdir);
        (void) !system(cmd);
}

/* ---- the run ---- */

enum { F_REQ50, F_REQ99, F_PUB1, F_PUB10, _F_MAX };

int main(int argc, char **argv) {
        bool quick = false;
        peer zmq = { .name = "ZeroMQ", .have = true, .pub_open = zpub_open, .pub_send = zpub_send,
                     .pub_close = z_close, .sub_open = zsub_open, .sub_recv = zsub_recv, .sub_close = z_close,
                     .rep_serve = zrep_serve, .req_time = zreq_time };
        peer nats = { .name = "NATS", .pub_open = npub_open, .pub_send = npub_send, .pub_close = n_close,
                      .sub_open = nsub_open, .sub_recv = nsub_recv, .sub_close = n_close,
                      .rep_serve = nrep_serve, .req_time = nreq_time };
        peer *peers[2] = { &zmq, &nats };
        double av[_F_MAX][ROUNDS_MAX], pv[2][_F_MAX][ROUNDS_MAX], plv[2][ROUNDS_MAX];
        double a[_F_MAX], pm[2][_F_MAX], plain50, plain99;
        double window;
        size_t n_rtt;
        unsigned rounds;

#if HAVE_AIRSUP_REQUEST
        if (argc >= 2 && strcmp(argv[1], "--role") == 0) {
                if (argc == 3 && strcmp(argv[2], "rep") == 0)
                        role_rep();
                if (argc == 5 && strcmp(argv[2], "req") == 0)
                        role_req((size_t) strtoull(argv[3], NULL, 10), argv[4]);
                if (argc == 4 && strcmp(argv[2], "psub") == 0)
                        role_psub(argv[3]);
                if (argc == 7 && strcmp(argv[2], "ppub") == 0)
                        role_ppub((unsigned) strtoul(argv[3], NULL, 10), strtod(argv[4], NULL), argv[5], argv[6]);
                return 2;
        }
#endif
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--quick") == 0)
                        quick = true;
                else {
                        fprintf(stderr, "usage: patterns [--quick]\n");
                        return 2;
                }
        }
        window = quick ? 0.5 : 2;
        n_rtt = quick ? 20000 : 200000;
        rounds = quick ? 1 : 3;
        bench_pin(-1);                        /* reads the CPUs we may use, pins nothing */
        signal(SIGPIPE, SIG_IGN);
        setvbuf(stdout, NULL, _IOLBF, 0);
        bench_dirs_init("patterns");
        snprintf(zmq_pub_ep, sizeof(zmq_pub_ep), "ipc://%s/zmq-pub", bench_tmpdir);
        snprintf(zmq_rep_ep, sizeof(zmq_rep_ep), "ipc://%s/zmq-rep", bench_tmpdir);
        main_pid = getpid();
        atexit(cleanup);
        nats_pid = nats_start(&nats);

        printf("patterns: request/reply and publish/subscribe, 64-byte messages; %zu round trips "
               "(the peers %zu), published for %.1f s; median of %u interleaved rounds%s\n",
               n_rtt, n_rtt / 2, window, rounds, quick ? " (--quick)" : "");
        if (!nats.have)
                printf("NATS skipped: %s\n", nats.why);
        for (unsigned round = 0; round < rounds; round++) {
                airsup_req_rtt(n_rtt, &av[F_REQ50][round], &av[F_REQ99][round]);
                plain_rtt(n_rtt, &plv[0][round], &plv[1][round]);
                av[F_PUB1][round] = airsup_pub(1, window);
                av[F_PUB10][round] = airsup_pub(SUBS_MAX, window);
                for (int k = 0; k < 2; k++) {
                        reqrep_run(peers[k], n_rtt / 2, &pv[k][F_REQ50][round], &pv[k][F_REQ99][round]);
                        pv[k][F_PUB1][round] = pubsub_run(peers[k], 1, window);
                        pv[k][F_PUB10][round] = pubsub_run(peers[k], SUBS_MAX, window);
                }
                fprintf(stderr, "  round %u: plain rtt %.0f ns; zmq rtt %.0f ns, 10 subs %.0f/s; "
                        "nats rtt %.0f ns, 10 subs %.0f/s\n", round + 1, plv[0][round], pv[0][F_REQ50][round],
                        pv[0][F_PUB10][round], pv[1][F_REQ50][round], pv[1][F_PUB10][round]);
        }
        if (nats_pid > 0)
                bench_stop(nats_pid, 5);
        nats_pid = -1;
        for (int f = 0; f < _F_MAX; f++) {
                a[f] = bench_median(av[f], rounds);
                for (int k = 0; k < 2; k++)
                        pm[k][f] = bench_median(pv[k][f], rounds);
        }
        plain50 = bench_median(plv[0], rounds);
        plain99 = bench_median(plv[1], rounds);

        static const char *const rows[_F_MAX] = { "request/reply p50 (ns)", "request/reply p99 (ns)",
                                                  "publish, 1 sub (msgs/s)", "publish, 10 subs (msgs/s)" };
        printf("\n%-28s %12s %12s %12s %8s %8s\n", "", "airsup", "ZeroMQ", "NATS", "vs zmq", "vs nats");
        for (int f = 0; f < _F_MAX; f++) {
                printf("%-28s", rows[f]);
                bench_cell(a[f], 0);
                bench_cell(pm[0][f], 0);
                bench_cell(pm[1][f], 0);
                bench_ratio(f <= F_REQ99 ? pm[0][f] : a[f], f <= F_REQ99 ? a[f] : pm[0][f]);
                bench_ratio(f <= F_REQ99 ? pm[1][f] : a[f], f <= F_REQ99 ? a[f] : pm[1][f]);
                printf("\n");
        }
        printf("%-28s", "plain round trip p50 (e2e)");
        bench_cell(plain50, 0);
        printf("   p99 %.0f ns\n", plain99);
        printf("(vs: how many times better airsup's figure is: the peer's time / airsup's, airsup's rate / the peer's;\n"
               " publish: 64-byte messages delivered per second summed over the subscriber processes,\n"
               " from the first send to the last arrival (every subscriber stamps the clock at every 16th\n"
               " message); what ZeroMQ's high-water marks or the NATS client's pending limit dropped is\n"
               " not counted;\n"
               " request/reply: the two sides pinned to a vCPU each, nats-server unpinned)\n");
#if !HAVE_AIRSUP_REQUEST
        printf("airsup request/reply: airsup_request()/airsup_reply() are not in this build yet: \"-\"\n");
#endif
        printf("airsup publish/subscribe: the plain airsup_publish(), which writes each message into\n"
               " every subscriber's lane itself (one copy per subscriber, the subject before the\n"
               " payload); a subscriber that is behind is woken once per batch, not per message. With\n"
               " 10 subscribers on 2 vCPUs, 11 processes share them: the bound for any design here is\n"
               " near 40 M delivered a second (about 50 ns of CPU per message); airsup spends 75-100\n"
               " ns (publish about 20, receive 45-60, wakes the rest), and shares the CPUs with\n"
               " whatever else runs\n");

        printf("\ngoals:\n");
        printf("  request/reply p50 <= 1.2x the plain round trip: %s\n",
               bench_met(a[F_REQ50] >= 0 && plain50 > 0, a[F_REQ50] <= 1.2 * plain50));
        printf("  request/reply p50 >= 20x faster than ZeroMQ:    %s\n",
               bench_met(a[F_REQ50] > 0 && pm[0][F_REQ50] > 0, 20 * a[F_REQ50] <= pm[0][F_REQ50]));
        printf("  10 subscribers >= 4x ZeroMQ:                    %s\n",
               bench_met(a[F_PUB10] >= 0 && pm[0][F_PUB10] > 0, a[F_PUB10] >= 4 * pm[0][F_PUB10]));
        printf("  10 subscribers >= 8x NATS:                      %s\n",
               bench_met(a[F_PUB10] >= 0 && pm[1][F_PUB10] > 0, a[F_PUB10] >= 8 * pm[1][F_PUB10]));

        printf("{\"bench\":\"patterns\"");
        bench_json_num("req_rtt_p50_ns", a[F_REQ50], 0);
        bench_json_num("req_rtt_p99_ns", a[F_REQ99], 0);
        bench_json_num("plain_rtt_p50_ns", plain50, 0);
        bench_json_num("zmq_req_rtt_p50_ns", pm[0][F_REQ50], 0);
        bench_json_num("pub1_mps", a[F_PUB1], 0);
        bench_json_num("pub10_delivered_mps", a[F_PUB10], 0);
        bench_json_num("zmq_pub10_delivered_mps", pm[0][F_PUB10], 0);
        bench_json_num("nats_pub10_delivered_mps", pm[1][F_PUB10], 0);
        bench_json_num("nats_req_rtt_p50_ns", pm[1][F_REQ50], 0);
        bench_json_num("zmq_pub1_mps", pm[0][F_PUB1], 0);
        bench_json_num("nats_pub1_mps", pm[1][F_PUB1], 0);
        bench_json_num("plain_rtt_p99_ns", plain99, 0);
        bench_json_num("zmq_req_rtt_p99_ns", pm[0][F_REQ99], 0);
        bench_json_num("nats_req_rtt_p99_ns", pm[1][F_REQ99], 0);
        printf("}\n");
        return plain50 > 0 && pm[0][F_REQ50] > 0 ? 0 : 1;
}
