/* reload.c - applies a reload's plan (reload-plan.c) to the live tree
 * (reload.h), through the tree's own primitives (manager.h).
 *
 * The engine is a sequence of phases, each of which may have to wait: for
 * a node to be down, or for a supervisor to finish restarting children
 * before it is asked for more.  It waits on nothing of its own: while a
 * reload applies, reload_continue() hangs on the run queue (runq.h), which
 * calls it each time the queue ran dry (every upcall the tree handled),
 * and it goes on as far as it can.  Nodes leave and join the tree only
 * there, outside any of the tree's decisions. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "common/cleanup.h"
#include "supervisor/start/cgroup.h"
#include "supervisor/core/manager.h"
#include "supervisor/core/runq.h"
#include "supervisor/config/reload.h"

typedef enum reload_phase {
        PHASE_REMOVE,                   /* removed nodes stop, last first, one at a time, and go */
        PHASE_RESTART,                  /* changed groups restart, as their supervisor's restart of them */
        PHASE_MOVE_STOP,                /* moved nodes stop, and are held out of the tree */
        PHASE_ORDER,                    /* kept children in their new order */
        PHASE_ATTACH,                   /* moved and new nodes put in place, in file order */
        PHASE_KICK,                     /* ... and started there, in order, gated by readiness */
        PHASE_SETTLE,                   /* until what started is ready, or will not be */
        PHASE_DONE,
} reload_phase;

enum { ITEM_PENDING, ITEM_ASKED, ITEM_DONE };

#define NOT_PARKED SIZE_MAX

/* A changed group whose supervisor can restart it now. */
typedef struct restart_ask {
        sup_node *s;
        size_t item;
} restart_ask;

typedef struct waiter {
        reload_done_fn done;
        void *userdata;
} waiter;

typedef struct sup_reload {
        bool active;
        cfg *old, *new;                 /* OLD is kept until no node uses it */
        reload_plan plan;
        reload_row *rows;
        size_t n_rows;
        reload_phase phase;
        size_t cursor;
        uint8_t *status;                /* per plan item */
        bool *held;                     /* per plan item: a moved node's hold, as it was */
        int *item_of_old, *item_of_new; /* node index -> plan item, -1 */
        sup_node **by_old, **by_new;    /* index -> live node */
        sup_node **parked;              /* moved nodes held out of the tree */
        size_t *parked_item;            /* ... the plan item of each */
        size_t *park_slot;              /* per plan item: where in PARKED, NOT_PARKED if not */
        size_t n_parked;
        int *first_child, *next_sibling;        /* the new file's tree, each list in file order */
        struct restart_ask *asks;       /* phase_restart(): what it asks, per supervisor */
        sup_node **gone;                /* phase_remove(): removed nodes down, to be freed together */
        sup_node **moving;              /* moved nodes to be parked together ... */
        size_t *moving_item;            /* ... and their plan items */
        sup_node **kicks;               /* attached, to be started */
        size_t n_kicks;
        waiter now[RELOAD_WAITING_MAX], next[RELOAD_WAITING_MAX];
        size_t n_now, n_next;
        uint64_t started_usec;
        cfg **retired;                  /* configurations some node still pointed into */
        size_t n_retired;
} sup_reload;

static sup_reload *get(sup_manager *m) {
        if (!m->reload)
                m->reload = calloc(1, sizeof(sup_reload));
        return m->reload;
}

static void tell(waiter *w, size_t *n, const reload_result *res) {
        size_t k = *n;

        *n = 0;
        for (size_t i = 0; i < k; i++)
                w[i].done(res, w[i].userdata);
}

static void plan_clear(sup_reload *r) {
        reload_plan_done(&r->plan);
        free(r->rows);
        free(r->status);
        free(r->held);
        free(r->item_of_old);
        free(r->item_of_new);
        free(r->by_old);
        free(r->by_new);
        free(r->parked);
        free(r->parked_item);
        free(r->park_slot);
        free(r->first_child);
        free(r->next_sibling);
        free(r->asks);
        free(r->gone);
        free(r->moving);
        free(r->moving_item);
        free(r->kicks);
        r->parked_item = r->park_slot = NULL;
        r->first_child = r->next_sibling = NULL;
        r->asks = NULL;
        r->gone = r->moving = NULL;
        r->moving_item = NULL;
        r->rows = NULL;
        r->n_rows = 0;
        r->status = NULL;
        r->held = NULL;
        r->item_of_old = r->item_of_new = NULL;
        r->by_old = r->by_new = r->parked = r->kicks = NULL;
        r->n_parked = r->n_kicks = 0;
}

static int rows_build(sup_reload *r, const cfg *old, const cfg *new) {
        size_t n = 0;

        r->rows = calloc(r->plan.n + _CFG_KEY_MAX, sizeof(reload_row));
        if (!r->rows)
                return -ENOMEM;
        for (size_t i = 0; i < r->plan.n; i++) {
                const reload_item *it = &r->plan.items[i];
                const cfg_node *a = it->old_index >= 0 ? &old->nodes[it->old_index] : NULL;
                const cfg_node *b = it->new_index >= 0 ? &new->nodes[it->new_index] : NULL;
                reload_row *w = &r->rows[n];
                char keys[160];

                if (it->action == RELOAD_KEEP)
                        continue;
                reload_keys_format(it->keys, keys, sizeof(keys));
                snprintf(w->action, sizeof(w->action), "%s", reload_action_to_string(it->action));
                snprintf(w->name, sizeof(w->name), "%s", (b ?: a)->name);
                switch (it->action) {
                case RELOAD_REMOVE:
                case RELOAD_ADD:
                        snprintf(w->detail, sizeof(w->detail), "%s", (b ?: a)->supervisor ? "supervisor" : "group");
                        break;
                case RELOAD_MOVE:
                        snprintf(w->detail, sizeof(w->detail), "from %s to %s%s%.120s", old->nodes[a->parent].name,
                                 new->nodes[b->parent].name, keys[0] ? "; " : "", keys);
                        break;
                default:
                        snprintf(w->detail, sizeof(w->detail), "%s", keys);
                        break;
                }
                n++;
        }
        for (int k = 0; k < _CFG_KEY_MAX; k++)
                if (r->plan.airsupd & CFG_KEY_BIT(k)) {
                        reload_row *w = &r->rows[n++];
                        snprintf(w->action, sizeof(w->action), "airsupd");
                        snprintf(w->name, sizeof(w->name), "%s", cfg_key_to_string(k));
                        snprintf(w->detail, sizeof(w->detail), "not changed: needs a restart of airsupd");
                }
        r->n_rows = n;
        return 0;
}

/* The [airsupd] keys stay as airsupd started with them: the new
 * configuration takes the old's values (and the old the new's, freed
 * with it). */
static void keep_daemon_keys(cfg *old, cfg *new) {
#define SWAP(f) do { __typeof__(old->f) t_ = old->f; old->f = new->f; new->f = t_; } while (0)
        SWAP(control);
        SWAP(control_line);
        SWAP(control_group);
        SWAP(events);
        SWAP(dead_letters);
        SWAP(nice);
        SWAP(state_dir);
        SWAP(metrics_listen);
        SWAP(cgroup);
        SWAP(cgroup_line);
#undef SWAP
}

static int index_in(const cfg *c, const cfg_node *n) {
        if (!n || n < c->nodes || n >= c->nodes + c->n_nodes)
                return -1;
        return (int) (n - c->nodes);
}

static int map_old(sup_node *n, unsigned depth, void *userdata) {
        sup_reload *r = userdata;
        int i = index_in(r->old, n->cfg);

        (void) depth;
        if (i >= 0)
                r->by_old[i] = n;
        return 0;
}

static void finish(sup_manager *m, int res_r, const char *errors);
static void reload_continue(sup_manager *m, void *userdata);

static void fail(sup_manager *m, int res_r, const char *errors) {
        sup_reload *r = m->reload;
        sup_event e = { .type = SUP_EVENT_RELOAD_FAILED, .priority = LOG_ERR };
        const char *first = errors ? errors : "";
        size_t len = strcspn(first, "\n");

        if (errors)
                for (const char *l = errors; *l;) {
                        size_t k = strcspn(l, "\n");
                        sup_log(&m->events, LOG_ERR, "reload: %.*s", (int) k, l);
                        l += k + (l[k] == '\n');
                }
        snprintf(e.node, sizeof(e.node), "%s", m->cfg->nodes[CFG_ROOT].name);
        if (errors)
                snprintf(e.detail, sizeof(e.detail), "error=\"%.*s\"", (int) (len < 140 ? len : 140), first);
        else
                snprintf(e.detail, sizeof(e.detail), "error=%s", strerrorname_np(-res_r) ?: "?");
        sup_events_emit(&m->events, &e);
        (void) r;
        m->reloads_failed++;
        finish(m, res_r, errors);
}

/* The file read again, and checked against what airsupd runs with; on
 * failure *ERRORS holds the FILE:LINE lines (-EINVAL), or is NULL. */
static int load_new(sup_manager *m, cfg **ret, char **ret_errors) {
        _cleanup_free_ char *errors = NULL;
        char err[PATH_MAX + 256] = "";
        size_t len = 0;
        cfg *c = NULL;
        FILE *f = open_memstream(&errors, &len);
        int k;

        *ret_errors = NULL;
        if (!f)
                return -ENOMEM;
        k = cfg_load(m->cfg->path, f, &c);
        if (k >= 0) {
                k = cgroup_check_cfg(m, c, err, sizeof(err));
                if (k < 0)
                        fprintf(f, "%s\n", err);
        }
        /* What the start refuses, a reload refuses: a command that cannot
         * be run (verify.c) would fail its starts until its supervisors
         * gave up. */
        if (k >= 0)
                k = cfg_verify_errors(c, f);
        (void) fflush(f);
        if (k < 0 && len == 0)
                fprintf(f, "%s: %s\n", m->cfg->path, strerror(-k));
        fclose(f);
        if (k < 0) {
                cfg_free(c);
                *ret_errors = TAKE_PTR(errors);
                return -EINVAL;
        }
        *ret = c;
        return 0;
}

/* Reads the file, plans and applies. */
static void reload_begin(sup_manager *m) {
        sup_reload *r = m->reload;
        _cleanup_free_ char *errors = NULL;
        cfg *c = NULL;
        int k;

        plan_clear(r);
        r->started_usec = now_usec();
        k = load_new(m, &c, &errors);
        if (k < 0) {
                fail(m, k, errors);
                return;
        }
        k = reload_plan_build(m->cfg, c, &r->plan);
        if (k >= 0)
                k = rows_build(r, m->cfg, c);
        if (k < 0) {
                cfg_free(c);
                fail(m, k, NULL);
                return;
        }
        r->status = calloc(r->plan.n + 1, sizeof(uint8_t));
        r->held = calloc(r->plan.n + 1, sizeof(bool));
        r->item_of_old = calloc(m->cfg->n_nodes, sizeof(int));
        r->item_of_new = calloc(c->n_nodes, sizeof(int));
        r->by_old = calloc(m->cfg->n_nodes, sizeof(sup_node *));
        r->by_new = calloc(c->n_nodes, sizeof(sup_node *));
        r->parked = calloc(m->cfg->n_nodes + 1, sizeof(sup_node *));
        r->parked_item = calloc(m->cfg->n_nodes + 1, sizeof(size_t));
        r->park_slot = calloc(r->plan.n + 1, sizeof(size_t));
        r->first_child = calloc(c->n_nodes, sizeof(int));
        r->next_sibling = calloc(c->n_nodes, sizeof(int));
        r->asks = calloc(r->plan.n + 1, sizeof(restart_ask));
        r->gone = calloc(r->plan.n + 1, sizeof(sup_node *));
        r->moving = calloc(r->plan.n + 1, sizeof(sup_node *));
        r->moving_item = calloc(r->plan.n + 1, sizeof(size_t));
        r->kicks = calloc(c->n_nodes + 1, sizeof(sup_node *));
        if (!r->status || !r->held || !r->item_of_old || !r->item_of_new || !r->by_old || !r->by_new || !r->parked ||
            !r->parked_item || !r->park_slot || !r->first_child || !r->next_sibling || !r->asks || !r->gone ||
            !r->moving || !r->moving_item || !r->kicks) {
                cfg_free(c);
                fail(m, -ENOMEM, NULL);
                return;
        }
        k = runq_hook_add(m, reload_continue, r);
        if (k < 0) {
                cfg_free(c);
                fail(m, k, NULL);
                return;
        }
        r->old = m->cfg;
        r->new = c;
        for (size_t i = 0; i < r->old->n_nodes; i++)
                r->item_of_old[i] = -1;
        for (size_t i = 0; i < c->n_nodes; i++)
                r->item_of_new[i] = r->first_child[i] = r->next_sibling[i] = -1;
        for (size_t i = 0; i < r->plan.n; i++)
                r->park_slot[i] = NOT_PARKED;
        /* Last first, so that each list comes out in file order. */
        for (size_t i = c->n_nodes; i-- > 1;) {
                int p = c->nodes[i].parent;

                r->next_sibling[i] = r->first_child[p];
                r->first_child[p] = (int) i;
        }
        (void) manager_walk(m, map_old, r);
        keep_daemon_keys(r->old, c);
        m->cfg = c;
        r->active = true;

        /* What is kept (and changed in place) takes its new settings now;
         * restarted and moved nodes when they are down. */
        manager_node_reconfigure(m, m->root, &c->nodes[CFG_ROOT]);
        r->by_new[CFG_ROOT] = m->root;
        for (size_t i = 0; i < r->plan.n; i++) {
                reload_item *it = &r->plan.items[i];
                sup_node *n = it->old_index >= 0 ? r->by_old[it->old_index] : NULL;

                if (it->old_index >= 0)
                        r->item_of_old[it->old_index] = (int) i;
                if (it->new_index >= 0)
                        r->item_of_new[it->new_index] = (int) i;
                if (it->new_index == CFG_ROOT)
                        continue;
                if (it->new_index >= 0 && n)
                        r->by_new[it->new_index] = n;
                if (!n)
                        continue;
                if (it->action == RELOAD_KEEP || it->action == RELOAD_IN_PLACE)
                        manager_node_reconfigure(m, n, &c->nodes[it->new_index]);
                if (it->action == RELOAD_MOVE)
                        r->held[i] = n->held;
        }
        r->phase = PHASE_REMOVE;
        r->cursor = 0;
        sup_log(&m->events, LOG_INFO, "reload: %zu to remove, %zu to restart, %zu to move, %zu to add, "
                "%zu changed in place", r->plan.count[RELOAD_REMOVE], r->plan.count[RELOAD_RESTART],
                r->plan.count[RELOAD_MOVE], r->plan.count[RELOAD_ADD], r->plan.count[RELOAD_IN_PLACE]);
        runq_wake(m);
}

/* N, the node of plan item K, leaves the tree until it is put in its
 * new place.  Each of these is O(1): a reload moving thousands of nodes
 * must not search a list for each. */
static void park_one(sup_reload *r, sup_node *n, size_t k) {
        r->park_slot[k] = r->n_parked;
        r->parked_item[r->n_parked] = k;
        r->parked[r->n_parked++] = n;
}

/* The N nodes of R->moving (plan items R->moving_item) parked together:
 * taken out of the tree one at a time, 50,000 of them took 8-16 s. */
static void park_moving(sup_reload *r, sup_manager *m, size_t n) {
        manager_nodes_detach(m, r->moving, n);
        for (size_t j = 0; j < n; j++)
                park_one(r, r->moving[j], r->moving_item[j]);
}

static void unpark(sup_reload *r, size_t k) {
        size_t j = r->park_slot[k], last;

        if (j == NOT_PARKED)
                return;
        last = --r->n_parked;
        r->parked[j] = r->parked[last];
        r->parked_item[j] = r->parked_item[last];
        r->park_slot[r->parked_item[j]] = j;
        r->park_slot[k] = NOT_PARKED;
}

static bool is_parked(const sup_reload *r, size_t k) {
        return r->park_slot[k] != NOT_PARKED;
}

static const reload_item *item_of(const sup_reload *r, const sup_node *n) {
        int o = index_in(r->old, n->cfg);
        int k = o >= 0 ? r->item_of_old[o] : -1;

        return k >= 0 ? &r->plan.items[k] : NULL;
}

/* Below a removed node N, what moves elsewhere (collected into
 * R->moving from *K on) is taken out first. */
static void find_movers(sup_reload *r, sup_node *n, size_t *k) {
        for (size_t i = n->n_children; i-- > 0;) {
                sup_node *c = n->children[i];
                const reload_item *it = item_of(r, c);

                if (it && it->action == RELOAD_MOVE) {
                        r->moving[*k] = c;
                        r->moving_item[(*k)++] = (size_t) (it - r->plan.items);
                } else
                        find_movers(r, c, k);
        }
}

static void park_movers(sup_reload *r, sup_manager *m, sup_node *n) {
        size_t k = 0;

        find_movers(r, n, &k);
        park_moving(r, m, k);
}

static bool removed_with_parent(const sup_reload *r, const reload_item *it) {
        int parent = r->old->nodes[it->old_index].parent;
        int k = parent > CFG_ROOT ? r->item_of_old[parent] : -1;

        return k >= 0 && r->plan.items[k].action == RELOAD_REMOVE;
}

/* Removed nodes that are down go together (manager_nodes_free()): freed
 * one at a time, 50,000 removed in front of 50,000 kept took 11 s. */
static void remove_down(sup_manager *m, sup_reload *r, size_t *n) {
        manager_nodes_free(m, r->gone, *n);
        *n = 0;
}

static bool phase_remove(sup_manager *m, sup_reload *r) {
        size_t n_gone = 0;

        for (; r->cursor < r->plan.n; r->cursor++) {
                const reload_item *it = &r->plan.items[r->cursor];
                sup_node *n;

                if (it->action != RELOAD_REMOVE || removed_with_parent(r, it))
                        continue;
                n = r->by_old[it->old_index];
                if (!n)
                        continue;
                if (!manager_node_down(n)) {
                        manager_node_stop(m, n);
                        if (!manager_node_down(n)) {
                                remove_down(m, r, &n_gone);
                                return false;
                        }
                }
                park_movers(r, m, n);
                r->gone[n_gone++] = n;
                r->by_old[it->old_index] = NULL;
        }
        remove_down(m, r, &n_gone);
        return true;
}

static int ask_cmp(const void *x, const void *y) {
        const restart_ask *a = x, *b = y;

        if (a->s != b->s)
                return (uintptr_t) a->s < (uintptr_t) b->s ? -1 : 1;
        return a->item < b->item ? -1 : a->item > b->item;
}

/* The changed running children of S (ASKS, in file order), in one restart
 * by S; each takes its new settings when S starts it again. */
static void restart_under(sup_manager *m, sup_reload *r, sup_node *s, const restart_ask *asks, size_t n) {
        _cleanup_free_ bool *which = calloc(s->n_children, sizeof(bool));

        if (!which)
                return;         /* tried again at the next turn */
        for (size_t j = 0; j < n; j++) {
                const reload_item *o = &r->plan.items[asks[j].item];
                sup_node *x = r->by_new[o->new_index];

                manager_node_set_next(m, x, &r->new->nodes[o->new_index]);
                which[x->index] = true;
                r->status[asks[j].item] = ITEM_ASKED;
        }
        if (manager_node_restart_children(m, s, which) >= 0)
                return;
        /* Not now after all: asked again at the next turn. */
        for (size_t j = 0; j < n; j++) {
                sup_node *x = r->by_new[r->plan.items[asks[j].item].new_index];

                if (x->next_cfg) {
                        manager_node_set_next(m, x, NULL);
                        r->status[asks[j].item] = ITEM_PENDING;
                }
        }
}

static bool phase_restart(sup_manager *m, sup_reload *r) {
        bool done = true;
        size_t n_asks = 0;

        for (size_t i = 0; i < r->plan.n; i++) {
                const reload_item *it = &r->plan.items[i];
                const cfg_node *c;
                sup_node *n, *s;

                if (it->action != RELOAD_RESTART || r->status[i] == ITEM_DONE)
                        continue;
                n = r->by_new[it->new_index];
                c = &r->new->nodes[it->new_index];
                s = n->parent;
                /* Restarted: done once it is ready (or will not be). */
                if (r->status[i] == ITEM_ASKED && !n->next_cfg) {
                        if (manager_node_settled(n))
                                r->status[i] = ITEM_DONE;
                        else
                                done = false;
                        continue;
                }
                /* Down (held, ended, or its supervisor stopped it): it
                 * takes its settings and stays as it is. */
                if (manager_node_down(n) && (!s || !manager_node_stopping_children(s))) {
                        manager_node_set_next(m, n, NULL);
                        manager_node_reconfigure(m, n, c);
                        r->status[i] = ITEM_DONE;
                        continue;
                }
                done = false;
                if (r->status[i] != ITEM_PENDING || !s || s->state != NODE_UP ||
                    manager_node_down(n))
                        continue;
                r->asks[n_asks++] = (restart_ask) { s, i };
        }
        /* Grouped by supervisor: one restart each, however many of its
         * children changed (a pass over the plan per supervisor was
         * quadratic). */
        if (n_asks > 1)
                qsort(r->asks, n_asks, sizeof(restart_ask), ask_cmp);
        for (size_t a = 0, b; a < n_asks; a = b) {
                for (b = a + 1; b < n_asks && r->asks[b].s == r->asks[a].s; b++)
                        ;
                restart_under(m, r, r->asks[a].s, r->asks + a, b - a);
        }
        return done;
}

static bool phase_move_stop(sup_manager *m, sup_reload *r) {
        size_t k = 0;

        /* From where the last turn stopped: a node stopped stays down. */
        for (; r->cursor < r->plan.n; r->cursor++) {
                const reload_item *it = &r->plan.items[r->cursor];
                sup_node *n;

                if (it->action != RELOAD_MOVE)
                        continue;
                n = r->by_new[it->new_index];
                if (!n || is_parked(r, r->cursor) || manager_node_down(n))
                        continue;
                /* One at a time, in file order: an order the log shows. */
                manager_node_stop(m, n);
                if (!manager_node_down(n))
                        return false;
        }
        for (size_t i = 0; i < r->plan.n; i++) {
                const reload_item *it = &r->plan.items[i];
                sup_node *n = it->action == RELOAD_MOVE ? r->by_new[it->new_index] : NULL;

                if (n && !is_parked(r, i)) {
                        r->moving[k] = n;
                        r->moving_item[k++] = i;
                }
        }
        park_moving(r, m, k);
        return true;
}

static int rank(const sup_node *c, void *userdata) {
        const sup_reload *r = userdata;
        int i = index_in(r->new, c->cfg);

        return i >= 0 ? i : INT32_MAX;
}

static bool phase_order(sup_manager *m, sup_reload *r) {
        bool done = true;

        for (size_t i = 0; i < r->plan.n; i++) {
                const reload_item *it = &r->plan.items[i];
                sup_node *s;

                if (r->status[i] == ITEM_DONE || it->new_index < 0 || !(it->keys & CFG_KEY_BIT(CFG_KEY_ORDER)))
                        continue;
                s = r->by_new[it->new_index];
                if (!s || manager_node_reorder(m, s, rank, r) >= 0)
                        r->status[i] = ITEM_DONE;
                else
                        done = false;
        }
        return done;
}

/* Moved and new nodes, parents before children, siblings in file order:
 * each supervisor's list of children (first_child, next_sibling) once,
 * and its new children put in place all at once, sorted among the ones
 * it has (S's children are in the new file's order by now).  A scan of
 * the whole file per supervisor took 28 s for 100,000 of them, and an
 * insertion of each 10 s for 50,000 added before 50,000 others.  The
 * recursion is as deep as the tree, at most CFG_DEPTH_MAX. */
static void attach_below(sup_manager *m, sup_reload *r, int parent) {
        const cfg *c = r->new;
        sup_node *s = r->by_new[parent];
        size_t n_new = 0;

        for (int i = r->first_child[parent]; i >= 0; i = r->next_sibling[i]) {
                int k = r->item_of_new[i];
                const reload_item *it = k >= 0 ? &r->plan.items[k] : NULL;
                sup_node *n = r->by_new[i];

                if (!it || (it->action != RELOAD_MOVE && it->action != RELOAD_ADD) || !s)
                        continue;
                if (it->action == RELOAD_ADD) {
                        n = manager_node_new(m, &c->nodes[i]);
                        if (!n)
                                sup_log(&m->events, LOG_ERR, "reload: out of memory for %s: not added",
                                        c->nodes[i].name);
                } else if (n) {
                        unpark(r, (size_t) k);
                        manager_node_hold(m, n, r->held[k]);
                        manager_node_reconfigure(m, n, &c->nodes[i]);
                }
                r->by_new[i] = n;
                if (n)
                        r->kicks[r->n_kicks + n_new++] = n;
        }
        if (n_new > 0 && manager_node_attach_many(m, s, r->kicks + r->n_kicks, n_new, rank, r) < 0) {
                sup_log(&m->events, LOG_ERR, "reload: out of memory: %zu nodes under %s not added", n_new,
                        c->nodes[parent].name);
                for (size_t j = 0; j < n_new; j++) {
                        sup_node *x = r->kicks[r->n_kicks + j];

                        r->by_new[index_in(r->new, x->cfg)] = NULL;
                        manager_node_free(m, x);
                }
                n_new = 0;
        }
        r->n_kicks += n_new;
        for (int i = r->first_child[parent]; i >= 0; i = r->next_sibling[i])
                if (c->nodes[i].supervisor && r->by_new[i])
                        attach_below(m, r, i);
}

static bool phase_kick(sup_manager *m, sup_reload *r) {
        size_t n = 0;

        for (size_t i = 0; i < r->n_kicks; i++) {
                sup_node *x = r->kicks[i];

                if (x->parent && manager_node_kick(m, x->parent, x->index) == -EBUSY)
                        r->kicks[n++] = x;
        }
        r->n_kicks = n;
        return n == 0;
}

/* Done once each restarted, moved or new node is ready, or will not be. */
static bool phase_settle(sup_reload *r) {
        for (size_t i = 0; i < r->plan.n; i++) {
                const reload_item *it = &r->plan.items[i];
                sup_node *n;

                if (it->action != RELOAD_RESTART && it->action != RELOAD_MOVE && it->action != RELOAD_ADD)
                        continue;
                n = r->by_new[it->new_index];
                if (n && n->parent && !manager_node_settled(n))
                        return false;
        }
        return true;
}

static int still_old(sup_node *n, unsigned depth, void *userdata) {
        const sup_reload *r = userdata;

        (void) depth;
        return index_in(r->old, n->cfg) >= 0 || n->next_cfg ? -EBUSY : 0;
}

/* The run queue ran dry: go on as far as the tree lets us. */
static void reload_continue(sup_manager *m, void *userdata) {
        sup_reload *r = userdata;
        bool more = true;

        while (more && r->active) {
                reload_phase was = r->phase;

                switch (r->phase) {
                case PHASE_REMOVE:
                        if (phase_remove(m, r))
                                r->phase = PHASE_RESTART;
                        break;
                case PHASE_RESTART:
                        if (phase_restart(m, r)) {
                                r->phase = PHASE_MOVE_STOP;
                                r->cursor = 0;
                                memset(r->status, 0, r->plan.n);
                        }
                        break;
                case PHASE_MOVE_STOP:
                        if (phase_move_stop(m, r))
                                r->phase = PHASE_ORDER;
                        break;
                case PHASE_ORDER:
                        if (phase_order(m, r))
                                r->phase = PHASE_ATTACH;
                        break;
                case PHASE_ATTACH:
                        attach_below(m, r, CFG_ROOT);
                        /* A moved node whose new supervisor was not put in place. */
                        while (r->n_parked > 0)
                                manager_node_free(m, r->parked[--r->n_parked]);
                        r->phase = PHASE_KICK;
                        break;
                case PHASE_KICK:
                        if (phase_kick(m, r))
                                r->phase = PHASE_SETTLE;
                        break;
                case PHASE_SETTLE:
                        if (phase_settle(r))
                                r->phase = PHASE_DONE;
                        break;
                case PHASE_DONE:
                        finish(m, 0, NULL);
                        return;
                }
                more = r->phase != was;
        }
}

static void finish(sup_manager *m, int res_r, const char *errors) {
        sup_reload *r = m->reload;
        reload_result res = {
                .r = res_r,
                .errors = errors,
                .rows = r->rows,
                .n_rows = r->n_rows,
                .count = r->plan.count,
                .usec = now_usec() - r->started_usec,
        };

        if (r->active) {
                sup_event e = { .type = SUP_EVENT_RELOADED, .priority = LOG_NOTICE };

                r->active = false;
                runq_hook_remove(m, reload_continue, r);
                m->reloads_applied++;
                if (manager_walk(m, still_old, r) < 0) {
                        /* Not expected: keep it rather than leave a node dangling. */
                        cfg **a = reallocarray(r->retired, r->n_retired + 1, sizeof(cfg *));
                        if (a) {
                                r->retired = a;
                                r->retired[r->n_retired++] = r->old;
                        }
                        sup_log(&m->events, LOG_WARNING, "reload: a node still has its old settings");
                } else
                        cfg_free(r->old);
                r->old = r->new = NULL;
                snprintf(e.node, sizeof(e.node), "%s", m->cfg->nodes[CFG_ROOT].name);
                snprintf(e.detail, sizeof(e.detail), "added=%zu removed=%zu restarted=%zu moved=%zu in_place=%zu "
                         "kept=%zu ms=%llu", r->plan.count[RELOAD_ADD], r->plan.count[RELOAD_REMOVE],
                         r->plan.count[RELOAD_RESTART], r->plan.count[RELOAD_MOVE], r->plan.count[RELOAD_IN_PLACE],
                         r->plan.count[RELOAD_KEEP], (unsigned long long) (res.usec / 1000));
                sup_events_emit(&m->events, &e);
        }
        tell(r->now, &r->n_now, &res);
        plan_clear(r);
        /* Those that asked while this one applied: the file once more. */
        if (r->n_next > 0 && !m->shutting_down) {
                memcpy(r->now, r->next, r->n_next * sizeof(waiter));
                r->n_now = r->n_next;
                r->n_next = 0;
                reload_begin(m);
        }
}

int manager_reload(sup_manager *m, bool dry_run, reload_done_fn done, void *userdata) {
        sup_reload *r;

        if (!m || !done)
                return -EINVAL;
        if (m->shutting_down)
                return -ESHUTDOWN;
        r = get(m);
        if (!r)
                return -ENOMEM;
        if (dry_run) {
                /* A plan against what is applied (or being applied) now. */
                sup_reload probe = { .started_usec = now_usec() };
                reload_result res = { .dry_run = true };
                _cleanup_free_ char *errors = NULL;
                cfg *c = NULL;
                int k = load_new(m, &c, &errors);

                if (k >= 0)
                        k = reload_plan_build(m->cfg, c, &probe.plan);
                if (k >= 0)
                        k = rows_build(&probe, m->cfg, c);
                res.r = k < 0 ? k : 0;
                res.errors = errors;
                res.rows = probe.rows;
                res.n_rows = probe.n_rows;
                res.count = probe.plan.count;
                res.usec = now_usec() - probe.started_usec;
                done(&res, userdata);
                cfg_free(c);
                plan_clear(&probe);
                return 0;
        }
        if (r->active || r->n_now > 0) {
                if (r->n_next >= RELOAD_WAITING_MAX)
                        return -EBUSY;
                r->next[r->n_next++] = (waiter) { done, userdata };
                return 0;
        }
        r->now[0] = (waiter) { done, userdata };
        r->n_now = 1;
        reload_begin(m);
        return 0;
}

void reload_abort(sup_manager *m) {
        sup_reload *r = m->reload;
        reload_result res = { .r = -ESHUTDOWN };

        if (!r)
                return;
        if (r->active) {
                r->active = false;
                runq_hook_remove(m, reload_continue, r);
                /* Held out of the tree: nothing of theirs runs. */
                while (r->n_parked > 0)
                        manager_node_free(m, r->parked[--r->n_parked]);
                /* OLD stays (some node may point into it) until reload_free(). */
                if (r->old) {
                        cfg **a = reallocarray(r->retired, r->n_retired + 1, sizeof(cfg *));
                        if (a) {
                                r->retired = a;
                                r->retired[r->n_retired++] = r->old;
                                r->old = NULL;
                        }
                }
        }
        tell(r->now, &r->n_now, &res);
        tell(r->next, &r->n_next, &res);
}

void reload_free(sup_manager *m) {
        sup_reload *r = m->reload;

        if (!r)
                return;
        reload_abort(m);
        cfg_free(r->old);
        for (size_t i = 0; i < r->n_retired; i++)
                cfg_free(r->retired[i]);
        free(r->retired);
        plan_clear(r);
        free(r);
        m->reload = NULL;
}
