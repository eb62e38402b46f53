/* mailbox.c - the receiving side: one receiver's inbound lanes, the bell
 * that tells which lanes have news, and waiting (futex or eventfd).
 *
 * The receiver keeps, in its own memory, one FIFO of lanes per priority:
 * a lane is queued under the priority of its head message once the bell (or
 * a commit that left more behind) says it has one.  Taking pops the first
 * lane of the highest non-empty priority; after the commit the lane goes to
 * the back of the queue of its next head's priority.  Each message costs a
 * constant amount of work however many lanes there are, lanes of equal
 * priority take turns, and a lane's own messages stay in order.
 *
 * A lane found empty is not given up at once: up to WATCH_MAX such lanes
 * stay watched (their tails are looked at directly on each take), so that
 * a conversation going back and forth costs its sender no bell.  Only the
 * oldest watched lane, or all of them before the receiver sleeps, is
 * marked idle, after which its sender rings for it (see layout.h).
 *
 * A lane found with a backlog (a burst: BATCH / 16 bytes or more waiting
 * at one look) since it was last given up has a receiver that is behind
 * its sender.  Before the receiver sleeps, such a lane is given up in
 * batch mode: its sender rings only once BATCH bytes wait, and the
 * receiver sleeps at most SHM_NAP_NS before it looks at the lane itself.
 * Eleven processes on two CPUs publishing to each other then wake once
 * per batch rather than once per message, and a receiver with nothing to
 * do sleeps instead of spinning for a message that is not coming soon.
 * A lane that had its nap and was not rung for (slower than a batch per
 * nap) is given up plainly the next time: a stream that the receiver
 * keeps up with is rung for at once, as before. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "shm/internal.h"

typedef enum lane_state {
        LANE_CLOSED,                    /* not mapped (0: what calloc gives) */
        LANE_OPEN,                      /* mapped, none of the below */
        LANE_QUEUED,                    /* in one of the priority FIFOs */
        LANE_HELD,                      /* taken, not committed */
        LANE_WATCHED,                   /* found empty, in the watch list, not given up */
        LANE_NAPPING,                   /* given up in batch mode, in the nap list */
} lane_state;

typedef struct rx_lane {
        shm__map map;
        uint64_t head;                  /* ours: the next position to consume */
        uint64_t tail;                  /* the sender's, as last read (>= head) */
        uint8_t st;                     /* a lane_state; one byte, read right after it is written */
        uint64_t hwm;                   /* as last stored in the segment */
        int space_fd;                   /* the sender's, to wake it when it waits through one; owned, or -EBADF */
        uint32_t held_rec;              /* bytes of the taken record, LANE_HELD */
        uint64_t received;              /* the segment's count, kept here: stored, never loaded again */
        uint64_t inflight;              /* the segment's, as read when the lane was added, then as we set it */
        uint32_t next;                  /* FIFO link */
        uint64_t burst;                 /* the most bytes found waiting at one look since it was given up */
        uint64_t released;              /* received when it was last given up */
        uint64_t nap_until;             /* LANE_NAPPING: when its nap ends (CLOCK_MONOTONIC) */
        bool slow;                      /* its last nap ran out unrung: give it up plainly next time */
} rx_lane;

typedef struct fifo {
        uint32_t first, last, n;
} fifo;

#define NIL UINT32_MAX
#define WATCH_MAX 8
#define NAP_MAX 8
#define STREAM_MIN 128
/* The bytes a lane given up in batch mode lets pile up before its sender
 * rings: a quarter of the ring, at most BATCH_MAX. */
#define BATCH_MAX (UINT64_C(64) * 1024)
/* Records one take may skip (expired, or padding) before it returns
 * -EAGAIN with the lane still queued: whatever peers write, every call
 * does bounded work.  A malformed record closes its lane (layout.h). */
#define TAKE_BUDGET 1024
/* The longest a receiver sleeps before it looks at its lanes again. */
#define WAIT_SLICE_NS (UINT64_C(100) * 1000000)
/* The least time between two looks at every lane without a ring. */
#define SWEEP_NS (UINT64_C(50) * 1000000)

struct shm_mailbox {
        shm__map bell;
        int event_fd;                   /* lent */
        uint32_t n_lanes;
        rx_lane *lanes;                 /* by index, n_lanes of them */
        uint32_t lanes_hi;              /* 1 + the highest index ever added: what sweep() walks */
        fifo ready[SHM_PRIORITIES];
        uint32_t levels;                /* bit p: ready[p] is not empty */
        /* The lane committed last, if it has more: logically at the back
         * of the FIFO of its head's priority, but only put there (and its
         * head's priority read) if another lane is queued too. */
        uint32_t next_lane;
        unsigned garbled;               /* lanes closed as garbled, not yet reported by take */
        uint32_t watch[WATCH_MAX];      /* watched lanes, oldest first */
        uint32_t n_watch;
        uint32_t nap[NAP_MAX];          /* lanes given up in batch mode; entries of lanes no longer
                                         * LANE_NAPPING are stale, dropped when met */
        uint32_t n_nap;
        uint32_t armed;                 /* the fd sleep registration */
        uint64_t swept_at;              /* sweep(): when it last looked at every lane */
        uint64_t syscalls;
};

SHM_HOT uint32_t prio_level(uint32_t p) {
        return p >= SHM_PRIORITIES ? SHM_PRIORITIES - 1 : p;
}

SHM_HOT void fifo_push(shm_mailbox *m, uint32_t level, uint32_t i) {
        fifo *f = &m->ready[level];

        m->lanes[i].next = NIL;
        m->lanes[i].st = LANE_QUEUED;
        if (f->n++ == 0) {
                f->first = i;
                m->levels |= 1u << level;
        } else
                m->lanes[f->last].next = i;
        f->last = i;
}

SHM_HOT uint32_t fifo_pop(shm_mailbox *m, uint32_t level) {
        fifo *f = &m->ready[level];
        uint32_t i = f->first;

        f->first = m->lanes[i].next;
        if (--f->n == 0)
                m->levels &= ~(1u << level);
        if (m->lanes[i].st == LANE_QUEUED)
                m->lanes[i].st = LANE_OPEN;
        return i;
}

static void lane_close(rx_lane *l) {
        shm__unmap(&l->map);
        l->space_fd = safe_close(l->space_fd);
        l->st = LANE_CLOSED;
}

int shm_mailbox_open(int bell_fd, int event_fd, shm_mailbox **ret) {
        shm_mailbox *m;
        int r;

        if (!ret)
                return -EINVAL;
        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        shm__barrier_init();
        m->event_fd = event_fd;
        m->next_lane = NIL;
        r = shm__bell_map(bell_fd, &m->bell);
        if (r < 0) {
                free(m);
                return r;
        }
        m->n_lanes = m->bell.lanes;
        m->lanes = calloc(m->n_lanes, sizeof(rx_lane));
        if (!m->lanes) {
                shm__unmap(&m->bell);
                free(m);
                return -ENOMEM;
        }
        *ret = m;
        return 0;
}

shm_mailbox *shm_mailbox_free(shm_mailbox *m) {
        if (!m)
                return NULL;
        for (uint32_t i = 0; i < m->n_lanes; i++)
                if (m->lanes[i].st != LANE_CLOSED)
                        lane_close(&m->lanes[i]);
        free(m->lanes);
        shm__unmap(&m->bell);
        free(m);
        return NULL;
}

SHM_HOT uint64_t lane_batch(const rx_lane *l) {
        return l->map.capacity / 4 < BATCH_MAX ? l->map.capacity / 4 : BATCH_MAX;
}

/* Whether L came in bursts since it was last given up, or as a stream
 * (STREAM_MIN messages without a pause long enough for the receiver to
 * give it up: faster than one per spin), see the top. */
SHM_HOT bool lane_bursty(const rx_lane *l) {
        return !l->slow && (l->burst >= lane_batch(l) / 16 || l->received - l->released >= STREAM_MIN);
}

static void lane_error(rx_lane *l) {
        atomic_fetch_add_explicit(&shm__lane(&l->map)->cons.errors, 1, memory_order_relaxed);
}

/* How many bytes of records wait on L.  The sender's tail is read again
 * only once the last reading is used up: under load its cache line is not
 * pulled across for every message. */
SHM_HOT int lane_avail(rx_lane *l, uint64_t *ret_n) {
        uint64_t n = l->tail - l->head;

        if (n == 0) {
                uint64_t tail = atomic_load_explicit(&shm__lane(&l->map)->prod.tail, memory_order_acquire);
                n = tail - l->head;
                if (n > l->map.capacity || (tail & 7) != 0)
                        return -EBADMSG;
                l->tail = tail;
                if (n > l->burst)
                        l->burst = n;
        }
        *ret_n = n;
        return 0;
}

/* A record's first two words, read once. */
SHM_HOT uint64_t rec_word(const rx_lane *l, uint64_t pos) {
        return *(const volatile uint64_t *) (const void *) shm__at(&l->map, pos);
}

/* The priority level of the first message at L's head, which has records
 * by the tail we last read: a hint for queueing, read past a padding
 * record and never beyond the data; the take checks the record itself. */
SHM_HOT uint32_t head_level(rx_lane *l) {
        uint64_t pos = l->head;
        uint32_t w = (uint32_t) rec_word(l, pos), off;

        if ((w & SHM_REC_KIND) == SHM_REC_PADDING) {
                uint64_t skip = l->map.capacity - (pos & l->map.mask);
                if (l->tail - pos <= skip)
                        return 0;
                pos += skip;
                w = (uint32_t) rec_word(l, pos);
        }
        off = (uint32_t) (pos & l->map.mask);
        /* The priority is at the same place in both longer headers. */
        if (!(w & SHM_REC_EXTENDED) || off + SHM_REC_HEADER_ADDR > l->map.capacity)
                return 0;
        return prio_level(*(const volatile uint32_t *) (const void *) (shm__at(&l->map, pos) + SHM_REC_PRIORITY));
}

static int lane_peek(rx_lane *l, uint32_t *ret_level) {
        uint64_t n;

        if (lane_avail(l, &n) < 0)
                return -EBADMSG;
        if (n == 0)
                return 0;
        *ret_level = head_level(l);
        return 1;
}

static void lane_garbled(shm_mailbox *m, rx_lane *l) {
        lane_error(l);
        lane_close(l);
        m->garbled++;
}

/* Lane I, given up: queued if a message is there after all (its sender
 * need not ring: idle back to 0), closed if garbled.  Whether queued. */
static bool lane_catch(shm_mailbox *m, uint32_t i) {
        rx_lane *l = &m->lanes[i];
        _Atomic uint32_t *idle;
        uint32_t level;
        int r = lane_peek(l, &level);

        if (r < 0)
                lane_garbled(m, l);
        if (r <= 0)
                return false;
        /* Read first: a line the sender reads is written only when it
         * must be. */
        idle = &shm__lane(&l->map)->rare.idle;
        if (atomic_load_explicit(idle, memory_order_relaxed) != 0)
                atomic_store_explicit(idle, 0, memory_order_relaxed);
        fifo_push(m, level, i);
        return true;
}

/* Stops watching the lanes in the watch list: idle = RING on each (BATCH
 * for a bursty one, if BATCH is allowed: the receiver goes to sleep for
 * at most their nap), one heavy fence, then one more look at each, so
 * that either we see a message that raced in or its sender sees idle and
 * rings (see layout.h).  Lanes napping since before whose nap is over at
 * NOW (all of them, without BATCH) go back to RING the same way.
 *
 * When every lane given up goes to BATCH, a full fence of our own does
 * instead of the heavy one (membarrier, which interrupts every CPU: some
 * microseconds on a VM, once per batch): a sender that missed our idle
 * store while we missed its tail store has its message looked at after
 * the nap, which bounds the wait either way. */
static __attribute__((noinline)) void watch_release(shm_mailbox *m, bool batch, uint64_t now) {
        uint32_t look[WATCH_MAX + NAP_MAX], n = 0;
        bool heavy = false;

        for (uint32_t k = 0; k < m->n_nap;) {
                uint32_t i = m->nap[k];
                rx_lane *l = &m->lanes[i];

                if (l->st == LANE_NAPPING && batch && now < l->nap_until) {
                        k++;
                        continue;
                }
                m->nap[k] = m->nap[--m->n_nap];
                if (l->st != LANE_NAPPING)
                        continue;       /* stale */
                l->slow = batch;        /* its nap ran out, not rung for */
                atomic_store_explicit(&shm__lane(&l->map)->rare.idle, SHM_IDLE_RING, memory_order_relaxed);
                l->st = LANE_OPEN;
                look[n++] = i;
                heavy = true;
        }
        for (uint32_t k = 0; k < m->n_watch; k++) {
                uint32_t i = m->watch[k];
                rx_lane *l = &m->lanes[i];
                shm__lane_hdr *h = shm__lane(&l->map);

                if (batch && lane_bursty(l) && m->n_nap < NAP_MAX) {
                        /* ring_at before idle: a sender that sees BATCH
                         * reads this ring_at or, stale, a smaller one. */
                        atomic_store_explicit(&h->rare.ring_at, l->head + lane_batch(l), memory_order_relaxed);
                        atomic_store_explicit(&h->rare.idle, SHM_IDLE_BATCH, memory_order_release);
                        l->nap_until = now + SHM_NAP_NS;
                        l->st = LANE_NAPPING;
                        m->nap[m->n_nap++] = i;
                } else {
                        atomic_store_explicit(&h->rare.idle, SHM_IDLE_RING, memory_order_relaxed);
                        l->st = LANE_OPEN;
                        heavy = true;
                }
                l->burst = 0;
                l->released = l->received;
                l->slow = false;
                look[n++] = i;
        }
        m->n_watch = 0;
        if (n == 0)
                return;
        if (heavy)
                m->syscalls += (uint64_t) shm__heavy_fence();
        else
                shm__fence();
        /* Here already: taken now, not napped on (a stale nap entry is
         * dropped when met). */
        for (uint32_t k = 0; k < n; k++)
                if (m->lanes[look[k]].st != LANE_CLOSED)
                        (void) lane_catch(m, look[k]);
}

/* Queues the napping lanes that have a message now.  One whose sender
 * did not ring although its nap is over (it stays below a batch per nap:
 * a slower stream) is given up plainly next time; one we merely looked
 * at early is not. */
static void nap_poll(shm_mailbox *m) {
        for (uint32_t k = 0; k < m->n_nap;) {
                uint32_t i = m->nap[k], level;
                rx_lane *l = &m->lanes[i];
                _Atomic uint32_t *idle;
                int r;

                if (l->st != LANE_NAPPING) {
                        m->nap[k] = m->nap[--m->n_nap];
                        continue;
                }
                r = lane_peek(l, &level);
                if (r == 0) {
                        k++;
                        continue;
                }
                m->nap[k] = m->nap[--m->n_nap];
                l->st = LANE_OPEN;
                if (r < 0) {
                        lane_garbled(m, l);
                        continue;
                }
                idle = &shm__lane(&l->map)->rare.idle;
                if (atomic_load_explicit(idle, memory_order_relaxed) != 0) {
                        l->slow = shm_now() >= l->nap_until;
                        atomic_store_explicit(idle, 0, memory_order_relaxed);
                }
                fifo_push(m, level, i);
        }
}

static void watch_remove(shm_mailbox *m, uint32_t k) {
        if (m->lanes[m->watch[k]].st == LANE_WATCHED)
                m->lanes[m->watch[k]].st = LANE_OPEN;
        memmove(&m->watch[k], &m->watch[k + 1], (m->n_watch - k - 1) * sizeof(uint32_t));
        m->n_watch--;
}

SHM_HOT void watch_add(shm_mailbox *m, uint32_t i) {
        if (__builtin_expect(m->n_watch == WATCH_MAX, 0))
                watch_release(m, /* batch= */ false, 0);        /* one fence for all of them */
        m->lanes[i].st = LANE_WATCHED;
        m->watch[m->n_watch++] = i;
}

/* Queues lane I if it has a message and is neither queued nor held; an
 * empty one is watched for a while. */
static void lane_activate(shm_mailbox *m, uint32_t i) {
        rx_lane *l = &m->lanes[i];

        if (l->st == LANE_NAPPING)
                l->st = LANE_OPEN;      /* rung for: its nap entry is stale now */
        if (l->st != LANE_OPEN)
                return;
        /* Not queued and not closed as garbled: empty. */
        if (!lane_catch(m, i) && l->st == LANE_OPEN)
                watch_add(m, i);
}

/* Lane I, just committed, goes back in line if the tail we last read says
 * it has more; otherwise it is watched, and its tail is read at the next
 * take rather than now. */
SHM_HOT void lane_requeue(shm_mailbox *m, uint32_t i) {
        rx_lane *l = &m->lanes[i];

        if (l->tail != l->head) {
                l->st = LANE_QUEUED;
                m->next_lane = i;
        } else
                watch_add(m, i);
}

/* Queues the watched lanes that have a message now. */
static void watch_poll(shm_mailbox *m) {
        for (uint32_t k = 0; k < m->n_watch;) {
                uint32_t i = m->watch[k], level;
                rx_lane *l = &m->lanes[i];
                int r = l->st != LANE_CLOSED ? lane_peek(l, &level) : -EBADF;

                if (r == 0) {
                        k++;
                        continue;
                }
                watch_remove(m, k);
                if (r > 0)
                        fifo_push(m, level, i);
                else if (r == -EBADMSG)
                        lane_garbled(m, l);
        }
}

/* Queues every lane given up (waiting for its sender to ring) that has a
 * message, whatever the bell says: the bell is shared by every sender,
 * and one that wrote over it may have wiped another's ring, which its
 * sender then never repeats (it took idle back to 0 when it rang).  Costs
 * a look at each lane's tail, so it is done at most every SWEEP_NS (NOW),
 * by a receiver that found nothing for a while, never per take. */
static unsigned sweep(shm_mailbox *m, uint64_t now) {
        unsigned n = 0;

        if (m->swept_at != 0 && now < m->swept_at + SWEEP_NS)
                return 0;
        m->swept_at = now;
        for (uint32_t i = 0; i < m->lanes_hi; i++)
                if (m->lanes[i].st == LANE_OPEN)
                        n += lane_catch(m, i);
        return n;
}

bool shm_mailbox_has_lanes(const shm_mailbox *m) {
        return m && m->lanes_hi > 0;
}

int shm_mailbox_sweep(shm_mailbox *m, uint64_t now_ns) {
        if (!m)
                return -EINVAL;
        return (int) sweep(m, now_ns == SHM_NOW_AUTO ? shm_now() : now_ns) + (m->garbled > 0);
}

/* Wakes the sender of L, which waits for space (through its fd if it said
 * so and gave us one, else on the futex). */
static void lane_wake_sender(rx_lane *l, uint32_t sleeping) {
        uint64_t one = 1;

        if ((sleeping & 3) == SHM_SLEEP_FD && l->space_fd >= 0)
                (void) !write(l->space_fd, &one, sizeof(one));
        else
                (void) shm__futex_wake(&shm__lane(&l->map)->rare.sleeping, 1);
}

int shm_mailbox_add_lane(shm_mailbox *m, uint32_t index, int lane_fd, int space_fd) {
        rx_lane *l;
        shm__lane_hdr *h;
        uint64_t head, tail;
        int r;

        if (!m || index >= m->n_lanes || m->lanes[index].st != LANE_CLOSED)
                return -EINVAL;
        l = &m->lanes[index];
        l->space_fd = -EBADF;
        if (space_fd >= 0) {
                l->space_fd = fcntl(space_fd, F_DUPFD_CLOEXEC, 3);
                if (l->space_fd < 0)
                        return -errno;
        }
        r = shm__lane_map(lane_fd, &l->map);
        if (r < 0) {
                l->space_fd = safe_close(l->space_fd);
                return r;
        }
        /* A new consumer goes on from the last commit. */
        h = shm__lane(&l->map);
        head = atomic_load_explicit(&h->cons.head, memory_order_acquire);
        tail = atomic_load_explicit(&h->prod.tail, memory_order_acquire);
        if (tail - head > l->map.capacity || ((head | tail) & 7) != 0) {
                lane_error(l);
                lane_close(l);
                return -EBADMSG;
        }
        l->head = head;
        l->tail = head;
        l->hwm = atomic_load_explicit(&h->cons.hwm, memory_order_relaxed);
        l->received = atomic_load_explicit(&h->cons.received, memory_order_relaxed);
        l->released = l->received;
        /* Only the message at head can have been taken before us: once it
         * is committed, only our own takes set inflight. */
        l->inflight = atomic_load_explicit(&h->cons.inflight, memory_order_relaxed);
        l->st = LANE_OPEN;
        if (index >= m->lanes_hi)
                m->lanes_hi = index + 1;
        /* A consumer before us may have died between clearing a blocked
         * sender's registration and waking it. */
        (void) shm__futex_wake(&h->rare.sleeping, 1);
        if (l->space_fd >= 0) {
                uint64_t one = 1;
                (void) !write(l->space_fd, &one, sizeof(one));
        }
        lane_activate(m, index);
        return 0;
}

/* Frees BYTES at head on lane L (release: our reads of them are done)
 * and wakes a sender that waits for space; 1 if that took a system call.
 * inflight is left as it is: it names a position below head from now on,
 * which never matches again. */
SHM_HOT unsigned lane_advance(rx_lane *l, uint32_t bytes) {
        shm__lane_hdr *h = shm__lane(&l->map);
        uint32_t sleeping;

        l->head += bytes;
        atomic_store_explicit(&h->cons.head, l->head, memory_order_release);
        shm__light_fence();
        /* Acquire: wake_at, stored before the registration, is read after it. */
        sleeping = atomic_load_explicit(&h->rare.sleeping, memory_order_acquire);
        /* A sender waiting on the futex is woken once the room it asked
         * for is free (wake_at: it looks itself after a nap). */
        if (__builtin_expect((sleeping & 3) != 0, 0) &&
            ((sleeping & 3) != SHM_SLEEP_FUTEX ||
             (int64_t) (l->head - atomic_load_explicit(&h->rare.wake_at, memory_order_acquire)) >= 0) &&
            shm__sleep_end(&h->rare.sleeping, sleeping)) {
                lane_wake_sender(l, sleeping);
                return 1;
        }
        return 0;
}

/* The checked words of the record at L's head, each read once. */
typedef struct rec_head {
        uint64_t deadline;
        uint32_t len, type, rec, hsize;        /* hsize: 8, 16 (priority, to_len) or 48 (every field) */
        uint32_t to_len;                        /* the address's bytes, in the record or (ALEN) the table's */
        uint32_t alen;                          /* > 0: the address is ADDR, an entry of the table */
        const uint8_t *addr;
        bool padding;
} rec_head;

/* The entry of L's address table that a record's TO (SHM_TO_ID | id)
 * names: its length, checked (1-63 and, with the record's LEN bytes,
 * within message_max), read once; its bytes at *RET_ADDR.  0: not an
 * entry an honest sender names. */
SHM_HOT uint32_t addr_find(const rx_lane *l, uint32_t to, uint32_t len, const uint8_t **ret_addr) {
        uint32_t id = to & ~SHM_TO_ID, n;
        const uint8_t *e;

        if (id >= l->map.addrs)
                return 0;
        e = shm__addr(&l->map, id);
        n = *(const volatile uint8_t *) e;
        if (n == 0 || n >= SHM_ADDR_ENTRY || (uint64_t) n + len > l->map.message_max)
                return 0;
        *ret_addr = e + 1;
        return n;
}

/* Copies a message out: the address of the table first if it has one
 * (RH), then the record's payload at P. */
SHM_HOT void msg_copy(uint8_t *buf, const uint8_t *p, const rec_head *rh) {
        if (rh->alen > 0) {
                shm__copy(buf, rh->addr, rh->alen);
                buf += rh->alen;
        }
        shm__copy(buf, p, rh->len);
}

/* Reads and checks the record at L's head, N bytes of records being
 * there: 0 and *RET a message (or, with padding set, a padding record of
 * rec bytes), -EBADMSG if it is not a record an honest sender writes. */
SHM_HOT int rec_read(const rx_lane *l, uint64_t n, rec_head *ret) {
        uint64_t w = rec_word(l, l->head);
        uint32_t first = (uint32_t) w, off = (uint32_t) (l->head & l->map.mask);

        if (first >> SHM_REC_LAP_SHIFT != shm__lap(&l->map, l->head))
                return -EBADMSG;
        if ((first & SHM_REC_KIND) == SHM_REC_PADDING) {
                /* Only where a record would straddle the end, and to it. */
                ret->rec = l->map.capacity - off;
                ret->padding = true;
                return off != 0 && ret->rec <= n && (first & ~(31u << SHM_REC_LAP_SHIFT)) == SHM_REC_PADDING
                       ? 0 : -EBADMSG;
        }
        ret->padding = false;
        ret->len = first & SHM_REC_LEN_MASK;
        ret->type = (uint32_t) (w >> 32);
        ret->hsize = shm__rec_hsize(first);
        if (ret->len > l->map.message_max)
                return -EBADMSG;
        ret->rec = shm__rec_size(ret->len, ret->hsize);
        if (ret->rec > n || off + ret->rec > l->map.capacity)
                return -EBADMSG;
        ret->deadline = ret->hsize == SHM_REC_HEADER_EXT
                ? *(const volatile uint64_t *) (const void *) (shm__at(&l->map, l->head) + SHM_REC_DEADLINE) : 0;
        ret->to_len = ret->hsize > SHM_REC_HEADER
                ? *(const volatile uint32_t *) (const void *) (shm__at(&l->map, l->head) + SHM_REC_TO_LEN) : 0;
        ret->alen = 0;
        ret->addr = NULL;
        if (ret->to_len & SHM_TO_ID) {
                ret->alen = ret->to_len = addr_find(l, ret->to_len, ret->len, &ret->addr);
                if (ret->alen == 0)
                        return -EBADMSG;
        }
        return 0;
}

/* Fills the caller's envelope from the record and from what was read and
 * checked before (RH): whatever a peer wrote in between, the caller gets
 * the values that passed the checks. */
SHM_HOT void env_load(shm_envelope *ret, const uint8_t *p, const rec_head *rh, uint32_t red) {
        *ret = (shm_envelope) {
                .type = rh->type,
                .deadline_ns = rh->deadline,
                .redelivered = red,
                .len = rh->len + rh->alen,
                .to_len = rh->to_len,
        };
        if (rh->hsize > SHM_REC_HEADER)
                ret->priority = *(const volatile uint32_t *) (const void *) (p + SHM_REC_PRIORITY);
        if (rh->hsize == SHM_REC_HEADER_EXT) {
                ret->sender = *(const volatile uint64_t *) (const void *) (p + SHM_REC_SENDER);
                ret->reply_to = *(const volatile uint64_t *) (const void *) (p + SHM_REC_REPLY_TO);
                ret->correlation = *(const volatile uint64_t *) (const void *) (p + SHM_REC_CORRELATION);
        }
}

/* Takes lane L's head message: >= 0 its length, -EAGAIN empty, -EMSGSIZE,
 * -EBADMSG garbled.  Expired messages and padding are consumed (and
 * expired ones counted) on the way.  TRACK records the take in the
 * segment, so that a consumer dying before its commit gets it redelivered;
 * a receive that commits at once needs no record (the caller never saw
 * the message). */
SHM_HOT int lane_take(rx_lane *l, uint64_t now, shm_envelope *ret, void *buf, size_t size, bool track,
                      uint32_t *budget) {
        shm__lane_hdr *h = shm__lane(&l->map);

        /* Skipping costs budget, shared by the whole take: a peer that
         * keeps writing expired records or padding cannot keep us here. */
        for (;;) {
                uint32_t red = 0;
                rec_head rh;
                uint8_t *p;
                uint64_t n;

                if (lane_avail(l, &n) < 0)
                        return -EBADMSG;
                if (n == 0)
                        return -EAGAIN;
                if (n > l->hwm) {
                        l->hwm = n;
                        atomic_store_explicit(&h->cons.hwm, n, memory_order_relaxed);
                }
                if (rec_read(l, n, &rh) < 0)
                        return -EBADMSG;
                /* The clock is read only for a message with a deadline
                 * (SHM_NOW_AUTO), once per take. */
                if (!rh.padding && rh.deadline != 0 && now == SHM_NOW_AUTO)
                        now = shm_now();
                if (rh.padding || (rh.deadline != 0 && rh.deadline <= now)) {
                        if (!rh.padding)
                                shm__count(&h->cons.expired, 1);
                        (void) lane_advance(l, rh.rec);
                        if (--*budget == 0)
                                return -EINPROGRESS;
                        continue;
                }
                if (rh.len + rh.alen > size) {
                        *ret = (shm_envelope) { .len = rh.len + rh.alen };
                        return -EMSGSIZE;
                }
                /* Delivered before and never committed: a redelivery. */
                if (l->inflight == l->head + 1)
                        red = atomic_load_explicit(&h->cons.redeliveries, memory_order_relaxed) + 1;
                if (track) {
                        l->inflight = l->head + 1;
                        atomic_store_explicit(&h->cons.redeliveries, red, memory_order_relaxed);
                        atomic_store_explicit(&h->cons.inflight, l->head + 1, memory_order_relaxed);
                }
                p = shm__at(&l->map, l->head);
                env_load(ret, p, &rh, red);
                msg_copy(buf, p + rh.hsize, &rh);
                l->held_rec = rh.rec;
                return (int) (rh.len + rh.alen);
        }
}

/* Queues every lane the bell rang for since the last look (the caller saw
 * the summary word set). */
static void bell_drain(shm_mailbox *m) {
        shm__bell_hdr *b = shm__bell(&m->bell);
        uint64_t summary;

        summary = atomic_exchange_explicit(&b->summary, 0, memory_order_seq_cst);
        while (summary) {
                uint32_t w = (uint32_t) __builtin_ctzll(summary);
                uint64_t bits;

                summary &= summary - 1;
                if (w >= m->bell.words)
                        continue;       /* garbage from a peer */
                bits = atomic_exchange_explicit(shm__bell_word(&m->bell, w), 0, memory_order_seq_cst);
                while (bits) {
                        uint32_t i = w * 64 + (uint32_t) __builtin_ctzll(bits);
                        bits &= bits - 1;
                        if (i < m->n_lanes)
                                lane_activate(m, i);
                }
        }
}

SHM_HOT int take(shm_mailbox *m, uint64_t now_ns, shm_envelope *ret_env, void *buf, size_t size,
                uint32_t *ret_lane, bool track) {
        uint32_t budget = TAKE_BUDGET;

        if (!m || !ret_env || (size > 0 && !buf))
                return -EINVAL;
        if (atomic_load_explicit(&shm__bell(&m->bell)->summary, memory_order_relaxed) != 0)
                bell_drain(m);
        if (m->n_watch > 0)
                watch_poll(m);
        if (m->n_nap > 0)
                nap_poll(m);
        if (m->garbled > 0) {
                m->garbled--;
                return -EBADMSG;
        }
        for (;;) {
                uint32_t i, level;
                rx_lane *l;
                int r;

                if (m->next_lane != NIL && m->levels == 0) {
                        /* Alone: no need to know its priority. */
                        i = m->next_lane;
                        m->next_lane = NIL;
                        l = &m->lanes[i];
                        level = UINT32_MAX;
                        if (l->st == LANE_QUEUED)
                                l->st = LANE_OPEN;
                } else {
                        if (m->next_lane != NIL) {
                                i = m->next_lane;
                                m->next_lane = NIL;
                                fifo_push(m, head_level(&m->lanes[i]), i);
                        }
                        if (m->levels == 0)
                                return -EAGAIN;
                        level = 31 - (uint32_t) __builtin_clz(m->levels);
                        i = fifo_pop(m, level);
                        l = &m->lanes[i];
                }
                if (l->st != LANE_OPEN)
                        continue;       /* closed since it was queued */
                r = lane_take(l, now_ns, ret_env, buf, size, track, &budget);
                if (r == -EAGAIN) {
                        /* Only expired messages were left (or a peer moved
                         * its tail back and forth: that costs budget too). */
                        lane_activate(m, i);
                        if (--budget == 0)
                                return -EAGAIN;
                        continue;
                }
                if (r == -EINPROGRESS) {
                        /* Out of budget: the lane stays queued, and the
                         * caller's next take (or wait, which returns at
                         * once) goes on from here. */
                        lane_activate(m, i);
                        return -EAGAIN;
                }
                if (r == -EMSGSIZE) {
                        fifo_push(m, level == UINT32_MAX ? head_level(l) : level, i);
                        return r;
                }
                if (r < 0) {
                        lane_error(l);
                        lane_close(l);
                        return r;
                }
                l->st = LANE_HELD;
                if (ret_lane)
                        *ret_lane = i;
                return r;
        }
}

static bool recv_fast(shm_mailbox *m, shm_envelope *ret, void *buf, size_t size, uint32_t *ret_lane, int *ret_len,
                      bool hold);

int shm_mailbox_take(shm_mailbox *m, uint64_t now_ns, shm_envelope *ret_env, void *buf, size_t size,
                     uint32_t *ret_lane) {
        int r;

        if (__builtin_expect(m && ret_env && (buf || size == 0), 1) &&
            recv_fast(m, ret_env, buf, size, ret_lane, &r, /* hold= */ true))
                return r;
        return take(m, now_ns, ret_env, buf, size, ret_lane, /* track= */ true);
}

SHM_HOT void commit(shm_mailbox *m, uint32_t lane) {
        rx_lane *l = &m->lanes[lane];

        m->syscalls += lane_advance(l, l->held_rec);
        atomic_store_explicit(&shm__lane(&l->map)->cons.received, ++l->received, memory_order_relaxed);
        lane_requeue(m, lane);
}

int shm_mailbox_commit(shm_mailbox *m, uint32_t lane) {
        if (!m || lane >= m->n_lanes || m->lanes[lane].st != LANE_HELD)
                return -EINVAL;
        commit(m, lane);
        return 0;
}

/* The common receives, on their own: nothing is rung for or to be
 * reported, and either the lane served last still has messages by the
 * tail we last read and nothing else is queued or watched, or nothing is
 * queued and the one lane watched (a conversation going back and forth)
 * is looked at; then the message at the lane's head must be well-formed,
 * live, fit, and not have been delivered before.  false: something is not
 * so, nothing was done, and the general path (which reads and checks the
 * segment itself) takes over. */
/* Lane I's head record, by the tail we last read, if it is the common
 * kind: not padding, of this lap, without a deadline (plain, or with the
 * envelope's other fields), within message_max, SIZE, what is published
 * and the ring's end, and not delivered before.  Takes and commits it and
 * returns true; false: nothing was done, the general path decides. */
SHM_HOT bool recv_plain(shm_mailbox *m, uint32_t i, shm_envelope *ret, void *buf, size_t size, uint32_t *ret_lane,
                        int *ret_len, bool hold) {
        rx_lane *l = &m->lanes[i];
        uint64_t head = l->head, n = l->tail - head, w;
        uint32_t off = (uint32_t) (head & l->map.mask), first, len, rec, hsize, alen = 0;
        uint8_t *p = l->map.base + SHM_DATA_OFFSET + off;
        const uint8_t *addr = NULL;
        uint64_t pw = 0;

        w = *(const volatile uint64_t *) (const void *) p;
        first = (uint32_t) w;
        /* Not padding (PADDING alone) and the lap right. */
        if ((first >> SHM_REC_LAP_SHIFT) != shm__lap(&l->map, head) || (first & SHM_REC_KIND) == SHM_REC_PADDING)
                return false;
        hsize = shm__rec_hsize(first);
        len = first & SHM_REC_LEN_MASK;
        rec = shm__rec_size(len, hsize);
        if (len > l->map.message_max || len > size || rec > n || off + rec > l->map.capacity || n > l->hwm ||
            l->inflight == head + 1)
                return false;
        /* A deadline is the general path's to judge (nothing of the
         * caller's is written before this). */
        if (hsize == SHM_REC_HEADER_EXT && *(const volatile uint64_t *) (const void *) (p + SHM_REC_DEADLINE) != 0)
                return false;
        if (hsize == SHM_REC_HEADER_ADDR) {
                /* Priority and to_len, read once; an address of the
                 * table must be one and fit with the payload. */
                pw = *(const volatile uint64_t *) (const void *) (p + SHM_REC_PRIORITY);
                if ((uint32_t) (pw >> 32) & SHM_TO_ID) {
                        alen = addr_find(l, (uint32_t) (pw >> 32), len, &addr);
                        if (alen == 0 || len + alen > size)
                                return false;
                        pw = (uint32_t) pw | (uint64_t) alen << 32;
                }
        }
        /* Field by field: a compound literal becomes a rep stos, whose
         * start-up costs more than the rest of the receive. */
        ret->type = (uint32_t) (w >> 32);
        ret->redelivered = 0;
        ret->len = len + alen;
        if (hsize == SHM_REC_HEADER_ADDR) {
                /* An address or a priority alone (to an actor). */
                ret->priority = (uint32_t) pw;
                ret->to_len = (uint32_t) (pw >> 32);
                ret->sender = ret->reply_to = ret->correlation = ret->deadline_ns = 0;
                if (alen > 0)
                        shm__copy(buf, addr, alen);
                shm__copy((uint8_t *) buf + alen, p + SHM_REC_HEADER_ADDR, len);
        } else if (hsize == SHM_REC_HEADER_EXT) {
                /* Every field read once, after the checks that bound the
                 * record; the deadline was 0 when looked at, and a peer
                 * that changed it since has only its own message late. */
                ret->deadline_ns = 0;
                ret->priority = *(const volatile uint32_t *) (const void *) (p + SHM_REC_PRIORITY);
                ret->to_len = *(const volatile uint32_t *) (const void *) (p + SHM_REC_TO_LEN);
                /* An address of the table: the general path's. */
                if (ret->to_len & SHM_TO_ID)
                        return false;
                ret->sender = *(const volatile uint64_t *) (const void *) (p + SHM_REC_SENDER);
                ret->reply_to = *(const volatile uint64_t *) (const void *) (p + SHM_REC_REPLY_TO);
                ret->correlation = *(const volatile uint64_t *) (const void *) (p + SHM_REC_CORRELATION);
                shm__copy(buf, p + SHM_REC_HEADER_EXT, len);
        } else {
                ret->priority = ret->to_len = 0;
                ret->sender = ret->reply_to = ret->correlation = ret->deadline_ns = 0;
                shm__copy(buf, p + SHM_REC_HEADER, len);
        }
        if (hold) {
                /* A take: recorded in the segment (a consumer that dies
                 * before its commit gets it redelivered), held until then. */
                shm__lane_hdr *h = shm__lane(&l->map);
                atomic_store_explicit(&h->cons.redeliveries, 0, memory_order_relaxed);
                atomic_store_explicit(&h->cons.inflight, head + 1, memory_order_relaxed);
                l->inflight = head + 1;
                l->held_rec = rec;
                l->st = LANE_HELD;
                m->next_lane = NIL;
                if (ret_lane)
                        *ret_lane = i;
                *ret_len = (int) (len + alen);
                return true;
        }
        m->syscalls += lane_advance(l, rec);
        atomic_store_explicit(&shm__lane(&l->map)->cons.received, ++l->received, memory_order_relaxed);
        if (l->tail == l->head) {
                m->next_lane = NIL;
                watch_add(m, i);
        }
        if (ret_lane)
                *ret_lane = i;
        *ret_len = (int) (len + alen);
        return true;
}

/* The common receives, on their own: nothing is rung for or to be
 * reported, and either the lane served last still has messages by the
 * tail we last read and nothing else is queued or watched, or nothing is
 * queued and the one lane watched (a conversation going back and forth)
 * is looked at; then its head record must be the common kind
 * (recv_plain()).  false: something is not so, nothing was done, and the
 * general path (which reads and checks the segment itself) takes over. */
SHM_HOT bool recv_fast(shm_mailbox *m, shm_envelope *ret, void *buf, size_t size, uint32_t *ret_lane, int *ret_len,
                       bool hold) {
        uint32_t i = m->next_lane;
        rx_lane *l;
        uint64_t tail;

        if ((m->levels | m->garbled | m->n_nap) != 0 ||
            atomic_load_explicit(&shm__bell(&m->bell)->summary, memory_order_relaxed) != 0)
                return false;
        if (__builtin_expect(i != NIL, 1))
                return m->n_watch == 0 && recv_plain(m, i, ret, buf, size, ret_lane, ret_len, hold);
        if (m->n_watch != 1)
                return false;
        i = m->watch[0];
        l = &m->lanes[i];
        if (l->st != LANE_WATCHED)
                return false;
        tail = atomic_load_explicit(&shm__lane(&l->map)->prod.tail, memory_order_acquire);
        if (tail == l->head) {
                /* What the general path would find too. */
                *ret_len = -EAGAIN;
                return true;
        }
        if (tail - l->head > l->map.capacity || (tail & 7) != 0)
                return false;
        l->tail = tail;
        if (tail - l->head > l->burst)
                l->burst = tail - l->head;
        m->n_watch = 0;
        l->st = LANE_QUEUED;
        m->next_lane = i;
        return recv_plain(m, i, ret, buf, size, ret_lane, ret_len, hold);
}

static __attribute__((noinline)) int recv_slow(shm_mailbox *m, uint64_t now_ns, shm_envelope *ret_env, void *buf,
                                               size_t size, uint32_t *ret_lane) {
        uint32_t lane;
        int r;

        r = take(m, now_ns, ret_env, buf, size, &lane, /* track= */ false);
        if (r < 0)
                return r;
        commit(m, lane);
        if (ret_lane)
                *ret_lane = lane;
        return r;
}

int shm_mailbox_recv(shm_mailbox *m, uint64_t now_ns, shm_envelope *ret_env, void *buf, size_t size,
                     uint32_t *ret_lane) {
        int r;

        /* The fast path takes no record with a deadline: NOW_NS is not
         * looked at there. */
        if (__builtin_expect(m && ret_env && (buf || size == 0), 1) &&
            recv_fast(m, ret_env, buf, size, ret_lane, &r, /* hold= */ false))
                return r;
        return recv_slow(m, now_ns, ret_env, buf, size, ret_lane);
}

/* Whether a take might find something, without system calls. */
static bool pending(shm_mailbox *m) {
        if (m->n_watch > 0)
                watch_poll(m);
        if (m->n_nap > 0)
                nap_poll(m);
        if (m->levels != 0 || m->next_lane != NIL)
                return true;
        return atomic_load_explicit(&shm__bell(&m->bell)->summary, memory_order_seq_cst) != 0;
}

/* Whether a watched lane came in bursts: its receiver is behind, and
 * spinning for the next message would take a CPU from the senders. */
static bool watch_bursty(const shm_mailbox *m) {
        for (uint32_t k = 0; k < m->n_watch; k++)
                if (lane_bursty(&m->lanes[m->watch[k]]))
                        return true;
        return false;
}

/* How long the receiver may sleep at NOW before a napping lane's nap is
 * over: UINT64_MAX if none naps. */
static uint64_t nap_left(const shm_mailbox *m, uint64_t now) {
        uint64_t left = UINT64_MAX;

        for (uint32_t k = 0; k < m->n_nap; k++) {
                const rx_lane *l = &m->lanes[m->nap[k]];
                if (l->st == LANE_NAPPING)
                        left = l->nap_until <= now ? 0 : l->nap_until - now < left ? l->nap_until - now : left;
        }
        return left;
}

int shm_mailbox_wait(shm_mailbox *m, uint64_t timeout_ns, unsigned spin) {
        shm__bell_hdr *b;
        uint64_t deadline, now;

        if (!m)
                return -EINVAL;
        b = shm__bell(&m->bell);
        if (watch_bursty(m))
                spin = 0;
        for (unsigned i = 0; i < spin; i++) {
                if (pending(m))
                        return 0;
                shm__relax();
        }
        now = shm_now();
        deadline = timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
        watch_release(m, /* batch= */ true, now);
        for (;;) {
                uint32_t reg = shm__sleep_begin(&b->sleeping, SHM_SLEEP_FUTEX);
                uint64_t slice;

                if (pending(m)) {
                        (void) shm__sleep_end(&b->sleeping, reg);
                        return 0;
                }
                now = shm_now();
                if (now >= deadline) {
                        (void) shm__sleep_end(&b->sleeping, reg);
                        return -ETIMEDOUT;
                }
                m->syscalls++;
                /* In slices: the bell is shared with every sender, and one
                 * that garbles its sleeping word can make the others' wake
                 * go astray; a slice bounds that to latency.  And no
                 * longer than a napping lane's nap. */
                slice = deadline - now < WAIT_SLICE_NS ? deadline - now : WAIT_SLICE_NS;
                if (nap_left(m, now) < slice)
                        slice = nap_left(m, now) > 0 ? nap_left(m, now) : 1;
                (void) shm__futex_wait(&b->sleeping, reg, slice);
                (void) shm__sleep_end(&b->sleeping, reg);
                if (pending(m))
                        return 0;
                /* Unrung for a while: a ring may have been wiped. */
                if (sweep(m, shm_now()) > 0 || m->garbled > 0)
                        return 0;
                /* Naps that are over: their lanes are rung for again. */
                now = shm_now();
                if (nap_left(m, now) == 0) {
                        watch_release(m, /* batch= */ true, now);
                        if (pending(m))
                                return 0;
                }
        }
}

static int arm_fd(shm_mailbox *m, bool batch, uint64_t *ret_max_ns) {
        shm__bell_hdr *b;
        uint64_t now = batch ? shm_now() : 0;

        if (!m || m->event_fd < 0)
                return -EINVAL;
        b = shm__bell(&m->bell);
        watch_release(m, batch, now);
        if (ret_max_ns)
                *ret_max_ns = nap_left(m, now);
        m->armed = shm__sleep_begin(&b->sleeping, SHM_SLEEP_FD);
        if (pending(m)) {
                (void) shm__sleep_end(&b->sleeping, m->armed);
                return 1;
        }
        return 0;
}

int shm_mailbox_arm_fd(shm_mailbox *m) {
        return arm_fd(m, /* batch= */ false, NULL);
}

int shm_mailbox_arm_fd_nap(shm_mailbox *m, uint64_t *ret_max_ns) {
        if (!ret_max_ns)
                return -EINVAL;
        return arm_fd(m, /* batch= */ true, ret_max_ns);
}

void shm_mailbox_disarm_fd(shm_mailbox *m) {
        uint64_t v;

        if (!m || m->event_fd < 0)
                return;
        (void) shm__sleep_end(&shm__bell(&m->bell)->sleeping, m->armed);
        m->syscalls++;
        (void) !read(m->event_fd, &v, sizeof(v));
}

int shm_mailbox_lane_stats(shm_mailbox *m, uint32_t lane, shm_lane_stats *ret) {
        if (!m || !ret || lane >= m->n_lanes || m->lanes[lane].st == LANE_CLOSED)
                return -EINVAL;
        shm__stats(&m->lanes[lane].map, m->lanes[lane].head, ret);
        return 0;
}

uint64_t shm_mailbox_syscalls(const shm_mailbox *m) {
        return m ? m->syscalls : 0;
}

int shm_lane_take_dead(int lane_fd, uint32_t max_redeliveries, shm_dead_letter *ret) {
        rx_lane l = { .space_fd = -EBADF };
        shm__lane_hdr *h;
        rec_head rh;
        uint64_t n;
        int r;

        if (!ret)
                return -EINVAL;
        r = shm__lane_map_how(lane_fd, /* populate= */ false, &l.map);
        if (r < 0)
                return r;
        h = shm__lane(&l.map);
        l.head = atomic_load_explicit(&h->cons.head, memory_order_acquire);
        l.tail = l.head;
        r = 0;
        for (unsigned k = 0; k < 2; k++) {      /* a padding record, then the message */
                uint32_t red, a;

                if ((l.head & 7) != 0 || lane_avail(&l, &n) < 0) {
                        r = -EBADMSG;
                        break;
                }
                if (n == 0)
                        break;
                if (rec_read(&l, n, &rh) < 0) {
                        r = -EBADMSG;
                        break;
                }
                if (rh.padding) {
                        (void) lane_advance(&l, rh.rec);
                        continue;
                }
                if (atomic_load_explicit(&h->cons.inflight, memory_order_relaxed) != l.head + 1)
                        break;
                red = atomic_load_explicit(&h->cons.redeliveries, memory_order_relaxed);
                if (red < max_redeliveries)
                        break;
                env_load(&ret->env, shm__at(&l.map, l.head), &rh, red);
                /* Its first bytes as the receiver got them: the address
                 * of the table (at most 63 bytes), then the payload. */
                a = rh.alen < sizeof(ret->head) ? rh.alen : (uint32_t) sizeof(ret->head);
                if (a > 0)
                        memcpy(ret->head, rh.addr, a);
                ret->n_head = a + (rh.len < sizeof(ret->head) - a ? rh.len : (uint32_t) sizeof(ret->head) - a);
                memcpy(ret->head + a, shm__at(&l.map, l.head) + rh.hsize, ret->n_head - a);
                (void) lane_advance(&l, rh.rec);
                shm__count(&h->cons.dead, 1);
                r = 1;
                break;
        }
        if (r == -EBADMSG)
                lane_error(&l);
        shm__unmap(&l.map);
        return r;
}
