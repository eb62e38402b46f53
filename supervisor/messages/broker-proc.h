/* broker-proc.h - what broker.c keeps per process: this incarnation's
 * channel (airsupd's end, and the child's until it is spawned) and the
 * mailbox of the instance (its bell, eventfd and inbound lanes), kept
 * across restarts.  Every process has a channel, so this is part of
 * sup_proc itself (a few words; the mailbox and the queue of records
 * waiting for room are allocated when used).  Types only. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "supervisor/core/iomux.h"
#include "supervisor/core/ratelimit.h"

typedef struct broker_proc {
        int chan_fd, chan_child;
        sup_io chan_io;                 /* chan_fd in the manager's epoll set (iomux.h), while watched */
        unsigned chan_bad;              /* malformed records on this channel */
        unsigned lanes_out;             /* lanes airsupd made for it to send on */
        struct chan_out *chan_out;      /* records waiting for room in it */
        struct broker_box *box;
        uint64_t pong;                  /* the PONG being reported (PROC_REPORT_PONG) */
        /* This incarnation's actor table (broker-actors.c): a read-only
         * mapping of the process's memfd, NULL when it published none. */
        const volatile void *act_map;
        size_t act_size;
        sup_ratelimit act_events;       /* its ACTOR_EVENT and DEAD records made events */
        uint64_t act_ignored;           /* DEAD records naming no inbound lane, and refused tables */
        unsigned names;                 /* registry.c: names this process holds */
        unsigned subs;                  /* interest.c: its run-time subscriptions */
        /* Who watches this instance (MONITOR): told DOWN when it goes
         * down.  Watchers by name and incarnation, not by pointer: a
         * reload may free a watcher's node; one that ended is skipped. */
        struct broker_watch *watches;
        unsigned n_watches, cap_watches;
        unsigned act_counts_seen;       /* its SUPPRESSED counts taken over the budget */
        bool act_final_seen;            /* this incarnation's GAVE_UP came (taken over the budget once) */
        bool attached;                  /* its ATTACH came: its BELL went, and INBOX goes for each new lane */
} broker_proc;

#define BROKER_PROC_INIT { .chan_fd = -EBADF, .chan_child = -EBADF, .chan_io = SUP_IO_INIT }
