/* memory.c - airsupd's heap, by the part that holds it (memory.h).
 *
 * Measured, not estimated from struct sizes: each part's allocations are
 * walked and their chunks asked of the allocator (malloc_usable_size()
 * plus the chunk header glibc keeps before each), sd-event sources
 * included (libsystemd allocates each with malloc).  What the walk does
 * not reach (libsystemd's own tables: its hash map of child sources, its
 * timer queues, the epoll set; libc's stdio; the free chunks the heap
 * keeps) is "other": mallinfo2()'s bytes in use minus the parts.  What
 * the kernel keeps for a process's sockets and pidfds is in no part and
 * in no RSS. */
#define _GNU_SOURCE
#include <malloc.h>
#include <string.h>

#include "supervisor/core/memory.h"
#include "supervisor/core/names.h"
#include "supervisor/messages/broker-internal.h"
#include "supervisor/watch/notify-proc.h"
#include "supervisor/watch/probe-proc.h"

static const char *const part_names[_MEM_PART_MAX] = {
        [MEM_PROC] = "proc",
        [MEM_NODE] = "node",
        [MEM_NOTIFY] = "notify",
        [MEM_PROBE] = "probe",
        [MEM_CHANNEL] = "channel",
        [MEM_CGROUP] = "cgroup",
        [MEM_EVENTS] = "events",
        [MEM_CONFIG] = "config",
        [MEM_OTHER] = "other",
};

const char *mem_part_to_string(mem_part p) {
        return p >= 0 && p < _MEM_PART_MAX ? part_names[p] : NULL;
}

/* The bytes of the chunk behind P (a pointer malloc returned), 0 for
 * NULL: its usable size and the size word before it. */
static uint64_t chunk(const void *p) {
        return p ? (uint64_t) malloc_usable_size((void *) p) + sizeof(size_t) : 0;
}

static uint64_t strv_chunks(char **v) {
        uint64_t b = chunk(v);

        for (size_t i = 0; v && v[i]; i++)
                b += chunk(v[i]);
        return b;
}

static void proc_memory(const sup_proc *p, uint64_t *parts) {
        parts[MEM_PROC] += chunk(p->start_path) + chunk(p->exec_source) + chunk(p->timer) +
                           chunk(p->poll);
        if (p->notify)
                parts[MEM_NOTIFY] += chunk(p->notify) + chunk(p->notify->counters);
        if (p->probe)
                parts[MEM_PROBE] += chunk(p->probe) + chunk(p->probe->timer) + chunk(p->probe->source);
        parts[MEM_CHANNEL] += chunk(p->broker.chan_out) + chunk(p->broker.watches);
        if (p->broker.box)
                parts[MEM_CHANNEL] += chunk(p->broker.box) + chunk(p->broker.box->lanes);
        parts[MEM_CGROUP] += chunk(p->cgroup.path) + chunk(p->cgroup.events) + chunk(p->cgroup.memory);
}

static int node_memory(sup_node *n, unsigned depth, void *userdata) {
        uint64_t *parts = userdata;

        (void) depth;
        parts[MEM_NODE] += chunk(n) + chunk(n->children) + chunk(n->window.t);
        /* The process table of a group is the procs' own. */
        parts[MEM_PROC] += chunk(n->procs);
        for (size_t i = 0; i < n->n_procs; i++)
                proc_memory(&n->procs[i], parts);
        return 0;
}

static uint64_t config_memory(const cfg *c) {
        uint64_t b = chunk(c->nodes) + chunk(c->by_name);

        for (size_t i = 0; i < c->n_nodes; i++) {
                const cfg_node *n = &c->nodes[i];

                b += chunk(n->name) + chunk(n->parent_name) + chunk(n->command) + strv_chunks(n->argv) +
                     chunk(n->health_command) + strv_chunks(n->health_argv) + chunk(n->user) +
                     chunk(n->workdir) + chunk(n->environment) + strv_chunks(n->env) + chunk(n->out_path) +
                     chunk(n->err_path) + chunk(n->extra);
        }
        return b;
}

void manager_memory(sup_manager *m, uint64_t ret[_MEM_PART_MAX]) {
        struct mallinfo2 mi = mallinfo2();
        uint64_t in_use = (uint64_t) mi.uordblks + (uint64_t) mi.hblkhd, sum = 0;

        memset(ret, 0, sizeof(uint64_t) * _MEM_PART_MAX);
        (void) manager_walk(m, node_memory, ret);
        /* The index of the tree by name belongs to the nodes. */
        ret[MEM_NODE] += chunk(m->by_name);
        /* The probes' deadlines, all of them in one heap. */
        if (m->dues)
                ret[MEM_PROBE] += chunk(m->dues) + chunk(m->dues->v);
        ret[MEM_EVENTS] = chunk(m->events.ring) + chunk(m->events.subscribers);
        ret[MEM_CONFIG] = m->cfg ? config_memory(m->cfg) : 0;
        for (int p = 0; p < MEM_OTHER; p++)
                sum += ret[p];
        ret[MEM_OTHER] = in_use > sum ? in_use - sum : 0;
}
