/* control-messages.h - airsupctl's messages through the control socket
 * (control-messages.c): Send, Publish, Request, SubscribeSubject and
 * UnsubscribeSubject. */
#pragma once

#include <systemd/sd-bus.h>

#include "supervisor/operator/control-internal.h"

/* Requests waiting and subjects followed, per client. */
#define CONTROL_MSGS_MAX 64u

int method_send(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_publish(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_request(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_subscribe_subject(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_unsubscribe_subject(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* CL goes: its requests unanswered, its subscriptions ended. */
void control_msgs_drop(client *cl);
