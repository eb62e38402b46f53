/* req-peer.c - request/reply between real groups, for test-request.sh.
 *
 *   req-peer server DIR
 *       a plain program answering requests by type: 1 upper-cases the
 *       payload; 3 waits to be killed in the middle the first time it
 *       sees it (writes DIR/inside), answers when it comes again; 4 first
 *       sends the requester a plain message of type 9, then answers; 5
 *       never answers; 6 answers twice; 7 answers with a correlation id
 *       that is not the request's.
 *   req-peer client SERVER DIR
 *       a plain program that asks SERVER all of that in turn and appends
 *       "okN" to DIR/client for each case that came out right, then
 *       "done" (or "FAIL ..." and exits 1).
 *   req-peer actor-server DIR
 *       an actor system whose actor "echo" upper-cases what it is asked,
 *       and stops for good when it is sent type 7.
 *   req-peer reg-owner NAME DIR | reg-actor NAME DIR
 *       a server (as "server", or the actor "echo") that registers NAME.
 *   req-peer reg-race NAME DIR
 *       registers NAME: "won" or "lost ERRNO" in DIR/race-PID; a loser
 *       monitors the name and, when its holder goes down, registers it:
 *       "won-later".
 *   req-peer reg-client NAME DIR
 *       waits for NAME (airsup_lookup_wait), asks it: "reg-ok NAME".
 *   req-peer reg-bad DIR [TARGET]
 *       the refusals of the registry, of monitors (4,096 of TARGET,
 *       "server" by default) and of subscriptions: "bad-ok" in DIR/bad.
 *   req-peer lifecycle DIR
 *       a target for monitors: exits 3 when it is sent a message of
 *       type 8; else waits to be killed or stopped.
 *   req-peer watcher TARGET DIR
 *       monitors TARGET each time it is sent a message of type 9
 *       ("monitoring" in DIR/watch), and appends "down NAME CODE STATUS"
 *       for its DOWN ("noproc" for NOPROC).
 *   req-peer actor-watcher TARGET DIR
 *       an actor that monitors TARGET once: "actor-down NAME CODE STATUS"
 *       in DIR/awatch.
 *   req-peer route-worker DIR
 *       appends each message's number to DIR/w-PID.
 *   req-peer route-send POOL N DIR
 *       sends N messages numbered 0..N-1 to POOL (its route picks); with
 *       route = hash the key of message k is k % 10 and its number is the
 *       key.  "sent" in DIR/sent-POOL.
 *   req-peer sub PATTERN DIR
 *       subscribes to PATTERN ("-": none, the configuration's only) and
 *       appends "SUBJECT NUMBER" for each message to DIR/s-PID.
 *   req-peer sub-actors PATTERN DIR
 *       two actors subscribe to PATTERN; each appends "NAME SUBJECT
 *       NUMBER" to DIR/a-PID.
 *   req-peer pub SUBJECT N TAG DIR
 *       publishes N messages numbered 0..N-1 to SUBJECT, then appends how
 *       many subscribers the last reached to DIR/pub-TAG.
 *   req-peer pub-big SUBJECT N SIZE TAG DIR
 *       the same, after one message of SIZE bytes.
 *   req-peer subject-client SUBJECT N DIR
 *       asks SUBJECT (airsup_lookup_subject) N times, type 1, "reqK":
 *       each reply must be "REQK" of type 2; then a request to a subject
 *       nobody serves must be -ENOENT at once.  "subject-ok N FROM" (the
 *       last reply's sender) in DIR/subject, or "FAIL ...".
 *   req-peer actor-client SERVER DIR
 *       an actor "asker" that asks SERVER ten times (type 1) and once
 *       something that is never answered (type 5, 200 ms): it must get
 *       ten replies and one timeout, each for its own correlation id, and
 *       appends "actor-ok" to DIR/actor, or "FAIL ...".
 *   req-peer mon-client SERVER DIR
 *       a plain program whose requests to SERVER are monitored
 *       (airsup_dest_monitor()), each step a line of DIR/mclient: one is
 *       answered ("mon-ok1"); type 3 with a 30 s timeout, its server
 *       SIGKILLed by the test, fails -ECONNRESET within 10 s ("mon-reset
 *       MS"); the DOWN is then kept for airsup_recv() ("mon-down"); once
 *       the server is back, a request is answered and the next
 *       incarnation's answer to the type 3 was late ("mon-ok2 LATE");
 *       then, told by a message of type 9 that the server was stopped, a
 *       request is -ESRCH at once ("mon-esrch"), one not monitored times
 *       out, and "done".
 *   req-peer actor-mon-client SERVER DIR
 *       the same for an actor's asks: one answered, then type 3 with 30 s,
 *       the server SIGKILLed: the timeout's message with -ECONNRESET
 *       within 10 s ("amon-reset MS"); once the server is back, an ask is
 *       answered and the late answer counted ("amon-ok LATE"), in
 *       DIR/amclient. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "child/airsup.h"

#define SEC UINT64_C(1000000000)
#define MS UINT64_C(1000000)

static const char *dir;

static void say(const char *file, const char *fmt, ...) {
        char path[4096], line[256];
        va_list ap;
        int fd, n;

        va_start(ap, fmt);
        n = vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        (void) snprintf(path, sizeof(path), "%s/%s", dir, file);
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        (void) !write(fd, line, (size_t) n);
        (void) close(fd);
}

static void upper(char *p, size_t n) {
        for (size_t k = 0; k < n; k++)
                p[k] = (char) toupper((unsigned char) p[k]);
}

static const char *reg_name;

static int server(void) {
        char buf[4096];
        airsup_msg m;
        airsup *a;

        if (airsup_attach(&a) < 0)
                return 1;
        if (reg_name && airsup_register(a, reg_name) < 0)
                return 1;
        (void) airsup_ready(a);
        for (;;) {
                int n = airsup_recv(a, &m, buf, sizeof(buf), UINT64_MAX);
                airsup_dest *back;

                if (n < 0)
                        continue;
                switch (m.type) {
                case 1:
                        upper(buf, (size_t) n);
                        (void) airsup_reply(a, &m, 2, buf, (size_t) n);
                        break;
                case 3:
                        if (m.redelivered == 0) {
                                say("inside", "%d\n", (int) getpid());
                                for (;;)
                                        pause();
                        }
                        (void) airsup_reply(a, &m, 2, "again", 5);
                        break;
                case 4:
                        if (airsup_lookup(a, m.sender, 5 * SEC, &back) == 0)
                                (void) airsup_send(back, 9, "notice", 6, NULL);
                        (void) airsup_reply(a, &m, 2, "four", 4);
                        break;
                case 6:
                        (void) airsup_reply(a, &m, 2, "six", 3);
                        (void) airsup_reply(a, &m, 2, "six again", 9);
                        break;
                case 7: {
                        airsup_msg forged = m;
                        forged.correlation += 1000;
                        (void) airsup_reply(a, &forged, 2, "forged", 6);
                        break;
                }
                default:
                        break;          /* 5: never */
                }
                (void) airsup_commit(a, &m);
        }
}

#define CHECK(cond, ...)                                     \
        do {                                                 \
                if (!(cond)) {                               \
                        say("client", "FAIL " __VA_ARGS__); \
                        return 1;                            \
                }                                            \
        } while (0)

static int client(const char *srv) {
        char rep[256], buf[256];
        airsup_dest *d;
        airsup_msg m;
        airsup *a;
        int n;

        CHECK(airsup_attach(&a) == 0, "attach\n");
        CHECK(airsup_lookup(a, srv, 5 * SEC, &d) == 0, "lookup\n");
        for (int k = 0; k < 100; k++) {
                char q[32], want[32];
                int l = snprintf(q, sizeof(q), "hello-%d", k);
                snprintf(want, sizeof(want), "HELLO-%d", k);
                n = airsup_request(a, d, 1, q, (size_t) l, rep, sizeof(rep), 5 * SEC, &m);
                CHECK(n == l && memcmp(rep, want, (size_t) n) == 0 && (m.flags & AIRSUP_MSG_REPLY) && m.type == 2,
                      "case 1 #%d: %d\n", k, n);
        }
        say("client", "ok1\n");
        /* A message that comes while the request waits is kept for recv. */
        n = airsup_request(a, d, 4, "x", 1, rep, sizeof(rep), 5 * SEC, NULL);
        CHECK(n == 4 && memcmp(rep, "four", 4) == 0, "case 4: %d\n", n);
        n = airsup_recv(a, &m, buf, sizeof(buf), 0);
        CHECK(n == 6 && m.type == 9 && memcmp(buf, "notice", 6) == 0, "case 4 notice: %d type %u\n", n, m.type);
        CHECK(airsup_commit(a, &m) == 0, "commit of a kept message\n");
        say("client", "ok4\n");
        n = airsup_request(a, d, 5, "x", 1, rep, sizeof(rep), 200 * MS, NULL);
        CHECK(n == -ETIMEDOUT, "case 5: %d\n", n);
        say("client", "ok5\n");
        n = airsup_request(a, d, 6, "x", 1, rep, sizeof(rep), 5 * SEC, NULL);
        CHECK(n == 3 && memcmp(rep, "six", 3) == 0, "case 6: %d\n", n);
        n = airsup_request(a, d, 1, "y", 1, rep, sizeof(rep), 5 * SEC, NULL);
        CHECK(n == 1 && rep[0] == 'Y', "case 6 next: %d\n", n);
        CHECK(airsup_late_replies(a) == 1, "case 6 late: %llu\n", (unsigned long long) airsup_late_replies(a));
        say("client", "ok6\n");
        n = airsup_request(a, d, 7, "x", 1, rep, sizeof(rep), 300 * MS, NULL);
        CHECK(n == -ETIMEDOUT && airsup_late_replies(a) == 2, "case 7: %d, late %llu\n", n,
              (unsigned long long) airsup_late_replies(a));
        say("client", "ok7\n");
        /* The server is killed in the middle of this one; its next
         * incarnation answers. */
        n = airsup_request(a, d, 3, "x", 1, rep, sizeof(rep), 30 * SEC, NULL);
        CHECK(n == 5 && memcmp(rep, "again", 5) == 0, "case 3: %d\n", n);
        say("client", "ok3\n");
        /* Bad arguments. */
        CHECK(airsup_request(NULL, d, 1, "x", 1, rep, sizeof(rep), SEC, NULL) == -EINVAL, "einval 1\n");
        CHECK(airsup_request(a, NULL, 1, "x", 1, rep, sizeof(rep), SEC, NULL) == -EINVAL, "einval 2\n");
        CHECK(airsup_reply(a, &(airsup_msg) {}, 1, NULL, 0) == -EINVAL, "einval 3\n");
        say("client", "done\n");
        airsup_detach(a);
        return 0;
}

/* One request to an actor ("GROUP/ACTOR"): "done" in DIR/echo-client. */
static int client_echo(const char *addr) {
        char rep[16];
        airsup_dest *d;
        airsup *a = NULL;
        int n = -1;

        if (airsup_attach(&a) == 0 && airsup_lookup(a, addr, 5 * SEC, &d) == 0)
                n = airsup_request(a, d, 1, "quiet", 5, rep, sizeof(rep), 5 * SEC, NULL);
        airsup_detach(a);
        if (n == 5 && memcmp(rep, "QUIET", 5) == 0)
                say("echo-client", "done\n");
        else
                say("echo-client", "FAIL %d\n", n);
        return n == 5 ? 0 : 1;
}

/* POOL (a pool of servers) and POOL[i], the instance the first leads to,
 * are one lane: requests through both, in turn, 2,000 of them, all
 * answered ("alias-ok" in DIR/alias).  Two producers on one lane would
 * garble it. */
static int alias_client(const char *pool) {
        char name[80], rep[32];
        airsup_dest *d1, *d2;
        airsup *a = NULL;
        int n = 0, k;

        if (airsup_attach(&a) < 0 || airsup_lookup(a, pool, 5 * SEC, &d1) < 0) {
                say("alias", "FAIL lookup %s\n", pool);
                return 1;
        }
        snprintf(name, sizeof(name), "%s", airsup_dest_name(d1));
        if (airsup_lookup(a, name, 5 * SEC, &d2) < 0) {
                say("alias", "FAIL lookup %s\n", name);
                return 1;
        }
        for (k = 0; k < 2000; k++) {
                n = airsup_request(a, k % 2 ? d1 : d2, 1, "ab", 2, rep, sizeof(rep), 5 * SEC, NULL);
                if (n != 2 || memcmp(rep, "AB", 2) != 0)
                        break;
        }
        if (k == 2000)
                say("alias", "alias-ok\n");
        else
                say("alias", "FAIL request %d: %d\n", k, n);
        airsup_detach(a);
        return k == 2000 ? 0 : 1;
}

static int echo(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        char buf[256];
        size_t n = m->len < sizeof(buf) ? m->len : sizeof(buf);

        (void) state;
        /* Type 7: it stops itself for good (its monitors' DOWN). */
        if (m->type == 7)
                return airsup_stop(s, self) < 0;
        memcpy(buf, data, n);
        upper(buf, n);
        if (m->correlation != 0)
                (void) airsup_reply(airsup_sys_airsup(s), m, 2, buf, n);
        return 0;
}

static int actor_server(void) {
        static const airsup_behaviour b = { .handle = echo };
        airsup_spawn_opts o = { .name = "echo" };
        airsup_sys *s;
        airsup_ref r;
        airsup *a;

        if (airsup_attach(&a) < 0 || airsup_sys_new(a, NULL, &s) < 0 ||
            airsup_spawn(s, airsup_root(s), &b, &o, &r) < 0)
                return 1;
        if (reg_name && airsup_sys_register(s, r, reg_name) < 0)
                return 1;
        (void) airsup_ready(a);
        return airsup_sys_run(s) < 0;
}

static int reg_race(const char *name) {
        char file[64];
        airsup *a;
        int r;

        snprintf(file, sizeof(file), "race-%d", (int) getpid());
        if (airsup_attach(&a) < 0)
                return 1;
        r = airsup_register(a, name);
        say(file, r == 0 ? "won\n" : "lost %d\n", r);
        /* The loser watches the name: its holder's end is a DOWN, and
         * then the name is free (it went with the process). */
        while (r == -EEXIST) {
                airsup_down d;
                airsup_msg m;
                int n;

                r = airsup_monitor(a, name, NULL);
                if (r == 0) {
                        do
                                n = airsup_recv(a, &m, &d, sizeof(d), UINT64_MAX);
                        while (n != (int) sizeof(d) || m.type != AIRSUP_TYPE_DOWN);
                }
                r = airsup_register(a, name);
                if (r == 0)
                        say(file, "won-later\n");
        }
        for (;;)
                pause();
}

static int reg_client(const char *name) {
        char rep[16];
        airsup_dest *d;
        airsup *a = NULL;
        int n = -1;

        if (airsup_attach(&a) == 0 && airsup_lookup_wait(a, name, 20 * SEC, &d) == 0)
                n = airsup_request(a, d, 1, "reg", 3, rep, sizeof(rep), 5 * SEC, NULL);
        if (n == 3 && memcmp(rep, "REG", 3) == 0)
                say("registry", "reg-ok %s\n", name);
        else
                say("registry", "FAIL %s: %d\n", name, n);
        airsup_detach(a);
        return n == 3 ? 0 : 1;
}

#define BAD(cond, ...)                                    \
        do {                                              \
                if (!(cond)) {                            \
                        say("bad", "FAIL " __VA_ARGS__); \
                        return 1;                         \
                }                                         \
        } while (0)

static int reg_bad(const char *target) {
        char name[32];
        airsup_dest *d;
        airsup *a;
        int r, k;
        struct timespec t0, t1;

        BAD(airsup_attach(&a) == 0, "attach\n");
        BAD((r = airsup_register(a, "server")) == -EEXIST, "a group's name: %d\n", r);
        BAD((r = airsup_register(a, "a/b")) == -EINVAL, "not a name: %d\n", r);
        BAD((r = airsup_register(a, "pool[1]")) == -EINVAL, "an instance's name: %d\n", r);
        BAD((r = airsup_unregister(a, "never")) == -ENOENT, "unregister of nothing: %d\n", r);
        for (k = 0; k < 1024; k++) {
                snprintf(name, sizeof(name), "bad-%d-%d", (int) getpid(), k);
                BAD((r = airsup_register(a, name)) == 0, "name %d: %d\n", k, r);
        }
        snprintf(name, sizeof(name), "over-%d", (int) getpid());
        BAD((r = airsup_register(a, name)) == -ENOSPC, "past the limit: %d\n", r);
        snprintf(name, sizeof(name), "bad-%d-7", (int) getpid());
        BAD((r = airsup_unregister(a, name)) == 0, "unregister: %d\n", r);
        snprintf(name, sizeof(name), "over-%d", (int) getpid());
        BAD((r = airsup_register(a, name)) == 0, "room again: %d\n", r);
        BAD((r = airsup_lookup(a, "nothere", 5 * SEC, &d)) == -ENOENT || r == -EINVAL, "lookup: %d\n", r);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        BAD((r = airsup_lookup_wait(a, "nothere", 200 * MS, &d)) == -ENOENT, "lookup_wait: %d\n", r);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        BAD((t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec) >= (long) (200 * MS), "waited too little\n");
        /* Monitoring one target again and again: refused at 4,096. */
        for (k = 0; k < 5000; k++) {
                r = airsup_monitor(a, target, NULL);
                if (r < 0)
                        break;
        }
        BAD(k == 4096 && r == -ENOSPC, "monitor %d: %d\n", k, r);
        BAD((r = airsup_monitor(a, "nothere", NULL)) == -ENOENT, "monitor of nothing: %d\n", r);
        /* Subscribing to ever more subjects: refused at 256. */
        for (k = 0; k < 300; k++) {
                snprintf(name, sizeof(name), "many.s%d.>", k);
                r = airsup_subscribe(a, name, 0);
                if (r < 0)
                        break;
        }
        BAD(k == 256 && r == -ENOSPC, "subscribe %d: %d\n", k, r);
        BAD((r = airsup_subscribe(a, "bad..subject", 0)) == -EINVAL, "a bad pattern: %d\n", r);
        BAD((r = airsup_publish(a, "a.*", 1, NULL, 0, NULL)) == -EINVAL, "publish to a pattern: %d\n", r);
        BAD((r = airsup_unsubscribe(a, "many.s3.>")) == 0, "unsubscribe: %d\n", r);
        BAD((r = airsup_subscribe(a, "many.again.>", 0)) == 0, "room again: %d\n", r);
        say("bad", "bad-ok\n");
        for (;;)
                pause();        /* its names stay while it lives */
}

static int lifecycle(void) {
        char buf[64];
        airsup_msg m;
        airsup *a;

        if (airsup_attach(&a) < 0)
                return 1;
        (void) airsup_ready(a);
        for (;;) {
                int n = airsup_recv(a, &m, buf, sizeof(buf), UINT64_MAX);
                if (n < 0)
                        continue;
                (void) airsup_commit(a, &m);
                if (m.type == 8) {
                        say("exiting", "%d\n", (int) getpid());
                        airsup_detach(a);       /* a sanitizer build exits 3 too */
                        return 3;
                }
        }
}

static int watcher(const char *target) {
        airsup_down d;
        airsup_msg m;
        airsup *a;

        if (airsup_attach(&a) < 0)
                return 1;
        (void) airsup_ready(a);
        for (;;) {
                int r;

                /* Monitors when the test says so (a message of type 9):
                 * once the target is up, or, to see NOPROC, once it is not. */
                do {
                        r = airsup_recv(a, &m, &d, sizeof(d), UINT64_MAX);
                        if (r >= 0)
                                (void) airsup_commit(a, &m);
                } while (r < 0 || m.type != 9);
                r = airsup_monitor(a, target, NULL);
                if (r < 0) {
                        say("watch", "FAIL monitor %d\n", r);
                        return 1;
                }
                say("watch", "monitoring\n");
                for (;;) {
                        r = airsup_recv(a, &m, &d, sizeof(d), UINT64_MAX);
                        if (r >= 0)
                                (void) airsup_commit(a, &m);
                        if (r == (int) sizeof(d) && m.type == AIRSUP_TYPE_DOWN)
                                break;
                }
                if (d.code == AIRSUP_DOWN_NOPROC)
                        say("watch", "noproc\n");
                else
                        say("watch", "down %s %u %d\n", d.name, d.code, d.status);
        }
}

static int awatch(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        airsup_down d;

        (void) self;
        if (m->type == 100) {
                int r = airsup_sys_monitor(s, state, NULL);
                say("awatch", r == 0 ? "monitoring\n" : "FAIL monitor %d\n", r);
                return 0;
        }
        if (m->type == AIRSUP_TYPE_DOWN && m->len == sizeof(d)) {
                memcpy(&d, data, sizeof(d));
                say("awatch", "actor-down %s %u %d\n", d.name, d.code, d.status);
        }
        return 0;
}

static int actor_watcher(const char *target) {
        static const airsup_behaviour b = { .handle = awatch };
        airsup_spawn_opts o = { .arg = (void *) target };
        airsup_sys *s;
        airsup_ref r;
        airsup *a;

        if (airsup_attach(&a) < 0 || airsup_sys_new(a, NULL, &s) < 0 ||
            airsup_spawn(s, airsup_root(s), &b, &o, &r) < 0)
                return 1;
        (void) airsup_tell(s, r, 100, NULL, 0);
        return airsup_sys_run(s) < 0;
}

static int sub(const char *pattern) {
        char file[64], buf[64];
        airsup_msg m;
        airsup *a;

        snprintf(file, sizeof(file), "s-%d", (int) getpid());
        if (airsup_attach(&a) < 0)
                return 1;
        if (strcmp(pattern, "-") != 0 && airsup_subscribe(a, pattern, 0) < 0)
                return 1;
        (void) airsup_ready(a);
        for (;;) {
                int n = airsup_recv(a, &m, buf, sizeof(buf), UINT64_MAX);
                uint32_t v = 0;
                if (n < 0)
                        continue;
                if (n == sizeof(v))
                        memcpy(&v, buf, sizeof(v));
                if (m.flags & AIRSUP_MSG_PUBLISH)
                        say(file, "%s %u\n", m.subject, v);
                (void) airsup_commit(a, &m);
        }
}

static int sub_handle(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        char file[64];
        uint32_t v = 0;

        (void) s;
        (void) self;
        snprintf(file, sizeof(file), "a-%d", (int) getpid());
        if (m->len == sizeof(v))
                memcpy(&v, data, sizeof(v));
        say(file, "%s %s %u\n", (const char *) state, m->subject, v);
        return 0;
}

static int sub_actors(const char *pattern) {
        static const airsup_behaviour b = { .handle = sub_handle };
        airsup_spawn_opts o1 = { .name = "one", .arg = "one" }, o2 = { .name = "two", .arg = "two" };
        airsup_ref r1, r2;
        airsup_sys *s;
        airsup *a;

        if (airsup_attach(&a) < 0 || airsup_sys_new(a, NULL, &s) < 0 ||
            airsup_spawn(s, airsup_root(s), &b, &o1, &r1) < 0 || airsup_spawn(s, airsup_root(s), &b, &o2, &r2) < 0 ||
            airsup_sys_subscribe(s, r1, pattern) < 0 || airsup_sys_subscribe(s, r2, pattern) < 0)
                return 1;
        (void) airsup_ready(a);
        return airsup_sys_run(s) < 0;
}

static int pub(const char *subject, uint32_t n, const char *tag, size_t big) {
        char file[96];
        airsup *a = NULL;
        int r = 0;

        if (airsup_attach(&a) < 0)
                return 1;
        if (big > 0) {
                airsup_send_opts o = { .full = AIRSUP_BLOCK, .timeout_ns = 5 * SEC };
                void *p = calloc(1, big);

                r = p ? airsup_publish(a, subject, 1, p, big, &o) : -ENOMEM;
                free(p);
        }
        for (uint32_t k = 0; k < n && r >= 0; k++) {
                airsup_send_opts o = { .full = AIRSUP_BLOCK, .timeout_ns = 5 * SEC };
                r = airsup_publish(a, subject, 1, &k, sizeof(k), &o);
        }
        snprintf(file, sizeof(file), "pub-%s", tag);
        say(file, "%d\n", r);
        airsup_detach(a);
        return r < 0;
}

static int route_worker(void) {
        char file[64];
        uint32_t v;
        airsup_msg m;
        airsup *a;

        snprintf(file, sizeof(file), "w-%d", (int) getpid());
        if (airsup_attach(&a) < 0)
                return 1;
        (void) airsup_ready(a);
        for (;;) {
                int n = airsup_recv(a, &m, &v, sizeof(v), UINT64_MAX);
                if (n == sizeof(v))
                        say(file, "%u\n", v);
                if (n >= 0)
                        (void) airsup_commit(a, &m);
        }
}

static int route_send(const char *pool, uint32_t n) {
        char file[96];
        airsup_dest *d;
        airsup *a = NULL;
        int r;

        r = airsup_attach(&a);
        if (r >= 0)
                r = airsup_lookup(a, pool, 5 * SEC, &d);
        for (uint32_t k = 0; r >= 0 && k < n; k++) {
                airsup_send_opts o = { .full = AIRSUP_BLOCK, .timeout_ns = 5 * SEC, .key = k % 10 };
                uint32_t v = strstr(pool, "hash") ? k % 10 : k;
                r = airsup_send(d, 1, &v, sizeof(v), &o);
        }
        snprintf(file, sizeof(file), "sent-%s", pool);
        say(file, r >= 0 ? "sent\n" : "FAIL %d\n", r);
        airsup_detach(a);
        return r < 0;
}

static struct {
        const char *srv;
        uint64_t asked[11];
        int replies, timeouts;
} ak;

static int asker(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        airsup_dest *d;
        int k;

        (void) self;
        (void) state;
        if (m->type == 100) {
                if (airsup_lookup(airsup_sys_airsup(s), ak.srv, 5 * SEC, &d) < 0) {
                        say("actor", "FAIL lookup\n");
                        return 0;
                }
                for (k = 0; k < 10; k++)
                        if (airsup_ask(s, d, 1, "abc", 3, 5 * SEC, &ak.asked[k]) < 0)
                                say("actor", "FAIL ask %d\n", k);
                if (airsup_ask(s, d, 5, "x", 1, 200 * MS, &ak.asked[10]) < 0)
                        say("actor", "FAIL ask 10\n");
                return 0;
        }
        for (k = 0; k < 11 && ak.asked[k] != m->correlation; k++)
                ;
        if (k == 11) {
                say("actor", "FAIL unknown correlation %llu\n", (unsigned long long) m->correlation);
                return 0;
        }
        ak.asked[k] = 0;        /* each once */
        if (m->type == AIRSUP_TYPE_TIMEOUT && k == 10)
                ak.timeouts++;
        else if ((m->flags & AIRSUP_MSG_REPLY) && k < 10 && m->len == 3 && memcmp(data, "ABC", 3) == 0)
                ak.replies++;
        else
                say("actor", "FAIL message type %u for ask %d\n", m->type, k);
        if (ak.replies == 10 && ak.timeouts == 1)
                say("actor", "actor-ok\n");
        return 0;
}

static int actor_client(const char *srv) {
        static const airsup_behaviour b = { .handle = asker };
        airsup_sys *s;
        airsup_ref r;
        airsup *a;

        ak.srv = srv;
        if (airsup_attach(&a) < 0 || airsup_sys_new(a, NULL, &s) < 0 ||
            airsup_spawn(s, airsup_root(s), &b, NULL, &r) < 0)
                return 1;
        /* Outside a handler, an ask is refused. */
        if (airsup_ask(s, NULL, 1, NULL, 0, SEC, NULL) != -EINVAL)
                say("actor", "FAIL ask outside a handler\n");
        (void) airsup_tell(s, r, 100, NULL, 0);
        return airsup_sys_run(s) < 0;
}

static uint64_t now_ns(void) {
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (uint64_t) t.tv_sec * SEC + (uint64_t) t.tv_nsec;
}

#define MCHECK(cond, ...)                                     \
        do {                                                  \
                if (!(cond)) {                                \
                        say("mclient", "FAIL " __VA_ARGS__); \
                        return 1;                             \
                }                                             \
        } while (0)

/* A monitored request of type 1 to D once its server is back: -ESRCH
 * (not up) until then, asked again every 20 ms, 20 s at most. */
static int request_when_back(airsup *a, airsup_dest *d, char *rep, size_t size) {
        uint64_t end = now_ns() + 20 * SEC;
        int n;

        while ((n = airsup_request(a, d, 1, "back", 4, rep, size, 5 * SEC, NULL)) == -ESRCH && now_ns() < end) {
                struct timespec ts = { 0, 20 * 1000000 };
                (void) nanosleep(&ts, NULL);
        }
        return n;
}

static int mon_client(const char *srv) {
        char rep[256];
        airsup_down dn;
        airsup_dest *d;
        airsup_msg m;
        uint64_t t0, ms;
        airsup *a;
        int n;

        MCHECK(airsup_attach(&a) == 0, "attach\n");
        MCHECK(airsup_lookup(a, srv, 5 * SEC, &d) == 0, "lookup\n");
        MCHECK(airsup_dest_monitor(NULL, 1) == -EINVAL, "einval\n");
        MCHECK(airsup_dest_monitor(d, 1) == 0, "airsup_dest_monitor\n");
        n = airsup_request(a, d, 1, "abc", 3, rep, sizeof(rep), 5 * SEC, NULL);
        MCHECK(n == 3 && memcmp(rep, "ABC", 3) == 0, "first request: %d\n", n);
        say("mclient", "mon-ok1\n");
        /* The server writes DIR/inside and waits; the test kills it. */
        t0 = now_ns();
        n = airsup_request(a, d, 3, "x", 1, rep, sizeof(rep), 30 * SEC, NULL);
        ms = (now_ns() - t0) / MS;
        MCHECK(n == -ECONNRESET, "the killed server's request: %d after %llu ms\n", n, (unsigned long long) ms);
        MCHECK(ms < 10000, "the killed server's request ended after %llu ms\n", (unsigned long long) ms);
        say("mclient", "mon-reset %llu\n", (unsigned long long) ms);
        /* Its DOWN is the program's too, first of what was kept. */
        n = airsup_recv(a, &m, &dn, sizeof(dn), 5 * SEC);
        MCHECK(n == (int) sizeof(dn) && m.type == AIRSUP_TYPE_DOWN && dn.code == AIRSUP_DOWN_KILLED && dn.status == 9,
               "the DOWN after the reset: %d type %#x code %u status %d\n", n, m.type, n > 0 ? dn.code : 0,
               n > 0 ? dn.status : 0);
        (void) airsup_commit(a, &m);
        say("mclient", "mon-down\n");
        /* The next incarnation answers the redelivered type 3 before this
         * one: that answer came late, dropped and counted. */
        n = request_when_back(a, d, rep, sizeof(rep));
        MCHECK(n == 4 && memcmp(rep, "BACK", 4) == 0, "the request after the restart: %d\n", n);
        MCHECK(airsup_late_replies(a) >= 1, "late replies: %llu\n", (unsigned long long) airsup_late_replies(a));
        say("mclient", "mon-ok2 %llu\n", (unsigned long long) airsup_late_replies(a));
        /* The test stops the server, then says so with a message of type
         * 9; the stop's DOWN (on airsupd's channel, not a lane) may come
         * before or after it.  The NOPROCs of the requests that found the
         * server down above are not kept: their -ESRCH said it. */
        say("mclient", "mon-wait\n");
        for (bool told = false, down = false; !told || !down;) {
                n = airsup_recv(a, &m, rep, sizeof(rep), 30 * SEC);
                MCHECK(n >= 0, "waiting for the test: %d\n", n);
                (void) airsup_commit(a, &m);
                told = told || m.type == 9;
                if (m.type == AIRSUP_TYPE_DOWN && n == (int) sizeof(dn)) {
                        memcpy(&dn, rep, sizeof(dn));
                        down = down || dn.code == AIRSUP_DOWN_STOPPED;
                }
        }
        t0 = now_ns();
        n = airsup_request(a, d, 1, "abc", 3, rep, sizeof(rep), 30 * SEC, NULL);
        ms = (now_ns() - t0) / MS;
        MCHECK(n == -ESRCH && ms < 10000, "a request to a stopped server: %d after %llu ms\n", n,
               (unsigned long long) ms);
        say("mclient", "mon-esrch\n");
        /* Not monitored any more: it waits, and times out. */
        MCHECK(airsup_dest_monitor(d, 0) == 0, "airsup_dest_monitor off\n");
        n = airsup_request(a, d, 1, "abc", 3, rep, sizeof(rep), 100 * MS, NULL);
        MCHECK(n == -ETIMEDOUT, "unmonitored, the server stopped: %d\n", n);
        say("mclient", "done\n");
        airsup_detach(a);
        return 0;
}

static struct {
        const char *srv;
        airsup_dest *d;
        uint64_t slow, t0, back;
        int phase;
} am;

#define ACHECK(cond, ...)                                      \
        do {                                                   \
                if (!(cond)) {                                 \
                        say("amclient", "FAIL " __VA_ARGS__); \
                        return 0;                              \
                }                                              \
        } while (0)

static int mon_asker(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        int32_t e = 0;
        int r;

        (void) state;
        if (m->type == 100) {
                ACHECK(airsup_lookup(airsup_sys_airsup(s), am.srv, 5 * SEC, &am.d) == 0, "lookup\n");
                ACHECK(airsup_dest_monitor(am.d, 1) == 0, "airsup_dest_monitor\n");
                ACHECK((r = airsup_ask(s, am.d, 1, "abc", 3, 5 * SEC, NULL)) == 0, "ask: %d\n", r);
                return 0;
        }
        if (m->type == 101) {
                /* Asked again every 20 ms until the server is back. */
                r = airsup_ask(s, am.d, 1, "back", 4, 5 * SEC, &am.back);
                if (r == -ESRCH)
                        r = airsup_send_after(s, self, 20 * MS, 0, 101, NULL, 0, NULL);
                ACHECK(r == 0, "ask after the restart: %d\n", r);
                return 0;
        }
        if (am.phase == 0) {
                ACHECK((m->flags & AIRSUP_MSG_REPLY) && m->len == 3 && memcmp(data, "ABC", 3) == 0,
                       "first reply: type %#x len %u\n", m->type, m->len);
                /* The server writes DIR/inside and waits; the test kills it. */
                am.phase = 1;
                am.t0 = now_ns();
                ACHECK((r = airsup_ask(s, am.d, 3, "x", 1, 30 * SEC, &am.slow)) == 0, "slow ask: %d\n", r);
                return 0;
        }
        if (am.phase == 1) {
                uint64_t ms = (now_ns() - am.t0) / MS;
                if (m->len == sizeof(e))
                        memcpy(&e, data, sizeof(e));
                ACHECK(m->type == AIRSUP_TYPE_TIMEOUT && m->correlation == am.slow && e == -ECONNRESET && ms < 10000,
                       "the killed server's ask: type %#x len %u error %d after %llu ms\n", m->type, m->len, e,
                       (unsigned long long) ms);
                say("amclient", "amon-reset %llu\n", (unsigned long long) ms);
                am.phase = 2;
                return airsup_tell(s, self, 101, NULL, 0);
        }
        if (m->type == AIRSUP_TYPE_TIMEOUT && m->correlation == am.back && m->len == sizeof(e)) {
                /* Asked while the server was not up yet, its NOPROC after
                 * the send: asked again. */
                memcpy(&e, data, sizeof(e));
                ACHECK(e == -ESRCH, "the ask after the restart: error %d\n", e);
                return airsup_send_after(s, self, 20 * MS, 0, 101, NULL, 0, NULL);
        }
        ACHECK((m->flags & AIRSUP_MSG_REPLY) && m->correlation == am.back && m->len == 4 && memcmp(data, "BACK", 4) == 0,
               "the reply after the restart: type %#x len %u\n", m->type, m->len);
        ACHECK(airsup_late_replies(airsup_sys_airsup(s)) >= 1, "late replies: %llu\n",
               (unsigned long long) airsup_late_replies(airsup_sys_airsup(s)));
        say("amclient", "amon-ok %llu\n", (unsigned long long) airsup_late_replies(airsup_sys_airsup(s)));
        return 0;
}

static int actor_mon_client(const char *srv) {
        static const airsup_behaviour b = { .handle = mon_asker };
        airsup_sys *s;
        airsup_ref r;
        airsup *a;

        am.srv = srv;
        if (airsup_attach(&a) < 0 || airsup_sys_new(a, NULL, &s) < 0 ||
            airsup_spawn(s, airsup_root(s), &b, NULL, &r) < 0)
                return 1;
        (void) airsup_tell(s, r, 100, NULL, 0);
        return airsup_sys_run(s) < 0;
}

static int subject_client(const char *subject, int n) {
        airsup_dest *d, *none;
        airsup_msg m = {};
        char req[32], rep[64], want[32];
        airsup *a;
        int r;

        if (airsup_attach(&a) < 0)
                return 1;
        if (airsup_lookup_subject(a, subject, &d) < 0 || airsup_lookup_subject(a, "nobody.serves.this", &none) < 0) {
                say("subject", "FAIL lookup_subject\n");
                return 1;
        }
        for (int k = 0; k < n; k++) {
                int len = snprintf(req, sizeof(req), "req%d", k);
                snprintf(want, sizeof(want), "REQ%d", k);
                r = airsup_request(a, d, 1, req, (size_t) len, rep, sizeof(rep), 10 * SEC, &m);
                if (r != len || memcmp(rep, want, (size_t) len) != 0 || m.type != 2) {
                        say("subject", "FAIL request %d: %d\n", k, r);
                        return 1;
                }
        }
        r = airsup_request(a, none, 1, "x", 1, rep, sizeof(rep), 10 * SEC, NULL);
        if (r != -ENOENT) {
                say("subject", "FAIL nobody: %d\n", r);
                return 1;
        }
        say("subject", "subject-ok %d %s\n", n, m.sender);
        airsup_detach(a);
        return 0;
}

int main(int argc, char **argv) {
        if (argc == 3 && strcmp(argv[1], "server") == 0)
                return dir = argv[2], server();
        if (argc == 4 && strcmp(argv[1], "client") == 0)
                return dir = argv[3], client(argv[2]);
        if (argc == 4 && strcmp(argv[1], "sub") == 0)
                return dir = argv[3], sub(argv[2]);
        if (argc == 4 && strcmp(argv[1], "sub-actors") == 0)
                return dir = argv[3], sub_actors(argv[2]);
        if (argc == 6 && strcmp(argv[1], "pub") == 0)
                return dir = argv[5], pub(argv[2], (uint32_t) strtoul(argv[3], NULL, 10), argv[4], 0);
        if (argc == 7 && strcmp(argv[1], "pub-big") == 0)
                return dir = argv[6], pub(argv[2], (uint32_t) strtoul(argv[3], NULL, 10), argv[5],
                                          (size_t) strtoul(argv[4], NULL, 10));
        if (argc == 3 && strcmp(argv[1], "route-worker") == 0)
                return dir = argv[2], route_worker();
        if (argc == 5 && strcmp(argv[1], "route-send") == 0)
                return dir = argv[4], route_send(argv[2], (uint32_t) strtoul(argv[3], NULL, 10));
        if (argc == 3 && strcmp(argv[1], "lifecycle") == 0)
                return dir = argv[2], lifecycle();
        if (argc == 4 && strcmp(argv[1], "watcher") == 0)
                return dir = argv[3], watcher(argv[2]);
        if (argc == 4 && strcmp(argv[1], "actor-watcher") == 0)
                return dir = argv[3], actor_watcher(argv[2]);
        if (argc == 4 && strcmp(argv[1], "reg-owner") == 0)
                return dir = argv[3], reg_name = argv[2], server();
        if (argc == 4 && strcmp(argv[1], "reg-actor") == 0)
                return dir = argv[3], reg_name = argv[2], actor_server();
        if (argc == 4 && strcmp(argv[1], "reg-race") == 0)
                return dir = argv[3], reg_race(argv[2]);
        if (argc == 4 && strcmp(argv[1], "reg-client") == 0)
                return dir = argv[3], reg_client(argv[2]);
        if (argc == 3 && strcmp(argv[1], "reg-bad") == 0)
                return dir = argv[2], reg_bad("server");
        if (argc == 4 && strcmp(argv[1], "reg-bad") == 0)
                return dir = argv[2], reg_bad(argv[3]);
        if (argc == 4 && strcmp(argv[1], "alias-client") == 0)
                return dir = argv[3], alias_client(argv[2]);
        if (argc == 4 && strcmp(argv[1], "client-echo") == 0)
                return dir = argv[3], client_echo(argv[2]);
        if (argc == 3 && strcmp(argv[1], "actor-server") == 0)
                return dir = argv[2], actor_server();
        if (argc == 5 && strcmp(argv[1], "subject-client") == 0)
                return dir = argv[4], subject_client(argv[2], atoi(argv[3]));
        if (argc == 4 && strcmp(argv[1], "actor-client") == 0)
                return dir = argv[3], actor_client(argv[2]);
        if (argc == 4 && strcmp(argv[1], "mon-client") == 0)
                return dir = argv[3], mon_client(argv[2]);
        if (argc == 4 && strcmp(argv[1], "actor-mon-client") == 0)
                return dir = argv[3], actor_mon_client(argv[2]);
        fprintf(stderr, "usage: req-peer server DIR | client SERVER DIR | actor-server DIR | actor-client SERVER DIR\n");
        return 2;
}
