/* lane.c - lane and bell segments (create, map, check) and the sending
 * side of a lane. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "shm/internal.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

#define SEALS_NEEDED (F_SEAL_SHRINK | F_SEAL_GROW)

struct shm_tx {
        shm__map lane;
        shm__map bell;
        uint32_t index;
        int event_fd;                   /* the receiver's; owned (a dup), or -EBADF */
        int space_fd;                   /* ours, to wait for space; owned (a dup), or -EBADF */
        uint32_t armed;                 /* the fd sleep registration */
        uint64_t tail;                  /* ours: where the next record goes (>= pub) */
        uint64_t pub;                   /* the tail as published */
        uint64_t head;                  /* the consumer's, as last read */
        uint64_t sent;                  /* the segment's count, kept here: stored, never loaded again */
        bool reserved;
        uint32_t reserved_len;          /* the most payload bytes of the reservation */
        shm_envelope reserved_env;
        uint64_t want;                  /* the bytes the last send that found no room needed */
        uint32_t spin;                  /* rounds a blocked send spins before it sleeps (send_spun()) */
        uint8_t addr_len[SHM_ADDRS_MAX];        /* the address table's entries we wrote or found: their lengths */
        uint64_t syscalls;
};

static void tx_ring(shm_tx *t);

/* A sender blocked on a full lane spins at most this many rounds of this
 * many pauses (some tens of microseconds) before it sleeps; fewer while
 * its spins keep ending in a sleep (send_spun()). */
#define SEND_SPIN_ROUNDS 64
#define SEND_SPIN_PAUSES 32

int shm__membarrier = -1;

void shm__barrier_init(void) {
        long cmds;

        if (shm__membarrier >= 0)
                return;
        cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
        shm__membarrier = cmds > 0 && (cmds & MEMBARRIER_CMD_GLOBAL_EXPEDITED) &&
                                  syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0) == 0
                          ? 1
                          : 0;
}

int shm__heavy_fence(void) {
        shm__fence();
        if (shm__membarrier <= 0)
                return 0;
        if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0) < 0) {
                /* Cannot happen once registered; if it does, both sides of
                 * this process go back to full fences, and so must we. */
                shm__membarrier = 0;
        }
        return 1;
}

uint64_t shm_deadline(uint64_t timeout_ns) {
        uint64_t now = shm_now();

        return timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
}

uint64_t shm_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static uint64_t round_up(uint64_t v, uint64_t to) {
        return (v + to - 1) / to * to;
}

static int lane_size(uint32_t capacity, uint32_t message_max, uint64_t *ret_size) {
        if (!shm_lane_geometry_valid(capacity, message_max))
                return -EINVAL;
        *ret_size = round_up(SHM_DATA_OFFSET + (uint64_t) capacity, (uint64_t) sysconf(_SC_PAGESIZE));
        return 0;
}

/* A sealed memfd of SIZE bytes, mapped and faulted in; INIT fills it. */
static int segment_create(const char *name, uint64_t size, void (*init)(uint8_t *base, const void *arg),
                          const void *arg, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        void *p;

        fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
        if (fd < 0 && errno == EINVAL)  /* kernels before 6.3 */
                fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        if (ftruncate(fd, (off_t) size) < 0)
                return -errno;
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        init(p, arg);
        munmap(p, size);
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

typedef struct lane_args {
        uint32_t capacity, message_max;
        uint64_t size;
} lane_args;

static void lane_init(uint8_t *base, const void *arg) {
        const lane_args *a = arg;
        shm__lane_hdr *h = (shm__lane_hdr *) (void *) base;

        h->geo = (shm__geometry) {
                .magic = SHM_LANE_MAGIC,
                .version = SHM_VERSION,
                .capacity = a->capacity,
                .message_max = a->message_max,
                .size = a->size,
        };
        /* Positions start at 0; the data is zeros, which no record below
         * a tail of 0 is. */
}

int shm_lane_create(uint32_t capacity, uint32_t message_max, int *ret_fd) {
        lane_args a = { .capacity = capacity, .message_max = message_max };
        int r;

        if (!ret_fd)
                return -EINVAL;
        r = lane_size(capacity, message_max, &a.size);
        if (r < 0)
                return r;
        return segment_create("airsup-lane", a.size, lane_init, &a, ret_fd);
}

typedef struct bell_args {
        uint32_t lanes, words;
        uint64_t size;
} bell_args;

static void bell_init(uint8_t *base, const void *arg) {
        const bell_args *a = arg;
        shm__bell_hdr *h = (shm__bell_hdr *) (void *) base;

        h->geo.magic = SHM_BELL_MAGIC;
        h->geo.version = SHM_VERSION;
        h->geo.lanes = a->lanes;
        h->geo.words = a->words;
        h->geo.size = a->size;
}

/* A bell's size is its geometry: the words of its lanes follow the
 * header, and the file ends there.  Its size is sealed, while its header
 * is writable by every sender, so a peer learns the geometry from the
 * size alone (shm__bell_map()). */
static int bell_size(uint32_t lanes, uint32_t *ret_words, uint64_t *ret_size) {
        if (lanes == 0 || lanes > SHM_LANES_MAX)
                return -EINVAL;
        *ret_words = (lanes + 63) / 64;
        *ret_size = SHM_BELL_WORDS_OFFSET + (uint64_t) *ret_words * 8;
        return 0;
}

int shm_bell_create(uint32_t lanes, int *ret_fd) {
        bell_args a = { .lanes = lanes };
        int r;

        if (!ret_fd)
                return -EINVAL;
        r = bell_size(lanes, &a.words, &a.size);
        if (r < 0)
                return r;
        return segment_create("airsup-bell", a.size, bell_init, &a, ret_fd);
}

/* Maps FD after checking that it cannot shrink under us (a peer that
 * shrank it would make our reads fault); returns the mapping and a copy
 * of its first GEO_SIZE bytes, its header. */
static int map_checked(int fd, size_t min, void *ret_geo, size_t geo_size, bool populate, shm__map *ret) {
        struct stat st;
        int seals;
        void *p;

        if (fd < 0)
                return -EBADF;
        seals = fcntl(fd, F_GET_SEALS);
        if (seals < 0)
                return -errno;
        if ((seals & SEALS_NEEDED) != SEALS_NEEDED)
                return -EPERM;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size < (off_t) min)
                return -EBADMSG;
        p = mmap(NULL, (size_t) st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED | (populate ? MAP_POPULATE : 0), fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        memcpy(ret_geo, p, geo_size);
        *ret = (shm__map) { .base = p, .size = (size_t) st.st_size };
        return 0;
}

int shm__lane_map(int fd, shm__map *ret) {
        return shm__lane_map_how(fd, /* populate= */ true, ret);
}

int shm__lane_map_how(int fd, bool populate, shm__map *ret) {
        shm__geometry g;
        shm__map m;
        uint64_t size;
        int r;

        r = map_checked(fd, SHM_DATA_OFFSET, &g, sizeof(g), populate, &m);
        if (r < 0)
                return r;
        if (g.magic != SHM_LANE_MAGIC || g.version != SHM_VERSION ||
            lane_size(g.capacity, g.message_max, &size) < 0 || size != g.size || size != m.size) {
                shm__unmap(&m);
                return -EBADMSG;
        }
        m.capacity = g.capacity;
        m.mask = g.capacity - 1;
        m.shift = (uint32_t) __builtin_ctz(g.capacity);
        m.message_max = g.message_max;
        /* The table takes what the page rounding left after the data:
         * at least 1792 bytes with 4 KiB pages (28 entries). */
        m.addrs = (uint32_t) ((size - SHM_DATA_OFFSET - g.capacity) / SHM_ADDR_ENTRY);
        if (m.addrs > SHM_ADDRS_MAX)
                m.addrs = SHM_ADDRS_MAX;
        *ret = m;
        return 0;
}

/* The header's geometry is for a reader's eyes only: any sender may have
 * written over it, and a receiver (re)starting must still open its
 * mailbox.  The sealed size tells the words, and so the lanes, a peer
 * may touch: a multiple of 64, at least what was asked for. */
int shm__bell_map(int fd, shm__map *ret) {
        uint32_t g;
        shm__map m;
        uint64_t words;
        int r;

        r = map_checked(fd, SHM_BELL_WORDS_OFFSET + 8, &g, sizeof(g), /* populate= */ true, &m);
        if (r < 0)
                return r;
        words = (m.size - SHM_BELL_WORDS_OFFSET) / 8;
        if ((m.size - SHM_BELL_WORDS_OFFSET) % 8 != 0 || words > SHM_LANES_MAX / 64) {
                shm__unmap(&m);
                return -EBADMSG;
        }
        m.words = (uint32_t) words;
        m.lanes = m.words * 64;
        *ret = m;
        return 0;
}

void shm__unmap(shm__map *m) {
        if (m->base)
                munmap(m->base, m->size);
        *m = (shm__map) {};
}

/* The counters of a mapped lane; HEAD is the consumer position to count
 * the depth from (the segment's own, or a receiver's). */
void shm__stats(const shm__map *m, uint64_t head, shm_lane_stats *ret) {
        shm__lane_hdr *h = shm__lane(m);
        uint64_t tail = atomic_load_explicit(&h->prod.tail, memory_order_acquire), done;

        *ret = (shm_lane_stats) {
                .sent = atomic_load_explicit(&h->prod.sent, memory_order_relaxed),
                .dropped = atomic_load_explicit(&h->prod.dropped, memory_order_relaxed),
                .hwm_bytes = atomic_load_explicit(&h->cons.hwm, memory_order_relaxed),
                .received = atomic_load_explicit(&h->cons.received, memory_order_relaxed),
                .expired = atomic_load_explicit(&h->cons.expired, memory_order_relaxed),
                .errors = atomic_load_explicit(&h->cons.errors, memory_order_relaxed),
                .depth_bytes = tail - head <= m->capacity ? tail - head : 0,
                .capacity = m->capacity,
                .dead = atomic_load_explicit(&h->cons.dead, memory_order_relaxed),
        };
        /* Statistics of two writers: a lie from a peer or a lost increment
         * shows as 0, never as a huge depth. */
        done = ret->received + ret->expired + ret->dead;
        ret->depth = ret->sent >= done && ret->sent - done <= m->capacity / 8 ? ret->sent - done : 0;
}

int shm_lane_stats_read(int lane_fd, shm_lane_stats *ret) {
        shm__geometry g;
        struct stat st;
        uint64_t size;
        shm__map m;
        int seals;
        void *p;

        if (!ret)
                return -EINVAL;
        /* The header page only, not faulted in: what a scrape of many
         * lanes can afford.  The same checks as shm__lane_map(). */
        seals = fcntl(lane_fd, F_GET_SEALS);
        if (seals < 0)
                return -errno;
        if ((seals & SEALS_NEEDED) != SEALS_NEEDED)
                return -EPERM;
        if (fstat(lane_fd, &st) < 0)
                return -errno;
        if (st.st_size < SHM_DATA_OFFSET)
                return -EBADMSG;
        p = mmap(NULL, SHM_DATA_OFFSET, PROT_READ, MAP_SHARED, lane_fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        memcpy(&g, p, sizeof(g));
        if (g.magic != SHM_LANE_MAGIC || g.version != SHM_VERSION ||
            lane_size(g.capacity, g.message_max, &size) < 0 || size != g.size || size != (uint64_t) st.st_size) {
                munmap(p, SHM_DATA_OFFSET);
                return -EBADMSG;
        }
        m = (shm__map) { .base = p, .size = SHM_DATA_OFFSET, .capacity = g.capacity, .mask = g.capacity - 1,
                         .message_max = g.message_max };
        shm__stats(&m, atomic_load_explicit(&shm__lane(&m)->cons.head, memory_order_acquire), ret);
        munmap(p, SHM_DATA_OFFSET);
        return 0;
}

static int dup_fd(int fd, int *ret) {
        if (fd < 0)
                return 0;
        *ret = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        return *ret < 0 ? -errno : 0;
}

int shm_tx_open(int lane_fd, int bell_fd, uint32_t index, int event_fd, int space_fd, shm_tx **ret) {
        shm_tx *t;
        shm__lane_hdr *h;
        int r;

        if (!ret)
                return -EINVAL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        shm__barrier_init();
        t->event_fd = t->space_fd = -EBADF;
        t->spin = SEND_SPIN_ROUNDS;
        r = shm__lane_map(lane_fd, &t->lane);
        if (r >= 0)
                r = shm__bell_map(bell_fd, &t->bell);
        if (r >= 0 && index >= t->bell.lanes)
                r = -EINVAL;
        if (r >= 0)
                r = dup_fd(event_fd, &t->event_fd);
        if (r >= 0)
                r = dup_fd(space_fd, &t->space_fd);
        if (r < 0) {
                shm_tx_free(t);
                return r;
        }
        t->index = index;
        /* A new producer goes on from where the last one published; the
         * consumer's head must be behind it by at most a ring. */
        h = shm__lane(&t->lane);
        t->tail = t->pub = atomic_load_explicit(&h->prod.tail, memory_order_acquire);
        t->head = atomic_load_explicit(&h->cons.head, memory_order_acquire);
        t->sent = atomic_load_explicit(&h->prod.sent, memory_order_relaxed);
        if (t->tail - t->head > t->lane.capacity || ((t->tail | t->head) & 7) != 0) {
                atomic_fetch_add_explicit(&h->cons.errors, 1, memory_order_relaxed);
                shm_tx_free(t);
                return -EBADMSG;
        }
        /* The last producer may have died between its tail store and its
         * ring: ring for whatever it published ... */
        if (t->tail != t->head) {
                uint64_t one = 1;
                tx_ring(t);
                /* ... and wake, in case it died between clearing the
                 * receiver's registration and waking it. */
                (void) shm__futex_wake(&shm__bell(&t->bell)->sleeping, 1);
                if (t->event_fd >= 0)
                        (void) !write(t->event_fd, &one, sizeof(one));
        }
        *ret = t;
        return 0;
}

shm_tx *shm_tx_free(shm_tx *t) {
        if (!t)
                return NULL;
        shm__unmap(&t->lane);
        shm__unmap(&t->bell);
        safe_close(t->event_fd);
        safe_close(t->space_fd);
        free(t);
        return NULL;
}

uint32_t shm_tx_message_max(const shm_tx *t) {
        return t ? t->lane.message_max : 0;
}

uint64_t shm_tx_position(const shm_tx *t) {
        return t ? t->pub : 0;
}

uint64_t shm_tx_syscalls(const shm_tx *t) {
        return t ? t->syscalls : 0;
}

/* Reads the consumer's head again.  -EBADMSG if it is not within a ring
 * behind the published tail (a peer wrote garbage). */
static int refresh_head(shm_tx *t) {
        uint64_t head = atomic_load_explicit(&shm__lane(&t->lane)->cons.head, memory_order_acquire);

        if (t->pub - head > t->lane.capacity || (head & 7) != 0)
                return -EBADMSG;
        t->head = head;
        return 0;
}

uint64_t shm_tx_backlog(shm_tx *t) {
        if (!t)
                return 0;
        /* A garbled head counts as full: such a lane is the last choice. */
        if (refresh_head(t) < 0)
                return UINT64_MAX;
        return t->pub - t->head;
}

/* Whether NEED more bytes fit, by the last reading of head. */
static inline bool fits(const shm_tx *t, uint64_t need) {
        uint64_t used = t->tail - t->head;

        /* A head a lying consumer moved back is no room. */
        return used <= t->lane.capacity && t->lane.capacity - used >= need;
}

/* The room a spinning sender waits for beyond what it needs: an eighth
 * of the ring, at most 4 KiB. */
static uint64_t send_room(const shm_tx *t) {
        return t->lane.capacity / 8 < 4096 ? t->lane.capacity / 8 : 4096;
}

/* The room a sleeping sender waits for beyond what it needs: a quarter
 * of the ring, at most 64 KiB (the receiver's batch, mailbox.c). */
static uint64_t send_batch(const shm_tx *t) {
        return t->lane.capacity / 4 < 65536 ? t->lane.capacity / 4 : 65536;
}

/* How a blocked send's spin ended: the next one spins twice as long after
 * room came while spinning, half as long after it had to sleep (at least
 * a round).  A receiver that keeps pace frees room within the spin, and
 * the sender stays awake for it; one that is behind (a slower process, or
 * one waiting for a CPU on a machine with more runnable processes than
 * CPUs) has the sender sleep at once instead of taking, in pauses, a CPU
 * the receiver could use: 50 us a batch here. */
static void send_spun(shm_tx *t, bool room) {
        if (room)
                t->spin = t->spin * 2 < SEND_SPIN_ROUNDS ? t->spin * 2 : SEND_SPIN_ROUNDS;
        else
                t->spin = t->spin / 2 > 1 ? t->spin / 2 : 1;
}

/* NEED bytes did not fit by our last reading of head: reads it again, and
 * then does what FULL says.  1: they fit now; 0: dropped. */
static int tx_space_slow(shm_tx *t, uint64_t need, shm_full full, uint64_t timeout_ns) {
        shm__lane_hdr *h = shm__lane(&t->lane);
        uint64_t deadline = 0, wake_at;
        int r;

        r = refresh_head(t);
        if (r < 0)
                return r;
        if (fits(t, need))
                return 1;
        t->want = need;

        switch (full) {
        case SHM_FULL_FAIL:
                return -EAGAIN;
        case SHM_FULL_DROP:
                shm__count(&h->prod.dropped, 1);
                return 0;
        case SHM_FULL_BLOCK:
                break;
        default:
                return -EINVAL;
        }

        if (timeout_ns == 0)
                return -ETIMEDOUT;
        deadline = shm_deadline(timeout_ns);
        /* Spin first: a receiver that runs frees records within
         * microseconds.  Its head is read once per round of pauses, not
         * continuously: each read takes away the line that its next head
         * store must then fetch back.  And while spinning we wait for a
         * stretch of room (SEND_ROOM), not just for NEED: a sender that
         * goes on as soon as one record is free fills it at once and waits
         * again, in step with the receiver, the two taking the same lines
         * from each other for every message.  Once the spin is over, NEED
         * is enough. */
        for (unsigned round = 0; round < t->spin; round++) {
                for (unsigned k = 0; k < SEND_SPIN_PAUSES; k++)
                        shm__relax();
                r = refresh_head(t);
                if (r < 0)
                        return r;
                if (fits(t, need + send_room(t))) {
                        send_spun(t, true);
                        return 1;
                }
                if (shm_now() >= deadline)
                        return fits(t, need) ? 1 : -ETIMEDOUT;
        }
        send_spun(t, fits(t, need));
        if (fits(t, need))
                return 1;
        /* Woken once a batch of room is free beyond NEED (or the lane is
         * empty), not at the first record freed: a receiver that frees
         * one record at a time would have us wake, write one message and
         * sleep again, for every message.  A receiver that stops before
         * that leaves us asleep for a nap at most (below); after it we
         * ask for NEED alone, and sleep until the deadline. */
        wake_at = t->pub - t->lane.capacity + need + send_batch(t);
        if ((int64_t) (wake_at - t->pub) > 0)
                wake_at = t->pub;
        atomic_store_explicit(&h->rare.wake_at, wake_at, memory_order_relaxed);
        for (bool napped = false;; napped = true) {
                uint64_t now, slice;
                uint32_t reg;

                if (napped)
                        atomic_store_explicit(&h->rare.wake_at, t->pub - t->lane.capacity + need,
                                              memory_order_relaxed);
                /* Say we sleep (and for what), then look again: the
                 * consumer either sees the flag after its head store or we
                 * see its head. */
                reg = shm__sleep_begin(&h->rare.sleeping, SHM_SLEEP_FUTEX);
                t->syscalls += (uint64_t) shm__heavy_fence();
                r = refresh_head(t);
                if (r < 0 || fits(t, need)) {
                        (void) shm__sleep_end(&h->rare.sleeping, reg);
                        return r < 0 ? r : 1;
                }
                now = shm_now();
                if (now >= deadline) {
                        (void) shm__sleep_end(&h->rare.sleeping, reg);
                        return -ETIMEDOUT;
                }
                t->syscalls++;
                slice = deadline - now;
                if (!napped && slice > SHM_NAP_NS)
                        slice = SHM_NAP_NS;
                (void) shm__futex_wait(&h->rare.sleeping, reg, slice);
                (void) shm__sleep_end(&h->rare.sleeping, reg);
        }
}

/* Tells the receiver that our lane has news, and wakes it if it sleeps. */
static void tx_ring(shm_tx *t) {
        shm__bell_hdr *b = shm__bell(&t->bell);
        _Atomic uint64_t *word = shm__bell_word(&t->bell, t->index / 64);
        uint64_t bit = UINT64_C(1) << (t->index % 64), wbit = UINT64_C(1) << (t->index / 64);
        uint32_t sleeping;

        shm__fence();
        /* The word first, then the summary, each only if not yet set; both
         * are checked every time, so a sender killed between the two leaves
         * nothing the next one does not repair. */
        if (!(atomic_load_explicit(word, memory_order_relaxed) & bit))
                atomic_fetch_or_explicit(word, bit, memory_order_seq_cst);
        if (!(atomic_load_explicit(&b->summary, memory_order_relaxed) & wbit))
                atomic_fetch_or_explicit(&b->summary, wbit, memory_order_seq_cst);
        sleeping = atomic_load_explicit(&b->sleeping, memory_order_relaxed);
        if ((sleeping & 3) == 0 || !shm__sleep_end(&b->sleeping, sleeping))
                return;
        t->syscalls++;
        if ((sleeping & 3) == SHM_SLEEP_FD && t->event_fd >= 0) {
                uint64_t one = 1;
                (void) !write(t->event_fd, &one, sizeof(one));
        } else
                (void) shm__futex_wake(&b->sleeping, 1);
}

int shm_tx_arm_fd(shm_tx *t) {
        shm__lane_hdr *h;
        int r;

        if (!t || t->space_fd < 0)
                return -EINVAL;
        h = shm__lane(&t->lane);
        /* Its caller sleeps as long as it likes: woken at the first
         * record freed. */
        atomic_store_explicit(&h->rare.wake_at, 0, memory_order_relaxed);
        t->armed = shm__sleep_begin(&h->rare.sleeping, SHM_SLEEP_FD);
        t->syscalls += (uint64_t) shm__heavy_fence();
        /* Room for what the send that failed needed. */
        r = refresh_head(t);
        if (r < 0 || fits(t, t->want)) {
                (void) shm__sleep_end(&h->rare.sleeping, t->armed);
                return r < 0 ? r : 1;
        }
        return 0;
}

void shm_tx_disarm_fd(shm_tx *t) {
        uint64_t v;

        if (!t || t->space_fd < 0)
                return;
        (void) shm__sleep_end(&shm__lane(&t->lane)->rare.sleeping, t->armed);
        t->syscalls++;
        (void) !read(t->space_fd, &v, sizeof(v));
}

/* Where a record of REC bytes goes: at tail, or after a padding record
 * that fills the rest of the ring when it would straddle the end.  Makes
 * sure both fit (FULL says what to do if not), writes the padding (not
 * published yet) and returns the record's place.  1: there it is; 0:
 * dropped (SHM_FULL_DROP); < 0 as tx_space_slow(). */
SHM_HOT int tx_place(shm_tx *t, uint32_t rec, shm_full full, uint64_t timeout_ns, uint8_t **ret) {
        uint32_t off = (uint32_t) (t->tail & t->lane.mask), pad;
        int r;

        pad = off + rec > t->lane.capacity ? t->lane.capacity - off : 0;
        if (__builtin_expect(!fits(t, (uint64_t) pad + rec), 0)) {
                r = tx_space_slow(t, (uint64_t) pad + rec, full, timeout_ns);
                if (r <= 0)
                        return r;
        }
        if (pad > 0) {
                uint64_t w = SHM_REC_PADDING | shm__lap(&t->lane, t->tail) << SHM_REC_LAP_SHIFT;
                memcpy(shm__at(&t->lane, t->tail), &w, sizeof(w));
                t->tail += pad;
        }
        *ret = shm__at(&t->lane, t->tail);
        return 1;
}

/* Publishes everything written up to tail (N messages), then rings the
 * bell (see layout.h for why this order). */
SHM_HOT void tx_publish(shm_tx *t, uint64_t n) {
        shm__lane_hdr *h = shm__lane(&t->lane);
        uint32_t idle;

        atomic_store_explicit(&h->prod.tail, t->tail, memory_order_release);
        t->pub = t->tail;
        /* A store, not a load and a store: the receiver's reads of tail
         * take this line away, and a load would wait to get it back. */
        t->sent += n;
        atomic_store_explicit(&h->prod.sent, t->sent, memory_order_relaxed);
        /* Ring only for a receiver that stopped watching this lane, and,
         * if it asked for a batch, once the batch is there. */
        shm__light_fence();
        idle = atomic_load_explicit(&h->rare.idle, memory_order_relaxed);
        if (__builtin_expect(idle != 0, 0) &&
            (idle != SHM_IDLE_BATCH ||
             (int64_t) (t->tail - atomic_load_explicit(&h->rare.ring_at, memory_order_relaxed)) >= 0) &&
            atomic_exchange_explicit(&h->rare.idle, 0, memory_order_seq_cst) != 0)
                tx_ring(t);
}

/* The header E needs (layout.h): 8 bytes for none of the envelope's
 * optional fields, 16 for a priority or an address alone, else 48. */
SHM_HOT uint32_t env_hsize(const shm_envelope *e, uint32_t to) {
        if ((e->deadline_ns | e->sender | e->reply_to | e->correlation) != 0)
                return SHM_REC_HEADER_EXT;
        return (e->priority | to) != 0 ? SHM_REC_HEADER_ADDR : SHM_REC_HEADER;
}

/* A record's header of HSIZE bytes at P (tail): its first word and type
 * always, the other fields only when the header has them (layout.h), with
 * TO as its to_len. */
SHM_HOT void rec_header_store(shm_tx *t, uint8_t *p, const shm_envelope *e, uint32_t to, uint32_t len,
                              uint32_t hsize) {
        uint32_t kind = hsize == SHM_REC_HEADER ? 0 : hsize == SHM_REC_HEADER_EXT ? SHM_REC_EXTENDED : SHM_REC_ADDRESSED;
        /* len's word and type side by side: one 8-byte store. */
        uint64_t w = (len | kind | shm__lap(&t->lane, t->tail) << SHM_REC_LAP_SHIFT) | (uint64_t) e->type << 32;

        memcpy(p, &w, sizeof(w));
        if (hsize > SHM_REC_HEADER) {
                uint64_t prio = e->priority | (uint64_t) to << 32;
                memcpy(p + SHM_REC_PRIORITY, &prio, sizeof(prio));
        }
        if (hsize == SHM_REC_HEADER_EXT) {
                memcpy(p + SHM_REC_DEADLINE, &e->deadline_ns, sizeof(uint64_t));
                memcpy(p + SHM_REC_SENDER, &e->sender, sizeof(uint64_t));
                memcpy(p + SHM_REC_REPLY_TO, &e->reply_to, sizeof(uint64_t));
                memcpy(p + SHM_REC_CORRELATION, &e->correlation, sizeof(uint64_t));
        }
}

/* Writes one message at tail (not published).  1 written, 0 dropped. */
SHM_HOT int tx_write(shm_tx *t, const shm_envelope *e, const void *payload, shm_full full, uint64_t timeout_ns) {
        uint32_t hsize = env_hsize(e, e->to_len), rec = shm__rec_size(e->len, hsize);
        uint8_t *p;
        int r;

        r = tx_place(t, rec, full, timeout_ns, &p);
        if (r <= 0)
                return r;
        rec_header_store(t, p, e, e->to_len, e->len, hsize);
        shm__copy(p + hsize, payload, e->len);
        t->tail += rec;
        return 1;
}

static int check_message(const shm_tx *t, const shm_envelope *e, const void *payload) {
        if (!e)
                return -EINVAL;
        if (e->len > t->lane.message_max)
                return -EMSGSIZE;
        if (e->len > 0 && !payload)
                return -EINVAL;
        return 0;
}

/* Every send but the common one (shm_tx_send()). */
static __attribute__((noinline)) int tx_send_slow(shm_tx *t, const shm_envelope *e, const void *payload, shm_full full,
                                                  uint64_t timeout_ns) {
        int r;

        if (!t || t->reserved)
                return -EINVAL;
        r = check_message(t, e, payload);
        if (r < 0)
                return r;
        r = tx_write(t, e, payload, full, timeout_ns);
        if (r <= 0)
                return r;
        tx_publish(t, 1);
        return 0;
}

/* The common send on its own: room by the head we last read, and no end
 * of the ring to pad.  The payload is PLEN bytes at PREFIX (an address
 * the receiver takes off, to_len) and the rest of E->len at PAYLOAD, so
 * that a caller with the two apart copies each once.  false: nothing was
 * done, the general path takes over. */
SHM_HOT bool tx_send_fast(shm_tx *t, const shm_envelope *e, uint32_t to, const void *prefix, uint32_t plen,
                          const void *payload) {
        uint32_t hsize = env_hsize(e, to), rec = shm__rec_size(e->len, hsize), off = (uint32_t) (t->tail & t->lane.mask);
        uint8_t *p;

        if (__builtin_expect(off + rec > t->lane.capacity || !fits(t, rec), 0))
                return false;
        p = t->lane.base + SHM_DATA_OFFSET + off;
        if (__builtin_expect(hsize == SHM_REC_HEADER, 1)) {
                uint64_t w = (e->len | shm__lap(&t->lane, t->tail) << SHM_REC_LAP_SHIFT) | (uint64_t) e->type << 32;
                memcpy(p, &w, sizeof(w));
                p += SHM_REC_HEADER;
        } else {
                /* With envelope fields (an actor's address, a request, a
                 * reply, a subject): the same, with the longer header. */
                rec_header_store(t, p, e, to, e->len, hsize);
                p += hsize;
        }
        if (plen > 0)
                shm__copy(p, prefix, plen);
        shm__copy(p + plen, payload, e->len - plen);
        t->tail += rec;
        tx_publish(t, 1);
        return true;
}

int shm_tx_send(shm_tx *t, const shm_envelope *e, const void *payload, shm_full full, uint64_t timeout_ns) {
        if (__builtin_expect(t && !t->reserved && e && e->len <= t->lane.message_max && (payload || e->len == 0), 1) &&
            tx_send_fast(t, e, e->to_len, NULL, 0, payload))
                return 0;
        return tx_send_slow(t, e, payload, full, timeout_ns);
}

int shm_tx_send_prefixed(shm_tx *t, const shm_envelope *e, const void *prefix, const void *payload, shm_full full,
                         uint64_t timeout_ns) {
        uint8_t *p;
        int r;

        if (!t || t->reserved || !e || e->to_len > e->len || (e->to_len > 0 && !prefix) ||
            (e->len > e->to_len && !payload))
                return -EINVAL;
        if (e->len > t->lane.message_max)
                return -EMSGSIZE;
        if (__builtin_expect(tx_send_fast(t, e, e->to_len, prefix, e->to_len, payload), 1))
                return 0;
        r = tx_place(t, shm__rec_size(e->len, env_hsize(e, e->to_len)), full, timeout_ns, &p);
        if (r <= 0)
                return r;
        /* tx_place() padded if it had to: the record fits at tail now. */
        if (!tx_send_fast(t, e, e->to_len, prefix, e->to_len, payload))
                return -EBADMSG;
        return 0;
}

int shm_tx_address(shm_tx *t, const void *addr, uint32_t len) {
        if (!t || !addr || len == 0 || len >= SHM_ADDR_ENTRY)
                return -EINVAL;
        /* Entries are written once, in order: the first free one ends
         * the search.  The table is the sender's; a receiver that wrote
         * over it only misleads messages sent to itself. */
        for (uint32_t id = 0; id < t->lane.addrs; id++) {
                uint8_t *e = shm__addr(&t->lane, id);
                uint8_t n = *(volatile uint8_t *) e;

                if (n == len && memcmp(e + 1, addr, len) == 0) {
                        t->addr_len[id] = (uint8_t) len;
                        return (int) id;
                }
                if (n == 0) {
                        /* The bytes, then the length that makes the entry
                         * one; the tail store of the first record naming
                         * it publishes both. */
                        memcpy(e + 1, addr, len);
                        atomic_signal_fence(memory_order_release);
                        *(volatile uint8_t *) e = (uint8_t) len;
                        t->addr_len[id] = (uint8_t) len;
                        return (int) id;
                }
        }
        return -ENOSPC;
}

int shm_tx_send_to(shm_tx *t, const shm_envelope *e, uint32_t id, const void *payload, shm_full full,
                   uint64_t timeout_ns) {
        shm_envelope c;

        if (!t || t->reserved || !e || e->to_len != 0 || id >= t->lane.addrs || t->addr_len[id] == 0 ||
            (e->len > 0 && !payload))
                return -EINVAL;
        /* What the receiver hands over is the address and the payload. */
        if ((uint64_t) e->len + t->addr_len[id] > t->lane.message_max)
                return -EMSGSIZE;
        /* The id passed beside E, not written into a copy of it: the
         * caller has just written E field by field, and a copy reads it
         * back in wider loads, which wait for every store before them to
         * reach the cache -- the lane's lines of the last message, which
         * the receiver holds: that wait halved the rate (5.7 M against
         * 20 M msgs/s to an actor in bench/actors). */
        if (__builtin_expect(tx_send_fast(t, e, SHM_TO_ID | id, NULL, 0, payload), 1))
                return 0;
        c = *e;
        c.to_len = SHM_TO_ID | id;
        return tx_send_slow(t, &c, payload, full, timeout_ns);
}

int shm_tx_sendv(shm_tx *t, const shm_msg *msgs, size_t n, shm_full full, uint64_t timeout_ns) {
        uint64_t written = 0;
        size_t k;
        int r = 0;

        if (!t || t->reserved || (n > 0 && !msgs) || n > INT_MAX)
                return -EINVAL;
        for (k = 0; k < n; k++) {
                const shm_msg *m = &msgs[k];
                uint32_t rec;

                r = check_message(t, &m->env, m->payload);
                if (r < 0)
                        break;
                rec = shm__rec_size(m->env.len, env_hsize(&m->env, m->env.to_len));
                /* Out of room: what is written goes out first, so that the
                 * receiver can make room while we wait. */
                if (written > 0) {
                        uint32_t off = (uint32_t) (t->tail & t->lane.mask);
                        uint32_t pad = off + rec > t->lane.capacity ? t->lane.capacity - off : 0;
                        if (!fits(t, (uint64_t) pad + rec)) {
                                tx_publish(t, written);
                                written = 0;
                        }
                }
                r = tx_write(t, &m->env, m->payload, full, timeout_ns);
                if (r < 0)
                        break;
                written += (uint64_t) r;
        }
        if (written > 0)
                tx_publish(t, written);
        if (k == 0 && r < 0)
                return r;
        return (int) k;
}

int shm_tx_reserve(shm_tx *t, const shm_envelope *e, shm_full full, uint64_t timeout_ns, void **ret_payload) {
        uint32_t hsize;
        uint8_t *p;
        int r;

        if (!t || !e || !ret_payload || t->reserved)
                return -EINVAL;
        if (e->len > t->lane.message_max)
                return -EMSGSIZE;
        hsize = env_hsize(e, e->to_len);
        r = tx_place(t, shm__rec_size(e->len, hsize), full == SHM_FULL_DROP ? SHM_FULL_FAIL : full,
                     timeout_ns, &p);
        if (r <= 0)
                return r;
        t->reserved = true;
        t->reserved_len = e->len;
        t->reserved_env = *e;
        *ret_payload = p + hsize;
        return 0;
}

int shm_tx_commit(shm_tx *t, uint32_t len) {
        uint32_t hsize;

        if (!t || !t->reserved)
                return -EINVAL;
        if (len > t->reserved_len)
                return -EMSGSIZE;
        hsize = env_hsize(&t->reserved_env, t->reserved_env.to_len);
        rec_header_store(t, shm__at(&t->lane, t->tail), &t->reserved_env, t->reserved_env.to_len, len, hsize);
        t->tail += shm__rec_size(len, hsize);
        t->reserved = false;
        tx_publish(t, 1);
        return 0;
}

void shm_tx_cancel(shm_tx *t) {
        /* A padding record written for it stays, unpublished until the
         * next message: it is valid wherever it lies. */
        if (t)
                t->reserved = false;
}
