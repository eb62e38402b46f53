/* inbox.c - airsupd's own mailbox (inbox.h): what the replies to
 * airsupctl's requests and the messages published to its subscriptions
 * come on.
 *
 * To a process, airsupctl is a name like another: a lookup of it gets a
 * lane into this mailbox, which airsupd reads from its event loop as it
 * would any untrusted memory (shm_mailbox_take() checks every record; a
 * garbled lane is closed, and the next lookup of its sender maps a new
 * segment at its place).  Each lane belongs to an instance name, kept
 * for airsupd's life, so an instance's next incarnation finds its lane;
 * at most INBOX_LANES of them, small ones (INBOX_LANE_BYTES).  A wake-up
 * reads at most INBOX_BATCH messages, and comes back for the rest after
 * the loop has served others.  What is neither a reply someone waits for
 * nor a publication someone listens to is counted and dropped. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <unistd.h>

#include "common/channel.h"
#include "common/cleanup.h"
#include "common/subject.h"
#include "shm/shm.h"
#include "supervisor/config/cfg-types.h"
#include "supervisor/core/names.h"
#include "supervisor/messages/broker.h"
#include "supervisor/messages/inbox.h"
#include "supervisor/messages/interest.h"
#include "supervisor/start/fdlimit.h"

#define INBOX_BATCH 64
/* While someone waits for what comes here, every lane is looked at this
 * often even without a wake-up: the bell (the words senders ring, and the
 * one that says airsupd sleeps) is shared by every sender, and one that
 * garbled it may have wiped the others' rings or sent their wake-ups
 * astray. */
#define INBOX_RECHECK_USEC (100 * 1000)

typedef struct inbox_slot {
        char sender[96];                /* "" for a free slot */
        int fd, space_fd;
} inbox_slot;

typedef struct inbox_request {
        uint64_t id;
        char dest[96];                  /* the instance the request went to: only its reply is taken */
        inbox_reply_fn fn;
        void *userdata;
} inbox_request;

typedef struct inbox_sub {
        uint64_t id;
        char pattern[SUBJECT_MAX + 1];
        inbox_published_fn fn;
        void *userdata;
} inbox_sub;

struct broker_inbox {
        sup_manager *m;
        int bell_fd, event_fd;
        shm_mailbox *mb;
        sd_event_source *source;
        sd_event_source *recheck;       /* INBOX_RECHECK_USEC, while requests wait or subscriptions hold */
        inbox_slot lanes[INBOX_LANES];
        unsigned n_lanes;
        inbox_request *reqs;
        size_t n_reqs, cap_reqs;
        inbox_sub *subs;
        size_t n_subs, cap_subs;
        uint64_t next_id;
        /* The subscriber interest.c knows: the name "airsupctl", its
         * count of subscriptions. */
        sup_proc self;
        inbox_stats stats;
        uint8_t buf[INBOX_LANE_BYTES];
};

static int inbox_arm(struct broker_inbox *in);

/* The recheck runs while anyone waits.  WAS_IDLE: nobody did before this
 * change; the mailbox was left unarmed then, its lanes watched (their
 * senders ring for nothing): armed now, so that what comes rings. */
static void recheck_update(struct broker_inbox *in, bool was_idle) {
        bool busy = in->n_reqs > 0 || in->n_subs > 0;

        (void) sd_event_source_set_enabled(in->recheck, busy ? SD_EVENT_ON : SD_EVENT_OFF);
        if (busy && was_idle)
                (void) inbox_arm(in);
}

/* SUBJECT's message to each subscription it matches: how many (one more
 * message published, if any). */
static unsigned listeners(struct broker_inbox *in, const char *subject, const char *from, uint32_t type,
                          const void *data, size_t len) {
        unsigned n = 0;

        /* A callback may unsubscribe (its client went away). */
        for (size_t i = 0; i < in->n_subs; i++) {
                uint64_t id = in->subs[i].id;
                if (!subject_match(in->subs[i].pattern, subject))
                        continue;
                n++;
                in->subs[i].fn(subject, from, type, data, len, in->subs[i].userdata);
                if (i >= in->n_subs || in->subs[i].id != id)
                        i--;
        }
        if (n > 0)
                in->stats.published++;
        return n;
}

static void dispatch(struct broker_inbox *in, const shm_envelope *e, uint32_t lane, size_t len) {
        const char *from = in->lanes[lane].sender;
        const uint8_t *data = in->buf;
        char subject[SUBJECT_MAX + 1];

        if (e->sender & CHAN_ENV_REPLY) {
                for (size_t i = 0; i < in->n_reqs; i++) {
                        inbox_request r = in->reqs[i];
                        /* The id, from the instance it was asked of: a
                         * process that guesses ids can only lose its own
                         * replies. */
                        if (r.id != e->correlation || strcmp(r.dest, from) != 0)
                                continue;
                        in->reqs[i] = in->reqs[--in->n_reqs];
                        recheck_update(in, false);
                        in->stats.replies++;
                        r.fn(0, from, e->type, data, len, r.userdata);
                        return;
                }
                in->stats.late_replies++;
                return;
        }
        if ((e->sender & CHAN_ENV_PUBLISH) && e->to_len <= len && e->to_len <= SUBJECT_MAX) {
                memcpy(subject, data, e->to_len);
                subject[e->to_len] = '\0';
                if (!subject_valid(subject, false)) {
                        in->stats.dropped++;
                        return;
                }
                if (listeners(in, subject, from, e->type, data + e->to_len, len - e->to_len) == 0)
                        in->stats.dropped++;
                return;
        }
        in->stats.dropped++;
}

/* Nobody waits: nothing is read, and no sender wakes airsupd.  What a
 * process sends meanwhile stays in its lane (which fills, and then its
 * sends wait or fail by its own choice): it cannot make airsupd work for
 * nobody.  A reply that waited is late (request ids are never reused),
 * a publication goes to whoever listens when it is read. */
static bool idle(const struct broker_inbox *in) {
        return in->n_reqs == 0 && in->n_subs == 0;
}

static int inbox_arm(struct broker_inbox *in) {
        uint64_t one = 1;

        if (idle(in))
                return 0;
        /* 1: messages came between the last take and the arming: come
         * back for them through the loop. */
        if (shm_mailbox_arm_fd(in->mb) != 0)
                return write(in->event_fd, &one, sizeof(one)) < 0 ? -errno : 0;
        return 0;
}

static int on_inbox(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct broker_inbox *in = userdata;
        unsigned k;

        (void) s, (void) fd, (void) revents;
        shm_mailbox_disarm_fd(in->mb);
        if (idle(in))
                return 0;
        for (k = 0; k < INBOX_BATCH; k++) {
                shm_envelope e;
                uint32_t lane = 0;
                int r = shm_mailbox_take(in->mb, SHM_NOW_AUTO, &e, in->buf, sizeof(in->buf), &lane);

                if (r == -EAGAIN)
                        break;
                if (r == -EBADMSG) {
                        in->stats.garbled++;
                        sup_log(&in->m->events, LOG_WARNING, "airsupctl's inbox: a lane was garbled, closed");
                        continue;
                }
                if (r < 0 || lane >= in->n_lanes) {
                        /* -EMSGSIZE: a record larger than the lane holds
                         * (checked, so never); leave the loop. */
                        in->stats.garbled++;
                        break;
                }
                dispatch(in, &e, lane, (size_t) r);
                (void) shm_mailbox_commit(in->mb, lane);
        }
        if (k == INBOX_BATCH) {
                uint64_t one = 1;
                (void) !write(in->event_fd, &one, sizeof(one));
                return 0;
        }
        (void) inbox_arm(in);
        return 0;
}

static int on_recheck(sd_event_source *s, uint64_t usec, void *userdata) {
        struct broker_inbox *in = userdata;

        (void) usec;
        /* Every lane, whatever the bell says: a sender that wrote over it
         * may have wiped another's ring. */
        (void) shm_mailbox_sweep(in->mb, SHM_NOW_AUTO);
        (void) on_inbox(NULL, in->event_fd, EPOLLIN, in);
        return sd_event_source_set_time_relative(s, INBOX_RECHECK_USEC);
}

static struct broker_inbox *inbox_get(sup_manager *m, int *ret_error) {
        struct broker_inbox *in = m->inbox;
        int r;

        if (in)
                return in;
        in = calloc(1, sizeof(*in));
        if (!in) {
                *ret_error = -ENOMEM;
                return NULL;
        }
        in->m = m;
        in->bell_fd = in->event_fd = -EBADF;
        in->next_id = 1;
        snprintf(in->self.name, sizeof(in->self.name), "%s", CFG_CTL_SENDER);
        r = shm_bell_create(INBOX_LANES, &in->bell_fd);
        if (r >= 0) {
                in->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                r = in->event_fd < 0 ? -errno : 0;
        }
        if (r >= 0)
                r = shm_mailbox_open(in->bell_fd, in->event_fd, &in->mb);
        if (r >= 0)
                r = m->event ? sd_event_add_io(m->event, &in->source, in->event_fd, EPOLLIN, on_inbox, in) : -ENOTCONN;
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &in->recheck, CLOCK_MONOTONIC, INBOX_RECHECK_USEC, 0,
                                               on_recheck, in);
        if (r >= 0)
                r = sd_event_source_set_enabled(in->recheck, SD_EVENT_OFF);
        if (r >= 0)
                r = inbox_arm(in);
        if (r < 0) {
                m->inbox = in;
                inbox_free(m);
                *ret_error = r;
                return NULL;
        }
        m->inbox = in;
        return in;
}

/* A lane whose segment is new at slot I, for SENDER. */
static int lane_make(struct broker_inbox *in, unsigned i, const char *sender) {
        inbox_slot *l = &in->lanes[i];
        int fd, space, r;

        if (!fdlimit_reserve_full())
                return -EMFILE;
        r = shm_lane_create(INBOX_LANE_BYTES, shm_lane_message_max_for(INBOX_LANE_BYTES), &fd);
        if (r < 0)
                return r;
        space = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (space < 0) {
                r = -errno;
                safe_close(fd);
                return r;
        }
        r = shm_mailbox_add_lane(in->mb, i, fd, space);
        if (r < 0) {
                safe_close(fd);
                safe_close(space);
                return r;
        }
        if (l->sender[0]) {
                /* A LANE reply with the old segment may wait for its
                 * sender: not with these numbers once they are reused. */
                broker_forget_fds((const int[]) { l->fd, l->space_fd }, 2);
                safe_close(l->fd);
                safe_close(l->space_fd);
        }
        *l = (inbox_slot) { .fd = fd, .space_fd = space };
        snprintf(l->sender, sizeof(l->sender), "%s", sender);
        /* A lane added is watched by the mailbox (its senders do not
         * ring while it is): armed again, so that it rings. */
        return inbox_arm(in);
}

int inbox_lane(sup_manager *m, const char *sender, inbox_lane_fds *ret) {
        struct broker_inbox *in;
        shm_lane_stats st;
        unsigned i;
        int r = 0;

        in = inbox_get(m, &r);
        if (!in)
                return r;
        for (i = 0; i < in->n_lanes && strcmp(in->lanes[i].sender, sender) != 0; i++)
                ;
        if (i == in->n_lanes) {
                if (in->n_lanes == INBOX_LANES)
                        return -ENOSPC;
                r = lane_make(in, i, sender);
                if (r < 0)
                        return r;
                in->n_lanes++;
        } else if (shm_mailbox_lane_stats(in->mb, i, &st) < 0) {
                /* Closed as garbled: a new segment in its place. */
                r = lane_make(in, i, sender);
                if (r < 0)
                        return r;
        }
        *ret = (inbox_lane_fds) { .lane = in->lanes[i].fd, .bell = in->bell_fd, .event = in->event_fd,
                                  .space = in->lanes[i].space_fd, .index = i };
        return 0;
}

static int grow(void **p, size_t *cap, size_t n, size_t size) {
        void *a;

        if (n < *cap)
                return 0;
        a = reallocarray(*p, *cap ? *cap * 2 : 8, size);
        if (!a)
                return -ENOMEM;
        *p = a;
        *cap = *cap ? *cap * 2 : 8;
        return 0;
}

int inbox_expect(sup_manager *m, const char *dest, inbox_reply_fn fn, void *userdata, uint64_t *ret_id) {
        struct broker_inbox *in;
        bool was_idle;
        int r = 0;

        in = inbox_get(m, &r);
        if (!in)
                return r;
        if (in->n_reqs >= INBOX_REQUESTS_MAX)
                return -EBUSY;
        r = grow((void **) &in->reqs, &in->cap_reqs, in->n_reqs, sizeof(*in->reqs));
        if (r < 0)
                return r;
        was_idle = idle(in);
        in->reqs[in->n_reqs] = (inbox_request) { .id = in->next_id++, .fn = fn, .userdata = userdata };
        snprintf(in->reqs[in->n_reqs].dest, sizeof(in->reqs[0].dest), "%s", dest);
        *ret_id = in->reqs[in->n_reqs++].id;
        recheck_update(in, was_idle);
        return 0;
}

void inbox_forget(sup_manager *m, uint64_t id) {
        struct broker_inbox *in = m->inbox;

        for (size_t i = 0; in && i < in->n_reqs; i++)
                if (in->reqs[i].id == id) {
                        in->reqs[i] = in->reqs[--in->n_reqs];
                        recheck_update(in, false);
                        return;
                }
}

int inbox_subscribe(sup_manager *m, const char *pattern, inbox_published_fn fn, void *userdata, uint64_t *ret_id) {
        struct broker_inbox *in;
        bool was_idle;
        int r = 0;

        if (!subject_valid(pattern, true))
                return -EINVAL;
        in = inbox_get(m, &r);
        if (!in)
                return r;
        r = grow((void **) &in->subs, &in->cap_subs, in->n_subs, sizeof(*in->subs));
        if (r < 0)
                return r;
        /* interest.c counts and bounds them (INTEREST_PER_PROC). */
        r = interest_subscribe(m, &in->self, pattern, false);
        if (r < 0)
                return r;
        was_idle = idle(in);
        in->subs[in->n_subs] = (inbox_sub) { .id = in->next_id++, .fn = fn, .userdata = userdata };
        snprintf(in->subs[in->n_subs].pattern, sizeof(in->subs[0].pattern), "%s", pattern);
        *ret_id = in->subs[in->n_subs++].id;
        recheck_update(in, was_idle);
        return 0;
}

void inbox_unsubscribe(sup_manager *m, uint64_t id) {
        struct broker_inbox *in = m->inbox;

        for (size_t i = 0; in && i < in->n_subs; i++)
                if (in->subs[i].id == id) {
                        (void) interest_unsubscribe(m, &in->self, in->subs[i].pattern);
                        /* In order: a publication goes to the listeners
                         * in the order they came. */
                        memmove(&in->subs[i], &in->subs[i + 1], (in->n_subs - i - 1) * sizeof(*in->subs));
                        in->n_subs--;
                        recheck_update(in, false);
                        return;
                }
}

unsigned inbox_deliver(sup_manager *m, const char *subject, uint32_t type, const void *data, size_t len) {
        return m->inbox ? listeners(m->inbox, subject, CFG_CTL_SENDER, type, data, len) : 0;
}

void inbox_get_stats(const sup_manager *m, inbox_stats *ret) {
        *ret = m->inbox ? m->inbox->stats : (inbox_stats) {};
        if (m->inbox) {
                ret->lanes = m->inbox->n_lanes;
                ret->waiting = m->inbox->n_reqs;
                ret->subscriptions = m->inbox->n_subs;
        }
}

void inbox_free(sup_manager *m) {
        struct broker_inbox *in = m->inbox;

        if (!in)
                return;
        /* Whoever waited forgot first (the control server goes before
         * the manager). */
        in->source = sd_event_source_disable_unref(in->source);
        in->recheck = sd_event_source_disable_unref(in->recheck);
        in->mb = shm_mailbox_free(in->mb);
        for (unsigned i = 0; i < in->n_lanes; i++) {
                safe_close(in->lanes[i].fd);
                safe_close(in->lanes[i].space_fd);
        }
        safe_close(in->bell_fd);
        safe_close(in->event_fd);
        free(in->reqs);
        free(in->subs);
        free(in);
        m->inbox = NULL;
}
