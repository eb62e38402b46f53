/* event.h - what happened to the tree: every state change becomes one event
 * with a monotonic time, a priority, the node and a reason.  Events go to
 * journald with structured fields when journald is there, else to stderr as
 * one line each, and are kept in a bounded history. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum sup_event_type {
        SUP_EVENT_STARTED,              /* exec succeeded */
        SUP_EVENT_START_FAILED,         /* fork, set-up or exec failed: error */
        SUP_EVENT_READY,
        SUP_EVENT_EXITED,               /* main process ended: code, status */
        SUP_EVENT_LEFTOVERS,            /* main gone, its process group is not: stopping it */
        SUP_EVENT_RESTARTING,           /* delay_usec */
        SUP_EVENT_STOPPING,             /* stop signal sent to the process group */
        SUP_EVENT_KILLING,              /* shutdown grace over: SIGKILL */
        SUP_EVENT_STOPPED,              /* main and process group gone */
        SUP_EVENT_NOT_RESTARTED,        /* restart type says no */
        SUP_EVENT_GAVE_UP,              /* intensity exceeded */
        SUP_EVENT_ESCALATED,            /* failure passed to the parent */
        SUP_EVENT_ORPHAN_REAPED,
        SUP_EVENT_STARTING_TREE,
        SUP_EVENT_SHUTDOWN,             /* orderly shutdown begun */
        SUP_EVENT_STRAGGLERS,           /* processes survived SIGKILL: ignored */
        SUP_EVENT_START_TIMEOUT,        /* not ready within start_timeout: stopping it */
        SUP_EVENT_STATUS,               /* the child said STATUS=...: detail */
        SUP_EVENT_MAIN_PID,             /* the child named a new main process: pid */
        SUP_EVENT_CHILD_STOPPING,       /* the child said STOPPING=1 */
        SUP_EVENT_MANUAL_STOP,          /* an operator stopped it (held down) */
        SUP_EVENT_MANUAL_START,
        SUP_EVENT_MANUAL_RESTART,
        SUP_EVENT_MANUAL_SIGNAL,        /* detail: the signal */
        SUP_EVENT_CONTROL_REFUSED,      /* a peer the control socket does not serve: detail */
        SUP_EVENT_DEAD_LETTER,          /* a message taken off a lane after too many redeliveries: detail */
        SUP_EVENT_CGROUP,               /* cgroups in use, or why not, or a limit not applied: detail */
        SUP_EVENT_OOM_KILL,             /* the OOM killer took a process of its cgroup: detail */
        SUP_EVENT_HEALTHY,              /* a probe succeeded after failures */
        SUP_EVENT_DEGRADED,             /* a probe failed, fewer than health_threshold in a row: detail */
        SUP_EVENT_HEALTH_FAILED,        /* health_threshold failures in a row (or WATCHDOG=trigger): stopping it */
        SUP_EVENT_MANUAL_RELOAD,        /* an operator asked for a reload */
        SUP_EVENT_RELOADED,             /* a reload applied: detail, the plan's counts */
        SUP_EVENT_RELOAD_FAILED,        /* the file did not load: nothing changed; detail, the first error */
        /* What a process said of the actors inside it (CHAN_ACTOR_EVENT): untrusted, rate-limited. */
        SUP_EVENT_ACTOR_STARTED,        /* detail: actor=NAME */
        SUP_EVENT_ACTOR_FAILED,         /* detail: actor=NAME answer=resume|restart|stop|escalate */
        SUP_EVENT_ACTOR_RESTARTED,
        SUP_EVENT_ACTOR_STOPPED,
        SUP_EVENT_ACTOR_ESCALATED,      /* a supervisor inside the process gave up; its parent decides */
        SUP_EVENT_ACTORS_GAVE_UP,       /* the root supervisor inside gave up: the process exits */
        SUP_EVENT_ACTOR_SUPPRESSED,     /* detail: how many actor events and dead letters were not recorded */
        _SUP_EVENT_MAX,
        _SUP_EVENT_INVALID = -22,
} sup_event_type;

typedef struct sup_event {
        uint64_t seq;                   /* 1, 2, ...: its place in the stream */
        uint64_t mono_usec;
        uint64_t real_usec;
        sup_event_type type;
        int priority;                   /* LOG_ERR ... LOG_DEBUG */
        char node[96];                  /* "web", "web[2]" or a supervisor's name */
        pid_t pid;                      /* 0: none */
        unsigned incarnation;
        int code, status;               /* SUP_EVENT_EXITED */
        int error;                      /* positive errno, SUP_EVENT_START_FAILED */
        uint64_t delay_usec;            /* SUP_EVENT_RESTARTING */
        char detail[160];                /* free text, e.g. the failed start step */
} sup_event;

typedef enum sup_log_target {
        SUP_LOG_AUTO,
        SUP_LOG_STDERR,
        SUP_LOG_JOURNAL,
} sup_log_target;

/* A subscriber: called with every event once it is recorded (and before
 * it is logged), from the event loop.  It must not emit events itself. */
typedef void (*sup_event_handler)(const sup_event *e, void *userdata);

typedef struct sup_subscriber {
        sup_event_handler handler;
        void *userdata;
} sup_subscriber;

typedef struct sup_events {
        sup_event *ring;
        size_t cap, head, n;
        uint64_t seq;                   /* events ever emitted */
        bool journal;
        bool debug;
        sup_subscriber *subscribers;    /* n_subscribers of them; a NULL handler is a free slot */
        size_t n_subscribers;
} sup_events;

int sup_events_init(sup_events *ev, size_t cap, sup_log_target target, bool debug);
void sup_events_done(sup_events *ev);
void sup_events_emit(sup_events *ev, sup_event *e);
/* Adds a subscriber; returns its id (>= 0) for sup_events_unsubscribe(). */
int sup_events_subscribe(sup_events *ev, sup_event_handler handler, void *userdata);
void sup_events_unsubscribe(sup_events *ev, int id);
const char *sup_event_type_to_string(sup_event_type t);
sup_event_type sup_event_type_from_string(const char *s);
/* Formats E as the one-line text form used on stderr; the body is that
 * line without its time and priority ("exited web pid=7 status=3"). */
int sup_event_format(const sup_event *e, char *buf, size_t size);
int sup_event_format_body(const sup_event *e, char *buf, size_t size);
const char *sup_priority_to_string(int priority);
int sup_priority_from_string(const char *s);
/* Free-form diagnostics that are not tree events ("Failed to ...: %m"). */
void sup_log(sup_events *ev, int priority, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
