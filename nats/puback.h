/* puback.h - what a JetStream stream answered a publish (airsup-nats.c).
 * A stored message is acknowledged with a JSON object naming its stream
 * and sequence ({"stream":"S","seq":N}, perhaps with "domain" or
 * "duplicate":true); a refusal is an object with an "error" member,
 * {"error":{"code":C,"err_code":E,"description":"..."}}.  Only the
 * object's own members count ("error" as a value, or inside another
 * member, does not).  The answer comes from the network: LEN bytes of
 * DATA are read, never more, nothing is assumed of their end, and no
 * nesting is followed by recursion. */
#ifndef AIRSUP_NATS_PUBACK_H
#define AIRSUP_NATS_PUBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

enum {
        PUBACK_REFUSED = -1,            /* an error of the request's (code 400-499): the same again fails again */
        PUBACK_TRY_AGAIN = 0,           /* an error of the server's (a full stream, no quorum, busy) or an answer
                                         * that is not one: it may be taken later */
        PUBACK_STORED = 1,
};

static inline const char *puback_space(const char *p, const char *end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
                p++;
        return p;
}

/* P at a string's opening quote: the byte after its closing quote, or
 * NULL if it does not end before END. */
static inline const char *puback_string_end(const char *p, const char *end) {
        for (p++; p < end; p++) {
                if (*p == '\\') {
                        if (++p == end)
                                return NULL;
                } else if (*p == '"')
                        return p + 1;
        }
        return NULL;
}

/* P at a value: the byte after it (a string, an object or array with
 * whatever they hold, or a number or word up to a delimiter), or NULL. */
static inline const char *puback_value_end(const char *p, const char *end) {
        size_t depth = 0;

        while (p < end) {
                char c = *p;

                if (c == '"') {
                        if (!(p = puback_string_end(p, end)))
                                return NULL;
                } else if (c == '{' || c == '[') {
                        depth++;
                        p++;
                } else if (c == '}' || c == ']') {
                        if (depth == 0)
                                return p;
                        depth--;
                        p++;
                } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n'))
                        return p;
                else
                        p++;
                if (depth == 0 && (c == '"' || c == '}' || c == ']'))
                        return p;
        }
        return depth == 0 ? p : NULL;
}

/* P at an object ('{'): the value of its own member NAME (the first of
 * that name), or NULL if it has none or is not an object up to its '}'. */
static inline const char *puback_member(const char *p, const char *end, const char *name) {
        const char *found = NULL;
        size_t n = strlen(name);

        if (p == end || *p != '{')
                return NULL;
        p = puback_space(p + 1, end);
        if (p < end && *p == '}')
                return NULL;
        for (;;) {
                const char *k, *v;

                if (p == end || *p != '"')
                        return NULL;
                k = p + 1;
                if (!(p = puback_string_end(p, end)))
                        return NULL;
                if (!found && (size_t) (p - 1 - k) == n && memcmp(k, name, n) == 0)
                        found = k;      /* for now: its value is below */
                p = puback_space(p, end);
                if (p == end || *p != ':')
                        return NULL;
                p = puback_space(p + 1, end);
                if (p == end)
                        return NULL;
                if (found == k)
                        found = p;
                v = puback_value_end(p, end);
                if (!v || v == p)
                        return NULL;
                p = puback_space(v, end);
                if (p == end)
                        return NULL;
                if (*p == '}')
                        return found;
                if (*p != ',')
                        return NULL;
                p = puback_space(p + 1, end);
        }
}

/* A whole number of up to 9 digits at P, ended by a delimiter: its
 * value, or -1. */
static inline long puback_number(const char *p, const char *end) {
        long v = 0;
        int n = 0;

        for (; p < end && *p >= '0' && *p <= '9' && n < 9; p++, n++)
                v = v * 10 + (*p - '0');
        if (n == 0 || (p < end && !strchr(",}] \t\r\n", *p)))
                return -1;
        return v;
}

static inline int puback_answer(const char *data, size_t len) {
        const char *p, *end, *error, *stream, *seq;

        if (!data)
                return PUBACK_TRY_AGAIN;
        end = data + len;
        p = puback_space(data, end);
        if ((error = puback_member(p, end, "error"))) {
                const char *code = puback_member(error, end, "code");
                long c = code ? puback_number(code, end) : -1;

                return c >= 400 && c < 500 ? PUBACK_REFUSED : PUBACK_TRY_AGAIN;
        }
        stream = puback_member(p, end, "stream");
        seq = puback_member(p, end, "seq");
        if (stream && *stream == '"' && stream + 1 < end && stream[1] != '"' && seq && puback_number(seq, end) >= 0)
                return PUBACK_STORED;
        return PUBACK_TRY_AGAIN;
}

#endif
