/* show.c - airsupctl's verbs that read: status (with a node's mailbox,
 * cgroup and last events), tree, metrics, dead-letters. */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "common/control-proto.h"
#include "common/float-text.h"
#include "ctl/airsupctl.h"

typedef struct row {
        const char *name, *kind, *state, *parent, *held, *last_exit, *status, *health;
        uint32_t pid, restarts;
        uint64_t uptime_usec, exited_usec;
        int ready;
} row;

/* Status(NAMES) into ROWS (pointing into *RET_REPLY). */
static int get_status(sd_bus *bus, char **names, sd_bus_message **ret_reply, row **ret_rows, size_t *ret_n) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        row *rows = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, NULL, CONTROL_PATH, CONTROL_IFACE, "Status");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, names);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &e, &reply);
        sd_bus_message_unref(m);
        if (r < 0) {
                r = call_error(&e, r);
                sd_bus_error_free(&e);
                return -r;
        }
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_STATUS_ROW);
        while (r >= 0) {
                row x = {};
                r = sd_bus_message_read(reply, CONTROL_STATUS_ROW, &x.name, &x.kind, &x.state, &x.parent, &x.held, &x.pid,
                                        &x.uptime_usec, &x.restarts, &x.ready, &x.last_exit, &x.exited_usec,
                                        &x.status, &x.health);
                if (r <= 0)
                        break;
                row *a = reallocarray(rows, n + 1, sizeof(row));
                if (!a) {
                        r = -ENOMEM;
                        break;
                }
                rows = a;
                rows[n++] = x;
        }
        if (r < 0) {
                fprintf(stderr, "airsupctl: bad reply from airsupd: %s\n", strerror(-r));
                free(rows);
                sd_bus_message_unref(reply);
                return -EXIT_FAILED;
        }
        *ret_reply = reply;
        *ret_rows = rows;
        *ret_n = n;
        return 0;
}

static void format_duration(uint64_t usec, char *buf, size_t size) {
        uint64_t s = usec / 1000000;

        if (usec == 0)
                snprintf(buf, size, "-");
        else if (s < 60)
                snprintf(buf, size, "%llus", (unsigned long long) s);
        else if (s < 3600)
                snprintf(buf, size, "%llum%02llus", (unsigned long long) (s / 60), (unsigned long long) (s % 60));
        else if (s < 86400)
                snprintf(buf, size, "%lluh%02llum", (unsigned long long) (s / 3600),
                         (unsigned long long) (s / 60 % 60));
        else
                snprintf(buf, size, "%llud%02lluh", (unsigned long long) (s / 86400),
                         (unsigned long long) (s / 3600 % 24));
}

/* A row that is failed or down, for status' exit 3 (as systemctl
 * status): a process stopped, exited, failed or waiting to restart, a
 * supervisor down or failed. */
static bool row_down(const row *x) {
        static const char *const down[] = { "stopped", "exited", "failed", "backoff", "down" };

        for (size_t i = 0; i < ELEMENTSOF(down); i++)
                if (strcmp(x->state, down[i]) == 0)
                        return true;
        return false;
}

/* The table (or JSON) of NAMES: 0 and in *RET_DOWN whether a row shown
 * is failed or down, or the failure's exit status. */
static int status_rows(sd_bus *bus, char **names, bool *ret_down) {
        sd_bus_message *reply = NULL;
        row *rows = NULL;
        size_t n = 0;
        int r = get_status(bus, names, &reply, &rows, &n);

        if (r < 0)
                return -r;
        pager_open();
        if (arg_json) {
                json_object *a = json_object_new_array();
                for (size_t i = 0; i < n; i++) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "name", json_object_new_string(rows[i].name));
                        json_object_object_add(o, "kind", json_object_new_string(rows[i].kind));
                        json_object_object_add(o, "state", json_object_new_string(rows[i].state));
                        json_object_object_add(o, "group", json_object_new_string(rows[i].parent));
                        json_object_object_add(o, "held", json_object_new_boolean(rows[i].held[0] != '\0'));
                        json_object_object_add(o, "pid", rows[i].pid ? json_object_new_int64(rows[i].pid) : NULL);
                        json_object_object_add(o, "uptime_usec", json_object_new_uint64(rows[i].uptime_usec));
                        json_object_object_add(o, "restarts", json_object_new_int64(rows[i].restarts));
                        json_object_object_add(o, "ready", json_object_new_boolean(rows[i].ready));
                        json_object_object_add(o, "last_exit", rows[i].last_exit[0] ?
                                               json_object_new_string(rows[i].last_exit) : NULL);
                        json_object_object_add(o, "last_exit_realtime_usec", rows[i].exited_usec ?
                                               json_object_new_uint64(rows[i].exited_usec) : NULL);
                        json_object_object_add(o, "status_text", json_object_new_string(rows[i].status));
                        json_object_object_add(o, "health", rows[i].health[0] ? json_object_new_string(rows[i].health)
                                                                             : NULL);
                        json_object_array_add(a, o);
                }
                print_json(a);
        } else {
                size_t w = 4;
                uint64_t now = realtime_usec();

                for (size_t i = 0; i < n; i++)
                        if (strlen(rows[i].name) > w)
                                w = strlen(rows[i].name);
                printf("%-*s  %-14s %8s %8s %8s  %-5s  %-8s  %-24s %s\n", (int) w, "NAME", "STATE", "PID", "UPTIME",
                       "RESTARTS", "READY", "HEALTH", "LAST EXIT", "STATUS");
                for (size_t i = 0; i < n; i++) {
                        char up[32], pid[16], last[64], ago[32], state[32];
                        const char *c = term_state_colour(rows[i].state);

                        format_duration(rows[i].uptime_usec, up, sizeof(up));
                        snprintf(pid, sizeof(pid), rows[i].pid ? "%u" : "-", rows[i].pid);
                        snprintf(state, sizeof(state), "%s%s", rows[i].state, rows[i].held[0] ? ",held" : "");
                        if (rows[i].last_exit[0]) {
                                format_duration(now > rows[i].exited_usec ? now - rows[i].exited_usec : 1, ago,
                                                sizeof(ago));
                                snprintf(last, sizeof(last), "%s (%s ago)", rows[i].last_exit, ago);
                        } else
                                snprintf(last, sizeof(last), "-");
                        printf("%-*s  %s%s%s%*s %8s %8s %8u  %-5s  %-8s  %-24s %s\n", (int) w, rows[i].name, c, state,
                               term_reset(c), (int) (14 - strnlen(state, 14)), "", pid,
                               strcmp(rows[i].kind, "supervisor") == 0 ? "" : up,
                               rows[i].restarts, rows[i].ready ? "yes" : "no", rows[i].health[0] ? rows[i].health : "-",
                               last, rows[i].status);
                }
        }
        *ret_down = false;
        for (size_t i = 0; i < n; i++)
                *ret_down = *ret_down || row_down(&rows[i]);
        free(rows);
        sd_bus_message_unref(reply);
        return 0;
}

int verb_tree(sd_bus *bus, const verb_call *v) {
        sd_bus_message *reply = NULL;
        json_object *a;
        int r;

        (void) v;
        r = call_plain(bus, "Tree", &reply);
        if (r > 0)
                return r;
        a = arg_json ? json_object_new_array() : NULL;
        pager_open();
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_TREE_ROW);
        while (r >= 0) {
                const char *name, *kind, *state, *strategy, *restart;
                uint32_t depth, intensity, period, instances;

                r = sd_bus_message_read(reply, CONTROL_TREE_ROW, &name, &depth, &kind, &state, &strategy, &intensity,
                                        &restart, &period, &instances);
                if (r <= 0)
                        break;
                if (a) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "name", json_object_new_string(name));
                        json_object_object_add(o, "depth", json_object_new_int64(depth));
                        json_object_object_add(o, "kind", json_object_new_string(kind));
                        json_object_object_add(o, "state", json_object_new_string(state));
                        json_object_object_add(o, "restart", json_object_new_string(restart));
                        if (strcmp(kind, "supervisor") == 0) {
                                json_object_object_add(o, "strategy", json_object_new_string(strategy));
                                json_object_object_add(o, "intensity", json_object_new_int64(intensity));
                                json_object_object_add(o, "period_s", json_object_new_int64(period));
                        } else
                                json_object_object_add(o, "instances", json_object_new_int64(instances));
                        json_object_array_add(a, o);
                } else {
                        const char *c = term_state_colour(state);

                        if (strcmp(kind, "supervisor") == 0)
                                printf("%*s%s [%s, %u in %us, %s] %s%s%s\n", (int) depth * 2, "", name, strategy,
                                       intensity, period, restart, c, state, term_reset(c));
                        else
                                printf("%*s%s%s [%s] %s%s%s\n", (int) depth * 2, "", name,
                                       instances > 1 ? "[*]" : "", restart, c, state, term_reset(c));
                }
        }
        return reply_end(reply, r, a);
}

int verb_dead_letters(sd_bus *bus, const verb_call *v) {
        const char *name = v->n_args == 1 ? v->args[0] : NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        json_object *a = arg_json ? json_object_new_array() : NULL;
        int r, n = 0;

        r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, "DeadLetters", &e, &reply, "s", name ? name : "");
        if (r < 0) {
                json_object_put(a);
                r = call_error(&e, r);
                sd_bus_error_free(&e);
                return r;
        }
        pager_open();
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_DEAD_LETTER_ROW);
        if (r >= 0 && !a)
                printf("%-32s %-16s %-16s %6s %7s %5s  %s\n", "TIME", "TO", "FROM", "TYPE", "BYTES", "TRIES",
                       "FIRST BYTES");
        while (r >= 0) {
                uint64_t real;
                const char *to, *from, *head, *why;
                uint32_t type, len, red;

                r = sd_bus_message_read(reply, CONTROL_DEAD_LETTER_ROW, &real, &to, &from, &head, &type, &len, &red,
                                        &why);
                if (r <= 0)
                        break;
                n++;
                if (a) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "realtime_usec", json_object_new_uint64(real));
                        json_object_object_add(o, "to", json_object_new_string(to));
                        json_object_object_add(o, "from", json_object_new_string(from));
                        json_object_object_add(o, "type", json_object_new_int64(type));
                        json_object_object_add(o, "len", json_object_new_int64(len));
                        json_object_object_add(o, "redeliveries", json_object_new_int64(red));
                        json_object_object_add(o, "head_hex", json_object_new_string(head));
                        json_object_object_add(o, "reason", json_object_new_string(why));
                        json_object_array_add(a, o);
                } else {
                        char when[40];

                        printf("%s %-16s %-16s %6u %7u %5u  %.32s%s%s%s%s\n", local_time(real, when, sizeof(when)),
                               to, from, type, len, red + 1, head, strlen(head) > 32 ? "..." : "", why[0] ? "  (" : "",
                               why, why[0] ? ")" : "");
                }
        }
        if (r >= 0 && !a && n == 0)
                printf("(none)\n");
        return reply_end(reply, r, a);
}

/* The names registered at run time, sorted by airsupctl, not airsupd. */
int verb_names(sd_bus *bus, const verb_call *v) {
        sd_bus_message *reply = NULL;
        json_object *a = arg_json ? json_object_new_array() : NULL;
        int r, n = 0;

        (void) v;
        r = call_plain(bus, "Names", &reply);
        if (r > 0) {
                json_object_put(a);
                return r;
        }
        pager_open();
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_NAME_ROW);
        if (r >= 0 && !a)
                printf("%-32s %-24s %s\n", "NAME", "INSTANCE", "ACTOR");
        while (r >= 0) {
                const char *name, *inst, *actor;

                r = sd_bus_message_read(reply, CONTROL_NAME_ROW, &name, &inst, &actor);
                if (r <= 0)
                        break;
                n++;
                if (a) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "name", json_object_new_string(name));
                        json_object_object_add(o, "instance", json_object_new_string(inst));
                        json_object_object_add(o, "actor", actor[0] ? json_object_new_string(actor) : NULL);
                        json_object_array_add(a, o);
                } else
                        printf("%-32s %-24s %s\n", name, inst, actor[0] ? actor : "-");
        }
        if (r >= 0 && !a && n == 0)
                printf("(none)\n");
        return reply_end(reply, r, a);
}

/* Metrics as a table, as JSON, or in Prometheus' text format (each
 * family's HELP and TYPE once, before its first sample). */
int verb_metrics(sd_bus *bus, const verb_call *v) {
        bool prometheus = v->flag;
        sd_bus_message *reply = NULL;
        json_object *a;
        char last[128] = "";
        int r;

        r = call_plain(bus, "Metrics", &reply);
        if (r > 0)
                return r;
        a = arg_json && !prometheus ? json_object_new_array() : NULL;
        pager_open();
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_METRIC_ROW);
        while (r >= 0) {
                const char *name, *type, *help, *labels;
                double value;
                char num[32];

                r = sd_bus_message_read(reply, CONTROL_METRIC_ROW, &name, &type, &help, &labels, &value);
                if (r <= 0)
                        break;
                if (prometheus) {
                        if (strcmp(last, name) != 0) {
                                printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
                                snprintf(last, sizeof(last), "%s", name);
                        }
                        printf("%s%s%s%s %s\n", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "",
                               float_text(value, num, sizeof(num)));
                } else if (a) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "name", json_object_new_string(name));
                        json_object_object_add(o, "type", json_object_new_string(type));
                        json_object_object_add(o, "labels", json_object_new_string(labels));
                        json_object_object_add(o, "value", json_object_new_double(value));
                        json_object_array_add(a, o);
                } else
                        printf("%-32s %-44s %s\n", name, labels, float_text(value, num, sizeof(num)));
        }
        return reply_end(reply, r, a);
}

/* Figures of each process of one node, from the Metrics rows whose name
 * is PREFIX followed by one of FIELDS; a "cgroup" label is kept too. */
#define FIGURES_MAX 16
typedef struct figure_row {
        char process[96];
        char cgroup[256];
        double v[FIGURES_MAX];
        bool seen[FIGURES_MAX];
} figure_row;

/* The samples of NAME (NodeMetrics; every sample, from an airsupd older
 * than that method), or NULL after saying why. */
static sd_bus_message *node_metrics(sd_bus *bus, const char *name) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, "NodeMetrics", &e, &reply, "s", name);

        if (r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_UNKNOWN_METHOD)) {
                sd_bus_error_free(&e);
                return call_plain(bus, "Metrics", &reply) == 0 ? reply : NULL;
        }
        if (r < 0) {
                (void) call_error(&e, r);
                sd_bus_error_free(&e);
                return NULL;
        }
        return reply;
}

/* From REPLY (node_metrics() of NAME, read from its start), the figures
 * FIELDS of the metrics PREFIX..., a row per process. */
static int collect_figures(sd_bus_message *reply, const char *name, const char *prefix, const char *const *fields,
                           size_t n_fields, figure_row *rows, size_t max_rows, size_t *ret_n) {
        char want_p[128], want_g[128];
        size_t n = 0, pl = strlen(prefix);
        int r;

        snprintf(want_p, sizeof(want_p), "process=\"%s\"", name);
        snprintf(want_g, sizeof(want_g), "group=\"%s\"", name);
        r = sd_bus_message_rewind(reply, true);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', CONTROL_METRIC_ROW);
        while (r >= 0) {
                const char *metric, *type, *help, *labels, *q, *e;
                double v;
                size_t k, f;

                r = sd_bus_message_read(reply, CONTROL_METRIC_ROW, &metric, &type, &help, &labels, &v);
                if (r <= 0)
                        break;
                if (strncmp(metric, prefix, pl) != 0 || (!strstr(labels, want_p) && !strstr(labels, want_g)))
                        continue;
                for (f = 0; f < n_fields && strcmp(metric + pl, fields[f]) != 0; f++)
                        ;
                q = strstr(labels, "process=\"");
                if (f == n_fields || !q || !(e = strchr(q + 9, '"')))
                        continue;
                for (k = 0; k < n && strncmp(rows[k].process, q + 9, (size_t) (e - q - 9)) != 0; k++)
                        ;
                if (k == n) {
                        if (n == max_rows)
                                continue;
                        memset(&rows[n], 0, sizeof(rows[n]));
                        snprintf(rows[n].process, sizeof(rows[n].process), "%.*s", (int) (e - q - 9), q + 9);
                        n++;
                }
                rows[k].v[f] = v;
                rows[k].seen[f] = true;
                if ((q = strstr(labels, "cgroup=\"")) && (e = strchr(q + 8, '"')))
                        snprintf(rows[k].cgroup, sizeof(rows[k].cgroup), "%.*s", (int) (e - q - 8), q + 8);
        }
        *ret_n = n;
        return 0;
}

/* Under the status of one node: the mailbox figures of each of its
 * processes that has lanes (the airsup_mailbox_* metrics). */
static int verb_mailbox(sd_bus_message *reply, const char *name) {
        static const char *const fields[] = { "lanes", "depth", "hwm_bytes", "sent_total", "received_total",
                                              "dropped_total", "expired_total", "errors_total", "dead_letters_total" };
        figure_row rows[64];
        size_t n = 0;
        int r;

        r = collect_figures(reply, name, "airsup_mailbox_", fields, ELEMENTSOF(fields), rows, ELEMENTSOF(rows), &n);
        if (r != 0)
                return r;
        for (size_t k = 0; k < n; k++) {
                const double *v = rows[k].v;
                if (v[0] <= 0)
                        continue;
                printf("Mailbox of %s: %.0f lane%s, %.0f waiting (at most %.0f bytes), %.0f sent, %.0f received, "
                       "%.0f dropped, %.0f expired, %.0f errors, %.0f dead letters\n", rows[k].process, v[0],
                       v[0] == 1 ? "" : "s", v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
        }
        return 0;
}

/* Under the status of one node: each of its processes' cgroup, with the
 * figures its controllers give (the airsup_process_* cgroup metrics). */
static int verb_cgroup(sd_bus_message *reply, const char *name) {
        static const char *const fields[] = { "cgroup_info", "cpu_seconds_total", "memory_bytes", "tasks",
                                              "oom_kills_total" };
        figure_row rows[64];
        size_t n = 0;
        int r;

        r = collect_figures(reply, name, "airsup_process_", fields, ELEMENTSOF(fields), rows, ELEMENTSOF(rows), &n);
        if (r != 0)
                return r;
        for (size_t k = 0; k < n; k++) {
                const figure_row *w = &rows[k];

                if (!w->seen[0])
                        continue;
                printf("Cgroup of %s: %s", w->process, w->cgroup);
                if (w->seen[1])
                        printf(", cpu %.3f s", w->v[1]);
                if (w->seen[2])
                        printf(", memory %.1f MiB", w->v[2] / (1024.0 * 1024.0));
                if (w->seen[3])
                        printf(", %.0f task%s", w->v[3], w->v[3] == 1 ? "" : "s");
                if (w->seen[4])
                        printf(", %.0f OOM kill%s", w->v[4], w->v[4] == 1 ? "" : "s");
                printf("\n");
        }
        return 0;
}

/* Exit 3 where something shown is failed or down, as for no such name:
 * systemctl status' habit. */
int verb_status(sd_bus *bus, const verb_call *v) {
        bool down = false;
        int r = status_rows(bus, v->args, &down);

        /* One node, as a person reads it: its last events below, as
         * systemctl status shows a unit's journal. */
        if (r == 0 && v->n_args == 1 && !arg_json) {
                /* Its samples alone: the whole tree's would be read,
                 * sent and parsed for a few lines. */
                sd_bus_message *m = node_metrics(bus, v->args[0]);

                if (m) {
                        (void) verb_mailbox(m, v->args[0]);
                        (void) verb_cgroup(m, v->args[0]);
                        sd_bus_message_unref(m);
                }
                printf("\nLast events:\n");
                r = events_show(bus, 10, v->args[0]);
        }
        return r == 0 && down ? EXIT_NO_SUCH : r;
}
