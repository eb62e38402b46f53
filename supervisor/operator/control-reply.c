/* control-reply.c - what the control server sends a client, and what
 * that costs it: a method's reply made and sent, every message sent
 * measured against its client's bounds (CONTROL_WQUEUE_MAX and the rest,
 * control-internal.h), a client past them cut off.  Below every other
 * control file: it calls none of them, and cutting a client only marks
 * it for the reaper control.c owns. */
#define _GNU_SOURCE
#include <string.h>
#include <syslog.h>
#include <systemd/sd-bus.h>

#include "common/cleanup.h"
#include "supervisor/operator/control-reply.h"

/* What unread replies cost.  sd-bus tells how many messages wait in a
 * connection's queue, not how many bytes: so each message sent here is
 * measured (message_size()) into a ring per client, and since the queue
 * is first in, first out, the K messages still queued are at most the
 * last K recorded.  Replies sd-bus makes itself (introspection,
 * properties, the object manager) are not seen: their size is estimated
 * from the tree when the call comes in; the small ones (errors, Ping,
 * the verbs' empty replies) are left to CONTROL_QUEUE_MAX.  The count is
 * an upper bound, never less than what is queued. */
static uint64_t walk_size(sd_bus_message *m, unsigned depth) {
        uint64_t n = 0;
        const char *contents;
        char type;

        while (sd_bus_message_peek_type(m, &type, &contents) > 0) {
                if (type == SD_BUS_TYPE_ARRAY || type == SD_BUS_TYPE_STRUCT || type == SD_BUS_TYPE_VARIANT ||
                    type == SD_BUS_TYPE_DICT_ENTRY) {
                        /* Length and padding, the variant's signature. */
                        n += 8 + (type == SD_BUS_TYPE_VARIANT ? strlen(contents) + 2 : 0);
                        if (depth >= 64 || sd_bus_message_enter_container(m, type, contents) < 0)
                                break;
                        n += walk_size(m, depth + 1);
                        if (sd_bus_message_exit_container(m) < 0)
                                break;
                } else if (type == SD_BUS_TYPE_STRING || type == SD_BUS_TYPE_OBJECT_PATH ||
                           type == SD_BUS_TYPE_SIGNATURE) {
                        const char *v;
                        if (sd_bus_message_read_basic(m, type, &v) < 0)
                                break;
                        n += 8 + strlen(v) + 1;
                } else {
                        uint64_t v;             /* room for any fixed-size value */
                        if (sd_bus_message_read_basic(m, type, &v) < 0)
                                break;
                        n += 8;
                }
        }
        return n;
}

/* MSG's bytes on the wire, at most: its body with every value padded to
 * 8, and a header (the fields: path, interface, member, signature). */
static uint64_t message_size(sd_bus_message *msg) {
        if (sd_bus_message_rewind(msg, /* complete= */ 1) < 0)
                return 0;
        return 256 + walk_size(msg, 0);
}

client *client_of(sup_control *c, sd_bus *bus) {
        for (client *cl = c->clients; cl; cl = cl->next)
                if (cl->bus == bus)
                        return cl;
        return NULL;
}

void client_sent(client *cl, uint64_t size) {
        cl->sent[cl->sent_next++ % CONTROL_QUEUE_MAX] = size > UINT32_MAX ? UINT32_MAX : (uint32_t) size;
}

/* Disconnects CL (freed by the reaper, outside its callbacks); what it
 * had queued no longer counts. */
void client_cut(client *cl) {
        sup_control *c = cl->control;

        cl->closed = true;
        c->unread -= cl->unread;
        cl->unread = cl->behind = 0;
        (void) sd_event_source_set_enabled(c->reap, SD_EVENT_ONESHOT);
}

/* CL's unread bytes now: all of them, and those behind the message it
 * reads (the oldest queued, perhaps partly read already). */
static void client_count(client *cl, uint64_t *ret_queued, uint64_t *ret_behind) {
        sup_control *c = cl->control;
        uint64_t queued = 0, all = 0, behind = 0;

        if (sd_bus_get_n_queued_write(cl->bus, &queued) < 0)
                queued = 0;
        for (uint64_t i = 1; i <= queued && i <= CONTROL_QUEUE_MAX; i++) {
                uint32_t size = cl->sent[(cl->sent_next - i) % CONTROL_QUEUE_MAX];
                all += size;
                if (i < queued)
                        behind += size;
        }
        c->unread = c->unread - cl->unread + all;
        cl->unread = all;
        cl->behind = behind;
        if (queued == 0)
                cl->waiting_since = 0;
        else if (cl->waiting_since == 0)
                cl->waiting_since = now_usec();
        *ret_queued = queued;
        *ret_behind = behind;
}

/* All clients' unread beyond CONTROL_WQUEUE_TOTAL_MAX: those with the
 * most piled up behind the reply they read go first (they called again
 * without reading), then those whose queue has not emptied for the
 * longest, so that many of them cannot crowd out a client that reads
 * one large reply now (a status or the metrics of a large tree). */
static void control_trim(sup_control *c) {
        uint64_t queued, behind;

        if (c->unread <= CONTROL_WQUEUE_TOTAL_MAX)
                return;
        for (client *cl = c->clients; cl; cl = cl->next)
                if (!cl->closed)
                        client_count(cl, &queued, &behind);
        while (c->unread > CONTROL_WQUEUE_TOTAL_MAX) {
                client *worst = NULL;
                for (client *cl = c->clients; cl; cl = cl->next)
                        if (!cl->closed && cl->unread > 0 &&
                            (!worst || cl->behind > worst->behind ||
                             (cl->behind == worst->behind && cl->waiting_since < worst->waiting_since)))
                                worst = cl;
                if (!worst || worst->unread == 0)
                        break;
                sup_log(&c->m->events, LOG_NOTICE, "control: pid %d has the most replies unread (%llu bytes) "
                        "with all clients' over %d MiB: disconnected", (int) worst->pid,
                        (unsigned long long) worst->unread, CONTROL_WQUEUE_TOTAL_MAX >> 20);
                client_cut(worst);
        }
}

/* Counts what CL left unread and disconnects it past the bounds; true
 * when it is (or was already) gone. */
bool client_check(client *cl) {
        sup_control *c = cl->control;
        uint64_t queued, behind;

        if (cl->closed)
                return true;
        client_count(cl, &queued, &behind);
        if (queued >= CONTROL_QUEUE_MAX || behind > CONTROL_WQUEUE_MAX) {
                if (cl->following && queued >= CONTROL_QUEUE_MAX)
                        sup_log(&c->m->events, LOG_NOTICE, "control: a follower (pid %d) stopped reading its "
                                "events (%llu unread): disconnected", (int) cl->pid, (unsigned long long) queued);
                else if (queued >= CONTROL_QUEUE_MAX)
                        sup_log(&c->m->events, LOG_NOTICE, "control: pid %d leaves its replies unread (%llu): "
                                "disconnected", (int) cl->pid, (unsigned long long) queued);
                else
                        sup_log(&c->m->events, LOG_NOTICE, "control: pid %d leaves %llu bytes unread (%llu "
                                "messages): disconnected", (int) cl->pid, (unsigned long long) cl->unread,
                                (unsigned long long) queued);
                client_cut(cl);
                return true;
        }
        control_trim(c);
        return cl->closed;
}

/* M, just sent to CL, counted; CL cut if that puts it past its bounds. */
void client_count_sent(client *cl, sd_bus_message *m) {
        client_sent(cl, message_size(m));
        (void) client_check(cl);
}

/* Sends REPLY, made by a method, and counts it against its client. */
int control_send(sup_control *c, sd_bus_message *reply) {
        client *cl;
        int r = sd_bus_send(NULL, reply, NULL);

        if (r < 0)
                return r;
        cl = client_of(c, sd_bus_message_get_bus(reply));
        if (cl)
                client_count_sent(cl, reply);
        return r;
}

int reply_array_new(sd_bus_message *msg, const char *row, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(msg, &reply);

        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', row);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(reply);
        return 0;
}

int reply_array_send(sup_control *c, sd_bus_message *reply) {
        int r = sd_bus_message_close_container(reply);

        return r < 0 ? r : control_send(c, reply);
}
