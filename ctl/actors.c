/* actors.c - airsupctl actors NAME: the actors inside a group's
 * processes, as each process published them (the Actors method), one
 * block per instance: its totals, then its actors indented under their
 * supervisors. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/control-proto.h"
#include "ctl/airsupctl.h"

#define NO_PARENT UINT32_MAX

typedef struct actor_instance {
        const char *name, *note;
        uint64_t totals[8];             /* actors, supervisors, processed, failures, restarts, escalations, dead letters, queued */
        size_t first, n;                /* its rows in the rows array */
} actor_instance;

typedef struct actor_line {
        const char *instance, *name, *kind, *state;
        uint64_t id, processed;
        uint32_t parent, depth, restarts;
        int32_t last_error;
} actor_line;

static const char *const total_names[8] = {
        "actors", "supervisors", "processed", "failures", "restarts", "escalations", "dead_letters", "queued",
};

static const char *error_text(int32_t e, char *buf, size_t size) {
        int en = e < 0 ? -e : e;
        const char *name = e != 0 && en > 0 && en < 4096 ? strerrorname_np(en) : NULL;

        if (e == 0)
                return "-";
        if (name)
                return name;
        snprintf(buf, size, "%d", (int) e);
        return buf;
}

static const char *display_name(const actor_line *l, char *buf, size_t size) {
        if (l->name[0])
                return l->name;
        snprintf(buf, size, "#%llu", (unsigned long long) l->id);
        return buf;
}

/* The rows of I under PARENT (NO_PARENT: its roots), depth first.  The
 * depth is bounded by the rows there are: a loop (airsupd cut them, but
 * airsupctl does not rely on it) prints nothing more. */
static void print_under(const actor_line *rows, const actor_instance *in, uint32_t parent, unsigned depth) {
        if (depth > in->n)
                return;
        for (size_t k = 0; k < in->n; k++) {
                const actor_line *l = &rows[in->first + k];
                uint32_t p = l->parent < in->n ? l->parent : NO_PARENT;
                char nb[32], eb[16], label[160];

                if (p != parent || (parent != NO_PARENT && k == parent))
                        continue;
                snprintf(label, sizeof(label), "%*s%s", (int) (2 * depth), "", display_name(l, nb, sizeof(nb)));
                printf("%-32s %-10s %-10s %6u %10llu %8u  %s\n", label, l->kind, l->state, l->depth,
                       (unsigned long long) l->processed, l->restarts, error_text(l->last_error, eb, sizeof(eb)));
                print_under(rows, in, (uint32_t) k, depth + 1);
        }
}

static void print_table(const actor_instance *ins, size_t n_ins, const actor_line *rows) {
        for (size_t i = 0; i < n_ins; i++) {
                const actor_instance *in = &ins[i];
                const uint64_t *t = in->totals;

                if (i > 0)
                        putchar('\n');
                if (in->note[0] && strcmp(in->note, "torn") != 0) {
                        printf("%s: %s\n", in->name, in->note);
                        continue;
                }
                printf("%s: %llu actors, %llu supervisors, %llu processed, %llu failures, %llu restarts, "
                       "%llu escalations, %llu dead letters, %llu queued; listing %zu of %llu%s\n",
                       in->name, (unsigned long long) t[0], (unsigned long long) t[1], (unsigned long long) t[2],
                       (unsigned long long) t[3], (unsigned long long) t[4], (unsigned long long) t[5],
                       (unsigned long long) t[6], (unsigned long long) t[7], in->n,
                       (unsigned long long) (t[0] + t[1] < t[0] ? UINT64_MAX : t[0] + t[1]), in->note[0] ? " (torn: the process kept changing it)" : "");
                if (in->n == 0)
                        continue;
                printf("%-32s %-10s %-10s %6s %10s %8s  %s\n", "NAME", "KIND", "STATE", "DEPTH", "PROCESSED",
                       "RESTARTS", "LAST ERROR");
                print_under(rows, in, NO_PARENT, 0);
        }
}

static json_object *to_json(const actor_instance *ins, size_t n_ins, const actor_line *rows) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; i < n_ins; i++) {
                json_object *o = json_object_new_object(), *ra = json_object_new_array();

                json_object_object_add(o, "instance", json_object_new_string(ins[i].name));
                json_object_object_add(o, "note", json_object_new_string(ins[i].note));
                for (size_t k = 0; k < 8; k++)
                        json_object_object_add(o, total_names[k], json_object_new_uint64(ins[i].totals[k]));
                json_object_object_add(o, "listed", json_object_new_uint64(ins[i].n));
                for (size_t k = 0; k < ins[i].n; k++) {
                        const actor_line *l = &rows[ins[i].first + k];
                        json_object *r = json_object_new_object();

                        json_object_object_add(r, "name", json_object_new_string(l->name));
                        json_object_object_add(r, "id", json_object_new_uint64(l->id));
                        json_object_object_add(r, "parent",
                                               l->parent < ins[i].n ? json_object_new_int64(l->parent) : NULL);
                        json_object_object_add(r, "kind", json_object_new_string(l->kind));
                        json_object_object_add(r, "state", json_object_new_string(l->state));
                        json_object_object_add(r, "depth", json_object_new_int64(l->depth));
                        json_object_object_add(r, "processed", json_object_new_uint64(l->processed));
                        json_object_object_add(r, "restarts", json_object_new_int64(l->restarts));
                        json_object_object_add(r, "last_error", json_object_new_int64(l->last_error));
                        json_object_array_add(ra, r);
                }
                json_object_object_add(o, "rows", ra);
                json_object_array_add(a, o);
        }
        return a;
}

static int read_instances(sd_bus_message *reply, actor_instance **ret, size_t *ret_n) {
        actor_instance *ins = NULL;
        size_t n = 0;
        int r = sd_bus_message_enter_container(reply, 'a', CONTROL_ACTORS_INSTANCE_ROW);

        while (r >= 0) {
                actor_instance in = {};
                actor_instance *grown;
                uint64_t *t = in.totals;

                r = sd_bus_message_read(reply, CONTROL_ACTORS_INSTANCE_ROW, &in.name, &in.note, &t[0], &t[1], &t[2],
                                        &t[3], &t[4], &t[5], &t[6], &t[7]);
                if (r <= 0)
                        break;
                grown = reallocarray(ins, n + 1, sizeof(*ins));
                if (!grown) {
                        r = -ENOMEM;
                        break;
                }
                ins = grown;
                ins[n++] = in;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0) {
                free(ins);
                return r;
        }
        *ret = ins;
        *ret_n = n;
        return 0;
}

/* The rows, each counted into its instance (they come grouped, in the
 * instances' order). */
static int read_rows(sd_bus_message *reply, actor_instance *ins, size_t n_ins, actor_line **ret) {
        actor_line *rows = NULL;
        size_t n = 0, at = 0;
        int r = sd_bus_message_enter_container(reply, 'a', CONTROL_ACTORS_ROW);

        while (r >= 0) {
                actor_line l = {};
                actor_line *grown;

                r = sd_bus_message_read(reply, CONTROL_ACTORS_ROW, &l.instance, &l.name, &l.id, &l.parent, &l.kind,
                                        &l.state, &l.depth, &l.processed, &l.restarts, &l.last_error);
                if (r <= 0)
                        break;
                while (at < n_ins && strcmp(ins[at].name, l.instance) != 0)
                        at++;
                if (at == n_ins) {
                        r = -EBADMSG;
                        break;
                }
                if (ins[at].n == 0)
                        ins[at].first = n;
                ins[at].n++;
                grown = reallocarray(rows, n + 1, sizeof(*rows));
                if (!grown) {
                        r = -ENOMEM;
                        break;
                }
                rows = grown;
                rows[n++] = l;
        }
        if (r < 0) {
                free(rows);
                return r;
        }
        *ret = rows;
        return 0;
}

int verb_actors(sd_bus *bus, const verb_call *v) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        actor_instance *ins = NULL;
        actor_line *rows = NULL;
        size_t n_ins = 0;
        int r;

        r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, "Actors", &e, &reply, "s", v->args[0]);
        if (r < 0) {
                r = call_error(&e, r);
                sd_bus_error_free(&e);
                return r;
        }
        r = read_instances(reply, &ins, &n_ins);
        if (r >= 0)
                r = read_rows(reply, ins, n_ins, &rows);
        if (r >= 0 && !arg_json) {
                pager_open();
                print_table(ins, n_ins, rows);
        }
        r = reply_end(reply, r, r >= 0 && arg_json ? to_json(ins, n_ins, rows) : NULL);
        free(ins);
        free(rows);
        return r;
}
