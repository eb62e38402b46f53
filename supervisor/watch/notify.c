/* notify.c - the sd_notify protocol, one socket per process of a group with
 * ready = notify (or a watchdog).
 *
 * Each proc gets a datagram socket in the filesystem, bound once and kept
 * across restarts, whose path its children find in NOTIFY_SOCKET.  Not an
 * abstract one: those have no permissions and their names show in
 * /proc/net/unix, and a socket's queue holds only net.unix.max_dgram_qlen
 * datagrams (10 by default), so any local user could keep it full and make
 * the group's own WATCHDOG=1 wait in sendmsg() past its deadline.  The
 * sockets live in a directory of this airsupd's own, made with mkdtemp()
 * (nobody can make it first) under /run as root, $XDG_RUNTIME_DIR or /tmp
 * otherwise, mode 0711: searchable by the groups' users, listable by
 * nobody.  Each socket is mode 0600 and owned by the uid its group runs as
 * (notify_grant(), before each spawn), so only that uid and root can send
 * to it; everyone else gets EACCES from connect() or sendto().  The
 * directory goes with its last socket; one a killed airsupd left behind,
 * with its dead sockets, is removed by the next airsupd of the same uid
 * that makes one (dir_sweep()).  Only where no directory can
 * be made at all does a socket fall back to an abstract name, "@airsup/"
 * and 32 random hex digits, with a warning.
 *
 * A sender is trusted only through what the kernel attaches to its
 * datagram: its credentials (SO_PASSCRED) and, on kernels that have it, a
 * pidfd of it (SO_PASSPIDFD), never through a number it writes.  It counts
 * when it is the main process, in the main process's process group, or
 * below the main process; a sender that has already exited (a short-lived
 * helper) counts when its uid is the one the group runs as, since such a
 * process could do anything to the group anyway.  airsupd's own pid is
 * accepted as a sender too: systemd-notify (measured with systemd 252) run
 * as root sends READY=1 with its *parent's* pid, which for
 * "exec systemd-notify" is airsupd, and only a privileged process can
 * claim a pid not its own.  That allowance covers the sender only:
 * MAINPID= must name a live process of the group, never airsupd, never
 * PID 1, never another group's main process.
 *
 * Every fd that arrives is disposed of through sup_dispose_fds(), which
 * never lets a close block the loop; a BARRIER=1 is answered by that
 * close.  Rejections are logged at most a few times per interval per
 * socket, so a flood costs a line now and then. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "supervisor/core/names.h"
#include "supervisor/start/cgroup.h"
#include "supervisor/start/closer.h"
#include "supervisor/start/spawn.h"
#include "supervisor/watch/notify-parse.h"
#include "supervisor/watch/notify.h"

/* Not in Debian 12's headers; the values of the generic socket ABI. */
#if defined(__x86_64__) || defined(__aarch64__) || defined(__i386__) || defined(__riscv)
#  ifndef SO_PASSPIDFD
#    define SO_PASSPIDFD 76
#  endif
#  ifndef SCM_PIDFD
#    define SCM_PIDFD 0x04
#  endif
#endif

/* The kernel passes at most this many fds in one message; a control
 * buffer for all of them means none is dropped (and closed) inside
 * recvmsg(), where airsupd could not choose how. */
#define NOTIFY_FDS_MAX 253
/* Datagrams handled per wake-up, so that one chatty child cannot starve
 * the loop; the rest wait for the next round. */
#define NOTIFY_BATCH 16
#define TREE_DEPTH_MAX 64
/* Rejected messages logged per socket: this many per interval. */
#define NOTIFY_LOG_BURST 5
#define NOTIFY_LOG_INTERVAL_USEC (10 * USEC_PER_SEC)
#define BIND_TRIES 8
/* STATUS= events per process: this many per interval (one a second on
 * average, a start-up's few at once). */
#define STATUS_BURST 5
#define STATUS_INTERVAL_USEC (5 * USEC_PER_SEC)
/* A socket's path: the directory, "/", NOTIFY_NAME_LEN hex digits, and a
 * NUL, within sun_path's 108 bytes. */
#define NOTIFY_NAME_LEN 32
#define NOTIFY_DIR_MAX (sizeof(((struct sockaddr_un *) 0)->sun_path) - 1 - NOTIFY_NAME_LEN - 1)

/* Whether live process PID is in P's process group or below its main
 * process (by parent links), as seen in /proc now.  airsupd and PID 1 end
 * the walk: an orphan reparented to either is no longer below the main. */
static bool pid_in_group(const sup_proc *p, pid_t pid) {
        pid_t self = getpid();

        if (pid <= 1 || pid == self || p->pid <= 0)
                return false;
        if (pid == p->pid)
                return true;
        /* Its cgroup is all of it, and all there is of it. */
        if (p->cgroup.fd >= 0)
                return cgroup_holds(p, pid);
        for (unsigned depth = 0; depth < TREE_DEPTH_MAX; depth++) {
                char state;
                pid_t ppid, pgrp;

                if (sup_proc_stat(pid, &state, &ppid, &pgrp) < 0)
                        return false;
                if (p->pgid > 0 && pgrp == p->pgid)
                        return true;
                if (ppid == p->pid)
                        return true;
                if (ppid <= 1 || ppid == self)
                        return false;
                pid = ppid;
        }
        return false;
}

static bool pidfd_exited(int pidfd) {
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
        return poll(&pfd, 1, 0) > 0;
}

/* Whether a datagram with credentials CRED (and the sender's pidfd, or
 * -EBADF) may speak for P. */
static bool sender_trusted(const sup_proc *p, const struct ucred *cred, int pidfd) {
        bool gone;

        if (!cred || cred->pid <= 0 || p->pid <= 0)
                return false;
        if (cred->pid == getpid())
                return true;
        if (pidfd >= 0)
                gone = pidfd_exited(pidfd);
        else {
                char state;
                pid_t ppid, pgrp;
                gone = sup_proc_stat(cred->pid, &state, &ppid, &pgrp) == -ENOENT;
        }
        if (!gone) {
                bool in = pid_in_group(p, cred->pid);
                /* The pid still named the sender during the walk unless it
                 * exited (and was reused) meanwhile; then ask the uid. */
                if (pidfd < 0 || !pidfd_exited(pidfd))
                        return in;
        }
        return cred->uid == p->uid;
}

/* Whether PID may become P's main process: alive, in P's process group or
 * below its main process, and nobody else's main.  The number is the
 * sender's word, so airsupd and PID 1 are refused whoever sent it. */
static bool main_pid_acceptable(const sup_proc *p, pid_t pid) {
        char state;
        pid_t ppid, pgrp;

        if (pid <= 1 || pid == getpid())
                return false;
        if (sup_proc_stat(pid, &state, &ppid, &pgrp) < 0 || state == 'Z' || state == 'X')
                return false;
        if (manager_find_pid(p->group->m, pid))
                return false;
        return pid_in_group(p, pid);
}

static void notify_warn(sup_proc *p, const char *fmt, ...) _printf_(2, 3);
static void notify_warn(sup_proc *p, const char *fmt, ...) {
        sup_events *ev = &p->group->m->events;
        unsigned suppressed;
        char msg[256];
        va_list ap;

        if (!sup_ratelimit_pass(&p->notify->log, sup_proc_now(p), NOTIFY_LOG_INTERVAL_USEC, NOTIFY_LOG_BURST,
                                &suppressed))
                return;
        if (suppressed > 0)
                sup_log(ev, LOG_WARNING, "%s: %u notify warnings suppressed", p->name, suppressed);
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        sup_log(ev, LOG_WARNING, "%s: %s", p->name, msg);
}

/* A STATUS= is an event at most STATUS_BURST times per STATUS_INTERVAL
 * per process: a process that sends them in a loop would otherwise push
 * every other group's events out of the history, write a log line each
 * and cut off every `events -f` follower as a slow reader.  The latest
 * text is always kept (`airsupctl status` shows it); one held back is
 * made an event, with the count of those held back, by the process's
 * next datagram once the interval is over (PENDING: a datagram without
 * STATUS=). */
static void status_event(sup_proc *p, bool pending) {
        notify_proc *n = p->notify;
        uint64_t now = sup_proc_now(p);
        unsigned suppressed;

        if (pending && (n->status_events.suppressed == 0 ||
                        now - n->status_events.begin_usec < STATUS_INTERVAL_USEC))
                return;
        if (!sup_ratelimit_pass(&n->status_events, now, STATUS_INTERVAL_USEC, STATUS_BURST, &suppressed))
                return;
        n->status_suppressed = suppressed;
        (void) sup_report(p, PROC_REPORT_STATUS);
        n->status_suppressed = 0;
}

/* AIRSUP_COUNTERS=: the new values of the names it knows, and new names
 * while there is room (a process cannot make its list grow past
 * NOTIFY_COUNTERS_MAX). */
static void counters_keep(notify_proc *n, const notify_msg *msg) {
        if (!n->counters && !(n->counters = calloc(NOTIFY_COUNTERS_MAX, sizeof(*n->counters))))
                return;
        for (unsigned i = 0; i < msg->n_counters; i++) {
                unsigned k;

                for (k = 0; k < n->n_counters && strcmp(n->counters[k].name, msg->counters[i].name) != 0; k++)
                        ;
                if (k == n->n_counters) {
                        if (k == NOTIFY_COUNTERS_MAX)
                                continue;
                        n->counters[k] = msg->counters[i];
                        n->n_counters++;
                } else
                        n->counters[k].value = msg->counters[i].value;
        }
}

/* MAINPID= goes first, so that a READY=1 in the same datagram is about the
 * new main process. */
static void handle_message(sup_proc *p, const notify_msg *msg) {
        notify_proc *n = p->notify;

        if (msg->main_pid > 0 && msg->main_pid != p->pid) {
                if (main_pid_acceptable(p, msg->main_pid)) {
                        n->main_pid = msg->main_pid;
                        (void) sup_report(p, PROC_REPORT_MAIN_PID);
                } else
                        notify_warn(p, "MAINPID=%d is not a live process of this group, ignored",
                                    (int) msg->main_pid);
        }
        if (msg->has_status) {
                snprintf(n->status, sizeof(n->status), "%s", msg->status);
                status_event(p, /* pending= */ false);
        } else
                status_event(p, /* pending= */ true);
        if (msg->n_counters > 0)
                counters_keep(n, msg);
        if (msg->health != NOTIFY_HEALTH_UNSAID) {
                n->degraded = msg->health == NOTIFY_HEALTH_DEGRADED;
                (void) sup_report(p, PROC_REPORT_DECLARED_HEALTH);
        }
        if (msg->extend_usec > 0) {
                n->extend_usec = msg->extend_usec;
                (void) sup_report(p, PROC_REPORT_EXTEND_START);
        }
        /* The watchdog protocol (health = watchdog, probe.c). */
        if (msg->watchdog_usec > 0) {
                n->watchdog_usec = msg->watchdog_usec;
                (void) sup_report(p, PROC_REPORT_WATCHDOG_USEC);
        }
        if (msg->watchdog)
                (void) sup_report(p, PROC_REPORT_WATCHDOG);
        if (msg->watchdog_trigger)
                (void) sup_report(p, PROC_REPORT_WATCHDOG_TRIGGER);
        if (msg->ready)
                (void) sup_report(p, PROC_REPORT_READY);
        if (msg->stopping)
                (void) sup_report(p, PROC_REPORT_STOPPING);
        /* BARRIER=1 is answered by closing its fd. */
}

/* Takes every fd out of MH: into FDS (at most NOTIFY_FDS_MAX), the
 * sender's pidfd into *PIDFD. */
static size_t collect_fds(struct msghdr *mh, int *fds, int *pidfd, const struct ucred **cred) {
        size_t n_fds = 0;

        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                if (c->cmsg_level != SOL_SOCKET)
                        continue;
                if (c->cmsg_type == SCM_RIGHTS) {
                        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        const int *in = (const int *) (void *) CMSG_DATA(c);
                        for (size_t i = 0; i < n; i++) {
                                if (n_fds < NOTIFY_FDS_MAX)
                                        fds[n_fds++] = in[i];
                                else
                                        safe_close(in[i]);      /* cannot happen: the kernel's own limit */
                        }
                }
#ifdef SCM_PIDFD
                else if (c->cmsg_type == SCM_PIDFD && c->cmsg_len == CMSG_LEN(sizeof(int))) {
                        safe_close(*pidfd);
                        memcpy(pidfd, CMSG_DATA(c), sizeof(int));
                }
#endif
                else if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
                        *cred = (const struct ucred *) (void *) CMSG_DATA(c);
        }
        return n_fds;
}

/* Reads one datagram.  Returns 1 when one was handled (or dropped), 0 when
 * none is waiting. */
static int notify_read_one(sup_proc *p, bool discard) {
        char buf[NOTIFY_MSG_MAX];
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)) +
                         CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control),
        };
        const struct ucred *cred = NULL;
        int fds[NOTIFY_FDS_MAX], pidfd = -EBADF;
        size_t n_fds;
        notify_msg msg;
        ssize_t n;

        n = recvmsg(p->notify->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        n_fds = collect_fds(&mh, fds, &pidfd, &cred);

        if (discard)
                ;
        else if (!sender_trusted(p, cred, pidfd))
                notify_warn(p, "notify message from pid %d (uid %u), not one of its processes, ignored",
                            cred ? (int) cred->pid : 0, cred ? (unsigned) cred->uid : 0u);
        else if (mh.msg_flags & MSG_TRUNC || (size_t) n > sizeof(buf))
                notify_warn(p, "notify message longer than %d bytes, ignored", NOTIFY_MSG_MAX);
        else if (notify_parse(buf, (size_t) n, &msg) < 0)
                notify_warn(p, "notify message with a NUL byte, ignored");
        else
                handle_message(p, &msg);

        /* Checked (or ignored) while the sender still waits: release it. */
        safe_close(pidfd);
        if (n_fds > 0)
                sup_dispose_fds(p->group->m, fds, n_fds);
        return 1;
}

/* Reads up to NOTIFY_BATCH datagrams; true if that many were there (more
 * may wait). */
static bool flush_batch(sup_proc *p) {
        /* What it says (MAINPID=, READY=1) is about a running program. */
        (void) sup_report(p, PROC_REPORT_EXEC_SETTLE);
        for (unsigned i = 0; i < NOTIFY_BATCH; i++)
                if (!p->notify || p->notify->fd < 0 || notify_read_one(p, false) <= 0)
                        return false;
        return true;
}

void notify_flush(sup_proc *p) {
        (void) flush_batch(p);
}

/* The socket is watched edge-triggered: with a thousand children petting
 * their watchdogs, a level-triggered epoll would report every socket with
 * data again at each of sd-event's one-source-per-iteration dispatches.
 * A socket is read until it is empty, a batch at a time: after a full
 * batch (a sender that keeps sending) the watch is re-armed, so that it
 * comes round again after the other sources, neither starving them nor
 * losing its edge. */
static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        sup_proc *p = userdata;

        (void) fd;
        (void) revents;
        if (flush_batch(p) && p->notify && p->notify->source == s &&
            sd_event_source_set_io_events(s, EPOLLIN) >= 0)
                (void) sd_event_source_set_io_events(s, EPOLLIN | EPOLLET);
        return 0;
}

/* Drops datagrams a previous incarnation left queued (bounded: a sender
 * that keeps sending is read on the loop like any other). */
void notify_drain(sup_proc *p) {
        if (!p->notify || p->notify->fd < 0)
                return;
        for (unsigned i = 0; i < 1024; i++)
                if (notify_read_one(p, true) <= 0)
                        break;
}

/* This airsupd's directory of notify sockets, and how many are open in
 * it.  The process's, not a manager's: one airsupd, one directory. */
static char notify_dir[NOTIFY_DIR_MAX + 1];
static unsigned notify_dir_users;
static bool notify_abstract_warned;
static bool notify_swept;

/* Whether the socket at PATH is bound by nobody: connect() says so
 * without waiting. */
static bool socket_dead(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;

        if (strlen(path) >= sizeof(sa.sun_path))
                return false;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        return fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 && errno == ECONNREFUSED;
}

/* Removes what killed airsupds of this uid left under BASE: directories
 * whose sockets all refuse a connection.  An empty one is left alone: it
 * may be another airsupd's, between its mkdtemp() and its first bind().
 * Bounded: a few dozen entries of a runtime directory, once per airsupd
 * (for each place it tries). */
static void dir_sweep(const char *base) {
        _cleanup_(closedirp) DIR *d = opendir(base);
        unsigned swept = 0;

        for (struct dirent *de; d && swept < 64 && (de = readdir(d));) {
                _cleanup_(closedirp) DIR *sd = NULL;
                char dir[NOTIFY_DIR_MAX + 1], path[sizeof(((struct sockaddr_un *) 0)->sun_path)];
                unsigned live = 0, dead = 0;
                struct stat st;

                if (strncmp(de->d_name, "airsup-notify.", 14) != 0 ||
                    (size_t) snprintf(dir, sizeof(dir), "%s/%s", base, de->d_name) >= sizeof(dir) ||
                    lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
                        continue;
                sd = opendir(dir);
                for (struct dirent *e; sd && (e = readdir(sd));) {
                        if (e->d_name[0] == '.')
                                continue;
                        if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < sizeof(path) &&
                            socket_dead(path))
                                dead++;
                        else
                                live++;
                }
                if (live > 0 || dead == 0)
                        continue;
                rewinddir(sd);
                for (struct dirent *e; (e = readdir(sd));)
                        if (e->d_name[0] != '.')
                                (void) unlinkat(dirfd(sd), e->d_name, 0);
                if (rmdir(dir) == 0)
                        swept++;
        }
}

static int dir_make_under(const char *base) {
        char t[NOTIFY_DIR_MAX + 1];
        int n, r;

        n = snprintf(t, sizeof(t), "%s/airsup-notify.XXXXXX", base);
        if (n < 0 || (size_t) n >= sizeof(t))
                return -ENAMETOOLONG;
        /* Once per airsupd is enough: its own never need it. */
        if (!notify_swept)
                dir_sweep(base);
        if (!mkdtemp(t))
                return -errno;
        /* Searchable, not listable: each socket's owner and mode decide
         * who may send to it. */
        if (chmod(t, 0711) < 0) {
                r = -errno;
                (void) rmdir(t);
                return r;
        }
        memcpy(notify_dir, t, (size_t) n + 1);
        return 0;
}

static int dir_acquire(void) {
        const char *runtime = getenv("XDG_RUNTIME_DIR");
        int r = -ENOENT;

        if (notify_dir_users == 0) {
                if (geteuid() == 0)
                        r = dir_make_under("/run");
                else if (runtime && runtime[0] == '/')
                        r = dir_make_under(runtime);
                /* A read-only /run, or a runtime directory whose path is
                 * too long for a socket's: /tmp, where mkdtemp() is as
                 * safe. */
                if (r < 0)
                        r = dir_make_under("/tmp");
                notify_swept = true;
                if (r < 0)
                        return r;
        }
        notify_dir_users++;
        return 0;
}

static void dir_release(void) {
        if (notify_dir_users == 0 || --notify_dir_users > 0)
                return;
        (void) rmdir(notify_dir);
        notify_dir[0] = '\0';
}

/* Binds FD to a new random name in the directory, mode 0600 from the
 * start (the umask is the process's, and the loop is single-threaded),
 * or with ABSTRACT to "@airsup/" and the random name. */
static int bind_random(int fd, bool abstract, char *path, size_t size) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        uint8_t rnd[NOTIFY_NAME_LEN / 2];
        size_t len;
        mode_t old;
        int r = 0;

        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
                return errno > 0 ? -errno : -EIO;
        len = (size_t) snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/", abstract ? "@airsup" : notify_dir);
        for (size_t i = 0; i < sizeof(rnd) && len + 2 < sizeof(sa.sun_path); i++)
                len += (size_t) snprintf(sa.sun_path + len, sizeof(sa.sun_path) - len, "%02x", rnd[i]);
        if (len + 1 > size)
                return -ENAMETOOLONG;
        memcpy(path, sa.sun_path, len + 1);
        if (abstract)
                /* A NUL first, and no trailing NUL counted in the length. */
                sa.sun_path[0] = '\0';
        old = umask(0177);
        if (bind(fd, (struct sockaddr *) &sa, (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len + !abstract)) < 0)
                r = -errno;
        umask(old);
        if (r < 0)
                path[0] = '\0';
        return r;
}

int notify_open(sup_proc *p) {
        sup_manager *m = p->group->m;
        _cleanup_close_ int fd = -EBADF;
        notify_proc *n = p->notify;
        int one = 1, r;
        bool abstract;

        if (!n) {
                n = calloc(1, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                n->fd = -EBADF;
                p->notify = n;
        }
        if (n->fd >= 0)
                return 0;
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
                return -errno;
#ifdef SO_PASSPIDFD
        /* Kernels before 6.5 do not know it: credentials alone then. */
        (void) setsockopt(fd, SOL_SOCKET, SO_PASSPIDFD, &one, sizeof(one));
#endif
        /* Where no directory can be made at all (a read-only root
         * without a writable /run or /tmp), an abstract name rather than
         * no start: reachable by anyone in the network namespace, as said
         * once in the log. */
        r = dir_acquire();
        abstract = r < 0;
        if (abstract && !notify_abstract_warned) {
                sup_log(&m->events, LOG_WARNING, "cannot make a directory for notify sockets (%s): "
                        "abstract ones instead, which any local user can send to", strerror(-r));
                notify_abstract_warned = true;
        }
        /* 128 random bits: a clash is not possible in practice; it is
         * retried all the same. */
        r = -EADDRINUSE;
        for (unsigned i = 0; i < BIND_TRIES && r == -EADDRINUSE; i++)
                r = bind_random(fd, abstract, n->socket, sizeof(n->socket));
        if (r >= 0)
                r = sd_event_add_io(m->event, &n->source, fd, EPOLLIN | EPOLLET, on_notify, p);
        if (r < 0) {
                if (!abstract) {
                        if (n->socket[0])
                                (void) unlink(n->socket);
                        dir_release();
                }
                n->socket[0] = '\0';
                return r;
        }
        n->fd = TAKE_FD(fd);
        return 0;
}

int notify_grant(sup_proc *p, uid_t uid) {
        const notify_proc *n = p->notify;

        /* The directory is airsupd's own and nobody else can write to it,
         * so the name is still the socket bound above. */
        if (!n || n->fd < 0 || n->socket[0] != '/')
                return 0;
        if (chown(n->socket, uid, (gid_t) -1) < 0)
                return -errno;
        return 0;
}

void notify_close(sup_proc *p) {
        notify_proc *n = p->notify;

        if (!n)
                return;
        /* Closing a socket drops what is queued on it, and the fds inside
         * with it, in this process: take them out first.  Once shut for
         * reading, nobody can queue more (senders get EPIPE), so the
         * drain ends. */
        if (n->fd >= 0) {
                (void) shutdown(n->fd, SHUT_RD);
                while (notify_read_one(p, /* discard= */ true) > 0)
                        ;
        }
        n->source = sd_event_source_disable_unref(n->source);
        if (n->fd >= 0 && n->socket[0] == '/') {
                (void) unlink(n->socket);
                dir_release();
        }
        safe_close(n->fd);
        free(n->counters);
        free(n);
        p->notify = NULL;
}

unsigned notify_counters(const sup_proc *p, const notify_counter **ret) {
        *ret = p->notify ? p->notify->counters : NULL;
        return p->notify ? p->notify->n_counters : 0;
}

const char *notify_status(const sup_proc *p) {
        return p->notify ? p->notify->status : "";
}
