/* reload-plan.c - what a reload changes: a pure function from the old and
 * the new configuration to a plan (reload.h), with no processes and no
 * clock involved.  What changed in a node, and whether that restarts it,
 * comes from the key rows (cfg_node_diff(), cfg_keys_restart()); what is
 * here is the tree: which node is which, what moved, what is new, gone or
 * in another order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/string-table.h"
#include "supervisor/config/reload.h"

static const char *const action_names[_RELOAD_ACTION_MAX] = {
        [RELOAD_KEEP] = "keep",
        [RELOAD_IN_PLACE] = "in-place",
        [RELOAD_RESTART] = "restart",
        [RELOAD_MOVE] = "move",
        [RELOAD_REMOVE] = "remove",
        [RELOAD_ADD] = "add",
};

DEFINE_STRING_TABLE_TO_STRING(reload_action, reload_action, action_names, _RELOAD_ACTION_MAX)

/* Keys shown under one name (log_max and log_keep, the limits) sit next
 * to each other in the rows: that name is said once. */
void reload_keys_format(uint64_t mask, char *buf, size_t size) {
        const char *last = NULL;
        size_t len = 0;

        if (size == 0)
                return;
        buf[0] = '\0';
        for (int k = 0; k < _CFG_KEY_MAX && len < size; k++) {
                const char *name = cfg_key_shown(k);

                if (!(mask & CFG_KEY_BIT(k)) || (last && strcmp(last, name) == 0))
                        continue;
                len += (size_t) snprintf(buf + len, size - len, "%s%s", len ? ", " : "", name);
                last = name;
        }
}

bool reload_group_restarts(const cfg_node *a, const cfg_node *b) {
        return !a->supervisor && cfg_keys_restart(cfg_node_diff(a, b));
}

/* The node of the other file that is the same node as I of C: the same
 * name and kind, -1 if none.  The roots are each other. */
static int counterpart(const cfg *c, int i, const cfg *other) {
        int k;

        if (i == CFG_ROOT)
                return CFG_ROOT;
        k = cfg_find(other, c->nodes[i].name);
        if (k < 0 || k == CFG_ROOT || other->nodes[k].supervisor != c->nodes[i].supervisor)
                return -1;
        return k;
}

static int push(reload_plan *p, size_t *cap, reload_item it) {
        if (p->n == *cap) {
                size_t n = *cap ? *cap * 2 : 64;
                reload_item *a = reallocarray(p->items, n, sizeof(reload_item));
                if (!a)
                        return -ENOMEM;
                p->items = a;
                *cap = n;
        }
        p->items[p->n++] = it;
        p->count[it.action]++;
        return 0;
}

int reload_plan_build(const cfg *old, const cfg *new, reload_plan *ret) {
        _cleanup_free_ int *match = calloc(new->n_nodes, sizeof(int));      /* new index -> old, -1 */
        _cleanup_free_ int *last = NULL;
        _cleanup_free_ bool *reordered = NULL;
        reload_plan p = {};
        size_t cap = 0;
        int r;

        if (!match)
                return -ENOMEM;
        p.airsupd = cfg_airsupd_diff(old, new);
        for (size_t i = 0; i < new->n_nodes; i++)
                match[i] = counterpart(new, (int) i, old);

        /* Removals: every old node without a counterpart, last first. */
        for (size_t i = old->n_nodes; i-- > 1;)
                if (counterpart(old, (int) i, new) < 0) {
                        r = push(&p, &cap, (reload_item) { .action = RELOAD_REMOVE, .old_index = (int) i,
                                                           .new_index = -1 });
                        if (r < 0)
                                goto fail;
                }

        /* The rest in the order of the new file.  A node moves when its
         * supervisor is another node than before: another name, or one
         * that is itself a new node. */
        for (size_t i = 1; i < new->n_nodes; i++) {
                reload_item it = { .old_index = match[i], .new_index = (int) i };
                const cfg_node *b = &new->nodes[i];

                if (it.old_index < 0)
                        it.action = RELOAD_ADD;
                else {
                        const cfg_node *a = &old->nodes[it.old_index];
                        int parent_then = match[b->parent];

                        it.keys = cfg_node_diff(a, b);
                        if (parent_then != a->parent)
                                it.action = RELOAD_MOVE;
                        else
                                it.action = cfg_keys_restart(it.keys) ? RELOAD_RESTART :
                                            it.keys ? RELOAD_IN_PLACE : RELOAD_KEEP;
                }
                r = push(&p, &cap, it);
                if (r < 0)
                        goto fail;
        }

        /* A supervisor whose kept children (neither added nor moved) come
         * in another order: their order changes in place.  One pass over
         * the new file, remembering per supervisor the old index of its
         * last kept child (a pass per supervisor was quadratic). */
        last = malloc(new->n_nodes * sizeof(int));
        reordered = calloc(new->n_nodes, sizeof(bool));
        if (!last || !reordered) {
                r = -ENOMEM;
                goto fail;
        }
        for (size_t k = 0; k < new->n_nodes; k++)
                last[k] = -1;
        for (size_t k = 1; k < new->n_nodes; k++) {
                int o = match[k], s = new->nodes[k].parent;

                if (o < 0 || s < 0 || match[s] < 0 || old->nodes[o].parent != match[s])
                        continue;
                if (o < last[s])
                        reordered[s] = true;
                last[s] = o;
        }
        for (size_t i = 0; i < p.n; i++) {
                reload_item *it = &p.items[i];

                if (it->new_index < 0 || it->old_index < 0 || !new->nodes[it->new_index].supervisor ||
                    !reordered[it->new_index])
                        continue;
                it->keys |= CFG_KEY_BIT(CFG_KEY_ORDER);
                if (it->action == RELOAD_KEEP) {
                        p.count[RELOAD_KEEP]--;
                        p.count[RELOAD_IN_PLACE]++;
                        it->action = RELOAD_IN_PLACE;
                }
        }
        /* The root too: its children's order, its strategy and intensity. */
        {
                uint64_t keys = cfg_node_diff(&old->nodes[CFG_ROOT], &new->nodes[CFG_ROOT]);

                if (reordered[CFG_ROOT])
                        keys |= CFG_KEY_BIT(CFG_KEY_ORDER);
                if (keys) {
                        r = push(&p, &cap, (reload_item) { .action = RELOAD_IN_PLACE, .old_index = CFG_ROOT,
                                                           .new_index = CFG_ROOT, .keys = keys });
                        if (r < 0)
                                goto fail;
                }
        }
        *ret = p;
        return 0;
fail:
        reload_plan_done(&p);
        return r;
}

void reload_plan_done(reload_plan *p) {
        free(p->items);
        *p = (reload_plan) {};
}
