/* types.h - airsupd's live tree: the types of the manager, supervisor and
 * group nodes, and the processes (instances) of each group.  The functions
 * are declared per module: proc.h, spawn.h, notify.h, closer.h, spawner.h, manager.h.
 *
 * Ownership: the manager owns the configuration and the tree; a node owns
 * its children and, for a group, its procs; a proc owns its pidfd, its
 * exec-status pipe and its event sources.  Nothing here is thread-safe:
 * airsupd runs one sd-event loop. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "supervisor/config/cfg.h"
#include "supervisor/core/event.h"
#include "common/policy.h"
#include "supervisor/core/ratelimit.h"
#include "supervisor/messages/broker-proc.h"
#include "supervisor/start/cgroup-proc.h"

typedef struct sup_manager sup_manager;
typedef struct sup_upcall sup_upcall;
typedef struct sup_node sup_node;
typedef struct sup_proc sup_proc;
typedef struct sup_cgroup sup_cgroup;

/* A hook on the run queue (runq.h): called each time it ran dry. */
typedef void (*runq_hook_fn)(sup_manager *m, void *userdata);
#define RUNQ_HOOKS_MAX 4

/* The lifecycle of one process of a group (STYLE rule 10).  Every callback
 * (pidfd, pipe, timer, signal) only turns what happened into a proc_event,
 * and so does the tree (start, stop, restart, retire, give up);
 * proc_dispatch() holds every transition, and proc.c's proc_set_state() is
 * the one writer of a proc's state. */
typedef enum proc_state {
        PROC_STOPPED,                   /* not running and not scheduled */
        PROC_STARTING,                  /* forked; exec not yet confirmed */
        PROC_RUNNING,                   /* exec'd, not ready yet */
        PROC_READY,
        PROC_STOPPING,                  /* stop signal sent; main or its group still there */
        PROC_KILLING,                   /* SIGKILL sent to the group; waiting for it to go */
        PROC_BACKOFF,                   /* waiting for its restart delay */
        PROC_EXITED,                    /* ended and not restarted (restart type) */
        PROC_FAILED,                    /* its supervisor gave up */
        _PROC_STATE_MAX,
        _PROC_STATE_INVALID = -22,
} proc_state;

typedef enum proc_event {
        PROC_EV_START,                  /* the supervisor wants it up */
        PROC_EV_STOP,                   /* the supervisor wants it down */
        PROC_EV_RESTART,                /* the supervisor wants it up after restart_delay_usec */
        PROC_EV_RETIRE,                 /* down for good: its restart type says no */
        PROC_EV_GIVE_UP,                /* its supervisor gave up */
        PROC_EV_EXEC_OK,                /* execve() succeeded */
        PROC_EV_READY,                  /* READY=1, or it survived ready = DURATION */
        PROC_EV_START_TIMEOUT,          /* not ready within start_timeout */
        PROC_EV_EXIT,                   /* main process reaped; proc.exit holds how */
        PROC_EV_GROUP_EMPTY,            /* no live process left in its process group */
        PROC_EV_GRACE_OVER,             /* the shutdown grace ran out */
        PROC_EV_STRAGGLERS,             /* processes outlived SIGKILL by STRAGGLER_USEC */
        PROC_EV_BACKOFF_OVER,           /* the restart delay ran out */
        PROC_EV_HEALTH_FAILED,          /* its probes failed (probe.c) */
        _PROC_EV_MAX,
        _PROC_EV_INVALID = -22,
} proc_event;

/* What a side part (notify, probe, broker, cgroup) saw, reported to the
 * proc table through sup_report(): the parts never call the table, the
 * tree or each other.  The table turns a report into its own events, or
 * hands it down to the part it concerns.  A payload sits in the part's own
 * struct for the length of the call. */
typedef enum proc_report {
        PROC_REPORT_READY,              /* READY=1 (notify) */
        PROC_REPORT_EXEC_SETTLE,        /* the running program spoke: its exec happened (notify) */
        PROC_REPORT_MAIN_PID,           /* MAINPID=, checked: notify->main_pid */
        PROC_REPORT_EXTEND_START,       /* EXTEND_TIMEOUT_USEC=: notify->extend_usec */
        PROC_REPORT_STATUS,             /* STATUS= to be an event: notify->status */
        PROC_REPORT_STOPPING,           /* STOPPING=1 (notify) */
        PROC_REPORT_WATCHDOG,           /* WATCHDOG=1 (notify), for the probes */
        PROC_REPORT_WATCHDOG_TRIGGER,   /* WATCHDOG=trigger (notify), for the probes */
        PROC_REPORT_WATCHDOG_USEC,      /* WATCHDOG_USEC=: notify->watchdog_usec, for the probes */
        PROC_REPORT_PING,               /* health = ping: send PING probe->ping_wait (probe); < 0: not sent */
        PROC_REPORT_PONG,               /* a PONG came: broker.pong (broker), for the probes */
        PROC_REPORT_HEALTH_FAILED,      /* its probes failed (probe) */
        PROC_REPORT_DECLARED_HEALTH,    /* AIRSUP_HEALTH=: notify->degraded, for the probes */
        PROC_REPORT_GROUP_EMPTY,        /* its cgroup is empty (cgroup) */
        _PROC_REPORT_MAX,
} proc_report;

struct sup_proc {
        /* Fields ordered by size, so that no padding goes between them:
         * there is one sup_proc per instance (issue 30). */
        sup_node *group;
        unsigned instance;
        proc_state state;
        char name[96];                  /* "web" or "web[3]" */

        pid_t pid;                      /* main process, 0 when none */
        int pidfd;
        pid_t pgid;                     /* process group still to be emptied, 0 when empty */
        int start_error;                /* errno of a failed start, 0 if none */
        char start_step[32];            /* what failed: "exec", "chdir", ... */
        char *start_path;               /* what this start execs (or looked for in PATH) until it exec'd, else NULL */
        sup_exit exit;
        unsigned incarnation;           /* starts since airsupd started, 0 before the first */
        unsigned restarts;              /* of those, its supervisor's (after an exit, a failure, a strategy) */
        uint64_t started_usec;          /* CLOCK_MONOTONIC of the last fork */
        uint64_t start_latency_usec;    /* the last start's fork to ready, 0 until one was ready */
        uint64_t poll_usec;             /* current group-poll interval */
        sup_backoff backoff;

        int exec_fd;                    /* exec-status pipe while STARTING, else -EBADF */
        proc_event timer_event;         /* what the timer's firing means */
        sd_event_source *exec_source;
        sup_io pidfd_io;                /* p->pidfd in the manager's epoll set (iomux.h), while watched */
        sd_event_source *timer;         /* ready delay, start timeout, kill grace, stragglers, backoff */
        uint64_t restart_delay_usec;    /* for PROC_EV_RESTART */
        sd_event_source *poll;          /* group emptiness, while not subreaper */

        struct log_sink *sink_out, *sink_err;   /* log: or console output, kept across restarts */
        uint64_t exited_realtime_usec;  /* CLOCK_REALTIME of its last exit, 0 if none */
        sup_exit last_exit;             /* the last exit (or failed start) of an earlier incarnation */
        int last_start_error;
        uid_t uid;                      /* the uid its processes run as (set at spawn) */

        /* What the side parts keep of it, each in a struct its own
         * header owns: notify and probes only where the group uses them
         * (allocated by that part, NULL otherwise), the channel and the
         * cgroup in every proc. */
        struct notify_proc *notify;     /* ready = notify or a watchdog (watch/notify-proc.h) */
        struct probe_proc *probe;       /* health = (watch/probe-proc.h) */
        broker_proc broker;             /* channel and mailbox (messages/broker-proc.h) */
        cgroup_proc cgroup;             /* its cgroup (start/cgroup-proc.h) */

        bool main_alive;
        bool stop_requested;            /* the stop was asked for, not a crash */
        bool held;                      /* this instance stopped by the operator: down until started */
        bool restart_requested;         /* the operator's restart: start again once down */
        bool operator_start;            /* the next start is the operator's: not a restart */
        bool journal_down;              /* journal output fell back to console: no journald listened */
        bool health_failed;             /* this incarnation was stopped for failing its probes */
};

/* What a proc does to the world outside: fork, signal, arm its timer, look
 * at its process group.  airsupd uses proc_ops_real (proc.c); the unit
 * tests of the table put in their own (tests/unit/test-proc.c). */
typedef struct sup_proc_ops {
        int (*spawn)(sup_proc *p, int *ret_status_fd);  /* sets pid, pidfd, uid; start_step on failure */
        void (*signal)(sup_proc *p, int sig);           /* the main process and the process group */
        int (*arm)(sup_proc *p, uint64_t usec);         /* p->timer, to dispatch p->timer_event */
        bool (*group_alive)(const sup_proc *p);         /* its cgroup, or its process group */
        uint64_t (*now)(sup_manager *m);                /* CLOCK_MONOTONIC, usec: once per dispatch */
} sup_proc_ops;

/* The lifecycle of a node, as a table like the proc's (sup.c's
 * node_dispatch(): actions[state][event]; node_set_state() is the one
 * writer of its state).  A supervisor that stops children says in its
 * state what for: STOPPING (to be down), RESTARTING (to start the ones it
 * marked again), STOPPING_TO_FAIL (it gave up).  The operator sees those
 * three as "stopping". */
typedef enum node_state {
        NODE_DOWN,
        NODE_UP,                        /* started (its procs may be restarting) */
        NODE_STOPPING,                  /* stopping (a supervisor: every child, then down) */
        NODE_RESTARTING,                /* a supervisor stopping its marked children to start them again */
        NODE_STOPPING_TO_FAIL,          /* a supervisor that gave up, stopping every child, then failed */
        NODE_FAILED,                    /* gave up, or not restarted */
        _NODE_STATE_MAX,
        _NODE_STATE_INVALID = -22,
} node_state;

typedef enum node_event {
        NODE_EV_START,                  /* its supervisor (or the operator) wants it up */
        NODE_EV_STOP,                   /* wanted down */
        NODE_EV_RESTART_CHILDREN,       /* a supervisor: stop the marked children, start them again */
        NODE_EV_CHILD_DOWN,             /* a child it stops is down (or may be): go on */
        NODE_EV_CHILD_FAILED,           /* a child ended abnormally, and its restart type wants it back */
        NODE_EV_CHILD_SETTLED,          /* a child is ready, or will not be */
        NODE_EV_GIVE_UP,                /* its restart intensity is exceeded */
        NODE_EV_ALL_DOWN,               /* every child it marked is down */
        _NODE_EV_MAX,
        _NODE_EV_INVALID = -22,
} node_event;

/* What an event is about: the child, and for CHILD_FAILED and GIVE_UP its
 * restart delay and the proc whose failure it was (NULL: a supervisor). */
typedef struct node_ev_arg {
        sup_node *child;
        uint64_t delay_usec;
        sup_proc *failed;
} node_ev_arg;

const char *node_state_to_string(node_state s);
node_state node_state_from_string(const char *s);

struct sup_node {
        sup_manager *m;
        const cfg_node *cfg;
        sup_node *parent;
        size_t index;                   /* position among its siblings */
        node_state state;
        unsigned next_instance;         /* a pool: where the next lookup of GROUP starts */

        /* supervisor */
        sup_node **children;
        size_t n_children;
        sup_window window;
        size_t start_next;              /* children before this one are started and were ready */
        bool starting;                  /* in sup_start_next(): its loop sees a child's readiness itself */
        bool leaving;                   /* in manager_nodes_detach(): on its way out of the tree */
        bool ever_started;              /* since its supervisor last started afresh */
        bool marked;                    /* one its supervisor stops, while stopping, restarting or failing (node_mark()) */
        bool held;                      /* stopped by the operator: stays down until started */
        const cfg_node *next_cfg;       /* a reload's new settings, taken at its next start */

        /* group */
        sup_proc *procs;
        size_t n_procs;
        uint64_t restart_delay_usec;    /* applied to the failed proc when its supervisor restarts it */
};

struct sup_manager {
        sd_event *event;
        cfg *cfg;
        sup_node *root;
        sup_events events;
        bool subreaper;
        bool shutting_down;
        bool notified_ready;            /* READY=1 sent to our own supervisor */
        int exit_status;
        char **base_env;                /* airsupd's environment, cleaned for children */
        int null_fd;                    /* /dev/null, every child's stdin */
        struct rlimit nofile_child;     /* RLIMIT_NOFILE children get back; rlim_cur 0: unchanged */
        int nice_child;                 /* the nice value children get back, */
        bool nice_reset;                /* ... when airsupd changed its own */
        sup_window shutdown_signals;    /* times of the last shutdown signals */
        /* What procs and supervisors reported upward, handled in order from
         * a defer source (manager_run), never by recursion. */
        struct sup_upcall *upcalls;
        size_t up_head, up_n, up_cap;
        void (*upcall_handle)(const struct sup_upcall *u);       /* the tree's (sup.c), given to runq_init() */
        sd_event_source *run_queue;
        struct {
                runq_hook_fn fn;
                void *userdata;
        } runq_hooks[RUNQ_HOOKS_MAX];   /* runq.h: called once the queue ran dry */
        size_t n_runq_hooks;
        const sup_proc_ops *proc_ops;
        /* Where the side parts' reports go: proc_on_report() (proc.c); a
         * unit test of one part puts its own. */
        int (*report)(sup_proc *p, proc_report what);
        pid_t closer_pid;               /* closes fds passed to airsupd (closer.c), 0 if none */
        int closer_fd;
        pid_t spawner_pid;              /* forks the children (spawner.c), 0 if none */
        int spawner_fd;
        bool spawner_failed;            /* the last start failed (warned once) */
        char *spawner_buf;              /* a plan as sent to it */
        const char *spawner_exe;        /* airsupd's binary to exec it from, NULL: fork only */
        struct sup_state *state;        /* the deployment's lock and process list, NULL if none */
        size_t state_compacted;         /* processes in it at its last rewrite */
        sd_event_source *state_flush;   /* writes the list's queued lines */
        struct broker_dead *dead;       /* the last cfg->dead_letters dead letters, a ring */
        struct sup_registry *registry;  /* registry.c: names registered at run time, NULL if none yet */
        struct sup_interest *interest;  /* interest.c: run-time subscriptions and the generation page */
        struct broker_inbox *inbox;     /* inbox.c: airsupd's own mailbox (airsupctl's replies and subscriptions) */
        size_t dead_head, dead_n;
        uint64_t dead_total;
        sup_cgroup *cgroup;             /* cgroup-tree.c: the tree's cgroups; NULL: process groups */
        uint64_t group_polls;           /* times a process group was polled for emptiness */
        struct sup_reload *reload;      /* reload.c: the one being applied, NULL if none */
        uint64_t reloads_applied, reloads_failed;
        /* names.c: the nodes in the tree by name (open addressing), so a
         * look-up by name does not walk the whole tree. */
        sup_node **by_name;
        size_t by_name_cap, by_name_used;       /* used: live entries and tombstones */
        /* iomux.c: every proc's pidfd and channel, one epoll set and one
         * source of the loop (the source owns the fd); gen counts the
         * watches taken out, so that a batch naming them stops. */
        sd_event_source *iomux_source;
        int iomux_fd;
        unsigned iomux_gen;
        /* probe.c: the deadlines of watchdog and heartbeat probes, a heap
         * with one timer of the loop, NULL until one is armed. */
        struct probe_dues *dues;
};

/* A side part's report to the proc table (see proc_report). */
static inline int sup_report(sup_proc *p, proc_report what) {
        return p->group->m->report(p, what);
}

/* The clock of this dispatch (manager_now()), for the side parts. */
static inline uint64_t sup_proc_now(const sup_proc *p) {
        return p->group->m->proc_ops->now(p->group->m);
}

/* The time of the event being dispatched (sd_event_now() through
 * proc_ops): every decision of one dispatch sees the same now. */
static inline uint64_t manager_now(sup_manager *m) {
        return m->proc_ops->now(m);
}
