/* control.c - the control socket: D-Bus peer-to-peer over a Unix stream
 * socket, with sd-bus, as systemd's private socket is (so that
 * `busctl --address=unix:path=SOCKET` can talk to it too).
 *
 * Each accepted connection is checked first (SO_PEERCRED: root, airsupd's
 * own uid, or a member of control_group; anyone else is told so in one
 * line and closed, whatever the socket's mode), then becomes an sd_bus in
 * server mode with anonymous authentication, attached to airsupd's one
 * event loop.  Objects (see airsupctl(1), "D-BUS INTERFACE"):
 *
 *   /org/airsup1                 org.airsup1.Manager: Status, Tree, Start,
 *                                Stop, Restart, Signal, Shutdown
 *   /org/airsup1/node/NAME       org.airsup1.Node: a property per figure
 *                                (NAME escaped as sd_bus_path_encode() does)
 *
 * The credential check decides, not sd-bus: a connection that passed it
 * is marked trusted (sd_bus_set_trusted()), since sd-bus would otherwise
 * refuse every method to a caller with neither airsupd's uid nor
 * CAP_SYS_ADMIN, members of control_group included.
 *
 * A client cannot hurt airsupd: sd-bus checks every argument's type, names
 * are looked up (never trusted), at most CONTROL_CLIENTS_MAX connections
 * are served at once, and what a client leaves unread is bounded in bytes
 * (see client_check()): behind the message it is reading, at most
 * CONTROL_WQUEUE_MAX bytes or CONTROL_QUEUE_MAX messages, and all clients
 * together at most CONTROL_WQUEUE_TOTAL_MAX bytes; past that the client
 * is disconnected (for the total, the one with the most piled up behind
 * its reply, then the one that has waited longest).  Bytes are counted
 * as sent; a message may hold up to twice that in memory (sd-bus grows
 * its buffers by doubling), so all clients pin at most about 32 MiB. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/control-proto.h"
#include "common/fds.h"
#include "supervisor/messages/broker.h"
#include "supervisor/start/cgroup.h"
#include "supervisor/operator/control.h"
#include "supervisor/start/fdlimit.h"
#include "supervisor/core/manager.h"
#include "supervisor/core/proc.h"
#include "supervisor/config/reload.h"
#include "supervisor/core/state.h"

#define CONTROL_CLIENTS_MAX 1024
/* Unread bytes behind the message a client is reading (one reply of any
 * size is always delivered: a status of a large tree, a long history),
 * and unread messages; then all clients together.  The kernel holds at
 * most 2 * CONTROL_SNDBUF more per client, outside airsupd. */
#define CONTROL_WQUEUE_MAX (1024 * 1024)
#define CONTROL_QUEUE_MAX 256
#define CONTROL_WQUEUE_TOTAL_MAX (16 * 1024 * 1024)
#define EVENTS_MAX_REPLY 100000
#define CONTROL_SNDBUF (32 * 1024)     /* the kernel doubles it */

typedef struct client {
        sup_control *control;
        sd_bus *bus;
        struct client *next;
        bool closed;
        bool following;                 /* Subscribe()d: gets every event as a signal */
        pid_t pid;
        /* The sizes of the last messages sent to it, oldest first from
         * sent_next (a ring): those still queued are the last of them. */
        uint32_t sent[CONTROL_QUEUE_MAX];
        unsigned sent_next;
        uint64_t unread;                /* bytes still queued, as last counted ... */
        uint64_t behind;                /* ... and of them, behind the one it reads */
        uint64_t waiting_since;         /* CLOCK_MONOTONIC usec its queue was last seen empty; 0: it is */
} client;

struct sup_control {
        sup_manager *m;
        int fd;
        sd_event_source *source;
        sd_event_source *reap;          /* frees closed clients, outside their callbacks */
        char path[sizeof(((struct sockaddr_un *) 0)->sun_path)];
        gid_t group;
        bool have_group;
        client *clients;
        size_t n_clients;
        uint64_t unread;                /* the sum of every client's unread */
        sd_id128_t id;
        int subscription;               /* on the event log */
};

/* What unread replies cost.  sd-bus tells how many messages wait in a
 * connection's queue, not how many bytes: so each message sent here is
 * measured (message_size()) into a ring per client, and since the queue
 * is first in, first out, the K messages still queued are at most the
 * last K recorded.  Replies sd-bus makes itself (introspection,
 * properties, the object manager) are not seen: their size is estimated
 * from the tree when the call comes in; the small ones (errors, Ping,
 * the verbs' empty replies) are left to CONTROL_QUEUE_MAX.  The count is
 * an upper bound, never less than what is queued. */
static uint64_t walk_size(sd_bus_message *m, unsigned depth) {
        uint64_t n = 0;
        const char *contents;
        char type;

        while (sd_bus_message_peek_type(m, &type, &contents) > 0) {
                if (type == SD_BUS_TYPE_ARRAY || type == SD_BUS_TYPE_STRUCT || type == SD_BUS_TYPE_VARIANT ||
                    type == SD_BUS_TYPE_DICT_ENTRY) {
                        /* Length and padding, the variant's signature. */
                        n += 8 + (type == SD_BUS_TYPE_VARIANT ? strlen(contents) + 2 : 0);
                        if (depth >= 64 || sd_bus_message_enter_container(m, type, contents) < 0)
                                break;
                        n += walk_size(m, depth + 1);
                        if (sd_bus_message_exit_container(m) < 0)
                                break;
                } else if (type == SD_BUS_TYPE_STRING || type == SD_BUS_TYPE_OBJECT_PATH ||
                           type == SD_BUS_TYPE_SIGNATURE) {
                        const char *v;
                        if (sd_bus_message_read_basic(m, type, &v) < 0)
                                break;
                        n += 8 + strlen(v) + 1;
                } else {
                        uint64_t v;             /* room for any fixed-size value */
                        if (sd_bus_message_read_basic(m, type, &v) < 0)
                                break;
                        n += 8;
                }
        }
        return n;
}

/* MSG's bytes on the wire, at most: its body with every value padded to
 * 8, and a header (the fields: path, interface, member, signature). */
static uint64_t message_size(sd_bus_message *msg) {
        if (sd_bus_message_rewind(msg, /* complete= */ 1) < 0)
                return 0;
        return 256 + walk_size(msg, 0);
}

static client *client_of(sup_control *c, sd_bus *bus) {
        for (client *cl = c->clients; cl; cl = cl->next)
                if (cl->bus == bus)
                        return cl;
        return NULL;
}

static void client_sent(client *cl, uint64_t size) {
        cl->sent[cl->sent_next++ % CONTROL_QUEUE_MAX] = size > UINT32_MAX ? UINT32_MAX : (uint32_t) size;
}

/* Disconnects CL (freed by the reaper, outside its callbacks); what it
 * had queued no longer counts. */
static void client_cut(client *cl) {
        sup_control *c = cl->control;

        cl->closed = true;
        c->unread -= cl->unread;
        cl->unread = cl->behind = 0;
        (void) sd_event_source_set_enabled(c->reap, SD_EVENT_ONESHOT);
}

/* CL's unread bytes now: all of them, and those behind the message it
 * reads (the oldest queued, perhaps partly read already). */
static void client_count(client *cl, uint64_t *ret_queued, uint64_t *ret_behind) {
        sup_control *c = cl->control;
        uint64_t queued = 0, all = 0, behind = 0;

        if (sd_bus_get_n_queued_write(cl->bus, &queued) < 0)
                queued = 0;
        for (uint64_t i = 1; i <= queued && i <= CONTROL_QUEUE_MAX; i++) {
                uint32_t size = cl->sent[(cl->sent_next - i) % CONTROL_QUEUE_MAX];
                all += size;
                if (i < queued)
                        behind += size;
        }
        c->unread = c->unread - cl->unread + all;
        cl->unread = all;
        cl->behind = behind;
        if (queued == 0)
                cl->waiting_since = 0;
        else if (cl->waiting_since == 0)
                cl->waiting_since = now_usec();
        *ret_queued = queued;
        *ret_behind = behind;
}

/* All clients' unread beyond CONTROL_WQUEUE_TOTAL_MAX: those with the
 * most piled up behind the reply they read go first (they called again
 * without reading), then those whose queue has not emptied for the
 * longest, so that many of them cannot crowd out a client that reads
 * one large reply now (a status or the metrics of a large tree). */
static void control_trim(sup_control *c) {
        uint64_t queued, behind;

        if (c->unread <= CONTROL_WQUEUE_TOTAL_MAX)
                return;
        for (client *cl = c->clients; cl; cl = cl->next)
                if (!cl->closed)
                        client_count(cl, &queued, &behind);
        while (c->unread > CONTROL_WQUEUE_TOTAL_MAX) {
                client *worst = NULL;
                for (client *cl = c->clients; cl; cl = cl->next)
                        if (!cl->closed && cl->unread > 0 &&
                            (!worst || cl->behind > worst->behind ||
                             (cl->behind == worst->behind && cl->waiting_since < worst->waiting_since)))
                                worst = cl;
                if (!worst || worst->unread == 0)
                        break;
                sup_log(&c->m->events, LOG_NOTICE, "control: pid %d has the most replies unread (%llu bytes) "
                        "with all clients' over %d MiB: disconnected", (int) worst->pid,
                        (unsigned long long) worst->unread, CONTROL_WQUEUE_TOTAL_MAX >> 20);
                client_cut(worst);
        }
}

/* Counts what CL left unread and disconnects it past the bounds; true
 * when it is (or was already) gone. */
static bool client_check(client *cl) {
        sup_control *c = cl->control;
        uint64_t queued, behind;

        if (cl->closed)
                return true;
        client_count(cl, &queued, &behind);
        if (queued >= CONTROL_QUEUE_MAX || behind > CONTROL_WQUEUE_MAX) {
                if (cl->following && queued >= CONTROL_QUEUE_MAX)
                        sup_log(&c->m->events, LOG_NOTICE, "control: a follower (pid %d) stopped reading its "
                                "events (%llu unread): disconnected", (int) cl->pid, (unsigned long long) queued);
                else if (queued >= CONTROL_QUEUE_MAX)
                        sup_log(&c->m->events, LOG_NOTICE, "control: pid %d leaves its replies unread (%llu): "
                                "disconnected", (int) cl->pid, (unsigned long long) queued);
                else
                        sup_log(&c->m->events, LOG_NOTICE, "control: pid %d leaves %llu bytes unread (%llu "
                                "messages): disconnected", (int) cl->pid, (unsigned long long) cl->unread,
                                (unsigned long long) queued);
                client_cut(cl);
                return true;
        }
        control_trim(c);
        return cl->closed;
}

/* Sends REPLY, made by a method here, and counts it against its client. */
static int control_send(sup_control *c, sd_bus_message *reply) {
        client *cl;
        int r = sd_bus_send(NULL, reply, NULL);

        if (r < 0)
                return r;
        cl = client_of(c, sd_bus_message_get_bus(reply));
        if (cl) {
                client_sent(cl, message_size(reply));
                (void) client_check(cl);
        }
        return r;
}


/* How the last exit went: "status=3", "signal=KILL", "start-failed=ENOENT", "". */
/* The last exit or failed start: this incarnation's once it ended, else
 * the one before's. */
static const sup_exit *proc_last_exit(const sup_proc *p, int *ret_start_error) {
        bool current = p->exit.code != 0 || p->start_error != 0;

        *ret_start_error = current ? p->start_error : p->last_start_error;
        return current ? &p->exit : &p->last_exit;
}

static void last_exit(const sup_proc *p, char *buf, size_t size) {
        int start_error;
        const sup_exit *x = proc_last_exit(p, &start_error);

        buf[0] = '\0';
        if (start_error > 0)
                snprintf(buf, size, "start-failed=%s", strerrorname_np(start_error) ?: "?");
        else if (x->code == CLD_EXITED)
                snprintf(buf, size, "status=%d", x->status);
        else if (x->code == CLD_KILLED || x->code == CLD_DUMPED)
                snprintf(buf, size, "signal=%s", cfg_signal_to_string(x->status));
        else if (x->code != 0)
                snprintf(buf, size, "unknown");
}

static bool proc_running(const sup_proc *p) {
        return p->state == PROC_STARTING || p->state == PROC_RUNNING || p->state == PROC_READY ||
               p->state == PROC_STOPPING || p->state == PROC_KILLING;
}

static uint64_t proc_uptime(const sup_proc *p, uint64_t now) {
        return proc_running(p) && p->started_usec > 0 && now > p->started_usec ? now - p->started_usec : 0;
}

static int append_proc(sd_bus_message *r, const sup_node *n, const sup_proc *p, uint64_t now) {
        char exit_text[48];

        last_exit(p, exit_text, sizeof(exit_text));
        return sd_bus_message_append(r, CONTROL_STATUS_ROW, p->name, "process", proc_state_to_string(p->state),
                                     n->cfg->name, n->held || p->held ? "held" : "", (uint32_t) (proc_running(p) ? p->pid : 0),
                                     proc_uptime(p, now), (uint32_t) (p->incarnation > 0 ? p->incarnation - 1 : 0),
                                     p->state == PROC_READY, exit_text, p->exited_realtime_usec, p->status,
                                     p->group->cfg->health == CFG_HEALTH_NONE ? "" : sup_health_to_string(p->health));
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

static bool below(const sup_node *n, const sup_node *top) {
        for (; n; n = n->parent)
                if (n == top)
                        return true;
        return false;
}

static int status_node(sup_node *n, unsigned depth, void *userdata) {
        status_walk *w = userdata;
        int r = 0;

        (void) depth;
        if (w->only && !below(n, w->only))
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
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', CONTROL_STATUS_ROW);
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
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return control_send(c, reply);
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
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', CONTROL_TREE_ROW);
        if (r < 0)
                return r;
        r = manager_walk(c->m, tree_node, reply);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return control_send(c, reply);
}

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

static int append_event(sd_bus_message *r, const sup_event *e) {
        char body[384];

        sup_event_format_body(e, body, sizeof(body));
        return sd_bus_message_append(r, CONTROL_EVENT_ROW, e->seq, e->real_usec, e->mono_usec,
                                     sup_priority_to_string(e->priority), sup_event_type_to_string(e->type), e->node,
                                     (uint32_t) e->pid, e->incarnation, body);
}

/* Whether WHO (a node or an instance) is NODE or below it: its
 * instances ("web" takes "web[2]") and for a supervisor what is below it;
 * NODE "" takes everything. */
static bool name_below(sup_control *c, const char *who, const char *node) {
        char group[96];
        unsigned i;
        sup_node *n, *top;

        if (!node[0] || strcmp(who, node) == 0)
                return true;
        if (cfg_parse_instance_name(who, group, sizeof(group), &i) < 0)
                return false;
        if (strcmp(group, node) == 0)
                return true;
        top = manager_find_node(c->m, node);
        n = manager_find_node(c->m, group);
        return top && n && below(n, top);
}

/* A node's events are its own and those of what is below it. */
static bool event_about(sup_control *c, const sup_event *e, const char *node) {
        return name_below(c, e->node, node);
}

static int method_events(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        const sup_events *ev = &c->m->events;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *node;
        uint64_t since;
        uint32_t max;
        int32_t prio;
        size_t first, k = 0;
        int r;

        r = sd_bus_message_read(msg, "utis", &max, &since, &prio, &node);
        if (r < 0)
                return r;
        if (node[0] && !manager_find_node(c->m, node) && !strchr(node, '['))
                return sd_bus_error_setf(error, CONTROL_ERR_NO_SUCH_NODE, "No such group, instance or supervisor: %s", node);
        if (max == 0 || max > EVENTS_MAX_REPLY)
                max = EVENTS_MAX_REPLY;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', CONTROL_EVENT_ROW);
        if (r < 0)
                return r;
        /* The last MAX that match, oldest first. */
        first = ev->n;
        for (size_t i = ev->n; i > 0 && k < max; i--) {
                const sup_event *e = &ev->ring[(ev->head + i - 1) % ev->cap];
                if (e->real_usec < since)
                        break;
                if (e->priority <= prio && event_about(c, e, node)) {
                        first = i - 1;
                        k++;
                }
        }
        for (size_t i = first; r >= 0 && i < ev->n; i++) {
                const sup_event *e = &ev->ring[(ev->head + i) % ev->cap];
                if (e->real_usec >= since && e->priority <= prio && event_about(c, e, node))
                        r = append_event(reply, e);
        }
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return control_send(c, reply);
}

static int lookup(sup_control *c, const char *name, sup_node **ret_node, sup_proc **ret_proc, sd_bus_error *error);

/* A method's first argument, a name, and what it names. */
static int read_target(sd_bus_message *msg, sup_control *c, const char **ret_name, sup_node **ret_node,
                       sup_proc **ret_proc, sd_bus_error *error) {
        int r = sd_bus_message_read(msg, "s", ret_name);

        if (r < 0)
                return r;
        return lookup(c, *ret_name, ret_node, ret_proc, error);
}

/* Where each process of NAME writes: (process, kind, path), kind one of
 * log, file, journal, console, inherit, null; path with its specifiers
 * replaced (log and file) or the journal's identifier. */
static const char *output_kind(cfg_output o) {
        switch (o) {
        case CFG_OUTPUT_LOG: return "log";
        case CFG_OUTPUT_FILE: return "file";
        case CFG_OUTPUT_JOURNAL: return "journal";
        case CFG_OUTPUT_CONSOLE: return "console";
        case CFG_OUTPUT_NULL: return "null";
        default: return "inherit";
        }
}

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
                r = sd_bus_message_append(reply, CONTROL_OUTPUT_ROW, p->name, output_kind(c->out),
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
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', CONTROL_OUTPUT_ROW);
        if (r >= 0)
                r = n ? append_outputs(reply, n, NULL) : append_outputs(reply, p->group, p);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return control_send(c, reply);
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
                r = lookup(c, name, &n, &p, error);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', CONTROL_DEAD_LETTER_ROW);
        for (size_t i = 0; r >= 0 && i < broker_dead_count(c->m); i++) {
                const broker_dead *d = broker_dead_at(c->m, i);
                char hex[2 * sizeof(d->head) + 1];

                if (!name_below(c, d->receiver, name))
                        continue;
                for (uint32_t k = 0; k < d->n_head; k++)
                        snprintf(hex + 2 * k, 3, "%02x", d->head[k]);
                hex[2 * d->n_head] = '\0';
                r = sd_bus_message_append(reply, CONTROL_DEAD_LETTER_ROW, d->realtime_usec, d->receiver, d->sender, hex, d->type,
                                          d->len, d->redeliveries);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return control_send(c, reply);
}

/* Metrics, one row per sample: name, type, help, labels, value.  The
 * same rows make airsupctl's table, its JSON and the Prometheus text. */

typedef struct metrics_walk {
        sd_bus_message *reply;          /* rows for D-Bus, or ... */
        FILE *text;                     /* ... the Prometheus text format */
        uint64_t now;
        unsigned family;                /* one metric at a time: the text format groups samples */
        const char *last;               /* the family whose HELP was written */
        /* Each process's mailbox figures, read from its lanes once per
         * scrape (in the first mailbox family), in walk order. */
        struct { shm_lane_stats st; unsigned lanes; } *mb;
        size_t mb_n, mb_i;
        /* Each process's cgroup figures, read once per scrape likewise
         * (in M_CG_INFO). */
        struct { cgroup_figures f; bool ok; } *cg;
        size_t cg_n, cg_i;
} metrics_walk;

static const struct {
        const char *name, *type, *help;
} metric_defs[] = {
        { "airsup_node_up", "gauge", "1 when the supervisor or group is up (its processes may be restarting)" },
        { "airsup_node_held", "gauge", "1 when an operator stopped the node and holds it down" },
        { "airsup_process_ready", "gauge", "1 when the process is ready" },
        { "airsup_process_restarts_total", "counter", "Restarts of the process since airsupd started" },
        { "airsup_process_uptime_seconds", "gauge", "Seconds since the running process started, 0 when down" },
        { "airsup_process_last_exit_code", "gauge",
          "Exit status of the last exit, 128+N after signal N, -1 for a failed start or none" },
        { "airsup_process_pid", "gauge", "Process id of the main process, 0 when down" },
        { "airsup_process_start_latency_seconds", "gauge",
          "Seconds from the fork of its last start to its readiness, 0 until it was ready once" },
        { "airsup_process_health", "gauge", "0 not probed, 1 healthy, 2 degraded, 3 failed its health probes" },
        { "airsup_process_probe_failures_total", "counter", "Health probes of the process that failed" },
        { "airsup_process_probes_total", "counter", "Health probes of the process (and WATCHDOG=1s) since airsupd started" },
        { "airsup_mailbox_lanes", "gauge", "Lanes into the process's mailbox (one per sender)" },
        { "airsup_mailbox_depth", "gauge", "Messages waiting in the process's mailbox" },
        { "airsup_mailbox_hwm_bytes", "gauge", "The most bytes one of its lanes held waiting" },
        { "airsup_mailbox_sent_total", "counter", "Messages sent into the process's mailbox" },
        { "airsup_mailbox_received_total", "counter", "Messages the process received and committed" },
        { "airsup_mailbox_dropped_total", "counter", "Messages dropped by senders at a full lane" },
        { "airsup_mailbox_expired_total", "counter", "Messages dropped at receive, past their deadline" },
        { "airsup_mailbox_errors_total", "counter", "Garbled records and lanes found in its mailbox" },
        { "airsup_mailbox_dead_letters_total", "counter", "Messages taken off its lanes as dead letters" },
        { "airsup_process_cgroup_info", "gauge", "1 for each process with a cgroup; the path is its label" },
        { "airsup_process_cpu_seconds_total", "counter", "CPU time of every process in its cgroup (cpu.stat)" },
        { "airsup_process_memory_bytes", "gauge", "Memory charged to its cgroup (memory.current)" },
        { "airsup_process_tasks", "gauge", "Tasks in its cgroup (pids.current)" },
        { "airsup_process_oom_kills_total", "counter", "Processes of its cgroup the OOM killer took" },
};

enum { M_UP, M_HELD, M_READY, M_RESTARTS, M_UPTIME, M_EXIT, M_PID, M_LATENCY, M_HEALTH, M_PROBE_FAILURES, M_PROBES, M_MB_LANES, M_MB_DEPTH, M_MB_HWM,
       M_MB_SENT, M_MB_RECEIVED, M_MB_DROPPED, M_MB_EXPIRED, M_MB_ERRORS, M_MB_DEAD, M_CG_INFO, M_CG_CPU, M_CG_MEMORY,
       M_CG_TASKS, M_CG_OOM };

static int sample(metrics_walk *w, const char *name, const char *type, const char *help, const char *labels,
                  double v) {
        if (w->reply)
                return sd_bus_message_append(w->reply, CONTROL_METRIC_ROW, name, type, help, labels, v);
        /* Each family's HELP and TYPE once, before its first sample. */
        if (!w->last || strcmp(w->last, name) != 0)
                fprintf(w->text, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
        w->last = name;
        fprintf(w->text, "%s%s%s%s %.17g\n", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "", v);
        return 0;
}

static int metric(metrics_walk *w, unsigned id, const char *labels, double v) {
        return sample(w, metric_defs[id].name, metric_defs[id].type, metric_defs[id].help, labels, v);
}

/* A label value, escaped as the text format wants (\, " and newline). */
static void label(char *buf, size_t size, const char *key, const char *value, const char *key2, const char *value2) {
        size_t k = 0;

        for (unsigned pass = 0; pass < 2; pass++) {
                const char *kk = pass ? key2 : key, *v = pass ? value2 : value;
                if (!kk)
                        break;
                k += (size_t) snprintf(buf + k, size - k, "%s%s=\"", pass ? "," : "", kk);
                for (; *v && k + 3 < size; v++) {
                        if (*v == '\\' || *v == '"' || *v == '\n')
                                buf[k++] = '\\';
                        buf[k++] = *v == '\n' ? 'n' : *v;
                }
                k += (size_t) snprintf(buf + k, size - k, "\"");
        }
}

static int metrics_cgroup(metrics_walk *w, sup_node *n, const sup_proc *p);

static int metrics_node(sup_node *n, unsigned depth, void *userdata) {
        metrics_walk *w = userdata;
        char l[256];
        int r = 0;

        (void) depth;
        if (w->family == M_UP || w->family == M_HELD) {
                label(l, sizeof(l), "node", n->cfg->name, "kind", n->cfg->supervisor ? "supervisor" : "group");
                return metric(w, w->family, l, w->family == M_UP ? n->state == NODE_UP : n->held);
        }
        for (size_t i = 0; r >= 0 && i < n->n_procs; i++) {
                const sup_proc *p = &n->procs[i];
                int start_error;

                if (w->family >= M_CG_INFO) {
                        r = metrics_cgroup(w, n, p);
                        continue;
                }
                const sup_exit *x = proc_last_exit(p, &start_error);
                double v;

                switch (w->family) {
                case M_READY:
                        v = p->state == PROC_READY;
                        break;
                case M_RESTARTS:
                        v = p->incarnation > 0 ? p->incarnation - 1 : 0;
                        break;
                case M_UPTIME:
                        v = (double) proc_uptime(p, w->now) / 1e6;
                        break;
                case M_EXIT:
                        v = start_error || x->code == 0 ? -1 : x->code == CLD_EXITED ? x->status : 128 + x->status;
                        break;
                case M_LATENCY:
                        v = (double) p->start_latency_usec / 1e6;
                        break;
                case M_HEALTH:
                        v = p->health;
                        break;
                case M_PROBE_FAILURES:
                        v = (double) p->probe_failures_total;
                        break;
                case M_PROBES:
                        v = (double) p->probes_total;
                        break;
                case M_MB_LANES ... M_MB_DEAD: {
                        if (w->family == M_MB_LANES) {
                                void *a = reallocarray(w->mb, w->mb_n + 1, sizeof(*w->mb));
                                if (!a)
                                        return -ENOMEM;
                                w->mb = a;
                                w->mb[w->mb_n].lanes = broker_mailbox_stats(p, &w->mb[w->mb_n].st);
                                w->mb_n++;
                        }
                        if (w->mb_i >= w->mb_n)
                                return -EIO;            /* the tree changed under the walk: cannot happen */
                        const shm_lane_stats *st = &w->mb[w->mb_i].st;
                        const uint64_t vals[] = { w->mb[w->mb_i].lanes, st->depth, st->hwm_bytes, st->sent,
                                                  st->received, st->dropped, st->expired, st->errors, st->dead };
                        w->mb_i++;
                        v = (double) vals[w->family - M_MB_LANES];
                        break;
                }
                default:
                        v = proc_running(p) ? p->pid : 0;
                        break;
                }
                label(l, sizeof(l), "process", p->name, "group", n->cfg->name);
                r = metric(w, w->family, l, v);
        }
        return r < 0 ? r : 0;
}

/* The cgroup families: only processes that have one, and only the
 * figures their controllers give. */
static int metrics_cgroup(metrics_walk *w, sup_node *n, const sup_proc *p) {
        const cgroup_figures *f;
        char l[PATH_MAX + 256];
        size_t k;

        if (w->family == M_CG_INFO) {
                void *a = reallocarray(w->cg, w->cg_n + 1, sizeof(*w->cg));
                if (!a)
                        return -ENOMEM;
                w->cg = a;
                w->cg[w->cg_n].ok = cgroup_figures_read(p, &w->cg[w->cg_n].f) >= 0;
                w->cg_n++;
        }
        if (w->cg_i >= w->cg_n)
                return -EIO;                    /* the tree changed under the walk: cannot happen */
        f = &w->cg[w->cg_i].f;
        if (!w->cg[w->cg_i++].ok)
                return 0;
        label(l, sizeof(l), "process", p->name, "group", n->cfg->name);
        switch (w->family) {
        case M_CG_INFO:
                k = strlen(l);
                label(l + k, sizeof(l) - k, ",cgroup", p->cg_path, NULL, NULL);
                return metric(w, w->family, l, 1);
        case M_CG_CPU:
                return f->has_cpu ? metric(w, w->family, l, (double) f->cpu_usec / 1e6) : 0;
        case M_CG_MEMORY:
                return f->has_memory ? metric(w, w->family, l, (double) f->memory_bytes) : 0;
        case M_CG_TASKS:
                return f->has_pids ? metric(w, w->family, l, (double) f->pids) : 0;
        default:
                return f->has_memory ? metric(w, w->family, l, (double) f->oom_kills) : 0;
        }
}

static int running_procs(sup_node *n, unsigned depth, void *userdata) {
        size_t *k = userdata;

        (void) depth;
        for (size_t i = 0; i < n->n_procs; i++)
                *k += proc_running(&n->procs[i]);
        return 0;
}

/* airsupd's own figures from /proc/self. */
static void self_figures(double *fds, double *rss) {
        long size = 0, pages = 0;
        FILE *f = fopen("/proc/self/statm", "re");
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;

        *fds = 0;
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        (*fds)++;
        if (d)
                closedir(d);
        if (f && fscanf(f, "%ld %ld", &size, &pages) == 2)
                *rss = (double) pages * (double) sysconf(_SC_PAGESIZE);
        else
                *rss = 0;
        if (f)
                fclose(f);
}

/* Every sample into W (rows or text). */
static int metrics_collect(sup_control *c, metrics_walk *w) {
        size_t running = 0;
        double fds, rss;
        int r = 0;

        w->now = now_usec();
        for (w->family = 0; r >= 0 && w->family < ELEMENTSOF(metric_defs); w->family++) {
                w->mb_i = w->cg_i = 0;
                r = manager_walk(c->m, metrics_node, w);
        }
        free(w->mb);
        w->mb = NULL;
        w->mb_n = 0;
        free(w->cg);
        w->cg = NULL;
        w->cg_n = 0;
        (void) manager_walk(c->m, running_procs, &running);
        self_figures(&fds, &rss);
        if (r >= 0)
                r = sample(w, "airsupd_events_total", "counter", "Events airsupd emitted since it started", "",
                           (double) c->m->events.seq);
        if (r >= 0)
                r = sample(w, "airsupd_children", "gauge", "Supervised processes running now", "", (double) running);
        if (r >= 0)
                r = sample(w, "airsupd_open_fds", "gauge", "File descriptors airsupd holds", "", fds);
        if (r >= 0)
                r = sample(w, "airsupd_resident_memory_bytes", "gauge", "airsupd's resident memory", "", rss);
        if (r >= 0)
                r = sample(w, "airsupd_control_clients", "gauge", "Connections to the control socket", "",
                           (double) c->n_clients);
        if (r >= 0)
                r = sample(w, "airsupd_cgroups", "gauge", "1 when every group instance has a cgroup of its own", "",
                           c->m->cgroup ? 1 : 0);
        if (r >= 0)
                r = sample(w, "airsupd_group_polls_total", "counter",
                           "Times a process group was polled to learn it emptied (never with cgroups)", "",
                           (double) c->m->group_polls);
        if (r >= 0)
                r = sample(w, "airsupd_reloads_total", "counter", "Reloads of the configuration, by outcome",
                           "result=\"applied\"", (double) c->m->reloads_applied);
        if (r >= 0)
                r = sample(w, "airsupd_reloads_total", "counter", "Reloads of the configuration, by outcome",
                           "result=\"failed\"", (double) c->m->reloads_failed);
        return r;
}

int control_metrics_text(sup_control *c, char **ret, size_t *ret_len) {
        metrics_walk w = {};
        char *buf = NULL;
        size_t len = 0;
        int r;

        w.text = open_memstream(&buf, &len);
        if (!w.text)
                return -ENOMEM;
        r = metrics_collect(c, &w);
        if (fclose(w.text) != 0 || r < 0) {
                free(buf);
                return r < 0 ? r : -ENOMEM;
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

static int method_metrics(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        metrics_walk w = {};
        int r;

        (void) error;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', CONTROL_METRIC_ROW);
        w.reply = reply;
        if (r >= 0)
                r = metrics_collect(c, &w);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return control_send(c, reply);
}

static int method_subscribe(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        sd_bus *bus = sd_bus_message_get_bus(msg);

        (void) error;
        for (client *cl = c->clients; cl; cl = cl->next)
                if (cl->bus == bus)
                        cl->following = true;
        return sd_bus_reply_method_return(msg, "t", c->m->events.seq);
}

/* Every event to every follower, as the signal Event; a follower that
 * lets them pile up unread is dropped (client_check()), so that it can
 * never make airsupd wait or grow. */
static void on_event(const sup_event *e, void *userdata) {
        sup_control *c = userdata;

        for (client *cl = c->clients; cl; cl = cl->next) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *sig = NULL;

                if (!cl->following || cl->closed)
                        continue;
                if (sd_bus_message_new_signal(cl->bus, &sig, CONTROL_PATH, CONTROL_IFACE, "Event") < 0 ||
                    append_event(sig, e) < 0 || sd_bus_send(cl->bus, sig, NULL) < 0) {
                        client_cut(cl);
                        continue;
                }
                client_sent(cl, message_size(sig));
                (void) client_check(cl);
        }
}

/* The node NAME names, or an error reply; GROUP[i] only where ALLOW_PROC. */
static int lookup(sup_control *c, const char *name, sup_node **ret_node, sup_proc **ret_proc, sd_bus_error *error) {
        *ret_node = manager_find_node(c->m, name);
        *ret_proc = NULL;
        if (*ret_node)
                return 0;
        if (ret_proc && manager_find_proc(c->m, name, ret_proc) == 0)
                return 0;
        return sd_bus_error_setf(error, CONTROL_ERR_NO_SUCH_NODE, "No such group, instance or supervisor: %s", name);
}

static int method_verb(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
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

static int method_signal(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
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
        r = lookup(c, name, &n, &p, error);
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

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
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

static int method_shutdown(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        int r;

        (void) error;
        r = sd_bus_reply_method_return(msg, NULL);
        sup_log(&c->m->events, LOG_NOTICE, "control: shutdown");
        if (!c->m->shutting_down)
                manager_shutdown(c->m, 0);
        return r;
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Status", SD_BUS_ARGS("as", names),
                                SD_BUS_RESULT("a" CONTROL_STATUS_ROW, rows), method_status, 0),
        SD_BUS_METHOD_WITH_ARGS("Tree", SD_BUS_NO_ARGS, SD_BUS_RESULT("a" CONTROL_TREE_ROW, nodes), method_tree, 0),
        SD_BUS_METHOD_WITH_ARGS("Start", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_verb, 0),
        SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_verb, 0),
        SD_BUS_METHOD_WITH_ARGS("Restart", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_verb, 0),
        SD_BUS_METHOD_WITH_ARGS("Signal", SD_BUS_ARGS("s", name, "s", signal), SD_BUS_RESULT("u", signalled),
                                method_signal, 0),
        SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_ARGS("b", dry_run),
                                SD_BUS_RESULT("b", applied, "a" CONTROL_PLAN_ROW, plan, "at", counts, "t", usec), method_reload, 0),
        SD_BUS_METHOD_WITH_ARGS("Shutdown", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_shutdown, 0),
        SD_BUS_METHOD_WITH_ARGS("Events", SD_BUS_ARGS("u", max, "t", since_realtime_usec, "i", max_priority,
                                "s", node), SD_BUS_RESULT("a" CONTROL_EVENT_ROW, events), method_events, 0),
        SD_BUS_METHOD_WITH_ARGS("Outputs", SD_BUS_ARGS("s", name), SD_BUS_RESULT("a" CONTROL_OUTPUT_ROW, outputs),
                                method_outputs, 0),
        SD_BUS_METHOD_WITH_ARGS("Metrics", SD_BUS_NO_ARGS, SD_BUS_RESULT("a" CONTROL_METRIC_ROW, samples),
                                method_metrics, 0),
        SD_BUS_METHOD_WITH_ARGS("DeadLetters", SD_BUS_ARGS("s", name), SD_BUS_RESULT("a" CONTROL_DEAD_LETTER_ROW, letters),
                                method_dead_letters, 0),
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
                        if (proc_running(&n->procs[i]))
                                r = sd_bus_message_append(reply, "u", (uint32_t) n->procs[i].pid);
                return r < 0 ? r : sd_bus_message_close_container(reply);
        }
        if (strcmp(prop, "Restarts") == 0) {
                uint32_t k = 0;
                for (size_t i = 0; i < n->n_procs; i++)
                        k += n->procs[i].incarnation > 0 ? n->procs[i].incarnation - 1 : 0;
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

static void client_free(client *cl) {
        /* Never a flush: a client that stopped reading would block it. */
        sd_bus_close_unref(cl->bus);
        free(cl);
}

static int reap_clients(sd_event_source *s, void *userdata) {
        sup_control *c = userdata;

        (void) s;
        for (client **pp = &c->clients; *pp;) {
                client *cl = *pp;
                if (cl->closed || !sd_bus_is_open(cl->bus)) {
                        *pp = cl->next;
                        c->n_clients--;
                        c->unread -= cl->unread;
                        client_free(cl);
                } else
                        pp = &cl->next;
        }
        return 0;
}

/* The bytes of the reply sd-bus itself will make to MSG, at most, where
 * it can be large: introspection, properties and the object manager
 * grow with the tree.  0 for the calls answered here (measured when
 * sent) and the small ones. */
static uint64_t generated_reply_size(sup_control *c, sd_bus_message *msg) {
        const char *iface = sd_bus_message_get_interface(msg);

        if (!sd_bus_message_is_method_call(msg, NULL, NULL) || !iface || strcmp(iface, CONTROL_IFACE) == 0 ||
            strcmp(iface, "org.freedesktop.DBus") == 0 || strcmp(iface, "org.freedesktop.DBus.Peer") == 0)
                return 0;
        return 4096 + 512 * (uint64_t) c->m->cfg->n_nodes;
}

/* Every message a client sends, before it is dispatched: a client over
 * its bounds is not served (client_check()); the peer hung up (sd-bus
 * hands us its local Disconnected signal): freed from the reaper. */
static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        client *cl = userdata;
        uint64_t size;

        (void) error;
        if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected")) {
                client_cut(cl);
                return 0;
        }
        if (client_check(cl))
                return 1;       /* not dispatched */
        size = generated_reply_size(cl->control, m);
        if (size > 0)
                client_sent(cl, size);
        return 0;
}

static bool peer_allowed(sup_control *c, int fd, struct ucred *cred) {
        socklen_t len = sizeof(*cred);
        gid_t groups[256];
        socklen_t glen = sizeof(groups);

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0)
                return false;
        if (cred->uid == 0 || cred->uid == geteuid())
                return true;
        if (!c->have_group)
                return false;
        if (cred->gid == c->group)
                return true;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) < 0)
                return false;
        for (size_t i = 0; i < glen / sizeof(gid_t); i++)
                if (groups[i] == c->group)
                        return true;
        return false;
}

int control_serve_fd(sup_control *c, int fd_in) {
        _cleanup_close_ int fd = fd_in;
        struct ucred cred = {};
        client *cl;
        int r;

        if (!peer_allowed(c, fd, &cred)) {
                static const char refused[] = "airsupd: access denied\n";
                sup_event e = { .type = SUP_EVENT_CONTROL_REFUSED, .priority = LOG_WARNING, .node = "control",
                                .pid = cred.pid };
                snprintf(e.detail, sizeof(e.detail), "uid=%u reason=\"not root, airsupd's user or in control_group\"",
                         (unsigned) cred.uid);
                sup_events_emit(&c->m->events, &e);
                (void) !send(fd, refused, sizeof(refused) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
                return -EACCES;
        }
        if (c->n_clients >= CONTROL_CLIENTS_MAX) {
                sup_log(&c->m->events, LOG_WARNING, "control: %d clients already, refusing pid %d",
                        CONTROL_CLIENTS_MAX, (int) cred.pid);
                return -EUSERS;
        }
        /* Each client holds an fd for as long as it stays: none from the
         * reserve that stops need. */
        if (!fdlimit_reserve_full()) {
                sup_log(&c->m->events, LOG_WARNING, "control: out of file descriptors, refusing pid %d",
                        (int) cred.pid);
                return -EMFILE;
        }
        /* A client has no fds to pass: the kernel refuses them (6.16 and
         * later), and sd-bus does not offer to take them, so that none
         * is ever closed in the loop. */
        (void) fds_refuse(fd);
        cl = calloc(1, sizeof(client));
        if (!cl)
                return -ENOMEM;
        cl->control = c;
        cl->pid = cred.pid;
        r = sd_bus_new(&cl->bus);
        if (r >= 0)
                r = sd_bus_set_fd(cl->bus, fd, fd);
        if (r >= 0) {
                fd = -EBADF;            /* the bus owns it */
                r = sd_bus_set_server(cl->bus, 1, c->id);
        }
        if (r >= 0)
                r = sd_bus_set_anonymous(cl->bus, 1);
        /* peer_allowed() decided: sd-bus is not to refuse the methods to
         * members of control_group (it would, lacking CAP_SYS_ADMIN or
         * airsupd's uid). */
        if (r >= 0)
                r = sd_bus_set_trusted(cl->bus, 1);
        if (r >= 0)
                r = sd_bus_negotiate_fds(cl->bus, 0);
        if (r >= 0)
                r = sd_bus_add_object_vtable(cl->bus, NULL, CONTROL_PATH, CONTROL_IFACE, manager_vtable, c);
        if (r >= 0)
                r = sd_bus_add_object_vtable(cl->bus, NULL, "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                             daemon_vtable, c);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(cl->bus, NULL, CONTROL_NODE_PREFIX, CONTROL_NODE_IFACE, node_vtable,
                                               node_find, c);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(cl->bus, NULL, CONTROL_NODE_PREFIX, node_enumerate, c);
        if (r >= 0)
                r = sd_bus_add_object_manager(cl->bus, NULL, CONTROL_PATH);
        if (r >= 0)
                r = sd_bus_add_filter(cl->bus, NULL, on_message, cl);
        if (r >= 0)
                /* Ahead of the tree's own events: an operator's status or
                 * stop must not wait behind a crash loop of 1000 groups. */
                r = sd_bus_attach_event(cl->bus, c->m->event, SD_EVENT_PRIORITY_IMPORTANT);
        if (r >= 0)
                r = sd_bus_start(cl->bus);
        /* A small kernel buffer (sd_bus_start() made it 8 MB): what a
         * client does not read piles up in the queue that client_check()
         * counts, not unseen in the kernel. */
        if (r >= 0)
                (void) setsockopt(sd_bus_get_fd(cl->bus), SOL_SOCKET, SO_SNDBUF, &(int) { CONTROL_SNDBUF },
                                  sizeof(int));
        if (r < 0) {
                sup_log(&c->m->events, LOG_WARNING, "control: cannot serve pid %d: %s", (int) cred.pid, strerror(-r));
                client_free(cl);
                return r;
        }
        cl->next = c->clients;
        c->clients = cl;
        c->n_clients++;
        return 0;
}

static int on_listen_again(sd_event_source *s, uint64_t usec, void *userdata) {
        sup_control *c = userdata;

        (void) usec;
        (void) sd_event_source_set_enabled(c->source, SD_EVENT_ON);
        sd_event_source_unref(s);
        return 0;
}

static int on_connection(sd_event_source *s, int lfd, uint32_t revents, void *userdata) {
        sup_control *c = userdata;
        int fd;

        (void) revents;
        fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
                /* Out of fds, the connection stays queued and the socket
                 * readable: left there, this source would run again at
                 * once, for ever, ahead of the tree.  Taken with an fd
                 * from the reserve and closed, it is refused; with the
                 * reserve empty too, the socket is not looked at for
                 * 100 ms (a timer needs no fd). */
                if (fdlimit_reserve_lend()) {
                        fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                        if (fd >= 0)
                                sup_log(&c->m->events, LOG_WARNING,
                                        "control: out of file descriptors, a client refused");
                        safe_close(fd);
                } else if (sd_event_source_set_enabled(s, SD_EVENT_OFF) >= 0 &&
                           sd_event_add_time_relative(c->m->event, NULL, CLOCK_MONOTONIC, 100 * USEC_PER_MSEC,
                                                      0, on_listen_again, c) < 0)
                        (void) sd_event_source_set_enabled(s, SD_EVENT_ON);
                return 0;
        }
        if (fd >= 0)
                (void) control_serve_fd(c, fd);
        return 0;
}

int control_default_path(char *buf, size_t size) {
        const char *runtime = getenv("XDG_RUNTIME_DIR");
        int n;

        if (geteuid() == 0)
                n = snprintf(buf, size, "/run/airsup/control");
        else if (runtime && runtime[0] == '/')
                n = snprintf(buf, size, "%s/airsup/control", runtime);
        else
                n = snprintf(buf, size, "/tmp/airsup-%u/control", (unsigned) geteuid());
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

/* Whether an airsupd answers on the socket at SA. */
static bool socket_live(const struct sockaddr_un *sa) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        return fd >= 0 && connect(fd, (const struct sockaddr *) sa, sizeof(*sa)) == 0;
}

int control_new(sup_manager *m, const char *group, sup_control **ret, char *err, size_t err_size) {
        _cleanup_(control_freep) sup_control *c = calloc(1, sizeof(sup_control));
        int r;

        if (!c)
                return -ENOMEM;
        c->m = m;
        c->fd = -EBADF;
        c->subscription = -1;
        if (group) {
                struct group *g = getgrnam(group);
                if (!g) {
                        snprintf(err, err_size, "control_group: no such group '%s'", group);
                        return -ESRCH;
                }
                c->group = g->gr_gid;
                c->have_group = true;
        }
        r = sd_id128_randomize(&c->id);
        if (r >= 0)
                r = sd_event_add_defer(m->event, &c->reap, reap_clients, c);
        /* Ahead of the clients themselves: what a client cut off had
         * queued is freed before any other client is served, not once
         * a flood of calls has been answered (its bytes no longer count
         * against the bounds, so they must not linger). */
        if (r >= 0)
                r = sd_event_source_set_priority(c->reap, SD_EVENT_PRIORITY_IMPORTANT - 1);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->reap, SD_EVENT_OFF);
        if (r >= 0)
                r = c->subscription = sup_events_subscribe(&m->events, on_event, c);
        if (r < 0) {
                snprintf(err, err_size, "cannot set up the control socket: %s", strerror(-r));
                return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

/* The socket's directory, DIR: made where missing, trusted (see
 * state_mkdir_trusted()) or refused.  With a control group its members
 * must reach the socket: a directory made by airsupd (here, or above
 * the state directory) is 0750 and the group's, and so is the default
 * one, airsupd's own, when an older airsupd left it 0700; anything else
 * is the operator's, left as it is, with a warning if members cannot
 * pass it. */
static int control_dir(sup_control *c, const char *dir, const char *group, char *err, size_t err_size) {
        char dflt[sizeof(c->path)], *slash, why[PATH_MAX + 128];
        struct stat st;
        bool made = false;
        int r;

        r = state_mkdir_trusted(dir, group ? 0750 : 0700, group, &made, why, sizeof(why));
        if (r < 0) {
                snprintf(err, err_size, "the control socket's directory: %s", why);
                return r;
        }
        if (!group || stat(dir, &st) < 0)
                return 0;
        if (!made && control_default_path(dflt, sizeof(dflt)) >= 0 && (slash = strrchr(dflt, '/')) &&
            (*slash = '\0', strcmp(dflt, dir) == 0) && st.st_uid == geteuid() && (st.st_mode & 07777) == 0700 &&
            chown(dir, (uid_t) -1, c->group) == 0 && chmod(dir, 0750) == 0)
                st.st_gid = c->group, st.st_mode = (st.st_mode & ~07777) | 0750;
        if (!(st.st_mode & S_IXOTH) && !(st.st_gid == c->group && (st.st_mode & S_IXGRP)))
                sup_log(&c->m->events, LOG_WARNING, "control_group: members of %s cannot reach the control socket: "
                        "%s is mode %04o, group %u", group, dir, (unsigned) (st.st_mode & 07777),
                        (unsigned) st.st_gid);
        return 0;
}

int control_open(sup_manager *m, const char *path, const char *group, sup_control **ret, char *err, size_t err_size) {
        _cleanup_(control_freep) sup_control *c = NULL;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char dir[sizeof(sa.sun_path)], *slash;
        mode_t mode = group ? 0660 : 0600;
        int r;

        if (strlen(path) >= sizeof(sa.sun_path)) {
                snprintf(err, err_size, "control socket path too long: %s", path);
                return -ENAMETOOLONG;
        }
        r = control_new(m, group, &c, err, err_size);
        if (r < 0)
                return r;
        strcpy(sa.sun_path, path);
        strcpy(c->path, path);
        /* Its directory, made absolute for the check. */
        if (path[0] == '/')
                snprintf(dir, sizeof(dir), "%s", path);
        else if (!getcwd(dir, sizeof(dir)) || strlen(dir) + 1 + strlen(path) >= sizeof(dir)) {
                snprintf(err, err_size, "control socket path too long: %s", path);
                return -ENAMETOOLONG;
        } else
                strcat(strcat(dir, "/"), path);
        slash = strrchr(dir, '/');
        *slash = '\0';
        r = control_dir(c, dir[0] ? dir : "/", group, err, err_size);
        if (r < 0)
                return r;
        if (socket_live(&sa)) {
                snprintf(err, err_size, "another airsupd answers on %s", path);
                return -EADDRINUSE;
        }
        (void) unlink(path);            /* stale: its airsupd is gone */
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (c->fd < 0)
                return -errno;
        {
                mode_t old = umask(0777 & ~mode);
                r = bind(c->fd, (struct sockaddr *) &sa, sizeof(sa));
                umask(old);
        }
        if (r < 0 || (group && chown(path, (uid_t) -1, c->group) < 0) || chmod(path, mode) < 0 ||
            listen(c->fd, SOMAXCONN) < 0) {
                r = -errno;
                snprintf(err, err_size, "cannot create the control socket %s: %s", path, strerror(-r));
                c->fd = safe_close(c->fd);
                return r;
        }
        r = sd_event_add_io(m->event, &c->source, c->fd, EPOLLIN, on_connection, c);
        if (r >= 0)
                r = sd_event_source_set_priority(c->source, SD_EVENT_PRIORITY_IMPORTANT);
        if (r < 0) {
                snprintf(err, err_size, "cannot watch the control socket: %s", strerror(-r));
                return r;               /* control_free() closes and unlinks it */
        }
        *ret = TAKE_PTR(c);
        return 0;
}

sup_control *control_free(sup_control *c) {
        if (!c)
                return NULL;
        if (c->subscription >= 0)
                sup_events_unsubscribe(&c->m->events, c->subscription);
        while (c->clients) {
                client *cl = c->clients;
                c->clients = cl->next;
                client_free(cl);
        }
        c->reap = sd_event_source_disable_unref(c->reap);
        c->source = sd_event_source_disable_unref(c->source);
        if (c->fd >= 0) {
                safe_close(c->fd);
                (void) unlink(c->path);
        }
        free(c);
        return NULL;
}
