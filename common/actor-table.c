/* actor-table.c - the reader's side of a published actor table
 * (actor-table.h).  The bytes belong to another process that may be
 * rewriting them while we look, or lying: everything is copied out of
 * the mapping first (volatile byte reads, so the compiler reads each
 * byte once and never re-reads a field after checking it) and checked
 * only in the copy. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/actor-addr.h"
#include "common/actor-table.h"

/* Tries at a consistent copy before taking a torn one: a writer that is
 * really refreshing finishes in far less time than a few copies take. */
#define ACT_READ_TRIES 4

_Static_assert(ACT_NAME_MAX == ACTOR_NAME_MAX, "a table's names are actor names");

static void copy_out(void *dst, const volatile void *src, size_t len) {
        const volatile unsigned char *s = src;
        unsigned char *d = dst;

        for (size_t i = 0; i < len; i++)
                d[i] = s[i];
}

static uint64_t seq_of(const volatile void *base) {
        act_table_hdr h;

        copy_out(&h.seq, (const volatile unsigned char *) base + offsetof(act_table_hdr, seq), sizeof(h.seq));
        return h.seq;
}

/* One checked row out of entry E, or false for an entry that is not shown. */
static bool row_from(const act_entry *e, uint32_t n, act_row *ret) {
        if (e->state == ACT_FREE || e->state >= _ACT_STATE_MAX || e->kind >= _ACT_KIND_MAX)
                return false;
        memset(ret, 0, sizeof(*ret));
        if (memchr(e->name, '\0', sizeof(e->name)) && (e->name[0] == '\0' || actor_name_valid(e->name)))
                memcpy(ret->name, e->name, sizeof(ret->name));
        else
                strcpy(ret->name, "?");
        ret->id = e->id;
        ret->processed = e->processed;
        ret->parent = e->parent < n ? e->parent : ACT_NO_PARENT;
        ret->state = (act_state) e->state;
        ret->kind = (act_kind) e->kind;
        ret->depth = e->depth;
        ret->restarts = e->restarts;
        ret->last_error = e->last_error;
        return true;
}

/* Parent indices of the table into indices of rows[]: a parent that is
 * not shown, or the link that closes a loop, becomes none, so that a
 * reader walking up from any row always ends.  Linear (each row is
 * walked over once more after it is settled): a hostile chain a million
 * deep costs what a million rows cost.  ROW_OF is reused as the marks. */
static void remap_parents(act_row *rows, size_t n_rows, uint32_t *row_of, uint32_t n) {
        enum { UNSEEN, ON_PATH, SETTLED };
        uint8_t *mark = (uint8_t *) row_of;     /* n >= n_rows bytes fit in n uint32_t */

        for (size_t i = 0; i < n_rows; i++) {
                uint32_t p = rows[i].parent;

                rows[i].parent = p < n ? row_of[p] : ACT_NO_PARENT;
        }
        memset(mark, UNSEEN, n_rows);
        for (size_t i = 0; i < n_rows; i++) {
                uint32_t at = (uint32_t) i;

                while (mark[at] == UNSEEN) {
                        uint32_t p = rows[at].parent;

                        mark[at] = ON_PATH;
                        if (p == ACT_NO_PARENT)
                                break;
                        if (mark[p] == ON_PATH) {
                                rows[at].parent = ACT_NO_PARENT;
                                break;
                        }
                        at = p;
                }
                for (at = (uint32_t) i; at != ACT_NO_PARENT && mark[at] == ON_PATH; at = rows[at].parent)
                        mark[at] = SETTLED;
        }
}

/* Whether H, as copied, is a table's header that fits in SIZE bytes. */
static bool hdr_valid(const act_table_hdr *h, size_t size) {
        return h->magic == ACT_TABLE_MAGIC && h->version == ACT_TABLE_VERSION && h->entry_size == ACT_ENTRY_SIZE &&
               h->capacity <= ACT_CAPACITY_MAX && act_table_size(h->capacity) <= size;
}

int act_table_read_totals(const volatile void *base, size_t size, act_table_hdr *ret) {
        act_table_hdr h;

        if (!base || !ret || size < ACT_HDR_SIZE)
                return -EBADMSG;
        for (int tries = 0; tries < ACT_READ_TRIES; tries++) {
                copy_out(&h, base, sizeof(h));
                __atomic_thread_fence(__ATOMIC_ACQUIRE);
                if (h.seq % 2 == 0 && seq_of(base) == h.seq)
                        break;
        }
        if (!hdr_valid(&h, size))
                return -EBADMSG;
        if (h.n > h.capacity)
                h.n = h.capacity;
        memset(h.pad, 0, sizeof(h.pad));
        *ret = h;
        return 0;
}

int act_table_read(const volatile void *base, size_t size, act_snapshot *ret) {
        act_table_hdr h;
        act_entry *entries = NULL;
        act_row *rows = NULL;
        uint32_t *row_of = NULL;
        size_t n_rows = 0;
        bool torn = true;

        if (!base || !ret || size < ACT_HDR_SIZE)
                return -EBADMSG;
        for (int tries = 0; tries < ACT_READ_TRIES; tries++) {
                uint64_t after;

                copy_out(&h, base, sizeof(h));
                if (!hdr_valid(&h, size)) {
                        free(entries);
                        return -EBADMSG;
                }
                /* A lying n is cut to what is there: what the segment holds is all we read. */
                if (h.n > h.capacity)
                        h.n = h.capacity;
                free(entries);
                entries = h.n ? malloc((size_t) h.n * sizeof(*entries)) : NULL;
                if (h.n && !entries)
                        return -ENOMEM;
                copy_out(entries, (const volatile unsigned char *) base + ACT_HDR_SIZE, (size_t) h.n * sizeof(*entries));
                __atomic_thread_fence(__ATOMIC_ACQUIRE);
                after = seq_of(base);
                if (h.seq % 2 == 0 && after == h.seq) {
                        torn = false;
                        break;
                }
        }
        if (h.n) {
                rows = calloc(h.n, sizeof(*rows));
                row_of = malloc((size_t) h.n * sizeof(*row_of));
                if (!rows || !row_of) {
                        free(entries);
                        free(rows);
                        free(row_of);
                        return -ENOMEM;
                }
        }
        for (uint32_t i = 0; i < h.n; i++) {
                row_of[i] = ACT_NO_PARENT;
                if (row_from(&entries[i], h.n, &rows[n_rows]))
                        row_of[i] = (uint32_t) n_rows++;
        }
        remap_parents(rows, n_rows, row_of, h.n);
        free(entries);
        free(row_of);
        memset(h.pad, 0, sizeof(h.pad));
        *ret = (act_snapshot) { .totals = h, .rows = rows, .n_rows = n_rows, .torn = torn };
        return 0;
}

void act_snapshot_done(act_snapshot *s) {
        if (!s)
                return;
        free(s->rows);
        s->rows = NULL;
        s->n_rows = 0;
}
