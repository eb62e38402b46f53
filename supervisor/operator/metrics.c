/* metrics.c - airsupd's figures: gathered from the tree, the lanes and
 * the cgroups at each call (nothing is kept between scrapes), given one
 * sample at a time to a metrics_sample_fn, or rendered as Prometheus'
 * text format. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/float-text.h"
#include "supervisor/core/manager.h"
#include "supervisor/core/memory.h"
#include "supervisor/core/proc.h"
#include "supervisor/messages/broker.h"
#include "supervisor/messages/inbox.h"
#include "supervisor/messages/broker-actors.h"
#include "supervisor/operator/metrics.h"
#include "supervisor/operator/proc-query.h"
#include "supervisor/start/cgroup.h"
#include "supervisor/watch/notify.h"
#include "supervisor/watch/probe-proc.h"
#include "supervisor/watch/probe.h"

typedef struct metrics_walk {
        metrics_sample_fn fn;
        void *userdata;
        const char *node;               /* metrics_source's: NULL, or the one node */
        uint64_t now;
        unsigned family;                /* one metric at a time: the text format groups samples */
        /* Each process's mailbox figures, read from its lanes once per
         * scrape (in the first mailbox family), in walk order. */
        struct { shm_lane_stats st; unsigned lanes; } *mb;
        size_t mb_n, mb_i;
        /* Each process's cgroup figures, read once per scrape likewise
         * (in M_CG_INFO). */
        struct { cgroup_figures f; bool ok; } *cg;
        size_t cg_n, cg_i;
        /* Each process's actor totals likewise (in M_ACT_ACTORS), from
         * the table it published; ok false for none. */
        struct { act_table_hdr t; bool ok; } *act;
        size_t act_n, act_i;
} metrics_walk;

static const struct {
        const char *name, *type, *help;
} metric_defs[] = {
        { "airsup_node_up", "gauge", "1 when the supervisor or group is up (its processes may be restarting)" },
        { "airsup_node_held", "gauge", "1 when an operator stopped the node and holds it down" },
        { "airsup_process_ready", "gauge", "1 when the process is ready" },
        { "airsup_process_restarts_total", "counter",
          "Restarts of the process by its supervisor since airsupd started (not the operator's starts)" },
        { "airsup_process_starts_total", "counter",
          "Starts of the process since airsupd started: the first, its supervisor's restarts, the operator's" },
        { "airsup_process_uptime_seconds", "gauge", "Seconds since the running process started, 0 when down" },
        { "airsup_process_last_exit_code", "gauge",
          "Exit status of the last exit, 128+N after signal N, -1 for a failed start or none" },
        { "airsup_process_pid", "gauge", "Process id of the main process, 0 when down" },
        { "airsup_process_start_latency_seconds", "gauge",
          "Seconds from the fork of its last start to its readiness, 0 until it was ready once" },
        { "airsup_process_health", "gauge", "0 not probed, 1 healthy, 2 degraded, 3 failed its health probes" },
        { "airsup_process_probe_failures_total", "counter", "Health probes of the process that failed" },
        { "airsup_process_probes_total", "counter", "Health probes of the process (and WATCHDOG=1s) since airsupd started" },
        { "airsup_mailbox_lanes", "gauge", "Lanes into the process's mailbox (one per sender)" },
        { "airsup_mailbox_depth", "gauge", "Messages waiting in the process's mailbox" },
        { "airsup_mailbox_hwm_bytes", "gauge", "The most bytes one of its lanes held waiting" },
        { "airsup_mailbox_sent_total", "counter", "Messages sent into the process's mailbox" },
        { "airsup_mailbox_received_total", "counter", "Messages the process received and committed" },
        { "airsup_mailbox_dropped_total", "counter", "Messages dropped by senders at a full lane" },
        { "airsup_mailbox_expired_total", "counter", "Messages dropped at receive, past their deadline" },
        { "airsup_mailbox_errors_total", "counter", "Garbled records and lanes found in its mailbox" },
        { "airsup_mailbox_dead_letters_total", "counter", "Messages taken off its lanes as dead letters" },
        { "airsup_actors", "gauge", "Live actors inside the process, as it published them" },
        { "airsup_actor_supervisors", "gauge", "Live supervisors inside the process, its root included" },
        { "airsup_actor_messages_total", "counter", "Messages its actors handled" },
        { "airsup_actor_failures_total", "counter", "Handler errors and failed starts of its actors" },
        { "airsup_actor_restarts_total", "counter", "Actors restarted inside the process" },
        { "airsup_actor_escalations_total", "counter", "Supervisors inside the process that gave up" },
        { "airsup_actor_dead_letters_total", "counter", "Messages to no actor of the process" },
        { "airsup_actor_queued", "gauge", "Messages waiting in its actors' mailboxes" },
        { "airsup_process_cgroup_info", "gauge", "1 for each process with a cgroup; the path is its label" },
        { "airsup_process_cpu_seconds_total", "counter", "CPU time of every process in its cgroup (cpu.stat)" },
        { "airsup_process_memory_bytes", "gauge", "Memory charged to its cgroup (memory.current)" },
        { "airsup_process_tasks", "gauge", "Tasks in its cgroup (pids.current)" },
        { "airsup_process_oom_kills_total", "counter", "Processes of its cgroup the OOM killer took" },
        { "airsup_process_reported", "gauge",
          "Figures the process reported itself (AIRSUP_COUNTERS=, airsup.conf(5)); name is its own" },
};

enum { M_UP, M_HELD, M_READY, M_RESTARTS, M_STARTS, M_UPTIME, M_EXIT, M_PID, M_LATENCY, M_HEALTH, M_PROBE_FAILURES, M_PROBES, M_MB_LANES, M_MB_DEPTH, M_MB_HWM,
       M_MB_SENT, M_MB_RECEIVED, M_MB_DROPPED, M_MB_EXPIRED, M_MB_ERRORS, M_MB_DEAD, M_ACT_ACTORS, M_ACT_SUPERVISORS,
       M_ACT_MESSAGES, M_ACT_FAILURES, M_ACT_RESTARTS, M_ACT_ESCALATIONS, M_ACT_DEAD, M_ACT_QUEUED, M_CG_INFO, M_CG_CPU, M_CG_MEMORY,
       M_CG_TASKS, M_CG_OOM, M_REPORTED };

static int sample(metrics_walk *w, const char *name, const char *type, const char *help, const char *labels,
                  double v) {
        return w->fn(name, type, help, labels, v, w->userdata);
}

static int metric(metrics_walk *w, unsigned id, const char *labels, double v) {
        return sample(w, metric_defs[id].name, metric_defs[id].type, metric_defs[id].help, labels, v);
}

/* A label value, escaped as the text format wants (\, " and newline). */
static void label(char *buf, size_t size, const char *key, const char *value, const char *key2, const char *value2) {
        size_t k = 0;

        for (unsigned pass = 0; pass < 2; pass++) {
                const char *kk = pass ? key2 : key, *v = pass ? value2 : value;
                if (!kk)
                        break;
                k += (size_t) snprintf(buf + k, size - k, "%s%s=\"", pass ? "," : "", kk);
                for (; *v && k + 3 < size; v++) {
                        if (*v == '\\' || *v == '"' || *v == '\n')
                                buf[k++] = '\\';
                        buf[k++] = *v == '\n' ? 'n' : *v;
                }
                k += (size_t) snprintf(buf + k, size - k, "\"");
        }
}

static int metrics_cgroup(metrics_walk *w, sup_node *n, const sup_proc *p);

/* The actor families: only processes that published a table. */
static int metrics_actors(metrics_walk *w, sup_node *n, const sup_proc *p) {
        const act_table_hdr *t;
        char l[256];

        if (w->family == M_ACT_ACTORS) {
                void *a = reallocarray(w->act, w->act_n + 1, sizeof(*w->act));
                if (!a)
                        return -ENOMEM;
                w->act = a;
                w->act[w->act_n].ok = broker_actors_totals(p, &w->act[w->act_n].t) >= 0;
                w->act_n++;
        }
        if (w->act_i >= w->act_n)
                return -EIO;                    /* the tree changed under the walk: cannot happen */
        if (!w->act[w->act_i++].ok)
                return 0;
        t = &w->act[w->act_i - 1].t;
        const uint64_t vals[] = { t->actors, t->supervisors, t->processed, t->failures, t->restarts, t->escalations,
                                  t->dead_letters, t->queued };
        label(l, sizeof(l), "process", p->name, "group", n->cfg->name);
        return metric(w, w->family, l, (double) vals[w->family - M_ACT_ACTORS]);
}

/* Whether N is NAME, or holds the process (instance) of that name. */
static bool node_wanted(const sup_node *n, const char *name) {
        if (strcmp(n->cfg->name, name) == 0)
                return true;
        for (size_t i = 0; i < n->n_procs; i++)
                if (strcmp(n->procs[i].name, name) == 0)
                        return true;
        return false;
}

static int metrics_node(sup_node *n, unsigned depth, void *userdata) {
        metrics_walk *w = userdata;
        char l[256];
        int r = 0;

        (void) depth;
        if (w->node && !node_wanted(n, w->node))
                return 0;
        if (w->family == M_UP || w->family == M_HELD) {
                label(l, sizeof(l), "node", n->cfg->name, "kind", n->cfg->supervisor ? "supervisor" : "group");
                return metric(w, w->family, l, w->family == M_UP ? n->state == NODE_UP : n->held);
        }
        for (size_t i = 0; r >= 0 && i < n->n_procs; i++) {
                const sup_proc *p = &n->procs[i];
                int start_error;

                if (w->family == M_REPORTED) {
                        const notify_counter *c;
                        unsigned k = notify_counters(p, &c);

                        for (unsigned j = 0; r >= 0 && j < k; j++) {
                                size_t len;

                                label(l, sizeof(l), "process", p->name, "group", n->cfg->name);
                                len = strlen(l);
                                label(l + len, sizeof(l) - len, ",name", c[j].name, NULL, NULL);
                                r = metric(w, w->family, l, (double) c[j].value);
                        }
                        continue;
                }
                if (w->family >= M_CG_INFO) {
                        r = metrics_cgroup(w, n, p);
                        continue;
                }
                if (w->family >= M_ACT_ACTORS) {
                        r = metrics_actors(w, n, p);
                        continue;
                }
                const sup_exit *x = query_last_exit(p, &start_error);
                double v;

                switch (w->family) {
                case M_READY:
                        v = p->state == PROC_READY;
                        break;
                case M_RESTARTS:
                        v = p->restarts;
                        break;
                case M_STARTS:
                        v = p->incarnation;
                        break;
                case M_UPTIME:
                        v = (double) query_proc_uptime(p, w->now) / 1e6;
                        break;
                case M_EXIT:
                        v = start_error || x->code == 0 ? -1 : x->code == CLD_EXITED ? x->status : 128 + x->status;
                        break;
                case M_LATENCY:
                        v = (double) p->start_latency_usec / 1e6;
                        break;
                case M_HEALTH:
                        v = probe_health(p);
                        break;
                case M_PROBE_FAILURES:
                        v = p->probe ? (double) p->probe->failures_total : 0;
                        break;
                case M_PROBES:
                        v = p->probe ? (double) p->probe->total : 0;
                        break;
                case M_MB_LANES ... M_MB_DEAD: {
                        if (w->family == M_MB_LANES) {
                                void *a = reallocarray(w->mb, w->mb_n + 1, sizeof(*w->mb));
                                if (!a)
                                        return -ENOMEM;
                                w->mb = a;
                                w->mb[w->mb_n].lanes = broker_mailbox_stats(p, &w->mb[w->mb_n].st);
                                w->mb_n++;
                        }
                        if (w->mb_i >= w->mb_n)
                                return -EIO;            /* the tree changed under the walk: cannot happen */
                        const shm_lane_stats *st = &w->mb[w->mb_i].st;
                        const uint64_t vals[] = { w->mb[w->mb_i].lanes, st->depth, st->hwm_bytes, st->sent,
                                                  st->received, st->dropped, st->expired, st->errors, st->dead };
                        w->mb_i++;
                        v = (double) vals[w->family - M_MB_LANES];
                        break;
                }
                default:
                        v = query_proc_running(p) ? p->pid : 0;
                        break;
                }
                label(l, sizeof(l), "process", p->name, "group", n->cfg->name);
                r = metric(w, w->family, l, v);
        }
        return r < 0 ? r : 0;
}

/* The cgroup families: only processes that have one, and only the
 * figures their controllers give. */
static int metrics_cgroup(metrics_walk *w, sup_node *n, const sup_proc *p) {
        const cgroup_figures *f;
        char l[PATH_MAX + 256];
        size_t k;

        if (w->family == M_CG_INFO) {
                void *a = reallocarray(w->cg, w->cg_n + 1, sizeof(*w->cg));
                if (!a)
                        return -ENOMEM;
                w->cg = a;
                w->cg[w->cg_n].ok = cgroup_figures_read(p, &w->cg[w->cg_n].f) >= 0;
                w->cg_n++;
        }
        if (w->cg_i >= w->cg_n)
                return -EIO;                    /* the tree changed under the walk: cannot happen */
        f = &w->cg[w->cg_i].f;
        if (!w->cg[w->cg_i++].ok)
                return 0;
        label(l, sizeof(l), "process", p->name, "group", n->cfg->name);
        switch (w->family) {
        case M_CG_INFO:
                k = strlen(l);
                label(l + k, sizeof(l) - k, ",cgroup", p->cgroup.path, NULL, NULL);
                return metric(w, w->family, l, 1);
        case M_CG_CPU:
                return f->has_cpu ? metric(w, w->family, l, (double) f->cpu_usec / 1e6) : 0;
        case M_CG_MEMORY:
                return f->has_memory ? metric(w, w->family, l, (double) f->memory_bytes) : 0;
        case M_CG_TASKS:
                return f->has_pids ? metric(w, w->family, l, (double) f->pids) : 0;
        default:
                return f->has_memory ? metric(w, w->family, l, (double) f->oom_kills) : 0;
        }
}

static int running_procs(sup_node *n, unsigned depth, void *userdata) {
        size_t *k = userdata;

        (void) depth;
        for (size_t i = 0; i < n->n_procs; i++)
                *k += query_proc_running(&n->procs[i]);
        return 0;
}

/* airsupd's own figures from /proc/self. */
static void self_figures(double *fds, double *rss) {
        long size = 0, pages = 0;
        FILE *f = fopen("/proc/self/statm", "re");
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;

        *fds = 0;
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        (*fds)++;
        if (d)
                closedir(d);
        if (f && fscanf(f, "%ld %ld", &size, &pages) == 2)
                *rss = (double) pages * (double) sysconf(_SC_PAGESIZE);
        else
                *rss = 0;
        if (f)
                fclose(f);
}

int metrics_collect(const metrics_source *s, metrics_sample_fn fn, void *userdata) {
        metrics_walk walk = { .fn = fn, .userdata = userdata, .node = s->node }, *w = &walk;
        sup_manager *m = s->m;
        size_t running = 0;
        double fds, rss;
        /* Before this walk allocates anything of its own. */
        uint64_t mem[_MEM_PART_MAX];
        int r = 0;

        manager_memory(m, mem);
        w->now = now_usec();
        for (w->family = 0; r >= 0 && w->family < ELEMENTSOF(metric_defs); w->family++) {
                w->mb_i = w->cg_i = w->act_i = 0;
                r = manager_walk(m, metrics_node, w);
        }
        free(w->mb);
        w->mb = NULL;
        w->mb_n = 0;
        free(w->cg);
        w->cg = NULL;
        w->cg_n = 0;
        free(w->act);
        if (s->node)
                return r;
        (void) manager_walk(m, running_procs, &running);
        self_figures(&fds, &rss);
        if (r >= 0)
                r = sample(w, "airsupd_events_total", "counter", "Events airsupd emitted since it started", "",
                           (double) m->events.seq);
        if (r >= 0)
                r = sample(w, "airsupd_children", "gauge", "Supervised processes running now", "", (double) running);
        if (r >= 0)
                r = sample(w, "airsupd_open_fds", "gauge", "File descriptors airsupd holds", "", fds);
        if (r >= 0)
                r = sample(w, "airsupd_resident_memory_bytes", "gauge", "airsupd's resident memory", "", rss);
        if (r >= 0) {
                static const char *const help = "airsupd's heap in use, by the part that holds it (other: what none of them does)";

                for (int p = 0; r >= 0 && p < _MEM_PART_MAX; p++) {
                        char label[32];

                        snprintf(label, sizeof(label), "part=\"%s\"", mem_part_to_string(p));
                        r = sample(w, "airsupd_memory_bytes", "gauge", help, label, (double) mem[p]);
                }
        }
        if (r >= 0)
                r = sample(w, "airsupd_control_clients", "gauge", "Connections to the control socket", "",
                           (double) (s->control_clients ? s->control_clients(s->userdata) : 0));
        if (r >= 0)
                r = sample(w, "airsupd_cgroups", "gauge", "1 when every group instance has a cgroup of its own", "",
                           m->cgroup ? 1 : 0);
        if (r >= 0)
                r = sample(w, "airsupd_group_polls_total", "counter",
                           "Times a process group was polled to learn it emptied (never with cgroups)", "",
                           (double) m->group_polls);
        if (r >= 0)
                r = sample(w, "airsupd_reloads_total", "counter", "Reloads of the configuration, by outcome",
                           "result=\"applied\"", (double) m->reloads_applied);
        if (r >= 0)
                r = sample(w, "airsupd_reloads_total", "counter", "Reloads of the configuration, by outcome",
                           "result=\"failed\"", (double) m->reloads_failed);
        if (r >= 0) {
                inbox_stats in;
                static const char *const help = "What came into airsupd's own mailbox (airsupctl request and subscribe), by kind";

                inbox_get_stats(m, &in);
                r = sample(w, "airsupd_inbox_messages_total", "counter", help, "kind=\"reply\"", (double) in.replies);
                if (r >= 0)
                        r = sample(w, "airsupd_inbox_messages_total", "counter", help, "kind=\"late_reply\"",
                                   (double) in.late_replies);
                if (r >= 0)
                        r = sample(w, "airsupd_inbox_messages_total", "counter", help, "kind=\"published\"",
                                   (double) in.published);
                if (r >= 0)
                        r = sample(w, "airsupd_inbox_messages_total", "counter", help, "kind=\"dropped\"",
                                   (double) in.dropped);
                if (r >= 0)
                        r = sample(w, "airsupd_inbox_messages_total", "counter", help, "kind=\"garbled\"",
                                   (double) in.garbled);
                if (r >= 0)
                        r = sample(w, "airsupd_inbox_lanes", "gauge", "Lanes into airsupd's own mailbox (one per sending instance)", "",
                                   (double) in.lanes);
        }
        return r;
}

/* The text format: each family's HELP and TYPE once, before its first
 * sample (a family's samples come together). */
typedef struct text_sink {
        FILE *f;
        const char *last;               /* the family whose HELP was written */
} text_sink;

static int text_sample(const char *name, const char *type, const char *help, const char *labels, double v,
                       void *userdata) {
        text_sink *t = userdata;
        char num[32];

        if (!t->last || strcmp(t->last, name) != 0)
                fprintf(t->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
        t->last = name;
        fprintf(t->f, "%s%s%s%s %s\n", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "",
                float_text(v, num, sizeof(num)));
        return 0;
}

int metrics_text(const metrics_source *s, char **ret, size_t *ret_len) {
        text_sink t = {};
        char *buf = NULL;
        size_t len = 0;
        int r;

        t.f = open_memstream(&buf, &len);
        if (!t.f)
                return -ENOMEM;
        r = metrics_collect(s, text_sample, &t);
        if (fclose(t.f) != 0 || r < 0) {
                free(buf);
                return r < 0 ? r : -ENOMEM;
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}
