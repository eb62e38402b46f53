/* notify-parse.h - the sd_notify datagram, parsed with no processes, no
 * sockets and no clock: what a child may say, checked and bounded.  Shared
 * by airsupd, its unit tests and the fuzz target. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The largest datagram read, and the longest extension of the start
 * timeout a child may ask for at once (EXTEND_TIMEOUT_USEC=, clamped). */
#define NOTIFY_MSG_MAX 4096
#define NOTIFY_EXTEND_MAX_USEC (UINT64_C(3600) * 1000000)
#define NOTIFY_WATCHDOG_MIN_USEC UINT64_C(10000)   /* a child cannot make airsupd wake more than 100 times a second */
#define NOTIFY_WATCHDOG_MAX_USEC (UINT64_C(3600) * 1000000)

/* AIRSUP_COUNTERS=: a process's own figures, for airsupd's metrics. */
#define NOTIFY_COUNTERS_MAX 16
#define NOTIFY_COUNTER_NAME_MAX 32      /* bytes of [a-z0-9_], without the NUL */

typedef struct notify_counter {
        char name[NOTIFY_COUNTER_NAME_MAX + 1];
        uint64_t value;
} notify_counter;

enum {
        NOTIFY_HEALTH_UNSAID = 0,
        NOTIFY_HEALTH_DEGRADED,         /* AIRSUP_HEALTH=degraded */
        NOTIFY_HEALTH_HEALTHY,          /* AIRSUP_HEALTH=healthy */
};

typedef struct notify_msg {
        bool ready;                     /* READY=1 */
        bool stopping;                  /* STOPPING=1 */
        bool barrier;                   /* BARRIER=1 */
        bool watchdog;                  /* WATCHDOG=1 */
        bool watchdog_trigger;          /* WATCHDOG=trigger: fail now */
        uint64_t watchdog_usec;         /* WATCHDOG_USEC=, a new interval; 0 if none; 1 ms to 1 h */
        bool has_status;
        char status[128];               /* STATUS=, escaped (\xNN): printable ASCII only */
        pid_t main_pid;                 /* MAINPID=, 0 if none; not checked against anything */
        uint64_t extend_usec;           /* EXTEND_TIMEOUT_USEC=, 0 if none, at most NOTIFY_EXTEND_MAX_USEC */
        int health;                     /* AIRSUP_HEALTH=: NOTIFY_HEALTH_* */
        /* AIRSUP_COUNTERS=NAME=VALUE ...: blank-separated, each NAME
         * [a-z0-9_] up to NOTIFY_COUNTER_NAME_MAX bytes, each VALUE
         * decimal; the last of a name that comes twice wins. */
        notify_counter counters[NOTIFY_COUNTERS_MAX];
        unsigned n_counters;
        unsigned invalid;               /* known keys with values that do not parse */
} notify_msg;

/* Parses the LEN bytes at BUF ("KEY=VALUE" lines).  A datagram holding a
 * NUL byte is refused whole (-EBADMSG), as systemd does; so is one longer
 * than NOTIFY_MSG_MAX (-EMSGSIZE).  Unknown keys are ignored. */
int notify_parse(const char *buf, size_t len, notify_msg *ret);

/* Copies SRC (LEN bytes) into DST of SIZE bytes as printable ASCII: every
 * other byte, and '"' and '\\', as \xNN; never cuts an escape in half.
 * Returns the length written. */
size_t notify_escape(const char *src, size_t len, char *dst, size_t size);
