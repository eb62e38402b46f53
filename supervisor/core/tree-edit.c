/* tree-edit.c - what a reload does to the tree (reload.c drives it,
 * through manager.h): nodes made, attached, started by a kick, stopped,
 * detached and freed, a supervisor's children restarted or reordered, a
 * node's new settings taken.  Nodes come and go only here, from the run
 * queue's end or a control request, never while a supervisor is in the
 * middle of a decision. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "common/cleanup.h"
#include "supervisor/core/manager.h"
#include "supervisor/core/proc.h"
#include "supervisor/core/tree-internal.h"
#include "supervisor/messages/broker.h"
#include "supervisor/output/logsink.h"
#include "supervisor/start/cgroup.h"
#include "supervisor/watch/probe.h"

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

typedef struct forget_what {
        const sup_node *n;
        const sup_proc *procs;
        size_t n_procs;
} forget_what;

static bool forget_match(const sup_upcall *u, void *userdata) {
        const forget_what *w = userdata;
        const sup_node *x = u->kind == UPCALL_NODE_DOWN ? u->node : u->proc ? u->proc->group : NULL;

        return (w->n && x && in_subtree(x, w->n)) || (w->procs && u->proc >= w->procs && u->proc < w->procs + w->n_procs) ||
               (!w->n && !w->procs && x && leaving(x));
}

/* N == NULL and PROCS == NULL: what is below a node that is leaving. */
static void upcalls_forget(sup_manager *m, const sup_node *n, const sup_proc *procs, size_t n_procs) {
        runq_forget(m, forget_match, &(forget_what) { n, procs, n_procs });
}

sup_node *manager_node_new(sup_manager *m, const cfg_node *c) {
        return node_new(m, c, NULL);
}

bool manager_node_down(const sup_node *n) {
        return node_is_down(n) && !node_stopping(n);
}

bool manager_node_settled(const sup_node *n) {
        const sup_node *s = n->parent;

        return n->m->shutting_down || node_ready(n) || node_gone(n) || n->state == NODE_FAILED ||
               (s && (s->state != NODE_UP || node_stopping_children(s)));
}

bool manager_node_quiet(const sup_node *s) {
        return !node_stopping_children(s) && (s->state != NODE_UP || s->start_next >= s->n_children);
}

bool manager_node_stopping_children(const sup_node *s) {
        return node_stopping_children(s);
}

void manager_node_stop(sup_manager *m, sup_node *n) {
        (void) m;
        node_hold(n, true);
        if (!node_is_down(n) && !node_stopping(n))
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
                s->children[i - 1]->index = i - 1;
        }
        s->n_children--;
        if (s->start_next > n->index)
                s->start_next--;
        n->parent = NULL;
        n->index = 0;
        /* A supervisor waiting to start this child goes on without it. */
        if (s->state == NODE_UP && s->start_next < s->n_children)
                sup_start_next(s);
        else
                (void) node_dispatch(s, NODE_EV_CHILD_DOWN, NULL);
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
                if (s->state == NODE_UP && s->start_next < s->n_children)
                        sup_start_next(s);
                else
                        (void) node_dispatch(s, NODE_EV_CHILD_DOWN, NULL);
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
                s->children[i]->index = i;
        }
        s->children[index] = n;
        node_mark(n, false);
        n->index = index;
        n->parent = s;
        node_set_ever_started(n, false);
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
        if (node_stopping_children(s))
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
        if (s->state != NODE_UP)
                return -EBUSY;
        for (size_t i = 0; i < s->n_children; i++) {
                node_mark(s->children[i], which[i]);
                any |= which[i];
        }
        if (!any)
                return 0;
        /* As the operator's restart: not counted toward S's intensity. */
        return node_dispatch(s, NODE_EV_RESTART_CHILDREN, NULL);
}

typedef struct ranked {
        int rank;
        size_t pos;                     /* where it was: equal ranks keep their order */
        sup_node *n;
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
                a[i] = (ranked) { rank(s->children[i], userdata), i, s->children[i] };
        qsort(a, s->n_children, sizeof(ranked), ranked_cmp);
        for (size_t i = 0; i < s->n_children; i++) {
                s->children[i] = a[i].n;
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
        int r;

        if (n == 0)
                return 0;
        if (node_children_reserve(s, was + n) < 0)
                return -ENOMEM;
        for (size_t j = 0; j < n; j++) {
                s->children[was + j] = nodes[j];
                node_mark(nodes[j], false);
                nodes[j]->index = was + j;
                nodes[j]->parent = s;
                node_set_ever_started(nodes[j], false);
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

void manager_node_reconfigure(sup_manager *m, sup_node *n, const cfg_node *c) {
        (void) m;
        /* Settings that need a restart wait for its start while it runs. */
        if (!c->supervisor && !node_is_down(n) && cfg_keys_restart(cfg_node_diff(n->cfg, c))) {
                n->next_cfg = c;
                return;
        }
        node_reconfigure(n, c);
}

void manager_node_hold(sup_manager *m, sup_node *n, bool held) {
        (void) m;
        node_hold(n, held);
}

void manager_node_set_next(sup_manager *m, sup_node *n, const cfg_node *c) {
        (void) m;
        n->next_cfg = c;
}
