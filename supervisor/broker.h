/* broker.h - airsupd brokers the lanes between groups (broker.c).
 *
 * Every process airsupd starts gets a channel: a SOCK_SEQPACKET
 * socketpair whose child end is at CHAN_FD in it, named by AIRSUP_FD
 * (common/channel.h has the records).  A lane belongs to a pair of
 * instances, sender and receiver, not to their processes: airsupd creates
 * it on the sender's first LOOKUP of the receiver, sized from the
 * receiver's mailbox =, keeps its memfd, and hands it to the sender (LANE,
 * with the receiver's bell and eventfd) and to the receiver (INBOX, now if
 * it runs, else when it next starts, after its BELL).  Either side that
 * restarts gets the same lane back: what was queued reaches the next
 * incarnation, and the message being handled is redelivered. */
#pragma once

#include <stdbool.h>

#include "supervisor/sup.h"

/* Before P's spawn: its channel's two ends (chan_fd, chan_child). */
int broker_channel_open(sup_proc *p);
/* After the spawn (OK: it was forked): the child's end closed, ours
 * watched, and P's BELL and every INBOX of its mailbox sent. */
void broker_channel_spawned(sup_proc *p, bool ok);
/* The incarnation is gone: its channel closes (its lanes stay). */
void broker_channel_close(sup_proc *p);
/* P goes away with the tree: its mailbox and lanes too. */
void broker_proc_done(sup_proc *p);
