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

#include "shm/shm.h"
#include "supervisor/core/types.h"
#include "supervisor/messages/broker-proc.h"
#include "supervisor/messages/inbox.h"

/* Before P's spawn: its channel's two ends (p->broker.chan_fd, chan_child). */
int broker_channel_open(sup_proc *p);
/* PING SEQ on P's channel (health = ping); a PONG is reported to the proc
 * table (PROC_REPORT_PONG, its seq in p->broker.pong). */
int broker_ping(sup_proc *p, uint64_t seq);
/* After the spawn (OK: it was forked): the child's end closed, ours
 * watched, and P's BELL and every INBOX of its mailbox sent. */
void broker_channel_spawned(sup_proc *p, bool ok);
/* The incarnation is gone: its channel closes (its lanes stay). */
void broker_channel_close(sup_proc *p);
/* The process ended: what it sent last is read, then the channel closed. */
void broker_channel_end(sup_proc *p);

/* airsupctl send and publish: airsupd writes the message itself, on a
 * lane of its own into each receiver's mailbox (sender "airsupctl"),
 * never waiting for room (-EAGAIN: full).  DEST as for a lookup, or
 * "GROUP/ACTOR"; a publish says how many it reached. */
int broker_ctl_send(sup_manager *m, const char *dest, uint32_t type, const void *data, size_t len);
/* airsupctl request: as a send, with *RET_ID as its correlation; FN gets
 * the reply from the instance DEST led to (inbox.h), unless
 * inbox_forget(*RET_ID) came first (a timeout, a client gone). */
int broker_ctl_request(sup_manager *m, const char *dest, uint32_t type, const void *data, size_t len,
                       inbox_reply_fn fn, void *userdata, uint64_t *ret_id);
int broker_ctl_publish(sup_manager *m, const char *subject, uint32_t type, const void *data, size_t len,
                       unsigned *ret_reached);
/* P goes away with the tree: its mailbox and lanes too. */
void broker_proc_done(sup_proc *p);
/* A record waiting for a child that does not read holds fd numbers, not
 * fds: before airsupd closes FDS (N of them), every waiting LANE reply
 * that names one becomes an ERROR (ENOENT to its request), so that the
 * numbers, reused by whatever airsupd opens next, are never handed out. */
void broker_forget_fds(const int *fds, size_t n);
/* P's lanes to the mailboxes of others are TO's now (a reload that gave
 * its group new instances), or closed (TO NULL: it is going away).  The
 * broker knows every mailbox (in the tree or parked by a reload). */
void broker_sender_moved(sup_manager *m, sup_proc *p, sup_proc *to);
/* Before P starts again: a message at the head of one of its lanes that
 * was delivered more than its group's redeliver = times without a commit
 * is taken off as a dead letter (an event, and kept for airsupctl), so
 * that a poison message cannot crash-loop it. */
void broker_before_start(sup_proc *p);

typedef struct broker_dead {
        uint64_t realtime_usec;
        char receiver[96], sender[96];
        uint32_t type, len, redeliveries;
        uint32_t n_head;
        uint8_t head[64];               /* its first bytes */
        char reason[96];                /* why, for a process's own ("no such actor NAME"); "" for a redelivered one */
} broker_dead;

/* The figures of P's inbound lanes, summed (read from the segments, as
 * untrusted memory: a lane that lies shows what it claims, never more
 * than its capacity), hwm_bytes the largest; the number of lanes. */
unsigned broker_mailbox_stats(const sup_proc *p, shm_lane_stats *ret);

/* The dead letters kept, oldest first (I < broker_dead_count()). */
size_t broker_dead_count(const sup_manager *m);
const broker_dead *broker_dead_at(const sup_manager *m, size_t i);
void broker_dead_free(sup_manager *m);
