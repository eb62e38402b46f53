/* helper.h - airsupd's helper processes (the closer, the spawner) and
 * the SCM_RIGHTS messages they exchange with it (common/fds.h). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Forks a helper connected to airsupd by a SOCK_SEQPACKET socketpair.
 * In airsupd: returns the helper's pid and *RET_FD, airsupd's end.  In
 * the helper: returns 0 and *RET_FD is its end; it dies with airsupd. */
pid_t sup_helper_fork(int *ret_fd);

#include "common/fds.h"
