/* actor-sup.c - what a failure inside the process does (actors.h).
 *
 * The decisions are airsupd's own (common/policy): whether an exit is
 * restarted (sup_down_decide), whether the supervisor exceeded its
 * intensity (sup_window_add), which siblings a strategy restarts
 * (sup_strategy_restarts), the backoff delay (sup_backoff_next), whether
 * a temporary child is gone (sup_child_gone) and whether a supervisor
 * that gave up is restarted (sup_supervisor_restart_wanted).  This file
 * only applies them to slots.
 *
 * An actor's error hook answers first: resume and stop end there;
 * restart restarts the actor alone, in place, counted against its
 * supervisor's intensity; escalate makes it an OTP child exit, which the
 * supervisor's strategy handles.  A supervisor that exceeds its
 * intensity stops its children (last first) and fails as a child of its
 * parent; the root's failure ends the process (AIRSUP_EXIT_GAVE_UP).
 *
 * Nothing here recurses over failures: a start that fails during a
 * restart is queued (act__pending) and applied by act__settle() once the
 * current failure is done, so a crash-looping actor costs a loop, not a
 * stack, until its supervisor's intensity ends it. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "child/actors.h"

#define EXPORT __attribute__((visibility("default")))

static uint64_t usec(uint64_t ns) {
        return ns / 1000;
}

void act__pending(airsup_sys *s, uint32_t i, int reason) {
        if (s->pending_n == s->pending_cap) {
                uint32_t cap = s->pending_cap ? s->pending_cap * 2 : 16;
                struct act_pending *p = reallocarray(s->pending, cap, sizeof(*p));
                if (!p) {
                        /* No memory to remember it: the actor stays stopped,
                         * which its supervisor's listing shows. */
                        return;
                }
                s->pending = p;
                s->pending_cap = cap;
        }
        s->pending[s->pending_n++] = (struct act_pending) { act_ref(s, i), reason };
}

static void give_up(airsup_sys *s, uint32_t p, uint32_t culprit, int reason);
static void start_waiting(airsup_sys *s, uint32_t i);

/* The delay before I starts again: its supervisor's backoff, or 0. */
static uint64_t backoff_ns(airsup_sys *s, uint32_t i) {
        act *a = act_at(s, i);
        act_sup *p = act_at(s, a->parent)->sup;
        uint64_t now = act__now();

        if (p->o.backoff_ns == 0)
                return 0;
        return sup_backoff_next(&a->backoff, usec(p->o.backoff_ns),
                                usec(p->o.backoff_max_ns ? p->o.backoff_max_ns : p->o.backoff_ns),
                                usec(now - a->started_ns)) *
               1000;
}

/* Starts I now (a supervisor: with its children, in order); a failed
 * start is queued as that child's exit. */
static void start_node(airsup_sys *s, uint32_t i) {
        act *a = act_at(s, i);
        int r;

        if (a->kind == ACT_K_SUP) {
                uint32_t c, next;

                sup_window_done(&a->sup->window);
                (void) sup_window_init(&a->sup->window, a->sup->o.intensity);
                (void) act__start(s, i);
                for (c = a->sup->first; c != ACT_NONE; c = next) {
                        act *ch = act_at(s, c);
                        next = ch->next;
                        if (sup_child_gone((cfg_restart) ch->restart, ch->kind == ACT_K_SUP && (ch->flags & ACT_F_FAILED),
                                           /* held= */ false, ch->flags & ACT_F_EVER, /* down= */ true))
                                act__terminate(s, c, 0);
                        else
                                start_node(s, c);
                }
                act__pub_update(s, i);
                return;
        }
        r = act__start(s, i);
        if (r == -ESRCH)
                return;
        a = act_at(s, i);
        if (r < 0) {
                s->failures++;
                act__pub_update(s, i);
                act__pending(s, i, r);
                return;
        }
        act__pub_update(s, i);
        act__event(s, i, CHAN_ACTOR_RESTARTED, 0, 0, NULL);
        act__wake(s, i);
}

/* I (stopped) starts again after its backoff, or at once. */
static void restart_later(airsup_sys *s, uint32_t i) {
        uint64_t delay = backoff_ns(s, i);
        act *a = act_at(s, i);

        a->restarts++;
        s->restarts++;
        if (delay > 0 && act__timer_add(s, act_ref(s, i), delay, 0, 0, NULL, 0, ACT_TIMER_RESTART, NULL) >= 0) {
                a->run = ACT_R_RESTARTING;
                act__pub_update(s, i);
                return;
        }
        start_node(s, i);
}

/* Counts a restart in P's window: false if P gave up over it. */
static bool count_restart(airsup_sys *s, uint32_t p, uint32_t culprit, int reason) {
        act_sup *sp = act_at(s, p)->sup;

        if (!sup_window_add(&sp->window, usec(act__now()), sp->o.intensity, usec(sp->o.period_ns)))
                return true;
        give_up(s, p, culprit, reason);
        return false;
}

/* I, a child of P, went down by itself and is to be restarted: P's
 * strategy says which siblings go with it. */
static void apply_strategy(airsup_sys *s, uint32_t p, uint32_t i) {
        act_sup *sp = act_at(s, p)->sup;
        cfg_strategy st = (cfg_strategy) sp->o.strategy;
        size_t failed = 0, n = 0;
        uint32_t c, prev, next;
        uint64_t delay;

        if (sup_restart_alone(st, /* proc_failed= */ true, 1)) {
                restart_later(s, i);
                return;
        }
        for (c = sp->first; c != i; c = act_at(s, c)->next)
                failed++;
        /* Stop the affected siblings that still run, last first. */
        n = sp->n;
        c = sp->last;
        for (size_t k = n; k-- > 0; c = prev) {
                prev = act_at(s, c)->prev;
                if (c != i && sup_strategy_restarts(st, failed, k) && act_at(s, c)->run != ACT_R_STOPPED)
                        act__stop_tree(s, c, 0);
        }
        /* Then start them in order: temporary ones that ran are gone;
         * the failed child's backoff delays the lot. */
        delay = backoff_ns(s, i);
        act_at(s, i)->restarts++;
        s->restarts++;
        c = sp->first;
        for (size_t k = 0; c != ACT_NONE; k++, c = next) {
                act *ch = act_at(s, c);
                next = ch->next;
                if (!sup_strategy_restarts(st, failed, k))
                        continue;
                if (c != i && sup_child_gone((cfg_restart) ch->restart, false, false, ch->flags & ACT_F_EVER, true)) {
                        act__terminate(s, c, 0);
                        continue;
                }
                ch->run = ACT_R_RESTARTING;
                act__pub_update(s, c);
        }
        if (delay > 0 && act__timer_add(s, act_ref(s, p), delay, 0, 0, NULL, 0, ACT_TIMER_RESTART, NULL) >= 0)
                return;
        start_waiting(s, p);
}

/* Starts what waits in slot I: I itself, or (a supervisor whose children
 * wait out a strategy's backoff) its waiting children, in order.  Failed
 * starts are queued, not applied: the caller settles them. */
static void start_waiting(airsup_sys *s, uint32_t i) {
        act *a = act_at(s, i);
        uint32_t c, next;

        if (a->run == ACT_R_RESTARTING) {
                start_node(s, i);
                return;
        }
        if (a->kind != ACT_K_SUP || a->run != ACT_R_RUNNING)
                return;
        for (c = a->sup->first; c != ACT_NONE; c = next) {
                next = act_at(s, c)->next;
                if (act_at(s, c)->run == ACT_R_RESTARTING)
                        start_node(s, c);
        }
}

void act__backoff_done(airsup_sys *s, uint32_t i) {
        start_waiting(s, i);
        act__settle(s);
}

void act__exited(airsup_sys *s, uint32_t i, int reason) {
        act *a = act_at(s, i);
        uint32_t p = a->parent;
        sup_down_facts f = {
                .restart = (cfg_restart) a->restart,
                .exit = { CLD_EXITED, reason == 0 ? 0 : 1 },
                .stop_signal = SIGTERM,
        };

        if (reason != 0)
                a->last_error = reason;
        if (a->run != ACT_R_STOPPED)
                act__stop_tree(s, i, reason);
        /* Anonymous actors that end normally are the common case (a
         * session, a request): no event each. */
        if (reason != 0 || a->name)
                act__event(s, i, CHAN_ACTOR_STOPPED, reason, 0, reason ? "exited abnormally" : "exited");
        if (p == ACT_NONE)
                return;
        if (sup_down_decide(&f) != SUP_DOWN_RESTART) {
                act__terminate(s, i, reason);
                return;
        }
        if (!count_restart(s, p, i, reason))
                return;
        apply_strategy(s, p, i);
}

void act__failed(airsup_sys *s, uint32_t i, int error, const airsup_msg *m, const void *data, bool *ret_retry) {
        act *a = act_at(s, i);
        airsup_ref ref = act_ref(s, i);
        int answer = AIRSUP_RESTART;
        bool retry;

        (void) data;
        *ret_retry = false;
        a->last_error = error;
        s->failures++;
        if (a->b->error) {
                uint32_t saved = s->current;
                s->current = i;
                answer = a->b->error(s, ref, a->state, error, m);
                s->current = saved;
                if (act_slot(s, ref) != i)
                        return;         /* the hook stopped it */
                a = act_at(s, i);
        }
        retry = answer & AIRSUP_RETRY;
        answer &= ~AIRSUP_RETRY;
        if (answer < AIRSUP_RESUME || answer > AIRSUP_ESCALATE)
                answer = AIRSUP_RESTART;
        act__event(s, i, CHAN_ACTOR_FAILED, error, answer, NULL);
        switch (answer) {
        case AIRSUP_RESUME:
                act__pub_update(s, i);
                return;
        case AIRSUP_STOP:
                act__terminate(s, i, error);
                return;
        case AIRSUP_ESCALATE:
                act__exited(s, i, error);
                return;
        default:
                break;
        }
        /* Restart, the actor alone: counted, then stop hook and start
         * hook (after a backoff if its supervisor has one). */
        if (!count_restart(s, a->parent, i, error))
                return;
        act__stop_tree(s, i, error);
        *ret_retry = retry;
        restart_later(s, i);
}

/* P exceeded its intensity over CULPRIT's failure: it stops its
 * children and fails, up the tree as far as the failures go. */
static void give_up(airsup_sys *s, uint32_t p, uint32_t culprit, int reason) {
        for (;;) {
                act *a = act_at(s, p);
                uint32_t gp = a->parent;
                char who[AIRSUP_NAME_MAX];

                s->escalations++;
                act__name_of(s, culprit, who);
                act__event(s, p, gp == ACT_NONE ? CHAN_ACTOR_GAVE_UP : CHAN_ACTOR_ESCALATED, reason, 0, who);
                act__stop_tree(s, p, reason);
                a = act_at(s, p);
                a->flags |= ACT_F_FAILED;
                a->last_error = reason;
                act__pub_update(s, p);
                if (gp == ACT_NONE) {
                        s->gave_up = true;
                        act__pub_refresh(s, true);
                        if (!s->no_exit)
                                exit(AIRSUP_EXIT_GAVE_UP);
                        return;
                }
                if (!sup_supervisor_restart_wanted((cfg_restart) a->restart))
                        return;
                if (!sup_window_add(&act_at(s, gp)->sup->window, usec(act__now()), act_at(s, gp)->sup->o.intensity,
                                    usec(act_at(s, gp)->sup->o.period_ns))) {
                        apply_strategy(s, gp, p);
                        return;
                }
                culprit = p;
                p = gp;
        }
}

void act__settle(airsup_sys *s) {
        while (s->pending_n > 0 && !s->gave_up) {
                struct act_pending pd = s->pending[--s->pending_n];
                uint32_t i = act_slot(s, pd.ref);

                if (i != ACT_NONE && act_at(s, i)->run == ACT_R_STOPPED)
                        act__exited(s, i, pd.reason);
        }
        s->pending_n = 0;
}

EXPORT int airsup_exit(airsup_sys *s, airsup_ref self, int reason) {
        uint32_t i;

        if (!s || reason > 0)
                return -EINVAL;
        i = act_slot(s, self);
        if (i == ACT_NONE)
                return -ESRCH;
        if (act_at(s, i)->kind != ACT_K_ACTOR)
                return -EINVAL;
        if (i == s->current) {
                act_at(s, i)->flags |= ACT_F_EXITING;
                act_at(s, i)->exit_reason = reason;
                return 0;
        }
        act__exited(s, i, reason);
        act__settle(s);
        return 0;
}
