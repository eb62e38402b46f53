/* actor-table.h - the table of its actors that a process publishes for
 * airsupd (airsupctl actors, the actor metrics).  The process writes it;
 * airsupd maps it read-only and reads it as untrusted data: a process can
 * lie about its own actors, nothing more.
 *
 * One memfd, sealed against shrinking (F_SEAL_SHRINK) so that a reader's
 * mapping never faults, passed to airsupd with a CHAN_ACTORS record:
 *
 *   0     act_table_hdr (256 bytes): totals over every actor of the
 *         process, and how many entries follow
 *   256   act_entry[capacity] (128 bytes each): one per listed actor or
 *         supervisor (a process lists at most `capacity`; the totals
 *         count them all)
 *
 * The writer bumps seq to odd before it changes anything and to even
 * after.  A reader copies the header and the entries out, and takes the
 * copy if seq was even and unchanged around it; after a few tries it
 * takes what it copied and says so (a writer that keeps seq odd is
 * lying, which it may).  Every field of the copy is checked before use:
 * names NUL-terminated within and made of name characters, enums in
 * range, parent an index below n or ACT_NO_PARENT. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACT_TABLE_MAGIC   UINT32_C(0x31544341)  /* "ACT1" */
#define ACT_TABLE_VERSION 1
#define ACT_HDR_SIZE      256
#define ACT_ENTRY_SIZE    128
#define ACT_NAME_MAX      64                    /* with its NUL */
#define ACT_NO_PARENT     UINT32_MAX
#define ACT_CAPACITY_MAX  (UINT32_C(1) << 20)    /* entries a reader takes at most */

typedef enum act_state {
        ACT_FREE = 0,                   /* an unused entry */
        ACT_RUNNING,
        ACT_RESTARTING,                 /* waiting out a backoff, or being restarted */
        ACT_STOPPED,
        _ACT_STATE_MAX,
} act_state;

typedef enum act_kind {
        ACT_KIND_ACTOR = 0,
        ACT_KIND_SUPERVISOR,
        _ACT_KIND_MAX,
} act_kind;

typedef struct act_table_hdr {
        uint32_t magic, version;
        uint32_t entry_size;            /* ACT_ENTRY_SIZE */
        uint32_t capacity;              /* entries the segment has room for */
        uint32_t n;                     /* entries [0, n) may be in use (ACT_FREE ones are skipped) */
        uint32_t reserved;
        uint64_t seq;                   /* odd while the writer changes the table */
        uint64_t actors;                /* live actors, listed or not */
        uint64_t supervisors;           /* live supervisors, the root included */
        uint64_t processed;             /* messages handled, ever */
        uint64_t failures;              /* handler errors and failed starts, ever */
        uint64_t restarts;              /* actors restarted, ever */
        uint64_t escalations;           /* supervisors that gave up, ever */
        uint64_t dead_letters;          /* messages to no actor, ever */
        uint64_t queued;                /* messages waiting in mailboxes now */
        uint64_t updated_ns;            /* CLOCK_MONOTONIC of the last refresh */
        uint8_t pad[ACT_HDR_SIZE - 104];
} act_table_hdr;

typedef struct act_entry {
        char name[ACT_NAME_MAX];        /* "" for an actor without one */
        uint64_t id;                    /* its airsup_ref in the process */
        uint64_t processed;
        uint32_t parent;                /* the entry of its supervisor, ACT_NO_PARENT for the root */
        uint32_t state;                 /* act_state */
        uint32_t kind;                  /* act_kind */
        uint32_t depth;                 /* messages waiting in its mailbox */
        uint32_t restarts;
        int32_t last_error;             /* 0: none yet */
        uint8_t pad[ACT_ENTRY_SIZE - 104];
} act_entry;

_Static_assert(sizeof(act_table_hdr) == ACT_HDR_SIZE, "header size");
_Static_assert(sizeof(act_entry) == ACT_ENTRY_SIZE, "entry size");

/* The segment size for CAPACITY entries. */
static inline size_t act_table_size(uint32_t capacity) {
        return ACT_HDR_SIZE + (size_t) capacity * ACT_ENTRY_SIZE;
}

/* A checked copy of a table (the reader's side). */
typedef struct act_row {
        char name[ACT_NAME_MAX];
        uint64_t id, processed;
        uint32_t parent;                /* an index into rows[], or ACT_NO_PARENT */
        act_state state;
        act_kind kind;
        uint32_t depth, restarts;
        int32_t last_error;
} act_row;

typedef struct act_snapshot {
        act_table_hdr totals;           /* magic .. updated_ns as read; checked: n <= capacity */
        act_row *rows;                  /* the entries in use, in table order */
        size_t n_rows;
        bool torn;                      /* the writer kept changing it: a best effort */
} act_snapshot;

/* Reads the SIZE bytes at BASE (a read-only mapping of a peer's table)
 * into *RET: 0, -EBADMSG if it is not a table (magic, version, sizes),
 * -ENOMEM.  Rows whose fields fail their checks are shown with what can
 * be trusted (a bad name as "?", a bad parent as none, a bad state
 * skipped); nothing read is used before it is checked. */
int act_table_read(const volatile void *base, size_t size, act_snapshot *ret);
void act_snapshot_done(act_snapshot *s);
/* The header alone (the totals, for a scrape that needs no rows), read
 * and checked as act_table_read() does: 0 or -EBADMSG. */
int act_table_read_totals(const volatile void *base, size_t size, act_table_hdr *ret);
