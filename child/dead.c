/* dead.c - a message that came from outside the deployment and cannot be
 * delivered in it, said to airsupd as a dead letter (lib.h). */
#include <errno.h>
#include <string.h>

#include "child/lib.h"
#include "common/fds.h"

int airsup__dead_outside(airsup *a, bool refused, const char *subject, uint32_t type, const void *data, size_t len) {
        chan_record rec;

        if (!a || !subject)
                return -EINVAL;
        chan_init(&rec, CHAN_DEAD);
        rec.dead.index = CHAN_DEAD_OUTSIDE;
        rec.dead.type = type;
        rec.dead.len = len > UINT32_MAX ? UINT32_MAX : (uint32_t) len;
        rec.dead.reason = refused ? CHAN_DEAD_REFUSED : CHAN_DEAD_TOO_BIG;
        if (chan_set_name(rec.dead.actor, subject) < 0) {
                /* A subject longer than a record's name: cut, with a mark. */
                memcpy(rec.dead.actor, subject, sizeof(rec.dead.actor) - 4);
                memcpy(rec.dead.actor + sizeof(rec.dead.actor) - 4, "...", 4);
        }
        rec.dead.n_head = (uint32_t) (len < sizeof(rec.dead.head) ? len : sizeof(rec.dead.head));
        if (rec.dead.n_head)
                memcpy(rec.dead.head, data, rec.dead.n_head);
        return fds_send(a->chan, &rec, rec.h.len, NULL, 0);
}
