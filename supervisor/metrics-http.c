/* metrics-http.c - GET /metrics for Prometheus, with libmicrohttpd driven
 * from airsupd's one event loop: MHD in its epoll mode without threads,
 * its epoll fd watched by sd-event and its timeout kept in a timer.
 * Anything but GET /metrics gets 404 or 405; connections are few (64)
 * and short-lived (10 s), so that a scraper, or someone else on that
 * port, cannot make airsupd wait or grow. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <systemd/sd-event.h>

#include "common/cleanup.h"
#include "supervisor/cfg.h"
#include "supervisor/control.h"
#include "supervisor/metrics-http.h"

struct metrics_http {
        sup_control *control;
        struct MHD_Daemon *daemon;
        sd_event *event;
        sd_event_source *io, *timer;
};

static int reply(struct MHD_Connection *conn, unsigned status, const char *text) {
        struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *) text, MHD_RESPMEM_PERSISTENT);
        int ret;

        if (!r)
                return MHD_NO;
        (void) MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
        if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
                (void) MHD_add_response_header(r, "Allow", "GET");
        ret = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **state) {
        metrics_http *h = cls;
        struct MHD_Response *r;
        char *text = NULL;
        size_t len = 0;
        int ret;

        (void) version;
        (void) upload;
        if (*upload_size > 0) {
                *upload_size = 0;       /* a body is ignored; GET has none */
                return MHD_YES;
        }
        if (!*state) {
                *state = (void *) 1;    /* headers seen; answer on the next call */
                return MHD_YES;
        }
        if (strcmp(url, "/metrics") != 0)
                return reply(conn, MHD_HTTP_NOT_FOUND, "not found: only /metrics is here\n");
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
                return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
        if (control_metrics_text(h->control, &text, &len) < 0)
                return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
        r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
        if (!r) {
                free(text);
                return MHD_NO;
        }
        (void) MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
        MHD_destroy_response(r);
        return ret;
}

static void rearm(metrics_http *h);

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        metrics_http *h = userdata;

        (void) s;
        (void) fd;
        (void) revents;
        (void) MHD_run(h->daemon);
        rearm(h);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) usec;
        return on_io(s, -1, 0, userdata);
}

/* MHD's own deadline (idle connections to close) as our timer. */
static void rearm(metrics_http *h) {
        MHD_UNSIGNED_LONG_LONG ms;
        uint64_t now;

        if (MHD_get_timeout(h->daemon, &ms) != MHD_YES) {
                (void) sd_event_source_set_enabled(h->timer, SD_EVENT_OFF);
                return;
        }
        if (sd_event_now(h->event, CLOCK_MONOTONIC, &now) < 0)
                return;
        (void) sd_event_source_set_time(h->timer, now + (uint64_t) ms * 1000);
        (void) sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT);
}

int metrics_http_start(sd_event *e, sup_control *control, const char *listen, metrics_http **ret) {
        _cleanup_free_ metrics_http *h = calloc(1, sizeof(metrics_http));
        struct sockaddr_storage sa;
        socklen_t sa_len;
        const union MHD_DaemonInfo *info;
        int r;

        if (!h)
                return -ENOMEM;
        r = cfg_parse_listen(listen, &sa, &sa_len);
        if (r < 0)
                return r;
        h->control = control;
        h->event = e;
        h->daemon = MHD_start_daemon(MHD_USE_EPOLL | (sa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL,
                                     on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sa,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned) 64, MHD_OPTION_CONNECTION_TIMEOUT,
                                     (unsigned) 10, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 32768,
                                     MHD_OPTION_END);
        if (!h->daemon)
                return errno > 0 ? -errno : -EADDRINUSE;
        info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_EPOLL_FD);
        r = info ? sd_event_add_io(e, &h->io, info->epoll_fd, EPOLLIN, on_io, h) : -EIO;
        if (r >= 0)
                r = sd_event_add_time(e, &h->timer, CLOCK_MONOTONIC, UINT64_MAX, 1000, on_timer, h);
        if (r < 0) {
                h->io = sd_event_source_disable_unref(h->io);
                MHD_stop_daemon(h->daemon);
                return r;
        }
        rearm(h);
        *ret = TAKE_PTR(h);
        return 0;
}

metrics_http *metrics_http_free(metrics_http *h) {
        if (!h)
                return NULL;
        h->io = sd_event_source_disable_unref(h->io);
        h->timer = sd_event_source_disable_unref(h->timer);
        MHD_stop_daemon(h->daemon);
        free(h);
        return NULL;
}
