/* reload.h - SIGHUP and `airsupctl reload`: the file is read again and the
 * difference applied to the live tree, touching nothing that did not
 * change.
 *
 * The plan (reload-plan.c) is a pure function of the old and the new
 * configuration, unit-tested without processes: every node is matched by
 * its name (and kind: a group that became a supervisor is another node),
 * and is kept, changed in place, restarted, moved, removed or added.  The
 * engine (reload.c) applies it to the tree through sup.c, in this order:
 * removed nodes stop (each subtree in reverse order) and go; changed
 * groups restart with their new settings, in order, as a supervisor's
 * restart of them (not counted toward its intensity); moved nodes stop
 * under their old supervisor; then moved and new nodes are put in place
 * and start in file order, each after the one before it is ready, as at
 * boot.  What changed in place applies at once. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "supervisor/config/cfg.h"

typedef enum reload_action {
        RELOAD_KEEP,                    /* nothing changed */
        RELOAD_IN_PLACE,                /* what changed applies without touching its processes */
        RELOAD_RESTART,                 /* a group restarts with its new settings */
        RELOAD_MOVE,                    /* a new supervisor: stops under the old, starts under the new */
        RELOAD_REMOVE,
        RELOAD_ADD,
        _RELOAD_ACTION_MAX,
} reload_action;

typedef struct reload_item {
        reload_action action;
        int old_index, new_index;       /* in old->nodes and new->nodes, -1: none */
        uint64_t keys;                  /* CFG_KEY_BIT() of each key that differs (cfg-keys.h) */
} reload_item;

typedef struct reload_plan {
        /* Every node of either file but the root, in the order the engine
         * takes them: removals in reverse order of the old file, then the
         * rest in the order of the new one. */
        reload_item *items;
        size_t n;
        size_t count[_RELOAD_ACTION_MAX];
        uint64_t airsupd;               /* CFG_KEY_BIT() of each [airsupd] key that differs: none changes live */
} reload_plan;

/* The plan from OLD to NEW (both loaded and valid); -ENOMEM only. */
int reload_plan_build(const cfg *old, const cfg *new, reload_plan *ret);
void reload_plan_done(reload_plan *p);
const char *reload_action_to_string(reload_action a);
/* Whether group settings B differ from A in a key that restarts it: the
 * child learns it at exec (its command line, environment, notify socket,
 * watchdog, lanes), or the kernel does (its user, directory, outputs). */
bool reload_group_restarts(const cfg_node *a, const cfg_node *b);
/* The keys of MASK as "command, backoff", in the order of their rows, into BUF. */
void reload_keys_format(uint64_t mask, char *buf, size_t size);

/* The engine (reload.c). */
#include "supervisor/core/types.h"

/* One line of a plan as airsupctl prints it: "restart web command, user". */
typedef struct reload_row {
        char action[16];                /* reload_action_to_string(), or "airsupd" */
        char name[96];
        char detail[160];
} reload_row;

/* What the caller of manager_reload() is told, once: R is 0 (applied, or
 * only planned for a dry run), -EINVAL (the file does not load: ERRORS,
 * one "FILE:LINE: message" per line), -ESHUTDOWN (airsupd began to shut
 * down first), or another -errno. */
typedef struct reload_result {
        int r;
        bool dry_run;
        const char *errors;
        const reload_row *rows;         /* every node not kept as it was, then [airsupd] keys */
        size_t n_rows;
        const size_t *count;            /* [_RELOAD_ACTION_MAX] */
        uint64_t usec;                  /* from the request to done */
} reload_result;

typedef void (*reload_done_fn)(const reload_result *res, void *userdata);

/* Reads M's file again and plans (DRY_RUN), or plans and applies.  DONE
 * is called exactly once when 0 is returned: at once for a dry run or a
 * file that does not load, else once applied.  A request while another
 * reload applies waits for it, then reads the file (one read for every
 * request that waited).  < 0, DONE not called: -ESHUTDOWN during a
 * shutdown, -EBUSY when RELOAD_WAITING_MAX requests wait already. */
#define RELOAD_WAITING_MAX 64
int manager_reload(sup_manager *m, bool dry_run, reload_done_fn done, void *userdata);
/* A shutdown began: what waits is told -ESHUTDOWN; nothing more applies. */
void reload_abort(sup_manager *m);
void reload_free(sup_manager *m);
