/* actor-ask.c - what an actor asks of other groups and of airsupd:
 * registered names (airsup_sys_register()), and requests (airsup_ask(),
 * actors.h): the table of asks waiting for their reply, by correlation
 * id, each with its asking actor, its timeout's timer and the instance
 * asked.  The loop (actor-loop.c) takes an ask off the table when its
 * reply comes or its timer fires, whichever is first: so the actor gets
 * one or the other, never both.  A reply is taken only from the instance
 * that was asked; the reply_to a server echoes is not believed.  An ask
 * to a monitored destination (airsup_dest_monitor()) also ends at the
 * DOWN of the monitor it was sent under (the loop hands each DOWN to
 * act__asks_down()), with the timeout's message saying -ECONNRESET, or
 * -ESRCH if the instance was not up when the ask was made. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "child/actors.h"
#include "child/lib.h"

#define EXPORT __attribute__((visibility("default")))
#define ASKS_MAX (UINT32_C(1) << 20)    /* asks waiting at once, per process */

static uint32_t slot_of(uint64_t c, uint32_t cap) {
        c ^= c >> 33;
        c *= UINT64_C(0xff51afd7ed558ccd);
        c ^= c >> 33;
        return (uint32_t) c & (cap - 1);
}

static int asks_grow(airsup_sys *s) {
        uint32_t cap = s->asks_cap ? s->asks_cap * 2 : 64;
        act_ask *old = s->asks, *n;

        if (s->asks_n + 1 <= s->asks_cap / 2)
                return 0;
        n = calloc(cap, sizeof(*n));
        if (!n)
                return -ENOMEM;
        for (uint32_t k = 0; k < s->asks_cap; k++) {
                uint32_t j;
                if (old[k].correlation == 0)
                        continue;
                for (j = slot_of(old[k].correlation, cap); n[j].correlation != 0; j = (j + 1) & (cap - 1))
                        ;
                n[j] = old[k];
        }
        free(old);
        s->asks = n;
        s->asks_cap = cap;
        return 0;
}

int act__ask_put(airsup_sys *s, const act_ask *ask) {
        uint32_t j;
        int r = asks_grow(s);

        if (r < 0)
                return r;
        for (j = slot_of(ask->correlation, s->asks_cap); s->asks[j].correlation != 0; j = (j + 1) & (s->asks_cap - 1))
                ;
        s->asks[j] = *ask;
        s->asks_n++;
        return 0;
}

int act__ask_take(airsup_sys *s, uint64_t correlation, const char *peer, act_ask *ret) {
        uint32_t j, k;

        if (s->asks_cap == 0 || correlation == 0)
                return 0;
        for (j = slot_of(correlation, s->asks_cap); s->asks[j].correlation != correlation; j = (j + 1) & (s->asks_cap - 1))
                if (s->asks[j].correlation == 0)
                        return 0;
        /* A reply from another instance than the one asked is not it. */
        /* An ask to a subject ("" its peer): whoever answers. */
        if (peer && s->asks[j].peer[0] && strcmp(s->asks[j].peer, peer) != 0)
                return 0;
        *ret = s->asks[j];
        /* Backward shift: no tombstones to slow later looks. */
        for (k = (j + 1) & (s->asks_cap - 1); s->asks[k].correlation != 0; k = (k + 1) & (s->asks_cap - 1)) {
                uint32_t home = slot_of(s->asks[k].correlation, s->asks_cap);
                if (((k - home) & (s->asks_cap - 1)) >= ((k - j) & (s->asks_cap - 1))) {
                        s->asks[j] = s->asks[k];
                        j = k;
                }
        }
        s->asks[j].correlation = 0;
        s->asks_n--;
        return 1;
}

int act__mon_take(airsup_sys *s, uint64_t mref, airsup_ref *ret_actor) {
        for (uint32_t k = 0; k < s->mons_n; k++)
                if (s->mons[k].mref == mref) {
                        *ret_actor = s->mons[k].actor;
                        s->mons[k] = s->mons[--s->mons_n];
                        return 1;
                }
        return 0;
}

EXPORT int airsup_sys_subscribe(airsup_sys *s, airsup_ref r, const char *pattern) {
        struct act_sub *n;
        bool known = false;
        uint32_t id;
        int k;

        if (!s || !s->a || !pattern || !subject_valid(pattern, true) || act_slot(s, r) == ACT_NONE ||
            act_at(s, act_slot(s, r))->kind != ACT_K_ACTOR)
                return -EINVAL;
        for (id = 0; id < s->subs_n; id++)
                if (s->subs[id].pattern && strcmp(s->subs[id].pattern, pattern) == 0) {
                        if (s->subs[id].actor == r)
                                return 0;
                        known = true;
                }
        /* airsupd knows the process by its patterns, once each. */
        if (!known) {
                k = airsup_subscribe(s->a, pattern, 0);
                if (k < 0)
                        return k;
        }
        for (id = 0; id < s->subs_n && s->subs[id].pattern; id++)
                ;
        if (id == s->subs_n) {
                n = reallocarray(s->subs, s->subs_n + 1, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                s->subs = n;
                s->subs[s->subs_n++] = (struct act_sub) {};
        }
        s->subs[id].pattern = strdup(pattern);
        if (!s->subs[id].pattern)
                return -ENOMEM;
        k = subject_index_add(&s->sub_idx, pattern, id);
        if (k < 0) {
                free(s->subs[id].pattern);
                s->subs[id].pattern = NULL;
                return k;
        }
        s->subs[id].actor = r;
        return 0;
}

typedef struct subs_walk {
        airsup_sys *s;
        void (*fn)(airsup_sys *s, uint32_t i, void *u);
        void *u;
} subs_walk;

static void sub_hit(uint32_t id, void *userdata) {
        subs_walk *w = userdata;
        uint32_t i;

        if (id >= w->s->subs_n || !w->s->subs[id].pattern)
                return;
        i = act_slot(w->s, w->s->subs[id].actor);
        if (i != ACT_NONE)
                w->fn(w->s, i, w->u);
}

void act__subs_foreach(airsup_sys *s, const char *subject, void (*fn)(airsup_sys *s, uint32_t i, void *u), void *u) {
        subs_walk w = { s, fn, u };

        (void) subject_index_foreach(&s->sub_idx, subject, sub_hit, &w);
}

void act__subs_free(airsup_sys *s) {
        for (uint32_t k = 0; k < s->subs_n; k++)
                free(s->subs[k].pattern);
        free(s->subs);
        s->subs = NULL;
        s->subs_n = 0;
        subject_index_done(&s->sub_idx);
}

EXPORT int airsup_sys_monitor(airsup_sys *s, const char *name, uint64_t *ret_ref) {
        uint64_t mref;
        int r;

        if (!s || !s->a || s->current == ACT_NONE)
                return -EINVAL;
        if (s->mons_n == s->mons_cap) {
                uint32_t cap = s->mons_cap ? s->mons_cap * 2 : 8;
                struct act_mon *n = reallocarray(s->mons, cap, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                s->mons = n;
                s->mons_cap = cap;
        }
        r = airsup_monitor(s->a, name, &mref);
        if (r < 0)
                return r;
        s->mons[s->mons_n++] = (struct act_mon) { mref, act_ref(s, s->current) };
        if (ret_ref)
                *ret_ref = mref;
        return 0;
}

void act__asks_down(airsup_sys *s, uint64_t mref, uint32_t code) {
        const int32_t error = airsup__down_error(code);

        /* A scan of the table, but only at a DOWN, which is rare; a take
         * shifts later asks back into slot K, so K is looked at again. */
        for (uint32_t k = 0; s->asks_n > 0 && k < s->asks_cap;) {
                act_ask ask;
                act_msg *m;
                uint32_t i;

                if (s->asks[k].correlation == 0 || s->asks[k].mon != mref) {
                        k++;
                        continue;
                }
                if (!act__ask_take(s, s->asks[k].correlation, NULL, &ask))
                        break;          /* cannot be: it is in the table */
                (void) act__timer_cancel(s, ask.timer);
                i = act_slot(s, ask.ref);
                if (i == ACT_NONE || act_at(s, i)->kind != ACT_K_ACTOR)
                        continue;       /* its actor ended */
                m = act__msg_new(s, sizeof(error));
                if (!m) {
                        s->dead_letters++;
                        continue;
                }
                /* As a timeout's (actor-loop.c), with the error. */
                m->from = 0;
                m->correlation = ask.correlation;
                m->flags = 0;
                m->type = AIRSUP_TYPE_TIMEOUT;
                m->len = sizeof(error);
                memcpy(ACT_MSG_PAYLOAD(m), &error, sizeof(error));
                act__enqueue(s, i, m, false);
        }
}

void act__asks_free(airsup_sys *s) {
        free(s->mons);
        s->mons = NULL;
        s->mons_n = s->mons_cap = 0;
        free(s->asks);
        s->asks = NULL;
        s->asks_cap = s->asks_n = 0;
}

EXPORT int airsup_sys_register(airsup_sys *s, airsup_ref r, const char *name) {
        uint32_t i;

        if (!s || !s->a)
                return -EINVAL;
        i = act_slot(s, r);
        if (i == ACT_NONE)
                return -ESRCH;
        if (act_at(s, i)->kind != ACT_K_ACTOR || !act_at(s, i)->name)
                return -EINVAL;
        return airsup__register(s->a, CHAN_REGISTER, name, act_at(s, i)->name);
}

EXPORT airsup *airsup_sys_airsup(const airsup_sys *s) {
        return s ? s->a : NULL;
}

EXPORT int airsup_ask(airsup_sys *s, airsup_dest *d, uint32_t type, const void *data, size_t len, uint64_t timeout_ns,
                      uint64_t *ret_correlation) {
        airsup_send_opts o = { .full = AIRSUP_FAIL };
        act_ask ask = {};
        bool monitored;
        int r;

        if (!s || !s->a || !d || d->a != s->a || s->current == ACT_NONE || (len > 0 && !data))
                return -EINVAL;
        if (s->asks_n >= ASKS_MAX)
                return -ENOSPC;
        monitored = d->monitored;
        d = airsup__pick(d, NULL);
        if (__builtin_expect(monitored, 0)) {
                r = airsup__dest_watch(s->a, d, &ask.mon);
                if (r < 0)
                        return r;
        }
        r = asks_grow(s);
        if (r < 0)
                return r;
        ask.correlation = airsup__correlation(s->a);
        ask.ref = act_ref(s, s->current);
        memcpy(ask.peer, d->peer, sizeof(ask.peer));
        o.correlation = ask.correlation;
        o.reply_to = ask.ref;
        if (d->subject) {
                /* To a subject: nobody subscribed, nobody will answer. */
                r = airsup_publish(s->a, d->subject, type, data, len, &o);
                if (r == 0)
                        return -ENOENT;
        } else
                r = airsup_send(d, type, data, len, &o);
        if (r < 0)
                return r;
        r = act__timer_add(s, ask.ref, timeout_ns, 0, AIRSUP_TYPE_TIMEOUT, &ask.correlation, sizeof(ask.correlation),
                           ACT_TIMER_ASK, &ask.timer);
        if (r < 0)
                return r;       /* sent, but with no timeout its reply would be late: say so */
        (void) act__ask_put(s, &ask);   /* room was made before the send */
        if (ret_correlation)
                *ret_correlation = ask.correlation;
        return 0;
}
