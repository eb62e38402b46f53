/* channel.h - the records between airsupd and each process it starts,
 * over the SOCK_SEQPACKET socket at AIRSUP_FD (STYLE rule 11: typed,
 * fixed-width, length-checked).  Both sides parse what the other sent
 * with chan_parse(), and trust nothing in it that it did not check.
 *
 *   process -> airsupd
 *     ATTACH                          send my mailbox (BELL, then an INBOX for every
 *                                       lane into it): once, when libairsup attaches.
 *                                       A process that never attaches costs airsupd no
 *                                       mailbox of its own until a sender looks it up
 *     LOOKUP  req, name               a lane to NAME ("GROUP" or "GROUP[i]")
 *     PONG    seq                     the answer to PING seq
 *     ACTORS                          + fd: the process's actor table (common/actor-table.h),
 *                                       a memfd sealed against shrinking; replaces an earlier one
 *     ACTOR_EVENT kind, error, answer, actor, detail
 *                                     an actor started, failed (with its hook's answer),
 *                                       restarted, stopped, escalated; GAVE_UP: the root
 *                                       supervisor gave up and the process is about to exit
 *     REGISTER req, name, actor       NAME for this instance (and its actor ACTOR, "" none)
 *     UNREGISTER req, name
 *     SUBSCRIBE req, flags, pattern   a run-time subscription (flags: ALL, or UNSUBSCRIBE)
 *     INTEREST req, subject           which instances SUBJECT reaches: TARGET records,
 *                                       then DONE
 *     MONITOR req, ref, name          tell this instance (DOWN ref) when the instance NAME
 *                                       names (a group of one, GROUP[i], a registered
 *                                       name) goes down: once
 *     DEAD    index, type, len, reason, actor, head
 *                                     a message that came on inbound lane INDEX was a dead
 *                                       letter in the process (no such actor, a bad address)
 *   airsupd -> process
 *     LANE    req, index, peer, actor + fds: lane, the receiver's bell, its eventfd,
 *                                       the lane's space eventfd; ACTOR: the actor a
 *                                       registered name leads to ("" none)
 *     POOL    req, route, n, name     the answer to a LOOKUP of a pool whose route picks an
 *                                       instance per message: look up NAME[0..n-1]
 *     TARGET  req, n, name            for INTEREST: an instance (n 0), or a pool to pick
 *                                       one of its N instances from per message
 *     DONE    req                     a REGISTER, UNREGISTER, MONITOR, SUBSCRIBE or
 *                                       INTEREST done
 *     DOWN    ref, code, status, name the instance a MONITOR watched went down (CODE:
 *                                       chan_down_code), or was not up when asked
 *     ERROR   req, error (negative errno)
 *     BELL    lanes                   + fds: this process's bell and eventfd, and the
 *                                       interest page (a u64 generation, read-only); the
 *                                       answer to ATTACH, before any INBOX
 *     INBOX   index, sender           + fds: a lane into this process's mailbox,
 *                                       its space eventfd (written when room is made);
 *                                       only after BELL
 *     PING    seq                     health = ping: libairsup answers PONG seq from
 *                                       the process's own receive loop
 *
 * Every record is one datagram: a header {version, type, len} (len the
 * whole record) and the type's fields; names are NUL-terminated within
 * their field and made of the characters of a name in airsup.conf(5). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHAN_VERSION    1
#define CHAN_NAME_MAX   64              /* with its NUL */
#define CHAN_FD         3               /* where a child finds its end */
#define CHAN_RECORD_MAX 512             /* no record is longer */
#define CHAN_SUBJECT_MAX 256            /* a subject with its NUL (common/subject.h: SUBJECT_MAX + 1) */

typedef enum chan_type {
        CHAN_LOOKUP = 1,
        CHAN_LANE,
        CHAN_ERROR,
        CHAN_BELL,
        CHAN_INBOX,
        CHAN_PING,
        CHAN_PONG,
        CHAN_ACTORS,
        CHAN_ACTOR_EVENT,
        CHAN_DEAD,
        CHAN_REGISTER,
        CHAN_UNREGISTER,
        CHAN_DONE,
        CHAN_MONITOR,
        CHAN_DOWN,
        CHAN_POOL,
        CHAN_SUBSCRIBE,
        CHAN_INTEREST,
        CHAN_TARGET,
        CHAN_ATTACH,
        _CHAN_TYPE_MAX,
} chan_type;

typedef struct chan_hdr {
        uint16_t version;
        uint16_t type;
        uint32_t len;
} chan_hdr;

typedef struct chan_lookup {
        chan_hdr h;
        uint32_t req;
        uint32_t reserved;
        char name[CHAN_NAME_MAX];
} chan_lookup;

typedef struct chan_lane {
        chan_hdr h;
        uint32_t req;
        uint32_t index;                 /* the lane's place in the receiver's mailbox */
        char peer[CHAN_NAME_MAX];       /* the receiving process, "GROUP" or "GROUP[i]" */
        char actor[CHAN_NAME_MAX];      /* a registered name's actor in it, "" none */
        uint32_t flags;                 /* CHAN_LANE_REGISTERED */
        uint32_t reserved;
} chan_lane;

#define CHAN_LANE_REGISTERED 0x1        /* the name was a run-time registration, which may move */

typedef struct chan_error {
        chan_hdr h;
        uint32_t req;
        int32_t error;
} chan_error;

typedef struct chan_bell {
        chan_hdr h;
        uint32_t lanes;
        uint32_t reserved;
} chan_bell;

/* ATTACH carries nothing. */
typedef struct chan_attach {
        chan_hdr h;
        uint32_t reserved[2];
} chan_attach;

typedef struct chan_inbox {
        chan_hdr h;
        uint32_t index;
        uint32_t reserved;
        char sender[CHAN_NAME_MAX];     /* the sending process, as airsupd knows it */
} chan_inbox;

typedef struct chan_ping {
        chan_hdr h;
        uint64_t seq;
} chan_ping;

/* ACTORS carries nothing but its fd. */
typedef struct chan_actors {
        chan_hdr h;
        uint32_t reserved[2];
} chan_actors;

typedef enum chan_actor_kind {
        CHAN_ACTOR_STARTED = 1,
        CHAN_ACTOR_FAILED,              /* error: the handler's, answer: the hook's AIRSUP_RESUME.. */
        CHAN_ACTOR_RESTARTED,
        CHAN_ACTOR_STOPPED,             /* error: the reason, 0 normal */
        CHAN_ACTOR_ESCALATED,           /* a supervisor gave up (intensity); its parent decides */
        CHAN_ACTOR_GAVE_UP,             /* the root gave up: the process exits AIRSUP_EXIT_GAVE_UP */
        CHAN_ACTOR_SUPPRESSED,          /* error: how many events the process did not send (its rate limit) */
        _CHAN_ACTOR_KIND_MAX,
} chan_actor_kind;

typedef struct chan_actor_event {
        chan_hdr h;
        uint32_t kind;                  /* chan_actor_kind */
        int32_t error;
        uint32_t answer;
        uint32_t reserved;
        char actor[CHAN_NAME_MAX];      /* its name, or "#ID" for an actor without one; may be "" */
        char detail[CHAN_NAME_MAX];     /* free text, printable ASCII, NUL-terminated within */
} chan_actor_event;

typedef enum chan_dead_reason {
        CHAN_DEAD_NO_ACTOR = 1,         /* the address names no actor of the process */
        CHAN_DEAD_BAD_ADDRESS,          /* the address is not one */
        CHAN_DEAD_TOO_BIG,              /* from outside (a bridge's import, index CHAN_DEAD_OUTSIDE): larger than
                                         * a local subscriber's message_max; actor: the subject */
        CHAN_DEAD_REFUSED,              /* from a bridge (index CHAN_DEAD_OUTSIDE): an export NATS will not
                                         * take (larger than its max_payload, refused by a stream); actor: the
                                         * subject */
        _CHAN_DEAD_REASON_MAX,
} chan_dead_reason;

#define CHAN_DEAD_OUTSIDE UINT32_MAX     /* chan_dead.index of a message that came on no lane */

typedef struct chan_dead {
        chan_hdr h;
        uint32_t index;                 /* the inbound lane it came on: airsupd knows its sender */
        uint32_t type;                  /* the message's */
        uint32_t len;                   /* its payload bytes (without the address) */
        uint32_t reason;                /* chan_dead_reason */
        char actor[CHAN_NAME_MAX];      /* the address it named, cut at CHAN_NAME_MAX - 1 */
        uint32_t n_head;                /* bytes of head[] that are the payload's first */
        uint32_t reserved;
        uint8_t head[64];
} chan_dead;

typedef struct chan_register {
        chan_hdr h;
        uint32_t req;
        uint32_t reserved;
        char name[CHAN_NAME_MAX];
        char actor[CHAN_NAME_MAX];      /* "" for the process; UNREGISTER: unused */
} chan_register;

typedef struct chan_done {
        chan_hdr h;
        uint32_t req;
        uint32_t reserved;
} chan_done;

typedef struct chan_monitor {
        chan_hdr h;
        uint32_t req;
        uint32_t reserved;
        uint64_t ref;                   /* the process's own id for it, echoed in DOWN */
        char name[CHAN_NAME_MAX];
} chan_monitor;

typedef enum chan_down_code {
        CHAN_DOWN_EXITED = 1,           /* status: its exit status */
        CHAN_DOWN_KILLED,               /* status: the signal */
        CHAN_DOWN_STOPPED,              /* stopped on purpose (the operator, a strategy, a shutdown) */
        CHAN_DOWN_NOPROC,               /* it was not up when the monitor was asked for */
        _CHAN_DOWN_CODE_MAX,
} chan_down_code;

typedef struct chan_down {
        chan_hdr h;
        uint64_t ref;
        uint32_t code;                  /* chan_down_code */
        int32_t status;
        char name[CHAN_NAME_MAX];       /* the instance */
} chan_down;

/* How a pool's route picks an instance (airsup.conf(5) route =). */
typedef enum chan_route {
        CHAN_ROUTE_LOOKUP,              /* per lookup: never sent, a LANE answers */
        CHAN_ROUTE_ROUND_ROBIN,
        CHAN_ROUTE_LEAST_LOADED,
        CHAN_ROUTE_HASH,
        CHAN_ROUTE_BROADCAST,
        _CHAN_ROUTE_MAX,
} chan_route;

typedef struct chan_pool {
        chan_hdr h;
        uint32_t req;
        uint32_t route;                 /* chan_route */
        uint32_t n;                     /* instances */
        uint32_t reserved;
        char name[CHAN_NAME_MAX];       /* the group */
} chan_pool;

#define CHAN_POOL_MAX 100000            /* instances a pool may have (airsup.conf(5)) */

#define CHAN_SUBSCRIBE_ALL         0x1  /* a pool's every instance, not one per message */
#define CHAN_SUBSCRIBE_UNSUBSCRIBE 0x2

typedef struct chan_subscribe {
        chan_hdr h;
        uint32_t req;
        uint32_t flags;
        char pattern[CHAN_SUBJECT_MAX]; /* INTEREST: a subject */
} chan_subscribe;

typedef struct chan_target {
        chan_hdr h;
        uint32_t req;
        uint32_t n;
        char name[CHAN_NAME_MAX];
} chan_target;

typedef union chan_record {
        chan_hdr h;
        chan_lookup lookup;
        chan_lane lane;
        chan_error error;
        chan_bell bell;
        chan_attach attach;
        chan_inbox inbox;
        chan_ping ping;                 /* PING and PONG */
        chan_actors actors;
        chan_actor_event actor_event;
        chan_dead dead;
        chan_register reg;              /* REGISTER and UNREGISTER */
        chan_done done;
        chan_monitor monitor;
        chan_down down;
        chan_pool pool;
        chan_subscribe sub;             /* SUBSCRIBE and INTEREST */
        chan_target target;
} chan_record;

/* Flags in a lane message's envelope (its sender word), which every
 * process and airsupd read alike: a reply to a request, and a message
 * published to a subject (to_len: the subject's bytes before the
 * payload).  A sender's claim: the receiver checks them. */
#define CHAN_ENV_REPLY   UINT64_C(1)
#define CHAN_ENV_PUBLISH UINT64_C(2)

/* The fds a record of TYPE carries. */
size_t chan_fds(chan_type type);

/* Checks BUF (LEN bytes, N_FDS fds with it) and copies it into *RET:
 * 0, or -EBADMSG (wrong version, type, length, fd count, or a name that
 * is not one). */
int chan_parse(const void *buf, size_t len, size_t n_fds, chan_record *ret);

/* A record of TYPE with its header filled in, the rest zero. */
void chan_init(chan_record *r, chan_type type);
/* NAME into a record's name field: -ENAMETOOLONG or -EINVAL if it is
 * not a name chan_parse() takes. */
int chan_set_name(char dst[CHAN_NAME_MAX], const char *name);
/* Whether S (a field of CHAN_NAME_MAX bytes) is a NUL-terminated name:
 * letters, digits, '-', '_', '.', and one "[N]" at the end. */
bool chan_name_valid(const char *s);
/* Whether S (up to CHAN_NAME_MAX bytes looked at) is an actor's or a
 * registered name: letters, digits, '-', '_', '.', no "[N]". */
bool chan_actor_name_valid(const char *s);
