/* logsink.c - a group's output, captured: stdout = log:PATH (a file with a
 * time per line, rotated at log_max, log_keep old files kept, as s6-log
 * and supervisord do) or stdout = console (airsupd's stderr, each line
 * prefixed with the process's name).
 *
 * A sink has one pipe for its whole life: airsupd keeps the read end and
 * gives each incarnation (and whatever it forks) a copy of the write end,
 * so that output is never lost across a restart and a grandchild's lines
 * land in the same file.  The read end is read on the event loop, at most
 * SINK_READ_MAX bytes per wake-up into a buffer of SINK_LINE_MAX: a child
 * that writes faster than the file takes it fills the pipe and is slowed
 * by it, and airsupd's memory does not grow.  A line longer than the
 * buffer is written in pieces, each a line of its own, never dropped.
 *
 * The file is opened by airsupd (O_APPEND, O_NOFOLLOW, 0640).  Rotation:
 * PATH.(keep-1) becomes PATH.keep, ... PATH becomes PATH.1, and a new
 * PATH is opened; with log_keep = 0 the full file is simply started
 * afresh.  SIGUSR1 reopens every file, for an outside rotation (logrotate
 * without copytruncate). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "supervisor/event.h"
#include "supervisor/logsink.h"

#define SINK_LINE_MAX 16384             /* longer lines are split */
#define SINK_READ_MAX 65536             /* per wake-up: then others get their turn */

struct log_sink {
        sd_event_source *source;
        int read_fd, write_fd;
        bool console;                   /* airsupd's stderr, "NAME | line" */
        char name[96];
        char path[PATH_MAX];
        int file_fd;
        uint64_t size, max;
        unsigned keep;
        sup_events *events;
        size_t len;                     /* of a line not yet ended */
        char buf[SINK_LINE_MAX];
};

static int file_open(log_sink *s) {
        struct stat st;

        s->file_fd = safe_close(s->file_fd);
        s->file_fd = open(s->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);
        if (s->file_fd < 0) {
                int r = -errno;
                sup_log(s->events, LOG_ERR, "%s: cannot open its log %s: %s", s->name, s->path, strerror(-r));
                return r;
        }
        s->size = fstat(s->file_fd, &st) == 0 ? (uint64_t) st.st_size : 0;
        return 0;
}

static void rotate(log_sink *s) {
        char from[PATH_MAX + 16], to[PATH_MAX + 16];

        if (s->keep == 0)
                (void) unlink(s->path);
        for (unsigned i = s->keep; i > 0; i--) {
                snprintf(to, sizeof(to), "%s.%u", s->path, i);
                if (i == 1)
                        snprintf(from, sizeof(from), "%s", s->path);
                else
                        snprintf(from, sizeof(from), "%s.%u", s->path, i - 1);
                if (rename(from, to) < 0 && errno != ENOENT)
                        sup_log(s->events, LOG_WARNING, "%s: cannot rotate %s: %m", s->name, from);
        }
        (void) file_open(s);
}

/* One line (without its newline), with its time or its name. */
static void put_line(log_sink *s, const char *line, size_t len) {
        char head[128];
        struct iovec iov[3];
        size_t total;
        ssize_t n;
        int fd;

        if (s->console) {
                snprintf(head, sizeof(head), "%s | ", s->name);
                fd = STDERR_FILENO;
        } else {
                struct timespec ts;
                struct tm tm;
                char zone[8];

                clock_gettime(CLOCK_REALTIME, &ts);
                localtime_r(&ts.tv_sec, &tm);
                strftime(zone, sizeof(zone), "%z", &tm);
                n = (ssize_t) strftime(head, sizeof(head), "%Y-%m-%dT%H:%M:%S", &tm);
                snprintf(head + n, sizeof(head) - (size_t) n, ".%06ld%.3s:%.2s ", ts.tv_nsec / 1000, zone, zone + 3);
                if (s->file_fd < 0 && file_open(s) < 0)
                        return;
                if (s->max > 0 && s->size > 0 && s->size + strlen(head) + len + 1 > s->max)
                        rotate(s);
                fd = s->file_fd;
                if (fd < 0)
                        return;
        }
        iov[0] = (struct iovec) { .iov_base = head, .iov_len = strlen(head) };
        iov[1] = (struct iovec) { .iov_base = (void *) line, .iov_len = len };
        iov[2] = (struct iovec) { .iov_base = (void *) "\n", .iov_len = 1 };
        total = iov[0].iov_len + len + 1;
        do
                n = writev(fd, iov, 3);
        while (n < 0 && errno == EINTR);
        if (n > 0 && !s->console)
                s->size += (uint64_t) n;
        if (n >= 0 && (size_t) n < total && !s->console)
                sup_log(s->events, LOG_WARNING, "%s: short write to %s", s->name, s->path);
}

/* Writes every complete line in the buffer; keeps the rest, unless the
 * buffer is full (or FLUSH): then it goes out as a line too. */
static void drain_lines(log_sink *s, bool flush) {
        size_t start = 0;

        for (;;) {
                char *nl = memchr(s->buf + start, '\n', s->len - start);
                if (!nl)
                        break;
                put_line(s, s->buf + start, (size_t) (nl - (s->buf + start)));
                start = (size_t) (nl - s->buf) + 1;
        }
        if ((flush || (start == 0 && s->len == sizeof(s->buf))) && s->len > start) {
                put_line(s, s->buf + start, s->len - start);
                start = s->len;
        }
        memmove(s->buf, s->buf + start, s->len - start);
        s->len -= start;
}

static int on_output(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        log_sink *s = userdata;
        size_t done = 0;

        (void) src;
        (void) revents;
        while (done < SINK_READ_MAX) {
                ssize_t n = read(fd, s->buf + s->len, sizeof(s->buf) - s->len);
                if (n <= 0)
                        break;
                s->len += (size_t) n;
                done += (size_t) n;
                drain_lines(s, false);
        }
        return 0;
}

int log_sink_new(sd_event *e, sup_events *ev, const char *name, const char *path, uint64_t max, unsigned keep,
                 log_sink **ret) {
        _cleanup_free_ log_sink *s = calloc(1, sizeof(log_sink));
        int fds[2], r;

        if (!s)
                return -ENOMEM;
        s->read_fd = s->write_fd = s->file_fd = -EBADF;
        s->console = !path;
        s->events = ev;
        s->max = max;
        s->keep = keep;
        snprintf(s->name, sizeof(s->name), "%s", name);
        if (path) {
                if (strlen(path) >= sizeof(s->path))
                        return -ENAMETOOLONG;
                memcpy(s->path, path, strlen(path) + 1);
        }
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        s->read_fd = fds[0];
        s->write_fd = fds[1];
        if (fcntl(s->read_fd, F_SETFL, O_NONBLOCK) < 0) {
                r = -errno;
                goto fail;
        }
        r = sd_event_add_io(e, &s->source, s->read_fd, EPOLLIN, on_output, s);
        if (r < 0)
                goto fail;
        if (path)
                (void) file_open(s);    /* an error is logged; opened again at the next line */
        *ret = TAKE_PTR(s);
        return 0;
fail:
        safe_close(s->read_fd);
        safe_close(s->write_fd);
        return r;
}

int log_sink_writer(log_sink *s) {
        int fd = fcntl(s->write_fd, F_DUPFD_CLOEXEC, 3);
        return fd < 0 ? -errno : fd;
}

void log_sink_reopen(log_sink *s) {
        if (s && !s->console)
                (void) file_open(s);
}

log_sink *log_sink_free(log_sink *s) {
        if (!s)
                return NULL;
        /* What the pipe still holds goes out first. */
        s->write_fd = safe_close(s->write_fd);
        on_output(NULL, s->read_fd, 0, s);
        drain_lines(s, true);
        s->source = sd_event_source_disable_unref(s->source);
        safe_close(s->read_fd);
        safe_close(s->file_fd);
        free(s);
        return NULL;
}

void log_sink_set_rotation(log_sink *s, uint64_t max, unsigned keep) {
        if (!s)
                return;
        s->max = max;
        s->keep = keep;
}
