/* proc-query.h - what the operator's side reads of one process (proc-query.c):
 * the figures Status, the node objects and the metrics show alike, so
 * that each is worked out in one place. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supervisor/core/types.h"

/* Whether P's main process is alive: starting, running, ready, or being
 * stopped. */
bool query_proc_running(const sup_proc *p);
/* Microseconds since P started, at NOW (CLOCK_MONOTONIC); 0 when down. */
uint64_t query_proc_uptime(const sup_proc *p, uint64_t now);
/* The last exit or failed start: this incarnation's once it ended, else
 * the one before's; *RET_START_ERROR the errno of a failed start, or 0. */
const sup_exit *query_last_exit(const sup_proc *p, int *ret_start_error);
/* The same as text: "status=3", "signal=KILL", "start-failed=ENOENT",
 * "unknown" or "" (none yet). */
void query_last_exit_text(const sup_proc *p, char *buf, size_t size);
/* Where a group's standard output goes, as Outputs names it: log, file,
 * journal, console, inherit, null. */
const char *query_output_kind(cfg_output o);
