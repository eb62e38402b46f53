/* layout.h - the bytes of a lane segment and of a mailbox's bell segment,
 * shared between processes that do not trust each other.
 *
 * A lane (one memfd, sealed against shrinking and growing):
 *
 *   0      +--------------------------------------------------------+
 *          | geometry: magic, version, slots, slot_size,            |
 *          |           message_max, size          (written once)    |
 *   64     +--------------------------------------------------------+
 *          | producer line: tail (= messages sent), dropped         |
 *   128    +--------------------------------------------------------+
 *          | consumer line: head, inflight, redeliveries,           |
 *          |                received, expired, errors, hwm          |
 *   192    +--------------------------------------------------------+
 *          | rare line: idle (the receiver gave up watching),       |
 *          |            sleeping (the sender waits for space)       |
 *   256    +--------------------------------------------------------+
 *          | slot 0: envelope (64 bytes: seq, type, len; if len's   |
 *          |         top bit says so also priority, deadline,       |
 *          |         sender, reply_to, correlation)                 |
 *          |         payload (message_max rounded up to 64)         |
 *          | slot 1 ...                    slot slots-1             |
 *   size   +--------------------------------------------------------+
 *
 * tail and head are positions that only grow (u64, never wrap in
 * practice); a position's slot is position & (slots - 1).  The producer
 * owns tail and the slots in [tail, head + slots); the consumer owns head,
 * inflight and the slots in [head, tail).  Each side writes only its own
 * line, and rarely its own word of the rare line, so the lines read per
 * message are written by one side only.
 *
 * A mailbox's bell (one memfd per receiver):
 *
 *   0      | magic, version, lanes, words, size
 *   64     | sleeping (futex word: generation << 2 | 0 awake, 1 futex, 2 eventfd)
 *   128    | summary (bit w: words[w] may be non-zero)
 *   192    | words[0..words-1] (bit i of word w: lane 64*w+i has news)
 *
 * Memory ordering.  The producer writes a message's envelope and payload
 * with plain stores, then publishes it with one release store of tail.  The
 * consumer's acquire load of tail therefore sees the whole message.  The
 * consumer frees a slot with one release store of head after it has copied
 * the message out; the producer's acquire load of head orders its later
 * writes to that slot after the consumer's reads.  Nothing else publishes
 * data.
 *
 * Waking is a chain of Dekker pairs: on each side a store, a fence, and a
 * load.  A receiver watches a lane (has it queued, or in its short watch
 * list, where it reads the lane's tail directly) until it gives up on it:
 * then it stores idle = 1, fences, and looks at tail once more.  The
 * sender stores tail, fences, and reads idle: so either the receiver sees
 * the new message, or the sender sees idle, takes it back to 0 (exchange)
 * and rings: sets the lane's bit in the bell and the word's bit in summary
 * (read-modify-writes), then reads sleeping.  While the receiver watches a
 * lane its sender touches neither the bell nor anything else the receiver
 * writes.  The receiver clears bell bits (exchange) before it looks at the
 * lanes they name, and before it sleeps it gives up on every watched lane,
 * stores sleeping, fences, and reads summary again.  So a message is never
 * left behind a sleeping receiver.  A sender blocked on a full lane and
 * the receiver's commit (head store, then a read of the rare line's
 * sleeping) are the same pattern; the sleeping word says whether the
 * sender waits on the futex or on its eventfd, which the receiver then
 * writes.
 *
 * The fences are asymmetric (internal.h): the side that runs per message
 * (a sender after each message, a receiver after each commit) only stops
 * the compiler from reordering; the side that runs rarely (giving up on
 * lanes, a sender about to sleep for space) calls
 * membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED), which puts a full barrier
 * into every running thread of every process that registered, between any
 * two of its instructions.  Without membarrier both sides use full fences.
 *
 * The sleeping words carry a generation the sleeper bumps; a waker clears
 * the registration with a compare-and-swap and wakes only if that
 * succeeded, so the sleeper's futex wait either sees the word changed or
 * is woken.  A producer that opens a lane rings its bell and wakes the
 * receiver unconditionally, for a predecessor killed between its tail
 * store and its ring or between clearing and waking; a consumer that maps
 * a lane wakes its producer for the same reason.
 *
 * Crashes.  A producer killed at any instruction before its tail store has
 * published nothing: the half-written slot is beyond tail and is simply
 * written again by the next producer, which starts from tail.  Killed after
 * it, the message is complete.  A consumer killed before its head store has
 * consumed nothing; inflight (position + 1 of the message it took) tells
 * the next consumer that the message at head was delivered before, and
 * redeliveries counts how often.  A commit leaves inflight alone: it then
 * names a position below head, which head never comes back to.  Counters are statistics, updated after
 * the index stores; a crash may lose one increment, never a message.
 *
 * Trust.  A peer may write anything anywhere in the segment at any time.
 * The geometry is copied and checked once, at map time, against the
 * segment's real size; afterwards only the local copy is used.  Indices
 * read from the segment are checked (0 <= tail - head <= slots) and slots
 * are reached through position & mask.  The fields of an envelope that are
 * checked (seq must equal its position, len <= message_max, the deadline)
 * are read once into locals and only those are used afterwards; the rest
 * is data, copied to the caller once.  No field is read twice.  A check
 * that fails is a counted error on that lane. */
#pragma once

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/shm.h"

#define SHM_LANE_MAGIC   UINT32_C(0x314e4c41)   /* "ALN1" */
#define SHM_BELL_MAGIC   UINT32_C(0x314c4241)   /* "ABL1" */
#define SHM_VERSION      1
#define SHM_LINE         64
#define SHM_SLOTS_OFFSET 256
#define SHM_ENVELOPE_SIZE 64
#define SHM_BELL_WORDS_OFFSET 192

typedef struct shm__geometry {
        uint32_t magic;
        uint32_t version;
        uint32_t slots;                 /* a power of two */
        uint32_t slot_size;             /* envelope + payload, a multiple of 64 */
        uint32_t message_max;
        uint32_t reserved;
        uint64_t size;                  /* bytes of the segment */
} shm__geometry;

typedef struct shm__prod_line {
        _Atomic uint64_t tail;          /* also the count of messages sent */
        _Atomic uint64_t dropped;
} shm__prod_line;

typedef struct shm__cons_line {
        _Atomic uint64_t head;
        _Atomic uint64_t inflight;      /* position + 1 of a taken, uncommitted message; 0: none */
        _Atomic uint32_t redeliveries;  /* of the message at inflight */
        uint32_t reserved;
        _Atomic uint64_t received;
        _Atomic uint64_t expired;
        _Atomic uint64_t errors;
        _Atomic uint64_t hwm;           /* the largest depth the consumer saw */
} shm__cons_line;

typedef struct shm__lane_hdr {
        alignas(SHM_LINE) shm__geometry geo;
        alignas(SHM_LINE) shm__prod_line prod;
        alignas(SHM_LINE) shm__cons_line cons;
        /* Written rarely, read often: by the sender after each message
         * (idle) and by the receiver after each commit (sleeping).  A line
         * of their own keeps those reads cache hits. */
        alignas(SHM_LINE) struct {
                _Atomic uint32_t idle;          /* written by the receiver */
                _Atomic uint32_t sleeping;      /* futex word: the sender waits for space */
        } rare;
} shm__lane_hdr;

/* The envelope as stored in a slot: fixed-width fields, packed explicitly.
 * Most messages carry only a type and a length: the sender then stores the
 * first 16 bytes alone, and the rest of the line (left from an earlier lap)
 * is not read; SHM_ENV_EXTENDED in the len word says that priority,
 * deadline, sender, reply_to and correlation were stored too.  Each store
 * a message saves is one fewer store waiting on a cache line the receiver
 * holds. */
typedef struct shm__slot_env {
        uint64_t seq;                   /* the position it was written for */
        uint32_t type;
        uint32_t len;                   /* payload bytes | SHM_ENV_EXTENDED */
        uint32_t priority;              /* this and the rest: only if extended */
        uint32_t reserved;
        uint64_t deadline_ns;
        uint64_t sender;
        uint64_t reply_to;
        uint64_t correlation;
        uint64_t reserved2;
} shm__slot_env;

#define SHM_ENV_EXTENDED (UINT32_C(1) << 31)

typedef struct shm__bell_hdr {
        alignas(SHM_LINE) struct {
                uint32_t magic;
                uint32_t version;
                uint32_t lanes;
                uint32_t words;
                uint64_t size;
        } geo;
        alignas(SHM_LINE) _Atomic uint32_t sleeping;
        alignas(SHM_LINE) _Atomic uint64_t summary;
} shm__bell_hdr;

_Static_assert(sizeof(shm__lane_hdr) <= SHM_SLOTS_OFFSET, "lane header overflows");
_Static_assert(sizeof(shm__slot_env) == SHM_ENVELOPE_SIZE, "envelope is 64 bytes");
_Static_assert(SHM_MESSAGE_MAX < SHM_ENV_EXTENDED, "the extended bit is not a length");
_Static_assert(sizeof(shm__bell_hdr) <= SHM_BELL_WORDS_OFFSET, "bell header overflows");
