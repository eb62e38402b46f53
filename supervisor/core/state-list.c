/* state-list.c - the deployment's list of started processes (state.h) kept
 * as the tree runs: a start and an end are queued lines, written from an
 * idle-priority defer source after the restarts of one loop iteration,
 * and the list is rewritten from the live processes once it is mostly
 * ends.  The proc table calls it; it calls nothing above it. */
#include <stdio.h>

#include "supervisor/core/names.h"
#include "supervisor/core/state-list.h"
#include "supervisor/core/state.h"

static int put_live(sup_node *n, unsigned depth, void *userdata) {
        FILE *f = userdata;

        (void) depth;
        for (size_t i = 0; i < n->n_procs; i++)
                if (n->procs[i].pgid > 0)
                        state_compact_put(f, n->procs[i].pgid, n->procs[i].name);
        return 0;
}

static int count_live(sup_node *n, unsigned depth, void *userdata) {
        size_t *count = userdata;

        (void) depth;
        for (size_t i = 0; i < n->n_procs; i++)
                *count += n->procs[i].pgid > 0;
        return 0;
}

/* Writes the queued starts and ends (an idle-priority defer source: after
 * the restarts of this iteration); rewrites the list from the live
 * processes once it is mostly ends. */
static int state_flush_now(sd_event_source *src, void *userdata) {
        sup_manager *m = userdata;
        size_t live = 0;
        FILE *f;

        (void) src;
        state_flush(m->state);
        if (m->state->lines < 1024 || m->state->lines < 4 * m->state_compacted + 1024)
                return 0;
        (void) manager_walk(m, count_live, &live);
        if (state_compact_begin(m->state, &f) < 0)
                return 0;
        (void) manager_walk(m, put_live, f);
        if (state_compact_end(m->state, f, live) >= 0)
                m->state_compacted = live;
        return 0;
}

static void state_schedule(sup_manager *m) {
        if (!m->state_flush) {
                if (sd_event_add_defer(m->event, &m->state_flush, state_flush_now, m) < 0 ||
                    sd_event_source_set_priority(m->state_flush, SD_EVENT_PRIORITY_IDLE) < 0) {
                        m->state_flush = sd_event_source_disable_unref(m->state_flush);
                        state_flush(m->state);  /* no source: at once */
                        return;
                }
        }
        (void) sd_event_source_set_enabled(m->state_flush, SD_EVENT_ONESHOT);
}

void state_note_started(sup_manager *m, sup_proc *p) {
        if (!m->state)
                return;
        state_started(m->state, p->pid, p->name);
        state_schedule(m);
}

void state_note_ended(sup_manager *m, pid_t pgid) {
        if (!m->state)
                return;
        state_ended(m->state, pgid);
        state_schedule(m);
}

