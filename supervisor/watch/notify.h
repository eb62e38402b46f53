/* notify.h - a proc's sd_notify socket (notify.c); the datagram itself is
 * parsed by notify-parse.h.  What it hears goes to the proc table as
 * reports (sup_report()): READY=1, MAINPID=, STATUS=, the watchdog's. */
#pragma once

#include "supervisor/core/types.h"
#include "supervisor/watch/notify-parse.h"
#include "supervisor/watch/notify-proc.h"

/* P's socket (and p->notify), made once and kept across restarts. */
int notify_open(sup_proc *p);
/* Makes P's socket sendable to by UID (the uid its next process runs as)
 * and root alone; before each spawn. */
int notify_grant(sup_proc *p, uid_t uid);
void notify_drain(sup_proc *p);
/* Handles what is queued on P's socket now (bounded), as the loop would. */
void notify_flush(sup_proc *p);
/* The socket closed and p->notify freed: P goes away. */
void notify_close(sup_proc *p);
/* P's last STATUS= ("" if none). */
const char *notify_status(const sup_proc *p);
/* The figures P reported (AIRSUP_COUNTERS=), in the order they came. */
unsigned notify_counters(const sup_proc *p, const notify_counter **ret);
