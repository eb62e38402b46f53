/* actor-timer.c - send_after and the backoff of restarts (actors.h): a
 * binary heap of timers by due time, and one timerfd for the whole
 * process set to the earliest.  A timer's id is its slot and generation,
 * so cancelling one that already fired (or was cancelled) is -ENOENT,
 * never another timer.  The loop takes the due ones (act__timer_next())
 * and does what they say; a timer for an actor that ended is dropped
 * then. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "child/actors.h"

#define EXPORT __attribute__((visibility("default")))
#define TIMERS_MAX (UINT32_C(1) << 24)  /* timers alive at once, at most */

int act__timers_init(airsup_sys *s) {
        s->timers_free = ACT_NONE;
        s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        return s->timer_fd < 0 ? -errno : 0;
}

void act__timers_free(airsup_sys *s) {
        free(s->fire_data);
        s->fire_data = NULL;
        for (uint32_t k = 0; k < s->n_timers; k++)
                free(s->timers[k].data);
        free(s->timers);
        free(s->heap);
        s->timers = NULL;
        s->heap = NULL;
        s->n_timers = s->heap_n = 0;
        if (s->timer_fd >= 0)
                (void) close(s->timer_fd);
        s->timer_fd = -EBADF;
}

static bool before(const airsup_sys *s, uint32_t a, uint32_t b) {
        return s->timers[s->heap[a]].due_ns < s->timers[s->heap[b]].due_ns;
}

static void heap_swap(airsup_sys *s, uint32_t a, uint32_t b) {
        uint32_t t = s->heap[a];

        s->heap[a] = s->heap[b];
        s->heap[b] = t;
        s->timers[s->heap[a]].heap = a;
        s->timers[s->heap[b]].heap = b;
}

static void sift_up(airsup_sys *s, uint32_t k) {
        while (k > 0 && before(s, k, (k - 1) / 2)) {
                heap_swap(s, k, (k - 1) / 2);
                k = (k - 1) / 2;
        }
}

static void sift_down(airsup_sys *s, uint32_t k) {
        for (;;) {
                uint32_t l = 2 * k + 1, r = l + 1, m = k;
                if (l < s->heap_n && before(s, l, m))
                        m = l;
                if (r < s->heap_n && before(s, r, m))
                        m = r;
                if (m == k)
                        return;
                heap_swap(s, k, m);
                k = m;
        }
}

static void heap_remove(airsup_sys *s, uint32_t k) {
        uint32_t last = --s->heap_n;

        s->timers[s->heap[k]].heap = ACT_NONE;
        if (k == last)
                return;
        s->heap[k] = s->heap[last];
        s->timers[s->heap[k]].heap = k;
        sift_down(s, k);
        sift_up(s, k);
}

/* The timerfd at the earliest due time; set only when that changed. */
static void arm(airsup_sys *s) {
        uint64_t due = s->heap_n ? s->timers[s->heap[0]].due_ns : 0;
        struct itimerspec its = {};

        if (due == s->armed_ns)
                return;
        s->armed_ns = due;
        its.it_value.tv_sec = (time_t) (due / 1000000000);
        its.it_value.tv_nsec = (long) (due % 1000000000);
        (void) timerfd_settime(s->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void timer_release(airsup_sys *s, uint32_t k) {
        act_timer *t = &s->timers[k];

        free(t->data);
        t->data = NULL;
        t->gen++;
        t->heap = ACT_NONE;
        t->to = s->timers_free;         /* the free list runs through to */
        s->timers_free = k;
}

int act__timer_add(airsup_sys *s, airsup_ref to, uint64_t delay_ns, uint64_t period_ns, uint32_t type,
                   const void *data, size_t len, int kind, uint64_t *ret_id) {
        uint32_t k;
        act_timer *t;
        void *copy = NULL;

        if (len > 0) {
                copy = malloc(len);
                if (!copy)
                        return -ENOMEM;
                memcpy(copy, data, len);
        }
        if (s->timers_free == ACT_NONE) {
                uint32_t n = s->n_timers ? s->n_timers * 2 : 16;
                act_timer *nt;
                uint32_t *nh;

                if (s->n_timers >= TIMERS_MAX) {
                        free(copy);
                        return -ENOSPC;
                }
                nt = reallocarray(s->timers, n, sizeof(*nt));
                if (!nt) {
                        free(copy);
                        return -ENOMEM;
                }
                s->timers = nt;
                nh = reallocarray(s->heap, n, sizeof(*nh));
                if (!nh) {
                        free(copy);
                        return -ENOMEM;
                }
                s->heap = nh;
                for (uint32_t i = n; i-- > s->n_timers;) {
                        s->timers[i] = (act_timer) { .gen = 1, .heap = ACT_NONE, .to = s->timers_free };
                        s->timers_free = i;
                }
                s->n_timers = n;
        }
        k = s->timers_free;
        t = &s->timers[k];
        s->timers_free = (uint32_t) t->to;
        t->due_ns = act__now() + delay_ns;
        t->period_ns = period_ns;
        t->to = to;
        t->type = type;
        t->len = (uint32_t) len;
        t->data = copy;
        t->kind = (uint8_t) kind;
        t->heap = s->heap_n;
        s->heap[s->heap_n++] = k;
        sift_up(s, t->heap);
        arm(s);
        if (ret_id)
                *ret_id = (uint64_t) t->gen << 32 | (k + 1);
        return 0;
}

EXPORT int airsup_send_after(airsup_sys *s, airsup_ref to, uint64_t delay_ns, uint64_t period_ns, uint32_t type,
                             const void *data, size_t len, uint64_t *ret_timer) {
        uint32_t i;

        if (!s || (len > 0 && !data))
                return -EINVAL;
        if (len > AIRSUP_ACTOR_MESSAGE_MAX)
                return -EMSGSIZE;
        i = act_slot(s, to);
        if (i == ACT_NONE)
                return -ESRCH;
        if (act_at(s, i)->kind != ACT_K_ACTOR)
                return -EINVAL;
        return act__timer_add(s, to, delay_ns, period_ns, type, data, len, ACT_TIMER_TELL, ret_timer);
}

EXPORT int airsup_cancel(airsup_sys *s, uint64_t timer) {
        uint32_t k = (uint32_t) timer - 1;

        if (!s || (uint32_t) timer == 0)
                return -EINVAL;
        /* An ask's timeout is the ask's, not the program's to cancel. */
        if (k < s->n_timers && s->timers[k].kind != ACT_TIMER_TELL)
                return -ENOENT;
        return act__timer_cancel(s, timer);
}

int act__timer_cancel(airsup_sys *s, uint64_t timer) {
        uint32_t k = (uint32_t) timer - 1;

        if ((uint32_t) timer == 0)
                return -ENOENT;
        if (k >= s->n_timers || s->timers[k].gen != (uint32_t) (timer >> 32) || s->timers[k].heap == ACT_NONE)
                return -ENOENT;
        heap_remove(s, s->timers[k].heap);
        timer_release(s, k);
        arm(s);
        return 0;
}

int act__timer_next(airsup_sys *s, uint64_t now, act_fire *ret) {
        uint32_t k;
        act_timer *t;

        /* What the last one gave is the caller's no longer. */
        free(s->fire_data);
        s->fire_data = NULL;
        if (s->heap_n == 0 || s->timers[s->heap[0]].due_ns > now)
                return 0;
        if (s->armed_ns != UINT64_MAX) {
                uint64_t v;
                (void) read(s->timer_fd, &v, sizeof(v));
                s->armed_ns = UINT64_MAX;       /* it fired: set it again */
        }
        k = s->heap[0];
        t = &s->timers[k];
        *ret = (act_fire) { .to = t->to, .type = t->type, .len = t->len, .data = t->data, .kind = t->kind };
        if (t->period_ns > 0) {
                /* A period shorter than a turn fires once per turn, not in a loop. */
                t->due_ns = (now - t->due_ns >= t->period_ns ? now : t->due_ns) + t->period_ns;
                sift_down(s, 0);
                return 1;
        }
        s->fire_data = t->data;
        t->data = NULL;
        heap_remove(s, 0);
        timer_release(s, k);
        return 1;
}

void act__timers_rearm(airsup_sys *s) {
        arm(s);
}
