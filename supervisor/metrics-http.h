/* metrics-http.h - the Prometheus endpoint, metrics_listen = (metrics-http.c). */
#pragma once

#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "supervisor/control.h"

typedef struct metrics_http metrics_http;

int metrics_http_start(sd_event *e, sup_control *control, const char *listen, metrics_http **ret);
metrics_http *metrics_http_free(metrics_http *h);
static inline void metrics_http_freep(metrics_http **h) {
        *h = metrics_http_free(*h);
}
