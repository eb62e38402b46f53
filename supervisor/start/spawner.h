/* spawner.h - forking airsupd's children from a small helper process
 * (spawner.c). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "supervisor/start/spawn.h"
#include "supervisor/core/types.h"

/* As sup_spawn(): the child is airsupd's, its exec-status pipe read end in
 * *RET_STATUS_FD.  Through the spawner when there is one, else directly. */
int sup_spawner_spawn(sup_manager *m, const spawn_plan *s, pid_t *ret_pid, int *ret_pidfd, int *ret_status_fd);
void sup_spawner_stop(sup_manager *m, bool kill_it);
/* At exit: kills the spawner and reaps it. */
void sup_spawner_free(sup_manager *m);
/* The spawner itself: airsupd run as "airsupd --spawner" with its socket
 * at fd 3, or a fork of airsupd that could not exec. */
_Noreturn void sup_spawner_main(int sock);
