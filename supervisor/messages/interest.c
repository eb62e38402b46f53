/* interest.c - the interest table (interest.h): run-time subscriptions
 * in a subject index (common/subject.c) by slot, and the generation page. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/subject.h"
#include "supervisor/core/names.h"
#include "supervisor/messages/interest.h"

typedef struct interest_sub {
        sup_proc *owner;                /* NULL: a free slot */
        bool all;
} interest_sub;

struct sup_interest {
        int fd;
        volatile uint64_t *gen;
        subject_index idx;
        interest_sub *subs;
        uint32_t n, cap;
};

static struct sup_interest *get(sup_manager *m) {
        struct sup_interest *it = m->interest;

        if (it)
                return it;
        it = calloc(1, sizeof(*it));
        if (!it)
                return NULL;
        it->fd = -EBADF;
        subject_index_init(&it->idx, INTEREST_MAX);
        m->interest = it;
        return it;
}

int interest_page_fd(sup_manager *m) {
        struct sup_interest *it = get(m);
        void *p;
        int fd;

        if (!it)
                return -ENOMEM;
        if (it->fd >= 0)
                return it->fd;
        fd = memfd_create("airsup-interest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        if (ftruncate(fd, 4096) < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0 ||
            (p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
                int r = -errno;
                (void) close(fd);
                return r;
        }
        it->fd = fd;
        it->gen = p;
        return fd;
}

void interest_bump(sup_manager *m) {
        struct sup_interest *it = m->interest;

        if (it && it->gen)
                __atomic_add_fetch(it->gen, 1, __ATOMIC_RELEASE);
}

int interest_subscribe(sup_manager *m, sup_proc *p, const char *pattern, bool all) {
        struct sup_interest *it = get(m);
        uint32_t id;
        int r;

        if (!it)
                return -ENOMEM;
        if (!subject_valid(pattern, true))
                return -EINVAL;
        if (p->broker.subs >= INTEREST_PER_PROC)
                return -ENOSPC;
        for (id = 0; id < it->n && it->subs[id].owner; id++)
                ;
        if (id == it->n) {
                if (it->n >= INTEREST_MAX)
                        return -E2BIG;
                if (it->n == it->cap) {
                        uint32_t cap = it->cap ? it->cap * 2 : 64;
                        interest_sub *n = reallocarray(it->subs, cap, sizeof(*n));
                        if (!n)
                                return -ENOMEM;
                        it->subs = n;
                        it->cap = cap;
                }
                it->subs[it->n++] = (interest_sub) {};
        }
        r = subject_index_add(&it->idx, pattern, id);
        if (r < 0)
                return r;
        it->subs[id] = (interest_sub) { .owner = p, .all = all };
        p->broker.subs++;
        interest_bump(m);
        return 0;
}

int interest_unsubscribe(sup_manager *m, sup_proc *p, const char *pattern) {
        struct sup_interest *it = m->interest;
        char buf[SUBJECT_MAX + 1];

        for (uint32_t id = 0; it && id < it->n; id++)
                if (it->subs[id].owner == p && subject_index_pattern(&it->idx, id, buf) == 0 &&
                    strcmp(buf, pattern) == 0) {
                        (void) subject_index_remove(&it->idx, id);
                        it->subs[id].owner = NULL;
                        p->broker.subs--;
                        interest_bump(m);
                        return 0;
                }
        return -ENOENT;
}

void interest_drop(sup_manager *m, sup_proc *p) {
        struct sup_interest *it = m->interest;

        for (uint32_t id = 0; it && id < it->n && p->broker.subs > 0; id++)
                if (it->subs[id].owner == p) {
                        (void) subject_index_remove(&it->idx, id);
                        it->subs[id].owner = NULL;
                        p->broker.subs--;
                }
        interest_bump(m);
}

/* The targets so far, to say each once. */
typedef struct targets {
        sup_manager *m;
        const char *subject;
        interest_fn fn;
        void *userdata;
        const char **said;              /* names said, for duplicates */
        size_t n, cap;
        int r;
} targets;

static void say(targets *t, const char *name, unsigned n) {
        const char **s;

        if (t->r < 0)
                return;
        for (size_t k = 0; k < t->n; k++)
                if (strcmp(t->said[k], name) == 0)
                        return;
        if (t->n == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 16;
                s = reallocarray(t->said, cap, sizeof(*s));
                if (!s) {
                        t->r = -ENOMEM;
                        return;
                }
                t->said = s;
                t->cap = cap;
        }
        t->said[t->n++] = name;
        if (t->fn(name, n, t->userdata) < 0)
                t->r = -EIO;
}

/* Whether one of N's durable subscriptions (subscribe =, and what a
 * bridge exports) matches SUBJECT. */
static bool durable_match(const cfg_node *c, const char *subject) {
        const cfg_patterns *lists[] = { &c->subscribe, &cfg_node_extra(c)->nats_export[0], &cfg_node_extra(c)->nats_export[1] };

        for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
                for (unsigned k = 0; k < lists[i]->n; k++)
                        if (subject_match(lists[i]->list[k], subject))
                                return true;
        return false;
}

static int durable(sup_node *n, unsigned depth, void *userdata) {
        targets *t = userdata;

        (void) depth;
        if (n->cfg->supervisor || n->n_procs == 0 || !durable_match(n->cfg, t->subject))
                return 0;
        if (n->n_procs == 1)
                say(t, n->procs[0].name, 0);
        else if (n->cfg->subscribe_all)
                for (size_t i = 0; i < n->n_procs; i++)
                        say(t, n->procs[i].name, 0);
        else
                say(t, n->cfg->name, (unsigned) n->n_procs);
        return t->r;
}

static void runtime(uint32_t id, void *userdata) {
        targets *t = userdata;
        struct sup_interest *it = t->m->interest;

        if (id < it->n && it->subs[id].owner)
                say(t, it->subs[id].owner->name, 0);
}

int interest_targets(sup_manager *m, const char *subject, interest_fn fn, void *userdata) {
        targets t = { .m = m, .subject = subject, .fn = fn, .userdata = userdata };

        if (!subject_valid(subject, false))
                return -EINVAL;
        (void) manager_walk(m, durable, &t);
        if (t.r >= 0 && m->interest)
                (void) subject_index_foreach(&m->interest->idx, subject, runtime, &t);
        free(t.said);
        return t.r < 0 ? t.r : (int) t.n;
}

void interest_free(sup_manager *m) {
        struct sup_interest *it = m->interest;

        if (!it)
                return;
        subject_index_done(&it->idx);
        free(it->subs);
        if (it->gen)
                (void) munmap((void *) it->gen, 4096);
        if (it->fd >= 0)
                (void) close(it->fd);
        free(it);
        m->interest = NULL;
}
