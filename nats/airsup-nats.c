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
 * One thread does the work: this file's loop waits on the lanes and on
 * the connection's socket, which libnats hands it instead of reading it
 * on a thread of its own (natsOptions_SetEventLoop()).  It reads the
 * socket and takes what came off libnats's synchronous subscriptions,
 * publishes exports into libnats's buffer and writes that buffer out
 * once a turn: no message is handed from one thread to another, and a
 * lone message is written at once while a burst goes out in few writes.
 * libnats keeps threads of its own for its timers and for reconnecting
 * (they make a new connection and close a failed one); they tell the
 * loop which socket to watch, and wake it.  An export
 * is committed (taken off its lane) only after NATS took it: for core
 * NATS once libnats has it (at most once: a server that goes away may
 * lose what was in flight), for JetStream once the stream acknowledged
 * it (at least once).  While the connection is down nothing is taken
 * off the lanes: they fill, and publishers wait or fail as they chose.
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
#include "nats/header.h"
#include "nats/puback.h"

#define PENDING_MAX 4096                /* what a JetStream import may hold unacknowledged */
#define TURN_MAX 256                    /* messages taken off the lanes in one turn */
#define BUFFERED_MAX (4 << 20)          /* bytes libnats may hold unwritten before the lanes wait */
#define PROTO_MAX 512                   /* bytes an export adds beyond its subject and payload, at most */
#define PATTERNS_MAX 64
#define BUF_FIRST 65536
#define TYPE_HEADER "Airsup-Type"
#define SEC UINT64_C(1000000000)
#define JS_ACK_WAIT_MS 5000             /* as libnats's own js_PublishMsg() waits */
#define EXPORT_RETRY_MS 100             /* before an export NATS did not take is tried again */
#define REFUSED_MAX_MS 10000            /* a stream's refusals before an export becomes a dead letter */
#define MSGID_MAX 160                   /* a JetStream export's Nats-Msg-Id */

typedef struct patterns {
        char *buf;                      /* the variable's copy, which list points into */
        char *list[PATTERNS_MAX];
        unsigned n;
} patterns;

static struct {
        airsup *a;
        natsConnection *nc;
        jsCtx *js;
        patterns export[2], import[2];  /* [0] core, [1] JetStream */
        const char *self;               /* this instance, as airsupd names a lane's sender */
        int efd;                        /* an eventfd: libnats's threads wake the loop */
        atomic_bool connected;
        atomic_uint_fast64_t reconnects, disconnects;
        /* The loop's own. */
        uint64_t exported, imported, looped, refused, too_big, js_acks, js_failures, nobody, redelivered;
        uint64_t requests_out, requests_in, replies_out, replies_in, late_replies, requests_dropped, export_dead;
        uint64_t boot;                  /* when this instance started (CLOCK_REALTIME, ns): in its msgids */
        char *inbox;                    /* this connection's inbox prefix: replies to our requests */
        char *js_inbox;                 /* another: streams' answers to JetStream exports */
        size_t inbox_len, js_inbox_len;
        natsSubscription *js_sub;
        uint64_t js_waiting;            /* the JetStream export whose acknowledgement is awaited */
        int js_answer;                  /* 0 none yet, 1 stored, -1 refused, 2 not now */
        bool no_responders;             /* js_inbox heard "no responders" */
        uint64_t export_again_ns;       /* the held export is not tried again before */
        bool said_connected, said_held; /* what the last STATUS= said */
        bool said_once;
        uint64_t said_at_ns;            /* when the counters were last reported */
        volatile sig_atomic_t stop;
} b = { .efd = -1 };

/* The connection's socket, as libnats gives it to the loop: set from
 * whichever thread libnats calls from (the loop's own while it reads
 * or publishes; libnats's reconnecting and timer threads otherwise). */
static struct {
        atomic_int fd;
        atomic_bool want_read, want_write;
} ev = { .fd = -1 };
static _Thread_local bool on_loop;      /* this thread is the one that polls */

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
        copy = p->buf = strdup(v);
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

/* What a subject is to the bridge, kept for the last one seen each way:
 * a stream of messages on one subject costs a compare each, not a walk
 * of its tokens against every pattern. */
enum {
        SUBJ_INVALID,                   /* not one of our subjects */
        SUBJ_VALID,                     /* valid; exported by no pattern */
        SUBJ_EXPORT,                    /* valid and matched by an export pattern */
};

typedef struct subject_seen {
        size_t len;                     /* 0: none yet */
        int kind;
        char s[SUBJECT_MAX + 1];
} subject_seen;

/* SUBJECT's kind (LEN bytes); with EXPORTS, whether an export pattern
 * matches it too. */
static int subject_kind(subject_seen *c, const char *subject, size_t len, bool exports) {
        if (len > 0 && len == c->len && memcmp(subject, c->s, len) == 0)
                return c->kind;
        c->kind = !subject_valid(subject, false) ? SUBJ_INVALID
                  : exports && (patterns_match(&b.export[0], subject) || patterns_match(&b.export[1], subject))
                          ? SUBJ_EXPORT
                          : SUBJ_VALID;
        c->len = 0;
        if (len <= SUBJECT_MAX) {
                memcpy(c->s, subject, len);
                c->len = len;
        }
        return c->kind;
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

/* Every subscription made, destroyed at the end; which are JetStream
 * consumers (what comes on them is acknowledged; on any other, a reply
 * subject is only a reply subject, whatever it says). */
static natsSubscription *subs[2 * PATTERNS_MAX + 2];
static bool subs_js[2 * PATTERNS_MAX + 2];
static unsigned n_subs;

static out_req outs[REQS_MAX];
static in_req ins[REQS_MAX];
static uint64_t out_next, in_next;

/* A message done with.  natsMsg_Destroy() does not free it: it hands it
 * to libnats's collector thread, which frees it while this thread
 * allocates the next ones from the same heap; the two then take turns
 * at the allocator's lock, a futex wait and wake-up each time, and that
 * cost the bridge two thirds of its time (bench/nats, core: 2 us a
 * message on each bridge, 0.5-0.6 us without).  natsMsg_free() is the
 * collector's own way to free one (libnats exports it, without
 * declaring it in nats.h); a message of ours is freed by it at once.  A
 * libnats without it, or of another major version than the one it was
 * read in (3.4), gets natsMsg_Destroy(). */
extern void natsMsg_free(void *) __attribute__((weak));
static bool free_direct;                /* natsMsg_free() is there, in a libnats 3 (set in main()) */

static void msg_free(natsMsg *m) {
        if (free_direct)
                natsMsg_free(m);
        else
                natsMsg_Destroy(m);
}

/* A message with headers built with nats.h's calls costs a table of
 * them (natsMsgHeader_Set(): allocations, a hash), walked twice when
 * it is written and once when it is freed: a quarter of the exporting
 * bridge's time (bench/nats, core, type 1).  libnats's own constructor
 * of a message it read, natsMsg_create() (exported without a
 * declaration in nats.h, and of this signature from 3.0 to 3.13), takes
 * the headers as they go on the wire, and such a message is written as
 * they are.  Where it is missing, or in another major version than 3,
 * the headers are set one by one (set in main(), with free_direct). */
extern natsStatus natsMsg_create(natsMsg **msg, const char *subject, int subject_len, const char *reply,
                                 int reply_len, const char *buf, int buf_len, int hdr_len) __attribute__((weak));
static bool create_wire;

#define WIRE_HEAD "NATS/1.0\r\n"
#define MSGID_HEADER "Nats-Msg-Id"
#define WIRE_OUT_MAX 65536              /* the payload msg_make() copies behind the headers, at most */

static bool printable(const char *s) {
        for (; *s; s++)
                if (*s < ' ' || *s > '~')
                        return false;
        return true;
}

static size_t put(char *p, const char *s, size_t n) {
        memcpy(p, s, n);
        return n;
}

/* A message to SUBJECT (REPLY: its reply subject, or NULL) with TYPE in
 * its Airsup-Type header (none for 0), MSGID in its Nats-Msg-Id (none
 * for NULL), and LEN bytes of DATA. */
static natsStatus msg_make(natsMsg **ret, const char *subject, const char *reply, uint32_t type, const char *msgid,
                           const void *data, size_t len) {
        static uint32_t tv_type;
        static char tv[16];
        static size_t tv_len;
        static char *wire;
        static size_t wire_size;
        size_t id_len = msgid ? strlen(msgid) : 0, head, need;
        natsStatus s;
        char *p;

        /* The last type's text kept: a stream is mostly of one. */
        if (type != 0 && type != tv_type) {
                tv_len = (size_t) snprintf(tv, sizeof(tv), "%" PRIu32, type);
                tv_type = type;
        }
        /* Past WIRE_OUT_MAX, the copy into WIRE would cost more than the
         * table saves (and WIRE stays that large); a message id that is
         * not printable (never ours) goes through libnats's checks. */
        if (!create_wire || len > WIRE_OUT_MAX || (msgid && !printable(msgid))) {
                s = natsMsg_Create(ret, subject, reply, data, (int) len);
                if (s == NATS_OK && type != 0)
                        s = natsMsgHeader_Set(*ret, TYPE_HEADER, tv);
                if (s == NATS_OK && msgid)
                        s = natsMsgHeader_Set(*ret, MSGID_HEADER, msgid);
                return s;
        }
        head = strlen(WIRE_HEAD) + (type != 0 ? strlen(TYPE_HEADER) + 2 + tv_len + 2 : 0) +
               (msgid ? strlen(MSGID_HEADER) + 2 + id_len + 2 : 0) + 2;
        need = head + len;
        if (need > wire_size) {
                char *n = realloc(wire, need);
                if (!n)
                        return NATS_NO_MEMORY;
                wire = n;
                wire_size = need;
        }
        p = wire;
        p += put(p, WIRE_HEAD, strlen(WIRE_HEAD));
        if (type != 0) {
                p += put(p, TYPE_HEADER ": ", strlen(TYPE_HEADER) + 2);
                p += put(p, tv, tv_len);
                p += put(p, "\r\n", 2);
        }
        if (msgid) {
                p += put(p, MSGID_HEADER ": ", strlen(MSGID_HEADER) + 2);
                p += put(p, msgid, id_len);
                p += put(p, "\r\n", 2);
        }
        p += put(p, "\r\n", 2);
        if (len > 0)
                memcpy(p, data, len);
        return natsMsg_create(ret, subject, (int) strlen(subject), reply, reply ? (int) strlen(reply) : 0, wire,
                              (int) need, (int) head);
}

/* ---- libnats's side of the loop ------------------------------------- */

static void wake(void) {
        uint64_t one = 1;
        (void) !write(b.efd, &one, sizeof(one));
}

/* What the loop polls changed: the loop sees it at its next turn if it
 * made the change itself, else it is woken. */
static void ev_changed(void) {
        if (!on_loop)
                wake();
}

/* A connection made or made again: its socket, to read from now on. */
static natsStatus ev_attach(void **data, void *loop, natsConnection *nc, natsSock fd) {
        (void) loop, (void) nc;
        *data = &ev;
        atomic_store(&ev.want_write, false);
        atomic_store(&ev.fd, (int) fd);
        atomic_store(&ev.want_read, true);
        ev_changed();
        return NATS_OK;
}

static natsStatus ev_read(void *data, bool add) {
        (void) data;
        atomic_store(&ev.want_read, add);
        ev_changed();
        return NATS_OK;
}

/* libnats has something to write (add), or wrote all it had. */
static natsStatus ev_write(void *data, bool add) {
        (void) data;
        atomic_store(&ev.want_write, add);
        if (add)
                ev_changed();
        return NATS_OK;
}

static natsStatus ev_detach(void *data) {
        (void) data;
        atomic_store(&ev.want_read, false);
        atomic_store(&ev.want_write, false);
        atomic_store(&ev.fd, -1);
        ev_changed();
        return NATS_OK;
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

/* One wait of at most TIMEOUT ms for the socket (for what libnats asked
 * to watch), the eventfd and, if LANES, the lanes (airsup_fd()); then
 * what the socket is ready for is done: a read (one buffer's worth,
 * parsed into the subscriptions) and a write of what libnats holds.
 * true if airsup_fd() is readable. */
static bool io_turn(int timeout, bool lanes) {
        struct pollfd p[3] = { { .fd = b.efd, .events = POLLIN } };
        int fd = atomic_load(&ev.fd), n = 1, sock = -1, lane = -1;
        short want = (short) ((atomic_load(&ev.want_read) ? POLLIN : 0) | (atomic_load(&ev.want_write) ? POLLOUT : 0));
        uint64_t v;

        if (fd >= 0 && want) {
                sock = n;
                p[n++] = (struct pollfd) { .fd = fd, .events = want };
        }
        if (lanes) {
                lane = n;
                p[n++] = (struct pollfd) { .fd = airsup_fd(b.a), .events = POLLIN };
        }
        if (poll(p, (nfds_t) n, timeout) <= 0)
                return false;
        if (p[0].revents)
                (void) !read(b.efd, &v, sizeof(v));
        if (sock >= 0 && (p[sock].revents & (POLLIN | POLLERR | POLLHUP)))
                natsConnection_ProcessReadEvent(b.nc);
        if (sock >= 0 && (p[sock].revents & POLLOUT) && atomic_load(&ev.want_write))
                natsConnection_ProcessWriteEvent(b.nc);
        return lane >= 0 && p[lane].revents != 0;
}

/* What libnats holds goes to the socket now, if it takes it: what this
 * turn published, in one write. */
static void io_write(void) {
        if (atomic_load(&ev.want_write))
                natsConnection_ProcessWriteEvent(b.nc);
}

/* While setting up, libnats's blocking calls (a JetStream consumer's
 * creation is a request) need someone to read their replies: a thread
 * does the loop's I/O until they are done. */
static struct {
        atomic_bool on;
        pthread_t thread;
} pump;

static void *pump_run(void *arg) {
        (void) arg;
        while (atomic_load(&pump.on))
                (void) io_turn(100, false);
        return NULL;
}

static int pump_start(void) {
        atomic_store(&pump.on, true);
        return pthread_create(&pump.thread, NULL, pump_run, NULL) == 0 ? 0 : -EAGAIN;
}

static void pump_stop(void) {
        atomic_store(&pump.on, false);
        wake();
        (void) pthread_join(pump.thread, NULL);
}

/* ---- the loop ----------------------------------------------------------- */

/* What follows "INBOX." in SUBJECT (INBOX: one of ours, LEN bytes, or
 * NULL), or NULL if it does not start so. */
static const char *inbox_id(const char *subject, const char *inbox, size_t len) {
        return inbox && strncmp(subject, inbox, len) == 0 && subject[len] == '.' ? subject + len + 1 : NULL;
}

/* The other way, the header a message from NATS brings is read as it
 * came (nats/header.h), where natsMsgHeader_Get() would build the same
 * table of all of them first: a seventh of the importing bridge's time.
 * libnats 3 exports, without declaring them in nats.h, what writes a
 * message's headers as they go on the wire (as they came, for one it
 * read) into a buffer, here one over an array of ours; their signatures
 * have been the same from 3.0 to 3.13.  A block that is not of the
 * plain form, or longer than the array, is libnats's to read. */
typedef struct __natsBuffer natsBuffer;
extern int natsMsgHeader_encodedLen(natsMsg *msg) __attribute__((weak));
extern natsStatus natsMsgHeader_encode(natsBuffer *buf, natsMsg *msg) __attribute__((weak));
extern natsStatus natsBuf_CreateWithBackend(natsBuffer **buf, char *data, int len, int capacity)
        __attribute__((weak));
extern void natsBuf_Reset(natsBuffer *buf) __attribute__((weak));
extern void natsBuf_Destroy(natsBuffer *buf) __attribute__((weak));

#define WIRE_IN_MAX 1024
static char wire_in[WIRE_IN_MAX];
static natsBuffer *wire_in_buf;         /* over wire_in; NULL: natsMsgHeader_Get() */

/* LEN bytes of V as a type: digits alone, within 32 bits; else 0. */
static uint32_t type_from(const char *v, size_t len) {
        uint64_t t = 0;

        if (len == 0 || len > 10)
                return 0;
        for (size_t i = 0; i < len; i++) {
                if (v[i] < '0' || v[i] > '9')
                        return 0;
                t = t * 10 + (uint64_t) (v[i] - '0');
        }
        return t <= UINT32_MAX ? (uint32_t) t : 0;
}

/* The type MSG brings in its Airsup-Type header: 0 without one, or
 * when it is not a number. */
static uint32_t msg_type(natsMsg *msg) {
        static bool said_moved;
        const char *v = NULL;
        size_t v_len = 0;

        if (wire_in_buf) {
                int len = natsMsgHeader_encodedLen(msg);

                if (len <= 0)
                        return 0;       /* no headers */
                if (len <= WIRE_IN_MAX) {
                        /* Had libnats moved the buffer elsewhere, the
                         * array would not start as a block does. */
                        wire_in[0] = '\0';
                        natsBuf_Reset(wire_in_buf);
                        if (natsMsgHeader_encode(wire_in_buf, msg) == NATS_OK) {
                                int r = header_value(wire_in, (size_t) len, TYPE_HEADER, &v, &v_len);
                                if (r >= 0)
                                        return r > 0 ? type_from(v, v_len) : 0;
                                if (wire_in[0] == '\0' && !said_moved) {
                                        /* Not into our array (or a block
                                         * that starts so): a libnats that
                                         * works otherwise reads them all. */
                                        said_moved = true;
                                        say("libnats %s: a header block not read where written: "
                                            "natsMsgHeader_Get() reads it", nats_GetVersion());
                                }
                        }
                }
        }
        if (natsMsgHeader_Get(msg, TYPE_HEADER, &v) != NATS_OK || !v)
                return 0;
        return type_from(v, strlen(v));
}

/* One message from NATS published locally.  A JetStream one (JS: it
 * came on a JetStream consumer) is acknowledged only once it is in
 * every local subscriber's lane; one that reached no subscriber, or not
 * all, is not (it comes again). */
static void import_one(natsMsg *msg, bool js) {
        const char *subject = natsMsg_GetSubject(msg), *id_text;
        airsup_send_opts o = { .full = AIRSUP_BLOCK, .timeout_ns = SEC };
        const char *reply = natsMsg_GetReply(msg);
        uint32_t type = 0;
        int r;

        /* A stream's acknowledgement of a JetStream export (JSINBOX.ID):
         * only the one awaited counts. */
        if (subject && (id_text = inbox_id(subject, b.js_inbox, b.js_inbox_len))) {
                char *end;
                uint64_t id = strtoull(id_text, &end, 10);

                if (*end == '\0' && id != 0 && id == b.js_waiting && b.js_answer == 0) {
                        int v = puback_answer(natsMsg_GetData(msg), (size_t) natsMsg_GetDataLength(msg));

                        b.js_answer = v == PUBACK_STORED ? 1 : v == PUBACK_REFUSED ? -1 : 2;
                }
                msg_free(msg);
                return;
        }
        /* A reply to one of our requests out (INBOX.ID). */
        if (subject && (id_text = inbox_id(subject, b.inbox, b.inbox_len))) {
                char *end;
                uint64_t id = strtoull(id_text, &end, 10);
                out_req *q = &outs[id % REQS_MAX];

                if (*end == '\0' && id != 0 && q->id == id) {
                        airsup_msg req = { .correlation = q->correlation, .reply_to = q->reply_to };

                        type = msg_type(msg);
                        memcpy(req.sender, q->requester, sizeof(req.sender));
                        q->id = 0;
                        if (airsup_reply(b.a, &req, type, natsMsg_GetData(msg),
                                         (size_t) natsMsg_GetDataLength(msg)) >= 0)
                                b.replies_in++;
                } else
                        b.late_replies++;
                msg_free(msg);
                return;
        }
        static subject_seen seen;

        if (!subject || subject_kind(&seen, subject, strlen(subject), false) == SUBJ_INVALID) {
                /* NATS allows what our subjects do not (longer, odd bytes). */
                b.refused++;
                if (js)
                        (void) natsMsg_Term(msg, NULL);
                msg_free(msg);
                return;
        }
        if (js) {
                jsMsgMetaData *meta = NULL;
                if (natsMsg_GetMetaData(&meta, msg) == NATS_OK && meta->NumDelivered > 1)
                        b.redelivered++;
                jsMsgMetaData_Destroy(meta);
        }
        type = msg_type(msg);
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
                (void) airsup__dead_outside(b.a, false, subject, type, natsMsg_GetData(msg),
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
        msg_free(msg);
}

/* What came from NATS, all of it: the loop reads the socket one buffer
 * at a time (libnats's ioBufSize, 32 kB) and only after this emptied
 * the subscriptions, so that they never hold more than one read's worth
 * (libnats would drop core messages past its pending limits). */
static void import_some(void) {
        for (unsigned i = 0; i < n_subs; i++)
                for (int pending = 0;;) {
                        natsMsg *m = NULL;
                        natsStatus s;

                        /* Asked first, and once for all that are there:
                         * an empty NextMsg() sets an error text of
                         * libnats's every time. */
                        if (pending <= 0 &&
                            (natsSubscription_GetPending(subs[i], &pending, NULL) != NATS_OK || pending <= 0))
                                break;
                        pending--;
                        s = natsSubscription_NextMsg(&m, subs[i], 0);

                        if (s == NATS_OK)
                                import_one(m, subs_js[i]);
                        else if (s == NATS_NO_RESPONDERS && subs[i] == b.js_sub)
                                b.no_responders = true;
                        else if (s != NATS_SLOW_CONSUMER && s != NATS_NO_RESPONDERS)
                                break;  /* none (NATS_TIMEOUT), or closed */
                }
}

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

/* The stream's answer to JetStream export ID (published with the reply
 * subject JSINBOX.ID, which only the stream should answer), read by this
 * thread: 0 stored, -EPROTO refused (an error of the request's: too
 * large for the stream, a sealed stream), -EIO not now (an error of the
 * server's, such as a full stream or no quorum; no stream takes the
 * subject; no answer within JS_ACK_WAIT_MS; the connection lost; asked
 * to stop).  Meanwhile what else comes from NATS is imported as it comes,
 * and airsupd's records are answered. */
static int js_wait(uint64_t id) {
        uint64_t deadline = now_ns() + (uint64_t) JS_ACK_WAIT_MS * 1000000;

        b.js_waiting = id;
        b.js_answer = 0;
        b.no_responders = false;
        io_write();
        for (bool last = false; b.js_answer == 0 && atomic_load(&b.connected) && !b.no_responders && !last && !b.stop;) {
                uint64_t now = now_ns(), left_ms;

                /* Past the deadline, one more look at the socket: an
                 * answer read late is not a timeout.  Slices of 100 ms
                 * at most, for airsupd's records below. */
                last = now >= deadline;
                left_ms = last ? 0 : (deadline - now) / 1000000 + 1;
                (void) io_turn((int) (left_ms < 100 ? left_ms : 100), false);
                import_some();
                io_write();
                (void) airsup_process(b.a);
        }
        b.js_waiting = 0;
        return b.js_answer == 1 ? 0 : b.js_answer < 0 ? -EPROTO : -EIO;
}

/* One local message exported (SUBJECT, TYPE, LEN bytes of DATA; REPLY
 * the reply subject of a request, or NULL; MAY_JS: to JetStream if an
 * export_jetstream pattern takes SUBJECT): 0 done (commit it), -E2BIG
 * larger than the server takes, -EPROTO a stream refused it, -EIO not
 * taken for now (the connection, no stream, no answer).  Core exports go
 * into libnats's buffer, which the loop writes out at the end of its
 * turn; a JetStream export is written at once and waited for, with
 * MSGID (made on its first try: the stream drops a second copy within
 * its duplicate window) in its Nats-Msg-Id header. */
static int export_one(const char *subject, uint32_t type, const void *data, size_t len, const char *reply,
                      bool may_js, char msgid[static MSGID_MAX]) {
        static uint64_t js_next, msgid_next;
        bool js = may_js && !reply && patterns_match(&b.export[1], subject);
        char ack[64];
        natsMsg *msg = NULL;
        natsStatus s;
        int r;

        if (type == 0 && !js) {
                /* No header to carry: no message to build either. */
                s = reply ? natsConnection_PublishRequest(b.nc, subject, reply, data, (int) len)
                          : natsConnection_Publish(b.nc, subject, data, (int) len);
                return s == NATS_OK ? 0 : s == NATS_MAX_PAYLOAD ? -E2BIG : -EIO;
        }
        if (js) {
                if (!b.js_inbox)
                        return -EIO;
                snprintf(ack, sizeof(ack), "%s.%" PRIu64, b.js_inbox, ++js_next);
                reply = ack;
                if (!msgid[0])
                        snprintf(msgid, MSGID_MAX, "%.*s-%" PRIx64 "-%" PRIu64, AIRSUP_NAME_MAX, b.self, b.boot,
                                 ++msgid_next);
        }
        s = msg_make(&msg, subject, reply, type, js ? msgid : NULL, data, len);
        if (s == NATS_OK)
                s = natsConnection_PublishMsg(b.nc, msg);
        msg_free(msg);
        if (s != NATS_OK) {
                if (js)
                        b.js_failures++;
                return s == NATS_MAX_PAYLOAD ? -E2BIG : -EIO;
        }
        if (!js)
                return 0;
        r = js_wait(js_next);
        if (r == 0)
                b.js_acks++;
        else
                b.js_failures++;
        return r;
}

/* A local server's reply to a request that came from NATS: to its reply
 * subject, once. */
static void reply_out(const airsup_msg *m, const void *data, size_t len) {
        in_req *q = &ins[m->correlation % REQS_MAX];
        char none[MSGID_MAX] = "";

        if (m->correlation == 0 || q->id != m->correlation) {
                b.late_replies++;
                return;
        }
        /* Core NATS, whatever the subject the requester chose. */
        if (export_one(q->reply, m->type, data, len, NULL, false, none) == 0)
                b.replies_out++;
        free(q->reply);
        *q = (in_req) {};
}

/* A local message to SUBJECT out to NATS (as a NATS request when it is a
 * request; MSGID as export_one()): 0 once NATS took it (commit it), or
 * export_one()'s failure. */
static int export_msg(const airsup_msg *m, const char *subject, const void *payload, size_t plen,
                      char msgid[static MSGID_MAX]) {
        int r;

        if (m->correlation != 0 && b.inbox) {
                /* A request: its reply comes to INBOX.ID. */
                char reply[64];
                uint64_t id = ++out_next;
                out_req *o = &outs[id % REQS_MAX];

                *o = (out_req) { .id = id, .correlation = m->correlation, .reply_to = m->reply_to };
                memcpy(o->requester, m->sender, sizeof(o->requester));
                snprintf(reply, sizeof(reply), "%s.%" PRIu64, b.inbox, id);
                r = export_one(subject, m->type, payload, plen, reply, true, msgid);
                if (r < 0) {
                        o->id = 0;
                        return r;
                }
                b.requests_out++;
        } else if ((r = export_one(subject, m->type, payload, plen, NULL, true, msgid)) < 0)
                return r;
        b.exported++;
        return 0;
}

/* An export NATS did not take for now (no stream covers its subject, no
 * acknowledgement came, the connection failed) or that a stream refused
 * is kept here, and stays uncommitted on its lane: it is tried again
 * every EXPORT_RETRY_MS, before anything else is taken off the lanes,
 * and committed once NATS took it (a bridge killed meanwhile gets it
 * again from the lane).  One that a stream refused for REFUSED_MAX_MS,
 * or that is larger than the server takes, becomes a dead letter. */
static struct {
        bool on;
        airsup_msg m;
        char subject[SUBJECT_MAX + 1];
        char msgid[MSGID_MAX];
        void *data;
        size_t len;
        uint64_t refused_since;         /* the first of the stream's refusals in a row, or 0 */
} held;

/* M (to SUBJECT, PLEN bytes of PAYLOAD) that NATS will never take: a dead
 * letter of the bridge's (airsupctl dead-letters: "refused by NATS:
 * SUBJECT"), committed. */
static void export_dead(const airsup_msg *m, const char *subject, const void *payload, size_t plen) {
        (void) airsup__dead_outside(b.a, true, subject, m->type, payload, plen);
        (void) airsup_commit(b.a, m);
        b.export_dead++;
}

/* M failed with R: held (0), or -ENOMEM. */
static int hold(const airsup_msg *m, const char *subject, const void *payload, size_t plen, const char *msgid, int r) {
        void *copy = malloc(plen ? plen : 1);

        if (!copy)
                return -ENOMEM;
        memcpy(copy, payload, plen);
        held.on = true;
        held.m = *m;
        held.data = copy;
        held.len = plen;
        held.refused_since = r == -EPROTO ? now_ns() : 0;
        snprintf(held.subject, sizeof(held.subject), "%s", subject);
        snprintf(held.msgid, sizeof(held.msgid), "%s", msgid);
        b.export_again_ns = now_ns() + (uint64_t) EXPORT_RETRY_MS * 1000000;
        return 0;
}

static void unhold(void) {
        free(held.data);
        held = (typeof(held)) {};
}

/* The held export tried again: true once it is off its lane (taken, or
 * a dead letter). */
static bool retry_held(void) {
        int r = export_msg(&held.m, held.subject, held.data, held.len, held.msgid);
        uint64_t now = now_ns();

        if (r == 0)
                (void) airsup_commit(b.a, &held.m);
        else if (r == -E2BIG ||
                 (r == -EPROTO && held.refused_since && now - held.refused_since >= (uint64_t) REFUSED_MAX_MS * 1000000))
                export_dead(&held.m, held.subject, held.data, held.len);
        else {
                if (r != -EPROTO)
                        held.refused_since = 0;
                else if (!held.refused_since)
                        held.refused_since = now;
                b.export_again_ns = now + (uint64_t) EXPORT_RETRY_MS * 1000000;
                return false;
        }
        unhold();
        return true;
}

/* What waits on the lanes, TURN_MAX at most: 1 if there may be more
 * (the fd is armed only once a receive said -EAGAIN), 0 if they ran dry,
 * the connection is down, an export is held, or libnats holds
 * BUFFERED_MAX bytes the socket has not taken yet (the lanes wait for
 * it). */
static int export_some(void **buf, size_t *size) {
        static subject_seen seen;

        /* What libnats holds, read again only once what this turn added
         * could have taken it past BUFFERED_MAX (a read takes its lock). */
        int64_t room = 0;

        if (held.on && (!atomic_load(&b.connected) || !retry_held()))
                return 0;
        for (unsigned k = 0; k < TURN_MAX; k++) {
                char subject[SUBJECT_MAX + 1], msgid[MSGID_MAX];
                const uint8_t *payload;
                uint32_t to_len = 0;
                airsup_msg m;
                size_t plen;
                int r;

                if (!atomic_load(&b.connected))
                        return 0;
                if (room <= 0 && (room = BUFFERED_MAX - natsConnection_Buffered(b.nc)) < 0)
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
                room -= r + PROTO_MAX;
                if (m.flags & AIRSUP_MSG_REPLY) {
                        /* To a reply subject NATS's requester chose (up
                         * to the server's longest line): read again. */
                        room = 0;
                        reply_out(&m, *buf, (size_t) r);
                        (void) airsup_commit(b.a, &m);
                        if (k == 0)
                                io_write();     /* as below */
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
                if (strcmp(m.sender, b.self) == 0 || subject_kind(&seen, subject, to_len, true) != SUBJ_EXPORT) {
                        /* Its own import coming back (never sent out
                         * again), or nothing it exports. */
                        if (strcmp(m.sender, b.self) == 0)
                                b.looped++;
                        (void) airsup_commit(b.a, &m);
                        continue;
                }
                msgid[0] = '\0';
                r = export_msg(&m, subject, payload, plen, msgid);
                /* A request's inbox, or the acknowledgements a JetStream
                 * export's wait wrote meanwhile: read again. */
                if (m.correlation != 0 || b.export[1].n > 0)
                        room = 0;
                if (r < 0 && m.correlation != 0 && b.inbox) {
                        /* A request is not held: its requester waits
                         * for its reply, not for ever. */
                        b.requests_dropped++;
                } else if (r == -E2BIG) {
                        export_dead(&m, subject, payload, plen);
                        continue;
                } else if (r < 0)
                        return hold(&m, subject, payload, plen, msgid, r);
                (void) airsup_commit(b.a, &m);
                /* The first of a turn goes out at once: a lone message
                 * (a request, a reply) should not wait for the next
                 * receive to find the lanes empty and give them up (a
                 * membarrier(), an interrupt of every CPU); the rest of
                 * a burst goes in one write at the end of the turn. */
                if (k == 0)
                        io_write();
        }
        return 1;
}

/* To airsupd (sd_notify): a change of the connection, or of an export
 * held, as STATUS= (an event) and AIRSUP_HEALTH= (degraded while away or
 * holding), and the counters at most once a second (AIRSUP_COUNTERS=,
 * among airsupd's metrics as airsup_process_reported; 16 at most). */
static void report(void) {
        bool connected = atomic_load(&b.connected);
        uint64_t now = now_ns();

        if (!b.said_once || connected != b.said_connected || held.on != b.said_held) {
                b.said_once = true;
                b.said_connected = connected;
                b.said_held = held.on;
                if (!connected)
                        (void) sd_notifyf(0, "STATUS=disconnected from NATS (%" PRIu64 " times): reconnecting, "
                                          "exports wait in the lanes\nAIRSUP_HEALTH=degraded",
                                          (uint64_t) atomic_load(&b.disconnects));
                else if (held.on)
                        (void) sd_notifyf(0, "STATUS=NATS did not take an export to %s: exports wait, tried again "
                                          "every %d ms\nAIRSUP_HEALTH=degraded",
                                          held.subject, EXPORT_RETRY_MS);
                else
                        (void) sd_notifyf(0, "STATUS=connected to NATS\nAIRSUP_HEALTH=healthy");
        }
        if (now - b.said_at_ns < SEC)
                return;
        b.said_at_ns = now;
        (void) sd_notifyf(0, "AIRSUP_COUNTERS=nats_out=%" PRIu64 " nats_in=%" PRIu64 " nats_pending_bytes=%d "
                          "nats_reconnects=%" PRIu64 " nats_js_acks=%" PRIu64 " nats_js_failures=%" PRIu64
                          " nats_redelivered=%" PRIu64 " nats_looped=%" PRIu64 " nats_refused=%" PRIu64
                          " nats_too_big=%" PRIu64 " nats_no_subscriber=%" PRIu64 " nats_requests_out=%" PRIu64
                          " nats_requests_in=%" PRIu64 " nats_late_replies=%" PRIu64 " nats_requests_dropped=%" PRIu64
                          " nats_export_dead=%" PRIu64,
                          b.exported, b.imported, b.nc ? natsConnection_Buffered(b.nc) : 0,
                          (uint64_t) atomic_load(&b.reconnects), b.js_acks, b.js_failures, b.redelivered, b.looped,
                          b.refused, b.too_big, b.nobody, b.requests_out, b.requests_in, b.late_replies,
                          b.requests_dropped, b.export_dead);
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
        /* The loop reads and writes the socket (no reader thread); a
         * publish asks it to write at once (no flusher thread and its
         * millisecond's wait), which it does once a turn. */
        if (s == NATS_OK)
                s = natsOptions_SetEventLoop(o, &ev, ev_attach, ev_read, ev_write, ev_detach);
        if (s == NATS_OK)
                s = natsOptions_SetSendAsap(o, true);

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

/* A new inbox into *PREFIX, and a subscription to PREFIX.* (into *SUB). */
static natsStatus inbox_subscribe(char **prefix, size_t *ret_len, natsSubscription **sub) {
        natsInbox *inbox = NULL;
        natsSubscription *s1 = NULL;
        char pattern[128];
        natsStatus s = natsInbox_Create(&inbox);

        if (s == NATS_OK && !(*prefix = strdup(inbox)))
                s = NATS_NO_MEMORY;
        natsInbox_Destroy(inbox);
        if (s == NATS_OK)
                *ret_len = strlen(*prefix);
        if (s != NATS_OK)
                return s;
        snprintf(pattern, sizeof(pattern), "%s.*", *prefix);
        s = natsConnection_SubscribeSync(&s1, b.nc, pattern);
        if (s == NATS_OK) {
                subs[n_subs++] = s1;
                if (sub)
                        *sub = s1;
        }
        return s;
}

static int subscribe_imports(void) {
        natsStatus s = NATS_OK;

        if (b.import[1].n > 0) {
                s = natsConnection_JetStream(&b.js, b.nc, NULL);
                if (s != NATS_OK) {
                        say("JetStream: %s", natsStatus_GetText(s));
                        return -EIO;
                }
        }
        /* Replies to the requests it exports come to an inbox of its own,
         * streams' answers to its JetStream exports to another (so that a
         * "no responders" there is theirs). */
        if (s == NATS_OK && (b.export[0].n > 0 || b.export[1].n > 0))
                s = inbox_subscribe(&b.inbox, &b.inbox_len, NULL);
        if (s == NATS_OK && b.export[1].n > 0)
                s = inbox_subscribe(&b.js_inbox, &b.js_inbox_len, &b.js_sub);
        for (unsigned i = 0; i < b.import[0].n && s == NATS_OK; i++) {
                natsSubscription *sub = NULL;
                s = natsConnection_SubscribeSync(&sub, b.nc, b.import[0].list[i]);
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
                so.Config.MaxAckPending = PENDING_MAX;
                s = js_SubscribeSync(&sub, b.js, b.import[1].list[i], NULL, &so, &jerr);
                if (s == NATS_OK) {
                        subs_js[n_subs] = true;
                        subs[n_subs++] = sub;
                }
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
               "AIRSUP_NATS_IMPORT_JETSTREAM, which airsupd sets from it.\n"
               "AIRSUP_NATS_INTERNALS=no (the group's environment =) keeps it to the calls\n"
               "nats.h declares (see \"How it runs\" in airsup-nats(8)).\n");
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
        {
                struct timespec ts;

                clock_gettime(CLOCK_REALTIME, &ts);
                b.boot = (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
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
        /* libnats's calls that nats.h does not declare (msg_free(),
         * msg_make()): in a libnats 3 that has them, unless told not to. */
        {
                const char *v = getenv("AIRSUP_NATS_INTERNALS");
                bool internals = strncmp(nats_GetVersion(), "3.", 2) == 0 && !(v && strcmp(v, "no") == 0);

                free_direct = internals && natsMsg_free != NULL;
                create_wire = internals && natsMsg_create != NULL;
                if (internals && natsMsgHeader_encodedLen && natsMsgHeader_encode && natsBuf_CreateWithBackend &&
                    natsBuf_Reset && natsBuf_Destroy &&
                    natsBuf_CreateWithBackend(&wire_in_buf, wire_in, 0, WIRE_IN_MAX) != NATS_OK)
                        wire_in_buf = NULL;
                if (!free_direct || !create_wire || !wire_in_buf)
                        say("libnats %s: keeps to the calls nats.h declares (%s)", nats_GetVersion(),
                            internals ? "some of the others are missing"
                            : v && strcmp(v, "no") == 0 ? "AIRSUP_NATS_INTERNALS=no" : "not a libnats 3");
        }
        r = airsup_attach(&b.a);
        if (r < 0) {
                say("cannot attach to airsupd: %s", strerror(-r));
                return 1;
        }
        b.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (b.efd < 0 || connect_nats() < 0 || pump_start() < 0)
                return 1;
        r = subscribe_imports();
        pump_stop();
        /* Only now: a return before would leave it to LeakSanitizer. */
        buf = r < 0 ? NULL : malloc(size);
        if (!buf)
                return 1;
        (void) airsup_ready(b.a);

        on_loop = true;
        for (int more = 0; !b.stop;) {
                uint64_t now = now_ns();
                /* The lanes are not looked at while NATS is away, nor
                 * until a held export is tried again. */
                bool later = held.on && now < b.export_again_ns;
                bool lanes = atomic_load(&b.connected) && !later;

                /* Wait only when the lanes left no work. */
                bool ready = io_turn(more ? 0 : later ? (int) ((b.export_again_ns - now) / 1000000) + 1 : 100, lanes);

                report();
                /* airsupd's records (a health = ping probe's PING) are
                 * answered when airsup_fd() says so, and at every turn
                 * while it is not watched. */
                if (ready || !lanes)
                        (void) airsup_process(b.a);
                import_some();
                r = held.on && now_ns() < b.export_again_ns ? 0 : export_some(&buf, &size);
                io_write();
                if (r < 0 && r != -EBADMSG) {
                        say("receiving: %s", strerror(-r));
                        break;
                }
                more = r > 0;
        }
        /* What was committed and is still in libnats's buffer goes out
         * before the connection closes, and the server has it (a PING
         * answered: closing a socket with unread input resets it, which
         * may cost what the server had not read yet).  A thread reads
         * the socket meanwhile, and is gone before the close, which
         * frees what a read uses (the TLS session). */
        on_loop = false;
        if (atomic_load(&b.connected) && pump_start() == 0) {
                (void) natsConnection_FlushTimeout(b.nc, 1000);
                pump_stop();
        }
        natsConnection_Close(b.nc);
        for (unsigned i = 0; i < n_subs; i++)
                natsSubscription_Destroy(subs[i]);
        jsCtx_Destroy(b.js);
        natsConnection_Destroy(b.nc);
        if (wire_in_buf)
                natsBuf_Destroy(wire_in_buf);
        nats_Close();
        for (unsigned i = 0; i < REQS_MAX; i++)
                free(ins[i].reply);
        free(b.inbox);
        free(b.js_inbox);
        unhold();
        airsup_detach(b.a);
        free(buf);
        return 0;
}
