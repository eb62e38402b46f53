/* cgroup-fs.h - what cgroup.c (an instance's cgroup) and cgroup-tree.c
 * (the tree's) share: the tree's description, the names below it, and
 * short, whole reads and writes on the cgroup file system.  Private to
 * those two files. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SELF_LEAF "_airsupd"
#define PROBE_LEAF "_probe"      /* below an instance's cgroup: its exec: probes */

struct sup_cgroup {
        char *mount;                    /* where cgroup2 is mounted */
        size_t mount_len;
        char *root;                     /* the cgroup the mount shows at its top, as /proc/PID/cgroup names it */
        char *origin;                   /* airsupd's cgroup when it started */
        char *top;                      /* the tree's directory */
        bool top_made;                  /* airsupd made TOP (and removes it) */
        char *self;                     /* TOP/_airsupd */
        unsigned enabled;               /* controllers enabled below TOP */
        uint64_t ram_bytes;
};

/* File I/O on the cgroup file system: short and whole. */
int cgroup_write_at(int dir, const char *path, const char *text);
ssize_t cgroup_read_at(int dir, const char *path, char *buf, size_t size);
/* The number after "KEY " in a flat-keyed file's text. */
bool cgroup_key_value(const char *text, const char *key, uint64_t *ret);
/* The "0::PATH" line of /proc/PID/cgroup (PID 0: ours). */
int cgroup_read_own_path(pid_t pid, char *buf, size_t size);
/* The controllers a cgroup.controllers text names, as CGROUP_* bits. */
unsigned cgroup_parse_controllers(const char *text);
/* Enables WANT for the children of DIR; returns what is enabled. */
unsigned cgroup_enable_controllers(int dir, unsigned want);
