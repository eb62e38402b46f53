/* request.c - request/reply for plain programs (airsup.h).
 *
 * A request is an ordinary lane message with a correlation id; its reply
 * is one with the same id and the reply flag, sent by airsup_reply() to
 * the instance the request came from (airsupd's name for the lane it came
 * on, never anything in the message).  The requester takes a reply only
 * if it is the one it waits for: the right id, from the instance it asked
 * (the destination's peer); any other reply is late, dropped and counted.
 * So a server that lies about ids can only have its own replies dropped.
 *
 * airsup_request() is a selective receive: what comes meanwhile is kept
 * in the process (committed, as Erlang keeps a process's mailbox) and
 * airsup_recv() returns it first.
 *
 * A monitored destination (airsup_dest_monitor()) makes its requests end
 * at the DOWN of the instance asked, as gen_server:call's monitor does.
 * The monitor is the lane owner's, set up once and kept until its DOWN
 * (monitors are one-shot), not one per request: a request costs no round
 * trip to airsupd but after a DOWN.  A request ends at the DOWN of the
 * monitor it was sent under, by ref, never by name: a DOWN of an earlier
 * incarnation that comes late cannot end a request sent to the next. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "child/lib.h"

#define EXPORT __attribute__((visibility("default")))
#define REQ_BUF_FIRST 4096

uint64_t airsup__correlation(airsup *a) {
        if (++a->next_corr == 0)
                a->next_corr = 1;
        return a->next_corr;
}

EXPORT uint64_t airsup_late_replies(const airsup *a) {
        return a ? a->late_replies : 0;
}

EXPORT int airsup_dest_monitor(airsup_dest *d, int on) {
        if (!d || d->subject)
                return -EINVAL;
        /* The monitor itself waits for the first request: a destination
         * looked up and never asked costs airsupd nothing. */
        d->monitored = on != 0;
        return 0;
}

/* The DOWN of monitor REF, kept by airsup.c, dropped. */
static void stash_drop_down(airsup *a, uint64_t ref) {
        for (airsup_stash **p = &a->stash, *prev = NULL; *p; prev = *p, p = &(*p)->next) {
                airsup_stash *st = *p;
                airsup_down dn;

                if (st->m.type != AIRSUP_TYPE_DOWN || st->m.len != sizeof(dn))
                        continue;
                memcpy(&dn, st + 1, sizeof(dn));
                if (dn.ref != ref)
                        continue;
                *p = st->next;
                if (a->stash_tail == st)
                        a->stash_tail = prev;
                free(st);
                return;
        }
}

int airsup__dest_watch(airsup *a, airsup_dest *d, uint64_t *ret_ref) {
        airsup_dest *lane = d->base ? d->base : d;
        uint64_t ref;
        bool listed = false;
        int r;

        if (lane->mon_ref == 0) {
                r = airsup_monitor(a, lane->peer, &ref);
                if (r < 0)
                        return r;
                lane->mon_ref = ref;
                /* airsupd sends a NOPROC right behind the monitor's DONE:
                 * if it is there already, the instance is not up and
                 * nothing is sent (airsup__request_down() forgot the
                 * monitor).  If it comes later, it ends the request as
                 * another DOWN would. */
                (void) airsup_process(a);
                for (size_t k = 0; k < a->n_monitors && !listed; k++)
                        listed = a->monitors[k] == ref;
                if (!listed) {
                        /* -ESRCH says what its DOWN would: a program
                         * that asks again until the server is back is
                         * not left a NOPROC per try. */
                        stash_drop_down(a, ref);
                        lane->mon_ref = 0;
                        return -ESRCH;
                }
        }
        *ret_ref = lane->mon_ref;
        return 0;
}

/* The reply to the request CORR sent to D, as airsup_request() says. */
static int request_wait(airsup *a, airsup_dest *d, uint64_t corr, void *reply, size_t size, uint64_t timeout_ns,
                        airsup_msg *ret_m);

EXPORT int airsup_request(airsup *a, airsup_dest *d, uint32_t type, const void *req, size_t len, void *reply,
                          size_t size, uint64_t timeout_ns, airsup_msg *ret_m) {
        airsup_send_opts o = { .full = AIRSUP_BLOCK, .timeout_ns = timeout_ns };
        bool monitored;
        int r;

        if (!a || !d || (len > 0 && !req) || (size > 0 && !reply) || d->a != a)
                return -EINVAL;
        monitored = d->monitored;
        /* To a routed pool: one instance, and only its reply. */
        d = airsup__pick(d, NULL);
        if (__builtin_expect(monitored, 0)) {
                uint64_t ref;
                r = airsup__dest_watch(a, d, &ref);
                if (r < 0)
                        return r;
                a->req_mon = ref;
                a->req_down = 0;
        }
        o.correlation = airsup__correlation(a);
        if (d->subject) {
                /* Published: whoever subscribes may answer (a bridge for
                 * a server on another host); nobody, no answer. */
                r = airsup_publish(a, d->subject, type, req, len, &o);
                if (r == 0)
                        return -ENOENT;
        } else
                r = airsup_send(d, type, req, len, &o);
        if (r >= 0)
                r = request_wait(a, d, o.correlation, reply, size, timeout_ns, ret_m);
        a->req_mon = 0;
        a->req_down = 0;
        return r;
}

static int request_wait(airsup *a, airsup_dest *d, uint64_t corr, void *reply, size_t size, uint64_t timeout_ns,
                        airsup_msg *ret_m) {
        /* The clock is read only once the answer is not the first thing
         * that comes (the receive reads it itself before it sleeps). */
        uint64_t deadline = 0;
        size_t bsize;
        void *buf;
        int r;

        /* One buffer for every request: no malloc per call. */
        if (!a->req_buf) {
                a->req_buf = malloc(REQ_BUF_FIRST);
                if (!a->req_buf)
                        return -ENOMEM;
                a->req_size = REQ_BUF_FIRST;
        }
        buf = a->req_buf;
        bsize = a->req_size;
        for (;;) {
                shm_envelope e;
                airsup_msg m;
                uint32_t lane = 0;

                /* DEADLINE is set by the receive once it has to wait; a
                 * message that came without waiting took no time. */
                if (deadline != 0 && shm_now() >= deadline) {
                        r = -ETIMEDOUT;
                        break;
                }
                r = airsup__recv_env(a, &m, buf, bsize, timeout_ns, &e, &lane, &deadline);
                if (deadline == 0)
                        deadline = shm_deadline(timeout_ns);
                if (r == -EMSGSIZE && m.len <= SHM_MESSAGE_MAX) {
                        void *b = realloc(buf, m.len);
                        if (!b) {
                                r = -ENOMEM;
                                break;
                        }
                        buf = a->req_buf = b;
                        bsize = a->req_size = m.len;
                        continue;
                }
                if (r == -EAGAIN) {
                        r = -ETIMEDOUT;
                        break;
                }
                /* The instance asked went down (its DOWN is kept), or
                 * was not up (-ESRCH says what its NOPROC would). */
                if (r == -ENOMSG) {
                        r = a->req_down;
                        if (r == -ESRCH)
                                stash_drop_down(a, a->req_mon);
                        break;
                }
                if (r < 0)
                        break;
                if (!(m.flags & AIRSUP_MSG_REPLY)) {
                        /* Kept for airsup_recv(); a message to an actor of
                         * a program that reads its own keeps its address
                         * on, as airsup_recv() would show it. */
                        const uint8_t *p = buf;
                        size_t n = (size_t) r;
                        if ((m.flags & AIRSUP_MSG_PUBLISH) && e.to_len <= n && e.to_len < sizeof(m.subject)) {
                                memcpy(m.subject, p, e.to_len);
                                m.subject[e.to_len] = '\0';
                                p += e.to_len;
                                n -= e.to_len;
                        } else if (e.to_len > 0 && e.to_len <= n && e.to_len < AIRSUP_NAME_MAX) {
                                memcpy(m.actor, p, e.to_len);
                                m.actor[e.to_len] = '\0';
                                p += e.to_len;
                                n -= e.to_len;
                        }
                        r = airsup__stash_push(a, &m, p, n);
                        if (r < 0)
                                break;
                        (void) airsup_commit(a, &m);
                        continue;
                }
                if (m.correlation != corr || (!d->subject && strcmp(m.sender, d->peer) != 0)) {
                        a->late_replies++;
                        (void) airsup_commit(a, &m);
                        continue;
                }
                /* The one it waits for. */
                if (ret_m)
                        *ret_m = m;
                if ((size_t) r > size) {
                        if (ret_m)
                                ret_m->len = (uint32_t) r;
                        (void) airsup_commit(a, &m);
                        r = -EMSGSIZE;
                        break;
                }
                memcpy(reply, buf, (size_t) r);
                (void) airsup_commit(a, &m);
                break;
        }
        return r;
}

EXPORT int airsup_reply(airsup *a, const airsup_msg *req, uint32_t type, const void *data, size_t len) {
        airsup_dest *d;
        shm_envelope e;
        int r;

        if (!a || !req || (len > 0 && !data))
                return -EINVAL;
        if (req->correlation == 0 || req->sender[0] == '\0' || (req->flags & AIRSUP_MSG_REPLY))
                return -EINVAL;
        if (len > SHM_MESSAGE_MAX)
                return -EMSGSIZE;
        r = airsup__lookup_group(a, req->sender, UINT64_C(5) * 1000000000, &d);
        if (r < 0)
                return r;
        /* A reply is marked in the envelope's sender word: the send
         * options have no field for it. */
        e = (shm_envelope) { .type = type, .len = (uint32_t) len, .correlation = req->correlation,
                             .reply_to = req->reply_to, .sender = AIRSUP_ENV_REPLY };
        return shm_tx_send(d->tx, &e, data, SHM_FULL_FAIL, 0);
}
