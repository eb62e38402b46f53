/* actor-mbox.c - the actors' mailboxes and the ready ring (actors.h).
 *
 * A mailbox is a FIFO of act_msg nodes, carved from per-size-class free
 * lists (64 bytes to 8 KiB; larger ones are malloc'd): a message costs
 * no system call and, in the steady state, no malloc.  Actors with
 * messages wait their turn in the ready ring: refs, so an actor that
 * ended while queued is skipped, and its slot's next tenant is not
 * mistaken for it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child/actors.h"

#define CLS_N     8                     /* 64 << 0 .. 64 << 7 = 8 KiB */
#define CLS_BIG   CLS_N
#define MSG_BLOCK (64u << 10)           /* bytes carved at a time */

static uint32_t size_class(size_t total) {
        uint32_t c = 0;

        while (c < CLS_N && (UINT64_C(64) << c) < total)
                c++;
        return c;
}

static int refill(airsup_sys *s, uint32_t c) {
        size_t size = UINT64_C(64) << c;
        void **blocks;
        uint8_t *b;

        blocks = reallocarray(s->chunks_msg, s->n_chunks_msg + 1, sizeof(*blocks));
        if (!blocks)
                return -ENOMEM;
        s->chunks_msg = blocks;
        b = malloc(MSG_BLOCK);
        if (!b)
                return -ENOMEM;
        s->chunks_msg[s->n_chunks_msg++] = b;
        for (size_t off = MSG_BLOCK; off >= size; off -= size) {
                act_msg *m = (act_msg *) (void *) (b + off - size);
                m->cls = c;
                m->next = s->msg_free[c];
                s->msg_free[c] = m;
        }
        return 0;
}

act_msg *act__msg_new(airsup_sys *s, size_t len) {
        uint32_t c = size_class(sizeof(act_msg) + len);
        act_msg *m;

        if (c == CLS_BIG) {
                m = malloc(sizeof(act_msg) + len);
                if (m)
                        m->cls = CLS_BIG;
                return m;
        }
        if (!s->msg_free[c] && refill(s, c) < 0)
                return NULL;
        m = s->msg_free[c];
        s->msg_free[c] = m->next;
        return m;
}

void act__msg_free(airsup_sys *s, act_msg *m) {
        if (m->cls == CLS_BIG) {
                free(m);
                return;
        }
        m->next = s->msg_free[m->cls];
        s->msg_free[m->cls] = m;
}

void act__msgs_free(airsup_sys *s) {
        for (size_t k = 0; k < s->n_chunks_msg; k++)
                free(s->chunks_msg[k]);
        free(s->chunks_msg);
        s->chunks_msg = NULL;
        s->n_chunks_msg = 0;
        memset(s->msg_free, 0, sizeof(s->msg_free));
        if (s->reserved && s->reserved->cls == CLS_BIG)
                free(s->reserved);
        s->reserved = NULL;
}

static int ready_push(airsup_sys *s, uint32_t i) {
        if (s->ready_n == s->ready_cap) {
                uint32_t cap = s->ready_cap ? s->ready_cap * 2 : 256;
                airsup_ref *n = malloc(cap * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                for (uint32_t k = 0; k < s->ready_n; k++)
                        n[k] = s->ready[(s->ready_head + k) & (s->ready_cap - 1)];
                free(s->ready);
                s->ready = n;
                s->ready_cap = cap;
                s->ready_head = 0;
        }
        s->ready[(s->ready_head + s->ready_n++) & (s->ready_cap - 1)] = act_ref(s, i);
        act_at(s, i)->flags |= ACT_F_READY;
        /* A program's own loop learns of work that came from outside a
         * turn (a tell from its own callback) through the fd. */
        if (!s->in_process && !s->local_signalled) {
                uint64_t one = 1;
                s->local_signalled = write(s->local_fd, &one, sizeof(one)) == sizeof(one);
        }
        return 0;
}

void act__wake(airsup_sys *s, uint32_t i) {
        act *a = act_at(s, i);

        if (a->head && a->run == ACT_R_RUNNING && !(a->flags & ACT_F_READY))
                (void) ready_push(s, i);
}

void act__enqueue(airsup_sys *s, uint32_t i, act_msg *m, bool front) {
        act *a = act_at(s, i);

        if (front) {
                m->next = a->head;
                a->head = m;
                if (!a->tail)
                        a->tail = m;
        } else {
                m->next = NULL;
                if (a->tail)
                        a->tail->next = m;
                else
                        a->head = m;
                a->tail = m;
        }
        a->depth++;
        s->queued++;
        if (a->run == ACT_R_RUNNING && !(a->flags & ACT_F_READY))
                (void) ready_push(s, i);
}

void act__drop_mailbox(airsup_sys *s, uint32_t i) {
        act *a = act_at(s, i);

        /* What was left for an actor that ended for good is dead. */
        while (a->head) {
                act_msg *m = a->head;
                a->head = m->next;
                act__msg_free(s, m);
                s->queued--;
                s->dead_letters++;
        }
        a->tail = NULL;
        a->depth = 0;
}
