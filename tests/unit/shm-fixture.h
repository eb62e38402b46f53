/* shm-fixture.h - a mailbox of N lanes with one sender per lane, for the
 * shm tests. */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "shm/shm.h"

typedef struct fixture {
        uint32_t n;
        int bell_fd, event_fd;
        int *lane_fd;
        int *space_fd;                  /* each sender's eventfd, to wait for space */
        shm_tx **tx;
        shm_mailbox *mb;
} fixture;

static inline int fixture_open(fixture *f, uint32_t n, uint32_t capacity, uint32_t message_max) {
        int r;

        *f = (fixture) { .n = n, .bell_fd = -EBADF, .event_fd = -EBADF };
        f->lane_fd = calloc(n, sizeof(int));
        f->tx = calloc(n, sizeof(shm_tx *));
        f->space_fd = calloc(n, sizeof(int));
        if (!f->lane_fd || !f->tx || !f->space_fd)
                return -ENOMEM;
        f->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (f->event_fd < 0)
                return -errno;
        r = shm_bell_create(n, &f->bell_fd);
        if (r < 0)
                return r;
        r = shm_mailbox_open(f->bell_fd, f->event_fd, &f->mb);
        if (r < 0)
                return r;
        for (uint32_t i = 0; i < n; i++) {
                r = shm_lane_create(capacity, message_max, &f->lane_fd[i]);
                if (r < 0)
                        return r;
                f->space_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                if (f->space_fd[i] < 0)
                        return -errno;
                r = shm_tx_open(f->lane_fd[i], f->bell_fd, i, f->event_fd, f->space_fd[i], &f->tx[i]);
                if (r < 0)
                        return r;
                r = shm_mailbox_add_lane(f->mb, i, f->lane_fd[i], f->space_fd[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static inline void fixture_close(fixture *f) {
        for (uint32_t i = 0; i < f->n; i++) {
                shm_tx_free(f->tx[i]);
                if (f->lane_fd[i] > 0)
                        close(f->lane_fd[i]);
                if (f->space_fd[i] > 0)
                        close(f->space_fd[i]);
        }
        shm_mailbox_free(f->mb);
        if (f->bell_fd >= 0)
                close(f->bell_fd);
        if (f->event_fd >= 0)
                close(f->event_fd);
        free(f->lane_fd);
        free(f->space_fd);
        free(f->tx);
}

static inline int send_u64(shm_tx *t, uint64_t v, uint32_t prio, shm_full full, uint64_t timeout_ns) {
        shm_envelope e = { .type = 1, .priority = prio, .len = sizeof(v) };
        return shm_tx_send(t, &e, &v, full, timeout_ns);
}

/* Sends 0, 1, 2, ... until the lane is full; how many went in. */
static inline uint64_t fill_u64(shm_tx *t) {
        uint64_t n = 0;

        while (send_u64(t, n, 0, SHM_FULL_FAIL, 0) == 0)
                n++;
        return n;
}
