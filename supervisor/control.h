/* control.h - the control socket (control.c). */
#pragma once

#include <stddef.h>

#include "supervisor/sup.h"

typedef struct sup_control sup_control;

/* /run/airsup/control as root, else under $XDG_RUNTIME_DIR or /tmp/airsup-UID. */
int control_default_path(char *buf, size_t size);
/* Listens on PATH (0600, or 0660 for GROUP's members); -EADDRINUSE when
 * another airsupd answers there.  ERR says what went wrong. */
int control_open(sup_manager *m, const char *path, const char *group, sup_control **ret, char *err, size_t err_size);
sup_control *control_free(sup_control *c);
/* What airsupctl metrics --prometheus prints (and GET /metrics serves). */
int control_metrics_text(sup_control *c, char **ret, size_t *ret_len);
static inline void control_freep(sup_control **c) {
        *c = control_free(*c);
}
