/* verbs.c - the operator's verbs (manager.h): stop, start, restart and
 * signal a node, and stop, start and restart one instance of a pool. */
#include <errno.h>
#include <signal.h>

#include "supervisor/core/manager.h"
#include "supervisor/core/proc.h"
#include "supervisor/core/tree-internal.h"

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
        if (n->parent->state != NODE_UP)
                return -EBUSY;
        return 0;
}

int manager_stop_node(sup_manager *m, sup_node *n) {
        int r = verb_check(m, n);

        if (r < 0)
                return r;
        node_hold(n, true);
        if (!node_is_down(n) && !node_stopping(n))
                node_stop(n);
        return 0;
}

/* The next start of every process under N is the operator's, not a
 * restart by its supervisor. */
static void mark_operator_start(sup_node *n) {
        for (size_t i = 0; i < n->n_children; i++)
                mark_operator_start(n->children[i]);
        for (size_t i = 0; i < n->n_procs; i++)
                n->procs[i].operator_start = true;
}

/* A start or restart of a group is of all of it: no instance stays held. */
static void release_procs(sup_node *n) {
        for (size_t i = 0; i < n->n_procs; i++)
                proc_hold(&n->procs[i], false);
}

int manager_start_node(sup_manager *m, sup_node *n) {
        int r = verb_check(m, n);

        if (r < 0)
                return r;
        node_hold(n, false);
        release_procs(n);
        if (n->state == NODE_UP)
                for (size_t i = 0; i < n->n_procs; i++)
                        if (n->procs[i].state == PROC_STOPPED) {
                                n->procs[i].operator_start = true;
                                (void) proc_dispatch(&n->procs[i], PROC_EV_START);
                        }
        if (!node_is_down(n) || node_stopping(n))
                return node_is_down(n) && node_stopping(n) ? -EBUSY : 0;
        /* Asked for: a temporary child or one that gave up starts again too. */
        node_set_ever_started(n, false);
        node_set_state(n, NODE_DOWN);
        mark_operator_start(n);
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
        if (node_stopping(n))
                return -EBUSY;
        /* Stop it and start it again in order, as a strategy restart does,
         * but asked for: not counted toward its supervisor's intensity. */
        s = n->parent;
        node_hold(n, false);
        release_procs(n);
        mark_operator_start(n);
        node_set_ever_started(n, false);
        for (size_t i = 0; i < s->n_children; i++)
                node_mark(s->children[i], i == n->index);
        return node_dispatch(s, NODE_EV_RESTART_CHILDREN, NULL);
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
                return node_stopping(p->group) ? -EBUSY : -ENOTCONN;
        return 0;
}

int manager_stop_proc(sup_manager *m, sup_proc *p) {
        int r = proc_verb_check(m, p, false);

        if (r < 0)
                return r;
        proc_hold(p, true);
        proc_want_restart(p, false);
        if (!proc_is_down(p))
                (void) proc_dispatch(p, PROC_EV_STOP);
        return 0;
}

int manager_start_proc(sup_manager *m, sup_proc *p) {
        int r = proc_verb_check(m, p, true);

        if (r < 0)
                return r;
        proc_hold(p, false);
        /* Down for any reason (held, ended, not restarted), or waiting out
         * its backoff: asked for, it starts now. */
        if (proc_is_down(p) || p->state == PROC_BACKOFF) {
                p->operator_start = true;
                (void) proc_dispatch(p, PROC_EV_START);
        }
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
        proc_hold(p, false);
        proc_want_restart(p, true);
        p->operator_start = true;
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

