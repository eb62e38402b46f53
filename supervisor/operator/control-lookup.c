/* control-lookup.c - the names a control method is given (a node, an
 * instance, or "" for all), looked up in the tree through manager.h.
 * Below every other control file: it calls none of them. */
#define _GNU_SOURCE
#include <string.h>
#include <systemd/sd-bus.h>

#include "common/control-proto.h"
#include "supervisor/config/cfg.h"
#include "supervisor/operator/control-lookup.h"

int control_lookup(sup_control *c, const char *name, sup_node **ret_node, sup_proc **ret_proc, sd_bus_error *error) {
        *ret_node = manager_find_node(c->m, name);
        *ret_proc = NULL;
        if (*ret_node)
                return 0;
        if (ret_proc && manager_find_proc(c->m, name, ret_proc) == 0)
                return 0;
        return sd_bus_error_setf(error, CONTROL_ERR_NO_SUCH_NODE, "No such group, instance or supervisor: %s", name);
}

/* A method's first argument, a name, and what it names. */
int read_target(sd_bus_message *msg, sup_control *c, const char **ret_name, sup_node **ret_node,
                       sup_proc **ret_proc, sd_bus_error *error) {
        int r = sd_bus_message_read(msg, "s", ret_name);

        if (r < 0)
                return r;
        return control_lookup(c, *ret_name, ret_node, ret_proc, error);
}

/* Whether N is TOP or below it. */
bool node_below(const sup_node *n, const sup_node *top) {
        for (; n; n = n->parent)
                if (n == top)
                        return true;
        return false;
}

/* Whether WHO (a node or an instance) is NODE or below it: its
 * instances ("web" takes "web[2]") and for a supervisor what is below it;
 * NODE "" takes everything. */
bool name_below(sup_control *c, const char *who, const char *node) {
        char group[96];
        unsigned i;
        sup_node *n, *top;

        if (!node[0] || strcmp(who, node) == 0)
                return true;
        if (cfg_parse_instance_name(who, group, sizeof(group), &i) < 0)
                return false;
        if (strcmp(group, node) == 0)
                return true;
        top = manager_find_node(c->m, node);
        n = manager_find_node(c->m, group);
        return top && n && node_below(n, top);
}
