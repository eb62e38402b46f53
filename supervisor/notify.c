/* notify.c - the sd_notify protocol, one socket per process of a group with
 * ready = notify.
 *
 * Each proc gets an abstract datagram socket, "@airsup/PID/SERIAL", bound
 * once and kept across restarts, whose name its children find in
 * NOTIFY_SOCKET.  The kernel attaches the sender's credentials to every
 * datagram (SO_PASSCRED), and a message counts only when its sender is the
 * main process, in its process group, or a descendant of it: anyone on the
 * machine can send to an abstract socket.  Tools such as systemd-notify send
 * from a child of the main process and then wait on a BARRIER=1 fd, so the
 * sender is still there to be checked; airsupd answers the barrier by
 * closing the fd, as it closes every fd that arrives.
 *
 * Measured with systemd 252: systemd-notify run as root sends READY=1 with
 * its *parent's* pid in the credentials (only a privileged sender may name
 * another pid), then BARRIER=1 with its own.  When it is the main process
 * itself (exec systemd-notify), its parent is airsupd, so airsupd's own pid
 * is accepted too: only a privileged process can claim it. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "cleanup.h"
#include "sup.h"

#define NOTIFY_MSG_MAX 4096
#define NOTIFY_FDS_MAX 16
/* Datagrams handled per wake-up, so that one chatty child cannot starve
 * the loop; the rest wait for the next round. */
#define NOTIFY_BATCH 16
#define TREE_DEPTH_MAX 64

/* Whether PID is the main process of P, in its process group, or below it. */
static bool sender_in_tree(const sup_proc *p, pid_t pid) {
        if (pid <= 0 || p->pid <= 0)
                return false;
        if (pid == p->pid || pid == getpid())
                return true;
        for (unsigned depth = 0; depth < TREE_DEPTH_MAX; depth++) {
                char state;
                pid_t ppid, pgrp;

                if (sup_proc_stat(pid, &state, &ppid, &pgrp) < 0)
                        return false;
                if (p->pgid > 0 && pgrp == p->pgid)
                        return true;
                if (ppid == p->pid)
                        return true;
                if (ppid <= 1)
                        return false;
                pid = ppid;
        }
        return false;
}

static void close_fds(struct msghdr *mh) {
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                int *fds = (int *) (void *) CMSG_DATA(c);
                for (size_t i = 0; i < n; i++)
                        safe_close(fds[i]);
        }
}

static const struct ucred *find_creds(struct msghdr *mh) {
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
                    c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
                        return (const struct ucred *) (void *) CMSG_DATA(c);
        return NULL;
}

/* Handles one datagram's "KEY=VALUE\n" lines.  MAINPID= goes first, so
 * that a READY=1 in the same datagram is about the new main process. */
static void handle_message(sup_proc *p, char *msg) {
        bool ready = false, stopping = false, status = false;
        pid_t main_pid = 0;
        uint64_t extend = 0;

        for (char *line = msg, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (strcmp(line, "READY=1") == 0)
                        ready = true;
                else if (strcmp(line, "STOPPING=1") == 0)
                        stopping = true;
                else if (strncmp(line, "STATUS=", 7) == 0) {
                        snprintf(p->status, sizeof(p->status), "%s", line + 7);
                        /* Printable text only in events and logs. */
                        for (char *c = p->status; *c; c++)
                                if ((unsigned char) *c < ' ' || *c == '"' || *c == 0x7f)
                                        *c = '?';
                        status = true;
                } else if (strncmp(line, "MAINPID=", 8) == 0) {
                        unsigned v;
                        if (cfg_parse_unsigned(line + 8, 1, INT32_MAX, &v) == 0)
                                main_pid = (pid_t) v;
                } else if (strncmp(line, "EXTEND_TIMEOUT_USEC=", 20) == 0) {
                        unsigned long long v;
                        char *end;
                        errno = 0;
                        v = strtoull(line + 20, &end, 10);
                        if (errno == 0 && end != line + 20 && *end == '\0')
                                extend = v;
                }
                /* BARRIER=1 is answered by closing its fd; WATCHDOG=1 and
                 * the rest are not acted on (yet). */
        }

        if (main_pid > 0 && main_pid != p->pid) {
                if (sender_in_tree(p, main_pid))
                        (void) proc_set_main(p, main_pid);
                else
                        sup_log(&p->group->m->events, LOG_WARNING,
                                "%s: MAINPID=%d is not one of its processes, ignored", p->name,
                                (int) main_pid);
        }
        if (status)
                node_proc_event(p, SUP_EVENT_STATUS, LOG_INFO);
        if (extend > 0)
                proc_extend_start(p, extend);
        if (ready)
                (void) proc_dispatch(p, PROC_EV_READY);
        if (stopping)
                node_proc_event(p, SUP_EVENT_CHILD_STOPPING, LOG_INFO);
}

/* Reads one datagram.  Returns 1 when one was handled (or dropped), 0 when
 * none is waiting. */
static int notify_read_one(sup_proc *p, bool discard) {
        char buf[NOTIFY_MSG_MAX + 1];
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = NOTIFY_MSG_MAX };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control),
        };
        const struct ucred *cred;
        ssize_t n;

        n = recvmsg(p->notify_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;

        cred = find_creds(&mh);
        if (discard || mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC) || (size_t) n > NOTIFY_MSG_MAX) {
                if (!discard)
                        sup_log(&p->group->m->events, LOG_WARNING, "%s: notify message too long, ignored",
                                p->name);
        } else if (!cred || !sender_in_tree(p, cred->pid)) {
                sup_log(&p->group->m->events, LOG_WARNING,
                        "%s: notify message from pid %d, not one of its processes, ignored", p->name,
                        cred ? (int) cred->pid : 0);
        } else {
                buf[n] = '\0';
                /* Embedded NULs end the message: nothing after one is read. */
                handle_message(p, buf);
        }
        /* Checked (or ignored) while the sender still waits: release it. */
        close_fds(&mh);
        return 1;
}

static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        sup_proc *p = userdata;

        (void) s;
        (void) fd;
        (void) revents;
        for (unsigned i = 0; i < NOTIFY_BATCH && p->notify_fd >= 0; i++)
                if (notify_read_one(p, false) <= 0)
                        break;
        return 0;
}

/* Drops datagrams a previous incarnation left queued. */
void notify_drain(sup_proc *p) {
        if (p->notify_fd < 0)
                return;
        for (unsigned i = 0; i < 1024; i++)
                if (notify_read_one(p, true) <= 0)
                        break;
}

int notify_open(sup_proc *p) {
        sup_manager *m = p->group->m;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        socklen_t len;
        int one = 1, r;

        if (p->notify_fd >= 0)
                return 0;
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
                return -errno;
        snprintf(p->notify_socket, sizeof(p->notify_socket), "@airsup/%d/%u", (int) getpid(),
                 ++m->notify_serial);
        /* Abstract: a NUL first, and no trailing NUL counted in the length. */
        memcpy(sa.sun_path + 1, p->notify_socket + 1, strlen(p->notify_socket) - 1);
        len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(p->notify_socket));
        if (bind(fd, (struct sockaddr *) &sa, len) < 0)
                return -errno;
        r = sd_event_add_io(m->event, &p->notify_source, fd, EPOLLIN, on_notify, p);
        if (r < 0)
                return r;
        p->notify_fd = TAKE_FD(fd);
        return 0;
}

void notify_close(sup_proc *p) {
        p->notify_source = sd_event_source_disable_unref(p->notify_source);
        p->notify_fd = safe_close(p->notify_fd);
        p->notify_socket[0] = '\0';
}
