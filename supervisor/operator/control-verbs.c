/* control-verbs.c - the operator's verbs through the control socket:
 * Start, Stop, Restart (and their NoBlock forms), Signal, Reload and
 * Shutdown, each an event that says who asked (manual-stop, ...). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <systemd/sd-bus.h>

#include "common/cleanup.h"
#include "common/control-proto.h"
#include "supervisor/config/cfg.h"
#include "supervisor/config/reload.h"
#include "supervisor/core/proc.h"
#include "supervisor/messages/broker.h"
#include "supervisor/operator/control-lookup.h"
#include "supervisor/operator/control-reply.h"
#include "supervisor/operator/control-verbs.h"
#include "supervisor/operator/proc-query.h"

static int verb_error(sd_bus_error *error, int r, const char *verb, const char *name) {
        switch (r) {
        case -EPERM:
                return sd_bus_error_setf(error, CONTROL_ERR_FAILED, "Cannot %s %s: it is the root (use shutdown)", verb, name);
        case -ESHUTDOWN:
                return sd_bus_error_setf(error, CONTROL_ERR_BUSY, "Cannot %s %s: airsupd is shutting down", verb, name);
        case -EBUSY:
                return sd_bus_error_setf(error, CONTROL_ERR_BUSY, "Cannot %s %s now: its supervisor is stopping or "
                                         "restarting children", verb, name);
        case -ESRCH:
                return sd_bus_error_setf(error, CONTROL_ERR_FAILED, "Cannot %s %s: nothing of it runs", verb, name);
        case -ENOTCONN:
                return sd_bus_error_setf(error, CONTROL_ERR_FAILED, "Cannot %s %s: its group is stopped (start the group)",
                                         verb, name);
        default:
                return sd_bus_error_setf(error, CONTROL_ERR_FAILED, "Cannot %s %s: %s", verb, name, strerror(-r));
        }
}

/* An operator's act, as an event: who did it, from the creds its
 * connection was admitted with.  Not sd-bus's sender creds: they need
 * the peer's pid, and a client outside airsupd's PID namespace (the
 * host, airsupd a container's PID 1) has none there, so sd-bus answers
 * ENODATA and the act would go unsigned. */
static void control_event(sup_control *c, sup_event_type type, const char *node, sd_bus_message *msg,
                          const char *detail) {
        sup_event e = { .type = type, .priority = LOG_NOTICE };
        client *cl = msg ? client_of(c, sd_bus_message_get_bus(msg)) : NULL;

        snprintf(e.node, sizeof(e.node), "%s", node);
        snprintf(e.detail, sizeof(e.detail), "%s%sby=pid:%d,uid:%d", detail ? detail : "", detail ? " " : "",
                 cl ? (int) cl->pid : 0, cl ? (int) cl->uid : -1);
        sup_events_emit(&c->m->events, &e);
}

/* Stop, Start and Restart reply once done: the node or instance down
 * (stop), or every process of it that is not held down ready, with a
 * new pid for a restart; or failed (one of its processes, or a
 * supervisor at or above it, gave up),
 * or gone (a reload took it), or airsupd shutting down.  Whether it is
 * done is what its processes' states say, looked at after every event
 * (the settle source, once per turn of the loop while calls wait):
 * nothing polls.  A call waits on its connection; one that hangs up is
 * dropped with it (client_free()).  The *NoBlock methods reply once the
 * change is under way. */
typedef enum wait_kind {
        WAIT_STOP,
        WAIT_START,
        WAIT_RESTART,
} wait_kind;

struct control_wait {
        control_wait *next;
        sd_bus_message *msg;            /* the call, referenced until replied */
        wait_kind kind;
        char *name;
        pid_t *before;                  /* restart: the pids running when asked */
        size_t n_before;
        /* start, restart: each process's incarnation when asked, in the
         * walk's order: one that has run since and ended for good (a
         * temporary group's quick exit) is done too. */
        unsigned *incs;
        size_t n_incs;
};

static const struct {
        const char *method, *no_block;
        wait_kind kind;
        sup_event_type event;
        int (*node)(sup_manager *m, sup_node *n);
        int (*proc)(sup_manager *m, sup_proc *p);
} verbs[] = {
        { "Stop", "StopNoBlock", WAIT_STOP, SUP_EVENT_MANUAL_STOP, manager_stop_node, manager_stop_proc },
        { "Start", "StartNoBlock", WAIT_START, SUP_EVENT_MANUAL_START, manager_start_node, manager_start_proc },
        { "Restart", "RestartNoBlock", WAIT_RESTART, SUP_EVENT_MANUAL_RESTART, manager_restart_node,
          manager_restart_proc },
};

/* What a wait looks at: N's processes and those below it, or P alone. */
typedef struct wait_walk {
        const control_wait *w;
        size_t n_pids;                  /* restart: the pids recorded (before == NULL: counted only) */
        pid_t *pids;
        size_t idx;                     /* the process being looked at, in the walk's order */
        unsigned *incs;                 /* recording the incarnations (NULL: counted only) */
        bool done;
        bool failed;                    /* a process below gave up */
} wait_walk;

static bool pid_in(pid_t pid, const pid_t *set, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (set[i] == pid)
                        return true;
        return false;
}

/* Whether P is where W wants it; an instance held down by the operator
 * stays down through a start or restart of its supervisor. */
static bool wait_proc_done(const control_wait *w, const sup_node *n, const sup_proc *p, size_t idx) {
        if (w->kind == WAIT_STOP)
                return p->state == PROC_STOPPED || p->state == PROC_EXITED || p->state == PROC_FAILED;
        if ((n->held || p->held) && p->state == PROC_STOPPED)
                return true;
        /* Started since, and ended for good already. */
        if (p->state == PROC_EXITED && idx < w->n_incs && p->incarnation > w->incs[idx])
                return true;
        return p->state == PROC_READY && (w->kind != WAIT_RESTART || !pid_in(p->pid, w->before, w->n_before));
}

static void walk_proc(wait_walk *k, const sup_node *n, const sup_proc *p) {
        size_t idx = k->idx++;

        if (k->w) {
                k->done = k->done && wait_proc_done(k->w, n, p, idx);
                k->failed = k->failed || (p->state == PROC_FAILED && !n->held && !p->held);
                return;
        }
        if (k->incs) {
                k->incs[idx] = p->incarnation;
                return;
        }
        if (query_proc_running(p) && p->pid > 0) {
                if (k->pids)
                        k->pids[k->n_pids] = p->pid;
                k->n_pids++;
        }
}

static void walk_node(wait_walk *k, const sup_node *n) {
        for (size_t i = 0; i < n->n_children; i++)
                walk_node(k, n->children[i]);
        for (size_t i = 0; i < n->n_procs; i++)
                walk_proc(k, n, &n->procs[i]);
}

/* The pids running below N (or P), for a restart to tell the new ones. */
static int running_pids(const sup_node *n, const sup_proc *p, pid_t **ret, size_t *ret_n) {
        wait_walk k = {};

        for (unsigned pass = 0; pass < 2; pass++) {
                if (pass == 1) {
                        if (k.n_pids == 0)
                                break;
                        k.pids = calloc(k.n_pids, sizeof(pid_t));
                        if (!k.pids)
                                return -ENOMEM;
                        k.n_pids = 0;
                }
                if (n)
                        walk_node(&k, n);
                else
                        walk_proc(&k, p->group, p);
        }
        *ret = k.pids;
        *ret_n = k.n_pids;
        return 0;
}

/* Every process's incarnation below N (or P), in the walk's order. */
static int incarnations(const sup_node *n, const sup_proc *p, unsigned **ret, size_t *ret_n) {
        wait_walk k = {};

        for (unsigned pass = 0; pass < 2; pass++) {
                if (pass == 1) {
                        if (k.idx == 0)
                                break;
                        k.incs = calloc(k.idx, sizeof(unsigned));
                        if (!k.incs)
                                return -ENOMEM;
                        k.idx = 0;
                }
                if (n)
                        walk_node(&k, n);
                else
                        walk_proc(&k, p->group, p);
        }
        *ret = k.incs;
        *ret_n = k.idx;
        return 0;
}

/* 1 when W is done, 0 while it is under way, or the error it ends with. */
static int wait_state(sup_control *c, const control_wait *w, sd_bus_error *error) {
        const char *verb = verbs[w->kind].method;
        wait_walk k = { .w = w, .done = true };
        sup_node *n = manager_find_node(c->m, w->name), *group;
        sup_proc *p = NULL;

        if (!n && manager_find_proc(c->m, w->name, &p) < 0)
                return w->kind == WAIT_STOP ? 1 : sd_bus_error_setf(error, CONTROL_ERR_FAILED,
                                                                   "Cannot %s %s: it is gone (a reload took it)",
                                                                   verb, w->name);
        if (n)
                walk_node(&k, n);
        else
                walk_proc(&k, p->group, p);
        /* A node stopped is down as its supervisor sees it too: a start
         * right after the reply is not refused as too early. */
        if (k.done && (w->kind != WAIT_STOP || !n || manager_node_down(n)))
                return 1;
        if (w->kind == WAIT_STOP)
                return 0;
        if (c->m->shutting_down)
                return verb_error(error, -ESHUTDOWN, verb, w->name);
        /* It, or a supervisor above it, gave up. */
        for (group = n ? n : p->group; group; group = group->parent)
                if (group->state == NODE_FAILED)
                        return sd_bus_error_setf(error, CONTROL_ERR_FAILED, "Cannot %s %s: %s failed", verb, w->name,
                                                 group->cfg->name);
        return k.failed ? sd_bus_error_setf(error, CONTROL_ERR_FAILED, "Cannot %s %s: it failed", verb, w->name) : 0;
}

static control_wait *wait_free(control_wait *w) {
        control_wait *next = w->next;

        sd_bus_message_unref(w->msg);
        free(w->name);
        free(w->before);
        free(w->incs);
        free(w);
        return next;
}

static void wait_freep(control_wait **w) {
        if (*w)
                (void) wait_free(*w);
}

/* Replies to W's call: done, or ERROR. */
static void wait_reply(const control_wait *w, const sd_bus_error *error) {
        if (sd_bus_error_is_set(error))
                (void) sd_bus_reply_method_error(w->msg, error);
        else
                (void) sd_bus_reply_method_return(w->msg, NULL);
}

int control_settle(sd_event_source *s, void *userdata) {
        sup_control *c = userdata;

        (void) s;
        for (client *cl = c->clients; cl; cl = cl->next)
                for (control_wait **pp = &cl->waits; *pp;) {
                        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                        int r;

                        if (cl->closed) {
                                pp = &(*pp)->next;
                                continue;
                        }
                        r = wait_state(c, *pp, &error);
                        if (r == 0) {
                                pp = &(*pp)->next;
                                continue;
                        }
                        wait_reply(*pp, &error);
                        *pp = wait_free(*pp);
                        cl->n_waits--;
                        c->n_waits--;
                }
        return 0;
}

void control_waits_drop(client *cl) {
        while (cl->waits) {
                cl->waits = wait_free(cl->waits);
                cl->n_waits--;
                cl->control->n_waits--;
        }
}

int method_verb(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        const char *member = sd_bus_message_get_member(msg), *name;
        client *cl = client_of(c, sd_bus_message_get_bus(msg));
        _cleanup_(wait_freep) control_wait *w = NULL;
        bool block = true;
        sup_node *n;
        sup_proc *p;
        size_t v = 0;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(member, verbs[i].method) == 0 || strcmp(member, verbs[i].no_block) == 0) {
                        v = i;
                        block = strcmp(member, verbs[i].method) == 0;
                }
        member = verbs[v].method;
        r = read_target(msg, c, &name, &n, &p, error);
        if (r < 0)
                return r;
        if (block && cl && (cl->n_waits >= CONTROL_WAITS_MAX || c->n_waits >= CONTROL_WAITS_TOTAL_MAX))
                return sd_bus_error_setf(error, CONTROL_ERR_BUSY, "Cannot %s %s: %u calls wait already", member, name,
                                         cl->n_waits >= CONTROL_WAITS_MAX ? CONTROL_WAITS_MAX : CONTROL_WAITS_TOTAL_MAX);
        if (block) {
                w = calloc(1, sizeof(*w));
                if (!w || !(w->name = strdup(name)))
                        return -ENOMEM;
                w->kind = verbs[v].kind;
                if (w->kind == WAIT_RESTART) {
                        r = running_pids(n, p, &w->before, &w->n_before);
                        if (r < 0)
                                return r;
                }
                if (w->kind != WAIT_STOP) {
                        r = incarnations(n, p, &w->incs, &w->n_incs);
                        if (r < 0)
                                return r;
                }
        }
        r = n ? verbs[v].node(c->m, n) : verbs[v].proc(c->m, p);
        if (r < 0)
                return verb_error(error, r, member, name);
        control_event(c, verbs[v].event, name, msg, NULL);
        if (!w || !cl)
                return sd_bus_reply_method_return(msg, NULL);
        /* Replied to once the loop has gone round: what the verb set
         * going (stops, starts) is seen by then, and one already done
         * replies at once. */
        w->msg = sd_bus_message_ref(msg);
        w->next = cl->waits;
        cl->waits = TAKE_PTR(w);
        cl->n_waits++;
        c->n_waits++;
        (void) sd_event_source_set_enabled(c->settle, SD_EVENT_ONESHOT);
        return 1;
}

int method_signal(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        const char *name, *signame;
        sup_node *n;
        sup_proc *p;
        int sig, r;

        r = sd_bus_message_read(msg, "ss", &name, &signame);
        if (r < 0)
                return r;
        if (cfg_parse_signal(signame, &sig) < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown signal: %s", signame);
        r = control_lookup(c, name, &n, &p, error);
        if (r < 0)
                return r;
        if (n)
                r = manager_signal_node(c->m, n, sig);
        else if (p->main_alive && p->pidfd >= 0) {
                c->m->proc_ops->signal(p, sig);
                r = 1;
        }
        else
                r = -ESRCH;
        if (r < 0)
                return verb_error(error, r, "signal", name);
        {
                char detail[64];
                snprintf(detail, sizeof(detail), "signal=%s processes=%d", signame, r);
                control_event(c, SUP_EVENT_MANUAL_SIGNAL, name, msg, detail);
        }
        return sd_bus_reply_method_return(msg, "u", (uint32_t) r);
}

/* A reload's outcome, to the caller that waited for it (MSG, referenced
 * until now): the plan's rows and counts, or the file's errors. */
static void on_reload_done(const reload_result *res, void *userdata) {
        sd_bus_message *msg = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        if (res->r == -EINVAL)
                r = sd_bus_reply_method_errorf(msg, CONTROL_ERR_BAD_CONFIG, "%s", res->errors ? res->errors : "");
        else if (res->r == -ESHUTDOWN)
                r = sd_bus_reply_method_errorf(msg, CONTROL_ERR_BUSY, "Not reloaded: airsupd is shutting down");
        else if (res->r < 0)
                r = sd_bus_reply_method_errorf(msg, CONTROL_ERR_FAILED, "Not reloaded: %s", strerror(-res->r));
        else {
                r = sd_bus_message_new_method_return(msg, &reply);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "b", !res->dry_run);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', CONTROL_PLAN_ROW);
                for (size_t i = 0; r >= 0 && i < res->n_rows; i++)
                        r = sd_bus_message_append(reply, CONTROL_PLAN_ROW, res->rows[i].action, res->rows[i].name,
                                                  res->rows[i].detail);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "t");
                for (int k = 0; r >= 0 && k < _RELOAD_ACTION_MAX; k++)
                        r = sd_bus_message_append(reply, "t", (uint64_t) (res->count ? res->count[k] : 0));
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "t", res->usec);
                if (r >= 0)
                        r = sd_bus_send(NULL, reply, NULL);
                else
                        r = sd_bus_reply_method_errorf(msg, CONTROL_ERR_FAILED, "Cannot reply: %s", strerror(-r));
        }
        (void) r;
        sd_bus_message_unref(msg);
}

int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        int dry_run = 0, r;

        r = sd_bus_message_read(msg, "b", &dry_run);
        if (r < 0)
                return r;
        if (!dry_run)
                control_event(c, SUP_EVENT_MANUAL_RELOAD, c->m->cfg->nodes[CFG_ROOT].name, msg, NULL);
        r = manager_reload(c->m, dry_run, on_reload_done, sd_bus_message_ref(msg));
        if (r < 0) {
                sd_bus_message_unref(msg);
                if (r == -EBUSY)
                        return sd_bus_error_setf(error, CONTROL_ERR_BUSY, "Not reloaded: %d reloads wait already",
                                                 RELOAD_WAITING_MAX);
                return verb_error(error, r, "reload", c->m->cfg->path);
        }
        return 1;       /* replied, now or once it is applied */
}

int method_shutdown(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        int r;

        (void) error;
        r = sd_bus_reply_method_return(msg, NULL);
        sup_log(&c->m->events, LOG_NOTICE, "control: shutdown");
        if (!c->m->shutting_down)
                manager_shutdown(c->m, 0);
        return r;
}
