/* proc.c - the lifecycle of one process of a group, as a state machine.
 *
 * The event-source callbacks at the bottom only translate what the kernel
 * said into a proc_event.  proc_dispatch() looks the transition up in
 * actions[state][event]; a missing entry means the event is meaningless in
 * that state and is ignored.  When a proc is completely down (main process
 * reaped and its process group empty), or ready, proc_set_state() tells
 * its supervisor once (node_proc_down(), node_proc_settled()), which
 * decides about restarts from its run queue. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/string-table.h"
#include "common/time.h"
#include "supervisor/core/sup.h"
#include "supervisor/output/logsink.h"
#include "supervisor/watch/notify.h"
#include "supervisor/messages/broker.h"
#include "supervisor/start/cgroup.h"
#include "supervisor/start/fdlimit.h"
#include "supervisor/watch/probe.h"
#include "supervisor/core/proc.h"
#include "supervisor/core/state-list.h"
#include "supervisor/start/spawn.h"
#include "supervisor/start/spawner.h"

/* How long to wait for processes that survive SIGKILL (stuck in the kernel)
 * before their process group is given up on. */
#define STRAGGLER_USEC (5 * USEC_PER_SEC)
/* Group-emptiness polling backs off from 1 ms to this. */
#define POLL_MAX_USEC (100 * USEC_PER_MSEC)

static const char *const state_names[_PROC_STATE_MAX] = {
        [PROC_STOPPED] = "stopped",
        [PROC_STARTING] = "starting",
        [PROC_RUNNING] = "running",
        [PROC_READY] = "ready",
        [PROC_STOPPING] = "stopping",
        [PROC_KILLING] = "killing",
        [PROC_BACKOFF] = "backoff",
        [PROC_EXITED] = "exited",
        [PROC_FAILED] = "failed",
};

DEFINE_STRING_TABLE(proc_state, proc_state, state_names, _PROC_STATE_MAX)

bool proc_is_down(const sup_proc *p) {
        return p->state == PROC_STOPPED || p->state == PROC_EXITED || p->state == PROC_FAILED;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata);
static int on_poll(sd_event_source *s, uint64_t usec, void *userdata);
static int on_defer(sd_event_source *s, void *userdata);
static void on_pidfd(sup_io *io, int fd, uint32_t revents);
static int on_exec(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static void proc_emit(sup_proc *p, sup_event_type type, int priority) {
        node_proc_event(p, type, priority);
}

/* The one writer of a proc's state, and the one place that reports a
 * change up to the tree (as systemd's service_set_state() calls
 * unit_notify()): down each time it enters PROC_STOPPED (the end of this
 * incarnation, or its failed start, which may begin from STOPPED: one
 * report per incarnation either way), settled when it enters PROC_READY.
 * PROC_EXITED and PROC_FAILED are the tree's own answers (retire, give
 * up): there is nothing to tell it. */
static void proc_set_state(sup_proc *p, proc_state st) {
        p->state = st;
        if (st == PROC_STOPPED)
                node_proc_down(p);
        else if (st == PROC_READY)
                node_proc_settled(p);
}

/* The one writer of how this incarnation ends, as the events that say so
 * arrive: a start begins afresh (neither), an asked-for stop
 * (stop_requested: not a failure) and failed probes (health_failed: a
 * failure however its process ends) each set theirs. */
static void proc_note_end(sup_proc *p, proc_event ev) {
        switch (ev) {
        case PROC_EV_START:
                p->stop_requested = false;
                p->health_failed = false;
                break;
        case PROC_EV_STOP:
                p->stop_requested = true;
                break;
        case PROC_EV_HEALTH_FAILED:
                p->health_failed = true;
                break;
        default:
                break;
        }
}

static int source_arm(sup_proc *p, sd_event_source **src, uint64_t usec, sd_event_time_handler_t cb) {
        int r;

        /* From the clock now, not from the loop's last wake-up: a timer
         * armed late in an iteration still lasts its whole length. */
        *src = sd_event_source_disable_unref(*src);
        r = sd_event_add_time(p->group->m->event, src, CLOCK_MONOTONIC, now_usec() + usec,
                              /* accuracy= */ 1, cb, p);
        if (r < 0)
                sup_log(&p->group->m->events, LOG_ERR, "%s: failed to arm a timer: %s",
                        p->name, strerror(-r));
        return r;
}

static const sup_proc_ops *ops(const sup_proc *p) {
        return p->group->m->proc_ops;
}

static int real_arm(sup_proc *p, uint64_t usec) {
        return source_arm(p, &p->timer, usec, on_timer);
}

/* Arms the state's timer: in USEC it dispatches EV. */
static int timer_arm(sup_proc *p, uint64_t usec, proc_event ev) {
        p->timer_event = ev;
        return ops(p)->arm(p, usec);
}

static void timer_disarm(sd_event_source **src) {
        *src = sd_event_source_disable_unref(*src);
}

static void exec_forget(sup_proc *p) {
        p->exec_source = sd_event_source_disable_unref(p->exec_source);
        p->exec_fd = safe_close(p->exec_fd);
}

/* Reads the exec-status pipe: 1 exec'd, 0 not known yet, < 0 a failed
 * start (start_error and start_step say how; the child exits 127). */
static int exec_status(sup_proc *p) {
        int r;

        if (p->exec_fd < 0)
                return p->start_error > 0 ? -p->start_error : 1;
        r = sup_spawn_status(p->exec_fd, p->start_step, sizeof(p->start_step));
        if (r == 0)
                return 0;
        exec_forget(p);
        if (r < 0)
                p->start_error = -r;
        return r;
}

/* Closes what watched the main process; its exit has been collected. */
/* P's process group is gone: the deployment's list of processes (state.c)
 * no longer holds it. */
static void pgid_forget(sup_proc *p) {
        if (p->pgid > 0)
                state_note_ended(p->group->m, p->pgid);
        p->pgid = 0;
}

static void main_forget(sup_proc *p) {
        broker_channel_end(p);
        exec_forget(p);
        iomux_remove(p->group->m, &p->pidfd_io);
        p->pidfd = safe_close(p->pidfd);
        p->main_alive = false;
}

/* Signals the whole process group, and the main process by pidfd as well:
 * right after clone3() the child may not have called setsid() yet. */
/* SIG once to every process of P: the process group, and the main
 * process through its pidfd only when it is not in that group (a
 * MAINPID= that left it).  Sending both would give the main process two
 * SIGTERMs, which many daemons take as "quit now". */
static void real_signal(sup_proc *p, int sig) {
        bool main_in_group;

        /* Its cgroup holds all of it, whatever left the process group. */
        if (p->cgroup.fd >= 0) {
                if (p->pgid > 0 || p->main_alive)
                        cgroup_signal(p, sig);
                return;
        }
        main_in_group = p->pgid > 0 && p->main_alive && getpgid(p->pid) == p->pgid;

        if (p->main_alive && p->pidfd >= 0 && !main_in_group)
                (void) pidfd_send_signal(p->pidfd, sig, NULL, 0);
        if (p->pgid > 0)
                (void) kill(-p->pgid, sig);
}

static void signal_all(sup_proc *p, int sig) {
        ops(p)->signal(p, sig);
}

/* Watches for P's group to empty: its cgroup's events say so; a process
 * group must be polled. */
static void poll_start(sup_proc *p) {
        if (p->cgroup.events)
                return;
        p->poll_usec = USEC_PER_MSEC;
        (void) source_arm(p, &p->poll, p->poll_usec, on_poll);
}

/* Main process and process group both gone: the proc is down. */
static int finish_down(sup_proc *p) {
        timer_disarm(&p->timer);
        timer_disarm(&p->poll);
        main_forget(p);
        pgid_forget(p);
        /* Stopped, not restarting: its cgroup goes (made again at start). */
        if (p->stop_requested)
                cgroup_proc_close(p);
        p->pid = 0;
        proc_set_state(p, PROC_STOPPED);
        if (p->stop_requested)
                proc_emit(p, SUP_EVENT_STOPPED, LOG_INFO);
        return 0;
}

/* SIGKILL to the group; then it is waited for, at most STRAGGLER_USEC. */
static void kill_begin(sup_proc *p) {
        proc_set_state(p, PROC_KILLING);
        signal_all(p, SIGKILL);
        (void) timer_arm(p, STRAGGLER_USEC, PROC_EV_STRAGGLERS);
}

/* Sends the stop signal (or SIGKILL) and arms the grace timer.  A grace
 * timer that cannot be armed would mean SIGKILL is never sent: then it
 * is sent at once. */
static void stop_begin(sup_proc *p) {
        const cfg_node *c = p->group->cfg;

        timer_disarm(&p->timer);
        probe_stop(p);
        if (c->shutdown == CFG_SHUTDOWN_BRUTAL_KILL) {
                kill_begin(p);
                return;
        }
        proc_set_state(p, PROC_STOPPING);
        signal_all(p, c->stop_signal);
        /* A stopped (SIGSTOP) process only acts on the stop signal once continued. */
        signal_all(p, SIGCONT);
        if (c->shutdown == CFG_SHUTDOWN_TIMEOUT &&
            timer_arm(p, c->shutdown_usec, PROC_EV_GRACE_OVER) < 0)
                kill_begin(p);
}

static bool proc_stopping(const sup_proc *p) {
        return p->state == PROC_STOPPING || p->state == PROC_KILLING;
}

/* After the main process is gone: stop what is left of its group, or be down. */
static int after_main_exit(sup_proc *p) {
        if (!ops(p)->group_alive(p))
                return finish_down(p);
        if (!proc_stopping(p)) {
                proc_emit(p, SUP_EVENT_LEFTOVERS, LOG_WARNING);
                stop_begin(p);
        }
        if (!p->poll)
                poll_start(p);
        return 0;
}

/* Builds P's plan and forks it; on failure start_step says what failed. */
static int real_spawn(sup_proc *p, int *ret_status_fd) {
        _cleanup_(spawn_plan_done) spawn_plan plan = SPAWN_PLAN_INIT;
        const char *step = NULL;
        int r;

        r = sup_spawn_plan_for_proc(p, &plan, &step);
        /* Kept for the start-failed event: an exec that fails names it. */
        free(p->start_path);
        p->start_path = plan.path ? strdup(plan.path) : plan.argv && plan.argv[0] ? strdup(plan.argv[0]) : NULL;
        if (r < 0) {
                snprintf(p->start_step, sizeof(p->start_step), "%s", step ? step : "plan");
                return r;
        }
        plan.cgroup_fd = p->cgroup.fd;
        /* Only the uid it runs as (and root) may send to its notify socket. */
        r = notify_grant(p, plan.set_user ? plan.uid : geteuid());
        if (r < 0) {
                snprintf(p->start_step, sizeof(p->start_step), "notify");
                return r;
        }
        /* Once forked, the child is ours only through the pidfd that comes
         * back: a slot for it, whatever the start took meanwhile. */
        (void) fdlimit_reserve_lend();
        r = sup_spawner_spawn(p->group->m, &plan, &p->pid, &p->pidfd, ret_status_fd);
        if (r < 0) {
                snprintf(p->start_step, sizeof(p->start_step), "fork");
                return r;
        }
        p->start_step[0] = '\0';
        p->uid = plan.set_user ? plan.uid : geteuid();
        return 0;
}

static uint64_t real_now(sup_manager *m) {
        uint64_t t;

        /* Before the loop first ran, sd_event_now() reads the clock. */
        if (sd_event_now(m->event, CLOCK_MONOTONIC, &t) < 0)
                return now_usec();
        return t;
}

static bool real_group_alive(const sup_proc *p) {
        if (p->pgid <= 0)
                return false;
        return p->cgroup.fd >= 0 ? cgroup_populated(p) : sup_pgrp_alive(p->pgid);
}

const sup_proc_ops proc_ops_real = {
        .spawn = real_spawn,
        .signal = real_signal,
        .arm = real_arm,
        .group_alive = real_group_alive,
        .now = real_now,
};

/* Nothing was forked: a failed start, handled like a crash so that
 * backoff and intensity apply (start_error says why, STEP where). */
static int start_failed(sup_proc *p, int error, const char *step) {
        p->start_error = error;
        if (step)
                snprintf(p->start_step, sizeof(p->start_step), "%s", step);
        p->exit = (sup_exit) { .code = CLD_EXITED, .status = 127 };
        proc_emit(p, SUP_EVENT_START_FAILED, LOG_ERR);
        proc_set_state(p, PROC_STOPPED);
        return 0;
}

static int act_start(sup_proc *p) {
        sup_manager *m = p->group->m;
        int r, notify_r = 0, status_fd = -EBADF;
        bool real = ops(p) == &proc_ops_real;

        timer_disarm(&p->timer);
        if (p->group->cfg->ready == CFG_READY_NOTIFY || p->group->cfg->health == CFG_HEALTH_WATCHDOG ||
            p->group->cfg->health == CFG_HEALTH_HEARTBEAT) {
                notify_r = notify_open(p);
                if (notify_r >= 0)
                        notify_drain(p);
        }
        if (p->exit.code != 0 || p->start_error != 0) {
                p->last_exit = p->exit;
                p->last_start_error = p->start_error;
        }
        p->incarnation++;
        /* Only the supervisor's restarts count as restarts: a start the
         * operator asked for is a start (metrics: starts_total). */
        if (!p->operator_start && p->incarnation > 1)
                p->restarts++;
        p->operator_start = false;
        proc_note_end(p, PROC_EV_START);
        probe_reset(p);
        p->start_error = 0;
        p->start_step[0] = '\0';
        p->exit = (sup_exit) {};

        /* Out of fds (or memory): a failed start like any other, counted
         * toward the supervisor's intensity, so that a tree that does not
         * fit ends in a give-up that says why, never in a wedge.  The
         * reserve stays for stopping what runs. */
        if (real && !fdlimit_reserve_full())
                return start_failed(p, EMFILE, "fds");
        if (notify_r < 0)
                return start_failed(p, -notify_r, "notify");
        /* Its cgroup, where there are cgroups: without one it would not be
         * contained, so the start fails (and is retried). */
        if (m->cgroup && real) {
                r = cgroup_proc_open(p);
                if (r < 0)
                        return start_failed(p, -r, "cgroup");
        }
        broker_before_start(p);
        /* Its channel to us; without one it runs without messages rather
         * than not at all. */
        r = broker_channel_open(p);
        if (r < 0)
                sup_log(&m->events, LOG_WARNING, "%s: no channel for messages: %s", p->name, strerror(-r));
        r = ops(p)->spawn(p, &status_fd);
        broker_channel_spawned(p, r >= 0);
        if (r < 0)
                return start_failed(p, -r, NULL);

        p->pgid = p->pid;
        state_note_started(m, p);
        p->main_alive = true;
        p->started_usec = manager_now(p->group->m);
        proc_set_state(p, PROC_STARTING);
        p->exec_fd = status_fd;

        r = iomux_add(m, &p->pidfd_io, p->pidfd, EPOLLIN, on_pidfd);
        if (r >= 0)
                r = sd_event_add_io(m->event, &p->exec_source, p->exec_fd, EPOLLIN, on_exec, p);
        if (r < 0) {
                /* Without a watch the process cannot be supervised: stop it. */
                sup_log(&m->events, LOG_ERR, "%s: failed to watch pid %d: %s", p->name, (int) p->pid,
                        strerror(-r));
                stop_begin(p);
                poll_start(p);
                return 0;
        }
        /* The outcome of the exec arrives on the pipe (on_exec). */
        return 0;
}

static int act_exec_ok(sup_proc *p) {
        const cfg_node *c = p->group->cfg;

        exec_forget(p);
        /* Only a failed exec names its path (node_proc_event()): this
         * incarnation's start can no longer fail so. */
        free(p->start_path);
        p->start_path = NULL;
        proc_set_state(p, PROC_RUNNING);
        proc_emit(p, SUP_EVENT_STARTED, LOG_INFO);

        switch (c->ready) {
        case CFG_READY_NOTIFY:
                /* READY=1 on the notify socket, or a failed start. */
                /* Without its timer a start could wait for ever: a failed start. */
                if (timer_arm(p, c->start_timeout_usec, PROC_EV_START_TIMEOUT) < 0)
                        return proc_dispatch(p, PROC_EV_START_TIMEOUT);
                return 0;
        case CFG_READY_DELAY:
                /* Without its timer it is ready at once. */
                if (c->ready_usec > 0 && timer_arm(p, c->ready_usec, PROC_EV_READY) >= 0)
                        return 0;
                return proc_dispatch(p, PROC_EV_READY);
        default:
                return proc_dispatch(p, PROC_EV_READY);
        }
}

/* Not ready within start_timeout: a failed start.  It is stopped, and
 * restarted like a crash. */
static int act_start_timeout(sup_proc *p) {
        p->start_error = ETIME;
        snprintf(p->start_step, sizeof(p->start_step), "ready");
        proc_emit(p, SUP_EVENT_START_TIMEOUT, LOG_ERR);
        stop_begin(p);
        return 0;
}

static int act_ready(sup_proc *p) {
        uint64_t now = manager_now(p->group->m);

        timer_disarm(&p->timer);
        p->start_latency_usec = now > p->started_usec ? now - p->started_usec : 0;
        proc_set_state(p, PROC_READY);
        proc_emit(p, SUP_EVENT_READY, LOG_INFO);
        probe_ready(p);
        return 0;
}

/* An asked-for stop or a clean exit is news; anything else is a warning. */
static int exit_priority(const sup_proc *p) {
        if (p->stop_requested || (p->exit.code == CLD_EXITED && p->exit.status == 0))
                return LOG_INFO;
        return LOG_WARNING;
}

static int act_exit(sup_proc *p) {
        probe_stop(p);
        main_forget(p);
        timer_disarm(&p->timer);
        proc_emit(p, p->start_error ? SUP_EVENT_START_FAILED : SUP_EVENT_EXITED,
                  p->start_error ? LOG_ERR : exit_priority(p));
        return after_main_exit(p);
}

/* Exit while the outcome of the exec was not read yet: read it now (the
 * child is gone, so the pipe holds a record or EOF).  An exec that
 * happened is reported as such before the exit. */
static int act_starting_exit(sup_proc *p) {
        if (exec_status(p) >= 0) {
                (void) act_exec_ok(p);
                if (p->state == PROC_RUNNING || p->state == PROC_READY)
                        return proc_dispatch(p, PROC_EV_EXIT);
                return 0;
        }
        return act_exit(p);
}

static int act_stop(sup_proc *p) {
        proc_note_end(p, PROC_EV_STOP);
        proc_emit(p, SUP_EVENT_STOPPING, LOG_INFO);
        stop_begin(p);
        return 0;
}

static int act_stop_backoff(sup_proc *p) {
        timer_disarm(&p->timer);
        proc_note_end(p, PROC_EV_STOP);
        return finish_down(p);
}

static int act_stopping_stop(sup_proc *p) {
        /* Already stopping its leftovers: from now on it is an asked-for stop. */
        proc_note_end(p, PROC_EV_STOP);
        return 0;
}

static int act_stopping_exit(sup_proc *p) {
        probe_stop(p);
        main_forget(p);
        proc_emit(p, SUP_EVENT_EXITED, exit_priority(p));
        return after_main_exit(p);
}

static int act_stopping_group_empty(sup_proc *p) {
        timer_disarm(&p->poll);
        pgid_forget(p);
        if (p->main_alive)
                return 0;
        return finish_down(p);
}

/* Its probes failed: stopped with its shutdown policy, and its end is a
 * failure (health_failed), not an asked-for stop. */
static int act_health_failed(sup_proc *p) {
        proc_note_end(p, PROC_EV_HEALTH_FAILED);
        stop_begin(p);
        return 0;
}

static int act_grace_over(sup_proc *p) {
        proc_emit(p, SUP_EVENT_KILLING, LOG_WARNING);
        kill_begin(p);
        return 0;
}

/* SIGKILL did not end them: they are stuck in the kernel.  Stop waiting for
 * the group; the main process is still waited for, as its pid cannot be
 * reused before it is reaped. */
static int act_stragglers(sup_proc *p) {
        proc_emit(p, SUP_EVENT_STRAGGLERS, LOG_ERR);
        return act_stopping_group_empty(p);
}

/* Waits restart_delay_usec, then starts.  Even a zero delay goes through
 * the loop, never recursion: a command that fails at once cannot nest
 * restarts on the stack.  A defer source costs no system call, unlike a
 * timer. */
static int act_restart(sup_proc *p) {
        uint64_t delay = p->restart_delay_usec;
        sup_event e = {};

        proc_set_state(p, PROC_BACKOFF);
        snprintf(e.node, sizeof(e.node), "%s", p->name);
        e.type = SUP_EVENT_RESTARTING;
        e.priority = LOG_INFO;
        e.delay_usec = delay;
        e.incarnation = p->incarnation;
        sup_events_emit(&p->group->m->events, &e);
        timer_disarm(&p->timer);
        p->timer_event = PROC_EV_BACKOFF_OVER;
        if (delay == 0 && sd_event_add_defer(p->group->m->event, &p->timer, on_defer, p) >= 0 &&
            sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT) >= 0)
                return 0;
        /* Without a timer the delay cannot be waited for: start now. */
        if (timer_arm(p, delay, PROC_EV_BACKOFF_OVER) < 0)
                return act_start(p);
        return 0;
}

/* Down for good: its restart type does not restart it. */
static int act_retire(sup_proc *p) {
        proc_set_state(p, PROC_EXITED);
        return 0;
}

/* Its supervisor gave up. */
static int act_give_up(sup_proc *p) {
        timer_disarm(&p->timer);
        proc_set_state(p, PROC_FAILED);
        return 0;
}

typedef int (*proc_action)(sup_proc *p);

/* A missing entry is an event that means nothing in that state and is
 * ignored: e.g. a second STOP while stopping (but see act_stopping_stop),
 * EXEC_OK or READY once it is down, RETIRE or GIVE_UP while it runs (the
 * tree only sends them to procs that are down). */
static const proc_action actions[_PROC_STATE_MAX][_PROC_EV_MAX] = {
        [PROC_STOPPED] = {
                [PROC_EV_START] = act_start,
                [PROC_EV_RESTART] = act_restart,
                [PROC_EV_RETIRE] = act_retire,
                [PROC_EV_GIVE_UP] = act_give_up,
        },
        [PROC_EXITED] = {
                [PROC_EV_START] = act_start,
                [PROC_EV_RESTART] = act_restart,
                [PROC_EV_GIVE_UP] = act_give_up,
        },
        [PROC_FAILED] = {
                [PROC_EV_START] = act_start,
                [PROC_EV_RESTART] = act_restart,
        },
        [PROC_STARTING] = {
                [PROC_EV_STOP] = act_stop,
                [PROC_EV_EXEC_OK] = act_exec_ok,
                [PROC_EV_EXIT] = act_starting_exit,
        },
        [PROC_RUNNING] = {
                [PROC_EV_STOP] = act_stop,
                [PROC_EV_READY] = act_ready,
                [PROC_EV_START_TIMEOUT] = act_start_timeout,
                [PROC_EV_EXIT] = act_exit,
        },
        [PROC_READY] = {
                [PROC_EV_STOP] = act_stop,
                [PROC_EV_EXIT] = act_exit,
                [PROC_EV_HEALTH_FAILED] = act_health_failed,
        },
        [PROC_STOPPING] = {
                [PROC_EV_STOP] = act_stopping_stop,
                [PROC_EV_EXIT] = act_stopping_exit,
                [PROC_EV_GROUP_EMPTY] = act_stopping_group_empty,
                [PROC_EV_GRACE_OVER] = act_grace_over,
        },
        [PROC_KILLING] = {
                [PROC_EV_STOP] = act_stopping_stop,
                [PROC_EV_EXIT] = act_stopping_exit,
                [PROC_EV_GROUP_EMPTY] = act_stopping_group_empty,
                [PROC_EV_STRAGGLERS] = act_stragglers,
        },
        [PROC_BACKOFF] = {
                [PROC_EV_START] = act_start,
                [PROC_EV_STOP] = act_stop_backoff,
                [PROC_EV_RESTART] = act_restart,
                [PROC_EV_GIVE_UP] = act_give_up,
                [PROC_EV_BACKOFF_OVER] = act_start,
        },
};

bool proc_handles(proc_state st, proc_event ev) {
        return st >= 0 && st < _PROC_STATE_MAX && ev >= 0 && ev < _PROC_EV_MAX && actions[st][ev];
}

int proc_dispatch(sup_proc *p, proc_event ev) {
        proc_action a;

        if (p->state < 0 || p->state >= _PROC_STATE_MAX || ev < 0 || ev >= _PROC_EV_MAX)
                return -EINVAL;
        a = actions[p->state][ev];
        if (!a)
                return 0;
        return a(p);
}

void proc_restart_after(sup_proc *p, uint64_t delay_usec) {
        p->restart_delay_usec = delay_usec;
        (void) proc_dispatch(p, PROC_EV_RESTART);
}

/* Called after orphans were reaped, when the group may have emptied. */
void proc_group_check(sup_proc *p) {
        if (!proc_stopping(p) || p->main_alive || p->pgid <= 0)
                return;
        if (!ops(p)->group_alive(p))
                (void) proc_dispatch(p, PROC_EV_GROUP_EMPTY);
}

void proc_init(sup_proc *p, sup_node *group, unsigned instance) {
        *p = (sup_proc) {
                .group = group,
                .instance = instance,
                .pidfd = -EBADF,
                .exec_fd = -EBADF,
                .pidfd_io = SUP_IO_INIT,
                .broker = BROKER_PROC_INIT,
                .cgroup = CGROUP_PROC_INIT,
        };
        if (group->cfg->instances > 1)
                snprintf(p->name, sizeof(p->name), "%s[%u]", group->cfg->name, instance);
        else
                snprintf(p->name, sizeof(p->name), "%s", group->cfg->name);
}

void proc_done(sup_proc *p) {
        timer_disarm(&p->timer);
        timer_disarm(&p->poll);
        main_forget(p);
        notify_close(p);
        broker_proc_done(p);
        probe_done(p);
        cgroup_proc_close(p);
        if (p->sink_err != p->sink_out)
                p->sink_err = log_sink_free(p->sink_err);
        p->sink_err = NULL;
        p->sink_out = log_sink_free(p->sink_out);
        free(p->start_path);
        p->start_path = NULL;
}

/* EXTEND_TIMEOUT_USEC=: a starting child asks for more time; the start
 * timeout becomes at least that far from now. */
void proc_extend_start(sup_proc *p, uint64_t usec) {
        uint64_t due = 0;

        if (p->state != PROC_RUNNING || p->group->cfg->ready != CFG_READY_NOTIFY || !p->timer)
                return;
        if (sd_event_source_get_time(p->timer, &due) >= 0 && due >= now_usec() + usec)
                return;
        (void) timer_arm(p, usec, PROC_EV_START_TIMEOUT);
}

/* MAINPID=: the child names another of its processes (already checked to
 * be a live process of its group) as the one whose exit ends it, as a
 * forking daemon does.  The old main process, still airsupd's child, is
 * then reaped as an orphan; the new one is watched by pidfd.  Unless
 * airsupd is a subreaper or PID 1, the new main is not its child and its
 * exit status is unknown.  The process group stays the one the group
 * started with: a new main that left it (setsid()) is signalled through
 * its pidfd as well, and cannot take the rest of the group out of a stop. */
int proc_set_main(sup_proc *p, pid_t pid) {
        sup_manager *m = p->group->m;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (p->state != PROC_RUNNING && p->state != PROC_READY)
                return 0;
        fd = pidfd_open(pid, 0);
        if (fd < 0)
                return -errno;
        main_forget(p);
        r = iomux_add(m, &p->pidfd_io, fd, EPOLLIN, on_pidfd);
        if (r < 0) {
                sup_log(&m->events, LOG_ERR, "%s: failed to watch pid %d: %s", p->name, (int) pid, strerror(-r));
                stop_begin(p);
                poll_start(p);
                return r;
        }
        p->pidfd = TAKE_FD(fd);
        p->pid = pid;
        p->main_alive = true;
        proc_emit(p, SUP_EVENT_MAIN_PID, LOG_INFO);
        /* It may have ended between the message and pidfd_open(). */
        return 0;
}

/* Collects the main process's exit through its pidfd.  Returns false when
 * it has not exited (or was already collected). */
static bool collect_exit(sup_proc *p) {
        siginfo_t si = {};

        if (p->pidfd < 0)
                return false;
        if (waitid((idtype_t) P_PIDFD, (id_t) p->pidfd, &si, WEXITED | WNOHANG) < 0) {
                struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };
                /* A main process named by MAINPID= that is not our child:
                 * it is gone when its pidfd is readable, how is unknown. */
                if (errno != ECHILD || poll(&pfd, 1, 0) <= 0)
                        return false;
                p->exit = (sup_exit) { .code = SUP_EXIT_UNKNOWN };
                return true;
        }
        if (si.si_pid == 0)
                return false;
        p->exit = (sup_exit) { .code = si.si_code, .status = si.si_status };
        return true;
}

/* Also called by the SIGCHLD reaper, which may see the exit first. */
bool proc_main_exited(sup_proc *p) {
        /* What it said before it ended comes first (a MAINPID= sent just
         * before exit 0 hands over, it is no crash): its datagrams are
         * queued before its exit is, but nothing orders the two sources. */
        notify_flush(p);
        if (!collect_exit(p))
                return false;
        {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                p->exited_realtime_usec = (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
        }
        (void) proc_dispatch(p, PROC_EV_EXIT);
        return true;
}

void proc_exec_settle(sup_proc *p) {
        if (p->state == PROC_STARTING && exec_status(p) > 0)
                (void) proc_dispatch(p, PROC_EV_EXEC_OK);
}

static void on_pidfd(sup_io *io, int fd, uint32_t revents) {
        (void) fd;
        (void) revents;
        proc_main_exited((sup_proc *) (void *) ((char *) io - offsetof(sup_proc, pidfd_io)));
}

static int on_exec(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        sup_proc *p = userdata;
        int r;

        (void) s;
        (void) fd;
        (void) revents;
        r = exec_status(p);
        if (r > 0)
                (void) proc_dispatch(p, PROC_EV_EXEC_OK);
        /* r < 0: the child exits with 127 now; its exit reports the error. */
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        sup_proc *p = userdata;

        (void) s;
        (void) usec;
        /* The source is gone with this shot; drop it before acting so that
         * the action may arm a new one. */
        p->timer = sd_event_source_disable_unref(p->timer);
        (void) proc_dispatch(p, p->timer_event);
        return 0;
}

static int on_defer(sd_event_source *s, void *userdata) {
        return on_timer(s, 0, userdata);
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        sup_proc *p = userdata;

        (void) s;
        (void) usec;
        p->poll = sd_event_source_disable_unref(p->poll);
        p->group->m->group_polls++;
        if (!ops(p)->group_alive(p)) {
                (void) proc_dispatch(p, PROC_EV_GROUP_EMPTY);
                return 0;
        }
        p->poll_usec = p->poll_usec * 2 > POLL_MAX_USEC ? POLL_MAX_USEC : p->poll_usec * 2;
        (void) source_arm(p, &p->poll, p->poll_usec, on_poll);
        return 0;
}

/* What a side part saw (sup_report()): the parts never call the table or
 * each other, so their news comes here, is made the table's own event,
 * or goes down to the part it concerns.  Returns < 0 only for a PING that
 * could not be sent. */
int proc_on_report(sup_proc *p, proc_report what) {
        switch (what) {
        case PROC_REPORT_READY:
                return proc_dispatch(p, PROC_EV_READY);
        case PROC_REPORT_EXEC_SETTLE:
                proc_exec_settle(p);
                return 0;
        case PROC_REPORT_MAIN_PID:
                return proc_set_main(p, p->notify->main_pid);
        case PROC_REPORT_EXTEND_START:
                proc_extend_start(p, p->notify->extend_usec);
                return 0;
        case PROC_REPORT_STATUS:
                proc_emit(p, SUP_EVENT_STATUS, LOG_INFO);
                return 0;
        case PROC_REPORT_STOPPING:
                proc_emit(p, SUP_EVENT_CHILD_STOPPING, LOG_INFO);
                return 0;
        case PROC_REPORT_WATCHDOG:
                probe_pet(p);
                return 0;
        case PROC_REPORT_DECLARED_HEALTH:
                probe_declare(p, p->notify->degraded, notify_status(p));
                return 0;
        case PROC_REPORT_WATCHDOG_TRIGGER:
                probe_trigger(p);
                return 0;
        case PROC_REPORT_WATCHDOG_USEC:
                probe_set_interval(p, p->notify->watchdog_usec);
                return 0;
        case PROC_REPORT_PING:
                return broker_ping(p, p->probe->ping_wait);
        case PROC_REPORT_PONG:
                probe_pong(p, p->broker.pong);
                return 0;
        case PROC_REPORT_HEALTH_FAILED:
                return proc_dispatch(p, PROC_EV_HEALTH_FAILED);
        case PROC_REPORT_GROUP_EMPTY:
                return proc_dispatch(p, PROC_EV_GROUP_EMPTY);
        default:
                return -EINVAL;
        }
}

void proc_hold(sup_proc *p, bool held) {
        p->held = held;
}

void proc_want_restart(sup_proc *p, bool again) {
        p->restart_requested = again;
}
