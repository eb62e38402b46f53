/* actor-pub.c - what the actor system tells airsupd (actors.h): the
 * table of its actors (common/actor-table.h) in a sealed memfd that
 * airsupd maps read-only, the actor events, and the dead letters of
 * messages that named no actor.
 *
 * The table lists at most `capacity` actors (the first to come; an entry
 * is freed when its actor ends) and counts every actor in its totals.  A
 * state change is written at once; the counters that move per message
 * (processed, depth) are copied in at most every REFRESH_NS, so a message
 * costs no write to the shared segment.
 *
 * Events go over the channel without waiting (a full channel drops them,
 * counted), at most EVENTS_PER_S a second; the final GAVE_UP waits a
 * little, since the process is about to end. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "child/actors.h"

#define REFRESH_NS   (UINT64_C(100) * 1000000)
#define EVENTS_PER_S 100

static void seq_begin(act_pub *p) {
        __atomic_store_n(&p->h->seq, p->h->seq + 1, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_RELEASE);
}

static void seq_end(act_pub *p) {
        __atomic_store_n(&p->h->seq, p->h->seq + 1, __ATOMIC_RELEASE);
}

int act__pub_init(airsup_sys *s, unsigned capacity) {
        act_pub *p = &s->pub;
        size_t size = act_table_size(capacity);
        int fd, r;

        p->fd = -EBADF;
        p->free = ACT_NONE;
        fd = memfd_create("airsup-actors", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        if (ftruncate(fd, (off_t) size) < 0 ||
            fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
                r = -errno;
                (void) close(fd);
                return r;
        }
        p->h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p->h == MAP_FAILED) {
                r = -errno;
                p->h = NULL;
                (void) close(fd);
                return r;
        }
        p->fd = fd;
        p->size = size;
        p->capacity = capacity;
        p->h->magic = ACT_TABLE_MAGIC;
        p->h->version = ACT_TABLE_VERSION;
        p->h->entry_size = ACT_ENTRY_SIZE;
        p->h->capacity = capacity;
        if (s->a) {
                chan_record rec;
                chan_init(&rec, CHAN_ACTORS);
                /* Without airsupd's attention the table is only not shown. */
                (void) airsup__chan_send(s->a, &rec, rec.h.len, &fd, 1, /* wait= */ true);
        }
        return 0;
}

void act__pub_free(airsup_sys *s) {
        act_pub *p = &s->pub;

        if (p->h)
                (void) munmap(p->h, p->size);
        p->h = NULL;
        if (p->fd >= 0)
                (void) close(p->fd);
        p->fd = -EBADF;
}

static act_entry *entry(act_pub *p, uint32_t e) {
        return (act_entry *) (void *) ((uint8_t *) p->h + ACT_HDR_SIZE + (size_t) e * ACT_ENTRY_SIZE);
}

void act__pub_update(airsup_sys *s, uint32_t i) {
        act_pub *p = &s->pub;
        act *a = act_at(s, i);
        act_entry *e;

        if (!p->h)
                return;
        if (a->pub == ACT_NONE) {
                if (p->free != ACT_NONE) {
                        a->pub = p->free;
                        p->free = entry(p, a->pub)->parent;
                } else if (p->n < p->capacity)
                        a->pub = p->n++;
                else
                        return;         /* not listed; the totals count it */
        }
        e = entry(p, a->pub);
        seq_begin(p);
        if (p->h->n < p->n)
                p->h->n = p->n;
        memset(e->name, 0, sizeof(e->name));
        if (a->name)
                memcpy(e->name, a->name, strlen(a->name));
        e->id = act_ref(s, i);
        e->processed = a->processed;
        e->parent = a->parent != ACT_NONE ? act_at(s, a->parent)->pub : ACT_NO_PARENT;
        e->state = a->run == ACT_R_RUNNING ? ACT_RUNNING : a->run == ACT_R_RESTARTING ? ACT_RESTARTING : ACT_STOPPED;
        e->kind = a->kind == ACT_K_SUP ? ACT_KIND_SUPERVISOR : ACT_KIND_ACTOR;
        e->depth = a->depth;
        e->restarts = a->restarts;
        e->last_error = a->last_error;
        seq_end(p);
}

void act__pub_release(airsup_sys *s, uint32_t i) {
        act_pub *p = &s->pub;
        act *a = act_at(s, i);

        if (!p->h || a->pub == ACT_NONE)
                return;
        seq_begin(p);
        memset(entry(p, a->pub), 0, ACT_ENTRY_SIZE);
        entry(p, a->pub)->parent = p->free;     /* ACT_FREE: a reader skips it */
        seq_end(p);
        p->free = a->pub;
        a->pub = ACT_NONE;
}

void act__pub_refresh(airsup_sys *s, bool force) {
        act_pub *p = &s->pub;
        uint64_t now;

        if (!p->h)
                return;
        now = act__now();
        if (!force && now - p->refreshed_ns < REFRESH_NS)
                return;
        p->refreshed_ns = now;
        p->processed_seen = s->processed;
        seq_begin(p);
        /* The listed actors' moving counters, found through their ids. */
        for (uint32_t k = 0; k < p->n; k++) {
                act_entry *e = entry(p, k);
                uint32_t i;

                if (e->state == ACT_FREE)
                        continue;
                i = act_slot(s, e->id);
                if (i == ACT_NONE)
                        continue;
                e->processed = act_at(s, i)->processed;
                e->depth = act_at(s, i)->depth;
        }
        p->h->actors = s->n_actors;
        p->h->supervisors = s->n_sups;
        p->h->processed = s->processed;
        p->h->failures = s->failures;
        p->h->restarts = s->restarts;
        p->h->escalations = s->escalations;
        p->h->dead_letters = s->dead_letters;
        p->h->queued = s->queued;
        p->h->updated_ns = now;
        seq_end(p);
}

/* Whether one more event may go now (EVENTS_PER_S a second). */
static bool event_allowed(airsup_sys *s) {
        act_pub *p = &s->pub;
        uint64_t now = act__now();

        if (now - p->events_window_ns >= UINT64_C(1000000000)) {
                if (p->events_suppressed > 0 && s->a) {
                        chan_record rec;
                        chan_init(&rec, CHAN_ACTOR_EVENT);
                        rec.actor_event.kind = CHAN_ACTOR_SUPPRESSED;
                        rec.actor_event.error = (int32_t) p->events_suppressed;
                        (void) airsup__chan_send(s->a, &rec, rec.h.len, NULL, 0, false);
                }
                p->events_window_ns = now;
                p->events_in_window = 0;
                p->events_suppressed = 0;
        }
        if (p->events_in_window >= EVENTS_PER_S) {
                p->events_suppressed++;
                return false;
        }
        p->events_in_window++;
        return true;
}

void act__event(airsup_sys *s, uint32_t i, int kind, int error, int answer, const char *detail) {
        chan_record rec;
        char name[AIRSUP_NAME_MAX];

        if (!s->a || (kind != CHAN_ACTOR_GAVE_UP && !event_allowed(s)))
                return;
        chan_init(&rec, CHAN_ACTOR_EVENT);
        rec.actor_event.kind = (uint32_t) kind;
        rec.actor_event.error = error;
        rec.actor_event.answer = (uint32_t) answer;
        act__name_of(s, i, name);
        (void) snprintf(rec.actor_event.actor, sizeof(rec.actor_event.actor), "%s", name);
        if (detail)
                (void) snprintf(rec.actor_event.detail, sizeof(rec.actor_event.detail), "%s", detail);
        (void) airsup__chan_send(s->a, &rec, rec.h.len, NULL, 0, kind == CHAN_ACTOR_GAVE_UP);
}

void act__dead(airsup_sys *s, uint32_t lane, uint32_t type, const void *data, size_t len, const char *addr,
               size_t addr_len, int reason) {
        chan_record rec;

        if (!s->a || !event_allowed(s))
                return;
        chan_init(&rec, CHAN_DEAD);
        rec.dead.index = lane;
        rec.dead.type = type;
        rec.dead.len = (uint32_t) len;
        rec.dead.reason = (uint32_t) reason;
        /* The address as it came, made printable: it is a sender's. */
        for (size_t k = 0; k < addr_len && k < sizeof(rec.dead.actor) - 1; k++)
                rec.dead.actor[k] = addr[k] >= 0x20 && addr[k] <= 0x7e ? addr[k] : '?';
        rec.dead.n_head = (uint32_t) (len < sizeof(rec.dead.head) ? len : sizeof(rec.dead.head));
        memcpy(rec.dead.head, data, rec.dead.n_head);
        (void) airsup__chan_send(s->a, &rec, rec.h.len, NULL, 0, false);
}
