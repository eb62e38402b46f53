/* shm.h - crash-safe shared-memory mailboxes: lanes, bells, senders and
 * receivers.  No knowledge of processes or of airsupd: whoever creates the
 * segments hands their fds to the two sides (see layout.h for the bytes and
 * the memory-ordering argument).
 *
 * A lane is a single-producer single-consumer ring of messages in a sealed
 * memfd.  A mailbox is one receiver's set of inbound lanes plus a bell: a
 * small segment with a doorbell bitmap (which lanes have news) and the
 * futex word the receiver sleeps on.  A sender (shm_tx) holds one lane and
 * the bell of the mailbox it sends to, and the receiver's eventfd if it
 * waits through one.
 *
 * Every function returns >= 0 on success or a negative errno; nothing
 * aborts or prints.  Time is passed in (CLOCK_MONOTONIC nanoseconds), so
 * that deadlines can be tested without sleeping; shm_now() reads it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHM_SLOTS_MAX        (UINT32_C(1) << 20)
#define SHM_MESSAGE_MAX      (UINT32_C(16) << 20)
#define SHM_LANES_MAX        4096
#define SHM_PRIORITIES       4          /* 0 lowest .. 3 highest; larger values count as 3 */

/* Whether a lane of SLOTS slots for messages of up to MESSAGE_MAX bytes
 * can be made: SLOTS a power of two from 2 to SHM_SLOTS_MAX, MESSAGE_MAX
 * from 1 to SHM_MESSAGE_MAX.  The one check, shared by shm_lane_create()
 * and the configuration (mailbox =, message_max =). */
static inline bool shm_lane_geometry_valid(uint32_t slots, uint32_t message_max) {
        return slots >= 2 && slots <= SHM_SLOTS_MAX && (slots & (slots - 1)) == 0 && message_max >= 1 &&
               message_max <= SHM_MESSAGE_MAX;
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
        uint64_t depth, hwm;
} shm_lane_stats;

typedef struct shm_tx shm_tx;
typedef struct shm_mailbox shm_mailbox;

uint64_t shm_now(void);

/* Segments.  The fds are O_CLOEXEC memfds, sealed, their memory faulted in. */
int shm_lane_create(uint32_t slots, uint32_t message_max, int *ret_fd);
int shm_bell_create(uint32_t lanes, int *ret_fd);
/* Reads a lane's counters; the lane is mapped for the call only. */
int shm_lane_stats_read(int lane_fd, shm_lane_stats *ret);

/* Sending.  INDEX is the lane's place in the receiver's mailbox.
 * EVENT_FD is the receiver's eventfd, SPACE_FD this sender's own, on which
 * it waits for space through poll() (shm_tx_arm_fd()); either may be
 * -EBADF when that side never waits through an fd.  The fds are
 * duplicated. */
int shm_tx_open(int lane_fd, int bell_fd, uint32_t index, int event_fd, int space_fd, shm_tx **ret);
shm_tx *shm_tx_free(shm_tx *t);
/* Copies E (its len) and PAYLOAD into the lane.  TIMEOUT_NS bounds
 * SHM_FULL_BLOCK (0: do not wait), which spins some tens of microseconds
 * (reading the receiver's position at intervals) before it sleeps on a
 * futex until the receiver frees a slot. */
int shm_tx_send(shm_tx *t, const shm_envelope *e, const void *payload, shm_full full, uint64_t timeout_ns);
/* Zero-copy: a slot's payload area of message_max bytes, written in place,
 * then published by shm_tx_commit() with E (E->len bytes of it). */
int shm_tx_reserve(shm_tx *t, shm_full full, uint64_t timeout_ns, void **ret_payload);
int shm_tx_commit(shm_tx *t, const shm_envelope *e);
uint32_t shm_tx_message_max(const shm_tx *t);
/* Waiting for space through SPACE_FD: after a send failed with -EAGAIN,
 * arm() -- 1 means there is space already, do not sleep; 0 means poll
 * SPACE_FD for POLLIN; disarm() after poll() returned (or timed out)
 * drains it.  The receiver writes SPACE_FD when it frees a slot while the
 * sender is armed, and once when it adds the lane (its predecessor may
 * have died between freeing a slot and writing): after poll(), disarm and
 * send again. */
int shm_tx_arm_fd(shm_tx *t);
void shm_tx_disarm_fd(shm_tx *t);
/* The lane position the next message will take (0 for the first ever). */
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
 * garbled counts an error, is closed, and -EBADMSG is returned once. */
int shm_mailbox_take(shm_mailbox *m, uint64_t now_ns, shm_envelope *ret_env, void *buf, size_t size,
                     uint32_t *ret_lane);
int shm_mailbox_commit(shm_mailbox *m, uint32_t lane);
/* take + commit. */
int shm_mailbox_recv(shm_mailbox *m, uint64_t now_ns, shm_envelope *ret_env, void *buf, size_t size,
                     uint32_t *ret_lane);
/* Waits in the library until a message may be there: spins SPIN rounds
 * first, then sleeps on the bell's futex.  0: look again; -ETIMEDOUT. */
int shm_mailbox_wait(shm_mailbox *m, uint64_t timeout_ns, unsigned spin);
/* Waiting through the eventfd: arm() before poll() -- 1 means messages are
 * already there, do not sleep; 0 means poll the eventfd.  disarm() after
 * poll() returned (or timed out) drains the eventfd. */
int shm_mailbox_arm_fd(shm_mailbox *m);
void shm_mailbox_disarm_fd(shm_mailbox *m);
int shm_mailbox_lane_stats(shm_mailbox *m, uint32_t lane, shm_lane_stats *ret);
uint64_t shm_mailbox_syscalls(const shm_mailbox *m);
