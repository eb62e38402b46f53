/* metrics-http.c - GET /metrics for Prometheus, with libmicrohttpd driven
 * from airsupd's one event loop: MHD in its epoll mode without threads,
 * its epoll fd watched by sd-event and its timeout kept in a timer.
 * Anything but GET /metrics gets 404 or 405.
 *
 * Whoever can reach the port is a stranger, so connections are few and
 * short-lived: at most METRICS_CONN_MAX at once, METRICS_PER_ADDR_MAX
 * from one source address (both MHD's own limits; the connections past
 * the first wait in the kernel's listen queue, then are taken in order as
 * places free up), each closed after METRICS_IDLE_SEC without a byte
 * (MHD's idle timeout).  An idle timeout alone lets a client that sends a
 * byte every few seconds keep its place for ever (slowloris), and MHD has
 * no deadline for a whole request, so this file keeps one: each
 * connection notes when it was accepted (or when its previous request
 * ended, for keep-alive), a list in that order is walked from the same
 * timer, and a connection whose request is not answered (the answer sent)
 * METRICS_REQUEST_SEC later is shut down (shutdown(2) on its socket: MHD
 * sees the end of the stream at once and closes it, and the fd stays
 * MHD's to close).
 *
 * libmicrohttpd is dlopen()ed when an endpoint is started, not linked:
 * with it come GnuTLS, p11-kit, nettle, gmp and libunistring, whose
 * constructors alone touch about 2.5 MB of pages in every airsupd, with
 * or without metrics_listen = (measured with 1000 groups: airsupd's RSS
 * 8.5 MB, 2.5 MB of it those libraries). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <systemd/sd-event.h>

#include "common/cleanup.h"
#include "supervisor/config/cfg.h"
#include "supervisor/operator/metrics-http.h"
#include "supervisor/operator/metrics.h"

/* The functions of libmicrohttpd this file calls, looked up once; the
 * names below stand for them, so the code reads as if it were linked. */
static struct {
        void *lib;
        typeof(MHD_get_connection_info) *get_connection_info;
        typeof(MHD_create_response_from_buffer) *create_response_from_buffer;
        typeof(MHD_add_response_header) *add_response_header;
        typeof(MHD_queue_response) *queue_response;
        typeof(MHD_destroy_response) *destroy_response;
        typeof(MHD_run) *run;
        typeof(MHD_get_timeout) *get_timeout;
        typeof(MHD_start_daemon) *start_daemon;
        typeof(MHD_get_daemon_info) *get_daemon_info;
        typeof(MHD_stop_daemon) *stop_daemon;
} mhd;

#define MHD_get_connection_info (*mhd.get_connection_info)
#define MHD_create_response_from_buffer (*mhd.create_response_from_buffer)
#define MHD_add_response_header (*mhd.add_response_header)
#define MHD_queue_response (*mhd.queue_response)
#define MHD_destroy_response (*mhd.destroy_response)
#define MHD_run (*mhd.run)
#define MHD_get_timeout (*mhd.get_timeout)
#define MHD_start_daemon (*mhd.start_daemon)
#define MHD_get_daemon_info (*mhd.get_daemon_info)
#define MHD_stop_daemon (*mhd.stop_daemon)

/* Loads libmicrohttpd (its soname of Debian's libmicrohttpd12) the
 * first time; -ELIBACC when it or a function is missing. */
static int mhd_load(void) {
        void *lib;

        if (mhd.lib)
                return 0;
        lib = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
        if (!lib)
                return -ELIBACC;
#define MHD_SYM(field, name)                                         \
        if (!(*(void **) &mhd.field = dlsym(lib, name))) {          \
                (void) dlclose(lib);                                 \
                return -ELIBACC;                                     \
        }
        MHD_SYM(get_connection_info, "MHD_get_connection_info");
        MHD_SYM(create_response_from_buffer, "MHD_create_response_from_buffer");
        MHD_SYM(add_response_header, "MHD_add_response_header");
        MHD_SYM(queue_response, "MHD_queue_response");
        MHD_SYM(destroy_response, "MHD_destroy_response");
        MHD_SYM(run, "MHD_run");
        MHD_SYM(get_timeout, "MHD_get_timeout");
        MHD_SYM(start_daemon, "MHD_start_daemon");
        MHD_SYM(get_daemon_info, "MHD_get_daemon_info");
        MHD_SYM(stop_daemon, "MHD_stop_daemon");
#undef MHD_SYM
        mhd.lib = lib;
        return 0;
}

#define METRICS_CONN_MAX 64u            /* connections at once */
#define METRICS_PER_ADDR_MAX 8u         /* ... from one source address */
#define METRICS_IDLE_SEC 10u            /* closed after this long without a byte */
#define METRICS_REQUEST_SEC 10u         /* from accept (or the previous answer) to the answer sent */

/* One connection, from MHD's start notification to its close. */
typedef struct metrics_conn {
        struct metrics_conn *prev, *next;
        struct MHD_Connection *conn;
        uint64_t since_usec;            /* accepted, or its previous request answered */
        bool cut;                       /* shut down: MHD closes it at its next turn */
} metrics_conn;

struct metrics_http {
        metrics_source source;
        struct MHD_Daemon *daemon;
        sd_event *event;
        sd_event_source *io, *timer;
        metrics_conn *head, *tail;      /* by since_usec, oldest first */
        uint64_t closed;                /* connections closed, in all */
        struct MHD_Response *text;      /* the metrics, as built at loop iteration text_iteration */
        uint64_t text_iteration;
};

static uint64_t http_now(metrics_http *h) {
        uint64_t now = 0;

        (void) sd_event_now(h->event, CLOCK_MONOTONIC, &now);
        return now;
}

static void conn_unlink(metrics_http *h, metrics_conn *c) {
        if (c->prev)
                c->prev->next = c->next;
        else
                h->head = c->next;
        if (c->next)
                c->next->prev = c->prev;
        else
                h->tail = c->prev;
        c->prev = c->next = NULL;
}

static void conn_append(metrics_http *h, metrics_conn *c, uint64_t now) {
        c->since_usec = now;
        c->prev = h->tail;
        c->next = NULL;
        if (h->tail)
                h->tail->next = c;
        else
                h->head = c;
        h->tail = c;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
        metrics_http *h = cls;
        metrics_conn *c = *socket_context;

        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                c = calloc(1, sizeof(*c));
                if (!c) {
                        /* Not timed: then shut down at once, never unbounded. */
                        const union MHD_ConnectionInfo *info =
                                MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
                        if (info)
                                (void) shutdown(info->connect_fd, SHUT_RDWR);
                        return;
                }
                c->conn = conn;
                conn_append(h, c, http_now(h));
                *socket_context = c;
        } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
                h->closed++;
                if (!c)
                        return;
                conn_unlink(h, c);
                free(c);
                *socket_context = NULL;
        }
}

/* A request answered (or abandoned): a keep-alive connection's next one
 * has a deadline of its own. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **state, enum MHD_RequestTerminationCode toe) {
        metrics_http *h = cls;
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        metrics_conn *c = info ? info->socket_context : NULL;

        (void) state;
        (void) toe;
        if (!c || c->cut)
                return;
        conn_unlink(h, c);
        conn_append(h, c, http_now(h));
}

/* Shuts down every connection whose request is late at NOW; returns how
 * many. */
unsigned metrics_http__cut_late(metrics_http *h, uint64_t now) {
        const uint64_t deadline = (uint64_t) METRICS_REQUEST_SEC * 1000000;
        unsigned n = 0;

        for (metrics_conn *c = h->head; c && c->since_usec + deadline <= now; c = c->next) {
                const union MHD_ConnectionInfo *info;

                if (c->cut)
                        continue;
                info = MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
                if (info)
                        (void) shutdown(info->connect_fd, SHUT_RDWR);
                c->cut = true;
                n++;
        }
        return n;
}

/* The oldest request's deadline (UINT64_MAX: none). */
static uint64_t next_deadline(const metrics_http *h) {
        for (const metrics_conn *c = h->head; c; c = c->next)
                if (!c->cut)
                        return c->since_usec + (uint64_t) METRICS_REQUEST_SEC * 1000000;
        return UINT64_MAX;
}

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
        uint64_t iteration = 0;
        char *text = NULL;
        size_t len = 0;

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
        /* Built once per turn of the loop: nothing in the tree changes
         * within one, and clients pipelining requests on their 64
         * connections would otherwise have it built hundreds of times in
         * a row while the control socket waits. */
        if (!h->text || sd_event_get_iteration(h->event, &iteration) < 0 || iteration != h->text_iteration) {
                if (metrics_text(&h->source, &text, &len) < 0)
                        return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
                r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
                if (!r) {
                        free(text);
                        return MHD_NO;
                }
                (void) MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                /* MHD counts references: answers queued with the old one keep it. */
                if (h->text)
                        MHD_destroy_response(h->text);
                h->text = r;
                h->text_iteration = iteration;
        }
        return MHD_queue_response(conn, MHD_HTTP_OK, h->text);
}

static void rearm(metrics_http *h);

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        metrics_http *h = userdata;

        (void) s;
        (void) fd;
        (void) revents;
        /* Again while connections close (cut here, or timed out by MHD):
         * MHD takes its listening socket back into its epoll set only at
         * the start of its next run after it was at its limit, and if
         * every connection just went, nothing else would wake it up. */
        for (unsigned round = 0; round < 4; round++) {
                uint64_t closed = h->closed;

                (void) MHD_run(h->daemon);
                if (metrics_http__cut_late(h, http_now(h)) == 0 && h->closed == closed)
                        break;
        }
        rearm(h);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) usec;
        return on_io(s, -1, 0, userdata);
}

/* The earlier of MHD's own deadline (idle connections to close) and the
 * oldest request's, as our timer. */
static void rearm(metrics_http *h) {
        MHD_UNSIGNED_LONG_LONG ms;
        uint64_t now = http_now(h), when = next_deadline(h);

        if (MHD_get_timeout(h->daemon, &ms) == MHD_YES && now + (uint64_t) ms * 1000 < when)
                when = now + (uint64_t) ms * 1000;
        if (when == UINT64_MAX) {
                (void) sd_event_source_set_enabled(h->timer, SD_EVENT_OFF);
                return;
        }
        (void) sd_event_source_set_time(h->timer, when);
        (void) sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT);
}

/* A daemon on SA (NULL: none, connections come through
 * MHD_add_connection(), as the fuzzer's do), its fds in E. */
int metrics_http__new(sd_event *e, metrics_source source, const struct sockaddr *sa, metrics_http **ret) {
        _cleanup_free_ metrics_http *h = calloc(1, sizeof(metrics_http));
        const union MHD_DaemonInfo *info;
        unsigned flags = MHD_USE_EPOLL;
        int r;

        if (!h)
                return -ENOMEM;
        r = mhd_load();
        if (r < 0)
                return r;
        if (!sa)
                flags |= MHD_USE_NO_LISTEN_SOCKET;
        else if (sa->sa_family == AF_INET6)
                flags |= MHD_USE_IPv6;
        h->source = source;
        h->event = e;
        /* With MHD_USE_NO_LISTEN_SOCKET, SA (NULL) is not used. */
        h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, sa,
                                     MHD_OPTION_CONNECTION_LIMIT, METRICS_CONN_MAX,
                                     MHD_OPTION_PER_IP_CONNECTION_LIMIT, METRICS_PER_ADDR_MAX,
                                     MHD_OPTION_CONNECTION_TIMEOUT, METRICS_IDLE_SEC,
                                     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 32768,
                                     MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
                                     MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
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

struct MHD_Daemon *metrics_http__daemon(metrics_http *h) {
        return h->daemon;
}

int metrics_http_start(sd_event *e, metrics_source source, const char *listen, metrics_http **ret) {
        struct sockaddr_storage sa;
        socklen_t sa_len;
        int r;

        r = cfg_parse_listen(listen, &sa, &sa_len);
        if (r < 0)
                return r;
        return metrics_http__new(e, source, (const struct sockaddr *) &sa, ret);
}

metrics_http *metrics_http_free(metrics_http *h) {
        if (!h)
                return NULL;
        h->io = sd_event_source_disable_unref(h->io);
        h->timer = sd_event_source_disable_unref(h->timer);
        MHD_stop_daemon(h->daemon);
        if (h->text)
                MHD_destroy_response(h->text);
        /* MHD said goodbye to each connection as it closed it; in case not. */
        while (h->head) {
                metrics_conn *c = h->head;
                conn_unlink(h, c);
                free(c);
        }
        free(h);
        return NULL;
}
