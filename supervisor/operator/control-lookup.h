/* control-lookup.h - the names a control method is given, looked up in
 * the tree (control-lookup.c): with control-reply.h the bottom of the
 * control files. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "supervisor/operator/control-internal.h"

/* The node or instance NAME names (*RET_NODE, else *RET_PROC), or the
 * error NoSuchNode; read_target(): the same for a method's first
 * argument. */
int control_lookup(sup_control *c, const char *name, sup_node **ret_node, sup_proc **ret_proc, sd_bus_error *error);
int read_target(sd_bus_message *msg, sup_control *c, const char **ret_name, sup_node **ret_node, sup_proc **ret_proc,
                sd_bus_error *error);
/* Whether N is TOP or below it. */
bool node_below(const sup_node *n, const sup_node *top);
/* Whether the node or instance WHO is NODE or below it ("" takes all). */
bool name_below(sup_control *c, const char *who, const char *node);
