/* control-internal.h - the control server's types, which its files share
 * and no one else; no .c of its own.  The files call each other one way:
 * control.c (the socket, admission, the clients' life) on top, then
 * control-methods.c (the objects, their method table, the queries),
 * which serves control-verbs.c (the operator's verbs),
 * control-messages.c (airsupctl's messages) and control-events.c (the
 * event log and its followers), then at the bottom
 * control-reply.c (replies sent and counted against a client's bounds)
 * and control-lookup.c (names looked up in the tree).  Each declares what
 * it offers in its own header; none includes the header of a file above
 * it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>

#include "supervisor/core/manager.h"
#include "supervisor/operator/metrics.h"

#define CONTROL_CLIENTS_MAX 1024
/* Unread bytes behind the message a client is reading (one reply of any
 * size is always delivered: a status of a large tree, a long history),
 * and unread messages; then all clients together.  The kernel holds at
 * most 2 * CONTROL_SNDBUF more per client, outside airsupd. */
#define CONTROL_WQUEUE_MAX (1024 * 1024)
#define CONTROL_QUEUE_MAX 256
#define CONTROL_WQUEUE_TOTAL_MAX (16 * 1024 * 1024)
#define CONTROL_SNDBUF (32 * 1024)     /* the kernel doubles it */

/* Also control.h's: the one type the rest of airsupd sees, opaque. */
typedef struct sup_control sup_control;
/* A verb waiting to be done (control-verbs.c's). */
typedef struct control_wait control_wait;
/* A request or subscription of a client's (control-messages.c's). */
typedef struct control_msg control_msg;

typedef struct client {
        sup_control *control;
        sd_bus *bus;
        struct client *next;
        bool closed;
        bool following;                 /* Subscribe()d: gets every event as a signal */
        /* Who connected, from SO_PEERCRED at admission: what
         * peer_allowed() checked, and what an operator's act is
         * recorded under.  The pid is 0 for a client in a PID namespace
         * airsupd cannot see (the host, when airsupd is a container's
         * PID 1); the uid is always there. */
        pid_t pid;
        uid_t uid;
        /* The sizes of the last messages sent to it, oldest first from
         * sent_next (a ring): those still queued are the last of them. */
        uint32_t sent[CONTROL_QUEUE_MAX];
        unsigned sent_next;
        uint64_t unread;                /* bytes still queued, as last counted ... */
        uint64_t behind;                /* ... and of them, behind the one it reads */
        uint64_t waiting_since;         /* CLOCK_MONOTONIC usec its queue was last seen empty; 0: it is */
        control_wait *waits;            /* its verbs not done yet */
        unsigned n_waits;
        control_msg *msgs;              /* its requests waiting, subjects followed */
        unsigned n_msgs;
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
        /* The last client refused: airsupctl connects again to read why,
         * and that second connection is the same refusal, not a new one. */
        pid_t refused_pid;
        uid_t refused_uid;
        uint64_t refused_usec;          /* CLOCK_MONOTONIC */
        /* What Metrics and the HTTP endpoint read: the tree, and the
         * count of clients (control.c's, set once by control_new()). */
        metrics_source metrics;
};
