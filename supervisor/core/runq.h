/* runq.h - what outside the tree may hang on the run queue (runq.c):
 * hooks that run each time the queue ran dry, once every upcall queued
 * so far was handled, from the queue's own defer source.  A part that
 * must wait for the tree to settle (a reload, reload.c) hooks itself in
 * while it waits, instead of being called from inside the tree: a hook is
 * never called while another decision is half-way, nor from inside
 * itself, so it needs no guard against re-entrance. */
#pragma once

#include "supervisor/core/types.h"

/* At most RUNQ_HOOKS_MAX hooks at once (types.h); adding one that is there
 * already does nothing.  -ENOSPC when full. */
int runq_hook_add(sup_manager *m, runq_hook_fn fn, void *userdata);
void runq_hook_remove(sup_manager *m, runq_hook_fn fn, void *userdata);
/* The queue runs (and so its hooks) at the loop's next turn, even if no
 * upcall is queued. */
void runq_wake(sup_manager *m);
