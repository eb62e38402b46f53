/* notify.h - a proc's sd_notify socket (notify.c); the datagram itself is
 * parsed by notify-parse.h. */
#pragma once

#include "supervisor/core/sup.h"

int notify_open(sup_proc *p);
/* Makes P's socket sendable to by UID (the uid its next process runs as)
 * and root alone; before each spawn. */
int notify_grant(sup_proc *p, uid_t uid);
void notify_drain(sup_proc *p);
/* Handles what is queued on P's socket now (bounded), as the loop would. */
void notify_flush(sup_proc *p);
void notify_close(sup_proc *p);
