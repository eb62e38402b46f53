/* inbox.h - airsupd's own mailbox (inbox.c), the receiving half of
 * airsupctl's messages (airsupctl(1): request, subscribe).  A process
 * that looks up "airsupctl" (CFG_CTL_SENDER) gets a lane into it; what
 * comes on it is either a reply to a request airsupctl made, taken only
 * from the instance asked and with the id it was given, or a message
 * published to a subject one of airsupctl's subscriptions matches.
 * Everything else is counted and dropped. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supervisor/core/types.h"

/* Lanes into airsupd, one per sending instance name for airsupd's life
 * (-ENOSPC past it), each INBOX_LANE_BYTES (a message on one is at most a
 * quarter of that: 16 KiB). */
#define INBOX_LANES 256
#define INBOX_LANE_BYTES (64 * 1024)
#define INBOX_REQUESTS_MAX 1024         /* requests waiting for their reply, all clients' */

/* What a lookup of "airsupctl" by SENDER hands it (the broker's fds, lent). */
typedef struct inbox_lane_fds {
        int lane, bell, event, space;
        uint32_t index;
} inbox_lane_fds;
int inbox_lane(sup_manager *m, const char *sender, inbox_lane_fds *ret);

/* A request to DEST (an instance's name) goes out with *RET_ID as its
 * correlation; FN is called once, with its reply (ERROR 0), unless
 * inbox_forget() came first.  -EBUSY past INBOX_REQUESTS_MAX. */
typedef void (*inbox_reply_fn)(int error, const char *from, uint32_t type, const void *data, size_t len,
                               void *userdata);
int inbox_expect(sup_manager *m, const char *dest, inbox_reply_fn fn, void *userdata, uint64_t *ret_id);
void inbox_forget(sup_manager *m, uint64_t id);

/* PATTERN (NATS syntax, wildcards allowed) in the interest table as
 * airsupctl's: FN for each message published to a subject it matches,
 * until inbox_unsubscribe().  -EINVAL, or interest_subscribe()'s
 * limits (INTEREST_PER_PROC for all of airsupctl's). */
typedef void (*inbox_published_fn)(const char *subject, const char *from, uint32_t type, const void *data,
                                   size_t len, void *userdata);
int inbox_subscribe(sup_manager *m, const char *pattern, inbox_published_fn fn, void *userdata, uint64_t *ret_id);
void inbox_unsubscribe(sup_manager *m, uint64_t id);
/* airsupctl publish reaching airsupctl's own subscriptions: how many. */
unsigned inbox_deliver(sup_manager *m, const char *subject, uint32_t type, const void *data, size_t len);

typedef struct inbox_stats {
        uint64_t replies, late_replies, published, dropped, garbled;
        unsigned lanes, waiting, subscriptions;
} inbox_stats;
void inbox_get_stats(const sup_manager *m, inbox_stats *ret);
void inbox_free(sup_manager *m);
