/* policy.h - the pure decisions of supervision: whether an exit is
 * abnormal, whether a restart type restarts it, the next backoff delay, the
 * restart-intensity window and which siblings a strategy restarts.  Plain
 * functions over plain data with time passed in; no processes, no clock. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supervisor/cfg.h"

/* How a main process ended, as waitid() reports it. */
/* How a process ended is unknown: a main process that was not airsupd's
 * child (MAINPID=).  Counts as abnormal. */
#define SUP_EXIT_UNKNOWN 0

typedef struct sup_exit {
        int code;                       /* CLD_EXITED, CLD_KILLED, CLD_DUMPED or SUP_EXIT_UNKNOWN */
        int status;                     /* exit status or signal number */
} sup_exit;

/* Abnormal: a non-zero exit status, or death by a signal other than the
 * group's stop signal (which is how an orderly stop ends). */
bool sup_exit_abnormal(sup_exit e, int stop_signal);

/* Whether a child of restart type T that ended with E is restarted. */
bool sup_restart_wanted(cfg_restart t, sup_exit e, int stop_signal);

/* Whether a supervisor of restart type T that gave up (exceeded its
 * intensity) is restarted by its parent: only when permanent.  OTP ends
 * such a supervisor with reason shutdown, which is not abnormal, so a
 * transient one stays down like a temporary one. */
bool sup_supervisor_restart_wanted(cfg_restart t);

/* Backoff: the delay doubles from BASE up to MAX and starts again from BASE
 * once the child has stayed up for MAX (a stable run).  STATE holds the
 * delay that the next restart will use; 0 means "not started yet". */
typedef struct sup_backoff {
        uint64_t next_usec;
} sup_backoff;

uint64_t sup_backoff_next(sup_backoff *b, uint64_t base_usec, uint64_t max_usec, uint64_t uptime_usec);

/* Restart intensity, as OTP counts it: a restart at NOW counts together with
 * every earlier restart at T with NOW - T <= PERIOD; more than INTENSITY of
 * them and the supervisor gives up.  The window keeps at most INTENSITY + 1
 * timestamps. */
typedef struct sup_window {
        uint64_t *t;                    /* ring of restart times, oldest at head */
        size_t cap, head, n;
} sup_window;

int sup_window_init(sup_window *w, unsigned intensity);
void sup_window_done(sup_window *w);
/* Records a restart at NOW; returns true if the limit is now exceeded. */
bool sup_window_add(sup_window *w, uint64_t now_usec, unsigned intensity, uint64_t period_usec);
/* Restarts that still count at NOW. */
size_t sup_window_count(sup_window *w, uint64_t now_usec, uint64_t period_usec);

/* Which of N children (in start order) a strategy restarts when child
 * FAILED fails: sets AFFECTED[i] for each and returns how many. */
size_t sup_strategy_affected(cfg_strategy s, size_t n, size_t failed, bool *affected);
