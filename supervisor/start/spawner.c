/* spawner.c - forks airsupd's children from a small process, so that a
 * start costs the same in a tree of 10,000 groups as in a tree of 10.
 *
 * A fork copies the parent's page tables and its fd table, and the exec
 * that follows closes every close-on-exec fd one by one and tears the
 * copied memory down again.  airsupd holds a pidfd (and a notify socket)
 * per process and its memory grows with the tree, so a fork of airsupd
 * itself costs more with every group: at 10,000 groups most of a start
 * went to copy_page_range, dup_fd and do_close_on_exec.
 *
 * The spawner is a program exec'd afresh: airsupd-spawner beside airsupd
 * (supervisor/airsupd-spawner.c, libc alone), else airsupd itself
 * ("airsupd --spawner"), seen as airsupd-spawner: a few fds, about 1 MB.  airsupd sends it each
 * plan (spawn_plan, flattened into one SOCK_SEQPACKET message with the
 * plan's fds and the exec-status pipe's write end); the spawner clones
 * the child with CLONE_PARENT, so the child is airsupd's own (its
 * SIGCHLD, its pidfd, its wait status go to airsupd as before), and
 * sends back the pid and the pidfd.  The exchange is synchronous and
 * bounded: the spawner's part is a clone and two messages, never a file
 * system access (the child does those after the clone, reporting on the
 * exec-status pipe that airsupd reads on its loop), so airsupd waits for
 * the reply at most SPAWNER_TIMEOUT_MSEC, and in that time runs no event
 * that could reap the new child before its pidfd is known.
 *
 * Whatever goes wrong with the spawner (it cannot be started, a plan is
 * too big for one message, it died or is stuck) airsupd forks the child
 * itself, as before the spawner existed, unless the request may already
 * have been carried out: then the start fails and is retried by the
 * group's policy, never started twice. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "supervisor/start/helper.h"
#include "supervisor/start/spawner.h"

#define SPAWNER_MAGIC 0x53505731u       /* "SPW1" */
#define SPAWNER_MSG_MAX (128u * 1024)   /* a plan bigger than this is forked by airsupd */
#define SPAWNER_FDS_MAX 5               /* status pipe, stdout, stderr, channel, cgroup */
#define SPAWNER_FD 3                    /* the socket, in the exec'd spawner */
#define SPAWNER_TIMEOUT_MSEC 5000

enum {
        WIRE_SET_USER = 1u << 0,
        WIRE_OUT_NULL = 1u << 1,
        WIRE_ERR_NULL = 1u << 2,
        WIRE_ERR_IS_OUT = 1u << 3,
        WIRE_OUT_FD = 1u << 4,
        WIRE_ERR_FD = 1u << 5,
        WIRE_WORKDIR = 1u << 6,
        WIRE_OUT_PATH = 1u << 7,
        WIRE_ERR_PATH = 1u << 8,
        WIRE_CHAN_FD = 1u << 9,
        WIRE_CGROUP_FD = 1u << 10,
        WIRE_WATCHDOG_PID = 1u << 11,
        WIRE_NICE = 1u << 12,
};

/* A plan on the wire: this header, n_groups gid_t, then NUL-terminated
 * strings: path, workdir, out_path, err_path (each only when its flag is
 * set), n_argv arguments, n_env environment entries. */
typedef struct spawn_wire {
        uint32_t magic;
        uint32_t flags;
        uint32_t uid, gid;
        uint32_t n_groups, n_argv, n_env;
        int32_t nice;                   /* WIRE_NICE */
        uint64_t nofile_cur, nofile_max;
} spawn_wire;

typedef struct spawn_reply {
        int32_t error;                  /* 0, or the errno of the clone */
        int32_t pid;
} spawn_reply;

static bool put(char *buf, size_t *len, const void *p, size_t n) {
        if (n > SPAWNER_MSG_MAX - *len)
                return false;
        if (n == 0)
                return true;
        memcpy(buf + *len, p, n);
        *len += n;
        return true;
}

static bool put_str(char *buf, size_t *len, const char *s) {
        return put(buf, len, s, strlen(s) + 1);
}

static size_t strv_len(char *const *v) {
        size_t n = 0;

        while (v && v[n])
                n++;
        return n;
}

/* Flattens S into BUF; false when it does not fit in one message. */
static bool wire_encode(const spawn_plan *s, char *buf, size_t *ret_len) {
        spawn_wire w = {
                .magic = SPAWNER_MAGIC,
                .uid = (uint32_t) s->uid,
                .gid = (uint32_t) s->gid,
                .n_groups = s->set_user ? (uint32_t) s->n_groups : 0,
                .n_argv = (uint32_t) strv_len(s->argv),
                .n_env = (uint32_t) strv_len(s->envp),
                .nofile_cur = s->nofile.rlim_cur,
                .nofile_max = s->nofile.rlim_max,
                .nice = s->set_nice ? s->nice : 0,
        };
        size_t len = 0;
        bool ok;

        w.flags = (s->set_user ? WIRE_SET_USER : 0) | (s->out_null ? WIRE_OUT_NULL : 0) |
                  (s->err_null ? WIRE_ERR_NULL : 0) | (s->err_is_out ? WIRE_ERR_IS_OUT : 0) |
                  (s->out_fd >= 0 ? WIRE_OUT_FD : 0) | (s->err_fd >= 0 ? WIRE_ERR_FD : 0) |
                  (s->workdir ? WIRE_WORKDIR : 0) | (s->out_path ? WIRE_OUT_PATH : 0) |
                  (s->err_path ? WIRE_ERR_PATH : 0) | (s->chan_fd >= 0 ? WIRE_CHAN_FD : 0) |
                  (s->cgroup_fd >= 0 ? WIRE_CGROUP_FD : 0) | (s->watchdog_pid ? WIRE_WATCHDOG_PID : 0) |
                  (s->set_nice ? WIRE_NICE : 0);
        ok = put(buf, &len, &w, sizeof(w)) &&
             put(buf, &len, s->groups, sizeof(gid_t) * w.n_groups) &&
             put_str(buf, &len, s->path) &&
             (!s->workdir || put_str(buf, &len, s->workdir)) &&
             (!s->out_path || put_str(buf, &len, s->out_path)) &&
             (!s->err_path || put_str(buf, &len, s->err_path));
        for (size_t i = 0; ok && i < w.n_argv; i++)
                ok = put_str(buf, &len, s->argv[i]);
        for (size_t i = 0; ok && i < w.n_env; i++)
                ok = put_str(buf, &len, s->envp[i]);
        *ret_len = len;
        return ok;
}

/* The next string at *POS in BUF[0..LEN), or NULL when none ends there. */
static char *take_str(char *buf, size_t len, size_t *pos) {
        char *s = buf + *pos, *end;

        if (*pos >= len)
                return NULL;
        end = memchr(s, '\0', len - *pos);
        if (!end)
                return NULL;
        *pos += (size_t) (end - s) + 1;
        return s;
}

/* Rebuilds a plan from BUF (which it points into) and the FDS that came
 * with it.  ARGV and ENVP get room for n + 1 pointers. */
static int wire_decode(char *buf, size_t len, const int *fds, size_t n_fds, spawn_plan *s) {
        spawn_wire w;
        size_t pos = sizeof(w), want_fds = 1;

        if (len < sizeof(w))
                return -EBADMSG;
        memcpy(&w, buf, sizeof(w));
        if (w.magic != SPAWNER_MAGIC || w.n_argv == 0 || w.n_argv > len || w.n_env > len ||
            w.n_groups > len / sizeof(gid_t))
                return -EBADMSG;
        want_fds += !!(w.flags & WIRE_OUT_FD) + !!(w.flags & WIRE_ERR_FD) + !!(w.flags & WIRE_CHAN_FD) +
                    !!(w.flags & WIRE_CGROUP_FD);
        if (n_fds != want_fds)
                return -EBADMSG;

        if (w.n_groups > 0) {
                if (len - pos < sizeof(gid_t) * w.n_groups)
                        return -EBADMSG;
                s->groups = malloc(sizeof(gid_t) * w.n_groups);
                if (!s->groups)
                        return -ENOMEM;
                memcpy(s->groups, buf + pos, sizeof(gid_t) * w.n_groups);
                pos += sizeof(gid_t) * w.n_groups;
        }
        s->n_groups = (int) w.n_groups;
        s->set_user = w.flags & WIRE_SET_USER;
        s->uid = (uid_t) w.uid;
        s->gid = (gid_t) w.gid;
        s->out_null = w.flags & WIRE_OUT_NULL;
        s->err_null = w.flags & WIRE_ERR_NULL;
        s->err_is_out = w.flags & WIRE_ERR_IS_OUT;
        s->watchdog_pid = w.flags & WIRE_WATCHDOG_PID;
        s->nofile.rlim_cur = w.nofile_cur;
        s->nofile.rlim_max = w.nofile_max;
        s->set_nice = w.flags & WIRE_NICE;
        s->nice = w.nice;
        /* In the order they were sent: status, stdout, stderr, channel,
         * cgroup. */
        {
                size_t i = 1;
                s->out_fd = w.flags & WIRE_OUT_FD ? fds[i++] : -EBADF;
                s->err_fd = w.flags & WIRE_ERR_FD ? fds[i++] : -EBADF;
                s->chan_fd = w.flags & WIRE_CHAN_FD ? fds[i++] : -EBADF;
                s->cgroup_fd = w.flags & WIRE_CGROUP_FD ? fds[i++] : -EBADF;
        }

        if (!(s->path = take_str(buf, len, &pos)))
                return -EBADMSG;
        if ((w.flags & WIRE_WORKDIR) && !(s->workdir = take_str(buf, len, &pos)))
                return -EBADMSG;
        if ((w.flags & WIRE_OUT_PATH) && !(s->out_path = take_str(buf, len, &pos)))
                return -EBADMSG;
        if ((w.flags & WIRE_ERR_PATH) && !(s->err_path = take_str(buf, len, &pos)))
                return -EBADMSG;
        s->argv = calloc(w.n_argv + 1, sizeof(char *));
        s->envp = calloc(w.n_env + 1, sizeof(char *));
        if (!s->argv || !s->envp)
                return -ENOMEM;
        for (size_t i = 0; i < w.n_argv; i++)
                if (!(s->argv[i] = take_str(buf, len, &pos)))
                        return -EBADMSG;
        for (size_t i = 0; i < w.n_env; i++)
                if (!(s->envp[i] = take_str(buf, len, &pos)))
                        return -EBADMSG;
        return pos == len ? 0 : -EBADMSG;
}

/* The memory of a child cloned with CLONE_VM (sup_spawn_fork_vm()): a
 * guard page, its stack, then its spawn_vm, its plan, the plan's arrays
 * and a copy of the request its strings point into.  Mapped once and
 * used again once its child left it (clear_tid is 0); children still
 * before their exec (stuck in a chdir() on a hung file system, say) each
 * keep theirs, up to SPAWNER_ARENAS, past which the spawner forks. */
#define SPAWNER_ARENAS 16
#define ARENA_GUARD 4096u
#define ARENA_STACK (64u * 1024)
#define ARENA_SIZE (ARENA_GUARD + ARENA_STACK + 4u * 1024 * 1024)

static void *arenas[SPAWNER_ARENAS];

static spawn_vm *arena_vm(void *a) {
        return (spawn_vm *) ((char *) a + ARENA_GUARD + ARENA_STACK);
}

/* A free arena, mapped when none is; NULL when all are in use. */
static void *arena_get(void) {
        for (size_t i = 0; i < SPAWNER_ARENAS; i++) {
                if (!arenas[i]) {
                        void *a = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
                                       MAP_NORESERVE, -1, 0);
                        if (a == MAP_FAILED)
                                return NULL;
                        if (mprotect(a, ARENA_GUARD, PROT_NONE) < 0) {
                                (void) munmap(a, ARENA_SIZE);
                                return NULL;
                        }
                        arenas[i] = a;
                        return a;
                }
                if (__atomic_load_n(&arena_vm(arenas[i])->clear_tid, __ATOMIC_ACQUIRE) == 0)
                        return arenas[i];
        }
        return NULL;
}

static void *arena_take(char **at, char *end, size_t size) {
        char *p = (char *) (((uintptr_t) *at + 15) & ~(uintptr_t) 15);

        if (p > end || size > (size_t) (end - p))
                return NULL;
        *at = p + size;
        return p;
}

/* Clones the child of PLAN (decoded from BUF[0..LEN)) into an arena of
 * its own with CLONE_VM.  -EOPNOTSUPP: not done, fork it. */
static int spawn_in_arena(const spawn_plan *plan, const char *buf, size_t len, int status_w, pid_t *ret_pid,
                          int *ret_pidfd) {
        void *a = arena_get();
        char *at, *end, *msg;
        spawn_plan *s;
        spawn_vm *v;
        size_t n_argv = 0, n_env = 0;

        if (!a)
                return -EOPNOTSUPP;
        while (plan->argv[n_argv])
                n_argv++;
        while (plan->envp[n_env])
                n_env++;
        v = arena_vm(a);
        at = (char *) (v + 1);
        end = (char *) a + ARENA_SIZE;
        s = arena_take(&at, end, sizeof(*s));
        msg = arena_take(&at, end, len);
        if (!s || !msg)
                return -EOPNOTSUPP;
        memcpy(msg, buf, len);
        *s = *plan;
        /* Every string of the plan points into BUF: the same place in the copy. */
#define REBASE(p) ((p) ? msg + ((const char *) (p) - buf) : NULL)
        s->path = REBASE(plan->path);
        s->workdir = REBASE(plan->workdir);
        s->out_path = REBASE(plan->out_path);
        s->err_path = REBASE(plan->err_path);
        s->argv = arena_take(&at, end, (n_argv + 1) * sizeof(char *));
        s->envp = arena_take(&at, end, (n_env + 1) * sizeof(char *));
        s->groups = plan->n_groups > 0 ? arena_take(&at, end, (size_t) plan->n_groups * sizeof(gid_t)) : NULL;
        if (!s->argv || !s->envp || (plan->n_groups > 0 && !s->groups))
                return -EOPNOTSUPP;
        for (size_t i = 0; i <= n_argv; i++)
                s->argv[i] = REBASE(plan->argv[i]);
        for (size_t i = 0; i <= n_env; i++)
                s->envp[i] = REBASE(plan->envp[i]);
#undef REBASE
        if (plan->n_groups > 0)
                memcpy(s->groups, plan->groups, (size_t) plan->n_groups * sizeof(gid_t));
        s->owned_argv = NULL;
        s->owned_workdir = s->owned_out_path = s->owned_err_path = NULL;
        v->plan = s;
        v->status_w = status_w;
#if defined(__SANITIZE_ADDRESS__)
        /* The last child on this stack exec'd with its frames' redzones
         * still poisoned: not this child's. */
        __asan_unpoison_memory_region((char *) a + ARENA_GUARD, ARENA_STACK);
#endif
        return sup_spawn_fork_vm(v, CLONE_PARENT, (char *) a + ARENA_GUARD, ARENA_STACK, ret_pid, ret_pidfd);
}

_Noreturn void sup_spawner_main(int sock) {
        static char buf[SPAWNER_MSG_MAX];
        bool signals_default;
        int null_fd;

        (void) prctl(PR_SET_NAME, "airsupd-spawner");
        /* Dies with airsupd; a child it is making is airsupd's anyway. */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (sock > 3)
                (void) close_range(3, (unsigned) sock - 1, 0);
        (void) close_range((unsigned) sock + 1, ~0U, 0);
        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (null_fd < 0)
                _exit(1);
        /* Every signal at SIG_DFL and unblocked, once, here: then its
         * children, which would each have to do it between the clone and
         * the exec (ignored signals and the mask survive exec), need not. */
        signals_default = sup_spawn_signals_default() >= 0;

        for (;;) {
                spawn_plan plan = SPAWN_PLAN_INIT;
                spawn_reply reply = {};
                int fds[SPAWNER_FDS_MAX], pidfd = -EBADF;
                pid_t pid = 0;
                size_t n_fds;
                ssize_t n;
                int r;

                n = fds_recv(sock, buf, sizeof(buf), 0, fds, SPAWNER_FDS_MAX, &n_fds);
                if (n == 0)
                        _exit(0);               /* airsupd closed its end */
                if (n < 0 && n != -EMSGSIZE)
                        _exit(1);
                r = n < 0 ? (int) n : wire_decode(buf, (size_t) n, fds, n_fds, &plan);
                if (r >= 0) {
                        plan.null_fd = null_fd;
                        plan.signals_default = signals_default;
                        r = spawn_in_arena(&plan, buf, (size_t) n, fds[0], &pid, &pidfd);
                        if (r == -EOPNOTSUPP)
                                r = sup_spawn_fork(&plan, fds[0], CLONE_PARENT, &pid, &pidfd);
                }
                /* The plan points into BUF; only its arrays are its own. */
                free(plan.argv);
                free(plan.envp);
                free(plan.groups);
                for (size_t i = 0; i < n_fds; i++)
                        (void) close(fds[i]);
                reply.error = r < 0 ? -r : 0;
                reply.pid = r < 0 ? 0 : (int32_t) pid;
                r = fds_send(sock, &reply, sizeof(reply), &pidfd, pidfd >= 0);
                safe_close(pidfd);
                if (r < 0)
                        _exit(1);
        }
}

static int spawner_start(sup_manager *m) {
        int fd;
        pid_t pid = sup_helper_fork(&fd);

        if (pid < 0)
                return (int) pid;
        if (pid == 0) {
                /* Afresh, with nothing of airsupd's memory; where that
                 * cannot be (no /proc, say), as this copy of it. */
                if (m->spawner_exe && dup2(fd, SPAWNER_FD) == SPAWNER_FD) {
                        char *argv[] = { (char *) "airsupd-spawner", (char *) "--spawner", NULL };
                        execve(m->spawner_exe, argv, m->base_env ?: (char *[]) { NULL });
                        (void) close(SPAWNER_FD);
                }
                sup_spawner_main(fd);
        }
        m->spawner_pid = pid;
        m->spawner_fd = fd;
        sup_log(&m->events, LOG_DEBUG, "spawner started, pid %d", (int) pid);
        return 0;
}

void sup_spawner_stop(sup_manager *m, bool kill_it) {
        if (m->spawner_pid > 0 && kill_it)
                (void) kill(m->spawner_pid, SIGKILL);
        /* Not waited for: the SIGCHLD reaper collects it like an orphan. */
        m->spawner_pid = 0;
        m->spawner_fd = safe_close(m->spawner_fd);
}

void sup_spawner_free(sup_manager *m) {
        pid_t pid = m->spawner_pid;

        /* Between requests it only waits in recvmsg(): it dies at once,
         * and is reaped here rather than left to whoever inherits it. */
        sup_spawner_stop(m, /* kill_it= */ true);
        if (pid > 0)
                (void) waitpid(pid, NULL, 0);
        free(m->spawner_buf);
        m->spawner_buf = NULL;
}

/* Waits (bounded) for the spawner's reply to a request. */
static int spawner_reply(sup_manager *m, pid_t *ret_pid, int *ret_pidfd) {
        struct pollfd pfd = { .fd = m->spawner_fd, .events = POLLIN };
        spawn_reply reply;
        int fds[SPAWNER_FDS_MAX];
        size_t n_fds;
        ssize_t n;
        int r;

        do
                r = poll(&pfd, 1, SPAWNER_TIMEOUT_MSEC);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return -errno;
        if (r == 0)
                return -ETIMEDOUT;
        n = fds_recv(m->spawner_fd, &reply, sizeof(reply), MSG_DONTWAIT, fds, SPAWNER_FDS_MAX, &n_fds);
        if (n >= 0 && (size_t) n == sizeof(reply) && reply.error == 0 && reply.pid > 0 && n_fds == 1) {
                *ret_pid = reply.pid;
                *ret_pidfd = fds[0];
                return 0;
        }
        for (size_t i = 0; i < n_fds; i++)
                (void) close(fds[i]);
        if (n >= 0 && (size_t) n == sizeof(reply) && reply.error > 0 && n_fds == 0)
                return -reply.error;
        return n == 0 ? -EPIPE : -EBADMSG;
}

int sup_spawner_spawn(sup_manager *m, const spawn_plan *s, pid_t *ret_pid, int *ret_pidfd, int *ret_status_fd) {
        _cleanup_close_ int status_r = -EBADF, status_w = -EBADF;
        int fds[SPAWNER_FDS_MAX];
        size_t len, n_fds = 0;
        int r;

        if (!s || !s->path || !s->argv || !s->envp)
                return -EINVAL;
        if (!m->spawner_buf)
                m->spawner_buf = malloc(SPAWNER_MSG_MAX);
        if (!m->spawner_buf || !wire_encode(s, m->spawner_buf, &len)) {
                sup_log(&m->events, LOG_DEBUG, "%s: %s, forked by airsupd itself", s->argv[0],
                        m->spawner_buf ? "plan too big for the spawner" : "no memory for the spawner's message");
                return sup_spawn(s, ret_pid, ret_pidfd, ret_status_fd);
        }
        r = sup_spawn_pipe(&status_r, &status_w);
        if (r < 0)
                return r;
        fds[n_fds++] = status_w;
        if (s->out_fd >= 0)
                fds[n_fds++] = s->out_fd;
        if (s->err_fd >= 0)
                fds[n_fds++] = s->err_fd;
        if (s->chan_fd >= 0)
                fds[n_fds++] = s->chan_fd;
        if (s->cgroup_fd >= 0)
                fds[n_fds++] = s->cgroup_fd;

        for (unsigned attempt = 0;; attempt++) {
                if (m->spawner_fd < 0) {
                        r = spawner_start(m);
                        if (r < 0 && !m->spawner_failed)
                                sup_log(&m->events, LOG_WARNING, "cannot start the spawner (%s): airsupd "
                                        "forks its children itself", strerror(-r));
                        m->spawner_failed = r < 0;
                }
                if (m->spawner_fd < 0 || attempt == 2)
                        return sup_spawn(s, ret_pid, ret_pidfd, ret_status_fd);
                r = fds_send(m->spawner_fd, m->spawner_buf, len, fds, n_fds);
                if (r >= 0)
                        break;
                /* Nothing was asked of it: gone (EPIPE), or not even
                 * reading (EAGAIN).  Replace it and ask the new one. */
                sup_log(&m->events, LOG_WARNING, "spawner pid %d %s (%s), replacing it",
                        (int) m->spawner_pid, r == -EAGAIN ? "is stuck" : "is gone", strerror(-r));
                sup_spawner_stop(m, /* kill_it= */ true);
        }
        /* The child's copy is the one that counts: EOF once it exec'd. */
        status_w = safe_close(status_w);
        r = spawner_reply(m, ret_pid, ret_pidfd);
        if (r == -ETIMEDOUT || r == -EPIPE || r == -EBADMSG) {
                /* Asked, and maybe carried out: a child may exist that is
                 * nobody's to supervise.  Fail this start rather than
                 * risk starting it twice. */
                sup_log(&m->events, LOG_ERR, "spawner pid %d %s; a process it may have started is "
                        "not supervised", (int) m->spawner_pid,
                        r == -ETIMEDOUT ? "did not answer" : r == -EPIPE ? "died" : "answered garbage");
                sup_spawner_stop(m, /* kill_it= */ true);
                return -EIO;
        }
        if (r < 0)
                return r;
        *ret_status_fd = TAKE_FD(status_r);
        return 0;
}
