/* notify-proc.h - what notify.c keeps per process: its sd_notify socket,
 * its STATUS=, and what its last datagram asked of the proc table.  Only
 * a process with ready = notify or a watchdog has one (sup_proc.notify,
 * made by notify_open()): the socket's path and STATUS= text are a third
 * of a kilobyte that the other groups do not pay for.  Types only, so
 * that spawn.c can name the socket without calling into notify.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "supervisor/core/ratelimit.h"

typedef struct notify_proc {
        int fd;                         /* the socket, kept across restarts */
        bool watched;                   /* in notify.c's epoll set */
        /* SO_PASSPIDFD asked for: an abstract socket always; one in the
         * directory once a sender of another uid spoke on it (notify.c,
         * sender_trusted()). */
        bool strict;
        char socket[108];               /* the NOTIFY_SOCKET value, a path */
        char status[128];               /* last STATUS=, escaped */
        sup_ratelimit log;              /* warnings about its socket */
        sup_ratelimit status_events;    /* its STATUS= events */
        unsigned status_suppressed;     /* STATUS= not made events before the one being emitted */
        /* The payload of the report being made (PROC_REPORT_MAIN_PID,
         * _EXTEND_START, _WATCHDOG_USEC), valid during sup_report(). */
        pid_t main_pid;
        uint64_t extend_usec;
        uint64_t watchdog_usec;
        uint64_t pet_usec;              /* PROC_REPORT_WATCHDOG: when it was sent (CLOCK_MONOTONIC), 0: now */
        bool degraded;                  /* PROC_REPORT_DECLARED_HEALTH: AIRSUP_HEALTH=degraded */
        /* AIRSUP_COUNTERS=, the last value of each name (the first
         * NOTIFY_COUNTERS_MAX names it said), allocated when first said. */
        struct notify_counter *counters;
        unsigned n_counters;
} notify_proc;
