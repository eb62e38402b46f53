/* control-events.c - the event log through the control socket: Events
 * (the history kept, filtered), Subscribe and the signal Event that
 * every follower gets for every event. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "common/cleanup.h"
#include "common/control-proto.h"
#include "supervisor/operator/control-events.h"
#include "supervisor/operator/control-lookup.h"
#include "supervisor/operator/control-reply.h"

#define EVENTS_MAX_REPLY 100000

static int append_event(sd_bus_message *r, const sup_event *e) {
        char body[384];

        sup_event_format_body(e, body, sizeof(body));
        return sd_bus_message_append(r, CONTROL_EVENT_ROW, e->seq, e->real_usec, e->mono_usec,
                                     sup_priority_to_string(e->priority), sup_event_type_to_string(e->type), e->node,
                                     (uint32_t) e->pid, e->incarnation, body);
}

/* A node's events are its own and those of what is below it. */
static bool event_about(sup_control *c, const sup_event *e, const char *node) {
        return name_below(c, e->node, node);
}

int method_events(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        const sup_events *ev = &c->m->events;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *node;
        uint64_t since;
        uint32_t max;
        int32_t prio;
        size_t first, k = 0;
        int r;

        r = sd_bus_message_read(msg, "utis", &max, &since, &prio, &node);
        if (r < 0)
                return r;
        if (node[0] && !manager_find_node(c->m, node) && !strchr(node, '['))
                return sd_bus_error_setf(error, CONTROL_ERR_NO_SUCH_NODE, "No such group, instance or supervisor: %s", node);
        if (max == 0 || max > EVENTS_MAX_REPLY)
                max = EVENTS_MAX_REPLY;
        r = reply_array_new(msg, CONTROL_EVENT_ROW, &reply);
        if (r < 0)
                return r;
        /* The last MAX that match, oldest first. */
        first = ev->n;
        for (size_t i = ev->n; i > 0 && k < max; i--) {
                const sup_event *e = &ev->ring[(ev->head + i - 1) % ev->cap];
                if (e->real_usec < since)
                        break;
                if (e->priority <= prio && event_about(c, e, node)) {
                        first = i - 1;
                        k++;
                }
        }
        for (size_t i = first; r >= 0 && i < ev->n; i++) {
                const sup_event *e = &ev->ring[(ev->head + i) % ev->cap];
                if (e->real_usec >= since && e->priority <= prio && event_about(c, e, node))
                        r = append_event(reply, e);
        }
        if (r < 0)
                return r;
        return reply_array_send(c, reply);
}

int method_subscribe(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        sd_bus *bus = sd_bus_message_get_bus(msg);

        (void) error;
        for (client *cl = c->clients; cl; cl = cl->next)
                if (cl->bus == bus)
                        cl->following = true;
        return sd_bus_reply_method_return(msg, "t", c->m->events.seq);
}

/* Every event to every follower, as the signal Event; a follower that
 * lets them pile up unread is dropped (client_check()), so that it can
 * never make airsupd wait or grow. */
void control_on_event(const sup_event *e, void *userdata) {
        sup_control *c = userdata;

        /* Something moved: the waiting verbs are looked at again. */
        if (c->n_waits > 0)
                (void) sd_event_source_set_enabled(c->settle, SD_EVENT_ONESHOT);

        for (client *cl = c->clients; cl; cl = cl->next) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *sig = NULL;

                if (!cl->following || cl->closed)
                        continue;
                if (sd_bus_message_new_signal(cl->bus, &sig, CONTROL_PATH, CONTROL_IFACE, "Event") < 0 ||
                    append_event(sig, e) < 0 || sd_bus_send(cl->bus, sig, NULL) < 0) {
                        client_cut(cl);
                        continue;
                }
                client_count_sent(cl, sig);
        }
}
