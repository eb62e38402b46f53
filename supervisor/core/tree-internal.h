/* tree-internal.h - what the files of the tree share and nothing outside
 * supervisor/core/ may call: the tree's decisions (sup.c), the run queue
 * (runq.c), the index by name (names.c), and what reload's edits
 * (tree-edit.c), the operator's verbs (verbs.c) and the manager's life
 * (manager.c) ask of them.  Everyone else goes through manager.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "supervisor/core/types.h"

/* The run queue (runq.c).  A proc that went down or became ready, and a
 * supervisor that went down, report it through one call that queues an
 * upcall; the tree reacts from the queue's defer source, in order, so no
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

/* HANDLE: what an upcall means (the tree's tree_upcall_handle()); the
 * queue only keeps, runs and forgets them. */
int runq_init(sup_manager *m, void (*handle)(const sup_upcall *u));
void runq_done(sup_manager *m);
void runq_push(sup_manager *m, sup_upcall u);
/* Every queued upcall MATCH says yes to is forgotten (UPCALL_NONE). */
void runq_forget(sup_manager *m, bool (*match)(const sup_upcall *u, void *userdata), void *userdata);

/* sup.c: what an upcall means to the tree. */
void tree_upcall_handle(const sup_upcall *u);

/* sup.c: the tree's decisions, which the verbs, reload's edits and the
 * manager start from. */
void node_emit(sup_node *n, sup_event_type type, int priority);
/* The node's table (sup.c): EV in its state, or nothing if the table has
 * no entry there. */
int node_dispatch(sup_node *n, node_event ev, const node_ev_arg *a);
bool node_handles(node_state st, node_event ev);
void node_set_state(sup_node *n, node_state st);
/* Stopping, restarting or failing: stopping children (a supervisor) or its procs. */
bool node_stopping(const sup_node *n);
/* A supervisor stopping children (for whatever reason). */
bool node_stopping_children(const sup_node *s);
bool node_is_down(const sup_node *n);
bool node_gone(const sup_node *n);
bool node_ready(const sup_node *n);
void node_start(sup_node *n);
void node_stop(sup_node *n);
void sup_start_next(sup_node *s);
void sup_continue(sup_node *s);
void manager_check_ready(sup_manager *m);
sup_node *node_new(sup_manager *m, const cfg_node *c, sup_node *parent);
sup_node *node_free(sup_node *n);
int node_children_reserve(sup_node *s, size_t total);
int node_add_child(sup_node *s, sup_node *c);

/* sup.c: the one writer of a node's hold by the operator (proc.h has an
 * instance's hold and pending restart, proc.c their one writer). */
void node_hold(sup_node *n, bool held);
/* sup.c: the one writer of N's place in its supervisor's stop set. */
void node_mark(sup_node *n, bool marked);
/* sup.c: the one writer of whether N ran since its supervisor started afresh. */
void node_set_ever_started(sup_node *n, bool started);

/* sup.c: N takes settings C (at its start, for a group that waited). */
void node_reconfigure(sup_node *n, const cfg_node *c);

/* names.c: the index by name of the nodes in the tree. */
int names_put(sup_manager *m, sup_node *n);
int names_put_subtree(sup_manager *m, sup_node *n);
void names_del_subtree(sup_manager *m, const sup_node *n);
bool in_tree(const sup_manager *m, const sup_node *n);
