/* cfg.h - the deployment description: what airsup.conf(5) says, parsed and
 * validated, with no processes involved.
 *
 * cfg_load() turns a file into a struct cfg whose nodes form a tree under the
 * implicit root supervisor (nodes[0]).  Every semantic error is reported as
 * "FILE:LINE: message".  The cfg_parse_*() helpers are pure functions over
 * strings, shared with unit tests. */
#pragma once

#include <sys/socket.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/policy.h"
#include "supervisor/config/cfg-keys.h"

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

typedef struct cfg_node {
        char *name;
        bool supervisor;
        unsigned line;                  /* line of the section header, 0 for an implicit root */
        char *parent_name;
        unsigned parent_line;
        uint64_t log_max;               /* bytes; 0: never rotated */
        unsigned log_keep;
        unsigned command_line, health_line, workdir_line, out_line, err_line;   /* for --check */
        int parent;                     /* index in cfg.nodes, -1 for the root */
        unsigned depth;                 /* levels below the root: 0 for the root, 1 for its children */

        cfg_restart restart;

        /* [supervisor:NAME] */
        cfg_strategy strategy;
        unsigned intensity;
        uint64_t period_usec;

        /* [group:NAME] */
        char *command;                  /* as written, continuation lines joined by a space */
        char **argv;
        uint64_t shutdown_usec;
        cfg_shutdown shutdown;
        int stop_signal;
        uint64_t backoff_usec;
        uint64_t backoff_max_usec;
        cfg_ready ready;
        uint64_t ready_usec;
        uint64_t start_timeout_usec;
        unsigned instances;
        uint64_t mailbox;               /* bytes of each inbound lane */
        unsigned message_max;
        unsigned redeliver;
        cfg_health health;
        char *health_command;
        char **health_argv;
        uint64_t health_interval_usec;
        uint64_t health_timeout_usec;
        unsigned health_threshold;
        uint64_t health_grace_usec;     /* after readiness, before the first probe */
        char *user;
        char *workdir;
        char *environment;              /* as written */
        char **env;                     /* NAME=VALUE entries */
        cfg_output out;                 /* stdout */
        char *out_path;
        cfg_output err;                 /* stderr; defaults to what stdout is */
        char *err_path;
        cfg_limit limits[_CFG_LIMIT_MAX];
} cfg_node;

typedef struct cfg {
        char *path;
        char *control;                  /* NULL: the built-in default */
        unsigned control_line;
        char *control_group;
        char *state_dir;                /* NULL: state_dir_default() */
        char *metrics_listen;           /* HOST:PORT of GET /metrics, NULL: none */
        unsigned events;
        unsigned dead_letters;          /* dead letters kept for airsupctl */
        cfg_cgroup cgroup;
        unsigned cgroup_line;
        cfg_node *nodes;                /* nodes[CFG_ROOT] is the root supervisor */
        size_t n_nodes;
        int32_t *by_name;               /* open-addressing index of nodes by name, -1 empty */
        size_t by_name_cap;             /* a power of two, at least twice n_nodes */
} cfg;

/* Loads and validates PATH.  On failure returns -EINVAL (or another -errno
 * when the file cannot be read) and writes one "FILE:LINE: message" line per
 * error to ERR (which may be NULL). */
int cfg_load(const char *path, FILE *err, cfg **ret);
cfg *cfg_free(cfg *c);
static inline void cfg_freep(cfg **c) { *c = cfg_free(*c); }

/* Index of the node called NAME, or -ENOENT. */
int cfg_find(const cfg *c, const char *name);

/* Pure value parsers; all return 0 or -EINVAL/-ERANGE and leave ret_*
 * untouched on failure. */
/* The longest duration any key takes: 366 days.  Longer is an error, not
 * a wrap-around; "infinity" is spelled out where a key allows it. */
#define CFG_DURATION_MAX_USEC (UINT64_C(366) * 24 * 3600 * 1000000)
int cfg_parse_duration(const char *s, uint64_t *ret_usec);
int cfg_parse_unsigned(const char *s, unsigned min, unsigned max, unsigned *ret);
/* Bytes: a number, with K, M or G (powers of 1024) after it; at most 1024G. */
int cfg_parse_size(const char *s, uint64_t *ret);
int cfg_parse_signal(const char *s, int *ret_signo);
/* A process's name as the control socket takes it: "GROUP" (0) or
 * "GROUP[i]" (1, *RET_INDEX = i), the group's name into GROUP. */
int cfg_parse_instance_name(const char *s, char *group, size_t size, unsigned *ret_index);
/* "127.0.0.1:9464" or "[::1]:9464", for metrics_listen. */
struct sockaddr_storage;
int cfg_parse_listen(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len);
/* What a value's specifiers stand for in one process of a group. */
typedef struct cfg_instance {
        unsigned instance;              /* %i: 0, 1, ... */
        const char *name;               /* %n: "web[1]", or "web" for a group of one */
        const char *group;              /* %g: "web" */
} cfg_instance;

/* Whether every '%' in S starts %i, %n, %g or %%; else *RET_BAD is the
 * letter after it. */
int cfg_check_specifiers(const char *s, char *ret_bad);
/* S with its specifiers replaced, newly allocated. */
int cfg_expand(const char *s, const cfg_instance *in, char **ret);
/* What --check verifies beyond the syntax (verify.c): errors, printed as
 * FILE:LINE, are returned; warnings are printed and counted. */
unsigned cfg_verify(const cfg *c, FILE *err, unsigned *ret_warnings);
int cfg_split_argv(const char *s, char ***ret_argv);
int cfg_parse_environment(const char *s, char ***ret_env);
int cfg_parse_name(const char *s);
/* A limit's value: "512M", "50%", "infinity", a count or a weight, as
 * KIND takes it (airsup.conf(5)). */
int cfg_parse_limit(cfg_limit_kind kind, const char *s, cfg_limit *ret);
/* A limit's key: "memory_max", ... */
const char *cfg_limit_kind_to_string(cfg_limit_kind k);
cfg_cgroup cfg_cgroup_from_string(const char *s);
const char *cfg_cgroup_to_string(cfg_cgroup c);

cfg_strategy cfg_strategy_from_string(const char *s);
const char *cfg_strategy_to_string(cfg_strategy s);
cfg_restart cfg_restart_from_string(const char *s);
const char *cfg_restart_to_string(cfg_restart r);
cfg_health cfg_health_from_string(const char *s);
const char *cfg_health_to_string(cfg_health h);
const char *cfg_signal_to_string(int signo);
/* The words of the values: "brutal_kill" and "infinity" (a duration has
 * none); "none" and "notify" (nor has a delay); "inherit", "null",
 * "journal", "file", "log" (written file:PATH and log:PATH), "console". */
cfg_shutdown cfg_shutdown_from_string(const char *s);
const char *cfg_shutdown_to_string(cfg_shutdown s);
cfg_ready cfg_ready_from_string(const char *s);
const char *cfg_ready_to_string(cfg_ready r);
cfg_output cfg_output_from_string(const char *s);
const char *cfg_output_to_string(cfg_output o);

/* The keys (cfg-keys.h): a key's name, the name a reload plan shows for
 * it ("limits" for memory_max, ...), the sections it is valid in
 * (CFG_IN_*, 0 for the rows that are no key of the file), what a reload
 * does when it changes, and how a live node takes it in place.
 * cfg_key_from_string() knows only the keys of the file. */
const char *cfg_key_to_string(cfg_key k);
cfg_key cfg_key_from_string(const char *name);
const char *cfg_key_shown(cfg_key k);
unsigned cfg_key_sections(cfg_key k);
cfg_reload cfg_key_reload(cfg_key k);
cfg_apply cfg_key_apply(cfg_key k);

/* Two configurations compared key by key, as the rows say: the keys
 * (CFG_KEY_BIT() each) whose values differ between nodes A and B (of
 * one kind, supervisor or group; the parent left out: a plan sees a move
 * by the parents themselves), with ready_delay and watchdog where those
 * changed; and the [airsupd] keys that differ between A and B. */
uint64_t cfg_node_diff(const cfg_node *a, const cfg_node *b);
uint64_t cfg_airsupd_diff(const cfg *a, const cfg *b);
/* Whether KEYS hold one whose change restarts a group. */
bool cfg_keys_restart(uint64_t keys);

/* The live reconfiguration.  A live node's settings are the cfg_node it
 * points to; a reload gives it the cfg_node of the new file.  When WAS
 * and NOW differ only in keys that apply in place (no
 * cfg_keys_restart(cfg_node_diff(WAS, NOW)), or the group is down), the
 * node takes NOW as its settings and then does, for each bit
 * (1u << cfg_apply) this returns, what that bit says: resize the
 * intensity window (CFG_APPLY_WINDOW), start each ready process's
 * probing again (CFG_APPLY_PROBES), give each process's log sinks the
 * new rotation (CFG_APPLY_ROTATION), write the limits to each running
 * instance's cgroup (CFG_APPLY_LIMITS).  CFG_APPLY_AT_USE needs nothing:
 * the value is read where it is next used (backoff, shutdown, ...).  A
 * key's row says which bit it sets; a new in-place key is one row. */
unsigned cfg_node_apply(const cfg_node *was, const cfg_node *now);
