/* subject.c - subjects' syntax, the matcher, and the index of patterns
 * (subject.h). */
#include <stdlib.h>
#include <string.h>

#include "common/subject.h"

/* The length of the token at S: up to the next '.' or the end. */
static size_t token_len(const char *s) {
        return strcspn(s, ".");
}

static bool is_star(const char *t, size_t len) {
        return len == 1 && t[0] == '*';
}

static bool is_rest(const char *t, size_t len) {
        return len == 1 && t[0] == '>';
}

bool subject_valid(const char *s, bool pattern) {
        size_t tokens = 0;
        const char *t;

        if (!s)
                return false;
        for (t = s;; t++) {
                const char *p = t;
                bool wild = false;

                for (; *p && *p != '.'; p++) {
                        unsigned char c = (unsigned char) *p;

                        /* Every byte but a dot is looked at here, and a
                         * dot is always followed by one (no empty token):
                         * so this bounds the whole length. */
                        if (c <= ' ' || c > '~' || (size_t) (p - s) >= SUBJECT_MAX)
                                return false;
                        wild |= c == '*' || c == '>';
                }
                if (p == t || ++tokens > SUBJECT_TOKENS_MAX)
                        return false;
                if (wild && (!pattern || p - t != 1 || (*t == '>' && *p)))
                        return false;
                if (!*p)
                        return true;
                t = p;
        }
}

bool subject_match(const char *pattern, const char *subject) {
        const char *p = pattern, *s = subject;

        if (!subject_valid(pattern, true) || !subject_valid(subject, false))
                return false;
        for (;;) {
                size_t pl = token_len(p), sl = token_len(s);

                if (is_rest(p, pl))
                        return true;    /* s has this token at least */
                if (!is_star(p, pl) && (pl != sl || memcmp(p, s, pl) != 0))
                        return false;
                p += pl;
                s += sl;
                if (!*p || !*s)
                        return !*p && !*s;
                p++;
                s++;
        }
}

/* ---- the index ---- */

struct subject_node {
        subject_node *parent;           /* NULL for the root */
        subject_node **lit;             /* literal children, sorted by token */
        size_t n_lit, cap_lit;
        subject_node *star, *rest;      /* the '*' and '>' children */
        uint32_t *ids;                  /* patterns that end here */
        size_t n_ids, cap_ids;
        size_t len;
        char token[];                   /* "" for the root; NUL-terminated */
};

struct subject_slot {
        uint32_t id;
        subject_node *node;             /* NULL: an empty slot */
};

static int token_cmp(const char *a, size_t alen, const char *b, size_t blen) {
        int r = memcmp(a, b, alen < blen ? alen : blen);

        return r ? r : (alen > blen) - (alen < blen);
}

/* The index in N->lit of the child TOKEN, or (not found) where it goes,
 * with *RET_FOUND telling which. */
static size_t lit_find(const subject_node *n, const char *token, size_t len, bool *ret_found) {
        size_t lo = 0, hi = n->n_lit;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int r = token_cmp(n->lit[mid]->token, n->lit[mid]->len, token, len);

                if (r == 0) {
                        *ret_found = true;
                        return mid;
                }
                if (r < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *ret_found = false;
        return lo;
}

static subject_node *trie_node_new(subject_node *parent, const char *token, size_t len) {
        subject_node *n = calloc(1, sizeof(*n) + len + 1);

        if (!n)
                return NULL;
        n->parent = parent;
        n->len = len;
        memcpy(n->token, token, len);
        return n;
}

static bool node_empty(const subject_node *n) {
        return n->n_ids == 0 && n->n_lit == 0 && !n->star && !n->rest;
}

/* Frees N and its ancestors while they hold nothing, unlinking each from
 * its parent; the root stays. */
static void prune(subject_node *n) {
        while (n->parent && node_empty(n)) {
                subject_node *p = n->parent;
                bool found;

                if (p->star == n)
                        p->star = NULL;
                else if (p->rest == n)
                        p->rest = NULL;
                else {
                        size_t i = lit_find(p, n->token, n->len, &found);

                        if (found) {
                                memmove(p->lit + i, p->lit + i + 1, (p->n_lit - i - 1) * sizeof(*p->lit));
                                p->n_lit--;
                        }
                }
                free(n->lit);
                free(n->ids);
                free(n);
                n = p;
        }
}

/* The child of N for TOKEN, made if missing; NULL: out of memory. */
static subject_node *child(subject_node *n, const char *token, size_t len) {
        subject_node *c, **slot;
        bool found;
        size_t i;

        if (is_star(token, len) || is_rest(token, len)) {
                slot = is_star(token, len) ? &n->star : &n->rest;
                if (!*slot)
                        *slot = trie_node_new(n, token, len);
                return *slot;
        }
        i = lit_find(n, token, len, &found);
        if (found)
                return n->lit[i];
        if (n->n_lit == n->cap_lit) {
                size_t cap = n->cap_lit ? 2 * n->cap_lit : 4;
                subject_node **lit = realloc(n->lit, cap * sizeof(*lit));

                if (!lit)
                        return NULL;
                n->lit = lit;
                n->cap_lit = cap;
        }
        c = trie_node_new(n, token, len);
        if (!c)
                return NULL;
        memmove(n->lit + i + 1, n->lit + i, (n->n_lit - i) * sizeof(*n->lit));
        n->lit[i] = c;
        n->n_lit++;
        return c;
}

static size_t slot_of(const subject_index *x, uint32_t id) {
        uint32_t h = id;

        /* A 32-bit finalizer mix: callers' ids are often consecutive. */
        h ^= h >> 16;
        h *= UINT32_C(0x7feb352d);
        h ^= h >> 15;
        h *= UINT32_C(0x846ca68b);
        h ^= h >> 16;
        return h & (x->cap - 1);
}

static subject_slot *slot_find(const subject_index *x, uint32_t id) {
        if (x->cap == 0)
                return NULL;
        for (size_t i = slot_of(x, id);; i = (i + 1) & (x->cap - 1)) {
                if (!x->by_id[i].node)
                        return NULL;
                if (x->by_id[i].id == id)
                        return &x->by_id[i];
        }
}

static void slot_put(subject_index *x, uint32_t id, subject_node *node) {
        size_t i = slot_of(x, id);

        while (x->by_id[i].node)
                i = (i + 1) & (x->cap - 1);
        x->by_id[i] = (subject_slot) { .id = id, .node = node };
}

/* Makes room for one more id: the table stays at most half full. */
static int slots_reserve(subject_index *x) {
        subject_slot *old = x->by_id;
        size_t old_cap = x->cap, cap;

        if (2 * (x->n + 1) <= x->cap)
                return 0;
        cap = x->cap ? 2 * x->cap : 16;
        x->by_id = calloc(cap, sizeof(*x->by_id));
        if (!x->by_id) {
                x->by_id = old;
                return -ENOMEM;
        }
        x->cap = cap;
        for (size_t i = 0; i < old_cap; i++)
                if (old[i].node)
                        slot_put(x, old[i].id, old[i].node);
        free(old);
        return 0;
}

/* Empties slot I, moving back what a later probe would no longer find
 * (deletion without tombstones, for linear probing). */
static void slot_clear(subject_index *x, size_t i) {
        size_t mask = x->cap - 1;

        for (size_t j = (i + 1) & mask; x->by_id[j].node; j = (j + 1) & mask) {
                size_t home = slot_of(x, x->by_id[j].id);

                /* Stays if its home lies cyclically in (i, j]. */
                if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
                        continue;
                x->by_id[i] = x->by_id[j];
                i = j;
        }
        x->by_id[i] = (subject_slot) { 0 };
}

void subject_index_init(subject_index *x, size_t max) {
        *x = (subject_index) { .max = max };
}

static size_t index_max(const subject_index *x) {
        return x->max && x->max <= SUBJECT_INDEX_MAX ? x->max : SUBJECT_INDEX_MAX;
}

static void node_free_all(subject_node *n) {
        if (!n)
                return;
        for (size_t i = 0; i < n->n_lit; i++)
                node_free_all(n->lit[i]);       /* depth at most SUBJECT_TOKENS_MAX */
        node_free_all(n->star);
        node_free_all(n->rest);
        free(n->lit);
        free(n->ids);
        free(n);
}

subject_index *subject_index_done(subject_index *x) {
        if (!x)
                return NULL;
        node_free_all(x->root);
        free(x->by_id);
        subject_index_init(x, x->max);
        return NULL;
}

size_t subject_index_size(const subject_index *x) {
        return x ? x->n : 0;
}

int subject_index_add(subject_index *x, const char *pattern, uint32_t id) {
        subject_node *n;
        int r;

        if (!x || !subject_valid(pattern, true))
                return -EINVAL;
        if (slot_find(x, id))
                return -EEXIST;
        if (x->n >= index_max(x))
                return -E2BIG;
        r = slots_reserve(x);
        if (r < 0)
                return r;
        if (!x->root) {
                x->root = trie_node_new(NULL, "", 0);
                if (!x->root)
                        return -ENOMEM;
        }
        n = x->root;
        for (const char *t = pattern;; t++) {
                size_t len = token_len(t);
                subject_node *c = child(n, t, len);

                if (!c) {
                        prune(n);
                        return -ENOMEM;
                }
                n = c;
                t += len;
                if (!*t)
                        break;
        }
        if (n->n_ids == n->cap_ids) {
                size_t cap = n->cap_ids ? 2 * n->cap_ids : 2;
                uint32_t *ids = realloc(n->ids, cap * sizeof(*ids));

                if (!ids) {
                        prune(n);
                        return -ENOMEM;
                }
                n->ids = ids;
                n->cap_ids = cap;
        }
        n->ids[n->n_ids++] = id;
        slot_put(x, id, n);
        x->n++;
        return 0;
}

int subject_index_remove(subject_index *x, uint32_t id) {
        subject_slot *s = x ? slot_find(x, id) : NULL;
        subject_node *n;

        if (!s)
                return -ENOENT;
        n = s->node;
        for (size_t i = 0; i < n->n_ids; i++)
                if (n->ids[i] == id) {
                        n->ids[i] = n->ids[--n->n_ids];
                        break;
                }
        slot_clear(x, (size_t) (s - x->by_id));
        x->n--;
        prune(n);
        return 0;
}

int subject_index_pattern(const subject_index *x, uint32_t id, char buf[SUBJECT_MAX + 1]) {
        const subject_slot *s = x ? slot_find(x, id) : NULL;
        size_t at = SUBJECT_MAX + 1;

        if (!s)
                return -ENOENT;
        /* Built from the end: the path is known only from its last node. */
        buf[--at] = '\0';
        for (const subject_node *n = s->node; n->parent; n = n->parent) {
                if (at < SUBJECT_MAX)
                        buf[--at] = '.';
                at -= n->len;
                memcpy(buf + at, n->token, n->len);
        }
        memmove(buf, buf + at, SUBJECT_MAX + 1 - at);
        return 0;
}

static size_t report(const subject_node *n, subject_match_fn fn, void *userdata) {
        for (size_t i = 0; i < n->n_ids; i++)
                fn(n->ids[i], userdata);
        return n->n_ids;
}

/* The patterns under N that match the rest of the subject from T (NULL:
 * the subject ended with N's token). */
static size_t walk(const subject_node *n, const char *t, subject_match_fn fn, void *userdata) {
        const char *next;
        size_t len, found = 0;
        bool hit;

        if (!t)
                return report(n, fn, userdata);
        len = token_len(t);
        next = t[len] ? t + len + 1 : NULL;
        if (n->rest)
                found += report(n->rest, fn, userdata);
        if (n->star)
                found += walk(n->star, next, fn, userdata);
        if (n->n_lit) {
                size_t i = lit_find(n, t, len, &hit);

                if (hit)
                        found += walk(n->lit[i], next, fn, userdata);
        }
        return found;
}

int subject_index_foreach(const subject_index *x, const char *subject, subject_match_fn fn, void *userdata) {
        if (!x || !fn || !subject_valid(subject, false))
                return -EINVAL;
        return x->root ? (int) walk(x->root, subject, fn, userdata) : 0;
}

typedef struct collect {
        uint32_t *ids;
        size_t n_ids, n;
} collect;

static void collect_one(uint32_t id, void *userdata) {
        collect *c = userdata;

        if (c->n < c->n_ids)
                c->ids[c->n] = id;
        c->n++;
}

int subject_index_match(const subject_index *x, const char *subject, uint32_t *ids, size_t n_ids) {
        collect c = { .ids = ids, .n_ids = n_ids };

        if (!ids && n_ids)
                return -EINVAL;
        return subject_index_foreach(x, subject, collect_one, &c);
}
