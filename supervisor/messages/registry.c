/* registry.c - run-time names (registry.h): open addressing over an
 * array of entries, tombstones for deleted ones, rebuilt when half full.
 * A process's names are counted in its broker_proc, so its limit costs
 * no walk; dropping them at its end walks the table once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/actor-addr.h"
#include "supervisor/core/names.h"
#include "supervisor/messages/registry.h"

struct sup_registry {
        registry_entry *slots;          /* owner NULL: empty; TOMB: deleted */
        size_t cap, used, live;
};

static sup_proc tomb_proc;
#define TOMB (&tomb_proc)

static size_t hash(const char *s) {
        size_t h = 14695981039346656037u;

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211u;
        return h;
}

static registry_entry *slot_for(struct sup_registry *r, const char *name, bool *ret_found) {
        registry_entry *tomb = NULL;

        for (size_t k = hash(name) & (r->cap - 1);; k = (k + 1) & (r->cap - 1)) {
                registry_entry *e = &r->slots[k];
                if (!e->owner) {
                        *ret_found = false;
                        return tomb ? tomb : e;
                }
                if (e->owner == TOMB) {
                        if (!tomb)
                                tomb = e;
                        continue;
                }
                if (strcmp(e->name, name) == 0) {
                        *ret_found = true;
                        return e;
                }
        }
}

static int grow(sup_manager *m) {
        struct sup_registry *r = m->registry, *n;
        size_t cap;

        if (r && (r->used + 1) * 2 <= r->cap)
                return 0;
        cap = r && r->live * 4 >= r->cap ? r->cap * 2 : r ? r->cap : 64;
        n = calloc(1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        n->slots = calloc(cap, sizeof(*n->slots));
        if (!n->slots) {
                free(n);
                return -ENOMEM;
        }
        n->cap = cap;
        for (size_t k = 0; r && k < r->cap; k++) {
                bool found;
                if (!r->slots[k].owner || r->slots[k].owner == TOMB)
                        continue;
                *slot_for(n, r->slots[k].name, &found) = r->slots[k];
                n->used++;
                n->live++;
        }
        if (r)
                free(r->slots);
        free(r);
        m->registry = n;
        return 0;
}

int registry_add(sup_manager *m, sup_proc *p, const char *name, const char *actor) {
        registry_entry *e;
        bool found;
        int r;

        if (!actor_name_valid(name) || (actor[0] && !actor_name_valid(actor)))
                return -EINVAL;
        if (manager_find_node(m, name))
                return -EEXIST;
        if (m->registry && m->registry->live > 0) {
                e = slot_for(m->registry, name, &found);
                if (found)
                        return e->owner == p && strcmp(e->actor, actor) == 0 ? 0 : -EEXIST;
        }
        if (p->broker.names >= REGISTRY_PER_PROC)
                return -ENOSPC;
        if (m->registry && m->registry->live >= REGISTRY_MAX)
                return -E2BIG;
        r = grow(m);
        if (r < 0)
                return r;
        e = slot_for(m->registry, name, &found);
        if (!e->owner)
                m->registry->used++;
        memset(e, 0, sizeof(*e));
        strcpy(e->name, name);
        strcpy(e->actor, actor);
        e->owner = p;
        m->registry->live++;
        p->broker.names++;
        return 0;
}

const registry_entry *registry_find(sup_manager *m, const char *name) {
        registry_entry *e;
        bool found;

        if (!m->registry || m->registry->live == 0)
                return NULL;
        e = slot_for(m->registry, name, &found);
        return found ? e : NULL;
}

static void del(sup_manager *m, registry_entry *e) {
        e->owner->broker.names--;
        e->owner = TOMB;
        m->registry->live--;
}

int registry_del(sup_manager *m, sup_proc *p, const char *name) {
        registry_entry *e = (registry_entry *) registry_find(m, name);

        if (!e)
                return -ENOENT;
        if (e->owner != p)
                return -EPERM;
        del(m, e);
        return 0;
}

void registry_drop(sup_manager *m, sup_proc *p) {
        if (!m->registry || p->broker.names == 0)
                return;
        for (size_t k = 0; k < m->registry->cap && p->broker.names > 0; k++)
                if (m->registry->slots[k].owner == p)
                        del(m, &m->registry->slots[k]);
}

size_t registry_count(const sup_manager *m) {
        return m->registry ? m->registry->live : 0;
}

const registry_entry *registry_next(const sup_manager *m, size_t *cursor) {
        for (; m->registry && *cursor < m->registry->cap; (*cursor)++) {
                const registry_entry *e = &m->registry->slots[*cursor];
                if (e->owner && e->owner != TOMB) {
                        (*cursor)++;
                        return e;
                }
        }
        return NULL;
}

void registry_free(sup_manager *m) {
        if (!m->registry)
                return;
        free(m->registry->slots);
        free(m->registry);
        m->registry = NULL;
}
