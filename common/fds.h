/* fds.h - one message with fds over a Unix socket (fds.c). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#define FDS_MAX 253                     /* the kernel's SCM_MAX_FD */

/* One message of LEN bytes with N_FDS fds (at most FDS_MAX), never waiting. */
int fds_send(int sock, const void *buf, size_t len, const int *fds, size_t n_fds);
/* Receives one message into BUF (close-on-exec fds into FDS, at most
 * MAX_FDS, the rest closed); -EMSGSIZE when it or its fds were cut. */
ssize_t fds_recv(int sock, void *buf, size_t size, int flags, int *fds, size_t max_fds, size_t *ret_n_fds);
/* Makes the kernel refuse SCM_RIGHTS sent to SOCK (the sender's sendmsg()
 * fails with EPERM), so that no fd a peer sends ever reaches, or has to be
 * closed by, this process.  -ENOPROTOOPT on kernels before 6.16. */
int fds_refuse(int sock);
