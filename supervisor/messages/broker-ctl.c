/* broker-ctl.c - airsupctl send, request and publish (broker.h):
 * airsupd writes the message itself, on a lane of its own into the
 * receiver's mailbox, and never waits for room; replies come back into
 * airsupd's own mailbox (inbox.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/actor-addr.h"
#include "common/channel.h"
#include "shm/shm.h"
#include "supervisor/core/names.h"
#include "supervisor/messages/broker.h"
#include "supervisor/messages/broker-internal.h"
#include "supervisor/messages/inbox.h"
#include "supervisor/messages/interest.h"
#include "supervisor/messages/registry.h"

/* airsupctl's messages: airsupd writes them itself, on a lane of their
 * own into the receiver's mailbox whose sender airsupd names
 * CFG_CTL_SENDER (no node may be called so); it never waits for room. */
static sup_proc ctl_sender;

static int ctl_tx_get(sup_proc *r, struct shm_tx **ret) {
        struct broker_box *b;
        broker_lane *l = NULL;
        int k;

        k = broker__box_get(r, &b);
        if (k < 0)
                return k;
        if (b->ctl_tx) {
                *ret = b->ctl_tx;
                return 0;
        }
        for (size_t i = 0; i < b->n; i++)
                if (b->lanes[i].sender == &ctl_sender)
                        l = &b->lanes[i];
        if (!l) {
                snprintf(ctl_sender.name, sizeof(ctl_sender.name), "%s", CFG_CTL_SENDER);
                k = broker__lane_get(&ctl_sender, r, &l);
                if (k < 0)
                        return k;
        }
        k = shm_tx_open(l->fd, b->bell_fd, l->index, b->event_fd, -EBADF, &b->ctl_tx);
        if (k < 0)
                return k;
        *ret = b->ctl_tx;
        return 0;
}

/* TYPE, PREFIX (to_len bytes the receiver takes off: an actor's name or
 * a subject) and DATA to R from airsupctl. */
static int ctl_send(sup_proc *r, uint32_t type, const char *prefix, uint64_t env_flags, uint64_t correlation,
                    const void *data, size_t len) {
        size_t plen = prefix ? strlen(prefix) : 0;
        shm_envelope e = { .type = type, .len = (uint32_t) (plen + len), .to_len = (uint32_t) plen, .sender = env_flags,
                           .correlation = correlation };
        struct shm_tx *tx;
        uint8_t *p;
        int k;

        if (plen + len > SHM_MESSAGE_MAX)
                return -EMSGSIZE;
        k = ctl_tx_get(r, &tx);
        if (k < 0)
                return k;
        if (plen + len > shm_tx_message_max(tx))
                return -EMSGSIZE;
        k = shm_tx_reserve(tx, &e, SHM_FULL_FAIL, 0, (void **) &p);
        if (k < 0)
                return k;
        if (plen)
                memcpy(p, prefix, plen);
        if (len)
                memcpy(p + plen, data, len);
        return shm_tx_commit(tx, e.len);
}

/* DEST's instance, and the actor in it ("" for none). */
static int ctl_dest(sup_manager *m, const char *dest, sup_proc **ret, char actor[static ACTOR_NAME_MAX]) {
        char group[ACTOR_NAME_MAX];
        const registry_entry *reg;
        sup_proc *r;
        int k;

        k = actor_addr_split(dest, group, actor);
        if (k < 0)
                return k;
        k = broker__resolve(m, group, &r);
        if (k < 0) {
                reg = registry_find(m, group);
                if (!reg || actor[0])
                        return k == -EINVAL ? -ENOENT : k;
                r = reg->owner;
                snprintf(actor, ACTOR_NAME_MAX, "%s", reg->actor);
        }
        *ret = r;
        return 0;
}

int broker_ctl_send(sup_manager *m, const char *dest, uint32_t type, const void *data, size_t len) {
        char actor[ACTOR_NAME_MAX];
        sup_proc *r;
        int k = ctl_dest(m, dest, &r, actor);

        if (k < 0)
                return k;
        return ctl_send(r, type, actor[0] ? actor : NULL, 0, 0, data, len);
}

int broker_ctl_request(sup_manager *m, const char *dest, uint32_t type, const void *data, size_t len,
                       inbox_reply_fn fn, void *userdata, uint64_t *ret_id) {
        char actor[ACTOR_NAME_MAX];
        uint64_t id;
        sup_proc *r;
        int k = ctl_dest(m, dest, &r, actor);

        if (k < 0)
                return k;
        /* Expected before it goes: the reply is read from the loop, so
         * it cannot come first, but the id is the message's. */
        k = inbox_expect(m, r->name, fn, userdata, &id);
        if (k < 0)
                return k;
        k = ctl_send(r, type, actor[0] ? actor : NULL, 0, id, data, len);
        if (k < 0) {
                inbox_forget(m, id);
                return k;
        }
        *ret_id = id;
        return 0;
}

typedef struct ctl_pub {
        sup_manager *m;
        const char *subject;
        uint32_t type;
        const void *data;
        size_t len;
        unsigned reached;
        int first;
} ctl_pub;

static int ctl_pub_target(const char *name, unsigned n, void *userdata) {
        ctl_pub *cp = userdata;
        sup_proc *r = NULL;
        sup_node *node;
        int k;

        if (n == 0 && strcmp(name, CFG_CTL_SENDER) == 0) {
                /* airsupctl's own subscriptions: handed over here. */
                cp->reached += inbox_deliver(cp->m, cp->subject, cp->type, cp->data, cp->len) > 0;
                return 0;
        }
        if (n == 0)
                k = manager_find_proc(cp->m, name, &r);
        else if ((node = manager_find_node(cp->m, name)) && node->n_procs > 0) {
                /* A queue group: the next instance in turn. */
                r = &node->procs[node->next_instance++ % node->n_procs];
                k = 0;
        } else
                k = -ENOENT;
        if (k >= 0)
                k = ctl_send(r, cp->type, cp->subject, CHAN_ENV_PUBLISH, 0, cp->data, cp->len);
        if (k >= 0)
                cp->reached++;
        else if (cp->first == 0)
                cp->first = k;
        return 0;
}

int broker_ctl_publish(sup_manager *m, const char *subject, uint32_t type, const void *data, size_t len,
                       unsigned *ret_reached) {
        ctl_pub cp = { m, subject, type, data, len, 0, 0 };
        int k = interest_targets(m, subject, ctl_pub_target, &cp);

        if (k < 0)
                return k;
        *ret_reached = cp.reached;
        return cp.reached > 0 || cp.first == 0 ? 0 : cp.first;
}

