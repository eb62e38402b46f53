/* spawn.h - forking and exec'ing one process of a group (spawn.c), and
 * what airsupd reads about processes from /proc. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "supervisor/sup.h"

int sup_spawn(sup_proc *p, pid_t *ret_pid, int *ret_pidfd, int *ret_status_fd);
int sup_spawn_status(int fd, char *step, size_t step_size);
bool sup_pgrp_alive(pid_t pgid);
int sup_proc_stat(pid_t pid, char *ret_state, pid_t *ret_ppid, pid_t *ret_pgrp);
