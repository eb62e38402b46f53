/* airsup.c - libairsup (airsup.h): the channel to airsupd, the mailbox of
 * this process, and the lanes to the groups it sends to.  Nothing that
 * airsupd sends is taken on trust either: every record goes through
 * chan_parse(), and the lanes through shm/'s checks. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "child/actors.h"
#include "child/airsup.h"
#include "child/lib.h"
#include "common/actor-addr.h"
#include "common/channel.h"
#include "common/fds.h"
#include "common/subject.h"
#include "shm/shm.h"

#define EXPORT __attribute__((visibility("default")))
#define ATTACH_TIMEOUT_NS (UINT64_C(5) * 1000000000)
#define RECV_SPIN 300                   /* pauses a waiting receive spins before it sleeps */
#define CHAN_EVERY 1024                 /* receives between two looks at the channel under load */

/* Milliseconds from NOW to DEADLINE for poll(), rounded up: -1 for never. */
static int ms_until(uint64_t deadline, uint64_t now) {
        uint64_t ms;

        if (deadline == UINT64_MAX)
                return -1;
        ms = (deadline - now) / 1000000 + 1;
        return ms > INT32_MAX ? INT32_MAX : (int) ms;
}

static void close_fds(int *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        (void) close(fds[i]);
}

/* One record from airsupd, waiting up to TIMEOUT_MS (-1: for ever):
 * 1 and *REC with its fds, 0 if none came, -ECONNRESET when airsupd
 * closed the channel, -EBADMSG for a record that is not one. */
static int read_one(airsup *a, int timeout_ms, chan_record *rec, int fds[4], size_t *n_fds) {
        char buf[CHAN_RECORD_MAX];
        ssize_t n;

        for (;;) {
                struct pollfd p = { .fd = a->chan, .events = POLLIN };
                int k;

                if (a->chan_gone)
                        return -ECONNRESET;
                k = poll(&p, 1, timeout_ms);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return 0;
                n = fds_recv(a->chan, buf, sizeof(buf), MSG_DONTWAIT, fds, 4, n_fds);
                if (n == -EAGAIN || n == -EINTR)
                        continue;
                if (n == 0) {
                        /* Gone for good: out of the fd that event loops
                         * poll, which would otherwise be readable for ever. */
                        a->chan_gone = true;
                        (void) epoll_ctl(a->epfd, EPOLL_CTL_DEL, a->chan, NULL);
                        return -ECONNRESET;
                }
                if (n < 0 && n != -EMSGSIZE)
                        return (int) n;
                if (n < 0 || chan_parse(buf, (size_t) n, *n_fds, rec) < 0) {
                        close_fds(fds, *n_fds);
                        *n_fds = 0;
                        return -EBADMSG;
                }
                return 1;
        }
}

static int sender_set(airsup *a, uint32_t index, const char *name) {
        if (index >= SHM_LANES_MAX)
                return -EBADMSG;
        if (index >= a->n_senders) {
                size_t n = index + 1 > a->n_senders * 2 ? index + 1 : a->n_senders * 2;
                char (*s)[AIRSUP_NAME_MAX] = reallocarray(a->senders, n, AIRSUP_NAME_MAX);
                if (!s)
                        return -ENOMEM;
                memset(s + a->n_senders, 0, (n - a->n_senders) * AIRSUP_NAME_MAX);
                a->senders = s;
                a->n_senders = n;
        }
        memcpy(a->senders[index], name, AIRSUP_NAME_MAX);
        a->senders[index][AIRSUP_NAME_MAX - 1] = '\0';
        return 0;
}


/* BELL and INBOX, whenever they come; the fds are used or closed. */
static int handle(airsup *a, const chan_record *rec, int *fds, size_t n_fds) {
        int r = 0;

        switch (rec->h.type) {
        case CHAN_BELL:
                if (a->mb) {
                        r = -EBADMSG;           /* one mailbox per process */
                        break;
                }
                r = shm_mailbox_open(fds[0], fds[1], &a->mb);
                if (r < 0)
                        break;
                {
                        /* The interest page: a u64 airsupd moves when
                         * subscriptions change; publishers read it. */
                        struct stat st;
                        void *pg;
                        if (fstat(fds[2], &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 4096 &&
                            (pg = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fds[2], 0)) != MAP_FAILED)
                                a->gen = pg;
                }
                a->event_fd = fds[1];
                fds[1] = -EBADF;
                {
                        struct epoll_event ev = { .events = EPOLLIN };
                        if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->event_fd, &ev) < 0)
                                r = -errno;
                }
                break;
        case CHAN_INBOX:
                if (!a->mb) {
                        r = -EBADMSG;
                        break;
                }
                r = sender_set(a, rec->inbox.index, rec->inbox.sender);
                if (r >= 0)
                        r = shm_mailbox_add_lane(a->mb, rec->inbox.index, fds[0], fds[1]);
                /* Told twice of the same lane: it is there already. */
                if (r == -EINVAL)
                        r = 0;
                break;
        case CHAN_DOWN:
                /* A monitor's: a message for airsup_recv(), once. */
                if (airsup__monitor_take(a, rec->down.ref)) {
                        airsup_down d = { .ref = rec->down.ref, .code = rec->down.code, .status = rec->down.status };
                        airsup_msg m = { .type = AIRSUP_TYPE_DOWN, .len = sizeof(d) };
                        /* A monitored request waiting on it ends. */
                        airsup__request_down(a, rec->down.ref, rec->down.code);
                        memcpy(d.name, rec->down.name, sizeof(d.name));
                        memcpy(m.sender, rec->down.name, sizeof(m.sender));
                        /* An actor's monitor: named as it was asked. */
                        (void) airsup__amon_take(a, rec->down.ref, d.name);
                        r = airsup__stash_push(a, &m, &d, sizeof(d));
                }
                break;
        case CHAN_PING: {
                /* Answered from whatever loop read it: proof that it runs. */
                chan_record pong;
                chan_init(&pong, CHAN_PONG);
                pong.ping.seq = rec->ping.seq;
                r = fds_send(a->chan, &pong, pong.h.len, NULL, 0);
                break;
        }
        default:
                break;                  /* a reply nobody waits for */
        }
        close_fds(fds, n_fds);
        return r;
}

int airsup__read_record(airsup *a, uint64_t deadline, chan_record *rec, int fds[4], size_t *n_fds) {
        for (;;) {
                uint64_t now = shm_now();
                int r;

                *n_fds = 0;
                r = now >= deadline ? 0 : read_one(a, ms_until(deadline, now), rec, fds, n_fds);
                if (r == -EBADMSG)
                        continue;
                if (r <= 0)
                        return r == 0 ? -ETIMEDOUT : r;
                return 0;
        }
}

void airsup__handle(airsup *a, const chan_record *rec, int *fds, size_t n_fds) {
        (void) handle(a, rec, fds, n_fds);
}

EXPORT int airsup_process(airsup *a) {
        if (!a)
                return -EINVAL;
        for (;;) {
                chan_record rec;
                int fds[4];
                size_t n_fds = 0;
                int r = read_one(a, 0, &rec, fds, &n_fds);

                if (r == -EBADMSG)
                        continue;
                if (r <= 0)
                        return r;
                (void) handle(a, &rec, fds, n_fds);
        }
}

/* What came while a request waited (child/request.c), kept for
 * airsup_recv(), in order; and monitors' DOWNs. */
#define STASH_MAX 65536                 /* messages kept at once */

int airsup__stash_push(airsup *a, const airsup_msg *m, const void *data, size_t len) {
        airsup_stash *st;
        size_t n = 0;

        for (st = a->stash; st && n < STASH_MAX; st = st->next)
                n++;
        if (n >= STASH_MAX)
                return -ENOBUFS;
        st = malloc(sizeof(*st) + len);
        if (!st)
                return -ENOMEM;
        st->next = NULL;
        st->m = *m;
        st->m.len = (uint32_t) len;
        st->m.lane = AIRSUP_LANE_STASH;
        memcpy(st + 1, data, len);
        if (a->stash_tail)
                a->stash_tail->next = st;
        else
                a->stash = st;
        a->stash_tail = st;
        return 0;
}

int airsup__stash_pop(airsup *a, airsup_msg *m, void *buf, size_t size) {
        airsup_stash *st = a->stash;

        if (!st)
                return 0;
        *m = st->m;
        if (st->m.len > size)
                return -EMSGSIZE;
        memcpy(buf, st + 1, st->m.len);
        a->stash = st->next;
        if (!a->stash)
                a->stash_tail = NULL;
        free(st);
        return (int) m->len;
}

void airsup__stash_free(airsup *a) {
        free(a->req_buf);
        a->req_buf = NULL;
        while (a->stash) {
                airsup_stash *st = a->stash;
                a->stash = st->next;
                free(st);
        }
        a->stash_tail = NULL;
}

EXPORT int airsup_attach(airsup **ret) {
        const char *e = getenv("AIRSUP_FD");
        struct epoll_event ev = { .events = EPOLLIN };
        uint64_t deadline = shm_now() + ATTACH_TIMEOUT_NS;
        airsup *a;
        char *end;
        long fd;
        int type = 0;
        socklen_t len = sizeof(type);

        if (!ret)
                return -EINVAL;
        if (!e || !*e)
                return -ENOTCONN;
        errno = 0;
        fd = strtol(e, &end, 10);
        if (errno || *end || fd < 0 || fd > INT32_MAX)
                return -EBADF;
        if (getsockopt((int) fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET)
                return -EBADF;
        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->chan = (int) fd;
        a->event_fd = -EBADF;
        a->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (a->epfd < 0 || epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->chan, &ev) < 0) {
                int r = -errno;
                airsup_detach(a);
                return r;
        }
        /* Our mailbox, asked for: airsupd makes it only for a process
         * that attaches. */
        {
                chan_record q;
                int r;

                chan_init(&q, CHAN_ATTACH);
                r = airsup__chan_send(a, &q, q.h.len, NULL, 0, true);
                if (r < 0) {
                        airsup_detach(a);
                        return r;
                }
        }
        while (!a->mb) {
                uint64_t now = shm_now();
                chan_record rec;
                int fds[4];
                size_t n_fds = 0;
                int r = now >= deadline ? 0 : read_one(a, ms_until(deadline, now), &rec, fds, &n_fds);

                if (r == -EBADMSG)
                        continue;
                if (r <= 0) {
                        airsup_detach(a);
                        return r == 0 ? -ETIMEDOUT : r;
                }
                /* No mailbox: airsupd could not make one (ENOMEM,
                 * EMFILE), or this process attached before (EBADMSG). */
                if (rec.h.type == CHAN_ERROR && rec.error.req == 0) {
                        airsup_detach(a);
                        return rec.error.error;
                }
                (void) handle(a, &rec, fds, n_fds);
        }
        *ret = a;
        return 0;
}

EXPORT airsup *airsup_detach(airsup *a) {
        if (!a)
                return NULL;
        while (a->dests) {
                airsup_dest *d = a->dests;
                a->dests = d->next;
                if (!d->base && d->tx)
                        shm_tx_free(d->tx);
                free(d->members);
                free(d->subject);
                if (d->space_fd >= 0)
                        (void) close(d->space_fd);
                free(d);
        }
        shm_mailbox_free(a->mb);
        if (a->gen)
                (void) munmap((void *) a->gen, 4096);
        if (a->event_fd >= 0)
                (void) close(a->event_fd);
        if (a->epfd >= 0)
                (void) close(a->epfd);
        free(a->senders);
        airsup__stash_free(a);
        if (a->topics_free)
                a->topics_free(a);      /* publish.c's, if it kept any */
        free(a->monitors);
        free(a->amons);
        /* The channel stays open: it is the process's, not the handle's. */
        free(a);
        return NULL;
}


/* An actor's destination: its name's entry in the lane's address table
 * (shm_tx_address()), so that a send carries the entry's id instead of
 * the name; none (-1) when the table is full, and the name goes in each
 * record as before.  The receiver resolves the id to the name it was
 * written as and looks the actor up by that name, so that an actor that
 * restarted under its name gets the messages as before. */
static void dest_address(airsup_dest *d) {
        int r = d->actor_len > 0 && d->tx ? shm_tx_address(d->tx, d->actor, d->actor_len) : -EINVAL;

        d->addr_id = r >= 0 ? r : -1;
}

EXPORT int airsup_lookup(airsup *a, const char *name, uint64_t timeout_ns, airsup_dest **ret) {
        char group[ACTOR_NAME_MAX], actor[ACTOR_NAME_MAX];
        airsup_dest *base, *d;
        int r;

        if (!a || !name || !ret)
                return -EINVAL;
        r = actor_addr_split(name, group, actor);
        if (r < 0)
                return -EINVAL;
        if (r == 0)
                return airsup__lookup_group(a, group, timeout_ns, ret);
        for (d = a->dests; d; d = d->next)
                if (d->base && strcmp(d->name, group) == 0 && strcmp(d->actor, actor) == 0) {
                        *ret = d;
                        return 0;
                }
        /* An actor's destination shares its group's lane: one producer
         * per lane. */
        r = airsup__lookup_group(a, group, timeout_ns, &base);
        if (r < 0)
                return r;
        /* An actor in a routed pool: in the instance this lookup picks. */
        base = airsup__pick(base, NULL);
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->a = a;
        d->base = base;
        d->tx = base->tx;
        d->space_fd = base->space_fd >= 0 ? fcntl(base->space_fd, F_DUPFD_CLOEXEC, 3) : -EBADF;
        memcpy(d->name, base->name, sizeof(d->name));
        memcpy(d->peer, base->peer, sizeof(d->peer));
        d->actor_len = (uint32_t) strlen(actor);
        memcpy(d->actor, actor, d->actor_len + 1);
        dest_address(d);
        d->next = a->dests;
        a->dests = d;
        *ret = d;
        return 0;
}

/* NAME was a run-time registration of instance L->peer (and its actor
 * L->actor): a destination to it, through the instance's own lane (one
 * producer per lane), the same one again if NAME still leads there. */
static int registered_dest(airsup *a, const char *name, const chan_lane *l, uint64_t timeout_ns, airsup_dest **ret) {
        airsup_dest *inst, *d;
        int r;

        for (d = a->dests; d; d = d->next)
                if (d->registered && strcmp(d->name, name) == 0 && strcmp(d->peer, l->peer) == 0 &&
                    strcmp(d->actor, l->actor) == 0) {
                        *ret = d;
                        return 0;
                }
        r = airsup__lookup_group(a, l->peer, timeout_ns, &inst);
        if (r < 0)
                return r;
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->a = a;
        d->base = inst;
        d->tx = inst->tx;
        d->registered = true;
        d->space_fd = inst->space_fd >= 0 ? fcntl(inst->space_fd, F_DUPFD_CLOEXEC, 3) : -EBADF;
        snprintf(d->name, sizeof(d->name), "%s", name);
        memcpy(d->peer, inst->peer, sizeof(d->peer));
        d->actor_len = (uint32_t) strnlen(l->actor, sizeof(l->actor) - 1);
        memcpy(d->actor, l->actor, d->actor_len);
        d->actor[d->actor_len] = '\0';
        dest_address(d);
        d->next = a->dests;
        a->dests = d;
        *ret = d;
        return 0;
}

/* NAME is a pool routed per message: a destination holding one for each
 * of its N instances, which a send picks from. */
static int pool_dest(airsup *a, const char *name, const chan_pool *pl, uint64_t timeout_ns, airsup_dest **ret) {
        int r = airsup__pool_new(a, pl->name, pl->n, pl->route, timeout_ns, ret);

        if (r < 0)
                return r;
        snprintf((*ret)->name, sizeof((*ret)->name), "%s", name);
        (*ret)->next = a->dests;
        a->dests = *ret;
        return 0;
}

int airsup__pool_new(airsup *a, const char *group, uint32_t n, uint32_t route, uint64_t timeout_ns, airsup_dest **ret) {
        airsup_dest *d = calloc(1, sizeof(*d));
        int r = 0;

        if (!d)
                return -ENOMEM;
        d->members = calloc(n, sizeof(*d->members));
        if (!d->members) {
                free(d);
                return -ENOMEM;
        }
        for (uint32_t i = 0; i < n && r >= 0; i++) {
                char inst[CHAN_NAME_MAX + 16];
                snprintf(inst, sizeof(inst), "%s[%u]", group, i);
                r = airsup__lookup_group(a, inst, timeout_ns, &d->members[i]);
        }
        if (r < 0) {
                free(d->members);
                free(d);
                return r;
        }
        d->a = a;
        d->n_members = n;
        d->route = route;
        d->space_fd = -EBADF;
        snprintf(d->peer, sizeof(d->peer), "%s", group);
        *ret = d;
        return 0;
}

/* Jump consistent hashing: KEY to one of N buckets, the same one for
 * the same N, and a key moves only when N grows past its bucket. */
static uint32_t jump_hash(uint64_t key, uint32_t n) {
        int64_t b = -1, j = 0;

        while (j < (int64_t) n) {
                b = j;
                key = key * UINT64_C(2862933555777941757) + 1;
                j = (int64_t) ((double) (b + 1) * ((double) (INT64_C(1) << 31) / (double) ((key >> 33) + 1)));
        }
        return (uint32_t) b;
}

airsup_dest *airsup__pick(airsup_dest *d, const airsup_send_opts *o) {
        airsup_dest *best;
        uint64_t least = UINT64_MAX;

        if (!d->members)
                return d;
        switch (d->route) {
        case CHAN_ROUTE_LEAST_LOADED:
                best = d->members[0];
                for (uint32_t i = 0; i < d->n_members; i++) {
                        uint64_t b = shm_tx_backlog(d->members[i]->tx);
                        if (b < least) {
                                least = b;
                                best = d->members[i];
                        }
                }
                return best;
        case CHAN_ROUTE_HASH:
                return d->members[jump_hash(o ? o->key : 0, d->n_members)];
        default:
                return d->members[d->rr++ % d->n_members];
        }
}

int airsup__lookup_group(airsup *a, const char *name, uint64_t timeout_ns, airsup_dest **ret) {
        uint64_t deadline;
        chan_record q;
        airsup_dest *d;
        uint32_t req;
        int r;

        for (d = a->dests; d; d = d->next)
                if (d->actor_len == 0 && !d->registered && strcmp(d->name, name) == 0) {
                        *ret = d;
                        return 0;
                }
        chan_init(&q, CHAN_LOOKUP);
        r = chan_set_name(q.lookup.name, name);
        if (r < 0)
                return r == -ENAMETOOLONG ? -EINVAL : r;
        req = q.lookup.req = ++a->next_req;
        r = fds_send(a->chan, &q, q.h.len, NULL, 0);
        if (r < 0)
                return r;
        deadline = shm_deadline(timeout_ns);
        for (;;) {
                chan_record rec;
                int fds[4];
                size_t n_fds = 0;

                r = airsup__read_record(a, deadline, &rec, fds, &n_fds);
                if (r < 0)
                        return r;
                if (rec.h.type == CHAN_ERROR && rec.error.req == req)
                        return rec.error.error;
                if (rec.h.type == CHAN_POOL && rec.pool.req == req)
                        return pool_dest(a, name, &rec.pool, timeout_ns, ret);
                if (rec.h.type != CHAN_LANE || rec.lane.req != req) {
                        (void) handle(a, &rec, fds, n_fds);
                        continue;
                }
                if (rec.lane.flags & CHAN_LANE_REGISTERED) {
                        close_fds(fds, n_fds);
                        return registered_dest(a, name, &rec.lane, timeout_ns, ret);
                }
                d = calloc(1, sizeof(*d));
                if (d)
                        d->space_fd = -EBADF;
                if (!d) {
                        close_fds(fds, n_fds);
                        return -ENOMEM;
                }
                /* A lane this process sends on already, under another name
                 * ("pool" and "pool[1]", a reply to "pool[1]"): one
                 * producer per lane, so the new name is an alias of the
                 * destination that has it. */
                for (airsup_dest *o = a->dests; o; o = o->next)
                        if (!o->base && strcmp(o->peer, rec.lane.peer) == 0) {
                                close_fds(fds, n_fds);
                                d->a = a;
                                d->base = o;
                                d->tx = o->tx;
                                d->space_fd = o->space_fd >= 0 ? fcntl(o->space_fd, F_DUPFD_CLOEXEC, 3) : -EBADF;
                                snprintf(d->name, sizeof(d->name), "%s", name);
                                memcpy(d->peer, o->peer, sizeof(d->peer));
                                d->next = a->dests;
                                a->dests = d;
                                *ret = d;
                                return 0;
                        }
                r = shm_tx_open(fds[0], fds[1], rec.lane.index, fds[2], fds[3], &d->tx);
                d->space_fd = r >= 0 ? fcntl(fds[3], F_DUPFD_CLOEXEC, 3) : -EBADF;
                close_fds(fds, n_fds);
                if (r < 0) {
                        free(d);
                        return r;
                }
                d->a = a;
                snprintf(d->name, sizeof(d->name), "%s", name);
                memcpy(d->peer, rec.lane.peer, sizeof(d->peer));
                d->next = a->dests;
                a->dests = d;
                *ret = d;
                return 0;
        }
}

int airsup__call(airsup *a, chan_record *q) {
        uint64_t deadline = shm_deadline(ATTACH_TIMEOUT_NS);
        uint32_t req = ++a->next_req;
        int r;

        /* REGISTER, UNREGISTER and MONITOR all start with {hdr, req}. */
        q->reg.req = req;
        r = fds_send(a->chan, q, q->h.len, NULL, 0);
        if (r < 0)
                return r;
        for (;;) {
                chan_record rec;
                int fds[4];
                size_t n_fds = 0;

                r = airsup__read_record(a, deadline, &rec, fds, &n_fds);
                if (r < 0)
                        return r;
                if (rec.h.type == CHAN_ERROR && rec.error.req == req)
                        return rec.error.error;
                if (rec.h.type == CHAN_DONE && rec.done.req == req)
                        return 0;
                (void) handle(a, &rec, fds, n_fds);
        }
}

/* REGISTER or UNREGISTER, and airsupd's answer. */
int airsup__register(airsup *a, int type, const char *name, const char *actor) {
        chan_record q;

        if (!a || !name || !chan_actor_name_valid(name) || (actor && !chan_actor_name_valid(actor)))
                return -EINVAL;
        chan_init(&q, (chan_type) type);
        memcpy(q.reg.name, name, strlen(name));
        if (actor)
                memcpy(q.reg.actor, actor, strlen(actor));
        return airsup__call(a, &q);
}

bool airsup__monitor_take(airsup *a, uint64_t ref) {
        for (size_t k = 0; k < a->n_monitors; k++)
                if (a->monitors[k] == ref) {
                        a->monitors[k] = a->monitors[--a->n_monitors];
                        return true;
                }
        return false;
}

/* ---- monitors: what airsupd and the lanes say (the calls that make
 * them are monitor-actor.c's) ---- */

void airsup__request_down(airsup *a, uint64_t ref, uint32_t code) {
        /* The lane owners' monitors are few; a DOWN is rare. */
        for (airsup_dest *d = a->dests; d; d = d->next)
                if (d->mon_ref == ref)
                        d->mon_ref = 0;
        if (a->req_mon == ref)
                a->req_down = airsup__down_error(code);
}

static void amon_drop(airsup *a, size_t k) {
        a->amons[k] = a->amons[--a->n_amons];
}

bool airsup__amon_take(airsup *a, uint64_t ref, char name[AIRSUP_NAME_MAX]) {
        for (size_t k = 0; k < a->n_amons; k++)
                if (a->amons[k].ref == ref) {
                        memcpy(name, a->amons[k].name, AIRSUP_NAME_MAX);
                        amon_drop(a, k);
                        return true;
                }
        return false;
}

int airsup__send_down(airsup *a, const char *watcher, uint64_t ref, uint32_t code, int32_t status) {
        airsup_send_opts o = { .full = AIRSUP_FAIL };
        airsup_down d = { .ref = ref, .code = code, .status = status };
        airsup_dest *dest;
        int r = airsup__lookup_group(a, watcher, UINT64_C(5) * 1000000000, &dest);

        if (r < 0)
                return r;
        return airsup_send(dest, AIRSUP_TYPE_DOWN, &d, sizeof(d), &o);
}

void airsup__lane_reserved(airsup *a, const airsup_msg *m, const void *buf, size_t len, uint32_t to_len) {
        airsup_down d;

        if (m->type == AIRSUP_TYPE_MONITOR_ACTOR && len == to_len + sizeof(uint64_t)) {
                uint64_t ref;
                /* A process that reads its own messages runs no actors. */
                memcpy(&ref, (const uint8_t *) buf + to_len, sizeof(ref));
                (void) airsup__send_down(a, m->sender, ref, AIRSUP_DOWN_NOPROC, 0);
                return;
        }
        if (m->type != AIRSUP_TYPE_DOWN || to_len != 0 || len != sizeof(d)) {
                a->forged_downs++;
                return;
        }
        memcpy(&d, buf, sizeof(d));
        for (size_t k = 0; k < a->n_amons; k++)
                if (a->amons[k].ref == d.ref && strcmp(a->amons[k].instance, m->sender) == 0) {
                        airsup_down out = { .ref = d.ref, .status = d.status };
                        airsup_msg dm = { .type = AIRSUP_TYPE_DOWN, .len = sizeof(out) };

                        out.code = d.code >= AIRSUP_DOWN_EXITED && d.code <= AIRSUP_DOWN_NOPROC ? d.code
                                                                                                : AIRSUP_DOWN_EXITED;
                        memcpy(out.name, a->amons[k].name, sizeof(out.name));
                        memcpy(dm.sender, a->amons[k].instance, sizeof(dm.sender));
                        amon_drop(a, k);
                        /* airsupd's DOWN for the instance, if it comes,
                         * is dropped: this one is the monitor's. */
                        if (!airsup__monitor_take(a, d.ref))
                                return;         /* demonitored meanwhile */
                        (void) airsup__stash_push(a, &dm, &out, sizeof(out));
                        return;
                }
        a->forged_downs++;
}

EXPORT int airsup_register(airsup *a, const char *name) {
        return airsup__register(a, CHAN_REGISTER, name, NULL);
}

EXPORT int airsup_unregister(airsup *a, const char *name) {
        return airsup__register(a, CHAN_UNREGISTER, name, NULL);
}

EXPORT int airsup_lookup_wait(airsup *a, const char *name, uint64_t wait_ns, airsup_dest **ret) {
        uint64_t deadline = shm_deadline(wait_ns), pause_ns = UINT64_C(1000000);

        for (;;) {
                int r = airsup_lookup(a, name, ATTACH_TIMEOUT_NS, ret);
                uint64_t now;

                if (r != -ENOENT && r != -EINVAL)
                        return r;
                /* -EINVAL: not a group's name; it may be registered yet. */
                if (r == -EINVAL && !chan_actor_name_valid(name))
                        return r;
                now = shm_now();
                if (now >= deadline)
                        return -ENOENT;
                /* Asked again at growing intervals, up to 50 ms. */
                {
                        uint64_t left = deadline - now, t = pause_ns < left ? pause_ns : left;
                        struct timespec ts = { (time_t) (t / 1000000000), (long) (t % 1000000000) };
                        (void) nanosleep(&ts, NULL);
                }
                if (pause_ns < UINT64_C(50000000))
                        pause_ns *= 2;
        }
}

EXPORT const char *airsup_dest_name(const airsup_dest *d) {
        return d ? d->subject ?: d->peer : NULL;
}


EXPORT int airsup_dest_fd(const airsup_dest *d) {
        if (!d)
                return -EINVAL;
        if (d->members || d->subject)
                return -EOPNOTSUPP;     /* many lanes: no one fd says room */
        return d->space_fd >= 0 ? d->space_fd : -EBADF;
}

EXPORT int airsup_dest_arm(airsup_dest *d) {
        int r;

        if (!d || d->space_fd < 0)
                return d && (d->members || d->subject) ? -EOPNOTSUPP : -EINVAL;
        if (d->armed)
                return 0;
        r = shm_tx_arm_fd(d->tx);
        d->armed = r == 0;
        return r;
}

/* A send after waiting for room: the wait is over. */
static void dest_disarm(airsup_dest *d) {
        if (d->armed) {
                shm_tx_disarm_fd(d->tx);
                d->armed = false;
        }
}

static int envelope(uint32_t type, size_t len, const airsup_send_opts *o, shm_envelope *e, shm_full *full,
                    uint64_t *timeout) {
        if (len > SHM_MESSAGE_MAX)
                return -EMSGSIZE;
        *e = (shm_envelope) { .type = type, .len = (uint32_t) len };
        *full = SHM_FULL_BLOCK;
        *timeout = UINT64_MAX;
        if (!o)
                return 0;
        if (o->full < AIRSUP_BLOCK || o->full > AIRSUP_FAIL)
                return -EINVAL;
        e->priority = o->priority;
        e->deadline_ns = o->deadline_ns;
        e->correlation = o->correlation;
        e->reply_to = o->reply_to;
        *full = o->full == AIRSUP_DROP ? SHM_FULL_DROP : o->full == AIRSUP_FAIL ? SHM_FULL_FAIL : SHM_FULL_BLOCK;
        *timeout = o->full == AIRSUP_BLOCK ? o->timeout_ns : 0;
        return 0;
}

EXPORT int airsup_send(airsup_dest *d, uint32_t type, const void *payload, size_t len, const airsup_send_opts *opts) {
        shm_envelope e;
        shm_full full;
        uint64_t timeout;
        int r;

        if (!d || (len > 0 && !payload))
                return -EINVAL;
        /* A subject: published, to whoever subscribes (publish.c). */
        if (d->subject)
                return d->publish(d, type, payload, len, opts);
        if (d->members) {
                /* A routed pool: every instance, or the one picked. */
                if (d->route == CHAN_ROUTE_BROADCAST) {
                        int first = 0;
                        for (uint32_t i = 0; i < d->n_members; i++) {
                                r = airsup_send(d->members[i], type, payload, len, opts);
                                if (r < 0 && first == 0)
                                        first = r;
                        }
                        return first;
                }
                d = airsup__pick(d, opts);
        }
        r = envelope(type, len, opts, &e, &full, &timeout);
        if (r < 0)
                return r;
        dest_disarm(d);
        if (d->actor_len == 0)
                return shm_tx_send(d->tx, &e, payload, full, timeout);
        /* To an actor: the id of its name in the lane's address table,
         * and the payload alone, in a record of a 16-byte header (80 bytes
         * for 64 of payload, 120 with the name after a 48-byte header). */
        if (__builtin_expect(d->addr_id >= 0, 1))
                return shm_tx_send_to(d->tx, &e, (uint32_t) d->addr_id, payload, full, timeout);
        /* The table full: its name, then the payload, in one record, each
         * copied once and published by the lane's common send (a reserve
         * and a commit cost half again as many instructions). */
        e.len += d->actor_len;
        e.to_len = d->actor_len;
        return shm_tx_send_prefixed(d->tx, &e, d->actor, payload, full, timeout);
}

EXPORT int airsup_reserve(airsup_dest *d, uint32_t type, size_t len, const airsup_send_opts *opts, void **ret_buf) {
        shm_envelope e;
        shm_full full;
        uint64_t timeout;
        void *p;
        int r;

        if (!d || !ret_buf)
                return -EINVAL;
        if (d->subject)
                return -EOPNOTSUPP;     /* one copy per subscriber: no one place to write in */
        if (d->members) {
                if (d->route == CHAN_ROUTE_BROADCAST)
                        return -EOPNOTSUPP;     /* one room, many lanes: send a copy */
                d->picked = airsup__pick(d, opts);
                return airsup_reserve(d->picked, type, len, opts, ret_buf);
        }
        r = envelope(type, len, opts, &e, &full, &timeout);
        if (r < 0)
                return r;
        dest_disarm(d);
        if (d->actor_len == 0)
                return shm_tx_reserve(d->tx, &e, full, timeout, ret_buf);
        e.len += d->actor_len;
        e.to_len = d->actor_len;
        r = shm_tx_reserve(d->tx, &e, full, timeout, &p);
        if (r < 0)
                return r;
        memcpy(p, d->actor, d->actor_len);
        *ret_buf = (uint8_t *) p + d->actor_len;
        return r;
}

EXPORT int airsup_commit_send(airsup_dest *d, size_t len) {
        if (!d || len > SHM_MESSAGE_MAX || d->subject)
                return -EINVAL;
        if (d->members) {
                airsup_dest *m = d->picked;
                d->picked = NULL;
                return m ? airsup_commit_send(m, len) : -EINVAL;
        }
        return shm_tx_commit(d->tx, (uint32_t) (len + d->actor_len));
}

int airsup__send_prefixed(airsup_dest *d, uint32_t type, const void *prefix, uint32_t plen, uint64_t env_flags,
                          const void *data, size_t len, const airsup_send_opts *opts) {
        shm_envelope e;
        shm_full full;
        uint64_t timeout;
        int r;

        if (d->members || d->actor_len > 0)
                return -EINVAL;
        r = envelope(type, len + plen, opts, &e, &full, &timeout);
        if (r < 0)
                return r;
        e.to_len = plen;
        e.sender |= env_flags;
        dest_disarm(d);
        return shm_tx_send_prefixed(d->tx, &e, prefix, data, full, timeout);
}

/* E's fields one load each: E was just written field by field (by the
 * take), and the compiler would read pairs of them in one 16-byte load,
 * which the CPU cannot forward from the stores still in flight; it waits
 * for them (a third of the receive's own time, perf annotate).  A relaxed
 * atomic load is a plain load that is never merged. */
#define FIELD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* Field by field: a compound literal of this size becomes a rep stos,
 * which costs more than the receive itself. */
static void fill(airsup *a, airsup_msg *m, const shm_envelope *e, uint32_t lane) {
        m->type = FIELD(e->type);
        m->len = FIELD(e->len);
        m->priority = FIELD(e->priority);
        m->redelivered = FIELD(e->redelivered);
        m->correlation = FIELD(e->correlation);
        m->reply_to = FIELD(e->reply_to);
        m->deadline_ns = FIELD(e->deadline_ns);
        m->lane = lane;
        if (lane < a->n_senders)
                memcpy(m->sender, a->senders[lane], sizeof(m->sender));
        else
                memset(m->sender, 0, sizeof(m->sender));
        m->from = 0;
        m->actor[0] = '\0';
        m->flags = (e->sender & AIRSUP_ENV_REPLY ? AIRSUP_MSG_REPLY : 0) |
                   (e->sender & AIRSUP_ENV_PUBLISH ? AIRSUP_MSG_PUBLISH : 0);
        m->subject[0] = '\0';
}

int airsup__recv_raw(airsup *a, airsup_msg *m, void *buf, size_t size, uint32_t *ret_to_len) {
        return airsup__recv_raw_spin(a, m, buf, size, /* spin= */ false, ret_to_len);
}

int airsup__recv_raw_spin(airsup *a, airsup_msg *m, void *buf, size_t size, bool spin, uint32_t *ret_to_len) {
        return airsup__recv_raw_nap(a, m, buf, size, spin, NULL, ret_to_len);
}

int airsup__recv_raw_nap(airsup *a, airsup_msg *m, void *buf, size_t size, bool spin, uint64_t *ret_nap_ns,
                         uint32_t *ret_to_len) {
        shm_envelope e;
        uint32_t lane = 0;
        int r;

        /* A timeout of 1 ns: the spin of a waiting receive (RECV_SPIN),
         * then the lanes armed and -EAGAIN, as without it. */
        a->nap_ok = ret_nap_ns != NULL;
        a->nap_ns = UINT64_MAX;
        r = airsup__recv_env(a, m, buf, size, spin ? 1 : 0, &e, &lane, NULL);
        a->nap_ok = false;
        if (ret_nap_ns)
                *ret_nap_ns = a->nap_ns;
        *ret_to_len = r >= 0 || r == -EMSGSIZE ? e.to_len : 0;
        return r;
}

int airsup__chan_send(airsup *a, const void *rec, size_t len, const int *fds, size_t n_fds, bool wait) {
        int r = fds_send(a->chan, rec, len, fds, n_fds);

        if (r == -EAGAIN && wait) {
                struct pollfd p = { .fd = a->chan, .events = POLLOUT };
                if (poll(&p, 1, 1000) > 0)
                        r = fds_send(a->chan, rec, len, fds, n_fds);
        }
        return r;
}

/* A message addressed to an actor whose address is not one, reached a
 * program that reads its messages itself. */
static void bad_address(airsup *a, const airsup_msg *m, const void *buf, size_t len) {
        chan_record rec;

        chan_init(&rec, CHAN_DEAD);
        rec.dead.index = m->lane;
        rec.dead.type = m->type;
        rec.dead.len = (uint32_t) len;
        rec.dead.reason = CHAN_DEAD_BAD_ADDRESS;
        rec.dead.n_head = (uint32_t) (len < sizeof(rec.dead.head) ? len : sizeof(rec.dead.head));
        memcpy(rec.dead.head, buf, rec.dead.n_head);
        (void) fds_send(a->chan, &rec, rec.h.len, NULL, 0);
}

/* Moves the LEN bytes at P + BY down to P, a word at a time, inline: each
 * word is read before any byte it covers is written. */
static inline void move_down(uint8_t *p, size_t by, size_t len) {
        size_t k = 0;

        for (; k + 8 <= len; k += 8) {
                uint64_t w;
                memcpy(&w, p + by + k, 8);
                memcpy(p + k, &w, 8);
        }
        for (; k < len; k++)
                p[k] = p[by + k];
}

/* Whether S, LEN bytes a sender wrote copied from RAW with a NUL after
 * them, is a valid subject.  The last one found valid is kept: a stream
 * on one subject costs a compare per message (of RAW: S was just written
 * byte-wise), not a walk of its tokens. */
static bool subject_known(airsup *a, const void *raw, const char *s, uint32_t len) {
        if (len == a->subject_ok_len && len > 0 && airsup__bytes_equal(raw, a->subject_ok, len))
                return true;
        if (!subject_valid(s, false))
                return false;
        memcpy(a->subject_ok, s, len);
        a->subject_ok_len = len;
        return true;
}

#define SUBJECT_HEAD 32
_Static_assert(sizeof(((airsup_msg *) NULL)->subject) >= SUBJECT_HEAD, "airsup_msg's subject holds SUBJECT_HEAD");

EXPORT int airsup_recv(airsup *a, airsup_msg *m, void *buf, size_t size, uint64_t timeout_ns) {
        if (!a || !m || (size > 0 && !buf))
                return -EINVAL;
        /* What came while a request waited goes first. */
        if (a->stash) {
                int r = airsup__stash_pop(a, m, buf, size);
                if (r != 0)
                        return r;
        }
        for (;;) {
                shm_envelope e;
                uint32_t lane = 0;
                int r = airsup__recv_env(a, m, buf, size, timeout_ns, &e, &lane, NULL);

                if (r == -ENOMSG) {
                        r = airsup__stash_pop(a, m, buf, size);
                        if (r != 0)
                                return r;
                        continue;
                }

                /* A reply outside airsup_request() came too late. */
                if (r >= 0 && (m->flags & AIRSUP_MSG_REPLY)) {
                        a->late_replies++;
                        (void) airsup_commit(a, m);
                        continue;
                }
                /* The library's own types are never taken as they came. */
                if (r >= 0 && m->type >= AIRSUP_TYPE_RESERVED) {
                        airsup__lane_reserved(a, m, buf, (size_t) r, e.to_len);
                        (void) airsup_commit(a, m);
                        continue;
                }
                if (r < 0 || e.to_len == 0)
                        return r;
                /* Published: the subject comes first; the caller gets it in
                 * m->subject and the payload alone in BUF. */
                if ((m->flags & AIRSUP_MSG_PUBLISH) && e.to_len <= (uint32_t) r && e.to_len < sizeof(m->subject)) {
                        /* SUBJECT_HEAD bytes at once where the message has
                         * them (past the NUL, payload bytes the caller
                         * has anyway): a copy of a length known only now
                         * is a rep movs here, whose start-up was a third
                         * of this function's time. */
                        if (e.to_len < SUBJECT_HEAD && (uint32_t) r >= SUBJECT_HEAD)
                                memcpy(m->subject, buf, SUBJECT_HEAD);
                        else
                                memcpy(m->subject, buf, e.to_len);
                        m->subject[e.to_len] = '\0';
                        if (subject_known(a, buf, m->subject, e.to_len)) {
                                move_down(buf, e.to_len, (size_t) r - e.to_len);
                                m->len -= e.to_len;
                                return r - (int) e.to_len;
                        }
                        m->subject[0] = '\0';
                }
                /* To an actor: its name comes first; the caller gets it in
                 * m->actor and the payload alone in BUF. */
                if (!(m->flags & AIRSUP_MSG_PUBLISH) && e.to_len <= (uint32_t) r && actor_name_valid_n(buf, e.to_len)) {
                        memcpy(m->actor, buf, e.to_len);
                        m->actor[e.to_len] = '\0';
                        memmove(buf, (uint8_t *) buf + e.to_len, (size_t) r - e.to_len);
                        m->len -= e.to_len;
                        return r - (int) e.to_len;
                }
                bad_address(a, m, buf, (size_t) r);
                (void) airsup_commit(a, m);
        }
}

int airsup__recv_env(airsup *a, airsup_msg *m, void *buf, size_t size, uint64_t timeout_ns, shm_envelope *ret_e,
                     uint32_t *ret_lane, uint64_t *io_deadline) {
        uint64_t local = 0;
        /* Read from the clock only once it has to wait (*IO_DEADLINE: the
         * caller's, 0 until then). */
        uint64_t *dl = io_deadline ? io_deadline : &local;

        for (bool spun = false, drained = false;;) {
                struct pollfd p[2] = {
                        { .fd = a->chan_gone ? -1 : a->chan, .events = POLLIN },
                        { .fd = a->event_fd, .events = POLLIN },
                };
                shm_envelope *e = ret_e;
                uint32_t *lane = ret_lane;
                uint64_t now, nap;
                int r, k;

                if (a->armed) {
                        shm_mailbox_disarm_fd(a->mb);
                        a->armed = false;
                }
                /* airsupd's records (new lanes) are read every CHAN_EVERY
                 * receives under load, and before this receive sleeps: not
                 * a system call per message. */
                if (a->n_recv++ % CHAN_EVERY == 0) {
                        r = airsup_process(a);
                        if (r < 0 && r != -EBADMSG && r != -ECONNRESET)
                                return r;
                        /* airsupd's DOWN, for airsup_recv() to give first. */
                        if (!io_deadline && a->stash)
                                return -ENOMSG;
                }
                r = shm_mailbox_take(a->mb, SHM_NOW_AUTO, e, buf, size, lane);
                if (r >= 0 || r == -EMSGSIZE) {
                        fill(a, m, e, *lane);
                        return r;
                }
                if (r != -EAGAIN)
                        return r;
                /* A monitored request's DOWN came (airsup__request_down()):
                 * it ends once what came before is taken, its reply too. */
                if (__builtin_expect(a->req_down, 0))
                        return -ENOMSG;
                /* Nothing: a receiver that may wait looks again for a few
                 * microseconds (a stream's next message is usually that
                 * close); then, once, at the channel (a new lane may wait
                 * there); then it has the senders write its eventfd, and
                 * sleeps. */
                if (*dl == 0)
                        *dl = shm_deadline(timeout_ns);
                if (timeout_ns > 0 && !spun) {
                        spun = true;
                        if (shm_mailbox_wait(a->mb, 0, RECV_SPIN) == 0)
                                continue;
                }
                if (!drained) {
                        drained = true;
                        r = airsup_process(a);
                        if (r < 0 && r != -EBADMSG && r != -ECONNRESET)
                                return r;
                        if (!io_deadline && a->stash)
                                return -ENOMSG;
                        continue;
                }
                spun = drained = false;
                /* A caller given -EAGAIN sleeps on airsup_fd() as long as
                 * it likes: its lanes ring at the next message.  Here we
                 * sleep ourselves, for at most what the mailbox says: a
                 * lane that came in bursts rings only for a batch, and is
                 * looked at after its nap (shm_mailbox_arm_fd_nap()). */
                now = shm_now();
                /* Every lane, whatever the bell says, at most every 50
                 * ms: a sender that wrote over the bell may have wiped
                 * another's ring. */
                if (shm_mailbox_sweep(a->mb, now) > 0)
                        continue;
                nap = UINT64_MAX;
                k = now >= *dl && !a->nap_ok ? shm_mailbox_arm_fd(a->mb) : shm_mailbox_arm_fd_nap(a->mb, &nap);
                if (k < 0)
                        return k;
                a->armed = k == 0;
                if (k > 0)
                        continue;
                if (now >= *dl) {
                        a->nap_ns = nap;        /* for airsup__recv_raw_nap()'s caller */
                        return -EAGAIN;
                }
                /* At most 100 ms at a time: a sender that garbled the bell
                 * (shared by all senders) may have sent a wake-up astray
                 * or wiped a ring; the lanes are looked at again. */
                k = ms_until(*dl, now);
                if (k < 0 || k > 100)
                        k = 100;
                if (nap != UINT64_MAX && (uint64_t) k > (nap + 999999) / 1000000)
                        k = (int) ((nap + 999999) / 1000000);
                k = poll(p, 2, k);
                if (k < 0 && errno != EINTR)
                        return -errno;
        }
}

EXPORT int airsup_commit(airsup *a, const airsup_msg *m) {
        if (!a || !m)
                return -EINVAL;
        /* One kept by a request was committed then. */
        if (m->lane == AIRSUP_LANE_STASH)
                return 0;
        return shm_mailbox_commit(a->mb, m->lane);
}

EXPORT int airsup_fd(const airsup *a) {
        return a ? a->epfd : -EINVAL;
}

/* One datagram to airsupd on $NOTIFY_SOCKET, as sd_notify() sends. */
static int notify_send(const char *text) {
        const char *path = getenv("NOTIFY_SOCKET");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t len;
        size_t l;
        int fd, r = 0;

        if (!path || (path[0] != '/' && path[0] != '@'))
                return -ENOTCONN;
        l = strlen(path);
        if (l >= sizeof(sa.sun_path))
                return -EINVAL;
        memcpy(sa.sun_path, path, l);
        if (path[0] == '@')
                sa.sun_path[0] = '\0';
        len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l + (path[0] == '/'));
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (sendto(fd, text, strlen(text), MSG_NOSIGNAL, (struct sockaddr *) &sa, len) < 0)
                r = -errno;
        (void) close(fd);
        return r;
}

EXPORT int airsup_ready(airsup *a) {
        if (!a)
                return -EINVAL;
        return notify_send("READY=1");
}

EXPORT int airsup_heartbeat(airsup *a) {
        if (!a)
                return -EINVAL;
        return notify_send("WATCHDOG=1");
}
