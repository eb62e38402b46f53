/* cfg-read.c - the first pass of cfg_load(): the file, line by line, into
 * the raw text of each section's keys (cfg-load.h), with the line each
 * was on.  Nothing here knows what a key means beyond its row's name,
 * sections and whether it continues on indented lines.
 *
 * The reader is our own, not libinih: libinih cuts inline comments before
 * its handler sees the value, quotes or not (a ';' inside
 * sh -c '...' cut the command), and reads a line into a fixed buffer, so
 * long comments were errors and /dev/zero was read for ever. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/config/cfg-load.h"
#include "supervisor/config/cfg-value.h"

/* A section header: remember which node the following keys belong to. */
static void section_header(loader *l, const char *p) {
        const char *end = strchr(p, ']');
        _cleanup_free_ char *name = NULL;
        const char *colon, *id;
        bool supervisor;
        int i;

        l->kind = CFG_SECTION_NONE;
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
                l->kind = CFG_SECTION_AIRSUPD;
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

        /* The sender name of what airsupctl sends (airsupctl(1) send,
         * publish): no group may have it, so none can pass for it. */
        if (strcmp(id, CFG_CTL_SENDER) == 0) {
                loader_error(l, l->line, "'%s' is the sender name of airsupctl's messages, not a name for a %s",
                             id, supervisor ? "supervisor" : "group");
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
                i = loader_add_node(l, id, supervisor, l->line);
                if (i < 0) {
                        l->stop = true;
                        return;
                }
        }

        l->kind = supervisor ? CFG_SECTION_SUPERVISOR : CFG_SECTION_GROUP;
        l->cur = i;
}

static raw_section *current_raw(loader *l) {
        switch (l->kind) {
        case CFG_SECTION_AIRSUPD:
                return &l->airsupd;
        case CFG_SECTION_SUPERVISOR:
        case CFG_SECTION_GROUP:
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
        cfg_key k = l->last_key;
        char *joined;
        size_t len;

        if (!raw || k == _CFG_KEY_MAX)
                return;                 /* continues an unknown key or section, already reported */
        if (!cfg_key_rows[k].multiline) {
                loader_error(l, l->line, "indented line: '%s' does not continue on another line", cfg_key_rows[k].name);
                return;
        }
        if (!raw->value[k])
                return;                 /* the first line was already an error */
        if (!*value)
                return;
        len = strlen(value);
        if (l->last_len + 1 + len > CFG_VALUE_MAX) {
                /* Said once: the key's further lines are not read. */
                loader_error(l, l->line, "'%s' longer than %u bytes", cfg_key_rows[k].name, CFG_VALUE_MAX);
                l->last_key = _CFG_KEY_MAX;
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
        const cfg_key_row *row;
        cfg_key k;

        l->last_key = _CFG_KEY_MAX;
        if (l->kind == CFG_SECTION_NONE) {
                /* Keys of an unknown section were reported with its header. */
                if (!l->in_bad_section)
                        loader_error(l, l->line, "key '%s' outside of any section", name);
                return;
        }
        row = cfg_key_lookup(name);
        if (!row || !(row->sections & (1u << l->kind))) {
                if (l->kind == CFG_SECTION_AIRSUPD)
                        loader_error(l, l->line, "unknown key '%s' in [airsupd]", name);
                else
                        loader_error(l, l->line, "unknown key '%s' in [%s:%s]", name,
                                     l->kind == CFG_SECTION_GROUP ? "group" : "supervisor", l->c->nodes[l->cur].name);
                return;
        }
        k = (cfg_key) (row - cfg_key_rows);
        if (raw->line[k] > 0) {
                loader_error(l, l->line, "duplicate key '%s' (first set at line %u)", name, raw->line[k]);
                return;
        }
        l->last_key = k;
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
                l->last_key = _CFG_KEY_MAX;
                if (end) {
                        char *rest = end + 1;
                        strip_inline_comment(rest);
                        if (*(rest + strspn(rest, " \t\r\v\f"))) {
                                loader_error(l, l->line, "unexpected text after ']'");
                                l->kind = CFG_SECTION_NONE;
                                l->in_bad_section = true;
                                return;
                        }
                }
                section_header(l, start);
                l->in_bad_section = l->kind == CFG_SECTION_NONE;
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
                l->last_key = _CFG_KEY_MAX;
                return;
        }
        set_key(l, name, value);
}

/* Reads the file line by line, in bounded memory: a line may hold at most
 * CFG_LINE_MAX bytes, unless it is a comment (kept only as far as needed
 * to see that it is one); the file at most CFG_FILE_MAX bytes.  A NUL
 * byte, an over-long line or an over-large file stops the reading with
 * an error, so that /dev/zero or a binary file ends at once. */
void cfg_read_lines(loader *l) {
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
