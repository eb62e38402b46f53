/* channel.c - checking and building the records of channel.h. */
#include <errno.h>
#include <string.h>

#include "common/channel.h"

static const struct {
        size_t size, fds;
} types[_CHAN_TYPE_MAX] = {
        [CHAN_LOOKUP] = { sizeof(chan_lookup), 0 },
        [CHAN_LANE] = { sizeof(chan_lane), 4 },
        [CHAN_ERROR] = { sizeof(chan_error), 0 },
        [CHAN_BELL] = { sizeof(chan_bell), 3 },
        [CHAN_INBOX] = { sizeof(chan_inbox), 2 },
        [CHAN_PING] = { sizeof(chan_ping), 0 },
        [CHAN_PONG] = { sizeof(chan_ping), 0 },
        [CHAN_ACTORS] = { sizeof(chan_actors), 1 },
        [CHAN_ACTOR_EVENT] = { sizeof(chan_actor_event), 0 },
        [CHAN_DEAD] = { sizeof(chan_dead), 0 },
        [CHAN_REGISTER] = { sizeof(chan_register), 0 },
        [CHAN_UNREGISTER] = { sizeof(chan_register), 0 },
        [CHAN_DONE] = { sizeof(chan_done), 0 },
        [CHAN_MONITOR] = { sizeof(chan_monitor), 0 },
        [CHAN_DOWN] = { sizeof(chan_down), 0 },
        [CHAN_POOL] = { sizeof(chan_pool), 0 },
        [CHAN_SUBSCRIBE] = { sizeof(chan_subscribe), 0 },
        [CHAN_INTEREST] = { sizeof(chan_subscribe), 0 },
        [CHAN_TARGET] = { sizeof(chan_target), 0 },
        [CHAN_ATTACH] = { sizeof(chan_attach), 0 },
};

_Static_assert(sizeof(chan_record) <= CHAN_RECORD_MAX, "a record outgrew CHAN_RECORD_MAX");

size_t chan_fds(chan_type type) {
        return type > 0 && type < _CHAN_TYPE_MAX ? types[type].fds : 0;
}

static bool name_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_' || c == '.';
}

bool chan_name_valid(const char *s) {
        size_t i = 0;

        while (i < CHAN_NAME_MAX && name_char(s[i]))
                i++;
        if (i == 0 || i == CHAN_NAME_MAX)
                return false;
        if (s[i] == '\0')
                return true;
        /* "[N]": digits, no leading zero unless N is 0, then the end. */
        if (s[i++] != '[' || i >= CHAN_NAME_MAX || s[i] < '0' || s[i] > '9')
                return false;
        if (s[i] == '0' && i + 1 < CHAN_NAME_MAX && s[i + 1] != ']')
                return false;
        for (size_t k = 0; i < CHAN_NAME_MAX && s[i] >= '0' && s[i] <= '9'; i++, k++)
                if (k == 6)
                        return false;   /* more instances than a pool has */
        return i + 1 < CHAN_NAME_MAX && s[i] == ']' && s[i + 1] == '\0';
}

/* A text field: NUL-terminated within, printable ASCII before it. */
static bool text_valid(const char *s, size_t size) {
        for (size_t i = 0; i < size; i++) {
                if (s[i] == '\0')
                        return true;
                if (s[i] < 0x20 || s[i] > 0x7e)
                        return false;
        }
        return false;
}

bool chan_actor_name_valid(const char *s) {
        size_t i = 0;

        while (i < CHAN_NAME_MAX && name_char(s[i]))
                i++;
        return i > 0 && i < CHAN_NAME_MAX && s[i] == '\0';
}

int chan_parse(const void *buf, size_t len, size_t n_fds, chan_record *ret) {
        chan_hdr h;

        if (!buf || !ret || len < sizeof(h) || len > sizeof(*ret))
                return -EBADMSG;
        memcpy(&h, buf, sizeof(h));
        if (h.version != CHAN_VERSION || h.type == 0 || h.type >= _CHAN_TYPE_MAX || h.len != len ||
            len != types[h.type].size || n_fds != types[h.type].fds)
                return -EBADMSG;
        memset(ret, 0, sizeof(*ret));
        memcpy(ret, buf, len);
        switch ((chan_type) h.type) {
        case CHAN_LOOKUP:
                return chan_name_valid(ret->lookup.name) ? 0 : -EBADMSG;
        case CHAN_LANE:
                return chan_name_valid(ret->lane.peer) && (ret->lane.actor[0] == '\0' || chan_actor_name_valid(ret->lane.actor))
                               ? 0
                               : -EBADMSG;
        case CHAN_REGISTER:
        case CHAN_UNREGISTER:
                return chan_actor_name_valid(ret->reg.name) &&
                                       (ret->reg.actor[0] == '\0' || chan_actor_name_valid(ret->reg.actor))
                               ? 0
                               : -EBADMSG;
        case CHAN_DONE:
                return 0;
        case CHAN_MONITOR:
                return ret->monitor.ref != 0 && (chan_name_valid(ret->monitor.name) ||
                                                 chan_actor_name_valid(ret->monitor.name))
                               ? 0
                               : -EBADMSG;
        case CHAN_SUBSCRIBE:
        case CHAN_INTEREST:
                /* The pattern's syntax is the interest table's to check. */
                return memchr(ret->sub.pattern, '\0', sizeof(ret->sub.pattern)) && ret->sub.pattern[0] &&
                                       (ret->sub.flags & ~(uint32_t) (CHAN_SUBSCRIBE_ALL | CHAN_SUBSCRIBE_UNSUBSCRIBE)) == 0
                               ? 0
                               : -EBADMSG;
        case CHAN_TARGET:
                return chan_name_valid(ret->target.name) && ret->target.n <= CHAN_POOL_MAX ? 0 : -EBADMSG;
        case CHAN_POOL:
                return ret->pool.route > CHAN_ROUTE_LOOKUP && ret->pool.route < _CHAN_ROUTE_MAX && ret->pool.n > 0 &&
                                       ret->pool.n <= CHAN_POOL_MAX && chan_name_valid(ret->pool.name)
                               ? 0
                               : -EBADMSG;
        case CHAN_DOWN:
                return ret->down.ref != 0 && ret->down.code > 0 && ret->down.code < _CHAN_DOWN_CODE_MAX &&
                                       chan_name_valid(ret->down.name)
                               ? 0
                               : -EBADMSG;
        case CHAN_ERROR:
                return ret->error.error < 0 && ret->error.error > -4096 ? 0 : -EBADMSG;
        case CHAN_BELL:
                return ret->bell.lanes > 0 ? 0 : -EBADMSG;
        case CHAN_INBOX:
                return chan_name_valid(ret->inbox.sender) ? 0 : -EBADMSG;
        case CHAN_PING:
        case CHAN_PONG:
        case CHAN_ACTORS:
        case CHAN_ATTACH:
                return 0;
        case CHAN_ACTOR_EVENT:
                return ret->actor_event.kind > 0 && ret->actor_event.kind < _CHAN_ACTOR_KIND_MAX &&
                                       text_valid(ret->actor_event.actor, CHAN_NAME_MAX) &&
                                       text_valid(ret->actor_event.detail, CHAN_NAME_MAX)
                               ? 0
                               : -EBADMSG;
        case CHAN_DEAD:
                return ret->dead.reason > 0 && ret->dead.reason < _CHAN_DEAD_REASON_MAX &&
                                       ret->dead.n_head <= sizeof(ret->dead.head) &&
                                       text_valid(ret->dead.actor, CHAN_NAME_MAX)
                               ? 0
                               : -EBADMSG;
        default:
                return -EBADMSG;
        }
}

void chan_init(chan_record *r, chan_type type) {
        memset(r, 0, sizeof(*r));
        r->h.version = CHAN_VERSION;
        r->h.type = (uint16_t) type;
        r->h.len = type > 0 && type < _CHAN_TYPE_MAX ? (uint32_t) types[type].size : 0;
}

int chan_set_name(char dst[CHAN_NAME_MAX], const char *name) {
        size_t l;

        if (!name)
                return -EINVAL;
        l = strlen(name);
        if (l >= CHAN_NAME_MAX)
                return -ENAMETOOLONG;
        memset(dst, 0, CHAN_NAME_MAX);
        memcpy(dst, name, l);
        return chan_name_valid(dst) ? 0 : -EINVAL;
}
