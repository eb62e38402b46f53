/* shm.h - crash-safe shared-memory mailboxes: lanes, bells, senders and
 * receivers.  No knowledge of processes or of airsupd: whoever creates the
 * segments hands their fds to the two sides (see layout.h for the bytes and
 * the memory-ordering argument).
 *
 * A lane is a single-producer single-consumer byte ring of variable-length
 * records in a sealed memfd: a message takes its own bytes (a header of 8
 * bytes, 16 with a priority or an address alone, 48 with the other
 * envelope fields, and its payload, rounded up to 8), not a slot sized
 * for the largest.  A mailbox is one receiver's
 * set of inbound lanes plus a bell: a small segment with a doorbell bitmap
 * (which lanes have news) and the futex word the receiver sleeps on.  A
 * sender (shm_tx) holds one lane and the bell of the mailbox it sends to,
 * and the receiver's eventfd if it waits through one.
 *
 * Every function returns >= 0 on success or a negative errno; nothing
 * aborts or prints.  Time is passed in (CLOCK_MONOTONIC nanoseconds), so
 * that deadlines can be tested without sleeping; shm_now() reads it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHM_CAPACITY_MIN     UINT32_C(256)
#define SHM_CAPACITY_MAX     (UINT32_C(1) << 30)
#define SHM_MESSAGE_MAX      (UINT32_C(16) << 20)
#define SHM_LANES_MAX        4096
#define SHM_PRIORITIES       4          /* 0 lowest .. 3 highest; larger values count as 3 */

/* The most message_max a lane of CAPACITY bytes allows: a quarter of it
 * (and SHM_MESSAGE_MAX), so that at least four of its largest messages
 * fit and an empty lane always takes one. */
static inline uint32_t shm_lane_message_max_for(uint64_t capacity) {
        return capacity / 4 < SHM_MESSAGE_MAX ? (uint32_t) (capacity / 4) : SHM_MESSAGE_MAX;
}

/* Whether a lane of CAPACITY bytes for messages of up to MESSAGE_MAX bytes
 * can be made: CAPACITY a power of two from SHM_CAPACITY_MIN (256) to
 * SHM_CAPACITY_MAX (1 GiB), MESSAGE_MAX from 1 to
 * shm_lane_message_max_for(CAPACITY).  The one check, shared by
 * shm_lane_create() and the configuration (mailbox =, message_max =). */
static inline bool shm_lane_geometry_valid(uint64_t capacity, uint64_t message_max) {
        return capacity >= SHM_CAPACITY_MIN && capacity <= SHM_CAPACITY_MAX && (capacity & (capacity - 1)) == 0 &&
               message_max >= 1 && message_max <= shm_lane_message_max_for(capacity);
}

/* The bytes a message of LEN payload bytes takes in a lane: 8 bytes of
 * header (48 with the envelope's optional fields), the payload, rounded
 * up to a multiple of 8. */
static inline uint32_t shm_record_size(uint32_t len, bool extended) {
        return ((extended ? 48 : 8) + len + 7) & ~UINT32_C(7);
}

typedef struct shm_envelope {
        uint32_t type;
        uint32_t priority;
        uint64_t sender;
        uint64_t reply_to;
        uint64_t correlation;
        uint64_t deadline_ns;           /* CLOCK_MONOTONIC; 0: none */
        uint32_t redelivered;           /* on receive: deliveries before this one */
        uint32_t len;                   /* payload bytes */
        uint32_t to_len;                /* the first TO_LEN payload bytes are an address the receiver
                                         * reads (libairsup: an actor's name); opaque here, unchecked;
                                         * at most len (bit 31 marks an entry of the address table in
                                         * a record, shm_tx_send_to()) */
} shm_envelope;

/* What a send does when the lane is full. */
typedef enum shm_full {
        SHM_FULL_FAIL,                  /* return -EAGAIN */
        SHM_FULL_DROP,                  /* count it as dropped and return 0 */
        SHM_FULL_BLOCK,                 /* wait for space until the timeout, then -ETIMEDOUT */
        _SHM_FULL_MAX,
        _SHM_FULL_INVALID = -22,
} shm_full;

typedef struct shm_lane_stats {
        uint64_t sent, dropped, received, expired, errors;
        uint64_t depth;                 /* messages waiting (from the counters) */
        uint64_t depth_bytes;           /* bytes of the ring in use */
        uint64_t hwm_bytes;             /* the most bytes the receiver saw waiting */
        uint64_t capacity;
        uint64_t dead;                  /* taken off as dead letters */
} shm_lane_stats;

/* A message taken off a lane as a dead letter: its envelope and its first
 * bytes. */
typedef struct shm_dead_letter {
        shm_envelope env;               /* redelivered: how often it was delivered again */
        uint32_t n_head;
        uint8_t head[64];
} shm_dead_letter;

/* One message of a batch (shm_tx_sendv()). */
typedef struct shm_msg {
        shm_envelope env;
        const void *payload;
} shm_msg;

typedef struct shm_tx shm_tx;
typedef struct shm_mailbox shm_mailbox;

uint64_t shm_now(void);
/* shm_now() + TIMEOUT_NS, UINT64_MAX (never) where that would not fit. */
uint64_t shm_deadline(uint64_t timeout_ns);

/* Segments.  The fds are O_CLOEXEC memfds, sealed, their memory faulted in. */
int shm_lane_create(uint32_t capacity, uint32_t message_max, int *ret_fd);
int shm_bell_create(uint32_t lanes, int *ret_fd);
/* Reads a lane's counters; the lane is mapped for the call only. */
int shm_lane_stats_read(int lane_fd, shm_lane_stats *ret);
/* For a lane whose receiver is down (between two incarnations): if the
 * message at its head was taken and not committed more than
 * MAX_REDELIVERIES + 1 times, takes it off as the receiver would, counts
 * it, copies it into *RET and returns 1; 0 if there is no such message;
 * -EBADMSG if the lane is garbled.  Whoever calls it is the consumer for
 * the call. */
int shm_lane_take_dead(int lane_fd, uint32_t max_redeliveries, shm_dead_letter *ret);

/* Sending.  INDEX is the lane's place in the receiver's mailbox.
 * EVENT_FD is the receiver's eventfd, SPACE_FD this sender's own, on which
 * it waits for space through poll() (shm_tx_arm_fd()); either may be
 * -EBADF when that side never waits through an fd.  The fds are
 * duplicated. */
int shm_tx_open(int lane_fd, int bell_fd, uint32_t index, int event_fd, int space_fd, shm_tx **ret);
shm_tx *shm_tx_free(shm_tx *t);
/* Copies E (its len) and PAYLOAD into the lane.  TIMEOUT_NS bounds
 * SHM_FULL_BLOCK (0: do not wait), which spins up to some tens of
 * microseconds (reading the receiver's position at intervals; less after
 * spins that ended in a sleep) before it sleeps on a futex until the
 * receiver frees enough bytes. */
int shm_tx_send(shm_tx *t, const shm_envelope *e, const void *payload, shm_full full, uint64_t timeout_ns);
/* A send whose payload lies in two pieces: its first E->to_len bytes
 * (an address the receiver takes off) at PREFIX, the other
 * E->len - E->to_len at PAYLOAD; one record, each piece copied once. */
int shm_tx_send_prefixed(shm_tx *t, const shm_envelope *e, const void *prefix, const void *payload, shm_full full,
                         uint64_t timeout_ns);
/* The lane's address table (layout.h): the id of ADDR (LEN bytes, 1 to
 * 63) for shm_tx_send_to(), written into the table the first time; the
 * same id for the same bytes ever after, also for a later sender on the
 * lane.  -ENOSPC: the table is full (send the address in the payload,
 * shm_tx_send_prefixed()); -EINVAL. */
int shm_tx_address(shm_tx *t, const void *addr, uint32_t len);
/* shm_tx_send() of E (E->to_len 0, E->len the payload's bytes) to the
 * address ID: the receiver gets the address's bytes, then the payload,
 * with to_len their length, as if sent by shm_tx_send_prefixed(); the
 * record carries the id alone.  -EMSGSIZE if address and payload are
 * more than message_max. */
int shm_tx_send_to(shm_tx *t, const shm_envelope *e, uint32_t id, const void *payload, shm_full full,
                   uint64_t timeout_ns);
/* N messages, published together (one tail store, one wake-up check) as
 * far as they fit; when one does not, what was written is published and
 * FULL decides, as for a send.  Returns how many were sent or dropped
 * (all N unless the lane stayed full: then fewer, or -EAGAIN/-ETIMEDOUT
 * if none); -EMSGSIZE/-EINVAL for a bad message, if it is the first. */
int shm_tx_sendv(shm_tx *t, const shm_msg *msgs, size_t n, shm_full full, uint64_t timeout_ns);
/* Zero-copy: room for a message of up to E->len bytes with E's envelope,
 * written in place at *RET_PAYLOAD, then published by shm_tx_commit()
 * with the LEN bytes actually written (LEN <= E->len); the unused rest of
 * the room is not taken.  shm_tx_cancel() gives it up unpublished.
 * SHM_FULL_DROP reserves like SHM_FULL_FAIL. */
int shm_tx_reserve(shm_tx *t, const shm_envelope *e, shm_full full, uint64_t timeout_ns, void **ret_payload);
int shm_tx_commit(shm_tx *t, uint32_t len);
void shm_tx_cancel(shm_tx *t);
uint32_t shm_tx_message_max(const shm_tx *t);
/* Waiting for space through SPACE_FD: after a send failed with -EAGAIN,
 * arm() -- 1 means there is space already, do not sleep; 0 means poll
 * SPACE_FD for POLLIN; disarm() after poll() returned (or timed out)
 * drains it.  The receiver writes SPACE_FD when it frees a record while the
 * sender is armed, and once when it adds the lane (its predecessor may
 * have died between freeing a record and writing): after poll(), disarm and
 * send again. */
int shm_tx_arm_fd(shm_tx *t);
void shm_tx_disarm_fd(shm_tx *t);
/* Bytes published and not yet freed by the receiver (its head read now):
 * how far behind it is.  UINT64_MAX if the head is garbage. */
uint64_t shm_tx_backlog(shm_tx *t);
/* The lane's published byte position: where the next message goes (0
 * for the first ever). */
uint64_t shm_tx_position(const shm_tx *t);
/* System calls made to wake the receiver or wait for space (for benches). */
uint64_t shm_tx_syscalls(const shm_tx *t);

/* Receiving.  EVENT_FD (lent, not owned; may be -EBADF) is the eventfd that
 * senders write when the receiver waits through it. */
int shm_mailbox_open(int bell_fd, int event_fd, shm_mailbox **ret);
shm_mailbox *shm_mailbox_free(shm_mailbox *m);
/* SPACE_FD: the eventfd the lane's sender gave shm_tx_open() to wait for
 * space on, or -EBADF if it never waits through one (it then waits on the
 * futex only); duplicated. */
int shm_mailbox_add_lane(shm_mailbox *m, uint32_t index, int lane_fd, int space_fd);
/* Takes the next message: the highest priority among lane heads, lanes of
 * equal priority in turn.  Copies its envelope and payload (up to SIZE
 * bytes) out and returns the payload length; the message stays on its lane
 * until shm_mailbox_commit() of *RET_LANE.  Expired messages are dropped
 * and counted on the way.  -EAGAIN: nothing to take.  -EMSGSIZE: SIZE is too
 * small (nothing taken; E->len says how much is needed).  A lane found
 * garbled (a record that fails its checks, positions out of bounds)
 * counts an error, is closed, and -EBADMSG is returned once. */
int shm_mailbox_take(shm_mailbox *m, uint64_t now_ns, shm_envelope *ret_env, void *buf, size_t size,
                     uint32_t *ret_lane);
/* NOW_NS for take and recv: read the clock only when a message with a
 * deadline is looked at. */
#define SHM_NOW_AUTO UINT64_MAX
int shm_mailbox_commit(shm_mailbox *m, uint32_t lane);
/* take + commit. */
int shm_mailbox_recv(shm_mailbox *m, uint64_t now_ns, shm_envelope *ret_env, void *buf, size_t size,
                     uint32_t *ret_lane);
/* The longest a receiver sleeps while a lane's sender was asked to ring
 * only for a batch (see layout.h): what a message waits at most beyond
 * the moment it would otherwise have been rung for. */
#define SHM_NAP_NS (UINT64_C(1) * 1000000)
/* Waits in the library until a message may be there: spins SPIN rounds
 * first, then sleeps on the bell's futex.  0: look again; -ETIMEDOUT. */
int shm_mailbox_wait(shm_mailbox *m, uint64_t timeout_ns, unsigned spin);
/* Waiting through the eventfd: arm() before poll() -- 1 means messages are
 * already there, do not sleep; 0 means poll the eventfd.  disarm() after
 * poll() returned (or timed out) drains the eventfd. */
int shm_mailbox_arm_fd(shm_mailbox *m);
/* The same, for a caller that sleeps at most *RET_MAX_NS (set on 0 and
 * 1) before it disarms and takes again: lanes that came in bursts are
 * given up in batch mode (their senders ring once a batch waits, see
 * layout.h), and *RET_MAX_NS is what is left of their nap (at most
 * SHM_NAP_NS), UINT64_MAX if none naps. */
int shm_mailbox_arm_fd_nap(shm_mailbox *m, uint64_t *ret_max_ns);
void shm_mailbox_disarm_fd(shm_mailbox *m);
/* Looks at every lane waiting for its sender's ring, whatever the bell
 * says, and queues those that have messages: the bell is shared by every
 * sender, and one that writes over it can wipe another's ring.  For a
 * receiver sleeping through the eventfd, each time it found nothing: it
 * looks at most every 50 ms by NOW_NS (CLOCK_MONOTONIC, or SHM_NOW_AUTO;
 * sooner, it returns 0 at once); shm_mailbox_wait() does it itself.
 * > 0: take again; 0: nothing (or looked too recently). */
int shm_mailbox_sweep(shm_mailbox *m, uint64_t now_ns);
/* Whether a lane was ever added: without, there is nothing to sweep. */
bool shm_mailbox_has_lanes(const shm_mailbox *m);
int shm_mailbox_lane_stats(shm_mailbox *m, uint32_t lane, shm_lane_stats *ret);
uint64_t shm_mailbox_syscalls(const shm_mailbox *m);
