/* control-methods.h - the objects every control connection serves
 * (control-methods.c): their method tables, which name the verbs'
 * and the event log's methods too. */
#pragma once

#include <systemd/sd-bus.h>

#include "supervisor/operator/control-internal.h"

/* C's objects added to BUS, a client's connection. */
int control_add_objects(sup_control *c, sd_bus *bus);
