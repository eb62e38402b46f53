/* control.h - the control socket (control.c, and below it the methods it
 * serves: control-methods.c, control-verbs.c, control-events.c, and what
 * they share: control-reply.c, control-lookup.c). */
#pragma once

#include <stddef.h>

#include "supervisor/core/types.h"
#include "supervisor/operator/metrics.h"

typedef struct sup_control sup_control;

/* /run/airsup/control as root, else under $XDG_RUNTIME_DIR or /tmp/airsup-UID. */
int control_default_path(char *buf, size_t size);
/* Listens on PATH (0600, or 0660 for GROUP's members); -EADDRINUSE when
 * another airsupd answers there, -EPERM when its directory is one another
 * user could have planted (state_mkdir_trusted()).  ERR says what went
 * wrong. */
int control_open(sup_manager *m, const char *path, const char *group, sup_control **ret, char *err, size_t err_size);
/* The control server without a socket of its own: connections come
 * through control_serve_fd() (for the fuzz target). */
int control_new(sup_manager *m, const char *group, sup_control **ret, char *err, size_t err_size);
/* Serves the connected socket FD (taken, closed on failure) if its peer
 * may control airsupd (root, airsupd's uid, control_group). */
int control_serve_fd(sup_control *c, int fd);
sup_control *control_free(sup_control *c);
/* The metrics of C's tree, with its count of clients (C NULL: none). */
metrics_source control_metrics_source(sup_control *c);
static inline void control_freep(sup_control **c) {
        *c = control_free(*c);
}
