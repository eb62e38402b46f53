/* names.h - look-ups in the live tree (names.c): by the names of
 * airsup.conf(5), by pid, and a walk.  Only the tree's types are needed,
 * so a lower part (the broker, probes) can look a node up without
 * depending on the manager. */
#pragma once

#include <sys/types.h>

#include "supervisor/core/types.h"

/* A node: a supervisor ("root" too) or a group; NULL if none.  A proc:
 * "GROUP" for a group of one instance, "GROUP[i]" for an instance of a
 * pool; -ENOENT no such group or instance, -EISDIR a supervisor, -EINVAL
 * a malformed name or a pool named without an index. */
sup_node *manager_find_node(sup_manager *m, const char *name);
int manager_find_proc(sup_manager *m, const char *name, sup_proc **ret);
/* The proc whose live main process is PID, NULL if none. */
sup_proc *manager_find_pid(sup_manager *m, pid_t pid);

/* Calls FN for every node, depth first in file order (a supervisor before
 * its children), with its depth below the root; a negative return from FN
 * stops the walk and is returned. */
typedef int (*manager_walk_fn)(sup_node *n, unsigned depth, void *userdata);
int manager_walk(sup_manager *m, manager_walk_fn fn, void *userdata);
