/* cgroup-proc.h - what cgroup.c keeps per process: the instance's cgroup
 * (with cgroups on), kept across its restarts, removed once it is
 * stopped.  Part of sup_proc itself: with cgroups on every process has
 * one, and it is a few words.  Types only. */
#pragma once

#include <stdbool.h>
#include <errno.h>
#include <stdint.h>
#include <systemd/sd-event.h>

typedef struct cgroup_proc {
        int fd;                         /* the directory, -EBADF: none */
        bool killed;                    /* cgroup.kill was written: made anew before the next start */
        char *path;
        sd_event_source *events;        /* inotify on cgroup.events: populated */
        sd_event_source *memory;        /* inotify on memory.events: oom_kill */
        uint64_t oom_kills;             /* memory.events oom_kill as last seen */
} cgroup_proc;

#define CGROUP_PROC_INIT { .fd = -EBADF }
