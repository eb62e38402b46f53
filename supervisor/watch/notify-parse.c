/* notify-parse.c - the sd_notify datagram as plain data (notify-parse.h).
 * Everything here is pure: the fuzz target and the unit tests call it
 * directly.  Nothing a child writes is trusted: numbers are range-checked,
 * text is escaped before it can reach a terminal or the journal. */
#include <errno.h>
#include <string.h>

#include "supervisor/watch/notify-parse.h"

size_t notify_escape(const char *src, size_t len, char *dst, size_t size) {
        static const char hex[] = "0123456789abcdef";
        size_t o = 0;

        if (size == 0)
                return 0;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) src[i];

                if (c >= ' ' && c < 0x7f && c != '"' && c != '\\') {
                        if (o + 1 >= size)
                                break;
                        dst[o++] = (char) c;
                } else {
                        if (o + 4 >= size)
                                break;
                        dst[o++] = '\\';
                        dst[o++] = 'x';
                        dst[o++] = hex[c >> 4];
                        dst[o++] = hex[c & 15];
                }
        }
        dst[o] = '\0';
        return o;
}

/* Decimal digits only, no sign, no blanks, at most MAX. */
static int parse_u64(const char *s, size_t len, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;

        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < len; i++)
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (v > (max - (uint64_t) (s[i] - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (s[i] - '0');
        }
        *ret = v;
        return 0;
}

static bool key_is(const char *line, size_t len, const char *key, const char **ret_value, size_t *ret_len) {
        size_t k = strlen(key);

        if (len < k || memcmp(line, key, k) != 0)
                return false;
        *ret_value = line + k;
        *ret_len = len - k;
        return true;
}

static bool line_is(const char *line, size_t len, const char *what) {
        return len == strlen(what) && memcmp(line, what, len) == 0;
}

/* AIRSUP_COUNTERS='s value into M: -EINVAL, and none taken, if one pair
 * is not NAME=VALUE or there are too many names. */
static int parse_counters(const char *v, size_t vl, notify_msg *m) {
        notify_msg c = { .n_counters = 0 };

        for (size_t i = 0; i < vl;) {
                size_t start, nl, eq;
                uint64_t u;
                unsigned k;

                while (i < vl && v[i] == ' ')
                        i++;
                if (i == vl)
                        break;
                start = i;
                while (i < vl && v[i] != ' ')
                        i++;
                for (eq = start; eq < i && v[eq] != '='; eq++)
                        if (!((v[eq] >= 'a' && v[eq] <= 'z') || (v[eq] >= '0' && v[eq] <= '9') || v[eq] == '_'))
                                return -EINVAL;
                nl = eq - start;
                if (eq == i || nl == 0 || nl > NOTIFY_COUNTER_NAME_MAX ||
                    parse_u64(v + eq + 1, i - eq - 1, UINT64_MAX, &u) < 0)
                        return -EINVAL;
                for (k = 0; k < c.n_counters; k++)
                        if (strlen(c.counters[k].name) == nl && memcmp(c.counters[k].name, v + start, nl) == 0)
                                break;
                if (k == c.n_counters) {
                        if (c.n_counters == NOTIFY_COUNTERS_MAX)
                                return -EINVAL;
                        memcpy(c.counters[k].name, v + start, nl);
                        c.counters[k].name[nl] = '\0';
                        c.n_counters++;
                }
                c.counters[k].value = u;
        }
        memcpy(m->counters, c.counters, sizeof(c.counters));
        m->n_counters = c.n_counters;
        return 0;
}

int notify_parse(const char *buf, size_t len, notify_msg *ret) {
        notify_msg m = {};

        if (len > NOTIFY_MSG_MAX)
                return -EMSGSIZE;
        if (len > 0 && memchr(buf, '\0', len))
                return -EBADMSG;

        for (size_t pos = 0; pos < len;) {
                const char *line = buf + pos, *nl = memchr(line, '\n', len - pos), *v;
                size_t l = nl ? (size_t) (nl - line) : len - pos, vl;
                uint64_t u;

                pos += l + (nl ? 1 : 0);
                if (line_is(line, l, "READY=1"))
                        m.ready = true;
                else if (line_is(line, l, "STOPPING=1"))
                        m.stopping = true;
                else if (line_is(line, l, "BARRIER=1"))
                        m.barrier = true;
                else if (line_is(line, l, "WATCHDOG=1"))
                        m.watchdog = true;
                else if (line_is(line, l, "WATCHDOG=trigger"))
                        m.watchdog_trigger = true;
                else if (key_is(line, l, "WATCHDOG_USEC=", &v, &vl)) {
                        /* Clamped to 10 ms .. 1 h: a child cannot make its
                         * timer spin, nor switch itself off for ever. */
                        int r = parse_u64(v, vl, NOTIFY_WATCHDOG_MAX_USEC, &u);
                        if (r == 0 && u > 0)
                                m.watchdog_usec = u < NOTIFY_WATCHDOG_MIN_USEC ? NOTIFY_WATCHDOG_MIN_USEC : u;
                        else if (r == -ERANGE)
                                m.watchdog_usec = NOTIFY_WATCHDOG_MAX_USEC;
                        else
                                m.invalid++;
                }
                else if (key_is(line, l, "STATUS=", &v, &vl)) {
                        notify_escape(v, vl, m.status, sizeof(m.status));
                        m.has_status = true;
                } else if (key_is(line, l, "MAINPID=", &v, &vl)) {
                        /* A pid is positive and fits pid_t; the caller decides
                         * whether the process it names may be the main one. */
                        if (parse_u64(v, vl, INT32_MAX, &u) == 0 && u > 0)
                                m.main_pid = (pid_t) u;
                        else
                                m.invalid++;
                } else if (key_is(line, l, "AIRSUP_HEALTH=", &v, &vl)) {
                        if (vl == 8 && memcmp(v, "degraded", 8) == 0)
                                m.health = NOTIFY_HEALTH_DEGRADED;
                        else if (vl == 7 && memcmp(v, "healthy", 7) == 0)
                                m.health = NOTIFY_HEALTH_HEALTHY;
                        else
                                m.invalid++;
                } else if (key_is(line, l, "AIRSUP_COUNTERS=", &v, &vl)) {
                        if (parse_counters(v, vl, &m) < 0)
                                m.invalid++;
                } else if (key_is(line, l, "EXTEND_TIMEOUT_USEC=", &v, &vl)) {
                        /* Asking for more than the maximum gets the maximum. */
                        int r = parse_u64(v, vl, NOTIFY_EXTEND_MAX_USEC, &u);
                        if (r == 0)
                                m.extend_usec = u;
                        else if (r == -ERANGE)
                                m.extend_usec = NOTIFY_EXTEND_MAX_USEC;
                        else
                                m.invalid++;
                }
        }
        *ret = m;
        return 0;
}
