/* probe-proc.h - what probe.c keeps per process: its health and the
 * probe under way.  Only a process whose group has health = gets one
 * (sup_proc.probe, made at its first probe or WATCHDOG_USEC=), kept
 * until the process goes away so that its totals survive restarts.
 * Types only, for the readers of its figures (the metrics). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "supervisor/core/ratelimit.h"

#include "common/policy.h"

typedef struct probe_proc {
        struct sup_proc *proc;          /* whose */
        sup_health health;
        unsigned failures;              /* consecutive */
        uint64_t watchdog_usec;         /* WATCHDOG_USEC= from the child, 0: health_interval */
        sd_event_source *timer;         /* the next probe (or missed WATCHDOG=1), or a probe's timeout */
        sd_event_time_handler_t timer_cb;       /* which of those its firing means */
        size_t due;                     /* watchdog, heartbeat: its slot in the manager's deadlines + 1, 0: none */
        pid_t pid;                      /* an exec: probe running, 0 when none */
        int pidfd;
        sd_event_source *source;
        bool timed_out;                 /* killed at its timeout: counted already */
        uint64_t started_usec;
        uint64_t last_pet_usec;         /* the last WATCHDOG=1 (or the start of probing) */
        uint64_t ping_next;             /* health = ping: the last PING's seq ... */
        uint64_t ping_wait;             /* ... and the one whose PONG is awaited, 0: none */
        char why[96];                   /* the last failure */
        uint64_t total, failures_total;
        unsigned declared;              /* the incarnation that said AIRSUP_HEALTH=degraded, 0: none */
        sup_ratelimit declared_events;  /* its changes made events: a flapping process is not a flood */
        sup_ratelimit health_events;    /* its probes' degraded and healthy events, the same ... */
        int held;                       /* ... and the last one held back (a sup_event_type), 0: none */
} probe_proc;

/* The manager's deadlines of watchdog and heartbeat probes (m->dues): a
 * min-heap by when, one timer of the loop for the earliest (probe.c). */
typedef struct probe_due {
        uint64_t when;
        probe_proc *probe;              /* its process's (probe->proc): a move writes probe->due */
} probe_due;

struct probe_dues {
        probe_due *v;
        size_t n, cap;
        sd_event_source *timer;
        uint64_t armed;                 /* when the timer fires, 0: off */
        bool judging;                   /* in on_dues(): the timer is set at its end */
};
