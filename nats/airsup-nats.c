/* airsup-nats - the bridge between a deployment's subjects and NATS
 * (airsup-nats(8)): a group airsupd supervises like any other, which
 * exports what is published locally to subjects its configuration
 * names, and imports what NATS carries on others.
 *
 * airsupd passes the configuration in the environment (AIRSUP_NATS_URL,
 * AIRSUP_NATS_CREDENTIALS, AIRSUP_NATS_EXPORT, AIRSUP_NATS_IMPORT and
 * their _JETSTREAM forms); what it exports is also the group's durable
 * subscription, so that it queues in the bridge's lanes while the bridge
 * restarts or NATS is away.
 *
 * One thread of the program's own (this file's main loop) takes what
 * comes on the lanes and publishes it to NATS.  What libnats's threads
 * receive they publish locally themselves when the main loop is idle, or
 * else hand it over through a bounded queue (an eventfd says there is
 * some); one mutex serialises the use of the airsup handle.  An
 * export is committed (taken off its lane) only after NATS took it: for
 * core NATS once libnats has it (at most once: a server that goes away
 * may lose what was in flight), for JetStream once the stream acknowledged
 * it (at least once).  While the connection is down nothing is taken off
 * the lanes: they fill, and publishers wait or fail as they chose.
 *
 * Loops: an import is published locally by this instance, so it comes
 * back only on the lane whose sender airsupd names as this instance
 * (when this bridge also exports the subject): such a message is never
 * exported.  The connection asks NATS not to echo what it publishes
 * (no_echo), so an export never comes back as an import. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <nats/nats.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "child/airsup.h"
#include "child/lib.h"
#include "common/subject.h"

#define QUEUE_MAX 4096                  /* imports received and not yet published locally */
#define PATTERNS_MAX 64
#define BUF_FIRST 65536
#define TYPE_HEADER "Airsup-Type"
#define SEC UINT64_C(1000000000)

typedef struct patterns {
        char *list[PATTERNS_MAX];
        unsigned n;
} patterns;

/* What the threads of libnats hand the main loop while it is busy. */
typedef struct import_queue {
        pthread_mutex_t lock;
        pthread_cond_t room;
        natsMsg *q[QUEUE_MAX];
        unsigned head, n;
        int efd;
        bool stopping;
} import_queue;

static struct {
        airsup *a;
        natsConnection *nc;
        jsCtx *js;
        patterns export[2], import[2];  /* [0] core, [1] JetStream */
        const char *self;               /* this instance, as airsupd names a lane's sender */
        import_queue in;
        /* Held by whichever thread uses the airsup handle (main's loop,
         * or libnats's thread importing at once) and the tables and
         * counters below: see on_nats_msg(). */
        pthread_mutex_t local;
        atomic_bool connected;
        atomic_uint_fast64_t reconnects, disconnects;
        /* Counted under local. */
        uint64_t exported, imported, looped, refused, too_big, js_acks, js_failures, nobody, redelivered;
        uint64_t requests_out, requests_in, replies_out, replies_in, late_replies;
        char *inbox;                    /* this connection's inbox prefix: replies to our requests */
        bool said_connected;            /* what the last STATUS= said */
        bool said_once;
        bool unflushed;                 /* core exports may wait in libnats's buffer */
        uint64_t said_at_ns;            /* when the counters were last reported */
        volatile sig_atomic_t stop;
} b = { .in = { .lock = PTHREAD_MUTEX_INITIALIZER, .room = PTHREAD_COND_INITIALIZER, .efd = -1 },
        .local = PTHREAD_MUTEX_INITIALIZER };

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "airsup-nats: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

/* NAME's patterns (blank-separated), each checked as a pattern. */
static int patterns_from(const char *name, patterns *p) {
        const char *v = getenv(name);
        char *copy, *save = NULL;

        if (!v || !*v)
                return 0;
        copy = strdup(v);
        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (!subject_valid(w, true) || p->n == PATTERNS_MAX) {
                        say("%s: '%s' is not a subject pattern (or too many)", name, w);
                        return -EINVAL;
                }
                p->list[p->n++] = w;
        }
        return 0;
}

static bool patterns_match(const patterns *p, const char *subject) {
        for (unsigned i = 0; i < p->n; i++)
                if (subject_match(p->list[i], subject))
                        return true;
        return false;
}

/* Requests across hosts.  Out: a local request published to an
 * exported subject goes to NATS with a reply subject INBOX.ID; its reply
 * is given to the requester as airsup_reply() would (to the instance
 * that asked, with its correlation id and actor).  In: a NATS request to
 * an imported subject is published locally with the bridge's own
 * correlation id ID; the local server's reply comes back to the bridge
 * and goes to the NATS reply subject.  Each table holds the last
 * REQS_MAX (a slot per ID modulo): a reply later than that is late. */
#define REQS_MAX 4096

typedef struct out_req {
        uint64_t id;                    /* 0: free */
        char requester[AIRSUP_NAME_MAX];
        uint64_t correlation, reply_to;
} out_req;

typedef struct in_req {
        uint64_t id;
        char *reply;                    /* the NATS reply subject */
} in_req;

/* Every subscription made, destroyed at the end. */
static natsSubscription *subs[2 * PATTERNS_MAX + 1];
static unsigned n_subs;

static out_req outs[REQS_MAX];
static in_req ins[REQS_MAX];
static uint64_t out_next, in_next;

/* ---- libnats's threads ------------------------------------------------ */

static void wake(void) {
        uint64_t one = 1;
        (void) !write(b.in.efd, &one, sizeof(one));
}

static void import_one(natsMsg *msg);

/* A message from NATS.  If nothing waits in the queue and the main loop
 * is not using the handle, it is published locally at once, on this
 * thread (a request crossing the bridge saves a hand-over and a wake-up
 * of the main loop); otherwise it goes to the queue, behind what waits
 * there, for the main loop, which pops only while it holds local, so
 * that order is kept.  Waits while the queue is full (libnats then
 * holds what comes, up to its pending limits). */
static void on_nats_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure) {
        import_queue *q = &b.in;
        bool was_empty;

        (void) nc, (void) sub, (void) closure;
        pthread_mutex_lock(&q->lock);
        if (q->n == 0 && !q->stopping && pthread_mutex_trylock(&b.local) == 0) {
                pthread_mutex_unlock(&q->lock);
                import_one(msg);
                pthread_mutex_unlock(&b.local);
                return;
        }
        while (q->n == QUEUE_MAX && !q->stopping)
                pthread_cond_wait(&q->room, &q->lock);
        if (q->stopping) {
                pthread_mutex_unlock(&q->lock);
                natsMsg_Destroy(msg);
                return;
        }
        q->q[(q->head + q->n++) % QUEUE_MAX] = msg;
        was_empty = q->n == 1;
        pthread_mutex_unlock(&q->lock);
        /* The main loop empties the queue before it waits (it looks at
         * q->n under the lock): only the first message after that needs
         * to wake it, not one write per message. */
        if (was_empty)
                wake();
}

static void on_disconnected(natsConnection *nc, void *closure) {
        (void) nc, (void) closure;
        atomic_store(&b.connected, false);
        atomic_fetch_add(&b.disconnects, 1);
        wake();
}

static void on_reconnected(natsConnection *nc, void *closure) {
        (void) nc, (void) closure;
        atomic_store(&b.connected, true);
        atomic_fetch_add(&b.reconnects, 1);
        wake();
}

/* ---- the main loop ---------------------------------------------------- */

/* Up to MAX imports into OUT under one taking of the lock: the number.
 * libnats's thread is woken only if it waits for room (a full queue).
 * The caller holds local. */
static unsigned queue_pop(natsMsg **out, unsigned max) {
        import_queue *q = &b.in;
        unsigned n;

        pthread_mutex_lock(&q->lock);
        if (q->n == QUEUE_MAX)
                pthread_cond_broadcast(&q->room);
        for (n = 0; n < max && q->n > 0; n++) {
                out[n] = q->q[q->head];
                q->head = (q->head + 1) % QUEUE_MAX;
                q->n--;
        }
        pthread_mutex_unlock(&q->lock);
        return n;
}

/* One message from NATS published locally.  A JetStream one is
 * acknowledged only once it is in every local subscriber's lane; one
 * that reached no subscriber, or not all, is not (it comes again). */
static void import_one(natsMsg *msg) {
        const char *subject = natsMsg_GetSubject(msg), *tv = NULL;
        airsup_send_opts o = { .full = AIRSUP_BLOCK, .timeout_ns = SEC };
        const char *reply = natsMsg_GetReply(msg);
        bool js = reply && strncmp(reply, "$JS.ACK.", 8) == 0;
        uint32_t type = 0;
        int r;

        /* A reply to one of our requests out. */
        if (subject && b.inbox && strncmp(subject, b.inbox, strlen(b.inbox)) == 0 && subject[strlen(b.inbox)] == '.') {
                char *end;
                uint64_t id = strtoull(subject + strlen(b.inbox) + 1, &end, 10);
                out_req *q = &outs[id % REQS_MAX];

                if (*end == '\0' && id != 0 && q->id == id) {
                        airsup_msg req = { .correlation = q->correlation, .reply_to = q->reply_to };

                        if (natsMsgHeader_Get(msg, TYPE_HEADER, &tv) == NATS_OK && tv)
                                type = (uint32_t) strtoul(tv, NULL, 10);
                        memcpy(req.sender, q->requester, sizeof(req.sender));
                        q->id = 0;
                        if (airsup_reply(b.a, &req, type, natsMsg_GetData(msg),
                                         (size_t) natsMsg_GetDataLength(msg)) >= 0)
                                b.replies_in++;
                } else
                        b.late_replies++;
                natsMsg_Destroy(msg);
                return;
        }
        if (!subject || !subject_valid(subject, false)) {
                /* NATS allows what our subjects do not (longer, odd bytes). */
                b.refused++;
                if (js)
                        (void) natsMsg_Term(msg, NULL);
                natsMsg_Destroy(msg);
                return;
        }
        if (js) {
                jsMsgMetaData *meta = NULL;
                if (natsMsg_GetMetaData(&meta, msg) == NATS_OK && meta->NumDelivered > 1)
                        b.redelivered++;
                jsMsgMetaData_Destroy(meta);
        }
        if (natsMsgHeader_Get(msg, TYPE_HEADER, &tv) == NATS_OK && tv) {
                char *end;
                unsigned long t = strtoul(tv, &end, 10);
                if (*end == '\0' && t <= UINT32_MAX)
                        type = (uint32_t) t;
        }
        /* A request: published with an id of ours, its reply subject kept. */
        if (!js && reply && *reply) {
                in_req *q;

                o.correlation = ++in_next;
                q = &ins[o.correlation % REQS_MAX];
                free(q->reply);
                q->reply = strdup(reply);
                q->id = q->reply ? o.correlation : 0;
                b.requests_in++;
        }
        r = airsup_publish(b.a, subject, type, natsMsg_GetData(msg), (size_t) natsMsg_GetDataLength(msg), &o);
        if (r == -EMSGSIZE) {
                /* Larger than a subscriber's message_max: never
                 * deliverable here; a JetStream one is terminated, not
                 * redelivered forever. */
                b.too_big++;
                (void) airsup__dead_outside(b.a, subject, type, natsMsg_GetData(msg),
                                            (size_t) natsMsg_GetDataLength(msg));
                if (js)
                        (void) natsMsg_Term(msg, NULL);
        } else if (r > 0) {
                b.imported++;
                if (js)
                        (void) natsMsg_Ack(msg, NULL);
        } else {
                if (r == 0)
                        b.nobody++;
                if (js)
                        (void) natsMsg_NakWithDelay(msg, 1000, NULL);
        }
        natsMsg_Destroy(msg);
}

/* One local message exported (SUBJECT, TYPE, LEN bytes of DATA; REPLY
 * the reply subject of a request, or NULL): 0 done (commit it), or a
 * failure that leaves it on its lane. */
static int export_one(const char *subject, uint32_t type, const void *data, size_t len, const char *reply) {
        bool js = !reply && patterns_match(&b.export[1], subject);
        natsMsg *msg = NULL;
        char tv[16];
        natsStatus s;

        if (type == 0 && !js) {
                /* No header to carry: no message to build either. */
                s = reply ? natsConnection_PublishRequest(b.nc, subject, reply, data, (int) len)
                          : natsConnection_Publish(b.nc, subject, data, (int) len);
                b.unflushed = true;
                return s == NATS_OK ? 0 : -EIO;
        }
        s = natsMsg_Create(&msg, subject, reply, data, (int) len);
        if (s == NATS_OK && type != 0) {
                snprintf(tv, sizeof(tv), "%" PRIu32, type);
                s = natsMsgHeader_Set(msg, TYPE_HEADER, tv);
        }
        if (s == NATS_OK && js) {
                jsPubAck *ack = NULL;
                jsErrCode jerr = 0;

                s = js_PublishMsg(&ack, b.js, msg, NULL, &jerr);
                jsPubAck_Destroy(ack);
                if (s == NATS_OK)
                        b.js_acks++;
                else
                        b.js_failures++;
        } else if (s == NATS_OK) {
                s = natsConnection_PublishMsg(b.nc, msg);
                b.unflushed = true;
        }
        natsMsg_Destroy(msg);
        return s == NATS_OK ? 0 : -EIO;
}

/* A local server's reply to a request that came from NATS: to its reply
 * subject, once. */
static void reply_out(const airsup_msg *m, const void *data, size_t len) {
        in_req *q = &ins[m->correlation % REQS_MAX];

        if (m->correlation == 0 || q->id != m->correlation) {
                b.late_replies++;
                return;
        }
        if (export_one(q->reply, m->type, data, len, NULL) == 0)
                b.replies_out++;
        free(q->reply);
        *q = (in_req) {};
}

/* The lanes ran dry: what core exports libnats holds goes out now.
 * libnats gathers publishes in a buffer that its flusher thread writes
 * only after a millisecond's wait for more (or when it is full): under
 * load that makes few, large writes, but a lone message would wait that
 * millisecond on every bridge it crosses.  A flush writes the buffer at
 * once, with a PING, and waits for the server's PONG (a round trip to
 * it, bounded to 100 ms).  A thread of ours waits for it, not the main
 * loop: a busy server's PONG would otherwise stop the lanes being read
 * for that long, every time they ran dry, and a publisher whose lane
 * fills meanwhile would wait too.  Asked again while it waits, it
 * flushes once more after.  JetStream exports need none (each is a
 * request, written at once). */
static struct {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool wanted, stop, started;
        pthread_t thread;
} fl = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void *flusher(void *arg) {
        (void) arg;
        pthread_mutex_lock(&fl.lock);
        for (;;) {
                while (!fl.wanted && !fl.stop)
                        pthread_cond_wait(&fl.cond, &fl.lock);
                if (fl.stop)
                        break;
                fl.wanted = false;
                pthread_mutex_unlock(&fl.lock);
                (void) natsConnection_FlushTimeout(b.nc, 100);
                pthread_mutex_lock(&fl.lock);
        }
        pthread_mutex_unlock(&fl.lock);
        return NULL;
}

static void flush_exports(void) {
        if (!b.unflushed)
                return;
        b.unflushed = false;
        pthread_mutex_lock(&fl.lock);
        fl.wanted = true;
        pthread_cond_signal(&fl.cond);
        pthread_mutex_unlock(&fl.lock);
}

/* What waits on the lanes, 256 at most: 1 if there may be more (the fd is
 * armed only once a receive said -EAGAIN), 0 if they ran dry or the
 * connection is down.  The caller holds local. */
static int export_some(void **buf, size_t *size) {
        (void) airsup_process(b.a);
        for (unsigned k = 0; k < 256; k++) {
                char subject[SUBJECT_MAX + 1], reply[64];
                const uint8_t *payload;
                uint32_t to_len = 0;
                airsup_msg m;
                size_t plen;
                int r;

                if (!atomic_load(&b.connected))
                        return 0;
                /* Raw: replies to the bridge are its own business. */
                r = airsup__recv_raw(b.a, &m, *buf, *size, &to_len);
                if (r == -EAGAIN)
                        return 0;
                if (r == -EMSGSIZE) {
                        void *n = realloc(*buf, m.len);
                        if (!n)
                                return -ENOMEM;
                        *buf = n;
                        *size = m.len;
                        continue;
                }
                if (r < 0)
                        return r;
                if (m.flags & AIRSUP_MSG_REPLY) {
                        reply_out(&m, *buf, (size_t) r);
                        (void) airsup_commit(b.a, &m);
                        continue;
                }
                if (!(m.flags & AIRSUP_MSG_PUBLISH) || to_len > (uint32_t) r || to_len > SUBJECT_MAX) {
                        (void) airsup_commit(b.a, &m);
                        continue;
                }
                memcpy(subject, *buf, to_len);
                subject[to_len] = '\0';
                payload = (const uint8_t *) *buf + to_len;
                plen = (size_t) r - to_len;
                if (strcmp(m.sender, b.self) == 0 || !subject_valid(subject, false) ||
                    (!patterns_match(&b.export[0], subject) && !patterns_match(&b.export[1], subject))) {
                        /* Its own import coming back (never sent out
                         * again), or nothing it exports. */
                        if (strcmp(m.sender, b.self) == 0)
                                b.looped++;
                        (void) airsup_commit(b.a, &m);
                        continue;
                }
                if (m.correlation != 0 && b.inbox) {
                        /* A request: its reply comes to INBOX.ID. */
                        out_req *o;
                        uint64_t id = ++out_next;

                        o = &outs[id % REQS_MAX];
                        *o = (out_req) { .id = id, .correlation = m.correlation, .reply_to = m.reply_to };
                        memcpy(o->requester, m.sender, sizeof(o->requester));
                        snprintf(reply, sizeof(reply), "%s.%" PRIu64, b.inbox, id);
                        if (export_one(subject, m.type, payload, plen, reply) < 0) {
                                o->id = 0;
                                return 1;
                        }
                        b.requests_out++;
                } else if (export_one(subject, m.type, payload, plen, NULL) < 0)
                        return 1;       /* left on its lane: again when NATS takes it */
                b.exported++;
                (void) airsup_commit(b.a, &m);
        }
        return 1;
}

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

/* To airsupd (sd_notify): a change of the connection as STATUS= (an
 * event) and AIRSUP_HEALTH= (degraded while away), and the counters at
 * most once a second (AIRSUP_COUNTERS=, among airsupd's metrics as
 * airsup_process_reported). */
static void report(void) {
        bool connected = atomic_load(&b.connected);
        uint64_t now = now_ns();

        if (!b.said_once || connected != b.said_connected) {
                b.said_once = true;
                b.said_connected = connected;
                if (connected)
                        (void) sd_notifyf(0, "STATUS=connected to NATS\nAIRSUP_HEALTH=healthy");
                else
                        (void) sd_notifyf(0, "STATUS=disconnected from NATS (%" PRIu64 " times): reconnecting, "
                                          "exports wait in the lanes\nAIRSUP_HEALTH=degraded",
                                          (uint64_t) atomic_load(&b.disconnects));
        }
        if (now - b.said_at_ns < SEC)
                return;
        b.said_at_ns = now;
        (void) sd_notifyf(0, "AIRSUP_COUNTERS=nats_out=%" PRIu64 " nats_in=%" PRIu64 " nats_pending_bytes=%d "
                          "nats_reconnects=%" PRIu64 " nats_js_acks=%" PRIu64 " nats_js_failures=%" PRIu64
                          " nats_redelivered=%" PRIu64 " nats_looped=%" PRIu64 " nats_refused=%" PRIu64
                          " nats_too_big=%" PRIu64 " nats_no_subscriber=%" PRIu64 " nats_requests_out=%" PRIu64
                          " nats_requests_in=%" PRIu64 " nats_late_replies=%" PRIu64,
                          b.exported, b.imported, b.nc ? natsConnection_Buffered(b.nc) : 0,
                          (uint64_t) atomic_load(&b.reconnects), b.js_acks, b.js_failures, b.redelivered, b.looped,
                          b.refused, b.too_big, b.nobody, b.requests_out, b.requests_in, b.late_replies);
}

static void on_signal(int sig) {
        (void) sig;
        b.stop = 1;
}

static int connect_nats(void) {
        const char *url = getenv("AIRSUP_NATS_URL"), *cred = getenv("AIRSUP_NATS_CREDENTIALS"),
                   *ca = getenv("AIRSUP_NATS_TLS_CA"), *cert = getenv("AIRSUP_NATS_TLS_CERT"),
                   *key = getenv("AIRSUP_NATS_TLS_KEY");
        natsOptions *o = NULL;
        natsStatus s;

        if (!url || !*url) {
                say("AIRSUP_NATS_URL is not set: run me as a group with nats = (airsup.conf(5))");
                return -EINVAL;
        }
        s = natsOptions_Create(&o);
        if (s == NATS_OK)
                s = natsOptions_SetURL(o, url);
        if (s == NATS_OK)
                s = natsOptions_SetName(o, b.self);
        if (s == NATS_OK)
                s = natsOptions_SetNoEcho(o, true);

        if (s == NATS_OK)
                s = natsOptions_SetMaxReconnect(o, -1);
        if (s == NATS_OK)
                s = natsOptions_SetReconnectWait(o, 250);
        if (s == NATS_OK)
                s = natsOptions_SetDisconnectedCB(o, on_disconnected, NULL);
        if (s == NATS_OK)
                s = natsOptions_SetReconnectedCB(o, on_reconnected, NULL);
        if (s == NATS_OK)
                s = natsOptions_SetRetryOnFailedConnect(o, true, on_reconnected, NULL);
        if (s == NATS_OK && cred && *cred)
                s = natsOptions_SetUserCredentialsFromFiles(o, cred, NULL);
        /* TLS: a CA to trust, a client certificate and key; tls:// URLs
         * or any of these make the connection secure. */
        if (s == NATS_OK && (ca || cert || strstr(url, "tls://")))
                s = natsOptions_SetSecure(o, true);
        if (s == NATS_OK && ca)
                s = natsOptions_LoadCATrustedCertificates(o, ca);
        if (s == NATS_OK && cert && key)
                s = natsOptions_LoadCertificatesChain(o, cert, key);
        if (s == NATS_OK) {
                s = natsConnection_Connect(&b.nc, o);
                if (s == NATS_OK)
                        atomic_store(&b.connected, true);
                else if (s == NATS_NOT_YET_CONNECTED)
                        s = NATS_OK;    /* it goes on trying; on_reconnected() says when */
        }
        natsOptions_Destroy(o);
        if (s != NATS_OK) {
                say("cannot connect to %s: %s", url, natsStatus_GetText(s));
                return -EIO;
        }
        return 0;
}

static int subscribe_imports(void) {
        natsStatus s = NATS_OK;

        if (b.export[1].n > 0 || b.import[1].n > 0) {
                s = natsConnection_JetStream(&b.js, b.nc, NULL);
                if (s != NATS_OK) {
                        say("JetStream: %s", natsStatus_GetText(s));
                        return -EIO;
                }
        }
        /* Replies to the requests it exports come to an inbox of its own. */
        if (s == NATS_OK && (b.export[0].n > 0 || b.export[1].n > 0)) {
                natsInbox *inbox = NULL;
                char pattern[128];
                natsSubscription *sub = NULL;

                s = natsInbox_Create(&inbox);
                if (s == NATS_OK && !(b.inbox = strdup(inbox)))
                        s = NATS_NO_MEMORY;
                natsInbox_Destroy(inbox);
                if (s == NATS_OK) {
                        snprintf(pattern, sizeof(pattern), "%s.*", b.inbox);
                        s = natsConnection_Subscribe(&sub, b.nc, pattern, on_nats_msg, NULL);
                        if (s == NATS_OK)
                                subs[n_subs++] = sub;
                }
        }
        for (unsigned i = 0; i < b.import[0].n && s == NATS_OK; i++) {
                natsSubscription *sub = NULL;
                s = natsConnection_Subscribe(&sub, b.nc, b.import[0].list[i], on_nats_msg, NULL);
                if (s == NATS_OK)
                        subs[n_subs++] = sub;
        }
        for (unsigned i = 0; i < b.import[1].n && s == NATS_OK; i++) {
                natsSubscription *sub = NULL;
                jsSubOptions so;
                jsErrCode jerr = 0;
                char durable[128];

                /* One durable consumer per instance and pattern: what came
                 * while the bridge was down waits in the stream for it. */
                snprintf(durable, sizeof(durable), "airsup_%s_%u", b.self, i);
                for (char *c = durable; *c; c++)
                        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
                                *c = '_';
                jsSubOptions_Init(&so);
                so.Config.Durable = durable;
                so.ManualAck = true;
                so.Config.AckPolicy = js_AckExplicit;
                so.Config.MaxAckPending = QUEUE_MAX;
                s = js_Subscribe(&sub, b.js, b.import[1].list[i], on_nats_msg, NULL, NULL, &so, &jerr);
                if (s == NATS_OK)
                        subs[n_subs++] = sub;
                if (s != NATS_OK)
                        say("import_jetstream %s: %s (is there a stream for it?)", b.import[1].list[i],
                            natsStatus_GetText(s));
        }
        if (s != NATS_OK) {
                say("cannot subscribe: %s", natsStatus_GetText(s));
                return -EIO;
        }
        return 0;
}

static void help(void) {
        printf("Usage: airsup-nats\n"
               "\n"
               "Bridge a deployment's subjects to NATS: run as a group of airsupd whose\n"
               "configuration has nats = (see airsup-nats(8), airsup.conf(5)).  It reads\n"
               "AIRSUP_NATS_URL, AIRSUP_NATS_CREDENTIALS, AIRSUP_NATS_EXPORT,\n"
               "AIRSUP_NATS_EXPORT_JETSTREAM, AIRSUP_NATS_IMPORT and\n"
               "AIRSUP_NATS_IMPORT_JETSTREAM, which airsupd sets from it.\n");
}

int main(int argc, char **argv) {
        struct sigaction sa = { .sa_handler = on_signal };
        size_t size = BUF_FIRST;
        void *buf;
        int r;

        if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                help();
                return 0;
        }
        if (argc > 1) {
                fprintf(stderr, "airsup-nats: takes no arguments (its configuration is airsupd's)\n");
                return 2;
        }
        b.self = getenv("AIRSUP_GROUP");
        if (!b.self) {
                say("not started by airsupd");
                return 2;
        }
        if (patterns_from("AIRSUP_NATS_EXPORT", &b.export[0]) < 0 ||
            patterns_from("AIRSUP_NATS_EXPORT_JETSTREAM", &b.export[1]) < 0 ||
            patterns_from("AIRSUP_NATS_IMPORT", &b.import[0]) < 0 ||
            patterns_from("AIRSUP_NATS_IMPORT_JETSTREAM", &b.import[1]) < 0)
                return 2;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        /* libnats allocates each message on its own threads and this
         * loop frees it: left to itself, glibc gives the freed top of
         * those heaps back (madvise) and faults it in again a moment
         * later, a page fault per page, thousands of times a second. */
        (void) mallopt(M_TRIM_THRESHOLD, 64 << 20);
        r = airsup_attach(&b.a);
        if (r < 0) {
                say("cannot attach to airsupd: %s", strerror(-r));
                return 1;
        }
        b.in.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        buf = malloc(size);
        if (b.in.efd < 0 || !buf)
                return 1;
        if (connect_nats() < 0 || subscribe_imports() < 0)
                return 1;
        if (pthread_create(&fl.thread, NULL, flusher, NULL) != 0)
                return 1;
        fl.started = true;
        (void) airsup_ready(b.a);

        while (!b.stop) {
                struct pollfd p[2] = { { .fd = airsup_fd(b.a), .events = POLLIN }, { .fd = b.in.efd, .events = POLLIN } };
                natsMsg *msg[256];
                unsigned n;
                uint64_t v;

                (void) !read(b.in.efd, &v, sizeof(v));
                pthread_mutex_lock(&b.local);
                report();
                /* airsupd's records (a health = ping probe's PING) are
                 * answered at every turn, connected or not. */
                (void) airsup_process(b.a);
                n = queue_pop(msg, 256);
                for (unsigned k = 0; k < n; k++)
                        import_one(msg[k]);
                r = export_some(&buf, &size);
                pthread_mutex_unlock(&b.local);
                /* The lanes ran dry: out with what libnats holds (a round
                 * trip to the server, while imports go on). */
                if (r == 0 && atomic_load(&b.connected))
                        flush_exports();
                if (r < 0 && r != -EBADMSG) {
                        say("receiving: %s", strerror(-r));
                        break;
                }
                /* More to do at once, or wait for either side (the lanes
                 * are not looked at while NATS is away). */
                pthread_mutex_lock(&b.in.lock);
                v = b.in.n;
                pthread_mutex_unlock(&b.in.lock);
                if (v > 0 || r > 0)
                        continue;
                (void) poll(atomic_load(&b.connected) ? p : p + 1, atomic_load(&b.connected) ? 2 : 1, 100);
        }
        pthread_mutex_lock(&b.in.lock);
        b.in.stopping = true;
        pthread_cond_broadcast(&b.in.room);
        pthread_mutex_unlock(&b.in.lock);
        pthread_mutex_lock(&fl.lock);
        fl.stop = true;
        pthread_cond_signal(&fl.cond);
        pthread_mutex_unlock(&fl.lock);
        if (fl.started)
                (void) pthread_join(fl.thread, NULL);
        natsConnection_Close(b.nc);
        for (unsigned i = 0; i < n_subs; i++)
                natsSubscription_Destroy(subs[i]);
        for (natsMsg *m; queue_pop(&m, 1) == 1;)
                natsMsg_Destroy(m);
        jsCtx_Destroy(b.js);
        natsConnection_Destroy(b.nc);
        nats_Close();
        for (unsigned i = 0; i < REQS_MAX; i++)
                free(ins[i].reply);
        free(b.inbox);
        airsup_detach(b.a);
        free(buf);
        return 0;
}
