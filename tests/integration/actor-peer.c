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
 *       ("GROUP/ACTOR"), then exits 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child/airsup.h"

static const char *dir;

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

int main(int argc, char **argv) {
        if (argc == 3 && strcmp(argv[1], "host") == 0)
                return host(argv[2]);
        if (argc == 5 && strcmp(argv[1], "send") == 0)
                return send_to(argv[2], (uint32_t) strtoul(argv[3], NULL, 10), (uint32_t) strtoul(argv[4], NULL, 10));
        fprintf(stderr, "usage: actor-peer host DIR | send ADDRESS TYPE COUNT\n");
        return 2;
}
