/* hostile - what a hostile child or local user does to airsupd, for the
 * integration tests that prove each hole closed.  One program, one verb per
 * attack; NOTIFY_SOCKET-style addresses ("@name" abstract, or a path).
 *
 *   hostile notify ADDR MESSAGE       send MESSAGE (\n, \e, \xNN decoded) once
 *   hostile notify-exit ADDR MESSAGE  send from a child that exits and is
 *                                     reaped before this returns
 *   hostile linger ADDR N SECONDS PIDFILE
 *                                     pass N TCP sockets with unsent data and
 *                                     SO_LINGER=SECONDS, close our copies,
 *                                     write PIDFILE, then wait to be killed
 *   hostile flood ADDR COUNT          COUNT datagrams, as fast as possible
 *   hostile squat PID FIRST LAST PIDFILE
 *                                     bind @airsup/PID/FIRST..LAST, then wait
 *   hostile stall-follower SOCKET PIDFILE
 *                                     follow airsupd's events on its control
 *                                     socket, write PIDFILE, never read again
 *   hostile ctl-unread SOCKET N PIDFILE
 *                                     send N Status calls on the control
 *                                     socket, read no reply, write PIDFILE
 *   hostile ctl-reload SOCKET N OUT   send N Reload calls at once, then read
 *                                     every reply: "ok=A busy=B other=C" to OUT
 *   hostile ctl-many SOCKET N PIDFILE  hold N connections to the control
 *                                     socket open (no handshake), then wait
 *   hostile chan-garbage OUT          on its channel (AIRSUP_FD) to airsupd: a
 *                                     valid lookup of a group that is not
 *                                     there, then garbage (short, long, bad
 *                                     version and type, a name that is not
 *                                     one, fds where none belong) until
 *                                     airsupd closes it; writes what came
 *                                     back to OUT, then waits
 *   hostile chan-linger N SECONDS GO OUT
 *                                     once GO exists, on its channel: one
 *                                     record with N TCP sockets that linger
 *                                     SECONDS when closed; "sent" (our
 *                                     copies closed first) or "refused" (by
 *                                     the kernel) to OUT, then waits
 *   hostile chan-stale DEST N GO OUT  on its channel: lookups of DEST (N
 *                                     at most, until airsupd takes no
 *                                     more) and not a reply read, so that
 *                                     airsupd queues them; "queued
 *                                     sent=S" to OUT; once GO exists (the
 *                                     test has removed DEST meanwhile),
 *                                     reads every reply and looks at each
 *                                     fd it was handed: "lanes=L errors=E
 *                                     bad=B sent=S" to OUT (B: fds other
 *                                     than the first reply's lane, bell
 *                                     and eventfds: airsupd's own, a
 *                                     pidfd, a socket, another mailbox),
 *                                     then waits
 *   hostile nobody VERB ...           drop to uid/gid 65534 first */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

static socklen_t addr_of(const char *name, struct sockaddr_un *sa) {
        size_t l = strlen(name);

        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        if (l >= sizeof(sa->sun_path)) {
                fprintf(stderr, "hostile: address too long\n");
                exit(2);
        }
        memcpy(sa->sun_path, name, l);
        if (name[0] == '@') {
                sa->sun_path[0] = '\0';
                return (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l);
        }
        return (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l + 1);
}

/* "\n", "\e" and "\xNN" in ARG become the bytes they name. */
static size_t decode(const char *arg, char *out, size_t size) {
        size_t o = 0;

        for (const char *p = arg; *p && o + 1 < size; p++) {
                if (p[0] == '\\' && p[1] == 'n') {
                        out[o++] = '\n';
                        p++;
                } else if (p[0] == '\\' && p[1] == 'e') {
                        out[o++] = 0x1b;
                        p++;
                } else if (p[0] == '\\' && p[1] == 'x' && p[2] && p[3]) {
                        char hex[3] = { p[2], p[3], 0 };
                        out[o++] = (char) strtoul(hex, NULL, 16);
                        p += 3;
                } else
                        out[o++] = *p;
        }
        return o;
}

static int send_fds(const char *addr, const char *msg, size_t len, const int *fds, size_t n) {
        struct sockaddr_un sa;
        socklen_t sl = addr_of(addr, &sa);
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * 64)];
        } control = {};
        struct iovec iov = { .iov_base = (void *) msg, .iov_len = len };
        struct msghdr mh = { .msg_name = &sa, .msg_namelen = sl, .msg_iov = &iov, .msg_iovlen = 1 };
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -1;
        if (n > 0) {
                struct cmsghdr *c;
                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * n);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
        }
        if (sendmsg(fd, &mh, 0) < 0) {
                perror("hostile: sendmsg");
                close(fd);
                return -1;
        }
        close(fd);
        return 0;
}

static void write_pidfile(const char *path) {
        FILE *f = fopen(path, "w");
        if (!f || fprintf(f, "%d\n", (int) getpid()) < 0 || fclose(f) != 0) {
                perror("hostile: pidfile");
                exit(1);
        }
}

/* A TCP connection to a listener that never reads, with our send buffer
 * full: closing it with SO_LINGER waits up to the linger time. */
static int lingering_socket(int listener, int seconds) {
        struct sockaddr_in a;
        socklen_t al = sizeof(a);
        struct linger lg = { .l_onoff = 1, .l_linger = seconds };
        char junk[65536];
        int fd, small = 4096;

        if (getsockname(listener, (struct sockaddr *) &a, &al) < 0)
                return -1;
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) < 0 ||
            connect(fd, (struct sockaddr *) &a, al) < 0)
                return -1;
        memset(junk, 'x', sizeof(junk));
        (void) fcntl(fd, F_SETFL, O_NONBLOCK);
        while (write(fd, junk, sizeof(junk)) > 0)
                ;
        (void) fcntl(fd, F_SETFL, 0);
        if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
                return -1;
        return fd;
}

/* N (at most 64) lingering sockets into FDS, connected to a listener of
 * ours that is never closed: 0, or -1 with errno. */
static int lingering_sockets(int n, int seconds, int *fds) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int listener, small = 4096;

        if (n < 1 || n > 64)
                return -1;
        listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        /* A tiny receive buffer on the accepted side fills at once. */
        if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) < 0 ||
            bind(listener, (struct sockaddr *) &a, sizeof(a)) < 0 || listen(listener, 64) < 0) {
                perror("hostile: listen");
                return -1;
        }
        for (int i = 0; i < n; i++) {
                fds[i] = lingering_socket(listener, seconds);
                if (fds[i] < 0) {
                        perror("hostile: socket");
                        return -1;
                }
        }
        return 0;
}

static int cmd_linger(const char *addr, int n, int seconds, const char *pidfile) {
        int fds[64];

        if (lingering_sockets(n, seconds, fds) < 0)
                return 1;
        if (send_fds(addr, "FDSTORE=1", 9, fds, (size_t) n) < 0)
                return 1;
        write_pidfile(pidfile);
        /* Whoever closes last waits out the linger time: airsupd, if it
         * still closed them itself, or this process. */
        for (int i = 0; i < n; i++)
                close(fds[i]);
        for (;;)
                pause();
}

static int cmd_squat(const char *pid, int first, int last, const char *pidfile) {
        int bound = 0;

        for (int i = first; i <= last; i++) {
                char name[64];
                struct sockaddr_un sa;
                socklen_t sl;
                int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

                snprintf(name, sizeof(name), "@airsup/%s/%d", pid, i);
                sl = addr_of(name, &sa);
                if (fd < 0)
                        return 1;
                if (bind(fd, (struct sockaddr *) &sa, sl) == 0)
                        bound++;
                else
                        close(fd);      /* taken already: airsupd's own, say */
        }
        if (bound == 0) {
                fprintf(stderr, "hostile: could not bind any name\n");
                return 1;
        }
        write_pidfile(pidfile);
        for (;;)
                pause();
}

/* Subscribes to the event stream, then neither reads nor leaves: airsupd
 * must drop it rather than queue events for it for ever. */
static int cmd_stall_follower(const char *path, const char *pidfile) {
        char address[256];
        sd_bus *bus = NULL;
        FILE *f;

        snprintf(address, sizeof(address), "unix:path=%s", path);
        if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, address) < 0 || sd_bus_start(bus) < 0 ||
            sd_bus_call_method(bus, NULL, "/org/airsup1", "org.airsup1.Manager", "Subscribe", NULL, NULL, "") < 0)
                return 1;
        f = fopen(pidfile, "w");
        if (!f)
                return 1;
        fprintf(f, "%d\n", (int) getpid());
        fclose(f);
        for (;;)
                pause();
}

static int cmd_ctl_unread(const char *path, long n, const char *pidfile) {
        char address[256];
        sd_bus *bus = NULL;

        snprintf(address, sizeof(address), "unix:path=%s", path);
        /* A first call completes the handshake; then only sending. */
        if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, address) < 0 || sd_bus_start(bus) < 0 ||
            sd_bus_call_method(bus, NULL, "/org/airsup1", "org.freedesktop.DBus.Peer", "Ping", NULL, NULL, "") < 0)
                return 1;
        for (long i = 0; i < n; i++) {
                sd_bus_message *m = NULL;
                uint64_t cookie;
                int r = sd_bus_message_new_method_call(bus, &m, NULL, "/org/airsup1", "org.airsup1.Manager",
                                                       "Status");
                if (r >= 0)
                        r = sd_bus_message_append(m, "as", 0);
                /* With a cookie to return: sd-bus marks a call sent without
                 * one as wanting no reply. */
                if (r >= 0)
                        r = sd_bus_send(bus, m, &cookie);
                if (r >= 0)
                        r = sd_bus_flush(bus);
                sd_bus_message_unref(m);
                if (r < 0) {
                        fprintf(stderr, "hostile: ctl-unread: call %ld: %s\n", i, strerror(-r));
                        break;
                }
        }
        write_pidfile(pidfile);
        for (;;)
                pause();
}

static int cmd_ctl_reload(const char *path, long n, const char *out) {
        char address[256];
        sd_bus *bus = NULL;
        long ok = 0, busy = 0, other = 0;
        FILE *f;

        snprintf(address, sizeof(address), "unix:path=%s", path);
        if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, address) < 0 || sd_bus_start(bus) < 0)
                return 1;
        for (long i = 0; i < n; i++) {
                sd_bus_message *m = NULL;
                uint64_t cookie;
                int r = sd_bus_message_new_method_call(bus, &m, NULL, "/org/airsup1", "org.airsup1.Manager",
                                                       "Reload");
                if (r >= 0)
                        r = sd_bus_message_append(m, "b", 0);
                if (r >= 0)
                        r = sd_bus_send(bus, m, &cookie);
                sd_bus_message_unref(m);
                if (r < 0)
                        return 1;
        }
        if (sd_bus_flush(bus) < 0)
                return 1;
        /* Every reply, however long the first reload takes (60 s at most). */
        for (long got = 0; got < n;) {
                sd_bus_message *m = NULL;
                uint8_t type = 0;
                int r = sd_bus_process(bus, &m);

                if (r < 0)
                        return 1;
                if (m)
                        (void) sd_bus_message_get_type(m, &type);
                if (m && type == SD_BUS_MESSAGE_METHOD_RETURN) {
                        ok++;
                        got++;
                } else if (m && type == SD_BUS_MESSAGE_METHOD_ERROR) {
                        if (sd_bus_message_is_method_error(m, "org.airsup1.Error.Busy"))
                                busy++;
                        else
                                other++;
                        got++;
                }
                sd_bus_message_unref(m);
                if (r == 0 && sd_bus_wait(bus, 60 * 1000000ULL) <= 0)
                        return 1;
        }
        f = fopen(out, "we");
        if (!f)
                return 1;
        fprintf(f, "ok=%ld busy=%ld other=%ld\n", ok, busy, other);
        fclose(f);
        sd_bus_flush_close_unref(bus);
        return 0;
}

/* One datagram on FD, with an fd beside it when WITH_FD. */
static int chan_put(int fd, const void *buf, size_t len, bool with_fd) {
        char control[CMSG_SPACE(sizeof(int))] = {};
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        int pass = 0;

        if (with_fd) {
                struct cmsghdr *c;
                mh.msg_control = control;
                mh.msg_controllen = sizeof(control);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &pass, sizeof(int));
        }
        return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* The next reply on FD: 1 an ERROR, 0 something else, -1 closed. */
static int chan_reply(int fd, int *others) {
        for (;;) {
                uint8_t buf[256];
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;

                if (poll(&p, 1, 5000) <= 0)
                        return -1;
                n = recv(fd, buf, sizeof(buf), 0);
                if (n <= 0)
                        return -1;
                if (n >= 8 && buf[2] == 3)
                        return 1;
                (*others)++;
        }
}

static int cmd_chan_garbage(const char *out) {
        const char *e = getenv("AIRSUP_FD");
        FILE *f = fopen(out, "we");
        uint8_t rec[80] = {}, big[4096];
        uint32_t hdr[2];
        int fd = e ? atoi(e) : -1, errors = 0, refused = 0, others = 0;

        if (!f || fd < 0)
                return 2;
        /* A good lookup of a name that is not there: an ERROR back. */
        hdr[0] = 1u | 1u << 16;                /* version 1, LOOKUP */
        hdr[1] = sizeof(rec);
        memcpy(rec, hdr, 8);
        memcpy(rec + 16, "nosuchgroup", 11);
        if (chan_put(fd, rec, sizeof(rec), false) == 0 && chan_reply(fd, &others) == 1)
                errors++;
        /* Then garbage of every kind, one record at a time, each answer
         * read before the next, until airsupd closes the channel. */
        memset(big, 0x41, sizeof(big));
        for (int i = 0; i < 40; i++) {
                uint8_t bad[80];
                int r;

                memcpy(bad, rec, sizeof(bad));
                switch (i % 6) {
                case 0: bad[0] = 9; r = chan_put(fd, bad, sizeof(bad), false); break;     /* version */
                case 1: bad[2] = 77; r = chan_put(fd, bad, sizeof(bad), false); break;    /* type */
                case 2: r = chan_put(fd, big, sizeof(big), false); break;                /* too long */
                case 3: r = chan_put(fd, bad, 3, false); break;                          /* short */
                case 4: memset(bad + 16, 0x7f, 64); r = chan_put(fd, bad, sizeof(bad), false); break;
                default: r = chan_put(fd, bad, sizeof(bad), true); break;                /* an fd where none belongs */
                }
                /* The kernel refuses fds on the channel (SO_PASSRIGHTS):
                 * nothing reached airsupd, nothing comes back. */
                if (r == -EPERM) {
                        refused++;
                        continue;
                }
                if (r < 0 || (r = chan_reply(fd, &others)) < 0)
                        break;
                errors += r;
        }
        fprintf(f, "errors=%d refused=%d other=%d closed\n", errors, refused, others);
        fclose(f);
        for (;;)
                pause();
}

/* What fd FD is, as /proc/self/fd names it: a lane's or a bell's memfd
 * or an eventfd, what a LANE reply carries, or something else. */
static bool mailbox_fd(int fd) {
        char path[64], link[256];
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        n = readlink(path, link, sizeof(link) - 1);
        if (n <= 0)
                return false;
        link[n] = '\0';
        if (strncmp(link, "/memfd:airsup-lane", 18) == 0 || strncmp(link, "/memfd:airsup-bell", 18) == 0 ||
            strcmp(link, "anon_inode:[eventfd]") == 0)
                return true;
        fprintf(stderr, "hostile: chan-stale: handed %s\n", link);
        return false;
}

static int cmd_chan_stale(const char *dest, int n, const char *go, const char *out) {
        const char *e = getenv("AIRSUP_FD");
        int fd = e ? atoi(e) : -1, lanes = 0, errors = 0, bad = 0, sent = 0, n_seen = 0;
        ino_t seen[4];
        uint8_t rec[80] = {};
        uint32_t hdr[2] = { 1u | 1u << 16, sizeof(rec) };   /* version 1, LOOKUP */
        FILE *f;

        if (fd < 0 || strlen(dest) >= 64)
                return 2;
        memcpy(rec, hdr, sizeof(hdr));
        memcpy(rec + 16, dest, strlen(dest));
        /* Until airsupd stops taking them (it reads no more requests
         * while replies wait in its queue) or N. */
        for (uint32_t req = 1; req <= (uint32_t) n; req++, sent++) {
                struct pollfd p = { .fd = fd, .events = POLLOUT };

                memcpy(rec + 8, &req, sizeof(req));
                if (poll(&p, 1, 5000) <= 0 || send(fd, rec, sizeof(rec), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                        break;
        }
        if (!(f = fopen(out, "we")))
                return 2;
        fprintf(f, "queued sent=%d\n", sent);
        fclose(f);
        while (access(go, F_OK) < 0)
                (void) poll(NULL, 0, 10);
        for (;;) {
                union {
                        struct cmsghdr align;
                        char buf[CMSG_SPACE(sizeof(int) * 8)];
                } control;
                uint8_t buf[512];
                struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                                     .msg_controllen = sizeof(control) };
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t k;

                if (poll(&p, 1, 5000) <= 0)
                        break;
                k = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
                if (k <= 0)
                        break;
                if (k >= 8 && buf[2] == 2)
                        lanes++;
                else if (k >= 8 && buf[2] == 3)
                        errors++;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                                for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
                                        int got;

                                        struct stat st;
                                        bool known = false;

                                        memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                                        /* The first reply's four are DEST's
                                         * lane, bell and eventfds; every
                                         * later one must be one of them. */
                                        if (fstat(got, &st) < 0 || !mailbox_fd(got))
                                                bad++;
                                        else {
                                                for (int j = 0; j < n_seen && !known; j++)
                                                        known = seen[j] == st.st_ino;
                                                if (!known && n_seen < 4)
                                                        seen[n_seen++] = st.st_ino;
                                                else if (!known)
                                                        bad++;
                                        }
                                        close(got);
                                }
        }
        if (!(f = fopen(out, "we")))
                return 2;
        fprintf(f, "lanes=%d errors=%d bad=%d sent=%d\n", lanes, errors, bad, sent);
        fclose(f);
        for (;;)
                pause();
}

/* From inside a group: N lingering sockets, and once GO exists, one
 * record with them on its channel; then our copies closed (where the
 * kernel refused them, this close lingers, here), then "sent" or
 * "refused" (EPERM) to OUT.  A test that stops airsupd until OUT is
 * written makes airsupd's close of what it received the last one. */
static int cmd_chan_linger(int n, int seconds, const char *go, const char *out) {
        const char *e = getenv("AIRSUP_FD");
        uint8_t rec[80] = {};
        uint32_t hdr[2] = { 1u | 1u << 16, sizeof(rec) };
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * 64)];
        } control = {};
        struct iovec iov = { .iov_base = rec, .iov_len = sizeof(rec) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        struct cmsghdr *c;
        int fd = e ? atoi(e) : -1, fds[64], r;
        FILE *f;

        if (fd < 0 || lingering_sockets(n, seconds, fds) < 0)
                return 2;
        memcpy(rec, hdr, sizeof(hdr));
        memcpy(rec + 16, "nosuchgroup", 11);
        mh.msg_control = &control;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t) n);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t) n);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t) n);
        while (access(go, F_OK) < 0)
                (void) poll(NULL, 0, 10);
        r = sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
        if (r < 0 && r != -EPERM) {
                perror("hostile: chan-linger");
                return 1;
        }
        /* Sent: airsupd's copies are the last once ours are closed.
         * Refused: ours are the last, and each close lingers here. */
        for (int i = 0; i < n && r == 0; i++)
                close(fds[i]);
        f = fopen(out, "we");
        if (!f || fprintf(f, "%s\n", r == 0 ? "sent" : "refused") < 0 || fclose(f) != 0)
                return 1;
        for (int i = 0; i < n && r < 0; i++)
                close(fds[i]);
        for (;;)
                pause();
}

static int cmd_ctl_many(const char *path, long n, const char *pidfile) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct rlimit rl = { .rlim_cur = (rlim_t) n + 64, .rlim_max = (rlim_t) n + 64 };

        (void) setrlimit(RLIMIT_NOFILE, &rl);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        for (long i = 0; i < n; i++) {
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                        perror("hostile: ctl-many");
                        return 1;
                }
        }
        write_pidfile(pidfile);
        for (;;)
                pause();
}

int main(int argc, char **argv) {
        char msg[4096];
        size_t len;

        if (argc >= 2 && strcmp(argv[1], "nobody") == 0) {
                if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                    setresuid(65534, 65534, 65534) < 0) {
                        perror("hostile: nobody");
                        return 1;
                }
                argv++;
                argc--;
        }
        if (argc == 4 && strcmp(argv[1], "notify") == 0) {
                len = decode(argv[3], msg, sizeof(msg));
                return send_fds(argv[2], msg, len, NULL, 0) < 0;
        }
        if (argc == 4 && strcmp(argv[1], "notify-exit") == 0) {
                int st;
                pid_t pid = fork();
                if (pid == 0) {
                        len = decode(argv[3], msg, sizeof(msg));
                        _exit(send_fds(argv[2], msg, len, NULL, 0) < 0);
                }
                if (pid < 0 || waitpid(pid, &st, 0) != pid)
                        return 1;
                return !WIFEXITED(st) || WEXITSTATUS(st) != 0;
        }
        if (argc == 6 && strcmp(argv[1], "linger") == 0)
                return cmd_linger(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
        if (argc == 4 && strcmp(argv[1], "flood") == 0) {
                long n = atol(argv[3]);
                for (long i = 0; i < n; i++)
                        if (send_fds(argv[2], "READY=1", 7, NULL, 0) < 0 && errno != EAGAIN)
                                return 1;
                return 0;
        }
        if (argc == 5 && strcmp(argv[1], "ctl-unread") == 0)
                return cmd_ctl_unread(argv[2], atol(argv[3]), argv[4]);
        if (argc == 5 && strcmp(argv[1], "ctl-reload") == 0)
                return cmd_ctl_reload(argv[2], atol(argv[3]), argv[4]);
        if (argc == 3 && strcmp(argv[1], "chan-garbage") == 0)
                return cmd_chan_garbage(argv[2]);
        if (argc == 6 && strcmp(argv[1], "chan-stale") == 0)
                return cmd_chan_stale(argv[2], atoi(argv[3]), argv[4], argv[5]);
        if (argc == 6 && strcmp(argv[1], "chan-linger") == 0)
                return cmd_chan_linger(atoi(argv[2]), atoi(argv[3]), argv[4], argv[5]);
        if (argc == 5 && strcmp(argv[1], "ctl-many") == 0)
                return cmd_ctl_many(argv[2], atol(argv[3]), argv[4]);
        if (argc == 4 && strcmp(argv[1], "stall-follower") == 0)
                return cmd_stall_follower(argv[2], argv[3]);
        if (argc == 6 && strcmp(argv[1], "squat") == 0)
                return cmd_squat(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
        fprintf(stderr, "usage: see the comment at the top of tests/integration/hostile.c\n");
        return 2;
}
