/* metrics-http.h - the Prometheus endpoint, metrics_listen = (metrics-http.c). */
#pragma once

#include <stdint.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "supervisor/operator/metrics.h"

typedef struct metrics_http metrics_http;

/* Serves the figures of SOURCE (metrics.h) on LISTEN (ADDR:PORT). */
int metrics_http_start(sd_event *e, metrics_source source, const char *listen, metrics_http **ret);
metrics_http *metrics_http_free(metrics_http *h);
static inline void metrics_http_freep(metrics_http **h) {
        *h = metrics_http_free(*h);
}

/* For the fuzzer: a daemon on SA, or with SA NULL on no socket
 * (connections given with MHD_add_connection()); its MHD daemon; the
 * deadline applied as if it were NOW (connections shut down, how many). */
struct MHD_Daemon;
int metrics_http__new(sd_event *e, metrics_source source, const struct sockaddr *sa, metrics_http **ret);
struct MHD_Daemon *metrics_http__daemon(metrics_http *h);
unsigned metrics_http__cut_late(metrics_http *h, uint64_t now);
