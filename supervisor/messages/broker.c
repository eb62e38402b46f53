/* broker.c - the channel to each started process, and the lanes airsupd
 * creates and hands out (broker.h).  A child is not trusted: every record
 * it sends is checked by chan_parse(), a malformed one gets an ERROR
 * record, and a channel that keeps sending them is closed; each wake-up
 * reads a bounded number of records, so no child holds the loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "common/actor-addr.h"
#include "common/channel.h"
#include "common/cleanup.h"
#include "common/fds.h"
#include "shm/shm.h"
#include "supervisor/messages/broker.h"
#include "supervisor/messages/broker-internal.h"
#include "supervisor/messages/broker-actors.h"
#include "supervisor/messages/inbox.h"
#include "supervisor/messages/interest.h"
#include "supervisor/messages/registry.h"
#include "supervisor/start/closer.h"
#include "supervisor/start/fdlimit.h"
#include "supervisor/core/names.h"

#define CHAN_BAD_MAX 16                 /* malformed records before a channel is closed */
/* Lanes one instance may have made to send on: each costs its receiver's
 * mailbox = of memory, and looking up every instance of a big deployment
 * must not make airsupd allocate that many times over. */
#define LANES_OUT_MAX 256
#define CHAN_BATCH 32                   /* records read per wake-up */
#define CHAN_END_BATCHES 8              /* batches read from the channel of a process that ended */

/* Every mailbox, wherever its proc is (in the tree, or parked by a
 * reload that is under way): a sender that goes away is looked for in
 * these, so the broker needs no walk of the tree, nor reload's. */
static struct broker_box *boxes;

/* B's bell and its eventfd; neither on failure. */
static int box_fds(struct broker_box *b) {
        int r = shm_bell_create(SHM_LANES_MAX, &b->bell_fd);

        if (r >= 0) {
                b->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                r = b->event_fd < 0 ? -errno : 0;
        }
        if (r < 0)
                b->bell_fd = safe_close(b->bell_fd);
        return r;
}

int broker__box_get(sup_proc *p, struct broker_box **ret) {
        struct broker_box *b = p->broker.box;
        int r;

        if (b) {
                *ret = b;
                return 0;
        }
        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->bell_fd = b->event_fd = -EBADF;
        r = box_fds(b);
        /* Its two fds are in every process's share of the fd limit
         * (fdlimit_per_process()), but made only now, when lanes may
         * have taken all but the reserve: they may take from it. */
        if (r == -EMFILE) {
                (void) fdlimit_reserve_lend();
                (void) fdlimit_reserve_lend();
                r = box_fds(b);
        }
        if (r < 0) {
                free(b);
                return r;
        }
        b->next = boxes;
        if (boxes)
                boxes->prev = b;
        boxes = b;
        p->broker.box = *ret = b;
        return 0;
}

void broker_proc_done(sup_proc *p) {
        struct broker_box *b = p->broker.box;

        broker_channel_close(p);
        free(p->broker.watches);
        p->broker.watches = NULL;
        p->broker.n_watches = p->broker.cap_watches = 0;
        if (!b)
                return;
        /* Every LANE reply that names this mailbox carries its bell and
         * eventfd. */
        broker_forget_fds((const int[]) { b->bell_fd, b->event_fd }, 2);
        b->ctl_tx = shm_tx_free(b->ctl_tx);
        for (size_t i = 0; i < b->n; i++) {
                safe_close(b->lanes[i].fd);
                safe_close(b->lanes[i].space_fd);
        }
        free(b->lanes);
        if (b->prev)
                b->prev->next = b->next;
        else
                boxes = b->next;
        if (b->next)
                b->next->prev = b->prev;
        safe_close(b->bell_fd);
        safe_close(b->event_fd);
        free(b);
        p->broker.box = NULL;
}

/* A lane whose sender goes away stays in its receiver's mailbox, which
 * still reads what was queued on it; no one sends on it again. */
void broker_sender_moved(sup_manager *m, sup_proc *p, sup_proc *to) {
        (void) m;
        if (p->broker.lanes_out == 0)
                return;
        for (struct broker_box *b = boxes; b; b = b->next)
                for (size_t k = 0; k < b->n; k++)
                        if (b->lanes[k].sender == p) {
                                b->lanes[k].sender = to;
                                if (to)
                                        snprintf(b->lanes[k].sender_name, sizeof(b->lanes[k].sender_name), "%s",
                                                 to->name);
                        }
}

/* Records for a child that has not read the last ones yet.  A Unix
 * socket takes only a few unread datagrams (net.unix.max_dgram_qlen,
 * often 10), so what does not fit waits here, in order, and goes out as
 * the child reads (EPOLLOUT).  The fds are the broker's own (lanes, bells,
 * eventfds), which live as long as the channel can.  A child that lets
 * CHAN_OUT_MAX records pile up is not reading: its channel is closed. */
#define CHAN_OUT_MAX (SHM_LANES_MAX + 64)

typedef struct chan_pending {
        chan_record rec;
        int fds[4];
        size_t n_fds;
} chan_pending;

struct chan_out {
        chan_pending *q;
        size_t head, n, cap;
        struct chan_out *prev, *next;   /* in outs */
};

/* Every queue, for broker_forget_fds(). */
static struct chan_out *outs;
/* LANE replies waiting in any queue: the only records that name fds
 * their own process does not hold (another's mailbox, or a lane of
 * airsupd's own), so the only ones broker_forget_fds() changes. */
static size_t outs_lanes;

static void chan_out_free(sup_proc *p) {
        struct chan_out *o = p->broker.chan_out;

        if (!o)
                return;
        for (size_t i = 0; i < o->n; i++)
                if (o->q[(o->head + i) % o->cap].rec.h.type == CHAN_LANE)
                        outs_lanes--;
        if (o->prev)
                o->prev->next = o->next;
        else
                outs = o->next;
        if (o->next)
                o->next->prev = o->prev;
        free(o->q);
        free(o);
        p->broker.chan_out = NULL;
}

void broker_forget_fds(const int *fds, size_t n) {
        if (outs_lanes == 0)
                return;
        for (struct chan_out *o = outs; o; o = o->next)
                for (size_t i = 0; i < o->n; i++) {
                        chan_pending *c = &o->q[(o->head + i) % o->cap];
                        bool named = false;
                        uint32_t req;

                        if (c->rec.h.type != CHAN_LANE)
                                continue;
                        for (size_t j = 0; j < c->n_fds && !named; j++)
                                for (size_t k = 0; k < n && !named; k++)
                                        named = c->fds[j] == fds[k];
                        if (!named)
                                continue;
                        req = c->rec.lane.req;
                        chan_init(&c->rec, CHAN_ERROR);
                        c->rec.error.req = req;
                        c->rec.error.error = -ENOENT;
                        c->n_fds = 0;
                        outs_lanes--;
                }
}

/* Requests are read only while few replies wait: a child that asks and
 * does not read the answers is not read either, and its queue stays
 * within CHAN_OUT_MAX. */
#define CHAN_OUT_READ_MAX 16

static void chan_watch(sup_proc *p, bool out) {
        size_t n = p->broker.chan_out ? p->broker.chan_out->n : 0;

        if (p->broker.chan_io.fd >= 0)
                (void) iomux_set_events(p->group->m, &p->broker.chan_io, (n <= CHAN_OUT_READ_MAX ? EPOLLIN : 0) |
                                                                            (out ? EPOLLOUT : 0));
}

/* Sends what waits, in order, as far as the child takes it. */
static int chan_flush(sup_proc *p) {
        struct chan_out *o = p->broker.chan_out;

        while (o && o->n > 0) {
                chan_pending *c = &o->q[o->head];
                int r = fds_send(p->broker.chan_fd, &c->rec, c->rec.h.len, c->fds, c->n_fds);

                if (r == -EAGAIN)
                        return 0;
                if (r < 0)
                        return r;
                if (c->rec.h.type == CHAN_LANE)
                        outs_lanes--;
                o->head = (o->head + 1) % o->cap;
                o->n--;
        }
        chan_watch(p, false);
        return 0;
}

static int chan_send(sup_proc *p, const chan_record *r, const int *fds, size_t n_fds) {
        struct chan_out *o;
        int k;

        if (p->broker.chan_fd < 0)
                return -ENOTCONN;
        if (!p->broker.chan_out || p->broker.chan_out->n == 0) {
                k = fds_send(p->broker.chan_fd, r, r->h.len, fds, n_fds);
                if (k != -EAGAIN)
                        return k;
        }
        if (!p->broker.chan_out) {
                if (!(p->broker.chan_out = calloc(1, sizeof(*p->broker.chan_out))))
                        return -ENOMEM;
                p->broker.chan_out->next = outs;
                if (outs)
                        outs->prev = p->broker.chan_out;
                outs = p->broker.chan_out;
        }
        o = p->broker.chan_out;
        if (o->n == CHAN_OUT_MAX)
                return -ENOBUFS;
        if (o->n == o->cap) {
                size_t cap = o->cap ? o->cap * 2 : 16;
                chan_pending *q = calloc(cap, sizeof(*q));
                if (!q)
                        return -ENOMEM;
                for (size_t i = 0; i < o->n; i++)
                        q[i] = o->q[(o->head + i) % o->cap];
                free(o->q);
                o->q = q;
                o->head = 0;
                o->cap = cap;
        }
        o->q[(o->head + o->n) % o->cap] = (chan_pending) { .rec = *r, .n_fds = n_fds };
        memcpy(o->q[(o->head + o->n) % o->cap].fds, fds, n_fds * sizeof(int));
        o->n++;
        if (r->h.type == CHAN_LANE)
                outs_lanes++;
        chan_watch(p, true);
        return 0;
}

static int send_error(sup_proc *p, uint32_t req, int error) {
        chan_record r;

        chan_init(&r, CHAN_ERROR);
        r.error.req = req;
        r.error.error = error;
        return chan_send(p, &r, NULL, 0);
}

static int send_inbox(sup_proc *p, const broker_lane *l) {
        chan_record r;

        chan_init(&r, CHAN_INBOX);
        r.inbox.index = l->index;
        if (chan_set_name(r.inbox.sender, l->sender_name) < 0)
                return -EINVAL;
        {
                int fds[2] = { l->fd, l->space_fd };
                return chan_send(p, &r, fds, 2);
        }
}

/* The lane from S into R's mailbox, made the first time it is asked for. */
int broker__lane_get(sup_proc *s, sup_proc *r, broker_lane **ret) {
        struct broker_box *b;
        broker_lane *l;
        int fd, space, k;

        k = broker__box_get(r, &b);
        if (k < 0)
                return k;
        for (size_t i = 0; i < b->n; i++)
                if (b->lanes[i].sender == s) {
                        *ret = &b->lanes[i];
                        return 0;
                }
        if (b->n >= SHM_LANES_MAX || s->broker.lanes_out >= LANES_OUT_MAX)
                return -ENOSPC;
        /* Two fds a lane, for as long as the receiver exists: refused
         * (the sender is told EMFILE) before they eat airsupd's reserve. */
        if (!fdlimit_reserve_full())
                return -EMFILE;
        if (b->n == b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 8;
                broker_lane *a = reallocarray(b->lanes, cap, sizeof(*a));
                if (!a)
                        return -ENOMEM;
                b->lanes = a;
                b->cap = cap;
        }
        k = shm_lane_create((uint32_t) r->group->cfg->mailbox, r->group->cfg->message_max, &fd);
        if (k < 0)
                return k;
        space = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (space < 0) {
                k = -errno;
                safe_close(fd);
                return k;
        }
        l = &b->lanes[b->n];
        *l = (broker_lane) { .sender = s, .fd = fd, .space_fd = space, .index = (uint32_t) b->n };
        snprintf(l->sender_name, sizeof(l->sender_name), "%s", s->name);
        b->n++;
        s->broker.lanes_out++;
        /* A receiver that has its mailbox learns of it now; one that does
         * not, when it attaches (on_attach()). */
        if (r->broker.chan_fd >= 0 && r->broker.attached && send_inbox(r, l) < 0)
                sup_log(&r->group->m->events, LOG_WARNING, "%s: cannot tell it of the lane from %s", r->name,
                        s->name);
        *ret = l;
        return 0;
}

static bool proc_live(const sup_proc *p) {
        return p->state == PROC_STARTING || p->state == PROC_RUNNING || p->state == PROC_READY;
}

/* NAME's instance: "GROUP[i]", "GROUP" of one instance, or for a pool
 * the next live instance after the last one chosen (round robin), or the
 * next one at all when none runs. */
int broker__resolve(sup_manager *m, const char *name, sup_proc **ret) {
        sup_node *n;
        int r;

        r = manager_find_proc(m, name, ret);
        if (r != -EINVAL)
                return r;
        n = manager_find_node(m, name);
        if (!n || n->cfg->supervisor || n->n_procs == 0)
                return -EINVAL;
        *ret = &n->procs[n->next_instance % n->n_procs];
        for (size_t k = 0; k < n->n_procs; k++) {
                sup_proc *p = &n->procs[(n->next_instance + k) % n->n_procs];
                if (proc_live(p)) {
                        *ret = p;
                        break;
                }
        }
        n->next_instance = (unsigned) ((size_t) (*ret - n->procs) + 1) % (unsigned) n->n_procs;
        return 0;
}

_Static_assert((int) CFG_ROUTE_BROADCAST == (int) CHAN_ROUTE_BROADCAST && (int) _CFG_ROUTE_MAX == (int) _CHAN_ROUTE_MAX,
               "a pool's route travels as itself");

/* "airsupctl": a lane into airsupd's own mailbox (inbox.h), for the
 * replies to its requests and what it subscribed to. */
static void ctl_lookup(sup_proc *p, const chan_lookup *lk) {
        inbox_lane_fds f;
        chan_record reply;
        int r = inbox_lane(p->group->m, p->name, &f);

        if (r < 0) {
                (void) send_error(p, lk->req, r);
                return;
        }
        chan_init(&reply, CHAN_LANE);
        reply.lane.req = lk->req;
        reply.lane.index = f.index;
        (void) chan_set_name(reply.lane.peer, CFG_CTL_SENDER);
        if (chan_send(p, &reply, (int[]) { f.lane, f.bell, f.event, f.space }, 4) < 0)
                sup_log(&p->group->m->events, LOG_WARNING, "%s: cannot send it the lane to airsupctl", p->name);
}

static void on_lookup(sup_proc *p, const chan_lookup *lk) {
        const registry_entry *reg = NULL;
        sup_node *n = manager_find_node(p->group->m, lk->name);
        sup_proc *dest;
        broker_lane *l = NULL;
        chan_record reply;
        int r, fds[4];

        if (strcmp(lk->name, CFG_CTL_SENDER) == 0) {
                ctl_lookup(p, lk);
                return;
        }
        /* A pool routed per message: the sender looks its instances up
         * and picks one for each message itself. */
        if (n && !n->cfg->supervisor && n->n_procs > 1 && n->cfg->route != CFG_ROUTE_LOOKUP) {
                chan_init(&reply, CHAN_POOL);
                reply.pool.req = lk->req;
                reply.pool.route = (uint32_t) n->cfg->route;
                reply.pool.n = (uint32_t) n->n_procs;
                (void) chan_set_name(reply.pool.name, n->cfg->name);
                (void) chan_send(p, &reply, NULL, 0);
                return;
        }

        r = broker__resolve(p->group->m, lk->name, &dest);
        /* Not a group's or an instance's: a name registered at run time. */
        if (r == -EINVAL || r == -ENOENT) {
                reg = registry_find(p->group->m, lk->name);
                if (reg) {
                        dest = reg->owner;
                        r = 0;
                }
        }
        if (r >= 0)
                r = broker__lane_get(p, dest, &l);
        if (r < 0) {
                (void) send_error(p, lk->req, r);
                return;
        }
        chan_init(&reply, CHAN_LANE);
        reply.lane.req = lk->req;
        reply.lane.index = l->index;
        (void) chan_set_name(reply.lane.peer, dest->name);
        if (reg) {
                memcpy(reply.lane.actor, reg->actor, sizeof(reply.lane.actor));
                reply.lane.flags = CHAN_LANE_REGISTERED;
        }
        fds[0] = l->fd;
        fds[1] = dest->broker.box->bell_fd;
        fds[2] = dest->broker.box->event_fd;
        fds[3] = l->space_fd;
        if (chan_send(p, &reply, fds, 4) < 0)
                sup_log(&p->group->m->events, LOG_WARNING, "%s: cannot send it the lane to %s", p->name,
                        dest->name);
        else
                sup_log(&p->group->m->events, LOG_DEBUG, "lane %s -> %s (index %u)", p->name, dest->name,
                        l->index);
}

/* One record that is not what a child sends: an ERROR back, and after
 * CHAN_BAD_MAX of them the channel is closed. */
static void bad_record(sup_proc *p) {
        (void) send_error(p, 0, -EBADMSG);
        if (++p->broker.chan_bad < CHAN_BAD_MAX)
                return;
        sup_log(&p->group->m->events, LOG_WARNING, "%s pid %d: %u malformed records on its channel, closed",
                p->name, (int) p->pid, p->broker.chan_bad);
        broker_channel_close(p);
}

static void on_dead(sup_proc *p, const chan_dead *cd);

/* Monitors.  A target keeps at most WATCH_MAX watchers: a process that
 * monitors one instance again and again, or dies and comes back to do
 * it, fills its list, whose ended watchers are purged first; past that, a
 * refusal. */
#define WATCH_MAX 4096

typedef struct broker_watch {
        char watcher[sizeof(((sup_proc *) 0)->name)];
        unsigned incarnation;
        uint64_t ref;
} broker_watch;

static void send_down(sup_proc *w, uint64_t ref, const char *name, uint32_t code, int32_t status) {
        chan_record d;

        if (w->broker.chan_fd < 0)
                return;
        chan_init(&d, CHAN_DOWN);
        d.down.ref = ref;
        d.down.code = code;
        d.down.status = status;
        (void) chan_set_name(d.down.name, name);
        (void) chan_send(w, &d, NULL, 0);
}

/* The watcher W names, if that incarnation still runs. */
static sup_proc *watcher_live(sup_manager *m, const broker_watch *w) {
        sup_proc *p;

        if (manager_find_proc(m, w->watcher, &p) < 0 || p->incarnation != w->incarnation || p->broker.chan_fd < 0)
                return NULL;
        return p;
}

static void on_monitor(sup_proc *p, const chan_monitor *mon) {
        sup_manager *m = p->group->m;
        const registry_entry *reg;
        sup_proc *target = NULL;
        broker_proc *b;
        chan_record done;
        int r;

        r = manager_find_proc(m, mon->name, &target);
        if (r < 0 && (reg = registry_find(m, mon->name)))
                target = reg->owner, r = 0;
        if (r < 0) {
                (void) send_error(p, mon->req, r == -EINVAL ? -ENOENT : r);
                return;
        }
        chan_init(&done, CHAN_DONE);
        done.done.req = mon->req;
        if (!target->main_alive) {
                /* The NOPROC before the DONE: when the monitor's caller
                 * learns it holds, it knows the target is down already
                 * (a monitored request then sends nothing). */
                send_down(p, mon->ref, target->name, CHAN_DOWN_NOPROC, 0);
                (void) chan_send(p, &done, NULL, 0);
                return;
        }
        b = &target->broker;
        if (b->n_watches == WATCH_MAX) {
                unsigned k = 0;
                for (unsigned i = 0; i < b->n_watches; i++)
                        if (watcher_live(m, &b->watches[i]))
                                b->watches[k++] = b->watches[i];
                b->n_watches = k;
        }
        if (b->n_watches == WATCH_MAX) {
                (void) send_error(p, mon->req, -ENOSPC);
                return;
        }
        if (b->n_watches == b->cap_watches) {
                unsigned cap = b->cap_watches ? b->cap_watches * 2 : 4;
                broker_watch *n = reallocarray(b->watches, cap, sizeof(*n));
                if (!n) {
                        (void) send_error(p, mon->req, -ENOMEM);
                        return;
                }
                b->watches = n;
                b->cap_watches = cap;
        }
        b->watches[b->n_watches] = (broker_watch) { .incarnation = p->incarnation, .ref = mon->ref };
        memcpy(b->watches[b->n_watches].watcher, p->name, sizeof(p->name));
        b->n_watches++;
        (void) chan_send(p, &done, NULL, 0);
}

/* P's process ended: each live watcher is told how, once. */
static void monitors_down(sup_proc *p) {
        sup_manager *m = p->group->m;
        uint32_t code = CHAN_DOWN_STOPPED;
        int32_t status = 0;

        if (p->broker.n_watches == 0)
                return;
        if (!p->stop_requested && p->exit.code == CLD_EXITED)
                code = CHAN_DOWN_EXITED, status = p->exit.status;
        else if (!p->stop_requested && (p->exit.code == CLD_KILLED || p->exit.code == CLD_DUMPED))
                code = CHAN_DOWN_KILLED, status = p->exit.status;
        for (unsigned i = 0; i < p->broker.n_watches; i++) {
                sup_proc *w = watcher_live(m, &p->broker.watches[i]);
                if (w)
                        send_down(w, p->broker.watches[i].ref, p->name, code, status);
        }
        p->broker.n_watches = 0;
}

/* SUBSCRIBE: DONE or an ERROR. */
static void on_subscribe(sup_proc *p, const chan_subscribe *sub) {
        chan_record done;
        int r;

        if (sub->flags & CHAN_SUBSCRIBE_UNSUBSCRIBE)
                r = interest_unsubscribe(p->group->m, p, sub->pattern);
        else
                r = interest_subscribe(p->group->m, p, sub->pattern, sub->flags & CHAN_SUBSCRIBE_ALL);
        if (r < 0) {
                (void) send_error(p, sub->req, r);
                return;
        }
        chan_init(&done, CHAN_DONE);
        done.done.req = sub->req;
        (void) chan_send(p, &done, NULL, 0);
}

typedef struct interest_reply {
        sup_proc *p;
        uint32_t req;
} interest_reply;

static int send_target(const char *name, unsigned n, void *userdata) {
        interest_reply *ir = userdata;
        chan_record t;

        chan_init(&t, CHAN_TARGET);
        t.target.req = ir->req;
        t.target.n = n;
        if (chan_set_name(t.target.name, name) < 0)
                return 0;
        return chan_send(ir->p, &t, NULL, 0);
}

/* INTEREST: a TARGET for each instance or pool the subject reaches, then
 * DONE (its reserved word: how many); or an ERROR. */
static void on_interest(sup_proc *p, const chan_subscribe *q) {
        interest_reply ir = { p, q->req };
        chan_record done;
        int r = interest_targets(p->group->m, q->pattern, send_target, &ir);

        if (r < 0) {
                (void) send_error(p, q->req, r == -EIO ? -ENOBUFS : r);
                return;
        }
        chan_init(&done, CHAN_DONE);
        done.done.req = q->req;
        done.done.reserved = (uint32_t) r;
        (void) chan_send(p, &done, NULL, 0);
}

/* REGISTER and UNREGISTER: DONE, or an ERROR saying why not. */
static void on_register(sup_proc *p, const chan_record *rec) {
        sup_manager *m = p->group->m;
        chan_record done;
        int r;

        if (rec->h.type == CHAN_REGISTER)
                r = registry_add(m, p, rec->reg.name, rec->reg.actor);
        else
                r = registry_del(m, p, rec->reg.name);
        if (r < 0) {
                (void) send_error(p, rec->reg.req, r);
                return;
        }
        sup_log(&m->events, LOG_DEBUG, "%s %s %s%s%s", rec->h.type == CHAN_REGISTER ? "registered" : "unregistered",
                rec->reg.name, p->name, rec->reg.actor[0] ? "/" : "", rec->reg.actor);
        chan_init(&done, CHAN_DONE);
        done.done.req = rec->reg.req;
        (void) chan_send(p, &done, NULL, 0);
}

/* ATTACH: libairsup in the process wants its mailbox.  Its bell first,
 * then every lane into it; from now on each new lane as it is made.
 * Made here, not at the spawn: most programs never attach, and a
 * mailbox is a sealed memfd, an eventfd and a record with three fds,
 * which were a quarter of airsupd's work in starting a group. */
static void on_attach(sup_proc *p) {
        sup_manager *m = p->group->m;
        struct broker_box *b;
        chan_record r;
        int fds[3], k;

        if (p->broker.attached) {
                bad_record(p);          /* once an incarnation */
                return;
        }
        k = broker__box_get(p, &b);
        if (k < 0) {
                /* Told at once (its airsup_attach() fails with it), and
                 * counted as a bad record: a child that asks again and
                 * again has its channel closed, not airsupd's log filled. */
                sup_log(&m->events, LOG_WARNING, "%s: no mailbox for it: %s", p->name, strerror(-k));
                (void) send_error(p, 0, k);
                if (++p->broker.chan_bad >= CHAN_BAD_MAX)
                        broker_channel_close(p);
                return;
        }
        chan_init(&r, CHAN_BELL);
        r.bell.lanes = SHM_LANES_MAX;
        fds[0] = b->bell_fd;
        fds[1] = b->event_fd;
        /* The interest page; /dev/null if it could not be made (its
         * publishers then ask at each publish). */
        fds[2] = interest_page_fd(m);
        if (fds[2] < 0)
                fds[2] = m->null_fd;
        if (chan_send(p, &r, fds, 3) < 0)
                return;
        p->broker.attached = true;
        for (size_t i = 0; i < b->n; i++) {
                k = send_inbox(p, &b->lanes[i]);
                /* A name that does not fit a record loses that lane
                 * alone; a channel that takes no more, the rest. */
                if (k == -EINVAL || k == -ENAMETOOLONG) {
                        sup_log(&m->events, LOG_WARNING, "%s: cannot tell it of the lane from %s", p->name,
                                b->lanes[i].sender_name);
                        continue;
                }
                if (k < 0) {
                        sup_log(&m->events, LOG_WARNING, "%s: cannot tell it of %zu of its lanes", p->name,
                                b->n - i);
                        break;
                }
        }
}

static int on_channel(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        sup_proc *p = userdata;

        (void) s;
        if (revents & EPOLLOUT) {
                if (chan_flush(p) < 0) {
                        broker_channel_close(p);
                        return 0;
                }
                if (p->broker.chan_out && p->broker.chan_out->n == CHAN_OUT_MAX) {
                        sup_log(&p->group->m->events, LOG_WARNING, "%s pid %d reads nothing on its channel, "
                                "closed", p->name, (int) p->pid);
                        broker_channel_close(p);
                        return 0;
                }
        }
        for (unsigned k = 0; k < CHAN_BATCH && p->broker.chan_fd == fd &&
                             (!p->broker.chan_out || p->broker.chan_out->n <= CHAN_OUT_READ_MAX); k++) {
                char buf[CHAN_RECORD_MAX];
                int fds[FDS_MAX];
                size_t n_fds = 0;
                chan_record rec;
                ssize_t n;
                int r;

                /* Only CHAN_ACTORS comes with an fd (its table); whatever
                 * else a child sent goes to the closer: the last close of
                 * a lingering TCP socket would hold the loop for its
                 * linger time.  Room for the kernel's most, so that none
                 * is dropped (and closed) by recvmsg() itself. */
                n = fds_recv(fd, buf, sizeof(buf), MSG_DONTWAIT, fds, FDS_MAX, &n_fds);
                if (n == -EAGAIN || n == -EINTR)
                        return 0;
                r = n < 0 ? -EBADMSG : chan_parse(buf, (size_t) n, n_fds, &rec);
                if (r >= 0 && rec.h.type == CHAN_ACTORS) {
                        broker_actors_take(p, fds[0]);
                        continue;
                }
                if (n_fds > 0)
                        sup_dispose_fds(p->group->m, fds, n_fds);
                if (n == 0 || (n < 0 && n != -EMSGSIZE)) {
                        broker_channel_close(p);        /* it closed its end, or exited */
                        return 0;
                }
                if (r >= 0 && rec.h.type == CHAN_ATTACH) {
                        on_attach(p);
                        continue;
                }
                if (r >= 0 && rec.h.type == CHAN_PONG) {
                        p->broker.pong = rec.ping.seq;
                        (void) sup_report(p, PROC_REPORT_PONG);
                        continue;
                }
                if (r >= 0 && rec.h.type == CHAN_ACTOR_EVENT) {
                        broker_actor_event(p, &rec.actor_event);
                        continue;
                }
                if (r >= 0 && rec.h.type == CHAN_DEAD) {
                        on_dead(p, &rec.dead);
                        continue;
                }
                if (r >= 0 && (rec.h.type == CHAN_REGISTER || rec.h.type == CHAN_UNREGISTER)) {
                        on_register(p, &rec);
                        continue;
                }
                if (r >= 0 && rec.h.type == CHAN_MONITOR) {
                        on_monitor(p, &rec.monitor);
                        continue;
                }
                if (r >= 0 && rec.h.type == CHAN_SUBSCRIBE) {
                        on_subscribe(p, &rec.sub);
                        continue;
                }
                if (r >= 0 && rec.h.type == CHAN_INTEREST) {
                        on_interest(p, &rec.sub);
                        continue;
                }
                if (r < 0 || rec.h.type != CHAN_LOOKUP) {
                        bad_record(p);
                        continue;
                }
                on_lookup(p, &rec.lookup);
        }
        return 0;
}

int broker_ping(sup_proc *p, uint64_t seq) {
        chan_record r;

        if (p->broker.chan_fd < 0)
                return -ENOTCONN;
        chan_init(&r, CHAN_PING);
        r.ping.seq = seq;
        return chan_send(p, &r, NULL, 0);
}

int broker_channel_open(sup_proc *p) {
        int sv[2];

        broker_channel_close(p);
        p->broker.act_final_seen = false;
        p->broker.act_counts_seen = 0;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        /* Our end takes fds: a process's actor table comes as one
         * (CHAN_ACTORS), and on_channel() closes any other. */
        p->broker.chan_fd = sv[0];
        p->broker.chan_child = sv[1];
        p->broker.chan_bad = 0;
        return 0;
}

/* The channel's fd in the manager's epoll set (core/iomux.h). */
static void on_chan_io(sup_io *io, int fd, uint32_t revents) {
        (void) on_channel(NULL, fd, revents, (char *) io - offsetof(sup_proc, broker.chan_io));
}

void broker_channel_spawned(sup_proc *p, bool ok) {
        sup_manager *m = p->group->m;

        p->broker.chan_child = safe_close(p->broker.chan_child);
        if (p->broker.chan_fd < 0)
                return;
        if (!ok || !m->event ||
            iomux_add(m, &p->broker.chan_io, p->broker.chan_fd, EPOLLIN, on_chan_io) < 0) {
                broker_channel_close(p);
                return;
        }
        /* A process came: what publishers reach may have changed. */
        interest_bump(m);
}

void broker_channel_end(sup_proc *p) {
        /* What the process sent just before it ended (its actors' last
         * events: why its root gave up) is still in the socket: read it,
         * a bounded number of records, before the channel goes. */
        for (unsigned k = 0; k < CHAN_END_BATCHES && p->broker.chan_fd >= 0; k++)
                (void) on_channel(NULL, p->broker.chan_fd, EPOLLIN, p);
        broker_channel_close(p);
        monitors_down(p);
}

void broker_channel_close(sup_proc *p) {
        /* Its names and subscriptions go with the process (its channel's
         * end is its end). */
        registry_drop(p->group->m, p);
        interest_drop(p->group->m, p);
        broker_actors_drop(p);
        chan_out_free(p);
        iomux_remove(p->group->m, &p->broker.chan_io);
        p->broker.chan_fd = safe_close(p->broker.chan_fd);
        p->broker.attached = false;
        p->broker.chan_child = safe_close(p->broker.chan_child);
}

size_t broker_dead_count(const sup_manager *m) {
        return m->dead_n;
}

const broker_dead *broker_dead_at(const sup_manager *m, size_t i) {
        size_t cap = m->cfg->dead_letters;

        if (i >= m->dead_n || cap == 0)
                return NULL;
        return &m->dead[(m->dead_head + i) % cap];
}

void broker_dead_free(sup_manager *m) {
        free(m->dead);
        m->dead = NULL;
        m->dead_n = m->dead_head = 0;
}

static void dead_keep(sup_manager *m, const broker_dead *d) {
        size_t cap = m->cfg->dead_letters;

        m->dead_total++;
        if (cap == 0)
                return;
        if (!m->dead && !(m->dead = calloc(cap, sizeof(*m->dead))))
                return;
        if (m->dead_n < cap)
                m->dead[(m->dead_head + m->dead_n++) % cap] = *d;
        else {
                m->dead[m->dead_head] = *d;
                m->dead_head = (m->dead_head + 1) % cap;
        }
}

static uint64_t realtime_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* D kept, and said as an event of its receiver. */
static void dead_letter(sup_proc *p, const broker_dead *d) {
        sup_manager *m = p->group->m;
        sup_event e = { .type = SUP_EVENT_DEAD_LETTER, .priority = LOG_WARNING };
        int n;

        dead_keep(m, d);
        snprintf(e.node, sizeof(e.node), "%s", p->name);
        /* A long reason is cut, the rest of the detail stays whole. */
        n = snprintf(e.detail, sizeof(e.detail), "from=%s type=%u len=%u redeliveries=%u%s%s%s", d->sender, d->type,
                 d->len, d->redeliveries, d->reason[0] ? " reason=\"" : "", d->reason, d->reason[0] ? "\"" : "");
        if (n >= (int) sizeof(e.detail) && d->reason[0])
                memcpy(e.detail + sizeof(e.detail) - 2, "\"", 2);
        sup_events_emit(&m->events, &e);
}

void broker_before_start(sup_proc *p) {
        sup_manager *m = p->group->m;
        struct broker_box *b = p->broker.box;

        for (size_t i = 0; b && i < b->n; i++) {
                shm_dead_letter dl;
                broker_dead d = {};
                int r = shm_lane_take_dead(b->lanes[i].fd, p->group->cfg->redeliver, &dl);

                if (r == -EBADMSG)
                        sup_log(&m->events, LOG_WARNING, "%s: the lane from %s is garbled", p->name,
                                b->lanes[i].sender_name);
                if (r <= 0)
                        continue;
                d.realtime_usec = realtime_usec();
                snprintf(d.receiver, sizeof(d.receiver), "%s", p->name);
                snprintf(d.sender, sizeof(d.sender), "%s", b->lanes[i].sender_name);
                d.type = dl.env.type;
                d.len = dl.env.len;
                d.redeliveries = dl.env.redelivered;
                d.n_head = dl.n_head;
                memcpy(d.head, dl.head, dl.n_head);
                dead_letter(p, &d);
        }
}

/* A message the process could give to none of its actors (CHAN_DEAD).
 * Its sender is airsupd's own record of the lane it came on, never
 * anything the record says; a record naming no lane is counted and
 * dropped.  Rate-limited with the process's actor events. */
static void on_dead(sup_proc *p, const chan_dead *cd) {
        struct broker_box *b = p->broker.box;
        broker_dead d = {};

        /* Only a bridge's message to or from outside names no lane; its
         * sender is the process itself, what it says is its own. */
        bool outside = (cd->reason == CHAN_DEAD_TOO_BIG || cd->reason == CHAN_DEAD_REFUSED) &&
                       cd->index == CHAN_DEAD_OUTSIDE;

        if (!outside && (!b || cd->index >= b->n)) {
                p->broker.act_ignored++;
                return;
        }
        if (!broker_actors_pass(p))
                return;
        d.realtime_usec = realtime_usec();
        snprintf(d.receiver, sizeof(d.receiver), "%s", p->name);
        if (outside)
                snprintf(d.sender, sizeof(d.sender), "%.80s (outside)", p->name);
        else
                snprintf(d.sender, sizeof(d.sender), "%s", b->lanes[cd->index].sender_name);
        /* chan_parse() took only printable ASCII in actor. */
        (void) !snprintf(d.reason, sizeof(d.reason), "%s %.63s",
                         outside && cd->reason == CHAN_DEAD_REFUSED ? "refused by NATS:"
                         : outside                                  ? "too big for a subscriber:"
                         : cd->reason == CHAN_DEAD_NO_ACTOR         ? "no such actor"
                                                                    : "bad actor address",
                         cd->actor);
        d.type = cd->type;
        d.len = cd->len;
        d.n_head = cd->n_head;          /* chan_parse(): at most sizeof(head) */
        memcpy(d.head, cd->head, cd->n_head);
        dead_letter(p, &d);
}

unsigned broker_mailbox_stats(const sup_proc *p, shm_lane_stats *ret) {
        const struct broker_box *b = p->broker.box;
        unsigned n = 0;

        *ret = (shm_lane_stats) {};
        for (size_t i = 0; b && i < b->n; i++) {
                shm_lane_stats st;

                if (shm_lane_stats_read(b->lanes[i].fd, &st) < 0)
                        continue;
                n++;
                ret->sent += st.sent;
                ret->dropped += st.dropped;
                ret->received += st.received;
                ret->expired += st.expired;
                ret->errors += st.errors;
                ret->dead += st.dead;
                ret->depth += st.depth;
                ret->depth_bytes += st.depth_bytes;
                ret->capacity += st.capacity;
                if (st.hwm_bytes > ret->hwm_bytes)
                        ret->hwm_bytes = st.hwm_bytes;
        }
        return n;
}
