/* actor-peer.c - both ends of messages to actors in another group, for
 * test-actors.sh.
 *
 *   actor-peer host DIR
 *       an actor system with the actors "counter" (appends each message's
 *       number to DIR/counter), "slow" (on a message of type 7 first
 *       seen, writes DIR/inside and waits to be killed in its handler;
 *       seen again, writes DIR/redelivered with the count), and "bomb"
 *       (each message of type 9 is an error it escalates; its supervisor,
 *       the root, allows one restart in a minute).  Each incarnation
 *       appends its pid to DIR/started, then says READY=1.
 *   actor-peer send ADDRESS TYPE COUNT
 *       sends COUNT messages of TYPE, numbered from 0, to ADDRESS
 *       ("GROUP/ACTOR"), then exits 0.
 *   actor-peer closed DIR
 *       first makes airsupd close its channel (garbage records on it, as
 *       many as airsupd takes before it does), then runs an actor system
 *       idle: it must sleep, not spin on the closed channel.
 *   actor-peer evil GROUP
 *       an attacker, not the library: asks airsupd for a lane to GROUP on
 *       its own channel and writes records whose actor address lies (a
 *       length beyond the name limit, beyond the payload, bytes that are
 *       no name), then one honest message numbered 4242 to "counter";
 *       then through the lane's address table: 4243 to "counter" by an
 *       entry it wrote honestly, then 4245 by an entry whose length it
 *       made a lie (the lane is then garbled: the receiver closes it).
 *   actor-peer spray GROUP N
 *       looks up N actors GROUP/nobody0.. (each takes an entry of the
 *       lane's address table; past 28 or so it is full), then sends 4244
 *       to GROUP/counter, which then goes with its name in the record. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child/airsup.h"
#include "common/channel.h"
#include "common/fds.h"
#include "shm/shm.h"

static const char *dir;
static bool closed_first;

/* "PREFIX V\n" (or "V\n") at the end of DIR/FILE. */
static void append(const char *file, const char *prefix, unsigned long v) {
        char path[4096], line[64];
        int fd, n;

        (void) snprintf(path, sizeof(path), "%s/%s", dir, file);
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        n = snprintf(line, sizeof(line), "%s%lu\n", prefix, v);
        (void) !write(fd, line, (size_t) n);
        (void) close(fd);
}

static int counter(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        uint32_t v = 0;

        (void) s;
        (void) self;
        (void) state;
        if (m->len == sizeof(v))
                memcpy(&v, data, sizeof(v));
        /* The address was taken off: the payload is the number alone. */
        if (strcmp(m->actor, "counter") != 0)
                append("counter", "BAD-ACTOR ", v);
        append("counter", "", v);
        return 0;
}

static int slow(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        (void) s;
        (void) self;
        (void) state;
        (void) data;
        if (m->type != 7)
                return 0;
        if (m->redelivered == 0) {
                append("inside", "", (unsigned long) getpid());
                for (;;)
                        pause();        /* killed here, mid-handler */
        }
        append("redelivered", "", m->redelivered);
        return 0;
}

static int bomb(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        (void) s;
        (void) self;
        (void) state;
        (void) data;
        return m->type == 9 ? -EIO : 0;
}

static int escalate(airsup_sys *s, airsup_ref self, void *state, int error, const airsup_msg *m) {
        (void) s;
        (void) self;
        (void) state;
        (void) error;
        (void) m;
        return AIRSUP_ESCALATE;
}

static void garble_channel(void) {
        const char *e = getenv("AIRSUP_FD");
        int chan = e ? atoi(e) : -1;
        char junk[16] = "not a record";

        for (int k = 0; k < 64 && chan >= 0; k++)
                (void) !write(chan, junk, sizeof(junk));
}

static int host(const char *d) {
        static const airsup_behaviour bc = { .handle = counter }, bs = { .handle = slow },
                                      bb = { .handle = bomb, .error = escalate };
        airsup_spawn_opts oc = { .name = "counter" }, os = { .name = "slow" }, ob = { .name = "bomb" };
        airsup_sup_opts root;
        airsup_sys_opts so = {};
        airsup_sys *s;
        airsup *a;
        int r;

        dir = d;
        r = airsup_attach(&a);
        if (r >= 0 && closed_first)
                garble_channel();
        if (r < 0) {
                fprintf(stderr, "attach: %s\n", strerror(-r));
                return 1;
        }
        airsup_sup_opts_init(&root);
        root.intensity = 1;
        root.period_ns = UINT64_C(60) * 1000000000;
        so.root = &root;
        r = airsup_sys_new(a, &so, &s);
        if (r >= 0)
                r = airsup_spawn(s, airsup_root(s), &bc, &oc, NULL);
        if (r >= 0)
                r = airsup_spawn(s, airsup_root(s), &bs, &os, NULL);
        if (r >= 0)
                r = airsup_spawn(s, airsup_root(s), &bb, &ob, NULL);
        if (r < 0) {
                fprintf(stderr, "actors: %s\n", strerror(-r));
                return 1;
        }
        append("started", "", (unsigned long) getpid());
        (void) airsup_ready(a);
        r = airsup_sys_run(s);
        fprintf(stderr, "run: %s\n", strerror(-r));
        return 1;
}

static int send_to(const char *addr, uint32_t type, uint32_t count) {
        airsup_dest *d;
        airsup *a = NULL;
        int r;

        r = airsup_attach(&a);
        if (r >= 0)
                r = airsup_lookup(a, addr, UINT64_C(5) * 1000000000, &d);
        for (uint32_t k = 0; r >= 0 && k < count; k++)
                r = airsup_send(d, type, &k, sizeof(k), NULL);
        if (r < 0)
                fprintf(stderr, "send %s: %s\n", addr, strerror(-r));
        airsup_detach(a);
        return r < 0;
}

static int evil(const char *group) {
        const char *e = getenv("AIRSUP_FD");
        int chan = e ? atoi(e) : -1;
        chan_record q, rec;
        shm_tx *tx = NULL;
        int fds_lane = -1;
        struct {
                uint32_t to_len;
                const char *bytes;
                uint32_t len;
        } lies[] = {
                { 200, NULL, 240 },     /* the long one, made below */
                { 10, "coun", 4 },
                { 5, "ab\001cd\0\0\0", 8 },
                { 7, "count/r\0", 8 },
        };
        uint32_t v = 4242;
        char honest[7 + sizeof(v)], long_one[240];

        memset(long_one, 'x', sizeof(long_one));
        memcpy(long_one, "counter", 7);
        lies[0].bytes = long_one;

        chan_init(&q, CHAN_LOOKUP);
        q.lookup.req = 1;
        if (chan < 0 || chan_set_name(q.lookup.name, group) < 0 || fds_send(chan, &q, q.h.len, NULL, 0) < 0)
                return 1;
        for (;;) {
                char buf[CHAN_RECORD_MAX];
                int fds[4];
                size_t n_fds = 0;
                ssize_t n = fds_recv(chan, buf, sizeof(buf), 0, fds, 4, &n_fds);

                if (n <= 0)
                        return 1;
                if (chan_parse(buf, (size_t) n, n_fds, &rec) < 0 || rec.h.type != CHAN_LANE) {
                        for (size_t k = 0; k < n_fds; k++)
                                (void) close(fds[k]);
                        continue;
                }
                if (shm_tx_open(fds[0], fds[1], rec.lane.index, fds[2], fds[3], &tx) < 0)
                        return 1;
                fds_lane = fds[0];
                break;
        }
        for (size_t k = 0; k < sizeof(lies) / sizeof(lies[0]); k++) {
                shm_envelope env = { .type = 5, .len = lies[k].len, .to_len = lies[k].to_len };
                if (shm_tx_send(tx, &env, lies[k].bytes, SHM_FULL_BLOCK, UINT64_MAX) < 0)
                        return 1;
        }
        memcpy(honest, "counter", 7);
        memcpy(honest + 7, &v, sizeof(v));
        {
                shm_envelope env = { .type = 1, .len = sizeof(honest), .to_len = 7 };
                if (shm_tx_send(tx, &env, honest, SHM_FULL_BLOCK, UINT64_MAX) < 0)
                        return 1;
        }
        /* The address table: an entry written honestly, a message by it. */
        {
                shm_envelope env = { .type = 1, .len = sizeof(v) };
                int id = shm_tx_address(tx, "counter", 7);

                v = 4243;
                if (id < 0 || shm_tx_send_to(tx, &env, (uint32_t) id, &v, SHM_FULL_BLOCK, UINT64_MAX) < 0)
                        return 1;
        }
        /* An entry written behind the library's back with a length that
         * lies, and a record naming it (bit 31 of to_len marks an id):
         * the lane is garbled there (the unit tests have the other lies,
         * one per lane). */
        {
                shm_envelope env = { .type = 1, .len = sizeof(v), .to_len = (UINT32_C(1) << 31) | 1 };
                struct stat st;
                uint8_t *seg;

                v = 4245;
                if (fstat(fds_lane, &st) < 0)
                        return 1;
                seg = mmap(NULL, (size_t) st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds_lane, 0);
                if (seg == MAP_FAILED)
                        return 1;
                /* Entry 1, after the 256-byte header, the ring (256 KiB
                 * by default: the last page) and entry 0. */
                memcpy(seg + st.st_size - 4096 + 256 + 64 + 1, "counter", 7);
                seg[st.st_size - 4096 + 256 + 64] = 200;
                munmap(seg, (size_t) st.st_size);
                if (shm_tx_send(tx, &env, &v, SHM_FULL_BLOCK, UINT64_MAX) < 0)
                        return 1;
        }
        shm_tx_free(tx);
        return 0;
}

/* N lookups of GROUP/nobodyK, which fill the lane's address table, then
 * 4244 to GROUP/counter. */
static int spray(const char *group, uint32_t n) {
        char addr[160];
        airsup_dest *d;
        airsup *a = NULL;
        uint32_t v = 4244;
        int r;

        r = airsup_attach(&a);
        for (uint32_t k = 0; r >= 0 && k < n; k++) {
                snprintf(addr, sizeof(addr), "%s/nobody%u", group, k);
                r = airsup_lookup(a, addr, UINT64_C(5) * 1000000000, &d);
        }
        if (r >= 0) {
                snprintf(addr, sizeof(addr), "%s/counter", group);
                r = airsup_lookup(a, addr, UINT64_C(5) * 1000000000, &d);
        }
        if (r >= 0)
                r = airsup_send(d, 1, &v, sizeof(v), NULL);
        if (r < 0)
                fprintf(stderr, "spray %s: %s\n", group, strerror(-r));
        airsup_detach(a);
        return r < 0;
}

int main(int argc, char **argv) {
        if (argc == 3 && strcmp(argv[1], "closed") == 0) {
                closed_first = true;
                return host(argv[2]);
        }
        if (argc == 3 && strcmp(argv[1], "evil") == 0)
                return evil(argv[2]);
        if (argc == 3 && strcmp(argv[1], "host") == 0)
                return host(argv[2]);
        if (argc == 4 && strcmp(argv[1], "spray") == 0)
                return spray(argv[2], (uint32_t) strtoul(argv[3], NULL, 10));
        if (argc == 5 && strcmp(argv[1], "send") == 0)
                return send_to(argv[2], (uint32_t) strtoul(argv[3], NULL, 10), (uint32_t) strtoul(argv[4], NULL, 10));
        fprintf(stderr, "usage: actor-peer host DIR | send ADDRESS TYPE COUNT | spray GROUP N | evil GROUP | closed DIR\n");
        return 2;
}
