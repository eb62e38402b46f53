/* event.c - the event log: history ring, stderr lines, journald records. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "supervisor/config/cfg.h"
#include "common/cleanup.h"
#include "common/string-table.h"
#include "supervisor/output/errout.h"
#include "supervisor/core/event.h"
#include "common/policy.h"

static const char *const event_names[_SUP_EVENT_MAX] = {
        [SUP_EVENT_STARTED]       = "started",
        [SUP_EVENT_START_FAILED]  = "start-failed",
        [SUP_EVENT_READY]         = "ready",
        [SUP_EVENT_EXITED]        = "exited",
        [SUP_EVENT_LEFTOVERS]     = "leftovers",
        [SUP_EVENT_RESTARTING]    = "restarting",
        [SUP_EVENT_STOPPING]      = "stopping",
        [SUP_EVENT_KILLING]       = "killing",
        [SUP_EVENT_STOPPED]       = "stopped",
        [SUP_EVENT_NOT_RESTARTED] = "not-restarted",
        [SUP_EVENT_GAVE_UP]       = "gave-up",
        [SUP_EVENT_ESCALATED]     = "escalated",
        [SUP_EVENT_ORPHAN_REAPED] = "orphan-reaped",
        [SUP_EVENT_STARTING_TREE] = "starting",
        [SUP_EVENT_SHUTDOWN]      = "shutdown",
        [SUP_EVENT_STRAGGLERS]    = "stragglers",
        [SUP_EVENT_START_TIMEOUT] = "start-timeout",
        [SUP_EVENT_STATUS]        = "status",
        [SUP_EVENT_MAIN_PID]      = "main-pid",
        [SUP_EVENT_CHILD_STOPPING] = "child-stopping",
        [SUP_EVENT_MANUAL_STOP]   = "manual-stop",
        [SUP_EVENT_MANUAL_START]  = "manual-start",
        [SUP_EVENT_MANUAL_RESTART] = "manual-restart",
        [SUP_EVENT_MANUAL_SIGNAL] = "manual-signal",
        [SUP_EVENT_CONTROL_REFUSED] = "control-refused",
        [SUP_EVENT_DEAD_LETTER] = "dead-letter",
        [SUP_EVENT_CGROUP] = "cgroup",
        [SUP_EVENT_OOM_KILL] = "oom-kill",
        [SUP_EVENT_HEALTHY] = "healthy",
        [SUP_EVENT_DEGRADED] = "degraded",
        [SUP_EVENT_HEALTH_FAILED] = "health-failed",
        [SUP_EVENT_MANUAL_RELOAD] = "manual-reload",
        [SUP_EVENT_RELOADED] = "reloaded",
        [SUP_EVENT_RELOAD_FAILED] = "reload-failed",
        [SUP_EVENT_ACTOR_STARTED] = "actor-started",
        [SUP_EVENT_ACTOR_FAILED] = "actor-failed",
        [SUP_EVENT_ACTOR_RESTARTED] = "actor-restarted",
        [SUP_EVENT_ACTOR_STOPPED] = "actor-stopped",
        [SUP_EVENT_ACTOR_ESCALATED] = "actor-escalated",
        [SUP_EVENT_ACTORS_GAVE_UP] = "actors-gave-up",
        [SUP_EVENT_ACTOR_SUPPRESSED] = "actor-events-suppressed",
};

static const char *const priority_names[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit", [LOG_ERR] = "err",
        [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

DEFINE_STRING_TABLE(sup_event_type, sup_event_type, event_names, _SUP_EVENT_MAX)

static uint64_t clock_usec(clockid_t id) {
        struct timespec ts;
        clock_gettime(id, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / NSEC_PER_USEC;
}

/* journald is used when it is listening, unless told otherwise.  Under
 * systemd, stderr is already a journal stream; writing records directly
 * keeps the structured fields. */
/* Whether stderr is a stream to journald, as systemd tells a service it
 * started that way: $JOURNAL_STREAM holds the stream's "DEVICE:INODE".
 * A socket file that merely exists says nothing: journald may be gone. */
static bool stderr_is_journal(void) {
        const char *v = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        int end = 0;

        if (!v || sscanf(v, "%llu:%llu%n", &dev, &ino, &end) != 2 || v[end] != '\0')
                return false;
        return fstat(STDERR_FILENO, &st) == 0 && (unsigned long long) st.st_dev == dev &&
               (unsigned long long) st.st_ino == ino;
}

int sup_events_init(sup_events *ev, size_t cap, sup_log_target target, bool debug) {
        *ev = (sup_events) {
                .cap = cap,
                .journal = target == SUP_LOG_JOURNAL || (target == SUP_LOG_AUTO && stderr_is_journal()),
                .debug = debug,
        };
        ev->ring = calloc(cap, sizeof(sup_event));
        return ev->ring ? 0 : -ENOMEM;
}

void sup_events_done(sup_events *ev) {
        free(ev->ring);
        ev->ring = NULL;
        free(ev->subscribers);
        ev->subscribers = NULL;
        ev->n_subscribers = 0;
}

int sup_events_subscribe(sup_events *ev, sup_event_handler handler, void *userdata) {
        sup_subscriber *a;
        size_t i;

        if (!ev || !handler)
                return -EINVAL;
        for (i = 0; i < ev->n_subscribers; i++)
                if (!ev->subscribers[i].handler)
                        break;
        if (i == ev->n_subscribers) {
                if (i >= INT32_MAX)
                        return -E2BIG;
                a = reallocarray(ev->subscribers, i + 1, sizeof(sup_subscriber));
                if (!a)
                        return -ENOMEM;
                ev->subscribers = a;
                ev->n_subscribers++;
        }
        ev->subscribers[i] = (sup_subscriber) { .handler = handler, .userdata = userdata };
        return (int) i;
}

void sup_events_unsubscribe(sup_events *ev, int id) {
        if (ev && id >= 0 && (size_t) id < ev->n_subscribers)
                ev->subscribers[id] = (sup_subscriber) {};
}

/* The human part of an event, without the time. */
int sup_event_format_body(const sup_event *e, char *buf, size_t size) {
        int n = snprintf(buf, size, "%s %s", event_names[e->type], e->node);
        size_t used;

#define APPEND(...)                                                              \
        do {                                                                     \
                used = n < 0 ? 0 : (size_t) n >= size ? size - 1 : (size_t) n;  \
                int _k = snprintf(buf + used, size - used, __VA_ARGS__);         \
                if (_k > 0)                                                      \
                        n = (int) (used + (size_t) _k);                          \
        } while (0)

        if (e->pid > 0)
                APPEND(" pid=%d", (int) e->pid);
        if (e->incarnation > 0)
                APPEND(" incarnation=%u", e->incarnation);
        if (e->type == SUP_EVENT_EXITED) {
                if (e->code == CLD_EXITED)
                        APPEND(" status=%d", e->status);
                else if (e->code == SUP_EXIT_UNKNOWN)
                        APPEND(" status=unknown");
                else
                        APPEND(" signal=%s%s", cfg_signal_to_string(e->status),
                               e->code == CLD_DUMPED ? " core-dumped" : "");
        }
        if (e->type == SUP_EVENT_RESTARTING)
                APPEND(" delay_ms=%llu", (unsigned long long) (e->delay_usec / USEC_PER_MSEC));
        if (e->error > 0)
                APPEND(" error=%s", strerrorname_np(e->error) ?: "?");
        if (e->detail[0])
                APPEND(" %s", e->detail);
#undef APPEND
        return n;
}

/* Wall-clock time as RFC 3339 with microseconds and the local offset,
 * as journalctl -o short-iso-precise shows it: 2026-12-01T23:09:19.123456+01:00. */
static void format_time(uint64_t real_usec, char *buf, size_t size) {
        time_t sec = (time_t) (real_usec / USEC_PER_SEC);
        struct tm tm;
        char date[32], zone[8];

        if (!localtime_r(&sec, &tm) || strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
            strftime(zone, sizeof(zone), "%z", &tm) != 5) {
                snprintf(buf, size, "%llu.%06llu", (unsigned long long) sec,
                         (unsigned long long) (real_usec % USEC_PER_SEC));
                return;
        }
        snprintf(buf, size, "%s.%06llu%.3s:%.2s", date, (unsigned long long) (real_usec % USEC_PER_SEC), zone,
                 zone + 3);
}

const char *sup_priority_to_string(int priority) {
        return priority_names[priority & 7];
}

int sup_priority_from_string(const char *s) {
        for (int i = 0; i < 8; i++)
                if (strcmp(s, priority_names[i]) == 0)
                        return i;
        return -EINVAL;
}

int sup_event_format(const sup_event *e, char *buf, size_t size) {
        char body[384], when[48];

        sup_event_format_body(e, body, sizeof(body));
        format_time(e->real_usec, when, sizeof(when));
        return snprintf(buf, size, "%s %s %s", when, priority_names[e->priority & 7], body);
}

void sup_events_emit(sup_events *ev, sup_event *e) {
        e->mono_usec = clock_usec(CLOCK_MONOTONIC);
        e->real_usec = clock_usec(CLOCK_REALTIME);
        e->seq = ev->seq + 1;

        if (ev->cap > 0) {
                size_t slot = (ev->head + ev->n) % ev->cap;
                if (ev->n == ev->cap)
                        ev->head = (ev->head + 1) % ev->cap;
                else
                        ev->n++;
                ev->ring[slot] = *e;
        }
        ev->seq++;
        for (size_t i = 0; i < ev->n_subscribers; i++)
                if (ev->subscribers[i].handler)
                        ev->subscribers[i].handler(e, ev->subscribers[i].userdata);

        if (e->priority == LOG_DEBUG && !ev->debug)
                return;

        if (ev->journal) {
                char body[384];
                sup_event_format_body(e, body, sizeof(body));
                sd_journal_send("MESSAGE=%s", body,
                                "PRIORITY=%d", e->priority,
                                "SYSLOG_IDENTIFIER=airsupd",
                                "AIRSUP_EVENT=%s", event_names[e->type],
                                "AIRSUP_NODE=%s", e->node,
                                "AIRSUP_PID=%d", (int) e->pid,
                                "AIRSUP_INCARNATION=%u", e->incarnation,
                                "AIRSUP_STATUS=%d", e->status,
                                "AIRSUP_ERRNO=%d", e->error,
                                "AIRSUP_DELAY_USEC=%llu", (unsigned long long) e->delay_usec,
                                NULL);
                return;
        }

        char line[512];
        sup_event_format(e, line, sizeof(line));
        errout_line(line);
}

void sup_log(sup_events *ev, int priority, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        if (priority == LOG_DEBUG && !(ev && ev->debug))
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

        if (ev && ev->journal) {
                sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", priority,
                                "SYSLOG_IDENTIFIER=airsupd", NULL);
                return;
        }
        char when[48], line[600];
        format_time(clock_usec(CLOCK_REALTIME), when, sizeof(when));
        snprintf(line, sizeof(line), "%s %s airsupd: %s", when, priority_names[priority & 7], msg);
        errout_line(line);
}
