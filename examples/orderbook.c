/* orderbook - a group hosting thousands of actors (config/demo.conf):
 *
 *   orderbook [SYMBOLS [CHAOS_MS]]  an order book actor per symbol
 *                                   ("book-AAA", "book-AAB", ...) under 8
 *                                   shard supervisors, and a feed actor
 *                                   telling them random orders
 *   orderbook trader SYM            another group: an order to
 *                                   "orderbook/book-SYM" every second
 *
 * A rare poison order makes a book's handler fail: books of even shards
 * are restarted in place (the default error hook), books of odd shards
 * resume with their state.  Every CHAOS_MS (default 20 s) the feed sends
 * a burst of poison to shard-0, whose supervisor exceeds its intensity
 * and escalates to the root; the root restarts it twice, and the third
 * time gives up: the process exits AIRSUP_EXIT_GAVE_UP (70) and airsupd
 * restarts the group by its own rules, about once a minute. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "child/airsup.h"

#define SHARDS 8
#define FRAGILE 0                       /* the shard that gets the bursts */
#define MS (UINT64_C(1000000))

enum { ORDER = 1, TICK = 2, CHAOS = 3 };

typedef struct order {
        uint32_t symbol;                /* index; an order from outside: ignored */
        int32_t qty;                    /* > 0 buy, < 0 sell */
        uint32_t price;                 /* in cents */
        uint32_t poison;                /* 1: the book's handler fails on it */
} order;

typedef struct book {
        char name[16];
        uint32_t best_bid, best_ask;
        uint64_t orders;
} book;

static unsigned n_symbols = 2000;
static airsup_ref *books;               /* by symbol; a ref stays valid across restarts */

static void symbol_name(unsigned i, char *buf, size_t size) {
        snprintf(buf, size, "%c%c%c", 'A' + i / 676 % 26, 'A' + i / 26 % 26, 'A' + i % 26);
}

/* ---- a book: fresh state at each start, freed at each stop ---- */

static int book_start(airsup_sys *s, airsup_ref self, void *arg, void **state) {
        book *b = calloc(1, sizeof(*b));

        (void) s;
        (void) self;
        if (!b)
                return -ENOMEM;
        memcpy(b->name, "book-", 5);
        symbol_name((unsigned) (uintptr_t) arg, b->name + 5, sizeof(b->name) - 5);
        *state = b;
        return 0;
}

static void book_stop(airsup_sys *s, airsup_ref self, void *state, int reason) {
        (void) s;
        (void) self;
        (void) reason;
        free(state);
}

static int book_handle(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        book *b = state;
        order o;

        (void) s;
        (void) self;
        if (m->type != ORDER || m->len != sizeof(o))
                return 0;                       /* not ours: ignored */
        memcpy(&o, data, sizeof(o));            /* a lane's payload need not be aligned */
        if (o.poison)
                return -EPROTO;
        b->orders++;
        if (o.qty > 0 && o.price > b->best_bid)
                b->best_bid = o.price;
        if (o.qty < 0 && (b->best_ask == 0 || o.price < b->best_ask))
                b->best_ask = o.price;
        if (m->sender[0]) {                     /* from another group, "orderbook/book-SYM" */
                printf("%s: %s %d @ %u.%02u from %s (bid %u, ask %u, %llu orders)\n", b->name,
                       o.qty > 0 ? "buy" : "sell", abs(o.qty), o.price / 100, o.price % 100, m->sender,
                       b->best_bid, b->best_ask, (unsigned long long) b->orders);
                fflush(stdout);
        }
        return 0;
}

/* Odd shards' books keep their state over a bad order. */
static int book_resume(airsup_sys *s, airsup_ref self, void *state, int error, const airsup_msg *m) {
        (void) s;
        (void) self;
        (void) state;
        (void) error;
        (void) m;
        return AIRSUP_RESUME;
}

static const airsup_behaviour restarting_book = { .handle = book_handle, .start = book_start, .stop = book_stop };
static const airsup_behaviour resuming_book = {
        .handle = book_handle, .start = book_start, .stop = book_stop, .error = book_resume
};

/* ---- the feed: random orders each tick, poison bursts each chaos ---- */

typedef struct feed_state {
        uint64_t ticks, sent;
} feed_state;

static int feed_handle(airsup_sys *s, airsup_ref self, void *state, const airsup_msg *m, const void *data) {
        feed_state *f = state;

        (void) self;
        (void) data;
        if (m->type == TICK) {
                for (int k = 0; k < 200; k++) {
                        order o = { .symbol = (uint32_t) rand() % n_symbols, .qty = rand() % 201 - 100,
                                    .price = 10000 + (uint32_t) rand() % 1000, .poison = rand() % 5000 == 0 };
                        if (airsup_tell(s, books[o.symbol], ORDER, &o, sizeof(o)) == 0)
                                f->sent++;
                }
                if (++f->ticks % 100 == 0) {    /* every 10 s */
                        printf("feed: %llu orders sent\n", (unsigned long long) f->sent);
                        fflush(stdout);
                }
        } else if (m->type == CHAOS) {
                printf("feed: a burst of poison for shard-%d\n", FRAGILE);
                fflush(stdout);
                for (unsigned i = FRAGILE; i < n_symbols && i < FRAGILE + 4 * SHARDS; i += SHARDS) {
                        order o = { .symbol = i, .qty = 1, .price = 1, .poison = 1 };
                        (void) airsup_tell(s, books[i], ORDER, &o, sizeof(o));
                }
        }
        return 0;
}

static const airsup_behaviour feed = { .handle = feed_handle };

/* ---- another group: orders from outside, by address ---- */

static int trader(const char *sym) {
        airsup *a;
        airsup_dest *d;
        char addr[64];
        int r;

        if (airsup_attach(&a) < 0)
                return 2;
        snprintf(addr, sizeof(addr), "orderbook/book-%s", sym);
        r = airsup_lookup(a, addr, 5000 * MS, &d);
        if (r < 0) {
                fprintf(stderr, "trader: %s: %s\n", addr, strerror(-r));
                return 2;
        }
        for (uint32_t n = 1;; n++) {
                order o = { .qty = n % 2 ? 10 : -10, .price = 10000 + n % 50 };
                struct timespec sec = { 1, 0 };
                if (airsup_send(d, ORDER, &o, sizeof(o), NULL) < 0)
                        return 2;
                nanosleep(&sec, NULL);
        }
}

int main(int argc, char **argv) {
        airsup_sup_opts root, shard;
        airsup_sys_opts so = { .root = &root };
        airsup_ref shards[SHARDS], f;
        uint64_t chaos_ms = 20000;
        feed_state fs = { 0 };
        airsup_sys *s;
        airsup *a = NULL;
        int r;

        if (argc == 3 && strcmp(argv[1], "trader") == 0)
                return trader(argv[2]);
        if (argc > 1)
                n_symbols = (unsigned) strtoul(argv[1], NULL, 10);
        if (argc > 2)
                chaos_ms = strtoull(argv[2], NULL, 10);
        if (argc > 3 || n_symbols == 0 || n_symbols > 26 * 26 * 26 || chaos_ms == 0) {
                fprintf(stderr, "usage: orderbook [SYMBOLS [CHAOS_MS]] | orderbook trader SYM\n");
                return 2;
        }
        /* Outside airsupd it runs alone: no messages from other groups. */
        if (airsup_attach(&a) < 0)
                a = NULL;

        /* The root restarts a failed shard twice in 5 minutes, no more. */
        airsup_sup_opts_init(&root);
        root.intensity = 2;
        root.period_ns = 300000 * MS;
        r = airsup_sys_new(a, &so, &s);
        if (r < 0) {
                fprintf(stderr, "orderbook: %s\n", strerror(-r));
                return 1;
        }

        books = calloc(n_symbols, sizeof(*books));
        if (!books)
                return 1;
        for (int k = 0; k < SHARDS; k++) {
                char name[16];
                snprintf(name, sizeof(name), "shard-%d", k);
                airsup_sup_opts_init(&shard);
                shard.name = name;
                shard.intensity = 3;            /* a burst of 4 failures in 1 s is too many */
                shard.period_ns = 1000 * MS;
                shard.backoff_ns = 10 * MS;
                shard.backoff_max_ns = 1000 * MS;
                if (airsup_supervise(s, airsup_root(s), &shard, &shards[k]) < 0)
                        return 1;
        }
        for (unsigned i = 0; i < n_symbols; i++) {
                char name[16] = "book-";
                symbol_name(i, name + 5, sizeof(name) - 5);
                airsup_spawn_opts o = { .name = name, .arg = (void *) (uintptr_t) i };
                r = airsup_spawn(s, shards[i % SHARDS], i % SHARDS % 2 ? &resuming_book : &restarting_book, &o,
                                 &books[i]);
                if (r < 0) {
                        fprintf(stderr, "orderbook: %s: %s\n", name, strerror(-r));
                        return 1;
                }
        }
        airsup_spawn_opts fo = { .name = "feed", .arg = &fs };
        if (airsup_spawn(s, airsup_root(s), &feed, &fo, &f) < 0 ||
            airsup_send_after(s, f, 100 * MS, 100 * MS, TICK, NULL, 0, NULL) < 0 ||
            airsup_send_after(s, f, chaos_ms * MS, chaos_ms * MS, CHAOS, NULL, 0, NULL) < 0)
                return 1;
        printf("orderbook: %u books in %d shards\n", n_symbols, SHARDS);
        fflush(stdout);
        if (a)
                (void) airsup_ready(a);

        /* Returns only if asked to quit; the root giving up exits 70. */
        r = airsup_sys_run(s);
        airsup_sys_free(s);
        airsup_detach(a);
        free(books);
        return r < 0 ? 1 : 0;
}
