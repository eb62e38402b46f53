/* registry.h - names that processes register at run time (airsup(3),
 * REGISTRY): unique across the deployment (no group or supervisor has it
 * either), each owned by one process instance and, optionally, one of its
 * actors, looked up like a group's name, and released when the owner's
 * process ends.  A process may hold REGISTRY_PER_PROC names, the
 * deployment REGISTRY_MAX; past either, a clear refusal. */
#pragma once

#include <stddef.h>

#include "common/channel.h"
#include "supervisor/core/types.h"

#define REGISTRY_PER_PROC 1024
#define REGISTRY_MAX      65536

typedef struct registry_entry {
        char name[CHAN_NAME_MAX];
        char actor[CHAN_NAME_MAX];      /* "" for the process itself */
        sup_proc *owner;
} registry_entry;

/* NAME (an actor's name: letters, digits, '-', '_', '.') for P, leading
 * to its actor ACTOR ("" none): -EEXIST (a group, supervisor or another
 * registration has it; P's own with another actor too), -ENOSPC past
 * REGISTRY_PER_PROC, -E2BIG past REGISTRY_MAX, -EINVAL. */
int registry_add(sup_manager *m, sup_proc *p, const char *name, const char *actor);
/* -ENOENT: no such registration; -EPERM: it is another process's. */
int registry_del(sup_manager *m, sup_proc *p, const char *name);
const registry_entry *registry_find(sup_manager *m, const char *name);
/* Every name P holds: its process ended. */
void registry_drop(sup_manager *m, sup_proc *p);
/* For airsupctl names: how many, and each in turn (no order) from a
 * CURSOR that starts at 0; NULL after the last. */
size_t registry_count(const sup_manager *m);
const registry_entry *registry_next(const sup_manager *m, size_t *cursor);
void registry_free(sup_manager *m);
