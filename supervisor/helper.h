/* helper.h - airsupd's helper processes (the closer, the spawner) and
 * the SCM_RIGHTS messages they exchange with it (helper.c). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Forks a helper connected to airsupd by a SOCK_SEQPACKET socketpair.
 * In airsupd: returns the helper's pid and *RET_FD, airsupd's end.  In
 * the helper: returns 0 and *RET_FD is its end; it dies with airsupd. */
pid_t sup_helper_fork(int *ret_fd);

/* One message of LEN bytes with N_FDS fds (at most 253), never waiting. */
int sup_fds_send(int sock, const void *buf, size_t len, const int *fds, size_t n_fds);
/* Receives one message into BUF (close-on-exec fds into FDS, at most
 * MAX_FDS, the rest closed); -EMSGSIZE when it or its fds were cut. */
ssize_t sup_fds_recv(int sock, void *buf, size_t size, int flags, int *fds, size_t max_fds, size_t *ret_n_fds);
