/* actors - the actors inside a group (airsup(3), ACTORS) against the same
 * work on Erlang/OTP's BEAM (erl +S 1) and CAF (one scheduler thread), in
 * one run: spawn of idle actors (µs and bytes each), one-way 64-byte
 * messages between two actors, ping-pong round trips (p50), skynet (a
 * tree of a million actors each spawning ten), an actor's error to the
 * restarted actor handling its next message (p50), and messages from
 * another group to an actor against bench/e2e's group-to-group figure.
 *
 * Usage: actors [--quick]; airsupd runs actors itself in its groups
 * (--role).  The peers are BUILD/bench/beam.beam (erlc) and
 * BUILD/bench/actors-caf (g++), which `make bench` builds; a missing one
 * is skipped and said so.  The last line of output is one JSON object. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "child/airsup.h"

#define MSG 64
#define BATCH 256                       /* one-way: messages per turn of the sender, as the CAF peer */
#define ROUNDS_MAX 5
#define XCHUNK 4096                     /* from another group: messages per chunk (bench_meter), as bench/e2e's */

enum { T_GO = 1, T_DATA, T_SUM, T_FAIL, T_NEXT };

/* The measures, in the order of the table. */
enum { M_SPAWN, M_BYTES, M_ONEWAY, M_RTT, M_SKYNET, M_RESTART, M_XPROC, M_E2E, _M_MAX };
/* What the peers measure: the first five. */
#define PEER_M 5

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return (x > y) - (x < y);
}

static void check(int r, const char *what) {
        if (r < 0) {
                fprintf(stderr, "actors: %s: %s\n", what, strerror(-r));
                exit(1);
        }
}

/* A system without airsupd that returns instead of exiting if its root
 * gives up, so that a failure is reported, not a silent exit. */
static airsup_sys *sys_new(airsup *a) {
        airsup_sys_opts o = { .no_exit = 1 };
        airsup_sys *s;

        check(airsup_sys_new(a, &o, &s), "airsup_sys_new");
        return s;
}

static void sys_run(airsup_sys *s) {
        check(airsup_sys_run(s), "airsup_sys_run");
}

/* ---- spawn: N idle actors under the root, then the memory they added ---- */

/* Bytes the allocator has handed out (in use, mapped blocks included):
 * unlike the RSS, not fooled by pages an earlier round freed and this
 * one reuses. */
static double heap_bytes(void) {
        struct mallinfo2 mi = mallinfo2();

        return (double) mi.uordblks + (double) mi.hblkhd;
}

static int idle_handle(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        (void) s, (void) self, (void) state, (void) m, (void) data;
        return 0;
}

static const airsup_behaviour idle_b = { .handle = idle_handle };

static void measure_spawn(size_t n, double *us, double *bytes) {
        airsup_ref *refs = calloc(n, sizeof(airsup_ref));
        airsup_sys *s;
        double heap0;
        int64_t t0;

        if (!refs)
                bench_die("calloc");
        memset(refs, 0xff, n * sizeof(airsup_ref));     /* its pages are not the actors' */
        s = sys_new(NULL);
        heap0 = heap_bytes();
        t0 = bench_mono_ns();
        for (size_t i = 0; i < n; i++)
                check(airsup_spawn(s, airsup_root(s), &idle_b, NULL, &refs[i]), "airsup_spawn");
        *us = (double) (bench_mono_ns() - t0) / 1e3 / (double) n;
        *bytes = (heap_bytes() - heap0) / (double) n;
        airsup_sys_free(s);
        free(refs);
}

/* ---- one way: a sender telling BATCH at a time, a receiver counting ---- */

static struct {
        uint64_t n, sent, got;
        airsup_ref rx;
        bool reserve;                   /* airsup_tell_reserve/commit instead of airsup_tell */
        int64_t t0, t1;
} one;

static int sender_handle(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        uint8_t buf[MSG] = { 0 };

        (void) state, (void) m, (void) data;
        for (unsigned i = 0; i < BATCH && one.sent < one.n; i++, one.sent++) {
                if (one.reserve) {
                        void *p;
                        check(airsup_tell_reserve(s, one.rx, T_DATA, MSG, &p), "airsup_tell_reserve");
                        memcpy(p, &one.sent, sizeof(one.sent));
                        check(airsup_tell_commit(s), "airsup_tell_commit");
                } else {
                        memcpy(buf, &one.sent, sizeof(one.sent));
                        check(airsup_tell(s, one.rx, T_DATA, buf, MSG), "airsup_tell");
                }
        }
        if (one.sent < one.n)
                check(airsup_tell(s, self, T_GO, NULL, 0), "airsup_tell");
        return 0;
}

static int counter_handle(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        (void) self, (void) state, (void) m, (void) data;
        if (++one.got == one.n) {
                one.t1 = bench_mono_ns();
                airsup_sys_quit(s);
        }
        return 0;
}

static const airsup_behaviour sender_b = { .handle = sender_handle }, counter_b = { .handle = counter_handle };

static double measure_oneway(uint64_t n, bool reserve) {
        airsup_sys *s = sys_new(NULL);
        airsup_ref tx;

        one = (typeof(one)) { .n = n, .reserve = reserve };
        check(airsup_spawn(s, airsup_root(s), &counter_b, NULL, &one.rx), "airsup_spawn");
        check(airsup_spawn(s, airsup_root(s), &sender_b, NULL, &tx), "airsup_spawn");
        one.t0 = bench_mono_ns();
        check(airsup_tell(s, tx, T_GO, NULL, 0), "airsup_tell");
        sys_run(s);
        airsup_sys_free(s);
        return (double) n / ((double) (one.t1 - one.t0) / 1e9);
}

/* ---- round trip: ping measures each exchange with echo ---- */

static struct {
        size_t n, warm, done;
        airsup_ref echo;
        uint64_t *lat;
        int64_t t0;
} rt;

static int echo_handle(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        (void) self, (void) state;
        check(airsup_tell(s, m->from, T_DATA, data, m->len), "airsup_tell");
        return 0;
}

static int ping_handle(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        uint8_t buf[MSG] = { 0 };

        (void) self, (void) state, (void) data;
        if (m->type == T_DATA) {
                int64_t d = bench_mono_ns() - rt.t0;
                if (rt.done >= rt.warm)
                        rt.lat[rt.done - rt.warm] = (uint64_t) d;
                if (++rt.done == rt.n + rt.warm) {
                        airsup_sys_quit(s);
                        return 0;
                }
        }
        rt.t0 = bench_mono_ns();
        check(airsup_tell(s, rt.echo, T_DATA, buf, MSG), "airsup_tell");
        return 0;
}

static const airsup_behaviour echo_b = { .handle = echo_handle }, ping_b = { .handle = ping_handle };

static double measure_rtt(size_t n) {
        airsup_sys *s = sys_new(NULL);
        airsup_ref p;
        double p50;

        rt = (typeof(rt)) { .n = n, .warm = n / 10, .lat = calloc(n, sizeof(uint64_t)) };
        if (!rt.lat)
                bench_die("calloc");
        check(airsup_spawn(s, airsup_root(s), &echo_b, NULL, &rt.echo), "airsup_spawn");
        check(airsup_spawn(s, airsup_root(s), &ping_b, NULL, &p), "airsup_spawn");
        check(airsup_tell(s, p, T_GO, NULL, 0), "airsup_tell");
        sys_run(s);
        airsup_sys_free(s);
        qsort(rt.lat, n, sizeof(uint64_t), cmp_u64);
        p50 = (double) rt.lat[n / 2];
        free(rt.lat);
        return p50;
}

/* ---- skynet: leaves tell their number, inner actors spawn ten and sum ---- */

typedef struct sky {
        airsup_ref parent;              /* 0: the top, whose sum ends the run */
        int64_t num, size, sum;
        int left;
} sky;

static airsup_ref sky_sup;
static int64_t sky_total;

static int sky_start(airsup_sys *s, airsup_ref self, void *arg, void **state) {
        sky *k = malloc(sizeof(*k));

        (void) s, (void) self;
        if (!k)
                return -ENOMEM;
        *k = *(const sky *) arg;
        *state = k;
        return 0;
}

static void sky_stop(airsup_sys *s, airsup_ref self, void *state, int reason) {
        (void) s, (void) self, (void) reason;
        free(state);
}

static void sky_up(airsup_sys *s, airsup_ref self, const sky *k, int64_t v) {
        if (k->parent)
                check(airsup_tell(s, k->parent, T_SUM, &v, sizeof(v)), "airsup_tell");
        else {
                sky_total = v;
                airsup_sys_quit(s);
        }
        check(airsup_exit(s, self, 0), "airsup_exit");
}

static int sky_handle(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data);
static const airsup_behaviour sky_b = { .handle = sky_handle, .start = sky_start, .stop = sky_stop };

static int sky_handle(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        sky *k = state;
        int64_t v;

        if (m->type == T_SUM) {
                memcpy(&v, data, sizeof(v));
                k->sum += v;
                if (--k->left == 0)
                        sky_up(s, self, k, k->sum);
                return 0;
        }
        if (k->size == 1) {
                sky_up(s, self, k, k->num);
                return 0;
        }
        k->left = 10;
        for (int i = 0; i < 10; i++) {
                sky c = { .parent = self, .num = k->num + i * (k->size / 10), .size = k->size / 10 };
                airsup_spawn_opts o = { .restart = AIRSUP_TEMPORARY, .arg = &c };
                airsup_ref r;
                check(airsup_spawn(s, sky_sup, &sky_b, &o, &r), "airsup_spawn");
                check(airsup_tell(s, r, T_GO, NULL, 0), "airsup_tell");
        }
        return 0;
}

static double measure_skynet(int64_t size) {
        airsup_sys *s = sys_new(NULL);
        sky top = { .size = size };
        airsup_spawn_opts o = { .restart = AIRSUP_TEMPORARY, .arg = &top };
        airsup_ref r;
        int64_t t0 = bench_mono_ns();
        double ms;

        sky_sup = airsup_root(s);
        sky_total = -1;
        check(airsup_spawn(s, sky_sup, &sky_b, &o, &r), "airsup_spawn");
        check(airsup_tell(s, r, T_GO, NULL, 0), "airsup_tell");
        sys_run(s);
        ms = (double) (bench_mono_ns() - t0) / 1e6;
        airsup_sys_free(s);
        if (sky_total != size * (size - 1) / 2) {
                fprintf(stderr, "actors: skynet summed %lld\n", (long long) sky_total);
                exit(1);
        }
        return ms;
}

/* ---- restart: the handler fails (the default error hook restarts it),
 * then the time until the fresh actor handles the next message ---- */

static struct {
        int64_t failed;
        uint64_t took;
        bool done;
} rs;

static int flaky_handle(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        (void) s, (void) self, (void) state, (void) data;
        if (m->type == T_FAIL) {
                rs.failed = bench_mono_ns();
                return -EIO;
        }
        rs.took = (uint64_t) (bench_mono_ns() - rs.failed);
        rs.done = true;
        return 0;
}

static const airsup_behaviour flaky_b = { .handle = flaky_handle };

static double measure_restart(size_t n) {
        airsup_sys *s = sys_new(NULL);
        airsup_sup_opts so;
        airsup_spawn_opts o = { .name = "flaky" };
        airsup_ref sup, r;
        airsup_actor_info info;
        size_t warm = n / 10;
        uint64_t *lat = calloc(n, sizeof(uint64_t));
        double p50;

        if (!lat)
                bench_die("calloc");
        airsup_sup_opts_init(&so);
        so.intensity = (unsigned) (n + warm + 1);       /* every restart here is on purpose */
        check(airsup_supervise(s, airsup_root(s), &so, &sup), "airsup_supervise");
        check(airsup_spawn(s, sup, &flaky_b, &o, &r), "airsup_spawn");
        for (size_t i = 0; i < n + warm; i++) {
                bool again = false;
                rs.done = false;
                check(airsup_tell(s, r, T_FAIL, NULL, 0), "airsup_tell");
                check(airsup_tell(s, r, T_NEXT, NULL, 0), "airsup_tell");
                while (!rs.done) {
                        int k = airsup_sys_process(s);
                        check(k, "airsup_sys_process");
                        if (k > 0 || rs.done)
                                continue;
                        /* Idle without the next message handled: the restart
                         * dropped the mailbox (as OTP's would); the fresh actor
                         * is told again, by its name. */
                        if (again) {
                                fprintf(stderr, "actors: the restarted actor never handled its next message\n");
                                exit(1);
                        }
                        again = true;
                        check(airsup_whereis(s, "flaky", &r), "airsup_whereis");
                        check(airsup_tell(s, r, T_NEXT, NULL, 0), "airsup_tell");
                }
                check(airsup_whereis(s, "flaky", &r), "airsup_whereis");
                if (i >= warm)
                        lat[i - warm] = rs.took;
        }
        /* Each failure was a restart, not a resume. */
        check(airsup_actor_info_get(s, r, &info), "airsup_actor_info_get");
        if (info.restarts != n + warm) {
                fprintf(stderr, "actors: %u restarts counted, %zu expected\n", info.restarts, n + warm);
                exit(1);
        }
        airsup_sys_free(s);
        qsort(lat, n, sizeof(uint64_t), cmp_u64);
        p50 = (double) lat[n / 2] / 1e3;
        free(lat);
        return p50;
}

/* ---- from another group: the roles airsupd runs ---- */

static airsup *attach(void) {
        airsup *a;

        if (airsup_attach(&a) < 0)
                _exit(2);
        return a;
}

static struct {
        uint64_t n, got;
        int64_t t0;
        const char *result;
        bench_meter mt;
} xs;

/* As bench/e2e's sink: the whole run's msgs/s, then the median of the
 * chunks in which neither side was preempted (bench_meter; -1 with too
 * few), and how many counted. */
static int xsink_handle(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        char text[96];

        (void) s, (void) self, (void) state;
        if (xs.got == 0)
                xs.t0 = bench_mono_ns();
        if (m->len >= 16)
                bench_meter_on(&xs.mt, xs.got, data);
        if (++xs.got == xs.n) {
                double whole = (double) (xs.n - 1) / ((double) (bench_mono_ns() - xs.t0) / 1e9), clean;
                size_t counted;

                clean = bench_meter_done(&xs.mt, &counted);
                snprintf(text, sizeof(text), "%.0f %.0f %zu\n", whole, clean, counted);
                bench_write_result(xs.result, text);
        }
        return 0;
}

static const airsup_behaviour xsink_b = { .handle = xsink_handle };

/* The actor "count" in group sink, counting as bench/e2e's sink does. */
_Noreturn static void role_sink(uint64_t n, const char *result) {
        airsup *a = attach();
        airsup_spawn_opts o = { .name = "count" };
        airsup_sys *s;

        bench_pin(0);
        xs.n = n;
        xs.result = result;
        bench_meter_init(&xs.mt, n, XCHUNK);
        s = sys_new(a);
        if (airsup_spawn(s, airsup_root(s), &xsink_b, &o, NULL) < 0)
                _exit(2);
        (void) airsup_ready(a);
        (void) airsup_sys_run(s);
        for (;;)
                pause();
}

/* As bench/e2e's source, to "sink/count". */
_Noreturn static void role_source(uint64_t n) {
        airsup *a = attach();
        airsup_dest *d;
        uint8_t buf[MSG] = { 0 };
        int64_t end = bench_mono_ns() + 10 * (int64_t) 1000000000;
        bench_stamp st = { .chunk = XCHUNK };
        int r;

        bench_pin(1);
        while ((r = airsup_lookup(a, "sink/count", 10000000000ull, &d)) == -ENOENT && bench_mono_ns() < end)
                bench_nap_ms(10);       /* until the sink published its actor */
        if (r < 0)
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

/* N messages from group source to sink's actor, or with E2E to group
 * sink itself through bench/e2e's own roles: the whole run's msgs/s, or
 * -1; *RET_CLEAN the median of its chunks in which neither side was
 * preempted (bench_meter), or -1. */
static double measure_xproc(uint64_t n, bool e2e, double *ret_clean) {
        char conf[3 * PATH_MAX + 256], result[PATH_MAX + 32], bin[PATH_MAX + 16];
        double a = -1, b = -1;
        ssize_t l;

        if (e2e) {
                snprintf(bin, sizeof(bin), "%s/e2e", bench_bindir);
                if (access(bin, X_OK) < 0)
                        return -1;
        } else {
                l = readlink("/proc/self/exe", bin, sizeof(bin) - 1);
                if (l <= 0)
                        bench_die("readlink");
                bin[l] = '\0';
        }
        snprintf(result, sizeof(result), "%s/tput", bench_tmpdir);
        snprintf(conf, sizeof(conf),
                 "[group:sink]\ncommand = %s --role sink %llu %s\nready = notify\n"
                 "[group:source]\ncommand = %s --role source %llu\n",
                 bin, (unsigned long long) n, result, bin, (unsigned long long) n);
        bench_unpin();
        *ret_clean = -1;
        if (!bench_under_airsupd(conf, result, &a, &b))
                return -1;
        *ret_clean = b;
        return a;
}

/* ---- the peers ---- */

typedef struct peer {
        const char *name;
        bool have;
        char why[2 * PATH_MAX];         /* why it is skipped */
        char bin[PATH_MAX + 16], pa[PATH_MAX];
        char *argv[16];
        double v[PEER_M][ROUNDS_MAX];
} peer;

static char counts[4][24];

static void peers_init(peer *beam, peer *caf, uint64_t n_spawn, uint64_t n_one, size_t n_rtt, int64_t n_sky) {
        char mod[PATH_MAX + 16];
        char **v;

        snprintf(counts[0], sizeof(counts[0]), "%llu", (unsigned long long) n_spawn);
        snprintf(counts[1], sizeof(counts[1]), "%llu", (unsigned long long) n_one);
        snprintf(counts[2], sizeof(counts[2]), "%zu", n_rtt);
        snprintf(counts[3], sizeof(counts[3]), "%lld", (long long) n_sky);

        *beam = (peer) { .name = "BEAM" };
        snprintf(mod, sizeof(mod), "%s/beam.beam", bench_bindir);
        if (!bench_on_path("erl", beam->bin))
                snprintf(beam->why, sizeof(beam->why), "erl is not on PATH (Debian: erlang-base)");
        else if (access(mod, R_OK) < 0)
                snprintf(beam->why, sizeof(beam->why), "%s is not built (make bench builds it with erlc)", mod);
        else {
                /* One scheduler; +P: skynet has 1.1 million processes at once. */
                beam->have = true;
                snprintf(beam->pa, sizeof(beam->pa), "%s", bench_bindir);
                v = beam->argv;
                *v++ = beam->bin;
                *v++ = "+S";
                *v++ = "1";
                *v++ = "+P";
                *v++ = "4000000";
                *v++ = "-noshell";
                *v++ = "-pa";
                *v++ = beam->pa;
                *v++ = "-run";
                *v++ = "beam";
                *v++ = "main";
                for (int i = 0; i < 4; i++)
                        *v++ = counts[i];
        }

        *caf = (peer) { .name = "CAF" };
        snprintf(caf->bin, sizeof(caf->bin), "%s/actors-caf", bench_bindir);
        if (access(caf->bin, X_OK) < 0)
                snprintf(caf->why, sizeof(caf->why),
                         "%s is not built (make bench builds it with g++ against libcaf-dev)", caf->bin);
        else {
                caf->have = true;
                v = caf->argv;
                *v++ = caf->bin;
                for (int i = 0; i < 4; i++)
                        *v++ = counts[i];
        }
}

/* One run of P: its line's five figures into round ROUND, or false. */
static bool peer_run(peer *p, unsigned round) {
        char out[PATH_MAX + 32], line[512];
        int64_t end = bench_mono_ns() + (int64_t) 600 * 1000000000;
        double *x[PEER_M];
        bool ok = false;
        pid_t pid;
        FILE *f;
        int st;

        snprintf(out, sizeof(out), "%s/%s.out", bench_tmpdir, p->name);
        unlink(out);
        bench_unpin();
        pid = bench_spawn(p->argv, NULL, out, -1);
        if (pid < 0)
                bench_die(p->argv[0]);
        while (waitpid(pid, &st, WNOHANG) == 0) {
                if (bench_mono_ns() > end) {
                        bench_stop(pid, 1);
                        fprintf(stderr, "actors: %s took over 10 minutes\n", p->name);
                        return false;
                }
                bench_nap_ms(20);
        }
        for (int m = 0; m < PEER_M; m++)
                x[m] = &p->v[m][round];
        f = fopen(out, "re");
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "%*s spawn_us=%lf bytes_per_actor=%lf oneway_mps=%lf rtt_p50_ns=%lf skynet_ms=%lf",
                           x[M_SPAWN], x[M_BYTES], x[M_ONEWAY], x[M_RTT], x[M_SKYNET]) == PEER_M)
                        ok = true;
        if (f)
                fclose(f);
        if (!ok) {
                fprintf(stderr, "actors: %s gave no figures (exit status %d); its output:\n", p->name,
                        WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
                char cmd[PATH_MAX + 64];
                snprintf(cmd, sizeof(cmd), "tail -5 %s >&2", out);
                (void) !system(cmd);
        }
        return ok;
}

/* ---- the table ---- */

int main(int argc, char **argv) {
        bool quick = false;
        uint64_t n_spawn = 100000, n_one, n_xproc;
        int64_t n_sky = 1000000;
        size_t n_rtt, n_restart;
        unsigned rounds, whole_rounds = 0;
        double xc, ec;
        double v[_M_MAX][ROUNDS_MAX], a[_M_MAX], bm[PEER_M], cm[PEER_M], reserve[ROUNDS_MAX], res;
        peer beam, caf;

        if (argc >= 2 && strcmp(argv[1], "--role") == 0) {
                if (argc == 5 && strcmp(argv[2], "sink") == 0)
                        role_sink(strtoull(argv[3], NULL, 10), argv[4]);
                if (argc == 4 && strcmp(argv[2], "source") == 0)
                        role_source(strtoull(argv[3], NULL, 10));
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--quick") == 0)
                        quick = true;
                else {
                        fprintf(stderr, "usage: actors [--quick]\n");
                        return 2;
                }
        }
        n_one = quick ? 1000000 : 5000000;
        n_rtt = quick ? 20000 : 200000;
        n_restart = quick ? 2000 : 20000;
        n_xproc = quick ? 200000 : 2000000;
        rounds = quick ? 1 : 3;
        bench_pin(-1);                        /* reads the CPUs we may use, pins nothing */
        signal(SIGPIPE, SIG_IGN);
        setvbuf(stdout, NULL, _IOLBF, 0);
        bench_dirs_init("actors");
        setenv("ERL_CRASH_DUMP_SECONDS", "0", 1);       /* a failing peer leaves no dump behind */
        peers_init(&beam, &caf, n_spawn, n_one, n_rtt, n_sky);

        printf("actors: %llu idle actors spawned, %llu one-way 64-byte messages, %zu round trips, skynet of %lld, "
               "%zu restarts, %llu messages from another group; median of %u interleaved rounds%s\n",
               (unsigned long long) n_spawn, (unsigned long long) n_one, n_rtt, (long long) n_sky, n_restart,
               (unsigned long long) n_xproc, rounds, quick ? " (--quick)" : "");
        if (!beam.have)
                printf("BEAM: skipped: %s\n", beam.why);
        if (!caf.have)
                printf("CAF: skipped: %s\n", caf.why);
        for (unsigned round = 0; round < rounds; round++) {
                /* The spawn first; its bytes are what the allocator
                 * handed out for the actors (mallinfo2). */
                measure_spawn(n_spawn, &v[M_SPAWN][round], &v[M_BYTES][round]);
                v[M_ONEWAY][round] = measure_oneway(n_one, false);
                reserve[round] = measure_oneway(n_one, true);
                v[M_RTT][round] = measure_rtt(n_rtt);
                v[M_SKYNET][round] = measure_skynet(n_sky);
                v[M_RESTART][round] = measure_restart(n_restart);
                /* The two from chunks in which neither side was
                 * preempted when both have enough of them, else both
                 * from their whole runs (the VM is shared). */
                v[M_XPROC][round] = measure_xproc(n_xproc, false, &xc);
                v[M_E2E][round] = measure_xproc(n_xproc, true, &ec);
                if (xc > 0 && ec > 0) {
                        v[M_XPROC][round] = xc;
                        v[M_E2E][round] = ec;
                } else
                        whole_rounds++;
                if (beam.have && !peer_run(&beam, round))
                        beam.have = false, snprintf(beam.why, sizeof(beam.why), "it failed");
                if (caf.have && !peer_run(&caf, round))
                        caf.have = false, snprintf(caf.why, sizeof(caf.why), "it failed");
                fprintf(stderr, "  round %u: spawn %.3f us, one-way %.0f msgs/s, rtt %.0f ns, skynet %.0f ms, "
                        "restart %.2f us, to an actor %.0f msgs/s (groups %.0f)\n", round + 1, v[M_SPAWN][round],
                        v[M_ONEWAY][round], v[M_RTT][round], v[M_SKYNET][round], v[M_RESTART][round],
                        v[M_XPROC][round], v[M_E2E][round]);
        }
        for (int m = 0; m < _M_MAX; m++)
                a[m] = bench_median(v[m], rounds);
        res = bench_median(reserve, rounds);
        for (int m = 0; m < PEER_M; m++) {
                bm[m] = beam.have ? bench_median(beam.v[m], rounds) : -1;
                cm[m] = caf.have ? bench_median(caf.v[m], rounds) : -1;
        }

        static const char *const rows[PEER_M] = { "spawn (us each)", "bytes per idle actor", "one-way (msgs/s)",
                                                  "round trip p50 (ns)", "skynet (ms)" };
        static const int prec[PEER_M] = { 3, 0, 0, 0, 0 };
        printf("\n%-28s %12s %12s %12s %8s %8s\n", "", "airsup", "BEAM", "CAF", "vs BEAM", "vs CAF");
        for (int m = 0; m < PEER_M; m++) {
                printf("%-28s", rows[m]);
                bench_cell(a[m], prec[m]);
                bench_cell(bm[m], prec[m]);
                bench_cell(cm[m], prec[m]);
                bench_ratio(a[m], bm[m]);
                bench_ratio(a[m], cm[m]);
                printf("\n");
        }
        printf("%-28s", "one-way, reserve/commit");
        bench_cell(res, 0);
        printf("\n%-28s", "restart p50 (us)");
        bench_cell(a[M_RESTART], 2);
        printf("\n%-28s", "to an actor, other group");
        bench_cell(a[M_XPROC], 0);
        if (a[M_XPROC] >= 0 && a[M_E2E] > 0)
                printf("   msgs/s, %.2fx the groups' figure below", a[M_XPROC] / a[M_E2E]);
        printf("\n%-28s", "group to group (e2e)");
        bench_cell(a[M_E2E], 0);
        printf("\n(from another group and e2e: msgs/s in chunks of %d messages in which neither side was\n"
               " preempted; %u of %u rounds from whole runs, too few such chunks)", XCHUNK, whole_rounds, rounds);
        printf("\n(vs: airsup's figure divided by the peer's; every side on one thread: erl +S 1, CAF's\n"
               " scheduler with max-threads 1, airsup's one dispatch loop; bytes: BEAM's processes memory, CAF's RSS, airsup's heap in use)\n");

        printf("\ngoals:\n");
        printf("  spawn <= 0.25x BEAM and <= 0.5 us:       %s\n", bench_met(a[M_SPAWN] >= 0 && bm[M_SPAWN] > 0,
               a[M_SPAWN] <= 0.25 * bm[M_SPAWN] && a[M_SPAWN] <= 0.5));
        printf("  <= 256 bytes per idle actor:             %s\n", bench_met(a[M_BYTES] >= 0, a[M_BYTES] <= 256));
        printf("  one-way >= 4x BEAM:                      %s\n",
               bench_met(a[M_ONEWAY] >= 0 && bm[M_ONEWAY] > 0, a[M_ONEWAY] >= 4 * bm[M_ONEWAY]));
        printf("  round trip <= 0.5x BEAM:                 %s\n",
               bench_met(a[M_RTT] >= 0 && bm[M_RTT] > 0, a[M_RTT] <= 0.5 * bm[M_RTT]));
        printf("  skynet <= 0.25x BEAM:                    %s\n",
               bench_met(a[M_SKYNET] >= 0 && bm[M_SKYNET] > 0, a[M_SKYNET] <= 0.25 * bm[M_SKYNET]));
        printf("  restart p50 <= 5 us:                     %s\n", bench_met(a[M_RESTART] >= 0, a[M_RESTART] <= 5));
        printf("  from another group >= 0.8x e2e:          %s\n",
               bench_met(a[M_XPROC] >= 0 && a[M_E2E] > 0, a[M_XPROC] >= 0.8 * a[M_E2E]));

        printf("{\"bench\":\"actors\"");
        bench_json_num("spawn_us", a[M_SPAWN], 3);
        bench_json_num("bytes_per_actor", a[M_BYTES], 0);
        bench_json_num("oneway_mps", a[M_ONEWAY], 0);
        bench_json_num("rtt_p50_ns", a[M_RTT], 0);
        bench_json_num("skynet_ms", a[M_SKYNET], 2);
        bench_json_num("restart_p50_us", a[M_RESTART], 2);
        bench_json_num("xproc_mps", a[M_XPROC], 0);
        bench_json_num("beam_spawn_us", bm[M_SPAWN], 3);
        bench_json_num("beam_oneway_mps", bm[M_ONEWAY], 0);
        bench_json_num("beam_rtt_p50_ns", bm[M_RTT], 0);
        bench_json_num("beam_skynet_ms", bm[M_SKYNET], 2);
        bench_json_num("caf_spawn_us", cm[M_SPAWN], 3);
        bench_json_num("caf_oneway_mps", cm[M_ONEWAY], 0);
        bench_json_num("caf_rtt_p50_ns", cm[M_RTT], 0);
        bench_json_num("caf_skynet_ms", cm[M_SKYNET], 2);
        bench_json_num("beam_bytes_per_actor", bm[M_BYTES], 0);
        bench_json_num("caf_bytes_per_actor", cm[M_BYTES], 0);
        bench_json_num("e2e_mps", a[M_E2E], 0);
        bench_json_num("oneway_reserve_mps", res, 0);
        printf("}\n");
        {
                char cmd[PATH_MAX + 16];
                snprintf(cmd, sizeof(cmd), "rm -rf %s", bench_tmpdir);
                (void) !system(cmd);
        }
        return a[M_SPAWN] > 0 && a[M_SKYNET] > 0 ? 0 : 1;
}
