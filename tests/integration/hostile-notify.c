/* hostile-notify - a local user and a chatty child against airsupd's notify
 * sockets (issue 24, holes 11 and 12), and the healthy child they would
 * hurt.  Addresses as in NOTIFY_SOCKET: "@name" abstract, or a path.
 *
 *   hostile-notify pet ADDR MS OUT
 *           READY=1, then WATCHDOG=1 every MS ms for ever, each sent as
 *           sd_notify() does (a blocking sendmsg); OUT holds the longest
 *           a send waited so far, in ms
 *   hostile-notify flood-as UID ADDR SECONDS N OUT
 *           as uid and gid UID, N processes keep sending WATCHDOG=1 to
 *           ADDR for SECONDS, retrying at once when the queue is full, so
 *           that they, awake, take each free place before a sender that
 *           sleeps in a blocking sendmsg() (the group's own); OUT gets
 *           "sent=A refused=B" over them all
 *   hostile-notify status-flood ADDR SECONDS FINAL OUT
 *           STATUS=flood N as fast as sends go for SECONDS, then
 *           STATUS=FINAL; OUT gets the number sent
 *   hostile-notify health-flap ADDR N OUT
 *           AIRSUP_HEALTH=degraded then =healthy, N times each, as fast as
 *           sends go (with figures, AIRSUP_COUNTERS=, in each), then
 *           AIRSUP_HEALTH=degraded once more; OUT gets the number sent
 *   hostile-notify fd-burst ADDR N OUT
 *           N datagrams STATUS=burst 0 .. N-1 sent back to back, each
 *           carrying 253 copies (the kernel's most) of the write end of
 *           one pipe, whose only other copy it then closes; OUT gets
 *           "sent=N" at once and "sent=N eof=1" once every copy airsupd
 *           was handed is closed (EOF on the read end), "eof=0" if not
 *           within 30 s: one copy kept anywhere would show
 *   hostile-notify trigger-flood ADDR SECONDS OUT
 *           a group's child that fails its watchdog and will not go:
 *           ignores SIGTERM, sends READY=1, then WATCHDOG=trigger as fast
 *           as sends go (WATCHDOG=1 between, so that no deadline is
 *           missed) for SECONDS; OUT gets the number of triggers sent
 *   hostile-notify watchdog-flap ADDR SECONDS OUT
 *           READY=1 and WATCHDOG_USEC=10000 (the least airsupd takes),
 *           then for SECONDS: WATCHDOG=1, a 15 ms sleep (a deadline
 *           missed: degraded), WATCHDOG=1 (healthy again) and so on;
 *           OUT gets the number of cycles
 *   hostile-notify fd-burst ADDR N OUT FILE
 *           the same with copies of FILE (opened read-only) instead of
 *           the pipe, and exits once they are sent: what airsupd still
 *           holds of FILE is for the caller to look for in /proc */
#define FDS_PER_MSG 253
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static int addr_of(const char *s, struct sockaddr_un *sa, socklen_t *ret_len) {
        size_t l = strlen(s);

        if ((s[0] != '@' && s[0] != '/') || l >= sizeof(sa->sun_path))
                return -EINVAL;
        *sa = (struct sockaddr_un) { .sun_family = AF_UNIX };
        memcpy(sa->sun_path, s, l);
        if (s[0] == '@')
                sa->sun_path[0] = '\0';
        *ret_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l + (s[0] == '/'));
        return 0;
}

static void write_file(const char *path, const char *text) {
        char tmp[4096];
        FILE *f;

        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        f = fopen(tmp, "w");
        if (!f)
                return;
        fputs(text, f);
        if (fclose(f) == 0)
                (void) rename(tmp, path);
}

/* A datagram socket to send to ADDR (*SA, *LEN), or -1. */
static int dgram_to(const char *addr, struct sockaddr_un *sa, socklen_t *len) {
        if (addr_of(addr, sa, len) < 0)
                return -1;
        return socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static void write_count(const char *path, unsigned long long n) {
        char text[32];

        snprintf(text, sizeof(text), "%llu\n", n);
        write_file(path, text);
}

/* One datagram as sd_notify() sends it: a fresh socket, a blocking send. */
static int send_once(const struct sockaddr_un *sa, socklen_t len, const char *text) {
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

        if (fd < 0)
                return -errno;
        if (sendto(fd, text, strlen(text), MSG_NOSIGNAL, (const struct sockaddr *) sa, len) < 0)
                r = -errno;
        close(fd);
        return r;
}

static int do_pet(const char *addr, unsigned ms, const char *out) {
        struct sockaddr_un sa;
        socklen_t len;
        uint64_t worst = 0;

        if (addr_of(addr, &sa, &len) < 0)
                return 2;
        (void) send_once(&sa, len, "READY=1");
        write_file(out, "0\n");
        for (;;) {
                uint64_t t = now_ms();
                (void) send_once(&sa, len, "WATCHDOG=1");
                if (now_ms() - t > worst) {
                        char b[32];
                        worst = now_ms() - t;
                        snprintf(b, sizeof(b), "%llu\n", (unsigned long long) worst);
                        write_file(out, b);
                }
                usleep(ms * 1000);
        }
}

static int do_flood_as(unsigned uid, const char *addr, unsigned seconds, unsigned n, const char *out) {
        struct sockaddr_un sa;
        socklen_t len;
        unsigned long long sent = 0, refused = 0;
        int pipefd[2];

        if (addr_of(addr, &sa, &len) < 0 || pipe(pipefd) < 0)
                return 2;
        if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0) {
                perror("hostile-notify: dropping to the attacker's uid");
                return 2;
        }
        for (unsigned i = 0; i < n; i++) {
                pid_t pid = fork();
                if (pid < 0)
                        return 2;
                if (pid == 0) {
                        unsigned long long c[2] = { 0, 0 };
                        uint64_t end = now_ms() + seconds * 1000ULL;
                        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

                        close(pipefd[0]);
                        while (now_ms() < end) {
                                if (sendto(fd, "WATCHDOG=1", 10, MSG_NOSIGNAL | MSG_DONTWAIT,
                                           (const struct sockaddr *) &sa, len) >= 0)
                                        c[0]++;
                                else if (errno != EAGAIN && errno != EINTR) {
                                        c[1]++;
                                        /* Refused: keep trying, but do not spin the machine. */
                                        usleep(10000);
                                }
                        }
                        if (write(pipefd[1], c, sizeof(c)) != (ssize_t) sizeof(c))
                                _exit(1);
                        _exit(0);
                }
        }
        close(pipefd[1]);
        for (;;) {
                unsigned long long c[2];
                ssize_t k = read(pipefd[0], c, sizeof(c));
                if (k != (ssize_t) sizeof(c))
                        break;
                sent += c[0];
                refused += c[1];
        }
        while (wait(NULL) > 0)
                ;
        {
                char b[64];
                snprintf(b, sizeof(b), "sent=%llu refused=%llu\n", sent, refused);
                write_file(out, b);
        }
        return 0;
}

static int do_status_flood(const char *addr, unsigned seconds, const char *final, const char *out) {
        struct sockaddr_un sa;
        socklen_t len;
        unsigned long long n = 0;
        uint64_t end = now_ms() + seconds * 1000ULL;
        char text[256];
        int fd;

        fd = dgram_to(addr, &sa, &len);
        if (fd < 0)
                return 2;
        while (now_ms() < end) {
                snprintf(text, sizeof(text), "STATUS=flood %llu", n);
                if (sendto(fd, text, strlen(text), MSG_NOSIGNAL, (const struct sockaddr *) &sa, len) >= 0)
                        n++;
        }
        snprintf(text, sizeof(text), "STATUS=%s", final);
        (void) sendto(fd, text, strlen(text), MSG_NOSIGNAL, (const struct sockaddr *) &sa, len);
        close(fd);
        write_count(out, n);
        return 0;
}

static int do_trigger_flood(const char *addr, unsigned seconds, const char *out) {
        struct sockaddr_un sa;
        socklen_t len;
        unsigned long long n = 0;
        uint64_t end = now_ms() + seconds * 1000ULL;
        int fd;

        (void) signal(SIGTERM, SIG_IGN);
        fd = dgram_to(addr, &sa, &len);
        if (fd < 0)
                return 2;
        (void) sendto(fd, "READY=1", 7, MSG_NOSIGNAL, (const struct sockaddr *) &sa, len);
        while (now_ms() < end) {
                if (sendto(fd, "WATCHDOG=trigger", 16, MSG_NOSIGNAL, (const struct sockaddr *) &sa, len) >= 0)
                        n++;
                (void) sendto(fd, "WATCHDOG=1", 10, MSG_NOSIGNAL, (const struct sockaddr *) &sa, len);
        }
        close(fd);
        write_count(out, n);
        return 0;
}

static int do_watchdog_flap(const char *addr, unsigned seconds, const char *out) {
        struct sockaddr_un sa;
        socklen_t len;
        unsigned long long n = 0;
        uint64_t end = now_ms() + seconds * 1000ULL;
        int fd;

        fd = dgram_to(addr, &sa, &len);
        if (fd < 0)
                return 2;
        (void) sendto(fd, "READY=1\nWATCHDOG_USEC=10000", 27, MSG_NOSIGNAL, (const struct sockaddr *) &sa, len);
        while (now_ms() < end) {
                (void) sendto(fd, "WATCHDOG=1", 10, MSG_NOSIGNAL, (const struct sockaddr *) &sa, len);
                (void) usleep(15000);
                n++;
        }
        close(fd);
        write_count(out, n);
        return 0;
}

static int do_health_flap(const char *addr, unsigned n, const char *out) {
        struct sockaddr_un sa;
        socklen_t len;
        unsigned long long sent = 0;
        char text[256];
        int fd;

        fd = dgram_to(addr, &sa, &len);
        if (fd < 0)
                return 2;
        for (unsigned i = 0; i < 2 * n + 1; i++) {
                int k = snprintf(text, sizeof(text), "AIRSUP_HEALTH=%s\nAIRSUP_COUNTERS=flaps=%u x%u=1",
                                 i % 2 ? "healthy" : "degraded", i, i % 100);
                /* A full queue: wait for room, as sd_notify() would. */
                while (sendto(fd, text, (size_t) k, MSG_NOSIGNAL, (const struct sockaddr *) &sa, len) < 0 &&
                       errno == EAGAIN)
                        ;
                sent++;
        }
        close(fd);
        snprintf(text, sizeof(text), "%llu\n", sent);
        write_file(out, text);
        return 0;
}

static int do_fd_burst(const char *addr, unsigned n, const char *out, const char *file) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * FDS_PER_MSG)];
        } control;
        struct sockaddr_un sa;
        struct rlimit rl;
        struct pollfd p;
        socklen_t len;
        char text[64];
        int pipe_fds[2], fd, *copies;
        unsigned sent = 0;

        if (addr_of(addr, &sa, &len) < 0 || pipe2(pipe_fds, O_CLOEXEC) < 0)
                return 2;
        if (file) {
                close(pipe_fds[1]);
                pipe_fds[1] = open(file, O_RDONLY | O_CLOEXEC);
                if (pipe_fds[1] < 0)
                        return 2;
        }
        /* The fds in flight count against the sender's limit. */
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return 2;
        for (; sent < n; sent++) {
                struct iovec iov = { .iov_base = text };
                struct msghdr mh = { .msg_name = &sa, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1,
                                     .msg_control = &control, .msg_controllen = sizeof(control) };
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

                iov.iov_len = (size_t) snprintf(text, sizeof(text), "STATUS=burst %u", sent);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * FDS_PER_MSG);
                copies = (int *) (void *) CMSG_DATA(c);
                for (int i = 0; i < FDS_PER_MSG; i++)
                        copies[i] = pipe_fds[1];
                /* Not root, the fds in flight count against this user's
                 * limit (ETOOMANYREFS): wait for airsupd to take some. */
                for (uint64_t give_up = now_ms() + 20000;;) {
                        if (sendmsg(fd, &mh, MSG_NOSIGNAL) >= 0)
                                break;
                        if (errno != ETOOMANYREFS || now_ms() > give_up) {
                                fprintf(stderr, "fd-burst: sendmsg %u: %s\n", sent, strerror(errno));
                                goto done;
                        }
                        usleep(10000);
                }
        }
done:
        close(pipe_fds[1]);
        close(fd);
        snprintf(text, sizeof(text), "sent=%u\n", sent);
        write_file(out, text);
        if (file)
                return 0;
        p = (struct pollfd) { .fd = pipe_fds[0], .events = POLLIN };
        snprintf(text, sizeof(text), "sent=%u eof=%d\n", sent, poll(&p, 1, 30000) == 1 && (p.revents & POLLHUP));
        write_file(out, text);
        return 0;
}

int main(int argc, char **argv) {
        if (argc == 5 && strcmp(argv[1], "pet") == 0)
                return do_pet(argv[2], (unsigned) atoi(argv[3]), argv[4]);
        if (argc == 7 && strcmp(argv[1], "flood-as") == 0)
                return do_flood_as((unsigned) atoi(argv[2]), argv[3], (unsigned) atoi(argv[4]),
                                   (unsigned) atoi(argv[5]), argv[6]);
        if (argc == 6 && strcmp(argv[1], "status-flood") == 0)
                return do_status_flood(argv[2], (unsigned) atoi(argv[3]), argv[4], argv[5]);
        if (argc == 5 && strcmp(argv[1], "health-flap") == 0)
                return do_health_flap(argv[2], (unsigned) atoi(argv[3]), argv[4]);
        if (argc == 5 && strcmp(argv[1], "watchdog-flap") == 0)
                return do_watchdog_flap(argv[2], (unsigned) atoi(argv[3]), argv[4]);
        if (argc == 5 && strcmp(argv[1], "trigger-flood") == 0)
                return do_trigger_flood(argv[2], (unsigned) atoi(argv[3]), argv[4]);
        if (argc == 5 && strcmp(argv[1], "fd-burst") == 0)
                return do_fd_burst(argv[2], (unsigned) atoi(argv[3]), argv[4], NULL);
        if (argc == 6 && strcmp(argv[1], "fd-burst") == 0)
                return do_fd_burst(argv[2], (unsigned) atoi(argv[3]), argv[4], argv[5]);
        fprintf(stderr, "usage: see the comment at the top of hostile-notify.c\n");
        return 2;
}
