/* actors.h - the actor system's insides, shared by child/actor*.c (the
 * public API is at the end of airsup.h).
 *
 *   actor.c        the table of actors (slots and refs), names, spawn,
 *                  stop, exit, the tree of supervisors
 *   actor-sup.c    what a failure does: the error hook's answer, restart
 *                  in place, the strategy, intensity and backoff
 *                  (common/policy), giving up and escalating to airsupd
 *   actor-mbox.c   the mailboxes and the ready ring
 *   actor-loop.c   tells, the dispatch loop and its budget, messages from
 *                  other groups, what timers say
 *   actor-timer.c  send_after and backoff timers on one timerfd
 *   actor-pub.c    the table airsupd reads and the events it is sent
 *
 * Single-threaded: nothing here locks.  An actor is a slot in a chunked
 * array (pointers to it stay valid while it lives); its airsup_ref is the
 * slot's index + 1 and the slot's generation, so a ref to an actor that
 * ended is stale at once, and the slot's next tenant has another ref.
 * Supervisors are slots too, with their own struct (act_sup) for the
 * children and the intensity window. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "child/airsup.h"
#include "common/actor-table.h"
#include "common/channel.h"
#include "common/policy.h"
#include "common/subject.h"

#define ACT_CHUNK_SHIFT 12
#define ACT_CHUNK       (1u << ACT_CHUNK_SHIFT)         /* slots per chunk */
#define ACT_NONE        UINT32_MAX                      /* no slot */
#define ACT_BUDGET      64                              /* messages per actor per turn, by default */
#define ACT_PUBLISHED   4096                            /* entries of the published table, by default */
#define ACT_NEST_MAX    64                              /* supervisors within supervisors, at most */

/* A message in an in-process mailbox, its payload right after it. */
typedef struct act_msg {
        struct act_msg *next;
        airsup_ref from;
        uint64_t correlation;           /* an ask's timeout or a reply kept: which ask */
        uint32_t type, len;
        uint32_t cls;                   /* its size class, or ACT_CLS_BIG (malloc'd) */
        uint32_t flags;                 /* AIRSUP_MSG_REPLY */
} act_msg;

#define ACT_MSG_PAYLOAD(m) ((void *) ((act_msg *) (m) + 1))

typedef enum act_kind_ {
        ACT_K_FREE = 0,
        ACT_K_ACTOR,
        ACT_K_SUP,
} act_kind_;

typedef enum act_run {
        ACT_R_RUNNING = AIRSUP_ACTOR_RUNNING,
        ACT_R_RESTARTING = AIRSUP_ACTOR_RESTARTING,     /* waiting out a backoff */
        ACT_R_STOPPED = AIRSUP_ACTOR_STOPPED,           /* its supervisor stopped it; it may start again */
} act_run;

/* Flags. */
#define ACT_F_READY   0x01              /* in the ready ring */
#define ACT_F_EXITING 0x02              /* airsup_exit() from its own handler: applied when it returns */
#define ACT_F_EVER    0x08              /* started once since its supervisor started afresh */
#define ACT_F_FAILED  0x10              /* a supervisor that gave up and stays down */

typedef struct act_sup act_sup;

typedef struct act {
        union {
                const airsup_behaviour *b;      /* ACT_K_ACTOR */
                act_sup *sup;                   /* ACT_K_SUP */
        };
        void *state, *arg;
        char *name;                     /* NULL: none */
        act_msg *head, *tail;           /* the mailbox */
        uint64_t processed;
        uint64_t started_ns;            /* for backoff's uptime */
        sup_backoff backoff;
        uint32_t gen;
        uint32_t parent;                /* the supervisor's slot, ACT_NONE for the root; next free slot when free */
        uint32_t prev, next;            /* siblings, in start order */
        uint32_t depth, restarts;
        uint32_t debt;                  /* messages it put into backed-up mailboxes: turns it sits out */
        uint32_t pub;                   /* its entry in the published table, ACT_NONE if not listed */
        int32_t last_error, exit_reason;
        uint8_t kind, run, restart, flags;
} act;

struct act_sup {
        airsup_sup_opts o;              /* o.name not kept: the slot's name */
        sup_window window;
        uint32_t first, last;           /* children, in start order */
        uint32_t n;
};

/* The published table (actor-pub.c). */
typedef struct act_pub {
        int fd;                         /* the memfd, -EBADF if none */
        act_table_hdr *h;               /* its mapping */
        size_t size;
        uint32_t capacity, n, free;     /* entries; free: a list through their parent field */
        uint64_t refreshed_ns;
        uint64_t processed_seen;        /* the system's processed count at the last refresh */
        uint64_t events_window_ns;      /* the rate limit of events to airsupd */
        uint32_t events_in_window, events_suppressed;
} act_pub;

typedef struct act_timer {
        uint64_t due_ns, period_ns;
        airsup_ref to;
        uint32_t gen, heap;             /* heap: its place in the heap, ACT_NONE when not armed */
        uint32_t type, len;
        void *data;                     /* for a message; NULL and len 0 for none */
        uint8_t kind;                   /* ACT_TIMER_* */
} act_timer;

enum {
        ACT_TIMER_TELL = 0,             /* tells TO the message */
        ACT_TIMER_RESTART,              /* a backoff ran out: restarts TO's slot */
        ACT_TIMER_ASK,                  /* an ask timed out: DATA is its correlation id */
};

struct airsup_sys {
        airsup *a;                      /* lent; NULL without airsupd */
        act **chunks;
        uint32_t n_chunks, n_slots, free;       /* free: the first free slot, ACT_NONE */
        uint32_t root;
        unsigned budget;
        bool no_exit, quit, gave_up;

        /* Names: open addressing, slot + 1 (0 empty, ACT_NONE a tombstone). */
        uint32_t *names;
        uint32_t names_cap, names_used;
        /* Bumped by every change of the names (names_put(), names_del()):
         * the slot that name_hit remembers is the name's while its epoch
         * is this one. */
        uint64_t names_epoch;
        /* The name the last message from a lane named, as checked, and
         * the slot it led to (lane_deliver()): a stream to one actor
         * costs a compare per message, not a check, a hash and a probe. */
        struct {
                uint64_t epoch;
                uint32_t len, slot;
                char name[CHAN_NAME_MAX];
        } name_hit;

        /* The ready ring: refs of actors with messages, in turn. */
        airsup_ref *ready;
        uint32_t ready_cap, ready_head, ready_n;

        /* Free lists of messages by size class. */
        act_msg *msg_free[8];
        void **chunks_msg;              /* the blocks they are carved from */
        size_t n_chunks_msg;
        act_msg *reserved;              /* airsup_tell_reserve()'s, not yet committed */
        uint32_t reserved_to;
        airsup_ref reserved_ref;

        /* The actor being run, and the message it is handling. */
        uint32_t current;
        /* airsup_stop() of the running actor or one of its supervisors:
         * applied when its handler returns. */
        airsup_ref *stops;
        uint32_t stops_n, stops_cap;
        bool local_signalled;           /* local_fd was written and not yet read */
        airsup_msg m_local;             /* what a handler is given for a local message */

        /* Failures to apply once the current one is done (actor-sup.c):
         * refs and reasons. */
        struct act_pending { airsup_ref ref; int reason; } *pending;
        uint32_t pending_n, pending_cap;

        /* Messages from other groups. */
        void *rxbuf;
        size_t rxsize;
        airsup_msg m_lane;
        bool lanes_busy;                /* the last look at the lanes left messages there */

        /* Timers. */
        act_timer *timers;
        uint32_t n_timers, timers_free;
        uint32_t *heap;
        uint32_t heap_n;
        uint64_t armed_ns;              /* what the timerfd is set to; 0 disarmed */
        void *fire_data;                /* a one-shot timer's data, given to the loop */
        int timer_fd, local_fd, epfd;
        bool in_process;                /* inside airsup_sys_process(): no need to write local_fd */
        bool in_run;                    /* inside airsup_sys_run(), which sleeps at most nap_ns */
        uint64_t nap_ns;                /* in_run: the lanes' nap left when they were armed (UINT64_MAX none) */
        uint64_t rounds;

        /* Asks waiting for their reply (actor-ask.c): open addressing
         * by correlation id, 0 empty. */
        struct act_ask *asks;
        uint32_t asks_cap, asks_n;
        /* Actors' subscriptions: a local index, id -> the actor (a slot
         * of subs); the process subscribes each pattern once at airsupd. */
        subject_index sub_idx;
        struct act_sub { airsup_ref actor; char *pattern; } *subs;
        uint32_t subs_n;
        /* Monitors asked for by actors: the monitor's ref, the actor's. */
        struct act_mon { uint64_t mref; airsup_ref actor; } *mons;
        uint32_t mons_n, mons_cap;
        /* actor-watch.c: who in other instances monitors an actor of
         * this system (MONITOR_ACTOR), at most ACT_WATCH_MAX. */
        struct act_watch *watches;
        uint32_t watches_n, watches_cap;

        act_pub pub;
        uint64_t processed, failures, restarts, escalations, dead_letters, queued;
        uint64_t n_actors, n_sups;
};

static inline uint64_t act__now(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* actor.c */
static inline act *act_at(const airsup_sys *s, uint32_t i) {
        return &s->chunks[i >> ACT_CHUNK_SHIFT][i & (ACT_CHUNK - 1)];
}
static inline airsup_ref act_ref(const airsup_sys *s, uint32_t i) {
        return (uint64_t) act_at(s, i)->gen << 32 | (uint64_t) (i + 1);
}
/* The live slot REF names, or ACT_NONE. */
static inline uint32_t act_slot(const airsup_sys *s, airsup_ref r) {
        uint32_t i = (uint32_t) r - 1;

        if ((uint32_t) r == 0 || i >= s->n_slots)
                return ACT_NONE;
        act *a = act_at(s, i);
        return a->kind != ACT_K_FREE && a->gen == (uint32_t) (r >> 32) ? i : ACT_NONE;
}
uint32_t act__find_name(const airsup_sys *s, const char *name, size_t len);
/* Runs I's start hook (fresh state): 0 or its error. */
int act__start(airsup_sys *s, uint32_t i);
/* Runs I's stop hook (a supervisor: its children's, last first) and
 * marks it stopped; its mailbox stays. */
void act__stop_tree(airsup_sys *s, uint32_t i, int reason);
/* Ends I for good: stopped as above, unlinked, its messages and timers
 * dropped, its slot freed. */
void act__terminate(airsup_sys *s, uint32_t i, int reason);
/* I's name, or "#REF" for an actor without one. */
static inline void act__name_of(const airsup_sys *s, uint32_t i, char ret[AIRSUP_NAME_MAX]) {
        const act *a = act_at(s, i);

        if (a->name)
                (void) snprintf(ret, AIRSUP_NAME_MAX, "%s", a->name);
        else
                (void) snprintf(ret, AIRSUP_NAME_MAX, "#%llu", (unsigned long long) act_ref(s, i));
}

/* actor-sup.c */
/* ERROR from I's handler on M: asks its hook, and does what it says. */
void act__failed(airsup_sys *s, uint32_t i, int error, const airsup_msg *m, const void *data, bool *ret_retry);
/* I ends by itself with REASON (0 normal): its restart type and its
 * supervisor decide. */
void act__exited(airsup_sys *s, uint32_t i, int reason);
/* A backoff ran out: restart what waits in slot I. */
void act__backoff_done(airsup_sys *s, uint32_t i);
/* Applies the failures queued while another was being handled. */
void act__settle(airsup_sys *s);
/* A failure to apply later (a start that failed during a restart). */
void act__pending(airsup_sys *s, uint32_t i, int reason);

/* actor-mbox.c */
act_msg *act__msg_new(airsup_sys *s, size_t len);
void act__msg_free(airsup_sys *s, act_msg *m);
void act__enqueue(airsup_sys *s, uint32_t i, act_msg *m, bool front);
/* I can run again (restarted): ready if it has messages. */
void act__wake(airsup_sys *s, uint32_t i);
void act__drop_mailbox(airsup_sys *s, uint32_t i);
void act__msgs_free(airsup_sys *s);

/* actor-loop.c */
/* The stops asked for from inside a handler. */
void act__apply_stops(airsup_sys *s);

/* airsup.c, for the actor system (and airsup__recv_raw() in lib.h) */
int airsup__chan_send(airsup *a, const void *rec, size_t len, const int *fds, size_t n_fds, bool wait);

/* actor-timer.c */
int act__timers_init(airsup_sys *s);
void act__timers_free(airsup_sys *s);
int act__timer_add(airsup_sys *s, airsup_ref to, uint64_t delay_ns, uint64_t period_ns, uint32_t type,
                   const void *data, size_t len, int kind, uint64_t *ret_id);
int act__timer_cancel(airsup_sys *s, uint64_t id);
/* A timer that came due. */
typedef struct act_fire {
        airsup_ref to;
        uint32_t type, len;
        const void *data;               /* valid until the next act__timer_next() */
        int kind;                       /* ACT_TIMER_* */
} act_fire;
/* Takes the next timer due at NOW_NS (a periodic one is set again): 1
 * and *RET, or 0 when none is due. */
int act__timer_next(airsup_sys *s, uint64_t now_ns, act_fire *ret);
/* Once the due ones were taken: the timerfd at the next. */
void act__timers_rearm(airsup_sys *s);

/* actor-ask.c */
typedef struct act_ask {
        uint64_t correlation;
        airsup_ref ref;                 /* the asking actor */
        uint64_t timer;
        char peer[AIRSUP_NAME_MAX];     /* the instance asked: its reply must come from there */
        uint64_t mon;                   /* a monitored destination's: the monitor whose DOWN ends it; 0 none */
} act_ask;
/* ASK (its correlation id not 0 and not waiting already) into the table. */
int act__ask_put(airsup_sys *s, const act_ask *ask);
/* The ask CORRELATION waits for, taken off the table into *RET: 1, or 0
 * if none waits (it timed out, or never was) or, PEER not NULL, it was
 * not that instance that was asked. */
int act__ask_take(airsup_sys *s, uint64_t correlation, const char *peer, act_ask *ret);
void act__asks_free(airsup_sys *s);
/* The DOWN of monitor MREF came, its CODE an AIRSUP_DOWN_*: the asks sent
 * under it end at once, each asking actor told AIRSUP_TYPE_TIMEOUT with
 * -ECONNRESET (-ESRCH for a NOPROC). */
void act__asks_down(airsup_sys *s, uint64_t mref, uint32_t code);
/* FN for each actor whose subscription matches SUBJECT. */
void act__subs_foreach(airsup_sys *s, const char *subject, void (*fn)(airsup_sys *s, uint32_t i, void *u), void *u);
void act__subs_free(airsup_sys *s);
/* The actor monitor MREF was asked for by, taken off: 1, or 0 if none. */
int act__mon_take(airsup_sys *s, uint64_t mref, airsup_ref *ret_actor);

/* actor-pub.c */
int act__pub_init(airsup_sys *s, unsigned capacity);
void act__pub_free(airsup_sys *s);
/* I's entry, after a change of its state, name or counters. */
void act__pub_update(airsup_sys *s, uint32_t i);
void act__pub_release(airsup_sys *s, uint32_t i);
/* The counters of every listed actor and the totals, at most every
 * refresh interval unless FORCE. */
void act__pub_refresh(airsup_sys *s, bool force);
/* How many events the rate limit held back, to airsupd, if any. */
void act__events_flush(airsup_sys *s);
/* An event for airsupd (rate-limited unless it is GAVE_UP). */
void act__event(airsup_sys *s, uint32_t i, int kind, int error, int answer, const char *detail);
/* A message from inbound lane LANE was a dead letter. */
void act__dead(airsup_sys *s, uint32_t lane, uint32_t type, const void *data, size_t len, const char *addr,
               size_t addr_len, int reason);

/* actor-watch.c: monitors of this system's actors by other instances
 * (airsup(3), MONITORS).  A MONITOR_ACTOR that came on a lane (M, to the
 * actor at I, ACT_NONE for no such actor, the monitor's ref in DATA):
 * kept, or answered with a NOPROC when there is no such actor (status
 * -ENOSPC: ACT_WATCH_MAX watchers already). */
#define ACT_WATCH_MAX 4096
void act__watch_add(airsup_sys *s, const airsup_msg *m, uint32_t i, const void *data, size_t len);
/* Actor I ends for good (REASON 0: stopped or done): its watchers are
 * told. */
void act__watch_down(airsup_sys *s, uint32_t i, int reason);
void act__watch_free(airsup_sys *s);
