/* time.c - the clock, in microseconds; see time.h. */
#include "common/cleanup.h"
#include "common/time.h"

uint64_t time_now_usec(clockid_t clock_id) {
        struct timespec ts;

        clock_gettime(clock_id, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / NSEC_PER_USEC;
}

uint64_t now_usec(void) {
        return time_now_usec(CLOCK_MONOTONIC);
}
