/* ratelimit.h - at most BURST log lines per INTERVAL from one source (a
 * proc's notify socket, say), so that a flood of rejected messages costs a
 * line now and then, not a line each.  Time is passed in. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct sup_ratelimit {
        uint64_t begin_usec;            /* start of the current interval */
        unsigned n;                     /* lines let through in it */
        unsigned suppressed;            /* lines held back in it */
} sup_ratelimit;

/* Whether a line may be logged at NOW.  When a new interval begins after
 * lines were held back, *RET_SUPPRESSED says how many (to be logged once),
 * else 0. */
static inline bool sup_ratelimit_pass(sup_ratelimit *rl, uint64_t now_usec, uint64_t interval_usec,
                                      unsigned burst, unsigned *ret_suppressed) {
        *ret_suppressed = 0;
        if (rl->begin_usec == 0 || now_usec - rl->begin_usec >= interval_usec) {
                *ret_suppressed = rl->suppressed;
                rl->begin_usec = now_usec ? now_usec : 1;
                rl->n = 0;
                rl->suppressed = 0;
        }
        if (rl->n < burst) {
                rl->n++;
                return true;
        }
        if (rl->suppressed < UINT32_MAX)
                rl->suppressed++;
        return false;
}
