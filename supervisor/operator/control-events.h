/* control-events.h - the event log through the control socket
 * (control-events.c). */
#pragma once

#include <systemd/sd-bus.h>

#include "supervisor/core/event.h"
#include "supervisor/operator/control-internal.h"

/* The methods Events and Subscribe. */
int method_events(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_subscribe(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* The event log's subscriber: every event to the followers, and the
 * waiting verbs looked at again. */
void control_on_event(const sup_event *e, void *userdata);
