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
#include "common/actor-addr.h"

#define EXPORT __attribute__((visibility("default")))

#define SEC UINT64_C(1000000000)

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

int airsup__monitor_ref(airsup *a, const char *name, uint64_t ref) {
        chan_record q;
        int r;

        if (a->n_monitors == a->cap_monitors) {
                size_t cap = a->cap_monitors ? a->cap_monitors * 2 : 8;
                uint64_t *n = reallocarray(a->monitors, cap, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                a->monitors = n;
                a->cap_monitors = cap;
        }
        /* Listed before the ask: its DOWN may come before its DONE. */
        a->monitors[a->n_monitors++] = ref;
        chan_init(&q, CHAN_MONITOR);
        q.monitor.ref = ref;
        memcpy(q.monitor.name, name, strlen(name));
        r = airsup__call(a, &q);
        if (r < 0)
                (void) airsup__monitor_take(a, ref);
        return r;
}

EXPORT int airsup_monitor(airsup *a, const char *name, uint64_t *ret_ref) {
        uint64_t ref;
        int r;

        if (!a || !name || strnlen(name, CHAN_NAME_MAX) >= CHAN_NAME_MAX)
                return -EINVAL;
        /* An actor in another instance: it and its process both watched. */
        if (strchr(name, '/')) {
                char group[ACTOR_NAME_MAX], actor[ACTOR_NAME_MAX];
                if (actor_addr_split(name, group, actor) < 0 || !actor[0])
                        return -EINVAL;
                return airsup__monitor_actor(a, name, ret_ref);
        }
        if (!chan_name_valid(name) && !chan_actor_name_valid(name))
                return -EINVAL;
        ref = ++a->next_monitor;
        r = airsup__monitor_ref(a, name, ref);
        if (r < 0)
                return r;
        if (ret_ref)
                *ret_ref = ref;
        return 0;
}

EXPORT int airsup_demonitor(airsup *a, uint64_t ref) {
        if (!a || ref == 0)
                return -EINVAL;
        /* airsupd's entry stays until the target goes down; its DOWN is
         * then dropped here. */
        return airsup__monitor_take(a, ref) ? 0 : -ENOENT;
}

