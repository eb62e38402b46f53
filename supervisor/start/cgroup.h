/* cgroup.h - a cgroup (v2) for every instance of a group: the
 * containment nothing forked below it escapes, its resource limits, its
 * figures, and its emptiness as an event rather than a poll (a report to
 * the proc table, PROC_REPORT_GROUP_EMPTY).  cgroup-tree.c sets up and
 * takes down the tree's cgroups; cgroup.c keeps each instance's
 * (p->cgroup, cgroup-proc.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/core/types.h"
#include "supervisor/start/cgroup-proc.h"

/* The controllers airsupd enables below itself, as bits. */
enum {
        CGROUP_CPU = 1u << 0,
        CGROUP_MEMORY = 1u << 1,
        CGROUP_PIDS = 1u << 2,
        CGROUP_IO = 1u << 3,
};

/* Per cfg->cgroup: finds the cgroup2 mount and airsupd's own cgroup,
 * moves airsupd into a leaf of its own and enables the controllers there
 * are; m->cgroup is then set.  Under auto, a cgroup that cannot be had is
 * one event, and m->cgroup stays NULL (process groups).  Under required
 * (or when a limit's controller is missing there) it returns < 0 with
 * the reason in ERR. */
int cgroup_setup(sup_manager *m, char *err, size_t size);
/* What a reload's configuration C would break in the cgroups airsupd
 * runs with (a name the cgroup file system has, a limit whose controller
 * is missing under required): "FILE:LINE: ..." in ERR, < 0. */
int cgroup_check_cfg(sup_manager *m, const cfg *c, char *err, size_t size);
/* Back to where airsupd started, and its directories removed. */
void cgroup_teardown(sup_manager *m);

/* P's cgroup, made (with its limits) and watched if it is not yet, or
 * made anew when cgroup.kill was written to it (see cgroup.c). */
int cgroup_proc_open(sup_proc *p);
/* P's group's limits written to its cgroup: all that are set, or (a
 * reload) those that differ from WAS's, an unset one as the default. */
void cgroup_proc_limits(sup_proc *p, const cfg_node *was);
/* Stops watching P's cgroup and removes it (it is empty by now). */
void cgroup_proc_close(sup_proc *p);
bool cgroup_populated(const sup_proc *p);
/* SIG to every process in P's cgroup; SIGKILL through cgroup.kill, which
 * no fork outruns. */
void cgroup_signal(sup_proc *p, int sig);
/* The cgroup P's exec: probes are cloned into: _probe below P's own
 * (made if missing), so that they and whatever they leave are the
 * instance's, under its limits and killed with it, and can be killed on
 * their own when a probe ends.  *RET_FD is -EBADF without cgroups (the
 * probe's process group is then all there is); < 0 when there are
 * cgroups but P has none (the probe must not run). */
int cgroup_probe_open(sup_proc *p, int *ret_fd);
/* Kills everything in P's probes' cgroup: a probe leaves nothing behind. */
void cgroup_probe_kill(sup_proc *p);
/* Whether live process PID is in P's cgroup. */
bool cgroup_holds(const sup_proc *p, pid_t pid);

typedef struct cgroup_figures {
        uint64_t cpu_usec;              /* cpu.stat usage_usec */
        uint64_t memory_bytes;          /* memory.current */
        uint64_t memory_peak;           /* memory.peak, where the kernel has it */
        uint64_t pids;                  /* pids.current */
        uint64_t oom_kills;             /* memory.events oom_kill */
        bool has_cpu, has_memory, has_pids;
} cgroup_figures;

int cgroup_figures_read(const sup_proc *p, cgroup_figures *ret);

/* What a limit is written as (pure: unit-tested): the file, the
 * controller it needs, and the text for a machine of RAM_BYTES. */
const char *cgroup_limit_file(cfg_limit_kind k);
unsigned cgroup_limit_controller(cfg_limit_kind k);
const char *cgroup_controller_name(unsigned bit);
int cgroup_limit_render(cfg_limit_kind k, const cfg_limit *l, uint64_t ram_bytes, char *buf, size_t size);
/* The pid an "airsupd-PID" directory is named after (pure: unit-tested),
 * 0 for any other name: the start sweeps those whose airsupd is gone. */
pid_t cgroup_top_owner(const char *name);
