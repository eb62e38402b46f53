/* probe.c - health probes: a process that is alive and hung.
 *
 * From the moment a process is ready (and health_grace has passed) until
 * it stops, one timer per process on the event loop says when the next
 * probe is due:
 *
 *   watchdog   the process sends WATCHDOG=1 on its notify socket at least
 *              every health_interval (WATCHDOG_USEC= changes that); each
 *              interval without one is a failure, WATCHDOG=trigger fails
 *              it at once.  A WATCHDOG=1 moves the process's deadline an
 *              interval past it.  The deadlines of all such processes are
 *              one heap of the manager's (struct probe_dues) with one
 *              timer of the loop for the earliest, so that a thousand
 *              children petting 20 times a second cost a few steps in a
 *              small array each, not a move in sd-event's timer queues.
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
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <syslog.h>

#include "common/cleanup.h"
#include "common/time.h"
#include "supervisor/start/cgroup.h"
#include "supervisor/start/spawn.h"
#include "supervisor/start/spawner.h"
#include "supervisor/watch/notify.h"
#include "supervisor/watch/probe.h"

static int on_due(sd_event_source *s, uint64_t usec, void *userdata);
static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata);

static int on_health_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        sup_proc *p = userdata;
        return p->probe->timer_cb ? p->probe->timer_cb(s, usec, userdata) : 0;
}
static int on_probe_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static const cfg_node *conf(const sup_proc *p) {
        return p->group->cfg;
}

static uint64_t interval(const sup_proc *p) {
        return p->probe->watchdog_usec ? p->probe->watchdog_usec : conf(p)->health_interval_usec;
}

/* watchdog and heartbeat: the process says it is alive (WATCHDOG=1). */
static bool petted(const sup_proc *p) {
        return conf(p)->health == CFG_HEALTH_WATCHDOG || conf(p)->health == CFG_HEALTH_HEARTBEAT;
}

/* Probing: from probe_ready() until it stops or fails.  A failed process
 * is being stopped: what it sends from then on (a WATCHDOG=trigger in a
 * loop, pets that would put its deadline back) changes nothing and makes
 * no event, until its next incarnation is probed afresh. */
static bool active(const sup_proc *p) {
        return p->probe && p->probe->health != SUP_HEALTH_NONE && p->probe->health != SUP_HEALTH_FAILED;
}

/* P's probe_proc, made the first time its group's health = needs one. */
static probe_proc *probe_get(sup_proc *p) {
        if (!p->probe) {
                p->probe = calloc(1, sizeof(*p->probe));
                if (!p->probe) {
                        sup_log(&p->group->m->events, LOG_ERR, "%s: no memory for its health probes", p->name);
                        return NULL;
                }
                p->probe->pidfd = -EBADF;
                p->probe->proc = p;
        }
        return p->probe;
}

/* A timer's accuracy: a twentieth of the interval (at least 1 ms), so
 * that the timers of many processes share wake-ups. */
static uint64_t accuracy(const sup_proc *p) {
        return interval(p) / 20 > 1000 ? interval(p) / 20 : 1000;
}

/* The deadlines of the watchdog and heartbeat probes: a min-heap of
 * (when, process), each process knowing its slot (probe->due), and one
 * timer of the loop set for the earliest.  A WATCHDOG=1 moves its
 * process's deadline later: a few steps down an array of 16-byte slots
 * (1000 processes: 16 kB, five levels), where moving a timer of sd-event's
 * was two reshuffles of its queues through each source's memory (13% of
 * airsupd's time with 500 children petting every 50 ms, measured).  The
 * timer is set again only when the earliest deadline comes sooner; when
 * it moved later, the timer fires early, finds nothing due and is set
 * for the new earliest.  (The types are in probe-proc.h, for memory.c.) */
static void due_place(struct probe_dues *d, size_t i, probe_due e) {
        d->v[i] = e;
        e.probe->due = i + 1;
}

/* Four children a slot: half the levels of a binary heap, so half the
 * processes whose slot number is written when one moves. */
#define DUE_ARITY 4

static void due_sift(struct probe_dues *d, size_t i) {
        probe_due e = d->v[i];

        while (i > 0 && d->v[(i - 1) / DUE_ARITY].when > e.when) {
                due_place(d, i, d->v[(i - 1) / DUE_ARITY]);
                i = (i - 1) / DUE_ARITY;
        }
        for (;;) {
                size_t first = DUE_ARITY * i + 1, c = first;

                if (first >= d->n)
                        break;
                for (size_t k = first + 1; k < first + DUE_ARITY && k < d->n; k++)
                        if (d->v[k].when < d->v[c].when)
                                c = k;
                if (d->v[c].when >= e.when)
                        break;
                due_place(d, i, d->v[c]);
                i = c;
        }
        due_place(d, i, e);
}

static void due_remove(sup_proc *p) {
        struct probe_dues *d = p->group->m->dues;
        size_t i;

        if (!p->probe || p->probe->due == 0 || !d)
                return;
        i = p->probe->due - 1;
        p->probe->due = 0;
        if (--d->n > i) {
                d->v[i] = d->v[d->n];
                due_sift(d, i);
        }
}

static int on_dues(sd_event_source *s, uint64_t usec, void *userdata);

/* The heap's timer wakes within this of the earliest deadline: the least
 * accuracy a process's own timer had, so that no deadline is judged later
 * than it was with a timer of its own, whatever the intervals of those
 * before it (a twentieth of a one-hour WATCHDOG_USEC= would be 3 min). */
#define DUE_ACCURACY_USEC USEC_PER_MSEC

/* Sets the heap's timer for its earliest deadline, if that is sooner than
 * the timer is set for (or it is off).  Not while on_dues() judges: it
 * sets the timer once, at its end. */
static void dues_arm(sup_manager *m) {
        struct probe_dues *d = m->dues;
        uint64_t when;
        int r;

        if (d->judging || d->n == 0 || (d->armed != 0 && d->armed <= d->v[0].when))
                return;
        when = d->v[0].when;
        /* The source exists (due_set() made it): neither call allocates. */
        r = sd_event_source_set_time(d->timer, when);
        if (r >= 0)
                r = sd_event_source_set_enabled(d->timer, SD_EVENT_ONESHOT);
        if (r < 0) {
                sup_log(&m->events, LOG_ERR, "cannot arm the watchdog timer: %s", strerror(-r));
                return;
        }
        d->armed = when;
}

/* P's deadline at WHEN (its timer_cb says on_due).  False when there is
 * no room for it (the heap, its slot, its timer): then P keeps a timer
 * of its own. */
static bool due_set(sup_proc *p, uint64_t when) {
        sup_manager *m = p->group->m;
        struct probe_dues *d = m->dues;

        if (!d) {
                d = calloc(1, sizeof(*d));
                if (!d)
                        return false;
                if (sd_event_add_time(m->event, &d->timer, CLOCK_MONOTONIC, UINT64_MAX, DUE_ACCURACY_USEC,
                                      on_dues, m) < 0) {
                        free(d);
                        return false;
                }
                (void) sd_event_source_set_enabled(d->timer, SD_EVENT_OFF);
                m->dues = d;
        }
        if (p->probe->due == 0) {
                if (d->n == d->cap) {
                        size_t cap = d->cap ? 2 * d->cap : 16;
                        probe_due *v = reallocarray(d->v, cap, sizeof(*v));

                        if (!v)
                                return false;
                        d->v = v;
                        d->cap = cap;
                }
                d->v[d->n] = (probe_due) { .when = when, .probe = p->probe };
                p->probe->due = ++d->n;
        } else
                d->v[p->probe->due - 1].when = when;
        due_sift(d, p->probe->due - 1);
        dues_arm(m);
        return true;
}

/* The earliest deadlines, all that are due: each process is taken out and
 * judged (on_due() puts it back for its next).  At most as many as were
 * in the heap, so that one put back as due at once waits for the next
 * turn of the loop. */
static int on_dues(sd_event_source *s, uint64_t usec, void *userdata) {
        sup_manager *m = userdata;
        struct probe_dues *d = m->dues;
        uint64_t now = now_usec();

        (void) s;
        (void) usec;
        d->armed = 0;
        d->judging = true;
        for (size_t k = d->n; k > 0 && d->n > 0 && d->v[0].when <= now; k--) {
                sup_proc *p = d->v[0].probe->proc;

                due_remove(p);
                (void) on_due(NULL, now, p);
        }
        d->judging = false;
        dues_arm(m);
        return 0;
}

/* Every process left the heap before (probe_done() of each, when the
 * tree was freed): what remains is the heap itself. */
void probe_dues_done(sup_manager *m) {
        if (!m->dues)
                return;
        m->dues->timer = sd_event_source_disable_unref(m->dues->timer);
        free(m->dues->v);
        free(m->dues);
        m->dues = NULL;
}

/* One timer per process, reused: at WHEN (CLOCK_MONOTONIC; one past
 * fires at once) it calls CB (the next probe, or a probe's timeout).  A
 * watchdog's or heartbeat's deadline goes in the manager's heap instead. */
static void arm_at(sup_proc *p, uint64_t when, sd_event_time_handler_t cb) {
        int r;

        p->probe->timer_cb = cb;
        if (cb == on_due && petted(p) && due_set(p, when)) {
                p->probe->timer = sd_event_source_disable_unref(p->probe->timer);
                return;
        }
        due_remove(p);
        if (p->probe->timer) {
                r = sd_event_source_set_time(p->probe->timer, when);
                if (r >= 0)
                        r = sd_event_source_set_enabled(p->probe->timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(p->group->m->event, &p->probe->timer, CLOCK_MONOTONIC, when,
                                      accuracy(p), on_health_timer, p);
        if (r < 0)
                sup_log(&p->group->m->events, LOG_ERR, "%s: cannot arm its health timer: %s", p->name, strerror(-r));
}

/* The same, in USEC. */
static void arm(sup_proc *p, uint64_t usec, sd_event_time_handler_t cb) {
        arm_at(p, now_usec() + usec, cb);
}

/* Degraded and healthy events of a process's probes: at most this many
 * per interval, the count of those held back said with the next one let
 * through.  A watchdog's process chooses how often it is judged
 * (WATCHDOG_USEC=, down to 10 ms): missing every other deadline, it
 * would make 100 events a second and push every other group's out of the
 * history.  Its health in `status` is always the latest, and so is the
 * history once the interval is over: the last change held back is made
 * an event by the process's next probe or pet after it (flush_held()).
 * health-failed (once an incarnation) is never held back. */
#define HEALTH_EVENTS_INTERVAL_USEC (5 * USEC_PER_SEC)
#define HEALTH_EVENTS_BURST 5

static void emit(sup_proc *p, sup_event_type type, int priority) {
        sup_event e = { .type = type, .priority = priority, .pid = p->pid, .incarnation = p->incarnation };
        unsigned suppressed = 0;
        char more[32] = "";

        if (type != SUP_EVENT_HEALTH_FAILED &&
            !sup_ratelimit_pass(&p->probe->health_events, sup_proc_now(p), HEALTH_EVENTS_INTERVAL_USEC,
                                HEALTH_EVENTS_BURST, &suppressed)) {
                p->probe->held = type;
                return;
        }
        p->probe->held = 0;
        if (suppressed > 0)
                snprintf(more, sizeof(more), " suppressed=%u", suppressed);
        snprintf(e.node, sizeof(e.node), "%s", p->name);
        if (type == SUP_EVENT_HEALTHY)
                snprintf(e.detail, sizeof(e.detail), "probe=%s%s", cfg_health_to_string(conf(p)->health), more);
        else
                snprintf(e.detail, sizeof(e.detail), "probe=%s failures=%u%s reason=\"%s\"",
                         cfg_health_to_string(conf(p)->health), p->probe->failures, more, p->probe->why);
        sup_events_emit(&p->group->m->events, &e);
}

/* The last degraded or healthy change held back, made an event once the
 * interval allows: what the history says last is P's health now. */
static void flush_held(sup_proc *p) {
        if (p->probe->held == SUP_EVENT_DEGRADED && p->probe->health == SUP_HEALTH_DEGRADED)
                emit(p, SUP_EVENT_DEGRADED, LOG_WARNING);
        else if (p->probe->held == SUP_EVENT_HEALTHY && p->probe->health == SUP_HEALTH_HEALTHY)
                emit(p, SUP_EVENT_HEALTHY, LOG_INFO);
}

/* Forgets a running exec: probe, killing what is left of it; the SIGCHLD
 * reaper collects it. */
static void probe_forget(sup_proc *p) {
        if (p->probe->pid > 0) {
                (void) kill(-p->probe->pid, SIGKILL);
                cgroup_probe_kill(p);
        }
        p->probe->source = sd_event_source_disable_unref(p->probe->source);
        p->probe->pidfd = safe_close(p->probe->pidfd);
        p->probe->pid = 0;
}

static void failed(sup_proc *p) {
        p->probe->health = SUP_HEALTH_FAILED;
        emit(p, SUP_EVENT_HEALTH_FAILED, LOG_ERR);
        probe_stop(p);
        (void) sup_report(p, PROC_REPORT_HEALTH_FAILED);
}

/* One probe's outcome. */
static void outcome(sup_proc *p, bool ok, const char *why) {
        sup_health before = p->probe->health, after;

        if (!active(p))
                return;
        p->probe->total++;
        if (!ok) {
                p->probe->failures_total++;
                snprintf(p->probe->why, sizeof(p->probe->why), "%s", why);
        }
        after = sup_health_next(&p->probe->failures, ok, conf(p)->health_threshold);
        if (after == SUP_HEALTH_FAILED) {
                failed(p);
                return;
        }
        p->probe->health = after;
        if (after == SUP_HEALTH_DEGRADED)
                emit(p, SUP_EVENT_DEGRADED, LOG_WARNING);
        else if (before == SUP_HEALTH_DEGRADED)
                emit(p, SUP_EVENT_HEALTHY, LOG_INFO);
        else if (p->probe->held)
                flush_held(p);
}

void probe_ready(sup_proc *p) {
        /* Once per incarnation: a failed one is not probed again. */
        if (conf(p)->health == CFG_HEALTH_NONE || (p->probe && p->probe->health != SUP_HEALTH_NONE) ||
            !probe_get(p))
                return;
        p->probe->health = SUP_HEALTH_HEALTHY;
        p->probe->failures = 0;
        p->probe->why[0] = '\0';
        p->probe->last_pet_usec = sup_proc_now(p) + conf(p)->health_grace_usec;
        arm(p, conf(p)->health_grace_usec + interval(p), on_due);
}

void probe_stop(sup_proc *p) {
        if (!p->probe)
                return;
        p->probe->timer = sd_event_source_disable_unref(p->probe->timer);
        due_remove(p);
        p->probe->ping_wait = 0;
        probe_forget(p);
        if (p->probe->health != SUP_HEALTH_FAILED)
                p->probe->health = SUP_HEALTH_NONE;
}

void probe_pet(sup_proc *p) {
        uint64_t when;

        if (!active(p) || !petted(p))
                return;
        /* When it was sent, which notify.c may read a few ms later; never
         * before the pet it follows or the start of probing. */
        when = p->notify && p->notify->pet_usec ? p->notify->pet_usec : sup_proc_now(p);
        if (when > p->probe->last_pet_usec)
                p->probe->last_pet_usec = when;
        /* The deadline moves with each ping: it comes due only when one is
         * missed (a deadline left where it was would come due at every
         * other ping, a turn of the loop each). */
        if (p->probe->timer_cb == on_due)
                arm_at(p, sup_health_due(p->probe->last_pet_usec, interval(p)), on_due);
        if (p->probe->health == SUP_HEALTH_DEGRADED)
                outcome(p, true, NULL);
        else {
                p->probe->total++;
                if (p->probe->held)
                        flush_held(p);
        }
}

void probe_trigger(sup_proc *p) {
        if (!active(p) || !petted(p))
                return;
        p->probe->failures = conf(p)->health_threshold;
        snprintf(p->probe->why, sizeof(p->probe->why), "WATCHDOG=trigger");
        failed(p);
}

void probe_set_interval(sup_proc *p, uint64_t usec) {
        if (!petted(p) || !probe_get(p))
                return;
        p->probe->watchdog_usec = usec;
        if (active(p)) {
                arm(p, sup_health_wait(p->probe->last_pet_usec, interval(p), sup_proc_now(p)), on_due);
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
                r = sup_spawner_spawn(p->group->m, &plan, &p->probe->pid, &p->probe->pidfd, &status_fd);
        if (r < 0) {
                char why[64];
                snprintf(why, sizeof(why), "cannot run the probe (%s at %s)", strerrorname_np(-r) ?: "?",
                         step ? step : "fork");
                p->probe->pid = 0;
                arm(p, interval(p), on_due);
                outcome(p, false, why);
                return;
        }
        p->probe->started_usec = now_usec();
        p->probe->timed_out = false;
        r = sd_event_add_io(p->group->m->event, &p->probe->source, p->probe->pidfd, EPOLLIN, on_probe_exit, p);
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
        arm(p, sup_health_wait(p->probe->started_usec, interval(p), now_usec()), on_due);
}

static int on_ping_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        sup_proc *p = userdata;
        char why[64];

        (void) s;
        (void) usec;
        if (!active(p) || p->probe->ping_wait == 0)
                return 0;
        p->probe->ping_wait = 0;               /* a late PONG counts for nothing */
        snprintf(why, sizeof(why), "no PONG within %llu ms", (unsigned long long) (conf(p)->health_timeout_usec / 1000));
        arm_next(p);
        outcome(p, false, why);
        return 0;
}

static void ping_start(sup_proc *p) {
        int r;

        p->probe->started_usec = now_usec();
        p->probe->ping_wait = ++p->probe->ping_next;
        r = sup_report(p, PROC_REPORT_PING);
        if (r < 0) {
                char why[64];
                p->probe->ping_wait = 0;
                snprintf(why, sizeof(why), "cannot ping: %s", strerrorname_np(-r) ?: "?");
                arm_next(p);
                outcome(p, false, why);
                return;
        }
        arm(p, conf(p)->health_timeout_usec, on_ping_timeout);
}

void probe_pong(sup_proc *p, uint64_t seq) {
        if (!active(p) || conf(p)->health != CFG_HEALTH_PING || seq == 0 || seq != p->probe->ping_wait)
                return;
        p->probe->ping_wait = 0;
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
                if (p->probe->pid == 0)
                        exec_start(p);
                return 0;
        }
        if (conf(p)->health == CFG_HEALTH_PING) {
                if (p->probe->ping_wait == 0)
                        ping_start(p);
                return 0;
        }
        {
                uint64_t now = now_usec(), left = sup_health_wait(p->probe->last_pet_usec, interval(p), now);
                /* A ping may be queued on its socket, not read yet
                 * (notify.c pauses its reading): heard before judged. */
                if (left == 0 && p->notify) {
                        notify_flush(p);
                        if (!active(p))
                                return 0;
                        left = sup_health_wait(p->probe->last_pet_usec, interval(p), now);
                }
                if (left > 0) {
                        arm(p, left, on_due);
                        return 0;
                }
                p->probe->last_pet_usec = now;
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
        if (p->probe->pid <= 0)
                return 0;
        (void) kill(-p->probe->pid, SIGKILL);
        (void) pidfd_send_signal(p->probe->pidfd, SIGKILL, NULL, 0);
        cgroup_probe_kill(p);
        p->probe->timed_out = true;
        snprintf(why, sizeof(why), "probe did not finish within %llu ms",
                 (unsigned long long) (conf(p)->health_timeout_usec / 1000));
        outcome(p, false, why);
        return 0;
}

bool probe_exited(sup_proc *p) {
        siginfo_t si = {};
        bool timed_out;
        char why[64];

        if (!p->probe)
                return false;
        timed_out = p->probe->timed_out;
        if (p->probe->pidfd < 0 ||
            waitid((idtype_t) P_PIDFD, (id_t) p->probe->pidfd, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
                return false;
        /* Its process group goes with it, while the zombie still holds the
         * pid, and with cgroups all of its cgroup, whatever left the
         * process group: a probe leaves nothing behind (the cgroup once
         * the probe is reaped, so that its own exit is what was read). */
        (void) kill(-p->probe->pid, SIGKILL);
        (void) waitid((idtype_t) P_PIDFD, (id_t) p->probe->pidfd, &si, WEXITED | WNOHANG);
        cgroup_probe_kill(p);
        p->probe->source = sd_event_source_disable_unref(p->probe->source);
        p->probe->pidfd = safe_close(p->probe->pidfd);
        p->probe->pid = 0;
        if (!active(p))
                return true;
        /* At a fixed rate from each start, never sooner than now. */
        arm(p, sup_health_wait(p->probe->started_usec, interval(p), now_usec()), on_due);
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
                if (n->procs[i].probe && n->procs[i].probe->pid == pid)
                        return &n->procs[i];
        return NULL;
}

sup_proc *probe_find_pid(sup_manager *m, pid_t pid) {
        return pid > 0 ? find(m->root, pid) : NULL;
}

void probe_reset(sup_proc *p) {
        if (!p->probe)
                return;
        p->probe->health = SUP_HEALTH_NONE;
        p->probe->failures = 0;
        p->probe->watchdog_usec = 0;
        p->probe->held = 0;             /* the last incarnation's */
}

void probe_done(sup_proc *p) {
        probe_stop(p);
        free(p->probe);
        p->probe = NULL;
}

/* Declared changes made events: 5 per 5 s a process, the count of the
 * others said with the next one let through. */
#define DECLARED_INTERVAL_USEC (5 * USEC_PER_SEC)
#define DECLARED_BURST 5

void probe_declare(sup_proc *p, bool degraded, const char *why) {
        bool was;
        unsigned suppressed;
        sup_event e = { .pid = p->pid, .incarnation = p->incarnation };

        if (!probe_get(p))
                return;
        was = p->probe->declared == p->incarnation && p->incarnation != 0;
        if (was == degraded)
                return;
        p->probe->declared = degraded ? p->incarnation : 0;
        if (!sup_ratelimit_pass(&p->probe->declared_events, sup_proc_now(p), DECLARED_INTERVAL_USEC, DECLARED_BURST,
                                &suppressed))
                return;
        e.type = degraded ? SUP_EVENT_DEGRADED : SUP_EVENT_HEALTHY;
        e.priority = degraded ? LOG_WARNING : LOG_INFO;
        snprintf(e.node, sizeof(e.node), "%s", p->name);
        snprintf(e.detail, sizeof(e.detail), "declared=yes suppressed=%u%s%s%s", suppressed,
                 why && *why ? " reason=\"" : "", why ? why : "", why && *why ? "\"" : "");
        sup_events_emit(&p->group->m->events, &e);
}

sup_health probe_health(const sup_proc *p) {
        if (!p->probe)
                return SUP_HEALTH_NONE;
        /* What it said of itself outranks a healthy probe, never a failed one. */
        if (p->probe->declared != 0 && p->probe->declared == p->incarnation &&
            (p->probe->health == SUP_HEALTH_HEALTHY || p->probe->health == SUP_HEALTH_NONE))
                return SUP_HEALTH_DEGRADED;
        return p->probe->health;
}
