/* cfg-keys.h - every key of airsup.conf(5), one row each (STYLE rule 18).
 *
 * A row says all there is to say about a key: its name, the sections it
 * is valid in, what a reload does when it changes, the parser that turns
 * its text into its field, the field (an offset into cfg_node, into its
 * cfg_extra for the keys few groups set, or into cfg for [airsupd]) and
 * its default.  From the rows come the key look-up
 * and the defaults of the loader (cfg-keys.c), the comparison of two
 * configurations and so the reload plan (reload-plan.c), and what a live
 * node must do to take a change in place (cfg_node_apply()).  A new key
 * is one row here, its parser if none fits, its field in cfg-types.h and its
 * paragraph in airsup.conf(5); an [airsupd] key also a line in reload.c's
 * keep_daemon_keys(), which keeps those as airsupd started with them.
 *
 * A few rows have no section: they are not keys of the file but changes
 * a reload plan names that no single key makes (the order of a
 * supervisor's children; ready's delay alone; the watchdog a child reads
 * from its environment).  They sit where a plan lists them.
 *
 * The columns after the field are designated initializers of the row
 * (cfg-load.h): .def, .min/.max, .from_string/.expected, .also (a second
 * field the key sets, compared with the first), .shown (the name a plan
 * gives keys it reports as one), .apply, .multiline, .limit. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "supervisor/config/cfg-types.h"

typedef enum cfg_section {
        CFG_SECTION_NONE,               /* before any header, or an unknown one */
        CFG_SECTION_AIRSUPD,
        CFG_SECTION_SUPERVISOR,
        CFG_SECTION_GROUP,
        _CFG_SECTION_MAX,
} cfg_section;

#define CFG_IN_AIRSUPD    (1u << CFG_SECTION_AIRSUPD)
#define CFG_IN_SUPERVISOR (1u << CFG_SECTION_SUPERVISOR)
#define CFG_IN_GROUP      (1u << CFG_SECTION_GROUP)
#define CFG_IN_NODE       (CFG_IN_SUPERVISOR | CFG_IN_GROUP)

/* What a reload does with a changed key. */
typedef enum cfg_reload {
        CFG_RELOAD_IN_PLACE,            /* applies to the running processes (cfg_apply says how) */
        CFG_RELOAD_RESTART,             /* the group's processes learn it when they start: they restart */
        CFG_RELOAD_AIRSUPD,             /* [airsupd]: only a restart of airsupd takes it */
        CFG_RELOAD_STRUCTURAL,          /* the tree's shape: a node under another supervisor moves */
        _CFG_RELOAD_MAX,
        _CFG_RELOAD_INVALID = -EINVAL,
} cfg_reload;

/* How a live node takes an in-place change. */
typedef enum cfg_apply {
        CFG_APPLY_AT_USE,               /* read where it is next used: nothing to do now */
        CFG_APPLY_WINDOW,               /* a supervisor's intensity window is resized */
        CFG_APPLY_ORDER,                /* a supervisor's children are sorted again */
        CFG_APPLY_PROBES,               /* each ready process's probing starts again */
        CFG_APPLY_ROTATION,             /* each process's log sinks take it */
        CFG_APPLY_LIMITS,               /* written to each running instance's cgroup */
        _CFG_APPLY_MAX,
} cfg_apply;

/* X(ID, NAME, SECTIONS, RELOAD, PARSER, FIELD, rest of the row...) */
#define CFG_KEYS(X)                                                                                             \
        X(CONTROL,          "control",          CFG_IN_AIRSUPD,    AIRSUPD,    parse_control,          TOP(control)) \
        X(CONTROL_GROUP,    "control_group",    CFG_IN_AIRSUPD,    AIRSUPD,    parse_control_group,    TOP(control_group)) \
        X(EVENTS,           "events",           CFG_IN_AIRSUPD,    AIRSUPD,    parse_unsigned,         TOP(events),   \
          .def = 1000, .min = 1, .max = 1000000)                                                                \
        X(DEAD_LETTERS,     "dead_letters",     CFG_IN_AIRSUPD,    AIRSUPD,    parse_unsigned,         TOP(dead_letters), \
          .def = 100, .min = 0, .max = 100000)                                                                  \
        X(NICE,             "nice",             CFG_IN_AIRSUPD,    AIRSUPD,    parse_nice,             TOP(nice))     \
        X(STATE_DIR,        "state_dir",        CFG_IN_AIRSUPD,    AIRSUPD,    parse_absolute_path,    TOP(state_dir)) \
        X(METRICS_LISTEN,   "metrics_listen",   CFG_IN_AIRSUPD,    AIRSUPD,    parse_listen,           TOP(metrics_listen)) \
        X(CGROUP,           "cgroup",           CFG_IN_AIRSUPD,    AIRSUPD,    parse_cgroup,           TOP(cgroup),   \
          .from_string = cfg_cgroup_from_string, .expected = "auto, off or required")              \
        X(PARENT,           "parent",           CFG_IN_NODE,       STRUCTURAL, parse_parent,           NODE(parent_name)) \
        X(STRATEGY,         "strategy",         CFG_IN_SUPERVISOR, IN_PLACE,   parse_enum,             NODE(strategy), \
          .def = CFG_ONE_FOR_ONE, .from_string = cfg_strategy_from_string,                         \
          .expected = "one_for_one, one_for_all or rest_for_one")                                               \
        X(INTENSITY,        "intensity",        CFG_IN_SUPERVISOR, IN_PLACE,   parse_unsigned,         NODE(intensity), \
          .def = 5, .min = 0, .max = 1000000, .apply = CFG_APPLY_WINDOW)                                        \
        X(PERIOD,           "period",           CFG_IN_SUPERVISOR, IN_PLACE,   parse_positive_duration, NODE(period_usec), \
          .def = 10 * USEC_PER_SEC)                                                                             \
        X(RESTART,          "restart",          CFG_IN_NODE,       IN_PLACE,   parse_enum,             NODE(restart), \
          .def = CFG_RESTART_PERMANENT, .from_string = cfg_restart_from_string,                    \
          .expected = "permanent, transient or temporary")                                                      \
        X(ORDER,            "order",            0,                 IN_PLACE,   NULL,                   NO_FIELD,      \
          .apply = CFG_APPLY_ORDER)                                                                             \
        X(COMMAND,          "command",          CFG_IN_GROUP,      RESTART,    parse_command,          NODE(command), \
          .multiline = true)                                                                                    \
        X(SHUTDOWN,         "shutdown",         CFG_IN_GROUP,      IN_PLACE,   parse_shutdown,         NODE(shutdown_usec), \
          .def = 5 * USEC_PER_SEC, .also = ALSO(shutdown))                                                      \
        X(STOP_SIGNAL,      "stop_signal",      CFG_IN_GROUP,      IN_PLACE,   parse_stop_signal,      NODE(stop_signal), \
          .def = SIGTERM)                                                                                       \
        X(BACKOFF,          "backoff",          CFG_IN_GROUP,      IN_PLACE,   parse_duration,         NODE(backoff_usec), \
          .def = 100 * USEC_PER_MSEC)                                                                           \
        X(BACKOFF_MAX,      "backoff_max",      CFG_IN_GROUP,      IN_PLACE,   parse_duration,         NODE(backoff_max_usec), \
          .def = 30 * USEC_PER_SEC)                                                                             \
        X(READY,            "ready",            CFG_IN_GROUP,      RESTART,    parse_ready,            NODE(ready))   \
        X(READY_DELAY,      "ready_delay",      0,                 IN_PLACE,   NULL,                   NODE(ready_usec)) \
        X(START_TIMEOUT,    "start_timeout",    CFG_IN_GROUP,      IN_PLACE,   parse_positive_duration, NODE(start_timeout_usec), \
          .def = 30 * USEC_PER_SEC)                                                                             \
        X(INSTANCES,        "instances",        CFG_IN_GROUP,      RESTART,    parse_unsigned,         NODE(instances), \
          .def = 1, .min = 1, .max = 4096)                                                                      \
        X(MAILBOX,          "mailbox",          CFG_IN_GROUP,      IN_PLACE,   parse_capacity,         NODE(mailbox), \
          .def = 256u << 10)                                                                                    \
        X(MESSAGE_MAX,      "message_max",      CFG_IN_GROUP,      IN_PLACE,   parse_unsigned,         NODE(message_max), \
          .def = 4096, .min = 1, .max = SHM_MESSAGE_MAX)                                                        \
        X(REDELIVER,        "redeliver",        CFG_IN_GROUP,      IN_PLACE,   parse_unsigned,         NODE(redeliver), \
          .def = 3, .min = 0, .max = 1000)                                                                      \
        X(HEALTH,           "health",           CFG_IN_GROUP,      IN_PLACE,   parse_health,           NODE(health),  \
          .also = ALSO(health_command), .apply = CFG_APPLY_PROBES, .multiline = true)                           \
        X(HEALTH_INTERVAL,  "health_interval",  CFG_IN_GROUP,      IN_PLACE,   parse_positive_duration, NODE(health_interval_usec), \
          .def = USEC_PER_SEC, .apply = CFG_APPLY_PROBES)                                                       \
        X(HEALTH_TIMEOUT,   "health_timeout",   CFG_IN_GROUP,      IN_PLACE,   parse_positive_duration, NODE(health_timeout_usec), \
          .def = 500 * USEC_PER_MSEC, .apply = CFG_APPLY_PROBES)                                                \
        X(HEALTH_THRESHOLD, "health_threshold", CFG_IN_GROUP,      IN_PLACE,   parse_unsigned,         NODE(health_threshold), \
          .def = 3, .min = 1, .max = 1000, .apply = CFG_APPLY_PROBES)                                           \
        X(HEALTH_GRACE,     "health_grace",     CFG_IN_GROUP,      IN_PLACE,   parse_duration,         NODE(health_grace_usec)) \
        X(WATCHDOG,         "watchdog",         0,                 RESTART,    NULL,                   NO_FIELD)      \
        X(USER,             "user",             CFG_IN_GROUP,      RESTART,    parse_user,             NODE(user))    \
        X(WORKDIR,          "workdir",          CFG_IN_GROUP,      RESTART,    parse_absolute_path,    NODE(workdir)) \
        X(ENVIRONMENT,      "environment",      CFG_IN_GROUP,      RESTART,    parse_environment,      NODE(environment), \
          .multiline = true)                                                                                    \
        X(STDOUT,           "stdout",           CFG_IN_GROUP,      RESTART,    parse_output,           NODE(out),     \
          .also = ALSO(out_path))                                                                               \
        X(STDERR,           "stderr",           CFG_IN_GROUP,      RESTART,    parse_output,           NODE(err),     \
          .also = ALSO(err_path))                                                                               \
        X(LOG_MAX,          "log_max",          CFG_IN_GROUP,      IN_PLACE,   parse_size,             NODE(log_max), \
          .def = 10u << 20, .shown = "log_max/log_keep", .apply = CFG_APPLY_ROTATION)                           \
        X(LOG_KEEP,         "log_keep",         CFG_IN_GROUP,      IN_PLACE,   parse_unsigned,         NODE(log_keep), \
          .def = 5, .min = 0, .max = 1000, .shown = "log_max/log_keep", .apply = CFG_APPLY_ROTATION)            \
        X(SUBSCRIBE,        "subscribe",        CFG_IN_GROUP,      RESTART,    parse_patterns,         NODE(subscribe.joined), \
          .multiline = true)                                                                                    \
        X(SUBSCRIBE_ALL,    "subscribe_all",    CFG_IN_GROUP,      RESTART,    parse_yes_no,           NODE(subscribe_all)) \
        X(ROUTE,            "route",            CFG_IN_GROUP,      IN_PLACE,   parse_enum,             NODE(route), \
          .def = CFG_ROUTE_LOOKUP, .from_string = cfg_route_from_string,                           \
          .expected = "lookup, round_robin, least_loaded, hash or broadcast")                                   \
        X(NATS,             "nats",             CFG_IN_GROUP,      RESTART,    parse_nats,             EXTRA(nats))    \
        X(NATS_CREDENTIALS, "nats_credentials", CFG_IN_GROUP,      RESTART,    parse_absolute_path,    EXTRA(nats_credentials)) \
        X(NATS_TLS_CA,      "nats_tls_ca",      CFG_IN_GROUP,      RESTART,    parse_absolute_path,    EXTRA(nats_tls[0])) \
        X(NATS_TLS_CERT,    "nats_tls_cert",    CFG_IN_GROUP,      RESTART,    parse_absolute_path,    EXTRA(nats_tls[1])) \
        X(NATS_TLS_KEY,     "nats_tls_key",     CFG_IN_GROUP,      RESTART,    parse_absolute_path,    EXTRA(nats_tls[2])) \
        X(EXPORT,           "export",           CFG_IN_GROUP,      RESTART,    parse_patterns,         EXTRA(nats_export[0].joined), \
          .multiline = true)                                                                                    \
        X(EXPORT_JETSTREAM, "export_jetstream", CFG_IN_GROUP,      RESTART,    parse_patterns,         EXTRA(nats_export[1].joined), \
          .multiline = true)                                                                                    \
        X(IMPORT,           "import",           CFG_IN_GROUP,      RESTART,    parse_patterns,         EXTRA(nats_import[0].joined), \
          .multiline = true)                                                                                    \
        X(IMPORT_JETSTREAM, "import_jetstream", CFG_IN_GROUP,      RESTART,    parse_patterns,         EXTRA(nats_import[1].joined), \
          .multiline = true)                                                                                    \
        X(MEMORY_MAX,       "memory_max",       CFG_IN_GROUP,      IN_PLACE,   parse_limit,            LIMIT(MEMORY_MAX)) \
        X(MEMORY_HIGH,      "memory_high",      CFG_IN_GROUP,      IN_PLACE,   parse_limit,            LIMIT(MEMORY_HIGH)) \
        X(PIDS_MAX,         "pids_max",         CFG_IN_GROUP,      IN_PLACE,   parse_limit,            LIMIT(PIDS_MAX)) \
        X(CPU_WEIGHT,       "cpu_weight",       CFG_IN_GROUP,      IN_PLACE,   parse_limit,            LIMIT(CPU_WEIGHT)) \
        X(CPU_MAX,          "cpu_max",          CFG_IN_GROUP,      IN_PLACE,   parse_limit,            LIMIT(CPU_MAX)) \
        X(IO_WEIGHT,        "io_weight",        CFG_IN_GROUP,      IN_PLACE,   parse_limit,            LIMIT(IO_WEIGHT))

typedef enum cfg_key {
#define CFG_KEY_ID(id, ...) CFG_KEY_##id,
        CFG_KEYS(CFG_KEY_ID)
#undef CFG_KEY_ID
        _CFG_KEY_MAX,
        _CFG_KEY_INVALID = -EINVAL,
} cfg_key;

#define CFG_KEY_BIT(k) (UINT64_C(1) << (k))

/* The keys: a key's name, the name a reload plan shows for
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

/* A limit's key: "memory_max", ... */
const char *cfg_limit_kind_to_string(cfg_limit_kind k);
