/* airsup.h - libairsup: messages between the groups airsupd supervises.
 *
 * A process that airsupd started attaches (airsup_attach()), looks up the
 * groups it sends to (airsup_lookup()), and sends and receives through
 * shared-memory lanes that airsupd created and that outlive the processes
 * at either end: what was queued for a group that restarts reaches its
 * next incarnation, and a message taken but not committed when the
 * receiver died is delivered again, its redelivered count raised.
 *
 * Every call returns >= 0 on success or a negative errno; nothing prints
 * or aborts.  One airsup handle is for one thread at a time (calls on it
 * from several threads must be serialised by the caller); destinations
 * belong to their handle.  See airsup(3). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AIRSUP_NAME_MAX 64

typedef struct airsup airsup;
typedef struct airsup_dest airsup_dest;

/* What a full lane does to a send. */
enum {
        AIRSUP_BLOCK = 0,               /* wait for room up to the timeout, then -ETIMEDOUT */
        AIRSUP_DROP = 1,                /* drop it (counted in the lane) and return 0 */
        AIRSUP_FAIL = 2,                /* return -EAGAIN at once */
};

typedef struct airsup_msg {
        uint32_t type;
        uint32_t len;                   /* payload bytes */
        uint32_t priority;
        uint32_t redelivered;           /* deliveries before this one that were not committed */
        uint64_t correlation, reply_to;
        uint64_t deadline_ns;           /* CLOCK_MONOTONIC; 0: none */
        uint32_t lane;                  /* for airsup_commit() */
        char sender[AIRSUP_NAME_MAX];   /* "GROUP" or "GROUP[i]", as airsupd names the sender */
} airsup_msg;

typedef struct airsup_send_opts {
        uint32_t priority;              /* 0 lowest .. 3 highest */
        uint64_t deadline_ns;           /* CLOCK_MONOTONIC; 0: none */
        uint64_t correlation, reply_to;
        int full;                       /* AIRSUP_BLOCK, AIRSUP_DROP or AIRSUP_FAIL */
        uint64_t timeout_ns;            /* AIRSUP_BLOCK: how long at most */
} airsup_send_opts;

/* From the environment airsupd set (AIRSUP_FD): -ENOTCONN when this
 * process was not started by airsupd, -EBADF when AIRSUP_FD is not its
 * channel, -ETIMEDOUT when airsupd did not send this process its mailbox. */
int airsup_attach(airsup **ret);
airsup *airsup_detach(airsup *a);

/* The destination NAME, "GROUP" (for a pool: an instance airsupd
 * chooses, see airsup(3)) or "GROUP[i]", waiting up to TIMEOUT_NS for
 * airsupd's answer: -ENOENT no such group or instance, -EISDIR a
 * supervisor, -EINVAL not a name. */
int airsup_lookup(airsup *a, const char *name, uint64_t timeout_ns, airsup_dest **ret);
/* The instance a destination's lane leads to. */
const char *airsup_dest_name(const airsup_dest *d);
/* Event loops that send: after a send with AIRSUP_FAIL said -EAGAIN,
 * airsup_dest_arm() returns 1 if there is room already (send again), or 0:
 * poll airsup_dest_fd() for POLLIN, then send again (which disarms it). */
int airsup_dest_fd(const airsup_dest *d);
int airsup_dest_arm(airsup_dest *d);

/* TYPE and LEN bytes of PAYLOAD to D; OPTS NULL: priority 0, no deadline,
 * AIRSUP_BLOCK without limit.  -EMSGSIZE beyond the receiver's message_max. */
int airsup_send(airsup_dest *d, uint32_t type, const void *payload, size_t len, const airsup_send_opts *opts);
/* Zero-copy: room for up to LEN bytes at *RET_BUF, written in place, then
 * published with airsup_commit_send() of the bytes actually written. */
int airsup_reserve(airsup_dest *d, uint32_t type, size_t len, const airsup_send_opts *opts, void **ret_buf);
int airsup_commit_send(airsup_dest *d, size_t len);

/* The next message (highest priority first, senders in turn) into M and
 * up to SIZE bytes of BUF; its length.  It stays queued until
 * airsup_commit(): a process that dies before that gets it again in its
 * next incarnation.  TIMEOUT_NS 0 does not wait (-EAGAIN); -EMSGSIZE:
 * SIZE too small (M->len says how much is needed); -EBADMSG once for a
 * lane found garbled (its sender wrote garbage; the lane is closed). */
int airsup_recv(airsup *a, airsup_msg *m, void *buf, size_t size, uint64_t timeout_ns);
int airsup_commit(airsup *a, const airsup_msg *m);

/* Event loops: poll airsup_fd() for POLLIN, then call airsup_process()
 * and airsup_recv() with a timeout of 0 until it says -EAGAIN (which
 * also arms the fd for the next message). */
int airsup_fd(const airsup *a);
int airsup_process(airsup *a);

/* READY=1 to airsupd (for ready = notify), as sd_notify() would. */
int airsup_ready(airsup *a);

/* For health = heartbeat: says the process is alive and well; call it at
 * least every health_interval (airsup.conf(5), HEALTH). */
int airsup_heartbeat(airsup *a);

#ifdef __cplusplus
}
#endif
