/* spawn.h - forking and exec'ing a process from a plain plan (spawn.c),
 * and what airsupd reads about processes from /proc.
 *
 * A spawn_plan says everything the child does between the fork and the
 * exec: argv, environment, credentials, working directory, stdio.  The
 * caller builds it (sup_spawn_plan_for_proc() for a group's process; a
 * health probe or a reload can build their own) and sup_spawn() carries
 * it out, knowing nothing of groups. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "supervisor/core/types.h"

/* Room for any pid, overwritten in the child. */
#define WATCHDOG_PID_PLACEHOLDER "XXXXXXXXXX"

typedef struct spawn_plan {
        char *path;
        char **argv;
        char **envp;
        const char *workdir;
        bool set_user;
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        int n_groups;
        int out_fd, err_fd;             /* -EBADF: inherit airsupd's, or /dev/null if *_null */
        bool out_null, err_null;
        const char *out_path, *err_path; /* file: to open in the child, as the user; borrowed */
        bool err_is_out;                /* stderr is the same file as stdout */
        int null_fd;                    /* borrowed from the manager */
        int chan_fd;                    /* the child's end of its channel, at CHAN_FD in it; -EBADF: none */
        int cgroup_fd;                  /* the cgroup (a directory) to clone it into; -EBADF: ours */
        bool watchdog_pid;              /* the child writes its pid into the WATCHDOG_PID= placeholder */
        bool signals_default;           /* the forking process blocks no signal and has every one at
                                         * SIG_DFL (the spawner): the child need not reset them */
        struct rlimit nofile;           /* rlim_cur 0: leave as it is */
        int nice;                       /* the child's nice value, */
        bool set_nice;                  /* ... when it is not the forking process's */
        /* What the pointers above point to when the plan made them (a
         * group's values with %i, %n, %g replaced); freed with it. */
        char **owned_argv;
        char *owned_workdir, *owned_out_path, *owned_err_path;
} spawn_plan;

#define SPAWN_PLAN_INIT { .out_fd = -EBADF, .err_fd = -EBADF, .null_fd = -EBADF, .chan_fd = -EBADF, \
                          .cgroup_fd = -EBADF }

void spawn_plan_done(spawn_plan *s);

/* The plan for P's next start, from its group's configuration; on failure
 * *RET_STEP names what failed ("user", "exec", "stdout", ...). */
int sup_spawn_plan_for_proc(sup_proc *p, spawn_plan *ret, const char **ret_step);
/* The plan of P's exec: health probe: its command, as the group's user,
 * with the group's environment and working directory, output to
 * /dev/null, nothing of airsupd's (no notify socket, no channel). */
int sup_spawn_plan_for_probe(sup_proc *p, spawn_plan *ret, const char **ret_step);

/* Forks a child of this process that carries out S and execs.  Returns
 * at once: the exec's outcome arrives on *RET_STATUS_FD (see
 * sup_spawn_status()).  airsupd spawns through its spawner
 * (sup_spawner_spawn() in spawner.h), which falls back to this. */
int sup_spawn(const spawn_plan *s, pid_t *ret_pid, int *ret_pidfd, int *ret_status_fd);
/* The steps of sup_spawn(): the exec-status pipe, and the clone (with
 * CLONE_FLAGS added: the spawner adds CLONE_PARENT) of a child that
 * carries out S and reports a failed step on STATUS_W. */
int sup_spawn_pipe(int *ret_r, int *ret_w);
int sup_spawn_fork(const spawn_plan *s, int status_w, uint64_t clone_flags, pid_t *ret_pid, int *ret_pidfd);
/* A child that shares the caller's memory until its exec (CLONE_VM, as
 * vfork() but without waiting for it): no page tables copied, no
 * copy-on-write faults afterwards, nothing to tear down at its exec.
 * What it reads (this record, the plan and all the plan points to, the
 * stack) must stay untouched until the kernel zeroes clear_tid, which it
 * does when the child leaves this memory (at its exec, or its exit). */
typedef struct spawn_vm {
        int clear_tid;
        int status_w;
        const spawn_plan *plan;
} spawn_vm;
/* As sup_spawn_fork() for V->plan, on the stack [STACK, STACK +
 * STACK_SIZE).  -EOPNOTSUPP where it cannot be done (an architecture
 * without the clone3 trampoline; a kernel that cannot clone into a
 * cgroup): then fork with sup_spawn_fork(). */
int sup_spawn_fork_vm(spawn_vm *v, uint64_t clone_flags, void *stack, size_t stack_size, pid_t *ret_pid,
                      int *ret_pidfd);
int sup_spawn_status(int fd, char *step, size_t step_size);
/* Every signal back to SIG_DFL (those glibc keeps for itself too), then
 * none blocked: what a child must start its program with. */
int sup_spawn_signals_default(void);
bool sup_pgrp_alive(pid_t pgid);
int sup_proc_stat(pid_t pid, char *ret_state, pid_t *ret_ppid, pid_t *ret_pgrp);
int sup_proc_stat_start(pid_t pid, char *ret_state, pid_t *ret_ppid, pid_t *ret_pgrp, unsigned long long *ret_start);
