/* iomux.c - the fds watched for every process, in one epoll set that is
 * one source of the loop (iomux.h).
 *
 * Why: an sd-event io source is a malloc'd object of about 310 bytes in
 * libsystemd 252; a process had two for its whole life (its pidfd and its
 * channel), 620 bytes of the 2.5 kB a group cost airsupd (issue 30,
 * airsupd_memory_bytes at 1000 and 3000 groups).  In the set a watch is
 * the 16 bytes its owner embeds, and the kernel's epitem.
 *
 * What stays as it was: the fds are level-triggered, so what one wake-up
 * leaves unread comes again at the next; sd-event dispatches one source
 * per iteration, and the set takes at most IOMUX_EVENTS * IOMUX_ROUNDS
 * ready fds per wake-up, so no other source waits behind it for long.
 * A callback may take watches out of the set (a process's exit ends its
 * channel) and its owner may then close or reuse those fds: the rest of
 * the batch, which may name them, is dropped, and epoll_wait() asked
 * again. */
#include <errno.h>
#include <sys/epoll.h>

#include "common/cleanup.h"
#include "supervisor/core/iomux.h"
#include "supervisor/core/types.h"

#define IOMUX_EVENTS 64
#define IOMUX_ROUNDS 8

static int on_mux(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        sup_manager *m = userdata;
        struct epoll_event ev[IOMUX_EVENTS];

        (void) s;
        (void) revents;
        for (unsigned round = 0; round < IOMUX_ROUNDS; round++) {
                unsigned gen = m->iomux_gen;
                int k = epoll_wait(fd, ev, IOMUX_EVENTS, /* timeout= */ 0);

                if (k <= 0)
                        break;
                for (int i = 0; i < k && m->iomux_gen == gen; i++) {
                        sup_io *io = ev[i].data.ptr;

                        if (io->fd >= 0)
                                io->fn(io, io->fd, ev[i].events);
                }
                if (m->iomux_gen != gen || k < IOMUX_EVENTS)
                        break;
        }
        return 0;
}

int iomux_add(sup_manager *m, sup_io *io, int fd, uint32_t events, sup_io_fn fn) {
        struct epoll_event ev = { .events = events, .data.ptr = io };
        int r;

        if (!m->event || fd < 0 || !fn || io->fd >= 0)
                return -EINVAL;
        if (!m->iomux_source) {
                _cleanup_close_ int epfd = epoll_create1(EPOLL_CLOEXEC);

                if (epfd < 0)
                        return -errno;
                r = sd_event_add_io(m->event, &m->iomux_source, epfd, EPOLLIN, on_mux, m);
                if (r < 0)
                        return r;
                /* The source closes it when it goes (iomux_done()). */
                r = sd_event_source_set_io_fd_own(m->iomux_source, true);
                if (r < 0) {
                        m->iomux_source = sd_event_source_disable_unref(m->iomux_source);
                        return r;
                }
                m->iomux_fd = TAKE_FD(epfd);
        }
        if (epoll_ctl(m->iomux_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
                return -errno;
        io->fn = fn;
        io->fd = fd;
        io->events = events;
        return 0;
}

int iomux_set_events(sup_manager *m, sup_io *io, uint32_t events) {
        struct epoll_event ev = { .events = events, .data.ptr = io };

        if (io->fd < 0 || !m->iomux_source)
                return -EINVAL;
        if (io->events == events)
                return 0;
        if (epoll_ctl(m->iomux_fd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
                return -errno;
        io->events = events;
        return 0;
}

void iomux_remove(sup_manager *m, sup_io *io) {
        if (io->fd < 0)
                return;
        /* Taken out before its owner closes it: a copy of the fd (a
         * child's end passed on) would keep it in the set. */
        if (m->iomux_source)
                (void) epoll_ctl(m->iomux_fd, EPOLL_CTL_DEL, io->fd, NULL);
        io->fd = -EBADF;
        io->fn = NULL;
        m->iomux_gen++;
}

void iomux_done(sup_manager *m) {
        m->iomux_source = sd_event_source_disable_unref(m->iomux_source);
        m->iomux_fd = -EBADF;
}
