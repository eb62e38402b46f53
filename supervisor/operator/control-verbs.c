/* control-verbs.c - the operator's verbs through the control socket:
 * Start, Stop, Restart, Signal, Reload and Shutdown, each an event that
 * says who asked (manual-stop, ...). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <systemd/sd-bus.h>

#include "common/cleanup.h"
#include "common/control-proto.h"
#include "supervisor/config/cfg.h"
#include "supervisor/config/reload.h"
#include "supervisor/core/proc.h"
#include "supervisor/operator/control-internal.h"

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

/* An operator's act, as an event: who did it, from the caller's creds. */
static void control_event(sup_control *c, sup_event_type type, const char *node, sd_bus_message *msg,
                          const char *detail) {
        sup_event e = { .type = type, .priority = LOG_NOTICE };
        sd_bus_creds *creds = NULL;
        uid_t uid = (uid_t) -1;
        pid_t pid = 0;

        if (msg && sd_bus_query_sender_creds(msg, SD_BUS_CREDS_PID | SD_BUS_CREDS_EUID, &creds) >= 0) {
                (void) sd_bus_creds_get_pid(creds, &pid);
                (void) sd_bus_creds_get_euid(creds, &uid);
                sd_bus_creds_unref(creds);
        }
        snprintf(e.node, sizeof(e.node), "%s", node);
        snprintf(e.detail, sizeof(e.detail), "%s%sby=pid:%d,uid:%d", detail ? detail : "", detail ? " " : "",
                 (int) pid, (int) uid);
        sup_events_emit(&c->m->events, &e);
}

int method_verb(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        const char *member = sd_bus_message_get_member(msg), *name;
        sup_node *n;
        sup_proc *p;
        int r;

        r = read_target(msg, c, &name, &n, &p, error);
        if (r < 0)
                return r;
        if (strcmp(member, "Stop") == 0)
                r = n ? manager_stop_node(c->m, n) : manager_stop_proc(c->m, p);
        else if (strcmp(member, "Start") == 0)
                r = n ? manager_start_node(c->m, n) : manager_start_proc(c->m, p);
        else
                r = n ? manager_restart_node(c->m, n) : manager_restart_proc(c->m, p);
        if (r < 0)
                return verb_error(error, r, member, name);
        control_event(c, strcmp(member, "Stop") == 0 ? SUP_EVENT_MANUAL_STOP : strcmp(member, "Start") == 0 ?
                      SUP_EVENT_MANUAL_START : SUP_EVENT_MANUAL_RESTART, name, msg, NULL);
        return sd_bus_reply_method_return(msg, NULL);
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
