/* actor-watch.c - the monitors other instances hold on this system's
 * actors (actors.h; the watcher's side is monitor-actor.c).  A watcher
 * is known by its instance as airsupd names the lane its MONITOR_ACTOR
 * came on, and by its monitor's ref; when the actor ends for good (it is
 * freed: stopped, done, or ended by its supervisor giving up) each is
 * sent a DOWN on a lane of this process's.  A restart in place keeps the
 * actor, and its monitors.  At most ACT_WATCH_MAX: a process that
 * monitors and monitors gets NOPROCs with -ENOSPC, not memory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "child/actors.h"
#include "child/lib.h"

struct act_watch {
        airsup_ref actor;
        uint64_t ref;
        char watcher[AIRSUP_NAME_MAX];
};

void act__watch_add(airsup_sys *s, const airsup_msg *m, uint32_t i, const void *data, size_t len) {
        uint64_t ref;

        if (len != sizeof(ref) || !s->a)
                return;
        memcpy(&ref, data, sizeof(ref));
        if (i == ACT_NONE || act_at(s, i)->kind != ACT_K_ACTOR) {
                (void) airsup__send_down(s->a, m->sender, ref, AIRSUP_DOWN_NOPROC, 0);
                return;
        }
        if (s->watches_n == s->watches_cap) {
                uint32_t cap = s->watches_cap ? s->watches_cap * 2 : 8;
                struct act_watch *n;

                /* Full: the watchers of actors gone are gone already
                 * (act__watch_down), so this one is refused. */
                if (s->watches_n >= ACT_WATCH_MAX ||
                    !(n = reallocarray(s->watches, cap, sizeof(*n)))) {
                        (void) airsup__send_down(s->a, m->sender, ref, AIRSUP_DOWN_NOPROC, -ENOSPC);
                        return;
                }
                s->watches = n;
                s->watches_cap = cap;
        }
        s->watches[s->watches_n] = (struct act_watch) { .actor = act_ref(s, i), .ref = ref };
        memcpy(s->watches[s->watches_n].watcher, m->sender, sizeof(m->sender));
        s->watches_n++;
}

void act__watch_down(airsup_sys *s, uint32_t i, int reason) {
        airsup_ref r = act_ref(s, i);

        for (uint32_t k = 0; k < s->watches_n;) {
                struct act_watch w = s->watches[k];

                if (w.actor != r) {
                        k++;
                        continue;
                }
                s->watches[k] = s->watches[--s->watches_n];
                if (s->a)
                        (void) airsup__send_down(s->a, w.watcher, w.ref,
                                                 reason == 0 ? AIRSUP_DOWN_STOPPED : AIRSUP_DOWN_EXITED, reason);
        }
}

void act__watch_free(airsup_sys *s) {
        free(s->watches);
        s->watches = NULL;
        s->watches_n = s->watches_cap = 0;
}
