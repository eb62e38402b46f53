/* layout.h - the bytes of a lane segment and of a mailbox's bell segment,
 * shared between processes that do not trust each other.
 *
 * A lane (one memfd, sealed against shrinking and growing) is a byte ring
 * of variable-length records:
 *
 *   0      +--------------------------------------------------------+
 *          | geometry: magic, version, capacity, message_max, size  |
 *          |                                      (written once)    |
 *   64     +--------------------------------------------------------+
 *          | producer line: tail (a byte position), sent, dropped   |
 *   128    +--------------------------------------------------------+
 *          | consumer line: head, inflight, redeliveries,           |
 *          |                received, expired, errors, hwm          |
 *   192    +--------------------------------------------------------+
 *          | rare line: idle (the receiver gave up watching),       |
 *          |            sleeping (the sender waits for space)       |
 *   256    +--------------------------------------------------------+
 *          | data: capacity bytes (a power of two), records packed  |
 *          | back to back, each starting on a multiple of 8:        |
 *          |                                                        |
 *          |  +0  u32 len (bits 0-24) | EXTENDED (25) | PADDING (26)|
 *          |          | lap (27-31: bits of position / capacity)    |
 *          |  +4  u32 type                                          |
 *          |  [EXTENDED or ADDRESSED: +8 u32 priority, +12 to_len]  |
 *          |  [EXTENDED only: +16 deadline, +24 sender,             |
 *          |   +32 reply_to, +40 correlation (u64 each)]            |
 *          |  payload (len bytes), then up to 7 bytes to the next 8 |
 *          |                                                        |
 *          | A record never straddles the end: one that would is    |
 *          | preceded by a padding record (PADDING, len 0) filling  |
 *          | the rest of the ring, and starts again at offset 0.    |
 *   256 +  +--------------------------------------------------------+
 *   capacity  | address table: what is left of the last page, in     |
 *             | entries of 64 bytes (at most SHM_ADDRS_MAX): u8 len  |
 *             | (1-63; 0: free), then the address's bytes            |
 *             +--------------------------------------------------------+
 *
 * tail and head are byte positions that only grow (u64, never wrap in
 * practice); a position's offset in the data is position & (capacity - 1).
 * The producer owns tail and the bytes in [tail, head + capacity); the
 * consumer owns head, inflight and the bytes in [head, tail).  Each side
 * writes only its own line, and rarely its own word of the rare line, so
 * the lines read per message are written by one side only.  message_max
 * is at most capacity / 4, so the largest record (48 bytes of header and
 * its payload) is at most half the ring: an empty lane always takes it,
 * with or without the padding before it.
 *
 * A record's header is one of three sizes, by its first word's EXTENDED
 * and PADDING bits: neither, 8 bytes (len, type); EXTENDED, 48 (every
 * envelope field); both (ADDRESSED), 16 (priority and to_len only: a
 * message to an actor or with a priority, and nothing else, which is
 * most of what actors send each other; 48 bytes of header made such a
 * 64-byte message 120 bytes against a plain one's 72).  PADDING alone is
 * a padding record.
 *
 * The address table.  A sender sends many messages to a few addresses
 * (an actor's name, which the receiver's library reads before the
 * payload: to_len bytes).  Instead of copying the address into every
 * record, it may write it once into an entry of the table, in the part
 * of the segment's last page that the ring leaves unused, and send
 * records whose to_len is SHM_TO_ID | the entry's index, with the
 * payload alone: a 64-byte message to an actor is then an 80-byte
 * record.  The receiver gives the caller the entry's bytes before the
 * payload, as if they had been in the record, and to_len their length.
 * Only the sender writes the table, and an entry once written is never
 * written again (a sender that opens the lane later, after a restart,
 * finds its predecessor's entries and uses them), so a record always
 * means the address that was there when it was written: the entry is
 * written before the tail store that publishes the first record naming
 * it.  A peer may still write anything there: the receiver reads an
 * entry's length once, checks it (1-63, the address and payload within
 * message_max), and copies the bytes once, then the caller checks them
 * as any address; what a lying sender achieves is what writing the
 * address into its records achieves, messages of its own to an address
 * it wrote. 
 *
 * The lap in a record's first word is (its position / capacity) mod 32:
 * a record left from an earlier lap does not carry the lap of the
 * position it is read at, so a tail moved ahead over old records is
 * caught.  A record is found, not trusted: its lap, length (<= message_max,
 * within [head, tail) and before the end of the ring) and padding (only
 * at a non-zero offset, exactly to the end) are checked, and any failure
 * closes the lane as garbled (one counted error): a byte ring cannot be
 * resynchronised past a record whose length is a lie.
 *
 * A mailbox's bell (one memfd per receiver):
 *
 *   0      | magic, version, lanes, words, size
 *   64     | sleeping (futex word: generation << 2 | 0 awake, 1 futex, 2 eventfd)
 *   128    | summary (bit w: words[w] may be non-zero)
 *   192    | words[0..words-1] (bit i of word w: lane 64*w+i has news)
 *
 * Memory ordering.  The producer writes a record (and a padding record
 * before it, and for a batch several records) with plain stores, then
 * publishes them with one release store of tail.  The consumer's acquire
 * load of tail therefore sees every byte below it.  The consumer frees a
 * record with one release store of head after it has copied the message
 * out; the producer's acquire load of head orders its later writes to
 * those bytes after the consumer's reads.  Nothing else publishes data.
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
 * left behind a sleeping receiver for longer than it chose: a lane whose
 * messages came in bursts (the receiver found a backlog: it is behind, and
 * being woken for each message would only cost both sides system calls)
 * is given up with idle = BATCH and ring_at = head + a batch, and its
 * sender rings only once tail reaches ring_at; its receiver then sleeps
 * in slices of at most SHM_NAP_NS and looks at such lanes itself after
 * each.  ring_at only grows, so a stale reading of it rings early, never
 * late.  The same for a sender that waits for space on the futex: it
 * asks to be woken once head reaches wake_at (a batch of room, or the
 * lane empty), and sleeps at most SHM_NAP_NS before it looks itself.  A sender blocked on a full lane and
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
 * published nothing: the half-written records are beyond tail and are
 * simply written over by the next producer, which starts from tail.
 * Killed after it, the records are complete.  A consumer killed before its head store has
 * consumed nothing; inflight (position + 1 of the message it took) tells
 * the next consumer that the message at head was delivered before, and
 * redeliveries counts how often.  A commit leaves inflight alone: it then
 * names a position below head, which head never comes back to.  Counters are statistics, updated after
 * the index stores; a crash may lose one increment, never a message.
 *
 * Trust.  A peer may write anything anywhere in the segment at any time.
 * The geometry is copied and checked once, at map time, against the
 * segment's real size; afterwards only the local copy is used.  Positions
 * read from the segment are checked (multiples of 8, 0 <= tail - head <=
 * capacity) and the data is reached through position & mask.  The words
 * of a record that are checked (its first word, the deadline) are read
 * once into locals and only those are used afterwards; the rest is data,
 * copied to the caller once.  No field is read twice.  A check that fails
 * is a counted error on that lane. */
#pragma once

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/shm.h"

#define SHM_LANE_MAGIC   UINT32_C(0x324e4c41)   /* "ALN2": byte rings */
#define SHM_BELL_MAGIC   UINT32_C(0x314c4241)   /* "ABL1" */
#define SHM_VERSION      3              /* 3: the 16-byte ADDRESSED header */
#define SHM_LINE         64
#define SHM_DATA_OFFSET  256
#define SHM_BELL_WORDS_OFFSET 192

/* A record's first word. */
#define SHM_REC_LEN_MASK  ((UINT32_C(1) << 25) - 1)
#define SHM_REC_EXTENDED  (UINT32_C(1) << 25)
#define SHM_REC_PADDING   (UINT32_C(1) << 26)
#define SHM_REC_LAP_SHIFT 27
#define SHM_REC_HEADER    8             /* len and type */
#define SHM_REC_HEADER_EXT 48           /* and priority, deadline, sender, reply_to, correlation */
#define SHM_REC_HEADER_ADDR 16          /* len, type, priority, to_len */
/* EXTENDED and PADDING together: the 16-byte header. */
#define SHM_REC_ADDRESSED (SHM_REC_EXTENDED | SHM_REC_PADDING)
#define SHM_REC_KIND      (SHM_REC_EXTENDED | SHM_REC_PADDING)

/* to_len with this bit: the rest is an entry of the address table. */
#define SHM_TO_ID         (UINT32_C(1) << 31)
#define SHM_ADDR_ENTRY    64            /* bytes of an entry: the length, then up to 63 bytes */
#define SHM_ADDRS_MAX     32
/* Offsets of the extended fields in a record. */
#define SHM_REC_PRIORITY  8
#define SHM_REC_TO_LEN    12
#define SHM_REC_DEADLINE  16
#define SHM_REC_SENDER    24
#define SHM_REC_REPLY_TO  32
#define SHM_REC_CORRELATION 40

/* The rare line's idle word, set by a receiver that stopped watching the
 * lane: what its sender rings for.  0: it watches, nothing to do; RING:
 * the next message; BATCH: the first message that takes tail to ring_at
 * or past it (a lane that came in bursts: its receiver was behind, and
 * sleeps at most SHM_NAP_NS before it looks again without a ring). */
#define SHM_IDLE_RING  1u
#define SHM_IDLE_BATCH 2u

typedef struct shm__geometry {
        uint32_t magic;
        uint32_t version;
        uint32_t capacity;              /* data bytes, a power of two */
        uint32_t message_max;
        uint64_t size;                  /* bytes of the segment */
} shm__geometry;

typedef struct shm__prod_line {
        _Atomic uint64_t tail;          /* byte position: what is below it is published */
        _Atomic uint64_t sent;          /* messages (a statistic) */
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
        _Atomic uint64_t hwm;           /* the most bytes the consumer saw waiting */
        _Atomic uint64_t dead;          /* messages taken off as dead letters (shm_lane_take_dead()) */
} shm__cons_line;

_Static_assert(sizeof(shm__cons_line) <= SHM_LINE, "the consumer line is one line");

typedef struct shm__lane_hdr {
        alignas(SHM_LINE) shm__geometry geo;
        alignas(SHM_LINE) shm__prod_line prod;
        alignas(SHM_LINE) shm__cons_line cons;
        /* Written rarely, read often: by the sender after each message
         * (idle) and by the receiver after each commit (sleeping).  A line
         * of their own keeps those reads cache hits. */
        alignas(SHM_LINE) struct {
                _Atomic uint32_t idle;          /* written by the receiver: SHM_IDLE_* */
                _Atomic uint32_t sleeping;      /* futex word: the sender waits for space */
                _Atomic uint64_t ring_at;       /* SHM_IDLE_BATCH: ring once tail reaches it (receiver's) */
                _Atomic uint64_t wake_at;       /* sleeping: wake me once head reaches it (sender's) */
        } rare;
} shm__lane_hdr;

/* The geometry is written at creation for a reader's (a debugger's) eyes;
 * senders may write over it, so no peer reads it back: the sealed size
 * of the bell gives its words (shm__bell_map()). */
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

_Static_assert(sizeof(shm__lane_hdr) <= SHM_DATA_OFFSET, "lane header overflows");
_Static_assert(SHM_MESSAGE_MAX <= SHM_REC_LEN_MASK, "a length does not fit its bits");
_Static_assert(SHM_CAPACITY_MIN / 4 + SHM_REC_HEADER_EXT + 7 <= SHM_CAPACITY_MIN / 2,
               "the largest record of the smallest lane is more than half of it");
_Static_assert(sizeof(shm__bell_hdr) <= SHM_BELL_WORDS_OFFSET, "bell header overflows");

/* The header bytes of a record whose first word is FIRST (not padding). */
static inline uint32_t shm__rec_hsize(uint32_t first) {
        uint32_t k = first & SHM_REC_KIND;

        return k == 0 ? SHM_REC_HEADER : k == SHM_REC_EXTENDED ? SHM_REC_HEADER_EXT : SHM_REC_HEADER_ADDR;
}

/* The bytes of a record of LEN payload bytes after a header of HSIZE. */
static inline uint32_t shm__rec_size(uint32_t len, uint32_t hsize) {
        return (hsize + len + 7) & ~UINT32_C(7);
}
