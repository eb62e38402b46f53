/* cfg-keys.c - the key rows of airsup.conf(5) (cfg-keys.h) and what is
 * derived from them: the parsers that turn a key's text into its field
 * or a FILE:LINE error, the look-up of a key by name, the defaults, and
 * the comparison of two configurations key by key that the reload plan
 * and the live tree use. */
#define _GNU_SOURCE
#include <assert.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/subject.h"
#include "shm/shm.h"
#include "supervisor/config/cfg-types.h"
#include "supervisor/config/cfg-load.h"
#include "supervisor/config/cfg-value.h"

/* Second pass: every key's raw text goes through its row's parser into
 * its field, or is reported as FILE:LINE.  What involves more than one
 * key (stderr following stdout, backoff_max against backoff, the lane
 * geometry) is checked after the rows, in cfg.c's finish_group(). */
#define FIELD(base, k, type) ((type *) ((char *) (base) + (k)->field.offset))
#define ALSO_FIELD(base, k, type) ((type *) ((char *) (base) + (k)->also.offset))
#define NAME(k) ((k)->name)
#define ID(k) ((cfg_key) ((k) - cfg_key_rows))

static void parse_unsigned(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        if (cfg_parse_unsigned(v, k->min, k->max, FIELD(base, k, unsigned)) < 0)
                loader_error(l, line, "%s: expected a whole number from %u to %u, got '%s'",
                             NAME(k), k->min, k->max, v);
}

/* A nice value, -20 (first) to 19 (last), as nice(1) and setpriority(2)
 * take it. */
static void parse_nice(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        const char *digits = v[0] == '-' || v[0] == '+' ? v + 1 : v;
        unsigned mag;

        if (cfg_parse_unsigned(digits, 0, 20, &mag) < 0 || (v[0] != '-' && mag > 19)) {
                loader_error(l, line, "%s: expected a nice value from -20 to 19, got '%s'", NAME(k), v);
                return;
        }
        *FIELD(base, k, int) = v[0] == '-' ? -(int) mag : (int) mag;
}

static void parse_duration(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        if (cfg_parse_duration(v, FIELD(base, k, uint64_t)) < 0)
                loader_error(l, line, "%s: invalid duration '%s' (use e.g. 250ms, 5s, 2m, 1h)", NAME(k), v);
}

/* A size in bytes: a number with K, M or G (powers of 1024) after it. */
static void parse_size(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        uint64_t *field = FIELD(base, k, uint64_t), n;

        if (cfg_parse_size(v, &n) == 0 && (n == 0 || n >= 4096)) {
                *field = n;
                return;
        }
        loader_error(l, line, "%s: expected 0 or a size from 4096 bytes to 1024G (e.g. 10M, 512K), got '%s'",
                     NAME(k), v);
}

/* A lane's capacity: checked with message_max once both are known. */
static void parse_capacity(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        if (cfg_parse_size(v, FIELD(base, k, uint64_t)) < 0)
                loader_error(l, line, "%s: expected a size in bytes (e.g. 64K, 256K, 4M), got '%s'", NAME(k), v);
}

static void parse_positive_duration(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        uint64_t *field = FIELD(base, k, uint64_t);

        if (cfg_parse_duration(v, field) < 0)
                parse_duration(l, k, v, line, base);
        else if (*field == 0)
                loader_error(l, line, "%s: must be longer than 0", NAME(k));
}

static void parse_enum(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        int r = k->from_string(v);

        if (r < 0)
                loader_error(l, line, "%s: expected %s, got '%s'", NAME(k), k->expected, v);
        else
                *FIELD(base, k, int) = r;
}

static void parse_cgroup(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        parse_enum(l, k, v, line, base);
        ((cfg *) base)->cgroup_line = line;
}

/* memory_max, ...: the field is the cfg_limit of the row's kind. */
static void parse_limit(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        static const char *const expected[_CFG_LIMIT_MAX] = {
                [CFG_LIMIT_MEMORY_MAX] = "bytes (512M, 2G), a percentage of RAM (50%) or infinity",
                [CFG_LIMIT_MEMORY_HIGH] = "bytes (512M, 2G), a percentage of RAM (50%) or infinity",
                [CFG_LIMIT_PIDS_MAX] = "a count from 1 to 4194304 or infinity",
                [CFG_LIMIT_CPU_WEIGHT] = "a weight from 1 to 10000",
                [CFG_LIMIT_CPU_MAX] = "a percentage of one CPU from 1% (200% is two) or infinity",
                [CFG_LIMIT_IO_WEIGHT] = "a weight from 1 to 10000",
        };
        cfg_limit *limit = FIELD(base, k, cfg_limit);

        if (cfg_parse_limit(k->limit, v, limit) < 0)
                loader_error(l, line, "%s: expected %s, got '%s'", NAME(k), expected[k->limit], v);
        else
                limit->line = line;
}

static void parse_string(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        (void) line;
        *FIELD(base, k, char *) = loader_strdup(l, v);
}

static void parse_parent(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        cfg_node *n = base;

        parse_string(l, k, v, line, base);
        n->parent_line = line;
}

/* A group's command, environment, workdir and output paths may hold
 * %i, %n, %g and %%, replaced per process when it starts. */
static bool specifiers_ok(loader *l, const cfg_key_row *k, const char *v, unsigned line) {
        char bad;

        if (cfg_check_specifiers(v, &bad) == 0)
                return true;
        if (bad)
                loader_error(l, line, "%s: unknown specifier '%%%c' (use %%i, %%n, %%g, or %%%% for '%%')",
                             NAME(k), bad);
        else
                loader_error(l, line, "%s: '%%' at the end (use %%%% for '%%')", NAME(k));
        return false;
}

static void parse_absolute_path(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        if (k->sections == CFG_IN_GROUP && !specifiers_ok(l, k, v, line))
                return;
        if (ID(k) == CFG_KEY_WORKDIR)
                ((cfg_node *) base)->workdir_line = line;
        /* Those two are in the node's cfg_extra, and so is BASE. */
        if (ID(k) == CFG_KEY_NATS_CREDENTIALS)
                ((cfg_extra *) base)->nats_credentials_line = line;
        if (ID(k) == CFG_KEY_NATS_TLS_KEY)
                ((cfg_extra *) base)->nats_tls_key_line = line;
        if (v[0] != '/')
                loader_error(l, line, "%s: must be an absolute path, got '%s'", NAME(k), v);
        else
                parse_string(l, k, v, line, base);
}

static void parse_control(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        cfg *c = base;

        if (strlen(v) >= 108)
                loader_error(l, line, "%s: socket path longer than 107 bytes", NAME(k));
        else {
                parse_absolute_path(l, k, v, line, base);
                c->control_line = line;
        }
}

/* HOST:PORT for an HTTP endpoint: an IPv4 address or [IPv6], a port. */
static void parse_listen(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        struct sockaddr_storage sa;
        socklen_t len;

        if (cfg_parse_listen(v, &sa, &len) < 0)
                loader_error(l, line, "%s: expected ADDRESS:PORT (e.g. 127.0.0.1:9464 or [::1]:9464), got '%s'",
                             NAME(k), v);
        else
                parse_string(l, k, v, line, base);
}

static void parse_control_group(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        if (!getgrnam(v))
                loader_error(l, line, "%s: no such group '%s'", NAME(k), v);
        else
                parse_string(l, k, v, line, base);
}

static void parse_command(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        cfg_node *n = base;
        int r;

        if (!specifiers_ok(l, k, v, line))
                return;
        parse_string(l, k, v, line, base);
        n->command_line = line;
        r = cfg_split_argv(v, &n->argv);
        if (r == -ENOMEM)
                l->stop = true;
        else if (r < 0)
                loader_error(l, line, "%s: %s", NAME(k), *v ? "unterminated quote or trailing backslash" :
                             "empty command");
}

/* A duration (the field), or the kind of shutdown without one. */
static void parse_shutdown(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        cfg_node *n = base;

        cfg_shutdown s = cfg_shutdown_from_string(v);

        if (s >= 0)
                n->shutdown = s;
        else if (cfg_parse_duration(v, &n->shutdown_usec) < 0)
                loader_error(l, line, "%s: expected a duration, brutal_kill or infinity, got '%s'", NAME(k), v);
}

static void parse_stop_signal(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        int *sig = FIELD(base, k, int);

        if (cfg_parse_signal(v, sig) < 0)
                loader_error(l, line, "%s: unknown signal '%s'", NAME(k), v);
        else if (*sig == SIGKILL)
                loader_error(l, line, "%s: use 'shutdown = brutal_kill' instead of KILL", NAME(k));
}

static void parse_ready(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        cfg_node *n = base;
        cfg_ready r = cfg_ready_from_string(v);

        if (r >= 0)
                n->ready = r;
        else if (cfg_parse_duration(v, &n->ready_usec) == 0)
                n->ready = CFG_READY_DELAY;
        else
                loader_error(l, line, "%s: expected none, notify or a duration, got '%s'", NAME(k), v);
}

static void parse_health(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        cfg_node *n = base;
        int h;

        if (strncmp(v, "exec:", 5) == 0) {
                n->health = CFG_HEALTH_EXEC;
                n->health_line = line;
                n->health_command = loader_strdup(l, v + 5);
                if (cfg_split_argv(v + 5, &n->health_argv) < 0)
                        loader_error(l, line, "%s: exec: needs a command", NAME(k));
                return;
        }
        h = cfg_health_from_string(v);
        if (h < 0 || h == CFG_HEALTH_EXEC)
                loader_error(l, line, "%s: expected none, heartbeat, ping, watchdog or exec:COMMAND, "
                             "got '%s'", NAME(k), v);
        else
                n->health = h;
}

static void parse_user(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        unsigned uid;

        if (!getpwnam(v) && !(cfg_parse_unsigned(v, 0, 0xfffffffeu, &uid) == 0 && getpwuid((uid_t) uid)))
                loader_error(l, line, "%s: no such user '%s'", NAME(k), v);
        else
                parse_string(l, k, v, line, base);
}

static void parse_environment(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        cfg_node *n = base;
        int r;

        if (!specifiers_ok(l, k, v, line))
                return;
        parse_string(l, k, v, line, base);
        r = cfg_parse_environment(v, &n->env);
        if (r == -ENOMEM)
                l->stop = true;
        else if (r < 0)
                loader_error(l, line, "%s: expected NAME=VALUE words, got '%s'", NAME(k), v);
}

/* stdout and stderr: the field is the cfg_output, the second its path. */
static void parse_output(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        cfg_node *n = base;
        cfg_output *field = FIELD(base, k, cfg_output), o = cfg_output_from_string(v);
        char **path = ALSO_FIELD(base, k, char *);

        if (ID(k) == CFG_KEY_STDERR && strcmp(v, "stdout") == 0)
                return;                 /* follows stdout: finish_group() */
        if (o >= 0 && o != CFG_OUTPUT_FILE && o != CFG_OUTPUT_LOG) {
                *field = o;             /* the two with a path are written with it */
                *(ID(k) == CFG_KEY_STDOUT ? &n->out_line : &n->err_line) = line;
        }
        else if ((strncmp(v, "file:", 5) == 0 && v[5] == '/') || (strncmp(v, "log:", 4) == 0 && v[4] == '/')) {
                bool file = v[0] == 'f';
                if (!specifiers_ok(l, k, v, line))
                        return;
                *field = file ? CFG_OUTPUT_FILE : CFG_OUTPUT_LOG;
                *(ID(k) == CFG_KEY_STDOUT ? &n->out_line : &n->err_line) = line;
                free(*path);
                *path = loader_strdup(l, v + (file ? 5 : 4));
                return;
        } else
                loader_error(l, line, "%s: expected inherit, null, journal, console, file:/ABSOLUTE/PATH or "
                             "log:/ABSOLUTE/PATH%s, got '%s'", NAME(k), ID(k) == CFG_KEY_STDERR ? " or stdout" : "", v);
}

/* Subject patterns separated by blanks, each one NATS's syntax takes
 * (common/subject.h), none twice, at most CFG_SUBSCRIBE_MAX, into P: the
 * list joined by single spaces (so that a reload sees only a change of
 * the list), and the patterns one by one. */
static void parse_pattern_list(loader *l, const cfg_key_row *k, const char *v, unsigned line, cfg_patterns *p) {
        _cleanup_strv_free_ char **list = NULL;
        _cleanup_free_ char *joined = NULL;
        size_t count = 0, total = 0;

        for (const char *w = v + strspn(v, " \t"); *w; w += strspn(w, " \t")) {
                size_t len = strcspn(w, " \t");
                _cleanup_free_ char *pattern = strndup(w, len);
                char **grown;

                w += len;
                if (!pattern)
                        goto oom;
                if (!subject_valid(pattern, true)) {
                        loader_error(l, line, "%s: invalid subject pattern '%.*s' (tokens of printable ASCII "
                                     "separated by '.', '*' for one token, '>' for the rest at the end, at most "
                                     "%u bytes)", NAME(k), (int) (len > 300 ? 300 : len), pattern, SUBJECT_MAX);
                        return;
                }
                for (size_t i = 0; i < count; i++)
                        if (strcmp(list[i], pattern) == 0) {
                                loader_error(l, line, "%s: '%s' is listed twice", NAME(k), pattern);
                                return;
                        }
                if (count == CFG_SUBSCRIBE_MAX) {
                        loader_error(l, line, "%s: more than %u patterns", NAME(k), CFG_SUBSCRIBE_MAX);
                        return;
                }
                grown = realloc(list, (count + 2) * sizeof(*list));
                if (!grown)
                        goto oom;
                list = grown;
                list[count++] = TAKE_PTR(pattern);
                list[count] = NULL;
                total += len + 1;
        }
        if (count == 0) {
                loader_error(l, line, "%s: expected subject patterns (e.g. orders.* billing.>)", NAME(k));
                return;
        }
        joined = malloc(total);
        if (!joined)
                goto oom;
        joined[0] = '\0';
        for (size_t i = 0; i < count; i++) {
                if (i)
                        strcat(joined, " ");
                strcat(joined, list[i]);
        }
        free(p->joined);
        strv_free(p->list);
        p->joined = TAKE_PTR(joined);
        p->list = TAKE_PTR(list);
        p->n = (unsigned) count;
        p->line = line;
        return;
oom:
        l->stop = true;
}

/* nats: the servers, separated by blanks or commas, each
 * nats://HOST:PORT, tls://HOST:PORT or HOST:PORT (libnats's forms, user
 * and password allowed before an @); kept joined by commas, as libnats
 * takes them. */
#define CFG_NATS_SERVERS_MAX 32u

static void parse_nats(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        _cleanup_free_ char *joined = malloc(strlen(v) + 1);
        unsigned count = 0;
        size_t j = 0;

        if (!joined) {
                l->stop = true;
                return;
        }
        for (const char *w = v + strspn(v, " \t,"); *w; w += strspn(w, " \t,")) {
                size_t len = strcspn(w, " \t,");
                const char *host = w, *colon;
                int hl;

                if (strncmp(w, "nats://", 7) == 0)
                        host = w + 7;
                else if (strncmp(w, "tls://", 6) == 0)
                        host = w + 6;
                else if (memmem(w, len, "://", 3)) {
                        loader_error(l, line, "%s: '%.*s': expected nats://HOST:PORT, tls://HOST:PORT or HOST:PORT",
                                     NAME(k), (int) (len > 200 ? 200 : len), w);
                        return;
                }
                hl = (int) (w + len - host);
                colon = memrchr(host, ':', (size_t) hl);
                if (hl == 0 || (colon && (colon + 1 == w + len || strspn(colon + 1, "0123456789") !=
                                                                        (size_t) (w + len - colon - 1)))) {
                        loader_error(l, line, "%s: '%.*s': expected nats://HOST:PORT, tls://HOST:PORT or HOST:PORT",
                                     NAME(k), (int) (len > 200 ? 200 : len), w);
                        return;
                }
                for (size_t i = 0; i < len; i++)
                        if ((unsigned char) w[i] < 0x21 || (unsigned char) w[i] > 0x7e) {
                                loader_error(l, line, "%s: a server's URL is printable ASCII", NAME(k));
                                return;
                        }
                if (++count > CFG_NATS_SERVERS_MAX) {
                        loader_error(l, line, "%s: more than %u servers", NAME(k), CFG_NATS_SERVERS_MAX);
                        return;
                }
                if (j)
                        joined[j++] = ',';
                memcpy(joined + j, w, len);
                j += len;
                w += len;
        }
        if (count == 0) {
                loader_error(l, line, "%s: expected the NATS servers' URLs (e.g. nats://127.0.0.1:4222)", NAME(k));
                return;
        }
        joined[j] = '\0';
        free(*FIELD(base, k, char *));
        *FIELD(base, k, char *) = TAKE_PTR(joined);
}

/* subscribe, export, export_jetstream, import, import_jetstream: the
 * field is a cfg_patterns' first member. */
static void parse_patterns(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        parse_pattern_list(l, k, v, line, (cfg_patterns *) FIELD(base, k, char *));
}

static void parse_yes_no(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base) {
        if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0)
                *FIELD(base, k, bool) = v[0] == 'y';
        else
                loader_error(l, line, "%s: expected yes or no, got '%s'", NAME(k), v);
}

/* The rows, from cfg-keys.h.  A field's kind (how two configurations
 * compare it) follows from its type. */
#define FIELD_OF(type, f)                                                                       \
        { offsetof(type, f), sizeof(((type *) 0)->f),                                           \
          _Generic(((type *) 0)->f, char *: CFG_FIELD_STRING, cfg_limit: CFG_FIELD_LIMIT,       \
                   default: CFG_FIELD_SCALAR), _Generic((type *) 0, cfg_extra *: true, default: false) }
#define TOP(f) .field = FIELD_OF(cfg, f)
#define NODE(f) .field = FIELD_OF(cfg_node, f)
#define EXTRA(f) .field = FIELD_OF(cfg_extra, f)
#define NO_FIELD .field = { 0 }
#define ALSO(f) FIELD_OF(cfg_node, f)
#define LIMIT(kind) .field = FIELD_OF(cfg_extra, limits[CFG_LIMIT_##kind]), .limit = CFG_LIMIT_##kind, \
        .shown = "limits", .apply = CFG_APPLY_LIMITS
#define ROW(id, name_, sections_, reload_, parse_, field_, ...)                                 \
        [CFG_KEY_##id] = { .name = name_, .sections = sections_, .reload = CFG_RELOAD_##reload_, \
                           .parse = parse_, field_, __VA_ARGS__ },

const cfg_key_row cfg_key_rows[_CFG_KEY_MAX] = {
        CFG_KEYS(ROW)
};

/* Every key is a bit of a reload plan's uint64_t. */
_Static_assert(_CFG_KEY_MAX <= 64, "more keys than bits in reload_item.keys");

const cfg_key_row *cfg_key_lookup(const char *name) {
        for (size_t k = 0; k < _CFG_KEY_MAX; k++)
                if (cfg_key_rows[k].sections && strcmp(cfg_key_rows[k].name, name) == 0)
                        return &cfg_key_rows[k];
        return NULL;
}

/* What a field is an offset into: BASE (a cfg or a cfg_node), or the
 * node's cfg_extra, made when a key of it is set (NULL if it cannot be:
 * the load stops, as for a string). */
static void *field_base(loader *l, const cfg_field *f, void *base) {
        cfg_node *n = base;

        if (!f->extra)
                return base;
        if (!n->extra) {
                n->extra = calloc(1, sizeof(cfg_extra));
                if (!n->extra)
                        l->stop = true;
        }
        return n->extra;
}

void cfg_keys_apply(loader *l, void *base, const raw_section *r, unsigned section) {
        /* The defaults of the rows in cfg_extra are all 0: a node without
         * one has them (cfg_node_extra()). */
        for (size_t i = 0; i < _CFG_KEY_MAX; i++) {
                const cfg_key_row *k = &cfg_key_rows[i];

                if (!(k->sections & section) || k->def == 0)
                        continue;
                assert(!k->field.extra);
                if (k->field.size == sizeof(uint64_t))
                        *FIELD(base, k, uint64_t) = k->def;
                else
                        *FIELD(base, k, uint32_t) = (uint32_t) k->def;
        }
        for (size_t i = 0; i < _CFG_KEY_MAX; i++) {
                const cfg_key_row *k = &cfg_key_rows[i];
                void *b;

                if (!(k->sections & section) || !r->value[i])
                        continue;
                b = field_base(l, &k->field, base);
                if (b)
                        k->parse(l, k, r->value[i], r->line[i], b);
        }
}

static void field_free(const cfg_field *f, void *base) {
        if (f->extra)
                base = ((cfg_node *) base)->extra;
        if (base && f->kind == CFG_FIELD_STRING)
                free(*(char **) (void *) ((char *) base + f->offset));
}

void cfg_keys_free(void *base, unsigned section) {
        for (size_t i = 0; i < _CFG_KEY_MAX; i++)
                if (cfg_key_rows[i].sections & section) {
                        field_free(&cfg_key_rows[i].field, base);
                        field_free(&cfg_key_rows[i].also, base);
                }
}

const char *cfg_key_to_string(cfg_key k) {
        return k >= 0 && k < _CFG_KEY_MAX ? cfg_key_rows[k].name : NULL;
}

cfg_key cfg_key_from_string(const char *name) {
        const cfg_key_row *k = name ? cfg_key_lookup(name) : NULL;

        return k ? ID(k) : _CFG_KEY_INVALID;
}

const char *cfg_key_shown(cfg_key k) {
        return k >= 0 && k < _CFG_KEY_MAX ? cfg_key_rows[k].shown ?: cfg_key_rows[k].name : NULL;
}

unsigned cfg_key_sections(cfg_key k) {
        return k >= 0 && k < _CFG_KEY_MAX ? cfg_key_rows[k].sections : 0;
}

cfg_reload cfg_key_reload(cfg_key k) {
        return k >= 0 && k < _CFG_KEY_MAX ? cfg_key_rows[k].reload : _CFG_RELOAD_INVALID;
}

cfg_apply cfg_key_apply(cfg_key k) {
        return k >= 0 && k < _CFG_KEY_MAX ? cfg_key_rows[k].apply : CFG_APPLY_AT_USE;
}

const char *cfg_limit_kind_to_string(cfg_limit_kind kind) {
        for (size_t k = 0; k < _CFG_KEY_MAX; k++)
                if (cfg_key_rows[k].parse == parse_limit && cfg_key_rows[k].limit == kind)
                        return cfg_key_rows[k].name;
        return NULL;
}

static bool field_differs(const cfg_field *f, const void *a, const void *b) {
        const char *x, *y;

        if (f->extra) {
                a = cfg_node_extra(a);
                b = cfg_node_extra(b);
        }
        x = (const char *) a + f->offset;
        y = (const char *) b + f->offset;

        switch (f->kind) {
        case CFG_FIELD_SCALAR:
                return memcmp(x, y, f->size) != 0;
        case CFG_FIELD_STRING: {
                const char *s = *(char *const *) (const void *) x, *t = *(char *const *) (const void *) y;
                return !s || !t ? s != t : strcmp(s, t) != 0;
        }
        case CFG_FIELD_LIMIT: {
                const cfg_limit *p = (const void *) x, *q = (const void *) y;
                return p->set != q->set || (p->set && (p->infinity != q->infinity || p->percent != q->percent ||
                                                       p->value != q->value));
        }
        default:
                return false;
        }
}

/* The keys of SECTION whose fields differ between A and B, the tree's
 * shape left out (a plan sees a move by the parents themselves). */
static uint64_t rows_differ(const void *a, const void *b, unsigned section) {
        uint64_t keys = 0;

        for (size_t i = 0; i < _CFG_KEY_MAX; i++) {
                const cfg_key_row *k = &cfg_key_rows[i];

                if ((k->sections & section) && k->reload != CFG_RELOAD_STRUCTURAL &&
                    (field_differs(&k->field, a, b) || field_differs(&k->also, a, b)))
                        keys |= CFG_KEY_BIT(i);
        }
        return keys;
}

static bool watched(cfg_health h) {
        return h == CFG_HEALTH_WATCHDOG || h == CFG_HEALTH_HEARTBEAT;
}

uint64_t cfg_node_diff(const cfg_node *a, const cfg_node *b) {
        uint64_t keys = rows_differ(a, b, a->supervisor ? CFG_IN_SUPERVISOR : CFG_IN_GROUP);

        if (a->supervisor)
                return keys;
        /* A new delay of the same kind of readiness applies in place; a
         * new kind restarts, whatever its delay. */
        if (!(keys & CFG_KEY_BIT(CFG_KEY_READY)) && field_differs(&cfg_key_rows[CFG_KEY_READY_DELAY].field, a, b))
                keys |= CFG_KEY_BIT(CFG_KEY_READY_DELAY);
        /* The watchdog's interval is in the child's environment. */
        if (watched(a->health) != watched(b->health) ||
            (watched(a->health) && a->health_interval_usec != b->health_interval_usec))
                keys |= CFG_KEY_BIT(CFG_KEY_WATCHDOG);
        return keys;
}

uint64_t cfg_airsupd_diff(const cfg *a, const cfg *b) {
        return rows_differ(a, b, CFG_IN_AIRSUPD);
}

bool cfg_keys_restart(uint64_t keys) {
        for (size_t i = 0; i < _CFG_KEY_MAX; i++)
                if ((keys & CFG_KEY_BIT(i)) && cfg_key_rows[i].reload == CFG_RELOAD_RESTART)
                        return true;
        return false;
}

unsigned cfg_node_apply(const cfg_node *was, const cfg_node *now) {
        uint64_t keys = cfg_node_diff(was, now);
        unsigned apply = 0;

        for (size_t i = 0; i < _CFG_KEY_MAX; i++)
                if ((keys & CFG_KEY_BIT(i)) && cfg_key_rows[i].reload == CFG_RELOAD_IN_PLACE)
                        apply |= 1u << cfg_key_rows[i].apply;
        return apply;
}
