/* reload-plan.c - what a reload changes: a pure function from the old and
 * the new configuration to a plan (reload.h), with no processes and no
 * clock involved. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "supervisor/config/reload.h"

static const char *const key_names[_RELOAD_KEY_MAX] = {
        [RELOAD_KEY_STRATEGY] = "strategy",
        [RELOAD_KEY_INTENSITY] = "intensity",
        [RELOAD_KEY_PERIOD] = "period",
        [RELOAD_KEY_RESTART] = "restart",
        [RELOAD_KEY_ORDER] = "order",
        [RELOAD_KEY_COMMAND] = "command",
        [RELOAD_KEY_SHUTDOWN] = "shutdown",
        [RELOAD_KEY_STOP_SIGNAL] = "stop_signal",
        [RELOAD_KEY_BACKOFF] = "backoff",
        [RELOAD_KEY_BACKOFF_MAX] = "backoff_max",
        [RELOAD_KEY_READY] = "ready",
        [RELOAD_KEY_READY_DELAY] = "ready_delay",
        [RELOAD_KEY_START_TIMEOUT] = "start_timeout",
        [RELOAD_KEY_INSTANCES] = "instances",
        [RELOAD_KEY_MAILBOX] = "mailbox",
        [RELOAD_KEY_MESSAGE_MAX] = "message_max",
        [RELOAD_KEY_REDELIVER] = "redeliver",
        [RELOAD_KEY_HEALTH] = "health",
        [RELOAD_KEY_HEALTH_INTERVAL] = "health_interval",
        [RELOAD_KEY_HEALTH_TIMEOUT] = "health_timeout",
        [RELOAD_KEY_HEALTH_THRESHOLD] = "health_threshold",
        [RELOAD_KEY_HEALTH_GRACE] = "health_grace",
        [RELOAD_KEY_WATCHDOG] = "watchdog",
        [RELOAD_KEY_USER] = "user",
        [RELOAD_KEY_WORKDIR] = "workdir",
        [RELOAD_KEY_ENVIRONMENT] = "environment",
        [RELOAD_KEY_STDOUT] = "stdout",
        [RELOAD_KEY_STDERR] = "stderr",
        [RELOAD_KEY_LOG_ROTATION] = "log_max/log_keep",
        [RELOAD_KEY_LIMITS] = "limits",
};

static const char *const daemon_key_names[_RELOAD_DAEMON_MAX] = {
        [RELOAD_DAEMON_CONTROL] = "control",
        [RELOAD_DAEMON_CONTROL_GROUP] = "control_group",
        [RELOAD_DAEMON_EVENTS] = "events",
        [RELOAD_DAEMON_DEAD_LETTERS] = "dead_letters",
        [RELOAD_DAEMON_STATE_DIR] = "state_dir",
        [RELOAD_DAEMON_METRICS_LISTEN] = "metrics_listen",
        [RELOAD_DAEMON_CGROUP] = "cgroup",
};

static const char *const action_names[_RELOAD_ACTION_MAX] = {
        [RELOAD_KEEP] = "keep",
        [RELOAD_IN_PLACE] = "in-place",
        [RELOAD_RESTART] = "restart",
        [RELOAD_MOVE] = "move",
        [RELOAD_REMOVE] = "remove",
        [RELOAD_ADD] = "add",
};

const char *reload_key_to_string(reload_key k) {
        return k >= 0 && k < _RELOAD_KEY_MAX ? key_names[k] : NULL;
}

const char *reload_daemon_key_to_string(reload_daemon_key k) {
        return k >= 0 && k < _RELOAD_DAEMON_MAX ? daemon_key_names[k] : NULL;
}

const char *reload_action_to_string(reload_action a) {
        return a >= 0 && a < _RELOAD_ACTION_MAX ? action_names[a] : NULL;
}

/* What a process learns only when it is started. */
bool reload_key_restarts(reload_key k) {
        switch (k) {
        case RELOAD_KEY_COMMAND:
        case RELOAD_KEY_READY:          /* a notify socket, or none */
        case RELOAD_KEY_INSTANCES:
        case RELOAD_KEY_WATCHDOG:       /* WATCHDOG_USEC in its environment */
        case RELOAD_KEY_USER:
        case RELOAD_KEY_WORKDIR:
        case RELOAD_KEY_ENVIRONMENT:
        case RELOAD_KEY_STDOUT:
        case RELOAD_KEY_STDERR:
                return true;
        default:
                return false;
        }
}

void reload_keys_format(uint64_t mask, char *buf, size_t size) {
        size_t len = 0;

        if (size == 0)
                return;
        buf[0] = '\0';
        for (int k = 0; k < _RELOAD_KEY_MAX && len < size; k++)
                if (mask & (UINT64_C(1) << k))
                        len += (size_t) snprintf(buf + len, size - len, "%s%s", len ? ", " : "", key_names[k]);
}

static bool str_differs(const char *a, const char *b) {
        if (!a || !b)
                return a != b;
        return strcmp(a, b) != 0;
}

static bool watched(cfg_health h) {
        return h == CFG_HEALTH_WATCHDOG || h == CFG_HEALTH_HEARTBEAT;
}

#define DIFF(key, cond) do { if (cond) keys |= UINT64_C(1) << (key); } while (0)

/* The keys of a node that differ between A and B (of the same kind). */
static uint64_t node_keys(const cfg_node *a, const cfg_node *b) {
        uint64_t keys = 0;

        DIFF(RELOAD_KEY_RESTART, a->restart != b->restart);
        if (a->supervisor) {
                DIFF(RELOAD_KEY_STRATEGY, a->strategy != b->strategy);
                DIFF(RELOAD_KEY_INTENSITY, a->intensity != b->intensity);
                DIFF(RELOAD_KEY_PERIOD, a->period_usec != b->period_usec);
                return keys;
        }
        DIFF(RELOAD_KEY_COMMAND, str_differs(a->command, b->command));
        DIFF(RELOAD_KEY_SHUTDOWN, a->shutdown != b->shutdown || a->shutdown_usec != b->shutdown_usec);
        DIFF(RELOAD_KEY_STOP_SIGNAL, a->stop_signal != b->stop_signal);
        DIFF(RELOAD_KEY_BACKOFF, a->backoff_usec != b->backoff_usec);
        DIFF(RELOAD_KEY_BACKOFF_MAX, a->backoff_max_usec != b->backoff_max_usec);
        DIFF(RELOAD_KEY_READY, a->ready != b->ready);
        DIFF(RELOAD_KEY_READY_DELAY, a->ready == b->ready && a->ready_usec != b->ready_usec);
        DIFF(RELOAD_KEY_START_TIMEOUT, a->start_timeout_usec != b->start_timeout_usec);
        DIFF(RELOAD_KEY_INSTANCES, a->instances != b->instances);
        DIFF(RELOAD_KEY_MAILBOX, a->mailbox != b->mailbox);
        DIFF(RELOAD_KEY_MESSAGE_MAX, a->message_max != b->message_max);
        DIFF(RELOAD_KEY_REDELIVER, a->redeliver != b->redeliver);
        DIFF(RELOAD_KEY_HEALTH, a->health != b->health || str_differs(a->health_command, b->health_command));
        DIFF(RELOAD_KEY_HEALTH_INTERVAL, a->health_interval_usec != b->health_interval_usec);
        DIFF(RELOAD_KEY_HEALTH_TIMEOUT, a->health_timeout_usec != b->health_timeout_usec);
        DIFF(RELOAD_KEY_HEALTH_THRESHOLD, a->health_threshold != b->health_threshold);
        DIFF(RELOAD_KEY_HEALTH_GRACE, a->health_grace_usec != b->health_grace_usec);
        /* The watchdog's interval is in the child's environment. */
        DIFF(RELOAD_KEY_WATCHDOG, watched(a->health) != watched(b->health) ||
             (watched(a->health) && a->health_interval_usec != b->health_interval_usec));
        DIFF(RELOAD_KEY_USER, str_differs(a->user, b->user));
        DIFF(RELOAD_KEY_WORKDIR, str_differs(a->workdir, b->workdir));
        DIFF(RELOAD_KEY_ENVIRONMENT, str_differs(a->environment, b->environment));
        DIFF(RELOAD_KEY_STDOUT, a->out != b->out || str_differs(a->out_path, b->out_path));
        DIFF(RELOAD_KEY_STDERR, a->err != b->err || str_differs(a->err_path, b->err_path));
        DIFF(RELOAD_KEY_LOG_ROTATION, a->log_max != b->log_max || a->log_keep != b->log_keep);
        for (int k = 0; k < _CFG_LIMIT_MAX; k++) {
                const cfg_limit *x = &a->limits[k], *y = &b->limits[k];
                DIFF(RELOAD_KEY_LIMITS, x->set != y->set || (x->set && (x->infinity != y->infinity ||
                                                                        x->percent != y->percent ||
                                                                        x->value != y->value)));
        }
        return keys;
}

static bool keys_restart(uint64_t keys) {
        for (int k = 0; k < _RELOAD_KEY_MAX; k++)
                if ((keys & (UINT64_C(1) << k)) && reload_key_restarts(k))
                        return true;
        return false;
}

bool reload_group_restarts(const cfg_node *a, const cfg_node *b) {
        return !a->supervisor && keys_restart(node_keys(a, b));
}

static uint32_t daemon_keys(const cfg *a, const cfg *b) {
        uint32_t keys = 0;

#define DDIFF(key, cond) do { if (cond) keys |= UINT32_C(1) << (key); } while (0)
        DDIFF(RELOAD_DAEMON_CONTROL, str_differs(a->control, b->control));
        DDIFF(RELOAD_DAEMON_CONTROL_GROUP, str_differs(a->control_group, b->control_group));
        DDIFF(RELOAD_DAEMON_EVENTS, a->events != b->events);
        DDIFF(RELOAD_DAEMON_DEAD_LETTERS, a->dead_letters != b->dead_letters);
        DDIFF(RELOAD_DAEMON_STATE_DIR, str_differs(a->state_dir, b->state_dir));
        DDIFF(RELOAD_DAEMON_METRICS_LISTEN, str_differs(a->metrics_listen, b->metrics_listen));
        DDIFF(RELOAD_DAEMON_CGROUP, a->cgroup != b->cgroup);
#undef DDIFF
        return keys;
}

/* The node of the other file that is the same node as I of C: the same
 * name and kind, -1 if none.  The roots are each other. */
static int counterpart(const cfg *c, int i, const cfg *other) {
        int k;

        if (i == CFG_ROOT)
                return CFG_ROOT;
        k = cfg_find(other, c->nodes[i].name);
        if (k < 0 || k == CFG_ROOT || other->nodes[k].supervisor != c->nodes[i].supervisor)
                return -1;
        return k;
}

static int push(reload_plan *p, size_t *cap, reload_item it) {
        if (p->n == *cap) {
                size_t n = *cap ? *cap * 2 : 64;
                reload_item *a = reallocarray(p->items, n, sizeof(reload_item));
                if (!a)
                        return -ENOMEM;
                p->items = a;
                *cap = n;
        }
        p->items[p->n++] = it;
        p->count[it.action]++;
        return 0;
}

int reload_plan_build(const cfg *old, const cfg *new, reload_plan *ret) {
        _cleanup_free_ int *match = calloc(new->n_nodes, sizeof(int));      /* new index -> old, -1 */
        _cleanup_free_ int *last = NULL;
        _cleanup_free_ bool *reordered = NULL;
        reload_plan p = {};
        size_t cap = 0;
        int r;

        if (!match)
                return -ENOMEM;
        p.airsupd = daemon_keys(old, new);
        for (size_t i = 0; i < new->n_nodes; i++)
                match[i] = counterpart(new, (int) i, old);

        /* Removals: every old node without a counterpart, last first. */
        for (size_t i = old->n_nodes; i-- > 1;)
                if (counterpart(old, (int) i, new) < 0) {
                        r = push(&p, &cap, (reload_item) { .action = RELOAD_REMOVE, .old_index = (int) i,
                                                           .new_index = -1 });
                        if (r < 0)
                                goto fail;
                }

        /* The rest in the order of the new file.  A node moves when its
         * supervisor is another node than before: another name, or one
         * that is itself a new node. */
        for (size_t i = 1; i < new->n_nodes; i++) {
                reload_item it = { .old_index = match[i], .new_index = (int) i };
                const cfg_node *b = &new->nodes[i];

                if (it.old_index < 0)
                        it.action = RELOAD_ADD;
                else {
                        const cfg_node *a = &old->nodes[it.old_index];
                        int parent_then = match[b->parent];

                        it.keys = node_keys(a, b);
                        if (parent_then != a->parent)
                                it.action = RELOAD_MOVE;
                        else
                                it.action = keys_restart(it.keys) ? RELOAD_RESTART :
                                            it.keys ? RELOAD_IN_PLACE : RELOAD_KEEP;
                }
                r = push(&p, &cap, it);
                if (r < 0)
                        goto fail;
        }

        /* A supervisor whose kept children (neither added nor moved) come
         * in another order: their order changes in place.  One pass over
         * the new file, remembering per supervisor the old index of its
         * last kept child (a pass per supervisor was quadratic). */
        last = malloc(new->n_nodes * sizeof(int));
        reordered = calloc(new->n_nodes, sizeof(bool));
        if (!last || !reordered) {
                r = -ENOMEM;
                goto fail;
        }
        for (size_t k = 0; k < new->n_nodes; k++)
                last[k] = -1;
        for (size_t k = 1; k < new->n_nodes; k++) {
                int o = match[k], s = new->nodes[k].parent;

                if (o < 0 || s < 0 || match[s] < 0 || old->nodes[o].parent != match[s])
                        continue;
                if (o < last[s])
                        reordered[s] = true;
                last[s] = o;
        }
        for (size_t i = 0; i < p.n; i++) {
                reload_item *it = &p.items[i];

                if (it->new_index < 0 || it->old_index < 0 || !new->nodes[it->new_index].supervisor ||
                    !reordered[it->new_index])
                        continue;
                it->keys |= UINT64_C(1) << RELOAD_KEY_ORDER;
                if (it->action == RELOAD_KEEP) {
                        p.count[RELOAD_KEEP]--;
                        p.count[RELOAD_IN_PLACE]++;
                        it->action = RELOAD_IN_PLACE;
                }
        }
        /* The root too: its children's order, its strategy and intensity. */
        {
                uint64_t keys = node_keys(&old->nodes[CFG_ROOT], &new->nodes[CFG_ROOT]);

                if (reordered[CFG_ROOT])
                        keys |= UINT64_C(1) << RELOAD_KEY_ORDER;
                if (keys) {
                        r = push(&p, &cap, (reload_item) { .action = RELOAD_IN_PLACE, .old_index = CFG_ROOT,
                                                           .new_index = CFG_ROOT, .keys = keys });
                        if (r < 0)
                                goto fail;
                }
        }
        *ret = p;
        return 0;
fail:
        reload_plan_done(&p);
        return r;
}

void reload_plan_done(reload_plan *p) {
        free(p->items);
        *p = (reload_plan) {};
}
