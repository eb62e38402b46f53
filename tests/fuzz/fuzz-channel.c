/* fuzz-channel - the channel record parser (common/channel.c) that
 * airsupd runs on what a child sends and libairsup on what airsupd
 * sends: any bytes, with any count of fds beside them, are accepted or
 * refused; never a read outside the record, and what is accepted holds
 * NUL-terminated names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/channel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        chan_record r;
        uint8_t *copy;
        size_t n_fds;

        if (size < 1)
                return 0;
        /* The first byte is the number of fds that came with the record. */
        n_fds = data[0] % 5;
        copy = malloc(size - 1 ? size - 1 : 1);        /* exact size: a read past it is seen */
        if (!copy)
                return 0;
        memcpy(copy, data + 1, size - 1);
        if (chan_parse(copy, size - 1, n_fds, &r) == 0) {
                const char *name = r.h.type == CHAN_LOOKUP ? r.lookup.name
                                 : r.h.type == CHAN_LANE   ? r.lane.peer
                                 : r.h.type == CHAN_INBOX  ? r.inbox.sender : NULL;
                if (r.h.len != size - 1 || chan_fds(r.h.type) != n_fds)
                        abort();
                if (name && (memchr(name, '\0', CHAN_NAME_MAX) == NULL || !chan_name_valid(name)))
                        abort();
        }
        free(copy);
        return 0;
}
