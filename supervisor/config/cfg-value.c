/* cfg-value.c - pure parsers for the values of airsup.conf(5): durations,
 * counts, signal names, shell-like argv splitting, environment lists and
 * node names.  No I/O, no global state: unit-tested directly. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"
#include "common/string-table.h"
#include "supervisor/config/cfg-value.h"

/* "250ms", "5s", "2m", "1h", "1m30s", "1.5s"; a bare number is seconds. */
int cfg_parse_duration(const char *s, uint64_t *ret_usec) {
        static const struct { const char *suffix; uint64_t usec; } units[] = {
                { "us",  1 },
                { "ms",  USEC_PER_MSEC },
                { "s",   USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC },
                { "m",   60 * USEC_PER_SEC },
                { "h",   3600 * USEC_PER_SEC },
        };
        uint64_t total = 0;
        const char *p = s;

        if (!s || !*s)
                return -EINVAL;

        while (*p) {
                uint64_t whole = 0, frac = 0, frac_div = 1, unit = 0;
                const char *start = p;

                while (isdigit((unsigned char) *p)) {
                        if (whole > (UINT64_MAX - 9) / 10)
                                return -ERANGE;
                        whole = whole * 10 + (uint64_t) (*p++ - '0');
                }
                if (*p == '.') {
                        p++;
                        /* Beyond microseconds the digits carry no meaning. */
                        while (isdigit((unsigned char) *p)) {
                                if (frac_div < 1000000000ULL) {
                                        frac = frac * 10 + (uint64_t) (*p - '0');
                                        frac_div *= 10;
                                }
                                p++;
                        }
                }
                if (p == start || (p == start + 1 && *start == '.'))
                        return -EINVAL;

                if (*p == '\0') {
                        /* A bare number is seconds, but only on its own: "1m30" is a typo. */
                        if (start != s)
                                return -EINVAL;
                        unit = USEC_PER_SEC;
                } else {
                        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                                size_t l = strlen(units[i].suffix);
                                if (strncmp(p, units[i].suffix, l) == 0 &&
                                    !isalpha((unsigned char) p[l])) {
                                        unit = units[i].usec;
                                        p += l;
                                        break;
                                }
                        }
                        if (unit == 0)
                                return -EINVAL;
                }

                /* Each step is checked against the documented maximum, so
                 * that no sum or product below can wrap: 5124095576.99h
                 * is out of range, not 3454 s. */
                if (whole > CFG_DURATION_MAX_USEC / unit)
                        return -ERANGE;
                uint64_t v = whole * unit;
                uint64_t f = frac * unit / frac_div;    /* frac < 1e9, unit <= 3.6e9: no wrap */
                if (f > CFG_DURATION_MAX_USEC - v)
                        return -ERANGE;
                v += f;
                if (v > CFG_DURATION_MAX_USEC - total)
                        return -ERANGE;
                total += v;
        }

        *ret_usec = total;
        return 0;
}

int cfg_parse_unsigned(const char *s, unsigned min, unsigned max, unsigned *ret) {
        char *end;
        unsigned long v;

        if (!s || !isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno == ERANGE || v > UINT_MAX)
                return -ERANGE;
        if (*end != '\0')
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int cfg_parse_size(const char *s, uint64_t *ret) {
        unsigned long long n;
        unsigned shift;
        char *end;

        if (!s || !isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        n = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
        if (shift > 0)
                end++;
        if (*end != '\0')
                return -EINVAL;
        if (n > (UINT64_C(1) << 40) >> shift)
                return -ERANGE;
        *ret = (uint64_t) n << shift;
        return 0;
}

/* "TERM", "SIGTERM", "term" or a number. */
int cfg_parse_signal(const char *s, int *ret_signo) {
        if (!s || !*s)
                return -EINVAL;

        if (isdigit((unsigned char) *s)) {
                unsigned n;
                if (cfg_parse_unsigned(s, 1, (unsigned) SIGRTMAX, &n) < 0)
                        return -EINVAL;
                *ret_signo = (int) n;
                return 0;
        }

        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (int i = 1; i < NSIG; i++) {
                const char *abbrev = sigabbrev_np(i);
                if (abbrev && strcasecmp(abbrev, s) == 0) {
                        *ret_signo = i;
                        return 0;
                }
        }
        return -EINVAL;
}

const char *cfg_signal_to_string(int signo) {
        const char *s = sigabbrev_np(signo);
        return s ? s : "?";
}

/* Splits S into words the way a POSIX shell would, without expanding
 * anything: blanks separate words, '...' is literal, "..." keeps blanks and
 * lets a backslash escape \ " $ and `, and a backslash elsewhere escapes the
 * next character.  There is no shell: "a;b", "$X" and "*" stay literal. */
int cfg_split_argv(const char *s, char ***ret_argv) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *word = NULL;
        size_t n = 0, cap = 0, len = 0;
        bool in_word = false;

        if (!s)
                return -EINVAL;

        word = malloc(strlen(s) + 1);
        if (!word)
                return -ENOMEM;

        for (const char *p = s;; p++) {
                char c = *p;

                if (c == '\0' || c == ' ' || c == '\t' || c == '\n') {
                        if (in_word) {
                                /* Doubling: a slot more each word costs
                                 * the square of the words wherever
                                 * realloc() moves (always, under ASan). */
                                if (n + 2 > cap) {
                                        size_t want = cap * 2 > n + 2 ? cap * 2 : n + 2;
                                        char **a = reallocarray(argv, want, sizeof(char *));
                                        if (!a)
                                                return -ENOMEM;
                                        argv = a;
                                        cap = want;
                                }
                                argv[n] = strndup(word, len);
                                if (!argv[n])
                                        return -ENOMEM;
                                argv[++n] = NULL;
                                len = 0;
                                in_word = false;
                        }
                        if (c == '\0')
                                break;
                        continue;
                }

                in_word = true;
                if (c == '\'') {
                        for (p++; *p != '\''; p++) {
                                if (*p == '\0')
                                        return -EINVAL;
                                word[len++] = *p;
                        }
                } else if (c == '"') {
                        for (p++; *p != '"'; p++) {
                                if (*p == '\0')
                                        return -EINVAL;
                                if (*p == '\\' && p[1] && strchr("\\\"$`", p[1]))
                                        p++;
                                word[len++] = *p;
                        }
                } else if (c == '\\') {
                        if (p[1] == '\0')
                                return -EINVAL;
                        word[len++] = *++p;
                } else
                        word[len++] = c;
        }

        if (n == 0)
                return -EINVAL;

        *ret_argv = TAKE_PTR(argv);
        return 0;
}

static bool env_name_valid(const char *s, size_t len) {
        if (len == 0 || isdigit((unsigned char) s[0]))
                return false;
        for (size_t i = 0; i < len; i++)
                if (!isalnum((unsigned char) s[i]) && s[i] != '_')
                        return false;
        return true;
}

/* "A=1 B='two words'": quoted like a command, each word NAME=VALUE. */
int cfg_parse_environment(const char *s, char ***ret_env) {
        _cleanup_strv_free_ char **env = NULL;
        int r;

        r = cfg_split_argv(s, &env);
        if (r < 0)
                return r;
        for (char **e = env; *e; e++) {
                const char *eq = strchr(*e, '=');
                if (!eq || !env_name_valid(*e, (size_t) (eq - *e)))
                        return -EINVAL;
        }
        *ret_env = TAKE_PTR(env);
        return 0;
}

int cfg_parse_instance_name(const char *s, char *group, size_t size, unsigned *ret_index) {
        const char *br = strchr(s, '[');
        size_t l, d;
        char idx[16];

        if (!br) {
                if (strlen(s) >= size)
                        return -EINVAL;
                strcpy(group, s);
                return 0;
        }
        /* "GROUP[i]": digits only between the brackets, nothing after. */
        l = (size_t) (br - s);
        d = strlen(br);
        if (l == 0 || l >= size || d < 3 || d - 2 >= sizeof(idx) || br[d - 1] != ']')
                return -EINVAL;
        memcpy(idx, br + 1, d - 2);
        idx[d - 2] = '\0';
        if (!isdigit((unsigned char) idx[0]) || cfg_parse_unsigned(idx, 0, UINT32_MAX, ret_index) < 0)
                return -EINVAL;
        memcpy(group, s, l);
        group[l] = '\0';
        return 1;
}

int cfg_parse_listen(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len) {
        char host[64];
        const char *colon = strrchr(s, ':');
        unsigned long port;
        char *end;

        if (!colon || (size_t) (colon - s) >= sizeof(host))
                return -EINVAL;
        port = strtoul(colon + 1, &end, 10);
        if (*end || colon[1] == '\0' || port == 0 || port > 65535)
                return -EINVAL;
        memcpy(host, s, (size_t) (colon - s));
        host[colon - s] = '\0';
        memset(ret, 0, sizeof(*ret));
        if (host[0] == '[' && host[strlen(host) - 1] == ']') {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *) ret;
                host[strlen(host) - 1] = '\0';
                a->sin6_family = AF_INET6;
                a->sin6_port = htons((uint16_t) port);
                if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
                        return -EINVAL;
                *ret_len = sizeof(*a);
                return 0;
        }
        struct sockaddr_in *a = (struct sockaddr_in *) ret;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t) port);
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
                return -EINVAL;
        *ret_len = sizeof(*a);
        return 0;
}

/* The specifiers of a pool instance's values (%i, %n, %g, %%). */
int cfg_check_specifiers(const char *s, char *ret_bad) {
        for (const char *p = s; (p = strchr(p, '%')); p += 2) {
                if (!p[1] || !strchr("ing%", p[1])) {
                        *ret_bad = p[1];
                        return -EINVAL;
                }
        }
        return 0;
}

int cfg_expand(const char *s, const cfg_instance *in, char **ret) {
        size_t len = 0, cap = strlen(s) + 1;
        char *out = malloc(cap), num[16];

        if (!out)
                return -ENOMEM;
        snprintf(num, sizeof(num), "%u", in->instance);
        for (const char *p = s; *p; p++) {
                const char *add = p;
                size_t n = 1;

                /* Anything else after '%' is kept as it is (--check refuses it). */
                if (*p == '%' && p[1] && strchr("ing%", p[1])) {
                        p++;
                        add = *p == 'i' ? num : *p == 'n' ? in->name : *p == 'g' ? in->group : p;
                        n = *p == '%' ? 1 : strlen(add);
                }
                if (len + n + 1 > cap) {
                        char *q = realloc(out, (len + n + 1) * 2);
                        if (!q) {
                                free(out);
                                return -ENOMEM;
                        }
                        out = q;
                        cap = (len + n + 1) * 2;
                }
                memcpy(out + len, add, n);
                len += n;
        }
        out[len] = '\0';
        *ret = out;
        return 0;
}

/* Node names appear in events, paths and the control protocol: keep them to
 * a safe alphabet. */
int cfg_parse_name(const char *s) {
        size_t l = s ? strlen(s) : 0;

        if (l == 0 || l > 64)
                return -EINVAL;
        if (!isalnum((unsigned char) s[0]))
                return -EINVAL;
        for (size_t i = 0; i < l; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr("_-.", s[i]))
                        return -EINVAL;
        return 0;
}

/* "50%" or "12.5%": hundredths of a percent, from 0.01% to MAX_PERCENT%. */
static int parse_percent(const char *s, uint64_t max_percent, uint64_t *ret) {
        uint64_t whole = 0, frac = 0;
        unsigned digits = 0;
        const char *p = s;

        if (!isdigit((unsigned char) *p))
                return -EINVAL;
        while (isdigit((unsigned char) *p)) {
                whole = whole * 10 + (uint64_t) (*p++ - '0');
                if (whole > max_percent)
                        return -ERANGE;
        }
        if (*p == '.') {
                p++;
                while (isdigit((unsigned char) *p)) {
                        if (digits++ >= 2)
                                return -EINVAL;
                        frac = frac * 10 + (uint64_t) (*p++ - '0');
                }
                if (digits == 0)
                        return -EINVAL;
                if (digits == 1)
                        frac *= 10;
        }
        if (strcmp(p, "%") != 0)
                return -EINVAL;
        whole = whole * 100 + frac;
        if (whole == 0 || whole > max_percent * 100)
                return -ERANGE;
        *ret = whole;
        return 0;
}

int cfg_parse_limit(cfg_limit_kind kind, const char *s, cfg_limit *ret) {
        cfg_limit l = { .set = true };
        unsigned u;
        int r;

        if (!s || !ret || kind < 0 || kind >= _CFG_LIMIT_MAX)
                return -EINVAL;
        if (strcmp(s, "infinity") == 0 && kind != CFG_LIMIT_CPU_WEIGHT && kind != CFG_LIMIT_IO_WEIGHT) {
                l.infinity = true;
                *ret = l;
                return 0;
        }
        switch (kind) {
        case CFG_LIMIT_MEMORY_MAX:
        case CFG_LIMIT_MEMORY_HIGH:
                if (strchr(s, '%')) {
                        r = parse_percent(s, 100, &l.value);
                        l.percent = true;
                } else {
                        r = cfg_parse_size(s, &l.value);
                        if (r >= 0 && l.value == 0)
                                r = -ERANGE;
                }
                break;
        case CFG_LIMIT_PIDS_MAX:
                r = cfg_parse_unsigned(s, 1, 4194304, &u);
                l.value = u;
                break;
        case CFG_LIMIT_CPU_WEIGHT:
        case CFG_LIMIT_IO_WEIGHT:
                r = cfg_parse_unsigned(s, 1, 10000, &u);
                l.value = u;
                break;
        case CFG_LIMIT_CPU_MAX:
                /* Of one CPU, as systemd's CPUQuota=: 200% is two. */
                r = parse_percent(s, 100000, &l.value);
                l.percent = true;
                if (r >= 0 && l.value < 100)
                        r = -ERANGE;    /* below 1%: less than the kernel's smallest quota */
                break;
        default:
                r = -EINVAL;
        }
        if (r < 0)
                return r;
        *ret = l;
        return 0;
}

static const char *const cgroup_names[_CFG_CGROUP_MAX] = {
        [CFG_CGROUP_AUTO] = "auto",
        [CFG_CGROUP_OFF] = "off",
        [CFG_CGROUP_REQUIRED] = "required",
};

DEFINE_STRING_TABLE(cfg_cgroup, cfg_cgroup, cgroup_names, _CFG_CGROUP_MAX)

static const char *const strategy_names[_CFG_STRATEGY_MAX] = {
        [CFG_ONE_FOR_ONE] = "one_for_one",
        [CFG_ONE_FOR_ALL] = "one_for_all",
        [CFG_REST_FOR_ONE] = "rest_for_one",
};

static const char *const restart_names[_CFG_RESTART_MAX] = {
        [CFG_RESTART_PERMANENT] = "permanent",
        [CFG_RESTART_TRANSIENT] = "transient",
        [CFG_RESTART_TEMPORARY] = "temporary",
};

static const char *const health_names[_CFG_HEALTH_MAX] = {
        [CFG_HEALTH_NONE] = "none",
        [CFG_HEALTH_HEARTBEAT] = "heartbeat",
        [CFG_HEALTH_PING] = "ping",
        [CFG_HEALTH_WATCHDOG] = "watchdog",
        [CFG_HEALTH_EXEC] = "exec",
};

DEFINE_STRING_TABLE(cfg_strategy, cfg_strategy, strategy_names, _CFG_STRATEGY_MAX)
DEFINE_STRING_TABLE(cfg_restart, cfg_restart, restart_names, _CFG_RESTART_MAX)
DEFINE_STRING_TABLE(cfg_health, cfg_health, health_names, _CFG_HEALTH_MAX)

/* shutdown's timeout and ready's delay have no name: a duration says them. */
static const char *const shutdown_names[_CFG_SHUTDOWN_MAX] = {
        [CFG_SHUTDOWN_BRUTAL_KILL] = "brutal_kill",
        [CFG_SHUTDOWN_INFINITY] = "infinity",
};

static const char *const ready_names[_CFG_READY_MAX] = {
        [CFG_READY_NONE] = "none",
        [CFG_READY_NOTIFY] = "notify",
};

static const char *const output_names[_CFG_OUTPUT_MAX] = {
        [CFG_OUTPUT_INHERIT] = "inherit",
        [CFG_OUTPUT_NULL] = "null",
        [CFG_OUTPUT_JOURNAL] = "journal",
        [CFG_OUTPUT_FILE] = "file",
        [CFG_OUTPUT_LOG] = "log",
        [CFG_OUTPUT_CONSOLE] = "console",
};

static const char *const route_names[_CFG_ROUTE_MAX] = {
        [CFG_ROUTE_LOOKUP] = "lookup",
        [CFG_ROUTE_ROUND_ROBIN] = "round_robin",
        [CFG_ROUTE_LEAST_LOADED] = "least_loaded",
        [CFG_ROUTE_HASH] = "hash",
        [CFG_ROUTE_BROADCAST] = "broadcast",
};

DEFINE_STRING_TABLE(cfg_route, cfg_route, route_names, _CFG_ROUTE_MAX)
DEFINE_STRING_TABLE(cfg_shutdown, cfg_shutdown, shutdown_names, _CFG_SHUTDOWN_MAX)
DEFINE_STRING_TABLE(cfg_ready, cfg_ready, ready_names, _CFG_READY_MAX)
DEFINE_STRING_TABLE(cfg_output, cfg_output, output_names, _CFG_OUTPUT_MAX)
