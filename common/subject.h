/* subject.h - publish/subscribe subjects: their syntax, whether a pattern
 * matches a subject, and an index of patterns that answers "who is
 * interested in this subject" without looking at every pattern.  Pure:
 * no I/O, and nothing here allocates except subject_index_add().  airsupd
 * (the interest table, the config's subscribe = key) and libairsup (a
 * publisher's copy of the table) share it.
 *
 * The syntax is NATS's, so that a bridge maps subjects one to one:
 *
 *   - A subject is one or more tokens separated by '.': "orders.eu.new".
 *     No token is empty: no leading, trailing or double dot, and "" is
 *     no subject.
 *   - A token is made of printable ASCII other than space and '.'
 *     (bytes 0x21 to 0x7e).  Case matters.
 *   - A pattern (what a subscription names) may also hold the wildcards
 *     '*', a whole token matching any one token ("orders.*.new"), and
 *     '>', a whole last token matching one or more tokens ("orders.>"
 *     matches "orders.eu" and "orders.eu.new", not "orders").
 *   - A subject (what a publish names) holds no wildcard.
 *
 * Where this differs from nats-server, on purpose:
 *   - '*' or '>' inside a longer token ("f*o", "foo>") is refused; the
 *     server takes it as a literal, but NATS's protocol text calls it
 *     invalid and a literal '*' that is sometimes a wildcard is a trap.
 *   - Only printable ASCII: the server takes any byte but whitespace
 *     (UTF-8 included); NATS recommends ASCII, and control bytes or
 *     invalid UTF-8 in a name shown by airsupctl are trouble.
 *   - At most SUBJECT_MAX bytes and SUBJECT_TOKENS_MAX tokens: the
 *     server's only bound is its protocol line (4 KiB by default).  A
 *     bound keeps the index's depth and the size of a lane record known.
 *   - "$"-prefixed subjects, reserved by NATS's convention for the
 *     system, are ordinary subjects here. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SUBJECT_MAX 255u                /* bytes, without the NUL */
#define SUBJECT_TOKENS_MAX 32u

/* Whether S is a subject (PATTERN false: no wildcard) or a pattern
 * (PATTERN true) by the rules above.  NULL is neither. */
bool subject_valid(const char *s, bool pattern);

/* Whether PATTERN matches SUBJECT; false when either is not valid (as a
 * pattern, as a subject).  Allocates nothing. */
bool subject_match(const char *pattern, const char *subject);

/* An index of patterns, each under an id the caller chooses (a
 * subscription): a trie over tokens, each node with its literal children
 * (sorted, found by binary search), a '*' child and a '>' child, and the
 * ids of the patterns that end there.  A look-up walks one path per
 * wildcard that applies, so its cost grows with the subject's tokens and
 * the wildcards along them, not with the number of patterns.
 *
 * One id names one pattern; the same pattern may be added under several
 * ids.  Each pattern costs at most one node per token (a node is about
 * 80 bytes and its token), so an index of N patterns holds at most
 * N * SUBJECT_TOKENS_MAX nodes.  MAX bounds N: the caller's documented
 * limit, at most SUBJECT_INDEX_MAX.
 *
 * The caller owns the struct (zeroed, or by subject_index_init()) and
 * frees what it holds with subject_index_done().  Not thread-safe: one
 * writer, and readers only when it does not write. */
#define SUBJECT_INDEX_MAX (UINT32_C(1) << 20)

typedef struct subject_node subject_node;
typedef struct subject_slot subject_slot;

typedef struct subject_index {
        subject_node *root;             /* NULL while empty */
        subject_slot *by_id;            /* open addressing: id -> the node its pattern ends at */
        size_t cap;                     /* slots of by_id, 0 or a power of two */
        size_t n;                       /* patterns */
        size_t max;                     /* patterns at most; 0 in a zeroed struct: SUBJECT_INDEX_MAX */
} subject_index;

/* An empty index of at most MAX patterns (0, or above SUBJECT_INDEX_MAX:
 * SUBJECT_INDEX_MAX). */
void subject_index_init(subject_index *x, size_t max);
/* Frees everything X holds; X is empty (same limit) afterwards.  NULL is
 * fine.  Returns NULL. */
subject_index *subject_index_done(subject_index *x);

/* Adds PATTERN under ID: 0, -EINVAL when PATTERN is not a valid pattern,
 * -EEXIST when ID is already in the index, -E2BIG when the index holds
 * its limit of patterns, -ENOMEM; on error the index is as it was. */
int subject_index_add(subject_index *x, const char *pattern, uint32_t id);
/* Removes the pattern under ID: 0, or -ENOENT. */
int subject_index_remove(subject_index *x, uint32_t id);
/* The pattern under ID, rebuilt into BUF (SUBJECT_MAX + 1 bytes): 0, or
 * -ENOENT. */
int subject_index_pattern(const subject_index *x, uint32_t id, char buf[SUBJECT_MAX + 1]);
size_t subject_index_size(const subject_index *x);

/* Calls FN(ID, USERDATA) once for the id of every pattern that matches
 * SUBJECT, in no promised order, and returns how many it called, or
 * -EINVAL when SUBJECT is not a valid subject.  Allocates nothing.  FN
 * must not change the index. */
typedef void (*subject_match_fn)(uint32_t id, void *userdata);
int subject_index_foreach(const subject_index *x, const char *subject, subject_match_fn fn, void *userdata);
/* The same into IDS: the first N_IDS ids are stored, and the return is
 * how many match (more than N_IDS: call again with a larger array). */
int subject_index_match(const subject_index *x, const char *subject, uint32_t *ids, size_t n_ids);
