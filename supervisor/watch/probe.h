/* probe.h - health probes (probe.c): what a pidfd cannot see, a process
 * that is alive and hung.  Called by the proc table only; what a probe
 * finds goes back to it as reports (sup_report()). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/core/types.h"
#include "supervisor/watch/probe-proc.h"

/* Probing begins once P is ready (after health_grace) ... */
void probe_ready(sup_proc *p);
/* ... and ends when it stops or exits; a running exec: probe is killed. */
void probe_stop(sup_proc *p);
/* A new incarnation: not probed, no failures, the configured interval. */
void probe_reset(sup_proc *p);
/* P goes away: probes stopped, p->probe freed. */
void probe_done(sup_proc *p);
/* The manager goes away: the deadlines' heap and timer freed. */
void probe_dues_done(sup_manager *m);

/* The watchdog protocol, from P's notify socket: WATCHDOG=1 (a success),
 * WATCHDOG=trigger (failed at once), WATCHDOG_USEC= (a new interval). */
void probe_pet(sup_proc *p);
void probe_trigger(sup_proc *p);
void probe_set_interval(sup_proc *p, uint64_t usec);

/* The proc whose exec: probe has pid PID, if any; and collecting that
 * probe's exit (false when it has not exited). */
sup_proc *probe_find_pid(sup_manager *m, pid_t pid);
/* health = ping: the PONG SEQ came on P's channel. */
void probe_pong(sup_proc *p, uint64_t seq);
bool probe_exited(sup_proc *p);
/* P says it is degraded (or no longer): its health shows it, whatever
 * its probes say, until it says otherwise or this incarnation ends; an
 * event for each change, with WHY (its STATUS=). */
void probe_declare(sup_proc *p, bool degraded, const char *why);
/* P's health now (SUP_HEALTH_NONE when it is not probed and says
 * nothing). */
sup_health probe_health(const sup_proc *p);
