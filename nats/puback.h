/* puback.h - what a JetStream stream answered a publish (airsup-nats.c).
 * A stored message is acknowledged with a JSON object naming its stream
 * and sequence ({"stream":"S","seq":N}, perhaps "duplicate":true);
 * anything else (an "error" object, an empty status reply, bytes that
 * are not that) is a refusal, and the export stays on its lane.  The
 * reply comes from the network: LEN bytes of DATA are read, no more,
 * and nothing is assumed of their end.  memmem() needs _GNU_SOURCE,
 * defined before the includer's first #include. */
#ifndef AIRSUP_NATS_PUBACK_H
#define AIRSUP_NATS_PUBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static inline bool puback_stored(const char *data, size_t len) {
        if (!data || len < 2 || data[0] != '{')
                return false;
        return memmem(data, len, "\"error\"", 7) == NULL && memmem(data, len, "\"stream\"", 8) != NULL &&
               memmem(data, len, "\"seq\"", 5) != NULL;
}

#endif
