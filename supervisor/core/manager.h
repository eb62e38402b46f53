/* manager.h - the manager and the tree: what airsupd's main loop, the
 * control server and reload call.
 *
 * The house, a folder per role; an arrow is "calls or includes", and
 * every arrow points down but the one circle, the proc table's upcall:
 *
 *                          airsupd.c
 *            .-----------------+------------------.
 *            v                 v                  v
 *     operator/            config/             core/manager.c
 *     control socket,      reader, key rows,   the manager's life,
 *     methods, verbs,      values, verify,     reaping
 *     metrics, HTTP        reload plan+apply        |
 *            '-----------------+------------------'
 *                              v
 *            core/verbs.c (the operator's verbs), tree-edit.c
 *            (reload's edits), names.c (look-ups), runq.c (the
 *            run queue and its hooks)
 *                              v
 *            core/sup.c (the tree: node table) --events--> core/proc.c
 *                       ^                                (proc table)
 *                       '-------- node_proc_*() upcall -------'
 *                              v
 *       start/              watch/            messages/      output/
 *       spawn, spawner,     notify, probes    the broker     logs,
 *       closer, cgroups,                      of lanes       stderr
 *       fd limit
 *                              v
 *       core/types.h (the tree's types), event.h, state.h; common/
 *       (policy: the pure OTP decisions, time, string tables, the
 *       control protocol's names)
 *
 * The side parts (watch/, messages/, start/cgroup) keep their own data
 * per process (notify-proc.h, probe-proc.h, broker-proc.h,
 * cgroup-proc.h) and never call the tree, the proc table or each
 * other: what they see becomes a report to the proc table,
 * sup_report() (types.h), which proc_on_report() turns into events.
 *
 * How the supervisor core fits together.  Something happens: a pidfd
 * turns readable, the exec-status pipe reports, a timer fires, a notify
 * datagram arrives.  Its callback only turns that into a proc_event and
 * hands it to proc_dispatch() (proc.c), whose actions[state][event] table
 * holds every transition and whose proc_set_state() is the one writer of
 * a proc's state.  When a proc is down, or ready, it says so once, upward
 * from proc_set_state() (node_proc_down(), node_proc_settled()), which
 * queues an upcall; the run queue (a defer source) hands the upcalls to
 * the tree in order.  The
 * tree (a node's own actions[state][event] table, sup.c) asks
 * common/policy.c (pure functions of plain data) what to do (restart
 * type, intensity window, strategy, backoff, which child is gone) and
 * acts by sending proc events again (start, stop, restart after a delay,
 * retire, give up).  Nothing calls back down while the tree is changing,
 * so no decision sees a half-made one.  Every decision of one dispatch
 * reads the same clock (manager_now()).  A start builds a spawn_plan
 * (spawn.h) and hands it to the spawner (spawner.h), a small helper that
 * forks the child as airsupd's own; its exec outcome comes back as an
 * event like any other. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "common/time.h"
#include "supervisor/config/cfg.h"
#include "supervisor/core/event.h"
#include "supervisor/core/names.h"
#include "supervisor/core/sup.h"
#include "supervisor/core/types.h"

int manager_new(cfg *c, sd_event *e, sup_log_target log, bool debug, bool subreaper, sup_manager **ret);
sup_manager *manager_free(sup_manager *m);
static inline void manager_freep(sup_manager **m) {
        *m = manager_free(*m);
}
void manager_start(sup_manager *m);
void manager_shutdown(sup_manager *m, int exit_status);
void manager_kill_all(sup_manager *m);
/* One line per node to the event log: its state, and per process its
 * pid and incarnation (SIGUSR1). */
void manager_log_status(sup_manager *m);
/* Opens every log: file again, for an outside rotation (SIGUSR1). */
void manager_reopen_logs(sup_manager *m);
void manager_reap(sup_manager *m);

/* Look-ups by name and pid, and the walk: names.h. */

/* The operator's verbs on a node below the root.  stop: the node (a
 * group's every instance, or a supervisor's subtree) stops with its
 * shutdown policy and is held down: no strategy, restart type or sibling's
 * restart starts it again.  start: lets a held, ended or failed node run
 * again.  restart: stops and starts it in order, not counted toward its
 * supervisor's intensity.  Each returns 0 once the change is under way
 * (events say when it is done); -EPERM for the root, -ESHUTDOWN during a
 * shutdown, -EBUSY while its supervisor is itself stopping or restarting
 * children.  signal: SIG to every process of every running instance
 * below N (its process group, and a main process outside it); the number
 * of instances signalled, or -ESRCH if none runs. */
int manager_stop_node(sup_manager *m, sup_node *n);
int manager_start_node(sup_manager *m, sup_node *n);
int manager_restart_node(sup_manager *m, sup_node *n);
int manager_signal_node(sup_manager *m, sup_node *n, int sig);
/* The same verbs on one instance of a pool (GROUP[i]): it alone stops and
 * is held down while its siblings run on, and a strategy restart of its
 * group leaves it down; start and restart need its group up (-ENOTCONN
 * otherwise).  A start or restart of the whole group lets every held
 * instance run again. */
int manager_stop_proc(sup_manager *m, sup_proc *p);
int manager_start_proc(sup_manager *m, sup_proc *p);
int manager_restart_proc(sup_manager *m, sup_proc *p);

/* A reload's changes to the tree (reload.c), in tree-edit.c.  A node is made
 * alone (manager_node_new: a group with its procs, a supervisor without
 * children), attached to supervisor S as its INDEXth child, and started
 * there by a kick: S's start sequence goes back to INDEX and starts, in
 * order and each once the one before is ready, every child down there
 * (-EBUSY while S is restarting or stopping children: kick again later).
 * manager_node_stop(): down and held, as the operator's stop, without
 * its checks.  manager_node_detach(): out of its supervisor (down by
 * then), its queued upcalls dropped; manager_node_free() also drops the
 * lanes its processes sent on.  restart_children: S stops the children
 * WHICH marks (last first) and starts them again in order, not counted
 * toward its intensity (-EBUSY as above).  reorder: S's children sorted
 * by RANK, while it is quiet (manager_node_quiet: not stopping
 * children, its start sequence done).  reconfigure: N takes C; a group's
 * settings that need a restart are taken at its next start while it
 * runs (or at once when it is down), the rest at once. */
sup_node *manager_node_new(sup_manager *m, const cfg_node *c);
int manager_node_attach(sup_manager *m, sup_node *s, sup_node *n, size_t index);
/* The N nodes NODES under S at once, each where RANK puts it among S's
 * children (S's children in RANK's order already; equal ranks keep their
 * order): one sort, where an attach of each shifted the ones after it. */
int manager_node_attach_many(sup_manager *m, sup_node *s, sup_node **nodes, size_t n,
                             int (*rank)(const sup_node *c, void *userdata), void *userdata);
int manager_node_kick(sup_manager *m, sup_node *s, size_t index);
void manager_node_stop(sup_manager *m, sup_node *n);
bool manager_node_down(const sup_node *n);
bool manager_node_quiet(const sup_node *s);
/* S (a supervisor) is stopping children: for a stop, a restart of some,
 * or its give-up. */
bool manager_node_stopping_children(const sup_node *s);
/* N is ready, or will not be (ended, gone, failed, held), or its
 * supervisor is busy with something else than its start. */
bool manager_node_settled(const sup_node *n);
void manager_node_detach(sup_manager *m, sup_node *n);
void manager_node_free(sup_manager *m, sup_node *n);
/* manager_node_detach() and manager_node_free() of the N nodes NODES
 * (each down, none below another), each supervisor's children compacted
 * once and the run queue gone over once: one at a time, 50,000 took
 * seconds. */
void manager_nodes_detach(sup_manager *m, sup_node **nodes, size_t n);
void manager_nodes_free(sup_manager *m, sup_node **nodes, size_t n);
int manager_node_restart_children(sup_manager *m, sup_node *s, const bool *which);
int manager_node_reorder(sup_manager *m, sup_node *s, int (*rank)(const sup_node *c, void *userdata), void *userdata);
void manager_node_reconfigure(sup_manager *m, sup_node *n, const cfg_node *c);
void manager_node_set_next(sup_manager *m, sup_node *n, const cfg_node *c);
/* A node moved by a reload keeps the operator's hold it had (the one
 * writer of a hold is sup.c's node_hold()). */
void manager_node_hold(sup_manager *m, sup_node *n, bool held);

/* Events: sup_events_subscribe(&m->events, ...) (event.h). */


