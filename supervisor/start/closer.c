/* closer.c - disposes of fds that others passed to airsupd, so that no
 * close() of one can block the event loop.
 *
 * A datagram on a notify socket may carry fds (SCM_RIGHTS), and airsupd
 * must close them: the only one the protocol needs is BARRIER=1's pipe,
 * whose close is the answer.  The last close of some files waits for the
 * outside: a TCP socket with unsent data and SO_LINGER waits out the linger
 * time, a unix socket takes the fds queued on it along (nested to any
 * depth), a FUSE file waits for its daemon's FLUSH reply, a tty drains.
 * A sender may close its own copies first, so that airsupd's close is
 * the last one.
 *
 * Pipes and FIFOs are closed at once: releasing one never waits.  Every
 * other fd goes to the closer, a child of airsupd that does nothing but
 * receive fds on a SOCK_SEQPACKET socketpair and close them.  The order
 * matters: airsupd sends the fds, closes its own copies (not the last:
 * the message, or the closer, holds them), and only then sends "go"; the
 * closer keeps what it received until a "go" arrives, so its close is
 * always the last one and airsupd's never waits.  A closer stuck in a
 * close leaves its queue full: the next send fails with EAGAIN, and that
 * closer is SIGKILLed (which ends any of these waits) and replaced. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "supervisor/start/closer.h"
#include "supervisor/start/helper.h"

#define CLOSER_FDS_MAX 253              /* the kernel's SCM_MAX_FD */
#define CLOSER_HELD_MAX 4096            /* fds the closer holds until "go" */
#define CLOSER_GO 'g'

static bool close_cannot_block(int fd) {
        struct stat st;

        return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

static void close_held(int *held, size_t *n) {
        for (size_t i = 0; i < *n; i++)
                (void) close(held[i]);
        *n = 0;
}

_Noreturn static void closer_main(int sock) {
        static int held[CLOSER_HELD_MAX];
        size_t n_held = 0;

        (void) prctl(PR_SET_NAME, "airsupd-closer");
        /* Copies of airsupd's fds: not ours to keep.  Closing them may
         * block this process, which is what it is for. */
        if (sock > 3)
                (void) close_range(3, (unsigned) sock - 1, 0);
        (void) close_range((unsigned) sock + 1, ~0U, 0);
        for (;;) {
                int batch[CLOSER_FDS_MAX];
                char byte = 0;
                size_t k;
                ssize_t n = fds_recv(sock, &byte, 1, 0, batch, CLOSER_FDS_MAX, &k);

                if (n == 0)
                        _exit(0);               /* airsupd closed its end: what is held goes with us */
                if (n < 0 && n != -EMSGSIZE)
                        _exit(1);
                for (size_t i = 0; i < k; i++) {
                        if (n_held == CLOSER_HELD_MAX)
                                close_held(held, &n_held);      /* airsupd never lets it come to this */
                        held[n_held++] = batch[i];
                }
                /* airsupd has closed its copies: ours are the last. */
                if (byte == CLOSER_GO)
                        close_held(held, &n_held);
        }
}

static int closer_start(sup_manager *m) {
        int fd;
        pid_t pid = sup_helper_fork(&fd);

        if (pid < 0)
                return (int) pid;
        if (pid == 0)
                closer_main(fd);        /* dies with airsupd: what it holds goes with it */
        m->closer_pid = pid;
        m->closer_fd = fd;
        sup_log(&m->events, LOG_DEBUG, "closer started, pid %d", (int) pid);
        return 0;
}

void sup_closer_stop(sup_manager *m, bool kill_it) {
        if (m->closer_pid > 0 && kill_it)
                (void) kill(m->closer_pid, SIGKILL);
        /* Not waited for: the SIGCHLD reaper collects it like an orphan. */
        m->closer_pid = 0;
        m->closer_fd = safe_close(m->closer_fd);
}

static int closer_send(sup_manager *m, const int *fds, size_t n) {
        while (n > 0) {
                size_t k = n > CLOSER_FDS_MAX ? CLOSER_FDS_MAX : n;
                char byte = 0;
                int r = fds_send(m->closer_fd, &byte, 1, fds, k);

                if (r < 0)
                        return r;
                fds += k;
                n -= k;
        }
        return 0;
}

static int closer_go(sup_manager *m) {
        char go = CLOSER_GO;

        if (send(m->closer_fd, &go, 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                return -errno;
        return 0;
}

void sup_dispose_fds(sup_manager *m, int *fds, size_t n) {
        size_t k = 0;
        int r = 0;

        for (size_t i = 0; i < n; i++) {
                if (fds[i] < 0)
                        continue;
                if (close_cannot_block(fds[i]))
                        safe_close(fds[i]);
                else
                        fds[k++] = fds[i];
        }
        if (k == 0)
                return;

        for (unsigned attempt = 0; attempt < 2; attempt++) {
                if (m->closer_fd < 0) {
                        r = closer_start(m);
                        if (r < 0)
                                break;
                }
                r = closer_send(m, fds, k);
                if (r >= 0) {
                        /* Not the last reference: the message, or the
                         * closer, holds them until our "go". */
                        for (size_t i = 0; i < k; i++)
                                fds[i] = safe_close(fds[i]);
                        r = closer_go(m);
                        if (r >= 0)
                                return;
                        /* No "go": the closer is stuck; killing it drops
                         * what it holds in its own exit. */
                        sup_log(&m->events, LOG_WARNING, "closer pid %d is stuck, replacing it",
                                (int) m->closer_pid);
                        sup_closer_stop(m, /* kill_it= */ true);
                        return;
                }
                /* Full (stuck in a close) or gone: replace it.  A batch
                 * sent in part is closed whole by the next one; the fds
                 * already sent are held by the dying closer's queue. */
                sup_log(&m->events, LOG_WARNING, "closer pid %d %s, replacing it", (int) m->closer_pid,
                        r == -EAGAIN ? "is stuck" : "is gone");
                sup_closer_stop(m, /* kill_it= */ true);
        }
        /* No closer to be had (fork failed): close here, the one way left. */
        sup_log(&m->events, LOG_ERR, "cannot start a closer (%s): closing %zu received fds in airsupd",
                strerror(-r), k);
        for (size_t i = 0; i < k; i++)
                safe_close(fds[i]);
}
