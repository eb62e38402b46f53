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
#include <sys/epoll.h>
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
#include "common/time.h"
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
/* Datagrams handled per socket by notify_flush(), so that one chatty
 * child cannot starve the loop; the rest wait for the next round. */
#define NOTIFY_BATCH 16
/* The hub (on_hub()): ready sockets taken per epoll_wait(), and
 * epoll_wait()s per wake-up; one datagram per ready socket each time. */
#define HUB_EVENTS 256
#define HUB_ROUNDS 8
/* After a wake-up that heard only WATCHDOG=1 pings, the sockets are left
 * alone this long, so that the next wake-up finds many pings queued, not
 * one: see on_hub(). */
#define HUB_PAUSE_USEC (5 * USEC_PER_MSEC)
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

/* airsupd's pid, asked once: it is compared with every datagram's
 * sender, and getpid() is a system call. */
static pid_t self_pid(void) {
        static pid_t self;

        if (self == 0)
                self = getpid();
        return self;
}

/* Whether live process PID is in P's process group or below its main
 * process (by parent links), as seen in /proc now.  airsupd and PID 1 end
 * the walk: an orphan reparented to either is no longer below the main. */
static bool pid_in_group(const sup_proc *p, pid_t pid) {
        pid_t self = self_pid();

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

static bool proc_gone(pid_t pid) {
        char state;
        pid_t ppid, pgrp;

        return sup_proc_stat(pid, &state, &ppid, &pgrp) == -ENOENT;
}

static bool pidfd_exited(int pidfd) {
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
        return poll(&pfd, 1, 0) > 0;
}

static void strict_set(sup_proc *p) {
        int one = 1;

#ifdef SO_PASSPIDFD
        /* Kernels before 6.5 do not know it: credentials alone then. */
        (void) setsockopt(p->notify->fd, SOL_SOCKET, SO_PASSPIDFD, &one, sizeof(one));
#else
        (void) one;
#endif
        p->notify->strict = true;
}

/* Whether a datagram with credentials CRED (and the sender's pidfd, or
 * -EBADF) may speak for P.
 *
 * The rule: a sender still alive counts when it is of P's group; one
 * that has exited counts when its uid is the one P runs as.  The kernel
 * names the sender by pid, which a process born since may hold; the
 * pidfd it can attach (SO_PASSPIDFD) names the sender itself, but costs
 * a file, an fd and a close per datagram: more than the rest of a
 * WATCHDOG=1 (3 to 4 us of 6 measured here).  So it is asked for only
 * where the answer could depend on it:
 *
 *   - the main process with P's uid (nearly every datagram): whether the
 *     sender is still the main process (alive, of the group) or exited
 *     before the pid was the main's (its uid is P's), it counts either
 *     way: no pidfd changes the answer.
 *   - another pid with P's uid: no process at the pid means the sender
 *     exited (it counts); a process of the group there is the sender or,
 *     the sender having exited, its successor (it counts either way);
 *     any other process there is refused, whether it is the sender (not
 *     of the group) or a successor (the sender's datagram would have
 *     counted: refused, never wrongly let in).
 *   - a sender of another uid: only root, or a process the group gave a
 *     socket connected to P's (the socket is 0600 and owned by P's uid),
 *     can be one.  Its first datagram is judged by /proc alone, as on
 *     kernels without SO_PASSPIDFD; from then on the socket asks for a
 *     pidfd with each datagram.  An abstract socket (anyone may send)
 *     asks for one from the start. */
static bool sender_trusted(sup_proc *p, const struct ucred *cred, int pidfd) {
        bool gone;

        if (!cred || cred->pid <= 0 || p->pid <= 0)
                return false;
        if (cred->pid == self_pid())
                return true;
        if (cred->pid == p->pid && cred->uid == p->uid)
                return true;
        /* Another uid, the socket's first: by /proc alone, and a pidfd
         * from now on.  Everything else takes the rule below. */
        if (pidfd < 0 && !p->notify->strict && cred->uid != p->uid) {
                strict_set(p);
                return pid_in_group(p, cred->pid);
        }
        gone = pidfd >= 0 ? pidfd_exited(pidfd) : proc_gone(cred->pid);
        if (!gone) {
                bool in = pid_in_group(p, cred->pid);
                /* The pid still named the sender during the walk unless it
                 * exited (and was reused) meanwhile; then ask the uid.
                 * Without a pidfd, a pid gone after the walk exited. */
                if (pidfd >= 0 ? !pidfd_exited(pidfd) : in || !proc_gone(cred->pid))
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

        if (pid <= 1 || pid == self_pid())
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
        uint64_t now;
        unsigned suppressed;

        /* Nearly every datagram: nothing held back, no clock to read. */
        if (pending && n->status_events.suppressed == 0)
                return;
        now = sup_proc_now(p);
        if (pending && now - n->status_events.begin_usec < STATUS_INTERVAL_USEC)
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
 * sender's pidfd into *PIDFD; its credentials into *CRED, the time the
 * kernel queued it (CLOCK_REALTIME, usec) into *SENT. */
static size_t collect_fds(struct msghdr *mh, int *fds, int *pidfd, const struct ucred **cred, uint64_t *sent) {
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
                else if (c->cmsg_type == SCM_TIMESTAMP && c->cmsg_len == CMSG_LEN(sizeof(struct timeval))) {
                        struct timeval tv;
                        memcpy(&tv, CMSG_DATA(c), sizeof(tv));
                        if (tv.tv_sec >= 0 && tv.tv_usec >= 0)
                                *sent = (uint64_t) tv.tv_sec * USEC_PER_SEC + (uint64_t) tv.tv_usec;
                }
        }
        return n_fds;
}

/* Whether MSG says nothing but WATCHDOG=1: a ping the loop may read a
 * few milliseconds late (on_hub()). */
static bool pet_only(const notify_msg *msg) {
        return msg->watchdog && !msg->ready && !msg->stopping && !msg->barrier && !msg->watchdog_trigger &&
               msg->watchdog_usec == 0 && !msg->has_status && msg->main_pid == 0 && msg->extend_usec == 0 &&
               msg->health == NOTIFY_HEALTH_UNSAID && msg->n_counters == 0;
}

/* When a datagram the kernel stamped SENT (CLOCK_REALTIME) was sent, on
 * CLOCK_MONOTONIC: read a little late (on_hub() pauses), a WATCHDOG=1
 * counts from when it was sent.  Never later than now, never more than a
 * pause and a margin earlier: a step of the realtime clock moves a ping
 * by no more than that, and a loop that fell behind is judged as before,
 * by when it read. */
static uint64_t sent_monotonic(uint64_t sent) {
        uint64_t mono = now_usec(), real = time_now_usec(CLOCK_REALTIME), age;

        if (sent == 0 || sent >= real)
                return mono;
        age = real - sent;
        if (age > 2 * HUB_PAUSE_USEC)
                age = 2 * HUB_PAUSE_USEC;
        return mono > age ? mono - age : mono;
}

/* Reads one datagram.  Returns 1 when one was handled (or dropped), 0 when
 * none is waiting; *RET_PET_ONLY (optional) says whether it was a plain
 * WATCHDOG=1 of the group. */
static int notify_read_one(sup_proc *p, bool discard, bool *ret_pet_only) {
        char buf[NOTIFY_MSG_MAX];
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)) +
                         CMSG_SPACE(sizeof(struct timeval)) + CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
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
        uint64_t sent = 0;
        bool pet = false;
        size_t n_fds;
        notify_msg msg;
        ssize_t n;

        n = recvmsg(p->notify->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        n_fds = collect_fds(&mh, fds, &pidfd, &cred, &sent);

        if (discard)
                ;
        else if (!sender_trusted(p, cred, pidfd))
                notify_warn(p, "notify message from pid %d (uid %u), not one of its processes, ignored",
                            cred ? (int) cred->pid : 0, cred ? (unsigned) cred->uid : 0u);
        else if (mh.msg_flags & MSG_TRUNC || (size_t) n > sizeof(buf))
                notify_warn(p, "notify message longer than %d bytes, ignored", NOTIFY_MSG_MAX);
        else if (notify_parse(buf, (size_t) n, &msg) < 0)
                notify_warn(p, "notify message with a NUL byte, ignored");
        else {
                pet = pet_only(&msg) && n_fds == 0;
                p->notify->pet_usec = msg.watchdog ? sent_monotonic(sent) : 0;
                handle_message(p, &msg);
                if (p->notify)
                        p->notify->pet_usec = 0;
        }

        /* Checked (or ignored) while the sender still waits: release it. */
        safe_close(pidfd);
        if (n_fds > 0)
                sup_dispose_fds(p->group->m, fds, n_fds);
        if (ret_pet_only)
                *ret_pet_only = pet;
        return 1;
}

/* Reads up to NOTIFY_BATCH datagrams. */
void notify_flush(sup_proc *p) {
        /* What it says (MAINPID=, READY=1) is about a running program. */
        (void) sup_report(p, PROC_REPORT_EXEC_SETTLE);
        for (unsigned i = 0; i < NOTIFY_BATCH; i++)
                if (!p->notify || p->notify->fd < 0 || notify_read_one(p, false, NULL) <= 0)
                        return;
}

/* Every notify socket of this airsupd is in one epoll set, the hub, which
 * is one source of the loop.  With a socket per process, a thousand
 * children petting their watchdogs 20 times a second are 20,000 datagrams
 * on 1,000 sockets: a source per socket cost a wake-up of the loop, an
 * sd-event dispatch and a read that finds the socket empty per datagram.
 * The hub takes every ready socket from one epoll_wait() and reads one
 * datagram from each (level-triggered: a socket with more comes again in
 * the next round, after the others), a few rounds per wake-up.
 *
 * When a wake-up heard nothing but WATCHDOG=1 from processes of their
 * groups, the hub is paused for HUB_PAUSE_USEC, so that the next wake-up
 * finds a hundred pings, not one.  What that costs in exactness, and why
 * it is none where it matters:
 *   - a ping counts from when the kernel queued it (SO_TIMESTAMP), not
 *     from when it was read (sent_monotonic());
 *   - a missed-ping deadline reads the process's socket before it judges
 *     (probe.c's on_due(), through notify_flush());
 *   - an exit reads the socket before it is handled (proc_main_exited()),
 *     so a STOPPING=1 or MAINPID= sent just before it still comes first;
 *   - a READY=1, STATUS= or STOPPING=1 sent during a pause waits for its
 *     end, at most HUB_PAUSE_USEC, and then ends the pausing: the wake-up
 *     that reads it does not pause again.
 * A socket's queue (net.unix.max_dgram_qlen, 10 by default) holds a pause
 * of a process that pings every 500 us; none of the process's datagrams is
 * lost by it (a full queue makes the sender wait, as ever). */
static struct {
        int epfd;
        sd_event *event;                /* the loop it is a source of */
        sd_event_source *source;        /* epfd, on the loop */
        sd_event_source *resume;        /* the end of a pause */
        unsigned users;                 /* sockets in it */
        unsigned closed;                /* sockets taken out, ever: on_hub() stops at a change */
} hub = { .epfd = -EBADF };

static int on_resume(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) s;
        (void) usec;
        (void) userdata;
        if (hub.source)
                (void) sd_event_source_set_io_events(hub.source, EPOLLIN);
        return 0;
}

static void hub_pause(void) {
        uint64_t when = now_usec() + HUB_PAUSE_USEC;
        int r;

        if (hub.resume) {
                r = sd_event_source_set_time(hub.resume, when);
                if (r >= 0)
                        r = sd_event_source_set_enabled(hub.resume, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(hub.event, &hub.resume, CLOCK_MONOTONIC, when, /* accuracy= */ 1,
                                      on_resume, NULL);
        /* No timer, no pause.  Asking for no events is an EPOLL_CTL_MOD;
         * disabling the source would take the epoll set out of the loop's
         * and put it back, and the kernel checks every socket in it for
         * loops at each EPOLL_CTL_ADD (7% of airsupd's time, measured). */
        if (r >= 0)
                (void) sd_event_source_set_io_events(hub.source, 0);
}

static int on_hub(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct epoll_event ev[HUB_EVENTS];
        unsigned closed = hub.closed;
        bool pets = true, any = false;

        (void) s;
        (void) revents;
        (void) userdata;
        for (unsigned round = 0; round < HUB_ROUNDS; round++) {
                int k = epoll_wait(fd, ev, HUB_EVENTS, /* timeout= */ 0);

                if (k <= 0)
                        break;
                for (int i = 0; i < k && hub.closed == closed; i++) {
                        sup_proc *p = ev[i].data.ptr;
                        bool pet = false;

                        if (!p->notify || p->notify->fd < 0)
                                continue;
                        /* What it says (MAINPID=, READY=1) is about a
                         * running program. */
                        (void) sup_report(p, PROC_REPORT_EXEC_SETTLE);
                        if (p->notify && p->notify->fd >= 0 && notify_read_one(p, false, &pet) > 0) {
                                any = true;
                                pets = pets && pet;
                        }
                }
                /* A socket was taken out: the rest of EV may name it. */
                if (hub.closed != closed || k < HUB_EVENTS)
                        break;
        }
        if (any && pets && hub.source)
                hub_pause();
        return 0;
}

static int hub_add(sup_proc *p, int fd) {
        sd_event *e = p->group->m->event;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = p };
        int r;

        if (hub.users > 0 && hub.event != e)
                return -EXDEV;          /* one loop per airsupd */
        if (hub.users == 0) {
                hub.epfd = epoll_create1(EPOLL_CLOEXEC);
                if (hub.epfd < 0)
                        return -errno;
                r = sd_event_add_io(e, &hub.source, hub.epfd, EPOLLIN, on_hub, NULL);
                if (r < 0) {
                        hub.epfd = safe_close(hub.epfd);
                        return r;
                }
                hub.event = e;
        }
        if (epoll_ctl(hub.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                r = -errno;
                if (hub.users == 0) {
                        hub.source = sd_event_source_disable_unref(hub.source);
                        hub.epfd = safe_close(hub.epfd);
                        hub.event = NULL;
                }
                return r;
        }
        hub.users++;
        return 0;
}

static void hub_remove(int fd) {
        if (hub.users == 0)
                return;
        (void) epoll_ctl(hub.epfd, EPOLL_CTL_DEL, fd, NULL);
        hub.closed++;
        if (--hub.users > 0)
                return;
        hub.source = sd_event_source_disable_unref(hub.source);
        hub.resume = sd_event_source_disable_unref(hub.resume);
        hub.epfd = safe_close(hub.epfd);
        hub.event = NULL;
}

/* Drops datagrams a previous incarnation left queued (bounded: a sender
 * that keeps sending is read on the loop like any other). */
void notify_drain(sup_proc *p) {
        if (!p->notify || p->notify->fd < 0)
                return;
        for (unsigned i = 0; i < 1024; i++)
                if (notify_read_one(p, true, NULL) <= 0)
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
        /* When each datagram was sent, for WATCHDOG=1 (on_hub()). */
        (void) setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &one, sizeof(one));
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
                r = hub_add(p, fd);
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
        n->watched = true;
        /* Anyone may send to an abstract socket: a pidfd with each
         * datagram (sender_trusted()). */
        if (abstract)
                strict_set(p);
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
                while (notify_read_one(p, /* discard= */ true, NULL) > 0)
                        ;
        }
        if (n->watched)
                hub_remove(n->fd);
        n->watched = false;
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
