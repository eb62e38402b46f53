/* test-subject.c - subjects (common/subject.c): every syntax rule both
 * ways, the matcher against a plain reference over every small pattern
 * and subject, the index against the matcher under random adds and
 * removes, and the bridge's reading of a JetStream stream's answer
 * (nats/puback.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/subject.h"
#include "nats/puback.h"

static void test_subject_valid_rules(void **state) {
        static const struct {
                const char *s;
                bool as_subject, as_pattern;
        } cases[] = {
                { "a", true, true },
                { "orders", true, true },
                { "orders.eu.new", true, true },
                { "Orders.EU", true, true },
                { "$SYS.req", true, true },
                { "a-b_c~d!e#@{}[]|/\\\"'`%&()+,;:=?^<", true, true },
                { "", false, false },
                { ".", false, false },
                { ".a", false, false },
                { "a.", false, false },
                { "a..b", false, false },
                { "a b", false, false },
                { " a", false, false },
                { "a\tb", false, false },
                { "a\nb", false, false },
                { "a\rb", false, false },
                { "a\x7f", false, false },
                { "\xc3\xa9t\xc3\xa9", false, false },
                { "*", false, true },
                { ">", false, true },
                { "a.*", false, true },
                { "*.a", false, true },
                { "*.*.*", false, true },
                { "a.>", false, true },
                { "*.>", false, true },
                { ">.a", false, false },
                { "a.>.b", false, false },
                { ">.>", false, false },
                { "a*", false, false },
                { "*a", false, false },
                { "f*o", false, false },
                { "a>", false, false },
                { ">a", false, false },
                { "**", false, false },
                { ">>", false, false },
                { "*>", false, false },
                { "a.**.b", false, false },
                { "a.*.", false, false },
                { "a.>.", false, false },
                { ".>", false, false },
        };

        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                if (subject_valid(cases[i].s, false) != cases[i].as_subject ||
                    subject_valid(cases[i].s, true) != cases[i].as_pattern)
                        fail_msg("case %zu '%s'", i, cases[i].s);
        }
        assert_false(subject_valid(NULL, false));
        assert_false(subject_valid(NULL, true));
}

/* Every byte as a one-byte token, and inside a token. */
static void test_subject_valid_every_byte(void **state) {
        (void) state;
        for (unsigned c = 1; c < 256; c++) {
                char one[2] = { (char) c, 0 }, in[4] = { 'a', (char) c, 'b', 0 };
                bool printable = c > ' ' && c < 0x7f && c != '.';
                bool wild = c == '*' || c == '>';

                assert_int_equal(subject_valid(one, false), printable && !wild);
                assert_int_equal(subject_valid(one, true), printable);
                /* A dot in the middle splits two good tokens. */
                assert_int_equal(subject_valid(in, false), (printable && !wild) || c == '.');
                assert_int_equal(subject_valid(in, true), (printable && !wild) || c == '.');
        }
}

static void test_subject_valid_limits(void **state) {
        char s[SUBJECT_MAX + 2];

        (void) state;
        memset(s, 'x', SUBJECT_MAX);
        s[SUBJECT_MAX] = '\0';
        assert_true(subject_valid(s, false));
        s[SUBJECT_MAX - 1] = '>';
        s[SUBJECT_MAX - 2] = '.';
        assert_true(subject_valid(s, true));
        memset(s, 'x', SUBJECT_MAX + 1);
        s[SUBJECT_MAX + 1] = '\0';
        assert_false(subject_valid(s, false));
        assert_false(subject_valid(s, true));
        s[SUBJECT_MAX - 1] = '.';       /* the byte past the limit is a token's */
        assert_false(subject_valid(s, false));

        /* SUBJECT_TOKENS_MAX tokens "a.a...", and one more. */
        for (size_t i = 0; i < 2 * SUBJECT_TOKENS_MAX; i += 2) {
                s[i] = 'a';
                s[i + 1] = '.';
        }
        s[2 * SUBJECT_TOKENS_MAX - 1] = '\0';
        assert_true(subject_valid(s, false));
        s[2 * SUBJECT_TOKENS_MAX - 1] = '.';
        s[2 * SUBJECT_TOKENS_MAX] = '*';
        s[2 * SUBJECT_TOKENS_MAX + 1] = '\0';
        assert_false(subject_valid(s, true));
        s[2 * SUBJECT_TOKENS_MAX] = 'a';
        assert_false(subject_valid(s, false));
}

/* ---- the matcher against a reference ---- */

#define MAX_TOK 4

typedef struct toks {
        const char *t[MAX_TOK];
        size_t n;
} toks;

/* The rules, read off directly: '>' takes one or more of what is left,
 * '*' exactly one, anything else itself. */
static bool ref_match(const toks *p, size_t i, const toks *s, size_t j) {
        if (i == p->n)
                return j == s->n;
        if (strcmp(p->t[i], ">") == 0)
                return j < s->n;
        if (j == s->n)
                return false;
        if (strcmp(p->t[i], "*") != 0 && strcmp(p->t[i], s->t[j]) != 0)
                return false;
        return ref_match(p, i + 1, s, j + 1);
}

static void join(const toks *t, char *buf, size_t size) {
        buf[0] = '\0';
        for (size_t i = 0; i < t->n; i++) {
                strncat(buf, t->t[i], size - strlen(buf) - 1);
                if (i + 1 < t->n)
                        strncat(buf, ".", size - strlen(buf) - 1);
        }
}

/* Every sequence of 1 to MAXN tokens over ALPHA (N_ALPHA words), the
 * K-th one into T, for K from 0; false past the last. */
static bool nth_seq(const char *const *alpha, size_t n_alpha, size_t maxn, size_t k, toks *t) {
        for (size_t n = 1, count = n_alpha; n <= maxn; n++, count *= n_alpha) {
                if (k < count) {
                        t->n = n;
                        for (size_t i = 0; i < n; i++, k /= n_alpha)
                                t->t[i] = alpha[k % n_alpha];
                        return true;
                }
                k -= count;
        }
        return false;
}

static void test_subject_match_exhaustive(void **state) {
        static const char *const pat_alpha[] = { "a", "b", "*", ">" };
        static const char *const sub_alpha[] = { "a", "b", "c" };
        size_t valid_patterns = 0, matches = 0;
        toks p, s;

        (void) state;
        for (size_t k = 0; nth_seq(pat_alpha, 4, 3, k, &p); k++) {
                char pb[64], sb[64];
                bool rest_inside = false;

                for (size_t i = 0; i + 1 < p.n; i++)
                        rest_inside |= strcmp(p.t[i], ">") == 0;
                join(&p, pb, sizeof(pb));
                assert_int_equal(subject_valid(pb, true), !rest_inside);
                if (rest_inside)
                        continue;
                valid_patterns++;
                for (size_t m = 0; nth_seq(sub_alpha, 3, 4, m, &s); m++) {
                        bool want = ref_match(&p, 0, &s, 0);

                        join(&s, sb, sizeof(sb));
                        if (subject_match(pb, sb) != want)
                                fail_msg("'%s' against '%s': want %d", pb, sb, want);
                        matches += want;
                        /* A subject is a pattern that matches itself only. */
                        if (subject_match(sb, pb) != (strcmp(sb, pb) == 0))
                                fail_msg("'%s' as a pattern against '%s'", sb, pb);
                }
        }
        /* 4 + 16 + 64 sequences, less those with '>' before the end:
         * 4 of two tokens, 16 + 16 - 4 of three. */
        assert_int_equal(valid_patterns, 52);
        assert_true(matches > 0);
}

static void test_subject_match_examples(void **state) {
        (void) state;
        assert_true(subject_match("orders.*", "orders.new"));
        assert_false(subject_match("orders.*", "orders"));
        assert_false(subject_match("orders.*", "orders.eu.new"));
        assert_true(subject_match("orders.>", "orders.eu.new"));
        assert_true(subject_match("orders.>", "orders.eu"));
        assert_false(subject_match("orders.>", "orders"));
        assert_true(subject_match(">", "a"));
        assert_true(subject_match("*.*", "a.b"));
        assert_false(subject_match("orders", "orders.eu"));
        assert_false(subject_match("orders.eu", "orders"));
        assert_false(subject_match("ab", "abc"));
        assert_false(subject_match("abc", "ab"));
        /* Invalid on either side: no match. */
        assert_false(subject_match("a.>.b", "a.x.b"));
        assert_false(subject_match("a", "a."));
        assert_false(subject_match("*", "*"));
        assert_false(subject_match(NULL, "a"));
        assert_false(subject_match("a", NULL));
}

/* ---- the index ---- */

static void test_subject_index_errors(void **state) {
        subject_index x;
        char buf[SUBJECT_MAX + 1];
        uint32_t ids[4];

        (void) state;
        subject_index_init(&x, 3);
        assert_int_equal(subject_index_match(&x, "a", ids, 4), 0);
        assert_int_equal(subject_index_add(&x, "a.>.b", 1), -EINVAL);
        assert_int_equal(subject_index_add(&x, "", 1), -EINVAL);
        assert_int_equal(subject_index_add(&x, NULL, 1), -EINVAL);
        assert_int_equal(subject_index_add(&x, "a.*", 1), 0);
        assert_int_equal(subject_index_add(&x, "b", 1), -EEXIST);
        assert_int_equal(subject_index_add(&x, "a.*", 2), 0);
        assert_int_equal(subject_index_add(&x, ">", 3), 0);
        assert_int_equal(subject_index_add(&x, "c", 4), -E2BIG);
        assert_int_equal(subject_index_size(&x), 3);
        assert_int_equal(subject_index_match(&x, "a.*", ids, 4), -EINVAL);
        assert_int_equal(subject_index_match(&x, "a.b", ids, 4), 3);
        assert_int_equal(subject_index_match(&x, "a.b", ids, 1), 3);
        assert_int_equal(subject_index_match(&x, "a.b", NULL, 0), 3);
        assert_int_equal(subject_index_match(&x, "a", ids, 4), 1);
        assert_int_equal(ids[0], 3);
        assert_int_equal(subject_index_pattern(&x, 2, buf), 0);
        assert_string_equal(buf, "a.*");
        assert_int_equal(subject_index_pattern(&x, 3, buf), 0);
        assert_string_equal(buf, ">");
        assert_int_equal(subject_index_pattern(&x, 9, buf), -ENOENT);
        assert_int_equal(subject_index_remove(&x, 9), -ENOENT);
        assert_int_equal(subject_index_remove(&x, 1), 0);
        assert_int_equal(subject_index_remove(&x, 1), -ENOENT);
        assert_int_equal(subject_index_add(&x, "c", 4), 0);
        assert_int_equal(subject_index_match(&x, "a.b", ids, 4), 2);
        subject_index_done(&x);
        assert_int_equal(subject_index_size(&x), 0);
        assert_int_equal(subject_index_match(&x, "a.b", ids, 4), 0);
        /* Same limit after done. */
        for (uint32_t i = 0; i < 3; i++)
                assert_int_equal(subject_index_add(&x, "z", i), 0);
        assert_int_equal(subject_index_add(&x, "z", 3), -E2BIG);
        subject_index_done(&x);
        assert_null(subject_index_done(NULL));
}

static void test_subject_index_longest(void **state) {
        subject_index x = { 0 };
        char s[SUBJECT_MAX + 1], buf[SUBJECT_MAX + 1];
        uint32_t id;

        (void) state;
        memset(s, 'x', SUBJECT_MAX);
        s[SUBJECT_MAX] = '\0';
        s[100] = s[200] = '.';
        assert_int_equal(subject_index_add(&x, s, 7), 0);
        assert_int_equal(subject_index_pattern(&x, 7, buf), 0);
        assert_string_equal(buf, s);
        assert_int_equal(subject_index_match(&x, s, &id, 1), 1);
        assert_int_equal(id, 7);
        subject_index_done(&x);
}

/* Random patterns and subjects over a small alphabet, so that they hit. */
static void random_seq(char *buf, bool pattern) {
        static const char *const words[] = { "a", "b", "c", "dd", "*", ">" };
        size_t n = 1 + (size_t) rand() % 4, w = pattern ? 6 : 4;

        buf[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                const char *t = words[(size_t) rand() % w];

                if (strcmp(t, ">") == 0 && i + 1 < n)
                        t = "*";
                strcat(buf, t);
                if (i + 1 < n)
                        strcat(buf, ".");
        }
}

static int cmp_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

        return (x > y) - (x < y);
}

#define N_IDS 300

static void test_subject_index_against_match(void **state) {
        static char patterns[N_IDS][32];
        static bool present[N_IDS];
        subject_index x = { 0 };
        uint32_t got[N_IDS], want[N_IDS];

        (void) state;
        srand(28);
        for (int round = 0; round < 20000; round++) {
                uint32_t id = (uint32_t) rand() % N_IDS;
                char subject[32], buf[SUBJECT_MAX + 1];
                size_t n_want = 0;
                int n;

                if (present[id]) {
                        assert_int_equal(subject_index_pattern(&x, id * 7919u, buf), 0);
                        assert_string_equal(buf, patterns[id]);
                        assert_int_equal(subject_index_remove(&x, id * 7919u), 0);
                        present[id] = false;
                } else {
                        random_seq(patterns[id], true);
                        assert_int_equal(subject_index_add(&x, patterns[id], id * 7919u), 0);
                        present[id] = true;
                }
                random_seq(subject, false);
                for (uint32_t i = 0; i < N_IDS; i++)
                        if (present[i] && subject_match(patterns[i], subject))
                                want[n_want++] = i * 7919u;
                n = subject_index_match(&x, subject, got, N_IDS);
                assert_int_equal(n, n_want);
                qsort(got, n_want, sizeof(got[0]), cmp_u32);
                qsort(want, n_want, sizeof(want[0]), cmp_u32);
                assert_memory_equal(got, want, n_want * sizeof(got[0]));
        }
        for (uint32_t i = 0; i < N_IDS; i++)
                if (present[i])
                        assert_int_equal(subject_index_remove(&x, i * 7919u), 0);
        assert_int_equal(subject_index_size(&x), 0);
        subject_index_done(&x);
}

/* A stream's answer: stored with the object's own "stream" (a name) and
 * "seq" (a number); refused with an "error" member whose code is 4xx;
 * anything else (a 5xx error, no code, not such an object) may be
 * tried again.  Each answer is read from a buffer of exactly its
 * length, and cut one byte short. */
static void test_puback(void **state) {
        static const struct {
                const char *answer;
                int verdict;
        } cases[] = {
                { "{\"stream\":\"S\",\"seq\":1}", PUBACK_STORED },
                { " { \"stream\" : \"BENCH\" , \"seq\" : 12345 , \"duplicate\":true } ", PUBACK_STORED },
                { "{\"stream\":\"error\",\"seq\":7}", PUBACK_STORED },
                { "{\"stream\":\"S\",\"domain\":\"error\",\"seq\":7}", PUBACK_STORED },
                { "{\"stream\":\"S\",\"x\":{\"error\":{\"code\":400}},\"seq\":7}", PUBACK_STORED },
                { "{\"a\":[1,{\"b\":\"}\"}],\"stream\":\"S\",\"seq\":1}", PUBACK_STORED },
                { "{\"stream\":\"S\\\"\",\"seq\":1}", PUBACK_STORED },
                { "{\"error\":{\"code\":400,\"err_code\":10054,\"description\":\"message size exceeds maximum "
                  "allowed\"}}",
                  PUBACK_REFUSED },
                { "{\"stream\":\"S\",\"seq\":1,\"error\":{\"code\":400}}", PUBACK_REFUSED },
                { "{\"error\":{\"code\":503,\"err_code\":10077,\"description\":\"maximum messages exceeded\"}}",
                  PUBACK_TRY_AGAIN },
                { "{\"error\":{\"description\":\"no code\"}}", PUBACK_TRY_AGAIN },
                { "{\"error\":\"a string\"}", PUBACK_TRY_AGAIN },
                { "{\"stream\":\"\",\"seq\":1}", PUBACK_TRY_AGAIN },
                { "{\"stream\":\"S\"}", PUBACK_TRY_AGAIN },
                { "{\"seq\":1}", PUBACK_TRY_AGAIN },
                { "{\"stream\":\"S\",\"seq\":\"1\"}", PUBACK_TRY_AGAIN },
                { "{\"stream\":\"S\",\"seq\":1x}", PUBACK_TRY_AGAIN },
                { "[{\"stream\":\"S\",\"seq\":1}]", PUBACK_TRY_AGAIN },
                { "{\"stream\":\"S\",\"seq\":1", PUBACK_TRY_AGAIN },
                { "{\"stream\":\"S\\", PUBACK_TRY_AGAIN },
                { "{}", PUBACK_TRY_AGAIN },
                { "{", PUBACK_TRY_AGAIN },
                { "", PUBACK_TRY_AGAIN },
        };

        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                size_t n = strlen(cases[i].answer);
                char *exact = malloc(n + 1);
                int got;

                assert_non_null(exact);
                memcpy(exact, cases[i].answer, n);
                got = puback_answer(exact, n);
                if (got != cases[i].verdict)
                        fail_msg("%s: %d, not %d", cases[i].answer, got, cases[i].verdict);
                /* Cut before its last '}', no answer says anything. */
                if (n > 0 && cases[i].answer[n - 1] == '}')
                        assert_int_equal(puback_answer(exact, n - 1), PUBACK_TRY_AGAIN);
                free(exact);
        }
        assert_int_equal(puback_answer(NULL, 0), PUBACK_TRY_AGAIN);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_subject_valid_rules),
                cmocka_unit_test(test_subject_valid_every_byte),
                cmocka_unit_test(test_subject_valid_limits),
                cmocka_unit_test(test_subject_match_exhaustive),
                cmocka_unit_test(test_subject_match_examples),
                cmocka_unit_test(test_subject_index_errors),
                cmocka_unit_test(test_subject_index_longest),
                cmocka_unit_test(test_subject_index_against_match),
                cmocka_unit_test(test_puback),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
