/* control-internal.h - what the control server's files share, and no one
 * else: control.c (the socket, the connections and their bounds),
 * control-methods.c (the objects and the queries), control-verbs.c (the
 * operator's verbs), control-events.c (the event log and its followers). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>

#include "supervisor/core/event.h"
#include "supervisor/core/manager.h"
#include "supervisor/operator/control.h"

#define CONTROL_CLIENTS_MAX 1024
/* Unread bytes behind the message a client is reading (one reply of any
 * size is always delivered: a status of a large tree, a long history),
 * and unread messages; then all clients together.  The kernel holds at
 * most 2 * CONTROL_SNDBUF more per client, outside airsupd. */
#define CONTROL_WQUEUE_MAX (1024 * 1024)
#define CONTROL_QUEUE_MAX 256
#define CONTROL_WQUEUE_TOTAL_MAX (16 * 1024 * 1024)
#define CONTROL_SNDBUF (32 * 1024)     /* the kernel doubles it */
/* Stop, Start and Restart calls waiting to be done, per client and in
 * all (control-verbs.c). */
#define CONTROL_WAITS_MAX 16u
#define CONTROL_WAITS_TOTAL_MAX 1024u

typedef struct control_wait control_wait;

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
        control_wait *waits;            /* its verbs not done yet */
        unsigned n_waits;
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
        sd_event_source *settle;        /* looks at the waiting verbs once things moved */
        size_t n_waits;                 /* all clients' */
};

/* control.c: the client a bus is; a message sent to CL counted against
 * its bounds (and CL cut past them); CL disconnected (freed later, by
 * the reaper); REPLY, made by a method, sent and counted. */
client *client_of(sup_control *c, sd_bus *bus);
void client_count_sent(client *cl, sd_bus_message *m);
void client_cut(client *cl);
int control_send(sup_control *c, sd_bus_message *reply);
/* A method's reply that is an array of ROW: begun (the array open), and
 * ended (closed, sent and counted). */
int reply_array_new(sd_bus_message *msg, const char *row, sd_bus_message **ret);
int reply_array_send(sup_control *c, sd_bus_message *reply);

/* control-methods.c: the objects every connection serves. */
int control_add_objects(sup_control *c, sd_bus *bus);
/* The node or instance NAME names (*RET_NODE, else *RET_PROC), or the
 * error NoSuchNode; read_target(): the same for a method's first
 * argument. */
int control_lookup(sup_control *c, const char *name, sup_node **ret_node, sup_proc **ret_proc, sd_bus_error *error);
int read_target(sd_bus_message *msg, sup_control *c, const char **ret_name, sup_node **ret_node, sup_proc **ret_proc,
                sd_bus_error *error);
/* Whether N is TOP or below it. */
bool node_below(const sup_node *n, const sup_node *top);

/* control-events.c: Events, Subscribe, and every event to the followers
 * (the event log's subscriber); whether the node or instance WHO is NODE
 * or below it ("" takes all). */
int method_events(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_subscribe(sd_bus_message *msg, void *userdata, sd_bus_error *error);
void control_on_event(const sup_event *e, void *userdata);
bool name_below(sup_control *c, const char *who, const char *node);

/* control-verbs.c: the operator's verbs; the settle source's callback,
 * which replies to the waiting verbs that are done; a client's waiting
 * verbs dropped with it, unanswered. */
int control_settle(sd_event_source *s, void *userdata);
void control_waits_drop(client *cl);
int method_verb(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_signal(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_shutdown(sd_bus_message *msg, void *userdata, sd_bus_error *error);
