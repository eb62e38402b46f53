/* fuzz-actor-table - the actor table airsupd reads out of a process's
 * memfd (common/actor-table.c): any bytes are a table or refused; never
 * a read outside them, and what is read holds NUL-terminated names,
 * enums in range, and parents that lead to a root. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/actor-addr.h"
#include "common/actor-table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        act_snapshot s;
        uint8_t *copy;

        copy = malloc(size ? size : 1);         /* exact size: a read past it is seen */
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        if (act_table_read(copy, size, &s) == 0) {
                if (s.totals.n > s.totals.capacity || s.n_rows > s.totals.n)
                        abort();
                for (size_t i = 0; i < s.n_rows; i++) {
                        const act_row *r = &s.rows[i];
                        uint32_t p = r->parent;
                        size_t steps = 0;

                        if (!memchr(r->name, '\0', sizeof(r->name)) ||
                            (r->name[0] && strcmp(r->name, "?") && !actor_name_valid(r->name)))
                                abort();
                        if (r->state == ACT_FREE || r->state >= _ACT_STATE_MAX || r->kind >= _ACT_KIND_MAX)
                                abort();
                        while (p != ACT_NO_PARENT) {
                                if (p >= s.n_rows || ++steps > s.n_rows)
                                        abort();
                                p = s.rows[p].parent;
                        }
                }
                act_snapshot_done(&s);
        }
        free(copy);
        return 0;
}
