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
 * Console lines go out without waiting (errout.c): while
 * airsupd's standard error is full they are dropped and counted.  Each
 * console line is also kept in the sink's ring (tail.c, the last 64 KiB
 * of whole lines), across restarts, for airsupctl logs.
 *
 * The file is opened and rotated by airsupd, usually root, in a directory
 * that the group's user often owns: that user may put a FIFO, a
 * directory, a symbolic link or a hard link where PATH or PATH.N was.  So
 * the directory is resolved with openat2(RESOLVE_NO_SYMLINKS) (no
 * symbolic link in any component, as systemd's chase() refuses them; one
 * O_NOFOLLOW component at a time where openat2() is missing), the
 * file opened in it with O_NOFOLLOW | O_NONBLOCK (a FIFO without a reader
 * fails with ENXIO instead of freezing the loop) and kept only if fstat()
 * says it is a regular file with one link, and the rotation renames
 * within that directory fd.  Rotation: PATH.(keep-1) becomes PATH.keep,
 * ... PATH becomes PATH.1, and a new PATH is opened; with log_keep = 0
 * the full file is simply started afresh.  When PATH cannot be moved away
 * (PATH.1 is a non-empty directory, say), the file is started afresh all
 * the same (truncated), so log_max still bounds it; when no file can be
 * opened, lines are dropped and counted.  Either is said once in the file
 * (a line from airsupd) and in a warning; warnings are rate-limited per
 * sink and a failed open or rotation is tried again at most once a second,
 * so a child writing 20,000 lines costs a few warnings and a few system
 * calls, not 20,000.  SIGUSR1 reopens every file, for an outside rotation
 * (logrotate without copytruncate). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "supervisor/core/event.h"
#include "supervisor/output/errout.h"
#include "supervisor/output/logsink.h"
#include "supervisor/output/tail.h"
#include "supervisor/core/ratelimit.h"

#define SINK_LINE_MAX 16384             /* longer lines are split */
#define SINK_READ_MAX 65536             /* per wake-up: then others get their turn */
#define SINK_RETRY_USEC USEC_PER_SEC    /* a failed open or rotation, tried again after */
#define SINK_WARN_BURST 5               /* warnings per sink ... */
#define SINK_WARN_INTERVAL_USEC (10 * USEC_PER_SEC)     /* ... in this long */

struct log_sink {
        sd_event_source *source;
        int read_fd, write_fd;
        bool console;                   /* airsupd's stderr, "NAME | line" */
        log_tail tail;                  /* console: its last lines */
        char name[96];
        char path[PATH_MAX];
        char dir[PATH_MAX];             /* PATH up to its last '/' ("/" for "/x") */
        const char *base;               /* into path: after its last '/' */
        int file_fd;
        uint64_t size, max;
        unsigned keep;
        sup_events *events;
        /* Failures: no open or rotation before retry_usec (CLOCK_MONOTONIC);
         * lines dropped and bytes discarded in all, and how many of them the
         * file was last told of; why, for that line. */
        uint64_t retry_usec;
        uint64_t dropped, dropped_told, discarded, discarded_told;
        char why[160];
        sup_ratelimit warn_rl;
        size_t len;                     /* of a line not yet ended */
        char buf[SINK_LINE_MAX];
};

static uint64_t sink_now(const log_sink *s) {
        uint64_t now;
        struct timespec ts;

        if (s->source && sd_event_now(sd_event_source_get_event(s->source), CLOCK_MONOTONIC, &now) >= 0)
                return now;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

/* A warning about the sink, rate-limited unless ALWAYS (the answer to an
 * operator's SIGUSR1). */
static void sink_warn(log_sink *s, uint64_t now, bool always, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void sink_warn(log_sink *s, uint64_t now, bool always, const char *fmt, ...) {
        unsigned suppressed = 0;
        char msg[400];
        va_list ap;

        if (!sup_ratelimit_pass(&s->warn_rl, now, SINK_WARN_INTERVAL_USEC, SINK_WARN_BURST, &suppressed) &&
            !always)
                return;
        if (suppressed > 0)
                sup_log(s->events, LOG_WARNING, "%s: %u warnings about its log suppressed", s->name, suppressed);
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        sup_log(s->events, LOG_WARNING, "%s: %s", s->name, msg);
}

/* Why an open in the log's directory failed, in words an operator acts on. */
static const char *open_error(int r) {
        switch (r) {
        case -ELOOP:
                return "a symbolic link in its path, not followed";
        case -ENXIO:
                return "a FIFO or socket, not a regular file";
        case -EISDIR:
                return "a directory, not a regular file";
        case -EBADFD:
                return "not a regular file";
        case -EMLINK:
                return "a regular file with other hard links, refused";
        default:
                return strerror(-r);
        }
}

/* The same, one component at a time from "/" with O_NOFOLLOW, where
 * openat2() is missing (before Linux 5.6, or refused by an older
 * container runtime's seccomp filter). */
static int dir_walk(const char *dir) {
        _cleanup_close_ int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        char copy[PATH_MAX], *save = NULL;

        if (fd < 0)
                return -errno;
        snprintf(copy, sizeof(copy), "%s", dir);
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int next = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0) {
                        int r = -errno;
                        struct stat st;
                        /* A link opened with O_NOFOLLOW | O_DIRECTORY is "not a directory". */
                        if (r == -ENOTDIR && fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                                r = -ELOOP;
                        return r;
                }
                safe_close(fd);
                fd = next;
        }
        return TAKE_FD(fd);
}

/* The log's directory, as a handle for the *at() calls below: no symbolic
 * link is followed in any component of it, since the group's user may own
 * one of them. */
static int dir_open(const log_sink *s) {
        struct open_how how = {
                .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        long fd = syscall(SYS_openat2, AT_FDCWD, s->dir, &how, sizeof(how));

        if (fd < 0 && (errno == ENOSYS || errno == EPERM))
                return dir_walk(s->dir);
        return fd < 0 ? -errno : (int) fd;
}

/* Opens PATH in DFD (or, with DFD < 0, resolves the directory first):
 * never blocking, never through a symbolic link, and only a regular file
 * with no other name, so that what the group's user plants there is
 * refused, never written or waited for.  A failure is warned of (ALWAYS,
 * or rate-limited). */
static int file_open(log_sink *s, int dfd, uint64_t now, bool always) {
        _cleanup_close_ int own_dfd = -EBADF, fd = -EBADF;
        struct stat st;
        int r;

        s->file_fd = safe_close(s->file_fd);
        if (dfd < 0) {
                own_dfd = dir_open(s);
                if (own_dfd < 0) {
                        r = own_dfd;
                        goto fail;
                }
                dfd = own_dfd;
        }
        /* O_NONBLOCK stays: writes to a regular file ignore it. */
        fd = openat(dfd, s->base, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK,
                    0640);
        if (fd < 0) {
                r = -errno;
                goto fail;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                goto fail;
        }
        if (!S_ISREG(st.st_mode)) {
                r = S_ISDIR(st.st_mode) ? -EISDIR : S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ? -ENXIO : -EBADFD;
                goto fail;
        }
        if (st.st_nlink > 1) {
                r = -EMLINK;
                goto fail;
        }
        s->file_fd = TAKE_FD(fd);
        s->size = (uint64_t) st.st_size;
        s->retry_usec = 0;
        return 0;
fail:
        s->retry_usec = now + SINK_RETRY_USEC;
        snprintf(s->why, sizeof(s->why), "the log could not be opened: %s", open_error(r));
        sink_warn(s, now, always, "cannot open its log %s: %s; %llu lines dropped so far", s->path, open_error(r),
                  (unsigned long long) s->dropped);
        return r;
}

/* PATH.(keep-1) to PATH.keep, ..., then PATH to PATH.1 (or, with keep 0,
 * PATH removed), all within DFD: a rename never follows a symbolic link,
 * and the names hold no '/'.  Whether PATH was moved away (or was gone);
 * an older file that could not move on is overwritten or left, and
 * *RET_SHIFT is the first such error (0: none). */
static int rotate_names(log_sink *s, int dfd, int *ret_shift) {
        char from[NAME_MAX + 16], to[NAME_MAX + 16];

        *ret_shift = 0;
        if (s->keep == 0)
                return unlinkat(dfd, s->base, 0) < 0 && errno != ENOENT ? -errno : 0;
        for (unsigned i = s->keep; i > 1; i--) {
                snprintf(to, sizeof(to), "%s.%u", s->base, i);
                snprintf(from, sizeof(from), "%s.%u", s->base, i - 1);
                if (renameat(dfd, from, dfd, to) < 0 && errno != ENOENT && *ret_shift == 0)
                        *ret_shift = -errno;
        }
        snprintf(to, sizeof(to), "%s.1", s->base);
        return renameat(dfd, s->base, dfd, to) < 0 && errno != ENOENT ? -errno : 0;
}

/* The file is full: a new one, or, when PATH cannot be moved away, the
 * same one started afresh; when even that fails, nothing (lines are
 * dropped until a later try). */
static void rotate(log_sink *s, uint64_t now) {
        _cleanup_close_ int dfd = dir_open(s);
        const char *what;
        int r, shift = 0;

        r = dfd < 0 ? dfd : rotate_names(s, dfd, &shift);
        if (r >= 0) {
                if (shift < 0)
                        sink_warn(s, now, false, "%s rotated, but an older file could not move on (%s), ignoring",
                                  s->path, strerror(-shift));
                (void) file_open(s, dfd, now, false);
                return;
        }
        /* The directory's own error, or rename()'s (EISDIR: PATH.1 is a
         * directory, ENOTEMPTY, EPERM, ...). */
        what = dfd < 0 ? open_error(r) : strerror(-r);
        if (ftruncate(s->file_fd, 0) < 0) {
                s->retry_usec = now + SINK_RETRY_USEC;
                snprintf(s->why, sizeof(s->why), "the log is full and can be neither rotated (%s) nor truncated (%m)",
                         what);
                sink_warn(s, now, false, "%s: %s; %llu lines dropped so far", s->path, s->why,
                          (unsigned long long) s->dropped);
                return;
        }
        s->discarded += s->size;
        s->size = 0;
        snprintf(s->why, sizeof(s->why), "the log could not be rotated (%s) and was started afresh", what);
        sink_warn(s, now, false, "%s: %s; %llu bytes discarded so far", s->path, s->why, (unsigned long long) s->discarded);
}

static void timestamp(char *head, size_t size) {
        struct timespec ts;
        struct tm tm;
        char zone[8];
        size_t n;

        clock_gettime(CLOCK_REALTIME, &ts);
        localtime_r(&ts.tv_sec, &tm);
        strftime(zone, sizeof(zone), "%z", &tm);
        n = strftime(head, size, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(head + n, size - n, ".%06ld%.3s:%.2s ", ts.tv_nsec / 1000, zone, zone + 3);
}

static void write_line(log_sink *s, int fd, const char *head, const char *line, size_t len) {
        struct iovec iov[3];
        size_t total;
        ssize_t n;

        iov[0] = (struct iovec) { .iov_base = (void *) head, .iov_len = strlen(head) };
        iov[1] = (struct iovec) { .iov_base = (void *) line, .iov_len = len };
        iov[2] = (struct iovec) { .iov_base = (void *) "\n", .iov_len = 1 };
        total = iov[0].iov_len + len + 1;
        do
                n = writev(fd, iov, 3);
        while (n < 0 && errno == EINTR);
        if (n > 0)
                s->size += (uint64_t) n;
        if (n >= 0 && (size_t) n < total)
                sup_log(s->events, LOG_WARNING, "%s: short write to %s", s->name, s->path);
}

/* "NAME | line" on airsupd's standard error; whether all of it went (a
 * line that did not fit is dropped, or cut when half of it fit). */
static bool console_line(const char *head, const char *line, size_t len) {
        struct iovec iov[3] = {
                { .iov_base = (void *) head, .iov_len = strlen(head) },
                { .iov_base = (void *) line, .iov_len = len },
                { .iov_base = (void *) "\n", .iov_len = 1 },
        };

        return errout_writev(iov, 3);
}

/* One line (without its newline) to the file, at NOW: rotated first if
 * it would go over log_max; dropped (and counted) while no file can be
 * had; after a loss, a line of airsupd's own says what went. */
static void put_file_line(log_sink *s, uint64_t now, const char *line, size_t len) {
        char head[64], note[320];
        int n;

        timestamp(head, sizeof(head));
        if (s->file_fd >= 0 && s->max > 0 && s->size > 0 && s->size + strlen(head) + len + 1 > s->max) {
                if (now < s->retry_usec) {
                        s->dropped++;
                        return;
                }
                rotate(s, now);
                if (s->file_fd >= 0 && s->size > 0 && s->size + strlen(head) + len + 1 > s->max) {
                        s->dropped++;
                        return;
                }
        }
        if (s->file_fd < 0 && (now < s->retry_usec || file_open(s, -EBADF, now, false) < 0)) {
                s->dropped++;
                return;
        }
        if (s->dropped > s->dropped_told || s->discarded > s->discarded_told) {
                n = snprintf(note, sizeof(note), "airsupd: ");
                if (s->dropped > s->dropped_told)
                        n += snprintf(note + n, sizeof(note) - (size_t) n, "%llu lines dropped, ",
                                      (unsigned long long) (s->dropped - s->dropped_told));
                if (s->discarded > s->discarded_told)
                        n += snprintf(note + n, sizeof(note) - (size_t) n, "%llu bytes discarded, ",
                                      (unsigned long long) (s->discarded - s->discarded_told));
                snprintf(note + n, sizeof(note) - (size_t) n, "%s", s->why);
                write_line(s, s->file_fd, head, note, strlen(note));
                s->dropped_told = s->dropped;
                s->discarded_told = s->discarded;
        }
        write_line(s, s->file_fd, head, line, len);
}

/* One line (without its newline) to airsupd's standard error: while that
 * is full, dropped and counted, and said with the next line that goes
 * (no warning in airsupd's own log: it would go where there is no room). */
static void put_console_line(log_sink *s, const char *line, size_t len) {
        char head[128], note[128];

        /* Kept whether or not standard error takes it. */
        (void) log_tail_append(&s->tail, line, len);
        snprintf(head, sizeof(head), "%s | ", s->name);
        if (s->dropped > s->dropped_told) {
                snprintf(note, sizeof(note), "airsupd: %llu lines dropped or cut, airsupd's standard error was full",
                         (unsigned long long) (s->dropped - s->dropped_told));
                if (!console_line(head, note, strlen(note))) {
                        s->dropped++;
                        return;
                }
                s->dropped_told = s->dropped;
        }
        if (!console_line(head, line, len))
                s->dropped++;
}

/* One line (without its newline), with its time or its name. */
static void put_line(log_sink *s, uint64_t now, const char *line, size_t len) {
        if (s->console)
                put_console_line(s, line, len);
        else
                put_file_line(s, now, line, len);
}

/* Writes every complete line in the buffer; keeps the rest, unless the
 * buffer is full (or FLUSH): then it goes out as a line too. */
static void drain_lines(log_sink *s, uint64_t now, bool flush) {
        size_t start = 0;

        for (;;) {
                char *nl = memchr(s->buf + start, '\n', s->len - start);
                if (!nl)
                        break;
                put_line(s, now, s->buf + start, (size_t) (nl - (s->buf + start)));
                start = (size_t) (nl - s->buf) + 1;
        }
        if ((flush || (start == 0 && s->len == sizeof(s->buf))) && s->len > start) {
                put_line(s, now, s->buf + start, s->len - start);
                start = s->len;
        }
        memmove(s->buf, s->buf + start, s->len - start);
        s->len -= start;
}

static int on_output(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        log_sink *s = userdata;
        uint64_t now = sink_now(s);
        size_t done = 0;

        (void) src;
        (void) revents;
        while (done < SINK_READ_MAX) {
                ssize_t n = read(fd, s->buf + s->len, sizeof(s->buf) - s->len);
                if (n <= 0)
                        break;
                s->len += (size_t) n;
                done += (size_t) n;
                drain_lines(s, now, false);
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
                char *slash = strrchr(s->path, '/');
                if (!slash || !slash[1])
                        return -EISDIR;
                s->base = slash + 1;
                snprintf(s->dir, sizeof(s->dir), "%.*s", slash == s->path ? 1 : (int) (slash - s->path), s->path);
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
                (void) file_open(s, -EBADF, sink_now(s), false);        /* tried again later */
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
        /* Asked for: at once, whatever failed a moment ago. */
        if (s && !s->console)
                (void) file_open(s, -EBADF, sink_now(s), /* always= */ true);
}

log_sink *log_sink_free(log_sink *s) {
        if (!s)
                return NULL;
        /* What the pipe still holds goes out first. */
        s->write_fd = safe_close(s->write_fd);
        on_output(NULL, s->read_fd, 0, s);
        drain_lines(s, sink_now(s), true);
        s->source = sd_event_source_disable_unref(s->source);
        safe_close(s->read_fd);
        safe_close(s->file_fd);
        log_tail_done(&s->tail);
        free(s);
        return NULL;
}

void log_sink_set_rotation(log_sink *s, uint64_t max, unsigned keep) {
        if (!s)
                return;
        s->max = max;
        s->keep = keep;
}

const log_tail *log_sink_tail(const log_sink *s) {
        return s && s->console ? &s->tail : NULL;
}
