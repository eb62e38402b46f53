/* state.h - a deployment's lock and the list of the processes its airsupd
 * started (state.c). */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "supervisor/core/event.h"

typedef struct state_entry {
        pid_t pid;
        bool ended;
        char name[96];
} state_entry;

typedef struct sup_state {
        char dir[PATH_MAX - 64];        /* room for "/procs.new" after it */
        int lock_fd;                    /* flock()ed while airsupd runs */
        int procs_fd;                   /* "procs", appended to */
        size_t lines;                   /* in "procs" */
        bool remove_dir;                /* the default directory: removed by a clean exit */
        state_entry *pending;           /* starts and ends not written yet */
        size_t n_pending, pending_cap;
} sup_state;

/* The state directory of the deployment CONFIG_PATH names when the
 * configuration does not set one: /run/airsup/NAME-HASH as root, else
 * under $XDG_RUNTIME_DIR or /tmp/airsup-UID. */
int state_dir_default(const char *config_path, char *buf, size_t size);
/* Makes PATH's missing levels (0700; 0750 and GROUP's when GROUP, the
 * control group, is set; the last one MODE) and checks every level from
 * "/" down: a directory owned by root or airsupd's user, writable by
 * nobody else unless sticky.  -EPERM (ERR says which level and why) when
 * one is not; RET_MADE: the last level was made here. */
int state_mkdir_trusted(const char *path, mode_t mode, const char *group, bool *ret_made, char *err,
                        size_t err_size);
/* Creates DIR (state_mkdir_trusted(): -EPERM for one another user could
 * have planted) and takes its lock; -EBUSY (ERR says by whom) when
 * another airsupd holds it. */
int state_open(const char *dir, const char *group, sup_state *st, char *err, size_t err_size);
/* Stops (SIGTERM, SIGKILL after 5 s) what a previous airsupd of this
 * deployment started and did not see end; returns how many there were. */
size_t state_stop_leftovers(sup_state *st, sup_events *ev);
void state_started(sup_state *st, pid_t pid, const char *name);
void state_ended(sup_state *st, pid_t pid);
/* Writes what state_started() and state_ended() queued. */
void state_flush(sup_state *st);
/* Rewriting "procs" from the live processes: begin, one put each, end. */
int state_compact_begin(sup_state *st, FILE **ret);
void state_compact_put(FILE *f, pid_t pid, const char *name);
int state_compact_end(sup_state *st, FILE *f, size_t lines);
/* An airsupd that exits before it started anything (another answers on
 * its control socket, a set-up failed): its lock goes, and the directory
 * when it is empty and its own; a list of leftovers stays for the next. */
void state_release(sup_state *st);
/* CLEAN: every process ended, the list goes too. */
void state_close(sup_state *st, bool clean);
int state_proc_starttime(pid_t pid, unsigned long long *ret);
