/* runq.c - the run queue: the upcalls procs and supervisors report, in
 * order, handed to the tree (the handler runq_init() was given: sup.c's) from a defer
 * source, never by recursion; see tree-internal.h.  It knows nothing of
 * what an upcall means: only how to keep, run and forget them, and the
 * hooks (runq.h) to call once they were all handled. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "supervisor/core/runq.h"
#include "supervisor/core/tree-internal.h"

/* A hook may remove itself, or another, or add one: those called are the
 * ones there when the queue ran dry, each if still there when its turn
 * comes.  What a hook queues runs at the loop's next turn. */
static void run_hooks(sup_manager *m) {
        typeof(m->runq_hooks) hooks;
        size_t n = m->n_runq_hooks;

        memcpy(hooks, m->runq_hooks, sizeof(hooks));
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < m->n_runq_hooks; k++)
                        if (m->runq_hooks[k].fn == hooks[i].fn && m->runq_hooks[k].userdata == hooks[i].userdata) {
                                hooks[i].fn(m, hooks[i].userdata);
                                break;
                        }
}

static int runq_run(sd_event_source *src, void *userdata) {
        sup_manager *m = userdata;

        (void) src;
        while (m->up_n > 0) {
                sup_upcall u = m->upcalls[m->up_head];

                m->up_head = (m->up_head + 1) % m->up_cap;
                m->up_n--;
                m->upcall_handle(&u);
        }
        run_hooks(m);
        return 0;
}

void runq_push(sup_manager *m, sup_upcall u) {
        if (m->up_n == m->up_cap) {
                size_t cap = m->up_cap ? m->up_cap * 2 : 64;
                sup_upcall *a = calloc(cap, sizeof(sup_upcall));

                if (!a) {
                        /* Nothing to queue it in: handle it now rather than lose it. */
                        sup_log(&m->events, LOG_CRIT, "out of memory for the run queue, acting at once");
                        m->upcall_handle(&u);
                        return;
                }
                for (size_t i = 0; i < m->up_n; i++)
                        a[i] = m->upcalls[(m->up_head + i) % m->up_cap];
                free(m->upcalls);
                m->upcalls = a;
                m->up_cap = cap;
                m->up_head = 0;
        }
        m->upcalls[(m->up_head + m->up_n) % m->up_cap] = u;
        m->up_n++;
        runq_wake(m);
}

void runq_forget(sup_manager *m, bool (*match)(const sup_upcall *u, void *userdata), void *userdata) {
        for (size_t i = 0; i < m->up_n; i++) {
                sup_upcall *u = &m->upcalls[(m->up_head + i) % m->up_cap];

                if (u->kind != UPCALL_NONE && match(u, userdata))
                        u->kind = UPCALL_NONE;
        }
        /* What was forgotten at the end of the queue goes: a node that
         * leaves right after it reported itself down (a reload removing
         * thousands) must not leave the queue longer for the next. */
        while (m->up_n > 0 && m->upcalls[(m->up_head + m->up_n - 1) % m->up_cap].kind == UPCALL_NONE)
                m->up_n--;
}

int runq_init(sup_manager *m, void (*handle)(const sup_upcall *u)) {
        int r = sd_event_add_defer(m->event, &m->run_queue, runq_run, m);

        if (r < 0)
                return r;
        m->upcall_handle = handle;
        return sd_event_source_set_enabled(m->run_queue, SD_EVENT_OFF);
}

void runq_done(sup_manager *m) {
        m->run_queue = sd_event_source_disable_unref(m->run_queue);
        free(m->upcalls);
        m->upcalls = NULL;
        m->up_n = m->up_cap = m->up_head = 0;
}

int runq_hook_add(sup_manager *m, runq_hook_fn fn, void *userdata) {
        for (size_t k = 0; k < m->n_runq_hooks; k++)
                if (m->runq_hooks[k].fn == fn && m->runq_hooks[k].userdata == userdata)
                        return 0;
        if (m->n_runq_hooks >= RUNQ_HOOKS_MAX)
                return -ENOSPC;
        m->runq_hooks[m->n_runq_hooks].fn = fn;
        m->runq_hooks[m->n_runq_hooks].userdata = userdata;
        m->n_runq_hooks++;
        return 0;
}

void runq_hook_remove(sup_manager *m, runq_hook_fn fn, void *userdata) {
        for (size_t k = 0; k < m->n_runq_hooks; k++)
                if (m->runq_hooks[k].fn == fn && m->runq_hooks[k].userdata == userdata) {
                        memmove(&m->runq_hooks[k], &m->runq_hooks[k + 1],
                                (m->n_runq_hooks - k - 1) * sizeof(m->runq_hooks[0]));
                        m->n_runq_hooks--;
                        return;
                }
}

void runq_wake(sup_manager *m) {
        if (m->run_queue)
                (void) sd_event_source_set_enabled(m->run_queue, SD_EVENT_ONESHOT);
}
