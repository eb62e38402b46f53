/* control-methods.c - the objects each control connection serves
 * (org.airsup1.Manager on /org/airsup1, a node object per node, enough
 * of the bus daemon's interface for busctl) and the queries: Status,
 * Tree, Outputs, Tail, DeadLetters, Metrics, NodeMetrics, Names.  The
 * verbs are in control-verbs.c, the event log's methods in
 * control-events.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "common/cleanup.h"
#include "common/control-proto.h"
#include "supervisor/config/cfg.h"
#include "supervisor/core/proc.h"
#include "supervisor/messages/broker.h"
#include "supervisor/messages/registry.h"
#include "supervisor/messages/broker-actors.h"
#include "supervisor/watch/notify.h"
#include "supervisor/watch/probe.h"
#include "supervisor/operator/control-events.h"
#include "supervisor/operator/control-lookup.h"
#include "supervisor/operator/control-messages.h"
#include "supervisor/operator/control-methods.h"
#include "supervisor/operator/control-reply.h"
#include "supervisor/operator/control-verbs.h"
#include "supervisor/operator/metrics.h"
#include "supervisor/operator/proc-query.h"
#include "supervisor/output/logsink.h"
#include "supervisor/output/tail.h"

static int append_proc(sd_bus_message *r, const sup_node *n, const sup_proc *p, uint64_t now) {
        char exit_text[48];

        query_last_exit_text(p, exit_text, sizeof(exit_text));
        return sd_bus_message_append(r, CONTROL_STATUS_ROW, p->name, "process", proc_state_to_string(p->state),
                                     n->cfg->name, n->held || p->held ? "held" : "", (uint32_t) (query_proc_running(p) ? p->pid : 0),
                                     query_proc_uptime(p, now), p->restarts,
                                     p->state == PROC_READY, exit_text, p->exited_realtime_usec, notify_status(p),
                                     p->group->cfg->health == CFG_HEALTH_NONE ? "" :
                                     sup_health_to_string(probe_health(p)));
}

static int append_supervisor(sd_bus_message *r, const sup_node *n) {
        const char *parent = n->parent ? n->parent->cfg->name : "";

        return sd_bus_message_append(r, CONTROL_STATUS_ROW, n->cfg->name, "supervisor", node_state_to_string(n->state),
                                     parent, n->held ? "held" : "", (uint32_t) 0, (uint64_t) 0, (uint32_t) 0,
                                     n->state == NODE_UP, "", (uint64_t) 0, "", "");
}

typedef struct status_walk {
        sd_bus_message *reply;
        const sup_node *only;           /* NULL: all */
        bool inside;                    /* below ONLY */
        unsigned depth;
        uint64_t now;
        int r;
} status_walk;

static int status_node(sup_node *n, unsigned depth, void *userdata) {
        status_walk *w = userdata;
        int r = 0;

        (void) depth;
        if (w->only && !node_below(n, w->only))
                return 0;
        if (n->cfg->supervisor)
                r = append_supervisor(w->reply, n);
        for (size_t i = 0; r >= 0 && i < n->n_procs; i++)
                r = append_proc(w->reply, n, &n->procs[i], w->now);
        return r < 0 ? r : 0;
}

static int method_status(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_strv_free_ char **names = NULL;
        status_walk w = { .now = now_usec() };
        int r;

        r = sd_bus_message_read_strv(msg, &names);
        if (r < 0)
                return r;
        r = reply_array_new(msg, CONTROL_STATUS_ROW, &reply);
        if (r < 0)
                return r;
        w.reply = reply;
        if (!names || !names[0]) {
                r = manager_walk(c->m, status_node, &w);
                if (r < 0)
                        return r;
        }
        for (char **s = names; s && *s; s++) {
                sup_proc *p;
                sup_node *n = manager_find_node(c->m, *s);

                if (n) {
                        w.only = n;
                        r = manager_walk(c->m, status_node, &w);
                } else if (manager_find_proc(c->m, *s, &p) == 0)
                        r = append_proc(reply, p->group, p, w.now);
                else
                        return sd_bus_error_setf(error, CONTROL_ERR_NO_SUCH_NODE, "No such group, instance or supervisor: %s", *s);
                if (r < 0)
                        return r;
        }
        return reply_array_send(c, reply);
}

static int tree_node(sup_node *n, unsigned depth, void *userdata) {
        sd_bus_message *reply = userdata;
        const cfg_node *c = n->cfg;

        return sd_bus_message_append(reply, CONTROL_TREE_ROW, c->name, (uint32_t) depth,
                                     c->supervisor ? "supervisor" : "group", node_state_to_string(n->state),
                                     c->supervisor ? cfg_strategy_to_string(c->strategy) : "",
                                     (uint32_t) (c->supervisor ? c->intensity : 0),
                                     cfg_restart_to_string(c->restart), (uint32_t) (c->supervisor ? c->period_usec / USEC_PER_SEC : 0),
                                     (uint32_t) n->n_procs);
}

static int method_tree(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        (void) error;
        r = reply_array_new(msg, CONTROL_TREE_ROW, &reply);
        if (r < 0)
                return r;
        r = manager_walk(c->m, tree_node, reply);
        if (r < 0)
                return r;
        return reply_array_send(c, reply);
}

/* Where each process of NAME writes: (process, kind, path), kind one of
 * log, file, journal, console, inherit, null; path with its specifiers
 * replaced (log and file) or the journal's identifier. */
static int append_outputs(sd_bus_message *reply, const sup_node *n, const sup_proc *only) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < n->n_procs; i++) {
                const sup_proc *p = &n->procs[i];
                const cfg_node *c = n->cfg;
                const cfg_instance in = { .instance = p->instance, .name = p->name, .group = c->name };
                char *path = NULL;

                if (only && p != only)
                        continue;
                if ((c->out == CFG_OUTPUT_LOG || c->out == CFG_OUTPUT_FILE) && cfg_expand(c->out_path, &in, &path) < 0)
                        return -ENOMEM;
                /* Where it goes now: journal output with no journald to
                 * take it is console (spawn.c). */
                if (c->out == CFG_OUTPUT_JOURNAL && p->journal_down)
                        r = sd_bus_message_append(reply, CONTROL_OUTPUT_ROW, p->name, "console", "");
                else
                        r = sd_bus_message_append(reply, CONTROL_OUTPUT_ROW, p->name, query_output_kind(c->out),
                                                  path ? path : c->out == CFG_OUTPUT_JOURNAL ? c->name : "");
                free(path);
        }
        return r;
}

static int method_outputs(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name;
        sup_node *n;
        sup_proc *p;
        int r;

        r = read_target(msg, c, &name, &n, &p, error);
        if (r < 0)
                return r;
        if (n && n->cfg->supervisor)
                return sd_bus_error_setf(error, CONTROL_ERR_FAILED, "%s is a supervisor: name a group", name);
        r = reply_array_new(msg, CONTROL_OUTPUT_ROW, &reply);
        if (r >= 0)
                r = n ? append_outputs(reply, n, NULL) : append_outputs(reply, p->group, p);
        if (r < 0)
                return r;
        return reply_array_send(c, reply);
}

/* A console instance's kept lines after byte AFTER (tail.c): a group
 * names its first instance, as Outputs' first row. */
static int method_tail(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        static const log_tail none;
        sup_control *c = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *buf = NULL;
        const log_tail *t;
        const char *name;
        uint64_t after, from, next;
        size_t len;
        sup_node *n;
        sup_proc *p;
        int r;

        r = read_target(msg, c, &name, &n, &p, error);
        if (r >= 0)
                r = sd_bus_message_read(msg, "t", &after);
        if (r < 0)
                return r;
        if (n && n->cfg->supervisor)
                return sd_bus_error_setf(error, CONTROL_ERR_FAILED, "%s is a supervisor: name a group", name);
        if (n && n->n_procs == 0)
                return sd_bus_error_setf(error, CONTROL_ERR_FAILED, "%s has no instance", name);
        if (n)
                p = &n->procs[0];
        t = log_sink_tail(p->sink_out);
        if (!t)
                t = log_sink_tail(p->sink_err);
        /* Console, but not started yet: nothing so far. */
        if (!t && !p->sink_out && !p->sink_err &&
            (p->group->cfg->out == CFG_OUTPUT_CONSOLE || p->group->cfg->err == CFG_OUTPUT_CONSOLE))
                t = &none;
        if (!t)
                return sd_bus_error_setf(error, CONTROL_ERR_FAILED, "%s writes to no console: airsupd keeps none "
                                         "of its lines", name);
        r = log_tail_read(t, after, &buf, &len, &from, &next);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "tt", from, next);
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', buf, len);
        if (r >= 0)
                r = control_send(c, reply);
        return r;
}

/* The dead letters kept, oldest first: (realtime_usec, receiver, sender,
 * type, len, redeliveries, first bytes in hex); NAME "" for all, else
 * those of the receivers NAME or below it (name_below()). */
static int method_dead_letters(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name;
        sup_node *n = NULL;
        sup_proc *p = NULL;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        if (name[0]) {
                r = control_lookup(c, name, &n, &p, error);
                if (r < 0)
                        return r;
        }
        r = reply_array_new(msg, CONTROL_DEAD_LETTER_ROW, &reply);
        for (size_t i = 0; r >= 0 && i < broker_dead_count(c->m); i++) {
                const broker_dead *d = broker_dead_at(c->m, i);
                char hex[2 * sizeof(d->head) + 1];

                if (!name_below(c, d->receiver, name))
                        continue;
                for (uint32_t k = 0; k < d->n_head; k++)
                        snprintf(hex + 2 * k, 3, "%02x", d->head[k]);
                hex[2 * d->n_head] = '\0';
                r = sd_bus_message_append(reply, CONTROL_DEAD_LETTER_ROW, d->realtime_usec, d->receiver, d->sender, hex, d->type,
                                          d->len, d->redeliveries, d->reason);
        }
        if (r < 0)
                return r;
        return reply_array_send(c, reply);
}

static int method_names(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const registry_entry *e;
        size_t cursor = 0;
        int r;

        (void) error;
        r = reply_array_new(msg, CONTROL_NAME_ROW, &reply);
        while (r >= 0 && (e = registry_next(c->m, &cursor)))
                r = sd_bus_message_append(reply, CONTROL_NAME_ROW, e->name, e->owner->name, e->actor);
        if (r < 0)
                return r;
        return reply_array_send(c, reply);
}

static const char *const act_state_names[_ACT_STATE_MAX] = {
        [ACT_FREE] = "free", [ACT_RUNNING] = "running", [ACT_RESTARTING] = "restarting", [ACT_STOPPED] = "stopped",
};
static const char *const act_kind_names[_ACT_KIND_MAX] = {
        [ACT_KIND_ACTOR] = "actor", [ACT_KIND_SUPERVISOR] = "supervisor",
};

/* Each instance's table, read now (broker_actors_read(): checked, the
 * rows' enums in range). */
static int actors_read_all(sup_proc *const *procs, size_t n, act_snapshot *snaps, int *errs) {
        for (size_t i = 0; i < n; i++) {
                errs[i] = broker_actors_read(procs[i], &snaps[i]);
                if (errs[i] == -ENOMEM)
                        return -ENOMEM;
        }
        return 0;
}

static int append_actor_instances(sd_bus_message *reply, sup_proc *const *procs, size_t n, const act_snapshot *snaps,
                                  const int *errs) {
        int r = sd_bus_message_open_container(reply, 'a', CONTROL_ACTORS_INSTANCE_ROW);

        for (size_t i = 0; r >= 0 && i < n; i++) {
                const act_table_hdr *t = &snaps[i].totals;
                const char *note = errs[i] == -ENODATA   ? "no actors published"
                                 : errs[i] < 0           ? "not an actor table"
                                 : snaps[i].torn         ? "torn"
                                                         : "";

                if (errs[i] < 0)
                        r = sd_bus_message_append(reply, CONTROL_ACTORS_INSTANCE_ROW, procs[i]->name, note, 0, 0, 0, 0,
                                                  0, 0, 0, 0);
                else
                        r = sd_bus_message_append(reply, CONTROL_ACTORS_INSTANCE_ROW, procs[i]->name, note, t->actors,
                                                  t->supervisors, t->processed, t->failures, t->restarts,
                                                  t->escalations, t->dead_letters, t->queued);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int append_actor_rows(sd_bus_message *reply, sup_proc *const *procs, size_t n, const act_snapshot *snaps,
                             const int *errs) {
        size_t sent = 0;
        int r = sd_bus_message_open_container(reply, 'a', CONTROL_ACTORS_ROW);

        for (size_t i = 0; r >= 0 && i < n; i++)
                for (size_t k = 0; r >= 0 && errs[i] >= 0 && k < snaps[i].n_rows && sent < CONTROL_ACTORS_MAX;
                     k++, sent++) {
                        const act_row *a = &snaps[i].rows[k];

                        r = sd_bus_message_append(reply, CONTROL_ACTORS_ROW, procs[i]->name, a->name, a->id,
                                                  a->parent, act_kind_names[a->kind], act_state_names[a->state],
                                                  a->depth, a->processed, a->restarts, a->last_error);
                }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

/* The actors inside a group's instances, or one instance's: read from
 * the tables the processes published, at this call (untrusted figures,
 * checked by act_table_read()). */
static int method_actors(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ sup_proc **procs = NULL;
        _cleanup_free_ act_snapshot *snaps = NULL;
        _cleanup_free_ int *errs = NULL;
        const char *name;
        sup_node *n;
        sup_proc *p;
        size_t count;
        int r;

        r = read_target(msg, c, &name, &n, &p, error);
        if (r < 0)
                return r;
        if (n && n->cfg->supervisor)
                return sd_bus_error_setf(error, CONTROL_ERR_FAILED, "%s is a supervisor: name a group", name);
        count = n ? n->n_procs : 1;
        procs = calloc(count ? count : 1, sizeof(*procs));
        snaps = calloc(count ? count : 1, sizeof(*snaps));
        errs = calloc(count ? count : 1, sizeof(*errs));
        if (!procs || !snaps || !errs)
                return -ENOMEM;
        for (size_t i = 0; i < count; i++)
                procs[i] = n ? &n->procs[i] : p;
        r = actors_read_all(procs, count, snaps, errs);
        if (r >= 0)
                r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = append_actor_instances(reply, procs, count, snaps, errs);
        if (r >= 0)
                r = append_actor_rows(reply, procs, count, snaps, errs);
        for (size_t i = 0; i < count; i++)
                if (errs[i] >= 0)
                        act_snapshot_done(&snaps[i]);
        if (r < 0)
                return r;
        return control_send(c, reply);
}

/* One sample as a row of the reply. */
static int metric_row(const char *name, const char *type, const char *help, const char *labels, double v,
                      void *userdata) {
        return sd_bus_message_append(userdata, CONTROL_METRIC_ROW, name, type, help, labels, v);
}

/* Metrics: every sample; NodeMetrics(name): one node's. */
static int method_metrics(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        metrics_source s = c->metrics;
        int r;

        (void) error;
        if (sd_bus_message_has_signature(msg, "s")) {
                r = sd_bus_message_read(msg, "s", &s.node);
                if (r < 0)
                        return r;
        }
        r = reply_array_new(msg, CONTROL_METRIC_ROW, &reply);
        if (r >= 0)
                r = metrics_collect(&s, metric_row, reply);
        if (r < 0)
                return r;
        return reply_array_send(c, reply);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Status", SD_BUS_ARGS("as", names),
                                SD_BUS_RESULT("a" CONTROL_STATUS_ROW, rows), method_status, 0),
        SD_BUS_METHOD_WITH_ARGS("Tree", SD_BUS_NO_ARGS, SD_BUS_RESULT("a" CONTROL_TREE_ROW, nodes), method_tree, 0),
        SD_BUS_METHOD_WITH_ARGS("Start", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_verb, 0),
        SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_verb, 0),
        SD_BUS_METHOD_WITH_ARGS("Restart", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_verb, 0),
        SD_BUS_METHOD_WITH_ARGS("StartNoBlock", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_verb, 0),
        SD_BUS_METHOD_WITH_ARGS("StopNoBlock", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_verb, 0),
        SD_BUS_METHOD_WITH_ARGS("RestartNoBlock", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_verb, 0),
        SD_BUS_METHOD_WITH_ARGS("Signal", SD_BUS_ARGS("s", name, "s", signal), SD_BUS_RESULT("u", signalled),
                                method_signal, 0),
        SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_ARGS("b", dry_run),
                                SD_BUS_RESULT("b", applied, "a" CONTROL_PLAN_ROW, plan, "at", counts, "t", usec), method_reload, 0),
        SD_BUS_METHOD_WITH_ARGS("Shutdown", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_shutdown, 0),
        SD_BUS_METHOD_WITH_ARGS("Events", SD_BUS_ARGS("u", max, "t", since_realtime_usec, "i", max_priority,
                                "s", node), SD_BUS_RESULT("a" CONTROL_EVENT_ROW, events), method_events, 0),
        SD_BUS_METHOD_WITH_ARGS("Outputs", SD_BUS_ARGS("s", name), SD_BUS_RESULT("a" CONTROL_OUTPUT_ROW, outputs),
                                method_outputs, 0),
        SD_BUS_METHOD_WITH_ARGS(CONTROL_TAIL_METHOD, SD_BUS_ARGS("s", name, "t", after),
                                SD_BUS_RESULT("t", from, "t", next, "ay", text), method_tail, 0),
        SD_BUS_METHOD_WITH_ARGS("Metrics", SD_BUS_NO_ARGS, SD_BUS_RESULT("a" CONTROL_METRIC_ROW, samples),
                                method_metrics, 0),
        SD_BUS_METHOD_WITH_ARGS("NodeMetrics", SD_BUS_ARGS("s", name), SD_BUS_RESULT("a" CONTROL_METRIC_ROW, samples),
                                method_metrics, 0),
        SD_BUS_METHOD_WITH_ARGS("DeadLetters", SD_BUS_ARGS("s", name), SD_BUS_RESULT("a" CONTROL_DEAD_LETTER_ROW, letters),
                                method_dead_letters, 0),
        SD_BUS_METHOD_WITH_ARGS("Actors", SD_BUS_ARGS("s", name),
                                SD_BUS_RESULT("a" CONTROL_ACTORS_INSTANCE_ROW, instances, "a" CONTROL_ACTORS_ROW, actors),
                                method_actors, 0),
        SD_BUS_METHOD_WITH_ARGS("Send", SD_BUS_ARGS("s", dest, "u", type, "ay", payload), SD_BUS_NO_RESULT,
                                method_send, 0),
        SD_BUS_METHOD_WITH_ARGS("Publish", SD_BUS_ARGS("s", subject, "u", type, "ay", payload), SD_BUS_RESULT("u", reached),
                                method_publish, 0),
        SD_BUS_METHOD_WITH_ARGS("Request", SD_BUS_ARGS("s", dest, "u", type, "ay", payload, "t", timeout_usec),
                                SD_BUS_RESULT("s", from, "u", type, "ay", payload), method_request, 0),
        SD_BUS_METHOD_WITH_ARGS("SubscribeSubject", SD_BUS_ARGS("s", pattern), SD_BUS_RESULT("t", id),
                                method_subscribe_subject, 0),
        SD_BUS_METHOD_WITH_ARGS("UnsubscribeSubject", SD_BUS_ARGS("t", id), SD_BUS_NO_RESULT,
                                method_unsubscribe_subject, 0),
        SD_BUS_SIGNAL_WITH_ARGS("Published", SD_BUS_ARGS("t", id, "s", subject, "s", from, "u", type, "ay", payload), 0),
        SD_BUS_METHOD_WITH_ARGS("Names", SD_BUS_NO_ARGS, SD_BUS_RESULT("a" CONTROL_NAME_ROW, names), method_names, 0),
        SD_BUS_METHOD_WITH_ARGS("Subscribe", SD_BUS_NO_ARGS, SD_BUS_RESULT("t", last_seq), method_subscribe, 0),
        SD_BUS_SIGNAL_WITH_ARGS("Event", SD_BUS_ARGS("t", seq, "t", realtime_usec, "t", monotonic_usec,
                                "s", severity, "s", kind, "s", node, "u", pid, "u", incarnation, "s", text), 0),
        SD_BUS_VTABLE_END,
};

/* Enough of the bus daemon's own interface for D-Bus tools that expect
 * one (busctl sends Hello and asks for names): this connection's peer
 * is ":1.1", the one name here is org.airsup1. */
static int method_hello(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        (void) userdata, (void) error;
        return sd_bus_reply_method_return(msg, "s", ":1.1");
}

static int method_list_names(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        (void) userdata, (void) error;
        return sd_bus_reply_method_return(msg, "as", 2, CONTROL_NAME, ":1.0");
}

static int method_get_name_owner(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *name;
        int r;

        (void) userdata;
        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        if (strcmp(name, CONTROL_NAME) != 0 && strcmp(name, ":1.0") != 0)
                return sd_bus_error_setf(error, "org.freedesktop.DBus.Error.NameHasNoOwner", "No such name: %s", name);
        return sd_bus_reply_method_return(msg, "s", ":1.0");
}

static const sd_bus_vtable daemon_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Hello", "", "s", method_hello, 0),
        SD_BUS_METHOD("ListNames", "", "as", method_list_names, 0),
        SD_BUS_METHOD("ListActivatableNames", "", "as", method_list_names, 0),
        SD_BUS_METHOD("GetNameOwner", "s", "s", method_get_name_owner, 0),
        SD_BUS_VTABLE_END,
};

/* /org/airsup1/node/NAME: the node, found by its decoded name. */
static int node_find(sd_bus *bus, const char *path, const char *iface, void *userdata, void **found,
                     sd_bus_error *error) {
        sup_control *c = userdata;
        _cleanup_free_ char *name = NULL;
        sup_node *n;

        (void) bus;
        (void) iface;
        (void) error;
        if (sd_bus_path_decode(path, CONTROL_NODE_PREFIX, &name) <= 0)
                return 0;
        n = manager_find_node(c->m, name);
        if (!n)
                return 0;
        *found = n;
        return 1;
}

static int enumerate_node(sup_node *n, unsigned depth, void *userdata) {
        char ***list = userdata;
        size_t k = 0;
        char *path, **a;

        (void) depth;
        if (sd_bus_path_encode(CONTROL_NODE_PREFIX, n->cfg->name, &path) < 0)
                return -ENOMEM;
        while (*list && (*list)[k])
                k++;
        a = reallocarray(*list, k + 2, sizeof(char *));
        if (!a) {
                free(path);
                return -ENOMEM;
        }
        a[k] = path;
        a[k + 1] = NULL;
        *list = a;
        return 0;
}

static int node_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret, sd_bus_error *error) {
        sup_control *c = userdata;
        char **list = calloc(1, sizeof(char *));
        int r;

        (void) bus;
        (void) prefix;
        (void) error;
        if (!list)
                return -ENOMEM;
        r = manager_walk(c->m, enumerate_node, &list);
        if (r < 0) {
                strv_free(list);
                return r;
        }
        *ret = list;
        return 1;
}

static int prop_name(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                     void *userdata, sd_bus_error *error) {
        sup_node *n = userdata;

        (void) bus, (void) path, (void) iface, (void) error;
        if (strcmp(prop, "Name") == 0)
                return sd_bus_message_append(reply, "s", n->cfg->name);
        if (strcmp(prop, "Kind") == 0)
                return sd_bus_message_append(reply, "s", n->cfg->supervisor ? "supervisor" : "group");
        if (strcmp(prop, "State") == 0)
                return sd_bus_message_append(reply, "s", node_state_to_string(n->state));
        if (strcmp(prop, "Parent") == 0)
                return sd_bus_message_append(reply, "s", n->parent ? n->parent->cfg->name : "");
        if (strcmp(prop, "Held") == 0)
                return sd_bus_message_append(reply, "b", n->held);
        if (strcmp(prop, "Restart") == 0)
                return sd_bus_message_append(reply, "s", cfg_restart_to_string(n->cfg->restart));
        if (strcmp(prop, "Instances") == 0)
                return sd_bus_message_append(reply, "u", (uint32_t) n->n_procs);
        if (strcmp(prop, "Pids") == 0) {
                int r = sd_bus_message_open_container(reply, 'a', "u");
                for (size_t i = 0; r >= 0 && i < n->n_procs; i++)
                        if (query_proc_running(&n->procs[i]))
                                r = sd_bus_message_append(reply, "u", (uint32_t) n->procs[i].pid);
                return r < 0 ? r : sd_bus_message_close_container(reply);
        }
        if (strcmp(prop, "Restarts") == 0) {
                uint32_t k = 0;
                for (size_t i = 0; i < n->n_procs; i++)
                        k += n->procs[i].restarts;
                return sd_bus_message_append(reply, "u", k);
        }
        return -ENOENT;
}

static const sd_bus_vtable node_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", prop_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Kind", "s", prop_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Parent", "s", prop_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Restart", "s", prop_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Instances", "u", prop_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", prop_name, 0, 0),
        SD_BUS_PROPERTY("Held", "b", prop_name, 0, 0),
        SD_BUS_PROPERTY("Pids", "au", prop_name, 0, 0),
        SD_BUS_PROPERTY("Restarts", "u", prop_name, 0, 0),
        SD_BUS_VTABLE_END,
};

int control_add_objects(sup_control *c, sd_bus *bus) {
        int r = sd_bus_add_object_vtable(bus, NULL, CONTROL_PATH, CONTROL_IFACE, manager_vtable, c);

        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                             daemon_vtable, c);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(bus, NULL, CONTROL_NODE_PREFIX, CONTROL_NODE_IFACE, node_vtable,
                                               node_find, c);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(bus, NULL, CONTROL_NODE_PREFIX, node_enumerate, c);
        if (r >= 0)
                r = sd_bus_add_object_manager(bus, NULL, CONTROL_PATH);
        return r;
}
