/* actor.c - the actor system's table (actors.h): slots and refs, names,
 * the tree of supervisors, spawn, stop and exit.  What a failure does is
 * actor-sup.c's; messages are actor-loop.c's. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "child/actors.h"
#include "common/actor-addr.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT void airsup_sup_opts_init(airsup_sup_opts *o) {
        if (!o)
                return;
        *o = (airsup_sup_opts) {
                .strategy = AIRSUP_ONE_FOR_ONE,
                .restart = AIRSUP_PERMANENT,
                .intensity = 5,
                .period_ns = UINT64_C(10) * 1000000000,
        };
}

static bool sup_opts_valid(const airsup_sup_opts *o) {
        return o->strategy >= AIRSUP_ONE_FOR_ONE && o->strategy <= AIRSUP_REST_FOR_ONE &&
               o->restart >= AIRSUP_PERMANENT && o->restart <= AIRSUP_TEMPORARY && o->intensity <= 1000000 &&
               o->period_ns > 0 && (!o->name || actor_name_valid(o->name)) &&
               (o->backoff_max_ns == 0 || o->backoff_max_ns >= o->backoff_ns);
}

/* ---- names: open addressing over slot + 1 ---- */

static uint32_t name_hash(const char *s, size_t len) {
        uint32_t h = 2166136261u;

        for (size_t i = 0; i < len; i++)
                h = (h ^ (uint8_t) s[i]) * 16777619u;
        return h;
}

uint32_t act__find_name(const airsup_sys *s, const char *name, size_t len) {
        if (s->names_cap == 0)
                return ACT_NONE;
        for (uint32_t k = name_hash(name, len) & (s->names_cap - 1);; k = (k + 1) & (s->names_cap - 1)) {
                uint32_t v = s->names[k];
                if (v == 0)
                        return ACT_NONE;
                if (v != ACT_NONE) {
                        const char *n = act_at(s, v - 1)->name;
                        if (strncmp(n, name, len) == 0 && n[len] == '\0')
                                return v - 1;
                }
        }
}

static void names_put(airsup_sys *s, uint32_t i) {
        const char *n = act_at(s, i)->name;
        uint32_t k = name_hash(n, strlen(n)) & (s->names_cap - 1);

        while (s->names[k] != 0 && s->names[k] != ACT_NONE)
                k = (k + 1) & (s->names_cap - 1);
        s->names[k] = i + 1;
        s->names_epoch++;
}

static int names_grow(airsup_sys *s) {
        uint32_t *old = s->names, cap = s->names_cap;
        uint32_t ncap = cap ? cap * 2 : 64;
        uint32_t *n;

        /* Below half full, tombstones included. */
        if (s->names_used + 1 <= cap / 2)
                return 0;
        n = calloc(ncap, sizeof(*n));
        if (!n)
                return -ENOMEM;
        s->names = n;
        s->names_cap = ncap;
        s->names_used = 0;
        for (uint32_t k = 0; k < cap; k++)
                if (old[k] != 0 && old[k] != ACT_NONE) {
                        names_put(s, old[k] - 1);
                        s->names_used++;
                }
        free(old);
        return 0;
}

static void names_del(airsup_sys *s, uint32_t i) {
        const char *n = act_at(s, i)->name;

        for (uint32_t k = name_hash(n, strlen(n)) & (s->names_cap - 1);; k = (k + 1) & (s->names_cap - 1))
                if (s->names[k] == i + 1) {
                        s->names[k] = ACT_NONE;
                        s->names_epoch++;
                        return;
                }
}

/* ---- slots ---- */

static int slot_new(airsup_sys *s, uint32_t *ret) {
        uint32_t i;

        if (s->free == ACT_NONE) {
                act **c;
                act *chunk;

                if (s->n_chunks >= (UINT32_MAX >> ACT_CHUNK_SHIFT) - 1)
                        return -ENOSPC;
                c = reallocarray(s->chunks, s->n_chunks + 1, sizeof(*c));
                if (!c)
                        return -ENOMEM;
                s->chunks = c;
                chunk = calloc(ACT_CHUNK, sizeof(*chunk));
                if (!chunk)
                        return -ENOMEM;
                s->chunks[s->n_chunks++] = chunk;
                /* The new slots onto the free list, lowest first. */
                for (uint32_t k = ACT_CHUNK; k-- > 0;) {
                        chunk[k].parent = s->free;
                        chunk[k].gen = 1;
                        s->free = s->n_slots + k;
                }
                s->n_slots += ACT_CHUNK;
        }
        i = s->free;
        s->free = act_at(s, i)->parent;
        *ret = i;
        return 0;
}

static void slot_release(airsup_sys *s, uint32_t i) {
        act *a = act_at(s, i);
        uint32_t gen = a->gen + 1;

        *a = (act) { .gen = gen ? gen : 1, .parent = s->free, .pub = ACT_NONE };
        s->free = i;
}

/* Links I as PARENT's last child. */
static void link_child(airsup_sys *s, uint32_t parent, uint32_t i) {
        act_sup *p = act_at(s, parent)->sup;
        act *a = act_at(s, i);

        a->parent = parent;
        a->prev = p->last;
        a->next = ACT_NONE;
        if (p->last != ACT_NONE)
                act_at(s, p->last)->next = i;
        else
                p->first = i;
        p->last = i;
        p->n++;
}

static void unlink_child(airsup_sys *s, uint32_t i) {
        act *a = act_at(s, i);
        act_sup *p;

        if (a->parent == ACT_NONE)
                return;
        p = act_at(s, a->parent)->sup;
        if (a->prev != ACT_NONE)
                act_at(s, a->prev)->next = a->next;
        else
                p->first = a->next;
        if (a->next != ACT_NONE)
                act_at(s, a->next)->prev = a->prev;
        else
                p->last = a->prev;
        p->n--;
}

/* A new slot for a child of PARENT (ACT_NONE: the root), named NAME. */
static int node_new(airsup_sys *s, uint32_t parent, const char *name, uint8_t kind, uint8_t restart,
                    uint32_t *ret) {
        uint32_t i;
        act *a;
        int r;

        if (name) {
                if (act__find_name(s, name, strlen(name)) != ACT_NONE)
                        return -EEXIST;
                r = names_grow(s);
                if (r < 0)
                        return r;
        }
        r = slot_new(s, &i);
        if (r < 0)
                return r;
        a = act_at(s, i);
        a->kind = kind;
        a->restart = restart;
        a->run = ACT_R_STOPPED;
        a->pub = ACT_NONE;
        a->prev = a->next = a->parent = ACT_NONE;
        if (name) {
                a->name = strdup(name);
                if (!a->name) {
                        slot_release(s, i);
                        return -ENOMEM;
                }
                names_put(s, i);
                s->names_used++;
        }
        if (parent != ACT_NONE)
                link_child(s, parent, i);
        *ret = i;
        return 0;
}

static void node_free(airsup_sys *s, uint32_t i) {
        act *a = act_at(s, i);

        unlink_child(s, i);
        act__pub_release(s, i);
        if (a->name) {
                names_del(s, i);
                free(a->name);
        }
        if (a->kind == ACT_K_SUP) {
                sup_window_done(&a->sup->window);
                free(a->sup);
                s->n_sups--;
        } else
                s->n_actors--;
        slot_release(s, i);
}

/* ---- the system ---- */

static int sup_new(airsup_sys *s, uint32_t parent, const airsup_sup_opts *o, uint32_t *ret) {
        act_sup *p;
        uint32_t i;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->o = *o;
        p->o.name = NULL;
        p->first = p->last = ACT_NONE;
        r = sup_window_init(&p->window, o->intensity);
        if (r < 0) {
                free(p);
                return r;
        }
        r = node_new(s, parent, o->name, ACT_K_SUP, (uint8_t) o->restart, &i);
        if (r < 0) {
                sup_window_done(&p->window);
                free(p);
                return r;
        }
        act_at(s, i)->sup = p;
        act_at(s, i)->run = ACT_R_RUNNING;
        act_at(s, i)->flags |= ACT_F_EVER;
        act_at(s, i)->started_ns = act__now();
        s->n_sups++;
        act__pub_update(s, i);
        act__event(s, i, CHAN_ACTOR_STARTED, 0, 0, "supervisor");
        *ret = i;
        return 0;
}

EXPORT int airsup_sys_new(airsup *a, const airsup_sys_opts *o, airsup_sys **ret) {
        airsup_sup_opts def, root;
        airsup_sys *s;
        int r;

        if (!ret)
                return -EINVAL;
        airsup_sup_opts_init(&def);
        root = o && o->root ? *o->root : def;
        /* The root is named, so that airsupctl actors and the events
         * say "root", unless the program named it otherwise. */
        if (!root.name)
                root.name = "root";
        if (!sup_opts_valid(&root) || (o && o->published > ACT_CAPACITY_MAX))
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->a = a;
        s->free = ACT_NONE;
        s->root = ACT_NONE;
        s->current = ACT_NONE;
        s->budget = o && o->budget ? o->budget : ACT_BUDGET;
        s->no_exit = o && o->no_exit;
        s->timer_fd = s->local_fd = s->epfd = -EBADF;
        s->pub.fd = -EBADF;
        r = act__timers_init(s);
        if (r >= 0) {
                s->local_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                s->epfd = epoll_create1(EPOLL_CLOEXEC);
                if (s->local_fd < 0 || s->epfd < 0)
                        r = -errno;
        }
        if (r >= 0) {
                struct epoll_event ev = { .events = EPOLLIN };
                if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->timer_fd, &ev) < 0 ||
                    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->local_fd, &ev) < 0 ||
                    (a && epoll_ctl(s->epfd, EPOLL_CTL_ADD, airsup_fd(a), &ev) < 0))
                        r = -errno;
        }
        if (r >= 0)
                r = act__pub_init(s, o && o->published ? o->published : ACT_PUBLISHED);
        if (r >= 0)
                r = sup_new(s, ACT_NONE, &root, &s->root);
        if (r < 0) {
                airsup_sys_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

EXPORT airsup_sys *airsup_sys_free(airsup_sys *s) {
        if (!s)
                return NULL;
        if (s->root != ACT_NONE)
                act__terminate(s, s->root, 0);
        act__events_flush(s);
        act__pub_free(s);
        act__asks_free(s);
        act__subs_free(s);
        act__watch_free(s);
        act__timers_free(s);
        act__msgs_free(s);
        for (uint32_t c = 0; c < s->n_chunks; c++)
                free(s->chunks[c]);
        free(s->chunks);
        free(s->names);
        free(s->ready);
        free(s->pending);
        free(s->stops);
        free(s->rxbuf);
        if (s->local_fd >= 0)
                (void) close(s->local_fd);
        if (s->epfd >= 0)
                (void) close(s->epfd);
        free(s);
        return NULL;
}

EXPORT airsup_ref airsup_root(const airsup_sys *s) {
        return s && s->root != ACT_NONE ? act_ref(s, s->root) : 0;
}

EXPORT airsup_ref airsup_self(const airsup_sys *s) {
        return s && s->current != ACT_NONE ? act_ref(s, s->current) : 0;
}

/* The live supervisor REF names, or ACT_NONE. */
static uint32_t sup_slot(const airsup_sys *s, airsup_ref r) {
        uint32_t i = act_slot(s, r);
        return i != ACT_NONE && act_at(s, i)->kind == ACT_K_SUP ? i : ACT_NONE;
}

EXPORT int airsup_supervise(airsup_sys *s, airsup_ref parent, const airsup_sup_opts *o, airsup_ref *ret) {
        airsup_sup_opts def;
        uint32_t p, i;
        int r;

        if (!s)
                return -EINVAL;
        p = sup_slot(s, parent);
        if (p == ACT_NONE)
                return -EINVAL;
        /* Bounded nesting: restarting a supervisor walks its subtree. */
        {
                unsigned depth = 0;
                for (uint32_t k = p; k != ACT_NONE; k = act_at(s, k)->parent)
                        if (++depth >= ACT_NEST_MAX)
                                return -ELOOP;
        }
        if (act_at(s, p)->run != ACT_R_RUNNING)
                return -ESHUTDOWN;
        if (!o) {
                airsup_sup_opts_init(&def);
                o = &def;
        }
        if (!sup_opts_valid(o))
                return -EINVAL;
        r = sup_new(s, p, o, &i);
        if (r < 0)
                return r;
        if (ret)
                *ret = act_ref(s, i);
        return 0;
}

int act__start(airsup_sys *s, uint32_t i) {
        act *a = act_at(s, i);
        uint32_t saved = s->current;
        void *state = a->arg;
        int r = 0;

        if (a->kind == ACT_K_SUP) {
                a->run = ACT_R_RUNNING;
                a->flags &= ~ACT_F_FAILED;
                a->started_ns = act__now();
                return 0;
        }
        if (a->b->start) {
                s->current = i;
                r = a->b->start(s, act_ref(s, i), a->arg, &state);
                s->current = saved;
                /* The hook may have stopped its own actor: nothing to start. */
                a = act_at(s, i);
                if (a->kind == ACT_K_FREE)
                        return -ESRCH;
        }
        if (r < 0) {
                a->last_error = r;
                a->run = ACT_R_STOPPED;
                return r;
        }
        a->state = state;
        a->run = ACT_R_RUNNING;
        a->flags |= ACT_F_EVER;
        a->flags &= ~ACT_F_EXITING;
        a->started_ns = act__now();
        return 0;
}

EXPORT int airsup_spawn(airsup_sys *s, airsup_ref sup, const airsup_behaviour *b, const airsup_spawn_opts *o,
                        airsup_ref *ret) {
        uint32_t p, i;
        int r;

        if (!s || !b || !b->handle)
                return -EINVAL;
        if (o && ((o->name && !actor_name_valid(o->name)) || o->restart < AIRSUP_PERMANENT ||
                  o->restart > AIRSUP_TEMPORARY))
                return -EINVAL;
        p = sup_slot(s, sup);
        if (p == ACT_NONE)
                return -EINVAL;
        if (act_at(s, p)->run != ACT_R_RUNNING)
                return -ESHUTDOWN;
        r = node_new(s, p, o ? o->name : NULL, ACT_K_ACTOR, (uint8_t) (o ? o->restart : AIRSUP_PERMANENT), &i);
        if (r < 0)
                return r;
        act_at(s, i)->b = b;
        act_at(s, i)->arg = o ? o->arg : NULL;
        s->n_actors++;
        r = act__start(s, i);
        if (r < 0) {
                if (act_at(s, i)->kind != ACT_K_FREE)
                        node_free(s, i);
                return r;
        }
        act__pub_update(s, i);
        if (act_at(s, i)->name)
                act__event(s, i, CHAN_ACTOR_STARTED, 0, 0, NULL);
        if (ret)
                *ret = act_ref(s, i);
        return 0;
}

/* Stops I's children, last first, then I itself.  Iterative: a tree
 * built by code may be deep. */
void act__stop_tree(airsup_sys *s, uint32_t i, int reason) {
        uint32_t k = i, from = ACT_NONE;

        for (;;) {
                act *a = act_at(s, k);
                uint32_t child = ACT_NONE;

                /* The last running child of a supervisor goes first; back
                 * from a child, the scan goes on before it (linear in the
                 * number of children, not quadratic). */
                if (a->kind == ACT_K_SUP)
                        for (uint32_t c = from != ACT_NONE ? act_at(s, from)->prev : a->sup->last; c != ACT_NONE;
                             c = act_at(s, c)->prev)
                                if (act_at(s, c)->run != ACT_R_STOPPED) {
                                        child = c;
                                        break;
                                }
                if (child != ACT_NONE) {
                        k = child;
                        from = ACT_NONE;
                        continue;
                }
                if (a->run != ACT_R_STOPPED) {
                        a->run = ACT_R_STOPPED;
                        if (a->kind == ACT_K_ACTOR && a->b->stop) {
                                uint32_t saved = s->current;
                                s->current = k;
                                a->b->stop(s, act_ref(s, k), a->state, reason);
                                s->current = saved;
                        }
                        a = act_at(s, k);
                        a->state = NULL;
                        act__pub_update(s, k);
                }
                if (k == i)
                        return;
                from = k;
                k = a->parent;
        }
}

void act__terminate(airsup_sys *s, uint32_t i, int reason) {
        act__stop_tree(s, i, reason);
        /* Then free the subtree, children before their supervisor. */
        for (uint32_t k = i;;) {
                act *a = act_at(s, k);
                uint32_t parent = a->parent;

                if (a->kind == ACT_K_SUP && a->sup->last != ACT_NONE) {
                        k = a->sup->last;
                        continue;
                }
                act__drop_mailbox(s, k);
                if (s->watches_n > 0 && a->kind == ACT_K_ACTOR)
                        act__watch_down(s, k, reason);
                if (k == s->root)
                        s->root = ACT_NONE;
                node_free(s, k);
                if (k == i)
                        return;
                k = parent;
        }
}

EXPORT int airsup_stop(airsup_sys *s, airsup_ref r) {
        uint32_t i;

        if (!s)
                return -EINVAL;
        i = act_slot(s, r);
        if (i == ACT_NONE)
                return -ESRCH;
        if (i == s->root)
                return -EPERM;          /* airsup_sys_quit() ends the system */
        /* An actor that stops itself, or an ancestor of the running one:
         * after its handler returns. */
        for (uint32_t k = s->current; k != ACT_NONE; k = act_at(s, k)->parent)
                if (k == i) {
                        if (s->stops_n == s->stops_cap) {
                                uint32_t cap = s->stops_cap ? s->stops_cap * 2 : 4;
                                airsup_ref *n = reallocarray(s->stops, cap, sizeof(*n));
                                if (!n)
                                        return -ENOMEM;
                                s->stops = n;
                                s->stops_cap = cap;
                        }
                        s->stops[s->stops_n++] = r;
                        return 0;
                }
        act__terminate(s, i, 0);
        return 0;
}

EXPORT int airsup_whereis(airsup_sys *s, const char *name, airsup_ref *ret) {
        uint32_t i;

        if (!s || !name || !ret || !actor_name_valid(name))
                return -EINVAL;
        i = act__find_name(s, name, strlen(name));
        if (i == ACT_NONE)
                return -ENOENT;
        *ret = act_ref(s, i);
        return 0;
}

EXPORT int airsup_actor_info_get(airsup_sys *s, airsup_ref r, airsup_actor_info *ret) {
        uint32_t i;
        act *a;

        if (!s || !ret)
                return -EINVAL;
        i = act_slot(s, r);
        if (i == ACT_NONE)
                return -ESRCH;
        a = act_at(s, i);
        memset(ret, 0, sizeof(*ret));
        if (a->name)
                (void) snprintf(ret->name, sizeof(ret->name), "%s", a->name);
        ret->parent = a->parent != ACT_NONE ? act_ref(s, a->parent) : 0;
        ret->supervisor = a->kind == ACT_K_SUP;
        ret->state = a->run;
        ret->depth = a->depth;
        ret->restarts = a->restarts;
        ret->processed = a->processed;
        ret->last_error = a->last_error;
        return 0;
}
