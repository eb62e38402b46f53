/* control-messages.c - airsupctl's messages through the control socket
 * (control-messages.h): Send, Publish, Request, and subjects followed
 * with SubscribeSubject, whose messages reach the client as the signal
 * Published.  airsupd writes what airsupctl sends on lanes of its own
 * (broker-ctl.c), and reads what comes back in its own mailbox
 * (inbox.c); a client's requests and subscriptions end with it. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "common/cleanup.h"
#include "common/control-proto.h"
#include "common/time.h"
#include "supervisor/messages/broker.h"
#include "supervisor/messages/inbox.h"
#include "supervisor/operator/control-messages.h"
#include "supervisor/operator/control-reply.h"

#define REQUEST_TIMEOUT_MAX_USEC (3600 * USEC_PER_SEC)

/* A request waiting for its reply, or a subject followed. */
struct control_msg {
        struct control_msg *next;
        client *cl;
        uint64_t id;                    /* inbox.c's */
        sd_bus_message *call;           /* a request's, referenced until replied; NULL for a subscription */
        sd_event_source *timer;
};

static void msg_unlink(control_msg *cm) {
        client *cl = cm->cl;

        for (control_msg **pp = &cl->msgs; *pp; pp = &(*pp)->next)
                if (*pp == cm) {
                        *pp = cm->next;
                        cl->n_msgs--;
                        break;
                }
        cm->timer = sd_event_source_disable_unref(cm->timer);
        sd_bus_message_unref(cm->call);
        free(cm);
}

void control_msgs_drop(client *cl) {
        sup_manager *m = cl->control->m;

        while (cl->msgs) {
                control_msg *cm = cl->msgs;
                if (cm->call)
                        inbox_forget(m, cm->id);
                else
                        inbox_unsubscribe(m, cm->id);
                msg_unlink(cm);
        }
}

static control_msg *msg_new(client *cl) {
        control_msg *cm;

        if (cl->n_msgs >= CONTROL_MSGS_MAX)
                return NULL;
        cm = calloc(1, sizeof(*cm));
        if (!cm)
                return NULL;
        cm->cl = cl;
        cm->next = cl->msgs;
        cl->msgs = cm;
        cl->n_msgs++;
        return cm;
}

/* Errors from the broker, for DEST. */
static int msg_error(sd_bus_error *error, int r, const char *verb, const char *dest) {
        switch (r) {
        case -ENOENT:
        case -EINVAL:
        case -EISDIR:
                return sd_bus_error_setf(error, CONTROL_ERR_NO_SUCH_NODE, "No such group, instance, actor or name: %s",
                                         dest);
        case -EAGAIN:
                return sd_bus_error_setf(error, CONTROL_ERR_BUSY, "Cannot %s %s: its lane from airsupctl is full", verb,
                                         dest);
        case -EBUSY:
                return sd_bus_error_setf(error, CONTROL_ERR_BUSY, "Cannot %s %s: %u requests wait already", verb, dest,
                                         INBOX_REQUESTS_MAX);
        default:
                return sd_bus_error_setf(error, CONTROL_ERR_FAILED, "Cannot %s %s: %s", verb, dest, strerror(-r));
        }
}

/* Send(dest, type, payload) and Publish(subject, type, payload):
 * airsupctl's messages, written by airsupd on lanes of its own (sender
 * "airsupctl", a name no node may have); a full lane is an error, not a
 * wait.  Publish says how many subscribers it reached. */
int method_send(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        const char *dest;
        const void *data;
        size_t len = 0;
        uint32_t type;
        int r;

        r = sd_bus_message_read(msg, "su", &dest, &type);
        if (r >= 0)
                r = sd_bus_message_read_array(msg, 'y', &data, &len);
        if (r < 0)
                return r;
        r = broker_ctl_send(c->m, dest, type, data, len);
        if (r < 0)
                return msg_error(error, r, "send to", dest);
        return sd_bus_reply_method_return(msg, "");
}

int method_publish(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        const char *subject;
        const void *data;
        size_t len = 0;
        unsigned reached = 0;
        uint32_t type;
        int r;

        r = sd_bus_message_read(msg, "su", &subject, &type);
        if (r >= 0)
                r = sd_bus_message_read_array(msg, 'y', &data, &len);
        if (r < 0)
                return r;
        r = broker_ctl_publish(c->m, subject, type, data, len, &reached);
        if (r == -EINVAL)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Not a subject (NATS syntax, no wildcards): %s",
                                         subject);
        if (r < 0)
                return msg_error(error, r, "publish to", subject);
        return sd_bus_reply_method_return(msg, "u", (uint32_t) reached);
}

/* The reply, to the caller: (from, type, payload). */
static void on_reply(int error, const char *from, uint32_t type, const void *data, size_t len, void *userdata) {
        control_msg *cm = userdata;
        sup_control *c = cm->cl->control;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        (void) error;
        r = sd_bus_message_new_method_return(cm->call, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "su", from, type);
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', data, len);
        if (r >= 0)
                r = control_send(c, reply);
        else
                (void) sd_bus_reply_method_errorf(cm->call, CONTROL_ERR_FAILED, "Cannot reply: %s", strerror(-r));
        msg_unlink(cm);
}

static int on_request_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        control_msg *cm = userdata;

        (void) s, (void) usec;
        inbox_forget(cm->cl->control->m, cm->id);
        (void) sd_bus_reply_method_errorf(cm->call, CONTROL_ERR_TIMEOUT, "No reply in time");
        msg_unlink(cm);
        return 0;
}

/* Request(dest, type, payload, timeout usec): answered with the reply,
 * or a Timeout error; a late reply is dropped and counted by the inbox. */
int method_request(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        client *cl = client_of(c, sd_bus_message_get_bus(msg));
        const char *dest;
        const void *data;
        size_t len = 0;
        uint64_t timeout;
        uint32_t type;
        control_msg *cm;
        int r;

        r = sd_bus_message_read(msg, "su", &dest, &type);
        if (r >= 0)
                r = sd_bus_message_read_array(msg, 'y', &data, &len);
        if (r >= 0)
                r = sd_bus_message_read(msg, "t", &timeout);
        if (r < 0)
                return r;
        if (timeout == 0 || timeout > REQUEST_TIMEOUT_MAX_USEC)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "A timeout is more than 0 and at most an hour");
        if (!cl)
                return -ENOTCONN;
        cm = msg_new(cl);
        if (!cm)
                return sd_bus_error_setf(error, CONTROL_ERR_BUSY, "Cannot request: %u requests and subscriptions are "
                                         "this client's already", CONTROL_MSGS_MAX);
        cm->call = sd_bus_message_ref(msg);
        r = sd_event_add_time_relative(c->m->event, &cm->timer, CLOCK_MONOTONIC, timeout, 0, on_request_timeout, cm);
        if (r >= 0)
                r = broker_ctl_request(c->m, dest, type, data, len, on_reply, cm, &cm->id);
        if (r < 0) {
                msg_unlink(cm);
                return msg_error(error, r, "request", dest);
        }
        return 1;       /* replied when the reply comes, or the time is up */
}

/* One message published to a subject the client follows: the signal
 * Published(id, subject, from, type, payload), counted against it. */
static void on_published(const char *subject, const char *from, uint32_t type, const void *data, size_t len,
                         void *userdata) {
        control_msg *cm = userdata;
        client *cl = cm->cl;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *sig = NULL;

        if (cl->closed)
                return;
        if (sd_bus_message_new_signal(cl->bus, &sig, CONTROL_PATH, CONTROL_IFACE, "Published") < 0 ||
            sd_bus_message_append(sig, "tssu", cm->id, subject, from, type) < 0 ||
            sd_bus_message_append_array(sig, 'y', data, len) < 0 || sd_bus_send(cl->bus, sig, NULL) < 0) {
                client_cut(cl);
                return;
        }
        client_count_sent(cl, sig);
}

/* SubscribeSubject(pattern) -> id: the client gets Published for each
 * message published to a subject PATTERN matches, until it goes or
 * calls UnsubscribeSubject(id). */
int method_subscribe_subject(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        client *cl = client_of(c, sd_bus_message_get_bus(msg));
        const char *pattern;
        control_msg *cm;
        int r;

        r = sd_bus_message_read(msg, "s", &pattern);
        if (r < 0)
                return r;
        if (!cl)
                return -ENOTCONN;
        cm = msg_new(cl);
        if (!cm)
                return sd_bus_error_setf(error, CONTROL_ERR_BUSY, "Cannot subscribe: %u requests and subscriptions are "
                                         "this client's already", CONTROL_MSGS_MAX);
        r = inbox_subscribe(c->m, pattern, on_published, cm, &cm->id);
        if (r < 0) {
                msg_unlink(cm);
                if (r == -EINVAL)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Not a subject or pattern (NATS syntax): %s", pattern);
                if (r == -ENOSPC || r == -E2BIG)
                        return sd_bus_error_setf(error, CONTROL_ERR_BUSY,
                                                 "Cannot subscribe to %s: airsupctl's subscriptions are at their limit",
                                                 pattern);
                return sd_bus_error_setf(error, CONTROL_ERR_FAILED, "Cannot subscribe to %s: %s", pattern, strerror(-r));
        }
        return sd_bus_reply_method_return(msg, "t", cm->id);
}

int method_unsubscribe_subject(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sup_control *c = userdata;
        client *cl = client_of(c, sd_bus_message_get_bus(msg));
        uint64_t id;
        int r;

        r = sd_bus_message_read(msg, "t", &id);
        if (r < 0)
                return r;
        for (control_msg *cm = cl ? cl->msgs : NULL; cm; cm = cm->next)
                if (!cm->call && cm->id == id) {
                        inbox_unsubscribe(c->m, id);
                        msg_unlink(cm);
                        return sd_bus_reply_method_return(msg, "");
                }
        return sd_bus_error_setf(error, CONTROL_ERR_NO_SUCH_NODE, "No such subscription of this client: %" PRIu64, id);
}
