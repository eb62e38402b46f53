/* sup.h - the tree's side of the proc table's upcall (sup.c): what a proc
 * says to its group's supervisor, from proc_set_state() alone (proc.c).
 * The proc table and this upcall are the one circle of the core: the tree
 * sends procs events, a proc reports its change of state back up, and the
 * run queue (runq.c) hands those reports to the tree outside any decision. */
#pragma once

#include "supervisor/core/event.h"
#include "supervisor/core/types.h"

void node_proc_down(sup_proc *p);
void node_proc_event(sup_proc *p, sup_event_type type, int priority);
void node_proc_settled(sup_proc *p);
