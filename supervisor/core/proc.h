/* proc.h - the lifecycle of one process of a group (proc.c): the state
 * machine's entry point and what the tree asks of a proc. */
#pragma once

#include "supervisor/core/types.h"

extern const sup_proc_ops proc_ops_real;

int proc_dispatch(sup_proc *p, proc_event ev);
/* Whether the table has an action for EV in state ST (else EV is ignored there). */
bool proc_handles(proc_state st, proc_event ev);
void proc_init(sup_proc *p, sup_node *group, unsigned instance);
void proc_done(sup_proc *p);
void proc_restart_after(sup_proc *p, uint64_t delay_usec);
int proc_set_main(sup_proc *p, pid_t pid);
void proc_extend_start(sup_proc *p, uint64_t usec);
bool proc_is_down(const sup_proc *p);
void proc_group_check(sup_proc *p);
bool proc_main_exited(sup_proc *p);
/* A message from the running program proves its exec happened: while the
 * exec-status pipe's EOF waits on the loop, it is read now, so that the
 * message finds the proc running, not starting. */
void proc_exec_settle(sup_proc *p);
/* What the side parts report (sup_report(); the manager sets m->report
 * to it). */
int proc_on_report(sup_proc *p, proc_report what);
const char *proc_state_to_string(proc_state s);
proc_state proc_state_from_string(const char *s);
/* The one writer of an instance's hold by the operator (down until
 * started) and of its pending restart by the operator. */
void proc_hold(sup_proc *p, bool held);
void proc_want_restart(sup_proc *p, bool again);
