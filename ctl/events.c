/* events.c - airsupctl events: the history airsupd keeps, then with -f
 * the live stream (the signal Event after Subscribe). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/control-proto.h"
#include "ctl/airsupctl.h"

typedef struct names {
        char **v;
        size_t n;
} names;

/* What a follower prints of the stream, which carries every event: the
 * names at and below its NODE (BELOW, from the Tree), each with its
 * instances; no NODE: everything.  KNOWN is every name of the Tree: an
 * event of a group it lacks (a reload added it) reads the Tree again,
 * once per such name (UNKNOWN: those still missing then).  The history
 * needs none of this: airsupd answers it filtered so. */
typedef struct event_filter {
        sd_bus *bus;
        const char *node;
        names below, known, unknown;
        int max_priority;
        uint64_t after_seq;             /* printed already */
} event_filter;

static const char *const severities[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };

static int severity_from_string(const char *s) {
        for (int i = 0; i < 8; i++)
                if (strcmp(s, severities[i]) == 0)
                        return i;
        return -1;
}

/* REAL (CLOCK_REALTIME, usec) as RFC 3339 local time with microseconds
 * and the offset, as airsupd's own lines: 2026-12-06T18:43:46.170674+00:00. */
const char *local_time(uint64_t real, char *buf, size_t size) {
        time_t t = (time_t) (real / 1000000);
        struct tm tm;
        char when[32], zone[8];

        if (!localtime_r(&t, &tm) || strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
            strftime(zone, sizeof(zone), "%z", &tm) != 5)
                snprintf(buf, size, "@%llu.%06llu", (unsigned long long) t, (unsigned long long) (real % 1000000));
        else
                snprintf(buf, size, "%s.%06llu%.3s:%.2s", when, (unsigned long long) (real % 1000000), zone,
                         zone + 3);
        return buf;
}

static bool names_has(const names *l, const char *name, size_t len) {
        for (size_t i = 0; i < l->n; i++)
                if (strlen(l->v[i]) == len && strncmp(l->v[i], name, len) == 0)
                        return true;
        return false;
}

static int names_add(names *l, const char *name, size_t len) {
        char **a = reallocarray(l->v, l->n + 1, sizeof(char *));

        if (!a)
                return -ENOMEM;
        l->v = a;
        if (!(a[l->n] = strndup(name, len)))
                return -ENOMEM;
        l->n++;
        return 0;
}

static void names_clear(names *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        *l = (names) {};
}

static void filter_free(event_filter *f) {
        names_clear(&f->below);
        names_clear(&f->known);
        names_clear(&f->unknown);
}

/* F's names from the Tree: BELOW, NODE and the rows after it deeper than
 * it (NODE alone where the Tree does not name it: an instance, GROUP[i]);
 * KNOWN, every row. */
static int filter_read_tree(event_filter *f) {
        sd_bus_message *reply = NULL;
        const char *name, *kind, *state, *strategy, *restart;
        uint32_t depth, intensity, period, instances, top = 0;
        bool in = false;
        int r;

        names_clear(&f->below);
        names_clear(&f->known);
        r = names_add(&f->below, f->node, strlen(f->node));
        if (r < 0)
                return r;
        r = call_plain(f->bus, "Tree", &reply);
        if (r > 0)
                return -EIO;
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_TREE_ROW);
        while (r >= 0 && (r = sd_bus_message_read(reply, CONTROL_TREE_ROW, &name, &depth, &kind, &state, &strategy,
                                                  &intensity, &restart, &period, &instances)) > 0) {
                r = names_add(&f->known, name, strlen(name));
                if (r >= 0 && in && depth <= top)
                        in = false;
                else if (r >= 0 && in)
                        r = names_add(&f->below, name, strlen(name));
                else if (r >= 0 && strcmp(name, f->node) == 0) {
                        in = true;
                        top = depth;
                }
        }
        sd_bus_message_unref(reply);
        return r < 0 ? r : 0;
}

/* Whether a live event of NODE (GROUP or GROUP[i]) is F's to print. */
static bool filter_has(event_filter *f, const char *node) {
        size_t group = strcspn(node, "[");

        if (!f->node)
                return true;
        if (!names_has(&f->known, node, group) && !names_has(&f->unknown, node, group)) {
                if (filter_read_tree(f) < 0 ||
                    (!names_has(&f->known, node, group) && names_add(&f->unknown, node, group) < 0))
                        return true;    /* cannot tell: better shown than lost */
        }
        return names_has(&f->below, node, strlen(node)) || names_has(&f->below, node, group);
}

/* Prints one event row read from M (at its struct); false when none is left. */
static int print_event(sd_bus_message *m, event_filter *f) {
        const char *sev, *kind, *node, *text;
        uint64_t seq, real, mono;
        uint32_t pid, inc;
        int r;

        r = sd_bus_message_read(m, CONTROL_EVENT_ROW, &seq, &real, &mono, &sev, &kind, &node, &pid, &inc, &text);
        if (r <= 0)
                return r;
        if (seq <= f->after_seq || severity_from_string(sev) > f->max_priority)
                return 1;
        if (!filter_has(f, node))
                return 1;
        f->after_seq = seq;
        if (arg_json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "seq", json_object_new_uint64(seq));
                json_object_object_add(o, "realtime_usec", json_object_new_uint64(real));
                json_object_object_add(o, "monotonic_usec", json_object_new_uint64(mono));
                json_object_object_add(o, "severity", json_object_new_string(sev));
                json_object_object_add(o, "kind", json_object_new_string(kind));
                json_object_object_add(o, "node", json_object_new_string(node));
                json_object_object_add(o, "pid", pid ? json_object_new_int64(pid) : NULL);
                json_object_object_add(o, "incarnation", json_object_new_int64(inc));
                json_object_object_add(o, "text", json_object_new_string(text));
                print_json(o);
        } else {
                char when[40];

                printf("%s %-7s %s\n", local_time(real, when, sizeof(when)), sev, text);
        }
        fflush(stdout);
        return 1;
}

static int on_event_signal(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        (void) error;
        if (sd_bus_message_is_signal(m, CONTROL_IFACE, "Event"))
                (void) print_event(m, userdata);
        return 0;
}

static int events_run(sd_bus *bus, bool follow, uint32_t n, uint64_t since, int max_priority, const char *node) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        _cleanup_(filter_free) event_filter f = { .bus = bus, .node = node, .max_priority = max_priority };
        event_filter history = { .max_priority = max_priority };
        int r;

        /* Subscribed first, so that nothing falls between the history
         * and the stream; the stream skips what the history printed. */
        if (follow) {
                r = node ? filter_read_tree(&f) : 0;
                if (r < 0) {
                        fprintf(stderr, "airsupctl: cannot read the tree below %s: %s\n", node, strerror(-r));
                        return EXIT_FAILED;
                }
                r = sd_bus_add_filter(bus, NULL, on_event_signal, &f);
                if (r >= 0)
                        r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, "Subscribe", &e, NULL, "");
                if (r < 0) {
                        r = call_error(&e, r);
                        sd_bus_error_free(&e);
                        return r;
                }
        }
        if (n == 0)
                goto live;
        r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, "Events", &e, &reply, "utis", n, since,
                               (int32_t) max_priority, node ?: "");
        if (r < 0) {
                r = call_error(&e, r);
                sd_bus_error_free(&e);
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_EVENT_ROW);
        /* Filtered by airsupd (a node's events are those at and below
         * it): printed whole; the stream goes on after its last. */
        while (r >= 0 && (r = print_event(reply, &history)) > 0)
                ;
        if (f.after_seq < history.after_seq)
                f.after_seq = history.after_seq;
        sd_bus_message_unref(reply);
        if (r < 0) {
                fprintf(stderr, "airsupctl: bad reply from airsupd: %s\n", strerror(-r));
                return EXIT_FAILED;
        }
live:
        while (follow) {
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        fprintf(stderr, "airsupctl: airsupd went away: %s\n", strerror(-r));
                        return EXIT_UNREACHABLE;
                }
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0 && r != -EINTR) {
                        fprintf(stderr, "airsupctl: airsupd went away: %s\n", strerror(-r));
                        return EXIT_UNREACHABLE;
                }
        }
        return 0;
}

/* --since: a duration ago (30s, 5m, 2h, 1d) or @SECONDS since the epoch. */
static int parse_since(const char *s, uint64_t *ret) {
        char *end;
        double v;

        if (s[0] == '@') {
                v = strtod(s + 1, &end);
                if (*end || v < 0)
                        return -EINVAL;
                *ret = (uint64_t) (v * 1e6);
                return 0;
        }
        v = strtod(s, &end);
        if (end == s || v < 0)
                return -EINVAL;
        if (strcmp(end, "s") == 0 || *end == '\0')
                ;
        else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
                v *= 60;
        else if (strcmp(end, "h") == 0)
                v *= 3600;
        else if (strcmp(end, "d") == 0)
                v *= 86400;
        else
                return -EINVAL;
        *ret = realtime_usec() - (uint64_t) (v * 1e6);
        return 0;
}

/* events' own options, from events_option() */
static struct {
        bool follow;
        long lines;
        uint64_t since;
        int prio;
} opt_events = { .lines = 20, .prio = 7 };

const struct option events_options[] = {
        { "follow", no_argument, NULL, 'f' },
        { "lines", required_argument, NULL, 'n' },
        { "since", required_argument, NULL, 'S' },
        { "severity", required_argument, NULL, 'p' },
        {}
};

int events_option(int opt, const char *arg) {
        char *end;

        switch (opt) {
        case 'f':
                opt_events.follow = true;
                return 0;
        case 'n':
                opt_events.lines = strtol(arg, &end, 10);
                if (*end || opt_events.lines < 0 || opt_events.lines > 100000) {
                        fprintf(stderr, "airsupctl: -n: expected 0 to 100000, got '%s'\n", arg);
                        return -EXIT_USAGE;
                }
                return 0;
        case 'S':
                if (parse_since(arg, &opt_events.since) < 0) {
                        fprintf(stderr, "airsupctl: --since: expected 30s, 5m, 2h, 1d or @EPOCH, got '%s'\n", arg);
                        return -EXIT_USAGE;
                }
                return 0;
        default:        /* 'p' */
                opt_events.prio = severity_from_string(arg);
                if (opt_events.prio < 0) {
                        fprintf(stderr, "airsupctl: --severity: expected emerg, alert, crit, err, warning, notice, "
                                "info or debug\n");
                        return -EXIT_USAGE;
                }
                return 0;
        }
}

int verb_events(sd_bus *bus, const verb_call *v) {
        if (!opt_events.follow)
                pager_open();
        return events_run(bus, opt_events.follow, (uint32_t) opt_events.lines, opt_events.since, opt_events.prio,
                          v->n_args == 1 ? v->args[0] : NULL);
}

int events_show(sd_bus *bus, uint32_t n, const char *node) {
        return events_run(bus, false, n, 0, 7, node);
}
