/* fuzz-subject - subjects and the index of patterns (common/subject.c).
 * The input is lines, each an operation: "-N" removes the pattern added
 * by line N (a byte, modulo the lines), "?SUBJECT" asks the index who
 * matches SUBJECT, anything else adds the line as a pattern under its
 * line number.  Every answer of the index must equal subject_match()
 * over the patterns added and not removed; the syntax must agree with
 * itself (a subject is a pattern) and never be read past.  The whole
 * input is also a JetStream stream's answer to the bridge's publish
 * (nats/puback.h), read from a buffer of exactly its size. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/subject.h"
#include "nats/puback.h"

#define LINES 64                        /* also the index's limit: -E2BIG is reached */

static int cmp_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

        return (x > y) - (x < y);
}

static void check_match(const subject_index *x, char *const *pat, const char *subject) {
        uint32_t got[LINES], want[LINES];
        size_t n_want = 0;
        int n = subject_index_match(x, subject, got, LINES);

        if (!subject_valid(subject, false)) {
                if (n != -EINVAL)
                        abort();
                return;
        }
        for (uint32_t i = 0; i < LINES; i++)
                if (pat[i] && subject_match(pat[i], subject))
                        want[n_want++] = i;
        if (n < 0 || (size_t) n != n_want)
                abort();
        qsort(got, n_want, sizeof(got[0]), cmp_u32);
        if (memcmp(got, want, n_want * sizeof(got[0])) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1), *line, *save = NULL;
        char *pat[LINES] = { 0 };
        subject_index x;
        uint32_t id = 0;

        if (!s)
                return 0;
        memcpy(s, data, size);
        if (size > 0) {
                char *exact = malloc(size);     /* no terminator: ASan sees a read past it */

                if (!exact)
                        abort();
                memcpy(exact, data, size);
                /* Stored: an object, with a "seq" and a "stream" in it;
                 * refused: with an "error" and a code. */
                int v = puback_answer(exact, size);
                const char *p = puback_space(exact, exact + size);

                if (v == PUBACK_STORED && (p == exact + size || *p != '{' || !memmem(exact, size, "\"seq\"", 5) ||
                                           !memmem(exact, size, "\"stream\"", 8)))
                        abort();
                if (v == PUBACK_REFUSED && (!memmem(exact, size, "\"error\"", 7) || !memmem(exact, size, "\"code\"", 6)))
                        abort();
                if (v < PUBACK_REFUSED || v > PUBACK_STORED)
                        abort();
                free(exact);
        }
        s[size] = '\0';
        subject_index_init(&x, LINES - 1);
        for (line = strtok_r(s, "\n", &save); line && id < LINES; line = strtok_r(NULL, "\n", &save), id++) {
                char buf[SUBJECT_MAX + 1];
                int r;

                if (subject_valid(line, false) && (!subject_valid(line, true) || !subject_match(line, line)))
                        abort();
                if (line[0] == '-' && line[1]) {
                        uint32_t victim = (unsigned char) line[1] % LINES;

                        r = subject_index_remove(&x, victim);
                        if ((r == 0) != (pat[victim] != NULL) || (r < 0 && r != -ENOENT))
                                abort();
                        pat[victim] = NULL;
                } else if (line[0] == '?')
                        check_match(&x, pat, line + 1);
                else {
                        r = subject_index_add(&x, line, id);
                        if (r == 0) {
                                if (subject_index_pattern(&x, id, buf) < 0 || strcmp(buf, line) != 0)
                                        abort();
                                pat[id] = line;
                        } else if (r == -EINVAL ? subject_valid(line, true) :
                                   r != -E2BIG || subject_index_size(&x) != LINES - 1)
                                abort();
                }
                check_match(&x, pat, line);
        }
        subject_index_done(&x);
        free(s);
        return 0;
}
