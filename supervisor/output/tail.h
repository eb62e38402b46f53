/* tail.h - the last lines of a console instance's output, kept in
 * airsupd's memory for airsupctl logs (tail.c). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* At most this many bytes of whole lines per instance. */
#define LOG_TAIL_MAX 65536

/* Bytes are numbered from 0 as they come, for the instance's life: the
 * ring holds [end - len, end), oldest first, starting at buf[start]. */
typedef struct log_tail {
        char *buf;
        size_t size, start, len;
        uint64_t end;
} log_tail;

/* LINE (LEN bytes, no newline) and its newline, the oldest lines
 * dropped to make room; a line longer than the ring keeps its end. */
int log_tail_append(log_tail *t, const char *line, size_t len);
/* What came after byte AFTER (or the oldest kept, when that went):
 * copied into a new *RET of *RET_LEN bytes (at most LOG_TAIL_MAX), the
 * number of its first byte in *RET_FROM and of the next to come in
 * *RET_NEXT.  AFTER past the end (a ring begun anew) reads it all. */
int log_tail_read(const log_tail *t, uint64_t after, char **ret, size_t *ret_len, uint64_t *ret_from,
                  uint64_t *ret_next);
void log_tail_done(log_tail *t);
