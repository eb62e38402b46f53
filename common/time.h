/* time.h - the clock, in microseconds: what airsupd and libairsup read
 * when they need "now" (the pure decisions in policy.h take it as a
 * parameter instead, and never read it themselves). */
#pragma once

#include <stdint.h>
#include <time.h>

/* CLOCK_ID now, in microseconds. */
uint64_t time_now_usec(clockid_t clock_id);
/* CLOCK_MONOTONIC now, in microseconds. */
uint64_t now_usec(void);
