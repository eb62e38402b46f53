/* state-list.h - the deployment's list of started processes, kept as the
 * tree runs (state-list.c over state.h's file): what the proc table notes
 * at a start and at the end of a process group. */
#pragma once

#include <sys/types.h>

#include "supervisor/core/types.h"

void state_note_started(sup_manager *m, sup_proc *p);
void state_note_ended(sup_manager *m, pid_t pgid);
