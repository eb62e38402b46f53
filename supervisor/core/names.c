/* names.c - look-ups in the live tree (names.h): the index of its nodes
 * by name, a proc by its name or its main pid, and the walk. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/core/names.h"
#include "supervisor/core/tree-internal.h"

/* The index of the tree's nodes by name.  Nodes join it as they join
 * the tree (tree_build(), manager_node_attach(), _attach_many()) and leave it with the
 * subtree they leave it with (manager_node_detach()); what a reload
 * holds out of the tree or has not put in place yet is not in it.  A
 * look-up walked the whole tree before: `airsupctl events NAME` did two
 * per event of the history, 8 s of a frozen loop with 100,000 nodes. */
static sup_node names_gone;             /* a tombstone */
#define NAME_GONE (&names_gone)

static uint64_t names_hash(const char *s) {
        uint64_t h = UINT64_C(14695981039346656037);

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * UINT64_C(1099511628211);
        return h;
}

static void names_slot_put(sup_node **slots, size_t cap, sup_node *n) {
        size_t k = (size_t) names_hash(n->cfg->name) & (cap - 1);

        while (slots[k] && slots[k] != NAME_GONE)
                k = (k + 1) & (cap - 1);
        slots[k] = n;
}

/* At most half full, tombstones included: rebuilt (without them) when
 * that would no longer hold. */
int names_put(sup_manager *m, sup_node *n) {
        if ((m->by_name_used + 1) * 2 > m->by_name_cap) {
                size_t live = 0, cap = 64;
                sup_node **a;

                for (size_t k = 0; k < m->by_name_cap; k++)
                        live += m->by_name[k] && m->by_name[k] != NAME_GONE;
                while ((live + 1) * 4 > cap)
                        cap *= 2;
                a = calloc(cap, sizeof(sup_node *));
                if (!a)
                        return -ENOMEM;
                for (size_t k = 0; k < m->by_name_cap; k++)
                        if (m->by_name[k] && m->by_name[k] != NAME_GONE)
                                names_slot_put(a, cap, m->by_name[k]);
                free(m->by_name);
                m->by_name = a;
                m->by_name_cap = cap;
                m->by_name_used = live;
        }
        names_slot_put(m->by_name, m->by_name_cap, n);
        m->by_name_used++;
        return 0;
}

static void names_del(sup_manager *m, const sup_node *n) {
        if (!m->by_name)
                return;
        for (size_t k = (size_t) names_hash(n->cfg->name) & (m->by_name_cap - 1); m->by_name[k];
             k = (k + 1) & (m->by_name_cap - 1))
                if (m->by_name[k] == n) {
                        m->by_name[k] = NAME_GONE;
                        return;
                }
}

/* N and what is below it (as deep as the tree: CFG_DEPTH_MAX). */
int names_put_subtree(sup_manager *m, sup_node *n) {
        int r = names_put(m, n);

        for (size_t i = 0; r >= 0 && i < n->n_children; i++)
                r = names_put_subtree(m, n->children[i]);
        return r;
}

void names_del_subtree(sup_manager *m, const sup_node *n) {
        names_del(m, n);
        for (size_t i = 0; i < n->n_children; i++)
                names_del_subtree(m, n->children[i]);
}

bool in_tree(const sup_manager *m, const sup_node *n) {
        while (n->parent)
                n = n->parent;
        return n == m->root;
}

sup_node *manager_find_node(sup_manager *m, const char *name) {
        if (!m || !name || !m->by_name)
                return NULL;
        for (size_t k = (size_t) names_hash(name) & (m->by_name_cap - 1); m->by_name[k];
             k = (k + 1) & (m->by_name_cap - 1)) {
                sup_node *n = m->by_name[k];

                if (n != NAME_GONE && strcmp(n->cfg->name, name) == 0)
                        return n;
        }
        return NULL;
}

int manager_find_proc(sup_manager *m, const char *name, sup_proc **ret) {
        char group[96];
        unsigned i = 0;
        sup_node *n;
        int br;

        if (!m || !name || !ret)
                return -EINVAL;
        br = cfg_parse_instance_name(name, group, sizeof(group), &i);
        if (br < 0)
                return -EINVAL;
        name = group;
        n = manager_find_node(m, name);
        if (!n)
                return -ENOENT;
        if (n->cfg->supervisor)
                return -EISDIR;
        /* A pool's instances are named by index; a single group by its name. */
        if (!br && n->n_procs > 1)
                return -EINVAL;
        if (i >= n->n_procs)
                return -ENOENT;
        *ret = &n->procs[i];
        return 0;
}

static int walk(sup_node *n, unsigned depth, manager_walk_fn fn, void *userdata) {
        int r = fn(n, depth, userdata);

        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n_children; i++) {
                r = walk(n->children[i], depth + 1, fn, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

int manager_walk(sup_manager *m, manager_walk_fn fn, void *userdata) {
        if (!m || !fn)
                return -EINVAL;
        return walk(m->root, 0, fn, userdata);
}


static sup_proc *find_pid(sup_node *n, pid_t pid) {
        for (size_t i = 0; i < n->n_children; i++) {
                sup_proc *p = find_pid(n->children[i], pid);
                if (p)
                        return p;
        }
        for (size_t i = 0; i < n->n_procs; i++)
                if (n->procs[i].pid == pid && n->procs[i].main_alive)
                        return &n->procs[i];
        return NULL;
}

sup_proc *manager_find_pid(sup_manager *m, pid_t pid) {
        return find_pid(m->root, pid);
}

