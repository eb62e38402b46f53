/* report-fixture.h - what a side part (notify, probe, broker, cgroup)
 * reports to the proc table, recorded instead of acted on: a part's unit
 * test puts rec_report in m->report and looks at what came. */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "supervisor/core/types.h"

static struct {
        unsigned n[_PROC_REPORT_MAX];
        proc_report last;
        int answer;                     /* what a report returns (a PING's outcome) */
} reports;

static inline int rec_report(sup_proc *p, proc_report what) {
        (void) p;
        reports.n[what]++;
        reports.last = what;
        return reports.answer;
}

static inline void reports_reset(void) {
        memset(&reports, 0, sizeof(reports));
}

static inline uint64_t mono_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Runs the loop E until report WHAT has come COUNT times, for at most
 * 5 s; whether it did. */
static inline bool run_until(sd_event *e, proc_report what, unsigned count) {
        uint64_t deadline = mono_usec() + 5000000;

        while (reports.n[what] < count && mono_usec() < deadline)
                (void) sd_event_run(e, 10000);
        return reports.n[what] >= count;
}
