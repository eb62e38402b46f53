/* closer.h - disposing of fds that others passed to airsupd (closer.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "supervisor/core/types.h"

void sup_dispose_fds(sup_manager *m, int *fds, size_t n);
void sup_closer_stop(sup_manager *m, bool kill_it);
