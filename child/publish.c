/* publish.c - publish/subscribe (airsup.h, airsup(3) PUBLISH AND
 * SUBSCRIBE).
 *
 * A publish goes from the publisher straight into each subscriber's
 * lane; airsupd only answers which instances a subject reaches.  The
 * publisher keeps that answer per subject (a topic) with the interest
 * generation it was given at, and asks again only when the generation
 * word on airsupd's page has moved: one load per publish, no system call.
 * A queue group (a pool that did not say subscribe_all) is a destination
 * that picks one instance per message, in turn.
 *
 * A published message carries its subject before its payload (to_len,
 * with the publish flag in the envelope's sender word); the receiver
 * takes it off into m->subject. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "child/lib.h"
#include "common/fds.h"
#include "common/subject.h"

#define EXPORT __attribute__((visibility("default")))
#define ASK_TIMEOUT_NS (UINT64_C(5) * 1000000000)
#define TOPICS_MAX 4096                 /* subjects a process keeps answers for */

typedef struct airsup_topic {
        struct airsup_topic *next;
        uint64_t gen;
        bool known;                     /* asked at least once */
        airsup_dest **targets;          /* instances, and queue groups (owned) */
        bool *owned;
        uint32_t n;
        uint32_t len;                   /* of subject */
        char subject[CHAN_SUBJECT_MAX];
} airsup_topic;

static void topic_clear(airsup_topic *t) {
        for (uint32_t i = 0; i < t->n; i++)
                if (t->owned[i]) {
                        free(t->targets[i]->members);
                        free(t->targets[i]);
                }
        free(t->targets);
        free(t->owned);
        t->targets = NULL;
        t->owned = NULL;
        t->n = 0;
}

void airsup__topics_free(airsup *a) {
        while (a->topics) {
                airsup_topic *t = a->topics;
                a->topics = t->next;
                topic_clear(t);
                free(t);
        }
}

static int subscribe(airsup *a, const char *pattern, uint32_t flags) {
        chan_record q;

        if (!a || !pattern || !subject_valid(pattern, true))
                return -EINVAL;
        chan_init(&q, CHAN_SUBSCRIBE);
        q.sub.flags = flags;
        memcpy(q.sub.pattern, pattern, strlen(pattern));
        return airsup__call(a, &q);
}

EXPORT int airsup_subscribe(airsup *a, const char *pattern, int flags) {
        if (flags & ~AIRSUP_SUBSCRIBE_ALL)
                return -EINVAL;
        return subscribe(a, pattern, flags & AIRSUP_SUBSCRIBE_ALL ? CHAN_SUBSCRIBE_ALL : 0);
}

EXPORT int airsup_unsubscribe(airsup *a, const char *pattern) {
        return subscribe(a, pattern, CHAN_SUBSCRIBE_UNSUBSCRIBE);
}

/* The targets' names (and pool sizes) airsupd gives for T, at GEN. */
static int topic_ask(airsup *a, airsup_topic *t, uint64_t gen) {
        struct { char name[CHAN_NAME_MAX]; uint32_t n; } *got = NULL;
        size_t n_got = 0, cap = 0;
        uint64_t deadline = shm_deadline(ASK_TIMEOUT_NS);
        chan_record q;
        uint32_t req = 0;
        int r;

        chan_init(&q, CHAN_INTEREST);
        memcpy(q.sub.pattern, t->subject, strlen(t->subject));
        req = q.sub.req = ++a->next_req;
        r = fds_send(a->chan, &q, q.h.len, NULL, 0);
        while (r >= 0) {
                chan_record rec;
                int fds[4];
                size_t n_fds = 0;

                r = airsup__read_record(a, deadline, &rec, fds, &n_fds);
                if (r < 0)
                        break;
                if (rec.h.type == CHAN_ERROR && rec.error.req == req) {
                        r = rec.error.error;
                        break;
                }
                if (rec.h.type == CHAN_DONE && rec.done.req == req)
                        break;
                if (rec.h.type != CHAN_TARGET || rec.target.req != req) {
                        airsup__handle(a, &rec, fds, n_fds);
                        continue;
                }
                if (n_got == cap) {
                        size_t nc = cap ? cap * 2 : 8;
                        void *g = reallocarray(got, nc, sizeof(*got));
                        if (!g) {
                                r = -ENOMEM;
                                break;
                        }
                        got = g;
                        cap = nc;
                }
                memcpy(got[n_got].name, rec.target.name, CHAN_NAME_MAX);
                got[n_got++].n = rec.target.n;
        }
        /* A queue group's turn goes on where it was, across a new
         * answer: no instance gets two turns in a row for it. */
        uint32_t *turns = n_got ? calloc(n_got, sizeof(*turns)) : NULL;
        for (size_t k = 0; r >= 0 && turns && k < n_got; k++)
                for (uint32_t i = 0; i < t->n; i++)
                        if (t->owned[i] && strcmp(t->targets[i]->peer, got[k].name) == 0)
                                turns[k] = t->targets[i]->rr;
        if (r >= 0) {
                topic_clear(t);
                t->targets = calloc(n_got ? n_got : 1, sizeof(*t->targets));
                t->owned = calloc(n_got ? n_got : 1, sizeof(*t->owned));
                if (!t->targets || !t->owned)
                        r = -ENOMEM;
        }
        for (size_t k = 0; r >= 0 && k < n_got; k++) {
                airsup_dest *d;
                if (got[k].n == 0)
                        r = airsup__lookup_group(a, got[k].name, ASK_TIMEOUT_NS, &d);
                else
                        r = airsup__pool_new(a, got[k].name, got[k].n, CHAN_ROUTE_ROUND_ROBIN, ASK_TIMEOUT_NS, &d);
                if (r >= 0) {
                        if (got[k].n != 0 && turns)
                                d->rr = turns[k];
                        t->owned[t->n] = got[k].n != 0;
                        t->targets[t->n++] = d;
                }
        }
        free(turns);
        free(got);
        if (r < 0)
                return r;
        t->gen = gen;
        t->known = true;
        return 0;
}

/* The answer kept for SUBJECT, or NULL.  A subject found here was
 * checked when its topic was made (topic_new()): equal bytes need no
 * second look. */
static airsup_topic *topic_find(airsup *a, const char *subject) {
        for (airsup_topic *t = a->topics; t; t = t->next)
                if (strcmp(t->subject, subject) == 0)
                        return t;
        return NULL;
}

/* A topic for SUBJECT (valid, of LEN bytes), not yet asked. */
static airsup_topic *topic_new(airsup *a, const char *subject, uint32_t len) {
        airsup_topic *t;
        size_t n = 0;

        for (t = a->topics; t; t = t->next)
                n++;
        if (n >= TOPICS_MAX) {
                /* Forget the oldest answers; they are asked again. */
                airsup_topic **pp = &a->topics;
                while ((*pp)->next)
                        pp = &(*pp)->next;
                topic_clear(*pp);
                free(*pp);
                *pp = NULL;
        }
        t = calloc(1, sizeof(*t));
        if (!t)
                return NULL;
        memcpy(t->subject, subject, len);
        t->len = len;
        t->next = a->topics;
        a->topics = t;
        a->topics_free = airsup__topics_free;
        return t;
}

EXPORT int airsup_publish(airsup *a, const char *subject, uint32_t type, const void *data, size_t len,
                          const airsup_send_opts *opts) {
        uint32_t slen, reached = 0;
        airsup_topic *t;
        uint64_t gen;
        int first = 0;

        if (!a || !subject || (len > 0 && !data))
                return -EINVAL;
        t = topic_find(a, subject);
        if (!t) {
                if (!subject_valid(subject, false))
                        return -EINVAL;
                t = topic_new(a, subject, (uint32_t) strlen(subject));
                if (!t)
                        return -ENOMEM;
        }
        slen = t->len;
        if (len > SHM_MESSAGE_MAX - slen)
                return -EMSGSIZE;
        gen = a->gen ? __atomic_load_n(a->gen, __ATOMIC_ACQUIRE) : 0;
        if (!t->known || !a->gen || gen != t->gen) {
                int r = topic_ask(a, t, gen);
                if (r < 0)
                        return r;
        }
        for (uint32_t i = 0; i < t->n; i++) {
                airsup_dest *d = airsup__pick(t->targets[i], opts);
                int r = airsup__send_prefixed(d, type, subject, slen, AIRSUP_ENV_PUBLISH, data, len, opts);

                if (r >= 0)
                        reached++;
                else if (first == 0)
                        first = r;
        }
        /* Reached some: how many; none and an error: the error. */
        return reached > 0 || first == 0 ? (int) reached : first;
}

/* airsup_send() to a subject destination: a publish, 0 even if nobody
 * subscribes. */
static int subject_send(airsup_dest *d, uint32_t type, const void *payload, size_t len, const airsup_send_opts *opts) {
        int r = airsup_publish(d->a, d->subject, type, payload, len, opts);

        return r < 0 ? r : 0;
}

EXPORT int airsup_lookup_subject(airsup *a, const char *subject, airsup_dest **ret) {
        airsup_dest *d;

        if (!a || !subject || !ret || !subject_valid(subject, false))
                return -EINVAL;
        for (d = a->dests; d; d = d->next)
                if (d->subject && strcmp(d->subject, subject) == 0) {
                        *ret = d;
                        return 0;
                }
        d = calloc(1, sizeof(*d));
        if (!d || !(d->subject = strdup(subject))) {
                free(d);
                return -ENOMEM;
        }
        d->a = a;
        d->space_fd = -EBADF;
        d->publish = subject_send;
        /* No name: no lookup of a group or a name finds it. */
        d->next = a->dests;
        a->dests = d;
        *ret = d;
        return 0;
}
