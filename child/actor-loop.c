/* actor-loop.c - tells and the dispatch loop (actors.h).
 *
 * Each turn runs each actor of the ready ring (actor-mbox.c) for at most
 * `budget` messages, then puts it back at the end if it has more, so one
 * busy actor cannot starve the rest.
 *
 * Messages from other groups are not copied into a mailbox: each is
 * taken off its lane, handed to its actor's handler, and committed after
 * the handler returned, so a process killed in the middle gets it again
 * in its next incarnation.  Only a message for an actor that is waiting
 * out a backoff (or that asked to handle a failed message again) is
 * copied into its mailbox, and that copy lives in this process's memory. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "child/actors.h"
#include "child/lib.h"
#include "common/actor-addr.h"
#include "shm/shm.h"

#define EXPORT __attribute__((visibility("default")))
#define RX_FIRST  (64u << 10)
#define LANE_NAME "main"                /* the actor a message to the group itself goes to */

/* The live actor (not a supervisor) REF names. */
static int actor_slot(const airsup_sys *s, airsup_ref to, uint32_t *ret) {
        uint32_t i = act_slot(s, to);

        if (i == ACT_NONE)
                return -ESRCH;
        if (act_at(s, i)->kind != ACT_K_ACTOR)
                return -EINVAL;
        *ret = i;
        return 0;
}

/* A sender that fills a mailbox faster than its actor's turns empty it
 * sits out turns in proportion (as BEAM charges a send to a long
 * queue): without it, a producer's mailbox of messages to a consumer
 * grows without bound, one budget's worth a turn. */
static inline void charge(airsup_sys *s, uint32_t to) {
        if (__builtin_expect(act_at(s, to)->depth > s->budget && s->current != ACT_NONE, 0))
                act_at(s, s->current)->debt++;
}

EXPORT int airsup_tell(airsup_sys *s, airsup_ref to, uint32_t type, const void *data, size_t len) {
        uint32_t i;
        act_msg *m;
        int r;

        if (__builtin_expect(!s || (len > 0 && !data), 0))
                return -EINVAL;
        if (__builtin_expect(len > AIRSUP_ACTOR_MESSAGE_MAX, 0))
                return -EMSGSIZE;
        r = actor_slot(s, to, &i);
        if (r < 0)
                return r;
        m = act__msg_new(s, len);
        if (!m)
                return -ENOMEM;
        m->from = s->current != ACT_NONE ? act_ref(s, s->current) : 0;
        m->correlation = 0;
        m->flags = 0;
        m->type = type;
        m->len = (uint32_t) len;
        if (len > 0)
                memcpy(ACT_MSG_PAYLOAD(m), data, len);
        act__enqueue(s, i, m, false);
        charge(s, i);
        return 0;
}

EXPORT int airsup_tell_reserve(airsup_sys *s, airsup_ref to, uint32_t type, size_t len, void **ret_buf) {
        uint32_t i;
        act_msg *m;
        int r;

        if (!s || !ret_buf)
                return -EINVAL;
        if (len > AIRSUP_ACTOR_MESSAGE_MAX)
                return -EMSGSIZE;
        r = actor_slot(s, to, &i);
        if (r < 0)
                return r;
        m = act__msg_new(s, len);
        if (!m)
                return -ENOMEM;
        /* One reservation at a time: a second gives the first up. */
        if (s->reserved)
                act__msg_free(s, s->reserved);
        m->from = s->current != ACT_NONE ? act_ref(s, s->current) : 0;
        m->correlation = 0;
        m->flags = 0;
        m->type = type;
        m->len = (uint32_t) len;
        s->reserved = m;
        s->reserved_to = i;
        s->reserved_ref = to;
        *ret_buf = ACT_MSG_PAYLOAD(m);
        return 0;
}

EXPORT int airsup_tell_commit(airsup_sys *s) {
        act_msg *m;

        if (!s || !s->reserved)
                return -EINVAL;
        m = s->reserved;
        s->reserved = NULL;
        /* The receiver may have ended since the reserve. */
        if (act_slot(s, s->reserved_ref) != s->reserved_to) {
                act__msg_free(s, m);
                return -ESRCH;
        }
        act__enqueue(s, s->reserved_to, m, false);
        charge(s, s->reserved_to);
        return 0;
}

void act__apply_stops(airsup_sys *s) {
        while (s->stops_n > 0) {
                uint32_t i = act_slot(s, s->stops[--s->stops_n]);
                if (i != ACT_NONE && i != s->root)
                        act__terminate(s, i, 0);
        }
}

/* Hands M and DATA to actor I's handler; then what the handler asked
 * for (an error, its own exit, stops) is applied.  Returns whether the
 * failed message is to be handled again by the restarted actor. */
static bool invoke(airsup_sys *s, uint32_t i, const airsup_msg *m, const void *data) {
        act *a = act_at(s, i);
        airsup_ref ref = act_ref(s, i);
        bool retry = false;
        int r;

        s->current = i;
        r = a->b->handle(s, ref, a->state, m, data);
        s->current = ACT_NONE;
        a->processed++;
        s->processed++;
        if (__builtin_expect(r < 0, 0)) {
                act__failed(s, i, r, m, data, &retry);
                act__settle(s);
        }
        if (__builtin_expect(s->stops_n > 0, 0))
                act__apply_stops(s);
        if (__builtin_expect(act_slot(s, ref) == i && (a->flags & ACT_F_EXITING), 0)) {
                a->flags &= ~ACT_F_EXITING;
                act__exited(s, i, a->exit_reason);
                act__settle(s);
        }
        return retry;
}

/* Up to the budget of I's messages. */
static void run_actor(airsup_sys *s, uint32_t i) {
        act *a = act_at(s, i);
        airsup_ref ref = act_ref(s, i);
        airsup_msg *lm = &s->m_local;

        for (unsigned b = 0; b < s->budget; b++) {
                act_msg *m = a->head;
                bool retry;

                if (!m)
                        return;
                a->head = m->next;
                if (!a->head)
                        a->tail = NULL;
                a->depth--;
                s->queued--;
                lm->type = m->type;
                lm->len = m->len;
                lm->from = m->from;
                lm->correlation = m->correlation;
                lm->flags = m->flags;
                retry = invoke(s, i, lm, ACT_MSG_PAYLOAD(m));
                if (act_slot(s, ref) != i) {
                        act__msg_free(s, m);
                        return;
                }
                if (retry)
                        act__enqueue(s, i, m, true);
                else
                        act__msg_free(s, m);
                /* Stopped, or in debt: the others go first. */
                if (a->run != ACT_R_RUNNING || s->gave_up || a->debt > 0)
                        return;
        }
}

/* A copy of DATA for I's mailbox, at its front if FRONT, with the
 * correlation id and flags of M (NULL: none). */
static void queue_copy(airsup_sys *s, uint32_t i, const airsup_msg *cm, uint32_t type, const void *data, size_t len,
                       bool front) {
        act_msg *m = act__msg_new(s, len);

        if (!m) {
                s->dead_letters++;
                return;
        }
        m->from = 0;
        m->correlation = cm ? cm->correlation : 0;
        m->flags = cm ? cm->flags : 0;
        m->type = type;
        m->len = (uint32_t) len;
        if (len > 0)
                memcpy(ACT_MSG_PAYLOAD(m), data, len);
        act__enqueue(s, i, m, front);
}

/* One message from another group, of LEN bytes in rxbuf, TO_LEN of them
 * the actor's name. */
static void lane_deliver(airsup_sys *s, size_t len, uint32_t to_len) {
        airsup_msg *m = &s->m_lane;
        const char *name = to_len ? s->rxbuf : LANE_NAME;
        size_t name_len = to_len ? to_len : strlen(LANE_NAME);
        uint32_t i = ACT_NONE;

        bool bad = false;

        if (to_len > len)
                bad = true;
        else if (name_len == s->name_hit.len && s->name_hit.epoch == s->names_epoch &&
                 airsup__bytes_equal(name, s->name_hit.name, name_len))
                i = s->name_hit.slot;   /* the name the last message named, checked then */
        else if (!actor_name_valid_n(name, name_len))
                bad = true;
        else {
                i = act__find_name(s, name, name_len);
                if (i != ACT_NONE && name_len < sizeof(s->name_hit.name)) {
                        memcpy(s->name_hit.name, name, name_len);
                        s->name_hit.len = (uint32_t) name_len;
                        s->name_hit.slot = i;
                        s->name_hit.epoch = s->names_epoch;
                }
        }
        if (bad) {
                s->dead_letters++;
                act__dead(s, m->lane, m->type, s->rxbuf, len, name, to_len > len ? len : to_len,
                          CHAN_DEAD_BAD_ADDRESS);
                return;
        }
        if (i == ACT_NONE || act_at(s, i)->kind != ACT_K_ACTOR) {
                s->dead_letters++;
                act__dead(s, m->lane, m->type, (const uint8_t *) s->rxbuf + to_len, len - to_len, name, name_len,
                          CHAN_DEAD_NO_ACTOR);
                return;
        }
        /* A whole name's room at once (rxbuf has at least RX_FIRST
         * bytes): a copy of a fixed size is a few moves, one of the
         * name's length a call. */
        if (name == s->rxbuf && s->rxsize >= sizeof(m->actor))
                memcpy(m->actor, name, sizeof(m->actor));
        else
                memcpy(m->actor, name, name_len);
        m->actor[name_len] = '\0';
        m->len = (uint32_t) (len - to_len);
        m->from = 0;
        if (act_at(s, i)->run != ACT_R_RUNNING) {
                queue_copy(s, i, m, m->type, (const uint8_t *) s->rxbuf + to_len, m->len, false);
                return;
        }
        if (invoke(s, i, m, (const uint8_t *) s->rxbuf + to_len) && act_at(s, i)->kind == ACT_K_ACTOR)
                queue_copy(s, i, m, m->type, (const uint8_t *) s->rxbuf + to_len, m->len, true);
}

/* A reply of LEN bytes in rxbuf: to the actor that asked, if it is the
 * one its ask waits for (the right id, from the instance asked), else
 * late and dropped. */
static void lane_reply(airsup_sys *s, size_t len) {
        airsup_msg *m = &s->m_lane;
        act_ask ask;
        uint32_t i;

        if (!act__ask_take(s, m->correlation, m->sender, &ask)) {
                s->a->late_replies++;
                return;
        }
        (void) act__timer_cancel(s, ask.timer);
        i = act_slot(s, ask.ref);
        if (i == ACT_NONE || act_at(s, i)->kind != ACT_K_ACTOR) {
                s->dead_letters++;
                return;
        }
        m->actor[0] = '\0';
        m->from = 0;
        if (act_at(s, i)->run != ACT_R_RUNNING) {
                queue_copy(s, i, m, m->type, s->rxbuf, len, false);
                return;
        }
        if (invoke(s, i, m, s->rxbuf) && act_at(s, i)->kind == ACT_K_ACTOR)
                queue_copy(s, i, m, m->type, s->rxbuf, len, true);
}

/* What the library kept for airsup_recv() (child/request.c): a
 * monitor's DOWN goes to the actor that asked for it; a message that came
 * while a handler's airsup_request() waited, to its actor.  Both were
 * committed when kept. */
static void stash_run(airsup_sys *s) {
        while (s->a->stash && !s->gave_up) {
                airsup_msg *m = &s->m_lane;
                const char *name = LANE_NAME;
                airsup_ref ar;
                uint32_t i;
                int r = airsup__stash_pop(s->a, m, s->rxbuf, s->rxsize);

                if (r == -EMSGSIZE) {
                        void *b = realloc(s->rxbuf, m->len);
                        if (!b)
                                return;
                        s->rxbuf = b;
                        s->rxsize = m->len;
                        continue;
                }
                if (r < 0)
                        return;
                if (m->type == AIRSUP_TYPE_DOWN && m->len == sizeof(airsup_down)) {
                        airsup_down d;
                        memcpy(&d, s->rxbuf, sizeof(d));
                        act__asks_down(s, d.ref, d.code);
                        if (!act__mon_take(s, d.ref, &ar) || (i = act_slot(s, ar)) == ACT_NONE)
                                continue;       /* demonitored, or its actor ended */
                } else {
                        if (m->actor[0])
                                name = m->actor;
                        i = act__find_name(s, name, strlen(name));
                        if (i == ACT_NONE || act_at(s, i)->kind != ACT_K_ACTOR) {
                                s->dead_letters++;
                                continue;
                        }
                }
                queue_copy(s, i, m, m->type, s->rxbuf, (size_t) r, false);
        }
}

typedef struct pub_walk {
        size_t len;                     /* the payload's, after the subject */
        const uint8_t *data;
        unsigned n;
} pub_walk;

static void pub_hit(airsup_sys *s, uint32_t i, void *u) {
        pub_walk *w = u;
        airsup_msg *m = &s->m_lane;

        w->n++;
        if (act_at(s, i)->run != ACT_R_RUNNING) {
                queue_copy(s, i, m, m->type, w->data, w->len, false);
                return;
        }
        /* Each subscriber's handler straight from the lane, as one
         * message to one actor is. */
        if (invoke(s, i, m, w->data) && act_at(s, i)->kind == ACT_K_ACTOR)
                queue_copy(s, i, m, m->type, w->data, w->len, true);
}

/* A message published to a subject (its first TO_LEN bytes): to every
 * actor whose subscription matches it; none: the actor "main", else a
 * dead letter. */
static void lane_publish(airsup_sys *s, size_t len, uint32_t to_len) {
        airsup_msg *m = &s->m_lane;
        pub_walk w = { .data = (const uint8_t *) s->rxbuf + to_len };
        uint32_t i;

        if (to_len > len || to_len >= sizeof(m->subject)) {
                s->dead_letters++;
                return;
        }
        memcpy(m->subject, s->rxbuf, to_len);
        m->subject[to_len] = '\0';
        if (!subject_valid(m->subject, false)) {
                s->dead_letters++;
                return;
        }
        m->len = (uint32_t) (len - to_len);
        w.len = m->len;
        m->actor[0] = '\0';
        m->from = 0;
        act__subs_foreach(s, m->subject, pub_hit, &w);
        if (w.n > 0)
                return;
        i = act__find_name(s, LANE_NAME, strlen(LANE_NAME));
        if (i != ACT_NONE && act_at(s, i)->kind == ACT_K_ACTOR)
                pub_hit(s, i, &w);
        else
                s->dead_letters++;
}

/* Up to the budget of messages from other groups: how many. */
static unsigned lanes_run(airsup_sys *s) {
        unsigned n = 0;

        if (__builtin_expect(s->a->stash != NULL, 0))
                stash_run(s);

        while (n < s->budget && !s->gave_up) {
                uint32_t to_len = 0;
                /* In a stream from another group (messages this turn, no
                 * actor of ours ready), an empty lane is looked at for a
                 * few microseconds before it is armed and the loop
                 * sleeps: giving lanes up costs a membarrier() (an IPI to
                 * every CPU), and its sender then rings and wakes us.  An
                 * actor two groups away did 0.74x the group-to-group
                 * figure with ten times their membarrier() and futex
                 * calls. */
                bool spin = n > 0 && s->ready_n == 0;
                /* Under airsup_sys_run(), which sleeps at most the nap, a
                 * lane that came in bursts is given up in batch mode:
                 * without the membarrier() of a plain give-up, its sender
                 * ringing once a batch waits (an external loop on
                 * airsup_sys_fd() sleeps as long as it likes: there the
                 * lanes are armed plainly). */
                int r = s->in_run ? airsup__recv_raw_nap(s->a, &s->m_lane, s->rxbuf, s->rxsize, spin, &s->nap_ns,
                                                         &to_len)
                                  : airsup__recv_raw_spin(s->a, &s->m_lane, s->rxbuf, s->rxsize, spin, &to_len);

                if (r == -EMSGSIZE && s->m_lane.len <= SHM_MESSAGE_MAX) {
                        void *b = realloc(s->rxbuf, s->m_lane.len);
                        if (!b)
                                return n;
                        s->rxbuf = b;
                        s->rxsize = s->m_lane.len;
                        continue;
                }
                if (r == -EBADMSG)
                        continue;
                if (r == -ENOMSG) {
                        stash_run(s);   /* a DOWN came on the channel */
                        continue;
                }
                if (r < 0) {
                        /* Armed on anything else than -EAGAIN or not, the
                         * loop looks again within a nap. */
                        if (r != -EAGAIN && s->in_run)
                                s->nap_ns = SHM_NAP_NS;
                        s->lanes_busy = false;
                        /* The channel was read on the way: a DOWN may
                         * have come with it. */
                        if (s->a->stash)
                                stash_run(s);
                        return n;
                }
                if (s->m_lane.flags & AIRSUP_MSG_REPLY)
                        lane_reply(s, (size_t) r);
                else if (s->m_lane.type == AIRSUP_TYPE_MONITOR_ACTOR && to_len > 0 && to_len <= (uint32_t) r)
                        act__watch_add(s, &s->m_lane, act__find_name(s, s->rxbuf, to_len),
                                       (const uint8_t *) s->rxbuf + to_len, (size_t) r - to_len);
                else if (s->m_lane.type >= AIRSUP_TYPE_RESERVED) {
                        /* A DOWN for one of our actor monitors is kept,
                         * and given from the stash like airsupd's. */
                        airsup__lane_reserved(s->a, &s->m_lane, s->rxbuf, (size_t) r, to_len);
                        stash_run(s);
                } else if (s->m_lane.flags & AIRSUP_MSG_PUBLISH)
                        lane_publish(s, (size_t) r, to_len);
                else
                        lane_deliver(s, (size_t) r, to_len);
                (void) airsup_commit(s->a, &s->m_lane);
                n++;
        }
        s->lanes_busy = true;
        return n;
}

/* An ask's timeout: unless its reply came first, the asking actor is
 * told AIRSUP_TYPE_TIMEOUT with the ask's correlation id. */
static void ask_timed_out(airsup_sys *s, const void *data) {
        airsup_msg m = { .type = AIRSUP_TYPE_TIMEOUT };
        uint64_t corr;
        act_ask ask;
        uint32_t i;

        memcpy(&corr, data, sizeof(corr));
        if (!act__ask_take(s, corr, NULL, &ask))
                return;
        i = act_slot(s, ask.ref);
        if (i == ACT_NONE || act_at(s, i)->kind != ACT_K_ACTOR)
                return;
        m.correlation = corr;
        queue_copy(s, i, &m, AIRSUP_TYPE_TIMEOUT, NULL, 0, false);
}

/* What the timers due at NOW say: a message, or a restart after a
 * backoff; at most 1024 a turn. */
static void run_timers(airsup_sys *s, uint64_t now) {
        act_fire f;

        for (unsigned n = 0; n < 1024 && act__timer_next(s, now, &f) > 0; n++) {
                uint32_t i = act_slot(s, f.to);

                if (i == ACT_NONE)
                        continue;
                if (f.kind == ACT_TIMER_RESTART)
                        act__backoff_done(s, i);
                else if (f.kind == ACT_TIMER_ASK)
                        ask_timed_out(s, f.data);
                else if (act_at(s, i)->kind == ACT_K_ACTOR)
                        (void) airsup_tell(s, f.to, f.type, f.data, f.len);
        }
        act__timers_rearm(s);
}

EXPORT int airsup_sys_fd(const airsup_sys *s) {
        return s ? s->epfd : -EINVAL;
}

EXPORT int airsup_sys_process(airsup_sys *s) {
        uint64_t now;
        uint32_t n;
        bool looked;

        if (!s)
                return -EINVAL;
        if (s->in_process)
                return -EBUSY;          /* from a handler: the loop is already running */
        if (s->gave_up || s->quit)
                return -ECANCELED;
        s->in_process = true;
        if (s->local_signalled) {
                uint64_t v;
                (void) read(s->local_fd, &v, sizeof(v));
                s->local_signalled = false;
        }
        now = act__now();
        if (s->heap_n > 0)
                run_timers(s, now);
        if (s->a && !s->rxbuf) {
                s->rxbuf = malloc(RX_FIRST);
                s->rxsize = s->rxbuf ? RX_FIRST : 0;
        }
        /* The lanes are looked at when they had more, and every 16 turns
         * under local load (a look that finds nothing costs a system call
         * on the channel). */
        looked = s->rxbuf && (s->lanes_busy || s->ready_n == 0 || s->rounds % 16 == 0);
        if (looked)
                (void) lanes_run(s);
        s->rounds++;
        /* One turn: each actor that was ready when it began. */
        n = s->ready_n;
        while (n-- > 0 && s->ready_n > 0 && !s->gave_up && !s->quit) {
                airsup_ref ref = s->ready[s->ready_head];
                uint32_t i = act_slot(s, ref);

                s->ready_head = (s->ready_head + 1) & (s->ready_cap - 1);
                s->ready_n--;
                if (i == ACT_NONE)
                        continue;
                act_at(s, i)->flags &= ~ACT_F_READY;
                if (act_at(s, i)->run != ACT_R_RUNNING)
                        continue;
                if (__builtin_expect(act_at(s, i)->debt > 0, 0)) {
                        /* It sits this turn out, paying a budget's worth. */
                        act_at(s, i)->debt = act_at(s, i)->debt > s->budget ? act_at(s, i)->debt - s->budget : 0;
                        act__wake(s, i);
                        continue;
                }
                run_actor(s, i);
                if (act_slot(s, ref) == i)
                        act__wake(s, i);
        }
        /* Idle only after a look at the lanes, which arms their wake-up. */
        if (s->ready_n == 0 && !looked && s->rxbuf && !s->gave_up && !s->quit)
                (void) lanes_run(s);
        s->in_process = false;
        if (s->gave_up || s->quit)
                return -ECANCELED;
        if (s->ready_n > 0 || s->lanes_busy) {
                act__pub_refresh(s, false);
                return 1;
        }
        /* Going idle: what airsupd shows is brought up to date now, not
         * at the next message, which may never come. */
        act__pub_refresh(s, s->processed != s->pub.processed_seen);
        act__events_flush(s);
        return 0;
}

EXPORT int airsup_sys_run(airsup_sys *s) {
        if (!s)
                return -EINVAL;
        for (;;) {
                struct pollfd p = { .fd = s->epfd, .events = POLLIN };
                int r, ms = -1;

                s->in_run = true;
                s->nap_ns = UINT64_MAX;
                r = airsup_sys_process(s);
                s->in_run = false;
                if (r == -ECANCELED)
                        return s->gave_up ? -ECANCELED : 0;
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                /* Lanes napping (lanes_run()): looked at again after
                 * their nap, rounded up to a millisecond. */
                if (s->nap_ns != UINT64_MAX)
                        ms = (int) ((s->nap_ns + 999999) / 1000000);
                /* With lanes, at most 100 ms: a sender that wrote over
                 * the bell may have wiped another's ring, and the next
                 * turn looks at every lane (shm_mailbox_sweep()).  A
                 * process nobody ever sent to sleeps on. */
                if (s->rxbuf && s->a && shm_mailbox_has_lanes(s->a->mb) && (ms < 0 || ms > 100))
                        ms = 100;
                if (poll(&p, 1, ms) < 0 && errno != EINTR)
                        return -errno;
        }
}

EXPORT void airsup_sys_quit(airsup_sys *s) {
        if (s)
                s->quit = true;
}
