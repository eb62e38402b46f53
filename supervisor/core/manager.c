/* manager.c - the manager: its life (new, start, shutdown, forced kill,
 * free), the tree it builds from the configuration, the environment
 * children start from, SIGCHLD's reaping, the status and log reopening of
 * SIGUSR1, and the glue to the deployment's state file (state.c).  The
 * tree's decisions are sup.c's. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "supervisor/config/reload.h"
#include "supervisor/core/manager.h"
#include "supervisor/core/proc.h"
#include "supervisor/core/state.h"
#include "supervisor/core/tree-internal.h"
#include "supervisor/messages/broker.h"
#include "supervisor/messages/inbox.h"
#include "supervisor/messages/interest.h"
#include "supervisor/messages/registry.h"
#include "supervisor/output/logsink.h"
#include "supervisor/start/cgroup.h"
#include "supervisor/start/closer.h"
#include "supervisor/start/spawner.h"
#include "supervisor/watch/probe.h"

extern char **environ;

/* Builds the live tree from the configuration: children in file order. */
static int tree_build(sup_manager *m) {
        cfg *c = m->cfg;
        _cleanup_free_ sup_node **by_index = calloc(c->n_nodes, sizeof(sup_node *));

        if (!by_index)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_nodes; i++) {
                by_index[i] = node_new(m, &c->nodes[i], NULL);
                if (!by_index[i]) {
                        for (size_t k = 0; k < i; k++)
                                if (!by_index[k]->parent && k != CFG_ROOT)
                                        node_free(by_index[k]);
                        node_free(by_index[CFG_ROOT]);
                        return -ENOMEM;
                }
        }
        m->root = by_index[CFG_ROOT];
        for (size_t i = 1; i < c->n_nodes; i++) {
                sup_node *parent = by_index[c->nodes[i].parent];
                by_index[i]->parent = parent;
                if (node_add_child(parent, by_index[i]) < 0) {
                        /* Free what is not linked yet; the rest goes with the root. */
                        for (size_t k = i; k < c->n_nodes; k++)
                                node_free(by_index[k]);
                        return -ENOMEM;
                }
        }
        for (size_t i = 0; i < c->n_nodes; i++)
                if (names_put(m, by_index[i]) < 0)
                        return -ENOMEM;
        return 0;
}


/* The environment children start from: airsupd's own, less what belongs to
 * airsupd's supervisor (its notify socket, its sockets, its watchdog). */
static int base_env_build(char ***ret) {
        static const char *const drop[] = {
                "NOTIFY_SOCKET=", "LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES=",
                "WATCHDOG_USEC=", "WATCHDOG_PID=", "AIRSUP_",
        };
        size_t n = 0;
        char **env = calloc(1, sizeof(char *));

        if (!env)
                return -ENOMEM;
        for (char **e = environ; e && *e; e++) {
                bool skip = false;
                for (size_t i = 0; i < ELEMENTSOF(drop); i++)
                        if (strncmp(*e, drop[i], strlen(drop[i])) == 0)
                                skip = true;
                if (skip)
                        continue;
                char **a = reallocarray(env, n + 2, sizeof(char *));
                if (!a) {
                        strv_free(env);
                        return -ENOMEM;
                }
                env = a;
                env[n] = strdup(*e);
                if (!env[n]) {
                        strv_free(env);
                        return -ENOMEM;
                }
                env[++n] = NULL;
        }
        *ret = env;
        return 0;
}

/* Takes C whatever happens: on failure it is freed with the rest. */
int manager_new(cfg *c, sd_event *e, sup_log_target log, bool debug, bool subreaper, sup_manager **ret) {
        _cleanup_(manager_freep) sup_manager *m = NULL;
        int r;

        m = calloc(1, sizeof(sup_manager));
        if (!m) {
                cfg_free(c);
                return -ENOMEM;
        }
        /* From here on manager_free() copes with whatever is set. */
        m->cfg = c;
        m->event = sd_event_ref(e);
        m->subreaper = subreaper;
        m->closer_fd = -EBADF;
        m->spawner_fd = -EBADF;
        m->iomux_fd = -EBADF;
        m->proc_ops = &proc_ops_real;
        m->report = proc_on_report;
        m->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (m->null_fd < 0)
                return -errno;
        r = sup_events_init(&m->events, c->events, log, debug);
        if (r < 0)
                return r;
        r = sup_window_init(&m->shutdown_signals, 3);
        if (r < 0)
                return r;
        r = base_env_build(&m->base_env);
        if (r < 0)
                return r;
        r = runq_init(m, tree_upcall_handle);
        if (r < 0)
                return r;
        r = tree_build(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

sup_manager *manager_free(sup_manager *m) {
        if (!m)
                return NULL;
        node_free(m->root);
        free(m->by_name);
        reload_free(m);
        broker_dead_free(m);
        registry_free(m);
        interest_free(m);
        inbox_free(m);
        runq_done(m);
        m->state_flush = sd_event_source_disable_unref(m->state_flush);
        state_flush(m->state);
        sup_closer_stop(m, /* kill_it= */ false);
        sup_spawner_free(m);
        cgroup_teardown(m);
        cfg_free(m->cfg);
        strv_free(m->base_env);
        sup_window_done(&m->shutdown_signals);
        safe_close(m->null_fd);
        iomux_done(m);
        probe_dues_done(m);
        sup_events_done(&m->events);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

static int log_node(sup_node *n, unsigned depth, void *userdata) {
        sup_manager *m = userdata;

        sup_log(&m->events, LOG_INFO, "status %*s%s %s %s%s", (int) depth * 2, "", n->cfg->supervisor ?
                "supervisor" : "group", n->cfg->name, node_state_to_string(n->state), n->held ? " held" : "");
        for (size_t i = 0; i < n->n_procs; i++) {
                const sup_proc *p = &n->procs[i];
                sup_log(&m->events, LOG_INFO, "status %*s%s %s pid=%d incarnation=%u", (int) depth * 2 + 2, "",
                        p->name, proc_state_to_string(p->state), (int) p->pid, p->incarnation);
        }
        return 0;
}

void manager_log_status(sup_manager *m) {
        (void) manager_walk(m, log_node, m);
}

static int reopen_node(sup_node *n, unsigned depth, void *userdata) {
        (void) depth;
        (void) userdata;
        for (size_t i = 0; i < n->n_procs; i++) {
                log_sink_reopen(n->procs[i].sink_out);
                if (n->procs[i].sink_err != n->procs[i].sink_out)
                        log_sink_reopen(n->procs[i].sink_err);
        }
        return 0;
}

void manager_reopen_logs(sup_manager *m) {
        (void) manager_walk(m, reopen_node, NULL);
}

void manager_start(sup_manager *m) {
        node_start(m->root);
        manager_check_ready(m);
}

void manager_shutdown(sup_manager *m, int exit_status) {
        if (m->shutting_down)
                return;
        m->shutting_down = true;
        m->exit_status = exit_status;
        reload_abort(m);
        node_emit(m->root, SUP_EVENT_SHUTDOWN, LOG_NOTICE);
        (void) sd_notify(false, "STOPPING=1");
        /* A root that is already stopping (it gave up) finishes as it is. */
        if (node_stopping(m->root))
                return;
        node_stop(m->root);
}

static void kill_all(sup_node *n) {
        for (size_t i = n->n_children; i-- > 0;)
                kill_all(n->children[i]);
        for (size_t i = n->n_procs; i-- > 0;) {
                sup_proc *p = &n->procs[i];
                if (!p->main_alive && p->pgid <= 0)
                        continue;
                node_proc_event(p, SUP_EVENT_KILLING, LOG_WARNING);
                if (p->cgroup.fd >= 0) {
                        cgroup_signal(p, SIGKILL);
                        continue;
                }
                if (p->main_alive && p->pidfd >= 0)
                        (void) pidfd_send_signal(p->pidfd, SIGKILL, NULL, 0);
                if (p->pgid > 0)
                        (void) kill(-p->pgid, SIGKILL);
        }
}

/* A forced shutdown: SIGKILL to every process of every group, and out.
 * Their exits are not waited for; the exit status says it was forced. */
void manager_kill_all(sup_manager *m) {
        kill_all(m->root);
        sd_event_exit(m->event, 1);
}

static void group_check_all(sup_node *n) {
        for (size_t i = 0; i < n->n_children; i++)
                group_check_all(n->children[i]);
        for (size_t i = 0; i < n->n_procs; i++)
                proc_group_check(&n->procs[i]);
}

/* SIGCHLD: collect every exited child.  A supervised main process is handed
 * to its proc (whose pidfd may not have been seen yet); anything else is an
 * orphan that was reparented to us as a subreaper or PID 1. */
void manager_reap(sup_manager *m) {
        bool orphans = false;

        for (;;) {
                siginfo_t si = {};
                sup_proc *p;

                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
                        break;
                p = manager_find_pid(m, si.si_pid);
                if (p && proc_main_exited(p))
                        continue;
                p = probe_find_pid(m, si.si_pid);
                if (p && probe_exited(p))
                        continue;
                (void) waitid(P_PID, (id_t) si.si_pid, &si, WEXITED | WNOHANG);
                orphans = true;
                sup_log(&m->events, LOG_DEBUG, "reaped orphan %d", (int) si.si_pid);
        }
        if (orphans)
                group_check_all(m->root);
}

