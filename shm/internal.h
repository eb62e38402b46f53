/* internal.h - what lane.c and mailbox.c share: a checked mapping of a
 * segment, and the futex and fence helpers. */
#pragma once

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "shm/layout.h"
#include "shm/shm.h"

/* The per-message paths are written as small functions and folded into
 * the few that callers call. */
#define SHM_HOT static inline __attribute__((always_inline))

/* A segment as this process mapped it, with the geometry it checked; the
 * segment's own geometry is never read again. */
typedef struct shm__map {
        uint8_t *base;
        size_t size;
        uint32_t capacity, mask, shift, message_max;    /* lanes */
        uint32_t lanes, words;                          /* bells */
        uint32_t addrs;                                 /* lanes: entries of the address table, after the data */
} shm__map;

int shm__lane_map(int fd, shm__map *ret);
/* Without POPULATE: for a look at a few of its bytes (a dead letter). */
int shm__lane_map_how(int fd, bool populate, shm__map *ret);
int shm__bell_map(int fd, shm__map *ret);
void shm__unmap(shm__map *m);
void shm__stats(const shm__map *m, uint64_t head, shm_lane_stats *ret);

static inline shm__lane_hdr *shm__lane(const shm__map *m) {
        return (shm__lane_hdr *) (void *) m->base;
}

/* The data byte at position POS. */
static inline uint8_t *shm__at(const shm__map *m, uint64_t pos) {
        return m->base + SHM_DATA_OFFSET + (pos & m->mask);
}

/* The lap tag a record at POS carries in its first word. */
static inline uint32_t shm__lap(const shm__map *m, uint64_t pos) {
        return (uint32_t) (pos >> m->shift) & 31u;
}

/* Entry ID of a lane's address table (ID < m->addrs). */
static inline uint8_t *shm__addr(const shm__map *m, uint32_t id) {
        return m->base + SHM_DATA_OFFSET + m->capacity + (size_t) id * SHM_ADDR_ENTRY;
}

static inline shm__bell_hdr *shm__bell(const shm__map *m) {
        return (shm__bell_hdr *) (void *) m->base;
}

static inline _Atomic uint64_t *shm__bell_word(const shm__map *m, uint32_t w) {
        return (_Atomic uint64_t *) (void *) (m->base + SHM_BELL_WORDS_OFFSET) + w;
}

/* Copies LEN bytes.  From 4 to 64 bytes (most messages, subjects and
 * names) inline: two overlapping moves of 4, 8, 16 or 32 bytes, which cover
 * [0, LEN) and never touch a byte past it; anything else through
 * memcpy. */
static inline __attribute__((always_inline)) void shm__copy(void *dst, const void *src, size_t len) {
        uint8_t *d = dst;
        const uint8_t *s = src;

        if (len >= 8 && len < 16) {
                __builtin_memcpy(d, s, 8);
                __builtin_memcpy(d + len - 8, s + len - 8, 8);
        } else if (len >= 16 && len <= 32) {
                __builtin_memcpy(d, s, 16);
                __builtin_memcpy(d + len - 16, s + len - 16, 16);
        } else if (len > 32 && len <= 64) {
                __builtin_memcpy(d, s, 32);
                __builtin_memcpy(d + len - 32, s + len - 32, 32);
        } else if (len >= 4 && len < 8) {
                /* An actor's name from the address table, mostly. */
                __builtin_memcpy(d, s, 4);
                __builtin_memcpy(d + len - 4, s + len - 4, 4);
        } else if (len > 0)
                __builtin_memcpy(d, s, len);
}

/* Single-writer counters: a plain load and store, no locked instruction. */
static inline void shm__count(_Atomic uint64_t *c, uint64_t n) {
        atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

/* The full fence of the wake-up protocol (see layout.h).  On x86 a locked
 * instruction on the stack orders like mfence and costs about half. */
static inline void shm__fence(void) {
#if defined(__x86_64__)
        __asm__ __volatile__("lock; orq $0, (%%rsp)" ::: "memory", "cc");
#else
        atomic_thread_fence(memory_order_seq_cst);
#endif
}

/* Asymmetric fences.  The fast side of a Dekker pair (a sender after each
 * message, a receiver after each commit) only keeps the compiler from
 * reordering; the rare side (a receiver giving up on a lane, a sender going
 * to sleep for space) calls membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED),
 * which makes every running thread of every registered process execute a
 * full barrier, as liburcu does.  Where membarrier is missing or refused
 * (an old kernel, a seccomp filter), both sides fall back to a full fence.
 * shm__barrier_init() registers this process; lanes.c and mailbox.c call it
 * when a sender or receiver is opened. */
extern int shm__membarrier;             /* 1 registered, 0 not available, -1 not asked yet */
void shm__barrier_init(void);

static inline void shm__light_fence(void) {
        if (shm__membarrier > 0)
                atomic_signal_fence(memory_order_seq_cst);
        else
                shm__fence();
}

/* Returns 1 if it made a system call. */
int shm__heavy_fence(void);

static inline void shm__relax(void) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
}

/* Sleep registrations (the bell's and a lane's "sleeping" words): the low
 * two bits say how the sleeper waits (1 futex, 2 eventfd), the rest is a
 * generation the sleeper bumps each time, so that a late clear can never
 * erase a newer registration.  A waker clears the registration with a
 * compare-and-swap and wakes only if that succeeded: the sleeper's futex
 * wait then either sees the changed word or is woken.  A waker killed
 * between the two is covered by the next process to open that lane, which
 * wakes unconditionally. */
#define SHM_SLEEP_FUTEX 1u
#define SHM_SLEEP_FD    2u

static inline uint32_t shm__sleep_begin(_Atomic uint32_t *w, uint32_t mode) {
        uint32_t s = (((atomic_load_explicit(w, memory_order_relaxed) >> 2) + 1) << 2) | mode;

        atomic_store_explicit(w, s, memory_order_seq_cst);
        atomic_thread_fence(memory_order_seq_cst);
        return s;
}

/* Clears registration S; true if it was still there. */
static inline bool shm__sleep_end(_Atomic uint32_t *w, uint32_t s) {
        uint32_t expected = s;
        return atomic_compare_exchange_strong_explicit(w, &expected, s & ~3u, memory_order_seq_cst,
                                                       memory_order_relaxed);
}

/* Shared (not private) futex: the word lives in a segment other processes map. */
static inline long shm__futex_wait(_Atomic uint32_t *w, uint32_t val, uint64_t timeout_ns) {
        struct timespec ts = {
                .tv_sec = (time_t) (timeout_ns / 1000000000u),
                .tv_nsec = (long) (timeout_ns % 1000000000u),
        };
        return syscall(SYS_futex, (uint32_t *) w, FUTEX_WAIT, val, &ts, NULL, 0);
}

static inline long shm__futex_wake(_Atomic uint32_t *w, int n) {
        return syscall(SYS_futex, (uint32_t *) w, FUTEX_WAKE, n, NULL, NULL, 0);
}
