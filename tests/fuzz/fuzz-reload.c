/* fuzz-reload - the reload plan over any two files: the input is the old
 * file, a line "%%", and the new one.  Where both load, the plan must
 * account for every node of each exactly once, in the kind and name it
 * has there; anything else is a crash. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "supervisor/config/cfg.h"
#include "supervisor/config/reload.h"

static cfg *load(const uint8_t *data, size_t size, FILE *null) {
        char path[64];
        cfg *c = NULL;
        int fd = memfd_create("fuzz-reload", MFD_CLOEXEC);

        if (fd < 0)
                return NULL;
        if (write(fd, data, size) == (ssize_t) size) {
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                if (cfg_load(path, null, &c) < 0)
                        c = NULL;
        }
        close(fd);
        return c;
}

static void check(const cfg *old, const cfg *new, const reload_plan *p) {
        unsigned *seen_old = calloc(old->n_nodes, sizeof(unsigned)), *seen_new = calloc(new->n_nodes, sizeof(unsigned));
        size_t total = 0;
        char keys[512];

        if (!seen_old || !seen_new)
                abort();
        for (size_t i = 0; i < p->n; i++) {
                const reload_item *it = &p->items[i];

                if (it->action < 0 || it->action >= _RELOAD_ACTION_MAX)
                        __builtin_trap();
                if ((it->action == RELOAD_REMOVE) != (it->new_index < 0) ||
                    (it->action == RELOAD_ADD) != (it->old_index < 0))
                        __builtin_trap();
                if (it->old_index >= (int) old->n_nodes || it->new_index >= (int) new->n_nodes)
                        __builtin_trap();
                if (it->old_index >= 0)
                        seen_old[it->old_index]++;
                if (it->new_index >= 0)
                        seen_new[it->new_index]++;
                if (it->old_index >= 0 && it->new_index >= 0) {
                        const cfg_node *a = &old->nodes[it->old_index], *b = &new->nodes[it->new_index];
                        if (strcmp(a->name, b->name) != 0 || a->supervisor != b->supervisor)
                                __builtin_trap();
                        if ((it->action == RELOAD_KEEP) != (it->keys == 0))
                                __builtin_trap();
                }
                reload_keys_format(it->keys, keys, sizeof(keys));
        }
        for (size_t i = 1; i < old->n_nodes; i++)
                if (seen_old[i] != 1)
                        __builtin_trap();
        for (size_t i = 1; i < new->n_nodes; i++)
                if (seen_new[i] != 1)
                        __builtin_trap();
        for (int a = 0; a < _RELOAD_ACTION_MAX; a++)
                total += p->count[a];
        if (total != p->n)
                __builtin_trap();
        free(seen_old);
        free(seen_new);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static FILE *null;
        const uint8_t *sep = memmem(data, size, "\n%%\n", 4);
        cfg *old, *new;
        reload_plan p;

        if (!null)
                null = fopen("/dev/null", "w");
        if (!sep)
                return 0;
        old = load(data, (size_t) (sep - data) + 1, null);
        new = load(sep + 4, size - (size_t) (sep - data) - 4, null);
        if (old && new && reload_plan_build(old, new, &p) >= 0) {
                check(old, new, &p);
                reload_plan_done(&p);
        }
        cfg_free(old);
        cfg_free(new);
        return 0;
}
