/* probe.c - health probes: a process that is alive and hung.
 *
 * From the moment a process is ready (and health_grace has passed) until
 * it stops, one timer per process on the event loop says when the next
 * probe is due:
 *
 *   watchdog   the process sends WATCHDOG=1 on its notify socket at least
 *              every health_interval (WATCHDOG_USEC= changes that); each
 *              interval without one is a failure, WATCHDOG=trigger fails
 *              it at once.  A WATCHDOG=1 only notes the time: the timer,
 *              once due, looks at the last one and moves on to an interval
 *              after it, so a thousand children petting 20 times a second
 *              cost airsupd a clock read each, not a timer each.
 *   heartbeat  the same through libairsup: airsup_heartbeat() sends the
 *              WATCHDOG=1.
 *   ping       airsupd sends PING on the process's channel, and libairsup
 *              answers PONG from whichever of the process's calls reads
 *              its channel (airsup_recv(), airsup_process()): no answer
 *              within health_timeout is a failure.  It proves the
 *              process's receive loop runs.
 *   exec:CMD   CMD runs (as the group's user, in its environment, in a
 *              session of its own, output to /dev/null) every
 *              health_interval; exit 0 within health_timeout is a success.
 *              One that overruns is killed and counted as a failure; the
 *              next starts only once it was reaped, so probes never
 *              overlap or pile up.  It is the group's (its user may ptrace
 *              it): with cgroups it is cloned into the instance's cgroup
 *              (its _probe cgroup, cgroup.c), never airsupd's, and all of
 *              that cgroup is killed when a probe ends; without, its
 *              process group is.
 *
 * Each outcome goes through sup_health_next() (policy.c, pure): healthy,
 * degraded, failed after health_threshold failures in a row.  Every change
 * is an event; failed stops the process with its shutdown policy and its
 * end counts as abnormal (PROC_EV_HEALTH_FAILED, reason=health). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <syslog.h>

#include "common/cleanup.h"
#include "supervisor/messages/broker.h"
#include "supervisor/start/cgroup.h"
#include "supervisor/core/manager.h"
#include "supervisor/watch/probe.h"
#include "supervisor/core/proc.h"
#include "supervisor/start/spawn.h"
#include "supervisor/start/spawner.h"

static int on_due(sd_event_source *s, uint64_t usec, void *userdata);
static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata);

static int on_health_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        sup_proc *p = userdata;
        return p->health_cb ? p->health_cb(s, usec, userdata) : 0;
}
static int on_probe_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static const cfg_node *conf(const sup_proc *p) {
        return p->group->cfg;
}

static uint64_t interval(const sup_proc *p) {
        return p->watchdog_usec ? p->watchdog_usec : conf(p)->health_interval_usec;
}

/* watchdog and heartbeat: the process says it is alive (WATCHDOG=1). */
static bool petted(const sup_proc *p) {
        return conf(p)->health == CFG_HEALTH_WATCHDOG || conf(p)->health == CFG_HEALTH_HEARTBEAT;
}

static bool active(const sup_proc *p) {
        return p->health != SUP_HEALTH_NONE;
}

/* One timer per process, reused: in USEC it calls CB (the next probe, or
 * a probe's timeout).  Its accuracy is a twentieth of the interval (at
 * least 1 ms), so that the timers of many processes share wake-ups. */
static void arm(sup_proc *p, uint64_t usec, sd_event_time_handler_t cb) {
        uint64_t accuracy = interval(p) / 20 > 1000 ? interval(p) / 20 : 1000;
        int r;

        p->health_cb = cb;
        if (p->health_timer) {
                r = sd_event_source_set_time(p->health_timer, now_usec() + usec);
                if (r >= 0)
                        r = sd_event_source_set_enabled(p->health_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(p->group->m->event, &p->health_timer, CLOCK_MONOTONIC, now_usec() + usec,
                                      accuracy, on_health_timer, p);
        if (r < 0)
                sup_log(&p->group->m->events, LOG_ERR, "%s: cannot arm its health timer: %s", p->name, strerror(-r));
}

static void emit(sup_proc *p, sup_event_type type, int priority) {
        sup_event e = { .type = type, .priority = priority, .pid = p->pid, .incarnation = p->incarnation };

        snprintf(e.node, sizeof(e.node), "%s", p->name);
        if (type == SUP_EVENT_HEALTHY)
                snprintf(e.detail, sizeof(e.detail), "probe=%s", cfg_health_to_string(conf(p)->health));
        else
                snprintf(e.detail, sizeof(e.detail), "probe=%s failures=%u reason=\"%s\"",
                         cfg_health_to_string(conf(p)->health), p->health_failures, p->health_why);
        sup_events_emit(&p->group->m->events, &e);
}

/* Forgets a running exec: probe, killing what is left of it; the SIGCHLD
 * reaper collects it. */
static void probe_forget(sup_proc *p) {
        if (p->probe_pid > 0) {
                (void) kill(-p->probe_pid, SIGKILL);
                cgroup_probe_kill(p);
        }
        p->probe_source = sd_event_source_disable_unref(p->probe_source);
        p->probe_pidfd = safe_close(p->probe_pidfd);
        p->probe_pid = 0;
}

static void failed(sup_proc *p) {
        p->health = SUP_HEALTH_FAILED;
        emit(p, SUP_EVENT_HEALTH_FAILED, LOG_ERR);
        probe_stop(p);
        (void) proc_dispatch(p, PROC_EV_HEALTH_FAILED);
}

/* One probe's outcome. */
static void outcome(sup_proc *p, bool ok, const char *why) {
        sup_health before = p->health, after;

        if (!active(p))
                return;
        p->probes_total++;
        if (!ok) {
                p->probe_failures_total++;
                snprintf(p->health_why, sizeof(p->health_why), "%s", why);
        }
        after = sup_health_next(&p->health_failures, ok, conf(p)->health_threshold);
        if (after == SUP_HEALTH_FAILED) {
                failed(p);
                return;
        }
        p->health = after;
        if (after == SUP_HEALTH_DEGRADED)
                emit(p, SUP_EVENT_DEGRADED, LOG_WARNING);
        else if (before == SUP_HEALTH_DEGRADED)
                emit(p, SUP_EVENT_HEALTHY, LOG_INFO);
}

void probe_ready(sup_proc *p) {
        if (conf(p)->health == CFG_HEALTH_NONE || active(p))
                return;
        p->health = SUP_HEALTH_HEALTHY;
        p->health_failures = 0;
        p->health_why[0] = '\0';
        p->last_pet_usec = manager_now(p->group->m) + conf(p)->health_grace_usec;
        arm(p, conf(p)->health_grace_usec + interval(p), on_due);
}

void probe_stop(sup_proc *p) {
        p->health_timer = sd_event_source_disable_unref(p->health_timer);
        p->ping_wait = 0;
        probe_forget(p);
        if (p->health != SUP_HEALTH_FAILED)
                p->health = SUP_HEALTH_NONE;
}

void probe_pet(sup_proc *p) {
        if (!active(p) || !petted(p))
                return;
        p->last_pet_usec = manager_now(p->group->m);
        if (p->health == SUP_HEALTH_DEGRADED)
                outcome(p, true, NULL);
        else
                p->probes_total++;
}

void probe_trigger(sup_proc *p) {
        if (!active(p) || !petted(p))
                return;
        p->health_failures = conf(p)->health_threshold;
        snprintf(p->health_why, sizeof(p->health_why), "WATCHDOG=trigger");
        failed(p);
}

void probe_set_interval(sup_proc *p, uint64_t usec) {
        if (!petted(p))
                return;
        p->watchdog_usec = usec;
        if (active(p)) {
                arm(p, sup_health_wait(p->last_pet_usec, interval(p), manager_now(p->group->m)), on_due);
        }
}

static void exec_start(sup_proc *p) {
        _cleanup_(spawn_plan_done) spawn_plan plan = SPAWN_PLAN_INIT;
        _cleanup_close_ int status_fd = -EBADF, cg_fd = -EBADF;
        const char *step = NULL;
        int r;

        r = sup_spawn_plan_for_probe(p, &plan, &step);
        if (r >= 0) {
                step = "cgroup";
                r = cgroup_probe_open(p, &cg_fd);
                plan.cgroup_fd = cg_fd;
                if (r >= 0)
                        step = NULL;
        }
        if (r >= 0)
                r = sup_spawner_spawn(p->group->m, &plan, &p->probe_pid, &p->probe_pidfd, &status_fd);
        if (r < 0) {
                char why[64];
                snprintf(why, sizeof(why), "cannot run the probe (%s at %s)", strerrorname_np(-r) ?: "?",
                         step ? step : "fork");
                p->probe_pid = 0;
                arm(p, interval(p), on_due);
                outcome(p, false, why);
                return;
        }
        p->probe_started_usec = now_usec();
        p->probe_timed_out = false;
        r = sd_event_add_io(p->group->m->event, &p->probe_source, p->probe_pidfd, EPOLLIN, on_probe_exit, p);
        if (r < 0) {
                probe_forget(p);
                arm(p, interval(p), on_due);
                outcome(p, false, "cannot watch the probe");
                return;
        }
        arm(p, conf(p)->health_timeout_usec, on_timeout);
}

/* The next probe, an interval after the start of the last one. */
static void arm_next(sup_proc *p) {
        arm(p, sup_health_wait(p->probe_started_usec, interval(p), now_usec()), on_due);
}

static int on_ping_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        sup_proc *p = userdata;
        char why[64];

        (void) s;
        (void) usec;
        if (!active(p) || p->ping_wait == 0)
                return 0;
        p->ping_wait = 0;               /* a late PONG counts for nothing */
        snprintf(why, sizeof(why), "no PONG within %llu ms", (unsigned long long) (conf(p)->health_timeout_usec / 1000));
        arm_next(p);
        outcome(p, false, why);
        return 0;
}

static void ping_start(sup_proc *p) {
        int r;

        p->probe_started_usec = now_usec();
        p->ping_wait = ++p->ping_next;
        r = broker_ping(p, p->ping_wait);
        if (r < 0) {
                char why[64];
                p->ping_wait = 0;
                snprintf(why, sizeof(why), "cannot ping: %s", strerrorname_np(-r) ?: "?");
                arm_next(p);
                outcome(p, false, why);
                return;
        }
        arm(p, conf(p)->health_timeout_usec, on_ping_timeout);
}

void probe_pong(sup_proc *p, uint64_t seq) {
        if (!active(p) || conf(p)->health != CFG_HEALTH_PING || seq == 0 || seq != p->ping_wait)
                return;
        p->ping_wait = 0;
        arm_next(p);
        outcome(p, true, NULL);
}

static int on_due(sd_event_source *s, uint64_t usec, void *userdata) {
        sup_proc *p = userdata;
        char why[64];

        (void) s;
        (void) usec;
        if (!active(p))
                return 0;
        if (conf(p)->health == CFG_HEALTH_EXEC) {
                if (p->probe_pid == 0)
                        exec_start(p);
                return 0;
        }
        if (conf(p)->health == CFG_HEALTH_PING) {
                if (p->ping_wait == 0)
                        ping_start(p);
                return 0;
        }
        {
                uint64_t now = now_usec(), left = sup_health_wait(p->last_pet_usec, interval(p), now);
                if (left > 0) {
                        arm(p, left, on_due);
                        return 0;
                }
                p->last_pet_usec = now;
        }
        snprintf(why, sizeof(why), "no %s within %llu ms",
                 conf(p)->health == CFG_HEALTH_HEARTBEAT ? "heartbeat" : "WATCHDOG=1",
                 (unsigned long long) (interval(p) / 1000));
        arm(p, interval(p), on_due);
        outcome(p, false, why);
        return 0;
}

/* The probe overran: killed, a failure; the next one waits for its end. */
static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        sup_proc *p = userdata;
        char why[64];

        (void) s;
        (void) usec;
        if (p->probe_pid <= 0)
                return 0;
        (void) kill(-p->probe_pid, SIGKILL);
        (void) pidfd_send_signal(p->probe_pidfd, SIGKILL, NULL, 0);
        cgroup_probe_kill(p);
        p->probe_timed_out = true;
        snprintf(why, sizeof(why), "probe did not finish within %llu ms",
                 (unsigned long long) (conf(p)->health_timeout_usec / 1000));
        outcome(p, false, why);
        return 0;
}

bool probe_exited(sup_proc *p) {
        siginfo_t si = {};
        bool timed_out = p->probe_timed_out;
        char why[64];

        if (p->probe_pidfd < 0 ||
            waitid((idtype_t) P_PIDFD, (id_t) p->probe_pidfd, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
                return false;
        /* Its process group goes with it, while the zombie still holds the
         * pid, and with cgroups all of its cgroup, whatever left the
         * process group: a probe leaves nothing behind (the cgroup once
         * the probe is reaped, so that its own exit is what was read). */
        (void) kill(-p->probe_pid, SIGKILL);
        (void) waitid((idtype_t) P_PIDFD, (id_t) p->probe_pidfd, &si, WEXITED | WNOHANG);
        cgroup_probe_kill(p);
        p->probe_source = sd_event_source_disable_unref(p->probe_source);
        p->probe_pidfd = safe_close(p->probe_pidfd);
        p->probe_pid = 0;
        if (!active(p))
                return true;
        /* At a fixed rate from each start, never sooner than now. */
        arm(p, sup_health_wait(p->probe_started_usec, interval(p), now_usec()), on_due);
        if (timed_out)
                return true;            /* counted when it was killed */
        if (si.si_code == CLD_EXITED && si.si_status == 0) {
                outcome(p, true, NULL);
                return true;
        }
        if (si.si_code == CLD_EXITED)
                snprintf(why, sizeof(why), "probe exited with status %d", si.si_status);
        else
                snprintf(why, sizeof(why), "probe killed by SIG%s", cfg_signal_to_string(si.si_status));
        outcome(p, false, why);
        return true;
}

static int on_probe_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        (void) s;
        (void) fd;
        (void) revents;
        (void) probe_exited(userdata);
        return 0;
}

static sup_proc *find(sup_node *n, pid_t pid) {
        for (size_t i = 0; i < n->n_children; i++) {
                sup_proc *p = find(n->children[i], pid);
                if (p)
                        return p;
        }
        for (size_t i = 0; i < n->n_procs; i++)
                if (n->procs[i].probe_pid == pid)
                        return &n->procs[i];
        return NULL;
}

sup_proc *probe_find_pid(sup_manager *m, pid_t pid) {
        return pid > 0 ? find(m->root, pid) : NULL;
}
