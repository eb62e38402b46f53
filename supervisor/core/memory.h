/* memory.h - airsupd's heap by part (memory.c), for the metrics
 * (airsupd_memory_bytes{part=...}) and bench/scale's breakdown. */
#pragma once

#include <stdint.h>

#include "supervisor/core/types.h"

typedef enum mem_part {
        MEM_PROC,                       /* the process tables and each proc's sources */
        MEM_NODE,                       /* tree nodes, child arrays, intensity windows, the name index */
        MEM_NOTIFY,                     /* notify sockets' state (ready = notify, watchdogs) */
        MEM_PROBE,                      /* health probes' state */
        MEM_CHANNEL,                    /* each process's channel: its source, mailbox, queue */
        MEM_CGROUP,                     /* each instance's cgroup: path, inotify sources */
        MEM_EVENTS,                     /* the event history ring */
        MEM_CONFIG,                     /* the loaded configuration */
        MEM_OTHER,                      /* the heap in use that none of the above holds */
        _MEM_PART_MAX,
        _MEM_PART_INVALID = -22,
} mem_part;

const char *mem_part_to_string(mem_part p);
/* Bytes of heap each part holds now, into RET. */
void manager_memory(sup_manager *m, uint64_t ret[_MEM_PART_MAX]);
