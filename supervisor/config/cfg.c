/* cfg.c - loads airsup.conf(5) and validates it into a tree.
 *
 * Loading happens in two passes.  The first reads the file line by line
 * (read_lines(), in bounded memory) and stores each key's raw text and
 * line; continuation lines are appended to the value they continue.  The
 * second pass parses every value, fills in defaults and links the tree, so
 * an error found late (a dangling parent, a cycle) still names the line
 * that caused it; errors are shown sorted by line.
 *
 * The reader is our own, not libinih: libinih cuts inline comments before
 * its handler sees the value, quotes or not (a ';' inside
 * sh -c '...' cut the command), and reads a line into a fixed buffer, so
 * long comments were errors and /dev/zero was read for ever. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "shm/shm.h"
#include "supervisor/config/cfg.h"

#define CFG_LINE_MAX 4096u              /* bytes in a line, comments excepted */
#define CFG_FILE_MAX (64u << 20)        /* bytes in a file */
#define CFG_VALUE_MAX (128u << 10)      /* bytes in a value, continuation lines joined */

typedef enum section_kind {
        SECTION_NONE,                   /* before any header, or an unknown one */
        SECTION_AIRSUPD,
        SECTION_SUPERVISOR,
        SECTION_GROUP,
} section_kind;

typedef enum key_id {
        KEY_CONTROL,
        KEY_CONTROL_GROUP,
        KEY_EVENTS,
        KEY_DEAD_LETTERS,
        KEY_STATE_DIR,
        KEY_METRICS_LISTEN,
        KEY_CGROUP,
        KEY_PARENT,
        KEY_STRATEGY,
        KEY_INTENSITY,
        KEY_PERIOD,
        KEY_RESTART,
        KEY_COMMAND,
        KEY_SHUTDOWN,
        KEY_STOP_SIGNAL,
        KEY_BACKOFF,
        KEY_BACKOFF_MAX,
        KEY_READY,
        KEY_START_TIMEOUT,
        KEY_INSTANCES,
        KEY_MAILBOX,
        KEY_MESSAGE_MAX,
        KEY_REDELIVER,
        KEY_HEALTH,
        KEY_HEALTH_INTERVAL,
        KEY_HEALTH_TIMEOUT,
        KEY_HEALTH_THRESHOLD,
        KEY_HEALTH_GRACE,
        KEY_USER,
        KEY_WORKDIR,
        KEY_ENVIRONMENT,
        KEY_STDOUT,
        KEY_STDERR,
        KEY_LOG_MAX,
        KEY_LOG_KEEP,
        KEY_MEMORY_MAX,
        KEY_MEMORY_HIGH,
        KEY_PIDS_MAX,
        KEY_CPU_WEIGHT,
        KEY_CPU_MAX,
        KEY_IO_WEIGHT,
        _KEY_MAX,
} key_id;

#define IN_AIRSUPD    (1u << SECTION_AIRSUPD)
#define IN_SUPERVISOR (1u << SECTION_SUPERVISOR)
#define IN_GROUP      (1u << SECTION_GROUP)

static const struct {
        const char *name;
        unsigned sections;
        bool multiline;                 /* may continue on indented lines */
} keys[_KEY_MAX] = {
        [KEY_CONTROL]          = { "control",          IN_AIRSUPD,                  false },
        [KEY_CONTROL_GROUP]    = { "control_group",    IN_AIRSUPD,                  false },
        [KEY_EVENTS]           = { "events",           IN_AIRSUPD,                  false },
        [KEY_DEAD_LETTERS]     = { "dead_letters",     IN_AIRSUPD,                  false },
        [KEY_STATE_DIR]        = { "state_dir",        IN_AIRSUPD,                  false },
        [KEY_METRICS_LISTEN]   = { "metrics_listen",   IN_AIRSUPD,                  false },
        [KEY_CGROUP]           = { "cgroup",           IN_AIRSUPD,                  false },
        [KEY_PARENT]           = { "parent",           IN_SUPERVISOR | IN_GROUP,    false },
        [KEY_STRATEGY]         = { "strategy",         IN_SUPERVISOR,               false },
        [KEY_INTENSITY]        = { "intensity",        IN_SUPERVISOR,               false },
        [KEY_PERIOD]           = { "period",           IN_SUPERVISOR,               false },
        [KEY_RESTART]          = { "restart",          IN_SUPERVISOR | IN_GROUP,    false },
        [KEY_COMMAND]          = { "command",          IN_GROUP,                    true  },
        [KEY_SHUTDOWN]         = { "shutdown",         IN_GROUP,                    false },
        [KEY_STOP_SIGNAL]      = { "stop_signal",      IN_GROUP,                    false },
        [KEY_BACKOFF]          = { "backoff",          IN_GROUP,                    false },
        [KEY_BACKOFF_MAX]      = { "backoff_max",      IN_GROUP,                    false },
        [KEY_READY]            = { "ready",            IN_GROUP,                    false },
        [KEY_START_TIMEOUT]    = { "start_timeout",    IN_GROUP,                    false },
        [KEY_INSTANCES]        = { "instances",        IN_GROUP,                    false },
        [KEY_MAILBOX]          = { "mailbox",          IN_GROUP,                    false },
        [KEY_MESSAGE_MAX]      = { "message_max",      IN_GROUP,                    false },
        [KEY_REDELIVER]        = { "redeliver",        IN_GROUP,                    false },
        [KEY_HEALTH]           = { "health",           IN_GROUP,                    true  },
        [KEY_HEALTH_INTERVAL]  = { "health_interval",  IN_GROUP,                    false },
        [KEY_HEALTH_TIMEOUT]   = { "health_timeout",   IN_GROUP,                    false },
        [KEY_HEALTH_THRESHOLD] = { "health_threshold", IN_GROUP,                    false },
        [KEY_HEALTH_GRACE]     = { "health_grace",     IN_GROUP,                    false },
        [KEY_USER]             = { "user",             IN_GROUP,                    false },
        [KEY_WORKDIR]          = { "workdir",          IN_GROUP,                    false },
        [KEY_ENVIRONMENT]      = { "environment",      IN_GROUP,                    true  },
        [KEY_STDOUT]           = { "stdout",           IN_GROUP,                    false },
        [KEY_STDERR]           = { "stderr",           IN_GROUP,                    false },
        [KEY_LOG_MAX]          = { "log_max",          IN_GROUP,                    false },
        [KEY_LOG_KEEP]         = { "log_keep",         IN_GROUP,                    false },
        [KEY_MEMORY_MAX]       = { "memory_max",       IN_GROUP,                    false },
        [KEY_MEMORY_HIGH]      = { "memory_high",      IN_GROUP,                    false },
        [KEY_PIDS_MAX]         = { "pids_max",         IN_GROUP,                    false },
        [KEY_CPU_WEIGHT]       = { "cpu_weight",       IN_GROUP,                    false },
        [KEY_CPU_MAX]          = { "cpu_max",          IN_GROUP,                    false },
        [KEY_IO_WEIGHT]        = { "io_weight",        IN_GROUP,                    false },
};

/* Raw key values of one section, as read. */
typedef struct raw_section {
        char *value[_KEY_MAX];
        unsigned line[_KEY_MAX];
} raw_section;

typedef struct cfg_error {
        unsigned line;
        size_t seq;                     /* order found: kept among errors of one line */
        char *text;
} cfg_error;

#define ERRORS_KEPT_MAX 1000

typedef struct loader {
        cfg *c;
        FILE *f;
        FILE *err;
        unsigned n_errors;
        cfg_error *errors;              /* shown by errors_flush(), sorted by line */
        size_t n_kept, errors_cap;

        /* Reader state: the line libinih is handling right now. */
        char buf[CFG_LINE_MAX + 1];     /* the line being read */
        unsigned line;
        bool have_prev_key;
        bool in_bad_section;            /* after an unknown section, already reported */
        bool stop;                      /* a fatal reader error: report EOF to libinih */

        section_kind kind;
        int cur;                        /* node index for SECTION_SUPERVISOR/GROUP */
        key_id last_key;
        size_t last_len, last_cap;      /* of last_key's value: continuation lines append in place */

        raw_section airsupd;
        unsigned airsupd_line;
        raw_section *raw;               /* parallel to c->nodes */
        size_t nodes_cap;               /* of c->nodes and raw, grown by doubling */
} loader;

static void loader_error(loader *l, unsigned line, const char *fmt, ...) _printf_(3, 4);

static void loader_error(loader *l, unsigned line, const char *fmt, ...) {
        cfg_error *e;
        va_list ap;
        int r;

        l->n_errors++;
        if (!l->err)
                return;
        if (l->n_kept == ERRORS_KEPT_MAX)
                return;                 /* counted, said at the end */
        if (l->n_kept == l->errors_cap) {
                size_t cap = l->errors_cap ? l->errors_cap * 2 : 16;
                e = reallocarray(l->errors, cap, sizeof(cfg_error));
                if (!e) {
                        l->stop = true;
                        return;
                }
                l->errors = e;
                l->errors_cap = cap;
        }
        e = &l->errors[l->n_kept];
        e->line = line;
        e->seq = l->n_kept;
        va_start(ap, fmt);
        r = vasprintf(&e->text, fmt, ap);
        va_end(ap);
        if (r < 0) {
                l->stop = true;
                return;
        }
        l->n_kept++;
}

static int by_line(const void *a, const void *b) {
        const cfg_error *x = a, *y = b;

        if (x->line != y->line)
                return x->line < y->line ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The errors, in the order of the lines they name (the second pass finds
 * them per node and per key, not per line). */
static void errors_flush(loader *l) {
        if (l->n_kept > 0)
                qsort(l->errors, l->n_kept, sizeof(cfg_error), by_line);
        for (size_t i = 0; i < l->n_kept; i++) {
                fprintf(l->err, "%s:%u: %s\n", l->c->path, l->errors[i].line, l->errors[i].text);
                free(l->errors[i].text);
        }
        if (l->err && l->n_errors > l->n_kept)
                fprintf(l->err, "%s: %u more errors not shown\n", l->c->path, l->n_errors - (unsigned) l->n_kept);
        free(l->errors);
        l->errors = NULL;
        l->n_kept = 0;
}

/* strdup() that stops the load on out-of-memory: a configuration that
 * lost a value (a user, a path) must fail to load, never run without it. */
static char *loader_strdup(loader *l, const char *s) {
        char *d = strdup(s);

        if (!d)
                l->stop = true;
        return d;
}

/* FNV-1a: names are short and chosen by the configuration's author. */
static uint64_t name_hash(const char *s) {
        uint64_t h = UINT64_C(14695981039346656037);

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * UINT64_C(1099511628211);
        return h;
}

static void index_put(int32_t *slots, size_t cap, const char *name, int32_t i) {
        size_t k = (size_t) name_hash(name) & (cap - 1);

        while (slots[k] >= 0)
                k = (k + 1) & (cap - 1);
        slots[k] = i;
}

/* Adds nodes[I] (named already) to the index, growing it to keep it at
 * most half full: a look-up by name stays O(1) however big the tree. */
static int index_add(cfg *c, size_t i) {
        if ((i + 1) * 2 > c->by_name_cap) {
                size_t cap = c->by_name_cap ? c->by_name_cap * 2 : 64;
                int32_t *a = malloc(cap * sizeof(int32_t));

                if (!a)
                        return -ENOMEM;
                memset(a, 0xff, cap * sizeof(int32_t));
                for (size_t k = 0; k < i; k++)
                        index_put(a, cap, c->nodes[k].name, (int32_t) k);
                free(c->by_name);
                c->by_name = a;
                c->by_name_cap = cap;
        }
        index_put(c->by_name, c->by_name_cap, c->nodes[i].name, (int32_t) i);
        return 0;
}

int cfg_find(const cfg *c, const char *name) {
        if (!c->by_name) {
                for (size_t i = 0; i < c->n_nodes; i++)
                        if (strcmp(c->nodes[i].name, name) == 0)
                                return (int) i;
                return -ENOENT;
        }
        for (size_t k = (size_t) name_hash(name) & (c->by_name_cap - 1);; k = (k + 1) & (c->by_name_cap - 1)) {
                int32_t i = c->by_name[k];
                if (i < 0)
                        return -ENOENT;
                if (strcmp(c->nodes[i].name, name) == 0)
                        return i;
        }
}

static int add_node(loader *l, const char *name, bool supervisor, unsigned line) {
        cfg *c = l->c;
        cfg_node *n;
        raw_section *r;

        if (c->n_nodes == l->nodes_cap) {
                /* Doubling: a file of many sections is read in linear time. */
                size_t cap = l->nodes_cap ? l->nodes_cap * 2 : 16;

                n = reallocarray(c->nodes, cap, sizeof(cfg_node));
                if (!n)
                        return -ENOMEM;
                c->nodes = n;
                r = reallocarray(l->raw, cap, sizeof(raw_section));
                if (!r)
                        return -ENOMEM;
                l->raw = r;
                l->nodes_cap = cap;
        }

        n = &c->nodes[c->n_nodes];
        *n = (cfg_node) {
                .supervisor = supervisor,
                .line = line,
                .parent = -1,
        };
        l->raw[c->n_nodes] = (raw_section) {};
        n->name = strdup(name);
        if (!n->name || index_add(c, c->n_nodes) < 0) {
                free(n->name);
                n->name = NULL;
                return -ENOMEM;
        }
        return (int) c->n_nodes++;
}

/* A section header: remember which node the following keys belong to. */
static void section_header(loader *l, const char *p) {
        const char *end = strchr(p, ']');
        _cleanup_free_ char *name = NULL;
        const char *colon, *id;
        bool supervisor;
        int i;

        l->kind = SECTION_NONE;
        l->cur = -1;

        if (!end) {
                loader_error(l, l->line, "malformed section header: missing ']'");
                return;
        }
        name = strndup(p + 1, (size_t) (end - p - 1));
        if (!name) {
                l->stop = true;
                return;
        }

        if (strcmp(name, "airsupd") == 0) {
                if (l->airsupd_line > 0)
                        loader_error(l, l->line, "duplicate section [airsupd] (first at line %u)",
                                     l->airsupd_line);
                else
                        l->airsupd_line = l->line;
                l->kind = SECTION_AIRSUPD;
                return;
        }

        colon = strchr(name, ':');
        if (!colon) {
                loader_error(l, l->line, "unknown section [%s] (expected [airsupd], "
                             "[supervisor:NAME] or [group:NAME])", name);
                return;
        }
        id = colon + 1;
        if (strncmp(name, "supervisor:", 11) == 0)
                supervisor = true;
        else if (strncmp(name, "group:", 6) == 0)
                supervisor = false;
        else {
                loader_error(l, l->line, "unknown section [%s] (expected [airsupd], "
                             "[supervisor:NAME] or [group:NAME])", name);
                return;
        }
        if (cfg_parse_name(id) < 0) {
                loader_error(l, l->line, "invalid name '%s': use 1-64 letters, digits, '_', '-' "
                             "or '.', starting with a letter or digit", id);
                return;
        }

        i = cfg_find(l->c, id);
        if (i == CFG_ROOT && supervisor && l->c->nodes[CFG_ROOT].line == 0) {
                /* [supervisor:root] configures the implicit root. */
                l->c->nodes[CFG_ROOT].line = l->line;
        } else if (i >= 0) {
                const cfg_node *o = &l->c->nodes[i];
                if (i == CFG_ROOT && !supervisor)
                        loader_error(l, l->line, "'root' is the implicit root supervisor, "
                                     "not a group name");
                else
                        loader_error(l, l->line, "duplicate name '%s' (first defined at line %u)",
                                     id, o->line);
                return;
        } else if (l->c->n_nodes > CFG_NODES_MAX) {
                /* The implicit root is not counted.  What follows is not
                 * read: the file is refused, and reading on would only
                 * cost time and memory. */
                loader_error(l, l->line, "more than %u supervisors and groups", CFG_NODES_MAX);
                l->stop = true;
                return;
        } else {
                i = add_node(l, id, supervisor, l->line);
                if (i < 0) {
                        l->stop = true;
                        return;
                }
        }

        l->kind = supervisor ? SECTION_SUPERVISOR : SECTION_GROUP;
        l->cur = i;
}

static raw_section *current_raw(loader *l) {
        switch (l->kind) {
        case SECTION_AIRSUPD:
                return &l->airsupd;
        case SECTION_SUPERVISOR:
        case SECTION_GROUP:
                return &l->raw[l->cur];
        default:
                return NULL;
        }
}

/* Cuts an inline comment off V: a ';' after whitespace, outside quotes
 * (the quoting of cfg_split_argv(): '...', "..." with \ escapes, and \
 * outside them), then trailing whitespace.  Quoted text is never a
 * comment: command = sh -c 'a ; b' keeps its ';'. */
static void strip_inline_comment(char *v) {
        bool single = false, dbl = false, blank_before = false;
        size_t len;

        for (size_t i = 0; v[i]; i++) {
                char c = v[i];
                bool blank = false;

                if (single)
                        single = c != '\'';
                else if (c == '\\' && v[i + 1])
                        i++;            /* an escaped blank is not a blank before a comment */
                else if (dbl)
                        dbl = c != '"';
                else if (c == '\'')
                        single = true;
                else if (c == '"')
                        dbl = true;
                else if (c == ';' && blank_before) {
                        v[i] = '\0';
                        break;
                } else
                        blank = isspace((unsigned char) c);
                blank_before = blank;
        }
        len = strlen(v);
        while (len > 0 && isspace((unsigned char) v[len - 1]))
                v[--len] = '\0';
}

/* An indented line after a key: more of that key's value. */
static void continue_key(loader *l, char *value) {
        raw_section *raw = current_raw(l);
        key_id k = l->last_key;
        char *joined;
        size_t len;

        if (!raw || k == _KEY_MAX)
                return;                 /* continues an unknown key or section, already reported */
        if (!keys[k].multiline) {
                loader_error(l, l->line, "indented line: '%s' does not continue on another line", keys[k].name);
                return;
        }
        if (!raw->value[k])
                return;                 /* the first line was already an error */
        if (!*value)
                return;
        len = strlen(value);
        if (l->last_len + 1 + len > CFG_VALUE_MAX) {
                /* Said once: the key's further lines are not read. */
                loader_error(l, l->line, "'%s' longer than %u bytes", keys[k].name, CFG_VALUE_MAX);
                l->last_key = _KEY_MAX;
                return;
        }
        /* Appended in place, the buffer doubling: joining each line anew
         * made a long value cost the square of its length. */
        if (l->last_len + 1 + len + 1 > l->last_cap) {
                size_t cap = l->last_cap * 2 > l->last_len + 1 + len + 1 ? l->last_cap * 2 : l->last_len + 1 + len + 1;

                joined = realloc(raw->value[k], cap);
                if (!joined) {
                        l->stop = true;
                        return;
                }
                raw->value[k] = joined;
                l->last_cap = cap;
        }
        raw->value[k][l->last_len] = ' ';
        memcpy(raw->value[k] + l->last_len + 1, value, len + 1);
        l->last_len += 1 + len;
}

/* NAME = VALUE in the current section. */
static void set_key(loader *l, const char *name, const char *value) {
        raw_section *raw = current_raw(l);
        int k;

        l->last_key = _KEY_MAX;
        if (l->kind == SECTION_NONE) {
                /* Keys of an unknown section were reported with its header. */
                if (!l->in_bad_section)
                        loader_error(l, l->line, "key '%s' outside of any section", name);
                return;
        }
        for (k = 0; k < _KEY_MAX; k++)
                if (strcmp(keys[k].name, name) == 0)
                        break;
        if (k == _KEY_MAX || !(keys[k].sections & (1u << l->kind))) {
                if (l->kind == SECTION_AIRSUPD)
                        loader_error(l, l->line, "unknown key '%s' in [airsupd]", name);
                else
                        loader_error(l, l->line, "unknown key '%s' in [%s:%s]", name,
                                     l->kind == SECTION_GROUP ? "group" : "supervisor", l->c->nodes[l->cur].name);
                return;
        }
        if (raw->line[k] > 0) {
                loader_error(l, l->line, "duplicate key '%s' (first set at line %u)", name, raw->line[k]);
                return;
        }
        l->last_key = (key_id) k;
        raw->value[k] = loader_strdup(l, value);
        raw->line[k] = l->line;
        l->last_len = strlen(value);
        l->last_cap = l->last_len + 1;
}

/* One line (without its newline) of the file. */
static void parse_line(loader *l, char *line) {
        char *start = line + strspn(line, " \t\r\v\f"), *sep, *name, *value;
        bool indented = start > line;

        if (*start == '\0' || *start == ';' || *start == '#')
                return;
        if (indented && l->have_prev_key) {
                strip_inline_comment(start);
                continue_key(l, start);
                return;
        }
        if (*start == '[') {
                char *end = strchr(start, ']');

                l->have_prev_key = false;
                l->last_key = _KEY_MAX;
                if (end) {
                        char *rest = end + 1;
                        strip_inline_comment(rest);
                        if (*(rest + strspn(rest, " \t\r\v\f"))) {
                                loader_error(l, l->line, "unexpected text after ']'");
                                l->kind = SECTION_NONE;
                                l->in_bad_section = true;
                                return;
                        }
                }
                section_header(l, start);
                l->in_bad_section = l->kind == SECTION_NONE;
                return;
        }
        sep = strpbrk(start, "=:");
        if (!sep) {
                loader_error(l, l->line, "expected 'key = value' or '[section]'");
                return;
        }
        l->have_prev_key = true;
        *sep = '\0';
        name = start;
        for (size_t n = strlen(name); n > 0 && isspace((unsigned char) name[n - 1]);)
                name[--n] = '\0';
        value = sep + 1 + strspn(sep + 1, " \t\r\v\f");
        strip_inline_comment(value);
        if (!*name) {
                loader_error(l, l->line, "expected 'key = value' or '[section]'");
                l->last_key = _KEY_MAX;
                return;
        }
        set_key(l, name, value);
}

/* Reads the file line by line, in bounded memory: a line may hold at most
 * CFG_LINE_MAX bytes, unless it is a comment (kept only as far as needed
 * to see that it is one); the file at most CFG_FILE_MAX bytes.  A NUL
 * byte, an over-long line or an over-large file stops the reading with
 * an error, so that /dev/zero or a binary file ends at once. */
static void read_lines(loader *l) {
        char *buf = l->buf;
        size_t total = 0;

        for (;;) {
                size_t len = 0;
                bool too_long = false, nul = false, eof;
                char first = '\0';             /* the line's first non-blank byte */
                int ch;

                while ((ch = getc_unlocked(l->f)) != EOF && ch != '\n') {
                        if (++total > CFG_FILE_MAX) {
                                loader_error(l, l->line + 1, "file larger than %u MiB", CFG_FILE_MAX >> 20);
                                l->stop = true;
                                return;
                        }
                        if (ch == '\0')
                                nul = true;
                        if (!first && !strchr(" \t\r\v\f", ch))
                                first = (char) ch;
                        if (len < CFG_LINE_MAX)
                                buf[len++] = (char) ch;
                        else
                                too_long = true;
                        /* A NUL or an over-long non-comment line is an
                         * error whatever follows: no need to read on. */
                        if (nul || (too_long && first != ';' && first != '#'))
                                break;
                }
                eof = ch == EOF;
                if (eof && len == 0 && !nul && !too_long)
                        return;
                l->line++;
                buf[len] = '\0';
                if (nul) {
                        loader_error(l, l->line, "NUL byte in line");
                        l->stop = true;
                        return;
                }
                if (l->line == 1 && strncmp(buf, "\xEF\xBB\xBF", 3) == 0)
                        memmove(buf, buf + 3, len - 2);
                if (too_long) {
                        if (first != ';' && first != '#') {
                                loader_error(l, l->line, "line too long (at most %u bytes); continue a long "
                                             "value on indented lines", CFG_LINE_MAX);
                                l->stop = true;
                                return;
                        }
                        buf[0] = '\0';  /* a long comment: fine */
                }
                parse_line(l, buf);
                if (l->stop || eof)
                        return;
        }
}

/* Second pass: every key is a row of key_rows[] below, naming the field it
 * sets (an offset into cfg_node, or into cfg for [airsupd]), its default
 * and the parser that turns its raw text into the field or reports
 * FILE:LINE (STYLE rule 18).  What involves more than one key (stderr
 * following stdout, backoff_max against backoff, the lane geometry) is
 * checked after the rows, in finish_group(). */
typedef struct key_row key_row;
typedef void (*key_parser)(loader *l, const key_row *k, const char *v, unsigned line, void *base);

struct key_row {
        key_id key;
        key_parser parse;
        size_t offset;                  /* of the field, into cfg_node (cfg for [airsupd]) */
        size_t size;                    /* of the field: 4 or 8 bytes where DEF is set */
        uint64_t def;                   /* set before parsing; 0 for most */
        unsigned min, max;              /* parse_unsigned */
        int (*from_string)(const char *s);      /* parse_enum */
        const char *expected;           /* parse_enum: the words it takes */
};

#define FIELD(base, k, type) ((type *) ((char *) (base) + (k)->offset))
#define NAME(k) (keys[(k)->key].name)

static void parse_unsigned(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        if (cfg_parse_unsigned(v, k->min, k->max, FIELD(base, k, unsigned)) < 0)
                loader_error(l, line, "%s: expected a whole number from %u to %u, got '%s'",
                             NAME(k), k->min, k->max, v);
}

static void parse_duration(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        if (cfg_parse_duration(v, FIELD(base, k, uint64_t)) < 0)
                loader_error(l, line, "%s: invalid duration '%s' (use e.g. 250ms, 5s, 2m, 1h)", NAME(k), v);
}

/* A size in bytes: a number with K, M or G (powers of 1024) after it. */
static void parse_size(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        uint64_t *field = FIELD(base, k, uint64_t), n;

        if (cfg_parse_size(v, &n) == 0 && (n == 0 || n >= 4096)) {
                *field = n;
                return;
        }
        loader_error(l, line, "%s: expected 0 or a size from 4096 bytes to 1024G (e.g. 10M, 512K), got '%s'",
                     NAME(k), v);
}

/* A lane's capacity: checked with message_max once both are known. */
static void parse_capacity(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        if (cfg_parse_size(v, FIELD(base, k, uint64_t)) < 0)
                loader_error(l, line, "%s: expected a size in bytes (e.g. 64K, 256K, 4M), got '%s'", NAME(k), v);
}

static void parse_positive_duration(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        uint64_t *field = FIELD(base, k, uint64_t);

        if (cfg_parse_duration(v, field) < 0)
                parse_duration(l, k, v, line, base);
        else if (*field == 0)
                loader_error(l, line, "%s: must be longer than 0", NAME(k));
}

static void parse_enum(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        int r = k->from_string(v);

        if (r < 0)
                loader_error(l, line, "%s: expected %s, got '%s'", NAME(k), k->expected, v);
        else
                *FIELD(base, k, int) = r;
}

static void parse_cgroup(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        parse_enum(l, k, v, line, base);
        ((cfg *) base)->cgroup_line = line;
}

/* memory_max, ...: the row's MIN is the cfg_limit_kind. */
static void parse_limit(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        static const char *const expected[_CFG_LIMIT_MAX] = {
                [CFG_LIMIT_MEMORY_MAX] = "bytes (512M, 2G), a percentage of RAM (50%) or infinity",
                [CFG_LIMIT_MEMORY_HIGH] = "bytes (512M, 2G), a percentage of RAM (50%) or infinity",
                [CFG_LIMIT_PIDS_MAX] = "a count from 1 to 4194304 or infinity",
                [CFG_LIMIT_CPU_WEIGHT] = "a weight from 1 to 10000",
                [CFG_LIMIT_CPU_MAX] = "a percentage of one CPU from 1% (200% is two) or infinity",
                [CFG_LIMIT_IO_WEIGHT] = "a weight from 1 to 10000",
        };
        cfg_node *n = base;
        cfg_limit_kind kind = (cfg_limit_kind) k->min;

        if (cfg_parse_limit(kind, v, &n->limits[kind]) < 0)
                loader_error(l, line, "%s: expected %s, got '%s'", NAME(k), expected[kind], v);
        else
                n->limits[kind].line = line;
}

static void parse_string(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        (void) line;
        *FIELD(base, k, char *) = loader_strdup(l, v);
}

static void parse_parent(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        cfg_node *n = base;

        parse_string(l, k, v, line, base);
        n->parent_line = line;
}

/* A group's command, environment, workdir and output paths may hold
 * %i, %n, %g and %%, replaced per process when it starts. */
static bool specifiers_ok(loader *l, const key_row *k, const char *v, unsigned line) {
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

static void parse_absolute_path(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        if (keys[k->key].sections == IN_GROUP && !specifiers_ok(l, k, v, line))
                return;
        if (k->key == KEY_WORKDIR)
                ((cfg_node *) base)->workdir_line = line;
        if (v[0] != '/')
                loader_error(l, line, "%s: must be an absolute path, got '%s'", NAME(k), v);
        else
                parse_string(l, k, v, line, base);
}

static void parse_control(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        cfg *c = base;

        if (strlen(v) >= 108)
                loader_error(l, line, "%s: socket path longer than 107 bytes", NAME(k));
        else {
                parse_absolute_path(l, k, v, line, base);
                c->control_line = line;
        }
}

/* HOST:PORT for an HTTP endpoint: an IPv4 address or [IPv6], a port. */
static void parse_listen(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        struct sockaddr_storage sa;
        socklen_t len;

        if (cfg_parse_listen(v, &sa, &len) < 0)
                loader_error(l, line, "%s: expected ADDRESS:PORT (e.g. 127.0.0.1:9464 or [::1]:9464), got '%s'",
                             NAME(k), v);
        else
                parse_string(l, k, v, line, base);
}

static void parse_control_group(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        if (!getgrnam(v))
                loader_error(l, line, "%s: no such group '%s'", NAME(k), v);
        else
                parse_string(l, k, v, line, base);
}

static void parse_command(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
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

static void parse_shutdown(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        cfg_node *n = base;

        if (strcmp(v, "brutal_kill") == 0)
                n->shutdown = CFG_SHUTDOWN_BRUTAL_KILL;
        else if (strcmp(v, "infinity") == 0)
                n->shutdown = CFG_SHUTDOWN_INFINITY;
        else if (cfg_parse_duration(v, &n->shutdown_usec) < 0)
                loader_error(l, line, "%s: expected a duration, brutal_kill or infinity, got '%s'", NAME(k), v);
}

static void parse_stop_signal(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        int *sig = FIELD(base, k, int);

        if (cfg_parse_signal(v, sig) < 0)
                loader_error(l, line, "%s: unknown signal '%s'", NAME(k), v);
        else if (*sig == SIGKILL)
                loader_error(l, line, "%s: use 'shutdown = brutal_kill' instead of KILL", NAME(k));
}

static void parse_ready(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        cfg_node *n = base;

        if (strcmp(v, "none") == 0)
                n->ready = CFG_READY_NONE;
        else if (strcmp(v, "notify") == 0)
                n->ready = CFG_READY_NOTIFY;
        else if (cfg_parse_duration(v, &n->ready_usec) == 0)
                n->ready = CFG_READY_DELAY;
        else
                loader_error(l, line, "%s: expected none, notify or a duration, got '%s'", NAME(k), v);
}

static void parse_health(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
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

static void parse_user(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        unsigned uid;

        if (!getpwnam(v) && !(cfg_parse_unsigned(v, 0, 0xfffffffeu, &uid) == 0 && getpwuid((uid_t) uid)))
                loader_error(l, line, "%s: no such user '%s'", NAME(k), v);
        else
                parse_string(l, k, v, line, base);
}

static void parse_environment(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
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

/* stdout and stderr: the field is the cfg_output, its path follows it
 * in cfg_node (out, out_path; err, err_path). */
static void parse_output(loader *l, const key_row *k, const char *v, unsigned line, void *base) {
        cfg_node *n = base;
        cfg_output *field = FIELD(base, k, cfg_output);
        char **path = k->key == KEY_STDOUT ? &n->out_path : &n->err_path;

        if (k->key == KEY_STDERR && strcmp(v, "stdout") == 0)
                return;                 /* follows stdout: finish_group() */
        if (strcmp(v, "inherit") == 0)
                *field = CFG_OUTPUT_INHERIT;
        else if (strcmp(v, "console") == 0)
                *field = CFG_OUTPUT_CONSOLE;
        else if (strcmp(v, "null") == 0)
                *field = CFG_OUTPUT_NULL;
        else if (strcmp(v, "journal") == 0)
                *field = CFG_OUTPUT_JOURNAL;
        else if ((strncmp(v, "file:", 5) == 0 && v[5] == '/') || (strncmp(v, "log:", 4) == 0 && v[4] == '/')) {
                bool file = v[0] == 'f';
                if (!specifiers_ok(l, k, v, line))
                        return;
                *field = file ? CFG_OUTPUT_FILE : CFG_OUTPUT_LOG;
                *(k->key == KEY_STDOUT ? &n->out_line : &n->err_line) = line;
                free(*path);
                *path = loader_strdup(l, v + (file ? 5 : 4));
                return;
        } else
                loader_error(l, line, "%s: expected inherit, null, journal, console, file:/ABSOLUTE/PATH or "
                             "log:/ABSOLUTE/PATH%s, got '%s'", NAME(k), k->key == KEY_STDERR ? " or stdout" : "", v);
}

#define NODE(f) offsetof(cfg_node, f), sizeof(((cfg_node *) 0)->f)
#define TOP(f) offsetof(cfg, f), sizeof(((cfg *) 0)->f)
static const key_row key_rows[] = {
        { KEY_CONTROL,          parse_control,           TOP(control), .def = 0 },
        { KEY_CONTROL_GROUP,    parse_control_group,     TOP(control_group), .def = 0 },
        { KEY_EVENTS,           parse_unsigned,          TOP(events), .def = 1000, .min = 1, .max = 1000000 },
        { KEY_DEAD_LETTERS,     parse_unsigned,          TOP(dead_letters), .def = 100, .min = 0, .max = 100000 },
        { KEY_STATE_DIR,        parse_absolute_path,     TOP(state_dir), .def = 0 },
        { KEY_METRICS_LISTEN,   parse_listen,            TOP(metrics_listen), .def = 0 },
        { KEY_CGROUP,           parse_cgroup,            TOP(cgroup), .def = 0,
          .from_string = cfg_cgroup_from_string, .expected = "auto, off or required" },
        { KEY_PARENT,           parse_parent,            NODE(parent_name), .def = 0 },
        { KEY_RESTART,          parse_enum,              NODE(restart), .def = CFG_RESTART_PERMANENT,
          .from_string = cfg_restart_from_string, .expected = "permanent, transient or temporary" },
        { KEY_STRATEGY,         parse_enum,              NODE(strategy), .def = CFG_ONE_FOR_ONE,
          .from_string = cfg_strategy_from_string, .expected = "one_for_one, one_for_all or rest_for_one" },
        { KEY_INTENSITY,        parse_unsigned,          NODE(intensity), .def = 5, .min = 0, .max = 1000000 },
        { KEY_PERIOD,           parse_positive_duration, NODE(period_usec), .def = 10 * USEC_PER_SEC },
        { KEY_COMMAND,          parse_command,           NODE(command), .def = 0 },
        { KEY_SHUTDOWN,         parse_shutdown,          NODE(shutdown_usec), .def = 5 * USEC_PER_SEC },
        { KEY_STOP_SIGNAL,      parse_stop_signal,       NODE(stop_signal), .def = SIGTERM },
        { KEY_BACKOFF,          parse_duration,          NODE(backoff_usec), .def = 100 * USEC_PER_MSEC },
        { KEY_BACKOFF_MAX,      parse_duration,          NODE(backoff_max_usec), .def = 30 * USEC_PER_SEC },
        { KEY_READY,            parse_ready,             NODE(ready), .def = 0 },
        { KEY_START_TIMEOUT,    parse_positive_duration, NODE(start_timeout_usec), .def = 30 * USEC_PER_SEC },
        { KEY_INSTANCES,        parse_unsigned,          NODE(instances), .def = 1, .min = 1, .max = 4096 },
        { KEY_MAILBOX,          parse_capacity,          NODE(mailbox), .def = 256u << 10 },
        { KEY_MESSAGE_MAX,      parse_unsigned,          NODE(message_max), .def = 4096, .min = 1, .max = SHM_MESSAGE_MAX },
        { KEY_REDELIVER,        parse_unsigned,          NODE(redeliver), .def = 3, .min = 0, .max = 1000 },
        { KEY_HEALTH,           parse_health,            NODE(health), .def = 0 },
        { KEY_HEALTH_INTERVAL,  parse_positive_duration, NODE(health_interval_usec), .def = USEC_PER_SEC },
        { KEY_HEALTH_TIMEOUT,   parse_positive_duration, NODE(health_timeout_usec), .def = 500 * USEC_PER_MSEC },
        { KEY_HEALTH_THRESHOLD, parse_unsigned,          NODE(health_threshold), .def = 3, .min = 1, .max = 1000 },
        { KEY_HEALTH_GRACE,     parse_duration,          NODE(health_grace_usec), .def = 0 },
        { KEY_USER,             parse_user,              NODE(user), .def = 0 },
        { KEY_WORKDIR,          parse_absolute_path,     NODE(workdir), .def = 0 },
        { KEY_ENVIRONMENT,      parse_environment,       NODE(environment), .def = 0 },
        { KEY_STDOUT,           parse_output,            NODE(out), .def = 0 },
        { KEY_STDERR,           parse_output,            NODE(err), .def = 0 },
        { KEY_LOG_MAX,          parse_size,              NODE(log_max), .def = 10u << 20 },
        { KEY_LOG_KEEP,         parse_unsigned,          NODE(log_keep), .def = 5, .min = 0, .max = 1000 },
        { KEY_MEMORY_MAX,       parse_limit,             NODE(limits), .min = CFG_LIMIT_MEMORY_MAX },
        { KEY_MEMORY_HIGH,      parse_limit,             NODE(limits), .min = CFG_LIMIT_MEMORY_HIGH },
        { KEY_PIDS_MAX,         parse_limit,             NODE(limits), .min = CFG_LIMIT_PIDS_MAX },
        { KEY_CPU_WEIGHT,       parse_limit,             NODE(limits), .min = CFG_LIMIT_CPU_WEIGHT },
        { KEY_CPU_MAX,          parse_limit,             NODE(limits), .min = CFG_LIMIT_CPU_MAX },
        { KEY_IO_WEIGHT,        parse_limit,             NODE(limits), .min = CFG_LIMIT_IO_WEIGHT },
};
#undef NODE
#undef TOP

/* The defaults of SECTION's keys, then each value R holds, in table order. */
static void apply_rows(loader *l, void *base, const raw_section *r, unsigned section) {
        for (size_t i = 0; i < ELEMENTSOF(key_rows); i++) {
                const key_row *k = &key_rows[i];

                if (!(keys[k->key].sections & section) || k->def == 0)
                        continue;
                if (k->size == sizeof(uint64_t))
                        *FIELD(base, k, uint64_t) = k->def;
                else
                        *FIELD(base, k, uint32_t) = (uint32_t) k->def;
        }
        for (size_t i = 0; i < ELEMENTSOF(key_rows); i++) {
                const key_row *k = &key_rows[i];

                if ((keys[k->key].sections & section) && r->value[k->key])
                        k->parse(l, k, r->value[k->key], r->line[k->key], base);
        }
}

static void finish_airsupd(loader *l) {
        apply_rows(l, l->c, &l->airsupd, IN_AIRSUPD);
}

static void finish_supervisor(loader *l, cfg_node *n, const raw_section *r) {
        apply_rows(l, n, r, IN_SUPERVISOR);
        if (n->parent_name && n - l->c->nodes == CFG_ROOT)
                loader_error(l, r->line[KEY_PARENT], "parent: the root supervisor has no parent");
}

/* The lanes' one geometry check (shm_lane_geometry_valid()), with the
 * line of the key that is wrong. */
static void lane_geometry_check(loader *l, cfg_node *n, const raw_section *r) {
        uint64_t c = n->mailbox;

        if (shm_lane_geometry_valid(c, n->message_max))
                return;
        if (c < SHM_CAPACITY_MIN || c > SHM_CAPACITY_MAX || (c & (c - 1)) != 0) {
                loader_error(l, r->line[KEY_MAILBOX], "mailbox: must be a power of two from 256 bytes to 1G "
                             "(e.g. 64K, 256K, 4M), got %llu bytes", (unsigned long long) c);
                return;
        }
        loader_error(l, r->value[KEY_MESSAGE_MAX] ? r->line[KEY_MESSAGE_MAX] : r->line[KEY_MAILBOX],
                     "message_max: at most a quarter of mailbox (%u bytes with mailbox = %llu), got %u",
                     shm_lane_message_max_for(c), (unsigned long long) c, n->message_max);
}

static void finish_group(loader *l, cfg_node *n, const raw_section *r) {
        /* The enums' defaults are their 0 (timeout, none, inherit). */
        apply_rows(l, n, r, IN_GROUP);

        if (!r->value[KEY_COMMAND])
                loader_error(l, n->line, "[group:%s] has no 'command ='", n->name);
        lane_geometry_check(l, n, r);
        if (n->backoff_max_usec < n->backoff_usec) {
                /* Only an explicit contradiction is an error; a long backoff
                 * with the default cap just means "no doubling". */
                if (r->value[KEY_BACKOFF_MAX])
                        loader_error(l, r->line[KEY_BACKOFF_MAX], "backoff_max must not be shorter "
                                     "than backoff");
                else
                        n->backoff_max_usec = n->backoff_usec;
        }
        /* stderr goes where stdout goes unless it is set itself. */
        if (!r->value[KEY_STDERR] || strcmp(r->value[KEY_STDERR], "stdout") == 0) {
                n->err = n->out;
                n->err_line = n->out_line;
                if (n->out_path)
                        n->err_path = loader_strdup(l, n->out_path);
        }
}

/* Follows the parents of every node once (three colours: a node is on
 * no path, on the path being followed, or done), so that cycles and
 * depths cost time linear in the number of nodes however the file is
 * ordered: following the parents of each node to the root was quadratic
 * in the depth, and a deep file froze the loop on every reload.  Each
 * cycle is reported once, at its node that comes first in the file; a
 * node nested deeper than CFG_DEPTH_MAX at its parent = line, once per
 * subtree that is too deep (at its top). */
static void check_tree(loader *l) {
        enum { WHITE, GREY, BLACK };
        cfg *c = l->c;
        _cleanup_free_ uint8_t *colour = calloc(c->n_nodes, sizeof(uint8_t));
        _cleanup_free_ bool *lost = calloc(c->n_nodes, sizeof(bool));  /* below a cycle or a bad parent */
        _cleanup_free_ size_t *path = malloc(c->n_nodes * sizeof(size_t));

        if (!colour || !lost || !path) {
                l->stop = true;
                return;
        }
        colour[CFG_ROOT] = BLACK;
        c->nodes[CFG_ROOT].depth = 0;
        for (size_t i = 1; i < c->n_nodes; i++) {
                size_t k = 0;
                unsigned depth;
                bool bad;
                int x;

                for (x = (int) i; x >= 0 && colour[x] == WHITE; x = c->nodes[x].parent) {
                        colour[x] = GREY;
                        path[k++] = (size_t) x;
                }
                if (x >= 0 && colour[x] == GREY) {
                        /* PATH ends with the cycle: from X to its end. */
                        size_t j = k, first = (size_t) x;

                        while (path[--j] != (size_t) x)
                                if (path[j] < first)
                                        first = path[j];
                        loader_error(l, c->nodes[first].parent_line, "parent: '%s' is part of a cycle "
                                     "of supervisors", c->nodes[first].name);
                        for (size_t m = j; m < k; m++) {
                                colour[path[m]] = BLACK;
                                lost[path[m]] = true;
                        }
                        k = j;
                        bad = true;
                        depth = 0;
                } else {
                        /* X < 0: a parent = that names no supervisor, reported already. */
                        bad = x < 0 || lost[x];
                        depth = x < 0 ? 0 : c->nodes[x].depth;
                }
                while (k-- > 0) {
                        cfg_node *n = &c->nodes[path[k]];

                        colour[path[k]] = BLACK;
                        lost[path[k]] = bad;
                        n->depth = ++depth;
                        if (!bad && depth == CFG_DEPTH_MAX + 1)
                                loader_error(l, n->parent_line, "parent: '%s' is nested deeper than %u levels "
                                             "below the root supervisor", n->name, CFG_DEPTH_MAX);
                }
        }
}

/* Links every node to its parent and rejects what cannot form a tree. */
static void link_tree(loader *l) {
        cfg *c = l->c;

        for (size_t i = 1; i < c->n_nodes; i++) {
                cfg_node *n = &c->nodes[i];
                int p;

                if (!n->parent_name) {
                        n->parent = CFG_ROOT;
                        continue;
                }
                p = cfg_find(c, n->parent_name);
                if (p < 0)
                        loader_error(l, n->parent_line, "parent: no supervisor called '%s'", n->parent_name);
                else if (!c->nodes[p].supervisor)
                        loader_error(l, n->parent_line, "parent: '%s' is a group, not a supervisor "
                                     "(line %u)", n->parent_name, c->nodes[p].line);
                else if ((size_t) p == i)
                        loader_error(l, n->parent_line, "parent: '%s' cannot be its own parent", n->name);
                else
                        n->parent = p;
        }
        check_tree(l);
}

static void raw_section_done(raw_section *r) {
        for (size_t k = 0; k < _KEY_MAX; k++)
                free(r->value[k]);
}

static void node_done(cfg_node *n) {
        free(n->name);
        free(n->parent_name);
        free(n->command);
        strv_free(n->argv);
        free(n->health_command);
        strv_free(n->health_argv);
        free(n->user);
        free(n->workdir);
        free(n->environment);
        strv_free(n->env);
        free(n->out_path);
        free(n->err_path);
}

cfg *cfg_free(cfg *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_nodes; i++)
                node_done(&c->nodes[i]);
        free(c->nodes);
        free(c->by_name);
        free(c->path);
        free(c->control);
        free(c->control_group);
        free(c->state_dir);
        free(c->metrics_listen);
        free(c);
        return NULL;
}

int cfg_load(const char *path, FILE *err, cfg **ret) {
        _cleanup_(cfg_freep) cfg *c = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        loader l = { .err = err, .cur = -1 };
        int r;

        /* A reload reads the file inside the event loop: a FIFO put in
         * its place must not hold the loop in open() or read(), so only
         * a regular file is read (opened without waiting for a writer). */
        {
                _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
                struct stat st;

                r = fd < 0 ? -errno : fstat(fd, &st) < 0 ? -errno :
                    S_ISDIR(st.st_mode) ? -EISDIR : !S_ISREG(st.st_mode) ? -EBADFD : 0;
                if (r >= 0 && fcntl(fd, F_SETFL, 0) < 0)
                        r = -errno;
                if (r >= 0) {
                        f = fdopen(fd, "r");
                        if (!f)
                                r = -errno;
                        else
                                TAKE_FD(fd);
                }
                if (r < 0) {
                        if (err)
                                fprintf(err, "%s: %s\n", path,
                                        r == -EBADFD ? "not a regular file" : strerror(-r));
                        return r;
                }
        }

        c = calloc(1, sizeof(cfg));
        if (!c)
                return -ENOMEM;
        c->path = strdup(path);
        if (!c->path)
                return -ENOMEM;
        l.c = c;
        l.f = f;

        r = add_node(&l, "root", /* supervisor= */ true, /* line= */ 0);
        if (r < 0)
                goto finish;

        read_lines(&l);
        if (l.stop && l.n_errors == 0) {
                r = -ENOMEM;
                if (err)
                        fprintf(err, "%s: out of memory\n", path);
                goto finish;
        }
        if (ferror(f)) {
                r = -EIO;
                if (err)
                        fprintf(err, "%s: read error\n", path);
                goto finish;
        }

        if (l.stop) {
                /* The file was not read to its end: what follows would only
                 * be errors about what was not read. */
                r = -EINVAL;
                goto finish;
        }

        finish_airsupd(&l);
        for (size_t i = 0; i < c->n_nodes; i++) {
                if (c->nodes[i].supervisor)
                        finish_supervisor(&l, &c->nodes[i], &l.raw[i]);
                else
                        finish_group(&l, &c->nodes[i], &l.raw[i]);
        }
        link_tree(&l);
        r = l.stop && l.n_errors == 0 ? -ENOMEM : l.n_errors > 0 ? -EINVAL : 0;
        if (r == -ENOMEM && err)
                fprintf(err, "%s: out of memory\n", path);

finish:
        raw_section_done(&l.airsupd);
        for (size_t i = 0; l.raw && i < c->n_nodes; i++)
                raw_section_done(&l.raw[i]);
        free(l.raw);
        errors_flush(&l);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}
