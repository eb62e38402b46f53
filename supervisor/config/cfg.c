/* cfg.c - loads airsup.conf(5) and validates it into a tree.
 *
 * Loading happens in two passes.  The first reads the file line by line
 * (cfg-read.c, in bounded memory) and stores each key's raw text and
 * line; continuation lines are appended to the value they continue.  The
 * second pass parses every value through its key's row (cfg-keys.c),
 * fills in defaults, checks what involves more than one key and links
 * the tree (here), so an error found late (a dangling parent, a cycle)
 * still names the line that caused it; errors are shown sorted by line. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "shm/shm.h"
#include "supervisor/config/cfg.h"
#include "supervisor/config/cfg-keys.h"
#include "supervisor/config/cfg-load.h"

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

static void finish_airsupd(loader *l) {
        cfg_keys_apply(l, l->c, &l->airsupd, CFG_IN_AIRSUPD);
}

static void finish_supervisor(loader *l, cfg_node *n, const raw_section *r) {
        cfg_keys_apply(l, n, r, CFG_IN_SUPERVISOR);
        if (n->parent_name && n - l->c->nodes == CFG_ROOT)
                loader_error(l, r->line[CFG_KEY_PARENT], "parent: the root supervisor has no parent");
}

/* The lanes' one geometry check (shm_lane_geometry_valid()), with the
 * line of the key that is wrong. */
static void lane_geometry_check(loader *l, cfg_node *n, const raw_section *r) {
        uint64_t c = n->mailbox;

        if (shm_lane_geometry_valid(c, n->message_max))
                return;
        if (c < SHM_CAPACITY_MIN || c > SHM_CAPACITY_MAX || (c & (c - 1)) != 0) {
                loader_error(l, r->line[CFG_KEY_MAILBOX], "mailbox: must be a power of two from 256 bytes to 1G "
                             "(e.g. 64K, 256K, 4M), got %llu bytes", (unsigned long long) c);
                return;
        }
        loader_error(l, r->value[CFG_KEY_MESSAGE_MAX] ? r->line[CFG_KEY_MESSAGE_MAX] : r->line[CFG_KEY_MAILBOX],
                     "message_max: at most a quarter of mailbox (%u bytes with mailbox = %llu), got %u",
                     shm_lane_message_max_for(c), (unsigned long long) c, n->message_max);
}

/* A bridge to NATS: one instance (two would import everything twice),
 * and what it exports and imports only with the servers to do it. */
static void nats_check(loader *l, cfg_node *n, const raw_section *r) {
        const cfg_extra *x = cfg_node_extra(n);
        static const int keys[] = { CFG_KEY_NATS_CREDENTIALS, CFG_KEY_NATS_TLS_CA, CFG_KEY_NATS_TLS_CERT,
                                    CFG_KEY_NATS_TLS_KEY, CFG_KEY_EXPORT, CFG_KEY_EXPORT_JETSTREAM,
                                    CFG_KEY_IMPORT, CFG_KEY_IMPORT_JETSTREAM };

        if (!r->value[CFG_KEY_NATS]) {
                for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                        if (r->value[keys[i]])
                                loader_error(l, r->line[keys[i]], "%s: only for a bridge to NATS (nats = its servers)",
                                             cfg_key_to_string((cfg_key) keys[i]));
                return;
        }
        if (n->instances > 1)
                loader_error(l, r->line[CFG_KEY_INSTANCES], "instances: a bridge to NATS runs one instance");
        if (!r->value[CFG_KEY_NATS_TLS_CERT] != !r->value[CFG_KEY_NATS_TLS_KEY])
                loader_error(l, r->line[r->value[CFG_KEY_NATS_TLS_CERT] ? CFG_KEY_NATS_TLS_CERT : CFG_KEY_NATS_TLS_KEY],
                             "nats_tls_cert and nats_tls_key go together (a client certificate and its key)");
        /* It says its connection and figures through sd_notify. */
        if (!r->value[CFG_KEY_READY])
                n->ready = CFG_READY_NOTIFY;
        for (int k = 0; k < 2; k++)
                for (unsigned i = 0; i < x->nats_export[k].n; i++)
                        for (int j = 0; j < 2; j++)
                                for (unsigned m = 0; m < x->nats_export[j].n; m++)
                                        if ((j > k || (j == k && m > i)) &&
                                            strcmp(x->nats_export[k].list[i], x->nats_export[j].list[m]) == 0)
                                                loader_error(l, x->nats_export[j].line,
                                                             "%s: '%s' is exported twice", j ? "export_jetstream" : "export",
                                                             x->nats_export[j].list[m]);
}

static void finish_group(loader *l, cfg_node *n, const raw_section *r) {
        /* The enums' defaults are their 0 (timeout, none, inherit). */
        cfg_keys_apply(l, n, r, CFG_IN_GROUP);

        if (!r->value[CFG_KEY_COMMAND])
                loader_error(l, n->line, "[group:%s] has no 'command ='", n->name);
        lane_geometry_check(l, n, r);
        if (n->backoff_max_usec < n->backoff_usec) {
                /* Only an explicit contradiction is an error; a long backoff
                 * with the default cap just means "no doubling". */
                if (r->value[CFG_KEY_BACKOFF_MAX])
                        loader_error(l, r->line[CFG_KEY_BACKOFF_MAX], "backoff_max must not be shorter "
                                     "than backoff");
                else
                        n->backoff_max_usec = n->backoff_usec;
        }
        nats_check(l, n, r);
        /* stderr goes where stdout goes unless it is set itself. */
        if (!r->value[CFG_KEY_STDERR] || strcmp(r->value[CFG_KEY_STDERR], "stdout") == 0) {
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
                else {
                        /* From here on the parent is nodes[parent] (its
                         * name is that node's): the text goes, 32 bytes
                         * of heap a node (issue 30). */
                        n->parent = p;
                        free(n->parent_name);
                        n->parent_name = NULL;
                }
        }
        check_tree(l);
}

static void raw_section_done(raw_section *r) {
        for (size_t k = 0; k < _CFG_KEY_MAX; k++)
                free(r->value[k]);
}

/* The strings the rows hold are freed by the rows; what is split from
 * them (argv, environment) here. */
static void node_done(cfg_node *n) {
        free(n->name);
        cfg_keys_free(n, CFG_IN_NODE);
        strv_free(n->argv);
        strv_free(n->health_argv);
        strv_free(n->env);
        strv_free(n->subscribe.list);
        if (n->extra)
                for (int k = 0; k < 2; k++) {
                        strv_free(n->extra->nats_export[k].list);
                        strv_free(n->extra->nats_import[k].list);
                }
        free(n->extra);
}

cfg *cfg_free(cfg *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_nodes; i++)
                node_done(&c->nodes[i]);
        free(c->nodes);
        free(c->by_name);
        free(c->path);
        cfg_keys_free(c, CFG_IN_AIRSUPD);
        free(c);
        return NULL;
}

int cfg_load(const char *path, FILE *err, cfg **ret) {
        _cleanup_(cfg_freep) cfg *c = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        loader l = { .err = err, .cur = -1, .last_key = _CFG_KEY_MAX };
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

        r = loader_add_node(&l, "root", /* supervisor= */ true, /* line= */ 0);
        if (r < 0)
                goto finish;

        cfg_read_lines(&l);
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
        /* The doubling in loader_add_node() left up to half of the array
         * unused, 640 bytes a slot: given back (nothing points into it
         * yet; nodes refer to each other by index). */
        if (c->n_nodes < l.nodes_cap) {
                cfg_node *n = reallocarray(c->nodes, c->n_nodes, sizeof(cfg_node));
                if (n)
                        c->nodes = n;
        }
        *ret = TAKE_PTR(c);
        return 0;
}
