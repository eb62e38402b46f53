/* tail.c - the last lines of a console instance's output, in memory.
 *
 * stdout = console goes to airsupd's standard error, which airsupd
 * cannot read back; so each console sink keeps its last LOG_TAIL_MAX
 * bytes of whole lines here, for the Tail method (airsupctl logs).  The
 * ring grows by doubling as lines come (a quiet instance costs little)
 * and never past LOG_TAIL_MAX: a child that floods its output only
 * turns it over faster.  A follower asks for what came after the byte
 * it last saw; the numbers never go back while the sink lives. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/output/tail.h"

#define TAIL_FIRST_SIZE 4096

/* COUNT bytes from the ring's byte AT (0: its oldest) into DST. */
static void ring_copy(const log_tail *t, size_t at, char *dst, size_t count) {
        size_t pos = (t->start + at) % t->size;
        size_t first = count < t->size - pos ? count : t->size - pos;

        memcpy(dst, t->buf + pos, first);
        memcpy(dst + first, t->buf, count - first);
}

/* Room for NEED bytes in all: a bigger ring, its lines moved to the
 * front of it. */
static int ring_grow(log_tail *t, size_t need) {
        size_t size = t->size ? t->size : TAIL_FIRST_SIZE;
        char *buf;

        while (size < need && size < LOG_TAIL_MAX)
                size *= 2;
        if (size > LOG_TAIL_MAX)
                size = LOG_TAIL_MAX;
        if (size <= t->size)
                return 0;
        buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        if (t->len > 0)
                ring_copy(t, 0, buf, t->len);
        free(t->buf);
        t->buf = buf;
        t->size = size;
        t->start = 0;
        return 0;
}

/* The oldest line dropped (and, if it is all there is, everything). */
static void drop_oldest(log_tail *t) {
        size_t k = 0;

        while (k < t->len && t->buf[(t->start + k) % t->size] != '\n')
                k++;
        k = k < t->len ? k + 1 : t->len;
        t->start = (t->start + k) % t->size;
        t->len -= k;
}

static void ring_put(log_tail *t, const char *src, size_t count) {
        size_t pos = (t->start + t->len) % t->size;
        size_t first = count < t->size - pos ? count : t->size - pos;

        memcpy(t->buf + pos, src, first);
        memcpy(t->buf, src + first, count - first);
        t->len += count;
}

int log_tail_append(log_tail *t, const char *line, size_t len) {
        size_t need;
        int r;

        /* Only the end of a line longer than the ring: its newest bytes. */
        if (len > LOG_TAIL_MAX - 1) {
                t->end += len - (LOG_TAIL_MAX - 1);
                line += len - (LOG_TAIL_MAX - 1);
                len = LOG_TAIL_MAX - 1;
        }
        need = len + 1;
        if (t->len + need > t->size) {
                r = ring_grow(t, t->len + need);
                if (r < 0)
                        return r;
        }
        while (t->len + need > t->size)
                drop_oldest(t);
        ring_put(t, line, len);
        ring_put(t, "\n", 1);
        t->end += need;
        return 0;
}

int log_tail_read(const log_tail *t, uint64_t after, char **ret, size_t *ret_len, uint64_t *ret_from,
                  uint64_t *ret_next) {
        uint64_t oldest = t->end - t->len;
        uint64_t from = after < oldest || after > t->end ? oldest : after;
        size_t count = (size_t) (t->end - from);
        char *buf = malloc(count + 1);

        if (!buf)
                return -ENOMEM;
        if (count > 0)
                ring_copy(t, (size_t) (from - oldest), buf, count);
        *ret = buf;
        *ret_len = count;
        *ret_from = from;
        *ret_next = t->end;
        return 0;
}

void log_tail_done(log_tail *t) {
        free(t->buf);
        *t = (log_tail) {};
}
