/* control-reply.h - what the control server sends a client, counted
 * against the client's bounds (control-reply.c): the bottom of the
 * control files, which the socket (control.c) and the methods call. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "supervisor/operator/control-internal.h"

/* The client a bus is, or NULL. */
client *client_of(sup_control *c, sd_bus *bus);
/* SIZE bytes sent to CL, recorded (not yet checked against its bounds). */
void client_sent(client *cl, uint64_t size);
/* CL disconnected (freed later, by the reaper); what it had queued no
 * longer counts. */
void client_cut(client *cl);
/* What CL left unread counted, CL cut past its bounds; true when it is
 * (or was already) gone. */
bool client_check(client *cl);
/* M, just sent to CL, counted; CL cut if that puts it past its bounds. */
void client_count_sent(client *cl, sd_bus_message *m);
/* Sends REPLY, made by a method, and counts it against its client. */
int control_send(sup_control *c, sd_bus_message *reply);
/* A method's reply that is an array of ROW: begun (the array open), and
 * ended (closed, sent and counted against its client). */
int reply_array_new(sd_bus_message *msg, const char *row, sd_bus_message **ret);
int reply_array_send(sup_control *c, sd_bus_message *reply);
