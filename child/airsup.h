/* airsup.h - libairsup: messages between the groups airsupd supervises.
 *
 * A process that airsupd started attaches (airsup_attach()), looks up the
 * groups it sends to (airsup_lookup()), and sends and receives through
 * shared-memory lanes that airsupd created and that outlive the processes
 * at either end: what was queued for a group that restarts reaches its
 * next incarnation, and a message taken but not committed when the
 * receiver died is delivered again, its redelivered count raised.
 *
 * Every call returns >= 0 on success or a negative errno; nothing prints
 * or aborts.  One airsup handle is for one thread at a time (calls on it
 * from several threads must be serialised by the caller); destinations
 * belong to their handle.  See airsup(3). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AIRSUP_NAME_MAX 64

typedef struct airsup airsup;
typedef struct airsup_dest airsup_dest;

/* What a full lane does to a send. */
enum {
        AIRSUP_BLOCK = 0,               /* wait for room up to the timeout, then -ETIMEDOUT */
        AIRSUP_DROP = 1,                /* drop it (counted in the lane) and return 0 */
        AIRSUP_FAIL = 2,                /* return -EAGAIN at once */
};

typedef struct airsup_msg {
        uint32_t type;
        uint32_t len;                   /* payload bytes */
        uint32_t priority;
        uint32_t redelivered;           /* deliveries before this one that were not committed */
        uint64_t correlation, reply_to;
        uint64_t deadline_ns;           /* CLOCK_MONOTONIC; 0: none */
        uint32_t lane;                  /* for airsup_commit() */
        char sender[AIRSUP_NAME_MAX];   /* "GROUP" or "GROUP[i]", as airsupd names the sender; "" in the process */
        uint64_t from;                  /* the sending actor (airsup_ref) in this process; 0: none */
        char actor[AIRSUP_NAME_MAX];    /* airsup_recv(): the actor it is addressed to ("ACTOR" of
                                         * "GROUP/ACTOR"), "" for the process itself */
        uint32_t flags;                 /* AIRSUP_MSG_REPLY, AIRSUP_MSG_PUBLISH */
        char subject[256];              /* AIRSUP_MSG_PUBLISH: the subject it was published to */
} airsup_msg;

#define AIRSUP_MSG_REPLY 0x1            /* a reply to a request of this process (correlation says which) */
#define AIRSUP_MSG_PUBLISH 0x2          /* published to m->subject */

typedef struct airsup_send_opts {
        uint32_t priority;              /* 0 lowest .. 3 highest */
        uint64_t deadline_ns;           /* CLOCK_MONOTONIC; 0: none */
        uint64_t correlation, reply_to;
        int full;                       /* AIRSUP_BLOCK, AIRSUP_DROP or AIRSUP_FAIL */
        uint64_t timeout_ns;            /* AIRSUP_BLOCK: how long at most */
        uint64_t key;                   /* a pool with route = hash: one key, one instance */
} airsup_send_opts;

/* From the environment airsupd set (AIRSUP_FD): -ENOTCONN when this
 * process was not started by airsupd, -EBADF when AIRSUP_FD is not its
 * channel, -ETIMEDOUT when airsupd did not send this process its mailbox. */
int airsup_attach(airsup **ret);
airsup *airsup_detach(airsup *a);

/* The destination NAME, "GROUP" (for a pool: an instance airsupd
 * chooses, see airsup(3)) or "GROUP[i]", or an actor in one of them,
 * "GROUP/ACTOR" or "GROUP[i]/ACTOR" (see Actors below), waiting up to TIMEOUT_NS for
 * airsupd's answer: -ENOENT no such group or instance, -EISDIR a
 * supervisor, -EINVAL not a name. */
int airsup_lookup(airsup *a, const char *name, uint64_t timeout_ns, airsup_dest **ret);
/* As airsup_lookup(), but a name that is not there yet (a group that is
 * not started, a name not registered yet) is looked up again at growing
 * intervals (up to 50 ms) until WAIT_NS passed: then -ENOENT. */
int airsup_lookup_wait(airsup *a, const char *name, uint64_t wait_ns, airsup_dest **ret);

/* The registry (airsup(3), REGISTRY): NAME (1 to 63 of letters, digits,
 * '-', '_', '.') for this instance, unique across the deployment and
 * looked up like a group's name, until airsup_unregister() or the
 * process ends.  -EEXIST: a group, supervisor or another registration
 * has it; -ENOSPC: this process holds 1,024 names; -E2BIG: the
 * deployment holds 65,536.  A destination looked up by a registered name
 * keeps leading where it led; look it up again to follow the name. */
int airsup_register(airsup *a, const char *name);
int airsup_unregister(airsup *a, const char *name);

/* Monitors (airsup(3), MONITORS): airsupd tells this process, once, when
 * the instance NAME names ("GROUP" of one instance, "GROUP[i]", or a
 * registered name: its holder now) goes down, or at once if it is not
 * up; or the actor "GROUP/ACTOR" ends for good (or its process does): airsup_recv() then gives a message of type AIRSUP_TYPE_DOWN whose
 * payload is an airsup_down.  A monitor ends with its DOWN, with
 * airsup_demonitor(), or with this process (a new incarnation monitors
 * again).  -ENOENT: no such instance or name. */
#define AIRSUP_TYPE_DOWN UINT32_C(0xffffff02)
enum {
        AIRSUP_DOWN_EXITED = 1,         /* it exited by itself: status is its exit status */
        AIRSUP_DOWN_KILLED = 2,         /* a signal killed it: status is the signal */
        AIRSUP_DOWN_STOPPED = 3,        /* stopped on purpose: the operator, its supervisor, a shutdown */
        AIRSUP_DOWN_NOPROC = 4,         /* it was not up when the monitor was asked for */
};
typedef struct airsup_down {
        uint64_t ref;                   /* the monitor's, from airsup_monitor() */
        uint32_t code;                  /* AIRSUP_DOWN_* */
        int32_t status;
        char name[AIRSUP_NAME_MAX];     /* the instance that went down */
} airsup_down;
int airsup_monitor(airsup *a, const char *name, uint64_t *ret_ref);
int airsup_demonitor(airsup *a, uint64_t ref);

/* A destination that publishes to SUBJECT (no wildcards): airsup_send()
 * publishes (as airsup_publish(), 0 even if nobody subscribes);
 * airsup_request() and airsup_ask() publish a request and take the first
 * reply with its correlation id from whichever instance answers (a local
 * subscriber, or a bridge for one on another host, airsup-nats(8));
 * nobody subscribed: -ENOENT at once.  No zero-copy (-EOPNOTSUPP), no
 * monitor (-EINVAL).  Kept with the others until airsup_detach(). */
int airsup_lookup_subject(airsup *a, const char *subject, airsup_dest **ret);
/* The instance a destination's lane leads to (a subject destination's
 * subject). */
const char *airsup_dest_name(const airsup_dest *d);
/* Event loops that send: after a send with AIRSUP_FAIL said -EAGAIN,
 * airsup_dest_arm() returns 1 if there is room already (send again), or 0:
 * poll airsup_dest_fd() for POLLIN, then send again (which disarms it). */
int airsup_dest_fd(const airsup_dest *d);
int airsup_dest_arm(airsup_dest *d);

/* TYPE and LEN bytes of PAYLOAD to D; OPTS NULL: priority 0, no deadline,
 * AIRSUP_BLOCK without limit.  -EMSGSIZE beyond the receiver's message_max. */
int airsup_send(airsup_dest *d, uint32_t type, const void *payload, size_t len, const airsup_send_opts *opts);
/* Zero-copy: room for up to LEN bytes at *RET_BUF, written in place, then
 * published with airsup_commit_send() of the bytes actually written. */
int airsup_reserve(airsup_dest *d, uint32_t type, size_t len, const airsup_send_opts *opts, void **ret_buf);
int airsup_commit_send(airsup_dest *d, size_t len);

/* The next message (highest priority first, senders in turn) into M and
 * up to SIZE bytes of BUF; its length.  It stays queued until
 * airsup_commit(): a process that dies before that gets it again in its
 * next incarnation.  TIMEOUT_NS 0 does not wait (-EAGAIN); -EMSGSIZE:
 * SIZE too small (M->len says how much is needed); -EBADMSG once for a
 * lane found garbled (its sender wrote garbage; the lane is closed).
 * M->len on -EMSGSIZE counts the actor's name or the subject a message
 * carries before its payload: a buffer of that size takes it. */
int airsup_recv(airsup *a, airsup_msg *m, void *buf, size_t size, uint64_t timeout_ns);
int airsup_commit(airsup *a, const airsup_msg *m);

/* Event loops: poll airsup_fd() for POLLIN, then call airsup_process()
 * and airsup_recv() with a timeout of 0 until it says -EAGAIN (which
 * also arms the fd for the next message); and airsup_recv() after 100 ms
 * without news too: a hostile sender may have wiped another's ring off
 * the bell they share, and it then looks at every lane itself. */
int airsup_fd(const airsup *a);
int airsup_process(airsup *a);

/* Request/reply (airsup(3), REQUEST AND REPLY).  A request is a message
 * with a correlation id; the server answers it with airsup_reply(),
 * which goes back over a lane to the exact instance (and actor) that
 * asked, as airsupd names the lane it came on.
 *
 * airsup_request() sends TYPE and LEN bytes of REQ to D and waits up to
 * TIMEOUT_NS for the reply: its length, its payload in REPLY (up to
 * SIZE bytes; -EMSGSIZE and RET_M->len if it does not fit) and its
 * envelope in RET_M (may be NULL).  -ETIMEDOUT: no reply in time (a late
 * one is dropped and counted).  Other messages that come meanwhile are
 * kept, in order, for airsup_recv(); they were committed, so a process
 * that dies before it reads them does not get them again. */
int airsup_request(airsup *a, airsup_dest *d, uint32_t type, const void *req, size_t len, void *reply, size_t size,
                   uint64_t timeout_ns, airsup_msg *ret_m);
/* The reply to REQ (a message received with a correlation id): TYPE and
 * LEN bytes of DATA to the instance that sent it, without waiting for
 * room (-EAGAIN: the requester's lane is full).  -EINVAL: REQ is not a
 * request, or came from an actor of this process (tell it instead). */
int airsup_reply(airsup *a, const airsup_msg *req, uint32_t type, const void *data, size_t len);
/* Replies that matched no waiting request, dropped. */
uint64_t airsup_late_replies(const airsup *a);
/* Monitored requests, as gen_server:call: with ON (0: no more), a
 * request to D, by airsup_request() or airsup_ask(), ends at once when
 * the instance it went to goes down while it waits: -ECONNRESET.  The
 * first such request, and the first after each DOWN, sets up a monitor
 * on the instance (a round trip to airsupd) that is kept; its DOWN is
 * kept for airsup_recv() as any monitor's.  An instance that is not up
 * then is -ESRCH (and its NOPROC is not kept): at once and nothing sent
 * if airsupd said so before the send, else as soon as it does.
 * Either way the request may still reach the instance's next
 * incarnation (its lane keeps it), whose reply is then late: dropped and
 * counted.  Requests without it wait for the reply or the timeout, and
 * cost nothing more. */
int airsup_dest_monitor(airsup_dest *d, int on);

/* Publish/subscribe (airsup(3), PUBLISH AND SUBSCRIBE), on subjects
 * with NATS's syntax ("orders.eu.new"; in a pattern "*" one token, ">"
 * the rest).  airsup_publish() puts the message straight into the lane of
 * each instance that subscribes (a pool subscribed in the configuration
 * without subscribe_all: one of its instances per message, in turn), and
 * returns how many it reached (0: nobody subscribes); OPTS's full mode
 * applies to each.  What it reaches is asked of airsupd once per subject,
 * and again only after subscriptions changed.  A run-time subscription
 * (airsup_subscribe()) is this instance's until airsup_unsubscribe() or
 * its end; AIRSUP_SUBSCRIBE_ALL is for nothing but symmetry with the
 * configuration (an instance is one).  -ENOSPC past 256 subscriptions of
 * a process, -E2BIG past 65,536 in all.  A message published to a subject
 * arrives with AIRSUP_MSG_PUBLISH and m->subject. */
#define AIRSUP_SUBSCRIBE_ALL 0x1
int airsup_subscribe(airsup *a, const char *pattern, int flags);
int airsup_unsubscribe(airsup *a, const char *pattern);
int airsup_publish(airsup *a, const char *subject, uint32_t type, const void *data, size_t len,
                   const airsup_send_opts *opts);

/* READY=1 to airsupd (for ready = notify), as sd_notify() would. */
int airsup_ready(airsup *a);

/* For health = heartbeat: says the process is alive and well; call it at
 * least every health_interval (airsup.conf(5), HEALTH). */
int airsup_heartbeat(airsup *a);


/* ---- Actors (airsup(3), ACTORS) --------------------------------------
 *
 * One actor system per process (airsup_sys), single-threaded: a tree of
 * supervisors and actors under one root supervisor, run by one dispatch
 * loop (airsup_sys_run(), or airsup_sys_fd() + airsup_sys_process() in a
 * program's own loop).  An actor is a behaviour (a handler and optional
 * start / stop / error hooks, usually shared by many actors), a state
 * pointer, an optional name and a mailbox.  Supervisors apply airsupd's
 * rules (strategy, restart type, intensity within a period, backoff,
 * ordered start, reverse-order stop).  When the root supervisor gives
 * up, the process ends with AIRSUP_EXIT_GAVE_UP after a final event, and
 * airsupd's tree takes over.  A memory fault is not an actor error: it
 * ends the whole process, and airsupd restarts the group. */

typedef struct airsup_sys airsup_sys;
typedef uint64_t airsup_ref;            /* an actor or supervisor; 0 is none; stale once it ended */

#define AIRSUP_EXIT_GAVE_UP 70          /* the process's exit status when its root supervisor gave up */

/* Strategies and restart types, as in airsup.conf(5). */
enum { AIRSUP_ONE_FOR_ONE = 0, AIRSUP_ONE_FOR_ALL = 1, AIRSUP_REST_FOR_ONE = 2 };
enum { AIRSUP_PERMANENT = 0, AIRSUP_TRANSIENT = 1, AIRSUP_TEMPORARY = 2 };

/* What an error hook answers about a handler's error. */
enum {
        AIRSUP_RESUME = 1,              /* keep the state, go on with the next message */
        AIRSUP_RESTART = 2,             /* stop hook, fresh state from the start hook: the actor alone */
        AIRSUP_STOP = 3,                /* stop hook, and the actor ends for good */
        AIRSUP_ESCALATE = 4,            /* the actor exits abnormally: its supervisor's strategy decides */
};
#define AIRSUP_RETRY 0x100              /* | AIRSUP_RESTART: the fresh actor handles the failed message again */

typedef struct airsup_behaviour {
        /* A message: 0, or an error (any negative value) for the error hook. */
        int (*handle)(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data);
        /* Fresh state from ARG (at spawn and at each restart); an error
         * fails the start.  NULL: the state is ARG. */
        int (*start)(airsup_sys *s, airsup_ref self, void *arg, void **state);
        /* The actor ends or restarts; REASON 0 normal, else the error. */
        void (*stop)(airsup_sys *s, airsup_ref self, void *state, int reason);
        /* What to do about ERROR from handle() on M.  NULL: AIRSUP_RESTART. */
        int (*error)(airsup_sys *s, airsup_ref self, void *state, int error, const airsup_msg *m);
} airsup_behaviour;

typedef struct airsup_spawn_opts {
        const char *name;               /* NULL: none; else unique in the process, see airsup(3) */
        int restart;                    /* AIRSUP_PERMANENT (0), AIRSUP_TRANSIENT, AIRSUP_TEMPORARY */
        void *arg;                      /* for the start hook */
} airsup_spawn_opts;

typedef struct airsup_sup_opts {
        const char *name;
        int strategy;                   /* AIRSUP_ONE_FOR_ONE ... */
        int restart;                    /* its own restart type under its parent */
        unsigned intensity;             /* more restarts than this within period: it gives up */
        uint64_t period_ns;
        uint64_t backoff_ns, backoff_max_ns;    /* 0: restart at once */
} airsup_sup_opts;

/* airsupd's defaults: one_for_one, permanent, 5 restarts in 10 s, no backoff. */
void airsup_sup_opts_init(airsup_sup_opts *o);

typedef struct airsup_sys_opts {
        const airsup_sup_opts *root;    /* NULL: airsup_sup_opts_init()'s */
        unsigned budget;                /* messages an actor handles per turn; 0: 64 */
        unsigned published;             /* actors listed in the table airsupd reads; 0: 4096 */
        int no_exit;                    /* the root gave up: return -ECANCELED instead of exiting */
} airsup_sys_opts;

/* A: the attached handle (messages from other groups, the table and
 * events for airsupd), or NULL for actors without airsupd. */
int airsup_sys_new(airsup *a, const airsup_sys_opts *o, airsup_sys **ret);
/* Stops every actor, children before their supervisor, in reverse order. */
airsup_sys *airsup_sys_free(airsup_sys *s);
airsup_ref airsup_root(const airsup_sys *s);

/* A supervisor under PARENT (a supervisor). */
int airsup_supervise(airsup_sys *s, airsup_ref parent, const airsup_sup_opts *o, airsup_ref *ret);
/* An actor under SUP, started at once (its start hook runs before this
 * returns; its error is returned and nothing is left).  RET may be NULL. */
int airsup_spawn(airsup_sys *s, airsup_ref sup, const airsup_behaviour *b, const airsup_spawn_opts *o,
                 airsup_ref *ret);
/* Ends R for good (a supervisor: its children first, in reverse order),
 * as OTP's terminate_child: not restarted, not counted. */
int airsup_stop(airsup_sys *s, airsup_ref r);
/* The actor SELF ends itself with REASON (0 normal, negative abnormal) at
 * the end of its handler; its restart type and supervisor decide. */
int airsup_exit(airsup_sys *s, airsup_ref self, int reason);
/* The actor named NAME in this process: -ENOENT. */
int airsup_whereis(airsup_sys *s, const char *name, airsup_ref *ret);
/* The actor being run (in a handler or hook), 0 outside. */
airsup_ref airsup_self(const airsup_sys *s);

/* TYPE and LEN bytes of DATA, copied into TO's mailbox.  -ESRCH: TO
 * ended; -EMSGSIZE beyond AIRSUP_ACTOR_MESSAGE_MAX. */
#define AIRSUP_ACTOR_MESSAGE_MAX (UINT32_C(16) << 20)
int airsup_tell(airsup_sys *s, airsup_ref to, uint32_t type, const void *data, size_t len);
/* Without a copy: room for LEN bytes at *RET_BUF in TO's mailbox, then
 * airsup_tell_commit() (or a second reserve gives the first up). */
int airsup_tell_reserve(airsup_sys *s, airsup_ref to, uint32_t type, size_t len, void **ret_buf);
int airsup_tell_commit(airsup_sys *s);

/* TYPE and DATA to TO after DELAY_NS, then every PERIOD_NS if not 0,
 * until cancelled or TO ends.  All timers share one timerfd. */
int airsup_send_after(airsup_sys *s, airsup_ref to, uint64_t delay_ns, uint64_t period_ns, uint32_t type,
                      const void *data, size_t len, uint64_t *ret_timer);
int airsup_cancel(airsup_sys *s, uint64_t timer);

/* An actor's request (from its handler): TYPE and DATA to D with a new
 * correlation id in *RET_CORRELATION; the reply comes to the asking
 * actor as a message with AIRSUP_MSG_REPLY and that correlation, or after
 * TIMEOUT_NS a message of type AIRSUP_TYPE_TIMEOUT with it; never both,
 * never neither (unless the actor ends).  A full lane is -EAGAIN.
 * -EINVAL outside a handler or without airsupd.  To a monitored D
 * (airsup_dest_monitor()), the instance going down ends the ask at once
 * with the same AIRSUP_TYPE_TIMEOUT message, whose payload is then one
 * int32_t, -ECONNRESET, or -ESRCH if it was not up (a timeout's payload
 * is empty); not up and known before the send: -ESRCH returned. */
#define AIRSUP_TYPE_TIMEOUT UINT32_C(0xffffff01)
int airsup_ask(airsup_sys *s, airsup_dest *d, uint32_t type, const void *data, size_t len, uint64_t timeout_ns,
               uint64_t *ret_correlation);
/* NAME in the registry for the actor R of this process (which must have a
 * name of its own): lookups of NAME lead to "INSTANCE/ACTOR".  The name
 * goes when the process ends; airsup_unregister() ends it before. */
int airsup_sys_register(airsup_sys *s, airsup_ref r, const char *name);

/* The actor R gets what is published to subjects PATTERN matches (the
 * process subscribes once per pattern; each matching actor gets the
 * message, m->subject set).  Ends with the process. */
int airsup_sys_subscribe(airsup_sys *s, airsup_ref r, const char *pattern);

/* From a handler: the running actor is told AIRSUP_TYPE_DOWN (an
 * airsup_down) when the instance NAME names goes down, as
 * airsup_monitor() says. */
int airsup_sys_monitor(airsup_sys *s, const char *name, uint64_t *ret_ref);

/* The attached handle an actor system was made with (NULL if none): for
 * airsup_lookup() and airsup_reply() from a handler. */
airsup *airsup_sys_airsup(const airsup_sys *s);

/* What airsupctl actors shows, for one actor or supervisor. */
typedef struct airsup_actor_info {
        char name[AIRSUP_NAME_MAX];
        airsup_ref parent;
        int supervisor;                 /* 1 for a supervisor */
        int state;                      /* AIRSUP_ACTOR_RUNNING ... */
        uint32_t depth;                 /* messages waiting in its mailbox */
        uint32_t restarts;
        uint64_t processed;
        int last_error;
} airsup_actor_info;
enum { AIRSUP_ACTOR_RUNNING = 1, AIRSUP_ACTOR_RESTARTING = 2, AIRSUP_ACTOR_STOPPED = 3 };
int airsup_actor_info_get(airsup_sys *s, airsup_ref r, airsup_actor_info *ret);

/* The loop.  airsup_sys_fd() is readable when there is work; then call
 * airsup_sys_process(): > 0 more work is ready (call it again), 0 idle
 * (poll the fd, for at most 100 ms: a hostile sender may have wiped
 * another's ring, and an idle turn looks at every lane), -ECANCELED the
 * root gave up (no_exit) or airsup_sys_quit() was called, other negative
 * errno: error. */
int airsup_sys_fd(const airsup_sys *s);
int airsup_sys_process(airsup_sys *s);
/* Runs until the root gives up (exits AIRSUP_EXIT_GAVE_UP, or returns
 * -ECANCELED with no_exit) or airsup_sys_quit(): 0. */
int airsup_sys_run(airsup_sys *s);
void airsup_sys_quit(airsup_sys *s);

#ifdef __cplusplus
}
#endif
