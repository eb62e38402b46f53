/* iomux.h - many fds, one source of the loop (iomux.c): the fds airsupd
 * watches for every process (its pidfd, its channel) share one epoll
 * set, which is one sd-event source, instead of an sd-event source each
 * (about 310 bytes of heap apiece in libsystemd 252, a third of what a
 * group cost before issue 30).  A watch is a small struct its owner
 * embeds; it must not move while an fd is in it. */
#pragma once

#include <stdint.h>

struct sup_manager;
typedef struct sup_io sup_io;

/* Called with the epoll events of IO's fd (as an sd-event io callback
 * gets them: EPOLLHUP and EPOLLERR even when not asked for). */
typedef void (*sup_io_fn)(sup_io *io, int fd, uint32_t revents);

struct sup_io {
        sup_io_fn fn;
        int fd;                         /* the fd watched, -EBADF: none (lent: the owner closes it) */
        uint32_t events;
};

#define SUP_IO_INIT { .fd = -EBADF }

/* Watches FD for EVENTS through IO, which must be unwatched (IO's fd
 * < 0).  -EINVAL without a loop (m->event NULL), as sd_event_add_io(). */
int iomux_add(struct sup_manager *m, sup_io *io, int fd, uint32_t events, sup_io_fn fn);
/* EVENTS instead (0: none but EPOLLHUP and EPOLLERR, as for sd-event). */
int iomux_set_events(struct sup_manager *m, sup_io *io, uint32_t events);
/* Stops watching (before its owner closes the fd); fine on an unwatched IO. */
void iomux_remove(struct sup_manager *m, sup_io *io);
/* The epoll set and its source go (manager_free(), after every watch). */
void iomux_done(struct sup_manager *m);
