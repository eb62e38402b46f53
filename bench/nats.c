/* nats - the bridge to NATS (airsup-nats(8)) against libnats alone, side
 * by side in one run, through one nats-server (JetStream on) that this
 * program starts on 127.0.0.1:
 *
 *   - 64-byte messages delivered per second, core NATS: a raw libnats
 *     publisher to a raw subscriber, against a group on "host A"
 *     (airsup_publish) -> A's bridge (export = bench.>) -> nats-server ->
 *     B's bridge (import = bench.>) -> a group on "host B";
 *   - the same in JetStream mode: raw js_Publish() (synchronous) into a
 *     stream and a consumer acknowledging each, against export_jetstream
 *     and import_jetstream;
 *   - the round trip's p50: raw natsConnection_Request() to a raw
 *     responder, against a group on A asking bench.rtt with
 *     airsup_request() (airsup_lookup_subject): A's bridge (export =
 *     bench.rtt) sends it as a NATS request, B's bridge (import =
 *     bench.rtt) publishes it locally, a group on B answers it with
 *     airsup_reply(), and the reply comes back the same way;
 *   - the soak: JetStream mode while A's bridge is SIGKILLed every 200 ms
 *     and a publisher sends numbered messages: distinct numbers received
 *     against sent (lost), duplicates, kills.
 *
 * "Hosts" A and B are two airsupd, each with its own runtime folder
 * (AIRSUP_RUNTIME_DIR) and control socket, running this program's roles
 * (--role) in their groups.
 *
 * Usage: nats [--quick] [--only core|js|rtt|soak].  --only runs that part
 * alone (to profile it); the others print "-".  The last line of output
 * is one JSON object. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "child/airsup.h"

#define MSG 64
#define ROUNDS_MAX 5
#define SEQ_MAX (UINT64_C(1) << 26)     /* numbers a subscriber tells apart (8 MB of bits) */
#define SEC_NS 1000000000ull

/* The first byte of every message: hello (the path is there), data, end. */
enum { M_HELLO = 'h', M_DATA = 'd', M_END = 'e' };

static char self_path[PATH_MAX], bridge_path[PATH_MAX + 32], nats_url[64];

static void msg_fill(uint8_t *buf, char kind, uint64_t seq) {
        memset(buf, 0, MSG);
        buf[0] = (uint8_t) kind;
        memcpy(buf + 8, &seq, sizeof(seq));
}

static uint64_t msg_seq(const uint8_t *buf) {
        uint64_t seq;

        memcpy(&seq, buf + 8, sizeof(seq));
        return seq;
}

static bool file_exists(const char *dir, const char *name) {
        char path[PATH_MAX + 64];

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return access(path, F_OK) == 0;
}

/* DIR/NAME's numbers into V (up to N); how many were read. */
static int file_read(const char *dir, const char *name, double *v, int n) {
        char path[PATH_MAX + 64];
        FILE *f;
        int k = 0;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "re");
        if (!f)
                return 0;
        while (k < n && fscanf(f, "%lf", &v[k]) == 1)
                k++;
        fclose(f);
        return k;
}

static void file_write(const char *dir, const char *name, const char *text) {
        char path[PATH_MAX + 64];

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        bench_write_result(path, text);
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return (x > y) - (x < y);
}

static double p50_of(uint64_t *lat, size_t n) {
        qsort(lat, n, sizeof(uint64_t), cmp_u64);
        return (double) lat[n / 2];
}

/* ---- the roles airsupd runs ---- */

static airsup *attach(void) {
        airsup *a;

        if (airsup_attach(&a) < 0)
                _exit(2);
        return a;
}

_Noreturn static void idle(void) {
        for (;;)
                pause();
}

/* On host B (subscribe = bench.>): counts data messages, tells numbers
 * apart, and writes "delivered last_ns distinct duplicates" to DIR/count
 * at the first end, then again whenever more came after it (redeliveries
 * in JetStream mode). */
_Noreturn static void role_sub(const char *dir) {
        airsup *a = attach();
        uint8_t *seen = calloc(SEQ_MAX / 8, 1), buf[MSG + 256];
        uint64_t delivered = 0, distinct = 0, dups = 0;
        int64_t last = 0;
        bool said = false, ended = false, dirty = false;
        airsup_msg m;
        char text[128];

        if (!seen)
                _exit(3);
        (void) airsup_ready(a);
        for (;;) {
                int r = airsup_recv(a, &m, buf, sizeof(buf), 100 * 1000000ull);

                if (r == -EAGAIN && ended && dirty) {
                        dirty = false;
                        snprintf(text, sizeof(text), "%llu %lld %llu %llu\n", (unsigned long long) delivered,
                                 (long long) last, (unsigned long long) distinct, (unsigned long long) dups);
                        file_write(dir, "count", text);
                }
                if (r < 0)
                        continue;
                (void) airsup_commit(a, &m);
                if (r < 16)
                        continue;
                if (buf[0] == M_DATA) {
                        uint64_t s = msg_seq(buf);
                        delivered++;
                        last = bench_mono_ns();
                        if (s < SEQ_MAX) {
                                if (seen[s / 8] & (1u << (s % 8)))
                                        dups++;
                                else {
                                        seen[s / 8] |= (uint8_t) (1u << (s % 8));
                                        distinct++;
                                }
                        }
                        dirty = ended;
                } else if (buf[0] == M_HELLO && !said) {
                        said = true;
                        file_write(dir, "ready", "1\n");
                } else if (buf[0] == M_END && !ended) {
                        ended = true;
                        dirty = true;
                        snprintf(text, sizeof(text), "%llu %lld %llu %llu\n", (unsigned long long) delivered,
                                 (long long) last, (unsigned long long) distinct, (unsigned long long) dups);
                        file_write(dir, "count", text);
                }
        }
}

/* On host A: hellos to bench.data until B's subscriber heard one, then
 * numbered data for WINDOW seconds (each waiting for room in the bridge's
 * lane), "sent t0_ns" to DIR/sent, then ends until B's count is there. */
_Noreturn static void role_pub(const char *dir, double window) {
        airsup *a = attach();
        airsup_send_opts block = { .full = AIRSUP_BLOCK, .timeout_ns = SEC_NS };
        airsup_send_opts drop = { .full = AIRSUP_DROP };
        uint8_t buf[MSG];
        uint64_t sent = 0;
        int64_t t0, end = bench_mono_ns() + 60 * (int64_t) SEC_NS;
        char text[64];

        msg_fill(buf, M_HELLO, 0);
        while (!file_exists(dir, "ready")) {
                (void) airsup_publish(a, "bench.data", 1, buf, MSG, &drop);
                if (bench_mono_ns() > end)
                        _exit(2);
                bench_nap_ms(10);
        }
        t0 = bench_mono_ns();
        end = t0 + (int64_t) (window * 1e9);
        while (bench_mono_ns() < end)
                for (int k = 0; k < 64; k++) {
                        int r;
                        msg_fill(buf, M_DATA, sent);
                        r = airsup_publish(a, "bench.data", 1, buf, MSG, &block);
                        if (r > 0)
                                sent++;
                        else if (r != -ETIMEDOUT && r != -EAGAIN)
                                _exit(2);
                }
        snprintf(text, sizeof(text), "%llu %lld\n", (unsigned long long) sent, (long long) t0);
        file_write(dir, "sent", text);
        msg_fill(buf, M_END, 0);
        for (end = bench_mono_ns() + 120 * (int64_t) SEC_NS; !file_exists(dir, "count") && bench_mono_ns() < end;) {
                (void) airsup_publish(a, "bench.data", 2, buf, MSG, &drop);
                bench_nap_ms(50);
        }
        idle();
}

/* On host B (subscribe = bench.rtt): each request, coming through B's
 * bridge from NATS, answered with its own 64 bytes. */
_Noreturn static void role_responder(void) {
        airsup *a = attach();
        uint8_t buf[MSG + 256];
        airsup_msg m;

        (void) airsup_ready(a);
        for (;;) {
                int r = airsup_recv(a, &m, buf, sizeof(buf), UINT64_MAX);
                if (r < 0)
                        continue;
                if (m.correlation != 0)
                        (void) airsup_reply(a, &m, /* type= */ 2, buf, (size_t) r);
                (void) airsup_commit(a, &m);
        }
}

/* On host A: N timed requests to bench.rtt (a tenth more first), each
 * the time of one airsup_request() through A's bridge, NATS and B's
 * bridge to B's responder and back; "p50_ns lost" to DIR/rtt, lost
 * being requests not answered within 2 s. */
_Noreturn static void role_requester(const char *dir, size_t n) {
        airsup *a = attach();
        size_t warm = n / 10;
        uint64_t *lat = calloc(n, sizeof(uint64_t)), seq = 0, lost = 0;
        int64_t end = bench_mono_ns() + 60 * (int64_t) SEC_NS;
        uint8_t buf[MSG], reply[MSG + 256];
        airsup_dest *d;
        char text[64];

        if (!lat || airsup_lookup_subject(a, "bench.rtt", &d) < 0)
                _exit(3);
        (void) airsup_ready(a);
        /* Until the way there and back is up: A's bridge subscribed (else
         * -ENOENT at once), B's bridge and responder too (else no answer). */
        for (;;) {
                msg_fill(buf, M_HELLO, ++seq);
                if (airsup_request(a, d, /* type= */ 1, buf, MSG, reply, sizeof(reply), 100 * 1000000ull, NULL) ==
                    MSG)
                        break;
                if (bench_mono_ns() > end)
                        _exit(2);
                bench_nap_ms(10);
        }
        for (size_t i = 0; i < n + warm;) {
                int64_t t0 = bench_mono_ns();
                int r;

                msg_fill(buf, M_DATA, ++seq);
                r = airsup_request(a, d, /* type= */ 1, buf, MSG, reply, sizeof(reply), 2 * SEC_NS, NULL);
                if (r != MSG || msg_seq(reply) != seq) {
                        lost++;
                        continue;
                }
                if (i >= warm)
                        lat[i - warm] = (uint64_t) (bench_mono_ns() - t0);
                i++;
        }
        snprintf(text, sizeof(text), "%.0f %llu\n", p50_of(lat, n), (unsigned long long) lost);
        file_write(dir, "rtt", text);
        idle();
}

/* ---- two airsupd, standing for two hosts ---- */

typedef struct host {
        pid_t pid;
        char dir[PATH_MAX];             /* its runtime folder, configuration and log */
} host;

/* airsupd on CONF in a runtime folder of its own, TMPDIR/NAME. */
static void host_start(host *h, const char *name, const char *conf) {
        char path[PATH_MAX + 32], control[PATH_MAX + 32], log[PATH_MAX + 32], air[PATH_MAX + 32];
        FILE *f;

        if (snprintf(h->dir, sizeof(h->dir), "%s/%s", bench_tmpdir, name) >= (int) sizeof(h->dir))
                bench_die("path too long");
        if (mkdir(h->dir, 0700) < 0 && errno != EEXIST)
                bench_die(h->dir);
        snprintf(path, sizeof(path), "%s/airsup.conf", h->dir);
        f = fopen(path, "we");
        if (!f)
                bench_die(path);
        fputs(conf, f);
        fclose(f);
        snprintf(control, sizeof(control), "%s/control", h->dir);
        snprintf(log, sizeof(log), "%s/airsupd.log", h->dir);
        snprintf(air, sizeof(air), "%s/airsupd", bench_builddir);
        setenv("AIRSUP_RUNTIME_DIR", h->dir, 1);
        char *argv[] = { air, "-c", path, "--control", control, "--log=stderr", NULL };
        h->pid = bench_spawn(argv, NULL, log, -1);
        setenv("AIRSUP_RUNTIME_DIR", bench_tmpdir, 1);
        if (h->pid < 0)
                bench_die(air);
}

static void host_stop(host *h) {
        if (h->pid > 0)
                bench_stop(h->pid, 10);
        h->pid = -1;
}

/* The bridge H's airsupd runs now: its pid, or -1 (restarting). */
static pid_t host_bridge(const host *h) {
        bench_proc *all;
        size_t n = bench_procs(&all);
        pid_t found = -1;

        for (size_t i = 0; i < n && found < 0; i++) {
                char path[64], exe[PATH_MAX];
                ssize_t k;

                if (all[i].ppid != h->pid)
                        continue;
                snprintf(path, sizeof(path), "/proc/%d/exe", (int) all[i].pid);
                k = readlink(path, exe, sizeof(exe) - 1);
                if (k <= 0)
                        continue;
                exe[k] = '\0';
                if (strcmp(exe, bridge_path) == 0)
                        found = all[i].pid;
        }
        free(all);
        return found;
}

/* DIR/NAME with at least N numbers within SECONDS. */
static bool wait_file(const char *dir, const char *name, double *v, int n, double seconds) {
        int64_t end = bench_mono_ns() + (int64_t) (seconds * 1e9);

        while (bench_mono_ns() < end) {
                if (file_read(dir, name, v, n) >= n)
                        return true;
                bench_nap_ms(20);
        }
        return false;
}

/* The bridge's group: MODE's patterns, as airsup.conf(5) says them. */
static int bridge_group(char *buf, size_t size, const char *patterns) {
        return snprintf(buf, size, "[group:bridge]\ncommand = %s\nnats = %s\n%s\nmailbox = 4M\nbackoff = 0\nready = notify\n",
                        bridge_path, nats_url, patterns);
}

static unsigned run_no;

/* A fresh folder for one run's files. */
static void run_dir(char *dir, size_t size, const char *what) {
        if (snprintf(dir, size, "%s/%s-%u", bench_tmpdir, what, run_no++) >= (int) size)
                bench_die("path too long");
        if (mkdir(dir, 0700) < 0)
                bench_die(dir);
}

/* The JetStream stream NAME for SUBJECT (file storage), made anew. */
static jsCtx *js_main;

static void stream_make(const char *name, const char *subject) {
        jsStreamConfig sc;
        jsStreamInfo *si = NULL;
        jsErrCode jerr = 0;

        (void) js_DeleteStream(js_main, name, NULL, &jerr);
        jsStreamConfig_Init(&sc);
        sc.Name = name;
        sc.Subjects = &subject;
        sc.SubjectsLen = 1;
        sc.Storage = js_FileStorage;
        if (js_AddStream(&si, js_main, &sc, NULL, &jerr) != NATS_OK) {
                fprintf(stderr, "nats: stream %s: error %d\n", name, (int) jerr);
                exit(1);
        }
        jsStreamInfo_Destroy(si);
}

static void stream_drop(const char *name) {
        jsErrCode jerr = 0;

        (void) js_DeleteStream(js_main, name, NULL, &jerr);
}

typedef struct flow {
        double mps;                     /* delivered per second, or -1 */
        double sent, distinct, dups;
        unsigned kills;
} flow;

/* A's publisher through both bridges to B's subscriber for WINDOW
 * seconds, core or JetStream (a stream on bench.> made for it); with
 * KILL_MS > 0, A's bridge SIGKILLed every KILL_MS meanwhile (the soak). */
static flow airsup_flow(bool js, double window, long kill_ms) {
        char dir[PATH_MAX], conf_a[6 * PATH_MAX], conf_b[6 * PATH_MAX], g[2 * PATH_MAX];
        host a = { .pid = -1 }, b = { .pid = -1 };
        flow fl = { .mps = -1 };
        double sent[2], count[4];

        run_dir(dir, sizeof(dir), js ? "js" : "core");
        if (js)
                stream_make("BENCH", "bench.>");
        bridge_group(g, sizeof(g), js ? "import_jetstream = bench.>" : "import = bench.>");
        snprintf(conf_b, sizeof(conf_b),
                 "[supervisor:root]\n%s[group:sub]\ncommand = %s --role sub %s\nsubscribe = bench.>\n"
                 "mailbox = 4M\nready = notify\n", g, self_path, dir);
        bridge_group(g, sizeof(g), js ? "export_jetstream = bench.>" : "export = bench.>");
        snprintf(conf_a, sizeof(conf_a),
                 "[supervisor:root]\nintensity = 100000\nperiod = 1m\n%s[group:pub]\ncommand = %s --role pub %s %.3f\n"
                 "restart = temporary\n", g, self_path, dir, window);
        host_start(&b, "b", conf_b);
        host_start(&a, "a", conf_a);
        if (kill_ms > 0) {
                /* The bridge killed again and again from the first hello
                 * until B has every number the publisher sent (what its
                 * window left in the lanes drains under the kills too). */
                int64_t end = bench_mono_ns() + (int64_t) ((window + 120) * 1e9);

                if (!wait_file(dir, "ready", sent, 1, 60))
                        goto out;
                while (bench_mono_ns() < end) {
                        pid_t p;

                        if (file_read(dir, "sent", sent, 2) == 2 && file_read(dir, "count", count, 4) == 4 &&
                            count[2] >= sent[0])
                                break;
                        p = host_bridge(&a);
                        if (p > 0 && kill(p, SIGKILL) == 0)
                                fl.kills++;
                        bench_nap_ms(kill_ms);
                }
        }
        if (!wait_file(dir, "sent", sent, 2, window + 120) || !wait_file(dir, "count", count, 4, 120))
                goto out;
        /* Redeliveries and what A's restarted bridge sent again may come
         * after the first end: up to 30 s more for every number. */
        for (int64_t end = bench_mono_ns() + 30 * (int64_t) SEC_NS;
             kill_ms > 0 && count[2] < sent[0] && bench_mono_ns() < end;) {
                bench_nap_ms(100);
                (void) file_read(dir, "count", count, 4);
        }
        if (kill_ms > 0) {
                /* What is still on its way in: a last look after a pause. */
                bench_nap_ms(500);
                (void) file_read(dir, "count", count, 4);
        }
        fl.sent = sent[0];
        fl.distinct = count[2];
        fl.dups = count[3];
        if (count[1] > sent[1])
                fl.mps = count[0] / ((count[1] - sent[1]) / 1e9);
        fprintf(stderr, "  airsup %s: %.0f sent, %.0f delivered (%.0f distinct, %.0f duplicates) in %.3f s%s\n",
                js ? "JetStream" : "core", sent[0], count[0], count[2], count[3], (count[1] - sent[1]) / 1e9,
                kill_ms > 0 ? ", bridge killed" : "");
out:
        if (fl.mps < 0)
                fprintf(stderr, "  airsup %s: no figure (see %s/*/airsupd.log)\n", js ? "JetStream" : "core",
                        bench_tmpdir);
        host_stop(&a);
        host_stop(&b);
        if (js)
                stream_drop("BENCH");
        return fl;
}

/* Requests across hosts (core): A's requester to bench.rtt, exported by
 * A's bridge as NATS requests, imported by B's bridge, answered by B's
 * responder. */
static double airsup_rtt(size_t n, double *ret_lost) {
        char dir[PATH_MAX], conf_a[6 * PATH_MAX], conf_b[6 * PATH_MAX], g[2 * PATH_MAX];
        host a = { .pid = -1 }, b = { .pid = -1 };
        double v[2] = { -1, 0 };

        run_dir(dir, sizeof(dir), "rtt");
        bridge_group(g, sizeof(g), "import = bench.rtt");
        snprintf(conf_b, sizeof(conf_b),
                 "[supervisor:root]\n%s[group:responder]\ncommand = %s --role responder\nsubscribe = bench.rtt\n"
                 "ready = notify\n", g, self_path);
        bridge_group(g, sizeof(g), "export = bench.rtt");
        snprintf(conf_a, sizeof(conf_a),
                 "[supervisor:root]\n%s[group:requester]\ncommand = %s --role requester %s %zu\nready = notify\n", g,
                 self_path, dir, n);
        host_start(&b, "b", conf_b);
        host_start(&a, "a", conf_a);
        if (!wait_file(dir, "rtt", v, 2, 180))
                v[0] = -1;
        host_stop(&a);
        host_stop(&b);
        *ret_lost = v[1];
        return v[0];
}

/* ---- libnats alone: every side a process of its own ---- */

static pid_t fork_or_die(void) {
        pid_t pid = fork();

        if (pid < 0)
                bench_die("fork");
        return pid;
}


static bool readable(int fd, int ms) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        return poll(&pfd, 1, ms) > 0;
}

/* A connection of its own; ASAP: each publish written at once rather
 * than gathered by the library's flusher thread. */
static natsConnection *raw_connect(bool asap) {
        natsConnection *nc = NULL;
        natsOptions *o = NULL;

        if (natsOptions_Create(&o) != NATS_OK || natsOptions_SetURL(o, nats_url) != NATS_OK ||
            natsOptions_SetSendAsap(o, asap) != NATS_OK || natsConnection_Connect(&nc, o) != NATS_OK)
                _exit(3);
        natsOptions_Destroy(o);
        return nc;
}

typedef struct raw_report {
        uint64_t count;
        int64_t last_ns;
} raw_report;

/* The raw subscriber: core (subscription to raw.core, the library's
 * pending limits: past them it drops) or a JetStream consumer of the
 * stream RAW that acknowledges each message, as the bridge does (explicit
 * acknowledgements, 4,096 pending at most).  "r" to READY at the first
 * hello, its count to REPORT at the end. */
_Noreturn static void raw_sub(bool js, int ready, int report) {
        natsConnection *nc = raw_connect(false);
        natsSubscription *sub = NULL;
        raw_report r = { 0, 0 };
        bool said = false;

        if (js) {
                jsCtx *ctx = NULL;
                jsSubOptions so;
                jsErrCode jerr = 0;

                jsSubOptions_Init(&so);
                so.ManualAck = true;
                so.Config.AckPolicy = js_AckExplicit;
                so.Config.MaxAckPending = 4096;
                if (natsConnection_JetStream(&ctx, nc, NULL) != NATS_OK ||
                    js_SubscribeSync(&sub, ctx, "raw.js", NULL, &so, &jerr) != NATS_OK)
                        _exit(3);
        } else if (natsConnection_SubscribeSync(&sub, nc, "raw.core") != NATS_OK)
                _exit(3);
        for (;;) {
                natsMsg *m;
                const uint8_t *d;

                if (natsSubscription_NextMsg(&m, sub, 10000) != NATS_OK)
                        break;
                d = (const uint8_t *) natsMsg_GetData(m);
                if (js)
                        (void) natsMsg_Ack(m, NULL);
                if (natsMsg_GetDataLength(m) >= 1 && d[0] == M_DATA) {
                        r.count++;
                        r.last_ns = bench_mono_ns();
                } else if (natsMsg_GetDataLength(m) >= 1 && d[0] == M_HELLO && !said) {
                        said = true;
                        bench_write_all(ready, "r", 1);
                } else if (natsMsg_GetDataLength(m) >= 1 && d[0] == M_END) {
                        natsMsg_Destroy(m);
                        break;
                }
                natsMsg_Destroy(m);
        }
        bench_write_all(report, &r, sizeof(r));
        (void) natsConnection_FlushTimeout(nc, 5000);
        _exit(0);
}

/* The raw publisher: hellos until the subscriber heard one, data for
 * WINDOW seconds (core: natsConnection_Publish; JetStream: js_Publish,
 * each waiting for the stream's acknowledgement), then ends until the
 * report came; delivered per second to OUT. */
_Noreturn static void raw_pub(bool js, double window, int ready, int report, int out) {
        natsConnection *nc = raw_connect(false);
        jsCtx *ctx = NULL;
        const char *subject = js ? "raw.js" : "raw.core";
        uint8_t buf[MSG];
        int64_t end = bench_mono_ns() + 30 * (int64_t) SEC_NS, t0;
        raw_report r;
        double mps = -1;

        if (js && natsConnection_JetStream(&ctx, nc, NULL) != NATS_OK)
                _exit(3);
#define RAW_SEND(kind, seq)                                                                          \
        do {                                                                                         \
                msg_fill(buf, kind, seq);                                                            \
                if (js) {                                                                            \
                        jsPubAck *ack = NULL;                                                        \
                        (void) js_Publish(&ack, ctx, subject, buf, MSG, NULL, NULL);                 \
                        jsPubAck_Destroy(ack);                                                       \
                } else                                                                               \
                        (void) natsConnection_Publish(nc, subject, buf, MSG);                        \
        } while (0)
        while (!readable(ready, 10)) {
                RAW_SEND(M_HELLO, 0);
                (void) natsConnection_FlushTimeout(nc, 1000);
                if (bench_mono_ns() > end)
                        goto out;
        }
        t0 = bench_mono_ns();
        end = t0 + (int64_t) (window * 1e9);
        for (uint64_t i = 0;; i++) {
                RAW_SEND(M_DATA, i);
                if (i % 64 == 0 && bench_mono_ns() >= end)
                        break;
        }
        for (end = bench_mono_ns() + 60 * (int64_t) SEC_NS; !readable(report, 50);) {
                RAW_SEND(M_END, 0);
                (void) natsConnection_FlushTimeout(nc, 1000);
                if (bench_mono_ns() > end)
                        goto out;
        }
#undef RAW_SEND
        if (bench_read_within(report, &r, sizeof(r), 10) && r.last_ns > t0) {
                mps = (double) r.count / ((double) (r.last_ns - t0) / 1e9);
                fprintf(stderr, "  raw %s: %llu delivered in %.3f s\n", js ? "JetStream" : "core",
                        (unsigned long long) r.count, (double) (r.last_ns - t0) / 1e9);
        }
out:
        bench_write_all(out, &mps, sizeof(mps));
        _exit(0);
}

static double raw_flow(bool js, double window) {
        int ready[2], report[2], out[2], st;
        pid_t sub, pub;
        double mps = -1;

        if (js)
                stream_make("RAW", "raw.>");
        if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
                bench_die("pipe");
        if ((sub = fork_or_die()) == 0)
                raw_sub(js, ready[1], report[1]);
        if ((pub = fork_or_die()) == 0)
                raw_pub(js, window, ready[0], report[0], out[1]);
        if (!bench_read_within(out[0], &mps, sizeof(mps), window + 120))
                mps = -1;
        kill(sub, SIGKILL);
        kill(pub, SIGKILL);
        waitpid(sub, &st, 0);
        waitpid(pub, &st, 0);
        for (int i = 0; i < 2; i++) {
                close(ready[i]);
                close(report[i]);
                close(out[i]);
        }
        if (js)
                stream_drop("RAW");
        return mps;
}

/* Raw request/reply: natsConnection_Request() to a responder that
 * publishes each request back to its reply subject; both write each
 * publish at once (SendAsap).  N timed (a tenth more first): p50 in ns. */
_Noreturn static void raw_responder(void) {
        natsConnection *nc = raw_connect(true);
        natsSubscription *sub = NULL;

        if (natsConnection_SubscribeSync(&sub, nc, "raw.echo") != NATS_OK)
                _exit(3);
        for (;;) {
                natsMsg *m;
                if (natsSubscription_NextMsg(&m, sub, 100000) != NATS_OK)
                        continue;
                if (natsMsg_GetReply(m))
                        (void) natsConnection_Publish(nc, natsMsg_GetReply(m), natsMsg_GetData(m),
                                                      natsMsg_GetDataLength(m));
                natsMsg_Destroy(m);
        }
}

static double raw_rtt(size_t n) {
        pid_t server, client;
        double p50 = -1;
        int out[2], st;

        if (pipe2(out, O_CLOEXEC) < 0)
                bench_die("pipe");
        if ((server = fork_or_die()) == 0)
                raw_responder();
        if ((client = fork_or_die()) == 0) {
                natsConnection *nc = raw_connect(true);
                size_t warm = n / 10;
                uint64_t *lat = calloc(n, sizeof(uint64_t));
                int64_t end = bench_mono_ns() + 10 * (int64_t) SEC_NS;
                uint8_t buf[MSG];
                natsMsg *r;
                double v;

                msg_fill(buf, M_DATA, 0);
                if (!lat)
                        _exit(3);
                /* Until the responder's subscription is in place. */
                while (natsConnection_Request(&r, nc, "raw.echo", buf, MSG, 100) != NATS_OK)
                        if (bench_mono_ns() > end)
                                _exit(3);
                natsMsg_Destroy(r);
                for (size_t i = 0; i < n + warm; i++) {
                        int64_t t0 = bench_mono_ns();
                        if (natsConnection_Request(&r, nc, "raw.echo", buf, MSG, 10000) != NATS_OK)
                                _exit(3);
                        natsMsg_Destroy(r);
                        if (i >= warm)
                                lat[i - warm] = (uint64_t) (bench_mono_ns() - t0);
                }
                v = p50_of(lat, n);
                bench_write_all(out[1], &v, sizeof(v));
                _exit(0);
        }
        if (!bench_read_within(out[0], &p50, sizeof(p50), 120))
                p50 = -1;
        kill(client, SIGKILL);
        kill(server, SIGKILL);
        waitpid(client, &st, 0);
        waitpid(server, &st, 0);
        close(out[0]);
        close(out[1]);
        return p50;
}

/* ---- nats-server ---- */

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

/* nats-server with JetStream (its store in the temporary folder): its
 * pid; NATS_URL set.  Exits 77 without one. */
static pid_t nats_start(void) {
        char bin[PATH_MAX + 16], port_s[16], log[PATH_MAX + 32], store[PATH_MAX + 32];
        int64_t end;
        pid_t pid;
        int port = free_port();

        if (!bench_on_path("nats-server", bin)) {
                snprintf(bin, sizeof(bin), "/usr/sbin/nats-server");
                if (access(bin, X_OK) < 0) {
                        fprintf(stderr, "nats: no nats-server (sh mk/deps.sh bench)\n");
                        exit(77);
                }
        }
        snprintf(port_s, sizeof(port_s), "%d", port);
        snprintf(log, sizeof(log), "%s/nats-server.log", bench_tmpdir);
        snprintf(store, sizeof(store), "%s/js", bench_tmpdir);
        snprintf(nats_url, sizeof(nats_url), "nats://127.0.0.1:%d", port);
        char *argv[] = { bin, "-a", "127.0.0.1", "-p", port_s, "-js", "-sd", store, NULL };
        pid = bench_spawn(argv, NULL, log, -1);
        if (pid < 0)
                bench_die(bin);
        /* JetStream answers once the server is up. */
        for (end = bench_mono_ns() + 20 * (int64_t) SEC_NS;;) {
                natsConnection *nc = NULL;
                jsAccountInfo *ai = NULL;
                jsErrCode jerr = 0;

                if (natsConnection_ConnectTo(&nc, nats_url) == NATS_OK &&
                    natsConnection_JetStream(&js_main, nc, NULL) == NATS_OK &&
                    js_GetAccountInfo(&ai, js_main, NULL, &jerr) == NATS_OK) {
                        jsAccountInfo_Destroy(ai);
                        return pid;     /* NC stays, for js_main */
                }
                jsCtx_Destroy(js_main);
                js_main = NULL;
                natsConnection_Destroy(nc);
                if (bench_mono_ns() > end) {
                        fprintf(stderr, "nats: nats-server did not start (see %s)\n", log);
                        bench_stop(pid, 5);
                        exit(1);
                }
                bench_nap_ms(50);
        }
}

static pid_t nats_pid = -1, main_pid;

/* At any exit of the run itself (not of its children): the server
 * stopped, the temporary folder removed. */
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

enum { F_RAW_CORE, F_CORE, F_RAW_JS, F_JS, F_RAW_RTT, F_RTT, _F_MAX };

static void row(const char *name, double ours, double raw, int prec) {
        printf("%-34s", name);
        bench_cell(ours, prec);
        bench_cell(raw, prec);
        bench_ratio(ours, raw);
        printf("\n");
}

int main(int argc, char **argv) {
        double v[_F_MAX][ROUNDS_MAX], f[_F_MAX], window, soak_s, lost = -1, dups = -1, rtt_lost[ROUNDS_MAX];
        bool quick = false;
        const char *only = NULL;
        unsigned rounds;
        size_t n_rtt;
        flow soak;
        ssize_t l;

        if (argc >= 2 && strcmp(argv[1], "--role") == 0) {
                if (argc == 4 && strcmp(argv[2], "sub") == 0)
                        role_sub(argv[3]);
                if (argc == 5 && strcmp(argv[2], "pub") == 0)
                        role_pub(argv[3], strtod(argv[4], NULL));
                if (argc == 3 && strcmp(argv[2], "responder") == 0)
                        role_responder();
                if (argc == 5 && strcmp(argv[2], "requester") == 0)
                        role_requester(argv[3], (size_t) strtoull(argv[4], NULL, 10));
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--quick") == 0)
                        quick = true;
                else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc &&
                         (strcmp(argv[i + 1], "core") == 0 || strcmp(argv[i + 1], "js") == 0 ||
                          strcmp(argv[i + 1], "rtt") == 0 || strcmp(argv[i + 1], "soak") == 0))
                        only = argv[++i];
                else {
                        fprintf(stderr, "usage: nats [--quick] [--only core|js|rtt|soak]\n");
                        return 2;
                }
        }
        window = quick ? 1 : 3;
        soak_s = quick ? 5 : 20;
        n_rtt = quick ? 2000 : 10000;
        rounds = quick ? 1 : 3;
        signal(SIGPIPE, SIG_IGN);
        setvbuf(stdout, NULL, _IOLBF, 0);
        bench_dirs_init("nats");
        l = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
        if (l <= 0)
                bench_die("readlink");
        self_path[l] = '\0';
        snprintf(bridge_path, sizeof(bridge_path), "%s/airsup-nats", bench_builddir);
        if (access(bridge_path, X_OK) < 0)
                bench_die(bridge_path);
        main_pid = getpid();
        atexit(cleanup);
        nats_pid = nats_start();

        printf("nats: the bridge (airsup-nats) against libnats alone, one nats-server on 127.0.0.1; "
               "64-byte messages published for %.1f s; %zu round trips; soak %.0f s; median of %u round%s%s\n",
               window, n_rtt, soak_s, rounds, rounds == 1 ? "" : "s", quick ? " (--quick)" : "");
        for (unsigned r = 0; r < rounds; r++) {
                flow fl;

                for (int k = 0; k < _F_MAX; k++)
                        v[k][r] = -1;
                rtt_lost[r] = -1;
                if (!only || strcmp(only, "core") == 0) {
                        v[F_RAW_CORE][r] = raw_flow(false, window);
                        fl = airsup_flow(false, window, 0);
                        v[F_CORE][r] = fl.mps;
                }
                if (!only || strcmp(only, "js") == 0) {
                        v[F_RAW_JS][r] = raw_flow(true, window);
                        fl = airsup_flow(true, window, 0);
                        v[F_JS][r] = fl.mps;
                }
                if (!only || strcmp(only, "rtt") == 0) {
                        v[F_RAW_RTT][r] = raw_rtt(n_rtt);
                        v[F_RTT][r] = airsup_rtt(n_rtt, &rtt_lost[r]);
                }
                fprintf(stderr, "  round %u: core %.0f/s (raw %.0f/s), JetStream %.0f/s (raw %.0f/s), "
                        "round trip p50 %.0f ns (raw %.0f ns; %.0f requests lost)\n", r + 1, v[F_CORE][r],
                        v[F_RAW_CORE][r], v[F_JS][r], v[F_RAW_JS][r], v[F_RTT][r], v[F_RAW_RTT][r], rtt_lost[r]);
        }
        soak = (flow) { .mps = -1 };
        if (!only || strcmp(only, "soak") == 0)
                soak = airsup_flow(true, soak_s, 200);
        if (soak.mps >= 0) {
                lost = soak.sent - soak.distinct;
                dups = soak.dups;
        }
        if (nats_pid > 0)
                bench_stop(nats_pid, 5);
        nats_pid = -1;
        for (int k = 0; k < _F_MAX; k++)
                f[k] = bench_median(v[k], rounds);

        printf("\n%-34s %12s %12s %8s\n", "", "airsup", "raw NATS", "vs raw");
        row("core, delivered (msgs/s)", f[F_CORE], f[F_RAW_CORE], 0);
        row("JetStream, delivered (msgs/s)", f[F_JS], f[F_RAW_JS], 0);
        row("round trip p50 (us)", f[F_RTT] < 0 ? -1 : f[F_RTT] / 1e3, f[F_RAW_RTT] < 0 ? -1 : f[F_RAW_RTT] / 1e3, 1);
        printf("soak (JetStream, A's bridge SIGKILLed every 200 ms for %.0f s): %.0f sent, %.0f distinct received, "
               "%.0f lost, %.0f duplicates, %u kills\n", soak_s, soak.sent, soak.distinct, lost, dups, soak.kills);
        printf("(core/JetStream: 64-byte messages delivered per second, from the first send to the last\n"
               " arrival; airsup: a group on A airsup_publish()es to bench.data -> A's bridge (export) ->\n"
               " nats-server -> B's bridge (import) -> a group on B; raw: a libnats publisher to a libnats\n"
               " subscriber (JetStream: js_Publish() waiting for each acknowledgement, a consumer\n"
               " acknowledging each); what core NATS dropped is not counted;\n"
               " round trip: 64-byte request, 64-byte reply; raw = natsConnection_Request() to a libnats\n"
               " responder; airsup = A's group airsup_request()s bench.rtt (airsup_lookup_subject) ->\n"
               " A's bridge (export) sends a NATS request -> nats-server -> B's bridge (import) publishes\n"
               " it -> B's group airsup_reply()s -> B's bridge -> NATS reply -> A's bridge -> A's group;\n"
               " vs raw: airsup's figure / raw's (rates: >= 1 is better; times: <= 1 is better))\n");

        printf("\ngoals:\n");
        printf("  core >= 0.8x raw libnats:                %s\n",
               bench_met(f[F_CORE] >= 0 && f[F_RAW_CORE] > 0, f[F_CORE] >= 0.8 * f[F_RAW_CORE]));
        printf("  JetStream >= 0.8x raw JetStream:         %s\n",
               bench_met(f[F_JS] >= 0 && f[F_RAW_JS] > 0, f[F_JS] >= 0.8 * f[F_RAW_JS]));
        printf("  round trip p50 <= 1.5x raw request/reply: %s\n",
               bench_met(f[F_RTT] > 0 && f[F_RAW_RTT] > 0, f[F_RTT] <= 1.5 * f[F_RAW_RTT]));
        printf("  soak lost == 0:                          %s\n", bench_met(lost >= 0, lost == 0));

        printf("{\"bench\":\"nats\"");
        bench_json_num("core_mps", f[F_CORE], 0);
        bench_json_num("raw_core_mps", f[F_RAW_CORE], 0);
        bench_json_num("js_mps", f[F_JS], 0);
        bench_json_num("raw_js_mps", f[F_RAW_JS], 0);
        bench_json_num("rtt_p50_us", f[F_RTT] < 0 ? -1 : f[F_RTT] / 1e3, 1);
        bench_json_num("raw_rtt_p50_us", f[F_RAW_RTT] < 0 ? -1 : f[F_RAW_RTT] / 1e3, 1);
        bench_json_num("soak_kills", soak.mps >= 0 ? (double) soak.kills : -1, 0);
        bench_json_num("lost", lost, 0);
        bench_json_num("duplicates", dups, 0);
        printf("}\n");
        if (only && strcmp(only, "core") != 0)
                return 0;
        return f[F_RAW_CORE] > 0 && f[F_CORE] > 0 ? 0 : 1;
}
