/* cfg-load.h - what the parts of cfg_load() share, and nothing else
 * includes: the loader's state and its helpers (cfg-load.c), the raw text
 * of each section as the reader (cfg-read.c) stores it, and the key rows
 * (cfg-keys.c) that the second pass (cfg.c) applies to it.  The parts
 * call downwards only: cfg.c drives cfg-read.c and cfg-keys.c, the reader
 * looks keys up in the rows, and all three call cfg-load.c, which calls
 * none of them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/cleanup.h"
#include "supervisor/config/cfg-keys.h"
#include "supervisor/config/cfg-types.h"

#define CFG_LINE_MAX 4096u              /* bytes in a line, comments excepted */
#define CFG_FILE_MAX (64u << 20)        /* bytes in a file */
#define CFG_VALUE_MAX (128u << 10)      /* bytes in a value, continuation lines joined */

/* Raw key values of one section, as read. */
typedef struct raw_section {
        char *value[_CFG_KEY_MAX];
        unsigned line[_CFG_KEY_MAX];
} raw_section;

typedef struct cfg_error {
        unsigned line;
        size_t seq;                     /* order found: kept among errors of one line */
        char *text;
} cfg_error;

typedef struct loader {
        cfg *c;
        FILE *f;
        FILE *err;
        unsigned n_errors;
        cfg_error *errors;              /* shown by errors_flush(), sorted by line */
        size_t n_kept, errors_cap;

        /* Reader state (cfg-read.c). */
        char buf[CFG_LINE_MAX + 1];     /* the line being read */
        unsigned line;
        bool have_prev_key;
        bool in_bad_section;            /* after an unknown section, already reported */
        bool stop;                      /* a fatal error: read no further */

        cfg_section kind;
        int cur;                        /* node index for CFG_SECTION_SUPERVISOR/GROUP */
        cfg_key last_key;               /* _CFG_KEY_MAX: none that an indented line may continue */
        size_t last_len, last_cap;      /* of last_key's value: continuation lines append in place */

        raw_section airsupd;
        unsigned airsupd_line;
        raw_section *raw;               /* parallel to c->nodes */
        size_t nodes_cap;               /* of c->nodes and raw, grown by doubling */
} loader;

/* A "FILE:LINE: message", shown sorted by line when the load ends. */
void loader_error(loader *l, unsigned line, const char *fmt, ...) _printf_(3, 4);
/* strdup() that stops the load on out-of-memory: a configuration that
 * lost a value (a user, a path) must fail to load, never run without it. */
char *loader_strdup(loader *l, const char *s);
/* A new node NAME; its index, or -ENOMEM. */
int loader_add_node(loader *l, const char *name, bool supervisor, unsigned line);
/* Index of the node called NAME, or -ENOENT (as cfg.h gives it to the
 * callers outside the loader). */
int cfg_find(const cfg *c, const char *name);

/* The first pass (cfg-read.c): every line of l->f into l->airsupd and
 * l->raw, as text. */
void cfg_read_lines(loader *l);

/* A key row (cfg-keys.h lists them). */
typedef struct cfg_key_row cfg_key_row;
typedef void (*cfg_key_parser)(loader *l, const cfg_key_row *k, const char *v, unsigned line, void *base);

typedef enum cfg_field_kind {
        CFG_FIELD_NONE,
        CFG_FIELD_SCALAR,               /* compared byte for byte */
        CFG_FIELD_STRING,               /* char *, NULL when unset */
        CFG_FIELD_LIMIT,                /* a cfg_limit: its line is not its value */
} cfg_field_kind;

typedef struct cfg_field {
        size_t offset;                  /* into cfg_node, or into cfg for [airsupd] */
        size_t size;
        cfg_field_kind kind;
        bool extra;                     /* OFFSET is into the node's cfg_extra */
} cfg_field;

struct cfg_key_row {
        const char *name;
        unsigned sections;              /* CFG_IN_*; 0: no key of the file, a change a plan names */
        cfg_reload reload;
        cfg_key_parser parse;
        cfg_field field;
        cfg_field also;                 /* a second field the key sets, compared with FIELD */
        uint64_t def;                   /* set before parsing, in FIELD (4 or 8 bytes); 0 for most */
        unsigned min, max;              /* parse_unsigned */
        int (*from_string)(const char *s);      /* parse_enum */
        const char *expected;           /* parse_enum: the words it takes */
        const char *shown;              /* in a plan, when rows are reported as one; else NAME */
        cfg_apply apply;                /* CFG_RELOAD_IN_PLACE: how a live node takes it */
        bool multiline;                 /* may continue on indented lines */
        cfg_limit_kind limit;           /* parse_limit */
};

extern const cfg_key_row cfg_key_rows[_CFG_KEY_MAX];

/* The row of the file's key called NAME (in whichever section), or NULL. */
const cfg_key_row *cfg_key_lookup(const char *name);
/* The defaults of SECTION's keys, then each value R holds, in row order,
 * into BASE (a cfg_node, or the cfg for [airsupd]). */
void cfg_keys_apply(loader *l, void *base, const raw_section *r, unsigned section);
/* Frees every string field (and second field) of SECTION's rows in BASE. */
void cfg_keys_free(void *base, unsigned section);
