/* cfg-value.h - the pure parsers of airsup.conf(5)'s values (cfg-value.c):
 * functions over strings, used by the loader's key rows (cfg-keys.c), by
 * what starts a process (specifiers, argv, environment) and by the unit
 * tests and fuzzers.  cfg.h includes it. */
#pragma once

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "supervisor/config/cfg-types.h"

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
int cfg_split_argv(const char *s, char ***ret_argv);
int cfg_parse_environment(const char *s, char ***ret_env);
int cfg_parse_name(const char *s);
/* A limit's value: "512M", "50%", "infinity", a count or a weight, as
 * KIND takes it (airsup.conf(5)). */
int cfg_parse_limit(cfg_limit_kind kind, const char *s, cfg_limit *ret);
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
cfg_route cfg_route_from_string(const char *s);
const char *cfg_route_to_string(cfg_route r);
const char *cfg_ready_to_string(cfg_ready r);
cfg_output cfg_output_from_string(const char *s);
const char *cfg_output_to_string(cfg_output o);
