/* policy.h - the pure decisions of supervision: whether an exit is
 * abnormal, whether a restart type restarts it, the next backoff delay, the
 * restart-intensity window and which siblings a strategy restarts.  Plain
 * functions over plain data with time passed in; no processes, no clock.
 * Shared by airsupd (supervisor/) and libairsup (child/): nothing here
 * includes either. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A supervisor's strategy and a child's restart type, as OTP names them.
 * The names are the configuration's (cfg.h takes them from here), so
 * that airsupd's tree and libairsup's actor supervisors decide with the
 * same types. */
typedef enum cfg_strategy {
        CFG_ONE_FOR_ONE,
        CFG_ONE_FOR_ALL,
        CFG_REST_FOR_ONE,
        _CFG_STRATEGY_MAX,
        _CFG_STRATEGY_INVALID = -EINVAL,
} cfg_strategy;

typedef enum cfg_restart {
        CFG_RESTART_PERMANENT,
        CFG_RESTART_TRANSIENT,
        CFG_RESTART_TEMPORARY,
        _CFG_RESTART_MAX,
        _CFG_RESTART_INVALID = -EINVAL,
} cfg_restart;

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

/* How a proc's end is judged: a failed start (exec failed, not ready in
 * time: START_ERROR > 0) is abnormal however its process ended. */
sup_exit sup_exit_judged(sup_exit e, int start_error);

/* The uptime that backoff looks at: 0 after a failed start or when it
 * never started. */
uint64_t sup_uptime(uint64_t started_usec, int start_error, uint64_t now_usec);

/* Whether a failed child is restarted alone rather than by the strategy:
 * always under one_for_one, and for one instance of a pool (N_PROCS > 1)
 * whatever the strategy; a pool counts as one child only when a sibling
 * fails.  PROC_FAILED: the failure was one of the child's processes (not
 * a supervisor child giving up). */
bool sup_restart_alone(cfg_strategy s, bool proc_failed, size_t n_procs);

/* Whether a child is not to be started again by its supervisor's start
 * sequence: it failed (gave up), it is held down by the operator, or it
 * is temporary and already ran once since its supervisor started afresh
 * (OTP: a sibling's restart stops a temporary child for good). */
bool sup_child_gone(cfg_restart t, bool failed, bool held, bool ever_started, bool down);

/* Whether a supervisor of restart type T that gave up (exceeded its
 * intensity) is restarted by its parent: only when permanent.  OTP ends
 * such a supervisor with reason shutdown, which is not abnormal, so a
 * transient one stays down like a temporary one. */
bool sup_supervisor_restart_wanted(cfg_restart t);

/* What a supervisor does about a process of its child that went down:
 * one that was asked to stop is neither restarted nor counted; one that
 * ended by itself is retired or restarted as its restart type says, a
 * failed start (START_ERROR > 0) or a failed health check (HEALTH_FAILED:
 * ETIME) counting as abnormal however its process ended. */
typedef enum sup_down {
        SUP_DOWN_ASKED,                 /* the stop was asked for: the supervisor goes on with what it does */
        SUP_DOWN_RETIRE,                /* ended by itself, not to be restarted */
        SUP_DOWN_RESTART,               /* ended by itself, to be restarted: intensity and strategy say how */
        _SUP_DOWN_MAX,
} sup_down;

typedef struct sup_down_facts {
        bool stop_asked;                /* its own stop was asked for (the operator's, a strategy's) */
        bool stopping;                  /* airsupd shuts down, its group stops, or its supervisor is not up */
        cfg_restart restart;
        sup_exit exit;
        int start_error;                /* errno of a failed start, 0 if none */
        bool health_failed;             /* stopped for failing its health probes */
        int stop_signal;
} sup_down_facts;

sup_down sup_down_decide(const sup_down_facts *f);

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
/* A new INTENSITY (a reload): the newest restarts are kept, as many as
 * the window holds now. */
int sup_window_resize(sup_window *w, unsigned intensity);
/* Records a restart at NOW; returns true if the limit is now exceeded. */
bool sup_window_add(sup_window *w, uint64_t now_usec, unsigned intensity, uint64_t period_usec);
/* Restarts that still count at NOW. */
size_t sup_window_count(sup_window *w, uint64_t now_usec, uint64_t period_usec);

/* Health: each probe's outcome moves a process between healthy, degraded
 * (a failure, fewer than THRESHOLD in a row) and failed (THRESHOLD
 * consecutive failures); a success is healthy again.  *FAILURES counts
 * the consecutive failures. */
typedef enum sup_health {
        SUP_HEALTH_NONE,                /* not probed (no probe, or not ready) */
        SUP_HEALTH_HEALTHY,
        SUP_HEALTH_DEGRADED,
        SUP_HEALTH_FAILED,
        _SUP_HEALTH_MAX,
} sup_health;

sup_health sup_health_next(unsigned *failures, bool ok, unsigned threshold);
const char *sup_health_to_string(sup_health h);
/* The time from NOW until SINCE + INTERVAL, 0 once that is past: when the
 * next probe is due (SINCE: the last one's start, so probes keep a fixed
 * rate) and when a watchdog is missed (SINCE: the last WATCHDOG=1, which
 * may lie ahead by health_grace). */
uint64_t sup_health_wait(uint64_t since, uint64_t interval, uint64_t now);
/* SINCE + INTERVAL, UINT64_MAX where that does not fit: the same time as
 * a point, without reading the clock. */
uint64_t sup_health_due(uint64_t since, uint64_t interval);

/* Which of N children (in start order) a strategy restarts when child
 * FAILED fails: sets AFFECTED[i] for each and returns how many. */
size_t sup_strategy_affected(cfg_strategy s, size_t n, size_t failed, bool *affected);
/* Whether a strategy restarts child I when child FAILED fails (what
 * sup_strategy_affected() sets for I). */
bool sup_strategy_restarts(cfg_strategy s, size_t failed, size_t i);
