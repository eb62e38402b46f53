/* nats/header.h - one header's value in a NATS message's header block as
 * it came off the wire, without libnats's table of them (airsup-nats.c:
 * msg_type()).
 *
 * A block is "NATS/1.0\r\n", lines "Key: Value\r\n", then "\r\n".
 * libnats reads more than that (a status after the version, lines folded
 * onto the one before, a value on the line after an empty one, bare
 * LFs), and NATS lets any client send any of it; this reads only the
 * plain form, where every reading agrees, and says so otherwise, for the
 * caller to ask libnats (natsMsgHeader_Get()).  The plain form: the
 * version line alone; each line a key of printable ASCII without blanks
 * or ':', a ':', a blank or none, a value of printable ASCII (blanks
 * inside, not at either end) that is not empty, "\r\n"; nothing after
 * the empty line.  A key is matched exactly (libnats's table is
 * case-sensitive), the first line with it wins.  The
 * block may also be one libnats wrote out from its table of a message it
 * had read already (natsMsgHeader_encode()), which writes a CR or LF in a
 * value as a blank: the value then is libnats's with those as blanks.
 *
 * tests/fuzz/fuzz-header.c holds every answer against libnats's own. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define HEADER_VERSION_LINE "NATS/1.0\r\n"

/* 1 and *VAL, *VAL_LEN (within HDR) when a line of HDR's LEN bytes has
 * KEY; 0 when none has; -1 when HDR is not of the plain form. */
static inline int header_value(const char *hdr, size_t len, const char *key, const char **val, size_t *val_len) {
        size_t vl = strlen(HEADER_VERSION_LINE), kl = strlen(key), i;
        int found = 0;

        if (len < vl + 2 || memcmp(hdr, HEADER_VERSION_LINE, vl) != 0)
                return -1;
        for (i = vl;;) {
                size_t key_start = i, key_end, v_start, v_end;

                if (len - i < 2)
                        return -1;
                if (hdr[i] == '\r')
                        /* The empty line: the end, and only there. */
                        return hdr[i + 1] == '\n' && i + 2 == len ? found : -1;
                for (; i < len && hdr[i] != ':'; i++)
                        if (hdr[i] <= ' ' || hdr[i] > '~')
                                return -1;
                if (i == len || i == key_start)
                        return -1;
                key_end = i++;
                /* One blank at most: libnats writes ": " and the value,
                 * which may itself start with one (a folded line after
                 * an empty value). */
                if (i < len && hdr[i] == ' ')
                        i++;
                v_start = i;
                for (; i < len && hdr[i] != '\r'; i++)
                        if (hdr[i] < ' ' || hdr[i] > '~')
                                return -1;
                if (len - i < 2 || hdr[i + 1] != '\n')
                        return -1;
                v_end = i;
                /* Empty, libnats would take the next line's text; ending
                 * in a blank, it may be one libnats wrote out from its
                 * table for a CR or LF that ended its value there (after
                 * a NUL a client sent).  Either is libnats's to read. */
                if (v_end == v_start || hdr[v_start] == ' ' || hdr[v_end - 1] == ' ')
                        return -1;
                i += 2;
                if (!found && key_end - key_start == kl && memcmp(hdr + key_start, key, kl) == 0) {
                        *val = hdr + v_start;
                        *val_len = v_end - v_start;
                        found = 1;
                }
        }
}
