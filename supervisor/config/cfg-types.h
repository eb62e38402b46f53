/* cfg-types.h - what a loaded configuration is made of: the struct cfg
 * and its nodes, the enums of their values, the limits of a file.  Types
 * only, with no .c of its own: the loader's parts (cfg.c, cfg-read.c,
 * cfg-keys.c, cfg-load.c) and the value parsers (cfg-value.c) all build
 * on it, and cfg.h includes it for everyone else. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/policy.h"

/* cfg_strategy and cfg_restart: common/policy.h. */

typedef enum cfg_shutdown {
        CFG_SHUTDOWN_TIMEOUT,           /* stop_signal, SIGKILL after shutdown_usec */
        CFG_SHUTDOWN_BRUTAL_KILL,       /* SIGKILL at once */
        CFG_SHUTDOWN_INFINITY,          /* stop_signal, wait for ever */
        _CFG_SHUTDOWN_MAX,
        _CFG_SHUTDOWN_INVALID = -EINVAL,
} cfg_shutdown;

typedef enum cfg_ready {
        CFG_READY_NONE,                 /* ready once exec succeeded */
        CFG_READY_NOTIFY,               /* ready on READY=1 */
        CFG_READY_DELAY,                /* ready after surviving ready_usec */
        _CFG_READY_MAX,
        _CFG_READY_INVALID = -EINVAL,
} cfg_ready;

/* How a sender's messages to a pool pick an instance: once per lookup
 * (each lookup the next instance, as before), or per message. */
typedef enum cfg_route {
        CFG_ROUTE_LOOKUP,
        CFG_ROUTE_ROUND_ROBIN,
        CFG_ROUTE_LEAST_LOADED,
        CFG_ROUTE_HASH,
        CFG_ROUTE_BROADCAST,
        _CFG_ROUTE_MAX,
        _CFG_ROUTE_INVALID = -EINVAL,
} cfg_route;   /* the values of chan_route (common/channel.h), which carries it */

/* What airsupctl's messages come from (a name no node may have). */
#define CFG_CTL_SENDER "airsupctl"

typedef enum cfg_health {
        CFG_HEALTH_NONE,
        CFG_HEALTH_HEARTBEAT,
        CFG_HEALTH_PING,
        CFG_HEALTH_WATCHDOG,
        CFG_HEALTH_EXEC,
        _CFG_HEALTH_MAX,
        _CFG_HEALTH_INVALID = -EINVAL,
} cfg_health;

typedef enum cfg_output {
        CFG_OUTPUT_INHERIT,
        CFG_OUTPUT_NULL,
        CFG_OUTPUT_JOURNAL,
        CFG_OUTPUT_FILE,
        CFG_OUTPUT_LOG,                 /* log:PATH, airsupd writes, rotates */
        CFG_OUTPUT_CONSOLE,             /* airsupd's stderr, "NAME | " before each line */
        _CFG_OUTPUT_MAX,
        _CFG_OUTPUT_INVALID = -EINVAL,
} cfg_output;

typedef enum cfg_cgroup {
        CFG_CGROUP_AUTO,                /* a cgroup per instance where the kernel lets us, else process groups */
        CFG_CGROUP_OFF,
        CFG_CGROUP_REQUIRED,            /* no cgroups: airsupd does not start */
        _CFG_CGROUP_MAX,
        _CFG_CGROUP_INVALID = -EINVAL,
} cfg_cgroup;

/* The resource limits of a group, each written to a file of every
 * instance's cgroup (cgroup.c) where its controller is enabled. */
typedef enum cfg_limit_kind {
        CFG_LIMIT_MEMORY_MAX,
        CFG_LIMIT_MEMORY_HIGH,
        CFG_LIMIT_PIDS_MAX,
        CFG_LIMIT_CPU_WEIGHT,
        CFG_LIMIT_CPU_MAX,
        CFG_LIMIT_IO_WEIGHT,
        _CFG_LIMIT_MAX,
} cfg_limit_kind;

typedef struct cfg_limit {
        bool set;
        bool infinity;
        bool percent;                   /* value is hundredths of a percent (of RAM, or of one CPU) */
        uint64_t value;                 /* bytes, a count or a weight */
        unsigned line;
} cfg_limit;

#define CFG_ROOT 0                      /* index of the implicit root supervisor */

/* What a file may describe, so that loading it (at start, --check, every
 * reload, in the event loop) takes bounded time and memory, and so that
 * what walks the tree recursively (sup.c, reload.c) has a bounded stack.
 * Levels: the root is level 0, what it supervises level 1, and so on; a
 * node deeper than CFG_DEPTH_MAX is an error at its parent = line.  OTP
 * trees are a few levels deep; 32 levels of 64-byte names still make a
 * cgroup path (one directory per supervisor, cgroup.c) well inside
 * PATH_MAX.  CFG_NODES_MAX counts supervisors and groups (not instances):
 * at about five fds per group, more could not run under the kernel's
 * fs.nr_open anyway. */
#define CFG_DEPTH_MAX 32u
#define CFG_NODES_MAX 100000u
/* Subject patterns a group's subscribe = lists: a group that needs more
 * is better served by a wildcard, and the interest table stays at
 * CFG_NODES_MAX * CFG_SUBSCRIBE_MAX patterns from the file at most. */
#define CFG_SUBSCRIBE_MAX 64u

/* A list of subject patterns as a key gives it. */
typedef struct cfg_patterns {
        char *joined;                   /* joined by single spaces (what a reload compares); NULL: none */
        char **list;                    /* the same one by one, NULL-terminated */
        unsigned n, line;
} cfg_patterns;

/* The keys few groups set: a bridge's NATS settings and the resource
 * limits, 288 bytes that every node held inline (about a third of what a
 * group's configuration cost, issue 30).  A node has this struct only
 * once one of them is set; cfg_node_extra() gives the defaults (every
 * field 0) where none is. */
typedef struct cfg_extra {
        cfg_limit limits[_CFG_LIMIT_MAX];
        /* A bridge to NATS (airsup-nats(8)): its servers, credentials,
         * and the subjects it exports and imports, [0] core NATS, [1]
         * JetStream.  What it exports is a durable subscription too. */
        char *nats;
        char *nats_credentials;
        char *nats_tls[3];              /* nats_tls_ca, nats_tls_cert, nats_tls_key: files for libnats */
        cfg_patterns nats_export[2], nats_import[2];
        unsigned nats_credentials_line;
        unsigned nats_tls_key_line;
} cfg_extra;

/* Fields grouped by size within each part, so that no padding goes
 * between them: a node per group and supervisor. */
typedef struct cfg_node {
        char *name;
        char *parent_name;              /* as written, until the load links the node to it (then NULL) */
        unsigned line;                  /* line of the section header, 0 for an implicit root */
        unsigned parent_line;
        int parent;                     /* index in cfg.nodes, -1 for the root */
        unsigned depth;                 /* levels below the root: 0 for the root, 1 for its children */
        unsigned command_line, health_line, workdir_line, out_line, err_line;   /* for --check */
        cfg_restart restart;
        bool supervisor;
        bool subscribe_all;             /* a pool: every instance gets each message, not one */
        uint64_t log_max;               /* bytes; 0: never rotated */
        unsigned log_keep;

        /* [supervisor:NAME] */
        cfg_strategy strategy;
        uint64_t period_usec;
        unsigned intensity;

        /* [group:NAME] */
        cfg_shutdown shutdown;
        char *command;                  /* as written, continuation lines joined by a space */
        char **argv;
        uint64_t shutdown_usec;
        uint64_t backoff_usec;
        uint64_t backoff_max_usec;
        uint64_t ready_usec;
        uint64_t start_timeout_usec;
        uint64_t mailbox;               /* bytes of each inbound lane */
        int stop_signal;
        cfg_ready ready;
        unsigned instances;
        unsigned message_max;
        unsigned redeliver;
        cfg_health health;
        char *health_command;
        char **health_argv;
        uint64_t health_interval_usec;
        uint64_t health_timeout_usec;
        uint64_t health_grace_usec;     /* after readiness, before the first probe */
        unsigned health_threshold;
        cfg_output out;                 /* stdout */
        char *user;
        char *workdir;
        char *environment;              /* as written */
        char **env;                     /* NAME=VALUE entries */
        char *out_path;
        char *err_path;
        cfg_output err;                 /* stderr; defaults to what stdout is */
        cfg_route route;
        cfg_patterns subscribe;         /* durable subscriptions */
        cfg_extra *extra;               /* NULL: none of its keys set (cfg_node_extra()) */
} cfg_node;

/* N's rarely set keys (cfg_extra): its own, or their defaults. */
static inline const cfg_extra *cfg_node_extra(const cfg_node *n) {
        static const cfg_extra none;

        return n->extra ?: &none;
}

typedef struct cfg {
        char *path;
        char *control;                  /* NULL: the built-in default */
        unsigned control_line;
        char *control_group;
        char *state_dir;                /* NULL: state_dir_default() */
        char *metrics_listen;           /* HOST:PORT of GET /metrics, NULL: none */
        unsigned events;
        unsigned dead_letters;          /* dead letters kept for airsupctl */
        int nice;                       /* airsupd's own (and its session's autogroup's); 0: as started */
        cfg_cgroup cgroup;
        unsigned cgroup_line;
        cfg_node *nodes;                /* nodes[CFG_ROOT] is the root supervisor */
        size_t n_nodes;
        int32_t *by_name;               /* open-addressing index of nodes by name, -1 empty */
        size_t by_name_cap;             /* a power of two, at least twice n_nodes */
} cfg;
