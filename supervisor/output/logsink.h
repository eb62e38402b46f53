/* logsink.h - a group's captured output: stdout = log:PATH or console
 * (logsink.c). */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

#include "supervisor/core/event.h"

typedef struct log_sink log_sink;

/* A sink for NAME: the file PATH (rotated at MAX bytes, 0 for never,
 * KEEP old files kept), or airsupd's stderr when PATH is NULL. */
int log_sink_new(sd_event *e, sup_events *ev, const char *name, const char *path, uint64_t max, unsigned keep,
                 log_sink **ret);
/* A new fd of the pipe's write end, for a child's stdout or stderr. */
int log_sink_writer(log_sink *s);
void log_sink_reopen(log_sink *s);
/* A reload's new log_max and log_keep, from the next line on (S may be NULL). */
void log_sink_set_rotation(log_sink *s, uint64_t max, unsigned keep);
log_sink *log_sink_free(log_sink *s);
/* A console sink's last lines (tail.h); NULL for a log file's (or no) sink. */
const struct log_tail *log_sink_tail(const log_sink *s);
