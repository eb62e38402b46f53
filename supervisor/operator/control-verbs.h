/* control-verbs.h - the operator's verbs through the control socket
 * (control-verbs.c), and the calls that wait until a verb is done. */
#pragma once

#include <systemd/sd-bus.h>

#include "supervisor/operator/control-internal.h"

/* Stop, Start and Restart calls waiting to be done, per client and in
 * all. */
#define CONTROL_WAITS_MAX 16u
#define CONTROL_WAITS_TOTAL_MAX 1024u

/* The settle source's callback, which replies to the waiting verbs that
 * are done; a client's waiting verbs dropped with it, unanswered. */
int control_settle(sd_event_source *s, void *userdata);
void control_waits_drop(client *cl);
/* The methods: Start, Stop, Restart and their NoBlock forms; Signal;
 * Reload; Shutdown. */
int method_verb(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_signal(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_shutdown(sd_bus_message *msg, void *userdata, sd_bus_error *error);
