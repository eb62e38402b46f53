/* fuzz-actor-addr - actor names and addresses (common/actor-addr.c), as
 * airsupctl and the receiving side of a lane take them: any bytes are
 * an address or refused; never a read past the string, and what is
 * taken splits into a group chan_name_valid() takes and a valid name. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/actor-addr.h"
#include "common/channel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char group[ACTOR_NAME_MAX], actor[ACTOR_NAME_MAX];
        char *s = malloc(size + 1);             /* exact size: a read past it is seen */
        int r;

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        r = actor_addr_split(s, group, actor);
        if (r == 1 && (!chan_name_valid(group) || !actor_name_valid(actor)))
                abort();
        if (r == 0 && (!chan_name_valid(group) || actor[0] != '\0'))
                abort();
        if (r < 0 && r != -EINVAL && r != -ENAMETOOLONG)
                abort();
        if (actor_name_valid_n(s, size) && !actor_name_valid(s))
                abort();
        free(s);
        return 0;
}
