/* metrics.h - airsupd's figures (metrics.c): per node and process, and
 * airsupd's own; one sample per row (name, type, help, labels, value),
 * the same rows make airsupctl metrics' table and JSON, the D-Bus method
 * Metrics and the Prometheus text GET /metrics serves. */
#pragma once

#include <stddef.h>

#include "supervisor/core/types.h"

/* Where the figures come from: the tree, and the count of connections
 * to the control socket, which only the control server knows
 * (control_metrics_source(); NULL: 0). */
typedef struct metrics_source {
        sup_manager *m;
        size_t (*control_clients)(void *userdata);
        void *userdata;
        /* NULL: every node's samples and airsupd's own; a node's name
         * (or an instance's): the samples of that node and its processes
         * only (airsupctl status NAME), without reading the rest of the
         * tree's cgroups and lanes. */
        const char *node;
} metrics_source;

/* One sample; LABELS in the text format's syntax (key="value",...),
 * "" for none.  A negative return stops the gathering. */
typedef int (*metrics_sample_fn)(const char *name, const char *type, const char *help, const char *labels,
                                 double value, void *userdata);

/* Every sample, a family's samples together, to FN. */
int metrics_collect(const metrics_source *s, metrics_sample_fn fn, void *userdata);
/* The same in Prometheus' text format (each family's HELP and TYPE once,
 * before its first sample): what airsupctl metrics --prometheus prints. */
int metrics_text(const metrics_source *s, char **ret, size_t *ret_len);
