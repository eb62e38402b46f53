/* fuzz-http - whatever bytes a client sends to metrics_listen, through the
 * real thing: the daemon metrics-http.c makes (libmicrohttpd's parser, its
 * options, airsupd's request handler and connection deadlines, driven from
 * an sd-event loop as in airsupd), given one end of a socketpair with
 * MHD_add_connection() for each input.  The input is written in pieces (a
 * first byte below 0x10 picks their size: 1 << it; else all at once),
 * then the client's side is shut for writing and the loop run until the
 * server has closed the connection.  Whatever comes back must be HTTP.
 *
 * MHD waits for sockets edge-triggered: when the end of stream comes in
 * the same edge as the last bytes of an unfinished request, it does not
 * see it and waits for its idle timeout (10 s; so would airsupd, bounded
 * by that and its own deadline).  Time does not pass here, so once
 * nothing moves for a while the deadline is applied as if it had come
 * (metrics_http__cut_late()), which exercises that path as well. */
#define _GNU_SOURCE
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "supervisor/operator/metrics-http.h"
#include "supervisor/operator/metrics.h"

/* The text a scrape gets; metrics.c (and the whole manager) is not here. */
int metrics_text(const metrics_source *s, char **ret, size_t *ret_len) {
        static const char text[] = "# TYPE airsupd_children gauge\nairsupd_children 1\n";

        (void) s;
        *ret = strdup(text);
        if (!*ret)
                return -ENOMEM;
        *ret_len = sizeof(text) - 1;
        return 0;
}

static sd_event *event;
static metrics_http *http;

static void setup(void) {
        if (http)
                return;
        if (sd_event_new(&event) < 0 || metrics_http__new(event, (metrics_source) {}, NULL, &http) < 0)
                abort();
}

/* Reads what the server sent; whether it has closed. */
static int drain(int fd, char *first, size_t first_size, size_t *got) {
        char buf[65536];

        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n == 0)
                        return 1;
                if (n < 0)
                        return errno == EAGAIN ? 0 : 1;
                if (*got < first_size) {
                        size_t k = (size_t) n < first_size - *got ? (size_t) n : first_size - *got;
                        memcpy(first + *got, buf, k);
                }
                *got += (size_t) n;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct sockaddr_in peer = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        size_t chunk = size, off = 0, got = 0;
        char first[16] = "";
        int sv[2], closed = 0;

        setup();
        if (size > 0 && data[0] < 0x10) {
                chunk = (size_t) 1 << data[0];
                data++;
                size--;
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        /* MHD owns sv[0] from here, even when it refuses it. */
        if (MHD_add_connection(metrics_http__daemon(http), sv[0], (struct sockaddr *) &peer, sizeof(peer)) != MHD_YES) {
                close(sv[1]);
                return 0;
        }
        /* At most 100,000 turns: a server that neither answers nor closes,
         * even past its deadline, is a bug reported here, not an endless
         * loop. */
        for (unsigned turn = 0, still = 0; turn < 100000 && !closed; turn++) {
                size_t before = got;

                if (off < size) {
                        size_t n = size - off < chunk ? size - off : chunk;
                        ssize_t w = write(sv[1], data + off, n);
                        if (w > 0)
                                off += (size_t) w;
                        else if (w < 0 && errno != EAGAIN)
                                off = size;     /* the server closed: nothing more to say */
                        if (off == size)
                                (void) shutdown(sv[1], SHUT_WR);
                } else if (size == 0 && turn == 0)
                        (void) shutdown(sv[1], SHUT_WR);
                if (sd_event_run(event, 0) < 0)
                        abort();
                closed = drain(sv[1], first, sizeof(first), &got);
                still = off == size && got == before ? still + 1 : 0;
                if (still == 64)
                        (void) metrics_http__cut_late(http, UINT64_MAX - 1);
        }
        if (!closed && getenv("FUZZ_HTTP_VERBOSE"))
                fprintf(stderr, "not closed: %zu back: %.12s\n", got, got ? first : "");
        if (!closed)
                abort();
        if (got > 0 && memcmp(first, "HTTP/1.", got < 7 ? got : 7) != 0)
                abort();
        if (getenv("FUZZ_HTTP_VERBOSE"))        /* to see what the seeds get */
                fprintf(stderr, "%zu bytes in %zu-byte pieces: %zu back: %.12s\n", size, chunk, got,
                        got ? first : "");
        close(sv[1]);
        /* MHD forgets the connection at its next turns. */
        for (unsigned turn = 0; turn < 4; turn++)
                (void) sd_event_run(event, 0);
        return 0;
}
