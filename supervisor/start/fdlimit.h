/* fdlimit.h - airsupd's file descriptors: the limit it runs under, what a
 * tree needs, and a reserve that keeps it able to stop what it started
 * when they run out (fdlimit.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>

#include "supervisor/config/cfg.h"

/* airsupd's own fds (loop, signals, control socket, helpers, logs) and the
 * reserve, besides what each process costs. */
#define FDLIMIT_BASE 64
#define FDLIMIT_RESERVE 16

/* The fds airsupd keeps for one process of N while it runs. */
unsigned fdlimit_per_process(const cfg_node *n, bool cgroups);
/* The fds the whole tree of C needs at least, lanes not counted. */
uint64_t fdlimit_need(const cfg *c);
/* The most fds airsupd may have: its hard limit, or the kernel's
 * fs.nr_open where it may raise its hard limit (root). */
uint64_t fdlimit_possible(void);
/* Takes the most it may have (fdlimit_possible()); *RET_BEFORE gets the
 * limit it was started with, which children get back. */
int fdlimit_raise(struct rlimit *ret_before);
/* 0 when the tree of C fits in LIMIT fds; else -EMFILE, and the numbers
 * to ERR as "FILE: ..." (--check and the start refuse such a tree). */
int fdlimit_check(const cfg *c, uint64_t limit, FILE *err);

/* The reserve: FDLIMIT_RESERVE fds held (copies of /dev/null) so that the
 * stop of a process never fails for want of an fd.  What may be refused
 * (a start, a lane, a control client) asks fdlimit_reserve_full() first;
 * what must not fail takes one from it, with fdlimit_reserve_lend(),
 * right before it opens one. */
int fdlimit_reserve_init(void);
bool fdlimit_reserve_full(void);
bool fdlimit_reserve_lend(void);
void fdlimit_reserve_done(void);
/* openat() for what must not fail (a stop's cgroup.kill, cgroup.events):
 * out of fds, it takes one from the reserve and tries again. */
int fdlimit_openat(int dir, const char *path, int flags);
