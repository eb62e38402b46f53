/* cfg-load.c - what both passes of cfg_load() call: the errors, kept
 * to be shown sorted by line when the load ends (cfg.c), the loader's
 * strdup(), and the nodes with their index by name.  It calls neither
 * pass (cfg-read.c, cfg-keys.c) nor cfg.c, which drives them. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/config/cfg-load.h"

#define ERRORS_KEPT_MAX 1000

void loader_error(loader *l, unsigned line, const char *fmt, ...) {
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

char *loader_strdup(loader *l, const char *s) {
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

int loader_add_node(loader *l, const char *name, bool supervisor, unsigned line) {
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
