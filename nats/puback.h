/* puback.h - what a JetStream stream answered a publish (airsup-nats.c).
 * A stored message is acknowledged with a JSON object naming its stream
 * and sequence ({"stream":"S","seq":N}, perhaps with "domain" or
 * "duplicate":true); an object with an "error" member, an empty status
 * reply or anything that is not such an object is a refusal.  Only the
 * object's own members count ("error" as a value, or inside a nested
 * object, does not).  The answer comes from the network: LEN bytes of
 * DATA are read, never more, nothing is assumed of their end, and no
 * nesting is followed by recursion. */
#ifndef AIRSUP_NATS_PUBACK_H
#define AIRSUP_NATS_PUBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static inline const char *puback_space(const char *p, const char *end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
                p++;
        return p;
}

/* P at a string's opening quote: the byte after its closing quote, or
 * NULL if it does not end before END. */
static inline const char *puback_string_end(const char *p, const char *end) {
        for (p++; p < end; p++) {
                if (*p == '\\')
                        p++;
                else if (*p == '"')
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

static inline bool puback_key(const char *k, const char *ke, const char *name) {
        size_t n = strlen(name);

        return (size_t) (ke - k) == n && memcmp(k, name, n) == 0;
}

static inline bool puback_stored(const char *data, size_t len) {
        const char *p, *end;
        bool stream = false, seq = false;

        if (!data)
                return false;
        end = data + len;
        p = puback_space(data, end);
        if (p == end || *p != '{')
                return false;
        for (p = puback_space(p + 1, end);;) {
                const char *k, *ke, *v;

                if (p == end || *p != '"')
                        return false;
                k = p + 1;
                if (!(p = puback_string_end(p, end)))
                        return false;
                ke = p - 1;
                p = puback_space(p, end);
                if (p == end || *p != ':')
                        return false;
                p = puback_space(p + 1, end);
                if (p == end)
                        return false;
                if (puback_key(k, ke, "error"))
                        return false;
                if (puback_key(k, ke, "stream"))
                        stream = *p == '"' && p + 1 < end && p[1] != '"';
                else if (puback_key(k, ke, "seq"))
                        seq = *p >= '0' && *p <= '9';
                v = puback_value_end(p, end);
                if (!v || v == p)
                        return false;
                p = puback_space(v, end);
                if (p == end)
                        return false;
                if (*p == '}')
                        return stream && seq;
                if (*p != ',')
                        return false;
                p = puback_space(p + 1, end);
        }
}

#endif
