/* actor-addr.c - actor names and addresses (actor-addr.h). */
#include <errno.h>
#include <string.h>

#include "common/actor-addr.h"
#include "common/channel.h"

_Static_assert(ACTOR_NAME_MAX == CHAN_NAME_MAX, "an actor's name fits where a group's does");

static bool name_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_' || c == '.';
}

bool actor_name_valid_n(const char *s, size_t len) {
        if (!s || len == 0 || len >= ACTOR_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!name_char(s[i]))
                        return false;
        return true;
}

bool actor_name_valid(const char *s) {
        return s && chan_actor_name_valid(s);
}

int actor_addr_split(const char *addr, char group[ACTOR_NAME_MAX], char actor[ACTOR_NAME_MAX]) {
        const char *slash;
        size_t lg, la;
        char g[CHAN_NAME_MAX];

        if (!addr || !group || !actor)
                return -EINVAL;
        /* Bounded: an address longer than both parts is refused unread. */
        slash = memchr(addr, '/', strnlen(addr, 2 * ACTOR_NAME_MAX));
        lg = slash ? (size_t) (slash - addr) : strnlen(addr, 2 * ACTOR_NAME_MAX);
        if (!slash && addr[lg] != '\0')
                return -ENAMETOOLONG;
        if (lg >= CHAN_NAME_MAX)
                return -ENAMETOOLONG;
        memset(g, 0, sizeof(g));
        memcpy(g, addr, lg);
        if (!chan_name_valid(g))
                return -EINVAL;
        if (!slash) {
                memcpy(group, g, sizeof(g));
                actor[0] = '\0';
                return 0;
        }
        la = strnlen(slash + 1, ACTOR_NAME_MAX);
        if (la >= ACTOR_NAME_MAX)
                return -ENAMETOOLONG;
        if (!actor_name_valid_n(slash + 1, la))
                return -EINVAL;
        memcpy(group, g, sizeof(g));
        memcpy(actor, slash + 1, la);
        actor[la] = '\0';
        return 1;
}
