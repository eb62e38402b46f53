/* sup.c - supervisors: the tree, ordered start and stop, restart
 * decisions, intensity and escalation.
 *
 * A supervisor's children (groups and supervisors) start in file order and
 * stop in reverse order, one at a time: a supervisor that must stop some of
 * its children marks them, then stops the last marked one that is still up,
 * and goes on each time a child reports itself down (sup_continue()).  Once
 * every marked child is down it does what it stopped them for: restart them
 * in order, report itself down, or report itself failed to its parent.
 *
 * What recurses over the tree here (a start down the tree: node_start() and
 * sup_start_next(); a stop: node_stop() and sup_continue(); readiness and
 * escalation up it: node_settled(), sup_finish(), sup_child_failed(); and
 * the walks: walk(), node_free(), kill_all(), find_pid(), signal_tree(),
 * group_check_all(), forget_senders(), names_put_subtree(),
 * names_del_subtree()) goes at most as deep as the tree, a few frames per
 * level, and a tree is at most CFG_DEPTH_MAX levels deep (cfg.c refuses a
 * deeper file with FILE:LINE): 100,000 nested supervisors once overflowed
 * the stack at SIGTERM. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/string-table.h"
#include "supervisor/start/closer.h"
#include "supervisor/output/logsink.h"
#include "supervisor/start/spawner.h"
#include "supervisor/core/state.h"
#include "supervisor/messages/broker.h"
#include "supervisor/start/cgroup.h"
#include "supervisor/watch/notify-proc.h"
#include "supervisor/watch/probe.h"
#include "supervisor/core/manager.h"
#include "supervisor/core/proc.h"
#include "supervisor/config/reload.h"

extern char **environ;

uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / NSEC_PER_USEC;
}

uint64_t manager_now(sup_manager *m) {
        return m->proc_ops->now(m);
}

static void node_emit(sup_node *n, sup_event_type type, int priority) {
        sup_event e = { .type = type, .priority = priority };
        snprintf(e.node, sizeof(e.node), "%s", n->cfg->name);
        sup_events_emit(&n->m->events, &e);
}

static void manager_check_ready(sup_manager *m);
static void sup_start_next(sup_node *s);

/* The run queue.  A proc that went down or became ready, and a supervisor
 * that went down, report it through one call that queues an upcall; the
 * tree reacts from manager_run() (a defer source), in order, so no
 * decision is ever taken while the tree is half-way through another.  An
 * upcall of a proc carries its incarnation: one queued before the proc
 * started again is stale and dropped. */
typedef enum upcall_kind {
        UPCALL_NONE,                    /* forgotten: its node went away (a reload) */
        UPCALL_PROC_DOWN,
        UPCALL_PROC_SETTLED,
        UPCALL_NODE_DOWN,               /* a supervisor child is down: its parent goes on */
} upcall_kind;

struct sup_upcall {
        upcall_kind kind;
        sup_proc *proc;
        sup_node *node;
        unsigned incarnation;
};

static void proc_down_decide(sup_proc *p);
static void node_settled(sup_node *n);
static void sup_continue(sup_node *s);

static void upcall_handle(const sup_upcall *u) {
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
                        sup_continue(u->node->parent);
                break;
        }
}

static int manager_run(sd_event_source *src, void *userdata) {
        sup_manager *m = userdata;

        (void) src;
        while (m->up_n > 0) {
                sup_upcall u = m->upcalls[m->up_head];

                m->up_head = (m->up_head + 1) % m->up_cap;
                m->up_n--;
                upcall_handle(&u);
        }
        reload_continue(m);
        return 0;
}

static void upcall(sup_manager *m, sup_upcall u) {
        if (m->up_n == m->up_cap) {
                size_t cap = m->up_cap ? m->up_cap * 2 : 64;
                sup_upcall *a = calloc(cap, sizeof(sup_upcall));

                if (!a) {
                        /* Nothing to queue it in: handle it now rather than lose it. */
                        sup_log(&m->events, LOG_CRIT, "out of memory for the run queue, acting at once");
                        upcall_handle(&u);
                        return;
                }
                for (size_t i = 0; i < m->up_n; i++)
                        a[i] = m->upcalls[(m->up_head + i) % m->up_cap];
                free(m->upcalls);
                m->upcalls = a;
                m->up_cap = cap;
                m->up_head = 0;
        }
        m->upcalls[(m->up_head + m->up_n) % m->up_cap] = u;
        m->up_n++;
        if (m->run_queue)
                (void) sd_event_source_set_enabled(m->run_queue, SD_EVENT_ONESHOT);
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
                if (p->start_step[0])
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
        if (type == SUP_EVENT_READY)
                node_proc_settled(p);
}

static bool node_is_down(const sup_node *n) {
        if (n->cfg->supervisor)
                return n->state == NODE_DOWN || n->state == NODE_FAILED;
        for (size_t i = 0; i < n->n_procs; i++)
                if (!proc_is_down(&n->procs[i]))
                        return false;
        return true;
}

/* A temporary child is started once per start of its supervisor: a sibling's
 * restart (one_for_all, rest_for_one) stops it for good, as in OTP. */
static bool node_gone(const sup_node *n) {
        return sup_child_gone(n->cfg->restart, n->state == NODE_FAILED, n->held, n->ever_started,
                              node_is_down(n));
}

/* Ready: a group whose every instance is ready (or ended for good), a
 * supervisor whose children have all been started in order and were ready. */
static bool node_ready(const sup_node *n) {
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

static void sup_continue(sup_node *s);
static void sup_child_failed(sup_node *s, sup_node *child, uint64_t delay_usec, sup_proc *failed);

static void node_reconfigure(sup_node *n, const cfg_node *c);

static void node_start(sup_node *n) {
        if (n->next_cfg)
                node_reconfigure(n, n->next_cfg);
        n->state = NODE_UP;
        n->ever_started = true;
        if (n->cfg->supervisor) {
                /* A (re)started supervisor begins afresh: a clean restart
                 * history, and every child (temporary ones too) to start. */
                n->window.n = 0;
                n->window.head = 0;
                n->then = THEN_NONE;
                n->start_next = 0;
                for (size_t i = 0; i < n->n_children; i++)
                        n->children[i]->ever_started = false;
                node_emit(n, SUP_EVENT_STARTING_TREE, LOG_DEBUG);
                sup_start_next(n);
                return;
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
        if (s->state == NODE_UP && s->start_next == n->index && (node_ready(n) || node_gone(n)))
                sup_start_next(s);
}

void node_proc_settled(sup_proc *p) {
        upcall(p->group->m, (sup_upcall) { .kind = UPCALL_PROC_SETTLED, .proc = p });
}

/* Starts S's children in order from start_next, each only once the previous
 * one is ready.  What a start causes (a failed exec, readiness) comes back
 * through the run queue, so nothing changes S under this loop. */
static void sup_start_next(sup_node *s) {
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

static void node_stop(sup_node *n) {
        if (n->cfg->supervisor) {
                if (n->state == NODE_STOPPING && n->then != THEN_RESTART)
                        return;
                for (size_t i = 0; i < n->n_children; i++)
                        n->marked[i] = true;
                n->then = THEN_DOWN;
                n->state = NODE_STOPPING;
                sup_continue(n);
                return;
        }
        /* A pool's instances stop together, signalled last to first. */
        n->state = NODE_STOPPING;
        for (size_t i = n->n_procs; i-- > 0;)
                (void) proc_dispatch(&n->procs[i], PROC_EV_STOP);
}

/* The whole tree is ready for the first time: tell our own supervisor. */
static void manager_check_ready(sup_manager *m) {
        if (m->notified_ready || m->shutting_down || !node_ready(m->root))
                return;
        m->notified_ready = true;
        (void) sd_notify(/* unset_environment= */ false, "READY=1\nSTATUS=supervising");
}

/* A child of S went down (or failed and was handled): go on with whatever S
 * is doing, or, for the root, end the loop. */
static void node_report_down(sup_node *n) {
        if (n->parent)
                upcall(n->m, (sup_upcall) { .kind = UPCALL_NODE_DOWN, .node = n });
}

/* S stopped all its children: each is down, whatever it was, and starts
 * afresh (temporary ones too) when S starts again. */
static void children_down(sup_node *s) {
        for (size_t i = 0; i < s->n_children; i++) {
                s->marked[i] = false;
                s->children[i]->state = NODE_DOWN;
        }
}

static void sup_finish(sup_node *s) {
        sup_manager *m = s->m;
        node_then then = s->then;

        s->then = THEN_NONE;
        switch (then) {
        case THEN_RESTART:
                /* Start the stopped children again, in order, from the first. */
                s->state = NODE_UP;
                for (size_t i = s->n_children; i-- > 0;) {
                        sup_node *c = s->children[i];
                        if (!s->marked[i])
                                continue;
                        s->marked[i] = false;
                        if (c->state != NODE_FAILED)
                                c->state = NODE_DOWN;   /* every marked child is down now */
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
                break;

        case THEN_DOWN:
                children_down(s);
                s->state = NODE_DOWN;
                if (!s->parent) {
                        sd_event_exit(m->event, m->exit_status);
                        return;
                }
                node_report_down(s);
                break;

        case THEN_FAIL:
                children_down(s);
                s->state = NODE_FAILED;
                for (size_t i = 0; i < s->n_children; i++)
                        if (!s->children[i]->cfg->supervisor)
                                for (size_t k = 0; k < s->children[i]->n_procs; k++)
                                        (void) proc_dispatch(&s->children[i]->procs[k], PROC_EV_GIVE_UP);
                if (!s->parent) {
                        sup_log(&m->events, LOG_ERR, "root supervisor gave up, exiting");
                        sd_event_exit(m->event, 1);
                        return;
                }
                node_emit(s, SUP_EVENT_ESCALATED, LOG_ERR);
                sup_child_failed(s->parent, s, 0, NULL);
                break;

        default:
                break;
        }
}

static void sup_continue(sup_node *s) {
        if (s->then == THEN_NONE)
                return;
        /* Stop the last marked child that is not down yet; one at a time. */
        for (size_t i = s->n_children; i-- > 0;) {
                sup_node *c = s->children[i];
                if (!s->marked[i] || node_is_down(c))
                        continue;
                if (c->state != NODE_STOPPING)
                        node_stop(c);
                /* A child with nothing running is down at once (its upcall
                 * comes later, through the run queue): go on to the next. */
                if (!node_is_down(c))
                        return;
        }
        sup_finish(s);
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
static void sup_give_up(sup_node *s, const sup_node *child, const sup_proc *failed) {
        sup_event e = { .type = SUP_EVENT_GAVE_UP, .priority = LOG_ERR };
        uint64_t period = s->cfg->period_usec;
        bool whole = period % USEC_PER_SEC == 0;
        size_t n = sup_window_count(&s->window, manager_now(s->m), period);
        char last[128];

        describe_failure(child, failed, last, sizeof(last));
        snprintf(e.node, sizeof(e.node), "%s", s->cfg->name);
        snprintf(e.detail, sizeof(e.detail), "cause=\"%zu restart%s in %llu %s, last: %.96s\"", n,
                 n == 1 ? "" : "s", (unsigned long long) (whole ? period / USEC_PER_SEC : period / USEC_PER_MSEC),
                 whole ? "s" : "ms", last);
        sup_events_emit(&s->m->events, &e);
        for (size_t i = 0; i < s->n_children; i++)
                s->marked[i] = true;
        s->then = THEN_FAIL;
        s->state = NODE_STOPPING;
        sup_continue(s);
}

/* CHILD of S failed and is to be restarted (its restart type said so).
 * FAILED is the proc whose failure it was, or NULL for a supervisor. */
static void sup_child_failed(sup_node *s, sup_node *child, uint64_t delay_usec, sup_proc *failed) {
        bool one_only;

        if (s->m->shutting_down || s->state == NODE_STOPPING || s->state == NODE_FAILED) {
                sup_continue(s);
                return;
        }

        if (child->cfg->supervisor && !sup_supervisor_restart_wanted(child->cfg->restart)) {
                node_emit(child, SUP_EVENT_NOT_RESTARTED, LOG_NOTICE);
                node_settled(child);
                return;
        }

        /* A failed supervisor that is to be restarted is merely down. */
        if (child->cfg->supervisor)
                child->state = NODE_DOWN;

        if (sup_window_add(&s->window, manager_now(s->m), s->cfg->intensity, s->cfg->period_usec)) {
                sup_give_up(s, child, failed);
                return;
        }

        /* A pool instance is restarted alone, whatever the strategy. */
        one_only = sup_restart_alone(s->cfg->strategy, failed, child->n_procs);
        if (one_only) {
                if (failed)
                        proc_restart_after(failed, delay_usec);
                else
                        node_start(child);
                return;
        }

        (void) sup_strategy_affected(s->cfg->strategy, s->n_children, child->index, s->marked);
        child->restart_delay_usec = failed ? delay_usec : USEC_INFINITY;
        s->then = THEN_RESTART;
        s->state = NODE_STOPPING;
        sup_continue(s);
}

/* A proc is down.  Either it was asked to stop (its supervisor goes on) or
 * it ended by itself: restart type, intensity and strategy decide. */
void node_proc_down(sup_proc *p) {
        upcall(p->group->m, (sup_upcall) { .kind = UPCALL_PROC_DOWN, .proc = p, .incarnation = p->incarnation });
}

static void proc_down_decide(sup_proc *p) {
        sup_node *g = p->group, *s = g->parent;
        sup_manager *m = g->m;
        uint64_t delay;

        if (!s) {
                /* Taken out of the tree by a reload, on its way elsewhere. */
                if (node_is_down(g))
                        g->state = NODE_DOWN;
                return;
        }
        if (p->stop_requested || m->shutting_down || g->state == NODE_STOPPING ||
            s->state != NODE_UP) {
                bool again = p->restart_requested;

                p->restart_requested = false;
                if (node_is_down(g) && g->state == NODE_STOPPING)
                        g->state = NODE_DOWN;
                else if (g->state == NODE_UP && again && !m->shutting_down && s->state == NODE_UP)
                        (void) proc_dispatch(p, PROC_EV_START);         /* the operator's restart of it */
                else if (g->state == NODE_UP && p->held)
                        node_proc_settled(p);                           /* a start sequence may wait on it */
                sup_continue(s);
                manager_check_ready(m);
                return;
        }

        /* A failed start (exec failed, or not ready in time) is abnormal,
         * however its process ended. */
        if (!sup_restart_wanted(g->cfg->restart, sup_exit_judged(p->exit, p->start_error ? p->start_error :
                                                                 p->health_failed ? ETIME : 0),
                                g->cfg->stop_signal)) {
                (void) proc_dispatch(p, PROC_EV_RETIRE);
                node_proc_event(p, SUP_EVENT_NOT_RESTARTED, LOG_INFO);
                node_proc_settled(p);
                return;
        }

        delay = sup_backoff_next(&p->backoff, g->cfg->backoff_usec, g->cfg->backoff_max_usec,
                                 sup_uptime(p->started_usec, p->start_error, manager_now(p->group->m)));
        sup_child_failed(s, g, delay, p);
        manager_check_ready(m);
}

static int names_put(sup_manager *m, sup_node *n);

static sup_node *node_new(sup_manager *m, const cfg_node *c, sup_node *parent) {
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

static sup_node *node_free(sup_node *n) {
        if (!n)
                return NULL;
        for (size_t i = 0; i < n->n_children; i++)
                node_free(n->children[i]);
        free(n->children);
        free(n->marked);
        sup_window_done(&n->window);
        for (size_t i = 0; i < n->n_procs; i++)
                proc_done(&n->procs[i]);
        free(n->procs);
        free(n);
        return NULL;
}

static int node_add_child(sup_node *s, sup_node *c) {
        sup_node **a = reallocarray(s->children, s->n_children + 1, sizeof(sup_node *));
        bool *mk;

        if (!a)
                return -ENOMEM;
        s->children = a;
        mk = reallocarray(s->marked, s->n_children + 1, sizeof(bool));
        if (!mk)
                return -ENOMEM;
        s->marked = mk;
        c->index = s->n_children;
        s->marked[s->n_children] = false;
        s->children[s->n_children++] = c;
        return 0;
}

/* Builds the live tree from the configuration: children in file order. */
static int tree_build(sup_manager *m) {
        cfg *c = m->cfg;
        _cleanup_free_ sup_node **by_index = calloc(c->n_nodes, sizeof(sup_node *));

        if (!by_index)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_nodes; i++) {
                by_index[i] = node_new(m, &c->nodes[i], NULL);
                if (!by_index[i]) {
                        for (size_t k = 0; k < i; k++)
                                if (!by_index[k]->parent && k != CFG_ROOT)
                                        node_free(by_index[k]);
                        node_free(by_index[CFG_ROOT]);
                        return -ENOMEM;
                }
        }
        m->root = by_index[CFG_ROOT];
        for (size_t i = 1; i < c->n_nodes; i++) {
                sup_node *parent = by_index[c->nodes[i].parent];
                by_index[i]->parent = parent;
                if (node_add_child(parent, by_index[i]) < 0) {
                        /* Free what is not linked yet; the rest goes with the root. */
                        for (size_t k = i; k < c->n_nodes; k++)
                                node_free(by_index[k]);
                        return -ENOMEM;
                }
        }
        for (size_t i = 0; i < c->n_nodes; i++)
                if (names_put(m, by_index[i]) < 0)
                        return -ENOMEM;
        return 0;
}

/* The environment children start from: airsupd's own, less what belongs to
 * airsupd's supervisor (its notify socket, its sockets, its watchdog). */
static int base_env_build(char ***ret) {
        static const char *const drop[] = {
                "NOTIFY_SOCKET=", "LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES=",
                "WATCHDOG_USEC=", "WATCHDOG_PID=", "AIRSUP_",
        };
        size_t n = 0;
        char **env = calloc(1, sizeof(char *));

        if (!env)
                return -ENOMEM;
        for (char **e = environ; e && *e; e++) {
                bool skip = false;
                for (size_t i = 0; i < ELEMENTSOF(drop); i++)
                        if (strncmp(*e, drop[i], strlen(drop[i])) == 0)
                                skip = true;
                if (skip)
                        continue;
                char **a = reallocarray(env, n + 2, sizeof(char *));
                if (!a) {
                        strv_free(env);
                        return -ENOMEM;
                }
                env = a;
                env[n] = strdup(*e);
                if (!env[n]) {
                        strv_free(env);
                        return -ENOMEM;
                }
                env[++n] = NULL;
        }
        *ret = env;
        return 0;
}

/* Takes C whatever happens: on failure it is freed with the rest. */
int manager_new(cfg *c, sd_event *e, sup_log_target log, bool debug, bool subreaper, sup_manager **ret) {
        _cleanup_(manager_freep) sup_manager *m = NULL;
        int r;

        m = calloc(1, sizeof(sup_manager));
        if (!m) {
                cfg_free(c);
                return -ENOMEM;
        }
        /* From here on manager_free() copes with whatever is set. */
        m->cfg = c;
        m->event = sd_event_ref(e);
        m->subreaper = subreaper;
        m->closer_fd = -EBADF;
        m->spawner_fd = -EBADF;
        m->proc_ops = &proc_ops_real;
        m->report = proc_on_report;
        m->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (m->null_fd < 0)
                return -errno;
        r = sup_events_init(&m->events, c->events, log, debug);
        if (r < 0)
                return r;
        r = sup_window_init(&m->shutdown_signals, 3);
        if (r < 0)
                return r;
        r = base_env_build(&m->base_env);
        if (r < 0)
                return r;
        r = sd_event_add_defer(e, &m->run_queue, manager_run, m);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(m->run_queue, SD_EVENT_OFF);
        if (r < 0)
                return r;
        r = tree_build(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

sup_manager *manager_free(sup_manager *m) {
        if (!m)
                return NULL;
        node_free(m->root);
        free(m->by_name);
        reload_free(m);
        broker_dead_free(m);
        m->run_queue = sd_event_source_disable_unref(m->run_queue);
        m->state_flush = sd_event_source_disable_unref(m->state_flush);
        state_flush(m->state);
        free(m->upcalls);
        sup_closer_stop(m, /* kill_it= */ false);
        sup_spawner_free(m);
        cgroup_teardown(m);
        cfg_free(m->cfg);
        strv_free(m->base_env);
        sup_window_done(&m->shutdown_signals);
        safe_close(m->null_fd);
        sup_events_done(&m->events);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

static const char *const node_state_names[_NODE_STATE_MAX] = {
        [NODE_DOWN] = "down",
        [NODE_UP] = "up",
        [NODE_STOPPING] = "stopping",
        [NODE_FAILED] = "failed",
};

DEFINE_STRING_TABLE(node_state, node_state, node_state_names, _NODE_STATE_MAX)

static int log_node(sup_node *n, unsigned depth, void *userdata) {
        sup_manager *m = userdata;

        sup_log(&m->events, LOG_INFO, "status %*s%s %s %s%s", (int) depth * 2, "", n->cfg->supervisor ?
                "supervisor" : "group", n->cfg->name, node_state_to_string(n->state), n->held ? " held" : "");
        for (size_t i = 0; i < n->n_procs; i++) {
                const sup_proc *p = &n->procs[i];
                sup_log(&m->events, LOG_INFO, "status %*s%s %s pid=%d incarnation=%u", (int) depth * 2 + 2, "",
                        p->name, proc_state_to_string(p->state), (int) p->pid, p->incarnation);
        }
        return 0;
}

void manager_log_status(sup_manager *m) {
        (void) manager_walk(m, log_node, m);
}

static int reopen_node(sup_node *n, unsigned depth, void *userdata) {
        (void) depth;
        (void) userdata;
        for (size_t i = 0; i < n->n_procs; i++) {
                log_sink_reopen(n->procs[i].sink_out);
                if (n->procs[i].sink_err != n->procs[i].sink_out)
                        log_sink_reopen(n->procs[i].sink_err);
        }
        return 0;
}

void manager_reopen_logs(sup_manager *m) {
        (void) manager_walk(m, reopen_node, NULL);
}

static int put_live(sup_node *n, unsigned depth, void *userdata) {
        FILE *f = userdata;

        (void) depth;
        for (size_t i = 0; i < n->n_procs; i++)
                if (n->procs[i].pgid > 0)
                        state_compact_put(f, n->procs[i].pgid, n->procs[i].name);
        return 0;
}

static int count_live(sup_node *n, unsigned depth, void *userdata) {
        size_t *count = userdata;

        (void) depth;
        for (size_t i = 0; i < n->n_procs; i++)
                *count += n->procs[i].pgid > 0;
        return 0;
}

/* Writes the queued starts and ends (an idle-priority defer source: after
 * the restarts of this iteration); rewrites the list from the live
 * processes once it is mostly ends. */
static int state_flush_now(sd_event_source *src, void *userdata) {
        sup_manager *m = userdata;
        size_t live = 0;
        FILE *f;

        (void) src;
        state_flush(m->state);
        if (m->state->lines < 1024 || m->state->lines < 4 * m->state_compacted + 1024)
                return 0;
        (void) manager_walk(m, count_live, &live);
        if (state_compact_begin(m->state, &f) < 0)
                return 0;
        (void) manager_walk(m, put_live, f);
        if (state_compact_end(m->state, f, live) >= 0)
                m->state_compacted = live;
        return 0;
}

static void state_schedule(sup_manager *m) {
        if (!m->state_flush) {
                if (sd_event_add_defer(m->event, &m->state_flush, state_flush_now, m) < 0 ||
                    sd_event_source_set_priority(m->state_flush, SD_EVENT_PRIORITY_IDLE) < 0) {
                        m->state_flush = sd_event_source_disable_unref(m->state_flush);
                        state_flush(m->state);  /* no source: at once */
                        return;
                }
        }
        (void) sd_event_source_set_enabled(m->state_flush, SD_EVENT_ONESHOT);
}

void manager_state_started(sup_manager *m, sup_proc *p) {
        if (!m->state)
                return;
        state_started(m->state, p->pid, p->name);
        state_schedule(m);
}

void manager_state_ended(sup_manager *m, pid_t pgid) {
        if (!m->state)
                return;
        state_ended(m->state, pgid);
        state_schedule(m);
}

void manager_start(sup_manager *m) {
        node_start(m->root);
        manager_check_ready(m);
}

void manager_shutdown(sup_manager *m, int exit_status) {
        if (m->shutting_down)
                return;
        m->shutting_down = true;
        m->exit_status = exit_status;
        reload_abort(m);
        node_emit(m->root, SUP_EVENT_SHUTDOWN, LOG_NOTICE);
        (void) sd_notify(false, "STOPPING=1");
        /* A root that is already stopping (it gave up) finishes as it is. */
        if (m->root->state == NODE_STOPPING)
                return;
        node_stop(m->root);
}

static void kill_all(sup_node *n) {
        for (size_t i = n->n_children; i-- > 0;)
                kill_all(n->children[i]);
        for (size_t i = n->n_procs; i-- > 0;) {
                sup_proc *p = &n->procs[i];
                if (!p->main_alive && p->pgid <= 0)
                        continue;
                node_proc_event(p, SUP_EVENT_KILLING, LOG_WARNING);
                if (p->cgroup.fd >= 0) {
                        cgroup_signal(p, SIGKILL);
                        continue;
                }
                if (p->main_alive && p->pidfd >= 0)
                        (void) pidfd_send_signal(p->pidfd, SIGKILL, NULL, 0);
                if (p->pgid > 0)
                        (void) kill(-p->pgid, SIGKILL);
        }
}

/* A forced shutdown: SIGKILL to every process of every group, and out.
 * Their exits are not waited for; the exit status says it was forced. */
void manager_kill_all(sup_manager *m) {
        kill_all(m->root);
        sd_event_exit(m->event, 1);
}

/* The index of the tree's nodes by name.  Nodes join it as they join
 * the tree (tree_build(), manager_node_attach(), _attach_many()) and leave it with the
 * subtree they leave it with (manager_node_detach()); what a reload
 * holds out of the tree or has not put in place yet is not in it.  A
 * look-up walked the whole tree before: `airsupctl events NAME` did two
 * per event of the history, 8 s of a frozen loop with 100,000 nodes. */
static sup_node names_gone;             /* a tombstone */
#define NAME_GONE (&names_gone)

static uint64_t names_hash(const char *s) {
        uint64_t h = UINT64_C(14695981039346656037);

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * UINT64_C(1099511628211);
        return h;
}

static void names_slot_put(sup_node **slots, size_t cap, sup_node *n) {
        size_t k = (size_t) names_hash(n->cfg->name) & (cap - 1);

        while (slots[k] && slots[k] != NAME_GONE)
                k = (k + 1) & (cap - 1);
        slots[k] = n;
}

/* At most half full, tombstones included: rebuilt (without them) when
 * that would no longer hold. */
static int names_put(sup_manager *m, sup_node *n) {
        if ((m->by_name_used + 1) * 2 > m->by_name_cap) {
                size_t live = 0, cap = 64;
                sup_node **a;

                for (size_t k = 0; k < m->by_name_cap; k++)
                        live += m->by_name[k] && m->by_name[k] != NAME_GONE;
                while ((live + 1) * 4 > cap)
                        cap *= 2;
                a = calloc(cap, sizeof(sup_node *));
                if (!a)
                        return -ENOMEM;
                for (size_t k = 0; k < m->by_name_cap; k++)
                        if (m->by_name[k] && m->by_name[k] != NAME_GONE)
                                names_slot_put(a, cap, m->by_name[k]);
                free(m->by_name);
                m->by_name = a;
                m->by_name_cap = cap;
                m->by_name_used = live;
        }
        names_slot_put(m->by_name, m->by_name_cap, n);
        m->by_name_used++;
        return 0;
}

static void names_del(sup_manager *m, const sup_node *n) {
        if (!m->by_name)
                return;
        for (size_t k = (size_t) names_hash(n->cfg->name) & (m->by_name_cap - 1); m->by_name[k];
             k = (k + 1) & (m->by_name_cap - 1))
                if (m->by_name[k] == n) {
                        m->by_name[k] = NAME_GONE;
                        return;
                }
}

/* N and what is below it (as deep as the tree: CFG_DEPTH_MAX). */
static int names_put_subtree(sup_manager *m, sup_node *n) {
        int r = names_put(m, n);

        for (size_t i = 0; r >= 0 && i < n->n_children; i++)
                r = names_put_subtree(m, n->children[i]);
        return r;
}

static void names_del_subtree(sup_manager *m, const sup_node *n) {
        names_del(m, n);
        for (size_t i = 0; i < n->n_children; i++)
                names_del_subtree(m, n->children[i]);
}

static bool in_tree(const sup_manager *m, const sup_node *n) {
        while (n->parent)
                n = n->parent;
        return n == m->root;
}

sup_node *manager_find_node(sup_manager *m, const char *name) {
        if (!m || !name || !m->by_name)
                return NULL;
        for (size_t k = (size_t) names_hash(name) & (m->by_name_cap - 1); m->by_name[k];
             k = (k + 1) & (m->by_name_cap - 1)) {
                sup_node *n = m->by_name[k];

                if (n != NAME_GONE && strcmp(n->cfg->name, name) == 0)
                        return n;
        }
        return NULL;
}

int manager_find_proc(sup_manager *m, const char *name, sup_proc **ret) {
        char group[96];
        unsigned i = 0;
        sup_node *n;
        int br;

        if (!m || !name || !ret)
                return -EINVAL;
        br = cfg_parse_instance_name(name, group, sizeof(group), &i);
        if (br < 0)
                return -EINVAL;
        name = group;
        n = manager_find_node(m, name);
        if (!n)
                return -ENOENT;
        if (n->cfg->supervisor)
                return -EISDIR;
        /* A pool's instances are named by index; a single group by its name. */
        if (!br && n->n_procs > 1)
                return -EINVAL;
        if (i >= n->n_procs)
                return -ENOENT;
        *ret = &n->procs[i];
        return 0;
}

static int walk(sup_node *n, unsigned depth, manager_walk_fn fn, void *userdata) {
        int r = fn(n, depth, userdata);

        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n_children; i++) {
                r = walk(n->children[i], depth + 1, fn, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

int manager_walk(sup_manager *m, manager_walk_fn fn, void *userdata) {
        if (!m || !fn)
                return -EINVAL;
        return walk(m->root, 0, fn, userdata);
}

/* The operator's verbs.  Each acts only while the node's supervisor is up
 * and not in the middle of a stop of its own (-EBUSY otherwise): the verbs
 * never race a strategy's restart.  The root is stopped by a shutdown. */
static int verb_check(sup_manager *m, sup_node *n) {
        if (!m || !n)
                return -EINVAL;
        if (m->shutting_down)
                return -ESHUTDOWN;
        if (!n->parent)
                return -EPERM;
        if (n->parent->state != NODE_UP || n->parent->then != THEN_NONE)
                return -EBUSY;
        return 0;
}

int manager_stop_node(sup_manager *m, sup_node *n) {
        int r = verb_check(m, n);

        if (r < 0)
                return r;
        n->held = true;
        if (!node_is_down(n) && n->state != NODE_STOPPING)
                node_stop(n);
        return 0;
}

/* A start or restart of a group is of all of it: no instance stays held. */
static void release_procs(sup_node *n) {
        for (size_t i = 0; i < n->n_procs; i++)
                n->procs[i].held = false;
}

int manager_start_node(sup_manager *m, sup_node *n) {
        int r = verb_check(m, n);

        if (r < 0)
                return r;
        n->held = false;
        release_procs(n);
        if (n->state == NODE_UP)
                for (size_t i = 0; i < n->n_procs; i++)
                        if (n->procs[i].state == PROC_STOPPED)
                                (void) proc_dispatch(&n->procs[i], PROC_EV_START);
        if (!node_is_down(n) || n->state == NODE_STOPPING)
                return node_is_down(n) && n->state == NODE_STOPPING ? -EBUSY : 0;
        /* Asked for: a temporary child or one that gave up starts again too. */
        n->ever_started = false;
        n->state = NODE_DOWN;
        node_start(n);
        return 0;
}

int manager_restart_node(sup_manager *m, sup_node *n) {
        sup_node *s;
        int r = verb_check(m, n);

        if (r < 0)
                return r;
        if (node_is_down(n))
                return manager_start_node(m, n);
        if (n->state == NODE_STOPPING)
                return -EBUSY;
        /* Stop it and start it again in order, as a strategy restart does,
         * but asked for: not counted toward its supervisor's intensity. */
        s = n->parent;
        n->held = false;
        release_procs(n);
        n->ever_started = false;
        for (size_t i = 0; i < s->n_children; i++)
                s->marked[i] = i == n->index;
        s->then = THEN_RESTART;
        s->state = NODE_STOPPING;
        sup_continue(s);
        return 0;
}

/* One instance of a pool.  Its group must be running for it to start:
 * an instance is not a way around its group's stop, or its give-up. */
static int proc_verb_check(sup_manager *m, sup_proc *p, bool starting) {
        int r;

        if (!p)
                return -EINVAL;
        r = verb_check(m, p->group);
        if (r < 0)
                return r;
        if (starting && p->group->state != NODE_UP)
                return p->group->state == NODE_STOPPING ? -EBUSY : -ENOTCONN;
        return 0;
}

int manager_stop_proc(sup_manager *m, sup_proc *p) {
        int r = proc_verb_check(m, p, false);

        if (r < 0)
                return r;
        p->held = true;
        p->restart_requested = false;
        if (!proc_is_down(p))
                (void) proc_dispatch(p, PROC_EV_STOP);
        return 0;
}

int manager_start_proc(sup_manager *m, sup_proc *p) {
        int r = proc_verb_check(m, p, true);

        if (r < 0)
                return r;
        p->held = false;
        /* Down for any reason (held, ended, not restarted), or waiting out
         * its backoff: asked for, it starts now. */
        if (proc_is_down(p) || p->state == PROC_BACKOFF)
                (void) proc_dispatch(p, PROC_EV_START);
        return 0;
}

int manager_restart_proc(sup_manager *m, sup_proc *p) {
        int r = proc_verb_check(m, p, true);

        if (r < 0)
                return r;
        if (proc_is_down(p) || p->state == PROC_BACKOFF)
                return manager_start_proc(m, p);
        if (p->state == PROC_STOPPING || p->state == PROC_KILLING)
                return -EBUSY;
        /* Down as asked (not a failure, not counted), then up again. */
        p->held = false;
        p->restart_requested = true;
        (void) proc_dispatch(p, PROC_EV_STOP);
        return 0;
}

static unsigned signal_tree(sup_node *n, int sig) {
        unsigned k = 0;

        for (size_t i = 0; i < n->n_children; i++)
                k += signal_tree(n->children[i], sig);
        /* Each process of the instance: its process group, and a main
         * process outside it, once each (proc_ops.signal). */
        for (size_t i = 0; i < n->n_procs; i++)
                if (n->procs[i].main_alive && n->procs[i].pidfd >= 0) {
                        n->m->proc_ops->signal(&n->procs[i], sig);
                        k++;
                }
        return k;
}

int manager_signal_node(sup_manager *m, sup_node *n, int sig) {
        unsigned k;

        if (!m || !n || sig <= 0 || sig >= NSIG)
                return -EINVAL;
        k = signal_tree(n, sig);
        return k > 0 ? (int) k : -ESRCH;
}

static sup_proc *find_pid(sup_node *n, pid_t pid) {
        for (size_t i = 0; i < n->n_children; i++) {
                sup_proc *p = find_pid(n->children[i], pid);
                if (p)
                        return p;
        }
        for (size_t i = 0; i < n->n_procs; i++)
                if (n->procs[i].pid == pid && n->procs[i].main_alive)
                        return &n->procs[i];
        return NULL;
}

sup_proc *manager_find_pid(sup_manager *m, pid_t pid) {
        return find_pid(m->root, pid);
}

static void group_check_all(sup_node *n) {
        for (size_t i = 0; i < n->n_children; i++)
                group_check_all(n->children[i]);
        for (size_t i = 0; i < n->n_procs; i++)
                proc_group_check(&n->procs[i]);
}

/* SIGCHLD: collect every exited child.  A supervised main process is handed
 * to its proc (whose pidfd may not have been seen yet); anything else is an
 * orphan that was reparented to us as a subreaper or PID 1. */
void manager_reap(sup_manager *m) {
        bool orphans = false;

        for (;;) {
                siginfo_t si = {};
                sup_proc *p;

                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
                        break;
                p = manager_find_pid(m, si.si_pid);
                if (p && proc_main_exited(p))
                        continue;
                p = probe_find_pid(m, si.si_pid);
                if (p && probe_exited(p))
                        continue;
                (void) waitid(P_PID, (id_t) si.si_pid, &si, WEXITED | WNOHANG);
                orphans = true;
                sup_log(&m->events, LOG_DEBUG, "reaped orphan %d", (int) si.si_pid);
        }
        if (orphans)
                group_check_all(m->root);
}

/* What a reload does to the tree (reload.c drives it).  Nodes come and go
 * only here, from the run queue's end or a control request, never while
 * a supervisor is in the middle of a decision. */

/* Queued upcalls of N's subtree are dropped: it is leaving the tree. */
static bool in_subtree(const sup_node *x, const sup_node *top) {
        for (; x; x = x->parent)
                if (x == top)
                        return true;
        return false;
}

/* Whether X or a supervisor above it is in manager_nodes_detach(). */
static bool leaving(const sup_node *x) {
        for (; x; x = x->parent)
                if (x->leaving)
                        return true;
        return false;
}

/* N == NULL and PROCS == NULL: what is below a node that is leaving. */
static void upcalls_forget(sup_manager *m, const sup_node *n, const sup_proc *procs, size_t n_procs) {
        for (size_t i = 0; i < m->up_n; i++) {
                sup_upcall *u = &m->upcalls[(m->up_head + i) % m->up_cap];
                const sup_node *x = u->kind == UPCALL_NODE_DOWN ? u->node : u->proc ? u->proc->group : NULL;

                if (u->kind == UPCALL_NONE)
                        continue;
                if ((n && x && in_subtree(x, n)) || (procs && u->proc >= procs && u->proc < procs + n_procs) ||
                    (!n && !procs && x && leaving(x)))
                        u->kind = UPCALL_NONE;
        }
        /* What was forgotten at the end of the queue goes: a node that
         * leaves right after it reported itself down (a reload removing
         * thousands) must not leave the queue longer for the next. */
        while (m->up_n > 0 && m->upcalls[(m->up_head + m->up_n - 1) % m->up_cap].kind == UPCALL_NONE)
                m->up_n--;
}

sup_node *manager_node_new(sup_manager *m, const cfg_node *c) {
        return node_new(m, c, NULL);
}

bool manager_node_down(const sup_node *n) {
        return node_is_down(n) && n->state != NODE_STOPPING;
}

bool manager_node_settled(const sup_node *n) {
        const sup_node *s = n->parent;

        return n->m->shutting_down || node_ready(n) || node_gone(n) || n->state == NODE_FAILED ||
               (s && (s->state != NODE_UP || s->then != THEN_NONE));
}

bool manager_node_quiet(const sup_node *s) {
        return s->then == THEN_NONE && (s->state != NODE_UP || s->start_next >= s->n_children);
}

void manager_node_stop(sup_manager *m, sup_node *n) {
        (void) m;
        n->held = true;
        if (!node_is_down(n) && n->state != NODE_STOPPING)
                node_stop(n);
}

void manager_node_detach(sup_manager *m, sup_node *n) {
        sup_node *s = n->parent;

        upcalls_forget(m, n, NULL, 0);
        if (!s)
                return;
        if (in_tree(m, n))
                names_del_subtree(m, n);
        for (size_t i = n->index + 1; i < s->n_children; i++) {
                s->children[i - 1] = s->children[i];
                s->marked[i - 1] = s->marked[i];
                s->children[i - 1]->index = i - 1;
        }
        s->n_children--;
        if (s->start_next > n->index)
                s->start_next--;
        n->parent = NULL;
        n->index = 0;
        /* A supervisor waiting to start this child goes on without it. */
        if (s->state == NODE_UP && s->then == THEN_NONE && s->start_next < s->n_children)
                sup_start_next(s);
        else if (s->then != THEN_NONE)
                sup_continue(s);
}

static void forget_senders(sup_manager *m, sup_node *n) {
        for (size_t i = 0; i < n->n_children; i++)
                forget_senders(m, n->children[i]);
        for (size_t i = 0; i < n->n_procs; i++)
                broker_sender_moved(m, &n->procs[i], NULL);
}

void manager_node_free(sup_manager *m, sup_node *n) {
        if (!n)
                return;
        if (n->parent)
                manager_node_detach(m, n);
        upcalls_forget(m, n, NULL, 0);
        forget_senders(m, n);
        node_free(n);
}

static int ptr_cmp(const void *x, const void *y) {
        uintptr_t a = (uintptr_t) *(sup_node *const *) x, b = (uintptr_t) *(sup_node *const *) y;

        return a < b ? -1 : a > b;
}

void manager_nodes_detach(sup_manager *m, sup_node **nodes, size_t n) {
        _cleanup_free_ sup_node **parents = NULL;
        size_t n_parents = 0;

        if (n == 0)
                return;         /* not even a pass over the run queue */
        parents = calloc(n, sizeof(sup_node *));
        if (!parents) {
                /* One at a time, then: slower, not wrong. */
                for (size_t j = 0; j < n; j++)
                        manager_node_detach(m, nodes[j]);
                return;
        }
        for (size_t j = 0; j < n; j++) {
                nodes[j]->leaving = true;
                if (nodes[j]->parent) {
                        if (in_tree(m, nodes[j]))
                                names_del_subtree(m, nodes[j]);
                        parents[n_parents++] = nodes[j]->parent;
                }
        }
        upcalls_forget(m, NULL, NULL, 0);
        qsort(parents, n_parents, sizeof(sup_node *), ptr_cmp);
        /* Each supervisor's children without those that leave, in one pass. */
        for (size_t j = 0; j < n_parents; j++) {
                sup_node *s = parents[j];
                size_t w = 0, before = 0;

                if (j > 0 && parents[j - 1] == s)
                        continue;
                for (size_t i = 0; i < s->n_children; i++) {
                        sup_node *c = s->children[i];

                        if (c->leaving) {
                                before += i < s->start_next;
                                c->parent = NULL;
                                c->index = 0;
                                continue;
                        }
                        s->children[w] = c;
                        s->marked[w] = s->marked[i];
                        c->index = w++;
                }
                s->n_children = w;
                s->start_next -= before;
        }
        for (size_t j = 0; j < n; j++)
                nodes[j]->leaving = false;
        /* As manager_node_detach(): a supervisor waiting to start one of
         * them goes on without it. */
        for (size_t j = 0; j < n_parents; j++) {
                sup_node *s = parents[j];

                if (j > 0 && parents[j - 1] == s)
                        continue;
                if (s->state == NODE_UP && s->then == THEN_NONE && s->start_next < s->n_children)
                        sup_start_next(s);
                else if (s->then != THEN_NONE)
                        sup_continue(s);
        }
}

void manager_nodes_free(sup_manager *m, sup_node **nodes, size_t n) {
        /* Their upcalls, and those of what is below them, went with the
         * detach (one pass over the run queue for all). */
        manager_nodes_detach(m, nodes, n);
        for (size_t j = 0; j < n; j++) {
                forget_senders(m, nodes[j]);
                node_free(nodes[j]);
        }
}

int manager_node_attach(sup_manager *m, sup_node *s, sup_node *n, size_t index) {
        int r;

        if (index > s->n_children)
                index = s->n_children;
        r = node_add_child(s, n);
        if (r < 0)
                return r;
        for (size_t i = s->n_children - 1; i > index; i--) {
                s->children[i] = s->children[i - 1];
                s->marked[i] = s->marked[i - 1];
                s->children[i]->index = i;
        }
        s->children[index] = n;
        s->marked[index] = false;
        n->index = index;
        n->parent = s;
        n->ever_started = false;
        if (s->start_next > index)
                s->start_next++;
        if (in_tree(m, n) && names_put_subtree(m, n) < 0) {
                /* Not to be found by name is worse than not to be there. */
                manager_node_detach(m, n);
                return -ENOMEM;
        }
        return 0;
}

int manager_node_kick(sup_manager *m, sup_node *s, size_t index) {
        if (m->shutting_down || s->state != NODE_UP)
                return 0;
        if (s->then != THEN_NONE)
                return -EBUSY;
        /* Started already, by the sequence an earlier kick began: going
         * over S's children again would say S is ready once more, for
         * each of thousands of nodes a reload adds. */
        if (index < s->n_children && s->children[index]->state != NODE_DOWN)
                return 0;
        if (index < s->start_next)
                s->start_next = index;
        sup_start_next(s);
        return 0;
}

int manager_node_restart_children(sup_manager *m, sup_node *s, const bool *which) {
        bool any = false;

        if (m->shutting_down)
                return -ESHUTDOWN;
        if (s->state != NODE_UP || s->then != THEN_NONE)
                return -EBUSY;
        for (size_t i = 0; i < s->n_children; i++) {
                s->marked[i] = which[i];
                any |= which[i];
        }
        if (!any)
                return 0;
        /* As the operator's restart: not counted toward S's intensity. */
        s->then = THEN_RESTART;
        s->state = NODE_STOPPING;
        sup_continue(s);
        return 0;
}

typedef struct ranked {
        int rank;
        size_t pos;                     /* where it was: equal ranks keep their order */
        sup_node *n;
        bool marked;                    /* goes with it */
} ranked;

static int ranked_cmp(const void *x, const void *y) {
        const ranked *a = x, *b = y;

        if (a->rank != b->rank)
                return a->rank < b->rank ? -1 : 1;
        return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* S's children sorted by RANK, their indexes set; -ENOMEM only. */
static int children_sort(sup_node *s, int (*rank)(const sup_node *c, void *userdata), void *userdata) {
        _cleanup_free_ ranked *a = NULL;

        if (s->n_children < 2)
                return 0;
        /* Sorted, not insertion-sorted: a reload may reverse the order of
         * thousands of children, and that was quadratic. */
        a = calloc(s->n_children, sizeof(ranked));
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_children; i++)
                a[i] = (ranked) { rank(s->children[i], userdata), i, s->children[i], s->marked[i] };
        qsort(a, s->n_children, sizeof(ranked), ranked_cmp);
        for (size_t i = 0; i < s->n_children; i++) {
                s->children[i] = a[i].n;
                s->marked[i] = a[i].marked;
                a[i].n->index = i;
        }
        return 0;
}

int manager_node_reorder(sup_manager *m, sup_node *s, int (*rank)(const sup_node *c, void *userdata), void *userdata) {
        (void) m;
        if (!manager_node_quiet(s))
                return -EBUSY;
        return children_sort(s, rank, userdata);
}

int manager_node_attach_many(sup_manager *m, sup_node *s, sup_node **nodes, size_t n,
                             int (*rank)(const sup_node *c, void *userdata), void *userdata) {
        /* The child S's start sequence waits on, if any: it still does. */
        sup_node *waiting = s->start_next < s->n_children ? s->children[s->start_next] : NULL;
        size_t was = s->n_children;
        sup_node **a;
        bool *mk;
        int r;

        if (n == 0)
                return 0;
        a = reallocarray(s->children, was + n, sizeof(sup_node *));
        if (!a)
                return -ENOMEM;
        s->children = a;
        mk = reallocarray(s->marked, was + n, sizeof(bool));
        if (!mk)
                return -ENOMEM;
        s->marked = mk;
        for (size_t j = 0; j < n; j++) {
                s->children[was + j] = nodes[j];
                s->marked[was + j] = false;
                nodes[j]->index = was + j;
                nodes[j]->parent = s;
                nodes[j]->ever_started = false;
        }
        s->n_children = was + n;
        r = children_sort(s, rank, userdata);
        s->start_next = waiting ? waiting->index : s->n_children;
        if (r >= 0 && in_tree(m, s))
                for (size_t j = 0; r >= 0 && j < n; j++)
                        r = names_put_subtree(m, nodes[j]);
        if (r < 0) {
                /* Taken out again: S's children as they were, in order. */
                for (size_t j = 0; j < n; j++)
                        manager_node_detach(m, nodes[j]);
                return r;
        }
        return 0;
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
        upcalls_forget(m, NULL, old, n_old);
        n->cfg = c;
        for (unsigned i = 0; i < c->instances; i++) {
                proc_init(&procs[i], n, i);
                if (i >= n_old)
                        continue;
                procs[i].broker.box = old[i].broker.box;
                old[i].broker.box = NULL;
                procs[i].broker.lanes_out = old[i].broker.lanes_out;
                procs[i].incarnation = old[i].incarnation;
                procs[i].held = old[i].held;
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
 * running processes: rotation, limits, probes. */
static void node_reconfigure(sup_node *n, const cfg_node *c) {
        const cfg_node *was = n->cfg;

        n->next_cfg = NULL;
        if (c->supervisor) {
                if (c->intensity != was->intensity && sup_window_resize(&n->window, c->intensity) < 0)
                        sup_log(&n->m->events, LOG_ERR, "%s: out of memory for its new intensity", c->name);
                n->cfg = c;
                return;
        }
        if (node_is_down(n) && c->instances != n->n_procs) {
                if (group_resize(n, c) < 0) {
                        sup_log(&n->m->events, LOG_ERR, "%s: out of memory for %u instances, keeping %zu",
                                c->name, c->instances, n->n_procs);
                        return;
                }
                return;
        }
        n->cfg = c;
        for (size_t i = 0; i < n->n_procs; i++) {
                sup_proc *p = &n->procs[i];
                bool outputs = was->out != c->out || was->err != c->err ||
                               (was->out_path && c->out_path && strcmp(was->out_path, c->out_path) != 0) ||
                               (was->err_path && c->err_path && strcmp(was->err_path, c->err_path) != 0) ||
                               !was->out_path != !c->out_path || !was->err_path != !c->err_path;

                if (outputs && proc_is_down(p)) {
                        /* Opened anew, as the new settings say, at its start. */
                        if (p->sink_err != p->sink_out)
                                p->sink_err = log_sink_free(p->sink_err);
                        p->sink_err = NULL;
                        p->sink_out = log_sink_free(p->sink_out);
                } else {
                        log_sink_set_rotation(p->sink_out, c->log_max, c->log_keep);
                        log_sink_set_rotation(p->sink_err, c->log_max, c->log_keep);
                }
                if (p->cgroup.fd >= 0)
                        cgroup_proc_limits(p, was);
                if (p->state == PROC_READY &&
                    (was->health != c->health || was->health_interval_usec != c->health_interval_usec ||
                     was->health_timeout_usec != c->health_timeout_usec ||
                     was->health_threshold != c->health_threshold ||
                     (was->health_command && c->health_command && strcmp(was->health_command, c->health_command) != 0) ||
                     !was->health_command != !c->health_command)) {
                        probe_stop(p);
                        probe_ready(p);
                }
        }
}

void manager_node_reconfigure(sup_manager *m, sup_node *n, const cfg_node *c) {
        (void) m;
        /* Settings that need a restart wait for its start while it runs. */
        if (!c->supervisor && !node_is_down(n) && reload_group_restarts(n->cfg, c)) {
                n->next_cfg = c;
                return;
        }
        node_reconfigure(n, c);
}

void manager_node_set_next(sup_manager *m, sup_node *n, const cfg_node *c) {
        (void) m;
        n->next_cfg = c;
}
