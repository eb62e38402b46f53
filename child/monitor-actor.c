/* monitor-actor.c - monitors of an actor in another instance (airsup(3),
 * MONITORS): airsup_monitor(a, "INSTANCE/ACTOR").
 *
 * The watcher monitors the instance through airsupd (its process's end
 * is the actor's end too) and sends the actor's process, on the lane to
 * it, a MONITOR_ACTOR with the monitor's ref.  That process keeps the
 * watcher (its instance as airsupd names the lane it came on) and, when
 * the actor ends, sends a DOWN back on a lane of its own; the watcher
 * takes it only if it answers one of its actor monitors and came from
 * the instance it asked (airsupd's name for the lane, never anything in
 * the message), so a process can forge no one's DOWN.  Whichever comes
 * first, the actor's DOWN or airsupd's for the instance, is given once,
 * named "INSTANCE/ACTOR"; the other is dropped (the instance monitor is
 * taken off with the first). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "child/lib.h"

#define SEC UINT64_C(1000000000)

struct airsup_amon {
        uint64_t ref;
        char instance[AIRSUP_NAME_MAX];         /* the actor's, as airsupd names it */
        char name[AIRSUP_NAME_MAX];             /* as asked, "INSTANCE/ACTOR" */
};

static void amon_drop(airsup *a, size_t k) {
        a->amons[k] = a->amons[--a->n_amons];
}

int airsup__monitor_actor(airsup *a, const char *name, uint64_t *ret_ref) {
        airsup_send_opts o = { .full = AIRSUP_BLOCK, .timeout_ns = SEC };
        airsup_dest *d;
        uint64_t ref;
        int r;

        if (strlen(name) >= AIRSUP_NAME_MAX)
                return -EINVAL;
        r = airsup_lookup(a, name, 5 * SEC, &d);
        if (r < 0)
                return r;
        if (a->n_amons == a->cap_amons) {
                size_t cap = a->cap_amons ? a->cap_amons * 2 : 8;
                struct airsup_amon *n = reallocarray(a->amons, cap, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                a->amons = n;
                a->cap_amons = cap;
        }
        ref = ++a->next_monitor;
        /* Listed first: airsupd's NOPROC comes before its DONE. */
        a->amons[a->n_amons] = (struct airsup_amon) { .ref = ref };
        memcpy(a->amons[a->n_amons].instance, d->peer, sizeof(d->peer));
        memcpy(a->amons[a->n_amons].name, name, strlen(name) + 1);
        a->n_amons++;
        r = airsup__monitor_ref(a, d->peer, ref);
        if (r < 0) {
                char gone[AIRSUP_NAME_MAX];
                (void) airsup__amon_take(a, ref, gone);
                return r;
        }
        /* Not up: its NOPROC is kept already, and nothing is sent. */
        for (size_t k = 0; k < a->n_monitors; k++)
                if (a->monitors[k] == ref) {
                        r = airsup_send(d, AIRSUP_TYPE_MONITOR_ACTOR, &ref, sizeof(ref), &o);
                        if (r < 0) {
                                char gone[AIRSUP_NAME_MAX];
                                (void) airsup__monitor_take(a, ref);
                                (void) airsup__amon_take(a, ref, gone);
                                return r;
                        }
                        break;
                }
        if (ret_ref)
                *ret_ref = ref;
        return 0;
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
        int r = airsup__lookup_group(a, watcher, 5 * SEC, &dest);

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
