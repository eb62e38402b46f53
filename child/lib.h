/* lib.h - libairsup's insides, shared by airsup.c (the channel, lanes,
 * destinations, receive) and request.c (request/reply); the public API is
 * airsup.h. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "child/airsup.h"
#include "common/channel.h"
#include "shm/shm.h"

/* Envelope flags, in the lane envelope's sender word (a sender's own
 * claim: the receiver checks a reply against what it asked, and whom). */
#define AIRSUP_ENV_REPLY CHAN_ENV_REPLY
#define AIRSUP_ENV_PUBLISH CHAN_ENV_PUBLISH      /* to_len: the subject's bytes before the payload */
/* m->lane of a message kept by a request: committed already. */
#define AIRSUP_LANE_STASH UINT32_MAX

struct airsup_dest {
        airsup *a;
        airsup_dest *next;
        airsup_dest *base;              /* an actor's: its group's, which owns the lane; NULL for a group's */
        shm_tx *tx;                     /* a group's; an actor's borrows its base's */
        uint32_t actor_len;             /* an actor's: its name's bytes, sent before each payload */
        char actor[AIRSUP_NAME_MAX];
        int addr_id;                    /* an actor's: its name's entry in the lane's address table, or -1 */
        int space_fd;                   /* ours, for airsup_dest_fd(); shm_tx has its own copy */
        bool armed;
        char name[AIRSUP_NAME_MAX];     /* as looked up */
        char peer[AIRSUP_NAME_MAX];     /* the instance its lane leads to */
        bool registered;                /* looked up by a run-time name: asked again each lookup */
        /* A pool routed per message (airsup.conf(5) route =): a
         * destination per instance, and how one is picked; tx is NULL. */
        airsup_dest **members;
        uint32_t n_members, route, rr;  /* rr: the next in turn */
        airsup_dest *picked;            /* the member airsup_reserve() chose, for the commit */
        bool monitored;                 /* airsup_dest_monitor(): its requests end at a DOWN */
        uint64_t mon_ref;               /* a lane owner's: the monitor on its instance, 0 none or DOWN came */
        char *subject;                  /* airsup_lookup_subject(): a send publishes to it; NULL otherwise */
        int (*publish)(airsup_dest *d, uint32_t type, const void *payload, size_t len,
                       const airsup_send_opts *opts);  /* publish.c's, for a subject's airsup_send() */
};

/* A destination that picks one of GROUP's N instances (GROUP[0..N-1])
 * per message by ROUTE (chan_route); not in the list of destinations:
 * the caller owns it (free it and its members array; the members are
 * the list's). */
int airsup__pool_new(airsup *a, const char *group, uint32_t n, uint32_t route, uint64_t timeout_ns, airsup_dest **ret);
/* The member of a routed pool a message goes to (D itself if D is not
 * one; with broadcast, the next in turn). */
airsup_dest *airsup__pick(airsup_dest *d, const airsup_send_opts *o);

/* A message that came while airsup_request() waited for its reply: kept
 * for airsup_recv(), in order. */
typedef struct airsup_stash {
        struct airsup_stash *next;
        airsup_msg m;
        /* the payload follows */
} airsup_stash;

/* An actor monitor (monitor-actor.c makes it, airsup.c gives its DOWN). */
struct airsup_amon {
        uint64_t ref;
        char instance[AIRSUP_NAME_MAX];         /* the actor's, as airsupd names it */
        char name[AIRSUP_NAME_MAX];             /* as asked, "INSTANCE/ACTOR" */
};

struct airsup {
        int chan;                       /* ours: AIRSUP_FD */
        bool chan_gone;                 /* airsupd closed it: the lanes go on without it */
        int epfd;                       /* the channel and the eventfd, for airsup_fd() */
        int event_fd;                   /* our mailbox's, from BELL */
        shm_mailbox *mb;
        bool armed;
        /* airsup__recv_raw_spin() with a nap: an empty mailbox is armed
         * with shm_mailbox_arm_fd_nap() for a caller that sleeps at most
         * nap_ns (UINT64_MAX: as long as it likes). */
        bool nap_ok;
        uint64_t nap_ns;
        uint64_t n_recv;
        uint32_t next_req;
        char (*senders)[AIRSUP_NAME_MAX];       /* by lane index */
        size_t n_senders;
        airsup_dest *dests;
        airsup_stash *stash, *stash_tail;
        uint64_t next_corr;             /* the last correlation id of a request */
        uint64_t late_replies;          /* replies that matched no waiting request, dropped */
        void *req_buf;                  /* airsup_request()'s receive buffer, kept between calls */
        const volatile uint64_t *gen;   /* airsupd's interest generation (read-only), NULL if none */
        struct airsup_topic *topics;    /* publish.c: subjects published to, and whom they reach */
        void (*topics_free)(airsup *a); /* set by publish.c with its first topic: detach calls it */
        char subject_ok[CHAN_SUBJECT_MAX];      /* the last subject received that was valid (airsup_recv()) */
        uint32_t subject_ok_len;
        uint64_t *monitors;             /* refs of the monitors waiting for their DOWN */
        size_t n_monitors, cap_monitors;
        uint64_t next_monitor;
        size_t req_size;
        uint64_t req_mon;               /* the monitor a waiting airsup_request() ends at, 0 none */
        struct airsup_amon *amons;      /* monitor-actor.c: monitors of actors in other instances */
        size_t n_amons, cap_amons;
        uint64_t forged_downs;          /* DOWNs on lanes that answered no monitor of ours, dropped */
        int req_down;                   /* its DOWN came: the error it ends with; the receive returns -ENOMSG */
};


/* REGISTER or UNREGISTER (chan_type) NAME, for ACTOR (NULL: the process). */
int airsup__register(airsup *a, int type, const char *name, const char *actor);
/* REC (its req set here) to airsupd, and its DONE or ERROR. */
int airsup__call(airsup *a, chan_record *rec);
int airsup__lookup_group(airsup *a, const char *name, uint64_t timeout_ns, airsup_dest **ret);
/* One message off the lanes, waiting up to TIMEOUT_NS, with its envelope
 * (as airsup_recv() before anything is taken off the payload).
 * IO_DEADLINE (may be NULL): the deadline in use, 0 until the clock was
 * read (a receive that need not wait does not read it); a caller that
 * loops passes it back, so that the timeout is counted once.
 * -ENOMSG: without IO_DEADLINE, a DOWN was kept (airsup_recv() gives it
 * first); with or without, a monitored request's DOWN came (req_down). */
int airsup__recv_env(airsup *a, airsup_msg *m, void *buf, size_t size, uint64_t timeout_ns, shm_envelope *ret_e,
                     uint32_t *ret_lane, uint64_t *io_deadline);
/* request.c: a message kept while a request waited, for airsup_recv():
 * 1 and it, 0 if none, -EMSGSIZE (m->len says what is needed). */
int airsup__stash_pop(airsup *a, airsup_msg *m, void *buf, size_t size);
/* M and LEN bytes of DATA, kept for airsup_recv(). */
int airsup__stash_push(airsup *a, const airsup_msg *m, const void *data, size_t len);
void airsup__stash_free(airsup *a);
/* publish.c */
void airsup__topics_free(airsup *a);
/* airsup.c, for publish.c: the next record from airsupd by DEADLINE
 * (-ETIMEDOUT), and what to do with one that is not the awaited. */
int airsup__read_record(airsup *a, uint64_t deadline, chan_record *rec, int fds[4], size_t *n_fds);
void airsup__handle(airsup *a, const chan_record *rec, int *fds, size_t n_fds);
/* PLEN bytes of PREFIX (an address the receiver takes off: to_len) and
 * LEN of DATA in one record to D, ENV_FLAGS in the sender word. */
int airsup__send_prefixed(airsup_dest *d, uint32_t type, const void *prefix, uint32_t plen, uint64_t env_flags,
                          const void *data, size_t len, const airsup_send_opts *opts);
/* A new correlation id, never 0. */
uint64_t airsup__correlation(airsup *a);
/* request.c: the monitor on the instance D's lane leads to (set up the
 * first time, and again after its DOWN), for a monitored request:
 * -ESRCH if that instance is down already. */
int airsup__dest_watch(airsup *a, airsup_dest *d, uint64_t *ret_ref);
/* request.c: the DOWN of monitor REF came, its CODE an AIRSUP_DOWN_*
 * (airsup.c, before it is kept): the destinations' monitor that it was
 * is gone, and a request waiting on it ends. */
void airsup__request_down(airsup *a, uint64_t ref, uint32_t code);
/* What a monitored request ends with at a DOWN of CODE: -ESRCH for a
 * NOPROC (the instance was not up when it was made), else -ECONNRESET. */
static inline int airsup__down_error(uint32_t code) {
        return code == AIRSUP_DOWN_NOPROC ? -ESRCH : -ECONNRESET;
}

/* Whether the N bytes at A and B are equal: a word at a time, inline (a
 * name or a subject is a few words; the library's memcmp costs more to
 * call). */
static inline bool airsup__bytes_equal(const char *a, const char *b, size_t n) {
        uint64_t x, y;

        for (; n >= 8; a += 8, b += 8, n -= 8) {
                memcpy(&x, a, 8);
                memcpy(&y, b, 8);
                if (x != y)
                        return false;
        }
        for (; n > 0; a++, b++, n--)
                if (*a != *b)
                        return false;
        return true;
}

/* dead.c: a bridge's message to or from outside, as a dead letter of
 * this process's: an import from NATS that no local subscriber can take
 * (larger than its message_max), or with REFUSED an export that NATS
 * will not take (larger than its max_payload, refused by a stream).
 * SUBJECT is where it went. */
int airsup__dead_outside(airsup *a, bool refused, const char *subject, uint32_t type, const void *data, size_t len);

/* Message types 0xffffff00 and up are the library's own: on a lane, one
 * is never handed to the program as it came (monitor-actor.c). */
#define AIRSUP_TYPE_RESERVED UINT32_C(0xffffff00)
/* "Tell me when your actor goes down": payload the monitor's ref (8
 * bytes), to the actor's name; answered, at its end, with a DOWN on a
 * lane of its own (airsup_down, name unused). */
#define AIRSUP_TYPE_MONITOR_ACTOR UINT32_C(0xffffff03)
/* airsup.c: the monitors waiting for a DOWN. */
bool airsup__monitor_take(airsup *a, uint64_t ref);
int airsup__monitor_ref(airsup *a, const char *name, uint64_t ref);
/* monitor-actor.c: airsup_monitor() of "INSTANCE/ACTOR". */
int airsup__monitor_actor(airsup *a, const char *name, uint64_t *ret_ref);
/* The full name of actor monitor REF, into NAME, if it is one (its entry
 * goes: its DOWN is being given). */
bool airsup__amon_take(airsup *a, uint64_t ref, char name[AIRSUP_NAME_MAX]);
/* A message of a reserved type that came on a lane (M, LEN bytes at BUF,
 * TO_LEN of them its address): a DOWN that answers one of our actor
 * monitors is kept for airsup_recv() (and the actor system), any other
 * dropped and counted; a MONITOR_ACTOR to a process that runs no actors
 * (HAS_ACTORS false) is answered with a NOPROC.  The caller commits it. */
void airsup__lane_reserved(airsup *a, const airsup_msg *m, const void *buf, size_t len, uint32_t to_len);
/* The DOWN of actor monitor REF (code, status) to the instance WATCHER
 * that asked, on a lane: -errno if it cannot be sent. */
int airsup__send_down(airsup *a, const char *watcher, uint64_t ref, uint32_t code, int32_t status);
/* airsup.c: one message off the lanes without waiting, as it came (a
 * reply included; TO_LEN the bytes of its address or subject first), for
 * the actor system and the bridge to NATS. */
int airsup__recv_raw(airsup *a, airsup_msg *m, void *buf, size_t size, uint32_t *ret_to_len);
/* The same; with SPIN, an empty mailbox is looked at for a few
 * microseconds (a stream's next message is usually that close) before
 * its lanes are armed and -EAGAIN returned. */
int airsup__recv_raw_spin(airsup *a, airsup_msg *m, void *buf, size_t size, bool spin, uint32_t *ret_to_len);
/* The same for a caller that, given -EAGAIN, sleeps at most *RET_NAP_NS
 * (UINT64_MAX: as long as it likes) before it looks again: lanes that
 * came in bursts are given up in batch mode (shm_mailbox_arm_fd_nap()),
 * without the membarrier() of a plain give-up. */
int airsup__recv_raw_nap(airsup *a, airsup_msg *m, void *buf, size_t size, bool spin, uint64_t *ret_nap_ns,
                         uint32_t *ret_to_len);
