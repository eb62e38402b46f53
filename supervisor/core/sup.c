/* sup.c - supervisors: the tree's decisions.  Ordered start and stop,
 * restart decisions, intensity and escalation, and what an upcall of the
 * run queue (runq.c) means to the tree.  The manager's life is in
 * manager.c, look-ups in names.c, the operator's verbs in verbs.c,
 * reload's edits of the tree in tree-edit.c; what they share is in
 * tree-internal.h.
 *
 * A supervisor's children (groups and supervisors) start in file order and
 * stop in reverse order, one at a time: a supervisor that must stop some of
 * its children marks them, then stops the last marked one that is still up,
 * and goes on each time a child reports itself down (sup_continue()).  Once
 * every marked child is down it does what it stopped them for: restart them
 * in order, report itself down, or report itself failed to its parent.
 *
 * What recurses over the tree (a start down the tree: node_start() and
 * sup_start_next(); a stop: node_stop() and sup_continue(); readiness and
 * escalation up it: node_settled(), the NODE_EV_ALL_DOWN actions,
 * act_child_failed(); and
 * the walks: walk(), node_free(), kill_all(), find_pid(), signal_tree(),
 * group_check_all(), forget_senders(), names_put_subtree(),
 * names_del_subtree()) goes at most as deep as the tree, a few frames per
 * level, and a tree is at most CFG_DEPTH_MAX levels deep (cfg.c refuses a
 * deeper file with FILE:LINE): 100,000 nested supervisors once overflowed
 * the stack at SIGTERM. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>

#include "common/cleanup.h"
#include "common/string-table.h"
#include "common/time.h"
#include "supervisor/core/names.h"
#include "supervisor/core/sup.h"
#include "supervisor/messages/broker.h"
#include "supervisor/output/logsink.h"
#include "supervisor/start/cgroup.h"
#include "supervisor/watch/probe.h"
#include "supervisor/core/proc.h"
#include "supervisor/watch/notify-proc.h"
#include "supervisor/core/tree-internal.h"

void node_emit(sup_node *n, sup_event_type type, int priority) {
        sup_event e = { .type = type, .priority = priority };
        snprintf(e.node, sizeof(e.node), "%s", n->cfg->name);
        sup_events_emit(&n->m->events, &e);
}

static void proc_down_decide(sup_proc *p);
static void node_settled(sup_node *n);

void tree_upcall_handle(const sup_upcall *u) {
        switch (u->kind) {
        case UPCALL_NONE:
                break;
        case UPCALL_PROC_DOWN:
                if (u->proc->incarnation == u->incarnation && proc_is_down(u->proc))
                        proc_down_decide(u->proc);
                break;
        case UPCALL_PROC_SETTLED:
                node_settled(u->proc->group);
                break;
        case UPCALL_NODE_DOWN:
                if (u->node->parent)
                        (void) node_dispatch(u->node->parent, NODE_EV_CHILD_DOWN, NULL);
                break;
        }
}

void node_proc_event(sup_proc *p, sup_event_type type, int priority) {
        sup_event e = {
                .type = type,
                .priority = priority,
                .pid = p->pid,
                .incarnation = p->incarnation,
                .code = p->exit.code,
                .status = p->exit.status,
        };

        snprintf(e.node, sizeof(e.node), "%s", p->name);
        if (type == SUP_EVENT_START_FAILED) {
                e.error = p->start_error;
                /* The path an exec could not run: the file the operator
                 * has to fix ("path=NAME" when NAME is not in PATH). */
                if (strcmp(p->start_step, "exec") == 0 && p->start_path) {
                        const char *q = strpbrk(p->start_path, " \t\"") ? "\"" : "";
                        snprintf(e.detail, sizeof(e.detail), "step=exec path=%s%s%s", q, p->start_path, q);
                } else if (p->start_step[0])
                        snprintf(e.detail, sizeof(e.detail), "step=%s", p->start_step);
        }
        if (type == SUP_EVENT_STATUS && p->notify->status_suppressed > 0)
                snprintf(e.detail, sizeof(e.detail), "status=\"%s\" suppressed=%u", p->notify->status,
                         p->notify->status_suppressed);
        else if (type == SUP_EVENT_STATUS)
                snprintf(e.detail, sizeof(e.detail), "status=\"%s\"", p->notify->status);
        if (type == SUP_EVENT_EXITED && p->health_failed)
                snprintf(e.detail, sizeof(e.detail), "reason=health");
        sup_events_emit(&p->group->m->events, &e);
}

/* The one writer of a node's state. */
void node_set_state(sup_node *n, node_state st) {
        n->state = st;
}

bool node_stopping(const sup_node *n) {
        return n->state == NODE_STOPPING || n->state == NODE_RESTARTING || n->state == NODE_STOPPING_TO_FAIL;
}

bool node_stopping_children(const sup_node *s) {
        return s->cfg->supervisor && node_stopping(s);
}

bool node_is_down(const sup_node *n) {
        if (n->cfg->supervisor)
                return n->state == NODE_DOWN || n->state == NODE_FAILED;
        for (size_t i = 0; i < n->n_procs; i++)
                if (!proc_is_down(&n->procs[i]))
                        return false;
        return true;
}

/* A temporary child is started once per start of its supervisor: a sibling's
 * restart (one_for_all, rest_for_one) stops it for good, as in OTP. */
bool node_gone(const sup_node *n) {
        return sup_child_gone(n->cfg->restart, n->state == NODE_FAILED, n->held, n->ever_started,
                              node_is_down(n));
}

/* Ready: a group whose every instance is ready (or ended for good), a
 * supervisor whose children have all been started in order and were ready. */
bool node_ready(const sup_node *n) {
        if (n->state != NODE_UP)
                return false;
        if (n->cfg->supervisor)
                return n->start_next >= n->n_children;
        for (size_t i = 0; i < n->n_procs; i++) {
                const sup_proc *p = &n->procs[i];
                if (p->state != PROC_READY && p->state != PROC_EXITED && p->state != PROC_FAILED &&
                    !(p->held && proc_is_down(p)))
                        return false;
        }
        return true;
}

static int act_start(sup_node *n, const node_ev_arg *a) {
        (void) a;
        if (n->next_cfg)
                node_reconfigure(n, n->next_cfg);
        node_set_state(n, NODE_UP);
        node_set_ever_started(n, true);
        if (n->cfg->supervisor) {
                /* A (re)started supervisor begins afresh: a clean restart
                 * history, and every child (temporary ones too) to start. */
                n->window.n = 0;
                n->window.head = 0;
                n->start_next = 0;
                for (size_t i = 0; i < n->n_children; i++)
                        node_set_ever_started(n->children[i], false);
                node_emit(n, SUP_EVENT_STARTING_TREE, LOG_DEBUG);
                sup_start_next(n);
                return 0;
        }
        for (size_t i = 0; i < n->n_procs; i++) {
                /* An instance the operator stopped stays down. */
                if (n->procs[i].held)
                        continue;
                /* The child whose failure restarted its siblings waits out its backoff. */
                if (n->restart_delay_usec != USEC_INFINITY)
                        proc_restart_after(&n->procs[i], n->restart_delay_usec);
                else
                        (void) proc_dispatch(&n->procs[i], PROC_EV_START);
        }
        n->restart_delay_usec = USEC_INFINITY;
        return 0;
}

void node_start(sup_node *n) {
        (void) node_dispatch(n, NODE_EV_START, NULL);
}

/* A child reached readiness (or ended for good): if S's start sequence
 * waits on it, go on. */
static void node_settled(sup_node *n) {
        sup_node *s = n->parent;

        if (!s) {
                if (n == n->m->root)
                        manager_check_ready(n->m);
                return;
        }
        (void) node_dispatch(s, NODE_EV_CHILD_SETTLED, &(node_ev_arg) { .child = n });
}

void node_proc_settled(sup_proc *p) {
        runq_push(p->group->m, (sup_upcall) { .kind = UPCALL_PROC_SETTLED, .proc = p });
}

static int act_child_settled(sup_node *s, const node_ev_arg *a) {
        if (s->start_next == a->child->index && (node_ready(a->child) || node_gone(a->child)))
                sup_start_next(s);
        return 0;
}

/* Starts S's children in order from start_next, each only once the previous
 * one is ready.  What a start causes (a failed exec, readiness) comes back
 * through the run queue, so nothing changes S under this loop. */
void sup_start_next(sup_node *s) {
        bool was_ready = s->start_next >= s->n_children;

        /* A child that is ready as soon as it is started (a supervisor of
         * supervisors) says so from inside node_start() below: the loop
         * sees it, and going on from there too recursed once per sibling
         * (50,000 deep for as many supervisors) and said S was ready as
         * many times. */
        if (s->starting)
                return;
        s->starting = true;
        while (s->state == NODE_UP && !s->m->shutting_down && s->start_next < s->n_children) {
                sup_node *c = s->children[s->start_next];

                if (c->state == NODE_DOWN && !node_gone(c)) {
                        node_start(c);
                        was_ready = false;
                }
                if (!node_ready(c) && !node_gone(c))
                        break;
                s->start_next++;
        }
        s->starting = false;
        if (was_ready || s->state != NODE_UP || s->start_next < s->n_children)
                return;
        node_emit(s, SUP_EVENT_READY, LOG_INFO);
        node_settled(s);
}

/* A supervisor stops every child, last first, then reports itself down
 * (one that was restarting children stops all of them instead).  A pool's
 * instances stop together, signalled last to first. */
static int act_stop(sup_node *n, const node_ev_arg *a) {
        (void) a;
        if (n->cfg->supervisor) {
                for (size_t i = 0; i < n->n_children; i++)
                        node_mark(n->children[i], true);
                node_set_state(n, NODE_STOPPING);
                sup_continue(n);
                return 0;
        }
        node_set_state(n, NODE_STOPPING);
        for (size_t i = n->n_procs; i-- > 0;)
                (void) proc_dispatch(&n->procs[i], PROC_EV_STOP);
        return 0;
}

void node_stop(sup_node *n) {
        (void) node_dispatch(n, NODE_EV_STOP, NULL);
}

/* The whole tree is ready for the first time: tell our own supervisor. */
void manager_check_ready(sup_manager *m) {
        if (m->notified_ready || m->shutting_down || !node_ready(m->root))
                return;
        m->notified_ready = true;
        (void) sd_notify(/* unset_environment= */ false, "READY=1\nSTATUS=supervising");
}

/* A child of S went down (or failed and was handled): go on with whatever S
 * is doing, or, for the root, end the loop. */
static void node_report_down(sup_node *n) {
        if (n->parent)
                runq_push(n->m, (sup_upcall) { .kind = UPCALL_NODE_DOWN, .node = n });
}

/* S stopped all its children: each is down, whatever it was, and starts
 * afresh (temporary ones too) when S starts again. */
static void children_down(sup_node *s) {
        for (size_t i = 0; i < s->n_children; i++) {
                node_mark(s->children[i], false);
                node_set_state(s->children[i], NODE_DOWN);
        }
}

/* Every marked child is down: start them again, in order, from the first. */
static int act_restarted(sup_node *s, const node_ev_arg *a) {
        (void) a;
        node_set_state(s, NODE_UP);
        for (size_t i = s->n_children; i-- > 0;) {
                sup_node *c = s->children[i];
                if (!c->marked)
                        continue;
                node_mark(c, false);
                if (c->state != NODE_FAILED)
                        node_set_state(c, NODE_DOWN);   /* every marked child is down now */
                if (i < s->start_next)
                        s->start_next = i;
                if (!node_gone(c) || c->state == NODE_FAILED || c->held)
                        continue;
                /* Stopped for its sibling and not to come back. */
                if (c->cfg->supervisor)
                        node_emit(c, SUP_EVENT_NOT_RESTARTED, LOG_NOTICE);
                for (size_t k = 0; k < c->n_procs; k++)
                        if (c->procs[k].state == PROC_STOPPED) {
                                (void) proc_dispatch(&c->procs[k], PROC_EV_RETIRE);
                                node_proc_event(&c->procs[k], SUP_EVENT_NOT_RESTARTED, LOG_NOTICE);
                        }
        }
        sup_start_next(s);
        return 0;
}

/* Every child is down: S is, and says so to its parent (the root ends the loop). */
static int act_stopped(sup_node *s, const node_ev_arg *a) {
        (void) a;
        children_down(s);
        node_set_state(s, NODE_DOWN);
        if (!s->parent) {
                sd_event_exit(s->m->event, s->m->exit_status);
                return 0;
        }
        node_report_down(s);
        return 0;
}

/* Every child is down after S gave up: S failed, and its parent decides. */
static int act_failed(sup_node *s, const node_ev_arg *a) {
        sup_manager *m = s->m;

        (void) a;
        children_down(s);
        node_set_state(s, NODE_FAILED);
        for (size_t i = 0; i < s->n_children; i++)
                if (!s->children[i]->cfg->supervisor)
                        for (size_t k = 0; k < s->children[i]->n_procs; k++)
                                (void) proc_dispatch(&s->children[i]->procs[k], PROC_EV_GIVE_UP);
        if (!s->parent) {
                sup_log(&m->events, LOG_ERR, "root supervisor gave up, exiting");
                sd_event_exit(m->event, 1);
                return 0;
        }
        node_emit(s, SUP_EVENT_ESCALATED, LOG_ERR);
        return node_dispatch(s->parent, NODE_EV_CHILD_FAILED, &(node_ev_arg) { .child = s });
}

/* S is stopping children: stop the last marked child that is not down
 * yet, one at a time; once none is left, S does what it stopped them for
 * (NODE_EV_ALL_DOWN: what its state says). */
void sup_continue(sup_node *s) {
        if (!node_stopping_children(s))
                return;
        for (size_t i = s->n_children; i-- > 0;) {
                sup_node *c = s->children[i];
                if (!c->marked || node_is_down(c))
                        continue;
                if (!node_stopping(c))
                        node_stop(c);
                /* A child with nothing running is down at once (its upcall
                 * comes later, through the run queue): go on to the next. */
                if (!node_is_down(c))
                        return;
        }
        (void) node_dispatch(s, NODE_EV_ALL_DOWN, NULL);
}

static int act_continue(sup_node *s, const node_ev_arg *a) {
        (void) a;
        sup_continue(s);
        return 0;
}

/* How the last failure that S counted ended, for the give-up event. */
static void describe_failure(const sup_node *child, const sup_proc *failed, char *buf, size_t size) {
        if (!failed)
                snprintf(buf, size, "%s gave up", child->cfg->name);
        else if (failed->start_error > 0)
                snprintf(buf, size, "%.64s failed to start (%s at %.28s)", failed->name,
                         strerrorname_np(failed->start_error) ?: "?", failed->start_step);
        else if (failed->health_failed)
                snprintf(buf, size, "%.64s failed its health probes", failed->name);
        else if (failed->exit.code == CLD_EXITED)
                snprintf(buf, size, "%s exited with status %d", failed->name, failed->exit.status);
        else if (failed->exit.code == CLD_KILLED || failed->exit.code == CLD_DUMPED)
                snprintf(buf, size, "%s killed by SIG%s%s", failed->name, cfg_signal_to_string(failed->exit.status),
                         failed->exit.code == CLD_DUMPED ? " (core dumped)" : "");
        else
                snprintf(buf, size, "%s ended, status unknown", failed->name);
}

/* S exceeded its intensity: every child is stopped, then S fails.  The
 * event says why: how many restarts in which window, and the last. */
static int act_give_up(sup_node *s, const node_ev_arg *a) {
        sup_event e = { .type = SUP_EVENT_GAVE_UP, .priority = LOG_ERR };
        uint64_t period = s->cfg->period_usec;
        bool whole = period % USEC_PER_SEC == 0;
        size_t n = sup_window_count(&s->window, manager_now(s->m), period);
        char last[128];

        describe_failure(a->child, a->failed, last, sizeof(last));
        snprintf(e.node, sizeof(e.node), "%s", s->cfg->name);
        snprintf(e.detail, sizeof(e.detail), "cause=\"%zu restart%s in %llu %s, last: %.96s\"", n,
                 n == 1 ? "" : "s", (unsigned long long) (whole ? period / USEC_PER_SEC : period / USEC_PER_MSEC),
                 whole ? "s" : "ms", last);
        sup_events_emit(&s->m->events, &e);
        for (size_t i = 0; i < s->n_children; i++)
                node_mark(s->children[i], true);
        node_set_state(s, NODE_STOPPING_TO_FAIL);
        sup_continue(s);
        return 0;
}

/* S stops the children it marked and starts them again in order. */
static int act_restart_children(sup_node *s, const node_ev_arg *a) {
        (void) a;
        node_set_state(s, NODE_RESTARTING);
        sup_continue(s);
        return 0;
}

/* A->child of S failed and is to be restarted (its restart type said so).
 * A->failed is the proc whose failure it was, or NULL for a supervisor. */
static int act_child_failed(sup_node *s, const node_ev_arg *a) {
        sup_node *child = a->child;
        sup_proc *failed = a->failed;
        bool one_only;

        /* A shutdown restarts nothing (and S, not stopping, has nothing to go on with). */
        if (s->m->shutting_down)
                return 0;

        if (child->cfg->supervisor && !sup_supervisor_restart_wanted(child->cfg->restart)) {
                node_emit(child, SUP_EVENT_NOT_RESTARTED, LOG_NOTICE);
                node_settled(child);
                return 0;
        }

        /* A failed supervisor that is to be restarted is merely down. */
        if (child->cfg->supervisor)
                node_set_state(child, NODE_DOWN);

        if (sup_window_add(&s->window, manager_now(s->m), s->cfg->intensity, s->cfg->period_usec))
                return node_dispatch(s, NODE_EV_GIVE_UP, a);

        /* A pool instance is restarted alone, whatever the strategy. */
        one_only = sup_restart_alone(s->cfg->strategy, failed, child->n_procs);
        if (one_only) {
                if (failed)
                        proc_restart_after(failed, a->delay_usec);
                else
                        node_start(child);
                return 0;
        }

        for (size_t i = 0; i < s->n_children; i++)
                node_mark(s->children[i], sup_strategy_restarts(s->cfg->strategy, child->index, i));
        child->restart_delay_usec = failed ? a->delay_usec : USEC_INFINITY;
        return node_dispatch(s, NODE_EV_RESTART_CHILDREN, NULL);
}

typedef int (*node_action)(sup_node *n, const node_ev_arg *a);

/* Every transition of a node.  A missing entry is an event that means
 * nothing in that state and is ignored on purpose: a start of a node that
 * is not down, a stop of one already stopping, a child's readiness while
 * S is not up (S's start sequence goes on once S is up again), news of a
 * child going down while S stops nothing, a failed child of a failed S.
 * Groups use DOWN, UP, STOPPING and FAILED; the states that say what a
 * supervisor stops its children for (RESTARTING, STOPPING_TO_FAIL) are
 * supervisors' only. */
static const node_action node_actions[_NODE_STATE_MAX][_NODE_EV_MAX] = {
        [NODE_DOWN] = {
                [NODE_EV_START] = act_start,
                [NODE_EV_STOP] = act_stop,
                [NODE_EV_CHILD_FAILED] = act_child_failed,
                [NODE_EV_GIVE_UP] = act_give_up,
                [NODE_EV_RESTART_CHILDREN] = act_restart_children,
        },
        [NODE_UP] = {
                [NODE_EV_STOP] = act_stop,
                [NODE_EV_RESTART_CHILDREN] = act_restart_children,
                [NODE_EV_CHILD_FAILED] = act_child_failed,
                [NODE_EV_CHILD_SETTLED] = act_child_settled,
                [NODE_EV_GIVE_UP] = act_give_up,
        },
        [NODE_STOPPING] = {
                [NODE_EV_CHILD_DOWN] = act_continue,
                [NODE_EV_CHILD_FAILED] = act_continue,
                [NODE_EV_ALL_DOWN] = act_stopped,
        },
        [NODE_RESTARTING] = {
                /* A stop while restarting children: all of them stop, for good. */
                [NODE_EV_STOP] = act_stop,
                [NODE_EV_CHILD_DOWN] = act_continue,
                [NODE_EV_CHILD_FAILED] = act_continue,
                [NODE_EV_ALL_DOWN] = act_restarted,
        },
        [NODE_STOPPING_TO_FAIL] = {
                [NODE_EV_CHILD_DOWN] = act_continue,
                [NODE_EV_CHILD_FAILED] = act_continue,
                [NODE_EV_ALL_DOWN] = act_failed,
        },
        [NODE_FAILED] = {
                [NODE_EV_STOP] = act_stop,
        },
};

bool node_handles(node_state st, node_event ev) {
        return st >= 0 && st < _NODE_STATE_MAX && ev >= 0 && ev < _NODE_EV_MAX && node_actions[st][ev];
}

int node_dispatch(sup_node *n, node_event ev, const node_ev_arg *a) {
        node_action act;

        if (n->state < 0 || n->state >= _NODE_STATE_MAX || ev < 0 || ev >= _NODE_EV_MAX)
                return -EINVAL;
        act = node_actions[n->state][ev];
        if (!act)
                return 0;
        return act(n, a);
}

/* A proc is down.  Either it was asked to stop (its supervisor goes on) or
 * it ended by itself: restart type, intensity and strategy decide. */
void node_proc_down(sup_proc *p) {
        runq_push(p->group->m, (sup_upcall) { .kind = UPCALL_PROC_DOWN, .proc = p, .incarnation = p->incarnation });
}

static void proc_down_decide(sup_proc *p) {
        sup_node *g = p->group, *s = g->parent;
        sup_manager *m = g->m;
        uint64_t delay;

        if (!s) {
                /* Taken out of the tree by a reload, on its way elsewhere. */
                if (node_is_down(g))
                        node_set_state(g, NODE_DOWN);
                return;
        }
        switch (sup_down_decide(&(sup_down_facts) {
                        .stop_asked = p->stop_requested,
                        .stopping = m->shutting_down || g->state == NODE_STOPPING || s->state != NODE_UP,
                        .restart = g->cfg->restart,
                        .exit = p->exit,
                        .start_error = p->start_error,
                        .health_failed = p->health_failed,
                        .stop_signal = g->cfg->stop_signal,
                })) {
        case SUP_DOWN_ASKED: {
                bool again = p->restart_requested;

                proc_want_restart(p, false);
                if (node_is_down(g) && g->state == NODE_STOPPING)
                        node_set_state(g, NODE_DOWN);
                else if (g->state == NODE_UP && again && !m->shutting_down && s->state == NODE_UP)
                        (void) proc_dispatch(p, PROC_EV_START);         /* the operator's restart of it */
                else if (g->state == NODE_UP && p->held)
                        node_proc_settled(p);                           /* a start sequence may wait on it */
                (void) node_dispatch(s, NODE_EV_CHILD_DOWN, NULL);
                manager_check_ready(m);
                return;
        }
        case SUP_DOWN_RETIRE:
                (void) proc_dispatch(p, PROC_EV_RETIRE);
                node_proc_event(p, SUP_EVENT_NOT_RESTARTED, LOG_INFO);
                node_proc_settled(p);
                return;
        case SUP_DOWN_RESTART:
        default:
                delay = sup_backoff_next(&p->backoff, g->cfg->backoff_usec, g->cfg->backoff_max_usec,
                                         sup_uptime(p->started_usec, p->start_error, manager_now(p->group->m)));
                (void) node_dispatch(s, NODE_EV_CHILD_FAILED,
                                     &(node_ev_arg) { .child = g, .delay_usec = delay, .failed = p });
                manager_check_ready(m);
                return;
        }
}

sup_node *node_new(sup_manager *m, const cfg_node *c, sup_node *parent) {
        sup_node *n = calloc(1, sizeof(sup_node));

        if (!n)
                return NULL;
        n->m = m;
        n->cfg = c;
        n->parent = parent;
        n->restart_delay_usec = USEC_INFINITY;
        if (c->supervisor) {
                if (sup_window_init(&n->window, c->intensity) < 0) {
                        free(n);
                        return NULL;
                }
        } else {
                n->procs = calloc(c->instances, sizeof(sup_proc));
                if (!n->procs) {
                        free(n);
                        return NULL;
                }
                n->n_procs = c->instances;
                for (unsigned i = 0; i < c->instances; i++)
                        proc_init(&n->procs[i], n, i);
        }
        return n;
}

sup_node *node_free(sup_node *n) {
        if (!n)
                return NULL;
        for (size_t i = 0; i < n->n_children; i++)
                node_free(n->children[i]);
        free(n->children);
        sup_window_done(&n->window);
        for (size_t i = 0; i < n->n_procs; i++)
                proc_done(&n->procs[i]);
        free(n->procs);
        free(n);
        return NULL;
}

/* What children[] holds room for with N children: the power of two at
 * or above N.  Nothing shrinks the array but node_free(), so it is always
 * at least that big, and adding 100,000 children one by one copies it 17
 * times instead of 100,000 (which froze a reload for seconds). */
static size_t children_room(size_t n) {
        return n <= 1 ? n : (size_t) 1 << (64 - __builtin_clzll(n - 1));
}

int node_children_reserve(sup_node *s, size_t total) {
        sup_node **a;

        if (total <= children_room(s->n_children))
                return 0;
        a = reallocarray(s->children, children_room(total), sizeof(sup_node *));
        if (!a)
                return -ENOMEM;
        s->children = a;
        return 0;
}

int node_add_child(sup_node *s, sup_node *c) {
        if (node_children_reserve(s, s->n_children + 1) < 0)
                return -ENOMEM;
        c->index = s->n_children;
        node_mark(c, false);
        s->children[s->n_children++] = c;
        return 0;
}

static const char *const node_state_names[_NODE_STATE_MAX] = {
        [NODE_DOWN] = "down",
        [NODE_UP] = "up",
        [NODE_STOPPING] = "stopping",
        /* Stopping too, for its children's sake: the operator sees one state. */
        [NODE_RESTARTING] = "stopping",
        [NODE_STOPPING_TO_FAIL] = "stopping",
        [NODE_FAILED] = "failed",
};

DEFINE_STRING_TABLE(node_state, node_state, node_state_names, _NODE_STATE_MAX)

/* An upcall of one of the procs in [RANGE[0], RANGE[1]). */
static bool upcall_of_procs(const sup_upcall *u, void *userdata) {
        const sup_proc *const *range = userdata;

        return u->proc && u->proc >= range[0] && u->proc < range[1];
}

/* A group's new instance count: new procs, each of the first ones taking
 * its predecessor's mailbox (and the lanes it sends on), its incarnation
 * count and whether the operator held it. */
static int group_resize(sup_node *n, const cfg_node *c) {
        sup_manager *m = n->m;
        sup_proc *old = n->procs, *procs = calloc(c->instances, sizeof(sup_proc));
        size_t n_old = n->n_procs;

        if (!procs)
                return -ENOMEM;
        runq_forget(m, upcall_of_procs, &(const sup_proc *[2]) { old, old + n_old });
        n->cfg = c;
        for (unsigned i = 0; i < c->instances; i++) {
                proc_init(&procs[i], n, i);
                if (i >= n_old)
                        continue;
                procs[i].broker.box = old[i].broker.box;
                old[i].broker.box = NULL;
                procs[i].broker.lanes_out = old[i].broker.lanes_out;
                procs[i].incarnation = old[i].incarnation;
                proc_hold(&procs[i], old[i].held);
                broker_sender_moved(m, &old[i], &procs[i]);
        }
        for (size_t i = c->instances; i < n_old; i++)
                broker_sender_moved(m, &old[i], NULL);
        for (size_t i = 0; i < n_old; i++)
                proc_done(&old[i]);
        free(old);
        n->procs = procs;
        n->n_procs = c->instances;
        return 0;
}

/* N takes settings C.  A supervisor's apply at once (a new intensity
 * keeps the newest restarts).  A group's that need a restart are taken
 * only while it is down (node_start() does it); the rest apply to its
 * running processes as their keys' rows say (cfg_node_apply(), cfg.h):
 * rotation, limits, probes. */
void node_reconfigure(sup_node *n, const cfg_node *c) {
        const cfg_node *was = n->cfg;
        unsigned apply = cfg_node_apply(was, c);

        n->next_cfg = NULL;
        if (c->supervisor) {
                if ((apply & (1u << CFG_APPLY_WINDOW)) && sup_window_resize(&n->window, c->intensity) < 0)
                        sup_log(&n->m->events, LOG_ERR, "%s: out of memory for its new intensity", c->name);
                n->cfg = c;
                return;
        }
        if (node_is_down(n) && c->instances != n->n_procs) {
                if (group_resize(n, c) < 0)
                        sup_log(&n->m->events, LOG_ERR, "%s: out of memory for %u instances, keeping %zu",
                                c->name, c->instances, n->n_procs);
                return;
        }
        bool outputs = cfg_node_diff(was, c) & (CFG_KEY_BIT(CFG_KEY_STDOUT) | CFG_KEY_BIT(CFG_KEY_STDERR));

        n->cfg = c;
        for (size_t i = 0; i < n->n_procs; i++) {
                sup_proc *p = &n->procs[i];

                if (outputs && proc_is_down(p)) {
                        /* Opened anew, as the new settings say, at its start. */
                        if (p->sink_err != p->sink_out)
                                p->sink_err = log_sink_free(p->sink_err);
                        p->sink_err = NULL;
                        p->sink_out = log_sink_free(p->sink_out);
                } else if (apply & (1u << CFG_APPLY_ROTATION)) {
                        log_sink_set_rotation(p->sink_out, c->log_max, c->log_keep);
                        log_sink_set_rotation(p->sink_err, c->log_max, c->log_keep);
                }
                if ((apply & (1u << CFG_APPLY_LIMITS)) && p->cgroup.fd >= 0)
                        cgroup_proc_limits(p, was);
                if ((apply & (1u << CFG_APPLY_PROBES)) && p->state == PROC_READY) {
                        probe_stop(p);
                        probe_ready(p);
                }
        }
}

void node_hold(sup_node *n, bool held) {
        n->held = held;
}

/* The one writer of whether N is in its supervisor's stop set: the
 * children a supervisor stops (last first) for its stop, a restart of
 * some of them, or its give-up, and starts again after a restart. */
void node_mark(sup_node *n, bool marked) {
        n->marked = marked;
}

/* The one writer of whether N ran since its supervisor last started
 * afresh (what makes a temporary child gone, sup_child_gone()). */
void node_set_ever_started(sup_node *n, bool started) {
        n->ever_started = started;
}
