/* fuzz-header - a NATS message's header block as it came off the wire
 * (nats/header.h), against libnats's own reading of the same bytes.  The
 * input is the block, read from a buffer of exactly its size; for each
 * of the keys the bridge reads, and for the block's first key, where
 * header_value() answers (the plain form) it must answer as
 * natsMsgHeader_Get() does on a message libnats made of the block
 * (natsMsg_create(), as its parser does): the same value, or the same
 * absence. */
#define _GNU_SOURCE
#include <nats/nats.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nats/header.h"

/* libnats's own constructor of a message it read, and what writes a
 * message's headers out (airsup-nats.c). */
extern natsStatus natsMsg_create(natsMsg **msg, const char *subject, int subject_len, const char *reply,
                                 int reply_len, const char *buf, int buf_len, int hdr_len);
typedef struct __natsBuffer natsBuffer;
extern int natsMsgHeader_encodedLen(natsMsg *msg);
extern natsStatus natsMsgHeader_encode(natsBuffer *buf, natsMsg *msg);
extern natsStatus natsBuf_CreateWithBackend(natsBuffer **buf, char *data, int len, int capacity);
extern void natsBuf_Destroy(natsBuffer *buf);

/* Whether a line of HDR (plain form) has a key that KEY begins and is
 * not all of.  libnats finds a key in its table by the hash of the key
 * asked for and a compare of as many bytes (natsStrHash_GetEx()), and
 * its hash of a short key also reads bytes past it: "Airs" can find the
 * value of "Airsue" (the first crash this target found).  The bridge
 * matches keys exactly; where such a longer key is there, the two may
 * differ, and libnats is the one that is wrong. */
static bool longer_key(const char *hdr, size_t len, const char *key) {
        size_t kl = strlen(key), i = strlen(HEADER_VERSION_LINE);

        while (i < len) {
                const char *colon = memchr(hdr + i, ':', len - i), *eol = memchr(hdr + i, '\n', len - i);

                if (colon && (!eol || colon < eol) && (size_t) (colon - (hdr + i)) > kl &&
                    memcmp(hdr + i, key, kl) == 0)
                        return true;
                if (!eol)
                        break;
                i = (size_t) (eol - hdr) + 1;
        }
        return false;
}

/* Whether A (LEN bytes) is WANT, where WRITTEN: as libnats writes a
 * value out (natsMsgHeader_encode() turns a CR or LF in it into a blank). */
static bool same_value(const char *a, size_t len, const char *want, bool written) {
        if (strlen(want) != len)
                return false;
        for (size_t i = 0; i < len; i++) {
                char w = written && (want[i] == '\r' || want[i] == '\n') ? ' ' : want[i];
                if (a[i] != w)
                        return false;
        }
        return true;
}

/* header_value() of HDR (LEN bytes; WRITTEN: libnats wrote it from its
 * table) for KEY against natsMsgHeader_Get()'s answer S, WANT. */
static void same(const char *hdr, size_t len, const char *key, natsStatus s, const char *want, bool written) {
        const char *val = NULL;
        size_t val_len = 0;
        int r = header_value(hdr, len, key, &val, &val_len);

        if (r < 0 || longer_key(hdr, len, key))
                return;
        if (r == 1 && (s != NATS_OK || !want || !same_value(val, val_len, want, written)))
                abort();
        if (r == 0 && s != NATS_NOT_FOUND)
                abort();
}

static void check(const char *hdr, size_t len, const char *key) {
        const char *want = NULL;
        natsMsg *m = NULL;
        natsStatus s;
        char again[4096];
        natsBuffer *nb = NULL;
        int n;

        if (natsMsg_create(&m, "s", 1, NULL, 0, hdr, (int) len, (int) len) != NATS_OK)
                return;
        s = natsMsgHeader_Get(m, key, &want);
        same(hdr, len, key, s, want, false);
        /* The block as libnats writes it again from its table (of a
         * message it has read already, as NextMsg() does for one without
         * payload): where it is plain, the same answer again. */
        n = s == NATS_OK || s == NATS_NOT_FOUND ? natsMsgHeader_encodedLen(m) : 0;
        if (n > 0 && (size_t) n <= sizeof(again) &&
            natsBuf_CreateWithBackend(&nb, again, 0, (int) sizeof(again)) == NATS_OK) {
                again[0] = '\0';
                if (natsMsgHeader_encode(nb, m) == NATS_OK && again[0] != '\0')
                        same(again, (size_t) n, key, s, want, true);
                natsBuf_Destroy(nb);
        }
        natsMsg_Destroy(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static bool opened;
        char *hdr, first[64];
        const char *colon;
        size_t n;

        if (!opened) {
                if (nats_Open(-1) != NATS_OK)
                        abort();
                opened = true;
        }
        if (size == 0 || size > 1 << 16)
                return 0;
        hdr = malloc(size);     /* no terminator: ASan sees a read past it */
        if (!hdr)
                return 0;
        memcpy(hdr, data, size);
        check(hdr, size, "Airsup-Type");
        check(hdr, size, "Nats-Msg-Id");
        /* The first line's key, whatever it is. */
        n = strlen(HEADER_VERSION_LINE);
        colon = size > n ? memchr(hdr + n, ':', size - n) : NULL;
        if (colon && (size_t) (colon - (hdr + n)) < sizeof(first) && colon > hdr + n) {
                memcpy(first, hdr + n, (size_t) (colon - (hdr + n)));
                first[colon - (hdr + n)] = '\0';
                if (strlen(first) == (size_t) (colon - (hdr + n)))
                        check(hdr, size, first);
        }
        free(hdr);
        return 0;
}
